"""Shared test data: the seed tutorial's problem, built exactly as the seed builds it."""
import pytest

import fastgd


def seed_problem():
    """X (degree-2 features), y, and the seed's fit settings."""
    x = [0.01 * i for i in range(100)]
    y = [2 * v**2 + 3 * v + 4 for v in x]
    settings = dict(lr=0.1, max_epochs=1000, stop_loss=1e-4, coef_init=[1, 0],
                    intercept_init=-1)
    return fastgd.polynomial_features(x, 2), y, settings


@pytest.fixture
def seed():
    return seed_problem()
