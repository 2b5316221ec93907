"""Solar neutrinos: adiabatic MSW + NSI propagation (physics.solar) and the 8B/hep flux.

Reference numbers and their sources:

* SNO, PRC 88 (2013) 025501, combined three-phase analysis: day-time 8B survival
  probability at 10 MeV ``c0 = 0.317 +- 0.016 (stat) +- 0.009 (syst)``, total active 8B
  flux (NC) ``(5.25 +- 0.16 +0.11 -0.13) x 1e6 cm^-2 s^-1``;
* Borexino, Nature 562 (2018) 505: ``P_ee(7Be, 0.862 MeV) = 0.53 +- 0.05``,
  ``P_ee(8B, 8.1 MeV) = 0.37 +- 0.08``;
* B16 SSM, Vinyoles et al., ApJ 835 (2017) 202: 8B 5.46e6 (GS98) / 4.50e6 (AGSS09met),
  hep 7.98e3 / 8.25e3 cm^-2 s^-1;
* vacuum-averaged three-flavour limit ``c13^4 (1 - sin^2(2 theta12) / 2) + s13^4``.

No file is written outside ``tmp_path``.
"""

import math

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError, UnknownNameError
from cevns.physics import solar as ps
from cevns.physics.nsi import NSIModel
from cevns.physics.oscillation import MixingParameters, matter_potential_ev
from cevns.sources import solar as ss
from cevns.sources.flux import Flux

NO = MixingParameters.normal_ordering()
SUN = ps.SolarModel.b16()


def p_ee(params, model, e, **kw):
    return ps.probabilities_at_earth(params, model, e, **kw)[..., 0]


# ----------------------------------------------------------------------------- SM values
def test_sm_8b_survival_at_10_mev_matches_sno():
    p = float(p_ee(NO, None, 10.0))
    # SNO c0 = 0.317 +- 0.016 +- 0.009 (day-time, no Earth matter as here): within 1 sigma
    assert abs(p - 0.317) < math.hypot(0.016, 0.009)
    assert 0.30 < p < 0.33  # the LMA band of the brief
    assert p == pytest.approx(0.3223, abs=5e-4)  # measured: 0.32227


def test_sm_survival_below_1_mev_and_borexino():
    # Borexino 7Be (0.862 MeV, 7Be production profile): 0.53 +- 0.05 -> within 1 sigma
    p_be = float(p_ee(NO, None, 0.862, source="7Be"))
    assert abs(p_be - 0.53) < 0.05
    # Borexino 8B at 8.1 MeV: 0.37 +- 0.08
    assert abs(float(p_ee(NO, None, 8.1)) - 0.37) < 0.08
    # pp energies: ~0.55, within 0.01 of the vacuum-averaged 0.5525 (matter effect < 1 %)
    p_pp = p_ee(NO, None, [0.1, 0.2, 0.3, 0.42], source="pp")
    np.testing.assert_allclose(p_pp, 0.55, atol=0.01)
    # monotonic decrease from the vacuum to the matter-dominated regime (8B profile)
    e = np.geomspace(0.05, 16.0, 60)
    assert np.all(np.diff(p_ee(NO, None, e)) < 0)


def test_low_energy_limit_is_the_vacuum_average():
    s13, c13 = math.sin(NO.theta13), math.cos(NO.theta13)
    s2 = math.sin(2 * NO.theta12) ** 2
    expected = c13**4 * (1 - 0.5 * s2) + s13**4
    # at 1 keV V_CC / (dm21^2 / 2E) ~ 2e-4 in the core: matter shifts P_ee by < 1e-4
    assert float(p_ee(NO, None, 1e-3)) == pytest.approx(expected, abs=3e-4)
    two = NO.replace(theta13=0.0)
    assert float(p_ee(two, None, 1e-3)) == pytest.approx(1 - 0.5 * s2, abs=3e-4)


