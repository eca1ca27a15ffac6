"""The optimizers against their published update rules, and their parameter checks.

Each optimizer is written out by hand here, in NumPy float64, from the update
rules in torch.optim's documentation (SGD, Adagrad, RMSprop, Adam, AdamW),
and fastgd's trajectory is compared with it.  When torch is installed, the
same trajectories are also compared with torch.optim itself.
"""
import copy
import math
import re

import numpy as np
import pytest

import fastgd
from fastgd._options import OPTIMIZERS

BACKENDS = ["cython", "python"]
RTOL = 1e-12


# ----------------------------------------------------------------------------
# A small problem and the full-batch gradient of the mean squared error
# ----------------------------------------------------------------------------

def problem(n=12, d=3, seed=0):
    """X, y and a nonzero start (w0, b0) for a small random regression."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.7 + 0.1 * rng.standard_normal(n)
    w0 = 0.3 * rng.standard_normal(d)
    b0 = -0.4
    return X, y, w0, b0


def mean_gradient(X, y, w, b):
    """Gradient of mean((X @ w + b - y)**2): mean of 2*(p-y)*x and of 2*(p-y)."""
    r = X @ w + b - y
    return np.mean(2 * r[:, None] * X, axis=0), np.mean(2 * r)


# ----------------------------------------------------------------------------
# The published update rules, by hand.  ``theta`` is [w..., b]; ``wd`` is the
# per-coordinate weight decay (0 for the intercept).
# ----------------------------------------------------------------------------

class HandSGD:
    """torch.optim.SGD: g += wd*theta; b = g (t=1) else mu*b + (1-damp)*g;
    g = g + mu*b (nesterov) or b; theta -= lr*g."""

    def __init__(self, momentum=0.0, dampening=0.0, nesterov=False):
        self.mu, self.damp, self.nesterov = momentum, dampening, nesterov
        self.buf = None

    def step(self, theta, g, lr, t, wd):
        g = g + wd * theta
        if self.mu != 0:
            self.buf = g.copy() if t == 1 else self.mu * self.buf + (1 - self.damp) * g
            g = g + self.mu * self.buf if self.nesterov else self.buf
        return theta - lr * g


class HandAdagrad:
    """torch.optim.Adagrad: clr = lr / (1 + (t-1)*lr_decay); g += wd*theta;
    sum += g^2; theta -= clr * g / (sqrt(sum) + eps)."""

    def __init__(self, size, lr_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.lr_decay, self.eps = lr_decay, eps
        self.sum = np.full(size, float(initial_accumulator_value))

    def step(self, theta, g, lr, t, wd):
        clr = lr / (1 + (t - 1) * self.lr_decay)
        g = g + wd * theta
        self.sum = self.sum + g * g
        return theta - clr * g / (np.sqrt(self.sum) + self.eps)


class HandRMSprop:
    """torch.optim.RMSprop: g += wd*theta; v = a*v + (1-a)*g^2; centered:
    ga = a*ga + (1-a)*g, v~ = v - ga^2; momentum: b = mu*b + g/(sqrt(v~)+eps),
    theta -= lr*b; else theta -= lr*g/(sqrt(v~)+eps)."""

    def __init__(self, size, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
        self.alpha, self.eps, self.mu, self.centered = alpha, eps, momentum, centered
        self.v = np.zeros(size)
        self.ga = np.zeros(size)
        self.buf = np.zeros(size)

    def step(self, theta, g, lr, t, wd):
        g = g + wd * theta
        self.v = self.alpha * self.v + (1 - self.alpha) * g * g
        vt = self.v
        if self.centered:
            self.ga = self.alpha * self.ga + (1 - self.alpha) * g
            vt = vt - self.ga * self.ga
        if self.mu > 0:
            self.buf = self.mu * self.buf + g / (np.sqrt(vt) + self.eps)
            return theta - lr * self.buf
        return theta - lr * g / (np.sqrt(vt) + self.eps)


class HandAdam:
    """torch.optim.Adam / AdamW: adam g += wd*theta, adamw theta *= 1 - lr*wd;
    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; amsgrad vmax = max(vmax, v);
    m^ = m/(1-b1^t), v^ = v(max)/(1-b2^t); theta -= lr*m^/(sqrt(v^)+eps)."""

    def __init__(self, size, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, decoupled=False):
        (self.b1, self.b2), self.eps, self.amsgrad = betas, eps, amsgrad
        self.decoupled = decoupled
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self.vmax = np.zeros(size)

    def step(self, theta, g, lr, t, wd):
        if self.decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        v = self.v
        if self.amsgrad:
            self.vmax = np.maximum(self.vmax, self.v)
            v = self.vmax
        m_hat = self.m / (1 - self.b1 ** t)
        v_hat = v / (1 - self.b2 ** t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)


def make_hand(optimizer, params, size):
    params = dict(params)
    if optimizer == "sgd":
        return HandSGD(**params)
    if optimizer == "adagrad":
        return HandAdagrad(size, **params)
    if optimizer == "rmsprop":
        return HandRMSprop(size, **params)
    return HandAdam(size, decoupled=optimizer == "adamw", **params)


def hand_batch_fit(X, y, w0, b0, optimizer, params, lr, epochs, weight_decay, l1=0.0,
                   rates=None, decay_intercept=False):
    """Full-batch, mean-reduction trajectory: one step per epoch."""
    d = X.shape[1]
    theta = np.append(np.asarray(w0, dtype=float), b0)
    # never the intercept (decay_intercept: the wrong rule, for contrast)
    wd = np.append(np.full(d, weight_decay), weight_decay if decay_intercept else 0.0)
    opt = make_hand(optimizer, params, d + 1)
    for t in range(1, epochs + 1):
        lr_t = lr if rates is None else rates[t - 1]
        gw, gb = mean_gradient(X, y, theta[:d], theta[d])
        theta = opt.step(theta, np.append(gw, gb), lr_t, t, wd)
        if l1:
            c = lr_t * l1
            w = theta[:d]
            theta[:d] = np.sign(w) * np.maximum(np.abs(w) - c, 0.0)
    return theta[:d], theta[d]


# (optimizer, optimizer_params, weight_decay given to fit or None, weight decay it means)
CASES = [
    ("sgd", {}, 0.0, 0.0),
    ("sgd", {}, 0.1, 0.1),
    ("sgd", {"momentum": 0.9}, None, 0.0),
    ("sgd", {"momentum": 0.9}, 0.1, 0.1),
    ("sgd", {"momentum": 0.8, "dampening": 0.3}, 0.05, 0.05),
    ("sgd", {"momentum": 0.9, "nesterov": True}, None, 0.0),
    ("sgd", {"momentum": 0.7, "nesterov": True}, 0.2, 0.2),
    ("adagrad", {}, None, 0.0),
    ("adagrad", {"lr_decay": 0.3}, 0.0, 0.0),
    ("adagrad", {"initial_accumulator_value": 0.5}, None, 0.0),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.2, "eps": 1e-6}, 0.1, 0.1),
    ("rmsprop", {}, None, 0.0),
    ("rmsprop", {"alpha": 0.9}, 0.1, 0.1),
    ("rmsprop", {"centered": True}, None, 0.0),
    ("rmsprop", {"momentum": 0.6}, None, 0.0),
    ("rmsprop", {"alpha": 0.8, "centered": True, "momentum": 0.5, "eps": 1e-6}, 0.05, 0.05),
    ("adam", {}, None, 0.0),
    ("adam", {"betas": (0.8, 0.9), "eps": 1e-6}, 0.1, 0.1),
    ("adam", {"betas": (0.9, 0.6), "amsgrad": True}, None, 0.0),
    ("adam", {"betas": (0.7, 0.5), "amsgrad": True}, 0.1, 0.1),
    ("adamw", {}, None, 0.01),  # torch's default decoupled decay
    ("adamw", {}, 0.0, 0.0),
    ("adamw", {"betas": (0.85, 0.95)}, 0.2, 0.2),
    ("adamw", {"betas": (0.9, 0.6), "amsgrad": True}, 0.1, 0.1),
]


def case_id(case):
    optimizer, params, given, _ = case
    return f"{optimizer}-{params}-wd={given}"


LRS = {"sgd": 0.05, "adagrad": 0.2, "rmsprop": 0.01, "adam": 0.05, "adamw": 0.05}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_batch_trajectory_matches_the_published_update(case, backend):
    optimizer, params, given, wd = case
    X, y, w0, b0 = problem()
    lr = LRS[optimizer]
    for epochs in (1, 2, 5):
        result = fastgd.fit(X, y, method="batch", reduction="mean", lr=lr,
                            max_epochs=epochs, coef_init=w0, intercept_init=b0,
                            optimizer=optimizer, optimizer_params=params,
                            weight_decay=given, backend=backend)
        assert result.n_epochs == epochs and result.stop_reason == "max_epochs"
        w, b = hand_batch_fit(X, y, w0, b0, optimizer, params, lr, epochs, wd)
        np.testing.assert_allclose(result.coef, w, rtol=RTOL, atol=0)
        np.testing.assert_allclose(result.intercept, b, rtol=RTOL, atol=0)


def test_the_hand_cases_exercise_every_option():
    """Each option of a case changes the hand trajectory (so the comparison above
    would fail if fastgd ignored it)."""
    X, y, w0, b0 = problem()
    for optimizer, params, _, wd in CASES:
        lr = LRS[optimizer]
        w, b = hand_batch_fit(X, y, w0, b0, optimizer, params, lr, 5, wd)
        for key in params:
            if key == "eps":
                continue
            neutral = dict(params)
            del neutral[key]
            if key == "momentum" and "nesterov" in neutral:
                continue
            w2, b2 = hand_batch_fit(X, y, w0, b0, optimizer, neutral, lr, 5, wd)
            assert not np.allclose(np.append(w, b), np.append(w2, b2), rtol=1e-9, atol=0), \
                (optimizer, params, key)
        if wd:
            w2, _ = hand_batch_fit(X, y, w0, b0, optimizer, params, lr, 5, 0.0)
            assert not np.allclose(w, w2, rtol=1e-9, atol=0), (optimizer, params)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_weight_decay_is_never_applied_to_the_intercept(optimizer, backend):
    """After one step the intercept depends only on the start and its own
    gradient: weight decay (coupled or decoupled) must not change it.  Over
    several steps it follows the hand trajectory that decays only w, not the
    one that decays b too."""
    X, y, w0, b0 = problem()
    params = {"momentum": 0.9} if optimizer == "sgd" else {}
    kwargs = dict(method="batch", lr=0.05, max_epochs=1, coef_init=w0, intercept_init=b0,
                  optimizer=optimizer, optimizer_params=params, backend=backend)
    plain = fastgd.fit(X, y, weight_decay=0.0, **kwargs)
    decayed = fastgd.fit(X, y, weight_decay=0.5, **kwargs)
    assert decayed.intercept == plain.intercept
    wd, epochs = 0.5, 4
    result = fastgd.fit(X, y, weight_decay=wd, **dict(kwargs, max_epochs=epochs))
    _, b = hand_batch_fit(X, y, w0, b0, optimizer, params, 0.05, epochs, wd)
    _, b_decayed = hand_batch_fit(X, y, w0, b0, optimizer, params, 0.05, epochs, wd,
                                  decay_intercept=True)
    assert abs(b - b_decayed) > 1e-6 * abs(b)
    assert result.intercept == pytest.approx(b, rel=RTOL, abs=0)


def test_adamw_default_weight_decay_is_001_and_decoupled():
    X, y, w0, b0 = problem()
    kwargs = dict(method="batch", lr=0.05, max_epochs=4, coef_init=w0, intercept_init=b0)
    default = fastgd.fit(X, y, optimizer="adamw", **kwargs)
    explicit = fastgd.fit(X, y, optimizer="adamw", weight_decay=0.01, **kwargs)
    assert default.coef.tolist() == explicit.coef.tolist()
    assert default.intercept == explicit.intercept
    adam = fastgd.fit(X, y, optimizer="adam", **kwargs)  # adam's default decay is 0
    assert adam.coef.tolist() != default.coef.tolist()
    no_decay = fastgd.fit(X, y, optimizer="adamw", weight_decay=0.0, **kwargs)
    assert adam.coef.tolist() == no_decay.coef.tolist()
    coupled = fastgd.fit(X, y, optimizer="adam", weight_decay=0.01, **kwargs)
    assert not np.allclose(coupled.coef, default.coef, rtol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params,wd", [({}, None), ({"amsgrad": True, "betas": (0.8, 0.5)}, 0.1)])
def test_per_sample_adam_matches_the_published_update(params, wd, backend):
    """method="sgd": one step per sample, the step counter running over the epoch."""
    X, y, w0, b0 = problem(n=6)
    lr = 0.05
    result = fastgd.fit(X, y, method="sgd", lr=lr, max_epochs=1, coef_init=w0,
                        intercept_init=b0, optimizer="adam", optimizer_params=params,
                        weight_decay=wd, backend=backend)
    d = X.shape[1]
    theta = np.append(w0, b0)
    decay = np.append(np.full(d, wd or 0.0), 0.0)
    opt = HandAdam(d + 1, **params)
    losses = []
    for i in range(len(y)):
        r = X[i] @ theta[:d] + theta[d] - y[i]
        losses.append(r * r)
        theta = opt.step(theta, np.append(2 * r * X[i], 2 * r), lr, i + 1, decay)
    np.testing.assert_allclose(result.coef, theta[:d], rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.intercept, theta[d], rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.loss_history, [np.mean(losses)], rtol=RTOL)


# ----------------------------------------------------------------------------
# torch.optim itself
# ----------------------------------------------------------------------------

TORCH_CASES = [
    ("sgd", "SGD", {"momentum": 0.9}, 0.1),
    ("sgd", "SGD", {"momentum": 0.8, "dampening": 0.3}, 0.05),
    ("sgd", "SGD", {"momentum": 0.9, "nesterov": True}, 0.1),
    ("sgd", "SGD", {}, 0.2),
    ("adagrad", "Adagrad", {}, 0.0),
    ("adagrad", "Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.2}, 0.1),
    ("rmsprop", "RMSprop", {}, 0.0),
    ("rmsprop", "RMSprop", {"centered": True}, 0.1),
    ("rmsprop", "RMSprop", {"momentum": 0.6, "alpha": 0.9}, 0.0),
    ("rmsprop", "RMSprop", {"centered": True, "momentum": 0.5, "alpha": 0.8}, 0.05),
    ("adam", "Adam", {}, 0.0),
    ("adam", "Adam", {"betas": (0.8, 0.9)}, 0.1),
    ("adam", "Adam", {"amsgrad": True, "betas": (0.9, 0.6)}, 0.0),
    ("adam", "Adam", {"amsgrad": True, "betas": (0.7, 0.5)}, 0.1),
    ("adamw", "AdamW", {}, 0.01),
    ("adamw", "AdamW", {"betas": (0.85, 0.95)}, 0.2),
    ("adamw", "AdamW", {"amsgrad": True, "betas": (0.9, 0.6)}, 0.1),
]


@pytest.mark.parametrize("case", TORCH_CASES,
                         ids=[f"{c[1]}-{c[2]}-wd={c[3]}" for c in TORCH_CASES])
def test_matches_torch_optim(case):
    torch = pytest.importorskip("torch")
    optimizer, torch_name, params, wd = case
    X, y, w0, b0 = problem()
    lr = LRS[optimizer]
    steps = 6
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor([b0], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, torch_name)(
        [{"params": [w], "weight_decay": wd}, {"params": [b], "weight_decay": 0.0}],
        lr=lr, **params)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((Xt @ w + b - yt) ** 2).mean()
        loss.backward()
        opt.step()
    result = fastgd.fit(X, y, method="batch", reduction="mean", lr=lr, max_epochs=steps,
                        coef_init=w0, intercept_init=b0, optimizer=optimizer,
                        optimizer_params=params, weight_decay=wd)
    np.testing.assert_allclose(result.coef, w.detach().numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(result.intercept, b.detach().numpy()[0], rtol=1e-10, atol=0)


@pytest.mark.parametrize("case", TORCH_CASES,
                         ids=[f"{c[1]}-{c[2]}-wd={c[3]}" for c in TORCH_CASES])
def test_per_sample_steps_match_torch_optim(case):
    """method="sgd": one torch step per sample, in row order, over two epochs."""
    torch = pytest.importorskip("torch")
    optimizer, torch_name, params, wd = case
    X, y, w0, b0 = problem(n=5)
    lr = LRS[optimizer] / 2
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor([b0], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, torch_name)(
        [{"params": [w], "weight_decay": wd}, {"params": [b], "weight_decay": 0.0}],
        lr=lr, **params)
    for _ in range(2):
        for i in range(len(y)):
            opt.zero_grad()
            loss = ((Xt[i] @ w + b - yt[i]) ** 2).sum()
            loss.backward()
            opt.step()
    result = fastgd.fit(X, y, method="sgd", lr=lr, max_epochs=2, coef_init=w0,
                        intercept_init=b0, optimizer=optimizer, optimizer_params=params,
                        weight_decay=wd)
    np.testing.assert_allclose(result.coef, w.detach().numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(result.intercept, b.detach().numpy()[0], rtol=1e-10, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer,params", [("adam", {}), ("adagrad", {"lr_decay": 0.2}),
                                              ("sgd", {"momentum": 0.9}), ("adamw", {}),
                                              ("rmsprop", {"centered": True})])
@pytest.mark.parametrize("schedule,schedule_params", [
    ("step", {"step_size": 2, "gamma": 0.5}),
    ("cosine", {"lr_min": 0.001}),
    ("invscaling", {"power_t": 0.5}),
])
def test_optimizers_use_the_scheduled_rate(optimizer, params, schedule, schedule_params,
                                           backend):
    """The step's rate lr_t replaces lr in every formula (adamw's decay factor too)."""
    X, y, w0, b0 = problem()
    lr, epochs = LRS[optimizer], 6
    result = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=epochs, coef_init=w0,
                        intercept_init=b0, optimizer=optimizer, optimizer_params=params,
                        weight_decay=0.1, schedule=schedule, schedule_params=schedule_params,
                        backend=backend)
    e = np.arange(epochs)
    if schedule == "step":
        rates = [lr * 0.5 ** (k // 2) for k in e]
    elif schedule == "cosine":
        rates = [0.001 + (lr - 0.001) * (1 + math.cos(math.pi * k / epochs)) / 2 for k in e]
    else:
        rates = [lr / math.sqrt(k + 1) for k in e]
    np.testing.assert_allclose(result.lr_history, rates, rtol=1e-15)
    w, b = hand_batch_fit(X, y, w0, b0, optimizer, params, lr, epochs, 0.1, rates=rates)
    np.testing.assert_allclose(result.coef, w, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.intercept, b, rtol=RTOL, atol=0)


# ----------------------------------------------------------------------------
# l1 and the elastic net
# ----------------------------------------------------------------------------

def sparse_problem(n=200, seed=1):
    """Only features 0 and 1 of 10 matter."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 10))
    y = 3.0 * X[:, 0] - 2.0 * X[:, 1] + 5.0 + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,params,lr,l1,epochs", [
    ("batch", {}, 0.05, 0.5, 300),
    ("batch", {"momentum": 0.9}, 0.01, 0.5, 300),
    ("minibatch", {}, 0.05, 0.5, 100),
    ("sgd", {}, 0.002, 1.0, 50),
])
def test_l1_gives_exact_zeros_on_irrelevant_features(method, params, lr, l1, epochs, backend):
    X, y = sparse_problem()
    kwargs = dict(method=method, lr=lr, max_epochs=epochs, optimizer_params=params,
                  batch_size=50, backend=backend)
    result = fastgd.fit(X, y, l1=l1, **kwargs)
    assert (result.coef[2:] == 0.0).all(), result.coef
    assert result.coef[0] > 1.0 and result.coef[1] < -1.0, result.coef
    assert abs(result.intercept - 5.0) < 0.1
    plain = fastgd.fit(X, y, **kwargs)
    assert (plain.coef != 0.0).all()  # without l1 no coefficient is exactly 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_l1_never_zeroes_the_intercept(backend):
    X, y = sparse_problem()
    result = fastgd.fit(X, y, method="batch", lr=0.05, max_epochs=400, l1=100.0,
                        backend=backend)
    assert (result.coef == 0.0).all()  # so strong that every coefficient is 0
    # the intercept alone then fits the mean of y
    assert result.intercept == pytest.approx(np.mean(y), rel=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer,params", [("sgd", {}), ("sgd", {"momentum": 0.9}),
                                              ("adam", {}), ("rmsprop", {"centered": True})])
