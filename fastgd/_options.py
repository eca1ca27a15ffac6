"""Named option codes and the settings record shared by both backends.

The Cython kernel mirrors these values in ``cdef enum`` blocks
(``src/_kernels.pyx``); ``tests/test_kernels.py`` checks that the two agree.
"""
from enum import IntEnum
from typing import NamedTuple, Optional

#: Rows of one update are summed in chunks of this many rows; chunk sums are
#: then added in chunk order.  Fixed (never derived from a thread count), so
#: the bits of a gradient do not depend on how the work is split.
CHUNK_ROWS = 256


class Method(IntEnum):
    """How many samples one update uses."""

    SGD = 0  # one sample
    MINIBATCH = 1  # batch_size samples, the last batch smaller
    BATCH = 2  # all samples


class Status(IntEnum):
    """Why a run of epochs ended."""

    RAN_ALL = 0  # ran every epoch it was asked to run
    CONVERGED = 1  # an epoch's mean loss fell below stop_loss
    DIVERGED = 2  # an epoch's loss or weights were not finite (weights restored)


METHODS = {"sgd": Method.SGD, "minibatch": Method.MINIBATCH, "batch": Method.BATCH}
REDUCTIONS = ("mean", "sum")
BACKENDS = ("cython", "python")


class Settings(NamedTuple):
    """Everything an epoch runner needs besides the data and the mutable state.

    Built once per fit by :func:`fastgd.fit` from validated arguments (a named
    tuple: immutable, and cheap to build, which matters for small fits).
    """

    method: Method
    lr: float
    batch_size: int
    mean_reduction: bool
    fit_intercept: bool
    shuffle: bool
    stop_loss: Optional[float]
    #: Threads for the chunks of one group update; never changes the result.
    n_threads: int = 1

    def update_size(self, n_samples: int) -> int:
        """Number of samples per update for a data set of ``n_samples`` rows."""
        if self.method == Method.SGD:
            return 1
        if self.method == Method.MINIBATCH:
            return min(self.batch_size, n_samples)
        return n_samples
