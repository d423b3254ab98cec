"""The course kit and the lrlab wheel, as a student installs them (issue 9, items 1-3).

* the kit's lrlab wheel (``python -m build``, in the book build), alone in a fresh venv,
  makes every lrlab module work;
* the book build's ``course-kit.zip`` holds what its README promises, installs into a fresh
  venv from its own ``requirements.txt``, and every lecture runs there top to bottom, with no
  book tool and no repository in reach;
* the kit notebooks read in any Jupyter: no MyST syntax, numbers and glued values written in.

Slow: one cold book build (shared ``cold_book``), one venv, every lecture executed once.
"""

from __future__ import annotations

import json
import os
import pkgutil
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.book_build import REPO
from tests.kit_env import (
    BOOK_ONLY_MODULES,
    KIT_ZIP,
    KitVenv,
    run_notebook,
    student_env,
    toc_lectures,
)

pytestmark = pytest.mark.book

LECTURES = toc_lectures()

# MyST that plain Jupyter shows raw: directive fences, roles, targets, substitutions.
MYST_SYNTAX = {
    "directive fence": re.compile(r"^\s*(`{3,}|:{3,})\s*\{[\w:-]+\}", re.MULTILINE),
    "role": re.compile(r"\{[\w:-]+\}`"),
    "(label)= target": re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.MULTILINE),
    "substitution": re.compile(r"\{\{\s*\w+\s*\}\}"),
}
FENCED_CODE = re.compile(r"^```[^\n]*\n.*?^```\s*$", re.MULTILINE | re.DOTALL)


def test_the_wheel_alone_makes_every_lrlab_module_work(kit_venv: KitVenv) -> None:
    # The kit's wheel comes from `python -m build` in the book build (_ext/lrlab_kit.py); the
    # kit venv ran WHEEL_SMOKE with that wheel alone installed, before anything else.
    done = kit_venv.wheel_alone
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("ok")
    in_repository = pkgutil.iter_modules([str(REPO / "code" / "lrlab")])
    shipped = {m.name for m in in_repository if not m.name.startswith("_")}
    assert set(done.stdout.split("\n")[0].split()[1:]) == shipped


@pytest.fixture(scope="module")
def book_html(course_kit: Path, request: pytest.FixtureRequest) -> Path:
    """The built book the kit came from."""
    if os.environ.get("LRLAB_KIT_ZIP"):
        return Path(os.environ["LRLAB_KIT_ZIP"]).parent
    return request.getfixturevalue("cold_book").html


def test_the_kit_holds_what_its_readme_promises(book_html: Path, course_kit: Path) -> None:
    with zipfile.ZipFile(book_html / KIT_ZIP) as kit:
        names = set(kit.namelist())
    (wheel,) = [n for n in names if n.endswith(".whl")]
    assert wheel.startswith("lrlab-")
    assert {f"lectures/{name}.ipynb" for name in LECTURES} == {
        n for n in names if n.startswith("lectures/")
    }
    homework = {n for n in names if n.startswith("homework/")}
    assert homework and all(n.endswith(".ipynb") for n in homework)
    requirements = (course_kit / "requirements.txt").read_text()
    assert f"./{wheel}" in requirements.split()
    assert "torch==2.13.0" in requirements.split()
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "jupyterlab" in requirements
    readme = (course_kit / "README.md").read_text()
    assert "pip install -r requirements.txt" in readme and "jupyter lab" in readme
    for name in LECTURES:
        notebook = json.loads((course_kit / "lectures" / f"{name}.ipynb").read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert any(c["outputs"] for c in code), f"{name} is not executed in the kit"


def test_the_kit_venv_has_lrlab_but_no_book_tools(kit_venv: KitVenv, course_kit: Path) -> None:
    probe = (
        "import importlib.util, lrlab\n"
        f"print(lrlab.__file__)\n"
        f"print([m for m in {BOOK_ONLY_MODULES!r} if importlib.util.find_spec(m)])\n"
    )
    env = student_env(course_kit.parent / "probe-home")
    done = subprocess.run(
        [str(kit_venv.path / "bin" / "python"), "-c", probe],
        cwd=course_kit,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    location, found = done.stdout.splitlines()
    assert Path(location).is_relative_to(kit_venv.path)
    assert found == "[]", f"the kit venv can import book or grading tools: {found}"


@pytest.mark.parametrize("lecture", LECTURES)
def test_every_lecture_runs_in_the_kit(
    lecture: str, kit_venv: KitVenv, course_kit: Path, tmp_path: Path
) -> None:
    env = student_env(tmp_path / "home")
    seconds = run_notebook(
        kit_venv.path, course_kit / "lectures" / f"{lecture}.ipynb", tmp_path, env
    )
    print(f"{lecture}: {seconds:.1f} s in the kit venv")


def markdown_cells(notebook: dict) -> list[str]:
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("lecture", LECTURES)
def test_kit_notebooks_read_in_plain_jupyter(
    lecture: str, book_html: Path, course_kit: Path
) -> None:
    notebook = json.loads((course_kit / "lectures" / f"{lecture}.ipynb").read_text())
    markdown = "\n\n".join(markdown_cells(notebook))
    # Code shown as code (literalinclude of lrlab's source, with its docstrings) is not MyST.
    prose = FENCED_CODE.sub("", markdown)
    for what, pattern in MYST_SYNTAX.items():
        found = pattern.findall(prose)
        assert not found, f"{lecture}: MyST {what} in the kit notebook: {found[:3]}"
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert "myst_nb" not in code and "glue(" not in code
    assert "lrlab fingerprint" not in code, "a remove-cell cell reached the kit"

    source = (REPO / "lectures" / f"{lecture}.md").read_text(encoding="utf-8")
    page = BeautifulSoup(
        (book_html / "lectures" / f"{lecture}.html").read_text(encoding="utf-8"),
        "html.parser",
    )
    flat = " ".join(markdown.split())
    # Every value the book glues into its prose is written into the notebook's prose.
    for pasted in page.select("span.pasted-text"):
        assert " ".join(pasted.get_text().split()) in flat, (lecture, pasted.get_text())
    # Definitions and figures carry the numbers the book shows.
    for title in page.select("div.proof p.admonition-title span.caption-number"):
        assert f"**{title.get_text().strip()}**" in markdown, (lecture, title.get_text())
    for number in page.select("figure span.caption-number"):
        label = number.get_text().strip()
        assert f"**{label}**" in markdown, (lecture, label)
    if "{cite" in source:
        assert "## References" in markdown
    if "{solution" in source:
        assert "<details>" in markdown


def test_book_links_the_kit_and_downloads_kit_notebooks(book_html: Path, course_kit: Path) -> None:
    intro = BeautifulSoup((book_html / "intro.html").read_text(), "html.parser")
    heading = next(h for h in intro.find_all(["h2", "h3"]) if "on your computer" in h.get_text())
    section = heading.find_parent("section")
    assert section.find("a", href=KIT_ZIP) is not None
    for name in LECTURES:
        page = (book_html / "lectures" / f"{name}.html").read_text()
        assert f'href="../{KIT_ZIP}"' in page, f"{name} does not link the course kit"
        download = book_html / "_sources" / "lectures" / f"{name}.ipynb"
        assert download.read_text() == (course_kit / "lectures" / f"{name}.ipynb").read_text()
