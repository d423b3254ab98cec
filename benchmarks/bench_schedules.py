"""How cheap is an `lrlab.schedules` curve? Two ratios, measured side by side in one run.

The issue asks that evaluating a 1,000,000-step curve

1. cost close to one bare NumPy pass of the same transcendental over the same steps
   (``cosine_annealing`` against ``np.cos``, ``exponential_decay`` against ``np.power``, ...):
   goal at most 2.5x;
2. cost at least 40x less per step than stepping the equivalent torch scheduler (we time
   20,000 ``scheduler.step()`` calls on a real SGD optimizer and divide).

Schedules without a transcendental (step functions, straight lines, triangles) have no bare
pass to compare with in (1); their time per million steps is printed for reference.

Every timing is the CPU time of this thread (``time.thread_time``), not wall time: on a
shared machine the wall clock also counts the time spent waiting for a core, which made
single runs vary by 5x here. Each figure is the minimum over several repeats, and the two
sides of each ratio are timed in alternation.
A scalar call ``schedule(t)`` is also timed, for information: it goes through the same
NumPy code on a tiny array, so it costs microseconds, like a torch step.

Run: python benchmarks/bench_schedules.py [--repeats N]
"""

from __future__ import annotations

import os

# The thread policy lives at entry points like this one: one torch thread, set before torch
# is imported (the course's models are far too small to gain from a second one).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch.optim import lr_scheduler as tlr

from lrlab import schedules as S

N_CURVE = 1_000_000
N_TORCH = 20_000
GOAL_BARE = 2.5
GOAL_TORCH = 40.0

LR = 0.1
T = N_CURVE  # total steps of the decays, so the whole curve is "live"

# The bare passes run over exactly the values each schedule feeds its transcendental
# (angles in [0, pi], exponents, bases), prepared here in plain NumPy and not timed: the
# cost of np.cos or np.power depends on its arguments, so the comparison must use the same.
_t = np.arange(N_CURVE, dtype=np.float64)


def _restart_angles(first: int, mult: int) -> np.ndarray:
    angles = np.empty(N_CURVE)
    start, length = 0, first
    while start < N_CURVE:
        stop = min(start + length, N_CURVE)
        angles[start:stop] = math.pi * (_t[start:stop] - start) / length
        start, length = stop, length * mult
    return angles


_COS_T = np.pi * _t / T
_COS_RESTART = _restart_angles(1000, 2)
_COS_WARMUP = np.pi * np.maximum(_t - 10_000, 0) / (T - 10_000)
_COS_WSD = np.pi * np.clip((_t - 500_000) / 500_000, 0, 1)
_EXP_T = _t.copy()
_EXP_STAIR = np.floor(_t / 100_000)
_POWER_BASE = 1 + _t / 1000.0
_POLY_BASE = 1 - _t / T
# Power 0.9, torch's own PolynomialLR example: for whole powers (1, 2) NumPy's np.power
# is a multiplication, not a transcendental, and there is no bare pass to compare with.

# (name, schedule, bare NumPy pass of its transcendental or None, torch factory or None)
CASES: list[tuple[str, S.Schedule, Callable[[], object] | None, Callable | None]] = [
    (
        "cosine_annealing",
        S.cosine_annealing(LR, T, 1e-4),
        lambda: np.cos(_COS_T),
        lambda o: tlr.CosineAnnealingLR(o, T, 1e-4),
    ),
    (
        "cosine_warm_restarts(T_mult=2)",
        S.cosine_warm_restarts(LR, 1000, 2, 1e-4),
        lambda: np.cos(_COS_RESTART),
        lambda o: tlr.CosineAnnealingWarmRestarts(o, 1000, 2, 1e-4),
    ),
    (
        "exponential_decay",
        S.exponential_decay(LR, 0.99999),
        lambda: np.power(0.99999, _EXP_T),
        lambda o: tlr.ExponentialLR(o, 0.99999),
    ),
    (
        "exponential_decay(staircase)",
        S.exponential_decay(LR, 0.5, decay_steps=100_000, staircase=True),
        lambda: np.power(0.5, _EXP_STAIR),
        None,
    ),
    (
        "step_decay",
        S.step_decay(LR, 100_000, 0.5),
        lambda: np.power(0.5, _EXP_STAIR),
        lambda o: tlr.StepLR(o, 100_000, 0.5),
    ),
    (
        "power_decay",
        S.power_decay(LR, 1000.0, 0.7),
        lambda: np.power(_POWER_BASE, 0.7),
        None,
    ),
    (
        "polynomial_decay(power=0.9)",
        S.polynomial_decay(LR, T, 0.9),
        lambda: np.power(_POLY_BASE, 0.9),
        lambda o: tlr.PolynomialLR(o, T, 0.9),
    ),
    (
        "cyclic(exp_range)",
        S.cyclic(0.01, LR, 2000, mode="exp_range", gamma=0.99999),
        lambda: np.power(0.99999, _EXP_T),
        lambda o: tlr.CyclicLR(
            o, 0.01, LR, 2000, mode="exp_range", gamma=0.99999, cycle_momentum=False
        ),
    ),
    (
        "warmup(cosine_annealing)",
        S.warmup(S.cosine_annealing(LR, T - 10_000), 10_000),
        lambda: np.cos(_COS_WARMUP),
        None,
    ),
    (
        "warmup_stable_decay(cosine)",
        S.warmup_stable_decay(LR, 10_000, 490_000, 500_000, decay="cosine"),
        lambda: np.cos(_COS_WSD),
        None,
    ),
    ("inverse_time_decay", S.inverse_time_decay(LR, 0.5, 1000), None, None),
    ("multistep_decay", S.multistep_decay(LR, [300_000, 600_000, 900_000]), None, None),
    ("linear", S.linear(LR, 1.0, 0.01, T), None, lambda o: tlr.LinearLR(o, 1.0, 0.01, T)),
    (
        "cyclic(triangular)",
        S.cyclic(0.01, LR, 2000),
        None,
        lambda o: tlr.CyclicLR(o, 0.01, LR, 2000, cycle_momentum=False),
    ),
    ("piecewise_constant", S.piecewise_constant([1000, 500_000], [LR, 0.01, 0.001]), None, None),
]


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return min(times)


