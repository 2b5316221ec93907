import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from cevns.stats.fit import fit
from cevns.stats.scan import ScanResult, grid_axis, profile_scan
from cevns.viz.plotting import figure_formats, plot_exclusion, plot_fit, plot_scan, save

from .test_experiment import _toy_experiment


def test_fit_and_profile_plots(tmp_path):
    cost = _toy_experiment().cost("sin2w")
    res = fit(cost)
    figs = plot_fit(cost, res)
    assert len(figs) == 1
    fig = figs[0]
    written = save(fig, tmp_path / "fit", formats=("png", "pdf"))
    assert [p.suffix for p in written] == [".png", ".pdf"]
    assert all(p.stat().st_size > 1000 for p in written)
    assert not plt.fignum_exists(fig.number)  # save closes the figure
    figs = plot_fit(cost, res)
    assert [p.name for p in save(figs[0], tmp_path / "fit2.pdf")] == ["fit2.pdf"]
    with figure_formats(("svg",)):
        assert [p.name for p in save(plot_fit(cost, res)[0], tmp_path / "fit3")] == ["fit3.svg"]
    bad = plot_fit(cost, res)[0]
    with pytest.raises(ValueError, match=r"figure formats must be some of png, pdf, svg, eps"):
        save(bad, tmp_path / "x", formats=("gif",))
    plt.close(bad)  # refused before anything was written: the figure is still the caller's
    scan = profile_scan(cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 7)})
    fig = plot_scan(scan)
    assert fig.axes[0].get_ylabel() == r"$\Delta\chi^2$"
    save(fig, tmp_path / "profile.png")


def test_contour_and_exclusion_plots(tmp_path):
    x = np.linspace(-3, 3, 31)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    chi2 = 5 * (np.hypot(xx, yy) - 2) ** 2
    res = ScanResult(
        ("a", "b"), (x, x), chi2, np.ones_like(chi2, bool), {}, {"chi2": 0.0, "values": {}}
    )
    save(plot_scan(res), tmp_path / "contour.png")
    m = np.geomspace(1, 100, 20)
    fig = plot_exclusion(
        {"toy": (m, 1e-5 * m)}, bands={"band": (m, 1e-6 * m, 2e-6 * m)}, cosmology_mev=3.1
    )
    save(fig, tmp_path / "excl.png")
    assert (tmp_path / "excl.png").exists()
    assert not (tmp_path / "excl.pdf").exists()  # PNG unless asked


