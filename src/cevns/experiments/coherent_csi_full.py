"""COHERENT CsI[Na] as binned Poisson likelihoods in photoelectrons x arrival time.

The "beyond the papers" analyses of the COHERENT CsI data releases: the full 2D (PE x time)
information, backgrounds from the releases and the detector-response uncertainties as
signal *shape* nuisances.

Components registered on import (``kind`` in experiment files):

* ``[detector] kind = "coherent_csi_2017_full"``: :func:`csi_2017_full_detector`, the
  2017 CsI[Na] response (QF 0.0878, 13.348 PE/keVee, Poisson PE statistics, release
  acceptance) together with its +-1 sigma variants in the QF and in the three acceptance
  parameters; the arrival-time PDFs of the release split prompt (nu_mu) and delayed
  (nu_e, nu_mu-bar) neutrinos into the 0.5 us time bins;
* ``[dataset] kind = "coherent_csi_2017_pe_time"``: :func:`csi_2017_dataset`, the beam-on
  coincidence (C) counts of the release, 2-PE x 0.5 us bins;
* ``[[backgrounds]] kind = "coherent_csi_2017_steady_state"``: :func:`csi_2017_steady_state`,
  the steady-state background measured by the beam-on anti-coincidence (AC) window;
* ``[[backgrounds]] kind = "coherent_csi_2017_brn"``: :func:`csi_2017_brn`, the prompt
  beam-related neutrons (``promptPDF.txt`` x ``arrivalTimePDF_promptNeutrons.txt``);
* ``[detector] kind = "coherent_csi_2021_full"``, ``[dataset] kind =
  "coherent_csi_2021_pe_time"`` and ``[[backgrounds]] kind = "coherent_csi_2021_ss"`` /
  ``"coherent_csi_2021_brn"`` / ``"coherent_csi_2021_nin"``: the same for the 2021 release
  (see :func:`csi_2021_full_detector`; several of its inputs are third-party).

Shape nuisances
---------------
Each detector-response uncertainty (the QF, the acceptance parameters; the 2021 efficiency
and scintillation models) is a :class:`~cevns.likelihood.systematics.ShapeSystematic` whose
+-1 sigma variants are detectors; the detector component declares them in its
:class:`~cevns.likelihood.experiment.DetectorSetup` and the
:class:`~cevns.likelihood.experiment.Experiment` morphs the signal piecewise linearly
(HistFactory code 0) with the nuisances ``<name>.<nuisance>`` (prior N(0, 1)). The variation
is linear in alpha: for the 19% QF uncertainty of 2017 this approximates the true
(non-linear) dependence on the QF, exact at alpha = -1, 0, +1.

Choices and limitations
-----------------------
* Steady state: the AC window measures it with the length of the C window; the default
  template is the outer product of the AC PE and time marginals over the AC total (the raw
  AC histogram has many empty bins: 36 of 288 in 2017), normalisation prior
  1 +- 1/sqrt(N_AC). Bin-by-bin statistical fluctuations of the AC sample are not
  propagated (toys drawn from the model therefore understate the spread of -2 ln L).
* 2017 acceptance: evaluated at the 1-PE bin centre ``n + 0.5`` for ``n`` photoelectrons as
  the release prescribes (``acceptance_at = "integer"`` for ``n``); it is not varied for the
  BRN (their 25% prior dominates).
* 2021: the neutrino arrival times (``snsFlux2D.root``) are missing; the analytic pulsed
  beam on the 2017 time axis is used. The data prefer an earlier pulse on the t_rec axis:
  ``time_offset_us = -0.2`` lowers -2 ln L of the SM fit by 13 (not applied by default).

The published numbers these analyses compare with are in the registry of published
numbers, :mod:`cevns.reproduce.registry` (``coherent/csi_2017.*``, ``coherent/csi_2021.*``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from cevns.config.components import Component, ComponentOptions
from cevns.core.binning import overlap_rebin
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors.base import DEFAULT_NODES, ScintillatorDetector
from cevns.detectors.efficiency import (
    ShiftedAcceptance,
    SigmoidEfficiency2021,
)
from cevns.detectors.quenching import ConstantQuenching, PolynomialQuenching, Quenching
from cevns.detectors.scintillator import GammaPEDetector
from cevns.experiments.coherent_csi_2017 import (
    _N_PE,
    _PE_STEP,
    _T_STEP,
    CSI_2017_LIVE_DAYS,
    CSI_2017_MASS_KG,
    PiDARTiming,
    _grid_slice,
    coherent_csi_2017_parameters,
    csi_2017_acceptance,
    csi_2017_histograms,
)
from cevns.likelihood.background import TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import DetectorSetup, Systematic
from cevns.likelihood.systematics import ShapeSystematic
from cevns.physics.nuclei import Target
from cevns.sources.spallation import PiDARTimeFractions, PulsedBeamTiming

__all__ = [
    "CSI_2021_BRN_NIN",
    "CSI_2021_MASS_KG",
    "CSI_2021_POT",
    "CSI_2021_RESOLUTION",
    "csi_2017_brn",
    "csi_2017_brn_template",
    "csi_2017_dataset",
    "csi_2017_full_detector",
    "csi_2017_histograms",
    "csi_2017_steady_state",
    "csi_2021_brn_nin",
    "csi_2021_brn_nin_template",
    "csi_2021_dataset",
    "csi_2021_events",
    "csi_2021_full_detector",
    "csi_2021_steady_state",
    "csi_2021_time_efficiency",
]


def __dir__() -> list[str]:
    return __all__


#: CsI 2021 mass [kg] (third-party code using the 2021 release).
CSI_2021_MASS_KG: float = 14.6
#: CsI 2021 protons on target, 13.99 GWh (third-party code using the 2021 release).
CSI_2021_POT: float = 3.198e23


class _TimedScintillator(ScintillatorDetector):
    """A PE detector that also declares the time-bin edges of its pulsed-beam timing.

    ``time_edges_us`` lets the experiment compare the dataset's time axis with the
    signal's by edges (:func:`cevns.likelihood.dataset.observed_axes`), not by bin count.
    """

    def __init__(
        self, *args: Any, time_edges_us: Sequence[float] | NDArray[np.float64], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.time_edges_us = np.asarray(time_edges_us, dtype=np.float64)


class _TimedGammaPE(GammaPEDetector):
    """:class:`~cevns.detectors.scintillator.GammaPEDetector` with ``time_edges_us`` (as above)."""

    def __init__(
        self, *args: Any, time_edges_us: Sequence[float] | NDArray[np.float64], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.time_edges_us = np.asarray(time_edges_us, dtype=np.float64)


# =========================================================================== 2017
def csi_2017_dataset(
    pe_range: Sequence[float] = (6.0, 30.0),
    t_range_us: Sequence[float] = (0.0, 12.0),
    *,
    beam: Literal["on", "off"] = "on",
) -> Dataset:
    """Beam coincidence counts of the 2017 release in 2-PE x 0.5 us bins.

    Parameters
    ----------
    pe_range : (lo, hi)
        ``lo <= PE < hi`` on the 2-PE grid of the release (0..50); default the 2017
        analysis window 6-30 PE.
    t_range_us : (lo, hi)
        Arrival-time window [us] on the 0.5 us grid (0..12).
    beam : {"on", "off"}

    Examples
    --------
    >>> d = csi_2017_dataset()
    >>> d.shape, float(d.counts.sum())
    ((12, 24), 855.0)
    """
    ps = _grid_slice("pe_range", pe_range, _PE_STEP, 50.0)
    ts = _grid_slice("t_range_us", t_range_us, _T_STEP, 12.0)
    c, ac = csi_2017_histograms(beam)
    pe_edges = np.arange(ps.start, ps.stop + 1) * _PE_STEP
    t_edges = np.arange(ts.start, ts.stop + 1) * _T_STEP
    return Dataset(
        "coherent_csi_2017_pe_time",
        c[ps, ts],
        (pe_edges, t_edges),
        errors=None,
        axis_labels=("PE", "t [us]"),
        unit="counts (beam-on coincidence)",
        meta={
            "beam": beam,
            "anticoincidence": ac[ps, ts],
            "total_coincidence_all_bins": float(c.sum()),
            "total_anticoincidence_all_bins": float(ac.sum()),
            "source": "arXiv:1708.01294 data release (arXiv:1804.09459)",
        },
    )


def _dataset_slices(dataset: Dataset) -> tuple[slice, slice]:
    if dataset.ndim != 2:
        msg = f"a COHERENT CsI 2017 background needs a PE x time dataset, got {dataset.shape}"
        raise InvalidParameterError(msg)
    pe, t = dataset.edges
    ps = _grid_slice("dataset PE edges", (pe[0], pe[-1]), _PE_STEP, 50.0)
    ts = _grid_slice("dataset time edges", (t[0], t[-1]), _T_STEP, 12.0)
    if pe.size - 1 != ps.stop - ps.start or t.size - 1 != ts.stop - ts.start:
        msg = "the dataset must use the release's 2-PE x 0.5 us bins"
        raise InvalidParameterError(msg)
    return ps, ts


def _ss_template(
    ac: NDArray[np.float64], shape: Literal["factorised", "raw"]
) -> NDArray[np.float64]:
    given: object = shape
    if given not in ("factorised", "raw"):
        msg = f"steady-state template must be 'factorised' or 'raw', got {shape!r}"
        raise InvalidParameterError(msg)
    if shape == "raw":
        return ac.copy()
    total = float(ac.sum())
    if total <= 0:
        msg = "the anti-coincidence sample is empty in the chosen window"
        raise InvalidParameterError(msg)
    return np.outer(ac.sum(axis=1), ac.sum(axis=0)) / total


def _ss_background(
    template: NDArray[np.float64],
    n_ac: float,
    prior: Literal["poisson", "free", "fixed"],
    name: str,
) -> TemplateBackground:
    if prior not in ("poisson", "free", "fixed"):
        msg = f"steady-state prior must be 'poisson', 'free' or 'fixed', got {prior!r}"
        raise InvalidParameterError(msg)
    return TemplateBackground(
        name,
        template,
        norm_uncertainty=1.0 / np.sqrt(n_ac) if prior == "poisson" else None,
        norm_limits=(0.0, 3.0),
        fixed=prior == "fixed",
    )


def csi_2017_steady_state(
    dataset: Dataset,
    *,
    template: Literal["factorised", "raw"] = "factorised",
    prior: Literal["poisson", "free", "fixed"] = "poisson",
    name: str = "ss",
) -> TemplateBackground:
    """Steady-state background from the beam-on anti-coincidence (AC) histogram.

    The AC window has the length of the coincidence window and sees the same steady-state
    rate, so the AC counts estimate the background directly (no scaling).

    Parameters
    ----------
    dataset : Dataset
        The PE x time dataset (its edges select the AC bins).
    template : {"factorised", "raw"}
        ``"factorised"`` (default): outer product of the AC PE and time marginals divided by
        the AC total: smooth, no empty bins, assumes PE and time independent (the AC time
        distribution is not flat: it falls from ~50 to ~20 counts per bin over 12 us, and
        the marginal keeps that). ``"raw"``: the AC histogram bin by bin (empty bins give a
        zero expectation where only the signal can contribute).
    prior : {"poisson", "free", "fixed"}
        Normalisation ``ss_norm``: Gaussian 1 +- 1/sqrt(N_AC) (Poisson statistics of the AC
        sample in the window, 1/sqrt(703) = 3.8% in 6-30 PE x 0-12 us), unconstrained, or
        fixed at 1. Bin-by-bin statistical fluctuations of the AC sample are not
        propagated.
    name : str
    """
    ps, ts = _dataset_slices(dataset)
    _, ac = csi_2017_histograms(dataset.meta.get("beam", "on"))
    sub = ac[ps, ts]
    return _ss_background(_ss_template(sub, template), float(sub.sum()), prior, name)


def csi_2017_brn_template(
    pe_slice: slice,
    t_slice: slice,
    *,
    acceptance_shift: float = 0.5,
) -> NDArray[np.float64]:
    """Prompt beam-related-neutron counts expected in 2-PE x 0.5 us bins (normalisation 1).

    ``promptPDF.txt`` (counts per GWhr in 1-PE bins) x 7.47594 GWhr x the release
    acceptance at the 1-PE bin centres, summed into the 2-PE bins, times the prompt-neutron
    arrival-time PDF.

    Parameters
    ----------
    pe_slice : slice
        Rows to keep among the 25 bins of 2 PE (``[0, 2) .. [48, 50)``).
    t_slice : slice
        Columns to keep among the 24 arrival-time bins of 0.5 us.
    acceptance_shift : float, optional
        Offset [PE] from the lower edge of each 1-PE bin at which the acceptance is taken
        (0.5, the default: the bin centre as the release prescribes).

    Returns
    -------
    ndarray
        Expected counts, shape (selected PE bins, selected time bins).

    Examples
    --------
    >>> full = csi_2017_brn_template(slice(0, 25), slice(0, 24))
    >>> window = csi_2017_brn_template(slice(3, 15), slice(0, 24))
    >>> round(float(full.sum()), 2), round(float(window.sum()), 2)
    (7.62, 5.42)
    """
    p = coherent_csi_2017_parameters()
    pdf = data.load_table("coherent_csi_2017/promptPDF.txt")
    if pdf.shape != (50, 2):
        msg = f"coherent_csi_2017/promptPDF.txt: expected 50 rows x 2 columns, got {pdf.shape}"
        raise InvalidParameterError(msg)
    acc = csi_2017_acceptance(at="integer")  # the shared definition, shifted below
    lower = pdf[:, 0] - 0.5  # 1-PE bins [n, n + 1)
    per_pe = pdf[:, 1] * p["beam_energy_gwh"] * acc(lower + acceptance_shift)
    per_2pe = per_pe.reshape(_N_PE, 2).sum(axis=1)
    timing = data.load_table("coherent_csi_2017/arrivalTimePDF_promptNeutrons.txt")[:, 1]
    return np.asarray(np.outer(per_2pe[pe_slice], timing[t_slice]), dtype=np.float64)


def csi_2017_brn(
    dataset: Dataset,
    *,
    norm_uncertainty: float = 0.25,
    acceptance_shift: float = 0.5,
    name: str = "brn",
) -> TemplateBackground:
    """Prompt beam-related neutrons of the 2017 release (normalisation prior 1 +- 0.25).

    Parameters
    ----------
    dataset : Dataset
        The PE x time dataset (its edges select the bins).
    norm_uncertainty : float
        Relative Gaussian prior of ``brn_norm`` (release: 25%). The acceptance uncertainty
        of the neutrons is not varied separately (it is small against the 25%).
    acceptance_shift : float
        0.5: acceptance at the 1-PE bin centres as the release prescribes; 0 at the integer.
    name : str, optional
        Name of the background component (prefix of its ``_norm`` parameter; default ``"brn"``).

    Returns
    -------
    TemplateBackground
        The template with a free normalisation in [0, 5] and its Gaussian prior.
    """
    ps, ts = _dataset_slices(dataset)
    tpl = csi_2017_brn_template(ps, ts, acceptance_shift=acceptance_shift)
    return TemplateBackground(name, tpl, norm_uncertainty=norm_uncertainty, norm_limits=(0.0, 5.0))


def csi_2017_full_detector(
    pe_range: Sequence[float] = (6.0, 30.0),
    t_range_us: Sequence[float] = (0.0, 12.0),
    *,
    mass_kg: float = CSI_2017_MASS_KG,
    live_days: float = CSI_2017_LIVE_DAYS,
    qf_nuisance: bool = True,
    acceptance_nuisances: bool = True,
    acceptance_shift: float = 0.5,
    n_nodes: int = DEFAULT_NODES,
) -> DetectorSetup:
    """The 2017 CsI[Na] response in 2-PE bins with its +-1 sigma variants and timing.

    Nominal: QF 0.0878, 13.348 PE/keVee, Poisson PE statistics, acceptance
    ``a / (1 + exp(-k (x - x0))) H(x - 5)`` at the 1-PE bin centre ``x = n + 0.5``
    (``acceptance_shift``). Shape nuisances (release values, coherent_parameters.yaml):

    * ``qf``: QF 0.0878 +- 0.0166;
    * ``acc_a``, ``acc_k``, ``acc_x0``: a +0.0212/-0.0384, k +0.0335/-0.0131,
      x0 +0.1838/-0.3995 (asymmetric; the three treated as uncorrelated, the release gives
      no correlations).

    Timing: nu_mu with ``arrivalTimePDF_promptNeutrinos``, nu_e and nu_mu-bar with
    ``arrivalTimePDF_delayedNeutrinos`` in 0.5 us bins.

    Parameters
    ----------
    pe_range, t_range_us : (lo, hi)
        Analysis window on the release's 2-PE x 0.5 us grid.
    mass_kg, live_days : float
        14.57 kg, 308.1 days (the live time must equal the flux's).
    qf_nuisance, acceptance_nuisances : bool
        Include the shape nuisances ``qf`` and ``acc_a``, ``acc_k``, ``acc_x0``.
    acceptance_shift : float
        The acceptance of ``n`` PE is evaluated at ``n + acceptance_shift``.
    n_nodes : int
        Recoil-energy nodes of the response.
    """
    ps = _grid_slice("pe_range", pe_range, _PE_STEP, 50.0)
    ts = _grid_slice("t_range_us", t_range_us, _T_STEP, 12.0)
    pe_edges = np.arange(ps.start, ps.stop + 1) * _PE_STEP
    t_edges = np.arange(ts.start, ts.stop + 1) * _T_STEP
    p = coherent_csi_2017_parameters()
    raw = data.load_yaml("coherent_csi_2017/coherent_parameters.yaml")
    acc_pars = {q["name"]: q for q in raw["acceptanceEfficiency"]["parameters"]}
    qf0, dqf = p["qf"], float(raw["csiQF"]["uncertainty"])
    nominal_acc = {"a": p["acceptance_a"], "k": p["acceptance_k"], "x_0": p["acceptance_x0"]}

    def make(qf: float, acc: Mapping[str, float], tag: str) -> ScintillatorDetector:
        quench: Quenching = ConstantQuenching(qf)
        return _TimedScintillator(
            f"coherent_csi_2017_full{tag}",
            Target.by_name("csi"),
            quenching=quench,
            light_yield_pe_per_kev=p["light_yield_pe_per_kev"],
            acceptance=ShiftedAcceptance(
                csi_2017_acceptance(acc["a"], acc["k"], acc["x_0"], at="integer").function,
                acceptance_shift,
            ),
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=pe_edges,
            n_nodes=n_nodes,
            time_edges_us=t_edges,
        )

    syst: list[Systematic] = []
    if qf_nuisance:
        syst.append(
            ShapeSystematic.updown(
                "qf",
                make(qf0 + dqf, nominal_acc, "_qf_up"),
                make(qf0 - dqf, nominal_acc, "_qf_down"),
                description=f"CsI[Na] QF {qf0} +- {dqf}",
            )
        )
    if acceptance_nuisances:
        for key in ("a", "k", "x_0"):
            up = float(acc_pars[key]["error_hi"])
            lo = float(acc_pars[key]["error_lo"])
            local = f"acc_{key.replace('_', '')}"
            syst.append(
                ShapeSystematic.updown(
                    local,
                    make(qf0, nominal_acc | {key: nominal_acc[key] + up}, f"_{local}_up"),
                    make(qf0, nominal_acc | {key: nominal_acc[key] - lo}, f"_{local}_down"),
                    description=f"acceptance {key} {nominal_acc[key]} +{up}/-{lo}",
                )
            )
    return DetectorSetup(
        make(qf0, nominal_acc, ""),
        timing=PiDARTiming(tuple(t_edges), "coherent_pdf").time_fractions().fractions,
        systematics=tuple(syst),
    )


# =========================================================================== 2021
# Inputs of the 2021 release (arXiv:2110.07730 v2 ancillary files) are the events, the
# BRN/NIN shapes, the efficiency and the scintillation response. THIRD-PARTY (code of others
# using the release, not verified against the supplement, which is missing): POT, nu per
# flavour per POT, mass, the gamma-function PE smearing, the time efficiency and the BRN/NIN
# normalisations. The neutrino arrival-time distribution (snsFlux2D.root, missing) is
# replaced by the analytic pulsed-beam model on the 2017 time axis (assumed to be the 2021
# t_rec axis: the 2021 BRN timing peaks at 0.67 us like the 2017 prompt PDFs).
_FILES_2021 = {
    "c": "coherent_csi_2021/dataBeamOnC.txt",
    "ac": "coherent_csi_2021/dataBeamOnAC.txt",
    "brn_pe": "coherent_csi_2021/brnPE.txt",
    "brn_t": "coherent_csi_2021/brnTrec.txt",
    "nin_pe": "coherent_csi_2021/ninPE.txt",
    "nin_t": "coherent_csi_2021/ninTrec.txt",
    "eff": "coherent_csi_2021/effCoefficients.txt",
    "scint": "coherent_csi_2021/scintRespCoefficients.txt",
}
#: Gamma-function PE smearing of 2021 (third-party): a = 0.0749 / E_ee, b = 9.56 E_ee [keVee].
CSI_2021_RESOLUTION: tuple[float, float] = (0.0749, 9.56)
#: BRN and NIN counts in PE < 60, t_rec < 6 us (third-party) and their relative priors.
CSI_2021_BRN_NIN: dict[str, tuple[float, float]] = {"brn": (18.4, 0.25), "nin": (5.6, 0.35)}
_DEFAULT_PE_EDGES_2021 = tuple(float(x) for x in range(8, 61, 4))
_DEFAULT_T_EDGES_2021 = tuple(0.5 * i for i in range(13))


def csi_2021_time_efficiency(t_us: NDArray[np.float64]) -> NDArray[np.float64]:
    """Time efficiency of 2021 (third-party): 1 below 0.52 us, then exp(-0.0494 (t - 0.52)).

    Parameters
    ----------
    t_us : ndarray
        Reconstructed times [us].

    Returns
    -------
    ndarray
        Efficiency at each time, in (0, 1].

    Examples
    --------
    >>> [round(float(v), 4) for v in csi_2021_time_efficiency(np.array([0.3, 0.52, 5.52]))]
    [1.0, 1.0, 0.7811]
    """
    t = np.asarray(t_us, dtype=np.float64)
    return np.asarray(np.where(t < 0.52, 1.0, np.exp(-0.0494 * (t - 0.52))), dtype=np.float64)


def _check_edges_2021(
    pe_edges: Sequence[float], t_edges_us: Sequence[float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    pe = np.asarray(pe_edges, dtype=np.float64)
    t = np.asarray(t_edges_us, dtype=np.float64)
    if pe.ndim != 1 or pe.size < 2 or np.any(np.diff(pe) <= 0) or pe[0] < 0 or pe[-1] > 250:
        msg = f"pe_edges must increase within [0, 250] PE, got {pe.tolist()}"
        raise InvalidParameterError(msg)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0) or t[0] < 0 or t[-1] > 6.0:
        msg = f"t_edges_us must increase within [0, 6] us (the CEvNS window), got {t.tolist()}"
        raise InvalidParameterError(msg)
    return pe, t


def csi_2021_events(window: Literal["c", "ac"]) -> NDArray[np.float64]:
    """Unbinned beam-on events (PE, t_rec [us]) of the 2021 release.

    Parameters
    ----------
    window : {"c", "ac"}
        Coincidence (``"c"``) or anti-coincidence (``"ac"``) window.

    Returns
    -------
    ndarray of shape (n, 2)
        One row per event: PE and reconstructed time [us].

    Examples
    --------
    >>> csi_2021_events("c").shape, csi_2021_events("ac").shape
    ((5142, 2), (4890, 2))
    """
    if window not in ("c", "ac"):
        msg = f"window must be 'c' or 'ac', got {window!r}"
        raise InvalidParameterError(msg)
    ev = data.load_table(_FILES_2021[window])
    if ev.ndim != 2 or ev.shape[1] != 2:
        msg = f"{_FILES_2021[window]}: expected 2 columns, got shape {ev.shape}"
        raise InvalidParameterError(msg)
    return ev


def _bin_2021(
    events: NDArray[np.float64], pe: NDArray[np.float64], t: NDArray[np.float64]
) -> NDArray[np.float64]:
    import boost_histogram as bh

    h = bh.Histogram(bh.axis.Variable(pe.tolist()), bh.axis.Variable(t.tolist()))
    h.fill(events[:, 0], events[:, 1])
    return np.asarray(h.values(), dtype=np.float64)


def csi_2021_dataset(
    pe_edges: Sequence[float] = _DEFAULT_PE_EDGES_2021,
    t_edges_us: Sequence[float] = _DEFAULT_T_EDGES_2021,
) -> Dataset:
    """Beam-on coincidence events of the 2021 release binned with boost-histogram.

    Default: 8-60 PE in 4-PE bins x 0-6 us in 0.5 us bins (a bin is ``[lo, hi)``).

    Parameters
    ----------
    pe_edges : sequence of float
        PE bin edges within [0, 250].
    t_edges_us : sequence of float
        t_rec bin edges [us] within [0, 6] (the CEvNS window of the release).

    Examples
    --------
    >>> d = csi_2021_dataset()
    >>> d.shape, float(d.counts.sum()), d.meta["total_events"]
    ((13, 12), 1567.0, 5142)
    """
    pe, t = _check_edges_2021(pe_edges, t_edges_us)
    c = csi_2021_events("c")
    ac = csi_2021_events("ac")
    return Dataset(
        "coherent_csi_2021_pe_time",
        _bin_2021(c, pe, t),
        (pe, t),
        axis_labels=("PE", "t_rec [us]"),
        unit="counts (beam-on coincidence)",
        meta={
            "anticoincidence": _bin_2021(ac, pe, t),
            "total_events": int(c.shape[0]),
            "total_anticoincidence_events": int(ac.shape[0]),
            "source": "arXiv:2110.07730 v2 ancillary files",
        },
    )


def csi_2021_steady_state(
    dataset: Dataset,
    *,
    template: Literal["factorised", "raw"] = "factorised",
    prior: Literal["poisson", "free", "fixed"] = "poisson",
    name: str = "ss",
) -> TemplateBackground:
    """Steady-state background from the 2021 beam-on AC events in the dataset's bins.

    As :func:`csi_2017_steady_state`: factorised PE x time template by default, prior
    1 +- 1/sqrt(N_AC).

    Parameters
    ----------
    dataset : Dataset
        The PE x t_rec dataset (its edges bin the AC events).
    template : {"factorised", "raw"}
    prior : {"poisson", "free", "fixed"}
    name : str
    """
    if dataset.ndim != 2:
        msg = f"the 2021 steady-state background needs a PE x time dataset, got {dataset.shape}"
        raise InvalidParameterError(msg)
    ac = _bin_2021(csi_2021_events("ac"), dataset.edges[0], dataset.edges[1])
    return _ss_background(_ss_template(ac, template), float(ac.sum()), prior, name)


def csi_2021_brn_nin_template(
    component: Literal["brn", "nin"],
    pe_edges: NDArray[np.float64],
    t_edges_us: NDArray[np.float64],
    *,
    events: float | None = None,
) -> NDArray[np.float64]:
    """Expected BRN or NIN counts in PE x t_rec bins (normalisation 1).

    PE shape (``brnPE``/``ninPE``, which include the energy efficiency) x t_rec shape
    (``brnTrec``/``ninTrec``) times the time efficiency, each normalised over 0-60 PE and
    0-6 us, scaled to ``events`` in that region (default 18.4 BRN, 5.6 NIN: third-party).

    Parameters
    ----------
    component : {"brn", "nin"}
        Beam-related neutrons or neutrino-induced neutrons.
    pe_edges : ndarray
        Edges of the PE bins [PE].
    t_edges_us : ndarray
        Edges of the reconstructed-time bins [us].
    events : float, optional
        Events in 0-60 PE x 0-6 us; None for the default of the component (18.4 or 5.6).

    Returns
    -------
    ndarray
        Expected counts, shape ``(len(pe_edges) - 1, len(t_edges_us) - 1)``.

    Examples
    --------
    >>> pe, t = np.arange(0.0, 61.0, 4.0), np.linspace(0.0, 6.0, 13)
    >>> round(float(csi_2021_brn_nin_template("brn", pe, t).sum()), 3)
    18.4
    """
    if component not in CSI_2021_BRN_NIN:
        msg = f"component must be 'brn' or 'nin', got {component!r}"
        raise InvalidParameterError(msg)
    n = CSI_2021_BRN_NIN[component][0] if events is None else float(events)
    pe_tab = data.load_table(_FILES_2021[f"{component}_pe"])
    t_tab = data.load_table(_FILES_2021[f"{component}_t"])
    pe_w = pe_tab[:, 1]
    t_w = t_tab[:, 1] * csi_2021_time_efficiency(t_tab[:, 0])
    pe_norm = overlap_rebin(pe_tab[:, 0], pe_w, np.array([0.0, 60.0]))[0]
    t_norm = overlap_rebin(t_tab[:, 0], t_w, np.array([0.0, 6.0]))[0]
    pe_frac = overlap_rebin(pe_tab[:, 0], pe_w, pe_edges) / pe_norm
    t_frac = overlap_rebin(t_tab[:, 0], t_w, t_edges_us) / t_norm
    return np.asarray(n * np.outer(pe_frac, t_frac), dtype=np.float64)


def csi_2021_brn_nin(
    dataset: Dataset,
    component: Literal["brn", "nin"] = "brn",
    *,
    events: float | None = None,
    norm_uncertainty: float | None = None,
    name: str | None = None,
) -> TemplateBackground:
    """BRN or NIN background of 2021 (defaults: 18.4 +- 25% and 5.6 +- 35%, third-party).

    Parameters
    ----------
    dataset : Dataset
        The PE x t_rec dataset (its edges select the bins).
    component : {"brn", "nin"}
    events : float, optional
        Expected counts in 0-60 PE x 0-6 us (default 18.4 or 5.6).
    norm_uncertainty : float, optional
        Relative Gaussian prior of the normalisation (default 0.25 or 0.35).
    name : str, optional
        Background name (default the component).
    """
    if dataset.ndim != 2:
        msg = f"the 2021 {component} background needs a PE x time dataset, got {dataset.shape}"
        raise InvalidParameterError(msg)
    tpl = csi_2021_brn_nin_template(component, *dataset.edges, events=events)
    sigma = CSI_2021_BRN_NIN[component][1] if norm_uncertainty is None else norm_uncertainty
    return TemplateBackground(
        name or component, tpl, norm_uncertainty=sigma, norm_limits=(0.0, 5.0)
    )


def _coefficient_rows(name: str) -> list[tuple[float, ...]]:
    """Numeric rows of a coefficient file (comment and blank lines skipped)."""
    table = data.load_table(name)
    return [tuple(float(v) for v in row) for row in np.atleast_2d(table)]


def csi_2021_full_detector(
    pe_edges: Sequence[float] = _DEFAULT_PE_EDGES_2021,
    t_edges_us: Sequence[float] = _DEFAULT_T_EDGES_2021,
    *,
    mass_kg: float = CSI_2021_MASS_KG,
    live_days: float = 1.0,
    efficiency_nuisance: bool = True,
    scintillation_nuisances: bool = True,
    time_offset_us: float = 0.0,
    n_nodes: int = DEFAULT_NODES,
) -> DetectorSetup:
    """The 2021 CsI[Na] response in PE with +-1 sigma variants and the time distribution.

    Release inputs: scintillation response ``E_ee(E_nr)`` (polynomial, nominal and two
    independent systematic models ``scint0``, ``scint1`` at +-1 sigma) and energy efficiency
    (nominal and +-1 sigma: nuisance ``eff``; the file labels both variant rows "+1 sigma",
    the second one lowers the efficiency and is used as -1 sigma). Third-party: gamma PE
    smearing (:class:`~cevns.detectors.scintillator.GammaPEDetector`), 14.6 kg, the time efficiency
    (:func:`csi_2021_time_efficiency`). Arrival times: the analytic pulsed-beam model on the
    2017 time axis (:class:`cevns.sources.spallation.PulsedBeamTiming`) times the time efficiency,
    integrated in 10 ns steps.

    Parameters
    ----------
    pe_edges, t_edges_us : sequence of float
        Observed bins (as the dataset).
    mass_kg, live_days : float
        14.6 kg (third-party); the live time must equal the flux's.
    efficiency_nuisance, scintillation_nuisances : bool
        Include the shape nuisances ``eff`` and ``scint0``, ``scint1``.
    time_offset_us : float
        Shift of the beam pulse (0.692 us on the 2017 axis) for a different t_rec zero.
    n_nodes : int
        Recoil-energy nodes of the response.
    """
    pe, t = _check_edges_2021(pe_edges, t_edges_us)
    beam = PulsedBeamTiming.coherent_csi_2017()
    beam = replace(beam, pulse_mean_us=beam.pulse_mean_us + time_offset_us)
    eff_rows = _coefficient_rows(_FILES_2021["eff"])
    scint_rows = _coefficient_rows(_FILES_2021["scint"])
    if len(eff_rows) != 3 or len(scint_rows) != 5:
        msg = (
            "coherent_csi_2021 coefficient files: expected 3 efficiency and 5 scintillation "
            f"rows, got {len(eff_rows)} and {len(scint_rows)}"
        )
        raise InvalidParameterError(msg)

    def make(scint: tuple[float, ...], eff: tuple[float, ...], tag: str) -> GammaPEDetector:
        return _TimedGammaPE(
            f"coherent_csi_2021_full{tag}",
            Target.by_name("csi"),
            quenching=PolynomialQuenching(scint),
            efficiency=SigmoidEfficiency2021(*eff),
            resolution=CSI_2021_RESOLUTION,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=pe,
            n_nodes=n_nodes,
            time_edges_us=t,
        )

    syst: list[Systematic] = []
    if efficiency_nuisance:
        syst.append(
            ShapeSystematic.updown(
                "eff",
                make(scint_rows[0], eff_rows[1], "_eff_up"),
                make(scint_rows[0], eff_rows[2], "_eff_down"),
                description="energy efficiency, effCoefficients.txt rows 2 (+1 sigma) and 3 "
                "(-1 sigma)",
            )
        )
    if scintillation_nuisances:
        for j in (0, 1):
            syst.append(
                ShapeSystematic.updown(
                    f"scint{j}",
                    make(scint_rows[1 + 2 * j], eff_rows[0], f"_scint{j}_up"),
                    make(scint_rows[2 + 2 * j], eff_rows[0], f"_scint{j}_down"),
                    description=f"scintillation response, systematic model {j} (+-1 sigma)",
                )
            )
    return DetectorSetup(
        make(scint_rows[0], eff_rows[0], ""),
        timing=PiDARTimeFractions.from_model(
            beam, t, efficiency=csi_2021_time_efficiency
        ).fractions,
        systematics=tuple(syst),
    )


# =========================================================================== components


class Detector2017Options(ComponentOptions):
    """``[detector] kind = "coherent_csi_2017_full"``."""

    pe_range: tuple[float, float] = (6.0, 30.0)
    t_range_us: tuple[float, float] = (0.0, 12.0)
    mass_kg: float = Field(CSI_2017_MASS_KG, gt=0)
    live_days: float = Field(CSI_2017_LIVE_DAYS, gt=0)
    qf_nuisance: bool = True
    acceptance_nuisances: bool = True
    acceptance_at: Literal["bin_centre", "integer"] = "bin_centre"
    n_nodes: int = Field(DEFAULT_NODES, ge=50)


def _detector_2017(opts: Detector2017Options) -> DetectorSetup:
    return csi_2017_full_detector(
        opts.pe_range,
        opts.t_range_us,
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        qf_nuisance=opts.qf_nuisance,
        acceptance_nuisances=opts.acceptance_nuisances,
        acceptance_shift=0.5 if opts.acceptance_at == "bin_centre" else 0.0,
        n_nodes=opts.n_nodes,
    )


class Dataset2017Options(ComponentOptions):
    """``[dataset] kind = "coherent_csi_2017_pe_time"``."""

    pe_range: tuple[float, float] = (6.0, 30.0)
    t_range_us: tuple[float, float] = (0.0, 12.0)
    beam: Literal["on", "off"] = "on"


def _dataset_2017(opts: Dataset2017Options) -> Dataset:
    return csi_2017_dataset(**opts.model_dump())


class SteadyState2017Options(ComponentOptions):
    """``[[backgrounds]] kind = "coherent_csi_2017_steady_state"``."""

    template: Literal["factorised", "raw"] = "factorised"
    prior: Literal["poisson", "free", "fixed"] = "poisson"
    name: str = "ss"


def _ss_2017(opts: SteadyState2017Options, *, dataset: Dataset) -> TemplateBackground:
    return csi_2017_steady_state(dataset, **opts.model_dump())


class Brn2017Options(ComponentOptions):
    """``[[backgrounds]] kind = "coherent_csi_2017_brn"``."""

    norm_uncertainty: float = Field(0.25, gt=0)
    acceptance_at: Literal["bin_centre", "integer"] = "bin_centre"
    name: str = "brn"


def _brn_2017(opts: Brn2017Options, *, dataset: Dataset) -> TemplateBackground:
    return csi_2017_brn(
        dataset,
        norm_uncertainty=opts.norm_uncertainty,
        acceptance_shift=0.5 if opts.acceptance_at == "bin_centre" else 0.0,
        name=opts.name,
    )


class Detector2021Options(ComponentOptions):
    """``[detector] kind = "coherent_csi_2021_full"``."""

    pe_edges: list[float] = Field(default_factory=lambda: list(_DEFAULT_PE_EDGES_2021))
    t_edges_us: list[float] = Field(default_factory=lambda: list(_DEFAULT_T_EDGES_2021))
    mass_kg: float = Field(CSI_2021_MASS_KG, gt=0)
    live_days: float = Field(1.0, gt=0)
    efficiency_nuisance: bool = True
    scintillation_nuisances: bool = True
    time_offset_us: float = Field(0.0, ge=-0.5, le=0.5)
    n_nodes: int = Field(DEFAULT_NODES, ge=50)


def _detector_2021(opts: Detector2021Options) -> DetectorSetup:
    return csi_2021_full_detector(**opts.model_dump())


class Dataset2021Options(ComponentOptions):
    """``[dataset] kind = "coherent_csi_2021_pe_time"``."""

    pe_edges: list[float] = Field(default_factory=lambda: list(_DEFAULT_PE_EDGES_2021))
    t_edges_us: list[float] = Field(default_factory=lambda: list(_DEFAULT_T_EDGES_2021))


def _dataset_2021(opts: Dataset2021Options) -> Dataset:
    return csi_2021_dataset(**opts.model_dump())


def _ss_2021(opts: SteadyState2017Options, *, dataset: Dataset) -> TemplateBackground:
    return csi_2021_steady_state(dataset, **opts.model_dump())


class BrnNin2021Options(ComponentOptions):
    """``[[backgrounds]] kind = "coherent_csi_2021_brn"`` / ``"coherent_csi_2021_nin"``."""

    events: float | None = Field(None, gt=0)
    norm_uncertainty: float | None = Field(None, gt=0)
    name: str | None = None


def _brn_2021(opts: BrnNin2021Options, *, dataset: Dataset) -> TemplateBackground:
    return csi_2021_brn_nin(dataset, "brn", **opts.model_dump())


def _nin_2021(opts: BrnNin2021Options, *, dataset: Dataset) -> TemplateBackground:
    return csi_2021_brn_nin(dataset, "nin", **opts.model_dump())


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "dataset",
        "coherent_csi_2017_pe_time",
        Dataset2017Options,
        _dataset_2017,
        "COHERENT CsI 2017 beam coincidence counts, 2-PE x 0.5 us bins",
    ),
    Component(
        "background",
        "coherent_csi_2017_brn",
        Brn2017Options,
        _brn_2017,
        "COHERENT CsI 2017 prompt beam-related neutrons (25% prior)",
    ),
    Component(
        "dataset",
        "coherent_csi_2021_pe_time",
        Dataset2021Options,
        _dataset_2021,
        "COHERENT CsI 2021 beam-on coincidence events binned in PE x t_rec",
    ),
    Component(
        "background",
        "coherent_csi_2021_brn",
        BrnNin2021Options,
        _brn_2021,
        "COHERENT CsI 2021 beam-related neutrons (18.4 events +- 25%, third-party)",
    ),
    Component(
        "detector",
        "coherent_csi_2017_full",
        Detector2017Options,
        _detector_2017,
        "COHERENT CsI 2017 in PE x time with QF/acceptance shape nuisances",
    ),
    Component(
        "background",
        "coherent_csi_2017_steady_state",
        SteadyState2017Options,
        _ss_2017,
        "COHERENT CsI 2017 steady-state background from the beam-on anti-coincidence window",
    ),
    Component(
        "detector",
        "coherent_csi_2021_full",
        Detector2021Options,
        _detector_2021,
        "COHERENT CsI 2021 in PE x t_rec with efficiency/scintillation shape nuisances",
    ),
    Component(
        "background",
        "coherent_csi_2021_ss",
        SteadyState2017Options,
        _ss_2021,
        "COHERENT CsI 2021 steady-state background from the beam-on AC events",
    ),
    Component(
        "background",
        "coherent_csi_2021_nin",
        BrnNin2021Options,
        _nin_2021,
        "COHERENT CsI 2021 neutrino-induced neutrons (5.6 events +- 35%, third-party)",
    ),
)
