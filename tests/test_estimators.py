"""fastgd.GDRegressor and fastgd.GDClassifier: scikit-learn's estimator checks, agreement
with SGDRegressor/SGDClassifier, pipelines and searches, continued fits, fitted
attributes, pickling, and fastgd without scikit-learn."""
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np

from fastgd import _portable
import pytest
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastgd
from fastgd import GDClassifier, GDRegressor

# --------------------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------------------

#: The check's data: 15 rows whose integer weights (0 to 4) add up to 27 repeated rows.
_SAMPLE_WEIGHT_CHECK_ROWS = 27

_SAMPLE_WEIGHT_REASON = (
    "sample_weight scales a row's gradient, which is not the same as repeating the row: "
    "per-sample and mini-batch descent take one step per row (per batch), so a weight of "
    "2 is one step twice as large, not two steps, and a zero-weight row still occupies a "
    "step and a place in the shuffled order; and with reduction='mean' a batch's gradient "
    "is the weighted sum divided by the number of rows, not by the sum of the weights. "
    "scikit-learn's own SGDRegressor and SGDClassifier mark this check too.")


def _expected_failed_checks(estimator):
    """Checks known to fail for ``estimator``, with the reason.

    The weighted and the repeated data of the sample-weight check are the same
    fit only when each epoch is one full-batch step whose scale does not
    matter: all rows in one batch, and a summed gradient (reduction='sum') or
    an optimizer that is invariant to the gradient's scale (Adam's
    m / sqrt(v)).  That is why GDRegressor(method="minibatch",
    optimizer="adam") passes it here (its batch_size of 32 holds all 27 rows)
    and is not marked.
    """
    one_step_per_epoch = estimator.method == "batch" or (
        estimator.method == "minibatch" and estimator.batch_size >= _SAMPLE_WEIGHT_CHECK_ROWS)
    scale_free = estimator.reduction == "sum" or estimator.optimizer in ("adam", "adamw")
    if one_step_per_epoch and scale_free:
        return {}
    return {f"check_sample_weight_equivalence_on_{kind}_data": _SAMPLE_WEIGHT_REASON
            for kind in ("dense", "sparse")}


@parametrize_with_checks(
    [GDRegressor(), GDClassifier(), GDClassifier(loss="log"),
     GDRegressor(method="minibatch", optimizer="adam")],
    expected_failed_checks=_expected_failed_checks)
