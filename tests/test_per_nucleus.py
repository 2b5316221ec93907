"""Per-nucleus detector response (NaI with Na and I quenched differently) and cache keys.

The NaI numbers are checked against an independent calculation: per-nucleus recoil rates
from the physics layer (``differential_cross_section`` times a monochromatic flux), quenched
and smeared by hand with numpy/scipy, integrated on a dense linear grid and summed.
"""

import pickle

import numpy as np
import pytest
from scipy import special

from cevns import NSIModel, Target
from cevns.core.constants import DAY_S
from cevns.core.exceptions import FrozenError, InvalidParameterError
from cevns.detectors.base import Detector, IonizationDetector, ScintillatorDetector
from cevns.detectors.quenching import ConstantQuenching, Lindhard
from cevns.detectors.resolution import GaussianResolution
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.likelihood.signal import Signal
from cevns.physics.cross_section import differential_cross_section
from cevns.physics.families import family
from cevns.sources.flux import TabulatedFlux

NAI = Target.compound("NaI")
E_LINE_MEV = 30.0
PHI_LINE = 1e9  # 1/(cm^2 s)
QF_NA, QF_I = 0.30, 0.09
SIGMA_KEV = 0.15
EDGES = np.round(np.linspace(0.5, 6.0, 12), 6)
EXPOSURE = 2.0 * 50.0


def _line_flux():
    return TabulatedFlux({}, line_table={"numu": [(E_LINE_MEV, PHI_LINE)]})


def _resolution():
    return GaussianResolution(sigma_n_kev=SIGMA_KEV, eta_kev=0.0, fano=0.0)


def _nai(quenching, **kw):
    kw.setdefault("mass_kg", 2.0)
    kw.setdefault("live_days", 50.0)
    kw.setdefault("n_nodes", 6000)  # the iodine end point lies between nodes: fine grid
    return IonizationDetector(
        "nai",
        NAI,
        quenching=quenching,
        resolution=_resolution(),
        ionisation_threshold_kev=0.0,
        bin_edges=EDGES,
        **kw,
    )


def _per_element():
    return {"Na": ConstantQuenching(QF_NA), "I": ConstantQuenching(QF_I)}


def _hand_counts(qf_by_symbol):
    """Independent counts per bin: rates per nucleus, E_ee = QF T, Gaussian bin integrals."""
    model = NSIModel.sm()
    total = np.zeros(EDGES.size - 1)
    for nucleus, n_per_kg in NAI:
        m = nucleus.mass_mev
        t_max_kev = 2 * E_LINE_MEV**2 / (m + 2 * E_LINE_MEV) * 1e3
        t = np.linspace(1e-4, t_max_kev, 200_001)
        dsig = differential_cross_section(t, E_LINE_MEV, nucleus, model, flavour="numu")
        rate = n_per_kg * PHI_LINE * dsig * DAY_S  # events / (kg day keVnr)
        e_ee = qf_by_symbol[nucleus.symbol] * t
        z = (EDGES[:, None] - e_ee[None, :]) / (np.sqrt(2.0) * SIGMA_KEV)
        prob = np.diff(0.5 * special.erfc(-z), axis=0)  # (n_bins, n_t)
        total += np.trapezoid(prob * rate[None, :], t, axis=1)
    return EXPOSURE * total


@pytest.fixture(scope="module")
def hand():
    return _hand_counts({"Na": QF_NA, "I": QF_I})


# ---------------------------------------------------------------------- NaI, per element
def test_nai_per_element_quenching_matches_independent_calculation(hand):
    det = _nai(_per_element())
    assert det.per_nucleus
    assert [tuple(n.name for n in g) for g in det.response_groups] == [("Na23",), ("I127",)]
    sig = Signal(_line_flux(), det)
    fast = sig.expected_counts(NSIModel.sm())
    direct = sig.expected_counts_direct(NSIModel.sm())
    assert hand.sum() > 100.0  # a real signal in the bins
    np.testing.assert_allclose(fast, hand, rtol=1e-4)
    np.testing.assert_allclose(direct, fast, rtol=1e-10)
    assert sig.per_nucleus


