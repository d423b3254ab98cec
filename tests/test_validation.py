"""Bad arguments, generated from the constraints each factory declares (lrlab._validate).

Every factory of ``lrlab.schedules`` (and ``ReduceLROnPlateau``) declares its arguments'
constraints with ``validate_params``; for each argument this file takes the values its
constraint says are invalid (just past each bound, NaN, inf, a bool, a string, ...), passes
each one with otherwise valid arguments, and checks the package's error and its one message
format: function, argument, what is allowed, the value.
"""

from __future__ import annotations

import inspect
import math
from numbers import Integral, Real

import pytest

from lrlab import schedules as S
from lrlab._validate import (
    Boolean,
    IncreasingInts,
    Interval,
    InvalidArgumentError,
    Options,
    check,
)

# Arguments that are not numbers or strings (schedules, lists whose length depends on
# another argument) get a valid value here; every declared one comes from its constraint.
EXTRA = {
    "warmup": {"schedule": S.constant(1.0)},
    "join": {"schedules": [S.constant(1.0)] * 3},
    "piecewise_constant": {"values": [0.3, 0.2, 0.1]},
}

DECLARED = {
    name: getattr(S, name) for name in S.__all__ if hasattr(getattr(S, name), "constraints")
}
DECLARED["ReduceLROnPlateau"] = S.ReduceLROnPlateau


def constraints_of(factory) -> dict:
    return (factory.__init__ if inspect.isclass(factory) else factory).constraints


def valid_arguments(name: str, factory) -> dict:
    kwargs = dict(EXTRA.get(name, {}))
    for arg, constraint in constraints_of(factory).items():
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
    factories = {n for n in S.__all__ if inspect.isfunction(getattr(S, n))} - {
        "schedule_from",
        "record_torch_rates",
        "to_torch",
    }
    assert factories <= set(DECLARED)
    assert len(CASES) > 150  # ~16 factories x their arguments x several bad values each


@pytest.mark.parametrize("name", DECLARED)
def test_valid_examples_are_accepted(name):
    DECLARED[name](**valid_arguments(name, DECLARED[name]))


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
    ],
)
def test_arguments_constrained_by_other_arguments(call, name):
    with pytest.raises(InvalidArgumentError, match=f"The '{name}' parameter"):
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
    ],
    ids=str,
)
def test_constraints(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)
    for v in bad:
        with pytest.raises(InvalidArgumentError, match=r"Got .* instead"):
            check("f", "x", v, constraint)
