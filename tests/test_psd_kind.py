"""The generic ``psd`` detector kind (energy x pulse shape x time) of experiment files."""

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from cevns.config.components import component
from cevns.config.loader import load_experiment
from cevns.core.files import models_dir
from cevns.data import store
from cevns.detectors.psd import PSDDetector
from cevns.detectors.quenching import ConstantQuenching
from cevns.experiments.coherent_lar_2020 import (
    ENERGY_EDGES_KEVEE,
    F90_EDGES,
    TIME_EDGES_US,
    coherent_lar_2020_parameters,
    release_pdf,
)

EFF = [0.5, 1.0, 1.0, 0.8]  # per fine bin of 5 keVee: [0, 5), [5, 10), [10, 15), [15, 20)


def build(folder, **options):
    comp = component("detector", "psd")
    opts = comp.options.model_validate(options, context={"base_dir": folder})
    return comp.builder(opts)


@pytest.fixture
def toy(tmp_path):
    np.savetxt(tmp_path / "psd.txt", [[1.0, 3.0], [2.0, 2.0]])
    np.savetxt(tmp_path / "eff.txt", np.column_stack([[2.5, 7.5, 12.5, 17.5], EFF]))
    return tmp_path, {
        "target": "argon",
        "mass_kg": 2.0,
        "live_days": 3.0,
        "quenching": {"model": "constant", "qf": 0.25},
        "resolution": {"model": "relative", "a_sqrt_kev": 0.5},
        "energy_edges_kevee": [0.0, 10.0, 20.0],
        "psd_edges": [0.5, 0.7, 0.9],
        "psd_table": {"path": "psd.txt"},
        "efficiency": {"path": "eff.txt", "step_kevee": 5.0},
    }


def test_toy_response_by_hand(toy):
    folder, opts = toy
    setup = build(folder, **opts)
    det = setup.detector
    assert isinstance(det, PSDDetector)
    assert det.quenching == ConstantQuenching(0.25)
    assert setup.timing is None
    assert det.time_edges_us is None
    # p(F90 | E): the counts' rows normalised
    np.testing.assert_array_equal(det.psd_given_energy, [[0.25, 0.75], [0.5, 0.5]])
    # sigma / E = 0.5 / sqrt(E): sigma = 0.5 sqrt(E); efficiency per 5-keVee fine bin,
    # above the table (20 keVee) 0
    true = np.array([3.0, 8.0, 15.0, 19.5])
    sigma = 0.5 * np.sqrt(true)
    fine = np.array([0.0, 5.0, 10.0, 15.0, 20.0])
    p = stats.norm.cdf((fine[1:, None] - true) / sigma) - stats.norm.cdf(
        (fine[:-1, None] - true) / sigma
    )
    by_hand = np.array([EFF[0] * p[0] + EFF[1] * p[1], EFF[2] * p[2] + EFF[3] * p[3]])
    np.testing.assert_allclose(det.energy_probabilities(true), by_hand, rtol=1e-9, atol=1e-15)


def test_toy_time_fractions_are_the_pulse_convolved_with_the_pion_lifetime(toy):
    folder, opts = toy
    setup = build(folder, **opts, time_edges_us=[0.0, 0.5, 6.0], pulse_mean_us=0.44,
                  pulse_sigma_us=0.15)  # fmt: skip
    assert setup.detector.time_edges_us.tolist() == [0.0, 0.5, 6.0]
    numu = setup.timing(("numu",))["numu"]
    # prompt nu_mu: Gaussian trace (0.44, 0.15) convolved with the pion lifetime 26.033 ns
    tau = 0.026033
    emg = stats.exponnorm(tau / 0.15, loc=0.44, scale=0.15)
    np.testing.assert_allclose(numu, np.diff(emg.cdf([0.0, 0.5, 6.0])), rtol=1e-4)


