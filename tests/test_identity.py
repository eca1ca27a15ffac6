"""The Cython kernels and the pure-Python reference return identical bits.

Comparisons are on the raw IEEE-754 bit patterns, which is stricter than ``==``
(it also tells 0.0 from -0.0, and compares NaN loss entries of diverged fits).
"""
import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgd
from fastgd import _kernels
from fastgd._options import CHUNK_ROWS


def bits(values):
    """The raw IEEE-754 bit patterns (float32 arrays as 32-bit patterns)."""
    arr = np.asarray(values)
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64)
    return arr.view(np.uint32 if arr.dtype == np.float32 else np.uint64).tolist()


def assert_same_bits(a, b):
    assert a.coef.dtype == b.coef.dtype
    assert bits(a.coef) == bits(b.coef)
    assert bits([a.intercept]) == bits([b.intercept])
    assert bits(a.loss_history) == bits(b.loss_history)
    assert bits(a.lr_history) == bits(b.lr_history)
    assert (a.validation_loss_history is None) == (b.validation_loss_history is None)
    if a.validation_loss_history is not None:
        assert bits(a.validation_loss_history) == bits(b.validation_loss_history)
    assert (a.n_epochs, a.converged, a.diverged, a.stop_reason) == (
        b.n_epochs, b.converged, b.diverged, b.stop_reason)
    assert bits(a.unaveraged_coef) == bits(b.unaveraged_coef)
    assert bits([a.unaveraged_intercept]) == bits([b.unaveraged_intercept])


def kernel_builds():
    """Every build of the kernels this machine can run (baseline, and AVX2 where
    the CPU has it): each must match the reference."""
    builds = [_kernels]
    if _kernels.cpu_supports_avx2():
        from fastgd import _kernels_avx2  # built on every x86-64 (setup.py)
        builds.append(_kernels_avx2)
    return builds


KERNEL_BUILDS = kernel_builds()


def fit_both(X, y, n_threads=None, **kwargs):
    """Fit with every kernel build and with the reference; returns (fits..., reference)."""
    from fastgd import _fit

    fits = []
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        for build in KERNEL_BUILDS:
            patch.setitem(_fit._RUNNERS, "cython", build.run_epochs)
            fits.append(fastgd.fit(X, y, backend="cython", n_threads=n_threads, **kwargs))
        fits.append(fastgd.fit(X, y, backend="python", **kwargs))
    return fits


def assert_all_same_bits(fits):
    for other in fits[1:]:
        assert_same_bits(fits[0], other)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 300))
    d = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = (rng.standard_normal((n, d)) * scale).astype(dtype)
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n)).astype(dtype)
    method = draw(st.sampled_from(["sgd", "minibatch", "batch"]))
    kwargs = dict(
        method=method,
        # Up to rates that diverge, so the divergence path is compared too.
        lr=draw(st.sampled_from([1e-4, 1e-3, 1e-2, 0.1, 1.0])),
        max_epochs=draw(st.integers(1, 4)),
        batch_size=draw(st.integers(1, n + 5)),
        reduction=draw(st.sampled_from(["mean", "sum"])),
        fit_intercept=draw(st.booleans()),
        shuffle=draw(st.booleans()),
        random_state=draw(st.integers(0, 2**64 - 1)),
        intercept_init=draw(st.floats(-5, 5)),
        stop_loss=draw(st.one_of(st.none(), st.floats(0, 10))),
    )
    if draw(st.booleans()):
        kwargs["coef_init"] = rng.standard_normal(d)
    kwargs["n_threads"] = draw(st.sampled_from([1, 2, 3]))
    return X, y, kwargs


LABELS = {"log": (0.0, 1.0), "hinge": (-1.0, 1.0), "modified_huber": (0.0, 1.0)}

