import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cevns import Helm, KleinNystrand, NSIModel, Nucleus, Unity
from cevns.core.constants import G_FERMI, HBARC_MEV_CM
from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.physics.cross_section import (
    differential_cross_section,
    e_nr_max_kev,
    e_nu_min_mev,
    momentum_transfer_mev,
)

GE72 = Nucleus.from_isotope("Ge72")
CS133 = Nucleus.from_isotope("Cs133")


@given(
    st.floats(min_value=1e-3, max_value=60.0),
    st.sampled_from(["Si28", "Ge72", "Ar40", "Cs133", "Xe132"]),
)
def test_kinematic_limits_are_inverse(e_nu, iso):
    # seed 004 Eq. 16 (exact E_nu,min) inverts T_max = 2 E^2 / (m + 2 E)
    m = Nucleus.from_isotope(iso).mass_mev
    t_max = e_nr_max_kev(e_nu, m)
    assert e_nu_min_mev(t_max, m) == pytest.approx(e_nu, rel=1e-9)


def test_e_nu_min_approximation_seed004_eq16():
    # seed 004 Eq. 16: E_min ~ sqrt(m T / 2) for T << m
    t = 1.0  # keV
    assert e_nu_min_mev(t, GE72.mass_mev) == pytest.approx(
        np.sqrt(GE72.mass_mev * 1e-3 / 2), rel=1e-3
    )


def test_sm_cross_section_analytic_point():
    # seed 004 Eq. 1 at F = 1: G_F^2 m/pi Q_W^2 (1 - m T/(2E^2) - T/E), Q_W = Z g_p + N g_n
    m = NSIModel.sm(0.23857, couplings="tree")
    t, e = 0.3, 6.0
    qw = GE72.z * (0.5 - 2 * 0.23857) - 0.5 * GE72.n
    mt = GE72.mass_mev * t * 1e-3
    expected = G_FERMI**2 * GE72.mass_mev / np.pi * qw**2 * (1 - mt / (2 * e**2) - t * 1e-3 / e)
    expected *= HBARC_MEV_CM**2 * 1e-3  # -> cm^2 / keV
    got = differential_cross_section(t, e, GE72, m, form_factor=Unity())
    assert got == pytest.approx(expected, rel=1e-12)


def test_full_and_approximate_kinematics_agree_at_reactor_energies():
    # seed 004 Eq. 1 vs seed 000 Eq. 6 differ by the T/E term: < 1e-3 relative at reactor
    # energies away from the endpoint (T <= T_max/2; T_max = 1.07 keV for Ge72 at 6 MeV)
    e = 6.0
    t = np.linspace(0.05, 0.5 * float(e_nr_max_kev(e, GE72.mass_mev)), 30)
    full = differential_cross_section(t, e, GE72)
    approx = differential_cross_section(t, e, GE72, kinematics="approximate")
    assert np.max(np.abs(full / approx - 1)) < 1e-3
    # ... but not at pion-decay-at-rest energies on a light nucleus near the endpoint
    si = Nucleus.from_isotope("Si28")
    t2 = 0.9 * e_nr_max_kev(40.0, si.mass_mev)
    r = differential_cross_section(t2, 40.0, si) / differential_cross_section(
        t2, 40.0, si, kinematics="approximate"
    )
    assert abs(r - 1) > 1e-2


def test_zero_above_kinematic_limit():
    t_max = float(e_nr_max_kev(5.0, GE72.mass_mev))
    xs = differential_cross_section([0.999 * t_max, 1.001 * t_max, 10 * t_max], 5.0, GE72)
    assert xs[0] > 0
    assert xs[1] == 0
    assert xs[2] == 0


def test_heavy_mediator_equals_contact():
    contact = NSIModel.lma_dark(x=0.5)
    heavy = NSIModel.lma_dark(x=0.5, mediator_mass_mev=1e7)
    t = np.linspace(0.1, 30, 50)
    a = differential_cross_section(t, 30.0, CS133, contact, flavour="nue")
    b = differential_cross_section(t, 30.0, CS133, heavy, flavour="nue")
    np.testing.assert_allclose(a, b, rtol=1e-8)


