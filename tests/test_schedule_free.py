"""lrlab.schedule_free against the authors' package ``schedulefree`` (the oracle), and the math.

The oracle runs are real: a small MLP on the digits data in float64, many steps, random
hyper-parameters, with mode switches in the middle of training. Independent of the oracle,
the averaging and interpolation identities of the update rule are checked directly.
"""

from __future__ import annotations

import pytest
import schedulefree
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from lrlab.data import digits
from lrlab.models import mlp
from lrlab.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD

TOL = 1e-10  # float64; the two implementations order their floating-point operations differently


def _batches(seed: int, n_steps: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    train, _ = digits(batch_size=32, seed=seed, dtype=torch.float64)
    out: list[tuple[torch.Tensor, torch.Tensor]] = []
    while len(out) < n_steps:
        out.extend(train)
    return out[:n_steps]


def _max_diff(a: torch.nn.Module | list, b: torch.nn.Module | list) -> float:
    a = list(a.parameters()) if isinstance(a, torch.nn.Module) else a
    b = list(b.parameters()) if isinstance(b, torch.nn.Module) else b
    return max((p - q).abs().max().item() for p, q in zip(a, b, strict=True))


def _run_pair(ours_cls, oracle, hyper: dict, seed: int, n_steps: int, switch_every: int) -> None:
    """Train two identical models side by side; compare y after every step and x at switches."""
    ours_model = mlp(hidden=16, seed=seed, dtype=torch.float64)
    ref_model = mlp(hidden=16, seed=seed, dtype=torch.float64)
    ours = ours_cls(ours_model.parameters(), **hyper)
    ref = oracle(ref_model.parameters(), **hyper)
    ours.train()
    ref.train()
    for t, (xb, yb) in enumerate(_batches(seed, n_steps)):
        for model, opt in ((ours_model, ours), (ref_model, ref)):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        assert _max_diff(ours_model, ref_model) < TOL, f"y differs after step {t}"
        if switch_every and (t + 1) % switch_every == 0:
            ours.eval()
            ref.eval()
            assert _max_diff(ours_model, ref_model) < TOL, f"x differs after step {t}"
            ours.train()
            ref.train()
            assert _max_diff(ours_model, ref_model) < TOL, f"y differs after switching, step {t}"
    # The parameters really moved: a comparison of two frozen models would prove nothing.
    assert _max_diff(ours_model, mlp(hidden=16, seed=seed, dtype=torch.float64)) > 1e-3


common = {
    "seed": st.integers(0, 5),
    "weight_decay": st.sampled_from([0.0, 1e-4, 1e-2]),
    "warmup_steps": st.integers(0, 40),
    "r": st.sampled_from([0.0, 0.5, 2.0]),
    "weight_lr_power": st.sampled_from([0.0, 1.0, 2.0]),
    "switch_every": st.sampled_from([0, 7, 25]),
}


@settings(max_examples=12, deadline=None)
@given(
    lr=st.floats(0.01, 1.0),
    momentum=st.floats(0.05, 0.95),
    memory_saving=st.booleans(),
    foreach=st.booleans(),
    **common,
)
def test_sgd_matches_schedulefree(
    lr, momentum, memory_saving, foreach, seed, switch_every, **hyper
) -> None:
    if memory_saving:
        oracle = lambda params, **kw: schedulefree.SGDScheduleFree(params, foreach=foreach, **kw)  # noqa: E731
    else:
        oracle = schedulefree.SGDScheduleFreeReference
    hyper = {"lr": lr, "momentum": momentum, **hyper}
    _run_pair(ScheduleFreeSGD, oracle, hyper, seed, n_steps=60, switch_every=switch_every)


@settings(max_examples=12, deadline=None)
@given(
    lr=st.floats(1e-4, 0.05),
    beta1=st.floats(0.05, 0.95),
    beta2=st.sampled_from([0.9, 0.99, 0.999]),
    eps=st.sampled_from([1e-8, 1e-6]),
    memory_saving=st.booleans(),
    **common,
)
def test_adamw_matches_schedulefree(
    lr, beta1, beta2, eps, memory_saving, seed, switch_every, **hyper
) -> None:
    if memory_saving:
        oracle = lambda params, **kw: schedulefree.AdamWScheduleFree(params, foreach=False, **kw)  # noqa: E731
    else:
        oracle = schedulefree.AdamWScheduleFreeReference
    hyper = {"lr": lr, "betas": (beta1, beta2), "eps": eps, **hyper}
    _run_pair(ScheduleFreeAdamW, oracle, hyper, seed, n_steps=60, switch_every=switch_every)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_external_scheduler_changing_lr_matches_schedulefree() -> None:
    # A torch scheduler writes group["lr"]; both implementations must then weight the
    # average by the largest lr seen so far, not by the current one.
    models = [mlp(hidden=16, seed=2, dtype=torch.float64) for _ in range(2)]
    opts = [
        ScheduleFreeSGD(models[0].parameters(), lr=0.5, momentum=0.9, warmup_steps=5),
        schedulefree.SGDScheduleFree(models[1].parameters(), lr=0.5, momentum=0.9, warmup_steps=5),
    ]
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1 + 0.05 * t)) for o in opts]
    for o in opts:
        o.train()
    for xb, yb in _batches(2, 60):
        for model, opt, sched in zip(models, opts, scheds, strict=True):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            sched.step()
    assert opts[0].param_groups[0]["lr"] < 0.2  # the scheduler really acted
    assert _max_diff(*models) < TOL
    for o in opts:
        o.eval()
    assert _max_diff(*models) < TOL