def _outside_right(fig, legend):
    """The legend's box starts right of the axes' box (display coordinates, after drawing)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return legend.get_window_extent(renderer).x0 >= fig.axes[0].get_window_extent(renderer).x1


def test_exclusion_legend_outside_every_curve_visible_and_hatched():
    from matplotlib.collections import PolyCollection

    m = np.geomspace(1, 1000, 30)
    curves = {"A": (m, 1e-5 * m**0.5), "B": (m, 2e-5 * m**0.5), "combined": (m, 1e-5 * m**0.5)}
    fig = plot_exclusion(curves, highlight="combined", cosmology_mev=3.1)
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert _outside_right(fig, legend)  # the legend covers no data
    assert legend.get_title().get_text() == "excluded above each line"
    assert [t.get_text() for t in legend.get_texts()][:3] == ["A", "B", "combined"]
    lines = {round(float(line.get_linewidth()), 1): line for line in ax.get_lines()}
    # "A" coincides with the combination: the combination is drawn thick and under it
    combined = lines[5.0]
    assert all(line.get_zorder() > combined.get_zorder() for w, line in lines.items() if w != 5.0)
    # each curve's excluded side: a strip of its own hatch, distinct from the others'
    hatches = [c.get_hatch() for c in ax.collections if isinstance(c, PolyCollection)]
    hatches = [h for h in hatches if h]
    assert len(hatches) == 2
    assert len(set(hatches)) == 2
    # the artists keep their labels: a legend elsewhere (tutorial 02) is one call
    moved = ax.legend(loc="upper left")
    assert [t.get_text() for t in moved.get_texts()][:3] == ["A", "B", "combined"]
    plt.close(fig)


def test_contours_named_in_a_legend_with_distinct_styles():
    x = np.linspace(-3, 3, 31)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    res = ScanResult(
        ("eps_ee_u", "eps_mutau_d"),
        (x, x),
        xx**2 + yy**2,
        np.ones((31, 31), bool),
        {},
        {"chi2": 0.0, "values": {"eps_ee_u": 0.0, "eps_mutau_d": 0.0}},
    )
    fig = plot_scan(res)
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        r"1$\sigma$ (2 dof)",
        r"2$\sigma$ (2 dof)",
        r"3$\sigma$ (2 dof)",
        "best fit",
    ]
    styles = {(h.get_color(), h.get_linestyle()) for h in legend.legend_handles[:3]}
    assert len(styles) == 3
    assert {h.get_linestyle() for h in legend.legend_handles[:3]} == {"-", "--", ":"}
    assert _outside_right(fig, legend)
    assert ax.get_ylabel() == r"$\epsilon^{d}_{\mu\tau}$"
    plt.close(fig)


def test_profile_cl_labels_sit_on_the_right_axis():
    s = np.linspace(0.1, 0.5, 21)
    res = ScanResult(
        ("sin2_theta_w",), (s,), 100 * (s - 0.3) ** 2, np.ones(21, bool), {}, {"chi2": 0.0}
    )
    fig = plot_scan(res, cls=(0.6827, 0.9))
    (right,) = fig.axes[0].child_axes
    fig.canvas.draw()
    labels = [t.get_text() for t in right.get_yticklabels()]
    assert labels == [r"1$\sigma$ (1 dof)", "90% (1 dof)"]
    # the thresholds are the chi2 quantiles at 1 dof (scipy, independently)
    np.testing.assert_allclose(right.get_yticks(), stats.chi2.ppf([0.6827, 0.9], 1), rtol=1e-9)
    assert len(fig.axes[0].texts) == 0  # nothing written over the curves
    # a second profile on the same axes: one right-hand axis, the levels merged
    plot_scan(res, fig.axes[0], cls=(0.9, 0.9973))
    (right,) = fig.axes[0].child_axes
    fig.canvas.draw()
    assert [t.get_text() for t in right.get_yticklabels()] == [
        r"1$\sigma$ (1 dof)",
        "90% (1 dof)",
        r"3$\sigma$ (1 dof)",
    ]
    plt.close(fig)


def test_oscillation_legends_outside_the_axes():
    from cevns.viz.oscillation import plot_degeneracy_probabilities, plot_eps_plane, plot_juno

    for make in (plot_eps_plane, plot_juno, plot_degeneracy_probabilities):
        fig = make()
        assert _outside_right(fig, fig.axes[0].get_legend()), make.__name__
        assert fig.axes[0].get_title() == ""  # the setting goes in the legend title
        plt.close(fig)


def test_save_png_has_the_pixels_of_a_tight_savefig(tmp_path):
    """save() finds the tight box without matplotlib's extra rendering pass: the PNG has
    exactly the pixels of savefig(dpi=150, bbox_inches="tight") (a legend outside the axes,
    a suptitle, a contour, mathtext labels)."""
    from matplotlib.image import imread

    def figure():
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        x = np.linspace(0.0, 10.0, 120)
        for ax in axes:
            ax.plot(x, np.sin(x), label=r"$\sin x$")
            ax.contour(x, x, np.sin(x)[:, None] * np.cos(x)[None, :], levels=[0.3])
            ax.set_xlabel(r"$C_V^u$")
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.suptitle("a title above the panels")
        return fig

    ref = figure()
    ref.savefig(tmp_path / "ref.png", dpi=150, bbox_inches="tight")
    plt.close(ref)
    (path,) = save(figure(), tmp_path / "ours.png")
    a, b = imread(tmp_path / "ref.png"), imread(path)
    assert a.shape == b.shape
    np.testing.assert_array_equal(a, b)
