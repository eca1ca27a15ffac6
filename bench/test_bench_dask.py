"""Group "dask-batch-epoch": fastgd.dask.fit on data larger than a worker's memory, from disk.

The scale requirement of the Dask issue: a ``dask.distributed`` cluster whose
workers cannot hold the data fits it anyway, reading the row blocks from disk
at every epoch (``persist=False``), and gets the same bits as ``fastgd.fit``.

- The cluster: a ``LocalCluster`` of ``N_WORKERS`` = 2 worker processes, one
  thread each, each with a memory limit of ``MEMORY_LIMIT`` = 384 MiB.  A
  worker's resting RSS, with NumPy, distributed and fastgd imported, is about
  145 MiB here; the nanny spills a worker's data to disk at 70 % of its limit
  (269 MiB), pauses it at 80 % and kills it at 95 %.
- The data: X (``N_FEATURES`` = 100 standard-normal float64 columns) and y
  (a linear model plus noise), written a few blocks at a time to ``.npy`` files
  under pytest's temporary directory: ``FASTGD_DASK_BENCH_MB`` MiB of X
  (default 1024: 1,341,952 rows, 2.7 times one worker's limit and 1.3 times
  the whole cluster's).  Each dask array is a ``map_blocks`` of one reader task
  per block of ``BLOCK_ROWS`` = 16,384 rows (a multiple of
  ``fastgd.dask.CHUNK_ROWS``; the last block is shorter), which memory-maps the
  file on its worker and copies its rows out: the graph holds only the path,
  never the data.  The files were just written, so "from disk" is from the page
  cache in practice: the time measured is the workers' reading (a copy) and
  fitting, not the disk's.  The block size is a trade-off with the small
  limit: measured here, blocks of 16,384 rows keep a worker's peak RSS near
  210 MiB (55 % of its limit), 32,768 rows near 250 MiB (65 %, close to the
  spill threshold) for 0.6 times the epoch time (Dask's few milliseconds per
  task weigh less), and 65,536 rows make a worker pause.
- The fit: ``fastgd.dask.fit(X, y, method="batch", persist=False,
  max_epochs=EPOCHS)``.  Its result must be ``==`` (coef, intercept, loss
  history) that of ``fastgd.fit`` in this process on the same rows (the
  memory-mapped files: this process holds no copy of them).  The test also
  asserts that X is larger than the cluster's memory, that no worker was
  restarted, paused or made to spill, and that a worker's peak RSS (VmHWM,
  reset before the fit) stayed below its limit; it reports the resting and
  peak RSS (about 200 MiB: a few blocks at a time, not the data).
- The members: the distributed fit; ``X.sum()`` over the same dask array (one
  read of X by the cluster: what reading the blocks costs); and ``fastgd.fit``
  in this process on an in-memory slice of ``SLICE_ROWS`` rows, with 2 threads
  (the "fastgd" member: the cluster's cores) and with 1.  The ratios of the
  table are per row.  The test of the distributed fit, run last, prints its
  figures (``-s`` shows them: seconds per epoch and per million rows, the
  ratios to the local fits and to one read, the RSS) and puts them in its
  ``extra_info``.  There is no target, and no timing is asserted.

With ``--benchmark-disable`` (CI) each member runs once, on the same data (the
point is its size): about 18 s for the module here on a quiet machine (35 s
on a busy one), half of it writing the data.  ``FASTGD_DASK_BENCH_MB`` scales it; below
769 the size assertion fails.
"""
import os
import statistics
import time
import types

import numpy as np
import pytest

import fastgd

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")  # a dependency of distributed
fastgd_dask = pytest.importorskip("fastgd.dask")

pytestmark = pytest.mark.benchmark(group="dask-batch-epoch")

