"""Detectors: the subclassing hooks, the response matrix, Dresden-II and input checks."""

import numpy as np
import pytest

from cevns import Target
from cevns.core.exceptions import InvalidParameterError, NotInitializedError
from cevns.detectors.base import (
    DEFAULT_NODES,
    Detector,
    IonizationDetector,
    ScintillatorDetector,
)
from cevns.detectors.efficiency import CallableEfficiency, TabulatedEfficiency
from cevns.detectors.quenching import ConstantQuenching, Lindhard
from cevns.detectors.resolution import GaussianResolution, PoissonPE, TruncatedGaussianResolution
from cevns.experiments.dresden_ii import dresden_ii_detector, dresden_ii_quenching
from cevns.likelihood.signal import Signal
from cevns.physics.families import family
from cevns.sources.reactor import ReactorFlux

GE = Target.element("Ge")


class LinearGe(Detector):
    """A user detector: E_ee = 0.2 E_nr, Gaussian resolution in keVee."""

    def __init__(self, sigma_kev=0.05, **kw):
        kw.setdefault("mass_kg", 1.0)
        kw.setdefault("live_days", 10.0)
        kw.setdefault("bin_edges", [0.2, 0.3, 0.4])
        super().__init__("linear_ge", GE, **kw)
        self.res = GaussianResolution(sigma_n_kev=sigma_kev, eta_kev=0.0, fano=0.0)

    def _quench(self, e_nr_kev):
        return 0.2 * e_nr_kev

    def _smear(self, true, edges):
        return self.res.bin_probabilities(true, edges)


def _narrow_ge(bin_edges, efficiency=None):
    """Lindhard Ge with a 1 eV plain Gaussian resolution (a near-perfect measurement)."""
    return IonizationDetector(
        "narrow",
        GE,
        quenching=Lindhard(),
        resolution=GaussianResolution(sigma_n_kev=1e-3, eta_kev=0.0, fano=0.0),
        efficiency=efficiency,
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=bin_edges,
        n_nodes=400,
    )


@pytest.fixture(scope="module")
def dresden_flux():
    return ReactorFlux.dresden_ii()


@pytest.fixture(scope="module")
def sm_tree():
    return family("sm_tree").build({})


# ---------------------------------------------------------------------- subclassing
def test_user_subclass_works():
    det = LinearGe()
    assert det.exposure_kg_day == 10.0
    assert det.n_bins == 2
    assert det.observable == "keVee"
    assert det.n_nodes == DEFAULT_NODES
    np.testing.assert_allclose(det.quench([1.0, 2.0]), [0.2, 0.4])
    assert "LinearGe('linear_ge'" in repr(det)
    assert "10 kg day" in repr(det)


def test_user_subclass_counts_flat_spectrum():
    # bins 0.2-0.3 and 0.3-0.4 keVee are recoils 1-1.5 and 1.5-2 keVnr. A flat spectrum of
    # 1 event / (kg day keVnr) smeared by a Gaussian (migration in = migration out) gives
    # exposure * 0.5 keVnr = 5 events per bin.
    det = LinearGe()
    nodes = det.recoil_grid(10.0)
    assert nodes[0] == pytest.approx(1e-3)  # default lowest recoil, 1 eV
    assert nodes[-1] == pytest.approx(10.0)
    assert np.all(np.diff(np.log(nodes)) == pytest.approx(np.log(1e4) / (nodes.size - 1)))
    counts = det.observed_counts(nodes, np.ones_like(nodes))
    np.testing.assert_allclose(counts, [5.0, 5.0], rtol=1e-4)


def test_subclass_forgetting_super_init_raises():
    class Forgetful(Detector):
        def __init__(self):
            self.name = "oops"

        def _quench(self, e_nr_kev):
            return e_nr_kev

        def _smear(self, true, edges):
            return np.zeros((edges.size - 1, true.size))

    with pytest.raises(NotInitializedError, match=r"Forgetful.__init__ did not call Detector"):
        Forgetful()
    with pytest.raises(NotInitializedError, match=r"super\(\).__init__\(name, target"):
        Forgetful()


def test_grandchild_forgetting_super_init_raises():
    class Child(LinearGe):
        def __init__(self):
            self.extra = 1  # no super().__init__()

    with pytest.raises(NotInitializedError, match=r"Child\.__init__ did not call"):
        Child()

    class GoodChild(LinearGe):
        def __init__(self):
            super().__init__(sigma_kev=0.02, live_days=3.0)

    assert GoodChild().exposure_kg_day == 3.0

    class NoInit(LinearGe):
        pass

    assert NoInit().exposure_kg_day == 10.0


