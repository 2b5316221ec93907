"""Denton, Farzan & Shoemaker 2018 (arXiv:1804.03660, seed 002): COHERENT timing constraints.

Reproduces, with the public API only (``load_experiment``, ``exp.cost``,
:func:`~cevns.stats.fit.fit`,
:func:`~cevns.stats.scan.profile_scan`), the seed-002 analysis of the COHERENT CsI 2017 data:

* P_c of Eq. 4.2 and the degenerate eps of Eq. 4.6;
* Fig. 2: chi^2 of the LMA-Dark family versus the mediator mass for x = 0, 1/2, 1, 3/2, 2 and
  marginalised over x, with the 95% CL (1 dof) bounds (48 MeV marginalised, 17 MeV at
  x = 0) and the masses where chi^2 nearly vanishes (38 MeV at x = 3/2, 18 MeV at x = 1);
* Table 2: one-at-a-time 90% CL intervals of heavy-mediator eps^{q,V} (u = d);
* the minimum chi^2 of the heavy-mediator ee fit (2.9);
* Sec. 5.2 / Fig. 6: CONUS-like Ge and Si count-only projections (``conus_ge.toml``,
  ``conus_si.toml``: 0.6 / 0.1 keVnr thresholds, 1e5 Asimov SM events, 10% or 1%
  systematics). The paper's numbers need the systematic as a fraction of the expected SM
  count in the error budget of the measurement (``convention="measurement"``, the files'
  default); a Gaussian pull on the predicted normalisation (``convention="pull"``) gives
  10-15% weaker bounds and is kept as a stated variant;
* Fig. 3: the (eps_ee, eps_mumu) plane at 1, 2, 3 sigma (2 dof), heavy mediator;
* Fig. 5: the expected LMA-Dark bound (marginalised over x) versus real time at 50% uptime,
  from Asimov SM data of the scaled exposure (:func:`coherent_forecast`, :func:`fig5`),
  with x marginalised over the values of the Fig. 2 curves (the drop of the paper's Fig.
  5 needs a finite set of x: with x continuous a dip near 40 MeV stays at chi^2 ~ 0);
* Fig. 7: 95% CL (2 dof) exclusions of sqrt|g_nu g_q| versus M_Z' for nu_e (g < 0) with the
  CONUS Ge projection, and for nu_mu/nu_tau (g > 0), with the LMA-Dark lines (x = 0, 2);
  the forecasts (ten more years of CsI at 50% uptime, CONUS Ge) dashed;
* seed 001 (the talk): 10 kg yr of 76Ge 22 m from the SNS (its ref. 1701.04828,
  :func:`ge76_pion_dar`): SM prompt/delayed counts (the talk: ~100 / ~200), the
  heavy-mediator LMA-Dark Delta chi^2 and the eps_ee^{q,V} interval of the Asimov SM.

The likelihood is ``coherent_csi_2017_timing.toml``: 7 keVnr threshold, prediction
normalised to COHERENT's 173 SM events (seed-002 convention), prompt/delayed split with
P_c = 0.246, chi^2 of Eq. 4.8 with sigma^2 = 1.2 N_obs and a 20% normalisation pull. All
models are the tree-level twins at sin^2(theta_W) = 0.2225 (g_p^V = 0.055, seed 002).
Mediator-mass bounds compare the absolute chi^2 with 3.84 (the horizontal line of Fig. 2);
they are located by root finding between grid points.

Run with ``cevns reproduce dfs2018`` or :func:`run`.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.experiment import Experiment, ExperimentCost
from cevns.physics.families import ModelFamily, family
from cevns.physics.nsi import NSIModel, degenerate_eps
from cevns.physics.nuclei import Target
from cevns.reproduce.summary import Summary
from cevns.sources.spallation import MUON_GAMMA_PIDAR, prompt_contamination
from cevns.stats.fit import FitWarning, fit
from cevns.stats.scan import Interval, ScanResult, delta_chi2_threshold, profile_scan

__all__ = [
    "CONUS_CASES",
    "CONUS_CONVENTIONS",
    "CONUS_SM_EVENTS",
    "EXPERIMENT",
    "FIG2_X",
    "FIG5_YEARS",
    "FORECAST_UPTIME",
    "LIVE_DAYS_2017",
    "SIN2_THETA_W",
    "TABLE2_RANGES",
    "ConusBound",
    "Fig2",
    "Fig5Point",
    "coherent_forecast",
    "conus_bounds",
    "conus_overrides",
    "fig2",
    "fig3",
    "fig5",
    "fig7",
    "ge76_pion_dar",
    "lma_dark_mass_bound",
    "run",
    "table2",
    "tree_family",
]


def __dir__() -> list[str]:
    return __all__


#: Experiment file of the seed-002 likelihood.
EXPERIMENT = "coherent_csi_2017_timing"
#: sin^2(theta_W) behind seed 002's g_p^V = 1/2 - 2 s^2 ~ 0.055 (tree level).
SIN2_THETA_W: float = 0.2225
#: The x values of Fig. 2.
FIG2_X: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)
#: Scan ranges of the Table 2 intervals (one-at-a-time, heavy mediator).
TABLE2_RANGES: dict[str, tuple[float, float]] = {
    "ee": (-0.2, 0.4),
    "mumu": (-0.1, 0.3),
    "emu": (-0.15, 0.15),
    "etau": (-0.15, 0.15),
    "mutau": (-0.15, 0.15),
}
#: Starting points in x of the marginalisation (the chi^2 is multimodal in x).
_X_STARTS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
_CL_MASS = 0.95
_CL_TABLE2 = 0.90
_MASS = "mediator_mass_mev"


def tree_family(name: str) -> ModelFamily:
    """A tree-level model family at seed 002's sin^2(theta_W) = 0.2225.

    Parameters
    ----------
    name : str
        Name of a registered model family (e.g. ``"lma_dark_tree"``).

    Returns
    -------
    ModelFamily
        The family with the default ``sin2_theta_w = 0.2225``.

    Examples
    --------
    >>> tree_family("lma_dark_tree").defaults()["sin2_theta_w"]
    0.2225
    """
    return family(name).with_defaults(sin2_theta_w=SIN2_THETA_W)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(f"dfs2018: {text}", file=sys.stderr, flush=True)


def _quiet_fit(cost: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return fit(cost, hesse=False, warn=False, **kwargs)


# --------------------------------------------------------------------------- Fig. 2
@dataclass(frozen=True)
class Fig2:
    """chi^2 versus mediator mass (Fig. 2).

    Attributes
    ----------
    masses : ndarray
        Mediator masses [MeV].
    curves : dict
        ``"x=<x>"`` -> chi^2 at fixed x, and ``"marginalised"`` -> chi^2 minimised over x.
    x_best : ndarray
        x at the marginalised minimum per mass.
    scans : dict
        The fixed-x :class:`~cevns.stats.scan.ScanResult` objects.
    """

    masses: NDArray[np.float64]
    curves: dict[str, NDArray[np.float64]]
    x_best: NDArray[np.float64]
    scans: dict[str, ScanResult]


def _label(x: float) -> str:
    return f"x={x:g}"


def _chi2_fixed_x(cost: ExperimentCost, mass: float, x: float) -> float:
    return float(_quiet_fit(cost, fix={_MASS: mass, "x": x}, details=False).fval)


def _fixed_x(cost: ExperimentCost, x: float) -> Callable[[float], float]:
    """chi^2 as a function of the mediator mass at fixed x."""

    def chi2_at(mass: float) -> float:
        return _chi2_fixed_x(cost, mass, x)

    return chi2_at


def _chi2_marginal(cost: ExperimentCost, mass: float, x_start: float | None = None) -> Any:
    starts = [{"x": v} for v in _X_STARTS if v != x_start]
    first = {"x": x_start if x_start is not None else 0.0}
    return _quiet_fit(cost, fix={_MASS: mass}, start=first, multistart=starts, details=False)


def fig2(
    experiment: Experiment,
    masses: Sequence[float] | NDArray[np.float64],
    xs: Sequence[float] = FIG2_X,
) -> Fig2:
    """chi^2 of LMA-Dark versus M_Z' at fixed x and marginalised over x.

    The fixed-x curves are :func:`~cevns.stats.scan.profile_scan` runs over the mass (the flux
    normalisation profiled); the marginalised curve refits x at each mass from several
    starting points (its chi^2 is multimodal in x) and keeps the lowest minimum.

    Parameters
    ----------
    experiment : Experiment
        The experiment whose cost is built with family ``lma_dark_tree``.
    masses : sequence of float
        Mediator masses [MeV] of the scan.
    xs : sequence of float, optional
        Values of x for the fixed-x curves (default :data:`FIG2_X`).

    Returns
    -------
    Fig2
        The fixed-x and marginalised chi^2 curves and their scans.
    """
    cost = experiment.cost(tree_family("lma_dark_tree"))
    m = np.asarray(masses, dtype=np.float64)
    curves: dict[str, NDArray[np.float64]] = {}
    scans: dict[str, ScanResult] = {}
    for x in xs:
        sc = profile_scan(cost, {_MASS: m}, fix={"x": x}, best_fit=False, log_axes=(_MASS,))
        scans[_label(x)] = sc
        curves[_label(x)] = sc.chi2.copy()
    marg = np.empty(m.size)
    x_best = np.empty(m.size)
    for i, mass in enumerate(m):
        res = _chi2_marginal(cost, float(mass))
        marg[i], x_best[i] = res.fval, res.values["x"]
    if xs:  # the fixed-x grid bounds the profile from above: never report worse
        stack = np.stack([curves[_label(x)] for x in xs])
        better = stack.min(axis=0) < marg
        marg = np.where(better, stack.min(axis=0), marg)
        x_best = np.where(better, np.asarray(xs)[np.argmin(stack, axis=0)], x_best)
    curves["marginalised"] = marg
    return Fig2(m, curves, x_best, scans)


def lma_dark_mass_bound(
    masses: NDArray[np.float64],
    chi2: NDArray[np.float64],
    chi2_at: Callable[[float], float],
    threshold: float,
) -> float | None:
    """Mass above which chi^2 stays above ``threshold`` (the exclusion ``M_Z' > bound``).

    The last upward crossing on the grid is refined with Brent's method on ``chi2_at``.
    Returns ``None`` if the grid ends below the threshold (no bound within the grid) and
    the lowest mass if the whole grid is excluded.

    Parameters
    ----------
    masses : ndarray
        Mediator masses [MeV] of the grid, increasing.
    chi2 : ndarray
        chi^2 at each mass.
    chi2_at : callable
        chi^2 as a function of one mass [MeV], for the refinement.
    threshold : float
        chi^2 above which a mass is excluded.

    Returns
    -------
    float or None
        The bound [MeV].
    """
    below = np.flatnonzero(chi2 <= threshold)
    if below.size == 0:
        return float(masses[0])
    i = int(below[-1])
    if i == masses.size - 1:
        return None
    lo, hi = math.log(masses[i]), math.log(masses[i + 1])
    root = optimize.brentq(lambda t: chi2_at(math.exp(t)) - threshold, lo, hi, xtol=1e-4)
    return float(math.exp(root))


def _local_minima(
    masses: NDArray[np.float64], chi2: NDArray[np.float64], chi2_at: Callable[[float], float]
) -> list[tuple[float, float]]:
    """Refined local minima (mass, chi^2) of a curve, interior grid points only."""
    out = []
    for i in range(1, masses.size - 1):
        if chi2[i] <= chi2[i - 1] and chi2[i] < chi2[i + 1]:
            res = optimize.minimize_scalar(
                lambda t: chi2_at(math.exp(t)),
                bounds=(math.log(masses[i - 1]), math.log(masses[i + 1])),
                method="bounded",
                options={"xatol": 1e-4},
            )
            out.append((float(math.exp(res.x)), float(res.fun)))
    return out


# --------------------------------------------------------------------------- Table 2
def table2(
    experiment: Experiment,
    n_points: int = 241,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, tuple[Interval, ScanResult]]:
    """One-at-a-time 90% CL intervals of heavy-mediator eps^{q,V}_{ab} (Table 2).

    Each entry profiles the flux normalisation over a grid of the coupling (tree-level
    ``nsi_<ab>_q_tree``); the interval is Delta chi^2 < 2.71 relative to the scan minimum.

    Parameters
    ----------
    experiment : Experiment
        The experiment whose costs are built with the ``nsi_<ab>_q_tree`` families.
    n_points : int, optional
        Grid points of each coupling scan (default 241).
    ranges : Mapping[str, (float, float)], optional
        Flavour pair -> scan range of its coupling (default :data:`TABLE2_RANGES`).

    Returns
    -------
    dict of str -> (Interval, ScanResult)
        Flavour pair -> its 90% CL interval and the scan it comes from.
    """
    out: dict[str, tuple[Interval, ScanResult]] = {}
    for pair, (lo, hi) in (ranges or TABLE2_RANGES).items():
        fam = tree_family(f"nsi_{pair}_q_tree")
        name = f"eps_{pair}_q"
        sc = profile_scan(experiment.cost(fam), {name: np.linspace(lo, hi, n_points)})
        out[pair] = (sc.interval(_CL_TABLE2, 1), sc)
    return out


def _interval_value(iv: Interval) -> list[Any]:
    segs = iv.to_list()
    return segs[0] if len(segs) == 1 else segs


# --------------------------------------------------------------------------- CONUS (Sec. 5.2)
#: (id suffix, detector, x, systematics) of the CONUS-like projections.
CONUS_CASES: tuple[tuple[str, str, float, float], ...] = (
    ("ge.x0", "ge", 0.0, 0.1),
    ("si.x0", "si", 0.0, 0.1),
    ("ge.x1p5", "ge", 1.5, 0.1),
    ("si.x1p5", "si", 1.5, 0.1),
    ("ge.sys1pct", "ge", 0.0, 0.01),
    ("si.sys1pct", "si", 0.0, 0.01),
)
#: How the systematic enters the count-only chi^2 of the CONUS projections:
#: ``"measurement"`` (the reproduction) puts it in the error budget of the measured count,
#: sigma^2 = N_SM + (f N_SM)^2, chi^2 = (N - N_SM)^2 / sigma^2; ``"pull"`` (the variant)
#: scales the prediction by a Gaussian-constrained flux normalisation (1 + a), a ~ N(0, f),
#: so after profiling chi^2 = (N - N_SM)^2 / (N_SM + (f N)^2): the systematic is a
#: fraction of the prediction and grows with it.
CONUS_CONVENTIONS: tuple[str, ...] = ("measurement", "pull")
#: Asimov SM events of the CONUS projections (seed 002 Sec. 5.2).
CONUS_SM_EVENTS = 1.0e5


def conus_overrides(sigma_sys: float, convention: str = "measurement") -> dict[str, Any]:
    """Experiment-file overrides of ``conus_ge``/``conus_si`` for a systematic and convention.

    Parameters
    ----------
    sigma_sys : float
        Fractional systematic (0.1 in seed 002, 0.01 in its optimistic variant), > 0.
    convention : str
        ``"measurement"``: the dataset error becomes sqrt(N + (sigma_sys N)^2) with
        N = 1e5 and no flux-normalisation parameter; ``"pull"``: Poisson errors and a
        flux-normalisation pull of width ``sigma_sys``.

    Returns
    -------
    dict
        Dotted overrides for :func:`cevns.config.load_experiment`.

    Examples
    --------
    >>> conus_overrides(0.01)
    {'dataset.errors': [1048.8088481701516]}
    """
    if not (isinstance(sigma_sys, int | float) and math.isfinite(sigma_sys) and sigma_sys > 0):
        msg = f"sigma_sys must be a finite number > 0, got {sigma_sys!r}"
        raise InvalidParameterError(msg)
    if convention == "measurement":
        n = CONUS_SM_EVENTS
        return {"dataset.errors": [math.sqrt(n + (sigma_sys * n) ** 2)]}
    if convention == "pull":
        return {"dataset.errors": "poisson", "signal.flux_norm_uncertainty": sigma_sys}
    msg = f"convention must be one of {list(CONUS_CONVENTIONS)}, got {convention!r}"
    raise InvalidParameterError(msg)


@dataclass(frozen=True)
class ConusBound:
    """A CONUS-like projected bound: LMA-Dark excluded for M_Z' above ``bound_mev``.

    Parameters
    ----------
    case : str
        Identifier of the case (detector, x and systematic).
    bound_mev : float or None
        Excluded for M_Z' above this mass [MeV]; None if no bound within the mass grid.
    scan : ScanResult
        The chi^2 scan over the mediator mass at the case's fixed x.
    absolute_sm_events : float
        Expected SM events of the experiment (its reference events; 0 if unset).
    convention : str, optional
        How the systematic enters, ``"measurement"`` (default) or ``"pull"``.
    """

    case: str
    bound_mev: float | None
    scan: ScanResult
    absolute_sm_events: float
    convention: str = "measurement"


def conus_bounds(
    masses: Sequence[float] | NDArray[np.float64] | None = None,
    cases: Sequence[tuple[str, str, float, float]] = CONUS_CASES,
    convention: str = "measurement",
) -> dict[str, ConusBound]:
    """Projected 95% CL (1 dof) bounds of seed 002 Sec. 5.2 (``conus_ge``/``conus_si``).

    Count-only chi^2 of 1e5 Asimov SM events; chi^2 of LMA-Dark at fixed x versus M_Z',
    the bound is the last crossing of 3.84.

    Parameters
    ----------
    masses : array, optional
        Mediator-mass grid [MeV] (default 61 log-spaced points, 0.01-10 MeV).
    cases : sequence
        ``(id, detector, x, systematics)`` tuples (default :data:`CONUS_CASES`).
    convention : str
        How the systematic enters, see :data:`CONUS_CONVENTIONS` and
        :func:`conus_overrides`.

    Returns
    -------
    dict
        Case id -> :class:`ConusBound`.
    """
    if convention not in CONUS_CONVENTIONS:  # before any computation
        msg = f"convention must be one of {list(CONUS_CONVENTIONS)}, got {convention!r}"
        raise InvalidParameterError(msg)
    m = np.geomspace(0.01, 10.0, 61) if masses is None else np.asarray(masses, dtype=float)
    thr = delta_chi2_threshold(_CL_MASS, 1)
    out: dict[str, ConusBound] = {}
    experiments: dict[tuple[str, float], Experiment] = {}
    for case, det, x, sigma_sys in cases:
        key = (det, sigma_sys)
        if key not in experiments:
            experiments[key] = load_experiment(
                f"conus_{det}", conus_overrides(sigma_sys, convention)
            )
        exp = experiments[key]
        cost = exp.cost(tree_family("lma_dark_tree"))
        sc = profile_scan(cost, {_MASS: m}, fix={"x": x}, best_fit=False, log_axes=(_MASS,))
        bound = lma_dark_mass_bound(m, sc.chi2, _fixed_x(cost, x), thr)
        out[case] = ConusBound(case, bound, sc, float(exp.reference_events or 0.0), convention)
    return out


# --------------------------------------------------------------------------- forecasts (Sec. 5.1)
#: Live days of the 2017 CsI data (``coherent_csi_2017_timing.toml``).
LIVE_DAYS_2017: float = 308.1
#: Uptime of seed 002's forecasts ("collects data ~half the time", Sec. 5.1, Fig. 5, 7).
FORECAST_UPTIME: float = 0.5
#: Real-time axis of Fig. 5 [years].
FIG5_YEARS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 15.0, 20.0)


def coherent_forecast(
    years: float, uptime: float = FORECAST_UPTIME, *, base: Experiment | None = None
) -> Experiment:
    """The seed-002 CsI timing likelihood for an Asimov (SM) data set of a future exposure.

    The exposure is ``uptime * 365.25 * years`` live days, i.e. ``k`` times the 2017 one
    (:data:`LIVE_DAYS_2017`); the SM prediction (normalised to 173 k events, seed-002
    convention) is the data, with the seed-002 errors sigma^2 = 1.2 N (Eq. 4.8) of those
    counts and the same 20% normalisation pull. Built from ``coherent_csi_2017_timing``
    with overrides only (a ``count_only`` dataset on the same time bins).

    Parameters
    ----------
    years : float
        Real time [years], > 0.
    uptime : float
        Fraction of the time with beam and detector on, in (0, 1].
    base : Experiment, optional
        ``load_experiment(EXPERIMENT)`` already loaded (a run of several forecasts loads
        it once); by default it is loaded here.

    Returns
    -------
    Experiment
    """
    for name, v, ok in (
        ("years", years, isinstance(years, int | float) and math.isfinite(years) and years > 0),
        ("uptime", uptime, isinstance(uptime, int | float) and 0 < uptime <= 1),
    ):
        if not ok:
            want = "a finite number > 0" if name == "years" else "a number in (0, 1]"
            msg = f"{name} must be {want}, got {v!r}"
            raise InvalidParameterError(msg)
    k = uptime * 365.25 * years / LIVE_DAYS_2017
    if base is None:
        base = load_experiment(EXPERIMENT)
    sm = tree_family("sm_tree")
    counts = k * base.expected(sm).signal
    edges = base.dataset.edges[0]
    overrides = {
        "detector.normalise_sm_to": 173.0 * k,
        "dataset": {
            "kind": "count_only",
            "name": f"asimov_{years:g}yr",
            "counts": counts.tolist(),
            "edges": edges.tolist(),
            "errors": np.sqrt(1.2 * counts).tolist(),
            "axis_label": base.dataset.axis_labels[0],
        },
    }
    return load_experiment(EXPERIMENT, overrides)


@dataclass(frozen=True)
class Fig5Point:
    """One exposure of seed 002 Fig. 5.

    Attributes
    ----------
    years : float
        Real time [years].
    bound_fig2_x : float or None
        Bound [MeV] (chi^2 > 3.84 for every heavier mediator) with x marginalised over the
        values of the Fig. 2 curves (:data:`FIG2_X`), the reproduction's convention.
    bound_continuous : float or None
        The same with x fitted as a continuous parameter (the variant).
    curves : Fig2
        The fixed-x and continuously marginalised chi^2 curves of that Asimov data set.
    """

    years: float
    bound_fig2_x: float | None
    bound_continuous: float | None
    curves: Fig2


def _min_over_x(cost: ExperimentCost, xs: Sequence[float]) -> Callable[[float], float]:
    """chi^2 at one mass minimised over a finite set of x."""

    def chi2_at(mass: float) -> float:
        return min(_chi2_fixed_x(cost, mass, x) for x in xs)

    return chi2_at


def _bound_past_dips(
    masses: NDArray[np.float64],
    curves: Sequence[NDArray[np.float64]],
    refiners: Sequence[Callable[[float], float]],
    chi2_at: Callable[[float], float],
    threshold: float,
) -> float | None:
    """:func:`lma_dark_mass_bound` of the lower envelope of ``curves``, checked for dips.

    A dip narrower than the mass grid can fall below ``threshold`` between grid points
    that are both above it; every interior local minimum of every curve is refined
    (``refiners[i]`` evaluates curve ``i`` at one mass) and, if one above the grid bound
    lies below the threshold, the bound is the upward crossing after it. A dip that
    leaves no local minimum on the grid is not seen: the grid must resolve its shoulders.
    """
    env = np.min(np.stack(list(curves)), axis=0)
    bound = lma_dark_mass_bound(masses, env, chi2_at, threshold)
    if bound is None:
        return None
    dips = [
        m_star
        for curve, ref in zip(curves, refiners, strict=True)
        for m_star, c_star in _local_minima(masses, curve, ref)
        if c_star <= threshold and m_star > bound
    ]
    if not dips:
        return bound
    m_star = max(dips)
    after = np.flatnonzero((masses > m_star) & (env > threshold))
    if after.size == 0:
        return None
    lo, hi = math.log(m_star), math.log(masses[after[0]])
    root = optimize.brentq(lambda t: chi2_at(math.exp(t)) - threshold, lo, hi, xtol=1e-4)
    return float(math.exp(root))


def fig5(
    years: Sequence[float] = FIG5_YEARS,
    masses: Sequence[float] | NDArray[np.float64] | None = None,
    uptime: float = FORECAST_UPTIME,
    *,
    base: Experiment | None = None,
) -> dict[float, Fig5Point]:
    """Seed 002 Fig. 5: the expected LMA-Dark bound (marginalised over x) versus real time.

    Two conventions for "marginalised over x": the minimum over the x of the Fig. 2 curves
    (:data:`FIG2_X`; the reproduction's) and x as a continuous fit parameter (the variant).
    They differ in kind: with two bins (prompt, delayed) and M_Z', x and the normalisation
    free, a continuous x reproduces both Asimov SM counts exactly near 40 MeV (x ~ 1.7),
    so that dip stays at chi^2 ~ 0 at every exposure; at each fixed x the dip grows
    linearly with the exposure and passes the threshold, the sharp drop of the paper's
    Fig. 5 ("when the higher mass minimum seen in Fig. 2 passes the threshold").

    Parameters
    ----------
    years : sequence of float
        Real times [years].
    masses : array, optional
        Mediator masses [MeV] (default 31 log-spaced, 1 MeV to 1 GeV).
    uptime : float
        Fraction of the time taking data.
    base : Experiment, optional
        ``load_experiment(EXPERIMENT)``, loaded once for every exposure (by default here).

    Returns
    -------
    dict
        years -> :class:`Fig5Point` (both bounds and the curves).
    """
    m = np.geomspace(1.0, 1000.0, 31) if masses is None else np.asarray(masses, dtype=float)
    thr = delta_chi2_threshold(_CL_MASS, 1)
    out: dict[float, Fig5Point] = {}
    if base is None:
        base = load_experiment(EXPERIMENT)
    for y in years:
        exp = coherent_forecast(y, uptime, base=base)
        res = fig2(exp, m)
        cost = exp.cost(tree_family("lma_dark_tree"))

        def marginal_at(mass: float, cost: ExperimentCost = cost) -> float:
            return float(_chi2_marginal(cost, mass).fval)

        fixed = [res.curves[_label(x)] for x in FIG2_X]
        b_grid = _bound_past_dips(
            m, fixed, [_fixed_x(cost, x) for x in FIG2_X], _min_over_x(cost, FIG2_X), thr
        )
        b_cont = lma_dark_mass_bound(m, res.curves["marginalised"], marginal_at, thr)
        out[y] = Fig5Point(float(y), b_grid, b_cont, res)
    return out


# --------------------------------------------------------------------------- seed 001
#: The talk's (seed 001) pi-DAR germanium set-up (its slides on ref. 1701.04828): a 76Ge
#: detector (Z = 32, N = 44) 22 m from the source, 5 keVnr threshold, P_c = 0.138, beam
#: normalisation known to 10% and a background of 20% of the signal.
TALK_GE76_BASELINE_M: float = 22.0
TALK_GE76_THRESHOLD_KEVNR: float = 5.0
TALK_GE76_P_C: float = 0.138
TALK_GE76_NORM_UNCERTAINTY: float = 0.10
TALK_GE76_BACKGROUND_FRACTION: float = 0.20
#: Protons on target per calendar year: the average beam of the 2017 CsI run (1.680e23 POT
#: in 308.1 live days); the talk gives no beam power.
TALK_POT_PER_YEAR: float = 1.680e23 * 365.25 / LIVE_DAYS_2017


def ge76_pion_dar(kg_years: float = 10.0, *, mass_kg: float = 10.0) -> Experiment:
    """The talk's (seed 001) 76Ge detector at the SNS, Asimov SM data (prompt, delayed).

    Built from shipped parts through the public API: the pi-DAR flux
    (:class:`~cevns.sources.spallation.PionDARFlux`, 0.08 nu per flavour per proton,
    :data:`TALK_POT_PER_YEAR`), a pure 76Ge target counted above 5 keVnr
    (:class:`~cevns.detectors.threshold.RecoilThresholdDetector`), the two-bin
    prompt/delayed timing with P_c = 0.138, Helm form factors (the talk uses Horowitz et
    al.'s) and seed 002's chi^2 (Eq. 4.8) with the talk's systematics: sigma^2 = N + 0.2 N
    and a 10% normalisation pull. The data are the tree-level SM prediction at
    sin^2(theta_W) = 0.2225 (the module's convention).

    Parameters
    ----------
    kg_years : float
        Exposure [kg yr], > 0 (one year of beam per year).
    mass_kg : float
        Detector mass [kg], > 0; the live time is ``kg_years / mass_kg`` years.

    Returns
    -------
    Experiment
    """
    from cevns.detectors.threshold import RecoilThresholdDetector
    from cevns.experiments.coherent_csi_2017 import PiDARTiming
    from cevns.likelihood.dataset import count_only_dataset
    from cevns.likelihood.signal import Signal
    from cevns.physics.form_factors import Helm
    from cevns.sources.spallation import PionDARFlux

    for name, v in (("kg_years", kg_years), ("mass_kg", mass_kg)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            msg = f"{name} must be a finite number > 0, got {v!r}"
            raise InvalidParameterError(msg)
    days = 365.25 * kg_years / mass_kg
    flux = PionDARFlux(
        protons_on_target=TALK_POT_PER_YEAR * days / 365.25,
        live_time_days=days,
        baseline_m=TALK_GE76_BASELINE_M,
    )
    edges = (0.0, 1.0, 12.0)
    timing = PiDARTiming(edges, "p_c", TALK_GE76_P_C)
    det = RecoilThresholdDetector(
        Target.from_isotopes({"Ge76": 1.0}, name="Ge76"),
        threshold_kev=TALK_GE76_THRESHOLD_KEVNR,
        mass_kg=mass_kg,
        live_days=days,
        timing=timing,
        name="recoil_threshold_ge76",
    )
    signal = Signal(flux, det, form_factor=Helm(), timing=timing.fractions(tuple(flux.flavours)))
    counts = np.asarray(signal.expected_counts(tree_family("sm_tree").build()), float).ravel()
    data = count_only_dataset(
        counts.tolist(),
        list(edges),
        errors=np.sqrt((1.0 + TALK_GE76_BACKGROUND_FRACTION) * counts).tolist(),
        name=f"asimov_ge76_{kg_years:g}kgyr",
        axis_label="t [us]",
    )
    return Experiment(
        "ge76_pion_dar",
        signal,
        data,
        likelihood="chi2",
        flux_norm_uncertainty=TALK_GE76_NORM_UNCERTAINTY,
        description="seed 001: 76Ge at a pi-DAR source, Asimov SM (prompt, delayed)",
    )


def _plot_fig5(
    f5: Mapping[float, Fig5Point],
    current: float | None,
    out: Path,
    x0: Mapping[float, float | None] | None = None,
) -> list[str]:
    from cevns.viz.plotting import _plt, save, style

    plt = _plt()
    style()
    fig, ax = plt.subplots(figsize=(8, 6))
    ys = np.array(list(f5))
    bounds = np.array([np.nan if p.bound_fig2_x is None else p.bound_fig2_x for p in f5.values()])
    cont = np.array(
        [np.nan if p.bound_continuous is None else p.bound_continuous for p in f5.values()]
    )
    ax.fill_between(ys, bounds, 1000.0, color="C3", alpha=0.35, label="expected (Asimov SM)")
    ax.plot(ys, bounds, "o-", color="C3", label=f"x over {list(FIG2_X)}")
    ax.plot(ys, cont, "^:", color="C1", label="variant: x continuous")
    if x0:
        xb = np.array([np.nan if v is None else v for v in x0.values()])
        ax.plot(list(x0), xb, "s--", color="k", label="expected, x = 0 only")
    if current is not None:
        ax.axhline(current, color="C0", lw=2, label=f"current ({current:.1f} MeV)")
    ax.axhspan(1.0, 5.3, color="orange", alpha=0.25, label="BBN/CMB (< 5.3 MeV)")
    ax.set(yscale="log", ylim=(1.0, 1000.0), xlim=(0.0, ys.max()))
    ax.set_xlabel(f"real time [years], {FORECAST_UPTIME:.0%} uptime")
    ax.set_ylabel(r"excluded above $M_{Z'}$ [MeV]")
    ax.set_title("LMA-Dark, COHERENT CsI forecast, 95% CL (seed 002 Fig. 5)", fontsize="x-small")
    ax.legend(fontsize="x-small")
    paths = save(fig, out / "dfs2018_fig5")
    plt.close(fig)
    return [p.name for p in paths]


def fig3(experiment: Experiment, n: int = 41) -> ScanResult:
    """Seed 002 Fig. 3: (eps_ee^q, eps_mumu^q) profile scan, heavy mediator, u = d.

    Parameters
    ----------
    experiment : Experiment
        The experiment whose cost is built with family ``nsi_ee_mumu_q_tree``.
    n : int, optional
        Grid points per axis (default 41).

    Returns
    -------
    ScanResult
        The 2-D profile scan over ``eps_ee_q`` in [-0.3, 0.6] and ``eps_mumu_q`` in [-0.2, 0.4].
    """
    cost = experiment.cost(tree_family("nsi_ee_mumu_q_tree"))
    grid = {"eps_ee_q": np.linspace(-0.3, 0.6, n), "eps_mumu_q": np.linspace(-0.2, 0.4, n)}
    return profile_scan(cost, grid)


#: sqrt|g_nu g_q| axis of Fig. 7.
FIG7_ROOTS = np.geomspace(1e-6, 3e-3, 36)


def fig7(
    experiment: Experiment, masses: NDArray[np.float64], flavour: str, sign: float
) -> ScanResult:
    """Seed 002 Fig. 7: profile scan over (M_Z', g_nu g_q) for one neutrino flavour.

    ``flavour`` is ``"ee"`` (family ``light_zprime_tree``) or ``"mumu"`` (``mu`` and ``tau``,
    ``light_zprime_mumu_tree``); ``sign`` the sign of g_nu g_q (negative for LMA-Dark at
    x = 0 in ee, positive for x = 2 in mumu).

    Parameters
    ----------
    experiment : Experiment
        The experiment whose cost is built.
    masses : ndarray
        Mediator masses [MeV] of the scan.
    flavour : {"ee", "mumu"}
        Which neutrino flavours couple to the mediator.
    sign : float
        Sign of g_nu g_q (+1 or -1) multiplying the coupling grid.

    Returns
    -------
    ScanResult
        The 2-D profile scan over (``mediator_mass_mev``, ``g_nu_g_q``).
    """
    name = "light_zprime_tree" if flavour == "ee" else "light_zprime_mumu_tree"
    cost = experiment.cost(tree_family(name))
    grid = {_MASS: masses, "g_nu_g_q": sign * FIG7_ROOTS**2}
    return profile_scan(cost, grid)


# --------------------------------------------------------------------------- plots
def _plot_fig2(res: Fig2, out: Path) -> list[str]:
    from cevns.viz.plotting import _plt, plot_scan, save

    fig = None
    ax = None
    thr = delta_chi2_threshold(_CL_MASS, 1)
    for label, sc in res.scans.items():
        fig = plot_scan(sc, ax, cls=(), absolute=True, label=label)
        ax = fig.axes[0]
    marg = ScanResult(
        names=(_MASS,),
        axes=(res.masses,),
        chi2=res.curves["marginalised"],
        valid=np.ones(res.masses.size, dtype=bool),
        profiled={},
        best_fit={},
        log_axes=(True,),
    )
    fig = plot_scan(marg, ax, cls=(), absolute=True, label="marginalised over x")
    ax = fig.axes[0]
    ax.lines[-1].set_color("black")
    ax.lines[-1].set_linewidth(2.5)
    ax.axhline(thr, ls="--", color="gray", lw=1, label=rf"95% CL, 1 dof ($\chi^2$ = {thr:.2f})")
    ax.axvspan(res.masses[0], 5.3, color="orange", alpha=0.25, label="BBN/CMB (< 5.3 MeV)")
    ax.set_xscale("log")
    ax.set_ylim(0, max(3 * thr, 30.0))
    ax.set_xlabel(r"$M_{Z'}$ [MeV]")
    ax.set_ylabel(r"$\chi^2$")
    ax.set_title("COHERENT CsI 2017 timing, LMA-Dark (seed 002 Fig. 2)", fontsize="small")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))  # off the curves
    paths = save(fig, out / "dfs2018_fig2")
    _plt().close(fig)
    return [p.name for p in paths]


def _plot_table2(t2: Mapping[str, tuple[Interval, ScanResult]], out: Path) -> list[str]:
    from cevns.viz.plotting import _plt, save, style

    plt = _plt()
    style()
    fig, ax = plt.subplots(figsize=(8, 6))
    for pair, (_, sc) in t2.items():
        greek = pair.replace("mu", r"\mu ").replace("tau", r"\tau ").strip()
        ax.plot(sc.axes[0], sc.delta_chi2, label=rf"$\epsilon_{{{greek}}}^{{q,V}}$")
    thr = delta_chi2_threshold(_CL_TABLE2, 1)
    ax.axhline(thr, ls="--", color="gray", lw=1)
    ax.text(
        1.01,
        thr,
        "90% (1 dof)",
        transform=ax.get_yaxis_transform(),
        va="center",
        fontsize="x-small",
        color="gray",
    )
    ax.set_ylim(0, 10)
    ax.set_xlabel(r"$\epsilon^{q,V}_{\alpha\beta}$ (heavy mediator, one at a time)")
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.12, 1.0))
    paths = save(fig, out / "dfs2018_table2")
    plt.close(fig)
    return [p.name for p in paths]


def _plot_fig3(sc: ScanResult, out: Path) -> list[str]:
    from cevns.viz.plotting import _plt, plot_scan, save

    fig = plot_scan(sc, cls=(0.6827, 0.9545, 0.9973), dof=2)
    ax = fig.axes[0]
    ax.set_xlabel(r"$\epsilon_{ee}^{u,V} = \epsilon_{ee}^{d,V}$")
    ax.set_ylabel(r"$\epsilon_{\mu\mu}^{u,V} = \epsilon_{\mu\mu}^{d,V}$")
    ax.set_title("COHERENT CsI 2017 timing, heavy mediator (seed 002 Fig. 3)", fontsize="small")
    paths = save(fig, out / "dfs2018_fig3")
    _plt().close(fig)
    return [p.name for p in paths]


def _plot_fig7(
    panels: Mapping[str, Mapping[str, ScanResult]], masses: NDArray[np.float64], out: Path
) -> list[str]:
    from cevns.physics.nsi import couplings_from_eps
    from cevns.viz.plotting import _plt, save, style

    plt = _plt()
    style()
    level = delta_chi2_threshold(0.95, 2)
    fig, axes = plt.subplots(1, 2, figsize=(16, 6.5))
    fig.subplots_adjust(wspace=0.35)  # room for the right panel's y label
    colors = {
        "COHERENT CsI 2017": "C0",
        "CONUS Ge (projection)": "C2",
        "COHERENT CsI, 10 more years (forecast)": "C3",
    }
    for ax, (flavour, scans) in zip(axes, panels.items(), strict=True):
        for label, sc in scans.items():
            d = sc.delta_chi2.T
            future = "forecast" in label or "projection" in label  # seed 002: dashed
            ls = "--" if future else "-"
            ax.contourf(
                masses, FIG7_ROOTS, d, levels=[level, np.inf], colors=[colors[label]], alpha=0.25
            )
            ax.contour(
                masses, FIG7_ROOTS, d, levels=[level], colors=[colors[label]], linestyles=[ls]
            )
            ax.plot([], [], color=colors[label], ls=ls, label=f"{label}, 95% CL (2 dof)")
        x = 0 if flavour == "ee" else 2
        ax.plot(
            masses,
            np.sqrt(np.abs(couplings_from_eps(0.5, masses))),
            "k",
            label=f"LMA-Dark, x = {x}",
        )
        ax.axvspan(masses[0], 5.3, color="orange", alpha=0.25, label="BBN/CMB (< 5.3 MeV)")
        ax.set(
            xscale="log",
            yscale="log",
            xlim=(masses[0], masses[-1]),
            ylim=(FIG7_ROOTS[0], FIG7_ROOTS[-1]),
        )
        ax.set_xlabel(r"$M_{Z'}$ [MeV]")
        sign = "<" if flavour == "ee" else ">"
        ax.set_ylabel(
            rf"$|g_{{\nu_{{{'e' if flavour == 'ee' else chr(92) + 'mu'}}}}} g_q|^{{1/2}}$"
            rf"  ($g_\nu g_q {sign} 0$)"
        )
        # above the panel: inside, it would cover the curves or the shaded regions
        ax.legend(fontsize="x-small", loc="lower left", bbox_to_anchor=(0.0, 1.01), frameon=False)
    paths = save(fig, out / "dfs2018_fig7")
    plt.close(fig)
    return [p.name for p in paths]


def _etau_note(experiment: Experiment) -> str:
    """How much the printed |eps_etau| = 0.014 changes the prediction (a sensitivity check)."""
    fam = tree_family("nsi_etau_q_tree")
    sm = experiment.expected(fam).signal
    at = experiment.expected(fam, {"eps_etau_q": 0.014}).signal
    err = experiment.dataset.errors
    shift = ", ".join(f"{d:+.2f}" for d in (at - sm))
    sig = ", ".join(f"{e:.1f}" for e in err) if err is not None else "n/a"
    return (
        f"at the printed edge eps_etau = 0.014 the prompt/delayed predictions move by "
        f"({shift}) events against errors ({sig}): a 90% CL edge there is not possible with "
        "the Eq. 4.8 chi2 (e-tau enters only the nu_e rate, quadratically), so the printed "
        "value looks like a misprint; e-mu and mu-tau agree"
    )


def _plot_conus(bounds: Mapping[str, ConusBound], out: Path) -> list[str]:
    from cevns.viz.plotting import _plt, plot_scan, save

    fig = None
    ax = None
    for case, b in bounds.items():
        det, variant = case.split(".")
        label = f"{det.capitalize()}, " + {
            "x0": "x = 0, 10%",
            "x1p5": "x = 3/2, 10%",
            "sys1pct": "x = 0, 1%",
        }.get(variant, variant)
        fig = plot_scan(b.scan, ax, cls=(), absolute=True, label=label)
        ax = fig.axes[0]
    if fig is None or ax is None:
        return []
    thr = delta_chi2_threshold(_CL_MASS, 1)
    ax.axhline(thr, ls="--", color="gray", lw=1, label=f"95% CL, 1 dof ({thr:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel(r"$M_{Z'}$ [MeV]")
    ax.set_ylabel(r"$\chi^2$ (Asimov SM, count only)")
    ax.set_title("CONUS-like projections, LMA-Dark (seed 002 Sec. 5.2)", fontsize="small")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    paths = save(fig, out / "dfs2018_conus")
    _plt().close(fig)
    return [p.name for p in paths]


# --------------------------------------------------------------------------- run
def _absolute_sm_pe(sm_tree: NSIModel) -> dict[str, float]:
    """SM events of the full CsI 2017 detector in 6-30 PE, no normalisation."""
    from cevns.experiments.coherent_csi_2017 import CsI2017Detector, coherent_csi_2017_flux
    from cevns.likelihood.signal import Signal

    sig = Signal(coherent_csi_2017_flux(), CsI2017Detector())
    models = {
        "tree_0.2225": sm_tree,
        "tree_low_energy": NSIModel.sm(couplings="tree"),
        "radiative": NSIModel.sm(),
    }
    return {k: float(sig.expected_counts(m).sum()) for k, m in models.items()}


def run(out_dir: Path, progress: bool = True, *, n_masses: int = 61) -> Summary:
    """Reproduce the seed-002 numbers and Fig. 2; write plots and the summary.

    Parameters
    ----------
    out_dir : Path
        Plots and ``summary.json``/``summary.md`` go into ``out_dir / "dfs2018"``.
    progress : bool
        Print progress lines on stderr.
    n_masses : int
        Mediator masses of the Fig. 2 grid (log-spaced, 1 MeV to 1 GeV).

    Returns
    -------
    Summary
    """
    t_start = time.perf_counter()
    s = Summary("dfs2018", "Denton, Farzan & Shoemaker 2018: COHERENT timing, LMA-Dark, NSI")
    out = Path(out_dir) / "dfs2018"
    out.mkdir(parents=True, exist_ok=True)

    # --- P_c (Eq. 4.2) and the degenerate eps (Eq. 4.6)
    p_c = prompt_contamination(0.695, 1.0, lorentz_gamma=MUON_GAMMA_PIDAR)
    p_rest = prompt_contamination(0.695, 1.0)
    s.add(
        "p_c",
        p_c,
        f"Gamma tau with Gamma = {MUON_GAMMA_PIDAR:.4f} (muon from pi DAR); with the muon "
        f"lifetime at rest (Gamma = 1) Eq. 4.2 gives {p_rest:.4f}",
    )
    csi = Target.by_name("csi")
    w = np.asarray(csi.counts)
    z = float(np.sum(w * [n.z for n in csi.nuclei]) / w.sum())
    n = float(np.sum(w * [n.n for n in csi.nuclei]) / w.sum())
    sm_tree = NSIModel.sm(SIN2_THETA_W, couplings="tree")
    s.add(
        "eps_degenerate_csi",
        degenerate_eps(z, n, sm_tree),
        f"CsI mean Z = {z:g}, N = {n:g}, tree level sin2_theta_w = {SIN2_THETA_W} "
        f"(g_p = {sm_tree.g_p:.4f}, g_n = {sm_tree.g_n:.4f})",
    )

    # --- the experiment and its SM prediction
    _say(progress, f"loading {EXPERIMENT}")
    exp = load_experiment(EXPERIMENT)
    sm = tree_family("sm_tree")
    sm_expected = exp.expected(sm).signal
    sm_fit = _quiet_fit(exp.cost(sm))
    obs = exp.dataset.counts
    s.notes.append(
        f"Data (release, beam-on C - AC, 6 <= PE < 30): prompt [0, 1) us = {obs[0]:g}, "
        f"delayed [1, 12) us = {obs[1]:g}; errors sqrt(1.2 N_obs) = "
        f"{', '.join(f'{e:.2f}' for e in np.asarray(exp.dataset.errors))} (Eq. 4.8)."
    )
    s.notes.append(
        f"SM prediction (tree level, sin2_theta_w = {SIN2_THETA_W}): the framework's absolute "
        f"count above 7 keVnr (no acceptance) for 1.680e23 POT is "
        f"{exp.reference_events or 0.0:.1f}; seed 002 normalises it to 173 (factor "
        f"{exp.exposure_factor:.4f}): prompt {sm_expected[0]:.2f}, delayed "
        f"{sm_expected[1]:.2f}. SM chi2 (flux_norm profiled) = {sm_fit.fval:.3f} at "
        f"flux_norm = {sm_fit.values[exp.prefixed('flux_norm')]:.3f}."
    )

    absolute = _absolute_sm_pe(sm_tree)
    s.notes.append(
        "Absolute SM prediction of the framework for the 2017 exposure with the full CsI "
        "detector (QF 0.0878, 13.348 PE/keVee, Poisson PE, 2017 acceptance at integer PE, "
        f"6 <= PE < 30, 1.680e23 POT): {absolute['tree_0.2225']:.1f} events at tree level "
        f"(sin2_theta_w = 0.2225), {absolute['tree_low_energy']:.1f} at sin2_theta_w = 0.23857, "
        f"{absolute['radiative']:.1f} with radiative couplings; x 1.0477 for the quoted "
        "1.76e23 POT. COHERENT: 173 +- 48."
    )

    # --- Fig. 2
    _say(progress, f"Fig. 2: {len(FIG2_X)} fixed-x curves and the marginalised one")
    masses = np.geomspace(1.0, 1000.0, n_masses)
    res = fig2(exp, masses)
    cost = exp.cost(tree_family("lma_dark_tree"))
    thr95 = delta_chi2_threshold(_CL_MASS, 1)

    def marginal_at(mass: float) -> float:
        return float(_chi2_marginal(cost, mass).fval)

    b_marg = lma_dark_mass_bound(masses, res.curves["marginalised"], marginal_at, thr95)
    k = np.argmin(np.abs(masses - (b_marg or masses[-1])))
    s.add(
        "lma_dark_mz_bound_mev.marginalized",
        b_marg,
        f"chi2 (minimised over x) > {thr95:.2f} for all M_Z' above; x at the bound "
        f"~ {res.x_best[k]:.2f}",
    )
    b_x0 = lma_dark_mass_bound(masses, res.curves[_label(0.0)], _fixed_x(cost, 0.0), thr95)
    s.add("lma_dark_mz_bound_mev.x0", b_x0, f"x = 0: chi2 > {thr95:.2f} for all M_Z' above")
    for x, qid in ((1.5, "chi2_zero_mz_mev.x1p5"), (1.0, "chi2_zero_mz_mev.x1")):
        minima = _local_minima(masses, res.curves[_label(x)], _fixed_x(cost, x))
        listing = ", ".join(f"{m:.1f} MeV (chi2 {c:.3f})" for m, c in minima)
        if minima:
            # the dip at the highest mass is the one that shapes the exclusion (seed 002
            # Sec. 5.1: "the higher mass minimum"); every minimum is listed in the note
            m_hi, c_hi = minima[-1]
            s.add(
                qid,
                m_hi,
                f"highest-mass local minimum of chi2 at x = {x:g} (chi2 = {c_hi:.3f}); "
                f"all minima: {listing}",
            )
        else:
            s.add(qid, None, f"no interior minimum of chi2 at x = {x:g} on the grid")
    s.plots.extend(_plot_fig2(res, out))

    # --- Table 2 and chi2_min
    _say(progress, "Table 2: one-at-a-time heavy-mediator intervals")
    t2 = table2(exp)
    for pair, (iv, sc) in t2.items():
        opens = " (open at the scan edge)" if iv.open_low or iv.open_high else ""
        note = f"Delta chi2 < {iv.threshold:.3f} around chi2_min = {sc.chi2_min:.3f}{opens}"
        if pair == "etau":
            note += "; " + _etau_note(exp)
        s.add(f"table2.{pair}", _interval_value(iv), note)
    ee_fit = _quiet_fit(
        exp.cost(tree_family("nsi_ee_q_tree")),
        multistart=[{"eps_ee_q": v} for v in (-0.1, 0.1, 0.2, 0.3)],
    )
    s.add(
        "chi2_min.ee_heavy",
        ee_fit.fval,
        f"best fit eps_ee^q = {ee_fit.values['eps_ee_q']:.4f}, flux_norm = "
        f"{ee_fit.values[exp.prefixed('flux_norm')]:.3f}; the SM gives {sm_fit.fval:.3f}. "
        "The chi2 level depends on N_obs, which seed 002 does not print",
    )
    s.plots.extend(_plot_table2(t2, out))

    # --- CONUS-like projections (Sec. 5.2, Fig. 6)
    _say(progress, "CONUS-like Ge/Si projections (both conventions of the systematic)")
    conus = conus_bounds()
    conus_pull = conus_bounds(convention="pull")
    for case, b in conus.items():
        det, variant = case.split(".")
        sys_txt = "1%" if variant == "sys1pct" else "10%"
        x_txt = "3/2" if variant == "x1p5" else "0"
        s.add(
            f"conus_mz_bound_mev.{case}",
            b.bound_mev,
            f"conus_{det}.toml: x = {x_txt}, {sys_txt} of the SM count in the error budget "
            "(sigma^2 = N + (f N)^2), 1e5 Asimov SM events, count only; chi2 > 3.84 above",
        )
    for case, b in conus_pull.items():
        det, variant = case.split(".")
        sys_txt = "1%" if variant == "sys1pct" else "10%"
        s.add(
            f"conus_mz_bound_mev_pull.{case}",
            b.bound_mev,
            f"variant: {sys_txt} Gaussian pull on the predicted normalisation (profiled) "
            f"instead; {conus[case].bound_mev:.3g} MeV with the seed-002 convention",
        )
    s.notes.append(
        "CONUS projections (Sec. 5.2): how the 10% systematic enters the count-only chi2 "
        "decides the bounds. As a fraction of the expected SM count in the measurement's "
        "error budget, chi2 = (N - N_SM)^2 / (N_SM + (0.1 N_SM)^2), the bounds are "
        + ", ".join(f"{c} {conus[c].bound_mev:.3g}" for c in conus)
        + " MeV (paper 1.3, 0.45, 2.6, 0.9, 0.45, 0.15): this is the paper's convention and "
        "the reproduction's. As a pull on the prediction (flux normalisation profiled, the "
        "systematic a fraction of N), chi2 = (N - N_SM)^2 / (N_SM + (0.1 N)^2) and the bounds "
        "are "
        + ", ".join(f"{c} {conus_pull[c].bound_mev:.3g}" for c in conus_pull)
        + " MeV, 10-15% weaker with 10% (LMA-Dark raises the count, so the pull's error "
        "grows with it), the same with 1%. The reactor spectrum is not the cause: "
        "BESTIOLE instead of Huber-Mueller, or a typical fuel mix (U235 0.56, Pu239 0.31, "
        "U238 0.07, Pu241 0.06) instead of U-235 alone, moves the 10% bounds by < 0.5%."
    )
    s.plots.extend(_plot_conus(conus, out))

    # --- Fig. 3 and Fig. 7
    _say(progress, "Fig. 3: (eps_ee, eps_mumu) plane; Fig. 7: couplings versus mass")
    s.plots.extend(_plot_fig3(fig3(exp), out))
    m7 = np.geomspace(1.0, 1000.0, 25)
    conus_ge = load_experiment("conus_ge")
    ten = coherent_forecast(10.0, base=exp)
    future = "COHERENT CsI, 10 more years (forecast)"
    panels = {
        "ee": {
            "COHERENT CsI 2017": fig7(exp, m7, "ee", -1.0),
            future: fig7(ten, m7, "ee", -1.0),
            "CONUS Ge (projection)": fig7(conus_ge, m7, "ee", -1.0),
        },
        "mumu": {
            "COHERENT CsI 2017": fig7(exp, m7, "mumu", +1.0),
            future: fig7(ten, m7, "mumu", +1.0),
        },
    }
    s.plots.extend(_plot_fig7(panels, m7, out))

    # --- Fig. 5: the expected bound versus real time (Asimov SM, 50% uptime)
    _say(progress, f"Fig. 5: forecasts for {len(FIG5_YEARS)} exposures")
    f5 = fig5(base=exp)
    x0_bounds = []
    x0_values: dict[float, float | None] = {}
    cont_bounds = []
    for y, p5 in f5.items():
        r5 = p5.curves
        k5 = FORECAST_UPTIME * 365.25 * y / LIVE_DAYS_2017
        grid_env = np.min(np.stack([r5.curves[_label(x)] for x in FIG2_X]), axis=0)
        dip = float(np.min(grid_env[r5.masses > 20.0]))
        dip_c = float(np.min(r5.curves["marginalised"][r5.masses > 20.0]))
        s.add_result(
            f"fig5.lma_dark_mz_bound_mev.{y:g}yr",
            p5.bound_fig2_x,
            "MeV",
            f"Asimov SM, {y:g} years at {FORECAST_UPTIME:.0%} uptime ({k5:.2f} x the 2017 "
            f"exposure), x marginalised over the Fig. 2 values {list(FIG2_X)}; lowest chi2 "
            f"above 20 MeV on the grid: {dip:.3f}",
        )
        s.add_result(
            f"fig5_continuous_x.lma_dark_mz_bound_mev.{y:g}yr",
            p5.bound_continuous,
            "MeV",
            f"variant: x a continuous fit parameter; lowest chi2 above 20 MeV: {dip_c:.3f} "
            "(the two-bin Asimov chi2 has an exact zero near 40 MeV, x ~ 1.7)",
        )
        cont_bounds.append(
            f"{y:g} yr: "
            + ("none" if p5.bound_continuous is None else f"{p5.bound_continuous:.1f} MeV")
        )
        c5 = coherent_forecast(y, base=exp).cost(tree_family("lma_dark_tree"))
        bx = lma_dark_mass_bound(r5.masses, r5.curves[_label(0.0)], _fixed_x(c5, 0.0), thr95)
        x0_bounds.append(f"{y:g} yr: " + ("none" if bx is None else f"{bx:.1f} MeV"))
        x0_values[y] = bx
        if y == 10.0:
            s.add(
                "forecast_10yr_mz_bound_mev.x0",
                bx,
                "ours: x = 0 (nu_e only, Fig. 7 left), Asimov SM, 10 years at 50% uptime; "
                f"the current data give {b_x0 or float('nan'):.1f} MeV",
            )
    last = f5[max(f5)]
    dropped = [y for y, p5 in f5.items() if p5.bound_fig2_x is not None and p5.bound_fig2_x < 30]
    s.add_result(
        "fig5.drop_after_years",
        min(dropped) if dropped else None,
        "years",
        "first real time of the grid "
        f"{list(FIG5_YEARS)} at which the expected bound (x over the Fig. 2 values) falls "
        "below 30 MeV: the dip of x = 3/2 near 48 MeV passes chi2 = 3.84",
    )
    s.add(
        "fig5.saturated_bound_mev",
        last.bound_fig2_x,
        f"ours: the {max(f5):g}-year Asimov bound, x marginalised over the Fig. 2 values "
        f"{list(FIG2_X)}; with x continuous it stays at "
        f"{last.bound_continuous or float('nan'):.1f} MeV (a dip at chi2 ~ 0 near 40 MeV, "
        "x ~ 1.7, that no exposure lifts). The drop of the paper's Fig. 5 happens only "
        "with a finite set of x; when it happens depends on how close the set comes to "
        "x ~ 1.7",
    )
    s.notes.append(
        "Forecasts (Sec. 5.1, Fig. 5, 7): Asimov data = the SM prediction for uptime x "
        "365.25 x years live days (k times the 2017 exposure of 308.1 days), seed-002 "
        "errors sigma^2 = 1.2 N and the 20% pull. At x = 0 alone the expected bounds are "
        + ", ".join(x0_bounds)
        + f". Fig. 5 marginalises over the Fig. 2 values of x {list(FIG2_X)} (fig5.*); "
        "with x a continuous fit parameter the bounds are "
        + ", ".join(cont_bounds)
        + " (fig5_continuous_x.*)."
    )
    s.plots.extend(_plot_fig5(f5, b_marg, out, x0_values))

    # --- seed 001: 10 kg yr of 76Ge at the SNS (the talk's ref. 1701.04828)
    _say(progress, "seed 001: 10 kg yr of 76Ge at a pi-DAR source (Asimov SM)")
    ge = ge76_pion_dar(10.0)
    n_p, n_d = (float(v) for v in ge.dataset.counts)
    lo_sm = NSIModel.sm(0.23857, couplings="tree")
    n_lo = np.asarray(ge.signal.expected_counts(lo_sm), dtype=float).ravel()
    setup = (
        "76Ge, 22 m, 5 keVnr, 10 kg x 1 yr at the 2017 CsI-run beam (1.99e23 POT), P_c = "
        "0.138, tree-level SM at sin2_theta_w = 0.2225"
    )
    for qid, val, alt in (("prompt", n_p, n_lo[0]), ("delayed", n_d, n_lo[1])):
        s.add(
            f"ge76_pion_dar_10kgyr.sm_events.{qid}",
            val,
            f"{setup}; {alt:.1f} at sin2_theta_w = 0.23857",
        )
    c_ee = ge.cost(tree_family("nsi_ee_q_tree"))
    lmad = _quiet_fit(c_ee, fix={"eps_ee_q": -0.5})
    s.add_result(
        "ge76_pion_dar_10kgyr.lma_dark_heavy_delta_chi2",
        float(lmad.fval),
        "",
        "Delta chi2 of the canonical LMA-Dark point (x = 0: eps_ee^{u,V} = eps_ee^{d,V} = "
        f"-1/2, heavy mediator) against the Asimov SM, normalisation profiled (at "
        f"{lmad.values[ge.prefixed('flux_norm')]:.3f}; 10% pull, sigma^2 = 1.2 N): "
        f"{math.sqrt(lmad.fval):.1f} sigma for 1 dof. The talk shows the sensitivity as a "
        "figure only",
    )
    ee_scan = profile_scan(c_ee, {"eps_ee_q": np.linspace(-0.7, 0.5, 241)})
    segs = ee_scan.interval(_CL_MASS).to_list()
    eps_deg = degenerate_eps(32.0, 44.0, tree_family("sm_tree").build())
    s.add_result(
        "ge76_pion_dar_10kgyr.eps_ee_q_95cl",
        segs,
        "",
        "heavy-mediator eps_ee^{q,V} (u = d) allowed at 95% CL (1 dof) by the Asimov SM; the "
        f"second segment is around the degenerate eps = {eps_deg:.4f} of 76Ge (seed 002 Eq. "
        "4.6; the talk: eps_deg in [0.15, 0.18] for Y_n in [1, 1.43])",
    )

    s.runtime_s = time.perf_counter() - t_start
    s.write(out_dir)
    _say(progress, f"done in {s.runtime_s:.1f} s")
    return s
