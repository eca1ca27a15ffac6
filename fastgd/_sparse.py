"""Sparse input: checking scipy.sparse matrices and arrays, and the rows the kernels read.

A sparse ``X`` is checked once and handed on as :class:`CSRRows`, plain NumPy
arrays in compressed-sparse-row layout that a kernel can read without scipy and
without bounds checks.  Everything a kernel trusts is established here: the
index arrays are in bounds, ``indptr`` never decreases, each row's column
indices are strictly increasing, and the dtypes are the kernels' own.

scipy is an optional dependency: this module imports it only when it is handed
a sparse object, so ``import fastgd`` never imports scipy.
"""
import copy
import sys
import warnings
from typing import NamedTuple

import numpy as np

#: Column indices are stored as int32, as scipy does for all but the largest matrices.
MAX_COLUMNS = np.iinfo(np.int32).max

# Errors scipy's check_format can raise on a corrupted structure: ValueError for
# what it checks, the others for attributes of the wrong kind altogether.
_STRUCTURE_ERRORS = (ValueError, TypeError, IndexError, AttributeError, OverflowError)
# ... and what a corrupted DOK, LIL, COO or DIA object makes a conversion raise.
_CONVERSION_ERRORS = _STRUCTURE_ERRORS + (KeyError, RuntimeWarning)