def test_l1_proximal_step_matches_hand_formula(optimizer, params, backend):
    """The optimizer step, then every coefficient moves lr*l1 towards 0, stopping at 0."""
    X, y, w0, b0 = problem()
    lr, l1, epochs = LRS[optimizer], 0.4, 6
    result = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=epochs, coef_init=w0,
                        intercept_init=b0, optimizer=optimizer, optimizer_params=params,
                        l1=l1, backend=backend)
    w, b = hand_batch_fit(X, y, w0, b0, optimizer, params, lr, epochs, 0.0, l1=l1)
    np.testing.assert_allclose(result.coef, w, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.intercept, b, rtol=RTOL, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "adagrad"])
def test_elastic_net_is_weight_decay_then_l1(optimizer, backend):
    X, y, w0, b0 = problem()
    lr, l1, wd, epochs = LRS[optimizer], 0.3, 0.2, 6
    result = fastgd.fit(X, y, method="batch", lr=lr, max_epochs=epochs, coef_init=w0,
                        intercept_init=b0, optimizer=optimizer, l1=l1, weight_decay=wd,
                        backend=backend)
    w, b = hand_batch_fit(X, y, w0, b0, optimizer, {}, lr, epochs, wd, l1=l1)
    np.testing.assert_allclose(result.coef, w, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.intercept, b, rtol=RTOL, atol=0)
    only_l1 = hand_batch_fit(X, y, w0, b0, optimizer, {}, lr, epochs, 0.0, l1=l1)[0]
    assert not np.allclose(only_l1, w, rtol=1e-9)  # the decay did something


