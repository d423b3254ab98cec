"""The three assignments, authored as MyST: references, release, and a real class round trip.

* Each assignment's reference (``homework/assignments/<a>.py``) equals its oracle: torch's
  ``OneCycleLR``, torch's and ``lrlab``'s schedules, ``torch.optim.Adam``/``AdamW``.
* ``homework/source/<a>/<a>.ipynb`` is what ``homework/tools/release.py`` makes from the MyST
  source, and ``homework/student/<a>.ipynb`` is what ``nbgrader generate_assignment`` releases
  from it; ``one_cycle``'s release keeps the grade ids, cell order and test cells of the
  notebook students already hold (``homework/tools/legacy/one_cycle_released_v1.ipynb``).
* The targets and the Part 3 hint are measured here, not trusted.
* One class of generated submissions per new assignment (``schedules``, ``adam``) is graded
  by the real nbgrader in a throwaway copy of the course, with the course's own parallel
  driver (``lrlab_grading.classgrade``): correct, stub, plausible wrong answers, attacks.

Slow (a few minutes: sandboxed kernels importing torch, and the grader's own re-training):
``-m homework``.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tests.homework_submissions import marked_lines

pytestmark = pytest.mark.homework

REPO = Path(__file__).resolve().parents[1]
HOMEWORK = REPO / "homework"
ASSIGNMENTS = ("adam", "one_cycle", "schedules")
LEGACY_ONE_CYCLE = HOMEWORK / "tools" / "legacy" / "one_cycle_released_v1.ipynb"
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded", "exports")


def homework_import(name: str):
    """A module under homework/ (assignments.*, lrlab_grading.*), without writing bytecode."""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    if str(HOMEWORK) not in sys.path:
        sys.path.insert(0, str(HOMEWORK))
    try:
        return importlib.import_module(name)
    finally:
        sys.dont_write_bytecode = saved


def release_tool():
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    sys.path.insert(0, str(HOMEWORK / "tools"))
    try:
        return importlib.import_module("release")
    finally:
        sys.path.remove(str(HOMEWORK / "tools"))
        sys.dont_write_bytecode = saved


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def secret_lines(name: str) -> tuple[set[str], set[str]]:
    """Distinctive lines of the source's hidden tests and of its solutions (stripped), minus
    any line the release also holds (a signature, a docstring)."""
    source = nbformat.read(HOMEWORK / "source" / name / f"{name}.ipynb", as_version=4)
    released = {
        line.strip()
        for cell in nbformat.read(HOMEWORK / "student" / f"{name}.ipynb", as_version=4).cells
        for line in cell.source.splitlines()
    }
    hidden, solution = marked_lines(source, min_chars=16)
    return hidden - released, solution - released


def text_lines(path: Path) -> set[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        import html

        raw = html.unescape(re.sub(r"<[^>]+>", "\n", raw))
    elif path.suffix == ".ipynb":
        raw = "\n".join(
            line
            for cell in json.loads(raw)["cells"]
            for line in "".join(cell["source"]).split("\n")
        )
    return {line.strip() for line in raw.splitlines()}


# -- references against their oracles --------------------------------------------------------


def test_one_cycle_reference_equals_torch() -> None:
    oc = homework_import("assignments.one_cycle")
    checked = 0
    for strategy in ("cos", "linear"):
        for three_phase in (False, True):
            for case in oc.draw_cases(7 + three_phase, strategy, three_phase, 10):
                total_steps, max_lr, pct, div, fdiv, steps = case
                setting = {
                    "total_steps": total_steps, "max_lr": max_lr, "pct_start": pct,
                    "anneal_strategy": strategy, "div_factor": div,
                    "final_div_factor": fdiv, "three_phase": three_phase,
                }  # fmt: skip
                want = oc.torch_rates(setting, list(steps))
                got = [oc.one_cycle(t, **setting) for t in steps]
                assert got == want, setting  # torch's float operations, in torch's order
                checked += len(steps)
    assert checked > 200
    for change in oc.bad_arguments():
        with pytest.raises(ValueError):
            oc.one_cycle(**{"step": 0, "total_steps": 100, "max_lr": 0.1, **change})


def torch_schedule_rates(name: str, setting: dict, steps: list[int]) -> list[float]:
    """torch's rates for the schedules assignment's three shapes."""
    from torch.optim import lr_scheduler as ls

    from lrlab.schedules import record_torch_rates

    def make(opt):
        if name == "cosine_restarts":
            return ls.CosineAnnealingWarmRestarts(
                opt, setting["first_cycle_steps"], setting["cycle_mult"], setting["min_lr"]
            )
        if name != "warmup_cosine":
            raise ValueError(name)
        w, total = setting["warmup_steps"], setting["total_steps"]
        cosine = ls.CosineAnnealingLR(opt, total - w, setting["min_lr"])
        if w == 0:
            return cosine
        # LinearLR cannot start at 0: LambdaLR for the ramp, as the lecture says
        ramp = ls.LambdaLR(opt, lambda t: t / w)
        return ls.SequentialLR(opt, [ramp, cosine], milestones=[w])

    recorded = record_torch_rates(make, max(steps) + 1, lr=setting["max_lr"])
    return [float(recorded.lr[t]) for t in steps]


def test_schedules_references_equal_torch_and_lrlab() -> None:
    import random

    import numpy as np

    from lrlab import schedules as ls

    sc = homework_import("assignments.schedules")
    rng = random.Random(3)
    checked = 0
    for name in sc.SCHEDULE_NAMES:
        for _ in range(25):
            setting = sc.draw_setting(rng, name)
            steps = sc.boundary_steps(name, setting, rng)
            got = np.array([sc.REFERENCE[name](t, **setting) for t in steps])
            assert all(type(v) is float for v in got.tolist())
            s = setting
            if name == "warmup_cosine":
                cosine = ls.cosine_annealing(s["max_lr"], s["total_steps"] - s["warmup_steps"],
                                             s["min_lr"])  # fmt: skip
                lrlab_rates = ls.warmup(cosine, s["warmup_steps"])(np.array(steps))
                # torch's cosine keeps oscillating past T; the assignment holds min_lr there
                inside = [t for t in steps if t <= s["total_steps"]]
                torch_rates = torch_schedule_rates(name, s, inside)
                np.testing.assert_allclose(got[: len(inside)], torch_rates, rtol=1e-9, atol=1e-12)
            elif name == "cosine_restarts":
                lrlab_rates = ls.cosine_warm_restarts(
                    s["max_lr"], s["first_cycle_steps"], s["cycle_mult"], s["min_lr"]
                )(np.array(steps))
                torch_rates = torch_schedule_rates(name, s, steps)
                np.testing.assert_allclose(got, torch_rates, rtol=1e-9, atol=1e-12)
            else:
                lrlab_rates = ls.warmup_stable_decay(
                    s["max_lr"], s["warmup_steps"], s["stable_steps"], s["decay_steps"],
                    s["min_lr"], decay="sqrt",
                )(np.array(steps))  # fmt: skip
            np.testing.assert_allclose(got, lrlab_rates, rtol=1e-12, atol=1e-15 * s["max_lr"])
            checked += len(steps)
    assert checked > 500
    for name, kwargs in sc.bad_arguments():
        with pytest.raises(ValueError):
            sc.REFERENCE[name](**kwargs)


def test_adam_references_equal_torch() -> None:
    ad = homework_import("assignments.adam")
    for name in ("Adam", "AdamW"):
        for case in ad.fresh_cases(name, 20, seed=11):
            want = ad.torch_trajectory(case)
            assert ad.close(ad.torch_trajectory(case, ad.REFERENCE[name]), want), case
            assert ad.close(ad.round_trip_trajectory(case, ad.REFERENCE[name], 3), want[-1])
            # What the grader evaluates in the kernel gives the same numbers (run here).
            namespace = {name: ad.REFERENCE[name]}
            assert ad.close(eval(ad.trajectory_expression(case), namespace), want)
            assert ad.close(eval(ad.round_trip_expression(case, 3), namespace), want[-1])
    calls = [[n, {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}]
             for n, kw in ad.bad_arguments()]  # fmt: skip
    verdicts = eval(ad.exception_names_expression(calls), dict(ad.REFERENCE))
    assert verdicts == ["ValueError"] * len(calls)


def test_wrong_adams_differ_from_torch() -> None:
    """The plausible wrong answers the class below holds are wrong on the grader's cases."""
    ad = homework_import("assignments.adam")
    for variant in ("no_bias", "coupled"):
        namespace = dict(vars(ad))  # math, torch, Optimizer, as the notebook's setup cell
        exec(adam_answers(variant)["adam_solution"], namespace)
        exec(adam_answers(variant)["adamw_solution"], namespace)
        name = "Adam" if variant == "no_bias" else "AdamW"
        # Every case the grader draws first has weight decay, whatever the seed: the coupled
        # answer must fail the first case of any grading run, not only of a lucky one.
        for seed in range(30):
            case = ad.fresh_cases(name, 1, seed=seed)[0]
            got = ad.torch_trajectory(case, namespace[name])
            assert not ad.close(got, ad.torch_trajectory(case)), (variant, seed)