def test_light_mediator_decouples():
    # eps(q) = eps(0) M^2/(q^2 + M^2) -> 0 for M << q: the SM is recovered (seed 002 Eq. 2.5)
    light = NSIModel.lma_dark(x=0.0, mediator_mass_mev=1e-4)
    t = np.array([5.0, 20.0])
    a = differential_cross_section(t, 30.0, CS133, light, flavour="nue")
    b = differential_cross_section(t, 30.0, CS133, NSIModel.sm(), flavour="nue")
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_d_quark_coupling_changes_rate():
    # a coupling to d quarks alone enters the weak charge as eps^d (Z + 2N) (seed 004 Eq. 9);
    # a published code dropped it.
    d_only = NSIModel.vector_nsi({"ee_d": 0.05})
    sm = NSIModel.sm()
    r = differential_cross_section(0.3, 6.0, GE72, d_only) / differential_cross_section(
        0.3, 6.0, GE72, sm
    )
    zf, nf = GE72.z, GE72.n
    qw = zf * sm.g_p + nf * sm.g_n
    # form factors cancel only approximately; compare at F = 1
    r1 = differential_cross_section(0.3, 6.0, GE72, d_only, form_factor=Unity()) / (
        differential_cross_section(0.3, 6.0, GE72, sm, form_factor=Unity())
    )
    assert r1 == pytest.approx(((qw + 0.05 * (zf + 2 * nf)) / qw) ** 2, rel=1e-12)
    assert abs(r - 1) > 0.05


def test_u_only_and_d_only_differ_on_non_isoscalar_nucleus():
    u = NSIModel.vector_nsi({"ee_u": 0.05})
    d = NSIModel.vector_nsi({"ee_d": 0.05})
    xu = differential_cross_section(0.3, 6.0, GE72, u)
    xd = differential_cross_section(0.3, 6.0, GE72, d)
    assert abs(xu / xd - 1) > 0.01
    # ... and coincide on an isoscalar one at equal form factors
    he4 = Nucleus.from_isotope("He4")
    np.testing.assert_allclose(
        differential_cross_section(1.0, 10.0, he4, u), differential_cross_section(1.0, 10.0, he4, d)
    )


def test_sm_degeneracy_point_gives_sm_rate():
    # seed 002 Eq. 4.6: eps = -2 (Z g_p + N g_n) / (3 (Z + N)) reproduces the SM weak charge
    from cevns.physics.nsi import degenerate_eps

    sm = NSIModel.sm()
    eps = degenerate_eps(CS133.z, CS133.n, sm)
    deg = NSIModel.vector_nsi({"ee_q": eps})
    t = np.linspace(1, 40, 20)
    np.testing.assert_allclose(
        differential_cross_section(t, 40.0, CS133, deg, flavour="nue"),
        differential_cross_section(t, 40.0, CS133, sm, flavour="nue"),
        rtol=1e-12,
    )


def test_scalar_and_tensor_vanish_when_zero():
    ngi0 = NSIModel.ngi()
    for fl in ("nuebar", "nue"):
        np.testing.assert_array_equal(
            differential_cross_section([0.2, 0.5], 6.0, GE72, ngi0, flavour=fl),
            differential_cross_section([0.2, 0.5], 6.0, GE72, NSIModel.sm(), flavour=fl),
        )


def test_scalar_tensor_interference_sign():
    # seed 004 Eq. 13: +R for antineutrinos, -R for neutrinos
    m = NSIModel.ngi(c_s_u=0.01, c_t_u=0.2)
    s_only = NSIModel.ngi(c_s_u=0.01)
    t_only = NSIModel.ngi(c_t_u=0.2)
    sm = NSIModel.sm()
    args = (0.5, 6.0, GE72)
    interf = {}
    for fl in ("nuebar", "nue"):
        both = differential_cross_section(*args, m, flavour=fl)
        sep = (
            differential_cross_section(*args, s_only, flavour=fl)
            + differential_cross_section(*args, t_only, flavour=fl)
            - differential_cross_section(*args, sm, flavour=fl)
        )
        interf[fl] = both - sep
    assert interf["nuebar"] > 0
    assert interf["nuebar"] == pytest.approx(-interf["nue"], rel=1e-10)


