"""The grader's own checks of the 1cycle homework, decided outside the student's kernel.

The hidden tests in the notebook run in the same Python process as the submission, after it.
They defend against the usual tricks (values that lie in comparisons, patched ``isclose``, a
``one_cycle`` that calls torch's ``OneCycleLR``), but code that runs first in a process can
always rewrite what runs later: an IPython input transformer can blank every later cell, a
profile hook can read the hidden test's variables. So after each graded cell, the grading
kernel is also asked for plain numbers only, on inputs drawn at grading time
(:func:`probe`), and this process decides:

* part 1: ``one_cycle`` on fresh random settings against torch's ``OneCycleLR``, computed
  here;
* part 3: the submission's settings and the learning rates its ``one_cycle`` gives, with
  which this process trains the network itself and counts the right answers;
* every check: the submission's own code cells must not use names that only serve to inspect
  or rewrite the running program (``sys.settrace``, frame objects, ``exec``, IPython's input
  transformers, ...), and the ``one_cycle`` cell must not name torch's scheduler.

A failed check adds an error output to the graded cell (so it scores zero) with a message
written here, never one taken from the kernel. ``SandboxedExecute.trusted_checks`` maps grade
ids to these functions; see ``homework/nbgrader_config.py``.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import tokenize
from typing import Any

# homework/ is on sys.path (nbgrader_config.py puts it there): one module per assignment.
from assignments import one_cycle as one_cycle_assignment
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

ONE_CYCLE_CELL = "one_cycle_solution"
CONFIG_CELL = "one_cycle_config"
EPOCHS = one_cycle_assignment.EPOCHS
TARGET_CORRECT = one_cycle_assignment.TARGET_CORRECT  # of 360 validation images: 95 %
# Names no honest answer to this homework needs, and that tampering with grading does. They
# count wherever they appear in code (``sys.settrace``, ``frame.f_back``, ...), never in
# comments or strings.
TAMPERING_NAMES = frozenset(
    {
        "settrace", "setprofile", "gettrace", "getprofile", "_getframe", "currentframe",
        "f_back", "f_globals", "f_locals", "f_code", "gi_frame", "tb_frame", "co_consts",
        "__import__", "importlib", "builtins", "__builtins__",
        "get_ipython", "input_transformers_cleanup", "input_transformers_post",
        "ast_transformers", "set_custom_exc", "ctypes", "addaudithook",
    }
)  # fmt: skip
# Builtins that run code from text: forbidden as the builtins only (a bare name), so that
# ``model.eval()``, ``optimizer.eval()``, ``re.compile`` or ``torch.compile`` are fine.
BARE_TAMPERING_NAMES = frozenset({"exec", "eval", "compile"})
# Named in code (not in a comment or docstring). Spelled in pieces (``getattr(m, "One" +
# "CycleLR")``) it still cannot run: the grader disables it while it calls one_cycle
# (:data:`SCHEDULER_GUARD`).
TORCH_SCHEDULER_NAMES = frozenset({"OneCycleLR", "lr_scheduler"})
WHAT_SCORES_ZERO = (
    "code in any of your cells that uses "
    + ", ".join(sorted(TAMPERING_NAMES | BARE_TAMPERING_NAMES))
    + " (exec/eval/compile only as the builtins), or names torch's scheduler "
    "(OneCycleLR, lr_scheduler); and a one_cycle that calls torch's OneCycleLR in any way"
)


# -- static rules ---------------------------------------------------------------------------


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def names_in(source: str) -> set[str]:
    """The identifiers a cell's code uses (not its comments or strings); magics are skipped."""
    return {tok.string for tok in _tokens(source) if tok.type == tokenize.NAME}


def bare_names_in(source: str) -> set[str]:
    """Names used on their own: not an attribute (``x.eval``), not a definition (``def eval``)."""
    found, previous = set(), None
    for tok in _tokens(source):
        if tok.type == tokenize.NAME and not (
            previous is not None and previous.string in (".", "def", "class")
        ):
            found.add(tok.string)
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = tok
    return found


def student_code_cells(nb: NotebookNode) -> list[NotebookNode]:
    """Code cells that grading did not restore from the source: the student's own code.

    Relies on metadata rewritten from the gradebook (``lrlab_grading.normalise``): a locked
    answer cell is still the student's.
    """
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        instructors = (meta.get("locked") or meta.get("grade")) and not meta.get("solution")
        if cell.cell_type == "code" and not instructors:
            cells.append(cell)
    return cells


def rule_violation(nb: NotebookNode) -> str | None:
    for cell in student_code_cells(nb):
        used = (names_in(cell.source) & TAMPERING_NAMES) | (
            bare_names_in(cell.source) & BARE_TAMPERING_NAMES
        )
        if used:
            return (
                f"your code uses {', '.join(sorted(used))}, which this homework does not allow: "
                "code that inspects or rewrites the running program could change how it is "
                "graded (ask your instructor if you needed it for something else)"
            )
        if names_in(cell.source) & TORCH_SCHEDULER_NAMES:
            return "one_cycle must compute the rate itself, not use torch's OneCycleLR"
    return None


