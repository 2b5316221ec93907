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
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import FLAVOURS
from cevns.sources.flux import TabulatedFlux

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


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "flux",
        "tabulated",
        TabulatedFluxOptions,
        _tabulated,
        "dPhi/dE per flavour from a text table (linear interpolation)",
    ),
)
