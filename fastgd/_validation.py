"""The one place that checks and converts user input.

Every public entry point calls these helpers before any kernel runs; the
kernels trust what they receive (bounds checks are off).  Each error names the
argument and says what was wrong with it.  Inputs are never modified: arrays
are copied whenever the kernels would write to them.
"""
import math
import numbers

import numpy as np

from ._options import BACKENDS, METHODS, REDUCTIONS


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
    if type(value) is np.ndarray and value.ndim and value.flags.c_contiguous and (
            value.dtype == dtype if dtype is not None else value.dtype in WORKING_DTYPES):
        return value  # the common case, and the cheapest test for it
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # e.g. ragged nested lists
        raise ValueError(f"{name} could not be converted to a numeric array: {exc}") from None
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
                return np.ascontiguousarray(arr, dtype=target)
            except FloatingPointError:
                raise ValueError(
                    f"{name} has values beyond float32's range (about 3.4e38); the fit runs "
                    f"in float32 because X is float32: pass X as float64 to fit in float64"
                ) from None
    return np.ascontiguousarray(arr, dtype=target)


def check_finite(arr, name):
    """Raise ValueError naming ``name`` and the first position of a NaN or infinity."""
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
    With ``finite=False`` the values are not scanned for NaN and infinity; the
    caller takes on that check (see :func:`fastgd.fit`, which defers it).
    """
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


def check_int(value, name, *, minimum):
    """A Python int from an integer scalar >= ``minimum``; bools and floats are rejected."""
    if type(value) is not int and (
            isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)):
        raise ValueError(f"{name} must be an integer, got {value!r} "
                         f"({type(value).__name__})")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
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
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
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
    seed = check_int(random_state, "random_state", minimum=0)
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
    return check_int(n_threads, "n_threads", minimum=1)
