"""Group "seed-fit": the whole fastgd.fit call on the seed tutorial's problem.

The compiled backend against the pure-Python reference (the seed's own loop,
written down as the specification).  Target: >= 50x.
"""
import fastgd
import pytest
from fastgd.demo import SEED_SETTINGS, seed_data, seed_script

pytestmark = pytest.mark.benchmark(group="seed-fit")

# The seed: y = 2x^2 + 3x + 4 at x = 0, 0.01, ..., 0.99, computed in Python floats.
SEED_x, SEED_y = seed_data()
SEED_X = fastgd.polynomial_features(SEED_x, 2)


def fit_seed(backend):
    return fastgd.fit(SEED_X, SEED_y, backend=backend, **SEED_SETTINGS)


def test_fastgd(timed):
    result = timed("fastgd", fit_seed, "cython", rows=len(SEED_y))
    # The seed's script converges after 50 epochs.
    assert result.converged and result.n_epochs == 50


def test_python_reference(timed):
    result = timed("python reference backend", fit_seed, "python", rows=len(SEED_y), target=50)
    # The arithmetic contract: both backends return the same bits.
    fast = fit_seed("cython")
    assert result.coef.tolist() == fast.coef.tolist()
    assert result.intercept == fast.intercept
    assert result.loss_history.tolist() == fast.loss_history.tolist()


def test_seed_script(timed):
    """The tutorial's own loop in plain Python: what a reader would otherwise run."""
    w1, w2, w3, losses = timed("the tutorial's own Python loop", seed_script, rows=len(SEED_y))
    fast = fit_seed("cython")
    assert [w1, w2] == fast.coef.tolist() and w3 == fast.intercept
    assert len(losses) == fast.n_epochs
