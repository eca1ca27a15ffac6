"""The gradient-descent tutorial's worked example, run through fastgd (``fastgd demo``).

fastgd grew out of a short tutorial on gradient descent (in fastgd's own
development notes it is "the seed") that fits ``y = w1*x**2 + w2*x + w3`` by
per-sample SGD.

The demo fits ``y = 2x^2 + 3x + 4`` by per-sample SGD exactly as the seed does
(same data built from Python floats, same start, learning rate and stopping
rule), prints the seed's epoch lines and weights, times the compiled kernels
against the pure-Python reference, checks that both gave the same bits, and
draws a figure with :func:`fastgd.plot.demo_figure`.
"""
import warnings
from dataclasses import dataclass

import numpy as np

from ._fit import DivergenceWarning, FitResult, fit, polynomial_features
from .benchmarks import best_time

#: The seed's fit: ``w1, w2, w3 = 1, 0, -1``, ``lr = 0.1``, up to 1000 epochs,
#: stop once the mean epoch loss is below 0.0001.
SEED_SETTINGS = dict(lr=0.1, max_epochs=1000, stop_loss=1e-4, coef_init=[1, 0],
                     intercept_init=-1)

#: Epochs run (without ``stop_loss``) for the figure's loss-curve panels.
CURVE_EPOCHS = 200

#: Figure panel 2: each update rule with a learning rate that suits it, as
#: ``(label, fit keyword arguments)``.  sgd makes 100 updates per epoch on the
#: seed's 100 samples, minibatch 10 and batch 1, so the group rules take larger
#: steps (both still converge at lr = 0.7, not at 0.8).
METHOD_RUNS = (
    ("sgd, lr = 0.1 (100 updates/epoch)", dict(method="sgd", lr=0.1)),
    ("minibatch of 10, lr = 0.5 (10 updates/epoch)",
     dict(method="minibatch", batch_size=10, lr=0.5)),
    ("batch, lr = 0.5 (1 update/epoch)", dict(method="batch", lr=0.5)),
)

#: Figure panel 3: per-sample SGD learning rates that crawl, work, and blow up.
#: Over 200 epochs of the seed's problem sgd still converges at lr = 0.72 and
#: diverges from lr = 0.74 on (at epoch 19 with lr = 0.8).
SWEEP_LRS = (0.001, 0.1, 0.8)


def seed_data():
    """The seed's X and Y, built from Python floats exactly as the seed builds them.

    Returns
    -------
    x, y : list of float, each of length 100

    Examples
    --------
    >>> x, y = seed_data()
    >>> x[1], y[1]
    (0.01, 4.0302)
    """
    x = [0.01 * i for i in range(100)]
    y = [2 * v**2 + 3 * v + 4 for v in x]
    return x, y


def seed_script():
    """The seed tutorial's own training loop, transcribed (plain Python floats).

    Kept as the seed wrote it (``x**2``, ``(y_pred - y_true) ** 2``, no
    fastgd), as the baseline a reader of the tutorial would otherwise run.

    Returns
    -------
    w1, w2, w3 : float
        The trained weights.
    losses : list of float
        The mean loss of each epoch.

    Examples
    --------
    >>> w1, w2, w3, losses = seed_script()
    >>> len(losses), w1, w2, w3
    (50, 2.188697138503384, 2.753474684969485, 4.060020789555843)
    """
    X, Y = seed_data()
    w1, w2, w3 = 1, 0, -1
    lr = 0.1
    losses = []
    for epoch in range(1000):
        epoch_loss = 0
        for x, y_true in zip(X, Y):
            y_pred = w1 * x**2 + w2 * x + w3
            epoch_loss += (y_pred - y_true) ** 2
            grad_w1 = 2 * (y_pred - y_true) * x**2
            grad_w2 = 2 * (y_pred - y_true) * x
            grad_w3 = 2 * (y_pred - y_true)
            w1 = w1 - lr * grad_w1
            w2 = w2 - lr * grad_w2
            w3 = w3 - lr * grad_w3
        epoch_loss /= len(X)
        losses.append(epoch_loss)
        if epoch_loss < 0.0001:
            break
    return w1, w2, w3, losses


