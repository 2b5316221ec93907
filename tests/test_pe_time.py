"""Generic pulsed-beam parts: PE x time detectors, pi-DAR detector options, AC background.

Each part is checked on its own against a calculation written out here, not against the
experiment modules that are assembled from it.
"""

import numpy as np
import pytest

from cevns.config.background_kinds import anticoincidence_background
from cevns.config.components import component
from cevns.config.detector_kinds import pidar_timed, updown_setup
from cevns.core.constants import TAU_MUON_US
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.base import ScintillatorDetector
from cevns.detectors.pe_time import (
    DelayedExponentialEfficiency,
    TimedScintillatorDetector,
    edges_within,
    factorised_template,
    grid_slice,
)
from cevns.detectors.quenching import ConstantQuenching
from cevns.detectors.threshold import RecoilThresholdDetector
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.signal import Signal
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Target
from cevns.sources.spallation import PiDARTiming, PionDARFlux


# ---------------------------------------------------------------- detectors/pe_time
def test_delayed_exponential_efficiency():
    eff = DelayedExponentialEfficiency(onset_us=0.52, rate_per_us=0.0494)
    t = np.array([0.0, 0.51, 0.52, 1.52, 6.0])
    expected = [1.0, 1.0, 1.0, np.exp(-0.0494), np.exp(-0.0494 * 5.48)]
    np.testing.assert_allclose(eff(t), expected, rtol=1e-15)
    with pytest.raises(InvalidParameterError, match="rate_per_us must be > 0"):
        DelayedExponentialEfficiency(onset_us=0.5, rate_per_us=-1.0)


def test_factorised_template_against_integrals_by_hand():
    # PE density x on [0, 10] in 1-PE bins (content = integral = the centre); time density
    # exp(-t) on [0, 4] in 0.5 us bins (content = the integral over each bin)
    pe_c = np.arange(10) + 0.5
    t_lo = np.arange(8) * 0.5
    t_tab = np.column_stack([t_lo + 0.25, np.exp(-t_lo) - np.exp(-(t_lo + 0.5))])
    pe_edges, t_edges = [0.0, 2.0, 5.0, 10.0], [0.0, 1.25, 4.0]
    pe_int = np.array([2.0**2, 5.0**2 - 2.0**2, 10.0**2 - 5.0**2]) / 2
    # the source bin [1.0, 1.5) is split in half (a source bin is uniform within itself)
    cut = np.exp(-1.0) - np.exp(-1.5)
    t_int = np.array([1 - np.exp(-1.0) + cut / 2, cut / 2 + np.exp(-1.5) - np.exp(-4.0)])
    absolute = factorised_template(np.column_stack([pe_c, pe_c]), t_tab, pe_edges, t_edges)
    np.testing.assert_allclose(absolute, np.outer(pe_int, t_int), rtol=1e-13)
    region = ((0.0, 10.0), (0.0, 2.0))
    scaled = factorised_template(
        np.column_stack([pe_c, pe_c]), t_tab, pe_edges, t_edges, events=7.0, region=region
    )
    np.testing.assert_allclose(scaled, 7.0 * np.outer(pe_int / 50.0, t_int / (1 - np.exp(-2.0))))
    with pytest.raises(InvalidParameterError, match=r"t: \[0.0, 5.0\] reaches outside"):
        factorised_template(np.column_stack([pe_c, pe_c]), t_tab, pe_edges, [0.0, 5.0])
    with pytest.raises(InvalidParameterError, match="events and region go together"):
        factorised_template(np.column_stack([pe_c, pe_c]), t_tab, pe_edges, t_edges, events=1.0)


