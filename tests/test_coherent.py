"""COHERENT CsI 2017 components: detector, flux, timing counts, the seed-002 experiment."""

import numpy as np
import pytest

from cevns import NSIModel, Target
from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.detectors.efficiency import SigmoidAcceptance2017
from cevns.detectors.threshold import RecoilThresholdDetector
from cevns.experiments.coherent_csi_2017 import (
    CSI_2017_LIVE_DAYS,
    CSI_2017_MASS_KG,
    CsI2017Detector,
    PiDARTiming,
    coherent_csi_2017_flux,
    coherent_csi_2017_parameters,
    pidar_p_c,
)
from cevns.likelihood.dataset import count_only_dataset
from cevns.likelihood.experiment import NormaliseToEvents
from cevns.likelihood.signal import Signal
from cevns.physics.families import family
from cevns.reproduce.dfs2018_timing import timing_counts, timing_counts_dataset
from cevns.stats.fit import fit

SIN2_SEED002 = 0.2225


@pytest.fixture(scope="module")
def timing_experiment():
    return load_experiment("coherent_csi_2017_timing")


# ---------------------------------------------------------------- release parameters
def test_release_parameters():
    p = coherent_csi_2017_parameters()
    assert p == {
        "beam_energy_gwh": 7.47594,
        "baseline_m": 19.3,
        "qf": 0.0878,
        "qf_sigma": 0.0166,
        "light_yield_pe_per_kev": 13.348,
        "nu_per_flavour_per_proton": 0.08,
        # coherent_parameters.yaml: value, +1 sigma, -1 sigma (asymmetric)
        "acceptance_a": 0.6655,
        "acceptance_a_hi": 0.0212,
        "acceptance_a_lo": 0.0384,
        "acceptance_k": 0.4942,
        "acceptance_k_hi": 0.0335,
        "acceptance_k_lo": 0.0131,
        "acceptance_x0": 10.8507,
        "acceptance_x0_hi": 0.1838,
        "acceptance_x0_lo": 0.3995,
    }


def test_flux_from_release():
    f = coherent_csi_2017_flux()
    # 7.47594 GWh / 1 GeV = 1.6798e23 POT; 0.08 nu per flavour per POT at 19.3 m
    assert f.protons_on_target == pytest.approx(1.6798e23, rel=1e-4)
    assert f.fluence_per_flavour == pytest.approx(
        0.08 * 1.6798e23 / (4 * np.pi * 1930.0**2), rel=1e-4
    )
    assert coherent_csi_2017_flux(protons_on_target=1.76e23).protons_on_target == 1.76e23
    with pytest.raises(InvalidParameterError, match="protons_on_target must be > 0"):
        coherent_csi_2017_flux(protons_on_target=-1.0)


# ---------------------------------------------------------------- detector
def test_csi_detector_acceptance_and_pe_conversion():
    det = CsI2017Detector()
    assert det.mass_kg == 14.57
    assert [n.name for n in det.target.nuclei] == ["Cs133", "I127"]
    # the release prescribes the acceptance at the 1-PE bin centre n + 0.5 (the same
    # definition as the PE x time detector of coherent_csi_full)
    assert det.acceptance.shift == 0.5
    acc = det.acceptance.function
    assert acc == SigmoidAcceptance2017(0.6655, 0.4942, 10.8507)
    assert CsI2017Detector(acceptance_at="integer").acceptance.shift == 0.0
    # H = 0 below 5 PE, 1/2 in [5, 6), 1 from 6 PE (coherent_parameters.yaml)
    np.testing.assert_allclose(
        acc(np.array([4.0, 5.0, 6.0, 30.0])),
        [
            0.0,
            0.5 * 0.6655 / (1 + np.exp(-0.4942 * (5 - 10.8507))),
            0.6655 / (1 + np.exp(-0.4942 * (6 - 10.8507))),
            0.6655 / (1 + np.exp(-0.4942 * (30 - 10.8507))),
        ],
        rtol=1e-12,
    )
    # 20 keVnr -> 0.0878 * 20 = 1.756 keVee -> 23.44 PE on average
    assert float(det.quench([20.0])[0]) * det.light_yield_pe_per_kev == pytest.approx(
        20 * 0.0878 * 13.348
    )
    # a recoil far above the window gives nothing in 6-30 PE; one in the middle is accepted
    r = det.response_matrix(np.array([1.0, 20.0, 200.0]))
    assert r[0, 2] < 1e-50
    assert r[0, 1] > 0.0
    no_acc = CsI2017Detector(acceptance=False)
    assert no_acc.acceptance is None


