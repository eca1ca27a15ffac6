"""check_csr: every sparse format, dtype, canonical form and corrupted structure.

Corrupted matrices are built by overwriting a valid matrix's arrays after
construction (scipy's constructors would refuse or repair most of them), so
that it is check_csr, not scipy's constructor, that has to notice.
"""
import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import fastgd._sparse
from fastgd._sparse import CSRRows, check_csr, check_finite_csr, is_sparse

DENSE = np.array([[1.0, 0.0, 2.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0],
                  [0.0, 3.0, 0.0, 4.0],
                  [5.0, 0.0, 0.0, 6.0]])

FORMATS = ["csr", "csc", "coo", "bsr", "dia", "lil", "dok"]


def snapshot(X):
    """Copies of everything check_csr could change on a CSR/CSC X."""
    return {attr: (type(getattr(X, attr)), getattr(X, attr).dtype, getattr(X, attr).copy())
            for attr in ("data", "indices", "indptr")}


def assert_unchanged(X, before):
    for attr, (kind, dtype, values) in before.items():
        now = getattr(X, attr)
        assert type(now) is kind and now.dtype == dtype, attr
        np.testing.assert_array_equal(now, values, err_msg=attr, strict=True)


def assert_canonical(rows):
    """The layout every kernel trusts, checked from scratch."""
    assert isinstance(rows, CSRRows)
    assert rows.data.dtype in (np.float32, np.float64)
    assert rows.indices.dtype == np.int32 and rows.indptr.dtype == np.intp
    for arr in (rows.data, rows.indices, rows.indptr):
        assert arr.ndim == 1 and arr.flags.c_contiguous
    n_rows, n_features = rows.shape
    assert type(n_rows) is int and type(n_features) is int
    assert rows.indptr.shape == (n_rows + 1,) and rows.indptr[0] == 0
    assert np.all(np.diff(rows.indptr) >= 0)
    assert rows.data.shape == rows.indices.shape == (rows.nnz,)
    for r in range(n_rows):
        cols = rows.indices[rows.indptr[r]:rows.indptr[r + 1]]
        assert np.all(np.diff(cols) > 0), f"row {r} not strictly increasing: {cols}"
        assert np.all((cols >= 0) & (cols < n_features))


def csr(dense=DENSE, **kwargs):
    return sp.csr_matrix(dense, **kwargs)


# --- formats ----------------------------------------------------------------------------

@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_converts_to_the_same_rows(container, fmt):
    X = container(DENSE).asformat(fmt)
    rows = check_csr(X)
    assert_canonical(rows)
    assert rows.shape == (4, 4) and rows.nnz == 6
    dense = rows.toarray()
    assert dense.dtype == np.float64 and dense.flags.c_contiguous
    np.testing.assert_array_equal(dense, DENSE, strict=True)


def test_bsr_with_larger_blocks_keeps_its_stored_zeros():
    X = sp.bsr_matrix(DENSE, blocksize=(2, 2))
    rows = check_csr(X)
    assert_canonical(rows)
    assert rows.nnz == X.nnz  # zeros stored inside blocks are kept, like any stored value
    np.testing.assert_array_equal(rows.toarray(), DENSE)


def test_canonical_csr_is_not_copied():
    X = csr()
    rows = check_csr(X)
    assert rows.data is X.data or np.shares_memory(rows.data, X.data)
    assert np.shares_memory(rows.indices, X.indices)


def test_csr_rows_properties():
    rows = check_csr(csr(DENSE.astype(np.float32)))
    assert rows.dtype == np.float32
    assert rows.nnz == 6 and type(rows.nnz) is int
    assert rows.size == 6 + 4
    assert rows.ndim == 2
    assert rows.toarray().dtype == np.float32


def test_explicit_zeros_are_kept():
    X = sp.csr_matrix((np.array([0.0, 1.0, 0.0]), np.array([0, 2, 1]), np.array([0, 2, 3])),
                      shape=(2, 3))
    rows = check_csr(X)
    assert rows.nnz == 3
    np.testing.assert_array_equal(rows.data, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(rows.toarray(), X.toarray())


# --- dtypes -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_are_kept(dtype):
    X = csr(DENSE.astype(dtype))
    rows = check_csr(X)
    assert rows.dtype == dtype
    assert np.shares_memory(rows.data, X.data)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64,
                                   np.float16, np.longdouble])