# Some checks fit unscaled data (X ~ N(100, 1)) on which per-sample descent at the
# default rate diverges: fastgd stops, keeps the starting weights and warns, which
# is the documented behaviour (scikit-learn's SGDRegressor overflows silently there).
@pytest.mark.filterwarnings("default::fastgd.DivergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_only_the_sample_weight_check_is_marked():
    marked = [_expected_failed_checks(est) for est in
              (GDRegressor(), GDClassifier(), GDClassifier(loss="log"))]
    assert all(set(m) == {"check_sample_weight_equivalence_on_dense_data",
                          "check_sample_weight_equivalence_on_sparse_data"} for m in marked)
    assert _expected_failed_checks(GDRegressor(method="minibatch", optimizer="adam")) == {}


# --------------------------------------------------------------------------------------
# Agreement with scikit-learn's SGD estimators
# --------------------------------------------------------------------------------------

def _regression_problem(n, d, seed, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    return X, X @ w + 1.5 + noise * rng.standard_normal(n)


#: (n_samples, n_features, seed, eta0, epochs, with sample weights)
_PROBLEMS = [(50, 3, 0, 0.01, 20, False), (200, 8, 1, 0.005, 10, False),
             (30, 1, 2, 0.05, 50, False), (80, 5, 3, 0.01, 15, True)]

#: fastgd loss and parameters, scikit-learn loss and parameters, and fastgd's lr per eta0.
#: fastgd's squared loss is (p - y)**2 with gradient 2 (p - y) x, scikit-learn's
#: squared_error is (p - y)**2 / 2 with gradient (p - y) x: half the rate is the same
#: step.  huber and epsilon_insensitive are the same functions in both.
_REGRESSION_LOSSES = [
    ("squared", None, "squared_error", {}, 0.5),
    ("huber", {"delta": 0.3}, "huber", {"epsilon": 0.3}, 1.0),
    ("epsilon_insensitive", {"epsilon": 0.05}, "epsilon_insensitive", {"epsilon": 0.05}, 1.0),
]


def _assert_close(ours, theirs, rtol=1e-10):
    ours, theirs = np.ravel(ours), np.ravel(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss, loss_params, sk_loss, sk_params, lr_per_eta",
                         _REGRESSION_LOSSES, ids=[c[0] for c in _REGRESSION_LOSSES])
@pytest.mark.parametrize("n, d, seed, eta0, epochs, weighted", _PROBLEMS)
def test_sgd_matches_sgdregressor(n, d, seed, eta0, epochs, weighted, loss, loss_params,
                                  sk_loss, sk_params, lr_per_eta):
    X, y = _regression_problem(n, d, seed)
    sample_weight = (np.random.default_rng(seed + 100).uniform(0.0, 2.0, n)
                     if weighted else None)
    theirs = SGDRegressor(loss=sk_loss, penalty=None, learning_rate="constant", eta0=eta0,
                          max_iter=epochs, tol=None, shuffle=False, fit_intercept=True,
                          **sk_params).fit(X, y, sample_weight=sample_weight)
    ours = GDRegressor(method="sgd", loss=loss, loss_params=loss_params, lr=eta0 * lr_per_eta,
                       max_epochs=epochs, tol=None, shuffle=False).fit(
                           X, y, sample_weight=sample_weight)
    assert ours.n_iter_ == theirs.n_iter_ == epochs
    _assert_close(ours.coef_, theirs.coef_)
    _assert_close(ours.intercept_, theirs.intercept_)
    _assert_close(ours.predict(X), theirs.predict(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss, sk_loss", [("hinge", "hinge"), ("log", "log_loss"),
                                           ("modified_huber", "modified_huber")])
@pytest.mark.parametrize("n, d, seed, eta0, epochs, weighted", _PROBLEMS[:3])
def test_sgd_matches_binary_sgdclassifier(n, d, seed, eta0, epochs, weighted, loss, sk_loss):
    X, y = _regression_problem(n, d, seed)
    labels = np.where(y > np.median(y), "up", "down")
    theirs = SGDClassifier(loss=sk_loss, penalty=None, learning_rate="constant", eta0=eta0,
                           max_iter=epochs, tol=None, shuffle=False).fit(X, labels)
    ours = GDClassifier(method="sgd", loss=loss, lr=eta0, max_epochs=epochs, tol=None,
                        shuffle=False).fit(X, labels)
    assert ours.classes_.tolist() == theirs.classes_.tolist() == ["down", "up"]
    assert ours.coef_.shape == theirs.coef_.shape == (1, d)
    _assert_close(ours.coef_, theirs.coef_)
    _assert_close(ours.intercept_, theirs.intercept_)
    assert ours.predict(X).tolist() == theirs.predict(X).tolist()


# --------------------------------------------------------------------------------------
# Pipelines, searches, cross-validation
# --------------------------------------------------------------------------------------

def _tutorial_data():
    x = np.array([0.01 * i for i in range(100)])
    return x[:, None], 2 * x**2 + 3 * x + 4


def test_pipeline_polynomial_scaler_regressor_fits_the_tutorial():
    X, y = _tutorial_data()
    model = make_pipeline(PolynomialFeatures(degree=2, include_bias=False), StandardScaler(),
                          GDRegressor(random_state=0))
    model.fit(X, y)
    assert model.score(X, y) > 0.999
    assert model[-1].n_features_in_ == 2
    assert model.predict([[0.5]]).shape == (1,)


def test_grid_search_over_lr_and_batch_size():
    X, y = _tutorial_data()
    model = make_pipeline(PolynomialFeatures(degree=2, include_bias=False), StandardScaler(),
                          GDRegressor(method="minibatch", random_state=0))
    grid = {"gdregressor__lr": [0.001, 0.01, 0.1], "gdregressor__batch_size": [8, 32]}
    search = GridSearchCV(model, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    assert search.best_params_["gdregressor__lr"] in grid["gdregressor__lr"]
    assert len(search.cv_results_["mean_test_score"]) == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_[-1]
    assert best.lr == search.best_params_["gdregressor__lr"]
    assert best.batch_size == search.best_params_["gdregressor__batch_size"]
    # refit=True: the best settings refitted on all the rows
    assert best.n_features_in_ == 2 and best.fit_result_.method == "minibatch"
    assert search.score(X, y) > 0.99
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))


def test_grid_search_directly_over_the_estimator():
    X, y = _tutorial_data()
    X = StandardScaler().fit_transform(np.hstack([X**2, X]))
    grid = {"lr": [0.001, 0.01, 0.1], "batch_size": [8, 32]}
    search = GridSearchCV(GDRegressor(method="minibatch", random_state=0), grid, cv=3).fit(X, y)
    assert set(search.best_params_) == {"lr", "batch_size"}
    assert search.best_estimator_.predict(X).shape == (100,)


def test_cross_val_score_classifier():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), GDClassifier(random_state=0)),
                             X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.7
    scores = cross_val_score(GDClassifier(loss="log", random_state=0), X, y, cv=3,
                             scoring="neg_log_loss")
    assert np.all(np.isfinite(scores))


