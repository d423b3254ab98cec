"""How long does a digits epoch take, and what do the loader and `fit` add to a bare loop?

The issue asks that one digits epoch of a small MLP take well under a second on 2 CPU cores,
so that the lectures can afford many seeded runs. This script measures, on the lectures'
setting (`lrlab.models.mlp()`, 4,810 parameters; `lrlab.data.digits(batch_size=64)`, 23
batches a epoch; torch Adam at 1e-3):

1. loading: `digits()` cold (scikit-learn import and file read) and warm (cached arrays);
2. the loaders alone, with 1 thread: one pass of `TensorLoader`, of a
   `torch.utils.data.DataLoader` over the same `TensorDataset`, and of a bare loop slicing
   pre-shuffled tensors (the floor);
3. a training epoch (forward, backward, Adam step) fed by each of the three, and by `fit`
   itself (which adds the History records and a validation pass), with 1 torch thread;
4. `fit` with one torch intra-op thread (what the course's entry points set: the book build,
   pytest, the grading kernels, this script) against one thread per core, wall-clock and CPU
   time: on a shared machine the second thread can cost far more than it gives;
5. one LR range test (100 steps).

Each timing is the median over the repeats, with the variants interleaved so that load from
other processes hits them alike. Run: python benchmarks/bench_train.py [--repeats N]
"""

from __future__ import annotations

import os

# The thread policy lives at entry points like this one: one torch thread, set before torch
# is imported (the course's models are far too small to gain from a second one).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from lrlab.data import digits
from lrlab.finder import lr_range_test
from lrlab.models import mlp
from lrlab.train import fit


def bare_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, gen: torch.Generator):
    """The least a shuffling loader can do: one permutation, then slices."""
    order = torch.randperm(x.shape[0], generator=gen)
    xs, ys = x[order], y[order]
    for i in range(0, x.shape[0], batch_size):
        yield xs[i : i + batch_size], ys[i : i + batch_size]


def train_epoch(model: torch.nn.Module, opt: torch.optim.Optimizer, batches: Iterable) -> None:
    """A bare training epoch: what `fit` does minus recording and validation."""
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """This script's thread policy for a block; lrlab itself never changes the thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    repeats = args.repeats

    print(f"torch {torch.__version__}, default intra-op threads: {torch.get_num_threads()}")
    cold = timed(lambda: digits(seed=0))
    warm = statistics.median(timed(lambda s=s: digits(seed=s % 5)) for s in range(repeats))
    print(f"\ndigits(): cold {cold * 1e3:8.1f} ms   warm {warm * 1e3:6.2f} ms")

    train, val = digits(batch_size=64, seed=0)
    x, y = train.dataset.tensors
    torch_loader = DataLoader(
        train.dataset, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    gen = torch.Generator().manual_seed(0)
    feeds = {
        "bare slices": lambda: bare_batches(x, y, 64, gen),
        "TensorLoader": lambda: train,
        "DataLoader": lambda: torch_loader,
    }

    print(f"\n1 pass over the training set ({len(x)} samples, {len(train)} batches), median:")
    loader_times: dict[str, list[float]] = {name: [] for name in feeds}
    with torch_threads(1):
        for _ in range(repeats):
            for name, feed in feeds.items():
                loader_times[name].append(timed(lambda feed=feed: sum(1 for _ in feed())))
    floor = statistics.median(loader_times["bare slices"])
    for name, times in loader_times.items():
        median = statistics.median(times)
        print(f"  {name:14s} {median * 1e3:8.3f} ms   {median / floor:6.1f}x bare")

    model = mlp(seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print("\n1 training epoch (mlp(), Adam 1e-3, 1 thread), median:")
    epoch_times: dict[str, list[float]] = {name: [] for name in feeds}
    epoch_times["fit (+val pass)"] = []
    with torch_threads(1):
        train_epoch(model, opt, train)  # warm-up: first-call costs out of the timings
        for _ in range(repeats):
            for name, feed in feeds.items():
                epoch_times[name].append(timed(lambda feed=feed: train_epoch(model, opt, feed())))
            history = fit(model, opt, train, val, epochs=1, progress=False)
            epoch_times["fit (+val pass)"].append(history.epoch_seconds[0])
    floor = statistics.median(epoch_times["bare slices"])
    for name, times in epoch_times.items():
        median = statistics.median(times)
        print(f"  {name:16s} {median * 1e3:8.2f} ms   {median / floor:6.2f}x bare")

    print("\nfit, 1 epoch with validation, by torch intra-op threads (median, min, max):")
    cores = os.cpu_count() or 1
    counts = {"1 thread": 1, f"{cores} threads": cores}
    thread_times: dict[str, list[float]] = {label: [] for label in counts}
    cpu_times: dict[str, list[float]] = {label: [] for label in counts}
    for _ in range(max(3, repeats // 3)):
        for label, n in counts.items():
            cpu = time.process_time()
            with torch_threads(n):
                history = fit(model, opt, train, val, epochs=1, progress=False)
            cpu_times[label].append(time.process_time() - cpu)
            thread_times[label].append(history.epoch_seconds[0])
    for label, times in thread_times.items():
        print(
            f"  {label:17s} wall {statistics.median(times) * 1e3:8.1f} ms "
            f"({min(times) * 1e3:.1f} to {max(times) * 1e3:.1f} ms), "
            f"CPU {statistics.median(cpu_times[label]) * 1e3:.1f} ms (all threads)"
        )

    def range_test() -> None:
        m = mlp(seed=0)
        o = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        lr_range_test(m, F.cross_entropy, o, train)

    with torch_threads(1):
        finder_time = statistics.median(timed(range_test) for _ in range(max(3, repeats // 3)))
    print(f"\nlr_range_test, 100 steps (stops on divergence): {finder_time * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
