"""fastgd.minimize: the seed tutorial's gradient descent on any function of a scalar or a vector.

The tutorial's first section minimises ``f(x) = x**2`` by following the
derivative: from ``x0 = -1`` the derivative is negative, so x moves right, and
each step ``x_{t+1} = x_t - lr * f'(x_t)`` brings it closer to 0.
:func:`minimize` runs that loop for any ``f``, with the gradient given or
estimated by central differences.
"""
import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Union

import numpy as np

# Absolute imports, so that ``python -m doctest fastgd/minimize.py`` runs too.
from fastgd import _portable
from fastgd import _validation as check
from fastgd._fit import DivergenceWarning

__all__ = ["minimize", "MinimizeResult"]

#: The central-difference step for coordinate i is ``_REL_STEP * max(1, |x_i|)``:
#: the cube root of float64's machine epsilon (about 6.06e-6), relative to the
#: size of x_i (absolute below 1).  The cube root balances a central
#: difference's truncation error (h**2) against rounding (eps / h).
_REL_STEP = float(np.cbrt(np.finfo(np.float64).eps))


@dataclass(frozen=True, eq=False)
class MinimizeResult:
    """The outcome of :func:`minimize`.

    A frozen dataclass: its fields cannot be reassigned, and its arrays
    (``path``, and ``x`` for a vector start) are read-only; take a
    ``.copy()`` to change them.

    Attributes
    ----------
    x : float or ndarray of shape (dim,)
        The last point reached (after a divergence: the last finite point).
        A Python float when ``x0`` was a scalar (a Python or NumPy number, or a
        0-d array), else a 1-D float64 array.
    fun : float
        ``f(x)``.
    n_iter : int
        The number of steps taken; ``x`` is the point after them.
    converged : bool
        True when the run stopped because a step was shorter than ``tol``.
    diverged : bool
        True when the run stopped because x, ``f(x)`` or the gradient stopped
        being finite (a :class:`fastgd.DivergenceWarning` was issued).
    path : ndarray of shape (n_iter + 1,) or (n_iter + 1, dim)
        Every point visited, starting with ``x0`` and ending with ``x``
        (float64; one row per point for a vector start).
    """

    x: Union[float, np.ndarray]
    fun: float
    n_iter: int
    converged: bool
    diverged: bool
    path: np.ndarray

    def __repr__(self):
        return (f"MinimizeResult(x={self.x!r}, fun={self.fun!r}, n_iter={self.n_iter}, "
                f"converged={self.converged}, diverged={self.diverged}, "
                f"path=<array of shape {self.path.shape}>)")


