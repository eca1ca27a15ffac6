"""fastgd.plot: each figure renders headless to a PNG, with the structure it promises."""
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: the show=True tests use it

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import fastgd  # noqa: E402
from fastgd import plot  # noqa: E402
from fastgd.demo import CURVE_EPOCHS, SEED_SETTINGS, seed_data  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GALLERY = Path(__file__).resolve().parents[1] / "docs" / "gallery"


def save_png(figure, path, min_size=5_000, max_size=1_000_000):
    """Render ``figure`` to ``path`` with Agg and check it is a plausible PNG."""
    figure.savefig(path, dpi=100)
    check_png(path, min_size, max_size)
    return path


def check_png(path, min_size=5_000, max_size=1_000_000):
    assert path.exists()
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert min_size < len(data) < max_size, len(data)


def x_markers(ax):
    return [line for line in ax.get_lines() if line.get_marker() == "x"]


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def seed_fit():
    x, y = seed_data()
    return x, y, fastgd.fit(fastgd.polynomial_features(x, 2), y, **SEED_SETTINGS)


def fit_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        return fastgd.fit(*args, **kwargs)


# --------------------------------------------------------------------------
# plot_fit

def test_plot_fit_one_variable_draws_the_seed_scatter_and_curve(tmp_path, seed_fit):
    x, y, result = seed_fit
    figure = plot.plot_fit(x, y, result)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert len(ax.lines) == 1  # the fitted curve
    assert len(ax.collections) == 2  # true y (red) and the predictions
    curve = ax.lines[0]
    assert np.all(np.diff(curve.get_xdata()) > 0)  # drawn over sorted x
    np.testing.assert_allclose(curve.get_ydata()[0],
                               result.intercept + 0.0, rtol=1e-12)  # x = 0 is the first
    assert legend_texts(ax) == ["fitted curve", "prediction", "true y"]
    assert "w3 = 4.0600" in ax.texts[0].get_text()
    save_png(figure, tmp_path / "fit.png")


def test_plot_fit_unsorted_x_still_draws_a_sorted_curve(seed_fit):
    x, y, result = seed_fit
    order = np.random.default_rng(0).permutation(len(x))
    figure = plot.plot_fit(np.asarray(x)[order], np.asarray(y)[order], result)
    assert np.all(np.diff(figure.axes[0].lines[0].get_xdata()) > 0)


def test_plot_fit_features_scatter_y_against_prediction(tmp_path, seed_fit):
    x, y, result = seed_fit
    X = fastgd.polynomial_features(x, 2)
    figure = plot.plot_fit(X, y, result)
    (ax,) = figure.axes
    assert ax.get_xlabel() == "true y" and ax.get_ylabel() == "prediction"
    (identity,) = ax.lines
    assert list(identity.get_xdata()) == list(identity.get_ydata())  # the line y = x
    (scatter,) = ax.collections
    offsets = scatter.get_offsets()
    np.testing.assert_array_equal(offsets[:, 0], y)
    np.testing.assert_array_equal(offsets[:, 1], result.predict(X))
    assert ax.texts[0].get_text().startswith("R² = 0.99")
    save_png(figure, tmp_path / "fit2d.png")


def test_plot_fit_draws_on_a_given_axes_and_returns_its_figure(seed_fit):
    x, y, result = seed_fit
    figure = Figure()
    ax = figure.subplots(1, 2)[1]
    assert plot.plot_fit(x, y, result, ax=ax) is figure
    assert len(ax.lines) == 1 and not figure.axes[0].lines
    # On a SubFigure's Axes, the Figure that can be saved is returned.
    subfigure = figure.subfigures(1, 1)
    assert plot.plot_fit(x, y, result, ax=subfigure.add_subplot()) is figure


