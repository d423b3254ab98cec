"""Fixtures shared by the tests (kept at the root so tests/conftest.py stays free for helpers)."""

from __future__ import annotations

import os

# Before anything imports torch: the suite trains tiny models, for which a second thread on
# 2 shared cores costs far more than it gains (benchmarks/bench_train.py). Subprocesses (the
# book build's kernels, nbgrader's) inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from tests.book_build import Build, build, copy_repository
from tests.kit_env import course_kit, kit_venv  # noqa: F401  (the course kit, one venv a run)


@pytest.fixture(scope="session")
def cold_book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The book built once from a clean copy of the repository, with an empty cache."""
    root = copy_repository(tmp_path_factory.mktemp("book"))
    result = build(root)
    assert result.returncode == 0, result.problems()
    return result