def minimize(f, x0, *, grad=None, lr=0.1, tol=1e-8, max_iter=10_000):
    """Minimise ``f`` by gradient descent: ``x_{t+1} = x_t - lr * grad(x_t)``.

    The loop of the seed tutorial's first section, for a scalar or a vector
    ``x``.  Each iteration computes the gradient at the current point and takes
    the step ``lr * grad(x)``.  The run stops

    * when that step is shorter than ``tol`` (its Euclidean norm for a vector
      ``x``): ``converged=True``.  The short step is still taken, so it is the
      last one in ``path``;
    * when x, ``f(x)`` or the gradient stops being finite: ``diverged=True``,
      with a :class:`fastgd.DivergenceWarning`, and the last finite point is
      returned (the step to the non-finite point is not counted);
    * otherwise after ``max_iter`` steps, with ``converged=False``.

    Parameters
    ----------
    f : callable
        The function to minimise, ``f(x) -> real scalar``.  For a scalar
        ``x0`` it is called with a float (a ``numpy.float64``, so an overflow
        gives ``inf`` rather than an exception); for a vector ``x0`` with a
        fresh 1-D float64 array of the same length (changing it in place
        does no harm).
    x0 : float or array_like of shape (dim,)
        The starting point: a finite real scalar, or a non-empty 1-D sequence
        of finite real numbers.  It is never modified.
    grad : callable, optional
        The gradient, ``grad(x)``, called like ``f``.  It must return a real
        scalar for a scalar ``x0`` and an array-like of shape ``(dim,)`` for a
        vector one.  When None (the default), central differences are used:
        coordinate i of the gradient is
        ``(f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i)`` with
        ``h_i = cbrt(eps) * max(1, |x_i|)``, ``eps`` being float64's machine
        epsilon (so ``h_i`` is about ``6.06e-6`` for ``|x_i| <= 1``).  That
        costs ``2 * dim`` extra calls of ``f`` per step, and is accurate to
        about ``1e-11 * |f(x)| / max(1, |x_i|)`` plus ``h**2`` times the third
        derivative; pass ``grad`` when ``f(x)`` is large at the minimum and
        ``tol`` is small.
    lr : float, default 0.1
        The learning rate: finite and > 0.  Too large a rate makes the steps
        grow instead of shrink (the tutorial's closing question): see the
        last example.
    tol : float, default 1e-8
        Stop once a step ``lr * grad(x)`` is shorter than this: finite and
        >= 0.  ``tol=0`` never stops early, so exactly ``max_iter`` steps are
        taken unless the run diverges.
    max_iter : int, default 10_000
        The most steps to take, >= 1.  ``path`` keeps every point, so its
        memory grows with the number of steps taken.

    Returns
    -------
    MinimizeResult
        ``x``, ``fun``, ``n_iter``, ``converged``, ``diverged`` and ``path``.

    Raises
    ------
    ValueError
        For a bad argument (naming it); when ``f`` returns anything but a real
        scalar (an array, None, a complex number, ...); when ``grad`` returns
        a value of the wrong shape or kind; when ``f(x0)`` or the gradient at
        ``x0`` is not finite (there is no finite start to descend from).

    Warns
    -----
    DivergenceWarning
        When x, ``f(x)`` or the gradient becomes non-finite (or evaluating
        ``f`` or ``grad`` raises an ``OverflowError``) after the start; the
        message names the iteration.  The usual cure is a smaller ``lr``.
        NumPy's own floating-point warnings (overflow, invalid value, divide
        by zero) are silenced while ``f`` and ``grad`` run: this warning
        reports them instead.

    Examples
    --------
    The seed tutorial's parabola ``f(x) = x**2`` from ``x0 = -1``: the
    derivative there is -2, so x walks right, towards the minimum at 0:

    >>> import numpy as np
    >>> from fastgd.minimize import minimize
    >>> result = minimize(lambda x: x**2, -1, lr=0.1)
    >>> result.converged, result.diverged
    (True, False)
    >>> abs(result.x) < 1e-7
    True
    >>> float(result.path[0])
    -1.0
    >>> bool(np.all(np.diff(result.path) > 0))    # every step goes right
    True
    >>> print(np.round(result.path[:4], 6))       # x_{t+1} = x_t - 0.1 * 2 x_t = 0.8 x_t
    [-1.    -0.8   -0.64  -0.512]
    >>> result.path.shape == (result.n_iter + 1,)
    True

    A quadratic bowl in two variables, with its gradient given:

    >>> def f(x):
    ...     return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2
    >>> def grad(x):
    ...     return np.array([2 * (x[0] - 1), 20 * (x[1] + 2)])
    >>> result = minimize(f, [0.0, 0.0], grad=grad, lr=0.04)
    >>> result.converged
    True
    >>> print(np.round(result.x, 6))
    [ 1. -2.]
    >>> result.path.shape == (result.n_iter + 1, 2)
    True

    Too large a learning rate: with ``lr=1.1`` each step on ``x**2`` multiplies
    x by ``1 - 2.2 = -1.2``, so x swings ever wider until ``x**2`` overflows:

    >>> import warnings
    >>> import fastgd
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = minimize(lambda x: x**2, -1, lr=1.1)
    >>> [w.category is fastgd.DivergenceWarning for w in caught]
    [True]
    >>> "smaller lr" in str(caught[0].message)
    True
    >>> result.diverged, result.converged
    (True, False)
    >>> bool(np.isfinite(result.fun)) and bool(np.isfinite(result.path).all())
    True
    """
    if not callable(f):
        raise ValueError(f"f must be callable (the function to minimize), got {f!r}")
    if grad is not None and not callable(grad):
        raise ValueError(f"grad must be callable or None (None: central differences), "
                         f"got {grad!r}")
    x, scalar = _check_x0(x0)
    lr = check.check_real(lr, "lr", positive=True)
    tol = check.check_real(tol, "tol", nonnegative=True)
    max_iter = check.check_int(max_iter, "max_iter", minimum=1)

    if scalar:
        def value(point):
            return _real_scalar(f(point), "f", "")

        if grad is None:
            def gradient(point):
                h = _REL_STEP * max(1.0, abs(float(point)))
                return (value(point + h) - value(point - h)) / (2 * h)
        else:
            def gradient(point):
                return _real_scalar(grad(point), "grad", " for a scalar x0")
    else:
        dim = x.shape[0]

        def value(point):  # point: a fresh array the caller does not keep
            return _real_scalar(f(point), "f", "")

        if grad is None:
            def gradient(point):
                return _central_differences(value, point)
        else:
            def gradient(point):
                return _grad_vector(grad(point.copy()), dim)

    path = [x.copy() if not scalar else float(x)]
    diverged = converged = False
    problem = None
    n_iter = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fx = value(x.copy() if not scalar else x)
        if not math.isfinite(fx):
            raise ValueError(f"f(x0) is {fx}: minimize needs a finite value of f at the "
                             f"starting point x0")
        for _ in range(max_iter):
            try:
                g = gradient(x)
                if not (math.isfinite(g) if scalar else _all_finite(g)):
                    problem = "the gradient"
                else:
                    step = lr * g
                    norm = abs(float(step)) if scalar else _norm(step)
                    new_x = x - step
                    if not (math.isfinite(new_x) if scalar else _all_finite(new_x)):
                        problem = "x"
                    else:
                        new_fx = value(new_x.copy() if not scalar else new_x)
                        if not math.isfinite(new_fx):
                            problem = "f(x)"
            except (OverflowError, FloatingPointError) as exc:
                problem = f"a value ({type(exc).__name__}: {exc})"
            if problem is not None:
                if n_iter == 0 and problem == "the gradient":
                    how = ("grad(x0)" if grad is not None else
                           "the central-difference gradient at x0 (f is not finite within "
                           "a step h of x0)")
                    raise ValueError(f"{how} is not finite: minimize needs a finite "
                                     f"gradient at the starting point x0")
                diverged = True
                break
            x, fx = new_x, new_fx
            n_iter += 1
            path.append(float(x) if scalar else x.copy())
            if norm < tol:
                converged = True
                break

    if diverged:
        kept = f"iteration {n_iter}" if n_iter else "the start (x0)"
        warnings.warn(
            f"minimize diverged at iteration {n_iter + 1} (lr={lr:g}): {problem} was not "
            f"finite; returning the last finite point, from {kept}. Try a smaller lr.",
            DivergenceWarning, stacklevel=2)

    if scalar:
        x_out = float(x)
        path_arr = np.array(path, dtype=np.float64)
    else:
        x_out = np.array(x, dtype=np.float64)  # a copy, not an array in path
        x_out.flags.writeable = False
        path_arr = np.stack(path)
    path_arr.flags.writeable = False
    return MinimizeResult(x=x_out, fun=float(fx), n_iter=n_iter, converged=converged,
                          diverged=diverged, path=path_arr)