OPTIMIZER_CHOICES = {
    "sgd": st.fixed_dictionaries({}, optional={
        "momentum": st.sampled_from([0.0, 0.5, 0.9]), "dampening": st.sampled_from([0.0, 0.3])}),
    "adagrad": st.fixed_dictionaries({}, optional={
        "lr_decay": st.sampled_from([0.0, 0.1]),
        "initial_accumulator_value": st.sampled_from([0.0, 0.5]),
        "eps": st.sampled_from([1e-10, 1e-3])}),
    "rmsprop": st.fixed_dictionaries({}, optional={
        "alpha": st.sampled_from([0.9, 0.99]), "momentum": st.sampled_from([0.0, 0.5]),
        "centered": st.booleans()}),
    "adam": st.fixed_dictionaries({}, optional={
        "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)]),
        "amsgrad": st.booleans()}),
    "adamw": st.fixed_dictionaries({}, optional={"amsgrad": st.booleans()}),
}

SCHEDULE_CHOICES = [("constant", None), ("invscaling", {"power_t": 0.5}), ("invscaling", None),
                    ("exponential", {"gamma": 0.7}), ("step", {"step_size": 2}),
                    ("cosine", {"lr_min": 1e-4}), ("adaptive", None)]


@st.composite
def full_problems(draw):
    """Every loss, optimizer, schedule, penalty and stopping rule, with weights."""
    X, y, kwargs = draw(problems())
    loss = draw(st.sampled_from(["squared", "huber", "epsilon_insensitive", "log", "hinge",
                                 "modified_huber"]))
    if loss in LABELS:
        low, high = LABELS[loss]
        y = np.where(y > 0, high, low).astype(X.dtype)
    elif loss == "huber":
        kwargs["loss_params"] = {"delta": draw(st.sampled_from([0.1, 1.0, 10.0]))}
    elif loss == "epsilon_insensitive":
        kwargs["loss_params"] = {"epsilon": draw(st.sampled_from([0.0, 0.1, 1.0]))}
    optimizer = draw(st.sampled_from(sorted(OPTIMIZER_CHOICES)))
    params = draw(OPTIMIZER_CHOICES[optimizer])
    if optimizer == "sgd" and params.get("momentum") and not params.get("dampening"):
        params["nesterov"] = draw(st.booleans())
    schedule, schedule_params = draw(st.sampled_from(SCHEDULE_CHOICES))
    n = X.shape[0]
    kwargs.update(
        loss=loss, optimizer=optimizer, optimizer_params=params, schedule=schedule,
        schedule_params=schedule_params,
        weight_decay=draw(st.sampled_from([None, 0.0, 0.01, 0.5])),
        l1=draw(st.sampled_from([0.0, 0.0, 1e-3, 0.1])),
        tol=draw(st.sampled_from([None, 0.0, 1e-3])),
        n_iter_no_change=draw(st.integers(1, 3)),
        max_epochs=draw(st.integers(1, 6)),
        early_stopping=n >= 2 and draw(st.booleans()),
        # Averaging from the first step, or from a later one (perhaps never reached).
        average=draw(st.sampled_from([False, False, True, 1, 2, 7, 40, 10**6])),
    )
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        weights = rng.random(n) * 2
        weights[rng.random(n) < 0.2] = 0.0
        weights[rng.integers(n)] = 1.0  # fit refuses all-zero weights
        kwargs["sample_weight"] = weights.astype(X.dtype)
    return X, y, kwargs


def lazy_sparse_path(kwargs):
    """Whether sparse rows take the lazy per-sample path whose rounding differs from
    dense rows: plain SGD with weight decay or averaging (fastgd.reference.lazy_sgd_samples)."""
    params = kwargs.get("optimizer_params") or {}
    return (kwargs.get("method", "sgd") == "sgd" and kwargs.get("optimizer", "sgd") == "sgd"
            and not params.get("momentum") and not kwargs.get("l1")
            and bool(kwargs.get("weight_decay") or kwargs.get("average")))


