"""One way to check arguments in :mod:`lrlab`: constraints declared as data, one validator.

Every public factory and class validates its arguments when it is built, so a typo fails at
the line that made it, not hundreds of steps later as a NaN. Constraints are values, in the
manner of scikit-learn's parameter validation::

    Interval(Real, 0, None, closed="left")       # a finite number >= 0 (bools and NaN are not)
    Interval(Integral, 1, None, closed="left")   # an int >= 1 (floats are not)
    Options({"min", "max"})                      # one of these strings
    IncreasingInts(low=0)                        # strictly increasing ints >= 0
    Numbers(min_size=2, positive=True)           # a 1-D sequence of finite numbers > 0
    InstanceOf(nn.Module, "torch.nn.Module")     # an object of a class
    IsCallable()                                 # a function, a schedule, a class

:func:`validate_params` declares them on a function; :func:`check` applies one. Every
failure raises :class:`InvalidArgumentError` (a ``ValueError``) with one message format,
naming the function, the argument, what is allowed and the value::

    The 'lr' parameter of cosine_annealing must be a finite number in the range [0, inf).
    Got -0.1 instead.

An argument constrained by another one (a floor below the peak, a scheduler attached to
the optimizer it is given with) is checked in the function's body, with :func:`check` and
a constraint built from the other argument, or with :func:`invalid` in the same format.

The declarations are also what ``tests/test_validation.py`` draws its bad arguments from.
This module is plumbing that no lecture teaches.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "Boolean",
    "IncreasingInts",
    "InstanceOf",
    "Interval",
    "InvalidArgumentError",
    "IsCallable",
    "Numbers",
    "Options",
    "check",
    "check_lr",
    "check_optimizer_lr",
    "check_real",
    "invalid",
    "validate_params",
]

F = TypeVar("F", bound=Callable[..., Any])


class InvalidArgumentError(ValueError, TypeError):
    """A bad argument: out of range, or of the wrong type.

    It subclasses both ``ValueError`` and ``TypeError`` (as scikit-learn's
    ``InvalidParameterError`` does), so ``except ValueError`` catches every bad argument,
    including a string or a float where an integer step count belongs.
    """


@dataclass(frozen=True)
class Interval:
    """Numbers of one ``type`` (``Real`` or ``Integral``) between ``left`` and ``right``.

    ``None`` leaves a side open; ``closed`` is ``"left"``, ``"right"``, ``"both"`` or
    ``"neither"``. Bools are never numbers here, and a ``Real`` must be finite.
    """

    type: type
    left: float | None
    right: float | None
    closed: str = "both"

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        x = float(value)  # type: ignore[arg-type]
        if not math.isfinite(x):
            return False
        if self.left is not None:
            if x < self.left or (x == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if x > self.right or (x == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def convert(self, value: Any) -> Any:
        return int(value) if self.type is Integral else float(value)

    def __str__(self) -> str:
        kind = "an int" if self.type is Integral else "a finite number"
        if self.left is None and self.right is None:
            return kind
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        opening = "[" if self.left is not None and self.closed in ("left", "both") else "("
        closing = "]" if self.right is not None and self.closed in ("right", "both") else ")"
        return f"{kind} in the range {opening}{lo}, {hi}{closing}"

    def invalid_examples(self) -> list[object]:
        """Values this constraint rejects: just past each bound, NaN, inf, a bool, a str."""
        bad: list[object] = [True, "1", math.nan, math.inf]
        step = 1 if self.type is Integral else 1e-3
        if self.left is not None:
            bad.append(self.left - step)
            if self.closed in ("right", "neither"):
                bad.append(self.left)
        if self.right is not None:
            bad.append(self.right + step)
            if self.closed in ("left", "neither"):
                bad.append(self.right)
        if self.type is Integral:
            bad.append(float(self.valid_example()) + 0.5)
        return [
            self.convert(v)
            if isinstance(v, float) and self.type is Integral and v.is_integer()
            else v
            for v in bad
        ]

    def valid_example(self) -> float | int:
        lo = self.left if self.left is not None else (self.right - 1 if self.right else 0)
        hi = self.right if self.right is not None else lo + 2
        middle = (lo + hi) / 2
        return round(middle) if self.type is Integral else middle


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings."""

    options: frozenset[str]

    def __init__(self, options: Iterable[str]) -> None:
        object.__setattr__(self, "options", frozenset(options))

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and value in self.options

    def convert(self, value: Any) -> Any:
        return value

    def __str__(self) -> str:
        return "a str among {" + ", ".join(repr(o) for o in sorted(self.options)) + "}"

    def invalid_examples(self) -> list[object]:
        return ["not-an-option", 1, None]

    def valid_example(self) -> str:
        return sorted(self.options)[0]


