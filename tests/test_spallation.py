import numpy as np
import pytest
from scipy import integrate

from cevns import NSIModel, Target, recoil_spectrum
from cevns.core.constants import DAY_S, M_MUON, TAU_MUON_US
from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.sources.flux import Flux
from cevns.sources.spallation import (
    E_NU_PROMPT_MEV,
    MUON_GAMMA_PIDAR,
    PionDARFlux,
    PulsedBeamTiming,
    TimingPDF,
    michel_nue,
    michel_numubar,
    pot_from_beam_energy,
    prompt_contamination,
    prompt_delayed_split,
)


@pytest.fixture(scope="module")
def csi2017():
    # COHERENT CsI 2017: 1.76e23 POT (data README Sec. 6), 19.3 m, 0.08 nu/flavour/proton
    # (coherent_parameters.yaml); the live time only sets the time average
    return PionDARFlux(protons_on_target=1.76e23, live_time_days=308.1)


def test_prompt_line_energy():
    # seed 002 Eq. 4.5: (m_pi^2 - m_mu^2) / (2 m_pi) = 29.79 MeV (PDG2022 masses)
    e_prompt = E_NU_PROMPT_MEV
    assert e_prompt == pytest.approx(29.79, abs=5e-3)
    assert e_prompt == pytest.approx(29.7921, abs=1e-4)


@pytest.mark.parametrize("shape", [michel_nue, michel_numubar])
def test_michel_spectra_are_normalised(shape):
    # seed 002 Eq. 4.5: each delayed spectrum integrates to one neutrino per decay
    assert integrate.quad(shape, 0.0, M_MUON / 2)[0] == pytest.approx(1.0, rel=1e-12)
    assert float(shape(-1.0)) == 0.0
    assert float(shape(M_MUON / 2 + 1e-9)) == 0.0


def test_michel_shapes():
    # moments of Eq. 4.5 computed by hand: <E_nue> = 0.30 m_mu = 31.70 MeV,
    # <E_numubar> = 0.35 m_mu = 36.98 MeV; nu_e peaks at m_mu/3, nu_mu-bar at the endpoint
    mean_nue = integrate.quad(lambda e: e * michel_nue(e), 0, M_MUON / 2)[0]
    mean_numubar = integrate.quad(lambda e: e * michel_numubar(e), 0, M_MUON / 2)[0]
    assert mean_nue == pytest.approx(0.30 * M_MUON, rel=1e-10)
    assert mean_numubar == pytest.approx(0.35 * M_MUON, rel=1e-10)
    e = np.linspace(0.0, M_MUON / 2, 100_001)
    assert e[np.argmax(michel_nue(e))] == pytest.approx(M_MUON / 3, abs=1e-3)
    assert np.all(np.diff(michel_numubar(e)) > 0)
    assert float(michel_nue(M_MUON / 2)) == 0.0
    assert float(michel_numubar(M_MUON / 2)) == pytest.approx(4.0 / M_MUON)  # 64 (1/4)(1/4)


def test_flux_normalisation(csi2017):
    # r POT / (4 pi L^2) = 0.08 * 1.76e23 / (4 pi 1930^2 cm^2)
    assert csi2017.fluence_per_flavour == pytest.approx(0.08 * 1.76e23 / (4 * np.pi * 1930.0**2))
    assert csi2017.fluence_per_flavour == pytest.approx(3.008e14, rel=1e-3)
    per_s = csi2017.flux_per_flavour
    assert per_s == pytest.approx(csi2017.fluence_per_flavour / (308.1 * DAY_S))
    for flavour in ("nue", "numubar"):
        lo, hi = csi2017.energy_range(flavour)
        got = integrate.quad(lambda e, f=flavour: csi2017.spectrum(f, e), lo, hi)[0]
        assert got == pytest.approx(per_s, rel=1e-10)
    assert csi2017.lines("numu") == [(E_NU_PROMPT_MEV, per_s)]
    assert csi2017.lines("nue") == []
    assert csi2017.energy_range("numu") == (0.0, 0.0)