def test_uninitialised_instance_is_detected():
    det = LinearGe.__new__(LinearGe)
    with pytest.raises(NotInitializedError, match="LinearGe was not initialised"):
        _ = det.exposure_kg_day
    with pytest.raises(NotInitializedError):
        det.quench([1.0])


def test_missing_hooks_cannot_be_instantiated():
    class NoSmear(Detector):
        def _quench(self, e_nr_kev):
            return e_nr_kev

    with pytest.raises(TypeError, match="_smear"):
        NoSmear("x", GE, mass_kg=1.0, live_days=1.0, bin_edges=[0.1, 0.2])


def test_smear_with_wrong_shape_is_reported():
    class BadShape(LinearGe):
        def _smear(self, true, edges):
            return np.zeros((true.size, edges.size - 1))

    det = BadShape()
    with pytest.raises(InvalidParameterError, match=r"BadShape._smear must return shape \(2, "):
        det.response_matrix(det.recoil_grid(5.0)[:60])


# ---------------------------------------------------------------------- response matrix
def test_response_matrix_shape_and_sign():
    det = dresden_ii_detector(n_nodes=200)
    nodes = det.recoil_grid(5.0)
    r = det.response_matrix(nodes)
    assert r.shape == (130, 200)
    assert np.all(r >= 0)
    assert np.all(np.isfinite(r))
    assert r.sum() > 0
    assert det.response_matrix(nodes) is r  # cached


def test_response_columns_conserve_probability():
    # every column sums to its trapezoid weight when the resolution is narrow and the bins
    # cover all energies reached: Lindhard(10 keVnr) = 2.34 keVee < 3 keVee
    edges = np.linspace(-0.5, 3.0, 351)
    det = _narrow_ge(edges)
    nodes = np.geomspace(0.05, 10.0, 400)
    r = det.response_matrix(nodes)
    w = np.zeros(nodes.size)
    w[:-1] += np.diff(nodes) / 2
    w[1:] += np.diff(nodes) / 2
    np.testing.assert_allclose(r.sum(axis=0), w, rtol=1e-12)


def test_response_columns_with_efficiency():
    edges = np.linspace(-0.5, 3.0, 351)
    nodes = np.geomspace(0.05, 10.0, 400)
    w = _narrow_ge(edges).response_matrix(nodes).sum(axis=0)
    # constant efficiency 0.7: columns scale by 0.7
    flat = _narrow_ge(edges, CallableEfficiency(lambda x: np.full_like(x, 0.7)))
    np.testing.assert_allclose(flat.response_matrix(nodes).sum(axis=0), 0.7 * w, rtol=1e-12)
    # linear efficiency in E_ee: columns are w * eff(E_ee of the node)
    lin = TabulatedEfficiency([-0.5, 3.0], [0.1, 0.8])
    det = _narrow_ge(edges, lin)
    col = det.response_matrix(nodes).sum(axis=0)
    # exactly: sum over bins of eff(bin centre) * P(bin | E_ee)
    centres = 0.5 * (edges[1:] + edges[:-1])
    p = GaussianResolution(1e-3, 0.0, 0.0).bin_probabilities(Lindhard()(nodes), edges)
    np.testing.assert_allclose(col, w * (lin(centres) @ p), rtol=1e-12)
    # approximately eff(E_ee): bin centres are within 5 eV, the slope is 0.2 / keVee
    np.testing.assert_allclose(col / w, lin(Lindhard()(nodes)), rtol=0, atol=1.01e-3)


def test_response_columns_lose_what_falls_outside_the_bins():
    det = _narrow_ge([0.2, 0.5])
    nodes = np.geomspace(0.05, 10.0, 400)
    col = det.response_matrix(nodes)[0] / _narrow_ge(np.linspace(-0.5, 3, 351)).response_matrix(
        nodes
    ).sum(axis=0)
    ee = Lindhard()(nodes)
    assert np.all(col[ee < 0.19] < 1e-12)
    assert np.all(col[ee > 0.51] < 1e-12)
    np.testing.assert_allclose(col[(ee > 0.21) & (ee < 0.49)], 1.0, atol=1e-12)


def test_ionisation_threshold_sets_lowest_recoil():
    # seed 004 footnote 4: 2.98 eV for Ge at 77 K; the grid starts where E_ee reaches it
    det = _narrow_ge([0.2, 0.5])
    assert det.ionisation_threshold_kev == 2.98e-3
    nodes = det.recoil_grid(5.0)
    assert float(Lindhard()(nodes[0])) == pytest.approx(2.98e-3, rel=1e-4)
    assert nodes[-1] == pytest.approx(5.0)


