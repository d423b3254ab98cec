"""Release the homework: MyST sources -> nbgrader source notebooks -> student notebooks.

Each assignment is authored as a MyST notebook, ``homework/source/<a>/<a>.md`` (jupytext's
``myst`` format; nbgrader's cell metadata sits in the cell options), next to one shared module,
``homework/assignments/<a>.py``. This tool

1. converts each ``.md`` with jupytext into ``homework/source/<a>/<a>.ipynb``, the file
   nbgrader reads, filling in two kinds of marked lines from the assignment's module:

   * a line ``# <<include NAME>>`` becomes the source of ``NAME`` (a function, or a constant
     written as ``NAME = value``), so the reference solution and the helpers students run
     exist once, in the module;
   * a line ``VAR = function(literal arguments)  # <<generated>>`` becomes
     ``VAR = <the value it returns>``, so the hidden tests' cases are drawn by the module's
     seeded generator, here, and the notebook holds only plain literals;

   then formats the notebook with ruff, like every other Python file here. The generated
   ``.ipynb`` is committed (a clean clone can run ``nbgrader`` commands directly) and must
   not be edited by hand: ``tests/test_assignments.py`` checks it equals a fresh conversion;
2. with ``--release``, runs ``nbgrader generate_assignment <a> --force`` in ``homework/``
   (then ruff-formats the released notebook: nbgrader leaves blank lines where it cut the
   hidden tests) and copies ``release/<a>/<a>.ipynb`` to ``homework/student/<a>.ipynb``
   (the file students download, under the name they hand in), and writes
   ``lectures/<a>_student.md``, the same cells as plain MyST text for the book's homework
   page (code shown, never executed).

``make release`` runs ``python homework/tools/release.py --release``. ``--check`` exits 1 if
a committed generated file is out of date (release runs on a throwaway copy of the course).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import jupytext
import nbformat

HOMEWORK = Path(__file__).resolve().parents[1]
REPO = HOMEWORK.parent
LECTURES = REPO / "lectures"
STUDENT = HOMEWORK / "student"
INCLUDE = re.compile(r"^(?P<indent>\s*)# <<include (?P<names>[\w, ]+)>>\s*$")
GENERATED = re.compile(r"^(?P<indent>\s*)(?P<var>\w+) = (?P<call>.+?)\s+# <<generated>>\s*$")
# Throwaway copies of the course leave these out: nbgrader writes them.
NBGRADER_OUTPUTS = (
    "release", "submitted", "autograded", "feedback", "downloaded", "exports",
    "gradebook.db", "__pycache__", ".ipynb_checkpoints",
)  # fmt: skip


def assignments() -> list[str]:
    """Every assignment with a MyST source, in name order."""
    return sorted(
        p.parent.name for p in (HOMEWORK / "source").glob("*/*.md") if p.stem == p.parent.name
    )


def assignment_module(name: str) -> ModuleType:
    """``homework/assignments/<name>.py``, imported without writing bytecode into homework/."""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    if str(HOMEWORK) not in sys.path:
        sys.path.insert(0, str(HOMEWORK))
    try:
        return importlib.import_module(f"assignments.{name}")
    finally:
        sys.dont_write_bytecode = saved


def included(module: ModuleType, name: str, indent: str) -> str:
    value = getattr(module, name)
    if inspect.isfunction(value) or inspect.isclass(value):
        text = inspect.getsource(value).rstrip("\n")
    else:
        text = f"{name} = {value!r}"
    return "\n".join(indent + line if line else line for line in text.splitlines())


def generated(module: ModuleType, indent: str, var: str, call: str) -> str:
    """``var = <value of call>``; the call names a module function, with literal arguments."""
    node = ast.parse(call, mode="eval").body
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"a generated line must call one function of the module: {call!r}")
    args = [ast.literal_eval(a) for a in node.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    value = getattr(module, node.func.id)(*args, **kwargs)
    return f"{indent}{var} = {value!r}"


def expand(source: str, module: ModuleType) -> str:
    lines = []
    for line in source.splitlines():
        if m := INCLUDE.match(line):
            names = [n.strip() for n in m["names"].split(",") if n.strip()]
            lines.append("\n\n\n".join(included(module, n, m["indent"]) for n in names))
        elif m := GENERATED.match(line):
            lines.append(generated(module, m["indent"], m["var"], m["call"]))
        else:
            lines.append(line)
    return "\n".join(lines)


def source_notebook(name: str) -> str:
    """The text of ``source/<name>/<name>.ipynb`` made from the MyST source."""
    module = assignment_module(name)
    nb = jupytext.read(HOMEWORK / "source" / name / f"{name}.md", fmt="md:myst")
    for index, cell in enumerate(nb.cells):
        cell.source = expand(cell.source, module) if cell.cell_type == "code" else cell.source
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        # Stable cell ids: notebooks that students already hold keep matching.
        cell.id = grade_id.replace("_", "-") if grade_id else f"cell-{index}"
        cell.metadata.pop("editable", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return ruff_formatted(nbformat.writes(nb) + "\n", name)


def ruff_formatted(notebook_text: str, name: str) -> str:
    """The notebook with its code cells formatted by ruff, like every Python file here."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.ipynb"
        path.write_text(notebook_text)
        subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--quiet", "--config",
             str(REPO / "pyproject.toml"), str(path)],
            check=True,
        )  # fmt: skip
        return path.read_text()


