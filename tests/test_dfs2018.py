"""Reproduction of Denton, Farzan & Shoemaker 2018 (seed 002) on the COHERENT CsI 2017 data.

Each number is pinned twice: tightly to what this implementation gives, and against the
paper with the tolerance the agreement honestly allows (see the notes of each test).
"""

import json
import math

import numpy as np
import pytest

from cevns import NSIModel, Target
from cevns.config import load_experiment
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.nsi import degenerate_eps
from cevns.reproduce import dfs2018, published
from cevns.sources.spallation import MUON_GAMMA_PIDAR, prompt_contamination
from cevns.stats.fit import fit
from cevns.stats.scan import delta_chi2_threshold


@pytest.fixture(scope="module")
def exp():
    return load_experiment(dfs2018.EXPERIMENT)


def _pub(qid):
    return published("dfs2018", qid).value


def test_p_c():
    p_c = prompt_contamination(0.695, 1.0, lorentz_gamma=MUON_GAMMA_PIDAR)
    assert p_c == pytest.approx(0.24572, abs=1e-5)
    assert p_c == pytest.approx(_pub("p_c"), abs=1e-3)  # printed 0.246


def test_eps_degenerate():
    csi = Target.by_name("csi")
    z = np.mean([n.z for n in csi.nuclei])
    n = np.mean([n.n for n in csi.nuclei])
    eps = degenerate_eps(z, n, NSIModel.sm(dfs2018.SIN2_THETA_W, couplings="tree"))
    assert eps == pytest.approx(0.17962, abs=1e-4)
    assert eps == pytest.approx(_pub("eps_degenerate_csi"), abs=2e-3)


def test_chi2_min_ee_heavy(exp):
    res = fit(
        exp.cost(dfs2018.tree_family("nsi_ee_q_tree")),
        multistart=[{"eps_ee_q": v} for v in (-0.1, 0.1, 0.2, 0.3)],
    )
    assert res.valid
    assert res.fval == pytest.approx(1.792, abs=2e-3)
    assert res.values["eps_ee_q"] == pytest.approx(0.188, abs=2e-3)
    # paper 2.9: the chi2 level depends on N_obs (51, 101 here), which the paper does not
    # print; the best fit sits at the degenerate point in both cases
    assert abs(res.fval - _pub("chi2_min.ee_heavy")) < 1.2


@pytest.fixture(scope="module")
def table2(exp):
    return dfs2018.table2(exp, n_points=241)


# (pair, reproduced segments, tolerance against the paper on each edge)
TABLE2 = [
    ("ee", [[-0.0584, 0.0360], [0.1437, 0.2380]], 0.02),
    ("mumu", [[-0.0100, 0.0318], [0.1479, 0.1896]], 0.004),
    ("emu", [[-0.0544, 0.0544]], 0.002),
    ("mutau", [[-0.0546, 0.0546]], 0.005),
]


@pytest.mark.parametrize(("pair", "ours", "tol"), TABLE2)
def test_table2(table2, pair, ours, tol):
    iv, sc = table2[pair]
    assert iv.cl == 0.9
    assert iv.threshold == pytest.approx(delta_chi2_threshold(0.9, 1))
    np.testing.assert_allclose(iv.to_list(), ours, atol=3e-4)
    pub = _pub(f"table2.{pair}")
    pub = pub if isinstance(pub[0], list) else [pub]
    np.testing.assert_allclose(iv.to_list(), pub, atol=tol)
    assert not iv.open_low
    assert not iv.open_high
    assert sc.valid.all()


def test_table2_etau_differs_from_the_paper(table2):
    iv, _ = table2["etau"]
    np.testing.assert_allclose(iv.to_list(), [[-0.1179, 0.1179]], atol=3e-4)
    # the paper prints [-0.014, 0.014]: 8x tighter than these data allow (e-tau enters only
    # the nu_e rate, quadratically; see the note in dfs2018.run); a known discrepancy
    assert iv.to_list()[0][1] > 5 * _pub("table2.etau")[1]


