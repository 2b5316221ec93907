import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

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
