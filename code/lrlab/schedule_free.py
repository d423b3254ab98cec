"""Schedule-free SGD and AdamW (Defazio et al., 2024), written to be read next to the lecture.

The lecture "Current practice" (``lectures/modern_practice.md``) teaches schedule-free
optimization; this module is the code it shows and runs. A schedule-free optimizer keeps two
sequences per parameter and hands the model a third:

* ``z``, the base sequence: plain SGD (or an Adam-normalized step) with a constant
  learning rate, ``z_{t+1} = z_t − α_t g_t``;
* ``x``, a running weighted average of the z's, ``x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}``;
  x is what you *evaluate* (and save);
* ``y = (1 − β) z + β x``, an interpolation between the two; the gradient g_t is taken at y_t,
  so y is what the model holds while it *trains*.

With a constant learning rate and no warm-up, ``c_{t+1} = 1/(t + 1)``, so x_{t+1} is the plain
mean of z_1, ..., z_{t+1}. With a warm-up, every z is weighted by the square of the largest
learning rate reached so far (``weight_lr_power = 2``), so the small early steps count less:
``c_{t+1} = w_t / Σ_{i ≤ t} w_i`` with ``w_i = (i + 1)^r · (max_{j ≤ i} α_j)^{weight_lr_power}``.

Because the model must hold y while training and x while being evaluated, the optimizers have
modes, like the reference package ``schedulefree``: call ``optimizer.train()`` before training
steps and ``optimizer.eval()`` before measuring validation loss or saving a checkpoint. These are
the optimizer's modes, independent of ``model.train()``/``model.eval()`` (dropout, batch norm).
An optimizer starts in train mode (at t = 0 the three sequences coincide, so nothing is lost).

Unlike the package's memory-saving versions, which store only z and reconstruct x from y, these
classes store x and z explicitly and rebuild y = (1 − β) z + β x: one tensor more per parameter,
in exchange for code that is the update rule line by line. ``tests/test_schedule_free.py``
checks them against ``schedulefree`` 1.4 (``SGDScheduleFree``, ``AdamWScheduleFree`` and their
reference versions) in float64.

Notation (the book's): t counts the optimizer steps taken (0 on the first call of
``step()``), α_t is the learning rate used at step t (``group["lr"]`` times the linear warm-up
factor), g_t the gradient at y_t, λ the weight decay, β the interpolation weight (``momentum``
for SGD, ``betas[0]`` for AdamW).
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real

import torch
from torch.optim.optimizer import Optimizer, ParamsT

from lrlab._validate import Interval, check, check_optimizer_lr, invalid

__all__ = ["ScheduleFreeAdamW", "ScheduleFreeSGD"]


def _check_range(
    func: str, name: str, value: float, low: float, high: float, *, high_open: bool
) -> None:
    check(func, name, value, Interval(Real, low, high, closed="left" if high_open else "both"))


def _check_non_negative(func: str, name: str, value: float) -> None:
    check(func, name, value, Interval(Real, 0, None, closed="left"))


def _check_warmup(func: str, warmup_steps: int) -> None:
    check(func, "warmup_steps", warmup_steps, Interval(Integral, 0, None, closed="left"))


class _ScheduleFree(Optimizer):
    """What both optimizers share: the modes, the warm-up and the averaging weight c_{t+1}.

    Subclasses implement :meth:`_z_direction`, the direction d_t with z_{t+1} = z_t − α_t d_t,
    and :meth:`_beta`, the interpolation weight β of a group.
    """

    def __init__(self, params: ParamsT, defaults: dict) -> None:
        defaults = {**defaults, "train_mode": True, "step": 0, "weight_sum": 0.0, "lr_max": 0.0}
        super().__init__(params, defaults)

    # -- the two modes -------------------------------------------------------------------
    @property
    def train_mode(self) -> bool:
        """True while the parameters hold y (training), False while they hold x (evaluation)."""
        return all(group["train_mode"] for group in self.param_groups)

    @torch.no_grad()
    def eval(self) -> None:
        """Put x, the averaged iterate, into the parameters: use it to evaluate and to save."""
        for group in self.param_groups:
            if group["train_mode"]:
                for p in group["params"]:
                    state = self.state[p]
                    if "x" in state:
                        p.copy_(state["x"])
                group["train_mode"] = False

    @torch.no_grad()
    def train(self) -> None:
        """Put y = (1 − β) z + β x back into the parameters: gradients are taken there."""
        for group in self.param_groups:
            if not group["train_mode"]:
                beta = self._beta(group)
                for p in group["params"]:
                    state = self.state[p]
                    if "x" in state:
                        p.copy_(torch.lerp(state["z"], state["x"], beta))
                group["train_mode"] = True

    # -- one step ------------------------------------------------------------------------
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Take one step from the gradients at y_t; return the closure's loss."""
        if not self.train_mode:
            raise RuntimeError(
                "step() needs the optimizer in train mode: call optimizer.train() "
                "before training and optimizer.eval() before evaluating"
            )
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            t = group["step"]
            # α_t: the base rate times the built-in linear warm-up (t + 1) / W.
            warmup = group["warmup_steps"]
            # float(): torch also allows a one-element tensor lr, e.g. of shape [1] or [1, 1].
            lr = float(group["lr"]) * ((t + 1) / warmup if t < warmup else 1.0)
            group["scheduled_lr"] = lr  # what a logger should record as α_t

            # c_{t+1}, the weight of z_{t+1} in the average x. Weighting by the
            # largest rate so far makes the small warm-up steps count little;
            # without warm-up it gives c_{t+1} = 1 / (t + 1).
            group["lr_max"] = max(group["lr_max"], lr)
            weight = (t + 1) ** group["r"] * group["lr_max"] ** group["weight_lr_power"]
            group["weight_sum"] += weight
            c = weight / group["weight_sum"] if group["weight_sum"] > 0 else 0.0
            beta, wd = self._beta(group), group["weight_decay"]

            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("schedule-free optimizers need dense gradients")
                state = self.state[p]
                if "z" not in state:  # t = 0: z_0 = x_0 = y_0 = θ_0
                    state["z"] = p.detach().clone()
                    state["x"] = p.detach().clone()
                y, z, x = p, state["z"], state["x"]

                d = self._z_direction(p.grad, state, group, t)
                if wd != 0:  # weight decay, taken at y like the gradient
                    d = d.add(y, alpha=wd)
                # z_{t+1} = z_t − α_t d_t
                z.sub_(d, alpha=lr)
                # x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}
                x.lerp_(z, c)
                # y_{t+1} = (1 − β) z_{t+1} + β x_{t+1}: where the next gradient is taken
                y.copy_(torch.lerp(z, x, beta))
            group["step"] = t + 1
        return loss

    def _beta(self, group: dict) -> float:
        raise NotImplementedError

    def _z_direction(self, grad: torch.Tensor, state: dict, group: dict, t: int) -> torch.Tensor:
        raise NotImplementedError


