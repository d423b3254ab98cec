"""Tests for lrlab.data: the digits loaders are real, stratified, standardized with training
statistics only, and deterministic for a seed."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lrlab.data import TensorLoader, digits


def batches(loader):
    return [(x.clone(), y.clone()) for x, y in loader]


def test_shapes_dtypes_and_sizes():
    train, val = digits(batch_size=64, seed=0)
    assert (len(train.dataset), len(val.dataset)) == (1437, 360)
    assert (len(train), len(val)) == (23, 6)
    train_batches = batches(train)
    assert len(train_batches) == len(train)
    for x, y in train_batches[:-1]:
        assert x.shape == (64, 64) and y.shape == (64,)
        assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert train_batches[-1][0].shape == (1437 - 22 * 64, 64)
    assert sum(len(y) for _, y in batches(val)) == 360
    x_all, y_all = train.dataset.tensors
    assert torch.isfinite(x_all).all()
    assert set(y_all.tolist()) == set(range(10))


def test_float64_option():
    _, val = digits(seed=0, dtype=torch.float64)
    x, y = next(iter(val))
    assert x.dtype == torch.float64 and y.dtype == torch.int64
    x32 = digits(seed=0)[1].dataset.tensors[0]
    torch.testing.assert_close(val.dataset.tensors[0].float(), x32)


@pytest.mark.parametrize("seed", [0, 3])
def test_split_and_standardization_match_sklearn(seed):
    # The oracle: sklearn's own stratified split and a StandardScaler fitted on the training
    # rows only (it also maps a zero-variance pixel's scale to 1).
    images, labels = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=seed
    )
    scaler = StandardScaler().fit(x_tr)
    train, val = digits(seed=seed)
    x_train, y_train = train.dataset.tensors
    x_val, y_val = val.dataset.tensors
    np.testing.assert_allclose(x_train.numpy(), scaler.transform(x_tr), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x_val.numpy(), scaler.transform(x_va), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(y_train.numpy(), y_tr)
    np.testing.assert_array_equal(y_val.numpy(), y_va)


def test_standardized_with_training_statistics_only():
    train, val = digits(seed=0)
    x_train = train.dataset.tensors[0].double()
    x_val = val.dataset.tensors[0].double()
    torch.testing.assert_close(
        x_train.mean(0), torch.zeros(64, dtype=torch.float64), atol=1e-6, rtol=0
    )
    std = x_train.std(0, unbiased=False)
    constant = std < 1e-12
    assert 1 <= int(constant.sum()) <= 5  # the always-blank corner pixels
    torch.testing.assert_close(
        std[~constant], torch.ones(int((~constant).sum()), dtype=torch.float64)
    )
    assert (x_train[:, constant] == 0).all()
    # The validation set was not used for the statistics, so its mean is not zero.
    assert x_val.mean(0).abs().max() > 1e-3


def test_stratified():
    _, labels = load_digits(return_X_y=True)
    for seed in (0, 1):
        train, val = digits(seed=seed)
        val_counts = np.bincount(val.dataset.tensors[1].numpy(), minlength=10)
        train_counts = np.bincount(train.dataset.tensors[1].numpy(), minlength=10)
        totals = np.bincount(labels, minlength=10)
        np.testing.assert_array_equal(val_counts + train_counts, totals)
        assert np.all(np.abs(val_counts - 0.2 * totals) <= 1)


def test_deterministic_for_a_seed_over_several_epochs():
    a, _ = digits(seed=5)
    b, _ = digits(seed=5)
    for _ in range(2):  # two epochs: the reshuffle is seeded too
        for (xa, ya), (xb, yb) in zip(batches(a), batches(b), strict=True):
            assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_different_seeds_give_different_splits_and_orders():
    (train0, val0), (train1, val1) = digits(seed=0), digits(seed=1)
    assert not torch.equal(val0.dataset.tensors[1], val1.dataset.tensors[1])
    assert not torch.equal(next(iter(train0))[1], next(iter(train1))[1])


def test_each_epoch_is_a_permutation_and_reshuffles():
    train, _ = digits(seed=0)
    x_all, y_all = train.dataset.tensors
    epoch1, epoch2 = batches(train), batches(train)
    for epoch in (epoch1, epoch2):
        x = torch.cat([b[0] for b in epoch])
        # Same rows, each exactly once: compare after sorting rows lexicographically.
        assert torch.equal(_sorted_rows(x), _sorted_rows(x_all))
        assert torch.equal(torch.cat([b[1] for b in epoch]).sort().values, y_all.sort().values)
    assert not torch.equal(epoch1[0][0], epoch2[0][0])


def _sorted_rows(x):
    keys = np.lexsort(x.numpy().T[::-1])
    return x[torch.from_numpy(keys)]


def test_validation_loader_is_not_shuffled():
    _, val = digits(seed=0)
    first, second = batches(val), batches(val)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, second, strict=True))
    assert torch.equal(torch.cat([b[1] for b in first]), val.dataset.tensors[1])


def test_global_rng_untouched():
    state = torch.random.get_rng_state()
    train, _ = digits(seed=0)
    for _ in train:
        pass
    assert torch.equal(torch.random.get_rng_state(), state)


def test_calls_do_not_share_mutable_tensors():
    train, val = digits(seed=0)
    reference = digits(seed=0)[1].dataset.tensors[0].clone()
    train.dataset.tensors[0].add_(1.0)
    val.dataset.tensors[0].add_(1.0)
    assert torch.equal(digits(seed=0)[1].dataset.tensors[0], reference)


def test_tensor_loader_drop_last_and_len():
    x, y = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    loader = TensorLoader(x, y, batch_size=4)
    assert len(loader) == 3 and [len(b[1]) for b in loader] == [4, 4, 2]
    loader = TensorLoader(x, y, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [4, 4]
    assert torch.equal(torch.cat([b[1] for b in TensorLoader(x, y, 3)]), y)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -3}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"val_fraction": 0.0}, "val_fraction"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"dtype": torch.int64}, "dtype"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        digits(**kwargs)


def test_tensor_loader_bad_input():
    with pytest.raises(ValueError, match="as many samples as x"):
        TensorLoader(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(torch.zeros(3, 2), torch.zeros(3), batch_size=0)