@pytest.mark.parametrize("X, y, match", [
    ([[[1.0]]], [1.0], "X must be 1-D"),
    (np.ones((3, 3)), [1.0, 2.0, 3.0], "X has 3 columns but result was fitted on 2"),
    ([], [], "X is empty"),
    ([0.0, np.nan, 1.0], [1.0, 2.0, 3.0], "X contains NaN"),
    (["a", "b"], [1.0, 2.0], "X must be an array of real numbers"),
    ([0.0, 1.0, 2.0], [1.0, 2.0], r"y must be 1-D with one value per sample of X \(3\)"),
    ([0.0, 1.0], [[1.0, 2.0]], "y must be 1-D"),
    ([0.0, 1.0], [1.0, np.inf], "y contains NaN"),
])
def test_plot_fit_bad_data_is_a_value_error(seed_fit, X, y, match):
    with pytest.raises(ValueError, match=match):
        plot.plot_fit(X, y, seed_fit[2])


def test_plot_fit_bad_result_and_ax_are_value_errors(seed_fit):
    x, y, result = seed_fit
    with pytest.raises(ValueError, match="result must be a fastgd result with coef, predict"):
        plot.plot_fit(x, y, {"coef": [1.0]})
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes"):
        plot.plot_fit(x, y, result, ax=Figure())
    with pytest.raises(ValueError, match="show must be True or False"):
        plot.plot_fit(x, y, result, show="yes")


# --------------------------------------------------------------------------
# plot_loss

@pytest.fixture(scope="module")
def seed_curves():
    X, y = fastgd.polynomial_features(seed_data()[0], 2), seed_data()[1]
    start = dict(coef_init=SEED_SETTINGS["coef_init"],
                 intercept_init=SEED_SETTINGS["intercept_init"], max_epochs=60)
    return {
        "sgd": fastgd.fit(X, y, **start),
        "batch": fastgd.fit(X, y, method="batch", lr=0.5, **start),
        "adam": fastgd.fit(X, y, method="minibatch", batch_size=10, optimizer="adam",
                           lr=0.05, early_stopping=True, random_state=0, **start),
        "diverged": fit_quietly(X, y, lr=0.8, **start),
    }


def test_plot_loss_one_log_scaled_line_per_result(tmp_path, seed_curves):
    sgd, batch = seed_curves["sgd"], seed_curves["batch"]
    figure = plot.plot_loss(sgd, batch)
    (ax,) = figure.axes
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch"
    assert len(ax.lines) == 2
    assert [line.get_linestyle() for line in ax.lines] == ["-", "-"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, sgd.n_epochs + 1))
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), batch.loss_history)
    assert legend_texts(ax) == ["sgd", "batch"]  # default labels: the methods
    assert not x_markers(ax)
    save_png(figure, tmp_path / "loss.png")


def test_plot_loss_default_labels_name_optimizer_schedule_and_tied_rates():
    X, y = [[1.0], [2.0], [3.0]], [1.0, 2.0, 3.0]
    fits = [fastgd.fit(X, y, lr=lr, max_epochs=5) for lr in (0.01, 0.02)]
    fits.append(fastgd.fit(X, y, method="minibatch", optimizer="adam", schedule="invscaling",
                           max_epochs=5))
    ax = plot.plot_loss(*fits).axes[0]
    assert legend_texts(ax) == ["sgd, lr = 0.01", "sgd, lr = 0.02",
                                "minibatch, adam, invscaling schedule, lr = 0.1"]
    ax = plot.plot_loss(*fits, labels=["a", "b", "c"]).axes[0]
    assert legend_texts(ax) == ["a", "b", "c"]


def test_plot_loss_validation_loss_is_dashed_in_the_same_colour(tmp_path, seed_curves):
    adam = seed_curves["adam"]
    assert adam.validation_loss_history is not None
    figure = plot.plot_loss(adam, labels=["adam"])
    train, held_out = figure.axes[0].lines
    assert (train.get_linestyle(), held_out.get_linestyle()) == ("-", "--")
    assert train.get_color() == held_out.get_color()
    np.testing.assert_array_equal(held_out.get_ydata(), adam.validation_loss_history)
    assert legend_texts(figure.axes[0]) == ["adam", "adam (validation)"]
    save_png(figure, tmp_path / "validation.png")
    assert len(plot.plot_loss(adam, validation=False).axes[0].lines) == 1


