"""Generic detector kinds of experiment files: ionization, scintillator, response_matrix."""

import numpy as np
import pytest
from pydantic import ValidationError

from cevns import NSIModel, Target
from cevns.config.components import component
from cevns.config.loader import load_experiment
from cevns.core.constants import DAY_S
from cevns.detectors import efficiency as eff
from cevns.detectors import quenching as qu
from cevns.detectors import resolution as res
from cevns.detectors.base import IonizationDetector, ScintillatorDetector
from cevns.detectors.tabulated import TabulatedResponseDetector
from cevns.likelihood.signal import Signal
from cevns.physics.cross_section import differential_cross_section
from cevns.sources.flux import TabulatedFlux

NAI_BASE = {
    "target": "NaI",
    "mass_kg": 10.0,
    "live_days": 100.0,
    "binning": {"start": 1.0, "stop": 11.0, "n": 10},
}
PER_ELEMENT = {"Na": {"model": "constant", "qf": 0.25}, "I": {"model": "lindhard", "k": 0.12}}


def build(kind, folder=None, **options):
    comp = component("detector", kind)
    opts = comp.options.model_validate(options, context={"base_dir": folder})
    return comp.builder(opts)


def ionization(folder=None, **over):
    opts = NAI_BASE | {
        "ionisation_threshold_kev": 0.0,
        "quenching": PER_ELEMENT,
        "resolution": {"model": "gaussian", "sigma_kev": 0.3},
    }
    return build("ionization", folder, **(opts | over))


# ---------------------------------------------------------------------- ionization
def test_ionization_per_element_is_the_detector_built_by_hand():
    det = ionization(efficiency={"model": "sigmoid", "a": 0.9, "b": 1.2, "c": 2.0})
    assert isinstance(det, IonizationDetector)
    assert det.per_nucleus
    assert det.quenching_for("Na") == qu.ConstantQuenching(0.25)
    assert det.quenching_for("I") == qu.Lindhard(k=0.12, z=53)
    by_hand = IonizationDetector(
        "by_hand",
        Target.compound("NaI"),
        quenching={"Na": qu.ConstantQuenching(0.25), "I": qu.Lindhard(k=0.12, z=53)},
        resolution=res.GaussianResolution(sigma_n_kev=0.3, eta_kev=0.0, fano=0.0),
        efficiency=eff.SigmoidEfficiency2021(0.9, 1.2, 2.0, 0.0),
        ionisation_threshold_kev=0.0,
        mass_kg=10.0,
        live_days=100.0,
        bin_edges=np.linspace(1.0, 11.0, 11),
    )
    flux = TabulatedFlux({}, line_table={"numu": [(30.0, 1e9)]})
    a = Signal(flux, det).expected_counts(NSIModel.sm())
    b = Signal(flux, by_hand).expected_counts(NSIModel.sm())
    np.testing.assert_array_equal(a, b)


def test_quenching_models(tmp_path):
    (tmp_path / "qf.csv").write_text("# E_nr, QF\n0.0, 0.2\n10.0, 0.3\n")
    cases = {
        "lindhard": ({"model": "lindhard", "k": 0.15, "z": 32}, qu.Lindhard(k=0.15, z=32)),
        "constant": ({"model": "constant", "qf": 0.1}, qu.ConstantQuenching(0.1)),
        "linear": (
            {"model": "linear", "a": 0.2, "b": 0.001, "max_kev": 200.0},
            qu.LinearQuenching(0.2, 0.001, valid_range_kev=(0.0, 200.0)),
        ),
        "polynomial": (
            {"model": "polynomial", "coefficients": [0.2, 1e-3], "unit": "keV", "max_kev": 50.0},
            qu.PolynomialQuenching((0.2, 1e-3), "keV", valid_range_kev=(0.0, 50.0)),
        ),
    }
    for spec, want in cases.values():
        det = ionization(target="Ge", quenching=spec)
        assert det.quenching == want
    det = ionization(tmp_path, target="Ge", quenching={"model": "tabulated", "path": "qf.csv"})
    assert float(det.quenching(5.0)) == pytest.approx(5.0 * 0.25)
    assert det.quenching.valid_range_kev == (0.0, 10.0)  # above="error": no extrapolation
    # lindhard on a single element takes its Z
    assert ionization(target="Ge", quenching={"model": "lindhard", "k": 0.157}).quenching.z == 32


