"""Figures of the mass-ordering degeneracies (seed 000 Fig. 1 and Fig. 8).

matplotlib is optional (``pip install 'cevns[plot]'``) and imported lazily. Every
function takes an optional ``ax`` and returns the matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cevns.physics.nsi import NSIModel
from cevns.physics.oscillation import Medium, MixingParameters, probabilities

__all__ = ["plot_degeneracy_probabilities", "plot_eps_plane", "plot_juno"]


def __dir__() -> list[str]:
    return __all__


_FLAVOURS = {"e": 0, "mu": 1, "tau": 2}
_TEX = {"e": "e", "mu": r"\mu", "tau": r"\tau"}


def _axes(ax: Any) -> tuple[Any, Any]:
    from cevns.viz.plotting import _plt

    plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 5))
    else:
        fig = ax.figure
    return fig, ax


def _channel(channel: str) -> tuple[int, int, str, str]:
    from cevns.core._validation import unknown_name

    try:
        a, b = channel.split("->")
    except ValueError:
        a = b = ""
    if a not in _FLAVOURS or b not in _FLAVOURS:
        known = [f"{x}->{y}" for x in _FLAVOURS for y in _FLAVOURS]
        raise unknown_name("oscillation channel", channel, known)
    return _FLAVOURS[a], _FLAVOURS[b], _TEX[a], _TEX[b]


def plot_degeneracy_probabilities(
    energy_mev: ArrayLike | None = None,
    baseline_km: float = 1300.0,
    *,
    channel: str = "mu->e",
    params: MixingParameters | None = None,
    medium: Medium | None = None,
    antineutrino: bool = False,
    ax: Any = None,
) -> Any:
    """The LMA-Dark degeneracy in a long-baseline channel (seed 000 Sec. II, points 1-3).

    Three curves: normal ordering without NSI, the flipped (inverted-ordering,
    ``theta12 > 45 deg``) parameters without NSI (different: matter breaks the vacuum
    degeneracy), and the flipped parameters with LMA-Dark NSI ``eps_ee = -2`` at the
    medium's ``Y_n`` (on top of the first curve: the degeneracy is exact).

    Parameters
    ----------
    energy_mev : array_like, optional
        Energies [MeV]; default 500 MeV to 8 GeV.
    baseline_km : float
        DUNE-like 1300 km by default.
    channel : str
        ``"a->b"`` with a, b in e, mu, tau.
    params : MixingParameters, optional
        Default :meth:`MixingParameters.normal_ordering`.
    medium : Medium, optional
        Default :meth:`Medium.earth_crust`.
    antineutrino : bool
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    e = np.geomspace(500.0, 8000.0, 400) if energy_mev is None else np.asarray(energy_mev)
    p = MixingParameters.normal_ordering() if params is None else params
    med = Medium.earth_crust() if medium is None else medium
    i, j, ta, tb = _channel(channel)
    bar = r"\bar" if antineutrino else ""
    lmad = NSIModel.lma_dark(0.0, y_n=med.y_n)
    curves = [
        (p, None, f"{p.ordering}, $\\epsilon = 0$", "-", 2.5),
        (p.flipped(), None, f"{p.flipped().ordering} (flipped), $\\epsilon = 0$", ":", 1.8),
        (
            p.flipped(),
            lmad,
            f"{p.flipped().ordering} (flipped), $\\epsilon_{{ee}} = -2$",
            "--",
            1.8,
        ),
    ]
    fig, ax = _axes(ax)
    for prm, model, label, ls, lw in curves:
        prob = probabilities(prm, model, med, e, baseline_km, antineutrino)[..., i, j]
        ax.plot(e / 1e3, prob, ls=ls, lw=lw, label=label)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    # about one decade: plain labels at 1-2-5 steps (a log axis would label 10^0 only)
    steps = np.array([0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0])
    lo, hi = float(np.min(e)) / 1e3, float(np.max(e)) / 1e3
    ax.xaxis.set_major_locator(FixedLocator(steps[(steps >= lo) & (steps <= hi)].tolist()))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(r"$E_\nu$ [GeV]")
    ax.set_ylabel(f"$P({bar}{{\\nu}}_{ta} \\to {bar}{{\\nu}}_{tb})$")
    # the medium in the legend title: a long figure title would run past the axes
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize="small",
        title=(
            f"L = {baseline_km:g} km, {med.name or 'matter'}\n"
            f"$\\rho$ = {med.density_g_cm3:g} g/cm$^3$, $Y_n$ = {med.y_n:.3g}"
        ),
        title_fontsize="small",
        alignment="left",
    )
    return fig


