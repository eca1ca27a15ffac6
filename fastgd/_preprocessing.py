"""The preprocessing a command-line model applies to raw feature columns.

``fastgd fit --degree K --standardize`` fits on columns it derives from the raw
ones: powers (``polynomial_features``), then z-scores with the training
columns' means and standard deviations.  The model file records that (its
``params["cli"]``), and the loaded model applies it: ``fastgd.load(path)``
predicts from the raw columns exactly as ``fastgd predict`` does, never from
columns it would misread.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class Preprocessing:
    """Raw feature columns -> the model's input columns: powers, then z-scores.

    ``features`` names the raw columns; ``degree`` (one feature only) expands
    it into ``x**degree, ..., x``; ``mean`` and ``std`` (one per model column)
    standardize.
    """

    features: Tuple[str, ...]
    degree: Optional[int] = None
    mean: Optional[Tuple[float, ...]] = None
    std: Optional[Tuple[float, ...]] = None

    @property
    def changes_columns(self):
        """Whether the model's columns differ from the raw ones."""
        return self.degree is not None or self.mean is not None

    @classmethod
    def from_record(cls, record, n_coef):
        """The preprocessing of a ``params["cli"]`` record, checked against ``n_coef``.

        Raises ValueError saying what is malformed.
        """
        if not isinstance(record, dict):
            raise ValueError("not an object")
        features, degree = record.get("features"), record.get("degree")
        if (not isinstance(features, list) or not features
                or not all(isinstance(name, str) and name for name in features)):
            raise ValueError(f"features is {features!r}")
        if degree is not None:
            if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
                raise ValueError(f"degree is {degree!r}")
            if len(features) != 1:
                raise ValueError("a degree with more than one feature")
        width = degree if degree is not None else len(features)
        if width != n_coef:
            raise ValueError(f"{width} columns for {n_coef} coefficients")
        mean, std = record.get("mean"), record.get("std")
        if (mean is None) != (std is None):
            raise ValueError("mean without std or std without mean")
        if mean is not None:
            for name, values in (("mean", mean), ("std", std)):
                if (not isinstance(values, list) or len(values) != n_coef or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool)
                        and v == v and abs(v) != float("inf") for v in values)):
                    raise ValueError(f"{name} is not a list of {n_coef} finite numbers")
            if any(v == 0 for v in std):
                raise ValueError("std holds a zero")
            mean, std = tuple(float(v) for v in mean), tuple(float(v) for v in std)
        return cls(tuple(features), degree, mean, std)

    def design(self, raw):
        """The model's columns from a 2-D float64 array of the raw columns."""
        from ._fit import polynomial_features

        data = raw
        if self.degree is not None:
            data = polynomial_features(raw[:, 0], self.degree)
        if self.mean is not None:
            data = (data - np.asarray(self.mean)) / np.asarray(self.std)
        return np.ascontiguousarray(data, dtype=np.float64)

    def apply(self, X):
        """:meth:`design` of a user's X, which must hold the raw feature columns."""
        from ._sparse import is_sparse

        if is_sparse(X):
            raise ValueError("this model (saved by `fastgd fit`) standardizes or expands its "
                             "raw feature columns; give them as a dense array, not a sparse "
                             "matrix")
        raw = np.asarray(X, dtype=np.float64)
        if raw.ndim == 1 and len(self.features) == 1:
            raw = raw[:, None]
        n = len(self.features)
        if raw.ndim != 2 or raw.shape[1] != n:
            steps = ([f"powers up to degree {self.degree}"] if self.degree is not None else [])
            steps += ["z-scores"] if self.mean is not None else []
            raise ValueError(
                f"X must hold this model's {n} raw feature column{'s' * (n != 1)} "
                f"({', '.join(self.features)}), got shape {raw.shape}: the model was saved "
                f"by `fastgd fit` and applies its own preprocessing to them "
                f"({', then '.join(steps)})")
        if not np.isfinite(raw).all():
            raise ValueError("X contains NaN or infinity")
        return self.design(raw)
