"""The one place that checks and converts user input.

Every public entry point calls these helpers before any kernel runs; the
kernels trust what they receive (bounds checks are off).  Each error names the
argument and says what was wrong with it.  Inputs are never modified: arrays
are copied whenever the kernels would write to them.
"""
import math
import numbers

import numpy as np

from . import _sparse
from ._options import PEER_VALUE_NAMES, did_you_mean
from ._options import (BACKENDS, DEFAULT_WEIGHT_DECAY, LOSSES, METHODS, OPTIMIZERS,
                       REDUCTIONS, REQUIRED, SCHEDULES, Optimizer)


#: The dtypes the kernels run in.  float32 data stays float32 (no copy, no
#: upcast); every other real dtype is converted once to float64.
WORKING_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def working_dtype(arr):
    """float32 for float32 data (either byte order), float64 for any other real data."""
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _to_float_array(value, name, dtype=None):
    """``value`` as a C-contiguous ndarray of ``dtype`` (default: its working dtype).

    Non-numeric data is rejected with a clear message.
    """
    if type(value) is np.ndarray and value.ndim and value.flags.c_contiguous \
            and value.flags.aligned and (
            value.dtype == dtype if dtype is not None else value.dtype in WORKING_DTYPES):
        return value  # the common case, and the cheapest test for it
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # e.g. ragged nested lists
        raise ValueError(f"{name} could not be converted to a numeric array: {exc}") from None
    if arr.dtype.kind == "O":  # e.g. numbers in an object column: convert, if they are
        try:
            if any(v is None for v in arr.flat):  # astype would make None a silent NaN
                raise TypeError
            arr = arr.astype(np.float64)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"{name} must hold real numbers (bool, int or float), got object "
                             f"data that does not convert to float") from None
    if arr.dtype.kind not in "biuf":
        kind = {"c": "complex", "O": "object", "U": "string", "S": "bytes",
                "M": "datetime", "m": "timedelta", "V": "structured"}.get(arr.dtype.kind,
                                                                          str(arr.dtype))
        raise ValueError(
            f"{name} must hold real numbers (bool, int or float), got {kind} data "
            f"(dtype {arr.dtype})")
    target = working_dtype(arr) if dtype is None else np.dtype(dtype)
    if target == np.float32 and arr.dtype.itemsize > 4:
        # Wider data cast to float32 (for a float32 X): finite values beyond
        # float32's range would silently become infinities.
        with np.errstate(over="raise"):
            try:
                return _sparse.contiguous(arr, target)
            except FloatingPointError:
                raise ValueError(
                    f"{name} has values beyond float32's range (about 3.4e38); the fit runs "
                    f"in float32 because X is float32: pass X as float64 to fit in float64"
                ) from None
    return _sparse.contiguous(arr, target)


def check_finite(arr, name):
    """Raise ValueError naming ``name`` and the first position of a NaN or infinity."""
    if isinstance(arr, _sparse.CSRRows):
        _sparse.check_finite_csr(arr, name)
        return
    # Fast paths: small arrays in plain Python (cheaper than any NumPy call);
    # large ones by their sum, finite only if every value is (NaN and inf
    # propagate), without a boolean temporary as large as the array.  A sum
    # that overflows falls through to the exact test.
    if arr.size <= 64:
        if all(map(math.isfinite, arr.ravel().tolist())):
            return
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            total = arr.sum()
        if math.isfinite(total):
            return
    finite = np.isfinite(arr)
    if not finite.all():
        where = ", ".join(str(int(k)) for k in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} contains NaN or infinity (first at index [{where}]); "
            f"remove or impute non-finite values before fitting")


