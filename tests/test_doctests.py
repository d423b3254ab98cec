"""Run the doctest examples in lrlab's docstrings, so every example a reader copies works."""

from __future__ import annotations

import doctest
import importlib

import pytest

# The modules whose examples this file vouches for (explorer and textlm have their own tests).
MODULES = [
    "lrlab.data",
    "lrlab.finder",
    "lrlab.landscapes",
    "lrlab.models",
    "lrlab.optim",
    "lrlab.plotting",
    "lrlab.schedule_free",
    "lrlab.schedules",
    "lrlab.schedules.core",
    "lrlab.schedules.formulas",
    "lrlab.schedules.plateau",
    "lrlab.schedules.torch_adapter",
    "lrlab.train",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
