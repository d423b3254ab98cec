r"""The learning-rate schedules of the course, each one a factory whose body is its formula.

A factory checks its arguments, then returns a :class:`~lrlab.schedules.Schedule` built
from a formula written as in its docstring (``t`` is the float64 array of steps)::

    sched = cosine_annealing(lr=0.1, total_steps=1000)
    sched(0)                      # 0.1, a Python float
    sched(np.arange(1000))        # a float64 array, equal elementwise to the scalar calls

Calling a schedule never changes it, so it can be plotted, tested and handed to a training
loop without being "spent". :func:`~lrlab.schedules.schedule_from` makes a schedule from a
formula of your own, the way every factory here does.

Notation, shared with the lectures: :math:`t` is the step index counted from 0 (the number
of scheduler steps taken), :math:`\alpha_t` the learning rate at step :math:`t`,
:math:`\alpha_0` the initial (base) learning rate, :math:`T` a total number of steps,
:math:`\gamma` a decay factor, :math:`s` a step size or decay interval,
:math:`\alpha_{\min}` a floor, :math:`T_0` the first cycle length and :math:`T_{\mathrm{mult}}`
the cycle multiplier. :math:`\lfloor x \rfloor` is the floor of :math:`x`.

Each factory's docstring names the torch, Keras or optax schedule it equals and every place
where it differs; ``tests/test_schedules.py`` checks those claims against the real libraries.

Taught in ``lectures/decay_schedules`` (constant, step, multistep, exponential, power,
inverse time, polynomial, linear), ``lectures/cosine_restarts`` (cosine annealing, warm
restarts), ``lectures/warmup_cyclical`` (warmup, join, cyclic), ``lectures/custom_schedule``
(piecewise constant, schedule_from) and ``lectures/modern_practice`` (warmup-stable-decay).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from lrlab._validate import (
    Boolean,
    IncreasingInts,
    Interval,
    InvalidArgumentError,
    Options,
    check,
    check_lr,
    validate_params,
)
from lrlab.schedules.core import Schedule, formula_of, piecewise, schedule_from

__all__ = [
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
    "step_decay",
    "warmup",
    "warmup_stable_decay",
]

_INT64_MAX = int(np.iinfo(np.int64).max)

# The argument constraints the factories declare (see lrlab._validate). Bools and NaN are
# never numbers, and a rate is finite.
LR = Interval(Real, 0, None, closed="left")  # a learning rate or a floor: >= 0
POSITIVE = Interval(Real, 0, None, closed="neither")
STEPS = Interval(Integral, 1, None, closed="left")  # a length in steps: an int >= 1
COUNT = Interval(Integral, 0, None, closed="left")  # a number of steps that may be 0
FRACTION = Interval(Real, 0, 1, closed="both")
MILESTONES = IncreasingInts(low=0)


# --------------------------------------------------------------------------- decays


@validate_params(lr=LR)
def constant(lr: float) -> Schedule:
    r"""A constant learning rate: :math:`\alpha_t = \alpha_0`.

    Equivalents: torch keeps the optimizer's ``lr`` when no scheduler is used (torch's
    ``ConstantLR`` is something else: a factor applied for the first steps); optax
    ``constant_schedule``; Keras passes a float ``learning_rate``.

    Examples
    --------
    >>> constant(0.1)(500)
    0.1
    """

    def formula(t):
        return np.full_like(t, lr)

    return schedule_from(formula, "constant", lr=lr)


@validate_params(lr=LR, step_size=STEPS, gamma=POSITIVE)
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

    Examples
    --------
    >>> step_decay(1.0, step_size=10, gamma=0.5)(np.array([0, 9, 10, 25]))
    array([1.  , 1.  , 0.5 , 0.25])
    """
    s = step_size

    def formula(t):
        return lr * gamma ** np.floor(t / s)

    return schedule_from(formula, "step_decay", lr=lr, step_size=s, gamma=gamma)