def test_scintillator_detector_response():
    # CsI-like: constant QF, Poisson photoelectrons; bins [0, 2), [2, 4), ... of PE
    edges = np.arange(0.0, 121.0, 2.0)
    det = ScintillatorDetector(
        "csi",
        Target.element("Cs"),
        quenching=ConstantQuenching(),
        light_yield_pe_per_kev=13.348,
        mass_kg=14.6,
        live_days=308.1,
        bin_edges=edges,
        n_nodes=300,
    )
    assert det.observable == "PE"
    nodes = det.recoil_grid(30.0)
    assert nodes[0] == 0.05
    r = det.response_matrix(nodes)
    # recoils up to 30 keVnr give <= 35 PE on average: the bins hold the whole probability
    p = PoissonPE(13.348).bin_probabilities(0.0878 * nodes, edges)
    w = np.zeros(nodes.size)
    w[:-1] += np.diff(nodes) / 2
    w[1:] += np.diff(nodes) / 2
    np.testing.assert_allclose(r, p * w, rtol=1e-12)
    np.testing.assert_allclose(r.sum(axis=0), w, rtol=1e-9)


# ---------------------------------------------------------------------- Dresden-II
@pytest.mark.parametrize("quenching", ["fef", "ybe", "lindhard"])
def test_dresden_ii_node_doubling_converges(quenching, dresden_flux, sm_tree):
    # module docstring: doubling the default 1500 nodes changes bin counts by < 1e-4
    base = Signal(dresden_flux, dresden_ii_detector(quenching))
    fine = Signal(dresden_flux, dresden_ii_detector(quenching, n_nodes=2 * DEFAULT_NODES))
    a = base.expected_counts(sm_tree)
    b = fine.expected_counts(sm_tree)
    assert a.shape == (130,)
    assert np.all(b > 0)
    assert np.max(np.abs(a / b - 1)) < 1e-4
    # and the check is not empty: a coarse grid is visibly worse
    coarse = Signal(dresden_flux, dresden_ii_detector(quenching, n_nodes=150))
    assert np.max(np.abs(coarse.expected_counts(sm_tree) / b - 1)) > 1e-4


def test_dresden_ii_defaults():
    det = dresden_ii_detector()
    # seed 004 Sec. 3.1: 2.924 kg; 130 bins of 10 eV from 0.2 to 1.5 keVee
    assert det.mass_kg == 2.924
    assert det.exposure_kg_day == pytest.approx(2.924)
    assert det.n_bins == 130
    assert det.bin_edges[0] == 0.2
    assert det.bin_edges[-1] == 1.5
    np.testing.assert_allclose(np.diff(det.bin_edges), 0.01, rtol=1e-9)
    assert isinstance(det.resolution, TruncatedGaussianResolution)
    assert det.quenching.label == "dresden_ii_fef"
    assert det.name == "dresden_ii_fef"
    assert det.ionisation_threshold_kev == 2.98e-3
    assert isinstance(dresden_ii_detector(resolution="gaussian").resolution, GaussianResolution)
    assert not isinstance(
        dresden_ii_detector(resolution="gaussian").resolution, TruncatedGaussianResolution
    )


def test_truncated_resolution_raises_low_energy_bins(dresden_flux, sm_tree):
    # seed 004 Eq. 17 divides by P(E_reco > 0) <= 1: more events, most where E ~ sigma
    trunc = Signal(dresden_flux, dresden_ii_detector("fef", resolution="truncated_gaussian"))
    plain = Signal(dresden_flux, dresden_ii_detector("fef", resolution="gaussian"))
    ratio = trunc.expected_counts(sm_tree) / plain.expected_counts(sm_tree)
    assert np.all(ratio >= 1.0 - 1e-12)
    assert ratio[0] > 1.10  # 0.20-0.21 keVee: +11.6 % with the Fef quenching
    assert np.all(np.diff(ratio[:40]) < 0)  # the effect fades with energy...
    np.testing.assert_allclose(ratio[-30:], 1.0, atol=1e-6)  # ...and is gone above 1.2 keVee


def test_exposure_scales_counts(dresden_flux, sm_tree):
    one = Signal(dresden_flux, dresden_ii_detector("ybe", n_nodes=300))
    det = dresden_ii_detector("ybe", live_days=96.4, mass_kg=2.924, n_nodes=300)
    assert det.exposure_kg_day == pytest.approx(2.924 * 96.4)
    many = Signal(dresden_flux, det)
    np.testing.assert_allclose(
        many.expected_counts(sm_tree), 96.4 * one.expected_counts(sm_tree), rtol=1e-12
    )


