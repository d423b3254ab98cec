"""How fast a class of the 1cycle homework is graded, against bare execution.

On a throwaway copy of ``homework/`` with N correct submissions (every cell and every check
runs):

* **class**: ``python -m lrlab_grading.classgrade`` (what ``make grade`` runs): autograde,
  feedback and export of the whole class, ``--jobs`` workers side by side (default: one per
  core); its wall-clock time divided by N is the amortised cost per submission (goal: at
  most 6 s for a class of 100 on 2 cores);
* **bare**: ``jupyter nbconvert --to notebook --execute`` of the notebook autograde ran (the
  submission with its hidden tests put back), in the default unsandboxed kernel, one after
  the other, divided by N.

Printed: throughput (submissions per minute), seconds per submission, the ratio of the two,
and what that makes for 500 students. Run from the repository root::

    python benchmarks/bench_grading.py [--students 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.homework_submissions, the submission generator

from tests.homework_submissions import submission  # noqa: E402

HOMEWORK = REPO / "homework"


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--bare-runs", type=int, default=2, help="bare executions to average")
    args = parser.parse_args()
    n = args.students
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    nbgrader = [sys.executable, "-m", "nbgrader"]
    nbconvert = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute"]

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(
            HOMEWORK,
            course,
            ignore=shutil.ignore_patterns(
                "release", "submitted", "autograded", "feedback", "gradebook.db", "__pycache__"
            ),
        )
        run([*nbgrader, "generate_assignment", "one_cycle"], course, env)
        release = nbformat.read(course / "release/one_cycle/one_cycle.ipynb", as_version=4)
        for i in range(n):
            folder = course / "submitted" / f"student{i}" / "one_cycle"
            folder.mkdir(parents=True)
            nbformat.write(submission(release, "correct"), folder / "one_cycle.ipynb")

        grading = run(
            [sys.executable, "-m", "lrlab_grading.classgrade", f"--jobs={args.jobs}",
             "--assignment=one_cycle"],
            course,
            env,
        )  # fmt: skip

        # The notebook autograde executed: the submission with the hidden tests restored.
        graded = nbformat.read(
            course / "autograded/student0/one_cycle/one_cycle.ipynb", as_version=4
        )
        for cell in graded.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        bare_dir = Path(tmp) / "bare"
        bare_dir.mkdir()
        nbformat.write(graded, bare_dir / "one_cycle.ipynb")
        bare = sum(
            run([*nbconvert, "--output", f"run{i}", "one_cycle.ipynb"], bare_dir, env)
            for i in range(args.bare_runs)
        )

    per_grade, per_bare = grading / n, bare / args.bare_runs
    print(f"class: {n} correct submissions, {args.jobs} workers, {os.cpu_count()} cores")
    print(f"make grade (autograde + feedback + export): {grading:7.1f} s in all")
    print(f"  throughput: {60 * n / grading:.1f} submissions per minute")
    print(f"  amortised: {per_grade:.1f} s per submission (goal: at most 6 s)")
    print(f"bare jupyter nbconvert --execute, serial: {per_bare:.1f} s per notebook")
    print(f"ratio: {per_grade / per_bare:.2f}x of a bare execution")
    print(f"500 students at this rate: {500 * per_grade / 60:.0f} minutes")


if __name__ == "__main__":
    main()