@validate_params(lr=LR, milestones=MILESTONES, gamma=POSITIVE)
def multistep_decay(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    r"""Multiply by :math:`\gamma` at each milestone step.

    .. math:: \alpha_t = \alpha_0 \, \gamma^{\#\{i \,:\, m_i \le t\}}

    where :math:`m_1 < m_2 < \dots` are the ``milestones``: the rate drops at
    :math:`t = m_i`. Equals torch ``MultiStepLR(milestones, gamma)``. torch silently
    accepts repeated milestones (and then multiplies by :math:`\gamma` twice); here the
    milestones must be strictly increasing integers >= 0.

    Examples
    --------
    >>> multistep_decay(1.0, [3, 5], gamma=0.1)(np.arange(7))
    array([1.  , 1.  , 1.  , 0.1 , 0.1 , 0.01, 0.01])
    """
    ms = milestones
    m = np.array(ms, dtype=np.float64)

    def formula(t):
        passed = np.searchsorted(m, t, side="right")  # #{i : m_i <= t}
        return lr * gamma**passed

    return schedule_from(formula, "multistep_decay", lr=lr, milestones=ms, gamma=gamma)


@validate_params(lr=LR, gamma=POSITIVE, decay_steps=POSITIVE, staircase=Boolean())
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

    Examples
    --------
    >>> exponential_decay(1.0, gamma=0.5, decay_steps=2)(np.array([0, 1, 2, 4]))
    array([1.        , 0.70710678, 0.5       , 0.25      ])
    """
    s = decay_steps
    staircase = bool(staircase)

    def formula(t):
        return lr * gamma ** (np.floor(t / s) if staircase else t / s)

    return schedule_from(
        formula, "exponential_decay", lr=lr, gamma=gamma, decay_steps=s, staircase=staircase
    )


@validate_params(lr=LR, s=POSITIVE, c=LR)
def power_decay(lr: float, s: float, c: float = 1.0) -> Schedule:
    r"""Power scheduling: the rate falls like a power of :math:`t`.

    .. math:: \alpha_t = \frac{\alpha_0}{(1 + t/s)^{c}}

    After :math:`s` steps the rate is :math:`\alpha_0 / 2^c` (halved when :math:`c = 1`),
    after :math:`3s` steps :math:`\alpha_0 / 4^c`. With :math:`c = 1` it is the
    inverse-time decay with decay rate 1 and ``decay_steps`` :math:`s`. No torch
    scheduler has it (``LambdaLR`` can express it); optax ``polynomial_schedule`` is a
    different curve.

    Examples
    --------
    >>> power_decay(1.0, s=10, c=1.0)(np.array([0, 10, 30]))
    array([1.  , 0.5 , 0.25])
    """

    def formula(t):
        return lr / (1 + t / s) ** c

    return schedule_from(formula, "power_decay", lr=lr, s=s, c=c)


@validate_params(lr=LR, decay_rate=LR, decay_steps=POSITIVE, staircase=Boolean())
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

    Examples
    --------
    >>> inverse_time_decay(1.0, decay_rate=1.0, decay_steps=10)(np.array([0, 10, 30]))
    array([1.  , 0.5 , 0.25])
    """
    d = decay_rate
    s = decay_steps
    staircase = bool(staircase)

    def formula(t):
        return lr / (1 + d * (np.floor(t / s) if staircase else t / s))

    return schedule_from(
        formula, "inverse_time_decay", lr=lr, decay_rate=d, decay_steps=s, staircase=staircase
    )


@validate_params(lr=LR, total_steps=STEPS, power=LR, end_lr=LR)
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

    Examples
    --------
    >>> polynomial_decay(1.0, total_steps=4, power=2.0)(np.arange(6))
    array([1.    , 0.5625, 0.25  , 0.0625, 0.    , 0.    ])
    """
    T = total_steps
    p = power
    check("polynomial_decay", "end_lr", end_lr, Interval(Real, 0, lr))  # a floor, not above lr

    def formula(t):
        return end_lr + (lr - end_lr) * (1 - np.minimum(t, T) / T) ** p

    return schedule_from(formula, "polynomial_decay", lr=lr, total_steps=T, power=p, end_lr=end_lr)


@validate_params(lr=LR, start_factor=LR, end_factor=LR, total_steps=STEPS)
def linear(lr: float, start_factor: float, end_factor: float, total_steps: int) -> Schedule:
    r"""Linear interpolation of the factor on :math:`\alpha_0` over :math:`T` steps, then flat.

    .. math:: \alpha_t = \alpha_0 \left((1 - q_t) f_{\mathrm{start}}
              + q_t f_{\mathrm{end}}\right), \qquad q_t = \frac{\min(t, T)}{T}

    with :math:`T` = ``total_steps`` (the factor moves from :math:`f_{\mathrm{start}}` to
    :math:`f_{\mathrm{end}}` in a straight line; written this way it hits both ends exactly).
    Equals torch ``LinearLR(start_factor, end_factor, total_iters=T)``. torch updates the
    rate by a ratio at every step, so it needs
    :math:`0 < f_{\mathrm{start}} \le 1` and :math:`0 \le f_{\mathrm{end}} \le 1`; this
    closed form accepts any factors >= 0 (a warm-up from 0 has :math:`f_{\mathrm{start}} = 0`).
    optax: ``linear_schedule(lr * start_factor, lr * end_factor, T)``.

    Examples
    --------
    >>> linear(1.0, start_factor=0.0, end_factor=1.0, total_steps=4)(np.arange(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    """
    f_start = start_factor
    f_end = end_factor
    T = total_steps

    def formula(t):
        q = np.minimum(t, T) / T
        return lr * ((1 - q) * f_start + q * f_end)

    return schedule_from(
        formula, "linear", lr=lr, start_factor=f_start, end_factor=f_end, total_steps=T
    )


# --------------------------------------------------------------------------- cosines


@validate_params(lr=LR, total_steps=STEPS, min_lr=LR)
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

    Examples
    --------
    >>> cosine_annealing(1.0, total_steps=4)(np.arange(6)).round(4)
    array([1.    , 0.8536, 0.5   , 0.1464, 0.    , 0.    ])
    """
    T = total_steps
    check("cosine_annealing", "min_lr", min_lr, Interval(Real, 0, lr))  # a floor, not above lr

    def formula(t):
        return min_lr + (lr - min_lr) / 2 * (1 + np.cos(np.pi * np.minimum(t, T) / T))

    return schedule_from(formula, "cosine_annealing", lr=lr, total_steps=T, min_lr=min_lr)


@validate_params(lr=LR, first_cycle_steps=STEPS, cycle_mult=STEPS, min_lr=LR)
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

    Examples
    --------
    >>> cosine_warm_restarts(1.0, first_cycle_steps=2, cycle_mult=2)(np.arange(7)).round(3)
    array([1.   , 0.5  , 1.   , 0.854, 0.5  , 0.146, 1.   ])
    """
    T_0 = first_cycle_steps
    T_mult = cycle_mult
    check("cosine_warm_restarts", "min_lr", min_lr, Interval(Real, 0, lr))  # a floor, not above lr
    # Cycle i starts at t_i = T_0 (1 + T_mult + ... + T_mult^(i-1)) and lasts T_i steps.
    # At most ~63 starts fit below 2**63; listed exactly with Python ints, and each step's
    # cycle is found by integer search (a floating-point logarithm, as torch's step(epoch)
    # uses, can misplace a step that sits on a restart).
    starts, lengths = [0], [T_0]
    while T_mult > 1 and starts[-1] + lengths[-1] <= _INT64_MAX:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    start_of, length_of = np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.float64)

    def formula(t):  # t: int64 steps, for exact restarts
        if T_mult == 1:
            i, T_cur = 0, t % T_0
        else:
            i = np.searchsorted(start_of, t, side="right") - 1
            T_cur = t - start_of[i]
        T_i = length_of[i]
        return min_lr + (lr - min_lr) / 2 * (1 + np.cos(np.pi * T_cur / T_i))

    return schedule_from(
        formula,
        "cosine_warm_restarts",
        integer_steps=True,
        lr=lr,
        first_cycle_steps=T_0,
        cycle_mult=T_mult,
        min_lr=min_lr,
    )


# --------------------------------------------------------------------------- cyclical


@validate_params(
    base_lr=LR,
    max_lr=LR,
    step_size_up=STEPS,
    step_size_down=[STEPS, None],
    mode=Options({"triangular", "triangular2", "exp_range"}),
    gamma=POSITIVE,
)
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

    Examples
    --------
    >>> cyclic(0.1, 1.0, step_size_up=2, mode="triangular2")(np.arange(9))
    array([0.1  , 0.55 , 1.   , 0.55 , 0.1  , 0.325, 0.55 , 0.325, 0.1  ])
    """
    check("cyclic", "max_lr", max_lr, Interval(Real, base_lr, None, closed="left"))
    u = step_size_up
    d = u if step_size_down is None else step_size_down

    def formula(t):
        k = np.floor(t / (u + d))  # cycles done
        p = t - k * (u + d)  # position in the cycle
        h = np.minimum(p / u, (u + d - p) / d)
        if mode == "triangular":
            sigma = 1.0
        elif mode == "triangular2":
            sigma = np.exp2(-k)
        else:
            sigma = gamma**t
        return base_lr + (max_lr - base_lr) * h * sigma

    return schedule_from(
        formula,
        "cyclic",
        base_lr=base_lr,
        max_lr=max_lr,
        step_size_up=u,
        step_size_down=d,
        mode=mode,
        gamma=gamma,
    )


# --------------------------------------------------------------------------- piecewise


@validate_params(boundaries=MILESTONES)
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

    Examples
    --------
    >>> piecewise_constant([2, 4], [1.0, 0.5, 0.1])(np.arange(6))
    array([1. , 1. , 1. , 0.5, 0.5, 0.1])
    """
    b = boundaries
    if (
        isinstance(values, str | bytes)
        or not isinstance(values, Sequence)
        or len(values) != len(b) + 1
    ):
        raise InvalidArgumentError(
            "The 'values' parameter of piecewise_constant must be a sequence of "
            f"len(boundaries) + 1 = {len(b) + 1} learning rates. Got {values!r} instead."
        )
    v = tuple(check_lr(f"values[{i}]", x, func="piecewise_constant") for i, x in enumerate(values))
    b_array, v_array = np.array(b, dtype=np.float64), np.array(v, dtype=np.float64)

    def formula(t):
        return v_array[np.searchsorted(b_array, t, side="left")]  # v_i for b_{i-1} < t <= b_i

    return schedule_from(formula, "piecewise_constant", boundaries=b, values=v)


@validate_params(boundaries=MILESTONES)
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

    Examples
    --------
    >>> sched = join([constant(1.0), linear(1.0, 1.0, 0.0, 2)], [2])
    >>> sched(np.arange(5))
    array([1. , 1. , 1. , 0.5, 0. ])
    """
    if isinstance(schedules, Schedule) or not isinstance(schedules, Sequence) or not schedules:
        raise InvalidArgumentError(
            "The 'schedules' parameter of join must be a non-empty sequence of schedules. "
            f"Got {schedules!r} instead."
        )
    betas = [formula_of("join", f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    b = boundaries
    if len(b) != len(betas) - 1:
        raise InvalidArgumentError(
            "The 'boundaries' parameter of join must have len(schedules) - 1 = "
            f"{len(betas) - 1} entries. Got {list(b)!r} instead."
        )
    b_array = np.array(b, dtype=np.float64)

    def formula(t):
        return piecewise(t, b_array, betas)  # beta^(i) at t - b_i, for b_i <= t < b_(i+1)

    return schedule_from(formula, "join", schedules=tuple(schedules), boundaries=b)


@validate_params(warmup_steps=COUNT, start_factor=FRACTION)
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

    Examples
    --------
    >>> warmup(constant(1.0), warmup_steps=4)(np.arange(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    """
    beta = formula_of("warmup", "schedule", schedule)
    W = warmup_steps
    f = start_factor
    params = {"schedule": schedule, "warmup_steps": W, "start_factor": f}
    if W == 0:
        return schedule_from(beta, "warmup", **params)
    beta_0 = float(beta(np.zeros(1))[0])
    ramp = linear(beta_0, f, 1.0, W)  # beta_0 (f + (1 - f) t / W)
    return schedule_from(join([ramp, schedule], [W])._formula, "warmup", **params)


@validate_params(
    lr=LR,
    warmup_steps=COUNT,
    stable_steps=COUNT,
    decay_steps=STEPS,
    min_lr=LR,
    decay=Options({"linear", "cosine", "sqrt"}),
)
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

    Examples
    --------
    >>> sched = warmup_stable_decay(1.0, warmup_steps=2, stable_steps=2, decay_steps=2)
    >>> sched(np.arange(7))
    array([0. , 0.5, 1. , 1. , 1. , 0.5, 0. ])
    """
    W = warmup_steps
    S = stable_steps
    D = decay_steps
    check("warmup_stable_decay", "min_lr", min_lr, Interval(Real, 0, lr))  # a floor, not above lr
    g = {
        "linear": lambda q: 1 - q,
        "cosine": lambda q: (1 + np.cos(np.pi * q)) / 2,
        "sqrt": lambda q: 1 - np.sqrt(q),
    }[decay]

    def cooldown(t):
        q = np.minimum(t, D) / D
        # At q = 0 exactly lr: (lr - min_lr) + min_lr can miss it by an ulp.
        return np.where(q == 0, lr, min_lr + (lr - min_lr) * g(q))

    # Warm-up from 0 over W steps, stable at lr for S steps, then the cooldown; a phase of
    # length 0 is left out.
    phases = [(W, lambda: linear(lr, 0.0, 1.0, W)), (S, lambda: constant(lr))]
    pieces = [make() for n, make in phases if n > 0] + [schedule_from(cooldown, "cooldown")]
    bounds = np.cumsum([n for n, _ in phases if n > 0]).tolist()
    return schedule_from(
        join(pieces, bounds)._formula,
        "warmup_stable_decay",
        lr=lr,
        warmup_steps=W,
        stable_steps=S,
        decay_steps=D,
        min_lr=min_lr,
        decay=decay,
    )
