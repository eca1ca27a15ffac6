"""Shared test data: the seed tutorial's problem, as fastgd.demo builds it."""
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
