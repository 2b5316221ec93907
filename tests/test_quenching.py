"""Quenching models: Lindhard, modified Lindhard, the Dresden-II tables and simple forms."""

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data
from cevns.detectors.quenching import (
    ConstantQuenching,
    Lindhard,
    LinearQuenching,
    ModifiedLindhard,
    PolynomialQuenching,
    Quenching,
    TabulatedQuenching,
)
from cevns.experiments.dresden_ii import dresden_ii_quenching

QF_TABLE = "dresden_ii/QF_Fef_YBe.txt"


# ---------------------------------------------------------------------- Lindhard
def test_lindhard_value_at_1_kevnr():
    # Lindhard et al., Mat. Fys. Medd. 33, 10 (1963), Ge (Z = 32), k = 0.157 at E = 1 keVnr:
    # eps = 11.5 * 1 * 32^(-7/3) = 0.0035374
    # g = 3 eps^0.15 + 0.7 eps^0.6 + eps = 1.28650 + 0.023674 + 0.0035374 = 1.31371
    # Q = k g / (1 + k g) = 0.206253 / 1.206253 = 0.170991 (hand evaluation)
    q = Lindhard(k=0.157, z=32)
    assert float(q(1.0)) == pytest.approx(0.170991, rel=2e-5)
    assert float(q.quenching_factor(1.0)) == pytest.approx(0.170991, rel=2e-5)


def test_lindhard_matches_fef_at_table_end():
    # data README / TabulatedQuenching.dresden_ii docstring: at 4.5 keVnr the Fef curve
    # equals Lindhard k = 0.157 (table value 0.20933).
    t = data.load_table(QF_TABLE)
    assert t[-1, 0] == pytest.approx(4.5)
    assert float(Lindhard()(4.5)) / 4.5 == pytest.approx(t[-1, 1], abs=5e-5)


def test_lindhard_depends_on_k_and_z():
    e = np.array([0.5, 2.0, 8.0])
    base = Lindhard()(e)
    assert np.all(Lindhard(k=0.2)(e) > base)  # more quenching factor for larger k
    assert not np.allclose(Lindhard(z=14)(e), base)  # Si differs from Ge


@pytest.mark.parametrize(
    "model",
    [
        Lindhard(),
        ModifiedLindhard(adiabatic_kev=0.2),
        dresden_ii_quenching("ybe"),
        ConstantQuenching(),
        LinearQuenching(),
    ],
    ids=["lindhard", "modified", "ybe", "constant", "linear"],
)
def test_energy_positive_and_increasing(model):
    assert isinstance(model, Quenching)
    e = np.geomspace(0.01, 20.0, 400)
    ee = model(e)
    assert np.all(ee > 0)
    assert np.all(ee < e)  # quenching factor below 1
    assert np.all(np.diff(ee) > 0)


def test_fef_energy_positive_and_nonmonotonic_only_in_dip():
    # The Fef quenching factor of the table falls linearly from 0.24403 at 1.00 keVnr to
    # 0.17873 at 1.34 keVnr and then rises again: E_ee = QF E_nr decreases between 1.13 and
    # 1.34 keVnr (a feature of the published curve, not of the interpolation).
    q = dresden_ii_quenching("fef")
    e = np.geomspace(0.01, 20.0, 400)
    ee = q(e)
    assert np.all((ee > 0) & (ee < e))
    rising = np.diff(ee) > 0
    mid = 0.5 * (e[1:] + e[:-1])
    assert np.all(rising[(mid < 1.13) | (mid > 1.345)])
    assert not np.any(rising[(mid > 1.14) & (mid < 1.33)])


def test_lindhard_quenching_factor_increases():
    qf = Lindhard().quenching_factor(np.geomspace(0.01, 100.0, 200))
    assert np.all(np.diff(qf) > 0)
    assert np.all((qf > 0) & (qf < 1))


