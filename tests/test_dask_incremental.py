"""fastgd.GDRegressor and fastgd.GDClassifier inside dask_ml.wrappers.Incremental.

``Incremental(estimator).fit(X, y)`` clones the estimator and calls its
``partial_fit`` once per row block of the Dask arrays, one block after the
other, in a chain of tasks on the cluster; ``Incremental.partial_fit`` runs one
more such pass, continuing from the fitted ``estimator_`` (which is pickled
into the task graph, so every pass after the first also round-trips the
fitted state through pickle).  With ``shuffle_blocks=False`` the blocks are
visited in their order, so the result must be, bit for bit, what the same
``partial_fit`` calls give in this process on the NumPy blocks.  Each test
says what it checks; every comparison is ``==`` on the float bits unless a
comment says why not.

Found while writing these tests (dask-ml 2025.1.0, dask/distributed 2026.8.0,
scikit-learn 1.9.1), none of them in fastgd:

- ``Incremental.score`` on Dask arrays with the default scoring of a regressor
  (``"r2"``) fails inside ``dask_ml.metrics.r2_score`` ("cannot broadcast shape
  (nan,)") for scikit-learn's SGDRegressor too; the tests score regressors
  on NumPy input or with ``scoring="neg_mean_squared_error"``.
- ``scoring="neg_log_loss"`` fails in dask-ml's scorer (``needs_proba`` is gone
  from scikit-learn's ``make_scorer``), and ``IncrementalSearchCV`` fails with
  "asynchronous Client in a synchronous context", also with SGDRegressor.
- A block with no rows (a Dask array filtered by a boolean mask) makes
  ``partial_fit`` raise scikit-learn's "Found array with 0 sample(s)", as it
  does for SGDRegressor.
"""
import pickle

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask_ml")
da = pytest.importorskip("dask.array")

from dask_ml.wrappers import Incremental  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.metrics import mean_squared_error  # noqa: E402

from fastgd import GDClassifier, GDRegressor  # noqa: E402

#: Uneven row blocks; 70, 50 and 30 rows are not multiples of the batch size 16, so
#: mini-batch runs end each block with a short batch.
ROW_CHUNKS = (70, 50, 90, 30)
#: Blocks that are multiples of batch_size=16: a pass is one epoch over the gathered rows.
ALIGNED_CHUNKS = (64, 48, 96, 32)
N_ROWS = sum(ROW_CHUNKS)
assert N_ROWS == sum(ALIGNED_CHUNKS)


@pytest.fixture(scope="module")
def client():
    """A cluster of this process only: two in-process workers of one thread each."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
        # dashboard_address=None turns the dashboard off, but the scheduler still serves
        # HTTP (health, metrics) on 8787 or, when that is taken, on another port with a
        # UserWarning; port 0 on the loopback lets the system pick a free port.
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
    client = distributed.Client(cluster)
    try:
        # Dask computations in the tests run on this cluster, not a local scheduler.
        assert distributed.default_client() is client
        yield client
    finally:
        client.close()
        cluster.close()


# --------------------------------------------------------------------------------------
# Data and the in-process replay of what Incremental does
# --------------------------------------------------------------------------------------

def _regression_problem(n_features=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, n_features))
    y = X @ rng.normal(size=n_features) + 0.5 + rng.normal(scale=0.1, size=N_ROWS)
    return X.astype(dtype), y.astype(dtype)


def _to_dask(X, y, row_chunks):
    return (da.from_array(X, chunks=(row_chunks, X.shape[1])),
            da.from_array(y, chunks=(row_chunks,)))


def _blocks(X, y, row_chunks):
    """The NumPy blocks of the Dask arrays, in block order."""
    edges = np.cumsum((0,) + tuple(row_chunks))
    return [(X[a:b], y[a:b]) for a, b in zip(edges[:-1], edges[1:])]


def _replay(model, blocks, passes=1, **fit_params):
    """What Incremental with shuffle_blocks=False does: partial_fit on each block in
    order (with the same fit parameters every time), ``passes`` times."""
    for _ in range(passes):
        for X_block, y_block in blocks:
            model.partial_fit(X_block, y_block, **fit_params)
    return model


def _assert_same_bits(ours, expected):
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected, strict=True)
    assert ours.tobytes() == expected.tobytes()


def _assert_same_fit(incremental, local):
    """The Incremental's learned attributes (copied from its estimator_) are the local
    model's, bit for bit, after the same number of optimizer steps."""
    for fitted in (incremental, incremental.estimator_):
        _assert_same_bits(fitted.coef_, local.coef_)
        _assert_same_bits(fitted.intercept_, local.intercept_)
        assert fitted.t_ == local.t_
        assert fitted.n_features_in_ == local.n_features_in_
    _assert_same_bits(incremental.estimator_.loss_curve_, local.loss_curve_)


