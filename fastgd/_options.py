"""Named option codes, the tables of component parameters, and the settings record.

The Cython kernel mirrors the codes in ``cdef enum`` blocks
(``src/_kernels.pyx``); ``tests/test_kernels.py`` checks that the two agree.
Each loss, optimizer and schedule is declared here once, with its parameters
and their defaults; ``fastgd._validation`` checks values against these tables.
"""
from enum import IntEnum
from typing import NamedTuple, Optional

#: Rows of one update are summed in chunks of this many rows; chunk sums are
#: then added in chunk order.  Fixed (never derived from a thread count), so
#: the bits of a gradient do not depend on how the work is split.
CHUNK_ROWS = 256

#: The adaptive schedule stops once its rate is at or below this (scikit-learn's rule).
ADAPTIVE_MIN_LR = 1e-6

#: Sparse per-sample SGD keeps weight decay as a scale (w = scale * v); a
#: scale whose magnitude falls below this is multiplied into v and reset to 1
#: (scikit-learn's WeightVector does the same at 1e-9).
SCALE_RESET_BELOW = 1e-9

#: Sparse per-sample SGD keeps the average as P * (q + R * v); when P falls
#: below this, the average is computed (O(d)) and P, R start again from 1, 0,
#: which keeps R small (and the fold count logarithmic in the steps).
AVERAGE_FOLD_BELOW = 0.5


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
    NO_IMPROVEMENT = 3  # the monitored loss stopped improving by tol (or adaptive lr hit its floor)


class Loss(IntEnum):
    SQUARED = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    LOG = 3
    HINGE = 4
    MODIFIED_HUBER = 5


class Optimizer(IntEnum):
    SGD = 0
    ADAGRAD = 1
    RMSPROP = 2
    ADAM = 3
    ADAMW = 4


class Schedule(IntEnum):
    CONSTANT = 0
    INVSCALING = 1
    EXPONENTIAL = 2
    STEP = 3
    COSINE = 4
    ADAPTIVE = 5


METHODS = {"sgd": Method.SGD, "minibatch": Method.MINIBATCH, "batch": Method.BATCH}
REDUCTIONS = ("mean", "sum")
BACKENDS = ("cython", "python")

#: A parameter with no default: the user must give it.
REQUIRED = None


class LossSpec(NamedTuple):
    code: Loss
    #: The loss's one parameter and its default ({} when it has none).
    params: dict
    #: Label sets the loss accepts (None: any real target).  The first set is
    #: what the kernels see; a target in the second is mapped onto the first.
    labels: Optional[tuple]
    #: Whether a NaN or infinite prediction always makes the loss non-finite.
    #: Losses that are flat somewhere (hinge, epsilon-insensitive) can hide a
    #: non-finite value, so for them X and y are scanned before fitting.
    propagates_nonfinite: bool


LOSSES = {
    "squared": LossSpec(Loss.SQUARED, {}, None, True),
    "huber": LossSpec(Loss.HUBER, {"delta": 1.0}, None, True),
    "epsilon_insensitive": LossSpec(Loss.EPSILON_INSENSITIVE, {"epsilon": 0.1}, None, False),
    "log": LossSpec(Loss.LOG, {}, ((0.0, 1.0),), True),
    "hinge": LossSpec(Loss.HINGE, {}, ((-1.0, 1.0), (0.0, 1.0)), False),
    "modified_huber": LossSpec(Loss.MODIFIED_HUBER, {}, ((-1.0, 1.0), (0.0, 1.0)), False),
}

