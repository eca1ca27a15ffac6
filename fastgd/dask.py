"""Full-batch and mini-batch descent on Dask arrays: data spread over a cluster.

:func:`fit` takes a ``dask.array`` X chunked by rows (and y, and optionally
sample weights, with the same row chunks) and fits the model with the
workers of a ``dask.distributed`` cluster.  Each block of rows is loaded and
checked once on a worker and stays there; every step only the weights go
out and the gradient sums come back.

The result is the same bits as :func:`fastgd.fit` on the gathered arrays:

- ``method="batch"``: every block's chunk sums (the fused gradient of
  ``CHUNK_ROWS`` = 256 rows at a time) are computed on its worker by the same
  kernel, and added in chunk order by the client, which takes the step.  When
  every row chunk but the last is a multiple of 256 rows, the chunks are those
  of a local fit, and ``fastgd.dask.fit(X, y, method="batch", ...)`` ``==``
  ``fastgd.fit(X.compute(), y.compute(), method="batch", ...)``.  With other
  chunk sizes the 256-row chunks restart at each block; the reference
  reproduces that too (``fastgd.reference.run_epochs(..., blocks=...)``).
- ``method="minibatch"``: mini-batches are drawn within each block.  An epoch
  visits the blocks in order; each block's worker shuffles its rows (with
  ``shuffle=True``, by the fit's one generator, passed on from block to
  block) and takes its mini-batch steps, then hands the weights, optimizer
  state and generator to the next block's worker.  The reference reproduces
  the order exactly on the gathered data (``blocks=``, see "Row blocks" in
  :mod:`fastgd.reference`); when every block is a multiple of ``batch_size``
  rows and ``shuffle=False``, this is also ``fastgd.fit``'s mini-batch fit.

Workers that die during a fit are survived: Dask recomputes the lost blocks
from their source and reruns the step's tasks, which give the same bits on
any worker.  A step that cannot be computed (a task that kills its workers
again and again, a source that can no longer be read) raises
:class:`WorkerFailure`, and no weight is changed by the epoch it was in.

Install with ``pip install "fastgd[dask]"``.
"""
import numpy as np

from . import _fit
from . import _validation as check
from . import reference
from ._native import kernels as _kernels
from ._options import CHUNK_ROWS, LOSSES, PROGRESS_SIZE, Method, Status

__all__ = ["fit", "reference_fit", "WorkerFailure", "CHUNK_ROWS"]

#: fastgd.fit's arguments that have no meaning here (see fit's docstring).
_REFUSED = {
    "early_stopping": "early stopping needs a held-out sample of the rows",
    "backend": "the blocks are fitted by the compiled kernels; the pure-Python "
               "reference runs on gathered data (fastgd.reference.run_epochs(..., blocks=...))",
    "_resume": "continuing a fit",
}


class WorkerFailure(RuntimeError):
    """A step of a distributed fit could not be computed; the fit stopped without
    changing the weights in the epoch it was in."""


def _dask_modules():
    try:
        import dask
        import dask.array as da
        import distributed
    except ImportError:
        raise ImportError('fastgd.dask needs dask and distributed: pip install "fastgd[dask]"'
                          ) from None
    return dask, da, distributed


