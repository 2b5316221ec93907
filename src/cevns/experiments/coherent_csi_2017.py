"""COHERENT CsI[Na] 2017 (arXiv:1708.01294): flux, detectors and the seed-002 timing counts.

Components registered on import (``kind`` in experiment files):

* ``[flux] kind = "coherent_csi_2017"``: the SNS pi-DAR flux with the release parameters
  (coherent_parameters.yaml: 7.47594 GWh, 19.3 m, 0.08 nu per flavour per proton; 1 GeV
  protons give 1.680e23 POT) averaged over the 308.1 live days of the data set;
* ``[detector] kind = "coherent_csi_2017"``: :class:`CsI2017Detector`, the 14.57 kg CsI[Na]
  crystal observed in photoelectrons (QF 0.0878, 13.348 PE/keVee, Poisson PE statistics and
  the 2017 acceptance of ``n`` PE at the 1-PE bin centre ``n + 0.5``,
  :func:`csi_2017_acceptance`, the definition shared with the PE x time detector);
* ``[detector] kind = "recoil_threshold"``: the framework's
  :class:`~cevns.detectors.threshold.RecoilThresholdDetector`, every recoil above a
  nuclear-recoil threshold (seed 002: 7 keVnr on CsI, no acceptance);
* ``[dataset] kind = "coherent_csi_2017_timing"``: :func:`timing_counts_dataset`, the
  beam-on coincidence minus anti-coincidence counts of the release in a prompt and a delayed
  time window (seed 002 Eq. 4.8, errors ``sqrt((1 + f_bkg) N_obs)``);
* ``[dataset] kind = "count_only"``: :func:`~cevns.likelihood.dataset.count_only_dataset`,
  counts given in the file
  (the Asimov data of the CONUS-like projections of seed 002 Sec. 5.2, with the
  ``recoil_threshold`` detector on Ge or Si: ``conus_ge.toml``, ``conus_si.toml``).

Both detectors split pi-DAR events into time bins (:class:`PiDARTiming`, seed 002 Eq. 4.1).
The experiment file ``coherent_csi_2017_timing.toml`` assembles the seed-002 likelihood.

Normalisation conventions
-------------------------
The absolute prediction of the framework for the 2017 exposure is the default. With
``normalise_sm_to`` the detector component declares a
:class:`~cevns.likelihood.experiment.NormaliseToEvents` (in its
:class:`~cevns.likelihood.experiment.DetectorSetup`): the experiment scales its signal (an
*effective* exposure) so that the reference SM (``normalisation_couplings``, default
radiative, at ``normalisation_sin2_theta_w``, default the framework's) gives exactly that
many events in the observed bins. Seed 002's conventions (173 events, tree level at 0.2225,
i.e. g_p^V = 0.055) are declared by its reproduction, ``coherent_csi_2017_timing.toml``. The
factor is :attr:`Experiment.exposure_factor
<cevns.likelihood.experiment.Experiment.exposure_factor>`, the absolute prediction
:attr:`~cevns.likelihood.experiment.Experiment.reference_events`; it is a documented
convention of seed 002, not a fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from cevns.config.components import Component, ComponentOptions
from cevns.core._validation import check_increasing, check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors.base import DEFAULT_NODES, Detector, ScintillatorDetector
from cevns.detectors.efficiency import ShiftedAcceptance, SigmoidAcceptance2017
from cevns.detectors.quenching import ConstantQuenching
from cevns.detectors.threshold import RecoilThresholdDetector
from cevns.likelihood.dataset import Dataset, count_only_dataset
from cevns.likelihood.experiment import DetectorSetup, NormaliseToEvents
from cevns.physics.form_factors import Helm, KleinNystrand, Unity
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Target
from cevns.sources.spallation import (
    MUON_GAMMA_PIDAR,
    PiDARTimeFractions,
    PionDARFlux,
    TimingPDF,
    pot_from_beam_energy,
    prompt_contamination,
)

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
    "timing_counts",
    "timing_counts_dataset",
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
        ``beam_energy_gwh``, ``baseline_m``, ``qf``, ``light_yield_pe_per_kev``,
        ``nu_per_flavour_per_proton``, ``acceptance_a``, ``acceptance_k``, ``acceptance_x0``.

    Examples
    --------
    >>> p = coherent_csi_2017_parameters()
    >>> p["beam_energy_gwh"], p["qf"], p["light_yield_pe_per_kev"]
    (7.47594, 0.0878, 13.348)
    """
    raw = data.load_yaml(_PARAMS_FILE)
    acc = {p["name"]: float(p["value"]) for p in raw["acceptanceEfficiency"]["parameters"]}
    return {
        "beam_energy_gwh": float(raw["beamExposure"]["value"]),
        "baseline_m": float(raw["distanceToTarget"]["value"]),
        "qf": float(raw["csiQF"]["value"]),
        "light_yield_pe_per_kev": float(raw["csiLightYield"]["value"]),
        "nu_per_flavour_per_proton": float(raw["neutrinosPerProton"]["value"]),
        "acceptance_a": acc["a"],
        "acceptance_k": acc["k"],
        "acceptance_x0": acc["x_0"],
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
    protons_on_target: float | None = None,
    proton_energy_gev: float = 1.0,
    live_time_days: float = CSI_2017_LIVE_DAYS,
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


def pidar_p_c(
    pulse_width_us: float = 0.695,
    prompt_window_us: float = 1.0,
    convention: Literal["muon_at_rest", "seed002"] = "muon_at_rest",
) -> float:
    """Prompt contamination P_c of a pi-DAR beam (seed 002 Eq. 4.2).

    ``"muon_at_rest"`` (default, physical): the muon decays at rest, Gamma = 1 (0.2539).
    ``"seed002"``: the dilated muon lifetime, Gamma = 1.039, the reading that reproduces
    seed 002's printed 0.246 (see :func:`cevns.sources.spallation.prompt_contamination`);
    only its reproduction asks for it (``p_c_convention = "seed002"`` in
    ``coherent_csi_2017_timing.toml``).

    Parameters
    ----------
    pulse_width_us : float
        Beam pulse width p_w [us].
    prompt_window_us : float
        Width b_w of the prompt time bin [us].
    convention : {"muon_at_rest", "seed002"}

    Examples
    --------
    >>> round(pidar_p_c(), 4), round(pidar_p_c(convention="seed002"), 4)
    (0.2539, 0.2457)
    """
    if convention not in ("seed002", "muon_at_rest"):
        msg = f"convention must be 'muon_at_rest' or 'seed002', got {convention!r}"
        raise InvalidParameterError(msg)
    gamma = MUON_GAMMA_PIDAR if convention == "seed002" else 1.0
    return prompt_contamination(pulse_width_us, prompt_window_us, lorentz_gamma=gamma)


# --------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class PiDARTiming:
    """How the pi-DAR flavours are shared among time bins.

    Parameters
    ----------
    edges_us : sequence of float
        Time-bin edges [us]. ``mode="p_c"`` needs exactly two bins (prompt, delayed).
    mode : {"p_c", "coherent_pdf"}
        ``"p_c"``: seed 002 Eq. 4.1, nu_mu all prompt, a fraction ``p_c`` of nu_e and
        nu_mu-bar prompt, the rest delayed. ``"coherent_pdf"``: the arrival-time PDFs of the
        2017 release integrated over the bins (edges within [0, 12] us).
    p_c : float
        Prompt contamination for ``mode="p_c"`` (default :func:`pidar_p_c` for the prompt
        bin, muon decay at rest: 0.2539 for a 1 us bin).

    Examples
    --------
    >>> t = PiDARTiming(p_c=0.25)
    >>> {k: v.tolist() for k, v in t.fractions(("nue", "numu")).items()}
    {'nue': [0.25, 0.75], 'numu': [1.0, 0.0]}
    """

    edges_us: tuple[float, ...] = (0.0, 1.0, 12.0)
    mode: Literal["p_c", "coherent_pdf"] = "p_c"
    p_c: float = -1.0

    def __post_init__(self) -> None:
        edges = check_increasing("edges_us", self.edges_us)
        object.__setattr__(self, "edges_us", tuple(float(e) for e in edges))
        if self.mode not in ("p_c", "coherent_pdf"):
            msg = f"timing mode must be 'p_c' or 'coherent_pdf', got {self.mode!r}"
            raise InvalidParameterError(msg)
        if self.mode == "p_c":
            if edges.size != 3:
                msg = (
                    "timing mode 'p_c' needs exactly two time bins (prompt, delayed), got "
                    f"edges_us={list(self.edges_us)}"
                )
                raise InvalidParameterError(msg)
            p_c = (
                pidar_p_c(prompt_window_us=edges[1] - edges[0])
                if self.p_c == -1.0
                else float(self.p_c)
            )
            if not 0.0 <= p_c <= 1.0:
                msg = f"p_c must be within [0, 1], got {self.p_c!r}"
                raise InvalidParameterError(msg)
            object.__setattr__(self, "p_c", p_c)
        elif edges[0] < 0.0 or edges[-1] > 12.0:
            msg = (
                "timing mode 'coherent_pdf' covers 0-12 us (the release's PDFs), got "
                f"edges_us={list(self.edges_us)}"
            )
            raise InvalidParameterError(msg)

    @property
    def n_bins(self) -> int:
        """Number of time bins."""
        return len(self.edges_us) - 1

    def time_fractions(self) -> PiDARTimeFractions:
        """The prompt and delayed fractions per bin (the one shared builder).

        Returns
        -------
        PiDARTimeFractions
        """
        if self.mode == "p_c":
            return PiDARTimeFractions.from_prompt_contamination(self.edges_us, self.p_c)
        return PiDARTimeFractions.from_pdfs(
            TimingPDF.from_coherent_csi_2017("prompt_neutrinos"),
            TimingPDF.from_coherent_csi_2017("delayed_neutrinos"),
            self.edges_us,
        )

    def fractions(self, flavours: Sequence[str]) -> dict[str, NDArray[np.float64]]:
        """Fraction of each flavour's events in each time bin.

        Parameters
        ----------
        flavours : sequence of str
            Neutrino flavours of the pion-DAR flux (``numu``, ``nue``, ``numubar``).

        Returns
        -------
        dict of str -> ndarray
            Fraction of each flavour's events in each time bin.
        """
        return self.time_fractions().fractions(flavours)


def _check_timing(timing: object) -> None:
    if timing is not None and not isinstance(timing, PiDARTiming):
        msg = f"timing must be a PiDARTiming or None, got {type(timing).__name__}"
        raise InvalidParameterError(msg)


class CsI2017Detector(ScintillatorDetector):
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

    Examples
    --------
    >>> det = CsI2017Detector()
    >>> det.bin_edges.tolist(), det.mass_kg, det.light_yield_pe_per_kev
    ([6.0, 30.0], 14.57, 13.348)
    """

    def __init__(
        self,
        *,
        bin_edges: ArrayLike = (6.0, 30.0),
        mass_kg: float = CSI_2017_MASS_KG,
        live_days: float = CSI_2017_LIVE_DAYS,
        qf: float | None = None,
        light_yield_pe_per_kev: float | None = None,
        acceptance: Callable[[NDArray[np.float64]], ArrayLike] | bool | None = None,
        acceptance_at: Literal["bin_centre", "integer"] = "bin_centre",
        timing: PiDARTiming | None = None,
        n_nodes: int = DEFAULT_NODES,
        name: str = "coherent_csi_2017",
    ) -> None:
        p = coherent_csi_2017_parameters()
        acc: Callable[[NDArray[np.float64]], ArrayLike] | None
        if acceptance is None or acceptance is True:
            acc = csi_2017_acceptance(at=acceptance_at)
        elif acceptance is False:
            acc = None
        else:
            acc = acceptance
        edges = check_increasing("bin_edges", bin_edges)
        if edges[0] < 0:
            msg = f"bin_edges must be >= 0 PE, got {edges[0]!r}"
            raise InvalidParameterError(msg)
        quenching: Any = ConstantQuenching(p["qf"] if qf is None else qf)
        super().__init__(
            name,
            Target.by_name("csi"),
            quenching=quenching,
            light_yield_pe_per_kev=(
                p["light_yield_pe_per_kev"]
                if light_yield_pe_per_kev is None
                else light_yield_pe_per_kev
            ),
            acceptance=acc,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=edges,
            n_nodes=n_nodes,
        )
        _check_timing(timing)
        self.timing = timing


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


def _grid_slice(name: str, window: Sequence[float], step: float, top: float) -> slice:
    if len(window) != 2:
        msg = f"{name} must be (lo, hi), got {list(window)}"
        raise InvalidParameterError(msg)
    _check_window(name, window, step, top)
    lo, hi = (float(v) for v in window)
    return slice(round(lo / step), round(hi / step))


def _check_window(name: str, window: Sequence[float], step: float, top: float) -> None:
    lo, hi = (float(v) for v in window)
    if not 0.0 <= lo < hi <= top:
        msg = f"{name} must satisfy 0 <= lo < hi <= {top:g}, got {list(window)}"
        raise InvalidParameterError(msg)
    for v in (lo, hi):
        if abs(v / step - round(v / step)) > 1e-9:
            msg = f"{name} edges must lie on the release's grid (steps of {step:g}), got {v!r}"
            raise InvalidParameterError(msg)


def timing_counts(
    *,
    pe_range: Sequence[float] = (6.0, 30.0),
    windows_us: Sequence[Sequence[float]] = ((0.0, 1.0), (1.0, 12.0)),
    beam: Literal["on", "off"] = "on",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coincidence and anti-coincidence counts of the 2017 release in time windows.

    Parameters
    ----------
    pe_range : (lo, hi)
        ``lo <= PE < hi``, on the release's 2-PE grid (0..50).
    windows_us : sequence of (lo, hi)
        Time windows ``lo <= t < hi`` [us], on the 0.5 us grid (0..12).
    beam : {"on", "off"}

    Returns
    -------
    (coincidence, anticoincidence) : two arrays, one entry per window

    Examples
    --------
    >>> c, ac = timing_counts()
    >>> c.tolist(), ac.tolist()
    ([153.0, 702.0], [102.0, 601.0])
    """
    ps = _grid_slice("pe_range", pe_range, _PE_STEP, 50.0)
    ts = [_grid_slice(f"windows_us[{i}]", w, _T_STEP, 12.0) for i, w in enumerate(windows_us)]
    c, ac = csi_2017_histograms(beam)
    return np.array([c[ps, t].sum() for t in ts]), np.array([ac[ps, t].sum() for t in ts])


def timing_counts_dataset(
    *,
    pe_range: Sequence[float] = (6.0, 30.0),
    prompt_window_us: Sequence[float] = (0.0, 1.0),
    delayed_window_us: Sequence[float] = (1.0, 12.0),
    errors: Literal["seed002", "poisson"] = "seed002",
    background_fraction: float = 0.2,
) -> Dataset:
    """Seed-002 data: beam-on coincidence minus anti-coincidence in a prompt and a delayed bin.

    Parameters
    ----------
    pe_range : (lo, hi)
        ``lo <= PE < hi`` (default the 2017 analysis window 6-30 PE).
    prompt_window_us, delayed_window_us : (lo, hi)
        Adjacent time windows [us] (default [0, 1) and [1, 12)).
    errors : {"seed002", "poisson"}
        ``"seed002"``: ``sqrt((1 + background_fraction) N_obs)`` (Eq. 4.8 of both
        extractions: ``sqrt(N_obs + 0.2 N_obs)``); ``"poisson"``: ``sqrt(C + AC)``.
    background_fraction : float
        The 20% background of seed 002.

    Examples
    --------
    >>> d = timing_counts_dataset()
    >>> d.counts.tolist(), [round(float(e), 3) for e in d.errors]
    ([51.0, 101.0], [7.823, 11.009])
    """
    if float(prompt_window_us[1]) != float(delayed_window_us[0]):
        msg = (
            "prompt_window_us must end where delayed_window_us starts, got "
            f"{list(prompt_window_us)} and {list(delayed_window_us)}"
        )
        raise InvalidParameterError(msg)
    if errors not in ("seed002", "poisson"):
        msg = f"errors must be 'seed002' or 'poisson', got {errors!r}"
        raise InvalidParameterError(msg)
    f_bkg = check_positive("background_fraction", background_fraction, allow_zero=True)
    c, ac = timing_counts(pe_range=pe_range, windows_us=(prompt_window_us, delayed_window_us))
    obs = c - ac
    if errors == "seed002":
        if np.any(obs <= 0):
            msg = (
                f"seed-002 errors sqrt((1 + f) N_obs) need positive excesses, got {obs.tolist()} "
                f"for pe_range={list(pe_range)}"
            )
            raise InvalidParameterError(msg)
        err = np.sqrt((1.0 + f_bkg) * obs)
    else:
        err = np.sqrt(c + ac)
    edges = np.array([prompt_window_us[0], prompt_window_us[1], delayed_window_us[1]], dtype=float)
    return Dataset(
        "coherent_csi_2017_timing",
        obs,
        (edges,),
        errors=err,
        axis_labels=("t [us]",),
        unit="counts (beam-on C - AC)",
        allow_negative=True,
        meta={
            "coincidence": c.tolist(),
            "anticoincidence": ac.tolist(),
            "pe_range": [float(v) for v in pe_range],
            "errors": errors,
            "source": "arXiv:1708.01294 data release (arXiv:1804.09459)",
        },
    )


# --------------------------------------------------------------------------- components


class FluxOptions(ComponentOptions):
    """``[flux] kind = "coherent_csi_2017"``."""

    protons_on_target: float | None = Field(None, gt=0)
    proton_energy_gev: float = Field(1.0, gt=0)
    live_time_days: float = Field(CSI_2017_LIVE_DAYS, gt=0)


def _flux(opts: FluxOptions) -> PionDARFlux:
    return coherent_csi_2017_flux(**opts.model_dump())


class _PulsedOptions(ComponentOptions):
    mass_kg: float = Field(CSI_2017_MASS_KG, gt=0)
    live_days: float = Field(CSI_2017_LIVE_DAYS, gt=0)
    timing: Literal["p_c", "coherent_pdf", "none"] = "p_c"
    time_edges_us: list[float] = Field(default_factory=lambda: [0.0, 1.0, 12.0])
    p_c: float | None = Field(None, ge=0, le=1)
    pulse_width_us: float = Field(0.695, gt=0)
    p_c_convention: Literal["muon_at_rest", "seed002"] = "muon_at_rest"
    normalise_sm_to: float | None = Field(None, gt=0)
    normalisation_sin2_theta_w: float | None = Field(None, gt=0, lt=1)
    normalisation_couplings: Literal["tree", "radiative"] = "radiative"
    normalisation_form_factor: Literal["helm", "klein_nystrand", "unity"] = "helm"
    n_nodes: int = Field(DEFAULT_NODES, ge=50)

    def setup(self, detector: Detector) -> DetectorSetup:
        """The detector with its timing and SM normalisation (:class:`DetectorSetup`)."""
        timing = self.timing_model()
        norm = None
        if self.normalise_sm_to is not None:
            ff = {"helm": Helm, "klein_nystrand": KleinNystrand, "unity": Unity}
            norm = NormaliseToEvents(
                self.normalise_sm_to,
                NSIModel.sm(
                    self.normalisation_sin2_theta_w, couplings=self.normalisation_couplings
                ),
                ff[self.normalisation_form_factor](),
            )
        return DetectorSetup(
            detector, timing=None if timing is None else timing.fractions, normalisation=norm
        )

    def timing_model(self) -> PiDARTiming | None:
        """The :class:`PiDARTiming` of the options (``None`` for ``timing = "none"``)."""
        timing = None
        if self.timing != "none":
            edges = tuple(self.time_edges_us)
            if self.timing == "p_c":
                if len(edges) != 3:
                    msg = f"time_edges_us: timing 'p_c' needs 3 edges, got {list(edges)}"
                    raise ValueError(msg)
                p_c = (
                    self.p_c
                    if self.p_c is not None
                    else pidar_p_c(self.pulse_width_us, edges[1] - edges[0], self.p_c_convention)
                )
                timing = PiDARTiming(edges, "p_c", p_c)
            else:
                timing = PiDARTiming(edges, "coherent_pdf")
        return timing


class CsIDetectorOptions(_PulsedOptions):
    """``[detector] kind = "coherent_csi_2017"``."""

    pe_edges: list[float] = Field(default_factory=lambda: [6.0, 30.0])
    qf: float | None = Field(None, gt=0, le=1)
    light_yield_pe_per_kev: float | None = Field(None, gt=0)
    acceptance: bool = True
    acceptance_at: Literal["bin_centre", "integer"] = "bin_centre"


def _csi_detector(opts: CsIDetectorOptions) -> DetectorSetup:
    det = CsI2017Detector(
        bin_edges=opts.pe_edges,
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        qf=opts.qf,
        light_yield_pe_per_kev=opts.light_yield_pe_per_kev,
        acceptance=opts.acceptance,
        acceptance_at=opts.acceptance_at,
        timing=opts.timing_model(),
        n_nodes=opts.n_nodes,
    )
    return opts.setup(det)


class ThresholdDetectorOptions(_PulsedOptions):
    """``[detector] kind = "recoil_threshold"``."""

    target: str = "csi"
    threshold_kevnr: float = Field(7.0, gt=0)
    upper_kevnr: float = Field(1000.0, gt=0)


def _threshold_detector(opts: ThresholdDetectorOptions) -> DetectorSetup:
    det = RecoilThresholdDetector(
        Target.by_name(opts.target),
        threshold_kev=opts.threshold_kevnr,
        upper_kev=opts.upper_kevnr,
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        timing=opts.timing_model(),
        n_nodes=opts.n_nodes,
        name=f"recoil_threshold_{opts.target}",
    )
    return opts.setup(det)


class TimingDatasetOptions(ComponentOptions):
    """``[dataset] kind = "coherent_csi_2017_timing"``."""

    pe_range: tuple[float, float] = (6.0, 30.0)
    prompt_window_us: tuple[float, float] = (0.0, 1.0)
    delayed_window_us: tuple[float, float] = (1.0, 12.0)
    errors: Literal["seed002", "poisson"] = "seed002"
    background_fraction: float = Field(0.2, ge=0)


def _timing_dataset(opts: TimingDatasetOptions) -> Dataset:
    return timing_counts_dataset(**opts.model_dump())


class CountOnlyOptions(ComponentOptions):
    """``[dataset] kind = "count_only"``: counts given in the file (Asimov projections)."""

    counts: list[float]
    edges: list[float]
    errors: Literal["poisson"] | list[float] = "poisson"
    name: str = "count_only"
    unit: str = "counts"
    axis_label: str = "E_nr [keVnr]"


def _count_only(opts: CountOnlyOptions) -> Dataset:
    return count_only_dataset(**opts.model_dump())


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "detector",
        "coherent_csi_2017",
        CsIDetectorOptions,
        _csi_detector,
        "COHERENT CsI[Na] 2017 in PE (QF, light yield, acceptance)",
    ),
    Component(
        "dataset",
        "coherent_csi_2017_timing",
        TimingDatasetOptions,
        _timing_dataset,
        "COHERENT CsI 2017 prompt/delayed beam-on C - AC counts (seed 002)",
    ),
    Component(
        "flux", "coherent_csi_2017", FluxOptions, _flux, "SNS pi-DAR flux of COHERENT CsI 2017"
    ),
    Component(
        "detector",
        "recoil_threshold",
        ThresholdDetectorOptions,
        _threshold_detector,
        "all recoils above a keVnr threshold (seed 002: CsI, 7 keVnr)",
    ),
    Component(
        "dataset",
        "count_only",
        CountOnlyOptions,
        _count_only,
        "counts given by hand, e.g. Asimov data of a count-only projection (seed 002 Sec. 5.2)",
    ),
)
