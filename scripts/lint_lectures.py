"""Lint the code cells of the book's MyST notebooks with ruff.

Every ``lectures/*.md`` and ``homework/source/*/*.md`` page that holds ``{code-cell}``
blocks is read with jupytext, and its code cells are written, in order, into one Python file
per page in a temporary folder (IPython magics such as ``%timeit`` commented out by jupytext's
own ``comment_magic``). ``ruff check`` then runs over those files with the repository's
``pyproject.toml`` settings and ``lrlab`` as first-party, and each finding is mapped back to
its page, code cell and line::

    lectures/experiments.md:cell 7:line 3 (md line 160): F401 `math` imported but unused

Usage: ``python scripts/lint_lectures.py [PAGE.md ...]`` (default: every page). Exit status 1
when ruff finds something, 2 when ruff itself fails.

An assignment's source is linted with its ``# <<include NAME>>`` lines filled in as
``homework/tools/release.py`` fills them (a finding there points at the marker line).

One difference from linting a ``.py`` file: E402 (import not at the top of the file) is off,
since a notebook may import in a later cell (ruff's own notebook mode allows that too).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
from jupytext.magics import comment_magic

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ("lectures/*.md", "homework/source/*/*.md")
FENCE = re.compile(r"^(`{3,})\{code-cell\}")
OPTION = re.compile(r"^:[\w-]+:")
# The settings of pyproject.toml, plus what only notebooks need.
OVERRIDES = (
    "lint.isort.known-first-party = ['lrlab']",
    "lint.extend-ignore = ['E402']",
    "lint.external = ['E402']",  # keeps the pages' E402 noqa comments (for notebooks) valid
)


@dataclass
class Page:
    """One page's code cells written as Python, with the way back to the page."""

    path: Path
    python: list[str] = field(default_factory=list)
    # row of the Python file (1-based) -> (code cell number, line in the cell, line in the .md)
    origin: dict[int, tuple[int, int, int | None]] = field(default_factory=dict)


def cell_body_starts(text: str) -> list[int]:
    """0-based .md line of the first source line of each code cell, in order."""
    lines = text.splitlines()
    starts = []
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            i += 1
            if i < len(lines) and lines[i].strip() == "---":  # a YAML options block
                i += 1
                while i < len(lines) and lines[i].strip() != "---":
                    i += 1
                i += 1
            if i < len(lines) and OPTION.match(lines[i]):  # short :key: value options
                while i < len(lines) and OPTION.match(lines[i]):
                    i += 1
                while i < len(lines) and not lines[i].strip():  # jupytext drops these
                    i += 1
            starts.append(i)
        i += 1
    return starts


def starts_definition(source: list[str]) -> bool:
    """Does the cell's first statement define a function or class (or decorate one)?"""
    for line in source:
        if line.strip() and not line.lstrip().startswith("#"):
            return line.startswith(("def ", "async def ", "class ", "@"))
    return False


def homework_expander(path: Path) -> Callable[[str], str] | None:
    """For an assignment's source, how its release fills the marked lines, else None.

    ``homework/tools/release.py`` replaces ``# <<include NAME>>`` by the source of ``NAME``
    from ``homework/assignments/<a>.py`` (the reference solution, which uses the setup
    cell's imports), and this is linted as the release makes it. A
    ``VAR = f(...)  # <<generated>>`` line becomes one long machine-made literal, which the
    release then formats, so here it counts only as the definition of ``VAR``.
    """
    if path.parent.parent != ROOT / "homework" / "source" or path.stem != path.parent.name:
        return None
    spec = importlib.util.spec_from_file_location(
        "_release", ROOT / "homework" / "tools" / "release.py"
    )
    release = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(release)
    module = release.assignment_module(path.stem)

    def filled(line: str) -> str:  # both markers are single lines
        if m := release.GENERATED.match(line):
            return f"{m['indent']}{m['var']} = ...  # <<generated>>"
        return release.expand(line, module)

    return filled


def to_python(path: Path) -> Page | None:
    """The page's code cells as one Python file, or None if the page has none."""
    text = path.read_text(encoding="utf-8")
    if not any(FENCE.match(line) for line in text.splitlines()):
        return None
    notebook = jupytext.reads(text, fmt="md:myst")
    md_lines = text.splitlines()
    starts = cell_body_starts(text)
    page = Page(path)
    expand = homework_expander(path)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(cells, start=1):
        source = cell.source.splitlines()
        start = starts[number - 1] if number - 1 < len(starts) else None
        # trust the .md line only where the cell's first line is really there
        if start is not None and source and md_lines[start : start + 1] != source[:1]:
            start = None
        lines = []  # (Python line, line in the cell, line in the .md)
        for offset, line in enumerate(comment_magic(source, language="python"), start=1):
            md_line = None if start is None else start + offset
            for python_line in (expand(line) if expand else line).split("\n"):
                lines.append((python_line, offset, md_line))
        if page.python:  # the blank lines isort wants between imports and what follows
            page.python += [""] * (2 if starts_definition([x[0] for x in lines]) else 1)
        for python_line, offset, md_line in lines:
            page.python.append(python_line)
            page.origin[len(page.python)] = (number, offset, md_line)
    return page


def pages(arguments: list[str]) -> list[Path]:
    if arguments:
        return [Path(a).resolve() for a in arguments]
    return sorted(p for pattern in PATTERNS for p in ROOT.glob(pattern))


def main(arguments: list[str]) -> int:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        print("lint_lectures: ruff not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lint_lectures_") as tmp:
        written: dict[str, Page] = {}
        for path in pages(arguments):
            try:
                page = to_python(path)
            except Exception as error:  # an unreadable page is not a lint finding
                print(f"lint_lectures: cannot read {path}: {error}", file=sys.stderr)
                return 2
            if page is None:
                continue
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            name = "__".join(shown.with_suffix(".py").parts[-3:])
            (Path(tmp) / name).write_text("\n".join(page.python) + "\n", encoding="utf-8")
            written[name] = page
        if not written:
            return 0
        command = [ruff, "check", "--no-cache", "--output-format", "json"]
        command += ["--config", str(ROOT / "pyproject.toml")]
        for override in OVERRIDES:
            command += ["--config", override]
        done = subprocess.run([*command, tmp], capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            print(done.stdout + done.stderr, file=sys.stderr)
            return 2
        findings = json.loads(done.stdout or "[]")
    for finding in sorted(
        findings, key=lambda f: (f["filename"], f["location"]["row"], f["location"]["column"])
    ):
        page = written[Path(finding["filename"]).name]
        cell, line, md_line = page.origin.get(finding["location"]["row"], (0, 0, None))
        shown = page.path.relative_to(ROOT) if page.path.is_relative_to(ROOT) else page.path
        where = f"{shown}:cell {cell}:line {line}"
        if md_line is not None:
            where += f" (md line {md_line})"
        print(f"{where}: {finding['code']} {finding['message']}")
    if findings:
        print(f"lint_lectures: {len(findings)} finding(s) in {len(written)} pages checked")
        return 1
    print(f"lint_lectures: {len(written)} pages clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