def test_resolution_and_efficiency_models(tmp_path):
    det = ionization(resolution={"model": "gaussian", "a_kev": 0.1, "b_sqrt_kev": 0.2})
    assert isinstance(det.resolution, res.SigmaResolution)
    np.testing.assert_allclose(det.resolution.sigma_fn(np.array([0.0, 4.0])), [0.1, 0.5])
    fano = {"sigma_n_kev": 0.07, "eta_kev": 2.96e-3, "fano": 0.11}
    assert ionization(resolution={"model": "fano", **fano}).resolution == res.GaussianResolution(
        **fano
    )
    truncated = ionization(resolution={"model": "truncated", **fano}).resolution
    assert truncated == res.TruncatedGaussianResolution(**fano)
    assert type(truncated) is res.TruncatedGaussianResolution
    assert isinstance(ionization(efficiency={"model": "unit"}).efficiency, eff.UnitEfficiency)
    (tmp_path / "eff.txt").write_text("0 0.0\n5 0.5\n20 1.0\n")
    det = ionization(tmp_path, efficiency={"model": "tabulated", "path": "eff.txt"})
    np.testing.assert_allclose(det.efficiency(np.array([2.5, 10.0])), [0.25, 2 / 3])


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"quenching": {"model": "lindhard", "k": 0.1}}, "lindhard needs z for a target of"),
        ({"quenching": {"Na": {"model": "constant", "qf": 0.2}}}, r"no entry for \['I127'\]"),
        (
            {"quenching": PER_ELEMENT | {"Cs": {"model": "constant", "qf": 0.1}}},
            r"quenching.Cs: NaI has no element or isotope 'Cs'",
        ),
    ],
)
def test_ionization_semantic_errors(over, message):
    with pytest.raises(ValueError, match=message):
        ionization(**over)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"quenching": {"Na": {"model": "constant", "qf": 1.5}}}, "less than or equal to 1"),
        ({"quenching": {"model": "cubic"}}, "needs model = one of 'lindhard', 'constant'"),
        ({"quenching": {"Na": {"qf": 0.3}, "I": {"qf": 0.1}}}, "needs model = one of"),
        ({"resolution": {"sigma_kev": 0.3}}, "needs model = one of 'gaussian', 'fano'"),
        (
            {"resolution": {"model": "gaussian", "sigma_kev": 0.1, "a_kev": 0.1}},
            "either sigma_kev or",
        ),
        ({"resolution": {"model": "gaussian", "a_kev": 0.1}}, "both a_kev and b_sqrt_kev"),
        (
            {"efficiency": {"model": "sigmoid", "a": 0.9, "b": 1.0, "c": 2.0, "d": 0.2}},
            r"a \+ d \(the plateau\) must be <= 1",
        ),
        ({"bin_edges": [1.0, 2.0]}, "exactly one of bin_edges"),
        ({"ionisation_threshold_kev": -1.0}, "greater than or equal to 0"),
    ],
)
def test_ionization_option_errors(over, message):
    opts = NAI_BASE | {
        "ionisation_threshold_kev": 0.0,
        "quenching": PER_ELEMENT,
        "resolution": {"model": "gaussian", "sigma_kev": 0.3},
    }
    with pytest.raises(ValidationError, match=message):
        component("detector", "ionization").options.model_validate(opts | over)


def test_errors_name_the_key_path_in_a_file(tmp_path):
    toml = f"""
schema = "cevns.experiment/1"
name = "bad"
[flux]
kind = "pion_dar"
live_time_days = 10
protons_on_target = 1e22
[detector]
kind = "ionization"
target = "NaI"
mass_kg = 1
live_days = 10
ionisation_threshold_kev = 0
bin_edges = [1, 2, 3]
resolution = {{ model = "gaussian", sigma_kev = 0.2 }}
[detector.quenching]
Na = {{ model = "constant", qf = 1.3 }}
I = {{ model = "lindhard", k = 0.1, zz = 3 }}
[dataset]
kind = "text"
path = "{tmp_path.as_posix()}/none.txt"
"""
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ValueError, match=r"detector\.quenching\.Na\.qf: .* \(got 1\.3\)") as e:
        load_experiment(path)
    assert "detector.quenching.I.zz: unknown key; did you mean 'z'?" in str(e.value)


def test_missing_file_names_the_resolved_path(tmp_path):
    with pytest.raises(ValueError, match=r"'qf\.txt' \(relative to .*\) does not exist"):
        ionization(tmp_path, target="Ge", quenching={"model": "tabulated", "path": "qf.txt"})


