"""Figures of fastgd fits, drawn with matplotlib.

matplotlib is imported inside the functions, so ``import fastgd`` never pays
for it.  :func:`demo_figure` builds a :class:`matplotlib.figure.Figure` and
renders it with the Agg canvas directly: no pyplot, no global backend, so it
works headless and leaves the caller's matplotlib state alone.
"""
import math

import numpy as np

from ._fit import polynomial_features

#: The demo figure's size in inches and resolution: 1500 x 450 pixels.
FIGSIZE = (15, 4.5)
DPI = 100


def plot_fit(ax, x, y, result):
    """Scatter the true ``y`` over ``x`` in red and draw the fit's predictions.

    This is the tutorial's own plot.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array-like of shape (n_samples,)
        The one input variable.
    y : array-like of shape (n_samples,)
        True targets.
    result : FitResult
        A fit on ``polynomial_features(x, degree)``; the degree is the number
        of coefficients.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import fastgd
    >>> from matplotlib.figure import Figure
    >>> x = [0.0, 0.5, 1.0, 1.5]
    >>> y = [4.0, 6.0, 9.0, 13.0]
    >>> result = fastgd.fit(fastgd.polynomial_features(x, 2), y, max_epochs=50)
    >>> ax = plot_fit(Figure().add_subplot(), x, y, result)
    >>> ax.get_xlabel()
    'x'
    """
    x = np.asarray(x, dtype=np.float64)
    degree = result.coef.shape[0]
    prediction = result.predict(polynomial_features(x, degree))
    terms = [f"w{k + 1} = {w:.4f}" for k, w in enumerate(result.coef.tolist())]
    terms.append(f"w{degree + 1} = {result.intercept:.4f}")
    ax.plot(x, prediction, color="tab:blue", linewidth=3, alpha=0.6, label="prediction",
            zorder=2)
    ax.scatter(x, y, s=10, color="tab:red", label="true y", zorder=3)
    ax.text(0.97, 0.04, "\n".join(terms), transform=ax.transAxes, ha="right", va="bottom",
            family="monospace", bbox=dict(boxstyle="round", facecolor="white", alpha=0.8))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_loss_curves(ax, fits):
    """Draw the mean epoch loss of each fit against the epoch, on a log scale.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    fits : dict of str to FitResult
        Legend label of each fit.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import fastgd
    >>> from matplotlib.figure import Figure
    >>> fits = {f"lr = {lr}": fastgd.fit([[1.0], [2.0]], [3.0, 5.0], lr=lr, max_epochs=30)
    ...         for lr in (0.01, 0.1)}
    >>> ax = plot_loss_curves(Figure().add_subplot(), fits)
    >>> ax.get_yscale()
    'log'
    """
    for label, result in fits.items():
        epochs = np.arange(1, result.n_epochs + 1)
        ax.plot(epochs, result.loss_history, linewidth=1.8, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean epoch loss (log scale)")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    return ax


def plot_lr_sweep(ax, fits):
    """Draw per-epoch loss curves for several learning rates, marking divergence.

    A diverged fit's loss leaves the plot: its curve is clipped at the top of
    the axes, where an ``x`` marks the epoch it diverged at.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    fits : dict of float to FitResult
        The fit of each learning rate.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import warnings
    >>> import fastgd
    >>> from matplotlib.figure import Figure
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", fastgd.DivergenceWarning)
    ...     fits = {lr: fastgd.fit([[1.0], [2.0]], [3.0, 5.0], lr=lr, max_epochs=100)
    ...             for lr in (0.1, 2.0)}
    >>> ax = plot_lr_sweep(Figure().add_subplot(), fits)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['lr = 0.1', 'lr = 2: diverged at epoch 75']
    """
    finite = [result.loss_history for result in fits.values() if not result.diverged]
    finite_losses = np.concatenate(finite) if finite else np.array([1.0])
    finite_losses = finite_losses[np.isfinite(finite_losses) & (finite_losses > 0)]
    # The diverging loss reaches 1e300 and beyond; on a log axis scaled to it
    # the converging curves would flatten into the bottom few percent.
    top = 10.0 ** (math.ceil(math.log10(finite_losses.max())) + 2)
    bottom = 10.0 ** (math.floor(math.log10(finite_losses.min())) - 1)
    for lr, result in fits.items():
        epochs = np.arange(1, result.n_epochs + 1)
        if not result.diverged:
            ax.plot(epochs, result.loss_history, linewidth=1.8, label=f"lr = {lr:g}")
            continue
        # Losses above the axes run along its top edge, so the curve stays
        # visible up to the x that marks the epoch it diverged at.
        clipped = np.minimum(np.nan_to_num(result.loss_history, posinf=top), top)
        (line,) = ax.plot(epochs, clipped, linewidth=2.5, linestyle="--", clip_on=False)
        ax.plot([result.n_epochs], [top], marker="x", markersize=12, markeredgewidth=3,
                linestyle="none", color=line.get_color(), clip_on=False, zorder=5,
                label=f"lr = {lr:g}: diverged at epoch {result.n_epochs}")
        if result.loss_history[0] > top:
            ax.annotate(f"lr = {lr:g}: loss {result.loss_history[0]:.0e} at epoch 1,\n"
                        "off the scale until it overflows",
                        xy=(result.n_epochs, top), xytext=(8, -6), textcoords="offset points",
                        va="top", color=line.get_color(), fontsize="small")
    ax.set_yscale("log")
    ax.set_ylim(bottom, top)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean epoch loss (log scale)")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return ax


def demo_figure(path, x, y, seed_fit, method_fits, sweep_fits):
    """Save the ``fastgd demo`` figure: the seed's fit, update rules, learning rates.

    Three panels side by side: :func:`plot_fit` of the seed's fit,
    :func:`plot_loss_curves` of ``method_fits`` and :func:`plot_lr_sweep` of
    ``sweep_fits``.  The figure is 15 x 4.5 inches at 100 dpi, rendered with
    the Agg canvas (no pyplot).

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

    plot_fit(ax_fit, x, y, seed_fit)
    ax_fit.set_title(f"The tutorial's fit: y = 2x² + 3x + 4, per-sample SGD\n"
                     f"lr = 0.1, stopped at epoch {seed_fit.n_epochs} (loss < 1e-4)")
    plot_loss_curves(ax_methods, method_fits)
    n_epochs = max(result.n_epochs for result in method_fits.values())
    ax_methods.set_title(f"Update rules on the tutorial's data\n{n_epochs} epochs from its "
                         "start, no stop_loss")
    plot_lr_sweep(ax_sweep, sweep_fits)
    ax_sweep.set_title("Learning rate of per-sample SGD\ntoo small crawls, too large "
                       "diverges")

    path = str(path)
    fig.savefig(path, format="png", dpi=DPI)
    return path
