"""Tests for lrlab.schedules: every schedule against the library it claims to equal.

torch 2.13 is the oracle wherever torch has the schedule: we build its real scheduler on a
real ``torch.optim.SGD`` and step it, reading ``optimizer.param_groups[0]["lr"]`` before
each step, exactly as a training loop sees it. Keras (on its torch backend, float64) is the
oracle for the two Keras-defined schedules; the spec's formula, written out independently
in plain ``math``, is the oracle where no library has the curve. Hypothesis draws the
settings; every generated schedule is also checked for scalar == vectorized and purity.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tlr

from lrlab import schedules as S

# Hypothesis budget: the file must stay well under a minute on a shared 2-core machine.
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Keras answers one step per call at ~0.5 ms (its vectorized path computes in float32), so
# its tests draw fewer examples.
KERAS = settings(FAST, max_examples=20)

# Tolerance against torch. torch computes most schedulers recursively (the new rate is the
# old one times a ratio), so its rates carry accumulated rounding: each step adds up to
# ~1 ulp (1.1e-16) relative, and the cosine/polynomial ratios lose a few more digits near
# the end of the decay, where they divide two small numbers. Over 1000-step runs of every
# recursive scheduler we measured at most 3.4e-12 relative error (5e-14 away from the
# floor). RTOL = 1e-9 leaves a 300x margin, yet is a million times smaller than the effect
# of a real bug: an off-by-one step changes the rate by a factor gamma or a cosine step,
# at least 1e-3 with the settings drawn below. ATOL covers values that should be exactly
# the floor (0 or min_lr), where torch's recursion leaves a residue of ~1e-16 x lr.
RTOL = 1e-9
ATOL_PER_LR = 1e-12

lrs = st.floats(1e-4, 10.0)
gammas = st.floats(0.05, 0.999)
n_steps = st.integers(1, 120)


def torch_lrs(make_scheduler, lr: float, n: int, momentum: float = 0.0) -> np.ndarray:
    """The lr a real torch SGD used at each of ``n`` steps (``record_torch_rates``)."""
    return S.record_torch_rates(make_scheduler, n, lr=lr, momentum=momentum).lr


def curve(schedule: S.Schedule, n: int) -> np.ndarray:
    """``schedule`` over steps 0..n-1, after checking scalar == vectorized and purity."""
    t = np.arange(n)
    vec = schedule(t)
    assert vec.dtype == np.float64 and vec.shape == (n,)
    scalars = [schedule(i) for i in range(n)]
    assert all(type(x) is float for x in scalars)
    np.testing.assert_array_equal(vec, scalars)  # exactly equal, not approximately
    np.testing.assert_array_equal(schedule(t), vec)  # calling again changes nothing
    assert np.all(np.isfinite(vec)) and np.all(vec >= 0)
    return vec


def assert_lr_close(ours: np.ndarray, theirs: np.ndarray, scale: float) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL_PER_LR * scale)


# --------------------------------------------------------------------------- torch rows


@FAST
@given(lr=lrs, n=n_steps)
def test_constant(lr, n):
    """Checks equation why_learning_rate-def-2 (learning-rate schedule), the constant case."""
    ours = curve(S.constant(lr), n)
    theirs = torch_lrs(lambda o: tlr.LambdaLR(o, lambda t: 1.0), lr, n)
    np.testing.assert_array_equal(ours, theirs)


@FAST
@given(lr=lrs, step_size=st.integers(1, 30), gamma=gammas, n=n_steps)
def test_step_decay_equals_torch_steplr(lr, step_size, gamma, n):
    """Checks equation decay_schedules-def-4 (Step decay)."""
    ours = curve(S.step_decay(lr, step_size, gamma), n)
    theirs = torch_lrs(lambda o: tlr.StepLR(o, step_size, gamma), lr, n)
    assert_lr_close(ours, theirs, lr)


def test_step_decay_counts_from_zero():
    """Checks equation decay_schedules-def-4 (Step decay)."""
    # The first drop is at t = s, not t = s - 1 (the 1-indexed ceil(n/s) - 1 form).
    sched = S.step_decay(1.0, 3, 0.5)
    assert [sched(t) for t in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


@FAST
@given(
    lr=lrs,
    milestones=st.lists(st.integers(0, 150), max_size=6, unique=True).map(sorted),
    gamma=gammas,
    n=n_steps,
)
def test_multistep_decay_equals_torch_multisteplr(lr, milestones, gamma, n):
    """Checks equation decay_schedules-def-5 (Multistep decay)."""
    ours = curve(S.multistep_decay(lr, milestones, gamma), n)
    theirs = torch_lrs(lambda o: tlr.MultiStepLR(o, milestones, gamma), lr, n)
    assert_lr_close(ours, theirs, lr)


@FAST
@given(lr=lrs, gamma=st.floats(0.8, 1.2), n=n_steps)
def test_exponential_decay_equals_torch_exponentiallr(lr, gamma, n):
    """Checks equation decay_schedules-def-3 (Exponential decay)."""
    ours = curve(S.exponential_decay(lr, gamma), n)
    theirs = torch_lrs(lambda o: tlr.ExponentialLR(o, gamma), lr, n)
    assert_lr_close(ours, theirs, lr)


@FAST
@given(
    lr=lrs,
    gamma=gammas,
    decay_steps=st.one_of(st.integers(1, 40), st.floats(0.5, 40.0)),
    staircase=st.booleans(),
    n=n_steps,
)
def test_exponential_decay_formula(lr, gamma, decay_steps, staircase, n):
    """Checks equation decay_schedules-def-3 (Exponential decay)."""

    def factor(t):
        e = t / decay_steps
        return gamma ** (math.floor(e) if staircase else e)

    ours = curve(S.exponential_decay(lr, gamma, decay_steps, staircase), n)
    theirs = torch_lrs(lambda o: tlr.LambdaLR(o, factor), lr, n)
    assert_lr_close(ours, theirs, lr)


@FAST
@given(lr=lrs, s=st.floats(0.5, 50.0), c=st.floats(0.0, 3.0), n=n_steps)
def test_power_decay_formula(lr, s, c, n):
    """Checks equation decay_schedules-def-1 (Power decay)."""
    ours = curve(S.power_decay(lr, s, c), n)
    theirs = torch_lrs(lambda o: tlr.LambdaLR(o, lambda t: 1.0 / (1.0 + t / s) ** c), lr, n)
    assert_lr_close(ours, theirs, lr)


def test_polynomial_decay_ends_are_exact():
    """Checks equation decay_schedules-def-6 (Polynomial decay)."""
    # Both ways of computing 1 - t/T (by 1/T where T * (1/T) == 1, else by division)
    # start exactly at lr and hold exactly end_lr from T on.
    assert 49 * (1 / 49) != 1 and 50 * (1 / 50) == 1
    for total in range(1, 300):
        sched = S.polynomial_decay(0.3, total, 0.9, 0.01)
        assert sched(0) == 0.3
        np.testing.assert_array_equal(sched(np.arange(total, total + 9)), 0.01)


def test_power_decay_halves_after_s_steps():
    """Checks equation decay_schedules-def-1 (Power decay)."""
    assert S.power_decay(0.8, 10)(10) == pytest.approx(0.4, rel=1e-15)
    assert S.power_decay(0.8, 10, c=2.0)(30) == pytest.approx(0.05, rel=1e-15)


@FAST
@given(lr=lrs, total=st.integers(1, 100), power=st.floats(0.1, 4.0), n=n_steps)
def test_polynomial_decay_equals_torch_polynomiallr(lr, total, power, n):
    """Checks equation decay_schedules-def-6 (Polynomial decay)."""
    ours = curve(S.polynomial_decay(lr, total, power), n)
    theirs = torch_lrs(lambda o: tlr.PolynomialLR(o, total, power), lr, n)
    assert_lr_close(ours, theirs, lr)


@FAST
@given(
    lr=lrs,
    start=st.floats(0.01, 1.0),
    end=st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)),
    total=st.integers(1, 100),
    n=n_steps,
)
def test_linear_equals_torch_linearlr(lr, start, end, total, n):
    """Checks equation decay_schedules-def-7 (Linear decay)."""
    ours = curve(S.linear(lr, start, end, total), n)
    theirs = torch_lrs(lambda o: tlr.LinearLR(o, start, end, total), lr, n)
    assert_lr_close(ours, theirs, lr)


@FAST
@given(lr=lrs, end=st.floats(0.0, 3.0), total=st.integers(1, 60), n=n_steps)
def test_linear_from_zero_formula(lr, end, total, n):
    """Checks equation decay_schedules-def-7 (Linear decay)."""
    # torch's LinearLR refuses start_factor=0 (its ratio update would divide by zero).
    ours = curve(S.linear(lr, 0.0, end, total), n)
    expected = [lr * (end * min(t, total) / total) for t in range(n)]
    assert_lr_close(ours, np.array(expected), lr)


@FAST
@given(lr=lrs, total=st.integers(1, 100), min_frac=st.floats(0.0, 1.0), extra=st.integers(0, 50))
def test_cosine_annealing_equals_torch_until_total_then_holds(lr, total, min_frac, extra):
    """Checks equation cosine_restarts-def-1 (Cosine annealing)."""
    min_lr = lr * min_frac
    ours = curve(S.cosine_annealing(lr, total, min_lr), total + 1 + extra)
    theirs = torch_lrs(lambda o: tlr.CosineAnnealingLR(o, total, min_lr), lr, total + 1)
    assert_lr_close(ours[: total + 1], theirs, lr)
    assert ours[total] == min_lr
    assert np.all(ours[total:] == min_lr)


def test_cosine_annealing_differs_from_torch_after_total():
    """Checks equation cosine_restarts-def-1 (Cosine annealing)."""
    # The documented difference: torch keeps going round the cosine, we hold the floor.
    theirs = torch_lrs(lambda o: tlr.CosineAnnealingLR(o, 10, 0.0), 1.0, 21)
    assert theirs[20] == pytest.approx(1.0)
    assert S.cosine_annealing(1.0, 10)(20) == 0.0


@FAST
@given(
    lr=lrs,
    first=st.integers(1, 30),
    mult=st.integers(1, 3),
    min_frac=st.floats(0.0, 1.0),
    n=st.integers(1, 200),
)
def test_cosine_warm_restarts_equals_torch(lr, first, mult, min_frac, n):
    """Checks equation cosine_restarts-def-2 (Cosine annealing with warm restarts)."""
    min_lr = lr * min_frac
    ours = curve(S.cosine_warm_restarts(lr, first, mult, min_lr), n)
    theirs = torch_lrs(lambda o: tlr.CosineAnnealingWarmRestarts(o, first, mult, min_lr), lr, n)
    assert_lr_close(ours, theirs, lr)


def test_cosine_warm_restarts_far_out():
    """Checks equation cosine_restarts-def-2 (Cosine annealing with warm restarts)."""
    # Restarts at t = 3, 3 + 6, 3 + 6 + 12, ...: the step just before a restart is low,
    # the restart itself is exactly lr, even 60 cycles in (steps near 2**61).
    sched = S.cosine_warm_restarts(1.0, 3, 2)
    starts = [3 * (2**k - 1) for k in range(1, 62)]
    for start in starts:
        assert sched(start) == 1.0
        assert sched(start - 1) < 0.3
    np.testing.assert_array_equal(sched(np.array(starts)), 1.0)


@FAST
@given(
    base=lrs,
    ratio=st.floats(1.0, 20.0),
    up=st.integers(1, 25),
    down=st.one_of(st.none(), st.integers(1, 25)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
    n=st.integers(1, 200),
)
def test_cyclic_equals_torch_cycliclr(base, ratio, up, down, mode, gamma, n):
    """Checks equation warmup_cyclical-def-2 (Cyclical learning rate)."""
    max_lr = base * ratio
    ours = curve(S.cyclic(base, max_lr, up, down, mode, gamma), n)
    theirs = torch_lrs(
        lambda o: tlr.CyclicLR(o, base, max_lr, up, down, mode, gamma, cycle_momentum=False),
        base,
        n,
    )
    assert_lr_close(ours, theirs, max_lr)


def test_cyclic_is_exactly_base_lr_at_every_cycle_start():
    """Checks equation warmup_cyclical-def-2 (Cyclical learning rate)."""
    # The cycle count is computed as floor(t * (1/(u+d))), which can land one cycle short
    # at an exact multiple; the rate there must still be base_lr (h = 0 either way).
    for up, down in [(1, 1), (3, 4), (7, 7), (49, 49), (13, 200), (1000, 3000)]:
        for mode in ("triangular", "triangular2", "exp_range"):
            sched = S.cyclic(0.01, 0.1, up, down, mode, 0.999)
            starts = np.arange(0, 5000) * (up + down)
            np.testing.assert_array_equal(sched(starts), 0.01)
            peak = 0.01 + 0.09 * (0.999**up if mode == "exp_range" else 1.0)
            assert sched(up) == pytest.approx(peak, rel=1e-12)


def test_cyclic_with_momentum_optimizer():
    """Checks equation warmup_cyclical-def-2 (Cyclical learning rate)."""
    # With cycle_momentum=True torch also cycles the momentum; the lr is unaffected.
    ours = S.cyclic(0.1, 1.0, 4, 6, "triangular2")(np.arange(50))
    theirs = torch_lrs(lambda o: tlr.CyclicLR(o, 0.1, 1.0, 4, 6, "triangular2"), 0.1, 50, 0.9)
    assert_lr_close(ours, theirs, 1.0)


# --------------------------------------------------------------------------- Keras rows


@pytest.fixture(scope="module")
def keras_schedules():
    """Keras' schedule module, on the torch backend and in float64.

    Keras 3's numpy backend imports jax, which we do not install; the torch backend needs
    nothing beyond torch. Keras computes in float32 unless floatx is float64.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    old = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield keras.optimizers.schedules
    keras.config.set_floatx(old)


