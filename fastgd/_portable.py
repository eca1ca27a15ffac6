"""Sums, norms and probabilities whose bits are the same on every machine.

NumPy's reductions (``sum``, ``mean``, ``std``, ``@``) and its ``exp`` and
``log`` are dispatched per CPU (SIMD widths, BLAS kernels, vectorised
transcendental functions), so their last bits may differ between machines.
Every number fastgd returns that would otherwise pass through one of them goes
through this module instead:

* sums are :func:`math.fsum`: the correctly rounded sum of the float64
  values, hence one answer whatever the order or the CPU;
* products and quotients are element-wise (IEEE-754 rounds each the same way
  on every CPU, SIMD or not);
* exp and log are fastgd's own (``fastgd.elementary``, compiled in the
  kernels), the functions the fits use.
"""
import math

import numpy as np

from ._native import kernels as _kernels


def total(values):
    """The correctly rounded sum of ``values`` (a float)."""
    return math.fsum(np.asarray(values, dtype=np.float64).ravel().tolist())


def column_mean_std(X):
    """Each column's mean and (population) standard deviation, float64 arrays.

    ``mean = fsum(x) / n`` and ``std = sqrt(fsum((x - mean)**2) / n)``, the
    squares element-wise.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    mean = np.array([total(X[:, j]) / n for j in range(X.shape[1])])
    centred = X - mean
    std = np.array([math.sqrt(total(centred[:, j] * centred[:, j]) / n)
                    for j in range(X.shape[1])])
    return mean, std


def dot(a, b):
    """``sum(a * b)``: the products rounded element-wise, then correctly rounded sum."""
    return total(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64))


def norm(v):
    """The Euclidean norm of ``v``: ``sqrt(fsum(v * v))``, rescaled by ``max|v|``
    when the squares overflow or underflow (a float; nan if v has a nan)."""
    v = np.asarray(v, dtype=np.float64).ravel()
    if v.size == 0:
        return 0.0
    with np.errstate(over="ignore", under="ignore"):
        squares = v * v
    try:
        sum_of_squares = total(squares)
    except OverflowError:  # fsum of finite values whose sum overflows
        sum_of_squares = math.inf
    if math.isnan(sum_of_squares) or (math.isfinite(sum_of_squares) and sum_of_squares > 1e-280):
        return math.sqrt(sum_of_squares)
    scale = float(np.max(np.abs(v)))
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    scaled = v / scale
    return scale * math.sqrt(total(scaled * scaled))


def row_sums(columns):
    """The sum of a 2-D array's columns, added left to right (element-wise adds)."""
    out = columns[:, 0].copy()
    for k in range(1, columns.shape[1]):
        out = out + columns[:, k]
    return out


def sigmoid(scores):
    """The logistic function of float64 ``scores``, as the log loss computes it.

    ``e = exp(-|s|)``; ``1 / (1 + e)`` for ``s >= 0``, else ``e / (1 + e)``
    (see "Per-sample loss" in :mod:`fastgd.reference`), with fastgd's exp.
    """
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    out = np.empty_like(scores)
    _kernels.sigmoid(scores.ravel(), out.ravel())
    return out


def log(values):
    """The natural logarithm of float64 ``values`` with fastgd's log (log 0 is -inf)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    return _kernels.elementary("log", values.ravel()).reshape(values.shape)
