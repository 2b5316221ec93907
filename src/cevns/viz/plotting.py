"""Plots with a consistent HEP look (mplhep): spectra, profiles, contours, exclusions.

matplotlib and mplhep are optional (``pip install 'cevns[plot]'``) and imported lazily.
Every function takes an optional ``ax`` and returns the matplotlib Figure; use
:func:`save` to write PNG and PDF together.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.stats.scan import ScanResult, delta_chi2_threshold

__all__ = [
    "PARAMETER_LABELS",
    "figure_formats",
    "plot_exclusion",
    "plot_fit",
    "plot_scan",
    "plot_spectrum",
    "pretty_label",
    "save",
    "style",
]


def __dir__() -> list[str]:
    return __all__


_CL_LABELS = {
    0.6827: r"1$\sigma$",
    0.9: "90%",
    0.95: "95%",
    0.9545: r"2$\sigma$",
    0.9973: r"3$\sigma$",
}


def _plt() -> Any:
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _interactive():
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as e:  # pragma: no cover - exercised without the extra
        msg = "plotting needs matplotlib and mplhep: pip install 'cevns[plot]'"
        raise ModuleNotFoundError(msg) from e
    return plt


def _interactive() -> bool:
    import sys

    return hasattr(sys, "ps1") or "ipykernel" in sys.modules


#: Changes to the mplhep ROOT style: a title one size smaller than the axis labels and
#: lifted off the frame, so that it neither runs past the axes nor touches the y label that
#: the ROOT style puts at the top of the axis.
_STYLE_OVERRIDES = {"axes.titlesize": "medium", "axes.titlepad": 14.0}


def style() -> None:
    """Apply the mplhep ROOT-like style (no-op without mplhep), with smaller titles."""
    try:
        import mplhep

        plt = _plt()
        plt.style.use(mplhep.style.ROOT)
        plt.rcParams.update(_STYLE_OVERRIDES)
    except ModuleNotFoundError:  # pragma: no cover
        pass


def _cl_label(cl: float, dof: int) -> str:
    return f"{_CL_LABELS.get(round(cl, 4), f'{100 * cl:.3g}%')} ({dof} dof)"


_KNOWN_FORMATS = ("png", "pdf", "svg", "eps")

#: Axis labels of the public parameter names (others are shown as they are).
PARAMETER_LABELS: dict[str, str] = {
    "sin2_theta_w": r"$\sin^2\theta_W$",
    "mediator_mass_mev": r"$M_{Z'}$ [MeV]",
    "g_nu_g_q": r"$g_\nu g_q$",
    "x": r"$x$ (LMA-Dark)",
    "alpha11": r"$\alpha_{11}$",
    "alpha12": r"$|\alpha_{12}|$",
    "alpha13": r"$|\alpha_{13}|$",
}
_OBSERVABLE = re.compile(r"^E_(ee|nr)\b")
_EPS = re.compile(r"^eps_([a-z]+)_([a-z]+)$")
_FLAVOUR_PAIR = re.compile(r"(e|mu|tau)(e|mu|tau)")
_GREEK = {"e": "e", "mu": r"\mu", "tau": r"\tau"}


def pretty_label(name: str) -> str:
    r"""A mathtext label for a parameter or axis name; unknown names come back unchanged.

    Parameters
    ----------
    name : str
        A parameter name (``eps_ee_u``, ...) or an axis label (``E_ee [keVee]``).

    Returns
    -------
    str
        The label in matplotlib mathtext, or ``name`` unchanged when not recognised.

    Examples
    --------
    >>> print(pretty_label("eps_ee_u"), pretty_label("eps_mutau_d"), pretty_label("E_ee [keVee]"))
    $\epsilon^{u}_{ee}$ $\epsilon^{d}_{\mu\tau}$ $E_\mathrm{ee}$ [keVee]
    """
    if name in PARAMETER_LABELS:
        return PARAMETER_LABELS[name]
    m = _EPS.match(name)
    if m:
        pair = _FLAVOUR_PAIR.fullmatch(m.group(1))
        flavours = m.group(1) if pair is None else "".join(_GREEK[f] for f in pair.groups())
        return rf"$\epsilon^{{{m.group(2)}}}_{{{flavours}}}$"
    return _OBSERVABLE.sub(lambda m: rf"$E_\mathrm{{{m.group(1)}}}$", name)


_FORMATS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "cevns_figure_formats", default=("png",)
)


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    bad = [f for f in formats if f not in _KNOWN_FORMATS]
    if bad or not formats:
        msg = f"figure formats must be some of {', '.join(_KNOWN_FORMATS)}, got {list(formats)}"
        raise ValueError(msg)
    return tuple(formats)


@contextlib.contextmanager
def figure_formats(formats: Sequence[str]) -> Iterator[None]:
    """Within the block, :func:`save` writes these formats for paths without a suffix.

    Parameters
    ----------
    formats : sequence of str
        Non-empty subset of ``png``, ``pdf``, ``svg``, ``eps``.

    Examples
    --------
    >>> with figure_formats(("png", "pdf")):
    ...     pass  # save(fig, out / "fig2") writes fig2.png and fig2.pdf
    """
    token = _FORMATS.set(_check_formats(formats))
    try:
        yield
    finally:
        _FORMATS.reset(token)


#: Resolution of the saved figures [dots per inch].
_DPI = 150


def _tight_bbox(fig: Any, dpi: float) -> Any:
    """What ``savefig(bbox_inches="tight")`` computes, without its rendering pass.

    matplotlib renders the whole figure once (an image encoded into nothing) to find the
    tight box and then again into the file; here the figure is laid out at the saving
    resolution without rendering (:meth:`Figure.draw_without_rendering`) and the box is
    padded by ``savefig.pad_inches``, as matplotlib does (the same pixels for PNG).
    """
    import matplotlib as mpl

    old = fig.dpi
    fig.set_dpi(dpi)
    try:
        fig.draw_without_rendering()
        box = fig.get_tightbbox(fig.canvas.get_renderer())
    finally:
        fig.set_dpi(old)
    return box.padded(mpl.rcParams["savefig.pad_inches"])


def save(
    fig: Any,
    path: str | Path,
    *,
    formats: Sequence[str] | None = None,
    close: bool = True,
) -> list[Path]:
    """Save ``fig`` and close it; returns the written paths.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path
        Target file. Its suffix chooses the format (``fig.png``), unless ``formats`` is
        given; a path without a suffix gets PNG, or the formats of the enclosing
        :func:`figure_formats` block.
    formats : sequence of str, optional
        Write one file per format with the same stem (e.g. ``("png", "pdf")``).
    close : bool
        Close the figure afterwards (a loop of plots does not keep figures open).
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    if formats is None:
        formats = (suffix,) if suffix in _KNOWN_FORMATS else _FORMATS.get()
    formats = _check_formats(formats)
    stem = path.with_suffix("") if suffix in _KNOWN_FORMATS else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = stem.with_name(f"{stem.name}.{fmt}")
        # PNG: the tight box of the Agg renderer, found once without a rendering pass; other
        # formats measure with their own renderer (matplotlib's "tight")
        bbox = _tight_bbox(fig, _DPI) if fmt == "png" else "tight"
        fig.savefig(p, dpi=_DPI, bbox_inches=bbox)
        out.append(p)
    if close:
        plt.close(fig)
    return out


