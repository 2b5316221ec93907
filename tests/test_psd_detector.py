"""The generic energy x PSD detector (cevns.detectors.psd), checked against direct sums."""

import numpy as np
import pytest
from scipy.stats import norm

from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.detectors.psd import PSDDetector, histogram_from_rows, psd_given_energy
from cevns.detectors.quenching import ConstantQuenching
from cevns.detectors.resolution import RelativeGaussian
from cevns.physics.nuclei import Target

EFF = np.array([0.0, 0.2, 0.6, 0.9, 0.95, 1.0])  # per 1 keVee bin, 0-6 keVee
PSD = np.array([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]])


def _det(**kw):
    args = {
        "mass_kg": 2.0,
        "live_days": 3.0,
        "quenching": ConstantQuenching(0.25),
        "resolution": RelativeGaussian(0.4),
        "energy_edges_kevee": [0.0, 2.0, 4.0, 8.0],
        "psd_edges": [0.5, 0.7, 0.9],
        "psd_given_energy": PSD,
        "efficiency_step_kevee": 1.0,
        "efficiency": EFF,
    }
    return PSDDetector("toy", Target.by_name("argon"), **(args | kw))


def _gauss_in(true, lo, hi, a=0.4):
    """P(lo < E_reco < hi) for sigma = a sqrt(E_true) (scipy, independent of the code)."""
    s = a * np.sqrt(true)
    return norm.cdf(hi, true, s) - norm.cdf(lo, true, s)


def test_reconstructed_energy_efficiency_is_summed_on_the_fine_grid():
    true = np.array([0.7, 1.9, 3.3, 5.5, 7.2])
    det = _det(efficiency_above_table="last")
    fine_eff = np.concatenate([EFF, [1.0, 1.0]])  # "last" beyond 6 keVee
    expected = np.zeros((3, true.size))
    for k in range(8):  # 1-keVee fine bins, summed into 0-2, 2-4, 4-8
        coarse = 0 if k < 2 else 1 if k < 4 else 2
        expected[coarse] += fine_eff[k] * _gauss_in(true, k, k + 1.0)
    np.testing.assert_allclose(det.energy_probabilities(true), expected, rtol=1e-6, atol=1e-12)
    zero = _det(efficiency_above_table="zero").energy_probabilities(true)
    assert zero[2, -1] < expected[2, -1]  # above the table: 0 instead of 1


def test_true_energy_efficiency_multiplies_before_smearing():
    true = np.array([0.7, 1.9, 3.3, 5.5, 7.2])
    det = _det(efficiency_of="true_energy")
    eff_true = np.array([0.0, 0.2, 0.9, 1.0, 0.0])  # table bins of 0.7, 1.9, 3.3, 5.5; 7.2 above
    edges = [(0.0, 2.0), (2.0, 4.0), (4.0, 8.0)]
    expected = np.array([eff_true * _gauss_in(true, lo, hi) for lo, hi in edges])
    np.testing.assert_allclose(det.energy_probabilities(true), expected, rtol=1e-6, atol=1e-12)


def test_observed_bins_are_energy_times_psd_energy_slowest():
    det = _det()
    assert det.n_bins == 6
    assert [a[0] for a in det.observed_grid] == ["e_ee_kev", "f90"]
    assert det.time_edges_us is None
    true = np.array([1.5, 3.0, 6.0])
    pe = det.energy_probabilities(true)
    out = det._smear(true, det.bin_edges)
    np.testing.assert_allclose(out.reshape(3, 2, 3), pe[:, None, :] * PSD[:, :, None])
    # the PSD split keeps the energy response: summing over PSD gives it back
    np.testing.assert_allclose(out.reshape(3, 2, 3).sum(axis=1), pe, rtol=1e-12)


def test_histogram_rows_and_psd_table():
    rows = [[0.5, 0.0, 1.0], [0.5, 1.0, 2.0], [1.5, 0.0, 3.0], [1.5, 1.0, 4.0]]
    h = histogram_from_rows(rows, [[0.0, 1.0, 2.0], [-0.5, 0.5, 1.5]])
    np.testing.assert_array_equal(h, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InvalidParameterError, match="column 1"):
        histogram_from_rows(rows, [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    with pytest.raises(InvalidParameterError, match="expected 4 rows"):
        histogram_from_rows(rows[:3], [[0.0, 1.0, 2.0], [-0.5, 0.5, 1.5]])
    with pytest.raises(InvalidParameterError, match=">= 0"):
        histogram_from_rows([[0.5, -1.0]], [[0.0, 1.0]])
    p = psd_given_energy([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [3.0, 1.0]])
    np.testing.assert_allclose(p, [[0.5, 0.5]] * 3 + [[0.75, 0.25]] * 2)


def test_bad_input_names_the_field():
    with pytest.raises(InvalidParameterError, match="psd_given_energy must have shape"):
        _det(psd_given_energy=PSD[:2])
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        _det(psd_given_energy=2 * PSD)
    with pytest.raises(InvalidParameterError, match=r"multiples of 1\.0"):
        _det(energy_edges_kevee=[0.0, 2.5, 4.0, 8.0])
    with pytest.raises(InvalidParameterError, match=r"efficiency must be .* \[0, 1\]"):
        _det(efficiency=[0.5, 1.2])
    with pytest.raises(UnknownNameError):
        _det(efficiency_of="recoil")
    with pytest.raises(UnknownNameError):
        _det(efficiency_above_table="extrapolate")