def test_flux_protocol(csi2017):
    assert isinstance(csi2017, Flux)
    assert csi2017.flavours == ("nue", "numu", "numubar")
    assert csi2017.spectrum("numu", [10.0, 30.0]).tolist() == [0.0, 0.0]
    assert csi2017.spectrum("nuebar", [10.0]).tolist() == [0.0]


def test_beam_energy_conversion():
    # 1 GWh = 3.6e12 J; at 1 GeV per proton 7.47594 GWh (coherent_parameters.yaml) is 1.680e23
    assert pot_from_beam_energy(7.47594) == pytest.approx(1.6798e23, rel=1e-4)
    # LAr 2020 (LArParametersAnlA.yaml): 6.12 GWhr <-> 13.8e22 POT, i.e. 0.996 GeV per proton
    assert pot_from_beam_energy(6.12, proton_energy_gev=0.996) == pytest.approx(13.8e22, rel=1e-3)
    a = PionDARFlux.from_beam_energy(7.47594, live_time_days=100.0)
    assert a.protons_on_target == pytest.approx(pot_from_beam_energy(7.47594))
    b = PionDARFlux.from_protons_per_second(1.0e15)
    assert b.flux_per_flavour == pytest.approx(0.08 * 1e15 / (4 * np.pi * 1930.0**2))


def test_recoil_spectrum_includes_the_line(csi2017):
    csi = Target.compound("CsI")
    rates = recoil_spectrum(csi2017, csi, NSIModel.sm(), [5.0, 10.0, 20.0], per_flavour=True)
    assert set(rates) == {"nue", "numu", "numubar"}
    # the 29.8 MeV line reaches T_max = 2 E^2 / m ~ 14 keVnr on Cs and I; Michel ones go further
    assert np.all(rates["numu"][:2] > 0)
    assert rates["numu"][2] == 0.0
    assert rates["nue"][2] > 0
    assert rates["numubar"][2] > 0


# --- timing -----------------------------------------------------------------------------------
def test_prompt_contamination_values():
    # seed 002 Eq. 4.2 with p_w = 0.695 us, b_w = 1 us and the PDG muon lifetime at rest
    assert prompt_contamination(0.695, 1.0) == pytest.approx(0.25385, abs=1e-5)
    # the printed 0.246 needs Gamma = E_mu/m_mu = 1.0390 of the pi-DAR muon
    gamma = MUON_GAMMA_PIDAR
    assert gamma == pytest.approx(1.0390, abs=1e-4)
    assert prompt_contamination(0.695, 1.0, lorentz_gamma=MUON_GAMMA_PIDAR) == pytest.approx(
        0.246, abs=5e-4
    )
    # seed 001 (talk): t_w = 0.695 us for both widths gives 0.138, with the same Gamma
    assert prompt_contamination(0.695, 0.695, lorentz_gamma=MUON_GAMMA_PIDAR) == pytest.approx(
        0.138, abs=5e-4
    )
    assert prompt_contamination(0.695, 0.695) == pytest.approx(0.14273, abs=1e-5)


