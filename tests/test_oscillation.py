"""Three-flavour oscillations with NSI and the LMA-Dark degeneracies (seed 000 Sec. II)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cevns.core.exceptions import InvalidParameterError
from cevns.physics.nsi import NSIModel
from cevns.physics.oscillation import (
    HBARC_EV_KM,
    VCC_EV_PER_G_CM3,
    Layer,
    Medium,
    MixingParameters,
    hamiltonian,
    probabilities,
)

TOL = 1e-10
HALF_PI = math.pi / 2

angles = st.floats(0.0, HALF_PI)
phases = st.floats(0.0, 2 * math.pi)
dm21s = st.floats(1e-5, 2e-4)
dm31s = st.floats(1e-3, 5e-3)
signs = st.sampled_from([1.0, -1.0])
energies = st.floats(1.0, 1e4)
baselines = st.floats(0.0, 1500.0)
densities = st.floats(0.0, 150.0)
y_ns = st.floats(0.0, 2.0)
y_es = st.floats(0.3, 1.0)


@st.composite
def mixing(draw):
    return MixingParameters(
        draw(angles),
        draw(angles),
        draw(angles),
        draw(phases),
        draw(signs) * draw(dm21s),
        draw(signs) * draw(dm31s),
    )


@st.composite
def media(draw):
    return Medium(draw(densities), draw(y_es), draw(y_ns))


@st.composite
def hermitian(draw, scale=3.0):
    re = st.floats(-scale, scale)
    diag = [draw(re) for _ in range(3)]
    off = [complex(draw(re), draw(re)) for _ in range(3)]
    m = np.diag(diag).astype(complex)
    for (i, j), v in zip(((0, 1), (0, 2), (1, 2)), off, strict=True):
        m[i, j] = v
        m[j, i] = np.conj(v)
    return m


def _e_grid():
    return np.geomspace(1.0, 1e4, 41)


# ---------------------------------------------------------------------- basic structure
@settings(max_examples=40, deadline=None)
@given(mixing(), media(), hermitian(), st.booleans(), baselines)
def test_unitarity_rows_and_columns(p, med, eps, anti, length):
    prob = probabilities(p, eps, med, _e_grid(), length, anti)
    assert prob.shape == (41, 3, 3)
    assert np.all(prob >= -TOL)
    np.testing.assert_allclose(prob.sum(axis=-1), 1.0, rtol=0, atol=TOL)
    np.testing.assert_allclose(prob.sum(axis=-2), 1.0, rtol=0, atol=TOL)


def test_broadcasting_energy_against_baseline():
    p = MixingParameters.normal_ordering()
    e = np.array([[1.0], [5.0], [9.0]])
    length = np.array([0.0, 10.0, 52.5, 180.0])
    prob = probabilities(p, None, Medium.earth_crust(), e, length, True)
    assert prob.shape == (3, 4, 3, 3)
    single = probabilities(p, None, Medium.earth_crust(), 5.0, 52.5, True)
    np.testing.assert_allclose(prob[1, 2], single, rtol=0, atol=1e-14)
    np.testing.assert_allclose(prob[:, 0], np.broadcast_to(np.eye(3), (3, 3, 3)), atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(mixing(), st.floats(0.0, 1.0), st.floats(0.0, 2.0), energies, baselines, st.booleans())
def test_vacuum_none_equals_zero_density(p, ye, yn, e, length, anti):
    eps = NSIModel.lma_dark(0.7, y_n=yn)
    a = probabilities(p, eps, None, e, length, anti)
    b = probabilities(p, eps, Medium(0.0, max(ye, 0.1), yn), e, length, anti)
    c = probabilities(p, None, Medium.vacuum(), e, length, anti)
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL)
    np.testing.assert_allclose(a, c, rtol=0, atol=TOL)


def test_units_one_point_two_seven():
    # Two-flavour vacuum limit: P_emu = sin^2 2theta12 sin^2(1.267 dm21 L / E) [eV^2 km GeV]
    p = MixingParameters(0.5, 0.0, 0.0, 0.0, 7.5e-5, 2.5e-3)
    e, length = 4.0, 60.0
    prob = probabilities(p, None, None, e, length)
    expected = math.sin(1.0) ** 2 * math.sin(1.26693 * 7.5e-5 * length / (e * 1e-3)) ** 2
    assert prob[0, 1] == pytest.approx(expected, rel=1e-5)
    # V_CC = 7.63e-14 eV per g/cm^3 at Y_e = 1 (standard value)
    assert pytest.approx(7.63e-14, rel=1e-3) == VCC_EV_PER_G_CM3
    assert pytest.approx(1.97327e-10, rel=1e-6) == HBARC_EV_KM


# ---------------------------------------------------------------------- analytic limits
def _two_flavour(s22, dm2, e_mev, length_km):
    return s22 * np.sin(dm2 * length_km / (4.0 * e_mev * 1e6) / HBARC_EV_KM) ** 2


@settings(max_examples=30, deadline=None)
@given(angles, phases, dm21s, signs, dm31s, baselines, st.booleans())
def test_vacuum_two_flavour_limits(theta, delta, dm21, sign, dm31, length, anti):
    e = _e_grid()
    s22 = math.sin(2 * theta) ** 2
    # theta13 = theta23 = 0: e-mu with dm21, tau decoupled
    prob = probabilities(
        MixingParameters(theta, 0.0, 0.0, delta, dm21, sign * dm31), None, None, e, length, anti
    )
    np.testing.assert_allclose(prob[:, 0, 1], _two_flavour(s22, dm21, e, length), atol=TOL)
    np.testing.assert_allclose(prob[:, 2, 2], 1.0, atol=TOL)
    # theta12 = theta23 = 0: e-tau with dm31
    prob = probabilities(
        MixingParameters(0.0, theta, 0.0, delta, dm21, sign * dm31), None, None, e, length, anti
    )
    np.testing.assert_allclose(prob[:, 0, 2], _two_flavour(s22, dm31, e, length), atol=TOL)
    np.testing.assert_allclose(prob[:, 1, 1], 1.0, atol=TOL)
    # theta12 = theta13 = 0: mu-tau with dm32, nu_e decoupled
    p = MixingParameters(0.0, 0.0, theta, delta, dm21, sign * dm31)
    prob = probabilities(p, None, None, e, length, anti)
    np.testing.assert_allclose(prob[:, 1, 2], _two_flavour(s22, p.dm32_ev2, e, length), atol=TOL)
    np.testing.assert_allclose(prob[:, 0, 0], 1.0, atol=TOL)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, HALF_PI - 0.05), dm21s, media(), baselines, st.booleans())
def test_constant_density_msw_two_flavour(theta, dm21, med, length, anti):
    """theta13 = theta23 = 0: exact two-flavour MSW formula in the e-mu sector."""
    p = MixingParameters(theta, 0.0, 0.0, 1.0, dm21, 2.5e-3)
    e = np.geomspace(0.5, 50.0, 41)
    prob = probabilities(p, None, med, e, length, anti)
    a = (-1.0 if anti else 1.0) * 2.0 * e * 1e6 * med.potential_ev / dm21
    c2, s2 = math.cos(2 * theta), math.sin(2 * theta)
    d = np.sqrt((c2 - a) ** 2 + s2**2)
    np.testing.assert_allclose(
        prob[:, 0, 1], _two_flavour((s2 / d) ** 2, dm21 * d, e, length), atol=TOL
    )


# ---------------------------------------------------------------------- degeneracies
@settings(max_examples=40, deadline=None)
@given(mixing(), energies, baselines, st.booleans())
def test_vacuum_minus_h_conjugate_symmetry(p, e, length, anti):
    """Seed 000 Eq. 4: dm21, dm31, delta -> -(same) leaves vacuum oscillations unchanged."""
    a = probabilities(p, None, None, e, length, anti)
    np.testing.assert_allclose(
        probabilities(p.sign_flipped(), None, None, e, length, anti), a, atol=TOL
    )
    np.testing.assert_allclose(probabilities(p.flipped(), None, None, e, length, anti), a, atol=TOL)


def test_matter_breaks_the_vacuum_degeneracy():
    p = MixingParameters.normal_ordering()
    e = np.geomspace(500.0, 8000.0, 60)
    crust = Medium.earth_crust()
    for flip in (p.flipped(), p.sign_flipped()):
        for anti in (False, True):
            d = np.abs(
                probabilities(p, None, crust, e, 1300.0, anti)[:, 1, 0]
                - probabilities(flip, None, crust, e, 1300.0, anti)[:, 1, 0]
            )
            assert d.max() > 0.02


@settings(max_examples=60, deadline=None)
@given(mixing(), media(), energies, baselines, st.booleans())
def test_lma_dark_restores_the_degeneracy(p, med, e, length, anti):
    """P(p, eps = 0) == P(flipped p, eps_ee = -2) for any L, E, density, nu or nubar."""
    ref = probabilities(p, None, med, e, length, anti)
    lmad = NSIModel.lma_dark(0.0, y_n=med.y_n)
    np.testing.assert_allclose(
        probabilities(p.flipped(), lmad, med, e, length, anti), ref, atol=TOL
    )
    np.testing.assert_allclose(
        probabilities(p.sign_flipped(), lmad, med, e, length, anti), ref, atol=TOL
    )
    # a raw Hamiltonian-level matrix works the same way
    raw = np.diag([-2.0, 0.0, 0.0])
    np.testing.assert_allclose(probabilities(p.flipped(), raw, med, e, length, anti), ref, atol=TOL)


def test_lma_dark_both_directions_named_orderings():
    """NO + eps=0 == IO + eps_ee=-2 and IO + eps=0 == NO + eps_ee=-2 (seed 000, Sec. I)."""
    e = np.geomspace(100.0, 1e4, 50)
    crust = Medium.earth_crust()
    lmad = NSIModel.lma_dark(0.0, y_n=crust.y_n)
    for p in (MixingParameters.normal_ordering(), MixingParameters.inverted_ordering()):
        q = p.flipped()
        assert q.ordering != p.ordering
        for anti in (False, True):
            a = probabilities(p, None, crust, e, 1300.0, anti)
            b = probabilities(q, lmad, crust, e, 1300.0, anti)
            np.testing.assert_allclose(a, b, atol=TOL)


@settings(max_examples=40, deadline=None)
@given(mixing(), media(), hermitian(), energies, baselines, st.booleans())
def test_general_nsi_maps_under_minus_h_conjugate(p, med, eps, e, length, anti):
    """H -> -H^*: (p, eps) == (p.sign_flipped(), -eps^* - 2 diag(1, 0, 0)) for any eps."""
    partner = -eps.conj() - np.diag([2.0, 0.0, 0.0])
    a = probabilities(p, eps, med, e, length, anti)
    b = probabilities(p.sign_flipped(), partner, med, e, length, anti)
    np.testing.assert_allclose(a, b, atol=TOL)


@settings(max_examples=40, deadline=None)
@given(mixing(), media(), hermitian(), energies, baselines, st.booleans())
def test_general_nsi_maps_under_flipped(p, med, eps, e, length, anti):
    """Convention #3: (p, eps) == (p.flipped(), -D eps^* D - 2 diag(1, 0, 0)), D = diag(1,-1,-1)."""
    d = np.diag([1.0, -1.0, -1.0])
    partner = -d @ eps.conj() @ d - np.diag([2.0, 0.0, 0.0])
    a = probabilities(p, eps, med, e, length, anti)
    b = probabilities(p.flipped(), partner, med, e, length, anti)
    np.testing.assert_allclose(a, b, atol=TOL)