# -- measured claims -------------------------------------------------------------------------


def test_one_cycle_part3_hint_is_true() -> None:
    """The hint's example misses the target; the model settings reach it."""
    oc = homework_import("assignments.one_cycle")
    high = oc.train_with_one_cycle(oc.one_cycle, oc.HIGH_CONSTANT_INTUITION)
    assert round(high.val_acc[-1], 3) == 0.933  # the number the hint quotes
    assert high.val_acc[-1] < oc.TARGET_ACCURACY
    model = oc.train_with_one_cycle(oc.one_cycle, {"optimizer": "adam", "max_lr": 0.03})
    assert model.val_acc[-1] >= oc.TARGET_ACCURACY


def test_schedules_target_has_margin_and_bites() -> None:
    """Sensible settings of each schedule clear the target by >= 0.01 on the graded seeds;
    a peak rate far too high misses it."""
    sc = homework_import("assignments.schedules")
    good = {
        "warmup_cosine": {"total_steps": sc.TOTAL_STEPS, "max_lr": 0.1, "warmup_steps": 7},
        "cosine_restarts": {"first_cycle_steps": 23, "max_lr": 0.2, "cycle_mult": 2},
        "warmup_stable_decay": {"max_lr": 0.2, "warmup_steps": 7, "stable_steps": 40,
                                "decay_steps": 22},
    }  # fmt: skip
    for name, options in good.items():
        rates = sc.schedule_rates({"schedule": name, "options": options}, sc.REFERENCE)
        accuracies = [sc.train_with_schedule(rates, "sgd", 0.9, seed) for seed in sc.SEEDS]
        assert sum(accuracies) / len(accuracies) >= sc.TARGET_ACCURACY + 0.01, (name, accuracies)
    too_high = {"total_steps": sc.TOTAL_STEPS, "max_lr": 0.5, "warmup_steps": 7}
    rates = sc.schedule_rates({"schedule": "warmup_cosine", "options": too_high}, sc.REFERENCE)
    accuracies = [sc.train_with_schedule(rates, "sgd", 0.9, seed) for seed in sc.SEEDS]
    assert sum(accuracies) / len(accuracies) < sc.TARGET_ACCURACY