@pytest.fixture(scope="module")
def fig2(exp):
    return dfs2018.fig2(exp, np.geomspace(1.0, 1000.0, 31))


def test_fig2_curves(fig2):
    assert set(fig2.curves) == {"x=0", "x=0.5", "x=1", "x=1.5", "x=2", "marginalised"}
    marg = fig2.curves["marginalised"]
    for x in ("x=0", "x=0.5", "x=1", "x=1.5", "x=2"):
        assert np.all(marg <= fig2.curves[x] + 1e-9)
    # M -> 0 is the SM (chi2 1.90); heavy LMA-Dark is excluded for every x
    assert fig2.curves["x=0"][0] == pytest.approx(1.90, abs=0.01)
    assert marg[-1] > 15.0


def test_fig2_bounds(exp, fig2):
    cost = exp.cost(dfs2018.tree_family("lma_dark_tree"))
    thr = delta_chi2_threshold(0.95, 1)

    def at_x0(m):
        return fit(cost, fix={"mediator_mass_mev": m, "x": 0.0}, hesse=False).fval

    b0 = dfs2018.lma_dark_mass_bound(fig2.masses, fig2.curves["x=0"], at_x0, thr)
    assert b0 == pytest.approx(17.41, abs=0.05)
    assert b0 == pytest.approx(_pub("lma_dark_mz_bound_mev.x0"), abs=1.0)  # paper: 17 MeV

    def marginal(m):
        starts = [{"x": v} for v in (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0)]
        return fit(cost, fix={"mediator_mass_mev": m}, multistart=starts, hesse=False).fval

    bm = dfs2018.lma_dark_mass_bound(fig2.masses, fig2.curves["marginalised"], marginal, thr)
    assert bm == pytest.approx(47.94, abs=0.1)
    assert bm == pytest.approx(_pub("lma_dark_mz_bound_mev.marginalized"), abs=1.0)


def test_run_writes_summary_and_plots(tmp_path):
    s = dfs2018.run(tmp_path, progress=False, n_masses=41)
    ids = {q.id: q for q in s.quantities}
    expected = {
        "p_c",
        "eps_degenerate_csi",
        "lma_dark_mz_bound_mev.marginalized",
        "lma_dark_mz_bound_mev.x0",
        "chi2_zero_mz_mev.x1p5",
        "chi2_zero_mz_mev.x1",
        "chi2_min.ee_heavy",
        *(f"table2.{p}" for p in ("ee", "mumu", "emu", "etau", "mutau")),
        *(f"conus_mz_bound_mev.{c[0]}" for c in dfs2018.CONUS_CASES),
        *(f"conus_mz_bound_mev_pull.{c[0]}" for c in dfs2018.CONUS_CASES),
        "fig5.saturated_bound_mev",
        "forecast_10yr_mz_bound_mev.x0",
        *(f"fig5.lma_dark_mz_bound_mev.{y:g}yr" for y in dfs2018.FIG5_YEARS),
        *(f"fig5_continuous_x.lma_dark_mz_bound_mev.{y:g}yr" for y in dfs2018.FIG5_YEARS),
        "fig5.drop_after_years",
        "ge76_pion_dar_10kgyr.sm_events.prompt",
        "ge76_pion_dar_10kgyr.sm_events.delayed",
        "ge76_pion_dar_10kgyr.lma_dark_heavy_delta_chi2",
        "ge76_pion_dar_10kgyr.eps_ee_q_95cl",
    }
    assert expected <= set(ids)
    # x = 3/2: chi2 nearly vanishes at 38.5 MeV (paper 38); x = 1: 14.8 MeV (paper 18)
    assert ids["chi2_zero_mz_mev.x1p5"].reproduced == pytest.approx(38.5, abs=0.3)
    assert ids["chi2_zero_mz_mev.x1p5"].reproduced == pytest.approx(38.0, abs=1.0)
    assert ids["chi2_zero_mz_mev.x1"].reproduced == pytest.approx(14.78, abs=0.1)
    assert ids["chi2_zero_mz_mev.x1"].reproduced == pytest.approx(18.0, abs=3.5)
    d = tmp_path / "dfs2018"
    names = ("dfs2018_fig2", "dfs2018_table2", "dfs2018_conus", "dfs2018_fig3", "dfs2018_fig7")
    for name in (*names, "dfs2018_fig5"):
        assert (d / f"{name}.png").stat().st_size > 0
        assert not (d / f"{name}.pdf").exists()  # PNG unless --pdf
    summary = json.loads((d / "summary.json").read_text())
    assert summary["analysis"] == "dfs2018"


