"""The plateau rule: cut the learning rate when a validation metric stops improving.

Not a function of the step, so it lives apart from the pure schedules: it keeps state and
is stepped once per evaluation. Taught in ``lectures/plateau``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from lrlab._validate import Interval, InvalidArgumentError, Options, check, validate_params

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau:
    r"""Cut the learning rate when a metric stops improving (torch semantics).

    Not a function of :math:`t`: it reacts to a validation metric, so it keeps state.
    Call :meth:`step` once per evaluation with the metric; it returns the learning rate to
    use next. The rules, decision for decision those of torch ``ReduceLROnPlateau``:

    - a metric *improves* on the best seen so far if, for ``mode="min"``,
      :math:`m < m^\ast (1 - \epsilon_{\mathrm{th}})` (``threshold_mode="rel"``) or
      :math:`m < m^\ast - \epsilon_{\mathrm{th}}` (``"abs"``), and the mirror images for
      ``mode="max"``; then the best is updated and the bad-epoch count reset, otherwise
      the count grows by one;
    - during a cool-down (``cooldown`` evaluations after a cut) bad epochs are not counted;
    - when the count exceeds ``patience``, the rate becomes
      :math:`\max(\alpha \cdot \mathrm{factor}, \alpha_{\min})`, unless that changes it by
      ``eps`` or less; the cool-down starts and the count is reset.

    Like torch, a NaN metric never improves (it counts as a bad epoch, so a diverged run
    gets its rate cut), and the relative threshold assumes the metric is positive (in
    ``"rel"`` mode a negative best is compared against :math:`m^\ast(1 - \epsilon)`,
    which lies above it; use ``"abs"`` for metrics that can be negative).
    """

    @validate_params(
        lr=Interval(Real, 0, None, closed="left"),
        mode=Options({"min", "max"}),
        factor=Interval(Real, 0, 1, closed="neither"),
        patience=Interval(Integral, 0, None, closed="left"),
        threshold=Interval(Real, 0, None, closed="left"),
        threshold_mode=Options({"rel", "abs"}),
        cooldown=Interval(Integral, 0, None, closed="left"),
        min_lr=Interval(Real, 0, None, closed="left"),
        eps=Interval(Real, 0, None, closed="left"),
    )
    def __init__(
        self,
        lr: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        check("ReduceLROnPlateau", "min_lr", min_lr, Interval(Real, 0, lr))  # not above lr
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lr, self.eps = min_lr, eps
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric: float, best: float) -> bool:
        """Whether ``metric`` counts as an improvement on ``best`` (see the class doc)."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        """Whether bad epochs are currently being ignored after a cut."""
        return self.cooldown_counter > 0

    def step(self, metric: float) -> float:
        """Record one evaluation of the metric; return the learning rate to use next."""
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"The 'metric' parameter of ReduceLROnPlateau.step must be a real number. "
                f"Got {metric!r} instead."
            ) from None
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: settings and counters (plain numbers and strings)."""
        return dict(vars(self))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`."""
        vars(self).update(state_dict)

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(lr={self.lr!r}, mode={self.mode!r}, factor={self.factor!r}, "
            f"patience={self.patience!r}, threshold={self.threshold!r}, "
            f"threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown!r}, "
            f"min_lr={self.min_lr!r}, eps={self.eps!r})"
        )
