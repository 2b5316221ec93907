"""Broken experiment and physics-model files, and bad command-line options: each refused
where it enters, naming the file or option, the key, the value and what is allowed; on the
command line in one line with a non-zero exit, never a traceback."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cevns.cli import main
from cevns.config import load_experiment
from cevns.core.exceptions import CevnsError, InvalidConfigError
from cevns.physics.model_files import load_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "user_experiment"


@pytest.fixture
def user_exp(tmp_path):
    """A copy of the TOML-only example experiment, to break one line at a time (its data
    path is relative to the file's folder, whatever the working folder)."""
    for f in EXAMPLE.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    return tmp_path / "experiment.toml"


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


# --- experiment files --------------------------------------------------------------------------
EXPERIMENT_CASES = [
    ("[flux]", "[fluxx]", r"fluxx: unknown key; did you mean 'flux'\?"),
    ("[flux]", "[fluxx]", r"flux: required, missing"),
    ("mass_kg = 185.0", "# no mass", r"detector\.mass_kg: required, missing"),
    (
        "mass_kg = 185.0",
        "mass_kg = -185.0",
        r"detector\.mass_kg: Input should be greater than 0 \(got -185\.0\)",
    ),
    (
        "live_days = 365.0\nionisation",
        "live_days = nan\nionisation",
        r"detector\.live_days: Input should be a finite number \(got nan\)",
    ),
    ("c = 5.0", "c = nan", r"detector\.efficiency\.c: Input should be a finite number \(got nan\)"),
    (
        'I = { model = "lindhard", k = 0.12 }',
        'I = { model = "lindhard", k = -0.12 }',
        r"detector\.quenching\.I\.k: Input should be greater than 0 \(got -0\.12\)",
    ),
    (
        'I = { model = "lindhard", k = 0.12 }',
        'I = { model = "lindhard", k = 0.12, z = 0 }',
        r"detector\.quenching\.I\.z: Input should be greater than or equal to 1 \(got 0\)",
    ),
    (
        'Na = { model = "constant", qf = 0.25 }',
        'Na = { model = "constant", qf = 3.26 }',
        r"detector\.quenching\.Na\.qf: Input should be less than or equal to 1 \(got 3\.26\)",
    ),
    (
        "binning = { start = 3.0, stop = 43.0, n = 20 }",
        "binning = { start = 43.0, stop = 3.0, n = 20 }",
        r"detector\.binning: Value error, stop \(3\.0\) must be > start \(43\.0\)",
    ),
    (
        'path = "nai_asimov.txt"',
        'path = "missing.txt"',
        r"dataset\.path: Value error, file 'missing\.txt' \(relative to .*\) does not exist",
    ),
    (
        'path = "nai_asimov.txt"',
        'path = "."',
        r"dataset\.path: Value error, file '\.' \(relative to .*\) is not a file",
    ),
    (
        'likelihood = "poisson"',
        'likelihood = "gauss"',
        r"likelihood: Input should be 'chi2' or 'poisson' \(got 'gauss'\)",
    ),
    ('name = "user_nai_sns"', 'name = "user nai"', r"name: String should match pattern"),
    (
        'schema = "cevns.experiment/1"',
        'schema = "cevns.experiment/2"',
        r"schema: Input should be 'cevns\.experiment/1' \(got 'cevns\.experiment/2'\)",
    ),
    (
        'kind = "pion_dar"',
        'kind = "pion_bar"',
        r"flux\.kind: unknown flux kind 'pion_bar'; did you mean 'pion_dar'\?",
    ),
    (
        'form_factor = "helm"',
        'form_factor = "helmm"',
        r"signal\.form_factor: Input should be 'helm', 'klein_nystrand' or 'unity' \(got 'helmm'\)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "match"),
    EXPERIMENT_CASES,
    ids=[f"{i}:{c[2][:30]}" for i, c in enumerate(EXPERIMENT_CASES)],
)
def test_experiment_file_refused(user_exp, old, new, match):
    _edit(user_exp, old, new)
    with pytest.raises(InvalidConfigError, match=match) as info:
        load_experiment(user_exp)
    assert str(info.value).startswith(str(user_exp))  # the file is named first


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"schema = \n", r"not valid TOML"),
        (b"\xff\xfe\x00binary", r"not a text \(TOML\) file"),
        (
            b'schema = "cevns.model/1"\nname = "m"\nfamily = "sin2w"\n',
            r"a physics-model file \(schema 'cevns\.model/1'\), not an experiment file",
        ),
    ],
    ids=["not-toml", "binary", "model-file"],
)
def test_unreadable_experiment_file(tmp_path, content, match):
    p = tmp_path / "e.toml"
    p.write_bytes(content)
    with pytest.raises(InvalidConfigError, match=match):
        load_experiment(p)


def test_a_dataset_whose_edges_are_not_the_detectors(user_exp):
    # the same counts, the bin centres moved by a factor 5: only the counts would match
    data = user_exp.parent / "nai_asimov.txt"
    rows = [r.split() for r in data.read_text().splitlines() if not r.startswith("#")]
    data.write_text("".join(f"{5 * float(c)} {n} {e}\n" for c, n, e in rows))
    with pytest.raises(InvalidConfigError, match=r"the binnings do not match: .*the edges differ"):
        load_experiment(user_exp)


