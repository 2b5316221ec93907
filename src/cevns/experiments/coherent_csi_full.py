"""COHERENT CsI[Na] 2017 and 2021 in photoelectrons x arrival time: release readers, defaults.

Kinds: ``coherent_csi_2017_full`` / ``coherent_csi_2021_full`` detectors (shape nuisances
``qf``, ``acc_a``, ``acc_k``, ``acc_x0``; ``eff``, ``scint0``, ``scint1``), the
``coherent_csi_2017_pe_time`` / ``coherent_csi_2021_pe_time`` datasets, the steady-state
(anti-coincidence), BRN and NIN backgrounds. The generic parts are
:mod:`cevns.detectors.pe_time`, :func:`cevns.config.detector_kinds.updown_setup` and
:func:`cevns.config.background_kinds.anticoincidence_background`. Release contents, choices
and limitations (third-party 2021 inputs, missing arrival times):
``docs/experiments/coherent_csi.md``; published numbers: :mod:`cevns.reproduce.registry`.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from cevns.config.background_kinds import anticoincidence_background
from cevns.config.components import Component
from cevns.config.detector_kinds import updown_setup
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors import pe_time
from cevns.detectors.base import DEFAULT_NODES
from cevns.detectors.efficiency import SigmoidEfficiency2021
from cevns.detectors.quenching import PolynomialQuenching
from cevns.experiments import coherent_csi_2017 as c17
from cevns.experiments.coherent_csi_2017 import csi_2017_histograms
from cevns.likelihood.background import TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import DetectorSetup
from cevns.physics.nuclei import Target
from cevns.sources.spallation import PiDARTimeFractions, PiDARTiming, PulsedBeamTiming

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
    "csi_2021_brn_nin",
    "csi_2021_brn_nin_template",
    "csi_2021_dataset",
    "csi_2021_events",
    "csi_2021_full_detector",
]


def __dir__() -> list[str]:
    return __all__


#: CsI 2021 mass [kg] (third-party code using the 2021 release).
CSI_2021_MASS_KG: float = 14.6
#: CsI 2021 protons on target, 13.99 GWh (third-party code using the 2021 release).
CSI_2021_POT: float = 3.198e23
_Nodes = Annotated[int, Field(ge=50)]
_Positive = Annotated[float, Field(gt=0)]


# =========================================================================== 2017
def csi_2017_dataset(
    pe_range: tuple[float, float] = (6.0, 30.0),
    t_range_us: tuple[float, float] = (0.0, 12.0),
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
    ps = pe_time.grid_slice("pe_range", pe_range, c17._PE_STEP, 50.0)
    ts = pe_time.grid_slice("t_range_us", t_range_us, c17._T_STEP, 12.0)
    c, ac = csi_2017_histograms(beam)
    pe_edges = np.arange(ps.start, ps.stop + 1) * c17._PE_STEP
    t_edges = np.arange(ts.start, ts.stop + 1) * c17._T_STEP
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
    ps = pe_time.grid_slice("dataset PE edges", (pe[0], pe[-1]), c17._PE_STEP, 50.0)
    ts = pe_time.grid_slice("dataset time edges", (t[0], t[-1]), c17._T_STEP, 12.0)
    if pe.size - 1 != ps.stop - ps.start or t.size - 1 != ts.stop - ts.start:
        msg = "the dataset must use the release's 2-PE x 0.5 us bins"
        raise InvalidParameterError(msg)
    return ps, ts


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
    p = c17.coherent_csi_2017_parameters()
    pdf = data.load_table("coherent_csi_2017/promptPDF.txt")
    if pdf.shape != (50, 2):
        msg = f"coherent_csi_2017/promptPDF.txt: expected 50 rows x 2 columns, got {pdf.shape}"
        raise InvalidParameterError(msg)
    acc = c17.csi_2017_acceptance(at="integer")  # the shared definition, shifted below
    per_pe = pdf[:, 1] * p["beam_energy_gwh"] * acc(pdf[:, 0] - 0.5 + acceptance_shift)
    return pe_time.factorised_template(
        np.column_stack([pdf[:, 0], per_pe]),  # 1-PE bins [n, n + 1) summed into 2-PE bins
        data.load_table("coherent_csi_2017/arrivalTimePDF_promptNeutrons.txt"),
        np.arange(pe_slice.start, pe_slice.stop + 1) * c17._PE_STEP,
        np.arange(t_slice.start, t_slice.stop + 1) * c17._T_STEP,
    )


def csi_2017_brn(
    dataset: Dataset,
    *,
    norm_uncertainty: _Positive = 0.25,
    acceptance_at: Literal["bin_centre", "integer"] = "bin_centre",
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
    acceptance_at : {"bin_centre", "integer"}
        Acceptance at the 1-PE bin centres as the release prescribes, or at the integer.
    name : str, optional
        Name of the background component (prefix of its ``_norm`` parameter; default ``"brn"``).

    Returns
    -------
    TemplateBackground
        The template with a free normalisation in [0, 5] and its Gaussian prior.
    """
    ps, ts = _dataset_slices(dataset)
    tpl = csi_2017_brn_template(
        ps, ts, acceptance_shift=0.5 if acceptance_at == "bin_centre" else 0.0
    )
    return TemplateBackground(name, tpl, norm_uncertainty=norm_uncertainty, norm_limits=(0.0, 5.0))


