"""The ``schedules`` assignment: warm-up + cosine, warm restarts, warmup-stable-decay.

Students write three pure functions of the step (lecture notation: ``lectures/warmup_cyclical``
for the warm-up, ``lectures/cosine_restarts`` for cosine annealing and SGDR's :math:`T_0`,
:math:`T_{\\mathrm{mult}}`, ``lectures/modern_practice`` for warmup-stable-decay and its
1 - sqrt cooldown) and train the digits network with one of them.

What lives here, once: the reference functions (the notebook's solution cells are filled from
them at release; ``tests/test_assignments.py`` checks them against torch's schedulers and
``lrlab.schedules``), the hidden tests' seeded cases (:func:`hidden_cases`), the grader's
fresh cases (:func:`fresh_cases`), the training routine shared by the notebook and the
grader's re-run (:func:`train_with_schedule`), and the grader's out-of-process checks
(``check_*``, registered in ``homework/nbgrader_config.py``). The notebook's source is
``homework/source/schedules/schedules.md``.
"""

from __future__ import annotations

import math
import random
import secrets
from typing import Any

EPOCHS = 3
STEPS_PER_EPOCH = 23  # batches of 64 in the 1,437 training images of lrlab.data.digits
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH
VALIDATION_SIZE = 360
SEEDS = (0, 1, 2)  # the applied part is judged on the mean over these training seeds
TARGET_ACCURACY = 0.94  # mean validation accuracy over SEEDS; see tests/test_assignments.py
SCHEDULE_NAMES = ("warmup_cosine", "cosine_restarts", "warmup_stable_decay")
POINTS = {
    "warmup_cosine_tests": 3,
    "cosine_restarts_tests": 3,
    "warmup_stable_decay_tests": 3,
    "schedules_validation": 1,
    "choose_schedule": 5,
    "train_with_schedule_to_target": 5,
}
SOLUTION_CELLS = ("warmup_cosine_solution", "cosine_restarts_solution", "wsd_solution")
TOLERANCE = 1e-12  # relative to max_lr: the same formula in another order differs by ulps


def check_arguments(max_lr: float, min_lr: float, **counts: tuple[object, int]) -> None:
    """Raise ValueError for the bad arguments all three schedules share (an optional helper).

    ``max_lr`` must be a finite number > 0 and ``min_lr`` in [0, max_lr]; each step count is
    given as ``name=(value, lowest allowed)``, and its value must be an integer (not a bool)
    >= that.
    """
    ### BEGIN SOLUTION
    for name, (value, low) in counts.items():
        # bool is an int to Python, but True as a step count is a bug in the caller.
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0 < max_lr < math.inf:
        raise ValueError(f"max_lr must be a finite number > 0, got {max_lr!r}")
    if not 0 <= min_lr <= max_lr:
        raise ValueError(f"min_lr must be in [0, max_lr], got {min_lr!r}")
    ### END SOLUTION


def warmup_cosine(
    step: int, total_steps: int, max_lr: float, warmup_steps: int, min_lr: float = 0.0
) -> float:
    """Linear warm-up from 0 to max_lr over W = warmup_steps, then cosine annealing.

    alpha_t = max_lr * t / W for t < W; for W <= t <= T = total_steps,
    alpha_t = min_lr + (max_lr - min_lr) / 2 * (1 + cos(pi * (t - W) / (T - W)));
    alpha_t = min_lr for t > T. Needs 0 <= W < T and 0 <= min_lr <= max_lr.
    """
    ### BEGIN SOLUTION
    check_arguments(
        max_lr, min_lr, step=(step, 0), total_steps=(total_steps, 1), warmup_steps=(warmup_steps, 0)
    )
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be < total_steps = {total_steps}, got {warmup_steps}")
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) / 2 * (1 + math.cos(math.pi * progress))
    ### END SOLUTION


def cosine_restarts(
    step: int, first_cycle_steps: int, max_lr: float, cycle_mult: int = 1, min_lr: float = 0.0
) -> float:
    """Cosine annealing with warm restarts (SGDR): cycle i lasts T_i = T_0 * T_mult**i steps.

    alpha_t = min_lr + (max_lr - min_lr) / 2 * (1 + cos(pi * T_cur / T_i)), with T_cur the
    steps since the last restart; T_0 = first_cycle_steps >= 1, T_mult = cycle_mult >= 1
    (an integer), 0 <= min_lr <= max_lr.
    """
    ### BEGIN SOLUTION
    check_arguments(
        max_lr,
        min_lr,
        step=(step, 0),
        first_cycle_steps=(first_cycle_steps, 1),
        cycle_mult=(cycle_mult, 1),
    )
    since_restart, cycle_steps = step, first_cycle_steps
    # Whole cycles in integers: no logarithm that could put a restart on the wrong step.
    while since_restart >= cycle_steps:
        since_restart -= cycle_steps
        cycle_steps *= cycle_mult
    return min_lr + (max_lr - min_lr) / 2 * (1 + math.cos(math.pi * since_restart / cycle_steps))
    ### END SOLUTION


