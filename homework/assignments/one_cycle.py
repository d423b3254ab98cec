"""The ``one_cycle`` assignment: PyTorch's 1cycle schedule, written by the student.

What lives here, once: the reference ``one_cycle`` (the notebook's solution cell is filled from
it at release), the hidden tests' case generator (:func:`draw_cases`, seeded, run at release),
the grader's case generator (:func:`fresh_cases`, drawn at grading time), torch's rates for a
setting (:func:`torch_rates`, the oracle), and the part-3 training routine shared by the
notebook's helper cell and the grader's own re-run (:func:`train_with_one_cycle`). The
notebook's source is ``homework/source/one_cycle/one_cycle.md``; the lecture behind it is
``lectures/warmup_cyclical.md`` (and ``lr_range_test.md`` for part 3).
"""

from __future__ import annotations

import math
import random
import secrets
from typing import Any

import torch

from lrlab.schedules import record_torch_rates
from lrlab.train import train_digits

EPOCHS = 3
TARGET_ACCURACY = 0.95
VALIDATION_SIZE = 360  # images in lrlab.data.digits' validation split
TARGET_CORRECT = 342  # of 360 validation images: 95 %
STEPS_PER_EPOCH = 23  # batches of 64 in the 1,437 training images
SCHEDULE_KEYS = ("pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase")
POINTS = {
    "one_cycle_two_phase_cos": 4,
    "one_cycle_linear": 2,
    "one_cycle_three_phase": 3,
    "one_cycle_validation": 1,
    "explain_one_cycle": 5,
    "train_to_target": 5,
}
# Settings where the obvious choice misses the target; measured by tests/test_assignments.py
# and quoted in the notebook's part-3 hint.
HIGH_CONSTANT_INTUITION = {"optimizer": "sgd", "momentum": 0.9, "max_lr": 0.5}