def test_rows_layout_and_nearest_empty_rows(toy):
    folder, opts = toy
    rows = [[5.0, 0.6, 0.0], [5.0, 0.8, 0.0], [15.0, 0.6, 1.0], [15.0, 0.8, 3.0]]
    np.savetxt(folder / "rows.txt", rows)
    table = {"path": "rows.txt", "layout": "rows"}
    with pytest.raises(ValueError, match=r"empty energy rows \[0\]"):
        build(folder, **opts | {"psd_table": table})
    det = build(folder, **opts | {"psd_table": table | {"empty_rows": "nearest"}}).detector
    np.testing.assert_array_equal(det.psd_given_energy, [[0.25, 0.75], [0.25, 0.75]])


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"efficiency_step_kevee": 5.0}, "exactly one of efficiency"),
        ({"time_edges_us": [0.0, 1.0]}, "go together"),
        ({"time_edges_us": [0.0, 1.0], "pulse_mean_us": 0.44}, "go together"),
        ({"psd_edges": [0.5, 0.7, 0.8, 0.9]}, "expected one row per energy bin"),
    ],
)
def test_inconsistent_options_are_named(toy, over, message):
    folder, opts = toy
    with pytest.raises(ValueError, match=message):
        build(folder, **opts | over)


def test_efficiency_off_the_fine_grid_and_bad_resolution(toy):
    folder, opts = toy
    np.savetxt(folder / "eff_off.txt", np.column_stack([[2.0, 7.0, 12.0, 17.0], EFF]))
    with pytest.raises(ValueError, match=r"efficiency\.path: column 0 .* not the centres"):
        build(folder, **opts | {"efficiency": {"path": "eff_off.txt", "step_kevee": 5.0}})
    with pytest.raises(ValidationError, match="a_sqrt_kev"):
        build(folder, **opts | {"resolution": {"model": "relative", "a_sqrt_kev": -1.0}})
    with pytest.raises(ValidationError, match="'relative', 'gaussian'"):
        build(folder, **opts | {"resolution": {"model": "sqrt"}})


def test_lar_2020_from_the_kind_is_the_release_builder(tmp_path):
    """The LAr 2020 experiment file with ``kind = "psd"`` gives the Python builder's signal."""
    p = coherent_lar_2020_parameters()
    np.savetxt(tmp_path / "f90_given_e.txt", release_pdf("cevns").sum(axis=2))
    eff_file = store.path("coherent_lar_2020/CENNS10AnlAEfficiency.txt")
    detector = f"""[detector]
kind = "psd"
target = "argon"
name = "coherent_lar_2020"
mass_kg = {p["mass_kg"]!r}
live_days = 1.0
quenching = {{ model = "linear", a = {p["qf_a"]!r}, b = {p["qf_b"]!r}, max_kev = 1000.0 }}
resolution = {{ model = "relative", a_sqrt_kev = {p["resolution_a"]!r} }}
energy_edges_kevee = {ENERGY_EDGES_KEVEE.tolist()}
psd_edges = {F90_EDGES.tolist()}
psd_table = {{ path = "f90_given_e.txt", empty_rows = "nearest" }}
efficiency = {{ path = "{eff_file}", step_kevee = 0.5, eff_column = 2 }}
time_edges_us = {TIME_EDGES_US.tolist()}
pulse_mean_us = {p["pulse_mean_us"]!r}
pulse_sigma_us = {p["pulse_sigma_us"]!r}
"""
    shipped = (models_dir() / "experiments" / "coherent_lar_2020.toml").read_text()
    head, rest = shipped.split("[detector]", 1)
    tail = rest[rest.index("[dataset]") :]
    (tmp_path / "lar_psd.toml").write_text(head + detector + "\n" + tail)
    from_kind = load_experiment(tmp_path / "lar_psd.toml").expected("sm").signal
    from_python = load_experiment("coherent_lar_2020").expected("sm").signal
    assert from_kind.shape == (12, 8, 10)
    np.testing.assert_allclose(from_kind, from_python, rtol=1e-12, atol=0)
