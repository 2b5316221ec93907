import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.stats.scan import delta_chi2_threshold, grid_axis, profile_scan

from .test_experiment import _toy_experiment


@pytest.fixture(scope="module")
def cost():
    return _toy_experiment().cost("sin2w")


def test_1d_scan_and_interval(cost):
    res = profile_scan(cost, {"sin2_theta_w": grid_axis(0.15, 0.35, 41)})
    assert res.chi2.shape == (41,)
    assert res.valid.all()
    assert res.best_fit["values"]["sin2_theta_w"] == pytest.approx(0.25, abs=1e-4)
    iv = res.interval(0.6827)
    assert len(iv.segments) == 1
    lo, hi = iv.segments[0]
    assert lo < 0.25 < hi
    # profiled nuisances are stored at every point
    assert set(res.profiled) == {"toy.flux_norm", "toy.level"}


def test_disjoint_interval_from_a_double_well():
    # a chi2 with two minima gives a union of two segments
    from cevns.stats.scan import ScanResult

    x = np.linspace(-2, 2, 401)
    chi2 = 10 * (x**2 - 1) ** 2
    r = ScanResult(("x",), (x,), chi2, np.ones_like(x, bool), {}, {"chi2": 0.0, "values": {}})
    iv = r.interval(0.9)
    assert len(iv.segments) == 2
    assert iv.segments[0][0] == pytest.approx(-np.sqrt(1 + np.sqrt(2.706 / 10)), abs=2e-3)


def test_2d_contours_and_mask():
    from cevns.stats.scan import ScanResult

    x = np.linspace(-3, 3, 61)
    y = np.linspace(-3, 3, 61)
    xx, yy = np.meshgrid(x, y, indexing="ij")
    r2 = xx**2 + yy**2
    chi2 = 5 * (np.sqrt(r2) - 2) ** 2  # a ring of minima
    res = ScanResult(
        ("a", "b"), (x, y), chi2, np.ones_like(chi2, bool), {}, {"chi2": 0.0, "values": {}}
    )
    lines = res.contours(0.6827)
    assert len(lines) == 2  # inner and outer circle
    radii = sorted(float(np.mean(np.hypot(*line.T))) for line in lines)
    thr = delta_chi2_threshold(0.6827, 2)
    assert radii[0] == pytest.approx(2 - np.sqrt(thr / 5), abs=0.03)
    assert radii[1] == pytest.approx(2 + np.sqrt(thr / 5), abs=0.03)
    assert res.excluded(0.6827)[30, 30]  # the centre of the ring is excluded


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_backends_identical(cost, backend, monkeypatch):
    # dask workers are spawned interpreters that copy sys.path: the toy cost lives in tests/
    monkeypatch.syspath_prepend(ROOT)
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 30)}
    ref = profile_scan(cost, grid)
    other = profile_scan(cost, grid, backend=backend, workers=2)
    np.testing.assert_array_equal(ref.chi2, other.chi2)
    for k in ref.profiled:
        np.testing.assert_array_equal(ref.profiled[k], other.profiled[k])


def test_checkpoint_resume_identical(cost, tmp_path):
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 30)}
    ref = profile_scan(cost, grid)
    ck = tmp_path / "scan.jsonl"
    profile_scan(cost, grid, checkpoint=ck)
    lines = ck.read_text().splitlines()
    assert len(lines) == 1 + 30
    # cut the checkpoint as if the scan had been killed after 17 points (with a torn line)
    ck.write_text("\n".join(lines[:18]) + "\n" + lines[18][:20])
    resumed = profile_scan(cost, grid, checkpoint=ck)
    np.testing.assert_array_equal(resumed.chi2, ref.chi2)
    indices = []
    for line in ck.read_text().splitlines()[1:]:
        try:
            indices.append(tuple(json.loads(line)["index"]))
        except json.JSONDecodeError:
            assert line == lines[18][:20]  # only the torn line does not parse
    assert len(indices) == len(set(indices)) == 30
    # a complete checkpoint recomputes nothing
    before = ck.read_text()
    again = profile_scan(cost, grid, checkpoint=ck)
    assert ck.read_text() == before
    np.testing.assert_array_equal(again.chi2, ref.chi2)


def test_checkpoint_of_another_scan_is_refused(cost, tmp_path):
    ck = tmp_path / "scan.jsonl"
    profile_scan(cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 3)}, checkpoint=ck)
    with pytest.raises(InvalidParameterError, match="belongs to a different scan"):
        profile_scan(cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 4)}, checkpoint=ck)
    # the Migrad settings and the profiling are part of the scan: a checkpoint made with
    # other ones is not resumed (its minima would be another scan's)
    for other in ({"tol": 0.01}, {"strategy": 1}, {"gradient": False}, {"profile_linear": False}):
        with pytest.raises(InvalidParameterError, match="belongs to a different scan"):
            profile_scan(cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 3)}, checkpoint=ck, **other)


_SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    # Ctrl-C raises KeyboardInterrupt as in a terminal, even if the parent (a test worker)
    # ignores SIGINT: an ignored signal is inherited and Python then installs no handler
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, {root!r})
    from tests.test_experiment import _toy_experiment
    from cevns.stats.scan import profile_scan, grid_axis
    import cevns.stats.scan as s
    orig = s._fit_point
    def slow(*a, **k):
        time.sleep(0.05)
        return orig(*a, **k)
    s._fit_point = slow
    cost = _toy_experiment().cost("sin2w")
    profile_scan(cost, {{"sin2_theta_w": grid_axis(0.2, 0.3, 60)}}, checkpoint={ck!r}, backend={backend!r}, workers=2)
    """
)


@pytest.mark.parametrize(
    ("backend", "sig"), [("processes", signal.SIGKILL), ("serial", signal.SIGINT)]
)
def test_killed_scan_resumes_without_loss_or_duplicates(cost, tmp_path, backend, sig):
    ck = tmp_path / "scan.jsonl"
    root = ROOT
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT.format(root=root, ck=str(ck), backend=backend)],
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if ck.exists() and len(ck.read_text().splitlines()) > 12:
            break
        time.sleep(0.05)
    if backend == "processes":
        # kill one worker process (a child of the scan), then the scan itself
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children
        os.kill(int(children[-1]), sig)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    n_before = len(ck.read_text().splitlines()) - 1
    assert 0 < n_before < 60
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 60)}
    resumed = profile_scan(cost, grid, checkpoint=ck)
    ref = profile_scan(cost, grid)
    np.testing.assert_array_equal(resumed.chi2, ref.chi2)
    idx = []
    for line in ck.read_text().splitlines()[1:]:
        with contextlib.suppress(json.JSONDecodeError):  # a line torn by the kill
            idx.append(tuple(json.loads(line)["index"]))
    assert len(idx) == len(set(idx)) == 60


def test_exports(cost, tmp_path):
    res = profile_scan(cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 5)})
    res.to_json(tmp_path / "s.json")
    d = json.loads((tmp_path / "s.json").read_text())
    assert len(d["points"]) == 5
    assert {"sin2_theta_w", "chi2", "valid", "profiled"} <= set(d["points"][0])
    assert "Wilks" in d["cl_convention"]
    res.to_csv(tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text().startswith("sin2_theta_w,chi2,delta_chi2,valid")
    res.to_root(tmp_path / "s.root")
    import uproot

    with uproot.open(tmp_path / "s.root") as f:
        np.testing.assert_allclose(f["scan"]["chi2"].array(library="np"), res.chi2)


def test_scan_bad_input(cost):
    with pytest.raises(InvalidParameterError, match="grid must have 1 or 2 parameters"):
        profile_scan(cost, {})
    with pytest.raises(KeyError, match="did you mean 'sin2_theta_w'"):
        profile_scan(cost, {"sin2_theta": [0.2]})
    with pytest.raises(InvalidParameterError, match="backend must be"):
        profile_scan(cost, {"sin2_theta_w": [0.2]}, backend="mpi")
    with pytest.raises(InvalidParameterError, match="log axis needs positive bounds"):
        grid_axis(0, 1, 3, log=True)
    with pytest.raises(InvalidParameterError, match=r"strategy must be 0, 1 or 2 .*got 3"):
        profile_scan(cost, {"sin2_theta_w": [0.2]}, strategy=3)
    with pytest.raises(InvalidParameterError, match=r"tol must be a finite number > 0, got 0"):
        profile_scan(cost, {"sin2_theta_w": [0.2]}, tol=0)
    with pytest.raises(InvalidParameterError, match=r"tol must .* got nan"):
        profile_scan(cost, {"sin2_theta_w": [0.2]}, tol=float("nan"))
    with pytest.raises(InvalidParameterError, match=r"gradient must be True or False, got 1"):
        profile_scan(cost, {"sin2_theta_w": [0.2]}, gradient=1)


def test_scan_settings_reach_the_minimum():
    """The scan's Migrad settings (strategy 0, analytic gradient, tol 1e-3: EDM goal 2e-6)
    put every point of a Dresden-II light-Z' scan (four non-linear background parameters,
    four linear ones solved) within 1e-5 of the minimum a careful fit finds from the global
    best fit (strategy 2, tol 1e-5); Minuit's defaults stop up to 3e-5 above it."""
    from cevns.config import load_experiment
    from cevns.stats.fit import fit

    dresden = load_experiment("dresden_ii").cost("light_zprime")
    grid = {"mediator_mass_mev": [3.0, 30.0], "g_nu_g_q": [-1e-10, -1e-9, -4e-9]}
    res = profile_scan(dresden, grid, profile_linear=True)
    assert res.valid.all()
    for i, m in enumerate(grid["mediator_mass_mev"]):
        for j, g in enumerate(grid["g_nu_g_q"]):
            point = {"mediator_mass_mev": m, "g_nu_g_q": g}
            ref = fit(
                dresden,
                start=res.best_fit["values"] | point,
                fix=point,
                strategy=2,
                tol=1e-5,
                hesse=False,
            )
            assert res.chi2[i, j] == pytest.approx(ref.fval, abs=1e-5)


