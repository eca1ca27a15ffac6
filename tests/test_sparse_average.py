"""Sparse (CSR) input and averaged SGD through fastgd.fit: what users see.

Bit identity of kernels and reference on sparse input, and the exact equality
of a sparse fit with its dense copy off the lazy path, are in
tests/test_identity.py (hypothesis).  Here: the lazy path's documented
agreement with dense rows, scikit-learn's averaged SGD, the scale reset,
predictions, dtypes and bad input.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor

import fastgd


def bits(values):
    arr = np.asarray(values)
    return arr.view(np.uint32 if arr.dtype == np.float32 else np.uint64).tolist()


def sparse_problem(n=400, d=30, density=0.15, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < density)
    y = X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n)
    return sp.csr_matrix(X.astype(dtype)), y.astype(dtype)


def fit_backends(X, y, **kwargs):
    return [fastgd.fit(X, y, backend=backend, **kwargs) for backend in ("cython", "python")]


def assert_same_bits(a, b):
    assert bits(a.coef) == bits(b.coef) and bits([a.intercept]) == bits([b.intercept])
    assert bits(a.unaveraged_coef) == bits(b.unaveraged_coef)
    assert bits(a.loss_history) == bits(b.loss_history)


# ---------------------------------------------------------------- the lazy path

LAZY_CASES = {
    "weight_decay": dict(weight_decay=0.01),
    "average": dict(average=True),
    "average_later_with_decay": dict(average=150, weight_decay=0.05),
    "shuffled_invscaling": dict(average=True, weight_decay=0.001, shuffle=True,
                                random_state=3, schedule="invscaling"),
}


@pytest.mark.parametrize("case", LAZY_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_sparse_path_matches_dense_to_rounding(case, dtype):
    """The documented difference: plain per-sample SGD on CSR rows keeps the weight
    decay as a scale and the average as P * (q + R * v), so it rounds differently
    from dense rows; the fits agree to a few units in the last place per step."""
    X, y = sparse_problem(dtype=dtype)
    kwargs = dict(lr=0.02, max_epochs=20, **LAZY_CASES[case])
    sparse = fastgd.fit(X, y, **kwargs)
    dense = fastgd.fit(X.toarray(), y, **kwargs)
    assert sparse.coef.dtype == dense.coef.dtype == dtype
    eps = np.finfo(dtype).eps
    scale = np.abs(dense.coef).max()
    assert not np.array_equal(sparse.coef, dense.coef) or case == "average"  # really lazy
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=0, atol=1e4 * eps * scale)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, rtol=1e4 * eps)
    np.testing.assert_allclose(sparse.loss_history, dense.loss_history, rtol=1e4 * eps)


@pytest.mark.parametrize("lr, weight_decay", [(2.0, 0.5), (4.0, 0.5), (1.9, 0.5), (0.3, 3.0)])
def test_scale_reset_paths_match_reference_and_dense(lr, weight_decay):
    """lr * weight_decay of 1 makes the scale 0, above 1 negative, near 1 tiny: each
    hits the reset (v multiplied by the scale, scale back to 1), with averaging too."""
    rng = np.random.default_rng(5)
    X = sp.random(60, 8, density=0.3, random_state=1, format="csr")
    y = rng.standard_normal(60) * 0.01
    kwargs = dict(lr=lr * 1e-3, weight_decay=weight_decay * 1e3, max_epochs=3, average=5,
                  fit_intercept=False)
    cython, python = fit_backends(X, y, **kwargs)
    assert_same_bits(cython, python)
    dense = fastgd.fit(X.toarray(), y, **kwargs)
    # With 1 - lr * weight_decay near 0 the dense update w - lr * (g * x + wd * w)
    # cancels most of w's digits every step (0.95 w subtracted from w): the two
    # agree only as far as the dense fit itself is accurate.
    decay = 1 - lr * weight_decay
    rtol = 1e-9 if decay in (0.0, -1.0) else 1e-7
    np.testing.assert_allclose(cython.coef, dense.coef, rtol=rtol, atol=1e-15)


def test_long_averaging_stays_accurate():
    """Many folds (P falls below 1/2 after about as many steps as have been averaged):
    over 30,000 float32 steps the lazy average is no further from the float64 fit
    than the dense float32 running mean is (both drift by float32 rounding)."""
    X, y = sparse_problem(n=3000, d=50, density=0.1, seed=2)
    kwargs = dict(lr=0.01, max_epochs=10, average=True)
    exact = fastgd.fit(X, y, **kwargs).coef
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    sparse, dense = fastgd.fit(X32, y32, **kwargs), fastgd.fit(X32.toarray(), y32, **kwargs)
    sparse_error = np.abs(sparse.coef - exact).max()
    dense_error = np.abs(dense.coef - exact).max()
    assert sparse_error <= 2 * dense_error
    assert sparse_error < 1e-4 * np.abs(exact).max()


# --------------------------------------------------------------- averaged SGD

def sgd_regressor(**kwargs):
    return SGDRegressor(loss="squared_error", learning_rate="constant", tol=None,
                        shuffle=False, **kwargs)


@pytest.mark.parametrize("average", [True, 1, 10, 900])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_average_matches_scikit_learn_sgd_regressor(average, alpha):
    """scikit-learn's squared_error is (p - y)**2 / 2: the same steps as fastgd's
    (p - y)**2 at half the rate, and its L2 ``alpha`` is weight_decay 2 * alpha."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((300, 6))
    y = X @ rng.standard_normal(6) + 1.5 + 0.3 * rng.standard_normal(300)
    eta, epochs = 0.01, 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = sgd_regressor(eta0=eta, max_iter=epochs, average=average,
                                  penalty="l2" if alpha else None, alpha=alpha).fit(X, y)
    ours = fastgd.fit(X, y, lr=eta / 2, max_epochs=epochs, average=average,
                      weight_decay=2 * alpha)
    np.testing.assert_allclose(ours.coef, reference.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept, reference.intercept_[0], rtol=1e-10)
    if average is True or average <= 300 * epochs:  # averaging started: plain ones differ
        assert not np.array_equal(ours.coef, ours.unaveraged_coef)


