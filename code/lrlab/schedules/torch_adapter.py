"""Schedules in torch training loops, and torch schedulers as recorded curves.

:func:`to_torch` wraps any schedule as a torch ``LRScheduler``; :func:`record_torch_rates`
steps any torch scheduler on a dummy optimizer and records the rates (and momenta) a
training loop would use, which is how the tests and lectures compare the two. This is the
only part of :mod:`lrlab.schedules` that imports torch; ``lrlab.schedules`` loads it the
first time one of its names is used. Taught in ``lectures/custom_schedule``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from torch.optim.lr_scheduler import LRScheduler

from lrlab._validate import (
    InstanceOf,
    Interval,
    InvalidArgumentError,
    IsCallable,
    check,
    invalid,
    validate_params,
)
from lrlab.schedules.core import Schedule

__all__ = ["RecordedRates", "ScheduleLR", "record_torch_rates", "to_torch"]


class ScheduleLR(LRScheduler):
    r"""A torch ``LRScheduler`` that sets every param group's ``lr`` to ``schedule(t)``.

    Build it with :func:`to_torch`. :math:`t` is torch's ``last_epoch``: 0 after
    construction, and one more after each ``scheduler.step()``, so with the usual loop
    (``optimizer.step()`` then ``scheduler.step()``) the :math:`t`-th optimizer step
    (from 0) uses :math:`\alpha_t`. All param groups get the same rate; the groups'
    own ``lr`` values are ignored.

    ``state_dict()`` holds torch's bookkeeping (``last_epoch``, ``_step_count``,
    ``base_lrs``, ``_last_lr``, ...) and, under ``"schedule"``, ``repr(schedule)`` as a
    plain string label; the schedule callable itself is never stored, so the state
    loads with ``torch.load(..., weights_only=True)``. ``load_state_dict()`` restores
    ``last_epoch`` (the scheduler keeps the schedule it was built with; it warns if the
    saved label names a different :class:`Schedule`) and sets the param groups' rates to
    ``schedule(last_epoch)``, so training resumes at the same :math:`t` whether or not the
    optimizer's state was loaded first.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Callable[[int], float],
        last_epoch: int = -1,
    ) -> None:
        check("ScheduleLR", "schedule", schedule, IsCallable())
        self.schedule = schedule
        super().__init__(optimizer, last_epoch)

    def _lr_now(self) -> float:
        lr = float(self.schedule(int(self.last_epoch)))
        if not math.isfinite(lr) or lr < 0:  # what the schedule did: a run-time error
            raise InvalidArgumentError(
                f"schedule must return finite learning rates >= 0, "
                f"returned {lr!r} at step {self.last_epoch}"
            )
        return lr

    def get_lr(self) -> list[float]:
        """The rate for every param group at the current step ``last_epoch``."""
        return [self._lr_now()] * len(self.optimizer.param_groups)

    # A closed form by construction; torch uses this when `step(epoch)` is given.
    _get_closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """torch's counters and ``repr(schedule)``; never the callable itself."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "schedule")}
        state["schedule"] = repr(self.schedule)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume at the saved step; see the class docstring."""
        state = dict(state_dict)
        label = state.pop("schedule", None)
        if (
            isinstance(self.schedule, Schedule)
            and label is not None
            and label != repr(self.schedule)
        ):
            warnings.warn(
                f"loading the state of a scheduler built on {label} into one built on "
                f"{self.schedule!r}; resuming at step {state.get('last_epoch')} of the latter",
                UserWarning,
                stacklevel=2,
            )
        self.__dict__.update(state)
        lr = self._lr_now()
        for group in self.optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [lr] * len(self.optimizer.param_groups)