def fit(X, y, *, method="batch", sample_weight=None, client=None, persist=True,
        n_threads=1, **fit_params):
    """Fit ``y ~ X @ coef + intercept`` by gradient descent on a Dask cluster.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Real numbers (float32 data is fitted in float32, anything else in
        float64), in NumPy chunks.  Row chunks are the unit of work; each
        should be at least a few thousand rows, and a multiple of
        ``fastgd.dask.CHUNK_ROWS`` (256) for the bits of a local full-batch
        fit.  X is rechunked to one chunk across the columns if needed (that
        moves data once, before the fit).
    y : dask.array.Array or array-like of shape (n_samples,)
        Targets (labels for the classification losses, as in
        :func:`fastgd.fit`); rechunked to X's row chunks.
    method : {"batch", "minibatch"}, default="batch"
        ``"batch"``: one step per epoch from all rows; ``"minibatch"``: steps
        of ``batch_size`` rows drawn within each row block (see the module's
        docstring).  Per-sample ``"sgd"`` is not offered: its steps are
        strictly sequential, one row at a time.
    sample_weight : dask.array.Array or array-like of shape (n_samples,), optional
        Non-negative weights, as in :func:`fastgd.fit`.
    client : distributed.Client, optional
        The cluster to run on; default: the current client
        (``distributed.default_client()``).  For a real cluster,
        ``Client("tcp://scheduler-address:8786")``.
    persist : bool, default=True
        Load the blocks into the workers' memory once and keep them there.
        ``False`` reads each block from X's source (a zarr store, memory-mapped
        files, ...) at every epoch: for data larger than the cluster's memory.
    n_threads : int, default=1
        Threads of the kernel inside each task.  Dask's workers already run
        blocks in parallel; raise this when the workers have spare cores.
        The result does not depend on it.
    **fit_params
        Any other keyword of :func:`fastgd.fit` (lr, max_epochs, batch_size,
        loss, optimizer, schedule, tol, average, random_state, callback, ...),
        except ``early_stopping`` and ``backend``; ``shuffle`` only with
        ``method="minibatch"`` (a full batch has no order to shuffle).

    Returns
    -------
    FitResult
        As from :func:`fastgd.fit` (``backend`` is ``"dask"``).

    Raises
    ------
    WorkerFailure
        When a step could not be computed on the cluster.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from distributed import Client, LocalCluster
    >>> import fastgd, fastgd.dask
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2048, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3.0
    >>> with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster) as client:
    ...     result = fastgd.dask.fit(da.from_array(X, chunks=(512, 3)), y,
    ...                              method="batch", lr=0.1, max_epochs=50)
    >>> local = fastgd.fit(X, y, method="batch", lr=0.1, max_epochs=50)
    >>> bool((result.coef == local.coef).all() and result.intercept == local.intercept)
    True
    """
    for name, why in _REFUSED.items():
        if name in fit_params and not (name == "early_stopping"
                                       and fit_params[name] is False):
            raise ValueError(f"fastgd.dask.fit does not take {name}: {why}")
    dask, da, distributed = _dask_modules()
    method = check.check_method(method)
    if method == Method.SGD:
        raise ValueError("fastgd.dask.fit: method must be 'batch' or 'minibatch'; per-sample "
                         "'sgd' steps are sequential, row after row (use 'minibatch' with "
                         "batch_size=1 for the same updates within each block)")
    method_name = {Method.BATCH: "batch", Method.MINIBATCH: "minibatch"}[method]
    if method == Method.BATCH and fit_params.get("shuffle", False):
        raise ValueError("fastgd.dask.fit: shuffle=True needs method='minibatch'; a full "
                         "batch adds the rows in their order")
    persist = check.check_bool(persist, "persist")
    if client is None:
        try:
            client = distributed.default_client()
        except ValueError:
            raise ValueError(
                "fastgd.dask.fit needs a dask.distributed Client: Client() starts a local "
                "cluster, Client('tcp://scheduler-address:8786') connects to a running one"
            ) from None
    elif not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
    loss = fit_params.get("loss", "squared")
    loss_spec, _ = check.check_loss(loss, fit_params.get("loss_params"))
    rows = _DaskRows(X, y, sample_weight, loss_spec, loss, client, persist, method, da, dask)
    result = _fit.fit(rows, None, method=method_name, n_threads=n_threads, **fit_params)
    result.backend = "dask"
    return result