def test_reduce_profile_and_marginalise():
    from cevns.stats.scan import ScanResult

    x = np.linspace(-2.0, 2.0, 401)
    m = np.array([1.0, 2.0, 3.0])
    chi2 = np.array([[10.0 + (xx - 0.5) ** 2 * k for xx in x] for k in (1.0, 4.0, 0.0)])
    r = ScanResult(("m", "x"), (m, x), chi2, np.ones(chi2.shape, bool), {"a": chi2 * 0}, {})
    prof = r.reduce("x")
    np.testing.assert_allclose(prof.chi2, 10.0)
    np.testing.assert_allclose(prof.profiled["x"][:2], 0.5, atol=0.01)
    marg = r.reduce("x", "marginalise")
    assert np.all(marg.chi2 >= prof.chi2 - 1e-12)  # averaging never beats the minimum
    assert marg.chi2[2] == pytest.approx(10.0)  # flat in x: nothing to pay
    # Gaussian in x with sigma^2 = 1/k, truncated to [-2, 2], flat prior of width 4
    from scipy.stats import norm

    for i, k in ((0, 1.0), (1, 4.0)):
        sig = np.sqrt(1.0 / k)
        mass = np.sqrt(2 * np.pi) * sig * (norm.cdf(1.5 / sig) - norm.cdf(-2.5 / sig))
        assert marg.chi2[i] == pytest.approx(10.0 - 2 * np.log(mass / 4.0), rel=1e-5)
    with pytest.raises(InvalidParameterError, match="needs a 2D scan"):
        prof.reduce("m")


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
@pytest.mark.parametrize("profile_linear", [None, True, False])
def test_point_fitter_gives_the_minimum_fit_gives(likelihood, profile_linear):
    """PointFitter (one Minuit object per chunk, reset per point) is fit() without the
    per-point set-up: the same chi2, validity and values, bit for bit, point after point
    with warm starts, profiled (chi2 and Poisson solves) or not."""
    from cevns.stats.fit import PointFitter, fit

    cost = _toy_experiment(likelihood=likelihood).cost("sin2w")
    settings = {"profile_linear": profile_linear, "strategy": 0, "tol": 1e-3}
    fitter = PointFitter(cost, fixed=["sin2_theta_w"], **settings, gradient=True)
    start = dict(cost.defaults)
    for s2w in (0.2, 0.23, 0.26, 0.3):
        fix = {"sin2_theta_w": s2w}
        ref = fit(
            cost,
            start=start | fix,
            fix=fix,
            hesse=False,
            warn=False,
            details=False,
            gradient=True,
            **settings,
        )
        fval, valid, values = fitter.fit(start, fix)
        assert (fval, valid, values) == (ref.fval, ref.valid, ref.values)
        start = values


def test_point_fitter_splits_as_fit_does_and_refuses_bad_starts():
    """A sum whose parts share only fixed parameters: one Minuit object per part, the same
    numbers as fit()'s separate minimisation; a start outside the limits is refused."""
    from cevns.stats.fit import PointFitter, fit

    a = _toy_experiment("a").cost("sin2w")
    b = _toy_experiment("b", scale=1.3).cost("sin2w")
    both = a + b
    fitter = PointFitter(both, fixed=["sin2_theta_w"])
    assert len(fitter._groups) == 2
    assert not PointFitter(both, fixed=[])._groups  # sin2_theta_w free: one joint fit
    start = dict(a.defaults) | dict(b.defaults)
    for s2w in (0.21, 0.25):
        fix = {"sin2_theta_w": s2w}
        ref = fit(both, start=start | fix, fix=fix, hesse=False, warn=False, details=False)
        assert fitter.fit(start, fix) == (ref.fval, ref.valid, ref.values)
    fitter = PointFitter(a, fixed=["sin2_theta_w"])
    with pytest.raises(
        InvalidParameterError, match=r"'sin2_theta_w' = 1.5 is outside .*\[0.0, 1.0\]"
    ):
        fitter.fit(a.defaults, {"sin2_theta_w": 1.5})


def test_scan_chunks_run_with_one_blas_thread():
    """A chunk limits BLAS to one thread (backends bit-identical), with the libraries found
    once and again after new imports (a module can bring its own BLAS), and restores the
    count afterwards."""
    import sys

    from threadpoolctl import threadpool_info

    from cevns.stats import scan

    before = [i["num_threads"] for i in threadpool_info()]
    with scan._one_blas_thread():
        assert all(i["num_threads"] == 1 for i in threadpool_info())
    assert [i["num_threads"] for i in threadpool_info()] == before
    controller = scan._CONTROLLER[1]
    with scan._one_blas_thread():
        pass
    assert scan._CONTROLLER[1] is controller  # nothing imported: the same controller
    sys.modules["_cevns_test_new_module"] = type(sys)("_cevns_test_new_module")
    try:
        with scan._one_blas_thread():
            pass
        assert scan._CONTROLLER[1] is not controller
    finally:
        del sys.modules["_cevns_test_new_module"]
