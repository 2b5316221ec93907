"""File-boundary checks and table parsing of the dataset readers (private module).

Every failure is an :class:`~cevns.core.exceptions.InvalidParameterError` that names the
file (and the row, column or key), the offending value and what was expected.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core.exceptions import CevnsError, InvalidParameterError

#: an axis label ``"name [unit]"``: the unit in brackets at the end
_LABEL = re.compile(r"^\s*(?P<name>.*?)\s*\[(?P<unit>[^\[\]]*)\]\s*$")


def split_label(label: str) -> tuple[str, str]:
    """``"E_ee [keVee]"`` -> ``("E_ee", "keVee")``; a label without brackets has no unit."""
    m = _LABEL.match(label)
    if m is None:
        return label.strip(), ""
    return m.group("name"), m.group("unit").strip()


def check_file(path: str | Path, what: str) -> Path:
    """An existing, non-empty regular file."""
    p = Path(path)
    if not p.exists():
        msg = f"{what} {p} does not exist"
        raise InvalidParameterError(msg)
    if not p.is_file():
        msg = f"{what} {p} is not a file (a directory?)"
        raise InvalidParameterError(msg)
    if p.stat().st_size == 0:
        msg = f"{what} {p} is empty (0 bytes)"
        raise InvalidParameterError(msg)
    return p


def _text(p: Path) -> str:
    raw = p.read_bytes()
    if b"\x00" in raw:
        msg = f"{p}: not a text file (it contains NUL bytes: a binary file?)"
        raise InvalidParameterError(msg)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        msg = f"{p}: not a UTF-8 text file ({e})"
        raise InvalidParameterError(msg) from e


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_table(
    path: str | Path, *, delimiter: str | None = None, what: str = "text file"
) -> tuple[NDArray[np.float64], tuple[str, ...], Path]:
    """Numeric columns of a whitespace- or comma-separated text file.

    ``#`` starts a comment. A first data line that is not numeric is a header of column
    names (a CSV header). ``delimiter=None`` splits on commas if the first data line has
    one, else on whitespace.

    Returns
    -------
    (table, header, path) : 2D float array (rows, columns), column names (or ``()``)
    """
    p = check_file(path, what)
    text = _text(p)
    lines = text.splitlines()
    first_index = next((i for i, ln in enumerate(lines) if ln.split("#", 1)[0].strip()), None)
    if first_index is None:
        msg = f"{p}: no data rows (only comments or blank lines)"
        raise InvalidParameterError(msg)
    first_line = lines[first_index].split("#", 1)[0].strip()
    sep = delimiter if delimiter is not None else ("," if "," in first_line else None)
    first = [t.strip() for t in first_line.split(sep)]
    header: tuple[str, ...] = ()
    skip = first_index
    if not all(_is_number(t) for t in first):
        header = tuple(first)
        skip = first_index + 1
        if len(set(header)) != len(header):
            msg = f"{p}: the header repeats column names: {list(header)}"
            raise InvalidParameterError(msg)
        if not any(ln.split("#", 1)[0].strip() for ln in lines[skip:]):
            msg = f"{p}: a header ({', '.join(header)}) but no data rows"
            raise InvalidParameterError(msg)
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=sep, comments="#", skiprows=skip, ndmin=2)
    except ValueError as e:
        msg = f"{p}: not a table of numbers ({e}; rows counted after {skip} skipped lines)"
        raise InvalidParameterError(msg) from e
    if header and table.shape[1] != len(header):
        msg = f"{p}: the header names {len(header)} columns but the rows have {table.shape[1]}"
        raise InvalidParameterError(msg)
    return np.asarray(table, dtype=np.float64), header, p


def column(
    table: NDArray[np.float64],
    header: Sequence[str],
    col: int | str,
    field: str,
    where: Path,
) -> NDArray[np.float64]:
    """One column by index or header name, checked to be finite."""
    ncol = table.shape[1]
    if isinstance(col, str):
        if col not in header:
            known = ", ".join(header) if header else "none: the file has no header row"
            msg = f"{where}: {field}={col!r} is not a column name (columns: {known})"
            raise InvalidParameterError(msg)
        idx = list(header).index(col)
    else:
        idx = int(col)
        if not 0 <= idx < ncol:
            msg = f"{where}: {field}={col} but the file has {ncol} columns (0 to {ncol - 1})"
            raise InvalidParameterError(msg)
    values = table[:, idx]
    bad = ~np.isfinite(values)
    if np.any(bad):
        row = int(np.argmax(bad))
        msg = (
            f"{where}: {field} (column {col!r}) has the non-finite value "
            f"{float(values[row])!r} in row {row}"
        )
        raise InvalidParameterError(msg)
    return np.asarray(values, dtype=np.float64)


def reraise_unreadable(e: Exception, where: Path, kind: str) -> InvalidParameterError:
    """A library error while opening/reading a file, as an error that names the file."""
    if isinstance(e, CevnsError):  # pragma: no cover - our own errors are not wrapped
        raise e
    text = " ".join(str(e).split())  # libraries' messages may span lines
    msg = f"{where}: not a readable {kind} file ({type(e).__name__}: {text})"
    return InvalidParameterError(msg)


#: The first bytes of each binary format (its "magic number").
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".npy": (b"\x93NUMPY",),
    ".npz": (b"PK\x03\x04", b"PK\x05\x06"),  # a zip archive (an empty one: end record)
    "ROOT": (b"root",),
}


def check_root_size(p: Path) -> None:
    """Refuse a ROOT file shorter than its header says (a truncated download or copy).

    The header (``TFile``: "root", fVersion, fBEGIN, fEND) records where the file ends;
    uproot would read the objects that happen to lie before the cut and fail, or not, on
    the others.
    """
    with p.open("rb") as fh:
        head = fh.read(20)
    if len(head) < 16:
        msg = f"{p}: not a readable ROOT file (a header of {len(head)} bytes, truncated)"
        raise InvalidParameterError(msg)
    version = int.from_bytes(head[4:8], "big")
    big = version >= 1_000_000  # files above 2 GB store 64-bit offsets
    end = int.from_bytes(head[12:20] if big else head[12:16], "big")
    size = p.stat().st_size
    if size < end:
        msg = (
            f"{p}: not a readable ROOT file (truncated: its header says {end} bytes, the file "
            f"has {size}); copy or download it again"
        )
        raise InvalidParameterError(msg)


def check_magic(p: Path, kind: str) -> None:
    """Refuse a file that does not start like a ``kind`` file, before a library parses it.

    A text file, a pickle or an image given where a binary format is expected would
    otherwise fail deep inside numpy or uproot with a message about something else (numpy
    calls any unknown file "pickled data").
    """
    with p.open("rb") as fh:
        head = fh.read(16)
    magics = MAGIC[kind]
    if any(head.startswith(m) for m in magics):
        return
    hint = ""
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        hint = "; it looks like a Python pickle, which cevns never loads"
    elif head and all(32 <= c < 127 or c in (9, 10, 13) for c in head):
        hint = "; it looks like a text file"
    msg = (
        f"{p}: not a readable {kind} file (it starts with {head[:8]!r}; a {kind} file starts with "
        f"{magics[0]!r}){hint}"
    )
    raise InvalidParameterError(msg)


def string_list(value: Any) -> tuple[str, ...]:
    """Strings stored in an npz/HDF5 array (bytes or str)."""
    arr = np.atleast_1d(np.asarray(value))
    return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in arr.tolist())
