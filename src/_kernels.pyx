"""Typed kernels for fastgd: per-sample SGD and chunked group (mini-batch / batch) updates.

Each function here computes exactly what its namesake in ``fastgd/reference.py``
computes, operation by operation; the reference module's docstring is the
specification.  Inputs are validated by ``fastgd._validation`` before they get
here, so the loops run without bounds checks and without the GIL.
"""
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, memset
from cython cimport floating
from cython.parallel cimport prange

import numpy as np

from fastgd._options import Status as _Status

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FASTGD_HAVE_OPENMP 1
    static int fastgd_omp_max_threads(void) { return omp_get_max_threads(); }
    #else
    #define FASTGD_HAVE_OPENMP 0
    static int fastgd_omp_max_threads(void) { return 1; }
    #endif
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    static int fastgd_cpu_has_avx2(void) { return __builtin_cpu_supports("avx2"); }
    #else
    static int fastgd_cpu_has_avx2(void) { return 0; }
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    #define fastgd_prefetch(address) __builtin_prefetch((address), 0, 3)
    #else
    #define fastgd_prefetch(address) ((void)(address))
    #endif
    #ifdef __AVX2__
    #define FASTGD_BUILT_FOR_AVX2 1
    #else
    #define FASTGD_BUILT_FOR_AVX2 0
    #endif
    """
    const int HAVE_OPENMP "FASTGD_HAVE_OPENMP"
    int omp_max_threads "fastgd_omp_max_threads" ()
    int cpu_has_avx2 "fastgd_cpu_has_avx2" ()
    const int BUILT_FOR_AVX2 "FASTGD_BUILT_FOR_AVX2"
    void prefetch_read "fastgd_prefetch" (const void* address) noexcept nogil

#: Whether this build runs group updates on several threads.
OPENMP = bool(HAVE_OPENMP)
#: Whether this module was compiled for AVX2 (the fastgd._kernels_avx2 build).
AVX2 = bool(BUILT_FOR_AVX2)


def cpu_supports_avx2():
    """Whether the CPU running this process has AVX2 (False off x86)."""
    return bool(cpu_has_avx2())

# Mirrors fastgd._options.Method and Status (checked by tests/test_kernels.py).
cdef enum Method:
    METHOD_SGD = 0
    METHOD_MINIBATCH = 1
    METHOD_BATCH = 2

cdef enum RunStatus:
    STATUS_RAN_ALL = 0
    STATUS_CONVERGED = 1
    STATUS_DIVERGED = 2

cdef enum:
    CHUNK_ROWS = 256           # part of the contract: mirrors fastgd._options.CHUNK_ROWS
    SLOTS_PER_THREAD = 16      # threading only (never changes a result): chunks per
    MIN_THREAD_WORK = 1 << 18  # thread in a round, and the least multiply-adds per thread
    PREFETCH_AHEAD = 4         # rows per-sample SGD requests ahead of the one it is on,
    PREFETCH_BYTES = 1024      # and how much of each

KERNEL_CODES = {
    "METHOD_SGD": METHOD_SGD,
    "METHOD_MINIBATCH": METHOD_MINIBATCH,
    "METHOD_BATCH": METHOD_BATCH,
    "STATUS_RAN_ALL": STATUS_RAN_ALL,
    "STATUS_CONVERGED": STATUS_CONVERGED,
    "STATUS_DIVERGED": STATUS_DIVERGED,
    "CHUNK_ROWS": CHUNK_ROWS,
}


cdef struct Options:
    int method
    double lr
    Py_ssize_t group_size     # rows per update (1 for sgd)
    bint mean_reduction
    bint fit_intercept
    bint shuffle
    bint has_stop_loss
    double stop_loss
    int n_threads             # threads for the chunks of one group (bits do not depend on it)


cdef struct Buffers:
    # Arrays of the working dtype (float or double), hence untyped pointers.
    void* grad            # a group's running sums (length d + 2)
    void* slots           # n_slots chunk sums of length d + 2, filled in parallel
    Py_ssize_t n_slots
    void* coef_start      # weights at the start of the epoch, for divergence


# ---------------------------------------------------------------- random order

cdef inline uint64_t splitmix64(uint64_t* state) noexcept nogil:
    cdef uint64_t z
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef inline uint64_t bounded_random(uint64_t* state, uint64_t bound) noexcept nogil:
    # Reject the lowest (2**64 mod bound) outputs so every residue is equally likely.
    cdef uint64_t threshold = (<uint64_t>0 - bound) % bound
    cdef uint64_t r
    while True:
        r = splitmix64(state)
        if r >= threshold:
            return r % bound


cdef void shuffle_in_place(Py_ssize_t* order, Py_ssize_t n, uint64_t* state) noexcept nogil:
    cdef Py_ssize_t i, k, tmp
    i = n - 1
    while i > 0:
        k = <Py_ssize_t>bounded_random(state, <uint64_t>(i + 1))
        tmp = order[i]
        order[i] = order[k]
        order[k] = tmp
        i -= 1


# ------------------------------------------------------------------ arithmetic

cdef inline floating dot(const floating* w, const floating* x, Py_ssize_t d) noexcept nogil:
    """The contract's dot product: eight partial sums (s[j % 8]) combined pairwise.

    Independent partial sums let consecutive adds overlap instead of each
    waiting for the last; short rows get straight-line code, since in
    per-sample SGD each prediction waits for the previous update.
    """
    cdef floating s0, s1, s2, s3, s4, s5, s6, s7
    cdef Py_ssize_t j, d8
    if d < 8:
        s0 = w[0] * x[0]
        if d == 1:
            return s0
        s0 = s0 + w[1] * x[1]
        if d == 2:
            return s0
        s2 = w[2] * x[2]
        if d == 3:
            return s0 + s2
        s2 = s2 + w[3] * x[3]
        if d == 4:
            return s0 + s2
        s4 = w[4] * x[4]
        if d == 5:
            return (s0 + s2) + s4
        s4 = s4 + w[5] * x[5]
        if d == 6:
            return (s0 + s2) + s4
        return (s0 + s2) + (s4 + w[6] * x[6])
    s0 = w[0] * x[0]
    s1 = w[1] * x[1]
    s2 = w[2] * x[2]
    s3 = w[3] * x[3]
    s4 = w[4] * x[4]
    s5 = w[5] * x[5]
    s6 = w[6] * x[6]
    s7 = w[7] * x[7]
    d8 = d - d % 8
    j = 8
    while j < d8:
        s0 = s0 + w[j] * x[j]
        s1 = s1 + w[j + 1] * x[j + 1]
        s2 = s2 + w[j + 2] * x[j + 2]
        s3 = s3 + w[j + 3] * x[j + 3]
        s4 = s4 + w[j + 4] * x[j + 4]
        s5 = s5 + w[j + 5] * x[j + 5]
        s6 = s6 + w[j + 6] * x[j + 6]
        s7 = s7 + w[j + 7] * x[j + 7]
        j += 8
    if j < d:
        s0 = s0 + w[j] * x[j]
    if j + 1 < d:
        s1 = s1 + w[j + 1] * x[j + 1]
    if j + 2 < d:
        s2 = s2 + w[j + 2] * x[j + 2]
    if j + 3 < d:
        s3 = s3 + w[j + 3] * x[j + 3]
    if j + 4 < d:
        s4 = s4 + w[j + 4] * x[j + 4]
    if j + 5 < d:
        s5 = s5 + w[j + 5] * x[j + 5]
    if j + 6 < d:
        s6 = s6 + w[j + 6] * x[j + 6]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


cdef inline void prefetch_row(const void* row, Py_ssize_t nbytes) noexcept nogil:
    """Ask for a row that per-sample SGD will reach soon, one cache line at a time.

    Used when shuffling: the rows then come in an order the hardware
    prefetcher cannot guess, and each sample waits for the previous update, so
    without a request ahead every row is a full trip to memory.  Measured at
    n=100,000, d=100: a shuffled epoch 30-45% faster.  In sample order the
    hardware does this already (measured: prefetching there was no faster,
    and slower for wide or cached rows).
    """
    cdef Py_ssize_t offset = 0
    while offset < nbytes:
        prefetch_read(<const char*>row + offset)
        offset += 64


cdef inline double sgd_samples(const floating* X, const floating* y, floating* w,
                               floating* b, const Py_ssize_t* order, Py_ssize_t n,
                               Py_ssize_t d, floating lr, bint fit_intercept,
                               bint prefetch) noexcept nogil:
    """Per-sample SGD over ``order``; returns the summed loss, updates w and b.

    ``prefetch`` is a constant at each call site, so the compiler makes two
    loops: with the row requests and without them (requests cost the in-order
    loop time even when they are not needed).
    """
    cdef double epoch_loss = 0.0  # the epoch total is float64 in every dtype
    cdef floating intercept = b[0]  # a local, so it stays in a register
    cdef floating r, g
    cdef const floating* x
    cdef Py_ssize_t k, i, j
    # The first bytes of a row are enough: by then the hardware streams the rest.
    cdef Py_ssize_t prefetch_bytes = min(d * <Py_ssize_t>sizeof(floating),
                                         <Py_ssize_t>PREFETCH_BYTES)
    for k in range(n):
        i = order[k]
        x = X + i * d
        if prefetch and k + PREFETCH_AHEAD < n:
            prefetch_row(X + order[k + PREFETCH_AHEAD] * d, prefetch_bytes)
        r = (dot(w, x, d) + intercept) - y[i]
        epoch_loss = epoch_loss + <double>(r * r)
        g = 2 * r
        for j in range(d):
            w[j] = w[j] - lr * (g * x[j])
        if fit_intercept:
            intercept = intercept - lr * g
    b[0] = intercept
    return epoch_loss


cdef double sgd_epoch(const floating* X, const floating* y, floating* w, floating* b,
                      const Py_ssize_t* order, Py_ssize_t n, Py_ssize_t d,
                      const Options* opt) noexcept nogil:
    """One epoch of per-sample SGD; returns the summed loss, updates w and b."""
    if opt.shuffle:
        return sgd_samples(X, y, w, b, order, n, d, <floating>opt.lr, opt.fit_intercept, True)
    return sgd_samples(X, y, w, b, order, n, d, <floating>opt.lr, opt.fit_intercept, False)


cdef void chunk_sums(const floating* X, const floating* y, const floating* w, floating b,
                     const Py_ssize_t* rows, Py_ssize_t n_rows, Py_ssize_t d,
                     floating* out) noexcept nogil:
    """Sums over one chunk of rows, from zero, into ``out`` (length d + 2).

    ``out[:d]`` gets the sum of g*x, ``out[d]`` the sum of g and ``out[d+1]``
    the sum of r*r.
    """
    cdef floating r0, r1, g0, g1
    cdef floating sum_b = 0, sum_loss = 0
    cdef const floating* x0
    cdef const floating* x1
    cdef Py_ssize_t k = 0, j
    memset(out, 0, d * sizeof(floating))
    # Two rows at a time: their predictions are independent (the weights are
    # fixed within a group), and one pass over out adds both rows' terms.  The
    # adds happen in row order, exactly as one row at a time.
    while k + 1 < n_rows:
        x0 = X + rows[k] * d
        x1 = X + rows[k + 1] * d
        r0 = (dot(w, x0, d) + b) - y[rows[k]]
        r1 = (dot(w, x1, d) + b) - y[rows[k + 1]]
        sum_loss = (sum_loss + r0 * r0) + r1 * r1
        g0 = 2 * r0
        g1 = 2 * r1
        for j in range(d):
            out[j] = (out[j] + g0 * x0[j]) + g1 * x1[j]
        sum_b = (sum_b + g0) + g1
        k += 2
    if k < n_rows:
        x0 = X + rows[k] * d
        r0 = (dot(w, x0, d) + b) - y[rows[k]]
        sum_loss = sum_loss + r0 * r0
        g0 = 2 * r0
        for j in range(d):
            out[j] = out[j] + g0 * x0[j]
        sum_b = sum_b + g0
    out[d] = sum_b
    out[d + 1] = sum_loss


cdef inline int round_threads(Py_ssize_t n_chunks, Py_ssize_t d, int n_threads) noexcept nogil:
    """Threads for a round of ``n_chunks`` chunks: at most ``n_threads``, and
    only as many as get MIN_THREAD_WORK multiply-adds (about 0.1 ms) each.

    Each parallel region ends in a barrier, and on a busy machine a
    descheduled thread can hold a barrier for a whole scheduler time slice;
    small rounds are faster and steadier on one thread.  Without OpenMP the
    answer is 1.
    """
    if not HAVE_OPENMP:
        return 1
    return <int>max(1, min(<Py_ssize_t>n_threads, n_chunks * CHUNK_ROWS * d // MIN_THREAD_WORK))


def default_threads():
    """OpenMP's default thread count (OMP_NUM_THREADS, threadpoolctl, cores); 1 without OpenMP."""
    return omp_max_threads()


