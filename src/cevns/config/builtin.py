"""Generic flux components for experiment files."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cevns.config.components import Component, ComponentOptions

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


def _reactor(opts: ReactorOptions) -> Any:
    from cevns.sources.reactor import ReactorFlux

    kw: dict[str, Any] = {}
    if opts.energy_per_fission_mev is not None:
        kw["energy_per_fission_mev"] = opts.energy_per_fission_mev
    if opts.captures_per_fission is not None:
        kw["captures_per_fission"] = opts.captures_per_fission
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
class _Axis(ComponentOptions):
    """Uniform binning ``{start, stop, n}`` of a ROOT tree branch."""

    start: float
    stop: float
    n: int = Field(gt=0)


class TextDatasetOptions(ComponentOptions):
    """``[dataset] kind = "text"``: columns of bin centre, count and error (a text file)."""

    path: str
    centre_column: int = Field(0, ge=0)
    count_column: int = Field(1, ge=0)
    error_column: int | None = Field(2, ge=0)
    unit: str = "counts"
    name: str | None = None


def _text_dataset(opts: TextDatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    return Dataset.from_text(
        opts.path,
        centre_column=opts.centre_column,
        count_column=opts.count_column,
        error_column=opts.error_column,
        unit=opts.unit,
        name=opts.name,
    )


class RootHistogramOptions(ComponentOptions):
    """``[dataset] kind = "root"``: a TH1/TH2 (counts and errors) from a ROOT file."""

    path: str
    object: str
    unit: str = "counts"
    name: str | None = None


def _root_dataset(opts: RootHistogramOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    return Dataset.from_root(opts.path, opts.object, dataset_name=opts.name, unit=opts.unit)


class RootTreeOptions(ComponentOptions):
    """``[dataset] kind = "root_tree"``: a TTree/RNTuple branch binned with boost-histogram."""

    path: str
    tree: str
    branch: str
    binning: _Axis
    weight: str | None = None
    errors: Literal["poisson", "sumw2", "none"] = "sumw2"
    unit: str = "counts"
    name: str | None = None


def _root_tree_dataset(opts: RootTreeOptions) -> Any:
    import numpy as np

    from cevns.likelihood.dataset import Dataset

    b = opts.binning
    return Dataset.from_root_tree(
        opts.path,
        opts.tree,
        opts.branch,
        np.linspace(b.start, b.stop, b.n + 1),
        weight=opts.weight,
        errors=opts.errors,
        dataset_name=opts.name,
        unit=opts.unit,
    )


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "flux", "pion_dar", PionDAROptions, _pion_dar, "pion decay at rest (seed 002 Eq. 4.5)"
    ),
    Component("dataset", "root", RootHistogramOptions, _root_dataset, "ROOT TH1/TH2"),
    Component(
        "flux", "reactor", ReactorOptions, _reactor, "reactor antineutrinos (seed 004 Eq. 14)"
    ),
    Component("dataset", "text", TextDatasetOptions, _text_dataset, "text columns"),
    Component(
        "dataset", "root_tree", RootTreeOptions, _root_tree_dataset, "ROOT TTree/RNTuple branch"
    ),
)
