"""Saving and loading fit results: :meth:`fastgd.FitResult.save` and :func:`fastgd.load`.

The file format
---------------
A result file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy``
members, as written by :func:`numpy.savez`, uncompressed) that holds arrays of
numbers only: no member is pickled, and :func:`load` opens it with
``numpy.load(path, allow_pickle=False)``.  Format version 1 has these members:

===========================  ====================  =====================================
member                       dtype, shape          contents
===========================  ====================  =====================================
``metadata``                 uint8, (n_bytes,)     UTF-8 JSON record (below)
``coef``                     float32 or float64,   :attr:`FitResult.coef`, in the dtype
                             (d,)                  the fit ran in
``intercept``                float64, (1,)         :attr:`FitResult.intercept`
``loss_history``             float64, (n_epochs,)  :attr:`FitResult.loss_history`
``lr_history``               float64, (n_epochs,)  :attr:`FitResult.lr_history` (when
                                                   not None)
``validation_loss_history``  float64, (n_epochs,)  its validation_loss_history (when
                                                   not None)
``optimizer_state``          coef's dtype,         the run state, for continuing the
                             (3, d + 1)            fit (when the result has one)
``progress``                 float64, (5,)         (ditto)
``rng_state``                uint64, (1,)          (ditto)
``order``                    int64, (n_rows,)      the training rows in the last
                                                   epoch's order (when the run state
                                                   has it)
``average_coef``             coef's dtype, (d,)    the running averages of
                             or (0,)               ``average`` (empty without it;
``average_intercept``        coef's dtype, (1,)    when the run state has them,
                             or (0,)               always with order)
``unaveraged_coef``          coef's dtype, (d,)    :attr:`FitResult.unaveraged_coef`
                                                   (when not None)
``unaveraged_intercept``     float64, (1,)         its unaveraged_intercept (ditto)
===========================  ====================  =====================================

The metadata record is a JSON object (as Python's :mod:`json` writes it:
non-finite floats such as ``stop_loss=inf`` appear as ``Infinity`` and
``NaN``) with the keys

- ``"format"``: ``"fastgd.FitResult"``; ``"format_version"``: ``1``;
  ``"fastgd_version"``: the :data:`fastgd.__version__` that wrote it;
- ``"arrays"``: the names of the array members the file holds (the optional
  ones are present exactly when listed here);
- the scalar fields of :class:`FitResult`: ``"n_epochs"`` (int),
  ``"converged"``, ``"diverged"``, ``"stopped_by_callback"`` (bools),
  ``"method"``, ``"backend"``, ``"stop_reason"``, ``"loss"``,
  ``"optimizer"``, ``"schedule"`` (strings);
- ``"random_state"``: the seed as a decimal string (a seed can be as large
  as ``2**64 - 1``, which a JSON reader that parses numbers as doubles would
  round), or null;
- ``"params"``: :attr:`FitResult.params`, the keyword arguments of the fit
  (strings, ints, floats, bools, None, and lists and dicts of those; Python's
  JSON keeps ints of any size and floats bit for bit; numpy scalars and
  arrays and tuples in it are saved as Python numbers and lists).  Its
  ``"random_state"`` is a plain JSON integer: exact for Python, which is what
  reads it; the top-level string is the portable copy.

Floats are stored bit for bit (arrays in binary, JSON floats as their
shortest round-tripping repr), so ``load(path)`` returns a result equal to the
saved one in every field, whose predictions are the same bits, and which can
be continued (its run state is restored).

Every way a file can be unreadable (not a zip, truncated, a bad checksum,
missing or extra members, wrong dtypes or shapes, a pickled member,
unparsable metadata, another format version) raises a :class:`ValueError`
whose message starts with the path and says what is wrong.  ``save`` checks
a result with the same rules before writing, so it never writes a file that
``load`` would refuse, and it writes through a temporary file renamed into
place, so an interrupted save never leaves a half-written file at ``path``.
"""
import io
import json
import math
import os
import zipfile

import numpy as np

from ._preprocessing import Preprocessing

