"""Reliability: concurrent fits, memory, untouched inputs, divergence for every loss and optimizer."""
import gc
import os
import hashlib
import pickle
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastgd
from fastgd._options import LOSSES, OPTIMIZERS

LABELS = {"log": (0.0, 1.0), "hinge": (-1.0, 1.0), "modified_huber": (-1.0, 1.0)}


def problem(loss="squared", n=300, d=8, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    if loss in LABELS:
        y = np.where(y > 0, *reversed(LABELS[loss]))
    return X, y.astype(dtype)


CONCURRENT_FITS = [
    dict(method="sgd", optimizer="adam", shuffle=True, random_state=1),
    dict(method="minibatch", optimizer="sgd", optimizer_params={"momentum": 0.9}, n_threads=2),
    dict(method="batch", optimizer="rmsprop", schedule="cosine", n_threads=2, l1=1e-3),
    dict(method="minibatch", loss="huber", early_stopping=True, tol=1e-4, random_state=2),
    dict(method="sgd", loss="log", schedule="invscaling", sample_weight="weights"),
    dict(method="batch", loss="hinge", optimizer="adagrad", weight_decay=0.01),
    dict(method="sgd", optimizer="adamw", schedule="adaptive", dtype=np.float32),
    dict(method="minibatch", loss="modified_huber", batch_size=7, shuffle=True, random_state=3),
]


def run_one(kwargs, seed):
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", np.float64)
    X, y = problem(kwargs.get("loss", "squared"), n=3000, d=20, seed=seed, dtype=dtype)
    if kwargs.get("sample_weight") == "weights":
        kwargs["sample_weight"] = np.random.default_rng(seed).random(len(y))
    return fastgd.fit(X, y, lr=0.01, max_epochs=30, **kwargs)


def fingerprint(result):
    return pickle.dumps((result.coef.tobytes(), result.intercept, result.loss_history.tobytes(),
                         result.lr_history.tobytes(), result.n_epochs, result.stop_reason))


def test_concurrent_fits_give_the_bits_of_sequential_fits():
    """Fits share no hidden state: a thread pool gives the same bits as a loop."""
    jobs = [(kwargs, seed) for seed in range(3) for kwargs in CONCURRENT_FITS]
    sequential = [fingerprint(run_one(*job)) for job in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = [fingerprint(r) for r in pool.map(lambda job: run_one(*job), jobs)]
    assert concurrent == sequential


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="measures RSS in /proc")
def test_ten_thousand_fits_keep_memory_flat():
    X, y = problem(n=100, d=5)
    kwargs = [dict(), dict(optimizer="adam", method="minibatch"),
              dict(loss="huber", early_stopping=True, random_state=0),
              dict(method="batch", sample_weight=np.ones(100), optimizer="rmsprop")]

    def fits(count):
        for i in range(count):
            fastgd.fit(X, y, max_epochs=2, **kwargs[i % len(kwargs)])

    fits(500)  # warm up caches and allocators
    gc.collect()
    tracemalloc.start()
    rss_before = rss_bytes()
    traced_before = tracemalloc.get_traced_memory()[0]
    fits(10_000)
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
    rss_growth = rss_bytes() - rss_before
    tracemalloc.stop()
    # A leak of one small array per fit would be > 1 MB here.
    assert traced_growth < 256 * 1024, traced_growth
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        # (Under AddressSanitizer, .ci/memcheck, freed memory is held in a
        # quarantine on purpose, so the process grows without a leak.)
        assert rss_growth < 8 * 1024 * 1024, rss_growth


def digest(value):
    arr = np.asarray(value)
    return hashlib.sha256(arr.tobytes() + str(arr.dtype).encode()).hexdigest()


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_never_modified(method, dtype):
    X, y = problem("hinge", dtype=dtype)
    y01 = np.where(y > 0, 1.0, 0.0).astype(dtype)  # mapped to -1/1 inside, on a copy
    coef_init = np.ones(X.shape[1], dtype=dtype)
    weights = np.linspace(0, 2, len(y)).astype(dtype)
    before = [digest(a) for a in (X, y01, coef_init, weights)]
    fastgd.fit(X, y01, method=method, loss="hinge", coef_init=coef_init, sample_weight=weights,
               optimizer="adam", shuffle=True, random_state=0, max_epochs=5,
               early_stopping=True)
    assert [digest(a) for a in (X, y01, coef_init, weights)] == before


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_and_optimizer_diverges_the_same_way(loss, optimizer):
    """Overflow ends the fit at the first non-finite epoch, keeps the last finite
    weights, and warns once, naming the epoch and what to try."""
    X, y = problem(loss, n=200, d=5)
    # Every optimizer moves a weight by about lr or more per step, so after one
    # step the predictions (about 1e10 * 1e300) overflow, whatever the loss.
    X = X * 1e300
    kwargs = dict(loss=loss, optimizer=optimizer, lr=1e10, method="batch", max_epochs=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fastgd.fit(X, y, **kwargs)
    divergence = [w for w in caught if issubclass(w.category, fastgd.DivergenceWarning)]
    assert result.diverged and result.stop_reason == "diverged"
    assert len(divergence) == 1 and len(caught) == 1, [str(w.message) for w in caught]
    message = str(divergence[0].message)
    assert f"diverged at epoch {result.n_epochs}" in message
    assert "smaller lr" in message and "scale the inputs" in message
    assert np.isfinite(result.coef).all() and np.isfinite(result.intercept)
    assert result.n_epochs <= 3
    if result.n_epochs > 1:
        # The weights returned are exactly those after the last finite epoch.
        previous = fastgd.fit(X, y, **dict(kwargs, max_epochs=result.n_epochs - 1))
        assert previous.coef.tobytes() == result.coef.tobytes()
        assert not previous.diverged