def test_three_flavour_matches_the_two_flavour_formula_with_c13_corrections():
    # P_ee = c13^4 (1/2 + 1/2 cos 2th12 cos 2th12^m) + s13^4, with c13^2 V_CC in th12^m
    # (valid to O(V / (dm31^2 / 2E)) ~ 5 % of s13^2 corrections: tolerance 2e-3)
    e = np.array([0.5, 2.0, 5.0, 10.0, 15.0])
    r = 0.05
    v = float(SUN.potential_ev_at(r))
    c13sq = math.cos(NO.theta13) ** 2
    beta = 2 * c13sq * v * e * 1e6 / NO.dm21_ev2
    c2, s2 = math.cos(2 * NO.theta12), math.sin(2 * NO.theta12)
    cos2m = (c2 - beta) / np.sqrt((c2 - beta) ** 2 + s2**2)
    expected = c13sq**2 * (0.5 + 0.5 * c2 * cos2m) + math.sin(NO.theta13) ** 4
    got = p_ee(NO, None, e, radius_rsun=[r])[:, 0]
    np.testing.assert_allclose(got, expected, atol=2e-3)


@pytest.mark.parametrize(
    "model",
    [
        None,
        NSIModel.vector_nsi({"ee_u": 0.3, "emu_d": 0.1j, "etau_q": -0.2, "tautau_d": 0.4}),
        NSIModel.lma_dark(x=0.5),
        NSIModel.vector_nsi({"ee_e": -2.0}),
    ],
)
def test_unitarity_and_bounds(model):
    e = np.geomspace(0.05, 19.0, 30)
    for params in (NO, NO.flipped(), MixingParameters.inverted_ordering()):
        p = ps.probabilities_at_earth(params, model, e)
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
        assert np.all((p >= -1e-14) & (p <= 1 + 1e-14))


# ----------------------------------------------------------------------------- adiabaticity
def test_adiabaticity_along_the_path_and_landau_zener_at_the_resonance():
    e = np.array([5.0, 10.0, 15.0])
    r = np.linspace(0.01, 0.95, 1000)
    gamma = ps.adiabaticity(NO, None, e, r)
    # every pair of levels, every radius: gamma >> 1 (measured minima, 1-2 sector:
    # 5.4e3, 2.0e3, 1.2e3 at 5, 10, 15 MeV)
    assert gamma.min() > 500
    lz, r_res = ps.landau_zener_gamma(NO, e)
    # resonance between 0.1 and 0.3 R_sun; LZ gamma 6.6e3, 2.7e3, 1.7e3
    assert np.all((r_res > 0.1) & (r_res < 0.3))
    np.testing.assert_allclose(lz, [6586.0, 2707.6, 1708.0], rtol=1e-3)
    # the general parameter of the (0, 1) levels at the resonance is the LZ one (3 %)
    at_res = [np.interp(rr, r, gamma[k, :, 0]) for k, rr in enumerate(r_res)]
    np.testing.assert_allclose(at_res, lz, rtol=0.03)
    # crossing probability exp(-pi gamma / 2): negligible
    assert np.all(np.exp(-np.pi * lz / 2) < 1e-100)
    # below ~2 MeV at the centre: no resonance on the path
    lz_low, r_low = ps.landau_zener_gamma(NO, [1.0])
    assert np.isnan(lz_low[0])
    assert np.isnan(r_low[0])
    # far above solar energies the resonance moves onto the exponential tail (> 0.5 R_sun)
    # and the transition stops being adiabatic (gamma ~ 1/E)
    lz_high, r_high = ps.landau_zener_gamma(NO, [300.0])
    assert 0.5 < r_high[0] < 0.6
    assert lz_high[0] < 100


@pytest.mark.parametrize("e_mev", [1.0, 5.0, 10.0, 15.0])
def test_numerical_evolution_agrees_with_the_adiabatic_formula(e_mev):
    num = ps.evolve_numerically(NO, None, [e_mev], 0.05, n_steps=20000)
    ad = ps.probabilities_at_earth(NO, None, [e_mev], radius_rsun=[0.05])[:, 0]
    # measured |difference| <= 1.5e-4: the O(1/gamma) non-adiabatic interference of a
    # neutrino produced at one point (it averages out over the production region)
    np.testing.assert_allclose(num, ad, atol=1e-3)
    np.testing.assert_allclose(num.sum(), 1.0, atol=1e-10)


def test_numerical_evolution_with_nsi():
    model = NSIModel.vector_nsi({"ee_u": 0.2, "emu_d": 0.05, "mutau_u": 0.05j})
    num = ps.evolve_numerically(NO, model, [8.0], 0.06, n_steps=20000)
    ad = ps.probabilities_at_earth(NO, model, [8.0], radius_rsun=[0.06])[:, 0]
    np.testing.assert_allclose(num, ad, atol=1e-3)


