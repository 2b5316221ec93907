"""CHARM, NuTeV and cosmology as likelihood terms (seed 001, seed 000 Sec. II)."""

import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import CostSum, NormalConstraint

from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.probes import (
    HEAVY_MEDIATOR_MIN_MEV,
    NUTEV_R,
    CharmCost,
    CosmologyBound,
    NuTeVCost,
    charm_ratio,
    effective_couplings,
    nutev_ratios,
)
from cevns.physics.families import family
from cevns.physics.nsi import NSIModel
from cevns.stats.fit import fit

from .test_experiment import _toy_experiment


# ---------------------------------------------------------------------- SM values
def test_charm_sm_ratio_matches_seed_001():
    """Seed 001: R_e,SM = 0.333 (two-loop couplings) vs measured 0.406 +- 0.140."""
    r_sm = charm_ratio(NSIModel.sm())
    assert r_sm == pytest.approx(0.333, abs=1e-3)  # quoted to 3 digits
    assert r_sm == pytest.approx(0.33353331, abs=1e-8)  # our couplings exactly
    cost = CharmCost("nsi_ee_q")
    assert cost.observed.tolist() == [0.406]
    assert cost.errors.tolist() == [0.140]
    assert cost.chi2() == pytest.approx(((r_sm - 0.406) / 0.140) ** 2, rel=1e-12)
    assert cost.chi2() < 1.0  # SM is consistent with CHARM


def test_sm_chiral_couplings():
    gl2, gr2 = effective_couplings(NSIModel.sm(), 0)
    assert gl2 == pytest.approx(0.3034, abs=1e-4)
    assert gr2 == pytest.approx(0.0302, abs=1e-4)
    assert effective_couplings(NSIModel.sm(), 1) == effective_couplings(NSIModel.sm(), 2)


def test_nutev_sm_values_and_chi2():
    """SM predictions of NuTeV; seed 001: corrected chi2_SM ~ 2.3, original 'anomaly'."""
    r_nu, r_nubar = nutev_ratios(NSIModel.sm())
    assert (r_nu, r_nubar) == (0.3950, 0.4066)
    corrected = NuTeVCost("nsi_mumu_q")
    np.testing.assert_allclose(corrected.observed, [0.3919 + 0.0017, 0.4050 - 0.0016], atol=1e-15)
    np.testing.assert_allclose(corrected.errors, [0.0013, 0.0027])
    # uncorrelated errors: ((0.3936-0.3950)/0.0013)^2 + ((0.4034-0.4066)/0.0027)^2 = 2.56
    assert corrected.chi2() == pytest.approx(2.5644, abs=1e-3)
    assert corrected.chi2() == pytest.approx(2.3, abs=0.5)  # seed 001 "~ 2.3"
    original = NuTeVCost("nsi_mumu_q", corrected=False)
    assert original.chi2() == pytest.approx(6.0376, abs=1e-3)
    assert original.chi2() > 2 * corrected.chi2()  # the NuTeV anomaly shrinks


# ---------------------------------------------------------------------- NSI dependence
def test_charm_nsi_dependence_follows_seed_001_formula():
    eps_u, eps_d = -0.3, 0.2
    m = NSIModel.vector_nsi({"ee_u": eps_u, "ee_d": eps_d, "emu_u": 0.1j})
    g = {("L", "u"): 0.3457, ("L", "d"): -0.4288, ("R", "u"): -0.1553, ("R", "d"): 0.0777}
    expected = 0.0
    for chir in "LR":
        expected += (g[(chir, "u")] + eps_u / 2) ** 2 + (g[(chir, "d")] + eps_d / 2) ** 2
        expected += abs(0.1j / 2) ** 2
    assert charm_ratio(m) == pytest.approx(expected, rel=1e-14)
    # CHARM only sees nu_e; NuTeV only sees nu_mu
    assert nutev_ratios(NSIModel.vector_nsi({"ee_q": 0.5})) == (0.3950, 0.4066)
    assert charm_ratio(NSIModel.vector_nsi({"mumu_q": 0.5})) == charm_ratio(NSIModel.sm())


