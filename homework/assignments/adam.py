"""The ``adam`` assignment: Adam and AdamW as torch optimizers, written from scratch.

Students write ``Adam`` (L2 weight decay through the gradient, torch's form, bias-corrected)
and ``AdamW`` (decoupled weight decay) as ``torch.optim.Optimizer`` subclasses whose
``state_dict`` survives a save and load, then run an experiment on what warm-up does for Adam
on the digits network (graded by hand). The lecture is ``lectures/adaptive_methods.md``.

What lives here, once: the reference classes (the notebook's solution cells are filled from
them at release; ``tests/test_assignments.py`` checks them against torch), the case
generators (:func:`draw_case`: parameter groups, initial values and gradients), torch's
trajectories for a case (:func:`torch_trajectory`, the oracle), the expressions the grader
evaluates in the grading kernel, and the grader's out-of-process checks (``check_*``,
registered in ``homework/nbgrader_config.py``). The notebook's source is
``homework/source/adam/adam.md``.
"""

from __future__ import annotations

import io
import math
import random
import secrets
from typing import Any

import torch
from torch.optim import Optimizer

POINTS = {
    "adam_tests": 4,
    "adamw_tests": 3,
    "adam_state_dict_tests": 2,
    "adam_validation": 1,
    "warmup_experiment": 5,
    "warmup_reading": 5,
}
TOLERANCE = 1e-9  # relative, in float64: the same formula in another order differs by ulps
EXPERIMENT_SEEDS = (0, 1, 2)


class Adam(Optimizer):
    """Adam in torch's form, with an L2 penalty ``weight_decay`` added to the gradient.

    For each parameter, at its t-th update (t = 1, 2, ...): g = grad + weight_decay * p,
    m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2,
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        ### BEGIN SOLUTION
        if not 0.0 <= lr < math.inf:
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        if not 0.0 <= eps < math.inf:
            raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
        if not 0.0 <= weight_decay < math.inf:
            raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = self._gradient(p, group)
                state = self.state[p]
                if not state:
                    # A tensor step count: it travels with state_dict like torch's own.
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"].item()
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(grad, 1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)
                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
        return loss
        ### END SOLUTION

    def _gradient(self, p, group):
        """The gradient Adam's moments see: with the L2 penalty folded in."""
        ### BEGIN SOLUTION
        if group["weight_decay"] != 0:
            return p.grad.add(p, alpha=group["weight_decay"])
        return p.grad
        ### END SOLUTION


