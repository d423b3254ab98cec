"""lrlab.optim against torch 2.13's single-tensor (foreach=False) optimizers as the oracle.

Every comparison trains a small MLP on scikit-learn's bundled handwritten digits (real
data, nothing downloaded) in float64 for 150 steps while a torch scheduler changes the
learning rate, starting both optimizers from identical weights, and asks that the
parameters agree to an absolute 1e-7. Absolute is the right measure here: the weights
are of order 0.1 to 1, so 1e-7 is about a millionth of each of them. (In practice the
two agree bit for bit, since the updates use the same tensor operations in the same
order.)

To keep the file fast on a shared two-core machine, runs are trained side by side: each
option combination is a parameter group holding its own copy of the MLP, ours and torch's
optimizers train separate copies, and the loss is the sum of the copies' losses, so one
batched forward and backward pass serves them all while each copy's gradient is exactly
what it would be alone.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from torch.optim import lr_scheduler

from lrlab import optim, schedules

STEPS = 150
ATOL = 1e-7  # absolute, on parameters of order 0.1 to 1
CLASSES = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW]
TORCH = {cls: getattr(torch.optim, cls.__name__) for cls in CLASSES}
HYPOTHESIS = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # The matrices are tiny: a second thread only adds waiting when the cores are shared.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- data, model and training loop ------------------------------------------------------------


def _digits_batches(batch_size: int = 64, n_batches: int = 8) -> list[tuple]:
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))[: batch_size * n_batches]
    X, y = X[order], y[order]
    std = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)  # corner pixels are always 0
    X = np.hstack([X, np.ones((len(X), 1))])  # the constant input that carries the bias
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    return [
        (X[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size])
        for i in range(n_batches)
    ]


BATCHES = _digits_batches()


class MLPs(torch.nn.Module):
    """Independent MLPs 64 -> 16 -> tanh -> 10 on the same batch, one forward pass for all.

    MLP j has two weight matrices (`params(j)`), each holding its layer's bias as the last
    column (the layer's input gets a constant 1 appended), initialized as torch.nn.Linear
    does from seed `seeds[j]`. Two tensors per model instead of four halve the Python
    overhead of every optimizer step, and stacking the models per layer lets one batched
    product evaluate them all; the backward pass still hands each tensor exactly its own
    model's gradient.
    """

    def __init__(self, seeds: list[int]):
        super().__init__()
        hidden, output = [], []
        for seed in seeds:
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                layers = torch.nn.Linear(64, 16), torch.nn.Linear(16, 10)
            for layer, weights in zip(layers, (hidden, output), strict=True):
                w = torch.cat([layer.weight, layer.bias[:, None]], dim=1)
                weights.append(torch.nn.Parameter(w.detach().double()))
        self.hidden, self.output = torch.nn.ParameterList(hidden), torch.nn.ParameterList(output)
        self._layers = (hidden, output)  # plain lists: iterating a ParameterList is slow

    def params(self, j: int) -> list[torch.nn.Parameter]:
        return [self._layers[0][j], self._layers[1][j]]

    def losses(self, X1: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of each model, shape (k,); X1 is the batch with a ones column."""
        hidden, output = (torch.stack(weights) for weights in self._layers)
        h = torch.tanh(X1 @ hidden.mT)
        logits = torch.cat([h, h.new_ones(*h.shape[:2], 1)], dim=2) @ output.mT
        k, n = logits.shape[:2]
        per_sample = F.cross_entropy(logits.reshape(k * n, -1), y.repeat(k), reduction="none")
        return per_sample.view(k, n).mean(dim=1)


def train(net: MLPs, signs: torch.Tensor, runs: list[tuple], steps: range) -> list[list[float]]:
    """Train all models of `net`, each run (optimizer, scheduler, its first model) on its own.

    A model whose group maximizes gets the sign -1, so it maximizes minus its loss. Returns
    the learning rate of each optimizer's group 0 at every step.
    """
    lrs = [[] for _ in runs]
    for t in steps:
        X1, y = BATCHES[t % len(BATCHES)]
        for (opt, _, _), history in zip(runs, lrs, strict=True):
            history.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
        losses = net.losses(X1, y)
        (signs * losses).sum().backward()
        for opt, scheduler, first in runs:
            opt.step()
            if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
                scheduler.step(losses[first].item())
            elif scheduler is not None:
                scheduler.step()
    return lrs


def flat(params) -> torch.Tensor:
    return torch.nn.utils.parameters_to_vector(params).detach().clone()


def run_side_by_side(
    cls: type,
    options: list[dict],
    make_scheduler: Callable | None,
    hyper: dict | None = None,
    torch_hyper: dict | None = None,
):
    """Train ours and torch's from the same weights, one parameter group per entry of options.

    Ours trains models 0..k-1 and torch's models k..2k-1 of one `MLPs`, model k + j
    starting from the same weights as model j. Returns ours and torch's final weights and
    the initial ones, each a list with one flat tensor per group, and group 0's learning
    rate at every step (ours).
    """
    hyper = hyper or {}
    torch_hyper = hyper if torch_hyper is None else torch_hyper
    k = len(options)
    net = MLPs(seeds=[*range(k), *range(k)])
    initial = [flat(net.params(j)) for j in range(k)]
    ours = cls([{"params": net.params(j), **o} for j, o in enumerate(options)], **hyper)
    theirs = TORCH[cls](
        [{"params": net.params(k + j), **o} for j, o in enumerate(options)],
        foreach=False,
        **torch_hyper,
    )
    runs = [
        (opt, make_scheduler(opt) if make_scheduler else None, first)
        for opt, first in ((ours, 0), (theirs, k))
    ]
    signs = torch.tensor([-1.0 if o.get("maximize") else 1.0 for o in options] * 2)
    lrs, _ = train(net, signs.double(), runs, range(STEPS))
    final = [flat(net.params(j)) for j in range(2 * k)]
    return final[:k], final[k:], initial, lrs


def assert_equal_to_torch(ours, theirs, initial, options) -> None:
    for j, (a, b, w0) in enumerate(zip(ours, theirs, initial, strict=True)):
        # The comparison means something only if training moved the weights well beyond it.
        moved = (b - w0).abs().max().item()
        assert moved > 1e4 * ATOL, f"group {j} {options[j]}: weights barely moved ({moved})"
        diff = (a - b).abs().max().item()
        assert diff <= ATOL, f"group {j} {options[j]}: max |ours - torch| = {diff:.3g}"


# -- every option combination, with StepLR changing the learning rate ---------------------------


def _combinations(**choices) -> list[dict]:
    keys = list(choices)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*choices.values())]