def threads_for_round(Py_ssize_t n_chunks, Py_ssize_t d, int n_threads):
    """How many threads a round of ``n_chunks`` chunks of width ``d`` runs on (for tests)."""
    return round_threads(n_chunks, d, n_threads)


cdef inline void sum_chunk_of_group(const floating* X, const floating* y, const floating* w,
                                    floating b, const Py_ssize_t* rows, Py_ssize_t m,
                                    Py_ssize_t d, Py_ssize_t chunk, Py_ssize_t slot,
                                    Buffers* buf) noexcept nogil:
    """Sum chunk ``chunk`` of a group into its slot (chunk 0: into the running sums)."""
    cdef Py_ssize_t start = chunk * CHUNK_ROWS
    cdef floating* out = (<floating*>buf.grad if chunk == 0
                          else <floating*>buf.slots + slot * (d + 2))
    chunk_sums(X, y, w, b, rows + start, min(m - start, <Py_ssize_t>CHUNK_ROWS), d, out)


cdef floating group_update(const floating* X, const floating* y, floating* w, floating* b,
                         const Py_ssize_t* rows, Py_ssize_t m, Py_ssize_t d,
                         const Options* opt, Buffers* buf) noexcept nogil:
    """One update from the m rows in ``rows``; returns the group's summed loss.

    Chunks are summed in rounds of up to ``buf.n_slots`` chunks, each round's
    chunks in parallel (one slot each), then added to the running sums in
    chunk order.  The first chunk is summed straight into the running sums.
    Which thread computes a chunk never changes its bits, so the result is
    the same for any number of threads.
    """
    cdef Py_ssize_t stride = d + 2
    cdef floating* G = <floating*>buf.grad  # running sums: G[:d], sum of g, loss
    cdef floating* slot
    cdef floating lr = <floating>opt.lr
    cdef floating Gb, L
    cdef Py_ssize_t n_chunks = (m + CHUNK_ROWS - 1) // CHUNK_ROWS
    cdef Py_ssize_t first, count, c, j
    cdef int n_threads
    first = 0
    while first < n_chunks:
        count = min(buf.n_slots, n_chunks - first)
        n_threads = round_threads(count, d, opt.n_threads)
        # A parallel region costs about a microsecond to enter: not worth it
        # for the one chunk of a typical mini-batch.
        if n_threads > 1:
            for c in prange(count, nogil=True, schedule="static", num_threads=n_threads):
                sum_chunk_of_group(X, y, w, b[0], rows, m, d, first + c, c, buf)
        else:
            for c in range(count):
                sum_chunk_of_group(X, y, w, b[0], rows, m, d, first + c, c, buf)
        for c in range(1 if first == 0 else 0, count):
            slot = <floating*>buf.slots + c * stride
            for j in range(stride):
                G[j] = G[j] + slot[j]
        first += count
    Gb = G[d]
    L = G[d + 1]
    if opt.mean_reduction:
        for j in range(d):
            w[j] = w[j] - lr * (G[j] / <floating>m)
        Gb = Gb / <floating>m
    else:
        for j in range(d):
            w[j] = w[j] - lr * G[j]
    if opt.fit_intercept:
        b[0] = b[0] - lr * Gb
    return L


