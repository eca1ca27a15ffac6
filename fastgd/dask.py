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
import functools
import inspect
import operator

import numpy as np

from . import _fit
from . import _validation as check
from . import reference
from ._native import kernels as _kernels
from ._options import CHUNK_ROWS, LOSSES, Method, Status
from ._sparse import contiguous

__all__ = ["fit", "reference_fit", "WorkerFailure", "CHUNK_ROWS"]

#: fastgd.fit's arguments that have no meaning here (see fit's docstring).
_REFUSED = {
    "early_stopping": "early stopping needs a held-out sample of the rows",
    "backend": "the blocks are fitted by the compiled kernels; the pure-Python "
               "reference runs on gathered data (fastgd.reference.run_epochs(..., blocks=...))",
    "_resume": "continuing a fit",
}


class WorkerFailure(_fit.RunFailure):
    """A step of a distributed fit could not be computed.

    The fit stopped without changing the weights in the epoch it was in;
    :attr:`result` is the :class:`~fastgd.FitResult` of the epochs completed
    before (``stop_reason="failed"``).
    """


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
    _check_refused(fit_params, "fit")
    dask, da, distributed = _dask_modules()
    X, y, sample_weight = (_dask_array(v, da) for v in (X, y, sample_weight))
    _check_X(X, da)
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
    if client.status in ("closing", "closed"):
        raise ValueError("fastgd.dask.fit: the client is closed; connect a new Client")
    loss = fit_params.get("loss", "squared")
    loss_spec, _ = check.check_loss(loss, fit_params.get("loss_params"))
    # The blocks are loaded at the first epoch, once fit has checked every
    # other argument: a typo costs no read of X.
    rows = _DaskRows(X, y, sample_weight, loss_spec, loss, client, persist, da, dask)
    try:
        return _fit.fit(rows, None, method=method_name, n_threads=n_threads, **fit_params)
    finally:
        rows.release()  # even when an exception (and its traceback) is kept


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
    _check_refused(fit_params, "reference_fit")
    X = check.check_X(X)
    loss = fit_params.get("loss", "squared")
    loss_spec, _ = check.check_loss(loss, fit_params.get("loss_params"))
    y = check.check_labels(check.check_y(y, X.shape[0], dtype=X.dtype), loss_spec, loss)
    weights = check.check_sample_weight(sample_weight, X.shape[0], X.dtype)
    try:
        blocks = [operator.index(size) for size in blocks]
    except TypeError:
        raise TypeError(f"blocks must be the row counts of the blocks (a dask array's "
                        f"X.chunks[0]), got {blocks!r:.80}") from None
    if sum(blocks) != X.shape[0] or min(blocks, default=0) < 1:
        raise ValueError(f"blocks must be row counts >= 1 adding up to X's {X.shape[0]} "
                         f"rows, got {len(blocks)} blocks of {sum(blocks)} rows")
    if check.check_method(method) == Method.SGD:
        raise ValueError("fastgd.dask.reference_fit: method must be 'batch' or 'minibatch'")
    if method == "batch" and fit_params.get("shuffle", False):
        raise ValueError("fastgd.dask.reference_fit: shuffle=True needs method='minibatch'")
    rows = _ReferenceBlocks(X, y, weights, blocks)
    return _fit.fit(rows, None, method=method, **fit_params)


def _check_refused(fit_params, name):
    for param, why in _REFUSED.items():
        if param in fit_params and fit_params[param] != _fit_default(param):
            raise ValueError(f"fastgd.dask.{name} does not take {param}: {why}")


def _fit_default(param):
    parameter = inspect.signature(_fit.fit).parameters[param]
    return parameter.default


def _dask_array(v, da):
    """A dask DataFrame or Series as a dask array (one pass learns its partitions'
    lengths); anything else as it is."""
    if type(v).__module__.startswith("dask.") and hasattr(v, "to_dask_array"):
        return v.to_dask_array(lengths=True)
    return v


def _check_X(X, da):
    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask.array.Array (or a dask DataFrame), got "
                        f"{type(X).__name__}; for arrays in memory use fastgd.fit")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if any(np.isnan(size) for size in X.shape):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X needs at least 1 sample and 1 feature, got shape {X.shape}")
    if not isinstance(X._meta, np.ndarray):
        raise TypeError(f"X's chunks must be NumPy arrays, got "
                        f"{type(X._meta).__module__}.{type(X._meta).__name__}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold real numbers (bool, int or float), got dtype "
                         f"{X.dtype}")


