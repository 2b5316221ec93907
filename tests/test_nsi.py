import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cevns import NSIModel, Target, couplings_from_eps, eps_from_couplings
from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.physics.nsi import degenerate_eps


def test_degenerate_eps_csi_seed002():
    # seed 002 Eq. 4.6: 0.18 for CsI "for g_n = -1/2 and g_p = 1/2 - 2 sin^2 ~ 0.055"
    csi = Target.compound("CsI")
    model = NSIModel.sm(0.2225, couplings="tree")  # g_p = 0.055
    assert model.g_p == pytest.approx(0.055)
    assert degenerate_eps(csi.mean_z, csi.mean_n, model) == pytest.approx(0.18, abs=0.001)


def test_lma_dark_canonical_point_seed002_eq32():
    # seed 002 Eq. 3.2: eps^u = eps^d and Y_n = 1/3 give eps^q_ee = -1/2 for eps_ee = -2
    m = NSIModel.lma_dark(x=0.0, y_n=1 / 3)
    assert m.eps_u[0, 0].real == pytest.approx(-0.5)
    assert m.eps_d[0, 0].real == pytest.approx(-0.5)
    assert m.hamiltonian_eps(1 / 3)[0, 0].real == pytest.approx(-2.0)


def test_lma_dark_in_the_earth_seed001():
    # seed 001: "For the same parameters in the Earth, eps_ee = -3.1" (Y_n = 1.05)
    m = NSIModel.lma_dark(x=0.0, y_n=1 / 3)
    assert m.hamiltonian_eps(1.05)[0, 0].real == pytest.approx(-3.075)
    assert round(m.hamiltonian_eps(1.05)[0, 0].real, 1) == -3.1


def test_lma_dark_x_pattern_seed002_fig2():
    # seed 002 Fig. 2 caption: eps_ee^{u,V} = eps_ee^{d,V} = x/4 - 1/2 at Y_n = 1/3
    for x in (0.0, 0.5, 1.0, 1.5, 2.0):
        m = NSIModel.lma_dark(x=x)
        assert m.eps_u[0, 0].real == pytest.approx(x / 4 - 0.5)
        assert m.eps_u[1, 1].real == pytest.approx(x / 4)
        h = m.hamiltonian_eps(1 / 3).real
        assert np.diag(h) == pytest.approx([x - 2, x, x])


@given(st.floats(min_value=0.0, max_value=5.0))
def test_fully_degenerate_point_any_medium(y_n):
    # seed 001 / seed 000 point 5: eps^u = -4/3, eps^d = 2/3 gives eps_ee = -2 for every Y_n
    m = NSIModel.vector_nsi({"ee_u": -4 / 3, "ee_d": 2 / 3})
    assert m.hamiltonian_eps(y_n)[0, 0].real == pytest.approx(-2.0, abs=1e-12)


@given(st.floats(min_value=0.0, max_value=3.0), st.floats(min_value=0.01, max_value=0.99))
def test_lma_dark_u_fraction_gives_minus_two(y_n, w):
    m = NSIModel.lma_dark(x=0.0, y_n=y_n, u_fraction=w)
    assert m.hamiltonian_eps(y_n)[0, 0].real == pytest.approx(-2.0, rel=1e-12)


def test_couplings_roundtrip():
    # seed 000 Eq. 9: eps(0) = g_nu g_q / (2 sqrt2 G_F M^2)
    g = -3.7e-11
    for m in (0.5, 3.1, 48.0, 1e4):
        assert couplings_from_eps(eps_from_couplings(g, m), m) == pytest.approx(g, rel=1e-14)
    # seed 002 Sec. 2 quotes sqrt(g_nu g_q) ~ 7e-5 sqrt(eps) (M / 10 MeV); the exact
    # coefficient is sqrt(2 sqrt2 G_F) * 10 MeV = 5.74e-5 (the paper's "~" is an estimate).
    assert np.sqrt(couplings_from_eps(1.0, 10.0)) == pytest.approx(5.743e-5, rel=1e-3)


def test_light_zprime_sets_eps0():
    m = NSIModel.light_zprime(-1e-10, 10.0)
    e0 = float(eps_from_couplings(-1e-10, 10.0))
    assert m.eps_u[0, 0].real == pytest.approx(e0)
    assert m.eps_d[0, 0].real == pytest.approx(e0)
    assert m.eps_u[1, 1] == 0
    assert m.mediator_mass_mev == 10.0