@st.composite
def sparse_problems(draw):
    """full_problems with a sparse X: CSR, a drawn share of stored values, empty rows."""
    X, y, kwargs = draw(full_problems())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.02, 0.2, 0.6, 1.0]))
    dense = np.where(rng.random(X.shape) < density, X, 0).astype(X.dtype)
    if draw(st.booleans()):
        dense[rng.random(X.shape[0]) < 0.2] = 0  # rows with no stored value
    Xs = sp.csr_matrix(dense)
    if draw(st.booleans()):  # explicitly stored zeros are fine too
        Xs.data[rng.random(Xs.nnz) < 0.1] = 0
    if "coef_init" in kwargs and draw(st.booleans()):
        kwargs["coef_init"] = kwargs["coef_init"].copy()
    return Xs, y, kwargs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_problems())
def test_backends_identical_on_sparse_input(problem):
    X, y, kwargs = problem
    assert_all_same_bits(fit_both(X, y, **kwargs))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_problems())
def test_sparse_input_gives_the_dense_fit(problem):
    """CSR rows give the same values as their dense copy, except on the lazy path
    (plain per-sample SGD with weight decay or averaging), which only agrees
    to rounding; see tests/test_sparse_average.py for that."""
    X, y, kwargs = problem
    if lazy_sparse_path(kwargs):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        sparse = fastgd.fit(X, y, **kwargs)
        dense = fastgd.fit(X.toarray(), y, **kwargs)
    assert (sparse.n_epochs, sparse.diverged, sparse.stop_reason) == (
        dense.n_epochs, dense.diverged, dense.stop_reason)
    # A diverged epoch's loss may be inf on one and NaN (inf * 0) on the other.
    last = -1 if dense.diverged else None
    assert np.array_equal(sparse.loss_history[:last], dense.loss_history[:last])
    assert np.array_equal(sparse.coef, dense.coef) and sparse.intercept == dense.intercept
    assert np.array_equal(sparse.unaveraged_coef, dense.unaveraged_coef)
    if dense.validation_loss_history is not None:
        assert np.array_equal(sparse.validation_loss_history[:last],
                              dense.validation_loss_history[:last])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_backends_identical_on_random_problems(problem):
    X, y, kwargs = problem
    assert_all_same_bits(fit_both(X, y, **kwargs))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(full_problems())
def test_backends_identical_for_every_loss_optimizer_schedule_and_rule(problem):
    X, y, kwargs = problem
    assert_all_same_bits(fit_both(X, y, **kwargs))


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_optimizers_identical_on_multi_chunk_threaded_groups(optimizer):
    rng = np.random.default_rng(3)
    n = 3 * CHUNK_ROWS + 11
    X = rng.standard_normal((n, 9)).astype(np.float32)
    y = (X @ rng.standard_normal(9)).astype(np.float32)
    params = {"momentum": 0.9} if optimizer in ("sgd", "rmsprop") else None
    assert_all_same_bits(fit_both(X, y, n_threads=3, method="batch", optimizer=optimizer,
                                  optimizer_params=params, l1=1e-3, weight_decay=0.01,
                                  lr=0.01, max_epochs=4, schedule="cosine",
                                  sample_weight=rng.random(n)))


def test_multi_chunk_groups_identical():
    """Groups longer than CHUNK_ROWS exercise the chunk-order combination."""
    rng = np.random.default_rng(0)
    n = 2 * CHUNK_ROWS + 37
    X = rng.standard_normal((n, 13))
    y = X @ rng.standard_normal(13)
    for kwargs in (dict(method="batch"), dict(method="minibatch", batch_size=CHUNK_ROWS + 5),
                   dict(method="batch", reduction="sum", lr=1e-4, shuffle=True,
                        random_state=5)):
        assert_all_same_bits(fit_both(X, y, max_epochs=3, **kwargs))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method, batch_size", [("batch", 1), ("minibatch", 6000)])
