"""XENONnT solar 8B CEvNS from the 2026 release: the measurement, NSI and light mediators.

Analyses: arXiv:2408.02877 (PRL 133, 191002; SR0+SR1, 3.51 t yr) and arXiv:2604.06002
(SR0+SR1+SR2). The likelihood is :mod:`cevns.experiments.xenonnt_8b`: one extended binned
Poisson likelihood over the runs' 4-D bins with the nuisance structure and priors of the
collaboration's statistical model (``xenonnt_8b_2024``, ``xenonnt_8b_2026``).

Quantities
----------
* ``sm_8b_events.<run>``, ``sm_hep_events.<run>``, ``background_events.<run>``,
  ``observed_events.<run>``: the expectation per science run (B16-GS98, nominal
  nuisances) and the data;
* ``flux_2024`` (``{"best", "lo", "hi"}`` [1/(cm^2 s)]): the 8B flux from SR0+SR1, best
  fit and 68.27 % interval of the profile scan of the free normalisation (Delta(-2 ln L)
  = 1); ``significance_2024``: ``sqrt(Delta(-2 ln L))`` of the background-only fit;
  ``background_2024``, ``observed_2024``; the same for SR0+SR1+SR2 as ``flux_2026`` and
  ``significance_2026`` (the 2026 paper's own numbers were not found here: this work only);
* ``eps_universal_q_90cl``: flavour-universal heavy-mediator (contact) vector NSI with
  ``eps^u = eps^d`` for e, mu and tau (:func:`universal_nsi_family`), 90 % CL (1 dof) from
  SR0+SR1+SR2 with the 8B flux fixed by SNO's NC measurement (5.25e6, 3.81 %: the
  ``b8_rate_multiplier`` prior of the collaboration's model). With the flux free a
  universal NSI is a pure normalisation and nothing is constrained. Universal NSI leave
  the oscillations unchanged (a multiple of the identity in the Hamiltonian), so the
  solar flavour composition is the SM one;
* ``lma_dark_excluded_3sigma_above_mev.*`` and the plot
  ``xenonnt2026_light_mediator.png``: the light vector mediator coupled to nu_e and to u
  and d quarks equally (family ``nsi_ee_q_light``, the flagship's model), excluded region
  eps_ee^q(0) < 0 at 3 sigma (2 dof) from XENONnT alone, from the flagship's COHERENT
  CsI 2017 + LAr 2020 + Dresden-II likelihood and from all four (one likelihood, the
  sum of the costs), with the LMA-Dark band. The signal sees only the nu_e part of the
  flux at the Earth (P_ee of the B16 profile with SM oscillations: about a third for
  8B). The flux is that of the SM propagation for every eps: a choice. In the Sun the
  mediator acts at q = 0 with its full eps(0) (``SolarFlux(model=...)`` does that; the
  propagator only suppresses the scattering), which on the light side of theta12 changes
  P_ee much (0.32 -> 0.66 at 10 MeV for eps_ee^q(0) = -0.5); but LMA-Dark itself
  (eps_ee^q(0) = -0.5 with the dark-side mixing) keeps the SM composition up to the Y_n(r)
  breaking of the degeneracy, 2-4 % in the nu_e fraction at 6-14 MeV (tested in
  tests/test_xenonnt.py), so the SM flux is the one of the hypothesis the limits test;
* ``xenonnt_over_others.<mass>``: XENONnT's limit over that of the other three sources
  at 1, 10, 100 and 1000 MeV (what each source covers).

``cevns reproduce xenonnt2026 --out DIR`` writes ``DIR/xenonnt2026/summary.{json,md}`` and
the figures.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core.exceptions import InvalidParameterError
from cevns.experiments import xenonnt_8b
from cevns.physics.families import ModelFamily, Parameter
from cevns.physics.nsi import NSIModel, couplings_from_eps
from cevns.reproduce.flagship import (
    COSMOLOGY_BBN_MEV,
    exclusion_curve,
    lightest_excluded,
    lma_dark_band,
)
from cevns.reproduce.summary import Summary
from cevns.stats.scan import profile_scan

__all__ = [
    "FIT_TOLERANCES",
    "LABELS",
    "NSI_OVERRIDES",
    "SNO_REL_UNCERTAINTY",
    "expected_per_run",
    "fit_restarted",
    "rate_above_window",
    "run",
    "summary_numbers",
    "universal_nsi_family",
]


def __dir__() -> list[str]:
    return __all__


#: Relative uncertainty of the SNO NC 8B flux, the ``b8_rate_multiplier`` prior of the
#: collaboration's statistical model (SNO, PRC 88 (2013) 025501).
SNO_REL_UNCERTAINTY = 0.0381

#: Experiment-file overrides for the NSI fits: the 8B flux constrained by SNO, not free.
NSI_OVERRIDES: Mapping[str, Any] = {
    "flux.normalisation": "sno_nc",
    "signal.free_flux_norm": False,
    "signal.flux_norm_uncertainty": SNO_REL_UNCERTAINTY,
}

_CL3 = 0.9973
#: Days of a year of the exposure unit t yr.
DAYS_PER_YEAR = 365.25

#: curves of the light-mediator plot (keys of the quantities)
LABELS: Mapping[str, str] = {
    "xenonnt": "XENONnT SR0+SR1+SR2",
    "others": "combined: CsI 2017 + LAr + Dresden-II",
    "all": "combined: CsI 2017 + LAr + Dresden-II + XENONnT",
}


def universal_nsi_family() -> ModelFamily:
    """Flavour-universal contact vector NSI with quarks, ``eps^u = eps^d = eps_q``.

    ``eps_ee^q = eps_mumu^q = eps_tautau^q = eps_q`` (radiative SM couplings otherwise);
    the counts are quadratic in ``eps_q``.

    Returns
    -------
    ModelFamily
        One parameter ``eps_q`` (limits -1..1).
    """

    def build(v: Mapping[str, float]) -> NSIModel:
        e = float(v["eps_q"])
        return NSIModel.vector_nsi({"ee_q": e, "mumu_q": e, "tautau_q": e})

    return ModelFamily(
        "nsi_universal_q",
        (Parameter("eps_q", 0.0, (-1.0, 1.0), 0.02),),
        build,
        "flavour-universal vector NSI with u and d quarks equally (contact)",
    )


def _best(value: float, interval: tuple[float, float]) -> dict[str, float]:
    return {"best": value, "lo": interval[0], "hi": interval[1]}


def run(out_dir: str | Path, *, progress: bool = True, n_mass: int = 13) -> Summary:
    """Reproduce the XENONnT 8B numbers, the NSI interval and the light-mediator limits.

    Parameters
    ----------
    out_dir : path
        Files go to ``out_dir/xenonnt2026``.
    progress : bool
        Progress bars (exclusion curves).
    n_mass : int
        Mediator masses from 1 MeV to 1 GeV (log-spaced) of the exclusion curves.

    Returns
    -------
    Summary
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "xenonnt2026"
    s = Summary("xenonnt2026", "XENONnT solar 8B CEvNS (SR0+SR1 2024, SR0+SR1+SR2 2026)")

    nums = summary_numbers()
    for run_name, per in nums["expected"].items():
        s.add_result(f"sm_8b_events.{run_name}", per["8B"], "events", "B16-GS98, nominal yields")
        s.add_result(f"sm_hep_events.{run_name}", per["hep"], "events", "B16-GS98")
        s.add_result(
            f"background_events.{run_name}",
            per["ac"] + per["er"] + per["rg"],
            "events",
            f"AC {per['ac']:.2f}, ER {per['er']:.2f}, neutrons {per['rg']:.2f}",
        )
        s.add_result(f"observed_events.{run_name}", per["observed"], "events")
    for label in ("2024", "2026"):
        r = nums[label]
        flux = _best(r["flux_cm2_s"], r["flux_interval_cm2_s"])
        sig_note = f"{r['experiment']}; fits valid: {r['valid']}"
        flux_note = (
            f"flux_norm {r['flux_norm']:.3f} [{r['interval'][0]:.3f}, {r['interval'][1]:.3f}] "
            f"x B16-GS98 (5.46e6); SM expectation {r['sm_signal']:.2f} events"
        )
        if label == "2024":
            s.add("flux_2024", flux, flux_note)
            s.add("significance_2024", r["significance"], sig_note)
            s.add("background_2024", r["background"], "nominal (all nuisances at 0 / 1)")
            s.add("observed_2024", r["observed"])
        else:
            s.add_result("flux_2026", flux, "1/(cm^2 s)", flux_note)
            s.add_result("significance_2026", r["significance"], "sigma", sig_note)
            s.add_result("background_2026", r["background"], "events", "nominal")
            s.add_result("observed_2026", r["observed"], "events")

    # flavour-universal heavy-mediator NSI, eps^u = eps^d (SR0+SR1+SR2, flux from SNO)
    exp_nsi = xenonnt_8b.experiment(xenonnt_8b.RUNS, NSI_OVERRIDES)
    scan = profile_scan(exp_nsi.cost(universal_nsi_family()), {"eps_q": np.linspace(-0.1, 0.3, 81)})
    segs = scan.interval(0.90).to_list()
    s.add_result(
        "eps_universal_q_90cl",
        segs,
        "",
        "allowed at 90 % CL (1 dof), SR0+SR1+SR2, 8B flux SNO NC +- 3.81 %; the second "
        "segment is the sign-flipped weak charge (Q_W + 3 eps (Z + N) = -Q_W)",
    )

    # light vector mediator on nu_e: XENONnT alone and combined with the flagship sources
    masses = np.geomspace(1.0, 1000.0, n_mass)
    curves = _light_mediator_curves(exp_nsi, masses, progress)
    for key, edges in curves.items():
        s.add_result(
            f"lma_dark_excluded_3sigma_above_mev.{key}",
            lightest_excluded(masses, edges, -0.5),
            "MeV",
            f"{LABELS[key]}: lightest grid mass from which LMA-Dark (eps_ee^q = -0.5) is "
            "excluded at 3 sigma (2 dof) for every heavier mediator of the grid",
        )
    limit = {
        k: np.sqrt(np.abs(couplings_from_eps(np.nan_to_num(v), masses))) for k, v in curves.items()
    }
    for m in (1.0, 10.0, 100.0, 1000.0):
        i = int(np.argmin(np.abs(np.log(masses / m))))
        s.add_result(
            f"xenonnt_over_others.{masses[i]:.3g}_mev",
            float(limit["xenonnt"][i] / limit["others"][i]),
            "",
            "XENONnT's excluded sqrt|g_nu g_q| over that of CsI 2017 + LAr + Dresden-II "
            f"(> 1: weaker); XENONnT {limit['xenonnt'][i]:.3g}, others "
            f"{limit['others'][i]:.3g}, all four {limit['all'][i]:.3g}",
        )
    s.plots = _plot(out, curves, masses)
    s.notes.append(
        "Priors: statistical_model_base.yaml of github.com/XENONnT/light_wimp_data_release "
        "(the SR0+SR1 model: AC 9.04 % / 5.76 %, one ER rate 100 %, one neutron rate 58 %, "
        "t_ly and t_qy N(0, 1) shared by the runs, signal efficiency 25 %); SR2 AC 5.76 % "
        "is an assumption (not public). Signal: the release's mono-energetic efficiencies "
        "folded with the B16-GS98 8B + hep spectrum on natural xenon."
    )
    s.notes.append(
        "Why the 2024 flux differs (ours higher by ~20 %, same relative interval): the flux "
        "scales as 1 / (expected SM signal). Our SR0+SR1 SM expectation from the 2026 "
        "release's mono-energetic templates is 10.48 events; the collaboration's own 8B "
        "templates of the 2024 light-dark-matter release (same runs and binning) sum to "
        "11.92 events (SR0 4.25, SR1 7.67), 14 % more: rescaled by it our flux would be "
        "4.95e6. The rest is within the stated interval; the significance (2.74 vs 2.73 "
        "sigma) does not depend on the normalisation."
    )
    s.notes.append(
        "Regions (xenonnt_over_others.*): XENONnT's limit on sqrt|g_nu g_q| is flat below "
        "M_Z' ~ 20 MeV, the momentum transfer of 8B recoils on xenon (q ~ 10-40 MeV), and "
        "weaker than CsI 2017 + LAr + Dresden-II at every mass of the grid: Dresden-II "
        "(reactor, q of a few MeV) dominates the lightest mediators, COHERENT (pi-DAR, q ~ "
        "30-100 MeV) the heavier ones, and XENONnT sees nu_e only through P_ee ~ 1/3 of the "
        "8B flux with a 40 % measurement. The four-source combination is one likelihood "
        "(the sum of the costs). XENONnT is drawn here, not in the flagship: its curve alone "
        "takes about a minute on 13 masses (templates rebuilt per mass), more than the "
        "flagship's ~20 s margin."
    )
    s.runtime_s = time.perf_counter() - t0
    s.write(Path(out_dir))
    return s