class _ReferenceBlocks(_fit.ExternalRows):
    backend = "python"

    def __init__(self, X, y, sample_weight, blocks):
        self.X, self.y, self.sample_weight, self.blocks = X, y, sample_weight, blocks
        self.shape, self.dtype = X.shape, X.dtype

    def run_epochs(self, X, y, sample_weight, *state_and_outputs):
        return reference.run_epochs(self.X, self.y, self.sample_weight, *state_and_outputs,
                                    blocks=self.blocks)


class _DaskRows(_fit.ExternalRows):
    """Row blocks on a cluster (loaded and checked at the first epoch), and the
    epoch runner over them."""

    backend = "dask"

    def __init__(self, X, y, sample_weight, loss_spec, loss, client, persist, da, dask):
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        self.shape = tuple(int(v) for v in X.shape)
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        self.row_chunks = X.chunks[0]
        self.X = X
        self.y = self._vector(y, "y", da)
        self.weights = None if sample_weight is None else self._vector(
            sample_weight, "sample_weight", da)
        self.loss_spec, self.loss = loss_spec, loss
        self.client, self.persist, self.dask = client, persist, dask
        self.blocks = None

    def _vector(self, v, name, da):
        if not isinstance(v, da.Array):
            v = check._to_float_array(v, name, self.dtype)
        if v.ndim == 1 and np.isnan(v.shape[0]):
            raise ValueError(f"{name} has unknown chunk sizes; call "
                             f"{name}.compute_chunk_sizes() first")
        if v.ndim != 1 or v.shape[0] != self.shape[0]:
            raise ValueError(f"{name} must be 1-D with one value per row of X "
                             f"({self.shape[0]}), got shape {v.shape}")
        if v.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers (bool, int or float), got dtype "
                             f"{v.dtype}")
        if isinstance(v, np.ndarray):
            return da.from_array(v, chunks=(self.row_chunks,))
        return v.rechunk((self.row_chunks,))

    def _load(self):
        """Check the targets and weights as wholes, and make the blocks' tasks
        (with persist, load them into the workers' memory)."""
        import distributed

        client = self.client
        # Labels and all-zero weights are properties of the whole vector: one
        # small pass over y (and the weights) decides them.
        if self.loss_spec.labels is not None:
            labels = client.compute(self.dask.array.unique(self.y)).result()
            check.check_labels(labels, self.loss_spec, self.loss)
        if self.weights is not None and not client.compute((self.weights != 0).any()).result():
            raise ValueError("sample_weight is all zero: Sample weights must contain at "
                             "least one non-zero number (there is nothing to fit)")
        starts = np.concatenate([[0], np.cumsum(self.row_chunks)]).astype(int).tolist()
        x_blocks = self.X.to_delayed().ravel()
        y_blocks = self.y.to_delayed().ravel()
        w_blocks = ([None] * len(x_blocks) if self.weights is None
                    else self.weights.to_delayed().ravel())
        # (pure=False: keys of this fit's own, which release() can cancel
        # without touching another fit of the same data)
        load = self.dask.delayed(_load_block, pure=False)
        blocks = [load(xb, yb, wb, self.dtype.str, self.loss_spec.code, self.loss, starts[k],
                       starts[k + 1])
                  for k, (xb, yb, wb) in enumerate(zip(x_blocks, y_blocks, w_blocks))]
        if self.persist:
            # Futures held until the fit returns: lost blocks are recomputed
            # from their source.
            blocks = client.compute(blocks)
            # Loaded before the first step, so that its tasks go where the
            # blocks are (a block that failed to load raises in that step).
            with client.as_current():
                distributed.wait(blocks)
        self.blocks = blocks

    def release(self):
        """Let the cluster forget the blocks."""
        if self.persist and self.blocks:
            self.client.cancel(self.blocks)
        self.blocks = None

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

    def _compute(self, futures):
        """Wait for the futures (or lazy tasks) and return their results."""
        if not self.persist:
            futures = self.client.compute(futures)
        try:
            return self.client.gather(futures)
        finally:
            self.client.cancel(futures)

    def _epoch(self, state, settings, epoch):
        """One epoch on the cluster; its loss total, or WorkerFailure."""
        try:
            if self.blocks is None:
                self._load()
            if settings.method == Method.BATCH:
                return self._batch_epoch(state, settings)
            return self._minibatch_epoch(state, settings)
        except _cluster_failures() as exc:
            raise WorkerFailure(
                f"epoch {epoch + 1} of the distributed fit could not be computed "
                f"({type(exc).__name__}: {exc}); the weights are those of the epoch "
                f"before (WorkerFailure.result holds the fit so far)") from exc

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
                loss_sum = self._epoch(state, settings, run.epoch)
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

    def _batch_epoch(self, state, settings):
        coef, intercept, _, progress, optimizer_state, average_coef, average_intercept = state
        weights = (coef.copy(), intercept[0])
        sums = self._compute([self._task(_block_chunk_sums, block, placement, *weights, settings)
                              for block, placement in zip(self.blocks, self._placement())])
        loss = _kernels.step_from_chunk_sums(
            np.concatenate(sums), self.shape[0], coef, intercept, progress, optimizer_state,
            average_coef, average_intercept, settings)
        return float(loss)

    def _minibatch_epoch(self, state, settings):
        # The weights, optimizer state, generator and running loss go from
        # block to block: each task waits for the one before.
        carried = tuple(a.copy() for a in state) + (0.0,)
        for block, placement in zip(self.blocks, self._placement()):
            carried = self._task(_block_group_updates, block, placement, carried, settings)
        (carried,) = self._compute([carried])
        for a, new in zip(state, carried):
            a[...] = new
        return carried[-1]