def plot_eps_plane(
    *,
    lim: float = 3.0,
    y_n: Sequence[tuple[str, float]] = (("Earth", 1.05), ("Sun", 1.0 / 3.0)),
    ax: Any = None,
) -> Any:
    """The ``eps_ee^{u,V}`` - ``eps_ee^{d,V}`` plane of seed 000 Fig. 1.

    For each medium the lines ``(2 + Y_n) eps^u + (1 + 2 Y_n) eps^d = eps_ee`` with
    ``eps_ee = 0`` (SM-like oscillations) and ``eps_ee = -2`` (LMA-Dark); Earth
    ``Y_n = 1.05`` and Sun ``Y_n = 1/3`` by default. The ``eps_ee = 0`` lines all cross at
    the origin (no new physics, star) and the ``eps_ee = -2`` lines all cross at
    ``(-4/3, 2/3)`` (star): degenerate with the SM in every material (seed 000 point 5).

    Parameters
    ----------
    lim : float
        Half-width of both axes.
    y_n : sequence of (label, Y_n)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    u = np.linspace(-lim, lim, 201)
    colours = ["tab:green", "tab:orange", "tab:purple", "tab:brown"]
    for k, (label, y) in enumerate(y_n):
        c = colours[k % len(colours)]
        for target, ls in ((0.0, ":"), (-2.0, "-")):
            d = (target - (2.0 + y) * u) / (1.0 + 2.0 * y)
            ax.plot(
                u,
                d,
                color=c,
                ls=ls,
                label=f"{label} ($Y_n$ = {y:.3g}): $\\epsilon_{{ee}} = {target:g}$",
            )
    ax.plot([0.0], [0.0], marker="*", ms=16, color="k", ls="none", label="SM")
    ax.plot(
        [-4.0 / 3.0],
        [2.0 / 3.0],
        marker="*",
        ms=16,
        color="tab:red",
        ls="none",
        label=r"$(\epsilon^{u,V}_{ee}, \epsilon^{d,V}_{ee}) = (-4/3, 2/3)$",
    )
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel(r"$\epsilon^{u,V}_{ee}$ (dimensionless)")
    ax.set_ylabel(r"$\epsilon^{d,V}_{ee}$ (dimensionless)")
    ax.axhline(0.0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0.0, color="0.8", lw=0.8, zorder=0)
    # outside the axes: inside it would cover the lines and the starred crossing points
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def plot_juno(
    energy_mev: ArrayLike | None = None,
    baseline_km: float = 52.5,
    *,
    params: MixingParameters | None = None,
    medium: Medium | None = None,
    ax: Any = None,
) -> Any:
    """Reactor antineutrino survival at JUNO for both orderings and ``theta12`` octants.

    Seed 000 appendix, Fig. 8: NO and IO with ``theta12`` in the lower octant differ (JUNO
    can tell them apart), but NO in the lower octant is identical to IO in the upper
    octant (:meth:`MixingParameters.flipped`) and vice versa, so solar data (the octant)
    is required. The IO points are the flipped parameters (``Delta m^2_31 ->
    -Delta m^2_31 + Delta m^2_21``).

    Parameters
    ----------
    energy_mev : array_like, optional
        Antineutrino energies [MeV]; default 1.8-8 MeV.
    baseline_km : float
        52.5 km (JUNO).
    params : MixingParameters, optional
        Normal-ordering, lower-octant parameters (default NuFIT 5.2 NO).
    medium : Medium, optional
        ``None`` (vacuum, as in the exact statement of the appendix) or e.g. the crust.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    e = np.linspace(1.8, 8.0, 800) if energy_mev is None else np.asarray(energy_mev)
    p = MixingParameters.normal_ordering() if params is None else params
    upper = p.replace(theta12=np.pi / 2 - p.theta12)
    cases = [
        (p, "NO, lower octant", "-", 2.5),
        (upper.flipped(), "IO, lower octant", "-", 2.5),
        (p.flipped(), "IO, upper octant", "--", 1.5),
        (upper, "NO, upper octant", "--", 1.5),
    ]
    fig, ax = _axes(ax)
    for prm, label, ls, lw in cases:
        s12 = np.sin(prm.theta12) ** 2
        prob = probabilities(prm, None, medium, e, baseline_km, True)[..., 0, 0]
        ax.plot(e, prob, ls=ls, lw=lw, label=f"{label} ($s_{{12}}^2$ = {s12:.2f})")
    ax.set_xlabel(r"$E_{\bar\nu}$ [MeV]")
    ax.set_ylabel(r"$P(\bar\nu_e \to \bar\nu_e)$")
    ax.legend(
        frameon=False,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        title=f"L = {baseline_km:g} km, {'vacuum' if medium is None else medium.name}",
        title_fontsize="small",
        alignment="left",
    )
    return fig
