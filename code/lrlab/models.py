"""Small models shared by the lectures and the homework.

Every experiment in the course trains the same kind of network on the digits data
(:func:`lrlab.data.digits`): a multilayer perceptron from the 64 pixels to the 10 digit
classes. :func:`mlp` builds it with a seeded initialization, so that two runs that differ only
in the learning rate or the schedule start from the same parameters θ_0, and a figure in the
book is the same on every build.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch
from torch import nn

from lrlab._validate import Interval, InvalidArgumentError, check, validate_params

__all__ = ["mlp"]


POSITIVE_INT = Interval(Integral, 1, None, closed="left")


@validate_params(
    seed=Interval(Integral, 0, None, closed="left"),
    in_features=POSITIVE_INT,
    num_classes=POSITIVE_INT,
)
def mlp(
    hidden: int | Sequence[int] = 64,
    seed: int = 0,
    *,
    in_features: int = 64,
    num_classes: int = 10,
    dtype: torch.dtype = torch.float32,
) -> nn.Sequential:
    """A ReLU multilayer perceptron with a deterministic initialization.

    Parameters
    ----------
    hidden:
        Width of the hidden layer, or a sequence of widths for several hidden layers
        (``()`` gives a linear softmax-regression model). The default, one layer of 64
        units (4,810 parameters), is the network the course's experiments train.
    seed:
        Seed of the initialization. The global torch RNG is used inside a forked RNG state,
        so building a model neither depends on nor changes the caller's random state.
    in_features, num_classes:
        Input and output sizes; the defaults fit the digits data (8x8 pixels, 10 digits).
    dtype:
        Parameter dtype (``torch.float64`` for exact comparisons).

    Returns
    -------
    nn.Sequential
        ``Linear -> ReLU -> ... -> Linear`` returning logits (no softmax: pair it with
        ``torch.nn.functional.cross_entropy``). Layers use torch's default initialization.

    Examples
    --------
    >>> model = mlp(hidden=32, seed=0)
    >>> sum(p.numel() for p in model.parameters())
    2410
    """
    widths = [hidden] if isinstance(hidden, int | np.integer) else list(hidden)
    for w in widths:
        check("mlp", "hidden", w, POSITIVE_INT)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgumentError(
            f"The 'dtype' parameter of mlp must be a floating torch dtype. Got {dtype!r} instead."
        )

    sizes = [int(in_features), *(int(w) for w in widths), int(num_classes)]
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            if i > 0:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(n_in, n_out, dtype=dtype))
    return nn.Sequential(*layers)
