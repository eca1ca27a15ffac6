"""Every example in a public docstring runs and prints what it shows."""
import doctest

import pytest

import fastgd
import fastgd._fit
import fastgd.benchmarks
import fastgd.cli
import fastgd.demo
import fastgd.estimators
import fastgd.plot
import fastgd.reference
from fastgd import _persistence


@pytest.mark.parametrize("module", [fastgd, fastgd._fit, fastgd.benchmarks, fastgd.demo,
                                    fastgd.plot, fastgd.reference, fastgd.cli,
                                    fastgd.estimators, _persistence])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module is not fastgd.cli:
        assert result.attempted > 0
