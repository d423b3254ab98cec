"""The homework round trip, with the real nbgrader CLI, on generated submissions.

One throwaway copy of ``homework/`` (the repository's course folder is never written to) goes
through what an instructor does: ``generate_assignment``, ``zip_collect`` for some students
and a ``submitted/`` folder for the others, one ``autograde`` for the whole class,
``generate_feedback`` and ``export``. The class (``tests/homework_submissions.py``) holds a
correct notebook, the untouched stub, a partly correct and a plainly wrong one, attacks on the
grading, notebooks that hang or kill their kernel, and a submission that is a symbolic link.
The assertions read what nbgrader wrote: the gradebook, the autograded notebooks, the
feedback HTML and the exported CSV.

Slow (a few minutes: a dozen sandboxed kernels, each importing torch): ``-m homework``.
"""

from __future__ import annotations

import copy
import csv
import html
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.homework_submissions import (
    ATTACKS,
    AUTOGRADED_TOTAL,
    CELL_POINTS,
    EXPECTED_AUTOGRADE,
    EXPECTED_PASS,
    HOMEWORK,
    HONEST,
    hidden_and_solution_lines,
    submission,
)

pytestmark = pytest.mark.homework

REPO = HOMEWORK.parent
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded", "exports")
ZIP_COLLECTED = ("correct", "wrong")  # arrive as an LMS download; the rest in submitted/
CELL_TIMEOUT = 30  # seconds; shorter than the course's 60 (loops cost this much), long enough
# for a busy machine (a cold setup cell that imports torch and matplotlib can take 15 s)
SYMLINKED = "mallory"
BROKEN = "brokenfile"  # a submission that is not a notebook at all


def grading_module(name: str):
    """A module of homework/lrlab_grading, imported without writing bytecode into homework/."""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    sys.path.insert(0, str(HOMEWORK))
    try:
        return importlib.import_module(f"lrlab_grading.{name}")
    finally:
        sys.path.remove(str(HOMEWORK))
        sys.dont_write_bytecode = saved


def notebook_lines(path: Path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}


