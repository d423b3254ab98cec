"""Lint the code cells of the book's MyST notebooks with ruff.

Every ``lectures/*.md`` and ``homework/source/*/*.md`` page that holds ``{code-cell}``
blocks is read with jupytext, and its code cells are written, in order, into one Python file
per page in a temporary folder (IPython magics such as ``%timeit`` commented out by jupytext's
own ``comment_magic``). ``ruff check`` then runs over those files with the repository's
``pyproject.toml`` settings and ``lrlab`` as first-party, and each finding is mapped back to
its page, code cell and line::

    lectures/experiments.md:cell 7:line 3 (md line 160): F401 `math` imported but unused

Usage: ``python scripts/lint_lectures.py [PAGE.md ...]`` (default: every page). Exit status 1
when a check finds something, 2 when ruff itself fails or a page cannot be read.

An assignment's source is linted with its ``# <<include NAME>>`` lines filled in as
``homework/tools/release.py`` fills them (a finding there points at the marker line).

One difference from linting a ``.py`` file: E402 (import not at the top of the file) is off,
since a notebook may import in a later cell (ruff's own notebook mode allows that too).

Three more checks run on every page:

* **format**: each code cell must be as ``ruff format`` (the ``pyproject.toml`` settings)
  leaves it. Every cell is formatted as its own unit, as in a notebook: the page's cells go
  into a temporary ``.ipynb``, so IPython magics stay as they are and a cell never borrows
  blank lines from its neighbour. A finding names the cell's first changed line and shows the
  change.
* **hidden cells** (tagged ``remove-cell`` or ``remove-input``) only glue and assert: a name
  that a hidden cell binds and a later cell reads (before binding it itself) is a finding.
* **glue keys** are string literals, so that a grep finds a key from the prose.

``python scripts/lint_lectures.py --format [PAGE.md ...]`` (or ``--fix``) rewrites, in place,
only the bodies of the code cells that ``ruff format`` changes; the front matter, the cell
options, the markdown and every other byte of the page stay as they were. The other checks
then run on the rewritten pages.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import yaml
from jupytext.magics import comment_magic

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ("lectures/*.md", "homework/source/*/*.md")
FENCE = re.compile(r"^(`{3,})\{code-cell\}")
OPTION = re.compile(r"^:([\w-]+):(.*)$")
# The settings of pyproject.toml, plus what only notebooks need.
OVERRIDES = (
    "lint.isort.known-first-party = ['lrlab']",
    "lint.extend-ignore = ['E402']",
    "lint.external = ['E402']",  # keeps the pages' E402 noqa comments (for notebooks) valid
)
# What the book leaves out of the page: the code of these cells is never shown.
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input"})


@dataclass
class Page:
    """One page's code cells written as Python, with the way back to the page."""

    path: Path
    python: list[str] = field(default_factory=list)
    # row of the Python file (1-based) -> (code cell number, line in the cell, line in the .md)
    origin: dict[int, tuple[int, int, int | None]] = field(default_factory=dict)


@dataclass
class Cell:
    """A ``{code-cell}`` block of a page, located by its .md lines (0-based)."""

    number: int  # 1-based, in page order
    start: int  # first line of the body (after the options and the blank lines jupytext drops)
    end: int  # the closing fence
    tags: frozenset[str]

    def body(self, lines: list[str]) -> list[str]:
        return lines[self.start : self.end]


def code_cells(text: str) -> list[Cell]:
    """The page's code cells, in order, with their body lines and tags."""
    lines = text.splitlines()
    cells = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        i += 1
        options: dict = {}
        if i < len(lines) and lines[i].strip() == "---":  # a YAML options block
            j = i + 1
            while j < len(lines) and lines[j].strip() != "---":
                j += 1
            options = yaml.safe_load("\n".join(lines[i + 1 : j])) or {}
            i = j + 1
        else:
            while i < len(lines) and (option := OPTION.match(lines[i])):  # short :key: value
                options[option[1]] = yaml.safe_load(option[2]) if option[2].strip() else None
                i += 1
        while i < len(lines) and not lines[i].strip():  # jupytext drops these
            i += 1
        start = i
        closing = re.compile(rf"^{fence[1]}`*\s*$")
        while i < len(lines) and not closing.match(lines[i]):
            i += 1
        tags = options.get("tags") or []
        cells.append(Cell(len(cells) + 1, start, i, frozenset(map(str, tags))))
        i += 1
    return cells