# --------------------------------------------------------------------------------------
# partial_fit and warm_start continue the same run
# --------------------------------------------------------------------------------------

def _bits(a):
    return np.asarray(a).tobytes()


def _assert_same_bits(ours, expected):
    """Bit-identical arrays (the values are shown when they differ)."""
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected, strict=True)
    assert _bits(ours) == _bits(expected)


@pytest.mark.parametrize("settings", [
    dict(method="sgd"),
    dict(method="minibatch", batch_size=7, optimizer="adam", lr=0.05),
    dict(method="sgd", optimizer="sgd", optimizer_params={"momentum": 0.9}, lr=0.001,
         schedule="invscaling"),
], ids=["sgd", "minibatch-adam", "momentum-invscaling"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
def test_regressor_partial_fit_n_times_is_one_fit_of_n_epochs(settings, shuffle):
    X, y = _regression_problem(45, 3, 4)
    n = 4
    whole = GDRegressor(max_epochs=n, tol=None, shuffle=shuffle, random_state=7,
                        **settings).fit(X, y)
    stepwise = GDRegressor(shuffle=shuffle, random_state=7, **settings)
    for _ in range(n):
        stepwise.partial_fit(X, y)
    assert whole.n_iter_ == n and stepwise.n_iter_ == 1
    _assert_same_bits(stepwise.coef_, whole.coef_)
    _assert_same_bits(stepwise.intercept_, whole.intercept_)
    assert stepwise.t_ == whole.t_
    assert stepwise.loss_curve_.shape == (1,)
    assert stepwise.loss_curve_[0] == whole.loss_curve_[-1]


def test_regressor_partial_fit_counts_steps():
    X, y = _regression_problem(20, 2, 0)
    model = GDRegressor(method="minibatch", batch_size=8)
    model.partial_fit(X, y)
    assert model.t_ == 3  # 8 + 8 + 4 rows
    model.partial_fit(X[:8], y[:8])
    assert model.t_ == 4
    with pytest.raises(ValueError):
        model.partial_fit(X[:, :1], y)  # other features than the first call


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
def test_classifier_partial_fit_n_times_is_one_fit_of_n_epochs(n_classes, shuffle):
    X, labels = make_blobs(n_samples=60, centers=n_classes, random_state=1)
    y = np.array(["ant", "bee", "cat"])[labels]
    n = 3
    whole = GDClassifier(loss="log", max_epochs=n, tol=None, shuffle=shuffle,
                         random_state=3).fit(X, y)
    stepwise = GDClassifier(loss="log", shuffle=shuffle, random_state=3)
    stepwise.partial_fit(X, y, classes=np.unique(y))
    for _ in range(n - 1):
        stepwise.partial_fit(X, y)
    _assert_same_bits(stepwise.coef_, whole.coef_)
    _assert_same_bits(stepwise.intercept_, whole.intercept_)
    assert stepwise.classes_.tolist() == whole.classes_.tolist()
    assert stepwise.t_ == whole.t_ == n * 60
    assert len(stepwise.fit_results_) == (1 if n_classes == 2 else 3)


def test_classifier_partial_fit_classes_rules():
    X, y = make_blobs(n_samples=40, centers=3, random_state=2)
    clf = GDClassifier()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "coef_")
    # classes may hold labels not in the first batch
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1, 2] and clf.coef_.shape == (3, 2)
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, np.where(y == 2, 5, y))
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
def test_regressor_warm_start_continues_the_run(shuffle):
    X, y = _regression_problem(50, 4, 5)
    settings = dict(method="minibatch", batch_size=16, optimizer="adam", lr=0.05, tol=None,
                    shuffle=shuffle, random_state=11)
    whole = GDRegressor(max_epochs=5, **settings).fit(X, y)
    warm = GDRegressor(max_epochs=3, warm_start=True, **settings).fit(X, y)
    assert warm.n_iter_ == 3
    warm.set_params(max_epochs=2).fit(X, y)
    assert warm.n_iter_ == 2
    _assert_same_bits(warm.coef_, whole.coef_)
    _assert_same_bits(warm.intercept_, whole.intercept_)
    assert warm.t_ == whole.t_ == 5 * 4
    np.testing.assert_array_equal(warm.loss_curve_, whole.loss_curve_[3:])
    # Without warm_start a second fit starts again from zero.
    cold = GDRegressor(max_epochs=3, **settings).fit(X, y)
    cold.set_params(max_epochs=2).fit(X, y)
    assert cold.t_ == 2 * 4
    assert _bits(cold.coef_) == _bits(GDRegressor(max_epochs=2, **settings).fit(X, y).coef_)


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
def test_classifier_warm_start_continues_the_run_multiclass(shuffle):
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    settings = dict(loss="modified_huber", optimizer="adam", lr=0.01, tol=None,
                    shuffle=shuffle, random_state=2)
    whole = GDClassifier(max_epochs=5, **settings).fit(X, y)
    warm = GDClassifier(max_epochs=3, warm_start=True, **settings).fit(X, y)
    warm.set_params(max_epochs=2).fit(X, y)
    _assert_same_bits(warm.coef_, whole.coef_)
    _assert_same_bits(warm.intercept_, whole.intercept_)
    with pytest.raises(ValueError, match="warm_start"):
        warm.fit(X[y != 2], y[y != 2])