def reference_fit(X, y, *, blocks, method="batch", sample_weight=None, **fit_params):
    """What :func:`fit` computes, by the pure-Python reference on gathered arrays.

    Runs :func:`fastgd.reference.run_epochs` with ``blocks`` (see "Row blocks"
    in :mod:`fastgd.reference`) on X and y in memory, with :func:`fit`'s
    arguments and checks.  ``fit(X_dask, y, ...)`` gives the same bits as
    ``reference_fit(X_dask.compute(), y, blocks=X_dask.chunks[0], ...)``.
    Slow (plain Python): for tests and for reading.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    blocks : sequence of int
        Row counts of the blocks (a dask array's ``X.chunks[0]``).
    method, sample_weight, **fit_params
        As for :func:`fit`.

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import numpy as np, fastgd, fastgd.dask
    >>> X = np.linspace(-1, 1, 60).reshape(-1, 1)
    >>> y = 2 * X[:, 0] + 1
    >>> ref = fastgd.dask.reference_fit(X, y, blocks=[30, 30], method="minibatch",
    ...                                 batch_size=8, max_epochs=3)
    >>> ref.n_epochs
    3
    """
    for name, why in _REFUSED.items():
        if name in fit_params and not (name == "early_stopping"
                                       and fit_params[name] is False):
            raise ValueError(f"fastgd.dask.reference_fit does not take {name}: {why}")
    X = check.check_X(X)
    loss = fit_params.get("loss", "squared")
    loss_spec, _ = check.check_loss(loss, fit_params.get("loss_params"))
    y = check.check_labels(check.check_y(y, X.shape[0], dtype=X.dtype), loss_spec, loss)
    weights = check.check_sample_weight(sample_weight, X.shape[0], X.dtype)
    rows = _ReferenceBlocks(X, y, weights, [int(size) for size in blocks])
    result = _fit.fit(rows, None, method=method, **fit_params)
    result.backend = "python"
    return result


class _ReferenceBlocks(_fit.ExternalRows):
    def __init__(self, X, y, sample_weight, blocks):
        self.X, self.y, self.sample_weight, self.blocks = X, y, sample_weight, blocks
        self.shape, self.dtype = X.shape, X.dtype

    def run_epochs(self, X, y, sample_weight, *state_and_outputs):
        return reference.run_epochs(self.X, self.y, self.sample_weight, *state_and_outputs,
                                    blocks=self.blocks)


