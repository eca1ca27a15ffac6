"""Group "sgd-epoch": one epoch of per-sample SGD on n x d standard-normal data.

fastgd against scikit-learn's SGDRegressor doing the same updates (target:
>= 3x) and against the per-sample loop a NumPy user would write.  The NumPy
loop is slow, so it runs on the first tenth of the rows; the ratio table
compares time per row.
"""
import fastgd
import numpy as np
import pytest
from sklearn.linear_model import SGDRegressor

pytestmark = pytest.mark.benchmark(group="sgd-epoch")


def fastgd_epoch(X, y, lr):
    return fastgd.fit(X, y, method="sgd", max_epochs=1, lr=lr)


def sklearn_epoch(X, y, lr):
    # sklearn's squared loss is 0.5 * (p - y)**2, fastgd's (p - y)**2: with
    # eta0 = 2 * lr both take the step w -= 2 * lr * (p - y) * x per sample,
    # in row order (shuffle=False), for exactly one pass (max_iter=1, tol=None).
    model = SGDRegressor(loss="squared_error", penalty=None, learning_rate="constant",
                         eta0=2 * lr, shuffle=False, tol=None, max_iter=1, fit_intercept=True)
    return model.fit(X, y)


def numpy_epoch(X, y, lr):
    """The loop a NumPy user writes: one dot product and one axpy per sample."""
    w = np.zeros(X.shape[1])
    b = 0.0
    for x, t in zip(X, y):
        g = 2.0 * (x @ w + b - t)
        w -= (lr * g) * x
        b -= lr * g
    return w, b


def assert_same_fit(coef, intercept, expected):
    # Same updates, different rounding (sklearn computes (eta0 * (p - y)) * x
    # and its own dot product), so agreement to ~1e-14 is expected; 1e-8
    # relative to the largest weight leaves room without hiding a real bug.
    scale = np.max(np.abs(expected.coef))
    assert np.max(np.abs(coef - expected.coef)) <= 1e-8 * scale
    assert abs(intercept - expected.intercept) <= 1e-8 * max(scale, abs(expected.intercept))


def test_fastgd(timed, regression):
    d = regression
    result = timed("fastgd", fastgd_epoch, d.X, d.y, d.lr, rows=d.n)
    assert result.n_epochs == 1 and not result.diverged
    assert np.isfinite(result.loss_history).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter=1
def test_sklearn_sgdregressor(timed, regression):
    d = regression
    model = timed("sklearn SGDRegressor", sklearn_epoch, d.X, d.y, d.lr, rows=d.n, target=3)
    assert_same_fit(model.coef_, model.intercept_[0], fastgd_epoch(d.X, d.y, d.lr))


def test_numpy_loop(timed, regression):
    d = regression
    rows = d.n // 10  # 10,000 of the 100,000 rows; compared per row
    X, y = d.X[:rows], d.y[:rows]
    w, b = timed("numpy per-sample loop", numpy_epoch, X, y, d.lr, rows=rows)
    assert_same_fit(w, b, fastgd_epoch(X, y, d.lr))
