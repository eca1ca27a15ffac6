"""scikit-learn compatible estimators: thin layers that turn parameters into :func:`fastgd.fit`.

``fastgd.GDRegressor`` and ``fastgd.GDClassifier`` follow scikit-learn's
conventions (``__init__`` only stores parameters, validation happens in
``fit``, fitted attributes end in ``_``) and work in pipelines, grid searches
and cross-validation.  Unlike scikit-learn's ``SGDRegressor`` and
``SGDClassifier`` they offer mini-batch and full-batch descent, momentum,
Adam and the other torch.optim optimizers, and record the loss of every epoch.

scikit-learn is an optional dependency: ``pip install scikit-learn`` (or the
package's ``sklearn`` extra: ``pip install ".[sklearn]"`` from a clone).
"""
import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "fastgd's estimators need scikit-learn >= 1.6; install it with "
        "pip install scikit-learn (or the sklearn extra: pip install \".[sklearn]\" from a "
        "clone of fastgd); fastgd.fit works without it") from exc

from . import _fit, _portable
from ._options import LOSSES

#: Parameters passed on to fastgd.fit unchanged, in the order of the signature.
_FIT_PARAMETERS = ("method", "lr", "max_epochs", "stop_loss", "batch_size", "reduction",
                   "fit_intercept", "shuffle", "random_state", "n_threads", "verbose",
                   "loss", "loss_params", "optimizer", "optimizer_params", "weight_decay",
                   "l1", "schedule", "schedule_params", "tol", "n_iter_no_change",
                   "early_stopping", "validation_fraction", "average")

_PARAMETER_DOCS = """
    Parameters
    ----------
    method : {"sgd", "minibatch", "batch"}, default="sgd"
        One sample, ``batch_size`` samples or all samples per update.
    loss : str, default=LOSS_DEFAULT
        LOSS_DOC
    loss_params : dict or None, default=None
        ``{"delta": ...}`` for huber, ``{"epsilon": ...}`` for epsilon_insensitive.
    optimizer : {"sgd", "adagrad", "rmsprop", "adam", "adamw"}, default="sgd"
        torch.optim's update rules.
    optimizer_params : dict or None, default=None
        The optimizer's parameters with torch.optim's names (see :func:`fastgd.fit`).
    weight_decay : float or None, default=None
        L2 penalty (decoupled for adamw); None means torch's default.
    l1 : float, default=0.0
        L1 penalty as a proximal step (exact zeros).
    schedule : str, default="constant"
        Learning-rate schedule (see :func:`fastgd.fit`).
    schedule_params : dict or None, default=None
    lr : float, default=0.01
        Learning rate.
    batch_size : int, default=32
    reduction : {"mean", "sum"}, default="mean"
    max_epochs : int, default=1000
    stop_loss : float or None, default=None
    tol : float or None, default=1e-3
        Stop when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs (scikit-learn's default rule); None turns
        this off.
    n_iter_no_change : int, default=5
    early_stopping : bool, default=False
        Monitor the loss on a held-out ``validation_fraction`` of the rows.
    validation_fraction : float, default=0.1
    fit_intercept : bool, default=True
    shuffle : bool, default=True
        Visit the samples in a new seeded order each epoch.
    random_state : int or None, default=None
        Seed for shuffling and the validation split.
    n_threads : int or None, default=None
        Threads for the rows of one batch; never changes the result.
    verbose : bool, default=False
        Print each epoch's loss.
    warm_start : bool, default=False
        ``fit`` continues from the previous fit: its weights and its
        optimizer state, step count, shuffle generator and averages.
    average : bool or int, default=False
        Averaged SGD: ``coef_`` and ``intercept_`` are the average of the
        weights after every step from the first (True) or the k-th (an
        int), once averaging has started (scikit-learn's ``average``).

    X may be dense or a scipy.sparse matrix (CSR is used as it is; other
    formats are converted once).  On CSR input, per-sample SGD costs
    O(stored values of the row) per step; see :func:`fastgd.fit`.
"""


def _estimator_init(default_loss):
    """The estimators' ``__init__`` (scikit-learn reads the parameters from its
    signature, so each estimator needs one of its own; they differ only in the
    default loss).  It only stores the parameters."""
    def __init__(self, *, method="sgd", loss=default_loss, loss_params=None, optimizer="sgd",
                 optimizer_params=None, weight_decay=None, l1=0.0, schedule="constant",
                 schedule_params=None, lr=0.01, batch_size=32, reduction="mean",
                 max_epochs=1000, stop_loss=None, tol=1e-3, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 shuffle=True, random_state=None, n_threads=None, verbose=False,
                 warm_start=False, average=False):
        for name, value in list(locals().items()):
            if name != "self":
                setattr(self, name, value)
    return __init__