def plot_spectrum(
    edges: ArrayLike,
    data: ArrayLike | None,
    errors: ArrayLike | None,
    components: Mapping[str, ArrayLike],
    *,
    xlabel: str = "Energy",
    ylabel: str = "Counts per bin",
    title: str | None = None,
    pulls: bool = True,
) -> Any:
    """Data with error bars, stacked model components and a pull panel.

    Parameters
    ----------
    edges : array
        Bin edges.
    data, errors : arrays, optional
    components : mapping label -> counts per bin
        Stacked in the given order (first at the bottom).
    xlabel : str, optional
        Label of the x axis (default ``"Energy"``).
    ylabel : str, optional
        Label of the y axis (default ``"Counts per bin"``).
    title : str, optional
        Title of the figure; None for none.
    pulls : bool, optional
        Whether to add a panel of (data - model) / error below (only with ``data``).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure.
    """
    plt = _plt()
    style()
    edges = np.asarray(edges, dtype=float)
    centres = 0.5 * (edges[1:] + edges[:-1])
    if pulls and data is not None:
        fig, (ax, axp) = plt.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}, figsize=(9, 8)
        )
    else:
        fig, ax = plt.subplots(figsize=(9, 6))
        axp = None
    bottom = np.zeros(centres.size)
    total = np.zeros(centres.size)
    for label, comp in components.items():
        c = np.asarray(comp, dtype=float)
        ax.stairs(bottom + c, edges, baseline=bottom, fill=True, alpha=0.6, label=label)
        bottom = bottom + c
        total = total + c
    ax.stairs(total, edges, color="black", lw=1.5, label="total model")
    if data is not None:
        d = np.asarray(data, dtype=float)
        e = None if errors is None else np.asarray(errors, dtype=float)
        ax.errorbar(centres, d, yerr=e, fmt="o", color="black", ms=3, label="data")
        if axp is not None:
            ee = e if e is not None else np.sqrt(np.clip(total, 1e-12, None))
            axp.axhline(0, color="gray", lw=1)
            axp.errorbar(
                centres, (d - total) / ee, yerr=np.ones_like(d), fmt="o", color="black", ms=3
            )
            axp.set_ylabel("pull")
            axp.set_xlabel(xlabel)
    if axp is None:
        ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_fit(cost: Any, result: Any, *, title: str | None = None) -> list[Any]:
    """One spectrum figure per experiment of a fitted cost (data, stacked components, pulls).

    Parameters
    ----------
    cost : iminuit cost
        The fitted experiment cost or sum of costs; components without an experiment are skipped.
    result : FitResult
        The fit whose ``values`` give the prediction.
    title : str, optional
        Title of every figure (default: the experiment's name).

    Returns
    -------
    list of matplotlib.figure.Figure
        One figure per experiment, projected on the first axis for multi-dimensional data.
    """
    from cevns.stats.fit import _components

    figs = []
    for comp in _components(cost):
        exp = getattr(comp, "experiment", None)
        if exp is None:
            continue
        e = comp.predict(result.values)
        ds = exp.dataset
        comps: dict[str, NDArray[np.float64]] = {}
        for name, b in e.backgrounds.items():
            comps[name] = b
        comps["CEvNS"] = e.signal
        if ds.ndim >= 2:  # projected on the first axis (e.g. COHERENT LAr: E x F90 x t)
            rest = tuple(range(1, ds.ndim))
            comps = {k: np.sum(v, axis=rest) for k, v in comps.items()}
            data = ds.counts.sum(axis=rest)
            err = None if ds.errors is None else np.sqrt((ds.errors**2).sum(axis=rest))
        else:
            data, err = ds.counts, ds.errors
        if err is None:
            err = np.sqrt(np.clip(data, 0, None))
        figs.append(
            plot_spectrum(
                ds.edges[0],
                data,
                err,
                comps,
                xlabel=pretty_label(ds.axis_labels[0]),
                ylabel=ds.unit,
                title=title or exp.name,
            )
        )
    return figs