#: Optimizer parameters and defaults, as torch.optim names them.
OPTIMIZERS = {
    "sgd": (Optimizer.SGD, {"momentum": 0.0, "dampening": 0.0, "nesterov": False}),
    "adagrad": (Optimizer.ADAGRAD,
                {"lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}),
    "rmsprop": (Optimizer.RMSPROP,
                {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False}),
    "adam": (Optimizer.ADAM, {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False}),
    "adamw": (Optimizer.ADAMW, {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False}),
}

#: torch.optim's default weight_decay: decoupled 0.01 for AdamW, 0 for the rest.
DEFAULT_WEIGHT_DECAY = {"adamw": 0.01}

SCHEDULES = {
    "constant": (Schedule.CONSTANT, {}),
    "invscaling": (Schedule.INVSCALING, {"power_t": 0.25}),
    "exponential": (Schedule.EXPONENTIAL, {"gamma": REQUIRED}),
    "step": (Schedule.STEP, {"step_size": REQUIRED, "gamma": 0.1}),
    "cosine": (Schedule.COSINE, {"lr_min": 0.0}),
    "adaptive": (Schedule.ADAPTIVE, {}),
}


class Settings(NamedTuple):
    """Everything an epoch runner needs besides the data and the mutable state.

    Built once per fit by :func:`fastgd.fit` from validated arguments (a named
    tuple: immutable, and cheap to build, which matters for small fits).
    Component parameters not used by the chosen loss, optimizer or schedule
    keep their neutral defaults.
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
    loss: Loss = Loss.SQUARED
    #: huber's delta or epsilon_insensitive's epsilon.
    loss_param: float = 0.0
    optimizer: Optimizer = Optimizer.SGD
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    alpha: float = 0.99
    eps: float = 1e-8
    centered: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    amsgrad: bool = False
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    weight_decay: float = 0.0
    l1: float = 0.0
    schedule: Schedule = Schedule.CONSTANT
    power_t: float = 0.25
    gamma: float = 1.0
    step_size: int = 1
    lr_min: float = 0.0
    #: The fit's epoch budget (the cosine schedule's period).
    max_epochs: int = 1
    #: None: no stopping on a plateau (0.0 is used for early stopping and adaptive).
    tol: Optional[float] = None
    n_iter_no_change: int = 5
    early_stopping: bool = False
    #: The step (from 1) averaging starts at; 0: no averaging.
    average: int = 0

    def update_size(self, n_samples: int) -> int:
        """Number of samples per update for a data set of ``n_samples`` rows."""
        if self.method == Method.SGD:
            return 1
        if self.method == Method.MINIBATCH:
            return min(self.batch_size, n_samples)
        return n_samples

    @property
    def plain_sgd(self) -> bool:
        """The tutorial's update ``w - lr * grad``: no momentum, decay or l1."""
        return (self.optimizer == Optimizer.SGD and self.momentum == 0
                and self.weight_decay == 0 and self.l1 == 0)

    @property
    def monitors_plateau(self) -> bool:
        """Whether the no-improvement counter runs (tol, early stopping, adaptive)."""
        return (self.tol is not None or self.early_stopping
                or self.schedule == Schedule.ADAPTIVE)


#: The run's progress, kept between calls of a runner in one float64 array
#: (so a fit run in blocks of epochs continues exactly where it stopped):
#: steps taken, epochs run, the best monitored loss, epochs without
#: improvement, and the adaptive schedule's current rate.
PROGRESS_STEPS, PROGRESS_EPOCHS, PROGRESS_BEST, PROGRESS_STALL, PROGRESS_RATE = range(5)
PROGRESS_SIZE = 5

#: Rows of the optimizer state array (shape (OPTIMIZER_STATE_ROWS, d + 1); the
#: last column is the intercept's).
OPTIMIZER_STATE_ROWS = 3


def initial_progress(lr):
    """The progress record of a fit that has not started."""
    return [0.0, 0.0, float("inf"), 0.0, float(lr)]


#: Values users bring from scikit-learn's SGD and torch, with fastgd's name for
#: each (errors say "did you mean ..."; fastgd does not silently accept them).
PEER_VALUE_NAMES = {
    "loss": {"log_loss": "log", "logistic": "log", "binary_cross_entropy": "log",
             "bce": "log", "bcewithlogitsloss": "log", "squared_error": "squared",
             "squared_loss": "squared", "mse": "squared", "mseloss": "squared",
             "l2": "squared", "huberloss": "huber", "smoothl1loss": "huber"},
    "method": {"full": "batch", "full_batch": "batch", "gd": "batch", "mini_batch": "minibatch",
               "mini-batch": "minibatch", "stochastic": "sgd"},
    "schedule": {"constantlr": "constant", "exponentiallr": "exponential", "steplr": "step",
                 "cosineannealinglr": "cosine", "reducelronplateau": "adaptive"},
}

#: Arguments users bring from scikit-learn's SGD and torch, and where fastgd
#: takes what they mean.
PEER_ARGUMENT_NAMES = {
    "eta0": "lr", "learning_rate": "lr (the starting rate) and schedule (how it changes)",
    "max_iter": "max_epochs", "n_iter": "max_epochs", "epochs": "max_epochs",
    "alpha": "weight_decay (the L2 penalty; l1 for L1)",
    "penalty": "weight_decay (L2) and l1 (L1); both give the elastic net",
    "l1_ratio": "l1 and weight_decay (the elastic net's two penalties)",
    "lr_scheduler": "schedule", "scheduler": "schedule",
    "momentum": "optimizer_params={'momentum': ...}",
    "nesterov": "optimizer_params={'nesterov': True}",
    "betas": "optimizer_params={'betas': (...)}",
    "eps": "optimizer_params={'eps': ...}",
    "power_t": "schedule_params={'power_t': ...}",
    "gamma": "schedule_params={'gamma': ...}",
    "epsilon": "loss_params={'epsilon': ...}",
    "n_jobs": "n_threads", "seed": "random_state",
    "validation_split": "validation_fraction",
}


def did_you_mean(value, choices, peer_names=None):
    """``"; did you mean 'x'?"`` for a value close to one of ``choices``, else ``""``.

    >>> did_you_mean("log_loss", ["squared", "log"], PEER_VALUE_NAMES["loss"])
    "; did you mean 'log'? (fastgd's name for it)"
    >>> did_you_mean("Adam", ["sgd", "adam"])
    "; did you mean 'adam'?"
    """
    import difflib

    if not isinstance(value, str):
        return ""
    key = value.lower()
    if peer_names and key in peer_names:
        return f"; did you mean {peer_names[key]!r}? (fastgd's name for it)"
    lowered = {str(c).lower(): c for c in choices}
    if key in lowered:
        return f"; did you mean {lowered[key]!r}?"
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def unknown_argument_message(function, name, known):
    """The TypeError message for an unknown keyword argument, with a hint where one helps."""
    import difflib

    message = f"{function}() got an unexpected keyword argument {name!r}"
    if name in PEER_ARGUMENT_NAMES:
        return f"{message}; fastgd calls it {PEER_ARGUMENT_NAMES[name]}"
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f"{message}; did you mean {close[0]!r}?" if close else message