cdef double group_epoch(const floating* X, const floating* y, floating* w, floating* b,
                        const Py_ssize_t* order, Py_ssize_t n, Py_ssize_t d,
                        const Options* opt, Buffers* buf) noexcept nogil:
    cdef double epoch_loss = 0.0
    cdef Py_ssize_t start = 0
    while start < n:
        epoch_loss = epoch_loss + <double>group_update(
            X, y, w, b, order + start, min(opt.group_size, n - start), d, opt, buf)
        start += opt.group_size
    return epoch_loss


cdef bint all_finite(const floating* w, Py_ssize_t d) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(d):
        if not isfinite(w[j]):
            return False
    return True


cdef int epochs_loop(const floating* X, const floating* y, floating* w, floating* b,
                     Py_ssize_t* order, uint64_t* rng_state, double* loss_out,
                     Py_ssize_t max_epochs, Py_ssize_t n, Py_ssize_t d,
                     const Options* opt, Buffers* buf, Py_ssize_t* n_run) noexcept nogil:
    """The whole multi-epoch loop with its stopping rules; returns a RunStatus."""
    cdef Py_ssize_t epoch
    cdef double loss_sum, mean_loss
    cdef floating b_start
    for epoch in range(max_epochs):
        memcpy(buf.coef_start, w, d * sizeof(floating))
        b_start = b[0]
        if opt.shuffle:
            shuffle_in_place(order, n, rng_state)
        if opt.method == METHOD_SGD:
            loss_sum = sgd_epoch(X, y, w, b, order, n, d, opt)
        else:
            loss_sum = group_epoch(X, y, w, b, order, n, d, opt, buf)
        mean_loss = loss_sum / <double>n
        loss_out[epoch] = mean_loss
        n_run[0] = epoch + 1
        if not (isfinite(mean_loss) and isfinite(b[0]) and all_finite(w, d)):
            memcpy(w, buf.coef_start, d * sizeof(floating))
            b[0] = b_start
            return STATUS_DIVERGED
        if opt.has_stop_loss and mean_loss < opt.stop_loss:
            return STATUS_CONVERGED
    return STATUS_RAN_ALL