def test_plot_loss_marks_a_divergence_at_the_top(tmp_path, seed_curves):
    diverged = seed_curves["diverged"]
    assert diverged.diverged
    figure = plot.plot_loss(seed_curves["sgd"], diverged, labels=["lr = 0.1", "lr = 0.8"])
    (ax,) = figure.axes
    (marker,) = x_markers(ax)
    bottom, top = ax.get_ylim()
    assert list(marker.get_xdata()) == [diverged.n_epochs]
    assert list(marker.get_ydata()) == [top]
    assert f"lr = 0.8: diverged at epoch {diverged.n_epochs}" in legend_texts(ax)
    # The scale is the converging fit's, and the diverged curve is clipped to it.
    assert top <= 100 * 10 ** math.ceil(math.log10(seed_curves["sgd"].loss_history.max()))
    assert np.all(np.asarray(ax.lines[1].get_ydata()) <= top)
    save_png(figure, tmp_path / "diverged.png")


def test_plot_loss_of_diverged_fits_only_still_renders(tmp_path, seed_curves):
    figure = plot.plot_loss(seed_curves["diverged"])
    assert len(x_markers(figure.axes[0])) == 1
    save_png(figure, tmp_path / "only_diverged.png")


def test_plot_loss_draws_on_a_given_axes(seed_curves):
    figure = Figure()
    ax = figure.add_subplot()
    assert plot.plot_loss(seed_curves["sgd"], ax=ax) is figure
    assert len(ax.lines) == 1


@pytest.mark.parametrize("call, match", [
    (lambda r: plot.plot_loss(), "plot_loss needs at least one result"),
    (lambda r: plot.plot_loss([r, r]), r"separate arguments: plot_loss\(\*results\)"),
    (lambda r: plot.plot_loss(r, labels=["a", "b"]), "labels has 2 entries for 1 results"),
    (lambda r: plot.plot_loss(r, labels="a"), "labels must be a sequence of 1 strings"),
    (lambda r: plot.plot_loss(r, object()), r"results\[1\] must be a fastgd result with "
                                            "loss_history"),
    (lambda r: plot.plot_loss(r, validation="no"), "validation must be True or False"),
    (lambda r: plot.plot_loss(SimpleNamespace(loss_history=[[1.0]])),
     r"results\[0\].loss_history must be 1-D"),
])
def test_plot_loss_bad_input_is_a_value_error(seed_curves, call, match):
    with pytest.raises(ValueError, match=match):
        call(seed_curves["sgd"])


# --------------------------------------------------------------------------
# plot_lr_sweep

@pytest.fixture(scope="module")
def seed_sweep():
    x, y = seed_data()
    lrs = [1.0, 0.001, 0.1, 0.01]  # unsorted on purpose
    figure, results = plot.plot_lr_sweep(
        fastgd.polynomial_features(x, 2), y, lrs, max_epochs=CURVE_EPOCHS,
        coef_init=SEED_SETTINGS["coef_init"], intercept_init=SEED_SETTINGS["intercept_init"])
    return lrs, figure, results


def test_plot_lr_sweep_runs_one_fit_per_rate_in_the_given_order(seed_sweep):
    lrs, _, results = seed_sweep
    assert [result.params["lr"] for result in results] == lrs
    assert [result.diverged for result in results] == [True, False, False, False]
    assert all(result.n_epochs == CURVE_EPOCHS for result in results[1:])


def test_plot_lr_sweep_plots_final_loss_on_log_log_axes(tmp_path, seed_sweep):
    _, figure, results = seed_sweep
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    curve = ax.lines[0]
    assert list(curve.get_xdata()) == [0.001, 0.01, 0.1]  # sorted, diverged left out
    assert list(curve.get_ydata()) == [results[k].loss_history[-1] for k in (1, 3, 2)]
    # The tutorial's trade-off: the larger working rate reached the lower loss.
    assert curve.get_ydata()[0] > curve.get_ydata()[1] > curve.get_ydata()[2]
    save_png(figure, tmp_path / "lr_sweep.png")