def test_nai_both_nuclei_contribute(hand):
    # iodine recoils (T < 15.2 keVnr) end below 1.4 keVee; sodium recoils reach 25 keVee
    na_only = _hand_counts({"Na": QF_NA, "I": 1e-9})
    assert hand[0] > 1.5 * na_only[0]  # the lowest bins are dominated by iodine
    np.testing.assert_allclose(hand[-3:], na_only[-3:], rtol=1e-6)  # the highest are Na only


def test_one_quenching_for_both_is_not_the_per_element_answer(hand):
    single = Signal(_line_flux(), _nai(ConstantQuenching(QF_NA))).expected_counts(NSIModel.sm())
    np.testing.assert_allclose(single, _hand_counts({"Na": QF_NA, "I": QF_NA}), rtol=1e-4)
    assert np.max(np.abs(single - hand) / hand) > 0.5


def test_same_model_per_element_equals_single_response():
    q = ConstantQuenching(QF_NA)
    single = _nai(q)
    mapped = _nai({"Na": q, "I": q})
    assert not single.per_nucleus
    assert mapped.per_nucleus  # two groups (two mapping keys) ...
    a = Signal(_line_flux(), single).expected_counts(NSIModel.sm())
    b = Signal(_line_flux(), mapped).expected_counts(NSIModel.sm())
    np.testing.assert_allclose(b, a, rtol=1e-12)  # ... with the same numbers


def test_single_response_detector_returns_one_shared_matrix():
    det = _nai(ConstantQuenching(QF_NA), n_nodes=200)
    nodes = det.recoil_grid(80.0)
    mats = det.response_matrices(nodes)
    assert len(mats) == 2
    assert mats[0] is mats[1] is det.response_matrix(nodes)
    with pytest.raises(ValueError, match="read-only"):
        mats[0][0, 0] = 1.0


def test_isotope_names_win_over_elements_and_nucleus_lookup():
    det = _nai({"Na": ConstantQuenching(0.3), "I127": ConstantQuenching(0.1)}, n_nodes=100)
    np.testing.assert_allclose(det.quench([10.0], nucleus="Na"), [3.0])
    np.testing.assert_allclose(det.quench([10.0], nucleus="I127"), [1.0])
    np.testing.assert_allclose(det.quench([10.0], nucleus=NAI.nuclei[1]), [1.0])
    assert det.quenching_for("I").qf == 0.1
    with pytest.raises(InvalidParameterError, match=r"response differs .* give nucleus="):
        det.quench([10.0])
    nodes = det.recoil_grid(50.0)
    with pytest.raises(InvalidParameterError, match="give nucleus="):
        det.response_matrix(nodes)
    with pytest.raises(InvalidParameterError, match=r"'Cs' is not a nucleus of NaI"):
        det.quench([1.0], nucleus="Cs")


def test_observed_counts_per_nucleus_mapping():
    det = _nai(_per_element(), n_nodes=300)
    nodes = det.recoil_grid(80.0)
    rates = {"Na": np.ones_like(nodes), "I": 2.0 * np.ones_like(nodes)}
    counts = det.observed_counts(nodes, rates)
    want = det.exposure_kg_day * (
        det.response_matrix(nodes, "Na") @ rates["Na"]
        + det.response_matrix(nodes, "I") @ rates["I"]
    )
    np.testing.assert_allclose(counts, want, rtol=1e-14)
    with pytest.raises(InvalidParameterError, match="give nucleus="):
        det.observed_counts(nodes, np.ones_like(nodes))


