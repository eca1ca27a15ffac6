"""Every example in a public docstring runs and prints what it shows."""
import doctest

import pytest

import fastgd
import fastgd._fit
import fastgd.benchmarks
import fastgd.cli
import fastgd.demo
import fastgd.estimators
import fastgd.exact
import fastgd.plot
import fastgd.reference
import importlib

from fastgd import _csv, _options, _persistence, _sparse

minimize_module = importlib.import_module("fastgd.minimize")  # fastgd.minimize is the function


@pytest.mark.parametrize("module", [fastgd, fastgd._fit, fastgd.benchmarks, fastgd.demo,
                                    fastgd.plot, fastgd.reference, fastgd.cli,
                                    fastgd.estimators, _persistence, fastgd.exact,
                                    minimize_module, _csv, _sparse, _options])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module is not fastgd.cli:
        assert result.attempted > 0