class CSRRows(NamedTuple):
    """A checked sparse ``X`` in compressed-sparse-row layout, as the kernels read it.

    Row ``i`` holds the values ``data[indptr[i]:indptr[i + 1]]`` at the columns
    ``indices[indptr[i]:indptr[i + 1]]``, in strictly increasing column order
    (sorted, no duplicates).  Build it with :func:`check_csr`, which guarantees
    that layout; the arrays may share memory with the caller's matrix and are
    never written to.

    Attributes
    ----------
    data : ndarray of float32 or float64, shape (nnz,)
        The stored values, C-contiguous.  Explicitly stored zeros are kept.
    indices : ndarray of int32, shape (nnz,)
        The column of each stored value, C-contiguous.
    indptr : ndarray of intp, shape (n_rows + 1,)
        Where each row starts in ``data`` and ``indices``; ``indptr[-1] == nnz``.
    shape : tuple of int
        ``(n_rows, n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> rows = check_csr(sp.csr_array(np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])))
    >>> rows.shape, rows.nnz, rows.size, rows.dtype
    ((2, 3), 3, 5, dtype('float64'))
    >>> rows.toarray()
    array([[1., 0., 2.],
           [0., 0., 3.]])
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple

    @property
    def dtype(self):
        """The dtype of the stored values (float32 or float64)."""
        return self.data.dtype

    @property
    def nnz(self):
        """The number of stored values, explicit zeros included."""
        return int(self.indptr[-1])

    @property
    def size(self):
        """``nnz + n_rows``: the work of one pass over the rows (a row costs even when empty)."""
        return self.nnz + self.shape[0]

    @property
    def ndim(self):
        """Always 2."""
        return 2

    def toarray(self):
        """The dense ``(n_rows, n_features)`` C-contiguous array of :attr:`dtype`.

        Examples
        --------
        >>> rows = CSRRows(np.array([5.0]), np.array([1], dtype=np.int32),
        ...                np.array([0, 0, 1], dtype=np.intp), (2, 2))
        >>> rows.toarray()
        array([[0., 0.],
               [0., 5.]])
        """
        dense = np.zeros(self.shape, dtype=self.data.dtype)
        row_of_value = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        # Plain assignment is exact: canonical rows have no duplicate to add up.
        dense[row_of_value, self.indices] = self.data
        return dense


def is_sparse(X):
    """Whether ``X`` is a scipy.sparse matrix or sparse array.

    scipy is not imported unless ``X`` comes from it, so a dense input never
    pays for (or requires) scipy.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> is_sparse(sp.coo_matrix(np.eye(2))), is_sparse(sp.csr_array(np.eye(2)))
    (True, True)
    >>> is_sparse(np.eye(2)), is_sparse([[1.0, 0.0]])
    (False, False)
    """
    # Looking at the class's modules first keeps scipy unimported for dense
    # data; the whole MRO is searched so that subclasses defined elsewhere count.
    if "scipy.sparse" not in sys.modules:
        return False  # nothing can be a scipy sparse object before scipy.sparse is loaded
    if not any(str(getattr(cls, "__module__", "")).startswith("scipy.sparse")
               for cls in type(X).__mro__):
        return False
    import scipy.sparse

    return bool(scipy.sparse.issparse(X))


def check_csr(X, name="X", *, n_features=None, dtype=None):
    """Check a scipy sparse ``X`` and return its rows as :class:`CSRRows`.

    Any sparse format is accepted (CSR, CSC, COO, BSR, DIA, LIL, DOK; the
    ``*_matrix`` and ``*_array`` classes alike); formats other than CSR are
    converted once with ``tocsr()``.  ``X`` itself is never modified: when its
    rows are not canonical (column indices unsorted, or a column stored twice),
    a copy is canonicalised instead, with duplicate entries **summed**, as scipy
    does (``toarray()`` of the result equals scipy's ``X.toarray()``).
    Explicitly stored zeros are kept.  When ``X`` is already a canonical CSR in
    a working dtype nothing is copied and the result shares ``X``'s arrays.

    NaN and infinity among the stored values are not looked for here; see
    :func:`check_finite_csr`.

    Parameters
    ----------
    X : scipy.sparse matrix or array
        The samples, shape ``(n_samples, n_features)``, at least 1 x 1.
    name : str, default "X"
        The argument's name, for error messages.
    n_features : int, optional
        The number of columns ``X`` must have (that of a fitted model).
    dtype : {None, numpy.float32, numpy.float64}, optional
        The dtype of the returned values.  By default float32 data stays
        float32, float64 stays float64, and bool, integer and float16 data
        become float64.

    Returns
    -------
    CSRRows
        ``data`` C-contiguous of the working dtype, ``indices`` int32,
        ``indptr`` intp, rows canonical.

    Raises
    ------
    TypeError
        If ``X`` is not a scipy sparse matrix or array.
    ValueError
        If ``X`` is not 2-D, has no rows or no columns, has the wrong number of
        columns or more than 2**31 - 1 of them, holds non-real values
        (complex, object, strings), or its structure is corrupted (index
        arrays that are not integers, out of range, or of inconsistent
        lengths; a decreasing ``indptr``).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> X = sp.coo_array((np.array([1, 2, 3]), (np.array([0, 0, 1]), np.array([2, 2, 0]))),
    ...                  shape=(2, 3))
    >>> rows = check_csr(X)  # integer data becomes float64; (0, 2) is stored twice
    >>> rows.dtype, rows.indices.dtype, rows.nnz
    (dtype('float64'), dtype('int32'), 2)
    >>> rows.toarray()
    array([[0., 0., 3.],
           [3., 0., 0.]])
    >>> check_csr(X, n_features=4)
    Traceback (most recent call last):
        ...
    ValueError: X has 3 features, but the model was fitted with 4
    """
    if not is_sparse(X):
        raise TypeError(f"{name} must be a scipy.sparse matrix or array, "
                        f"got {type(X).__name__}")
    shape = tuple(int(n) for n in X.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be a 2-D sparse matrix of shape (n_samples, "
                         f"n_features), got {len(shape)}-D with shape {shape}")
    if min(shape) < 0:
        raise ValueError(f"{name} has a negative shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {shape}); at least 1 is needed")
    if shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {shape}); at least 1 is needed")
    if n_features is not None and shape[1] != n_features:
        raise ValueError(f"{name} has {shape[1]} features, but the model was fitted "
                         f"with {n_features}")
    if shape[1] > MAX_COLUMNS:
        raise ValueError(f"{name} has {shape[1]} columns; at most {MAX_COLUMNS} (2**31 - 1) "
                         f"are supported, as column indices are stored as int32")
    # The dtype is refused before any conversion, so that a complex or object X
    # costs nothing and its error names the dtype the caller passed.
    if X.dtype.kind not in "biuf":
        kind = {"c": "complex", "O": "object", "U": "string", "S": "bytes"}.get(
            X.dtype.kind, "non-numeric")
        raise ValueError(f"{name} must hold real numbers (bool, int or float), got {kind} "
                         f"data (dtype {X.dtype})")
    # Imported here, not at the top: _validation imports this module.
    from ._validation import working_dtype

    target = working_dtype(X) if dtype is None else np.dtype(dtype)
    if target not in (np.float32, np.float64):
        raise ValueError(f"dtype must be None, numpy.float32 or numpy.float64, got {dtype!r}")

    canonical = _canonical_csr_arrays(X)
    if canonical is not None:  # the common case, checked in one compiled pass
        data, indices, indptr = canonical
    else:
        csr = _checked_csr(X, name)
        data, indices, indptr = csr.data, csr.indices, csr.indptr
        if not _rows_are_canonical(indices, indptr):
            data, indices, indptr = _canonical_copy(data, indices, indptr, shape, target)
    return CSRRows(_cast_values(data, target, name),
                   contiguous(indices, np.int32),  # in range: checked above
                   contiguous(indptr, np.intp),
                   shape)


def check_finite_csr(rows, name="X"):
    """Raise ValueError if a stored value of ``rows`` is NaN or infinite, naming where.

    The first offending value in row-major order is reported by its row and
    column in the matrix (not its position in ``rows.data``).

    Parameters
    ----------
    rows : CSRRows
        Rows from :func:`check_csr`.
    name : str, default "X"
        The argument's name, for the error message.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> check_finite_csr(check_csr(sp.csr_array(np.eye(2))))  # finite: returns None
    >>> check_finite_csr(check_csr(sp.csr_array(np.array([[1.0, 0.0], [0.0, np.inf]]))))
    Traceback (most recent call last):
        ...
    ValueError: X contains NaN or infinity (stored value at row 1, column 1); remove or impute non-finite values before fitting
    """
    data = rows.data
    # Fast path: a finite sum means every value is finite (NaN and infinity
    # propagate), with no boolean temporary the size of the data.  A sum that
    # overflows falls through to the exact test.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(data.sum()):
            return
    finite = np.isfinite(data)
    if finite.all():
        return
    k = int(np.argmin(finite))  # the first False
    # Rows that end at or before value k (empty rows included) precede its row.
    row = int(np.searchsorted(rows.indptr, k, side="right")) - 1
    raise ValueError(
        f"{name} contains NaN or infinity (stored value at row {row}, column "
        f"{int(rows.indices[k])}); remove or impute non-finite values before fitting")


def _canonical_csr_arrays(X):
    """``(data, indices, indptr)`` of a CSR ``X`` already in canonical form, else None.

    The fast path for what users mostly pass (scipy's own CSR, int32
    indices, sorted rows): one compiled pass over the indices
    (``fastgd._kernels.csr_layout``, the check the kernels run themselves)
    instead of scipy's check_format and a NumPy scan, which together took
    about as long as a fifth of a sparse SGD epoch.  Anything else (other
    formats, int64 or odd index arrays, unsorted rows, a broken structure)
    returns None and takes the full path, which also words the errors.
    """
    if X.format != "csr":
        return None
    data, indices, indptr = X.data, X.indices, X.indptr
    if not (isinstance(data, np.ndarray) and isinstance(indices, np.ndarray)
            and isinstance(indptr, np.ndarray) and data.ndim == indices.ndim == indptr.ndim == 1
            and indices.dtype == np.int32 and indices.flags.c_contiguous
            and indices.flags.aligned
            and indptr.dtype.kind == "i" and indptr.shape[0] == X.shape[0] + 1):
        return None
    from ._native import kernels  # here: the kernels import this package's modules

    indptr = contiguous(indptr, np.intp)
    if kernels.csr_layout(indices, indptr, X.shape[1], min(data.shape[0],
                                                             indices.shape[0])) != 0:
        return None
    nnz = int(indptr[-1])
    return data[:nnz], indices[:nnz], indptr


def _checked_csr(X, name):
    """A structurally valid CSR holding ``X``'s values (``X`` itself untouched).

    Formats whose conversion runs unchecked compiled loops over their arrays
    (CSC, BSR, COO, DIA, LIL) are checked before ``tocsr()`` is called, so a
    corrupted structure can raise but never read or write out of bounds.  DOK
    converts through a COO whose constructor checks its coordinates.  The CSR
    is then checked in full whatever it came from (for LIL, that is where
    column indices out of range are found).
    """
    fmt = X.format
    # Whatever a corrupted object makes the checks or scipy's conversion raise
    # (a DOK key that is not a pair, a LIL row that is not a list, values of a
    # dtype scipy cannot convert, an overflowing cast) becomes a ValueError
    # naming the argument.  MemoryError and the like pass through.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            if fmt in ("csc", "bsr"):
                X = _checked_compressed(X, name)
            elif fmt == "coo":
                _check_coo(X, name)
            elif fmt == "dia":
                _check_dia(X, name)
            elif fmt == "lil":
                _check_lil(X, name)
            if fmt not in ("csr", "csc", "bsr") and X.dtype == np.float16:
                # scipy converts few formats of float16 data; float64 holds it exactly.
                X = X.astype(np.float64)
            return _checked_compressed(X if fmt == "csr" else X.tocsr(), name)
    except _CONVERSION_ERRORS as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(f"{name} "):
            raise
        raise ValueError(f"{name} is not a valid {fmt.upper()} matrix: {exc}") from None


def _index_array(arr, what, name, fmt):
    """``arr`` as a 1-D signed-integer ndarray (unsigned ones become int64), or ValueError."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        # scipy's own check only warns here and would then cast 1.5 to 1.
        raise ValueError(f"{name} is not a valid {fmt.upper()} matrix: its {what} array "
                         f"must hold integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} is not a valid {fmt.upper()} matrix: its {what} array "
                         f"must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind == "u":
        # scipy warns on unsigned index arrays.  Values of 2**63 and up wrap to
        # negative numbers, which every check below refuses, as it should.
        arr = arr.astype(np.int64)
    return arr


def _checked_compressed(X, name):
    """A checked shallow copy of a CSR, CSC or BSR ``X``, pruned to its ``nnz`` values."""
    fmt = X.format.upper()
    # check_format rebinds attributes (prune, index dtypes), so it runs on a
    # shallow copy: the caller's object keeps its attributes, and the arrays,
    # which check_format never writes to, are shared rather than copied.
    checked = copy.copy(X)
    if fmt == "BSR":
        # bsr_tocsr fills n_rows // R block rows of R rows each: any remainder
        # would be left uninitialised.
        blocksize = np.shape(X.data)[1:]
        if len(blocksize) != 2 or 0 in blocksize or X.shape[0] % blocksize[0] \
                or X.shape[1] % blocksize[1]:
            raise ValueError(f"{name} is not a valid BSR matrix: blocks of shape "
                             f"{blocksize} do not tile its shape {X.shape}")
    checked.indices = _index_array(X.indices, "indices", name, fmt)
    checked.indptr = _index_array(X.indptr, "indptr", name, fmt)
    try:
        checked.check_format(full_check=True)
    except _STRUCTURE_ERRORS as exc:
        raise ValueError(f"{name} is not a valid {fmt} matrix: scipy's check_format "
                         f"found: {exc}") from None
    # check_format only tests that indptr never decreases when nnz > 0: with
    # indptr[-1] == 0 an indptr like [0, 5, 0] passes, and row 0 would read
    # five values from empty arrays.
    indptr = checked.indptr
    if indptr.shape[0] > 1 and (indptr[1:] < indptr[:-1]).any():
        raise ValueError(f"{name} is not a valid {fmt} matrix: its indptr array must be "
                         f"non-decreasing")
    return checked


def _check_coo(X, name):
    """ValueError unless ``X``'s coordinates index its shape (coo_tocsr does not check)."""
    data = np.asarray(X.data)
    if data.ndim != 1:
        raise ValueError(f"{name} is not a valid COO matrix: its data array must be 1-D, "
                         f"got shape {data.shape}")
    for axis, (coords, what) in enumerate(((X.row, "row"), (X.col, "col"))):
        coords = _index_array(coords, what, name, "coo")
        if coords.shape[0] != data.shape[0]:
            raise ValueError(f"{name} is not a valid COO matrix: {coords.shape[0]} {what} "
                             f"indices for {data.shape[0]} values")
        if coords.shape[0] and (coords.min() < 0 or coords.max() >= X.shape[axis]):
            raise ValueError(f"{name} is not a valid COO matrix: {what} indices must be in "
                             f"[0, {X.shape[axis]}), got [{coords.min()}, {coords.max()}]")


def _check_dia(X, name):
    """ValueError unless ``X``'s offsets and data agree (dia_tocsr reads one per row of data)."""
    offsets = _index_array(X.offsets, "offsets", name, "dia")
    data = np.asarray(X.data)
    if data.ndim != 2 or data.shape[0] != offsets.shape[0]:
        raise ValueError(f"{name} is not a valid DIA matrix: data of shape {data.shape} for "
                         f"{offsets.shape[0]} offsets")


def _check_lil(X, name):
    """ValueError unless ``X`` has one column list and one value list per row, of equal lengths.

    scipy's LIL ``tocsr`` sizes its arrays from the column lists and then
    copies the value lists into them unchecked: a longer value list writes
    past the end of the array.
    """
    n_rows = X.shape[0]
    if len(X.rows) != n_rows or len(X.data) != n_rows:
        raise ValueError(f"{name} is not a valid LIL matrix: {len(X.rows)} column lists and "
                         f"{len(X.data)} value lists for {n_rows} rows")
    n_columns = np.fromiter(map(len, X.rows), dtype=np.intp, count=n_rows)
    n_values = np.fromiter(map(len, X.data), dtype=np.intp, count=n_rows)
    if (n_columns != n_values).any():
        row = int(np.argmax(n_columns != n_values))
        raise ValueError(f"{name} is not a valid LIL matrix: row {row} has "
                         f"{n_columns[row]} column indices but {n_values[row]} values")


def _rows_are_canonical(indices, indptr):
    """Whether the column indices strictly increase within every row.

    Computed here rather than read from scipy's ``has_canonical_format``,
    which is cached on the object and goes stale when its arrays are replaced.
    """
    nnz = indices.shape[0]
    if nnz < 2:
        return True
    increasing = indices[1:] > indices[:-1]
    # A decrease where a new row starts is allowed.
    row_starts = indptr[1:-1]
    row_starts = row_starts[(row_starts > 0) & (row_starts < nnz)]
    increasing[row_starts - 1] = True
    return bool(increasing.all())


def _canonical_copy(data, indices, indptr, shape, target):
    """Copies of the arrays with each row's indices sorted and duplicates summed."""
    import scipy.sparse

    from ._validation import working_dtype  # here, not at the top: see check_csr

    # Duplicates are summed in float64 unless both the data and the result
    # are float32: integer data would wrap around (int8: 100 + 100 = -56), and
    # float32 data bound for float64 loses nothing by being summed in float64.
    both_float32 = target == np.float32 and working_dtype(data) == np.float32
    sum_dtype = np.float32 if both_float32 else np.float64
    canonical = scipy.sparse.csr_array(
        (data.astype(sum_dtype), indices.astype(np.int32), indptr.astype(np.intp)),
        shape=shape)
    canonical.sum_duplicates()  # sorts each row first; keeps explicit zeros
    return canonical.data, canonical.indices, canonical.indptr


def contiguous(arr, dtype):
    """``arr`` as a C-contiguous, aligned array of ``dtype`` (no copy when it is one).

    Aligned too: a buffer read from a message or a file (``np.frombuffer`` at
    an odd offset, a Dask worker's received frames) can hold numbers at
    addresses that are not multiples of their size, which the kernels' typed
    loads must not be given.  (Used by fastgd._validation as well.)
    """
    arr = np.ascontiguousarray(arr, dtype=dtype)  # (at least 1-D, as before)
    return arr if arr.flags.aligned else arr.copy()  # a new array is aligned


def _cast_values(data, target, name):
    """``data`` as C-contiguous ``target``; finite float64 values beyond float32 refused."""
    if target == np.float32 and data.dtype.kind == "f" and data.dtype.itemsize > 4:
        # Such values would silently become infinities.
        with np.errstate(over="raise"):
            try:
                return contiguous(data, target)
            except FloatingPointError:
                raise ValueError(f"{name} has values beyond float32's range (about 3.4e38); "
                                 f"pass dtype=numpy.float64 or scale the data") from None
    return contiguous(data, target)
