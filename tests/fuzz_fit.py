"""Hostile input for fastgd.fit: run as ``python tests/fuzz_fit.py N_CASES SEED LOG``.

Every case must end in a FitResult or a ValueError/TypeError whose message
names an argument; never a crash, a hang, another exception, a modified input
or an impossible result.  Before each case its description is written and
flushed to LOG, so when the interpreter dies the last line says which case
killed it (tests/test_fuzz.py runs this in a child process and reports that
line).  Prints ``cases N, results R, errors E`` on success (last line), after a line
counting the sparse cases and the predict calls.

A third of the cases pass a scipy.sparse X (every format, both classes, every dtype,
explicit zeros, empty rows, unsorted and duplicate indices, 10**7 columns, and, when
hostile, structures corrupted by assigning attributes after construction).  A fitted
result's ``decision_function`` and ``predict`` are then called on the training X and,
in half of the cases, on another sparse X drawn for them; a sparse X that check_csr
accepts must predict what its dense copy predicts.

With ``FASTGD_FUZZ_KEEP_GOING=1`` a failed check is counted and printed (with its
case) instead of stopping the run, so one run lists every kind of finding; a crash
still ends it.  With ``FASTGD_FUZZ_SHRINK=0`` hypothesis reports the first failing case
as drawn instead of shrinking it (minutes, for sparse cases): tests/test_fuzz.py uses
that, so a failing run ends about as soon as a passing one.
"""
import hashlib
import os
import re
import sys
import warnings

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fastgd
from fastgd._options import PROGRESS_STEPS
from fastgd._validation import check_average as average_start

ARGUMENTS = ("X", "y", "method", "lr", "max_epochs", "stop_loss", "batch_size", "reduction",
             "coef_init", "intercept_init", "fit_intercept", "shuffle", "random_state",
             "backend", "verbose", "callback", "n_threads", "loss", "loss_params",
             "optimizer", "optimizer_params", "weight_decay", "l1", "schedule",
             "schedule_params", "tol", "n_iter_no_change", "early_stopping",
             "validation_fraction", "sample_weight", "delta", "epsilon", "momentum",
             "dampening", "nesterov", "betas", "eps", "alpha", "amsgrad", "centered",
             "lr_decay", "initial_accumulator_value", "power_t", "gamma", "step_size",
             "lr_min", "average")
NAMES_AN_ARGUMENT = re.compile(r"\b(" + "|".join(ARGUMENTS) + r")\b")

SPECIAL_VALUES = [0.0, -0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, 5e-324, np.nan, np.inf,
                  -np.inf, 3.4e38, 1e-45]


@st.composite
def matrices(draw, hostile=True):
    """X in every form a user might pass, including (when hostile) invalid ones."""
    shape_kind = draw(st.sampled_from(["normal"] * 10 + ["one_row", "one_row", "one_column",
                                                         "wide"] + (["empty"] if hostile else [])))
    n, d = {"normal": (draw(st.integers(2, 60)), draw(st.integers(1, 12))),
            "empty": (0, 3), "one_row": (1, draw(st.integers(1, 5))),
            "one_column": (draw(st.integers(1, 40)), 1),
            "wide": (draw(st.integers(1, 3)), 10_000)}[shape_kind]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1.0, 1e300, 1e-300, 5e-324, 1e30]))
    with np.errstate(all="ignore"):
        X = rng.standard_normal((n, d)) * scale
    if n and draw(st.booleans()):
        X[:, 0] = draw(st.sampled_from([1.0, 0.0]))  # a constant column
    if n and hostile and draw(st.integers(0, 4)) == 0:
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf]))
    valid_forms = ["float64"] * 4 + ["float32"] * 2 + [
        "int", "bool", "float16", "object", "list", "tuple", "fortran", "strided", "reversed",
        "readonly"]
    form = draw(st.sampled_from(valid_forms + (["complex", "string", "3d", "1d"] if hostile
                                               else [])))
    with np.errstate(all="ignore"):
        if form == "float32":
            return X.astype(np.float32)
        if form == "int":
            return np.nan_to_num(X).clip(-1e9, 1e9).astype(np.int64)
        if form == "bool":
            return X > 0
        if form == "float16":
            return X.astype(np.float16)
        if form == "complex":
            return X.astype(np.complex128)
        if form == "object":
            return X.astype(object)
        if form == "string":
            return X.astype(str)
        if form == "list":
            return X.tolist()
        if form == "tuple":
            return tuple(map(tuple, X.tolist()))
        if form == "fortran":
            return np.asfortranarray(X)
        if form == "strided":
            return np.repeat(X, 2, axis=1)[:, ::2]
        if form == "reversed":
            return X[::-1]
        if form == "readonly":
            X.flags.writeable = False
            return X
        if form == "3d":
            return X[None]
        if form == "1d":
            return X.ravel()
    return X


