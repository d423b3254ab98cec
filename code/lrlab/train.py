"""A small training loop that records what the learning rate did, step by step.

Used by every lecture that trains a network and by the homework. :func:`fit` trains a model
for a few epochs and returns a :class:`History` with, for every optimizer step
t = 0, 1, ..., the learning rate α_t that step used and its mini-batch loss, and for every
epoch the validation loss and accuracy. :func:`train_digits` is the course's standard run
(digits data, a small MLP, an optimizer, ``fit``) in one call. ``fit`` accepts as
``scheduler``:

* an ``lrlab`` schedule (any callable ``t -> α_t``, e.g. from :mod:`lrlab.schedules`): before
  step t, ``α_t = schedule(t)`` is written into every parameter group; t counts optimizer
  steps from 0 across epochs;
* a torch ``LRScheduler`` (``torch.optim.lr_scheduler.*`` or ``lrlab.schedules.to_torch``):
  stepped after every optimizer step, so it counts batches, not epochs;
* a plateau rule stepped once per epoch on the validation loss (``val_loader`` required):
  ``lrlab.schedules.ReduceLROnPlateau``, whose ``.step(metric)`` returns the new rate that
  ``fit`` writes into every parameter group (and whose current ``lr`` is written there
  before the first step), or torch's own ``ReduceLROnPlateau``, which sets the rate itself.
  Anything that is not callable and has a ``step`` method counts as an lrlab plateau rule.

A non-finite training loss (a learning rate far too high) ends training at once, before the
step that would write NaNs into the parameters: the last entry of ``History.train_loss`` is
that loss (inf or nan), ``History.diverged`` is True, and the epoch it happened in gets no
validation entry. The lectures use this to show divergence.

Progress bar: ``progress=None`` (the default) shows a tqdm bar in a terminal and in a Jupyter
notebook run by a person, and stays silent when the notebook is executed by a tool (the book
build, nbclient, nbgrader) or the output is not a terminal (pytest, pipes). The rule: the
environment variable ``LRLAB_PROGRESS`` (``1``/``0``) wins if set; inside a Jupyter kernel the
bar is shown when the running cell was sent with ``allow_stdin`` (front-ends that can answer
``input()`` do; nbclient turns it off); elsewhere when stderr is a terminal.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau as TorchReduceLROnPlateau

from lrlab._validate import (
    Boolean,
    InstanceOf,
    Interval,
    IsCallable,
    Options,
    invalid,
    validate_params,
)
from lrlab.data import digits
from lrlab.models import mlp

__all__ = ["History", "evaluate", "fit", "train_digits"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """What :func:`fit` recorded.

    Attributes
    ----------
    lr:
        α_t, the learning rate of parameter group 0 used by step t (one entry per step).
    train_loss:
        The mini-batch loss at step t, computed before that step's update.
    val_loss, val_acc:
        Validation loss (sample-weighted mean) and accuracy after each completed epoch;
        empty without a ``val_loader``.
    steps_per_epoch:
        Batches per epoch (``len(train_loader)`` when it has a length, else counted).
    epochs:
        Epochs completed (a diverged epoch is not).
    diverged:
        True when a non-finite training loss stopped the run.
    epoch_seconds:
        Wall-clock time of each completed epoch, validation included (not compared by ``==``).
    """

    lr: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    steps_per_epoch: int = 0
    epochs: int = 0
    diverged: bool = False
    epoch_seconds: list[float] = field(default_factory=list, compare=False)

    @property
    def epoch_train_loss(self) -> list[float]:
        """Mean training loss of each completed epoch (the curve usually drawn next to
        ``val_loss``)."""
        n = self.steps_per_epoch
        if n <= 0:
            return []
        return [sum(self.train_loss[e * n : (e + 1) * n]) / n for e in range(self.epochs)]


def evaluate(
    model: nn.Module, loader: Iterable[Any], loss_fn: LossFn = F.cross_entropy
) -> tuple[float, float]:
    """Loss and accuracy of ``model`` over all batches of ``loader``, without gradients.

    The loss is the mean over samples, assuming ``loss_fn`` averages over its batch (torch's
    default ``reduction="mean"``): each batch's loss is weighted by its size, so a smaller
    last batch counts for what it is. Accuracy compares ``argmax`` of 2-D outputs with integer
    labels and is ``nan`` for any other kind of output. The model's train/eval mode is
    restored afterwards.
    """
    was_training = [m.training for m in model.modules()]
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    accuracy_defined = True
    try:
        with torch.no_grad():
            for x, y, *_ in loader:
                out = model(x)
                n = y.shape[0]
                total_loss += float(loss_fn(out, y)) * n
                count += n
                if out.ndim == 2 and y.ndim == 1 and not y.is_floating_point():
                    correct += int((out.argmax(dim=1) == y).sum())
                else:
                    accuracy_defined = False
    finally:
        for m, training in zip(model.modules(), was_training, strict=True):
            m.training = training
    if count == 0:  # about what the loader did, not what was passed: a run-time error
        raise ValueError("the validation loader yielded no samples")
    return total_loss / count, (correct / count if accuracy_defined else math.nan)


def _checked_lr(value: Any, where: str) -> float:
    lr = float(value)
    if not (math.isfinite(lr) and lr >= 0.0):
        raise ValueError(f"the scheduler returned lr={lr} at {where}; a rate must be finite, >= 0")
    return lr


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


@dataclass
class _Hooks:
    """Every kind of scheduler, seen by ``fit`` as two calls: before step t, after an epoch."""

    before_step: Callable[[int], None] = lambda t: None
    after_step: Callable[[], None] = lambda: None
    after_epoch: Callable[[float], None] | None = None  # needs the validation loss


def _hooks(scheduler: Any, optimizer: torch.optim.Optimizer) -> _Hooks:
    if scheduler is None:
        return _Hooks()
    if isinstance(scheduler, LRScheduler | TorchReduceLROnPlateau):
        if scheduler.optimizer is not optimizer:
            raise invalid(
                "fit",
                "scheduler",
                "be attached to the optimizer passed to fit",
                "a scheduler of another optimizer",
            )
        if isinstance(scheduler, TorchReduceLROnPlateau):
            return _Hooks(after_epoch=scheduler.step)
        return _Hooks(after_step=scheduler.step)
    if callable(scheduler):  # an lrlab schedule t -> α_t
        return _Hooks(
            before_step=lambda t: _set_lr(optimizer, _checked_lr(scheduler(t), f"step {t}"))
        )
    if callable(getattr(scheduler, "step", None)):  # an lrlab plateau rule
        if isinstance(getattr(scheduler, "lr", None), int | float):
            _set_lr(optimizer, _checked_lr(scheduler.lr, "the start (scheduler.lr)"))
        return _Hooks(
            after_epoch=lambda loss: _set_lr(
                optimizer, _checked_lr(scheduler.step(loss), "an epoch")
            )
        )
    raise invalid(
        "fit",
        "scheduler",
        "be None, an lrlab schedule (callable step -> lr), a torch LRScheduler or a "
        "ReduceLROnPlateau object",
        repr(scheduler),
    )


def _auto_progress() -> bool:
    env = os.environ.get("LRLAB_PROGRESS")
    if env is not None:
        return env.strip().lower() not in ("", "0", "false", "no", "off")
    ipython_module = sys.modules.get("IPython")  # not imported means not inside IPython
    shell = ipython_module.get_ipython() if ipython_module is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        # ipykernel records whether the front-end that sent this cell can answer input();
        # nbclient (the book build, nbgrader) says no, JupyterLab and VS Code say yes.
        return bool(getattr(kernel, "_allow_stdin", False))
    return sys.stderr is not None and sys.stderr.isatty()


MODEL = InstanceOf(nn.Module, "torch.nn.Module")
OPTIMIZER = InstanceOf(torch.optim.Optimizer, "torch.optim.Optimizer")
EPOCHS = Interval(Integral, 1, None, closed="left")


@validate_params(
    model=MODEL,
    optimizer=OPTIMIZER,
    epochs=EPOCHS,
    loss_fn=IsCallable(),
    progress=[Boolean(), None],
)
def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any] | None = None,
    epochs: int = 1,
    scheduler: Any = None,
    loss_fn: LossFn = F.cross_entropy,
    *,
    progress: bool | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` and record the run.

    Parameters
    ----------
    model:
        The network, trained in ``train()`` mode and validated in ``eval()`` mode.
    optimizer:
        Any ``torch.optim.Optimizer`` over the model's parameters (torch's or ``lrlab.optim``'s).
    train_loader, val_loader:
        Iterables of ``(x, y, ...)`` batches, e.g. from :func:`lrlab.data.digits`.
    epochs:
        Number of passes over ``train_loader`` (int >= 1).
    scheduler:
        None, an lrlab schedule, a torch ``LRScheduler`` or a plateau rule; see the module
        docstring for when each is applied.
    loss_fn:
        ``loss_fn(model(x), y)`` -> scalar mean loss; cross-entropy by default.
    progress:
        Show a tqdm bar: True, False, or None to decide automatically (module docstring).

    Returns
    -------
    History
        ``lr`` and ``train_loss`` per step, ``val_loss`` and ``val_acc`` per epoch,
        ``diverged``.

    Examples
    --------
    >>> import torch
    >>> from lrlab.data import digits
    >>> from lrlab.models import mlp
    >>> train, val = digits(seed=0)
    >>> model = mlp(seed=0)
    >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    >>> history = fit(model, opt, train, val, epochs=5)
    >>> len(history.lr), len(history.val_acc)
    (115, 5)
    """
    hooks = _hooks(scheduler, optimizer)
    if hooks.after_epoch is not None and val_loader is None:
        raise invalid(
            "fit",
            "val_loader",
            "be given with a ReduceLROnPlateau scheduler, which steps on the validation loss",
            "None",
        )
    steps_per_epoch = len(train_loader) if hasattr(train_loader, "__len__") else 0
    history = History(steps_per_epoch=steps_per_epoch)
    show = _auto_progress() if progress is None else progress
    bar = _progress_bar(epochs * steps_per_epoch) if show else None

    t = 0  # optimizer steps taken so far, across epochs
    try:
        for _ in range(epochs):
            start = time.perf_counter()
            model.train()
            for x, y, *_ in train_loader:
                hooks.before_step(t)
                history.lr.append(float(optimizer.param_groups[0]["lr"]))
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                history.train_loss.append(loss.item())
                if not math.isfinite(history.train_loss[-1]):
                    history.diverged = True
                    return history
                loss.backward()
                optimizer.step()
                hooks.after_step()
                t += 1
                if bar is not None:
                    bar.update()
            history.steps_per_epoch = history.steps_per_epoch or t  # counted if no len()
            if val_loader is not None:
                val_loss, val_acc = evaluate(model, val_loader, loss_fn)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                if hooks.after_epoch is not None:
                    hooks.after_epoch(val_loss)
                if bar is not None:
                    bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
            history.epochs += 1
            history.epoch_seconds.append(time.perf_counter() - start)
    finally:
        if bar is not None:
            bar.close()
    return history


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm  # imported only when a bar is shown

    return tqdm(total=total or None, desc="fit", leave=True)


