"""fastgd: gradient descent in typed Cython kernels, bit-identical to a pure-Python reference.

>>> import fastgd
>>> X = fastgd.polynomial_features([0.0, 0.5, 1.0, 1.5], 2)
>>> result = fastgd.fit(X, [4.0, 6.0, 9.0, 13.0], method="batch", max_epochs=5)
>>> result.n_epochs
5
"""
from ._fit import DenseUpdateWarning, DivergenceWarning, FitInterrupted, FitResult, fit, polynomial_features
from ._persistence import load
from .exact import ExactSolution, exact_solution
from .minimize import MinimizeResult, minimize  # the function shadows the module's name

__all__ = ["fit", "polynomial_features", "FitResult", "DivergenceWarning", "DenseUpdateWarning",
           "FitInterrupted",
           "load", "exact_solution", "ExactSolution", "minimize", "MinimizeResult",
           "GDRegressor", "GDClassifier"]
__version__ = "0.1.0"


def __getattr__(name):
    # The estimators import scikit-learn (an optional extra), so only on first use.
    if name in ("GDRegressor", "GDClassifier"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'fastgd' has no attribute {name!r}")
