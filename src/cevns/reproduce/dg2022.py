"""Seed 000 (Denton & Gehrlein 2022): LMA-Dark and light mediators with Dresden-II.

The Dresden-II likelihood is the one of :mod:`cevns.reproduce.majumdar2022` (seed 004 Eq.
19 with the Eq. 18 background, Fef quenching), here with the radiatively corrected couplings
of seed 000 Eq. 8 and light-mediator NSI, eps(q^2) = eps(0) M^2 / (q^2 + M^2). Seed 000 Fig.
2 is itself translated from Coloma et al. (arXiv:2202.10829); we compute it. CL conventions
follow the captions: 3 sigma for 2 dof (Delta chi^2 = 11.83) for Fig. 2, 4, 5; 3 sigma for
1 dof (9) for Fig. 3. Delta chi^2 is taken from the global minimum of each scanned plane.

Plots: Fig. 1 (the eps^u-eps^d plane with the eps_ee = -2 lines of the Earth and the Sun),
Fig. 2-5 (Dresden-II), Fig. 8 (JUNO-like survival for both orderings and octants) and the
NO versus IO appearance probability with and without eps_ee = -2 (curves on top of each
other), all from :mod:`cevns.viz.oscillation`.

Quantities: ``lma_dark_excluded_3sigma_above_mev.fef`` (the lightest mediator for which the
LMA-Dark point x = 0 is excluded), ``.modified_lindhard`` (not computed: the parameters
of Sorensen's modified Lindhard model for Ge, as used by seed 000 ref. [89], are not in the
seeds and could not be found in the stored literature),
``eps_ee_allowed_3sigma`` (contact limit), ``x_allowed_window`` (union over M_Z' in
3.1-15 MeV of the allowed x).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.config import load_experiment
from cevns.physics.nsi import couplings_from_eps
from cevns.reproduce.flagship import exclusion_curve, lma_dark_band
from cevns.reproduce.summary import Summary
from cevns.stats.scan import ScanResult, delta_chi2_threshold, profile_scan

__all__ = ["COSMOLOGY_BBN_MEV", "run"]


def __dir__() -> list[str]:
    return __all__


#: Lower bound on the mediator mass from BBN (seed 000 Sec. I, [37-40]).
COSMOLOGY_BBN_MEV = 3.1

_CL3 = 0.9973
_MASS = "mediator_mass_mev"
_NOTE_ML = (
    "not computed: seed 000 takes the modified Lindhard curve of its ref. [92] (Sorensen, "
    "arXiv:1412.3028) from ref. [89] (arXiv:2203.02414); neither the seeds nor the stored "
    "copies of those papers (abstracts only) give its Ge parameters (k and q), nor do the "
    "stored pages of A.N. Khan arXiv:2203.08892 or Li, Herrera, Huber arXiv:2502.12308 "
    "(openings only), and no public code in the index implements it (searched: "
    "'1412.3028', 'Sorensen', 'modified Lindhard', '083509'; the snudd and nuddnsi "
    "quenching modules: Lindhard, Scholz and Sorensen-Dahl for xenon only). "
    "cevns.detectors.quenching.ModifiedLindhard is Scholz et al.'s exponential adiabatic "
    "correction, a different model"
)


def _crossings(x: NDArray[np.float64], y: NDArray[np.float64], level: float) -> list[float]:
    """Where ``y`` crosses ``level`` (linear interpolation)."""
    above = y > level
    out = []
    for i in np.flatnonzero(above[1:] != above[:-1]):
        x0, x1, y0, y1 = x[i], x[i + 1], y[i], y[i + 1]
        out.append(float(x0 + (level - y0) * (x1 - x0) / (y1 - y0)))
    return out


def run(out_dir: str | Path, *, progress: bool = True, n_mass: int = 16) -> Summary:
    """Reproduce the Dresden-II results of seed 000 and write the summary and plots.

    Parameters
    ----------
    out_dir : path
        Output directory (files in ``out_dir/dg2022``).
    progress : bool
        Progress bars on the 2D scans.
    n_mass : int
        Mediator masses per decade-spanning axis (1 MeV to 1 GeV) of the 2D scans.
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "dg2022"
    s = Summary("dg2022", "Seed 000: LMA-Dark and light mediators with Dresden-II")
    exp = load_experiment("dresden_ii")
    level2 = delta_chi2_threshold(_CL3, 2)
    masses = np.geomspace(1.0, 1000.0, n_mass)

    # Fig. 4: x versus M_Z' (LMA-Dark family at Y_n = 1/3), and the x = 0 threshold.
    lma = exp.cost("lma_dark")
    x_axis = np.linspace(-1.0, 4.0, 26)
    fig4 = profile_scan(lma, {"mediator_mass_mev": masses, "x": x_axis}, progress=progress)
    chi2_ref = float(np.nanmin(fig4.chi2))
    fine = np.geomspace(0.3, 30.0, 31)
    at_x0 = profile_scan(lma, {"mediator_mass_mev": fine}, fix={"x": 0.0}, best_fit=False)
    cross = _crossings(np.log(fine), at_x0.chi2 - chi2_ref, level2)
    s.add(
        "lma_dark_excluded_3sigma_above_mev.fef",
        float(np.exp(cross[0])) if cross else None,
        "Delta chi2 > 11.83 (2 dof) from the (x, M_Z') minimum for every heavier mediator",
    )
    s.add("lma_dark_excluded_3sigma_above_mev.modified_lindhard", None, _NOTE_ML)

    segments: list[tuple[float, float]] = []
    for m in (3.1, 5.0, 8.0, 15.0):
        sc = profile_scan(lma, {"x": np.linspace(0.0, 4.0, 41)}, fix={_MASS: m}, best_fit=False)
        # Delta chi2 from the (x, M_Z') minimum, not from this mass's own minimum
        sc = dataclasses.replace(sc, best_fit={"chi2": chi2_ref})
        segments += sc.interval(_CL3, dof=2).segments
    s.add(
        "x_allowed_window",
        [min(lo for lo, _ in segments), max(hi for _, hi in segments)] if segments else None,
        "span over M_Z' = 3.1, 5, 8, 15 MeV of the x with Delta chi2 < 11.83 (2 dof)",
    )

    # eps_ee^{u,V} = eps_ee^{d,V}, contact limit: the allowed union (Fig. 5, right edge).
    eps = np.linspace(-0.3, 0.5, 81)
    contact = profile_scan(exp.cost("nsi_ee_q"), {"eps_ee_q": eps})
    segs = contact.interval(_CL3, dof=2).to_list()
    s.add(
        "eps_ee_allowed_3sigma",
        segs[0] if len(segs) == 1 else segs,
        "contact limit, Dresden-II alone, Delta chi2 < 11.83 (2 dof); the two bands are the "
        "SM and the sign-flipped weak charge",
    )

    # Fig. 2: sqrt|g_nu g_q| versus M_Z' for g_nu g_q < 0 (the edge of the excluded region);
    # Fig. 5: eps_ee versus M_Z'.
    light = exp.cost("nsi_ee_q_light")
    fig2, _ = exclusion_curve(light, masses)
    fig5 = profile_scan(
        light,
        {"mediator_mass_mev": masses, "eps_ee_q": np.linspace(-0.6, 0.4, 21)},
        progress=progress,
    )
    # Fig. 3: (eps_ee^u, eps_ee^d) at M_Z' = 3.1 MeV, 3 sigma for 1 dof.
    ud = np.linspace(-1.5, 1.5, 31)
    fig3 = profile_scan(
        exp.cost("nsi_ee_ud_light"),
        {"eps_ee_u": ud, "eps_ee_d": ud},
        fix={"mediator_mass_mev": COSMOLOGY_BBN_MEV},
        progress=progress,
    )
    s.runtime_s = time.perf_counter() - t0
    s.plots = _plots(out, masses, fig2, fig3, fig4, chi2_ref, fig5)
    s.notes.append(
        "Dresden-II alone (Fef quenching, radiative couplings of seed 000 Eq. 8, LMA-Dark at "
        "Y_n = 1/3). The LMA-Dark band drawn in Fig. 2 is eps_ee = -2 for Y_n between the "
        "Sun (1/3) and the Earth's crust (1.05); the global-fit band of seed 000 ref. [81] is "
        "not in the seeds. COHERENT overlays need the COHERENT experiment files."
    )
    s.write(Path(out_dir))
    return s