def run_nbgrader_release(course: Path, name: str) -> str:
    """``nbgrader generate_assignment`` in ``course``; the released notebook's text."""
    env = dict(os.environ)
    # nbgrader creates the gradebook with `alembic`, which it looks up on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--quiet"],
        cwd=course,
        env=env,
        check=True,
    )
    released = course / "release" / name / f"{name}.ipynb"
    # nbgrader leaves a blank line where it cut the hidden tests; only whitespace changes.
    released.write_text(ruff_formatted(released.read_text(), name))
    return released.read_text()


def released_in_copy(names: list[str]) -> dict[str, str]:
    """What ``generate_assignment`` releases, run on a throwaway copy of the course."""
    with tempfile.TemporaryDirectory(prefix="lrlab-release-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(HOMEWORK, course, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUTS))
        return {name: run_nbgrader_release(course, name) for name in names}


def cell_label(cell: nbformat.NotebookNode) -> str:
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    points = nbgrader.get("points", 0)
    points = f"{points:g} point{'' if points == 1 else 's'}"
    if nbgrader.get("grade") and nbgrader.get("solution"):
        return f"*Your answer (graded by hand, {points}):*"
    if nbgrader.get("grade"):
        return f"*Tests ({points}; grading also runs hidden tests in this cell):*"
    if nbgrader.get("solution"):
        return "*Your code:*"
    if nbgrader.get("locked"):
        return "*Given code (do not change):*"
    return "*Code to run (you may change it):*"


def as_myst(notebook_text: str, name: str) -> str:
    """The released notebook as MyST text for the book: headings one level down, not run."""
    nb = nbformat.reads(notebook_text, as_version=4)
    parts = [
        f"<!-- Generated by homework/tools/release.py from homework/student/{name}.ipynb. "
        "Do not edit. -->",
    ]
    for cell in nb.cells:
        source = cell.source.strip("\n")
        if cell.cell_type == "markdown":
            lines = source.splitlines()
            if lines and lines[0].startswith("# "):
                lines = lines[1:]  # the page has its own title
            # one level down: the page's own sections are level 2
            lines = ["#" + line if line.startswith("##") else line for line in lines]
            if cell.metadata.get("nbgrader", {}).get("solution"):
                parts.append(cell_label(cell) + "\n\n> " + "\n> ".join(lines))
            else:
                parts.append("\n".join(lines).strip("\n"))
        elif cell.cell_type == "code":
            parts.append(f"{cell_label(cell)}\n\n```python\n{source}\n```")
    return "\n\n".join(p for p in parts if p) + "\n"


def outputs(names: list[str], released: dict[str, str] | None) -> dict[Path, str]:
    """Every generated file and its text; the student files only if ``released`` is given."""
    files = {HOMEWORK / "source" / n / f"{n}.ipynb": source_notebook(n) for n in names}
    for name, text in (released or {}).items():
        files[STUDENT / f"{name}.ipynb"] = text
        files[LECTURES / f"{name}_student.md"] = as_myst(text, name)
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--release", action="store_true", help="also nbgrader-release them")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    names = args.names or assignments()
    if args.check:
        sources = outputs(names, None)
        with tempfile.TemporaryDirectory(prefix="lrlab-release-") as tmp:
            course = Path(tmp) / "course"
            shutil.copytree(HOMEWORK, course, ignore=shutil.ignore_patterns(*NBGRADER_OUTPUTS))
            for path, text in sources.items():
                (course / path.relative_to(HOMEWORK)).write_text(text)
            released = {n: run_nbgrader_release(course, n) for n in names}
        files = {**sources, **outputs([], released)}
        stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
        for path in stale:
            print(f"{path} is out of date: run make release", file=sys.stderr)
        return 1 if stale else 0
    files = outputs(names, None)
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path}")
    if args.release:
        STUDENT.mkdir(exist_ok=True)
        released = {n: run_nbgrader_release(HOMEWORK, n) for n in names}
        for path, text in outputs([], released).items():
            path.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
