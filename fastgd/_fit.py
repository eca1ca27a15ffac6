"""fastgd.fit: validate once, choose a backend, run the epochs, build the FitResult."""
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import _validation as check
from . import reference
from ._native import kernels as _kernels
from ._options import Method, Settings, Status

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


class DivergenceWarning(RuntimeWarning):
    """A fit stopped because its loss or weights stopped being finite.

    The usual cure is a smaller learning rate (the tutorial's closing question).
    """


@dataclass(eq=False)
class FitResult:
    """The outcome of :func:`fastgd.fit`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Fitted coefficients (after a divergence: those of the last finite
        epoch), in the dtype the fit ran in: float32 for float32 X, else
        float64.
    intercept : float
        Fitted intercept (``intercept_init`` when ``fit_intercept=False``).
    loss_history : ndarray of shape (n_epochs,)
        Mean per-sample squared error of each epoch run, each sample's loss
        taken at the weights used for its own gradient.  After a divergence its
        last entry is the non-finite (or first overflowing) epoch's loss.
    n_epochs : int
        Number of epochs run, including a diverged one.
    converged : bool
        True when an epoch's mean loss fell below ``stop_loss``.
    diverged : bool
        True when the fit stopped at an epoch whose loss or weights were not
        finite.
    stopped_by_callback : bool
        True when the callback returned ``False``.
    method, backend : str
        What ran.
    random_state : int or None
        The seed of the shuffle generator (drawn at random when
        ``shuffle=True`` and ``random_state=None``); pass it back to reproduce
        the fit.  None when nothing was shuffled and no seed was given.
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

    def predict(self, X):
        """Predictions ``X @ coef + intercept``, in the contract's summation order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> import fastgd
        >>> result = fastgd.fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0],
        ...                     method="batch", max_epochs=2000)
        >>> result.predict([[3.0]]).round(3).tolist()
        [7.0]
        """
        X = check.check_X(X, n_features=self.coef.shape[0], dtype=self.coef.dtype)
        out = np.empty(X.shape[0], dtype=self.coef.dtype)
        _kernels.predict(X, self.coef, self.intercept, out)
        return out


#: The epoch runners of the two backends share one signature and one contract.
_RUNNERS = {"cython": _kernels.run_epochs, "python": reference.run_epochs}


def fit(X, y, *, method="sgd", lr=0.1, max_epochs=1000, stop_loss=None, batch_size=32,
        reduction="mean", coef_init=None, intercept_init=0.0, fit_intercept=True,
        shuffle=False, random_state=None, backend="cython", verbose=False, callback=None,
        n_threads=None):
    """Fit ``y ~ X @ coef + intercept`` by gradient descent on the squared error.

    The per-sample loss is ``(p - y)**2`` as in the tutorial fastgd grew from; its
    gradient is ``2 * (p - y) * x``.  Both backends follow the arithmetic
    contract in :mod:`fastgd.reference` and return identical bits.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real-valued features.  For a polynomial in one variable use
        :func:`polynomial_features`.  float32 data is fitted in float32
        arithmetic (weights, predictions and gradients; the epoch loss is
        summed in float64) and is used as it is when C-contiguous; anything
        else is converted once to a C-contiguous float64 copy.
    y : array-like of shape (n_samples,)
        Targets.
    method : {"sgd", "minibatch", "batch"}, default="sgd"
        ``"sgd"`` updates after each sample, ``"minibatch"`` after each
        ``batch_size`` samples (the last batch may be smaller), ``"batch"``
        once per epoch from all samples.
    lr : float, default=0.1
        Learning rate, finite and > 0.
    max_epochs : int, default=1000
        Upper bound on the number of passes over the data (>= 1).
    stop_loss : float or None, default=None
        Stop after the first epoch whose mean loss is below this value.
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
        Seed (0 <= seed < 2**64) of the shuffle generator.  With None a seed is
        drawn and recorded in :attr:`FitResult.random_state`.
    backend : {"cython", "python"}, default="cython"
        ``"cython"`` runs the compiled kernels, ``"python"`` the reference.
    verbose : bool, default=False
        Print ``epoch N, loss L`` after each epoch (epochs count from 1).
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
    """
    # X and y are not scanned for NaN or infinity up front: that scan costs a
    # full read of X, as much as a whole batch epoch.  It is not needed for
    # safety, and its error is not lost: every method visits every row in the
    # first epoch, and a non-finite x or y makes that row's prediction or
    # residual non-finite (inf * 0 is NaN, inf + -inf is NaN, and no later add
    # of a squared residual brings a sum back), so the first epoch's loss is
    # not finite.  Only then is the data scanned, and the ValueError raised.
    X = check.check_X(X, finite=False)
    n_samples, n_features = X.shape
    y = check.check_y(y, n_samples, finite=False, dtype=X.dtype)
    settings = Settings(
        method=check.check_method(method),
        lr=check.check_real(lr, "lr", positive=True),
        batch_size=check.check_int(batch_size, "batch_size", minimum=1),
        mean_reduction=check.check_reduction(reduction) == "mean",
        fit_intercept=check.check_bool(fit_intercept, "fit_intercept"),
        shuffle=check.check_bool(shuffle, "shuffle"),
        stop_loss=(None if stop_loss is None else
                   check.check_real(stop_loss, "stop_loss", nonnegative=True, allow_inf=True)),
        n_threads=check.check_n_threads(n_threads, default=_kernels.default_threads()),
    )
    max_epochs = check.check_int(max_epochs, "max_epochs", minimum=1)
    coef = check.check_coef_init(coef_init, n_features, X.dtype)
    intercept = check.check_1d([check.check_real(intercept_init, "intercept_init")],
                               "intercept_init", X.dtype)
    if X.dtype == np.float32:
        check.check_float32_rate(settings.lr)
    backend = check.check_backend(backend)
    seed = check.check_random_state(random_state, needed=settings.shuffle)
    verbose = check.check_bool(verbose, "verbose")
    callback = check.check_callback(callback)

    run_epochs = _RUNNERS[backend]
    order = np.arange(n_samples, dtype=np.intp)
    rng_state = np.array([seed or 0], dtype=np.uint64)
    per_epoch = verbose or callback is not None

    losses = []
    n_epochs = 0
    status = Status.RAN_ALL
    stopped_by_callback = False
    block = 1 if per_epoch else max(1, min(_MAX_BLOCK, _FIRST_BLOCK_WORK // X.size))
    while n_epochs < max_epochs:
        loss_block = np.empty(min(block, max_epochs - n_epochs))
        started = time.perf_counter()
        n_run, status = run_epochs(X, y, coef, intercept, order, rng_state, loss_block,
                                   settings)
        seconds_per_epoch = (time.perf_counter() - started) / max(n_run, 1)
        losses.append(loss_block[:n_run])
        if n_epochs == 0 and status == Status.DIVERGED and n_run == 1:
            check.check_finite(X, "X")
            check.check_finite(y, "y")
        n_epochs += n_run
        if per_epoch:
            loss = float(loss_block[0])
            if verbose:
                print(f"epoch {n_epochs}, loss {loss:.6g}", flush=True)
            if callback is not None and status != Status.DIVERGED:
                if callback(n_epochs, loss, coef.copy(), float(intercept[0])) is False:
                    stopped_by_callback = True
                    break
        else:
            block = max(1, min(_MAX_BLOCK, int(_BLOCK_SECONDS / max(seconds_per_epoch, 1e-9))))
        if status != Status.RAN_ALL:
            break

    loss_history = losses[0].copy() if len(losses) == 1 else np.concatenate(losses)
    if status == Status.DIVERGED:
        kept = f"epoch {n_epochs - 1}" if n_epochs > 1 else "the start (coef_init, intercept_init)"
        warnings.warn(
            f"fit diverged at epoch {n_epochs} (method={method!r}, lr={settings.lr:g}): "
            f"its loss or weights were not finite; returning the weights of {kept}. "
            f"Try a smaller lr.", DivergenceWarning, stacklevel=2)
    return FitResult(
        coef=coef, intercept=float(intercept[0]), loss_history=loss_history,
        n_epochs=n_epochs, converged=status == Status.CONVERGED,
        diverged=status == Status.DIVERGED, stopped_by_callback=stopped_by_callback,
        method=method, backend=backend, random_state=seed)


def polynomial_features(x, degree):
    """Powers of a 1-D ``x`` as columns ``x**degree, ..., x**1``, highest first.

    The column order is that of :func:`numpy.polyfit`, so with ``degree=2`` the
    coefficients of a fit pair with ``x**2`` and ``x`` as the tutorial's ``w1`` and
    ``w2``; its ``w3`` is the intercept.  Each column is NumPy's
    ``x ** k``.

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
    powers = np.arange(degree, 0, -1)
    return np.ascontiguousarray(arr[:, None] ** powers[None, :])