# ---------------------------------------------------------------------- scintillator
def test_scintillator_kind():
    det = build(
        "scintillator",
        **NAI_BASE
        | {
            "binning": {"start": 4, "stop": 40, "n": 18},
            "light_yield_pe_per_kev": 12.0,
            "quenching": PER_ELEMENT,
            "acceptance": {"model": "sigmoid", "a": 0.8, "b": 0.5, "c": 8.0},
        },
    )
    assert isinstance(det, ScintillatorDetector)
    assert det.per_nucleus
    assert det.light_yield_pe_per_kev == 12.0
    assert det.acceptance == eff.SigmoidEfficiency2021(0.8, 0.5, 8.0, 0.0)
    np.testing.assert_array_equal(det.bin_edges, np.arange(4.0, 41.0, 2.0))
    with pytest.raises(ValidationError, match="PE bin edges must be integers"):
        component("detector", "scintillator").options.model_validate(
            NAI_BASE
            | {"light_yield_pe_per_kev": 12.0, "quenching": PER_ELEMENT}
            | {"binning": {"start": 0.5, "stop": 10.5, "n": 4}}
        )


# ---------------------------------------------------------------------- response matrix
CAWO4 = Target.compound("CaWO4")
E_LINE, PHI = 3.0, 1e13  # MeV, 1/(cm^2 s): W recoils up to 0.1 keVnr, O up to 1.2 keVnr


def _table(tmp_path, name="resp.txt"):
    nodes = np.array([0.01, 0.05, 0.1, 0.3, 0.6, 1.0, 2.0])
    # two bins; rows sum to <= 1; zero at the first node (the threshold)
    p1 = np.array([0.0, 0.3, 0.5, 0.4, 0.2, 0.1, 0.0])
    p2 = np.array([0.0, 0.0, 0.1, 0.4, 0.7, 0.8, 0.9])
    np.savetxt(tmp_path / name, np.column_stack([nodes, p1, p2]), header="E_nr p(bin1) p(bin2)")
    return nodes, np.column_stack([p1, p2])


def test_response_matrix_kind_matches_hand_integral(tmp_path):
    nodes, prob = _table(tmp_path)
    det = build(
        "response_matrix",
        tmp_path,
        target="CaWO4",
        mass_kg=0.5,
        live_days=20.0,
        bin_edges=[0.0, 1.0, 2.0],
        observable="bin",
        path="resp.txt",
    )
    assert isinstance(det, TabulatedResponseDetector)
    flux = TabulatedFlux({}, line_table={"nuebar": [(E_LINE, PHI)]})
    counts = Signal(flux, det).expected_counts(NSIModel.sm())
    # independent: rate of each nucleus on a dense grid, times the interpolated table
    model = NSIModel.sm()
    want = np.zeros(2)
    for nucleus, n_per_kg in CAWO4:
        t_max = 2 * E_LINE**2 / (nucleus.mass_mev + 2 * E_LINE) * 1e3
        t = np.linspace(nodes[0], t_max, 400_001)
        rate = n_per_kg * PHI * DAY_S * differential_cross_section(t, E_LINE, nucleus, model)
        for b in range(2):
            want[b] += np.trapezoid(rate * np.interp(t, nodes, prob[:, b]), t)
    want *= 0.5 * 20.0
    assert want.sum() > 10
    np.testing.assert_allclose(counts, want, rtol=2e-4)


def test_response_matrix_validation(tmp_path):
    _table(tmp_path)
    base = {"target": "CaWO4", "mass_kg": 1.0, "live_days": 1.0, "path": "resp.txt"}
    with pytest.raises(ValueError, match=r"has 3 columns .* detector has 3 bins .* expected 4"):
        build("response_matrix", tmp_path, bin_edges=[0, 1, 2, 3], **base)
    np.savetxt(tmp_path / "bad.txt", [[0.1, 0.5], [0.05, 0.5]])
    with pytest.raises(ValueError, match="e_nr_nodes_kev must be strictly increasing"):
        build("response_matrix", tmp_path, **(base | {"path": "bad.txt", "bin_edges": [0, 1]}))
    np.savetxt(tmp_path / "sum.txt", [[0.1, 0.6, 0.6], [0.2, 0.1, 0.1]])
    with pytest.raises(ValueError, match=r"row 0 \(E_nr = 0.1 keVnr\) sum to 1.2 > 1"):
        build("response_matrix", tmp_path, **(base | {"path": "sum.txt", "bin_edges": [0, 1, 2]}))
    # a recoil above the last node: an error unless stated
    det = build("response_matrix", tmp_path, bin_edges=[0, 1, 2], **base)
    flux = TabulatedFlux({}, line_table={"nuebar": [(10.0, 1e10)]})  # O recoils to 13 keVnr
    with pytest.raises(ValueError, match=r"table ends at 2 keVnr; extend the table or state"):
        Signal(flux, det).expected_counts(NSIModel.sm())
    zero = build("response_matrix", tmp_path, bin_edges=[0, 1, 2], above_last_node="zero", **base)
    assert Signal(flux, zero).expected_counts(NSIModel.sm()).sum() > 0