# -- MyST source -> source notebook -> release --------------------------------------------------


def test_source_notebooks_are_the_myst_sources_converted() -> None:
    tool = release_tool()
    assert tool.assignments() == list(ASSIGNMENTS)
    for name in ASSIGNMENTS:
        path = HOMEWORK / "source" / name / f"{name}.ipynb"
        assert path.read_text() == tool.source_notebook(name), f"run make release ({name})"


def test_one_cycle_release_keeps_the_layout_students_hold() -> None:
    """Same grade ids, cell order, cell kinds, points; test cells assert the same things."""
    legacy = nbformat.read(LEGACY_ONE_CYCLE, as_version=4).cells
    now = nbformat.read(HOMEWORK / "student" / "one_cycle.ipynb", as_version=4).cells
    assert [(c.cell_type, grade_id(c)) for c in now] == [(c.cell_type, grade_id(c)) for c in legacy]
    for old, new in zip(legacy, now, strict=True):
        old_meta, new_meta = old.metadata.get("nbgrader", {}), new.metadata.get("nbgrader", {})
        for key in ("grade", "solution", "locked", "points"):
            assert old_meta.get(key) == new_meta.get(key), (grade_id(old), key)
        if old_meta.get("grade") and old.cell_type == "code":

            def conditions(src: str) -> list[str]:
                return [
                    ast.dump(n.test) for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Assert)
                ]

            assert conditions(new.source) == conditions(old.source), grade_id(old)
            asserts = [n for n in ast.walk(ast.parse(new.source)) if isinstance(n, ast.Assert)]
            assert all(a.msg is not None for a in asserts), (
                f"{grade_id(new)}: assert without message"
            )