@settings(max_examples=30, deadline=None)
@given(mixing(), media(), energies, baselines, st.booleans())
def test_diagonal_degeneracy_in_x(p, med, e, length, anti):
    """(eps_ee, eps_mumu, eps_tautau) = (x - 2, x, x) is the same for every x (seed 000 Eq. 5)."""
    ref = probabilities(p, NSIModel.lma_dark(0.0, y_n=med.y_n), med, e, length, anti)
    for x in (-3.0, -0.5, 1.0, 2.0, 4.5):
        got = probabilities(p, NSIModel.lma_dark(x, y_n=med.y_n), med, e, length, anti)
        np.testing.assert_allclose(got, ref, atol=TOL)


@settings(max_examples=40, deadline=None)
@given(y_ns)
def test_up_down_point_is_degenerate_in_every_medium(y_n):
    """eps^u = -4/3, eps^d = 2/3 gives eps_ee = -2 for any Y_n (seed 000 point 5, Fig. 1)."""
    m = NSIModel.vector_nsi({"ee_u": -4.0 / 3.0, "ee_d": 2.0 / 3.0})
    eps = m.hamiltonian_eps(y_n)
    np.testing.assert_allclose(eps, np.diag([-2.0, 0.0, 0.0]), atol=1e-14)


def test_up_down_point_oscillations_in_sun_and_earth():
    p = MixingParameters.normal_ordering()
    m = NSIModel.vector_nsi({"ee_u": -4.0 / 3.0, "ee_d": 2.0 / 3.0})
    for med, e, length in (
        (Medium.earth_crust(), [1e3, 3e3], 1300.0),
        (Medium.sun_8b(), [5.0, 10.0], 500.0),
    ):
        np.testing.assert_allclose(
            probabilities(p.flipped(), m, med, e, length),
            probabilities(p, None, med, e, length),
            atol=TOL,
        )


