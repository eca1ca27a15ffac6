"""The pure-Python reference: the specification every kernel must match, bit for bit.

This module is written for reading.  It uses Python floats (``numpy.float32``
scalars for float32 data) and lists only (no NumPy arrays inside any loop); :func:`run_epochs` converts the arrays it is given to
lists on entry and writes the results back on exit.  The Cython kernels in
``src/_kernels.pyx`` perform the same IEEE-754 double operations in the same
order, so the two backends return identical bits (``==``, not ``allclose``).
The build compiles the kernels with ``-ffp-contract=off`` so that no multiply
and add are fused into one rounding.

The arithmetic contract
-----------------------
Notation: ``w`` the coefficients (length d), ``b`` the intercept, ``x`` one row
of X, ``t`` its target, ``lr`` the learning rate.

Prediction
    Eight partial sums: ``s[k]`` is the sum of the products ``w[j] * x[j]``
    with ``j % 8 == k``, added in increasing j and starting from the first
    product (no ``0.0`` in front).  The ``min(d, 8)`` partial sums are
    combined pairwise: ``(s0 + s1), (s2 + s3), ...``, then pairs of those,
    and so on, a leftover last element passing up unchanged, which for d >= 8
    is ``dot = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))``.  Then
    ``p = dot + b``.  Independent partial sums let the kernel overlap the
    adds; for d = 2 the whole prediction is the seed's
    ``w1 * x**2 + w2 * x + w3``.  ``b`` is added even when
    ``fit_intercept=False``: it then stays at ``intercept_init``.

Per-sample loss and its gradient factor
    ``p`` the prediction, ``t`` the target, ``r = p - t``.  Each loss gives
    ``loss`` and ``dloss`` (its derivative in p), in the working dtype:

    ``"squared"``
        ``loss = r * r``, ``dloss = 2 * r`` (the tutorial's).
    ``"huber"`` (delta)
        ``|r| <= delta``: ``loss = 0.5 * r * r``, ``dloss = r``; otherwise
        ``loss = delta * |r| - 0.5 * delta * delta`` and ``dloss = delta`` for
        ``r > 0``, ``-delta`` for ``r < 0`` (scikit-learn's).
    ``"epsilon_insensitive"`` (epsilon)
        ``|r| > epsilon``: ``loss = |r| - epsilon``, ``dloss = 1`` (r > 0) or
        ``-1``; otherwise both 0.
    ``"log"`` (t in {0, 1}, p a logit)
        ``e = exp(-|p|)``; ``loss = (max(p, 0) - p * t) + log1p(e)`` and
        ``dloss = s - t`` with the sigmoid ``s = 1 / (1 + e)`` for ``p >= 0``,
        ``e / (1 + e)`` otherwise: no overflow for any p.
    ``"hinge"`` (t in {-1, 1})
        ``z = p * t``; ``z <= 1``: ``loss = 1 - z``, ``dloss = -t``; otherwise both 0.
    ``"modified_huber"`` (t in {-1, 1})
        ``z = p * t``; ``z >= 1``: both 0; ``z >= -1``: ``u = 1 - z``,
        ``loss = u * u``, ``dloss = (-2 * t) * u``; otherwise ``loss = -4 * z``,
        ``dloss = -4 * t``.

    With sample weights ``s_i``: ``loss = s_i * loss`` and ``g = s_i * dloss``;
    without them ``g = dloss``.  The gradient of the loss with respect to
    ``w[j]`` is ``g * x[j]``, and with respect to ``b`` it is ``g``.

Elementary functions
    ``exp``, ``log1p``, ``pow`` and ``cos`` are fastgd's own, evaluated in
    float64 and rounded to the working dtype: :func:`fastgd.elementary.exp`,
    :func:`~fastgd.elementary.log1p`, :func:`~fastgd.elementary.pow` and
    :func:`~fastgd.elementary.cos` (in ``fastgd/_elementary_cos.py``), whose docstrings state each algorithm
    (range reduction, polynomial or table, every constant as an exact hex
    literal, the special cases) and its measured error (at most 1 ulp).  They
    use ``+ - * /`` and operations on the bits only, never the C library's
    functions, whose last bits depend on the CPU and the C library; the kernels
    call the same algorithms written in C (``src/elementary.h``,
    ``src/elementary_cos.h``), so both give the same bits on any IEEE-754
    machine.  Every power (``t**power_t``, ``gamma**e``, ``beta**t``) is one
    ``pow``; the kernels may take ``beta**t`` as ``pow_log(log_ext(beta), t)``,
    which is ``pow``'s own two halves and the same bits.  ``sqrt`` is IEEE-754's
    correctly rounded square root (the same on every CPU).  The sigmoid of a
    logit is :func:`logistic`.

Steps, rates and the schedule
    A step is one update: one sample (``"sgd"``), one mini-batch, or one
    epoch (``"batch"``).  Steps ``t`` count from 1 over the whole fit, epochs
    ``e`` from 0.  The rate of a step, in float64, is ``lr`` (``"constant"``),
    ``lr / pow(t, power_t)`` (``"invscaling"``), ``lr * pow(gamma, e)``
    (``"exponential"``), ``lr * pow(gamma, e // step_size)`` (``"step"``),
    ``lr_min + (lr - lr_min) * (1 + cos(pi * e / max_epochs)) / 2``
    (``"cosine"``), or the adaptive rate (``"adaptive"``: ``lr``, divided by
    5 at a plateau, see Stopping).  It is rounded to the working dtype as
    ``lr_t``.  ``lr_history`` records each epoch's rate at its first step.

Plain SGD update (``optimizer="sgd"``, no momentum, weight_decay or l1)
    ``w[j] = w[j] - lr_t * (g * x[j])`` for every j, then (if fitting the
    intercept) ``b = b - lr_t * g``: the seed's ``w - lr * grad`` with
    ``grad = 2 * (p - t) * x``.  Every weight uses the prediction made before
    the update.

Group gradient (``method="minibatch"`` and ``method="batch"``)
    All rows of a group are predicted with the weights at the start of the
    group.  The rows are split into chunks of ``CHUNK_ROWS`` (256)
    consecutive rows of the group.  Within a chunk, sums start at ``0.0`` and
    add each row's terms in row order: ``G[j] = G[j] + g * x[j]`` for the
    coefficients, ``Gb = Gb + g`` for the intercept and ``L = L + loss`` for
    the loss.  The group's sums are the first chunk's sums, plus the second
    chunk's, plus the third's, ... added left to right in chunk order.  Then,
    with ``m`` the number of rows in the group, the gradient is
    ``grad[j] = G[j] / m`` and ``grad_b = Gb / m`` for ``reduction="mean"``,
    or ``G[j]`` and ``Gb`` for ``"sum"``.  The plain update is
    ``w[j] = w[j] - lr_t * grad[j]`` and ``b = b - lr_t * grad_b``.  The chunk
    size never depends on the number of threads, so a threaded kernel gives
    the same bits.

Optimizer update (any other optimizer, or with momentum, weight_decay or l1)
    The gradient of a step (``grad[j] = g * x[j]`` and ``grad_b = g`` for one
    sample; the group gradient above otherwise) goes through
    :func:`update_coordinate` for each coefficient in order, then for the
    intercept (if fitted).  The intercept gets the same optimizer but never
    weight decay or l1.  The optimizer's rules, with torch.optim's
    parameters, are spelled out in :func:`update_coordinate`; their per-step
    scalars in :func:`step_scalars`.  After the optimizer, ``l1`` shrinks each
    coefficient towards zero by ``c = lr_t * l1`` (a proximal step, which
    gives exact zeros): ``w - c`` if ``w > c``, ``w + c`` if ``w < -c``,
    else ``0``.

Epoch
    Samples are visited in ``order`` (the training rows): the identity, or,
    with ``shuffle=True``, a Fisher-Yates shuffle of the previous epoch's
    order made at the start of the epoch with :func:`splitmix64` (see
    :func:`shuffle_in_place`).  ``"minibatch"`` cuts the order into groups of
    ``batch_size`` (the last one smaller); ``"batch"`` takes it as one group.
    The epoch loss starts at ``0.0``; per-sample SGD adds each sample's
    ``loss``, a group update adds its group loss ``L``, in order.  The mean
    epoch loss is ``epoch_loss / n`` with n the number of training rows.

Row blocks (``blocks``, :mod:`fastgd.dask`)
    When the rows are split into consecutive blocks of given sizes (a dask
    array's row chunks), a group's chunks never cross a block: each block's
    rows are cut into chunks of ``CHUNK_ROWS`` from the block's first row
    (so the last chunk of a block may be short), and the group's sums add
    all chunks in row order as above.  With every block but the last a
    multiple of ``CHUNK_ROWS`` rows, these are exactly the chunks without
    blocks.  ``"batch"`` takes all rows as one group (no shuffle).
    ``"minibatch"`` visits the blocks in order and each block's rows apart:
    its rows in row order, shuffled (with ``shuffle=True``) by
    :func:`shuffle_in_place` from that order with the fit's one generator,
    block after block, then cut into groups of ``batch_size`` (the block's
    last group smaller; a block of fewer rows is one group).  The epoch loss
    adds the group losses in that order.

Sparse rows (CSR)
    A row of a CSR X is its stored columns (strictly increasing) and values.
    Its prediction is :func:`sparse_dot`: the same eight partial sums, fed
    only the stored products, each starting at 0 and combined by the full
    pairwise tree, which equals the dense prediction of the row's dense copy
    (adding a ``w[j] * 0`` changes no sum).  Updates and group sums visit the
    stored columns only: ``w[j] - lr_t * (g * x[j])`` and
    ``G[j] + g * x[j]`` with ``x[j] = 0`` change nothing.  An optimizer
    update gets the full gradient (zeros where the row stores nothing) and
    updates every coefficient, as for dense rows.  So a sparse fit gives
    the values of its dense copy's fit (up to the sign of a zero), with one
    exception: plain per-sample SGD (``optimizer="sgd"`` without momentum or
    l1) with ``weight_decay`` or ``average`` takes the lazy path of
    :func:`lazy_sgd_samples`, O(stored values) per step, whose rounding
    differs (agreement to rounding, not bits).

Averaging (``average``)
    With ``average = a > 0``, after each step ``t >= a`` (the step's update
    and l1 done) the running average of the weights takes the step's
    weights: the k-th averaged step (``k = t - a + 1``) sets
    ``avg = w``, ``avg_b = b`` for k = 1, else ``avg[j] = avg[j] + mu *
    (w[j] - avg[j])`` for every j and ``avg_b = avg_b + mu * (b - avg_b)``
    with ``mu = 1 / k`` computed in float64 and rounded
    (:func:`average_step`; scikit-learn's definition).  The lazy sparse path
    computes the same average in another order (:func:`lazy_sgd_samples`).
    A divergence or an interrupt restores the averages with the weights.
    Early stopping measures the validation loss at the averaged weights once
    averaging has started.

Working dtype
    float64 data is fitted in float64 (here: Python floats).  float32 data is
    fitted in float32 (here: ``numpy.float32`` scalars): every weight,
    prediction, residual, gradient term, chunk sum, optimizer state and
    per-step scalar, the intercept, ``lr_t`` and ``m`` are float32, and every
    operation above is a float32 operation.  Only the epoch total and the
    validation total are float64: each per-sample loss (SGD) or group loss
    ``L`` (groups) is converted to float64 and added to it, and the mean
    losses are float64 in both dtypes.

Stopping, after each epoch in this order
    1. If the mean loss, any weight, the intercept or (for an optimizer update)
       any optimizer state value, or (with averaging) any averaged weight,
       is not finite, the weights go back to their
       values at the start of the epoch and the run stops with
       :attr:`Status.DIVERGED` (the epoch's validation loss is NaN).  An
       overflowing state would otherwise freeze the weights: Adam's step
       ``m / (sqrt(inf) + eps)`` is 0.
    2. With early stopping, the validation loss (each validation row's loss
       at the current weights, converted to float64 and summed in row order,
       divided by the number of validation rows) is recorded; if it is not
       finite the run stops with :attr:`Status.DIVERGED` (weights kept).
    3. If ``stop_loss`` is set and the mean loss is ``< stop_loss``, the run
       stops with :attr:`Status.CONVERGED`.
    4. With ``tol`` set, early stopping or the adaptive schedule, the
       monitored loss (the validation loss with early stopping, else the
       mean loss) is compared with the best so far: if ``loss > best - tol``
       (``tol`` None counting as 0) the plateau count grows by one, else it
       goes back to 0; then ``best = min(best, loss)``.  When the count
       reaches ``n_iter_no_change``: with the adaptive schedule, a rate above
       1e-6 is divided by 5 and the count reset (at or below 1e-6 the run
       stops); otherwise the run stops.  Either stop is
       :attr:`Status.NO_IMPROVEMENT`.
"""
import math