class _DaskRows(_fit.ExternalRows):
    """Checked row blocks on a cluster, and the epoch runner over them."""

    def __init__(self, X, y, sample_weight, loss_spec, loss, client, persist, method, da,
                 dask):
        import distributed

        if not isinstance(X, da.Array):
            raise TypeError(f"X must be a dask.array.Array, got {type(X).__name__}; for "
                            f"arrays in memory use fastgd.fit")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if any(np.isnan(size) for size in X.shape):
            raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
        n, d = (int(v) for v in X.shape)
        if n == 0 or d == 0:
            raise ValueError(f"X needs at least 1 sample and 1 feature, got shape {X.shape}")
        if not isinstance(X._meta, np.ndarray):
            raise TypeError(f"X's chunks must be NumPy arrays, got "
                            f"{type(X._meta).__module__}.{type(X._meta).__name__}")
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must hold real numbers (bool, int or float), got dtype "
                             f"{X.dtype}")
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        self.shape = (n, d)
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        row_chunks = X.chunks[0]
        y = self._vector(y, "y", row_chunks, da)
        weights = None if sample_weight is None else self._vector(
            sample_weight, "sample_weight", row_chunks, da)
        # Labels and all-zero weights are properties of the whole vector: one
        # small pass over y (and the weights) decides them.
        if loss_spec.labels is not None:
            check.check_labels(da.unique(y).compute(), loss_spec, loss)
        if weights is not None and not bool((weights != 0).any().compute()):
            raise ValueError("sample_weight is all zero: Sample weights must contain at "
                             "least one non-zero number (there is nothing to fit)")
        self.sizes = [int(size) for size in row_chunks]
        starts = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        x_blocks = X.to_delayed().ravel()
        y_blocks = y.to_delayed().ravel()
        w_blocks = [None] * len(x_blocks) if weights is None else weights.to_delayed().ravel()
        load = dask.delayed(_load_block, pure=True)
        self.blocks = [
            load(xb, yb, wb, self.dtype.str, loss_spec.code, loss, starts[k], starts[k + 1])
            for k, (xb, yb, wb) in enumerate(zip(x_blocks, y_blocks, w_blocks))]
        self.client = client
        self.dask = dask
        self.persist = persist
        if persist:
            # Futures held until the fit returns: lost blocks are recomputed
            # from their source.
            self.blocks = client.compute(self.blocks)
            # Loaded before the first step, so that its tasks go where the
            # blocks are (a block that failed to load raises in that step).
            with client.as_current():
                distributed.wait(self.blocks)

    def _vector(self, v, name, row_chunks, da):
        if not isinstance(v, da.Array):
            v = check._to_float_array(v, name, self.dtype)
        if v.ndim != 1 or v.shape[0] != self.shape[0]:
            raise ValueError(f"{name} must be 1-D with one value per row of X "
                             f"({self.shape[0]}), got shape {v.shape}")
        if v.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers (bool, int or float), got dtype "
                             f"{v.dtype}")
        if isinstance(v, np.ndarray):
            return da.from_array(v, chunks=(row_chunks,))
        return v.rechunk((row_chunks,))

    def _placement(self):
        """For each loaded block, the workers that hold it (the keyword arguments
        of its tasks), so that its tasks run there and the block never moves:
        Dask's work stealing would otherwise move a block to an idle worker.
        When those workers are gone the task may run elsewhere (after the block
        is recomputed)."""
        if not self.persist:
            return [{}] * len(self.blocks)
        where = self.client.who_has(self.blocks)
        return [dict(workers=list(where[block.key]), allow_other_workers=True, pure=False)
                if where.get(block.key) else dict(pure=False) for block in self.blocks]

    def _compute(self, futures, epoch):
        """Wait for the futures (or lazy tasks); their results, or WorkerFailure."""
        import distributed

        if not self.persist:
            futures = self.client.compute(futures)
        try:
            return self.client.gather(futures)
        except (distributed.KilledWorker, distributed.client.FutureCancelledError,
                OSError, distributed.comm.CommClosedError) as exc:
            raise WorkerFailure(
                f"epoch {epoch + 1} of the distributed fit could not be computed "
                f"({type(exc).__name__}: {exc}); the weights are those of the epoch "
                f"before") from exc
        finally:
            self.client.cancel(futures)

    def run_epochs(self, X, y, sample_weight, coef, intercept, order, validation_rows,
                   rng_state, progress, optimizer_state, average_coef, average_intercept,
                   loss_out, lr_out, validation_out, settings):
        """The epoch runner over the blocks (the runners' signature; X is self)."""
        scalar = float if self.dtype == np.float64 else np.float32
        run = reference._Run(settings, scalar, progress)
        n = self.shape[0]
        state = (coef, intercept, rng_state, progress, optimizer_state, average_coef,
                 average_intercept)
        n_run = 0
        status = Status.RAN_ALL
        start = None  # the state at the start of an epoch in progress, else None
        try:
            for k in range(len(loss_out)):
                progress[:] = [run.step, run.epoch, run.best, run.stall, run.adaptive_rate]
                start = tuple(a.copy() for a in state)
                lr_out[k] = run.rate(run.step + 1)
                if settings.method == Method.BATCH:
                    loss_sum = self._batch_epoch(state, settings, run.epoch)
                else:
                    loss_sum = self._minibatch_epoch(state, settings, run.epoch)
                run.step = int(progress[0])
                mean_loss = loss_sum / n
                loss_out[k] = mean_loss
                run.epoch, n_run, saved, start = run.epoch + 1, k + 1, start, None
                if not (np.isfinite(mean_loss) and np.isfinite(intercept).all()
                        and np.isfinite(coef).all()
                        and (settings.plain_sgd or np.isfinite(optimizer_state).all())
                        and np.isfinite(average_coef).all()
                        and np.isfinite(average_intercept).all()):
                    for a, before in zip((coef, intercept, average_coef, average_intercept),
                                         (saved[0], saved[1], saved[5], saved[6])):
                        a[...] = before
                    validation_out[k] = np.nan
                    status = Status.DIVERGED
                    break
                verdict = reference.epoch_verdict(run, settings, mean_loss, mean_loss)
                if verdict is not None:
                    status = verdict
                    break
        except BaseException:
            # Ctrl-C or a WorkerFailure: back to the last completed epoch (fit
            # counts the epochs run from the progress record).
            if start is not None:
                for a, before in zip(state, start):
                    a[...] = before
            raise
        finally:
            if start is None:
                progress[:] = [run.step, run.epoch, run.best, run.stall, run.adaptive_rate]
        return n_run, status

    def _task(self, function, block, placement, *args):
        """``function(block, *args)`` on the cluster: a future next to a loaded
        block, or a lazy task that reads the block from its source."""
        if self.persist:
            return self.client.submit(function, block, *args, **placement)
        return self.dask.delayed(function, pure=False)(block, *args)

    def _batch_epoch(self, state, settings, epoch):
        coef, intercept, _, progress, optimizer_state, average_coef, average_intercept = state
        weights = (coef.copy(), intercept[0])
        sums = self._compute([self._task(_block_chunk_sums, block, placement, *weights, settings)
                              for block, placement in zip(self.blocks, self._placement())],
                             epoch)
        loss = _kernels.step_from_chunk_sums(
            np.concatenate(sums), self.shape[0], coef, intercept, progress, optimizer_state,
            average_coef, average_intercept, settings)
        return float(loss)

    def _minibatch_epoch(self, state, settings, epoch):
        # The weights, optimizer state, generator and running loss go from
        # block to block: each task waits for the one before.
        carried = tuple(a.copy() for a in state) + (0.0,)
        for block, placement in zip(self.blocks, self._placement()):
            carried = self._task(_block_group_updates, block, placement, carried, settings)
        (carried,) = self._compute([carried], epoch)
        for a, new in zip(state, carried):
            a[...] = new
        return carried[-1]