def _sgd_options() -> list[dict]:
    out = []
    for o in _combinations(
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.3],
        nesterov=[False, True],
        weight_decay=[0.0, 1e-2],
        maximize=[False, True],
    ):
        if o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0):
            continue  # rejected by both
        if o["momentum"] == 0 and o["dampening"] != 0:
            continue  # dampening only acts on the momentum buffer
        out.append(o)
    return out


def _adam_options() -> list[dict]:
    out = []
    for o in _combinations(
        amsgrad=[False, True],
        weight_decay=[0.0, 1e-2],
        decoupled_weight_decay=[False, True],
        maximize=[False, True],
    ):
        if o["weight_decay"] == 0 and o["decoupled_weight_decay"]:
            continue  # decoupling nothing is the same as not decoupling
        out.append(o)
    return out


def _adagrad_options() -> list[dict]:
    return _combinations(lr_decay=[0.0, 0.01], weight_decay=[0.0, 1e-2], maximize=[False, True])


# name -> (class, options of the parameter groups, arguments of the constructor). Adagrad's
# initial_accumulator_value is a constructor argument here because torch ignores a group's
# own value (see test_adagrad_accumulator_starts_from_the_groups_value).
GRIDS = {
    "SGD": (optim.SGD, _sgd_options(), {"lr": 0.05}),
    "Adagrad": (optim.Adagrad, _adagrad_options(), {"lr": 0.05}),
    "Adagrad initial_accumulator_value": (
        optim.Adagrad,
        _adagrad_options(),
        {"lr": 0.05, "initial_accumulator_value": 0.1},
    ),
    "RMSprop": (
        optim.RMSprop,
        _combinations(
            centered=[False, True],
            momentum=[0.0, 0.5],
            weight_decay=[0.0, 1e-2],
            maximize=[False, True],
        ),
        {"lr": 1e-3},
    ),
    "Adam": (optim.Adam, _adam_options(), {"lr": 1e-2}),
    "AdamW": (
        optim.AdamW,
        _combinations(amsgrad=[False, True], weight_decay=[0.0, 1e-2, 0.1], maximize=[False, True]),
        {"lr": 1e-2},
    ),
}


