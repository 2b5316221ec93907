"""Minuit prints nothing during cevns fits, and the user's own print level is kept.

Minuit2 writes its error-level lines to the C++ standard output, past Python's streams
(and through ``cevns ... --quiet``); cevns reports fit problems in ``FitResult`` and
``FitWarning`` instead. Minuit's level is global to the process.
"""

import ctypes

from iminuit import Minuit

from cevns.config import load_experiment
from cevns.reproduce.dfs2018 import EXPERIMENT, TABLE2_RANGES, table2
from cevns.stats.fit import fit


def _c_stdout(capfd):
    ctypes.CDLL(None).fflush(None)  # the C stdio buffer Minuit2's std::cout goes through
    return capfd.readouterr().out


def test_a_scan_whose_best_fit_starts_at_negative_curvature_prints_nothing(capfd):
    # seed 002's eps_ee scan on 41 points: the best fit from the grid starts where the
    # curvature is negative, and Minuit2 printed "E VariableMetricBuilder Initial matrix
    # not pos.def." at its default level (it recovers: the minimum is valid)
    exp = load_experiment(EXPERIMENT)
    _c_stdout(capfd)
    out = table2(exp, n_points=41, ranges={"ee": TABLE2_RANGES["ee"]})
    assert _c_stdout(capfd) == ""
    _, scan = out["ee"]
    assert scan.best_fit is not None


def test_the_print_level_of_the_process_is_restored():
    probe = Minuit(lambda x: (x - 1.0) ** 2, x=0.0)
    probe.print_level = 2  # a user debugging their own Minuit
    try:
        res = fit(load_experiment("dresden_ii").cost("sm_tree"))
        assert res.valid
        assert probe.print_level == 2
    finally:
        probe.print_level = 0