def test_equal_quark_lma_dark_is_not_degenerate_in_the_earth():
    """u = d LMA-Dark at Y_n = 1/3 gives eps_ee = -3.075 in the Earth (seed 001: "-3.1")."""
    m = NSIModel.lma_dark(0.0, y_n=1.0 / 3.0)
    assert float(m.hamiltonian_eps(1.0 / 3.0)[0, 0].real) == pytest.approx(-2.0, abs=1e-14)
    assert float(m.hamiltonian_eps(1.05)[0, 0].real) == pytest.approx(-3.075, abs=1e-12)
    p = MixingParameters.normal_ordering()
    crust = Medium.earth_crust()
    e = np.geomspace(500.0, 8000.0, 40)
    d = np.abs(
        probabilities(p.flipped(), m, crust, e, 1300.0) - probabilities(p, None, crust, e, 1300.0)
    )
    assert d.max() > 0.01


# ---------------------------------------------------------------------- JUNO (seed 000 appendix)
def _juno(p, medium=None):
    return probabilities(p, None, medium, np.linspace(1.8, 8.0, 400), 52.5, True)[:, 0, 0]


def test_juno_orderings_distinguishable_in_lower_octant():
    """Fig. 8: with s12^2 ~ 0.31 known, NO and IO give visibly different P_ee at 52.5 km."""
    no = MixingParameters.normal_ordering()
    io_lower = no.replace(theta12=HALF_PI - no.theta12).flipped()
    assert math.sin(io_lower.theta12) ** 2 == pytest.approx(math.sin(no.theta12) ** 2, abs=1e-12)
    assert io_lower.ordering == "IO"
    assert np.abs(_juno(no) - _juno(io_lower)).max() > 0.02


