"""fastgd.dask.fit on a real two-worker cluster: the same bits as the local fit and
the reference, clear errors, and workers lost during a fit."""
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import fastgd  # noqa: E402
import fastgd.dask  # noqa: E402
from fastgd.dask import CHUNK_ROWS, WorkerFailure  # noqa: E402


def start_cluster(**config):
    import dask

    with dask.config.set(config):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=50, scheduler_kwargs={"dashboard": False,
                                               "dashboard_address": "127.0.0.1:0"})
    return cluster, distributed.Client(cluster, set_as_default=False)


@pytest.fixture(scope="module")
def client():
    cluster, client = start_cluster()
    yield client
    client.close()
    cluster.close()


def problem(n, d, seed=0, dtype=np.float64, labels=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    score = X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n)
    if labels is None:
        return X, score.astype(dtype)
    return X, np.where(score > 0, labels[1], labels[0]).astype(dtype)


def same_fit(a, b, same_reason=True):
    """Every reported figure identical (==), NaN histories included."""
    assert a.n_epochs == b.n_epochs
    assert a.stop_reason == b.stop_reason or not same_reason
    np.testing.assert_array_equal(a.coef, b.coef, strict=True)
    assert a.intercept == b.intercept
    np.testing.assert_array_equal(a.unaveraged_coef, b.unaveraged_coef, strict=True)
    np.testing.assert_array_equal(a.loss_history, b.loss_history, strict=True)
    np.testing.assert_array_equal(a.lr_history, b.lr_history, strict=True)


# ------------------------------------------------------------- same bits