@pytest.mark.parametrize("grid", GRIDS)
def test_every_option_combination_matches_torch(grid):
    cls, options, hyper = GRIDS[grid]
    ours, theirs, initial, lrs = run_side_by_side(
        cls, options, lambda o: lr_scheduler.StepLR(o, step_size=50, gamma=0.3), hyper
    )
    assert lrs[0] == hyper["lr"] and lrs[-1] == pytest.approx(hyper["lr"] * 0.3**2)
    assert_equal_to_torch(ours, theirs, initial, options)


def test_option_grids_cover_each_branch():
    # Every on/off combination of the options that switch code paths, less the invalid ones
    # and, for SGD, dampening without momentum (it only acts on the momentum buffer).
    assert {name: len(grid[1]) for name, grid in GRIDS.items()} == {
        "SGD": 16,
        "Adagrad": 8,
        "Adagrad initial_accumulator_value": 8,
        "RMSprop": 16,
        "Adam": 12,
        "AdamW": 12,
    }


# -- other schedulers, including a hand-written one -----------------------------------------


class WarmupCosine(lr_scheduler.LRScheduler):
    """Linear warm-up over `warmup` steps, then cosine decay to 0 at `total`: a custom scheduler."""

    def __init__(self, optimizer, warmup: int, total: int, last_epoch: int = -1):
        self.warmup, self.total = warmup, total
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t < self.warmup:
            factor = (t + 1) / self.warmup
        else:
            factor = 0.5 * (1 + math.cos(math.pi * (t - self.warmup) / (self.total - self.warmup)))
        return [base * factor for base in self.base_lrs]


SCHEDULERS = {
    "custom warm-up cosine": lambda o: WarmupCosine(o, warmup=20, total=STEPS),
    # OneCycleLR also cycles SGD's and RMSprop's momentum and Adam's beta1 in param_groups.
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(
        o,
        max_lr=[3 * g["lr"] for g in o.param_groups],
        total_steps=STEPS,
        cycle_momentum="betas" in o.defaults or o.defaults.get("momentum", 0) > 0,
    ),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3),
    "lrlab to_torch": lambda o: schedules.to_torch(
        o, schedules.cosine_annealing(o.defaults["lr"], total_steps=STEPS)
    ),
}
BASE = {
    optim.SGD: {"lr": 0.05, "momentum": 0.9},
    optim.Adagrad: {"lr": 0.05},
    optim.RMSprop: {"lr": 1e-3, "momentum": 0.5},
    optim.Adam: {"lr": 1e-2},
    optim.AdamW: {"lr": 1e-2},
}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_torch_schedulers_drive_it_exactly(cls, scheduler):
    ours, theirs, initial, lrs = run_side_by_side(cls, [{}], SCHEDULERS[scheduler], BASE[cls])
    assert len(set(lrs)) > 3, f"{scheduler} did not change the learning rate: {set(lrs)}"
    assert_equal_to_torch(ours, theirs, initial, [BASE[cls]])


# -- random hyper-parameters ------------------------------------------------------------------


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)