# --------------------------------------------------------------------------------------
# Fitted attributes
# --------------------------------------------------------------------------------------

def test_regressor_attributes():
    X, y = _regression_problem(40, 3, 6)
    model = GDRegressor(max_epochs=7, tol=None, random_state=0)
    assert not hasattr(model, "coef_")
    model.fit(X, y)
    assert model.coef_.shape == (3,) and model.coef_.dtype == np.float64
    assert model.intercept_.shape == (1,)
    assert model.n_iter_ == 7
    assert isinstance(model.loss_curve_, np.ndarray) and model.loss_curve_.shape == (7,)
    assert model.t_ == 7 * 40
    assert model.n_features_in_ == 3
    assert not hasattr(model, "feature_names_in_")
    assert isinstance(model.fit_result_, fastgd.FitResult)
    assert model.fit_result_.n_epochs == 7
    assert _bits(model.fit_result_.coef) == _bits(model.coef_)
    assert model.predict(X).shape == (40,)
    for method in ("predict_proba", "predict_log_proba", "decision_function", "classes_"):
        assert not hasattr(model, method)


def test_regressor_stops_on_tol_like_sgdregressor():
    X, y = _regression_problem(100, 2, 7, noise=1.0)
    model = GDRegressor(max_epochs=1000, random_state=0).fit(X, y)
    assert model.n_iter_ < 1000 and model.fit_result_.stop_reason == "tol"
    assert model.loss_curve_.shape == (model.n_iter_,)


