"""Bad input gets a ValueError that names the argument; nothing crashes."""
import re

import numpy as np
import pytest

import fastgd

X_OK = np.arange(12, dtype=float).reshape(6, 2)
Y_OK = np.arange(6, dtype=float)


@pytest.mark.parametrize("X, message", [
    (np.arange(6.0), r"X must be a 2-D array.*polynomial_features"),
    (np.zeros((2, 3, 1)), r"X must be a 2-D array.*3-D"),
    (np.zeros((0, 2)), r"X has no samples"),
    (np.zeros((6, 0)), r"X has no features"),
    (np.array([[1.0, np.nan]] * 6), r"X contains NaN or infinity.*\[0, 1\]"),
    (np.array([[1.0, np.inf]] * 6), r"X contains NaN or infinity"),
    (np.array([["a", "b"]] * 6), r"X must hold real numbers.*string"),
    (np.ones((6, 2), dtype=complex), r"X must hold real numbers.*complex"),
    (np.array([[object(), 1]] * 6), r"X must hold real numbers.*object"),
    ([[1.0, 2.0], [3.0]], r"X could not be converted"),
    (None, r"X must hold real numbers"),
    (np.array([[1.0, None]] * 6, dtype=object), r"X must hold real numbers.*object"),
    (np.array([[1.0, 10**400]] * 6, dtype=object), r"X must hold real numbers.*object"),
])
def test_bad_X(X, message):
    with pytest.raises(ValueError, match=message):
        fastgd.fit(X, Y_OK)


def test_object_arrays_of_numbers_are_converted_once():
    as_objects = X_OK.astype(object)
    assert fastgd.fit(as_objects, Y_OK, max_epochs=3).coef.tolist() == \
        fastgd.fit(X_OK, Y_OK, max_epochs=3).coef.tolist()


@pytest.mark.parametrize("y, message", [
    (np.arange(5.0), r"y has 5 values but X has 6 samples"),
    (np.arange(6.0).reshape(6, 1), r"y must be 1-D.*y\.ravel\(\)"),
    (np.array([0, 1, 2, 3, 4, np.nan]), r"y contains NaN or infinity.*\[5\]"),
    (["a"] * 6, r"y must hold real numbers"),
])
def test_bad_y(y, message):
    with pytest.raises(ValueError, match=message):
        fastgd.fit(X_OK, y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=0.0), r"lr must be > 0"),
    (dict(lr=-1.0), r"lr must be > 0"),
    (dict(lr=float("nan")), r"lr must be finite"),
    (dict(lr=float("inf")), r"lr must be finite"),
    (dict(lr="0.1"), r"lr must be a real number"),
    (dict(lr=True), r"lr must be a real number"),
    (dict(max_epochs=0), r"max_epochs must be >= 1"),
    (dict(max_epochs=2**70), r"max_epochs must be <= 4611686018427387904 \(2\*\*62\)"),
    (dict(n_iter_no_change=2**70, tol=0.1), r"n_iter_no_change must be <= "),
    (dict(schedule="step", schedule_params={"step_size": 2**63}),
     r"schedule_params\['step_size'\] must be <= "),
    (dict(max_epochs=2.5), r"max_epochs must be an integer"),
    (dict(batch_size=0), r"batch_size must be >= 1"),
    (dict(batch_size=None), r"batch_size must be an integer"),
    (dict(method="adam"), r"method must be one of 'sgd', 'minibatch', 'batch'"),
    (dict(backend="numba"), r"backend must be one of 'cython', 'python'"),
    (dict(reduction="max"), r"reduction must be one of 'mean', 'sum'"),
    (dict(coef_init=[1.0]), r"coef_init must be 1-D with one value per feature \(2\)"),
    (dict(coef_init=[[1.0, 2.0]]), r"coef_init must be 1-D"),
    (dict(coef_init=[1.0, np.nan]), r"coef_init contains NaN"),
    (dict(intercept_init=np.inf), r"intercept_init must be finite"),
    (dict(stop_loss=-1.0), r"stop_loss must be >= 0"),
    (dict(stop_loss=float("nan")), r"stop_loss must be finite"),
    (dict(fit_intercept="yes"), r"fit_intercept must be True or False"),
    (dict(shuffle=1), r"shuffle must be True or False"),
    (dict(verbose=None), r"verbose must be True or False"),
    (dict(random_state=-1), r"random_state must be >= 0"),
    (dict(random_state=2**64), r"random_state must be < 2\*\*64"),
    (dict(random_state=1.5), r"random_state must be an integer"),
    (dict(callback=42), r"callback must be callable"),
    (dict(n_threads=0), r"n_threads must be >= 1"),
    (dict(n_threads=1.0), r"n_threads must be an integer"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastgd.fit(X_OK, Y_OK, **kwargs)


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_inputs_are_never_modified(backend):
    X = np.asfortranarray(X_OK.copy())
    y = Y_OK.copy()
    coef_init = np.array([0.5, -0.5])
    X_before, y_before, coef_before = X.copy(), y.copy(), coef_init.copy()
    result = fastgd.fit(X, y, coef_init=coef_init, lr=1e-3, max_epochs=5, backend=backend)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)
    assert np.array_equal(coef_init, coef_before)
    assert result.coef is not coef_init


