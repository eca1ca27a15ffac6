"""Groups "batch-epoch-d100", "batch-epoch-d1000", and the same "-float32": one full-batch step.

fastgd's fused kernel reads X once per epoch; NumPy's ``X.T @ (X @ w + b - y)``
reads it twice.  ``X.sum()`` is one single-threaded read of X, the yardstick
the issue sets (fastgd, on every core, can beat it).  The float32 groups time fastgd on float32 data against the same epoch
on float64.  Targets: those of ``fastgd bench``.
"""
import numpy as np
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import TARGETS

pytestmark = pytest.mark.benchmark(group="batch-epoch")


def fastgd_epoch(p):
    return benchmarks.fastgd_epoch(p, "batch")


def test_fastgd(timed, problem):
    result = timed("fastgd", fastgd_epoch, problem, rows=problem.n)
    assert result.n_epochs == 1 and not result.diverged


def test_numpy_two_matvecs(timed, problem):
    weights = timed("numpy X.T @ (X @ w + b - y)", benchmarks.numpy_batch_epoch, problem,
                    rows=problem.n, target=TARGETS[f"batch d={problem.d} vs numpy"])
    # Same sums in a different order (fastgd: fixed 256-row chunks; NumPy: BLAS).
    assert benchmarks.same_weights(weights, fastgd_epoch(problem), rtol=1e-10)


def test_one_read_of_X(timed, problem):
    total = timed("X.sum() (one read of X)", benchmarks.read_X, problem, rows=problem.n,
                  target=TARGETS[f"batch d={problem.d} vs X.sum()"])
    assert total == pytest.approx(problem.X.sum(axis=0).sum())


@pytest.fixture
def problem32(problem):
    return problem.astype(np.float32)


@pytest.mark.benchmark(group="batch-epoch-float32")
def test_fastgd_float32(timed, problem32, problem):
    result = timed("fastgd", fastgd_epoch, problem32, rows=problem32.n)
    assert result.n_epochs == 1 and not result.diverged
    assert benchmarks.same_weights(result, fastgd_epoch(problem), rtol=1e-4)


@pytest.mark.benchmark(group="batch-epoch-float32")
def test_fastgd_float64(timed, problem):
    result = timed("fastgd on float64", fastgd_epoch, problem, rows=problem.n,
                   target=TARGETS["float32 vs float64"])
    assert result.n_epochs == 1 and not result.diverged
