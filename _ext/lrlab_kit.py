"""The course kit: every lecture as a plain Jupyter notebook, zipped with the lrlab wheel.

A student's Jupyter (JupyterLab, Notebook 7, VS Code, Colab) knows no MyST: directives, roles,
``(label)=`` targets and ``glue`` would show as raw text or fail. So the kit's notebooks are
not converted from the ``.md`` sources but written from what the book itself shows: the
*resolved* doctree of each page (glued values written in, cross-references turned into the
numbers and titles the book prints, citations into "Author (year)"), with the code cells and
their outputs taken from the notebook the build executed.

Per page (``doctree-resolved``) the notebook is written to ``_build/kit/lectures/``, so an
incremental build keeps the kit notebooks of pages it did not rewrite. At ``build-finished``
the kit is zipped into ``_build/html/course-kit.zip`` with the ``lrlab`` wheel, a
``requirements.txt``, a README, and the released homework notebooks; the book's ``.ipynb``
download buttons then give the kit notebook too.
"""

from __future__ import annotations

import ast
import base64
import json
import mimetypes
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
KIT_ZIP = "course-kit.zip"
TORCH_PIN = "torch==2.13.0"
BINDER_KIT = "kit"  # where binder/postBuild unpacks the kit


# ---------------------------------------------------------------------------------------
# Which pages are lectures, and where the build keeps things


def kit_dir(app: Sphinx) -> Path:
    return Path(app.outdir).parent / "kit"


def executed_notebook(app: Sphinx, docname: str) -> Path:
    # MyST-NB writes every executed notebook here (myst_nb.sphinx_ext.OUTPUT_FOLDER).
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def is_lecture(app: Sphinx, docname: str) -> bool:
    """A lecture: a notebook page under lectures/ (homework pages only wrap the assignment)."""
    name = Path(docname).name
    return (
        docname.startswith("lectures/")
        and not name.startswith("homework_")
        and executed_notebook(app, docname).exists()
    )


# ---------------------------------------------------------------------------------------
# Doctree -> Markdown


def _classname(node: nodes.Node) -> str:
    return type(node).__name__