# ----------------------------------------------------------------------------- LMA-Dark
def test_lma_dark_is_exact_for_a_yn_independent_flip():
    # eps_ee = -2 from electron NSI: the matter term is exactly -V_CC (1 - 2) in every zone
    flip = NSIModel.vector_nsi({"ee_e": -2.0})
    e = np.geomspace(0.1, 18.0, 40)
    sm = ps.probabilities_at_earth(NO, None, e)
    for partner in (NO.flipped(), NO.sign_flipped()):
        dark = ps.probabilities_at_earth(partner, flip, e)
        np.testing.assert_allclose(dark, sm, rtol=0, atol=1e-12)
    # the flipped mixing alone (SM matter) is far from it: the degeneracy needs the NSI
    assert abs(float(p_ee(NO.flipped(), None, 10.0)) - float(p_ee(NO, None, 10.0))) > 0.3


def test_lma_dark_with_quark_nsi_is_broken_by_the_yn_profile():
    # eps^u = eps^d fixed so that eps_ee = -2 at the 8B-weighted Y_n; along the profile
    # eps_ee(Y_n) = -2 (1 + Y_n) / (1 + Y_n0) differs from -2 where Y_n != Y_n0
    y0 = float(SUN.production_weights("8B") @ SUN.neutron_fraction)
    assert y0 == pytest.approx(0.433, abs=0.01)
    model = NSIModel.lma_dark(x=0.0, y_n=y0)
    e = np.array([5.0, 10.0])
    sm = p_ee(NO, None, e)
    dark = p_ee(NO.flipped(), model, e)
    dev = dark - sm
    print(f"LMA-Dark with varying Y_n: P_ee(dark) - P_ee(SM) = {dev} at {e} MeV")  # pytest -s
    # measured 1.41e-3 at 10 MeV (4.3e-4 at 5 MeV): well above numerical precision
    assert 5e-4 < abs(dev[1]) < 5e-3
    # with Y_n held at Y_n0 along the whole path the degeneracy is exact again
    flat = SUN.with_neutron_fraction(y0)
    np.testing.assert_allclose(
        p_ee(NO.flipped(), model, e, solar=flat), p_ee(NO, None, e, solar=flat), atol=1e-12
    )
    # the seed's Y_n = 1/3 as the defining medium: a larger mismatch, 6.8e-3 at 10 MeV
    dev_seed = float(p_ee(NO.flipped(), NSIModel.lma_dark(x=0.0), 10.0) - sm[1])
    assert 3e-3 < abs(dev_seed) < 1.5e-2


# ----------------------------------------------------------------------------- solar model
def test_neutron_fraction_profile():
    y = SUN.neutron_fraction
    assert np.all(np.diff(y) <= 0)  # hydrogen increases outward
    x = (1 - y) / (1 + y)  # hydrogen mass fraction implied
    assert 0.30 < x[0] < 0.36
    assert 0.68 < x[-1] < 0.76
    np.testing.assert_allclose(SUN.neutron_fraction_at([0.05, 0.1]), [0.436, 0.310], atol=0.01)
    agss = ps.SolarModel.b16("agss09")
    assert float(agss.production_weights("8B") @ agss.neutron_fraction) == pytest.approx(
        0.42, abs=0.01
    )


def test_electron_density_profile_and_tail():
    # B16 table: log10(N_e/N_A) = 2.004 at the centre, 0.062 at 0.5 R_sun
    assert float(SUN.electron_density_na_at(0.0)) == pytest.approx(10**2.004, rel=1e-12)
    assert float(SUN.electron_density_na_at(0.5)) == pytest.approx(10**0.062, rel=1e-12)
    # exponential tail: scale height 0.091 R_sun (Bahcall's 1/10.54 = 0.095)
    assert SUN.tail_scale_height_rsun == pytest.approx(0.0912, abs=1e-3)
    n = SUN.electron_density_na_at(np.linspace(0.0, 1.0, 201))
    assert np.all(np.diff(n) <= 0)
    assert float(SUN.potential_ev_at(0.0)) == pytest.approx(
        float(matter_potential_ev(10**2.004, 1.0)), rel=1e-12
    )