N_WORKERS = 2
MEMORY_LIMIT = 384 * 2**20  # bytes, per worker
N_FEATURES = 100
BLOCK_ROWS = 64 * fastgd_dask.CHUNK_ROWS  # 16,384 rows, 12.5 MiB of X per block
DATA_MIB = int(os.environ.get("FASTGD_DASK_BENCH_MB", "1024"))
SLICE_ROWS = 2**18  # the local fit's rows (200 MiB of X)
EPOCHS = 3
FIT_PARAMS = dict(method="batch", lr=0.1, max_epochs=EPOCHS)
DASK_ROUNDS = 3  # timed rounds of the distributed fit

#: What the tests measured, for the last test's report (same module, same process).
FIGURES = {}


def _worker_functions():
    """The functions that run on the workers.

    The workers cannot import this test module (pytest imports it by path), so
    these are defined inside a function: cloudpickle then sends them by value.
    """
    import psutil

    def read_rows(path, block_info=None):
        """The block's rows of the .npy file at path, copied into memory."""
        start, stop = block_info[None]["array-location"][0]
        rows = np.load(path, mmap_mode="r")[start:stop]
        return np.array(rows)  # the mapping is closed when rows goes

    def warm_up():
        """Import what a fit imports; the worker's resting RSS."""
        import fastgd.dask  # noqa: F401
        import dask.array  # noqa: F401
        return psutil.Process().memory_info().rss

    def reset_peak():
        """Reset the peak RSS (VmHWM, Linux); the RSS now, or None without /proc."""
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return None
        return psutil.Process().memory_info().rss

    def peak():
        """The peak RSS since reset_peak (VmHWM), in bytes, or None without /proc."""
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None

    def worker_state(dask_worker):
        return os.getpid(), str(dask_worker.status)

    def spilled(dask_worker):
        """How many times the worker has written data to disk (spilled)."""
        metrics = getattr(dask_worker.data, "cumulative_metrics", {})
        return int(metrics.get(("disk-write", "count"), 0))

    return types.SimpleNamespace(read_rows=read_rows, warm_up=warm_up,
                                 reset_peak=reset_peak, peak=peak, worker_state=worker_state,
                                 spilled=spilled)


ON_WORKER = _worker_functions()


def _mib(nbytes):
    return nbytes / 2**20


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """X and y as .npy files, written a piece at a time (about 8 s for 1 GiB here).

    Removed after the module's tests (pytest keeps the last runs' temporary
    folders, and these are large).
    """
    d = N_FEATURES
    n = DATA_MIB * 2**20 // (8 * d) // fastgd_dask.CHUNK_ROWS * fastgd_dask.CHUNK_ROWS
    folder = tmp_path_factory.mktemp("dask_bench")
    paths = folder / "X.npy", folder / "y.npy"
    rng = np.random.default_rng(20240601)
    true_coef = rng.normal(size=d)
    X = np.lib.format.open_memmap(paths[0], mode="w+", dtype=np.float64, shape=(n, d))
    y = np.lib.format.open_memmap(paths[1], mode="w+", dtype=np.float64, shape=(n,))
    piece = 4 * BLOCK_ROWS
    for start in range(0, n, piece):
        stop = min(start + piece, n)
        rows = rng.standard_normal((stop - start, d))
        X[start:stop] = rows
        y[start:stop] = rows @ true_coef + 0.5 + 0.1 * rng.standard_normal(stop - start)
    X.flush()
    y.flush()
    del X, y
    yield types.SimpleNamespace(X_path=str(paths[0]), y_path=str(paths[1]), n=n, d=d,
                                X_bytes=n * d * 8, nbytes=n * (d + 1) * 8)
    for path in paths:
        path.unlink(missing_ok=True)