def keras_curve(schedule, n: int) -> np.ndarray:
    # PiecewiseConstantDecay only accepts scalar steps, so call step by step.
    return np.array([float(schedule(t)) for t in range(n)])


@KERAS
@given(
    lr=lrs,
    rate=st.floats(0.0, 5.0),
    decay_steps=st.one_of(st.integers(1, 30), st.floats(0.5, 30.0)),
    staircase=st.booleans(),
    n=n_steps,
)
def test_inverse_time_decay_equals_keras(keras_schedules, lr, rate, decay_steps, staircase, n):
    """Checks equation decay_schedules-def-2 (Inverse-time decay)."""
    ours = curve(S.inverse_time_decay(lr, rate, decay_steps, staircase), n)
    theirs = keras_curve(keras_schedules.InverseTimeDecay(lr, decay_steps, rate, staircase), n)
    if staircase:
        # Where t / s is a whole number in exact arithmetic but not in floats (33 / 1.1 is
        # 29.999999999999996), floor(t / s) may round either way in either library: those
        # steps are left out (a hypothesis run found Keras giving 30 and lrlab 29).
        q = np.arange(n) / decay_steps
        exact = (np.abs(q - np.round(q)) > 1e-9) | (q == np.round(q))
        ours, theirs = ours[exact], theirs[exact]
    assert_lr_close(ours, theirs, lr)


