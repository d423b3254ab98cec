r"""Learning-rate schedules as pure functions of the step count.

A schedule answers one question: what is the learning rate :math:`\alpha_t` after
:math:`t` optimizer steps? Every schedule is a :class:`Schedule`, a callable built by a
small factory, in the style of optax::

    sched = cosine_annealing(lr=0.1, total_steps=1000)
    sched(0)                      # 0.1, a Python float
    sched(np.arange(1000))        # a float64 array, equal elementwise to the scalar calls

The package is split by job:

- ``formulas.py``: the factories, each one's body its formula;
- ``core.py``: the :class:`Schedule` type and :func:`schedule_from`, which
  turns any formula into a schedule;
- ``plateau.py``: :class:`ReduceLROnPlateau`, which reacts to a metric;
- ``torch_adapter.py``: :func:`to_torch` and :func:`record_torch_rates`,
  the bridge to torch, imported (with torch) only when one of its names is first used.

Every name is importable from ``lrlab.schedules`` itself.
"""

from __future__ import annotations

import importlib
from typing import Any

from lrlab.schedules import formulas
from lrlab.schedules.core import Schedule, schedule_from
from lrlab.schedules.formulas import *  # noqa: F403 (the factories; formulas.__all__ lists them)
from lrlab.schedules.plateau import ReduceLROnPlateau

_TORCH_NAMES = ("RecordedRates", "ScheduleLR", "record_torch_rates", "to_torch")

__all__ = ["ReduceLROnPlateau", "Schedule", "schedule_from", *_TORCH_NAMES]
__all__ += formulas.__all__


def __getattr__(name: str) -> Any:
    # The torch bridge is loaded on first use, so the pure schedules never import torch.
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module("lrlab.schedules.torch_adapter"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_TORCH_NAMES])
