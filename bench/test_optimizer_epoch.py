"""Groups "adam-epoch" and "momentum-epoch": one epoch with an optimizer on n=100,000, d=100.

"adam-epoch": per-sample Adam (torch.optim's defaults, lr 1e-3); fastgd
against the per-sample loop a NumPy user would write and ``torch.optim.Adam``
with autograd (when torch is installed).  "momentum-epoch": mini-batches of
32, SGD with momentum 0.9; fastgd against a NumPy loop over the batches with a
momentum buffer and ``torch.optim.SGD(momentum=0.9)``.  The slow loops run on
the first rows only; the ratio table compares time per row.  Every baseline's
weights are checked against fastgd's to ``OPTIMIZER_RTOL`` (1e-9).  Targets:
those of ``fastgd bench``.
"""
import pytest

from fastgd import benchmarks
from fastgd.benchmarks import OPTIMIZER_RTOL, TARGETS

BATCH_SIZE = 32
TORCH_REASON = "torch is an optional peer (pip install torch), not a test dependency"


@pytest.fixture
def data(problems):
    return problems("d100")


def check(weights, expected):
    assert benchmarks.same_weights(weights, expected, rtol=OPTIMIZER_RTOL)


@pytest.mark.benchmark(group="adam-epoch")
def test_fastgd_adam(timed, data):
    result = timed("fastgd", benchmarks.fastgd_adam_epoch, data, rows=data.n)
    assert result.n_epochs == 1 and not result.diverged and result.optimizer == "adam"


@pytest.mark.benchmark(group="adam-epoch")
def test_numpy_adam_loop(timed, data):
    head = data.head(min(data.n, benchmarks.NUMPY_ADAM_ROWS))  # compared per row
    weights = timed("numpy per-sample Adam loop", benchmarks.numpy_adam_epoch, head,
                    rows=head.n, target=TARGETS["adam vs numpy"])
    check(weights, benchmarks.fastgd_adam_epoch(head))


@pytest.mark.benchmark(group="adam-epoch")
def test_torch_adam_loop(timed, data):
    pytest.importorskip("torch", reason=TORCH_REASON)
    head = data.head(min(data.n, benchmarks.TORCH_ROWS))  # compared per row
    weights = timed("torch.optim.Adam loop", benchmarks.torch_adam_epoch, head, rows=head.n,
                    target=TARGETS["adam vs torch"])
    check(weights, benchmarks.fastgd_adam_epoch(head))


@pytest.mark.benchmark(group="momentum-epoch")
def test_fastgd_momentum(timed, data):
    result = timed("fastgd", benchmarks.fastgd_momentum_epoch, data, BATCH_SIZE, rows=data.n)
    assert result.n_epochs == 1 and not result.diverged


@pytest.mark.benchmark(group="momentum-epoch")
def test_numpy_momentum_loop(timed, data):
    weights = timed("numpy momentum loop over batches", benchmarks.numpy_momentum_epoch, data,
                    BATCH_SIZE, rows=data.n, target=TARGETS["momentum vs numpy"])
    check(weights, benchmarks.fastgd_momentum_epoch(data, BATCH_SIZE))


@pytest.mark.benchmark(group="momentum-epoch")
def test_torch_momentum_loop(timed, data):
    pytest.importorskip("torch", reason=TORCH_REASON)
    rows = benchmarks.whole_batches(min(data.n, benchmarks.TORCH_BATCH_ROWS), BATCH_SIZE)
    head = data.head(rows)  # compared per row
    weights = timed("torch.optim.SGD(momentum=0.9) loop", benchmarks.torch_momentum_epoch, head,
                    BATCH_SIZE, rows=head.n, target=TARGETS["momentum vs torch"])
    check(weights, benchmarks.fastgd_momentum_epoch(head, BATCH_SIZE))
