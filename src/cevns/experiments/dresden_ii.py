"""Dresden-II (NCC-1701 Ge at the Dresden-II BWR): detector, data and background components.

Conventions (seed 004 Sec. 3; data release arXiv:2202.09672):

* data: Rx-ON, 130 bins of 10 eV from 0.2 to 1.5 keVee, counts per (10 eV 3 kg day),
  acceptance corrected, with the released errors; Rx-OFF is not subtracted;
* the expected signal is per day of the 2.924 kg detector, so the exposure of the
  comparison is 2.924 kg x 1 day;
* truncated-Gaussian resolution (seed 004 Eq. 17) with sigma_n = 68.5 eV, eta = 2.96 eV,
  F = 0.105; quenching Fef or YBe (Collar et al. 2021), or (modified) Lindhard;
* background: seed 004 Eq. 18 with the Table I ties, evaluated at bin centres.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cevns.config.components import Component, ComponentOptions

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__


class DetectorOptions(ComponentOptions):
    """``[detector] kind = "dresden_ii"``."""

    quenching: Literal["fef", "ybe", "lindhard", "modified_lindhard"] = "fef"
    mass_kg: float = Field(2.924, gt=0)
    live_days: float = Field(1.0, gt=0)
    resolution: Literal["truncated_gaussian", "gaussian"] = "truncated_gaussian"
    adiabatic_kev: float | None = Field(None, gt=0)
    n_nodes: int = Field(1500, ge=50)


def _detector(opts: DetectorOptions) -> Any:
    from cevns.detectors.base import dresden_ii_detector

    return dresden_ii_detector(
        quenching=opts.quenching,
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        truncated=opts.resolution == "truncated_gaussian",
        adiabatic_kev=opts.adiabatic_kev,
        n_nodes=opts.n_nodes,
    )


class DatasetOptions(ComponentOptions):
    """``[dataset] kind = "dresden_ii"``."""

    period: Literal["on", "off"] = "on"


def _dataset(opts: DatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    return Dataset.dresden_ii(opts.period)


class BackgroundOptions(ComponentOptions):
    """``[[backgrounds]] kind = "dresden_ii"`` (seed 004 Eq. 18)."""

    name: str = "bkg"


def _background(opts: BackgroundOptions, dataset: Any) -> Any:
    from cevns.likelihood.background import DresdenIIBackground

    return DresdenIIBackground(dataset.centres[0], name=opts.name)


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component("dataset", "dresden_ii", DatasetOptions, _dataset, "Dresden-II Rx-ON/OFF spectrum"),
    Component(
        "detector", "dresden_ii", DetectorOptions, _detector, "NCC-1701 p-type point-contact Ge"
    ),
    Component("background", "dresden_ii", BackgroundOptions, _background, "seed 004 Eq. 18"),
)