def test_quenching_at_zero_is_zero():
    for model in (Lindhard(), ModifiedLindhard(adiabatic_kev=0.1), ConstantQuenching()):
        assert float(model(0.0)) == 0.0


def test_negative_energy_rejected_with_range_in_message():
    with pytest.raises(InvalidParameterError, match=r"Lindhard covers recoil energies 0 to"):
        Lindhard()(-1.0)
    with pytest.raises(InvalidParameterError, match="no extrapolation"):
        Lindhard()(2e4)


# ---------------------------------------------------------------------- modified Lindhard
def test_modified_lindhard_requires_adiabatic_kev():
    with pytest.raises(TypeError, match="adiabatic_kev"):
        ModifiedLindhard()  # type: ignore[call-arg]
    with pytest.raises(InvalidParameterError, match="adiabatic_kev must be > 0"):
        ModifiedLindhard(adiabatic_kev=0.0)
    with pytest.raises(InvalidParameterError, match="adiabatic_kev"):
        ModifiedLindhard(adiabatic_kev=-0.1)


def test_modified_lindhard_is_suppressed_lindhard():
    # Q = (1 - exp(-E / a)) * Q_Lindhard (Sorensen 2015)
    a = 0.16
    e = np.array([0.05, 0.16, 0.5, 3.0])
    ratio = ModifiedLindhard(adiabatic_kev=a)(e) / Lindhard()(e)
    np.testing.assert_allclose(ratio, 1.0 - np.exp(-e / a), rtol=1e-12)
    # far above the adiabatic energy the correction vanishes
    assert float(ModifiedLindhard(adiabatic_kev=a)(10.0)) == pytest.approx(
        float(Lindhard()(10.0)), rel=1e-12
    )


# ---------------------------------------------------------------------- Dresden-II tables
@pytest.mark.parametrize(("model", "col"), [("fef", 1), ("ybe", 2)])
def test_dresden_ii_table_reproduced(model, col):
    t = data.load_table(QF_TABLE)
    assert t.shape == (451, 3)  # 0 to 4.5 keVnr in 10 eV steps
    q = dresden_ii_quenching(model)
    e = t[1:, 0]
    np.testing.assert_allclose(q(e), e * t[1:, col], rtol=1e-12)
    np.testing.assert_allclose(q.quenching_factor(e), t[1:, col], rtol=1e-12)
    assert q.label == f"dresden_ii_{model}"


def test_dresden_ii_table_values_pinned():
    # Collar, Kavner, Lewis, arXiv:2102.10089, as tabulated in QF_Fef_YBe.txt
    fef = dresden_ii_quenching("fef")
    ybe = dresden_ii_quenching("ybe")
    assert float(fef.quenching_factor(0.01)) == pytest.approx(0.43418)
    assert float(ybe.quenching_factor(0.01)) == pytest.approx(0.37375)
    assert float(fef.quenching_factor(4.5)) == pytest.approx(0.20933)
    assert float(ybe.quenching_factor(4.5)) == pytest.approx(0.21862)
    # linear interpolation between the 10 eV nodes 4.48 and 4.49 keVnr
    assert float(fef.quenching_factor(4.485)) == pytest.approx(0.5 * (0.20920 + 0.20927))


def test_dresden_ii_above_range_constant_by_default():
    fef = dresden_ii_quenching("fef")
    assert fef.valid_range_kev == (0.0, 1e4)
    # held at the last tabulated value (0.20933, docstring of dresden_ii)
    np.testing.assert_allclose(fef.quenching_factor([5.0, 10.0, 100.0]), 0.20933, rtol=1e-12)
    ybe = dresden_ii_quenching("ybe")
    assert float(ybe(10.0)) == pytest.approx(10.0 * 0.21862)


