"""A hostile submission opened by the instructor in formgrader, and its feedback, in chromium.

The course round trip is real: ``generate_assignment``, a hostile and a bystander submission,
the sandboxed ``autograde``, ``generate_feedback``; then a real Jupyter server with nbgrader's
formgrader runs from the throwaway course folder (as the instructor's guide says), and Debian
chromium, driven by Playwright, opens each student's submission page and feedback file.

The hostile notebook carries active content in every place a notebook can: ``<script>``, an
``onerror`` handler, an ``<iframe srcdoc>``, a ``<form>``, a ``javascript:`` link and an SVG
attachment in its written answer; a raw cell marked as HTML; and code outputs of type HTML,
JavaScript, SVG and Markdown. Each payload, if it ran, would record itself in ``window.top``,
ask the server for ``/pwned?<which>`` and try to write a file through Jupyter's API. The test
shows the answer's text was displayed, and that no payload ran, no request left, no file was
written and no score changed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import sync_playwright

from tests.chromium import launch
from tests.local_server import free_port, wait_until_serving

pytestmark = [pytest.mark.homework, pytest.mark.browser]

HOMEWORK = Path(__file__).resolve().parent.parent / "homework"
ASSIGNMENT = "one_cycle"
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded", "exports")


def payload(which: str) -> str:
    """JavaScript that leaves a trace of itself wherever it runs."""
    return (
        f"(window.top.__pwned = window.top.__pwned || []).push('{which}');"
        f"fetch('/pwned?{which}');"
        "fetch('/api/contents/pwned.txt', {method: 'PUT', headers: {'Content-Type': "
        "'application/json'}, body: JSON.stringify({type: 'file', format: 'text', "
        "content: 'x'})});"
    )


SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="{}"><rect width="5" height="5"/></svg>'
ANSWER_TEXT = "My answer: the rate rises, then anneals far below its start."
WRITTEN_ANSWER = f"""{ANSWER_TEXT}

<script>{payload("md-script")}</script>
<img src="x" onerror="{payload("md-onerror")}">
<iframe srcdoc="<script>{payload("md-iframe")}</script>"></iframe>
<form action="/pwned?md-form"><input name="q"><button>send</button></form>
<a href="javascript:{payload("md-link")}">read more</a>
[markdown link](javascript:{payload("md-mdlink")})

![diagram](attachment:evil.svg)
"""
OUTPUT_CELL = f"""from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML("<b>bold output</b><script>{payload("out-html")}</script>"))
display(Javascript("{payload("out-js")}"))
display(SVG('''{SVG.format(payload("out-svg"))}'''))
display(Markdown('<img src=x onerror="{payload("out-md")}">'))
print("plain output line")
"""


def hostile(release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(release)
    for index, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "explain_one_cycle":
            cell.source = WRITTEN_ANSWER
            svg = SVG.format(payload("md-svg-attachment"))
            cell["attachments"] = {
                "evil.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}
            }
        if grade_id == "setup":
            setup_index = index
    raw = nbformat.v4.new_raw_cell(f"<script>{payload('raw-cell')}</script>")
    raw.metadata["raw_mimetype"] = "text/html"
    raw.metadata["format"] = "text/html"
    nb.cells.insert(setup_index + 1, nbformat.v4.new_code_cell(OUTPUT_CELL))
    nb.cells.insert(setup_index + 2, raw)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course with a hostile and a bystander submission, autograded, with feedback."""
    root = tmp_path_factory.mktemp("formgrader") / "course"
    shutil.copytree(
        HOMEWORK,
        root,
        ignore=shutil.ignore_patterns(*GENERATED, "gradebook.db", "__pycache__"),
    )
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def nbgrader(*args: str) -> None:
        result = subprocess.run(
            ["nbgrader", *args], cwd=root, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    nbgrader("generate_assignment", ASSIGNMENT, "--force")
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student, nb in (("hostile", hostile(release)), ("bystander", release)):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    nbgrader("autograde", ASSIGNMENT)
    nbgrader("generate_feedback", ASSIGNMENT)
    return root


def scores(root: Path) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {
            student: (
                gb.find_submission(ASSIGNMENT, student).score,
                gb.find_submission(ASSIGNMENT, student).max_score,
            )
            for student in ("hostile", "bystander")
        }


def submission_id(root: Path, student: str) -> str:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id


@pytest.fixture(scope="module")
def server(graded: Path, tmp_path_factory: pytest.TempPathFactory):
    """Jupyter server with formgrader, started in the course folder as the guide says."""
    port, token = free_port(), "formgrader-test-token"
    # Its log goes to a file outside the course: a pipe nobody reads while the tests run
    # would fill up and stall the server.
    log = tmp_path_factory.mktemp("formgrader") / "server.log"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={graded}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI grades as root
        ],
        cwd=graded,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, token, process, log.read_text)
    yield base, token
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


def visit(browser, url: str, wait_ms: int = 3000) -> tuple[object, list[str], list[str]]:
    """Open ``url``; return the page, the traces payloads left, and their requests."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(wait_ms)
    traces = page.evaluate("() => window.__pwned || []")
    return page, [*traces, *dialogs], [u for u in requests if "pwned" in u]


def test_hostile_answer_is_shown_but_nothing_runs_in_formgrader(graded, server, browser) -> None:
    base, token = server
    before = scores(graded)
    page, traces, requests = visit(browser, f"{base}/formgrader?token={token}", wait_ms=500)
    page.context.close()
    for student in ("hostile", "bystander"):
        sid = submission_id(graded, student)
        page, traces, requests = visit(
            browser, f"{base}/formgrader/submissions/{sid}/?token={token}"
        )
        text = page.inner_text("body")
        if student == "hostile":
            assert ANSWER_TEXT in text  # the written answer reached the instructor's screen
            assert "<script>" in text or "&lt;script&gt;" in page.content()  # shown as text
            assert "plain output line" in text
        assert traces == [], f"{student}: payloads ran in formgrader: {traces}"
        assert requests == [], f"{student}: payloads sent requests: {requests}"
        page.context.close()
    assert not (graded / "pwned.txt").exists()
    assert scores(graded) == before


def test_feedback_of_a_hostile_submission_is_inert(graded, browser) -> None:
    feedback = graded / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    page, traces, requests = visit(browser, feedback.as_uri())
    assert ANSWER_TEXT in page.inner_text("body")
    assert traces == [], f"payloads ran in the feedback page: {traces}"
    assert requests == [], f"payloads sent requests: {requests}"
    page.context.close()


def test_autograded_notebook_holds_no_active_content(graded) -> None:
    nb = nbformat.read(
        graded / "autograded" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4
    )
    kinds = {
        key
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        for key in output.get("data", {})
    }
    assert kinds <= {"text/plain", "text/html", "image/png", "image/jpeg", "image/gif"}
    assert "text/html" not in {c.metadata.get("raw_mimetype") for c in nb.cells}
    attachments = [c.get("attachments", {}) for c in nb.cells if c.cell_type == "markdown"]
    assert all("image/svg+xml" not in kinds for a in attachments for kinds in a.values())
    answer = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "explain_one_cycle"
    )
    assert "<script>" not in answer.source and ANSWER_TEXT in answer.source
