"""Minuit prints nothing during cevns fits, and the user's own print level is kept.

Minuit2 writes its error-level lines to the C++ standard output, past Python's streams
(and through ``cevns ... --quiet``); cevns reports fit problems in ``FitResult`` and
``FitWarning`` instead. Minuit's level is shared by every Minuit object of a thread (one
level per thread in the Minuit2 iminuit bundles).
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


def test_the_callers_print_level_is_restored():
    probe = Minuit(lambda x: (x - 1.0) ** 2, x=0.0)
    probe.print_level = 2  # a user debugging their own Minuit
    try:
        res = fit(load_experiment("dresden_ii").cost("sm_tree"))
        assert res.valid
        assert probe.print_level == 2
    finally:
        probe.print_level = 0


def test_overlapping_fits_in_two_threads_each_keep_their_thread_s_level():
    # Minuit2's print level is one per thread: thread A starts a fit, thread B starts one,
    # A ends first; B is still quiet, and each thread gets its own level back
    import threading

    from cevns.stats.fit import _quiet_minuit

    probe = Minuit(lambda x: (x - 1.0) ** 2, x=0.0)
    a_in, b_in, a_out, b_may_end = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        probe.print_level = 1
        with _quiet_minuit():
            a_in.set()
            b_in.wait(5)
            seen["a inside"] = probe.print_level
        seen["a after"] = probe.print_level
        a_out.set()

    def b():
        probe.print_level = 2
        a_in.wait(5)
        with _quiet_minuit():
            b_in.set()
            a_out.wait(5)
            seen["b inside, after a ended"] = probe.print_level
            b_may_end.wait(5)
        seen["b after"] = probe.print_level

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_may_end.set()
    for t in threads:
        t.join(5)
    assert seen == {"a inside": -1, "a after": 1, "b inside, after a ended": -1, "b after": 2}
