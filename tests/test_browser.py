"""What a reader sees: every page of the built book in a real headless Chromium, offline.

Requests to anything but the local server are refused and counted as failures, so a page
that needs a CDN (MathJax, plotly.js, fonts) fails here the way it fails in a classroom
without network.

Every page is also read at a phone's width (390 px) and a desktop's (1280 px): no display
formula clipped or run into by its equation number, no sideways scroll, tables that scroll in
their own box, and figure text of at least 8 CSS px on the phone. Screenshots of every page at
both widths are kept in ``_build/screenshots/``.

To iterate on an existing build, point the tests at it instead of building a cold copy:
``LRLAB_BOOK_HTML=/path/to/_build/html pytest tests/test_browser.py``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from lrlab.plotting import BOOK_STYLE
from tests.book_build import REPO
from tests.chromium import launch
from tests.test_book import PAGES, TEACHING

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "_build" / "screenshots"
EXPLORER_PAGES = [
    "lectures/decay_schedules",
    "lectures/cosine_restarts",
    "lectures/warmup_cyclical",
]
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Every page a reader can open: the table of contents, the landing page and the index.
ALL_PAGES = ["intro", *PAGES, "genindex"]
# Smallest figure text a reader can still read on a phone, in CSS px.
MIN_FIGURE_TEXT_PX = 8.0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def html(request: pytest.FixtureRequest) -> Path:
    """The built book: the session's cold build, or LRLAB_BOOK_HTML when iterating."""
    if os.environ.get("LRLAB_BOOK_HTML"):
        return Path(os.environ["LRLAB_BOOK_HTML"])
    return request.getfixturevalue("cold_book").html


@pytest.fixture(scope="module")
def site(html: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


class Visit:
    """One page load with every console error, page error and failed request recorded."""

    def __init__(self, browser: Browser, site: str, page: str, viewport: dict) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))
        self.page.route("**/*", self._only_local(site))
        self.page.goto(f"{site}/{page}.html", wait_until="load")
        # Typesetting is asynchronous; wait for MathJax to finish before looking. Sphinx loads
        # MathJax only on pages that have math.
        if self.page.locator("script[src*='mathjax']").count():
            self.page.wait_for_function("window.MathJax?.startup?.promise")
            self.page.evaluate("MathJax.startup.promise")
        # Scroll through so lazily loaded images and figures are fetched too.
        self.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        self.page.wait_for_load_state("networkidle")

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _only_local(self, site: str):
        def handle(route) -> None:
            if route.request.url.startswith(site) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.failed.append(route.request.url)
                route.abort()

        return handle

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_reads_cleanly_offline(browser: Browser, site: str, html: Path, page: str) -> None:
    visit = Visit(browser, site, page, WIDE)
    try:
        assert visit.errors == [], visit.errors
        assert visit.failed == [], visit.failed
        broken = visit.page.evaluate(
            "Array.from(document.images)"
            ".filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src)"
        )
        assert broken == [], f"images not decoded: {broken}"
        if page in TEACHING:
            assert visit.page.locator("mjx-container").count() > 0, "no typeset math"
            # Prose only: code cells legitimately hold TeX strings for matplotlib labels.
            prose = visit.page.evaluate(
                "(() => { const main = document.querySelector('main').cloneNode(true);"
                " main.querySelectorAll('pre, code, .highlight').forEach(e => e.remove());"
                " return main.innerText; })()"
            )
            assert "\\alpha" not in prose and "$$" not in prose, "raw TeX left on the page"
            definitions = visit.page.locator("div.proof.definition")
            for i in range(definitions.count()):
                assert definitions.nth(i).is_visible()
        # The same load shows whether the page fits a desktop screen: one visit, not two.
        check_fit(visit, page, "wide", html)
    finally:
        visit.close()


def _visible_curves(page: Page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('.plotly-graph-div .scatterlayer .trace'))"
        ".filter(t => getComputedStyle(t).opacity !== '0' && t.style.display !== 'none')"
        ".map(t => (t.querySelector('path.js-line') || {getAttribute: () => ''})"
        ".getAttribute('d'))"
    )