def test_dresden_ii_above_range_error_when_asked():
    fef = dresden_ii_quenching("fef", above="error")
    assert fef.valid_range_kev == (0.0, 4.5)
    assert float(fef(4.5)) == pytest.approx(4.5 * 0.20933)
    with pytest.raises(InvalidParameterError, match=r"0 to 4\.5 keVnr.*5\.0"):
        fef(5.0)


def test_dresden_ii_unknown_model():
    with pytest.raises(InvalidParameterError, match=r"'fef' or 'ybe'.*'lindhard'"):
        dresden_ii_quenching("lindhard")  # type: ignore[arg-type]


def test_fef_above_ybe_at_low_energy():
    # the two curves of Collar et al. cross: Fef is larger below ~1 keVnr, YBe at 4.5 keVnr
    fef = dresden_ii_quenching("fef")
    ybe = dresden_ii_quenching("ybe")
    assert float(fef(0.5)) > float(ybe(0.5))
    assert float(fef(4.5)) < float(ybe(4.5))


# ---------------------------------------------------------------------- tables in general
def test_tabulated_validation():
    with pytest.raises(InvalidParameterError, match="e_nr_kev must be strictly increasing"):
        TabulatedQuenching([0.0, 2.0, 1.0], [0.3, 0.2, 0.1])
    with pytest.raises(InvalidParameterError, match="qf has shape"):
        TabulatedQuenching([0.0, 1.0], [0.3, 0.2, 0.1])
    with pytest.raises(InvalidParameterError, match=r"quenching factors must be in \(0, 1\]"):
        TabulatedQuenching([0.0, 1.0], [0.3, 1.2])
    with pytest.raises(InvalidParameterError, match="above must be 'error' or 'constant'"):
        TabulatedQuenching([0.0, 1.0], [0.3, 0.2], above="linear")  # type: ignore[arg-type]


def test_tabulated_below_range_rejected():
    q = TabulatedQuenching([0.5, 1.0], [0.3, 0.2])
    with pytest.raises(InvalidParameterError, match=r"covers recoil energies 0\.5 to 1"):
        q(0.4)


# ---------------------------------------------------------------------- scale
def test_with_scale_multiplies_and_validates():
    q = dresden_ii_quenching("fef")
    e = np.array([0.3, 1.0, 3.0])
    np.testing.assert_allclose(q.with_scale(1.1)(e), 1.1 * q(e), rtol=1e-12)
    assert q.with_scale(1.1).scale == 1.1
    assert q.scale == 1.0  # the original is unchanged (frozen)
    np.testing.assert_allclose(Lindhard().with_scale(0.9)(e), 0.9 * Lindhard()(e), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="scale must be > 0"):
        q.with_scale(-1.0)


# ---------------------------------------------------------------------- other forms
def test_constant_quenching():
    # COHERENT CsI 2017: QF = 0.0878
    assert float(ConstantQuenching()(10.0)) == pytest.approx(0.878)
    with pytest.raises(InvalidParameterError, match=r"qf must be in \(0, 1\]"):
        ConstantQuenching(qf=1.5)
    with pytest.raises(InvalidParameterError, match="qf must be"):
        ConstantQuenching(qf=0.0)


def test_linear_quenching():
    # COHERENT LAr 2020: QF = 0.246 + 0.00078 E_nr
    assert float(LinearQuenching()(20.0)) == pytest.approx(20.0 * (0.246 + 0.00078 * 20.0))


def test_polynomial_quenching_units():
    # COHERENT CsI 2021: E_ee [MeV] = sum c_i x^(i+1), x in MeVnr; at 10 keVnr:
    c = (0.0554628, 4.30681, -111.707, 840.384)
    x = 0.010
    expected_kev = 1e3 * sum(ci * x ** (i + 1) for i, ci in enumerate(c))
    assert float(PolynomialQuenching()(10.0)) == pytest.approx(expected_kev, rel=1e-12)
    # the same polynomial read in keV is a different curve
    assert float(PolynomialQuenching(unit="keV", coefficients=(0.1,))(10.0)) == pytest.approx(1.0)
