"""How fast is an `lrlab.optim` step next to torch's own single-tensor (foreach=False) step?

The issue asks for an Adam step on 4M float32 parameters within 1.5x of torch's
`foreach=False` step; this script measures that ratio, and the same ratio for the other
four optimizers, on two layouts of the same 4,194,304 parameters: one big tensor (the
arithmetic dominates) and 64 tensors of 65,536 (per-tensor Python overhead shows up).

Both optimizers get equal copies of the same parameters and the same fixed gradients. Each
timing is one `step()`; the two optimizers alternate so that load from other processes on a
shared machine hits both alike, and the minimum over the repeats is reported. On a busy
machine, `--threads 1 --clock cpu` gives the steadiest ratio.

Run: python benchmarks/bench_optim.py [--repeats N] [--threads K] [--clock wall|cpu]
"""

from __future__ import annotations

import os

# The thread policy lives at entry points like this one: one torch thread, set before torch
# is imported (the course's models are far too small to gain from a second one).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from collections.abc import Callable

import torch

from lrlab import optim

GOAL = 1.5
N_PARAMS = 4 * 1024 * 1024

# (name, ours, torch's, hyper-parameters shared by both), options chosen so that every
# branch that costs work per element is on.
CASES = [
    ("Adam", optim.Adam, torch.optim.Adam, {"lr": 1e-3}),
    ("Adam amsgrad+wd", optim.Adam, torch.optim.Adam, {"amsgrad": True, "weight_decay": 1e-2}),
    ("AdamW", optim.AdamW, torch.optim.AdamW, {"lr": 1e-3}),
    ("SGD momentum", optim.SGD, torch.optim.SGD, {"lr": 1e-2, "momentum": 0.9}),
    (
        "SGD nesterov+wd",
        optim.SGD,
        torch.optim.SGD,
        {"lr": 1e-2, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4},
    ),
    ("Adagrad", optim.Adagrad, torch.optim.Adagrad, {"lr": 1e-2}),
    (
        "RMSprop centered+mom",
        optim.RMSprop,
        torch.optim.RMSprop,
        {"lr": 1e-3, "centered": True, "momentum": 0.9},
    ),
]


def make_params(n_tensors: int, seed: int = 0) -> list[torch.Tensor]:
    """`n_tensors` float32 tensors holding N_PARAMS parameters in all, with fixed gradients."""
    gen = torch.Generator().manual_seed(seed)
    params = []
    for _ in range(n_tensors):
        p = torch.randn(N_PARAMS // n_tensors, generator=gen).requires_grad_()
        p.grad = torch.randn(p.shape, generator=gen)
        params.append(p)
    return params


def clone_params(params: list[torch.Tensor]) -> list[torch.Tensor]:
    out = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        q.grad = p.grad.clone()
        out.append(q)
    return out


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_step(opt: torch.optim.Optimizer, clock: Callable[[], float]) -> float:
    start = clock()
    opt.step()
    return clock() - start


def compare(
    ours_cls, torch_cls, hyper: dict, n_tensors: int, repeats: int, clock: Callable[[], float]
) -> tuple[float, float]:
    params = make_params(n_tensors)
    ours = ours_cls(params, **hyper)
    theirs = torch_cls(clone_params(params), foreach=False, **hyper)
    for _ in range(3):  # state allocation and first-touch page faults are not the step
        ours.step()
        theirs.step()
    t_ours, t_theirs = [], []
    for i in range(repeats):
        # Alternate who goes first, so neither always runs on a cache the other warmed.
        if i % 2:
            t_theirs.append(time_step(theirs, clock))
            t_ours.append(time_step(ours, clock))
        else:
            t_ours.append(time_step(ours, clock))
            t_theirs.append(time_step(theirs, clock))
    return min(t_ours), min(t_theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed steps per optimizer")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: torch's choice); 1 is steadier on a busy machine",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time; cpu: CPU time of this process, which time spent waiting "
        "for a core on a busy machine does not inflate (with several threads it sums them)",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{N_PARAMS:,} float32 parameters, {args.clock} clock, min of {args.repeats} steps"
    )
    header = f"{'optimizer':<22}{'layout':<16}{'lrlab ms':>10}{'torch ms':>10}{'ratio':>8}  goal"
    print(header)
    print("-" * len(header))
    for n_tensors in (1, 64):
        layout = f"{n_tensors} x {N_PARAMS // n_tensors:,}"
        for name, ours_cls, torch_cls, hyper in CASES:
            ours, theirs = compare(
                ours_cls, torch_cls, hyper, n_tensors, args.repeats, CLOCKS[args.clock]
            )
            ratio = ours / theirs
            verdict = "ok" if ratio <= GOAL else "SLOWER THAN GOAL"
            print(
                f"{name:<22}{layout:<16}{ours * 1e3:>10.2f}{theirs * 1e3:>10.2f}"
                f"{ratio:>8.2f}  <= {GOAL} {verdict}"
            )


if __name__ == "__main__":
    main()