def test_juno_octant_swap_makes_orderings_identical():
    """Fig. 8: NO with theta12 equals IO with pi/2 - theta12, exactly (vacuum)."""
    no = MixingParameters.normal_ordering()
    io_upper = no.flipped()
    assert io_upper.theta12 > math.pi / 4
    np.testing.assert_allclose(_juno(io_upper), _juno(no), atol=TOL)
    no_upper = no.replace(theta12=HALF_PI - no.theta12)
    np.testing.assert_allclose(_juno(no_upper.flipped()), _juno(no_upper), atol=TOL)


def test_juno_analytic_form_depends_on_c12_s12_weights():
    """P_ee = 1 - c13^4 s^2(2th12) S21 - s^2(2th13)(c12^2 S31 + s12^2 S32) (appendix)."""
    no = MixingParameters.normal_ordering()
    e = np.linspace(1.8, 8.0, 400)

    def s2(dm2):
        return np.sin(dm2 * 52.5 / (4 * e * 1e6) / HBARC_EV_KM) ** 2

    c12, s12 = math.cos(no.theta12) ** 2, math.sin(no.theta12) ** 2
    c13 = math.cos(no.theta13)
    expected = (
        1
        - c13**4 * math.sin(2 * no.theta12) ** 2 * s2(no.dm21_ev2)
        - math.sin(2 * no.theta13) ** 2 * (c12 * s2(no.dm31_ev2) + s12 * s2(no.dm32_ev2))
    )
    np.testing.assert_allclose(_juno(no), expected, atol=TOL)