def csi_2017_full_detector(
    pe_range: tuple[float, float] = (6.0, 30.0),
    t_range_us: tuple[float, float] = (0.0, 12.0),
    *,
    mass_kg: _Positive = c17.CSI_2017_MASS_KG,
    live_days: _Positive = c17.CSI_2017_LIVE_DAYS,
    qf_nuisance: bool = True,
    acceptance_nuisances: bool = True,
    acceptance_at: Literal["bin_centre", "integer"] = "bin_centre",
    n_nodes: _Nodes = DEFAULT_NODES,
) -> DetectorSetup:
    """The 2017 CsI[Na] response in 2-PE bins with its +-1 sigma variants and timing.

    :class:`~cevns.experiments.coherent_csi_2017.CsI2017Detector` with the release's QF and
    acceptance uncertainties as shape nuisances and the release's arrival-time PDFs (what
    they are: ``docs/experiments/coherent_csi.md``).

    Parameters
    ----------
    pe_range, t_range_us : (lo, hi)
        Analysis window on the release's 2-PE x 0.5 us grid.
    mass_kg, live_days : float
        14.57 kg, 308.1 days (the live time must equal the flux's).
    qf_nuisance, acceptance_nuisances : bool
        Include the shape nuisances ``qf`` and ``acc_a``, ``acc_k``, ``acc_x0``.
    acceptance_at : {"bin_centre", "integer"}
        The acceptance of ``n`` PE is evaluated at ``n + 0.5`` (release) or ``n``.
    n_nodes : int
        Recoil-energy nodes of the response.

    Returns
    -------
    DetectorSetup
        The nominal detector, its time fractions and the shape nuisances.
    """
    ps = pe_time.grid_slice("pe_range", pe_range, c17._PE_STEP, 50.0)
    ts = pe_time.grid_slice("t_range_us", t_range_us, c17._T_STEP, 12.0)
    timing = PiDARTiming(tuple(np.arange(ts.start, ts.stop + 1) * c17._T_STEP), "coherent_pdf")
    pe_edges = tuple(np.arange(ps.start, ps.stop + 1) * c17._PE_STEP)
    p = c17.coherent_csi_2017_parameters()
    qf0, dqf = p["qf"], p["qf_sigma"]
    nominal = {"qf": qf0} | {k: p[f"acceptance_{k.replace('_', '')}"] for k in ("a", "k", "x_0")}

    def make(tag: str, qf: float, a: float, k: float, x_0: float) -> c17.CsI2017Detector:
        acc = c17.csi_2017_acceptance(a, k, x_0, at=acceptance_at)
        return c17.CsI2017Detector(
            bin_edges=pe_edges, mass_kg=mass_kg, live_days=live_days, qf=qf, acceptance=acc,
            timing=timing, n_nodes=n_nodes, name=f"coherent_csi_2017_full{tag}",
        )  # fmt: skip

    shifts = {"qf": ({"qf": qf0 + dqf}, {"qf": qf0 - dqf}, f"CsI[Na] QF {qf0} +- {dqf}")}
    shifts = shifts if qf_nuisance else {}
    for key in ("a", "k", "x_0") if acceptance_nuisances else ():
        up, lo, v = (p[f"acceptance_{key.replace('_', '')}{s}"] for s in ("_hi", "_lo", ""))
        desc = f"acceptance {key} {v} +{up}/-{lo}"
        shifts[f"acc_{key.replace('_', '')}"] = ({key: v + up}, {key: v - lo}, desc)
    return updown_setup(make, nominal, shifts, timing=timing.time_fractions().fractions)