def test_elastic_net_is_sparse_and_shrinks():
    X, y = sparse_problem()
    kwargs = dict(method="batch", lr=0.05, max_epochs=300)
    lasso = fastgd.fit(X, y, l1=0.5, **kwargs)
    enet = fastgd.fit(X, y, l1=0.5, weight_decay=0.5, **kwargs)
    assert (enet.coef[2:] == 0.0).all()
    assert (np.abs(enet.coef[:2]) < np.abs(lasso.coef[:2])).all()
    assert (np.abs(enet.coef[:2]) > 0.5).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_l1_zero_is_bit_identical_to_no_l1(optimizer, method, backend):
    X, y, w0, b0 = problem(n=20)
    kwargs = dict(method=method, lr=0.01, max_epochs=5, coef_init=w0, intercept_init=b0,
                  optimizer=optimizer, batch_size=6, backend=backend)
    plain = fastgd.fit(X, y, **kwargs)
    for zero in (0.0, 0, -0.0):
        same = fastgd.fit(X, y, l1=zero, **kwargs)
        assert same.coef.tolist() == plain.coef.tolist()
        assert same.intercept == plain.intercept
        assert same.loss_history.tolist() == plain.loss_history.tolist()
    # plain sgd also equals the explicit neutral parameters (the tutorial's update)
    if optimizer == "sgd":
        neutral = fastgd.fit(X, y, l1=0.0, weight_decay=0.0,
                             optimizer_params={"momentum": 0.0}, **kwargs)
        assert neutral.coef.tolist() == plain.coef.tolist()
    smallest = fastgd.fit(X, y, l1=1e-3, **kwargs)
    assert smallest.coef.tolist() != plain.coef.tolist()