def test_plot_lr_sweep_marks_diverged_rates_with_an_x_at_the_top(seed_sweep):
    _, figure, _ = seed_sweep
    (ax,) = figure.axes
    (marker,) = x_markers(ax)
    assert list(marker.get_xdata()) == [1.0]
    assert list(marker.get_ydata()) == [ax.get_ylim()[1]]
    assert legend_texts(ax) == [f"final loss after {CURVE_EPOCHS} epochs", "diverged"]


def test_plot_lr_sweep_without_divergence_has_no_diverged_entry(tmp_path):
    ax_figure = Figure()
    ax = ax_figure.add_subplot()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of any kind escapes
        figure, results = plot.plot_lr_sweep([[1.0], [2.0]], [3.0, 5.0], [0.01, 0.1],
                                             ax=ax, max_epochs=20)
    assert figure is ax_figure
    assert not any(result.diverged for result in results)
    assert not x_markers(ax)
    assert legend_texts(ax) == ["final loss after 20 epochs"]
    save_png(figure, tmp_path / "sweep_ok.png")


def test_plot_lr_sweep_catches_the_divergence_warning():
    # pyproject turns DivergenceWarning into an error: the sweep must catch its own.
    _, results = plot.plot_lr_sweep([[1.0], [2.0]], [3.0, 5.0], [5.0], max_epochs=100)
    assert results[0].diverged