def warmup_stable_decay(
    step: int,
    max_lr: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    min_lr: float = 0.0,
) -> float:
    """Warmup-stable-decay with the 1 - sqrt cooldown (W, S, D steps; q = (t - W - S) / D).

    alpha_t = max_lr * t / W for t < W; max_lr for W <= t < W + S;
    min_lr + (max_lr - min_lr) * (1 - sqrt(q)) for W + S <= t < W + S + D; min_lr after.
    Needs W, S >= 0, D >= 1 and 0 <= min_lr <= max_lr.
    """
    ### BEGIN SOLUTION
    check_arguments(
        max_lr,
        min_lr,
        step=(step, 0),
        warmup_steps=(warmup_steps, 0),
        stable_steps=(stable_steps, 0),
        decay_steps=(decay_steps, 1),
    )
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    if step < warmup_steps + stable_steps:
        return float(max_lr)
    q = min(step - warmup_steps - stable_steps, decay_steps) / decay_steps
    return min_lr + (max_lr - min_lr) * (1 - math.sqrt(q))
    ### END SOLUTION


REFERENCE = {
    "warmup_cosine": warmup_cosine,
    "cosine_restarts": cosine_restarts,
    "warmup_stable_decay": warmup_stable_decay,
}


# -- cases ---------------------------------------------------------------------------------------


def draw_setting(rng: random.Random, name: str) -> dict[str, Any]:
    """Random keyword arguments (all but ``step``) for schedule ``name``, small cases included."""
    max_lr = float(f"{10 ** rng.uniform(-4, 0.5):.6g}")
    min_lr = rng.choice([0.0, float(f"{max_lr * rng.uniform(0, 0.5):.6g}")])
    if name == "warmup_cosine":
        total = rng.choice([rng.randint(1, 12), rng.randint(12, 3000)])
        warm = rng.choice([0, rng.randrange(total)])
        return {"total_steps": total, "max_lr": max_lr, "warmup_steps": warm, "min_lr": min_lr}
    if name == "cosine_restarts":
        return {
            "first_cycle_steps": rng.choice([1, 2, rng.randint(1, 50), rng.randint(50, 500)]),
            "max_lr": max_lr,
            "cycle_mult": rng.choice([1, 1, 2, 3, rng.randint(1, 5)]),
            "min_lr": min_lr,
        }
    return {
        "max_lr": max_lr,
        "warmup_steps": rng.choice([0, rng.randint(1, 20), rng.randint(20, 500)]),
        "stable_steps": rng.choice([0, rng.randint(1, 50), rng.randint(50, 2000)]),
        "decay_steps": rng.choice([1, rng.randint(1, 20), rng.randint(20, 1000)]),
        "min_lr": min_lr,
    }


def boundary_steps(name: str, setting: dict[str, Any], rng: random.Random) -> list[int]:
    """Steps at and next to every phase end or restart (where off-by-one errors show), and
    a few random ones."""
    if name == "warmup_cosine":
        ends = [setting["warmup_steps"], setting["total_steps"]]
        horizon = setting["total_steps"] + 5
    elif name == "cosine_restarts":
        ends, start, length = [], 0, setting["first_cycle_steps"]
        while len(ends) < 4:
            start += length
            ends.append(start)
            length *= setting["cycle_mult"]
        horizon = ends[-1] + 3
    else:
        w, s, d = setting["warmup_steps"], setting["stable_steps"], setting["decay_steps"]
        ends = [w, w + s, w + s + d]
        horizon = w + s + d + 5
    steps = {0, 1, *(rng.randrange(horizon) for _ in range(4))}
    for end in ends:
        steps.update(s for s in (end - 1, end, end + 1) if s >= 0)
    return sorted(steps)


