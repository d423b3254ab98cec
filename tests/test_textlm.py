"""Tests for lrlab.textlm: the character corpus is split without overlap, batches are
deterministic for a seed, the model is causal, and a short run learns."""

import math
from pydoc_data.topics import topics

import numpy as np
import pytest
import torch

from lrlab.schedules import constant, warmup
from lrlab.textlm import (
    char_corpus,
    char_transformer,
    corpus_text,
    random_windows,
    train_char_lm,
)

TINY = {"d_model": 16, "n_heads": 2, "n_layers": 1, "context": 16, "batch_size": 8}


def test_corpus_is_pydoc_topics_in_sorted_order():
    text = corpus_text()
    assert text == "".join(topics[k] for k in sorted(topics))
    assert 400_000 < len(text) < 600_000


def test_vocabulary_and_round_trip():
    c = char_corpus()
    assert list(c.vocab) == sorted(set(corpus_text()))
    for part in (c.train, c.val):
        assert part.dtype == torch.int64 and part.ndim == 1
        assert int(part.min()) >= 0 and int(part.max()) < len(c.vocab)
    # Ids decode back to the text at the recorded positions.
    text = corpus_text()
    assert c.decode(c.val[:500]) == "".join(text[i] for i in c.val_positions[:500])
    assert c.decode(c.train[-500:]) == "".join(text[i] for i in c.train_positions[-500:])
    assert torch.equal(
        c.encode("def f(x):"), torch.tensor([c.vocab.index(ch) for ch in "def f(x):"])
    )
    with pytest.raises(ValueError, match="vocabulary"):
        c.encode("\x00")


def test_split_is_disjoint_complete_and_by_blocks():
    c = char_corpus(block_chars=2048, val_every=10)
    n = len(corpus_text())
    assert np.intersect1d(c.train_positions, c.val_positions).size == 0
    assert c.train_positions.size + c.val_positions.size == n
    assert np.all(np.diff(c.train_positions) > 0) and np.all(np.diff(c.val_positions) > 0)
    assert set(np.unique(c.val_positions // 2048) % 10) == {9}
    assert abs(c.val_positions.size / n - 0.1) < 0.01
    # Held-out blocks are spread over the whole text, not one end of it.
    assert c.val_positions.min() < 0.05 * n and c.val_positions.max() > 0.95 * n


def test_split_does_not_depend_on_calls_and_is_not_shared():
    a, b = char_corpus(), char_corpus()
    assert torch.equal(a.train, b.train) and torch.equal(a.val, b.val)
    a.val.add_(1)
    assert torch.equal(char_corpus().val, b.val)
    other = char_corpus(block_chars=512, val_every=5)
    assert abs(other.val.shape[0] / len(corpus_text()) - 0.2) < 0.01


def test_random_windows_shapes_shift_and_determinism():
    ids = torch.arange(1000)
    x, y = random_windows(ids, 5, 12, torch.Generator().manual_seed(3))
    assert x.shape == y.shape == (5, 12) and x.dtype == torch.int64
    # Contiguous windows of the sequence, targets shifted by one.
    assert torch.equal(x[:, 1:] - x[:, :-1], torch.ones(5, 11, dtype=torch.int64))
    assert torch.equal(y, x + 1)
    assert int(y.max()) <= 999
    x2, _ = random_windows(ids, 5, 12, torch.Generator().manual_seed(3))
    x3, _ = random_windows(ids, 5, 12, torch.Generator().manual_seed(4))
    assert torch.equal(x, x2) and not torch.equal(x, x3)


def test_random_windows_leave_global_rng_alone_and_reach_both_ends():
    state = torch.random.get_rng_state()
    g = torch.Generator().manual_seed(0)
    starts = torch.cat([random_windows(torch.arange(40), 64, 8, g)[0][:, 0] for _ in range(20)])
    assert torch.equal(torch.random.get_rng_state(), state)
    assert int(starts.min()) == 0 and int(starts.max()) == 40 - 8 - 1


def test_model_shapes_parameter_count_and_seed():
    model = char_transformer(103)
    n_params = sum(p.numel() for p in model.parameters())
    assert 10_000 < n_params < 200_000
    ids = torch.randint(103, (3, 32), generator=torch.Generator().manual_seed(0))
    assert model(ids).shape == (3, 32, 103)
    same = char_transformer(103)
    other = char_transformer(103, seed=1)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), same.parameters(), strict=True)
    )
    assert not torch.equal(model.token.weight, other.token.weight)
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 33, dtype=torch.int64))