@KERAS
@given(
    boundaries=st.lists(st.integers(0, 100), max_size=6, unique=True).map(sorted),
    data=st.data(),
    n=n_steps,
)
def test_piecewise_constant_equals_keras(keras_schedules, boundaries, data, n):
    """Checks equation decay_schedules-def-5 (piecewise-constant schedules)."""
    values = data.draw(st.lists(lrs, min_size=len(boundaries) + 1, max_size=len(boundaries) + 1))
    ours = curve(S.piecewise_constant(boundaries, values), n)
    if not boundaries:
        np.testing.assert_array_equal(ours, values[0])  # Keras needs >= 1 boundary
        return
    theirs = keras_curve(keras_schedules.PiecewiseConstantDecay(boundaries, values), n)
    np.testing.assert_array_equal(ours, theirs)  # a lookup: no arithmetic, no rounding


def test_piecewise_constant_switches_after_the_boundary():
    """Checks equation decay_schedules-def-5 (piecewise-constant schedules)."""
    sched = S.piecewise_constant([2, 4], [1.0, 0.5, 0.1])
    assert [sched(t) for t in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


@KERAS
@given(lr=lrs, total=st.integers(1, 80), power=st.floats(0.1, 4.0), end_frac=st.floats(0, 1))
def test_polynomial_decay_with_end_lr_equals_keras(keras_schedules, lr, total, power, end_frac):
    """Checks equation decay_schedules-def-6 (Polynomial decay)."""
    end_lr = lr * end_frac
    n = total + 20
    ours = curve(S.polynomial_decay(lr, total, power, end_lr), n)
    theirs = keras_curve(keras_schedules.PolynomialDecay(lr, total, end_lr, power), n)
    assert_lr_close(ours, theirs, lr)


@KERAS
@given(lr=lrs, data=st.data())
def test_keras_equivalents_named_in_docstrings(keras_schedules, lr, data):
    K = keras_schedules
    kind = data.draw(st.sampled_from(["exponential", "step", "cosine", "restarts"]))
    n = data.draw(n_steps)
    if kind in ("exponential", "step"):
        gamma, steps = data.draw(gammas), data.draw(st.integers(1, 30))
        if kind == "step":
            ours = S.step_decay(lr, steps, gamma)
        else:
            ours = S.exponential_decay(lr, gamma, steps, data.draw(st.booleans()))
        staircase = kind == "step" or ours.params["staircase"]
        theirs = K.ExponentialDecay(lr, steps, gamma, staircase)
    else:
        alpha, steps = data.draw(st.floats(0.0, 1.0)), data.draw(st.integers(1, 40))
        if kind == "cosine":
            ours = S.cosine_annealing(lr, steps, lr * alpha)
            theirs = K.CosineDecay(lr, steps, alpha=alpha)
        else:
            mult = data.draw(st.integers(1, 3))
            ours = S.cosine_warm_restarts(lr, steps, mult, lr * alpha)
            theirs = K.CosineDecayRestarts(lr, steps, t_mul=float(mult), m_mul=1.0, alpha=alpha)
    assert_lr_close(curve(ours, n), keras_curve(theirs, n), lr)


# --------------------------------------------------------------------------- composites

# Schedules that torch can also build, as (ours, torch factory) pairs drawn by hypothesis.
# Cosine pieces are kept no longer than their T, where torch and we agree.


@st.composite
def torch_expressible(draw, lr: float, length: int, starts_at_lr: bool = False):
    kind = draw(st.sampled_from(["constant", "step", "exp", "linear", "poly", "cosine"]))
    if kind == "constant":
        return S.constant(lr), lambda o: tlr.LambdaLR(o, lambda t: 1.0)
    if kind == "step":
        s, g = draw(st.integers(1, 10)), draw(gammas)
        return S.step_decay(lr, s, g), lambda o: tlr.StepLR(o, s, g)
    if kind == "exp":
        g = draw(st.floats(0.8, 0.999))
        return S.exponential_decay(lr, g), lambda o: tlr.ExponentialLR(o, g)
    if kind == "linear":
        a = 1.0 if starts_at_lr else draw(st.floats(0.05, 1.0))
        b, T = draw(st.floats(0.0, 1.0)), draw(st.integers(1, 30))
        return S.linear(lr, a, b, T), lambda o: tlr.LinearLR(o, a, b, T)
    if kind == "poly":
        T, p = draw(st.integers(1, 30)), draw(st.floats(0.5, 3.0))
        return S.polynomial_decay(lr, T, p), lambda o: tlr.PolynomialLR(o, T, p)
    # The cosine must not restart inside the compared window (torch goes periodic after T).
    T = draw(st.integers(max(length - 1, 1), max(length - 1, 1) + 60))
    m = lr * draw(st.floats(0.0, 1.0))
    return S.cosine_annealing(lr, T, m), lambda o: tlr.CosineAnnealingLR(o, T, m)


@FAST
@given(lr=lrs, warmup_steps=st.integers(1, 30), start=st.floats(0.01, 1.0), data=st.data())
def test_warmup_equals_torch_sequentiallr(lr, warmup_steps, start, data):
    """Checks equation warmup_cyclical-def-1 (Linear warm-up)."""
    n = warmup_steps + data.draw(st.integers(1, 40))
    # torch's LinearLR warms up to the base lr, ours to schedule(0): equal when they agree.
    inner, make_inner = data.draw(torch_expressible(lr, n - warmup_steps, starts_at_lr=True))
    ours = curve(S.warmup(inner, warmup_steps, start), n)
    theirs = torch_lrs(
        lambda o: tlr.SequentialLR(
            o, [tlr.LinearLR(o, start, 1.0, warmup_steps), make_inner(o)], [warmup_steps]
        ),
        lr,
        n,
    )
    assert_lr_close(ours, theirs, lr)


@FAST
@given(lr=lrs, warmup_steps=st.integers(0, 30), start=st.floats(0.0, 1.0), data=st.data())
def test_warmup_formula(lr, warmup_steps, start, data):
    """Checks equation warmup_cyclical-def-1 (Linear warm-up)."""
    n = warmup_steps + data.draw(st.integers(1, 40))
    inner, _ = data.draw(torch_expressible(lr, n))
    ours = curve(S.warmup(inner, warmup_steps, start), n)
    expected = [
        inner(0) * (start + (1 - start) * t / warmup_steps)
        if t < warmup_steps
        else inner(t - warmup_steps)
        for t in range(n)
    ]
    assert_lr_close(ours, np.array(expected), lr)


@FAST
@given(lr=lrs, lengths=st.lists(st.integers(1, 25), min_size=1, max_size=4), data=st.data())
def test_join_equals_torch_sequentiallr(lr, lengths, data):
    pieces = [data.draw(torch_expressible(lr, k)) for k in lengths]
    boundaries = list(np.cumsum(lengths[:-1]).tolist())
    n = sum(lengths)
    ours = curve(S.join([p[0] for p in pieces], boundaries), n)
    theirs = torch_lrs(lambda o: tlr.SequentialLR(o, [p[1](o) for p in pieces], boundaries), lr, n)
    assert_lr_close(ours, theirs, lr)
    # optax join_schedules semantics, directly: schedule i sees t - boundaries[i - 1].
    starts = [0, *boundaries]
    for t in range(n):
        i = max(k for k in range(len(starts)) if starts[k] <= t)
        assert ours[t] == pieces[i][0](t - starts[i])


def test_join_accepts_a_plain_callable():
    sched = S.join([S.constant(1.0), lambda t: 0.5 / (1 + t)], [3])
    assert [sched(t) for t in range(6)] == [1.0, 1.0, 1.0, 0.5, 0.25, 0.5 / 3]


@st.composite
def wsd_settings(draw):
    lr = draw(lrs)
    return dict(
        lr=lr,
        warmup_steps=draw(st.integers(0, 20)),
        stable_steps=draw(st.integers(0, 20)),
        decay_steps=draw(st.integers(1, 40)),
        min_lr=lr * draw(st.floats(0.0, 1.0)),
        decay=draw(st.sampled_from(["linear", "cosine", "sqrt"])),
    )


def wsd_formula(t, lr, warmup_steps, stable_steps, decay_steps, min_lr, decay):
    """The schedule as the spec states it, phase by phase."""
    if t < warmup_steps:
        return lr * t / warmup_steps
    if t < warmup_steps + stable_steps:
        return lr
    q = min((t - warmup_steps - stable_steps) / decay_steps, 1.0)
    shape = {"linear": 1 - q, "cosine": (1 + math.cos(math.pi * q)) / 2, "sqrt": 1 - math.sqrt(q)}
    return min_lr + (lr - min_lr) * shape[decay]


@FAST
@given(cfg=wsd_settings(), extra=st.integers(0, 20))
def test_warmup_stable_decay_equals_torch_sequentiallr(cfg, extra):
    """Checks equation modern_practice-def-1 (Warmup-stable-decay schedule)."""
    lr, W, S_, D, min_lr = (
        cfg[k] for k in ("lr", "warmup_steps", "stable_steps", "decay_steps", "min_lr")
    )
    n = W + S_ + D + extra + 1

    def make(o):
        # Only the phases that exist; LinearLR cannot start from 0, so the warm-up is a
        # LambdaLR; the decay is torch's own LinearLR / CosineAnnealingLR where torch has it.
        phases, milestones = [], []
        if W:
            phases.append(tlr.LambdaLR(o, lambda t: t / W))
        if S_:
            phases.append(tlr.LambdaLR(o, lambda t: 1.0))
        if cfg["decay"] == "linear":
            phases.append(tlr.LinearLR(o, 1.0, min_lr / lr, D))  # holds min_lr after D
        elif cfg["decay"] == "cosine":
            phases.append(tlr.CosineAnnealingLR(o, D, min_lr))
            phases.append(tlr.LambdaLR(o, lambda t: min_lr / lr))
        else:
            phases.append(
                tlr.LambdaLR(
                    o, lambda t: (min_lr + (lr - min_lr) * (1 - math.sqrt(min(t / D, 1.0)))) / lr
                )
            )
        for length in (W, S_, D):
            if length and len(milestones) < len(phases) - 1:
                milestones.append((milestones[-1] if milestones else 0) + length)
        return tlr.SequentialLR(o, phases, milestones)

    ours = curve(S.warmup_stable_decay(**cfg), n)
    theirs = torch_lrs(make, lr, n)
    assert_lr_close(ours, theirs, lr)
    expected = [wsd_formula(t, **cfg) for t in range(n)]
    assert_lr_close(ours, np.array(expected), lr)
    assert np.all(ours[W + S_ + D :] == min_lr)


def test_warmup_stable_decay_plateau_is_exactly_lr():
    """Checks equation modern_practice-def-1 (Warmup-stable-decay schedule)."""
    # (lr - min_lr) + min_lr != lr in floating point for these two; the plateau is lr.
    lr, min_lr = 0.7052833998544062, 0.1944001701948989
    assert (lr - min_lr) + min_lr != lr
    for decay in ("linear", "cosine", "sqrt"):
        sched = S.warmup_stable_decay(lr, 3, 5, 4, min_lr, decay)
        assert [sched(t) for t in range(3, 9)] == [lr] * 6
        np.testing.assert_array_equal(sched(np.arange(3, 9)), lr)
        np.testing.assert_array_equal(sched(np.arange(12, 20)), min_lr)


def test_warmup_stable_decay_sqrt_shape():
    """Checks equation modern_practice-def-1 (Warmup-stable-decay schedule)."""
    # Halfway through the cooldown 1 - sqrt keeps 1 - 0.5**0.5 = 29% of the rate,
    # linear 50%, cosine 50%.
    kw = dict(lr=1.0, warmup_steps=0, stable_steps=0, decay_steps=100)
    assert S.warmup_stable_decay(**kw, decay="sqrt")(50) == pytest.approx(1 - 0.5**0.5)
    assert S.warmup_stable_decay(**kw, decay="linear")(50) == pytest.approx(0.5)
    assert S.warmup_stable_decay(**kw, decay="cosine")(50) == pytest.approx(0.5)


# --------------------------------------------------------------------------- calling


EXAMPLES = [
    S.constant(0.3),
    S.step_decay(0.1, 7, 0.5),
    S.multistep_decay(0.1, [5, 50, 5000], 0.3),
    S.exponential_decay(0.1, 0.999),
    S.exponential_decay(0.1, 0.5, decay_steps=1000, staircase=True),
    S.power_decay(0.1, 100.0, 0.7),
    S.inverse_time_decay(0.1, 0.5, 300, staircase=True),
    S.polynomial_decay(0.1, 20_000, 2.0, 0.001),
    S.polynomial_decay(0.1, 49_000, 0.9),
    S.linear(0.1, 0.0, 1.0, 10_000),
    S.cosine_annealing(0.1, 20_000, 0.001),
    S.cosine_warm_restarts(0.1, 100, 1, 0.01),
    S.cosine_warm_restarts(0.1, 100, 2),
    S.cyclic(0.01, 0.1, 500, 1500, "exp_range", 0.9999),
    S.cyclic(0.01, 0.1, 500, None, "triangular2"),
    S.piecewise_constant([100, 9000], [0.1, 0.01, 0.001]),
    S.warmup(S.cosine_annealing(0.1, 15_000), 2000, 0.1),
    S.join([S.linear(0.1, 0.1, 1.0, 500), S.exponential_decay(0.1, 0.9995)], [500]),
    S.warmup_stable_decay(0.1, 1000, 10_000, 5000, 0.001, "sqrt"),
]


@pytest.mark.parametrize("sched", EXAMPLES, ids=lambda s: s.name)
def test_scalar_equals_vectorized_on_long_arrays(sched):
    # Three chunks and a bit, so the chunked path is compared too.
    chunk = S.core._CHUNK
    n = 2 * chunk + 3_000
    t = np.arange(n)
    vec = sched(t)
    some = np.r_[0:50, chunk - 20 : chunk + 20, 2 * chunk - 20 : 2 * chunk + 20, n - 50 : n]
    np.testing.assert_array_equal(vec[some], [sched(int(i)) for i in some])
    np.testing.assert_array_equal(sched(t), vec)
    # Any integer dtype, any shape, non-contiguous views: same numbers.
    np.testing.assert_array_equal(sched(t.astype(np.int32)), vec)
    np.testing.assert_array_equal(sched(t.astype(np.uint64)), vec)
    np.testing.assert_array_equal(sched(t.reshape(8, -1)), vec.reshape(8, -1))  # n % 8 == 0
    np.testing.assert_array_equal(sched(t[::7]), vec[::7])
    order = np.random.default_rng(0).permutation(t.size)  # unsorted steps
    np.testing.assert_array_equal(sched(t[order]), vec[order])
    assert sched(np.int64(12)) == sched(12)
    assert sched(np.array(12)).shape == () and sched(np.array(12)) == sched(12)
    assert sched(np.array([], dtype=int)).shape == (0,)


@pytest.mark.parametrize(
    "sched",
    [
        S.piecewise_constant([0, 5, 9, 30], [0.5, 0.4, 0.3, 0.2, 0.1]),
        S.multistep_decay(0.5, [0, 5, 9, 30], 0.5),
        S.join([S.constant(0.5), S.linear(0.4, 1.0, 0.0, 6), S.constant(0.1)], [5, 9]),
        S.cosine_warm_restarts(0.5, 2, 2),
        S.warmup_stable_decay(0.5, 5, 4, 10, 0.1, "cosine"),
    ],
    ids=lambda s: s.name,
)
def test_slices_starting_or_ending_on_a_boundary(sched):
    # Every slice [a, b) of steps around the boundaries, against scalar calls: the
    # one-interval shortcut must not misplace a step that sits exactly on an edge.
    for a in range(0, 35):
        for b in range(a + 1, 40):
            np.testing.assert_array_equal(
                sched(np.arange(a, b)), [sched(t) for t in range(a, b)], err_msg=f"{a}:{b}"
            )


def test_schedules_are_immutable_and_have_a_readable_repr():
    sched = S.cosine_annealing(0.1, 100, 0.001)
    assert repr(sched) == "cosine_annealing(lr=0.1, total_steps=100, min_lr=0.001)"
    assert sched.params == {"lr": 0.1, "total_steps": 100, "min_lr": 0.001}
    with pytest.raises(AttributeError):
        sched.lr = 0.2


@pytest.mark.parametrize(
    "step",
    [
        -1,
        1.5,
        2.0,
        "3",
        None,
        True,
        [1, 2],
        np.array([0, -3]),
        np.array([0.0, 1.0]),
        np.array([True]),
        2**63,
        torch.tensor(3),
    ],
)
def test_bad_steps_are_rejected(step):
    with pytest.raises(ValueError, match="The 'step' parameter of cosine_annealing must be an int"):
        S.cosine_annealing(0.1, 10)(step)


# --------------------------------------------------------------------------- plateau


metrics = st.lists(
    st.one_of(
        st.sampled_from([1.0, 1.0, 0.9, 0.5, 0.49995, 0.1, 0.0, -0.5, 2.0]),  # ties, plateaus
        st.floats(-2.0, 2.0),
        st.just(math.nan),
        st.sampled_from([math.inf, -math.inf]),
    ),
    min_size=1,
    max_size=60,
)


@FAST
@given(
    lr=st.floats(1e-7, 1.0),
    mode=st.sampled_from(["min", "max"]),
    factor=st.floats(0.01, 0.99),
    patience=st.integers(0, 4),
    threshold=st.sampled_from([0.0, 1e-4, 0.05]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    cooldown=st.integers(0, 3),
    min_frac=st.sampled_from([0.0, 0.01, 0.5]),
    eps=st.sampled_from([0.0, 1e-8, 1e-3]),
    values=metrics,
)
def test_reduce_on_plateau_equals_torch(
    lr, mode, factor, patience, threshold, threshold_mode, cooldown, min_frac, eps, values
):
    """Checks equation plateau-def-1 (Reduce on plateau)."""
    kw = dict(
        mode=mode,
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min_lr=lr * min_frac,
        eps=eps,
    )
    ours = S.ReduceLROnPlateau(lr, **kw)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    theirs = tlr.ReduceLROnPlateau(opt, **kw)
    for value in values:
        got = ours.step(value)
        opt.step()
        theirs.step(value)
        # Same decision, so the same numbers exactly (both compute max(lr * factor, min)).
        assert got == opt.param_groups[0]["lr"]
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter
        assert ours.best == theirs.best or (math.isnan(ours.best) and math.isnan(theirs.best))


def test_reduce_on_plateau_story():
    """Checks equation plateau-def-1 (Reduce on plateau)."""
    sched = S.ReduceLROnPlateau(1.0, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    seen = [sched.step(m) for m in [5, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3]]
    # Three bad epochs (> patience 2) cut the rate; the next epoch is cool-down and does
    # not count; the third cut stops at min_lr.
    assert seen == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]
    clone = S.ReduceLROnPlateau(1.0)
    clone.load_state_dict(sched.state_dict())
    assert repr(clone) == repr(sched)
    assert [clone.step(m) for m in (3, 2, 2, 2, 2)] == [sched.step(m) for m in (3, 2, 2, 2, 2)]


def test_reduce_on_plateau_nan_counts_as_a_bad_epoch():
    """Checks equation plateau-def-1 (Reduce on plateau)."""
    # As in torch: NaN never improves on the best, so a diverged loss gets the rate cut.
    sched = S.ReduceLROnPlateau(1.0, patience=0)
    assert sched.step(1.0) == 1.0
    assert sched.step(math.nan) == pytest.approx(0.1)
    assert sched.best == 1.0


@pytest.mark.parametrize("eps", [0.5, 0.25, 0.5000001, 0.4999999])
def test_reduce_on_plateau_eps_boundary_equals_torch(eps):
    """Checks equation plateau-def-1 (Reduce on plateau)."""
    # A cut from 1.0 to 0.5 changes the rate by exactly 0.5: torch cuts only if that
    # exceeds eps, strictly. The next cut (by 0.25) never exceeds these eps.
    ours = S.ReduceLROnPlateau(1.0, factor=0.5, patience=0, eps=eps)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    theirs = tlr.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=eps)
    for value in [1.0, 1.0, 1.0, 1.0]:
        opt.step()
        theirs.step(value)
        assert ours.step(value) == opt.param_groups[0]["lr"]
    assert ours.lr == (1.0 if eps >= 0.5 else 0.5)


def test_reduce_on_plateau_rejects_non_numbers():
    """Checks equation plateau-def-1 (Reduce on plateau)."""
    with pytest.raises(ValueError, match=r"'metric' parameter of ReduceLROnPlateau\.step"):
        S.ReduceLROnPlateau(0.1).step("low")


# --------------------------------------------------------------------------- to_torch


def make_model_and_opt(seed: int, lr: float = 123.0, momentum: float = 0.9):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    # Two param groups with different lrs: to_torch sets both to schedule(t).
    opt = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 7.0}],
        lr=lr,
        momentum=momentum,
    )
    return model, opt