def cell_body_starts(text: str) -> list[int]:
    """0-based .md line of the first source line of each code cell, in order."""
    return [cell.start for cell in code_cells(text)]


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


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def find_ruff() -> str | None:
    return shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def ruff_check(ruff: str, paths: list[Path]) -> tuple[list[str], int]:
    """``ruff check`` of each page's cells, as one Python file a page: (findings, pages read)."""
    with tempfile.TemporaryDirectory(prefix="lint_lectures_") as tmp:
        written: dict[str, Page] = {}
        for path in paths:
            page = to_python(path)
            if page is None:
                continue
            name = "__".join(shown(path).with_suffix(".py").parts[-3:])
            (Path(tmp) / name).write_text("\n".join(page.python) + "\n", encoding="utf-8")
            written[name] = page
        if not written:
            return [], 0
        command = [ruff, "check", "--no-cache", "--output-format", "json"]
        command += ["--config", str(ROOT / "pyproject.toml")]
        for override in OVERRIDES:
            command += ["--config", override]
        done = subprocess.run([*command, tmp], capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise RuntimeError(done.stdout + done.stderr)
        findings = json.loads(done.stdout or "[]")
    report = []
    for finding in sorted(
        findings, key=lambda f: (f["filename"], f["location"]["row"], f["location"]["column"])
    ):
        page = written[Path(finding["filename"]).name]
        cell, line, md_line = page.origin.get(finding["location"]["row"], (0, 0, None))
        where = f"{shown(page.path)}:cell {cell}:line {line}"
        if md_line is not None:
            where += f" (md line {md_line})"
        report.append(f"{where}: {finding['code']} {finding['message']}")
    return report, len(written)


def ruff_format(ruff: str, paths: list[Path]) -> tuple[dict[Path, dict[int, list[str]]], str]:
    """The cells ``ruff format`` would change: {page: {cell number: formatted lines}}.

    Each page becomes a notebook (one notebook cell per code cell), which ruff formats cell
    by cell and whose IPython magics it leaves alone. Also returns ruff's complaints (a cell
    it cannot parse), which the ``ruff check`` findings then explain.
    """
    changed: dict[Path, dict[int, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="format_lectures_") as tmp:
        notebooks: dict[Path, tuple[Path, list[Cell], list[str]]] = {}
        for k, path in enumerate(paths):
            lines = path.read_text(encoding="utf-8").splitlines()
            cells = [cell for cell in code_cells("\n".join(lines)) if cell.body(lines)]
            if not cells:
                continue
            notebook = {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "metadata": {},
                        "outputs": [],
                        "source": "\n".join(cell.body(lines)),
                    }
                    for cell in cells
                ],
                "metadata": {
                    "kernelspec": {
                        "display_name": "Python 3",
                        "language": "python",
                        "name": "python3",
                    },
                    "language_info": {"name": "python"},
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
            target = Path(tmp) / f"page{k}.ipynb"
            target.write_text(json.dumps(notebook), encoding="utf-8")
            notebooks[path] = (target, cells, lines)
        if not notebooks:
            return changed, ""
        command = [ruff, "format", "--no-cache", "--config", str(ROOT / "pyproject.toml"), tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 2):  # 2: some cell did not parse; the rest is formatted
            raise RuntimeError(done.stdout + done.stderr)
        for path, (target, cells, lines) in notebooks.items():
            formatted = json.loads(target.read_text(encoding="utf-8"))["cells"]
            for cell, new in zip(cells, formatted, strict=True):
                source = new["source"]
                new_lines = ("".join(source) if isinstance(source, list) else source).splitlines()
                if new_lines != cell.body(lines):
                    changed.setdefault(path, {})[cell.number] = new_lines
    complaints = done.stderr.strip() if done.returncode else ""
    for path, (target, _, _) in notebooks.items():  # name the page, not the temporary file
        complaints = complaints.replace(str(target), str(shown(path)))
    return changed, complaints


def format_report(path: Path, cell: Cell, old: list[str], new: list[str]) -> list[str]:
    """One finding per changed stretch of the cell, at its first line, with the change."""
    report = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        line = min(i1, len(old) - 1) if old else 0
        where = (
            f"{shown(path)}:cell {cell.number}:line {line + 1} (md line {cell.start + line + 1})"
        )
        report.append(f"{where}: format: ruff format would rewrite this")
        report += [f"    - {text}" for text in old[i1:i2]]
        report += [f"    + {text}" for text in new[j1:j2]]
    return report


def write_formatted(path: Path, cells: dict[int, list[str]]) -> None:
    """Replace the bodies of the given cells, keeping every other byte of the page."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for cell in reversed(code_cells(text)):  # from the end, so earlier line numbers hold
        if cell.number in cells:
            newline = "\r\n" if lines[cell.start].endswith("\r\n") else "\n"
            lines[cell.start : cell.end] = [line + newline for line in cells[cell.number]]
    path.write_text("".join(lines), encoding="utf-8")


class Names(ast.NodeVisitor):
    """The module-level names a cell binds, and the names it reads from earlier cells.

    Statements are walked in the order Python runs them (the value of an assignment before
    its target, a loop's iterable before its variable), so ``x = x + 1`` reads ``x`` while
    ``x = 1; print(x)`` does not read it from outside. A function body counts as read where
    the function is defined; names local to functions, lambdas and comprehensions are not
    module names.
    """

    def __init__(self) -> None:
        self.bound: dict[str, int] = {}  # module-level name -> line of its last binding
        self.reads: dict[str, int] = {}  # name read before this cell binds it -> first line
        self.scopes: list[set[str]] = []

    def read(self, name: str, line: int) -> None:
        if name not in self.bound and not any(name in scope for scope in self.scopes):
            self.reads.setdefault(name, line)

    def bind(self, name: str, line: int) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
        else:
            self.bound[name] = line

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read(node.id, node.lineno)
        else:
            self.bind(node.id, node.lineno)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.read(node.target.id, node.lineno)
        self.visit(node.value)
        self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.bind(alias.asname or alias.name.split(".")[0], node.lineno)

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bind(node.name, node.lineno)
        for statement in node.body:
            self.visit(statement)

    def _function(self, node: ast.AST, arguments: ast.arguments, body: list[ast.AST]) -> None:
        for default in arguments.defaults + [d for d in arguments.kw_defaults if d]:
            self.visit(default)
        local = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        local |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a}
        # a name bound anywhere in a function is local to it throughout (over-approximated
        # with nested scopes' names, which only ever hides a read)
        for child in body:
            for sub in ast.walk(child):
                if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                    local.add(sub.id)
                elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    local.add(sub.name)
                elif isinstance(sub, ast.Import | ast.ImportFrom):
                    local |= {a.asname or a.name.split(".")[0] for a in sub.names}
                elif isinstance(sub, ast.Global):
                    local -= set(sub.names)
        self.scopes.append(local)
        for child in body:
            self.visit(child)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.bind(node.name, node.lineno)
        self._function(node, node.args, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, node.args, [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(child)
        self.bind(node.name, node.lineno)
        self.scopes.append(set())
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()

    def _comprehension(self, generators: list[ast.comprehension], *results: ast.AST) -> None:
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        self.scopes.append(set())
        for k, generator in enumerate(generators):
            if k:
                self.visit(generator.iter)
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self.scopes.pop()

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self.bind(node.name, node.lineno)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bind(node.name, node.lineno)


def cell_tree(body: list[str]) -> ast.Module | None:
    """The cell parsed as Python (magics commented out), or None if it does not parse."""
    try:
        return ast.parse("\n".join(comment_magic(body, language="python")))
    except SyntaxError:  # ruff check reports it
        return None


def glue_keys(tree: ast.Module) -> Iterable[tuple[int, str]]:
    """(line, source) of each ``glue(key, ...)`` call whose key is not a string literal."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != "glue":
            continue
        key = (
            node.args[0]
            if node.args
            else next((k.value for k in node.keywords if k.arg == "name"), None)
        )
        if key is not None and not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            yield node.lineno, ast.unparse(key)


def cell_checks(path: Path) -> list[str]:
    """The hidden-cell and glue-key findings of one page."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    report = []
    cells = code_cells(text)
    definer: dict[str, tuple[Cell, int]] = {}  # name -> the cell that last bound it, and where
    flagged: set[tuple[int, str]] = set()
    for cell in cells:
        tree = cell_tree(cell.body(lines))
        if tree is None:
            continue
        names = Names()
        for statement in tree.body:
            names.visit(statement)
        for name, line in sorted(names.reads.items(), key=lambda item: item[1]):
            source, bound_at = definer.get(name, (None, 0))
            if source is None or not source.tags & HIDDEN_TAGS or (source.number, name) in flagged:
                continue
            flagged.add((source.number, name))
            report.append(
                f"{shown(path)}:cell {source.number}:line {bound_at} "
                f"(md line {source.start + bound_at}): hidden-cell: `{name}` is defined in a "
                f"hidden cell and read by cell {cell.number} (md line {cell.start + line}); "
                "hidden cells only glue and assert"
            )
        for name, line in names.bound.items():
            definer[name] = (cell, line)
        for line, key in glue_keys(tree):
            report.append(
                f"{shown(path)}:cell {cell.number}:line {line} (md line {cell.start + line}): "
                f"glue-key: the key `{key}` is not a string literal; write it out"
            )
    return report


def where(entry: list[str]) -> tuple[int, str, int, int]:
    """Sort key of a finding: its page, cell and line (findings with no place come last)."""
    if m := re.match(r"(.*?):cell (\d+):line (\d+)", entry[0]):
        return (0, m[1], int(m[2]), int(m[3]))
    return (1, entry[0], 0, 0)


def main(arguments: list[str]) -> int:
    fix = any(a in ("--format", "--fix") for a in arguments)
    paths = pages([a for a in arguments if a not in ("--format", "--fix")])
    ruff = find_ruff()
    if ruff is None:
        print("lint_lectures: ruff not found", file=sys.stderr)
        return 2
    try:
        changed, complaints = ruff_format(ruff, paths)
        report = []
        for path in paths:
            if path in changed and fix:
                write_formatted(path, changed.pop(path))
                print(f"lint_lectures: formatted {shown(path)}")
        for path, cells in changed.items():
            lines = path.read_text(encoding="utf-8").splitlines()
            for cell in code_cells("\n".join(lines)):
                if cell.number in cells:
                    report += format_report(path, cell, cell.body(lines), cells[cell.number])
        if complaints:
            report.append(f"format: ruff format could not format every cell:\n{complaints}")
        findings, checked = ruff_check(ruff, paths)
        for path in paths:
            findings += cell_checks(path)
    except Exception as error:  # an unreadable page or a failing ruff is not a lint finding
        print(f"lint_lectures: {error}", file=sys.stderr)
        return 2
    # one entry per finding (a format finding with its change), page by page, cell by cell
    entries: list[list[str]] = []
    for line in findings + report:
        if line.startswith("    ") and entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    entries.sort(key=where)
    for entry in entries:
        print("\n".join(entry))
    if entries:
        print(f"lint_lectures: {len(entries)} finding(s) in {checked} pages checked")
        return 1
    print(f"lint_lectures: {checked} pages clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
