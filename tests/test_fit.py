"""Behaviour of fastgd.fit beyond bit identity: methods, stopping, divergence, callbacks."""
import numpy as np
import pytest

import fastgd

BACKENDS = ["cython", "python"]


def small_problem(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ np.array([1.0, -2.0, 0.5])[:d] + 3.0


def test_polynomial_features_columns_highest_power_first():
    x = np.array([0.5, 2.0, -3.0])
    F = fastgd.polynomial_features(x, 3)
    assert F.shape == (3, 3) and F.flags.c_contiguous and F.dtype == np.float64
    assert F.tolist() == [[v**3, v**2, v] for v in x.tolist()]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_every_method_recovers_a_linear_model(method, backend):
    X, y = small_problem()
    result = fastgd.fit(X, y, method=method, lr=0.05, max_epochs=1000, batch_size=8,
                        backend=backend)
    assert np.allclose(result.coef, [1.0, -2.0, 0.5], atol=1e-6)
    assert abs(result.intercept - 3.0) < 1e-6
    assert result.loss_history[-1] < 1e-10 < result.loss_history[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_update_is_the_mean_gradient_step(backend):
    """One full-batch epoch: loss is the mean squared residual at the start, and
    the step is lr times the mean (or summed) gradient, checked with NumPy."""
    X, y = small_problem()
    w0, b0, lr = np.array([0.1, 0.2, 0.3]), 0.4, 0.01
    residual = X @ w0 + b0 - y
    for reduction, scale in (("mean", 1 / len(y)), ("sum", 1.0)):
        result = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=1, coef_init=w0,
                            intercept_init=b0, reduction=reduction, backend=backend)
        assert result.loss_history[0] == pytest.approx(np.mean(residual**2), rel=1e-12)
        np.testing.assert_allclose(result.coef, w0 - lr * scale * 2 * X.T @ residual,
                                   rtol=1e-12)
        assert result.intercept == pytest.approx(b0 - lr * scale * 2 * residual.sum(),
                                                  rel=1e-12)


def test_minibatch_larger_than_n_is_one_batch_and_size_one_with_sum_is_sgd():
    X, y = small_problem()
    kwargs = dict(lr=0.01, max_epochs=4)
    big = fastgd.fit(X, y, method="minibatch", batch_size=10**6, **kwargs)
    batch = fastgd.fit(X, y, method="batch", **kwargs)
    assert big.coef.tolist() == batch.coef.tolist()
    one = fastgd.fit(X, y, method="minibatch", batch_size=1, reduction="sum", **kwargs)
    sgd = fastgd.fit(X, y, method="sgd", **kwargs)
    assert one.coef.tolist() == sgd.coef.tolist()
    assert one.loss_history.tolist() == sgd.loss_history.tolist()


def test_fit_intercept_false_keeps_intercept_init():
    X, y = small_problem()
    result = fastgd.fit(X, y, fit_intercept=False, intercept_init=1.5, lr=0.01, max_epochs=5)
    assert result.intercept == 1.5


def test_max_epochs_without_stop_runs_them_all_and_matches_epoch_by_epoch():
    X, y = small_problem(n=5)
    result = fastgd.fit(X, y, lr=1e-4, max_epochs=2500)
    assert result.n_epochs == 2500 == len(result.loss_history)
    assert not result.converged and not result.diverged
    stepwise = fastgd.fit(X, y, lr=1e-4, max_epochs=2500, callback=lambda *a: None)
    assert stepwise.coef.tolist() == result.coef.tolist()
    assert stepwise.loss_history.tolist() == result.loss_history.tolist()


def test_huge_max_epochs_with_stop_loss_allocates_nothing_huge(seed):
    X, y, settings = seed
    settings["max_epochs"] = 10**12
    result = fastgd.fit(X, y, **settings)
    assert result.n_epochs == 50 and result.converged


@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_returns_last_finite_weights_and_warns(seed, backend):
    X, y, settings = seed
    settings.update(lr=1.0, stop_loss=None)  # the seed's question 2: too large a rate
    with pytest.warns(fastgd.DivergenceWarning, match=r"diverged at epoch 7 .*smaller lr"):
        result = fastgd.fit(X, y, backend=backend, **settings)
    assert result.diverged and not result.converged
    assert result.n_epochs == 7 and not np.isfinite(result.loss_history[-1])
    assert np.isfinite(result.coef).all() and np.isfinite(result.intercept)
    # The returned weights are exactly those after epoch 6.
    before = fastgd.fit(X, y, backend=backend, **{**settings, "max_epochs": 6})
    assert not before.diverged
    assert before.coef.tolist() == result.coef.tolist()
    assert before.intercept == result.intercept
    assert before.loss_history.tolist() == result.loss_history[:-1].tolist()


def test_divergence_in_first_epoch_returns_initial_weights():
    X = np.array([[1e200], [1e200]])
    with pytest.warns(fastgd.DivergenceWarning, match=r"epoch 1 .*weights of the start"):
        result = fastgd.fit(X, [1.0, 2.0], lr=1.0, coef_init=[0.5], intercept_init=0.25)
    assert result.diverged and result.n_epochs == 1
    assert result.coef.tolist() == [0.5] and result.intercept == 0.25
    assert not np.isfinite(result.loss_history[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_verbose_prints_one_line_per_epoch(seed, backend, capsys):
    X, y, settings = seed
    result = fastgd.fit(X, y, verbose=True, backend=backend, **settings)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == result.n_epochs == 50
    assert lines[0].startswith("epoch 1, loss ") and lines[-1].startswith("epoch 50, loss ")
    assert float(lines[-1].split()[-1]) == pytest.approx(result.loss_history[-1], rel=1e-5)


def test_verbose_shows_rate_and_validation_loss_when_they_matter(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = X @ [1.0, 2.0, 3.0]
    result = fastgd.fit(X, y, method="batch", lr=0.1, max_epochs=3, verbose=True,
                        schedule="exponential", schedule_params={"gamma": 0.5},
                        early_stopping=True, random_state=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, loss, rate, held_out in zip(lines, result.loss_history, result.lr_history,
                                          result.validation_loss_history):
        assert line.split(", ")[1:] == [f"loss {loss:.6g}", f"validation loss {held_out:.6g}",
                                        f"lr {rate:.6g}"]
    assert result.lr_history.tolist() == [0.1, 0.05, 0.025]


def test_callback_stop_is_the_stop_reason(seed):
    X, y, settings = seed
    result = fastgd.fit(X, y, callback=lambda epoch, *rest: epoch < 3, **settings)
    assert (result.n_epochs, result.stop_reason, result.converged) == (3, "callback", False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_callback_sees_each_epoch_and_can_stop(seed, backend):
    X, y, settings = seed
    seen = []

    def callback(epoch, loss, coef, intercept):
        seen.append((epoch, loss, coef.tolist(), intercept))
        coef[:] = 1e9  # a copy: must not disturb the fit
        return False if epoch == 7 else None

    result = fastgd.fit(X, y, callback=callback, backend=backend, **settings)
    assert result.stopped_by_callback and result.n_epochs == 7
    assert [s[0] for s in seen] == list(range(1, 8))
    assert [s[1] for s in seen] == result.loss_history.tolist()
    assert seen[-1][2] == result.coef.tolist() and seen[-1][3] == result.intercept
    plain = fastgd.fit(X, y, backend=backend, **{**settings, "max_epochs": 7})
    assert plain.coef.tolist() == result.coef.tolist()


def test_results_are_reproducible_across_calls(seed):
    X, y, settings = seed
    a = fastgd.fit(X, y, shuffle=True, random_state=3, **settings)
    b = fastgd.fit(X, y, shuffle=True, random_state=3, **settings)
    c = fastgd.fit(X, y, shuffle=True, random_state=4, **settings)
    assert a.coef.tolist() == b.coef.tolist()
    assert a.coef.tolist() != c.coef.tolist()


def test_long_fits_return_to_python_often(monkeypatch):
    """Epochs run in blocks sized to ~0.2 s, so Ctrl-C is seen soon; the
    blocks never change the result."""
    from fastgd import _fit

    sizes = []
    real = _fit._RUNNERS["cython"]

    def recording(*args):
        sizes.append(len(args[-4]))  # loss_out
        return real(*args)

    rng = np.random.default_rng(3)
    X = rng.standard_normal((20000, 100))  # 2e6 values: the first block is 8 epochs
    y = rng.standard_normal(20000)
    monkeypatch.setitem(_fit._RUNNERS, "cython", recording)
    result = fastgd.fit(X, y, method="batch", lr=1e-3, max_epochs=30)
    assert sizes[0] == _fit._FIRST_BLOCK_WORK // X.size == 8
    assert sum(sizes[:-1]) < 30 <= sum(sizes) and len(sizes) >= 2
    monkeypatch.undo()
    stepwise = fastgd.fit(X, y, method="batch", lr=1e-3, max_epochs=30,
                          callback=lambda *a: None)
    assert stepwise.coef.tolist() == result.coef.tolist()
    assert result.n_epochs == 30


def test_small_fits_run_in_one_call(monkeypatch, seed):
    from fastgd import _fit

    calls = []
    real = _fit._RUNNERS["cython"]
    monkeypatch.setitem(_fit._RUNNERS, "cython", lambda *a: calls.append(1) or real(*a))
    X, y, settings = seed
    assert fastgd.fit(X, y, **settings).n_epochs == 50
    assert len(calls) == 1