@validate_params(
    optimizer=InstanceOf(torch.optim.Optimizer, "torch.optim.Optimizer"), schedule=IsCallable()
)
def to_torch(optimizer: torch.optim.Optimizer, schedule: Callable[[int], float]) -> ScheduleLR:
    r"""Drive a torch optimizer with a schedule: returns a :class:`ScheduleLR`.

    The optimizer's rate becomes ``schedule(0)`` at once; after each
    ``scheduler.step()`` it is ``schedule(t)`` with :math:`t` the number of calls so far::

        opt = torch.optim.SGD(model.parameters(), lr=0.1)   # lr is overwritten
        sched = to_torch(opt, warmup(cosine_annealing(0.1, 900), 100))
        for batch in loader:
            ...; opt.step(); sched.step()

    It plays the role of torch ``LambdaLR``, but sets the rate itself rather than a factor
    on the base rate, and its ``state_dict`` never pickles the schedule.
    """
    return ScheduleLR(optimizer, schedule)


@dataclass(frozen=True)
class RecordedRates:
    """What :func:`record_torch_rates` saw: one entry per optimizer step.

    Attributes
    ----------
    lr:
        The learning rate of parameter group 0 in effect at steps 0, ..., steps - 1.
    momentum:
        SGD's ``momentum`` (or Adam's :math:`\\beta_1`) at the same steps, as schedulers
        like ``OneCycleLR`` and ``CyclicLR`` cycle it; None when neither was asked for.
    """

    lr: np.ndarray
    momentum: np.ndarray | None = None


@validate_params(
    make_scheduler=IsCallable(),
    steps=Interval(Integral, 1, None, closed="left"),
    lr=Interval(Real, 0, None, closed="left"),
    momentum=[Interval(Real, 0, None, closed="left"), None],
)
def record_torch_rates(
    make_scheduler: Callable[[Any], Any],
    steps: int,
    *,
    lr: float = 1.0,
    momentum: float | None = None,
    betas: tuple[float, float] | None = None,
) -> RecordedRates:
    r"""Step a torch scheduler ``steps`` times and record the rates a training loop would use.

    ``make_scheduler(optimizer)`` builds any torch scheduler on a dummy one-parameter
    optimizer: ``torch.optim.SGD(lr=lr, momentum=momentum or 0)``, or ``torch.optim.Adam(lr=lr,
    betas=betas)`` when ``betas`` is given. Before each ``optimizer.step()`` (no gradients,
    so nothing moves) the rate of parameter group 0 is read, then ``scheduler.step()`` is
    called: entry :math:`t` is :math:`\alpha_t`, the rate of the :math:`t`-th step counted
    from 0, exactly as ``lrlab.train.fit`` records it.

    Examples
    --------
    >>> from torch.optim.lr_scheduler import StepLR
    >>> record_torch_rates(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 5).lr
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    >>> from torch.optim.lr_scheduler import OneCycleLR
    >>> rec = record_torch_rates(
    ...     lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=4), 4, momentum=0.9)
    >>> rec.momentum.round(3)
    array([0.95 , 0.869, 0.922, 0.95 ])
    """
    if momentum is not None and betas is not None:
        raise invalid(
            "record_torch_rates",
            "betas",
            "be None when momentum is given (SGD's momentum or Adam's betas, not both)",
            repr(betas),
        )
    param = torch.nn.Parameter(torch.zeros(1))
    if betas is not None:
        optimizer: torch.optim.Optimizer = torch.optim.Adam([param], lr=lr, betas=betas)
    else:
        optimizer = torch.optim.SGD([param], lr=lr, momentum=momentum or 0.0)
    scheduler = make_scheduler(optimizer)
    group = optimizer.param_groups[0]
    rates, momenta = [], []
    for _ in range(steps):
        rates.append(float(group["lr"]))
        if betas is not None:
            momenta.append(float(group["betas"][0]))
        elif momentum is not None:
            momenta.append(float(group["momentum"]))
        optimizer.step()
        scheduler.step()
    recorded = None if momentum is None and betas is None else np.array(momenta)
    return RecordedRates(lr=np.array(rates, dtype=np.float64), momentum=recorded)