def test_average_on_sparse_input_matches_scikit_learn_without_intercept():
    """scikit-learn damps the intercept's steps on sparse input (intercept_decay=0.01);
    fastgd does not, so the comparison fits no intercept."""
    X, y = sparse_problem(n=300, d=20, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = sgd_regressor(eta0=0.02, max_iter=3, average=True, penalty="l2",
                                  alpha=0.001, fit_intercept=False).fit(X, y)
    ours = fastgd.fit(X, y, lr=0.01, max_epochs=3, average=True, weight_decay=0.002,
                      fit_intercept=False)
    np.testing.assert_allclose(ours.coef, reference.coef_, rtol=1e-10, atol=1e-12)


def test_average_not_started_reports_the_plain_weights():
    X, y = sparse_problem(n=50, d=5)
    result = fastgd.fit(X, y, lr=0.01, max_epochs=2, average=101)  # 100 steps taken
    plain = fastgd.fit(X, y, lr=0.01, max_epochs=2)
    assert bits(result.coef) == bits(plain.coef) == bits(result.unaveraged_coef)
    started = fastgd.fit(X, y, lr=0.01, max_epochs=2, average=100)  # the last step only
    assert bits(started.coef) == bits(plain.coef)  # the first average is the weights
    later = fastgd.fit(X, y, lr=0.01, max_epochs=2, average=99)
    assert not np.array_equal(later.coef, later.unaveraged_coef)


def test_without_average_unaveraged_is_coef():
    X, y = sparse_problem(n=50, d=5)
    result = fastgd.fit(X, y, max_epochs=2, lr=0.01)
    assert bits(result.unaveraged_coef) == bits(result.coef)
    assert result.unaveraged_intercept == result.intercept


@pytest.mark.parametrize("average", [-1, 1.5, "yes", None])
def test_bad_average_is_refused(average):
    X, y = sparse_problem(n=20, d=3)
    with pytest.raises((ValueError, TypeError), match="average"):
        fastgd.fit(X, y, average=average)


def test_averaged_fit_continues_in_blocks_exactly():
    """A fit run in blocks of epochs (as fit does for long fits) carries the averages
    across blocks: ten calls of one epoch give the bits of one ten-epoch call."""
    from fastgd import _kernels
    from fastgd._fit import run_state
    from fastgd._options import Method, Settings

    X, y = sparse_problem(n=120, d=10, seed=8)
    rows = fastgd._validation.check_X(X)
    settings = Settings(method=Method.SGD, lr=0.01, batch_size=1, mean_reduction=True,
                        fit_intercept=True, shuffle=True, stop_loss=None, weight_decay=0.01,
                        average=7)
    whole = run_state(rows, y, settings, seed=11)
    _kernels.run_epochs(*whole, np.empty(10), np.empty(10), np.empty(10), settings)
    pieces = run_state(rows, y, settings, seed=11)
    for _ in range(10):
        _kernels.run_epochs(*pieces, np.empty(1), np.empty(1), np.empty(1), settings)
    for a, b in zip(whole[3:], pieces[3:]):
        assert bits(np.asarray(a, dtype=np.float64) if a.dtype.kind != "f" else a) == bits(
            np.asarray(b, dtype=np.float64) if b.dtype.kind != "f" else b)


# ------------------------------------------------------------ sparse through fit

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_predictions_equal_dense_predictions(dtype):
    X, y = sparse_problem(dtype=dtype)
    result = fastgd.fit(X, y, lr=0.01, max_epochs=3)
    assert result.coef.dtype == dtype
    assert bits(result.decision_function(X)) == bits(result.decision_function(X.toarray()))
    assert bits(result.predict(sp.csc_matrix(X))) == bits(result.predict(X.toarray()))


def test_every_sparse_format_is_accepted_and_the_input_is_not_modified():
    X, y = sparse_problem(n=80, d=6)
    expected = fastgd.fit(X, y, lr=0.01, max_epochs=3)
    for fmt in ("csc", "coo", "lil", "dok", "bsr", "dia"):
        other = X.asformat(fmt)
        assert bits(fastgd.fit(other, y, lr=0.01, max_epochs=3).coef) == bits(expected.coef)
    array = sp.csr_array(X)
    assert bits(fastgd.fit(array, y, lr=0.01, max_epochs=3).coef) == bits(expected.coef)
    # Unsorted columns and duplicates: a canonical copy (duplicates summed); the
    # caller's matrix keeps its layout.
    rng = np.random.default_rng(0)
    data, indices, indptr = [], [], [0]
    for row in X.toarray():
        columns = np.flatnonzero(row)
        values = row[columns]
        split = rng.random(columns.size) < 0.5  # half of each value stored twice
        columns = np.concatenate([columns, columns[split]])
        values = np.concatenate([np.where(split, values / 2, values),
                                 values[split] / 2])
        shuffled = rng.permutation(columns.size)
        data.extend(values[shuffled])
        indices.extend(columns[shuffled])
        indptr.append(len(data))
    messy = sp.csr_matrix((np.array(data), np.array(indices, dtype=np.int32),
                           np.array(indptr, dtype=np.int32)), shape=X.shape)
    assert not messy.has_canonical_format
    before = (messy.data.copy(), messy.indices.copy(), messy.indptr.copy())
    messy_fit = fastgd.fit(messy, y, lr=0.01, max_epochs=3)
    np.testing.assert_allclose(messy_fit.coef, expected.coef, rtol=1e-13)
    for a, b in zip(before, (messy.data, messy.indices, messy.indptr)):
        assert np.array_equal(a, b)


def test_unsorted_indices_are_canonicalised():
    X = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 1]),
                       np.array([0, 3])), shape=(1, 3))
    indices = X.indices.copy()
    y = np.array([1.0])
    result = fastgd.fit(X, y, lr=0.01, max_epochs=2)
    dense = fastgd.fit(X.toarray(), y, lr=0.01, max_epochs=2)
    assert np.array_equal(result.coef, dense.coef)
    assert np.array_equal(X.indices, indices)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", ["squared", "epsilon_insensitive", "hinge"])