def test_an_overridden_path_is_taken_from_the_working_folder(user_exp, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(InvalidConfigError, match=r"file '.*elsewhere/other\.txt' does not exist"):
        load_experiment(user_exp, {"dataset.path": "other.txt"})


def test_a_count_only_dataset_at_other_edges():
    # seed-002 CONUS Ge at [0.6, 1000] keVnr; a dataset at [50, 60] must not fit it
    with pytest.raises(InvalidConfigError, match=r"the binnings do not match: .*50-60 .*0\.6-1000"):
        load_experiment("conus_ge", {"dataset.edges": "[50.0, 60.0]"})


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (
            {"detector.n_nodes": "1000000000"},
            r"detector\.n_nodes: Input should be less than or equal to 50000 \(got 1000000000\)",
        ),
        ({"signal.n_enu": "1e12"}, r"signal\.n_enu: Input should be less than or equal to 1000001"),
        (
            {"detector.mass_kg": "inf"},
            r"detector\.mass_kg: Input should be a finite number \(got inf\)",
        ),
        (
            {"backgrounds.0.kind": "x"},
            r"backgrounds: Input should be a valid list \(got \{'0': \{'kind': 'x'\}\}\)",
        ),
    ],
    ids=["n_nodes", "n_enu", "inf", "list-index"],
)
def test_overrides_refused(user_exp, overrides, match):
    with pytest.raises(InvalidConfigError, match=match):
        load_experiment(user_exp, overrides)


# --- physics-model files -----------------------------------------------------------------------
MODEL_CASES = [
    (
        "value = 0.23857\nprior = [nan, 0.01]",
        r"parameters\.sin2_theta_w: parameter 'sin2_theta_w': prior \(mean, sigma\) must be finite, got \(nan, 0\.01\)",
    ),
    ("value = 0.23857\nprior = [0.23, -0.01]", r"prior sigma must be > 0, got \(0\.23, -0\.01\)"),
    ("value = 0.23857\nlimits = [1.0, 0.0]", r"limits must satisfy lo < hi, got \(1\.0, 0\.0\)"),
    ("value = 2.0", r"start value 2\.0 is outside its limits \[0\.0, 1\.0\]"),
    (
        "value = 0.23857\nstep = nan",
        r"parameters\.sin2_theta_w\.step: Input should be greater than 0 \(got nan\)",
    ),
    ("valeu = 0.2", r"parameters\.sin2_theta_w\.valeu: unknown key; did you mean 'value'\?"),
]


@pytest.mark.parametrize(
    ("section", "match"), MODEL_CASES, ids=[f"model{i}" for i in range(len(MODEL_CASES))]
)
def test_model_file_refused(tmp_path, section, match):
    p = tmp_path / "m.toml"
    p.write_text(
        'schema = "cevns.model/1"\nname = "m"\nfamily = "sin2w"\n'
        f"[parameters.sin2_theta_w]\nlimits = [0.0, 1.0]\n{section}\n".replace(
            "limits = [0.0, 1.0]\nvalue = 0.23857\nlimits", "value = 0.23857\nlimits"
        )
    )
    with pytest.raises(InvalidConfigError, match=match):
        load_model(p)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            'schema = "cevns.model/1"\nname = "m"\nfamily = "sin2ww"\n',
            r"m\.toml: family: unknown model 'sin2ww'; did you mean 'sin2w'\?",
        ),
        (
            'schema = "cevns.model/1"\nname = "m"\nfamily = "sin2w"\n[parameters.sin2_theta]\nvalue = 0.2\n',
            r"parameters\.sin2_theta: family 'sin2w' has no such parameter; did you mean 'sin2_theta_w'\?",
        ),
        (
            'schema = "cevns.experiment/1"\nname = "e"\n',
            r"an experiment file \(schema 'cevns\.experiment/1'\), not a physics-model file",
        ),
    ],
    ids=["family", "parameter", "experiment-file"],
)
def test_model_file_names(tmp_path, text, match):
    p = tmp_path / "m.toml"
    p.write_text(text)
    with pytest.raises(CevnsError, match=match):
        load_model(p)