SPARSE_FORMATS = ("csr", "csc", "coo", "lil", "dok", "bsr", "dia")
#: Stored values beyond a normal draw; NaN and infinities only in hostile cases.
SPARSE_SPECIALS = [0.0, -0.0, 1e300, -1e300, 1e-300, 5e-324, 3.4e38, 1e-45]
SPARSE_DTYPES = ["float64"] * 5 + ["float32"] * 3 + ["int8", "int64", "uint8", "bool",
                                                     "longdouble"]
#: scipy refuses to build these (float16 and object are assigned after construction).
HOSTILE_SPARSE_DTYPES = ["complex", "object", "float16"]
HUGE_COLUMNS = (10**6, 10**7)  # the kernels allocate O(n_features) work arrays


def _sparse_module():
    import scipy.sparse  # imported on first use, as fastgd does

    return scipy.sparse


def _divisors(k, most=4):
    return [b for b in range(1, most + 1) if k % b == 0]


def _compressed(cls, values, major, minor, n_major, shape, rng, unsorted):
    """A CSR (major = rows) or CSC (major = columns) from coordinates, as given:
    duplicates kept, each row's (column's) entries in random order when unsorted."""
    order = np.lexsort((rng.random(len(major)) if unsorted else minor, major))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(major, minlength=n_major))])
    index = np.int32 if max(shape) < 2**31 else np.int64
    return cls((values[order], minor[order].astype(index), indptr.astype(index)), shape=shape)


def _corruptions(fmt, X):
    """The names of the corruptions that apply to ``X`` (see :func:`_corrupt`)."""
    shape_ones = ["shape_more_rows", "shape_fewer_columns", "shape_negative", "shape_3d"]
    if fmt in ("csr", "csc", "bsr"):
        kinds = ["index_too_big", "index_huge", "index_negative", "index_unsigned_wrap",
                 "indptr_decreasing", "indptr_short", "indptr_long", "indptr_past_data",
                 "indptr_not_from_0", "indptr_decreasing_nnz0", "data_short", "data_long",
                 "indices_float", "indices_2d", "indices_none", "indices_list",
                 "lying_canonical_flag"]
        if fmt == "bsr":
            kinds.append("bsr_blocks_reshaped")
        else:
            kinds.append("data_2d")
        return kinds + shape_ones
    if fmt == "coo":
        return ["row_too_big", "col_negative", "coords_short", "coords_float", "coords_three",
                "coords_one", "data_2d", "lying_canonical_flag"] + shape_ones
    if fmt == "dia":
        return ["offsets_short", "offsets_long", "offsets_out_of_range", "offsets_repeated",
                "offsets_float", "data_1d", "data_narrow", "data_wide"] + shape_ones
    if fmt == "lil":
        return ["rows_short", "row_more_values", "row_fewer_values", "column_out_of_range",
                "column_negative", "columns_unsorted_repeated", "column_float", "column_string",
                "value_string", "value_none", "value_complex", "row_not_a_list"] + shape_ones
    return ["key_out_of_range", "key_negative", "key_not_a_tuple", "key_float", "key_three",
            "value_string", "value_none", "value_complex"] + shape_ones