@dataclass(frozen=True)
class IncreasingInts:
    """A sequence of strictly increasing ints, each ``>= low`` (empty allowed)."""

    low: int = 0

    def accepts(self, value: object) -> bool:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            return False
        if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in value):
            return False
        ints = [int(v) for v in value]  # type: ignore[call-overload]
        return all(v >= self.low for v in ints) and all(b > a for a, b in itertools.pairwise(ints))

    def convert(self, value: Any) -> Any:
        return tuple(int(v) for v in value)

    def __str__(self) -> str:
        return f"a sequence of strictly increasing ints >= {self.low}"

    def invalid_examples(self) -> list[object]:
        return [
            [self.low + 2, self.low + 1],
            [self.low + 1, self.low + 1],
            [self.low - 1],
            5,
            [1.5],
            [True],
        ]

    def valid_example(self) -> tuple[int, ...]:
        return (self.low + 1, self.low + 2)


@dataclass(frozen=True)
class Boolean:
    """``True`` or ``False`` (not 0, 1 or a string)."""

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"

    def convert(self, value: Any) -> Any:
        return bool(value)

    def __str__(self) -> str:
        return "a bool"

    def invalid_examples(self) -> list[object]:
        return ["yes", None]

    def valid_example(self) -> bool:
        return False


@dataclass(frozen=True)
class Numbers:
    """A sequence (or array) of numbers: 1-D unless ``ndim`` says otherwise (``None``: any).

    At least ``min_size`` of them, or exactly ``size``; each finite unless ``finite=False``
    (NaN and inf are then numbers too) and > 0 if ``positive``. Bools and strings are not
    numbers. The value is converted to a float64 array.
    """

    min_size: int = 1
    size: int | None = None
    positive: bool = False
    finite: bool = True
    ndim: int | None = 1

    def accepts(self, value: object) -> bool:
        if isinstance(value, str | bytes):
            return False
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError):  # ragged nesting
            return False
        # ints and floats only: bools are not numbers here (as everywhere in lrlab), and
        # neither are strings that float() would parse
        if raw.dtype.kind not in "iuf" or (self.ndim is not None and raw.ndim != self.ndim):
            return False
        if raw.size < self.min_size or (self.size is not None and raw.size != self.size):
            return False
        x = raw.astype(float)
        if self.finite and not np.all(np.isfinite(x)):
            return False
        return not self.positive or bool(np.all(x > 0))

    def convert(self, value: Any) -> Any:
        return np.asarray(value, dtype=float)

    def __str__(self) -> str:
        count = f"{self.size}" if self.size is not None else f"at least {self.min_size}"
        kind = " finite" if self.finite else ""
        plural = "s" if self.size != 1 and (self.size is not None or self.min_size != 1) else ""
        shape = "1-D " if self.ndim == 1 else (f"{self.ndim}-D " if self.ndim else "")
        sign = " > 0" if self.positive else ""
        return f"a {shape}sequence of {count}{kind} number{plural}{sign}"

    def invalid_examples(self) -> list[object]:
        n = self.size if self.size is not None else max(self.min_size, 1)
        bad: list[object] = [[1.0] * (n - 1) + ["1"], "12", [True] * n, None]
        if self.size is not None:
            bad.append([1.0] * (n + 1))
        if n > 1 or self.size is None:
            bad.append([1.0] * (n - 1))
        if self.ndim == 1:
            bad += [3.0, [[1.0] * n] * 2]
        if self.finite:
            bad += [[1.0] * (n - 1) + [v] for v in (math.nan, math.inf)]
        if self.positive:
            bad += [[1.0] * (n - 1) + [v] for v in (0.0, -1.0)]
        return [b for b in bad if not self.accepts(b)]

    def valid_example(self) -> list[float]:
        n = self.size if self.size is not None else max(self.min_size, 2)
        return [1.0 + i for i in range(n)]