# --- the command line --------------------------------------------------------------------------
def _run(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error:"), result.output
    return lines[-1]


SCAN = ["scan", "dresden_ii", "-m", "sin2w", "--param", "sin2_theta_w=0.1:0.3:5"]
CLI_CASES = [
    (
        ["fit", "dresden_ii+dresden_ii"],
        r"dresden_ii\+dresden_ii: dresden_ii given twice \(its data would be counted twice\)",
    ),
    (
        [
            "fit",
            "dresden_ii",
            "-m",
            "sin2w",
            "--start",
            "sin2_theta_w=0.2",
            "--fix",
            "sin2_theta_w=0.3",
        ],
        r"sin2_theta_w is given to both --start and --fix; name it once",
    ),
    (
        [
            "fit",
            "dresden_ii",
            "-m",
            "sin2w",
            "--fix",
            "sin2_theta_w=0.2",
            "--fix",
            "sin2_theta_w=0.3",
        ],
        r"--fix sin2_theta_w given more than once",
    ),
    ([*SCAN, "--param", "sin2_theta_w=0.1:0.3:5"], r"--param sin2_theta_w given twice"),
    ([*SCAN, "--fix", "sin2_theta_w=0.2"], r"sin2_theta_w is given to both --param and --fix"),
    ([*SCAN[:-1], "sin2_theta_w=a:0.3:5"], r"START and STOP must be numbers, got 'a' and '0\.3'"),
    (
        [*SCAN[:-1], "sin2_theta_w=0.1:0.3:5.5"],
        r"N must be an integer \(the number of points\), got '5\.5'",
    ),
    (
        [*SCAN[:-1], "sin2_theta_w=0.1:0.3:2000000"],
        r"number of grid points must be an integer in 1\.\.1000000, got 2000000",
    ),
    (
        [*SCAN, "--scheduler", "tcp://127.0.0.1:1"],
        r"--scheduler tcp://127\.0\.0\.1:1 needs --backend dask \(got --backend serial\)",
    ),
    (
        [*SCAN, "--workers", "2"],
        r"--workers 2 needs --backend processes or dask \(got --backend serial\)",
    ),
    (["reproduce", "flagship", "--out", "/dev/null"], r"--out /dev/null: not a folder"),
    (
        ["fit", "dresden_ii", "--plot", "{d}/fit.foo"],
        r"--plot .*fit\.foo: '\.foo' is not a figure format; end the name with one of .*\.png",
    ),
    ([*SCAN, "--root", "/dev/full"], r"cannot write /dev/full: "),
    (
        ["plot", "{d}/notjson.json", "--out", "{d}/x.png"],
        r"notjson\.json: not valid JSON \(Expecting value",
    ),
    (["plot", "{d}/binary.json", "--out", "{d}/x.png"], r"binary\.json: not a text \(JSON\) file"),
    (
        ["plot", "{d}/list.json", "--out", "{d}/x.png"],
        r"list\.json: not a scan result \(no 'points'/'scanned'\)",
    ),
    (
        ["plot", "{d}/noaxes.json", "--out", "{d}/x.png"],
        r"noaxes\.json: a malformed scan result \(missing key 'axes'\)",
    ),
    (
        ["plot", "{d}/short.json", "--out", "{d}/x.png"],
        r"short\.json: a malformed scan result \(1 points for axes of shape \(3,\)\)",
    ),
    (
        ["fit", "dresden_ii", "--set", "detector.live_days=1e300"],
        r"dresden_ii: the prediction at the start values is not finite \(signal 1\.\d+e\+302, background \d+, cost inf\)",
    ),
    (
        ["fit", "dresden_ii", "--set", "flux.thermal_power_gw=1e308"],
        r"dresden_ii: the prediction at the start values is not finite \(signal nan",
    ),
    (["fit", "dresden_ii", "--set", "detector.n_nodes=1e9"], r"n_nodes.*50000.*got 1000000000"),
    (
        ["fit", "conus_ge", "--set", "flux.thermal_power_gw=1e308"],
        r"conus_ge: the reference model gives nan events, not a positive finite number: nothing "
        r"to normalise .*\(with --set flux\.thermal_power_gw=1e308\)$",
    ),
    (
        ["fit", "{d}/model.toml"],
        r"model\.toml: a physics-model file .*give it as the model \(--model\)",
    ),
    (
        ["fit", "dresden_ii", "--set", "detector.quenchingg=fef"],
        r"^Error: --set detector\.quenchingg=fef: detector\.quenchingg: unknown key; did you mean 'quenching'\?.*\(experiment file dresden_ii\.toml\)$",
    ),
]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "notjson.json").write_text("hello")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00\x01")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "noaxes.json").write_text('{"points": [], "scanned": ["x"]}')
    (tmp_path / "short.json").write_text(
        '{"points": [{"chi2": 1, "valid": true, "profiled": {}}], "scanned": ["x"], '
        '"axes": {"x": [1, 2, 3]}, "best_fit": {}}'
    )
    (tmp_path / "model.toml").write_text('schema = "cevns.model/1"\nname = "m"\nfamily = "sin2w"\n')
    return tmp_path


@pytest.mark.parametrize(
    ("args", "match"), CLI_CASES, ids=[f"cli{i}" for i in range(len(CLI_CASES))]
)
def test_cli_refuses(files, args, match):
    err = _run([a.format(d=files) for a in args])
    assert re.search(match, err), err


def test_numbers_print_as_numbers(tmp_path):
    # numpy scalars are printed as plain numbers in errors (not np.float64(500.0))
    p = tmp_path / "e.txt"
    p.write_text("1 2 1\n")
    err = _run(["fit", "dresden_ii", "--set", "detector.mass_kg=-500.0"])
    assert "np.float64" not in err
    assert "(got -500.0)" in err