def test_binary_classifier_attributes_and_string_labels():
    X, labels = make_blobs(n_samples=80, centers=2, random_state=3)
    y = np.where(labels == 1, "spam", "ham")
    clf = GDClassifier(max_epochs=6, tol=None, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["ham", "spam"]
    assert clf.coef_.shape == (1, 2) and clf.intercept_.shape == (1,)
    assert clf.n_iter_ == 6 and clf.loss_curve_.shape == (6,)
    assert clf.t_ == 6 * 80 and len(clf.fit_results_) == 1
    assert clf.decision_function(X).shape == (80,)
    assert set(clf.predict(X)) <= {"ham", "spam"}
    assert clf.score(X, y) > 0.95
    # hinge: no probabilities
    assert not hasattr(clf, "predict_proba") and not hasattr(clf, "predict_log_proba")
    assert not hasattr(GDClassifier(), "predict_proba")


def test_multiclass_one_vs_rest():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=1.0, random_state=0)
    names = np.array(["red", "green", "blue"])[y]
    clf = GDClassifier(random_state=0).fit(X, names)
    assert clf.classes_.tolist() == ["blue", "green", "red"]
    assert clf.coef_.shape == (3, 2) and clf.intercept_.shape == (3,)
    assert len(clf.fit_results_) == 3
    assert isinstance(clf.loss_curve_, list) and len(clf.loss_curve_) == 3
    assert all(isinstance(c, np.ndarray) for c in clf.loss_curve_)
    assert clf.n_iter_ == max(r.n_epochs for r in clf.fit_results_)
    assert [len(c) for c in clf.loss_curve_] == [r.n_epochs for r in clf.fit_results_]
    assert clf.decision_function(X).shape == (300, 3)
    assert clf.score(X, names) > 0.9


@pytest.mark.parametrize("loss", ["log", "modified_huber"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities(loss, n_classes):
    X, y = make_blobs(n_samples=150, centers=n_classes, random_state=4)
    X = StandardScaler().fit_transform(X)
    clf = GDClassifier(loss=loss, random_state=0).fit(X, y)
    assert hasattr(clf, "predict_proba") and hasattr(clf, "predict_log_proba")
    proba = clf.predict_proba(X)
    assert proba.shape == (150, n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # fastgd's own log (the same bits on every machine), within an ulp of NumPy's.
    log_proba = clf.predict_log_proba(X)
    np.testing.assert_array_equal(log_proba, _portable.log(proba))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(log_proba, np.log(proba), rtol=4e-16, atol=0)
    assert clf.score(X, y) > 0.9
    # The most probable class is the predicted one wherever the maximum is unique
    # (modified_huber clips scores to [-1, 1], so confident rows can tie).
    unique = (proba == proba.max(axis=1, keepdims=True)).sum(axis=1) == 1
    assert unique.mean() > 0.5
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)][unique],
                                  clf.predict(X)[unique])
    if loss == "log" and n_classes == 2:
        scores = clf.decision_function(X)
        np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-12)


@pytest.mark.parametrize("Estimator", [GDRegressor, GDClassifier])
def test_feature_names_from_a_dataframe(Estimator):
    import pandas as pd  # a test dependency (the "test" extra)
    X, y = make_blobs(n_samples=60, centers=2, n_features=3, random_state=5)
    frame = pd.DataFrame(X, columns=["alpha", "beta", "gamma"])
    model = Estimator(max_epochs=5, tol=None, random_state=0).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["alpha", "beta", "gamma"]
    assert model.n_features_in_ == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same names: no warning
        expected = model.predict(frame)
    np.testing.assert_array_equal(model.predict(frame[["alpha", "beta", "gamma"]]), expected)
    # scikit-learn's rules: no names warns, other names (or order) are an error
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(model.predict(X), expected)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame.rename(columns={"gamma": "delta"}))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[["beta", "alpha", "gamma"]])
    # fitted without names, predicting with names warns
    plain = Estimator(max_epochs=5, tol=None, random_state=0).fit(X, y)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        plain.predict(frame)