# -- asking the kernel for numbers ------------------------------------------------------------

CONFINE_MARKER = "/lrlab-sandbox/confine.py"  # in the grading kernel's command line
# Run in the kernel around a probe: torch's OneCycleLR, patched on the class (so in every
# thread), refuses to work and records the attempt; after the probe the grader's wrappers
# must still be in place (a thread that put the originals back is caught too).
SCHEDULER_GUARD = """
import json as _g_json, torch.optim.lr_scheduler as _g_mod
_g_cls, _g_hits, _g_saved = _g_mod.OneCycleLR, [], {}
def _g_wrap(name):
    def refused(*args, **kwargs):
        _g_hits.append(name)
        raise RuntimeError("torch's OneCycleLR is not available while the grader checks")
    return refused
for _g_name, _g_orig in list(vars(_g_cls).items()):
    if callable(_g_orig) or isinstance(_g_orig, (staticmethod, classmethod)):
        _g_saved[_g_name] = _g_orig
        setattr(_g_cls, _g_name, _g_wrap(_g_name))
_g_wrappers = {n: _g_cls.__dict__[n] for n in _g_saved}
try:
    _g_value = @EXPRESSION@
except Exception:
    _g_value = None
_g_intact = _g_mod.OneCycleLR is _g_cls and all(
    _g_cls.__dict__.get(n) is w for n, w in _g_wrappers.items())
for _g_name, _g_orig in _g_saved.items():
    setattr(_g_cls, _g_name, _g_orig)
print(@MARKER@ + _g_json.dumps({"value": _g_value,
      "scheduler": bool(_g_hits) or not _g_intact}), flush=True)
del _g_json, _g_mod, _g_cls, _g_hits, _g_saved, _g_wrappers, _g_value, _g_intact
"""


def probe(executor: Any, cell_index: int, expression: str, *, guard_scheduler: bool = False) -> Any:
    """Evaluate ``expression`` in the grading kernel and return it, passed through JSON.

    The result is read from a line that starts with a random marker, so anything else the
    submission prints meanwhile is ignored. Returns None if no such line came back. With
    ``guard_scheduler``, torch's ``OneCycleLR`` is disabled for every thread of the kernel
    while ``expression`` runs (see :data:`SCHEDULER_GUARD`), helper processes the kernel
    started are killed first, and the result is ``{"value": ..., "scheduler": bool}``.
    """
    marker = "@@probe-" + secrets.token_hex(8) + "@@"
    code = (
        "import json as _probe_json\n"
        f"print({marker!r} + _probe_json.dumps({expression}), flush=True)\n"
        "del _probe_json\n"
    )
    if guard_scheduler:
        code = SCHEDULER_GUARD.replace("@MARKER@", repr(marker)).replace("@EXPRESSION@", expression)
        cgroup = getattr(getattr(executor, "km", None), "cgroup", None)
        if cgroup is not None:
            # A helper process started earlier keeps its own, unguarded copy of torch.
            cgroup.kill_descendants_of_kernel(CONFINE_MARKER)
    cell = new_code_cell(code)
    used = executor._output_bytes.get(cell_index, 0)
    executor._output_bytes[cell_index] = 0
    graded_cell = executor.nb.cells[cell_index]
    try:
        # nbclient files the executed cell under its index: put the graded cell back after.
        executor.execute_cell(cell, cell_index, store_history=False)
    finally:
        executor.nb.cells[cell_index] = graded_cell
        executor._output_bytes[cell_index] = used
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    for line in text.splitlines():
        if line.startswith(marker):
            try:
                return json.loads(line[len(marker) :])
            except ValueError:
                return None
    return None


# -- part 1: one_cycle against torch -----------------------------------------------------------


# The reference, the oracle and the case generator live once, in the assignment's module
# (homework/assignments/one_cycle.py), shared with the notebook's release and the tests.
torch_rates = one_cycle_assignment.torch_rates


def fresh_cases(anneal_strategy: str, three_phase: bool, n: int) -> list[tuple[dict, list]]:
    """Random settings never seen before this grading run, with torch's rates for them."""
    return one_cycle_assignment.fresh_cases(anneal_strategy, three_phase, n)


