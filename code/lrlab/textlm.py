"""A tiny character-level language model: the testbed where schedules visibly matter.

The digits MLP of the first lectures teaches the mechanics, but its effects mostly drown in
seed noise. A small causal transformer predicting the next character of a real text is
closer to how schedules are used today, and still trains in seconds on one CPU core. The
practice lectures (``lectures/practice_choosing`` first) use it for the warm-up, decay and
WSD experiments.

* The text is Python's own documentation of its keywords and topics, ``pydoc_data.topics``
  (about 465,000 characters), which every CPython installation ships, so nothing is
  downloaded. :func:`corpus_text` joins its entries in sorted order. The text may change
  between Python patch releases; the lectures re-execute on every build, so their numbers
  always describe the text that is installed (the course machine: Python 3.11.7, 464,970
  characters, 103 distinct ones).
* :func:`char_corpus` turns it into integer ids, with a deterministic train/validation split
  by whole blocks of text (every ``val_every``-th block of ``block_chars`` characters is
  held out), so no character is in both halves and the two halves cover the same topics.
* :func:`random_windows` draws a batch of contiguous windows with a caller-owned
  ``torch.Generator``; the targets are the inputs shifted by one character.
* :func:`char_transformer` builds the model (:class:`CharTransformer`: token and position
  embeddings, pre-norm causal self-attention blocks, a linear read-out) and
  :func:`train_char_lm` trains it with AdamW (or SGD) under an ``lrlab`` schedule and
  returns a :class:`LMHistory` of per-step rates and losses and periodic validation losses.

Like :func:`lrlab.train.fit`, training leaves the global random number generator alone: the
seed fixes the initialisation and the batches.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lrlab._validate import (
    InstanceOf,
    Interval,
    IsCallable,
    Numbers,
    Options,
    check,
    invalid,
    validate_params,
)

__all__ = [
    "CharCorpus",
    "CharTransformer",
    "LMHistory",
    "char_corpus",
    "char_transformer",
    "corpus_text",
    "random_windows",
    "train_char_lm",
]


@functools.cache
def corpus_text() -> str:
    """The text of ``pydoc_data.topics``: every topic's entry, keys in sorted order.

    >>> text = corpus_text()
    >>> len(text) > 400_000 and text == corpus_text()
    True
    """
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics))


@dataclass(frozen=True)
class CharCorpus:
    """A text as integer ids, split into training and validation characters.

    Attributes
    ----------
    vocab:
        The distinct characters of the whole text, sorted; character ``vocab[i]`` has id ``i``.
    train, val:
        int64 tensors of ids: the training blocks and the held-out blocks, each in text order.
    train_positions, val_positions:
        Where each id of ``train`` and ``val`` sits in the original text (disjoint).
    """

    vocab: str
    train: torch.Tensor
    val: torch.Tensor
    train_positions: np.ndarray = field(repr=False)
    val_positions: np.ndarray = field(repr=False)

    def encode(self, text: str) -> torch.Tensor:
        """Ids of ``text`` (every character must be in ``vocab``)."""
        index = {c: i for i, c in enumerate(self.vocab)}
        try:
            return torch.tensor([index[c] for c in text], dtype=torch.int64)
        except KeyError as err:
            raise invalid(
                "CharCorpus.encode", "text", "hold only characters of the vocabulary", str(err)
            ) from None

    def decode(self, ids: torch.Tensor) -> str:
        """The text of a 1-D tensor (or list) of ids."""
        return "".join(self.vocab[int(i)] for i in ids)


@functools.cache
def _corpus(block_chars: int, val_every: int) -> CharCorpus:
    text = corpus_text()
    vocab = "".join(sorted(set(text)))
    lookup = np.zeros(max(map(ord, vocab)) + 1, dtype=np.int64)
    lookup[[ord(c) for c in vocab]] = np.arange(len(vocab))
    ids = lookup[np.fromiter(map(ord, text), dtype=np.int64, count=len(text))]
    block = np.arange(len(text)) // block_chars
    # Held-out blocks are spread over the whole text (whose topics come in alphabetical
    # order), so validation is not one topic the model never saw in training.
    held_out = block % val_every == val_every - 1
    positions = np.arange(len(text))
    train_pos, val_pos = positions[~held_out], positions[held_out]
    for a in (train_pos, val_pos):
        a.setflags(write=False)
    return CharCorpus(
        vocab=vocab,
        train=torch.from_numpy(ids[train_pos]),
        val=torch.from_numpy(ids[val_pos]),
        train_positions=train_pos,
        val_positions=val_pos,
    )


POSITIVE_INT = Interval(Integral, 1, None, closed="left")
SEED = Interval(Integral, 0, None, closed="left")


@validate_params(block_chars=POSITIVE_INT, val_every=Interval(Integral, 2, None, closed="left"))
def char_corpus(block_chars: int = 2048, val_every: int = 10) -> CharCorpus:
    """:func:`corpus_text` as ids, every ``val_every``-th block of ``block_chars`` held out.

    The split does not depend on any seed: the same arguments give the same split on every
    call. With the defaults about 10 % of the characters are validation characters.

    >>> c = char_corpus()
    >>> round(len(c.val) / (len(c.train) + len(c.val)), 2)
    0.1
    """
    c = _corpus(block_chars, val_every)
    # Fresh tensors, so that a caller who writes into them does not change the cached split.
    return CharCorpus(c.vocab, c.train.clone(), c.val.clone(), c.train_positions, c.val_positions)


@validate_params(
    ids=InstanceOf(torch.Tensor, "torch.Tensor"),
    batch_size=POSITIVE_INT,
    context=POSITIVE_INT,
    generator=InstanceOf(torch.Generator, "torch.Generator"),
)
def random_windows(
    ids: torch.Tensor, batch_size: int, context: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random contiguous windows of ``context`` ids, and their next characters.

    Returns ``(x, y)``, both int64 of shape ``(batch_size, context)``, with
    ``y[:, i] = ids[start + i + 1]`` the character after ``x[:, i] = ids[start + i]``. The
    starts are drawn uniformly with ``generator`` (the global generator is not touched).
    """
    if ids.ndim != 1 or ids.shape[0] < context + 1:
        raise invalid(
            "random_windows",
            "ids",
            f"be a 1-D tensor of at least context + 1 = {context + 1} ids",
            f"a tensor of shape {tuple(ids.shape)}",
        )
    starts = torch.randint(ids.shape[0] - context, (batch_size,), generator=generator)
    offsets = torch.arange(context + 1)
    windows = ids[starts[:, None] + offsets]
    return windows[:, :-1], windows[:, 1:]