def test_fig3_has_the_four_islands(exp):
    # seed 002 Fig. 3: the 1 sigma region (2 dof) of (eps_ee, eps_mumu) splits into
    # disjoint islands around the SM point and the sign-flipped weak charges
    sc = dfs2018.fig3(exp, n=31)
    inside = sc.delta_chi2 < 2.30
    assert inside[np.argmin(np.abs(sc.axes[0])), np.argmin(np.abs(sc.axes[1]))]  # SM allowed
    centre = (np.argmin(np.abs(sc.axes[0] - 0.1)), np.argmin(np.abs(sc.axes[1] - 0.1)))
    assert not inside[centre]  # the hole between the islands


# (case, reproduced bound [MeV] with the seed-002 convention (the systematic in the error
# budget of the SM count), with the pull convention, paper [MeV] (seed 002 Sec. 5.2, Fig. 6),
# relative tolerance against the paper)
CONUS = [
    # the paper rounds to 2 significant digits: 1.3 covers 1.25-1.35, i.e. +-4%; 5% is the
    # rounding plus the 0.5% the reactor spectrum moves these bounds
    ("ge.x0", 1.2975, 1.442, 1.3, 0.05),
    ("si.x0", 0.4482, 0.4976, 0.45, 0.05),
    # 2.6 and 0.9: +-2% / +-6% rounding; our 2.66 / 0.93 sit 2.4% / 2.8% above
    ("ge.x1p5", 2.6631, 2.9787, 2.6, 0.06),
    ("si.x1p5", 0.9255, 1.0353, 0.9, 0.06),
    # 1%: the statistics (sqrt(1e5) = 0.3%) matter, the two conventions nearly agree;
    # the paper's 0.45 is 5.4% above our 0.426 (the largest offset; rounding allows +-1%)
    ("ge.sys1pct", 0.4259, 0.4299, 0.45, 0.06),
    ("si.sys1pct", 0.1480, 0.1494, 0.15, 0.05),
]


@pytest.fixture(scope="module")
def conus():
    m = np.geomspace(0.05, 10.0, 31)
    return {c: dfs2018.conus_bounds(m, convention=c) for c in dfs2018.CONUS_CONVENTIONS}


@pytest.mark.parametrize(("case", "ours", "ours_pull", "paper", "rel"), CONUS)
def test_conus_bounds(conus, case, ours, ours_pull, paper, rel):
    b, bp = conus["measurement"][case], conus["pull"][case]
    assert b.convention == "measurement"
    assert bp.convention == "pull"
    # brentq locates the crossing to xtol 1e-4 in log(M): 2e-3 relative is far above it
    assert b.bound_mev == pytest.approx(ours, rel=2e-3)
    assert bp.bound_mev == pytest.approx(ours_pull, rel=2e-3)
    assert paper == _pub(f"conus_mz_bound_mev.{case}")
    assert paper == _pub(f"conus_mz_bound_mev_pull.{case}")
    assert b.bound_mev == pytest.approx(paper, rel=rel)
    assert b.scan.chi2[0] < 0.1  # towards M -> 0 LMA-Dark turns into the SM (the Asimov data)
    # the pull makes the systematic a fraction of the (larger) LMA-Dark count: weaker bounds
    assert bp.bound_mev >= b.bound_mev