# The optimizers a lecture can name; torch's own, so a run by name equals the torch loop a
# lecture would otherwise write out (lrlab.optim's classes can be passed as classes).
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
}


@validate_params(
    optimizer=[Options(OPTIMIZERS), IsCallable()],
    lr=[Interval(Real, 0, None, closed="left"), IsCallable()],
    epochs=EPOCHS,
    seed=Interval(Integral, 0, None, closed="left"),
    batch_size=Interval(Integral, 1, None, closed="left"),
    validate=Boolean(),
    progress=[Boolean(), None],
)
def train_digits(
    optimizer: str | Callable[..., torch.optim.Optimizer] = "sgd",
    lr: float | Callable[[int], float] = 0.1,
    *,
    epochs: int,
    seed: int = 0,
    scheduler: Any = None,
    hidden: int | tuple[int, ...] = 64,
    batch_size: int = 64,
    validate: bool = True,
    progress: bool | None = None,
    **optimizer_kwargs: Any,
) -> History:
    """Train the course's digits MLP once and return :func:`fit`'s :class:`History`.

    The experiment every lecture repeats, with the course's defaults:
    ``digits(batch_size, seed)``, ``mlp(hidden, seed)``, an optimizer over its parameters,
    then ``fit`` for ``epochs`` epochs (validating after each one unless ``validate=False``).

    Parameters
    ----------
    optimizer:
        ``"sgd"``, ``"adam"``, ``"adamw"``, ``"adagrad"`` or ``"rmsprop"`` (torch's classes),
        or any class or callable ``(params, lr=..., **optimizer_kwargs) -> Optimizer``, such
        as ``lrlab.optim.Adam``.
    lr:
        A constant rate, or an lrlab schedule (any callable ``t -> alpha_t``) that ``fit``
        applies before every step.
    epochs, seed:
        Passes over the training data; ``seed`` fixes the split, the shuffling and the
        initialization, so runs that differ only in the rate start from the same point.
    scheduler:
        None, or a factory ``optimizer -> scheduler`` (a torch ``LRScheduler``, or a plateau
        rule), for schedules that need the optimizer; not together with a schedule ``lr``.
        A plateau rule that does not need the optimizer (``lrlab.schedules.ReduceLROnPlateau``)
        can be passed as it is.
    hidden, batch_size:
        Width(s) of the MLP's hidden layer(s) and samples per batch.
    validate:
        Evaluate on the validation split after every epoch (``History.val_loss``/``val_acc``).
    progress:
        As in :func:`fit`.
    **optimizer_kwargs:
        Passed to the optimizer, e.g. ``momentum=0.9`` or ``weight_decay=0.01``.

    Examples
    --------
    >>> from lrlab.schedules import cosine_annealing
    >>> history = train_digits("sgd", cosine_annealing(0.5, 46), epochs=2, momentum=0.9)
    >>> len(history.lr), history.lr[0], len(history.val_loss)
    (46, 0.5, 2)
    """
    make_optimizer = OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer
    schedule = lr if callable(lr) else None
    if schedule is not None and scheduler is not None:
        raise invalid(
            "train_digits",
            "scheduler",
            "be None when lr is a schedule (give one or the other)",
            repr(scheduler),
        )
    start_lr = _checked_lr(schedule(0), "step 0") if schedule is not None else lr

    train_loader, val_loader = digits(batch_size=batch_size, seed=seed)
    model = mlp(hidden=hidden, seed=seed)
    opt = make_optimizer(model.parameters(), lr=start_lr, **optimizer_kwargs)
    if scheduler is not None and callable(scheduler):
        scheduler = scheduler(opt)
    return fit(
        model,
        opt,
        train_loader,
        val_loader if validate else None,
        epochs,
        scheduler=schedule if schedule is not None else scheduler,
        progress=progress,
    )