def same_bits(a, b):
    """Whether two fits returned bit-identical weights and loss histories.

    Parameters
    ----------
    a, b : FitResult

    Returns
    -------
    bool

    Examples
    --------
    >>> import fastgd
    >>> fits = [fastgd.fit([[1.0], [2.0]], [3.0, 5.0], max_epochs=3, backend=backend)
    ...         for backend in ("cython", "python")]
    >>> same_bits(*fits)
    True
    """
    def bits(result):
        return (result.coef.tobytes(), np.float64(result.intercept).tobytes(),
                result.loss_history.tobytes(), result.n_epochs)

    return bits(a) == bits(b)


@dataclass(frozen=True)
class BackendTiming:
    """Best-of-repeats time of one fit on each backend, in seconds per fit."""

    cython_seconds: float
    python_seconds: float
    identical: bool

    @property
    def speedup(self):
        """How many times faster the Cython backend ran."""
        return self.python_seconds / self.cython_seconds


def time_backends(X, y, settings, *, repeat=5, min_time=0.01):
    """Time ``fit(X, y, **settings)`` on the Cython and the Python backend.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    settings : dict
        Keyword arguments of :func:`fastgd.fit` (not ``backend``).
    repeat : int, default=5
        Timings per backend; the best one counts.
    min_time : float, default=0.01
        Seconds one timing lasts at least (it loops over the fit).

    Returns
    -------
    BackendTiming

    Examples
    --------
    >>> import fastgd
    >>> timing = time_backends([[1.0], [2.0]], [3.0, 5.0], dict(max_epochs=20),
    ...                        repeat=2, min_time=0.001)
    >>> timing.identical, timing.cython_seconds > 0
    (True, True)
    """
    y = np.asarray(y, dtype=np.float64)
    results = {backend: fit(X, y, backend=backend, **settings)
               for backend in ("cython", "python")}
    seconds = {backend: best_time(lambda: fit(X, y, backend=backend, **settings),
                                   repeat, min_time)
               for backend in ("cython", "python")}
    return BackendTiming(seconds["cython"], seconds["python"],
                         same_bits(results["cython"], results["python"]))


def compare_methods(X, y):
    """Fit sgd, minibatch and batch for :data:`CURVE_EPOCHS` epochs from the seed's start.

    Returns
    -------
    dict of str to FitResult
        Keyed by the legend labels of :data:`METHOD_RUNS`.
    """
    start = dict(coef_init=SEED_SETTINGS["coef_init"],
                 intercept_init=SEED_SETTINGS["intercept_init"], max_epochs=CURVE_EPOCHS)
    return {label: fit(X, y, **start, **kwargs) for label, kwargs in METHOD_RUNS}