def test_accepted_input_kinds_give_identical_fits():
    """Lists, ints, bools, read-only, Fortran-ordered and strided views all fit
    the same as the float64 C-contiguous array they convert to."""
    base = fastgd.fit(X_OK, Y_OK, lr=1e-3, max_epochs=3)
    readonly = X_OK.copy()
    readonly.flags.writeable = False
    wide = np.zeros((6, 4))
    wide[:, ::2] = X_OK
    variants = [X_OK.tolist(), X_OK.astype(np.int64), X_OK.astype(np.float16), readonly,
                np.asfortranarray(X_OK), wide[:, ::2], X_OK[::-1][::-1]]
    for X in variants:
        result = fastgd.fit(X, tuple(Y_OK.tolist()), lr=1e-3, max_epochs=3)
        assert result.coef.tolist() == base.coef.tolist()
        assert result.intercept == base.intercept
    booleans = fastgd.fit(X_OK > 4, Y_OK, lr=1e-3, max_epochs=3)
    assert booleans.coef.tolist() == fastgd.fit((X_OK > 4).astype(float), Y_OK, lr=1e-3,
                                                max_epochs=3).coef.tolist()


def test_predict_validates_X():
    result = fastgd.fit(X_OK, Y_OK, lr=1e-3, max_epochs=2)
    with pytest.raises(ValueError, match=r"X has 3 features, but the model was fitted with 2"):
        result.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"X must be a 2-D array"):
        result.predict(np.ones(2))


@pytest.mark.parametrize("x, degree, message", [
    (np.ones((3, 2)), 2, r"x must be 1-D"),
    ([1.0, 2.0], 0, r"degree must be >= 1"),
    ([1.0, 2.0], 1.5, r"degree must be an integer"),
    (["a", "b"], 2, r"x must hold real numbers"),
])
def test_polynomial_features_bad_input(x, degree, message):
    with pytest.raises(ValueError, match=message):
        fastgd.polynomial_features(x, degree)


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_data_is_reported_before_any_epoch_output(method, backend, bad, capsys):
    """fit scans X and y for NaN/inf only when the first epoch's loss is not
    finite; the error must still come before any verbose line or callback."""
    calls = []
    for position in [(0, 0), (5, 1), (3, 0)]:
        X = X_OK.copy()
        X[position] = bad
        with pytest.raises(ValueError, match=r"X contains NaN or infinity"):
            fastgd.fit(X, Y_OK, method=method, backend=backend, verbose=True,
                       callback=lambda *a: calls.append(a), batch_size=4)
        y = Y_OK.copy()
        y[position[0]] = bad
        with pytest.raises(ValueError, match=r"y contains NaN or infinity"):
            fastgd.fit(X_OK, y, method=method, backend=backend, batch_size=4)
    assert calls == [] and capsys.readouterr().out == ""


