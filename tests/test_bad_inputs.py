"""Bad input is refused where it enters, with a message that names the field, the value
and what was expected; on the command line as one line and a non-zero exit code, never a
traceback; files that are not ours are never modified."""

import hashlib
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from cevns.cli import main
from cevns.core.exceptions import CevnsError, InvalidParameterError
from cevns.stats.scan import grid_axis, profile_scan

from .test_experiment import _toy_experiment


@pytest.fixture(scope="module")
def cost():
    return _toy_experiment().cost("sin2w")


# --- scan grids and options ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.3, 0.1, 5), {}, r"grid start must be below stop .*got 0\.3:0\.1"),
        ((0.1, math.nan, 5), {}, r"grid bounds must be finite, got 0\.1:nan"),
        ((0.1, 0.3, 0), {}, r"integer in 1\.\.1000000, got 0"),
        ((0.1, 0.3, 10**9), {}, r"integer in 1\.\.1000000, got 1000000000"),
        ((0.1, 0.3, 2.5), {}, r"integer in 1\.\.1000000, got 2\.5"),
        ((0.1, 0.3, True), {}, r"integer in 1\.\.1000000, got True"),
        ((-1.0, 10.0, 5), {"log": True}, r"log axis needs positive bounds, got -1\.0:10\.0"),
    ],
)
def test_grid_axis_refuses(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        grid_axis(*args, **kwargs)


@pytest.mark.parametrize(
    ("grid", "kwargs", "match"),
    [
        (
            {"sin2_theta_w": [0.2, 0.1, 0.3]},
            {},
            r"strictly increasing or strictly decreasing, got 0\.1 then 0\.3 at index 1",
        ),
        (
            {"sin2_theta_w": [0.1, 0.2, 0.2]},
            {},
            r"strictly increasing or strictly decreasing, got 0\.2 then 0\.2 at index 1",
        ),
        (
            {"sin2_theta_w": [0.1, np.nan]},
            {},
            r"grid\['sin2_theta_w'\] must be finite, got non-finite values such as \[nan\]",
        ),
        ({"sin2_theta_w": []}, {}, r"an axis needs at least one value"),
        (
            {"sin2_theta_w": [0.1, 0.2]},
            {"log_axes": ["toy.level"]},
            r"log_axes names 'toy\.level', which is not scanned",
        ),
        ({"sin2_theta_w": [0.1, 0.2]}, {"workers": 0}, r"workers must be an integer >= 1, got 0"),
        (
            {"sin2_theta_w": [0.1, 0.2]},
            {"start": {"toy.level": math.nan}},
            r"start\['toy\.level'\] must be a finite number, got nan",
        ),
        (
            {"sin2_theta_w": [0.1, 0.2]},
            {"fix": {"toy.level": math.inf}},
            r"fix\['toy\.level'\] must be a finite number, got inf",
        ),
        (
            {"sin2_theta_w": [0.1, 0.2]},
            {"fix": {"toy.levl": 1.0}},
            r"unknown parameter 'toy\.levl'; did you mean 'toy\.level'",
        ),
        (
            {"sin2_theta_w": [0.1, 0.2]},
            {"backend": "threads"},
            r"backend must be 'serial', 'processes' or 'dask', got 'threads'",
        ),
    ],
)
def test_profile_scan_refuses_before_fitting(cost, grid, kwargs, match):
    with pytest.raises(CevnsError, match=match):
        profile_scan(cost, grid, **kwargs)


def test_a_decreasing_axis_gives_the_same_interval(cost):
    up = profile_scan(cost, {"sin2_theta_w": grid_axis(0.15, 0.35, 21)})
    down = profile_scan(cost, {"sin2_theta_w": grid_axis(0.15, 0.35, 21)[::-1]})
    # the points are the same fits started from other neighbours: equal within Minuit's
    # convergence (EDM < 2e-5 at tol = 0.01), not bit for bit
    np.testing.assert_allclose(down.chi2[::-1], up.chi2, atol=2e-5)
    a, b = up.interval(0.6827), down.interval(0.6827)
    assert a.segments[0][0] < a.segments[0][1]
    np.testing.assert_allclose(b.segments, a.segments, rtol=1e-4)
    assert b.best == a.best


# --- checkpoints ---------------------------------------------------------------------------
def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "content",
    [
        b"this is somebody's notes, no trailing newline",
        b"\x80\x81\x82 binary garbage",
        b'{"some": "json"}\n{"index": [0]}',
        b"[1, 2, 3]\n",
    ],
    ids=["text", "binary", "json-without-header", "json-list"],
)
def test_foreign_checkpoint_is_refused_and_left_unchanged(cost, tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    before = _digest(path)
    with pytest.raises(InvalidParameterError, match=r"is not a cevns scan checkpoint"):
        profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=path, best_fit=False)
    assert _digest(path) == before


def test_other_scans_checkpoint_is_refused_and_left_unchanged(cost, tmp_path):
    path = tmp_path / "scan.jsonl"
    profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=path, best_fit=False)
    before = _digest(path)
    with pytest.raises(InvalidParameterError, match=r"belongs to a different scan"):
        profile_scan(cost, {"sin2_theta_w": [0.2, 0.25]}, checkpoint=path, best_fit=False)
    assert _digest(path) == before


