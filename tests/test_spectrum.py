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


# --- the tail integrals kept per flux object (module notes of cevns.likelihood.spectrum) ---
class _CountingReactor:
    """A Dresden-II reactor flux that counts its evaluations on the 20,001-point grid."""

    def __init__(self):
        from cevns.sources.reactor import ReactorFlux

        self.flux = ReactorFlux.dresden_ii()
        self.calls = 0
        original = self.flux.spectrum

        def spectrum(flavour, e):
            if np.size(e) > 1000:
                self.calls += 1
            return original(flavour, e)

        self.flux.__dict__["spectrum"] = spectrum  # not setattr: no new state version


T_GE = np.geomspace(0.05, 3.0, 40)


def test_tails_kept_per_flux_object_and_identical_to_a_new_one():
    """A second spectrum (another model) on the same reactor flux tabulates nothing again,
    and gives the numbers a new flux object gives, bit for bit."""
    from cevns.sources.reactor import ReactorFlux

    ge = Target.element("Ge")
    counting = _CountingReactor()
    models = [NSIModel.sm(), NSIModel.light_zprime(-1e-10, 5.0)]
    first = [recoil_spectrum(counting.flux, ge, m, T_GE) for m in models]
    assert counting.calls == 1
    again = recoil_spectrum(counting.flux, ge, models[0], T_GE)
    assert counting.calls == 1
    fresh = [recoil_spectrum(ReactorFlux.dresden_ii(), ge, m, T_GE) for m in models]
    for a, b in zip(first, fresh, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again, first[0])
    recoil_spectrum(counting.flux, ge, models[0], T_GE, n_enu=5001)  # another grid
    assert counting.calls == 2


def test_a_changed_reactor_flux_is_tabulated_again():
    """Assigning an attribute makes a new state: the spectrum is that of a flux built with
    the new value (the power scales it; new fission fractions also rebuild the spectrum's
    pieces, which were kept before the tail integrals were). Doubling the power doubles
    every factor of the flux exactly in binary floating point, so the spectrum is twice
    the first bit for bit."""
    from types import MappingProxyType

    from cevns.sources.reactor import ReactorFlux

    ge = Target.element("Ge")
    flux = ReactorFlux.dresden_ii()
    r0 = recoil_spectrum(flux, ge, None, T_GE)
    flux.thermal_power_gw = 2 * flux.thermal_power_gw
    np.testing.assert_array_equal(recoil_spectrum(flux, ge, None, T_GE), 2 * r0)
    fractions = {"U235": 1.0}
    flux.fission_fractions = MappingProxyType(ReactorFlux._fractions(fractions))
    other = ReactorFlux.dresden_ii(
        fission_fractions=fractions, thermal_power_gw=flux.thermal_power_gw
    )
    np.testing.assert_array_equal(
        recoil_spectrum(flux, ge, None, T_GE), recoil_spectrum(other, ge, None, T_GE)
    )


def test_kept_tails_go_with_the_flux_and_stay_out_of_its_pickle():
    import gc
    import pickle
    import weakref

    from cevns.likelihood import spectrum
    from cevns.sources.spallation import PionDARFlux

    flux = PionDARFlux(protons_on_target=1e23, live_time_days=300.0)
    size = len(pickle.dumps(flux))
    csi = Target.compound("CsI")
    recoil_spectrum(flux, csi, None, [5.0, 10.0, 20.0])
    assert flux in spectrum._KEPT_TAILS
    assert len(pickle.dumps(flux)) == size
    alive = weakref.ref(flux)
    del flux
    gc.collect()
    assert alive() is None  # nothing kept holds the flux: its entry is gone with it


def test_a_flux_without_a_state_version_is_tabulated_at_every_call():
    """A duck-typed flux may change in ways cevns cannot see: nothing is kept for it."""
    from cevns.likelihood import spectrum

    class Box:
        flavours = ("nuebar",)
        calls = 0

        def spectrum(self, flavour, e):
            e = np.asarray(e, dtype=float)
            if e.size > 1000:
                Box.calls += 1
            return np.where((e >= 1.0) & (e <= 10.0), 1e12, 0.0)

        def energy_range(self, flavour):
            return (1.0, 10.0)

        def lines(self, flavour):
            return []

    box = Box()
    ge = Target.element("Ge")
    recoil_spectrum(box, ge, None, T_GE)
    recoil_spectrum(box, ge, None, T_GE)
    assert Box.calls == 2
    assert box not in spectrum._KEPT_TAILS
