"""Learning-rate schedules, the stopping rules (tol, adaptive, early stopping) and
sample weights, each checked against its documented rule recomputed here."""
import math
import re

import numpy as np
import pytest

import fastgd
from fastgd._options import ADAPTIVE_MIN_LR, SCHEDULES

BACKENDS = ["cython", "python"]


def problem(n=30, d=3, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ np.array([1.0, -2.0, 0.5])[:d] + 3.0 + noise * rng.standard_normal(n)
    return X, y


def steps_per_epoch(method, n, batch_size):
    return {"sgd": n, "minibatch": math.ceil(n / batch_size), "batch": 1}[method]


# ----------------------------------------------------------------------------
# lr_history against each schedule's formula
# ----------------------------------------------------------------------------

def expected_rates(schedule, params, lr, epochs, max_epochs, steps):
    """Each epoch's rate at its first step (epochs e from 0, steps t from 1)."""
    out = []
    for e in range(epochs):
        t = e * steps + 1
        if schedule == "constant":
            out.append(lr)
        elif schedule == "invscaling":
            out.append(lr / t ** params.get("power_t", 0.25))
        elif schedule == "exponential":
            out.append(lr * params["gamma"] ** e)
        elif schedule == "step":
            out.append(lr * params.get("gamma", 0.1) ** (e // params["step_size"]))
        elif schedule == "cosine":
            lr_min = params.get("lr_min", 0.0)
            out.append(lr_min + (lr - lr_min) * (1 + math.cos(math.pi * e / max_epochs)) / 2)
        else:
            raise AssertionError(schedule)
    return np.array(out)


SCHEDULE_CASES = [
    ("constant", None),
    ("invscaling", None),
    ("invscaling", {"power_t": 0.5}),
    ("invscaling", {"power_t": 0.0}),
    ("exponential", {"gamma": 0.9}),
    ("exponential", {"gamma": 1.05}),
    ("step", {"step_size": 3}),
    ("step", {"step_size": 2, "gamma": 0.5}),
    ("cosine", None),
    ("cosine", {"lr_min": 0.001}),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("schedule,params", SCHEDULE_CASES,
                         ids=[f"{s}-{p}" for s, p in SCHEDULE_CASES])
def test_lr_history_follows_the_schedule_formula(schedule, params, method, backend):
    X, y = problem(n=10)
    lr, max_epochs, batch_size = 0.01, 12, 3
    result = fastgd.fit(X, y, method=method, lr=lr, max_epochs=max_epochs,
                        batch_size=batch_size, schedule=schedule, schedule_params=params,
                        backend=backend)
    assert result.n_epochs == max_epochs and result.stop_reason == "max_epochs"
    assert result.schedule == schedule
    expected = expected_rates(schedule, params or {}, lr, max_epochs, max_epochs,
                              steps_per_epoch(method, len(y), batch_size))
    assert result.lr_history.shape == (max_epochs,)
    np.testing.assert_allclose(result.lr_history, expected, rtol=1e-15, atol=0)
    if schedule != "constant" and params != {"power_t": 0.0}:
        assert len(set(result.lr_history.tolist())) > 1  # it did change


def test_invscaling_counts_steps_over_the_whole_fit():
    """Step t is not reset at each epoch: epoch e starts at step e*n + 1 with
    per-sample updates, e*ceil(n/batch_size) + 1 with mini-batches."""
    X, y = problem(n=7)
    lr = 0.02
    sgd = fastgd.fit(X, y, method="sgd", lr=lr, max_epochs=4, schedule="invscaling",
                     schedule_params={"power_t": 0.5})
    assert sgd.lr_history.tolist() == [lr / math.sqrt(t) for t in (1, 8, 15, 22)]
    mini = fastgd.fit(X, y, method="minibatch", batch_size=3, lr=lr, max_epochs=4,
                      schedule="invscaling", schedule_params={"power_t": 0.5})
    assert mini.lr_history.tolist() == [lr / math.sqrt(t) for t in (1, 4, 7, 10)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("schedule,params", [("step", {"step_size": 2, "gamma": 0.5}),
                                             ("exponential", {"gamma": 0.8}),
                                             ("cosine", {"lr_min": 0.01}),
                                             ("invscaling", {"power_t": 0.5})])
def test_the_scheduled_rate_is_the_rate_used(schedule, params, backend):
    """Full batch, plain SGD: w <- w - lr_e * mean gradient, with lr_e the schedule's."""
    X, y = problem()
    lr, epochs = 0.1, 6
    result = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=epochs, schedule=schedule,
                        schedule_params=params, backend=backend)
    rates = expected_rates(schedule, params, lr, epochs, epochs, 1)
    w, b = np.zeros(X.shape[1]), 0.0
    for rate in rates:
        r = X @ w + b - y
        w, b = w - rate * np.mean(2 * r[:, None] * X, axis=0), b - rate * np.mean(2 * r)
    np.testing.assert_allclose(result.coef, w, rtol=1e-12)
    assert result.intercept == pytest.approx(b, rel=1e-12)
    constant = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=epochs, backend=backend)
    assert not np.allclose(constant.coef, w, rtol=1e-6)


# ----------------------------------------------------------------------------
# The plateau rule, recomputed from the loss history
# ----------------------------------------------------------------------------

def replay_plateau(monitored, tol, n_iter_no_change, lr=None):
    """The docstring's rule over a monitored-loss history.

    Returns (stop epoch index or None, rates at each epoch's start).  With
    ``lr`` (the adaptive schedule) the rate is divided by 5 on a plateau while
    above 1e-6, and the run stops at a plateau once it is not.
    """
    best, stall, rate = math.inf, 0, lr
    rates = []
    for k, loss in enumerate(monitored):
        rates.append(rate)
        stall = stall + 1 if loss > best - tol else 0
        best = min(best, loss)
        if stall >= n_iter_no_change:
            if lr is not None and rate > ADAPTIVE_MIN_LR:
                rate = rate / 5.0
                stall = 0
            else:
                return k, rates
    return None, rates


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,tol,n_iter", [("batch", 1e-3, 3), ("batch", 1e-2, 2),
                                               ("sgd", 1e-6, 4), ("minibatch", 1e-4, 5)])
def test_adaptive_divides_by_5_on_plateaus_and_stops_at_the_floor(method, tol, n_iter,
                                                                  backend):
    X, y = problem(noise=0.5)
    lr = 0.05
    result = fastgd.fit(X, y, method=method, lr=lr, max_epochs=5000, schedule="adaptive",
                        tol=tol, n_iter_no_change=n_iter, batch_size=8, backend=backend)
    assert result.stop_reason == "lr_floor"
    assert result.converged and not result.diverged
    stop, rates = replay_plateau(result.loss_history.tolist(), tol, n_iter, lr=lr)
    assert stop == result.n_epochs - 1
    np.testing.assert_allclose(result.lr_history, rates, rtol=1e-15, atol=0)
    # the rates are lr / 5**k, each held for at least n_iter epochs, ending at the floor
    levels = sorted(set(result.lr_history.tolist()), reverse=True)
    np.testing.assert_allclose(levels, [lr / 5 ** k for k in range(len(levels))], rtol=1e-14)
    assert levels[-1] <= ADAPTIVE_MIN_LR < levels[-2]
    for level in levels:
        assert (result.lr_history == level).sum() >= n_iter


@pytest.mark.parametrize("optimizer,params", [("sgd", {"momentum": 0.9}), ("adam", {}),
                                               ("rmsprop", {})])
def test_adaptive_without_tol_uses_zero(optimizer, params):
    """tol=None means 0 for the adaptive schedule: a plateau is then an epoch whose
    loss is not below the best so far (momentum and Adam make the loss go up)."""
    X, y = problem(noise=0.5)
    kwargs = dict(method="batch", lr=0.05, max_epochs=5000, schedule="adaptive",
                  n_iter_no_change=3, optimizer=optimizer, optimizer_params=params)
    result = fastgd.fit(X, y, **kwargs)
    assert result.stop_reason == "lr_floor"
    stop, rates = replay_plateau(result.loss_history.tolist(), 0.0, 3, lr=0.05)
    assert stop == result.n_epochs - 1
    np.testing.assert_allclose(result.lr_history, rates, rtol=1e-15, atol=0)
    zero = fastgd.fit(X, y, tol=0.0, **kwargs)
    assert zero.lr_history.tolist() == result.lr_history.tolist()
    assert zero.coef.tolist() == result.coef.tolist()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,tol,n_iter", [("batch", 1e-4, 5), ("batch", 1e-2, 1),
                                               ("sgd", 1e-3, 3), ("minibatch", 0.0, 5)])
