"""Reading numeric tables from CSV files for the ``fastgd`` command line.

:func:`read_table` reads a comma-separated file whose first line is a header
of column names, with Python's :mod:`csv` module and NumPy only (no pandas, so
the same file gives the same numbers, and the same errors, everywhere).  Every
problem with a file is a :class:`ValueError` whose message starts with the
file's path and names the line and the column concerned.
"""
import csv
import os
import re

import numpy as np

#: A decimal number as it may appear in a cell (after stripping blanks):
#: optional sign, digits with an optional fraction, optional exponent.  No
#: "nan", "inf", hex or digit-group underscores (which ``float()`` accepts).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_number(text):
    return _NUMBER.fullmatch(text.strip()) is not None


def _first_non_utf8_line(path):
    """The number of the first line of ``path`` that is not UTF-8 (text is decoded in
    blocks, so the decoder's error does not say which line)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return "?"


def _names(names):
    return ", ".join(repr(name) for name in names)


def read_table(path, columns=None):
    """Read a CSV file with a header row into a float64 array.

    Parameters
    ----------
    path : str or os.PathLike
        The file: UTF-8 text (a byte-order mark is allowed), comma-separated,
        fields optionally double-quoted.  Its first non-blank line is the
        header of column names; every later non-blank line is one row with
        one field per column.  Blank lines are skipped.
    columns : sequence of str or None, default=None
        The columns to return, in this order (None: all of them, in the
        file's order).  Only these columns must hold numbers; the others may
        hold anything, but every row must still have one field per column.

    Returns
    -------
    header : list of str
        The names of the returned columns (``columns``, or the whole header).
    data : ndarray of shape (n_rows, len(header)), float64
        The values; every one is finite.

    Raises
    ------
    ValueError
        With the path, and the line number and the column's name where there
        is one: no such file; an empty file or one without a header row; a
        column name that is empty, repeated or a number; a requested column
        the file does not have (the message lists the ones it has); a line
        with more or fewer fields than the header; an empty cell; a value
        that is not a finite decimal number; malformed quoting; a file that
        is not UTF-8 text; no data rows.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "data.csv")
    ...     with open(path, "w") as handle:
    ...         _ = handle.write("x,y\\n1,2.5\\n2,4.5\\n")
    ...     header, data = read_table(path)
    >>> header, data.tolist()
    (['x', 'y'], [[1.0, 2.5], [2.0, 4.5]])
    """
    where = os.fspath(path)
    if isinstance(where, bytes):
        where = os.fsdecode(where)
    if columns is not None:
        columns = [str(name) for name in columns]
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        if repeated:
            raise ValueError(f"{where}: the column {_names(repeated)} is requested twice")
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{where}: is a directory, not a CSV file") from None
    except OSError as err:
        raise ValueError(f"{where}: cannot read it ({err.strerror or err})") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        last_line = 0  # the physical line the previous record ended on

        def records():
            """(first line number, fields) of each non-blank record."""
            nonlocal last_line
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:
                    raise ValueError(f"{where}: line {reader.line_num}: malformed CSV "
                                     f"({err})") from None
                except UnicodeDecodeError:
                    raise ValueError(f"{where}: line {_first_non_utf8_line(path)}: not UTF-8 "
                                     f"text (is it a CSV file?)") from None
                first, last_line = last_line + 1, reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line
                yield first, fields

        rows = records()
        header_line = next(rows, None)
        if header_line is None:
            if last_line == 0:
                raise ValueError(f"{where}: the file is empty; it needs a header row of "
                                 f"column names and rows of numbers")
            raise ValueError(f"{where}: no header row (the file holds only blank lines)")
        line, names = header_line
        names = [name.strip() for name in names]
        for position, name in enumerate(names, start=1):
            if not name:
                raise ValueError(f"{where}: line {line}: column {position} of the header "
                                 f"has no name")
        if all(_is_number(name) for name in names):
            raise ValueError(f"{where}: line {line}: no header row (the first line holds "
                             f"numbers, not column names: {_names(names)}); the first line "
                             f"must name the columns, e.g. 'x,y'")
        seen = {}
        for position, name in enumerate(names, start=1):
            if name in seen:
                raise ValueError(f"{where}: line {line}: the column name {name!r} appears "
                                 f"twice in the header (columns {seen[name]} and {position})")
            seen[name] = position
        if columns is None:
            columns = names
        missing = [name for name in columns if name not in seen]
        if missing:
            noun = "column" if len(missing) == 1 else "columns"
            raise ValueError(f"{where}: no {noun} {_names(missing)}; the file's columns "
                             f"are {_names(names)}")
        picks = [seen[name] - 1 for name in columns]
        width = len(names)
        values = []
        for line, fields in rows:
            if len(fields) != width:
                raise ValueError(f"{where}: line {line} has {len(fields)} "
                                 f"field{'s' * (len(fields) != 1)}, the header has {width}")
            row = []
            for index, name in zip(picks, columns):
                text = fields[index].strip()
                if not text:
                    raise ValueError(f"{where}: line {line}, column {name!r}: the cell is "
                                     f"empty")
                if not _NUMBER.fullmatch(text):
                    raise ValueError(f"{where}: line {line}, column {name!r}: {text!r} is "
                                     f"not a number")
                value = float(text)
                if value in (float("inf"), float("-inf")):
                    raise ValueError(f"{where}: line {line}, column {name!r}: {text!r} is "
                                     f"too large for a float64")
                row.append(value)
            values.append(row)
    if not values:
        raise ValueError(f"{where}: the header is not followed by any rows of data")
    return list(columns), np.array(values, dtype=np.float64).reshape(len(values), len(columns))