def test_thread_count_never_changes_the_bits(method, batch_size, dtype):
    """Enough chunks for parallel rounds (16 chunks per thread each), and a
    last chunk shorter than the others."""
    rng = np.random.default_rng(7)
    n, d = 40 * CHUNK_ROWS + 101, 64
    X = rng.standard_normal((n, d)).astype(dtype)
    y = (X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)).astype(dtype)
    kwargs = dict(method=method, batch_size=batch_size, max_epochs=2, lr=0.01,
                  shuffle=True, random_state=11)
    fits = [fastgd.fit(X, y, n_threads=t, **kwargs) for t in (1, 2, 3, 8, 10**12)]
    assert_all_same_bits(fits + fit_both(X, y, n_threads=2, **kwargs))
    # The rounds of this problem really do run on several threads.
    for n_threads in (2, 3):
        assert _kernels.threads_for_round(16 * n_threads, d, n_threads) == n_threads


def test_the_fastest_build_this_cpu_runs_is_loaded():
    from fastgd._native import kernels

    assert kernels is KERNEL_BUILDS[-1]
    assert kernels.AVX2 == _kernels.cpu_supports_avx2()


def test_openmp_is_built_in_unless_disabled():
    """CI's build must run threads; FASTGD_NO_OPENMP=1 is the only way out."""
    if os.environ.get("FASTGD_NO_OPENMP", "") in ("", "0"):
        assert _kernels.OPENMP
    else:
        assert _kernels.threads_for_round(1000, 1000, 4) == 1


def test_wide_rows_identical():
    """d not a multiple of 8, and larger than the hypothesis range."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 203))
    y = rng.standard_normal(40)
    for method in ("sgd", "minibatch", "batch"):
        assert_all_same_bits(fit_both(X, y, method=method, lr=1e-3, max_epochs=3,
                                      batch_size=7))


def test_predict_identical_to_reference_predict(seed):
    X, y, settings = seed
    result = fastgd.fit(X, y, **settings)
    expected = fastgd.reference.predict(X, result.coef, result.intercept)
    assert bits(result.predict(X)) == bits(expected)


def test_shuffled_order_matches_reference_generator():
    """After each shuffled epoch the kernel's sample order is the reference's
    Fisher-Yates permutation over SplitMix64, generator state included."""
    from fastgd import _kernels, reference
    from fastgd._fit import run_state
    from fastgd._options import Method, Settings

    n = 50
    X = np.ones((n, 1))
    y = np.zeros(n)
    settings = Settings(method=Method.SGD, lr=1e-3, batch_size=1, mean_reduction=True,
                        fit_intercept=True, shuffle=True, stop_loss=None)
    arrays = run_state(X, y, settings, seed=2**63 + 12345)
    order, state = arrays[5], arrays[7]
    expected_order, expected_state = list(range(n)), 2**63 + 12345
    for _ in range(3):
        _kernels.run_epochs(*arrays, np.empty(1), np.empty(1), np.empty(1), settings)
        expected_state = reference.shuffle_in_place(expected_order, expected_state)
        assert order.tolist() == expected_order
        assert int(state[0]) == expected_state
    assert sorted(expected_order) == list(range(n)) and expected_order != list(range(n))


def test_shuffled_fits_reproducible_from_recorded_seed():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 3))
    y = rng.standard_normal(30)
    first = fastgd.fit(X, y, shuffle=True, max_epochs=3)
    again = fastgd.fit(X, y, shuffle=True, max_epochs=3, random_state=first.random_state,
                       backend="python")
    assert_same_bits(first, again)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 20).flatmap(lambda d: st.tuples(
    st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, 0.1, 3.0]),
             min_size=d, max_size=d),
    st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5, 1e308, 5e-324, 7.0]),
             min_size=d, max_size=d),
    st.sampled_from([0.0, -0.0, 1.0]),
    st.sampled_from([np.float64, np.float32]))))
def test_prediction_bits_with_signed_zeros_and_overflow(case):
    """The dot product's tree, signed zeros and overflow included, matches."""
    w, x, b, dtype = case
    with np.errstate(over="ignore"):
        w, x = np.array(w, dtype=dtype), np.array([x], dtype=dtype)
    expected = np.array(fastgd.reference.predict(x, w, b), dtype=dtype)
    for build in KERNEL_BUILDS:
        compiled = np.empty(1, dtype=dtype)
        build.predict(x, w, b, compiled)
        assert bits(compiled) == bits(expected)