def test_tol_stops_on_a_training_loss_plateau(method, tol, n_iter, backend):
    X, y = problem(noise=0.5)
    result = fastgd.fit(X, y, method=method, lr=0.02, max_epochs=5000, tol=tol,
                        n_iter_no_change=n_iter, batch_size=8, backend=backend)
    assert result.stop_reason == "tol"
    assert result.converged and not result.diverged
    assert 1 < result.n_epochs < 5000
    assert len(result.loss_history) == len(result.lr_history) == result.n_epochs
    assert result.validation_loss_history is None
    stop, _ = replay_plateau(result.loss_history.tolist(), tol, n_iter)
    assert stop == result.n_epochs - 1
    # without tol the same fit runs on (and its history starts identically)
    longer = fastgd.fit(X, y, method=method, lr=0.02, max_epochs=result.n_epochs + 5,
                        batch_size=8, backend=backend)
    assert longer.stop_reason == "max_epochs"
    assert longer.loss_history[:result.n_epochs].tolist() == result.loss_history.tolist()


def test_larger_tol_stops_no_later():
    X, y = problem(noise=0.5)
    epochs = [fastgd.fit(X, y, method="batch", lr=0.02, max_epochs=5000, tol=tol).n_epochs
              for tol in (1e-8, 1e-5, 1e-3, 1e-1)]
    assert epochs == sorted(epochs, reverse=True) and epochs[0] > epochs[-1]


