"""COHERENT CENNS-10 LAr 2020 (Analysis A, arXiv:2003.10630): the release's readers, defaults.

Data release arXiv:2006.12659 (Zenodo 10.5281/zenodo.3903810), 12 E x 8 F90 x 10 t bins; the
response is a :class:`~cevns.detectors.psd.PSDDetector` with the release's numbers. The
conventions, validation and fits: ``docs/experiments/coherent_lar_2020.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from cevns.config.components import Component
from cevns.core._validation import unknown_name
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors.base import DEFAULT_NODES
from cevns.detectors.psd import PSDDetector, histogram_from_rows, psd_given_energy
from cevns.detectors.quenching import LinearQuenching
from cevns.detectors.resolution import RelativeGaussian
from cevns.likelihood.background import TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import DetectorSetup, NormaliseToEvents
from cevns.likelihood.systematics import ShapeSystematic
from cevns.physics.form_factors import Helm
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Target
from cevns.sources.spallation import PiDARTimeFractions, PionDARFlux, PulsedBeamTiming

__all__ = [
    "ENERGY_EDGES_KEVEE",
    "F90_EDGES",
    "RELEASE_FILES",
    "TIME_EDGES_US",
    "coherent_lar_2020_detector",
    "coherent_lar_2020_flux",
    "coherent_lar_2020_parameters",
    "lar_2020_background",
    "lar_2020_dataset",
    "release_pdf",
]


def __dir__() -> list[str]:
    return __all__


#: Reconstructed-energy bin edges of the release [keVee] (12 bins).
ENERGY_EDGES_KEVEE: NDArray[np.float64] = np.linspace(0.0, 120.0, 13)
#: F90 bin edges of the release (8 bins).
F90_EDGES: NDArray[np.float64] = np.round(np.linspace(0.5, 0.9, 9), 6)
#: Time bin edges of the release [us] (10 bins; centres 0.15 ... 4.65).
TIME_EDGES_US: NDArray[np.float64] = np.round(np.linspace(-0.1, 4.9, 11), 6)
#: Nominal live time [days] shared by flux and detector: the exposure is fixed by the POT
#: and the mass (the release gives no live time; it cancels if both use this value).
_LIVE_DAYS: float = 1.0
_DIR = "coherent_lar_2020/"
#: Release component name -> registered file (:mod:`cevns.data.store`).
RELEASE_FILES: dict[str, str] = {
    "cevns": _DIR + "cevnspdf.txt",
    "cevns+1sigF90": _DIR + "cevnspdf+1sigF90.txt",
    "cevns-1sigF90": _DIR + "cevnspdf-1sigF90.txt",
    "cevns_timing_mean_syst": _DIR + "cevnspdfCEvNSTimingMeanSyst.txt",
    "prompt_brn": _DIR + "brnpdf.txt",
    "prompt_brn+1sigEnergy": _DIR + "brnpdf+1sigEnergy.txt",
    "prompt_brn-1sigEnergy": _DIR + "brnpdf-1sigEnergy.txt",
    "prompt_brn+1sigTimingMean": _DIR + "brnpdf+1sigBRNTimingMean.txt",
    "prompt_brn-1sigTimingMean": _DIR + "brnpdf-1sigBRNTimingMean.txt",
    "prompt_brn_timing_width_syst": _DIR + "brnpdfBRNTimingWidthSyst.txt",
    "delayed_brn": _DIR + "delbrnpdf.txt",
    "steady_state": _DIR + "bkgpdf.txt",
    "data": _DIR + "datanobkgsub.txt",
}
_EFFICIENCY_FILE = _DIR + "CENNS10AnlAEfficiency.txt"
_FINE_STEP_KEVEE = 0.5  # grid of the efficiency table
_F90_PDFS = {"nominal": "cevns", "+1sigF90": "cevns+1sigF90", "-1sigF90": "cevns-1sigF90"}
_BACKGROUNDS = ("prompt_brn", "delayed_brn", "steady_state")
_BRN_VARIATIONS = {  # prompt-BRN shape nuisance -> (+1 sigma, -1 sigma) release files
    "energy": ("prompt_brn+1sigEnergy", "prompt_brn-1sigEnergy"),
    "timing_mean": ("prompt_brn+1sigTimingMean", "prompt_brn-1sigTimingMean"),
    "timing_width": ("prompt_brn_timing_width_syst", None),
}
Positive = Annotated[float, Field(gt=0)]


def coherent_lar_2020_parameters() -> dict[str, float]:
    """Central values of ``LArParametersAnlA.yaml`` (via :mod:`cevns.data.store`).

    Returns
    -------
    dict
        ``protons_on_target``, ``baseline_m``, ``mass_kg``, ``qf_a``, ``qf_b`` (1/keVnr),
        ``resolution_a``, ``nu_per_flavour_per_proton``, ``pulse_{mean,sigma}_us``,
        ``<component>_{prediction,best_fit}[_sigma]``.
    """
    raw = data.load_yaml(_DIR + "LArParametersAnlA.yaml")
    qf = {q["name"]: float(q["value"]) for q in raw["larQF"]["parameters"]}
    trace = {q["name"]: float(q["value"]) for q in raw["snsPOTTraceTiming"]["parameters"]}
    out = {
        "protons_on_target": float(f"{raw['beamExposure']['value']}e22"),  # E22 POT
        "baseline_m": float(raw["distanceToTarget"]["value"]),
        "mass_kg": float(raw["fiducialMass"]["value"]),
        **{f"qf_{k}": v for k, v in qf.items()},  # a, b [1/keVnr]
        "nu_per_flavour_per_proton": float(raw["neutrinosPerProton"]["value"]),
        "resolution_a": float(raw["energyResolution"]["parameters"][0]["value"]),
        "pulse_mean_us": trace["a"] * 1e-3,  # ns -> us
        "pulse_sigma_us": trace["b"] * 1e-3,
    }
    names = ("cevns", "prompt_brn", "delayed_brn", "steady_state")
    yaml_keys = ("cevns", "promptBeamRelatedNeutron", "delayedBeamRelatedNeutron", "ssBackground")
    for yaml_key, name in zip(yaml_keys, names, strict=True):
        for kind, label in (("Prediction", "prediction"), ("Bestfit", "best_fit")):
            entry = raw[f"{yaml_key}{kind}Normalization"]
            sigma = entry.get("uncertainty", entry.get("uncertainty_stat"))
            out[f"{name}_{label}"], out[f"{name}_{label}_sigma"] = (
                float(entry["value"]),
                float(sigma),
            )
    return out


def release_pdf(component: str) -> NDArray[np.float64]:
    """A 3D histogram of the release, shape (12 energy, 8 F90, 10 time).

    Parameters
    ----------
    component : str
        A key of :data:`RELEASE_FILES` (``"cevns"``, ``"prompt_brn"``, ``"delayed_brn"``,
        ``"steady_state"``, ``"data"`` or a systematic variant).

    Returns
    -------
    ndarray of shape (12, 8, 10)
        Counts per bin.

    Raises
    ------
    UnknownNameError
        Unknown component.
    InvalidParameterError
        The file is not 960 rows on the release grid (energy, F90, time; time fastest).
    """
    if component not in RELEASE_FILES:
        raise unknown_name("LAr 2020 release component", component, RELEASE_FILES)
    edges = (ENERGY_EDGES_KEVEE, F90_EDGES, TIME_EDGES_US)
    name = RELEASE_FILES[component]
    return histogram_from_rows(data.load_table(name), edges, name=name)


def coherent_lar_2020_flux(
    *, protons_on_target: Positive | None = None, live_time_days: Positive = _LIVE_DAYS
) -> PionDARFlux:
    """SNS pi-DAR flux of COHERENT LAr 2020 (13.8e22 POT, 27.5 m, 0.09 nu/flavour/POT).

    Parameters
    ----------
    protons_on_target : float, optional
        Default the release's 13.8e22.
    live_time_days : float
        Live time the flux is averaged over (the detector's: 1 day).

    Returns
    -------
    PionDARFlux
        The flux at the detector (fluence 1.3069e14 per flavour per cm^2).
    """
    p = coherent_lar_2020_parameters()
    pot = p["protons_on_target"] if protons_on_target is None else protons_on_target
    return PionDARFlux(  # it checks the values
        protons_on_target=pot,
        live_time_days=live_time_days,
        baseline_m=p["baseline_m"],
        nu_per_flavour_per_proton=p["nu_per_flavour_per_proton"],
    )


def _time_fractions(timing: str, trace: dict[str, float | None]) -> PiDARTimeFractions:
    """Prompt/delayed fractions in the release time bins (see ``coherent_lar_2020_detector``)."""
    if timing not in ("pulsed", "release"):
        raise unknown_name("timing", str(timing), ("pulsed", "release"))
    beam = {k: coherent_lar_2020_parameters()[k] if v is None else v for k, v in trace.items()}
    pulsed = PiDARTimeFractions.from_model(PulsedBeamTiming(**beam), TIME_EDGES_US)
    if timing == "pulsed":
        return pulsed
    shape = release_pdf("cevns").sum(axis=(0, 1)) / release_pdf("cevns").sum()
    return PiDARTimeFractions(
        TIME_EDGES_US, shape * pulsed.prompt.sum(), shape * pulsed.delayed.sum()
    )


def coherent_lar_2020_detector(
    *,
    mass_kg: Positive | None = None,
    live_days: Positive = _LIVE_DAYS,
    qf_a: Positive | None = None,
    qf_b: Annotated[float, Field(ge=0)] | None = None,
    resolution_a: Positive | None = None,
    resolution_width_of: Literal["true", "reconstructed"] = "true",
    efficiency: bool = True,
    efficiency_above_table: Literal["zero", "last"] = "zero",
    efficiency_of: Literal["reconstructed", "true_energy"] = "reconstructed",
    f90: Literal["nominal", "+1sigF90", "-1sigF90"] = "nominal",
    timing: Literal["pulsed", "release"] = "pulsed",
    pulse_mean_us: float | None = None,
    pulse_sigma_us: Positive | None = None,
    normalise_sm_to: Positive | None = None,
    n_nodes: Annotated[int, Field(ge=50)] = DEFAULT_NODES,
) -> DetectorSetup:
    """COHERENT CENNS-10 LAr 2020 (Analysis A): keVee x F90 response, pi-DAR timing.

    Parameters
    ----------
    mass_kg, live_days, qf_a, qf_b, resolution_a : float, optional
        Fiducial mass [kg], live time [days] (the flux's), QF = a + b T/keVnr and sigma/E
        = a/sqrt(E/keVee); default the release's 24.4, 1, 0.246, 0.00078 and 0.58.
    resolution_width_of : {"true", "reconstructed"}
        The energy of the width: the true one (default) or the reconstructed one, as the
        release yaml words it (:class:`~cevns.detectors.resolution.RelativeGaussian`).
    efficiency, efficiency_above_table, efficiency_of : bool, {"zero", "last"}, str
        Apply the release efficiency; above its last bin (39.75 keVee) 0 (default) or
        the last value (0.963); as a function of the reconstructed (default) or the true
        keVee (the release does not say which).
    f90 : {"nominal", "+1sigF90", "-1sigF90"}
        Which release CEvNS PDF gives p(F90 | E).
    timing, pulse_mean_us, pulse_sigma_us : {"pulsed", "release"}, float, float
        SNS trace (Gaussian, default 0.44 and 0.15 us) convolved with the pion (prompt) and
        muon lifetimes (delayed; 13% after 4.9 us), or ``"release"``: the release CEvNS
        time shape scaled to each component's in-window fraction of ``"pulsed"``.
    normalise_sm_to : float, optional
        Scale the exposure so that the SM (radiative, Helm) gives this many events.
    n_nodes : int
        Recoil-energy nodes of the response.

    Returns
    -------
    DetectorSetup
        The PSDDetector (96 bins, energy slowest), its time fractions and normalisation.
    """
    given = {"mass_kg": mass_kg, "qf_a": qf_a, "qf_b": qf_b, "resolution_a": resolution_a}
    v = {k: coherent_lar_2020_parameters()[k] if x is None else x for k, x in given.items()}
    if efficiency not in (True, False):  # a file is validated already, Python callers not
        msg = f"efficiency must be True or False, got {efficiency!r}"
        raise InvalidParameterError(msg)
    if f90 not in _F90_PDFS:
        raise unknown_name("f90 variant", str(f90), _F90_PDFS)
    eff = data.load_table(_EFFICIENCY_FILE)  # keVee centre, keVnr centre, efficiency
    edges = np.arange(0.0, 40.0 + _FINE_STEP_KEVEE / 2, _FINE_STEP_KEVEE)  # checks column 0
    histogram_from_rows(eff[:, [0, 2]], [edges], name=_EFFICIENCY_FILE)
    det = PSDDetector(
        "coherent_lar_2020",
        Target.by_name("argon"),
        mass_kg=v["mass_kg"],
        live_days=live_days,
        quenching=LinearQuenching(a=v["qf_a"], b=v["qf_b"]),  # they check the values
        resolution=RelativeGaussian(v["resolution_a"], width_of=resolution_width_of),
        energy_edges_kevee=ENERGY_EDGES_KEVEE,
        psd_edges=F90_EDGES,
        psd_given_energy=psd_given_energy(release_pdf(_F90_PDFS[f90]).sum(axis=2)),
        efficiency_step_kevee=_FINE_STEP_KEVEE,
        efficiency=eff[:, 2] if efficiency else None,
        efficiency_above_table=efficiency_above_table,
        efficiency_of=efficiency_of,
        time_edges_us=TIME_EDGES_US,
        min_recoil_kev=0.1,  # 0.025 keVee: < 1e-20 chance to reach the efficiency (0.5 keVee)
        n_nodes=n_nodes,
    )
    trace = {"pulse_mean_us": pulse_mean_us, "pulse_sigma_us": pulse_sigma_us}
    fractions = _time_fractions(timing, trace)
    norm = None
    if normalise_sm_to is not None:
        norm = NormaliseToEvents(normalise_sm_to, NSIModel.sm(), Helm())
    return DetectorSetup(det, timing=fractions.fractions, normalisation=norm)


def lar_2020_dataset() -> Dataset:
    """COHERENT LAr 2020: the 3752 observed events in 12 E x 8 F90 x 10 t bins (no subtraction).

    Returns
    -------
    Dataset
        Poisson counts of shape (12, 8, 10) on ``e_ee_kev``, ``f90``, ``t_us``.
    """
    counts = release_pdf("data")
    if not np.allclose(counts, np.round(counts)):
        msg = f"{RELEASE_FILES['data']}: observed counts must be integers"
        raise InvalidParameterError(msg)
    return Dataset(
        "coherent_lar_2020",
        counts,
        (ENERGY_EDGES_KEVEE.copy(), F90_EDGES.copy(), TIME_EDGES_US.copy()),
        axis_names=("e_ee_kev", "f90", "t_us"),
        axis_units=("keVee", "", "us"),
        axis_labels=("E_ee [keVee]", "F90", "t [us]"),
        unit="events",
        meta={"source": "arXiv:2006.12659 (datanobkgsub.txt)"},
    )


def lar_2020_background(
    component: Literal["prompt_brn", "delayed_brn", "steady_state"],
    *,
    prior: Literal["prediction", "none"] = "prediction",
    shape_systematics: bool = False,
    dataset: Dataset | None = None,
) -> TemplateBackground:
    """A COHERENT LAr 2020 release background PDF (prompt BRN, delayed BRN, steady state).

    ``mu = norm * max(T0 + sum_k delta_k(theta_k), 0)``, shape variants piecewise linear
    (the missing -1 sigma timing-width variant is the mirror ``2 T0 - T+``).

    Parameters
    ----------
    component : {"prompt_brn", "delayed_brn", "steady_state"}
        The release PDF.
    prior : {"prediction", "none"}
        Gaussian prior of the release prediction (497 +- 160, 33 +- 33, 3154 +- 25
        events, over the template sum), or free.
    shape_systematics : bool
        Prompt BRN only: nuisances ``prompt_brn_{energy,timing_mean,timing_width}``.
    dataset : Dataset, optional
        The experiment's dataset (passed by the loader); must have the release shape.

    Returns
    -------
    TemplateBackground
        The template with its normalisation prior and shape nuisances.
    """
    if component not in _BACKGROUNDS:
        raise unknown_name("LAr 2020 background", str(component), _BACKGROUNDS)
    if prior not in ("prediction", "none"):
        raise unknown_name("prior", str(prior), ("prediction", "none"))
    if shape_systematics and component != "prompt_brn":
        msg = f"shape_systematics: released for the prompt BRN only, not {component!r}"
        raise InvalidParameterError(msg)
    t0 = release_pdf(component)
    if dataset is not None and dataset.shape != t0.shape:
        msg = f"the dataset has shape {dataset.shape}, the release templates {t0.shape}"
        raise InvalidParameterError(msg)
    p, total = coherent_lar_2020_parameters(), float(t0.sum())
    mean, sigma = (p[f"{component}_prediction{s}"] / total for s in ("", "_sigma"))
    norm_prior = (mean, sigma) if prior == "prediction" else None
    syst = [
        ShapeSystematic.updown(
            f"{component}_{k}", release_pdf(up), None if down is None else release_pdf(down)
        )
        for k, (up, down) in _BRN_VARIATIONS.items()
        if shape_systematics
    ]
    return TemplateBackground(component, t0, norm_prior=norm_prior, systematics=syst)


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component.from_function("detector", "coherent_lar_2020", coherent_lar_2020_detector),
    Component.from_function("background", "coherent_lar_2020", lar_2020_background),
    Component.from_function("flux", "coherent_lar_2020", coherent_lar_2020_flux),
    Component.from_function("dataset", "coherent_lar_2020", lar_2020_dataset),
)
