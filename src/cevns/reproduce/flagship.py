"""The flagship result: COHERENT (CsI 2017, LAr 2020) and Dresden-II combined on light mediators.

Beyond the seed papers, which show each experiment separately and simplify COHERENT: one
likelihood, the sum of the COHERENT CsI 2017 PE x time Poisson likelihood of the official
release (``coherent_csi_2017``, with its quenching and acceptance shape nuisances), the
COHERENT LAr 2020 Poisson likelihood (``coherent_lar_2020``) and the Dresden-II chi^2
(seed 004 Eq. 19, ``dresden_ii``), with each experiment's nuisance parameters profiled and
the physics parameters shared. CsI 2021 (``coherent_csi_2021``, partly third-party inputs)
is drawn on its own; it contains the 2017 data, so it is not added to the combination.
The model is a vector Z' coupled to nu_e and to u and d quarks equally (family
``nsi_ee_q_light``, radiative couplings of seed 000 Eq. 8): eps_ee^q(q^2) = eps(0) M^2 /
(q^2 + M^2) with eps(0) = g_nu g_q / (2 sqrt2 G_F M^2). At each mass the edge of the
excluded eps(0) < 0 region (the LMA-Dark sign) is searched along a path of growing |eps|
with warm-started profile fits (:func:`exclusion_curve`) and drawn in the
(M_Z', sqrt|g_nu g_q|) plane with the LMA-Dark band and the BBN bound.

``cevns reproduce flagship --out DIR`` writes ``DIR/flagship/summary.{json,md}`` and
``flagship_exclusion.{png,pdf}``.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
import warnings
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.config import load_experiment
from cevns.core.exceptions import FitError, InvalidParameterError
from cevns.physics.nsi import couplings_from_eps
from cevns.reproduce.summary import Summary
from cevns.stats.fit import FitWarning, PointFitter, fit
from cevns.stats.scan import delta_chi2_threshold

__all__ = [
    "COSMOLOGY_BBN_MEV",
    "EPS_PATH",
    "exclusion_curve",
    "lightest_excluded",
    "lma_dark_band",
    "run",
]


def __dir__() -> list[str]:
    return __all__


#: Lower bound on the mediator mass from BBN (seed 000 Sec. I).
COSMOLOGY_BBN_MEV = 3.1

#: Path of eps_ee^q(0) < 0, growing in size, on which :func:`exclusion_curve` finds the edge.
EPS_PATH = -np.geomspace(1e-3, 300.0, 41)

_CL3 = 0.9973
#: Migrad tolerance of the curve's fits (an EDM goal of 2e-6, as the scans').
_TOL = 1e-3


def exclusion_curve(
    cost: Any,
    masses: NDArray[np.float64],
    *,
    cl: float = _CL3,
    dof: int = 2,
    eps_path: NDArray[np.float64] = EPS_PATH,
) -> tuple[NDArray[np.float64], float]:
    """Lower edge of the excluded eps_ee^q(0) < 0 region at each mediator mass.

    ``cost`` uses the family ``nsi_ee_q_light``. At each mass the edge is the first point
    of ``eps_path`` (growing ``|eps|``) where the profile chi^2 exceeds ``chi2_min +
    threshold(cl, dof)``, interpolated in ``log|eps|`` from the point before it (the best
    fit with eps free before the first point). For eps < 0 the weak charge only grows in
    size, so the profile grows along the path and nothing is allowed beyond the first
    crossing: the crossing is searched, not walked to. The search starts at the previous
    mass's crossing, steps outwards by 1, 2, 4, ... points until the crossing is bracketed
    and bisects the bracket (:func:`_first_crossing`): 2 fits at a mass whose crossing is
    at the previous mass's path point, about ``2 log2(len(eps_path))`` at most. Each fit
    starts from a neighbouring path point fitted at that mass, else from the previous
    mass's minimum at the same point, else from the nearest point fitted (:class:`_Probe`).
    A fit of the search that fails, redone with strategy 1, makes that mass walk the path
    from its start instead. ``chi2_min`` is the best fit over the masses with eps free.
    Returns the edges (NaN where nothing on the path is excluded) and ``chi2_min``.

    Parameters
    ----------
    cost : iminuit cost
        A cost of the family ``nsi_ee_q_light``.
    masses : ndarray
        Mediator masses [MeV].
    cl : float, optional
        Confidence level of the exclusion (default 0.9973).
    dof : int, optional
        Degrees of freedom of the threshold (default 2).
    eps_path : ndarray, optional
        Negative values of ``eps_ee_q`` followed at each mass, growing in size (default
        :data:`EPS_PATH`).

    Returns
    -------
    edges : ndarray
        The edge of ``eps_ee_q`` at each mass (NaN where nothing on the path is excluded).
    chi2_min : float
        The best-fit chi^2 over the masses.
    """
    level = delta_chi2_threshold(cl, dof)
    quiet: dict[str, Any] = {"hesse": False, "warn": False, "details": False, "tol": _TOL}
    # every fit with the scans' settings (see cevns.stats.scan.profile_scan) and one Minuit
    # object per part; a fit that fails is redone with strategy 1
    free_fitter = PointFitter(
        cost, fixed=("mediator_mass_mev",), strategy=0, tol=_TOL, gradient=True
    )
    path = PointFitter(
        cost, fixed=("mediator_mass_mev", "eps_ee_q"), strategy=0, tol=_TOL, gradient=True
    )

    def careful(
        fitter: PointFitter,
        start: dict[str, float],
        point: dict[str, float],
        retry: dict[str, float],
    ) -> tuple[float, bool, dict[str, float]]:
        fval, valid, values = fitter.fit(start, point)
        if not valid:  # redone from ``retry`` with Minuit's careful default strategy
            r = fit(cost, start=retry | point, fix=point, **quiet)
            fval, valid, values = r.fval, r.valid, r.values
        return fval, valid, values

    free = [careful(free_fitter, {}, {"mediator_mass_mev": float(m)}, {}) for m in masses]
    bad = [float(m) for m, (_, ok, _) in zip(masses, free, strict=True) if not ok]
    if bad:
        warnings.warn(
            f"exclusion_curve: the fit with eps free did not converge at M = {bad} MeV",
            FitWarning,
            stacklevel=2,
        )
    chi2_min = min(f for f, _, _ in free)
    edges = np.full(masses.size, np.nan)
    n = len(eps_path)
    guess: int | None = None
    seeds: dict[int, dict[str, float]] = {}  # the last mass's minima by path index
    for i, (m, (_, _, best)) in enumerate(zip(masses, free, strict=True)):

        def at(k: int, start: dict[str, float], m: float = float(m), best: Any = best) -> Any:
            point = {"mediator_mass_mev": m, "eps_ee_q": float(eps_path[k])}
            fval, valid, values = careful(path, dict(start), point, best)
            return fval - chi2_min, valid, values, point

        fitted: dict[int, tuple[float, dict[str, float]]] = {}  # index -> (Delta chi2, minimum)
        try:
            k = _first_crossing(_Probe(at, fitted, seeds, best, level), n, guess)
        except _InvalidFitError:
            # a fit of the search failed (far beyond the edge, fits can): walk the path from
            # its start instead, warm-started point after point, keeping the valid minima
            k = n
            for j in range(n):
                if j not in fitted:
                    d, valid, values, point = at(j, fitted[j - 1][1] if j else best)
                    if not valid:
                        msg = f"exclusion_curve: the fit at {point} did not converge"
                        warnings.warn(msg, FitWarning, stacklevel=2)
                    fitted[j] = (d, values)
                if fitted[j][0] > level:
                    k = j
                    break
        seeds = {j: v for j, (_, v) in fitted.items()}
        if k == n:  # nothing on the path is excluded at this mass
            guess = None
            continue
        guess = k
        e, d = float(eps_path[k]), fitted[k][0]
        if k == 0:
            edges[i] = e
            continue
        prev_e, prev_d = float(eps_path[k - 1]), fitted[k - 1][0]
        t = (level - prev_d) / (d - prev_d)
        edges[i] = -np.exp(np.log(-prev_e) + t * (np.log(-e) - np.log(-prev_e)))
    return edges, chi2_min


class _InvalidFitError(Exception):
    """A fit of the crossing search did not converge (:func:`exclusion_curve` then walks)."""


class _Probe:
    """``above(k)`` of :func:`_first_crossing` for one mass of :func:`exclusion_curve`.

    The fit at path point ``k`` starts from a neighbour on the path fitted at this mass,
    else from the previous mass's minimum at ``k`` (``seeds``), else from the nearest point
    fitted at this mass, else from the best fit with eps free; valid minima go into
    ``fitted``, an invalid one raises :class:`_InvalidFitError`.
    """

    def __init__(
        self,
        at: Any,
        fitted: dict[int, tuple[float, dict[str, float]]],
        seeds: dict[int, dict[str, float]],
        best: dict[str, float],
        level: float,
    ) -> None:
        self.at, self.fitted, self.seeds, self.best, self.level = at, fitted, seeds, best, level

    def __call__(self, k: int) -> bool:
        fitted = self.fitted
        if k - 1 in fitted or k + 1 in fitted:
            start = fitted[k - 1 if k - 1 in fitted else k + 1][1]
        elif k in self.seeds or not fitted:
            start = self.seeds.get(k, self.best)
        else:
            start = fitted[min(fitted, key=lambda q: (abs(q - k), q))][1]
        d, valid, values, _ = self.at(k, start)
        if not valid:
            raise _InvalidFitError
        fitted[k] = (d, values)
        return bool(d > self.level)


def _first_crossing(above: Any, n: int, guess: int | None) -> int:
    """Smallest ``k`` in ``[0, n)`` with ``above(k)`` (``n`` if none), ``above`` monotonic.

    From ``guess`` (the previous crossing) the bracket is widened by 1, 2, 4, ... points in
    the direction ``above(guess)`` points to, then bisected; without a guess the whole range
    is bisected. ``above`` is called at most once per point.
    """
    lo, hi = -1, n  # above(lo) is False, above(hi) True (-1 and n need no call)
    if guess is not None:
        k = min(max(guess, 0), n - 1)
        step = 1
        if above(k):
            hi, j = k, k - 1
            while j >= 0 and above(j):
                hi, step = j, 2 * step
                j = hi - step
            lo = max(j, -1)
        else:
            lo, j = k, k + 1
            while j < n and not above(j):
                lo, step = j, 2 * step
                j = lo + step
            hi = min(j, n)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if above(mid):
            hi = mid
        else:
            lo = mid
    return hi


def lightest_excluded(
    masses: NDArray[np.float64], edges: NDArray[np.float64], eps_value: float
) -> float | None:
    """Lightest grid mass from which on ``eps_value`` (< 0) is excluded at every mass.

    Parameters
    ----------
    masses : ndarray
        Mediator masses [MeV] of the grid, increasing.
    edges : ndarray
        Edge of the excluded region at each mass (:func:`exclusion_curve`).
    eps_value : float
        The coupling eps_ee^q (< 0) asked about.

    Returns
    -------
    float or None
        The mass [MeV]; None if ``eps_value`` is allowed at the heaviest mass.
    """
    excl = np.isfinite(edges) & (edges >= eps_value)
    if not excl[-1]:
        return None
    allowed = np.flatnonzero(~excl)
    if allowed.size == 0:
        return float(masses[0])
    return float(masses[int(allowed[-1]) + 1])


def lma_dark_band(masses: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """sqrt|g_nu g_q| of eps_ee = -2 with u = d for Y_n from the crust (1.05) to the Sun (1/3).

    The Hamiltonian-level eps_ee = 3 (1 + Y_n) eps^q for eps^u = eps^d (seed 000 Eq. 1).

    Parameters
    ----------
    masses : ndarray
        Mediator masses [MeV].

    Returns
    -------
    lo, hi : ndarray
        sqrt|g_nu g_q| at each mass for Y_n = 1.05 and for Y_n = 1/3.
    """
    lo, hi = (
        np.sqrt(np.abs(couplings_from_eps(-2.0 / (3.0 * (1.0 + yn)), masses)))
        for yn in (1.05, 1 / 3)
    )
    return lo, hi


#: Order in which the curves go to worker processes: the most expensive first (process
#: time of each exclusion curve in a serial run, cProfile of ``cevns reproduce flagship``).
_CURVE_ORDER = (
    "combined",
    "COHERENT CsI 2017",
    "COHERENT LAr",
    "COHERENT CsI 2021",
    "Dresden-II",
)


def _curve_worker(conn: Any, cost: Any, masses: NDArray[np.float64]) -> None:
    # a forked process: the cost is inherited, not pickled; Ctrl-C is the parent's to handle
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with threadpool_limits(1):  # one process per core
            conn.send(("ok", exclusion_curve(cost, masses)))
    except BaseException as e:  # the parent raises it, with the curve's name
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _curves(
    costs: dict[str, Any], masses: NDArray[np.float64], jobs: int, progress: bool
) -> dict[str, tuple[NDArray[np.float64], float]]:
    """Every cost's :func:`exclusion_curve`, on ``jobs`` forked processes if > 1 (Linux)."""
    if jobs > 1 and sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("fork")
        queue = sorted(costs, key=lambda n: _CURVE_ORDER.index(n) if n in _CURVE_ORDER else 99)
        running: dict[Connection, tuple[str, Any]] = {}
        out: dict[str, tuple[NDArray[np.float64], float]] = {}
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    name = queue.pop(0)
                    recv, send = ctx.Pipe(duplex=False)
                    p = ctx.Process(target=_curve_worker, args=(send, costs[name], masses))
                    p.start()
                    send.close()  # only the worker writes: its exit closes the pipe
                    running[recv] = (name, p)
                for conn in wait(list(running)):
                    assert isinstance(conn, Connection)  # our pipes only
                    name, p = running.pop(conn)
                    payload: Any
                    try:
                        status, payload = conn.recv()
                    except EOFError:
                        p.join()
                        status, payload = "error", f"the process exited with code {p.exitcode}"
                    conn.close()
                    p.join()
                    if status != "ok":
                        msg = f"flagship: the exclusion curve of {name} failed: {payload}"
                        raise FitError(msg)
                    out[name] = payload
        finally:  # an error or Ctrl-C: no process left running
            for left, (_, p) in running.items():
                p.terminate()
                p.join()
                left.close()
        return {n: out[n] for n in costs}
    items: Any = costs.items()
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="exclusion curves", total=len(costs))
    return {name: exclusion_curve(cost, masses) for name, cost in items}


