"""Benchmarks of the exclusion edge (flagship ``exclusion_curve``): searched versus walked.

``exclusion_curve`` finds the first point of the eps path above the threshold at each mass
by a bracket grown from the previous mass's crossing and bisected. The baseline, measured in
the same run, walks the path from its start point after point (what the curve did before),
with the same fitter settings and the same eps-free fits; both give the same edges (printed:
the largest relative difference and the fits each needed). Dresden-II alone and the
COHERENT CsI 2017 + LAr 2020 + Dresden-II combination, 31 masses. The templates at every
mass are built in the setup (untimed).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cevns.config import load_experiment
from cevns.reproduce import flagship
from cevns.stats.fit import PointFitter, fit
from cevns.stats.scan import delta_chi2_threshold

MASSES = np.geomspace(1.0, 1000.0, 31)
_TOL = 1e-3
#: Path fits of the last walk (printed by the setup).
_COUNT: dict[str, int] = {}


def _walked(cost: Any, masses: np.ndarray, eps_path: np.ndarray = flagship.EPS_PATH) -> np.ndarray:
    """The walk: every path point from the start up to the first one above the threshold."""
    level = delta_chi2_threshold(0.9973, 2)
    free_fitter = PointFitter(
        cost, fixed=("mediator_mass_mev",), strategy=0, tol=_TOL, gradient=True
    )
    free = [free_fitter.fit({}, {"mediator_mass_mev": float(m)}) for m in masses]
    chi2_min = min(f for f, _, _ in free)
    path = PointFitter(
        cost, fixed=("mediator_mass_mev", "eps_ee_q"), strategy=0, tol=_TOL, gradient=True
    )
    edges = np.full(masses.size, np.nan)
    _COUNT["walked"] = 0
    for i, (m, (fval0, _, best)) in enumerate(zip(masses, free, strict=True)):
        start, prev_e, prev_d = best, 0.0, fval0 - chi2_min
        for e in eps_path:
            point = {"mediator_mass_mev": float(m), "eps_ee_q": float(e)}
            fval, valid, values = path.fit(start, point)
            _COUNT["walked"] += 1
            if not valid:
                r = fit(cost, start=best | point, fix=point, hesse=False, warn=False, tol=_TOL)
                fval, values = r.fval, r.values
            d = fval - chi2_min
            if d > level:
                if prev_e == 0.0:
                    edges[i] = e
                else:
                    t = (level - prev_d) / (d - prev_d)
                    edges[i] = -np.exp(np.log(-prev_e) + t * (np.log(-e) - np.log(-prev_e)))
                break
            start, prev_e, prev_d = values, float(e), d
    return edges


def _cost(which: str) -> Any:
    family = "nsi_ee_q_light"
    dresden = load_experiment("dresden_ii").cost(family)
    if which == "dresden":
        cost = dresden
    else:
        cost = (
            load_experiment("coherent_csi_2017").cost(family)
            + load_experiment("coherent_lar_2020").cost(family)
            + dresden
        )
    for m in MASSES:  # templates and expansions at every mass, before the timed runs
        fit(cost, fix={"mediator_mass_mev": float(m)}, hesse=False, warn=False, details=False)
    return cost


def _bench(which: str, walked: bool) -> Any:
    def setup() -> Any:
        cost = _cost(which)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            searched = flagship.exclusion_curve(cost, MASSES)[0]
            walk = _walked(cost, MASSES)
        finite = np.isfinite(walk)
        rel = float(np.max(np.abs(searched[finite] / walk[finite] - 1.0))) if finite.any() else 0
        print(
            f"  exclusion_curve {which}: {int(finite.sum())} edges, searched vs walked max "
            f"relative difference {rel:.1e}; the walk fitted {_COUNT['walked']} path points"
        )

        def run() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if walked:
                    _walked(cost, MASSES)
                else:
                    flagship.exclusion_curve(cost, MASSES)

        return run

    return setup


BENCHMARKS = {
    "exclusion_curve_dresden_searched": _bench("dresden", walked=False),
    "exclusion_curve_dresden_walked": _bench("dresden", walked=True),
    "exclusion_curve_combined_searched": _bench("combined", walked=False),
    "exclusion_curve_combined_walked": _bench("combined", walked=True),
}
REPEATS = dict.fromkeys(BENCHMARKS, 2)
