r"""Learning-rate schedules as pure functions of the step count.

A schedule answers one question: what is the learning rate :math:`\alpha_t` after
:math:`t` optimizer steps? Here every schedule is a :class:`Schedule`, a callable built by a
small factory, in the style of optax::

    sched = cosine_annealing(lr=0.1, total_steps=1000)
    sched(0)                      # 0.1, a Python float
    sched(np.arange(1000))        # a float64 array, equal elementwise to the scalar calls

Calling a schedule never changes it, so it can be plotted, tested and handed to a training
loop without being "spent" (d2l's schedulers, which advance on every call, are the
counter-example). Each one is a closed form, evaluated with a few vectorized NumPy passes,
so a million-step curve costs about as much as one ``np.cos`` or ``np.power`` over the
steps (``benchmarks/bench_schedules.py`` measures it).

Notation, shared with the lectures: :math:`t` is the step index counted from 0 (the number
of scheduler steps taken), :math:`\alpha_t` the learning rate at step :math:`t`,
:math:`\alpha_0` the initial (base) learning rate, :math:`T` a total number of steps,
:math:`\gamma` a decay factor, :math:`s` a step size or decay interval,
:math:`\alpha_{\min}` a floor, :math:`T_0` the first cycle length and :math:`T_{\mathrm{mult}}`
the cycle multiplier. :math:`\lfloor x \rfloor` is the floor of :math:`x`.

Each factory's docstring names the torch, Keras or optax schedule it equals and every place
where it differs; ``tests/test_schedules.py`` checks those claims against the real libraries.
Two pieces are not pure functions of :math:`t`, by nature: :class:`ReduceLROnPlateau` reacts
to a validation metric, and :func:`to_torch` wraps a schedule as a torch ``LRScheduler`` so a
torch training loop can use it.

Taught in ``lectures/decay_schedules`` (constant, step, multistep, exponential, power,
inverse time, polynomial, linear), ``lectures/cosine_restarts`` (cosine annealing, warm
restarts), ``lectures/warmup_cyclical`` (warmup, join, cyclic), ``lectures/plateau``
(ReduceLROnPlateau), ``lectures/custom_schedule`` (piecewise constant, to_torch) and
``lectures/modern_practice`` (warmup-stable-decay).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import torch
from torch.optim.lr_scheduler import LRScheduler

from lrlab._validate import (
    InvalidArgumentError,
    check_choice,
    check_increasing_ints,
    check_int,
    check_lr,
    check_real,
)

__all__ = [
    "RecordedRates",
    "ReduceLROnPlateau",
    "Schedule",
    "ScheduleLR",
    "constant",
    "cosine_annealing",
    "cosine_warm_restarts",
    "cyclic",
    "exponential_decay",
    "inverse_time_decay",
    "join",
    "linear",
    "multistep_decay",
    "piecewise_constant",
    "polynomial_decay",
    "power_decay",
    "record_torch_rates",
    "step_decay",
    "to_torch",
    "warmup",
    "warmup_stable_decay",
]

# A curve fills `out` (float64) with the learning rates at the steps `t` (int64, same shape,
# all >= 0). Curves may use `out` as scratch space and must write every element of it.
Curve = Callable[[np.ndarray, np.ndarray], None]

_INT64_MAX = int(np.iinfo(np.int64).max)

# Long step arrays are evaluated in slices of this many elements, so the handful of
# elementwise passes a curve makes run on data that is still in the CPU cache (256 KB
# per array, in L2) instead of streaming 8 MB from memory per pass.
_CHUNK = 32768

# ...and short ones are padded to at least this many. NumPy picks its inner loop by array
# length and aliasing: on a length-1 array, in place, np.power can take a scalar loop whose
# result differs in the last bit from the SIMD loop used for longer arrays. Never calling
# a curve on fewer than 8 steps keeps scalar calls bit-identical to vectorized ones.
_MIN_RUN = 8


class Schedule:
    r"""A learning-rate schedule: a pure callable :math:`t \mapsto \alpha_t`.

    Build one with a factory of this module (``cosine_annealing(0.1, 1000)``), never
    directly. Call it with

    - an ``int`` (or NumPy integer) step :math:`t \ge 0`: returns a Python ``float``;
    - a NumPy integer array of steps: returns a ``float64`` array of the same shape, equal
      elementwise to the scalar calls (both go through the same code).

    A float, a bool, a list or a negative step raises :class:`InvalidArgumentError` (a
    ``ValueError``). Calling never changes the schedule; it is immutable.
    ``params`` holds the arguments it was built with (handy for plot labels), and ``repr``
    shows the call that builds it.
    """

    __slots__ = ("_curve", "_name", "_params")

    def __init__(self, name: str, params: dict[str, Any], curve: Curve) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_params", dict(params))
        object.__setattr__(self, "_curve", curve)

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
            return _evaluate(self._curve, step)
        out = np.empty(_MIN_RUN)
        self._curve(np.full(_MIN_RUN, _as_step_int(step), dtype=np.int64), out)
        return float(out[0])


def _as_step_int(step: object) -> int:
    if not isinstance(step, numbers.Integral) or isinstance(step, bool):
        raise InvalidArgumentError(
            "step must be an int >= 0 or a NumPy integer array "
            f"(for many steps use np.arange), got {type(step).__name__} {step!r}"
        )
    t = int(step)
    if t < 0 or t > _INT64_MAX:
        raise InvalidArgumentError(f"step must be an integer >= 0 and < 2**63, got {t}")
    return t


def _run(curve: Curve, t: np.ndarray, out: np.ndarray) -> None:
    """``curve(t, out)``, padding ``t`` to at least ``_MIN_RUN`` steps (see there)."""
    n = t.size
    if n >= _MIN_RUN:
        curve(t, out)
    elif n:
        padded = np.full(_MIN_RUN, t.flat[0], dtype=np.int64)
        padded[:n] = t.reshape(-1)
        result = np.empty(_MIN_RUN)
        curve(padded, result)
        out[...] = result[:n].reshape(out.shape)


def _evaluate(curve: Curve, step: np.ndarray) -> np.ndarray:
    """The curve at an array of steps, checked and evaluated chunk by chunk."""
    if step.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"step must be an array of integers >= 0, got an array of dtype {step.dtype}"
        )
    out = np.empty(step.shape, dtype=np.float64)
    flat_step = step.reshape(-1)  # a copy only if `step` is not contiguous
    flat_out = out.reshape(-1)  # a view: `out` is fresh and contiguous
    huge = step.dtype == np.uint64  # the one type whose values can exceed int64
    for start in range(0, flat_step.size, _CHUNK):
        # Checked per chunk, while the chunk is in cache, not in a separate pass.
        t = flat_step[start : start + _CHUNK]
        if t.min() < 0:
            raise InvalidArgumentError(
                f"step must be an array of integers >= 0, got one containing {t.min()}"
            )
        if huge and t.max() > _INT64_MAX:
            raise InvalidArgumentError(f"step must be an array of integers < 2**63, got {t.max()}")
        _run(curve, t.astype(np.int64, copy=False), flat_out[start : start + _CHUNK])
    return out


def _bins(edges: np.ndarray, t: np.ndarray, side: str) -> tuple[int, np.ndarray | None]:
    """Which interval between sorted ``edges`` each step falls in (``np.searchsorted``).

    Returns ``(i, None)`` when every step falls in the same interval ``i`` (typical for a
    slice of ``np.arange``), else ``(-1, indices)``. Binary search costs ~10 ns a step;
    the shortcut costs one pass for the minimum and one for the maximum.
    """
    first = int(np.searchsorted(edges, t.min(), side))
    if first == int(np.searchsorted(edges, t.max(), side)):
        return first, None
    return -1, np.searchsorted(edges, t, side)


def _curve_of(name: str, schedule: object) -> Curve:
    """The curve of an inner schedule of a composite (``warmup``, ``join``)."""
    if isinstance(schedule, Schedule):
        return schedule._curve
    if not callable(schedule):
        raise InvalidArgumentError(f"{name} must be a Schedule or a callable, got {schedule!r}")

    # Any callable that maps an int64 array of steps to learning rates works too.
    def curve(t: np.ndarray, out: np.ndarray) -> None:
        out[...] = np.asarray(schedule(t), dtype=np.float64)

    first = np.empty(1)
    _run(curve, np.zeros(1, dtype=np.int64), first)
    if not math.isfinite(first[0]) or first[0] < 0:
        raise InvalidArgumentError(
            f"{name} must return finite learning rates >= 0, returned {first[0]!r} at step 0"
        )
    return curve


# --------------------------------------------------------------------------- decays


def constant(lr: float) -> Schedule:
    r"""A constant learning rate: :math:`\alpha_t = \alpha_0`.

    Equivalents: torch keeps the optimizer's ``lr`` when no scheduler is used (torch's
    ``ConstantLR`` is something else: a factor applied for the first steps); optax
    ``constant_schedule``; Keras passes a float ``learning_rate``.
    """
    lr = check_lr("lr", lr)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        out.fill(lr)

    return Schedule("constant", {"lr": lr}, curve)


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r"""Step decay: multiply by :math:`\gamma` every :math:`s` steps.

    .. math:: \alpha_t = \alpha_0 \, \gamma^{\lfloor t / s \rfloor}

    with :math:`s` = ``step_size``. Equals torch ``StepLR(step_size, gamma)``. :math:`t`
    counts from 0, as torch, Keras and optax do, so the first drop happens at
    :math:`t = s`. The form :math:`\gamma^{\lceil n/s \rceil - 1}` met in some blog posts
    counts epochs from :math:`n = 1`; with :math:`n = t + 1` it is this same curve, but
    fed the 0-based :math:`t` it would start at :math:`\gamma^{-1} \alpha_0`.
    Keras: ``ExponentialDecay(..., staircase=True)``; optax:
    ``exponential_decay(..., staircase=True)``. :math:`\gamma > 1` grows the rate.
    """
    lr = check_lr("lr", lr)
    step_size = check_int("step_size", step_size, low=1)
    gamma = check_real("gamma", gamma, low=0.0, low_inclusive=False)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.floor_divide(t, step_size, out=out)
        np.power(gamma, out, out=out)
        out *= lr

    return Schedule("step_decay", {"lr": lr, "step_size": step_size, "gamma": gamma}, curve)


def multistep_decay(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    r"""Multiply by :math:`\gamma` at each milestone step.

    .. math:: \alpha_t = \alpha_0 \, \gamma^{\#\{i \,:\, m_i \le t\}}

    where :math:`m_1 < m_2 < \dots` are the ``milestones``: the rate drops at
    :math:`t = m_i`. Equals torch ``MultiStepLR(milestones, gamma)``. torch silently
    accepts repeated milestones (and then multiplies by :math:`\gamma` twice); here the
    milestones must be strictly increasing integers >= 0.
    """
    lr = check_lr("lr", lr)
    ms = check_increasing_ints("milestones", milestones, low=0)
    gamma = check_real("gamma", gamma, low=0.0, low_inclusive=False)
    ms_array = np.array(ms, dtype=np.int64)
    # The rate is one of len(ms) + 1 levels; compute them once, like torch's closed form.
    levels = np.array([lr * gamma**k for k in range(len(ms) + 1)], dtype=np.float64)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        level, which = _bins(ms_array, t, "right")
        if which is None:
            out.fill(levels[level])
        else:
            np.take(levels, which, out=out)

    return Schedule("multistep_decay", {"lr": lr, "milestones": ms, "gamma": gamma}, curve)


def exponential_decay(
    lr: float, gamma: float, decay_steps: float = 1, staircase: bool = False
) -> Schedule:
    r"""Exponential decay: multiply by :math:`\gamma` every :math:`s` steps, smoothly.

    .. math:: \alpha_t = \alpha_0 \, \gamma^{t / s}
              \qquad\text{or, with staircase,}\qquad
              \alpha_t = \alpha_0 \, \gamma^{\lfloor t / s \rfloor}

    with :math:`s` = ``decay_steps`` (any positive number). With :math:`s = 1` this is
    torch ``ExponentialLR(gamma)`` (torch multiplies the rate by :math:`\gamma` at every
    step; here it is the closed form). Keras ``ExponentialDecay(lr, decay_steps,
    decay_rate=gamma, staircase)`` and optax ``exponential_decay(lr, decay_steps, gamma,
    staircase=staircase)`` are the same curve. With :math:`\gamma < 1` it decays (note the
    sign: :math:`0.1^{t/s}` decays, :math:`0.1^{-t/s}` would grow); :math:`\gamma > 1`
    grows, as an LR range test needs.
    """
    lr = check_lr("lr", lr)
    gamma = check_real("gamma", gamma, low=0.0, low_inclusive=False)
    decay_steps = check_real("decay_steps", decay_steps, low=0.0, low_inclusive=False)
    staircase = bool(staircase)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, t)  # one int -> float pass; mixed-type ufuncs are slower
        if decay_steps != 1.0:
            out /= decay_steps
            if staircase:
                np.floor(out, out=out)
        np.power(gamma, out, out=out)
        out *= lr

    params = {"lr": lr, "gamma": gamma, "decay_steps": decay_steps, "staircase": staircase}
    return Schedule("exponential_decay", params, curve)


def power_decay(lr: float, s: float, c: float = 1.0) -> Schedule:
    r"""Power scheduling: the rate falls like a power of :math:`t`.

    .. math:: \alpha_t = \frac{\alpha_0}{(1 + t/s)^{c}}

    After :math:`s` steps the rate is :math:`\alpha_0 / 2^c` (halved when :math:`c = 1`),
    after :math:`3s` steps :math:`\alpha_0 / 4^c`. With :math:`c = 1` it is the
    inverse-time decay with decay rate 1 and ``decay_steps`` :math:`s`. No torch
    scheduler has it (``LambdaLR`` can express it); optax ``polynomial_schedule`` is a
    different curve.
    """
    lr = check_lr("lr", lr)
    s = check_real("s", s, low=0.0, low_inclusive=False)
    c = check_real("c", c, low=0.0)

    inv_s = 1.0 / s

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        # lr * (1 + t (1/s)) ** -c: multiplying by 1/s instead of dividing, and raising to
        # -c instead of dividing lr, saves two slow division passes next to np.power.
        # At t = 0 the base is exactly 1, so the curve starts exactly at lr.
        np.copyto(out, t)
        out *= inv_s
        out += 1.0
        np.power(out, -c, out=out)
        out *= lr

    return Schedule("power_decay", {"lr": lr, "s": s, "c": c}, curve)


def inverse_time_decay(
    lr: float, decay_rate: float, decay_steps: float = 1, staircase: bool = False
) -> Schedule:
    r"""Inverse-time ("time-based") decay.

    .. math:: \alpha_t = \frac{\alpha_0}{1 + d \, t / s}
              \qquad\text{or, with staircase,}\qquad
              \alpha_t = \frac{\alpha_0}{1 + d \, \lfloor t / s \rfloor}

    with :math:`d` = ``decay_rate`` and :math:`s` = ``decay_steps``. Equals Keras
    ``InverseTimeDecay(lr, decay_steps, decay_rate, staircase)``, the schedule behind the
    old Keras ``decay`` argument of SGD (there with :math:`s = 1`). It is
    :func:`power_decay` with :math:`c = 1` and :math:`s/d` steps. No torch scheduler has
    it (``LambdaLR`` can express it).
    """
    lr = check_lr("lr", lr)
    decay_rate = check_real("decay_rate", decay_rate, low=0.0)
    decay_steps = check_real("decay_steps", decay_steps, low=0.0, low_inclusive=False)
    staircase = bool(staircase)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, t)
        out /= decay_steps
        if staircase:
            np.floor(out, out=out)
        out *= decay_rate
        out += 1.0
        np.divide(lr, out, out=out)

    params = {
        "lr": lr,
        "decay_rate": decay_rate,
        "decay_steps": decay_steps,
        "staircase": staircase,
    }
    return Schedule("inverse_time_decay", params, curve)


def polynomial_decay(
    lr: float, total_steps: int, power: float = 1.0, end_lr: float = 0.0
) -> Schedule:
    r"""Polynomial decay from :math:`\alpha_0` to ``end_lr`` over :math:`T` steps, then flat.

    .. math:: \alpha_t = \alpha_{\mathrm{end}} + (\alpha_0 - \alpha_{\mathrm{end}})
              \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    with :math:`T` = ``total_steps`` and :math:`p` = ``power`` (:math:`p = 1` is a straight
    line). It holds :math:`\alpha_{\mathrm{end}}` for :math:`t \ge T`. With ``end_lr=0``
    it equals torch ``PolynomialLR(total_iters=T, power=p)``, which has no end value.
    Keras ``PolynomialDecay(lr, T, end_lr, power)`` (``cycle=False``) and optax
    ``polynomial_schedule(lr, end_lr, power, T)`` are the same curve.
    """
    lr = check_lr("lr", lr)
    total_steps = check_int("total_steps", total_steps, low=1)
    power = check_real("power", power, low=0.0)
    end_lr = check_real("end_lr", end_lr, low=0.0, high=lr)
    span = lr - end_lr
    # 1 - min(t, T)/T is computed as (T - min(t, T)) * (1/T) when T * (1/T) == 1 exactly
    # (for 87% of T), which keeps both ends exact (1 at t = 0, 0 from t = T on) and
    # replaces a division pass by a multiplication; otherwise as written.
    inv_total = 1.0 / total_steps
    by_inverse = total_steps * inv_total == 1.0

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, t)  # then float-only passes: mixed int/float ufuncs cost 2x
        np.minimum(out, total_steps, out=out)
        if by_inverse:
            np.subtract(total_steps, out, out=out)
            out *= inv_total
        else:
            out /= total_steps
            np.subtract(1.0, out, out=out)
        np.power(out, power, out=out)
        out *= span
        if end_lr:
            out += end_lr

    params = {"lr": lr, "total_steps": total_steps, "power": power, "end_lr": end_lr}
    return Schedule("polynomial_decay", params, curve)


def linear(lr: float, start_factor: float, end_factor: float, total_steps: int) -> Schedule:
    r"""Linear interpolation of the factor on :math:`\alpha_0` over :math:`T` steps, then flat.

    .. math:: \alpha_t = \alpha_0 \left(f_{\mathrm{start}}
              + (f_{\mathrm{end}} - f_{\mathrm{start}}) \frac{\min(t, T)}{T}\right)

    with :math:`T` = ``total_steps``. Equals torch ``LinearLR(start_factor, end_factor,
    total_iters=T)``. torch updates the rate by a ratio at every step, so it needs
    :math:`0 < f_{\mathrm{start}} \le 1` and :math:`0 \le f_{\mathrm{end}} \le 1`; this
    closed form accepts any factors >= 0 (a warm-up from 0 has :math:`f_{\mathrm{start}} = 0`).
    optax: ``linear_schedule(lr * start_factor, lr * end_factor, T)``.
    """
    lr = check_lr("lr", lr)
    start_factor = check_real("start_factor", start_factor, low=0.0)
    end_factor = check_real("end_factor", end_factor, low=0.0)
    total_steps = check_int("total_steps", total_steps, low=1)
    slope = end_factor - start_factor

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, t)  # then float-only passes: mixed int/float ufuncs cost 2x
        np.minimum(out, total_steps, out=out)
        out *= slope
        out /= total_steps
        out += start_factor
        out *= lr

    params = {
        "lr": lr,
        "start_factor": start_factor,
        "end_factor": end_factor,
        "total_steps": total_steps,
    }
    return Schedule("linear", params, curve)


# --------------------------------------------------------------------------- cosines


def _cosine_into(out: np.ndarray, lr: float, min_lr: float) -> None:
    # out holds the angle in [0, pi]; replace it with min + (lr - min) (1 + cos) / 2.
    # Halving is exact in binary, so folding /2 into the factor changes no bits.
    np.cos(out, out=out)
    out += 1.0
    out *= 0.5 * (lr - min_lr)
    if min_lr:
        out += min_lr


def cosine_annealing(lr: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    r"""Cosine annealing from :math:`\alpha_0` to :math:`\alpha_{\min}` over :math:`T` steps.

    .. math:: \alpha_t = \alpha_{\min} + \frac{\alpha_0 - \alpha_{\min}}{2}
              \left(1 + \cos\frac{\pi \min(t, T)}{T}\right)

    The angle runs over :math:`[0, \pi]` (half a period, not :math:`[0, \pi/2]`), so the
    rate starts at :math:`\alpha_0`, falls slowest at both ends, and reaches
    :math:`\alpha_{\min}` at :math:`t = T`. Equals torch ``CosineAnnealingLR(T_max=T,
    eta_min=min_lr)`` for :math:`t \le T`. Afterwards this schedule holds
    :math:`\alpha_{\min}`, whereas torch keeps following the cosine and climbs back up
    (period :math:`2T`). optax ``cosine_decay_schedule(lr, T, alpha=min_lr/lr)`` and Keras
    ``CosineDecay(lr, T, alpha=min_lr/lr)`` also hold the floor.
    """
    lr = check_lr("lr", lr)
    total_steps = check_int("total_steps", total_steps, low=1)
    min_lr = check_real("min_lr", min_lr, low=0.0, high=lr)
    omega = math.pi / total_steps

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, t)  # then float-only passes: mixed int/float ufuncs cost 2x
        np.minimum(out, total_steps, out=out)
        out *= omega
        _cosine_into(out, lr, min_lr)

    params = {"lr": lr, "total_steps": total_steps, "min_lr": min_lr}
    return Schedule("cosine_annealing", params, curve)


def cosine_warm_restarts(
    lr: float, first_cycle_steps: int, cycle_mult: int = 1, min_lr: float = 0.0
) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Cycle :math:`i = 0, 1, \dots` lasts :math:`T_i = T_0 T_{\mathrm{mult}}^{i}` steps;
    :math:`T_{\mathrm{cur}}` counts the steps since the last restart:

    .. math:: \alpha_t = \alpha_{\min} + \frac{\alpha_0 - \alpha_{\min}}{2}
              \left(1 + \cos\frac{\pi T_{\mathrm{cur}}}{T_i}\right)

    so the rate jumps back to :math:`\alpha_0` at every restart and never quite reaches
    :math:`\alpha_{\min}`. With :math:`T_0` = ``first_cycle_steps`` and
    :math:`T_{\mathrm{mult}}` = ``cycle_mult`` (an integer >= 1), restarts happen at
    :math:`t = T_0, T_0 + T_0 T_{\mathrm{mult}}, \dots`. Equals torch
    ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` stepped once per step, and Keras
    ``CosineDecayRestarts(lr, T_0, t_mul=T_mult, m_mul=1.0, alpha=min_lr/lr)``. Keras and
    optax (``sgdr_schedule``) also allow shrinking the peak each cycle; this does not.
    The cycle of a step is found with exact integer arithmetic (torch's ``step(epoch)``
    and Keras use a floating-point logarithm).
    """
    lr = check_lr("lr", lr)
    first_cycle_steps = check_int("first_cycle_steps", first_cycle_steps, low=1)
    cycle_mult = check_int("cycle_mult", cycle_mult, low=1)
    min_lr = check_real("min_lr", min_lr, low=0.0, high=lr)

    omega = math.pi / first_cycle_steps
    if cycle_mult == 1:

        def curve(t: np.ndarray, out: np.ndarray) -> None:
            # t mod T_0, via floor division: NumPy's integer remainder is ~7x slower.
            np.copyto(out, t - t // first_cycle_steps * first_cycle_steps)
            out *= omega
            _cosine_into(out, lr, min_lr)

    else:
        # Cycle starts grow geometrically, so at most ~63 of them fit in int64 steps; list
        # them exactly with Python ints and find each step's cycle by binary search (no
        # floating-point logarithm that could misplace a step at a restart).
        starts, lengths = [0], [first_cycle_steps]
        while starts[-1] + lengths[-1] <= _INT64_MAX:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * cycle_mult)
        start_array = np.array(starts, dtype=np.int64)
        omega_array = np.array([math.pi / n for n in lengths], dtype=np.float64)  # pi / T_i

        def curve(t: np.ndarray, out: np.ndarray) -> None:
            cycle, which = _bins(start_array, t, "right")
            if which is None:  # all steps in one cycle, cycle - 1
                np.copyto(out, t - start_array[cycle - 1])
                out *= omega_array[cycle - 1]
            else:
                which -= 1
                np.copyto(out, t - start_array[which])
                out *= omega_array[which]
            _cosine_into(out, lr, min_lr)

    params = {
        "lr": lr,
        "first_cycle_steps": first_cycle_steps,
        "cycle_mult": cycle_mult,
        "min_lr": min_lr,
    }
    return Schedule("cosine_warm_restarts", params, curve)


# --------------------------------------------------------------------------- cyclical


def cyclic(
    base_lr: float,
    max_lr: float,
    step_size_up: int,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    r"""Cyclical learning rate (Smith 2017): triangles between ``base_lr`` and ``max_lr``.

    A cycle lasts :math:`u + d` steps (:math:`u` = ``step_size_up``, :math:`d` =
    ``step_size_down``, default :math:`u`). With :math:`p = t \bmod (u + d)` the position
    in the cycle and :math:`k = \lfloor t / (u + d) \rfloor` the number of cycles done,

    .. math:: h_t = \min\left(\frac{p}{u}, \frac{u + d - p}{d}\right), \qquad
              \alpha_t = \alpha_{\mathrm{base}}
              + (\alpha_{\max} - \alpha_{\mathrm{base}}) \, h_t \, \sigma_t

    rising for :math:`u` steps to :math:`\alpha_{\max}` and falling for :math:`d` steps.
    The amplitude scale :math:`\sigma_t` depends on ``mode``: ``"triangular"``
    :math:`\sigma_t = 1`; ``"triangular2"`` :math:`\sigma_t = 2^{-k}` (halved every
    cycle); ``"exp_range"`` :math:`\sigma_t = \gamma^{t}`. Equals torch ``CyclicLR`` in
    all three modes (use it there with ``cycle_momentum=False`` or a momentum optimizer);
    torch's float arithmetic and ours can differ by a rounding error. ``gamma`` only matters in
    ``"exp_range"``.
    """
    base_lr = check_lr("base_lr", base_lr)
    max_lr = check_lr("max_lr", max_lr)
    if max_lr < base_lr:
        raise InvalidArgumentError(f"max_lr must be >= base_lr ({base_lr!r}), got {max_lr!r}")
    step_size_up = check_int("step_size_up", step_size_up, low=1)
    if step_size_down is None:
        step_size_down = step_size_up
    step_size_down = check_int("step_size_down", step_size_down, low=1)
    mode = check_choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    gamma = check_real("gamma", gamma, low=0.0, low_inclusive=False)
    cycle_steps = step_size_up + step_size_down
    height = max_lr - base_lr
    rise, fall = height / step_size_up, height / step_size_down
    inv_cycle = 1.0 / cycle_steps

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        steps = np.empty_like(out)
        np.copyto(steps, t)
        # k = floor(t / (u + d)) and p = t - k (u + d), in floating point. For t < 2**51,
        # t (1/(u + d)) never rounds up to the next integer; at an exact multiple it can
        # round down, giving k - 1 and p = u + d instead of k and 0: the same point of
        # the triangle (h = 0), so the same rate, and one division pass saved.
        np.multiply(steps, inv_cycle, out=out)
        np.floor(out, out=out)
        if mode == "triangular2":
            cycles = np.minimum(out, 2000.0).astype(np.int64)
        out *= cycle_steps
        np.subtract(steps, out, out=out)  # p
        down = np.subtract(cycle_steps, out)
        down *= fall
        out *= rise
        np.minimum(out, down, out=out)  # (max_lr - base_lr) * h_t
        if mode == "triangular2":
            # Scaling by 2^-k is exact, as torch's 1 / 2.0 ** (cycle - 1) is. Past
            # k = 1075 the result is 0 anyway; the cap keeps k in C int range.
            np.negative(cycles, out=cycles)
            np.ldexp(out, cycles, out=out)
        elif mode == "exp_range":
            np.power(gamma, steps, out=steps)
            out *= steps
        out += base_lr

    params = {
        "base_lr": base_lr,
        "max_lr": max_lr,
        "step_size_up": step_size_up,
        "step_size_down": step_size_down,
        "mode": mode,
        "gamma": gamma,
    }
    return Schedule("cyclic", params, curve)


# --------------------------------------------------------------------------- piecewise


def piecewise_constant(boundaries: Sequence[int], values: Sequence[float]) -> Schedule:
    r"""A step function given by its values between boundaries (Keras semantics).

    With boundaries :math:`b_0 < b_1 < \dots < b_{n-1}` and values :math:`v_0, \dots, v_n`,

    .. math:: \alpha_t = v_0 \text{ for } t \le b_0, \quad
              v_i \text{ for } b_{i-1} < t \le b_i, \quad
              v_n \text{ for } t > b_{n-1}.

    Equals Keras ``PiecewiseConstantDecay(boundaries, values)``. Note the ``<=``: the new
    value starts one step *after* a boundary, unlike :func:`multistep_decay` and
    :func:`join`, where it starts *at* the milestone. optax
    ``piecewise_constant_schedule`` is different again (multiplicative scales).
    """
    bounds = check_increasing_ints("boundaries", boundaries, low=0)
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidArgumentError(f"values must be a sequence of learning rates, got {values!r}")
    if len(values) != len(bounds) + 1:
        raise InvalidArgumentError(
            f"values must have len(boundaries) + 1 = {len(bounds) + 1} entries, got {len(values)}"
        )
    vals = tuple(check_lr(f"values[{i}]", v) for i, v in enumerate(values))
    bound_array = np.array(bounds, dtype=np.int64)
    value_array = np.array(vals, dtype=np.float64)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        piece, which = _bins(bound_array, t, "left")
        if which is None:
            out.fill(value_array[piece])
        else:
            np.take(value_array, which, out=out)

    return Schedule("piecewise_constant", {"boundaries": bounds, "values": vals}, curve)


def _fill_from(curve: Curve, t: np.ndarray, out: np.ndarray, where: np.ndarray, shift: int) -> None:
    """Fill ``out[where]`` with ``curve(t[where] - shift)``."""
    part = np.empty(np.count_nonzero(where))
    _run(curve, t[where] - shift, part)
    out[where] = part


def warmup(
    schedule: Schedule | Callable[[np.ndarray], Any], warmup_steps: int, start_factor: float = 0.0
) -> Schedule:
    r"""Prepend a linear warm-up of :math:`W` steps to ``schedule``.

    .. math:: \alpha_t = \begin{cases}
              \beta_0 \left(f + (1 - f) \dfrac{t}{W}\right) & t < W \\
              \beta_{t - W} & t \ge W
              \end{cases}

    where :math:`\beta` is the wrapped schedule, :math:`W` = ``warmup_steps`` and
    :math:`f` = ``start_factor``: the rate climbs linearly from :math:`f \beta_0` towards
    :math:`\beta_0`, then the wrapped schedule starts from its own step 0, shifted by
    :math:`W` (its decay is delayed, not cut short). ``warmup_steps=0`` returns the same
    curve as ``schedule``.

    torch: ``SequentialLR([LinearLR(start_factor, 1.0, total_iters=W), <scheduler>],
    milestones=[W])``, with two differences: torch's ``LinearLR`` needs :math:`f > 0`,
    and it warms up to the optimizer's base rate, not to :math:`\beta_0`, so the two agree
    when the wrapped scheduler starts at the base rate (decays do; a ``LinearLR`` with
    ``start_factor < 1`` does not, and then this formula is the one meant). optax:
    ``join_schedules([linear_schedule(f * b0, b0, W), schedule], [W])``.

    ``schedule`` may be any callable mapping an int64 array of steps to learning rates;
    every :class:`Schedule` does.
    """
    inner = _curve_of("schedule", schedule)
    warmup_steps = check_int("warmup_steps", warmup_steps, low=0)
    start_factor = check_real("start_factor", start_factor, low=0.0, high=1.0)
    first = np.empty(1)
    _run(inner, np.zeros(1, dtype=np.int64), first)
    peak = float(first[0])
    rise = 1.0 - start_factor

    def ramp(t: np.ndarray, out: np.ndarray) -> None:
        np.multiply(t, rise, out=out)
        out /= warmup_steps
        out += start_factor
        out *= peak

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        head = t < warmup_steps
        n_head = np.count_nonzero(head)
        if n_head == 0:
            inner(t - warmup_steps, out)
        elif n_head == t.size:
            ramp(t, out)
        else:
            _fill_from(ramp, t, out, head, 0)
            _fill_from(inner, t, out, ~head, warmup_steps)

    params = {"schedule": schedule, "warmup_steps": warmup_steps, "start_factor": start_factor}
    return Schedule("warmup", params, curve)


def join(
    schedules: Sequence[Schedule | Callable[[np.ndarray], Any]], boundaries: Sequence[int]
) -> Schedule:
    r"""Run schedules one after another, each restarting its own clock (optax semantics).

    With boundaries :math:`b_1 < \dots < b_{n-1}` (and :math:`b_0 = 0`), schedule
    :math:`i` covers :math:`b_i \le t < b_{i+1}` and sees the step :math:`t - b_i`:

    .. math:: \alpha_t = \beta^{(i)}_{t - b_i} \quad\text{for } b_i \le t < b_{i+1}.

    Equals optax ``join_schedules(schedules, boundaries)``, and torch
    ``SequentialLR(schedulers, milestones=boundaries)`` when every torch scheduler starts
    from the optimizer's base rate. Each schedule may be any callable mapping an int64
    array of steps to learning rates; every :class:`Schedule` does.
    """
    if isinstance(schedules, Schedule) or not isinstance(schedules, Sequence) or not schedules:
        raise InvalidArgumentError(
            f"schedules must be a non-empty sequence of schedules, got {schedules!r}"
        )
    curves = [_curve_of(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    bounds = check_increasing_ints("boundaries", boundaries, low=0)
    if len(bounds) != len(curves) - 1:
        raise InvalidArgumentError(
            f"boundaries must have len(schedules) - 1 = {len(curves) - 1} entries, "
            f"got {len(bounds)}"
        )
    bound_array = np.array(bounds, dtype=np.int64)
    shifts = (0, *bounds)

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        piece, which = _bins(bound_array, t, "right")
        if which is None:
            curves[piece](t - shifts[piece], out)
            return
        for i in np.unique(which):
            _fill_from(curves[i], t, out, which == i, shifts[i])

    params = {"schedules": tuple(schedules), "boundaries": bounds}
    return Schedule("join", params, curve)


def warmup_stable_decay(
    lr: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    min_lr: float = 0.0,
    decay: str = "linear",
) -> Schedule:
    r"""Warmup-stable-decay ("trapezoidal") schedule, as used to train language models.

    With :math:`W` = ``warmup_steps``, :math:`S` = ``stable_steps``, :math:`D` =
    ``decay_steps`` and the decay progress :math:`q = (t - W - S)/D`:

    .. math:: \alpha_t = \begin{cases}
              \alpha_0 \, t / W & t < W \\
              \alpha_0 & W \le t < W + S \\
              \alpha_{\min} + (\alpha_0 - \alpha_{\min}) \, g(q) & W + S \le t < W + S + D \\
              \alpha_{\min} & t \ge W + S + D
              \end{cases}

    where the cooldown shape :math:`g` is ``"linear"`` :math:`1 - q`, ``"cosine"``
    :math:`(1 + \cos \pi q)/2`, or ``"sqrt"`` :math:`1 - \sqrt{q}` (the "1 - sqrt"
    cooldown of Hägele et al. 2024, which drops fastest at the start of the cooldown and
    lies below the linear one everywhere inside it).
    The warm-up starts from 0 (:math:`\alpha_0 = 0` at :math:`t = 0`); ``warmup_steps``
    and ``stable_steps`` may be 0. Because the stable phase does not depend on the total
    length, a run can be continued from a stable-phase checkpoint and cooled down at any
    point.

    torch: ``SequentialLR`` of a ``LambdaLR`` warm-up (``LinearLR`` cannot start from 0),
    a constant phase and ``LinearLR(1.0, min_lr/lr, D)`` or ``CosineAnnealingLR(D,
    min_lr)`` (the "sqrt" shape needs ``LambdaLR``). optax: ``join_schedules`` of
    ``linear_schedule``, ``constant_schedule`` and a decay.
    """
    lr = check_lr("lr", lr)
    warmup_steps = check_int("warmup_steps", warmup_steps, low=0)
    stable_steps = check_int("stable_steps", stable_steps, low=0)
    decay_steps = check_int("decay_steps", decay_steps, low=1)
    min_lr = check_real("min_lr", min_lr, low=0.0, high=lr)
    decay = check_choice("decay", decay, ("linear", "cosine", "sqrt"))
    decay_start = warmup_steps + stable_steps
    span = lr - min_lr
    top_is_exact = span + min_lr == lr

    def curve(t: np.ndarray, out: np.ndarray) -> None:
        first, last = int(t.min()), int(t.max())
        if first >= warmup_steps and last < decay_start:
            out.fill(lr)  # all in the stable phase
            return
        if first >= decay_start + decay_steps:
            out.fill(min_lr)  # all after the decay
            return
        # Every step gets its decay progress q, clipped to [0, 1]: q = 0 gives lr (the
        # stable phase), q = 1 gives min_lr (after the decay); the warm-up is patched last.
        np.copyto(out, t)
        out -= decay_start
        out /= decay_steps
        np.clip(out, 0.0, 1.0, out=out)
        if decay == "linear":
            np.subtract(1.0, out, out=out)
        elif decay == "cosine":
            out *= math.pi
            np.cos(out, out=out)
            out += 1.0
            out *= 0.5
        else:
            np.sqrt(out, out=out)
            np.subtract(1.0, out, out=out)
        out *= span
        out += min_lr
        if not top_is_exact:
            # (lr - min_lr) + min_lr can miss lr by an ulp; the plateau must be lr itself.
            np.copyto(out, lr, where=t <= decay_start)
        if first < warmup_steps:
            head = t < warmup_steps
            out[head] = lr * t[head] / warmup_steps

    params = {
        "lr": lr,
        "warmup_steps": warmup_steps,
        "stable_steps": stable_steps,
        "decay_steps": decay_steps,
        "min_lr": min_lr,
        "decay": decay,
    }
    return Schedule("warmup_stable_decay", params, curve)


# --------------------------------------------------------------------------- plateau


class ReduceLROnPlateau:
    r"""Cut the learning rate when a metric stops improving (torch semantics).

    Not a function of :math:`t`: it reacts to a validation metric, so it keeps state.
    Call :meth:`step` once per evaluation with the metric; it returns the learning rate to
    use next. The rules, decision for decision those of torch ``ReduceLROnPlateau``:

    - a metric *improves* on the best seen so far if, for ``mode="min"``,
      :math:`m < m^\ast (1 - \epsilon_{\mathrm{th}})` (``threshold_mode="rel"``) or
      :math:`m < m^\ast - \epsilon_{\mathrm{th}}` (``"abs"``), and the mirror images for
      ``mode="max"``; then the best is updated and the bad-epoch count reset, otherwise
      the count grows by one;
    - during a cool-down (``cooldown`` evaluations after a cut) bad epochs are not counted;
    - when the count exceeds ``patience``, the rate becomes
      :math:`\max(\alpha \cdot \mathrm{factor}, \alpha_{\min})`, unless that changes it by
      ``eps`` or less; the cool-down starts and the count is reset.

    Like torch, a NaN metric never improves (it counts as a bad epoch, so a diverged run
    gets its rate cut), and the relative threshold assumes the metric is positive (in
    ``"rel"`` mode a negative best is compared against :math:`m^\ast(1 - \epsilon)`,
    which lies above it; use ``"abs"`` for metrics that can be negative).
    """

    def __init__(
        self,
        lr: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        self.lr = check_lr("lr", lr)
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.factor = check_real(
            "factor", factor, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        )
        self.patience = check_int("patience", patience, low=0)
        self.threshold = check_real("threshold", threshold, low=0.0)
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check_int("cooldown", cooldown, low=0)
        self.min_lr = check_real("min_lr", min_lr, low=0.0, high=self.lr)
        self.eps = check_real("eps", eps, low=0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric: float, best: float) -> bool:
        """Whether ``metric`` counts as an improvement on ``best`` (see the class doc)."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        """Whether bad epochs are currently being ignored after a cut."""
        return self.cooldown_counter > 0

    def step(self, metric: float) -> float:
        """Record one evaluation of the metric; return the learning rate to use next."""
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"metric must be a real number, got {metric!r}") from None
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: settings and counters (plain numbers and strings)."""
        return dict(vars(self))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`."""
        vars(self).update(state_dict)

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(lr={self.lr!r}, mode={self.mode!r}, factor={self.factor!r}, "
            f"patience={self.patience!r}, threshold={self.threshold!r}, "
            f"threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown!r}, "
            f"min_lr={self.min_lr!r}, eps={self.eps!r})"
        )


# --------------------------------------------------------------------------- torch


class ScheduleLR(LRScheduler):
    r"""A torch ``LRScheduler`` that sets every param group's ``lr`` to ``schedule(t)``.

    Build it with :func:`to_torch`. :math:`t` is torch's ``last_epoch``: 0 after
    construction, and one more after each ``scheduler.step()``, so with the usual loop
    (``optimizer.step()`` then ``scheduler.step()``) the :math:`t`-th optimizer step
    (from 0) uses :math:`\alpha_t`. All param groups get the same rate; the groups'
    own ``lr`` values are ignored.

    ``state_dict()`` holds torch's bookkeeping (``last_epoch``, ``_step_count``,
    ``base_lrs``, ``_last_lr``, ...) and, under ``"schedule"``, ``repr(schedule)`` as a
    plain string label; the schedule callable itself is never stored, so the state
    loads with ``torch.load(..., weights_only=True)``. ``load_state_dict()`` restores
    ``last_epoch`` (the scheduler keeps the schedule it was built with; it warns if the
    saved label names a different :class:`Schedule`) and sets the param groups' rates to
    ``schedule(last_epoch)``, so training resumes at the same :math:`t` whether or not the
    optimizer's state was loaded first.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Callable[[int], float],
        last_epoch: int = -1,
    ) -> None:
        if not callable(schedule):
            raise InvalidArgumentError(
                f"schedule must be a Schedule or a callable step -> lr, got {schedule!r}"
            )
        self.schedule = schedule
        super().__init__(optimizer, last_epoch)

    def _lr_now(self) -> float:
        lr = float(self.schedule(int(self.last_epoch)))
        if not math.isfinite(lr) or lr < 0:
            raise InvalidArgumentError(
                f"schedule must return finite learning rates >= 0, "
                f"returned {lr!r} at step {self.last_epoch}"
            )
        return lr

    def get_lr(self) -> list[float]:
        """The rate for every param group at the current step ``last_epoch``."""
        return [self._lr_now()] * len(self.optimizer.param_groups)

    # A closed form by construction; torch uses this when `step(epoch)` is given.
    _get_closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """torch's counters and ``repr(schedule)``; never the callable itself."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "schedule")}
        state["schedule"] = repr(self.schedule)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume at the saved step; see the class docstring."""
        state = dict(state_dict)
        label = state.pop("schedule", None)
        if (
            isinstance(self.schedule, Schedule)
            and label is not None
            and label != repr(self.schedule)
        ):
            warnings.warn(
                f"loading the state of a scheduler built on {label} into one built on "
                f"{self.schedule!r}; resuming at step {state.get('last_epoch')} of the latter",
                UserWarning,
                stacklevel=2,
            )
        self.__dict__.update(state)
        lr = self._lr_now()
        for group in self.optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [lr] * len(self.optimizer.param_groups)


def to_torch(optimizer: torch.optim.Optimizer, schedule: Callable[[int], float]) -> ScheduleLR:
    r"""Drive a torch optimizer with a schedule: returns a :class:`ScheduleLR`.

    The optimizer's rate becomes ``schedule(0)`` at once; after each
    ``scheduler.step()`` it is ``schedule(t)`` with :math:`t` the number of calls so far::

        opt = torch.optim.SGD(model.parameters(), lr=0.1)   # lr is overwritten
        sched = to_torch(opt, warmup(cosine_annealing(0.1, 900), 100))
        for batch in loader:
            ...; opt.step(); sched.step()

    It plays the role of torch ``LambdaLR``, but sets the rate itself rather than a factor
    on the base rate, and its ``state_dict`` never pickles the schedule.
    """
    return ScheduleLR(optimizer, schedule)


@dataclass(frozen=True)
class RecordedRates:
    """What :func:`record_torch_rates` saw: one entry per optimizer step.

    Attributes
    ----------
    lr:
        The learning rate of parameter group 0 in effect at steps 0, ..., steps - 1.
    momentum:
        SGD's ``momentum`` (or Adam's :math:`\\beta_1`) at the same steps, as schedulers
        like ``OneCycleLR`` and ``CyclicLR`` cycle it; None when neither was asked for.
    """

    lr: np.ndarray
    momentum: np.ndarray | None = None


def record_torch_rates(
    make_scheduler: Callable[[Any], Any],
    steps: int,
    *,
    lr: float = 1.0,
    momentum: float | None = None,
    betas: tuple[float, float] | None = None,
) -> RecordedRates:
    r"""Step a torch scheduler ``steps`` times and record the rates a training loop would use.

    ``make_scheduler(optimizer)`` builds any torch scheduler on a dummy one-parameter
    optimizer: ``torch.optim.SGD(lr=lr, momentum=momentum or 0)``, or ``torch.optim.Adam(lr=lr,
    betas=betas)`` when ``betas`` is given. Before each ``optimizer.step()`` (no gradients,
    so nothing moves) the rate of parameter group 0 is read, then ``scheduler.step()`` is
    called: entry :math:`t` is :math:`\alpha_t`, the rate of the :math:`t`-th step counted
    from 0, exactly as ``lrlab.train.fit`` records it.

    Examples
    --------
    >>> from torch.optim.lr_scheduler import StepLR
    >>> record_torch_rates(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 5).lr
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    >>> from torch.optim.lr_scheduler import OneCycleLR
    >>> rec = record_torch_rates(
    ...     lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=4), 4, momentum=0.9)
    >>> rec.momentum.round(3)
    array([0.95 , 0.869, 0.922, 0.95 ])
    """
    import torch  # here, not at the top: the pure schedules must not need torch

    steps = check_int("steps", steps, low=1)
    lr = check_lr("lr", lr)
    if momentum is not None and betas is not None:
        raise InvalidArgumentError(
            f"give momentum (SGD) or betas (Adam), not both; got momentum={momentum!r}, "
            f"betas={betas!r}"
        )
    param = torch.nn.Parameter(torch.zeros(1))
    if betas is not None:
        optimizer: torch.optim.Optimizer = torch.optim.Adam([param], lr=lr, betas=betas)
    else:
        m = 0.0 if momentum is None else check_real("momentum", momentum, low=0.0)
        optimizer = torch.optim.SGD([param], lr=lr, momentum=m)
    scheduler = make_scheduler(optimizer)
    group = optimizer.param_groups[0]
    rates, momenta = [], []
    for _ in range(steps):
        rates.append(float(group["lr"]))
        if betas is not None:
            momenta.append(float(group["betas"][0]))
        elif momentum is not None:
            momenta.append(float(group["momentum"]))
        optimizer.step()
        scheduler.step()
    recorded = None if momentum is None and betas is None else np.array(momenta)
    return RecordedRates(lr=np.array(rates, dtype=np.float64), momentum=recorded)