def test_grid_slice_and_edges():
    assert grid_slice("w", (0.0, 12.0), 0.5, 12.0) == slice(0, 24)
    assert grid_slice("w", [1.0, 2.5], 0.5, 12.0) == slice(2, 5)
    with pytest.raises(InvalidParameterError, match=r"w edges must lie on .*steps of 0.5"):
        grid_slice("w", (0.2, 1.0), 0.5, 12.0)
    with pytest.raises(InvalidParameterError, match="w must satisfy 0 <= lo < hi <= 12"):
        grid_slice("w", (1.0, 13.0), 0.5, 12.0)
    with pytest.raises(InvalidParameterError, match=r"w must be \(lo, hi\)"):
        grid_slice("w", (1.0, 2.0, 3.0), 0.5, 12.0)
    assert edges_within("e", [0.0, 1.0], 0.0, 6.0, "us").tolist() == [0.0, 1.0]
    with pytest.raises(InvalidParameterError, match=r"e must increase within \[0, 6\] us"):
        edges_within("e", [0.0, 7.0], 0.0, 6.0, "us")


def _scintillator(cls, **extra):
    return cls(
        "d",
        Target.by_name("csi"),
        quenching=ConstantQuenching(0.08),
        light_yield_pe_per_kev=13.0,
        mass_kg=1.0,
        live_days=1.0,
        bin_edges=[6.0, 10.0, 30.0],
        **extra,
    )


def test_timed_scintillator_is_a_scintillator_with_a_time_axis():
    timing = PiDARTiming(p_c=0.25)
    timed = _scintillator(TimedScintillatorDetector, timing=timing)
    assert timed.time_edges_us.tolist() == [0.0, 1.0, 12.0]  # from the timing
    assert timed.timing is timing
    explicit = _scintillator(TimedScintillatorDetector, time_edges_us=[0.0, 6.0])
    assert explicit.time_edges_us.tolist() == [0.0, 6.0]
    # the time axis does not touch the PE response
    flux = PionDARFlux(protons_on_target=1e23, live_time_days=1.0)
    sm = NSIModel.sm()
    np.testing.assert_array_equal(
        Signal(flux, timed).expected_counts(sm),
        Signal(flux, _scintillator(ScintillatorDetector)).expected_counts(sm),
    )
    with pytest.raises(InvalidParameterError, match="timing must have a fractions"):
        _scintillator(TimedScintillatorDetector, timing="p_c")
    with pytest.raises(InvalidParameterError, match="time_edges_us must start at >= 0"):
        _scintillator(TimedScintillatorDetector, time_edges_us=[-1.0, 1.0])


# ---------------------------------------------------------------- config: pi-DAR options
def _toy(*, threshold_kevnr: float = 5.0, timing: object = None) -> RecoilThresholdDetector:
    """A toy detector builder."""
    return RecoilThresholdDetector(
        Target.by_name("csi"), threshold_kev=threshold_kevnr, mass_kg=1.0, live_days=1.0,
        timing=timing,
    )  # fmt: skip


def test_pidar_timed_adds_the_timing_and_normalisation_options():
    build = pidar_timed(_toy)
    setup = build(
        threshold_kevnr=7.0,
        timing="p_c",
        time_edges_us=(0.0, 1.0, 12.0),
        p_c=None,
        pulse_width_us=0.695,
        p_c_convention="muon_at_rest",
        normalise_sm_to=100.0,
        normalisation_sin2_theta_w=0.2225,
        normalisation_couplings="tree",
        normalisation_form_factor="helm",
    )
    assert setup.detector.bin_edges[0] == 7.0
    # seed 002 Eq. 4.2 written out: P_c = 1 - (tau / p_w) [exp(-(b_w - p_w)/tau) - exp(-b_w/tau)]
    tau, p_w, b_w = TAU_MUON_US, 0.695, 1.0
    p_c = 1.0 - tau / p_w * (np.exp(-(b_w - p_w) / tau) - np.exp(-b_w / tau))
    fr = setup.timing(("numu", "nue"))
    np.testing.assert_allclose(fr["nue"], [p_c, 1.0 - p_c], rtol=1e-12)
    np.testing.assert_array_equal(fr["numu"], [1.0, 0.0])
    assert setup.detector.timing.edges_us == (0.0, 1.0, 12.0)
    assert setup.normalisation.events == 100.0
    assert setup.normalisation.model.sin2_theta_w == 0.2225


