"""Groups "sgd-epoch-d100", "sgd-epoch-d1000": one epoch of per-sample SGD.

On n x d standard-normal data (n=100,000, d=100 and n=20,000, d=1,000),
fastgd against scikit-learn's SGDRegressor doing the same updates, a plain
``numba.njit`` loop, the per-sample loop a NumPy user would write (for
information) and ``torch.optim.SGD`` (for information, when torch is
installed).  The NumPy and torch loops are slow, so they run on the first
rows only; the ratio table compares time per row.  Targets: those of
``fastgd bench``.
"""
import numpy as np
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import TARGETS

pytestmark = pytest.mark.benchmark(group="sgd-epoch")


def numpy_epoch(p):
    """The loop a NumPy user writes: one dot product and one axpy per sample."""
    w = p.coef_init.copy()
    b = p.intercept_init
    lr = p.lr
    for x, t in zip(p.X, p.y):
        g = 2.0 * (x @ w + b - t)
        w -= (lr * g) * x
        b -= lr * g
    return w, b


def test_fastgd(timed, problem):
    result = timed("fastgd", benchmarks.fastgd_epoch, problem, rows=problem.n)
    assert result.n_epochs == 1 and not result.diverged
    assert np.isfinite(result.loss_history).all()


def test_sklearn_sgdregressor(timed, problem):
    pytest.importorskip("sklearn")
    model = timed("sklearn SGDRegressor", benchmarks.sklearn_sgd_epoch, problem,
                  rows=problem.n, target=TARGETS["sgd vs sklearn"])
    assert benchmarks.same_weights(model, benchmarks.fastgd_epoch(problem))


def test_numba_loop(timed, problem):
    pytest.importorskip("numba")
    benchmarks.numba_sgd_epoch(problem.head(2))  # compile before anything is timed
    weights = timed("numba.njit per-sample loop", benchmarks.numba_sgd_epoch, problem,
                    rows=problem.n, target=TARGETS["sgd vs numba"])
    assert benchmarks.same_weights(weights, benchmarks.fastgd_epoch(problem))


def test_numpy_loop(timed, problem):
    head = problem.head(problem.n // 10)  # compared per row
    weights = timed("numpy per-sample loop", numpy_epoch, head, rows=head.n)
    assert benchmarks.same_weights(weights, benchmarks.fastgd_epoch(head))


def test_torch_loop(timed, problem):
    pytest.importorskip("torch", reason="torch is an optional peer (pip install torch), not a test dependency")
    head = problem.head(min(problem.n, benchmarks.TORCH_ROWS))  # compared per row
    weights = timed("torch.optim.SGD loop", benchmarks.torch_sgd_epoch, head, rows=head.n)
    assert benchmarks.same_weights(weights, benchmarks.fastgd_epoch(head))