class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-free SGD: constant-lr SGD on z, evaluated at a running average x of the z's.

    Update rule, for step t = 0, 1, 2, ... (z_0 = x_0 = y_0 = θ_0)::

        α_t     = lr · min(1, (t + 1) / warmup_steps)        (α_t = lr without warm-up)
        g_t     = ∇L(y_t) + λ y_t
        z_{t+1} = z_t − α_t g_t
        x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}
        y_{t+1} = (1 − β) z_{t+1} + β x_{t+1}

    with c_{t+1} = w_t / Σ_{i=0}^{t} w_i, w_i = (i + 1)^r (max_{j≤i} α_j)^{weight_lr_power};
    without warm-up (and r = 0) that is c_{t+1} = 1 / (t + 1). β is ``momentum``.

    β = 0 gives SGD evaluated at the Polyak average of its iterates; β = 1 takes the gradients
    at the average itself (primal averaging). The paper's default is β = 0.9. The package
    ``schedulefree`` requires 0 < β < 1 because it recovers x from y by dividing by β; these
    classes store x, so both ends are allowed.

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Base learning rate (default 1.0, the package's default), >= 0: a number or a
        one-element tensor.
    momentum:
        β, in [0, 1] (default 0.9).
    weight_decay:
        λ, an L2 penalty added to the gradient at y (default 0), >= 0.
    warmup_steps:
        Length of the built-in linear warm-up (default 0), an int >= 0.
    r:
        Polynomial weighting power of the average (default 0), >= 0.
    weight_lr_power:
        Power of the lr in the averaging weights (default 2), >= 0.

    Examples
    --------
    With a constant gradient (f(w) = 2w) and α = 0.1, z takes the steps of plain SGD
    (0.8, 0.6, 0.4), x is their mean, 0.6, and the parameter holds
    y = 0.1 · 0.4 + 0.9 · 0.6 = 0.58 until ``opt.eval()`` puts x there.

    >>> import torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = ScheduleFreeSGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (2 * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([0.5800], requires_grad=True)
    >>> opt.eval()
    >>> w
    tensor([0.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
    ) -> None:
        check_optimizer_lr("lr", lr, func="ScheduleFreeSGD")
        _check_range("ScheduleFreeSGD", "momentum", momentum, 0.0, 1.0, high_open=False)
        _check_non_negative("ScheduleFreeSGD", "weight_decay", weight_decay)
        _check_warmup("ScheduleFreeSGD", warmup_steps)
        _check_non_negative("ScheduleFreeSGD", "r", r)
        _check_non_negative("ScheduleFreeSGD", "weight_lr_power", weight_lr_power)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": weight_lr_power,
        }
        super().__init__(params, defaults)

    def _beta(self, group: dict) -> float:
        return group["momentum"]

    def _z_direction(self, grad: torch.Tensor, state: dict, group: dict, t: int) -> torch.Tensor:
        return grad


class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-free AdamW: the z step is Adam's normalized gradient, without a first moment.

    Update rule, for step t = 0, 1, 2, ... (z_0 = x_0 = y_0 = θ_0, v_{−1} = 0)::

        α_t     = lr · min(1, (t + 1) / warmup_steps)
        g_t     = ∇L(y_t)
        v_t     = β_2 v_{t−1} + (1 − β_2) g_t²
        d_t     = g_t / (√(v_t / (1 − β_2^{t+1})) + ε) + λ y_t
        z_{t+1} = z_t − α_t d_t
        x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}
        y_{t+1} = (1 − β_1) z_{t+1} + β_1 x_{t+1}

    with c_{t+1} as in :class:`ScheduleFreeSGD`. The interpolation with x replaces Adam's
    first moment, so β_1 plays the role of momentum; weight decay is decoupled from the
    normalization (AdamW-style) and taken at y. Products and powers are elementwise.

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Base learning rate (default 0.0025, the package's default), >= 0: a number or a
        one-element tensor.
    betas:
        (β_1, β_2), each in [0, 1) (default (0.9, 0.999)).
    eps:
        ε (default 1e-8), >= 0.
    weight_decay:
        λ (default 0), >= 0.
    warmup_steps:
        Length of the built-in linear warm-up (default 0), an int >= 0.
    r:
        Polynomial weighting power of the average (default 0), >= 0.
    weight_lr_power:
        Power of the lr in the averaging weights (default 2), >= 0.

    Examples
    --------
    With a constant gradient every z step is α = 0.1 (the normalized gradient is 1), so
    z = 0.9, 0.8, 0.7, x is their mean, 0.8, and y = 0.1 · 0.7 + 0.9 · 0.8 = 0.79.

    >>> import torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = ScheduleFreeAdamW([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (2 * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([0.7900], requires_grad=True)
    >>> opt.eval()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
    ) -> None:
        check_optimizer_lr("lr", lr, func="ScheduleFreeAdamW")
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise invalid("ScheduleFreeAdamW", "betas", "be a pair (beta1, beta2)", repr(betas))
        _check_range("ScheduleFreeAdamW", "betas[0]", betas[0], 0.0, 1.0, high_open=True)
        _check_range("ScheduleFreeAdamW", "betas[1]", betas[1], 0.0, 1.0, high_open=True)
        _check_non_negative("ScheduleFreeAdamW", "eps", eps)
        _check_non_negative("ScheduleFreeAdamW", "weight_decay", weight_decay)
        _check_warmup("ScheduleFreeAdamW", warmup_steps)
        _check_non_negative("ScheduleFreeAdamW", "r", r)
        _check_non_negative("ScheduleFreeAdamW", "weight_lr_power", weight_lr_power)
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "warmup_steps": warmup_steps,
            "r": r,
            "weight_lr_power": weight_lr_power,
        }
        super().__init__(params, defaults)

    def _beta(self, group: dict) -> float:
        return group["betas"][0]

    def _z_direction(self, grad: torch.Tensor, state: dict, group: dict, t: int) -> torch.Tensor:
        beta2, eps = group["betas"][1], group["eps"]
        if "exp_avg_sq" not in state:
            state["exp_avg_sq"] = torch.zeros_like(grad)
        v = state["exp_avg_sq"]
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (v / (1 - beta2 ** (t + 1))).sqrt_().add_(eps)
        return grad / denom
