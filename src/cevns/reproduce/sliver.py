"""The LMA-Dark sliver of the talk (seed 001): eps_ee = -2 in the Sun and in the Earth.

Seed 001 (slide "Future: relax quark couplings") and seed 000 Sec. IV / Fig. 7: with the
Hamiltonian-level LMA-Dark value ``eps_ee = (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d = -2``
(x = 0: eps_mumu = eps_tautau = 0), "a sliver remains for certain quark combinations".
Each medium fixes a line in the (eps_ee^{u,V}, eps_ee^{d,V}) plane: the Sun (Y_n = 1/3)
and the Earth's crust (Y_n = 1.05). Scattering experiments with different N/Z (Dresden-II
Ge, COHERENT CsI 2017 and LAr 2020) constrain the plane differently, and a light mediator
(here M_Z' = 3.1 MeV, the BBN bound of seed 000 and its Fig. 3 and 7) suppresses the
COHERENT momentum transfers far more than the reactor ones.

Computed: (i) the 2D profile scan of each experiment over the plane (family
``nsi_ee_ud_light`` at M_Z' = 3.1 MeV) and their sum (independent experiments, separate
nuisances: the combined profile chi^2 is the sum), drawn with the two lines; (ii) along
each line, a one-parameter family ``t = eps_ee^{u,V}`` with
``eps_ee^{d,V} = (-2 - (2 + Y_n) t)/(1 + 2 Y_n)`` (affine, so the fast path is exact)
scanned with the combined likelihood, the surviving segments being those with
Delta chi^2 < 11.83 (3 sigma, 2 dof) from the combined minimum of the plane (the
convention of seed 000 Fig. 3 and 7). Quantities: ``sliver.<medium>.u`` (the surviving
eps^u segments), ``sliver.<medium>.d`` (the matching eps^d), ``sliver.<medium>.width_u``
(their total length in eps^u); no number is published, so these are results of this work.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.config import load_experiment
from cevns.physics.families import ModelFamily, Parameter
from cevns.physics.nsi import NSIModel
from cevns.reproduce.summary import Summary
from cevns.stats.scan import ScanResult, delta_chi2_threshold, profile_scan

__all__ = ["MEDIA", "MEDIATOR_MASS_MEV", "line_family", "run"]


def __dir__() -> list[str]:
    return __all__


#: Mediator mass [MeV]: the BBN bound of seed 000 (its Fig. 3 and 7).
MEDIATOR_MASS_MEV = 3.1
#: Neutron fractions of the media whose LMA-Dark lines are drawn (seed 000 Sec. II).
MEDIA: dict[str, float] = {"sun": 1.0 / 3.0, "earth": 1.05}
_CL3 = 0.9973
_EXPERIMENTS = ("dresden_ii", "coherent_csi_2017", "coherent_lar_2020")
#: eps^u and eps^d ranges of the planes; eps^u range of the line scans. The Earth line,
#: slope -(2 + Y_n)/(1 + 2 Y_n) = -0.98, runs almost parallel to the band of constant Ge
#: weak charge, slope -(2Z + N)/(Z + 2N) = -0.92, hence the wide line range.
_U_RANGE = (-14.0, 2.0)
_D_RANGE = (-4.0, 14.0)
_T_RANGE = (-40.0, 3.0)
_N_LINE = 216


def line_family(y_n: float, mediator_mass_mev: float = MEDIATOR_MASS_MEV) -> ModelFamily:
    """eps_ee = -2 in a medium of neutron fraction ``y_n``, along eps_ee^{u,V} = t.

    Parameters
    ----------
    y_n : float
        Neutron fraction of the medium (1/3 Sun, 1.05 Earth's crust).
    mediator_mass_mev : float
        Light-mediator mass [MeV]; the couplings are eps(0).

    Returns
    -------
    ModelFamily
        One linear parameter ``t`` (eps_ee^{u,V}); eps_ee^{d,V} follows the line.
    """

    def build(v: Mapping[str, float]) -> NSIModel:
        t = v["t"]
        d = (-2.0 - (2.0 + y_n) * t) / (1.0 + 2.0 * y_n)
        return NSIModel.vector_nsi({"ee_u": t, "ee_d": d}, mediator_mass_mev=mediator_mass_mev)

    return ModelFamily(
        f"lma_dark_line_yn{y_n:.3g}",
        (Parameter("t", 0.0, (-1e3, 1e3), 0.05),),
        build,
        f"eps_ee = -2 at Y_n = {y_n:.3g} along eps_ee^u = t, M_Z' = {mediator_mass_mev} MeV",
    )


def _line_d(t: float, y_n: float) -> float:
    """eps^d on the eps_ee = -2 line of neutron fraction ``y_n`` at eps^u = ``t``."""
    return (-2.0 - (2.0 + y_n) * t) / (1.0 + 2.0 * y_n)


def _segments(
    x: NDArray[np.float64], inside: NDArray[np.bool_], d: NDArray[np.float64]
) -> list[list[float]]:
    """Runs of ``inside`` as [lo, hi], edges interpolated where ``d`` crosses zero."""
    out: list[list[float]] = []
    i, n = 0, x.size
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        lo = x[i] if i == 0 else x[i - 1] + (x[i] - x[i - 1]) * d[i - 1] / (d[i - 1] - d[i])
        hi = x[j] if j == n - 1 else x[j] + (x[j + 1] - x[j]) * d[j] / (d[j] - d[j + 1])
        out.append([float(lo), float(hi)])
        i = j + 1
    return out


def run(out_dir: str | Path, *, progress: bool = True, n_grid: int = 25) -> Summary:
    """Compute the surviving LMA-Dark sliver and write the summary and plots.

    Parameters
    ----------
    out_dir : path
        Output directory (files in ``out_dir/sliver``).
    progress : bool
        Progress bars on the scans.
    n_grid : int
        Points per axis of the 2D planes.

    Returns
    -------
    Summary
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "sliver"
    s = Summary("sliver", "Seed 001: the LMA-Dark sliver at eps_ee = -2 (Sun, Earth)")
    exps = {name: load_experiment(name) for name in _EXPERIMENTS}
    level = delta_chi2_threshold(_CL3, 2)
    u_axis = np.linspace(*_U_RANGE, n_grid)
    d_axis = np.linspace(*_D_RANGE, n_grid)
    planes: dict[str, ScanResult] = {}
    for name, exp in exps.items():
        planes[name] = profile_scan(
            exp.cost("nsi_ee_ud_light"),
            {"eps_ee_u": u_axis, "eps_ee_d": d_axis},
            fix={"mediator_mass_mev": MEDIATOR_MASS_MEV},
            progress=progress,
        )
    total = np.sum([p.chi2 for p in planes.values()], axis=0)
    chi2_min = float(np.nanmin(total))
    lines: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    t_axis = np.linspace(*_T_RANGE, _N_LINE)
    for medium, y_n in MEDIA.items():
        cost: Any = None
        for exp in exps.values():
            c = exp.cost(line_family(y_n))
            cost = c if cost is None else cost + c
        scan = profile_scan(cost, {"t": t_axis}, progress=progress, best_fit=False)
        dchi2 = scan.chi2 - chi2_min
        lines[medium] = (t_axis, dchi2)
        segs = _segments(t_axis, dchi2 < level, dchi2 - level)
        note = (
            f"eps_ee = -2 at Y_n = {y_n:.3g}, M_Z' = {MEDIATOR_MASS_MEV} MeV, Dresden-II + "
            f"CsI 2017 + LAr 2020, Delta chi2 < {level:.2f} from the plane's minimum"
        )
        s.add_result(f"sliver.{medium}.u", segs, "", note)
        s.add_result(
            f"sliver.{medium}.d", [[_line_d(a, y_n), _line_d(b, y_n)] for a, b in segs], "", note
        )
        s.add_result(f"sliver.{medium}.width_u", sum(b - a for a, b in segs), "", note)
        for name, exp in exps.items():
            one = profile_scan(
                exp.cost(line_family(y_n)), {"t": t_axis}, progress=False, best_fit=False
            )
            d1 = one.chi2 - float(np.nanmin(planes[name].chi2))
            s.add_result(
                f"sliver.{medium}.u.{name}",
                _segments(t_axis, d1 < level, d1 - level),
                "",
                f"{name} alone, Delta chi2 < {level:.2f} from its own plane minimum",
            )
    s.notes.append(
        f"The plane grids are {n_grid}x{n_grid} (eps^u in {list(_U_RANGE)}, eps^d in "
        f"{list(_D_RANGE)}); the line scans use {_N_LINE} points in eps^u over {list(_T_RANGE)} "
        "with every nuisance profiled; a segment reaching an end of that range is open "
        "there. At M_Z' = 3.1 MeV the COHERENT momentum transfers (q ~ 30-80 MeV) suppress "
        "eps by M^2/(q^2 + M^2) < 0.01, so the sliver is where the Ge weak charge is "
        "degenerate with the SM one."
    )
    s.runtime_s = time.perf_counter() - t0
    s.plots = _plots(out, u_axis, d_axis, planes, total - chi2_min, lines, level)
    s.write(Path(out_dir))
    return s


def _plots(
    out: Path,
    u: NDArray[np.float64],
    d: NDArray[np.float64],
    planes: dict[str, ScanResult],
    total: NDArray[np.float64],
    lines: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
    level: float,
) -> list[str]:
    from cevns.viz.plotting import _plt, save, style

    plt = _plt()
    style()
    written: list[str] = []
    fig, ax = plt.subplots(figsize=(7.5, 7))
    for (name, p), colour in zip(planes.items(), ("C0", "C1", "C2"), strict=False):
        dd = (p.chi2 - np.nanmin(p.chi2)).T
        ax.contour(u, d, dd, levels=[level], colors=[colour])
        ax.plot([], [], color=colour, label=f"{name} allowed")
    ax.contourf(u, d, total.T, levels=[0, level], colors=["0.6"], alpha=0.6)
    ax.plot([], [], color="0.6", lw=8, label="combined allowed")
    for medium, ls in (("earth", "-"), ("sun", "--")):
        y = MEDIA[medium]
        t, dchi2 = lines[medium]
        ax.plot(u, (-2.0 - (2.0 + y) * u) / (1.0 + 2.0 * y), "k", ls=ls, lw=1,
                label=rf"$\epsilon_{{ee}}=-2$ ({medium})")  # fmt: skip
        keep = dchi2 < level
        dd = (-2.0 - (2.0 + y) * t) / (1.0 + 2.0 * y)
        ax.plot(np.where(keep, t, np.nan), np.where(keep, dd, np.nan), "r", lw=4)
    ax.plot([], [], "r", lw=4, label="surviving LMA-Dark sliver")
    ax.set(xlim=(u[0], u[-1]), ylim=(d[0], d[-1]))
    ax.set_xlabel(r"$\epsilon_{ee}^{u,V}$")
    ax.set_ylabel(r"$\epsilon_{ee}^{d,V}$")
    ax.set_title(rf"$3\sigma$ (2 dof), $M_{{Z'}}$ = {MEDIATOR_MASS_MEV} MeV")
    ax.legend(fontsize="x-small", loc="upper right")
    written.extend(p.name for p in save(fig, out / "sliver_plane"))
    plt.close(fig)
    return written