@pytest.mark.parametrize("page", EXPLORER_PAGES)
def test_moving_an_explorer_slider_changes_the_curve(
    browser: Browser, site: str, page: str
) -> None:
    visit = Visit(browser, site, page, WIDE)
    try:
        plots = visit.page.locator(".plotly-graph-div")
        assert plots.count() > 0, f"no schedule explorer on {page}"
        plot = plots.first
        plot.scroll_into_view_if_needed()
        rail = plot.locator("rect.slider-rail-touch-rect").first
        assert rail.count() == 1, "the explorer has no slider"
        before = _visible_curves(visit.page)
        box = rail.bounding_box()
        assert box is not None
        # Drag the slider from its left end to its right end, as a reader would.
        visit.page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)
        start = _visible_curves(visit.page)
        visit.page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
        visit.page.wait_for_timeout(300)
        end = _visible_curves(visit.page)
        assert before and end
        assert start != end, "moving the slider did not change the plotted curve"
        assert visit.errors == [] and visit.failed == []
    finally:
        visit.close()


# Everything on a page that does not fit its box, as sentences. Display formulas are checked
# one by one: a formula box that scrolls or clips is what a reader sees as a cut formula, even
# when the page itself does not scroll. Sphinx floats the equation number (span.eqno) right of
# the formula; it must not cover the typeset formula (mjx-math).
FIT_PROBLEMS = """() => {
  const problems = [];
  const root = document.documentElement;
  const sideways = root.scrollWidth - root.clientWidth;
  if (sideways > 1) problems.push(`the page scrolls sideways by ${sideways}px`);
  const main = document.querySelector('main') || document.body;
  const column = main.getBoundingClientRect();
  const tex = (container) => {
    const items = MathJax.startup.document.getMathItemsWithin(container);
    return items.length ? items[0].math.trim().slice(0, 60) : '?';
  };
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  document.querySelectorAll('mjx-container[display="true"]').forEach((container) => {
    const box = container.closest('div.math') || container.parentElement;
    const name = `formula ${box.id || ''} "${tex(container)}"`;
    for (const el of new Set([container, box])) {
      const hidden = el.scrollWidth - el.clientWidth;
      if (hidden > 1) problems.push(`${name} is clipped by ${hidden}px`);
    }
    const formula = container.querySelector('mjx-math').getBoundingClientRect();
    const visible = box.getBoundingClientRect();
    if (formula.left < visible.left - 1 || formula.right > visible.right + 1)
      problems.push(`${name} sticks out of its box`);
    const number = box.querySelector(':scope > span.eqno');
    if (number && overlap(number.getBoundingClientRect(), formula))
      problems.push(`${name}: its equation number overlaps it`);
  });
  main.querySelectorAll('table').forEach((table, i) => {
    if (table.getBoundingClientRect().right <= column.right + 1) return;
    let el = table.parentElement;
    while (el && el !== main && !['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
      el = el.parentElement;
    if (!el || el === main)
      problems.push(`table ${i + 1} is wider than the column and does not scroll`);
  });
  return problems;
}"""

# Rendered size (CSS px) and natural size (image px) of every raster image in the article.
IMAGES = """() => Array.from(document.querySelectorAll('main img'))
  .filter(img => img.naturalWidth > 0 && new URL(img.src).pathname.endsWith('.png'))
  .map(img => ({path: new URL(img.src).pathname, shown: img.getBoundingClientRect().width,
                natural: img.naturalWidth}))"""

# Plotly draws its text as SVG in the page, so its size is read directly.
PLOTLY_TEXT_PX = """() => Array.from(document.querySelectorAll('.plotly-graph-div svg text'))
  .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map(t => parseFloat(getComputedStyle(t).fontSize))"""


def smallest_style_font_pt() -> float:
    """The smallest text size, in points, that the book's matplotlib style sets."""
    return min(
        float(value)
        for key, value in BOOK_STYLE.items()
        if key == "font.size" or key.endswith(("fontsize", "labelsize", "titlesize"))
        if not isinstance(value, str)
    )


