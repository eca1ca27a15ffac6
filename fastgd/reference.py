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
    ``r = p - t``, ``loss = r * r`` and ``g = 2.0 * r``.  The gradient of the
    loss with respect to ``w[j]`` is ``g * x[j]``, and with respect to ``b`` it
    is ``g``.

Per-sample SGD update (``method="sgd"``)
    ``w[j] = w[j] - lr * (g * x[j])`` for every j, then (if fitting the
    intercept) ``b = b - lr * g``: the seed's ``w - lr * grad`` with
    ``grad = 2 * (p - t) * x``.  Every weight uses the prediction made before
    the update.

Group update (``method="minibatch"`` and ``method="batch"``)
    All rows of a group are predicted with the weights at the start of the
    group.  The rows are split into chunks of ``CHUNK_ROWS`` (256)
    consecutive rows of the group.  Within a chunk, sums start at ``0.0`` and
    add each row's terms in row order: ``G[j] = G[j] + g * x[j]`` for the
    coefficients, ``Gb = Gb + g`` for the intercept and ``L = L + r * r`` for
    the loss.  The group's sums are the first chunk's sums, plus the second
    chunk's, plus the third's, ... added left to right in chunk order.  Then,
    with ``m`` the number of rows in the group, ``grad = G[j] / m`` for
    ``reduction="mean"`` or ``grad = G[j]`` for ``"sum"``, and
    ``w[j] = w[j] - lr * grad``; likewise ``b = b - lr * (Gb / m)`` (or
    ``Gb``).  The chunk size never depends on the number of threads, so a
    threaded kernel gives the same bits.

Epoch
    Samples are visited in ``order``: the identity, or, with
    ``shuffle=True``, a Fisher-Yates shuffle of the previous epoch's order
    made at the start of the epoch with :func:`splitmix64` (see
    :func:`shuffle_in_place`).  ``"minibatch"`` cuts the order into groups of
    ``batch_size`` (the last one smaller); ``"batch"`` takes it as one group.
    The epoch loss starts at ``0.0``; per-sample SGD adds each sample's
    ``r * r``, a group update adds its group loss ``L``, in order.  The mean
    epoch loss is ``epoch_loss / n``.

Working dtype
    float64 data is fitted in float64 (here: Python floats).  float32 data is
    fitted in float32 (here: ``numpy.float32`` scalars): every weight,
    prediction, residual, gradient term and chunk sum, the intercept, ``lr``
    and ``m`` are float32, and every operation above is a float32 operation.
    Only the epoch total is float64: each per-sample loss ``r * r`` (SGD) or
    group loss ``L`` (groups) is converted to float64 and added to it, and
    the mean loss is float64 in both dtypes.

Stopping, after each epoch in this order
    1. If the mean loss, any weight or the intercept is not finite, the weights
       go back to their values at the start of the epoch and the run stops
       with :attr:`Status.DIVERGED`.
    2. If ``stop_loss`` is set and the mean loss is ``< stop_loss``, the run
       stops with :attr:`Status.CONVERGED`.