@st.composite
def sgd_options(draw) -> dict:
    nesterov = draw(st.booleans())
    momentum = (
        draw(st.just(0.0) | st.floats(0.05, 0.95)) if not nesterov else draw(st.floats(0.05, 0.95))
    )
    dampening = 0.0 if nesterov or momentum == 0 else draw(st.floats(0.0, 0.9))
    return {
        "lr": draw(log_uniform(1e-3, 0.1)),
        "momentum": momentum,
        "dampening": dampening,
        "nesterov": nesterov,
        "weight_decay": draw(st.just(0.0) | st.floats(0.0, 0.05)),
        "maximize": draw(st.booleans()),
    }


@st.composite
def adagrad_options(draw) -> dict:
    return {
        "lr": draw(log_uniform(1e-3, 0.2)),
        "lr_decay": draw(st.just(0.0) | st.floats(0.0, 0.1)),
        "weight_decay": draw(st.just(0.0) | st.floats(0.0, 0.05)),
        "eps": draw(log_uniform(1e-12, 1e-3)),
        "maximize": draw(st.booleans()),
    }


@st.composite
def rmsprop_options(draw) -> dict:
    return {
        "lr": draw(log_uniform(1e-4, 1e-2)),
        "alpha": draw(st.floats(0.8, 0.999)),  # ρ = 0.5 lets v - m² round below 0
        "eps": draw(log_uniform(1e-10, 1e-3)),
        "weight_decay": draw(st.just(0.0) | st.floats(0.0, 0.05)),
        "momentum": draw(st.just(0.0) | st.floats(0.0, 0.95)),
        "centered": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def adam_options(draw, decoupled: bool | None = None) -> dict:
    options = {
        "lr": draw(log_uniform(1e-4, 3e-2)),
        "betas": (draw(st.floats(0.0, 0.99)), draw(st.floats(0.5, 0.9999))),
        "eps": draw(log_uniform(1e-10, 1e-4)),
        "weight_decay": draw(st.just(0.0) | st.floats(0.0, 0.1)),
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }
    if decoupled is None:
        options["decoupled_weight_decay"] = draw(st.booleans())
    return options


RANDOM_OPTIONS = {
    optim.SGD: sgd_options(),
    optim.Adagrad: adagrad_options(),
    optim.RMSprop: rmsprop_options(),
    optim.Adam: adam_options(),
    optim.AdamW: adam_options(decoupled=True),
}
RANDOM_SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=40, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[30, 90], gamma=0.2),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.99),
    "LambdaLR warm-up": lambda o: lr_scheduler.LambdaLR(o, lambda t: min(1.0, (t + 1) / 25)),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=20, T_mult=2
    ),
}


# Constructor arguments drawn once per example (torch reads this one from the constructor only).
RANDOM_CONSTRUCTOR = {
    optim.Adagrad: st.fixed_dictionaries({"initial_accumulator_value": st.floats(0.0, 1.0)})
}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@HYPOTHESIS
@given(data=st.data())
def test_random_hyper_parameters_match_torch(cls, data):
    # Three random settings per example, each in its own parameter group.
    options = data.draw(st.lists(RANDOM_OPTIONS[cls], min_size=3, max_size=3), label="groups")
    hyper = data.draw(RANDOM_CONSTRUCTOR.get(cls, st.just({})), label="constructor")
    scheduler = data.draw(st.sampled_from(sorted(RANDOM_SCHEDULERS)), label="scheduler")
    ours, theirs, initial, _ = run_side_by_side(cls, options, RANDOM_SCHEDULERS[scheduler], hyper)
    assert_equal_to_torch(ours, theirs, initial, options)


def test_the_comparison_can_fail():
    # A learning rate 1e-4 higher for ours is a much smaller error than a misordered update,
    # and the 150-step comparison must still see it.
    ours, theirs, initial, _ = run_side_by_side(
        optim.Adam, [{}], None, hyper={"lr": 1e-2 * (1 + 1e-4)}, torch_hyper={"lr": 1e-2}
    )
    with pytest.raises(AssertionError, match="max"):
        assert_equal_to_torch(ours, theirs, initial, [{}])


# -- state_dict, closures, parameters without gradients ------------------------------------


