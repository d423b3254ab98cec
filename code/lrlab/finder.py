r"""The learning-rate range test ("LR finder") and the rules that read a learning rate off it.

Taught in the lecture on finding a good learning rate. The test (Smith, *Cyclical Learning
Rates for Training Neural Networks*, 2017; popularised by fastai's ``lr_find`` and the
``torch-lr-finder`` package) trains for a few steps while the learning rate grows from a tiny
``start_lr`` to a huge ``end_lr``. At step $t = 0, 1, \dots, N-1$ (``N = num_iter``) it uses

$$\alpha_t = \alpha_{\text{start}} \left(\frac{\alpha_{\text{end}}}{\alpha_{\text{start}}}
\right)^{t/(N-1)} \quad\text{(``step_mode="exp"``)}, \qquad
\alpha_t = \alpha_{\text{start}} + \frac{t}{N-1}(\alpha_{\text{end}} - \alpha_{\text{start}})
\quad\text{(``"linear"``)},$$

so the last step uses exactly ``end_lr``. The recorded loss is smoothed with an exponential
moving average started at the first loss, $\bar L_0 = L_0$ and
$\bar L_t = f L_t + (1 - f)\bar L_{t-1}$ with $f$ = ``smooth_f`` (starting at $L_0$ rather
than at 0 is why no bias correction is needed). The test stops early once
$\bar L_t > \text{diverge\_th} \cdot \min_{s \le t} \bar L_s$ (that last point is kept) or when
a loss is not finite (that point is dropped). Afterwards the model's parameters, buffers,
gradients and train/eval modes and the optimizer's state and learning rates are put back
exactly as they were, so the test can be run before real training with the same objects.
The loop, the learning-rate grid, the smoothing and the stopping rule are those of
``torch-lr-finder`` 0.2.2, so both record the same curve on the same model and batches.

Reading a learning rate off the curve (:meth:`RangeTestResult.suggest`)
-----------------------------------------------------------------------
``"steepest"``
    The point where the smoothed loss falls fastest against $\log \alpha$ (the most negative
    ``np.gradient`` of the loss with respect to $\log\alpha$), after dropping the first 10 and
    the last 5 points. This is ``torch-lr-finder``'s suggestion (``LRFinder.plot``): with the
    default exponential grid its gradient per index is the gradient against $\log\alpha$
    times a constant, so the two picks coincide. (With ``step_mode="linear"``,
    ``torch-lr-finder`` differentiates against the index, that is against $\alpha$, and may pick
    a different point; lrlab always uses $\log \alpha$, the axis the curve is plotted on.)
``"valley"``
    fastai's default rule (``fastai.callback.schedule.valley``), on the curve with the first
    ``num_iter // 10`` and the last 5 points dropped: find the longest strictly decreasing
    subsequence of the losses (not necessarily contiguous; dynamic programming, first one
    found), and with its end index $e$ and length $\ell$ set $s = e - \ell$ and pick the index
    $s + \lfloor (e - s)/3 \rfloor + \lfloor (e - s)/6 \rfloor$, about halfway from $s$ to
    $e$, which on the exponential grid is halfway in $\log\alpha$. (The rule is often
    described as picking a point "about 2/3 of the way down the valley"; the index arithmetic
    above, $1/3 + 1/6$ of the way, is what fastai's code does.) lrlab transcribes it exactly,
    except that a degenerate index of -1 (a two-point valley) is clamped to 0 where fastai
    would wrap around to the last point.
``"minimum"``
    fastai's ``minimum`` rule: the learning rate of the lowest smoothed loss (same trimming
    as ``"valley"``) divided by 10, since the minimum itself sits at the edge of divergence.

How the picks differ on the course's network, and what training at each pick gives, is
measured in ``lectures/lr_range_test``; each rule gives a starting point for a schedule's
$\alpha_0$ or peak rate, not an optimum.

The curves themselves differ slightly between the libraries: fastai smooths with a
bias-corrected average of factor 0.02 (lrlab and ``torch-lr-finder``: 0.05 from the first
loss), stops at 4 times the best loss (here 5 by default) and spaces its grid as $t/N$ instead
of $t/(N-1)$, so it never reaches ``end_lr``. The suggestion rules above are applied to
lrlab's own curve; the tests check them against ``torch-lr-finder`` itself and against a
transcription of fastai's rules on the same recorded curve.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab._validate import InstanceOf, Interval, IsCallable, Options, check, validate_params

__all__ = ["SUGGESTION_METHODS", "RangeTestResult", "lr_range_test"]

#: Names accepted by :meth:`RangeTestResult.suggest`.
SUGGESTION_METHODS = ("steepest", "valley", "minimum")

# Default trimming (points dropped at the start and the end of the curve) of each rule,
# copied from the library each rule comes from; `None` at the start means num_iter // 10.
_DEFAULT_SKIPS: dict[str, tuple[int | None, int]] = {
    "steepest": (10, 5),  # torch-lr-finder's LRFinder.plot defaults
    "valley": (None, 5),  # fastai's lr_find: recorder.losses[num_it // 10 : -5]
    "minimum": (None, 5),
}


@dataclass
class RangeTestResult:
    """What :func:`lr_range_test` recorded.

    Attributes
    ----------
    lrs:
        Learning rate $\\alpha_t$ used at each recorded step.
    losses:
        Smoothed training loss $\\bar L_t$ after each recorded step.
    raw_losses:
        The unsmoothed mini-batch losses $L_t$.
    num_iter:
        The number of steps asked for (``len(lrs)`` is smaller when the test stopped early).
    step_mode:
        ``"exp"`` or ``"linear"``.
    diverged:
        True when the test stopped early, on the divergence threshold or a non-finite loss.
    """

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float] = field(default_factory=list)
    num_iter: int = 0
    step_mode: str = "exp"
    diverged: bool = False

    def _trimmed(
        self, method: str, skip_start: int | None, skip_end: int | None
    ) -> tuple[int, np.ndarray, np.ndarray]:
        check("RangeTestResult.suggest", "method", method, Options(SUGGESTION_METHODS))
        default_start, default_end = _DEFAULT_SKIPS[method]
        if skip_start is None:
            skip_start = self.num_iter // 10 if default_start is None else default_start
        if skip_end is None:
            skip_end = default_end
        for name, value in [("skip_start", skip_start), ("skip_end", skip_end)]:
            check("RangeTestResult.suggest", name, value, Interval(Integral, 0, None, "left"))
        lrs = np.asarray(self.lrs, dtype=float)
        losses = np.asarray(self.losses, dtype=float)
        stop = len(lrs) - skip_end
        lrs, losses = lrs[skip_start:stop], losses[skip_start:stop]
        # fastai drops everything from the first NaN on; lr_range_test never records one, but
        # a hand-made result might.
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            lrs, losses = lrs[: bad[0]], losses[: bad[0]]
        if len(losses) < 2:
            raise ValueError(
                f"the {method!r} rule needs at least 2 points after dropping skip_start="
                f"{skip_start} and skip_end={skip_end} of the {len(self.lrs)} recorded; "
                "run more iterations (num_iter), a wider lr range, or lower the skips"
            )
        return skip_start, lrs, losses

    def suggestion_index(
        self, method: str = "valley", *, skip_start: int | None = None, skip_end: int | None = None
    ) -> int:
        """Index into :attr:`lrs` of the point a rule picks (see :meth:`suggest`).

        For ``"minimum"`` this is the lowest point; the suggestion is its rate divided by 10.
        """
        offset, lrs, losses = self._trimmed(method, skip_start, skip_end)
        if method == "steepest":
            idx = int(np.argmin(np.gradient(losses, np.log(lrs))))
        elif method == "valley":
            idx = _valley_index(losses)
        else:
            idx = int(np.argmin(losses))
        return offset + idx

    def suggest(
        self, method: str = "valley", *, skip_start: int | None = None, skip_end: int | None = None
    ) -> float:
        """A learning rate read off the curve by one of the rules in the module docstring.

        Parameters
        ----------
        method:
            ``"steepest"`` (torch-lr-finder), ``"valley"`` (fastai's default) or
            ``"minimum"`` (fastai: the lowest point's rate / 10).
        skip_start, skip_end:
            Points dropped at the start and the end before the rule looks at the curve.
            Defaults are the source library's: 10 and 5 for ``"steepest"``,
            ``num_iter // 10`` and 5 for the other two.
        """
        idx = self.suggestion_index(method, skip_start=skip_start, skip_end=skip_end)
        lr = float(self.lrs[idx])
        return lr / 10.0 if method == "minimum" else lr

    def plot(self, ax: Any = None, method: str | Sequence[str] | None = "valley") -> Any:
        """Plot the smoothed loss against the learning rate (log axis), marking suggestions.

        Parameters
        ----------
        ax:
            A matplotlib ``Axes`` to draw on; a new figure is made when None.
        method:
            Suggestion rule(s) to mark with a dot and a legend entry, or None for none.
            A rule that cannot be applied (too few points) is skipped, not an error.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        methods = [method] if isinstance(method, str) else list(method or ())
        log_lrs = np.log(np.asarray(self.lrs, dtype=float))
        for name in methods:
            check("RangeTestResult.plot", "method", name, Options(SUGGESTION_METHODS))
            try:
                lr = self.suggest(name)
            except ValueError:
                continue  # too short a curve for this rule: draw the curve without the mark
            loss_at = float(np.interp(math.log(lr), log_lrs, self.losses))
            ax.plot([lr], [loss_at], "o", zorder=3, label=f"{name}: α = {lr:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate α")
        ax.set_ylabel("training loss (smoothed)")
        if methods:
            ax.legend()
        return ax


def _valley_index(losses: np.ndarray) -> int:
    """fastai's ``valley`` index on an already trimmed curve (see the module docstring)."""
    n = len(losses)
    # run[i]: length of the longest strictly decreasing subsequence that ends at i.
    run = np.ones(n, dtype=int)
    for i in range(1, n):
        higher_before = run[:i][losses[:i] > losses[i]]
        if higher_before.size:
            run[i] = higher_before.max() + 1
    end = int(np.argmax(run))  # the first index where the longest run ends, as in fastai
    start = end - int(run[end])
    third = (end - start) / 3
    return max(start + int(third) + int(third / 2), 0)


def _cycle(loader: Iterable[Any]) -> Iterator[Any]:
    """Batches of ``loader`` forever, starting a new pass whenever one ends."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("train_loader yielded no batches")


@validate_params(
    model=InstanceOf(nn.Module, "torch.nn.Module"),
    loss_fn=IsCallable(),
    optimizer=InstanceOf(torch.optim.Optimizer, "torch.optim.Optimizer"),
    start_lr=Interval(Real, 0, None, closed="neither"),
    end_lr=Interval(Real, 0, None, closed="neither"),
    num_iter=Interval(Integral, 2, None, closed="left"),
    step_mode=Options({"exp", "linear"}),
    smooth_f=Interval(Real, 0, 1, closed="left"),
)
def lr_range_test(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable[Any],
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    step_mode: str = "exp",
    smooth_f: float = 0.05,
    diverge_th: float = 5.0,
) -> RangeTestResult:
    """Run the learning-rate range test and restore the model and optimizer afterwards.

    Parameters
    ----------
    model:
        The network; it is trained in ``train()`` mode during the test.
    loss_fn:
        ``loss_fn(model(x), y)`` returns a scalar, positive loss (e.g. ``F.cross_entropy``).
    optimizer:
        Any ``torch.optim.Optimizer`` over the model's parameters (torch's or ``lrlab.optim``'s).
        Every parameter group gets the same $\\alpha_t$ during the test.
    train_loader:
        An iterable of ``(x, y, ...)`` batches; it is cycled when ``num_iter`` exceeds one
        pass. Shuffling loaders advance their random state, as in any training loop.
    start_lr, end_lr:
        The range, ``0 < start_lr < end_lr``, both finite.
    num_iter:
        Number of steps $N \\ge 2$; the test may stop earlier (see ``diverge_th``).
    step_mode:
        ``"exp"`` (geometric grid, the usual choice) or ``"linear"``.
    smooth_f:
        Smoothing factor $f \\in [0, 1)$ of the moving average; 0 records the raw losses.
    diverge_th:
        Stop once the smoothed loss exceeds ``diverge_th`` times the best so far;
        ``diverge_th > 1``, ``math.inf`` never stops on the threshold.

    Returns
    -------
    RangeTestResult
        ``.lrs``, ``.losses`` (smoothed), ``.suggest(method)``, ``.plot(ax)``.

    Examples
    --------
    >>> import torch, torch.nn.functional as F
    >>> from lrlab.data import digits
    >>> from lrlab.models import mlp
    >>> train, _ = digits(seed=0)
    >>> model = mlp(hidden=64, seed=0)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> result = lr_range_test(model, F.cross_entropy, opt, train, end_lr=10, num_iter=100)
    >>> 1e-4 < result.suggest("valley") < 10
    True
    """
    check("lr_range_test", "end_lr", end_lr, Interval(Real, start_lr, None, closed="neither"))
    if diverge_th != math.inf:  # inf: never stop on the threshold
        check("lr_range_test", "diverge_th", diverge_th, Interval(Real, 1, None, closed="neither"))

    def lr_at(t: int) -> float:
        # exponential_decay(start_lr, end_lr / start_lr, N - 1) is this grid, but NumPy's power
        # differs from Python's in the last bit at some t, and the curve must equal
        # torch-lr-finder's bit for bit (tests/test_finder.py), so the grid is written as it
        # writes it, in Python floats.
        r = t / (num_iter - 1)
        if step_mode == "exp":
            return start_lr * (end_lr / start_lr) ** r
        return start_lr + r * (end_lr - start_lr)

    # Deep copies: state_dict() returns the live tensors, which the test is about to change.
    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    modes = [m.training for m in model.modules()]

    result = RangeTestResult(lrs=[], losses=[], num_iter=num_iter, step_mode=step_mode)
    best = math.inf
    batches = _cycle(train_loader)
    try:
        model.train()
        for t in range(num_iter):
            lr = lr_at(t)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y, *_ = next(batches)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            raw = float(loss.item())
            if not math.isfinite(raw):
                result.diverged = True
                break
            smoothed = raw
            if t > 0 and smooth_f > 0:  # smooth_f = 0 switches smoothing off
                smoothed = smooth_f * raw + (1 - smooth_f) * result.losses[-1]
            best = min(best, smoothed)
            result.lrs.append(lr)
            result.losses.append(smoothed)
            result.raw_losses.append(raw)
            if smoothed > diverge_th * best:
                result.diverged = True
                break
    finally:
        # Put everything back even when the loop raised (a bad batch, Ctrl-C).
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        for p, g in zip(model.parameters(), grads, strict=True):
            p.grad = g
        for m, training in zip(model.modules(), modes, strict=True):
            m.training = training
    return result