def test_non_finite_stored_values_are_an_error_naming_X(bad, loss):
    X, y = sparse_problem(n=40, d=5)
    X = X.copy()
    X.data[7] = bad
    if loss == "hinge":
        y = np.where(y > 0, 1.0, -1.0)
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastgd.fit(X, y, loss=loss, lr=0.01, max_epochs=2)


def test_sparse_shape_mismatch_with_y_is_an_error():
    X, y = sparse_problem(n=40, d=5)
    with pytest.raises(ValueError, match="y has 39 values but X has 40 samples"):
        fastgd.fit(X, y[:-1])


def test_sparse_predict_with_wrong_width_is_an_error():
    X, y = sparse_problem(n=40, d=5)
    result = fastgd.fit(X, y, max_epochs=1, lr=0.01)
    with pytest.raises(ValueError, match="features"):
        result.predict(sp.csr_matrix(np.ones((2, 4))))


def test_direct_kernel_call_with_broken_csr_raises():
    """The kernels check the CSR structure themselves (a direct call cannot make
    them read outside the arrays)."""
    from fastgd import _kernels
    from fastgd._fit import run_state
    from fastgd._options import Method, Settings
    from fastgd._sparse import CSRRows

    settings = Settings(method=Method.SGD, lr=0.1, batch_size=1, mean_reduction=True,
                        fit_intercept=True, shuffle=False, stop_loss=None)
    good = CSRRows(np.ones(3), np.array([0, 1, 1], dtype=np.int32),
                   np.array([0, 2, 3], dtype=np.intp), (2, 2))
    broken = {
        "column outside X": good._replace(indices=np.array([0, 2, 1], dtype=np.int32)),
        "negative column": good._replace(indices=np.array([0, -1, 1], dtype=np.int32)),
        "unsorted": good._replace(indices=np.array([1, 0, 1], dtype=np.int32)),
        "duplicate": good._replace(indices=np.array([1, 1, 1], dtype=np.int32)),
        "indptr past data": good._replace(indptr=np.array([0, 2, 4], dtype=np.intp)),
        "indptr decreasing": good._replace(indptr=np.array([0, 3, 2], dtype=np.intp)),
        "indptr short": good._replace(indptr=np.array([0, 3], dtype=np.intp)),
        "indptr not from 0": good._replace(indptr=np.array([1, 2, 3], dtype=np.intp)),
    }
    y = np.ones(2)
    state = run_state(good, y, settings)
    _kernels.run_epochs(*state, np.empty(1), np.empty(1), np.empty(1), settings)
    for what, rows in broken.items():
        state = run_state(rows, y, settings)
        with pytest.raises(ValueError, match="run_epochs: X"):
            _kernels.run_epochs(*state, np.empty(1), np.empty(1), np.empty(1), settings)
        with pytest.raises(ValueError, match="run_epochs: X"):
            _kernels.predict(rows, np.ones(2), 0.0, np.empty(2))


