"""The closed form: least squares without descent (the tutorial's first closing question).

For the squared loss the minimum has a closed form, so gradient descent is not
needed to find it; :func:`exact_solution` computes it with
:func:`numpy.linalg.lstsq` (an SVD: about ``n * d**2`` operations and a copy
of X), which is the reference a descent can be measured against
(:meth:`fastgd.FitResult.distance_to`).  Descent wins when X is too large to
copy or factor, or for losses without a closed form.

:func:`exact_solution` is outside fastgd's same-bits promise: LAPACK and BLAS
choose their blocking and SIMD kernels per CPU and thread count, so its last
bits (and those of its ``loss``) may differ between machines.  Everything
:func:`fastgd.fit` returns is inside it (see :mod:`fastgd.reference`).
"""
from typing import NamedTuple

import numpy as np

from . import _validation as check


class ExactSolution(NamedTuple):
    """The least-squares weights and their mean squared error on the data."""

    coef: np.ndarray
    intercept: float
    #: Mean of (p - y)**2 over the samples (weighted by sample_weight when given):
    #: the smallest loss_history any squared-loss fit of this data can reach.
    loss: float


def exact_solution(X, y, fit_intercept=True, sample_weight=None):
    """Least-squares ``coef`` and ``intercept`` minimising the mean of ``(p - y)**2``.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        A sparse X is made dense: the SVD works on a dense copy anyway.
    y : array-like of shape (n_samples,)
    fit_intercept : bool, default=True
        Fit an intercept (a column of ones); otherwise it is 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights on each sample's squared error.

    Returns
    -------
    ExactSolution
        ``(coef, intercept, loss)`` in float64; ``loss`` is the mean squared
        error, weighted as ``fastgd.fit`` weights it (the weighted sum over
        the number of samples).

    Examples
    --------
    The tutorial's data is an exact quadratic, so the closed form recovers it:

    >>> import fastgd
    >>> x = [0.01 * i for i in range(100)]
    >>> y = [2 * v**2 + 3 * v + 4 for v in x]
    >>> best = fastgd.exact_solution(fastgd.polynomial_features(x, 2), y)
    >>> best.coef.round(6).tolist(), round(best.intercept, 6)
    ([2.0, 3.0], 4.0)
    """
    X = check.check_X(X, dtype=np.float64)
    if not isinstance(X, np.ndarray):
        X = X.toarray()
    n_samples, n_features = X.shape
    y = check.check_y(y, n_samples, dtype=np.float64)
    fit_intercept = check.check_bool(fit_intercept, "fit_intercept")
    weights = check.check_sample_weight(sample_weight, n_samples, np.float64)
    design = np.hstack([X, np.ones((n_samples, 1))]) if fit_intercept else X
    target = y
    if weights.size:
        root = np.sqrt(weights)
        design = design * root[:, None]
        target = y * root
    solution = np.linalg.lstsq(design, target, rcond=None)[0]
    coef = np.ascontiguousarray(solution[:n_features])
    intercept = float(solution[n_features]) if fit_intercept else 0.0
    residual = X @ coef + intercept - y
    squared = residual * residual
    loss = float((squared * weights).sum() / n_samples if weights.size else squared.mean())
    return ExactSolution(coef=coef, intercept=intercept, loss=loss)