def _light_mediator_curves(
    exp_xe: Any, masses: NDArray[np.float64], progress: bool
) -> dict[str, NDArray[np.float64]]:
    from cevns.config import load_experiment

    family = "nsi_ee_q_light"
    xe = exp_xe.cost(family)
    others = (
        load_experiment("coherent_csi_2017").cost(family)
        + load_experiment("coherent_lar_2020").cost(family)
        + load_experiment("dresden_ii").cost(family)
    )
    costs = {"xenonnt": xe, "others": others, "all": others + xe}
    items: Any = costs.items()
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="exclusion curves", total=len(costs))
    return {name: exclusion_curve(cost, masses)[0] for name, cost in items}


def _plot(
    out: Path, curves: dict[str, NDArray[np.float64]], masses: NDArray[np.float64]
) -> list[str]:
    from cevns.viz.plotting import _plt, plot_exclusion, save

    lo, hi = lma_dark_band(masses)
    fig = plot_exclusion(
        {
            LABELS[name]: (
                masses,
                np.where(
                    np.isfinite(e),
                    np.sqrt(np.abs(couplings_from_eps(np.nan_to_num(e), masses))),
                    np.nan,
                ),
            )
            for name, e in curves.items()
        },
        bands={
            "LMA-Dark: $\\epsilon_{ee}=-2$ in matter\n"
            "($\\epsilon^u=\\epsilon^d$, $Y_n$ from the Sun to the crust)": (masses, lo, hi)
        },
        cosmology_mev=COSMOLOGY_BBN_MEV,
        highlight=LABELS["all"],
        ylabel=r"$|g_{\nu_e} g_q|^{1/2}$  ($g_{\nu_e} g_q < 0$)",
        title=r"Light $Z'$ on $\nu_e$ and quarks with solar $^8$B: excluded at $3\sigma$ (2 dof)",
    )
    fig.axes[0].set_xlim(masses[0], masses[-1])
    written = [p.name for p in save(fig, out / "xenonnt2026_light_mediator")]
    _plt().close(fig)
    return written