def check_X(X, n_features=None, name="X", finite=True, dtype=None):
    """Return X as a C-contiguous (n, d) array of ``dtype`` (default: its working dtype).

    A C-contiguous float32 or float64 array is returned as it is, not copied.
    A scipy.sparse matrix or array becomes a :class:`fastgd._sparse.CSRRows`
    (see :func:`fastgd._sparse.check_csr`).  With ``finite=False`` the values
    are not scanned for NaN and infinity; the caller takes on that check (see
    :func:`fastgd.fit`, which defers it).
    """
    if _sparse.is_sparse(X) or isinstance(X, _sparse.CSRRows):
        rows = X if isinstance(X, _sparse.CSRRows) else _sparse.check_csr(
            X, name, n_features=n_features, dtype=dtype)
        if finite:
            check_finite(rows, name)
        return rows
    arr = _to_float_array(X, name, dtype)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (f"; for a single feature x use {name}=x.reshape(-1, 1), or "
                    f"fastgd.polynomial_features(x, degree) for a polynomial model")
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), "
                         f"got {arr.ndim}-D with shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {arr.shape}); at least 1 is needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {arr.shape}); at least 1 is needed")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model was fitted "
                         f"with {n_features}")
    if finite:
        check_finite(arr, name)
    return arr


def check_y(y, n_samples, finite=True, dtype=np.float64):
    """Return y as a 1-D ``dtype`` array of length ``n_samples`` (finite: as in check_X)."""
    arr = _to_float_array(y, "y", dtype)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D with one target per sample, got shape {arr.shape}"
                         + ("; use y.ravel()" if arr.ndim == 2 and 1 in arr.shape else ""))
    if arr.shape[0] != n_samples:
        raise ValueError(f"y has {arr.shape[0]} values but X has {n_samples} samples; "
                         f"they must have the same length")
    if finite:
        check_finite(arr, "y")
    return arr


def check_float32_rate(lr):
    """A learning rate must stay a positive finite number in float32 arithmetic."""
    with np.errstate(over="ignore"):
        lr32 = float(np.float32(lr))
    if not (0 < lr32 < math.inf):
        raise ValueError(f"lr={lr!r} becomes {lr32} in float32, the dtype of this fit (X is "
                         f"float32); use a learning rate in float32's range or float64 X")


def check_1d(values, name, dtype=None):
    """Return ``values`` as a 1-D array of ``dtype`` (default: its working dtype).

    Not scanned for NaN.
    """
    arr = _to_float_array(values, name, dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def check_coef_init(coef_init, n_features, dtype=np.float64):
    """A fresh ``dtype`` copy of ``coef_init`` (zeros when None), of length ``n_features``."""
    if coef_init is None:
        return np.zeros(n_features, dtype=dtype)
    arr = _to_float_array(coef_init, "coef_init", dtype)
    if arr.ndim != 1 or arr.shape[0] != n_features:
        raise ValueError(f"coef_init must be 1-D with one value per feature "
                         f"({n_features}), got shape {arr.shape}")
    check_finite(arr, "coef_init")
    return arr.copy()  # the kernels write to it; the caller's array stays as it was


def check_real(value, name, *, positive=False, nonnegative=False, allow_inf=False):
    """A Python float from a real scalar, with range checks; bools are rejected."""
    # The exact-type test first: the abstract numbers.Real check costs about a
    # microsecond, which adds up in fit()'s fixed cost on small problems.
    if type(value) not in (float, int) and (
            isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)):
        raise ValueError(f"{name} must be a real number, got {value!r} "
                         f"({type(value).__name__})")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


#: Counts the kernels hold in a 64-bit signed integer (epochs, steps, plateau
#: lengths) are bounded well inside it; any larger value means "never" anyway.
MAX_COUNT = 2**62


def check_int(value, name, *, minimum, maximum=MAX_COUNT):
    """A Python int from an integer scalar in ``[minimum, maximum]``; bools and floats are
    rejected."""
    if type(value) is not int and (
            isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)):
        raise ValueError(f"{name} must be an integer, got {value!r} "
                         f"({type(value).__name__})")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum} (2**62), got {value}")
    return value


