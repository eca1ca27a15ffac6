"""Figures of fastgd fits and minimizations, drawn with matplotlib.

matplotlib is imported inside the functions, so ``import fastgd`` never pays
for it.

Each plotting function draws on the Axes ``ax`` it is given, or, when ``ax``
is None, on the single Axes of a new :class:`matplotlib.figure.Figure`.  That
Figure is not registered with pyplot: no window, no global backend, nothing
to close, and it works headless (``fig.savefig("out.png")`` renders with Agg).
Every function returns the Figure that holds the Axes it drew on (for a
given ``ax``, its root figure: ``ax.figure``, or the figure a SubFigure
belongs to).  None calls :func:`matplotlib.pyplot.show` unless passed
``show=True``: then, without ``ax``, the new figure is made with pyplot (so
that there is something to show), and ``pyplot.show()`` is called before
returning (it shows pyplot's figures: a given ``ax`` appears if pyplot made
its figure).

- :func:`plot_fit`: the tutorial's scatter of the true values and the
  predictions (with the fitted curve for one input variable).
- :func:`plot_loss`: loss curves per epoch, validation loss dashed, an ``x``
  where a fit diverged.
- :func:`plot_lr_sweep`: fit once per learning rate and plot the final loss
  against the rate (the tutorial's closing question).
- :func:`plot_path`: the steps of :func:`fastgd.minimize` over the function
  (a curve for one variable, contours for two).
- :func:`gallery`: the four figures above on the tutorial's data, as PNGs.
- :func:`demo_figure`: the three-panel figure of ``fastgd demo``.
"""
import math
import warnings
from pathlib import Path

import numpy as np

from ._fit import DivergenceWarning, fit, polynomial_features

#: The demo figure's size in inches and resolution: 1500 x 450 pixels.
FIGSIZE = (15, 4.5)
DPI = 100

#: :func:`plot_path` draws an arrow for each of the first MAX_ARROWS steps only
#: (a converging path piles its later steps up at the minimum).
MAX_ARROWS = 30

#: The gallery's file names, in the order :func:`gallery` returns them.
GALLERY_FILES = ("fit.png", "loss.png", "lr_sweep.png", "path.png")


# --------------------------------------------------------------------------
# Shared helpers: axes, figures, validation.

def _check_show(show):
    if not isinstance(show, (bool, np.bool_)):
        raise ValueError(f"show must be True or False, got {show!r}")
    return bool(show)


def _axes(ax, show):
    """The Axes to draw on: ``ax`` itself, or the one Axes of a new Figure."""
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise ValueError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        return ax
    if show:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
        return ax
    from matplotlib.figure import Figure

    return Figure(layout="constrained").add_subplot()


def _root_figure(ax):
    figure = ax.figure
    # A SubFigure cannot be saved; its .figure is the Figure it belongs to
    # (a Figure's .figure is itself).
    return getattr(figure, "figure", None) or figure


def _finish(ax, show):
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return _root_figure(ax)


def _check_result(result, name, attributes):
    missing = [attribute for attribute in attributes if not hasattr(result, attribute)]
    if missing:
        raise ValueError(f"{name} must be a fastgd result with {', '.join(attributes)}; "
                         f"got {type(result).__name__} without {', '.join(missing)}")
    return result


def _real_array(values, name):
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers ({error})") from None
    return array


def _check_labels(labels, n, name="labels"):
    if labels is None:
        return None
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise ValueError(f"{name} must be a sequence of {n} strings (one per result), "
                         f"got {labels!r}")
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries for {n} results")
    return [str(label) for label in labels]


def _positive_finite(*arrays):
    """The finite, positive values of the arrays, flattened together."""
    values = np.concatenate([np.ravel(a) for a in arrays] or [np.empty(0)])
    return values[np.isfinite(values) & (values > 0)]


def _log_limits(values, above=2, below=1):
    """Decades around ``values`` for a log axis: (bottom, top)."""
    if values.size == 0:
        return 0.1, 10.0
    # Within 1e±200: matplotlib's log ticks overflow near float64's limits.
    top = 10.0 ** min(math.ceil(math.log10(values.max())) + above, 200)
    bottom = 10.0 ** max(math.floor(math.log10(values.min())) - below, -200)
    return min(bottom, 10.0 ** 199), top


# --------------------------------------------------------------------------
# plot_fit