def _quadratic_run(momentum: float, lr: float, n_steps: int):
    """SF-SGD on f(θ) = ½ θᵀAθ; returns the z's and x's from the optimizer state."""
    torch.manual_seed(0)
    a = torch.diag(torch.tensor([1.0, 3.0, 10.0], dtype=torch.float64))
    theta = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    opt = ScheduleFreeSGD([theta], lr=lr, momentum=momentum)
    zs, xs, ys, grads_at = [], [], [], []
    for _ in range(n_steps):
        opt.zero_grad()
        grads_at.append(theta.detach().clone())
        (0.5 * theta @ a @ theta).backward()
        opt.step()
        state = opt.state[theta]
        zs.append(state["z"].clone())
        xs.append(state["x"].clone())
        ys.append(theta.detach().clone())
    return zs, xs, ys, grads_at, a


def test_without_warmup_x_is_the_plain_mean_of_the_zs_and_y_interpolates() -> None:
    beta, lr = 0.7, 0.05
    zs, xs, ys, grads_at, a = _quadratic_run(beta, lr, n_steps=40)
    theta0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    z = theta0.clone()
    for t in range(40):
        # z_{t+1} = z_t − α g(y_t): the gradient is taken where the parameters were (y_t).
        z = z - lr * (a @ grads_at[t])
        torch.testing.assert_close(zs[t], z, rtol=0, atol=1e-14)
        # c_{t+1} = 1/(t+1): x_{t+1} is the mean of z_1, ..., z_{t+1}.
        torch.testing.assert_close(xs[t], torch.stack(zs[: t + 1]).mean(0), rtol=0, atol=1e-13)
        torch.testing.assert_close(ys[t], (1 - beta) * zs[t] + beta * xs[t], rtol=0, atol=1e-14)


def test_momentum_zero_is_sgd_in_train_mode_and_its_average_in_eval_mode() -> None:
    torch.manual_seed(0)
    models = [mlp(hidden=8, seed=4, dtype=torch.float64) for _ in range(2)]
    sf = ScheduleFreeSGD(models[0].parameters(), lr=0.1, momentum=0.0)
    sgd = torch.optim.SGD(models[1].parameters(), lr=0.1)
    running = [torch.zeros_like(p) for p in models[1].parameters()]
    batches = _batches(4, 30)
    for t, (xb, yb) in enumerate(batches):
        for model, opt in zip(models, (sf, sgd), strict=True):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        for acc, p in zip(running, models[1].parameters(), strict=True):
            acc.add_(p.detach())
        assert _max_diff(*models) < 1e-12, f"step {t}"
    sf.eval()
    for p, acc in zip(models[0].parameters(), running, strict=True):
        torch.testing.assert_close(p.detach(), acc / len(batches), rtol=0, atol=1e-12)


