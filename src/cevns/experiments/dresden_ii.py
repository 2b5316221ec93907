"""Dresden-II (NCC-1701 Ge at the Dresden-II BWR): detector and data components.

Data release arXiv:2202.09672, analysis of seed 004 Sec. 3; the conventions (units of the
data, exposure, resolution, quenching, background) are in ``docs/experiments/dresden_ii.md``.
The background of seed 004 Eq. 18 is declared in ``models/experiments/dresden_ii.toml``
with the generic ``lines`` kind (:class:`cevns.likelihood.lines.LinesBackground`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from cevns.config.components import Component
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data_store
from cevns.detectors.base import DEFAULT_NODES, IonizationDetector
from cevns.detectors.quenching import Lindhard, ModifiedLindhard, Quenching, TabulatedQuenching
from cevns.detectors.resolution import GaussianResolution, TruncatedGaussianResolution
from cevns.likelihood.dataset import Dataset
from cevns.physics.nuclei import Target

__all__ = [
    "dresden_ii_dataset",
    "dresden_ii_detector",
    "dresden_ii_quenching",
]


def __dir__() -> list[str]:
    return __all__


#: Resolution of seed 004 Sec. 3.1 (Eq. 17): electronic noise, Ge pair energy, Fano factor.
SIGMA_N_KEV = 0.0685
ETA_KEV = 2.96e-3
FANO = 0.105


def dresden_ii_quenching(
    model: Literal["fef", "ybe"] = "fef",
    *,
    above: Literal["error", "constant"] = "constant",
) -> TabulatedQuenching:
    """The Dresden-II Ge quenching curves (Collar, Kavner, Lewis, arXiv:2102.10089).

    ``"fef"``: iron-filtered neutron beam; ``"ybe"``: 88Y/Be photoneutrons. Table
    ``dresden_ii/QF_Fef_YBe.txt`` of the data registry, 0-4.5 keVnr in 10 eV steps.
    Above 4.5 keVnr the QF is held at its last value (0.209 Fef, 0.219 YBe; Fef equals
    Lindhard k = 0.157 there): only reactor neutrinos above 12 MeV give such recoils.

    Parameters
    ----------
    model : {"fef", "ybe"}
        Which calibration.
    above : {"error", "constant"}
        Above the table: refuse, or hold the last value.
    """
    cols = {"fef": 1, "ybe": 2}
    if model not in cols:
        msg = f"Dresden-II quenching model must be 'fef' or 'ybe', got {model!r}"
        raise InvalidParameterError(msg)
    t = data_store.load_table("dresden_ii/QF_Fef_YBe.txt")
    return TabulatedQuenching(t[:, 0], t[:, cols[model]], label=f"dresden_ii_{model}", above=above)


def dresden_ii_detector(
    quenching: Literal["fef", "ybe", "lindhard", "modified_lindhard"] = "fef",
    *,
    mass_kg: Annotated[float, Field(gt=0)] = 2.924,
    live_days: Annotated[float, Field(gt=0)] = 1.0,
    resolution: Literal["truncated_gaussian", "gaussian"] = "truncated_gaussian",
    adiabatic_kev: Annotated[float, Field(gt=0)] | None = None,
    bin_edges: Sequence[float] | None = None,
    n_nodes: Annotated[int, Field(ge=50)] = DEFAULT_NODES,
) -> IonizationDetector:
    """The NCC-1701 Ge detector of Dresden-II (seed 004 Sec. 3.1; docs/experiments/dresden_ii.md).

    Parameters
    ----------
    quenching : {"fef", "ybe", "lindhard", "modified_lindhard"}
        The Collar et al. 2021 curves, Lindhard k = 0.157, or Lindhard with the adiabatic
        correction (``adiabatic_kev`` required).
    mass_kg, live_days : float
        Exposure (``live_days = 1``: counts per day, the unit of the data).
    resolution : {"truncated_gaussian", "gaussian"}
        The truncated Gaussian of seed 004 Eq. 17 (default) or a plain Gaussian.
    adiabatic_kev : float, optional
        For ``"modified_lindhard"``.
    bin_edges : sequence of float, optional
        Observed bins [keVee] (default the release's 130 bins).
    n_nodes : int
        Recoil-energy nodes of the response.
    """
    choices = ("fef", "ybe", "lindhard", "modified_lindhard")
    models = {"truncated_gaussian": TruncatedGaussianResolution, "gaussian": GaussianResolution}
    if quenching not in choices:
        msg = f"quenching must be one of {choices}, got {quenching!r}"
        raise InvalidParameterError(msg)
    if resolution not in models:
        msg = f"resolution must be one of {tuple(models)}, got {resolution!r}"
        raise InvalidParameterError(msg)
    if quenching == "modified_lindhard" and adiabatic_kev is None:
        msg = (
            "quenching='modified_lindhard' needs adiabatic_kev (the energy of the adiabatic "
            "correction); the seed papers do not state the value they used"
        )
        raise InvalidParameterError(msg)
    q: Quenching = Lindhard(k=0.157, z=32)
    if quenching in ("fef", "ybe"):
        q = dresden_ii_quenching(quenching)
    elif quenching == "modified_lindhard" and adiabatic_kev is not None:
        q = ModifiedLindhard(adiabatic_kev=adiabatic_kev, k=0.157, z=32)
    res = models[resolution](sigma_n_kev=SIGMA_N_KEV, eta_kev=ETA_KEV, fano=FANO)
    edges = np.round(np.linspace(0.2, 1.5, 131), 6) if bin_edges is None else np.asarray(bin_edges)
    ge = Target.by_name("germanium_seed004")
    return IonizationDetector(
        f"dresden_ii_{quenching}", ge, quenching=q, resolution=res, mass_kg=mass_kg,
        live_days=live_days, bin_edges=edges, n_nodes=n_nodes,
    )  # fmt: skip


def dresden_ii_dataset(period: Literal["on", "off"] = "on") -> Dataset:
    """Dresden-II Rx-ON (96.4 d) or Rx-OFF (25 d) spectrum, 130 bins 0.2-1.5 keVee.

    Counts per (10 eV 3 kg day) with the released errors (``dresden_ii/data_release.txt``;
    conventions: docs/experiments/dresden_ii.md).

    Parameters
    ----------
    period : {"on", "off"}
        Reactor on or off.
    """
    cols = {"on": (1, 2), "off": (3, 4)}
    if period not in cols:
        msg = f"period must be 'on' or 'off', got {period!r}"
        raise InvalidParameterError(msg)
    c, e = cols[period]
    d = Dataset.from_text(
        data_store.path("dresden_ii/data_release.txt"),
        centre_column=0,
        count_column=c,
        error_column=e,
        name=f"dresden_ii_rx_{period}",
        axis_labels=("E_ee [keVee]",),
        axis_names=("e_ee_kev",),
        unit="counts / (10 eV 3 kg day)",
    )
    return d.with_meta(live_days=96.4 if period == "on" else 25.0, source="arXiv:2202.09672")


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component.from_function("dataset", "dresden_ii", dresden_ii_dataset),
    Component.from_function("detector", "dresden_ii", dresden_ii_detector, exclude=("bin_edges",)),
)