def run_epochs(const floating[:, ::1] X, const floating[::1] y, floating[::1] coef,
               floating[::1] intercept, Py_ssize_t[::1] order, uint64_t[::1] rng_state,
               double[::1] loss_out, settings):
    """Run up to ``len(loss_out)`` epochs; same contract as ``fastgd.reference.run_epochs``.

    ``coef``, ``intercept`` (length 1), ``order`` and ``rng_state`` (length 1)
    are updated in place; ``loss_out`` receives each epoch's mean loss.
    Returns ``(n_run, status)``.  The caller (``fastgd.fit``) has validated
    every shape and value.
    """
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t d = X.shape[1]
    cdef Options opt
    cdef Buffers buf
    cdef Py_ssize_t n_run = 0
    cdef int status
    cdef floating[::1] work
    opt.method = int(settings.method)
    opt.lr = settings.lr
    opt.group_size = settings.update_size(n)
    opt.mean_reduction = settings.mean_reduction
    opt.fit_intercept = settings.fit_intercept
    opt.shuffle = settings.shuffle
    opt.has_stop_loss = settings.stop_loss is not None
    opt.stop_loss = settings.stop_loss if opt.has_stop_loss else 0.0
    if settings.n_threads < 1:
        raise ValueError("run_epochs: n_threads must be >= 1")
    # More threads than this could never be busy (a group has fewer chunks).
    opt.n_threads = min(settings.n_threads, 1 << 16)
    # The layer above guarantees these; checking them here (once, outside the
    # loops) keeps a direct call with bad shapes from touching stray memory.
    if n < 1 or d < 1 or y.shape[0] != n or coef.shape[0] != d or order.shape[0] != n \
            or intercept.shape[0] != 1 or rng_state.shape[0] != 1:
        raise ValueError("run_epochs: inconsistent array shapes")
    if loss_out.shape[0] == 0:
        return 0, _Status.RAN_ALL
    # Work space, allocated once per call, never inside the loops.  With
    # threads, a round holds many chunks per thread: each parallel region ends
    # in a barrier, and on a busy machine a descheduled thread can hold the
    # barrier for a whole scheduler time slice, so fewer, larger regions are
    # much steadier.
    # Never more slots than a group has chunks, so memory stays bounded by the
    # data whatever n_threads says.
    buf.n_slots = 1 if opt.n_threads == 1 else min(
        SLOTS_PER_THREAD * <Py_ssize_t>opt.n_threads,
        (opt.group_size + CHUNK_ROWS - 1) // CHUNK_ROWS)
    work = np.empty((buf.n_slots + 1) * (d + 2) + d,
                    dtype=np.float32 if floating is float else np.float64)
    buf.grad = &work[0]
    buf.slots = &work[d + 2]
    buf.coef_start = &work[(buf.n_slots + 1) * (d + 2)]
    with nogil:
        status = epochs_loop(&X[0, 0], &y[0], &coef[0], &intercept[0], &order[0],
                             &rng_state[0], &loss_out[0], loss_out.shape[0], n, d,
                             &opt, &buf, &n_run)
    return n_run, _Status(status)


def predict(const floating[:, ::1] X, const floating[::1] coef, floating intercept,
            floating[::1] out):
    """Write ``dot(coef, x) + intercept`` for each row of X into ``out``."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t d = X.shape[1]
    cdef Py_ssize_t i
    if d < 1 or coef.shape[0] != d or out.shape[0] != n:
        raise ValueError("predict: inconsistent array shapes")
    with nogil:
        for i in range(n):
            out[i] = dot(&coef[0], &X[i, 0], d) + intercept