def test_nutev_nsi_shift():
    eps = 0.02
    gl2_sm, gr2_sm = effective_couplings(NSIModel.sm(), 1)
    gl2, gr2 = effective_couplings(NSIModel.vector_nsi({"mumu_q": eps}), 1)
    r_nu, r_nubar = nutev_ratios(NSIModel.vector_nsi({"mumu_q": eps}))
    assert r_nu == pytest.approx(0.3950 + (gl2 - gl2_sm) + 0.5 * (gr2 - gr2_sm), rel=1e-14)
    assert r_nubar == pytest.approx(0.4066 + (gl2 - gl2_sm) + (gr2 - gr2_sm) / 0.5, rel=1e-14)
    # NuTeV is precise: eps_mumu^q = 0.1 is disfavoured (u and d partly cancel in g_L^2)
    cost = NuTeVCost("nsi_mumu_q")
    assert cost.chi2({"eps_mumu_q": 0.1}) - cost.chi2() > 4


def test_lma_dark_points_excluded_by_charm_for_heavy_mediators():
    """Seed 000 Sec. V: for M_Z' >~ 10 GeV CHARM rules out LMA-Dark u/d combinations."""
    cost = CharmCost("nsi_ee_ud")
    sm = cost.chi2()
    assert cost.chi2({"eps_ee_u": -4 / 3, "eps_ee_d": 2 / 3}) - sm > 9
    assert cost.chi2({"eps_ee_u": -0.5, "eps_ee_d": -0.5}) > sm


def test_propagator_suppression_at_probe_q2():
    fam = family("nsi_ee_ud_light").with_defaults(mediator_mass_mev=1.0e4)
    cost = CharmCost(fam)
    m = cost.model({"eps_ee_u": -0.5, "eps_ee_d": -0.5})
    g_m = 1e8 / (20.0e6 + 1e8)  # M^2 / (q^2 + M^2), q^2 = 20 GeV^2
    contact = NSIModel.vector_nsi({"ee_q": -0.5 * g_m})
    assert cost.predict({"eps_ee_u": -0.5, "eps_ee_d": -0.5})[0] == pytest.approx(
        charm_ratio(contact), rel=1e-12
    )
    assert charm_ratio(m, q2_gev2=0.0) == pytest.approx(
        charm_ratio(NSIModel.vector_nsi({"ee_q": -0.5}))
    )


# ---------------------------------------------------------------------- iminuit integration
def test_cost_addition_with_experiment_cost():
    exp = _toy_experiment()
    exp_cost = exp.cost("nsi_ee_q")
    charm = CharmCost("nsi_ee_q")
    total = exp_cost + charm
    assert isinstance(total, CostSum)
    assert list(total._parameters) == ["eps_ee_q", "toy.flux_norm", "toy.level"]
    vals = {"eps_ee_q": 0.05, "toy.flux_norm": 1.02, "toy.level": 48.0}
    expected = exp_cost(*vals.values()) + charm.chi2({"eps_ee_q": 0.05})
    assert total(*vals.values()) == pytest.approx(expected, rel=1e-12)
    assert total.ndata == exp_cost.ndata + 1
    # in the other order the parameters merge the same way
    total2 = charm + exp_cost
    assert total2(0.05, 1.02, 48.0) == pytest.approx(expected, rel=1e-12)
    res = fit(total)
    assert res.valid
    assert "eps_ee_q" in res.values


def test_cost_addition_with_iminuit_cost_and_minuit():
    nutev = NuTeVCost("nsi_mumu_q")
    prior = NormalConstraint("eps_mumu_q", 0.0, 0.05)
    total = nutev + prior
    assert list(total._parameters) == ["eps_mumu_q"]
    assert total(0.01) == pytest.approx(nutev.chi2({"eps_mumu_q": 0.01}) + (0.01 / 0.05) ** 2)
    m = Minuit(total, eps_mumu_q=0.0)
    m.migrad()
    assert m.valid
    assert abs(m.values["eps_mumu_q"]) < 0.05
    both = CharmCost("nsi_ee_mumu_q") + NuTeVCost("nsi_ee_mumu_q")
    assert list(both._parameters) == ["eps_ee_q", "eps_mumu_q"]
    assert both(0.0, 0.0) == pytest.approx(
        CharmCost("nsi_ee_mumu_q").chi2() + NuTeVCost("nsi_ee_mumu_q").chi2()
    )