# ----------------------------------------------------------------------------
# Bad parameters
# ----------------------------------------------------------------------------

BAD_OPTIMIZER = [
    (dict(optimizer="sgd", optimizer_params={"betas": (0.9, 0.999)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"lr": 0.1}), "'lr'"),
    (dict(optimizer="adam", optimizer_params={"betas": (1.0, 0.999)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": (0.9, 1.0)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": (-0.1, 0.999)}), "betas"),
    (dict(optimizer="adamw", optimizer_params={"betas": (0.9, 1.5)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": (0.9,)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": (0.9, 0.99, 0.999)}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": 0.9}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": "ab"}), "betas"),
    (dict(optimizer="adam", optimizer_params={"betas": (0.9, float("nan"))}), "betas"),
    (dict(optimizer="adam", optimizer_params={"eps": 0.0}), "eps"),
    (dict(optimizer="adam", optimizer_params={"eps": -1e-8}), "eps"),
    (dict(optimizer="rmsprop", optimizer_params={"eps": 0}), "eps"),
    (dict(optimizer="adagrad", optimizer_params={"eps": -1.0}), "eps"),
    (dict(optimizer="adagrad", optimizer_params={"eps": float("nan")}), "eps"),
    (dict(optimizer="sgd", optimizer_params={"momentum": -0.1}), "momentum"),
    (dict(optimizer="rmsprop", optimizer_params={"momentum": -0.5}), "momentum"),
    (dict(optimizer="sgd", optimizer_params={"nesterov": True}), "nesterov"),
    (dict(optimizer="sgd", optimizer_params={"nesterov": True, "momentum": 0.0}), "nesterov"),
    (dict(optimizer="sgd", optimizer_params={"nesterov": True, "momentum": 0.9,
                                             "dampening": 0.1}), "nesterov"),
    (dict(optimizer="sgd", weight_decay=-0.1), "weight_decay"),
    (dict(optimizer="adamw", weight_decay=-1e-3), "weight_decay"),
    (dict(optimizer="adam", weight_decay=float("inf")), "weight_decay"),
    (dict(optimizer="sgd", weight_decay="0.1"), "weight_decay"),
    (dict(l1=-0.1), "l1"),
    (dict(optimizer="adam", l1=-1e-9), "l1"),
    (dict(l1=True), "l1"),
    (dict(optimizer="adagrad", optimizer_params={"lr_decay": -0.1}), "lr_decay"),
    (dict(optimizer="adagrad", optimizer_params={"initial_accumulator_value": -1.0}),
     "initial_accumulator_value"),
    (dict(optimizer="rmsprop", optimizer_params={"alpha": -0.1}), "alpha"),
    (dict(optimizer="rmsprop", optimizer_params={"alpha": 1.1}), "alpha"),
    (dict(optimizer="adam", optimizer_params={"amsgrad": 1}), "amsgrad"),
    (dict(optimizer="adamw", optimizer_params={"amsgrad": "yes"}), "amsgrad"),
    (dict(optimizer="rmsprop", optimizer_params={"centered": 1}), "centered"),
    (dict(optimizer="rmsprop", optimizer_params={"centered": None}), "centered"),
    (dict(optimizer="sgd", optimizer_params={"momentum": 0.9, "nesterov": 1}), "nesterov"),
    (dict(optimizer="sgd", optimizer_params={"momentum": "0.9"}), "momentum"),
    (dict(optimizer="sgd", optimizer_params=[("momentum", 0.9)]), "optimizer_params"),
    (dict(optimizer="adam", optimizer_params="amsgrad"), "optimizer_params"),
    (dict(optimizer="adam", optimizer_params=0.9), "optimizer_params"),
]


