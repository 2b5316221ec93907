"""Efficiencies and acceptances: documented parameters, range [0, 1], and errors."""

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.efficiency import (
    CallableEfficiency,
    SigmoidAcceptance2017,
    SigmoidEfficiency2021,
    TabulatedEfficiency,
    UnitEfficiency,
    check_efficiency,
)

PE = np.linspace(0.0, 100.0, 1001)


@pytest.mark.parametrize(
    "model",
    [UnitEfficiency(), SigmoidAcceptance2017(), SigmoidEfficiency2021()],
    ids=["unit", "acc2017", "eff2021"],
)
def test_values_in_unit_interval(model):
    v = model(PE)
    assert v.shape == PE.shape
    assert np.all((v >= 0) & (v <= 1))


# ---------------------------------------------------------------------- COHERENT CsI 2017
def test_sigmoid_2017_documented_parameters():
    # coherent_parameters.yaml of the release (arXiv:1804.09459)
    acc = SigmoidAcceptance2017()
    assert (acc.a, acc.k, acc.x0) == (0.6655, 0.4942, 10.8507)


def test_sigmoid_2017_values():
    # a / (1 + exp(-k (x - x0))) H(x), H = 0 (x < 5), 1/2 (5 <= x < 6), 1 (x >= 6)
    acc = SigmoidAcceptance2017()
    v = acc([4.0, 4.99, 5.0, 5.5, 6.0, 10.8507, 20.0])
    assert v[0] == 0.0
    assert v[1] == 0.0
    assert v[2] == pytest.approx(0.0174958, rel=1e-5)  # 0.5 * 0.6655 / (1 + e^2.89142)
    assert v[3] == pytest.approx(0.0220747, rel=1e-5)
    assert v[4] == pytest.approx(0.0554929, rel=1e-5)  # step from 1/2 to 1 at 6 PE
    assert v[5] == pytest.approx(0.6655 / 2, rel=1e-12)  # half height at x0
    assert v[6] == pytest.approx(0.6583426, rel=1e-6)
    # plateau a = 0.6655, never reached
    assert float(acc(1e3)) == pytest.approx(0.6655, rel=1e-12)
    assert np.all(np.diff(acc(np.arange(6.0, 80.0))) > 0)


# ---------------------------------------------------------------------- COHERENT CsI 2021
def test_sigmoid_2021_documented_parameters():
    # effCoefficients.txt of the COHERENT CsI 2021 release
    eff = SigmoidEfficiency2021()
    assert (eff.a, eff.b, eff.c, eff.d) == (1.32045, 0.285979, 10.8646, -0.333322)


def test_sigmoid_2021_values_and_floor():
    eff = SigmoidEfficiency2021()
    # at x = c: a / 2 + d = 0.660225 - 0.333322
    assert float(eff(10.8646)) == pytest.approx(0.326903, rel=1e-6)
    assert float(eff(20.0)) == pytest.approx(0.8968935, rel=1e-6)
    # plateau a + d = 0.987128 < 1
    assert float(eff(1e3)) == pytest.approx(1.32045 - 0.333322, rel=1e-9)
    # the formula is negative below x = c - ln(a / -d - 1) / b = 7.0682 PE: floored at 0
    np.testing.assert_array_equal(eff([0.0, 3.0, 7.0]), 0.0)
    assert float(eff(7.1)) > 0.0


# ---------------------------------------------------------------------- tables and callables
def test_tabulated_efficiency_interpolates_and_rejects_outside():
    t = TabulatedEfficiency([0.0, 1.0, 2.0], [0.0, 0.5, 0.9])
    np.testing.assert_allclose(t([0.5, 1.5, 2.0]), [0.25, 0.7, 0.9])
    with pytest.raises(InvalidParameterError, match="covers 0 to 2"):
        t(2.5)
    with pytest.raises(InvalidParameterError, match="covers 0 to 2"):
        t(-0.1)


def test_tabulated_efficiency_validation():
    with pytest.raises(InvalidParameterError, match=r"eff must lie in \[0, 1\], got \[1\.2\]"):
        TabulatedEfficiency([0.0, 1.0], [0.5, 1.2])
    with pytest.raises(InvalidParameterError, match=r"eff must lie in \[0, 1\], got \[-0\.1\]"):
        TabulatedEfficiency([0.0, 1.0], [-0.1, 0.5])
    with pytest.raises(InvalidParameterError, match="x must be strictly increasing"):
        TabulatedEfficiency([1.0, 0.0], [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="eff has shape"):
        TabulatedEfficiency([0.0, 1.0, 2.0], [0.5, 0.5])


def test_callable_efficiency_checks_values():
    ok = CallableEfficiency(lambda x: 0.5 * np.ones_like(x))
    np.testing.assert_allclose(ok([1.0, 2.0]), 0.5)
    bad = CallableEfficiency(lambda x: 2 * x)
    with pytest.raises(InvalidParameterError, match=r"efficiency must lie in \[0, 1\].*1\.6"):
        bad([0.2, 0.8])


def test_unit_efficiency():
    np.testing.assert_array_equal(UnitEfficiency()([0.2, 0.7, 1e3]), 1.0)


# ---------------------------------------------------------------------- check_efficiency
def test_check_efficiency_errors_name_the_quantity_and_value():
    with pytest.raises(InvalidParameterError, match=r"^my_eff must lie in \[0, 1\], got \[1\.5\]"):
        check_efficiency("my_eff", [0.2, 1.5])
    with pytest.raises(InvalidParameterError, match=r"^acc must lie in \[0, 1\], got \[-0\.01\]"):
        check_efficiency("acc", [-0.01, 0.3])
    with pytest.raises(InvalidParameterError, match=r"^acc must be finite"):
        check_efficiency("acc", [np.nan, 0.3])
    with pytest.raises(InvalidParameterError, match=r"^acc must be numeric"):
        check_efficiency("acc", ["high"])


def test_check_efficiency_accepts_rounding_and_clips():
    v = check_efficiency("eff", [0.0, 0.5, 1.0 + 1e-13])
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v, [0.0, 0.5, 1.0])
    with pytest.raises(InvalidParameterError):
        check_efficiency("eff", [1.0 + 1e-9])