def test_probe_cost_interface():
    c = CharmCost("nsi_ee_ud")
    assert c.ndata == 1
    assert c.npar == 2
    assert c.errordef == 1.0
    assert not c.has_grad
    assert c.priors == {}
    assert c.defaults == {"eps_ee_u": 0.0, "eps_ee_d": 0.0}
    assert "CharmCost" in repr(c)
    assert NuTeVCost("nsi_mumu_q").ndata == 2


# ---------------------------------------------------------------------- validity range
@pytest.mark.parametrize(
    "name", ["lma_dark", "light_zprime", "light_zprime_mumu", "nsi_ee_ud_light"]
)
@pytest.mark.parametrize("cls", [CharmCost, NuTeVCost])
def test_light_mediator_families_are_refused(cls, name):
    with pytest.raises(
        InvalidParameterError,
        match=r"applies to heavy mediators only: mediator_mass_mev .* below 10000 MeV",
    ):
        cls(name)


def test_heavy_mediator_accepted_and_limits_raised():
    fam = family("nsi_ee_ud_light").with_defaults(mediator_mass_mev=5e4)
    c = CharmCost(fam)
    lo, hi = c._parameters["mediator_mass_mev"]
    assert lo == HEAVY_MEDIATOR_MIN_MEV
    assert hi == 1e6
    with pytest.raises(InvalidParameterError, match="mediator_mass_mev \\(value\\) = 50 MeV"):
        c.chi2({"mediator_mass_mev": 50.0})
    # a looser threshold (seed 001 table: DIS for M >~ 1 GeV) is an option
    CharmCost(family("nsi_ee_ud_light"), min_mediator_mass_mev=1e3)
    with pytest.raises(InvalidParameterError, match="min_mediator_mass_mev must be > 0"):
        CharmCost("nsi_ee_q", min_mediator_mass_mev=0.0)


def test_bad_family():
    with pytest.raises(KeyError, match="unknown model"):
        CharmCost("nsi_ee_qq")
    with pytest.raises(InvalidParameterError, match="family must be a ModelFamily"):
        CharmCost(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="flavour must be a lepton index"):
        effective_couplings(NSIModel.sm(), 3)


# ---------------------------------------------------------------------- cosmology
def test_cosmology_bound():
    bbn = CosmologyBound.bbn()
    assert bbn.mass_mev == 3.1
    assert CosmologyBound.neff().mass_mev == 5.3
    assert CosmologyBound.strongest().mass_mev == 10.1
    np.testing.assert_array_equal(
        bbn.excluded([1.0, 3.0, 3.1, 5.0, 100.0]), [True, True, False, False, False]
    )
    assert bbn.excluded(2.0).shape == ()
    assert "3.1" in bbn.label
    with pytest.raises(InvalidParameterError, match="mass_mev must be > 0"):
        CosmologyBound(-1.0)
    with pytest.raises(InvalidParameterError, match="mass_mev must be finite"):
        bbn.excluded([np.nan])


def test_cosmology_shade():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.plot([1.0, 100.0], [1e-5, 1e-4])
    patch = CosmologyBound.neff().shade(ax)
    assert patch is not None
    lo, hi = ax.get_xlim()
    assert lo <= 1.0
    assert hi >= 100.0
    ax.legend()
    assert any("5.3" in t.get_text() for t in ax.get_legend().get_texts())
    fig2, ax2 = plt.subplots()
    ax2.set_xlim(10.0, 50.0)  # bound outside the current view
    CosmologyBound.bbn().shade(ax2)
    assert ax2.get_xlim()[0] == 0.0
    plt.close(fig)
    plt.close(fig2)


def test_nutev_constants_from_seed_001():
    assert (NUTEV_R["nu"], NUTEV_R["nu_err"]) == (0.3919, 0.0013)
    assert (NUTEV_R["nubar"], NUTEV_R["nubar_err"]) == (0.4050, 0.0027)
    assert (NUTEV_R["nu_correction"], NUTEV_R["nubar_correction"]) == (0.0017, -0.0016)
