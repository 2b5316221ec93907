"""TOML configuration: shipped files, validation errors, overrides and name look-ups."""

import tomllib

import pytest

from cevns.config import (
    apply_overrides,
    available_experiments,
    available_models,
    load_experiment,
    load_experiment_config,
    load_model,
    models_dir,
)
from cevns.core.exceptions import InvalidConfigError, UnknownNameError
from cevns.detectors.base import IonizationDetector
from cevns.detectors.resolution import TruncatedGaussianResolution
from cevns.physics.families import FAMILIES, ModelFamily

SHIPPED_MODELS = [
    "light_zprime",
    "lma_dark",
    "ngi",
    "ngi_q",
    "non_unitarity",
    "nsi_ee_mumu_q",
    "nsi_ee_ud",
    "sin2w",
    "sm",
    "sm_tree",
]


@pytest.fixture(scope="module")
def dresden():
    return load_experiment("dresden_ii")


def _dresden_text():
    return available_experiments()["dresden_ii"].read_text()


def _write(tmp_path, text, name="exp.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------------- listings
def test_available_experiments_and_models():
    exps = available_experiments()
    assert "dresden_ii" in exps
    assert exps["dresden_ii"].name == "dresden_ii.toml"
    assert exps["dresden_ii"].parent == models_dir() / "experiments"
    models = available_models()
    assert set(SHIPPED_MODELS) <= set(models)
    assert all(p.suffix == ".toml" and p.stem == n for n, p in models.items())


# ---------------------------------------------------------------------- experiments
def test_load_dresden_ii(dresden):
    assert dresden.name == "dresden_ii"
    assert dresden.likelihood == "chi2"
    det = dresden.signal.detector
    assert isinstance(det, IonizationDetector)
    assert det.quenching.label == "dresden_ii_fef"  # quenching = "fef"
    assert isinstance(det.resolution, TruncatedGaussianResolution)
    assert det.exposure_kg_day == pytest.approx(2.924)  # 2.924 kg x live_days = 1.0
    assert det.n_bins == 130
    assert dresden.signal.kinematics == "full"
    assert dresden.signal.n_enu == 20001
    assert len(dresden.backgrounds) == 1
    assert dresden.dataset.counts.shape == (130,)


def test_experiment_config_reads_file_values():
    cfg = load_experiment_config("dresden_ii")
    assert cfg.source.endswith("dresden_ii.toml")
    f = cfg.file
    assert f.signal.flux_norm_uncertainty == 0.02  # sigma_a of seed 004 Eq. 19
    assert f.signal.form_factor == "helm"
    assert f.detector.kind == "dresden_ii"
    assert f.detector.model_extra == {"quenching": "fef", "live_days": 1.0}


def test_override_quenching(dresden):
    ybe = load_experiment("dresden_ii", {"detector.quenching": "ybe"})
    det = ybe.signal.detector
    assert det.quenching.label == "dresden_ii_ybe"
    assert det.name == "dresden_ii_ybe"
    # the shipped experiment is unchanged
    assert dresden.signal.detector.quenching.label == "dresden_ii_fef"


def test_override_values_are_parsed_as_toml():
    exp = load_experiment(
        "dresden_ii",
        {"detector.live_days": "96.4", "detector.n_nodes": "300", "signal.form_factor": "unity"},
    )
    det = exp.signal.detector
    assert det.live_days == 96.4
    assert det.n_nodes == 300
    assert det.exposure_kg_day == pytest.approx(2.924 * 96.4)
    assert type(exp.signal.form_factor).__name__ == "Unity"


def test_apply_overrides_does_not_mutate_and_types():
    raw = {"a": {"b": 1}, "lst": [{"x": 1}]}
    out = apply_overrides(raw, {"a.b": "2.5", "a.c": "true", "lst.0.x": "[1, 2]", "d.e": "ybe"})
    assert raw == {"a": {"b": 1}, "lst": [{"x": 1}]}
    assert out == {"a": {"b": 2.5, "c": True}, "lst": [{"x": [1, 2]}], "d": {"e": "ybe"}}
    with pytest.raises(InvalidConfigError, match=r"--set a\.b\.c: a\.b is int 1, not a table"):
        apply_overrides(raw, {"a.b.c": "1"})


def test_load_experiment_from_path(tmp_path):
    p = _write(tmp_path, _dresden_text().replace('quenching = "fef"', 'quenching = "lindhard"'))
    exp = load_experiment(p)
    assert type(exp.signal.detector.quenching).__name__ == "Lindhard"
    assert load_experiment(str(p)).name == "dresden_ii"


# ---------------------------------------------------------------------- errors
def test_unknown_top_level_key(tmp_path):
    text = _dresden_text().replace('likelihood = "chi2"', 'likelihod = "chi2"')
    p = _write(tmp_path, text, "typo.toml")
    with pytest.raises(InvalidConfigError) as exc:
        load_experiment(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert "likelihod: unknown key; did you mean 'likelihood'?" in msg
    assert "Allowed:" in msg


def test_unknown_key_in_component_section(tmp_path):
    text = _dresden_text().replace('quenching = "fef"', 'quenchng = "fef"')
    p = _write(tmp_path, text, "typo2.toml")
    with pytest.raises(InvalidConfigError) as exc:
        load_experiment(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert "detector.quenchng: unknown key; did you mean 'quenching'?" in msg
    assert "live_days" in msg  # the allowed keys are listed


def test_unknown_key_in_signal_section(tmp_path):
    text = _dresden_text().replace('form_factor = "helm"', 'formfactor = "helm"')
    with pytest.raises(InvalidConfigError, match=r"signal\.formfactor: .*'form_factor'"):
        load_experiment(_write(tmp_path, text))


def test_wrong_value_type_names_key_and_value(tmp_path):
    text = _dresden_text().replace("live_days = 1.0", 'live_days = "one day"')
    p = _write(tmp_path, text)
    with pytest.raises(InvalidConfigError) as exc:
        load_experiment(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert "detector.live_days" in msg
    assert "'one day'" in msg


def test_wrong_literal_names_key_and_value():
    with pytest.raises(InvalidConfigError, match=r"likelihood: .*\(got 'gauss'\)"):
        load_experiment("dresden_ii", {"likelihood": "gauss"})
    with pytest.raises(InvalidConfigError, match=r"detector\.quenching: .*\(got 'ybe2'\)"):
        load_experiment("dresden_ii", {"detector.quenching": "ybe2"})
    with pytest.raises(InvalidConfigError, match=r"signal\.n_enu: .*101 \(got 5\)"):
        load_experiment("dresden_ii", {"signal.n_enu": "5"})
    with pytest.raises(InvalidConfigError, match=r"detector\.mass_kg: .*\(got -1\)"):
        load_experiment("dresden_ii", {"detector.mass_kg": "-1"})


def test_unknown_component_kind():
    with pytest.raises(InvalidConfigError, match=r"detector\.kind: .*did you mean 'dresden_ii'"):
        load_experiment("dresden_ii", {"detector.kind": "dresden"})


def test_builder_error_is_a_config_error():
    with pytest.raises(InvalidConfigError, match=r"dresden_ii\.toml: detector .*adiabatic_kev"):
        load_experiment("dresden_ii", {"detector.quenching": "modified_lindhard"})
    exp = load_experiment(
        "dresden_ii", {"detector.quenching": "modified_lindhard", "detector.adiabatic_kev": "0.2"}
    )
    assert exp.signal.detector.quenching.adiabatic_kev == 0.2


def test_invalid_toml_and_missing_file(tmp_path):
    p = _write(tmp_path, "name = [unclosed\n")
    with pytest.raises(InvalidConfigError, match="not valid TOML"):
        load_experiment(p)
    with pytest.raises(InvalidConfigError, match="does not exist"):
        load_experiment(tmp_path / "absent.toml")


def test_wrong_schema(tmp_path):
    text = _dresden_text().replace("cevns.experiment/1", "cevns.experiment/2")
    with pytest.raises(InvalidConfigError, match=r"schema: .*'cevns\.experiment/2'"):
        load_experiment(_write(tmp_path, text))


def test_unknown_experiment_lists_available():
    with pytest.raises(UnknownNameError) as exc:
        load_experiment("dresden_iii")
    msg = str(exc.value)
    assert "unknown experiment 'dresden_iii'" in msg
    assert "did you mean 'dresden_ii'?" in msg
    assert "Known: " in msg
    assert "dresden_ii" in msg.split("Known: ")[1]
    with pytest.raises(KeyError):  # UnknownNameError is a KeyError
        load_experiment("coherent_xenon")


# ---------------------------------------------------------------------- models
@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_load_each_shipped_model(name):
    raw = tomllib.loads(available_models()[name].read_text())
    fam = load_model(name)
    assert isinstance(fam, ModelFamily)
    assert fam.name == raw["name"] == name
    assert fam.description == raw["description"]
    # the overrides of the file are applied
    for par, sec in raw.get("parameters", {}).items():
        p = fam.parameter(par)
        for key, value in sec.items():
            got = getattr(p, key)
            assert (tuple(got) if isinstance(value, list) else got) == (
                tuple(value) if isinstance(value, list) else value
            ), (name, par, key)
    assert fam.build() is not None
    assert load_model(available_models()[name]).names == fam.names  # by path


def test_model_file_values():
    sm_tree = load_model("sm_tree")
    assert sm_tree.parameter("sin2_theta_w").value == 0.23857
    assert sm_tree.parameter("sin2_theta_w").fixed
    assert load_model("sm").parameter("sin2_theta_w").value == 0.23129
    zp = load_model("light_zprime")
    assert zp.parameter("mediator_mass_mev").fixed
    assert zp.parameter("g_nu_g_q").limits == (-1e-2, 1e-2)


def test_builtin_family_names_are_models():
    only_builtin = sorted(set(FAMILIES) - set(available_models()))
    assert only_builtin  # e.g. the *_tree variants
    fam = load_model(only_builtin[0])
    assert fam.name == only_builtin[0]
    assert load_model(fam) is fam


def test_unknown_model_lists_available():
    with pytest.raises(UnknownNameError) as exc:
        load_model("sm_tre")
    msg = str(exc.value)
    assert "unknown model 'sm_tre'; did you mean 'sm_tree'" in msg
    assert "Known: charge_radius" in msg  # the known models, sorted


def test_model_file_errors(tmp_path):
    base = 'schema = "cevns.model/1"\nname = "mine"\nfamily = "sin2w"\n'
    p = _write(tmp_path, base + "[parameters.sin2_theta_W]\nvalue = 0.24\n", "m1.toml")
    with pytest.raises(InvalidConfigError) as exc:
        load_model(p)
    assert str(p) in str(exc.value)
    assert "parameters.sin2_theta_W" in str(exc.value)
    assert "did you mean 'sin2_theta_w'?" in str(exc.value)

    p = _write(tmp_path, base + "[parameters.sin2_theta_w]\nvalu = 0.24\n", "m2.toml")
    with pytest.raises(InvalidConfigError, match=r"parameters\.sin2_theta_w\.valu: .*'value'"):
        load_model(p)

    p = _write(tmp_path, base + "[parameters.sin2_theta_w]\nvalue = 2.0\nlimits = [0, 1]\n")
    with pytest.raises(InvalidConfigError, match=r"parameters\.sin2_theta_w: .*outside its limits"):
        load_model(p)

    p = _write(tmp_path, base.replace('"sin2w"', '"sin2ww"'), "m3.toml")
    with pytest.raises(InvalidConfigError, match=r"m3\.toml: family: .*'sin2ww'"):
        load_model(p)

    p = _write(tmp_path, base + "[parameters.sin2_theta_w]\nvalue = 0.24\n", "ok.toml")
    fam = load_model(p)
    assert fam.name == "mine"
    assert fam.parameter("sin2_theta_w").value == 0.24
    assert fam.defaults()["sin2_theta_w"] == 0.24