@functools.cache
def _cluster_failures():
    """The exceptions that mean the cluster could not compute a step (the
    names differ between distributed's versions)."""
    import distributed

    failures = (distributed.KilledWorker, distributed.comm.CommClosedError, OSError,
                TimeoutError)
    for name in ("FutureCancelledError", "FuturesCancelledError", "CancelledError",
                 "NoValidWorkerError", "ClosedClientError"):
        for module in (distributed, distributed.client, distributed.scheduler):
            if isinstance(getattr(module, name, None), type):
                failures += (getattr(module, name),)
    return failures


def _load_block(X, y, sample_weight, dtype, loss_code, loss, start, stop):
    """One block of rows, checked and converted (runs on a worker, once per block)."""
    where = f" (rows {start}:{stop})"
    X = check._to_float_array(X, "X", np.dtype(dtype))
    _check_finite(X, "X", start)
    y = check._to_float_array(y, "y", X.dtype)
    _check_finite(y, "y", start)
    spec = next(spec for spec in LOSSES.values() if spec.code == loss_code)
    y = check.check_labels(y, spec, loss)
    if sample_weight is None:
        sample_weight = np.empty(0, dtype=X.dtype)
    else:
        sample_weight = check._to_float_array(sample_weight, "sample_weight", X.dtype)
        _check_finite(sample_weight, "sample_weight", start)
        if (sample_weight < 0).any():
            raise ValueError(f"sample_weight must be >= 0{where}, got "
                             f"{sample_weight.min()}")
    return X, y, sample_weight


def _check_finite(values, name, start):
    """ValueError naming the array and the first row (of the whole array) with a
    NaN or infinity."""
    if not np.isfinite(values).all():
        where = np.argwhere(~np.isfinite(values))[0]
        at = f"row {start + where[0]}" + (f", column {where[1]}" if values.ndim == 2 else "")
        raise ValueError(f"{name} contains NaN or infinity (first at {at}); remove or "
                         f"impute those values first")


def _aligned(*arrays):
    """The arrays as the kernels need them: a worker's received frames can hold
    them at addresses that are not multiples of their item size (copied then)."""
    return [contiguous(a, a.dtype) for a in arrays]


def _block_chunk_sums(block, coef, intercept, settings):
    X, y, sample_weight, coef = _aligned(*block, coef)
    return _kernels.block_chunk_sums(X, y, sample_weight, coef, X.dtype.type(intercept),
                                     settings)


def _block_group_updates(block, carried, settings):
    """The block's mini-batch steps; the carried state is copied, never changed in
    place (Dask may rerun a task from the same inputs after a worker is lost)."""
    X, y, sample_weight = _aligned(*block)
    # (copies: new, aligned arrays)
    coef, intercept, rng_state, progress, optimizer_state, average_coef, average_intercept = (
        a.copy() for a in carried[:7])
    loss = _kernels.block_group_updates(X, y, sample_weight, coef, intercept, rng_state,
                                        progress, optimizer_state, average_coef,
                                        average_intercept, carried[7], settings)
    return coef, intercept, rng_state, progress, optimizer_state, average_coef, \
        average_intercept, loss
