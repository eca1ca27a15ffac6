"""Hostile input for fastgd.fit: run as ``python tests/fuzz_fit.py N_CASES SEED LOG``.

Every case must end in a FitResult or a ValueError/TypeError whose message
names an argument; never a crash, a hang, another exception, a modified input
or an impossible result.  Before each case its description is written and
flushed to LOG, so when the interpreter dies the last line says which case
killed it (tests/test_fuzz.py runs this in a child process and reports that
line).  Prints ``cases N, results R, errors E`` on success.
"""
import re
import sys
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgd

ARGUMENTS = ("X", "y", "method", "lr", "max_epochs", "stop_loss", "batch_size", "reduction",
             "coef_init", "intercept_init", "fit_intercept", "shuffle", "random_state",
             "backend", "verbose", "callback", "n_threads", "loss", "loss_params",
             "optimizer", "optimizer_params", "weight_decay", "l1", "schedule",
             "schedule_params", "tol", "n_iter_no_change", "early_stopping",
             "validation_fraction", "sample_weight", "delta", "epsilon", "momentum",
             "dampening", "nesterov", "betas", "eps", "alpha", "amsgrad", "centered",
             "lr_decay", "initial_accumulator_value", "power_t", "gamma", "step_size",
             "lr_min")
NAMES_AN_ARGUMENT = re.compile(r"\b(" + "|".join(ARGUMENTS) + r")\b")

SPECIAL_VALUES = [0.0, -0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, 5e-324, np.nan, np.inf,
                  -np.inf, 3.4e38, 1e-45]


@st.composite
def matrices(draw, hostile=True):
    """X in every form a user might pass, including (when hostile) invalid ones."""
    shape_kind = draw(st.sampled_from(["normal"] * 10 + ["one_row", "one_row", "one_column",
                                                         "wide"] + (["empty"] if hostile else [])))
    n, d = {"normal": (draw(st.integers(2, 60)), draw(st.integers(1, 12))),
            "empty": (0, 3), "one_row": (1, draw(st.integers(1, 5))),
            "one_column": (draw(st.integers(1, 40)), 1),
            "wide": (draw(st.integers(1, 3)), 10_000)}[shape_kind]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1.0, 1e300, 1e-300, 5e-324, 1e30]))
    with np.errstate(all="ignore"):
        X = rng.standard_normal((n, d)) * scale
    if n and draw(st.booleans()):
        X[:, 0] = draw(st.sampled_from([1.0, 0.0]))  # a constant column
    if n and hostile and draw(st.integers(0, 4)) == 0:
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf]))
    valid_forms = ["float64"] * 4 + ["float32"] * 2 + [
        "int", "bool", "float16", "object", "list", "tuple", "fortran", "strided", "reversed",
        "readonly"]
    form = draw(st.sampled_from(valid_forms + (["complex", "string", "3d", "1d"] if hostile
                                               else [])))
    with np.errstate(all="ignore"):
        if form == "float32":
            return X.astype(np.float32)
        if form == "int":
            return np.nan_to_num(X).clip(-1e9, 1e9).astype(np.int64)
        if form == "bool":
            return X > 0
        if form == "float16":
            return X.astype(np.float16)
        if form == "complex":
            return X.astype(np.complex128)
        if form == "object":
            return X.astype(object)
        if form == "string":
            return X.astype(str)
        if form == "list":
            return X.tolist()
        if form == "tuple":
            return tuple(map(tuple, X.tolist()))
        if form == "fortran":
            return np.asfortranarray(X)
        if form == "strided":
            return np.repeat(X, 2, axis=1)[:, ::2]
        if form == "reversed":
            return X[::-1]
        if form == "readonly":
            X.flags.writeable = False
            return X
        if form == "3d":
            return X[None]
        if form == "1d":
            return X.ravel()
    return X


def length(X):
    try:
        return len(X)
    except TypeError:
        return 0