def test_other_real_dtypes_become_float64(dtype):
    X = csr()
    X.data = X.data.astype(dtype)  # scipy's constructors refuse float16
    rows = check_csr(X)
    assert rows.dtype == np.float64
    np.testing.assert_array_equal(rows.toarray(), DENSE.astype(dtype).astype(np.float64))


def test_big_endian_float64_becomes_native():
    X = csr()
    X.data = X.data.astype(">f8")
    rows = check_csr(X)
    assert rows.dtype == np.float64 and rows.dtype.isnative
    np.testing.assert_array_equal(rows.toarray(), DENSE)


@pytest.mark.parametrize("source, target", [(np.float64, np.float32), (np.float32, np.float64),
                                            (np.int64, np.float32)])
def test_dtype_argument_casts(source, target):
    rows = check_csr(csr(DENSE.astype(source)), dtype=target)
    assert rows.dtype == target
    np.testing.assert_array_equal(rows.toarray(), DENSE.astype(target))


def test_float64_beyond_float32_range_refused_for_float32():
    X = csr(np.array([[1e300, 0.0]]))
    with pytest.raises(ValueError, match="Xv has values beyond float32"):
        check_csr(X, "Xv", dtype=np.float32)


def test_bad_dtype_argument_refused():
    with pytest.raises(ValueError, match="dtype must be"):
        check_csr(csr(), dtype=np.int32)


def test_complex_refused_with_name_and_dtype():
    X = sp.csr_matrix(DENSE.astype(np.complex128))
    with pytest.raises(ValueError, match=r"X_valid must hold real numbers.*complex.*complex128"):
        check_csr(X, "X_valid")


@pytest.mark.parametrize("values, kind", [
    (np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=object), "object"),
    (np.array(list("abcdef")), "string"),
])
def test_object_and_string_data_refused(values, kind):
    X = csr()
    X.data = values  # scipy refuses these dtypes in its constructors
    with pytest.raises(ValueError, match=rf"X_new must hold real numbers.*{kind}"):
        check_csr(X, "X_new")


def test_integer_duplicates_are_summed_without_wrapping():
    X = sp.csr_matrix((np.array([100, 100], dtype=np.int8), np.array([0, 0]), np.array([0, 2])),
                      shape=(1, 2))
    rows = check_csr(X)
    np.testing.assert_array_equal(rows.toarray(), [[200.0, 0.0]])


# --- canonical form ---------------------------------------------------------------------