def plot_fit(X, y, result, ax=None, *, show=False):
    """The tutorial's figure: the true values and the fit's predictions.

    With a 1-D ``x`` (one input variable, fitted on
    ``polynomial_features(x, degree)``) the true ``y`` are scattered in red
    over ``x`` with the predictions in blue, the fitted polynomial is drawn
    as a curve over the sorted ``x`` (refined to 200 points between its
    extremes) and a box lists the weights as the tutorial names them
    (``w1 ... w{degree+1}``, the last being the intercept).  With a 2-D
    ``X`` (any features) the predictions are scattered against the true
    ``y``, with the line ``prediction = y`` and the R² of the fit.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, n_features)
        1-D: the input variable ``x`` of a polynomial fit, its degree the
        number of coefficients of ``result``.  2-D: the features ``result``
        was fitted on (``n_features`` columns).
    y : array-like of shape (n_samples,)
        True targets.
    result : FitResult
        The fit to draw (anything with ``coef`` and ``predict``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure when None.
    show : bool, default=False
        Call :func:`matplotlib.pyplot.show` before returning.

    Returns
    -------
    matplotlib.figure.Figure
        The new Figure, or the figure ``ax`` belongs to.

    Raises
    ------
    ValueError
        When ``X`` or ``y`` is empty, not finite, of the wrong shape, or
        does not match ``result``'s number of coefficients.

    Examples
    --------
    >>> import fastgd
    >>> x = [0.0, 0.5, 1.0, 1.5]
    >>> y = [4.0, 6.0, 9.0, 13.0]
    >>> X = fastgd.polynomial_features(x, 2)
    >>> result = fastgd.fit(X, y, max_epochs=50)
    >>> fig = plot_fit(x, y, result)                 # one variable: curve and scatters
    >>> type(fig).__name__, len(fig.axes[0].lines), len(fig.axes[0].collections)
    ('Figure', 1, 2)
    >>> fig = plot_fit(X, y, result)                 # the features: y against prediction
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].lines)
    ('true y', 1)
    """
    show = _check_show(show)
    result = _check_result(result, "result", ("coef", "predict"))
    n_coef = int(np.shape(result.coef)[0]) if np.ndim(result.coef) == 1 else None
    if not n_coef:
        raise ValueError("result.coef must be a non-empty 1-D array of coefficients")
    X = _real_array(X, "X")
    if X.ndim not in (1, 2):
        raise ValueError(f"X must be 1-D (one variable x) or 2-D (n_samples, n_features); "
                         f"got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X is empty: plot_fit needs at least one sample")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity")
    if X.ndim == 2 and X.shape[1] != n_coef:
        raise ValueError(f"X has {X.shape[1]} columns but result was fitted on {n_coef} "
                         f"features (for one variable pass x as a 1-D array)")
    y = _real_array(y, "y")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with one value per sample of X ({X.shape[0]}); "
                         f"got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    ax = _axes(ax, show)

    if X.ndim == 1:
        x = X
        degree = n_coef
        prediction = result.predict(polynomial_features(x, degree))
        grid = np.union1d(x, np.linspace(x.min(), x.max(), 200))
        curve = result.predict(polynomial_features(grid, degree))
        ax.plot(grid, curve, color="tab:blue", linewidth=3, alpha=0.6, label="fitted curve",
                zorder=2)
        ax.scatter(x, prediction, s=8, color="tab:blue", label="prediction", zorder=3)
        ax.scatter(x, y, s=10, color="tab:red", label="true y", zorder=4)
        if degree <= 5:
            terms = [f"w{k + 1} = {w:.4f}" for k, w in enumerate(np.ravel(result.coef))]
            terms.append(f"w{degree + 1} = {float(result.intercept):.4f}")
            ax.text(0.97, 0.04, "\n".join(terms), transform=ax.transAxes, ha="right",
                    va="bottom", family="monospace",
                    bbox=dict(boxstyle="round", facecolor="white", alpha=0.8))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend(loc="upper left")
    else:
        prediction = np.asarray(result.predict(X), dtype=np.float64)
        low = float(min(y.min(), np.nanmin(prediction)))
        high = float(max(y.max(), np.nanmax(prediction)))
        ax.plot([low, high], [low, high], color="0.4", linewidth=1.2,
                label="prediction = y", zorder=2)
        ax.scatter(y, prediction, s=12, color="tab:red", alpha=0.8, label="samples", zorder=3)
        spread = float(np.sum((y - y.mean()) ** 2))
        if spread > 0:
            r2 = 1.0 - float(np.sum((y - prediction) ** 2)) / spread
            ax.text(0.97, 0.04, f"R² = {r2:.4f}", transform=ax.transAxes, ha="right",
                    va="bottom", bbox=dict(boxstyle="round", facecolor="white", alpha=0.8))
        ax.set_xlabel("true y")
        ax.set_ylabel("prediction")
        ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _finish(ax, show)


# --------------------------------------------------------------------------
# plot_loss