def _corrupt(X, fmt, kind, rng):
    """Break ``X``'s structure in place by assigning its attributes (no constructor
    checks them); a corruption that does not apply to this X may leave it valid."""
    n, d = X.shape
    if kind.startswith("shape_"):
        X._shape = {"shape_more_rows": (n + 2, d), "shape_fewer_columns": (n, max(d - 1, 1)),
                    "shape_negative": (-1, d), "shape_3d": (n, d, 1)}[kind]
        return
    if fmt in ("csr", "csc", "bsr"):
        nnz = len(X.indices)
        k = int(rng.integers(nnz)) if nnz else 0
        limit = X.shape[0] if fmt == "csc" else X.shape[1]  # the first index out of range
        if fmt == "bsr":
            limit //= X.blocksize[1]
        if kind in ("index_too_big", "index_huge", "index_negative", "index_unsigned_wrap"):
            if not nnz:
                X.indices, X.data = np.array([limit]), np.ones((1,) + X.data.shape[1:])
                X.indptr = np.append(np.zeros(len(X.indptr) - 1, int), 1)
                return
            dtype = np.uint64 if kind == "index_unsigned_wrap" else np.int64
            X.indices = X.indices.astype(dtype)
            X.indices[k] = {"index_too_big": limit, "index_huge": 2**40, "index_negative": -1,
                            "index_unsigned_wrap": 2**64 - 1}[kind]
        elif kind == "indptr_decreasing":
            indptr = X.indptr.copy()
            indptr[1:-1] = indptr[-1]
            indptr[len(indptr) // 2] = 0
            X.indptr = indptr
        elif kind == "indptr_short":
            X.indptr = X.indptr[:-1]
        elif kind == "indptr_long":
            X.indptr = np.append(X.indptr, X.indptr[-1])
        elif kind == "indptr_past_data":
            X.indptr = X.indptr + np.arange(len(X.indptr)) * 3
        elif kind == "indptr_not_from_0":
            X.indptr = X.indptr + 1
        elif kind == "indptr_decreasing_nnz0":
            X.data, X.indices = X.data[:0], X.indices[:0]
            X.indptr = np.zeros_like(X.indptr)
            X.indptr[1] = 5
        elif kind == "data_short":
            X.data = X.data[:-1]
        elif kind == "data_long":
            X.data = np.concatenate([X.data, X.data[:1], X.data[:1]])
        elif kind == "indices_float":
            X.indices = X.indices + 0.5
        elif kind == "indices_2d":
            X.indices = X.indices[None]
        elif kind == "indices_none":
            X.indices = None
        elif kind == "indices_list":
            X.indices = X.indices.tolist()  # valid numbers, wrong container
        elif kind == "lying_canonical_flag":
            X.indices = X.indices[::-1].copy()  # unsorted (maybe), flags say otherwise
            X.has_sorted_indices = True
            X.has_canonical_format = True
        elif kind == "bsr_blocks_reshaped":
            X.data = X.data.reshape(X.data.shape[0], 1, X.data.shape[1] * X.data.shape[2])
        elif kind == "data_2d":
            X.data = X.data[:, None]
    elif fmt == "coo":
        row, col = X.coords
        if kind == "row_too_big" and len(row):
            row = row.copy()
            row[-1] = n
        elif kind == "col_negative" and len(col):
            col = col.astype(np.int64)  # (maybe stored unsigned)
            col[0] = -1
        elif kind == "coords_short":
            row, col = row[:-1], col[:-1]
        elif kind == "coords_float":
            col = col + 0.25
        if kind == "coords_three":
            X.coords = (row, col, col)
        elif kind == "coords_one":
            X.coords = (row,)
        elif kind == "data_2d":
            X.data = X.data[:, None]
        elif kind == "lying_canonical_flag":
            X.coords = (row[::-1].copy(), col[::-1].copy())
            X.has_canonical_format = True
        else:
            X.coords = (row, col)
    elif fmt == "dia":
        if kind == "offsets_short":
            X.offsets = X.offsets[:-1]
        elif kind == "offsets_long":
            X.offsets = np.append(X.offsets, 0)
        elif kind == "offsets_out_of_range":
            X.offsets = X.offsets + rng.choice([-1, 1]) * (n + d + 5)
        elif kind == "offsets_repeated":
            X.offsets = np.zeros_like(X.offsets)
        elif kind == "offsets_float":
            X.offsets = X.offsets + 0.5
        elif kind == "data_1d":
            X.data = X.data.ravel()
        elif kind == "data_narrow":
            X.data = X.data[:, :1]
        elif kind == "data_wide":
            X.data = np.hstack([X.data, X.data, X.data])
    elif fmt == "lil":
        i = int(rng.integers(n))
        if kind == "rows_short":
            X.rows = X.rows[:-1]
        elif kind == "row_more_values":
            X.data[i] = list(X.data[i]) + [1.0] * 50
        elif kind == "row_fewer_values":
            X.rows[i], X.data[i] = [0, d - 1] if d > 1 else [0], []
        elif kind == "column_out_of_range":
            X.rows[i], X.data[i] = [d + 3], [1.0]
        elif kind == "column_negative":
            X.rows[i], X.data[i] = [-1], [1.0]
        elif kind == "columns_unsorted_repeated":
            X.rows[i], X.data[i] = [d - 1, 0, d - 1, 0], [1.0, 2.0, 3.0, 4.0]
        elif kind == "column_float":
            X.rows[i], X.data[i] = [0.5], [1.0]
        elif kind == "column_string":
            X.rows[i], X.data[i] = ["a"], [1.0]
        elif kind == "value_string":
            X.rows[i], X.data[i] = [0], ["a"]
        elif kind == "value_none":
            X.rows[i], X.data[i] = [0], [None]
        elif kind == "value_complex":
            X.rows[i], X.data[i] = [0], [1 + 2j]
        elif kind == "row_not_a_list":
            X.rows[i] = 5
    else:  # dok: its entries live in a plain dict that no check guards
        key, value = (int(rng.integers(n)), int(rng.integers(d))), 1.0
        if kind == "key_out_of_range":
            key = (n + 3, 0)
        elif kind == "key_negative":
            key = (0, -1)
        elif kind == "key_not_a_tuple":
            key = 7
        elif kind == "key_float":
            key = (0.5, 0)
        elif kind == "key_three":
            key = (0, 0, 0)
        else:
            value = {"value_string": "a", "value_none": None, "value_complex": 1j}[kind]
        X._dict[key] = value


@st.composite
def sparse_matrices(draw, hostile=True, n_features=None):
    """A scipy.sparse X and a dict describing how it was made (for the log and checks).

    With ``n_features``, an X for predicting with a model of that many features
    (hostile: sometimes one feature more or less).
    """
    sp = _sparse_module()
    meta = {}
    if n_features is None:
        shape_kind = draw(st.sampled_from(
            ["normal"] * 12 + ["one_row", "one_column", "empty_rows", "empty_rows", "no_values",
                               "wide", "wide", "huge"]
            + (["no_rows", "no_columns", "too_wide", "1d", "nd"] if hostile else [])))
    else:
        shape_kind = draw(st.sampled_from(["normal"] * 4 + ["one_row", "empty_rows",
                                                            "no_values"]
                                          + (["no_rows"] if hostile else [])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = {"one_row": 1, "no_rows": 0, "wide": draw(st.integers(1, 4)),
         "huge": draw(st.integers(1, 3)), "too_wide": 2}.get(shape_kind,
                                                            draw(st.integers(1, 60)))
    if n_features is not None:
        d = n_features
        if hostile and draw(st.integers(0, 4)) == 0:
            d = max(1, d + draw(st.sampled_from([-1, 1])))
    else:
        d = {"one_column": 1, "no_columns": 0, "wide": 10**5,
             "huge": draw(st.sampled_from(HUGE_COLUMNS)),
             "too_wide": 2**31 + 3}.get(shape_kind, draw(st.integers(1, 40)))
    meta["shape_kind"] = shape_kind
    if shape_kind in ("1d", "nd"):
        X = (sp.coo_array(rng.standard_normal(d)) if shape_kind == "1d" else
             sp.coo_array(rng.standard_normal((n, d, 2))))
        return X, meta
    # The stored entries, as coordinates.
    if n * d >= 10**5 or not n or not d:
        nnz = draw(st.integers(0, 12)) if n and d else 0
        rows, cols = rng.integers(0, max(n, 1), nnz), rng.integers(0, max(d, 1), nnz)
        if nnz:
            cols[0] = d - 1  # the last column is where an off-by-one would show
    else:
        density = draw(st.sampled_from([0.05, 0.3, 0.3, 1.0]))
        mask = rng.random((n, d)) < density
        if shape_kind == "empty_rows":
            mask[rng.random(n) < 0.5] = False
        if shape_kind == "no_values":
            mask[:] = False
        rows, cols = np.nonzero(mask)
    nnz = len(rows)
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e300, 1e-300, 1e30]))
    with np.errstate(all="ignore"):
        values = rng.standard_normal(nnz) * scale
    if nnz and draw(st.integers(0, 3)) == 0:
        specials = SPARSE_SPECIALS + ([np.nan, np.inf, -np.inf] if hostile else [])
        picked = rng.random(nnz) < 0.3
        values[picked] = draw(st.sampled_from(specials))
        meta["special"] = True
    if nnz and draw(st.integers(0, 3)) == 0:
        values[rng.random(nnz) < 0.3] = 0.0  # explicitly stored zeros
        meta["explicit_zeros"] = True
    if nnz and draw(st.integers(0, 4)) == 0:
        again = rng.integers(0, nnz, draw(st.integers(1, 5)))
        rows, cols = np.append(rows, rows[again]), np.append(cols, cols[again])
        values = np.append(values, rng.standard_normal(len(again)))
        meta["duplicates"] = True
    unsorted = bool(draw(st.integers(0, 3)) == 0)
    if unsorted:
        meta["unsorted"] = True
    dtype = draw(st.sampled_from(SPARSE_DTYPES + (HOSTILE_SPARSE_DTYPES if hostile else [])))
    meta["dtype"] = dtype
    with np.errstate(all="ignore"):
        if dtype in ("int8", "uint8"):
            info = np.iinfo(dtype)
            values = np.nan_to_num(values * 40).clip(info.min, info.max).astype(dtype)
        elif dtype == "int64":
            values = np.nan_to_num(values).clip(-1e18, 1e18).astype(np.int64)
        elif dtype == "bool":
            values = values > 0  # False values stay stored: explicit zeros
        elif dtype == "complex":
            values = values + 1j * values
        elif dtype in ("float32", "longdouble"):
            values = values.astype(dtype)
    # The format and class; scipy refuses float16 and object data, so those are
    # assigned after construction.
    formats = SPARSE_FORMATS
    if d > 10**5 or shape_kind in ("huge", "too_wide"):
        # 10**7 columns: DIA stores n_diagonals x d values, CSC and BSR an indptr per
        # column (at most 10**7 + 1 of them), more than 2**31 would not fit in memory.
        formats = ("csr", "coo", "lil", "dok") if d > 10**7 else ("csr", "csc", "coo", "lil",
                                                                  "dok", "bsr")
    if "dia" in formats and nnz and len(np.unique(cols - rows)) * max(n, d) > 10**6:
        formats = tuple(f for f in formats if f != "dia")  # DIA stores whole diagonals
    fmt = draw(st.sampled_from(formats))
    container = draw(st.sampled_from(["matrix", "array"]))
    cls = getattr(sp, f"{fmt}_{container}")
    meta["class"] = cls.__name__
    build_dtype = np.float64 if dtype in ("float16", "object") else values.dtype
    built = values.astype(build_dtype)
    if fmt == "csr":
        X = _compressed(cls, built, rows, cols, n, (n, d), rng, unsorted)
    elif fmt == "csc":
        X = _compressed(cls, built, cols, rows, d, (n, d), rng, unsorted)
    else:
        if unsorted:
            order = rng.permutation(nnz)
            rows, cols, built = rows[order], cols[order], built[order]
        X = sp.coo_array((built, (rows, cols)), shape=(n, d))
        if fmt == "bsr" and n and d:
            blocksize = (draw(st.sampled_from(_divisors(n))), draw(st.sampled_from(_divisors(d))))
            X = cls(X.tocsr().tobsr(blocksize=blocksize))
            meta["blocksize"] = blocksize
        elif fmt != "coo":
            X = cls(X.asformat(fmt))
        else:
            X = cls(X)
    if dtype in ("float16", "object"):
        if fmt in ("lil", "dok"):
            X.dtype = np.dtype(dtype)
        else:
            with np.errstate(over="ignore"):  # 1e300 becomes inf in float16, as it should
                X.data = X.data.astype(dtype)
    # How the index arrays are stored: int64, unsigned, strided, big-endian, read-only.
    if fmt in ("csr", "csc", "bsr", "coo") and draw(st.integers(0, 2)) == 0:
        storage = draw(st.sampled_from(["int64", "int64", "uint32", "strided", "big_endian",
                                        "readonly"]))
        meta["storage"] = storage

        def stored(arr):
            if storage in ("int64", "uint32"):
                return arr.astype(storage)
            if storage == "strided":
                return np.repeat(arr, 2)[::2]
            if storage == "big_endian":
                return arr.astype(arr.dtype.newbyteorder(">"))
            arr = arr.copy()
            arr.flags.writeable = False
            return arr
        if fmt == "coo":
            X.coords = tuple(stored(c) for c in X.coords)
        else:
            X.indices, X.indptr = stored(X.indices), stored(X.indptr)
        if storage in ("strided", "big_endian", "readonly") and X.data.ndim == 1 \
                and X.data.dtype.kind == "f" and X.data.dtype.itemsize <= 8:
            X.data = stored(X.data)
    if hostile and n and d and draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(_corruptions(fmt, X)))
        meta["corrupt"] = kind
        _corrupt(X, fmt, kind, rng)
    return X, meta