def _load_block(X, y, sample_weight, dtype, loss_code, loss, start, stop):
    """One block of rows, checked and converted (runs on a worker, once per block)."""
    where = f" (rows {start}:{stop})"
    X = check._to_float_array(X, "X", np.dtype(dtype))
    check.check_finite(X, "X" + where)
    y = check._to_float_array(y, "y", X.dtype)
    check.check_finite(y, "y" + where)
    spec = next(spec for spec in LOSSES.values() if spec.code == loss_code)
    y = check.check_labels(y, spec, loss)
    if sample_weight is None:
        sample_weight = np.empty(0, dtype=X.dtype)
    else:
        sample_weight = check._to_float_array(sample_weight, "sample_weight", X.dtype)
        check.check_finite(sample_weight, "sample_weight" + where)
        if (sample_weight < 0).any():
            raise ValueError(f"sample_weight must be >= 0{where}, got "
                             f"{sample_weight.min()}")
    return X, y, sample_weight


def _block_chunk_sums(block, coef, intercept, settings):
    X, y, sample_weight = block
    return _kernels.block_chunk_sums(X, y, sample_weight, coef, X.dtype.type(intercept),
                                     settings)


def _block_group_updates(block, carried, settings):
    """The block's mini-batch steps; the carried state is copied, never changed in
    place (Dask may rerun a task from the same inputs after a worker is lost)."""
    X, y, sample_weight = block
    coef, intercept, rng_state, progress, optimizer_state, average_coef, average_intercept = (
        a.copy() for a in carried[:7])
    loss = _kernels.block_group_updates(X, y, sample_weight, coef, intercept, rng_state,
                                        progress, optimizer_state, average_coef,
                                        average_intercept, carried[7], settings)
    return coef, intercept, rng_state, progress, optimizer_state, average_coef, \
        average_intercept, loss