def _check_x0(x0):
    """``(x, scalar)``: a ``numpy.float64`` for a scalar x0, else a fresh 1-D float64 array."""
    try:
        raw = np.asarray(x0)
    except (ValueError, TypeError):
        raw = None  # e.g. a ragged list: _to_float_array explains below
    if raw is not None and raw.ndim == 0:
        value = raw.item() if raw.dtype.kind == "O" else raw[()]
        return np.float64(check.check_real(value, "x0")), True
    arr = check._to_float_array(x0, "x0", np.float64)
    if arr.ndim != 1:
        raise ValueError(f"x0 must be a scalar or a 1-D array-like, got shape {arr.shape}"
                         + ("; use x0.ravel() for a flat vector" if arr.ndim > 1 else ""))
    if arr.shape[0] == 0:
        raise ValueError("x0 is empty; it needs at least one coordinate")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"x0 must be finite, got {arr[i]} at index {i}")
    return arr.copy(), False  # never the caller's array


def _describe(value):
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} (dtype {value.dtype})"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"{value!r} ({type(value).__name__})"


def _real_scalar(value, name, context):
    """``value`` as a Python float (NaN and infinity allowed), or a ValueError naming ``name``."""
    if isinstance(value, float):  # float and numpy.float64: the common case
        return float(value)
    if not isinstance(value, (bool, np.bool_)):
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            return float(value)
    hint = ""
    if isinstance(value, (np.ndarray, list, tuple)) and np.size(value) == 1:
        hint = "; return a single number, e.g. with float(...) or .item()"
    elif isinstance(value, numbers.Complex) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        hint = "; complex values cannot be minimized (return e.g. the squared modulus)"
    raise ValueError(f"{name} must return a real scalar{context}, got {_describe(value)}"
                     f"{hint}")


def _grad_vector(value, dim):
    """grad's value as a float64 array of shape (dim,), or a ValueError naming grad."""
    if type(value) is np.ndarray and value.shape == (dim,) and value.dtype == np.float64:
        return value
    if value is None:
        raise ValueError(f"grad must return an array-like of shape ({dim},) like x0, got None")
    arr = check._to_float_array(value, "grad's value", np.float64)
    if arr.shape != (dim,):
        raise ValueError(f"grad must return an array-like of shape ({dim},) like x0, got "
                         f"shape {np.shape(value)}")
    return arr


def _central_differences(value, x):
    """The central-difference gradient of ``value`` at the 1-D array ``x``."""
    g = np.empty_like(x)
    h = _REL_STEP * np.maximum(1.0, np.abs(x))
    for i in range(x.shape[0]):
        ahead = x.copy()
        ahead[i] += h[i]
        behind = x.copy()
        behind[i] -= h[i]
        g[i] = (value(ahead) - value(behind)) / (2 * h[i])
    return g


def _all_finite(arr):
    # A finite sum means every value is finite; a non-finite one may be an
    # overflow of the sum, so then look at the values themselves.
    return math.isfinite(arr.sum()) or bool(np.isfinite(arr).all())


def _norm(v):
    """Euclidean norm of a finite 1-D array, without overflow in the squares.

    Summed with math.fsum (see fastgd._portable), not ``v @ v``: BLAS's dot
    sums in an order that depends on the CPU, and the norm decides when the
    descent stops.
    """
    return _portable.norm(v)