# =========================================================================== 2021
# Release inputs and THIRD-PARTY ones: docs/experiments/coherent_csi.md.
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


#: Time efficiency of 2021 (third-party): 1 below 0.52 us, then exp(-0.0494 (t - 0.52)).
csi_2021_time_efficiency = pe_time.DelayedExponentialEfficiency(onset_us=0.52, rate_per_us=0.0494)


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


def csi_2021_dataset(
    pe_edges: tuple[float, ...] = _DEFAULT_PE_EDGES_2021,
    t_edges_us: tuple[float, ...] = _DEFAULT_T_EDGES_2021,
) -> Dataset:
    """Beam-on coincidence events of the 2021 release binned (:meth:`Dataset.from_events`).

    Default: 8-60 PE in 4-PE bins x 0-6 us in 0.5 us bins (a bin is ``[lo, hi)``); the
    anti-coincidence events of the same bins are in ``meta["anticoincidence"]``.

    Parameters
    ----------
    pe_edges : sequence of float
        PE bin edges within [0, 250].
    t_edges_us : sequence of float
        t_rec bin edges [us] within [0, 6] (the CEvNS window of the release).

    Returns
    -------
    Dataset
        The PE x t_rec counts.

    Examples
    --------
    >>> d = csi_2021_dataset()
    >>> d.shape, float(d.counts.sum()), d.meta["entries"]
    ((13, 12), 1567.0, 5142)
    """
    pe, t = (
        pe_time.edges_within("pe_edges", pe_edges, 0.0, 250.0, "PE"),
        pe_time.edges_within("t_edges_us", t_edges_us, 0.0, 6.0, "us"),
    )
    c, ac = csi_2021_events("c"), csi_2021_events("ac")
    return Dataset.from_events(
        c,
        (pe, t),
        name="coherent_csi_2021_pe_time",
        axis_labels=("PE", "t_rec [us]"),
        unit="counts (beam-on coincidence)",
        meta={
            "anticoincidence": Dataset.from_events(ac, (pe, t)).counts,
            "total_anticoincidence_events": int(ac.shape[0]),
            "source": "arXiv:2110.07730 v2 ancillary files",
        },
    )


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
    t_tab[:, 1] *= csi_2021_time_efficiency(t_tab[:, 0])
    return pe_time.factorised_template(
        pe_tab, t_tab, pe_edges, t_edges_us, events=n, region=((0.0, 60.0), (0.0, 6.0))
    )