def test_checkpoint_in_use_is_refused(cost, tmp_path):
    import fcntl
    import os

    path = tmp_path / "scan.jsonl"
    profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=path, best_fit=False)
    fd = os.open(path, os.O_RDONLY)  # another scan holding the file
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InvalidParameterError, match=r"in use by another running scan"):
            profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=path, best_fit=False)
    finally:
        os.close(fd)
    # released: the same scan resumes from the file (both points already there)
    res = profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=path, best_fit=False)
    assert res.valid.all()
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["names"] == ["sin2_theta_w"]
    assert len(lines) == 3  # header and two points, none computed twice


def test_checkpoint_that_is_a_folder(cost, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"checkpoint .* is not a file"):
        profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=tmp_path, best_fit=False)


# --- the command line ----------------------------------------------------------------------
CLI_CASES = [
    (
        ["fit", "dresden_ii", "--set", "flux.preset.x.y=1"],
        r"--set flux\.preset\.x\.y: flux\.preset is str 'dresden_ii', not a table",
    ),
    (
        ["fit", "dresden_ii", "--set", "backgrounds.5.kind=foo"],
        r"--set backgrounds\.5\.kind: backgrounds is a list of 1 entries; expected an index 0\.\.0, got '5'",
    ),
    (
        ["fit", "dresden_ii", "--set", "backgrounds.x.kind=foo"],
        r"expected an index 0\.\.0, got 'x'",
    ),
    (["fit", "dresden_ii", "--set", "flux..x=1"], r"--set flux\.\.x: empty part in the dotted key"),
    (
        ["fit", "dresden_ii", "--set", "detector.mass_kg=-1"],
        r"^Error: --set detector\.mass_kg=-1: detector\.mass_kg: .*\(got -1\) "
        r"\(experiment file dresden_ii\.toml\)$",
    ),
    (
        ["fit", "dresden_ii", "--set", "detector.kind=dresden"],
        r"^Error: --set detector\.kind=dresden: detector\.kind: .*did you mean 'dresden_ii'",
    ),
    (
        ["fit", "dresden_ii", "--set", "signal.n_enu=5"],
        r"^Error: --set signal\.n_enu=5: signal\.n_enu: .*101 \(got 5\)",
    ),
    (
        ["fit", "dresden_ii", "--start", "sin2_theta_w=nan", "-m", "sin2w"],
        r"--start sin2_theta_w='nan': the value must be finite",
    ),
    (
        ["fit", "dresden_ii", "--fix", "sin2_theta_w=abc", "-m", "sin2w"],
        r"--fix sin2_theta_w='abc': the value must be a number",
    ),
    (
        ["fit", "dresden_ii", "--fix", "sin2_theta_w", "-m", "sin2w"],
        r"--fix expects NAME=VALUE, got 'sin2_theta_w'",
    ),
    (
        ["fit", "dresden_ii", "--json", "/proc/no/such/folder/fit.json"],
        r"cannot write /proc/no/such/folder/fit\.json",
    ),
    (
        ["scan", "dresden_ii", "-m", "sin2w", "--param", "sin2_theta_w=0.3:0.1:5"],
        r"grid start must be below stop",
    ),
    (
        ["scan", "dresden_ii", "-m", "sin2w", "--param", "sin2_theta_w=0.1:0.3:5", "--log", "x"],
        r"--log x: not a scanned parameter \(scanned: sin2_theta_w\)",
    ),
    (
        [
            "scan",
            "dresden_ii",
            "-m",
            "sin2w",
            "--param",
            "sin2_theta_w=0.1:0.3:5",
            "--workers",
            "0",
        ],
        r"'--workers': 0 is not in the range x>=1",
    ),
    (
        ["scan", "dresden_ii", "-m", "sin2w", "--param", "sin2_theta_w=0.1:0.3:5", "--cl", "1.5"],
        r"'--cl': 1\.5 is not in the range 0\.0<x<1\.0",
    ),
    (
        ["scan", "dresden_ii", "-m", "sin2w", "--param", "sin2_theta_w=0.1:0.3"],
        r"--param expects NAME=START:STOP:N, got 'sin2_theta_w=0\.1:0\.3'",
    ),
    (
        [
            "scan",
            "dresden_ii",
            "-m",
            "sin2w",
            "--param",
            "sin2_theta_w=0.1:0.3:5",
            "--json",
            "/proc/x/s.json",
        ],
        r"cannot write /proc/x/s\.json",
    ),
    (
        ["reproduce", "nope"],
        r"'nope' is not one of 'majumdar2022', 'dfs2018', 'dg2022', 'flagship', "
        r"'coherent_sm', 'xenonnt2026', 'em2022', 'sliver', 'all'",
    ),
]


@pytest.mark.parametrize(
    ("args", "match"), CLI_CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CLI_CASES]
)
def test_cli_refuses_in_one_line(args, match):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    err = result.output.strip().splitlines()[-1]
    assert err.startswith("Error:"), result.output
    assert __import__("re").search(match, err), err
