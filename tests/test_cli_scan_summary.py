"""The summary `cevns scan` prints: a screen at most (issue 16), whatever the grid and model."""

import re

import numpy as np
from click.testing import CliRunner
from scipy import stats

from cevns.cli import main
from cevns.cli.commands import _scan_summary
from cevns.stats.scan import ScanResult

#: a screen: 40 lines of at most 100 characters
SCREEN_LINES, SCREEN_WIDTH = 40, 100


def _gaussian_2d(n_nuisances: int, n_invalid: int) -> ScanResult:
    # chi2 = (x / 2)^2 + (y / 0.5)^2 on a 201 x 101 grid; profiled values of many nuisances
    x, y = np.linspace(-10, 10, 201), np.linspace(-2, 2, 101)
    chi2 = (x[:, None] / 2.0) ** 2 + (y[None, :] / 0.5) ** 2
    valid = np.ones(chi2.shape, bool)
    valid.flat[:n_invalid] = False
    values = {"x": 0.0, "y": 0.0, **{f"exp.nuisance_{i}": 0.1 * i for i in range(n_nuisances)}}
    return ScanResult(("x", "y"), (x, y), chi2, valid, {}, {"chi2": 0.0, "values": values})


def test_2d_summary_fits_on_a_screen_with_many_nuisances_and_invalid_fits():
    res = _gaussian_2d(n_nuisances=60, n_invalid=500)
    lines = _scan_summary(res, (0.6827, 0.9545, 0.9973), 1.0, "serial")
    assert len(lines) <= SCREEN_LINES
    assert max(map(len, lines)) <= 3 * SCREEN_WIDTH  # the invalid-fit line: 5 points at most
    assert "  ... and 48 more (see --json)" in lines
    assert lines[0].startswith("scanned 20301 points (201 x 101) in 1.0 s (serial)")
    # the region: a header, then per CL one count and one projection per axis
    assert lines[-10] == "allowed region (2 dof), projected on each axis:"
    invalid = next(line for line in lines if line.startswith("invalid fits at:"))
    assert invalid.endswith("(and 495 more)")
    assert invalid.count(";") == 4


def test_2d_projection_matches_the_gaussian_region():
    # the projection of {chi2 < q} with q the 2-dof quantile is |x| < 2 sqrt(q), |y| < 0.5 sqrt(q)
    res = _gaussian_2d(n_nuisances=0, n_invalid=0)
    lines = _scan_summary(res, (0.9545,), 0.0, "serial")
    q = stats.chi2.ppf(0.9545, 2)
    x_line = next(line for line in lines if line.startswith("    x: "))
    y_line = next(line for line in lines if line.startswith("    y: "))
    lo, hi = map(float, re.match(r"    x: \[(\S+), (\S+)\]", x_line).groups())
    # grid step 0.1 and linear interpolation of a parabola: within a grid step
    assert abs(hi - 2 * np.sqrt(q)) < 0.1
    assert abs(lo + 2 * np.sqrt(q)) < 0.1
    lo, hi = map(float, re.match(r"    y: \[(\S+), (\S+)\]", y_line).groups())
    assert abs(hi - 0.5 * np.sqrt(q)) < 0.04  # y grid step 0.04
    # excluded points counted on the grid, independently
    n_out = int(((res.chi2) > q).sum())
    assert f"  at 0.9545 CL: {n_out} of 20301 grid points excluded" in lines


def test_cli_2d_scan_summary_fits_on_a_screen():
    args = [
        "scan", "dresden_ii", "--model", "light_zprime",
        "--param", "mediator_mass_mev=1:100:5", "--log", "mediator_mass_mev",
        "--param", "g_nu_g_q=-3e-10:0:5",
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) <= SCREEN_LINES
    assert max(map(len, lines)) <= SCREEN_WIDTH
    assert lines[1] == "best fit:"
    assert sum(line.startswith("    mediator_mass_mev: [") for line in lines) == 3  # 3 CLs