class _GDBase(BaseEstimator):
    """Parameters and the fit driver shared by both estimators."""

    __init__ = _estimator_init("squared")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # scipy.sparse X is fitted as CSR
        return tags

    def _fit_kwargs(self, **overrides):
        kwargs = {name: getattr(self, name) for name in _FIT_PARAMETERS}
        if isinstance(self.random_state, np.random.RandomState):
            # scikit-learn's utilities may set a RandomState: draw a seed from it.
            kwargs["random_state"] = int(self.random_state.randint(0, 2**31 - 1))
        kwargs.update(overrides)
        return kwargs

    def _fit_one(self, X, y, sample_weight, coef_init, intercept_init, previous, **overrides):
        """One binary or regression fit; ``previous`` is a FitResult to continue, or None."""
        resume = None
        if previous is not None:
            # Continue from the last step's weights (with averaging, not the averages).
            coef_init = previous.unaveraged_coef if coef_init is None else coef_init
            intercept_init = (previous.unaveraged_intercept if intercept_init is None
                              else intercept_init)
            resume = previous._state
        return _fit.fit(X, y, coef_init=coef_init,
                        intercept_init=0.0 if intercept_init is None else intercept_init,
                        sample_weight=sample_weight, _resume=resume,
                        **self._fit_kwargs(**overrides))

    def _validate(self, X, reset=True):
        """X for predicting: the features of the fit, float32 or float64."""
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                             reset=reset, order="C")

    def _validate_fit(self, X, y, reset=True):
        """X and y for fitting (y is required: None gets scikit-learn's message)."""
        return validate_data(self, X, y, y_numeric=isinstance(self, RegressorMixin),
                             accept_sparse="csr", dtype=[np.float64, np.float32],
                             reset=reset, order="C")

    def _scores(self, X):
        """The linear predictor of each row (n_samples, n_outputs), in the contract's order."""
        check_is_fitted(self, "coef_")
        X = self._validate(X, reset=False)
        coef = np.atleast_2d(self.coef_)
        intercept = np.atleast_1d(self.intercept_)
        X = _fit.check.check_X(X, n_features=coef.shape[1], dtype=coef.dtype, finite=False)
        scores = np.empty((X.shape[0], coef.shape[0]), dtype=coef.dtype)
        out = np.empty(X.shape[0], dtype=coef.dtype)
        for k in range(coef.shape[0]):
            _fit._kernels.predict(X, np.ascontiguousarray(coef[k]), intercept[k], out)
            scores[:, k] = out
        return scores


class GDRegressor(RegressorMixin, _GDBase):
    __doc__ = ("""Linear regression fitted by gradient descent in fastgd's compiled kernels.
""" + _PARAMETER_DOCS.replace("LOSS_DEFAULT", '"squared"').replace(
        "LOSS_DOC", '"squared" (``(p - y)**2``), "huber" or "epsilon_insensitive".') + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).
    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training loss of each epoch of the last ``fit`` or ``partial_fit``.
    t_ : int
        Optimizer steps taken, over all fits continued with warm_start or partial_fit.
    fit_result_ : fastgd.FitResult
        The last fit's full result (histories, stop reason, settings).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        When X has string feature names (a DataFrame).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import GDRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = GDRegressor(method="batch", lr=0.1, tol=None, max_epochs=2000).fit(X, 2 * X[:, 0] + 1)
    >>> model.predict([[4.0]]).round(4).tolist()
    [9.0]
    """)

    def fit(self, X, y, sample_weight=None, coef_init=None, intercept_init=None):
        """Fit the model; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        coef_init : array-like of shape (n_features,), default=None
        intercept_init : float, default=None
        """
        X, y = self._validate_fit(X, y, reset=not (self.warm_start and hasattr(self, "coef_")))
        previous = self.fit_result_ if self.warm_start and hasattr(self, "fit_result_") else None
        self._store(self._fit_one(X, y, sample_weight, coef_init, intercept_init, previous))
        return self

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over the given rows, continuing from the previous call; returns self."""
        first = not hasattr(self, "coef_")
        X, y = self._validate_fit(X, y, reset=first)
        previous = None if first else self.fit_result_
        self._store(self._fit_one(X, y, sample_weight, None, None, previous, max_epochs=1,
                                  early_stopping=False, tol=None))
        return self

    def _store(self, result):
        self.fit_result_ = result
        self.coef_ = result.coef
        self.intercept_ = np.array([result.intercept], dtype=result.coef.dtype)
        self.n_iter_ = result.n_epochs
        self.loss_curve_ = result.loss_history
        self.t_ = int(result._state[1][0])

    def predict(self, X):
        """Predictions ``X @ coef_ + intercept_``; ndarray of shape (n_samples,)."""
        return self._scores(X)[:, 0]


def _has_probabilities(estimator):
    return estimator.loss in ("log", "modified_huber")