class AdamW(Adam):
    """AdamW: Adam whose weight decay shrinks the parameter directly, p = p (1 - lr wd),
    before the Adam step, instead of passing through the moments (torch's default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _gradient(self, p, group):
        ### BEGIN SOLUTION
        # Decoupled: shrink the weights here, and give the moments the bare gradient.
        p.mul_(1 - group["lr"] * group["weight_decay"])
        return p.grad
        ### END SOLUTION


REFERENCE = {"Adam": Adam, "AdamW": AdamW}
TORCH = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}


# -- cases -----------------------------------------------------------------------------------


def draw_case(rng: random.Random, name: str, steps: int) -> dict[str, Any]:
    """Parameter groups with their own settings, initial values and a gradient per step.

    Values are float64 lists, so they pass through JSON to and from the grading kernel
    exactly. ``defaults`` are the constructor's keyword arguments (each possibly left out,
    so the class's own defaults are tested too); a group may override any of them.
    """

    def settings() -> dict[str, Any]:
        options = {
            "lr": 10 ** rng.uniform(-4, -0.5),
            "betas": [rng.choice([0.0, 0.5, 0.9, rng.uniform(0, 0.99)]),
                      rng.choice([0.9, 0.999, rng.uniform(0.5, 0.9999)])],
            "eps": rng.choice([1e-8, 10 ** rng.uniform(-10, -1)]),
            "weight_decay": rng.choice([0.0, 10 ** rng.uniform(-4, -0.5)]),
        }  # fmt: skip
        return {k: v for k, v in options.items() if rng.random() < 0.7}

    groups, params = [], []
    for _ in range(rng.randint(1, 3)):
        shapes = [rng.choice([[1], [3], [2, 3], [4, 1]]) for _ in range(rng.randint(1, 2))]
        groups.append({"params": list(range(len(params), len(params) + len(shapes))),
                       **settings()})  # fmt: skip
        params.extend(shapes)
    init = [[rng.gauss(0, 1) for _ in range(math.prod(s))] for s in params]
    # Gradients of mixed scales, some exactly zero: the first steps show the bias correction.
    grads = [
        [[rng.choice([0.0, rng.gauss(0, 10 ** rng.uniform(-3, 1))]) for _ in range(math.prod(s))]
         for s in params]
        for _ in range(steps)
    ]  # fmt: skip
    return {"name": name, "defaults": settings(), "groups": groups, "shapes": params,
            "init": init, "grads": grads}  # fmt: skip


def weight_decays(case: dict[str, Any]) -> list[float]:
    """The weight decay each group of ``case`` runs with (its own, the constructor's, or the
    class's default: 0 for Adam, 1e-2 for AdamW)."""
    default = case["defaults"].get("weight_decay", 1e-2 if case["name"] == "AdamW" else 0.0)
    return [g.get("weight_decay", default) for g in case["groups"]]


def draw_cases(rng: random.Random, name: str, n: int, steps: int) -> list[dict[str, Any]]:
    """``n`` cases; every other one has weight decay in some group, so that L2 and decoupled
    decay (which agree without it) are always told apart."""
    cases: list[dict[str, Any]] = []
    while len(cases) < n:
        case = draw_case(rng, name, steps)
        if len(cases) % 2 == 0 and not any(wd > 0 for wd in weight_decays(case)):
            continue
        cases.append(case)
    return cases


def hidden_cases(seed: int, name: str, n: int, steps: int = 6) -> tuple[dict[str, Any], ...]:
    """Seeded cases with torch's trajectory attached (``"want"``), for the hidden tests."""
    cases = draw_cases(random.Random(seed), name, n, steps)
    for case in cases:
        case["want"] = torch_trajectory(case)
    return tuple(cases)


def _build(optimizer_class: Any, case: dict[str, Any]) -> tuple[list, Any]:
    params = [
        torch.tensor(v, dtype=torch.float64).reshape(s).requires_grad_()
        for v, s in zip(case["init"], case["shapes"], strict=True)
    ]
    groups = []
    for g in case["groups"]:
        group = {k: (tuple(v) if k == "betas" else v) for k, v in g.items() if k != "params"}
        groups.append({"params": [params[i] for i in g["params"]], **group})
    defaults = {k: (tuple(v) if k == "betas" else v) for k, v in case["defaults"].items()}
    return params, optimizer_class(groups, **defaults)


def _run(params: list, optimizer: Any, grads: list) -> None:
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64).reshape(p.shape)
        optimizer.step()


def torch_trajectory(case: dict[str, Any], optimizer_class: Any = None) -> list[list[list]]:
    """The parameters (flattened) after each step, with torch's optimizer (or the given one)."""
    optimizer_class = optimizer_class or TORCH[case["name"]]
    params, optimizer = _build(optimizer_class, case)
    out = []
    for step_grads in case["grads"]:
        _run(params, optimizer, [step_grads])
        out.append([p.detach().reshape(-1).tolist() for p in params])
    return out


def round_trip_trajectory(case: dict[str, Any], optimizer_class: Any, split: int) -> list:
    """Run ``split`` steps, save the optimizer's state_dict to bytes, load it into a fresh
    optimizer over fresh copies of the parameters, and run the rest there."""
    params, optimizer = _build(optimizer_class, case)
    _run(params, optimizer, case["grads"][:split])
    buffer = io.BytesIO()
    torch.save(optimizer.state_dict(), buffer)
    later = {**case, "init": [p.detach().reshape(-1).tolist() for p in params]}
    params, optimizer = _build(optimizer_class, later)
    buffer.seek(0)
    optimizer.load_state_dict(torch.load(buffer, weights_only=True))
    _run(params, optimizer, case["grads"][split:])
    return [p.detach().reshape(-1).tolist() for p in params]


def fresh_cases(name: str, n: int, steps: int = 8, seed: int | None = None) -> list[dict]:
    return draw_cases(random.Random(secrets.randbits(64) if seed is None else seed), name, n, steps)