def test_quenching_scale_changes_response():
    det = dresden_ii_detector("fef", n_nodes=200)
    scaled = det.with_quenching_scale(1.1)
    assert scaled.quenching.scale == 1.1
    assert scaled.response_key != det.response_key
    nodes = det.recoil_grid(4.0)
    np.testing.assert_allclose(scaled.quench(nodes), 1.1 * det.quench(nodes), rtol=1e-12)
    assert not np.allclose(scaled.response_matrix(nodes), det.response_matrix(nodes))


def test_dresden_ii_quenching_choices():
    with pytest.raises(InvalidParameterError, match=r"quenching must be one of.*'bogus'"):
        dresden_ii_detector("bogus")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="needs adiabatic_kev"):
        dresden_ii_detector("modified_lindhard")
    det = dresden_ii_detector("modified_lindhard", adiabatic_kev=0.2)
    assert det.quenching.adiabatic_kev == 0.2
    assert isinstance(dresden_ii_detector("lindhard").quenching, Lindhard)


# ---------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"mass_kg": -1.0}, r"mass_kg must be > 0, got -1\.0"),
        ({"mass_kg": 0.0}, r"mass_kg must be > 0"),
        ({"live_days": 0.0}, r"live_days must be > 0"),
        ({"mass_kg": float("nan")}, r"mass_kg must be finite"),
        ({"bin_edges": [0.3, 0.2, 0.4]}, r"bin_edges must be strictly increasing"),
        ({"bin_edges": [0.3]}, r"bin_edges must be a 1D array with at least 2"),
        ({"n_nodes": 10}, r"n_nodes must be an integer in 50..50000, got 10"),
    ],
)
def test_bad_detector_inputs(kw, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        LinearGe(**kw)


def test_bad_dresden_ii_inputs():
    with pytest.raises(InvalidParameterError, match=r"mass_kg must be > 0, got -2\.9"):
        dresden_ii_detector(mass_kg=-2.9)
    with pytest.raises(
        InvalidParameterError, match=r"target must be a cevns\.physics\.nuclei\.Target"
    ):
        IonizationDetector(
            "x",
            "Ge",  # type: ignore[arg-type]
            quenching=Lindhard(),
            resolution=GaussianResolution(sigma_n_kev=0.0685),
            mass_kg=1.0,
            live_days=1.0,
            bin_edges=[0.2, 0.3],
        )


def test_negative_recoil_rejected():
    with pytest.raises(InvalidParameterError, match="e_nr_kev must be >= 0"):
        dresden_ii_detector().quench([-0.1, 1.0])


def test_recoils_beyond_tabulated_quenching_rejected():
    # the Fef table stops at 4.5 keVnr (0.94 keVee) but the bins reach 1.5 keVee
    det = IonizationDetector(
        "fef_strict",
        GE,
        quenching=dresden_ii_quenching("fef", above="error"),
        resolution=GaussianResolution(sigma_n_kev=0.0685),
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=np.linspace(0.2, 1.5, 14),
    )
    with pytest.raises(InvalidParameterError, match=r"covers recoils up to 4\.5 keVnr only"):
        det.recoil_grid(5.19)
    with pytest.raises(InvalidParameterError, match=r"TabulatedQuenching covers .* 0 to 4\.5"):
        det.quench([5.0])
    # below the table end the grid is fine
    assert det.recoil_grid(4.0)[-1] == pytest.approx(4.0)


def test_recoil_grid_clipped_when_bins_are_covered():
    # recoils beyond the quenching range do not matter when the range reaches the last bin
    det = IonizationDetector(
        "fef_low",
        GE,
        quenching=dresden_ii_quenching("fef", above="error"),
        resolution=GaussianResolution(sigma_n_kev=0.0685),
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=np.linspace(0.2, 0.6, 5),
    )
    assert det.recoil_grid(5.19)[-1] == pytest.approx(4.5)


@pytest.mark.parametrize("value", [1.5, -0.2])
def test_efficiency_out_of_range_rejected(value):
    det = _narrow_ge([0.2, 0.3, 0.4], lambda x: np.full_like(x, value))
    with pytest.raises(
        InvalidParameterError, match=rf"narrow efficiency must lie in \[0, 1\].*{value}"
    ):
        det.response_matrix(np.geomspace(0.5, 3.0, 60))
