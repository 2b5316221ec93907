"""COHERENT CsI[Na] 2017 (arXiv:1708.01294): release readers, flux and detector defaults.

Kinds: ``[flux] kind = "coherent_csi_2017"`` (:func:`coherent_csi_2017_flux`, 7.47594 GWh
at 19.3 m, 0.08 nu per flavour per proton, over 308.1 live days), ``[detector] kind =
"coherent_csi_2017"`` (:class:`CsI2017Detector` with the pi-DAR timing options of
:func:`cevns.config.detector_kinds.pidar_timed`); the release's PE x time histograms are
:func:`csi_2017_histograms` (seed 002's two-bin timing data, with its error convention, is
the ``coherent_csi_2017_timing`` dataset of :mod:`cevns.reproduce.dfs2018_timing`). What
each release file holds and the normalisation conventions: ``docs/experiments/coherent_csi.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from cevns.config.components import Component
from cevns.config.detector_kinds import pidar_timed
from cevns.core._validation import check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors.base import DEFAULT_NODES
from cevns.detectors.efficiency import ShiftedAcceptance, SigmoidAcceptance2017
from cevns.detectors.pe_time import TimedScintillatorDetector
from cevns.detectors.quenching import ConstantQuenching
from cevns.physics.nuclei import Target
from cevns.sources.spallation import PiDARTiming, PionDARFlux, pidar_p_c, pot_from_beam_energy

__all__ = [
    "CSI_2017_LIVE_DAYS",
    "CSI_2017_MASS_KG",
    "CsI2017Detector",
    "PiDARTiming",
    "coherent_csi_2017_flux",
    "coherent_csi_2017_parameters",
    "csi_2017_acceptance",
    "csi_2017_histograms",
    "pidar_p_c",
]


def __dir__() -> list[str]:
    return __all__


#: CsI[Na] mass [kg] (arXiv:1708.01294).
CSI_2017_MASS_KG: float = 14.57
#: Live days of neutrino production of the 2017 data set (arXiv:1708.01294).
CSI_2017_LIVE_DAYS: float = 308.1

_PARAMS_FILE = "coherent_csi_2017/coherent_parameters.yaml"
_DATA_FILES = {
    ("on", "coincidence"): "coherent_csi_2017/data_coincidence_beamOn.txt",
    ("on", "anticoincidence"): "coherent_csi_2017/data_anticoincidence_beamOn.txt",
    ("off", "coincidence"): "coherent_csi_2017/data_coincidence_beamOff.txt",
    ("off", "anticoincidence"): "coherent_csi_2017/data_anticoincidence_beamOff.txt",
}
_PE_STEP = 2.0  # PE bins of the release: [0, 2), [2, 4), ..., [48, 50)
_T_STEP = 0.5  # time bins of the release [us]: [0, 0.5), ..., [11.5, 12)
_N_PE, _N_T = 25, 24


# --------------------------------------------------------------------------- release values
def coherent_csi_2017_parameters() -> dict[str, float]:
    """Central values of the release's ``coherent_parameters.yaml`` (via :mod:`cevns.data.store`).

    Returns
    -------
    dict
        ``beam_energy_gwh``, ``baseline_m``, ``qf`` and its ``qf_sigma``,
        ``light_yield_pe_per_kev``, ``nu_per_flavour_per_proton``, ``acceptance_a``,
        ``acceptance_k``, ``acceptance_x0`` and their ``_hi`` / ``_lo`` 1-sigma errors.

    Examples
    --------
    >>> p = coherent_csi_2017_parameters()
    >>> p["beam_energy_gwh"], p["qf"], p["light_yield_pe_per_kev"]
    (7.47594, 0.0878, 13.348)
    """
    raw = data.load_yaml(_PARAMS_FILE)
    acc = {p["name"]: p for p in raw["acceptanceEfficiency"]["parameters"]}
    return {
        "beam_energy_gwh": float(raw["beamExposure"]["value"]),
        "baseline_m": float(raw["distanceToTarget"]["value"]),
        "qf": float(raw["csiQF"]["value"]),
        "qf_sigma": float(raw["csiQF"]["uncertainty"]),
        "light_yield_pe_per_kev": float(raw["csiLightYield"]["value"]),
        "nu_per_flavour_per_proton": float(raw["neutrinosPerProton"]["value"]),
        **{
            f"acceptance_{k.replace('_', '')}{s}": float(acc[k][field])
            for k in ("a", "k", "x_0")
            for s, field in (("", "value"), ("_hi", "error_hi"), ("_lo", "error_lo"))
        },
    }


def csi_2017_acceptance(
    a: float | None = None,
    k: float | None = None,
    x_0: float | None = None,
    *,
    at: Literal["bin_centre", "integer"] = "bin_centre",
) -> ShiftedAcceptance:
    """The 2017 acceptance of ``n`` photoelectrons: the one definition every CsI 2017 path uses.

    ``a / (1 + exp(-k (x - x0))) H(x - 5)`` (coherent_parameters.yaml) evaluated at the
    1-PE bin centre ``x = n + 0.5`` as the release prescribes (``at = "bin_centre"``) or at
    ``x = n`` (``"integer"``).

    Parameters
    ----------
    a, k, x_0 : float, optional
        Sigmoid parameters; default the release's 0.6655, 0.4942, 10.8507.
    at : {"bin_centre", "integer"}

    Returns
    -------
    ShiftedAcceptance

    Examples
    --------
    >>> acc = csi_2017_acceptance()
    >>> round(float(acc(np.array([6.0]))[0]), 4), acc.shift
    (0.0694, 0.5)
    """
    if at not in ("bin_centre", "integer"):
        msg = f"at must be 'bin_centre' or 'integer', got {at!r}"
        raise InvalidParameterError(msg)
    p = coherent_csi_2017_parameters()
    return ShiftedAcceptance(
        SigmoidAcceptance2017(
            p["acceptance_a"] if a is None else a,
            p["acceptance_k"] if k is None else k,
            p["acceptance_x0"] if x_0 is None else x_0,
        ),
        0.5 if at == "bin_centre" else 0.0,
    )


def coherent_csi_2017_flux(
    *,
    protons_on_target: Annotated[float, Field(gt=0)] | None = None,
    proton_energy_gev: Annotated[float, Field(gt=0)] = 1.0,
    live_time_days: Annotated[float, Field(gt=0)] = CSI_2017_LIVE_DAYS,
) -> PionDARFlux:
    """The SNS flux of the 2017 CsI data set with the release parameters.

    Parameters
    ----------
    protons_on_target : float, optional
        Overrides the protons derived from the 7.47594 GWh beam exposure (e.g. 1.76e23, the
        number quoted with the 2017 result, which implies 0.954 GeV per proton).
    proton_energy_gev : float
        Converts the beam exposure to protons (default 1 GeV: 1.680e23 POT).
    live_time_days : float
        Live time the flux is averaged over; detectors must use the same (308.1 days).

    Examples
    --------
    >>> f"{coherent_csi_2017_flux().protons_on_target:.4e}"
    '1.6798e+23'
    """
    p = coherent_csi_2017_parameters()
    pot = (
        pot_from_beam_energy(p["beam_energy_gwh"], proton_energy_gev)
        if protons_on_target is None
        else check_positive("protons_on_target", protons_on_target)
    )
    return PionDARFlux(
        protons_on_target=pot,
        live_time_days=live_time_days,
        baseline_m=p["baseline_m"],
        nu_per_flavour_per_proton=p["nu_per_flavour_per_proton"],
    )


class CsI2017Detector(TimedScintillatorDetector):
    """The COHERENT CsI[Na] detector of 2017 observed in photoelectrons.

    Parameters
    ----------
    bin_edges : array_like
        PE bin edges (a bin ``[lo, hi)`` holds the integers lo .. hi-1); default the single
        analysis window 6 <= PE < 30.
    mass_kg, live_days : float
        14.57 kg and 308.1 days (match the flux live time).
    qf, light_yield_pe_per_kev : float, optional
        Default: the release values 0.0878 and 13.348 PE/keVee.
    acceptance : callable or None, optional
        Per integer PE; default :func:`csi_2017_acceptance` (the release sigmoid at the 1-PE
        bin centre ``n + 0.5``, as the release prescribes and as the PE x time detector of
        :mod:`cevns.experiments.coherent_csi_full`). ``None`` in the signature means the
        default; pass ``acceptance=False`` for none.
    acceptance_at : {"bin_centre", "integer"}
        Where the default acceptance of ``n`` PE is evaluated (``n + 0.5`` or ``n``).
    timing : PiDARTiming, optional
        How pi-DAR events share the time bins (:attr:`timing`).
    n_nodes : int
    name : str

    Examples
    --------
    >>> det = CsI2017Detector()
    >>> det.bin_edges.tolist(), det.mass_kg, det.light_yield_pe_per_kev
    ([6.0, 30.0], 14.57, 13.348)
    """

    def __init__(
        self,
        *,
        bin_edges: tuple[float, ...] = (6.0, 30.0),
        mass_kg: Annotated[float, Field(gt=0)] = CSI_2017_MASS_KG,
        live_days: Annotated[float, Field(gt=0)] = CSI_2017_LIVE_DAYS,
        qf: Annotated[float, Field(gt=0, le=1)] | None = None,
        light_yield_pe_per_kev: Annotated[float, Field(gt=0)] | None = None,
        acceptance: Callable[[NDArray[np.float64]], ArrayLike] | bool | None = None,
        acceptance_at: Literal["bin_centre", "integer"] = "bin_centre",
        timing: PiDARTiming | None = None,
        n_nodes: Annotated[int, Field(ge=50)] = DEFAULT_NODES,
        name: str = "coherent_csi_2017",
    ) -> None:
        given: object = timing  # checked at run time: Python callers are not type-checked
        if given is not None and not isinstance(given, PiDARTiming):
            msg = f"timing must be a PiDARTiming or None, got {type(given).__name__}"
            raise InvalidParameterError(msg)
        p = coherent_csi_2017_parameters()
        acc = acceptance if callable(acceptance) else None
        if acceptance is None or acceptance is True:
            acc = csi_2017_acceptance(at=acceptance_at)
        ly = (
            p["light_yield_pe_per_kev"]
            if light_yield_pe_per_kev is None
            else light_yield_pe_per_kev
        )
        super().__init__(
            name,
            Target.by_name("csi"),
            quenching=ConstantQuenching(p["qf"] if qf is None else qf),
            light_yield_pe_per_kev=ly,
            acceptance=acc,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=bin_edges,
            n_nodes=n_nodes,
            timing=timing,
        )


# --------------------------------------------------------------------------- data
def csi_2017_histograms(
    beam: Literal["on", "off"] = "on",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coincidence and anti-coincidence histograms of the 2017 release, shape (25, 24).

    Rows: 2-PE bins ``[0, 2) .. [48, 50)``; columns: 0.5 us bins ``[0, 0.5) .. [11.5, 12)``.

    Parameters
    ----------
    beam : {"on", "off"}, optional
        Beam-on (default) or beam-off data.

    Returns
    -------
    coincidence, anticoincidence : ndarray of shape (25, 24)
        Counts in PE x arrival-time bins of the two windows.

    Examples
    --------
    >>> c, ac = csi_2017_histograms()
    >>> float(c.sum()), float(ac.sum())
    (1207.0, 1032.0)
    """
    if beam not in ("on", "off"):
        msg = f"beam must be 'on' or 'off', got {beam!r}"
        raise InvalidParameterError(msg)
    out = []
    for window in ("coincidence", "anticoincidence"):
        name = _DATA_FILES[(beam, window)]
        table = data.load_table(name)
        if table.shape != (_N_PE * _N_T, 3):
            msg = f"{name}: expected 600 rows x 3 columns, got {table.shape}"
            raise InvalidParameterError(msg)
        pe = np.round((table[:, 0] - 1.0) / _PE_STEP).astype(int)
        t = np.round((table[:, 1] - 0.25) / _T_STEP).astype(int)
        hist = np.zeros((_N_PE, _N_T))
        np.add.at(hist, (pe, t), table[:, 2])
        out.append(hist)
    return out[0], out[1]


# --------------------------------------------------------------------------- components
#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component.from_function(
        "detector", "coherent_csi_2017", pidar_timed(CsI2017Detector), exclude=("name",)
    ),
    Component.from_function("flux", "coherent_csi_2017", coherent_csi_2017_flux),
)
