"""Generic machinery moved out of the COHERENT modules: binning helpers, the recoil-threshold
and gamma-PE detectors, the shifted acceptance, binned pi-DAR time fractions."""

import numpy as np
import pytest
from scipy import stats

from cevns import Target
from cevns.core.binning import overlap_rebin, subdivide_edges
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.efficiency import ShiftedAcceptance
from cevns.detectors.quenching import ConstantQuenching
from cevns.detectors.scintillator import GammaPEDetector
from cevns.detectors.threshold import RecoilThresholdDetector
from cevns.likelihood.dataset import count_only_dataset
from cevns.sources.spallation import PiDARTimeFractions, PulsedBeamTiming


def test_subdivide_edges_splits_each_bin_evenly():
    grid, owner = subdivide_edges([0.0, 1.0, 1.3, 4.0], 0.5)
    np.testing.assert_allclose(grid, [0.0, 0.5, 1.0, 1.3, 1.75, 2.2, 2.65, 3.1, 3.55, 4.0])
    assert owner.tolist() == [0, 0, 1, 2, 2, 2, 2, 2, 2]
    with pytest.raises(InvalidParameterError, match=r"step must be > 0, got 0\.0"):
        subdivide_edges([0.0, 1.0], 0.0)


def test_overlap_rebin_conserves_content_and_splits_bins():
    centres = np.arange(0.5, 10.0, 1.0)
    weights = np.arange(1.0, 11.0)
    out = overlap_rebin(centres, weights, [0.0, 2.5, 10.0])
    np.testing.assert_allclose(out, [1.0 + 2.0 + 1.5, 55.0 - 4.5])
    with pytest.raises(InvalidParameterError, match=r"weights must have the shape of centres"):
        overlap_rebin(centres, weights[:-1], [0.0, 1.0])


def test_threshold_detector_counts_recoils_exactly():
    det = RecoilThresholdDetector(
        Target.by_name("csi"), threshold_kev=7.0, mass_kg=14.57, live_days=1.0
    )
    nodes = det.recoil_grid(45.0)
    assert nodes[0] == 7.0
    r = det.response_matrix(nodes)
    # the response is the trapezoid rule over [7, 45] keVnr
    assert r.sum() == pytest.approx(45.0 - 7.0, rel=1e-12)
    split = RecoilThresholdDetector(
        Target.by_name("csi"),
        threshold_kev=7.0,
        bin_edges=[7.0, 20.0, 100.0],
        mass_kg=1.0,
        live_days=1.0,
    )
    assert split.n_bins == 2
    with pytest.raises(InvalidParameterError, match="upper_kev must be > threshold_kev"):
        RecoilThresholdDetector(
            Target.by_name("csi"), threshold_kev=7.0, upper_kev=5.0, mass_kg=1.0, live_days=1.0
        )


def test_gamma_pe_detector_matches_gamma_cdf_on_any_target():
    eff = ShiftedAcceptance(lambda pe: np.where(pe > 3.0, 1.0, 0.0), 0.0)
    det = GammaPEDetector(
        "nai",
        Target.by_name("nai"),
        quenching=ConstantQuenching(0.1),
        efficiency=eff,
        resolution=(0.05, 0.7),
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=[4.0, 10.0, 30.0],
    )
    e_ee = np.array([0.0, 1.0, 2.0])
    p = det._smear(e_ee, det.bin_edges)
    assert p.shape == (2, 3)
    np.testing.assert_array_equal(p[:, 0], 0.0)
    for j, e in enumerate(e_ee[1:], start=1):
        k = 1.0 + 0.7 * e
        cdf = stats.gamma.cdf([4.0, 10.0, 30.0], k, scale=e / (0.05 * k))
        np.testing.assert_allclose(p[:, j], np.diff(cdf), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match=r"resolution\[0\] \(r_a\) must be > 0"):
        GammaPEDetector(
            "bad",
            Target.by_name("nai"),
            quenching=ConstantQuenching(0.1),
            efficiency=eff,
            resolution=(0.0, 0.7),
            mass_kg=1.0,
            live_days=1.0,
            bin_edges=[4.0, 10.0],
        )


def test_shifted_acceptance_evaluates_at_bin_centre():
    acc = ShiftedAcceptance(lambda x: x**2, 0.5)
    np.testing.assert_allclose(acc(np.array([0.0, 1.0, 2.0])), [0.25, 2.25, 6.25])


def test_pidar_time_fractions_with_and_without_efficiency():
    beam = PulsedBeamTiming.coherent_csi_2017()
    edges = np.linspace(0.0, 6.0, 13)
    exact = PiDARTimeFractions.from_model(beam, edges)
    np.testing.assert_allclose(exact.prompt, beam.integrate("prompt", edges))
    fine = PiDARTimeFractions.from_model(
        beam, edges, efficiency=lambda t: np.ones_like(t), fine_step_us=0.01
    )
    np.testing.assert_allclose(fine.delayed, exact.delayed, rtol=1e-12, atol=1e-15)
    half = PiDARTimeFractions.from_model(beam, edges, efficiency=lambda t: np.full_like(t, 0.5))
    np.testing.assert_allclose(half.prompt, 0.5 * exact.prompt, rtol=1e-12, atol=1e-15)
    fr = half.fractions(["numu", "nue", "numubar"])
    np.testing.assert_array_equal(fr["nue"], half.delayed)
    np.testing.assert_array_equal(fr["numu"], half.prompt)
    assert half.n_bins == 12
    with pytest.raises(InvalidParameterError, match=r"prompt must have one entry per time bin"):
        PiDARTimeFractions(edges, exact.prompt[:-1], exact.delayed)


def test_count_only_dataset_errors():
    d = count_only_dataset([4.0, 9.0], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(d.errors, [2.0, 3.0])
    given = count_only_dataset([4.0], [0.0, 1.0], errors=[0.5])
    np.testing.assert_allclose(given.errors, [0.5])
    with pytest.raises(InvalidParameterError, match="errors must be 'poisson' or a list"):
        count_only_dataset([4.0], [0.0, 1.0], errors="gauss")  # type: ignore[arg-type]
