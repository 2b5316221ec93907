"""Histograms in the ``inference-interface`` HDF5 layout (XENON's data releases).

The layout (github.com/XENONnT/inference_interface, ``template_to_multihist``) of one
n-dimensional histogram per file::

    bins/0 .. bins/<n-1>     the edges of each axis (1-D), attribute ``name``
    templates/template       the values, shape (len(bins/0) - 1, ..., len(bins/<n-1>) - 1)

:func:`read_histogram` reads one file and checks it: the layout, the axis names and edges
(against the expected ones when given: edges to a relative tolerance ``edge_rtol``, the
default :data:`EDGE_RTOL`), the shape of the values against the edges, and values finite
and >= 0 (templates are expected events or selection probabilities). Every error is an
:class:`~cevns.core.exceptions.InvalidConfigError` that names the file, the axis or the
dataset, the value found and what was expected.

Releases hold thousands of such files (XENONnT 8B: 2305 per science run), so a file is
read with h5py's low-level API (one open, each object looked up once, the arrays read
into preallocated float64 buffers) and :func:`read_histograms` checks many files of one
binning at once. Nothing is cached: a file is read when asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core.exceptions import InvalidConfigError

__all__ = ["EDGE_RTOL", "Histogram", "read_histogram", "read_histograms"]


def __dir__() -> list[str]:
    return __all__


#: Default relative tolerance of edges against the expected ones: the releases write the
#: edges of a binning file as float64, so they agree to rounding; 1e-9 also accepts edges
#: that went through a text format with 10 or more significant digits.
EDGE_RTOL = 1e-9


@dataclass(frozen=True)
class Histogram:
    """An n-dimensional histogram with named axes, as read from a file.

    Parameters
    ----------
    values : ndarray
        Shape ``(len(edges[0]) - 1, ...)``; without axes, any shape.
    edges : tuple of ndarray
        Increasing bin edges of each axis (empty: the file has no axes).
    axis_names : tuple of str
        One name per axis.
    path : Path
        The file read.
    """

    values: NDArray[np.float64]
    edges: tuple[NDArray[np.float64], ...]
    axis_names: tuple[str, ...]
    path: Path


def _names_in(fid: Any, group: str) -> str:
    """What a group (or the file's top level) holds, for error messages only."""
    import h5py

    h = h5py.File(fid)  # the same open file, not closed here (the reader closes it)
    if group and group not in h:
        return f"the file has no {group!r}; its top level holds {sorted(h.keys())}"
    node = h[group] if group else h
    names = sorted(node.keys()) if isinstance(node, h5py.Group) else []
    return f"{group or 'the top level'} holds {names}"


def _open(fid: Any, name: str, p: Path, where: str) -> Any:
    """A dataset by its path in the file; a missing one names what is there instead."""
    import h5py

    try:
        return h5py.h5d.open(fid, name.encode())
    except (KeyError, ValueError):
        parent = name.rsplit("/", 1)[0] if "/" in name else ""
        msg = f"{p}: no dataset {name!r} ({where}); {_names_in(fid, parent)}"
        raise InvalidConfigError(msg) from None


def _float_array(ds: Any, p: Path, name: str) -> NDArray[np.float64]:
    """A numeric dataset as float64 (HDF5 converts integers; other types fail the read)."""
    import h5py

    space = ds.get_space()
    shape = space.shape
    if shape is None:  # an HDF5 null dataspace (h5py.Empty): nothing to read
        msg = f"{p}: dataset {name!r} is empty (a null dataspace), expected numbers"
        raise InvalidConfigError(msg)
    out = np.empty(shape, dtype=np.float64)
    try:  # no dtype look-up first: it costs as much as the read
        ds.read(space, space, out, mtype=h5py.h5t.NATIVE_DOUBLE)
    except OSError:
        msg = f"{p}: dataset {name!r} holds {ds.dtype} values, expected numbers"
        raise InvalidConfigError(msg) from None
    return out


#: memory type of a variable-length UTF-8 string (made once: thousands of reads)
_VLEN_UTF8: list[Any] = []


def _attribute_text(ds: Any, attribute: str, p: Path, name: str) -> str:
    import h5py

    try:
        attr = h5py.h5a.open(ds, attribute.encode())
    except (KeyError, ValueError):
        msg = f"{p}: axis {name!r} has no attribute {attribute!r} (the axis name)"
        raise InvalidConfigError(msg) from None
    if attr.shape not in ((), (1,)):  # checked first: the read fills a buffer of one value
        msg = f"{p}: attribute {attribute!r} of axis {name!r} must be one string, got {attr.dtype}"
        raise InvalidConfigError(msg + f" of shape {attr.shape}")
    if not _VLEN_UTF8:
        dt = h5py.string_dtype()
        _VLEN_UTF8.extend((dt, h5py.h5t.py_create(dt)))
    buf = np.zeros(attr.shape, dtype=_VLEN_UTF8[0])
    try:  # the releases' case: a variable-length string, read without a type look-up
        attr.read(buf, mtype=_VLEN_UTF8[1])
    except OSError:  # a fixed-length string (or not a string: its dtype is then named)
        dtype = attr.dtype
        if h5py.check_string_dtype(dtype) is None:
            msg = f"{p}: attribute {attribute!r} of axis {name!r} must be a string, got {dtype}"
            raise InvalidConfigError(msg) from None
        buf = np.zeros(attr.shape, dtype=dtype)
        attr.read(buf, mtype=h5py.h5t.py_create(dtype))
    value = buf.reshape(-1)[0]
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def _read_axes(
    fid: Any, p: Path, group: str, n_expected: int | None
) -> tuple[tuple[str, ...], tuple[NDArray[np.float64], ...]]:
    import h5py

    try:
        g = h5py.h5g.open(fid, group.encode())
    except (KeyError, ValueError):
        msg = f"{p}: no group {group!r} of axes ({group}/0, {group}/1, ...); {_names_in(fid, '')}"
        raise InvalidConfigError(msg) from None
    n = g.get_num_objs()
    if n_expected is not None and n != n_expected:
        msg = f"{p}: {n} axes in {group!r}, expected {n_expected}; {_names_in(fid, group)}"
        raise InvalidConfigError(msg)
    names: list[str] = []
    edges: list[NDArray[np.float64]] = []
    for i in range(n):
        where = f"{group}/{i}"
        try:
            ds = h5py.h5d.open(g, str(i).encode())
        except (KeyError, ValueError):
            msg = f"{p}: {group!r} must hold the axes 0..{n - 1}; {_names_in(fid, group)}"
            raise InvalidConfigError(msg) from None
        names.append(_attribute_text(ds, "name", p, where))
        edges.append(_float_array(ds, p, where))
    return tuple(names), tuple(edges)


def _check_edges(p: Path, names: Sequence[str], edges: Sequence[NDArray[np.float64]]) -> None:
    for name, e in zip(names, edges, strict=True):
        if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            msg = f"{p}: edges of axis {name!r} must be >= 2 finite increasing numbers, got "
            raise InvalidConfigError(msg + str(e.tolist()))


def _read_file(
    p: Path, values: str, axes: str | None, n_expected: int | None
) -> tuple[tuple[str, ...], tuple[NDArray[np.float64], ...], NDArray[np.float64]]:
    """Names, edges and values of one file, unchecked (one open, each object read once)."""
    import h5py

    try:
        fid = h5py.h5f.open(os.fsencode(p), h5py.h5f.ACC_RDONLY)
    except (OSError, ValueError) as exc:
        msg = f"{p}: not a readable HDF5 file ({' '.join(str(exc).split())})"
        raise InvalidConfigError(msg) from None
    try:
        names, edges = ((), ()) if axes is None else _read_axes(fid, p, axes, n_expected)
        return names, edges, _float_array(_open(fid, values, p, "the values"), p, values)
    finally:
        fid.close()


def read_histograms(
    paths: Sequence[str | Path],
    *,
    axis_names: Sequence[str] | None = None,
    edges: Sequence[ArrayLike] | None = None,
    edge_rtol: float = EDGE_RTOL,
    values: str = "templates/template",
    axes: str | None = "bins",
) -> list[Histogram]:
    """Histograms of the ``inference-interface`` layout that share one binning, checked.

    Each file is read as by :func:`read_histogram`; the checks run once over all files
    (numpy calls on tiny arrays cost more than reading them): every file must have the
    axis names and edges of ``axis_names`` and ``edges``, or of the first file when they
    are not given, and values of the shape of the edges, finite and >= 0.

    Parameters
    ----------
    paths : sequence of str or Path
        The HDF5 files (at least one).
    axis_names : sequence of str, optional
        The expected axis names, in order (default: those of the first file).
    edges : sequence of array, optional
        The expected edges of each axis, in order (default: those of the first file);
        a file's edges agree when ``|got - want| <= edge_rtol |want|`` everywhere.
    edge_rtol : float
        Relative tolerance of the edges (default :data:`EDGE_RTOL`).
    values : str
        The dataset of the values (default ``"templates/template"``).
    axes : str or None
        The group of the axes (default ``"bins"``); ``None``: the files have no axes and
        the values may have any shape, the same in every file (``axis_names`` and
        ``edges`` must then be ``None``).

    Returns
    -------
    list of Histogram
        One per file, in order: the values (float64), the edges and the axis names.

    Raises
    ------
    InvalidConfigError
        Not an HDF5 file, a dataset or axis missing, axis names or edges other than the
        expected ones, values of a shape other than the edges', negative or not finite;
        the message names the file.
    """
    files = [Path(p) for p in paths]
    if not files:
        msg = "read_histograms needs at least one file, got none"
        raise InvalidConfigError(msg)
    if axes is None and (axis_names is not None or edges is not None):
        msg = f"{files[0]}: axis_names and edges need axes (the group of the axes), got None"
        raise InvalidConfigError(msg)
    want_edges = None if edges is None else [np.asarray(e, dtype=np.float64) for e in edges]
    n_expected = None if axis_names is None else len(axis_names)
    if want_edges is not None:
        if n_expected is not None and len(want_edges) != n_expected:
            msg = f"{files[0]}: {n_expected} axis_names but {len(want_edges)} expected edges"
            raise InvalidConfigError(msg)
        n_expected = len(want_edges)
    raw = [_read_file(p, values, axes, n_expected) for p in files]
    ref_names = tuple(axis_names) if axis_names is not None else raw[0][0]
    ref_edges = tuple(want_edges) if want_edges is not None else raw[0][1]
    _check_edges(files[0], ref_names, ref_edges)
    sizes = [e.size for e in ref_edges]
    flat_ref = np.concatenate(ref_edges) if ref_edges else np.zeros(0)
    shape = tuple(n - 1 for n in sizes) if axes is not None else raw[0][2].shape
    for p, (names, got, v) in zip(files, raw, strict=True):
        if names != ref_names:
            msg = f"{p}: axes are {list(names)}, expected {list(ref_names)}"
            raise InvalidConfigError(msg)
        if [e.size for e in got] != sizes:
            _edges_error(p, names, got, ref_edges, edge_rtol)
        if v.shape != shape:
            msg = f"{p}: {values!r} has shape {v.shape}, expected {shape}" + (
                f" (the edges of {list(names)})" if axes is not None else " (the first file's)"
            )
            raise InvalidConfigError(msg)
    if ref_edges:
        grid = np.array([np.concatenate(got) for _, got, _ in raw])
        close = np.abs(grid - flat_ref) <= edge_rtol * np.abs(flat_ref)
        if not close.all():
            i = int(np.argmin(close.all(axis=1)))
            _edges_error(files[i], raw[i][0], raw[i][1], ref_edges, edge_rtol)
    stacked = np.array([v for _, _, v in raw])
    ok = (stacked >= 0) & (stacked < np.inf)  # False for NaN, infinities and negative values
    if not ok.all():
        flat = ok.reshape(len(raw), -1)
        i = int(np.argmin(flat.all(axis=1)))
        where = np.unravel_index(int(np.argmin(flat[i])), shape)
        msg = (
            f"{files[i]}: {values!r} must be finite and >= 0, got {float(raw[i][2][where])!r} "
            f"in bin {tuple(int(k) for k in where)}"
        )
        raise InvalidConfigError(msg)
    return [Histogram(v, got, names, p) for p, (names, got, v) in zip(files, raw, strict=True)]


def _edges_error(
    p: Path,
    names: Sequence[str],
    got: Sequence[NDArray[np.float64]],
    want: Sequence[NDArray[np.float64]],
    rtol: float,
) -> None:
    for name, g, w in zip(names, got, want, strict=True):
        if g.shape != w.shape or not np.all(np.abs(g - w) <= rtol * np.abs(w)):
            msg = f"{p}: edges of axis {name!r} are {g.tolist()}, expected {w.tolist()}"
            msg += f" (rtol {rtol:g})"
            raise InvalidConfigError(msg)
    msg = f"{p}: edges {[e.tolist() for e in got]}, expected {[e.tolist() for e in want]}"
    raise InvalidConfigError(msg)


def read_histogram(
    path: str | Path,
    *,
    axis_names: Sequence[str] | None = None,
    edges: Sequence[ArrayLike] | None = None,
    edge_rtol: float = EDGE_RTOL,
    values: str = "templates/template",
    axes: str | None = "bins",
) -> Histogram:
    """One histogram of the ``inference-interface`` layout, checked (module notes).

    Parameters
    ----------
    path : str or Path
        The HDF5 file.
    axis_names : sequence of str, optional
        The expected axis names, in order (default: any).
    edges : sequence of array, optional
        The expected edges of each axis, in order (default: any, finite and increasing);
        they agree when ``|got - want| <= edge_rtol |want|`` everywhere.
    edge_rtol : float
        Relative tolerance of the edges (default :data:`EDGE_RTOL`).
    values : str
        The dataset of the values (default ``"templates/template"``).
    axes : str or None
        The group of the axes (default ``"bins"``); ``None``: the file has no axes and the
        values may have any shape (``axis_names`` and ``edges`` must then be ``None``).

    Returns
    -------
    Histogram
        The values (float64, finite, >= 0), the edges and the axis names.

    Raises
    ------
    InvalidConfigError
        Not an HDF5 file, a dataset or axis missing, axis names or edges other than the
        expected ones, values of a shape other than the edges', negative or not finite.
    """
    return read_histograms(
        [path], axis_names=axis_names, edges=edges, edge_rtol=edge_rtol, values=values, axes=axes
    )[0]