def rate_above_window(e_nr_kev: tuple[float, float] = (0.5, 5.0)) -> dict[str, float]:
    """SM CEvNS rates on xenon [1/(t yr)] inside the window and above it, per component.

    Quantifies what the mono-energetic templates leave out above 5 keVnr.

    Parameters
    ----------
    e_nr_kev : (float, float), optional
        Recoil window [keVnr] (default 0.5 to 5); rates above are integrated up to 8 keVnr.

    Returns
    -------
    dict of str -> float
        ``8B_inside``, ``8B_above``, ``hep_inside`` and ``hep_above`` [1/(t yr)].
    """
    from cevns.likelihood.spectrum import recoil_spectrum
    from cevns.physics.nuclei import Target
    from cevns.sources.solar import SolarFlux

    xe = Target.element("Xe")
    out: dict[str, float] = {}
    for comp in ("8B", "hep"):
        flux = SolarFlux(components=(comp,))
        e = np.linspace(e_nr_kev[0], 8.0, 7501)
        rate = np.asarray(recoil_spectrum(flux, xe, NSIModel.sm(), e), dtype=np.float64)
        rate = rate * 1000.0 * DAYS_PER_YEAR  # per kg day keV -> per t yr keV
        inside, above = e <= e_nr_kev[1], e >= e_nr_kev[1]
        out[f"{comp}_inside"] = float(np.trapezoid(rate[inside], e[inside]))
        out[f"{comp}_above"] = float(np.trapezoid(rate[above], e[above]))
    return out