# ------------------------------------------------------------------- estimators

def test_estimators_fit_sparse_input_as_their_dense_copy():
    from fastgd import GDClassifier, GDRegressor

    X, y = sparse_problem(n=200, d=12, seed=6)
    labels = (y > np.median(y)).astype(int) + 2 * (y > np.quantile(y, 0.8))  # 3 classes
    for model, target in [(GDRegressor(max_epochs=5, random_state=0), y),
                          (GDClassifier(loss="log", max_epochs=5, random_state=0), labels)]:
        sparse = model.fit(X, target).coef_.copy()
        dense = model.fit(X.toarray(), target).coef_
        assert np.array_equal(sparse, dense)
        assert np.array_equal(model.predict(X), model.predict(X.toarray()))


@pytest.mark.parametrize("sparse", [True, False])
def test_partial_fit_with_average_is_one_fit_bit_for_bit(sparse):
    """n partial_fit calls continue the averages (and the weights they average):
    the same bits as one n-epoch fit."""
    from fastgd import GDRegressor

    X, y = sparse_problem(n=150, d=8, seed=9)
    X = X if sparse else X.toarray()
    params = dict(average=20, weight_decay=0.01, random_state=4, lr=0.01)
    whole = GDRegressor(max_epochs=4, tol=None, **params).fit(X, y)
    pieces = GDRegressor(**params)
    for _ in range(4):
        pieces.partial_fit(X, y)
    assert bits(whole.coef_) == bits(pieces.coef_)
    assert bits(whole.intercept_) == bits(pieces.intercept_)
    assert bits(whole.fit_result_.unaveraged_coef) == bits(pieces.fit_result_.unaveraged_coef)
    assert not np.array_equal(whole.coef_, whole.fit_result_.unaveraged_coef)


