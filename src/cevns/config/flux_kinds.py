"""Generic flux kinds for experiment files (``[flux] kind = "..."``).

``tabulated``: a text file of columns, the neutrino energy in MeV first, then one column
of dPhi/dE [1/(cm^2 s MeV)] per listed flavour, linearly interpolated and zero outside the
table (:class:`~cevns.sources.flux.TabulatedFlux`); monochromatic lines may be added::

    [flux]
    kind = "tabulated"
    path = "flux.txt"                  # e_nu_mev  nue  numu
    flavours = ["nue", "numu"]
    scale = 1.0                        # multiplies every column and line
    lines = { numu = [[29.79, 4.0e6]] }   # (E [MeV], Phi [1/(cm^2 s)])

``solar``: the 8B and hep neutrinos at the Earth (:class:`~cevns.sources.solar.SolarFlux`),
nu_e / nu_mu / nu_tau after adiabatic MSW conversion in the B16 Sun with the Standard Model
matter term and the NuFIT 5.2 normal-ordering mixing (the flavour composition is fixed: the
physics model of a fit enters the CEvNS cross section, not the solar propagation)::

    [flux]
    kind = "solar"
    normalisation = "b16_gs98"         # or "b16_agss09", "sno_nc", or a total in 1/(cm^2 s)
    components = ["8B", "hep"]
    # hep_normalisation = "b16_gs98"   # default: the B16 value of the same composition
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import FLAVOURS
from cevns.sources.flux import TabulatedFlux
from cevns.sources.solar import COMPONENTS as SOLAR_COMPONENTS
from cevns.sources.solar import NORMALISATIONS as SOLAR_NORMALISATIONS
from cevns.sources.solar import SolarFlux

__all__ = ["COMPONENTS"]


def __dir__() -> list[str]:
    return __all__


class TabulatedFluxOptions(ComponentOptions):
    """``[flux] kind = "tabulated"``: energy column [MeV] + one dPhi/dE column per flavour."""

    path: DataFile
    flavours: list[str] = Field(min_length=1)
    scale: float = Field(1.0, gt=0)
    lines: dict[str, list[tuple[float, float]]] = Field(default_factory=dict)

    @field_validator("flavours")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for f in value:
            if f not in FLAVOURS:
                msg = f"unknown flavour {f!r}; expected one of {', '.join(FLAVOURS)}"
                raise ValueError(msg)
        if len(set(value)) != len(value):
            msg = f"flavours must be unique, got {value}"
            raise ValueError(msg)
        return value


def _tabulated(opts: TabulatedFluxOptions) -> TabulatedFlux:
    try:
        table = np.loadtxt(opts.path, dtype=np.float64, comments="#", ndmin=2)
    except (ValueError, UnicodeDecodeError) as err:
        msg = f"flux file {opts.path}: not a table of numbers ({err})"
        raise ValueError(msg) from None
    want = 1 + len(opts.flavours)
    if table.shape[1] != want:
        msg = (
            f"flux file {opts.path} has {table.shape[1]} columns; expected {want} "
            f"(e_nu_mev, then {', '.join(opts.flavours)})"
        )
        raise ValueError(msg)
    e = table[:, 0]
    tables = {f: (e, opts.scale * table[:, 1 + i]) for i, f in enumerate(opts.flavours)}
    lines = {f: [(en, opts.scale * phi) for en, phi in ls] for f, ls in opts.lines.items()}
    try:
        return TabulatedFlux(tables, lines)
    except InvalidParameterError as err:  # it names the column; add the file
        msg = f"flux file {opts.path}: {err}"
        raise ValueError(msg) from None


class SolarFluxOptions(ComponentOptions):
    """``[flux] kind = "solar"``: 8B and hep neutrinos at the Earth (SM propagation)."""

    normalisation: str | float = "b16_gs98"
    components: list[str] = Field(default_factory=lambda: ["8B", "hep"], min_length=1)
    hep_normalisation: str | float | None = None

    @field_validator("normalisation", "hep_normalisation")
    @classmethod
    def _total(cls, value: str | float | None) -> str | float | None:
        if isinstance(value, str) and value not in SOLAR_NORMALISATIONS:
            known = ", ".join(SOLAR_NORMALISATIONS)
            msg = f"unknown normalisation {value!r}; expected one of {known} or a number"
            raise ValueError(msg)
        if isinstance(value, float | int) and not value > 0:
            msg = f"a total flux must be > 0 in 1/(cm^2 s), got {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("components")
    @classmethod
    def _components(cls, value: list[str]) -> list[str]:
        for c in value:
            if c not in SOLAR_COMPONENTS:
                msg = (
                    f"unknown solar component {c!r}; expected one of {', '.join(SOLAR_COMPONENTS)}"
                )
                raise ValueError(msg)
        if len(set(value)) != len(value):
            msg = f"components must be unique, got {value}"
            raise ValueError(msg)
        return value


def _solar(opts: SolarFluxOptions) -> SolarFlux:
    try:
        return SolarFlux(
            normalisation=opts.normalisation,
            components=tuple(opts.components),
            hep_normalisation=opts.hep_normalisation,
        )
    except InvalidParameterError as err:
        raise ValueError(str(err)) from None


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "flux",
        "tabulated",
        TabulatedFluxOptions,
        _tabulated,
        "dPhi/dE per flavour from a text table (linear interpolation)",
    ),
    Component(
        "flux",
        "solar",
        SolarFluxOptions,
        _solar,
        "solar 8B + hep neutrinos at the Earth per flavour (B16, adiabatic MSW, SM mixing)",
    ),
)