def csi_2021_brn_nin(
    dataset: Dataset,
    component: Literal["brn", "nin"] = "brn",
    *,
    events: _Positive | None = None,
    norm_uncertainty: _Positive | None = None,
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

    Returns
    -------
    TemplateBackground
        The template with a free normalisation in [0, 5] and its Gaussian prior.
    """
    if dataset.ndim != 2:
        msg = f"the 2021 {component} background needs a PE x time dataset, got {dataset.shape}"
        raise InvalidParameterError(msg)
    tpl = csi_2021_brn_nin_template(component, *dataset.edges, events=events)
    sigma = CSI_2021_BRN_NIN[component][1] if norm_uncertainty is None else norm_uncertainty
    return TemplateBackground(
        name or component, tpl, norm_uncertainty=sigma, norm_limits=(0.0, 5.0)
    )


def csi_2021_full_detector(
    pe_edges: tuple[float, ...] = _DEFAULT_PE_EDGES_2021,
    t_edges_us: tuple[float, ...] = _DEFAULT_T_EDGES_2021,
    *,
    mass_kg: _Positive = CSI_2021_MASS_KG,
    live_days: _Positive = 1.0,
    efficiency_nuisance: bool = True,
    scintillation_nuisances: bool = True,
    time_offset_us: Annotated[float, Field(ge=-0.5, le=0.5)] = 0.0,
    n_nodes: _Nodes = DEFAULT_NODES,
) -> DetectorSetup:
    """The 2021 CsI[Na] response in PE with +-1 sigma variants and the time distribution.

    :class:`~cevns.detectors.pe_time.TimedGammaPEDetector` with the release's scintillation
    response and efficiency (nuisances ``scint0``, ``scint1``, ``eff``) and the analytic
    pulsed beam times the time efficiency (inputs: ``docs/experiments/coherent_csi.md``).

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

    Returns
    -------
    DetectorSetup
        The nominal detector, its time fractions and the shape nuisances.
    """
    pe, t = (
        pe_time.edges_within("pe_edges", pe_edges, 0.0, 250.0, "PE"),
        pe_time.edges_within("t_edges_us", t_edges_us, 0.0, 6.0, "us"),
    )
    beam = PulsedBeamTiming.coherent_csi_2017()
    beam = replace(beam, pulse_mean_us=beam.pulse_mean_us + time_offset_us)
    eff_rows = [tuple(r) for r in np.atleast_2d(data.load_table(_FILES_2021["eff"]))]
    scint_rows = [tuple(r) for r in np.atleast_2d(data.load_table(_FILES_2021["scint"]))]
    if len(eff_rows) != 3 or len(scint_rows) != 5:
        msg = (
            "coherent_csi_2021 coefficient files: expected 3 efficiency and 5 scintillation "
            f"rows, got {len(eff_rows)} and {len(scint_rows)}"
        )
        raise InvalidParameterError(msg)

    def make(
        tag: str, scint: tuple[float, ...], eff: tuple[float, ...]
    ) -> pe_time.TimedGammaPEDetector:
        return pe_time.TimedGammaPEDetector(
            f"coherent_csi_2021_full{tag}", Target.by_name("csi"),
            quenching=PolynomialQuenching(scint), efficiency=SigmoidEfficiency2021(*eff),
            resolution=CSI_2021_RESOLUTION, mass_kg=mass_kg, live_days=live_days,
            bin_edges=pe, n_nodes=n_nodes, time_edges_us=t,
        )  # fmt: skip

    shifts = {}
    if efficiency_nuisance:
        desc = "energy efficiency, effCoefficients.txt rows 2 (+1 sigma) and 3 (-1 sigma)"
        shifts["eff"] = ({"eff": eff_rows[1]}, {"eff": eff_rows[2]}, desc)
    for j in (0, 1) if scintillation_nuisances else ():
        up, down = {"scint": scint_rows[1 + 2 * j]}, {"scint": scint_rows[2 + 2 * j]}
        shifts[f"scint{j}"] = (
            up,
            down,
            f"scintillation response, systematic model {j} (+-1 sigma)",
        )
    fractions = PiDARTimeFractions.from_model(beam, t, efficiency=csi_2021_time_efficiency)
    nominal = {"scint": scint_rows[0], "eff": eff_rows[0]}
    return updown_setup(make, nominal, shifts, timing=fractions.fractions)


# =========================================================================== components
_BRN = Component.from_function(
    "background",
    "coherent_csi_2021_brn",
    csi_2021_brn_nin,
    "CsI 2021 beam-related neutrons (18.4 events +- 25%, third-party)",
    exclude=("component",),
)
_AC = anticoincidence_background  # the generic kind "anticoincidence" under the release names
#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    *(
        Component.from_function(*kind)
        for kind in (
            ("dataset", "coherent_csi_2017_pe_time", csi_2017_dataset, "CsI 2017 PE x t counts"),
            ("background", "coherent_csi_2017_brn", csi_2017_brn, "CsI 2017 prompt neutrons"),
            ("background", "coherent_csi_2017_steady_state", _AC, "CsI 2017 AC window"),
            ("detector", "coherent_csi_2017_full", csi_2017_full_detector, "CsI 2017 PE x t"),
            ("dataset", "coherent_csi_2021_pe_time", csi_2021_dataset, "CsI 2021 PE x t counts"),
            ("background", "coherent_csi_2021_ss", _AC, "CsI 2021 AC events"),
            ("detector", "coherent_csi_2021_full", csi_2021_full_detector, "CsI 2021 PE x t"),
        )
    ),
    _BRN,
    replace(
        _BRN,
        kind="coherent_csi_2021_nin",
        builder=functools.partial(_BRN.builder, component="nin"),
        description="CsI 2021 neutrino-induced neutrons (5.6 events +- 35%, third-party)",
    ),
)