def test_float32_fits_in_float32():
    X, y = _regression_problem(40, 3, 8)
    model = GDRegressor(max_epochs=5, tol=None, random_state=0).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32


def test_unfitted_estimators_raise_not_fitted():
    from sklearn.exceptions import NotFittedError
    X = np.zeros((2, 2))
    for model in (GDRegressor(), GDClassifier()):
        with pytest.raises(NotFittedError):
            model.predict(X)


# --------------------------------------------------------------------------------------
# Pickling
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", [
    lambda: GDRegressor(method="minibatch", optimizer="adam", random_state=0),
    lambda: GDClassifier(loss="log", random_state=0),
    lambda: GDClassifier(random_state=0),
], ids=["regressor", "binary-log", "multiclass-hinge"])
def test_pickle_round_trip_predicts_the_same_bits(make, dtype):
    model = make()
    if isinstance(model, GDRegressor):
        X, y = _regression_problem(60, 3, 9)
    else:
        n_classes = 2 if model.loss == "log" else 3
        X, y = make_blobs(n_samples=60, centers=n_classes, random_state=9)
    X = X.astype(dtype)
    model.fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert loaded.coef_.dtype == dtype
    _assert_same_bits(loaded.coef_, model.coef_)
    assert loaded.predict(X).tobytes() == model.predict(X).tobytes()
    if hasattr(model, "decision_function"):
        assert loaded.decision_function(X).tobytes() == model.decision_function(X).tobytes()
    if hasattr(model, "predict_proba"):
        assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    # the loaded model continues the same run
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    _assert_same_bits(loaded.coef_, model.coef_)


# --------------------------------------------------------------------------------------
# fastgd without scikit-learn
# --------------------------------------------------------------------------------------

_BLOCKERS = {
    "meta_path": """
        import importlib.abc
        class _NoSklearn(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "sklearn" or name.startswith("sklearn."):
                    raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
                return None
        sys.meta_path.insert(0, _NoSklearn())
    """,
    "sys_modules_none": """
        sys.modules["sklearn"] = None
    """,
}

_WITHOUT_SKLEARN = """
import numpy as np
import fastgd
result = fastgd.fit(fastgd.polynomial_features([0.0, 0.5, 1.0, 1.5], 2),
                    [4.0, 6.0, 9.0, 13.0], method="batch", max_epochs=5)
assert result.n_epochs == 5
for attempt in range(2):  # a failed import must fail again the same way
    try:
        fastgd.GDRegressor
    except ImportError as exc:
        message = str(exc)
    else:
        raise SystemExit("fastgd.GDRegressor imported without scikit-learn")
    assert "pip install scikit-learn" in message, message
try:
    from fastgd import GDClassifier
except ImportError as exc:
    assert "pip install scikit-learn" in str(exc), str(exc)
else:
    raise SystemExit("GDClassifier imported without scikit-learn")
print("ok")
"""


def _run_python(code, cwd):
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("blocker", sorted(_BLOCKERS))
def test_fastgd_works_without_sklearn(blocker, tmp_path):
    code = "import sys\n" + textwrap.dedent(_BLOCKERS[blocker]) + _WITHOUT_SKLEARN
    assert _run_python(code, tmp_path).strip() == "ok"


def test_import_fastgd_does_not_import_sklearn(tmp_path):
    code = textwrap.dedent("""
        import sys
        import fastgd
        fastgd.fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0], max_epochs=3)
        fastgd.fit([[0.0], [1.0]], [0, 1], loss="log", max_epochs=3)
        assert "sklearn" not in sys.modules, sorted(m for m in sys.modules if "sklearn" in m)
        from fastgd import GDRegressor  # only now
        assert "sklearn" in sys.modules
        print(fastgd.__file__)
    """)
    # run outside the checkout: the installed fastgd, not a directory named fastgd
    assert _run_python(code, tmp_path).strip().endswith("__init__.py")