def test_sm_prediction_absolute():
    """The framework's own SM prediction for the 2017 exposure (COHERENT: 173 +- 48)."""
    flux = coherent_csi_2017_flux()
    sig = Signal(flux, CsI2017Detector())
    tree = sig.expected_counts(NSIModel.sm(SIN2_SEED002, couplings="tree")).sum()
    low = sig.expected_counts(NSIModel.sm(couplings="tree")).sum()
    rad = sig.expected_counts(NSIModel.sm()).sum()
    # pinned to this implementation (1.680e23 POT, 6 <= PE < 30, acceptance at the 1-PE
    # bin centre n + 0.5; at the integer n they were 152.71, 168.22 and 172.8)
    assert tree == pytest.approx(162.71, rel=2e-3)
    assert low == pytest.approx(179.23, rel=2e-3)
    assert rad == pytest.approx(184.15, rel=2e-3)
    # one definition: the PE x time experiment predicts the same total (Helm, radiative)
    full = load_experiment("coherent_csi_2017").expected("sm").signal.sum()
    assert full == pytest.approx(rad, rel=1e-9)
    # against the published 173 +- 48 (and 1.76e23 POT would give x 1.048)
    for n in (tree, low, rad):
        assert abs(n - 173.0) < 48.0
    # seed 002's 7 keVnr threshold without acceptance counts about twice as many
    csi_thr = RecoilThresholdDetector(
        Target.by_name("csi"),
        threshold_kev=7.0,
        mass_kg=CSI_2017_MASS_KG,
        live_days=CSI_2017_LIVE_DAYS,
    )
    thr = Signal(flux, csi_thr)
    n_thr = thr.expected_counts(NSIModel.sm(SIN2_SEED002, couplings="tree")).sum()
    assert n_thr == pytest.approx(326.19, rel=2e-3)


def test_timing_fractions():
    assert PiDARTiming().p_c == pytest.approx(0.2539, abs=1e-4)  # physical default
    t = PiDARTiming(p_c=pidar_p_c(convention="seed002"))
    assert t.p_c == pytest.approx(0.24572, abs=1e-5)
    fr = t.fractions(("nue", "numu", "numubar"))
    np.testing.assert_allclose(fr["numu"], [1.0, 0.0])
    np.testing.assert_allclose(fr["nue"], [t.p_c, 1 - t.p_c])
    assert pidar_p_c() == pytest.approx(0.2539, abs=1e-4)
    pdf = PiDARTiming(mode="coherent_pdf").fractions(("numu", "nue"))
    # the release's PDFs: the pulse sits at 0.69 us, so less of the delayed flux is prompt
    assert pdf["numu"][0] == pytest.approx(0.9743, abs=1e-4)
    assert pdf["nue"][0] == pytest.approx(0.1206, abs=1e-4)


# ---------------------------------------------------------------- data
def test_timing_counts_from_release():
    c, ac = timing_counts()
    assert c.tolist() == [153.0, 702.0]
    assert ac.tolist() == [102.0, 601.0]
    # README sanity check: 6-30 PE, t < 6 us: 547 - 405 = 142 beam-on, 209 - 207 beam-off
    c6, ac6 = timing_counts(windows_us=[(0.0, 6.0)])
    assert (c6 - ac6).tolist() == [142.0]
    c6, ac6 = timing_counts(windows_us=[(0.0, 6.0)], beam="off")
    assert c6.tolist() == [209.0]
    assert ac6.tolist() == [207.0]
    d = timing_counts_dataset()
    assert d.counts.tolist() == [51.0, 101.0]
    np.testing.assert_allclose(d.errors, np.sqrt(1.2 * np.array([51.0, 101.0])))
    assert d.edges[0].tolist() == [0.0, 1.0, 12.0]
    pois = timing_counts_dataset(errors="poisson")
    np.testing.assert_allclose(pois.errors, np.sqrt([153.0 + 102.0, 702.0 + 601.0]))


# ---------------------------------------------------------------- experiment
def test_loaded_experiment(timing_experiment):
    exp = timing_experiment
    det = exp.signal.detector
    np.testing.assert_allclose(exp.signal.timing[:, 0], [det.timing.p_c, 1.0, det.timing.p_c])
    # seed-002 convention: the tree-level SM at sin2 = 0.2225 gives COHERENT's 173 events
    sm = family("sm_tree").with_defaults(sin2_theta_w=SIN2_SEED002)
    e = exp.expected(sm).signal
    assert e.sum() == pytest.approx(173.0, rel=1e-9)
    assert exp.reference_events == pytest.approx(326.19, rel=2e-3)
    assert exp.exposure_factor == pytest.approx(173.0 / exp.reference_events)
    # N_p = N_numu + P_c N_delayed: prompt 67.1, delayed 105.9
    np.testing.assert_allclose(e, [67.06, 105.94], atol=0.02)
    cost = exp.cost(sm)
    assert cost.priors == {"coherent_csi_2017_timing.flux_norm": (1.0, 0.2)}
    res = fit(cost)
    assert res.valid
    assert res.fval == pytest.approx(1.901, abs=2e-3)
    assert res.values["coherent_csi_2017_timing.flux_norm"] == pytest.approx(0.885, abs=2e-3)
    # Eq. 4.8 by hand at the best fit
    xi = res.values["coherent_csi_2017_timing.flux_norm"] - 1
    chi2 = np.sum(((1 + xi) * e - [51.0, 101.0]) ** 2 / (1.2 * np.array([51.0, 101.0])))
    assert res.fval == pytest.approx(chi2 + (xi / 0.2) ** 2, rel=1e-6)


