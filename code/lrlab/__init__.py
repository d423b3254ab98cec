"""lrlab: the schedules, optimizers and training tools of the course "Varying the Learning Rate".

Submodules, each taught in the lecture named beside it:

- ``lrlab.schedules``: learning-rate schedules as pure functions of the step (decay schedules,
  cosine annealing and restarts, warm-up, cyclical, plateau, warmup-stable-decay)
- ``lrlab.optim``: SGD, Adagrad, RMSprop, Adam and AdamW written from scratch (adaptive methods)
- ``lrlab.schedule_free``: schedule-free SGD and AdamW (current practice)
- ``lrlab.landscapes``: 2-D test problems and optimizer trajectories (adaptive methods)
- ``lrlab.finder``: the learning-rate range test and its suggestion rules
- ``lrlab.data``, ``lrlab.models``, ``lrlab.train``: the digits task, a small MLP, ``fit``
- ``lrlab.textlm``: a tiny character-level language model on Python's own docs (practice)
- ``lrlab.stats``: the paired-seed interval and sign test that judge experiments (experiments)
- ``lrlab.plotting``, ``lrlab.explorer``: the book's figures and interactive explorers

``import lrlab`` is cheap: a submodule is imported the first time it is used, so
``lrlab.schedules.cosine_annealing`` works after a bare ``import lrlab``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

__all__ = [
    "data",
    "explorer",
    "finder",
    "landscapes",
    "models",
    "optim",
    "plotting",
    "schedule_free",
    "schedules",
    "stats",
    "textlm",
    "train",
]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
