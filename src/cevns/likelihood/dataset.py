"""Observed data: N-dimensional binned counts on named axes with units, from files and ROOT.

A :class:`Dataset` is immutable. It holds either **Poisson counts** (``errors=None``;
empty bins are fine, the Poisson likelihood needs nothing else) or **values with
one-sigma errors** (every error > 0: the chi2 likelihood divides by them). Axes carry a
name (``"e_ee_kev"``, ``"pe"``, ``"t_us"``, ``"f90"``), a unit (``"keVee"``, ``"PE"``,
``"us"``) and a plot label; an axis label ``"name [unit]"`` gives the unit when none is
given explicitly.

Readers (every one validates at the file boundary and raises an
:class:`~cevns.core.exceptions.InvalidParameterError` that names the file, the field, the
value and what was expected; nothing is clipped, dropped or defaulted silently):

* :meth:`Dataset.from_text` / :meth:`Dataset.from_csv`: binned tables, one row per bin,
  with a centre column or a (low, high) pair of edge columns per axis, a count column and
  optionally an error column (any number of axes; columns by index or CSV header name);
* :meth:`Dataset.from_events`: unbinned event lists (text, CSV, ``.npy`` or an array),
  one column per axis and an optional weight column, binned on given edges;
* :meth:`Dataset.from_numpy`: ``.npz`` (as written by :meth:`Dataset.to_npz`) or ``.npy``;
* :meth:`Dataset.from_hdf5`: an HDF5 group (as written by :meth:`Dataset.to_hdf5`);
* :meth:`Dataset.from_root`: TH1/TH2/TH3; :meth:`Dataset.from_root_tree`: TTree/RNTuple
  with one branch per axis (optional weights), filled with boost-histogram;
* :meth:`Dataset.from_hist` / :meth:`Dataset.to_hist`: :class:`hist.Hist` both ways;
* registered public files (the readers of :mod:`cevns.experiments`).

Writers: :meth:`Dataset.to_root` (TH1D/TH2D/TH3D), :meth:`Dataset.to_text`,
:meth:`Dataset.to_npz`, :meth:`Dataset.to_hdf5`.

Matching a signal: :func:`check_compatible` compares the axes of a dataset with the
observed axes of a signal (:func:`observed_axes`) by their **edges**, within a relative
tolerance of :data:`EDGE_RTOL` = 1e-9, and by name and unit where both sides have them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, closest
from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.likelihood._files import (
    check_file,
    check_magic,
    check_root_size,
    column,
    read_table,
    reraise_unreadable,
    split_label,
    string_list,
)

__all__ = [
    "EDGE_RTOL",
    "Axis",
    "Dataset",
    "ObservedAxis",
    "check_compatible",
    "count_only_dataset",
    "edges_agree",
    "observed_axes",
]


def __dir__() -> list[str]:
    return __all__


#: relative tolerance of edge comparisons (of the edge's magnitude, or of the axis span
#: for edges at or near zero)
EDGE_RTOL = 1e-9

#: axis names of the observables the detectors produce, by their unit
OBSERVABLE_AXIS_NAMES: dict[str, str] = {
    "keVee": "e_ee_kev",
    "keVnr": "e_nr_kev",
    "PE": "pe",
    "us": "t_us",
}

#: bare labels that are units themselves (``"PE"``)
_BARE_UNITS = frozenset({"PE"})

ErrorsMode = Literal["sumw2", "poisson", "none"]


@dataclass(frozen=True)
class Axis:
    """One binned axis of a dataset.

    Parameters
    ----------
    name : str or None
        Identifier such as ``"e_ee_kev"``, ``"pe"``, ``"t_us"``, ``"f90"``; ``None`` if the
        source did not name it.
    edges : ndarray
        Strictly increasing bin edges (a bin is ``[lo, hi)``).
    unit : str
        ``"keVee"``, ``"keVnr"``, ``"PE"``, ``"us"``; ``""`` if unknown or dimensionless.
    label : str
        Plot label.
    """

    name: str | None
    edges: NDArray[np.float64]
    unit: str = ""
    label: str = ""

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return int(self.edges.size - 1)


@dataclass(frozen=True)
class ObservedAxis:
    """An axis of the observed counts a signal produces (see :func:`observed_axes`).

    ``edges`` is ``None`` where the detector does not expose them (then only the number of
    bins can be compared).

    Parameters
    ----------
    name : str or None
        Label of the axis (e.g. the observable); None where none is known.
    unit : str
        Unit of the axis (e.g. ``keVee``, ``PE``, ``us``).
    n_bins : int
        Number of bins along the axis.
    edges : ndarray or None
        Bin edges, ``n_bins + 1`` values; None where the detector does not expose them.
    """

    name: str | None
    unit: str
    n_bins: int
    edges: NDArray[np.float64] | None


@dataclass(frozen=True, eq=False)
class Dataset:
    """Binned observations on any number of axes.

    Parameters
    ----------
    name : str
    counts : array_like
        Observed values, shape ``(n_0, n_1, ...)`` matching the edges.
    edges : sequence of array_like
        Bin edges per axis, each strictly increasing.
    errors : array_like, optional
        One-sigma uncertainties (> 0 in every bin; the chi2 likelihood needs them).
        ``None``: Poisson counts (the Poisson likelihood; empty bins allowed).
    axis_labels : sequence of str
        Plot labels with units, e.g. ``("E_ee [keVee]",)``; default ``"name [unit]"``.
    unit : str
        Unit of the counts, e.g. ``"counts / (10 eV 3 kg day)"``.
    allow_negative : bool
        Background-subtracted data may be negative; otherwise negative counts are an error.
    meta : dict
        Free-form metadata (source, live time, entries outside the binning...).
    axis_names : sequence of str, optional
        One identifier per axis (``"e_ee_kev"``, ``"pe"``, ``"t_us"``, ``"f90"``).
    axis_units : sequence of str, optional
        One unit per axis (``"keVee"``, ``"PE"``, ``"us"``, ``""``); default the ``[...]``
        part of each label.

    Examples
    --------
    >>> d = Dataset.from_arrays([3.0, 5.0], [0.0, 1.0, 2.0], errors=[1.7, 2.2])
    >>> d.centres[0]
    array([0.5, 1.5])
    >>> d3 = Dataset.from_arrays(np.zeros((2, 3, 4)), [0, 1, 2], [0, 1, 2, 3], range(5),
    ...                          axis_names=("e_ee_kev", "f90", "t_us"),
    ...                          axis_units=("keVee", "", "us"))
    >>> d3.shape, d3.axis_labels
    ((2, 3, 4), ('e_ee_kev [keVee]', 'f90', 't_us [us]'))
    """

    name: str
    counts: NDArray[np.float64]
    edges: tuple[NDArray[np.float64], ...]
    errors: NDArray[np.float64] | None = None
    axis_labels: tuple[str, ...] = ()
    unit: str = "counts"
    allow_negative: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    axis_names: tuple[str | None, ...] = ()
    axis_units: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        given: object = self.edges  # checked at run time: callers pass arrays too
        if isinstance(given, np.ndarray) and given.ndim == 1:
            msg = f"{self.name}: edges must be a sequence of arrays (one per axis), got one array"
            raise InvalidParameterError(msg)
        edges = tuple(
            check_increasing(f"{self.name}: edges[{i}]", e) for i, e in enumerate(self.edges)
        )
        if not edges:
            msg = f"{self.name}: a dataset needs at least one axis"
            raise InvalidParameterError(msg)
        n = len(edges)
        counts = as_float_array(f"{self.name}: counts", self.counts)
        shape = tuple(e.size - 1 for e in edges)
        if counts.shape != shape:
            msg = f"{self.name}: counts have shape {counts.shape} but the edges give {shape} bins"
            raise InvalidParameterError(msg)
        if not self.allow_negative and np.any(counts < 0):
            i = np.argwhere(counts < 0)[0]
            msg = (
                f"{self.name}: counts must be >= 0, got {float(counts[tuple(i)])!r} in bin "
                f"{tuple(i.tolist())} "
                "(pass allow_negative=True for background-subtracted data)"
            )
            raise InvalidParameterError(msg)
        errors = None
        if self.errors is not None:
            errors = as_float_array(f"{self.name}: errors", self.errors)
            if errors.shape != shape:
                msg = f"{self.name}: errors have shape {errors.shape}, expected {shape}"
                raise InvalidParameterError(msg)
            if np.any(errors <= 0):
                i = np.argwhere(errors <= 0)[0]
                msg = (
                    f"{self.name}: errors must be > 0, got {float(errors[tuple(i)])!r} in bin "
                    f"{tuple(i.tolist())} (Poisson counts need no errors: pass errors=None)"
                )
                raise InvalidParameterError(msg)
        names = tuple(self.axis_names)
        if names:
            if len(names) != n:
                msg = f"{self.name}: {len(names)} axis names for {n} axes"
                raise InvalidParameterError(msg)
            given = [a for a in names if a is not None]
            bad = [a for a in given if not (isinstance(a, str) and a.isidentifier())]
            if bad:
                msg = f"{self.name}: axis names must be identifiers (e.g. 'e_ee_kev'), got {bad}"
                raise InvalidParameterError(msg)
            if len(set(given)) != len(given):
                msg = f"{self.name}: axis names repeat: {list(names)}"
                raise InvalidParameterError(msg)
        else:
            names = (None,) * n
        labels = tuple(self.axis_labels)
        if labels and len(labels) != n:
            msg = f"{self.name}: {len(labels)} axis labels for {n} axes"
            raise InvalidParameterError(msg)
        units = tuple(self.axis_units)
        if units:
            if len(units) != n:
                msg = f"{self.name}: {len(units)} axis units for {n} axes"
                raise InvalidParameterError(msg)
        elif labels:
            units = tuple(_unit_of_label(lab) for lab in labels)
        else:
            units = ("",) * n
        if not labels:
            labels = tuple(
                (f"{nm} [{u}]" if u else nm) if nm is not None else (u or f"x{i}")
                for i, (nm, u) in enumerate(zip(names, units, strict=True))
            )
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "errors", errors)
        object.__setattr__(self, "axis_labels", labels)
        object.__setattr__(self, "axis_names", names)
        object.__setattr__(self, "axis_units", tuple(str(u) for u in units))

    # ------------------------------------------------------------------ properties
    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.edges)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the counts."""
        return tuple(int(e.size - 1) for e in self.edges)

    @property
    def centres(self) -> tuple[NDArray[np.float64], ...]:
        """Bin centres per axis."""
        return tuple(0.5 * (e[1:] + e[:-1]) for e in self.edges)

    @property
    def widths(self) -> tuple[NDArray[np.float64], ...]:
        """Bin widths per axis."""
        return tuple(np.diff(e) for e in self.edges)

    @property
    def total(self) -> float:
        """Sum of the counts."""
        return float(self.counts.sum())

    @property
    def axes(self) -> tuple[Axis, ...]:
        """The axes with names, edges, units and labels."""
        return tuple(
            Axis(nm, e, u, lab)
            for nm, e, u, lab in zip(
                self.axis_names, self.edges, self.axis_units, self.axis_labels, strict=True
            )
        )

    @property
    def is_poisson(self) -> bool:
        """Poisson counts (no errors)."""
        return self.errors is None

    def __repr__(self) -> str:
        axes = " x ".join(
            f"{lab} [{e[0]:g}, {e[-1]:g}] ({e.size - 1} bins)"
            for lab, e in zip(self.axis_labels, self.edges, strict=True)
        )
        return f"Dataset({self.name!r}, {axes}, total={self.total:g} {self.unit})"

    def edges_summary(self) -> str:
        """One line per axis: name, unit, bins and range (for error messages)."""
        return "; ".join(_axis_summary(a.name, a.unit, a.edges) for a in self.axes)

    # ------------------------------------------------------------------ copies
    def with_meta(self, **meta: Any) -> Dataset:
        """A copy with extra metadata."""
        return dataclasses.replace(self, meta=self.meta | meta)

    def with_axes(
        self,
        axis_names: Sequence[str | None] | None = None,
        axis_units: Sequence[str] | None = None,
        *,
        edges: Sequence[ArrayLike | None] | None = None,
        where: str = "",
    ) -> Dataset:
        """A copy with declared axis names and units, checking declared edges.

        Parameters
        ----------
        axis_names, axis_units : sequence, optional
            One per axis; ``None`` keeps the current ones.
        edges : sequence of array_like or None, optional
            Declared edges per axis (``None`` entries are not checked). A declared edge
            that differs from the data's by more than :data:`EDGE_RTOL` is an error.
        where : str
            Prefix of error messages (the file or configuration section).
        """
        pre = f"{where}: " if where else f"{self.name}: "
        n = self.ndim
        for what, seq in (("axis names", axis_names), ("axis units", axis_units)):
            if seq is not None and len(seq) != n:
                msg = f"{pre}{len(seq)} {what} declared for a dataset with {n} axes"
                raise InvalidParameterError(msg)
        if edges is not None:
            if len(edges) != n:
                msg = f"{pre}{len(edges)} axes declared for a dataset with {n} axes"
                raise InvalidParameterError(msg)
            for i, (declared, have) in enumerate(zip(edges, self.edges, strict=True)):
                if declared is None:
                    continue
                dec = check_increasing(f"{pre}axes[{i}].edges", declared)
                if not edges_agree(have, dec):
                    msg = (
                        f"{pre}axis {i} of the data has edges {_axis_summary(None, '', have)} "
                        f"but the declared axis has {_axis_summary(None, '', dec)}"
                        f"{_first_difference(have, dec)}"
                    )
                    raise InvalidParameterError(msg)
        names = tuple(axis_names) if axis_names is not None else self.axis_names
        units = tuple(axis_units) if axis_units is not None else self.axis_units
        labels: tuple[str, ...] = ()
        if axis_names is None and axis_units is None:
            labels = self.axis_labels
        return dataclasses.replace(self, axis_names=names, axis_units=units, axis_labels=labels)

    # ------------------------------------------------------------------ arrays and hist
    @classmethod
    def from_arrays(
        cls,
        counts: ArrayLike,
        *edges: ArrayLike,
        errors: ArrayLike | None = None,
        name: str = "data",
        **kwargs: Any,
    ) -> Dataset:
        """Dataset from numpy arrays: counts, one edges array per axis, optional errors.

        Parameters
        ----------
        counts : array_like
            Shape ``(n_0, n_1, ...)``.
        *edges : array_like
            One strictly increasing edges array per axis.
        errors : array_like, optional
            One-sigma errors (> 0); ``None`` for Poisson counts.
        name : str
        **kwargs
            Other :class:`Dataset` fields (``axis_names``, ``axis_units``, ``unit``...).
        """
        err = None if errors is None else np.asarray(errors, dtype=np.float64)
        return cls(
            name, np.asarray(counts), tuple(np.asarray(e) for e in edges), errors=err, **kwargs
        )

    @classmethod
    def from_hist(
        cls,
        h: Any,
        *,
        name: str = "data",
        errors: Literal["auto", "sumw2", "none"] = "auto",
        **kwargs: Any,
    ) -> Dataset:
        """Dataset from a :class:`hist.Hist` (or boost-histogram) without flow bins.

        Parameters
        ----------
        h : hist.Hist or boost_histogram.Histogram
            Axis names and labels become the dataset's; a label ``"x [unit]"`` gives the
            unit.
        name : str
        errors : {"auto", "sumw2", "none"}
            ``"auto"``: ``Weight`` storage gives errors sqrt(variance) if every variance is
            > 0, and Poisson counts if the variances equal the values (an unweighted fill
            with empty bins); other storages give Poisson counts. ``"sumw2"``: always
            sqrt(variance). ``"none"``: Poisson counts.
        **kwargs
            Other :class:`Dataset` fields.
        """
        import boost_histogram as bh

        if not isinstance(h, bh.Histogram):
            msg = (
                f"{name}: expected a hist.Hist or boost_histogram.Histogram, got {type(h).__name__}"
            )
            raise InvalidParameterError(msg)
        values = np.asarray(h.values(flow=False), dtype=np.float64)
        weighted = issubclass(h.storage_type, bh.storage.Weight)
        variances = np.asarray(h.variances(flow=False), dtype=np.float64) if weighted else None
        err = _errors_from_variances(values, variances, errors, name)
        edges = tuple(np.asarray(ax.edges, dtype=np.float64) for ax in h.axes)
        labels = tuple(
            str(getattr(ax, "label", "") or getattr(ax, "name", "") or f"x{i}")
            for i, ax in enumerate(h.axes)
        )
        names = tuple(
            str(getattr(ax, "name", "")) if str(getattr(ax, "name", "")).isidentifier() else None
            for ax in h.axes
        )
        kwargs.setdefault("axis_labels", labels)
        if any(nm is not None for nm in names):
            kwargs.setdefault("axis_names", names)
        return cls(name, values, edges, errors=err, **kwargs)

    def to_hist(self) -> Any:
        """The dataset as a :class:`hist.Hist`.

        ``Weight`` storage with errors^2 as variances, ``Double`` storage for Poisson
        counts. Axis names are the dataset's (``x<i>`` if unnamed).
        """
        import hist

        axes = [
            hist.axis.Variable(a.edges, name=a.name or f"x{i}", label=a.label)
            for i, a in enumerate(self.axes)
        ]
        if self.errors is None:
            h = hist.Hist(*axes, storage=hist.storage.Double())
            h.view()[...] = self.counts
            return h
        hw: Any = hist.Hist(*axes, storage=hist.storage.Weight())
        view = hw.view()
        view.value = self.counts
        view.variance = self.errors**2
        return hw

    # ------------------------------------------------------------------ text and CSV
    @classmethod
    def from_text(
        cls,
        path: str | Path,
        *,
        centre_column: int | str = 0,
        count_column: int | str = 1,
        error_column: int | str | None = 2,
        centre_columns: Sequence[int | str] | None = None,
        edge_columns: Sequence[tuple[int | str, int | str]] | None = None,
        edges: Sequence[ArrayLike] | None = None,
        delimiter: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Binned dataset from a whitespace- or comma-separated text file, one row per bin.

        Parameters
        ----------
        path : str or Path
        centre_column : int or str
            Bin-centre column of a 1D file (index, or name in a header row).
        count_column, error_column : int or str
            Counts and errors; ``error_column=None`` for Poisson counts.
        centre_columns : sequence of int or str, optional
            One bin-centre column per axis (N-D). Edges come from ``edges`` or, without
            them, from the uniformly spaced distinct centres of each axis.
        edge_columns : sequence of (low, high), optional
            One pair of bin-edge columns per axis (N-D, any binning); the distinct lows
            and highs of each axis must join up (``high_i == low_{i+1}``).
        edges : sequence of array_like, optional
            Explicit edges per axis for centre columns; every centre must lie inside a bin.
        delimiter : str, optional
            Default: comma if the first data line has one, else whitespace.
        name : str, optional
            Default the file stem.
        **kwargs
            Other :class:`Dataset` fields (``axis_names``, ``axis_units``, ``unit``...).

        Every bin of the grid must appear in exactly one row (rows may come in any
        order; they are placed by their coordinates).
        """
        table, header, p = read_table(path, delimiter=delimiter)
        counts_col = column(table, header, count_column, "count_column", p)
        err_col = (
            None if error_column is None else column(table, header, error_column, "error_column", p)
        )
        if edge_columns is not None and centre_columns is not None:
            msg = f"{p}: give edge_columns or centre_columns, not both"
            raise InvalidParameterError(msg)
        axis_edges: list[NDArray[np.float64]] = []
        index: list[NDArray[np.intp]] = []
        if edge_columns is not None:
            if edges is not None:
                msg = f"{p}: edges come from the edge columns; do not pass edges as well"
                raise InvalidParameterError(msg)
            for i, pair_given in enumerate(edge_columns):
                pair: Sequence[Any] = pair_given
                if len(pair) != 2:
                    msg = f"{p}: edge_columns[{i}] must be a (low, high) pair, got {pair!r}"
                    raise InvalidParameterError(msg)
                lo = column(table, header, pair[0], f"edge_columns[{i}][0]", p)
                hi = column(table, header, pair[1], f"edge_columns[{i}][1]", p)
                e, idx = _edges_from_low_high(lo, hi, f"{p}: axis {i}")
                axis_edges.append(e)
                index.append(idx)
        else:
            cols = list(centre_columns) if centre_columns is not None else [centre_column]
            if edges is not None and len(edges) != len(cols):
                msg = f"{p}: {len(edges)} edge arrays for {len(cols)} centre columns"
                raise InvalidParameterError(msg)
            for i, c in enumerate(cols):
                centres = column(table, header, c, f"centre column {i}", p)
                if edges is None:
                    uniq, idx = np.unique(centres, return_inverse=True)
                    e = _edges_from_uniform_centres(uniq, f"{p.name}")
                else:
                    e = check_increasing(f"{p}: edges[{i}]", edges[i])
                    idx = _bin_index(centres, e, f"{p}: centre column {c!r}")
                axis_edges.append(e)
                index.append(np.asarray(idx, dtype=np.intp))
        shape = tuple(e.size - 1 for e in axis_edges)
        values = _place(counts_col, index, shape, p, "counts")
        errs = None if err_col is None else _place(err_col, index, shape, p, "errors")
        return cls(name or p.stem, values, tuple(axis_edges), errors=errs, **kwargs)

    @classmethod
    def from_csv(cls, path: str | Path, **kwargs: Any) -> Dataset:
        """:meth:`from_text` with a comma delimiter (columns by index or header name).

        Parameters
        ----------
        path : str or Path
        **kwargs
            As :meth:`from_text`.
        """
        kwargs.setdefault("delimiter", ",")
        return cls.from_text(path, **kwargs)

    def to_text(
        self,
        path: str | Path,
        *,
        layout: Literal["auto", "centres", "edges"] = "auto",
        delimiter: str = " ",
    ) -> None:
        """Write one row per bin: ``centre value error`` (1D) or edge pairs (N-D).

        Parameters
        ----------
        path : str or Path
        layout : {"auto", "centres", "edges"}
            ``"centres"`` (1D only): ``centre value [error]``; ``"edges"``: ``low_0 high_0
            low_1 high_1 ... value [error]`` (read back with ``edge_columns``); ``"auto"``:
            centres in 1D, edges otherwise.
        delimiter : str
            ``","`` for CSV.

        Poisson datasets write no error column (read them back with ``error_column=None``)
        -- except 1D ``"centres"`` files, which keep the three-column layout with errors
        of 0 for compatibility with earlier files; read those with ``error_column=None``.
        """
        chosen: str = layout
        if chosen == "auto":
            chosen = "centres" if self.ndim == 1 else "edges"
        if chosen == "centres":
            if self.ndim != 1:
                msg = "to_text(layout='centres') supports 1D datasets; use layout='edges'"
                raise InvalidParameterError(msg)
            err = self.errors if self.errors is not None else np.zeros_like(self.counts)
            header = f"{self.name}: {self.axis_labels[0]} centre, {self.unit}, error"
            np.savetxt(
                path,
                np.column_stack([self.centres[0], self.counts, err]),
                header=header,
                delimiter=delimiter,
            )
            return
        if chosen != "edges":
            msg = f"layout must be 'auto', 'centres' or 'edges', got {layout!r}"
            raise InvalidParameterError(msg)
        grids = np.meshgrid(*[np.arange(n) for n in self.shape], indexing="ij")
        cols: list[NDArray[np.float64]] = []
        names: list[str] = []
        for i, (g, e) in enumerate(zip(grids, self.edges, strict=True)):
            cols += [e[g.ravel()], e[g.ravel() + 1]]
            nm = self.axis_names[i] or f"x{i}"
            names += [f"{nm}_low", f"{nm}_high"]
        cols.append(self.counts.ravel())
        names.append("count")
        if self.errors is not None:
            cols.append(self.errors.ravel())
            names.append("error")
        units = ", ".join(
            f"{nm or f'x{i}'} [{u}]"
            for i, (nm, u) in enumerate(zip(self.axis_names, self.axis_units, strict=True))
        )
        with Path(path).open("w") as fh:
            fh.write(f"# {self.name}: {units}; counts in {self.unit}\n")
            # the column names as a header row (read back by name)
            np.savetxt(
                fh,
                np.column_stack(cols),
                header=delimiter.join(names),
                delimiter=delimiter,
                comments="",
            )

    # ------------------------------------------------------------------ events
    @classmethod
    def from_events(
        cls,
        source: str | Path | ArrayLike,
        edges: Sequence[ArrayLike],
        *,
        columns: Sequence[int | str] | None = None,
        weight_column: int | str | None = None,
        errors: ErrorsMode = "none",
        delimiter: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Bin an unbinned event list (one row per event, one column per axis).

        Parameters
        ----------
        source : str, Path or array_like
            A text/CSV file, a ``.npy`` file of shape ``(n_events, n_columns)``, or an
            array of that shape.
        edges : sequence of array_like
            Bin edges per axis. Events outside them are not counted; how many is kept in
            ``meta["outside"]`` (next to ``meta["entries"]``); all outside is an error.
        columns : sequence of int or str, optional
            The column of each axis (default the first ``len(edges)`` columns).
        weight_column : int or str, optional
            Event weights (default unweighted).
        errors : {"none", "sumw2", "poisson"}
            ``"none"``: Poisson counts; ``"sumw2"``: sqrt of the sum of squared weights;
            ``"poisson"``: sqrt of the counts.
        delimiter : str, optional
        name : str, optional
        **kwargs
            Other :class:`Dataset` fields.
        """
        edge_arrays = [check_increasing(f"edges[{i}]", e) for i, e in enumerate(edges)]
        if not edge_arrays:
            msg = "from_events needs at least one edges array"
            raise InvalidParameterError(msg)
        where: Path | str
        header: tuple[str, ...] = ()
        if isinstance(source, (str, Path)):
            p = Path(source)
            if p.suffix == ".npy":
                table = _load_npy(p)
            else:
                table, header, p = read_table(p, delimiter=delimiter, what="event file")
            where = p
            label = p.stem
        else:
            table = np.asarray(source, dtype=np.float64)
            where = "events array"
            label = "events"
            if table.ndim == 1 and len(edge_arrays) == 1:
                table = table[:, None]
        if table.ndim != 2:
            msg = f"{where}: events must be a 2D table (events x columns), got shape {table.shape}"
            raise InvalidParameterError(msg)
        if table.shape[0] == 0:
            msg = f"{where}: no events"
            raise InvalidParameterError(msg)
        cols = list(columns) if columns is not None else list(range(len(edge_arrays)))
        if len(cols) != len(edge_arrays):
            msg = f"{where}: {len(cols)} columns for {len(edge_arrays)} edge arrays"
            raise InvalidParameterError(msg)
        wpath = Path(str(where))
        data = [column(table, header, c, f"columns[{i}]", wpath) for i, c in enumerate(cols)]
        weights = (
            None
            if weight_column is None
            else column(table, header, weight_column, "weight_column", wpath)
        )
        values, sumw2, outside = _fill(data, edge_arrays, weights, str(where))
        err = _errors_from_mode(values, sumw2, errors, str(where))
        ds = cls(name or label, values, tuple(edge_arrays), errors=err, **kwargs)
        return ds.with_meta(outside=outside, entries=int(table.shape[0]))

    # ------------------------------------------------------------------ numpy and HDF5
    @classmethod
    def from_numpy(
        cls,
        path: str | Path,
        *,
        edges: Sequence[ArrayLike] | None = None,
        errors: ArrayLike | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Dataset from an ``.npz`` or ``.npy`` file.

        ``.npz``: keys ``counts``, ``edges_0``... and optionally ``errors``,
        ``axis_names``, ``axis_units``, ``unit`` (:meth:`to_npz`); ``.npy``: counts only.

        Parameters
        ----------
        path : str or Path
        edges : sequence of array_like, optional
            Required for ``.npy`` (which holds counts only); not allowed for ``.npz``.
        errors : array_like, optional
            Errors of a ``.npy`` file (default Poisson counts).
        name : str, optional
        **kwargs
            Other :class:`Dataset` fields.
        """
        p = check_file(path, "numpy file")
        if p.suffix == ".npy":
            if edges is None:
                msg = f"{p}: a .npy file holds the counts only; pass edges (one array per axis)"
                raise InvalidParameterError(msg)
            counts = _load_npy(p)
            return cls.from_arrays(counts, *edges, errors=errors, name=name or p.stem, **kwargs)
        if edges is not None or errors is not None:
            msg = f"{p}: an .npz file carries its edges and errors; do not pass them"
            raise InvalidParameterError(msg)
        check_magic(p, ".npz")
        try:
            with np.load(p, allow_pickle=False) as z:
                stored = {k: np.asarray(z[k]) for k in z.files}
        except Exception as e:  # a zip or npy error from a corrupt file
            raise reraise_unreadable(e, p, ".npz") from e
        return cls._from_stored(stored, p, name, kwargs)

    def to_npz(self, path: str | Path) -> None:
        """Write the ``.npz`` layout that :meth:`from_numpy` reads.

        Parameters
        ----------
        path : str or Path
            The ``.npz`` file to write (replaced if it exists).
        """
        stored: dict[str, Any] = self._stored()
        np.savez(path, **stored)

    @classmethod
    def from_hdf5(
        cls, path: str | Path, group: str = "/", *, name: str | None = None, **kwargs: Any
    ) -> Dataset:
        """Dataset from a group of an HDF5 file.

        The group holds datasets ``counts``, ``edges_0``... and optionally ``errors``,
        ``axis_names``, ``axis_units``, and an attribute ``unit`` (:meth:`to_hdf5`).

        Parameters
        ----------
        path : str or Path
        group : str
            Group path inside the file.
        name : str, optional
        **kwargs
            Other :class:`Dataset` fields.
        """
        import h5py

        p = check_file(path, "HDF5 file")
        try:
            f = h5py.File(p, "r")
        except Exception as e:  # OSError of h5py for a non-HDF5 or truncated file
            raise reraise_unreadable(e, p, "HDF5") from e
        with f:
            if group not in f:
                msg = f"{p}: no group {group!r}; the file contains {sorted(f.keys())}"
                raise UnknownNameError(msg)
            g = f[group]
            if not isinstance(g, h5py.Group):
                msg = f"{p}: {group!r} is a {type(g).__name__}, expected a group"
                raise InvalidParameterError(msg)
            try:
                stored = {k: np.asarray(g[k][()]) for k in g if isinstance(g[k], h5py.Dataset)}
            except Exception as e:
                raise reraise_unreadable(e, p, "HDF5") from e
            if "unit" in g.attrs:
                stored["unit"] = np.asarray(string_list(g.attrs["unit"])[0])
        return cls._from_stored(stored, p, name, kwargs, where=f"{p}:{group}")

    def to_hdf5(self, path: str | Path, group: str = "/", *, mode: Literal["w", "a"] = "w") -> None:
        """Write the HDF5 layout that :meth:`from_hdf5` reads (``mode="a"`` adds a group).

        Parameters
        ----------
        path : str or Path
            The HDF5 file.
        group : str
            Group to write the datasets in.
        mode : {"w", "a"}
            ``"w"`` replaces the file, ``"a"`` adds the group to it.
        """
        import h5py

        stored = self._stored()
        unit = str(stored.pop("unit"))
        with h5py.File(path, mode) as f:
            g = f.require_group(group)
            for k, v in stored.items():
                if v.dtype.kind == "U":
                    g.create_dataset(k, data=v.astype("S"))
                else:
                    g.create_dataset(k, data=v)
            g.attrs["unit"] = unit

    def _stored(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {"counts": self.counts}
        for i, e in enumerate(self.edges):
            out[f"edges_{i}"] = e
        if self.errors is not None:
            out["errors"] = self.errors
        out["axis_names"] = np.array([n or "" for n in self.axis_names])
        out["axis_units"] = np.array(list(self.axis_units))
        out["unit"] = np.array(self.unit)
        return out

    @classmethod
    def _from_stored(
        cls,
        stored: Mapping[str, NDArray[Any]],
        p: Path,
        name: str | None,
        kwargs: dict[str, Any],
        where: str | None = None,
    ) -> Dataset:
        where = where or str(p)
        if "counts" not in stored:
            msg = f"{where}: no 'counts' array; it contains {sorted(stored)}"
            raise InvalidParameterError(msg)
        counts = stored["counts"]
        n = counts.ndim
        missing = [f"edges_{i}" for i in range(n) if f"edges_{i}" not in stored]
        if n == 0 or missing:
            msg = (
                f"{where}: counts of shape {counts.shape} need arrays edges_0..edges_{n - 1}; "
                f"missing {missing or ['(counts must have at least one axis)']}"
            )
            raise InvalidParameterError(msg)
        if counts.dtype.kind not in "fiub":
            msg = f"{where}: counts must be numbers, got dtype {counts.dtype}"
            raise InvalidParameterError(msg)
        edges = tuple(stored[f"edges_{i}"] for i in range(n))
        errors = stored.get("errors")
        if "axis_names" in stored and "axis_names" not in kwargs:
            names = string_list(stored["axis_names"])
            kwargs["axis_names"] = tuple(nm or None for nm in names)
        if "axis_units" in stored and "axis_units" not in kwargs:
            kwargs["axis_units"] = string_list(stored["axis_units"])
        if "unit" in stored and "unit" not in kwargs:
            kwargs["unit"] = string_list(stored["unit"])[0]
        try:
            return cls(name or p.stem, counts, edges, errors=errors, **kwargs)
        except InvalidParameterError as e:
            msg = f"{where}: {e}"
            raise InvalidParameterError(msg) from e

    # ------------------------------------------------------------------ registered files
    # ------------------------------------------------------------------ ROOT
    @classmethod
    def from_root(
        cls,
        path: str | Path,
        name: str,
        *,
        dataset_name: str | None = None,
        errors: Literal["auto", "sumw2", "none"] = "auto",
        **kwargs: Any,
    ) -> Dataset:
        """Read a TH1, TH2 or TH3 (values, errors from the sum of weights squared, edges).

        Parameters
        ----------
        path : str or Path
        name : str
            Object name in the file.
        dataset_name : str, optional
            Default ``name``.
        errors : {"auto", "sumw2", "none"}
            ``"auto"``: a histogram without ``fSumw2`` (or whose ``fSumw2`` equals the
            values while some bin is empty) gives Poisson counts, otherwise errors
            sqrt(fSumw2), which must then be > 0 everywhere. ``"sumw2"``: always errors;
            ``"none"``: Poisson counts.
        **kwargs
            Other :class:`Dataset` fields. A TAxis title ``"label [unit]"`` gives the axis
            unit, and the axis name if the label is a lower-case identifier
            (``"e_ee_kev [keVee]"``).

        Raises
        ------
        UnknownNameError
            No object of that name; the message lists what the file contains.
        """
        uproot = _uproot()
        p = check_file(path, "ROOT file")
        with _open_root(uproot, p) as f:
            obj = _get_root_object(f, name, p)
            classname = getattr(obj, "classname", type(obj).__name__)
            if not classname.startswith(("TH1", "TH2", "TH3")):
                msg = (
                    f"{p}: object {name!r} is a {classname}, "
                    "expected a TH1 or TH2 (or TH3) histogram"
                )
                raise InvalidParameterError(msg)
            try:
                values = np.asarray(obj.values(flow=False), dtype=np.float64)
                has_sumw2 = len(obj.member("fSumw2")) > 0
                variances = (
                    np.asarray(obj.variances(flow=False), dtype=np.float64) if has_sumw2 else None
                )
                edges = tuple(np.asarray(ax.edges(flow=False), dtype=np.float64) for ax in obj.axes)
                titles = tuple(str(ax.member("fTitle") or "") for ax in obj.axes)
            except Exception as e:  # a truncated or corrupt object
                raise reraise_unreadable(e, p, "ROOT") from e
        where = f"{p}: {name}"
        err = _errors_from_variances(values, variances, errors, where)
        labels = tuple(t or f"x{i}" for i, t in enumerate(titles))
        names = tuple(_name_of_label(t) for t in titles)
        kwargs.setdefault("axis_labels", labels)
        if any(nm is not None for nm in names):
            kwargs.setdefault("axis_names", names)
        return cls(dataset_name or name, values, edges, errors=err, **kwargs)

    @classmethod
    def from_root_tree(
        cls,
        path: str | Path,
        tree: str,
        branches: str | Sequence[str],
        edges: ArrayLike | Sequence[ArrayLike],
        *,
        weight: str | None = None,
        errors: ErrorsMode | ArrayLike = "sumw2",
        dataset_name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Bin TTree (or RNTuple) branches, one per axis, with boost-histogram.

        Parameters
        ----------
        path : str or Path
        tree : str
            Tree (or RNTuple) name.
        branches : str or sequence of str
            One branch per axis.
        edges : array or sequence of arrays
            Bin edges per axis. Entries outside the edges are not counted (reported in
            ``meta["outside"]``); all entries outside is an error.
        weight : str, optional
            Weight branch.
        errors : {"sumw2", "poisson", "none"} or array
            ``"sumw2"``: sqrt of the sum of squared weights (sqrt(N) unweighted; every bin
            must then be non-empty); ``"poisson"``: sqrt of the counts; ``"none"``: Poisson
            counts without errors; or explicit errors.
        dataset_name : str, optional
            Default the tree name.
        **kwargs
            Other :class:`Dataset` fields (default axis labels: the branch names).
        """
        uproot = _uproot()
        branch_list = [branches] if isinstance(branches, str) else list(branches)
        edges_any: Any = edges
        one_axis = len(branch_list) == 1 and np.ndim(edges_any[0]) == 0
        edge_list: list[Any] = [edges_any] if one_axis else list(edges_any)
        if len(edge_list) != len(branch_list):
            n = len(branch_list)
            msg = f"{n} branches need {n} edge arrays, got {len(edge_list)}"
            raise InvalidParameterError(msg)
        edge_arrays = [check_increasing(f"edges[{i}]", e) for i, e in enumerate(edge_list)]
        p = check_file(path, "ROOT file")
        with _open_root(uproot, p) as f:
            t = _get_root_object(f, tree, p)
            classname = str(getattr(t, "classname", type(t).__name__))
            if not (classname.startswith("TTree") or "RNTuple" in classname):
                msg = f"{p}: object {tree!r} is a {classname}, expected a TTree or RNTuple"
                raise InvalidParameterError(msg)
            keys = list(t.keys())
            wanted = [*branch_list, *([weight] if weight else [])]
            for b in wanted:
                if b not in keys:
                    hints = closest(b, keys)
                    hint = f"; did you mean {hints[0]!r}?" if hints else ""
                    msg = f"{p}: tree {tree!r} has no branch {b!r}{hint} Branches: {sorted(keys)}"
                    raise UnknownNameError(msg)
            try:
                arrays = t.arrays(wanted, library="np")
                cols = {b: np.asarray(arrays[b], dtype=np.float64) for b in wanted}
            except Exception as e:  # truncated baskets, jagged branches
                raise reraise_unreadable(e, p, "ROOT") from e
        where = f"{p}: tree {tree!r}"
        for b, v in cols.items():
            if v.ndim != 1:
                msg = f"{where}: branch {b!r} must hold one number per entry, got shape {v.shape}"
                raise InvalidParameterError(msg)
            if not np.all(np.isfinite(v)):
                i = int(np.argmax(~np.isfinite(v)))
                msg = f"{where}: branch {b!r} has the non-finite value {float(v[i])!r} at entry {i}"
                raise InvalidParameterError(msg)
        data = [cols[b] for b in branch_list]
        if data[0].size == 0:
            msg = f"{where}: no entries"
            raise InvalidParameterError(msg)
        values, sumw2, outside = _fill(data, edge_arrays, cols[weight] if weight else None, where)
        if isinstance(errors, str):
            err = _errors_from_mode(values, sumw2, errors, where)
        else:
            err = np.asarray(errors, dtype=np.float64)
        kwargs.setdefault("axis_labels", tuple(branch_list))
        ds = cls(dataset_name or tree, values, tuple(edge_arrays), errors=err, **kwargs)
        return ds.with_meta(outside=outside, entries=int(data[0].size))

    def to_root(
        self,
        path: str | Path,
        name: str | None = None,
        *,
        mode: Literal["recreate", "update"] = "recreate",
    ) -> None:
        """Write as TH1D/TH2D/TH3D (with ``fSumw2 = errors^2``; Poisson counts without).

        Parameters
        ----------
        path : str or Path
        name : str, optional
            Object name (default the dataset name).
        mode : {"recreate", "update"}
        """
        if self.ndim > 3:
            msg = f"{self.name}: ROOT histograms have at most 3 axes, this dataset has {self.ndim}"
            raise InvalidParameterError(msg)
        import boost_histogram as bh

        uproot = _uproot()
        axes = []
        for a in self.axes:
            ax = bh.axis.Variable(a.edges, metadata=a.label)
            ax.label = a.label  # what uproot writes as the axis title
            axes.append(ax)
        h: Any
        if self.errors is None:
            h = bh.Histogram(*axes, storage=bh.storage.Double())
            h.view()[...] = self.counts
        else:
            h = bh.Histogram(*axes, storage=bh.storage.Weight())
            view: Any = h.view()
            view.value = self.counts
            view.variance = self.errors**2
        opener = uproot.recreate if mode == "recreate" else uproot.update
        with opener(path) as f:
            f[name or self.name] = h


# ---------------------------------------------------------------------- compatibility
def edges_agree(a: ArrayLike, b: ArrayLike, rtol: float = EDGE_RTOL) -> bool:
    """Whether two edge arrays agree.

    Same number of edges, each equal within ``rtol`` of its magnitude (or of the span of
    the axis, for edges at or near zero).

    Parameters
    ----------
    a, b : array_like
    rtol : float
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        return False
    scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), abs(float(y[-1] - y[0])))
    return bool(np.all(np.abs(x - y) <= rtol * scale))


def observed_axes(signal: Any) -> tuple[ObservedAxis, ...]:
    """The axes of the counts a signal produces, as far as its detector exposes them.

    Parameters
    ----------
    signal : cevns.likelihood.signal.Signal
        The observed (energy) axis has the detector's ``bin_edges`` and, as unit, its
        ``observable`` (``"keVee"``, ``"keVnr"``, ``"PE"``); with beam timing
        (``signal.timing``) a second axis ``"t_us"`` follows, whose edges are the
        detector's ``time_edges_us`` or ``timing.edges_us`` (a pi-DAR timing setup), or
        unknown (only its number of bins is compared). A detector whose observed bins are
        the flattened product of several physical axes declares them as ``observed_grid``
        (``(name, unit, edges)`` triples, slowest first): these replace the single
        observed axis (e.g. COHERENT LAr: energy x F90).

    Returns
    -------
    tuple of ObservedAxis
        Empty if the detector has no ``bin_edges`` (nothing beyond the number of bins can
        be checked).
    """
    det = signal.detector
    edges = getattr(det, "bin_edges", None)
    if edges is None:
        return ()
    e = np.asarray(edges, dtype=np.float64)
    unit = str(getattr(det, "observable", "") or "")
    axes = [ObservedAxis(OBSERVABLE_AXIS_NAMES.get(unit), unit, int(e.size - 1), e)]
    grid = getattr(det, "observed_grid", None)
    if grid is not None:
        # the observed bins are the flattened product of physical axes (slowest first),
        # declared by the detector as (name, unit, edges) triples
        axes = [
            ObservedAxis(str(n), str(u), int(np.size(g) - 1), np.asarray(g, dtype=np.float64))
            for n, u, g in grid
        ]
        n_grid = int(np.prod([a.n_bins for a in axes]))
        if n_grid != e.size - 1:
            msg = (
                f"detector {getattr(det, 'name', '?')!r}: its observed_grid has {n_grid} "
                f"bins, its bin_edges {e.size - 1}"
            )
            raise InvalidParameterError(msg)
    timing = getattr(signal, "timing", None)
    if timing is not None:
        n_t = int(np.asarray(timing).shape[1])
        t_edges = getattr(det, "time_edges_us", None)
        if t_edges is None:
            t_edges = getattr(getattr(det, "timing", None), "edges_us", None)
        t = None if t_edges is None else np.asarray(t_edges, dtype=np.float64)
        if t is not None and t.size != n_t + 1:
            msg = (
                f"detector {getattr(det, 'name', '?')!r}: {t.size} time edges for the "
                f"{n_t} time bins of the signal's timing"
            )
            raise InvalidParameterError(msg)
        axes.append(ObservedAxis("t_us", "us", n_t, t))
    return tuple(axes)


def check_compatible(dataset: Dataset, axes: Sequence[ObservedAxis], where: str) -> None:
    """Raise unless the dataset's axes are those of the signal (edges, names, units).

    Parameters
    ----------
    dataset : Dataset
    axes : sequence of ObservedAxis
        The signal's axes (:func:`observed_axes`); empty: nothing to compare.
    where : str
        Prefix of the error (the experiment name).

    Notes
    -----
    Axes are compared in order: the number of bins, the edges (within :data:`EDGE_RTOL`
    relative; where the signal's edges are known), and the name and the unit where both
    sides give one. If the numbers of axes differ, axes of a single bin that only one side
    has are left out (a count integrated over them: e.g. a time-only dataset of a signal
    with one energy bin); their ranges are then not compared. A 1D dataset whose edges
    are ``0, 1, ..., N`` is a flattened index: it matches a signal of ``N`` bins in total
    (only the number of bins is compared).

    Raises
    ------
    InvalidParameterError
        Names the dataset and both sides' edges.
    """
    sig = list(axes)
    if not sig:
        return
    mine = list(dataset.axes)
    if len(mine) != len(sig):
        mine_sq = [a for a in mine if a.n_bins > 1]
        sig_sq = [a for a in sig if a.n_bins > 1]
        n_total = int(np.prod([a.n_bins for a in sig]))
        if len(mine_sq) == len(sig_sq):
            mine, sig = mine_sq, sig_sq
        elif (
            dataset.ndim == 1
            and dataset.counts.size == n_total
            and np.array_equal(dataset.edges[0], np.arange(n_total + 1))
        ):
            return
        else:
            msg = (
                f"{where}: the dataset {dataset.name!r} has {dataset.ndim} axes "
                f"({dataset.edges_summary()}) but the signal gives {len(sig)} "
                f"({_signal_summary(sig)}): the binnings do not match"
            )
            raise InvalidParameterError(msg)
    for i, (a, s) in enumerate(zip(mine, sig, strict=True)):
        reason = ""
        if a.n_bins != s.n_bins:
            reason = f"{a.n_bins} bins against {s.n_bins}"
        elif s.edges is not None and not edges_agree(a.edges, s.edges):
            reason = "the edges differ" + _first_difference(a.edges, s.edges)
        elif a.name is not None and s.name is not None and a.name != s.name:
            reason = f"axis name {a.name!r} against {s.name!r}"
        elif a.unit and s.unit and a.unit != s.unit:
            reason = f"unit {a.unit!r} against {s.unit!r}"
        if reason:
            s_edges = (
                _axis_summary(s.name, s.unit, s.edges)
                if s.edges is not None
                else f"{s.name or 'unnamed'}: {s.n_bins} bins (edges not exposed)"
            )
            msg = (
                f"{where}: the binnings do not match: dataset {dataset.name!r} axis {i} "
                f"({_axis_summary(a.name, a.unit, a.edges)}) against the detector's "
                f"observed axis ({s_edges}): {reason} (edges compared with relative "
                f"tolerance {EDGE_RTOL:g})"
            )
            raise InvalidParameterError(msg)


# ---------------------------------------------------------------------- helpers
def _unit_of_label(label: str) -> str:
    name, unit = split_label(label)
    if unit:
        return unit
    return name if name in _BARE_UNITS else ""


def _name_of_label(label: str) -> str | None:
    """The axis name of a title ``"e_ee_kev [keVee]"``: a lower-case identifier only."""
    name, _ = split_label(label)
    return name if name.isidentifier() and name == name.lower() else None


def _axis_summary(name: str | None, unit: str, edges: NDArray[np.float64]) -> str:
    head = name or "unnamed"
    u = f" {unit}" if unit else ""
    return f"{head}: {edges.size - 1} bins {edges[0]:g}-{edges[-1]:g}{u}"


def _signal_summary(axes: Sequence[ObservedAxis]) -> str:
    return "; ".join(
        _axis_summary(a.name, a.unit, a.edges)
        if a.edges is not None
        else f"{a.name or 'unnamed'}: {a.n_bins} bins"
        for a in axes
    )


def _first_difference(a: NDArray[np.float64], b: NDArray[np.float64]) -> str:
    if a.shape != b.shape:
        return ""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), abs(float(b[-1] - b[0])))
    bad = np.abs(a - b) > EDGE_RTOL * scale
    i = int(np.argmax(bad))
    return f" (first at edge {i}: {float(a[i])!r} against {float(b[i])!r})"


def _edges_from_uniform_centres(centres: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    if centres.size < 2:
        msg = f"{what}: need at least 2 bins to reconstruct edges, got {centres.size}"
        raise InvalidParameterError(msg)
    d = np.diff(centres)
    if not np.allclose(d, d[0], rtol=1e-6, atol=0):
        msg = (
            f"{what}: bin centres are not uniformly spaced (spacings {d.min():g} to "
            f"{d.max():g}); give edges explicitly"
        )
        raise InvalidParameterError(msg)
    w = float(d.mean())
    return np.concatenate([[centres[0] - w / 2], centres + w / 2])


def _edges_from_low_high(
    lo: NDArray[np.float64], hi: NDArray[np.float64], what: str
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    if np.any(hi <= lo):
        i = int(np.argmax(hi <= lo))
        msg = f"{what}: row {i} has low edge {float(lo[i])!r} >= high edge {float(hi[i])!r}"
        raise InvalidParameterError(msg)
    lows, idx = np.unique(lo, return_inverse=True)
    highs = np.unique(hi)
    if highs.size != lows.size or not edges_agree(highs[:-1], lows[1:]):
        msg = (
            f"{what}: the bins do not join up: {lows.size} distinct low edges "
            f"{lows[:4].tolist()}... and {highs.size} distinct high edges "
            f"{highs[:4].tolist()}... (each high edge must be the next bin's low edge)"
        )
        raise InvalidParameterError(msg)
    # every row's high edge must be its own bin's
    if not edges_agree(hi, highs[idx]):
        i = int(np.argmax(np.abs(hi - highs[idx]) > 0))
        msg = f"{what}: row {i} spans {float(lo[i])!r}-{float(hi[i])!r}, not one bin of the axis"
        raise InvalidParameterError(msg)
    return np.concatenate([lows, highs[-1:]]), np.asarray(idx, dtype=np.intp)


def _bin_index(
    values: NDArray[np.float64], edges: NDArray[np.float64], what: str
) -> NDArray[np.intp]:
    idx = np.searchsorted(edges, values, side="right") - 1
    outside = (idx < 0) | (idx >= edges.size - 1)
    if np.any(outside):
        i = int(np.argmax(outside))
        msg = (
            f"{what}: row {i} has {float(values[i])!r}, outside the edges "
            f"{edges[0]:g}-{edges[-1]:g}"
        )
        raise InvalidParameterError(msg)
    return np.asarray(idx, dtype=np.intp)


def _place(
    values: NDArray[np.float64],
    index: Sequence[NDArray[np.intp]],
    shape: tuple[int, ...],
    where: Path,
    what: str,
) -> NDArray[np.float64]:
    flat = np.ravel_multi_index(tuple(index), shape)
    hits = np.bincount(flat, minlength=int(np.prod(shape)))
    if np.any(hits > 1):
        cell = int(np.argmax(hits > 1))
        rows = np.flatnonzero(flat == cell).tolist()
        bin_ = tuple(int(v) for v in np.unravel_index(cell, shape))
        msg = f"{where}: rows {rows} fall in the same bin {bin_}"
        raise InvalidParameterError(msg)
    if np.any(hits == 0):
        cell = int(np.argmax(hits == 0))
        bin_ = tuple(int(v) for v in np.unravel_index(cell, shape))
        msg = (
            f"{where}: no row for bin {bin_} of the {shape} grid "
            f"({int(np.sum(hits == 0))} bins missing; every bin needs one row)"
        )
        raise InvalidParameterError(msg)
    out = np.empty(int(np.prod(shape)))
    out[flat] = values
    return out.reshape(shape)


def _fill(
    data: Sequence[NDArray[np.float64]],
    edges: Sequence[NDArray[np.float64]],
    weights: NDArray[np.float64] | None,
    where: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    import boost_histogram as bh

    storage = bh.storage.Weight() if weights is not None else bh.storage.Double()
    h = bh.Histogram(*(bh.axis.Variable(e) for e in edges), storage=storage)
    if weights is not None:
        h.fill(*data, weight=weights)
        values = np.asarray(h.values(), dtype=np.float64)
        sumw2 = np.asarray(h.variances(), dtype=np.float64)
    else:
        h.fill(*data)
        values = np.asarray(h.values(), dtype=np.float64)
        sumw2 = values.copy()
    inside = np.ones(data[0].size, dtype=bool)
    for d, e in zip(data, edges, strict=True):
        inside &= (d >= e[0]) & (d < e[-1])
    if not np.any(inside):
        ranges = ", ".join(
            f"column {i}: {d.min():g} to {d.max():g} (edges {e[0]:g}-{e[-1]:g})"
            for i, (d, e) in enumerate(zip(data, edges, strict=True))
        )
        msg = f"{where}: all {data[0].size} entries are outside the binning ({ranges})"
        raise InvalidParameterError(msg)
    return values, sumw2, int((~inside).sum())


def _errors_from_mode(
    values: NDArray[np.float64], sumw2: NDArray[np.float64], mode: str, where: str
) -> NDArray[np.float64] | None:
    if mode not in ("poisson", "sumw2", "none"):
        msg = f"{where}: errors must be 'poisson', 'sumw2', 'none' or an array, got {mode!r}"
        raise InvalidParameterError(msg)
    if mode == "none":
        return None
    err = np.sqrt(values if mode == "poisson" else sumw2)
    if np.any(err <= 0):
        i = tuple(int(v) for v in np.argwhere(err <= 0)[0])
        msg = (
            f"{where}: errors={mode!r} gives an error of 0 in the empty bin {i}; "
            "use errors='none' for Poisson counts (the Poisson likelihood)"
        )
        raise InvalidParameterError(msg)
    return np.asarray(err, dtype=np.float64)


def _errors_from_variances(
    values: NDArray[np.float64],
    variances: NDArray[np.float64] | None,
    mode: str,
    where: str,
) -> NDArray[np.float64] | None:
    if mode not in ("auto", "sumw2", "none"):
        msg = f"{where}: errors must be 'auto', 'sumw2' or 'none', got {mode!r}"
        raise InvalidParameterError(msg)
    if mode == "none":
        return None
    if variances is None:
        if mode == "sumw2":
            msg = f"{where}: errors='sumw2' but the histogram stores no sum of weights squared"
            raise InvalidParameterError(msg)
        return None
    if not np.all(np.isfinite(variances)) or np.any(variances < 0):
        msg = f"{where}: the stored variances must be finite and >= 0"
        raise InvalidParameterError(msg)
    if mode == "auto" and np.any(variances == 0):
        if np.allclose(variances, values, rtol=1e-12, atol=0):
            return None  # an unweighted fill with empty bins: Poisson counts
        i = tuple(int(v) for v in np.argwhere(variances == 0)[0])
        msg = (
            f"{where}: weighted histogram with a variance of 0 in bin {i} (value "
            f"{float(values[i])!r}): it has no usable error there; pass errors='none' to "
            "read it as Poisson counts"
        )
        raise InvalidParameterError(msg)
    return np.asarray(np.sqrt(variances), dtype=np.float64)


def _load_npy(p: Path) -> NDArray[np.float64]:
    check_file(p, "numpy file")
    check_magic(p, ".npy")
    try:
        arr = np.load(p, allow_pickle=False)
    except Exception as e:  # not an .npy, truncated, or an object array
        raise reraise_unreadable(e, p, ".npy") from e
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fiub":
        msg = f"{p}: expected a numeric array, got {getattr(arr, 'dtype', type(arr).__name__)}"
        raise InvalidParameterError(msg)
    return np.asarray(arr, dtype=np.float64)


def _uproot() -> Any:
    import uproot

    return uproot


class _open_root:
    """``uproot.open`` whose failures name the file (not a ROOT file, truncated)."""

    def __init__(self, uproot: Any, p: Path) -> None:
        check_file(p, "ROOT file")
        check_magic(p, "ROOT")
        check_root_size(p)
        try:
            self._f = uproot.open(p)
        except Exception as e:
            raise reraise_unreadable(e, p, "ROOT") from e

    def __enter__(self) -> Any:
        return self._f

    def __exit__(self, *exc: object) -> None:
        self._f.close()


def _get_root_object(f: Any, name: str, path: str | Path) -> Any:
    try:
        keys = [k.split(";")[0] for k in f]
        listing = ", ".join(f"{k} ({f.classname_of(k)})" for k in dict.fromkeys(keys))
    except Exception as e:  # a corrupt directory
        raise reraise_unreadable(e, Path(path), "ROOT") from e
    if name not in keys:
        hints = closest(name, keys)
        hint = f"; did you mean {hints[0]!r}?" if hints else ""
        msg = f"{path}: no object named {name!r}{hint} The file contains: {listing or 'nothing'}"
        raise UnknownNameError(msg)
    try:
        return f[name]
    except Exception as e:  # truncated object
        raise reraise_unreadable(e, Path(path), "ROOT") from e


def count_only_dataset(
    counts: Sequence[float],
    edges: Sequence[float],
    *,
    errors: Literal["poisson"] | Sequence[float] = "poisson",
    name: str = "count_only",
    unit: str = "counts",
    axis_label: str = "E_nr [keVnr]",
) -> Dataset:
    """Counts given by hand (e.g. Asimov data of a projection), errors sqrt(N) by default.

    Parameters
    ----------
    counts : sequence of float
        Counts per bin.
    edges : sequence of float
        Bin edges (one more than ``counts``).
    errors : "poisson" or sequence of float
        ``"poisson"``: sqrt(N) (needs counts > 0); or one error per bin.
    name, unit, axis_label : str
        Dataset name, unit of the counts and label of the axis.

    Examples
    --------
    >>> d = count_only_dataset([1e5], [0.6, 1000.0])
    >>> float(d.errors[0])
    316.22776601683796
    """
    n = np.asarray(counts, dtype=np.float64)
    given: object = errors
    if isinstance(given, str):
        if given != "poisson":
            msg = f"errors must be 'poisson' or a list of numbers, got {errors!r}"
            raise InvalidParameterError(msg)
        if np.any(n <= 0):
            msg = f"Poisson errors sqrt(N) need counts > 0, got {n.tolist()}"
            raise InvalidParameterError(msg)
        err = np.sqrt(n)
    else:
        err = np.asarray(errors, dtype=np.float64)
    return Dataset(
        name,
        n,
        (np.asarray(edges, dtype=np.float64),),
        errors=err,
        axis_labels=(axis_label,),
        unit=unit,
    )