class NotebookWriter:
    """Walks one resolved page doctree and collects notebook cells.

    Markdown is produced from the nodes the book renders; code cells come from the executed
    notebook, by the cell index MyST-NB keeps on each code-cell container.
    """

    def __init__(self, app: Sphinx, docname: str, executed: dict) -> None:
        self.app = app
        self.docname = docname
        self.executed = executed
        self.fignumbers: dict[str, dict[str, tuple[int, ...]]] = app.env.toc_fignumbers.get(
            docname, {}
        )
        self.secnumbers: dict[str, tuple[int, ...]] = app.env.toc_secnumbers.get(docname, {})
        self.cells: list[dict[str, Any]] = []
        self.markdown: list[str] = []
        self.cited: dict[str, str] = {}  # citation anchor -> text shown in the book

    # -- cells ----------------------------------------------------------------------------

    def flush(self) -> None:
        text = "\n\n".join(part for part in self.markdown if part.strip()).strip()
        self.markdown = []
        if text:
            self.cells.append({"cell_type": "markdown", "metadata": {}, "source": text})

    def code_cell(self, container: nodes.Element) -> None:
        self.flush()
        cell = self.executed["cells"][container["cell_index"]]
        source = student_code("".join(cell["source"]))
        if not source.strip():
            return
        tags = set(cell.get("metadata", {}).get("tags", []))
        metadata: dict[str, Any] = {}
        if tags & {"hide-input", "remove-input"}:
            metadata["jupyter"] = {"source_hidden": True}
        outputs = [] if tags & {"remove-output"} else cell.get("outputs", [])
        self.cells.append(
            {
                "cell_type": "code",
                "execution_count": cell.get("execution_count"),
                "metadata": metadata,
                "outputs": [strip_output(o) for o in outputs],
                "source": source,
            }
        )
        for figure in container.findall(nodes.figure):
            caption = next(iter(figure.findall(nodes.caption)), None)
            if caption is not None:
                self.markdown.append(
                    f"**{self.number_label(figure, 'figure')}** {self.inline(caption)}"
                )

    # -- numbers --------------------------------------------------------------------------

    def number(self, node: nodes.Element, kind: str) -> str:
        for node_id in node.get("ids", []):
            found = self.fignumbers.get(kind, {}).get(node_id)
            if found:
                return ".".join(map(str, found))
        return ""

    def number_label(self, node: nodes.Element, kind: str) -> str:
        prefix = {"figure": "Fig.", "table": "Table", "code-block": "Listing"}[kind]
        number = self.number(node, kind)
        return f"{prefix} {number}" if number else prefix

    # -- inline ---------------------------------------------------------------------------

    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return str(node)
        name = _classname(node)
        if isinstance(node, nodes.math):
            return f"${node.astext()}$"
        if isinstance(node, nodes.literal):
            text = node.astext()
            fence = "``" if "`" in text else "`"
            return f"{fence}{text}{fence}"
        if isinstance(node, nodes.emphasis):
            return f"*{self.inlines(node)}*"
        if isinstance(node, nodes.strong):
            return f"**{self.inlines(node)}**"
        if isinstance(node, nodes.reference):
            return self.reference(node)
        if isinstance(node, nodes.footnote_reference):
            return f"[{node.astext()}]"
        if isinstance(node, nodes.raw):
            return node.astext() if "html" in node.get("format", "") else ""
        if isinstance(node, nodes.image):
            return self.image(node)
        if isinstance(node, nodes.target | nodes.substitution_definition | nodes.comment):
            return ""
        if name in {"index", "pending_xref"}:
            return self.inlines(node) if name == "pending_xref" else ""
        return self.inlines(node)

    def inlines(self, node: nodes.Node) -> str:
        return "".join(self.inline(child) for child in node.children)

    def reference(self, node: nodes.Element) -> str:
        text = self.inlines(node)
        uri = node.get("refuri", "")
        if uri.startswith(("http://", "https://", "mailto:")):
            return f"[{text}]({uri})"
        page, _, anchor = uri.partition("#")
        if page.split("/")[-1].startswith("references.html"):
            # A citation: the book shows "Author (year)"; the list goes at the end.
            self.cited.setdefault(anchor, node.astext())
            return text
        target = (Path(self.docname).parent / page).as_posix() if page else ""
        target = target.removesuffix(".html")
        if page and target != self.docname and is_lecture(self.app, normalise(target)):
            # Another lecture: its kit notebook sits next to this one.
            return f"[{text}]({Path(normalise(target)).name}.ipynb)"
        return text

    def image(self, node: nodes.Element) -> str:
        uri = node.get("uri", "")
        path = Path(self.app.srcdir) / uri
        if not path.is_file():
            return ""
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        data = base64.b64encode(path.read_bytes()).decode()
        alt = node.get("alt", "")
        return f'<img src="data:{mime};base64,{data}" alt="{alt}" style="max-width:100%">'

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, node: nodes.Node, level: int) -> None:
        for child in node.children:
            self.block(child, level)

    def block(self, node: nodes.Node, level: int) -> None:
        name = _classname(node)
        if isinstance(node, nodes.Text):
            self.markdown.append(str(node))
        elif isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            self.code_cell(node)
        elif isinstance(node, nodes.section):
            self.section(node, level)
        elif isinstance(node, nodes.target | nodes.comment | nodes.substitution_definition):
            pass
        elif name in {"index", "solution_start_node", "solution_end_node", "exercise_end_node"}:
            pass
        elif isinstance(node, nodes.math_block):
            self.markdown.append(self.math_block(node))
        elif isinstance(node, nodes.literal_block):
            language = node.get("language", "")
            language = "" if language in {"default", "none"} else language
            self.markdown.append(f"```{language}\n{node.astext()}\n```")
        elif isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            self.markdown.append(self.list_block(node))
        elif isinstance(node, nodes.definition_list):
            self.markdown.append(self.definition_list(node))
        elif isinstance(node, nodes.table):
            self.markdown.append(self.table(node))
        elif isinstance(node, nodes.figure):
            self.markdown.append(self.figure(node))
        elif name.endswith("_node") and "realtype" in node:
            self.markdown.append(self.proof(node))
        elif name in {"exercise_node", "exercise_enumerable_node"}:
            self.markdown.append(self.exercise(node))
        elif name == "solution_node":
            self.markdown.append(self.details(node, self.title_text(node) or "Solution"))
        elif isinstance(node, nodes.container) and (
            "dropdown" in node.get("classes", []) or "toggle" in node.get("classes", [])
        ):
            self.markdown.append(self.details(node, self.title_text(node) or "Details"))
        elif isinstance(node, nodes.Admonition):
            title = self.title_text(node) or name.title()
            self.markdown.append(self.quoted(node, f"**{title}**"))
        elif isinstance(node, nodes.block_quote):
            self.markdown.append(self.quoted(node, ""))
        elif isinstance(node, nodes.rubric):
            self.markdown.append(f"**{self.inlines(node)}**")
        elif isinstance(node, nodes.footnote):
            label = node.children[0].astext() if node.children else ""
            self.markdown.append(f"[{label}] " + self.render(node.children[1:]))
        elif isinstance(node, nodes.raw):
            # Scripts are the book's own (thebe, the page's kernel name), not the lecture's.
            if "html" in node.get("format", "") and "<script" not in node.astext():
                self.markdown.append(node.astext())
        elif isinstance(node, nodes.TextElement):
            self.markdown.append(self.inlines(node))
        else:
            self.blocks(node, level)

    def render(self, children: list[nodes.Node], level: int = 3) -> str:
        """Markdown of some nodes, without cutting the notebook into cells."""
        saved, self.markdown = self.markdown, []
        for child in children:
            if isinstance(child, nodes.container) and child.get("nb_element") == "cell_code":
                # A code cell inside a box: show its source, since a cell cannot nest.
                cell = self.executed["cells"][child["cell_index"]]
                self.markdown.append(f"```python\n{student_code(''.join(cell['source']))}\n```")
            else:
                self.block(child, level)
        text = "\n\n".join(part for part in self.markdown if part.strip())
        self.markdown = saved
        return text

    def section(self, node: nodes.section, level: int) -> None:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        if title is None:
            self.blocks(node, level)
            return
        anchor = "#" + node["ids"][0] if level > 1 and node["ids"] else ""
        number = self.secnumbers.get(anchor) or (self.secnumbers.get("") if level == 1 else None)
        prefix = ".".join(map(str, number)) + " " if number else ""
        self.markdown.append("#" * min(level, 6) + " " + prefix + self.inlines(title))
        for child in node.children:
            if child is not title:
                self.block(child, level + 1)

    def math_block(self, node: nodes.Element) -> str:
        latex = node.astext().strip()
        number = self.number(node, "displaymath") or (
            str(node["number"]) if node.get("number") else ""
        )
        tag = f" \\tag{{{number}}}" if number else ""
        return f"$$\n{latex}{tag}\n$$"

    def list_block(self, node: nodes.Element) -> str:
        ordered = isinstance(node, nodes.enumerated_list)
        start = node.get("start", 1)
        items = []
        for i, item in enumerate(node.children):
            marker = f"{start + i}. " if ordered else "- "
            body = self.render(item.children)
            indent = " " * len(marker)
            items.append(marker + body.replace("\n", "\n" + indent))
        return "\n".join(items)

    def definition_list(self, node: nodes.Element) -> str:
        parts = []
        for item in node.children:
            term = next((c for c in item.children if isinstance(c, nodes.term)), None)
            definition = next((c for c in item.children if isinstance(c, nodes.definition)), None)
            head = f"**{self.inlines(term)}**" if term is not None else ""
            body = self.render(definition.children) if definition is not None else ""
            parts.append(f"{head}\n: {body}" if head else body)
        return "\n\n".join(parts)

    def table(self, node: nodes.Element) -> str:
        rows: list[list[str]] = []
        header_rows = 0
        for group in node.findall(nodes.thead):
            for row in group.findall(nodes.row):
                rows.append([self.cell_text(e) for e in row.children])
                header_rows += 1
        for group in node.findall(nodes.tbody):
            for row in group.findall(nodes.row):
                rows.append([self.cell_text(e) for e in row.children])
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        if header_rows == 0:
            rows.insert(0, [""] * width)
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        caption = ""
        if title is not None:
            caption = f"**{self.number_label(node, 'table')}** {self.inlines(title)}\n\n"
        return caption + "\n".join(lines)

    def cell_text(self, entry: nodes.Element) -> str:
        return self.render(entry.children).replace("\n", " ").replace("|", "\\|")

    def figure(self, node: nodes.Element) -> str:
        images = "".join(self.image(i) for i in node.findall(nodes.image))
        caption = next(iter(node.findall(nodes.caption)), None)
        text = self.inlines(caption) if caption is not None else ""
        return f"{images}\n\n**{self.number_label(node, 'figure')}** {text}".strip()

    def title_text(self, node: nodes.Element) -> str:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        return self.inlines(title).strip() if title is not None else ""

    def body_of(self, node: nodes.Element) -> str:
        return self.render([c for c in node.children if not isinstance(c, nodes.title)])

    def quoted(self, node: nodes.Element, head: str) -> str:
        body = self.body_of(node)
        text = f"{head}\n\n{body}" if head else body
        return "\n".join("> " + line if line else ">" for line in text.split("\n"))

    def details(self, node: nodes.Element, summary: str) -> str:
        # Blank lines around the body let Jupyter render the Markdown inside the HTML block.
        return f"<details>\n<summary>{summary}</summary>\n\n{self.body_of(node)}\n\n</details>"

    def proof(self, node: nodes.Element) -> str:
        kind = node.get("realtype", "").title()
        number = self.number(node, node.get("countertype", ""))
        title = self.title_text(node)
        head = f"**{kind} {number}**".replace(" **", "**") if number else f"**{kind}**"
        if title:
            head += f" {title}" if title.startswith("(") else f" ({title})"
        return self.quoted(node, head)

    def exercise(self, node: nodes.Element) -> str:
        number = self.number(node, "exercise")
        head = f"**Exercise {number}**" if number else "**Exercise**"
        title = self.title_text(node)
        title = title.removeprefix("Exercise").strip()
        if title:
            head += f" ({title.strip('()')})"
        return self.quoted(node, head)


def normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in {"", "."}:
            parts.append(part)
    return "/".join(parts)


# ---------------------------------------------------------------------------------------
# Code cells: the lecture's code, without the book's plumbing


def student_code(source: str) -> str:
    """The cell's code without ``glue``: its values are already written into the prose."""
    lines = source.split("\n")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # IPython magics: leave the cell as the book shows it
    drop: set[int] = set()
    empty_bodies: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "myst_nb":
            drop.update(range(node.lineno - 1, node.end_lineno))
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            glued = [s for s in body if is_glue_call(s)]
            for statement in glued:
                drop.update(range(statement.lineno - 1, statement.end_lineno))
            if glued and len(glued) == len(body) and not isinstance(node, ast.Module):
                empty_bodies.append(glued[0].lineno - 1)
    kept = []
    for i, line in enumerate(lines):
        if i in empty_bodies:
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(f"{indent}pass")
        elif i not in drop:
            kept.append(line)
    text = "\n".join(kept)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip("\n")


def is_glue_call(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id == "glue"
    )


def strip_output(output: dict) -> dict:
    # MyST-NB's glue outputs carry a scrapbook-style metadata key that means nothing outside
    # the book; everything else is kept as executed.
    output = dict(output)
    if "metadata" in output:
        output["metadata"] = {k: v for k, v in output["metadata"].items() if k != "scrapbook"}
    return output