# --------------------------------------------------------------------------------------
# GDRegressor
# --------------------------------------------------------------------------------------

#: Every setting fixes shuffle and random_state: with the defaults (shuffle=True,
#: random_state=None) each fit draws a fresh seed, and no two runs agree.
REGRESSOR_SETTINGS = {
    "sgd-shuffled": dict(method="sgd", shuffle=True, random_state=3),
    "minibatch-shuffled": dict(method="minibatch", batch_size=16, shuffle=True,
                               random_state=4),
    "minibatch-adam": dict(method="minibatch", batch_size=16, optimizer="adam", lr=0.05,
                           shuffle=True, random_state=5),
    "sgd-average": dict(method="sgd", average=True, shuffle=True, random_state=6),
    "momentum-invscaling-l1": dict(method="sgd", optimizer_params={"momentum": 0.9},
                                   lr=0.001, schedule="invscaling", l1=1e-3, shuffle=False),
    # Full batch: the shuffled order is the order the batch gradient is summed in.
    "batch-huber-shuffled": dict(method="batch", loss="huber", lr=0.1, shuffle=True,
                                 random_state=9),
    # A RandomState (not an int) as scikit-learn's utilities may set it: each
    # partial_fit draws from it, and the estimator carries it from task to task.
    # Incremental and the local replay each use a clone (a copy) of it.
    "minibatch-randomstate": dict(method="minibatch", batch_size=16, shuffle=True,
                                  random_state=np.random.RandomState(8)),
}


@pytest.mark.parametrize("settings", REGRESSOR_SETTINGS.values(), ids=REGRESSOR_SETTINGS)
def test_regressor_incremental_passes_equal_local_partial_fit_on_each_block(client, settings):
    X, y = _regression_problem()
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    blocks = _blocks(X, y, ROW_CHUNKS)
    template = GDRegressor(**settings)
    incremental = Incremental(template, shuffle_blocks=False)
    local = clone(template)

    # Pass 1: Incremental.fit clones the estimator and runs a fresh pass.
    incremental.fit(X_dask, y_dask)
    _replay(local, blocks)
    _assert_same_fit(incremental, local)
    after_one_pass = incremental.coef_.copy()

    # The comparison depends on the block order: the same blocks in reverse order give
    # other weights (so an out-of-order or repeated block would be caught).
    reversed_order = _replay(clone(template), blocks[::-1])
    assert not np.array_equal(reversed_order.coef_, after_one_pass)

    # Passes 2 and 3: Incremental.partial_fit continues from estimator_ (pickled into
    # the graph), so the optimizer state, step count, shuffle generator and averages
    # must carry over exactly as they do between local partial_fit calls.
    incremental.partial_fit(X_dask, y_dask)
    incremental.partial_fit(X_dask, y_dask)
    _replay(local, blocks, passes=2)
    _assert_same_fit(incremental, local)
    assert not np.array_equal(incremental.coef_, after_one_pass)  # the passes moved it