def _default_labels(results):
    """Legend labels from each fit's method, optimizer and schedule (and lr if they tie)."""
    def describe(result):
        parts = [str(getattr(result, "method", "fit"))]
        optimizer = getattr(result, "optimizer", "sgd")
        if optimizer not in (None, "sgd"):
            parts.append(str(optimizer))
        schedule = getattr(result, "schedule", "constant")
        if schedule not in (None, "constant"):
            parts.append(f"{schedule} schedule")
        return ", ".join(parts)

    def learning_rate(result):
        params = getattr(result, "params", None) or {}
        if "lr" in params:
            return params["lr"]
        history = getattr(result, "lr_history", None)
        return history[0] if history is not None and len(history) else None

    labels = [describe(result) for result in results]
    if len(set(labels)) < len(labels):
        rates = [learning_rate(result) for result in results]
        labels = [label if rate is None else f"{label}, lr = {rate:g}"
                  for label, rate in zip(labels, rates)]
    if len(set(labels)) < len(labels):
        labels = [f"{label} (#{k + 1})" for k, label in enumerate(labels)]
    return labels


def plot_loss(*results, labels=None, ax=None, validation=True, show=False):
    """Loss curves: the mean epoch loss of each fit against the epoch, log scale.

    One solid line per result; with ``validation=True`` a fit that has a
    ``validation_loss_history`` (``early_stopping=True``) also gets a dashed
    line of the same colour.  A diverged fit's loss leaves any sensible
    scale, so when one diverged the y-axis is set from the other fits
    (from all finite losses when every fit diverged) and the diverged
    curves are clipped at its top edge, where an ``x`` marks the epoch each
    diverged at (legend: ``"<label>: diverged at epoch N"``).

    Parameters
    ----------
    *results : FitResult
        The fits, each with ``loss_history`` (and ``diverged``,
        ``validation_loss_history`` when present).
    labels : sequence of str, optional
        One legend label per result.  By default each fit's method, its
        optimizer unless plain ``"sgd"`` and its schedule unless
        ``"constant"`` (e.g. ``"minibatch, adam"``); when two defaults tie,
        ``", lr = <rate>"`` is added.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure when None.
    validation : bool, default=True
        Draw the validation losses that are present.
    show : bool, default=False
        Call :func:`matplotlib.pyplot.show` before returning.

    Returns
    -------
    matplotlib.figure.Figure
        The new Figure, or the figure ``ax`` belongs to.

    Raises
    ------
    ValueError
        When no result is given, a result has no ``loss_history``, or
        ``labels`` does not have one entry per result.

    Examples
    --------
    >>> import warnings
    >>> import fastgd
    >>> X, y = [[1.0], [2.0]], [3.0, 5.0]
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", fastgd.DivergenceWarning)
    ...     fits = [fastgd.fit(X, y, lr=lr, max_epochs=100) for lr in (0.1, 2.0)]
    >>> fig = plot_loss(*fits)
    >>> ax = fig.axes[0]
    >>> ax.get_yscale(), len(ax.lines)           # two curves and the divergence mark
    ('log', 3)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['sgd, lr = 0.1', 'sgd, lr = 2', 'sgd, lr = 2: diverged at epoch 75']
    """
    show = _check_show(show)
    if len(results) == 1 and isinstance(results[0], (list, tuple, dict)):
        raise ValueError("pass the results as separate arguments: plot_loss(*results) "
                         "(and their labels as labels=...)")
    if not results:
        raise ValueError("plot_loss needs at least one result: plot_loss(result, ...)")
    if not isinstance(validation, (bool, np.bool_)):
        raise ValueError(f"validation must be True or False, got {validation!r}")
    histories, validations, diverged = [], [], []
    for k, result in enumerate(results):
        _check_result(result, f"results[{k}]", ("loss_history",))
        history = _real_array(result.loss_history, f"results[{k}].loss_history")
        if history.ndim != 1:
            raise ValueError(f"results[{k}].loss_history must be 1-D, got shape "
                             f"{history.shape}")
        histories.append(history)
        held_out = getattr(result, "validation_loss_history", None) if validation else None
        validations.append(None if held_out is None else
                           _real_array(held_out, f"results[{k}].validation_loss_history"))
        diverged.append(bool(getattr(result, "diverged", False)))
    labels = _check_labels(labels, len(results)) or _default_labels(results)
    ax = _axes(ax, show)

    top = None
    if any(diverged):
        # The diverging loss reaches 1e300 and beyond; on a log axis scaled to
        # it the other curves would flatten into the bottom few percent.
        kept = [k for k, flag in enumerate(diverged) if not flag] or range(len(results))
        reference = _positive_finite(*[histories[k] for k in kept],
                                     *[validations[k] for k in kept
                                       if validations[k] is not None])
        bottom, top = _log_limits(reference)
    for history, held_out, flag, label in zip(histories, validations, diverged, labels):
        epochs = np.arange(1, history.shape[0] + 1)
        first_loss = float(history[0]) if history.shape[0] else None
        if flag:
            # Losses above the axes run along its top edge, so the curve stays
            # visible up to the x that marks the epoch it diverged at.
            history = np.minimum(np.nan_to_num(history, nan=top, posinf=top), top)
        # A diverged curve runs along the top edge: drawn thicker to show there.
        (line,) = ax.plot(epochs, history, linewidth=2.5 if flag else 1.8, label=label,
                          clip_on=not flag)
        color = line.get_color()
        if held_out is not None:
            if flag:
                held_out = np.minimum(np.nan_to_num(held_out, nan=top, posinf=top), top)
            ax.plot(epochs, held_out, linewidth=1.5, linestyle="--", color=color,
                    label=f"{label} (validation)", clip_on=not flag)
        if flag and history.shape[0]:
            ax.plot([history.shape[0]], [top], marker="x", markersize=12, markeredgewidth=3,
                    linestyle="none", color=color, clip_on=False, zorder=5,
                    label=f"{label}: diverged at epoch {history.shape[0]}")
            if history.shape[0] > 1 and history[0] >= top:
                ax.annotate(f"{label}: loss {first_loss:.0e} at epoch 1,\n"
                            "off the scale until it overflows",
                            xy=(history.shape[0], top), xytext=(8, -6),
                            textcoords="offset points", va="top", color=color,
                            fontsize="small")
    ax.set_yscale("log", nonpositive="mask")
    if top is not None:
        ax.set_ylim(bottom, top)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean epoch loss (log scale)")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    return _finish(ax, show)