# ----------------------------------------------------------------------------
# Early stopping
# ----------------------------------------------------------------------------

def validation_rows(n, fraction, seed):
    return np.sort(np.random.default_rng(seed).permutation(n)[:math.ceil(fraction * n)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,fraction,seed", [("sgd", 0.1, 0), ("sgd", 0.25, 7),
                                                  ("minibatch", 0.2, 3), ("batch", 0.3, 11)])
def test_early_stopping(method, fraction, seed, backend):
    X, y = problem(n=80, noise=1.0, seed=5)
    kwargs = dict(method=method, lr=0.02, max_epochs=5000, early_stopping=True,
                  validation_fraction=fraction, random_state=seed, batch_size=8,
                  n_iter_no_change=3, shuffle=method == "minibatch", backend=backend)
    result = fastgd.fit(X, y, **kwargs)
    assert result.stop_reason == "early_stopping"
    assert result.converged and not result.diverged
    assert result.random_state == seed
    history = result.validation_loss_history
    assert history is not None and history.shape == (result.n_epochs,)
    # the plateau rule runs on the validation loss (tol None counting as 0)
    stop, _ = replay_plateau(history.tolist(), 0.0, 3)
    assert stop == result.n_epochs - 1
    # the last entry is the mean squared error of the final weights on the held-out rows
    rows = validation_rows(len(y), fraction, seed)
    residual = X[rows] @ result.coef + result.intercept - y[rows]
    np.testing.assert_allclose(history[-1], np.mean(residual ** 2), rtol=1e-12)
    # training used the other rows only: the first batch epoch's loss is their MSE at 0
    if method == "batch":
        train = np.setdiff1d(np.arange(len(y)), rows)
        np.testing.assert_allclose(result.loss_history[0], np.mean(y[train] ** 2),
                                   rtol=1e-12)
    # reproducible with the seed
    again = fastgd.fit(X, y, **kwargs)
    assert again.coef.tolist() == result.coef.tolist()
    assert again.validation_loss_history.tolist() == history.tolist()
    other = fastgd.fit(X, y, **dict(kwargs, random_state=seed + 1))
    assert other.validation_loss_history[0] != history[0]


def test_early_stopping_split_is_seeded_and_returned():
    X, y = problem(n=50)
    result = fastgd.fit(X, y, method="batch", max_epochs=3, early_stopping=True,
                        validation_fraction=0.2)
    seed = result.random_state
    assert isinstance(seed, int)
    rows = validation_rows(len(y), 0.2, seed)
    w, b = result.coef, result.intercept
    np.testing.assert_allclose(result.validation_loss_history[-1],
                               np.mean((X[rows] @ w + b - y[rows]) ** 2), rtol=1e-12)
    again = fastgd.fit(X, y, method="batch", max_epochs=3, early_stopping=True,
                       validation_fraction=0.2, random_state=seed)
    assert again.validation_loss_history.tolist() == \
        result.validation_loss_history.tolist()


def test_early_stopping_honours_tol():
    X, y = problem(n=80, noise=1.0, seed=5)
    kwargs = dict(method="batch", lr=0.02, max_epochs=5000, early_stopping=True,
                  random_state=1, n_iter_no_change=2)
    loose = fastgd.fit(X, y, tol=1e-2, **kwargs)
    strict = fastgd.fit(X, y, **kwargs)
    assert loose.stop_reason == strict.stop_reason == "early_stopping"
    stop, _ = replay_plateau(loose.validation_loss_history.tolist(), 1e-2, 2)
    assert stop == loose.n_epochs - 1
    assert loose.n_epochs < strict.n_epochs


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, float("nan"), "0.1", True])
def test_validation_fraction_outside_0_1_raises(fraction):
    X, y = problem()
    with pytest.raises(ValueError, match="validation_fraction"):
        fastgd.fit(X, y, early_stopping=True, validation_fraction=fraction, max_epochs=1)