def bad_arguments() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Constructor calls that must raise ValueError: (class name, keyword arguments)."""
    return (
        ("Adam", {"lr": -1e-3}),
        ("Adam", {"betas": (1.0, 0.999)}),
        ("Adam", {"betas": (0.9, -0.1)}),
        ("Adam", {"eps": -1e-8}),
        ("Adam", {"weight_decay": -0.1}),
        ("AdamW", {"lr": -0.1}),
        ("AdamW", {"betas": (0.9, 1.5)}),
        ("AdamW", {"weight_decay": -1e-2}),
    )


# -- what the grader asks the kernel ----------------------------------------------------------
# Each is one expression (a probe cannot hold statements) built only from the case's numbers
# and the student's class; the kernel returns plain lists, and this process compares.

_KERNEL_HELPERS = (
    "(lambda torch, case, C: (lambda build, run: {body})("
    "lambda init: (lambda ps: (ps, C([dict([('params', [ps[i] for i in g['params']])] + "
    "[(k, tuple(v) if k == 'betas' else v) for k, v in g.items() if k != 'params']) "
    "for g in case['groups']], **{{k: (tuple(v) if k == 'betas' else v) "
    "for k, v in case['defaults'].items()}})))("
    "[torch.tensor(v, dtype=torch.float64).reshape(s).requires_grad_() "
    "for v, s in zip(init, case['shapes'])]), "
    "lambda ps, opt, grads: [([setattr(p, 'grad', torch.tensor(g, dtype=torch.float64)"
    ".reshape(p.shape)) for p, g in zip(ps, gs)], opt.step()) for gs in grads]"
    "))(__import__('torch'), {case!r}, {cls})"
)


def trajectory_expression(case: dict[str, Any]) -> str:
    body = (
        "(lambda po: [(run(po[0], po[1], [gs]), [p.detach().reshape(-1).tolist() "
        "for p in po[0]])[1] for gs in case['grads']])(build(case['init']))"
    )
    return _KERNEL_HELPERS.format(body=body, case=case, cls=case["name"])


def round_trip_expression(case: dict[str, Any], split: int) -> str:
    body = (
        f"(lambda po, buf: (run(po[0], po[1], case['grads'][:{split}]), "
        "torch.save(po[1].state_dict(), buf), buf.seek(0), "
        "(lambda po2: (po2[1].load_state_dict(torch.load(buf, weights_only=True)), "
        f"run(po2[0], po2[1], case['grads'][{split}:]), "
        "[p.detach().reshape(-1).tolist() for p in po2[0]])[2])"
        "(build([p.detach().reshape(-1).tolist() for p in po[0]])))[3])"
        "(build(case['init']), __import__('io').BytesIO())"
    )
    return _KERNEL_HELPERS.format(body=body, case=case, cls=case["name"])


def exception_names_expression(calls: list) -> str:
    """Construct ``globals()[name]([dummy], **kwargs)`` for each call in the kernel; the name
    of what each raised (``"returned"`` if nothing). See ``schedules`` for the trick."""
    return (
        "(lambda log, torch: (lambda catch: ([catch()(lambda n, k: globals()[n]("
        "[torch.zeros(1, requires_grad=True)], **k))(n, k) for n, k in "
        f"{calls!r}], log)[1])(type('_GraderCatch', "
        "(__import__('contextlib').ContextDecorator,), {'__enter__': lambda s: s, "
        "'__exit__': lambda s, t, e, tb: log.append('returned' if t is None else t.__name__) "
        "or True})))([], __import__('torch'))"
    )


def close(got: Any, want: list) -> bool:
    """Whether ``got`` (from the kernel) equals ``want`` to TOLERANCE, relatively."""
    if not isinstance(got, list) or len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=True):
        if isinstance(b, list):
            if not close(a, b):
                return False
        elif not isinstance(a, int | float) or not abs(a - b) <= TOLERANCE * (1 + abs(b)):
            return False
    return True


# -- the grader's own checks (run in the grader's process, never in the kernel) ---------------

# Torch's own Adam code, by the names a student would reach it with.
FORBIDDEN_NAMES = frozenset(
    {"adam", "adamw", "_single_tensor_adam", "_multi_tensor_adam", "_fused_adam",
     "_fused_adam_", "_fused_adamw_", "lrlab"}
)  # fmt: skip


def _grading():
    from lrlab_grading import checks

    return checks


def rule_violation(nb: Any) -> str | None:
    """The course-wide tampering rules, and: Adam and AdamW are the student's own code."""
    from assignments import rules

    problem = rules.violation(
        nb,
        {"adam_solution": FORBIDDEN_NAMES, "adamw_solution": FORBIDDEN_NAMES},
        "Adam and AdamW must be your own code, not torch's (or lrlab's) Adam",
    )
    if problem:
        return problem
    for cell in _grading().student_code_cells(nb):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        # torch.optim.Adam used in code: attribute access, which the name rule cannot see
        if grade_id in ("adam_solution", "adamw_solution") and {"Adam", "AdamW"} & (
            _attribute_names(cell.source)
        ):
            return "Adam and AdamW must be your own code, not torch's (or lrlab's) Adam"
    return None


