"""fastgd._portable: the sums, norms and probabilities that replace NumPy's CPU-dispatched ones."""
import math

import numpy as np
import pytest

import fastgd
from fastgd import _portable, reference


def test_total_is_the_correctly_rounded_sum():
    values = [1e16, 1.0, -1e16, 1.0]
    assert _portable.total(values) == 2.0  # naive left-to-right gives 1.0
    assert _portable.total(np.arange(10.0)) == 45.0


def test_column_mean_std_equals_the_exact_formula_and_agrees_with_numpy():
    X = np.random.default_rng(0).normal(5.0, 3.0, (1000, 3))
    mean, std = _portable.column_mean_std(X)
    for j in range(3):
        m = math.fsum(X[:, j].tolist()) / 1000
        assert mean[j] == m
        assert std[j] == math.sqrt(math.fsum(((X[:, j] - m) ** 2).tolist()) / 1000)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(std, X.std(axis=0), rtol=1e-13)


@pytest.mark.parametrize("v, expected", [
    ([3.0, 4.0], 5.0), ([0.0, 0.0], 0.0), ([], 0.0), ([1e300, 1e300], 1e300 * math.sqrt(2)),
    ([3e-200, 4e-200], 5e-200), ([np.inf, 1.0], np.inf)])
def test_norm_without_overflow_or_underflow(v, expected):
    assert _portable.norm(np.array(v)) == pytest.approx(expected, rel=1e-15)


def test_norm_of_nan_is_nan():
    assert math.isnan(_portable.norm(np.array([1.0, np.nan])))


def test_sigmoid_is_the_log_loss_sigmoid_bit_for_bit():
    scores = np.concatenate([np.linspace(-800, 800, 4001), [0.0, -0.0, 1e-300, -745.2, 709.8]])
    expected = np.array([reference.logistic(s)[1] for s in scores])
    assert _portable.sigmoid(scores).tobytes() == expected.tobytes()
    assert np.all((0.0 <= _portable.sigmoid(scores)) & (_portable.sigmoid(scores) <= 1.0))
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(_portable.sigmoid(scores), 1 / (1 + np.exp(-scores)),
                                   rtol=1e-15, atol=1e-300)


def test_predict_proba_uses_the_portable_sigmoid():
    X = np.random.default_rng(1).uniform(-1, 1, (50, 3))
    y = (X[:, 0] > 0).astype(float)
    result = fastgd.fit(X, y, loss="log", max_epochs=5)
    assert result.predict_proba(X).tobytes() == \
        _portable.sigmoid(result.decision_function(X)).tobytes()


def test_log_is_fastgd_log():
    from fastgd import elementary

    values = np.array([0.0, 1e-300, 0.3, 1.0, 2.5])
    assert _portable.log(values).tolist() == [elementary.log(v) for v in values.tolist()]
