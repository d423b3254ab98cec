"""``nbgrader zip_collect`` with the course's LMS reader, on sample downloads and hostile uploads.

Each test makes a throwaway course (the course's ``nbgrader_config.py`` and grading package, a
released notebook), drops LMS downloads into ``downloaded/one_cycle/archive/`` and runs the real
``nbgrader zip_collect``; the assertions read ``submitted/``. No kernel runs, so this is fast.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

HOMEWORK = Path(__file__).resolve().parent.parent / "homework"
ASSIGNMENT = "one_cycle"


def notebook(owner: str) -> bytes:
    """A small valid notebook whose one markdown cell says whose it is."""
    nb = {
        "cells": [{"cell_type": "markdown", "id": "owner", "metadata": {}, "source": owner}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb).encode()


def zipped(members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


class Course:
    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copy(HOMEWORK / "nbgrader_config.py", root)
        shutil.copytree(
            HOMEWORK / "lrlab_grading",
            root / "lrlab_grading",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        release = root / "release" / ASSIGNMENT
        release.mkdir(parents=True)
        (release / f"{ASSIGNMENT}.ipynb").write_bytes(notebook("release"))
        self.archive = root / "downloaded" / ASSIGNMENT / "archive"
        self.archive.mkdir(parents=True)

    def collect(self, lms: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(
            [
                "nbgrader",
                "zip_collect",
                ASSIGNMENT,
                f"--LMSExtractor.lms={lms}",
                "--force",
            ],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def submitted(self) -> dict[str, str]:
        """Student id -> the owner written in their collected notebook."""
        found = {}
        for path in (self.root / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"):
            cells = json.loads(path.read_text())["cells"]
            found[path.parent.parent.name] = cells[0]["source"]
        return found

    def files_outside_submitted(self) -> list[Path]:
        expected = {"nbgrader_config.py", "lrlab_grading", "release", "downloaded", "submitted"}
        return [p for p in self.root.iterdir() if p.name not in expected]


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course(tmp_path)


def test_canvas_download_with_late_and_resubmitted_work(course: Course) -> None:
    (course.archive / "submissions.zip").write_bytes(
        zipped(
            {
                "doejane_123456_900001_one_cycle.ipynb": notebook("jane, first try"),
                "doejane_123456_900007_one_cycle-1.ipynb": notebook("jane, resubmitted"),
                "smithbob_LATE_234567_900003_one_cycle.ipynb": notebook("bob"),
                "leeann_345678_900004_one_cycle.zip": zipped(
                    {"hw/one_cycle.ipynb": notebook("ann, zipped")}
                ),
            }
        )
    )
    result = course.collect("canvas")
    assert result.returncode == 0, result.stderr
    assert course.submitted() == {
        "123456": "jane, resubmitted",
        "234567": "bob",
        "345678": "ann, zipped",
    }
    assert "two submissions" in result.stderr  # the instructor is told which one was kept


def test_moodle_download_in_folders_and_flat(course: Course) -> None:
    (course.archive / "moodle.zip").write_bytes(
        zipped(
            {
                "Jane Doe_101_assignsubmission_file/one_cycle.ipynb": notebook("jane"),
                "Jane Doe_101_assignsubmission_file/notes.txt": b"an extra file",
                "Bob_Smith_102_assignsubmission_file_one_cycle.ipynb": notebook("bob"),
            }
        )
    )
    result = course.collect("moodle")
    assert result.returncode == 0, result.stderr
    assert course.submitted() == {"101": "jane", "102": "bob"}


def test_plain_names_keep_underscores_at_signs_and_timestamps(course: Course) -> None:
    (course.archive / "download.zip").write_bytes(
        zipped(
            {
                "j_doe_one_cycle.ipynb": notebook("j_doe"),
                "jane.doe@uni.example_2026-05-01-120000_one_cycle.ipynb": notebook("jane"),
            }
        )
    )
    result = course.collect("plain")
    assert result.returncode == 0, result.stderr
    assert course.submitted() == {"j_doe": "j_doe", "jane.doe@uni.example": "jane"}
    stamp = course.root / "submitted/jane.doe@uni.example/one_cycle/timestamp.txt"
    assert stamp.read_text().startswith("2026-05-01")


def test_a_file_inside_an_upload_cannot_replace_another_students_work(course: Course) -> None:
    (course.archive / "submissions.zip").write_bytes(
        zipped(
            {
                "victimvera_111_900001_one_cycle.ipynb": notebook("vera, her own work"),
                "mallorymal_222_900002_one_cycle.zip": zipped(
                    {
                        "one_cycle.ipynb": notebook("mallory"),
                        "victimvera_111_999999_one_cycle.ipynb": notebook("forged vera"),
                        "../../submitted/111/one_cycle/one_cycle.ipynb": notebook("forged"),
                    }
                ),
            }
        )
    )
    result = course.collect("canvas")
    assert result.returncode == 0, result.stderr
    # Two files named one_cycle.ipynb in Mallory's upload: hers is left for a look, by name.
    assert course.submitted() == {"111": "vera, her own work"}
    assert "(222): the uploaded archive holds 2 files named one_cycle.ipynb" in result.stderr


def test_path_tricks_and_dot_ids_are_refused_alone(course: Course) -> None:
    (course.archive / "download.zip").write_bytes(
        zipped(
            {
                ".._one_cycle.ipynb": notebook("dotdot"),
                "._one_cycle.ipynb": notebook("dot"),
                "../evil_one_cycle.ipynb": notebook("escape"),
                "honest_one_cycle.ipynb": notebook("honest"),
            },
            symlinks=("linky_one_cycle.ipynb",),
        )
    )
    result = course.collect("plain")
    assert result.returncode == 0, result.stderr
    assert course.submitted() == {"honest": "honest"}
    assert course.files_outside_submitted() == []
    assert not (course.root.parent / "submitted").exists()
    for refused in ("'..'", "'.'", "../evil_one_cycle.ipynb", "symbolic link"):
        assert refused in result.stderr, refused


def test_a_zip_bomb_and_a_broken_archive_cost_only_their_owners(course: Course) -> None:
    bomb = zipped({"one_cycle.ipynb": b"{" + b" " * (300 * 2**20) + b"}"})
    assert len(bomb) < 400_000  # a few hundred KB on the wire
    (course.archive / "submissions.zip").write_bytes(
        zipped(
            {
                "bombbo_301_900001_one_cycle.zip": bomb,
                "brokenbe_302_900002_one_cycle.zip": b"PK\x03\x04 not really a zip",
                "finefay_303_900003_one_cycle.ipynb": notebook("fay"),
            }
        )
    )
    result = course.collect("canvas")
    assert result.returncode == 0, result.stderr
    assert course.submitted() == {"303": "fay"}
    extracted = course.root / "downloaded" / ASSIGNMENT / "extracted"
    assert sum(p.stat().st_size for p in extracted.rglob("*") if p.is_file()) < 2**20
    assert "301" in result.stderr and "302" in result.stderr  # both named for a look


def test_an_unknown_preset_is_refused(course: Course) -> None:
    result = course.collect("blackboard-ish")
    assert result.returncode != 0
    assert "LMSExtractor.lms must be one of" in result.stdout + result.stderr