def test_juno_matter_effect_is_small_but_breaks_exactness():
    no = MixingParameters.normal_ordering()
    crust = Medium.earth_crust()
    d = np.abs(_juno(no, crust) - _juno(no.flipped(), crust)).max()
    assert 1e-6 < d < 0.02
    lmad = NSIModel.lma_dark(0.0, y_n=crust.y_n)
    e = np.linspace(1.8, 8.0, 400)
    restored = probabilities(no.flipped(), lmad, crust, e, 52.5, True)[:, 0, 0]
    np.testing.assert_allclose(restored, _juno(no, crust), atol=TOL)


# ---------------------------------------------------------------------- layers
@settings(max_examples=25, deadline=None)
@given(mixing(), media(), hermitian(), st.floats(1.0, 1500.0), st.floats(0.01, 0.99), st.booleans())
def test_layers_of_the_same_medium_compose(p, med, eps, length, frac, anti):
    e = _e_grid()
    whole = probabilities(p, eps, med, e, length, anti)
    split = probabilities(
        p, eps, [Layer(med, frac * length), (med, (1 - frac) * length)], e, None, anti
    )
    np.testing.assert_allclose(split, whole, atol=TOL)


def test_layers_different_media_unitary_and_ordered():
    p = MixingParameters.normal_ordering()
    m = NSIModel.vector_nsi({"emu_q": 0.05 + 0.02j, "ee_u": 0.1})
    mantle = Medium(4.5, 0.49, 1.07, "mantle")
    core = Medium(11.0, 0.47, 1.15, "core")
    e = np.geomspace(1e3, 2e4, 30)
    forward = probabilities(
        p, m, [(mantle, 2000.0), (core, 5000.0), (Medium.earth_crust(), 300.0)], e
    )
    np.testing.assert_allclose(forward.sum(axis=-1), 1.0, atol=TOL)
    np.testing.assert_allclose(forward.sum(axis=-2), 1.0, atol=TOL)
    backward = probabilities(
        p, m, [(Medium.earth_crust(), 300.0), (core, 5000.0), (mantle, 2000.0)], e
    )
    assert np.abs(forward - backward).max() > 1e-3  # matter layers do not commute
    with_vacuum = probabilities(p, m, [(mantle, 2000.0), (None, 0.0)], e)
    np.testing.assert_allclose(with_vacuum, probabilities(p, m, mantle, e, 2000.0), atol=TOL)


