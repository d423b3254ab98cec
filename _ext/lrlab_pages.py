"""The book's back matter: author-year reference labels, typeset reference titles, an index.

* sphinxcontrib-bibtex's default label style ("alpha") turns Goyal, Dollár, Girshick et al.
  into ``[GDollarG+17]`` while the text cites "Goyal et al., 2017". The ``authoryear``
  formatting style below labels each entry the way the text cites it.
* pybtex leaves ``$O(1/k^2)$`` in a title as plain text, and Sphinx loads MathJax only on
  pages whose doctree holds math. Reference titles get real math nodes, and their page is
  marked as having math.
* Every ``prf:definition`` becomes an index entry pointing at the definition, so the general
  index lists the defined terms; the ``defined-terms`` directive prints them as one list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from docutils import nodes
from pybtex.database import Entry, Person
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective

INLINE_MATH = re.compile(r"\$([^$]+)\$")
# "Adam (torch's form)" is indexed as "Adam": the qualifier says which variant, not the term.
TRAILING_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")


def _last_name(person: Person) -> str:
    # Through pybtex's LaTeX reader, so Doll{\'a}r reads Dollár.
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the text cites: "Polyak, 1964", "Kingma and Ba, 2015", "Goyal et al., 2017"."""

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [self.format_label(entry) for entry in entries]
        # Same authors, same year: 2017a, 2017b, as author-year styles do.
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in repeated:
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label]]}"
                seen[label] += 1
            else:
                yield label

    def format_label(self, entry: Entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_last_name(person) for person in people]
        if not names:
            who = entry.fields.get("key", entry.key)
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    """pybtex's "plain" formatting (sorted by author, year, title) with author-year labels."""

    default_label_style = "authoryear"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def typeset_math_in_citations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    found = False
    for citation in doctree.findall(nodes.citation):
        for text in list(citation.findall(nodes.Text)):
            if isinstance(text.parent, nodes.math) or not INLINE_MATH.search(text):
                continue
            pieces: list[nodes.Node] = []
            for i, part in enumerate(INLINE_MATH.split(str(text))):
                if i % 2:
                    pieces.append(nodes.math(part, part))
                elif part:
                    pieces.append(nodes.Text(part))
            text.parent.replace(text, pieces)
            found = True
    if found:
        # Sphinx decides at write time whether a page loads MathJax from this record.
        app.env.get_domain("math").data["has_equations"][docname] = True


def _definitions(node: nodes.Node) -> Iterator[nodes.Element]:
    for element in node.findall(nodes.Element):
        if element.get("realtype") == "definition" and element.get("title") and element["ids"]:
            yield element


def _term(title: str, title_format: str) -> str:
    # sphinx-proof stores the title as formatted for display, " (Adam (torch's form))".
    prefix, _, suffix = title_format.partition("%t")
    if prefix and title.startswith(prefix):
        title = title[len(prefix) :]
    if suffix and title.endswith(suffix):
        title = title[: -len(suffix)]
    return TRAILING_QUALIFIER.sub("", title).strip() or title.strip()


class IndexDefinitions(SphinxTransform):
    """Put an index entry on every definition, before Sphinx's domains collect the entries."""

    default_priority = 840  # SphinxDomains (which records index entries) runs at 850

    def apply(self, **kwargs: object) -> None:
        found = self.env.__dict__.setdefault("lrlab_definitions", {})
        found.pop(self.env.docname, None)
        # A list first: inserting index nodes while walking the tree would revisit nodes.
        for definition in list(_definitions(self.document)):
            term = _term(definition["title"], self.config.proof_title_format)
            target = definition["ids"][0]
            entry = addnodes.index(entries=[("single", term, target, "main", None)])
            definition.parent.insert(definition.parent.index(definition), entry)
            found.setdefault(self.env.docname, []).append((term, target))


class defined_terms(nodes.General, nodes.Element):
    """Placeholder for the list of defined terms, filled in once every page has been read."""


class DefinedTermsDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [defined_terms()]


def fill_defined_terms(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    found: dict[str, list[tuple[str, str]]] = getattr(app.env, "lrlab_definitions", {})
    terms = sorted(
        ((term, page, target) for page, items in found.items() for term, target in items),
        key=lambda item: item[0].casefold(),
    )
    for placeholder in list(doctree.findall(defined_terms)):
        listing = nodes.bullet_list(classes=["defined-terms"])
        for term, page, target in terms:
            uri = app.builder.get_relative_uri(docname, page) + "#" + target
            paragraph = nodes.paragraph()
            paragraph += nodes.reference(term, term, internal=True, refuri=uri)
            paragraph += nodes.Text(" — ")
            paragraph += nodes.Text(app.env.titles[page].astext())
            listing += nodes.list_item("", paragraph)
        placeholder.replace_self(listing)


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "lrlab_definitions", {}).pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    mine = env.__dict__.setdefault("lrlab_definitions", {})
    for docname, items in getattr(other, "lrlab_definitions", {}).items():
        if docname in docnames:
            mine[docname] = items


def rewrite_term_lists(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    # A page that lists every definition is out of date whenever any page changes.
    if not (added or changed or removed):
        return []
    return [name for name in env.found_docs if "defined-terms" in _source(env, name)]


def _source(env: BuildEnvironment, docname: str) -> str:
    try:
        return Path(env.doc2path(docname)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


# MathJax 3 cannot break lines. A display formula a little too wide for a phone is scaled down
# to fit, to no less than 75 % of its size (below that it is unreadable and must be stacked in
# the source instead; tests/test_browser.py fails on any formula that still does not fit).
FIT_FORMULAS_JS = """
(() => {
  const MIN_SCALE = 0.75;
  function fit() {
    document.querySelectorAll('div.math > mjx-container[display="true"]').forEach((box) => {
      box.style.removeProperty('font-size');
      if (box.scrollWidth - box.clientWidth <= 1) return;
      // Against the whole line: the equation number then wraps above a formula that needs it.
      const scale = box.parentElement.clientWidth / box.scrollWidth;
      if (scale < MIN_SCALE) return;
      const size = parseFloat(getComputedStyle(box).fontSize) * scale * 0.98;
      box.style.setProperty('font-size', `${size}px`, 'important');
    });
  }
  window.addEventListener('load', () => {
    if (!window.MathJax?.startup?.promise) return;
    MathJax.startup.promise.then(fit);
    let pending;
    window.addEventListener('resize', () => {
      clearTimeout(pending);
      pending = setTimeout(fit, 100);
    });
  });
})();
"""


def setup(app: Sphinx) -> dict:
    app.add_js_file(None, body=FIT_FORMULAS_JS)
    app.add_transform(IndexDefinitions)
    app.add_node(defined_terms)
    app.add_directive("defined-terms", DefinedTermsDirective)
    app.connect("doctree-resolved", typeset_math_in_citations)
    app.connect("doctree-resolved", fill_defined_terms)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", rewrite_term_lists)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