@pytest.mark.parametrize("n,fraction", [(3, 0.9), (1, 0.5), (10, 0.95), (4, 0.76)])
def test_validation_fraction_leaving_no_training_rows_raises(n, fraction):
    X, y = problem(n=n)
    with pytest.raises(ValueError, match="validation_fraction"):
        fastgd.fit(X, y, early_stopping=True, validation_fraction=fraction, max_epochs=1)


def test_validation_fraction_leaving_one_training_row_is_accepted():
    X, y = problem(n=4)
    result = fastgd.fit(X, y, early_stopping=True, validation_fraction=0.75, max_epochs=2,
                        random_state=0)
    assert result.validation_loss_history.shape == (result.n_epochs,)


# ----------------------------------------------------------------------------
# Bad schedule and stopping parameters
# ----------------------------------------------------------------------------

BAD_SCHEDULE = [
    (dict(schedule="exponential"), "gamma"),
    (dict(schedule="exponential", schedule_params={}), "gamma"),
    (dict(schedule="exponential", schedule_params={"gamma": None}), "gamma"),
    (dict(schedule="step"), "step_size"),
    (dict(schedule="step", schedule_params={"gamma": 0.5}), "step_size"),
    (dict(schedule="step", schedule_params={"step_size": 0}), "step_size"),
    (dict(schedule="step", schedule_params={"step_size": -2}), "step_size"),
    (dict(schedule="step", schedule_params={"step_size": 2.0}), "step_size"),
    (dict(schedule="step", schedule_params={"step_size": 2, "gamma": 0.0}), "gamma"),
    (dict(schedule="step", schedule_params={"step_size": 2, "gamma": -0.5}), "gamma"),
    (dict(schedule="exponential", schedule_params={"gamma": 0}), "gamma"),
    (dict(schedule="exponential", schedule_params={"gamma": -1.0}), "gamma"),
    (dict(schedule="exponential", schedule_params={"gamma": float("nan")}), "gamma"),
    (dict(schedule="invscaling", schedule_params={"power_t": -0.25}), "power_t"),
    (dict(schedule="cosine", schedule_params={"lr_min": 0.2}, lr=0.1), "lr_min"),
    (dict(schedule="cosine", schedule_params={"lr_min": -0.01}), "lr_min"),
    (dict(schedule="exponential", schedule_params={"gamma": 0.9, "step_size": 2}),
     "step_size"),
    (dict(schedule="invscaling", schedule_params={"gamma": 0.9}), "gamma"),
    (dict(schedule="constant", schedule_params={"power_t": 0.5}), "power_t"),
    (dict(schedule="adaptive", schedule_params={"lr_min": 0.0}), "lr_min"),
    (dict(schedule="cosine", schedule_params=[("lr_min", 0.0)]), "schedule_params"),
    (dict(tol=-1e-3), "tol"),
    (dict(tol=float("nan")), "tol"),
    (dict(tol="0.1"), "tol"),
    (dict(tol=1e-3, n_iter_no_change=0), "n_iter_no_change"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
    (dict(n_iter_no_change=-1), "n_iter_no_change"),
    (dict(n_iter_no_change=2.0), "n_iter_no_change"),
]


@pytest.mark.parametrize("kwargs,name", BAD_SCHEDULE,
                         ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD_SCHEDULE)])
def test_bad_schedule_parameters_raise_naming_the_parameter(kwargs, name):
    X, y = problem()
    with pytest.raises(ValueError, match=re.escape(name)):
        fastgd.fit(X, y, max_epochs=1, **kwargs)


@pytest.mark.parametrize("name", ["linear", "Cosine", "", None])
def test_unknown_schedule_lists_the_valid_names(name):
    X, y = problem()
    with pytest.raises(ValueError, match="schedule") as info:
        fastgd.fit(X, y, max_epochs=1, schedule=name)
    for valid in SCHEDULES:
        assert repr(valid) in str(info.value)


def test_unknown_schedule_key_lists_the_valid_keys():
    X, y = problem()
    with pytest.raises(ValueError, match="schedule_params") as info:
        fastgd.fit(X, y, max_epochs=1, schedule="step",
                   schedule_params={"step_size": 2, "power": 0.5})
    message = str(info.value)
    assert "'power'" in message and "'step_size'" in message and "'gamma'" in message


