"""Benchmarks of Dresden-II profile scans: 1D serial, 2D serial vs processes, dask overhead.

The experiment is loaded in the setup (untimed); no template or expansion of a 2D grid
mass is cached before the (single) timed run. The 2D scans include the global fit, in
which ``profile_scan`` holds the mediator mass at the middle grid value. Statistics of the
scans (invalid points, cost calls per point, retried fits) are printed.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from cevns.config import load_experiment
from cevns.stats.scan import profile_scan

GRID_1D = {"sin2_theta_w": np.linspace(0.1, 0.5, 100)}
GRID_2D = {
    "mediator_mass_mev": np.geomspace(1.0, 1000.0, 50),
    "g_nu_g_q": -np.geomspace(1e-12, 1e-8, 50),
}
#: The grid of the issue-14 target (100 x 100 light-Z' scan, background profiled, 2 cores).
GRID_2D_100 = {
    "mediator_mass_mev": np.geomspace(1.0, 1000.0, 100),
    "g_nu_g_q": -np.geomspace(1e-12, 1e-8, 100),
}
WORKERS = 2

_RESULTS: dict[str, object] = {}  # serial 2D result, compared with the parallel one


def _counted(cost):
    """Count cost evaluations (a Python-level wrapper: ~0.1 us on a ~20 us evaluation)."""
    calls = [0]
    value = cost._value

    def counting(args):
        calls[0] += 1
        return value(args)

    cost._value = counting
    return calls


def _tries(checkpoint: Path) -> list[int]:
    lines = checkpoint.read_text().splitlines()[1:]
    return [json.loads(line)["tries"] for line in lines if line.strip()]


def _report(label: str, res, calls: int | None = None, tries: list[int] | None = None) -> None:
    n = res.chi2.size
    parts = [f"  {label}: {n} points, {int((~res.valid).sum())} invalid"]
    if calls is not None:
        parts.append(f"{calls / n:.0f} cost calls per point")
    if tries is not None:
        t = np.asarray(tries)
        parts.append(f"{int((t > 1).sum())} points retried ({int((t > 2).sum())} multistart)")
    parts.append(f"chi2_min {res.chi2_min:.4f}")
    print(", ".join(parts), flush=True)


def _scan_1d():
    """100-point profile of sin2_theta_w (8 nuisances profiled), serial, with the global fit."""

    cost = load_experiment("dresden_ii").cost("sin2w")
    cost(*cost.defaults.values())  # builds the templates and the expansion (untimed)
    calls = _counted(cost)

    def run():
        calls[0] = 0
        res = profile_scan(cost, GRID_1D, backend="serial")
        _report("scan_1d_dresden", res, calls[0])

    return run


#: Minuit's own settings at every point (strategy 1, numerical gradient, cevns' fit tol):
#: the baseline of the scan's defaults (strategy 0, analytic gradient, tol 1e-3).
MINUIT_DEFAULTS = {"strategy": 1, "tol": 0.01, "gradient": False}


def _scan_2d(backend: str, profile_linear: bool = False, grid=None, settings=None):
    grid = GRID_2D if grid is None else grid
    settings = settings or {}
    cost = load_experiment("dresden_ii").cost("light_zprime")
    calls = _counted(cost) if backend == "serial" else None

    def run():
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = Path(tmp) / "scan.jsonl"
            res = profile_scan(
                cost,
                grid,
                backend=backend,  # type: ignore[arg-type]
                workers=WORKERS,
                checkpoint=ckpt,
                log_axes=("mediator_mass_mev",),
                profile_linear=profile_linear,
                **settings,
            )
            tries = _tries(ckpt)
        label = f"scan_2d_dresden_{backend}" + ("_profiled" if profile_linear else "")
        if settings:
            label += "_minuit_defaults"
        if grid is not GRID_2D:
            label += "_{}x{}".format(*(len(v) for v in grid.values()))
        _report(label, res, calls[0] if calls else None, tries)
        if grid is not GRID_2D or settings:
            return
        if backend == "serial" and not profile_linear:
            _RESULTS["2d"] = res
        elif "2d" in _RESULTS:
            ref = _RESULTS["2d"]
            diff = float(np.max(np.abs(res.chi2 - ref.chi2)))  # type: ignore[attr-defined]
            print(f"  max |chi2({label}) - chi2(serial)| = {diff:.3g}", flush=True)

    return run


def _dask_overhead():
    """(dask time - serial time) / points for the 1D scan on a 2-worker LocalCluster.

    Each run starts a new cluster (untimed) and measures the first scan on it (cold workers:
    they import cevns and receive the cost), as ``profile_scan(backend="dask")`` does for a
    user; the dask time includes connecting a client, broadcasting the cost and gathering
    the results. A second scan on the same (warm) cluster is printed for comparison.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        print(f"  dask_overhead_per_point: SKIPPED, dask.distributed not importable ({e})")
        return lambda: None

    n = GRID_1D["sin2_theta_w"].size
    cost = load_experiment("dresden_ii").cost("sin2w")
    cost(*cost.defaults.values())  # builds the templates and the expansion (untimed)

    def dask_scan(address: str):
        t0 = time.perf_counter()
        try:
            res = profile_scan(cost, GRID_1D, backend="dask", scheduler=address)
        finally:
            # profile_scan leaves open the client it connects to an external scheduler
            with contextlib.suppress(ValueError):
                Client.current().close()
        return res, time.perf_counter() - t0

    def run():
        t0 = time.perf_counter()
        serial = profile_scan(cost, GRID_1D, backend="serial")
        t_serial = time.perf_counter() - t0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            cluster = LocalCluster(
                n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            t_start = time.perf_counter() - t0
            try:
                res, t_cold = dask_scan(cluster.scheduler_address)
                _, t_warm = dask_scan(cluster.scheduler_address)
            finally:
                cluster.close()
        same = bool(np.array_equal(res.chi2, serial.chi2))
        print(
            f"  dask: cluster start {t_start:.2f} s (untimed), scan cold {t_cold:.3f} s, "
            f"warm {t_warm:.3f} s, serial {t_serial:.3f} s; identical chi2: {same}; "
            f"warm overhead {(t_warm - t_serial) / n * 1e3:.2f} ms/point",
            flush=True,
        )
        return (t_cold - t_serial) / n

    return run


def _scan_points():
    """Time per scan point with the analytic Hessian, beside the gradient alone (same run).

    The fits a scan chunk runs (PointFitter: warm starts, strategy 0, tol 1e-3, analytic
    gradient, background profiled) along 5 mass lines of the 100 x 100 grid, serial: one
    fitter gives Migrad the Hessian, the baseline drops its second-order Minuit (what the
    scans ran before it). The two alternate line by line, so the machine's drifts hit both;
    the baseline's time per point and the ratio are printed, the returned time is the
    Hessian's. Templates are built in the setup (untimed).
    """
    from cevns.stats.fit import PointFitter

    cost = load_experiment("dresden_ii").cost("light_zprime")
    masses = GRID_2D_100["mediator_mass_mev"][::20]
    couplings = GRID_2D_100["g_nu_g_q"]
    fitters = {}
    for kind in ("hessian", "gradient"):
        f = PointFitter(
            cost, fixed=("mediator_mass_mev", "g_nu_g_q"), strategy=0, tol=1e-3, gradient=True
        )
        if kind == "gradient":
            f._so = None  # the gradient alone, as before the Hessian
        fitters[kind] = f
    for m in masses:
        fitters["hessian"].fit({}, {"mediator_mass_mev": m, "g_nu_g_q": couplings[0]})

    def line(fitter, m):
        start: dict[str, float] = {}
        chi2 = []
        t0 = time.perf_counter()
        for g in couplings:
            fval, _, start = fitter.fit(start, {"mediator_mass_mev": m, "g_nu_g_q": g})
            chi2.append(fval)
        return time.perf_counter() - t0, np.array(chi2)

    def run():
        spent = {"hessian": 0.0, "gradient": 0.0}
        diff = 0.0
        for m in masses:
            t_h, c_h = line(fitters["hessian"], m)
            t_g, c_g = line(fitters["gradient"], m)
            spent["hessian"] += t_h
            spent["gradient"] += t_g
            diff = max(diff, float(np.max(np.abs(c_h - c_g))))
        n = masses.size * couplings.size
        print(
            f"  scan_points_dresden_hessian: gradient alone {spent['gradient'] / n * 1e3:.3f} "
            f"ms/point, ratio {spent['hessian'] / spent['gradient']:.3f}, "
            f"max |dchi2| {diff:.2g}",
            flush=True,
        )
        return spent["hessian"] / n

    return run


BENCHMARKS = {
    "scan_points_dresden_hessian": _scan_points,
    "scan_1d_dresden": _scan_1d,
    "scan_2d_dresden_serial": lambda: _scan_2d("serial"),
    "scan_2d_dresden_processes": lambda: _scan_2d("processes"),
    "scan_2d_dresden_serial_profiled": lambda: _scan_2d("serial", profile_linear=True),
    "scan_2d_dresden_processes_profiled": lambda: _scan_2d("processes", profile_linear=True),
    "dask_overhead_per_point": _dask_overhead,
    "scan_2d_dresden_processes_profiled_100x100": lambda: _scan_2d(
        "processes", profile_linear=True, grid=GRID_2D_100
    ),
    "scan_2d_dresden_processes_profiled_100x100_minuit_defaults": lambda: _scan_2d(
        "processes", profile_linear=True, grid=GRID_2D_100, settings=MINUIT_DEFAULTS
    ),
}
REPEATS = {
    "scan_1d_dresden": 3,
    "scan_2d_dresden_serial": 1,
    "scan_2d_dresden_processes": 1,
    "scan_2d_dresden_serial_profiled": 1,
    "scan_2d_dresden_processes_profiled": 1,
    "dask_overhead_per_point": 3,
    "scan_2d_dresden_processes_profiled_100x100": 1,
    "scan_2d_dresden_processes_profiled_100x100_minuit_defaults": 1,
}