def hidden_cases(seed: int, name: str, n: int) -> tuple[tuple[dict[str, Any], tuple], ...]:
    """The hidden tests' cases for schedule ``name``: ``(settings, ((step, rate), ...))``."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        setting = draw_setting(rng, name)
        steps = boundary_steps(name, setting, rng)
        rates = tuple((t, REFERENCE[name](t, **setting)) for t in steps)
        cases.append((setting, rates))
    return tuple(cases)


def fresh_cases(name: str, n: int, seed: int | None = None) -> tuple:
    """Cases never seen before this grading run (a seed only for tests)."""
    return hidden_cases(secrets.randbits(64) if seed is None else seed, name, n)


def bad_arguments() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Calls that must raise ValueError: (function name, keyword arguments)."""
    wc = {"step": 0, "total_steps": 100, "max_lr": 0.1, "warmup_steps": 10}
    cr = {"step": 0, "first_cycle_steps": 10, "max_lr": 0.1}
    wsd = {"step": 0, "max_lr": 0.1, "warmup_steps": 5, "stable_steps": 50, "decay_steps": 20}
    return (
        ("warmup_cosine", {**wc, "step": -1}),
        ("warmup_cosine", {**wc, "step": 2.0}),
        ("warmup_cosine", {**wc, "total_steps": 0}),
        ("warmup_cosine", {**wc, "warmup_steps": 100}),
        ("warmup_cosine", {**wc, "warmup_steps": -1}),
        ("warmup_cosine", {**wc, "max_lr": 0.0}),
        ("warmup_cosine", {**wc, "min_lr": 0.2}),
        ("warmup_cosine", {**wc, "min_lr": -0.01}),
        ("cosine_restarts", {**cr, "first_cycle_steps": 0}),
        ("cosine_restarts", {**cr, "cycle_mult": 0}),
        ("cosine_restarts", {**cr, "cycle_mult": 1.5}),
        ("cosine_restarts", {**cr, "step": -3}),
        ("cosine_restarts", {**cr, "max_lr": -0.1}),
        ("warmup_stable_decay", {**wsd, "decay_steps": 0}),
        ("warmup_stable_decay", {**wsd, "stable_steps": -1}),
        ("warmup_stable_decay", {**wsd, "step": 1.5}),
        ("warmup_stable_decay", {**wsd, "min_lr": 1.0}),
    )


# -- the applied part -------------------------------------------------------------------------


def schedule_rates(config: dict, schedule_fns: dict) -> list[float]:
    """The TOTAL_STEPS rates of the schedule ``config`` names, from ``schedule_fns``."""
    name = config["schedule"]
    if name not in SCHEDULE_NAMES:
        raise ValueError(f"schedule must be one of {SCHEDULE_NAMES}, got {name!r}")
    options = dict(config.get("options", {}))
    return [float(schedule_fns[name](t, **options)) for t in range(TOTAL_STEPS)]