"""
import math

import numpy as np

from ._options import CHUNK_ROWS, Method, Status

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


def sgd_epoch(X, y, w, b, order, lr, settings):
    """One epoch of per-sample SGD; returns ``(b, epoch_loss_sum)``, updates w."""
    epoch_loss = 0.0
    for i in order:
        x = X[i]
        r = (dot(w, x) + b) - y[i]
        epoch_loss = epoch_loss + float(r * r)
        g = 2 * r
        for j in range(len(w)):
            w[j] = w[j] - lr * (g * x[j])
        if settings.fit_intercept:
            b = b - lr * g
    return b, epoch_loss


def group_sums(X, y, w, b, rows, zero):
    """Chunked sums over ``rows`` of ``g * x``, ``g`` and ``r * r`` at fixed weights.

    Returns ``(G, Gb, L)``.  This is the fused gradient: each row's residual
    and its contribution are computed in the same visit to the row.  ``zero``
    is 0 in the working dtype.
    """
    G = Gb = L = None
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk_G = [zero] * len(w)
        chunk_Gb = zero
        chunk_L = zero
        for i in rows[start:start + CHUNK_ROWS]:
            x = X[i]
            r = (dot(w, x) + b) - y[i]
            chunk_L = chunk_L + r * r
            g = 2 * r
            for j in range(len(w)):
                chunk_G[j] = chunk_G[j] + g * x[j]
            chunk_Gb = chunk_Gb + g
        if G is None:
            G, Gb, L = chunk_G, chunk_Gb, chunk_L
        else:
            for j in range(len(w)):
                G[j] = G[j] + chunk_G[j]
            Gb = Gb + chunk_Gb
            L = L + chunk_L
    return G, Gb, L


def group_epoch(X, y, w, b, order, lr, settings, group_size):
    """One epoch of group updates (mini-batch or full batch); returns ``(b, loss_sum)``."""
    scalar = type(lr)
    epoch_loss = 0.0
    for start in range(0, len(order), group_size):
        rows = order[start:start + group_size]
        m = scalar(len(rows))
        G, Gb, L = group_sums(X, y, w, b, rows, scalar(0))
        epoch_loss = epoch_loss + float(L)
        for j in range(len(w)):
            grad = G[j] / m if settings.mean_reduction else G[j]
            w[j] = w[j] - lr * grad
        if settings.fit_intercept:
            grad_b = Gb / m if settings.mean_reduction else Gb
            b = b - lr * grad_b
    return b, epoch_loss


def run_epochs(X, y, coef, intercept, order, rng_state, loss_out, settings):
    """Run up to ``len(loss_out)`` epochs; the backend-independent signature.

    Parameters
    ----------
    X : ndarray of shape (n, d), float64, C-contiguous
    y : ndarray of shape (n,), float64
    coef : ndarray of shape (d,), float64
        Updated in place.
    intercept : ndarray of shape (1,), float64
        Updated in place.
    order : ndarray of shape (n,), intp
        The sample order; shuffled in place at the start of each epoch when
        ``settings.shuffle``.
    rng_state : ndarray of shape (1,), uint64
        SplitMix64 state, advanced in place.
    loss_out : ndarray of shape (k,), float64
        Receives the mean loss of each epoch run.
    settings : fastgd._options.Settings

    Returns
    -------
    n_run : int
        Number of epochs run (entries of ``loss_out`` written).
    status : Status
    """
    # float64 runs on Python floats; float32 on numpy.float32 scalars, whose
    # every operation is a float32 operation.
    scalar = float if X.dtype == np.float64 else X.dtype.type
    Xl = [[scalar(v) for v in row] for row in X.tolist()] if scalar is not float else X.tolist()
    yl = [scalar(v) for v in y.tolist()]
    w = [scalar(v) for v in coef.tolist()]
    b = scalar(intercept[0])
    lr = scalar(settings.lr)
    order_l = order.tolist()
    state = int(rng_state[0])
    n = len(yl)
    group_size = settings.update_size(n)
    status = Status.RAN_ALL
    n_run = 0
    for epoch in range(len(loss_out)):
        w_start, b_start = list(w), b
        if settings.shuffle:
            state = shuffle_in_place(order_l, state)
        with np.errstate(all="ignore"):  # float32 scalars warn on overflow; floats don't
            if settings.method == Method.SGD:
                b, loss_sum = sgd_epoch(Xl, yl, w, b, order_l, lr, settings)
            else:
                b, loss_sum = group_epoch(Xl, yl, w, b, order_l, lr, settings, group_size)
        mean_loss = loss_sum / n
        loss_out[epoch] = mean_loss
        n_run = epoch + 1
        if not (math.isfinite(mean_loss) and math.isfinite(b)
                and all(math.isfinite(v) for v in w)):
            w, b = w_start, b_start
            status = Status.DIVERGED
            break
        if settings.stop_loss is not None and mean_loss < settings.stop_loss:
            status = Status.CONVERGED
            break
    coef[:] = w
    intercept[0] = b
    order[:] = order_l
    rng_state[0] = state
    return n_run, status


def predict(X, coef, intercept):
    """Predictions ``dot(coef, x) + intercept`` for each row, in coef's dtype."""
    scalar = float if coef.dtype == np.float64 else coef.dtype.type
    w = [scalar(v) for v in coef.tolist()]
    b = scalar(intercept)
    with np.errstate(all="ignore"):
        return [dot(w, [scalar(v) for v in x]) + b for x in X.tolist()]