@pytest.mark.parametrize("lrs, kwargs, match", [
    ([], {}, "lrs must be a non-empty 1-D sequence"),
    ([[0.1, 0.2]], {}, "lrs must be a non-empty 1-D sequence"),
    ([0.1, -0.1], {}, "lrs must all be finite and > 0"),
    ([0.1, float("nan")], {}, "lrs must all be finite and > 0"),
    (["fast"], {}, "lrs must be an array of real numbers"),
    ([0.1], {"lr": 0.1}, "takes the learning rates in lrs, not lr="),
    ([0.1], {"max_epochs": 0}, "max_epochs"),  # fastgd.fit's own error
])
def test_plot_lr_sweep_bad_input_is_a_value_error(lrs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot.plot_lr_sweep([[1.0], [2.0]], [3.0, 5.0], lrs, **kwargs)


def test_plot_lr_sweep_bad_data_is_fits_value_error():
    with pytest.raises(ValueError, match="y"):
        plot.plot_lr_sweep([[1.0], [2.0]], [3.0], [0.1])


# --------------------------------------------------------------------------
# plot_path

def parabola_path(lr=0.1, n_iter=10, x0=-1.0):
    """A stand-in for fastgd.minimize's result: the tutorial's x <- x - lr * 2x."""
    path = [x0]
    for _ in range(n_iter):
        path.append(path[-1] - lr * 2 * path[-1])
    return SimpleNamespace(x=path[-1], fun=path[-1] ** 2, n_iter=n_iter, converged=False,
                           diverged=False, path=np.array(path))


def bowl(v):
    return (v[0] - 1) ** 2 + 10 * (v[1] + 2) ** 2


def bowl_gradient(v):
    return np.array([2 * (v[0] - 1), 20 * (v[1] + 2)])


def test_plot_path_one_variable_draws_the_parabola_points_and_arrows(tmp_path):
    run = parabola_path()
    figure = plot.plot_path(lambda x: x ** 2, run)
    (ax,) = figure.axes
    curve, points, start, end = ax.lines
    xs = curve.get_xdata()
    np.testing.assert_allclose(curve.get_ydata(), xs ** 2)
    # Both arms of the parabola: centred on the lowest point reached, the end.
    np.testing.assert_allclose(xs.min() + xs.max(), 2 * run.path[-1])
    assert xs.min() < run.path[0] and xs.max() > -run.path[0] + 2 * run.path[-1]
    np.testing.assert_array_equal(points.get_xdata(), run.path)
    np.testing.assert_allclose(points.get_ydata(), run.path ** 2)
    assert len(ax.texts) == run.n_iter  # one arrow per step
    assert (start.get_xdata()[0], end.get_xdata()[0]) == (run.path[0], run.path[-1])
    assert end.get_marker() == "*"
    assert ax.get_xscale() == ax.get_yscale() == "linear"
    assert not ax.collections  # no contours for one variable
    save_png(figure, tmp_path / "path1d.png")


def test_plot_path_arrows_stop_after_max_arrows():
    figure = plot.plot_path(lambda x: x ** 2, parabola_path(n_iter=100))
    assert len(figure.axes[0].texts) == plot.MAX_ARROWS


def test_plot_path_calls_a_scalar_only_f_point_by_point():
    # math.exp refuses arrays: the grid is then evaluated one point at a time.
    run = parabola_path(lr=0.1, n_iter=5, x0=1.0)
    figure = plot.plot_path(lambda x: math.exp(x) - x, run)
    curve = figure.axes[0].lines[0]
    np.testing.assert_allclose(curve.get_ydata(), np.exp(curve.get_xdata()) - curve.get_xdata())


def test_plot_path_accepts_a_column_path():
    run = parabola_path()
    run.path = run.path[:, None]
    assert len(plot.plot_path(lambda x: x ** 2, run).axes[0].lines) == 4


def test_plot_path_two_variables_draws_contours_and_the_path(tmp_path):
    path = np.array([[0.0, 0.0], [0.08, -1.6], [0.15, -1.92], [0.22, -1.98]])
    run = SimpleNamespace(x=path[-1], fun=bowl(path[-1]), n_iter=3, converged=False,
                          diverged=False, path=path)
    figure = plot.plot_path(bowl, run)
    (ax,) = figure.axes
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1
    assert len(contours[0].levels) >= 5
    line, start, end = ax.lines
    np.testing.assert_array_equal(np.column_stack([line.get_xdata(), line.get_ydata()]), path)
    assert len(ax.texts) == 3
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x[0]", "x[1]")
    save_png(figure, tmp_path / "path2d.png")


def test_plot_path_of_the_real_minimize(tmp_path):
    minimize = fastgd.minimize
    scalar = minimize(lambda x: x ** 2, -1, lr=0.1, max_iter=50)
    ax = plot.plot_path(lambda x: x ** 2, scalar).axes[0]
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), scalar.path)
    vector = minimize(bowl, [0.0, 0.0], grad=bowl_gradient, lr=0.04)
    assert vector.path.shape[1] == 2
    figure = plot.plot_path(bowl, vector)
    assert any(isinstance(c, ContourSet) for c in figure.axes[0].collections)
    assert "converged" in legend_texts(figure.axes[0])[-1]
    save_png(figure, tmp_path / "minimize.png")


def test_plot_path_of_a_diverged_minimize_ends_in_a_cross(tmp_path):
    minimize = fastgd.minimize
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        run = minimize(lambda x: x ** 2, -1, lr=1.1)
    assert run.diverged
    figure = plot.plot_path(lambda x: x ** 2, run)
    ax = figure.axes[0]
    assert ax.lines[-1].get_marker() == "x"
    assert legend_texts(ax)[-1] == "diverged (last finite point)"
    # It ran until x**2 overflowed: only symmetric-log axes show all its steps.
    assert (ax.get_xscale(), ax.get_yscale()) == ("symlog", "symlog")
    assert ax.get_ylim()[1] >= run.fun
    save_png(figure, tmp_path / "diverged_path.png")  # values up to 1e308 still render


def test_plot_path_draws_on_a_given_axes():
    figure = Figure()
    ax = figure.add_subplot()
    assert plot.plot_path(lambda x: x ** 2, parabola_path(), ax=ax) is figure


