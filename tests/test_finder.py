"""Tests for lrlab.finder: the range test records torch-lr-finder's curve, restores the model
and optimizer exactly, stops on divergence, and its suggestion rules agree with
torch-lr-finder and with a transcription of fastai's rules."""

import contextlib
import copy
import io
import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader
from torch_lr_finder import LRFinder

from lrlab.data import TensorLoader, digits
from lrlab.finder import RangeTestResult, lr_range_test
from lrlab.models import mlp
from lrlab.schedules import exponential_decay

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(scope="module")
def loaders():
    return digits(batch_size=64, seed=0)


def sgd_setup(seed=0, hidden=32):
    model = mlp(hidden=hidden, seed=seed)
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


@pytest.fixture(scope="module")
def sgd_curve(loaders):
    model, opt = sgd_setup()
    return lr_range_test(model, F.cross_entropy, opt, loaders[0])


# ---------------------------------------------------------------- the recorded curve


def test_curve_equals_torch_lr_finder(loaders):
    # Same model, same (unshuffled) batches: the curve must be torch-lr-finder's, bit for bit.
    x, y = loaders[0].dataset.tensors
    ours_model, ours_opt = sgd_setup()
    ours = lr_range_test(ours_model, F.cross_entropy, ours_opt, TensorLoader(x, y, 64))
    their_model, their_opt = sgd_setup()
    finder = LRFinder(their_model, their_opt, F.cross_entropy)
    with contextlib.redirect_stdout(io.StringIO()):
        finder.range_test(DataLoader(loaders[0].dataset, batch_size=64), start_lr=1e-7, end_lr=10)
    assert ours.diverged  # this setting diverges before 100 steps, so the stop rule is tested
    assert len(ours.lrs) == len(finder.history["lr"]) < 100
    assert ours.lrs == finder.history["lr"]
    assert ours.losses == finder.history["loss"]


def test_lr_grid_and_smoothing(loaders):
    model, opt = sgd_setup()
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], 1e-4, 1e-1, num_iter=30)
    assert not r.diverged and len(r.lrs) == 30
    np.testing.assert_allclose(r.lrs, 1e-4 * 1000.0 ** (np.arange(30) / 29), rtol=1e-12)
    assert r.lrs[0] == 1e-4 and math.isclose(r.lrs[-1], 1e-1, rel_tol=1e-12)
    assert r.losses[0] == r.raw_losses[0]
    for t in range(1, 30):
        assert math.isclose(r.losses[t], 0.05 * r.raw_losses[t] + 0.95 * r.losses[t - 1])

    model, opt = sgd_setup()
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], 0.01, 0.2, 20, "linear", 0.0)
    np.testing.assert_allclose(r.lrs, np.linspace(0.01, 0.2, 20), rtol=1e-12)
    assert r.losses == r.raw_losses  # smooth_f=0 records the raw losses


def test_exp_grid_is_exponential_decay_but_in_python_floats(loaders):
    """Why lr_range_test writes its own grid instead of calling exponential_decay: the two
    are the same grid to a rounding error, but NumPy's power differs from Python's in the
    last bit at some steps, and the curve must be torch-lr-finder's bit for bit."""
    n = 100
    model, opt = sgd_setup()
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], 1e-7, 10.0, n, diverge_th=math.inf)
    schedule = exponential_decay(1e-7, 10.0 / 1e-7, decay_steps=n - 1)
    steps = np.arange(len(r.lrs))
    assert len(r.lrs) > 50
    np.testing.assert_allclose(r.lrs, schedule(steps), rtol=4.5e-16, atol=0)  # 2 ulp at most
    python_grid = [1e-7 * (10.0 / 1e-7) ** (t / (n - 1)) for t in steps]
    assert r.lrs == python_grid
    assert r.lrs != schedule(steps).tolist()  # the last bit, at some steps


def test_uses_the_lr_it_records(loaders):
    seen = []

    class SpySGD(torch.optim.SGD):
        def step(self, closure=None):
            seen.append(self.param_groups[0]["lr"])
            return super().step(closure)

    model = mlp(hidden=16, seed=0)
    r = lr_range_test(
        model, F.cross_entropy, SpySGD(model.parameters(), lr=0.1), loaders[0], num_iter=20
    )
    assert seen[: len(r.lrs)] == r.lrs


def test_cycles_the_loader_past_one_epoch(loaders):
    model, opt = sgd_setup()
    n = 2 * len(loaders[0]) + 5
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], 1e-5, 1e-3, num_iter=n)
    assert len(r.lrs) == n and not r.diverged


def test_stops_on_divergence(loaders):
    model, opt = sgd_setup()
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], 1e-3, 1e6, num_iter=100)
    assert r.diverged and 2 <= len(r.lrs) < 100
    best_before = min(r.losses[:-1])
    assert r.losses[-1] > 5.0 * min(best_before, r.losses[-1])
    running_best = np.minimum.accumulate(r.losses[:-1])
    assert np.all(np.asarray(r.losses[:-1]) <= 5.0 * running_best)
    assert all(math.isfinite(v) for v in r.losses)