def test_exact_solution_of_sparse_input_is_that_of_its_dense_copy():
    X, y = sparse_problem(n=100, d=6, seed=10)
    sparse, dense = fastgd.exact_solution(X, y), fastgd.exact_solution(X.toarray(), y)
    assert np.array_equal(sparse.coef, dense.coef) and sparse.intercept == dense.intercept


def test_compiled_layout_check_codes():
    """0 canonical, 1 in bounds but unsorted or repeated, 2 broken: never a read
    outside the arrays (the rows' bounds are checked before their columns)."""
    from fastgd import _kernels

    def layout(indices, indptr, d=3, n_values=None):
        indices = np.array(indices, dtype=np.int32)
        n_values = indices.shape[0] if n_values is None else n_values
        return _kernels.csr_layout(indices, np.array(indptr, dtype=np.intp), d, n_values)

    assert layout([0, 2, 1], [0, 2, 3]) == 0
    assert layout([], [0, 0, 0]) == 0
    assert layout([2, 0, 1], [0, 2, 3]) == 1  # unsorted row
    assert layout([1, 1, 1], [0, 2, 3]) == 1  # repeated column
    assert layout([0, 3, 1], [0, 2, 3]) == 2  # column outside X
    assert layout([-1, 2, 1], [0, 2, 3]) == 2
    assert layout([2, -1, 1], [0, 2, 3]) == 2  # unsorted and outside
    assert layout([], [0, 5, 0, 0]) == 2  # decreasing with nothing stored
    assert layout([0, 1], [0, 1, 3]) == 2  # past the indices
    assert layout([0, 1, 2], [0, 1, 3], n_values=2) == 2  # past the values
    assert layout([0, 1], [1, 2]) == 2  # not from 0


@pytest.fixture
def fresh_dense_update_warning(monkeypatch):
    import fastgd._fit

    monkeypatch.setattr(fastgd._fit, "_dense_update_warned", False)


def _wide_sparse(n=50, d=2000):
    import scipy.sparse as sp

    X = sp.random(n, d, density=0.002, format="csr", random_state=0)
    return X, np.arange(n, dtype=float) % 2


@pytest.mark.parametrize("kwargs, what", [
    (dict(optimizer="adam"), "optimizer='adam'"), (dict(l1=0.01), "l1"),
    (dict(optimizer_params={"momentum": 0.9}), "momentum")])
def test_a_dense_step_on_wide_sparse_rows_warns_once(fresh_dense_update_warning, kwargs, what):
    X, y = _wide_sparse()
    with pytest.warns(fastgd.DenseUpdateWarning, match=f"{what} on sparse X updates all 2,000 "
                      "coefficients") as record:
        fastgd.fit(X, y, max_epochs=1, lr=0.01, **kwargs)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgd.fit(X, y, max_epochs=1, lr=0.01, **kwargs)  # once per process


@pytest.mark.parametrize("kwargs", [dict(), dict(weight_decay=0.01, average=True),
                                    dict(optimizer="adam", method="batch"),
                                    dict(optimizer="adam", method="minibatch")])
def test_lazy_or_few_steps_do_not_warn(fresh_dense_update_warning, kwargs):
    X, y = _wide_sparse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgd.fit(X, y, max_epochs=1, lr=0.01, **kwargs)


def test_nearly_dense_sparse_rows_do_not_warn(fresh_dense_update_warning):
    import scipy.sparse as sp

    X = sp.csr_matrix(np.random.default_rng(0).uniform(size=(30, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgd.fit(X, np.zeros(30), optimizer="adam", max_epochs=1)
