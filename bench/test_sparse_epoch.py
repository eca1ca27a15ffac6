"""Group "sparse-log-epoch": one epoch of per-sample log-loss SGD on text-like sparse data.

On the text-like CSR problem of ``fastgd bench`` (:func:`fastgd.benchmarks.text_problem`:
n=200,000, d=1,000,000, about 50 tf-idf-like values per row, rows of unit norm,
labels 0/1 from a hidden sparse model), fastgd against scikit-learn's
SGDClassifier doing the same updates: log loss, L2 decay kept as a scale (a
step costs the row's stored values only), constant rate, no intercept, row
order.  Its weights are checked against fastgd's to ``SPARSE_RTOL``.  Under
``--benchmark-disable`` the problem is n=4,000, d=20,000 (about 200,000 stored
values).  Target: that of ``fastgd bench``.
"""
import numpy as np
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import SPARSE_RTOL, TARGETS

pytestmark = pytest.mark.benchmark(group="sparse-log-epoch")

#: (rows, columns) of the problem when nothing is timed.
SMALL_SIZE = (4_000, 20_000)


@pytest.fixture(scope="module")
def data(small):
    """The text-like problem, built once for the module (about 2 s at full size)."""
    n, d, nnz_per_row = benchmarks.TEXT_SIZE
    if small:
        n, d = SMALL_SIZE
    return benchmarks.text_problem(n, d, nnz_per_row)


def test_fastgd(timed, data):
    result = timed("fastgd", benchmarks.fastgd_sparse_log_epoch, data, rows=data.n)
    assert result.n_epochs == 1 and not result.diverged
    assert np.isfinite(result.loss_history).all()
    # The labels come from a hidden linear model: one epoch already learns some of it.
    assert np.mean((data.X @ result.coef > 0) == (data.y == 1)) > 0.6


def test_sklearn_sgdclassifier(timed, data):
    pytest.importorskip("sklearn")
    model = timed("sklearn SGDClassifier(log_loss, l2)", benchmarks.sklearn_sparse_log_epoch,
                  data, rows=data.n, target=TARGETS["sparse log vs sklearn"])
    assert model.n_iter_ == 1
    assert benchmarks.same_weights(model, benchmarks.fastgd_sparse_log_epoch(data),
                                   rtol=SPARSE_RTOL)