def _ratio_at_bound(chi2_formula, sigma_sys, n=1e5):
    """Independent: the N / N_SM where a count-only chi2 formula reaches 3.84 (scipy root)."""
    from scipy import optimize

    thr = delta_chi2_threshold(0.95, 1)
    return optimize.brentq(lambda r: chi2_formula(r, n, sigma_sys) - thr, 1.0 + 1e-9, 3.0)


@pytest.mark.parametrize("convention", ["measurement", "pull"])
@pytest.mark.parametrize("sigma_sys", [0.1, 0.01])
def test_conus_chi2_conventions_against_closed_forms(convention, sigma_sys):
    # the two conventions in closed form (seed 002 Sec. 5.2: count only, 1e5 SM events):
    # measurement: chi2 = (N - N_SM)^2 / (N_SM + (f N_SM)^2)
    # pull, profiled: chi2 = (N - N_SM)^2 / (N_SM + (f N)^2)
    formulas = {
        "measurement": lambda r, n, f: (r - 1) ** 2 * n**2 / (n + (f * n) ** 2),
        "pull": lambda r, n, f: (r - 1) ** 2 * n**2 / (n + (f * r * n) ** 2),
    }
    exp = load_experiment("conus_ge", dfs2018.conus_overrides(sigma_sys, convention))
    fam = dfs2018.tree_family("lma_dark_tree")
    cost = exp.cost(fam)
    sm = float(exp.expected(dfs2018.tree_family("sm_tree")).signal.sum())
    assert sm == pytest.approx(1e5, rel=1e-9)
    for mass in (0.3, 1.0, 3.0):
        n = float(exp.expected(fam, {"mediator_mass_mev": mass, "x": 0.0}).signal.sum())
        chi2 = fit(cost, fix={"mediator_mass_mev": mass, "x": 0.0}, hesse=False).fval
        # the pull chi2 is minimised by migrad (EDM 2e-4 by default): 1e-3 absolute
        assert chi2 == pytest.approx(formulas[convention](n / sm, 1e5, sigma_sys), abs=1e-3)
    r = _ratio_at_bound(formulas[convention], sigma_sys)
    cases = [("ge", "ge", 0.0, sigma_sys)]
    b = dfs2018.conus_bounds(np.geomspace(0.05, 10.0, 31), cases, convention)["ge"].bound_mev
    n_b = float(exp.expected(fam, {"mediator_mass_mev": b, "x": 0.0}).signal.sum())
    assert n_b / sm == pytest.approx(r, rel=1e-3)


def test_conus_file_errors_are_the_stated_convention():
    # the 10% error written in conus_*.toml is sqrt(N + (0.1 N)^2), N = 1e5, as its comment says
    for det in ("ge", "si"):
        exp = load_experiment(f"conus_{det}")
        assert exp.dataset.errors.tolist() == pytest.approx([np.sqrt(1e5 + 1e8)], rel=1e-12)
        assert exp.dataset.errors.tolist() == pytest.approx(
            dfs2018.conus_overrides(0.1)["dataset.errors"], rel=1e-12
        )


def test_conus_bad_input():
    with pytest.raises(ValueError, match=r"convention must be one of .*got 'shape'"):
        dfs2018.conus_bounds(convention="shape")
    with pytest.raises(ValueError, match=r"sigma_sys must be a finite number > 0, got -0\.1"):
        dfs2018.conus_overrides(-0.1)


