"""Five optimizers written from scratch: SGD, Adagrad, RMSprop, Adam and AdamW.

The lectures on adaptive methods show each update rule next to the code that runs it, so every
class keeps its rule in one place: the class docstring states it in the book's notation and
``step()`` performs it line by line. The classes subclass ``torch.optim.Optimizer`` and take
torch's argument names and defaults, so torch's schedulers (and ``lrlab``'s own, through
``param_groups[i]["lr"]``) drive them unchanged, ``state_dict()`` is interchangeable with
torch's, and the tests check them against torch 2.13's single-tensor (``foreach=False``) path
to 1e-7. ``lrlab.landscapes`` runs these same classes on 2-D problems for the trajectory
pictures.

Notation (the book's): t counts the updates already made to a parameter (0 on the first
call of ``step()``), α_t is the learning rate at step t (``group["lr"]`` when ``step()`` runs,
so whatever a scheduler last wrote there), θ_t the parameters, g_t the gradient, λ the
weight decay, μ the momentum, ε the small constant added to denominators. Products and
powers of tensors are elementwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.optim.optimizer import Optimizer, ParamsT

from lrlab._validate import InvalidArgumentError, check_optimizer_lr, check_real, invalid

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]

# Recomputes the loss (zero_grad, forward, backward) and returns it, as torch's closures do.
Closure = Callable[[], Any]


def _require_at_least_zero(optimizer: Optimizer, name: str, value: float) -> None:
    check_real(name, value, low=0.0, func=type(optimizer).__name__)


def _lr_of(group: dict) -> float:
    """The group's learning rate as a float: torch also accepts a one-element tensor, of
    shape ``()``, ``[1]`` or ``[1, 1]``, which a scheduler may change in place."""
    lr = group["lr"]
    return float(lr.item()) if isinstance(lr, torch.Tensor) else lr


def _steps_as_tensors(optimizer: Optimizer) -> None:
    # A state dict may hold the step count as a plain number (older torch versions saved
    # it so); torch turns it into a 0-d tensor on load, and so do we.
    for state in optimizer.state.values():
        if "step" in state and not torch.is_tensor(state["step"]):
            state["step"] = torch.tensor(float(state["step"]))


def _evaluate(closure: Closure | None) -> Any:
    # step() runs under no_grad; a closure recomputes the loss and needs autograd back.
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def _params_with_grad(group: dict) -> Iterator[torch.Tensor]:
    for p in group["params"]:
        if p.grad is None:
            continue
        if p.grad.is_sparse:
            raise RuntimeError("lrlab.optim does not support sparse gradients")
        yield p


def _new_step_counter() -> torch.Tensor:
    # torch keeps the count as a 0-d float tensor on the CPU; doing the same keeps
    # state_dict() loadable by torch's optimizers and theirs by ours.
    return torch.tensor(0.0)


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum or Nesterov momentum.

    Update rule, for a parameter's t-th update (t = 0, 1, 2, ...)::

        g_t     = ∇L(θ_t) + λ θ_t              (−∇L(θ_t) + λ θ_t if maximize)
        b_t     = g_t                          if t = 0
                = μ b_{t−1} + (1 − τ) g_t      otherwise
        d_t     = g_t + μ b_t                  if nesterov
                = b_t                          otherwise     (d_t = g_t when μ = 0)
        θ_{t+1} = θ_t − α_t d_t

    μ is ``momentum``, τ is ``dampening``, λ is ``weight_decay`` (an L2 penalty folded into
    the gradient).

    How torch (and this class) differ from Sutskever et al. (2013), who write
    v_{t+1} = μ v_t − α g_t, θ_{t+1} = θ_t + v_{t+1}:

    * the learning rate multiplies the buffer when it is applied, not when gradients enter
      it, so a scheduler that changes α_t rescales the whole accumulated velocity at once;
    * the buffer starts as the first gradient (b_0 = g_0), not as zero, so the first
      step is not dampened;
    * Nesterov momentum is the "look-ahead" rewritten at the current point, d_t = g_t + μ b_t,
      with the gradient taken at θ_t, not at θ_t + μ v_t.

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Learning rate α (default 1e-3), >= 0: a number or a one-element tensor.
    momentum:
        μ (default 0), >= 0.
    dampening:
        τ (default 0).
    weight_decay:
        λ (default 0), >= 0.
    nesterov:
        Use Nesterov momentum; needs momentum > 0 and dampening = 0.
    maximize:
        Ascend the objective instead of descending it.

    Examples
    --------
    With a constant gradient (f(w) = 2w) the buffer grows 2, 3.8, 5.42, ... towards
    2 / (1 − μ) = 20, so the steps α b_t lengthen: 0.2, 0.38, 0.542.

    >>> import torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (2 * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([-0.1220], requires_grad=True)
    >>> opt.state[w]["momentum_buffer"]
    tensor([5.4200])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_optimizer_lr("lr", lr, func=type(self).__name__)
        _require_at_least_zero(self, "momentum", momentum)
        _require_at_least_zero(self, "weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise InvalidArgumentError(
                "The 'nesterov' parameter of SGD can be True only with momentum > 0 and "
                f"dampening = 0. Got momentum={momentum!r}, dampening={dampening!r} instead."
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """Apply one update to every parameter that has a gradient; return the closure's loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, mu, tau = _lr_of(group), group["momentum"], group["dampening"]
            wd = group["weight_decay"]
            for p in _params_with_grad(group):
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g.add(p, alpha=wd)
                if mu != 0:
                    state = self.state[p]
                    b = state.get("momentum_buffer")
                    if b is None:  # t = 0
                        b = state["momentum_buffer"] = g.clone()
                    else:
                        b.mul_(mu).add_(g, alpha=1 - tau)
                    g = g.add(b, alpha=mu) if group["nesterov"] else b
                p.add_(g, alpha=-lr)
        return loss


