"""Shared test data: the seed tutorial's problem, as fastgd.demo builds it."""
import numpy as np
import pytest

import fastgd
from fastgd.demo import SEED_SETTINGS, seed_data


def seed_problem():
    """X (degree-2 features), y, and a fresh copy of the seed's fit settings."""
    x, y = seed_data()
    return fastgd.polynomial_features(x, 2), y, dict(SEED_SETTINGS)


@pytest.fixture
def seed():
    return seed_problem()


@pytest.fixture(scope="session")
def c_impl():
    """``f(name, x_array[, y_array]) -> ndarray``: fastgd's elementary functions as the
    loaded kernel build compiled them (tests/test_elementary*.py; the two builds are
    compared in test_both_kernel_builds_agree)."""
    from fastgd._native import kernels

    def call(name, x, y=None):
        x = np.ascontiguousarray(x, dtype=np.float64)
        if y is None:
            return kernels.elementary(name, x)
        return kernels.elementary(name, x, np.ascontiguousarray(y, dtype=np.float64))

    return call