def test_coherent_forecast_is_the_scaled_asimov_sm(exp):
    # 10 years at 50% uptime: k = 0.5 x 3652.5 / 308.1 live days (seed 002 Sec. 5.1, Fig. 7)
    k = 0.5 * 365.25 * 10.0 / 308.1
    ten = dfs2018.coherent_forecast(10.0)
    sm = dfs2018.tree_family("sm_tree")
    # the prediction scales linearly with the exposure and the data are that prediction
    np.testing.assert_allclose(ten.expected(sm).signal, k * exp.expected(sm).signal, rtol=1e-9)
    np.testing.assert_allclose(ten.dataset.counts, ten.expected(sm).signal, rtol=1e-9)
    # seed-002 errors of those counts: sigma^2 = N + 0.2 N (Eq. 4.8)
    np.testing.assert_allclose(ten.dataset.errors**2, 1.2 * ten.dataset.counts, rtol=1e-12)
    assert fit(ten.cost(sm)).fval == pytest.approx(0.0, abs=1e-8)  # Asimov: chi2 = 0 at the SM


def test_coherent_forecast_bad_input():
    with pytest.raises(InvalidParameterError, match=r"years must be a finite number > 0, got -1"):
        dfs2018.coherent_forecast(-1.0)
    with pytest.raises(InvalidParameterError, match=r"uptime must be a number in \(0, 1\]"):
        dfs2018.coherent_forecast(1.0, uptime=1.5)


def test_fig5_forecast_drops_only_with_a_finite_set_of_x():
    # seed 002 Fig. 5: the expected bound drops "when the higher mass minimum seen in Fig. 2
    # passes the threshold" and saturates at ~10 MeV. With x minimised over the values of
    # the Fig. 2 curves the dip of x = 3/2 (near 48 MeV) grows with the exposure and
    # passes chi2 = 3.84 between 7 and 10 years; with x continuous the two-bin Asimov chi2
    # keeps an exact zero near 40 MeV (x ~ 1.7) and the bound stays near 50 MeV.
    m = np.geomspace(1.0, 1000.0, 31)
    f5 = dfs2018.fig5((1.0, 7.0, 10.0), m)
    assert f5[1.0].bound_fig2_x == pytest.approx(50.93, abs=0.3)
    assert f5[7.0].bound_fig2_x == pytest.approx(49.06, abs=0.3)
    assert f5[10.0].bound_fig2_x == pytest.approx(12.91, abs=0.15)
    for y in (1.0, 10.0):
        assert f5[y].bound_continuous == pytest.approx(50.0, abs=1.0)
        r = f5[y].curves
        assert np.min(r.curves["marginalised"][r.masses > 20.0]) < 0.05
    assert _pub("fig5.saturated_bound_mev") == 10.0
    # independent of the bound logic: at fixed (M_Z', x) the Asimov chi2 grows with the
    # exposure k, at most linearly (statistics) and at least not at all (the 20% pull)
    k1, k10 = (0.5 * 365.25 * y / 308.1 for y in (1.0, 10.0))
    c1, c10 = (
        dfs2018.coherent_forecast(y).cost(dfs2018.tree_family("lma_dark_tree")) for y in (1, 10)
    )
    for mass in (40.0, 48.0):
        chi1 = dfs2018._chi2_fixed_x(c1, mass, 1.5)
        chi10 = dfs2018._chi2_fixed_x(c10, mass, 1.5)
        assert chi1 < chi10 <= chi1 * k10 / k1 * (1 + 1e-9)
    # after the drop the bound is the x = 0 one (Fig. 7 left, nu_e only): 12.9 MeV, seed
    # 002 Sec. 5.2 says LMA-Dark survives up to 12 MeV (a reading of a figure, +-1 MeV)
    cost = dfs2018.coherent_forecast(10.0).cost(dfs2018.tree_family("lma_dark_tree"))
    thr = delta_chi2_threshold(0.95, 1)
    r10 = f5[10.0].curves
    bx = dfs2018.lma_dark_mass_bound(m, r10.curves["x=0"], dfs2018._fixed_x(cost, 0.0), thr)
    assert bx == pytest.approx(f5[10.0].bound_fig2_x, rel=1e-6)
    assert bx == pytest.approx(_pub("forecast_10yr_mz_bound_mev.x0"), abs=1.0)


