"""Group "batch-epoch": one full-batch gradient step on n x d data.

fastgd's fused kernel reads X once per epoch; NumPy's ``X.T @ (X @ w - y)``
reads it twice (target: >= 1.5x).  ``X.sum()`` is one read of X, the floor
for any full-batch epoch, shown for information.
"""
import fastgd
import numpy as np
import pytest

pytestmark = pytest.mark.benchmark(group="batch-epoch")

# A non-zero start so that the predictions X @ w take part in the check.
COEF_INIT = 0.1
INTERCEPT_INIT = 0.2


def fastgd_epoch(X, y, lr):
    return fastgd.fit(X, y, method="batch", max_epochs=1, lr=lr,
                      coef_init=np.full(X.shape[1], COEF_INIT), intercept_init=INTERCEPT_INIT)


def numpy_epoch(X, y, lr):
    """One mean-reduced gradient step on the loss mean((X @ w + b - y)**2)."""
    w = np.full(X.shape[1], COEF_INIT)
    b = INTERCEPT_INIT
    r = X @ w + b - y                                  # first read of X
    w = w - lr * ((2.0 / len(y)) * (X.T @ r))          # second read of X
    b = b - lr * (2.0 * r.mean())
    return w, b, np.mean(r * r)


def test_fastgd(timed, regression):
    d = regression
    result = timed("fastgd", fastgd_epoch, d.X, d.y, d.lr, rows=d.n)
    assert result.n_epochs == 1 and not result.diverged


def test_numpy_two_matvecs(timed, regression):
    d = regression
    w, b, loss = timed("numpy X.T @ (X @ w - y)", numpy_epoch, d.X, d.y, d.lr,
                       rows=d.n, target=1.5)
    # Same sums in a different order (fastgd: fixed 256-row chunks; NumPy: BLAS).
    expected = fastgd_epoch(d.X, d.y, d.lr)
    np.testing.assert_allclose(w, expected.coef, rtol=1e-10)
    assert b == pytest.approx(expected.intercept, rel=1e-10)
    assert loss == pytest.approx(expected.loss_history[0], rel=1e-10)


def test_one_read_of_X(timed, regression):
    d = regression
    total = timed("X.sum() (one read of X)", d.X.sum, rows=d.n)
    assert total == pytest.approx(d.X.sum(axis=0).sum())