def test_model_is_causal():
    # Changing the character at position k must not change any prediction before k.
    model = char_transformer(50, context=16, d_model=16, n_heads=2, n_layers=2, seed=2)
    ids = torch.randint(50, (2, 16), generator=torch.Generator().manual_seed(0))
    changed = ids.clone()
    changed[:, 9] = (changed[:, 9] + 1) % 50
    with torch.no_grad():
        a, b = model(ids), model(changed)
    torch.testing.assert_close(a[:, :9], b[:, :9])
    assert not torch.allclose(a[:, 9:], b[:, 9:])


def test_model_construction_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    char_transformer(20, seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_short_run_learns_and_records():
    schedule = warmup(constant(1e-2), 10)
    h = train_char_lm(schedule, 60, seed=0, eval_every=30, **TINY)
    assert h.lr == [schedule(t) for t in range(60)]
    assert len(h.train_loss) == 60 and not h.diverged
    assert h.eval_steps == [0, 30, 60]
    # Starts near the uniform guess log V, and learns well below it.
    assert abs(h.val_loss[0] - math.log(len(char_corpus().vocab))) < 0.1
    assert h.val_loss[-1] < h.val_loss[0] - 1.0
    assert np.mean(h.train_loss[-10:]) < np.mean(h.train_loss[:10]) - 1.0


def test_runs_are_deterministic_and_seeded():
    kwargs = {"steps": 20, "eval_every": 20, **TINY}
    a = train_char_lm(constant(3e-3), seed=1, **kwargs)
    b = train_char_lm(constant(3e-3), seed=1, **kwargs)
    c = train_char_lm(constant(3e-3), seed=2, **kwargs)
    assert a.train_loss == b.train_loss and a.val_loss == b.val_loss
    assert a.train_loss != c.train_loss


def test_same_seed_same_batches_whatever_the_schedule():
    # A zero rate changes nothing, so its losses are those of the initial model on the
    # seed's batches; a run at another rate starts with the same first batch and model.
    frozen = train_char_lm(constant(0.0), 5, seed=3, eval_every=5, **TINY)
    moving = train_char_lm(constant(1e-2), 5, seed=3, eval_every=5, **TINY)
    assert frozen.train_loss[0] == moving.train_loss[0]
    assert frozen.val_loss[0] == frozen.val_loss[-1] == moving.val_loss[0]


def test_sgd_and_divergence():
    h = train_char_lm(constant(0.5), 20, optimizer="sgd", eval_every=10, **TINY)
    assert not h.diverged and h.val_loss[-1] < h.val_loss[0]
    boom = train_char_lm(constant(1e6), 50, optimizer="sgd", clip_norm=None, momentum=0.0, **TINY)
    assert boom.diverged and not math.isfinite(boom.train_loss[-1])
    assert len(boom.train_loss) < 50


def test_global_rng_untouched_by_training():
    state = torch.random.get_rng_state()
    train_char_lm(constant(1e-3), 3, **TINY)
    assert torch.equal(torch.random.get_rng_state(), state)


# Bad values of each declared argument (steps, seed, betas, ids, vocab_size, ...) are
# generated in tests/test_validation.py; here, what train_char_lm passes on and what its
# schedule returns.


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"d_model": 30, "n_heads": 4}, "d_model"), ({"context": 0}, "context")],
)
def test_model_arguments_are_checked_by_char_transformer(kwargs, name):
    with pytest.raises(ValueError, match=f"The '{name}' parameter of char_transformer"):
        train_char_lm(constant(1e-3), 1, **kwargs)


def test_a_negative_rate_from_the_schedule_stops_the_run():
    with pytest.raises(ValueError, match="lr=-1"):
        train_char_lm(lambda t: -1.0, 1, **TINY)