RICH = {
    optim.SGD: {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    optim.Adagrad: {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    optim.RMSprop: {"lr": 1e-3, "momentum": 0.5, "centered": True, "weight_decay": 1e-3},
    optim.Adam: {"lr": 1e-2, "amsgrad": True, "weight_decay": 1e-3},
    optim.AdamW: {"lr": 1e-2, "amsgrad": True},
}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_state_dict_round_trip_and_exchange_with_torch_mid_run(cls):
    hyper, signs = RICH[cls], torch.ones(1, dtype=torch.float64)
    first_half, second_half = range(STEPS // 2), range(STEPS // 2, STEPS)

    def build(kind: str, net: MLPs):
        if kind == "torch":
            opt = TORCH[cls](net.parameters(), foreach=False, **hyper)
        else:
            opt = cls(net.parameters(), **hyper)
        return opt, lr_scheduler.StepLR(opt, step_size=50, gamma=0.3)

    half_way = {}
    for kind in ("ours", "torch"):
        net = MLPs(seeds=[0])
        opt, sched = build(kind, net)
        train(net, signs, [(opt, sched, 0)], first_half)
        half_way[kind] = (net, opt, sched)

    # Ours keeps the same per-parameter state as torch: same keys, same values.
    ours_state = half_way["ours"][1].state_dict()["state"]
    torch_state = half_way["torch"][1].state_dict()["state"]
    assert ours_state.keys() == torch_state.keys()
    for i in ours_state:
        assert ours_state[i].keys() == torch_state[i].keys()
        for key in ours_state[i]:
            torch.testing.assert_close(ours_state[i][key], torch_state[i][key], atol=ATOL, rtol=0)

    # Saved by one, resumed by a fresh optimizer (as after restarting a notebook) of either.
    resumed = {}
    for saved_by, resumed_by in [("ours", "ours"), ("torch", "ours"), ("ours", "torch")]:
        net0, opt0, sched0 = half_way[saved_by]
        net = MLPs(seeds=[123])
        net.load_state_dict(copy.deepcopy(net0.state_dict()))
        opt, sched = build(resumed_by, net)
        opt.load_state_dict(copy.deepcopy(opt0.state_dict()))
        sched.load_state_dict(sched0.state_dict())
        train(net, signs, [(opt, sched, 0)], second_half)
        resumed[saved_by, resumed_by] = flat(net.parameters())

    for kind in ("ours", "torch"):  # and both carry on uninterrupted
        net, opt, sched = half_way[kind]
        train(net, signs, [(opt, sched, 0)], second_half)
    reference = flat(half_way["torch"][0].parameters())
    assert (reference - flat(MLPs(seeds=[0]).parameters())).abs().max() > 1e4 * ATOL
    resumed["ours uninterrupted"] = flat(half_way["ours"][0].parameters())
    for how, weights in resumed.items():
        diff = (weights - reference).abs().max().item()
        assert diff <= ATOL, f"{how}: max |ours - torch uninterrupted| = {diff:.3g}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_closure_groups_and_parameters_without_gradients(cls):
    hyper = RICH[cls]
    results = []
    for use_torch in (False, True):
        net = MLPs(seeds=[0])
        frozen = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))  # never gets a .grad
        hidden, output = net.params(0)
        groups = [{"params": [hidden]}, {"params": [output, frozen], "lr": hyper["lr"] / 2}]
        if use_torch:
            opt = TORCH[cls](groups, foreach=False, **hyper)
        else:
            opt = cls(groups, **hyper)
        X, y = BATCHES[0]

        def closure(opt=opt, net=net, X=X, y=y):
            opt.zero_grad()
            loss = net.losses(X, y)[0]
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(20)]
        assert torch.equal(frozen, torch.ones(3, dtype=torch.float64))
        assert frozen not in opt.state or cls is optim.Adagrad
        results.append((flat(net.parameters()), losses))
    (ours, our_losses), (theirs, their_losses) = results
    assert our_losses == pytest.approx(their_losses, abs=ATOL)
    assert our_losses[-1] < our_losses[0]
    assert (ours - theirs).abs().max().item() <= ATOL


