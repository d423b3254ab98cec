"""Bad arguments, generated from the constraints each public function declares (lrlab._validate).

Every public factory, function and class of ``lrlab`` that takes numbers, strings or objects
declares its arguments' constraints with ``validate_params``; for each argument this file
takes the values its constraint says are invalid (just past each bound, NaN, inf, a bool, a
string, ...), passes each one with otherwise valid arguments, and checks the package's error
and its one message format: function, argument, what is allowed, the value.
"""

from __future__ import annotations

import inspect
import math
from numbers import Integral, Real

import matplotlib
import pytest
import torch

from lrlab import data, explorer, finder, landscapes, models, optim, plotting, stats, textlm, train
from lrlab import schedules as S
from lrlab._validate import (
    Boolean,
    IncreasingInts,
    InstanceOf,
    Interval,
    InvalidArgumentError,
    IsCallable,
    Numbers,
    Options,
    check,
)

matplotlib.use("Agg")  # plot_schedule and plot_band draw on a figure nobody sees

MODULES = [S, data, models, stats, landscapes, plotting, train, finder, textlm, explorer]


def _model() -> torch.nn.Module:
    return models.mlp(hidden=4, seed=0)


def _one_batch() -> list:
    return [(torch.zeros(2, 64), torch.tensor([0, 1]))]


# Arguments no constraint can make up (models, optimizers, loaders, schedules, lists whose
# length depends on another argument) get a valid value here; every other one comes from
# its constraint. Each entry is a function, so every call gets fresh objects.
def _fit_arguments() -> dict:
    model = _model()
    return {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        "train_loader": _one_batch(),
    }


def _range_test_arguments() -> dict:
    return _fit_arguments() | {"loss_fn": torch.nn.functional.cross_entropy, "end_lr": 10.0}


EXTRA = {
    "warmup": lambda: {"schedule": S.constant(1.0)},
    "join": lambda: {"schedules": [S.constant(1.0)] * 3},
    "piecewise_constant": lambda: {"values": [0.3, 0.2, 0.1]},
    "fit": lambda: _fit_arguments() | {"loss_fn": torch.nn.functional.cross_entropy},
    "lr_range_test": _range_test_arguments,
    "train_digits": lambda: {"optimizer": "sgd", "lr": 0.1, "batch_size": 720},
    "trajectory": lambda: {
        "optimizer_cls": optim.SGD,
        "problem": landscapes.quadratic(),
        "schedule": S.constant(0.01),
        "lr": 0.01,
    },
    "Problem.grid": lambda: {"self": landscapes.saddle()},
    "plot_schedule": lambda: {"schedule": S.constant(0.1)},
    "plot_band": lambda: {"runs": [[1.0, 2.0], [3.0, 4.0]]},
    "random_windows": lambda: {"ids": torch.arange(10), "generator": torch.Generator()},
    "train_char_lm": lambda: {"schedule": S.constant(1e-3), "betas": (0.9, 0.95)},
    "to_torch": lambda: {
        "optimizer": torch.optim.SGD(_model().parameters()),
        "schedule": S.constant(0.1),
    },
    "record_torch_rates": lambda: {
        "make_scheduler": lambda o: torch.optim.lr_scheduler.StepLR(o, 1)
    },
}


def _declared(obj) -> list:
    """``obj`` and its public methods (a class: its ``__init__``) that declare constraints."""
    if inspect.isclass(obj):
        found = [obj] if hasattr(obj.__init__, "constraints") else []
        return found + [
            f for n, f in vars(obj).items() if not n.startswith("_") and hasattr(f, "constraints")
        ]
    return [obj] if hasattr(obj, "constraints") else []


def _func_name(fn) -> str:
    """The name the message uses: a class by its name, a method as ``Class.method``."""
    return fn.__name__ if inspect.isclass(fn) else fn.__qualname__


DECLARED = {
    _func_name(fn): fn
    for module in MODULES
    for name in module.__all__
    for fn in _declared(getattr(module, name))
}


def constraints_of(factory) -> dict:
    return (factory.__init__ if inspect.isclass(factory) else factory).constraints


def valid_arguments(name: str, factory) -> dict:
    kwargs = EXTRA[name]() if name in EXTRA else {}
    for arg, constraint in constraints_of(factory).items():
        if arg not in kwargs:
            first = constraint[0] if isinstance(constraint, list) else constraint
            kwargs[arg] = first.valid_example()
    return kwargs


def invalid_values(constraint) -> list:
    options = constraint if isinstance(constraint, list) else [constraint]
    candidates = [bad for c in options if c is not None for bad in c.invalid_examples()]
    # A value one alternative rejects may be what another accepts (e.g. None).
    return [
        bad
        for bad in candidates
        if not any(
            (c is None and bad is None) or (c is not None and c.accepts(bad)) for c in options
        )
    ]


CASES = [
    (name, arg, bad)
    for name, factory in DECLARED.items()
    for arg, constraint in constraints_of(factory).items()
    for bad in invalid_values(constraint)
]


def test_every_factory_declares_its_constraints():
    factories = {n for n in S.__all__ if inspect.isfunction(getattr(S, n))} - {"schedule_from"}
    assert factories <= set(DECLARED)
    others = {
        "digits",
        "mlp",
        "paired_ratio_interval",
        "sign_test",
        "quadratic",
        "rosenbrock",
        "trajectory",
        "Problem.grid",
        "fmt",
        "plot_schedule",
        "plot_band",
        "fit",
        "train_digits",
        "lr_range_test",
        "char_corpus",
        "char_transformer",
        "random_windows",
        "train_char_lm",
        "schedule_explorer",
    }
    assert others <= set(DECLARED)
    assert len(CASES) > 300  # ~30 functions x their arguments x several bad values each


