"""Make what a student wrote or printed inert before a browser shows it to anyone.

Formgrader shows the instructor each autograded notebook as HTML, inside the instructor's own
Jupyter session, and feedback is HTML the student (or a teaching assistant) opens. A notebook
can carry active content in many places: raw HTML in Markdown cells (``<script>``, an
``onerror`` handler, an ``<iframe>``, a ``<form>``), raw cells marked as HTML, SVG attachments,
and code-cell outputs of type ``text/html``, ``image/svg+xml``, ``text/markdown``,
``application/javascript`` or a widget. Run in the instructor's session, such a script can read
the course's files through Jupyter's API (solutions and hidden tests included) and set its own
scores in the gradebook.

:class:`InertHTML` rewrites a notebook so that nothing in it can run: Markdown and HTML are
cleaned to an allow-list of plain formatting tags and attributes (no scripts, no event handlers,
no frames, no forms, no styles, links only to ``http``, ``https`` and ``mailto``); outputs keep
only inert types (text, PNG/JPEG/GIF images, cleaned HTML); everything else is dropped. It runs
at the end of autograde (so ``autograded/`` holds the cleaned notebook), in generate_feedback,
and in every HTML export, formgrader's included (``c.HTMLExporter.preprocessors``), so a
notebook that skipped the first step is cleaned at the second.
"""

from __future__ import annotations

import re
from typing import Any

import bleach
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"],
    "table": ["class"],
    "div": ["class"],
    "span": ["class"],
}
PROTOCOLS = frozenset({"http", "https", "mailto"})
INERT_OUTPUTS = ("text/plain", "image/png", "image/jpeg", "image/gif")
HTML_OUTPUTS = ("text/html", "text/markdown")
RASTER_ATTACHMENTS = ("image/png", "image/jpeg", "image/gif")
# A 1x1 transparent PNG, base64: stands in for an attachment that is not shown.
BLANK_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def clean_html(text: str) -> str:
    """``text`` with every tag outside the allow-list escaped, so that it shows as text."""
    return bleach.clean(
        text,
        tags=TAGS,
        attributes=ATTRIBUTES,
        protocols=PROTOCOLS,
        strip=False,
        strip_comments=True,
    )


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def inert_output(output: NotebookNode) -> NotebookNode | None:
    """The output with only inert data left, or ``None`` if nothing inert remains."""
    if output.get("output_type") not in ("display_data", "execute_result", "update_display_data"):
        return output  # stream and error outputs are text; templates escape them
    data = output.get("data", {})
    kept = {key: data[key] for key in INERT_OUTPUTS if key in data}
    for key in HTML_OUTPUTS:
        if key in data and "text/plain" not in kept:
            kept["text/html"] = clean_html(_joined(data[key]))
    output["data"] = kept
    output["metadata"] = {}
    return output if kept else None


def make_inert(nb: NotebookNode) -> NotebookNode:
    """Clean every cell of ``nb`` in place (see the module docstring) and return it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            source = _joined(cell.source)
            if re.search(r"<[A-Za-z!/?]", source):
                cell.source = clean_html(source)
            # Only raster images stay. Every "attachment:NAME" the text refers to must still
            # resolve, or nbconvert's HTML export fails for this notebook: a blank pixel stands
            # in for what was dropped (or never attached).
            attachments = cell.get("attachments", {})
            for name, kinds in list(attachments.items()):
                raster = {k: v for k, v in kinds.items() if k in RASTER_ATTACHMENTS}
                attachments[name] = raster or {"image/png": BLANK_PNG}
            for name in re.findall(r"attachment:([^\s)\"'>]+)", _joined(cell.source)):
                attachments.setdefault(name, {"image/png": BLANK_PNG})
            if attachments:
                cell["attachments"] = attachments
        elif cell.cell_type == "raw":
            # A raw cell marked text/html is pasted into the page as it is; shown as text instead.
            cell.metadata.pop("format", None)
            cell.metadata.pop("raw_mimetype", None)
            cell.source = clean_html(_joined(cell.source))
        elif cell.cell_type == "code":
            kept = []
            for output in cell.get("outputs", []):
                inert = inert_output(output)
                if inert is not None:
                    kept.append(inert)
            cell.outputs = kept
        cell.metadata.pop("widgets", None)
    nb.metadata.pop("widgets", None)
    return nb


class InertHTML(Preprocessor):
    """nbconvert/nbgrader preprocessor: :func:`make_inert` on the whole notebook."""

    # nbconvert's preprocessors are off unless enabled, and nbgrader registers its lists
    # without enabling them: this one must never be skipped.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        return make_inert(nb), resources