import numpy as np

from typing import NamedTuple

from . import elementary
from ._options import (ADAPTIVE_MIN_LR, AVERAGE_FOLD_BELOW, CHUNK_ROWS, PROGRESS_BEST,
                       PROGRESS_EPOCHS, PROGRESS_RATE, PROGRESS_STALL, PROGRESS_STEPS,
                       SCALE_RESET_BELOW, Loss, Method, Optimizer, Schedule, Status)

_MASK64 = (1 << 64) - 1
N_PARTIAL_SUMS = 8


def splitmix64(state):
    """Advance a SplitMix64 generator: return ``(new_state, output)``, 64-bit ints."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


def bounded_random(state, bound):
    """Return ``(new_state, k)`` with k uniform in ``[0, bound)``, no modulo bias.

    Outputs below ``2**64 mod bound`` are rejected so that every residue is
    equally likely.
    """
    threshold = ((1 << 64) - bound) % bound
    while True:
        state, r = splitmix64(state)
        if r >= threshold:
            return state, r % bound


def shuffle_in_place(order, state):
    """Fisher-Yates shuffle of the list ``order``; returns the new generator state.

    For ``i = n-1`` down to ``1``: draw ``k`` in ``[0, i]``, swap ``order[i]``
    and ``order[k]``.
    """
    for i in range(len(order) - 1, 0, -1):
        state, k = bounded_random(state, i + 1)
        order[i], order[k] = order[k], order[i]
    return state


def dot(w, x):
    """``sum(w[j] * x[j])`` with eight partial sums combined pairwise (see above).

    >>> dot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])  # (1*4 + 2*5) + 3*6
    32.0
    """
    s = [w[k] * x[k] for k in range(min(len(w), N_PARTIAL_SUMS))]
    for j in range(N_PARTIAL_SUMS, len(w)):
        k = j % N_PARTIAL_SUMS
        s[k] = s[k] + w[j] * x[j]
    while len(s) > 1:
        s = [s[i] + s[i + 1] if i + 1 < len(s) else s[i] for i in range(0, len(s), 2)]
    return s[0]


class SparseRow(NamedTuple):
    """One CSR row: its stored columns (increasing) and their values."""

    columns: list
    values: list


def sparse_dot(w, x):
    """:func:`dot` over a :class:`SparseRow`: the same eight partial sums.

    Column j goes to ``s[j % 8]``; each sum starts at 0 and the eight are
    combined by the full pairwise tree.  The unstored zeros would add
    nothing, so this equals ``dot`` of the dense row (up to a zero's sign).

    >>> sparse_dot([1.0, 2.0, 3.0], SparseRow([0, 2], [4.0, 6.0]))  # 1*4 + 3*6
    22.0
    """
    s = [type(w[0])(0)] * N_PARTIAL_SUMS if w else []
    for j, v in zip(x.columns, x.values):
        k = j % N_PARTIAL_SUMS
        s[k] = s[k] + w[j] * v
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


def row_dot(w, x):
    """``dot(w, x)`` for a dense row (a list) or a :class:`SparseRow`."""
    return sparse_dot(w, x) if isinstance(x, SparseRow) else dot(w, x)


def entries(x):
    """``(column, value)`` of a row: every column of a dense row, the stored ones of a sparse row."""
    return zip(x.columns, x.values) if isinstance(x, SparseRow) else enumerate(x)


def sample_loss(kind, p, t, param, scalar):
    """``(loss, dloss)`` of one sample: the loss table above, in the working dtype.

    >>> sample_loss(Loss.SQUARED, 3.0, 1.0, 0.0, float)
    (4.0, 4.0)
    >>> sample_loss(Loss.HINGE, 0.5, -1.0, 0.0, float)
    (1.5, 1.0)
    """
    zero, one, half = scalar(0), scalar(1), scalar(0.5)
    if kind == Loss.SQUARED:
        r = p - t
        return r * r, scalar(2) * r
    if kind == Loss.HUBER:
        r = p - t
        a = abs(r)
        if a <= param:
            return half * r * r, r
        return param * a - half * param * param, (param if r > 0 else -param)
    if kind == Loss.EPSILON_INSENSITIVE:
        r = p - t
        a = abs(r)
        if a > param:
            return a - param, scalar(1 if r > 0 else -1)
        return zero, zero
    if kind == Loss.LOG:
        e, sigmoid = logistic(p)
        loss = ((p if p > 0 else zero) - p * t) + scalar(elementary.log1p(e))
        return loss, scalar(sigmoid) - t
    if kind == Loss.HINGE:
        z = p * t
        if z <= 1:
            return one - z, -t
        return zero, zero
    if kind == Loss.MODIFIED_HUBER:
        z = p * t
        if z >= 1:
            return zero, zero
        if z >= -1:
            u = one - z
            return u * u, (scalar(-2) * t) * u
        return scalar(-4) * z, scalar(-4) * t
    raise ValueError(f"unknown loss code {kind}")


def logistic(p):
    """``(e, sigmoid)`` of a logit p, in float64, as the log loss takes them.

    ``e = exp(-|p|)`` (fastgd's exp) and the sigmoid ``1 / (1 + e)`` for
    ``p >= 0``, ``e / (1 + e)`` otherwise: no overflow for any p.  The
    kernels' ``sigmoid`` (``FitResult.predict_proba`` and the estimators'
    probabilities) computes the same.

    >>> logistic(0.0)
    (1.0, 0.5)
    """
    e = elementary.exp(-abs(float(p)))
    return e, (1.0 / (1.0 + e) if p >= 0 else e / (1.0 + e))


def scheduled_rate(settings, epoch, step, adaptive_rate):
    """The float64 learning rate of step ``step`` (from 1) in epoch ``epoch`` (from 0)."""
    lr = settings.lr
    kind = settings.schedule
    if kind == Schedule.CONSTANT:
        return lr
    if kind == Schedule.INVSCALING:
        return lr / elementary.pow(float(step), settings.power_t)
    if kind == Schedule.EXPONENTIAL:
        return lr * elementary.pow(settings.gamma, float(epoch))
    if kind == Schedule.STEP:
        return lr * elementary.pow(settings.gamma, float(epoch // settings.step_size))
    if kind == Schedule.COSINE:
        lr_min = settings.lr_min
        return lr_min + (lr - lr_min) * (1.0 + elementary.cos(math.pi * epoch / settings.max_epochs)) / 2.0
    return adaptive_rate  # Schedule.ADAPTIVE


def _rounded(function, value, scalar):
    """A C-library float64 function of ``value``, rounded to the working dtype."""
    return scalar(function(float(value)))


class StepScalars:
    """One step's optimizer scalars: computed in float64, rounded to the working dtype."""

    def __init__(self, settings, rate, step, scalar):
        s = settings
        self.kind = s.optimizer
        self.lr = scalar(rate)
        self.weight_decay = scalar(s.weight_decay)
        self.l1 = scalar(rate * s.l1)
        self.eps = scalar(s.eps)
        self.momentum = scalar(s.momentum)
        if self.kind == Optimizer.SGD:
            self.dampening_complement = scalar(1.0 - s.dampening)
            self.first_step = step == 1
            self.nesterov = s.nesterov
        elif self.kind == Optimizer.ADAGRAD:
            self.lr = scalar(rate / (1.0 + (step - 1) * s.lr_decay))
        elif self.kind == Optimizer.RMSPROP:
            self.alpha = scalar(s.alpha)
            self.alpha_complement = scalar(1.0 - s.alpha)
            self.centered = s.centered
        else:  # ADAM, ADAMW
            self.beta1 = scalar(s.beta1)
            self.beta1_complement = scalar(1.0 - s.beta1)
            self.beta2 = scalar(s.beta2)
            self.beta2_complement = scalar(1.0 - s.beta2)
            self.step_size = scalar(rate / (1.0 - elementary.pow(s.beta1, float(step))))
            self.bias_correction2_sqrt = scalar(math.sqrt(1.0 - elementary.pow(s.beta2, float(step))))
            self.amsgrad = s.amsgrad
            self.decay_factor = scalar(1.0 - rate * s.weight_decay)


def update_coordinate(sc, state, j, w, g, decay, scalar):
    """One optimizer update of one coordinate; returns the new value, updates ``state``.

    ``w`` is the coordinate's value, ``g`` its gradient, ``state`` the
    optimizer's three state rows (column ``j``), ``decay`` False for the
    intercept (no weight decay).  The rules are torch.optim's, with its
    parameter names; ``lr`` is the step's rate ``lr_t``:

    sgd
        ``g = g + weight_decay * w``; with momentum ``mu``:
        ``buf = g`` on the first step, else ``buf = mu * buf + (1 - dampening) * g``;
        then ``g = g + mu * buf`` (nesterov) or ``g = buf``.  ``w = w - lr * g``.
    adagrad
        ``g = g + weight_decay * w``; ``sum = sum + g * g``;
        ``w = w - clr * (g / (sqrt(sum) + eps))`` with ``clr = lr / (1 + (t - 1) * lr_decay)``.
    rmsprop
        ``g = g + weight_decay * w``; ``v = alpha * v + (1 - alpha) * (g * g)``;
        centered: ``ga = alpha * ga + (1 - alpha) * g``, ``avg = sqrt(v - ga * ga) + eps``,
        else ``avg = sqrt(v) + eps``; momentum ``mu > 0``:
        ``buf = mu * buf + g / avg``, ``w = w - lr * buf``; else ``w = w - lr * (g / avg)``.
    adam, adamw
        adam: ``g = g + weight_decay * w``; adamw: ``w = w * (1 - lr * weight_decay)``.
        ``m = beta1 * m + (1 - beta1) * g``; ``v = beta2 * v + (1 - beta2) * (g * g)``;
        amsgrad: ``vmax = max(vmax, v)`` used for v below;
        ``denom = sqrt(v) / sqrt(1 - beta2**t) + eps``;
        ``w = w - (lr / (1 - beta1**t)) * (m / denom)``.

    A weight decay of 0 adds nothing (not even ``0 * w``).  Scalars such as
    ``1 - dampening`` are computed in float64 and rounded (:class:`StepScalars`).
    """
    s0, s1, s2 = state
    kind = sc.kind
    decoupled = kind == Optimizer.ADAMW
    if decay and sc.weight_decay != 0:
        if decoupled:
            w = w * sc.decay_factor
        else:
            g = g + sc.weight_decay * w
    if kind == Optimizer.SGD:
        if sc.momentum != 0:
            s0[j] = g if sc.first_step else sc.momentum * s0[j] + sc.dampening_complement * g
            g = g + sc.momentum * s0[j] if sc.nesterov else s0[j]
        return w - sc.lr * g
    if kind == Optimizer.ADAGRAD:
        s0[j] = s0[j] + g * g
        return w - sc.lr * (g / (_rounded(math.sqrt, s0[j], scalar) + sc.eps))
    if kind == Optimizer.RMSPROP:
        s0[j] = sc.alpha * s0[j] + sc.alpha_complement * (g * g)
        if sc.centered:
            s1[j] = sc.alpha * s1[j] + sc.alpha_complement * g
            avg = _rounded(math.sqrt, s0[j] - s1[j] * s1[j], scalar) + sc.eps
        else:
            avg = _rounded(math.sqrt, s0[j], scalar) + sc.eps
        if sc.momentum > 0:
            s2[j] = sc.momentum * s2[j] + g / avg
            return w - sc.lr * s2[j]
        return w - sc.lr * (g / avg)
    # ADAM, ADAMW
    s0[j] = sc.beta1 * s0[j] + sc.beta1_complement * g
    s1[j] = sc.beta2 * s1[j] + sc.beta2_complement * (g * g)
    v = s1[j]
    if sc.amsgrad:
        s2[j] = v if v > s2[j] else s2[j]
        v = s2[j]
    denom = _rounded(math.sqrt, v, scalar) / sc.bias_correction2_sqrt + sc.eps
    return w - sc.step_size * (s0[j] / denom)


def shrink(w, c):
    """The l1 proximal step: ``w`` moved towards 0 by ``c``, stopping at exactly 0."""
    if w > c:
        return w - c
    if w < -c:
        return w + c
    return type(w)(0)


def optimizer_step(w, b, grad, grad_b, state, sc, fit_intercept, scalar):
    """Update every coefficient, then l1, then the intercept; returns the new b."""
    for j in range(len(w)):
        w[j] = update_coordinate(sc, state, j, w[j], grad[j], True, scalar)
        if sc.l1 != 0:
            w[j] = shrink(w[j], sc.l1)
    if fit_intercept:
        b = update_coordinate(sc, state, len(w), b, grad_b, False, scalar)
    return b


def n_averaged(settings, step):
    """Averaged steps up to ``step`` (from 1), this one included; 0 before averaging starts."""
    if settings.average == 0 or step < settings.average:
        return 0
    return step - settings.average + 1


def average_step(avg, avg_b, w, b, n_averaged, scalar):
    """Fold a step's weights into the running average; returns the new averaged intercept.

    The first averaged step copies the weights; the k-th adds
    ``mu * (w - avg)`` with ``mu = 1 / k`` (in float64, rounded).
    """
    if n_averaged == 1:
        avg[:] = w
        return b
    mu = scalar(1.0 / n_averaged)
    for j in range(len(w)):
        avg[j] = avg[j] + mu * (w[j] - avg[j])
    return avg_b + mu * (b - avg_b)


class _Run:
    """A fit in progress: settings, dtype, step and epoch counters, and the rate."""

    def __init__(self, settings, scalar, progress):
        self.settings = settings
        self.scalar = scalar
        self.loss_param = scalar(settings.loss_param)
        self.step = int(progress[PROGRESS_STEPS])
        self.epoch = int(progress[PROGRESS_EPOCHS])
        self.best = float(progress[PROGRESS_BEST])
        self.stall = int(progress[PROGRESS_STALL])
        self.adaptive_rate = float(progress[PROGRESS_RATE])
        self.plain = settings.plain_sgd
        self.average = None  # the averaged coefficients (a list) when averaging
        self.average_b = scalar(0)

    def averages(self, w, b):
        """After a step: fold (w, b) into the average once averaging has started."""
        k = n_averaged(self.settings, self.step)
        if k:
            self.average_b = average_step(self.average, self.average_b, w, b, k, self.scalar)

    def rate(self, step):
        return scheduled_rate(self.settings, self.epoch, step, self.adaptive_rate)

    def loss(self, X, y, sample_weight, w, b, i):
        """``(loss, g)`` of row i at weights (w, b), weighted when there are weights."""
        return self.loss_at(row_dot(w, X[i]) + b, y, sample_weight, i)

    def loss_at(self, p, y, sample_weight, i):
        """``(loss, g)`` of row i at prediction p."""
        loss, g = sample_loss(self.settings.loss, p, y[i], self.loss_param, self.scalar)
        if sample_weight:
            loss = sample_weight[i] * loss
            g = sample_weight[i] * g
        return loss, g

    def update(self, w, b, grad, grad_b, state):
        """One step from the gradient ``(grad, grad_b)``; returns the new b, updates w."""
        self.step += 1
        rate = self.rate(self.step)
        lr_t = self.scalar(rate)
        if self.plain:
            for j in range(len(w)):
                w[j] = w[j] - lr_t * grad[j]
            if self.settings.fit_intercept:
                b = b - lr_t * grad_b
            return b
        sc = StepScalars(self.settings, rate, self.step, self.scalar)
        return optimizer_step(w, b, grad, grad_b, state, sc, self.settings.fit_intercept,
                              self.scalar)


def lazy_sparse_sgd(settings, sparse):
    """Whether per-sample SGD runs :func:`lazy_sgd_samples`: plain SGD (weight decay
    allowed) on sparse rows."""
    return (sparse and settings.method == Method.SGD and settings.optimizer == Optimizer.SGD
            and settings.momentum == 0 and settings.l1 == 0)


def sgd_epoch(X, y, sample_weight, w, b, state, order, run):
    """One epoch of per-sample SGD; returns ``(b, epoch_loss_sum)``, updates w."""
    epoch_loss = 0.0
    for i in order:
        loss, g = run.loss(X, y, sample_weight, w, b, i)
        epoch_loss = epoch_loss + float(loss)
        x = X[i]
        if run.plain:  # the same arithmetic as run.update, without building grad
            run.step += 1
            lr_t = run.scalar(run.rate(run.step))
            for j, v in entries(x):
                w[j] = w[j] - lr_t * (g * v)
            if run.settings.fit_intercept:
                b = b - lr_t * g
        else:
            grad = [run.scalar(0)] * len(w)
            for j, v in entries(x):
                grad[j] = g * v
            b = run.update(w, b, grad, g, state)
        run.averages(w, b)
    return b, epoch_loss


def _fold(avg, v, P, R):
    """The lazy average's fold: ``avg = P * (q + R * v)``, q held in ``avg``."""
    for j in range(len(avg)):
        avg[j] = P * (avg[j] + R * v[j])


def lazy_sgd_samples(X, y, sample_weight, w, b, order, run):
    """Plain per-sample SGD on sparse rows in O(stored entries) per step.

    Returns ``(b, epoch_loss_sum)``; updates w (and the average) in place.

    Without weight decay and averaging this is :func:`sgd_epoch`'s plain
    update restricted to the stored columns, which gives the same values as
    the dense rows (the skipped updates subtract ``lr_t * (g * 0)``).

    Weight decay (``weight_decay > 0``) is kept as a scale: ``w = scale * v``
    with ``v`` in ``w``'s list.  Per step: ``p = sparse_dot(v, x) * scale + b``;
    ``scale = scale * c`` with ``c = 1 - rate * weight_decay`` (float64,
    rounded); if ``|scale| < SCALE_RESET_BELOW`` (1e-9), v is multiplied by
    scale and scale set to 1 (after folding a pending average); then for each
    stored (j, x_j): ``u = lr_t * (g * x_j) / scale``, ``v[j] = v[j] - u``.
    This is torch's coupled decay ``w - lr * (g * x + wd * w)``, rounded
    differently than the dense update.  At the end of the epoch v is
    multiplied by scale.

    Averaging (``k`` the averaged step count): at k = 1 the average becomes
    ``scale * v`` and ``avg_b = b``, with ``P = 1``, ``R = 0``.  From k = 2
    the average is held as ``P * (q + R * v)`` (q in the average's list):
    each stored j also does ``q[j] = q[j] + R * u`` (R before this step's
    change); then ``mu = 1 / k`` (float64, rounded), ``P = P * (1 - mu)``,
    ``R = R + (mu * scale) / P``, ``avg_b = avg_b + mu * (b - avg_b)``; when
    ``P < AVERAGE_FOLD_BELOW`` (0.5) the average is folded:
    ``q[j] = P * (q[j] + R * v[j])`` for every j, ``P = 1``, ``R = 0``.
    The epoch ends with a fold (before v is multiplied by scale).
    """
    s = run.settings
    scalar = run.scalar
    one, zero = scalar(1), scalar(0)
    scaled = s.weight_decay != 0
    scale, P, R = one, one, zero
    pending = False  # whether the average's list holds q, not the average
    avg = run.average
    epoch_loss = 0.0
    for i in order:
        x = X[i]
        p = sparse_dot(w, x)
        if scaled:
            p = p * scale
        loss, g = run.loss_at(p + b, y, sample_weight, i)
        epoch_loss = epoch_loss + float(loss)
        run.step += 1
        rate = run.rate(run.step)
        lr_t = scalar(rate)
        k = n_averaged(s, run.step)
        if scaled:
            scale = scale * scalar(1.0 - rate * s.weight_decay)
            if abs(float(scale)) < SCALE_RESET_BELOW:
                if pending:
                    _fold(avg, w, P, R)
                    P, R, pending = one, zero, False
                for j in range(len(w)):
                    w[j] = w[j] * scale
                scale = one
        for j, v in zip(x.columns, x.values):
            u = lr_t * (g * v)
            if scaled:
                u = u / scale
            w[j] = w[j] - u
            if k >= 2:
                avg[j] = avg[j] + R * u
        if s.fit_intercept:
            b = b - lr_t * g
        if k == 1:
            avg[:] = [scale * v for v in w]
            run.average_b = b
            P, R = one, zero
        elif k >= 2:
            mu = scalar(1.0 / k)
            P = P * (one - mu)
            R = R + (mu * scale) / P
            run.average_b = run.average_b + mu * (b - run.average_b)
            pending = True
            if float(P) < AVERAGE_FOLD_BELOW:
                _fold(avg, w, P, R)
                P, R, pending = one, zero, False
    if pending:
        _fold(avg, w, P, R)
    if scaled:
        w[:] = [v * scale for v in w]
    return b, epoch_loss


def chunk_bounds(n_rows, blocks=None):
    """``(start, stop)`` of each chunk of a group of ``n_rows`` rows: CHUNK_ROWS
    rows each, restarting at each block's first row when ``blocks`` (row
    counts summing to ``n_rows``) is given."""
    bounds = []
    first = 0
    for size in (n_rows,) if blocks is None else blocks:
        bounds += [(first + a, first + min(a + CHUNK_ROWS, size))
                   for a in range(0, size, CHUNK_ROWS)]
        first += size
    return bounds


def group_sums(X, y, sample_weight, w, b, rows, run, blocks=None):
    """Chunked sums over ``rows`` of ``g * x``, ``g`` and the loss, at fixed weights.

    Returns ``(G, Gb, L)``.  This is the fused gradient: each row's loss and
    its contribution are computed in the same visit to the row.  The chunks
    are :func:`chunk_bounds` ``(len(rows), blocks)``.
    """
    zero = run.scalar(0)
    G = Gb = L = None
    for start, stop in chunk_bounds(len(rows), blocks):
        chunk_G = [zero] * len(w)
        chunk_Gb = zero
        chunk_L = zero
        for i in rows[start:stop]:
            loss, g = run.loss(X, y, sample_weight, w, b, i)
            chunk_L = chunk_L + loss
            for j, v in entries(X[i]):
                chunk_G[j] = chunk_G[j] + g * v
            chunk_Gb = chunk_Gb + g
        if G is None:
            G, Gb, L = chunk_G, chunk_Gb, chunk_L
        else:
            for j in range(len(w)):
                G[j] = G[j] + chunk_G[j]
            Gb = Gb + chunk_Gb
            L = L + chunk_L
    return G, Gb, L


def group_epoch(X, y, sample_weight, w, b, state, order, run, group_size, epoch_loss=0.0,
                blocks=None):
    """Group updates over ``order`` (an epoch of mini-batches or the full batch,
    or one block's part of an epoch); returns ``(b, epoch_loss + the group losses)``."""
    for start in range(0, len(order), group_size):
        rows = order[start:start + group_size]
        m = run.scalar(len(rows))
        G, Gb, L = group_sums(X, y, sample_weight, w, b, rows, run, blocks)
        epoch_loss = epoch_loss + float(L)
        if run.settings.mean_reduction:
            G = [v / m for v in G]
            Gb = Gb / m
        b = run.update(w, b, G, Gb, state)
        run.averages(w, b)
    return b, epoch_loss


def block_minibatch_epoch(X, y, sample_weight, w, b, state, rng, run, blocks):
    """A mini-batch epoch over row blocks, block after block (see "Row blocks");
    returns ``(b, epoch_loss, rng)``."""
    epoch_loss = 0.0
    first = 0
    for size in blocks:
        order = list(range(first, first + size))
        if run.settings.shuffle:
            rng = shuffle_in_place(order, rng)
        b, epoch_loss = group_epoch(X, y, sample_weight, w, b, state, order, run,
                                    run.settings.update_size(size), epoch_loss)
        first += size
    return b, epoch_loss, rng


def validation_loss(X, y, sample_weight, w, b, rows, run):
    """Mean loss over ``rows`` at the current weights (float64 total, in row order)."""
    total = 0.0
    for i in rows:
        total = total + float(run.loss(X, y, sample_weight, w, b, i)[0])
    return total / len(rows)


def epoch_verdict(run, settings, mean_loss, monitored):
    """Stopping rules 3 and 4 after a finite epoch: the Status to stop with, or None.

    Updates the plateau count, the best loss and the adaptive rate in ``run``.
    """
    if settings.stop_loss is not None and mean_loss < settings.stop_loss:
        return Status.CONVERGED
    if settings.monitors_plateau:
        tol = 0.0 if settings.tol is None else settings.tol
        run.stall = run.stall + 1 if monitored > run.best - tol else 0
        run.best = min(run.best, monitored)
        if run.stall >= settings.n_iter_no_change:
            if settings.schedule == Schedule.ADAPTIVE and run.adaptive_rate > ADAPTIVE_MIN_LR:
                run.adaptive_rate = run.adaptive_rate / 5.0
                run.stall = 0
            else:
                return Status.NO_IMPROVEMENT
    return None


def _all_finite(w, b, loss, state, plain):
    return (math.isfinite(loss) and math.isfinite(b) and all(math.isfinite(v) for v in w)
            and (plain or all(math.isfinite(v) for row in state for v in row)))


def run_epochs(X, y, sample_weight, coef, intercept, order, validation_rows, rng_state,
               progress, optimizer_state, average_coef, average_intercept, loss_out, lr_out,
               validation_out, settings, blocks=None):
    """Run up to ``len(loss_out)`` epochs; the backend-independent signature.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64, C-contiguous, or fastgd._sparse.CSRRows
        Dense rows, or CSR rows (sorted, unique columns) whose values have y's dtype.
    y : ndarray of shape (n,), X's dtype
    sample_weight : ndarray of shape (n,) or (0,), X's dtype
        Per-sample weights; empty for none.
    coef : ndarray of shape (d,), X's dtype
        Updated in place.
    intercept : ndarray of shape (1,), X's dtype
        Updated in place.
    order : ndarray of shape (n_train,), intp
        The training rows in visiting order; shuffled in place at the start of
        each epoch when ``settings.shuffle``.
    validation_rows : ndarray of shape (n_validation,), intp
        Rows for the early-stopping loss (empty without early stopping).
    rng_state : ndarray of shape (1,), uint64
        SplitMix64 state, advanced in place.
    progress : ndarray of shape (PROGRESS_SIZE,), float64
        Step and epoch counters, plateau state and adaptive rate
        (:func:`fastgd._options.initial_progress`); updated in place.
    optimizer_state : ndarray of shape (3, d + 1), X's dtype
        The optimizer's state; updated in place.
    average_coef, average_intercept : ndarray of shape (d,) and (1,), X's dtype
        The averaged weights (``settings.average > 0``; empty otherwise),
        updated in place once averaging has started.
    loss_out, lr_out, validation_out : ndarray of shape (k,), float64
        Receive each epoch's mean loss, its first step's rate, and (with early
        stopping) its validation loss.
    settings : fastgd._options.Settings
    blocks : sequence of int, optional
        Row counts of consecutive row blocks (see "Row blocks" above: how
        :mod:`fastgd.dask` runs on a dask array's row chunks), for
        ``"batch"`` and ``"minibatch"`` with all rows in order and no early
        stopping.  None: one block.

    Returns
    -------
    n_run : int
        Number of epochs run (entries of ``loss_out`` written).
    status : Status
    """
    # float64 runs on Python floats; float32 on numpy.float32 scalars, whose
    # every operation is a float32 operation.
    scalar = float if X.dtype == np.float64 else X.dtype.type

    def as_list(arr):
        return arr.tolist() if scalar is float else [scalar(v) for v in arr.tolist()]

    sparse = not isinstance(X, np.ndarray)
    if sparse:
        starts = X.indptr.tolist()
        columns = X.indices.tolist()
        values = as_list(X.data)
        Xl = [SparseRow(columns[a:z], values[a:z]) for a, z in zip(starts, starts[1:])]
    else:
        Xl = X.tolist() if scalar is float else [as_list(row) for row in X]
    lazy = lazy_sparse_sgd(settings, sparse)
    yl = as_list(y)
    sw = as_list(sample_weight)
    w = as_list(coef)
    b = scalar(intercept[0])
    state = [as_list(row) for row in optimizer_state]
    order_l = order.tolist()
    validation_l = validation_rows.tolist()
    rng = int(rng_state[0])
    run = _Run(settings, scalar, progress)
    averaging = settings.average != 0
    if averaging:
        run.average = as_list(average_coef)
        run.average_b = scalar(average_intercept[0])
    n = len(order_l)
    group_size = settings.update_size(n)
    if blocks is not None:
        blocks = [int(size) for size in blocks]
        if (settings.method == Method.SGD or settings.early_stopping or sparse
                or sum(blocks) != n or min(blocks) < 1 or order_l != list(range(n))
                or (settings.method == Method.BATCH and settings.shuffle)):
            raise ValueError("blocks: batch or minibatch over dense rows in order, no "
                             "shuffle for batch, no early stopping, block sizes >= 1 "
                             "summing to the rows")
    status = Status.RAN_ALL
    n_run = 0
    w_start, b_start = list(w), b
    avg_start, avg_b_start = (list(run.average), run.average_b) if averaging else (None, None)
    try:
        for k in range(len(loss_out)):
            w_start, b_start = list(w), b
            if averaging:
                avg_start, avg_b_start = list(run.average), run.average_b
            if settings.shuffle and blocks is None:
                rng = shuffle_in_place(order_l, rng)
            lr_out[k] = run.rate(run.step + 1)
            with np.errstate(all="ignore"):  # float32 scalars warn on overflow; floats don't
                if lazy:
                    b, loss_sum = lazy_sgd_samples(Xl, yl, sw, w, b, order_l, run)
                elif settings.method == Method.SGD:
                    b, loss_sum = sgd_epoch(Xl, yl, sw, w, b, state, order_l, run)
                elif blocks is None:
                    b, loss_sum = group_epoch(Xl, yl, sw, w, b, state, order_l, run, group_size)
                elif settings.method == Method.BATCH:
                    b, loss_sum = group_epoch(Xl, yl, sw, w, b, state, order_l, run, n,
                                              blocks=blocks)
                else:
                    b, loss_sum, rng = block_minibatch_epoch(Xl, yl, sw, w, b, state, rng,
                                                             run, blocks)
            mean_loss = loss_sum / n
            loss_out[k] = mean_loss
            run.epoch += 1
            n_run = k + 1
            if not (_all_finite(w, b, mean_loss, state, run.plain) and (
                    not averaging or _all_finite(run.average, run.average_b, 0.0, (), True))):
                w, b = w_start, b_start
                if averaging:
                    run.average, run.average_b = avg_start, avg_b_start
                validation_out[k] = math.nan  # not measured
                status = Status.DIVERGED
                break
            monitored = mean_loss
            if settings.early_stopping:
                # Measured at the weights the fit reports: the average, once it runs.
                at = ((run.average, run.average_b) if n_averaged(settings, run.step)
                      else (w, b))
                with np.errstate(all="ignore"):
                    monitored = validation_loss(Xl, yl, sw, *at, validation_l, run)
                validation_out[k] = monitored
                if not math.isfinite(monitored):
                    status = Status.DIVERGED
                    break
            verdict = epoch_verdict(run, settings, mean_loss, monitored)
            if verdict is not None:
                status = verdict
                break
    except BaseException:
        # An interrupt (Ctrl-C) mid-epoch: keep the last completed epoch's
        # weights, as the kernels do, and say how many epochs completed.
        w, b = w_start, b_start
        if averaging:
            run.average, run.average_b = avg_start, avg_b_start
        raise
    finally:
        coef[:] = w
        intercept[0] = b
        if averaging:
            average_coef[:] = run.average
            average_intercept[0] = run.average_b
        optimizer_state[:] = state
        order[:] = order_l
        rng_state[0] = rng
        progress[:] = [run.step, run.epoch, run.best, run.stall, run.adaptive_rate]
    return n_run, status


def predict(X, coef, intercept):
    """Predictions ``dot(coef, x) + intercept`` for each row (dense or CSRRows), in coef's dtype."""
    scalar = float if coef.dtype == np.float64 else coef.dtype.type
    w = [scalar(v) for v in coef.tolist()]
    b = scalar(intercept)
    if isinstance(X, np.ndarray):
        rows = [[scalar(v) for v in x] for x in X.tolist()]
    else:
        starts, columns = X.indptr.tolist(), X.indices.tolist()
        values = [scalar(v) for v in X.data.tolist()]
        rows = [SparseRow(columns[a:z], values[a:z]) for a, z in zip(starts, starts[1:])]
    with np.errstate(all="ignore"):
        return [row_dot(w, x) + b for x in rows]
