"""The golden battery: fits whose results must be the same bits on every machine.

Each case is a small fit (at most a few hundred rows, a few epochs) on data
built so that its bits do not depend on the machine either:

* features are plain uniform draws, ``2 * u - 1`` with ``u`` from
  ``numpy.random.Generator(PCG64(seed)).random`` (integer arithmetic and one
  exact scaling; no normal draws, whose ziggurat calls the C library's exp);
* targets are sums computed column by column, ``t = t + w[j] * X[:, j]`` in
  increasing j (element-wise multiply and add, each correctly rounded on any
  CPU), never ``X @ w``, whose BLAS sums in an order of its own;
* polynomial features come from :func:`fastgd.polynomial_features`, itself in
  the promise.

A case's digest is the SHA-256 of its results: coef, intercept,
loss_history, lr_history, validation_loss_history, the stop reason, and the
model's outputs on the training rows (``decision_function``, and
``predict_proba`` for the log loss), each as little-endian bytes.  The
committed digests are in ``tests/golden/digests.json``;
``python tests/golden/regenerate.py`` rewrites them, and only a deliberate,
documented change of the arithmetic contract may do that (see the README's
"Same bits on every machine").
"""
import hashlib
import itertools

import numpy as np

import fastgd

#: Bumped when the way digests are computed changes (not when results do).
DIGEST_FORMAT = 1


def uniform(seed, shape):
    """Uniform values in [-1, 1): ``2 * u - 1`` (exact) of PCG64's doubles."""
    u = np.random.Generator(np.random.PCG64(seed)).random(shape)
    return 2.0 * u - 1.0


def linear_targets(X, coef, intercept):
    """``intercept + sum_j coef[j] * X[:, j]``, added in increasing j, element-wise."""
    total = np.full(X.shape[0], intercept, dtype=np.float64)
    for j, c in enumerate(coef):
        total = total + c * X[:, j]
    return total


def make_problem(spec):
    """X and y of a case's data spec (a tuple, see :func:`cases`)."""
    kind, n, d, dtype, density, seed = spec
    if kind == "poly":
        x = uniform(seed, n)
        X = fastgd.polynomial_features(x, d)
    else:
        X = uniform(seed, (n, d))
        if density < 1.0:
            keep = (uniform(seed + 1, (n, d)) + 1.0) * 0.5 < density
            X = np.where(keep, X, 0.0)
    coef = uniform(seed + 2, d) * 3.0
    noise = uniform(seed + 3, n) * 0.1
    score = linear_targets(X, coef, 0.5) + noise
    if kind == "log":
        y = (score > 0).astype(np.float64)
    elif kind == "margin":
        y = np.where(score > 0, 1.0, -1.0)
    else:
        y = score
    if dtype == "float32":
        X = X.astype(np.float32)
    return X, y


def _case(name, data, **params):
    return name, data, params


