"""Argument checks shared by the constructors in :mod:`lrlab`.

Every public factory and class in the package validates its arguments when it is built, so
a typo fails at the line that made it, not hundreds of steps later as a NaN. Each check
raises :class:`InvalidArgumentError` with a message that names the argument, the allowed
range and the value received, e.g. ``lr must be a finite number >= 0, got -0.1``.

This module is plumbing that no lecture teaches; the schedules of ``lectures/decay_schedules``
and the following lectures rely on it.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence

__all__ = [
    "InvalidArgumentError",
    "check_choice",
    "check_increasing_ints",
    "check_int",
    "check_lr",
    "check_optimizer_lr",
    "check_real",
]


class InvalidArgumentError(ValueError, TypeError):
    """A bad argument: out of range, or of the wrong type.

    It subclasses both ``ValueError`` and ``TypeError`` (as scikit-learn's
    ``InvalidParameterError`` does), so ``except ValueError`` catches every bad argument,
    including a string or a float where an integer step count belongs.
    """


def _is_real(value: object) -> bool:
    # bool is an int subclass, but `lr=True` is always a mistake.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float if it is a finite real number in the given range.

    ``low``/``high`` of ``None`` leave that side open. The message spells the range out,
    e.g. ``gamma must be a finite number > 0, got 0.0``.
    """
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {low:g}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {high:g}")
    allowed = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if not _is_real(value):
        raise InvalidArgumentError(f"{name} must be {allowed}, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise InvalidArgumentError(f"{name} must be {allowed}, got {value!r}")
    if low is not None and (x < low or (x == low and not low_inclusive)):
        raise InvalidArgumentError(f"{name} must be {allowed}, got {value!r}")
    if high is not None and (x > high or (x == high and not high_inclusive)):
        raise InvalidArgumentError(f"{name} must be {allowed}, got {value!r}")
    return x


def check_lr(name: str, value: object) -> float:
    """A learning rate: a finite number >= 0 (zero is allowed, e.g. as a floor)."""
    return check_real(name, value, low=0.0)


def check_optimizer_lr(name: str, value: object) -> object:
    """An optimizer's learning rate: a number >= 0, or, as torch allows, a one-element tensor
    holding one (of shape ``()``, ``[1]`` or ``[1, 1]``; schedulers may update it in place).

    Returns ``value`` itself, so a tensor stays the same tensor.
    """
    if callable(getattr(value, "numel", None)) and callable(getattr(value, "item", None)):
        if value.numel() != 1:  # type: ignore[attr-defined]
            shape = tuple(value.shape)  # type: ignore[attr-defined]
            raise InvalidArgumentError(
                f"{name} must be a number or a one-element tensor, got a tensor of shape {shape}"
            )
        check_lr(name, float(value.item()))  # type: ignore[attr-defined]
        return value
    return check_lr(name, value)


def check_int(name: str, value: object, *, low: int = 0) -> int:
    """Return ``value`` as an int if it is an integer >= ``low`` (floats are refused)."""
    if not _is_int(value) or int(value) < low:
        raise InvalidArgumentError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidArgumentError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_increasing_ints(name: str, values: Iterable[object], *, low: int = 0) -> tuple[int, ...]:
    """Return ``values`` as a tuple of ints, strictly increasing and each >= ``low``."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidArgumentError(
            f"{name} must be a sequence of strictly increasing integers >= {low}, got {values!r}"
        )
    items = list(values)
    for v in items:
        if not _is_int(v) or int(v) < low:
            raise InvalidArgumentError(
                f"{name} must be a sequence of strictly increasing integers >= {low}, "
                f"got {items!r} (bad entry {v!r})"
            )
    ints = tuple(int(v) for v in items)
    for a, b in itertools.pairwise(ints):
        if b <= a:
            raise InvalidArgumentError(
                f"{name} must be strictly increasing, got {list(ints)!r} ({b} follows {a})"
            )
    return ints
