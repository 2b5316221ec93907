"""Observed data: binned counts (1D or 2D) with uncertainties, from files, arrays and ROOT.

A :class:`Dataset` is immutable. Readers: registered public files (:meth:`Dataset.dresden_ii`,
COHERENT releases in :mod:`cevns.coherent`), CSV/text (:meth:`Dataset.from_text`), numpy
(:meth:`Dataset.from_arrays`), ROOT histograms TH1/TH2 (:meth:`Dataset.from_root`) and
TTree/RNTuple branches binned with boost-histogram (:meth:`Dataset.from_root_tree`).
Writers: :meth:`Dataset.to_root` (TH1D/TH2D with errors) and :meth:`Dataset.to_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, closest
from cevns.core.exceptions import InvalidParameterError, UnknownNameError

__all__ = ["Dataset"]


def __dir__() -> list[str]:
    return __all__


@dataclass(frozen=True, eq=False)
class Dataset:
    """Binned observations.

    Parameters
    ----------
    name : str
    counts : array_like
        Observed values, shape ``(n,)`` or ``(n, m)`` matching the edges.
    edges : sequence of array_like
        Bin edges per axis, each strictly increasing.
    errors : array_like, optional
        One-sigma uncertainties (required by Gaussian chi2 likelihoods; must be > 0).
    axis_labels : sequence of str
        Labels with units, e.g. ``("E_ee [keVee]",)``.
    unit : str
        Unit of the counts, e.g. ``"counts / (10 eV 3 kg day)"``.
    allow_negative : bool
        Background-subtracted data may be negative; otherwise negative counts are an error.

    Examples
    --------
    >>> d = Dataset.from_arrays([3.0, 5.0], [0.0, 1.0, 2.0], errors=[1.7, 2.2])
    >>> d.centres[0]
    array([0.5, 1.5])
    """

    name: str
    counts: NDArray[np.float64]
    edges: tuple[NDArray[np.float64], ...]
    errors: NDArray[np.float64] | None = None
    axis_labels: tuple[str, ...] = ()
    unit: str = "counts"
    allow_negative: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        edges = tuple(
            check_increasing(f"{self.name}: edges[{i}]", e) for i, e in enumerate(self.edges)
        )
        if len(edges) not in (1, 2):
            msg = f"{self.name}: datasets are 1D or 2D, got {len(edges)} axes"
            raise InvalidParameterError(msg)
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
                    f"{tuple(i.tolist())}"
                )
                raise InvalidParameterError(msg)
        labels = tuple(self.axis_labels) or tuple(f"x{i}" for i in range(len(edges)))
        if len(labels) != len(edges):
            msg = f"{self.name}: {len(labels)} axis labels for {len(edges)} axes"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "errors", errors)
        object.__setattr__(self, "axis_labels", labels)

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

    def __repr__(self) -> str:
        axes = " x ".join(
            f"{lab} [{e[0]:g}, {e[-1]:g}] ({e.size - 1} bins)"
            for lab, e in zip(self.axis_labels, self.edges, strict=True)
        )
        return f"Dataset({self.name!r}, {axes}, total={self.total:g} {self.unit})"

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(
        cls,
        counts: ArrayLike,
        *edges: ArrayLike,
        errors: ArrayLike | None = None,
        name: str = "data",
        **kwargs: Any,
    ) -> Dataset:
        """Dataset from numpy arrays: counts, one edges array per axis, optional errors."""
        err = None if errors is None else np.asarray(errors, dtype=np.float64)
        return cls(
            name, np.asarray(counts), tuple(np.asarray(e) for e in edges), errors=err, **kwargs
        )

    @classmethod
    def from_text(
        cls,
        path: str | Path,
        *,
        centre_column: int = 0,
        count_column: int = 1,
        error_column: int | None = 2,
        name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """1D dataset from a whitespace- or comma-separated text file of uniform bins.

        Bin edges are reconstructed from the (uniformly spaced) bin centres.
        """
        path = Path(path)
        text = path.read_text()
        delimiter = "," if "," in text.splitlines()[-1] else None
        table = np.loadtxt(path, delimiter=delimiter, comments="#", ndmin=2)
        ncol = table.shape[1]
        for label, col in (
            ("centre_column", centre_column),
            ("count_column", count_column),
            ("error_column", error_column),
        ):
            if col is not None and not 0 <= col < ncol:
                msg = f"{path.name}: {label}={col} but the file has {ncol} columns"
                raise InvalidParameterError(msg)
        centres = table[:, centre_column]
        edges = _edges_from_uniform_centres(centres, str(path.name))
        errors = None if error_column is None else table[:, error_column]
        return cls(name or path.stem, table[:, count_column], (edges,), errors=errors, **kwargs)

    @classmethod
    def dresden_ii(cls, period: Literal["on", "off"] = "on") -> Dataset:
        """Dresden-II Rx-ON (96.4 d) or Rx-OFF (25 d) spectrum, 130 bins 0.2-1.5 keVee.

        Counts per (10 eV 3 kg day), acceptance corrected, with the released 1-sigma errors
        (statistical and signal-acceptance uncertainties). Colaresi et al.,
        arXiv:2202.09672; file ``dresden_ii/data_release.txt`` of the data registry.
        Do not subtract Rx-OFF from Rx-ON: their backgrounds differ.
        """
        from cevns.data import store as data

        cols = {"on": (1, 2), "off": (3, 4)}
        if period not in cols:
            msg = f"period must be 'on' or 'off', got {period!r}"
            raise InvalidParameterError(msg)
        c, e = cols[period]
        d = cls.from_text(
            data.path("dresden_ii/data_release.txt"),
            centre_column=0,
            count_column=c,
            error_column=e,
            name=f"dresden_ii_rx_{period}",
            axis_labels=("E_ee [keVee]",),
            unit="counts / (10 eV 3 kg day)",
        )
        return d.with_meta(live_days=96.4 if period == "on" else 25.0, source="arXiv:2202.09672")

    def with_meta(self, **meta: Any) -> Dataset:
        """A copy with extra metadata."""
        return Dataset(
            self.name,
            self.counts,
            self.edges,
            self.errors,
            self.axis_labels,
            self.unit,
            self.allow_negative,
            self.meta | meta,
        )

    # ------------------------------------------------------------------ ROOT
    @classmethod
    def from_root(
        cls, path: str | Path, name: str, *, dataset_name: str | None = None, **kwargs: Any
    ) -> Dataset:
        """Read a TH1 or TH2 (values, errors from the sum of weights squared, edges).

        Raises
        ------
        UnknownNameError
            No object of that name; the message lists what the file contains.
        """
        uproot = _uproot()
        with uproot.open(path) as f:
            obj = _get_root_object(f, name, path)
            classname = getattr(obj, "classname", type(obj).__name__)
            if not classname.startswith(("TH1", "TH2")):
                msg = f"{path}: object {name!r} is a {classname}, expected a TH1 or TH2 histogram"
                raise InvalidParameterError(msg)
            values = np.asarray(obj.values(flow=False), dtype=np.float64)
            variances = obj.variances(flow=False)
            errors = None if variances is None else np.sqrt(np.asarray(variances, dtype=np.float64))
            if errors is not None and np.all(errors == 0):
                errors = None
            edges = tuple(np.asarray(ax.edges(flow=False), dtype=np.float64) for ax in obj.axes)
            labels = tuple(ax.member("fTitle") or f"x{i}" for i, ax in enumerate(obj.axes))
        return cls(dataset_name or name, values, edges, errors=errors, axis_labels=labels, **kwargs)

    @classmethod
    def from_root_tree(
        cls,
        path: str | Path,
        tree: str,
        branches: str | Sequence[str],
        edges: ArrayLike | Sequence[ArrayLike],
        *,
        weight: str | None = None,
        errors: Literal["poisson", "sumw2", "none"] | ArrayLike = "sumw2",
        dataset_name: str | None = None,
        **kwargs: Any,
    ) -> Dataset:
        """Bin TTree (or RNTuple) branches with boost-histogram.

        Parameters
        ----------
        path, tree : str
            File and tree name.
        branches : str or sequence of str
            One branch per axis.
        edges : array or sequence of arrays
            Bin edges per axis. Entries outside the edges are not counted (reported in
            ``meta["outside"]``).
        weight : str, optional
            Weight branch.
        errors : {"poisson", "sumw2", "none"} or array
            ``"sumw2"``: sqrt of the sum of squared weights (sqrt(N) unweighted);
            ``"poisson"``: sqrt of the counts; or explicit errors.
        """
        import boost_histogram as bh

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
        with uproot.open(path) as f:
            t = _get_root_object(f, tree, path)
            keys = list(t.keys())
            wanted = [*branch_list, *([weight] if weight else [])]
            for b in wanted:
                if b not in keys:
                    hints = closest(b, keys)
                    hint = f"; did you mean {hints[0]!r}?" if hints else ""
                    msg = (
                        f"{path}: tree {tree!r} has no branch {b!r}{hint} Branches: {sorted(keys)}"
                    )
                    raise UnknownNameError(msg)
            arrays = t.arrays(wanted, library="np")
        storage = bh.storage.Weight() if weight else bh.storage.Double()
        h = bh.Histogram(*(bh.axis.Variable(e) for e in edge_arrays), storage=storage)
        data = [np.asarray(arrays[b], dtype=np.float64) for b in branch_list]
        if weight:
            h.fill(*data, weight=np.asarray(arrays[weight], dtype=np.float64))
            values = np.asarray(h.values(), dtype=np.float64)
            sumw2 = np.asarray(h.variances(), dtype=np.float64)
        else:
            h.fill(*data)
            values = np.asarray(h.values(), dtype=np.float64)
            sumw2 = values.copy()
        inside = np.ones(data[0].size, dtype=bool)
        for d, e in zip(data, edge_arrays, strict=True):
            inside &= (d >= e[0]) & (d < e[-1])
        if isinstance(errors, str):
            if errors not in ("poisson", "sumw2", "none"):
                msg = f"errors must be 'poisson', 'sumw2', 'none' or an array, got {errors!r}"
                raise InvalidParameterError(msg)
            err = {"poisson": np.sqrt(values), "sumw2": np.sqrt(sumw2), "none": None}[errors]
        else:
            err = np.asarray(errors, dtype=np.float64)
        labels = kwargs.pop("axis_labels", tuple(branch_list))
        ds = cls(
            dataset_name or tree,
            values,
            tuple(edge_arrays),
            errors=err,
            axis_labels=labels,
            **kwargs,
        )
        return ds.with_meta(outside=int((~inside).sum()), entries=int(data[0].size))

    def to_root(
        self,
        path: str | Path,
        name: str | None = None,
        *,
        mode: Literal["recreate", "update"] = "recreate",
    ) -> None:
        """Write as TH1D/TH2D with errors (sum of weights squared = errors^2)."""
        import boost_histogram as bh

        uproot = _uproot()
        axes = []
        for e, lab in zip(self.edges, self.axis_labels, strict=True):
            ax = bh.axis.Variable(e, metadata=lab)
            ax.label = lab  # what uproot writes as the axis title
            axes.append(ax)
        h = bh.Histogram(*axes, storage=bh.storage.Weight())
        view = h.view()
        view.value = self.counts
        view.variance = self.errors**2 if self.errors is not None else self.counts
        opener = uproot.recreate if mode == "recreate" else uproot.update
        with opener(path) as f:
            f[name or self.name] = h

    def to_text(self, path: str | Path) -> None:
        """Write a 1D dataset as ``centre value error`` columns."""
        if self.ndim != 1:
            msg = "to_text supports 1D datasets; use to_root for 2D"
            raise InvalidParameterError(msg)
        err = self.errors if self.errors is not None else np.zeros_like(self.counts)
        header = f"{self.name}: {self.axis_labels[0]} centre, {self.unit}, error"
        np.savetxt(path, np.column_stack([self.centres[0], self.counts, err]), header=header)


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


def _uproot() -> Any:
    import uproot

    return uproot


def _get_root_object(f: Any, name: str, path: str | Path) -> Any:
    keys = [k.split(";")[0] for k in f]
    if name not in keys:
        hints = closest(name, keys)
        hint = f"; did you mean {hints[0]!r}?" if hints else ""
        listing = ", ".join(f"{k} ({f.classname_of(k)})" for k in dict.fromkeys(keys))
        msg = f"{path}: no object named {name!r}{hint} The file contains: {listing or 'nothing'}"
        raise UnknownNameError(msg)
    return f[name]