def test_regressor_incremental_predict_and_score_match_the_local_model(client):
    X, y = _regression_problem(seed=1)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    settings = REGRESSOR_SETTINGS["minibatch-adam"]
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    local = _replay(GDRegressor(**settings), _blocks(X, y, ROW_CHUNKS))
    _assert_same_fit(incremental, local)

    # predict on a Dask array: a lazy array with X's row blocks, each predicted on a
    # worker by the fitted estimator, equal to predicting the gathered rows here.
    predictions = incremental.predict(X_dask)
    assert isinstance(predictions, da.Array) and predictions.chunks == (ROW_CHUNKS,)
    _assert_same_bits(predictions.compute(), local.predict(X))
    # On NumPy input, predict and the default score (R^2) are the local model's.
    _assert_same_bits(incremental.predict(X), local.predict(X))
    assert incremental.score(X, y) == local.score(X, y)

    # Scored on Dask arrays (dask-ml's blockwise mean squared error: its sums are
    # taken per block, in another order than NumPy's, hence approx, not ==).
    scored = Incremental(GDRegressor(**settings), scoring="neg_mean_squared_error",
                         shuffle_blocks=False).fit(X_dask, y_dask)
    _assert_same_fit(scored, local)
    assert scored.score(X_dask, y_dask) == pytest.approx(
        -mean_squared_error(y, local.predict(X)), rel=1e-12)


def test_regressor_incremental_keeps_float32_blocks_in_float32(client):
    X, y = _regression_problem(seed=2, dtype=np.float32)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    settings = REGRESSOR_SETTINGS["minibatch-shuffled"]
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    local = _replay(GDRegressor(**settings), _blocks(X, y, ROW_CHUNKS))
    assert incremental.coef_.dtype == np.float32
    _assert_same_fit(incremental, local)
    predictions = incremental.predict(X_dask).compute()
    assert predictions.dtype == np.float32
    _assert_same_bits(predictions, local.predict(X))


@pytest.mark.parametrize("settings", [
    dict(method="minibatch", batch_size=16, optimizer="adam", lr=0.05, shuffle=True,
         random_state=11),
    dict(method="sgd", average=True, shuffle=True, random_state=12),
], ids=["minibatch-adam-shuffled", "sgd-average-shuffled"])
def test_one_block_n_incremental_passes_equal_one_fit_of_n_epochs(client, settings):
    # The estimators' promise (n partial_fit calls on the same rows are one n-epoch
    # fit) holds through Incremental when the Dask arrays are a single block.
    X, y = _regression_problem(seed=3)
    X_dask, y_dask = _to_dask(X, y, (N_ROWS,))
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    incremental.partial_fit(X_dask, y_dask)
    incremental.partial_fit(X_dask, y_dask)
    whole = GDRegressor(max_epochs=3, tol=None, **settings).fit(X, y)
    _assert_same_bits(incremental.coef_, whole.coef_)
    _assert_same_bits(incremental.intercept_, whole.intercept_)
    assert incremental.t_ == whole.t_


@pytest.mark.parametrize("settings", [
    dict(method="sgd"),
    dict(method="sgd", average=True),
    dict(method="sgd", schedule="invscaling", lr=0.05),
    dict(method="minibatch", batch_size=16),
    dict(method="minibatch", batch_size=16, optimizer="adam", lr=0.05),
], ids=["sgd", "sgd-average", "sgd-invscaling", "minibatch", "minibatch-adam"])
def test_unshuffled_incremental_pass_is_one_epoch_over_the_gathered_rows(client, settings):
    # Without shuffling, per-sample steps (or whole mini-batches: every block is a
    # multiple of batch_size) over the blocks in order are the steps of one epoch over
    # all rows, and the step count, averages and invscaling's t continue across blocks.
    X, y = _regression_problem(seed=4)
    X_dask, y_dask = _to_dask(X, y, ALIGNED_CHUNKS)
    incremental = Incremental(GDRegressor(shuffle=False, **settings),
                              shuffle_blocks=False).fit(X_dask, y_dask)
    whole = GDRegressor(shuffle=False, max_epochs=1, tol=None, **settings).fit(X, y)
    _assert_same_bits(incremental.coef_, whole.coef_)
    _assert_same_bits(incremental.intercept_, whole.intercept_)
    assert incremental.t_ == whole.t_