def test_prompt_contamination_matches_its_integral():
    p_w, b_w, tau = 0.5, 1.5, TAU_MUON_US
    direct = integrate.quad(lambda t: 1 - np.exp(-(b_w - t) / tau), 0, p_w)[0] / p_w
    assert prompt_contamination(p_w, b_w) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.0, 1.0), {}, r"pulse_width_us must be > 0, got 0.0"),
        ((0.695, 0.5), {}, r"bin_width_us must be >= pulse_width_us \(0.695\), got 0.5"),
        ((0.695, 1.0, -2.2), {}, r"tau_us must be > 0"),
        ((0.695, 1.0), {"lorentz_gamma": 0.9}, r"lorentz_gamma must be >= 1, got 0.9"),
    ],
)
def test_prompt_contamination_bad_input(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        prompt_contamination(*args, **kwargs)


def test_prompt_delayed_split():
    # seed 002 Eq. 4.1
    counts = {"numu": np.array([10.0, 20.0]), "nue": np.array([5.0, 6.0]), "numubar": 4.0}
    p, d = prompt_delayed_split(counts, 0.25)
    np.testing.assert_allclose(p, [10 + 0.25 * 9, 20 + 0.25 * 10])
    np.testing.assert_allclose(d, [0.75 * 9, 0.75 * 10])
    np.testing.assert_allclose(p + d, [19.0, 30.0])  # nothing lost
    only_prompt = prompt_delayed_split({"numu": 3.0}, 0.3)
    assert (float(only_prompt.prompt), float(only_prompt.delayed)) == (3.0, 0.0)


@pytest.mark.parametrize(
    ("counts", "p_c", "error", "match"),
    [
        (
            {"nutau": 1.0},
            0.2,
            InvalidParameterError,
            r"pi-DAR produces only \['nue', 'numu', 'numubar'\], got counts for 'nutau'",
        ),
        ({"nu_mu": 1.0}, 0.2, UnknownNameError, r"unknown flavour 'nu_mu'"),
        ({"numu": 1.0}, 1.5, InvalidParameterError, r"p_c must be within \[0, 1\], got 1.5"),
        ({"numu": 1.0}, -0.1, InvalidParameterError, r"p_c must be >= 0"),
    ],
)
def test_prompt_delayed_split_bad_input(counts, p_c, error, match):
    with pytest.raises(error, match=match):
        prompt_delayed_split(counts, p_c)


@pytest.mark.parametrize("component", ["prompt_neutrinos", "delayed_neutrinos", "prompt_neutrons"])
def test_coherent_timing_pdfs(component):
    # COHERENT CsI 2017 release: 24 bins of 0.5 us on [0, 12) us, each PDF sums to 1
    pdf = TimingPDF.from_coherent_csi_2017(component)
    np.testing.assert_allclose(pdf.edges_us, np.arange(0.0, 12.01, 0.5))
    assert pdf.weights.sum() == pytest.approx(1.0, rel=1e-12)
    fine = pdf.integrate(np.linspace(0.0, 12.0, 97))
    np.testing.assert_allclose(fine.reshape(24, 4).sum(axis=1), pdf.weights, atol=1e-15)
    assert pdf.integrate([-5.0, 0.0, 12.0, 20.0]).tolist() == pytest.approx([0.0, 1.0, 0.0])


def test_coherent_timing_numbers():
    # arrival-time files of the CsI 2017 release: the prompt neutrinos are in [0, 1) us up to
    # 2.6 %; 12.1 % of the delayed ones arrive in the first microsecond
    prompt = TimingPDF.from_coherent_csi_2017("prompt_neutrinos")
    delayed = TimingPDF.from_coherent_csi_2017("delayed_neutrinos")
    assert prompt.integrate([0.0, 1.0])[0] == pytest.approx(0.9743, abs=1e-4)
    assert delayed.integrate([0.0, 1.0])[0] == pytest.approx(0.1206, abs=1e-4)


def test_analytic_timing_reproduces_the_coherent_delayed_pdf():
    # pulse fitted to the tabulated prompt PDF, then pion and muon decays (PDG lifetimes)
    prompt = TimingPDF.from_coherent_csi_2017("prompt_neutrinos")
    delayed = TimingPDF.from_coherent_csi_2017("delayed_neutrinos")
    model = PulsedBeamTiming.coherent_csi_2017()
    np.testing.assert_allclose(
        model.pdf("prompt", prompt.edges_us).weights, prompt.weights, atol=2e-3
    )
    np.testing.assert_allclose(
        model.pdf("delayed", delayed.edges_us).weights, delayed.weights, atol=2e-3
    )


def test_analytic_timing_moments():
    model = PulsedBeamTiming()
    edges = np.linspace(-2.0, 60.0, 62_001)
    centres = 0.5 * (edges[1:] + edges[:-1])
    for component, mean in [
        ("prompt", model.pulse_mean_us + model.tau_pion_us),
        ("delayed", model.pulse_mean_us + model.tau_pion_us + model.tau_muon_us),
    ]:
        p = model.integrate(component, edges)
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert np.sum(p * centres) == pytest.approx(mean, abs=1e-4)
    no_pion = PulsedBeamTiming(tau_pion_us=0.0)
    assert float(no_pion.cdf("prompt", no_pion.pulse_mean_us)) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: TimingPDF.from_coherent_csi_2017("neutrons"),
            UnknownNameError,
            r"unknown COHERENT timing component 'neutrons'",
        ),
        (
            lambda: TimingPDF([0.0, 1.0], [1.0, 2.0]),
            InvalidParameterError,
            r"one entry per bin \(1\), got shape \(2,\)",
        ),
        (
            lambda: TimingPDF([0.0, 1.0, 2.0], [1.0, -1.0]),
            InvalidParameterError,
            r"weights must be >= 0",
        ),
        (
            lambda: TimingPDF([1.0, 0.0], [1.0]),
            InvalidParameterError,
            r"edges_us must be strictly increasing",
        ),
        (
            lambda: PulsedBeamTiming().cdf("late", 1.0),
            UnknownNameError,
            r"unknown timing component 'late'",
        ),
        (
            lambda: PulsedBeamTiming(pulse_sigma_us=0.0),
            InvalidParameterError,
            r"pulse_sigma_us must be > 0",
        ),
        (
            lambda: PionDARFlux(protons_on_target=-1.0, live_time_days=1.0),
            InvalidParameterError,
            r"protons_on_target must be > 0, got -1.0",
        ),
        (
            lambda: PionDARFlux(protons_on_target=1e23, live_time_days=1.0, baseline_m=0.0),
            InvalidParameterError,
            r"baseline_m must be > 0",
        ),
    ],
)
def test_bad_timing_and_flux_input(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_time_fractions_from_tabulated_pdfs_and_p_c():
    """The shared builder integrates the CsI 2017 PDFs like a direct sum over their bins."""
    from cevns.sources.spallation import PiDARTimeFractions

    prompt = TimingPDF.from_coherent_csi_2017("prompt_neutrinos")
    delayed = TimingPDF.from_coherent_csi_2017("delayed_neutrinos")
    t = PiDARTimeFractions.from_pdfs(prompt, delayed, [0.0, 1.0, 6.0, 12.0])
    # independent: the tabulated 0.5 us probabilities summed over whole bins
    np.testing.assert_allclose(
        t.prompt, [prompt.weights[:2].sum(), prompt.weights[2:12].sum(), prompt.weights[12:].sum()]
    )
    np.testing.assert_allclose(t.delayed.sum(), 1.0, rtol=1e-12)
    pc = PiDARTimeFractions.from_prompt_contamination([0.0, 1.0, 12.0], 0.2457)
    f = pc.fractions(["numu", "nue", "numubar"])
    assert f["numu"].tolist() == [1.0, 0.0]
    assert f["nue"].tolist() == pytest.approx([0.2457, 0.7543])
    with pytest.raises(InvalidParameterError, match="3 edges"):
        PiDARTimeFractions.from_prompt_contamination([0.0, 1.0, 6.0, 12.0], 0.2)
    with pytest.raises(InvalidParameterError, match=r"within \[0, 1\]"):
        PiDARTimeFractions.from_prompt_contamination([0.0, 1.0, 12.0], 1.5)
    with pytest.raises(InvalidParameterError, match="TimingPDF"):
        PiDARTimeFractions.from_pdfs(prompt, [0.5, 0.5], [0.0, 1.0])