def train_steps(model, opt, sched, steps: int, seed: int) -> list[float]:
    gen = torch.Generator().manual_seed(seed)
    seen = []
    for _ in range(steps):
        x = torch.randn(16, 4, generator=gen)
        y = x.sum(dim=1, keepdim=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return seen


SCHED = S.warmup(S.cosine_annealing(0.05, 20, 0.001), 5, 0.1)


def test_to_torch_drives_a_real_training_loop():
    model, opt = make_model_and_opt(0, momentum=0.0)
    sched = S.to_torch(opt, SCHED)
    assert isinstance(sched, tlr.LRScheduler)
    gen = torch.Generator().manual_seed(1)
    losses = []
    for t in range(30):
        x = torch.randn(16, 4, generator=gen)
        loss = torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True))
        opt.zero_grad()
        loss.backward()
        before = [p.detach().clone() for p in model.parameters()]
        grads = [p.grad.detach().clone() for p in model.parameters()]
        opt.step()
        # The optimizer really stepped with alpha_t: plain SGD moves theta by -alpha_t g_t.
        for p, p0, g in zip(model.parameters(), before, grads, strict=True):
            torch.testing.assert_close(p.detach(), p0 - SCHED(t) * g)
        assert [g["lr"] for g in opt.param_groups] == [SCHED(t)] * 2
        assert sched.get_last_lr() == [SCHED(t)] * 2
        sched.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]  # and it trains


