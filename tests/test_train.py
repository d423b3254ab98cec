"""Tests for lrlab.train (fit, evaluate, History) and lrlab.models (mlp): every kind of
scheduler is applied when and as documented, validation metrics are right, divergence stops
cleanly, and the lectures' setting learns the digits."""

import math
import sys
import types

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

from lrlab.data import TensorLoader, digits
from lrlab.models import mlp
from lrlab.train import History, _auto_progress, evaluate, fit, train_digits


@pytest.fixture(scope="module")
def loaders():
    return digits(batch_size=64, seed=0)


class SpySGD(torch.optim.SGD):
    """SGD that records the learning rate each step really used."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.used = []
        self.used_by_group = []

    def step(self, closure=None):
        # Recorded here, not in a step pre-hook: torch patches hooks onto each class's step
        # once an instance exists, so a hook can fire twice through SpySGD.step -> SGD.step.
        self.used.append(self.param_groups[0]["lr"])
        self.used_by_group.append([group["lr"] for group in self.param_groups])
        return super().step(closure)


def spy_setup(lr=0.05, hidden=16, seed=0):
    model = mlp(hidden=hidden, seed=seed)
    return model, SpySGD(model.parameters(), lr=lr)


# ---------------------------------------------------------------- the three kinds of scheduler


def test_no_scheduler_keeps_the_lr(loaders):
    model, opt = spy_setup()
    h = fit(model, opt, loaders[0], loaders[1], epochs=2)
    assert h.lr == opt.used == [0.05] * 46
    assert len(h.train_loss) == 46 and h.steps_per_epoch == 23
    assert len(h.val_loss) == len(h.val_acc) == len(h.epoch_seconds) == 2
    assert not h.diverged


def test_callable_schedule_sets_every_group_before_every_step(loaders):
    def schedule(t):  # a pure function of the global step, like lrlab.schedules
        return 0.1 * 0.97**t

    model = mlp(hidden=16, seed=0)
    opt = SpySGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=1.0)
    h = fit(model, opt, loaders[0], epochs=3, scheduler=schedule)
    seen_group1 = [lrs[1] for lrs in opt.used_by_group]
    expected = [schedule(t) for t in range(3 * 23)]  # t counts across epochs, from 0
    assert h.lr == opt.used == seen_group1 == expected


def test_lrlab_schedule_if_available(loaders):
    schedules = pytest.importorskip("lrlab.schedules")
    schedule = schedules.step_decay(0.1, step_size=10, gamma=0.5)
    model, opt = spy_setup()
    h = fit(model, opt, loaders[0], epochs=2, scheduler=schedule)
    assert h.lr == opt.used == [schedule(t) for t in range(46)]


def test_torch_scheduler_is_stepped_per_batch(loaders):
    model, opt = spy_setup(lr=0.1)
    scheduler = StepLR(opt, step_size=10, gamma=0.5)
    h = fit(model, opt, loaders[0], epochs=2, scheduler=scheduler)
    # Replay the same scheduler on a dummy optimizer: the lr before each of 46 steps.
    schedules = pytest.importorskip("lrlab.schedules")
    replay = schedules.record_torch_rates(lambda o: StepLR(o, step_size=10, gamma=0.5), 46, lr=0.1)
    expected = replay.lr.tolist()
    assert h.lr == opt.used == expected
    assert scheduler.last_epoch == 46
    assert expected[0] == 0.1 and expected[-1] == 0.1 * 0.5**4


class FakePlateau:
    """The lrlab.schedules.ReduceLROnPlateau interface: not callable, .step(metric) -> lr."""

    def __init__(self, lr):
        self.lr = lr
        self.metrics = []

    def step(self, metric):
        self.metrics.append(metric)
        self.lr = self.lr / 2 if len(self.metrics) % 2 == 0 else self.lr
        return self.lr


def test_plateau_object_is_stepped_per_epoch_on_val_loss(loaders):
    model, opt = spy_setup(lr=0.08)
    plateau = FakePlateau(0.08)
    h = fit(model, opt, loaders[0], loaders[1], epochs=4, scheduler=plateau)
    assert plateau.metrics == h.val_loss
    per_epoch = [h.lr[e * 23 : (e + 1) * 23] for e in range(4)]
    assert [set(lrs) for lrs in per_epoch] == [{0.08}, {0.08}, {0.04}, {0.04}]
    assert h.lr == opt.used
    assert opt.param_groups[0]["lr"] == 0.02  # the decision after the last epoch is applied


def test_plateau_object_sets_the_starting_lr(loaders):
    model, opt = spy_setup(lr=0.5)
    h = fit(model, opt, loaders[0], loaders[1], epochs=1, scheduler=FakePlateau(0.01))
    assert set(h.lr) == {0.01}


def test_torch_reduce_on_plateau_decisions(loaders):
    model, opt = spy_setup(lr=0.08)
    # A threshold no epoch can meet, so every epoch counts as a plateau and patience 0 cuts.
    kwargs = {"factor": 0.5, "patience": 0, "threshold": 0.9}
    scheduler = ReduceLROnPlateau(opt, **kwargs)
    h = fit(model, opt, loaders[0], loaders[1], epochs=4, scheduler=scheduler)
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.08)
    replay = ReduceLROnPlateau(dummy, **kwargs)
    expected = []
    for val_loss in h.val_loss:
        expected += [dummy.param_groups[0]["lr"]] * 23
        replay.step(val_loss)
    assert h.lr == opt.used == expected
    # The first epoch always improves on best = inf; every later one is cut in half.
    assert expected[::23] == [0.08, 0.08, 0.04, 0.02]


def test_lrlab_plateau_matches_torch_if_available(loaders):
    schedules = pytest.importorskip("lrlab.schedules")
    kwargs = {"factor": 0.5, "patience": 0, "threshold": 0.9}
    runs = []
    for make in (
        lambda opt: ReduceLROnPlateau(opt, **kwargs),
        lambda opt: schedules.ReduceLROnPlateau(0.08, **kwargs),
    ):
        model, opt = spy_setup(lr=0.08)
        train, val = digits(seed=0)  # fresh loaders: both runs see the same shuffles
        runs.append(fit(model, opt, train, val, epochs=4, scheduler=make(opt)))
    assert runs[0].lr[::23] == [0.08, 0.08, 0.04, 0.02]
    assert runs[0] == runs[1]


def test_plateau_requires_a_validation_loader(loaders):
    model, opt = spy_setup()
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, opt, loaders[0], scheduler=FakePlateau(0.05))
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, opt, loaders[0], scheduler=ReduceLROnPlateau(opt))


# ---------------------------------------------------------------- metrics, learning, divergence


def test_validation_metrics_on_a_known_case():
    # A fixed linear model whose logits are the inputs: predictions are argmax(x).
    model = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3))
    x = torch.tensor(
        [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, 0.0, 0.0], [0.0, 5.0, 0.0]]
    )
    y = torch.tensor([0, 2, 2, 1, 1])  # right, wrong, right, wrong, right: 3/5
    expected = F.cross_entropy(x, y).item()  # the mean over all five samples
    loss, acc = evaluate(model, TensorLoader(x, y, batch_size=2))  # batches of 2, 2, 1
    assert acc == 3 / 5
    assert math.isclose(loss, expected, rel_tol=1e-6)
    # And fit reports the same after an epoch at lr 0 (nothing changes).
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    h = fit(model, opt, TensorLoader(x, y, 2), TensorLoader(x, y, 2), epochs=1)
    assert h.val_acc == [3 / 5] and math.isclose(h.val_loss[0], expected, rel_tol=1e-6)


def test_evaluate_restores_mode_and_handles_regression():
    model = nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.5))
    model.train()
    x, y = torch.randn(6, 2), torch.randn(6, 1)
    loss, acc = evaluate(model, TensorLoader(x, y, 4), F.mse_loss)
    assert math.isnan(acc) and loss >= 0
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_mlp_learns_the_digits(seed):
    train, val = digits(batch_size=64, seed=seed)
    model = mlp(hidden=128, seed=seed)  # wider than the course's 64: Adam 1e-3 for 5 epochs
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    h = fit(model, opt, train, val, epochs=5)
    assert h.val_acc[-1] >= 0.92
    assert h.val_loss[-1] < h.val_loss[0]
    assert h.epoch_train_loss[-1] < h.epoch_train_loss[0]


def test_deterministic_for_seeds():
    runs = []
    for _ in range(2):
        train, val = digits(seed=3)
        model = mlp(hidden=32, seed=3)
        runs.append(fit(model, torch.optim.Adam(model.parameters()), train, val, epochs=2))
    assert runs[0] == runs[1]


def test_divergence_stops_cleanly(loaders):
    model = mlp(hidden=16, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=100.0, momentum=0.9)
    h = fit(model, opt, loaders[0], loaders[1], epochs=3)
    assert h.diverged
    assert len(h.lr) == len(h.train_loss) < 3 * 23
    assert not math.isfinite(h.train_loss[-1])
    assert all(math.isfinite(v) for v in h.train_loss[:-1])
    completed = (len(h.train_loss) - 1) // 23
    assert len(h.val_loss) == len(h.val_acc) == completed
    assert all(torch.isfinite(p).all() for p in model.parameters())  # the bad step not taken


def test_works_with_a_torch_dataloader(loaders):
    from torch.utils.data import DataLoader

    model, opt = spy_setup()
    train = DataLoader(loaders[0].dataset, batch_size=100, shuffle=False)
    h = fit(model, opt, train, loaders[1], epochs=1)
    assert len(h.lr) == 15 and h.steps_per_epoch == 15


def test_history_epoch_train_loss():
    h = History(train_loss=[1.0, 3.0, 2.0, 4.0], steps_per_epoch=2, epochs=2)
    assert h.epoch_train_loss == [2.0, 3.0]
    assert History().epoch_train_loss == []


# ---------------------------------------------------------------- progress, bad input


def test_progress_bar_only_when_asked(loaders, capsys):
    model, opt = spy_setup()
    fit(model, opt, loaders[0], epochs=1, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, opt, loaders[0], epochs=1, progress=True)
    assert "23/23" in capsys.readouterr().err


def test_progress_auto_detection(monkeypatch):
    monkeypatch.delenv("LRLAB_PROGRESS", raising=False)
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert _auto_progress() is False  # pytest captures stderr: not a terminal
    monkeypatch.setenv("LRLAB_PROGRESS", "1")
    assert _auto_progress() is True
    monkeypatch.setenv("LRLAB_PROGRESS", "0")
    assert _auto_progress() is False
    monkeypatch.delenv("LRLAB_PROGRESS")
    for allow_stdin in (True, False):  # a person at a notebook vs nbclient in the book build
        shell = types.SimpleNamespace(kernel=types.SimpleNamespace(_allow_stdin=allow_stdin))
        fake = types.SimpleNamespace(get_ipython=lambda shell=shell: shell)
        monkeypatch.setitem(sys.modules, "IPython", fake)
        assert _auto_progress() is allow_stdin


# Bad values of each declared argument (epochs, loss_fn, model, optimizer, ...) are
# generated in tests/test_validation.py; here, the rules that involve the run itself.


def test_bad_objects_and_schedules(loaders):
    model, opt = spy_setup()
    other = torch.optim.SGD(mlp(hidden=4).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="'scheduler' parameter of fit must be attached"):
        fit(model, opt, loaders[0], scheduler=StepLR(other, 5))
    with pytest.raises(ValueError, match="'scheduler' parameter of fit must be None, an lrlab"):
        fit(model, opt, loaders[0], scheduler=3)
    with pytest.raises(ValueError, match="lr=nan at step 3"):
        fit(model, opt, loaders[0], scheduler=lambda t: math.nan if t == 3 else 0.1)


# ---------------------------------------------------------------- models.mlp


def test_mlp_is_deterministic_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = mlp(seed=4), mlp(seed=4), mlp(seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[0].weight, c[0].weight)
    assert a(torch.zeros(7, 64)).shape == (7, 10)


def test_mlp_shapes_and_options():
    model = mlp(hidden=(32, 16), seed=0, dtype=torch.float64)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(32, 64), (32,), (16, 32), (16,), (10, 16), (10,)]
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert sum(p.numel() for p in mlp().parameters()) == 64 * 64 + 64 + 64 * 10 + 10
    assert len(mlp(hidden=())) == 1  # softmax regression


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"hidden": 0}, "hidden"),
        ({"hidden": (8, -1)}, "hidden"),
        ({"seed": -1}, "seed"),
        ({"in_features": 0}, "in_features"),
        ({"num_classes": 0}, "num_classes"),
        ({"dtype": torch.int32}, "dtype"),
    ],
)
def test_mlp_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        mlp(**kwargs)


def test_train_digits_is_the_loop_it_replaces():
    """``train_digits`` = digits + mlp + optimizer + fit, written out by hand."""
    schedules = pytest.importorskip("lrlab.schedules")
    schedule = schedules.cosine_annealing(0.3, 46)
    got = train_digits("sgd", schedule, epochs=2, seed=1, momentum=0.9)
    train_loader, val_loader = digits(batch_size=64, seed=1)
    model = mlp(hidden=64, seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    want = fit(model, opt, train_loader, val_loader, 2, scheduler=schedule)
    assert got == want  # every lr, loss and validation number, exactly


def test_train_digits_torch_scheduler_factory_and_class():
    got = train_digits(
        torch.optim.Adam,
        0.01,
        epochs=1,
        hidden=(16,),
        batch_size=128,
        validate=False,
        scheduler=lambda o: StepLR(o, step_size=4, gamma=0.5),
    )
    assert len(got.lr) == 12 and got.val_loss == []
    assert got.lr[:5] == [0.01] * 4 + [0.005]


def test_train_digits_rejects_a_schedule_with_a_scheduler():
    with pytest.raises(ValueError, match="'scheduler' parameter of train_digits must be None"):
        train_digits("sgd", lambda t: 0.1, epochs=1, scheduler=lambda o: None)