def test_solar_model_validation():
    with pytest.raises(UnknownNameError, match="B16 composition 'gs9'"):
        ps.SolarModel.b16("gs9")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match=r"solar neutrino source '8b'.*'8B'"):
        SUN.production_weights("8b")
    with pytest.raises(InvalidParameterError, match=r"radius_rsun must lie in \[0, 1\]"):
        SUN.electron_density_na_at(1.5)
    with pytest.raises(InvalidParameterError, match="y_n must be >= 0"):
        SUN.with_neutron_fraction(-0.1)
    r = np.array([0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="electron_density_na must be > 0"):
        ps.SolarModel("x", r, [1.0, 0.0], [0.3, 0.3], {"8B": [1, 1]})
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        ps.SolarModel("x", r[::-1], [1.0, 1.0], [0.3, 0.3], {"8B": [1, 1]})
    with pytest.raises(InvalidParameterError, match=r"production\['8B'\]"):
        ps.SolarModel("x", r, [1.0, 1.0], [0.3, 0.3], {"8B": [0, 0]})
    with pytest.raises(InvalidParameterError, match="e_nu_mev must be > 0 MeV"):
        ps.probabilities_at_earth(NO, None, [1.0, 0.0])
    with pytest.raises(InvalidParameterError, match="need 0 <= radius_rsun < r_end_rsun"):
        ps.evolve_numerically(NO, None, [1.0], 0.9, r_end_rsun=0.5)
    with pytest.raises(InvalidParameterError, match="n_steps must be an integer >= 1"):
        ps.evolve_numerically(NO, None, [1.0], 0.1, n_steps=0)
    with pytest.raises(InvalidParameterError, match="theta12 must be < pi/4"):
        ps.landau_zener_gamma(NO.flipped(), [10.0])


def test_matter_term_comes_from_the_oscillation_hamiltonian():
    model = NSIModel.vector_nsi({"ee_u": 0.1, "emu_d": 0.2j, "tautau_e": 0.3})
    k0, k1 = ps.matter_term_per_potential(NO, model)
    for y in (0.0, 1.0):
        expected = model.hamiltonian_eps(y) + np.diag([1.0, 0.0, 0.0])
        np.testing.assert_allclose(k0 + y * (k1 - k0), expected, atol=1e-9)


# ----------------------------------------------------------------------------- the flux
def _integral(flux, component=None):
    if component is not None:  # on the component's own table nodes
        e = ss.solar_shape(component)[0]
        return float(np.trapezoid(flux.produced_spectrum(component, e), e))
    e = np.union1d(*(ss.solar_shape(c)[0] for c in ("8B", "hep")))
    return float(sum(np.trapezoid(flux.spectrum(f, e), e) for f in flux.flavours))


@pytest.mark.parametrize(
    ("normalisation", "total_8b", "total_hep"),
    [
        ("b16_gs98", 5.46e6, 7.98e3),
        ("b16_agss09", 4.50e6, 8.25e3),
        ("sno_nc", 5.25e6, 7.98e3),
        (3.0e6, 3.0e6, 7.98e3),
    ],
)
def test_flux_normalisations(normalisation, total_8b, total_hep):
    f = ss.SolarFlux(normalisation=normalisation)
    # the spectra are linear interpolations of the tables: the trapezoidal rule on the
    # table nodes is exact
    assert _integral(f, "8B") == pytest.approx(total_8b, rel=1e-12)
    assert _integral(f, "hep") == pytest.approx(total_hep, rel=1e-12)
    # unitarity: the three flavours at the Earth carry the whole produced flux (the hep
    # table starts at 0.0188 MeV with a non-zero value, so the 8B nodes below it add a
    # triangle of 1.4e-8 of the hep flux to the trapezoidal sum: tolerance 1e-7)
    assert _integral(f) == pytest.approx(total_8b + total_hep, rel=1e-7)


def test_flux_flavour_composition_and_protocol():
    f = ss.SolarFlux(components=("8B",))
    assert isinstance(f, Flux)
    assert f.flavours == ("nue", "numu", "nutau")
    assert f.energy_range("nue") == (0.0, 15.3)
    assert f.energy_range("nuebar") == (0.0, 0.0)
    assert f.lines("numu") == []
    np.testing.assert_array_equal(f.spectrum("nuebar", [5.0, 10.0]), 0.0)
    with pytest.raises(UnknownNameError, match="flavour 'nux'"):
        f.spectrum("nux", 1.0)
    e = np.array([5.0, 10.0])
    nue = f.spectrum("nue", e) / f.produced_spectrum("8B", e)
    np.testing.assert_allclose(nue, p_ee(NO, None, e), atol=5e-5)
    # the 8B nu_e fraction averaged over the spectrum: ~0.35 in the LMA (SNO CC/NC 0.34)
    e_grid = ss.solar_shape("8B")[0]
    frac = np.trapezoid(f.spectrum("nue", e_grid), e_grid) / 5.46e6
    assert 0.32 < frac < 0.38
    assert ss.SolarFlux(components=("8B", "hep")).energy_range("numu") == (0.0, 18.784)


@pytest.fixture
def table_calls(monkeypatch):
    """The components whose probability table is computed, with no table known before."""
    calls = []
    original = ss.probabilities_at_earth

    def counting(*args, **kwargs):
        calls.append(kwargs["source"])
        return original(*args, **kwargs)

    monkeypatch.setattr(ss, "probabilities_at_earth", counting)
    monkeypatch.setattr(ss, "_TABLES", {})  # nothing computed by earlier tests
    return calls


def test_flux_probabilities_are_cached_and_interpolated(table_calls):
    calls, original = table_calls, ps.probabilities_at_earth
    f = ss.SolarFlux(model=NSIModel.vector_nsi({"ee_u": 0.2}))
    e = np.geomspace(0.3, 15.0, 37)
    for _ in range(3):
        f.spectrum("nue", e)
        f.spectrum("numu", e)
    assert sorted(calls) == ["8B", "hep"]  # once per component, however many calls
    direct = original(f.mixing, f.model, e, source="8B")
    # log-E interpolation on 241 points: measured 8e-6
    np.testing.assert_allclose(f.probabilities("8B", e), direct, atol=5e-5)


def test_fluxes_of_the_same_physics_share_their_tables(table_calls):
    calls, original = table_calls, ps.probabilities_at_earth
    e = np.geomspace(0.5, 15.0, 11)
    nsi = {"ee_u": 0.2}
    first = ss.SolarFlux(model=NSIModel.vector_nsi(nsi), components=("8B",)).spectrum("nue", e)
    again = ss.SolarFlux(model=NSIModel.vector_nsi(nsi), components=("8B",)).spectrum("nue", e)
    assert calls == ["8B"]  # a second flux of the same physics computes nothing
    np.testing.assert_array_equal(again, first)
    # whatever changes the table computes its own: the NSI, the mixing, the solar model
    other_nsi = ss.SolarFlux(model=NSIModel.vector_nsi({"ee_u": 0.3}), components=("8B",))
    other_mixing = ss.SolarFlux(
        model=NSIModel.vector_nsi(nsi), mixing=NO.flipped(), components=("8B",)
    )
    other_solar = ss.SolarFlux(
        model=NSIModel.vector_nsi(nsi), components=("8B",), solar=ps.SolarModel.b16("agss09")
    )
    for flux in (other_nsi, other_mixing, other_solar):
        direct = original(flux.mixing, flux.model, e, source="8B", solar=flux.solar)
        # log-E interpolation on 241 points: measured 8e-6 (test above)
        np.testing.assert_allclose(flux.probabilities("8B", e), direct, atol=5e-5)
    assert len(calls) == 4


def test_flux_depends_on_the_model_and_the_mixing():
    e = np.array([10.0])
    sm = ss.SolarFlux(components=("8B",))
    dark = ss.SolarFlux(
        model=NSIModel.vector_nsi({"ee_e": -2.0}), mixing=NO.flipped(), components=("8B",)
    )
    # LMA-Dark (Y_n-independent): identical fluxes in every flavour
    for fl in sm.flavours:
        np.testing.assert_allclose(dark.spectrum(fl, e), sm.spectrum(fl, e), rtol=1e-10)
    nsi = ss.SolarFlux(model=NSIModel.vector_nsi({"ee_u": 0.3}), components=("8B",))
    assert abs(nsi.spectrum("nue", e)[0] / sm.spectrum("nue", e)[0] - 1) > 0.01


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"normalisation": "b16"}, UnknownNameError, "normalisation 'b16'.*did you mean"),
        ({"normalisation": -1.0}, InvalidParameterError, "normalisation must be a total flux > 0"),
        ({"normalisation": float("nan")}, InvalidParameterError, "normalisation must be"),
        ({"normalisation": True}, InvalidParameterError, "b16_gs98, b16_agss09, sno_nc"),
        ({"hep_normalisation": 0.0}, InvalidParameterError, "hep_normalisation must be"),
        ({"hep_normalisation": "sno_nc"}, InvalidParameterError, "SNO measures 8B only"),
        ({"components": ()}, InvalidParameterError, "at least one of 8B, hep"),
        ({"components": ("8B", "7Be")}, UnknownNameError, "solar flux component '7Be'"),
        ({"components": ("8B", "8B")}, InvalidParameterError, "must not repeat"),
        ({"model": "sm"}, InvalidParameterError, "model must be an NSIModel, got str"),
        ({"mixing": (0.5,)}, InvalidParameterError, "mixing must be MixingParameters"),
        ({"solar": 1.0}, InvalidParameterError, "solar must be a SolarModel"),
    ],
)
def test_flux_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.SolarFlux(**kwargs)