from ._options import (BACKENDS, LOSSES, METHODS, OPTIMIZER_STATE_ROWS, OPTIMIZERS,
                       PROGRESS_SIZE, SCHEDULES)

#: The ``format`` entry of the metadata record.
FORMAT_NAME = "fastgd.FitResult"
#: The format version this fastgd writes, and the only one it reads.
FORMAT_VERSION = 1

_SCALARS_BOOL = ("converged", "diverged", "stopped_by_callback")
_SCALARS_STR = ("method", "backend", "stop_reason", "loss", "optimizer", "schedule")
_REQUIRED_ARRAYS = ("coef", "intercept", "loss_history")
_HISTORIES = ("loss_history", "lr_history", "validation_loss_history")
_STATE_ARRAYS = ("optimizer_state", "progress", "rng_state")
#: The run state's optional fourth array: the training rows in the order of
#: the last epoch (shuffling permutes it from epoch to epoch).
_ORDER = "order"
#: The run state's optional fifth and sixth arrays: the running averages.
_AVERAGES = ("average_coef", "average_intercept")
_UNAVERAGED = ("unaveraged_coef", "unaveraged_intercept")
_ALL_ARRAYS = (("coef", "intercept") + _HISTORIES + _STATE_ARRAYS + (_ORDER,) + _AVERAGES
               + _UNAVERAGED)
#: Valid values of the string fields (None: any string).
_CHOICES = {
    "method": tuple(METHODS), "backend": BACKENDS + ("dask",), "loss": tuple(LOSSES),
    "optimizer": tuple(OPTIMIZERS), "schedule": tuple(SCHEDULES),
    "stop_reason": ("max_epochs", "stop_loss", "tol", "early_stopping", "lr_floor",
                    "diverged", "callback", "interrupted", "failed"),
}
#: The largest metadata record load accepts (a real one is about 1 kB).
_MAX_METADATA_BYTES = 1 << 20


class _Invalid(Exception):
    """What is wrong with a file (turned into a ValueError naming the path by ``load``).

    ``detail`` is the problem alone, without "is corrupt": what ``save`` reports
    when a result fails the same checks.
    """

    def __init__(self, message, detail=None):
        super().__init__(message)
        self.detail = message if detail is None else detail


# --------------------------------------------------------------------------- save

def save_result(result, path):
    """Write ``result`` to ``path`` as a fastgd ``.npz`` result file.

    This is :meth:`fastgd.FitResult.save`; see the module docstring for the
    format.

    Parameters
    ----------
    result : FitResult
    path : str, os.PathLike or binary file object
        Where to write.  As with :func:`numpy.savez`, ``.npz`` is appended to
        a path that does not end with it.  A path is written atomically (a
        temporary file in the same directory, then renamed).

    Returns
    -------
    str or file object
        The path written (with its ``.npz``), or the file object.

    Raises
    ------
    ValueError
        When the result holds something the format cannot represent exactly
        (non-finite weights, arrays of the wrong dtype or shape, settings that
        are not JSON-representable).
    """
    try:
        arrays = _result_arrays(result)
    except _Invalid as err:
        raise ValueError(f"cannot save this FitResult: {err.detail}") from None
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return path
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path.endswith(".npz"):
        path += ".npz"
    # A temporary file beside the target, renamed over it once complete: an
    # interrupted save leaves any previous file at ``path`` intact.
    temporary = f"{path}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        with open(temporary, "xb") as handle:
            np.savez(handle, **arrays)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
    return path