def cases():
    """Every case as ``(name, data spec, fit keyword arguments)``, in a fixed order.

    A data spec is ``(kind, n, d, dtype, density, seed)``: kind "reg"
    (real targets), "log" ({0, 1} labels), "margin" ({-1, 1} labels) or
    "poly" (d = the degree of polynomial_features of one uniform column);
    density < 1 zeroes that share of X's entries, and such X is fitted as
    scipy.sparse CSR.
    """
    out = []
    methods = ("sgd", "minibatch", "batch")
    dtypes = ("float64", "float32")
    loss_kinds = {"squared": "reg", "huber": "reg", "epsilon_insensitive": "reg",
                  "log": "log", "hinge": "margin", "modified_huber": "margin"}
    # Every loss, with every method and dtype, dense and sparse.
    for (loss, kind), method, dtype in itertools.product(loss_kinds.items(), methods, dtypes):
        for density in (1.0, 0.4):
            out.append(_case(f"loss-{loss}-{method}-{dtype}-density{density}",
                             (kind, 96, 7, dtype, density, 11),
                             loss=loss, method=method, lr=0.05, max_epochs=6,
                             batch_size=16))
    # Every optimizer and its variants, with every method and dtype.
    optimizers = {
        "sgd-momentum": ("sgd", {"momentum": 0.9}),
        "sgd-nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
        "sgd-dampening": ("sgd", {"momentum": 0.5, "dampening": 0.3}),
        "adagrad": ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
        "rmsprop": ("rmsprop", {}),
        "rmsprop-centered": ("rmsprop", {"centered": True, "momentum": 0.5}),
        "adam": ("adam", {}),
        "adam-amsgrad": ("adam", {"amsgrad": True, "betas": (0.8, 0.99)}),
        "adamw": ("adamw", {}),
    }
    for (label, (optimizer, params)), method, dtype in itertools.product(
            optimizers.items(), methods, dtypes):
        out.append(_case(f"optimizer-{label}-{method}-{dtype}", ("reg", 80, 6, dtype, 1.0, 23),
                         optimizer=optimizer, optimizer_params=params, method=method,
                         lr=0.01, max_epochs=5, batch_size=10))
    # Adam and the log loss over many steps: exp, log1p and beta**t far out.
    for method, dtype in itertools.product(methods, dtypes):
        out.append(_case(f"adam-log-long-{method}-{dtype}", ("log", 300, 5, dtype, 1.0, 29),
                         loss="log", optimizer="adam", method=method, lr=0.003,
                         max_epochs=25, batch_size=7, shuffle=True, random_state=3))
    # Every schedule, with every method, on a regression and a log-loss problem.
    schedules = {
        "constant": ("constant", {}),
        "invscaling": ("invscaling", {"power_t": 0.25}),
        "invscaling-0.5": ("invscaling", {"power_t": 0.5}),
        "invscaling-0.77": ("invscaling", {"power_t": 0.77}),
        "exponential": ("exponential", {"gamma": 0.9}),
        "step": ("step", {"step_size": 2, "gamma": 0.5}),
        "cosine": ("cosine", {"lr_min": 0.001}),
        "adaptive": ("adaptive", {}),
    }
    for (label, (schedule, params)), method, kind in itertools.product(
            schedules.items(), methods, ("reg", "log")):
        out.append(_case(f"schedule-{label}-{method}-{kind}", (kind, 90, 5, "float64", 1.0, 31),
                         loss="squared" if kind == "reg" else "log", schedule=schedule,
                         schedule_params=params, method=method, lr=0.05, max_epochs=9,
                         batch_size=12, tol=1e-3 if schedule == "adaptive" else None,
                         n_iter_no_change=2))
    # Penalties, averaging, sample weights, shuffling and early stopping.
    weights = ("weights",)
    for method, dtype, density in itertools.product(methods, dtypes, (1.0, 0.3)):
        data = ("reg", 120, 8, dtype, density, 37)
        tag = f"{method}-{dtype}-density{density}"
        out.append(_case(f"elasticnet-{tag}", data, method=method, weight_decay=0.01, l1=0.002,
                         lr=0.02, max_epochs=5, batch_size=8))
        out.append(_case(f"average-{tag}", data, method=method, average=10, lr=0.02,
                         max_epochs=5, batch_size=8))
        out.append(_case(f"sample-weight-{tag}", data + weights, method=method, lr=0.02,
                         max_epochs=5, batch_size=8, loss="huber"))
        out.append(_case(f"shuffle-{tag}", data, method=method, shuffle=True, random_state=7,
                         lr=0.02, max_epochs=5, batch_size=8))
        out.append(_case(f"early-stopping-{tag}", data, method=method, early_stopping=True,
                         validation_fraction=0.2, random_state=5, lr=0.02, max_epochs=12,
                         batch_size=8, n_iter_no_change=3, tol=1e-4))
    # Full batches of more than one chunk (256 rows): the chunk sums and threads.
    for method, dtype in itertools.product(("batch", "minibatch"), dtypes):
        out.append(_case(f"chunks-{method}-{dtype}", ("reg", 700, 4, dtype, 1.0, 41),
                         method=method, lr=0.1, max_epochs=4, batch_size=600))
    # polynomial_features of degree 1 to 5 (the tutorial's problem and beyond).
    for degree, method in itertools.product(range(1, 6), methods):
        out.append(_case(f"poly-degree{degree}-{method}", ("poly", 100, degree, "float64", 1.0, 43),
                         method=method, lr=0.05, max_epochs=8, batch_size=10))
    names = [name for name, _, _ in out]
    assert len(names) == len(set(names)), "case names must be unique"
    return out


def run_case(case, backend="cython"):
    """Fit one case; returns the FitResult and the dense X (for the outputs)."""
    name, data, params = case
    X, y = make_problem(data[:6])
    params = dict(params)
    if len(data) > 6 and data[6] == "weights":
        params["sample_weight"] = (uniform(data[5] + 4, X.shape[0]) + 1.0) * 1.5
    fit_X = X
    if data[4] < 1.0:
        import scipy.sparse

        fit_X = scipy.sparse.csr_matrix(X)
    return fastgd.fit(fit_X, y, backend=backend, **params), X


def _bytes(values):
    arr = np.asarray(values)
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def digest(result, X):
    """The SHA-256 of a fit's results and outputs (see the module docstring)."""
    h = hashlib.sha256()
    parts = [result.coef, np.float64(result.intercept), result.loss_history,
             result.lr_history, result.decision_function(X)]
    if result.validation_loss_history is not None:
        parts.append(result.validation_loss_history)
    if result.loss == "log":
        parts.append(result.predict_proba(X))
    for part in parts:
        h.update(str(np.asarray(part).dtype).encode())
        h.update(_bytes(part))
    h.update(result.stop_reason.encode())
    h.update(str(result.n_epochs).encode())
    return h.hexdigest()


def polynomial_digests():
    """Digests of polynomial_features itself, degrees 1 to 5, on edge-rich inputs."""
    x = np.concatenate([uniform(47, 997) * 10.0, [0.0, -0.0, 1.0, -1.0, 1e-300, 1e100, 3.0]])
    with np.errstate(over="ignore"):  # 1e100 ** 5 overflows to inf, on purpose
        return {f"polynomial_features-degree{k}":
                hashlib.sha256(_bytes(fastgd.polynomial_features(x, k))).hexdigest()
                for k in range(1, 6)}


def all_digests(backend="cython"):
    """``{case name: digest}`` for the whole battery, polynomial_features included."""
    out = {name: digest(*run_case((name, data, params), backend))
           for name, data, params in cases()}
    out.update(polynomial_digests())
    return out