def check_one_cycle(executor: Any, index: int, families: list[tuple[str, bool]]) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    for anneal_strategy, three_phase in families:
        cases = fresh_cases(anneal_strategy, three_phase, 6)
        calls = [
            [t, s["total_steps"], s["max_lr"],
             {k: s[k] for k in ("pct_start", "anneal_strategy", "div_factor",
                                "final_div_factor", "three_phase")}]
            for s, pairs in cases for t, _ in pairs
        ]  # fmt: skip
        expression = (
            "[(lambda v: v if v == v else None)(float(one_cycle(c[0], c[1], c[2], **c[3])))"
            f" for c in {calls!r}]"
        )
        answer = probe(executor, index, expression, guard_scheduler=True)
        if isinstance(answer, dict) and answer.get("scheduler"):
            return "one_cycle must compute the rate itself, not use torch's OneCycleLR"
        got = answer.get("value") if isinstance(answer, dict) else None
        want = [rate for _, pairs in cases for _, rate in pairs]
        if not isinstance(got, list) or len(got) != len(want):
            return "the grader could not read one_cycle's values back from the notebook"
        wrong = 0
        for value, rate, call in zip(got, want, calls, strict=True):
            tol = 1e-9 * call[2] + 1e-9 * abs(rate)
            if not isinstance(value, int | float) or not abs(float(value) - rate) <= tol:
                wrong += 1
        if wrong:
            return (
                f"on {len(want)} settings drawn at grading time ({anneal_strategy}, "
                f"three_phase={three_phase}), one_cycle differed from torch's OneCycleLR at "
                f"{wrong}"
            )
    return None


def check_two_phase_cos(executor: Any, cell: NotebookNode, index: int) -> str | None:
    return check_one_cycle(executor, index, [("cos", False)])


def check_linear(executor: Any, cell: NotebookNode, index: int) -> str | None:
    return check_one_cycle(executor, index, [("linear", False)])


def check_three_phase(executor: Any, cell: NotebookNode, index: int) -> str | None:
    return check_one_cycle(executor, index, [("cos", True), ("linear", True)])


def check_rules(executor: Any, cell: NotebookNode, index: int) -> str | None:
    return rule_violation(executor.nb)


# -- part 3: train here with the submission's rates ---------------------------------------------


def train_and_count(config: dict, rates: list[float]) -> int:
    """Train the homework's network with these rates in this process; correct of 360.

    The notebook's own training helper (``train_with_one_cycle``, from the assignment's
    module), fed the submission's rates: the number a student sees is the number graded.
    """
    return one_cycle_assignment.correct_with_rates(config, rates)


def check_training(executor: Any, cell: NotebookNode, index: int) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    config = probe(
        executor,
        index,
        "{k: (v if isinstance(v, (bool, str)) else float(v)) "
        "for k, v in dict(ONE_CYCLE_CONFIG).items() if isinstance(k, str)}",
    )
    if not isinstance(config, dict):
        return "the grader could not read ONE_CYCLE_CONFIG back from the notebook"
    optimizer = config.get("optimizer")
    momentum = config.get("momentum", 0.9)
    max_lr = config.get("max_lr")
    if optimizer not in ("sgd", "adam"):
        return "ONE_CYCLE_CONFIG['optimizer'] must be 'sgd' or 'adam'"
    if not isinstance(momentum, float | int) or not 0.0 <= momentum < 1.0:
        return "ONE_CYCLE_CONFIG['momentum'] must be a number in [0, 1)"
    if not isinstance(max_lr, float | int) or not 0.0 < max_lr < math.inf:
        return "ONE_CYCLE_CONFIG['max_lr'] must be a positive number"
    options = {
        k: config[k]
        for k in ("pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase")
        if k in config
    }
    total = EPOCHS * 23
    answer = probe(
        executor,
        index,
        f"[float(one_cycle(t, {total}, {float(max_lr)!r}, **{options!r})) for t in range({total})]",
        guard_scheduler=True,
    )
    if isinstance(answer, dict) and answer.get("scheduler"):
        return "one_cycle must compute the rate itself, not use torch's OneCycleLR"
    rates = answer.get("value") if isinstance(answer, dict) else None
    if not isinstance(rates, list) or len(rates) != total:
        return "the grader could not read your schedule back from the notebook"
    if not all(isinstance(r, int | float) and 0.0 <= r <= 10 * max_lr + 1 for r in rates):
        return "the schedule has a negative, NaN or runaway learning rate"
    rates = [float(r) for r in rates]
    # torch's phase ends are fractional (pT - 1), so the peak falls between two steps.
    peak_ok = 0.99 * max_lr <= max(rates) <= 1.000001 * max_lr
    if not peak_ok or not rates[-1] < rates[0] < 0.5 * max_lr:
        return "a 1cycle schedule starts low, peaks at max_lr, and ends below where it started"
    correct = train_and_count({"optimizer": optimizer, "momentum": float(momentum)}, rates)
    if correct < TARGET_CORRECT:
        return (
            f"the grader's own re-run got {correct} of 360 validation images right "
            f"({correct / 360:.4f}), below the target 0.95"
        )
    return None