#: Migrad tolerances tried in turn by :func:`fit_restarted`. The code-0 (multilinear)
#: yield morphing has kinks at the grid nodes; a minimum at tly = 0 (background-only fits)
#: sits on one, where Migrad's EDM estimate can miss the tighter goal while the minimum
#: value agrees to 3e-5 between the tolerances.
FIT_TOLERANCES: tuple[float, ...] = (0.001, 0.01)


def fit_restarted(cost: Any, **kwargs: Any) -> Any:
    """:func:`cevns.stats.fit.fit` at each of :data:`FIT_TOLERANCES` until one is valid.

    Parameters
    ----------
    cost : iminuit cost
    **kwargs
        Passed to ``fit`` (not ``tol``).

    Returns
    -------
    FitResult
        The first valid fit, else the one with the lowest minimum (``valid`` False).
    """
    from cevns.stats.fit import fit

    tried = []
    for tol in FIT_TOLERANCES:
        r = fit(cost, tol=tol, warn=False, **kwargs)
        if r.valid:
            return r
        tried.append(r)
    return min(tried, key=lambda r: r.fval)


def expected_per_run(run: str, root: str | None = None) -> dict[str, float]:
    """SM 8B and hep events (B16-GS98, nominal yields), backgrounds and data of one run.

    Folds the nominal mono-energetic efficiencies directly (no stacked yield variants),
    at the exposure of the shipped ``xenonnt_8b_<run>`` file: the numbers of that file at
    its defaults.

    Parameters
    ----------
    run : {"sr0", "sr1", "sr2"}
    root : str, optional
        A folder laid out like the release (default the registered release).

    Returns
    -------
    dict
        ``8B``, ``hep``, ``ac``, ``er``, ``rg`` and ``observed`` [events].
    """
    from cevns.config.loader import load_experiment_config
    from cevns.detectors.mono_response import MonoResponse
    from cevns.likelihood.signal import Signal
    from cevns.physics.form_factors import Helm
    from cevns.physics.nuclei import Target
    from cevns.sources.solar import SolarFlux

    if run not in xenonnt_8b.RUNS:
        msg = f"run must be one of {list(xenonnt_8b.RUNS)}, got {run!r}"
        raise InvalidParameterError(msg)
    files = xenonnt_8b.ReleaseFiles(run, root)
    # the exposure as the run's experiment file states it (its detector section)
    section = load_experiment_config(f"xenonnt_8b_{run}").file.detector.model_extra or {}
    exposure = float(section["exposure_t_yr"])
    det = MonoResponse(
        f"xenonnt_{run}_nominal",
        files.efficiency(0.0, 0.0),
        xenonnt_8b.MONO_E_KEV,
        exposure,
        target=Target.element("Xe"),
    )
    out = {
        comp: float(
            Signal(SolarFlux(components=(comp,)), det, form_factor=Helm(), kinematics="full")
            .expected_counts(NSIModel.sm())
            .sum()
        )
        for comp in ("8B", "hep")
    }
    out |= {c: float(files.template(c).sum()) * exposure for c in ("ac", "er", "rg")}
    out["observed"] = float(xenonnt_8b.dataset([run], root).counts.sum())  # type: ignore[list-item]
    return out