def test_stops_on_a_non_finite_loss_without_recording_it(loaders):
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        loss = F.cross_entropy(out, y)
        return loss * float("nan") if len(calls) == 8 else loss

    model, opt = sgd_setup()
    r = lr_range_test(model, loss_fn, opt, loaders[0], num_iter=50, diverge_th=math.inf)
    assert r.diverged and len(r.lrs) == len(r.losses) == 7
    assert all(math.isfinite(v) for v in r.losses)


# ---------------------------------------------------------------- restoring state


class SmallNet(nn.Module):
    """A model with a buffer (BatchNorm's running statistics) and a dropout layer."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.body(x))


def trained_pair(loaders):
    """A model and an Adam optimizer with non-trivial state: a few steps taken, grads left."""
    model = SmallNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    torch.manual_seed(1)
    fixed = TensorLoader(*loaders[0].dataset.tensors, batch_size=64)  # unshuffled: repeatable
    for (x, y), _ in zip(fixed, range(3), strict=False):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    return model, opt


def test_restores_model_and_optimizer_exactly(loaders):
    model, opt = trained_pair(loaders)
    model_before = copy.deepcopy(model.state_dict())
    opt_before = copy.deepcopy(opt.state_dict())
    grads_before = [p.grad.clone() for p in model.parameters()]
    params = list(model.parameters())
    r = lr_range_test(model, F.cross_entropy, opt, loaders[0], num_iter=40)
    assert len(r.lrs) > 10

    after = model.state_dict()
    assert after.keys() == model_before.keys()
    for key, value in model_before.items():
        assert torch.equal(after[key], value), key
    opt_after = opt.state_dict()
    assert opt_after["param_groups"] == opt_before["param_groups"]  # lr, betas, ... included
    assert opt.param_groups[0]["lr"] == 3e-3
    for index, state in opt_before["state"].items():
        for name, value in state.items():
            assert torch.equal(opt_after["state"][index][name], value), (index, name)
    for p, g in zip(model.parameters(), grads_before, strict=True):
        assert torch.equal(p.grad, g)
    assert all(not m.training for m in model.modules())
    assert all(a is b for a, b in zip(opt.param_groups[0]["params"], params, strict=True))


def test_training_after_the_test_is_as_if_it_never_ran(loaders):
    model, opt = trained_pair(loaders)
    twin, twin_opt = trained_pair(loaders)
    lr_range_test(model, F.cross_entropy, opt, loaders[0], num_iter=30)
    model.train()
    twin.train()
    x, y = loaders[1].dataset.tensors
    for m, o in ((model, opt), (twin, twin_opt)):
        torch.manual_seed(7)  # the same dropout masks for both
        for _ in range(3):
            o.zero_grad()
            F.cross_entropy(m(x), y).backward()
            o.step()
    for a, b in zip(model.state_dict().values(), twin.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_restores_even_when_the_loop_raises(loaders):
    model, opt = trained_pair(loaders)
    before = copy.deepcopy(model.state_dict())
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return F.cross_entropy(out, y)

    with pytest.raises(RuntimeError, match="boom"):
        lr_range_test(model, loss_fn, opt, loaders[0], num_iter=20)
    for key, value in before.items():
        assert torch.equal(model.state_dict()[key], value)
    assert opt.param_groups[0]["lr"] == 3e-3


def test_works_with_any_optimizer_subclass(loaders):
    class PlainSGD(torch.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    model = mlp(hidden=16, seed=0)
    before = [p.clone() for p in model.parameters()]
    r = lr_range_test(model, F.cross_entropy, PlainSGD(model.parameters()), loaders[0])
    assert r.diverged and len(r.lrs) > 20
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))


# ---------------------------------------------------------------- suggestions


def test_steepest_equals_torch_lr_finder_on_recorded_curves(loaders, sgd_curve):
    model = mlp(hidden=32, seed=1)
    adam_curve = lr_range_test(
        model, F.cross_entropy, torch.optim.Adam(model.parameters()), loaders[0]
    )
    for curve in (sgd_curve, adam_curve):
        finder = LRFinder(*sgd_setup(), F.cross_entropy)
        finder.history = {"lr": list(curve.lrs), "loss": list(curve.losses)}
        fig, ax = plt.subplots()
        with contextlib.redirect_stdout(io.StringIO()):
            _, theirs = finder.plot(ax=ax, suggest_lr=True)
        plt.close(fig)
        assert curve.suggest("steepest") == theirs


def fastai_trim(lrs, losses, num_it):
    """fastai's lr_find: recorder.lrs[num_it//10:-5], then cut at the first NaN."""
    lrs, losses = list(lrs[num_it // 10 : -5]), list(losses[num_it // 10 : -5])
    for i, value in enumerate(losses):
        if math.isnan(value):
            return lrs[:i], losses[:i]
    return lrs, losses


def fastai_valley_index(losses):
    """A line-by-line transcription of fastai.callback.schedule.valley (fastai 2.7),
    returning the index it reads its suggestion at."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def fastai_minimum(lrs, losses):
    """fastai's minimum rule: the lr of the lowest loss, divided by 10."""
    return lrs[int(np.argmin(losses))] / 10


def test_valley_and_minimum_equal_fastai_rules_on_recorded_curve(sgd_curve):
    lrs, losses = fastai_trim(sgd_curve.lrs, sgd_curve.losses, 100)
    idx = fastai_valley_index(losses)
    assert idx > 0
    assert sgd_curve.suggest("valley") == lrs[idx]
    assert sgd_curve.suggest("minimum") == fastai_minimum(lrs, losses)
    # On this typical curve the rules are ordered as the module docstring says.
    assert (
        sgd_curve.suggest("valley")
        < sgd_curve.suggest("minimum")
        < 10 * sgd_curve.suggest("steepest")
    )
    assert sgd_curve.suggest("valley") < sgd_curve.suggest("steepest") / 10


curve_values = st.lists(st.integers(0, 6).map(float), min_size=8, max_size=40) | st.lists(
    st.floats(0.1, 10.0, allow_nan=False), min_size=8, max_size=40
)


@settings(max_examples=100, deadline=None)
@given(losses=curve_values, num_iter=st.integers(2, 60))
def test_rules_equal_references_on_random_curves(losses, num_iter):
    # Integer-valued curves produce ties, which the strict comparisons must treat as fastai does.
    n = len(losses)
    lrs = list(1e-6 * 1e6 ** (np.arange(n) / (n - 1)))
    result = RangeTestResult(lrs=lrs, losses=losses, num_iter=num_iter)
    f_lrs, f_losses = fastai_trim(lrs, losses, num_iter)
    if len(f_losses) >= 2:
        idx = fastai_valley_index(f_losses)
        assert result.suggest("valley") == f_lrs[max(idx, 0)]
        assert result.suggest("minimum") == fastai_minimum(f_lrs, f_losses)
    else:
        with pytest.raises(ValueError, match="at least 2 points"):
            result.suggest("valley")
    trimmed = np.asarray(losses[10 : n - 5])
    if trimmed.size >= 2:
        # torch-lr-finder's rule: argmin of np.gradient per index (equal spacing in log lr).
        steep = np.gradient(trimmed)
        if np.sum(steep == steep.min()) == 1:  # ties may break differently; skip those
            assert result.suggest("steepest") == lrs[10 + int(np.argmin(steep))]


def test_suggestion_arguments(sgd_curve):
    assert sgd_curve.suggest("steepest", skip_start=0, skip_end=0) > 0
    with pytest.raises(ValueError, match="method"):
        sgd_curve.suggest("fastest")
    with pytest.raises(ValueError, match="skip_start"):
        sgd_curve.suggest("valley", skip_start=-1)
    with pytest.raises(ValueError, match="skip_end"):
        sgd_curve.suggest("valley", skip_end=1.5)
    short = RangeTestResult(lrs=[1e-3, 1e-2, 1e-1, 1.0], losses=[3.0, 2.0, 0.5, 1.0], num_iter=4)
    with pytest.raises(ValueError, match="at least 2 points"):
        short.suggest("steepest")
    # np.gradient: [-1, -1.25, -0.5, 0.5] per decade, steepest at the second point.
    assert short.suggest("steepest", skip_start=0, skip_end=0) == 1e-2


def test_plot_marks_the_suggestion(sgd_curve):
    ax = sgd_curve.plot()
    assert ax.get_xscale() == "log"
    curve, mark = ax.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), sgd_curve.lrs)
    assert list(mark.get_xdata()) == [sgd_curve.suggest("valley")]
    assert "valley" in mark.get_label()
    _, ax2 = plt.subplots()
    assert sgd_curve.plot(ax=ax2, method=("steepest", "minimum")) is ax2
    assert len(ax2.get_lines()) == 3
    assert len(sgd_curve.plot(method=None).get_lines()) == 1
    with pytest.raises(ValueError, match="method"):
        sgd_curve.plot(method="fastest")
    plt.close("all")


# ---------------------------------------------------------------- bad input


# Bad values of each declared argument (model, optimizer, start_lr, num_iter, step_mode, ...)
# are generated in tests/test_validation.py; here, the rules that involve other arguments
# and the loader.


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr"),
        ({"diverge_th": 1.0}, "diverge_th"),
        ({"diverge_th": math.nan}, "diverge_th"),
    ],
)
def test_bad_arguments_name_the_argument(loaders, kwargs, name):
    model, opt = sgd_setup()
    with pytest.raises(ValueError, match=f"The '{name}' parameter of lr_range_test must be"):
        lr_range_test(model, F.cross_entropy, opt, loaders[0], **kwargs)


def test_diverge_th_inf_never_stops_on_the_threshold(loaders):
    model, opt = sgd_setup()
    result = lr_range_test(model, F.cross_entropy, opt, loaders[0], num_iter=5, diverge_th=math.inf)
    assert len(result.lrs) == 5


def test_an_empty_loader_is_a_run_time_error(loaders):
    model, opt = sgd_setup()
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        lr_range_test(model, F.cross_entropy, opt, [])