@st.composite
def targets(draw, n, hostile=True):
    kind = draw(st.sampled_from(["real"] * 4 + ["labels01", "labels11", "list"] + (
        ["mismatched", "nan", "2d", "strings", "scalar"] if hostile else [])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "labels01":
        return (rng.random(n) > 0.5).astype(float)
    if kind == "labels11":
        return np.where(rng.random(n) > 0.5, 1.0, -1.0)
    if kind == "mismatched":
        return rng.standard_normal(n + draw(st.sampled_from([-1, 1, 5])) if n else 3)
    if kind == "nan":
        y = rng.standard_normal(n)
        if n:
            y[draw(st.integers(0, n - 1))] = draw(st.sampled_from([np.nan, np.inf]))
        return y
    if kind == "2d":
        return rng.standard_normal((n, 2))
    if kind == "list":
        return rng.standard_normal(n).tolist()
    if kind == "strings":
        return np.array(["a"] * n)
    if kind == "scalar":
        return 1.0
    return rng.standard_normal(n) * draw(st.sampled_from([1.0, 1e300, 1e-300]))


ABSURD = [0, -1, 1e300, -1e300, 1e-300, np.nan, np.inf, "a", None, True, [1], 2**70]


@st.composite
def odd(draw, *normal, hostile=True):
    """A parameter value: usually a normal one, one time in eight (if hostile) absurd."""
    if hostile and draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(ABSURD))
    return draw(st.sampled_from(normal))


@st.composite
def calls(draw):
    # Half the cases are hostile; the other half valid, so that fits run to the end
    # and their results are checked too.
    hostile = draw(st.booleans())
    X = draw(matrices(hostile))
    n = length(X)
    y = draw(targets(n, hostile))
    kwargs = {}
    options = {
        "method": odd("sgd", "minibatch", "batch", hostile=hostile),
        "lr": odd(1e-3, 0.1, 1.0, 1e300, hostile=hostile),
        "max_epochs": odd(1, 2, 3, hostile=hostile),
        "batch_size": odd(1, 7, 10**9, hostile=hostile),
        "reduction": odd("mean", "sum", hostile=hostile),
        "fit_intercept": odd(True, False, hostile=hostile),
        "shuffle": odd(True, False, hostile=hostile),
        "random_state": odd(0, 2**64 - 1, 2**64, hostile=hostile),
        "intercept_init": odd(0.0, 1e300, hostile=hostile),
        "n_threads": odd(1, 2, 10**12, hostile=hostile),
        "loss": odd("squared", "huber", "epsilon_insensitive", "log", "hinge",
                    "modified_huber", "nope", hostile=hostile),
        "optimizer": odd("sgd", "adagrad", "rmsprop", "adam", "adamw", "lbfgs", hostile=hostile),
        "schedule": odd("constant", "invscaling", "cosine", "adaptive", "step", hostile=hostile),
        "weight_decay": odd(None, 0.0, 0.01, hostile=hostile),
        "l1": odd(0.0, 1e-3, hostile=hostile),
        "tol": odd(None, 1e-3, hostile=hostile),
        "n_iter_no_change": odd(1, 5, hostile=hostile),
        "early_stopping": odd(False, True, hostile=hostile),
        "validation_fraction": odd(0.1, 0.5, 0.99, hostile=hostile),
        "stop_loss": odd(None, 0.0, np.inf, hostile=hostile),
    }
    for name, strategy in options.items():
        if draw(st.integers(0, 3)) == 0:
            kwargs[name] = draw(strategy)
    if draw(st.integers(0, 5)) == 0 and hostile:
        kwargs["optimizer_params"] = draw(st.sampled_from([
            {"momentum": 0.9}, {"momentum": -1}, {"betas": (0.9, 1.0)}, {"betas": 0.9},
            {"eps": 0.0}, {"nesterov": True}, {"bogus": 1}, "not a dict", {"alpha": 2.0},
            {"momentum": 0.9, "nesterov": True}, {"centered": "yes"}]))
    if draw(st.integers(0, 5)) == 0 and hostile:
        kwargs["schedule_params"] = draw(st.sampled_from([
            {"gamma": 0.5}, {"step_size": 0}, {"step_size": 2}, {"power_t": -1},
            {"lr_min": 1e9}, {"gamma": np.nan}, [1, 2]]))
    if draw(st.integers(0, 2)) == 0:
        loss = draw(st.sampled_from(["huber", "epsilon_insensitive"]))
        kwargs["loss"] = loss
        kwargs["loss_params"] = draw(st.sampled_from(
            [{"delta": 2.0}, {"delta": 0.1}] * 3 + [{"delta": 0.0}, {"x": 1}]
            if loss == "huber" else
            [{"epsilon": 0.5}, {"epsilon": 0.0}] * 3 + [{"epsilon": -1.0}, {"delta": 1}]))
    if draw(st.integers(0, 4)) == 0:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        kwargs["sample_weight"] = draw(st.sampled_from([
            rng.random(n), -rng.random(n), np.full(n, np.nan), rng.random(n + 1),
            rng.random(n).tolist(), np.zeros(n)]))
    if draw(st.integers(0, 4)) == 0:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        width = np.shape(X)[-1] if np.ndim(X) >= 1 and n else 1
        kwargs["coef_init"] = draw(st.sampled_from([
            rng.standard_normal(width), rng.standard_normal(width + 1),
            np.full(width, np.nan), [[1.0]], "abc"]))
    kwargs.setdefault("max_epochs", draw(st.integers(1, 3)))  # keeps cases fast
    if draw(st.integers(0, 8)) == 0:
        # A huge epoch budget is fine when something stops the fit at once.
        kwargs.update(max_epochs=10**12, stop_loss=np.inf)
    if draw(st.integers(0, 6)) == 0 and n <= 40 and np.ndim(X) == 2 and np.shape(X)[1] <= 12:
        kwargs["backend"] = "python"
    return X, y, kwargs


def fingerprint(value):
    """Bytes that change if an input is modified in place (arrays and lists)."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes() if value.dtype != object
                else repr(value.tolist()))
    if isinstance(value, (list, tuple, dict)):
        return repr(value)
    return None


def describe(X, y, kwargs):
    def short(value):
        if isinstance(value, np.ndarray):
            return f"ndarray(shape={value.shape}, dtype={value.dtype}, " \
                   f"c={value.flags.c_contiguous}, writeable={value.flags.writeable})"
        if isinstance(value, (list, tuple)):
            return f"{type(value).__name__}(len={len(value)})"
        return repr(value)
    return f"X={short(X)} y={short(y)} " + " ".join(
        f"{key}={short(value)}" for key, value in kwargs.items())


class Tally:
    cases = results = errors = 0


def check_case(X, y, kwargs, log):
    log.write(describe(X, y, kwargs) + "\n")
    log.flush()
    Tally.cases += 1
    inputs = [X, y] + list(kwargs.values())
    before = [fingerprint(v) for v in inputs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any other warning is a finding
            warnings.simplefilter("ignore", fastgd.DivergenceWarning)
            result = fastgd.fit(X, y, **kwargs)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert NAMES_AN_ARGUMENT.search(message), f"unclear error: {message!r}"
        Tally.errors += 1
    else:
        Tally.results += 1
        max_epochs = kwargs.get("max_epochs", 1000)
        assert 1 <= result.n_epochs <= max_epochs
        assert len(result.loss_history) == len(result.lr_history) == result.n_epochs
        assert np.isfinite(result.coef).all() and np.isfinite(result.intercept)
        assert result.coef.shape == (np.shape(np.asarray(X))[1],)
        assert result.diverged == (result.stop_reason == "diverged")
        if not result.diverged:
            assert np.isfinite(result.loss_history).all()
    after = [fingerprint(v) for v in inputs]
    assert before == after, "an input was modified"


def main(n_cases, seed, log_path):
    with open(log_path, "w") as log:
        @settings(max_examples=n_cases, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(calls())
        def run(call):
            check_case(*call, log)

        run._hypothesis_internal_use_seed = seed
        run()
    print(f"cases {Tally.cases}, results {Tally.results}, errors {Tally.errors}")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
