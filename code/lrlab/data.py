"""Real data for the experiments: scikit-learn's handwritten digits, ready for torch.

The lectures on the LR range test, on schedules in practice and on adaptive optimizers train
small networks many times with different learning rates and seeds, so the data must be real,
small and fast. :func:`digits` returns scikit-learn's bundled digits (1,797 greyscale 8x8
images of the digits 0-9, shipped with scikit-learn, so nothing is downloaded) as a pair of
loaders:

* a stratified split (about 80 % training, 20 % validation), so every class keeps its share;
* standardized per pixel with the *training* set's mean and standard deviation only (the
  validation set must not leak into the preprocessing; its mean is therefore close to, not
  exactly, zero). Three pixels are constant (zero) in the whole data set; a constant pixel is
  divided by 1 instead of 0;
* float32 inputs of shape ``(batch, 64)`` and int64 labels of shape ``(batch,)``;
* deterministic for a seed: the seed fixes the split and the order in which the training
  loader shuffles, epoch after epoch.

The loaders are :class:`TensorLoader` objects rather than ``torch.utils.data.DataLoader``: with
the whole data set already in memory, a ``DataLoader`` spends most of its time collating one
sample at a time, while :class:`TensorLoader` shuffles once per epoch and hands out slices
(see ``benchmarks/bench_train.py`` for the measured difference). For a user it behaves like a
``DataLoader``: iterate over ``(x, y)`` batches, ``len(loader)`` is the number of batches and
``loader.dataset`` is a ``TensorDataset``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
import torch
from torch.utils.data import TensorDataset

from lrlab._validate import Interval, InvalidArgumentError, check, validate_params

__all__ = ["TensorLoader", "digits"]


class TensorLoader:
    """Batches of ``(x, y)`` cut from two in-memory tensors, like a ``DataLoader``.

    Parameters
    ----------
    x, y:
        Tensors with the same first dimension (the samples).
    batch_size:
        Samples per batch; the last batch is smaller when the sizes do not divide.
    shuffle:
        Draw a new random order at the start of every pass (every ``iter(loader)``).
    seed:
        Seed of the loader's own ``torch.Generator`` (the global torch RNG is not touched),
        so two loaders built with the same seed yield the same batches, epoch after epoch.
    drop_last:
        Drop the last, smaller batch.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if x.shape[0] != y.shape[0]:
            raise InvalidArgumentError(
                "The 'y' parameter of TensorLoader must have as many samples as x "
                f"({x.shape[0]}). Got {y.shape[0]} instead."
            )
        _check_batch_size(batch_size, "TensorLoader")
        self.dataset = TensorDataset(x, y)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, y = self.dataset.tensors
        if self.shuffle:
            # One gather per epoch; the batches below are then cheap views.
            order = torch.randperm(x.shape[0], generator=self.generator)
            x, y = x[order], y[order]
        bs = self.batch_size
        for i in range(len(self)):
            yield x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]

    def __repr__(self) -> str:
        return (
            f"TensorLoader(samples={len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, seed={self.seed})"
        )


POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def _check_batch_size(batch_size: int, func: str) -> None:
    check(func, "batch_size", batch_size, POSITIVE_INT)


@functools.cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    # Imported here: scikit-learn takes a second or two to import, and `import lrlab` should
    # not pay for it. Cached: the lectures call `digits` many times.
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.cache
def _split(seed: int, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    _, labels = _digits_arrays()
    train_idx, val_idx = train_test_split(
        np.arange(labels.shape[0]), test_size=val_fraction, stratify=labels, random_state=seed
    )
    train_idx.setflags(write=False)
    val_idx.setflags(write=False)
    return train_idx, val_idx


@validate_params(
    batch_size=POSITIVE_INT,
    seed=Interval(Integral, 0, None, closed="left"),
    val_fraction=Interval(Real, 0, 1, closed="neither"),
)
def digits(
    batch_size: int = 64,
    seed: int = 0,
    *,
    val_fraction: float = 0.2,
    dtype: torch.dtype = torch.float32,
) -> tuple[TensorLoader, TensorLoader]:
    """The digits data set as ``(train_loader, val_loader)``.

    Parameters
    ----------
    batch_size:
        Samples per batch, for both loaders (positive int).
    seed:
        Fixes the stratified split and the training loader's shuffling; the same seed gives
        the same batches in the same order, a different seed a different split.
    val_fraction:
        Share of the 1,797 images held out for validation, in (0, 1); 0.2 leaves 1,437
        training and 360 validation images.
    dtype:
        Floating dtype of the images (``torch.float64`` for exact comparisons).

    Returns
    -------
    tuple[TensorLoader, TensorLoader]
        ``(train_loader, val_loader)``, yielding ``(x, y)`` with ``x`` of shape ``(b, 64)``
        standardized with the training statistics and ``y`` of shape ``(b,)`` (int64, the
        digit 0-9). The training loader reshuffles every epoch; the validation loader does not.

    Examples
    --------
    >>> train, val = digits(batch_size=64, seed=0)
    >>> len(train.dataset), len(val.dataset), len(train)
    (1437, 360, 23)
    """
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgumentError(
            "The 'dtype' parameter of digits must be a floating torch dtype. "
            f"Got {dtype!r} instead."
        )

    images, labels = _digits_arrays()
    train_idx, val_idx = _split(int(seed), float(val_fraction))
    x_train, x_val = images[train_idx], images[val_idx]
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    # Pixels that never change (the corners of the 8x8 frame) would divide by zero.
    std[std == 0.0] = 1.0

    def to_tensors(x: np.ndarray, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x_std = torch.from_numpy((x - mean) / std).to(dtype)
        return x_std, torch.from_numpy(labels[idx].astype(np.int64))

    train = TensorLoader(*to_tensors(x_train, train_idx), batch_size, shuffle=True, seed=seed)
    val = TensorLoader(*to_tensors(x_val, val_idx), batch_size, shuffle=False)
    return train, val
