"""The exclusion edge of ``cevns.reproduce.flagship.exclusion_curve``: searched, not walked.

The edge at each mass is the first point of the eps path whose profile chi^2 exceeds the
threshold, interpolated from the point before. The search (a bracket grown from the
previous mass's crossing, then bisected) must find the same first crossing as walking the
path from its start, which is what the curve was defined by; here the walk is written out
with plain ``fit`` calls, independently of the search and its warm starts.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.reproduce import flagship
from cevns.reproduce.flagship import _first_crossing
from cevns.stats.fit import fit
from cevns.stats.scan import delta_chi2_threshold


class _Counted:
    def __init__(self, crossing: int) -> None:
        self.crossing, self.calls = crossing, []

    def __call__(self, k: int) -> bool:
        assert k not in self.calls, "a point is asked for twice"
        self.calls.append(k)
        return k >= self.crossing


@pytest.mark.parametrize("n", [1, 2, 5, 41])
def test_first_crossing_finds_every_crossing_from_every_guess(n):
    for crossing in range(n + 1):  # n: nothing above on the path
        for guess in [None, *range(n + 2)]:
            probe = _Counted(crossing)
            assert _first_crossing(probe, n, guess) == crossing
            # at most the widening (up to log2 n steps out) and a bisection of what it spans
            bound = 2 * math.ceil(math.log2(n + 1)) + 2
            assert len(probe.calls) <= bound, (crossing, guess, probe.calls)


def test_first_crossing_asks_two_points_when_the_edge_stays():
    probe = _Counted(17)
    assert _first_crossing(probe, 41, 17) == 17
    assert sorted(probe.calls) == [16, 17]
    probe = _Counted(18)  # moved by one point
    assert _first_crossing(probe, 41, 17) == 18
    assert len(probe.calls) <= 3


def _walked_edges(cost, masses, eps_path, level):
    """The definition: walk the path from the best fit, point after point, stop at the first
    point above ``chi2_min + level`` and interpolate in log|eps| (Minuit's defaults)."""
    free = [fit(cost, fix={"mediator_mass_mev": float(m)}, hesse=False, warn=False) for m in masses]
    chi2_min = min(r.fval for r in free)
    edges = []
    for m, best in zip(masses, free, strict=True):
        start, prev_e, prev_d, edge = dict(best.values), 0.0, best.fval - chi2_min, math.nan
        for e in eps_path:
            point = {"mediator_mass_mev": float(m), "eps_ee_q": float(e)}
            r = fit(cost, start=start | point, fix=point, hesse=False, warn=False)
            d = r.fval - chi2_min
            if d > level:
                if prev_e == 0.0:
                    edge = float(e)
                else:
                    t = (level - prev_d) / (d - prev_d)
                    edge = -math.exp(math.log(-prev_e) + t * (math.log(-e) - math.log(-prev_e)))
                break
            start, prev_e, prev_d = dict(r.values), float(e), d
        edges.append(edge)
    return np.array(edges), chi2_min


def test_exclusion_curve_is_the_walked_edge():
    """Dresden-II, 7 masses over 3 decades (the edge moves by several path points between
    masses, so the search widens and bisects): the same first crossings as the walk, the
    edges within 1e-5 relative (the fits' convergence: tol 1e-3 against Minuit's 0.1)."""
    cost = load_experiment("dresden_ii").cost("nsi_ee_q_light")
    masses = np.geomspace(1.0, 1000.0, 7)
    eps_path = -np.geomspace(1e-3, 300.0, 25)
    level = delta_chi2_threshold(0.9973, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fit of the search may fail here
        edges, chi2_min = flagship.exclusion_curve(cost, masses, eps_path=eps_path)
    walked, chi2_walk = _walked_edges(cost, masses, eps_path, level)
    assert chi2_min == pytest.approx(chi2_walk, rel=1e-7)
    assert np.array_equal(np.isnan(edges), np.isnan(walked))
    assert np.isfinite(edges).sum() >= 5  # the test sees real crossings
    np.testing.assert_allclose(edges, walked, rtol=1e-5)