def test_propagator():
    m = NSIModel.lma_dark(mediator_mass_mev=10.0)
    assert m.propagator(0.0) == 1.0
    assert m.propagator(10.0) == pytest.approx(0.5)
    assert NSIModel.lma_dark().propagator(1e6) == 1.0


def test_vector_ngi_is_vector_nsi():
    # seed 004 Sec. 2.4: C_V^q = 2 eps^{qV}
    a = NSIModel.ngi(c_v_u=0.3, c_v_d=-0.1)
    b = NSIModel.vector_nsi(
        {f"{p}_u": 0.15 for p in ("ee", "mumu", "tautau")}
        | {f"{p}_d": -0.05 for p in ("ee", "mumu", "tautau")}
    )
    assert a == b


def test_hamiltonian_eps_is_hermitian():
    m = NSIModel.vector_nsi({"emu_u": 0.1 + 0.2j, "etau_d": -0.3j, "mumu_q": 0.4})
    h = m.hamiltonian_eps(1.05)
    assert np.allclose(h, h.conj().T)


def test_non_unitarity_rate_factor_seed004_eq7():
    # R_NU = alpha11^2 (alpha11^2 + |alpha12|^2 + |alpha13|^2) R_SM
    m = NSIModel.non_unitary(alpha11=0.8, alpha12=0.3, alpha13=0.2j)
    assert m.rate_factor(0) == pytest.approx(0.8**2 * (0.8**2 + 0.3**2 + 0.2**2))
    assert NSIModel.sm().rate_factor(0) == 1.0


def test_replace_revalidates():
    with pytest.raises(InvalidParameterError, match="sin2_theta_w must lie in"):
        NSIModel.sm().replace(sin2_theta_w=1.5)


def test_parameters_report():
    p = NSIModel.lma_dark(x=1.0, mediator_mass_mev=30.0).parameters()
    assert p["mediator_mass_mev"] == 30.0
    assert p["eps_ee_u"] == pytest.approx(-0.25)
    assert p["eps_mumu_d"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"eps_u": [[0, 1, 0], [0, 0, 0], [0, 0, 0]]}, InvalidParameterError, "must be Hermitian"),
        ({"eps_d": np.zeros((2, 2))}, InvalidParameterError, "3x3 matrix"),
        ({"eps_u": np.full((3, 3), np.nan)}, InvalidParameterError, "must be finite"),
        ({"mediator_mass_mev": 0.0}, InvalidParameterError, "mediator_mass_mev must be > 0"),
        ({"mediator_mass_mev": -1.0}, InvalidParameterError, "mediator_mass_mev must be > 0"),
        ({"sin2_theta_w": float("nan")}, InvalidParameterError, "sin2_theta_w must be finite"),
        ({"c_s_u": float("inf")}, InvalidParameterError, "c_s_u must be finite"),
        # the Hermiticity tolerance is 1e-12 absolute: 2e-12 off is refused
        ({"eps_u": [[0, 2e-12, 0], [0, 0, 0], [0, 0, 0]]}, InvalidParameterError, "Hermitian"),
        ({"couplings": "loop"}, InvalidParameterError, "couplings must be 'radiative' or 'tree'"),
        ({"alpha": np.triu(np.ones((3, 3)))}, InvalidParameterError, "lower triangular"),
    ],
)
def test_bad_model_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        NSIModel(**kwargs)


def test_hermiticity_tolerance_accepts_rounding():
    eps = np.array([[0, 0.3 + 5e-13, 0], [0.3, 0, 0], [0, 0, 0]])  # below the 1e-12 tolerance
    assert NSIModel(eps_u=eps).eps_u[0, 1] == eps[0, 1]


def test_vector_nsi_bad_names():
    with pytest.raises(UnknownNameError, match="did you mean 'mumu'"):
        NSIModel.vector_nsi({"mumuu_u": 0.1})
    with pytest.raises(UnknownNameError, match="unknown NSI fermion 's'"):
        NSIModel.vector_nsi({"ee_s": 0.1})
    with pytest.raises(InvalidParameterError, match="diagonal NSI eps_ee_u must be real"):
        NSIModel.vector_nsi({"ee_u": 0.1j})