def test_adagrad_accumulator_starts_from_the_groups_value():
    # torch 2.13 fills every accumulator from the constructor's initial_accumulator_value and
    # ignores a group's own; ours honours the group's, as param groups promise.
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(2))
    groups = [{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.5}]
    opt = optim.Adagrad(groups)
    a.grad, b.grad = torch.ones(2), torch.ones(2)
    opt.step()
    assert torch.equal(opt.state[a]["sum"], torch.full((2,), 1.0))
    assert torch.equal(opt.state[b]["sum"], torch.full((2,), 1.5))
    theirs = torch.optim.Adagrad(
        [{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.5}]
    )
    assert torch.equal(theirs.state[b]["sum"], torch.zeros(2))  # the torch behaviour we avoid


def test_step_without_closure_returns_none():
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    assert optim.Adam([p]).step() is None


# -- signatures and validation ---------------------------------------------------------------

TORCH_ONLY = {"foreach", "fused", "capturable", "differentiable"}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_signature_matches_torch(cls):
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(TORCH[cls]).parameters
    assert set(ours) == set(theirs) - TORCH_ONLY
    for name, p in ours.items():
        assert p.default == theirs[name].default, name
    # Arguments that can be passed by position sit where torch has them.
    positional = [n for n, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs)[: len(positional)]


def test_adamw_is_adam_with_decoupled_decay():
    p = [torch.nn.Parameter(torch.ones(2))]
    group = optim.AdamW(p).param_groups[0]
    assert group["decoupled_weight_decay"] is True
    assert group["weight_decay"] == 1e-2 == torch.optim.AdamW(p).defaults["weight_decay"]