def _attribute_names(source: str) -> set[str]:
    """Names used after a dot (``torch.optim.Adam`` gives ``Adam``)."""
    import io as _io
    import tokenize

    found, previous = set(), None
    try:
        for tok in tokenize.generate_tokens(_io.StringIO(source + "\n").readline):
            if tok.type == tokenize.NAME and previous == ".":
                found.add(tok.string)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _own_class(executor: Any, index: int, name: str) -> str | None:
    """The class must be the student's: every base but Optimizer and object is theirs."""
    mro = _grading().probe(
        executor, index, f"[c.__module__ + ':' + c.__qualname__ for c in {name}.__mro__]"
    )
    if not isinstance(mro, list) or not mro:
        return f"the grader could not find your class {name} in the notebook"
    allowed = {"torch.optim.optimizer:Optimizer", "builtins:object"}
    foreign = [c for c in mro if c not in allowed and not str(c).startswith("__main__:")]
    if foreign:
        return f"{name} must be written from scratch on torch.optim.Optimizer, not on {foreign[0]}"
    return None


def check_optimizer(executor: Any, index: int, name: str, cases: int = 4) -> str | None:
    problem = rule_violation(executor.nb) or _own_class(executor, index, name)
    if problem:
        return problem
    wrong = 0
    for case in fresh_cases(name, cases):
        got = _grading().probe(executor, index, trajectory_expression(case))
        if not close(got, torch_trajectory(case)):
            wrong += 1
    if wrong:
        return (
            f"on {cases} settings drawn at grading time (parameter groups, betas, eps, weight "
            f"decay, gradients), {name}'s parameters differed from torch's {name} in {wrong}"
        )
    return None


def check_adam(executor: Any, cell: Any, index: int) -> str | None:
    return check_optimizer(executor, index, "Adam")


def check_adamw(executor: Any, cell: Any, index: int) -> str | None:
    return check_optimizer(executor, index, "AdamW")


def check_state_dict(executor: Any, cell: Any, index: int) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    for name in ("Adam", "AdamW"):
        for case in fresh_cases(name, 2):
            got = _grading().probe(executor, index, round_trip_expression(case, 3))
            if not close(got, torch_trajectory(case)[-1]):
                return (
                    f"after saving {name}'s state_dict, loading it into a new {name} and going "
                    "on, the parameters differed from an uninterrupted run of torch's "
                    f"{name}"
                )
    return None


def check_validation(executor: Any, cell: Any, index: int) -> str | None:
    problem = rule_violation(executor.nb)
    if problem:
        return problem
    calls = [[n, k] for n, k in bad_arguments()]
    calls = [[n, {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}]
             for n, kw in calls]  # fmt: skip
    from assignments import rules

    expression = exception_names_expression(calls)
    return rules.bad_arguments_verdict(executor, index, calls, expression, "classes")


# -- the applied part (graded by hand) ---------------------------------------------------------


def train_digits_with_adam(warmup_steps, seed, lr=0.01, epochs=3):
    """Train the course's digits network (``lrlab.train.train_digits``) with torch's Adam, a
    linear warm-up of ``warmup_steps`` steps to ``lr`` and a constant rate after; returns
    (per-step losses, validation accuracy).
    """
    from lrlab.train import train_digits

    def rate(t):
        return lr * min(1.0, (t + 1) / warmup_steps) if warmup_steps > 0 else lr

    history = train_digits("adam", rate, epochs=epochs, seed=seed, progress=False)
    return history.train_loss, history.val_acc[-1]