@pytest.mark.parametrize("load_optimizer_first", [True, False])
def test_to_torch_state_dict_resumes_at_the_same_step(load_optimizer_first):
    model, opt = make_model_and_opt(0)
    straight = train_steps(model, opt, S.to_torch(opt, SCHED), 25, seed=3)
    final = [p.detach().clone() for p in model.parameters()]

    model, opt = make_model_and_opt(0)
    sched = S.to_torch(opt, SCHED)
    first = train_steps(model, opt, sched, 11, seed=3)
    buffer = io.BytesIO()
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buffer
    )
    del model, opt, sched

    buffer.seek(0)
    ckpt = torch.load(buffer, weights_only=True)  # would fail on a pickled callable
    assert ckpt["sched"]["schedule"] == repr(SCHED)
    assert ckpt["sched"]["last_epoch"] == 11
    model, opt = make_model_and_opt(99, lr=0.5)
    sched = S.to_torch(opt, SCHED)
    model.load_state_dict(ckpt["model"])
    if load_optimizer_first:
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
    else:
        sched.load_state_dict(ckpt["sched"])
        opt.load_state_dict(ckpt["opt"])
    # The data stream resumes too: skip the batches already used.
    gen_rest = train_steps_from(model, opt, sched, 11, 25, seed=3)
    assert first + gen_rest == straight
    for p, q in zip(model.parameters(), final, strict=True):
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=0)