@pytest.mark.parametrize("kwargs,name", BAD_OPTIMIZER,
                         ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD_OPTIMIZER)])
def test_bad_optimizer_parameters_raise_naming_the_parameter(kwargs, name):
    X, y, _, _ = problem()
    with pytest.raises(ValueError, match=re.escape(name)):
        fastgd.fit(X, y, max_epochs=1, **kwargs)


@pytest.mark.parametrize("name", ["Adam", "lbfgs", "momentum", "", None, 3])
def test_unknown_optimizer_name_lists_the_valid_names(name):
    X, y, _, _ = problem()
    with pytest.raises(ValueError, match="optimizer") as info:
        fastgd.fit(X, y, max_epochs=1, optimizer=name)
    for valid in OPTIMIZERS:
        assert repr(valid) in str(info.value)


@pytest.mark.parametrize("optimizer,key", [("sgd", "alpha"), ("adam", "momentum"),
                                           ("adagrad", "betas"), ("rmsprop", "nesterov"),
                                           ("adamw", "weight_decay")])
def test_unknown_optimizer_key_lists_the_valid_keys(optimizer, key):
    X, y, _, _ = problem()
    with pytest.raises(ValueError, match="optimizer_params") as info:
        fastgd.fit(X, y, max_epochs=1, optimizer=optimizer, optimizer_params={key: 0.5})
    message = str(info.value)
    assert repr(key) in message
    for valid in OPTIMIZERS[optimizer][1]:
        assert repr(valid) in message