@pytest.mark.parametrize("name", DECLARED)
def test_valid_examples_are_accepted(name):
    DECLARED[name](**valid_arguments(name, DECLARED[name]))
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize(("name", "arg", "bad"), CASES, ids=repr)
def test_bad_argument_raises_naming_function_argument_range_and_value(name, arg, bad):
    factory = DECLARED[name]
    kwargs = valid_arguments(name, factory) | {arg: bad}
    with pytest.raises(InvalidArgumentError) as info:
        factory(**kwargs)
    message = str(info.value)
    constraint = constraints_of(factory)[arg]
    assert message.startswith(f"The {arg!r} parameter of {name} must be ")
    assert message.endswith(f"Got {bad!r} instead.")
    first = constraint[0] if isinstance(constraint, list) else constraint
    assert str(first) in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: S.cosine_annealing(0.1, 100, min_lr=0.2), "min_lr"),
        (lambda: S.polynomial_decay(0.1, 100, end_lr=0.2), "end_lr"),
        (lambda: S.cosine_warm_restarts(0.1, 10, min_lr=0.2), "min_lr"),
        (lambda: S.warmup_stable_decay(0.1, 1, 1, 1, min_lr=0.2), "min_lr"),
        (lambda: S.ReduceLROnPlateau(0.1, min_lr=0.2), "min_lr"),
        (lambda: S.cyclic(0.2, 0.1, 10), "max_lr"),
        (lambda: S.piecewise_constant([10], [0.1]), "values"),
        (lambda: S.piecewise_constant([10], [0.1, -0.1]), r"values\[1\]"),
        (lambda: S.join([S.constant(0.1)], [10]), "boundaries"),
        (lambda: S.join(S.constant(0.1), []), "schedules"),
        (lambda: S.warmup(3, 10), "schedule"),
        (lambda: S.warmup(lambda t: -1.0 + 0 * t, 10), "schedule"),
        (lambda: train.fit(**_fit_arguments(), scheduler=3), "scheduler"),
        (
            lambda: train.fit(
                **_fit_arguments(),
                scheduler=torch.optim.lr_scheduler.StepLR(
                    torch.optim.SGD(_model().parameters(), lr=0.1), 5
                ),
            ),
            "scheduler",
        ),
        (lambda: train.fit(**_fit_arguments(), scheduler=S.ReduceLROnPlateau(0.1)), "val_loader"),
        (
            lambda: train.train_digits("sgd", S.constant(0.1), epochs=1, scheduler=lambda o: None),
            "scheduler",
        ),
        (lambda: plotting.plot_band([1, 2], [[1.0, 2.0, 3.0]]), "runs"),
        (lambda: stats.sign_test([1.0, 2.0], [1.0]), "b"),
        (lambda: finder.lr_range_test(**_range_test_arguments() | {"end_lr": 1e-8}), "end_lr"),
        (lambda: textlm.char_transformer(10, d_model=30, n_heads=4), "d_model"),
        (lambda: textlm.random_windows(torch.arange(5), 2, 5, torch.Generator()), "ids"),
        (lambda: textlm.random_windows(torch.zeros(3, 3), 2, 1, torch.Generator()), "ids"),
        (lambda: textlm.train_char_lm(S.constant(0.1), 1, betas=(0.9, 1.0)), r"betas\[1\]"),
        (lambda: S.record_torch_rates(len, 2, momentum=0.9, betas=(0.9, 0.99)), "betas"),
        (lambda: S.ScheduleLR(torch.optim.SGD(_model().parameters()), 0.1), "schedule"),
    ],
)
def test_arguments_constrained_by_other_arguments(call, name):
    with pytest.raises(InvalidArgumentError, match=f"The '{name}' parameter of .* Got .* instead"):
        call()


def test_the_message_format():
    with pytest.raises(ValueError) as info:
        S.cosine_annealing(-0.1, 100)
    assert str(info.value) == (
        "The 'lr' parameter of cosine_annealing must be a finite number in the range "
        "[0, inf). Got -0.1 instead."
    )


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Interval(Real, 0, None, closed="neither"), [1e-300, 2, 3.5], [0, -1, True, math.nan]),
        (Interval(Integral, 1, 3, closed="both"), [1, 3], [0, 4, 2.0, False]),
        (Options({"a", "b"}), ["a"], ["c", 1, None]),
        (IncreasingInts(0), [(), [0, 5], (1,)], [[5, 0], [1, 1], [-1], [0.5], "12"]),
        (Boolean(), [True, False], [0, 1, "True"]),
        (Numbers(min_size=2), [[1, 2.5], (0.0, -3.0)], [[1.0], [1, math.nan], [True, False], "12"]),
        (Numbers(size=2, finite=False), [[1.0, math.inf]], [[1.0], [1.0, 2.0, 3.0]]),
        (Numbers(positive=True, ndim=None), [[[1.0, 2.0]], 3.0], [[1.0, 0.0], []]),
        (InstanceOf(torch.nn.Module, "torch.nn.Module"), [_model()], [None, torch.zeros(1)]),
        (IsCallable(), [len, S.constant(1.0), torch.optim.SGD], [None, 1.0, "f"]),
    ],
    ids=str,
)
def test_constraints(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)
    for v in bad:
        with pytest.raises(InvalidArgumentError, match=r"Got .* instead"):
            check("f", "x", v, constraint)