def _result_arrays(result):
    """The members of ``result``'s file, metadata included, checked as load checks them."""
    coef = _as_native(result.coef, "coef")
    if coef.dtype not in (np.float32, np.float64):
        raise _Invalid(f"coef has dtype {coef.dtype}, not float32 or float64")
    arrays = {"coef": coef}
    try:
        intercept = float(result.intercept)
    except (TypeError, ValueError):
        raise _Invalid(f"intercept is {result.intercept!r}, not a real number") from None
    arrays["intercept"] = np.array([intercept], dtype=np.float64)
    for name in _HISTORIES:
        value = getattr(result, name)
        if value is not None:
            arrays[name] = _as_native(value, name)
    if result.unaveraged_coef is not None:
        arrays["unaveraged_coef"] = _as_native(result.unaveraged_coef, "unaveraged_coef")
        try:
            arrays["unaveraged_intercept"] = np.array([float(result.unaveraged_intercept)])
        except (TypeError, ValueError):
            raise _Invalid(f"unaveraged_intercept is {result.unaveraged_intercept!r}, not a "
                           f"real number") from None
    if result._state is not None:
        if not isinstance(result._state, tuple) or len(result._state) not in (3, 4, 6):
            raise _Invalid("_state is not a tuple of three, four or six arrays")
        for name, value in zip(_STATE_ARRAYS + (_ORDER,) + _AVERAGES, result._state):
            arrays[name] = _as_native(value, name)
        if _ORDER in arrays:  # np.intp, stored as int64 on every platform
            order = arrays[_ORDER]
            if order.dtype.kind not in "iu":
                raise _Invalid(f"the run state's order has dtype {order.dtype}, not integers")
            if order.size and (order.min() < 0 or order.max() >= 2 ** 63):
                raise _Invalid("the run state's order holds negative row indices")
            arrays[_ORDER] = order.astype(np.int64)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "fastgd_version": _fastgd_version(),
        "arrays": [name for name in _ALL_ARRAYS if name in arrays],
        "n_epochs": result.n_epochs,
        **{name: getattr(result, name) for name in _SCALARS_BOOL + _SCALARS_STR},
        "random_state": (None if result.random_state is None
                         else _seed_text(result.random_state)),
        "params": _plain_json(result.params, "params"),
    }
    for name in ("n_epochs",) + _SCALARS_BOOL:  # numpy scalars as Python's
        value = metadata[name]
        if isinstance(value, (np.integer, np.bool_)):
            metadata[name] = value.item()
    for name in _SCALARS_STR:
        if isinstance(metadata[name], str):
            metadata[name] = str(metadata[name])  # np.str_ -> str
    _check_metadata(metadata)
    _check_arrays(metadata, arrays)
    text = json.dumps(metadata, allow_nan=True, ensure_ascii=True)
    arrays["metadata"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()
    return arrays


def _as_native(value, name):
    """``value`` as a C-contiguous array in native byte order (the same values)."""
    if not isinstance(value, np.ndarray):
        raise _Invalid(f"{name} is {type(value).__name__}, not a NumPy array")
    if not value.dtype.isnative:
        value = value.astype(value.dtype.newbyteorder("="))
    return value if value.flags.c_contiguous else value.copy(order="C")


def _seed_text(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise _Invalid(f"random_state is {seed!r}, not an int or None")
    seed = int(seed)
    if not 0 <= seed < 2 ** 64:
        raise _Invalid(f"random_state {seed} is outside [0, 2**64)")
    return str(seed)


def _plain_json(value, where):
    """``value`` as JSON-ready Python values: numpy scalars and arrays, tuples, converted."""
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Invalid(f"{where} has the key {key!r}; only string keys can be saved")
            out[str(key)] = _plain_json(item, f"{where}[{key!r}]")
        return out
    raise _Invalid(f"{where} is {value!r} ({type(value).__name__}), which the file format "
                   f"cannot hold (strings, numbers, bools, None, lists and dicts only)")


def _fastgd_version():
    from . import __version__

    return __version__


# --------------------------------------------------------------------------- load

def load(path):
    """Read a :class:`FitResult` written by :meth:`FitResult.save`.

    The file is opened with ``numpy.load(path, allow_pickle=False)``: it is
    never unpickled, and nothing in it is executed.  Every array is checked
    for its dtype and shape, and the metadata for its format version and the
    types of its fields, before a result is built.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file.  When ``path`` does not exist and does not end with
        ``.npz``, ``path + ".npz"`` is tried (``save`` appends that suffix).

    Returns
    -------
    FitResult
        Equal to the saved result in every field: the arrays bit for bit and
        in their dtypes (``coef`` float32 or float64), the scalars and
        ``params`` by ``==``, and the run state, so the result predicts the
        same bits and can be continued.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        When the file is not a fastgd result file, is truncated or corrupt,
        or was written in another format version.  The message starts with
        the path and says what is wrong.

    Examples
    --------
    >>> import os, tempfile
    >>> import fastgd
    >>> X = fastgd.polynomial_features([0.0, 0.5, 1.0, 1.5], 2)
    >>> result = fastgd.fit(X, [4.0, 6.0, 9.0, 13.0], method="batch", max_epochs=50)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.npz")
    ...     result.save(path)
    ...     loaded = fastgd.load(path)
    >>> loaded.coef.tobytes() == result.coef.tobytes(), loaded.intercept == result.intercept
    (True, True)
    >>> loaded.n_epochs, loaded.params == result.params
    (50, True)
    >>> loaded.predict([[4.0, 2.0]]).tolist() == result.predict([[4.0, 2.0]]).tolist()
    True

    A file that is not a result gets a clear error:

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "notes.npz")
    ...     with open(path, "w") as handle:
    ...         _ = handle.write("not a model")
    ...     fastgd.load(path)                                    # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: .../notes.npz is not a fastgd result file (not a .npz archive; ...)
    """
    if hasattr(path, "read"):  # an open binary file
        source, path = path, str(getattr(path, "name", None) or "<file object>")
    else:
        source = path = _resolve(path)
    try:
        npz = np.load(source, allow_pickle=False)
    except (FileNotFoundError, PermissionError):
        raise
    except IsADirectoryError:
        raise ValueError(f"{path} is a directory, not a fastgd result file") from None
    except Exception as err:  # noqa: BLE001 - any failure to parse means a bad file
        raise _not_ours(source, path, err) from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a fastgd result file (it is a single .npy array, "
                         f"not a .npz archive)")
    with npz:
        try:
            return _read(npz.zip)
        except _Invalid as err:
            raise ValueError(f"{path} {err}") from err.__cause__


def _resolve(path):
    """``path`` as a str, with ``.npz`` appended when only that name exists."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if (not os.path.exists(path) and not path.endswith(".npz")
            and os.path.isfile(path + ".npz")):
        return path + ".npz"
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory, not a fastgd result file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file (no fastgd result file there)")
    return path


def _not_ours(source, path, err):
    """The error for a file that numpy cannot open as a .npz archive."""
    try:
        if hasattr(source, "read"):
            source.seek(0)
            head = source.read(4)
            size = len(head)
        else:
            size = os.path.getsize(source)
            with open(source, "rb") as handle:
                head = handle.read(4)
    except Exception:  # noqa: BLE001 - only for the message
        size, head = None, b""
    if size == 0:
        return ValueError(f"{path} is empty, not a fastgd result file")
    if (head.startswith(b"PK") or (head and b"PK\x03\x04".startswith(head))
            or isinstance(err, zipfile.BadZipFile)):
        return ValueError(f"{path} is truncated or corrupt (not a readable .npz archive: "
                          f"{_describe(err)})")
    return ValueError(f"{path} is not a fastgd result file (not a .npz archive; its first "
                      f"bytes are {head!r})")


def _describe(err):
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _read(archive):
    """The FitResult in an open zip archive; raises _Invalid saying what is wrong."""
    names = archive.namelist()
    if len(names) != len(set(names)):
        raise _Invalid("is corrupt (a member appears twice in the archive)")
    if "metadata.npy" not in names:
        shown = ", ".join(repr(n[:-4] if n.endswith(".npy") else n) for n in names[:8])
        more = ", ..." if len(names) > 8 else ""
        raise _Invalid(f"is not a fastgd result file (a .npz archive without fastgd's "
                       f"metadata record; it holds {shown or 'nothing'}{more})")
    if archive.getinfo("metadata.npy").file_size > _MAX_METADATA_BYTES:
        raise _Invalid(f"is not a fastgd result file (its 'metadata' member is larger than "
                       f"{_MAX_METADATA_BYTES} bytes)")
    raw = _member(archive, "metadata")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Invalid(f"is not a fastgd result file (its 'metadata' member is "
                       f"{raw.dtype} of shape {raw.shape}, not fastgd's JSON record)")
    try:
        metadata = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise _Invalid(f"is truncated or corrupt (its metadata record is not valid JSON: "
                       f"{err})") from err
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise _Invalid(f"is not a fastgd result file (its metadata record does not name "
                       f"the format {FORMAT_NAME!r})")
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Invalid(f"is truncated or corrupt (its format_version is {version!r}, not an "
                       f"integer)")
    if version != FORMAT_VERSION:
        writer = metadata.get("fastgd_version")
        writer = f"fastgd {writer} wrote it, " if isinstance(writer, str) else ""
        hint = "; upgrade fastgd to read it" if version > FORMAT_VERSION else ""
        raise _Invalid(f"was written by format version {version}; this fastgd reads version "
                       f"{FORMAT_VERSION} ({writer}this is fastgd {_fastgd_version()}{hint})")
    _check_metadata(metadata)
    expected = {name + ".npy" for name in metadata["arrays"]} | {"metadata.npy"}
    missing = sorted(expected - set(names))
    if missing:
        raise _Invalid(f"is truncated or corrupt (its metadata lists arrays that are "
                       f"missing: {', '.join(n[:-4] for n in missing)})")
    extra = sorted(set(names) - expected)
    if extra:
        raise _Invalid(f"is corrupt (it holds members its metadata does not list: "
                       f"{', '.join(extra)})")
    arrays = {name: _member(archive, name) for name in metadata["arrays"]}
    _check_arrays(metadata, arrays)
    return _build(metadata, arrays)


def _member(archive, name):
    """One ``.npy`` member as an array: its bytes CRC-checked, its header checked first."""
    try:
        data = archive.read(name + ".npy")  # checks the member's CRC-32
    except Exception as err:  # noqa: BLE001 - BadZipFile, zlib.error, EOFError, ...
        raise _Invalid(f"is truncated or corrupt (its member {name!r} cannot be read: "
                       f"{_describe(err)})") from err
    stream = io.BytesIO(data)
    try:
        major, minor = np.lib.format.read_magic(stream)
        if (major, minor) == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif (major, minor) == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {major}.{minor}")
    except Exception as err:  # noqa: BLE001
        raise _Invalid(f"is truncated or corrupt (its member {name!r} is not a valid .npy "
                       f"array: {_describe(err)})") from err
    if dtype.hasobject:
        raise _Invalid(f"is not a fastgd result file (its member {name!r} holds pickled "
                       f"Python objects, which fastgd never writes and does not load)")
    offset = stream.tell()
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - offset != expected:
        raise _Invalid(f"is truncated or corrupt (its member {name!r} has "
                       f"{len(data) - offset} bytes of data for an array of shape {shape} "
                       f"and dtype {dtype}, which needs {expected})")
    stream.seek(0)
    try:
        array = np.lib.format.read_array(stream, allow_pickle=False)
    except Exception as err:  # noqa: BLE001
        raise _Invalid(f"is truncated or corrupt (its member {name!r} cannot be read: "
                       f"{_describe(err)})") from err
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    # (not np.ascontiguousarray, which would make a 0-d array 1-d)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _check_metadata(metadata):
    """Check the metadata record's fields and their types (not the arrays)."""
    def bad(what):
        return _Invalid(f"is corrupt (its metadata {what})", detail=what)

    known = ({"format", "format_version", "fastgd_version", "arrays", "n_epochs",
              "random_state", "params"} | set(_SCALARS_BOOL) | set(_SCALARS_STR))
    missing = sorted(known - set(metadata))
    if missing:
        raise bad(f"lacks the fields {', '.join(missing)}")
    extra = sorted(set(metadata) - known)
    if extra:
        raise bad(f"has unknown fields {', '.join(map(repr, extra))}")
    if not isinstance(metadata["fastgd_version"], str):
        raise bad(f"fastgd_version is {metadata['fastgd_version']!r}, not a string")
    listed = metadata["arrays"]
    if (not isinstance(listed, list) or not all(isinstance(n, str) for n in listed)
            or len(set(listed)) != len(listed)):
        raise bad(f"array list is {listed!r}, not a list of distinct names")
    unknown = [n for n in listed if n not in _ALL_ARRAYS]
    if unknown:
        raise bad(f"lists arrays this format does not have: {', '.join(unknown)}")
    absent = [n for n in _REQUIRED_ARRAYS if n not in listed]
    if absent:
        raise bad(f"does not list the required arrays {', '.join(absent)}")
    state = [n in listed for n in _STATE_ARRAYS]
    averages = [n in listed for n in _AVERAGES]
    if (any(state) and not all(state) or _ORDER in listed and not all(state)
            or any(averages) and not (all(averages) and _ORDER in listed)):
        raise bad("lists only part of the run state (optimizer_state, progress, rng_state "
                  "and, optionally, order, then average_coef and average_intercept)")
    if any(n in listed for n in _UNAVERAGED) and not all(n in listed for n in _UNAVERAGED):
        raise bad("lists only one of unaveraged_coef and unaveraged_intercept")
    n_epochs = metadata["n_epochs"]
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 0:
        raise bad(f"n_epochs is {n_epochs!r}, not an int >= 0")
    for name in _SCALARS_BOOL:
        if not isinstance(metadata[name], bool):
            raise bad(f"{name} is {metadata[name]!r}, not a bool")
    for name in _SCALARS_STR:
        value = metadata[name]
        if not isinstance(value, str):
            raise bad(f"{name} is {value!r}, not a string")
        if value not in _CHOICES[name]:
            options = ", ".join(map(repr, _CHOICES[name]))
            what = f"{name} is {value!r}; this fastgd knows {options}"
            raise _Invalid(f"holds a result this fastgd cannot use ({what})", detail=what)
    seed = metadata["random_state"]
    if seed is not None:
        if (not isinstance(seed, str) or not seed.isascii() or not seed.isdigit()
                or len(seed) > 20 or int(seed) >= 2 ** 64):
            raise bad(f"random_state is {seed!r}, not null or a decimal seed < 2**64")
    params = metadata["params"]
    if not isinstance(params, dict):
        raise bad(f"params is {params!r}, not an object")


def _check_arrays(metadata, arrays):
    """Check the arrays' dtypes and shapes against each other and the metadata."""
    def bad(what):
        return _Invalid(f"is corrupt ({what})", detail=what)

    coef = arrays["coef"]
    if coef.dtype not in (np.float32, np.float64):
        raise bad(f"coef has dtype {coef.dtype}, not float32 or float64")
    if coef.ndim != 1:
        raise bad(f"coef has shape {coef.shape}, not (n_features,)")
    if not np.isfinite(coef).all():
        raise bad("coef holds NaN or infinite weights")
    intercept = arrays["intercept"]
    if intercept.dtype != np.float64 or intercept.shape != (1,):
        raise bad(f"intercept is {intercept.dtype} of shape {intercept.shape}, "
                  f"not float64 of shape (1,)")
    if not np.isfinite(intercept).all():
        raise bad("the intercept is NaN or infinite")
    n_epochs = metadata["n_epochs"]
    for name in _HISTORIES:
        if name in arrays:
            history = arrays[name]
            if history.dtype != np.float64 or history.shape != (n_epochs,):
                raise bad(f"{name} is {history.dtype} of shape {history.shape}, not "
                          f"float64 of shape ({n_epochs},) for {n_epochs} epochs")
    if "optimizer_state" in arrays:
        d = coef.shape[0]
        expected = {"optimizer_state": (coef.dtype, (OPTIMIZER_STATE_ROWS, d + 1)),
                    "progress": (np.dtype(np.float64), (PROGRESS_SIZE,)),
                    "rng_state": (np.dtype(np.uint64), (1,))}
        for name, (dtype, shape) in expected.items():
            array = arrays[name]
            if array.dtype != dtype or array.shape != shape:
                raise bad(f"the run state's {name} is {array.dtype} of shape {array.shape}, "
                          f"not {dtype} of shape {shape}")
    if _AVERAGES[0] in arrays:
        d = coef.shape[0]
        average_coef, average_intercept = arrays[_AVERAGES[0]], arrays[_AVERAGES[1]]
        if not (average_coef.dtype == average_intercept.dtype == coef.dtype
                and (average_coef.shape, average_intercept.shape) in (((d,), (1,)),
                                                                      ((0,), (0,)))):
            raise bad(f"the run state's averages are {average_coef.dtype} of shape "
                      f"{average_coef.shape} and {average_intercept.dtype} of shape "
                      f"{average_intercept.shape}, not {coef.dtype} of shapes ({d},) and "
                      f"(1,) (or both empty)")
    if _UNAVERAGED[0] in arrays:
        unaveraged_coef, unaveraged_intercept = arrays[_UNAVERAGED[0]], arrays[_UNAVERAGED[1]]
        if unaveraged_coef.dtype != coef.dtype or unaveraged_coef.shape != coef.shape:
            raise bad(f"unaveraged_coef is {unaveraged_coef.dtype} of shape "
                      f"{unaveraged_coef.shape}, not coef's {coef.dtype} of shape {coef.shape}")
        if unaveraged_intercept.dtype != np.float64 or unaveraged_intercept.shape != (1,):
            raise bad(f"unaveraged_intercept is {unaveraged_intercept.dtype} of shape "
                      f"{unaveraged_intercept.shape}, not float64 of shape (1,)")
    if _ORDER in arrays:
        order = arrays[_ORDER]
        if order.dtype != np.int64 or order.ndim != 1:
            raise bad(f"the run state's order is {order.dtype} of shape {order.shape}, not "
                      f"int64 of shape (n_rows,)")
        if order.size and (order.min() < 0 or order.max() > np.iinfo(np.intp).max
                           or np.unique(order).size != order.size):
            raise bad("the run state's order is not a list of distinct row indices")


def _build(metadata, arrays):
    from ._fit import FitResult

    state = None
    if "optimizer_state" in arrays:
        state = tuple(arrays[name] for name in _STATE_ARRAYS)
        if _ORDER in arrays:
            state += (arrays[_ORDER].astype(np.intp),)
        if _AVERAGES[0] in arrays:
            state += tuple(arrays[name] for name in _AVERAGES)
    seed = metadata["random_state"]
    unaveraged = arrays.get(_UNAVERAGED[0])
    result = FitResult(
        coef=arrays["coef"],
        intercept=float(arrays["intercept"][0]),
        loss_history=arrays["loss_history"],
        n_epochs=metadata["n_epochs"],
        converged=metadata["converged"],
        diverged=metadata["diverged"],
        stopped_by_callback=metadata["stopped_by_callback"],
        method=metadata["method"],
        backend=metadata["backend"],
        random_state=None if seed is None else int(seed),
        lr_history=arrays.get("lr_history"),
        validation_loss_history=arrays.get("validation_loss_history"),
        stop_reason=metadata["stop_reason"],
        loss=metadata["loss"],
        optimizer=metadata["optimizer"],
        schedule=metadata["schedule"],
        params=metadata["params"],
        unaveraged_coef=unaveraged,
        unaveraged_intercept=(None if unaveraged is None
                              else float(arrays[_UNAVERAGED[1]][0])),
        _state=state,
    )
    record = metadata["params"].get("cli") if isinstance(metadata["params"], dict) else None
    if record is not None:
        # A model saved by `fastgd fit` predicts from its raw feature columns
        # (fastgd._preprocessing); a record that cannot say how is refused here.
        try:
            preprocessing = Preprocessing.from_record(record, result.coef.shape[0])
        except ValueError as what:
            raise _Invalid(f"is not usable: its 'cli' record is malformed ({what})") from None
        if preprocessing.changes_columns:
            result.preprocessing = preprocessing
    return result