def test_modes_swap_x_and_y_and_step_needs_train_mode() -> None:
    model = mlp(hidden=8, seed=1, dtype=torch.float64)
    opt = ScheduleFreeSGD(model.parameters(), lr=0.2, momentum=0.9)
    assert opt.train_mode
    for xb, yb in _batches(1, 10):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    y = [p.detach().clone() for p in model.parameters()]
    opt.eval()
    opt.eval()  # idempotent: a second eval() must not move anything
    assert not opt.train_mode
    for p in model.parameters():
        torch.testing.assert_close(p.detach(), opt.state[p]["x"], rtol=0, atol=0)
    assert _max_diff(model, y) > 1e-6  # x and y really differ
    with pytest.raises(RuntimeError, match="train mode"):
        opt.step()
    opt.train()
    opt.train()
    for p, q in zip(model.parameters(), y, strict=True):
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=1e-15)


def test_schedule_free_sgd_learns_digits() -> None:
    train, val = digits(batch_size=64, seed=0)
    model = mlp(hidden=32, seed=0)
    opt = ScheduleFreeSGD(model.parameters(), lr=0.5, momentum=0.9, warmup_steps=20)
    for _ in range(5):
        opt.train()
        for xb, yb in train:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    opt.eval()
    with torch.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in val)
    assert correct / len(val.dataset) > 0.9


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (ScheduleFreeSGD, {"lr": -0.1}, "lr"),
        (ScheduleFreeSGD, {"momentum": 1.5}, "momentum"),
        (ScheduleFreeSGD, {"momentum": -0.1}, "momentum"),
        (ScheduleFreeSGD, {"momentum": float("nan")}, "momentum"),
        (ScheduleFreeSGD, {"weight_decay": -1e-3}, "weight_decay"),
        (ScheduleFreeSGD, {"warmup_steps": -1}, "warmup_steps"),
        (ScheduleFreeSGD, {"warmup_steps": 2.5}, "warmup_steps"),
        (ScheduleFreeSGD, {"r": -1.0}, "r"),
        (ScheduleFreeSGD, {"weight_lr_power": -2.0}, "weight_lr_power"),
        (ScheduleFreeAdamW, {"lr": -1.0}, "lr"),
        (ScheduleFreeAdamW, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
        (ScheduleFreeAdamW, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
        (ScheduleFreeAdamW, {"betas": (0.9,)}, "betas"),
        (ScheduleFreeAdamW, {"eps": -1e-8}, "eps"),
        (ScheduleFreeAdamW, {"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(cls, kwargs, name) -> None:
    params = [torch.nn.Parameter(torch.zeros(3))]
    with pytest.raises(ValueError, match=name):
        cls(params, **kwargs)


@pytest.mark.parametrize("momentum", [0.0, 1.0])
def test_endpoints_of_momentum_are_allowed(momentum) -> None:
    model = mlp(hidden=8, seed=0, dtype=torch.float64)
    opt = ScheduleFreeSGD(model.parameters(), lr=0.1, momentum=momentum)
    for xb, yb in _batches(0, 5):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    opt.eval()
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
@pytest.mark.parametrize("cls", [ScheduleFreeSGD, ScheduleFreeAdamW], ids=lambda c: c.__name__)
def test_tensor_lr_gives_the_same_steps_as_a_float(cls, shape):
    """A one-element tensor lr, as torch's optimizers accept, is the same rate as the float."""
    result = []
    for lr in (0.05, torch.full(shape, 0.05)):
        p = torch.nn.Parameter(torch.linspace(-1.0, 1.0, 5))
        opt = cls([p], lr=lr, warmup_steps=2)
        for k in range(4):
            p.grad = torch.sin(p.detach() * (k + 1))
            opt.step()
        opt.eval()
        result.append(p.detach().clone())
    torch.testing.assert_close(result[0], result[1], rtol=0, atol=0)
    with pytest.raises(ValueError, match="lr"):
        cls([torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor([0.1, 0.2]))