def _from_file(path, n, tail):
    """A dask array over the .npy file at path: one task per block of rows reads it."""
    sizes = (BLOCK_ROWS,) * (n // BLOCK_ROWS) + ((n % BLOCK_ROWS,) if n % BLOCK_ROWS else ())
    return da.map_blocks(ON_WORKER.read_rows, path, chunks=(sizes,) + tuple((k,) for k in tail),
                         dtype=np.float64, meta=np.empty((0,) + tail))


@pytest.fixture(scope="module")
def client():
    """Two worker processes with MEMORY_LIMIT each; their resting RSS in FIGURES.

    ``dashboard_address=":0"``: the scheduler's HTTP server (and the dashboard, if
    bokeh is installed) on a free port; with None it would still try 8787 and warn
    when another cluster holds it.
    """
    with distributed.LocalCluster(n_workers=N_WORKERS, threads_per_worker=1,
                                  memory_limit=MEMORY_LIMIT, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(N_WORKERS)
        FIGURES["worker_rss_resting"] = client.run(ON_WORKER.warm_up)
        yield client


def _recording(fn, times):
    def run(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
        return result
    return run


@pytest.fixture(scope="module")
def local_slice(dataset):
    """The first SLICE_ROWS rows, in memory."""
    rows = min(SLICE_ROWS, dataset.n)
    X = np.array(np.load(dataset.X_path, mmap_mode="r")[:rows])
    y = np.array(np.load(dataset.y_path, mmap_mode="r")[:rows])
    return X, y


def _local_fit(X, y, n_threads):
    return fastgd.fit(X, y, n_threads=n_threads, **FIT_PARAMS)


@pytest.mark.parametrize("n_threads", [2, 1])
def test_local_fit_on_a_slice(timed, local_slice, n_threads):
    X, y = local_slice
    times = []
    label = "fastgd" if n_threads == N_WORKERS else f"fastgd, n_threads={n_threads}"
    result = timed(label, _recording(_local_fit, times), X, y, n_threads,
                   rows=X.shape[0] * EPOCHS)
    assert result.n_epochs == EPOCHS and not result.diverged
    FIGURES[f"local_{n_threads}"] = statistics.median(times) / EPOCHS, X.shape[0]


def _dask_arrays(dataset):
    return (_from_file(dataset.X_path, dataset.n, (dataset.d,)),
            _from_file(dataset.y_path, dataset.n, ()))


def test_dask_one_read_of_X(benchmark, client, dataset):
    """What reading the blocks costs the cluster: ``X.sum()`` over the same dask array."""
    X, _ = _dask_arrays(dataset)
    times = []
    benchmark.extra_info.update(label=f"dask X.sum(), {N_WORKERS} workers, from disk",
                                rows=dataset.n, target=None, target_text=None)
    total = benchmark.pedantic(_recording(lambda: float(X.sum().compute()), times),
                               rounds=DASK_ROUNDS, iterations=1)
    assert np.isfinite(total)
    FIGURES["dask_read"] = statistics.median(times)


def test_dask_fit_from_disk(benchmark, client, dataset):
    n, d = dataset.n, dataset.d
    # The scale: the data cannot be held by a worker, nor by the whole cluster.
    assert dataset.X_bytes > MEMORY_LIMIT * N_WORKERS, (
        f"FASTGD_DASK_BENCH_MB={DATA_MIB}: X ({_mib(dataset.X_bytes):.0f} MiB) must be larger "
        f"than the cluster's memory ({N_WORKERS} x {_mib(MEMORY_LIMIT):.0f} MiB)")
    limits = {w["id"]: w["memory_limit"] for w in client.scheduler_info()["workers"].values()}
    assert len(limits) == N_WORKERS and set(limits.values()) == {MEMORY_LIMIT}, limits

    X, y = _dask_arrays(dataset)
    assert X.chunks[0][:-1] == (BLOCK_ROWS,) * (len(X.chunks[0]) - 1)
    # The graph holds paths, not rows.
    assert len(cloudpickle.dumps(dict(X.__dask_graph__()))) < 1_000_000

    before = client.run(ON_WORKER.worker_state)
    spilled_before = client.run(ON_WORKER.spilled)
    resting = client.run(ON_WORKER.reset_peak)
    times = []

    def dask_fit():
        return fastgd_dask.fit(X, y, client=client, persist=False, **FIT_PARAMS)

    benchmark.extra_info.update(label=f"fastgd.dask, {N_WORKERS} workers, from disk",
                                rows=n * EPOCHS, target=None, target_text=None)
    result = benchmark.pedantic(_recording(dask_fit, times), rounds=DASK_ROUNDS, iterations=1)
    peaks = client.run(ON_WORKER.peak)
    after = client.run(ON_WORKER.worker_state)
    spills = sum(client.run(ON_WORKER.spilled).values()) - sum(spilled_before.values())

    # No worker was lost, restarted or left paused, and none was paused on the way.
    assert after == before, (before, after)
    logs = client.get_worker_logs()
    memory_warnings = [msg for lines in logs.values() for _, msg in lines
                       if "memory" in msg.lower() and ("paus" in msg.lower()
                                                       or "high" in msg.lower())]
    assert not any("Pausing worker" in msg for msg in memory_warnings), memory_warnings
    assert spills == 0, f"the workers spilled data to disk {spills} times"
    if None not in peaks.values():
        assert max(peaks.values()) < MEMORY_LIMIT, peaks

    # The same bits as fastgd.fit on the same rows (memory-mapped: no copy here).
    assert result.n_epochs == EPOCHS and not result.diverged and result.backend == "dask"
    local = fastgd.fit(np.load(dataset.X_path, mmap_mode="r"),
                       np.load(dataset.y_path, mmap_mode="r"), **FIT_PARAMS)
    assert result.coef.tolist() == local.coef.tolist()
    assert result.intercept == local.intercept
    assert result.loss_history.tolist() == local.loss_history.tolist()

    # The figures.
    epoch = statistics.median(times) / EPOCHS
    figures = {
        "data_rows": n, "features": d, "block_rows": BLOCK_ROWS, "blocks": len(X.chunks[0]),
        "X_MiB": round(_mib(dataset.X_bytes), 1), "data_MiB": round(_mib(dataset.nbytes), 1),
        "workers": N_WORKERS, "worker_memory_limit_MiB": round(_mib(MEMORY_LIMIT), 1),
        "worker_rss_resting_MiB": sorted(round(_mib(v), 1)
                                         for v in FIGURES["worker_rss_resting"].values()),
        "worker_rss_before_fit_MiB": sorted(round(_mib(v), 1) for v in resting.values()
                                            if v is not None),
        "worker_rss_peak_MiB": sorted(round(_mib(v), 1) for v in peaks.values()
                                      if v is not None),
        "memory_warnings": len(memory_warnings),
        "spills_to_disk": spills,
        "dask_epoch_s": round(epoch, 4),
        "dask_s_per_million_rows": round(epoch / n * 1e6, 4),
    }
    if "dask_read" in FIGURES:
        figures["dask_read_of_X_s"] = round(FIGURES["dask_read"], 4)
        figures["dask_epoch_vs_read_of_X"] = round(epoch / FIGURES["dask_read"], 2)
    for threads in (2, 1):
        if f"local_{threads}" in FIGURES:
            local_epoch, local_rows = FIGURES[f"local_{threads}"]
            figures[f"local_{threads}_threads_epoch_s"] = round(local_epoch, 4)
            figures[f"local_{threads}_threads_rows"] = local_rows
            figures[f"local_{threads}_threads_s_per_million_rows"] = round(
                local_epoch / local_rows * 1e6, 4)
            figures[f"dask_vs_local_{threads}_threads_per_row"] = round(
                (epoch / n) / (local_epoch / local_rows), 2)
    benchmark.extra_info.update(figures)
    print("\nfastgd.dask.fit from disk, data larger than a worker's memory:")
    for key, value in figures.items():
        print(f"  {key:<42} {value}")
    for message in memory_warnings:
        print(f"  worker warning: {message}")