def test_per_nucleus_threshold_zeroes_each_nucleus_below_its_own():
    # 1 keVee threshold: Na (QF 0.3) needs 3.33 keVnr, I (QF 0.09) needs 11.1 keVnr
    det = IonizationDetector(
        "nai_thr",
        NAI,
        quenching=_per_element(),
        resolution=_resolution(),
        ionisation_threshold_kev=1.0,
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=EDGES,
        n_nodes=400,
    )
    nodes = det.recoil_grid(80.0)
    assert nodes[0] == pytest.approx(1.0 / QF_NA, rel=1e-3)
    r_i = det.response_matrix(nodes, "I")
    assert np.all(r_i[:, nodes < 1.0 / QF_I * (1 - 1e-3)] == 0.0)
    assert np.any(r_i[:, nodes > 1.0 / QF_I * (1 + 1e-3)] > 0.0)


def test_mapping_must_cover_every_nucleus_and_name_only_nuclei():
    with pytest.raises(InvalidParameterError, match=r"no entry for \['I127'\] of NaI"):
        _nai({"Na": ConstantQuenching(0.3)})
    with pytest.raises(InvalidParameterError, match=r"\['Cs'\] are not elements or isotopes"):
        _nai({"Na": ConstantQuenching(0.3), "I": ConstantQuenching(0.1), "Cs": Lindhard()})


def test_scintillator_per_element_quenching():
    # per element = the sum of each nucleus alone (same nuclei per kg) with its own model
    kw = {"light_yield_pe_per_kev": 10.0, "mass_kg": 1.0, "live_days": 1.0, "n_nodes": 300}
    edges = np.arange(2.0, 40.0, 2.0)
    det = ScintillatorDetector("nai_pe", NAI, quenching=_per_element(), bin_edges=edges, **kw)
    assert det.per_nucleus
    counts = Signal(_line_flux(), det).expected_counts(NSIModel.sm())
    nodes = det.recoil_grid(80.0)
    parts = []
    for nucleus, c in zip(NAI.nuclei, NAI.counts, strict=True):
        alone = Target(nucleus.name, (nucleus,), (c,), NAI.molar_mass_g)
        q = ConstantQuenching(QF_NA if nucleus.symbol == "Na" else QF_I)
        d = ScintillatorDetector("one", alone, quenching=q, bin_edges=edges, **kw)
        # same nodes: the same matrix as the per-element detector's for that nucleus
        np.testing.assert_array_equal(d.response_matrix(nodes), det.response_matrix(nodes, nucleus))
        parts.append(Signal(_line_flux(), d).expected_counts(NSIModel.sm()))
    assert parts[0][-1] > 1e3 * parts[1][-1]  # high PE: sodium; low PE: iodine
    assert parts[1][0] > parts[0][0]
    # the iodine-only signal ends its nodes at the iodine end point (another grid): 300
    # nodes agree to a few 1e-3
    np.testing.assert_allclose(counts, parts[0] + parts[1], rtol=5e-3)


class TwoQuench(Detector):
    """A user subclass with a per-nucleus hook only (one response per nucleus)."""

    def _quench(self, e_nr_kev):
        return 0.3 * e_nr_kev

    def _quench_nucleus(self, e_nr_kev, nucleus):
        return (QF_NA if nucleus.symbol == "Na" else QF_I) * e_nr_kev

    def _smear(self, true, edges):
        return _resolution().bin_probabilities(true, edges)

    def _min_recoil_kev(self):
        return 1e-4


def test_user_subclass_per_nucleus_hook(hand):
    det = TwoQuench("two", NAI, mass_kg=2.0, live_days=50.0, bin_edges=EDGES, n_nodes=6000)
    assert det.per_nucleus
    counts = Signal(_line_flux(), det).expected_counts(NSIModel.sm())
    np.testing.assert_allclose(counts, hand, rtol=1e-4)


# ---------------------------------------------------------------------- frozen + cache keys
def test_detectors_are_frozen_after_construction():
    det = _nai(_per_element())
    with pytest.raises(FrozenError, match=r"immutable after construction: cannot set 'live_days'"):
        det.live_days = 100.0
    with pytest.raises(FrozenError, match=r"replace\(quenching=\.\.\.\)"):
        det.quenching = Lindhard()
    with pytest.raises(FrozenError):
        del det.name
    assert det.live_days == 50.0
    clone = pickle.loads(pickle.dumps(det))
    with pytest.raises(FrozenError):
        clone.mass_kg = 1.0
    with pytest.raises(ValueError, match="read-only"):
        det.bin_edges[0] = 0.0


