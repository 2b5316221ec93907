import numpy as np
import pytest

from cevns import Target
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.likelihood.signal import Signal
from cevns.physics.families import FAMILIES, family

from .test_signal import RecoilCounter, _pidar, _reactor


@pytest.fixture(scope="module")
def reactor_signal():
    return Signal(_reactor(), RecoilCounter(Target.by_name("ge"), np.linspace(0.05, 2.0, 30)))


@pytest.fixture(scope="module")
def pidar_signal():
    det = RecoilCounter(Target.by_name("csi"), np.linspace(3.0, 40.0, 12))
    timing = {"numu": [0.8, 0.2], "nue": [0.1, 0.9], "numubar": [0.1, 0.9]}
    return Signal(_pidar(), det, timing=timing)


POINTS = {
    "sin2w": {"sin2_theta_w": 0.31},
    "sm": {"sin2_theta_w": 0.2},
    "lma_dark": {"x": 1.3, "mediator_mass_mev": 17.0},
    "light_zprime": {"g_nu_g_q": -2e-10, "mediator_mass_mev": 8.0},
    "light_zprime_mumu": {"g_nu_g_q": 3e-10, "mediator_mass_mev": 30.0},
    "ngi": {"c_s_u": 0.01, "c_v_d": -0.3, "c_t_u": 0.2, "c_t_d": -0.1},
    "ngi_q": {"c_s_q": 0.005, "c_v_q": 0.2, "c_t_q": 0.3},
    "non_unitarity": {"alpha11": 0.85, "alpha12": 0.3},
    "nsi_ee_ud": {"eps_ee_u": 0.2, "eps_ee_d": -0.35},
    "nsi_ee_mumu_q": {"eps_ee_q": 0.2, "eps_mumu_q": -0.1},
    "nsi_emu_q": {"eps_emu_q": 0.07},
    "nsi_ee_ud_light": {"eps_ee_u": 0.5, "eps_ee_d": 0.2, "mediator_mass_mev": 12.0},
    # tree-level twins: sin2_theta_w is a parameter of the quadratic form too
    "lma_dark_tree": {"x": 0.7, "mediator_mass_mev": 25.0, "sin2_theta_w": 0.2225},
    "light_zprime_tree": {"g_nu_g_q": -1e-10, "mediator_mass_mev": 5.0, "sin2_theta_w": 0.25},
    "light_zprime_mumu_tree": {"g_nu_g_q": 2e-10, "mediator_mass_mev": 40.0},
    "ngi_tree": {"c_s_d": 0.01, "c_v_u": 0.2, "c_t_d": 0.1, "sin2_theta_w": 0.24},
    "ngi_q_tree": {"c_s_q": 0.004, "c_v_q": -0.2, "c_t_q": 0.1},
    "non_unitarity_tree": {"alpha11": 0.9, "alpha13": 0.2, "sin2_theta_w": 0.22},
    "nsi_ee_q_tree": {"eps_ee_q": 0.15, "sin2_theta_w": 0.2225},
    # electromagnetic properties: mu enters as mu^2 (no interference), r^2 and q_nu linearly
    "magnetic_moment": {"mu_nu_e": 2.0},
    "magnetic_moment_mu": {"mu_nu_mu": 3.0},
    "charge_radius": {"r2_nu_e": 5.0},
    "charge_radius_mu": {"r2_nu_mu": -4.0},
    "millicharge": {"q_nu_e": 50.0},
    "millicharge_mu": {"q_nu_mu": -30.0},
}


@pytest.mark.parametrize("name", sorted(POINTS))
@pytest.mark.parametrize("which", ["reactor", "pidar"])
def test_expansion_is_exact(name, which, reactor_signal, pidar_signal):
    sig = reactor_signal if which == "reactor" else pidar_signal
    fam = family(name)
    exp = QuadraticExpansion(sig, fam)
    values = fam.defaults() | POINTS[name]
    direct = sig.expected_counts(fam.build(values))
    np.testing.assert_allclose(exp(values), direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max())


def test_every_family_is_exercised():
    # the NSI one-entry families are variants of nsi_ee_ud / nsi_emu_q; the rest are tested
    untested = {n for n in FAMILIES if n not in POINTS and not n.startswith("nsi_")}
    assert untested <= {"sm_tree", "sin2w_radiative"}