def _plots(
    out: Path,
    masses: NDArray[np.float64],
    fig2: NDArray[np.float64],
    fig3: ScanResult,
    fig4: ScanResult,
    chi2_ref: float,
    fig5: ScanResult,
) -> list[str]:
    from cevns.viz.plotting import _plt, plot_exclusion, save, style

    plt = _plt()
    style()
    written: list[str] = []
    level2 = delta_chi2_threshold(_CL3, 2)

    def keep(fig: Any, name: str) -> None:
        written.extend(p.name for p in save(fig, out / name))
        plt.close(fig)

    def cosmology(ax: Any) -> None:
        ax.axvspan(ax.get_xlim()[0], COSMOLOGY_BBN_MEV, color="0.8", zorder=0)
        ax.text(1.05 * ax.get_xlim()[0], ax.get_ylim()[1], " BBN", va="top", color="0.4")

    lo, hi = lma_dark_band(masses)
    ok = np.isfinite(fig2)
    fig = plot_exclusion(
        {
            r"Dresden-II (Fef) excluded, $3\sigma$ (2 dof)": (
                masses[ok],
                np.sqrt(np.abs(couplings_from_eps(fig2[ok], masses[ok]))),
            )
        },
        bands={r"LMA-Dark ($\epsilon_{ee}=-2$)": (masses, lo, hi)},
        cosmology_mev=COSMOLOGY_BBN_MEV,
        ylabel=r"$|g_{\nu_e} g_q|^{1/2}$  ($g_{\nu_e} g_q < 0$)",
    )
    fig.axes[0].set_xlim(masses[0], masses[-1])
    keep(fig, "fig2_coupling_vs_mass")

    u, d = fig3.axes
    fig, ax = plt.subplots(figsize=(7, 7))
    level1 = delta_chi2_threshold(_CL3, 1)
    ax.contourf(u, d, fig3.delta_chi2.T, levels=[0, level1], colors=["C0"], alpha=0.5)
    for yn, ls, name in ((1.05, "-", "Earth"), (1 / 3, "--", "Sun")):
        # eps_ee = (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d = -2
        ax.plot(
            u,
            (-2.0 - (2 + yn) * u) / (1 + 2 * yn),
            "k",
            ls=ls,
            label=rf"$\epsilon_{{ee}}=-2$ ({name})",
        )
    ax.plot([0, -4 / 3], [0, 2 / 3], "r*", ms=14, label="SM; degenerate in any medium")
    ax.set(xlim=(u[0], u[-1]), ylim=(d[0], d[-1]))
    ax.set_xlabel(r"$\epsilon_{ee}^{u,V}$")
    ax.set_ylabel(r"$\epsilon_{ee}^{d,V}$")
    ax.set_title(rf"Dresden-II allowed at $3\sigma$ (1 dof), $M_{{Z'}}$ = {COSMOLOGY_BBN_MEV} MeV")
    ax.fill_between([], [], color="C0", alpha=0.5, label=r"Dresden-II allowed, $3\sigma$ (1 dof)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))  # off the band
    keep(fig, "fig3_eps_u_eps_d")

    m4, x4 = fig4.axes
    fig, ax = plt.subplots(figsize=(8, 6))
    d4 = (fig4.chi2 - chi2_ref).T
    ax.contourf(m4, x4, d4, levels=[level2, np.inf], colors=["C0"], alpha=0.5)
    ax.contour(m4, x4, d4, levels=[level2], colors=["C0"])
    ax.plot([], [], color="C0", label=r"Dresden-II excluded, $3\sigma$ (2 dof)")
    ax.set(xscale="log", xlim=(m4[0], m4[-1]))
    ax.set_xlabel(r"$M_{Z'}$ [MeV]")
    ax.set_ylabel(r"$x$ in $(\epsilon_{ee}, \epsilon_{\mu\mu}, \epsilon_{\tau\tau}) = (x-2, x, x)$")
    cosmology(ax)
    ax.legend(loc="lower right", fontsize="small")
    keep(fig, "fig4_x_vs_mass")

    m5, e5 = fig5.axes
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.contourf(m5, e5, fig5.delta_chi2.T, levels=[level2, np.inf], colors=["C0"], alpha=0.5)
    ax.contour(m5, e5, fig5.delta_chi2.T, levels=[level2], colors=["C0"])
    ax.plot([], [], color="C0", label=r"Dresden-II excluded, $3\sigma$ (2 dof)")
    ax.set(xscale="log", xlim=(m5[0], m5[-1]))
    ax.set_xlabel(r"$M_{Z'}$ [MeV]")
    ax.set_ylabel(r"$\epsilon_{ee}^{u,V} = \epsilon_{ee}^{d,V}$")
    cosmology(ax)
    ax.legend(loc="lower right", fontsize="small")
    keep(fig, "fig5_eps_ee_vs_mass")

    # the oscillation side (seed 000 Fig. 1, Fig. 8, and NO versus IO with eps_ee = -2)
    from cevns.physics.oscillation import Medium
    from cevns.viz.oscillation import plot_degeneracy_probabilities, plot_eps_plane, plot_juno

    keep(plot_eps_plane(), "fig1_eps_plane")
    keep(plot_juno(), "fig8_juno")
    keep(
        plot_degeneracy_probabilities(baseline_km=1300.0, medium=Medium.earth_crust()),
        "oscillation_no_vs_io",
    )
    return written
