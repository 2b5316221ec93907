"""The examples a user copies: a TOML-only experiment and an installable plugin."""

import importlib
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cevns.cli import main
from cevns.config.loader import load_experiment

# the module (cevns.config also exports a function called ``components``)
comp_mod = importlib.import_module("cevns.config.components")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
USER = EXAMPLES / "user_experiment"
PLUGIN = EXAMPLES / "plugin"


# ---------------------------------------------------------------------- user experiment
def test_user_example_fits_from_its_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(USER)
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(main, ["fit", "experiment.toml", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "fit VALID" in result.output
    fit = json.loads(out.read_text())
    assert fit["valid"]
    # Asimov data of the SM: the fit returns the SM (flux normalisation 1) with chi^2 ~ 0
    assert fit["fval"] < 1e-8
    assert fit["parameters"]["user_nai_sns.flux_norm"]["value"] == pytest.approx(1.0, abs=1e-5)
    assert fit["n_signal"] == pytest.approx(356.11, rel=1e-4)


def test_user_example_data_are_its_labelled_asimov_expectation(monkeypatch):
    monkeypatch.chdir(USER)
    header = (USER / "nai_asimov.txt").read_text().splitlines()[0]
    assert header.startswith("# SYNTHETIC Asimov data")
    assert "synthetic" in (USER / "README.md").read_text().lower()
    exp = load_experiment("experiment.toml")
    det = exp.signal.detector
    assert det.per_nucleus  # sodium and iodine quenched differently
    assert [q.__class__.__name__ for q in (det.quenching_for("Na"), det.quenching_for("I"))] == [
        "ConstantQuenching",
        "Lindhard",
    ]
    assert det.quenching_for("I").z == 53  # Z of the element, not a default
    mu = exp.expected("sm").total
    np.testing.assert_allclose(exp.dataset.counts, mu, rtol=1e-7)  # written with 8 digits


def test_detector_paths_resolve_against_the_experiment_file(monkeypatch, tmp_path):
    # a tabulated quenching file next to the TOML; the working folder is elsewhere
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "qf_na.txt").write_text("# E_nr [keVnr]  QF\n0 0.25\n400 0.25\n")
    text = (USER / "experiment.toml").read_text()
    text = text.replace(
        'Na = { model = "constant", qf = 0.25 }',
        'Na = { model = "tabulated", path = "qf_na.txt" }',
    ).replace('path = "nai_asimov.txt"', f'path = "{(USER / "nai_asimov.txt").as_posix()}"')
    (folder / "experiment.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(folder / "experiment.toml")
    q = exp.signal.detector.quenching_for("Na")
    assert float(q(np.array([100.0]))[0]) == pytest.approx(25.0)
    np.testing.assert_allclose(exp.expected("sm").total, exp.dataset.counts, rtol=1e-6)


# ---------------------------------------------------------------------- plugin
@pytest.fixture
def plugin_on_path(monkeypatch, tmp_path):
    """The plugin as if pip-installed: a dist-info with its entry point, its source on sys.path."""
    dist = tmp_path / "cevns_power_law-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cevns-power-law\nVersion: 0.1.0\n")
    pyproject = tomllib.loads((PLUGIN / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"]["cevns.components"]
    lines = "".join(f"{name} = {value}\n" for name, value in declared.items())
    (dist / "entry_points.txt").write_text(f"[cevns.components]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    comp_mod._installed.cache_clear()
    yield
    monkeypatch.undo()
    comp_mod._installed.cache_clear()


def test_plugin_kind_is_listed_and_loads(plugin_on_path, monkeypatch):
    result = CliRunner().invoke(main, ["info"])
    assert result.exit_code == 0, result.output
    assert "[background] kind = 'power_law'" in result.output
    assert "distribution cevns-power-law" in result.output
    monkeypatch.chdir(PLUGIN)
    exp = load_experiment("experiment.toml")
    (bkg,) = exp.backgrounds
    # 0.5 per keVee at 10 keVee falling as x^-1.5, integrated by hand:
    # 0.5 * 10^1.5 * (lo^-0.5 - hi^-0.5) / 0.5
    lo, hi = exp.dataset.edges[0][:-1], exp.dataset.edges[0][1:]
    want = [0.5 * 10**1.5 * (a**-0.5 - b**-0.5) / 0.5 for a, b in zip(lo, hi, strict=True)]
    np.testing.assert_allclose(bkg.expected({}), want, rtol=1e-12)
    names = {p.name for p in exp.nuisance_parameters()}
    assert "user_nai_sns_pl.pl_norm" in names


def test_plugin_options_are_validated(plugin_on_path, tmp_path):
    text = (PLUGIN / "experiment.toml").read_text().replace("level_per_unit", "level_per_kev")
    text = text.replace("../user_experiment/", f"{USER.as_posix()}/")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"backgrounds\.0\.level_per_kev: unknown key"):
        load_experiment(path)


def test_without_the_plugin_the_kind_is_unknown(monkeypatch):
    comp_mod._installed.cache_clear()
    monkeypatch.chdir(PLUGIN)
    with pytest.raises(
        ValueError, match=r"backgrounds\.0\.kind: unknown backgrounds kind 'power_law'"
    ):
        load_experiment("experiment.toml")
