"""Group "seed-fit": the whole fastgd.fit call on the seed tutorial's problem.

The compiled backend against the pure-Python reference (the seed's own loop,
written down as the specification), against scikit-learn's SGDRegressor.fit
making the same 50 epochs of updates, and against the tutorial's own Python
loop (for information).  Targets: those of ``fastgd bench``.
"""
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import TARGETS

pytestmark = pytest.mark.benchmark(group="seed-fit")

# The seed: y = 2x^2 + 3x + 4 at x = 0, 0.01, ..., 0.99, computed in Python floats.
SEED = benchmarks.seed_problem()


def test_fastgd(timed):
    result = timed("fastgd", benchmarks.fastgd_seed_fit, SEED, rows=SEED.n)
    # The seed's script converges after 50 epochs.
    assert result.converged and result.n_epochs == benchmarks.SEED_EPOCHS


def test_python_reference(timed):
    result = timed("python reference backend", benchmarks.python_seed_fit, SEED, rows=SEED.n,
                   target=TARGETS["seed vs reference"])
    # The arithmetic contract: both backends return the same bits.
    fast = benchmarks.fastgd_seed_fit(SEED)
    assert result.coef.tolist() == fast.coef.tolist()
    assert result.intercept == fast.intercept
    assert result.loss_history.tolist() == fast.loss_history.tolist()


def test_sklearn_sgdregressor(timed):
    pytest.importorskip("sklearn")
    model = timed("sklearn SGDRegressor.fit, 50 epochs", benchmarks.sklearn_seed_fit, SEED,
                  rows=SEED.n, target=TARGETS["seed vs sklearn"])
    assert model.n_iter_ == benchmarks.SEED_EPOCHS
    assert benchmarks.same_weights(model, benchmarks.fastgd_seed_fit(SEED))


def test_seed_script(timed):
    """The tutorial's own loop in plain Python: what a reader would otherwise run."""
    coef, intercept = timed("the tutorial's own Python loop", benchmarks.seed_script, SEED,
                            rows=SEED.n)
    fast = benchmarks.fastgd_seed_fit(SEED)
    assert coef.tolist() == fast.coef.tolist() and intercept == fast.intercept
