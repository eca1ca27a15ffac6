"""fastgd.fit: validate once, choose a backend, run the epochs, build the FitResult."""
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import _validation as check
from . import reference
from . import _portable
from ._native import kernels as _kernels
from ._options import (LOSSES, OPTIMIZER_STATE_ROWS, Method, PROGRESS_EPOCHS, PROGRESS_STEPS,
                       Optimizer, Schedule, Settings, Status, initial_progress)

#: Without a callback or verbose output, epochs run in C in blocks: the first
#: one about _FIRST_BLOCK_WORK multiply-adds long (at most _MAX_BLOCK epochs,
#: so small fits like the tutorial's finish in one call), the later ones sized
#: from the measured time per epoch to last about _BLOCK_SECONDS.  Python
#: regains control between blocks, so Ctrl-C is seen within about that long
#: (plus one epoch), and a huge ``max_epochs`` never allocates a huge loss
#: buffer up front.
_FIRST_BLOCK_WORK = 1 << 24
_BLOCK_SECONDS = 0.2
_MAX_BLOCK = 1 << 16


class FitInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a fit; :attr:`result` holds what it had done.

    A subclass of :class:`KeyboardInterrupt`, so ``except KeyboardInterrupt``
    still catches it.  ``result`` is a :class:`FitResult` with the weights of
    the last completed epoch (``coef_init``/``intercept_init`` if none
    completed), the history of the completed epochs, and
    ``stop_reason="interrupted"``.  The compiled kernels look for signals
    every few milliseconds of work, so the interrupt arrives within
    milliseconds even in the middle of a long epoch.

    Examples
    --------
    >>> import fastgd
    >>> try:                                                # doctest: +SKIP
    ...     result = fastgd.fit(X, y, max_epochs=10**9)
    ... except fastgd.FitInterrupted as stop:
    ...     result = stop.result                            # keep what was done
    """

    def __init__(self, result):
        super().__init__(f"fit interrupted after {result.n_epochs} completed epochs; "
                         f"their weights are in this exception's .result")
        self.result = result


class DenseUpdateWarning(UserWarning):
    """A per-sample fit on sparse X updates every coefficient at every step.

    Plain SGD (no momentum, no l1; weight decay and averaging allowed) updates
    only the coefficients of a row's stored values.  The per-coordinate
    optimizers (adagrad, rmsprop, adam, adamw), momentum and l1 have no such
    lazy form yet: each step costs O(n_features).  Warned once per process.
    """


#: Below this many features DenseUpdateWarning is not given: the O(n_features)
#: step then costs about as much as reading a row.
DENSE_UPDATE_MIN_FEATURES = 1000

#: Whether DenseUpdateWarning was given in this process (it is given once).
_dense_update_warned = False


def _warn_dense_updates(X, settings, optimizer, stacklevel):
    """DenseUpdateWarning, once, when a per-sample step on wide sparse rows is O(n_features)."""
    global _dense_update_warned
    if (_dense_update_warned or not isinstance(X, check._sparse.CSRRows)
            or settings.method != Method.SGD):
        return
    if settings.optimizer == Optimizer.SGD and settings.momentum == 0 and settings.l1 == 0:
        return
    n_rows, n_features = X.shape
    stored_per_row = X.nnz / max(n_rows, 1)
    # Narrow or nearly dense rows: a step over every coefficient costs about as much.
    if n_features < DENSE_UPDATE_MIN_FEATURES or n_features < 8 * max(stored_per_row, 1.0):
        return
    _dense_update_warned = True
    what = ("l1" if settings.optimizer == Optimizer.SGD and settings.momentum == 0 else
            "momentum" if settings.optimizer == Optimizer.SGD else f"optimizer={optimizer!r}")
    warnings.warn(
        f"{what} on sparse X updates all {n_features:,} coefficients at every step, against "
        f"about {stored_per_row:.0f} stored values per row: each step costs O(n_features). "
        f"Plain optimizer='sgd' (weight_decay and average allowed) updates only a row's "
        f"stored columns; method='minibatch' or 'batch' makes fewer steps. (Warned once.)",
        DenseUpdateWarning, stacklevel=stacklevel)


class DivergenceWarning(RuntimeWarning):
    """A fit stopped because its loss or weights stopped being finite.

    The usual cure is a smaller learning rate (the tutorial's closing question).
    """


#: Why a fit stopped, by the runner's status (see FitResult.stop_reason).
_STOP_REASONS = {Status.RAN_ALL: "max_epochs", Status.CONVERGED: "stop_loss",
                 Status.DIVERGED: "diverged"}


@dataclass(eq=False)
class FitResult:
    """The outcome of :func:`fastgd.fit`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Fitted coefficients (after a divergence: those of the last finite
        epoch), in the dtype the fit ran in: float32 for float32 X, else
        float64.  With ``average``, the averaged coefficients once averaging
        has started (the last step's are in ``unaveraged_coef``).
    intercept : float
        Fitted intercept (``intercept_init`` when ``fit_intercept=False``).
    loss_history : ndarray of shape (n_epochs,)
        Mean per-sample training loss of each epoch run (weighted by
        ``sample_weight``), each sample's loss taken at the weights used for
        its own gradient.  After a divergence its last entry is the
        non-finite (or first overflowing) epoch's loss.
    n_epochs : int
        Number of epochs run, including a diverged one.
    converged : bool
        True when the fit stopped on ``stop_loss``, on a plateau (``tol``,
        early stopping) or at the adaptive schedule's smallest rate.
    diverged : bool
        True when the fit stopped at an epoch whose loss or weights were not
        finite.
    stopped_by_callback : bool
        True when the callback returned ``False``.
    method, backend : str
        What ran.
    random_state : int or None
        The seed of the shuffle generator and the validation split (drawn at
        random when needed and ``random_state=None``); pass it back to
        reproduce the fit.  None when nothing random was used and no seed was
        given.
    lr_history : ndarray of shape (n_epochs,)
        The learning rate in effect at each epoch's first step.
    validation_loss_history : ndarray of shape (n_epochs,) or None
        With ``early_stopping=True``, the mean loss on the held-out rows after
        each epoch (NaN for an epoch whose training loss or weights were not
        finite; the non-finite value itself when the validation loss was the
        one that overflowed); else None.
    stop_reason : str
        ``"max_epochs"``, ``"stop_loss"``, ``"tol"`` (training loss
        plateau), ``"early_stopping"`` (validation loss plateau),
        ``"lr_floor"`` (the adaptive schedule's rate fell to 1e-6),
        ``"diverged"``, ``"callback"``, ``"interrupted"`` (on
        :attr:`FitInterrupted.result`) or ``"failed"`` (on
        ``fastgd.dask.WorkerFailure.result``).
    loss, optimizer, schedule : str
        The loss, optimizer and schedule used.
    """

    coef: np.ndarray
    intercept: float
    loss_history: np.ndarray
    n_epochs: int
    converged: bool
    diverged: bool
    stopped_by_callback: bool = False
    method: str = "sgd"
    backend: str = "cython"
    random_state: Optional[int] = field(default=None, repr=False)
    lr_history: Optional[np.ndarray] = field(default=None, repr=False)
    validation_loss_history: Optional[np.ndarray] = field(default=None, repr=False)
    stop_reason: str = "max_epochs"
    loss: str = "squared"
    optimizer: str = "sgd"
    schedule: str = "constant"
    #: The weights after the last step, without averaging (the same as
    #: ``coef`` and ``intercept`` unless ``average`` is on and has started).
    unaveraged_coef: Optional[np.ndarray] = field(default=None, repr=False)
    unaveraged_intercept: Optional[float] = field(default=None, repr=False)
    #: The keyword arguments of :func:`fit` that define this fit (the
    #: settings; not the data, the initial weights, the backend or callbacks).
    params: dict = field(default_factory=dict, repr=False)
    #: For a model saved by ``fastgd fit --degree/--standardize`` and loaded with
    #: :func:`fastgd.load`: the powers and z-scores it applies to the raw feature
    #: columns it is given (see :mod:`fastgd._preprocessing`); None otherwise.
    preprocessing: Optional[object] = field(default=None, repr=False)
    #: The run's state after its last epoch (optimizer state, progress counters,
    #: generator state, sample order), for continuing it: see the estimators'
    #: partial_fit and warm_start.
    _state: Optional[tuple] = field(default=None, repr=False)

    def distance_to(self, solution):
        """Euclidean distance from ``(coef, intercept)`` to another solution's.

        Parameters
        ----------
        solution : ExactSolution or FitResult
            Anything with ``coef`` and ``intercept``, typically
            :func:`fastgd.exact_solution` of the same data.

        Returns
        -------
        float

        Examples
        --------
        >>> import fastgd
        >>> x = [0.01 * i for i in range(100)]
        >>> y = [2 * v**2 + 3 * v + 4 for v in x]
        >>> X = fastgd.polynomial_features(x, 2)
        >>> far = fastgd.fit(X, y, max_epochs=5).distance_to(fastgd.exact_solution(X, y))
        >>> near = fastgd.fit(X, y, max_epochs=5000).distance_to(fastgd.exact_solution(X, y))
        >>> bool(near < far)
        True
        """
        coef = np.asarray(solution.coef, dtype=np.float64)
        if coef.shape != self.coef.shape:
            raise ValueError(f"solution has {coef.shape[0] if coef.ndim else 0} coefficients, "
                             f"this fit has {self.coef.shape[0]}")
        difference = np.append(self.coef.astype(np.float64) - coef,
                               self.intercept - float(solution.intercept))
        return _portable.norm(difference)

    def save(self, path):
        """Write this result to ``path`` as a ``.npz`` file (no pickle): see :func:`fastgd.load`.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write; ``.npz`` is appended by NumPy when missing.
        """
        from ._persistence import save_result

        save_result(self, path)

    def decision_function(self, X):
        """The linear predictor ``X @ coef + intercept``, in the contract's summation order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a dask array

        Returns
        -------
        ndarray of shape (n_samples,)
            A dask array (computed block by block, lazily) for a dask array X.
        """
        if _is_dask_array(X):
            return _blockwise(X, self.decision_function, self.coef.dtype)
        if self.preprocessing is not None:
            X = self.preprocessing.apply(X)
        X = check.check_X(X, n_features=self.coef.shape[0], dtype=self.coef.dtype)
        out = np.empty(X.shape[0], dtype=self.coef.dtype)
        _kernels.predict(X, self.coef, self.intercept, out)
        return out

    def predict(self, X):
        """Predictions: the linear predictor for regression losses, labels for classifiers.

        For ``loss="log"`` the predicted label is 1 where the predictor is
        > 0, else 0; for ``"hinge"`` and ``"modified_huber"`` it is 1 or -1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a dask array

        Returns
        -------
        ndarray of shape (n_samples,)
            A dask array (computed block by block, lazily) for a dask array X.

        Examples
        --------
        >>> import fastgd
        >>> result = fastgd.fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0],
        ...                     method="batch", max_epochs=2000)
        >>> result.predict([[3.0]]).round(3).tolist()
        [7.0]
        """
        if _is_dask_array(X):
            return _blockwise(X, self.predict, self.coef.dtype)
        scores = self.decision_function(X)
        labels = LOSSES[self.loss].labels
        if labels is None:
            return scores
        low, high = labels[0]
        return np.where(scores > 0, high, low).astype(scores.dtype)

    def predict_proba(self, X):
        """P(label 1) under the log loss: ``1 / (1 + exp(-(X @ coef + intercept)))``.

        Computed as the log loss computes its sigmoid, with fastgd's own exp
        (the same bits on every machine; see :mod:`fastgd.reference`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a dask array

        Returns
        -------
        ndarray of shape (n_samples,)
            A dask array (computed block by block, lazily) for a dask array X.
        """
        if self.loss != "log":
            raise ValueError(f"predict_proba needs loss='log'; this fit used loss={self.loss!r}")
        if _is_dask_array(X):
            return _blockwise(X, self.predict_proba, np.float64)
        return _portable.sigmoid(self.decision_function(X))


def _is_dask_array(X):
    # (without importing dask)
    return type(X).__module__.startswith("dask.array") and hasattr(X, "map_blocks")


def _blockwise(X, method, dtype):
    """``method`` applied to each row block of the dask array X: a lazy dask array."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    return X.rechunk({1: -1}).map_blocks(method, drop_axis=1, dtype=dtype,
                                         meta=np.empty(0, dtype=dtype))


class RunFailure(RuntimeError):
    """An external runner could not compute an epoch (see ``fastgd.dask.WorkerFailure``).

    :func:`fit` sets :attr:`result`: the fit of the epochs completed before
    it (``stop_reason="failed"``), as :class:`FitInterrupted` does for Ctrl-C.
    """

    result = None


class ExternalRows:
    """Training rows held elsewhere, with a runner of their own (``fastgd.dask``).

    Passed to :func:`fit` as X (y and sample_weight None): it has ``shape``,
    ``dtype`` and ``size`` like an array and checks its rows, targets and
    weights itself; ``run_epochs`` has the epoch runners' signature and
    contract, for X, y and sample_weight placeholders, and raises
    :class:`RunFailure` (leaving the last completed epoch's state) when an
    epoch cannot be computed.
    """

    shape = (0, 0)
    dtype = np.dtype(np.float64)
    #: The FitResult's backend.
    backend = "cython"
    #: Frames between the user's call and :func:`fit` (for warnings' stacklevel).
    caller_depth = 1

    @property
    def size(self):
        return self.shape[0] * self.shape[1]

    def run_epochs(self, *state_and_outputs):
        raise NotImplementedError


#: The epoch runners of the two backends share one signature and one contract.
_RUNNERS = {"cython": _kernels.run_epochs, "python": reference.run_epochs}


def _hint_unknown_arguments(func):
    """``func`` with a TypeError that names fastgd's argument for scikit-learn's and
    torch's (``eta0`` -> ``lr``, ``max_iter`` -> ``max_epochs``, ...)."""
    import functools
    import inspect

    from ._options import unknown_argument_message

    known = frozenset(inspect.signature(func).parameters)

    @functools.wraps(func)
    def checked(*args, **kwargs):
        if not known.issuperset(kwargs):
            name = next(k for k in kwargs if k not in known)
            raise TypeError(unknown_argument_message(func.__name__, name, known))
        return func(*args, **kwargs)

    return checked


@_hint_unknown_arguments
def fit(X, y, *, method="sgd", lr=0.1, max_epochs=1000, stop_loss=None, batch_size=32,
        reduction="mean", coef_init=None, intercept_init=0.0, fit_intercept=True,
        shuffle=False, random_state=None, backend="cython", verbose=False, callback=None,
        n_threads=None, loss="squared", loss_params=None, optimizer="sgd",
        optimizer_params=None, weight_decay=None, l1=0.0, schedule="constant",
        schedule_params=None, tol=None, n_iter_no_change=5, early_stopping=False,
        validation_fraction=0.1, sample_weight=None, progress=False, average=False,
        _resume=None):
    """Fit ``y ~ X @ coef + intercept`` by gradient descent.

    The default loss is the squared error ``(p - y)**2`` of the tutorial
    fastgd grew from; its gradient is ``2 * (p - y) * x``.  Both backends
    follow the arithmetic contract in :mod:`fastgd.reference` and return
    identical bits, for every loss, optimizer and schedule.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real-valued features.  For a polynomial in one variable use
        :func:`polynomial_features`.  float32 data is fitted in float32
        arithmetic (weights, predictions, gradients and optimizer state; the
        epoch loss is summed in float64) and is used as it is when
        C-contiguous; anything else is converted once to a C-contiguous
        float64 copy.  A scipy.sparse matrix or array is fitted as CSR rows
        (canonical CSR without a copy; other formats converted once), with
        the same result as its dense copy, except that per-sample plain SGD
        with ``weight_decay`` or ``average`` rounds differently (it costs
        O(stored values) per step there); see the README's "Sparse input".
    y : array-like of shape (n_samples,)
        Targets: real values for the regression losses, labels for the
        classification losses (``"log"``: {0, 1}; ``"hinge"`` and
        ``"modified_huber"``: {-1, 1} or {0, 1}, 0 meaning -1).
    method : {"sgd", "minibatch", "batch"}, default="sgd"
        ``"sgd"`` updates after each sample, ``"minibatch"`` after each
        ``batch_size`` samples (the last batch may be smaller), ``"batch"``
        once per epoch from all samples.  Each update is one optimizer step.
    lr : float, default=0.1
        Learning rate, finite and > 0 (the schedule's starting rate).
    max_epochs : int, default=1000
        Upper bound on the number of passes over the data (>= 1).
    stop_loss : float or None, default=None
        Stop after the first epoch whose mean training loss is below this value.
    batch_size : int, default=32
        Samples per update for ``method="minibatch"`` (>= 1; a value above
        n_samples means one batch).
    reduction : {"mean", "sum"}, default="mean"
        A batch's gradient is the mean or the sum (the tutorial's
        "accumulated") of its samples' gradients.  Per-sample SGD is the same
        either way.
    coef_init : array-like of shape (n_features,), default=None
        Starting coefficients (zeros when None).  Never modified.
    intercept_init : float, default=0.0
        Starting intercept; kept fixed when ``fit_intercept=False``.
    fit_intercept : bool, default=True
        Whether the intercept is learned.
    shuffle : bool, default=False
        Visit the samples in a new seeded permutation each epoch.
    random_state : int or None, default=None
        Seed (0 <= seed < 2**64) of the shuffle generator and of the
        early-stopping split.  With None a seed is drawn when needed and
        recorded in :attr:`FitResult.random_state`.
    backend : {"cython", "python"}, default="cython"
        ``"cython"`` runs the compiled kernels, ``"python"`` the reference.
    verbose : bool, default=False
        Print ``epoch N, loss L`` after each epoch (epochs count from 1),
        with the rate when a schedule changes it and the validation loss with
        early stopping.
    callback : callable or None, default=None
        Called as ``callback(epoch, loss, coef, intercept)`` after each epoch
        (epoch counts from 1; ``coef`` is a copy).  Returning ``False`` stops
        the fit.  With neither callback nor verbose output, the whole epoch
        loop runs in C without returning to Python.
    n_threads : int or None, default=None
        Threads that share the rows of one mini-batch or full batch (the
        work is split in chunks of 256 rows, and small batches use one).  None
        means OpenMP's default: ``OMP_NUM_THREADS`` if set, else every core
        (threadpoolctl's limits apply too).  The result is the same bits for
        any value; per-sample SGD always runs on one thread.
    loss : str, default="squared"
        ``"squared"`` (``(p - y)**2``), ``"huber"``, ``"epsilon_insensitive"``,
        ``"log"`` (logistic regression), ``"hinge"`` (linear SVM) or
        ``"modified_huber"``; the formulas are in :mod:`fastgd.reference`.
    loss_params : dict or None, default=None
        ``{"delta": 1.0}`` for huber, ``{"epsilon": 0.1}`` for
        epsilon_insensitive (the defaults shown); the other losses take none.
    optimizer : str, default="sgd"
        ``"sgd"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"`` or ``"adamw"``,
        with torch.optim's update rules (spelled out in
        :func:`fastgd.reference.update_coordinate`).  A step is one update.
    optimizer_params : dict or None, default=None
        The optimizer's parameters, with torch.optim's names and defaults:

        ========  ===============================================================
        sgd       ``momentum=0``, ``dampening=0``, ``nesterov=False``
        adagrad   ``lr_decay=0``, ``initial_accumulator_value=0``, ``eps=1e-10``
        rmsprop   ``alpha=0.99``, ``eps=1e-8``, ``momentum=0``, ``centered=False``
        adam      ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``amsgrad=False``
        adamw     as adam
        ========  ===============================================================

        A key the optimizer does not take is an error.
    weight_decay : float or None, default=None
        L2 penalty: adds ``weight_decay * w`` to the gradient (torch's
        coupled decay), or for adamw multiplies w by ``1 - lr_t * weight_decay``
        (decoupled).  None means torch's default: 0.01 for adamw, else 0.
        Never applied to the intercept.
    l1 : float, default=0.0
        L1 penalty, applied after each step as a proximal step: every
        coefficient moves ``lr_t * l1`` towards zero and stops at exactly 0.
        With ``weight_decay`` too, this is the elastic net.  Never applied to
        the intercept.
    schedule : str, default="constant"
        How the rate changes: ``"constant"``; ``"invscaling"``
        (``lr / t**power_t``, t the step from 1); ``"exponential"``
        (``lr * gamma**epoch``); ``"step"`` (``lr * gamma**(epoch // step_size)``);
        ``"cosine"`` (from ``lr`` towards ``lr_min`` over ``max_epochs``);
        ``"adaptive"`` (scikit-learn's: divided by 5 after
        ``n_iter_no_change`` epochs without improvement by ``tol``; the fit
        stops once it is at most 1e-6).  Epochs count from 0.
    schedule_params : dict or None, default=None
        ``power_t`` (invscaling, default 0.25), ``gamma`` (exponential,
        required; step, default 0.1), ``step_size`` (step, required),
        ``lr_min`` (cosine, default 0).
    tol : float or None, default=None
        Stop when the monitored loss (the training loss, or the validation
        loss with early stopping) has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs in a row.  None: no such stop, except
        with early stopping or the adaptive schedule, where None means 0.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping (or dividing the adaptive
        rate).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (a seeded random split;
        see ``random_state``), record their mean loss after each epoch in
        :attr:`FitResult.validation_loss_history`, and monitor it for ``tol``.
        The returned weights are those of the last epoch.
    validation_fraction : float, default=0.1
        Share of rows held out with early stopping, strictly between 0 and 1
        (rounded up to whole rows; at least one row must remain for training).
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Non-negative weights: each sample's loss and gradient are multiplied
        by its weight.  The mean loss is the weighted sum divided by the
        number of rows.
    average : bool or int, default=False
        Averaged SGD (scikit-learn's ``average``): ``True`` averages the
        weights after every step from the first, an int k >= 1 from the k-th
        step on.  The averages are what :attr:`FitResult.coef` and
        ``intercept`` report once averaging has started; the last step's
        weights stay in :attr:`FitResult.unaveraged_coef` and
        ``unaveraged_intercept``.  Works with every method, loss and
        optimizer (a step is one update; the formulas are in
        :mod:`fastgd.reference`).  Early stopping monitors the averaged
        weights.
    progress : bool, default=False
        Show a tqdm progress bar of the epochs with the latest epoch loss,
        updated between the blocks of epochs the kernels run (about five
        times a second), so the epochs still run in C.  Needs tqdm
        (``pip install tqdm``, or the ``progress`` extra).

    Returns
    -------
    FitResult

    Warns
    -----
    DivergenceWarning
        When an epoch's loss or weights are not finite.  The fit then stops
        and returns the weights of the last finite epoch with
        ``diverged=True``.

    Examples
    --------
    The gradient-descent tutorial's fit of ``y = 2x^2 + 3x + 4``:

    >>> import fastgd
    >>> x = [0.01 * i for i in range(100)]
    >>> y = [2 * v**2 + 3 * v + 4 for v in x]
    >>> result = fastgd.fit(fastgd.polynomial_features(x, 2), y, lr=0.1,
    ...                     stop_loss=1e-4, coef_init=[1, 0], intercept_init=-1)
    >>> result.n_epochs, result.converged
    (50, True)
    >>> result.coef.tolist(), result.intercept
    ([2.188697138503384, 2.753474684969485], 4.060020789555843)

    The same data with Adam, a cosine schedule and mini-batches:

    >>> result = fastgd.fit(fastgd.polynomial_features(x, 2), y, method="minibatch",
    ...                     batch_size=10, optimizer="adam", lr=0.05,
    ...                     schedule="cosine", max_epochs=300, random_state=0)
    >>> bool(result.loss_history[-1] < 1e-3)
    True

    Sparse rows give the fit of their dense copy:

    >>> import numpy as np, scipy.sparse as sp
    >>> Xs = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]))
    >>> sparse = fastgd.fit(Xs, [1.0, 2.0, 3.0], lr=0.05, max_epochs=20)
    >>> dense = fastgd.fit(Xs.toarray(), [1.0, 2.0, 3.0], lr=0.05, max_epochs=20)
    >>> bool((sparse.coef == dense.coef).all())
    True

    Averaged SGD reports the mean of the weights after each step:

    >>> averaged = fastgd.fit(Xs, [1.0, 2.0, 3.0], lr=0.05, max_epochs=20, average=True)
    >>> bool((averaged.coef != averaged.unaveraged_coef).any())
    True

    Logistic regression on labels {0, 1}:

    >>> X = [[-2.0], [-1.0], [1.0], [2.0]]
    >>> clf = fastgd.fit(X, [0, 0, 1, 1], loss="log", method="batch", lr=0.5)
    >>> clf.predict([[-3.0], [3.0]]).tolist()
    [0.0, 1.0]
    """
    # X and y are not scanned for NaN or infinity up front: that scan costs a
    # full read of X, as much as a whole batch epoch.  It is not needed for
    # safety, and its error is not lost: every method visits every row in the
    # first epoch, and with a loss that propagates non-finite values (squared,
    # huber, log) a non-finite x or y makes the first epoch's loss not finite
    # (inf * 0 is NaN, inf + -inf is NaN, and no later add brings a sum back).
    # Only then is the data scanned, and the ValueError raised.  Losses that
    # are flat somewhere can hide such a value (a NaN target under
    # epsilon_insensitive gives a loss and gradient of 0), so for them the
    # scan is done first.
    external = isinstance(X, ExternalRows)  # fastgd.dask: checks its rows where they are
    if not external:
        X = check.check_X(X, finite=False)
    n_samples, n_features = X.shape
    loss_spec, loss_param = check.check_loss(loss, loss_params)
    if not external:
        scan_first = not loss_spec.propagates_nonfinite
        y = check.check_y(y, n_samples, finite=scan_first, dtype=X.dtype)
        if scan_first:
            check.check_finite(X, "X")
        y = check.check_labels(y, loss_spec, loss)
    lr = check.check_real(lr, "lr", positive=True)
    max_epochs = check.check_int(max_epochs, "max_epochs", minimum=1)
    early_stopping = check.check_bool(early_stopping, "early_stopping")
    components = {}
    if not (optimizer == "sgd" and optimizer_params is None and weight_decay is None
            and l1 == 0.0):
        components.update(check.check_optimizer(optimizer, optimizer_params, weight_decay, l1))
    if not (schedule == "constant" and schedule_params is None):
        components.update(check.check_schedule(schedule, schedule_params, lr))
    settings = Settings(
        method=check.check_method(method),
        lr=lr,
        batch_size=check.check_int(batch_size, "batch_size", minimum=1, maximum=None),
        mean_reduction=check.check_reduction(reduction) == "mean",
        fit_intercept=check.check_bool(fit_intercept, "fit_intercept"),
        shuffle=check.check_bool(shuffle, "shuffle"),
        stop_loss=(None if stop_loss is None else
                   check.check_real(stop_loss, "stop_loss", nonnegative=True, allow_inf=True)),
        n_threads=check.check_n_threads(n_threads, default=_kernels.default_threads()),
        loss=loss_spec.code,
        loss_param=loss_param,
        max_epochs=max_epochs,
        tol=None if tol is None else check.check_real(tol, "tol", nonnegative=True),
        n_iter_no_change=check.check_int(n_iter_no_change, "n_iter_no_change", minimum=1),
        early_stopping=early_stopping,
        average=check.check_average(average),
        **components,
    )
    if not external:
        _warn_dense_updates(X, settings, optimizer, stacklevel=4)
    coef = check.check_coef_init(coef_init, n_features, X.dtype)
    intercept = check.check_1d([check.check_real(intercept_init, "intercept_init")],
                               "intercept_init", X.dtype)
    if not external:
        sample_weight = check.check_sample_weight(sample_weight, n_samples, X.dtype)
    if X.dtype == np.float32:
        check.check_float32_rate(settings.lr)
    backend = check.check_backend(backend)
    seed = check.check_random_state(random_state, needed=settings.shuffle or early_stopping)
    verbose = check.check_bool(verbose, "verbose")
    callback = check.check_callback(callback)
    progress = check.check_bool(progress, "progress")

    if early_stopping:
        fraction = check.check_fraction(validation_fraction, "validation_fraction")
        order, validation_rows = _validation_split(n_samples, fraction, seed)
    else:
        order = np.arange(n_samples, dtype=np.intp)
        validation_rows = np.empty(0, dtype=np.intp)
    if external:
        run_epochs, backend = X.run_epochs, X.backend
    else:
        run_epochs = _RUNNERS[backend]
    state = run_state(X, y, settings, coef=coef, intercept=intercept,
                      sample_weight=sample_weight, order=order,
                      validation_rows=validation_rows, seed=seed)
    if _resume is not None:  # continue a run: its optimizer, counters, generator, averages
        for target, saved in zip((state[9], state[8], state[7], state[10], state[11]),
                                 _resume[:3] + _resume[4:6]):
            if target.shape != saved.shape:
                raise ValueError("the run to continue has other shapes (features or "
                                 "average changed?)")
            target[:] = saved
        # Shuffling permutes the previous epoch's order: on the same training
        # rows, continue from the saved one (new rows start from their own order).
        saved_order = _resume[3]
        if saved_order.shape == order.shape and np.array_equal(np.sort(saved_order), order):
            order[:] = saved_order
    params = dict(
        method=method, lr=settings.lr, max_epochs=max_epochs, stop_loss=settings.stop_loss,
        batch_size=settings.batch_size, reduction=reduction,
        fit_intercept=settings.fit_intercept, shuffle=settings.shuffle, random_state=seed,
        loss=loss, loss_params=_plain(loss_params), optimizer=optimizer,
        optimizer_params=_plain(optimizer_params), weight_decay=weight_decay, l1=l1,
        schedule=schedule, schedule_params=_plain(schedule_params), tol=settings.tol,
        n_iter_no_change=settings.n_iter_no_change, early_stopping=early_stopping,
        validation_fraction=validation_fraction, average=average)
    per_epoch = verbose or callback is not None
    show_rate = settings.schedule != Schedule.CONSTANT

    # Each block's history: rows of one array (loss, rate, validation loss),
    # one allocation per block.
    histories = []
    n_epochs = 0
    status = Status.RAN_ALL
    stopped_by_callback = False
    # (External rows run their epochs in Python anyway: one epoch per block
    # keeps the progress bar moving.)
    block = 1 if per_epoch or external else max(
        1, min(_MAX_BLOCK, _FIRST_BLOCK_WORK // X.size))
    bar = _progress_bar(max_epochs) if progress else None
    try:
        while n_epochs < max_epochs:
            size = min(block, max_epochs - n_epochs)
            history = np.empty((3, size))
            loss_block, rate_block, validation_block = history
            started = time.perf_counter()
            try:
                n_run, status = run_epochs(*state, loss_block, rate_block, validation_block,
                                           settings)
            except (KeyboardInterrupt, RunFailure) as stop:
                # Every runner leaves the weights of the last completed epoch and
                # counts the completed epochs in the progress record.
                completed = int(state[8][PROGRESS_EPOCHS]) - n_epochs
                histories.append(history[:, :completed])
                n_epochs += completed
                reason = "interrupted" if isinstance(stop, KeyboardInterrupt) else "failed"
                result = _result(histories, n_epochs, Status.RAN_ALL, reason, coef,
                                 intercept, backend, seed, params, state)
                if isinstance(stop, RunFailure):
                    stop.result = result
                    raise
                raise FitInterrupted(result) from None
            seconds_per_epoch = (time.perf_counter() - started) / max(n_run, 1)
            histories.append(history[:, :n_run])
            if bar is not None:
                bar.update(n_run)
                if n_run:
                    bar.set_postfix(loss=f"{loss_block[n_run - 1]:.4g}", refresh=False)
            if n_epochs == 0 and status == Status.DIVERGED and n_run == 1 and not external:
                check.check_finite(X, "X")
                check.check_finite(y, "y")
            n_epochs += n_run
            if per_epoch:
                loss_value = float(loss_block[0])
                if verbose:
                    line = f"epoch {n_epochs}, loss {loss_value:.6g}"
                    if early_stopping:
                        line += f", validation loss {validation_block[0]:.6g}"
                    if show_rate:
                        line += f", lr {rate_block[0]:.6g}"
                    print(line, flush=True)
                if callback is not None and status != Status.DIVERGED:
                    if callback(n_epochs, loss_value, coef.copy(), float(intercept[0])) is False:
                        stopped_by_callback = True
                        break
            elif not external:
                block = max(1, min(_MAX_BLOCK, int(_BLOCK_SECONDS / max(seconds_per_epoch, 1e-9))))
            if status != Status.RAN_ALL:
                break
    finally:
        if bar is not None:
            bar.close()

    if status == Status.DIVERGED:
        kept = f"epoch {n_epochs - 1}" if n_epochs > 1 else "the start (coef_init, intercept_init)"
        warnings.warn(
            f"fit diverged at epoch {n_epochs} (method={method!r}, optimizer={optimizer!r}, "
            f"lr={settings.lr:g}): its loss or weights were not finite; returning the "
            f"weights of {kept}. Try a smaller lr, or scale the inputs (e.g. "
            f"standardize the columns of X).", DivergenceWarning,
            # +1 for the frame of _hint_unknown_arguments around fit
            stacklevel=3 + X.caller_depth if external else 3)
    if stopped_by_callback:
        stop_reason = "callback"
    elif status == Status.NO_IMPROVEMENT:
        stop_reason = ("lr_floor" if settings.schedule == Schedule.ADAPTIVE else
                       "early_stopping" if early_stopping else "tol")
    else:
        stop_reason = _STOP_REASONS[status]
    return _result(histories, n_epochs, status, stop_reason, coef, intercept, backend, seed,
                   params, state)


def _result(histories, n_epochs, status, stop_reason, coef, intercept, backend, seed, params,
            state):
    """The FitResult of a finished (or interrupted) fit from its blocks' histories."""
    if not histories:
        histories = [np.empty((3, 0))]
    loss_history, lr_history, validation_history = (
        histories[0].copy() if len(histories) == 1 else np.concatenate(histories, axis=1))
    # Once averaging has started (scikit-learn's rule), the averages are reported.
    average_coef, average_intercept = state[10], state[11]
    start = check.check_average(params["average"])
    averaged = start > 0 and state[8][PROGRESS_STEPS] >= start
    reported_coef, reported_intercept = ((average_coef.copy(), float(average_intercept[0]))
                                         if averaged else (coef, float(intercept[0])))
    return FitResult(
        coef=reported_coef, intercept=reported_intercept, loss_history=loss_history,
        unaveraged_coef=coef, unaveraged_intercept=float(intercept[0]),
        n_epochs=n_epochs, converged=status in (Status.CONVERGED, Status.NO_IMPROVEMENT),
        diverged=status == Status.DIVERGED, stopped_by_callback=stop_reason == "callback",
        method=params["method"], backend=backend, random_state=seed, lr_history=lr_history,
        validation_loss_history=validation_history if params["early_stopping"] else None,
        stop_reason=stop_reason, loss=params["loss"], optimizer=params["optimizer"],
        schedule=params["schedule"], params=params,
        _state=(state[9], state[8], state[7], state[5], state[10], state[11]))


def run_state(X, y, settings, *, coef=None, intercept=0.0, sample_weight=None, order=None,
              validation_rows=None, seed=0):
    """The inputs and mutable state of an epoch runner, in its argument order.

    (X, y, sample_weight, coef, intercept, order, validation_rows, rng_state,
    progress, optimizer_state, average_coef, average_intercept)

    A runner (``_kernels.run_epochs`` or ``reference.run_epochs``) is called
    as ``run_epochs(*state, loss_out, lr_out, validation_out, settings)``;
    calling it again continues the same fit.  ``X`` and ``y`` must already be
    validated; None means zeros for ``coef``, no weights, all rows in order,
    no validation rows.
    """
    n_samples, n_features = X.shape
    dtype = X.dtype
    optimizer_state = np.zeros((OPTIMIZER_STATE_ROWS, n_features + 1), dtype=dtype)
    if settings.optimizer == Optimizer.ADAGRAD:
        optimizer_state[0] = settings.initial_accumulator_value
    return (
        X, y,
        np.empty(0, dtype=dtype) if sample_weight is None else sample_weight,
        np.zeros(n_features, dtype=dtype) if coef is None else coef,
        intercept if isinstance(intercept, np.ndarray) else np.array([intercept], dtype=dtype),
        np.arange(n_samples, dtype=np.intp) if order is None else order,
        np.empty(0, dtype=np.intp) if validation_rows is None else validation_rows,
        np.array([seed or 0], dtype=np.uint64),
        np.array(initial_progress(settings.lr)),
        optimizer_state,
        np.zeros(n_features if settings.average else 0, dtype=dtype),
        np.zeros(1 if settings.average else 0, dtype=dtype),
    )


def _progress_bar(max_epochs):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install tqdm "
                          "(or the progress extra: pip install \".[progress]\" from a "
                          "clone of fastgd)") from None
    return tqdm(total=max_epochs, unit="epoch", leave=True)


def _plain(params):
    """A component parameter dict as plain Python values (tuples as lists), or None."""
    if params is None:
        return None
    return {str(key): (list(value) if isinstance(value, tuple) else value)
            for key, value in params.items()}


def _validation_split(n_samples, fraction, seed):
    """Training and validation rows (each sorted) for early stopping.

    The validation rows are the first ``ceil(fraction * n)`` of NumPy's
    seeded permutation (``numpy.random.default_rng(seed).permutation(n)``),
    the same for both backends.
    """
    n_validation = math.ceil(fraction * n_samples)
    if n_validation >= n_samples:
        raise ValueError(f"validation_fraction={fraction} of {n_samples} samples leaves no "
                         f"rows to train on; use more data or a smaller fraction")
    permutation = np.random.default_rng(seed).permutation(n_samples)
    validation = np.sort(permutation[:n_validation]).astype(np.intp)
    train = np.sort(permutation[n_validation:]).astype(np.intp)
    return train, validation


def polynomial_features(x, degree):
    """Powers of a 1-D ``x`` as columns ``x**degree, ..., x**1``, highest first.

    The column order is that of :func:`numpy.polyfit`, so with ``degree=2`` the
    coefficients of a fit pair with ``x**2`` and ``x`` as the tutorial's ``w1`` and
    ``w2``; its ``w3`` is the intercept.

    The powers are built by repeated multiplication, one rounding each, in a
    fixed order: ``x**1 = x``, ``x**2 = x * x``, ``x**3 = (x * x) * x``, and
    in general ``x**k = x**(k-1) * x``.  Every value is therefore the same
    bits on any machine: NumPy's ``power`` is not used, because on some CPUs
    (x86-64 with AVX-512) it runs a SIMD ``pow`` that is not correctly
    rounded, and ``x * x`` and ``x ** 2`` then differ in the last bit.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Real, finite values.
    degree : int
        Highest power, >= 1.

    Returns
    -------
    ndarray of shape (n_samples, degree), float64

    Examples
    --------
    >>> import fastgd
    >>> fastgd.polynomial_features([1.0, 2.0, 3.0], 2)
    array([[1., 1.],
           [4., 2.],
           [9., 3.]])
    """
    arr = check.check_1d(x, "x")
    degree = check.check_int(degree, "degree", minimum=1)
    arr = arr.astype(np.float64, copy=False)
    features = np.empty((arr.shape[0], degree), dtype=np.float64)
    power = arr
    features[:, degree - 1] = power
    for k in range(2, degree + 1):
        # One correctly rounded multiply per element (NumPy's multiply is
        # exact-rounded on every CPU, SIMD or not): x**k = x**(k-1) * x.
        power = power * arr
        features[:, degree - k] = power
    return features