def is_sparse(value):
    return "scipy.sparse" in sys.modules and _sparse_module().issparse(value)


def shape_of(X):
    """X's shape as fit sees it (a sparse X's own; () when there is none)."""
    if is_sparse(X):
        return tuple(X.shape)
    try:
        return np.shape(np.asarray(X))
    except (ValueError, TypeError):
        return ()


def length(X):
    if is_sparse(X):  # (a corrupted shape may say -1)
        return max(X.shape[0], 0) if len(X.shape) else 0
    try:
        return len(X)
    except TypeError:
        return 0


@st.composite
def targets(draw, n, hostile=True):
    kind = draw(st.sampled_from(["real"] * 4 + ["labels01", "labels11", "list"] + (
        ["mismatched", "nan", "2d", "strings", "scalar"] if hostile else [])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "labels01":
        return (rng.random(n) > 0.5).astype(float)
    if kind == "labels11":
        return np.where(rng.random(n) > 0.5, 1.0, -1.0)
    if kind == "mismatched":
        return rng.standard_normal(n + draw(st.sampled_from([-1, 1, 5])) if n else 3)
    if kind == "nan":
        y = rng.standard_normal(n)
        if n:
            y[draw(st.integers(0, n - 1))] = draw(st.sampled_from([np.nan, np.inf]))
        return y
    if kind == "2d":
        return rng.standard_normal((n, 2))
    if kind == "list":
        return rng.standard_normal(n).tolist()
    if kind == "strings":
        return np.array(["a"] * n)
    if kind == "scalar":
        return 1.0
    return rng.standard_normal(n) * draw(st.sampled_from([1.0, 1e300, 1e-300]))


ABSURD = [0, -1, 1e300, -1e300, 1e-300, np.nan, np.inf, "a", None, True, [1], 2**70]
#: ``average`` is a bool or an int >= 0 (the step averaging starts at): everything else.
AVERAGE_ABSURD = [2**70, 2**63, -1, 1.5, 2.0, "x", None, np.int64(3), np.int8(-1), True,
                  np.True_, np.uint64(2**64 - 1), np.array(3), np.array([3]), [1], np.nan]


@st.composite
def odd(draw, *normal, hostile=True):
    """A parameter value: usually a normal one, one time in eight (if hostile) absurd."""
    if hostile and draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(ABSURD))
    return draw(st.sampled_from(normal))


@st.composite
def calls(draw):
    # Half the cases are hostile; the other half valid, so that fits run to the end
    # and their results are checked too.
    hostile = draw(st.booleans())
    # A third of the cases pass a scipy.sparse X.
    meta = None
    if draw(st.integers(0, 2)) == 0:
        X, meta = draw(sparse_matrices(hostile))
    else:
        X = draw(matrices(hostile))
    n = length(X)
    y = draw(targets(n, hostile))
    kwargs = {}
    options = {
        "method": odd("sgd", "minibatch", "batch", hostile=hostile),
        "lr": odd(1e-3, 0.1, 1.0, 1e300, hostile=hostile),
        "max_epochs": odd(1, 2, 3, hostile=hostile),
        "batch_size": odd(1, 7, 10**9, hostile=hostile),
        "reduction": odd("mean", "sum", hostile=hostile),
        "fit_intercept": odd(True, False, hostile=hostile),
        "shuffle": odd(True, False, hostile=hostile),
        "random_state": odd(0, 2**64 - 1, 2**64, hostile=hostile),
        "intercept_init": odd(0.0, 1e300, hostile=hostile),
        "n_threads": odd(1, 2, 10**12, hostile=hostile),
        "loss": odd("squared", "huber", "epsilon_insensitive", "log", "hinge",
                    "modified_huber", "nope", hostile=hostile),
        "optimizer": odd("sgd", "adagrad", "rmsprop", "adam", "adamw", "lbfgs", hostile=hostile),
        "schedule": odd("constant", "invscaling", "cosine", "adaptive", "step", hostile=hostile),
        "weight_decay": odd(None, 0.0, 0.01, hostile=hostile),
        "l1": odd(0.0, 1e-3, hostile=hostile),
        "tol": odd(None, 1e-3, hostile=hostile),
        "n_iter_no_change": odd(1, 5, hostile=hostile),
        "early_stopping": odd(False, True, hostile=hostile),
        "validation_fraction": odd(0.1, 0.5, 0.99, hostile=hostile),
        "stop_loss": odd(None, 0.0, np.inf, hostile=hostile),
        "average": odd(False, True, 0, 1, 2, 10, 10**6, 2**62, hostile=hostile),
    }
    for name, strategy in options.items():
        if draw(st.integers(0, 3)) == 0:
            kwargs[name] = draw(strategy)
    if draw(st.integers(0, 5)) == 0 and hostile:
        kwargs["optimizer_params"] = draw(st.sampled_from([
            {"momentum": 0.9}, {"momentum": -1}, {"betas": (0.9, 1.0)}, {"betas": 0.9},
            {"eps": 0.0}, {"nesterov": True}, {"bogus": 1}, "not a dict", {"alpha": 2.0},
            {"momentum": 0.9, "nesterov": True}, {"centered": "yes"}]))
    if draw(st.integers(0, 5)) == 0 and hostile:
        kwargs["schedule_params"] = draw(st.sampled_from([
            {"gamma": 0.5}, {"step_size": 0}, {"step_size": 2}, {"power_t": -1},
            {"lr_min": 1e9}, {"gamma": np.nan}, [1, 2]]))
    if draw(st.integers(0, 5)) == 0 and hostile:
        kwargs["average"] = draw(st.sampled_from(AVERAGE_ABSURD))
    if draw(st.integers(0, 2)) == 0:
        loss = draw(st.sampled_from(["huber", "epsilon_insensitive"]))
        kwargs["loss"] = loss
        kwargs["loss_params"] = draw(st.sampled_from(
            [{"delta": 2.0}, {"delta": 0.1}] * 3 + [{"delta": 0.0}, {"x": 1}]
            if loss == "huber" else
            [{"epsilon": 0.5}, {"epsilon": 0.0}] * 3 + [{"epsilon": -1.0}, {"delta": 1}]))
    if draw(st.integers(0, 4)) == 0:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        kwargs["sample_weight"] = draw(st.sampled_from([
            rng.random(n), -rng.random(n), np.full(n, np.nan), rng.random(n + 1),
            rng.random(n).tolist(), np.zeros(n)]))
    if draw(st.integers(0, 4)) == 0:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        shape = shape_of(X)
        # (at most 10**7 + 1: an X with 2**31 columns is refused, its coef_init need not be)
        width = max(min(shape[-1], 10**7 + 1), 0) if len(shape) >= 1 and n else 1
        kwargs["coef_init"] = draw(st.sampled_from([
            rng.standard_normal(width), rng.standard_normal(width + 1),
            np.full(width, np.nan), [[1.0]], "abc"]))
    kwargs.setdefault("max_epochs", draw(st.integers(1, 3)))  # keeps cases fast
    if draw(st.integers(0, 8)) == 0:
        # A huge epoch budget is fine when something stops the fit at once.
        kwargs.update(max_epochs=10**12, stop_loss=np.inf)
    if draw(st.integers(0, 6)) == 0 and n <= 40 and np.ndim(X) == 2 and np.shape(X)[1] <= 12:
        kwargs["backend"] = "python"
    # X for the fitted result's decision_function and predict: the training X, and
    # in half of the cases a sparse one drawn for a model of X's width.
    predict_with = [(X, meta)]
    shape = shape_of(X)
    if len(shape) == 2 and 1 <= shape[1] <= 10**7 and draw(st.booleans()):
        predict_with.append(draw(sparse_matrices(hostile, n_features=shape[1])))
    return X, y, kwargs, {"meta": meta, "predict_with": predict_with}


def fingerprint(value):
    """Something that changes if an input is modified in place (arrays, lists, sparse X)."""
    if is_sparse(value):
        # Every attribute: its identity (not rebound) and its contents (data,
        # indices, indptr, coords, offsets, LIL's lists, DOK's dict, the shape, flags).
        return type(value), [(key, id(attr), fingerprint(attr) or repr(attr))
                             for key, attr in sorted(vars(value).items())]
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return value.shape, repr(value.tolist())
        return (value.dtype.str, value.shape, value.flags.writeable,
                hashlib.blake2b(value.tobytes()).hexdigest())
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        return [fingerprint(v) for v in value]
    if isinstance(value, dict):
        return repr(list(value.items()))
    if isinstance(value, (list, tuple)):
        return repr(value)
    return None


def describe(X, y, kwargs, extras=None):
    metas = {id(P): meta for P, meta in (extras or {}).get("predict_with", [])}

    def short(value):
        if is_sparse(value):  # nothing that reads a (maybe corrupted) structure
            meta = " ".join(f"{key}={item}" for key, item in (metas.get(id(value)) or
                                                                {}).items())
            return f"{type(value).__name__}(shape={value._shape}, {meta})"
        if isinstance(value, np.ndarray):
            return f"ndarray(shape={value.shape}, dtype={value.dtype}, " \
                   f"c={value.flags.c_contiguous}, writeable={value.flags.writeable})"
        if isinstance(value, (list, tuple)):
            return f"{type(value).__name__}(len={len(value)})"
        return repr(value)
    predict = [P for P, _ in (extras or {}).get("predict_with", [])[1:]]
    return f"X={short(X)} y={short(y)} " + " ".join(
        f"{key}={short(value)}" for key, value in kwargs.items()) + "".join(
        f" predict_X={short(P)}" for P in predict)


class Tally:
    cases = results = errors = 0
    sparse_cases = sparse_results = sparse_errors = 0
    predict_calls = predict_results = predict_errors = dense_comparisons = 0
    failures = []


def dense_copy_comparable(P, meta):
    """Whether ``P.toarray()`` holds exactly the values fit reads from sparse ``P``:
    a valid structure (not corrupted), no duplicates (summed in another order),
    a dtype scipy sums and converts as fastgd does, and small enough to densify."""
    return (is_sparse(P) and meta is not None and "corrupt" not in meta
            and "duplicates" not in meta and len(P.shape) == 2
            and meta.get("dtype") in ("float64", "float32", "int8", "int64", "uint8", "bool",
                                      "longdouble")
            and P.shape[0] * P.shape[1] <= 10**6)


def call_predictor(method, P):
    """``method(P)``: the result (an array), or the class of a clear error."""
    Tally.predict_calls += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = method(P)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert NAMES_AN_ARGUMENT.search(message), f"unclear error from {method.__name__}: " \
                                                  f"{message!r}"
        Tally.predict_errors += 1
        return type(exc)
    Tally.predict_results += 1
    return out


def check_predictions(result, P, meta):
    """decision_function and predict on ``P``: a result of P's length or a clear error;
    a sparse P gives what its dense copy gives."""
    scores = call_predictor(result.decision_function, P)
    labels = call_predictor(result.predict, P)
    for out in (scores, labels):
        if isinstance(out, np.ndarray):
            assert out.shape == (shape_of(P)[0],) and out.dtype == result.coef.dtype, \
                (out.shape, out.dtype)
    assert isinstance(scores, np.ndarray) == isinstance(labels, np.ndarray)
    if dense_copy_comparable(P, meta):
        Tally.dense_comparisons += 1
        dense = call_predictor(result.decision_function, P.toarray())
        if isinstance(scores, np.ndarray) and isinstance(dense, np.ndarray):
            assert np.array_equal(scores, dense, equal_nan=True), \
                "a sparse X and its dense copy predict differently"
        else:
            assert scores is dense, f"sparse X: {scores}, its dense copy: {dense}"


def check_average(result, average):
    """The averaged and last-step weights: both finite, the same until averaging starts."""
    start = average_start(average)  # fit accepted it
    assert result.unaveraged_coef.dtype == result.coef.dtype
    assert np.isfinite(result.unaveraged_coef).all()
    assert np.isfinite(result.unaveraged_intercept)
    steps = int(result._state[1][PROGRESS_STEPS])
    if start == 0 or steps < start:
        assert np.array_equal(result.coef, result.unaveraged_coef)
        assert result.intercept == result.unaveraged_intercept


def check_case(X, y, kwargs, extras, log):
    log.write(describe(X, y, kwargs, extras) + "\n")
    log.flush()
    Tally.cases += 1
    sparse = is_sparse(X)
    Tally.sparse_cases += sparse
    predict_with = extras["predict_with"]
    inputs = [X, y] + list(kwargs.values()) + [P for P, _ in predict_with[1:]]
    before = [fingerprint(v) for v in inputs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any other warning is a finding
            warnings.simplefilter("ignore", fastgd.DivergenceWarning)
            warnings.simplefilter("ignore", fastgd.DenseUpdateWarning)  # documented, expected
            result = fastgd.fit(X, y, **kwargs)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert NAMES_AN_ARGUMENT.search(message), f"unclear error: {message!r}"
        Tally.errors += 1
        Tally.sparse_errors += sparse
    else:
        Tally.results += 1
        Tally.sparse_results += sparse
        max_epochs = kwargs.get("max_epochs", 1000)
        assert 1 <= result.n_epochs <= max_epochs
        assert len(result.loss_history) == len(result.lr_history) == result.n_epochs
        assert np.isfinite(result.coef).all() and np.isfinite(result.intercept)
        assert result.coef.shape == (shape_of(X)[1],)
        assert result.diverged == (result.stop_reason == "diverged")
        if not result.diverged:
            assert np.isfinite(result.loss_history).all()
        check_average(result, kwargs.get("average", False))
        for P, meta in predict_with:
            check_predictions(result, P, meta)
    after = [fingerprint(v) for v in inputs]
    assert before == after, "an input was modified"


def main(n_cases, seed, log_path):
    with open(log_path, "w") as log:
        @settings(max_examples=n_cases, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck),
                  phases=[phase for phase in Phase if SHRINK or phase != Phase.shrink])
        @given(calls())
        def run(call):
            if not KEEP_GOING:
                check_case(*call, log)
                return
            try:
                check_case(*call, log)
            except Exception as exc:  # noqa: BLE001 - every finding is listed
                Tally.failures.append(f"{type(exc).__name__}: {exc}")
                print(f"FAILURE {type(exc).__name__}: {exc}\n  case: {describe(*call)}",
                      flush=True)

        run._hypothesis_internal_use_seed = seed
        run()
    if Tally.failures:
        print(f"failures {len(Tally.failures)}, of {len(set(Tally.failures))} kinds")
    print(f"sparse cases {Tally.sparse_cases} (results {Tally.sparse_results}, errors "
          f"{Tally.sparse_errors}); predict calls {Tally.predict_calls} (results "
          f"{Tally.predict_results}, errors {Tally.predict_errors}, sparse vs dense "
          f"{Tally.dense_comparisons})")
    print(f"cases {Tally.cases}, results {Tally.results}, errors {Tally.errors}")


KEEP_GOING = os.environ.get("FASTGD_FUZZ_KEEP_GOING") == "1"
SHRINK = os.environ.get("FASTGD_FUZZ_SHRINK", "1") != "0"

if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