@dataclass(frozen=True)
class InstanceOf:
    """An instance of ``cls`` (named ``label`` in messages, e.g. ``"torch.nn.Module"``).

    It has no ``valid_example``: a model or an optimizer cannot be made up from the
    constraint alone, so the generated tests supply one.
    """

    cls: type
    label: str

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.cls)

    def convert(self, value: Any) -> Any:
        return value

    def __str__(self) -> str:
        return f"an instance of {self.label}"

    def invalid_examples(self) -> list[object]:
        return [v for v in (None, "model", 1.0) if not isinstance(v, self.cls)]


@dataclass(frozen=True)
class IsCallable:
    """Anything callable: a function, a schedule, a class.

    Like :class:`InstanceOf`, no ``valid_example``: what a valid callable must do
    (a loss, a schedule, an optimizer class) depends on the argument.
    """

    def accepts(self, value: object) -> bool:
        return callable(value)

    def convert(self, value: Any) -> Any:
        return value

    def __str__(self) -> str:
        return "a callable"

    def invalid_examples(self) -> list[object]:
        return [None, 1.0, "f"]


Constraint = Interval | Options | IncreasingInts | Boolean | Numbers | InstanceOf | IsCallable


def invalid(func: str, name: str, must: str, got: str) -> InvalidArgumentError:
    """The package's error, in its one format, for a rule no constraint states.

    ``must`` completes "The 'name' parameter of func must ..."; ``got`` describes the value:
    ``raise invalid("fit", "val_loader", "be given with a plateau rule", "None")``.
    """
    where = f" of {func}" if func else ""
    return InvalidArgumentError(f"The {name!r} parameter{where} must {must}. Got {got} instead.")


def check(func: str, name: str, value: Any, constraint: Constraint | list[Any]) -> Any:
    """``value`` converted by the first constraint that accepts it, else the package's error.

    A list of constraints accepts what any of them accepts; ``None`` in the list accepts
    ``None``.
    """
    options = constraint if isinstance(constraint, list) else [constraint]
    for c in options:
        if c is None:
            if value is None:
                return None
        elif c.accepts(value):
            return c.convert(value)
    allowed = " or ".join("None" if c is None else str(c) for c in options)
    raise invalid(func, name, f"be {allowed}", repr(value))


def validate_params(**constraints: Constraint | list[Any]) -> Callable[[F], F]:
    """Declare a function's argument constraints; its arguments are checked (and converted:
    ints to float for a ``Real`` interval, sequences to tuples) before its body runs.

    The declaration stays readable on the function as ``fn.constraints``.
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        func = fn.__qualname__.removesuffix(".__init__")  # a class is named by its class

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, constraint in constraints.items():
                bound.arguments[name] = check(func, name, bound.arguments[name], constraint)
            return fn(*bound.args, **bound.kwargs)

        checked.constraints = dict(constraints)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


# The functions below apply one constraint each, for code that checks as it goes; they give
# the same message as validate_params.


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    func: str = "",
) -> float:
    """Return ``value`` as a float if it is a finite real number in the given range."""
    closed = {
        (True, True): "both",
        (True, False): "left",
        (False, True): "right",
        (False, False): "neither",
    }[(low_inclusive, high_inclusive)]
    return check(func, name, value, Interval(Real, low, high, closed))


def check_lr(name: str, value: object, *, func: str = "") -> float:
    """A learning rate: a finite number >= 0 (zero is allowed, e.g. as a floor)."""
    return check_real(name, value, low=0.0, func=func)


def check_optimizer_lr(name: str, value: object, *, func: str = "") -> object:
    """An optimizer's learning rate: a number >= 0, or, as torch allows, a one-element tensor
    holding one (of shape ``()``, ``[1]`` or ``[1, 1]``; schedulers may update it in place).

    Returns ``value`` itself, so a tensor stays the same tensor.
    """
    if callable(getattr(value, "numel", None)) and callable(getattr(value, "item", None)):
        if value.numel() != 1:  # type: ignore[attr-defined]
            shape = tuple(value.shape)  # type: ignore[attr-defined]
            raise invalid(
                func, name, "be a number or a one-element tensor", f"a tensor of shape {shape}"
            )
        check_lr(name, float(value.item()), func=func)  # type: ignore[attr-defined]
        return value
    return check_lr(name, value, func=func)
