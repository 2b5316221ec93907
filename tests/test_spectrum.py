import numpy as np
import pytest
from scipy import integrate

from cevns import NSIModel, Target, recoil_spectrum
from cevns.core.constants import DAY_S, M_MUON, M_PION
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.spectrum import flux_moments
from cevns.physics.cross_section import differential_cross_section, e_nu_min_mev
from cevns.sources.flux import CallableFlux, TabulatedFlux

E_PROMPT = (M_PION**2 - M_MUON**2) / (2 * M_PION)


def _reactor_like():
    # exponential-polynomial shape of the Vogel-Engel type, 1e13 per cm^2 s overall scale
    return CallableFlux(
        {"nuebar": lambda e: 1e13 * np.exp(0.870 - 0.160 * e - 0.091 * e**2)},
        {"nuebar": (0.0, 10.0)},
    )


def _pidar():
    # seed 002 Eq. 4.5, normalised to 1e7 per cm^2 s per flavour
    def numubar(e):
        x = e / M_MUON
        return 1e7 * 64 / M_MUON * x**2 * (0.75 - x)

    def nue(e):
        x = e / M_MUON
        return 1e7 * 192 / M_MUON * x**2 * (0.5 - x)

    return CallableFlux(
        {"nue": nue, "numubar": numubar},
        {"nue": (0.0, M_MUON / 2), "numubar": (0.0, M_MUON / 2)},
        {"numu": [(E_PROMPT, 1e7)]},
    )


def test_michel_normalisation():
    f = _pidar()
    for fl in ("nue", "numubar"):
        assert flux_moments(f, fl, 1e-9)[0] == pytest.approx(1e7, rel=1e-6)
    assert flux_moments(f, "numu", 1.0)[0] == 1e7
    assert flux_moments(f, "numu", E_PROMPT + 1e-6)[0] == 0.0


@pytest.mark.parametrize("flux_fn", [_reactor_like, _pidar])
@pytest.mark.parametrize("model", [NSIModel.sm(), NSIModel.lma_dark(x=1.0, mediator_mass_mev=20.0)])
def test_convergence_under_grid_refinement(flux_fn, model):
    # issue 2: 1e-4 relative under refinement of the neutrino-energy grid
    flux = flux_fn()
    target = Target.by_name("csi") if "numu" in flux.flavours else Target.by_name("germanium")
    t = np.geomspace(0.05, 30.0 if "numu" in flux.flavours else 2.0, 40)
    coarse = recoil_spectrum(flux, target, model, t)
    fine = recoil_spectrum(flux, target, model, t, n_enu=80001)
    ok = fine > 1e-12 * fine.max()
    assert np.max(np.abs(coarse[ok] / fine[ok] - 1)) < 1e-5


def test_moment_method_matches_direct_quadrature():
    # independent check: integrate dsigma/dT * dPhi/dE with scipy.quad for one isotope
    flux = _reactor_like()
    target = Target.from_isotopes({"Ge72": 1.0})
    nuc = target.nuclei[0]
    model = NSIModel.vector_nsi({"ee_u": 0.2, "ee_d": -0.1}, mediator_mass_mev=5.0)
    for t in (0.1, 0.5, 1.2):
        emin = float(e_nu_min_mev(t, nuc.mass_mev))

        def integrand(e, t=t):
            return float(flux.spectrum("nuebar", e) * differential_cross_section(t, e, nuc, model))

        ref, _ = integrate.quad(integrand, emin, 10.0, epsabs=0, epsrel=1e-10, limit=200)
        ref *= target.nuclei_per_kg[0] * DAY_S
        got = recoil_spectrum(flux, target, model, [t])[0]
        assert got == pytest.approx(ref, rel=2e-6)


def test_prompt_line_gives_box_spectrum_endpoint():
    flux = _pidar()
    target = Target.by_name("csi")
    per = recoil_spectrum(flux, target, None, [1.0, 60.0], per_flavour=True)
    # the 29.8 MeV line cannot give T = 60 keV on Cs/I (T_max ~ 14 keV)
    assert per["numu"][1] == 0.0
    assert per["numu"][0] > 0


def test_tabulated_flux_accepted_as_mapping():
    r1 = recoil_spectrum({"nuebar": ([1.0, 9.0], [2e12, 2e12])}, Target.by_name("ge"), None, [0.3])
    r2 = recoil_spectrum(
        TabulatedFlux({"nuebar": ([1.0, 9.0], [2e12, 2e12])}), Target.by_name("ge"), None, [0.3]
    )
    assert r1 == pytest.approx(r2)


def test_rate_scales_with_flux_and_is_sum_of_flavours():
    flux = _pidar()
    target = Target.by_name("csi")
    t = np.array([2.0, 10.0])
    total = recoil_spectrum(flux, target, None, t)
    per = recoil_spectrum(flux, target, None, t, per_flavour=True)
    np.testing.assert_allclose(total, sum(per.values()), rtol=1e-14)


def test_recoil_spectrum_bad_input():
    with pytest.raises(InvalidParameterError, match="e_nr_kev must be > 0"):
        recoil_spectrum(_reactor_like(), Target.by_name("ge"), None, [0.0, 1.0])
    with pytest.raises(InvalidParameterError, match="expected a Flux"):
        recoil_spectrum(42, Target.by_name("ge"), None, [1.0])
    with pytest.raises(InvalidParameterError, match="must be strictly increasing"):
        TabulatedFlux({"nuebar": ([1.0, 1.0], [1.0, 1.0])})