def test_student_copies_hold_no_solution_or_hidden_test() -> None:
    for name in ASSIGNMENTS:
        hidden, solution = secret_lines(name)
        assert len(hidden) > 20 and len(solution) > 5, name
        for path in (
            HOMEWORK / "student" / f"{name}.ipynb",
            REPO / "lectures" / f"{name}_student.md",
            REPO / "lectures" / f"homework_{name}.md",
        ):
            leaked = (hidden | solution) & text_lines(path)
            assert not leaked, (path, sorted(leaked)[:3])
        assert "YOUR CODE HERE" in (REPO / "lectures" / f"{name}_student.md").read_text()


def test_homework_pages_link_the_download_under_its_name() -> None:
    for name in ASSIGNMENTS:
        page = (REPO / "lectures" / f"homework_{name}.md").read_text()
        assert f"<../homework/student/{name}.ipynb>" in page
        assert "Restart Kernel and Run All Cells" in page
        assert page.count("## How to hand in") == 1
        toc = (REPO / "_toc.yml").read_text()
        assert f"lectures/homework_{name}" in toc


# -- the class round trip ------------------------------------------------------------------------


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "### BEGIN" not in line
                     and "### END" not in line)  # fmt: skip


def solutions(name: str) -> dict[str, str]:
    nb = nbformat.read(HOMEWORK / "source" / name / f"{name}.ipynb", as_version=4)
    return {
        grade_id(c): strip_markers(c.source)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def schedules_answers(kind: str) -> dict[str, str]:
    answers = solutions("schedules")
    answers["choose_schedule"] = "Warmup-stable-decay, because a stopped run can still cool down."
    if kind in ("off_by_one", "attack_displayhook", "attack_read"):
        # restarts one step late: T_cur runs to T_i inclusive
        answers["cosine_restarts_solution"] = replaced(
            answers["cosine_restarts_solution"],
            "while since_restart >= cycle_steps:",
            "while since_restart > cycle_steps:",
        )
    if kind == "attack_displayhook":
        # Publishes "ok" as the running test cell's result (nbgrader reads the first one).
        answers["cosine_restarts_solution"] = replaced(
            answers["cosine_restarts_solution"],
            "    since_restart, cycle_steps = step, first_cycle_steps",
            "    import sys\n\n    sys.displayhook('ok')\n"
            "    since_restart, cycle_steps = step, first_cycle_steps",
        )
    if kind == "honest":
        # Names in comments and strings, prints, warnings, logging, a helper cell: all fine.
        answers["wsd_solution"] = (
            "# torch.optim.lr_scheduler has no 1 - sqrt shape; lrlab.schedules has one\n"
            + answers["wsd_solution"]
        )
    if kind == "linear_cooldown":
        answers["wsd_solution"] = replaced(answers["wsd_solution"], "(1 - math.sqrt(q))", "(1 - q)")
    return answers


READ_HIDDEN = """
import glob
import os

for pattern in ("/**/source/**/*.ipynb", "../**/*.ipynb", "/home/**/*.ipynb"):
    for path in glob.glob(pattern, recursive=True)[:5]:
        try:
            print(path, open(path).read()[:20000])
        except OSError as error:
            print(path, error)
print(os.listdir(".."))
print("\\n".join(In))  # IPython's history: every cell run so far, hidden tests included
"""


HONEST_AFTER = ("warmup_cosine_solution", "adamw_solution")
HONEST_CELL = """
import logging
import re
import warnings

import torch

model = torch.nn.Linear(2, 1)
model.eval()  # the method, not the builtin
pattern = re.compile(r"lr_scheduler|lrlab|torch.optim.Adam")  # names in a string
logging.getLogger("mine").warning("checking my work against %s", pattern.pattern)
warnings.warn("a warning on stderr costs nothing", stacklevel=1)


def double(x: float) -> float:
    return 2 * x


print("my own cell, with a type-hinted helper:", double(3.0))
"""


def adam_answers(kind: str) -> dict[str, str]:
    answers = solutions("adam")
    answers["warmup_reading"] = "Warm-up made little difference here; see the table above."
    answers["warmup_experiment"] = "results = {}  # experiment left out"
    if kind == "no_bias":
        answers["adam_solution"] = replaced(
            replaced(
                answers["adam_solution"],
                "denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)",
                "denom = v.sqrt().add_(eps)",
            ),
            "value=-lr / (1 - beta1**t)",
            "value=-lr",
        )
    if kind == "coupled":
        answers["adamw_solution"] = replaced(
            answers["adamw_solution"],
            '        p.mul_(1 - group["lr"] * group["weight_decay"])\n        return p.grad',
            '        return p.grad.add(p, alpha=group["weight_decay"])',
        )
    if kind == "honest":
        answers["adamw_solution"] = (
            '"""The same numbers as torch.optim.AdamW, written from scratch."""\n\n\n'
            + answers["adamw_solution"]
        )
    if kind == "torch_subclass":
        answers["adam_solution"] = "class Adam(torch.optim.Adam):\n    pass"
        answers["adamw_solution"] = "class AdamW(torch.optim.AdamW):\n    pass"
    return answers


# Automatic points each submission must earn, per cell (None: graded by hand).
SCHEDULES_CELLS = ("warmup_cosine_tests", "cosine_restarts_tests", "warmup_stable_decay_tests",
                   "schedules_validation", "train_with_schedule_to_target")  # fmt: skip
ADAM_CELLS = ("adam_tests", "adamw_tests", "adam_state_dict_tests", "adam_validation")
EXPECTED = {
    "schedules": {
        "correct": {"warmup_cosine_tests": 3, "cosine_restarts_tests": 3,
                    "warmup_stable_decay_tests": 3, "schedules_validation": 1,
                    "train_with_schedule_to_target": 5},
        "honest": {"warmup_cosine_tests": 3, "cosine_restarts_tests": 3,
                   "warmup_stable_decay_tests": 3, "schedules_validation": 1,
                   "train_with_schedule_to_target": 5},
        "stub": dict.fromkeys(SCHEDULES_CELLS, 0),
        "off_by_one": {"warmup_cosine_tests": 3, "cosine_restarts_tests": 0,
                       "warmup_stable_decay_tests": 3, "schedules_validation": 1,
                       "train_with_schedule_to_target": 5},
        # the model config uses warmup_stable_decay: its rates are wrong, so is the training
        "linear_cooldown": {"warmup_cosine_tests": 3, "cosine_restarts_tests": 3,
                            "warmup_stable_decay_tests": 0, "schedules_validation": 1,
                            "train_with_schedule_to_target": 0},
    },
    "adam": {
        "correct": {"adam_tests": 4, "adamw_tests": 3, "adam_state_dict_tests": 2,
                    "adam_validation": 1},
        "honest": {"adam_tests": 4, "adamw_tests": 3, "adam_state_dict_tests": 2,
                   "adam_validation": 1},
        "stub": dict.fromkeys(ADAM_CELLS, 0),
        "no_bias": {"adam_tests": 0, "adamw_tests": 0, "adam_state_dict_tests": 0,
                    "adam_validation": 1},
        "coupled": {"adam_tests": 4, "adamw_tests": 0, "adam_state_dict_tests": 0,
                    "adam_validation": 1},
    },
}  # fmt: skip
ATTACKS = {  # attack -> the plainly wrong answer it is built on
    "schedules": {"attack_displayhook": "off_by_one", "attack_read": "off_by_one"},
    "adam": {"torch_subclass": "no_bias"},
}


def submission(name: str, kind: str) -> nbformat.NotebookNode:
    nb = nbformat.read(HOMEWORK / "student" / f"{name}.ipynb", as_version=4)
    if kind == "stub":
        return nb
    answers = schedules_answers(kind) if name == "schedules" else adam_answers(kind)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    if kind == "attack_read":
        nb.cells.append(new_code_cell(READ_HIDDEN))
    if kind == "honest":
        index = next(i for i, c in enumerate(nb.cells) if grade_id(c) in HONEST_AFTER)
        nb.cells.insert(index + 1, new_code_cell(HONEST_CELL))
    return nb


@dataclass
class GradedClass:
    root: Path
    log: str
    seconds: float
    scores: dict = field(default_factory=dict)  # (assignment, student) -> {grade_id: score}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> GradedClass:
    """ONE grading run of every submission of both new assignments, in parallel."""
    assert shutil.which("bwrap"), "bubblewrap is needed for grading: apt-get install bubblewrap"
    root = tmp_path_factory.mktemp("assignments") / "course"
    shutil.copytree(HOMEWORK, root, ignore=shutil.ignore_patterns(*GENERATED, "gradebook.db",
                                                                   "__pycache__"))  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    tool = release_tool()
    for name in ASSIGNMENTS:  # the real release, as make release runs it
        tool.run_nbgrader_release(root, name)
    for name in ("schedules", "adam"):
        for kind in [*EXPECTED[name], *ATTACKS[name]]:
            folder = root / "submitted" / kind / name
            folder.mkdir(parents=True)
            nbformat.write(submission(name, kind), folder / f"{name}.ipynb")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lrlab_grading.classgrade", "--assignment", "schedules",
         "--assignment", "adam", "--jobs", str(min(2, os.cpu_count() or 1))],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    graded = GradedClass(root, done.stdout + done.stderr, time.perf_counter() - start)
    assert done.returncode == 0, graded.log[-5000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for name in ("schedules", "adam"):
            for student in [*EXPECTED[name], *ATTACKS[name]]:
                nb = gb.find_submission_notebook(name, name, student)
                graded.scores[name, student] = {g.name: g.score for g in nb.grades}
    return graded


def test_release_equals_the_committed_student_notebooks(graded_class: GradedClass) -> None:
    for name in ASSIGNMENTS:
        released = (graded_class.root / "release" / name / f"{name}.ipynb").read_text()
        assert released == (HOMEWORK / "student" / f"{name}.ipynb").read_text(), (
            f"homework/student/{name}.ipynb is stale: run make release"
        )


def test_release_folders_hold_only_the_notebook(graded_class: GradedClass) -> None:
    """nbgrader copies every file of source/<a>/ into the release: not the MyST source."""
    for name in ASSIGNMENTS:
        files = sorted(p.name for p in (graded_class.root / "release" / name).iterdir())
        assert files == [f"{name}.ipynb"], files


@pytest.mark.parametrize("name", ["schedules", "adam"])
def test_scores_as_designed(graded_class: GradedClass, name: str) -> None:
    for kind, expected in EXPECTED[name].items():
        got = {k: graded_class.scores[name, kind][k] for k in expected}
        assert got == expected, (kind, got, graded_class.log[-3000:])


@pytest.mark.parametrize("name", ["schedules", "adam"])
def test_attacks_earn_no_more_than_the_wrong_answer(graded_class: GradedClass, name: str) -> None:
    for attack, base in ATTACKS[name].items():
        cells = EXPECTED[name][base]
        earned = sum(graded_class.scores[name, attack][k] for k in cells)
        assert earned <= sum(cells.values()), (attack, graded_class.scores[name, attack])


def test_feedback_holds_no_hidden_test(graded_class: GradedClass) -> None:
    for name in ("schedules", "adam"):
        hidden, _ = secret_lines(name)
        for kind in [*EXPECTED[name], *ATTACKS[name]]:
            page = graded_class.root / "feedback" / kind / name / f"{name}.html"
            assert page.is_file(), (kind, graded_class.log[-3000:])
            leaked = hidden & text_lines(page)
            assert not leaked, (kind, sorted(leaked)[:3])


def test_class_grading_time(graded_class: GradedClass) -> None:
    """Recorded for the report; the budget is the CI's (about 8 minutes for this file)."""
    count = sum(len(EXPECTED[n]) + len(ATTACKS[n]) for n in ("schedules", "adam"))
    print(f"graded {count} submissions in {graded_class.seconds:.0f} s")
    assert graded_class.seconds < 8 * 60