def test_costs_of_one_experiment_and_family_share_the_coefficients():
    # issue 14: a fit and a scan of one model (or an experiment alone and in a combination)
    # identify the coefficients at a mass once; another family or experiment has its own
    from cevns.config import load_experiment
    from cevns.likelihood import expansion as ex

    e = load_experiment("dresden_ii")
    a, b = e.cost("lma_dark_tree"), e.cost("lma_dark_tree")
    assert a.expansion is b.expansion
    assert e.cost("light_zprime").expansion is not a.expansion
    assert load_experiment("dresden_ii").cost("lma_dark_tree").expansion is not a.expansion
    calls = []
    original = ex.QuadraticExpansion._eval

    def counted(self, *args):
        calls.append(args[0])
        return original(self, *args)

    ex.QuadraticExpansion._eval = counted
    try:
        m_a = a.expansion.observed_coefficients(7.5)
        n = len(calls)
        assert n > 0
        m_b = b.expansion.observed_coefficients(7.5)
        assert len(calls) == n  # the second cost builds nothing
    finally:
        ex.QuadraticExpansion._eval = original
    assert m_a is m_b
    # and the shared coefficients are those a cost of its own identifies, bit for bit
    own = ex.QuadraticExpansion(e.model_signal, a.family).observed_coefficients(7.5)
    np.testing.assert_array_equal(own, m_a)
    # a model at that point agrees with a direct evaluation (independent of the expansion)
    values = a.family.defaults() | {"x": 0.7, "mediator_mass_mev": 7.5}
    direct = e.model_signal.expected_counts(a.family.build(values))
    np.testing.assert_allclose(
        a.expansion(values), direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max()
    )


# --------------------------------------------------------------------------- weights' path
# At a light mediator the counts are weights x templates, and for the shipped families the
# weights do not depend on the mass: the coefficients at a new mass come from the weights'
# polynomial (identified once) times the templates there (module notes of expansion.py).
LIGHT = ["lma_dark", "nsi_ee_ud_light", "lma_dark_tree"]
MASSES = (0.7, 6.0, 55.0, 800.0)


@pytest.mark.parametrize("name", LIGHT)
@pytest.mark.parametrize("which", ["reactor", "pidar"])
def test_weights_path_at_many_masses_is_exact(name, which, reactor_signal, pidar_signal):
    sig = reactor_signal if which == "reactor" else pidar_signal
    fam = family(name)
    fast = QuadraticExpansion(sig, fam)
    slow = QuadraticExpansion(sig, fam)
    slow._weight_poly = False  # every mass identified from the counts
    point = {k: v for k, v in POINTS[name].items() if k != "mediator_mass_mev"}
    for m in MASSES:
        a, b = fast.coefficients(m), slow.coefficients(m)
        # the two identifications differ by rounding only (measured: <= 7e-14 relative)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-11 * np.abs(b).max())
        # and the expansion agrees with a direct evaluation at an interior point
        values = fam.defaults() | point | {"mediator_mass_mev": m}
        direct = sig.expected_counts(fam.build(values))
        np.testing.assert_allclose(
            fast(values), direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max()
        )
    assert fast._weight_poly is not False  # the path stayed on


def test_weights_path_builds_one_model_per_new_mass(reactor_signal, monkeypatch):
    from cevns.likelihood import expansion as ex

    fam = family("lma_dark_tree")  # two linear parameters: 6 evaluations or more per mass
    exp = QuadraticExpansion(reactor_signal, fam)
    exp.coefficients(3.0)  # identifies the weights' polynomial
    calls = []
    original = ex.QuadraticExpansion._eval

    def counted(self, *args):
        calls.append(args[0])
        return original(self, *args)

    monkeypatch.setattr(ex.QuadraticExpansion, "_eval", counted)
    for m in (4.0, 40.0, 400.0):
        exp.coefficients(m)
    assert calls == [4.0, 40.0, 400.0]  # the direct check only


@pytest.mark.parametrize("name", ["light_zprime", "light_zprime_tree"])
def test_weights_that_move_with_the_mass_fall_back_to_the_counts(name, pidar_signal):
    # g_nu g_q / M^2: the weights depend on the mass; the check at the second mass finds it
    sig = pidar_signal
    fam = family(name)
    exp = QuadraticExpansion(sig, fam)
    point = {k: v for k, v in POINTS[name].items() if k != "mediator_mass_mev"}
    for m in MASSES:
        values = fam.defaults() | point | {"mediator_mass_mev": m}
        direct = sig.expected_counts(fam.build(values))
        np.testing.assert_allclose(
            exp(values), direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max()
        )
    assert exp._weight_poly is False


def test_a_signal_with_its_own_counts_is_identified_from_them(reactor_signal):
    class Scaled(Signal):
        def expected_counts_per_flavour(self, model):
            return 2.0 * super().expected_counts_per_flavour(model)

    sig = Scaled(reactor_signal.flux, reactor_signal.detector)
    fam = family("lma_dark")
    exp = QuadraticExpansion(sig, fam)
    assert exp._weight_poly is False
    values = fam.defaults() | {"x": 1.3, "mediator_mass_mev": 17.0}
    direct = sig.expected_counts(fam.build(values))
    np.testing.assert_allclose(exp(values), direct, rtol=1e-9, atol=1e-12 * np.abs(direct).max())