def test_total_flux_lookup_errors():
    with pytest.raises(InvalidParameterError, match=r"'sno_nc'.*8B only, not for 'hep'"):
        ss.solar_total_flux("hep", "sno_nc")
    with pytest.raises(UnknownNameError, match="solar flux component 'B8'"):
        ss.solar_total_flux("B8", "b16_gs98")
    f = ss.SolarFlux(components=("8B",))
    with pytest.raises(UnknownNameError, match="component of this flux 'hep'"):
        f.produced_spectrum("hep", 1.0)


# ----------------------------------------------------------------------------- config kind
EXPERIMENT = """schema = "cevns.experiment/1"
name = "solar_xe"
description = "8B CEvNS on xenon, count only"
likelihood = "chi2"

[flux]
kind = "solar"
{flux}

[detector]
kind = "recoil_threshold"
target = "xe"
threshold_kevnr = 1.0
upper_kevnr = 10.0
mass_kg = 1000.0
live_days = 365.0
timing = "none"

[dataset]
kind = "count_only"
name = "solar_xe_asimov"
counts = [100.0]
edges = [1.0, 10.0]
errors = "poisson"
"""


def _experiment(tmp_path, flux):
    path = tmp_path / "solar_xe.toml"
    path.write_text(EXPERIMENT.format(flux=flux))
    return load_experiment(path)