def train_steps_from(model, opt, sched, start: int, stop: int, seed: int) -> list[float]:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(start):
        torch.randn(16, 4, generator=gen)
    seen = []
    for _ in range(start, stop):
        x = torch.randn(16, 4, generator=gen)
        loss = torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True))
        opt.zero_grad()
        loss.backward()
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return seen


def test_to_torch_state_dict_never_holds_the_callable():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = S.to_torch(opt, lambda t: 0.1 / (1 + t))
    for _ in range(3):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert not any(callable(v) for v in state.values())
    assert state["last_epoch"] == 3 and opt.param_groups[0]["lr"] == 0.025

    other = S.to_torch(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), SCHED)
    with pytest.warns(UserWarning, match="different|built on"):
        other.load_state_dict(S.to_torch(other.optimizer, S.constant(0.1)).state_dict())


def test_to_torch_rejects_non_callables_and_bad_rates():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="'schedule' parameter of to_torch must be a callable"):
        S.to_torch(opt, 0.1)
    with pytest.raises(ValueError, match="finite learning rates"):
        S.to_torch(opt, lambda t: math.nan)


# --------------------------------------------------------------------------- bad input


# Bad arguments: generated from the declared constraints in tests/test_validation.py.


def test_no_warnings_when_used_normally():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch_lrs(lambda o: S.to_torch(o, SCHED), 0.1, 10)
        SCHED(np.arange(100))