def test_finite_values_whose_sum_overflows_are_accepted():
    X = np.full((4, 1), 1e308)
    with pytest.warns(fastgd.DivergenceWarning):
        result = fastgd.fit(X, np.zeros(4), lr=1.0, coef_init=[1.0])
    assert result.diverged and result.n_epochs == 1
    with pytest.warns(fastgd.DivergenceWarning):  # (p - y)**2 overflows: not a data error
        fastgd.fit(np.ones((4, 1)), np.full(4, 1e308), lr=1e-300, max_epochs=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_working_dtype_arrays_reach_the_kernel_without_a_copy(dtype):
    import tracemalloc

    from fastgd import _validation

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 50)).astype(dtype)
    y = rng.standard_normal(20000).astype(dtype)
    assert _validation.check_X(X, finite=False) is X
    assert _validation.check_y(y, len(y), finite=False, dtype=X.dtype) is y
    tracemalloc.start()
    try:
        result = fastgd.fit(X, y, method="batch", max_epochs=2, lr=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 10  # no copy of X, in any dtype
    assert result.coef.dtype == dtype and result.predict(X[:3]).dtype == dtype


def test_float32_fits_reject_values_beyond_float32_range():
    X32 = np.ones((4, 2), np.float32)
    y32 = np.ones(4, np.float32)
    for kwargs, name in ((dict(intercept_init=1e39), "intercept_init"),
                         (dict(coef_init=[1e39, 0.0]), "coef_init")):
        with pytest.raises(ValueError, match=rf"{name} has values beyond float32's range"):
            fastgd.fit(X32, y32, **kwargs)
    with pytest.raises(ValueError, match=r"y has values beyond float32's range"):
        fastgd.fit(X32, np.full(4, 1e39))
    with pytest.raises(ValueError, match=r"X has values beyond float32's range"):
        fastgd.fit(X32, y32, max_epochs=1).predict([[1e39, 0.0]])
    for lr in (1e-46, 1e39):
        with pytest.raises(ValueError, match=r"lr=.* in float32"):
            fastgd.fit(X32, y32, lr=lr)
    fastgd.fit(X32.astype(np.float64), np.full(4, 1e39), lr=1e-300, max_epochs=1)


def test_numpy_strings_and_byte_order_and_0d_arrays():
    X32 = np.ones((4, 2), np.float32)
    result = fastgd.fit(X32, np.ones(4), method=np.str_("batch"), max_epochs=1)
    assert result.method == "batch"
    swapped = fastgd.fit(X32.astype(">f4"), np.ones(4), max_epochs=2)
    assert swapped.coef.dtype == np.float32
    assert swapped.coef.tolist() == fastgd.fit(X32, np.ones(4), max_epochs=2).coef.tolist()
    assert fastgd.polynomial_features(np.array(2.0), 2).tolist() == [[4.0, 2.0]]


def test_a_huge_batch_size_means_one_batch():
    huge = fastgd.fit(X_OK, Y_OK, method="minibatch", batch_size=2**70, max_epochs=3)
    whole = fastgd.fit(X_OK, Y_OK, method="batch", max_epochs=3)
    assert huge.coef.tobytes() == whole.coef.tobytes()


def test_misaligned_arrays_are_copied_before_the_kernels():
    """Floats at addresses that are not multiples of their size (np.frombuffer at an
    odd offset, as in a received message) reach the kernels only as aligned copies;
    the fit is that of the aligned data."""
    X = np.random.default_rng(0).normal(size=(50, 3))
    y = X.sum(axis=1)
    for dtype in (np.float64, np.float32):
        raw = bytearray(1) + np.ascontiguousarray(X, dtype=dtype).tobytes()
        Xm = np.frombuffer(raw, dtype=dtype, offset=1).reshape(50, 3)
        ym = np.frombuffer(bytearray(1) + y.astype(dtype).tobytes(), dtype=dtype, offset=1)
        assert not Xm.flags.aligned and not ym.flags.aligned
        for method in ("sgd", "batch"):
            got = fastgd.fit(Xm, ym, method=method, max_epochs=3)
            want = fastgd.fit(X.astype(dtype), y.astype(dtype), method=method, max_epochs=3)
            np.testing.assert_array_equal(got.coef, want.coef, strict=True)
            np.testing.assert_array_equal(got.predict(Xm), want.predict(X.astype(dtype)))


@pytest.mark.parametrize("kwargs, hint", [
    (dict(eta0=0.01), "'eta0'; fastgd calls it lr"),
    (dict(max_iter=5), "'max_iter'; fastgd calls it max_epochs"),
    (dict(alpha=1e-4), "'alpha'; fastgd calls it weight_decay"),
    (dict(penalty="l2"), "'penalty'; fastgd calls it weight_decay (L2) and l1"),
    (dict(momentum=0.9), "fastgd calls it optimizer_params={'momentum': ...}"),
    (dict(max_epoch=5), "'max_epoch'; did you mean 'max_epochs'?"),
])
def test_peer_argument_names_get_a_hint(kwargs, hint):
    with pytest.raises(TypeError, match=re.escape(hint)):
        fastgd.fit([[0.0], [1.0]], [0.0, 1.0], **kwargs)


def test_an_unknown_argument_without_a_likely_meaning_is_plain():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'zzz'$"):
        fastgd.fit([[0.0], [1.0]], [0.0, 1.0], zzz=1)


@pytest.mark.parametrize("kwargs, hint", [
    (dict(loss="log_loss"), "got 'log_loss'; did you mean 'log'? (fastgd's name for it)"),
    (dict(loss="squared_error"), "did you mean 'squared'?"),
    (dict(optimizer="Adam"), "got 'Adam'; did you mean 'adam'?"),
    (dict(method="mini_batch"), "did you mean 'minibatch'?"),
    (dict(schedule="CosineAnnealingLR"), "did you mean 'cosine'?"),
    (dict(loss="hinj"), "did you mean 'hinge'?"),
])
def test_peer_value_names_get_a_hint(kwargs, hint):
    with pytest.raises(ValueError, match=re.escape(hint)):
        fastgd.fit([[0.0], [1.0]], [0.0, 1.0], **kwargs)


def test_fit_keeps_its_signature_and_docstring_under_the_hint_wrapper():
    import inspect

    assert "max_epochs" in inspect.signature(fastgd.fit).parameters
    assert fastgd.fit.__doc__.startswith("Fit ``y ~ X @ coef + intercept``")


def test_the_divergence_warning_points_at_the_callers_line():
    with pytest.warns(fastgd.DivergenceWarning) as record:
        fastgd.fit([[1e3], [2e3]], [1.0, 2.0], lr=10.0, max_epochs=50)
    assert record[0].filename == __file__