class _Block(nn.Module):
    """Pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=2)
        heads = [t.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2) for t in (q, k, v)]
        # is_causal: position i attends to positions <= i only, so it cannot read its target.
        att = F.scaled_dot_product_attention(*heads, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class CharTransformer(nn.Module):
    """A causal transformer over characters: ids of shape ``(b, n)`` to logits ``(b, n, V)``.

    Built by :func:`char_transformer`; ``n`` may be at most ``context``.
    """

    def __init__(
        self, vocab_size: int, context: int, d_model: int, n_heads: int, n_layers: int
    ) -> None:
        super().__init__()
        self.context = context
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Next-character logits: ``(batch, n)`` ids in, ``(batch, n, vocab)`` logits out."""
        n = ids.shape[1]
        if n > self.context:
            raise invalid(
                "CharTransformer.forward",
                "ids",
                f"have at most context = {self.context} columns",
                f"{n} columns",
            )
        x = self.token(ids) + self.position(torch.arange(n))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


@validate_params(
    vocab_size=Interval(Integral, 2, None, closed="left"),
    context=POSITIVE_INT,
    d_model=POSITIVE_INT,
    n_heads=POSITIVE_INT,
    n_layers=Interval(Integral, 0, None, closed="left"),
    seed=SEED,
)
def char_transformer(
    vocab_size: int,
    *,
    context: int = 32,
    d_model: int = 32,
    n_heads: int = 4,
    n_layers: int = 2,
    seed: int = 0,
) -> CharTransformer:
    """A small :class:`CharTransformer`, initialised from ``seed`` (global RNG untouched).

    Weights are drawn from N(0, 0.02²) and biases start at zero (the GPT-2 convention).

    >>> model = char_transformer(103)
    >>> sum(p.numel() for p in model.parameters())
    33191
    """
    if d_model % n_heads:
        raise invalid(
            "char_transformer", "d_model", f"be a multiple of n_heads = {n_heads}", d_model
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CharTransformer(vocab_size, context, d_model, n_heads, n_layers)
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.ndim >= 2:
                nn.init.normal_(p, std=0.02)
    return model


@dataclass
class LMHistory:
    """What :func:`train_char_lm` recorded.

    Attributes
    ----------
    lr:
        α_t, the rate step t used (one entry per step).
    train_loss:
        The mini-batch loss at step t in nats per character, before that step's update.
    eval_steps, val_loss:
        After ``eval_steps[i]`` optimizer steps, the mean validation loss ``val_loss[i]``
        (nats per character) on a fixed set of validation windows.
    diverged:
        True when a non-finite training loss stopped the run.
    """

    lr: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    diverged: bool = False


def _val_windows(
    corpus: CharCorpus, n_windows: int, context: int
) -> tuple[torch.Tensor, torch.Tensor]:
    # Evenly spaced, not random: every run of every seed is scored on the same windows.
    starts = torch.linspace(0, corpus.val.shape[0] - context - 1, n_windows).long()
    offsets = torch.arange(context + 1)
    windows = corpus.val[starts[:, None] + offsets]
    return windows[:, :-1], windows[:, 1:]


@validate_params(
    schedule=IsCallable(),
    steps=POSITIVE_INT,
    seed=SEED,
    optimizer=Options({"adamw", "sgd"}),
    weight_decay=Interval(Real, 0, None, closed="left"),
    betas=Numbers(size=2),
    eps=Interval(Real, 0, None, closed="left"),
    momentum=Interval(Real, 0, 1, closed="left"),
    clip_norm=[Interval(Real, 0, None, closed="neither"), None],
    batch_size=POSITIVE_INT,
    eval_every=POSITIVE_INT,
    eval_windows=POSITIVE_INT,
)
def train_char_lm(
    schedule: Callable[[int], float],
    steps: int,
    *,
    seed: int = 0,
    optimizer: str = "adamw",
    weight_decay: float = 0.1,
    betas: tuple[float, float] = (0.9, 0.95),
    eps: float = 1e-8,
    momentum: float = 0.9,
    clip_norm: float | None = 1.0,
    batch_size: int = 8,
    context: int = 32,
    d_model: int = 32,
    n_heads: int = 4,
    n_layers: int = 2,
    eval_every: int = 100,
    eval_windows: int = 128,
) -> LMHistory:
    """Train :func:`char_transformer` on :func:`char_corpus` for ``steps`` steps.

    Before step t the rate ``schedule(t)`` is written into the optimizer (any ``lrlab``
    schedule, or any callable from the step to a rate). ``seed`` fixes the initialisation
    and the training batches, so two runs that differ only in their schedule see the same
    data in the same order: their difference is the schedule's. ``optimizer`` is
    ``"adamw"`` (``torch.optim.AdamW`` with ``betas``, ``eps``, ``weight_decay``) or
    ``"sgd"`` (``torch.optim.SGD`` with ``momentum``, ``weight_decay``). ``clip_norm``
    rescales the gradient to at most that global norm (``None``: no clipping).

    The validation loss is measured at step 0 and after every ``eval_every`` steps and at the
    end, on ``eval_windows`` fixed windows of the held-out text. A non-finite training loss
    ends the run before its update, with ``diverged`` set (see :func:`lrlab.train.fit`).
    Taught in ``lectures/practice_choosing``.
    """
    betas = tuple(
        check("train_char_lm", f"betas[{i}]", float(b), Interval(Real, 0, 1, closed="left"))
        for i, b in enumerate(betas)
    )

    corpus = char_corpus()
    model = char_transformer(
        len(corpus.vocab),
        context=context,
        d_model=d_model,
        n_heads=n_heads,
        n_layers=n_layers,
        seed=seed,
    )
    if optimizer == "adamw":
        opt = torch.optim.AdamW(
            model.parameters(), lr=0.0, betas=betas, eps=eps, weight_decay=weight_decay
        )
    else:
        opt = torch.optim.SGD(
            model.parameters(), lr=0.0, momentum=momentum, weight_decay=weight_decay
        )
    # Seed + 1: the batches must not reuse the random stream that initialised the weights.
    generator = torch.Generator().manual_seed(seed + 1)
    x_val, y_val = _val_windows(corpus, eval_windows, context)
    vocab_size = len(corpus.vocab)
    history = LMHistory()

    def validate(step: int) -> None:
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            loss = F.cross_entropy(logits.reshape(-1, vocab_size), y_val.reshape(-1))
        model.train()
        history.eval_steps.append(step)
        history.val_loss.append(float(loss))

    validate(0)
    for t in range(steps):
        lr = float(schedule(t))
        if not (math.isfinite(lr) and lr >= 0.0):  # what the schedule did: a run-time error
            raise ValueError(f"the schedule returned lr={lr} at step {t}; it must be >= 0")
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = random_windows(corpus.train, batch_size, context, generator)
        loss = F.cross_entropy(model(x).reshape(-1, vocab_size), y.reshape(-1))
        history.lr.append(lr)
        history.train_loss.append(loss.item())
        if not math.isfinite(history.train_loss[-1]):
            history.diverged = True
            return history
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        opt.step()
        if (t + 1) % eval_every == 0 or t + 1 == steps:
            validate(t + 1)
    return history