def test_epoch_based_schedule_advances_once_per_block(client):
    # Each partial_fit call is one epoch, so under Incremental an epoch-based schedule
    # ("exponential", "step", "cosine") advances once per block, not once per pass:
    # the last of the 4 blocks is fitted at epoch 3's rate, lr * gamma**3.
    X, y = _regression_problem(seed=5)
    X_dask, y_dask = _to_dask(X, y, ALIGNED_CHUNKS)
    settings = dict(method="sgd", shuffle=False, lr=0.1, schedule="exponential",
                    schedule_params={"gamma": 0.5})
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    assert incremental.estimator_.fit_result_.lr_history.tolist() == [0.1 * 0.5**3]
    local = _replay(GDRegressor(**settings), _blocks(X, y, ALIGNED_CHUNKS))
    _assert_same_fit(incremental, local)
    # ... which is not one epoch over the gathered rows (that one keeps lr = 0.1).
    whole = GDRegressor(max_epochs=1, tol=None, **settings).fit(X, y)
    assert whole.fit_result_.lr_history.tolist() == [0.1]
    assert not np.array_equal(incremental.coef_, whole.coef_)


def test_pickled_incremental_continues_with_the_same_bits(client):
    # A fitted Incremental saved with pickle (a checkpoint) and restored continues the
    # run exactly as the original does, and as the local replay does.
    X, y = _regression_problem(seed=6)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    settings = REGRESSOR_SETTINGS["minibatch-adam"]
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    restored = pickle.loads(pickle.dumps(incremental))
    incremental.partial_fit(X_dask, y_dask)
    restored.partial_fit(X_dask, y_dask)
    local = _replay(GDRegressor(**settings), _blocks(X, y, ROW_CHUNKS), passes=2)
    _assert_same_fit(incremental, local)
    _assert_same_fit(restored, local)


def test_regressor_incremental_on_sparse_csr_blocks(client):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _regression_problem(seed=7)
    X[np.abs(X) < 0.8] = 0.0  # about 58% zeros
    X_dask = da.from_array(X, chunks=(ROW_CHUNKS, X.shape[1])).map_blocks(sparse.csr_matrix)
    y_dask = da.from_array(y, chunks=(ROW_CHUNKS,))
    settings = REGRESSOR_SETTINGS["sgd-average"]
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    local = _replay(GDRegressor(**settings),
                    [(sparse.csr_matrix(Xb), yb) for Xb, yb in _blocks(X, y, ROW_CHUNKS)])
    _assert_same_fit(incremental, local)
    _assert_same_bits(incremental.predict(X_dask).compute(),
                      local.predict(sparse.csr_matrix(X)))


