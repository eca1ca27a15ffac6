"""Typed kernels for fastgd: per-sample SGD and chunked group (mini-batch / batch) updates.

Each function here computes exactly what its namesake in ``fastgd/reference.py``
computes, operation by operation; the reference module's docstring is the
specification.  Inputs are validated by ``fastgd._validation`` before they get
here, so the loops run without bounds checks and without the GIL.
"""
from libc.math cimport M_PI, NAN, fabs, isfinite, sqrt
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, memset
from cython cimport floating
from cython.parallel cimport prange
from cpython.ref cimport PyObject

cdef extern from "Python.h":
    # Declared without an exception value: interrupted() fetches the exception itself.
    int PyErr_CheckSignals()
    void PyErr_Fetch(PyObject** type, PyObject** value, PyObject** traceback)
    void PyErr_Restore(PyObject* type, PyObject* value, PyObject* traceback)

cdef extern from "elementary_select.h" nogil:
    # fastgd's own exp, log1p, log, pow (elementary.h) and cos
    # (elementary_cos.h): +, -, *, / and bit operations only, never the C
    # library's, so the same bits on every CPU and C library.  Their Python
    # twins, operation for operation, are in fastgd/elementary.py.
    double fgd_exp(double x)
    double fgd_log1p(double x)
    double fgd_log(double x)
    double fgd_pow(double x, double y)
    double fgd_log_ext(double x, double* lo)
    double fgd_pow_log(double hi, double lo, double y)
    double fgd_cos(double x)

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
    #if defined(__x86_64__) || defined(__i386__)
    /* The same request as an instruction gcc must keep: with -fwrapv (in
       Python's compile flags) gcc drops the __builtin_prefetch calls of sparse
       SGD's request loop (measured: none in the binary). */
    #define fastgd_prefetch_kept(address) \
        __asm__ volatile("prefetcht0 %0" : : "m"(*(const char*)(address)))
    #else
    #define fastgd_prefetch_kept(address) __builtin_prefetch((address), 0, 3)
    #endif
    #else
    #define fastgd_prefetch_kept(address) ((void)(address))
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
    void prefetch_kept "fastgd_prefetch_kept" (const void* address) noexcept nogil

#: Whether this build runs group updates on several threads.
OPENMP = bool(HAVE_OPENMP)
#: Whether this module was compiled for AVX2 (the fastgd._kernels_avx2 build).
AVX2 = bool(BUILT_FOR_AVX2)


def cpu_supports_avx2():
    """Whether the CPU running this process has AVX2 (False off x86)."""
    return bool(cpu_has_avx2())

# Mirror fastgd._options (checked by tests/test_kernels.py).
cdef enum Method:
    METHOD_SGD = 0
    METHOD_MINIBATCH = 1
    METHOD_BATCH = 2

cdef enum RunStatus:
    STATUS_RAN_ALL = 0
    STATUS_CONVERGED = 1
    STATUS_DIVERGED = 2
    STATUS_NO_IMPROVEMENT = 3
    STATUS_INTERRUPTED = -1    # kernel only: a signal handler raised (its exception is kept)

cdef enum LossKind:
    LOSS_SQUARED = 0
    LOSS_HUBER = 1
    LOSS_EPSILON_INSENSITIVE = 2
    LOSS_LOG = 3
    LOSS_HINGE = 4
    LOSS_MODIFIED_HUBER = 5

cdef enum OptimizerKind:
    OPTIMIZER_SGD = 0
    OPTIMIZER_ADAGRAD = 1
    OPTIMIZER_RMSPROP = 2
    OPTIMIZER_ADAM = 3
    OPTIMIZER_ADAMW = 4

cdef enum ScheduleKind:
    SCHEDULE_CONSTANT = 0
    SCHEDULE_INVSCALING = 1
    SCHEDULE_EXPONENTIAL = 2
    SCHEDULE_STEP = 3
    SCHEDULE_COSINE = 4
    SCHEDULE_ADAPTIVE = 5

cdef enum:
    CHUNK_ROWS = 256           # part of the contract: mirrors fastgd._options.CHUNK_ROWS
    SLOTS_PER_THREAD = 16      # threading only (never changes a result): chunks per
    MIN_THREAD_WORK = 1 << 18  # thread in a round, and the least multiply-adds per thread
    PREFETCH_AHEAD = 4         # rows per-sample SGD requests ahead of the one it is on,
    PREFETCH_BYTES = 1024      # and how much of each
    SPARSE_PREFETCH_AHEAD = 8  # CSR rows ahead whose weights sparse SGD requests
    PROGRESS_SIZE = 5          # mirrors fastgd._options.PROGRESS_SIZE
    SIGNAL_CHECK_WORK = 1 << 22  # multiply-adds (a few ms) between looks for Ctrl-C
    STATE_ROWS = 3             # mirrors fastgd._options.OPTIMIZER_STATE_ROWS

cdef double ADAPTIVE_MIN_LR = 1e-6  # mirrors fastgd._options.ADAPTIVE_MIN_LR
cdef double SCALE_RESET_BELOW = 1e-9  # mirrors fastgd._options.SCALE_RESET_BELOW
cdef double AVERAGE_FOLD_BELOW = 0.5  # mirrors fastgd._options.AVERAGE_FOLD_BELOW

