import numpy as np
import pytest

from cevns import Nucleus, Target
from cevns.core.constants import AVOGADRO
from cevns.core.exceptions import InvalidParameterError, UnknownNameError


@pytest.mark.parametrize(
    ("name", "z", "n"),
    [("Ge72", 32, 40), ("Ge-76", 32, 44), ("133Cs", 55, 78), ("I127", 53, 74), ("Ar40", 18, 22)],
)
def test_isotope_parsing(name, z, n):
    nuc = Nucleus.from_isotope(name)
    assert (nuc.z, nuc.n) == (z, n)


def test_nuclear_mass_is_atomic_minus_electrons():
    # Ge-72 atomic mass 71.9220758 u (AME via periodictable); minus 32 m_e
    ge = Nucleus.from_isotope("Ge72")
    assert ge.atomic_mass_u == pytest.approx(71.92207582, rel=1e-9)
    assert ge.mass_mev == pytest.approx(71.92207582 * 931.49410242 - 32 * 0.51099895, rel=1e-12)


def test_seed004_germanium():
    # seed 004 Sec. 3.1 abundances {0.2057, 0.2745, 0.0775, 0.3650, 0.0773}
    ge = Target.by_name("germanium_seed004")
    assert [n.a for n in ge.nuclei] == [70, 72, 73, 74, 76]
    assert ge.fractions == pytest.approx([0.2057, 0.2745, 0.0775, 0.3650, 0.0773])
    # seed 000 quotes (N, Z) = (40.65, 32) "weighted average of natural isotopic abundance";
    # the number-weighted mean N is 40.705 (the molar mass minus Z gives 40.63).
    assert ge.mean_z == 32
    assert ge.mean_n == pytest.approx(40.65, abs=0.06)


def test_natural_germanium_close_to_seed004():
    nat = Target.element("Ge")
    assert nat.mean_n == pytest.approx(Target.by_name("germanium_seed004").mean_n, abs=0.01)


def test_csi_compound_counts():
    csi = Target.compound("CsI")
    assert [n.name for n in csi.nuclei] == ["Cs133", "I127"]
    assert csi.counts == pytest.approx((1.0, 1.0))
    # one formula unit per 259.81 g: N_A * 1000 / 259.81 per kg
    assert csi.formula_units_per_kg == pytest.approx(1000 * AVOGADRO / 259.8099, rel=1e-6)
    assert csi.nuclei_per_kg == pytest.approx([csi.formula_units_per_kg] * 2)


@pytest.mark.parametrize("name", ["germanium", "csi", "argon", "xenon", "silicon", "nai"])
def test_presets_exist(name):
    t = Target.by_name(name)
    assert np.all(t.nuclei_per_kg > 0)
    assert t.fractions.sum() == pytest.approx(1.0)


def test_unknown_element_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'Ge'"):
        Target.element("Gee")


def test_unknown_target_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'germanium'"):
        Target.by_name("germanum")


def test_unknown_isotope_lists_known():
    with pytest.raises(InvalidParameterError, match=r"Ge has no isotope with A = 99"):
        Nucleus.from_isotope("Ge99")


def test_abundances_must_sum_to_one():
    with pytest.raises(InvalidParameterError, match="abundances must sum to 1"):
        Target.from_isotopes({"Ge70": 0.5, "Ge72": 0.3})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"z": 0, "n": 1, "mass_mev": 1.0}, "z must be an integer >= 1"),
        ({"z": 1, "n": -1, "mass_mev": 1.0}, "n must be an integer >= 0"),
        ({"z": 1, "n": 0, "mass_mev": -5.0}, "mass_mev must be > 0"),
        ({"z": 1, "n": 0, "mass_mev": float("nan")}, "mass_mev must be finite"),
    ],
)
def test_nucleus_bad_input(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        Nucleus(**kwargs)


def test_compound_isotope_syntax():
    """'Ge[76]' is pure 76Ge (periodictable's isotope syntax), 'Ge76' is refused.

    Until this test, both silently meant natural germanium (76 atoms of it, or one).
    Masses from AME2020 via periodictable: 76Ge 75.92140 u, O 15.999 u.
    """
    ge76 = Target.compound("Ge[76]")
    assert [n.name for n in ge76.nuclei] == ["Ge76"]
    assert ge76.counts == (1.0,)
    assert ge76.molar_mass_g == pytest.approx(75.9214, abs=1e-3)
    oxide = Target.compound("Ge[76]O2")
    assert oxide.nuclei[0].name == "Ge76"
    assert sum(oxide.counts[1:]) == pytest.approx(2.0)
    assert oxide.molar_mass_g == pytest.approx(75.9214 + 2 * 15.999, abs=2e-3)
    with pytest.raises(InvalidParameterError, match=r"76 atoms of natural Ge.*Ge\[76\]"):
        Target.compound("Ge76")
    # a many-element formula with element counts is not an isotope name
    assert Target.compound("C12H22O11").molar_mass_g == pytest.approx(342.30, abs=0.01)