LOCAL_CASES = [
    dict(method="batch"),
    dict(method="batch", reduction="sum", lr=0.001),
    dict(method="batch", fit_intercept=False, intercept_init=0.25),
    dict(method="batch", optimizer="adam", schedule="cosine", average=3),
    dict(method="batch", optimizer="sgd", optimizer_params={"momentum": 0.9, "nesterov": True},
         weight_decay=0.01, l1=0.001),
    dict(method="batch", optimizer="rmsprop", schedule="adaptive", tol=1e-4),
    dict(method="batch", loss="huber", loss_params={"delta": 0.5}, tol=1e-6,
         n_iter_no_change=2),
    dict(method="batch", stop_loss=0.5),
    dict(method="minibatch", batch_size=64),
    dict(method="minibatch", batch_size=128, optimizer="adamw", average=True),
    dict(method="minibatch", batch_size=256, schedule="invscaling", lr=0.5),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", LOCAL_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_equals_local_fit_when_chunks_are_multiples_of_chunk_rows(client, case, dtype):
    # 4 blocks: 512, 512, 256 and a ragged last one; mini-batch sizes divide the blocks.
    X, y = problem(1500, 6, dtype=dtype)
    Xd = da.from_array(X, chunks=((512, 512, 256, 220), 6))
    params = dict(lr=0.05, max_epochs=12)
    params.update(case)
    result = fastgd.dask.fit(Xd, y, client=client, **params)
    same_fit(result, fastgd.fit(X, y, **params))
    assert result.backend == "dask"
    assert result.coef.dtype == dtype


def test_weights_and_labels_equal_local_fit(client):
    X, y = problem(1024, 4, seed=3, labels=(0, 1))
    w = np.random.default_rng(4).uniform(0, 2, size=1024)
    Xd = da.from_array(X, chunks=(256, 4))
    for loss in ("log", "hinge", "modified_huber"):
        params = dict(method="batch", loss=loss, lr=0.1, max_epochs=10)
        result = fastgd.dask.fit(Xd, da.from_array(y, chunks=300), sample_weight=w,
                                 client=client, **params)
        same_fit(result, fastgd.fit(X, y, sample_weight=w, **params))
    # hinge's labels {-1, 1} written as {0, 1}: mapped the same way on every block
    np.testing.assert_array_equal(result.predict(X), fastgd.fit(X, y, sample_weight=w,
                                                                **params).predict(X))


def test_minibatch_without_shuffle_equals_local_fit(client):
    X, y = problem(900, 3, seed=5)
    Xd = da.from_array(X, chunks=(300, 3))
    params = dict(method="minibatch", batch_size=30, lr=0.02, max_epochs=6,
                  optimizer="adagrad")
    same_fit(fastgd.dask.fit(Xd, y, client=client, **params), fastgd.fit(X, y, **params))


def test_columns_split_and_integer_data_give_the_local_fit(client):
    X = np.random.default_rng(6).integers(-3, 4, size=(600, 5))
    y = X.sum(axis=1) + 1
    Xd = da.from_array(X, chunks=(256, 2))  # three column chunks: rechunked to one
    params = dict(method="batch", lr=0.01, max_epochs=5)
    result = fastgd.dask.fit(Xd, da.from_array(y, chunks=100), client=client, **params)
    assert result.coef.dtype == np.float64
    same_fit(result, fastgd.fit(X, y, **params))


@pytest.mark.parametrize("seed", range(30))
def test_random_problems_equal_the_reference(client, seed):
    """Any row chunks (not multiples of 256), shuffled mini-batches: the
    reference on the gathered rows with blocks= gives the same bits.  (Random
    configurations from a seeded generator: hypothesis objects to the random
    module that dask's key names use inside a test.)"""
    draw = np.random.default_rng(seed)
    pick = lambda options: options[draw.integers(len(options))]  # noqa: E731
    n = int(draw.integers(1, 701))
    d = int(draw.integers(1, 6))
    sizes = []
    while sum(sizes) < n:
        sizes.append(min(int(draw.integers(1, 401)), n - sum(sizes)))
    dtype = pick([np.float64, np.float32])
    method = pick(["batch", "minibatch"])
    loss = pick(["squared", "huber", "log", "hinge"])
    X, y = problem(n, d, seed=int(draw.integers(100)), dtype=dtype,
                   labels=(0, 1) if loss in ("log", "hinge") else None)
    params = dict(method=method, lr=pick([0.01, 0.1, 1.0]), max_epochs=int(draw.integers(1, 5)),
                  loss=loss, optimizer=pick(["sgd", "adam", "rmsprop"]),
                  average=pick([False, True, 3]), tol=pick([None, 1e-3]))
    if method == "minibatch":
        params.update(batch_size=int(draw.integers(1, 81)), shuffle=bool(draw.integers(2)),
                      random_state=7)
    weights = None
    if draw.integers(2):
        weights = np.random.default_rng(1).uniform(0.5, 1.5, size=n).astype(dtype)
    Xd = da.from_array(X, chunks=(tuple(sizes), d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)  # lr=1 may diverge: same bits
        result = fastgd.dask.fit(Xd, y, sample_weight=weights, client=client, **params)
        expected = fastgd.dask.reference_fit(X, y, blocks=sizes, sample_weight=weights,
                                             **params)
    same_fit(result, expected)
    assert result.diverged == expected.diverged


@pytest.mark.parametrize("method", ["batch", "minibatch"])
def test_blocks_read_from_their_source_every_epoch_give_the_same_bits(client, method):
    """persist=False (data larger than the cluster's memory): each epoch loads the
    blocks again from X's graph; the result is the persisted fit's."""
    X, y = problem(1024, 3, seed=13)
    loads = da.from_array(X, chunks=(256, 3))
    params = dict(method=method, batch_size=64, lr=0.05, max_epochs=4, optimizer="adam")
    kept = fastgd.dask.fit(loads, y, client=client, **params)
    same_fit(fastgd.dask.fit(loads, y, client=client, persist=False, **params), kept)
    same_fit(kept, fastgd.fit(X, y, **params))


def test_divergence_warns_and_keeps_the_last_finite_weights(client):
    X, y = problem(512, 3, seed=2)
    X = X * 100
    params = dict(method="batch", lr=10.0, max_epochs=50)
    with pytest.warns(fastgd.DivergenceWarning, match="diverged at epoch") as caught:
        result = fastgd.dask.fit(da.from_array(X, chunks=256), y, client=client, **params)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    with pytest.warns(fastgd.DivergenceWarning):
        local = fastgd.fit(X, y, **params)
    assert result.diverged and np.isfinite(result.coef).all()
    same_fit(result, local)


def test_callback_and_verbose_run_per_epoch(client, capsys):
    X, y = problem(512, 2)
    seen = []

    def callback(epoch, loss, coef, intercept):
        seen.append((epoch, loss))
        return epoch < 3

    result = fastgd.dask.fit(da.from_array(X, chunks=256), y, client=client, method="batch",
                             max_epochs=10, callback=callback, verbose=True)
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    assert result.n_epochs == 3 and result.stop_reason == "callback"
    assert [loss for _, loss in seen] == result.loss_history.tolist()
    assert capsys.readouterr().out.count("epoch ") == 3


def test_saved_and_loaded_like_a_local_fit(client, tmp_path):
    X, y = problem(512, 3)
    result = fastgd.dask.fit(da.from_array(X, chunks=256), y, client=client,
                             method="minibatch", optimizer="adam", max_epochs=3)
    result.save(tmp_path / "model.npz")
    loaded = fastgd.load(tmp_path / "model.npz")
    same_fit(loaded, result)
    assert loaded.backend == "dask"
    np.testing.assert_array_equal(loaded.predict(X), result.predict(X))


def test_inputs_are_not_modified(client):
    X, y = problem(600, 3)
    X_before, y_before = X.copy(), y.copy()
    coef_init = np.ones(3)
    fastgd.dask.fit(da.from_array(X, chunks=256), y, client=client, method="minibatch",
                    shuffle=True, random_state=0, coef_init=coef_init, max_epochs=3)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(coef_init, np.ones(3))


def test_ctrl_c_returns_the_last_completed_epoch(client):
    """Ctrl-C while the cluster computes: FitInterrupted whose result is the
    fit of the epochs completed, bit for bit."""
    X, y = problem(256 * 8, 4, seed=9)
    Xd = da.from_array(X, chunks=(512, 4))
    params = dict(method="minibatch", batch_size=32, shuffle=True, random_state=4, lr=0.01,
                  optimizer="adam")
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(fastgd.FitInterrupted) as caught:
            fastgd.dask.fit(Xd, y, client=client, max_epochs=100_000, **params)
    finally:
        timer.cancel()
    partial = caught.value.result
    assert 0 < partial.n_epochs < 100_000 and partial.stop_reason == "interrupted"
    same_fit(partial, fastgd.dask.fit(Xd, y, client=client, max_epochs=partial.n_epochs,
                                      **params), same_reason=False)


# ------------------------------------------------------------- the network

def test_only_weights_and_sums_leave_the_workers(client):
    """After loading, no block moves: over 29 more epochs the workers send
    (to each other or to the client) only the chunk sums (batch) or the
    carried weights, optimizer state and generator (minibatch), never a block."""
    X, y = problem(256 * 40, 20, seed=8)
    Xd = da.from_array(X, chunks=(256 * 4, 20))
    block_bytes = 256 * 4 * 21 * 8

    def sent():
        return client.run(lambda dask_worker: [
            (key, size) for entry in dask_worker.transfer_outgoing_log
            for key, size in entry["keys"].items()])

    for method in ("batch", "minibatch"):
        loaded = []  # what was sent once epoch 1 is done: the blocks are loaded by then

        def callback(epoch, loss, coef, intercept):
            if epoch == 1:
                loaded.append(sent())

        result = fastgd.dask.fit(Xd, y, client=client, method=method, batch_size=256,
                                 optimizer="adam", lr=0.01, max_epochs=30, callback=callback)
        assert result.n_epochs == 30
        later = [item for worker, items in sent().items()
                 for item in items[len(loaded[0][worker]):]]
        names = {key.split("-")[0] for key, _ in later}
        assert names <= {"_block_chunk_sums", "_block_group_updates"}, names
        # batch: one (4 chunks x 22 floats) sums array per block and epoch, under 1 KB
        largest = max((size for _, size in later), default=0)
        assert largest < (1024 if method == "batch" else 4096), largest
        assert largest < block_bytes / 100
        assert sum(size for _, size in later) < X.nbytes / 4, method


# ------------------------------------------------------------- errors

def test_bad_input_gets_a_clear_error(client):
    X, y = problem(300, 2)
    Xd = da.from_array(X, chunks=100)
    fit = fastgd.dask.fit
    with pytest.raises(TypeError, match="X must be a dask.array.Array.*fastgd.fit"):
        fit(X, y, client=client)
    with pytest.raises(ValueError, match="X must be 2-D"):
        fit(Xd[:, 0], y, client=client)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        fit(Xd[Xd[:, 0] > 0], y, client=client)
    with pytest.raises(ValueError, match="y must be 1-D with one value per row of X"):
        fit(Xd, y[:-1], client=client)
    with pytest.raises(ValueError, match="X must hold real numbers"):
        fit(da.from_array(X.astype(complex), chunks=100), y, client=client)
    with pytest.raises(ValueError, match="method must be 'batch' or 'minibatch'"):
        fit(Xd, y, client=client, method="sgd")
    with pytest.raises(ValueError, match="method must be one of"):
        fit(Xd, y, client=client, method="newton")
    with pytest.raises(ValueError, match="does not take early_stopping"):
        fit(Xd, y, client=client, early_stopping=True)
    with pytest.raises(ValueError, match="does not take backend"):
        fit(Xd, y, client=client, backend="python")
    with pytest.raises(TypeError, match="X must be a dask.array.Array"):
        fit(X, y)  # (the wrong X is reported before the missing client)
    with pytest.raises(ValueError, match="shuffle=True needs method='minibatch'"):
        fit(Xd, y, client=client, method="batch", shuffle=True)
    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        fit(Xd, y, client="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="lr must be"):
        fit(Xd, y, client=client, lr=-1.0)
    with pytest.raises(ValueError, match="loss='log' needs labels in"):
        fit(Xd, y, client=client, loss="log")
    with pytest.raises(ValueError, match="sample_weight is all zero"):
        fit(Xd, y, client=client, sample_weight=np.zeros(300))


@pytest.mark.parametrize("where", ["X", "y", "sample_weight"])
def test_nan_names_the_array_and_row(client, where):
    X, y = problem(300, 2)
    w = np.ones(300)
    {"X": X[:, 1], "y": y, "sample_weight": w}[where][250] = np.nan
    at = "row 250, column 1" if where == "X" else "row 250"
    with pytest.raises(ValueError, match=rf"{where} contains NaN or infinity \(first at {at}\)"):
        fastgd.dask.fit(da.from_array(X, chunks=100), y, sample_weight=w, client=client)


def test_arguments_are_checked_before_any_block_is_loaded(client):
    """A bad argument costs no read of X: loading these blocks would kill the workers."""
    X, y = problem(512, 2)
    pids = worker_pids(client)

    def die(block):
        os._exit(3)

    Xd = da.from_array(X, chunks=256).map_blocks(die, meta=np.empty((0, 0)))
    with pytest.raises(ValueError, match="lr must be"):
        fastgd.dask.fit(Xd, y, client=client, lr=-1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'lrr'"):
        fastgd.dask.fit(Xd, y, client=client, lrr=0.1)
    with pytest.raises(ValueError, match="max_epochs"):
        fastgd.dask.fit(Xd, y, client=client, max_epochs=0)
    assert worker_pids(client) == pids


def test_predictions_of_a_dask_array_are_a_dask_array(client):
    X, y = problem(600, 3, labels=(0, 1))
    Xd = da.from_array(X, chunks=(256, 2))
    result = fastgd.dask.fit(Xd, y, client=client, loss="log", max_epochs=5)
    for method in ("decision_function", "predict", "predict_proba"):
        lazy = getattr(result, method)(Xd)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_array_equal(client.compute(lazy).result(),
                                      getattr(result, method)(X))


def test_dask_dataframes_are_taken_as_arrays(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = problem(700, 3)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abc")).assign(t=y), npartitions=3)
    result = fastgd.dask.fit(frame[["a", "b", "c"]], frame["t"], client=client, max_epochs=4)
    blocks = frame.map_partitions(len).compute().tolist()
    same_fit(result, fastgd.dask.reference_fit(X, y, blocks=blocks, max_epochs=4))


def test_a_closed_client_or_unknown_chunks_get_clear_errors(client):
    X, y = problem(300, 2)
    yd = da.from_array(y, chunks=100)
    with pytest.raises(ValueError, match="y has unknown chunk sizes"):
        fastgd.dask.fit(da.from_array(X, chunks=100), yd[yd > -1e9], client=client)
    cluster, closed = start_cluster()
    closed.close()
    cluster.close()
    with pytest.raises(ValueError, match="the client is closed"):
        fastgd.dask.fit(da.from_array(X, chunks=100), y, client=closed)


def test_reference_fit_says_which_rule_blocks_break():
    X, y = problem(100, 2)
    ref = fastgd.dask.reference_fit
    with pytest.raises(ValueError, match="adding up to X's 100 rows, got 2 blocks of 90"):
        ref(X, y, blocks=[50, 40])
    with pytest.raises(ValueError, match="row counts >= 1"):
        ref(X, y, blocks=[100, 0])
    with pytest.raises(TypeError, match=r"X.chunks\[0\]"):
        ref(X, y, blocks=((50, 50), (2,)))
    with pytest.raises(ValueError, match="method must be 'batch' or 'minibatch'"):
        ref(X, y, blocks=[100], method="sgd")
    with pytest.raises(ValueError, match="shuffle=True needs method='minibatch'"):
        ref(X, y, blocks=[100], method="batch", shuffle=True)


def test_negative_weight_names_the_rows(client):
    X, y = problem(300, 2)
    w = np.ones(300)
    w[10] = -1
    with pytest.raises(ValueError, match=r"sample_weight must be >= 0 \(rows 0:100\)"):
        fastgd.dask.fit(da.from_array(X, chunks=100), y, sample_weight=w, client=client)


def test_without_a_client_the_error_says_how_to_get_one(tmp_path):
    code = ("import dask.array as da, numpy as np, fastgd.dask\n"
            "try:\n"
            "    fastgd.dask.fit(da.ones((10, 2)), np.ones(10))\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert "needs a dask.distributed Client" in out.stdout, out.stderr
    assert "Client('tcp://" in out.stdout


# ------------------------------------------------------------- lost workers

def worker_pids(client):
    return list(client.run(os.getpid).values())


@pytest.mark.parametrize("method", ["batch", "minibatch"])
def test_worker_killed_between_epochs_gives_the_same_model(method):
    """A worker process killed (SIGKILL) after epoch 3: its blocks are recomputed
    from their source on the other worker (or its restarted self), and the fit
    ends with the bits of the local fit."""
    cluster, client = start_cluster()
    try:
        X, y = problem(256 * 12, 5, seed=11)
        Xd = da.from_array(X, chunks=(512, 5))
        params = dict(method=method, batch_size=64, shuffle=method == "minibatch",
                      random_state=2, optimizer="adam", lr=0.01, max_epochs=8)
        killed = []

        def callback(epoch, loss, coef, intercept):
            if epoch == 3:
                pid = worker_pids(client)[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        result = fastgd.dask.fit(Xd, y, client=client, callback=callback, **params)
        assert killed and killed[0] not in worker_pids(client)
        expected = (fastgd.fit(X, y, **params) if method == "batch" else
                    fastgd.dask.reference_fit(X, y, blocks=Xd.chunks[0], **params))
        same_fit(result, expected)
    finally:
        client.close()
        cluster.close()


def test_worker_killed_inside_an_epoch_gives_the_same_model():
    """Workers killed at random moments while the epochs' tasks run."""
    cluster, client = start_cluster()
    try:
        X, y = problem(256 * 64, 30, seed=12)
        Xd = da.from_array(X, chunks=(256 * 8, 30))
        params = dict(method="batch", optimizer="adam", lr=0.01, max_epochs=150)
        stop = threading.Event()
        kills = []

        def killer():
            while not stop.wait(0.7):
                pids = worker_pids(client)
                if len(pids) == 2:
                    os.kill(pids[len(kills) % 2], signal.SIGKILL)
                    kills.append(time.monotonic())

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        try:
            result = fastgd.dask.fit(Xd, y, client=client, **params)
        finally:
            stop.set()
            thread.join()
        assert kills, "the fit ended before any worker was killed"
        same_fit(result, fastgd.fit(X, y, **params))
    finally:
        client.close()
        cluster.close()


def test_a_step_that_cannot_be_computed_raises_worker_failure():
    """Every attempt to load a block kills its worker: after Dask's allowed
    failures the fit stops with WorkerFailure, not a model."""
    cluster, client = start_cluster(**{"distributed.scheduler.allowed-failures": 1})
    try:
        X, y = problem(512, 2)

        def die(block):
            os._exit(3)

        # (meta given: map_blocks then never calls die here to learn its output)
        Xd = da.from_array(X, chunks=256).map_blocks(die, meta=np.empty((0, 0)))
        with pytest.raises(WorkerFailure, match="epoch 1 of the distributed fit could not be "
                                                "computed.*KilledWorker") as caught:
            fastgd.dask.fit(Xd, y, client=client, method="batch", max_epochs=3)
        result = caught.value.result
        assert result.n_epochs == 0 and result.stop_reason == "failed"
        assert (result.coef == 0).all()
    finally:
        client.close()
        cluster.close()


def test_a_cluster_restart_mid_fit_raises_worker_failure_with_the_fit_so_far():
    """client.restart() forgets the loaded blocks: WorkerFailure, whose result is
    the fit of the epochs completed before, bit for bit."""
    cluster, client = start_cluster()
    try:
        X, y = problem(1024, 3, seed=14)
        params = dict(method="batch", optimizer="adam", lr=0.01)

        def callback(epoch, loss, coef, intercept):
            if epoch == 3:
                client.restart()

        with pytest.raises(WorkerFailure, match="epoch 4 of the distributed fit") as caught:
            fastgd.dask.fit(da.from_array(X, chunks=256), y, client=client, max_epochs=10,
                            callback=callback, **params)
        result = caught.value.result
        assert result.stop_reason == "failed" and result.backend == "dask"
        same_fit(result, fastgd.fit(X, y, max_epochs=3, **params), same_reason=False)
    finally:
        client.close()
        cluster.close()


def test_chunk_rows_is_the_kernels():
    assert CHUNK_ROWS == 256 == fastgd._native.kernels.KERNEL_CODES["CHUNK_ROWS"]


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(fastgd.dask, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_without_dask_the_error_says_what_to_install(monkeypatch):
    X, y = problem(10, 2)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(ImportError, match=r'pip install "fastgd\[dask\]"'):
        fastgd.dask.fit(da.from_array(X), y)
    # the reference needs no dask
    assert fastgd.dask.reference_fit(X, y, blocks=[10], max_epochs=2).n_epochs == 2