# --------------------------------------------------------------------------
# plot_lr_sweep

def plot_lr_sweep(X, y, lrs, *, ax=None, show=False, **fit_kwargs):
    """Fit once per learning rate and plot the final loss against the rate.

    The tutorial's closing question, answered on your data: too small a
    rate is slow (after ``max_epochs`` its loss is still high), too large
    a rate blows up.  Each rate runs ``fastgd.fit(X, y, lr=lr,
    **fit_kwargs)`` with :class:`~fastgd.DivergenceWarning` silenced (a
    diverging rate is expected here; see each result's ``diverged``).  On
    log-log axes, the last epoch's loss of each fit that did not diverge
    is joined in order of rate; each rate that diverged gets a red ``x`` on
    the top edge (legend entry ``"diverged"``).  Give a ``max_epochs``
    rather than a ``stop_loss``: fits that reach ``stop_loss`` all end near
    it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    lrs : sequence of float
        The learning rates, each finite and > 0 (any order).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure when None.
    show : bool, default=False
        Call :func:`matplotlib.pyplot.show` before returning.
    **fit_kwargs
        The other arguments of :func:`fastgd.fit` (not ``lr``).

    Returns
    -------
    figure : matplotlib.figure.Figure
        The new Figure, or the figure ``ax`` belongs to.
    results : list of FitResult
        The fit of each rate, in the order of ``lrs``.

    Raises
    ------
    ValueError
        When ``lrs`` is empty or holds a rate that is not finite and
        positive, when ``fit_kwargs`` has ``lr``, or when :func:`fastgd.fit`
        refuses ``X``, ``y`` or an argument.

    Examples
    --------
    >>> X, y = [[1.0], [2.0]], [3.0, 5.0]
    >>> fig, results = plot_lr_sweep(X, y, [0.01, 0.1, 2.0], max_epochs=100)
    >>> [result.diverged for result in results]
    [False, False, True]
    >>> ax = fig.axes[0]
    >>> ax.get_xscale(), ax.get_yscale()
    ('log', 'log')
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['final loss after 100 epochs', 'diverged']
    """
    show = _check_show(show)
    if "lr" in fit_kwargs:
        raise ValueError("plot_lr_sweep takes the learning rates in lrs, not lr=")
    rates = _real_array(lrs, "lrs")
    if rates.ndim != 1 or rates.shape[0] == 0:
        raise ValueError(f"lrs must be a non-empty 1-D sequence of learning rates, "
                         f"got {lrs!r}")
    if not (np.isfinite(rates).all() and (rates > 0).all()):
        raise ValueError(f"lrs must all be finite and > 0, got {rates.tolist()}")
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        for rate in rates.tolist():
            results.append(fit(X, y, lr=rate, **fit_kwargs))
    ax = _axes(ax, show)

    order = np.argsort(rates, kind="stable")
    kept = [k for k in order if not results[k].diverged and results[k].n_epochs > 0]
    blown = [k for k in order if results[k].diverged]
    finals = np.array([results[k].loss_history[-1] for k in kept], dtype=np.float64)
    epochs = sorted({results[k].n_epochs for k in kept})
    if len(epochs) == 1:
        label = f"final loss after {epochs[0]} epoch{'s' if epochs[0] != 1 else ''}"
    else:
        label = "final loss"
    ax.plot(rates[kept], finals, marker="o", linewidth=1.8, color="tab:blue", label=label)
    bottom, top = _log_limits(_positive_finite(finals), above=1)
    if blown:
        ax.plot(rates[blown], np.full(len(blown), top), marker="x", markersize=12,
                markeredgewidth=3, linestyle="none", color="tab:red", clip_on=False, zorder=5,
                label="diverged")
    ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="mask")
    ax.set_ylim(bottom, top)
    low, high = float(rates.min()), float(rates.max())
    if low < high:
        ax.set_xlim(low / 1.5, high * 1.5)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("mean loss of the last epoch (log scale)")
    ax.legend(loc="best")
    ax.grid(alpha=0.3, which="both")
    return _finish(ax, show), results