# ---------------------------------------------------------------------- parameters and presets
def test_presets_and_flip_involution():
    no = MixingParameters.normal_ordering()
    io = MixingParameters.inverted_ordering()
    assert (no.ordering, io.ordering) == ("NO", "IO")
    assert math.sin(no.theta12) ** 2 == pytest.approx(0.303, abs=1e-3)
    assert no.dm31_ev2 == pytest.approx(2.507e-3)
    assert io.dm32_ev2 == pytest.approx(-2.486e-3)
    f = no.flipped()
    assert f.theta12 == pytest.approx(HALF_PI - no.theta12)
    assert f.dm31_ev2 == pytest.approx(-no.dm31_ev2 + no.dm21_ev2)
    assert f.dm32_ev2 == pytest.approx(-no.dm31_ev2)
    assert f.delta_cp == pytest.approx(math.pi - no.delta_cp)
    ff = f.flipped()
    for name in ("theta12", "theta13", "theta23", "delta_cp", "dm21_ev2", "dm31_ev2"):
        assert getattr(ff, name) == pytest.approx(getattr(no, name), rel=1e-14, abs=1e-15)
    assert no.sign_flipped().sign_flipped() == no
    u = no.mixing_matrix()
    np.testing.assert_allclose(u @ u.conj().T, np.eye(3), atol=1e-15)
    assert abs(u[0, 2]) == pytest.approx(math.sin(no.theta13))


def test_media_presets():
    crust = Medium.earth_crust()
    assert (crust.y_n, crust.electron_fraction) == (1.05, 0.5)
    assert 2.6 <= crust.density_g_cm3 <= 3.0
    sun = Medium.sun_8b()
    assert sun.y_n == pytest.approx(1 / 3)
    assert sun.electron_density_cm3 / 6.02214076e23 == pytest.approx(90.0)
    assert sun.potential_ev == pytest.approx(VCC_EV_PER_G_CM3 * 90.0)


def test_hamiltonian_matches_seed_000_eq_1():
    p = MixingParameters.normal_ordering()
    med = Medium(3.0, 0.5, 1.05)
    model = NSIModel.vector_nsi({"ee_u": 0.2, "mutau_d": 0.1j})
    h = hamiltonian(p, model, med, 2000.0)
    u = p.mixing_matrix()
    a_over_2e = med.potential_ev
    eps = model.hamiltonian_eps(1.05)
    expected = u @ np.diag([0, p.dm21_ev2, p.dm31_ev2]) @ u.conj().T / (2 * 2e9) + a_over_2e * (
        np.diag([1.0, 0, 0]) + eps
    )
    np.testing.assert_allclose(h, expected, rtol=1e-14, atol=0)
    hbar = hamiltonian(p, model, med, 2000.0, antineutrino=True)
    expected_bar = (u.conj() @ np.diag([0, p.dm21_ev2, p.dm31_ev2]) @ u.T) / (
        2 * 2e9
    ) - a_over_2e * (np.diag([1.0, 0, 0]) + eps.conj())
    np.testing.assert_allclose(hbar, expected_bar, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"theta12": -0.1},
            r"theta12 must be a mixing angle in radians within \[0, pi/2\], got -0.1",
        ),
        ({"theta23": 2.0}, r"theta23 must be .* got 2.0"),
        ({"theta13": math.nan}, "theta13 must be finite"),
        ({"delta_cp": math.inf}, "delta_cp must be finite"),
        ({"dm21_ev2": 0.0}, "dm21_ev2 must be a non-zero mass splitting in eV\\^2, got 0.0"),
        ({"dm31_ev2": 2.5e3}, r"dm31_ev2 must be given in eV\^2"),
    ],
)
def test_bad_mixing_parameters(kwargs, match):
    base = {
        "theta12": 0.5,
        "theta13": 0.1,
        "theta23": 0.8,
        "delta_cp": 1.0,
        "dm21_ev2": 7e-5,
        "dm31_ev2": 2.5e-3,
    }
    with pytest.raises(InvalidParameterError, match=match):
        MixingParameters(**(base | kwargs))