@pytest.mark.parametrize("f, path, match", [
    ("x**2", [1.0, 0.5], "f must be the callable that was minimized"),
    (bowl, np.zeros((3, 3)), r"one or two variables.*got \(3, 3\)"),
    (bowl, np.zeros((2, 2, 2)), r"one or two variables.*got \(2, 2, 2\)"),
    (bowl, [], "result.path is empty"),
    (bowl, [np.nan, np.inf], "result.path has no finite point"),
    (lambda x: np.array([x, x]), [1.0, 0.5], "f must return a scalar"),
])
def test_plot_path_bad_input_is_a_value_error(f, path, match):
    run = SimpleNamespace(x=0.0, fun=0.0, n_iter=1, converged=False, diverged=False,
                          path=np.asarray(path, dtype=float))
    with pytest.raises(ValueError, match=match):
        plot.plot_path(f, run)


def test_plot_path_needs_a_result_with_a_path(seed_fit):
    with pytest.raises(ValueError, match="result must be a fastgd result with path"):
        plot.plot_path(lambda x: x ** 2, seed_fit[2])


# --------------------------------------------------------------------------
# show=True, and never pyplot otherwise

def test_show_true_calls_pyplot_show_once(monkeypatch, seed_fit, seed_curves):
    import matplotlib.pyplot as plt

    calls = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: calls.append(args))
    x, y, result = seed_fit
    before = set(plt.get_fignums())
    figures = [plot.plot_fit(x, y, result, show=True),
               plot.plot_loss(seed_curves["sgd"], show=True),
               plot.plot_lr_sweep([[1.0], [2.0]], [3.0, 5.0], [0.1], max_epochs=5,
                                  show=True)[0],
               plot.plot_path(lambda v: v ** 2, parabola_path(), show=True)]
    assert len(calls) == 4
    for figure in figures:  # pyplot figures, so that there is something to show
        assert figure.number in plt.get_fignums()
        plt.close(figure)
    assert set(plt.get_fignums()) == before


def test_without_show_no_pyplot_figure_is_created(monkeypatch, seed_fit, seed_curves):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    before = plt.get_fignums()
    x, y, result = seed_fit
    plot.plot_fit(x, y, result)
    plot.plot_loss(seed_curves["sgd"])
    plot.plot_path(lambda v: v ** 2, parabola_path())
    assert plt.get_fignums() == before


# --------------------------------------------------------------------------
# The gallery

def test_gallery_writes_the_four_pngs(tmp_path):
    import matplotlib.image

    paths = plot.gallery(tmp_path / "gallery")
    assert [path.name for path in paths] == ["fit.png", "loss.png", "lr_sweep.png",
                                             "path.png"]
    assert sorted(p.name for p in (tmp_path / "gallery").iterdir()) == sorted(
        plot.GALLERY_FILES)
    for path in paths:
        check_png(path, min_size=5_000, max_size=100_000)
        height, width = matplotlib.image.imread(path).shape[:2]
        assert 600 <= width <= 1200 and 400 <= height <= 800  # about 100 dpi


@pytest.mark.parametrize("name", plot.GALLERY_FILES)
def test_the_checked_in_gallery_is_there_for_the_readme(name):
    if not GALLERY.is_dir():
        pytest.skip("not a source checkout")
    check_png(GALLERY / name, min_size=5_000, max_size=100_000)


# --------------------------------------------------------------------------
# import fastgd stays free of matplotlib

def test_fitting_never_imports_matplotlib(tmp_path):
    # From outside the checkout, so that the installed fastgd is the one imported.
    code = textwrap.dedent("""
        import sys
        import fastgd
        import fastgd.plot
        result = fastgd.fit(fastgd.polynomial_features([0.0, 0.5, 1.0], 2), [4.0, 6.0, 9.0],
                            max_epochs=20)
        assert result.n_epochs == 20
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "matplotlib")
        print(loaded)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