def check_bool(value, name):
    if value is True or value is False:
        return value
    if not isinstance(value, np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:  # np.str_ is a str too
        options = ", ".join(repr(c) for c in choices)
        hint = did_you_mean(value, choices, PEER_VALUE_NAMES.get(name))
        raise ValueError(f"{name} must be one of {options}, got {value!r}{hint}")
    return value


def check_method(method):
    return METHODS[check_choice(method, "method", METHODS)]


def check_reduction(reduction):
    return check_choice(reduction, "reduction", REDUCTIONS)


def check_backend(backend):
    return check_choice(backend, "backend", BACKENDS)


def check_random_state(random_state, needed=True):
    """The 64-bit seed for the shuffle generator; a fresh random one when None.

    When the generator is not ``needed`` (no shuffling) and no seed was given,
    returns None rather than paying for a fresh one.
    """
    if random_state is None:
        if not needed:
            return None
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    seed = check_int(random_state, "random_state", minimum=0, maximum=None)
    if seed >= 2 ** 64:
        raise ValueError(f"random_state must be < 2**64, got {seed}")
    return seed


def check_callback(callback):
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {callback!r}")
    return callback


def check_n_threads(n_threads, default):
    """A thread count >= 1; None means ``default`` (OpenMP's own choice)."""
    if n_threads is None:
        return default
    return check_int(n_threads, "n_threads", minimum=1, maximum=None)


def _component_params(kind, name, table, params, argument):
    """``table``'s defaults updated with ``params`` (a mapping or None), keys checked."""
    if params is None:
        merged = dict(table)
    else:
        if not hasattr(params, "items"):
            raise ValueError(f"{argument} must be a dict or None, got {params!r}")
        unknown = [key for key in params if key not in table]
        if unknown:
            valid = ", ".join(repr(k) for k in table) or "none"
            raise ValueError(f"{argument} has {', '.join(repr(k) for k in unknown)}, which "
                             f"{kind} {name!r} does not take; its parameters: {valid}")
        merged = dict(table)
        merged.update(params)
    missing = [key for key, value in merged.items() if value is REQUIRED]
    if missing:
        raise ValueError(f"{kind} {name!r} needs {', '.join(repr(k) for k in missing)} "
                         f"in {argument}")
    return merged


def check_loss(loss, loss_params):
    """``(LossSpec, parameter)`` for the loss name and its parameter dict."""
    if loss == "squared" and loss_params is None:  # the default, at no cost
        return LOSSES["squared"], 0.0
    name = check_choice(loss, "loss", LOSSES)
    spec = LOSSES[name]
    params = _component_params("loss", name, spec.params, loss_params, "loss_params")
    value = 0.0
    for key, raw in params.items():  # at most one: delta or epsilon
        value = check_real(raw, f"loss_params[{key!r}]", positive=key == "delta",
                           nonnegative=True)
    return spec, value


def check_labels(y, spec, loss):
    """y for the loss's label set: refused when outside it, mapped onto its first set."""
    if spec.labels is None:
        return y
    values = np.unique(y)
    for i, label_set in enumerate(spec.labels):
        if np.isin(values, label_set).all():
            if i == 0:
                return y
            low_to = spec.labels[0][0]
            return np.where(y == label_set[0], y.dtype.type(low_to), y)  # a new array
    sets = " or ".join("{" + ", ".join(f"{v:g}" for v in s) + "}" for s in spec.labels)
    shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
    raise ValueError(f"loss={loss!r} needs labels in {sets}; y has {shown}")


def _check_beta(value, name):
    value = check_real(value, name, nonnegative=True)
    if not value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def check_optimizer(optimizer, optimizer_params, weight_decay, l1):
    """The optimizer's code and its settings as a dict of Settings fields."""
    name = check_choice(optimizer, "optimizer", OPTIMIZERS)
    code, defaults = OPTIMIZERS[name]
    params = _component_params("optimizer", name, defaults, optimizer_params,
                               "optimizer_params")
    where = "optimizer_params[{!r}]".format
    out = {"optimizer": code}
    if weight_decay is None:
        weight_decay = DEFAULT_WEIGHT_DECAY.get(name, 0.0)
    out["weight_decay"] = check_real(weight_decay, "weight_decay", nonnegative=True)
    out["l1"] = check_real(l1, "l1", nonnegative=True)
    if "momentum" in params:
        out["momentum"] = check_real(params["momentum"], where("momentum"), nonnegative=True)
    if "eps" in params:
        out["eps"] = check_real(params["eps"], where("eps"), positive=True)
    if code == Optimizer.SGD:
        out["dampening"] = check_real(params["dampening"], where("dampening"))
        out["nesterov"] = check_bool(params["nesterov"], where("nesterov"))
        if out["nesterov"] and (out["momentum"] == 0 or out["dampening"] != 0):
            raise ValueError("optimizer_params['nesterov']=True needs a momentum > 0 and "
                             "zero dampening (as torch.optim.SGD)")
    elif code == Optimizer.ADAGRAD:
        out["lr_decay"] = check_real(params["lr_decay"], where("lr_decay"), nonnegative=True)
        out["initial_accumulator_value"] = check_real(
            params["initial_accumulator_value"], where("initial_accumulator_value"),
            nonnegative=True)
    elif code == Optimizer.RMSPROP:
        alpha = check_real(params["alpha"], where("alpha"), nonnegative=True)
        if alpha > 1:
            raise ValueError(f"optimizer_params['alpha'] must be in [0, 1], got {alpha}")
        out["alpha"] = alpha
        out["centered"] = check_bool(params["centered"], where("centered"))
    else:
        betas = params["betas"]
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"optimizer_params['betas'] must be a pair (beta1, beta2), "
                             f"got {betas!r}")
        out["beta1"] = _check_beta(betas[0], "optimizer_params['betas'][0]")
        out["beta2"] = _check_beta(betas[1], "optimizer_params['betas'][1]")
        out["amsgrad"] = check_bool(params["amsgrad"], where("amsgrad"))
    return out


