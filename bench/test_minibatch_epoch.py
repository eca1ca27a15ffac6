"""Group "minibatch-epoch": one epoch of mini-batches of 32 on n=100,000, d=100.

fastgd against the loop over batches a NumPy user would write (two small
matrix-vector products per batch).  Target: that of ``fastgd bench``.
"""
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import TARGETS

pytestmark = pytest.mark.benchmark(group="minibatch-epoch")

BATCH_SIZE = 32


@pytest.fixture
def data(problems):
    return problems("d100")


def test_fastgd(timed, data):
    result = timed("fastgd", benchmarks.fastgd_epoch, data, "minibatch", BATCH_SIZE,
                   rows=data.n)
    assert result.n_epochs == 1 and not result.diverged


def test_numpy_loop(timed, data):
    weights = timed("numpy loop over batches", benchmarks.numpy_minibatch_epoch, data,
                    BATCH_SIZE, rows=data.n, target=TARGETS["minibatch vs numpy"])
    expected = benchmarks.fastgd_epoch(data, "minibatch", BATCH_SIZE)
    assert benchmarks.same_weights(weights, expected)
