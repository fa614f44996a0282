"""The docstring examples of ilslib.figures, ilslib.fmt, ilslib.periods and ilslib.rules run, against the embedded demo warehouse."""

from __future__ import annotations

import doctest
import importlib

import pandas as pd
import pytest

import ilslib
import ilslib.figures as f

MODULES = [
    "ilslib.figures",
    "ilslib.figures._status",
    "ilslib.figures.activities",
    "ilslib.figures.catalogue",
    "ilslib.figures.compare",
    "ilslib.figures.datahash",
    "ilslib.figures.economy",
    "ilslib.figures.export",
    "ilslib.figures.goals",
    "ilslib.figures.indicators",
    "ilslib.figures.latest",
    "ilslib.figures.orgs",
    "ilslib.figures.personnel",
    "ilslib.figures.projection",
    "ilslib.figures.rollup",
    "ilslib.figures.texts",
    "ilslib.fmt",
    "ilslib.periods",
    "ilslib.rules",
]


@pytest.fixture(scope="module")
def demo_wh(demo_url):
    wh = ilslib.connect(demo_url)
    yield wh
    wh.close()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, demo_wh):
    module = importlib.import_module(name)
    extra = {"wh": demo_wh, "f": f, "pd": pd, "ilslib": ilslib}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name, extraglobs=extra)
    assert tests or name == "ilslib.figures", f"{name} has no examples"
    for t in tests:
        runner.run(t, out=report.append)
    assert runner.failures == 0, "".join(report)