def sweep_learning_rates(X, y, lrs=SWEEP_LRS):
    """Fit per-sample SGD from the seed's start with each learning rate in ``lrs``.

    A rate that diverges is expected here, so its :class:`DivergenceWarning`
    is caught; the fit's ``diverged`` and ``n_epochs`` record what happened.

    Returns
    -------
    dict of float to FitResult
    """
    start = dict(coef_init=SEED_SETTINGS["coef_init"],
                 intercept_init=SEED_SETTINGS["intercept_init"], max_epochs=CURVE_EPOCHS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return {lr: fit(X, y, method="sgd", lr=lr, **start) for lr in lrs}


@dataclass(frozen=True)
class DemoReport:
    """What :func:`run_demo` computed and wrote."""

    seed_fit: FitResult
    timing: BackendTiming
    figure_path: str


def run_demo(out="fastgd-demo.png", *, verbose=True):
    """Run the seed's example, print its results, and save the demo figure.

    Prints, in order: the seed fit's ``epoch N, loss L`` lines (when
    ``verbose``), the trained weights as ``w1 = ..., w2 = ..., w3 = ...``, the
    Cython and Python timings with the speed-up, whether both backends gave
    identical bits, and which learning rate of the sweep diverged.

    Parameters
    ----------
    out : str or path-like, default="fastgd-demo.png"
        Where the PNG figure goes.
    verbose : bool, default=True
        Print the seed fit's per-epoch lines.

    Returns
    -------
    DemoReport

    Raises
    ------
    OSError
        When the figure cannot be written to ``out``.
    """
    from .plot import demo_figure

    x, y = seed_data()
    X = polynomial_features(x, 2)
    print("fastgd demo: the gradient-descent tutorial's fit of y = 2x^2 + 3x + 4 by per-sample SGD "
          "(lr = 0.1)")
    seed_fit = fit(X, y, verbose=verbose, **SEED_SETTINGS)
    outcome = "loss < 0.0001" if seed_fit.converged else "epoch limit reached"
    print(f"stopped after {seed_fit.n_epochs} epochs ({outcome}), "
          f"mean epoch loss {float(seed_fit.loss_history[-1])!r}")
    w1, w2 = seed_fit.coef.tolist()
    print(f"w1 = {w1!r}, w2 = {w2!r}, w3 = {seed_fit.intercept!r}")

    timing = time_backends(X, y, SEED_SETTINGS)
    print(f"cython backend: {timing.cython_seconds * 1e3:.3g} ms, "
          f"python reference: {timing.python_seconds * 1e3:.3g} ms, "
          f"speed-up {timing.speedup:.0f}x")
    print("identical bits on both backends: " + ("yes" if timing.identical else "NO"))
    script_seconds = best_time(seed_script, 5, 0.01)
    print(f"the tutorial's own Python loop: {script_seconds * 1e3:.3g} ms, "
          f"fastgd is {script_seconds / timing.cython_seconds:.0f}x faster")

    method_fits = compare_methods(X, y)
    sweep_fits = sweep_learning_rates(X, y)
    for lr, result in sweep_fits.items():
        if result.diverged:
            print(f"learning-rate sweep: lr = {lr:g} diverged at epoch {result.n_epochs} "
                  "(DivergenceWarning caught)")
    path = demo_figure(out, x, y, seed_fit, method_fits, sweep_fits)
    return DemoReport(seed_fit=seed_fit, timing=timing, figure_path=path)


#: The problems of :func:`compare_exact`: n rows, 20 features, noise of 0.5.
EXACT_SIZES = (10_000, 100_000, 1_000_000)
#: A few epochs of mini-batch descent with momentum, stopped once the epoch
#: loss is within 1% of the least-squares minimum.
EXACT_RACE = dict(method="minibatch", batch_size=1024, lr=0.02,
                  optimizer_params={"momentum": 0.9}, shuffle=True, random_state=0,
                  max_epochs=50)


@dataclass
class ExactRow:
    n_samples: int
    exact_seconds: float
    exact_bytes: int
    descent_seconds: float
    descent_bytes: int
    descent_epochs: int
    loss_ratio: float


def compare_exact(sizes=None, n_features=20, *, verbose=True, seed=0):
    """The tutorial's first question: the closed form against descent, as n grows.

    For each size, times :func:`fastgd.exact_solution` (an SVD of a copy of X)
    and a few epochs of mini-batch descent stopped within 1% of the
    least-squares loss, and measures the memory each allocates beyond the data
    (tracemalloc's peak, which sees NumPy's and LAPACK's buffers).

    Returns
    -------
    list of ExactRow

    Examples
    --------
    >>> rows = compare_exact(sizes=(2_000,), verbose=False)
    >>> rows[0].loss_ratio < 1.01 and rows[0].descent_bytes < rows[0].exact_bytes
    True
    """
    import time
    import tracemalloc

    from .exact import exact_solution

    sizes = EXACT_SIZES if sizes is None else sizes
    rng = np.random.default_rng(seed)
    rows = []
    if verbose:
        print(f"closed form (numpy.linalg.lstsq) vs mini-batch descent to within 1% of its "
              f"loss, {n_features} features:")
        print(f"{'n':>10}  {'closed form':>22}  {'descent':>30}")
    for n in sizes:
        X = rng.standard_normal((n, n_features))
        y = X @ rng.standard_normal(n_features) + 1.0 + 0.5 * rng.standard_normal(n)

        def measured(run):
            tracemalloc.start()
            started = time.perf_counter()
            try:
                value = run()
                return value, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        best, exact_seconds, exact_bytes = measured(lambda: exact_solution(X, y))
        result, descent_seconds, descent_bytes = measured(
            lambda: fit(X, y, stop_loss=best.loss * 1.01, **EXACT_RACE))
        row = ExactRow(n, exact_seconds, exact_bytes, descent_seconds, descent_bytes,
                       result.n_epochs, float(result.loss_history[-1] / best.loss))
        rows.append(row)
        if verbose:
            print(f"{n:>10,}  {exact_seconds:>8.3f} s {exact_bytes / 1e6:>8.1f} MB  "
                  f"{descent_seconds:>8.3f} s {descent_bytes / 1e6:>8.1f} MB "
                  f"({result.n_epochs} epochs)")
    return rows
