"""Run the doctest examples in lrlab's docstrings, so every example a reader copies works."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

# The modules whose examples this file vouches for (explorer, a widget, has its own tests).
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
    "lrlab.stats",
    "lrlab.textlm",
    "lrlab.train",
]


class _Finder(doctest.DocTestFinder):
    """Also finds the examples of functions wrapped by ``validate_params`` (the wrapper's
    globals are lrlab._validate's, which doctest would take for another module's)."""

    def _from_module(self, module, object):
        return super()._from_module(module, inspect.unwrap(object))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in _Finder().find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_every_schedule_factory_has_an_example():
    from lrlab.schedules import formulas

    finder = _Finder()
    for factory in formulas.__all__:
        tests = finder.find(getattr(formulas, factory), factory, module=formulas)
        assert any(t.examples for t in tests), f"{factory} has no doctest example"


@pytest.mark.parametrize("module", ["lrlab.optim", "lrlab.schedule_free", "lrlab.stats"])
def test_every_public_optimizer_and_test_has_an_example(module: str) -> None:
    mod = importlib.import_module(module)
    finder = _Finder()
    for name in mod.__all__:
        tests = finder.find(getattr(mod, name), name, module=mod)
        assert any(t.examples for t in tests), f"{module}.{name} has no doctest example"
