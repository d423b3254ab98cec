"""The course kit as a student meets it: unpacked in an empty folder, installed into a fresh
venv with nothing but its own ``requirements.txt``, every lecture run top to bottom.

Shared by tests/test_kit.py, tests/test_jupyterlab.py (through the session fixtures in the
root conftest.py) and benchmarks/bench_kit.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.book_build import REPO

KIT_ZIP = "course-kit.zip"
# What a kit venv must not be able to import: the book's and the grader's tools.
BOOK_ONLY_MODULES = ("myst_nb", "jupyter_book", "nbgrader", "sphinx")
NOTEBOOK_TIMEOUT = 900  # seconds for one lecture; the whole kit's goal is 300 (bench_kit.py)

# Run by the lrlab wheel alone: every module imports, and a short use of each main one.
WHEEL_SMOKE = """
import importlib, pkgutil, sys
import numpy as np
import torch
import lrlab

assert "site-packages" in lrlab.__file__, lrlab.__file__
names = sorted(m.name for m in pkgutil.iter_modules(lrlab.__path__) if not m.name.startswith("_"))
for module in pkgutil.walk_packages(lrlab.__path__, "lrlab."):
    importlib.import_module(module.name)
print("modules", *names)

from lrlab import data, explorer, landscapes, models, optim, plotting, schedules, train

rates = schedules.cosine_annealing(0.1, 100)(np.arange(100))
assert rates[0] == 0.1 and rates[-1] < 1e-3
train_loader, val_loader = data.digits(batch_size=128)
model = models.mlp(seed=0)
history = train.fit(model, optim.Adam(model.parameters(), lr=1e-3), train_loader, val_loader)
assert np.isfinite(history.train_loss).all()
path = landscapes.trajectory(optim.SGD, landscapes.quadratic(), steps=5, lr=0.05)
assert path.shape == (6, 2)
html = explorer.schedule_explorer("cyclic")._repr_mimebundle_()["text/html"]
assert "plotly-graph-div" in html
plotting.use_book_style()
import matplotlib.pyplot as plt
plt.figure(); plt.plot(rates); plt.savefig("rates.png")
if "textlm" in names:
    from lrlab import textlm
    assert len(textlm.corpus_text()) > 100_000
print("ok")
"""


def toc_lectures(root: Path = REPO) -> list[str]:
    """The lectures of the table of contents, as kit notebook names (``decay_schedules``).

    A lecture is a MyST notebook page under ``lectures/``; the homework pages only wrap the
    assignment, which the kit ships under ``homework/``.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [
        chapter["file"]
        for part in toc.get("parts", [])
        for chapter in part.get("chapters", [])
        if "file" in chapter
    ]
    names = []
    for file in files:
        path = root / f"{file}.md"
        if (
            file.startswith("lectures/")
            and not Path(file).name.startswith("homework_")
            and path.is_file()
            and path.read_text(encoding="utf-8").startswith("---\njupytext:")
        ):
            names.append(Path(file).name)
    return names


def unpack(kit_zip: Path, dest: Path) -> Path:
    with zipfile.ZipFile(kit_zip) as kit:
        kit.extractall(dest)
    return dest


def student_env(home: Path) -> dict[str, str]:
    """A student's environment: own HOME (no kernels or settings of ours), no repository path."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))
    }
    env.update(HOME=str(home), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def make_venv(venv: Path, pip_args: list[str], cwd: Path, env: dict[str, str]) -> Path:
    """A fresh venv (the running Python, so 3.11 as in CI) with ``pip install <pip_args>``."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    return install_into(venv, pip_args, cwd, env)


def install_into(venv: Path, pip_args: list[str], cwd: Path, env: dict[str, str]) -> Path:
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", *pip_args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return venv


def cleared(notebook: dict) -> dict:
    """The notebook as a student starts it: no outputs, no execution counts."""
    notebook = json.loads(json.dumps(notebook))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def run_notebook(venv: Path, notebook: Path, workdir: Path, env: dict[str, str]) -> float:
    """Execute ``notebook`` (outputs cleared first) with the venv's own Jupyter, in ``workdir``.

    Returns the seconds it took; raises AssertionError with the failing cell's error.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / notebook.name
    source.write_text(json.dumps(cleared(json.loads(notebook.read_text()))), encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run(
        [
            str(venv / "bin" / "jupyter"),
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            f"--ExecutePreprocessor.timeout={NOTEBOOK_TIMEOUT}",
            "--output",
            f"{notebook.stem}.executed.ipynb",
            str(source),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"{notebook.name} failed in the kit venv:\n{done.stderr[-4000:]}"
    return seconds


@pytest.fixture(scope="session")
def course_kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit the book build wrote (the session's cold build, or LRLAB_KIT_ZIP when
    iterating), unpacked in an empty folder."""
    if os.environ.get("LRLAB_KIT_ZIP"):
        kit_zip = Path(os.environ["LRLAB_KIT_ZIP"])
    else:
        kit_zip = request.getfixturevalue("cold_book").html / KIT_ZIP
    assert kit_zip.is_file(), f"the book build wrote no {KIT_ZIP}"
    return unpack(kit_zip, tmp_path_factory.mktemp("kit"))


@dataclass
class KitVenv:
    """The kit venv, and what the lrlab wheel alone could do in it before the rest came."""

    path: Path
    wheel_alone: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def kit_venv(course_kit: Path, tmp_path_factory: pytest.TempPathFactory) -> KitVenv:
    """A fresh venv with the kit's ``pip install -r requirements.txt``.

    One torch install serves two checks: first the kit's lrlab wheel goes in alone and
    ``WHEEL_SMOKE`` runs (tests/test_kit.py reads the result), then the rest of the
    requirements (JupyterLab) go in on top, as ``pip install -r`` would have put them.
    """
    home = tmp_path_factory.mktemp("student-home")
    env = student_env(home)
    if os.environ.get("LRLAB_KIT_VENV"):  # when iterating: a kit venv made before
        venv = Path(os.environ["LRLAB_KIT_VENV"])
        smoke = subprocess.run(
            [str(venv / "bin" / "python"), "-c", WHEEL_SMOKE],
            cwd=home,
            env=env,
            text=True,
            capture_output=True,
        )
        return KitVenv(venv, smoke)
    venv = tmp_path_factory.mktemp("kit-venv") / "venv"
    (wheel,) = course_kit.glob("lrlab-*.whl")
    make_venv(venv, [str(wheel)], course_kit, env)
    smoke = subprocess.run(
        [str(venv / "bin" / "python"), "-c", WHEEL_SMOKE],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
    )
    install_into(venv, ["-r", "requirements.txt"], course_kit, env)
    return KitVenv(venv, smoke)