def summary_numbers(
    scan_points: int = 61, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Expected SM counts per run and the measured 8B flux and significance.

    Parameters
    ----------
    scan_points : int
        Points of the profile scan of the flux normalisation (0 to 3 x B16-GS98).
    overrides : mapping, optional
        Applied to every experiment file (e.g. ``{"backgrounds.0.norm_uncertainty": 0.05}``).

    Returns
    -------
    dict
        ``expected``: per run :func:`expected_per_run` (not affected by ``overrides``);
        ``"2024"`` (SR0+SR1,
        ``xenonnt_8b_2024``) and ``"2026"`` (SR0+SR1+SR2, ``xenonnt_8b_2026``): the SM
        signal and background totals, ``flux_norm`` best fit and its 68.27 % interval
        from a profile scan (Delta(-2 ln L) = 1), the 8B flux and interval [1/(cm^2 s)],
        the background-only significance ``sqrt(Delta(-2 ln L))`` and the fit validity.
    """
    from cevns.sources.solar import solar_total_flux
    from cevns.stats.scan import profile_scan

    out: dict[str, Any] = {"expected": {}}
    for run in xenonnt_8b.RUNS:
        out["expected"][run] = expected_per_run(run)
    phi0 = solar_total_flux("8B", "b16_gs98")
    for label, runs in (("2024", ("sr0", "sr1")), ("2026", xenonnt_8b.RUNS)):
        exp = xenonnt_8b.experiment(runs, overrides)
        cost = exp.cost("sm")
        norm = f"{exp.name}.flux_norm"
        best = fit_restarted(cost)
        b_only = fit_restarted(exp.cost("sm", signal=False))
        grid = np.linspace(0.0, 3.0, scan_points)
        scan = profile_scan(cost, {norm: grid})
        segments = scan.interval(0.6827).segments
        lo, hi = (segments[0][0], segments[-1][1]) if segments else (float("nan"),) * 2
        nominal = exp.expected("sm")
        out[label] = {
            "experiment": exp.name,
            "sm_signal": float(nominal.signal.sum()),
            "background": float(sum(v.sum() for v in nominal.backgrounds.values())),
            "observed": float(exp.dataset.counts.sum()),
            "flux_norm": float(best.values[norm]),
            "interval": (float(lo), float(hi)),
            "flux_cm2_s": float(best.values[norm] * phi0),
            "flux_interval_cm2_s": (float(lo * phi0), float(hi * phi0)),
            "significance": float(np.sqrt(max(b_only.fval - best.fval, 0.0))),
            "valid": bool(best.valid and b_only.valid),
        }
    return out
