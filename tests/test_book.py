"""The book build is the integration test: build it from scratch and read the HTML a reader gets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.book_build import REPO, Build, build

pytestmark = pytest.mark.book

TOC = yaml.safe_load((REPO / "_toc.yml").read_text())
PAGES = [chapter["file"] for part in TOC["parts"] for chapter in part["chapters"]]
LECTURES = [page for page in PAGES if page.startswith("lectures/")]
# Pages that teach with definitions and executed figures (the homework pages show
# notebooks that are deliberately not executed; the execution table is generated).
HOMEWORK_PAGES = [p for p in LECTURES if p.startswith("lectures/homework_")]
TEACHING = [p for p in LECTURES if p not in (*HOMEWORK_PAGES, "lectures/execution_times")]
IMPORTS_LRLAB = re.compile(r"^\s*(?:import lrlab|from lrlab[\s.])", re.MULTILINE)


def soup(build_: Build, page: str) -> BeautifulSoup:
    return BeautifulSoup((build_.html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def test_build_passes_without_warnings(cold_book: Build) -> None:
    assert "build succeeded." in cold_book.log
    # Sphinx's own warnings and errors; the kernel's "[IPKernelApp] WARNING | running over
    # TCP" banner is ipykernel talking about the local transport, not about the book.
    problems = [line for line in cold_book.log.splitlines() if re.search(r"(WARNING|ERROR):", line)]
    assert problems == []


def test_every_notebook_page_executed_in_the_cold_build(cold_book: Build) -> None:
    notebooks = {
        f"{page}.md"
        for page in LECTURES
        if (REPO / f"{page}.md").read_text().startswith("---\njupytext:")
        and page not in HOMEWORK_PAGES
    }
    assert notebooks <= cold_book.executed_pages()


@pytest.mark.parametrize("page", ["intro", "references", *LECTURES])
def test_page_rendered(cold_book: Build, page: str) -> None:
    html = soup(cold_book, page)
    assert html.find("h1") is not None, f"{page} has no title"
    main = html.find("main") or html
    assert len(main.get_text(strip=True)) > 200, f"{page} is nearly empty"


@pytest.mark.parametrize("page", TEACHING)
def test_teaching_page_has_definitions_and_executed_figures(cold_book: Build, page: str) -> None:
    html = soup(cold_book, page)
    if page != "lectures/experiments":
        assert html.select("div.proof.definition"), f"{page} has no prf:definition"
    figures = html.select("figure img, div.cell_output img")
    assert figures, f"{page} has no figure from executed code"
    for img in figures:
        src = img["src"]
        if not src.startswith("data:"):
            assert (cold_book.html / Path(page).parent / src).resolve().is_file(), src


@pytest.mark.parametrize("page", PAGES)
def test_no_error_output_and_no_unresolved_references(cold_book: Build, page: str) -> None:
    html = soup(cold_book, page)
    assert not html.select(".output.traceback, .output.error"), f"traceback rendered on {page}"
    stderr = [out.get_text() for out in html.select(".output.stderr")]
    assert not stderr, f"stderr output on {page}: {stderr[:2]}"
    for output in html.select("div.cell_output"):
        # A Markdown table that a code cell printed but the renderer did not parse.
        assert not re.search(r"^\s*\|.*\|\s*$", output.get_text(), re.MULTILINE), (
            f"unrendered Markdown table in an output on {page}"
        )
    text = html.get_text()
    # Unresolved numbered references render as "???"; unresolved citations keep their key.
    assert "???" not in text
    assert not html.select("span.xref.missing, a.reference.internal:not([href])")


def test_cross_references_resolve_to_existing_targets(cold_book: Build) -> None:
    for page in PAGES:
        html = soup(cold_book, page)
        for link in html.select("main a.reference.internal[href]"):
            target, _, anchor = link["href"].partition("#")
            path = (cold_book.html / Path(page).parent / target).resolve() if target else None
            if path is not None:
                assert path.is_file(), f"{page}: link to missing {target}"
            if anchor:
                page_html = path.read_text(encoding="utf-8") if path else str(html)
                assert f'id="{anchor}"' in page_html, (
                    f"{page}: missing anchor #{anchor} in {target}"
                )


def test_pages_load_nothing_from_the_network(cold_book: Build) -> None:
    for page in PAGES:
        html = soup(cold_book, page)
        remote = [
            tag.get("src") or tag.get("href")
            for tag in html.select("script[src], link[rel=stylesheet], img[src]")
            if re.match(r"(https?:)?//", tag.get("src") or tag.get("href") or "")
        ]
        assert not remote, f"{page} loads {remote}"
    mathjax = cold_book.html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file()


def test_downloads_offer_notebook_and_markdown_without_build_plumbing(cold_book: Build) -> None:
    for page in TEACHING:
        source_md = cold_book.html / "_sources" / f"{page}.md"
        source_nb = cold_book.html / "_sources" / f"{page}.ipynb"
        assert source_md.is_file() and source_nb.is_file(), page
        notebook = json.loads(source_nb.read_text())
        assert not any("lrlab fingerprint" in "".join(c["source"]) for c in notebook["cells"])
        html = soup(cold_book, page)
        assert html.select_one("a.btn-download-notebook-button"), page


def test_homework_solutions_and_hidden_tests_never_reach_the_html(cold_book: Build) -> None:
    markers = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    for path in cold_book.html.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".md", ".txt", ".js", ".py"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(m in text for m in markers), path


def test_execution_times_table_lists_the_lectures(cold_book: Build) -> None:
    text = soup(cold_book, "lectures/execution_times").get_text()
    for page in TEACHING:
        assert Path(page).name in text, page


def test_cache_reexecutes_exactly_the_pages_that_import_lrlab(cold_book: Build) -> None:
    # An unchanged rebuild executes nothing.
    again = build(cold_book.root)
    assert again.returncode == 0, again.problems()
    assert again.executed_pages() == set()

    # Editing the package (MyST-NB #299: the cache alone keys on notebook code only) must
    # re-execute every page that imports lrlab, and nothing else.
    importing = {
        f"{page}.md"
        for page in LECTURES
        if IMPORTS_LRLAB.search((cold_book.root / f"{page}.md").read_text())
        and page not in HOMEWORK_PAGES
    }
    assert importing, "no page imports lrlab"
    schedules = cold_book.root / "code" / "lrlab" / "plotting.py"
    schedules.write_text(schedules.read_text() + "\n# an edit a maintainer might make\n")
    edited = build(cold_book.root)
    assert edited.returncode == 0, edited.problems()
    assert edited.executed_pages() == importing