def one_cycle(
    step: int,
    total_steps: int,
    max_lr: float,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> float:
    """The learning rate alpha_t of the 1cycle policy at step t = ``step``.

    Parameters: ``step`` (t, an integer, 0 <= t < T), ``total_steps`` (T >= 1), ``max_lr``
    (the peak, > 0), ``pct_start`` (p, the share of T spent rising, in [0, 1]),
    ``anneal_strategy`` ("cos" or "linear"), ``div_factor`` (d: alpha_0 = max_lr / d),
    ``final_div_factor`` (f: alpha_min = alpha_0 / f), ``three_phase`` (the paper's
    three phases instead of two). Returns a Python float, equal to what torch's
    ``OneCycleLR`` sets after ``step`` calls of ``scheduler.step()``.
    """
    ### BEGIN SOLUTION
    import operator

    def as_integer(name: str, value: object) -> int:
        # operator.index accepts int and NumPy integers, and rejects floats.
        if isinstance(value, bool):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        try:
            return operator.index(value)
        except TypeError:
            raise ValueError(f"{name} must be an integer, got {value!r}") from None

    total_steps = as_integer("total_steps", total_steps)
    step = as_integer("step", step)
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    if not 0 <= step < total_steps:
        raise ValueError(f"step must satisfy 0 <= step < total_steps = {total_steps}, got {step}")
    for name, positive in (
        ("max_lr", max_lr),
        ("div_factor", div_factor),
        ("final_div_factor", final_div_factor),
    ):
        if not positive > 0:
            raise ValueError(f"{name} must be > 0, got {positive!r}")
    if not 0.0 <= pct_start <= 1.0:
        raise ValueError(f"pct_start must be in [0, 1], got {pct_start!r}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")

    start_lr = max_lr / div_factor
    floor_lr = start_lr / final_div_factor
    # (end of phase, rate at its start, rate at its end), in torch's float arithmetic
    if three_phase:
        phases = [
            (float(pct_start * total_steps) - 1, start_lr, max_lr),
            (float(2 * pct_start * total_steps) - 2, max_lr, start_lr),
            (total_steps - 1, start_lr, floor_lr),
        ]
    else:
        phases = [
            (float(pct_start * total_steps) - 1, start_lr, max_lr),
            (total_steps - 1, max_lr, floor_lr),
        ]
    phase_start = 0.0
    for i, (phase_end, rate_from, rate_to) in enumerate(phases):
        if step <= phase_end or i == len(phases) - 1:
            tau = (step - phase_start) / (phase_end - phase_start)
            if anneal_strategy == "cos":
                return rate_to + (rate_from - rate_to) / 2.0 * (math.cos(math.pi * tau) + 1)
            return (rate_to - rate_from) * tau + rate_from
        phase_start = phase_end
    raise AssertionError("unreachable: the last phase takes every remaining step")
    ### END SOLUTION


def train_with_one_cycle(schedule_fn, config, seed=0):
    """Train the course's digits network for EPOCHS epochs with lr = schedule_fn(t, T, ...).

    The rates of all T = EPOCHS * STEPS_PER_EPOCH steps are computed first, then
    ``lrlab.train.train_digits`` (digits data, the 64-unit MLP, ``fit``) trains with
    ``rates[t]`` before step t. Returns its History (per-step ``lr`` and ``train_loss``,
    per-epoch ``val_acc``).
    """
    if config["optimizer"] not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {config['optimizer']!r}")
    options = {key: config[key] for key in SCHEDULE_KEYS if key in config}
    total_steps = EPOCHS * STEPS_PER_EPOCH
    rates = [
        float(schedule_fn(t, total_steps, config["max_lr"], **options)) for t in range(total_steps)
    ]
    momentum = {"momentum": config.get("momentum", 0.9)} if config["optimizer"] == "sgd" else {}
    return train_digits(
        config["optimizer"],
        lambda t: rates[t],
        epochs=EPOCHS,
        seed=seed,
        progress=False,
        **momentum,
    )


def correct_with_rates(config: dict, rates: list[float]) -> int:
    """Validation images (of 360) right after training with exactly these per-step rates.

    The grader's re-run: the same routine as the notebook's helper, fed the rates the
    submission's ``one_cycle`` returned, so the number a student sees is the number graded.
    """
    if len(rates) != EPOCHS * STEPS_PER_EPOCH:
        raise ValueError(f"rates must hold {EPOCHS * STEPS_PER_EPOCH} values, got {len(rates)}")
    # Only the optimizer's settings matter here: the schedule is the list of rates.
    settings = {
        "optimizer": config["optimizer"],
        "momentum": config.get("momentum", 0.9),
        "max_lr": max(rates),
    }
    history = train_with_one_cycle(lambda t, *_args, **_options: rates[t], settings)
    return round(history.val_acc[-1] * VALIDATION_SIZE)


# -- the oracle and the cases ------------------------------------------------------------------


def torch_rates(setting: dict, steps: list[int]) -> list[float]:
    """torch's OneCycleLR learning rate after each of ``steps`` (ascending) scheduler steps."""
    optimizers = []

    def make(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.OneCycleLR:
        optimizers.append(optimizer)
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, cycle_momentum=False, **setting)

    last = max(steps)
    # Rates 0 .. last - 1 as a training loop sees them; the rate at ``last`` is read after
    # ``last`` scheduler steps instead of recorded, because recording it would step the
    # scheduler once more, and on that step OneCycleLR divides by zero when its last phase
    # has no length (pct_start = 1, an edge case the hidden tests hold).
    rates = [*record_torch_rates(make, last).lr, optimizers[0].param_groups[0]["lr"]]
    return [float(rates[step]) for step in steps]


def phase_ends(setting: dict) -> list[float]:
    t, p = setting["total_steps"], setting["pct_start"]
    if setting["three_phase"]:
        return [float(p * t) - 1, float(2 * p * t) - 2, t - 1]
    return [float(p * t) - 1, t - 1]


def draw_cases(
    seed: int, anneal_strategy: str, three_phase: bool, n: int
) -> tuple[tuple[Any, ...], ...]:
    """The hidden tests' settings: seeded, with the phase boundaries always among the steps.

    Each case is ``(total_steps, max_lr, pct_start, div_factor, final_div_factor, steps)``.
    Settings where torch itself fails (a phase of length zero divides by zero) are skipped:
    the homework asks for torch's values, and there are none to ask for.
    """
    rng = random.Random(seed)
    cases = []
    edge_settings = [  # short schedules, a phase shorter than one step, pct_start at its limits
        (7, 0.1),
        (12, 0.05),
        (40, 0.0),
        (25, 1.0),
        (3, 0.5),
    ]
    while len(cases) < n:
        if len(cases) < len(edge_settings) // (2 if three_phase else 1):
            total_steps, pct_start = edge_settings[len(cases)]
        else:
            total_steps = rng.choice([rng.randint(2, 60), rng.randint(60, 2000)])
            pct_start = round(rng.uniform(0.05, 0.95), 3)
        setting = {
            "total_steps": total_steps,
            "max_lr": float(f"{10 ** rng.uniform(-4, 1):.6g}"),
            "pct_start": float(pct_start),
            "anneal_strategy": anneal_strategy,
            "div_factor": float(f"{rng.uniform(1.5, 100):.4g}"),
            "final_div_factor": float(f"{10 ** rng.uniform(0, 5):.4g}"),
            "three_phase": three_phase,
        }
        steps = {0, total_steps - 1, rng.randrange(total_steps), rng.randrange(total_steps)}
        for end in phase_ends(setting)[:-1]:
            for s in (math.floor(end), math.ceil(end), math.floor(end) + 1):
                if 0 <= s < total_steps:
                    steps.add(s)
        steps = sorted(steps)
        try:
            torch_rates(setting, steps)
        except ZeroDivisionError:
            continue
        cases.append(
            (total_steps, setting["max_lr"], setting["pct_start"], setting["div_factor"],
             setting["final_div_factor"], tuple(steps))
        )  # fmt: skip
    return tuple(cases)


def fresh_cases(
    anneal_strategy: str, three_phase: bool, n: int, seed: int | None = None
) -> list[tuple[dict, list[tuple[int, float]]]]:
    """Random settings never seen before this grading run, with torch's rates for them."""
    rng = random.Random(secrets.randbits(64) if seed is None else seed)
    cases = []
    while len(cases) < n:
        total_steps = rng.choice([rng.randint(2, 50), rng.randint(50, 1500)])
        setting = {
            "max_lr": 10 ** rng.uniform(-4, 1),
            "total_steps": total_steps,
            "pct_start": rng.uniform(0.02, 0.98),
            "anneal_strategy": anneal_strategy,
            "div_factor": rng.uniform(1.5, 100.0),
            "final_div_factor": 10 ** rng.uniform(0, 5),
            "three_phase": three_phase,
        }
        steps = sorted({0, total_steps - 1, *(rng.randrange(total_steps) for _ in range(6))})
        try:
            rates = torch_rates(setting, steps)
        except ZeroDivisionError:  # a phase of length zero: torch has no answer
            continue
        cases.append((setting, list(zip(steps, rates, strict=True))))
    return cases


def bad_arguments() -> tuple[dict[str, Any], ...]:
    """Inputs that must raise ValueError, each a change to step=0, total_steps=100, max_lr=0.1."""
    return (
        {"total_steps": 0},
        {"total_steps": 10, "step": 10},
        {"step": 5, "total_steps": 3},
        {"step": -1},
        {"step": 1.5},
        {"max_lr": 0.0},
        {"max_lr": -1.0},
        {"pct_start": 1.5},
        {"pct_start": -0.1},
        {"div_factor": 0.0},
        {"final_div_factor": -2.0},
        {"anneal_strategy": "cosine"},
    )