def train_with_schedule(rates, optimizer="sgd", momentum=0.9, seed=0):
    """Train the course's digits network for EPOCHS epochs, with lr = rates[t] at step t.

    ``lrlab.train.train_digits`` (digits data, the 64-unit MLP, ``fit``) with this seed;
    returns the validation accuracy after the last epoch.
    """
    from lrlab.train import train_digits

    if len(rates) != TOTAL_STEPS:
        raise ValueError(f"rates must hold TOTAL_STEPS = {TOTAL_STEPS} values, got {len(rates)}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    options = {"momentum": momentum} if optimizer == "sgd" else {}
    history = train_digits(
        optimizer, lambda t: rates[t], epochs=EPOCHS, seed=seed, progress=False, **options
    )
    return history.val_acc[-1]


# -- the grader's own checks (run in the grader's process, never in the kernel) ---------------


def _grading():
    # The grading package sits next to this folder; nbgrader_config.py puts it on sys.path.
    from lrlab_grading import checks

    return checks


# Named in code in any cell of the student's: the rates must be their own.
FORBIDDEN_IN_ANSWERS = frozenset({"lrlab", "lr_scheduler", "LambdaLR", "SequentialLR"})


def rule_violation(nb: Any) -> str | None:
    """The course-wide tampering rules, and: the student's cells compute the rates themselves."""
    from assignments import rules

    return rules.violation(
        nb,
        {"*": FORBIDDEN_IN_ANSWERS},
        "your cells use lrlab or torch's lr_scheduler: the schedules must be computed by your "
        "own code (check against them in a separate notebook)",
    )


def _compare(got: Any, cases: tuple) -> int | None:
    """How many of the cases' rates ``got`` misses; None if ``got`` is not a list of them."""
    want = [(rate, setting["max_lr"]) for setting, pairs in cases for _, rate in pairs]
    if not isinstance(got, list) or len(got) != len(want):
        return None
    wrong = 0
    for value, (rate, max_lr) in zip(got, want, strict=True):
        if not isinstance(value, int | float) or not abs(value - rate) <= TOLERANCE * max_lr:
            wrong += 1
    return wrong


def check_schedule(executor: Any, index: int, name: str) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    cases = fresh_cases(name, 12)
    calls = [[t, setting] for setting, pairs in cases for t, _ in pairs]
    expression = (
        f"[(lambda v: v if v == v else None)(float({name}(c[0], **c[1]))) for c in {calls!r}]"
    )
    answer = _grading().probe(executor, index, expression)
    wrong = _compare(answer, cases)
    if wrong is None:
        return f"the grader could not read {name}'s values back from the notebook"
    if wrong:
        return (
            f"on {len(calls)} steps of settings drawn at grading time, {name} differed from the "
            f"reference at {wrong}"
        )
    return None


def check_warmup_cosine(executor: Any, cell: Any, index: int) -> str | None:
    return check_schedule(executor, index, "warmup_cosine")


def check_cosine_restarts(executor: Any, cell: Any, index: int) -> str | None:
    return check_schedule(executor, index, "cosine_restarts")


def check_warmup_stable_decay(executor: Any, cell: Any, index: int) -> str | None:
    return check_schedule(executor, index, "warmup_stable_decay")


def exception_names_expression(calls: list) -> str:
    """An expression that calls ``globals()[name](**kwargs)`` for each ``[name, kwargs]`` in
    the kernel and gives the name of what each raised (``"returned"`` if nothing).

    A probe is a single expression, so it cannot hold ``try``; a ContextDecorator whose
    ``__exit__`` records the exception type and suppresses it does the same job.
    """
    return (
        "(lambda log: (lambda catch: ([catch()(globals()[n])(**k) for n, k in "
        f"{calls!r}], log)[1])(type('_GraderCatch', "
        "(__import__('contextlib').ContextDecorator,), {'__enter__': lambda s: s, "
        "'__exit__': lambda s, t, e, tb: log.append('returned' if t is None else t.__name__) "
        "or True})))([])"
    )


def check_validation(executor: Any, cell: Any, index: int) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    from assignments import rules

    calls = [[name, kwargs] for name, kwargs in bad_arguments()]
    expression = exception_names_expression(calls)
    return rules.bad_arguments_verdict(executor, index, calls, expression, "functions")


CONFIG_EXPRESSION = (
    "{'schedule': str(SCHEDULE_CONFIG['schedule']), "
    "'optimizer': str(SCHEDULE_CONFIG.get('optimizer', 'sgd')), "
    "'momentum': float(SCHEDULE_CONFIG.get('momentum', 0.9)), "
    "'options': {str(k): (v if isinstance(v, int) and not isinstance(v, bool) else float(v)) "
    "for k, v in dict(SCHEDULE_CONFIG.get('options', {})).items()}}"
)


def check_training(executor: Any, cell: Any, index: int) -> str | None:
    """Re-train here, on every seed of SEEDS, with the rates the student's function gives."""
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    checks = _grading()
    config = checks.probe(executor, index, CONFIG_EXPRESSION)
    if not isinstance(config, dict):
        return "the grader could not read SCHEDULE_CONFIG back from the notebook"
    name, optimizer = config.get("schedule"), config.get("optimizer")
    momentum, options = config.get("momentum"), config.get("options")
    if name not in SCHEDULE_NAMES:
        return f"SCHEDULE_CONFIG['schedule'] must be one of {', '.join(SCHEDULE_NAMES)}"
    if optimizer not in ("sgd", "adam"):
        return "SCHEDULE_CONFIG['optimizer'] must be 'sgd' or 'adam'"
    if not isinstance(momentum, int | float) or not 0.0 <= momentum < 1.0:
        return "SCHEDULE_CONFIG['momentum'] must be a number in [0, 1)"
    try:
        want = [REFERENCE[name](t, **options) for t in range(TOTAL_STEPS)]
    except (TypeError, ValueError) as exc:
        return f"SCHEDULE_CONFIG['options'] are not valid arguments of {name}: {exc}"
    got = checks.probe(
        executor,
        index,
        f"[float({name}(t, **{options!r})) for t in range({TOTAL_STEPS})]",
    )
    if not isinstance(got, list) or len(got) != TOTAL_STEPS:
        return f"the grader could not read your {name} rates back from the notebook"
    max_lr = options["max_lr"]
    if not all(
        isinstance(v, int | float) and abs(v - w) <= TOLERANCE * max_lr
        for v, w in zip(got, want, strict=True)
    ):
        return f"your {name} gives other rates than the schedule it names, for these settings"
    accuracies = [train_with_schedule(got, optimizer, momentum, seed) for seed in SEEDS]
    mean = sum(accuracies) / len(accuracies)
    if not mean >= TARGET_ACCURACY:
        return (
            f"the grader's own re-run reached a mean validation accuracy of {mean:.4f} over "
            f"seeds {SEEDS} ({', '.join(f'{a:.4f}' for a in accuracies)}), below the target "
            f"{TARGET_ACCURACY}"
        )
    return None