def unsorted_with_duplicates(dtype=np.float64):
    data = np.array([2.0, 1.0, 4.0, 5.0, 3.0, 0.5, -1.0, 1.0], dtype=dtype)
    indices = np.array([2, 0, 3, 1, 3, 1, 0, 0], dtype=np.int32)
    indptr = np.array([0, 2, 2, 6, 8], dtype=np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(4, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_unsorted_and_duplicate_indices_give_a_canonical_copy(dtype):
    X = unsorted_with_duplicates(dtype)
    before = snapshot(X)
    expected = X.toarray()  # scipy sums duplicates
    rows = check_csr(X)
    assert_canonical(rows)
    np.testing.assert_array_equal(rows.toarray(), expected.astype(rows.dtype))
    # 8 stored values at 5 distinct positions; row 3 stored -1 and 1 at column 0,
    # whose sum is an explicit zero, kept.
    assert rows.nnz == 5 and rows.data[-1] == 0
    assert_unchanged(X, before)
    for arr in (rows.data, rows.indices, rows.indptr):
        assert not any(np.shares_memory(arr, getattr(X, a)) for a in before)


@pytest.mark.parametrize("fmt", ["csc", "coo"])
def test_duplicates_in_other_formats_are_summed(fmt):
    X = unsorted_with_duplicates().asformat(fmt)
    rows = check_csr(X)
    assert_canonical(rows)
    np.testing.assert_array_equal(rows.toarray(), unsorted_with_duplicates().toarray())


def test_stale_canonical_flag_is_not_trusted():
    X = csr()
    assert X.has_canonical_format  # scipy caches this on the object
    X.indices = X.indices[[1, 0, 3, 2, 5, 4]]  # swap within rows: the cache is now wrong
    X.data = X.data[[1, 0, 3, 2, 5, 4]]
    assert X.has_canonical_format
    rows = check_csr(X)
    assert_canonical(rows)
    np.testing.assert_array_equal(rows.toarray(), DENSE)


def test_spare_capacity_beyond_nnz_is_ignored_and_caller_untouched():
    X = csr()
    X.data = np.append(X.data, [7.0, 8.0])
    X.indices = np.append(X.indices, [0, 1]).astype(np.int32)
    before = snapshot(X)
    rows = check_csr(X)
    assert rows.nnz == 6 and rows.data.shape == (6,)
    np.testing.assert_array_equal(rows.toarray(), DENSE)
    assert_unchanged(X, before)


def test_int64_and_unsigned_index_arrays_become_int32_and_intp():
    X = csr()
    X.indices = X.indices.astype(np.int64)
    X.indptr = X.indptr.astype(np.int64)
    rows = check_csr(X)
    assert rows.indices.dtype == np.int32 and rows.indptr.dtype == np.intp
    assert X.indices.dtype == np.int64  # the caller's matrix keeps its own
    np.testing.assert_array_equal(rows.toarray(), DENSE)
    X.indices = X.indices.astype(np.uint32)
    X.indptr = X.indptr.astype(np.uint64)
    np.testing.assert_array_equal(check_csr(X).toarray(), DENSE)


# --- corrupted structures ---------------------------------------------------------------

def corrupt(fmt="csr", **arrays):
    X = csr().asformat(fmt)
    for attr, value in arrays.items():
        setattr(X, attr, np.asarray(value) if not isinstance(value, tuple) else value)
    return X


def corrupt_lil(row, columns=None, values=None):
    X = csr().tolil()
    if columns is not None:
        X.rows[row] = columns
    if values is not None:
        X.data[row] = values
    return X


CORRUPTED = {
    "index out of range": (corrupt(indices=[0, 2, 1, 9, 0, 3]), "indices must be < 4"),
    "huge index": (corrupt(indices=np.array([0, 2, 1, 2**40, 0, 3])), "indices must be < 4"),
    "negative index": (corrupt(indices=[0, 2, 1, -3, 0, 3]), ">= 0"),
    "unsigned wraps negative": (corrupt(indices=np.array([0, 2, 1, 2**64 - 1, 0, 3],
                                                         dtype=np.uint64)), ">= 0"),
    "indptr too short": (corrupt(indptr=[0, 2, 2, 6]), "index pointer size"),
    "indptr too long": (corrupt(indptr=[0, 2, 2, 4, 6, 6]), "index pointer size"),
    "indptr not from 0": (corrupt(indptr=[1, 2, 2, 4, 6]), "start with 0"),
    "decreasing indptr": (corrupt(indptr=[0, 4, 2, 4, 6]), "non-decreasing"),
    "decreasing indptr, nnz 0": (corrupt(data=np.zeros(0), indices=np.zeros(0, np.int32),
                                         indptr=[0, 5, 0, 0, 0]), "non-decreasing"),
    "indptr[-1] beyond data": (corrupt(indptr=[0, 2, 2, 4, 9]), "Last value of index pointer"),
    "indices and data lengths differ": (corrupt(indices=[0, 2, 1, 3, 0]), "same size"),
    "float indices": (corrupt(indices=[0.0, 2.0, 1.0, 3.0, 0.0, 3.0]), "must hold integers"),
    "float indptr": (corrupt(indptr=[0.0, 2.0, 2.0, 4.0, 6.0]), "must hold integers"),
    "bool indices": (corrupt(indices=np.ones(6, bool)), "must hold integers"),
    "2-D indices": (corrupt(indices=np.zeros((2, 3), np.int32)), "must be 1-D"),
    "csc index out of range": (corrupt("csc", indices=[0, 3, 2, 0, 9, 3]), "valid CSC"),
    "csc decreasing indptr, nnz 0": (corrupt("csc", data=np.zeros(0), indices=np.zeros(0, int),
                                             indptr=[0, 3, 0, 0, 0]), "valid CSC"),
    "bsr index out of range": (corrupt("bsr", indices=[0, 1, 2, 3, 0, 9]), "valid BSR"),
    "coo row out of range": (corrupt("coo", coords=(np.array([0, 0, 2, 2, 3, 7]),
                                                    np.array([0, 2, 1, 3, 0, 3]))),
                             "row indices must be in"),
    "coo negative col": (corrupt("coo", coords=(np.array([0, 0, 2, 2, 3, 3]),
                                                np.array([0, -2, 1, 3, 0, 3]))),
                         "col indices must be in"),
    "coo fewer coords than data": (corrupt("coo", coords=(np.array([0, 0, 2]),
                                                          np.array([0, 2, 1]))), "3 row indices"),
    "coo float coords": (corrupt("coo", coords=(np.array([0, 0, 2, 2, 3, 3]),
                                                np.array([0.0, 2, 1, 3, 0, 3]))),
                         "must hold integers"),
    "dia offsets and data disagree": (corrupt("dia", offsets=np.array([0])), "valid DIA"),
    # scipy's LIL tocsr copies the value lists unchecked: 2000 values written
    # into room for 6 would overwrite memory.
    "lil more values than columns": (corrupt_lil(0, values=[1.0, 2.0] * 1000),
                                     "row 0 has 2 column indices but 2000 values"),
    "lil fewer values than columns": (corrupt_lil(2, values=[3.0]),
                                      "row 2 has 2 column indices but 1 values"),
    "lil column out of range": (corrupt_lil(3, columns=[0, 7]), "indices must be < 4"),
    "lil extra row": (corrupt("lil", rows=np.append(csr().tolil().rows, None)),
                      "5 column lists and 4 value lists for 4 rows"),
}


CHECK_CORRUPTED = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_sparse_validation import CORRUPTED
from fastgd._sparse import check_csr
outcomes = {}
for case, (X, _) in CORRUPTED.items():
    print(case, flush=True)  # if the interpreter dies, the last line names the case
    try:
        check_csr(X, "X_bad")
        outcomes[case] = ["no error", ""]
    except Exception as exc:
        outcomes[case] = [type(exc).__name__, str(exc)]
print(json.dumps(outcomes))
"""


@pytest.fixture(scope="module")
def corrupted_outcomes(tmp_path_factory):
    """What check_csr did with each CORRUPTED matrix, in a child process.

    An index that slipped through would reach scipy's unchecked C++ loops
    (coo_tocsr, csr_tocsc, ...) and could kill the interpreter: in a child
    that fails these tests, naming the case, instead of ending the session.
    """
    proc = subprocess.run([sys.executable, "-c", CHECK_CORRUPTED, str(Path(__file__).parent)],
                          cwd=tmp_path_factory.mktemp("corrupted"), capture_output=True,
                          text=True)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0:
        pytest.fail(f"check_csr ended the interpreter (exit code {proc.returncode}) on the "
                    f"corrupted matrix {lines[-1] if lines else '?'!r}:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


@pytest.mark.parametrize("case", CORRUPTED)
def test_corrupted_structure_is_refused(case, corrupted_outcomes):
    X, message = CORRUPTED[case]
    assert X.shape == (4, 4)  # scipy accepted the assignment: check_csr must catch it
    kind, text = corrupted_outcomes[case]
    assert kind == "ValueError", text
    assert text.startswith("X_bad is not a valid") and message in text, text


def test_corrupted_matrix_is_not_modified():
    X = corrupt(indices=np.array([0, 2, 1, 9, 0, 3], dtype=np.int64))
    X.data = np.append(X.data, 1.0)  # and lengths that scipy's prune would trim
    before = snapshot(X)
    with pytest.raises(ValueError):
        check_csr(X)
    assert_unchanged(X, before)


def test_bsr_blocks_that_do_not_tile_the_shape_are_refused():
    X = sp.bsr_matrix(DENSE, blocksize=(2, 2))
    X.data = np.ones((len(X.indices), 3, 3))
    with pytest.raises(ValueError, match="do not tile"):
        check_csr(X)


# --- shape and arguments ----------------------------------------------------------------

@pytest.mark.parametrize("shape, what", [((0, 3), "no samples"), ((3, 0), "no features"),
                                         ((0, 0), "no samples")])
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.coo_array])
def test_empty_shapes_refused(shape, what, container):
    with pytest.raises(ValueError, match=re.escape(f"X_tr has {what} (shape {shape})")):
        check_csr(container(shape), "X_tr")


def test_one_dimensional_sparse_array_refused():
    with pytest.raises(ValueError, match=r"X must be a 2-D sparse matrix.*1-D with shape \(3,\)"):
        check_csr(sp.coo_array(np.array([1.0, 0.0, 2.0])))


def test_n_features_mismatch():
    assert check_csr(csr(), n_features=4).shape == (4, 4)
    with pytest.raises(ValueError, match="X_test has 4 features, but the model was fitted with 3"):
        check_csr(csr(), "X_test", n_features=3)


def test_more_columns_than_int32_refused():
    X = sp.csr_matrix((1, 2**31))  # no values stored: cheap
    with pytest.raises(ValueError, match="X has 2147483648 columns; at most 2147483647"):
        check_csr(X)
    assert check_csr(sp.csr_matrix((1, 2**31 - 1))).shape == (1, 2**31 - 1)


@pytest.mark.parametrize("value", [DENSE, DENSE.tolist(), None, np.matrix(DENSE)])
def test_non_sparse_refused(value):
    with pytest.raises(TypeError, match="X must be a scipy.sparse matrix or array"):
        check_csr(value)


# --- is_sparse --------------------------------------------------------------------------

class CustomCSR(sp.csr_matrix):
    """A subclass defined outside scipy.sparse."""


class LooksSparse:
    __module__ = "scipy.sparse._fake"


@pytest.mark.parametrize("fmt", FORMATS)
def test_is_sparse_every_format(fmt):
    assert is_sparse(sp.csr_matrix(DENSE).asformat(fmt))
    assert is_sparse(sp.csr_array(DENSE).asformat(fmt))


@pytest.mark.parametrize("value, expected", [
    (DENSE, False), (DENSE.tolist(), False), (None, False), (np.matrix(DENSE), False),
    (3.0, False), (LooksSparse(), False), (CustomCSR(DENSE), True)])
def test_is_sparse(value, expected):
    assert is_sparse(value) is expected


# --- check_finite_csr -------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_finite_csr_names_row_and_column(bad, dtype):
    dense = DENSE.astype(dtype)
    dense[2, 3] = bad  # row 1 is empty: the row must come from indptr, not a count
    dense[3, 0] = bad  # a later one is not the one reported
    rows = check_csr(csr(dense))
    with pytest.raises(ValueError, match=r"X_fit contains NaN or infinity "
                                         r"\(stored value at row 2, column 3\)"):
        check_finite_csr(rows, "X_fit")


def test_check_finite_csr_first_value():
    rows = check_csr(sp.csr_matrix(np.array([[0.0, np.nan], [1.0, 0.0]])))
    with pytest.raises(ValueError, match=r"row 0, column 1"):
        check_finite_csr(rows)


def test_check_finite_csr_accepts_finite_values_whose_sum_overflows():
    rows = check_csr(csr(np.array([[3e38, 3e38], [3e38, 0.0]], dtype=np.float32)))
    with np.errstate(over="ignore"):
        assert np.isinf(rows.data.sum(dtype=np.float32))  # so the fast path falls through
    assert check_finite_csr(rows) is None
    assert check_finite_csr(check_csr(csr())) is None


# --- imports and docs -------------------------------------------------------------------

def test_import_fastgd_does_not_import_scipy(tmp_path):
    code = ("import sys, numpy, fastgd, fastgd._sparse\n"
            "assert not fastgd._sparse.is_sparse(numpy.eye(2))\n"
            "print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_docstring_examples_run():
    result = doctest.testmod(fastgd._sparse, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