def test_absolute_normalisation_option():
    exp = load_experiment(
        "coherent_csi_2017_timing", {"detector.normalise_sm_to": 326.1934489622614}
    )
    sm = family("sm_tree").with_defaults(sin2_theta_w=SIN2_SEED002)
    assert exp.expected(sm).signal.sum() == pytest.approx(326.1934489622614, rel=1e-9)
    assert exp.exposure_factor == pytest.approx(1.0, rel=1e-6)


def test_pe_detector_in_the_timing_experiment():
    exp = load_experiment(
        "coherent_csi_2017_timing",
        {"detector": {"kind": "coherent_csi_2017", "timing": "coherent_pdf"}},
    )
    e = exp.expected(family("sm_tree").with_defaults(sin2_theta_w=SIN2_SEED002)).signal
    # absolute (no normalisation): all of the 6-30 PE prediction lands in [0, 12) us
    assert e.sum() == pytest.approx(162.71, rel=2e-3)
    # numu 30.43 and nu_e + nu_mu-bar 132.28 events shared with the release's PDFs
    assert e[0] == pytest.approx(0.97430 * 30.427 + 0.12060 * 132.283, rel=2e-3)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (
            {"dataset.pe_range": [5.0, 30.0]},
            r"pe_range edges must lie on the release.s grid \(steps",
        ),
        ({"dataset.delayed_window_us": [2.0, 12.0]}, "prompt_window_us must end where"),
        (
            {"dataset.prompt_window_us": [0.0, 13.0], "dataset.delayed_window_us": [13.0, 14.0]},
            r"must satisfy 0 <= lo < hi <= 12",
        ),
        ({"detector.time_edges_us": [0.0, 1.0, 6.0, 12.0]}, "needs 3 edges"),
        ({"detector.threshold_kevnr": -7.0}, "greater than 0"),
        ({"detector.p_c": 1.5}, "less than or equal to 1"),
        ({"detector.treshold_kevnr": 7.0}, "did you mean 'threshold_kevnr'"),
    ],
)
def test_bad_configuration(overrides, match):
    with pytest.raises(InvalidConfigError, match=match):
        load_experiment("coherent_csi_2017_timing", overrides)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="needs exactly two time bins"):
        PiDARTiming(edges_us=(0.0, 1.0, 2.0, 12.0))
    with pytest.raises(InvalidParameterError, match=r"p_c must be within \[0, 1\], got 1.2"):
        PiDARTiming(p_c=1.2)
    with pytest.raises(InvalidParameterError, match="covers 0-12 us"):
        PiDARTiming(edges_us=(0.0, 1.0, 20.0), mode="coherent_pdf")
    with pytest.raises(InvalidParameterError, match="pi-DAR timing knows"):
        PiDARTiming().fractions(("nuebar",))
    with pytest.raises(InvalidParameterError, match="events must be > 0, got -1"):
        NormaliseToEvents(events=-1.0)
    with pytest.raises(InvalidParameterError, match="timing must be a PiDARTiming"):
        CsI2017Detector(timing="p_c")
    with pytest.raises(InvalidParameterError, match="beam must be 'on' or 'off'"):
        timing_counts(beam="up")
    with pytest.raises(InvalidParameterError, match="errors must be 'seed002' or 'poisson'"):
        timing_counts_dataset(errors="gauss")
    with pytest.raises(InvalidParameterError, match=r"need counts > 0, got \[0.0\]"):
        count_only_dataset([0.0], [0.6, 1000.0])


def test_conus_experiments_are_normalised_asimov():
    sm = family("sm_tree").with_defaults(sin2_theta_w=SIN2_SEED002)
    for det, thr in (("ge", 0.6), ("si", 0.1)):
        exp = load_experiment(f"conus_{det}")
        assert exp.dataset.counts.tolist() == [1e5]
        assert exp.signal.detector.bin_edges[0] == thr
        assert exp.expected(sm).signal.sum() == pytest.approx(1e5, rel=1e-9)
        res = fit(exp.cost(sm))
        assert res.fval == pytest.approx(0.0, abs=1e-8)
