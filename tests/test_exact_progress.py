"""The closed form (fastgd.exact_solution, FitResult.distance_to) and fit(progress=True)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastgd


def tutorial():
    x = np.array([0.01 * i for i in range(100)])
    return fastgd.polynomial_features(x, 2), 2 * x**2 + 3 * x + 4


def test_exact_solution_recovers_the_tutorial_polynomial():
    X, y = tutorial()
    best = fastgd.exact_solution(X, y)
    np.testing.assert_allclose(best.coef, [2.0, 3.0], rtol=1e-12)
    assert best.intercept == pytest.approx(4.0, rel=1e-12)
    assert best.loss < 1e-25


def test_exact_solution_is_the_least_squares_minimum():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0] + 1.5 + rng.standard_normal(200)
    best = fastgd.exact_solution(X, y)
    design = np.hstack([X, np.ones((200, 1))])
    normal = np.linalg.solve(design.T @ design, design.T @ y)
    np.testing.assert_allclose(np.append(best.coef, best.intercept), normal, rtol=1e-10)
    assert best.loss == pytest.approx(np.mean((design @ normal - y) ** 2), rel=1e-12)
    # Any other weights do worse.
    for _ in range(5):
        nudged = normal + 1e-3 * rng.standard_normal(5)
        assert np.mean((design @ nudged - y) ** 2) > best.loss


def test_exact_solution_weights_and_no_intercept():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 2))
    y = X @ [1.0, 2.0] + rng.standard_normal(50)
    weights = rng.random(50)
    weighted = fastgd.exact_solution(X, y, sample_weight=weights, fit_intercept=False)
    manual = np.linalg.solve(X.T @ (X * weights[:, None]), X.T @ (weights * y))
    np.testing.assert_allclose(weighted.coef, manual, rtol=1e-10)
    assert weighted.intercept == 0.0
    residual = X @ weighted.coef - y
    assert weighted.loss == pytest.approx(np.sum(weights * residual**2) / 50, rel=1e-12)


def test_descent_approaches_the_closed_form():
    X, y = tutorial()
    best = fastgd.exact_solution(X, y)
    distances = [fastgd.fit(X, y, method="batch", lr=0.5, max_epochs=epochs).distance_to(best)
                 for epochs in (10, 100, 1000, 10000)]
    assert distances == sorted(distances, reverse=True) and distances[-1] < 1e-3
    with pytest.raises(ValueError, match="coefficients"):
        fastgd.fit(X, y, max_epochs=1).distance_to(fastgd.exact_solution(X[:, :1], y))


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=[1.0, 2.0], y=[1.0, 2.0]), "X must be a 2-D array"),
    (dict(X=[[1.0], [np.nan]], y=[1.0, 2.0]), "X contains NaN"),
    (dict(X=[[1.0], [2.0]], y=[1.0]), "y has 1 values"),
    (dict(X=[[1.0], [2.0]], y=[1.0, 2.0], fit_intercept="yes"), "fit_intercept"),
    (dict(X=[[1.0], [2.0]], y=[1.0, 2.0], sample_weight=[-1.0, 1.0]), "sample_weight"),
])
def test_exact_solution_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastgd.exact_solution(**kwargs)


def test_progress_bar_shows_epochs_and_loss_without_changing_the_fit(capsys):
    X, y = tutorial()
    plain = fastgd.fit(X, y, max_epochs=300, lr=0.1)
    shown = fastgd.fit(X, y, max_epochs=300, lr=0.1, progress=True)
    err = capsys.readouterr().err
    assert "300/300" in err and "epoch" in err and "loss=" in err
    assert shown.coef.tobytes() == plain.coef.tobytes()
    assert shown.loss_history.tobytes() == plain.loss_history.tobytes()


def test_progress_without_tqdm_says_what_to_install(tmp_path):
    code = textwrap.dedent("""
        import sys
        sys.modules["tqdm"] = None  # as if tqdm were not installed
        import fastgd
        try:
            fastgd.fit([[0.0], [1.0]], [0.0, 1.0], progress=True)
        except ImportError as exc:
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert "pip install tqdm" in done.stdout, done.stdout + done.stderr


def test_progress_must_be_a_bool():
    with pytest.raises(ValueError, match="progress must be True or False"):
        fastgd.fit([[0.0], [1.0]], [0.0, 1.0], progress="yes")