@pytest.mark.parametrize("optimizer,params", [
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adam", {"betas": [0.8, 0.9], "amsgrad": True}),
    ("rmsprop", {"alpha": 0.9, "centered": True, "momentum": 0.1}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.1}),
])
def test_optimizer_params_dict_is_not_modified(optimizer, params):
    X, y, _, _ = problem()
    original = copy.deepcopy(params)
    fastgd.fit(X, y, max_epochs=2, optimizer=optimizer, optimizer_params=params,
               weight_decay=0.1)
    assert params == original
    if "betas" in params:
        assert type(params["betas"]) is list


# ----------------------------------------------------------------------------
# Optimizer state across the internal epoch blocks
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["batch", "sgd", "minibatch"])
@pytest.mark.parametrize("optimizer,params", [
    ("adam", {}),
    ("adam", {"amsgrad": True, "betas": (0.8, 0.6)}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adagrad", {"lr_decay": 0.2}),
])
def test_optimizer_state_persists_across_epoch_blocks(optimizer, params, method):
    """With a callback each kernel call runs one epoch; the state (moments,
    momentum buffers, step counter) must carry over exactly."""
    X, y, w0, b0 = problem(n=20)
    kwargs = dict(method=method, lr=0.01, max_epochs=12, coef_init=w0, intercept_init=b0,
                  optimizer=optimizer, optimizer_params=params, batch_size=6,
                  weight_decay=0.05)
    seen = []
    blocks = fastgd.fit(X, y, callback=lambda *a: seen.append(a[0]), **kwargs)
    whole = fastgd.fit(X, y, **kwargs)
    silent = fastgd.fit(X, y, callback=lambda *a: None, **kwargs)
    assert seen == list(range(1, 13))
    assert blocks.coef.tolist() == whole.coef.tolist()
    assert blocks.intercept == whole.intercept
    assert blocks.loss_history.tolist() == whole.loss_history.tolist()
    assert silent.coef.tolist() == whole.coef.tolist()
    # and a fit restarted from the block boundary (fresh state) is different
    half = fastgd.fit(X, y, **dict(kwargs, max_epochs=6))
    restarted = fastgd.fit(X, y, **dict(kwargs, max_epochs=6, coef_init=half.coef,
                                        intercept_init=half.intercept))
    assert restarted.coef.tolist() != whole.coef.tolist()