class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step is divided by the root of its summed squared gradients.

    Update rule, for a parameter's t-th update (t = 0, 1, 2, ...)::

        g_t     = ∇L(θ_t) + λ θ_t              (−∇L(θ_t) + λ θ_t if maximize)
        η_t     = α_t / (1 + t · lr_decay)
        G_t     = G_{t−1} + g_t²               with G_{−1} = initial_accumulator_value
        θ_{t+1} = θ_t − η_t g_t / (√G_t + ε)

    How torch (and this class) differ from Duchi, Hazan and Singer (2011), whose diagonal
    rule is θ_{t+1} = θ_t − α g_t / (δ + √G_t) (ε here plays their δ):

    * ``lr_decay`` adds a 1/(1 + t · lr_decay) decay of its own, on top of any scheduler;
      its t counts this parameter's updates, which is the scheduler's t only when both
      advance once per batch;
    * ``initial_accumulator_value`` starts G above zero, which tames the first steps;
    * ``weight_decay`` is an L2 penalty folded into the gradient, so it is accumulated in G.

    The accumulator is created on a parameter's first update from its group's
    ``initial_accumulator_value`` (torch creates it in ``__init__``; the updates are the same).

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Learning rate α (default 1e-2), >= 0: a number or a one-element tensor.
    lr_decay:
        The built-in decay's rate in η_t = α_t / (1 + t · lr_decay) (default 0), >= 0.
    weight_decay:
        λ (default 0), >= 0.
    initial_accumulator_value:
        G_{−1} (default 0), >= 0.
    eps:
        ε (default 1e-10), >= 0.
    maximize:
        Ascend the objective instead of descending it.

    Examples
    --------
    With a constant gradient (f(w) = 3w) G_t grows as (t + 1) · 9, so the k-th step is
    α / √k: 1 − 0.1 (1 + 1/√2 + 1/√3) = 0.7716 after three.

    >>> import torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (3 * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([0.7716], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        check_optimizer_lr("lr", lr, func=type(self).__name__)
        _require_at_least_zero(self, "lr_decay", lr_decay)
        _require_at_least_zero(self, "weight_decay", weight_decay)
        _require_at_least_zero(self, "initial_accumulator_value", initial_accumulator_value)
        _require_at_least_zero(self, "eps", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _steps_as_tensors(self)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """Apply one update to every parameter that has a gradient; return the closure's loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, eps, wd = _lr_of(group), group["eps"], group["weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = _new_step_counter()
                    state["sum"] = torch.full_like(
                        p, group["initial_accumulator_value"], memory_format=torch.preserve_format
                    )
                state["step"] += 1
                t = state["step"].item() - 1
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g.add(p, alpha=wd)
                eta = lr / (1 + t * group["lr_decay"])
                G = state["sum"].addcmul_(g, g)
                p.addcdiv_(g, G.sqrt().add_(eps), value=-eta)
        return loss


class RMSprop(Optimizer):
    r"""RMSprop: divide the step by a running root-mean-square of recent gradients.

    torch calls the smoothing constant ``alpha``; the rule writes it ρ because α_t is the
    learning rate in this book. For a parameter's t-th update (t = 0, 1, 2, ...)::

        g_t     = ∇L(θ_t) + λ θ_t              (−∇L(θ_t) + λ θ_t if maximize)
        v_t     = ρ v_{t−1} + (1 − ρ) g_t²      with v_{−1} = 0
        m_t     = ρ m_{t−1} + (1 − ρ) g_t       with m_{−1} = 0   (only if centered)
        s_t     = √(v_t − m_t²) + ε  if centered,   √v_t + ε  otherwise
        b_t     = μ b_{t−1} + g_t / s_t         with b_{−1} = 0   (only if μ > 0)
        θ_{t+1} = θ_t − α_t b_t    if μ > 0,     θ_t − α_t g_t / s_t  otherwise

    The rule comes from Hinton's lecture notes (Coursera, 2012, lecture 6e), which give no ε.
    The centered variant and the momentum come from Graves (2013, "Generating sequences with
    recurrent neural networks"), who differs from torch (and this class) in two ways: his ε
    sits inside the square root, √(v_t − m_t² + ε), as in TensorFlow's RMSprop; and his
    momentum buffer holds learning-rate-scaled steps, so there a change of α_t only affects
    new gradients while here it rescales the whole buffer at once.
    There is no bias correction: v starts at zero, so the first step moves each coordinate
    by about α / √(1 − ρ) (10 α for ρ = 0.99).

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Learning rate α (default 1e-2), >= 0: a number or a one-element tensor.
    alpha:
        Smoothing constant ρ (default 0.99), in [0, 1] (torch accepts any ρ >= 0, but
        ρ > 1 makes v_t negative and the step NaN).
    eps:
        ε (default 1e-8), >= 0.
    weight_decay:
        λ (default 0), >= 0.
    momentum:
        μ (default 0), >= 0.
    centered:
        Subtract the squared running mean of g from v (estimates the variance).
    maximize:
        Ascend the objective instead of descending it.

    Examples
    --------
    The first step is α / √(1 − ρ) = 10 α in every coordinate, whatever the gradient's
    scale (here 2 and −400):

    >>> import torch
    >>> w = torch.tensor([1.0, -200.0], requires_grad=True)
    >>> w.grad = torch.tensor([2.0, -400.0])
    >>> RMSprop([w], lr=0.01).step()
    >>> w
    tensor([   0.9000, -199.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_optimizer_lr("lr", lr, func=type(self).__name__)
        _require_at_least_zero(self, "eps", eps)
        _require_at_least_zero(self, "momentum", momentum)
        _require_at_least_zero(self, "weight_decay", weight_decay)
        # rho > 1 would make v_t negative: NaN
        check_real("alpha", alpha, low=0.0, high=1.0, func=type(self).__name__)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """Apply one update to every parameter that has a gradient; return the closure's loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = _lr_of(group), group["alpha"], group["eps"]
            mu, wd = group["momentum"], group["weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = _new_step_counter()
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    if mu > 0:
                        state["momentum_buffer"] = torch.zeros_like(
                            p, memory_format=torch.preserve_format
                        )
                    if group["centered"]:
                        state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g.add(p, alpha=wd)
                v = state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)
                if group["centered"]:
                    m = state["grad_avg"].lerp_(g, 1 - rho)
                    s = v.addcmul(m, m, value=-1).sqrt_().add_(eps)
                else:
                    s = v.sqrt().add_(eps)
                if mu > 0:
                    b = state["momentum_buffer"].mul_(mu).addcdiv_(g, s)
                    p.add_(b, alpha=-lr)
                else:
                    p.addcdiv_(g, s, value=-lr)
        return loss


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, divided by a running root-mean-square of it.

    Update rule, for a parameter's t-th update (t = 0, 1, 2, ...)::

        g_t     = ∇L(θ_t) + λ θ_t              (−∇L(θ_t) if maximize; no λ θ_t if decoupled)
        m_t     = β₁ m_{t−1} + (1 − β₁) g_t     with m_{−1} = 0
        v_t     = β₂ v_{t−1} + (1 − β₂) g_t²    with v_{−1} = 0
        v̄_t     = max(v̄_{t−1}, v_t) if amsgrad,  v_t otherwise
        θ_{t+1} = θ_t − α_t / (1 − β₁^{t+1}) · m_t / (√v̄_t / √(1 − β₂^{t+1}) + ε)

    The last line is Algorithm 1 of Kingma and Ba (2015), θ − α m̂ / (√v̂ + ε) with the
    bias corrections m̂ = m / (1 − β₁^{t+1}) and v̂ = v / (1 − β₂^{t+1}), computed in torch's
    order: ε is added after √v has been bias-corrected. (The paper's "more efficient"
    ordering in its Section 2 adds ε before the correction, which changes the early steps.)

    How torch (and this class) differ from the papers:

    * ``weight_decay`` is an L2 penalty added to the gradient, so it passes through m and
      v and is divided by √v̂ like everything else; Adam has no weight decay in the paper.
      For weight decay that is not rescaled, use :class:`AdamW`
      (or ``decoupled_weight_decay=True``, which is what AdamW sets).
    * ``amsgrad`` keeps the running maximum of v and then bias-corrects it; Reddi, Kale and
      Kumar (2018) use no bias correction at all.

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Learning rate α (default 1e-3), >= 0: a number or a one-element tensor.
    betas:
        (β₁, β₂) (default (0.9, 0.999)), each in [0, 1).
    eps:
        ε (default 1e-8), >= 0.
    weight_decay:
        λ (default 0), >= 0.
    amsgrad:
        Divide by the running maximum of v instead of v.
    maximize:
        Ascend the objective instead of descending it.
    decoupled_weight_decay:
        Shrink θ by (1 − α_t λ) instead of adding λ θ to g (AdamW).

    Examples
    --------
    The bias corrections make the first step α in every coordinate, whatever the
    gradient's scale (here 2 and −400); torch's own class takes the same step.

    >>> import torch
    >>> w = torch.tensor([1.0, -200.0], requires_grad=True)
    >>> w.grad = torch.tensor([2.0, -400.0])
    >>> Adam([w], lr=0.1).step()
    >>> w
    tensor([   0.9000, -199.9000], requires_grad=True)
    >>> v = torch.tensor([1.0, -200.0], requires_grad=True)
    >>> v.grad = torch.tensor([2.0, -400.0])
    >>> torch.optim.Adam([v], lr=0.1).step()
    >>> torch.equal(w, v)
    True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_optimizer_lr("lr", lr, func=type(self).__name__)
        _require_at_least_zero(self, "eps", eps)
        if len(betas) != 2:
            raise invalid(type(self).__name__, "betas", "be a pair (beta1, beta2)", repr(betas))
        for i, beta in enumerate(betas):
            check_real(
                f"betas[{i}]",
                beta,
                low=0.0,
                high=1.0,
                high_inclusive=False,
                func=type(self).__name__,
            )
        _require_at_least_zero(self, "weight_decay", weight_decay)
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _steps_as_tensors(self)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> Any:
        """Apply one update to every parameter that has a gradient; return the closure's loss."""
        loss = _evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _lr_of(group), group["betas"], group["eps"]
            wd, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = _new_step_counter()
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    if amsgrad:
                        state["max_exp_avg_sq"] = torch.zeros_like(
                            p, memory_format=torch.preserve_format
                        )
                state["step"] += 1
                t_plus_1 = state["step"].item()
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * wd)
                    else:
                        g = g.add(p, alpha=wd)
                # lerp_ is torch's way of writing β₁ m + (1 − β₁) g; the same op keeps us exact.
                m = state["exp_avg"].lerp_(g, 1 - beta1)
                v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if amsgrad:
                    v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                bias_correction1 = 1 - beta1**t_plus_1
                bias_correction2 = 1 - beta2**t_plus_1
                denominator = (v.sqrt() / bias_correction2**0.5).add_(eps)
                p.addcdiv_(m, denominator, value=-lr / bias_correction1)
        return loss


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    The weights shrink by a factor (1 − α_t λ) before the Adam step, instead of λ θ being
    added to the gradient; so the decay is not divided by √v̂ and is the same for every
    coordinate. For a parameter's t-th update (t = 0, 1, 2, ...)::

        g_t     = ∇L(θ_t)                      (−∇L(θ_t) if maximize)
        θ'_t    = (1 − α_t λ) θ_t
        m_t, v_t, v̄_t as in Adam
        θ_{t+1} = θ'_t − α_t / (1 − β₁^{t+1}) · m_t / (√v̄_t / √(1 − β₂^{t+1}) + ε)

    How torch (and this class) differ from the paper: the paper's Algorithm 2 decays by
    η_t λ θ, where η_t is a schedule multiplier and the learning rate α is not part of the
    product; torch uses α_t λ θ. A torch ``weight_decay`` of λ is therefore the paper's λ
    times α, and changing the learning rate (by hand or with a scheduler) changes the decay
    with it. The default λ is 1e-2, as in torch. The update itself is :meth:`Adam.step` with
    ``decoupled_weight_decay=True``; it is not repeated here.

    Parameters
    ----------
    params:
        Parameters to optimize, or dicts defining parameter groups.
    lr:
        Learning rate α (default 1e-3), >= 0: a number or a one-element tensor.
    betas:
        (β₁, β₂) (default (0.9, 0.999)), each in [0, 1).
    eps:
        ε (default 1e-8), >= 0.
    weight_decay:
        λ (default 1e-2), >= 0.
    amsgrad:
        Divide by the running maximum of v instead of v.
    maximize:
        Ascend the objective instead of descending it.

    Examples
    --------
    With a zero gradient Adam's step is zero and only the decay acts: the weights shrink
    by 1 − α λ = 0.95, the same factor in every coordinate.

    >>> import torch
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> w.grad = torch.zeros(2)
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w
    tensor([ 0.9500, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