class GDClassifier(ClassifierMixin, _GDBase):
    __doc__ = ("""Linear classifier fitted by gradient descent in fastgd's compiled kernels.

    Two classes run in one kernel call; more classes are fitted one-vs-rest,
    one binary fit per class.  Labels may be anything numpy can sort.
""" + _PARAMETER_DOCS.replace("LOSS_DEFAULT", '"hinge"').replace(
        "LOSS_DOC", '"hinge" (linear SVM), "log" (logistic regression), "modified_huber", '
                    'or a regression loss fitted to targets -1 and 1.') + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        The most epochs any binary fit of the last ``fit`` ran.
    loss_curve_ : ndarray of shape (n_iter_,), or list of them (one per class)
        Per-epoch training losses: one array for two classes, one per class
        (one-vs-rest) otherwise.
    t_ : int
        Optimizer steps of the (first) binary fit, over continued fits.
    fit_results_ : list of fastgd.FitResult
        One per binary fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import GDClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = GDClassifier(loss="log", lr=0.5, random_state=0).fit(X, ["no", "no", "yes", "yes"])
    >>> clf.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    """)

    __init__ = _estimator_init("hinge")

    def fit(self, X, y, sample_weight=None, coef_init=None, intercept_init=None):
        """Fit the model; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
        coef_init : array-like of shape (n_features,) or (n_classes, n_features), default=None
        intercept_init : float or array-like of shape (n_classes,), default=None
        """
        warm = self.warm_start and hasattr(self, "fit_results_")
        X, y = self._validate_fit(X, y, reset=not warm)
        check_classification_targets(y)
        classes = np.unique(y)
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(f"warm_start needs the classes of the previous fit "
                             f"{self.classes_.tolist()}, got {classes.tolist()}")
        self._fit_classes(X, y, classes, sample_weight, coef_init, intercept_init,
                          self.fit_results_ if warm else None)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over the given rows, continuing from the previous call; returns self.

        ``classes`` (every label there will ever be) is required on the first call.
        """
        first = not hasattr(self, "fit_results_")
        X, y = self._validate_fit(X, y, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            classes = np.unique(np.asarray(classes))
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes!r} differs from the classes of the first "
                                 f"call to partial_fit {self.classes_.tolist()}")
            classes = self.classes_
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()} not in classes "
                             f"{classes.tolist()}")
        self._fit_classes(X, y, classes, sample_weight, None, None,
                          None if first else self.fit_results_,
                          max_epochs=1, early_stopping=False, tol=None)
        return self

    def _binary_targets(self, positive):
        """Targets of one binary fit for this loss: {0, 1} for log, else {-1, 1}."""
        low = 0.0 if self.loss == "log" else -1.0
        return np.where(positive, 1.0, low)

    def _fit_classes(self, X, y, classes, sample_weight, coef_init, intercept_init, previous,
                     **overrides):
        if classes.shape[0] < 2:
            raise ValueError(f"The number of classes has to be greater than one; got "
                             f"{classes.shape[0]} class")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            _fit.check.check_loss(self.loss, self.loss_params)  # raises the listing error
        # Two classes: one fit, class 1 positive.  More: one-vs-rest.
        positives = [classes[1]] if classes.shape[0] == 2 else list(classes)
        n_fits = len(positives)
        coef_init = None if coef_init is None else np.atleast_2d(
            np.asarray(coef_init, dtype=np.float64))
        intercept_init = None if intercept_init is None else np.broadcast_to(
            np.asarray(intercept_init, dtype=np.float64), (n_fits,))
        if coef_init is not None and coef_init.shape[0] != n_fits:
            raise ValueError(f"coef_init must have shape ({n_fits}, n_features) for "
                             f"{classes.shape[0]} classes, got {coef_init.shape}")
        results = []
        for k, positive in enumerate(positives):
            results.append(self._fit_one(
                X, self._binary_targets(y == positive).astype(X.dtype), sample_weight,
                None if coef_init is None else coef_init[k],
                None if intercept_init is None else float(intercept_init[k]),
                None if previous is None else previous[k], **overrides))
        self.classes_ = classes
        self.fit_results_ = results
        self.coef_ = np.vstack([r.coef for r in results])
        self.intercept_ = np.array([r.intercept for r in results], dtype=self.coef_.dtype)
        self.n_iter_ = max(r.n_epochs for r in results)
        self.loss_curve_ = (results[0].loss_history if n_fits == 1
                            else [r.loss_history for r in results])
        self.t_ = int(results[0]._state[1][0])

    def decision_function(self, X):
        """Signed scores: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The predicted class of each row."""
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes) (log and modified_huber losses).

        log: the logistic function of the score, computed as the log loss
        computes it; modified_huber: ``(clip(score, -1, 1) + 1) / 2``
        (scikit-learn's).  With more than two classes the one-vs-rest
        probabilities are normalised to sum to 1 (divided by their sum, added
        in class order).  The same bits on every machine.
        """
        scores = self._scores(X).astype(np.float64)
        if self.loss == "log":
            positive = _portable.sigmoid(scores)
        else:
            positive = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if positive.shape[1] == 1:
            return np.hstack([1.0 - positive, positive])
        total = _portable.row_sums(positive)[:, None]
        uniform = np.full_like(positive, 1.0 / positive.shape[1])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, positive / total, uniform)

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        return _portable.log(self.predict_proba(X))
