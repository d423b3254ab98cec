r"""The :class:`Schedule` type: checks the steps it is called with, then evaluates a formula.

A factory in :mod:`lrlab.schedules.formulas` validates its arguments and hands a formula
(a function of a float64 array of steps ``t``) to :func:`schedule_from`; everything a
formula should not have to care about lives here: rejecting floats, bools, negative steps
and the like, converting the steps to float64 once, scalar calls returning a Python float,
and evaluating long arrays in cache-sized chunks.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from lrlab._validate import IsCallable, check, invalid

__all__ = ["Formula", "Schedule", "schedule_from"]

# A formula maps a float64 array of steps t >= 0 (or int64, for a schedule built with
# integer_steps=True) to the learning rates at those steps, elementwise.
Formula = Callable[[np.ndarray], Any]

_INT64_MAX = int(np.iinfo(np.int64).max)

# Long step arrays are evaluated in slices of this many steps: the few temporaries of a
# plain NumPy expression (512 KB each) then stay in the CPU caches instead of streaming
# 8 MB through memory per operation, and the per-slice call overhead stays small (65536
# measured a little cheaper than 16384 or 32768). benchmarks/bench_schedules.py measures it.
_CHUNK = 65536

# Short arrays are padded to at least this many steps. NumPy picks its inner loop by array
# length: on a length-1 array np.power or np.cos can take a scalar loop whose result
# differs in the last bit from the SIMD loop used for longer arrays. Never evaluating a
# formula on fewer than 8 steps keeps a scalar call bit-identical to a vectorized one.
_MIN_RUN = 8


class Schedule:
    r"""A learning-rate schedule: a pure callable :math:`t \mapsto \alpha_t`.

    Build one with a factory (``cosine_annealing(0.1, 1000)``) or, for a formula of your
    own, with :func:`schedule_from`. Call it with

    - an ``int`` (or NumPy integer) step :math:`t \ge 0`: returns a Python ``float``;
    - a NumPy integer array of steps: returns a ``float64`` array of the same shape, equal
      elementwise to the scalar calls (both go through the same code).

    A float, a bool, a list or a negative step raises ``InvalidArgumentError`` (a
    ``ValueError``). Calling never changes the schedule; it is immutable. ``name`` and
    ``params`` record the factory and the arguments it was built with (handy for plot
    labels), and ``repr`` shows the call that builds it.
    """

    __slots__ = ("_formula", "_integer_steps", "_name", "_params")

    def __init__(
        self,
        formula: Formula,
        name: str,
        params: dict[str, Any],
        *,
        integer_steps: bool = False,
    ) -> None:
        object.__setattr__(self, "_formula", formula)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_params", dict(params))
        object.__setattr__(self, "_integer_steps", bool(integer_steps))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("a Schedule is immutable; build a new one with its factory")

    @property
    def name(self) -> str:
        """The factory that built this schedule, e.g. ``"cosine_annealing"``."""
        return self._name

    @property
    def params(self) -> dict[str, Any]:
        """A copy of the arguments the schedule was built with."""
        return dict(self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{self._name}({args})"

    @overload
    def __call__(self, step: int | np.integer) -> float: ...

    @overload
    def __call__(self, step: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]: ...

    def __call__(self, step: int | np.integer | npt.NDArray[np.integer]) -> Any:
        if isinstance(step, np.ndarray):
            return self._evaluate(step)
        t = np.full(_MIN_RUN, _as_step_int(self._name, step), dtype=np.int64)
        return float(self._run(t)[0])

    def _run(self, t: np.ndarray) -> np.ndarray:
        """The formula at int64 steps ``t`` (1-D, all valid): converted to float64 once."""
        n = t.size
        if n < _MIN_RUN:
            t = np.concatenate([t, np.zeros(_MIN_RUN - n, dtype=np.int64)])
        steps = t if self._integer_steps else t.astype(np.float64)
        out = np.asarray(self._formula(steps), dtype=np.float64)
        if out.shape != t.shape:  # a formula may return a scalar (a constant rate)
            out = np.broadcast_to(out, t.shape)
        return out[:n]

    def _evaluate(self, step: np.ndarray) -> np.ndarray:
        if step.dtype.kind not in "iu":
            raise invalid(self._name, "step", _STEP_RULE, f"an array of dtype {step.dtype}")
        flat = step.reshape(-1)
        out = np.empty(flat.size, dtype=np.float64)
        for start in range(0, flat.size, _CHUNK):
            # Each slice is checked where it is evaluated, while it sits in the cache: a
            # separate check of the whole array first would be one more pass through memory.
            steps = _checked_steps(self._name, flat[start : start + _CHUNK])
            out[start : start + _CHUNK] = self._run(steps)
        return out.reshape(step.shape)


_STEP_RULE = "be an int or a NumPy integer array (np.arange for many steps) of steps in [0, 2**63)"


def _checked_steps(name: str, steps: np.ndarray) -> np.ndarray:
    """A non-empty slice of an integer step array as int64, if every step is in [0, 2**63)."""
    if steps.min() < 0:
        raise invalid(name, "step", _STEP_RULE, f"an array containing {steps.min()}")
    if steps.dtype == np.uint64 and steps.max() > _INT64_MAX:
        raise invalid(name, "step", _STEP_RULE, f"an array containing {steps.max()}")
    return steps.astype(np.int64, copy=False)


def _as_step_int(name: str, step: object) -> int:
    if not isinstance(step, numbers.Integral) or isinstance(step, bool):
        raise invalid(name, "step", _STEP_RULE, f"{type(step).__name__} {step!r}")
    t = int(step)
    if t < 0 or t > _INT64_MAX:
        raise invalid(name, "step", _STEP_RULE, repr(t))
    return t


def schedule_from(
    formula: Formula, name: str | None = None, *, integer_steps: bool = False, **params: Any
) -> Schedule:
    r"""Make a :class:`Schedule` from any formula :math:`t \mapsto \alpha_t`.

    ``formula`` receives a float64 NumPy array of steps :math:`t \ge 0` (int64 with
    ``integer_steps=True``, for formulas that need exact integer arithmetic) and returns
    the learning rates at those steps, elementwise: write it with NumPy functions, as the
    formula reads on paper. The schedule checks the steps it is called with, returns a
    float for an int and an array for an array, and never changes. ``name`` (default: the
    formula's ``__name__``) and the keyword ``params`` only label it: they make its
    ``repr`` and ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> def log_annealing(lr, total_steps):
    ...     def formula(t):
    ...         return lr * (1 - np.log1p(np.minimum(t, total_steps)) / np.log1p(total_steps))
    ...     return schedule_from(formula, "log_annealing", lr=lr, total_steps=total_steps)
    >>> sched = log_annealing(0.1, 99)
    >>> sched
    log_annealing(lr=0.1, total_steps=99)
    >>> sched(0), sched(99)
    (0.1, 0.0)
    >>> sched(np.array([0, 9, 99])).round(4)
    array([0.1 , 0.05, 0.  ])
    """
    check("schedule_from", "formula", formula, IsCallable())
    label = name if name is not None else getattr(formula, "__name__", "schedule")
    return Schedule(formula, label, params, integer_steps=integer_steps)


def formula_of(func: str, name: str, schedule: object) -> Formula:
    """The formula of a schedule used inside a composite (``warmup``, ``join``), on float steps.

    Any callable that maps an int64 array of steps to learning rates works too.
    """
    if isinstance(schedule, Schedule):
        if schedule._integer_steps:
            return lambda t: schedule._formula(t.astype(np.int64))
        return schedule._formula
    check(func, name, schedule, IsCallable())
    first = float(
        np.asarray(schedule(np.zeros(1, dtype=np.int64)), dtype=np.float64).reshape(-1)[0]
    )
    if not np.isfinite(first) or first < 0:
        raise invalid(func, name, "return finite learning rates >= 0", f"{first!r} at step 0")
    return lambda t: np.asarray(schedule(t.astype(np.int64)), dtype=np.float64)


def piecewise(t: np.ndarray, boundaries: np.ndarray, formulas: list[Formula]) -> np.ndarray:
    """Formula ``i`` on the steps ``boundaries[i-1] <= t < boundaries[i]``, each on its own
    clock (``t - boundaries[i-1]``): the engine behind :func:`join`."""
    which = np.searchsorted(boundaries, t, side="right")
    starts = np.concatenate([[0], boundaries])
    first, last = which.min(initial=0), which.max(initial=0)
    if first == last:  # the usual case for a slice of np.arange: one piece, no masks
        return formulas[first](t - starts[first])
    out = np.empty(t.shape, dtype=np.float64)
    for i in range(first, last + 1):
        mask = which == i
        if mask.any():
            out[mask] = formulas[i](t[mask] - starts[i])
    return out