def text_lines(path: Path) -> set[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        raw = html.unescape(re.sub(r"<[^>]+>", "\n", raw))
    elif path.suffix == ".ipynb":
        raw = raw.replace("\\n", "\n").replace('\\"', '"')
    return {line.strip().strip('",') for line in raw.splitlines()} | {
        line.strip() for line in raw.splitlines()
    }


@dataclass
class Course:
    root: Path
    env: dict
    log: dict = field(default_factory=dict)
    returncodes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    received: list = field(default_factory=list)

    def nbgrader(self, *args: str, step: str | None = None) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        name = step or args[0]
        self.seconds[name] = time.perf_counter() - start
        self.log[name] = done.stdout + done.stderr
        self.returncodes[name] = done.returncode
        return done

    def classgrade(self, *args: str) -> subprocess.CompletedProcess:
        """``make grade``'s command: the whole class, in parallel, autograde to export."""
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "lrlab_grading.classgrade", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        self.seconds["classgrade"] = time.perf_counter() - start
        self.log["classgrade"] = done.stdout + done.stderr
        self.returncodes["classgrade"] = done.returncode
        return done

    def autograded(self, student: str) -> nbformat.NotebookNode:
        path = self.root / "autograded" / student / "one_cycle" / "one_cycle.ipynb"
        return nbformat.read(path, as_version=4)

    def scores(self) -> dict[str, dict[str, float | None]]:
        """student -> {grade cell -> autograded score}, read from the gradebook.

        Only the class of ``EXPECTED_PASS`` (the link's owner and later arrivals are looked
        at separately, with :meth:`all_scores`).
        """
        return {k: v for k, v in self.all_scores().items() if k in EXPECTED_PASS}

    def all_scores(self) -> dict[str, dict[str, float | None]]:
        out = {}
        url = f"sqlite:///{self.root / 'gradebook.db'}"
        with Gradebook(url, course_id="lrlab") as gb:
            for student in gb.students:
                try:
                    nb = gb.find_submission_notebook("one_cycle", "one_cycle", student.id)
                except Exception:
                    continue
                out[student.id] = {g.name: g.auto_score for g in nb.grades if g.name in CELL_POINTS}
        return out


def cell(nb: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode:
    for c in nb.cells:
        if c.get("id") == key or c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == key:
            return c
    raise KeyError(key)


def output_text(c: nbformat.NotebookNode) -> str:
    parts = []
    for o in c.get("outputs", []):
        parts.append(o.get("text", ""))
        parts.append(f"{o.get('ename', '')}: {o.get('evalue', '')}")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    assert shutil.which("bwrap"), "bubblewrap is needed for grading: apt-get install bubblewrap"
    root = tmp_path_factory.mktemp("homework") / "course"
    shutil.copytree(
        HOMEWORK,
        root,
        ignore=shutil.ignore_patterns(*GENERATED, "gradebook.db", "__pycache__"),
    )
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    c = Course(root, env)
    assert c.nbgrader("generate_assignment", "one_cycle").returncode == 0, c.log

    # Something on the host's loopback that a sandboxed kernel must not reach.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(1.0)
    port = server.getsockname()[1]
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            c.received.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()

    release = nbformat.read(root / "release/one_cycle/one_cycle.ipynb", as_version=4)
    archive = root / "downloaded" / "one_cycle" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms_download.zip", "w") as zf:
        for kind in ZIP_COLLECTED:
            name = f"{kind}_2026-05-01-120000_one_cycle.ipynb"
            zf.writestr(name, nbformat.writes(submission(release, kind)))
    assert c.nbgrader("zip_collect", "one_cycle").returncode == 0, c.log["zip_collect"]
    for kind in EXPECTED_PASS:
        if kind in ZIP_COLLECTED:
            continue
        folder = root / "submitted" / kind / "one_cycle"
        folder.mkdir(parents=True)
        nb = submission(release, kind, port=port, repo_homework=str(HOMEWORK))
        nbformat.write(nb, folder / "one_cycle.ipynb")
    # A "submission" that is a link to the instructor's source notebook (solutions inside).
    linked = root / "submitted" / SYMLINKED / "one_cycle"
    linked.mkdir(parents=True)
    (linked / "one_cycle.ipynb").symlink_to(root / "source" / "one_cycle" / "one_cycle.ipynb")
    broken = root / "submitted" / BROKEN / "one_cycle"
    broken.mkdir(parents=True)
    (broken / "one_cycle.ipynb").write_text('{"cells": [ this is not JSON')

    # The whole class at once, as `make grade` does: autograde, feedback, export.
    c.classgrade(
        f"--SandboxedExecute.timeout={CELL_TIMEOUT}", "--SandboxedExecute.iopub_timeout=10"
    )
    stop.set()
    thread.join(timeout=5)
    server.close()
    return c


# -- grading ----------------------------------------------------------------------------------


def test_every_submission_graded_in_one_run_except_the_link(course: Course) -> None:
    print({step: round(s) for step, s in course.seconds.items()})  # shown with -s
    print(course.log["classgrade"][-600:])
    scores = course.scores()
    graded = {k for k, v in scores.items() if any(x is not None for x in v.values())}
    assert graded == set(EXPECTED_PASS), course.log["classgrade"][-3000:]
    # nbgrader registered the link's owner before refusing it, and gave no score
    assert not any(course.all_scores().get(SYMLINKED, {}).values())
    # The refused and the unreadable submission are named at the end, after all the others
    # were graded, and the command exits non-zero.
    assert course.returncodes["classgrade"] == 1
    summary = course.log["classgrade"].split("needs a look")[1]
    assert SYMLINKED in summary and "is not a regular file" in summary
    assert BROKEN in summary
    assert (
        f"graded {len(EXPECTED_PASS)} of {len(EXPECTED_PASS) + 2} submissions"
        in (course.log["classgrade"])
    )
    for student in (SYMLINKED, BROKEN):
        assert not (course.root / "autograded" / student).exists()


def test_careless_metadata_is_graded_and_named(course: Course) -> None:
    """A copied test cell or another schema version costs nothing, and is worth a look."""
    worth_a_look = course.log["classgrade"].split("worth a look")[1].split("needs a look")[0]
    assert "dup_cell" in worth_a_look and "one_cycle_linear" in worth_a_look
    for kind in HONEST:
        assert sum(course.scores()[kind].values()) == AUTOGRADED_TOTAL, kind


@pytest.mark.parametrize("kind", sorted(EXPECTED_PASS))
def test_scores_per_cell(course: Course, kind: str) -> None:
    scores = course.scores()[kind]
    passed = {name for name, score in scores.items() if score == CELL_POINTS[name]}
    zero = {name for name, score in scores.items() if score == 0}
    assert passed == EXPECTED_PASS[kind], scores
    assert passed | zero == set(CELL_POINTS), f"partial or missing scores: {scores}"


def test_correct_earns_everything_stub_nothing_partial_some(course: Course) -> None:
    total = {k: sum(v.values()) for k, v in course.scores().items()}
    assert total["correct"] == AUTOGRADED_TOTAL
    assert total["stub"] == 0
    assert 0 < total["partial"] < AUTOGRADED_TOTAL
    assert total == EXPECTED_AUTOGRADE


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_earns_no_more_than_a_wrong_answer(course: Course, attack: str) -> None:
    total = {k: sum(v.values()) for k, v in course.scores().items()}
    assert total[attack] <= total["wrong"]


def test_the_grader_writes_every_graded_cells_outputs(course: Course) -> None:
    """First output: the grader's verdict; after it nothing nbgrader would score."""
    scored = {"error", "execute_result"}
    for kind in EXPECTED_PASS:
        nb = course.autograded(kind)
        for key in CELL_POINTS:
            outputs = cell(nb, key).outputs
            assert outputs, (kind, key)
            first, rest = outputs[0], outputs[1:]
            passed = key in EXPECTED_PASS[kind]
            if passed:
                assert first.output_type == "stream" and first.text.startswith("Grader:")
            else:
                assert first.output_type == "error" and first.ename == "GraderCheckFailed"
            for o in rest:
                assert o.output_type not in scored, (kind, key, o.output_type)
                assert not (o.output_type == "stream" and o.name == "stderr"), (kind, key)


def test_displayhook_result_is_only_evidence(course: Course) -> None:
    graded = cell(course.autograded("displayhook"), "one_cycle_two_phase_cos")
    assert graded.outputs[0].ename == "GraderCheckFailed"
    assert any(o.get("data", {}).get("text/plain") == "'ok'" for o in graded.outputs[1:])
    assert course.scores()["displayhook"] == course.scores()["wrong"]


def test_torch_scheduler_in_a_thread_earns_nothing(course: Course) -> None:
    nb = course.autograded("thread")
    for key in ("one_cycle_two_phase_cos", "train_to_target"):
        verdict = cell(nb, key).outputs[0]
        assert "not use torch's OneCycleLR" in verdict.evalue, verdict


def test_locked_metadata_does_not_switch_the_rules_off(course: Course) -> None:
    nb = course.autograded("locked")
    assert cell(nb, "one_cycle_solution").metadata.nbgrader["locked"] is False  # normalised
    # (the hidden tests in the kernel catch this one as well; the grader's rule must too)
    assert "not use torch's OneCycleLR" in grading_module("checks").rule_violation(nb)
    assert sum(course.scores()["locked"].values()) == 0


def test_honest_idioms_cost_nothing(course: Course) -> None:
    nb = course.autograded("honest")
    text = "\n".join(output_text(c) for c in nb.cells if c.cell_type == "code")
    # the warning and the log line really were emitted, and cost nothing
    assert "a friendly warning" in text and "a log line" in text
    assert sum(course.scores()["honest"].values()) == AUTOGRADED_TOTAL


def test_feedback_verdicts_are_the_graders(course: Course) -> None:
    # (test_feedback_holds_no_hidden_test searches every feedback page for hidden lines)
    # the display shown before the hidden tests kept its content in the graded notebook
    nb = course.autograded("leak_display")
    solution = cell(nb, "one_cycle_solution")
    assert "shown before the tests" in json.dumps(solution.outputs)
    assert "LEAK-DISPLAY" not in json.dumps(solution.outputs)
    text = html.unescape(re.sub(r"<[^>]+>", " ", (
        course.root / "feedback/fake_grader_error/one_cycle/one_cycle.html"
    ).read_text()))  # fmt: skip
    assert "the tests in this cell failed: an exception" in text


def test_plain_nbgrader_autograde_isolates_bad_submissions(course: Course) -> None:
    """Without make grade: one broken file and odd metadata, the others still graded."""
    release = nbformat.read(course.root / "release/one_cycle/one_cycle.ipynb", as_version=4)
    odd = submission(release, "schema")
    odd.cells.append(copy.deepcopy(odd.cells[-1]))  # and a duplicated cell
    for student, text in (
        ("zz_broken", "not a notebook"),
        ("zz_odd", nbformat.writes(odd)),
    ):
        folder = course.root / "submitted" / student / "one_cycle"
        folder.mkdir(parents=True)
        (folder / "one_cycle.ipynb").write_text(text)
    done = course.nbgrader(
        "autograde", "one_cycle", "--student=zz_*",
        f"--SandboxedExecute.timeout={CELL_TIMEOUT}", step="autograde-plain",
    )  # fmt: skip
    log = course.log["autograde-plain"]
    assert done.returncode != 0
    tail = log.split("There was an error processing assignment 'one_cycle'")[-1]
    assert "zz_broken" in tail, log[-2000:]
    assert "zz_odd" not in log.split("for student")[-1].split("\n")[0]
    assert sum(course.all_scores()["zz_odd"].values()) == AUTOGRADED_TOTAL


def test_torch_scheduler_earns_nothing(course: Course) -> None:
    nb = course.autograded("torch")
    assert "not call torch's OneCycleLR" in output_text(cell(nb, "one_cycle_two_phase_cos"))
    assert sum(course.scores()["torch"].values()) == 0


def test_lying_values_are_caught_by_the_hidden_tests(course: Course) -> None:
    """The liar's visible asserts pass (abs and float are patched); the hidden ones do not."""
    nb = course.autograded("liar")
    graded = cell(nb, "one_cycle_two_phase_cos")
    assert "visible tests passed" not in output_text(graded)  # hidden tests run first
    assert any(o.get("output_type") == "error" for o in graded.outputs)


def test_tampering_with_ipython_is_refused_by_the_grader(course: Course) -> None:
    nb = course.autograded("tamper")
    out = output_text(cell(nb, "one_cycle_two_phase_cos"))
    # In the kernel the hidden tests were blanked out, so only the grader's check stopped it.
    assert "GraderCheckFailed" in out and "input_transformers_cleanup" in out


def test_kernel_death_is_a_recorded_zero_with_its_reason(course: Course) -> None:
    nb = course.autograded("correct_then_exit")
    assert "KernelDied" in output_text(cell(nb, "one_cycle_config"))
    assert "exited with status 3" in output_text(cell(nb, "one_cycle_config"))
    assert "NotRun" in output_text(cell(nb, "train_to_target"))
    scores = course.scores()["correct_then_exit"]
    assert scores["train_to_target"] == 0  # recorded, not missing
    assert sum(scores.values()) == AUTOGRADED_TOTAL - CELL_POINTS["train_to_target"]


def test_endless_loops_are_interrupted_or_killed(course: Course) -> None:
    nb = course.autograded("loops")
    plain = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("while"))
    assert "KeyboardInterrupt" in output_text(plain)  # interrupted, the kernel lived on
    assert "KernelKilled" in output_text(cell(nb, "one_cycle_config"))  # SIGINT ignored
    assert course.scores()["loops"]["one_cycle_validation"] == 1  # graded before the loop


def test_sys_exit_does_not_stop_the_notebook(course: Course) -> None:
    nb = course.autograded("escape")  # its one_cycle cell ends with sys.exit(0)
    assert "SystemExit" in output_text(cell(nb, "one_cycle_solution"))
    assert course.scores()["escape"]["one_cycle_validation"] == 1


def test_sandbox_blocks_files_gradebook_and_network(course: Course) -> None:
    nb = course.autograded("escape")
    out = output_text(cell(nb, "one_cycle_config"))
    attempts = re.findall(r"ESCAPE (\S+): (\w+)", out)
    names = {name for name, _ in attempts}
    assert {
        "read-source", "read-own-autograded", "read-gradebook", "write-gradebook",
        "sqlite-gradebook", "read-other-student", "list-course", "read-release",
        "read-homework-in-repo", "write-cwd", "write-private-dir", "write-root", "network",
    } <= names, out[:2000]  # fmt: skip
    outcome = dict(attempts)
    # Listing the course folder works, and shows only the path down to its own folder.
    assert outcome.pop("list-course") == "SUCCEEDED"
    assert "ESCAPE list-course: SUCCEEDED \"['autograded']\"" in out
    assert set(outcome.values()) == {"blocked"}, attempts
    assert course.received == []  # nothing reached the host's loopback
    assert not (course.root / "autograded" / "escape" / "one_cycle" / "planted.py").exists()


def test_huge_output_is_truncated(course: Course) -> None:
    nb = course.autograded("escape")
    out = output_text(cell(nb, "one_cycle_config"))
    assert "[output truncated by the grader" in out
    size = (course.root / "autograded" / "escape" / "one_cycle" / "one_cycle.ipynb").stat().st_size
    assert size < 3_000_000  # it printed 20 MB


def test_feedback_holds_no_hidden_test(course: Course) -> None:
    hidden, _ = hidden_and_solution_lines()
    released = notebook_lines(course.root / "release/one_cycle/one_cycle.ipynb")
    files = sorted((course.root / "feedback").glob("*/one_cycle/one_cycle.html"))
    assert {f.parts[-3] for f in files} == set(EXPECTED_PASS)
    for path in files:
        student = path.parts[-3]
        own = notebook_lines(course.root / "submitted" / student / "one_cycle" / "one_cycle.ipynb")
        secret = hidden - released - own
        assert len(secret) > 100
        leaked = secret & text_lines(path)
        assert not leaked, (student, sorted(leaked)[:5])
    # The submission that printed the tests' source and IPython's history got it nowhere.
    autograded = json.dumps(nbformat.read(
        course.root / "autograded/peek/one_cycle/one_cycle.ipynb", as_version=4
    ))  # fmt: skip
    assert "_REAL_FLOAT" in autograded  # it did leak into the instructor's copy ...
    assert "_REAL_FLOAT" not in (course.root / "feedback/peek/one_cycle/one_cycle.html").read_text()


def test_feedback_reports_scores_and_reasons(course: Course) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", (
        course.root / "feedback/correct_then_exit/one_cycle/one_cycle.html"
    ).read_text()))  # fmt: skip
    assert "All tests in this cell passed." in text
    assert "NotRun" in text and "exited with status 3" in text