# ---------------------------------------------------------------------------------------
# Sphinx events


def write_kit_notebook(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or not is_lecture(app, docname):
        return
    executed = json.loads(executed_notebook(app, docname).read_text(encoding="utf-8"))
    writer = NotebookWriter(app, docname, executed)
    writer.blocks(doctree, 1)
    writer.flush()
    if writer.cited:
        writer.cells.append(
            {"cell_type": "markdown", "metadata": {}, "source": references(app, writer.cited)}
        )
    notebook = {
        "cells": [dict(c, id=f"cell-{i}") for i, c in enumerate(writer.cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    target = kit_dir(app) / f"{docname}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def references(app: Sphinx, cited: dict[str, str]) -> str:
    """The reference list for one notebook, in the book's author-year style."""
    domain = app.env.get_domain("cite")
    entries: dict[str, str] = {}
    for citation in getattr(domain, "citations", []):
        if citation.citation_id in cited:
            # Plain text: pybtex's Markdown backend escapes every period and parenthesis.
            text = citation.formatted_entry.text.render_as("text")
            entries[citation.citation_id] = " ".join(text.split())
    lines = ["## References", ""]
    for anchor, shown in sorted(cited.items(), key=lambda item: item[1]):
        lines.append(f"- {entries.get(anchor, shown)}")
    return "\n".join(lines)


def kit_lectures(app: Sphinx) -> list[str]:
    """Lecture docnames in table-of-contents order."""
    order = list(getattr(app.env, "all_docs", {}))
    toc = getattr(app.env, "external_site_map", None)
    if toc is not None:
        order = [name for name in toc if name in order]
    return [name for name in order if is_lecture(app, name)]


def homework_notebooks(srcdir: Path) -> dict[str, Path]:
    """Released student notebooks: homework/student/*.ipynb, else the book's one copy."""
    released = sorted((srcdir / "homework" / "student").glob("*.ipynb"))
    if released:
        return {path.name: path for path in released}
    legacy = srcdir / "lectures" / "one_cycle_student.ipynb"
    return {"one_cycle.ipynb": legacy} if legacy.is_file() else {}


def build_wheel(srcdir: Path, outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("lrlab-*.whl"):
        old.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(srcdir)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the lrlab wheel failed:\n{done.stdout}\n{done.stderr}")
    # build leaves a build/ folder and an egg-info in the source tree; the book is not the place
    shutil.rmtree(srcdir / "build", ignore_errors=True)
    (wheel,) = outdir.glob("lrlab-*.whl")
    return wheel


KIT_README = """# {title}: the course kit

Every lecture of the book as a Jupyter notebook (`lectures/`, executed, with outputs), the
homework (`homework/`), and the `lrlab` package the lectures use (the `.whl` file).
You need Python 3.11 or newer. In this folder:

```bash
python -m venv .venv && .venv/bin/pip install -r requirements.txt
OMP_NUM_THREADS=1 .venv/bin/jupyter lab lectures
```

On Windows the two commands are `py -m venv .venv` then `.venv\\Scripts\\pip install -r
requirements.txt`, and `set OMP_NUM_THREADS=1` then `.venv\\Scripts\\jupyter lab lectures`.
`OMP_NUM_THREADS=1` gives torch one thread: usually the fastest for the course's tiny models,
and the one the book's numbers and the homework grader use (more threads can move a training
result by a few images).

`requirements.txt` pins `{torch}`, the version the lectures' numbers come from. On Linux,
pip's default torch wheel brings several GB of CUDA libraries you do not need for this course:
first run `.venv/bin/pip install {torch} --index-url https://download.pytorch.org/whl/cpu`,
then the install above.

Run a lecture top to bottom (Run > Run All Cells); the sliders of the schedule explorers work
without a network.
"""


def kit_requirements(wheel: Path) -> str:
    return f"""# The course kit's install: pip install -r requirements.txt (from this folder).
# The lrlab package (the wheel next to this file) and everything it imports:
./{wheel.name}
# The version the lectures were computed with. Its CPU-only wheel is much smaller; get it first:
#   pip install {TORCH_PIN} --index-url https://download.pytorch.org/whl/cpu
{TORCH_PIN}
# Where to run the notebooks
jupyterlab>=4
"""


def write_kit_zip(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    staging = kit_dir(app)
    wheel = build_wheel(Path(app.srcdir), staging / "dist")
    lectures = kit_lectures(app)
    target = Path(app.outdir) / KIT_ZIP
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as kit:
        kit.writestr(
            "README.md",
            KIT_README.format(title=app.config.html_title or app.config.project, torch=TORCH_PIN),
        )
        kit.writestr("requirements.txt", kit_requirements(wheel))
        kit.write(wheel, wheel.name)
        for docname in lectures:
            notebook = staging / f"{docname}.ipynb"
            kit.write(notebook, f"lectures/{Path(docname).name}.ipynb")
            # The page's download button gives the same notebook as the kit.
            download = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
            if download.parent.is_dir():
                shutil.copy(notebook, download)
        for name, path in homework_notebooks(Path(app.srcdir)).items():
            kit.write(path, f"homework/{name}")
    logger.info(f"course kit: {target} ({len(lectures)} lectures)")


def link_kit(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    # Every lecture page says where its runnable notebook is; the intro page has its own section.
    if doctree is None or not is_lecture(app, pagename) or "body" not in context:
        return
    href = context["pathto"](KIT_ZIP, 1)
    context["body"] = (
        '<p class="lrlab-kit-link">Run this lecture on your computer: the '
        f'<a href="{href}">course kit</a> (all lectures as notebooks, and the lrlab package).'
        "</p>\n" + context["body"]
    )


def launch_kit_notebooks(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    # The theme's Binder link opens the page's source, a .md that JupyterLab shows as MyST
    # text. binder/postBuild unpacks the kit into kit/, so the link opens the kit notebook.
    if not is_lecture(app, pagename):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            head, found, _ = button.get("url", "").partition("urlpath=")
            if found:
                notebook = f"{BINDER_KIT}/lectures/{Path(pagename).name}.ipynb"
                button["url"] = f"{head}urlpath=lab/tree/{notebook}"


def quiet_plotly_json(app: Sphinx, config) -> None:
    # lrlab's explorers output plotly's JSON (what JupyterLab draws, and what the kit keeps)
    # next to the HTML the book shows. MyST-NB renders the HTML but warns at parse time about
    # each mime type it cannot render, which -W makes an error; there is no finer switch than
    # this subtype.
    config.suppress_warnings = [*config.suppress_warnings, "mystnb.unknown_mime_type"]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", quiet_plotly_json)
    app.connect("doctree-resolved", write_kit_notebook)
    app.connect("html-page-context", link_kit)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", launch_kit_notebooks, priority=502)
    app.connect("build-finished", write_kit_zip)
    return {"parallel_read_safe": True, "parallel_write_safe": False, "version": "1"}