def test_vector_ngi_cross_section_equals_nsi():
    a = NSIModel.ngi(c_v_u=0.1, c_v_d=0.04)
    b = NSIModel.vector_nsi(
        {f"{p}_{q}": v for p in ("ee", "mumu", "tautau") for q, v in (("u", 0.05), ("d", 0.02))}
    )
    np.testing.assert_allclose(
        differential_cross_section([0.3, 0.9], 8.0, GE72, a),
        differential_cross_section([0.3, 0.9], 8.0, GE72, b),
        rtol=1e-14,
    )


@settings(max_examples=50)
@given(
    st.floats(-1, 1),
    st.floats(-1, 1),
    st.floats(-0.5, 0.5),
    st.floats(-0.5, 0.5),
    st.floats(0.01, 40.0),
    st.floats(1.0, 60.0),
    st.sampled_from(["nue", "numubar", "nutau"]),
)
def test_positivity_and_flavour_symmetry(eu, ed, re_emu, im_emu, t, e, fl):
    m = NSIModel.vector_nsi({"ee_u": eu, "mumu_d": ed, "emu_u": complex(re_emu, im_emu)})
    xs = differential_cross_section(t, e, CS133, m, flavour=fl)
    assert xs >= 0
    # nu and nubar of the same flavour have the same vector cross section
    anti = fl[:-3] if fl.endswith("bar") else fl + "bar"
    assert differential_cross_section(t, e, CS133, m, flavour=anti) == pytest.approx(xs, rel=1e-12)


def test_off_diagonal_enters_squared():
    # seed 002 Eq. 4.4: + 9 (Z+N)^2 sum_{b != a} |eps_ab|^2; sign and phase do not matter
    vals = [
        differential_cross_section(
            10.0, 30.0, CS133, NSIModel.vector_nsi({"emu_q": v}), flavour="nue"
        )
        for v in (0.1, -0.1, 0.1j, 0.1 * np.exp(0.7j))
    ]
    np.testing.assert_allclose(vals, vals[0], rtol=1e-12)
    sm = differential_cross_section(10.0, 30.0, CS133, NSIModel.sm(), flavour="nue")
    assert vals[0] > sm


def test_sm_flavour_universal():
    t = [1.0, 10.0]
    ref = differential_cross_section(t, 30.0, CS133, flavour="nue")
    for fl in ("numu", "nutau", "nuebar", "numubar", "nutaubar"):
        np.testing.assert_allclose(
            differential_cross_section(t, 30.0, CS133, flavour=fl), ref, rtol=1e-14
        )


def test_proton_and_neutron_form_factors_may_differ():
    ffp, ffn = Helm(), Helm(skin_fm=0.3)
    a = differential_cross_section(20.0, 40.0, CS133, form_factor=(ffp, ffn), flavour="nue")
    b = differential_cross_section(20.0, 40.0, CS133, form_factor=ffp, flavour="nue")
    assert a < b  # a larger neutron radius suppresses the neutron-dominated charge


def test_form_factors_limits():
    q = np.array([0.0, 1e-6, 10.0, 100.0])
    for ff in (Helm(), KleinNystrand(), Unity()):
        f = ff(q, CS133)
        assert f[0] == 1.0
        assert f[1] == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.abs(f) <= 1.0)
    # Helm and Klein-Nystrand agree within a few percent at COHERENT momentum transfers
    assert Helm()(50.0, CS133) == pytest.approx(KleinNystrand()(50.0, CS133), rel=0.03)


def test_momentum_transfer():
    # q^2 = 2 m T
    assert momentum_transfer_mev(1.0, 1000.0) == pytest.approx(np.sqrt(2.0))


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((-0.1, 5.0, GE72), {}, InvalidParameterError, "e_nr_kev and e_nu_mev must be >= 0"),
        ((0.1, float("nan"), GE72), {}, InvalidParameterError, "e_nu_mev must be finite"),
        ((0.1, 5.0, GE72), {"flavour": "nu_e"}, UnknownNameError, "did you mean 'nue'"),
        ((0.1, 5.0, GE72), {"kinematics": "exact"}, InvalidParameterError, "kinematics must be"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        differential_cross_section(*args, **kwargs)


def test_kinematic_helpers_reject_negative():
    with pytest.raises(InvalidParameterError, match="e_nu_mev must be >= 0"):
        e_nr_max_kev(-1.0, 1000.0)
    with pytest.raises(InvalidParameterError, match="mass_mev must be > 0"):
        e_nu_min_mev(1.0, 0.0)