def test_pidar_timed_kind_options():
    comp = component("detector", "recoil_threshold")
    opts = comp.options.model_validate(
        {"target": "csi", "threshold_kevnr": 7.0, "mass_kg": 1.0, "live_days": 1.0}
    )
    assert (opts.timing, opts.time_edges_us, opts.normalise_sm_to) == (
        "p_c",
        (0.0, 1.0, 12.0),
        None,
    )
    none = comp.builder(comp.options.model_validate(opts.model_dump() | {"timing": "none"}))
    assert none.timing is None
    assert none.normalisation is None
    with pytest.raises(ValueError, match="timing 'p_c' needs 3 edges"):
        comp.builder(
            comp.options.model_validate(opts.model_dump() | {"time_edges_us": [0, 1, 2, 3]})
        )
    with pytest.raises(ValueError, match="target"):
        comp.options.model_validate({"threshold_kevnr": 7.0, "mass_kg": 1.0, "live_days": 1.0})


def test_updown_setup_builds_the_shifted_variants():
    def make(tag, threshold):
        return RecoilThresholdDetector(
            Target.by_name("csi"), threshold_kev=threshold, mass_kg=1.0, live_days=1.0,
            name=f"thr{tag}",
        )  # fmt: skip

    setup = updown_setup(
        make, {"threshold": 7.0}, {"thr": ({"threshold": 8.0}, {"threshold": 6.0}, "d")}
    )
    assert setup.detector.name == "thr"
    assert setup.detector.bin_edges[0] == 7.0
    (syst,) = setup.systematics
    assert (syst.names, syst.description) == (("thr",), "d")
    up, down = syst.variant(1.0), syst.variant(-1.0)
    assert (up.name, up.bin_edges[0], down.name, down.bin_edges[0]) == (
        "thr_thr_up",
        8.0,
        "thr_thr_down",
        6.0,
    )


# ---------------------------------------------------------------- config: AC background
def _dataset(ac):
    return Dataset(
        "d", np.ones((2, 3)), (np.arange(3.0), np.arange(4.0)), meta={"anticoincidence": ac}
    )


def test_anticoincidence_background(tmp_path):
    ac = np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 2.0]])  # total 12, one empty bin
    d = _dataset(ac)
    fact = anticoincidence_background(d)
    # outer product of the marginals over the total, written out
    rows, cols = [6.0, 6.0], [1.0, 6.0, 5.0]
    expected = np.array([[r * c / 12.0 for c in cols] for r in rows])
    np.testing.assert_allclose(fact.expected({}), expected, rtol=1e-14)
    assert fact.expected({}).sum() == pytest.approx(12.0)
    (norm,) = fact.parameters
    assert norm.prior == pytest.approx((1.0, 1.0 / np.sqrt(12.0)))
    raw = anticoincidence_background(d, template="raw", prior="free", name="bkg")
    np.testing.assert_array_equal(raw.expected({}), ac)
    assert raw.parameters[0].name == "bkg_norm"
    assert raw.parameters[0].prior is None
    # the same counts from a file (kind "anticoincidence", path relative to the experiment)
    (tmp_path / "ac.txt").write_text("# AC\n1 2 3\n0 4 2\n")
    comp = component("background", "anticoincidence")
    opts = comp.options.model_validate({"path": "ac.txt"}, context={"base_dir": tmp_path})
    np.testing.assert_allclose(comp.builder(opts, dataset=_dataset(None)).expected({}), expected)
    with pytest.raises(ValueError, match=r"meta\['anticoincidence'\].*shape \(2, 3\)"):
        anticoincidence_background(_dataset(None))
    with pytest.raises(ValueError, match="empty"):
        anticoincidence_background(_dataset(np.zeros((2, 3))))