def torch_seconds_per_step(make: Callable, repeats: int) -> float:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=LR)
    opt.step()  # mark the optimizer as stepped, so torch does not warn about the order
    sched = make(opt)

    def run() -> None:
        for _ in range(N_TORCH):
            sched.step()

    return best_of(run, repeats) / N_TORCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timings per measurement")
    args = parser.parse_args()
    steps = np.arange(N_CURVE)
    warnings.simplefilter("ignore", UserWarning)  # torch's epoch/ordering notices

    print(f"NumPy {np.__version__}, torch {torch.__version__}; curve of {N_CURVE:,} steps, ")
    print(f"torch timed over {N_TORCH:,} scheduler steps; min of {args.repeats} repeats.\n")
    header = (
        f"{'schedule':32s} {'curve ms':>9s} {'bare ms':>8s} {'ratio':>6s} {'goal':>6s}  "
        f"{'ns/step':>8s} {'torch ns/step':>13s} {'x cheaper':>9s} {'goal':>6s}  "
        f"{'scalar us':>9s}"
    )
    print(header)
    print("-" * len(header))
    misses = []
    for name, sched, bare, make_torch in CASES:
        sched(steps[:1000])  # warm up caches and code paths
        curve_s, bare_s = math.inf, math.inf
        for _ in range(args.repeats):  # alternate, so both see the same load
            curve_s = min(curve_s, best_of(lambda s=sched: s(steps), 1))
            if bare is not None:
                bare_s = min(bare_s, best_of(bare, 1))
        per_step = curve_s / N_CURVE
        scalar_s = best_of(lambda s=sched: [s(t) for t in range(1000)], 3) / 1000

        cols = f"{name:32s} {curve_s * 1e3:9.2f} "
        if bare is not None:
            ratio = curve_s / bare_s
            ok = ratio <= GOAL_BARE
            misses += [] if ok else [f"{name}: {ratio:.2f}x a bare pass"]
            cols += f"{bare_s * 1e3:8.2f} {ratio:5.2f}x {'<=2.5x':>6s}  "
        else:
            cols += f"{'-':>8s} {'-':>6s} {'':>6s}  "
        cols += f"{per_step * 1e9:8.2f} "
        if make_torch is not None:
            torch_s = torch_seconds_per_step(make_torch, max(3, args.repeats // 2))
            cheaper = torch_s / per_step
            ok = cheaper >= GOAL_TORCH
            misses += [] if ok else [f"{name}: only {cheaper:.0f}x cheaper than torch"]
            cols += f"{torch_s * 1e9:13.0f} {cheaper:8.0f}x {'>=40x':>6s}  "
        else:
            cols += f"{'-':>13s} {'-':>9s} {'':>6s}  "
        cols += f"{scalar_s * 1e6:9.2f}"
        print(cols, flush=True)

    print()
    if misses:
        print("MISSED GOALS:\n  " + "\n  ".join(misses))
    else:
        print("All goals met: every curve within 2.5x of its bare transcendental pass, and at")
        print("least 40x cheaper per step than stepping the torch scheduler.")


if __name__ == "__main__":
    main()