def plot_scan(
    scan: ScanResult,
    ax: Any = None,
    *,
    cls: Sequence[float] = (0.6827, 0.9545, 0.9973),
    dof: int | None = None,
    label: str | None = None,
    absolute: bool = False,
) -> Any:
    """Profile curve (1D) with labelled CL lines, or contours at the CLs (2D).

    Parameters
    ----------
    scan : ScanResult
        A 1-D or 2-D profile scan.
    ax : matplotlib axes, optional
        Axes to draw in; default a new figure.
    cls : sequence of float
        Confidence levels: dashed lines labelled on the right-hand axis (1-D), or contours
        of distinct colour and line style named in a legend outside the axes (2-D).
    dof : int, optional
        Degrees of freedom of the thresholds; default the scan's dimension.
    label : str, optional
        Label of the 1-D curve (default the parameter), or the title of the 2-D legend.
    absolute : bool
        Plot chi^2 rather than Delta chi^2 (1-D).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    plt = _plt()
    style()
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 6))
    else:
        fig = ax.figure
    if len(scan.names) == 1:
        x = scan.axes[0]
        y = scan.chi2 if absolute else scan.delta_chi2
        ax.plot(x, y, label=label or pretty_label(scan.names[0]))
        if not scan.valid.all():
            ax.plot(x[~scan.valid], y[~scan.valid], "rx", label="invalid fit")
        d = dof or 1
        thresholds = [
            delta_chi2_threshold(cl, d) + (scan.chi2_min if absolute else 0.0) for cl in cls
        ]
        for thr in thresholds:
            ax.axhline(thr, ls="--", color="gray", lw=1)
        if thresholds:
            # the CL of each dashed line is written on the right-hand axis, outside the data;
            # a second profile on the same axes adds its levels to that axis
            from matplotlib.ticker import NullLocator

            right = next((c for c in ax.child_axes if getattr(c, "_cevns_cl", None)), None)
            if right is None:
                right = ax.secondary_yaxis("right")
                right._cevns_cl = {}
            right._cevns_cl.update(zip(thresholds, (_cl_label(cl, d) for cl in cls), strict=True))
            ticks = sorted(right._cevns_cl)
            right.set_yticks(ticks, labels=[right._cevns_cl[t] for t in ticks])
            right.yaxis.set_minor_locator(NullLocator())
            right.tick_params(labelsize="x-small", labelcolor="gray", length=0)
        ax.set_xlabel(pretty_label(scan.names[0]))
        ax.set_ylabel(r"$\chi^2$" if absolute else r"$\Delta\chi^2$")
        if scan.log_axes and scan.log_axes[0]:
            ax.set_xscale("log")
    else:
        from matplotlib.lines import Line2D

        x, y = scan.axes
        d = dof or 2
        levels = [delta_chi2_threshold(cl, d) for cl in cls]
        styles = [_CONTOUR_STYLES[i % len(_CONTOUR_STYLES)] for i in range(len(levels))]
        order = np.argsort(levels)  # contour() needs increasing levels
        ax.contour(
            x,
            y,
            scan.delta_chi2.T,
            levels=[levels[i] for i in order],
            colors=[styles[i][0] for i in order],
            linestyles=[styles[i][1] for i in order],
            linewidths=2,
        )
        # a legend of the CLs, not labels on the lines: small or open contours keep theirs
        handles = [
            Line2D([], [], color=c, ls=ls, lw=2, label=_cl_label(cl, d))
            for (c, ls), cl in zip(styles, cls, strict=True)
        ]
        bf = scan.best_fit.get("values", {})
        if all(n in bf for n in scan.names):
            (star,) = ax.plot(bf[scan.names[0]], bf[scan.names[1]], "k*", ms=10, label="best fit")
            handles.append(star)
        if handles:
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                fontsize="small",
                frameon=False,
                title=label,
            )
        ax.set_xlabel(pretty_label(scan.names[0]))
        ax.set_ylabel(pretty_label(scan.names[1]))
        for i, log in enumerate(scan.log_axes or ()):
            if log:
                (ax.set_xscale if i == 0 else ax.set_yscale)("log")
    return fig


_HATCHES = ("////", "\\\\\\\\", "||||", "----", "xxxx", "....")
#: (colour, line style) of the contours at the successive CLs of a 2-D scan: told apart in
#: grey print as well.
_CONTOUR_STYLES = (("C0", "-"), ("C1", "--"), ("C2", ":"), ("C3", "-."))
#: Width of the hatched strip on the excluded side of an exclusion line, as a fraction of
#: the decades spanned by the y axis.
_STRIP = 0.035


def plot_exclusion(
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
    ax: Any = None,
    *,
    bands: Mapping[str, tuple[ArrayLike, ArrayLike, ArrayLike]] | None = None,
    cosmology_mev: float | None = None,
    highlight: str | None = None,
    xlabel: str = r"$M_{Z'}$ [MeV]",
    ylabel: str = r"$|g_\nu g_q|^{1/2}$",
    title: str | None = None,
    legend_title: str | None = "excluded above each line",
) -> Any:
    """Exclusion curves versus mediator mass with their excluded regions.

    Every curve is a coloured line with a strip of its own hatch on its excluded side (above
    it), so regions stay distinguishable where they overlap and no hatch covers another
    curve; the legend shows each line with its hatch. The ``highlight`` curve (e.g. the
    combination) is a thick black line under the others, over a light grey region: a curve
    that coincides with it stays visible on top. The legend sits outside the axes, to the
    right, where it covers nothing, and its title states the convention. The artists carry
    their labels, so ``ax.legend(...)`` draws another legend (of the lines alone).

    Parameters
    ----------
    curves : mapping label -> (mass_mev, coupling)
        Excluded above each curve; NaN couplings are gaps.
    ax : matplotlib axes, optional
        Axes to draw in; default a new figure.
    bands : mapping label -> (mass_mev, low, high), optional
        Allowed bands (e.g. the LMA-Dark solution), dark translucent.
    cosmology_mev : float, optional
        Masses below this are shaded grey (BBN/CMB bound).
    highlight : str, optional
        Label of the curve drawn as the combined result.
    xlabel, ylabel, title : str
        Axis labels and the title (none by default).
    legend_title : str or None
        Title of the legend: the convention of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    from matplotlib.patches import Patch

    plt = _plt()
    style()
    if ax is None:
        fig, ax = plt.subplots(figsize=(12, 6.5))  # room for the legend on the right
    else:
        fig = ax.figure
    if highlight is not None and highlight not in curves:
        msg = f"highlight {highlight!r} is not one of the curves {list(curves)}"
        raise ValueError(msg)
    finite = [np.asarray(g, float) for _, g in curves.values()]
    values = np.concatenate([g[np.isfinite(g) & (g > 0)] for g in finite] or [np.ones(1)])
    bottom, top = float(values.min()) / 3.0, float(values.max()) * 10.0
    ax.set_ylim(bottom, top)
    strip = (top / bottom) ** _STRIP  # the hatched strip: a fixed fraction of the y range
    handles: list[Any] = []
    others = [k for k in curves if k != highlight]
    for i, label in enumerate(others):
        m, g = (np.asarray(v, float) for v in curves[label])
        ok = np.isfinite(g)
        color = f"C{i}"
        hatch = _HATCHES[i % len(_HATCHES)]
        ax.fill_between(
            m[ok], g[ok], g[ok] * strip, facecolor="none", edgecolor=color, lw=0, hatch=hatch
        )
        (line,) = ax.plot(m[ok], g[ok], color=color, lw=2, zorder=4, label=label)
        handles.append((Patch(facecolor="none", edgecolor=color, hatch=hatch, lw=0), line))
    labels = list(others)
    if highlight is not None:
        m, g = (np.asarray(v, float) for v in curves[highlight])
        ok = np.isfinite(g)
        ax.fill_between(m[ok], g[ok], top, color="0.5", alpha=0.15, lw=0, zorder=1)
        (line,) = ax.plot(m[ok], g[ok], color="black", lw=5, zorder=2, label=highlight)
        handles.append((Patch(color="0.5", alpha=0.15, lw=0), line))
        labels.append(highlight)
    for label, (m_band, lo, hi) in (bands or {}).items():
        handles.append(
            ax.fill_between(
                np.asarray(m_band, float),
                np.asarray(lo, float),
                np.asarray(hi, float),
                color="black",
                alpha=0.45,
                lw=0,
                zorder=3,
                label=label,
            )
        )
        labels.append(label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    if cosmology_mev is not None:
        masses = [np.asarray(m, float) for m, _ in curves.values()]
        masses += [np.asarray(m, float) for m, _, _ in (bands or {}).values()]
        lo_m = min((float(m[m > 0].min()) for m in masses if np.any(m > 0)), default=1e-3)
        cosmology = f"BBN/CMB: $M_{{Z'}} < {cosmology_mev:g}$ MeV"
        span = min(lo_m, cosmology_mev), cosmology_mev
        handles.append(ax.axvspan(*span, color="0.6", alpha=0.35, lw=0, label=cosmology))
        labels.append(cosmology)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(1.02, 0.5),
        fontsize="small",
        frameon=False,
        title=legend_title,
        title_fontsize="small",
        handlelength=2.5,
        handleheight=1.2,
        alignment="left",
    )
    return fig