# --------------------------------------------------------------------------
# plot_path

def _evaluate(f, points):
    """``f`` at each point: ``points`` of shape (m,) (scalars) or (m, 2) (pairs).

    ``f`` is tried once on all points at once (as ``f(x)`` with an array of
    shape (m,), or ``f(v)`` with ``v`` of shape (2, m) so that ``v[0], v[1]``
    are the coordinates), and the answer is kept if it has the right shape
    and agrees with single calls at three points; otherwise f is called
    point by point, as :func:`fastgd.minimize` calls it.
    """
    def single(point):
        # numpy.float64, as fastgd.minimize passes: an overflow is inf, not an error.
        argument = np.float64(point) if np.ndim(point) == 0 else np.array(point, dtype=np.float64)
        value = np.asarray(f(argument), dtype=np.float64)
        if value.size != 1:
            raise ValueError(f"f must return a scalar; f({argument!r}) has shape "
                             f"{value.shape}")
        return float(value.reshape(()))

    m = points.shape[0]
    with np.errstate(all="ignore"):
        try:
            values = np.asarray(f(points if points.ndim == 1 else points.T.copy()),
                                dtype=np.float64)
        except Exception:  # f takes one point at a time: use that.
            values = None
        if values is not None and values.shape == (m,):
            probes = sorted({0, m // 2, m - 1})
            expected = np.array([single(points[k]) for k in probes])
            if np.allclose(values[probes], expected, rtol=1e-9, atol=0, equal_nan=True):
                return values
        return np.array([single(point) for point in points])


def _path_label(result, n_steps):
    n_iter = getattr(result, "n_iter", n_steps)
    return f"x_t, {n_iter} iteration{'s' if n_iter != 1 else ''}"


def _end_label(result, end, value):
    if getattr(result, "diverged", False):
        return "diverged (last finite point)"
    status = "converged" if getattr(result, "converged", False) else "stopped"
    return f"{status}: x = {end}, f = {value:.3g}"


def _arrows(ax, xs, ys, color):
    for k in range(min(xs.shape[0] - 1, MAX_ARROWS)):
        start, stop = (xs[k], ys[k]), (xs[k + 1], ys[k + 1])
        if not np.isfinite([*start, *stop]).all() or start == stop:
            continue
        ax.annotate("", xy=stop, xytext=start,
                    arrowprops=dict(arrowstyle="->", color=color, linewidth=1.2,
                                    shrinkA=2, shrinkB=2))


def plot_path(f, result, ax=None, *, show=False):
    """The steps of a minimization drawn over the function.

    For one variable (the tutorial's parabola ``f(x) = x**2``), ``f`` is
    drawn as a curve over the path's range (symmetric about the end point
    when the run did not diverge) with the points ``(x_t, f(x_t))`` and an
    arrow for each of the first :data:`MAX_ARROWS` steps.  For two
    variables, ``f`` is drawn as contours (at quantiles of its values, so
    the levels crowd near the minimum) with the path on top.  The start is
    a square and the end a star (a cross when the run diverged: then the
    last finite point).

    Parameters
    ----------
    f : callable
        The function that was minimized: ``f(x) -> float`` with ``x`` a
        float for one variable or an array of shape (2,) for two.  A
        vectorised ``f`` (NumPy operations on ``x``, or on ``x[0]`` and
        ``x[1]``) is evaluated on the whole grid at once; any other is
        called point by point.
    result : object
        A :func:`fastgd.minimize` result: ``path`` of shape (n + 1,) for
        one variable ((n + 1, 1) is accepted too) or (n + 1, 2) for two,
        and ``n_iter``, ``converged``, ``diverged`` for the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new Figure when None.
    show : bool, default=False
        Call :func:`matplotlib.pyplot.show` before returning.

    Returns
    -------
    matplotlib.figure.Figure
        The new Figure, or the figure ``ax`` belongs to.

    Raises
    ------
    ValueError
        When ``f`` is not callable, ``result`` has no ``path``, the path is
        empty, has no finite point or is not of one or two variables, or
        ``f`` does not return a scalar.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> path = [-1.0]                            # the tutorial: x <- x - lr * 2x
    >>> for _ in range(10):
    ...     path.append(path[-1] - 0.3 * 2 * path[-1])
    >>> run = SimpleNamespace(x=path[-1], fun=path[-1] ** 2, n_iter=10, converged=True,
    ...                       diverged=False, path=np.array(path))
    >>> fig = plot_path(lambda x: x ** 2, run)
    >>> ax = fig.axes[0]
    >>> len(ax.lines), len(ax.texts)             # curve, path, start, end; 10 arrows
    (4, 10)
    >>> bowl = lambda v: (v[0] - 1) ** 2 + 4 * v[1] ** 2
    >>> run2 = SimpleNamespace(x=np.array([1.0, 0.0]), fun=0.0, n_iter=2, converged=True,
    ...                        diverged=False, path=np.array([[0, 1], [0.6, -0.6], [1, 0.0]]))
    >>> fig = plot_path(bowl, run2)
    >>> [type(c).__name__ for c in fig.axes[0].collections]
    ['QuadContourSet']
    """
    show = _check_show(show)
    if not callable(f):
        raise ValueError(f"f must be the callable that was minimized, got {type(f).__name__}")
    _check_result(result, "result", ("path",))
    path = _real_array(result.path, "result.path")
    if path.ndim == 2 and path.shape[1] == 1:
        path = path[:, 0]
    if path.ndim == 1:
        n_variables = 1
    elif path.ndim == 2:
        n_variables = path.shape[1]
    else:
        n_variables = None
    if n_variables not in (1, 2):
        raise ValueError(f"plot_path draws minimizations of one or two variables: "
                         f"result.path must have shape (n + 1,) or (n + 1, 2), "
                         f"got {path.shape}")
    if path.shape[0] == 0:
        raise ValueError("result.path is empty")
    finite_rows = np.isfinite(path) if n_variables == 1 else np.isfinite(path).all(axis=1)
    finite = path[finite_rows]
    if finite.shape[0] == 0:
        raise ValueError("result.path has no finite point to draw")
    diverged = bool(getattr(result, "diverged", False))
    ax = _axes(ax, show)
    color = "tab:red"

    if n_variables == 1:
        values = _evaluate(f, finite)
        # A path that went many decades beyond its start (a divergence runs
        # until f overflows) is drawn on symmetric-log axes: on linear ones
        # only its last steps would be visible.
        first_step = abs(finite[1] - finite[0]) if finite.shape[0] > 1 else 0.0
        reach = float(np.abs(finite).max())
        wide = reach > 1e6 * max(abs(finite[0]), first_step, 1e-300)
        if wide:
            span = 1.15 * reach
            threshold = max(abs(float(finite[0])), first_step)
            grid = np.concatenate([-np.geomspace(span, threshold, 200),
                                   np.linspace(-threshold, threshold, 101)[1:-1],
                                   np.geomspace(threshold, span, 200)])
        else:
            # Centred on the lowest point reached, so a parabola shows both arms.
            usable = np.isfinite(values)
            centre = float(finite[np.nanargmin(values)]) if usable.any() else float(finite[-1])
            half = max(centre - float(finite.min()), float(finite.max()) - centre)
            half = half or max(abs(centre), 1.0)
            grid = np.linspace(centre - 1.15 * half, centre + 1.15 * half, 400)
        curve = _evaluate(f, grid)
        # The limits are set here rather than by autoscaling, whose margins
        # overflow when a diverging path reaches f values near float64's maximum.
        ax.set_autoscale_on(False)
        ax.plot(grid, curve, color="tab:blue", linewidth=2, label="f(x)", zorder=1)
        heights = np.concatenate([curve, values])
        heights = heights[np.isfinite(heights)]
        if heights.size:
            low, high = float(heights.min()), float(heights.max())
            if wide:
                base = abs(float(values[0])) if np.isfinite(values[0]) else 0.0
                ax.set_yscale("symlog", linthresh=base or 1.0)
                ax.set_xscale("symlog", linthresh=threshold)
                largest = np.finfo(np.float64).max
                ax.set_ylim(max(min(low * 4, low / 4, 0.0), -largest),
                            min(max(high * 4, high / 4, 1.0), largest))
            else:
                pad = 0.05 * high - 0.05 * low or max(abs(high), 1.0) * 0.05
                ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(grid[0], grid[-1])
        ax.plot(finite, values, marker="o", markersize=5, linestyle="none", color=color,
                label=_path_label(result, path.shape[0] - 1), zorder=3)
        _arrows(ax, finite, values, color)
        start, end = (finite[0], values[0]), (finite[-1], values[-1])
        end_text = f"{finite[-1]:.4g}"
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
    else:
        spans = finite.max(axis=0) - finite.min(axis=0)
        pad = 0.2 * np.where(spans > 0, spans, np.maximum(np.abs(finite).max(axis=0), 1.0))
        pad = np.maximum(pad, 0.1 * spans.max())
        lows, highs = finite.min(axis=0) - pad, finite.max(axis=0) + pad
        a, b = np.meshgrid(np.linspace(lows[0], highs[0], 120),
                           np.linspace(lows[1], highs[1], 120))
        z = _evaluate(f, np.column_stack([a.ravel(), b.ravel()])).reshape(a.shape)
        usable = z[np.isfinite(z)]
        levels = np.unique(np.quantile(usable, np.linspace(0, 1, 14)[1:-1])) \
            if usable.size else np.empty(0)
        ax.contour(a, b, np.ma.masked_invalid(z),
                              levels=levels if levels.size >= 2 else 10,
                              cmap="viridis", linewidths=1, zorder=1)
        ax.plot(finite[:, 0], finite[:, 1], marker="o", markersize=4, linewidth=0.8,
                color=color, label=_path_label(result, path.shape[0] - 1), zorder=3)
        _arrows(ax, finite[:, 0], finite[:, 1], color)
        start, end = tuple(finite[0]), tuple(finite[-1])
        end_text = f"({finite[-1][0]:.4g}, {finite[-1][1]:.4g})"
        ax.set_xlabel("x[0]")
        ax.set_ylabel("x[1]")
    ax.plot(*start, marker="s", markersize=9, linestyle="none", color="black",
            label="start", zorder=4, clip_on=False)
    end_value = float(_evaluate(f, finite[-1:])[0])
    ax.plot(*end, marker="x" if diverged else "*", markersize=14,
            markeredgewidth=3 if diverged else 1, linestyle="none",
            color="black" if diverged else "gold", markeredgecolor="black", zorder=5,
            clip_on=False,
            label=_end_label(result, end_text, end_value))
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return _finish(ax, show)


# --------------------------------------------------------------------------
# The gallery and the demo figure

def gallery(directory, *, dpi=DPI):
    """Draw the four figures of the README's gallery on the tutorial's data.

    Writes these PNGs (256-colour palettes, each under 100 KB at the default
    ``dpi``) into ``directory``, creating it if missing:

    - ``fit.png``: :func:`plot_fit` of the tutorial's fit (``polynomial_features(x, 2)``
      and :data:`fastgd.demo.SEED_SETTINGS`: per-sample SGD, ``lr = 0.1``,
      stopped once the loss is below 1e-4);
    - ``loss.png``: :func:`plot_loss` of per-sample, mini-batch and batch
      descent from the tutorial's start (:func:`fastgd.demo.compare_methods`,
      200 epochs) and of Adam with early stopping (its validation loss
      dashed);
    - ``lr_sweep.png``: :func:`plot_lr_sweep` of per-sample SGD over
      ``lr = 10**-3 ... 10**0.25`` (quarter decades), 200 epochs from the
      tutorial's start: the largest two rates diverge;
    - ``path.png``: :func:`plot_path` of :func:`fastgd.minimize` on the
      tutorial's parabola ``f(x) = x**2`` from ``x = -1`` with ``lr = 0.1``,
      the overshooting ``lr = 0.8`` and the exploding ``lr = 1.1``, and on the
      bowl ``(x[0] - 1)**2 + 5 * x[1]**2`` from ``(-1.5, 1)``.

    Parameters
    ----------
    directory : str or path-like
    dpi : float, default=100

    Returns
    -------
    list of pathlib.Path
        The four files, in the order above (:data:`GALLERY_FILES`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [path.name for path in gallery(tmp)]
    ['fit.png', 'loss.png', 'lr_sweep.png', 'path.png']
    """
    from matplotlib.figure import Figure

    from .demo import CURVE_EPOCHS, SEED_SETTINGS, compare_methods, seed_data
    from .minimize import minimize

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    x, y = seed_data()
    X = polynomial_features(x, 2)
    start = dict(coef_init=SEED_SETTINGS["coef_init"],
                 intercept_init=SEED_SETTINGS["intercept_init"])
    figures = []

    seed_fit = fit(X, y, **SEED_SETTINGS)
    figure = plot_fit(x, y, seed_fit)
    figure.set_size_inches(7, 4.5)
    figure.axes[0].set_title(f"The tutorial's fit of y = 2x² + 3x + 4: per-sample SGD, "
                             f"lr = 0.1,\nstopped at epoch {seed_fit.n_epochs} "
                             f"(mean epoch loss < 1e-4)")
    figures.append(figure)

    fits = compare_methods(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        fits["adam, lr = 0.05, early stopping"] = fit(
            X, y, method="minibatch", batch_size=10, optimizer="adam", lr=0.05,
            early_stopping=True, random_state=0, max_epochs=CURVE_EPOCHS, **start)
    figure = plot_loss(*fits.values(), labels=list(fits))
    figure.set_size_inches(7, 4.5)
    figure.axes[0].legend(loc="lower left", fontsize="small")
    figure.axes[0].set_title("Update rules on the tutorial's data, from its start\n"
                             "(validation loss dashed)")
    figures.append(figure)

    figure, _ = plot_lr_sweep(X, y, 10.0 ** np.arange(-3, 0.26, 0.25), method="sgd",
                              max_epochs=CURVE_EPOCHS, **start)
    figure.set_size_inches(7, 4.5)
    figure.axes[0].legend(loc="lower left")
    figure.axes[0].set_title(f"The learning rate of per-sample SGD ({CURVE_EPOCHS} epochs):\n"
                             "too small crawls, too large diverges")
    figures.append(figure)

    figure = Figure(figsize=(10, 7.5), layout="constrained")
    axes = figure.subplots(2, 2).ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        for ax, lr, n_iter, note in zip(axes, (0.1, 0.8, 1.1), (30, 30, 10),
                                        ("", ": overshoots", ": blows up")):
            run = minimize(lambda v: v ** 2, -1.0, grad=lambda v: 2 * v, lr=lr,
                           max_iter=n_iter)
            plot_path(lambda v: v ** 2, run, ax=ax)
            ax.set_title(f"f(x) = x² from x = -1, lr = {lr}{note}")
    bowl = lambda v: (v[0] - 1) ** 2 + 5 * v[1] ** 2  # noqa: E731
    run = minimize(bowl, [-1.5, 1.0], grad=lambda v: np.array([2 * (v[0] - 1), 10 * v[1]]),
                   lr=0.09, max_iter=40)
    plot_path(bowl, run, ax=axes[3])
    axes[3].set_title("f(x) = (x[0] - 1)² + 5 x[1]², lr = 0.09")
    figures.append(figure)

    paths = [directory / name for name in GALLERY_FILES]
    for figure, path in zip(figures, paths):
        _save_palette_png(figure, path, dpi)
    return paths


def _save_palette_png(figure, path, dpi):
    """Save ``figure`` as a PNG of at most 256 colours.

    Flat colours and antialiased lines lose nothing visible, and the file is
    a third of the size (the README's gallery stays well under 100 KB a
    figure).  Pillow is a dependency of matplotlib.
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=256).save(path, format="PNG", optimize=True)


def demo_figure(path, x, y, seed_fit, method_fits, sweep_fits):
    """Save the ``fastgd demo`` figure: the seed's fit, update rules, learning rates.

    Three panels side by side: :func:`plot_fit` of the seed's fit,
    :func:`plot_loss` of ``method_fits`` and :func:`plot_loss` of
    ``sweep_fits`` (a diverged rate marked where it diverged).  The figure
    is 15 x 4.5 inches at 100 dpi, rendered with the Agg canvas (no pyplot).

    Parameters
    ----------
    path : str or path-like
        Where the PNG goes (always PNG, whatever the suffix).
    x, y : array-like of shape (n_samples,)
        The seed's input variable and targets.
    seed_fit : FitResult
        The seed's fit, on ``polynomial_features(x, 2)``.
    method_fits : dict of str to FitResult
        Loss curves for the second panel, keyed by legend label.
    sweep_fits : dict of float to FitResult
        Per-sample SGD fits keyed by learning rate, for the third panel.

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> import fastgd
    >>> x = [0.0, 0.5, 1.0, 1.5]
    >>> y = [4.0, 6.0, 9.0, 13.0]
    >>> X = fastgd.polynomial_features(x, 2)
    >>> result = fastgd.fit(X, y, max_epochs=50)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = demo_figure(os.path.join(tmp, "demo.png"), x, y, result,
    ...                        {"sgd": result}, {0.1: result})
    ...     os.path.getsize(path) > 0
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax_fit, ax_methods, ax_sweep = fig.subplots(1, 3)

    plot_fit(x, y, seed_fit, ax=ax_fit)
    ax_fit.set_title(f"The tutorial's fit: y = 2x² + 3x + 4, per-sample SGD\n"
                     f"lr = 0.1, stopped at epoch {seed_fit.n_epochs} (loss < 1e-4)")
    plot_loss(*method_fits.values(), labels=list(method_fits), ax=ax_methods)
    ax_methods.legend(loc="upper right")
    n_epochs = max(result.n_epochs for result in method_fits.values())
    ax_methods.set_title(f"Update rules on the tutorial's data\n{n_epochs} epochs from its "
                         "start, no stop_loss")
    plot_loss(*sweep_fits.values(), labels=[f"lr = {lr:g}" for lr in sweep_fits],
              ax=ax_sweep)
    ax_sweep.legend(loc="lower left")
    ax_sweep.set_title("Learning rate of per-sample SGD\ntoo small crawls, too large "
                       "diverges")

    path = str(path)
    fig.savefig(path, format="png", dpi=DPI)
    return path
