"""Generic flux components for experiment files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.likelihood.dataset import count_only_dataset

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__


class ReactorOptions(ComponentOptions):
    """``[flux] kind = "reactor"``: :class:`cevns.sources.reactor.ReactorFlux` (seed 004 Eq. 14)."""

    preset: Literal["dresden_ii"] | None = None
    thermal_power_gw: float | None = Field(None, gt=0)
    baseline_m: float | None = Field(None, gt=0)
    fission_fractions: dict[str, float] | None = None
    energy_per_fission_mev: float | None = Field(None, gt=0)
    spectra: Literal["huber_mueller", "huber_mueller_fit", "bestiole", "coloma2022"] = (
        "huber_mueller"
    )
    captures_per_fission: float | None = Field(None, ge=0)
    total_flux_per_cm2_s: float | None = Field(None, gt=0)


def _reactor(opts: ReactorOptions) -> Any:
    from cevns.sources.reactor import ReactorFlux

    kw: dict[str, Any] = {}
    if opts.energy_per_fission_mev is not None:
        kw["energy_per_fission_mev"] = opts.energy_per_fission_mev
    if opts.captures_per_fission is not None:
        kw["captures_per_fission"] = opts.captures_per_fission
    if opts.total_flux_per_cm2_s is not None:
        kw["total_flux_per_cm2_s"] = opts.total_flux_per_cm2_s
    if opts.preset == "dresden_ii":
        for k in ("thermal_power_gw", "baseline_m", "fission_fractions"):
            if getattr(opts, k) is not None:
                kw[k] = getattr(opts, k)
        return ReactorFlux.dresden_ii(spectra=opts.spectra, **kw)
    missing = [
        k
        for k in ("thermal_power_gw", "baseline_m", "fission_fractions")
        if getattr(opts, k) is None
    ]
    if missing:
        msg = f"a reactor flux without preset needs {missing}"
        raise ValueError(msg)
    return ReactorFlux(
        opts.thermal_power_gw,  # type: ignore[arg-type]
        opts.baseline_m,  # type: ignore[arg-type]
        opts.fission_fractions,  # type: ignore[arg-type]
        spectra=opts.spectra,
        **kw,
    )


class PionDAROptions(ComponentOptions):
    """``[flux] kind = "pion_dar"``: :class:`cevns.sources.spallation.PionDARFlux`."""

    baseline_m: float = Field(19.3, gt=0)
    nu_per_flavour_per_proton: float = Field(0.08, gt=0)
    protons_on_target: float | None = Field(None, gt=0)
    beam_energy_gwh: float | None = Field(None, gt=0)
    proton_energy_gev: float = Field(1.0, gt=0)
    live_time_days: float = Field(..., gt=0)


def _pion_dar(opts: PionDAROptions) -> Any:
    from cevns.sources.spallation import PionDARFlux

    if (opts.protons_on_target is None) == (opts.beam_energy_gwh is None):
        msg = "give exactly one of protons_on_target or beam_energy_gwh"
        raise ValueError(msg)
    if opts.beam_energy_gwh is not None:
        return PionDARFlux.from_beam_energy(
            opts.beam_energy_gwh,
            live_time_days=opts.live_time_days,
            proton_energy_gev=opts.proton_energy_gev,
            baseline_m=opts.baseline_m,
            nu_per_flavour_per_proton=opts.nu_per_flavour_per_proton,
        )
    return PionDARFlux(
        protons_on_target=opts.protons_on_target,  # type: ignore[arg-type]
        live_time_days=opts.live_time_days,
        baseline_m=opts.baseline_m,
        nu_per_flavour_per_proton=opts.nu_per_flavour_per_proton,
    )


# ---------------------------------------------------------------------- user datasets
Column = Annotated[int, Field(ge=0)] | str


class UniformEdges(ComponentOptions):
    """Uniform binning ``{start, stop, n}``: ``n`` bins from ``start`` to ``stop``."""

    start: float
    stop: float
    n: int = Field(gt=0)

    @model_validator(mode="after")
    def _increasing(self) -> UniformEdges:
        if not self.stop > self.start:
            msg = f"stop ({self.stop!r}) must be > start ({self.start!r})"
            raise ValueError(msg)
        return self

    def array(self) -> NDArray[np.float64]:
        """The ``n + 1`` edges."""
        return np.linspace(self.start, self.stop, self.n + 1)


_Axis = UniformEdges  # the ``binning`` of a one-branch ``root_tree``


class AxisOptions(ComponentOptions):
    """One axis of a dataset: ``{name = "e_ee_kev", unit = "keVee", edges = [...]}``.

    ``edges`` is a list or ``{start, stop, n}``; readers of binned files check the file's
    edges against it (relative tolerance 1e-9), readers of events bin on it.
    """

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    unit: str = ""
    edges: list[float] | UniformEdges | None = None

    def edges_array(self) -> NDArray[np.float64] | None:
        """The declared edges, or ``None``."""
        if self.edges is None:
            return None
        if isinstance(self.edges, UniformEdges):
            return self.edges.array()
        return np.asarray(self.edges, dtype=np.float64)


def _declare(ds: Any, axes: list[AxisOptions] | None, where: str) -> Any:
    if axes is None:
        return ds
    return ds.with_axes(
        [a.name for a in axes],
        [a.unit for a in axes],
        edges=[a.edges_array() for a in axes],
        where=where,
    )


def _required_edges(axes: list[AxisOptions], kind: str) -> list[NDArray[np.float64]]:
    missing = [a.name for a in axes if a.edges is None]
    if missing:
        msg = f"kind {kind!r} bins events: axes {missing} need edges (a list or {{start, stop, n}})"
        raise ValueError(msg)
    return [a.edges_array() for a in axes]  # type: ignore[misc]


class TextDatasetOptions(ComponentOptions):
    """``[dataset] kind = "text"``: one row per bin (see ``Dataset.from_text``).

    Columns by index or header name: ``centre_column`` (1D), ``centre_columns`` or
    ``edge_columns`` (one ``[low, high]`` pair per axis), ``count_column``,
    ``error_column``; ``poisson = true`` reads Poisson counts (no error column; TOML has no
    null). Declared ``axes`` name the axes and their units; their edges are checked
    against the file's (or, all given with centre columns, are the binning).
    """

    path: DataFile
    centre_column: Column = 0
    centre_columns: list[Column] | None = None
    edge_columns: list[tuple[Column, Column]] | None = None
    count_column: Column = 1
    error_column: Column | None = 2
    poisson: bool = False
    delimiter: str | None = None
    axes: list[AxisOptions] | None = None
    unit: str = "counts"
    name: str | None = None


class CsvDatasetOptions(TextDatasetOptions):
    """``[dataset] kind = "csv"``: as ``text``, comma-separated (a header row names columns)."""

    delimiter: str | None = ","


def _text_dataset(opts: TextDatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    edges: list[NDArray[np.float64]] | None = None
    if opts.axes is not None and opts.edge_columns is None:
        declared = [e for e in (a.edges_array() for a in opts.axes) if e is not None]
        if len(declared) == len(opts.axes):  # every axis declares its edges: bin centres
            edges = declared
    centre_columns = opts.centre_columns
    if centre_columns is None and edges is not None and opts.edge_columns is None:
        centre_columns = [opts.centre_column]
    ds = Dataset.from_text(
        opts.path,
        centre_column=opts.centre_column,
        centre_columns=centre_columns,
        edge_columns=opts.edge_columns,
        edges=edges,
        count_column=opts.count_column,
        error_column=None if opts.poisson else opts.error_column,
        delimiter=opts.delimiter,
        unit=opts.unit,
        name=opts.name,
    )
    return _declare(ds, opts.axes, str(opts.path))


class EventsDatasetOptions(ComponentOptions):
    """``[dataset] kind = "events"``: an unbinned event list binned on the declared axes.

    A text/CSV file or ``.npy`` array, one row per event; ``columns`` gives the column of
    each axis (default the first ones), ``weight_column`` optional weights.
    """

    path: DataFile
    axes: list[AxisOptions] = Field(min_length=1)
    columns: list[Column] | None = None
    weight_column: Column | None = None
    errors: Literal["none", "sumw2", "poisson"] = "none"
    delimiter: str | None = None
    unit: str = "counts"
    name: str | None = None


def _events_dataset(opts: EventsDatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    return Dataset.from_events(
        opts.path,
        _required_edges(opts.axes, "events"),
        columns=opts.columns,
        weight_column=opts.weight_column,
        errors=opts.errors,
        delimiter=opts.delimiter,
        name=opts.name,
        unit=opts.unit,
        axis_names=tuple(a.name for a in opts.axes),
        axis_units=tuple(a.unit for a in opts.axes),
    )


class NumpyDatasetOptions(ComponentOptions):
    """``[dataset] kind = "numpy"``: ``.npz`` (counts, edges_0..., errors) or ``.npy``.

    A ``.npy`` file holds counts only: every axis then needs its edges.
    """

    path: DataFile
    axes: list[AxisOptions] | None = None
    unit: str | None = None
    name: str | None = None


def _numpy_dataset(opts: NumpyDatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    kw: dict[str, Any] = {} if opts.unit is None else {"unit": opts.unit}
    if opts.path.suffix == ".npy":
        if opts.axes is None:
            msg = "a .npy file holds counts only: declare axes with edges"
            raise ValueError(msg)
        edges = _required_edges(opts.axes, "numpy (.npy)")
        ds = Dataset.from_numpy(opts.path, edges=edges, name=opts.name, **kw)
    else:
        ds = Dataset.from_numpy(opts.path, name=opts.name, **kw)
    return _declare(ds, opts.axes, str(opts.path))


class Hdf5DatasetOptions(ComponentOptions):
    """``[dataset] kind = "hdf5"``: a group with counts, edges_0..., errors (h5py)."""

    path: DataFile
    group: str = "/"
    axes: list[AxisOptions] | None = None
    unit: str | None = None
    name: str | None = None


def _hdf5_dataset(opts: Hdf5DatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    kw: dict[str, Any] = {} if opts.unit is None else {"unit": opts.unit}
    ds = Dataset.from_hdf5(opts.path, opts.group, name=opts.name, **kw)
    return _declare(ds, opts.axes, f"{opts.path}:{opts.group}")


class RootHistogramOptions(ComponentOptions):
    """``[dataset] kind = "root"``: a TH1/TH2/TH3 (counts and errors) from a ROOT file."""

    path: DataFile
    object: str
    errors: Literal["auto", "sumw2", "none"] = "auto"
    axes: list[AxisOptions] | None = None
    unit: str = "counts"
    name: str | None = None


def _root_dataset(opts: RootHistogramOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    ds = Dataset.from_root(
        opts.path, opts.object, dataset_name=opts.name, unit=opts.unit, errors=opts.errors
    )
    return _declare(ds, opts.axes, f"{opts.path}: {opts.object}")


class RootTreeOptions(ComponentOptions):
    """``[dataset] kind = "root_tree"``: TTree/RNTuple branches binned with boost-histogram.

    One branch: ``branch`` and ``binning = {start, stop, n}``; any number:
    ``branches = [...]`` and one entry of ``axes`` per branch (with edges).
    """

    path: DataFile
    tree: str
    branch: str | None = None
    branches: list[str] | None = None
    binning: _Axis | None
    axes: list[AxisOptions] | None = None
    weight: str | None = None
    errors: Literal["poisson", "sumw2", "none"] = "sumw2"
    unit: str = "counts"
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _binning_or_axes(cls, data: Any) -> Any:
        # ``binning`` is required (the error names it) unless ``axes`` are declared
        if isinstance(data, dict) and "axes" in data and "binning" not in data:
            return {**data, "binning": None}
        return data


def _root_tree_dataset(opts: RootTreeOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    if (opts.branch is None) == (opts.branches is None):
        msg = "give exactly one of branch (one axis) or branches (one per axis)"
        raise ValueError(msg)
    branches = [opts.branch] if opts.branch is not None else list(opts.branches or [])
    if opts.axes is not None:
        if opts.binning is not None:
            msg = "give binning (one branch) or axes, not both"
            raise ValueError(msg)
        if len(opts.axes) != len(branches):
            msg = f"{len(branches)} branches but {len(opts.axes)} axes"
            raise ValueError(msg)
        edges = _required_edges(opts.axes, "root_tree")
        kw: dict[str, Any] = {
            "axis_names": tuple(a.name for a in opts.axes),
            "axis_units": tuple(a.unit for a in opts.axes),
        }
    else:
        if opts.binning is None or len(branches) != 1:
            msg = "binning = {start, stop, n} serves one branch; declare axes for several"
            raise ValueError(msg)
        edges = [opts.binning.array()]
        kw = {}
    return Dataset.from_root_tree(
        opts.path,
        opts.tree,
        branches,
        edges,
        weight=opts.weight,
        errors=opts.errors,
        dataset_name=opts.name,
        unit=opts.unit,
        **kw,
    )


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "flux", "pion_dar", PionDAROptions, _pion_dar, "pion decay at rest (seed 002 Eq. 4.5)"
    ),
    Component("dataset", "root", RootHistogramOptions, _root_dataset, "ROOT TH1/TH2/TH3"),
    Component(
        "flux", "reactor", ReactorOptions, _reactor, "reactor antineutrinos (seed 004 Eq. 14)"
    ),
    Component("dataset", "text", TextDatasetOptions, _text_dataset, "binned text columns"),
    Component("dataset", "csv", CsvDatasetOptions, _text_dataset, "binned CSV columns"),
    Component(
        "dataset", "events", EventsDatasetOptions, _events_dataset, "event list binned on axes"
    ),
    Component("dataset", "numpy", NumpyDatasetOptions, _numpy_dataset, "numpy .npz / .npy"),
    Component("dataset", "hdf5", Hdf5DatasetOptions, _hdf5_dataset, "HDF5 group (h5py)"),
    Component(
        "dataset",
        "root_tree",
        RootTreeOptions,
        _root_tree_dataset,
        "ROOT TTree/RNTuple branches, one per axis",
    ),
)


# ---------------------------------------------------------------------- counts by hand
COMPONENTS += (
    Component.from_function(
        "dataset",
        "count_only",
        count_only_dataset,
        "counts given by hand, e.g. Asimov data of a count-only projection (seed 002 Sec. 5.2)",
    ),
)


# ---------------------------------------------------------------------- inference-interface
def inference_interface_dataset(
    path: DataFile,
    axes: list[AxisOptions] | None = None,
    values: str = "templates/template",
    unit: str = "events",
    name: str | None = None,
) -> Any:
    """Poisson counts of an ``inference-interface`` HDF5 histogram (XENON's layout).

    The file holds ``bins/0..n-1`` (edges, attribute ``name``) and the counts in
    ``values`` (:func:`cevns.data.hdf5_hist.read_histogram`: layout, shape and counts
    finite and >= 0 checked)::

        [dataset]
        kind = "inference_interface"
        path = "data_sr0.h5"
        axes = [{name = "cs2", unit = "PE"}, {name = "s1_bdt_score"}]

    Parameters
    ----------
    path : path
        The HDF5 file (relative to the experiment file).
    axes : list of AxisOptions, optional
        The expected axes in order: the file's axis names must be these; their units are
        declared, and edges given here are checked against the file's (rtol 1e-9).
    values : str
        The dataset of the counts.
    unit : str
        Unit of the counts.
    name : str, optional
        Name of the dataset (default the file's stem).

    Returns
    -------
    Dataset
        Poisson counts with the file's named axes.
    """
    from cevns.data.hdf5_hist import read_histogram
    from cevns.likelihood.dataset import Dataset

    names = None if axes is None else [a.name for a in axes]
    hist = read_histogram(path, axis_names=names, values=values)
    ds = Dataset.from_arrays(
        hist.values, *hist.edges, name=name or Path(path).stem, axis_names=hist.axis_names,
        unit=unit,
    )  # fmt: skip
    return _declare(ds, axes, str(path))


COMPONENTS += (
    Component.from_function(
        "dataset",
        "inference_interface",
        inference_interface_dataset,
        "HDF5 histogram of the inference-interface layout (bins/<i>, templates/template)",
    ),
)