def check_schedule(schedule, schedule_params, lr):
    """The schedule's code and its settings as a dict of Settings fields."""
    name = check_choice(schedule, "schedule", SCHEDULES)
    code, defaults = SCHEDULES[name]
    params = _component_params("schedule", name, defaults, schedule_params, "schedule_params")
    where = "schedule_params[{!r}]".format
    out = {"schedule": code}
    if "power_t" in params:
        out["power_t"] = check_real(params["power_t"], where("power_t"), nonnegative=True)
    if "gamma" in params:
        out["gamma"] = check_real(params["gamma"], where("gamma"), positive=True)
    if "step_size" in params:
        out["step_size"] = check_int(params["step_size"], where("step_size"), minimum=1)
    if "lr_min" in params:
        lr_min = check_real(params["lr_min"], where("lr_min"), nonnegative=True)
        if lr_min > lr:
            raise ValueError(f"schedule_params['lr_min'] must be <= lr ({lr}), got {lr_min}")
        out["lr_min"] = lr_min
    return out


def check_average(average):
    """``average`` as the step averaging starts at (from 1), or 0 for none.

    ``False``/``0`` means none, ``True`` the first step, an int k >= 1 the
    k-th step (scikit-learn's ``average``).
    """
    if isinstance(average, (bool, np.bool_)):
        return 1 if average else 0
    if not isinstance(average, numbers.Integral):
        raise TypeError(f"average must be a bool or an int >= 0 (the step averaging starts "
                        f"at), got {type(average).__name__} {average!r}")
    return check_int(average, "average", minimum=0)


def check_fraction(value, name):
    value = check_real(value, name)
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return value


def check_sample_weight(sample_weight, n_samples, dtype):
    """Per-sample weights as a ``dtype`` array (empty when None): finite and >= 0."""
    if sample_weight is None:
        return np.empty(0, dtype=dtype)
    arr = _to_float_array(sample_weight, "sample_weight", dtype)
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(f"sample_weight must be 1-D with one weight per sample "
                         f"({n_samples}), got shape {arr.shape}")
    check_finite(arr, "sample_weight")
    if (arr < 0).any():
        raise ValueError(f"sample_weight must be >= 0, got {arr.min()} at index "
                         f"{int(np.argmin(arr))}")
    if n_samples and not arr.any():
        raise ValueError("sample_weight is all zero: Sample weights must contain at least "
                         "one non-zero number (there is nothing to fit)")
    return arr