def test_schedule_params_dict_is_not_modified():
    X, y = problem()
    params = {"step_size": 2}
    fastgd.fit(X, y, max_epochs=3, schedule="step", schedule_params=params)
    assert params == {"step_size": 2}


# ----------------------------------------------------------------------------
# Sample weights
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_zero_weight_is_dropping_the_row(optimizer, backend):
    X, y = problem(n=20)
    kwargs = dict(method="batch", reduction="sum", lr=0.005, max_epochs=25,
                  optimizer=optimizer, backend=backend)
    dropped_rows = [3, 11, 19]
    weights = np.ones(len(y))
    weights[dropped_rows] = 0.0
    keep = np.setdiff1d(np.arange(len(y)), dropped_rows)
    weighted = fastgd.fit(X, y, sample_weight=weights, **kwargs)
    dropped = fastgd.fit(X[keep], y[keep], **kwargs)
    np.testing.assert_allclose(weighted.coef, dropped.coef, rtol=1e-12)
    assert weighted.intercept == pytest.approx(dropped.intercept, rel=1e-12)
    # the mean loss divides the weighted sum by all the rows, weighted 0 or not
    np.testing.assert_allclose(weighted.loss_history * len(y),
                               dropped.loss_history * len(keep), rtol=1e-12)
    plain = fastgd.fit(X, y, **kwargs)
    assert not np.allclose(plain.coef, weighted.coef, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_integer_weight_is_duplicating_the_row(optimizer, backend):
    X, y = problem(n=15)
    kwargs = dict(method="batch", reduction="sum", lr=0.002, max_epochs=25,
                  optimizer=optimizer, backend=backend)
    counts = np.array([1, 3, 1, 2, 1, 1, 4, 1, 1, 2, 1, 1, 1, 5, 1])
    duplicated = np.repeat(np.arange(len(y)), counts)
    weighted = fastgd.fit(X, y, sample_weight=counts.astype(float), **kwargs)
    copies = fastgd.fit(X[duplicated], y[duplicated], **kwargs)
    np.testing.assert_allclose(weighted.coef, copies.coef, rtol=1e-12)
    assert weighted.intercept == pytest.approx(copies.intercept, rel=1e-12)
    np.testing.assert_allclose(weighted.loss_history * len(y),
                               copies.loss_history * len(duplicated), rtol=1e-12)
    integer = fastgd.fit(X, y, sample_weight=counts, **kwargs)  # int array accepted
    assert integer.coef.tolist() == weighted.coef.tolist()
    plain = fastgd.fit(X, y, **kwargs)
    assert not np.allclose(plain.coef, weighted.coef, rtol=1e-6)


def test_unit_weights_are_bit_identical_to_no_weights():
    X, y = problem()
    for method in ("sgd", "minibatch", "batch"):
        plain = fastgd.fit(X, y, method=method, lr=0.01, max_epochs=5)
        ones = fastgd.fit(X, y, method=method, lr=0.01, max_epochs=5,
                          sample_weight=np.ones(len(y)))
        assert ones.coef.tolist() == plain.coef.tolist()
        assert ones.loss_history.tolist() == plain.loss_history.tolist()


@pytest.mark.parametrize("weights_of", [
    lambda n: -np.ones(n),
    lambda n: np.r_[np.ones(n - 1), -1e-12],
    lambda n: np.r_[np.nan, np.ones(n - 1)],
    lambda n: np.r_[np.ones(n - 1), np.inf],
    lambda n: np.ones(n - 1),
    lambda n: np.ones(n + 1),
    lambda n: np.ones((n, 1)),
    lambda n: np.ones((1, n)),
    lambda n: ["a"] * n,
], ids=["negative", "one-negative", "nan", "inf", "short", "long", "column", "row",
        "strings"])
def test_bad_sample_weight_raises(weights_of):
    X, y = problem()
    with pytest.raises(ValueError, match="sample_weight"):
        fastgd.fit(X, y, max_epochs=1, sample_weight=weights_of(len(y)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["sgd", "batch"])
def test_sample_weight_array_is_not_modified(method, backend):
    X, y = problem()
    weights = np.linspace(0.0, 2.0, len(y))
    original = weights.copy()
    fastgd.fit(X, y, method=method, max_epochs=3, sample_weight=weights, backend=backend,
               optimizer="adam", early_stopping=True, random_state=0)
    assert weights.tolist() == original.tolist()
    weights32 = weights.astype(np.float32)
    original32 = weights32.copy()
    fastgd.fit(X.astype(np.float32), y, method=method, max_epochs=3, sample_weight=weights32,
               backend=backend)
    assert weights32.tolist() == original32.tolist()