def test_ge76_pion_dar_counts_and_degeneracy():
    # seed 001 (talk): 10 kg yr of 76Ge 22 m from the SNS, 5 keVnr, "~100 prompt and ~200
    # delayed"; with the 2017 CsI-run beam and sin2_theta_w = 0.2225 (tree): 91.4, 166.6
    ge = dfs2018.ge76_pion_dar(10.0)
    n_p, n_d = ge.dataset.counts
    assert (n_p, n_d) == (pytest.approx(91.37, abs=0.05), pytest.approx(166.62, abs=0.05))
    assert n_p == pytest.approx(_pub("ge76_pion_dar_10kgyr.sm_events.prompt"), rel=0.15)
    assert n_d == pytest.approx(_pub("ge76_pion_dar_10kgyr.sm_events.delayed"), rel=0.2)
    # the prompt bin is nu_mu plus P_c = 0.138 of the delayed flavours; the delayed flavours
    # (nu_e + nu_mu-bar) have twice the flux of nu_mu and a harder spectrum
    assert n_d / (1 - 0.138) > 2 * (n_p - 0.138 * n_d / (1 - 0.138))
    # the exposure scales the counts linearly; 76Ge only (Z = 32, N = 44)
    twenty = dfs2018.ge76_pion_dar(20.0)
    np.testing.assert_allclose(twenty.dataset.counts, 2 * ge.dataset.counts, rtol=1e-9)
    assert [(n.z, n.n) for n in ge.signal.detector.target.nuclei] == [(32, 44)]
    # eps_ee^{q,V} = eps_deg (seed 002 Eq. 4.6 with Z = 32, N = 44) reproduces the SM
    # rate in both bins (nu_mu is untouched): chi2 = 0 there, independent of the data
    eps_deg = -2 * (32 * (0.5 - 2 * 0.2225) + 44 * (-0.5)) / (3 * 76)
    c = ge.cost(dfs2018.tree_family("nsi_ee_q_tree"))
    assert fit(c, fix={"eps_ee_q": eps_deg}).fval == pytest.approx(0.0, abs=1e-8)
    assert 0.15 <= eps_deg <= 0.18  # the talk's range for Y_n in [1, 1.43]
    with pytest.raises(InvalidParameterError, match=r"kg_years must be a finite number > 0"):
        dfs2018.ge76_pion_dar(0.0)


def test_bound_past_dips_sees_a_dip_between_grid_points():
    # a synthetic chi2(M): rising with M, plus a narrow dip at 40 MeV that falls to 0.2
    # (below 3.84) while every grid point stays above it; the grid shows it only as a local
    # minimum (37.5 MeV). The bound must be the upward crossing after the dip
    def chi2(mass):
        return 0.2 * mass - 3.0 * math.exp(-(((mass - 40.0) / 1.5) ** 2)) * 2.6

    m = np.array([10.0, 20.0, 30.0, 36.0, 37.5, 44.0, 60.0])
    curve = np.array([chi2(x) for x in m])
    assert np.all(curve[3:] > 3.84)
    assert curve[3] > curve[4] < curve[5]
    assert chi2(40.0) < 3.84
    naive = dfs2018.lma_dark_mass_bound(m, curve, chi2, 3.84)
    full = dfs2018._bound_past_dips(m, [curve], [chi2], chi2, 3.84)
    # roots to xtol = 1e-4 in ln M: 2e-3 MeV at 19 MeV, 1e-3 in chi2 (slope 0.2 M ~ 8.5)
    assert naive == pytest.approx(19.2, abs=2e-3)  # 0.2 M = 3.84 below the dip
    assert 40.0 < full < 44.0
    assert chi2(full) == pytest.approx(3.84, abs=1e-3)