def test_regressor_incremental_on_dask_dataframe_partitions(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = _regression_problem(seed=8)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    target = pd.Series(y, name="y")
    X_dask = dd.from_pandas(frame, npartitions=4, sort=False)
    y_dask = dd.from_pandas(target, npartitions=4, sort=False)
    lengths = tuple(int(n) for n in X_dask.map_partitions(len).compute())
    assert len(lengths) == 4 and sum(lengths) == N_ROWS
    settings = REGRESSOR_SETTINGS["minibatch-shuffled"]
    incremental = Incremental(GDRegressor(**settings), shuffle_blocks=False).fit(X_dask, y_dask)
    # The partitions are pandas DataFrames: the feature names of the first are kept and
    # checked against each later partition.
    local = _replay(GDRegressor(**settings), _blocks(frame, target, lengths))
    _assert_same_fit(incremental, local)
    assert incremental.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    predictions = incremental.predict(X_dask).compute()
    _assert_same_bits(np.asarray(predictions), local.predict(frame))


# --------------------------------------------------------------------------------------
# GDClassifier
# --------------------------------------------------------------------------------------

CLASSIFIER_SETTINGS = {
    "sgd-shuffled": dict(method="sgd", shuffle=True, random_state=21),
    "minibatch-adam": dict(method="minibatch", batch_size=16, optimizer="adam", lr=0.05,
                           shuffle=True, random_state=22),
    "sgd-average": dict(method="sgd", average=True, shuffle=True, random_state=23),
}


def _classification_problem(n_classes, seed):
    X, labels = make_blobs(n_samples=N_ROWS, centers=n_classes, n_features=3,
                           cluster_std=2.5, random_state=seed)
    return X, labels


@pytest.mark.parametrize("settings", CLASSIFIER_SETTINGS.values(), ids=CLASSIFIER_SETTINGS)
def test_binary_log_classifier_incremental_equals_local_partial_fit(client, settings):
    X, y = _classification_problem(2, seed=31)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    blocks = _blocks(X, y, ROW_CHUNKS)
    template = GDClassifier(loss="log", **settings)
    incremental = Incremental(template, shuffle_blocks=False)
    local = clone(template)

    # classes= goes through Incremental.fit to every block's partial_fit call.
    incremental.fit(X_dask, y_dask, classes=[0, 1])
    _replay(local, blocks, classes=[0, 1])
    _assert_same_fit(incremental, local)
    assert incremental.classes_.tolist() == [0, 1] and incremental.coef_.shape == (1, 3)
    # A second pass without classes= continues the same binary fit.
    incremental.partial_fit(X_dask, y_dask)
    _replay(local, blocks)
    _assert_same_fit(incremental, local)

    _assert_same_bits(incremental.predict(X_dask).compute(), local.predict(X))
    _assert_same_bits(incremental.predict_proba(X_dask).compute(), local.predict_proba(X))
    # Default scoring (dask-ml's accuracy on Dask arrays): a count of matching labels
    # over N_ROWS, exact in both, so == is right.
    score = incremental.score(X_dask, y_dask)
    assert score == local.score(X, y) and 0.5 < score <= 1.0


def test_three_class_one_vs_rest_incremental_with_blocks_missing_classes(client):
    X, labels = _classification_problem(3, seed=32)
    order = np.argsort(labels, kind="stable")  # rows grouped by class
    X = X[order]
    y = np.array(["ant", "bee", "cat"])[labels[order]]
    # The first block holds only "ant", the last only "cat": classes= must name them all.
    assert set(y[:ROW_CHUNKS[0]]) == {"ant"} and set(y[-ROW_CHUNKS[-1]:]) == {"cat"}
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    settings = CLASSIFIER_SETTINGS["minibatch-adam"]
    classes = ["cat", "ant", "bee"]  # any order: the estimator sorts them
    incremental = Incremental(GDClassifier(loss="log", **settings), shuffle_blocks=False)
    incremental.fit(X_dask, y_dask, classes=classes)
    incremental.partial_fit(X_dask, y_dask, classes=classes)
    local = _replay(GDClassifier(loss="log", **settings), _blocks(X, y, ROW_CHUNKS),
                    passes=2, classes=classes)
    _assert_same_fit(incremental, local)
    assert incremental.classes_.tolist() == ["ant", "bee", "cat"]
    assert incremental.coef_.shape == (3, 3) and len(incremental.fit_results_) == 3

    predictions = incremental.predict(X_dask).compute()
    assert predictions.tolist() == local.predict(X).tolist()
    _assert_same_bits(incremental.predict_proba(X_dask).compute(), local.predict_proba(X))
    assert incremental.score(X_dask, y_dask) == local.score(X, y)


def test_classifier_incremental_without_classes_raises_the_estimators_error(client):
    X, y = _classification_problem(2, seed=33)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    incremental = Incremental(GDClassifier(random_state=0), shuffle_blocks=False)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        incremental.fit(X_dask, y_dask)
    assert not hasattr(incremental, "coef_")


def test_classifier_incremental_label_outside_classes_in_a_later_block_raises(client):
    X, y = _classification_problem(2, seed=34)
    y = y.copy()
    y[-1] = 5  # only the last block has it
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    incremental = Incremental(GDClassifier(random_state=0), shuffle_blocks=False)
    with pytest.raises(ValueError, match=r"y has labels \[5\] not in classes \[0, 1\]"):
        incremental.fit(X_dask, y_dask, classes=[0, 1])


def test_hinge_classifier_incremental_has_no_predict_proba(client):
    # predict_proba exists only for the log and modified_huber losses, through
    # Incremental as on the estimator; predict still works.
    X, y = _classification_problem(2, seed=35)
    X_dask, y_dask = _to_dask(X, y, ROW_CHUNKS)
    settings = CLASSIFIER_SETTINGS["sgd-shuffled"]
    incremental = Incremental(GDClassifier(**settings), shuffle_blocks=False)
    incremental.fit(X_dask, y_dask, classes=[0, 1])
    local = _replay(GDClassifier(**settings), _blocks(X, y, ROW_CHUNKS), classes=[0, 1])
    _assert_same_fit(incremental, local)
    with pytest.raises(AttributeError, match="predict_proba"):
        incremental.predict_proba(X_dask)
    _assert_same_bits(incremental.predict(X_dask).compute(), local.predict(X))