def test_replace_and_with_exposure():
    det = _nai(_per_element())
    longer = det.with_exposure(live_days=100.0)
    assert type(longer) is IonizationDetector
    assert (longer.live_days, longer.mass_kg, det.live_days) == (100.0, 2.0, 50.0)
    heavier = det.replace(mass_kg=4.0, name="heavy")
    assert (heavier.name, heavier.exposure_kg_day) == ("heavy", 200.0)
    with pytest.raises(InvalidParameterError, match=r"'live_time' is not an argument .* accepted"):
        det.replace(live_time=3.0)
    with pytest.raises(InvalidParameterError, match="needs mass_kg or live_days"):
        det.with_exposure()
    user = TwoQuench("two", NAI, mass_kg=2.0, live_days=50.0, bin_edges=EDGES)
    assert user.with_exposure(mass_kg=1.0).exposure_kg_day == 50.0


def test_doubling_the_exposure_doubles_the_counts():
    det = _nai(_per_element())
    sig = Signal(_line_flux(), det)
    sm = NSIModel.sm()
    before = sig.expected_counts(sm)
    sig.detector = det.with_exposure(live_days=100.0)
    np.testing.assert_allclose(sig.expected_counts(sm), 2.0 * before, rtol=1e-12)
    np.testing.assert_allclose(sig.expected_counts_direct(sm), 2.0 * before, rtol=1e-10)


class MutableExposure(TwoQuench):
    """Transitional code that updates the live time in place (a declared exception)."""

    _mutable_attributes = frozenset({"live_days"})


def test_in_place_exposure_change_is_in_the_template_key():
    # the known bug: the exposure was not part of the template cache key
    det = MutableExposure("m", NAI, mass_kg=2.0, live_days=50.0, bin_edges=EDGES)
    sig = Signal(_line_flux(), det)
    fam = family("sm_tree")
    expansion = QuadraticExpansion(sig, fam)
    vals = fam.defaults()
    before = sig.expected_counts(fam.build(vals))
    fast_before = expansion(vals)
    det.live_days = 100.0
    np.testing.assert_allclose(sig.expected_counts(fam.build(vals)), 2 * before, rtol=1e-12)
    np.testing.assert_allclose(expansion(vals), 2 * fast_before, rtol=1e-10)
    with pytest.raises(FrozenError):
        det.mass_kg = 3.0


def test_changing_quenching_changes_key_and_templates():
    det = _nai(_per_element())
    other = det.replace(quenching={"Na": ConstantQuenching(0.25), "I": ConstantQuenching(QF_I)})
    assert other.response_key != det.response_key
    sig = Signal(_line_flux(), det)
    t0 = sig.templates(None).matrix.copy()
    generation = sig.template_generation
    sig.detector = other
    t1 = sig.templates(None).matrix
    assert sig.template_generation == generation + 1
    assert not np.allclose(t0, t1)
    # back to an equal detector: the same numbers again
    sig.detector = det.replace()
    np.testing.assert_array_equal(sig.templates(None).matrix, t0)


def test_response_key_holds_binning_target_and_grouping():
    base = _nai(ConstantQuenching(QF_NA))
    assert base.replace(bin_edges=EDGES[:-1]).response_key != base.response_key
    assert base.replace(n_nodes=500).response_key != base.response_key
    assert base.replace(ionisation_threshold_kev=0.1).response_key != base.response_key
    assert base.replace(target=Target.compound("CsI")).response_key != base.response_key
    q = ConstantQuenching(QF_NA)
    assert _nai({"Na": q, "I": q}).response_key != _nai(q).response_key
    assert base.with_exposure(live_days=1.0).response_key == base.response_key