def run(out_dir: str | Path, *, progress: bool = True, n_mass: int = 31, jobs: int = 1) -> Summary:
    """Combined COHERENT + Dresden-II light-mediator exclusion (summary and plot).

    Parameters
    ----------
    out_dir : str or Path
        Folder the figures are written to (under ``flagship/``).
    progress : bool, optional
        Whether to show a progress bar over the experiments (default True).
    n_mass : int, optional
        Number of log-spaced mediator masses from 1 to 1000 MeV (default 31).
    jobs : int, optional
        Processes for the five exclusion curves (default 1: one after the other here);
        each curve is computed the same way either way. ``cevns reproduce flagship``
        gives it the usable cores.

    Returns
    -------
    Summary
        The numbers, checks and plot paths of the reproduction.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        msg = f"jobs: {jobs!r}, expected a whole number of processes >= 1"
        raise InvalidParameterError(msg)
    t0 = time.perf_counter()
    s = Summary(
        "flagship", "COHERENT CsI + LAr and Dresden-II combined: light vector mediators on nu_e"
    )
    masses = np.geomspace(1.0, 1000.0, n_mass)
    dresden = load_experiment("dresden_ii")
    csi = load_experiment("coherent_csi_2017")
    csi2021 = load_experiment("coherent_csi_2021")
    lar = load_experiment("coherent_lar_2020")
    family = "nsi_ee_q_light"
    costs = {
        "Dresden-II": dresden.cost(family),
        "COHERENT CsI 2017": csi.cost(family),
        "COHERENT CsI 2021": csi2021.cost(family),
        "COHERENT LAr": lar.cost(family),
        # CsI 2021 contains the 2017 data: the combination takes CsI 2017 (all release inputs)
        "combined": csi.cost(family) + lar.cost(family) + dresden.cost(family),
    }
    curves: dict[str, NDArray[np.float64]] = {}
    for name, (edges, chi2_min) in _curves(costs, masses, jobs, progress).items():
        curves[name] = edges
        key = name.lower().replace("-", "_").replace(" ", "_")
        # LMA-Dark in the nu_e sector at Y_n = 1/3: eps^q = -2 / (3 (1 + 1/3)) = -0.5
        s.add_result(
            f"lma_dark_excluded_3sigma_above_mev.{key}",
            lightest_excluded(masses, edges, -0.5),
            "MeV",
            "lightest grid mass from which LMA-Dark (eps_ee^q = -0.5: x = 0, Y_n = 1/3) is "
            "excluded at 3 sigma (2 dof) for every heavier mediator of the grid",
        )
        s.add_result(f"chi2_min.{key}", chi2_min, "", "best fit over the mass grid, eps free")
    s.runtime_s = time.perf_counter() - t0
    s.plots = _plot(Path(out_dir) / "flagship", curves, masses)
    s.notes.append(
        "COHERENT CsI 2017: release PE x time Poisson likelihood with QF/acceptance shape "
        "nuisances; COHERENT LAr: release 3D PDFs for F90 and backgrounds, our argon signal "
        "(Poisson, 960 bins); Dresden-II: seed-004 chi^2 with the Eq. 18 background and Fef "
        "quenching; radiative couplings (seed 000 Eq. 8). The LMA-Dark band is eps_ee = -2 "
        "for Y_n between the Earth's crust and the Sun, not the global-fit band of seed 000 "
        "ref. [81]."
    )
    s.notes.append(
        "Solar CEvNS (XENONnT SR0+SR1+SR2) as a fourth source in the same likelihood is "
        "`cevns reproduce xenonnt2026` (plot xenonnt2026_light_mediator): it is weaker than "
        "this combination at every mass and would add minutes here (its templates are "
        "rebuilt per mediator mass)."
    )
    s.write(Path(out_dir))
    return s


def _plot(
    out: Path, curves: dict[str, NDArray[np.float64]], masses: NDArray[np.float64]
) -> list[str]:
    from cevns.viz.plotting import _plt, plot_exclusion, save

    lo, hi = lma_dark_band(masses)

    def label(name: str) -> str:
        if name == "combined":
            return "combined: CsI 2017 + LAr + Dresden-II"
        return name

    fig = plot_exclusion(
        {
            label(name): (
                masses,
                np.where(
                    np.isfinite(e),
                    np.sqrt(np.abs(couplings_from_eps(np.nan_to_num(e), masses))),
                    np.nan,
                ),
            )
            for name, e in curves.items()
        },
        bands={
            "LMA-Dark: $\\epsilon_{ee}=-2$ in matter\n"
            "($\\epsilon^u=\\epsilon^d$, $Y_n$ from the Sun to the crust)": (masses, lo, hi)
        },
        cosmology_mev=COSMOLOGY_BBN_MEV,
        highlight=label("combined"),
        ylabel=r"$|g_{\nu_e} g_q|^{1/2}$  ($g_{\nu_e} g_q < 0$)",
        title=r"Light $Z'$ on $\nu_e$ and quarks: excluded at $3\sigma$ (2 dof)",
    )
    ax = fig.axes[0]
    ax.set_xlim(masses[0], masses[-1])
    written = [p.name for p in save(fig, out / "flagship_exclusion")]
    _plt().close(fig)
    return written
