"""How long does a student wait for the course kit: install, then every lecture run once?

Issue 9 sets the goal: all lectures of the kit execute top to bottom in under 5 minutes on
2 cores. This script takes the kit the book build wrote (``_build/html/course-kit.zip``, from
``make book``, or ``--kit PATH``), unpacks it in an empty folder, installs it into a fresh
venv with its own ``requirements.txt`` (timed separately: pip's time depends on the wheel
cache), then runs each lecture notebook with outputs cleared, one after the other, with
``OMP_NUM_THREADS=1`` as a student's laptop would not set it but the lectures expect.

Prints one line per lecture and the total against the goal, as a ratio (< 1 meets it).
Run: python benchmarks/bench_kit.py [--kit PATH] [--venv PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.kit_env import (  # noqa: E402  (the repository root is put on the path first)
    make_venv,
    run_notebook,
    student_env,
    toc_lectures,
    unpack,
)

GOAL_S = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=REPO / "_build" / "html" / "course-kit.zip")
    parser.add_argument("--venv", type=Path, help="reuse this kit venv instead of a fresh one")
    args = parser.parse_args()
    if not args.kit.is_file():
        sys.exit(f"no kit at {args.kit}: run `make book` first, or pass --kit")

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        kit = unpack(args.kit, work / "kit")
        env = student_env(work / "home")
        venv = args.venv
        if venv is None:
            start = time.perf_counter()
            venv = make_venv(work / "venv", ["-r", "requirements.txt"], kit, env)
            print(
                f"install (fresh venv, pip install -r requirements.txt): "
                f"{time.perf_counter() - start:.0f} s"
            )
        total = 0.0
        # tests/test_kit.py checks that the kit holds every lecture; here, time what it holds.
        lectures = [
            name for name in toc_lectures() if (kit / "lectures" / f"{name}.ipynb").exists()
        ]
        print(f"{len(lectures)} of {len(toc_lectures())} lectures of _toc.yml are in the kit")
        for lecture in lectures:
            seconds = run_notebook(venv, kit / "lectures" / f"{lecture}.ipynb", work / "run", env)
            total += seconds
            print(f"{lecture:<24} {seconds:6.1f} s")
        print(f"all lectures: {total:.0f} s; goal {GOAL_S:.0f} s; ratio {total / GOAL_S:.2f}")


if __name__ == "__main__":
    main()