BAD = [
    (optim.SGD, {"lr": -0.1}, "lr"),
    (optim.SGD, {"momentum": -0.5}, "momentum"),
    (optim.SGD, {"weight_decay": -1e-4}, "weight_decay"),
    (optim.SGD, {"nesterov": True}, "nesterov"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
    (optim.Adagrad, {"lr": -1.0}, "lr"),
    (optim.Adagrad, {"lr_decay": -0.1}, "lr_decay"),
    (optim.Adagrad, {"weight_decay": -0.1}, "weight_decay"),
    (optim.Adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    (optim.Adagrad, {"eps": -1e-10}, "eps"),
    (optim.RMSprop, {"lr": -1e-3}, "lr"),
    (optim.RMSprop, {"alpha": -0.9}, "alpha"),
    (optim.RMSprop, {"eps": -1e-8}, "eps"),
    (optim.RMSprop, {"momentum": -0.9}, "momentum"),
    (optim.RMSprop, {"weight_decay": -0.1}, "weight_decay"),
    (optim.Adam, {"lr": -1e-3}, "lr"),
    (optim.Adam, {"eps": -1e-8}, "eps"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (optim.Adam, {"betas": (-0.1, 0.999)}, r"betas\[0\]"),
    (optim.Adam, {"betas": (0.9, 1.0)}, r"betas\[1\]"),
    (optim.Adam, {"betas": (0.9, 1.5)}, r"betas\[1\]"),
    (optim.Adam, {"weight_decay": -0.1}, "weight_decay"),
    (optim.AdamW, {"lr": -1e-3}, "lr"),
    (optim.AdamW, {"betas": (0.9, 1.0)}, r"betas\[1\]"),
    (optim.AdamW, {"eps": -1.0}, "eps"),
    (optim.AdamW, {"weight_decay": -1e-2}, "weight_decay"),
]


@pytest.mark.parametrize(("cls", "kwargs", "name"), BAD, ids=lambda v: str(v))
def test_bad_input_raises_value_error_like_torch(cls, kwargs, name):
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match=name):
        cls(params, **kwargs)
    with pytest.raises(ValueError):
        TORCH[cls](params, **kwargs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_nan_hyper_parameters_are_rejected(cls):
    with pytest.raises(ValueError, match="lr"):
        cls([torch.nn.Parameter(torch.zeros(2))], lr=float("nan"))


def test_betas_must_be_a_pair():
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([torch.nn.Parameter(torch.zeros(2))], betas=(0.9,))


EDGE = st.sampled_from([-1.0, -1e-12, 0.0, 1e-3, 0.5, 0.999, 1.0, 2.5])
NUMERIC = {
    optim.SGD: ["lr", "momentum", "dampening", "weight_decay"],
    optim.Adagrad: ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    optim.RMSprop: ["lr", "alpha", "eps", "weight_decay", "momentum"],
    optim.Adam: ["lr", "eps", "weight_decay"],
    optim.AdamW: ["lr", "eps", "weight_decay"],
}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rejects_exactly_what_torch_rejects(cls, data):
    kwargs = {name: data.draw(EDGE | st.floats(-2, 2), label=name) for name in NUMERIC[cls]}
    if cls is optim.SGD:
        kwargs["nesterov"] = data.draw(st.booleans(), label="nesterov")
    if cls in (optim.Adam, optim.AdamW):
        kwargs["betas"] = (data.draw(EDGE, label="beta1"), data.draw(EDGE, label="beta2"))
    params = [torch.nn.Parameter(torch.zeros(2))]

    def raises(make) -> bool:
        try:
            make(params, **kwargs)
        except ValueError:
            return True
        return False

    # One documented difference: torch accepts RMSprop's alpha > 1, whose steps are NaN.
    ours_only = cls is optim.RMSprop and kwargs["alpha"] > 1
    assert raises(cls) == (raises(TORCH[cls]) or ours_only), kwargs


# --------------------------------------------------------------------------- torch's own cases


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_tensor_lr_of_one_element_steps_like_torch(cls, shape):
    """torch 2.13 accepts an lr tensor of shape (), [1] or [1, 1]; so do we, with its numbers."""
    options = {"momentum": 0.9} if cls in (optim.SGD, optim.RMSprop) else {}
    result = []
    for make in (cls, TORCH[cls]):
        p = torch.nn.Parameter(torch.linspace(-1.0, 1.0, 5))
        opt = make([p], lr=torch.full(shape, 0.05), **options)
        for k in range(3):
            p.grad = torch.sin(p.detach() * (k + 1))
            opt.step()
        result.append(p.detach().clone())
    torch.testing.assert_close(result[0], result[1], rtol=0, atol=1e-7)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_tensor_lr_with_more_than_one_element_is_rejected(cls):
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="lr"):
        cls(params, lr=torch.tensor([0.1, 0.2]))
    with pytest.raises(ValueError):
        TORCH[cls](params, lr=torch.tensor([0.1, 0.2]))


@pytest.mark.parametrize("cls", [optim.Adagrad, optim.Adam, optim.AdamW], ids=lambda c: c.__name__)
def test_state_dict_with_a_plain_number_step_loads_like_torch(cls):
    """Older checkpoints store ``step`` as a number; torch converts it on load, and so do we."""
    result = []
    for make in (cls, TORCH[cls]):
        p = torch.nn.Parameter(torch.linspace(-1.0, 1.0, 5))
        opt = make([p], lr=0.01)
        p.grad = torch.ones(5)
        opt.step()
        state = opt.state_dict()
        state["state"][0]["step"] = 1  # a plain int, as an older torch saved it
        resumed = make([p], lr=0.01)
        resumed.load_state_dict(state)
        resumed.step()
        assert torch.is_tensor(resumed.state[p]["step"]) and resumed.state[p]["step"].item() == 2
        result.append(p.detach().clone())
    torch.testing.assert_close(result[0], result[1], rtol=0, atol=1e-7)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (optim.AdamW, {"weight_decay": None}, "weight_decay"),
        (optim.Adam, {"eps": None}, "eps"),
        (optim.SGD, {"momentum": "0.9"}, "momentum"),
        (optim.RMSprop, {"alpha": 1.5}, "alpha"),
    ],
    ids=str,
)
def test_wrong_types_and_rmsprop_alpha_above_one_raise_value_error(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls([torch.nn.Parameter(torch.zeros(2))], **kwargs)