# --------------------------------------------------------------------------- record_torch_rates


def test_record_torch_rates_momentum_and_betas():
    """OneCycleLR cycles SGD's momentum and Adam's beta1 the same way; both are recorded."""

    def one_cycle(o):
        return tlr.OneCycleLR(o, max_lr=0.5, total_steps=30)

    sgd = S.record_torch_rates(one_cycle, 30, momentum=0.9)
    adam = S.record_torch_rates(one_cycle, 30, betas=(0.9, 0.999))
    plain = S.record_torch_rates(one_cycle, 30)
    assert plain.momentum is None and sgd.lr.shape == sgd.momentum.shape == (30,)
    np.testing.assert_array_equal(sgd.lr, adam.lr)
    np.testing.assert_array_equal(sgd.momentum, adam.momentum)
    assert sgd.momentum[0] == 0.95 and sgd.momentum.min() == pytest.approx(0.85)
    # The rate peaks where the momentum bottoms out (1cycle's mirror image).
    assert np.argmax(sgd.lr) == np.argmin(sgd.momentum)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": 2.0}, "steps"),
        ({"steps": 3, "lr": -1.0}, "lr"),
        ({"steps": 3, "momentum": 0.9, "betas": (0.9, 0.99)}, "momentum"),
    ],
)
def test_record_torch_rates_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        S.record_torch_rates(lambda o: tlr.StepLR(o, 1), **kwargs)


def test_importing_the_schedules_does_not_import_torch():
    """The pure schedules stand alone; torch comes in with the torch adapter only."""
    code = (
        "import sys, lrlab.schedules as S; assert 'torch' not in sys.modules; "
        "S.cosine_annealing(0.1, 10)(3); assert 'torch' not in sys.modules; "
        "S.to_torch; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_importable_from_the_package():
    from lrlab.schedules import torch_adapter

    assert set(S._TORCH_NAMES) == set(torch_adapter.__all__)  # the lazily loaded names
    assert len(set(S.__all__)) == len(S.__all__)
    for name in S.__all__:
        assert getattr(S, name) is not None


@pytest.mark.parametrize("bad", [-1, 2**63])
def test_a_bad_step_in_a_later_chunk_is_refused(bad):
    # Steps are checked slice by slice; one bad step anywhere still fails the whole call.
    chunk = S.core._CHUNK
    t = np.arange(2 * chunk + 10, dtype=np.int64 if bad < 0 else np.uint64)
    t[chunk + 5] = bad
    with pytest.raises(ValueError, match=f"'step' parameter .* Got an array containing {bad}"):
        S.cosine_annealing(0.1, 100)(t)
