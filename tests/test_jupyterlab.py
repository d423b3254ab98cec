"""An explorer drawn by JupyterLab from the course kit, offline (issue 9, item 4).

A real JupyterLab server runs from the kit venv (tests/kit_env.py: a fresh venv with only the
kit's requirements) on localhost with token auth. Debian chromium, driven by Playwright, opens
a kit lecture that holds explorers, clears its outputs, runs all cells and saves. Then:

* the saved notebook has no error output (read back from disk, as nbformat JSON);
* the explorer is drawn by plotly's own JupyterLab renderer: a curve is on screen;
* moving a slider changes the curve;
* nothing was fetched from anywhere but the local server.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.chromium import launch
from tests.kit_env import KitVenv, student_env
from tests.local_server import free_port, wait_until_serving

pytestmark = pytest.mark.browser

# A short lecture with two explorers (warm-up, cyclic).
LECTURE = "warmup_cyclical"
RUN_TIMEOUT_S = 300
# Draw every cell, not only those in view, so the whole notebook can be inspected.
LAB_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}

VISIBLE_CURVES_JS = """
(plot) => Array.from(plot.querySelectorAll('.scatterlayer .trace'))
  .filter(t => getComputedStyle(t).opacity !== '0' && t.style.display !== 'none')
  .map(t => t.querySelector('path.js-line'))
  .filter(p => p && p.getAttribute('d') && getComputedStyle(p).strokeWidth !== '0px')
  .map(p => p.getAttribute('d'))
"""


@pytest.fixture(scope="module")
def lab(
    kit_venv: KitVenv, course_kit: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """JupyterLab from the kit venv, serving a copy of the unpacked kit; yields its URL."""
    home = tmp_path_factory.mktemp("lab-home")
    # A copy: the test saves the notebook it runs, and the kit tests read the original.
    root = shutil.copytree(course_kit, home / "kit")
    settings = tmp_path_factory.mktemp("lab-settings")
    (settings / "overrides.json").write_text(json.dumps(LAB_SETTINGS))
    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [
            str(kit_venv.path / "bin" / "jupyter"),
            "lab",
            "--no-browser",
            "--allow-root",  # CI runs as root; the server listens on localhost only
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.app_settings_dir={settings}",
        ],
        env=student_env(home),
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, token, server, (home / "server.log").read_text)
        yield f"{base}|{token}|{root}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def click_menu(page: Page, menu: str, command: str) -> None:
    """Choose a command from JupyterLab's menu bar, as a user would."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()


def test_an_explorer_draws_and_moves_in_jupyterlab(lab: str) -> None:
    base, token, root = lab.split("|")
    notebook = Path(root) / "lectures" / f"{LECTURE}.ipynb"
    assert "schedule_explorer(" in notebook.read_text()
    failed: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith((base, "data:", "blob:")):
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_local)
            page.goto(f"{base}/lab/tree/lectures/{LECTURE}.ipynb?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                timeout=120_000
            )
            # JupyterLab may ask which kernel to start; the notebook's own (python3) is offered.
            accept = page.locator(".jp-Dialog .jp-mod-accept")
            try:
                accept.wait_for(state="visible", timeout=15_000)
                accept.click()
            except PlaywrightTimeoutError:
                pass
            click_menu(page, "Edit", "editmenu:clear-all")
            assert page.locator(".js-plotly-plot").count() == 0
            click_menu(page, "Run", "runmenu:run-all")
            # Done when the kernel is idle again, some cell has run and none is queued ("[*]").
            # A cell that raises stops the run; the saved notebook below shows its error.
            page.wait_for_function(
                """() => {
                  const prompts = Array.from(
                    document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'))
                    .map(p => p.textContent);
                  const idle = document.querySelector(
                    ".jp-Notebook-ExecutionIndicator[data-status='idle']");
                  return idle && prompts.some(p => /\\d/.test(p))
                    && !prompts.some(p => p.includes('*'));
                }""",
                timeout=RUN_TIMEOUT_S * 1000,
            )
            page.keyboard.press("Control+s")
            page.wait_for_timeout(2000)

            saved = json.loads(notebook.read_text())
            outputs = [o for c in saved["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
            errors = [o for o in outputs if o["output_type"] == "error"]
            assert errors == [], f"error output in JupyterLab: {errors[0]['evalue']}"
            assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)

            plot = page.locator(".jp-OutputArea .js-plotly-plot").first
            plot.locator(".scatterlayer .trace").first.wait_for(state="attached")
            rail = plot.locator("rect.slider-rail-touch-rect").first
            # Mid-screen, clear of JupyterLab's notification toasts in the bottom corner; the
            # renderer resizes a figure when it comes into view, so let it settle first.
            rail.evaluate("rail => rail.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(1500)
            rail.evaluate("rail => rail.scrollIntoView({block: 'center'})")
            before = plot.evaluate(VISIBLE_CURVES_JS)
            assert len(before) == 1, f"the explorer draws {len(before)} curves, not one"
            assert rail.count() == 1, "the explorer has no slider"

            def click_rail(fraction: float) -> None:
                # Where the rail is now: the output may have moved since the last redraw.
                rail.evaluate("rail => rail.scrollIntoView({block: 'center'})")
                box = rail.bounding_box()
                assert box is not None
                page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)

            click_rail(0.005)
            page.wait_for_timeout(1000)
            start = plot.evaluate(VISIBLE_CURVES_JS)
            click_rail(0.995)
            for _ in range(20):  # plotly redraws asynchronously; a loaded machine takes a while
                page.wait_for_timeout(500)
                end = plot.evaluate(VISIBLE_CURVES_JS)
                if end != start:
                    break
            active = plot.evaluate("gd => gd.layout.sliders.map(s => s.active)")
            assert len(start) == len(end) == 1
            assert start != end, f"moving the slider did not change the curve (sliders at {active})"
            assert failed == [], f"JupyterLab fetched from the network: {failed[:3]}"
        finally:
            browser.close()