def matplotlib_text_px(png: Path, shown: float, natural: float) -> float | None:
    """CSS px of the style's smallest text in a matplotlib PNG as the page shows it.

    The text is ``pt * dpi / 72`` image px tall in the saved file (matplotlib records its dpi
    in the PNG), and the page scales the image by ``shown / natural``. Images not written by
    matplotlib (logos, screenshots) give None. A PNG does not record its text sizes, so text a
    lecture sets smaller than the style by hand (``fontsize=8``) is not seen here.
    """
    with Image.open(png) as image:
        if "matplotlib" not in str(image.info.get("Software", "")).lower():
            return None
        dpi = float(image.info["dpi"][0])
    return shown / natural * smallest_style_font_pt() * dpi / 72


def check_fit(visit: Visit, page: str, viewport_name: str, html: Path) -> None:
    """Keep a full-page screenshot, then fail on anything that does not fit the screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{page.replace('/', '-')}-{viewport_name}.png"
    visit.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    problems = visit.page.evaluate(FIT_PROBLEMS)
    if viewport_name == "phone":
        for image in visit.page.evaluate(IMAGES):
            px = matplotlib_text_px(
                html / image["path"].lstrip("/"), image["shown"], image["natural"]
            )
            if px is not None and px < MIN_FIGURE_TEXT_PX:
                problems.append(f"figure text {px:.1f}px in {image['path']}")
        small = [px for px in visit.page.evaluate(PLOTLY_TEXT_PX) if px < MIN_FIGURE_TEXT_PX]
        if small:
            problems.append(f"explorer text of {min(small)}px")
    assert problems == [], f"{page} at {viewport_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_fits_a_phone(browser: Browser, site: str, html: Path, page: str) -> None:
    visit = Visit(browser, site, page, PHONE)
    try:
        check_fit(visit, page, "phone", html)
    finally:
        visit.close()


AUTHOR_YEAR = re.compile(r"^\[\D+, (\d{4}[a-z]?|n\.d\.)\]$")


def test_references_are_typeset_with_author_year_labels(browser: Browser, site: str) -> None:
    visit = Visit(browser, site, "references", WIDE)
    try:
        entries = visit.page.locator("div.citation")
        assert entries.count() > 0, "the references page lists nothing"
        labels = [
            label.strip()
            for label in visit.page.locator("div.citation > span.label").all_inner_texts()
        ]
        assert labels and all(AUTHOR_YEAR.match(label) for label in labels), labels
        text = visit.page.locator("div.citation").all_inner_texts()
        assert not [t for t in text if "$" in t], "raw TeX in a reference"
        assert visit.page.locator("div.citation mjx-container").count() > 0, "no typeset title"
    finally:
        visit.close()
    # The list labels an entry the way the text cites it: "[Kingma and Ba, 2015]".
    cited = Visit(browser, site, "lectures/adaptive_methods", WIDE)
    try:
        in_text = cited.page.evaluate(
            "Array.from(document.querySelectorAll('main a[href*=\"references\"]'))"
            ".map(a => a.closest('span') ? a.closest('span').innerText : a.innerText)"
        )
    finally:
        cited.close()
    assert any(label.strip("[]") in " ".join(in_text) for label in labels), in_text[:5]


def test_index_lists_every_defined_term(html: Path) -> None:
    index = BeautifulSoup((html / "genindex.html").read_text(encoding="utf-8"), "html.parser")
    listed = {(a.get_text(strip=True), a["href"]) for a in index.select("main a[href]")}
    defined = []
    for page in TEACHING:
        lecture = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for definition in lecture.select("div.proof.definition[id]"):
            defined.append((page, definition["id"]))
    assert defined, "no definitions found"
    hrefs = {href for _, href in listed}
    missing = [f"{page}#{ident}" for page, ident in defined if f"{page}.html#{ident}" not in hrefs]
    assert missing == [], f"definitions missing from the general index: {missing}"