def test_export_lists_every_graded_student(course: Course) -> None:
    assert (course.root / "grades.csv").is_file(), course.log["classgrade"][-2000:]
    with open(course.root / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert set(rows) >= set(EXPECTED_PASS)
    for kind, points in EXPECTED_AUTOGRADE.items():
        assert float(rows[kind]["raw_score"]) == points  # part 2 is not graded yet


def test_zip_collect_filed_the_lms_download(course: Course) -> None:
    for kind in ZIP_COLLECTED:
        assert (course.root / "submitted" / kind / "one_cycle" / "one_cycle.ipynb").is_file()
        assert (course.root / "submitted" / kind / "one_cycle" / "timestamp.txt").is_file()


# -- when the sandbox cannot start ---------------------------------------------------------------


def test_grading_stops_when_the_sandbox_cannot_start(course: Course) -> None:
    before = course.all_scores()
    release = nbformat.read(course.root / "release/one_cycle/one_cycle.ipynb", as_version=4)
    for student in ("late1", "late2"):
        folder = course.root / "submitted" / student / "one_cycle"
        folder.mkdir(parents=True)
        nbformat.write(submission(release, "correct"), folder / "one_cycle.ipynb")
    # An address-space limit too small for Python: the sandboxed kernel cannot start.
    done = course.nbgrader(
        "autograde", "one_cycle", "--student=late*",
        "--SandboxKernelManager.memory_bytes=20000000", step="autograde-broken",
    )  # fmt: skip
    log = course.log["autograde-broken"]
    assert done.returncode != 0
    assert "sandboxed grading kernel could not start" in log
    assert "late1" in log and "late2" not in log.split("could not start")[1]
    for student in ("late1", "late2"):  # the first failed, the run stopped before the second
        assert not (course.root / "autograded" / student / "one_cycle").exists()
    after = course.all_scores()
    assert not any(after.get("late1", {}).values())
    assert "late2" not in after
    assert {k: v for k, v in after.items() if k != "late1"} == before


def test_launcher_refuses_tcp_and_missing_bwrap(tmp_path: Path) -> None:
    launch = HOMEWORK / "lrlab_grading" / "kernels" / "lrlab-sandbox" / "launch.py"
    private = tmp_path / "private"
    private.mkdir()
    conn = private / "kernel.json"
    conn.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1"}))
    done = subprocess.run(
        [sys.executable, str(launch), "-f", str(conn)], capture_output=True, text=True
    )
    assert done.returncode == 70 and "needs 'ipc'" in done.stderr
    done = subprocess.run(
        [sys.executable, str(launch), "-f", str(conn)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert done.returncode == 70 and "bubblewrap" in done.stderr


def test_cpu_and_memory_limits_hold(tmp_path: Path) -> None:
    """The kernel's rlimits, seen from inside: a 3 GiB allocation fails, a CPU hog dies."""
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    SandboxedExecute = grading_module("sandbox").SandboxedExecute

    config = Config()
    config.SandboxKernelManager.cpu_seconds = 8
    config.SandboxKernelManager.memory_bytes = 2 * 1024**3
    nb = new_notebook(
        cells=[
            new_code_cell("import resource; print(resource.getrlimit(resource.RLIMIT_CPU))"),
            new_code_cell("blob = bytearray(3 * 1024**3)"),
            new_code_cell(
                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
            ),
            new_code_cell("print('never')"),
        ]
    )
    executor = SandboxedExecute(config=config, timeout=120)
    nb, _ = executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert "(8, 13)" in output_text(nb.cells[0])
    assert "MemoryError" in output_text(nb.cells[1])
    assert "CPU-time limit (8 s)" in output_text(nb.cells[2])
    assert "NotRun" in output_text(nb.cells[3])


def test_the_sandbox_holds_as_a_whole(tmp_path: Path) -> None:
    """Limits of the whole sandbox, host knobs read-only, children that die with their cell,
    display updates kept to their own cell, a wall-clock budget per notebook."""
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    sandbox = grading_module("sandbox")
    limits = grading_module("limits")
    cgroup, why_not = limits.make(64 * 1024**2, 16, 1)
    if cgroup is None:
        pytest.skip(f"no cgroups on this host: {why_not}")  # README: rlimits only
    cgroup.remove()
    config = Config()
    config.SandboxKernelManager.sandbox_memory_bytes = 1024**3
    config.SandboxKernelManager.max_pids = 64
    config.SandboxKernelManager.cgroups = "required"
    cells = [
        "import os\nprint('threads', os.environ['OMP_NUM_THREADS'])\n"
        "try:\n    open('/proc/sys/vm/swappiness', 'w').write('60')\n"
        "    print('sysctl WRITTEN')\n"
        "except OSError as exc:\n    print('sysctl', type(exc).__name__)",
        # three children of 400 MB each: together over the 1 GB of the whole sandbox
        "import os, time\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        b = bytearray(400 * 1024**2)\n        b[::4096] = b'x' * len(b[::4096])\n"
        "        time.sleep(2)\n        os._exit(0)\n    kids.append(pid)\n"
        "print('children', sorted(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in kids))",
        "import threading, time\nn = 0\ntry:\n    for _ in range(200):\n"
        "        threading.Thread(target=time.sleep, args=(3,), daemon=True).start()\n"
        "        n += 1\nexcept RuntimeError:\n    pass\n"
        "print('threads started', n)\ntime.sleep(4)",
        # a child that burns CPU, and a cell that outlives its timeout
        "import os, time\nhog = os.fork()\nif hog == 0:\n    while True:\n        pass\n"
        "time.sleep(60)",
        "print('hog', os.waitstatus_to_exitcode(os.waitpid(hog, 0)[1]))",
        "from IPython.display import display\nh = display('before', display_id=True)",
        "h.update('rewritten later')\nfor _ in range(50):\n    h.update('x' * 100_000)",
        *["import time\ntime.sleep(4)"] * 12,
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    executor = sandbox.SandboxedExecute(config=config, timeout=15, notebook_seconds=60)
    start = time.monotonic()
    nb, _ = executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    elapsed = time.monotonic() - start
    out = [output_text(c) for c in nb.cells]
    assert "threads 1" in out[0] and "sysctl OSError" in out[0], out[0]
    assert "children [-9, 0, 0]" in out[1], out[1]  # one killed: memory of the whole sandbox
    started = int(re.search(r"threads started (\d+)", out[2]).group(1))
    assert 0 < started < 64, out[2]
    assert "KeyboardInterrupt" in out[3]
    assert "hog -9" in out[4], out[4]  # killed when its cell timed out
    assert "before" in json.dumps(nb.cells[5].outputs)  # the later update did not reach it
    assert "rewritten" not in json.dumps(nb.cells[5].outputs)
    assert len(json.dumps(nb.cells[6].outputs)) < 1_100_000
    assert "wall-clock budget of 60 s" in out[-1]
    assert elapsed < 60 + 60, elapsed


def test_an_autograded_cell_without_a_trusted_check_stops_grading(tmp_path: Path) -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    sandbox = grading_module("sandbox")
    graded = new_code_cell("assert True")
    graded.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "new_test",
                                   "points": 1, "locked": True}  # fmt: skip
    executor = sandbox.SandboxedExecute(trusted_checks={"other": "x:y"})
    with pytest.raises(sandbox.GradingMisconfigured, match="new_test"):
        executor.preprocess(new_notebook(cells=[graded]), {"metadata": {"path": str(tmp_path)}})


def test_cell_cap(tmp_path: Path) -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    sandbox = grading_module("sandbox")
    nb = new_notebook(cells=[new_code_cell(f"x = {i}") for i in range(6)])
    nb, _ = sandbox.SandboxedExecute(max_cells=4).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}}
    )
    assert [bool(c.outputs) for c in nb.cells] == [False] * 4 + [True] * 2
    assert "more than 4 code cells" in output_text(nb.cells[5])


def test_name_rules_match_real_uses_only() -> None:
    checks = grading_module("checks")
    honest = (
        "model.eval()\noptimizer.eval()\npattern = re.compile('a')\n"
        "# torch.compile(model)\nclass A:\n    def eval(self): pass\n"
        "text = 'eval(compile) OneCycleLR'\n"
    )
    assert not checks.bare_names_in(honest) & checks.BARE_TAMPERING_NAMES
    assert checks.bare_names_in("eval('1')") & checks.BARE_TAMPERING_NAMES
    assert checks.bare_names_in("f = compile") & checks.BARE_TAMPERING_NAMES
    assert not checks.names_in(honest) & checks.TORCH_SCHEDULER_NAMES