KERNEL_CODES = {
    "METHOD_SGD": METHOD_SGD,
    "METHOD_MINIBATCH": METHOD_MINIBATCH,
    "METHOD_BATCH": METHOD_BATCH,
    "STATUS_RAN_ALL": STATUS_RAN_ALL,
    "STATUS_CONVERGED": STATUS_CONVERGED,
    "STATUS_DIVERGED": STATUS_DIVERGED,
    "STATUS_NO_IMPROVEMENT": STATUS_NO_IMPROVEMENT,
    "LOSS_SQUARED": LOSS_SQUARED,
    "LOSS_HUBER": LOSS_HUBER,
    "LOSS_EPSILON_INSENSITIVE": LOSS_EPSILON_INSENSITIVE,
    "LOSS_LOG": LOSS_LOG,
    "LOSS_HINGE": LOSS_HINGE,
    "LOSS_MODIFIED_HUBER": LOSS_MODIFIED_HUBER,
    "OPTIMIZER_SGD": OPTIMIZER_SGD,
    "OPTIMIZER_ADAGRAD": OPTIMIZER_ADAGRAD,
    "OPTIMIZER_RMSPROP": OPTIMIZER_RMSPROP,
    "OPTIMIZER_ADAM": OPTIMIZER_ADAM,
    "OPTIMIZER_ADAMW": OPTIMIZER_ADAMW,
    "SCHEDULE_CONSTANT": SCHEDULE_CONSTANT,
    "SCHEDULE_INVSCALING": SCHEDULE_INVSCALING,
    "SCHEDULE_EXPONENTIAL": SCHEDULE_EXPONENTIAL,
    "SCHEDULE_STEP": SCHEDULE_STEP,
    "SCHEDULE_COSINE": SCHEDULE_COSINE,
    "SCHEDULE_ADAPTIVE": SCHEDULE_ADAPTIVE,
    "CHUNK_ROWS": CHUNK_ROWS,
    "PROGRESS_SIZE": PROGRESS_SIZE,
    "STATE_ROWS": STATE_ROWS,
    "ADAPTIVE_MIN_LR": ADAPTIVE_MIN_LR,
    "SCALE_RESET_BELOW": SCALE_RESET_BELOW,
    "AVERAGE_FOLD_BELOW": AVERAGE_FOLD_BELOW,
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
    bint has_weights          # sample weights given
    int loss
    double loss_param         # huber's delta, epsilon_insensitive's epsilon
    bint plain                # optimizer "sgd" without momentum, weight decay or l1
    int optimizer
    double momentum
    double dampening
    bint nesterov
    double alpha
    double eps
    bint centered
    double beta1
    double beta2
    # fgd_log_ext of beta1 and beta2 (hi and lo parts; 0 when beta is 0), so that
    # each step's beta**t costs an exp only: fgd_pow_log gives fgd_pow's bits.
    double beta1_log_hi
    double beta1_log_lo
    double beta2_log_hi
    double beta2_log_lo
    bint amsgrad
    double lr_decay
    double weight_decay
    double l1
    int schedule
    double power_t
    double gamma
    Py_ssize_t step_size
    double lr_min
    Py_ssize_t max_epochs
    bint monitors_plateau
    double tol                # 0 when the user gave None
    Py_ssize_t n_iter_no_change
    bint early_stopping
    Py_ssize_t average        # the step averaging starts at (from 1); 0: no averaging
    bint lazy                 # sparse per-sample SGD touches only a row's stored columns
    bint scaled               # ... with weight decay kept as a scale: w = scale * v


cdef struct Progress:
    # Mirrors the progress array (fastgd._options.PROGRESS_*), kept between calls.
    Py_ssize_t step           # steps taken so far, over the whole fit
    Py_ssize_t epoch          # epochs run so far
    double best               # best monitored loss
    Py_ssize_t stall          # epochs without improvement by tol
    double adaptive_rate


cdef struct Buffers:
    # Signals: work done since the last look, and a handler's exception, kept
    # from the moment it is raised (under a briefly held GIL) until run_epochs
    # can raise it.
    Py_ssize_t work_since_check
    bint stop                 # a handler raised: the loops stop, the epoch is undone
    PyObject* error_type
    PyObject* error_value
    PyObject* error_traceback
    # Arrays of the working dtype (float or double), hence untyped pointers.
    void* grad            # a group's running sums (length d + 2), or one sample's gradient
    void* slots           # n_slots chunk sums of length d + 2, filled in parallel
    Py_ssize_t n_slots
    void* coef_start      # weights at the start of the epoch, for divergence
    void* state           # optimizer state, STATE_ROWS rows of d + 1
    void* average         # averaged coefficients (d) and intercept (1), or NULL
    void* average_b
    void* average_start   # their values at the start of the epoch (d + 1)
    # Sparse group updates: for each column, the serial of the chunk and of
    # the group that last touched it, and the columns a chunk and a group touched.
    Py_ssize_t* chunk_serial
    Py_ssize_t* group_serial
    Py_ssize_t* chunk_columns
    Py_ssize_t* group_columns
    Py_ssize_t chunks_summed  # this call's chunks and groups so far: the serials
    Py_ssize_t groups_summed


cdef struct Rows:
    # The training rows: dense (row-major, n x d) or CSR (values, their
    # columns, and where each row starts).  Values are of the working dtype.
    const void* values
    const int* columns
    const Py_ssize_t* starts
    bint sparse


# ---------------------------------------------------------------- signals

cdef bint interrupted(Buffers* buf, Py_ssize_t work) noexcept nogil:
    """Count ``work`` multiply-adds; every SIGNAL_CHECK_WORK of them, run the
    pending signal handlers (under the GIL, taken only then).  True when a
    handler raised, e.g. KeyboardInterrupt for Ctrl-C: the exception is
    fetched into ``buf`` for run_epochs to raise once the loops have stopped.
    Python runs handlers in the main thread only, so elsewhere this is False.
    """
    cdef int raised
    buf.work_since_check += work
    if buf.work_since_check < SIGNAL_CHECK_WORK:
        return False
    buf.work_since_check = 0
    with gil:
        raised = PyErr_CheckSignals()
        if raised:
            PyErr_Fetch(&buf.error_type, &buf.error_value, &buf.error_traceback)
    return raised != 0


cdef int raise_kept_error(Buffers* buf) except -1:
    PyErr_Restore(buf.error_type, buf.error_value, buf.error_traceback)
    return -1


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


cdef inline floating sparse_dot(const floating* w, const floating* values, const int* columns,
                               Py_ssize_t nnz) noexcept nogil:
    """The contract's dot product over a CSR row's stored entries.

    The same eight partial sums as ``dot`` (column j goes to s[j % 8]),
    each starting from 0 and combined by the full pairwise tree.  Adding
    the products of the unstored zeros changes no sum, so this equals the
    dense ``dot`` of the row's dense copy (up to the sign of a zero).
    """
    cdef floating s[8]
    cdef Py_ssize_t k
    cdef int j
    for j in range(8):
        s[j] = 0
    for k in range(nnz):
        j = columns[k]
        s[j & 7] = s[j & 7] + w[j] * values[k]
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


cdef inline floating row_dot(const floating* w, const Rows* X, Py_ssize_t i,
                             Py_ssize_t d) noexcept nogil:
    """``dot(w, row i)`` for dense or CSR rows."""
    cdef Py_ssize_t start
    if X.sparse:
        start = X.starts[i]
        return sparse_dot(w, <const floating*>X.values + start, X.columns + start,
                          X.starts[i + 1] - start)
    return dot(w, <const floating*>X.values + i * d, d)


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


# ---------------------------------------------------------------- losses

cdef inline floating sample_loss(int kind, floating p, floating t, floating param,
                                 floating* dloss) noexcept nogil:
    """The loss of one sample; its derivative in p goes to ``dloss``.

    The table in ``fastgd/reference.py`` (``sample_loss``) is the
    specification.  Constants are integers or working-dtype locals, so a
    float32 fit does float32 operations; exp and log1p (fastgd's own) run in
    float64.
    """
    cdef floating r, a, z, u
    cdef floating half = 0.5
    cdef double e, sigmoid
    if kind == LOSS_SQUARED:
        r = p - t
        dloss[0] = 2 * r
        return r * r
    if kind == LOSS_HUBER:
        r = p - t
        a = fabs(r)
        if a <= param:
            dloss[0] = r
            return half * r * r
        dloss[0] = param if r > 0 else -param
        return param * a - half * param * param
    if kind == LOSS_EPSILON_INSENSITIVE:
        r = p - t
        a = fabs(r)
        if a > param:
            dloss[0] = 1 if r > 0 else -1
            return a - param
        dloss[0] = 0
        return 0
    if kind == LOSS_LOG:
        e = fgd_exp(-fabs(<double>p))
        sigmoid = 1.0 / (1.0 + e) if p >= 0 else e / (1.0 + e)
        dloss[0] = <floating>sigmoid - t
        return ((p if p > 0 else 0) - p * t) + <floating>fgd_log1p(e)
    z = p * t
    if kind == LOSS_HINGE:
        if z <= 1:
            dloss[0] = -t
            return 1 - z
        dloss[0] = 0
        return 0
    # LOSS_MODIFIED_HUBER
    if z >= 1:
        dloss[0] = 0
        return 0
    if z >= -1:
        u = 1 - z
        dloss[0] = (-2 * t) * u
        return u * u
    dloss[0] = -4 * t
    return -4 * z


cdef inline floating weighted_loss(int kind, floating param, bint has_weights,
                                   floating p, const floating* y, const floating* sw,
                                   Py_ssize_t i, floating* g) noexcept nogil:
    """Row i's loss at prediction p (times its weight), and its g.

    The loss settings come as arguments, not through the Options pointer:
    the callers keep them in registers, where a store to the weights (which
    may alias a double field of a struct) cannot force a reload.
    """
    cdef floating loss = sample_loss(kind, p, y[i], param, g)
    if has_weights:
        g[0] = sw[i] * g[0]
        return sw[i] * loss
    return loss


# ---------------------------------------------------------- schedule, optimizers

cdef inline double scheduled_rate(const Options* opt, const Progress* prog,
                                  Py_ssize_t step) noexcept nogil:
    """The float64 rate of step ``step`` in the current epoch (reference: scheduled_rate)."""
    cdef Py_ssize_t epoch = prog.epoch
    if opt.schedule == SCHEDULE_CONSTANT:
        return opt.lr
    if opt.schedule == SCHEDULE_INVSCALING:
        return opt.lr / fgd_pow(<double>step, opt.power_t)
    if opt.schedule == SCHEDULE_EXPONENTIAL:
        return opt.lr * fgd_pow(opt.gamma, <double>epoch)
    if opt.schedule == SCHEDULE_STEP:
        return opt.lr * fgd_pow(opt.gamma, <double>(epoch // opt.step_size))
    if opt.schedule == SCHEDULE_COSINE:
        return opt.lr_min + (opt.lr - opt.lr_min) * (
            1.0 + fgd_cos(M_PI * <double>epoch / <double>opt.max_epochs)) / 2.0
    return prog.adaptive_rate


cdef inline double power_of(double base, double log_hi, double log_lo,
                            double y) noexcept nogil:
    """``fgd_pow(base, y)``, from ``base``'s fgd_log_ext when base > 0 (the same bits)."""
    if base > 0:
        return fgd_pow_log(log_hi, log_lo, y)
    return fgd_pow(base, y)


cdef inline floating rounded_sqrt(floating v) noexcept nogil:
    return <floating>sqrt(<double>v)


cdef inline floating sgd_coordinate(floating w, floating g, floating* buf, floating lr,
                                    floating wd, floating mu, floating dampening_complement,
                                    bint first, bint nesterov) noexcept nogil:
    if wd != 0:
        g = g + wd * w
    if mu != 0:
        if first:
            buf[0] = g
        else:
            buf[0] = mu * buf[0] + dampening_complement * g
        if nesterov:
            g = g + mu * buf[0]
        else:
            g = buf[0]
    return w - lr * g


cdef inline floating adagrad_coordinate(floating w, floating g, floating* total, floating clr,
                                        floating wd, floating eps) noexcept nogil:
    if wd != 0:
        g = g + wd * w
    total[0] = total[0] + g * g
    return w - clr * (g / (rounded_sqrt(total[0]) + eps))


cdef inline floating rmsprop_coordinate(floating w, floating g, floating* v, floating* g_avg,
                                        floating* buf, floating lr, floating wd,
                                        floating alpha, floating alpha_complement,
                                        floating eps, floating mu,
                                        bint centered) noexcept nogil:
    cdef floating avg
    if wd != 0:
        g = g + wd * w
    v[0] = alpha * v[0] + alpha_complement * (g * g)
    if centered:
        g_avg[0] = alpha * g_avg[0] + alpha_complement * g
        avg = rounded_sqrt(v[0] - g_avg[0] * g_avg[0]) + eps
    else:
        avg = rounded_sqrt(v[0]) + eps
    if mu > 0:
        buf[0] = mu * buf[0] + g / avg
        return w - lr * buf[0]
    return w - lr * (g / avg)


cdef inline floating adam_coordinate(floating w, floating g, floating* m, floating* v,
                                     floating* v_max, floating wd, bint decoupled,
                                     floating decay_factor, floating beta1,
                                     floating beta1_complement, floating beta2,
                                     floating beta2_complement, floating step_size,
                                     floating bias_correction2_sqrt, floating eps,
                                     bint amsgrad) noexcept nogil:
    cdef floating second
    if wd != 0:
        if decoupled:
            w = w * decay_factor
        else:
            g = g + wd * w
    m[0] = beta1 * m[0] + beta1_complement * g
    v[0] = beta2 * v[0] + beta2_complement * (g * g)
    second = v[0]
    if amsgrad:
        v_max[0] = second if second > v_max[0] else v_max[0]
        second = v_max[0]
    return w - step_size * (m[0] / (rounded_sqrt(second) / bias_correction2_sqrt + eps))


cdef inline floating shrink(floating w, floating c) noexcept nogil:
    """The l1 proximal step: w moved towards 0 by c, stopping at exactly 0."""
    if w > c:
        return w - c
    if w < -c:
        return w + c
    return 0


cdef void optimizer_step(floating* w, floating* b, const floating* grad, floating grad_b,
                         floating* state, Py_ssize_t d, const Options* opt, double rate,
                         Py_ssize_t step) noexcept nogil:
    """One optimizer update of every coefficient, then l1, then the intercept.

    Per-step scalars are computed in float64 and rounded once, as
    ``fastgd.reference.StepScalars`` does; the intercept is updated with a
    weight decay of 0 and no l1.
    """
    cdef Py_ssize_t j, stride = d + 1
    cdef floating* s0 = state
    cdef floating* s1 = state + stride
    cdef floating* s2 = state + 2 * stride
    cdef floating lr = <floating>rate
    cdef floating wd = <floating>opt.weight_decay
    cdef floating l1 = <floating>(rate * opt.l1)
    cdef floating eps = <floating>opt.eps
    cdef floating mu = <floating>opt.momentum
    cdef floating c1, c2, c3, c4, c5, c6, c7
    cdef bint first, decoupled
    if opt.optimizer == OPTIMIZER_SGD:
        c1 = <floating>(1.0 - opt.dampening)
        first = step == 1
        for j in range(d):
            w[j] = sgd_coordinate(w[j], grad[j], &s0[j], lr, wd, mu, c1, first, opt.nesterov)
        if opt.fit_intercept:
            b[0] = sgd_coordinate(b[0], grad_b, &s0[d], lr, 0, mu, c1, first, opt.nesterov)
    elif opt.optimizer == OPTIMIZER_ADAGRAD:
        c1 = <floating>(rate / (1.0 + <double>(step - 1) * opt.lr_decay))
        for j in range(d):
            w[j] = adagrad_coordinate(w[j], grad[j], &s0[j], c1, wd, eps)
        if opt.fit_intercept:
            b[0] = adagrad_coordinate(b[0], grad_b, &s0[d], c1, 0, eps)
    elif opt.optimizer == OPTIMIZER_RMSPROP:
        c1 = <floating>opt.alpha
        c2 = <floating>(1.0 - opt.alpha)
        for j in range(d):
            w[j] = rmsprop_coordinate(w[j], grad[j], &s0[j], &s1[j], &s2[j], lr, wd, c1, c2,
                                      eps, mu, opt.centered)
        if opt.fit_intercept:
            b[0] = rmsprop_coordinate(b[0], grad_b, &s0[d], &s1[d], &s2[d], lr, 0, c1, c2,
                                      eps, mu, opt.centered)
    else:  # OPTIMIZER_ADAM, OPTIMIZER_ADAMW
        decoupled = opt.optimizer == OPTIMIZER_ADAMW
        c1 = <floating>(1.0 - rate * opt.weight_decay)
        c2 = <floating>opt.beta1
        c3 = <floating>(1.0 - opt.beta1)
        c4 = <floating>opt.beta2
        c5 = <floating>(1.0 - opt.beta2)
        c6 = <floating>(rate / (1.0 - power_of(opt.beta1, opt.beta1_log_hi,
                                               opt.beta1_log_lo, <double>step)))
        c7 = <floating>sqrt(1.0 - power_of(opt.beta2, opt.beta2_log_hi, opt.beta2_log_lo,
                                           <double>step))
        for j in range(d):
            w[j] = adam_coordinate(w[j], grad[j], &s0[j], &s1[j], &s2[j], wd, decoupled, c1,
                                   c2, c3, c4, c5, c6, c7, eps, opt.amsgrad)
        if opt.fit_intercept:
            b[0] = adam_coordinate(b[0], grad_b, &s0[d], &s1[d], &s2[d], 0, decoupled, c1,
                                   c2, c3, c4, c5, c6, c7, eps, opt.amsgrad)
    if l1 != 0:
        for j in range(d):
            w[j] = shrink(w[j], l1)


# ------------------------------------------------------------------ epochs

cdef inline void average_step(floating* avg, floating* avg_b, const floating* w, floating b,
                              Py_ssize_t d, Py_ssize_t n_averaged) noexcept nogil:
    """Fold step's weights into the running average (reference: average_step).

    ``n_averaged`` counts the averaged steps, this one included: the first
    copies the weights, the k-th adds ``(w - avg) / k`` (scikit-learn's
    average, from the step averaging starts at).
    """
    cdef floating mu
    cdef Py_ssize_t j
    if n_averaged == 1:
        memcpy(avg, w, d * sizeof(floating))
        avg_b[0] = b
        return
    mu = <floating>(1.0 / <double>n_averaged)
    for j in range(d):
        avg[j] = avg[j] + mu * (w[j] - avg[j])
    avg_b[0] = avg_b[0] + mu * (b - avg_b[0])


cdef inline Py_ssize_t n_averaged(const Options* opt, Py_ssize_t step) noexcept nogil:
    """Averaged steps up to ``step``, this one included (0 before averaging starts)."""
    if opt.average == 0 or step < opt.average:
        return 0
    return step - opt.average + 1


cdef inline void fold_average(floating* avg, const floating* v, floating P, floating R,
                              Py_ssize_t d) noexcept nogil:
    """The lazy average's fold: ``avg = P * (q + R * v)``, with q held in avg."""
    cdef Py_ssize_t j
    for j in range(d):
        avg[j] = P * (avg[j] + R * v[j])


cdef inline void prefetch_weights_of_row(const floating* w, const Rows* X,
                                         const Py_ssize_t* order, Py_ssize_t k, Py_ssize_t n,
                                         bint shuffled) noexcept nogil:
    """Request the weights that the CSR row SPARSE_PREFETCH_AHEAD steps ahead will use.

    With many columns the weight vector does not fit in cache and every
    stored column of a row is a trip to memory, which per-sample SGD must
    wait for (each step reads the weights the last one wrote).  Asking for
    them a few rows early overlaps those trips.  Measured at n=200,000,
    d=1,000,000, 50 values per row: an epoch about twice as fast.  In random
    order the row's column list itself is far away too, so it is requested
    another SPARSE_PREFETCH_AHEAD rows earlier.  Never changes a result.
    """
    cdef Py_ssize_t i
    cdef const int* column
    cdef const int* end
    if k + SPARSE_PREFETCH_AHEAD < n:
        i = order[k + SPARSE_PREFETCH_AHEAD]
        column = X.columns + X.starts[i]
        end = X.columns + X.starts[i + 1]
        # A read request: x86-64's baseline has no write prefetch (gcc drops
        # one), and a line read first is written at no extra cost by one core.
        while column < end:
            prefetch_kept(w + column[0])
            column += 1
    if shuffled and k + 2 * SPARSE_PREFETCH_AHEAD < n:
        i = order[k + 2 * SPARSE_PREFETCH_AHEAD]
        prefetch_read(X.columns + X.starts[i])
        prefetch_read(<const floating*>X.values + X.starts[i])


cdef double sparse_sgd_samples(const Rows* X, const floating* y, const floating* sw,
                               floating* w, floating* b, const Py_ssize_t* order,
                               Py_ssize_t n, Py_ssize_t d, const Options* opt,
                               Progress* prog, Buffers* buf) noexcept nogil:
    """Per-sample SGD over CSR rows; returns the summed loss, updates w and b.

    Plain SGD (``opt.lazy``) touches only the stored columns of each row:
    the weight decay is kept as a scale (w = scale * v) and the average as
    ``avg = P * (q + R * v)`` with q in the average's array, each folded
    back in O(d) only now and then (see the reference, ``lazy_sgd_samples``).
    Any other optimizer updates every coordinate, as for dense rows.
    """
    cdef const floating* data = <const floating*>X.values
    cdef const floating* values
    cdef const int* columns
    cdef double epoch_loss = 0.0
    cdef floating intercept = b[0]
    cdef floating p, g, loss, lr_t, u, mu
    cdef floating scale = 1, P = 1, R = 0, one = 1
    cdef floating* grad = <floating*>buf.grad
    cdef floating* avg = <floating*>buf.average
    cdef floating* avg_b = <floating*>buf.average_b
    cdef bint pending = False  # avg holds q (P, R in use), not the average
    cdef Py_ssize_t k, i, j, start, nnz, kk, averaged
    cdef int loss_kind = opt.loss
    cdef floating loss_param = <floating>opt.loss_param
    cdef bint has_weights = opt.has_weights
    cdef bint scaled = opt.scaled
    cdef Py_ssize_t step = prog.step
    cdef double rate = scheduled_rate(opt, prog, step + 1)
    cdef bint rate_per_step = opt.schedule == SCHEDULE_INVSCALING
    lr_t = <floating>rate
    for k in range(n):
        i = order[k]
        start = X.starts[i]
        nnz = X.starts[i + 1] - start
        values = data + start
        columns = X.columns + start
        if interrupted(buf, nnz + 1):
            buf.stop = True
            break
        if opt.lazy:
            prefetch_weights_of_row(w, X, order, k, n, opt.shuffle)
        p = sparse_dot(w, values, columns, nnz)
        if scaled:
            p = p * scale
        loss = weighted_loss(loss_kind, loss_param, has_weights, p + intercept, y, sw, i, &g)
        epoch_loss = epoch_loss + <double>loss
        step += 1
        if rate_per_step:
            rate = scheduled_rate(opt, prog, step)
            lr_t = <floating>rate
        averaged = n_averaged(opt, step)
        if not opt.lazy:
            for j in range(d):
                grad[j] = 0
            for kk in range(nnz):
                grad[columns[kk]] = g * values[kk]
            optimizer_step(w, &intercept, grad, g, <floating*>buf.state, d, opt, rate, step)
            if averaged:
                average_step(avg, avg_b, w, intercept, d, averaged)
            continue
        if scaled:
            scale = scale * <floating>(1.0 - rate * opt.weight_decay)
            if fabs(scale) < SCALE_RESET_BELOW:
                if pending:
                    fold_average(avg, w, P, R, d)
                    P = 1
                    R = 0
                    pending = False
                for j in range(d):
                    w[j] = w[j] * scale
                scale = 1
        if averaged >= 2:
            for kk in range(nnz):
                j = columns[kk]
                u = lr_t * (g * values[kk])
                if scaled:
                    u = u / scale
                w[j] = w[j] - u
                avg[j] = avg[j] + R * u
        else:
            for kk in range(nnz):
                j = columns[kk]
                u = lr_t * (g * values[kk])
                if scaled:
                    u = u / scale
                w[j] = w[j] - u
        if opt.fit_intercept:
            intercept = intercept - lr_t * g
        if averaged == 1:
            for j in range(d):
                avg[j] = scale * w[j]
            avg_b[0] = intercept
            P = 1
            R = 0
        elif averaged >= 2:
            mu = <floating>(1.0 / <double>averaged)
            # (a working-dtype 1: Cython writes a literal 1 as the double 1.0,
            # which would make this a float64 expression for float32 data)
            P = P * (one - mu)
            R = R + (mu * scale) / P
            avg_b[0] = avg_b[0] + mu * (intercept - avg_b[0])
            pending = True
            if P < AVERAGE_FOLD_BELOW:
                fold_average(avg, w, P, R, d)
                P = 1
                R = 0
                pending = False
    # The epoch ends with the average and the weights as plain vectors.
    if pending:
        fold_average(avg, w, P, R, d)
    if scaled:
        for j in range(d):
            w[j] = w[j] * scale
    b[0] = intercept
    prog.step = step
    return epoch_loss


cdef inline double sgd_samples(const floating* X, const floating* y, const floating* sw,
                               floating* w, floating* b, const Py_ssize_t* order,
                               Py_ssize_t n, Py_ssize_t d, const Options* opt,
                               Progress* prog, Buffers* buf, bint prefetch) noexcept nogil:
    """Per-sample SGD over ``order``; returns the summed loss, updates w and b.

    ``prefetch`` is a constant at each call site, so the compiler makes two
    loops: with the row requests and without them (requests cost the in-order
    loop time even when they are not needed).
    """
    cdef double epoch_loss = 0.0  # the epoch total is float64 in every dtype
    cdef floating intercept = b[0]  # a local, so it stays in a register
    cdef floating g, loss, lr_t
    cdef floating* grad = <floating*>buf.grad
    cdef const floating* x
    cdef Py_ssize_t k, i, j
    # Loop invariants and the step counter in locals (see weighted_loss).
    cdef int loss_kind = opt.loss
    cdef floating loss_param = <floating>opt.loss_param
    cdef bint has_weights = opt.has_weights
    cdef bint plain = opt.plain
    cdef bint fit_intercept = opt.fit_intercept
    cdef Py_ssize_t step = prog.step
    cdef double rate = scheduled_rate(opt, prog, step + 1)
    cdef bint rate_per_step = opt.schedule == SCHEDULE_INVSCALING
    cdef bint averaging = opt.average != 0
    cdef Py_ssize_t averaged
    # The first bytes of a row are enough: by then the hardware streams the rest.
    cdef Py_ssize_t prefetch_bytes = min(d * <Py_ssize_t>sizeof(floating),
                                         <Py_ssize_t>PREFETCH_BYTES)
    lr_t = <floating>rate
    for k in range(n):
        i = order[k]
        x = X + i * d
        if prefetch and k + PREFETCH_AHEAD < n:
            prefetch_row(X + order[k + PREFETCH_AHEAD] * d, prefetch_bytes)
        if interrupted(buf, d):
            buf.stop = True
            break
        loss = weighted_loss(loss_kind, loss_param, has_weights, dot(w, x, d) + intercept,
                             y, sw, i, &g)
        epoch_loss = epoch_loss + <double>loss
        step += 1
        if rate_per_step:
            rate = scheduled_rate(opt, prog, step)
            lr_t = <floating>rate
        if plain:
            for j in range(d):
                w[j] = w[j] - lr_t * (g * x[j])
            if fit_intercept:
                intercept = intercept - lr_t * g
        else:
            for j in range(d):
                grad[j] = g * x[j]
            optimizer_step(w, &intercept, grad, g, <floating*>buf.state, d, opt, rate, step)
        if averaging:
            averaged = n_averaged(opt, step)
            if averaged:
                average_step(<floating*>buf.average, <floating*>buf.average_b, w, intercept,
                             d, averaged)
    b[0] = intercept
    prog.step = step
    return epoch_loss


cdef double sgd_epoch(const Rows* X, const floating* y, const floating* sw, floating* w,
                      floating* b, const Py_ssize_t* order, Py_ssize_t n, Py_ssize_t d,
                      const Options* opt, Progress* prog, Buffers* buf) noexcept nogil:
    """One epoch of per-sample SGD; returns the summed loss, updates w and b."""
    cdef const floating* dense = <const floating*>X.values
    if X.sparse:
        return sparse_sgd_samples(X, y, sw, w, b, order, n, d, opt, prog, buf)
    if opt.shuffle:
        return sgd_samples(dense, y, sw, w, b, order, n, d, opt, prog, buf, True)
    return sgd_samples(dense, y, sw, w, b, order, n, d, opt, prog, buf, False)


cdef void chunk_sums(const floating* X, const floating* y, const floating* sw,
                     const floating* w, floating b, const Py_ssize_t* rows,
                     Py_ssize_t n_rows, Py_ssize_t d, const Options* opt,
                     floating* out) noexcept nogil:
    """Sums over one chunk of rows, from zero, into ``out`` (length d + 2).

    ``out[:d]`` gets the sum of g*x, ``out[d]`` the sum of g and ``out[d+1]``
    the sum of the losses.
    """
    cdef floating loss0, loss1, g0, g1
    cdef floating sum_b = 0, sum_loss = 0
    cdef const floating* x0
    cdef const floating* x1
    cdef Py_ssize_t k = 0, j
    cdef int loss_kind = opt.loss
    cdef floating loss_param = <floating>opt.loss_param
    cdef bint has_weights = opt.has_weights
    memset(out, 0, d * sizeof(floating))
    # Two rows at a time: their predictions are independent (the weights are
    # fixed within a group), and one pass over out adds both rows' terms.  The
    # adds happen in row order, exactly as one row at a time.
    while k + 1 < n_rows:
        x0 = X + rows[k] * d
        x1 = X + rows[k + 1] * d
        loss0 = weighted_loss(loss_kind, loss_param, has_weights, dot(w, x0, d) + b, y, sw, rows[k], &g0)
        loss1 = weighted_loss(loss_kind, loss_param, has_weights, dot(w, x1, d) + b, y, sw, rows[k + 1], &g1)
        sum_loss = (sum_loss + loss0) + loss1
        for j in range(d):
            out[j] = (out[j] + g0 * x0[j]) + g1 * x1[j]
        sum_b = (sum_b + g0) + g1
        k += 2
    if k < n_rows:
        x0 = X + rows[k] * d
        loss0 = weighted_loss(loss_kind, loss_param, has_weights, dot(w, x0, d) + b, y, sw, rows[k], &g0)
        sum_loss = sum_loss + loss0
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


cdef inline void sum_chunk_of_group(const Rows* X, const floating* y, const floating* sw,
                                    const floating* w, floating b, const Py_ssize_t* rows,
                                    Py_ssize_t m, Py_ssize_t d, Py_ssize_t chunk,
                                    Py_ssize_t slot, const Options* opt,
                                    Buffers* buf) noexcept nogil:
    """Sum chunk ``chunk`` of a group into its slot (chunk 0: into the running sums)."""
    cdef Py_ssize_t start = chunk * CHUNK_ROWS
    cdef floating* out = (<floating*>buf.grad if chunk == 0
                          else <floating*>buf.slots + slot * (d + 2))
    chunk_sums(<const floating*>X.values, y, sw, w, b, rows + start,
               min(m - start, <Py_ssize_t>CHUNK_ROWS), d, opt, out)


cdef floating group_update(const Rows* X, const floating* y, const floating* sw,
                           floating* w, floating* b, const Py_ssize_t* rows, Py_ssize_t m,
                           Py_ssize_t d, const Options* opt, Progress* prog,
                           Buffers* buf) noexcept nogil:
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
    cdef floating L
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
                sum_chunk_of_group(X, y, sw, w, b[0], rows, m, d, first + c, c, opt, buf)
        else:
            for c in range(count):
                sum_chunk_of_group(X, y, sw, w, b[0], rows, m, d, first + c, c, opt, buf)
        if interrupted(buf, count * CHUNK_ROWS * d):
            buf.stop = True  # the group's sums are incomplete: no update
            return 0
        for c in range(1 if first == 0 else 0, count):
            slot = <floating*>buf.slots + c * stride
            for j in range(stride):
                G[j] = G[j] + slot[j]
        first += count
    L = G[d + 1]
    group_step(w, b, G, m, d, opt, prog, buf)
    return L


cdef void group_step(floating* w, floating* b, floating* G, Py_ssize_t m, Py_ssize_t d,
                     const Options* opt, Progress* prog, Buffers* buf) noexcept nogil:
    """The step of a group of m rows from its summed ``G`` (``G[:d]``: sum of
    g*x, ``G[d]``: sum of g); ``G`` is scaled in place under mean reduction."""
    cdef floating lr_t
    cdef floating Gb = G[d]
    cdef floating fm = <floating>m
    cdef double rate
    cdef Py_ssize_t j, averaged
    prog.step += 1
    rate = scheduled_rate(opt, prog, prog.step)
    lr_t = <floating>rate
    if opt.mean_reduction:
        for j in range(d):
            G[j] = G[j] / fm
        Gb = Gb / fm
    if opt.plain:
        for j in range(d):
            w[j] = w[j] - lr_t * G[j]
        if opt.fit_intercept:
            b[0] = b[0] - lr_t * Gb
    else:
        optimizer_step(w, b, G, Gb, <floating*>buf.state, d, opt, rate, prog.step)
    averaged = n_averaged(opt, prog.step)
    if averaged:
        average_step(<floating*>buf.average, <floating*>buf.average_b, w, b[0], d, averaged)


cdef floating sparse_group_update(const Rows* X, const floating* y, const floating* sw,
                                  floating* w, floating* b, const Py_ssize_t* rows,
                                  Py_ssize_t m, Py_ssize_t d, const Options* opt,
                                  Progress* prog, Buffers* buf) noexcept nogil:
    """``group_update`` for CSR rows, in O(stored values) for plain SGD.

    The same sums in the same order: each chunk of CHUNK_ROWS rows sums its
    rows' ``g * x[j]`` from 0 in row order (into ``chunk``), and the group's
    sums add the chunks' in chunk order; a column a chunk does not touch
    would add its zero sum, which changes nothing, so only the touched
    columns are added (the first chunk's sums are copied, as in the dense
    kernel).  ``G`` and ``chunk`` hold zeros between uses: only the touched
    columns are written and cleared.  The plain update touches only those
    columns too; any other optimizer updates every coefficient from the full
    gradient.  One thread: the work is too small to share.
    """
    cdef floating* G = <floating*>buf.grad
    cdef floating* chunk = <floating*>buf.slots
    cdef Py_ssize_t* chunk_serial = buf.chunk_serial
    cdef Py_ssize_t* group_serial = buf.group_serial
    cdef Py_ssize_t* chunk_columns = buf.chunk_columns
    cdef Py_ssize_t* group_columns = buf.group_columns
    cdef const floating* data = <const floating*>X.values
    cdef const floating* values
    cdef const int* columns
    cdef floating g, loss, sum_b, sum_loss, Gb = 0, L = 0, lr_t
    cdef floating fm = <floating>m
    cdef double rate
    cdef Py_ssize_t c = 0, k, kk, i, j, t, start, nnz, n_chunk, work, serial
    cdef Py_ssize_t n_group = 0, averaged
    cdef Py_ssize_t group = buf.groups_summed
    buf.groups_summed += 1
    while c < m:
        serial = buf.chunks_summed
        buf.chunks_summed += 1
        sum_b = 0
        sum_loss = 0
        n_chunk = 0
        work = 0
        for k in range(c, min(m, c + CHUNK_ROWS)):
            i = rows[k]
            start = X.starts[i]
            nnz = X.starts[i + 1] - start
            values = data + start
            columns = X.columns + start
            loss = weighted_loss(opt.loss, <floating>opt.loss_param, opt.has_weights,
                                 sparse_dot(w, values, columns, nnz) + b[0], y, sw, i, &g)
            sum_loss = sum_loss + loss
            for kk in range(nnz):
                j = columns[kk]
                if chunk_serial[j] != serial:
                    chunk_serial[j] = serial
                    chunk_columns[n_chunk] = j
                    n_chunk += 1
                chunk[j] = chunk[j] + g * values[kk]
            sum_b = sum_b + g
            work += nnz + 1
        for t in range(n_chunk):
            j = chunk_columns[t]
            if group_serial[j] != group:
                group_serial[j] = group
                group_columns[n_group] = j
                n_group += 1
                G[j] = chunk[j]  # the first chunk to touch j: 0 + its sum, exactly
            else:
                G[j] = G[j] + chunk[j]
            chunk[j] = 0
        if c == 0:
            Gb = sum_b
            L = sum_loss
        else:
            Gb = Gb + sum_b
            L = L + sum_loss
        if interrupted(buf, work):
            buf.stop = True  # the group's sums are incomplete: no update
            for t in range(n_group):
                G[group_columns[t]] = 0
            return 0
        c += CHUNK_ROWS
    prog.step += 1
    rate = scheduled_rate(opt, prog, prog.step)
    lr_t = <floating>rate
    if opt.mean_reduction:
        for t in range(n_group):
            j = group_columns[t]
            G[j] = G[j] / fm
        Gb = Gb / fm
    if opt.plain:
        for t in range(n_group):
            j = group_columns[t]
            w[j] = w[j] - lr_t * G[j]
        if opt.fit_intercept:
            b[0] = b[0] - lr_t * Gb
    else:
        optimizer_step(w, b, G, Gb, <floating*>buf.state, d, opt, rate, prog.step)
    for t in range(n_group):
        G[group_columns[t]] = 0
    averaged = n_averaged(opt, prog.step)
    if averaged:
        average_step(<floating*>buf.average, <floating*>buf.average_b, w, b[0], d, averaged)
    return L


cdef double group_epoch(const Rows* X, const floating* y, const floating* sw,
                        floating* w, floating* b, const Py_ssize_t* order, Py_ssize_t n,
                        Py_ssize_t d, const Options* opt, Progress* prog,
                        Buffers* buf, double epoch_loss) noexcept nogil:
    """Group updates over ``order`` in groups of ``opt.group_size``; returns
    ``epoch_loss`` plus the groups' summed losses, added in group order."""
    cdef Py_ssize_t start = 0
    while start < n and not buf.stop:
        if X.sparse:
            epoch_loss = epoch_loss + <double>sparse_group_update(
                X, y, sw, w, b, order + start, min(opt.group_size, n - start), d, opt, prog,
                buf)
        else:
            epoch_loss = epoch_loss + <double>group_update(
                X, y, sw, w, b, order + start, min(opt.group_size, n - start), d, opt, prog,
                buf)
        start += opt.group_size
    return epoch_loss


cdef double validation_loss(const Rows* X, const floating* y, const floating* sw,
                            const floating* w, floating b, const Py_ssize_t* rows,
                            Py_ssize_t n_rows, Py_ssize_t d,
                            const Options* opt) noexcept nogil:
    """Mean loss over ``rows`` at weights (w, b) (float64 total, in row order)."""
    cdef double total = 0.0
    cdef floating g
    cdef Py_ssize_t k
    for k in range(n_rows):
        total = total + <double>weighted_loss(opt.loss, <floating>opt.loss_param,
                                              opt.has_weights, row_dot(w, X, rows[k], d) + b,
                                              y, sw, rows[k], &g)
    return total / <double>n_rows


cdef bint all_finite(const floating* w, Py_ssize_t d) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(d):
        if not isfinite(w[j]):
            return False
    return True


cdef void restore_average(const Options* opt, floating* avg, floating* avg_b,
                          const floating* avg_start, Py_ssize_t d) noexcept nogil:
    """Put the averages back to their values at the start of the epoch."""
    if opt.average:
        memcpy(avg, avg_start, d * sizeof(floating))
        avg_b[0] = avg_start[d]


cdef int epochs_loop(const Rows* X, const floating* y, const floating* sw, floating* w,
                     floating* b, Py_ssize_t* order, Py_ssize_t n,
                     const Py_ssize_t* validation_rows, Py_ssize_t n_validation,
                     uint64_t* rng_state, Progress* prog, double* loss_out, double* lr_out,
                     double* validation_out, Py_ssize_t max_epochs, Py_ssize_t d,
                     const Options* opt, Buffers* buf, Py_ssize_t* n_run) noexcept nogil:
    """The multi-epoch loop with its stopping rules; returns a RunStatus."""
    cdef Py_ssize_t k
    cdef double loss_sum, mean_loss, monitored
    cdef floating b_start
    cdef floating* avg = <floating*>buf.average
    cdef floating* avg_b = <floating*>buf.average_b
    cdef floating* avg_start = <floating*>buf.average_start
    for k in range(max_epochs):
        memcpy(buf.coef_start, w, d * sizeof(floating))
        b_start = b[0]
        if opt.average:
            memcpy(avg_start, avg, d * sizeof(floating))
            avg_start[d] = avg_b[0]
        if opt.shuffle:
            shuffle_in_place(order, n, rng_state)
        lr_out[k] = scheduled_rate(opt, prog, prog.step + 1)
        if opt.method == METHOD_SGD:
            loss_sum = sgd_epoch(X, y, sw, w, b, order, n, d, opt, prog, buf)
        else:
            loss_sum = group_epoch(X, y, sw, w, b, order, n, d, opt, prog, buf, 0.0)
        if buf.stop:  # interrupted: back to the last completed epoch's weights
            memcpy(w, buf.coef_start, d * sizeof(floating))
            b[0] = b_start
            restore_average(opt, avg, avg_b, avg_start, d)
            return STATUS_INTERRUPTED
        mean_loss = loss_sum / <double>n
        loss_out[k] = mean_loss
        prog.epoch += 1
        n_run[0] = k + 1
        # An overflowing optimizer state (say Adam's squared gradients at inf)
        # would freeze the weights at a finite value: divergence too.
        if not (isfinite(mean_loss) and isfinite(b[0]) and all_finite(w, d) and (
                opt.plain or opt.lazy  # (neither uses the optimizer state)
                or all_finite(<floating*>buf.state, STATE_ROWS * (d + 1))) and (
                opt.average == 0 or (isfinite(avg_b[0]) and all_finite(avg, d)))):
            memcpy(w, buf.coef_start, d * sizeof(floating))
            b[0] = b_start
            restore_average(opt, avg, avg_b, avg_start, d)
            validation_out[k] = NAN  # not measured
            return STATUS_DIVERGED
        monitored = mean_loss
        if opt.early_stopping:
            # Measured at the weights the fit reports: the average, once it runs.
            if n_averaged(opt, prog.step):
                monitored = validation_loss(X, y, sw, avg, avg_b[0], validation_rows,
                                            n_validation, d, opt)
            else:
                monitored = validation_loss(X, y, sw, w, b[0], validation_rows, n_validation,
                                            d, opt)
            validation_out[k] = monitored
            if not isfinite(monitored):
                return STATUS_DIVERGED
        if opt.has_stop_loss and mean_loss < opt.stop_loss:
            return STATUS_CONVERGED
        if opt.monitors_plateau:
            if monitored > prog.best - opt.tol:
                prog.stall += 1
            else:
                prog.stall = 0
            if monitored < prog.best:
                prog.best = monitored
            if prog.stall >= opt.n_iter_no_change:
                if opt.schedule == SCHEDULE_ADAPTIVE and prog.adaptive_rate > ADAPTIVE_MIN_LR:
                    prog.adaptive_rate = prog.adaptive_rate / 5.0
                    prog.stall = 0
                else:
                    return STATUS_NO_IMPROVEMENT
    return STATUS_RAN_ALL


cdef void read_settings(Options* opt, settings, Py_ssize_t n) except *:
    """Fill ``opt`` from a fastgd._options.Settings for n training rows."""
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
    opt.loss = int(settings.loss)
    opt.loss_param = settings.loss_param
    opt.plain = settings.plain_sgd
    opt.optimizer = int(settings.optimizer)
    opt.momentum = settings.momentum
    opt.dampening = settings.dampening
    opt.nesterov = settings.nesterov
    opt.alpha = settings.alpha
    opt.eps = settings.eps
    opt.centered = settings.centered
    opt.beta1 = settings.beta1
    opt.beta2 = settings.beta2
    opt.beta1_log_hi = opt.beta1_log_lo = opt.beta2_log_hi = opt.beta2_log_lo = 0.0
    if opt.beta1 > 0:
        opt.beta1_log_hi = fgd_log_ext(opt.beta1, &opt.beta1_log_lo)
    if opt.beta2 > 0:
        opt.beta2_log_hi = fgd_log_ext(opt.beta2, &opt.beta2_log_lo)
    opt.amsgrad = settings.amsgrad
    opt.lr_decay = settings.lr_decay
    opt.weight_decay = settings.weight_decay
    opt.l1 = settings.l1
    opt.schedule = int(settings.schedule)
    opt.power_t = settings.power_t
    opt.gamma = settings.gamma
    opt.step_size = settings.step_size
    opt.lr_min = settings.lr_min
    opt.max_epochs = settings.max_epochs
    opt.monitors_plateau = settings.monitors_plateau
    opt.tol = 0.0 if settings.tol is None else settings.tol
    opt.n_iter_no_change = settings.n_iter_no_change
    opt.early_stopping = settings.early_stopping
    opt.average = settings.average
    if opt.average < 0:
        raise ValueError("run_epochs: average must be >= 0")
    if opt.step_size < 1 or opt.max_epochs < 1 or opt.n_iter_no_change < 1:
        raise ValueError("run_epochs: step_size, max_epochs and n_iter_no_change must be >= 1")


cdef int layout_of(const int* columns, const Py_ssize_t* starts, Py_ssize_t n_rows,
                   Py_ssize_t d, Py_ssize_t n_values) noexcept nogil:
    """0: canonical CSR rows (in bounds, strictly increasing columns in each
    row); 1: in bounds, but a row has unsorted or repeated columns; 2: broken."""
    cdef Py_ssize_t i, k, a, b
    cdef bint unsorted = False, outside = False
    if starts[0] != 0 or starts[n_rows] > n_values:
        return 2
    for i in range(n_rows):
        a = starts[i]
        b = starts[i + 1]
        if b < a or b > n_values:  # (before any read of the row)
            return 2
        if b > a:
            # Sorted rows are in bounds when their first and last columns are.
            outside = outside | (columns[a] < 0) | (columns[b - 1] >= d)
            for k in range(a + 1, b):
                unsorted = unsorted | (columns[k] <= columns[k - 1])
    if not (unsorted or outside):
        return 0
    for k in range(starts[n_rows]):
        if not 0 <= columns[k] < d:
            return 2
    return 1


def csr_layout(const int[::1] indices, const Py_ssize_t[::1] indptr, Py_ssize_t n_features,
               Py_ssize_t n_values):
    """Check CSR arrays in one compiled pass (see fastgd._sparse.check_csr).

    Returns 0 for canonical rows (in bounds, strictly increasing columns in
    each row), 1 for rows in bounds with unsorted or repeated columns, 2 for
    a broken structure (indptr not starting at 0, decreasing, or pointing
    past ``n_values`` stored values or past ``indices``; a column outside
    ``[0, n_features)``).  ``indptr`` has one entry per row plus one.
    """
    cdef int layout
    if indptr.shape[0] < 1:
        return 2
    if indptr[indptr.shape[0] - 1] > indices.shape[0]:
        return 2
    with nogil:
        layout = layout_of(&indices[0] if indices.shape[0] else NULL, &indptr[0],
                           indptr.shape[0] - 1, n_features, n_values)
    return layout


cdef int read_rows(X, Rows* rows, Py_ssize_t* n_rows, Py_ssize_t* d,
                   const floating[:, ::1] dense, const floating[::1] values,
                   const int[::1] columns, const Py_ssize_t[::1] starts) except -1:
    """Fill ``rows`` from dense X or from CSR arrays, checking the CSR structure.

    The structure is checked here (once per call, O(nnz)) so that no CSR
    array, however made, can send the loops to memory outside X.
    """
    cdef Py_ssize_t i, k, nnz
    if not rows.sparse:
        n_rows[0] = dense.shape[0]
        d[0] = dense.shape[1]
        rows.values = &dense[0, 0] if n_rows[0] and d[0] else NULL
        return 0
    n_rows[0], d[0] = X.shape
    if starts.shape[0] != n_rows[0] + 1:
        raise ValueError("run_epochs: X.indptr does not match X's rows")
    nnz = min(values.shape[0], columns.shape[0])
    if csr_layout(columns, starts, d[0], nnz) != 0:
        raise ValueError("run_epochs: X is not canonical CSR rows (indptr from 0, "
                         "non-decreasing, within X.data and X.indices; sorted, unique "
                         "columns of X in each row)")
    nnz = starts[n_rows[0]]
    rows.values = &values[0] if nnz else NULL
    rows.columns = &columns[0] if nnz else NULL
    rows.starts = &starts[0]
    return 0


cdef void read_progress(Progress* prog, const double[::1] progress) noexcept:
    prog.step = <Py_ssize_t>progress[0]
    prog.epoch = <Py_ssize_t>progress[1]
    prog.best = progress[2]
    prog.stall = <Py_ssize_t>progress[3]
    prog.adaptive_rate = progress[4]


cdef void write_progress(const Progress* prog, double[::1] progress) noexcept:
    progress[0] = <double>prog.step
    progress[1] = <double>prog.epoch
    progress[2] = prog.best
    progress[3] = <double>prog.stall
    progress[4] = prog.adaptive_rate


cdef tuple init_buffers(Buffers* buf, const Options* opt, bint sparse, Py_ssize_t d,
                        floating[:, ::1] optimizer_state, floating[::1] average_coef,
                        floating[::1] average_intercept):
    """Point ``buf`` at the state and at new work space; returns the arrays to keep alive.

    The work space is allocated once per call, never inside the loops.  With
    threads, a round holds many chunks per thread: each parallel region ends
    in a barrier, and on a busy machine a descheduled thread can hold the
    barrier for a whole scheduler time slice, so fewer, larger regions are
    much steadier.  Never more slots than a group has chunks, so memory stays
    bounded by the data whatever n_threads says.
    """
    cdef floating[::1] work
    cdef Py_ssize_t[::1] index_work = None
    cdef bint sparse_groups = sparse and opt.method != METHOD_SGD
    buf.n_slots = 1 if opt.n_threads == 1 or sparse else min(
        SLOTS_PER_THREAD * <Py_ssize_t>opt.n_threads,
        (opt.group_size + CHUNK_ROWS - 1) // CHUNK_ROWS)
    # (zeros: the sparse group update keeps its sums at zero between uses)
    work = (np.zeros if sparse_groups else np.empty)(
        (buf.n_slots + 1) * (d + 2) + d + (d + 1 if opt.average else 0),
        dtype=np.float32 if floating is float else np.float64)
    buf.chunk_serial = buf.group_serial = buf.chunk_columns = buf.group_columns = NULL
    buf.chunks_summed = buf.groups_summed = 0
    if sparse_groups:
        index_work = np.full(4 * d, -1, dtype=np.intp)
        buf.chunk_serial = &index_work[0]
        buf.group_serial = &index_work[d]
        buf.chunk_columns = &index_work[2 * d]
        buf.group_columns = &index_work[3 * d]
    buf.grad = &work[0]
    buf.slots = &work[d + 2]
    buf.coef_start = &work[(buf.n_slots + 1) * (d + 2)]
    buf.state = &optimizer_state[0, 0]
    buf.average = buf.average_b = buf.average_start = NULL
    if opt.average:
        buf.average = &average_coef[0]
        buf.average_b = &average_intercept[0]
        buf.average_start = &work[(buf.n_slots + 1) * (d + 2) + d]
    buf.work_since_check = 0
    buf.stop = False
    buf.error_type = buf.error_value = buf.error_traceback = NULL
    return work, index_work


def run_epochs(X, const floating[::1] y,
               const floating[::1] sample_weight, floating[::1] coef,
               floating[::1] intercept, Py_ssize_t[::1] order,
               const Py_ssize_t[::1] validation_rows, uint64_t[::1] rng_state,
               double[::1] progress, floating[:, ::1] optimizer_state,
               floating[::1] average_coef, floating[::1] average_intercept,
               double[::1] loss_out, double[::1] lr_out, double[::1] validation_out, settings):
    """Run up to ``len(loss_out)`` epochs; same contract as ``fastgd.reference.run_epochs``.

    ``X`` is a C-contiguous array of y's dtype or a ``fastgd._sparse.CSRRows``.
    ``coef``, ``intercept`` (length 1), ``order`` (the training rows),
    ``rng_state`` (length 1), ``progress``, ``optimizer_state`` and the
    averages are updated in place; ``loss_out``, ``lr_out`` and
    ``validation_out`` receive each epoch's mean loss, rate and validation
    loss.  Empty ``sample_weight``, ``validation_rows`` and averages mean
    none.  Returns ``(n_run, status)``.  The caller (``fastgd.fit``) has
    validated every shape and value.
    """
    cdef Py_ssize_t n_rows, d
    cdef Py_ssize_t n = order.shape[0]
    cdef Py_ssize_t n_validation = validation_rows.shape[0]
    cdef Py_ssize_t k
    cdef Options opt
    cdef Progress prog
    cdef Buffers buf
    cdef Rows rows
    cdef Py_ssize_t n_run = 0
    cdef int status
    cdef const floating* sw = NULL
    cdef const floating[:, ::1] dense = None
    cdef const floating[::1] values = None
    cdef const int[::1] columns = None
    cdef const Py_ssize_t[::1] starts = None
    rows.sparse = not isinstance(X, np.ndarray)
    rows.columns = NULL
    rows.starts = NULL
    if rows.sparse:
        values = X.data
        columns = X.indices
        starts = X.indptr
    else:
        dense = X
    read_rows(X, &rows, &n_rows, &d, dense, values, columns, starts)
    read_settings(&opt, settings, n)
    opt.has_weights = sample_weight.shape[0] > 0
    # Only the sparse kernels have the lazy and scaled paths: plain SGD,
    # possibly with (coupled) weight decay.
    opt.lazy = rows.sparse and opt.method == METHOD_SGD and opt.optimizer == OPTIMIZER_SGD \
        and opt.momentum == 0 and opt.l1 == 0
    opt.scaled = opt.lazy and opt.weight_decay != 0
    # The layer above guarantees these; checking them here (once, outside the
    # loops) keeps a direct call with bad shapes or rows from touching stray
    # memory.
    if n < 1 or d < 1 or y.shape[0] != n_rows or coef.shape[0] != d \
            or intercept.shape[0] != 1 or rng_state.shape[0] != 1 \
            or progress.shape[0] != PROGRESS_SIZE or optimizer_state.shape[0] != STATE_ROWS \
            or optimizer_state.shape[1] != d + 1 \
            or (opt.has_weights and sample_weight.shape[0] != n_rows) \
            or average_coef.shape[0] != (d if opt.average else 0) \
            or average_intercept.shape[0] != (1 if opt.average else 0) \
            or lr_out.shape[0] != loss_out.shape[0] \
            or validation_out.shape[0] != loss_out.shape[0] \
            or (opt.early_stopping and n_validation == 0):
        raise ValueError("run_epochs: inconsistent array shapes")
    for k in range(n):
        if not 0 <= order[k] < n_rows:
            raise ValueError("run_epochs: order holds a row outside X")
    for k in range(n_validation):
        if not 0 <= validation_rows[k] < n_rows:
            raise ValueError("run_epochs: validation_rows holds a row outside X")
    if loss_out.shape[0] == 0:
        return 0, _Status.RAN_ALL
    if opt.has_weights:
        sw = &sample_weight[0]
    read_progress(&prog, progress)
    keep_alive = init_buffers(&buf, &opt, rows.sparse, d, optimizer_state, average_coef,
                              average_intercept)
    with nogil:
        status = epochs_loop(&rows, &y[0], sw, &coef[0], &intercept[0], &order[0], n,
                             &validation_rows[0] if n_validation else NULL, n_validation,
                             &rng_state[0], &prog, &loss_out[0], &lr_out[0],
                             &validation_out[0], loss_out.shape[0], d, &opt, &buf, &n_run)
    write_progress(&prog, progress)
    if status == STATUS_INTERRUPTED:
        raise_kept_error(&buf)
    return n_run, _Status(status)


# ------------------------------------------------- row blocks (fastgd.dask)
#
# A fit over row blocks held elsewhere (fastgd.dask) runs the epoch loop
# itself, and the blocks' work through these three calls: the same chunk
# sums, the same step and the same group updates as run_epochs, so the bits
# are the ones a local fit of the gathered rows gives.


cdef int check_block(const floating[:, ::1] X, const floating[::1] y,
                     const floating[::1] sample_weight, Py_ssize_t d, str name) except -1:
    if X.shape[0] < 1 or X.shape[1] != d or y.shape[0] != X.shape[0] \
            or (sample_weight.shape[0] != 0 and sample_weight.shape[0] != X.shape[0]):
        raise ValueError(f"{name}: inconsistent array shapes")
    return 0


cdef int check_run_state(Py_ssize_t d, const double[::1] progress,
                         const floating[:, ::1] optimizer_state,
                         const floating[::1] average_coef, const floating[::1] average_intercept,
                         const Options* opt, str name) except -1:
    if d < 1 or progress.shape[0] != PROGRESS_SIZE or optimizer_state.shape[0] != STATE_ROWS \
            or optimizer_state.shape[1] != d + 1 \
            or average_coef.shape[0] != (d if opt.average else 0) \
            or average_intercept.shape[0] != (1 if opt.average else 0):
        raise ValueError(f"{name}: inconsistent array shapes")
    return 0


def block_chunk_sums(const floating[:, ::1] X, const floating[::1] y,
                     const floating[::1] sample_weight, const floating[::1] coef,
                     floating intercept, settings):
    """The sums of each CHUNK_ROWS-row chunk of X's rows, in row order.

    Returns an array of shape ``(ceil(n / CHUNK_ROWS), d + 2)``: row c holds
    chunk c's sums (from zero, rows in order) of ``g * x`` (``[:d]``), of
    ``g`` (``[d]``) and of the losses (``[d + 1]``) at the weights
    ``(coef, intercept)``, exactly as a group update sums that chunk.
    """
    cdef Py_ssize_t n = X.shape[0], d = coef.shape[0], n_chunks, c
    cdef Options opt
    cdef const floating* sw = NULL
    cdef Py_ssize_t[::1] rows
    cdef floating[:, ::1] out
    cdef int n_threads
    check_block(X, y, sample_weight, d, "block_chunk_sums")
    read_settings(&opt, settings, n)
    opt.has_weights = sample_weight.shape[0] > 0
    if opt.has_weights:
        sw = &sample_weight[0]
    n_chunks = (n + CHUNK_ROWS - 1) // CHUNK_ROWS
    rows = np.arange(n, dtype=np.intp)
    out = np.empty((n_chunks, d + 2), dtype=np.float32 if floating is float else np.float64)
    n_threads = round_threads(n_chunks, d, opt.n_threads)
    with nogil:
        if n_threads > 1:
            for c in prange(n_chunks, schedule="static", num_threads=n_threads):
                chunk_sums(&X[0, 0], &y[0], sw, &coef[0], intercept, &rows[c * CHUNK_ROWS],
                           min(n - c * CHUNK_ROWS, <Py_ssize_t>CHUNK_ROWS), d, &opt, &out[c, 0])
        else:
            for c in range(n_chunks):
                chunk_sums(&X[0, 0], &y[0], sw, &coef[0], intercept, &rows[c * CHUNK_ROWS],
                           min(n - c * CHUNK_ROWS, <Py_ssize_t>CHUNK_ROWS), d, &opt, &out[c, 0])
    return out.base


def step_from_chunk_sums(const floating[:, ::1] sums, Py_ssize_t m, floating[::1] coef,
                         floating[::1] intercept, double[::1] progress,
                         floating[:, ::1] optimizer_state, floating[::1] average_coef,
                         floating[::1] average_intercept, settings):
    """One group update of m rows from their chunks' sums (``block_chunk_sums``
    rows, all the group's chunks in row order; with row blocks, a block's
    chunks restart at its first row, so there may be more than m / CHUNK_ROWS).

    The sums are added in chunk order, as a group update adds them, and the
    step is taken; ``coef``, ``intercept``, the step count in ``progress``,
    ``optimizer_state`` and the averages are updated in place.  Returns the
    group's summed loss.
    """
    cdef Py_ssize_t d = coef.shape[0], c, j
    cdef Options opt
    cdef Progress prog
    cdef Buffers buf
    cdef floating[::1] G
    cdef floating L
    read_settings(&opt, settings, m)
    check_run_state(d, progress, optimizer_state, average_coef, average_intercept, &opt,
                    "step_from_chunk_sums")
    if sums.shape[0] < 1 or sums.shape[1] != d + 2 or intercept.shape[0] != 1 \
            or m < 1 or sums.shape[0] < (m + CHUNK_ROWS - 1) // CHUNK_ROWS or sums.shape[0] > m:
        raise ValueError("step_from_chunk_sums: inconsistent array shapes")
    read_progress(&prog, progress)
    keep_alive = init_buffers(&buf, &opt, False, d, optimizer_state, average_coef,
                              average_intercept)
    G = np.array(sums[0], copy=True)
    with nogil:
        for c in range(1, sums.shape[0]):
            for j in range(d + 2):
                G[j] = G[j] + sums[c, j]
        L = G[d + 1]
        group_step(&coef[0], &intercept[0], &G[0], m, d, &opt, &prog, &buf)
    write_progress(&prog, progress)
    return L


def block_group_updates(const floating[:, ::1] X, const floating[::1] y,
                        const floating[::1] sample_weight, floating[::1] coef,
                        floating[::1] intercept, uint64_t[::1] rng_state,
                        double[::1] progress, floating[:, ::1] optimizer_state,
                        floating[::1] average_coef, floating[::1] average_intercept,
                        double loss_start, settings):
    """Group updates over the rows of one block: the block's part of an epoch.

    The block's rows, shuffled first with ``rng_state`` when
    ``settings.shuffle`` (the permutation starts from row order), are taken
    in groups of ``settings.update_size(n)``, each one update.  ``coef``,
    ``intercept``, ``rng_state``, the step count in ``progress``,
    ``optimizer_state`` and the averages are updated in place.  Returns
    ``loss_start`` plus the groups' summed losses, added in group order (the
    epoch's running loss total).
    """
    cdef Py_ssize_t n = X.shape[0], d = coef.shape[0]
    cdef Options opt
    cdef Progress prog
    cdef Buffers buf
    cdef Rows rows
    cdef const floating* sw = NULL
    cdef Py_ssize_t[::1] order
    cdef double total
    check_block(X, y, sample_weight, d, "block_group_updates")
    read_settings(&opt, settings, n)
    check_run_state(d, progress, optimizer_state, average_coef, average_intercept, &opt,
                    "block_group_updates")
    if intercept.shape[0] != 1 or rng_state.shape[0] != 1:
        raise ValueError("block_group_updates: inconsistent array shapes")
    opt.has_weights = sample_weight.shape[0] > 0
    if opt.has_weights:
        sw = &sample_weight[0]
    rows.sparse = False
    rows.values = &X[0, 0]
    rows.columns = NULL
    rows.starts = NULL
    read_progress(&prog, progress)
    keep_alive = init_buffers(&buf, &opt, False, d, optimizer_state, average_coef,
                              average_intercept)
    order = np.arange(n, dtype=np.intp)
    with nogil:
        if opt.shuffle:
            shuffle_in_place(&order[0], n, &rng_state[0])
        total = group_epoch(&rows, &y[0], sw, &coef[0], &intercept[0], &order[0], n, d, &opt,
                            &prog, &buf, loss_start)
    write_progress(&prog, progress)
    if buf.stop:
        raise_kept_error(&buf)
    return total


def predict(X, const floating[::1] coef, floating intercept, floating[::1] out):
    """Write ``dot(coef, x) + intercept`` for each row of X (dense or CSRRows) into ``out``."""
    cdef Py_ssize_t n, d, i
    cdef Rows rows
    cdef const floating[:, ::1] dense = None
    cdef const floating[::1] values = None
    cdef const int[::1] columns = None
    cdef const Py_ssize_t[::1] starts = None
    rows.sparse = not isinstance(X, np.ndarray)
    rows.columns = NULL
    rows.starts = NULL
    if rows.sparse:
        values = X.data
        columns = X.indices
        starts = X.indptr
    else:
        dense = X
    read_rows(X, &rows, &n, &d, dense, values, columns, starts)
    if d < 1 or coef.shape[0] != d or out.shape[0] != n:
        raise ValueError("predict: inconsistent array shapes")
    with nogil:
        for i in range(n):
            out[i] = row_dot(&coef[0], &rows, i, d) + intercept


# ------------------------------------------------- elementary functions, sigmoid

def sigmoid(const double[::1] scores, double[::1] out):
    """The log loss's sigmoid of each score (reference: logistic), into ``out``."""
    cdef Py_ssize_t i
    cdef double p, e
    with nogil:
        for i in range(scores.shape[0]):
            p = scores[i]
            e = fgd_exp(-fabs(p))
            out[i] = 1.0 / (1.0 + e) if p >= 0 else e / (1.0 + e)


def elementary(str name, const double[::1] x, y=None):
    """fastgd's own ``name`` ("exp", "log1p", "log", "cos" or "pow") of each value.

    For tests and for :mod:`fastgd._portable`: the compiled twin of
    :mod:`fastgd.elementary`.  ``pow`` takes its exponents from ``y`` (an
    array of the same length).
    """
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double[::1] out = np.empty(n, dtype=np.float64)
    cdef const double[::1] exponents
    if name == "pow":
        if y is None:
            raise ValueError("elementary('pow', x, y) needs the exponents y")
        exponents = y
        if exponents.shape[0] != n:
            raise ValueError(f"x and y must have the same length, got {n} and {exponents.shape[0]}")
        with nogil:
            for i in range(n):
                out[i] = fgd_pow(x[i], exponents[i])
    elif name == "exp":
        with nogil:
            for i in range(n):
                out[i] = fgd_exp(x[i])
    elif name == "log1p":
        with nogil:
            for i in range(n):
                out[i] = fgd_log1p(x[i])
    elif name == "log":
        with nogil:
            for i in range(n):
                out[i] = fgd_log(x[i])
    elif name == "cos":
        with nogil:
            for i in range(n):
                out[i] = fgd_cos(x[i])
    else:
        raise ValueError(f"name must be exp, log1p, log, cos or pow, got {name!r}")
    return np.asarray(out)