def test_solar_flux_kind_loads_and_scales(tmp_path):
    gs98 = _experiment(tmp_path, 'normalisation = "b16_gs98"\ncomponents = ["8B"]')
    sno = _experiment(tmp_path, 'normalisation = "sno_nc"\ncomponents = ["8B"]')
    both = _experiment(tmp_path, "")  # defaults: b16_gs98, 8B + hep
    n_gs98 = float(np.sum(gs98.expected("sm").signal))
    n_sno = float(np.sum(sno.expected("sm").signal))
    n_both = float(np.sum(both.expected("sm").signal))
    # 8B CEvNS on Xe above 1 keVnr: O(100) per tonne-year (XENONnT observed the signal)
    assert 10 < n_gs98 < 1000
    assert n_sno / n_gs98 == pytest.approx(5.25 / 5.46, rel=1e-10)
    assert 0 < n_both - n_gs98 < 0.05 * n_gs98  # hep adds a little


@pytest.mark.parametrize(
    ("flux", "match"),
    [
        ('normalisation = "ssm"', "unknown normalisation 'ssm'"),
        ("normalisation = -3.0", "must be > 0"),
        ('components = ["pp"]', "unknown solar component 'pp'"),
        ('hep_normalisation = "sno_nc"', "SNO measures 8B only"),
        ("ordering = 1", "ordering"),
    ],
)
def test_solar_flux_kind_errors(tmp_path, flux, match):
    with pytest.raises(InvalidConfigError, match=match):
        _experiment(tmp_path, flux)