def test_bad_media_and_inputs():
    with pytest.raises(
        InvalidParameterError, match=r"density_g_cm3 must be >= 0 g/cm\^3, got -2.0"
    ):
        Medium(-2.0)
    with pytest.raises(
        InvalidParameterError, match=r"electron_fraction must be .* in \(0, 1\], got 1.5"
    ):
        Medium(1.0, 1.5)
    with pytest.raises(InvalidParameterError, match=r"y_n .* must be >= 0, got -0.1"):
        Medium(1.0, 0.5, -0.1)
    p = MixingParameters.normal_ordering()
    with pytest.raises(InvalidParameterError, match=r"energy_mev must be > 0, got \[0.0\]"):
        probabilities(p, None, None, [1.0, 0.0], 1.0)
    with pytest.raises(InvalidParameterError, match=r"baseline_km must be >= 0, got \[-1.0\]"):
        probabilities(p, None, None, 1.0, -1.0)
    with pytest.raises(InvalidParameterError, match="baseline_km is required"):
        probabilities(p, None, None, 1.0)
    with pytest.raises(
        InvalidParameterError, match="baseline_km must be None when medium is a sequence"
    ):
        probabilities(p, None, [(Medium.earth_crust(), 1.0)], 1.0, 5.0)
    with pytest.raises(InvalidParameterError, match="layer 0 length_km must be >= 0"):
        probabilities(p, None, [(Medium.earth_crust(), -1.0)], 1.0)
    with pytest.raises(InvalidParameterError, match="layer 1 must be a"):
        probabilities(p, None, [(Medium.earth_crust(), 1.0), "crust"], 1.0)
    with pytest.raises(InvalidParameterError, match="layers is empty"):
        probabilities(p, None, [], 1.0)
    with pytest.raises(InvalidParameterError, match="non-unitary mixing"):
        probabilities(p, NSIModel.non_unitary(0.9), None, 1.0, 1.0)


def test_non_hermitian_matrices_are_rejected():
    p = MixingParameters.normal_ordering()
    bad = np.zeros((3, 3), complex)
    bad[0, 1] = 0.3
    with pytest.raises(
        InvalidParameterError, match=r"eps matrix must be Hermitian: entry \[0,1\] = \(0.3\+0j\)"
    ):
        probabilities(p, bad, Medium.earth_crust(), 1e3, 1300.0)
    with pytest.raises(InvalidParameterError, match=r"eps matrix must be Hermitian"):
        probabilities(p, np.diag([0.1j, 0, 0]), None, 1e3, 1300.0)
    with pytest.raises(
        InvalidParameterError, match=r"3x3 Hamiltonian-level eps matrix .* got shape \(2, 2\)"
    ):
        probabilities(p, np.zeros((2, 2)), None, 1e3, 1300.0)
    with pytest.raises(InvalidParameterError, match="eps_u must be Hermitian"):
        NSIModel(eps_u=bad)


# ---------------------------------------------------------------------- plots
def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from cevns.viz.oscillation import plot_degeneracy_probabilities, plot_eps_plane, plot_juno

    fig = plot_degeneracy_probabilities()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "GeV" in ax.get_xlabel()
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[2].get_ydata(), lines[0].get_ydata(), atol=TOL)
    assert np.abs(lines[1].get_ydata() - lines[0].get_ydata()).max() > 0.01
    fig2 = plot_degeneracy_probabilities(channel="mu->mu", antineutrino=True)
    assert isinstance(fig2, Figure)
    with pytest.raises(KeyError, match="unknown oscillation channel"):
        plot_degeneracy_probabilities(channel="mu->x")

    fig3 = plot_eps_plane()
    assert isinstance(fig3, Figure)
    assert "epsilon^{u,V}" in fig3.axes[0].get_xlabel()

    fig4 = plot_juno()
    ax4 = fig4.axes[0]
    assert "MeV" in ax4.get_xlabel()
    ys = [ln.get_ydata() for ln in ax4.get_lines()]
    np.testing.assert_allclose(ys[2], ys[0], atol=TOL)  # IO upper == NO lower
    np.testing.assert_allclose(ys[3], ys[1], atol=TOL)  # NO upper == IO lower
    assert np.abs(ys[0] - ys[1]).max() > 0.02
    for f in (fig, fig2, fig3, fig4):
        plt.close(f)
