"""Grade a whole class on all cores: autograde, feedback and export, nobody lost.

``make grade`` runs ``python -m lrlab_grading.classgrade`` in ``homework/``. For every
assignment in ``source/`` and every student with a folder ``submitted/<student>/<assignment>``:

1. autograde, in ``--jobs`` worker processes side by side (default: one per core); each
   worker loads the course configuration once (``nbgrader_config.py``: sandbox, trusted
   checks, ...) and grades one submission at a time with nbgrader's own ``Autograde``
   converter, through :class:`nbgrader.apps.NbGraderAPI`;
2. feedback for every submission graded, the same way;
3. ``nbgrader export`` once, into ``grades.csv``.

The gradebook is one SQLite file: every worker holds an exclusive lock on
``gradebook.db.lock`` while it has the gradebook open (:func:`serialise_gradebook`), so its
writes never interleave and none is lost to "database is locked". A submission that fails
(a broken notebook, a link, anything nbgrader cannot grade) fails alone: it is listed at the
end with the first line of its error, and the exit status is 1. A sandbox that cannot start
or a configuration that cannot grade (``SandboxUnavailable``, ``GradingMisconfigured``)
stops the whole run at once, as it does for ``nbgrader autograde``.

Options after the known ones are nbgrader configuration, as on nbgrader's command line
(``--SandboxedExecute.timeout=30``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import contextlib
import fcntl
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

STOP_ERRORS = ("SandboxUnavailable", "GradingMisconfigured")
_state: dict[str, Any] = {}


def serialise_gradebook(lock_path: str) -> None:
    """Make every ``Gradebook`` of this process hold an exclusive file lock while open."""
    from nbgrader import api

    handle = open(lock_path, "a")  # held for the life of the worker
    depth = [0]
    original_init, original_close = api.Gradebook.__init__, api.Gradebook.close

    def acquire() -> None:
        if depth[0] == 0:
            fcntl.flock(handle, fcntl.LOCK_EX)
        depth[0] += 1

    def release() -> None:
        depth[0] -= 1
        if depth[0] == 0:
            fcntl.flock(handle, fcntl.LOCK_UN)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        acquire()
        self._lrlab_locked = True
        try:
            original_init(self, *args, **kwargs)
        except BaseException:
            self._lrlab_locked = False
            release()
            raise

    def close(self: Any) -> None:
        try:
            original_close(self)
        finally:
            if getattr(self, "_lrlab_locked", False):
                self._lrlab_locked = False
                release()

    def release_all() -> None:
        # After each submission: a gradebook some step forgot to close must not block others.
        if depth[0]:
            depth[0] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)

    api.Gradebook.__init__ = __init__
    api.Gradebook.close = close
    _state["release_all"] = release_all


def _worker_init(course: str, extra_args: list[str]) -> None:
    os.chdir(course)
    sys.path.insert(0, course)
    # nbgrader's own gradebook code warns about its ORM use on every submission; noise here.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(list(extra_args))
    serialise_gradebook(os.path.join(course, "gradebook.db.lock"))
    _state["api"] = NbGraderAPI(coursedir=app.coursedir, config=app.config)


def _run(step: str, assignment: str, student: str) -> dict[str, Any]:
    api = _state["api"]
    start = time.perf_counter()
    try:
        if step == "autograde":
            result = api.autograde(assignment, student, force=True, create=True)
        else:
            result = api.generate_feedback(assignment, student, force=True)
    except BaseException as exc:  # one submission must not stop the worker
        result = {"success": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        _state["release_all"]()
    result.update(
        step=step, assignment=assignment, student=student, seconds=time.perf_counter() - start
    )
    # nbgrader's Autograde logs and moves on when a notebook fails; it reports success=False
    # only for some failures, so read its log as well.
    log = result.get("log", "") or ""
    if "There was an error processing assignment" in log or "Removing failed" in log:
        result["success"] = False
    return result


EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Submission|Unavailable|"
    r"Misconfigured|Interrupt)\b:?"
)


def first_error_line(result: dict[str, Any]) -> str:
    """The exception that stopped this submission, as ``Class: message`` (last one raised)."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [line.strip() for line in text.splitlines()]
    found = [
        line for line in lines if EXCEPTION_LINE.match(line) and "NbGraderException" not in line
    ]
    if found:
        return found[-1][:300]
    return next((line[:300] for line in reversed(lines) if line), "unknown error")


def class_tasks(course: Path, assignments: list[str]) -> list[tuple[str, str]]:
    """(assignment, student) for every submission folder; links are refused by intake later."""
    return [
        (assignment, folder.parent.name)
        for assignment in assignments
        for folder in sorted((course / "submitted").glob(f"*/{assignment}"))
        if folder.is_dir()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--assignment", action="append", help="default: all in source/")
    parser.add_argument("--no-feedback", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    args, extra = parser.parse_known_args(argv)
    course = Path.cwd().resolve()
    if not (course / "nbgrader_config.py").is_file():
        print("run this in the course folder (homework/)", file=sys.stderr)
        return 2
    assignments = args.assignment or sorted(
        d.name for d in (course / "source").iterdir() if d.is_dir() and any(d.glob("*.ipynb"))
    )
    tasks = class_tasks(course, assignments)
    print(f"grading {len(tasks)} submissions of {', '.join(assignments)} on {args.jobs} workers")
    started = time.perf_counter()
    failures: list[dict[str, Any]] = []
    warnings: list[str] = []
    stop = None
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(
        args.jobs, mp_context=context, initializer=_worker_init, initargs=(str(course), extra)
    ) as pool:
        graded: list[tuple[str, str]] = []
        for step in ("autograde", "feedback"):
            if step == "feedback" and (args.no_feedback or stop):
                break
            todo = tasks if step == "autograde" else graded
            jobs = [pool.submit(_run, step, a, s) for a, s in todo]
            for job in futures.as_completed(jobs):
                result = job.result()
                who = f"{result['student']} ({result['assignment']})"
                log = (result.get("log") or "") + (result.get("error") or "")
                if any(name in log for name in STOP_ERRORS):
                    stop = stop or log
                    for other in jobs:
                        other.cancel()
                    continue
                if result["success"]:
                    if step == "autograde":
                        graded.append((result["assignment"], result["student"]))
                    for line in log.splitlines():
                        if "repeats the released cell" in line:
                            warnings.append(f"{who}: {line.split('] ', 1)[-1]}")
                    print(f"  {step} {who}: ok ({result['seconds']:.1f} s)", flush=True)
                else:
                    failures.append(result)
                    # nbgrader removes the failed assignment's folder, not the student's
                    with contextlib.suppress(OSError):
                        (course / "autograded" / result["student"]).rmdir()
                    print(f"  {step} {who}: FAILED: {first_error_line(result)}", flush=True)
    elapsed = time.perf_counter() - started
    if stop:
        print(stop[-3000:], file=sys.stderr)
        print("grading stopped: the sandbox or the configuration is broken (above)")
        return 2
    if not args.no_export:
        subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=course, check=False)
    n = len(tasks)
    print(
        f"graded {len(graded)} of {n} submissions in {elapsed:.0f} s "
        f"({elapsed / max(n, 1):.1f} s per submission, {args.jobs} workers)"
    )
    if warnings:
        print("graded, but worth a look:")
        for line in warnings:
            print(f"  {line}")
    if failures:
        print("needs a look (not graded automatically):")
        for result in failures:
            print(
                f"  {result['student']} ({result['assignment']}, {result['step']}): "
                f"{first_error_line(result)}"
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
