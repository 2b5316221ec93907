# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 - Profile likelihoods: sin^2(theta_W) and a light-mediator exclusion
#
# `cevns.stats.scan.profile_scan(cost, grid)` fixes one or two parameters on a grid and refits
# all the others at every point (nuisance parameters *profiled*), each fit starting from
# its neighbour's solution. The result (`ScanResult`) knows its Delta chi^2, turns it into
# confidence intervals with Wilks' theorem (possibly a union of disjoint segments), into
# contours or exclusion masks, and writes itself to JSON, CSV or ROOT.
#
# Everything here uses Dresden-II (tutorial 01) with the default Fef quenching.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from cevns.config import load_experiment
from cevns.likelihood.probes import CosmologyBound
from cevns.physics.nsi import couplings_from_eps
from cevns.stats.fit import fit
from cevns.stats.scan import delta_chi2_threshold, grid_axis, profile_scan
from cevns.viz.plotting import plot_exclusion, plot_scan, save

exp = load_experiment("dresden_ii")

# %% [markdown]
# ## 1D: the weak mixing angle
#
# The family `"sin2w"` frees `sin2_theta_w` (tree-level couplings, seed 004 Sec. 2.1).
# 41 points from 0.1 to 0.5 take about a second; `grid_axis(0.1, 0.5, 401)` gives a
# smooth curve.

# %%
cost = exp.cost("sin2w")
scan = profile_scan(cost, {"sin2_theta_w": grid_axis(0.1, 0.5, 41)})
best = scan.best_fit["values"]["sin2_theta_w"]
print(f"best fit sin2_theta_w = {best:.4f}, chi2_min = {scan.chi2_min:.3f}")
for cl in (0.6827, 0.90):
    print(scan.interval(cl=cl))

# %% [markdown]
# Intervals are found by linear interpolation of Delta chi^2 between grid points and can
# be unions of segments (`Interval.segments`); `open_low`/`open_high` flag a set that
# reaches the edge of the grid. Compare with Minos, which walks the same profile
# continuously:

# %%
res = fit(cost, minos=["sin2_theta_w"])
lo, hi = res.minos["sin2_theta_w"]
v = res.values["sin2_theta_w"]
print(f"Minos 68%: [{v + lo:.4f}, {v + hi:.4f}]")

# %%
fig = plot_scan(scan, cls=(0.6827, 0.90))
fig.axes[0].set_xlabel(r"$\sin^2\theta_W$")
fig.axes[0].set_title("Dresden-II (Fef)")
save(fig, "03_sin2w_profile.png")
plt.close(fig)
scan.to_json("03_sin2w_scan.json")

# %% [markdown]
# ## 2D: a light vector mediator, coupling versus mass
#
# The family `"light_zprime"` has a vector Z' of mass `M` coupled to electron neutrinos and
# to u and d quarks equally, with coupling product `g_nu_g_q`. We scan `M` from 1 MeV to
# 1 GeV (8 log-spaced points) against `g_nu_g_q < 0` (12 values of `sqrt|g_nu g_q|` from
# 1e-6 to 1e-2). The negative sign is the one of the LMA-Dark solution: it adds to the
# weak charge of the nucleus, so the event rate grows monotonically with the coupling
# and the excluded region is everything above a curve.
#
# Two practical points:
#
# * `mediator_mass_mev` is a *structural* parameter: a new value means new signal
#   templates. Scanning it on a grid is cheap (the templates are cached per mass), while
#   fitting it (Minuit moving the mass continuously) rebuilds templates at every step.
#   We skip the global best fit with `best_fit=False`: the reference chi^2 is then the
#   grid minimum, which here is the SM-like corner of the grid (tiny couplings).
# * The grid is coarse (96 fits, about 10 s). A publication-quality curve needs
#   ~25 masses x ~40 couplings; run it on several cores or a cluster (tutorial 06).

# %%
masses = grid_axis(1.0, 1000.0, 8, log=True)
roots = np.geomspace(1e-6, 1e-2, 12)
g_axis = -(roots[::-1] ** 2)  # increasing: -1e-4 ... -1e-12
scan2 = profile_scan(
    exp.cost("light_zprime"),
    {"mediator_mass_mev": masses, "g_nu_g_q": g_axis},
    best_fit=False,
    log_axes=["mediator_mass_mev"],
)
print(f"{scan2.chi2.size} points, {int((~scan2.valid).sum())} invalid fits")
bad = ~scan2.valid
print("Delta chi2 at the invalid points:", np.round(scan2.delta_chi2[bad], 1))

# %% [markdown]
# Fits that stay invalid after the retries (from the global start and a multi-start) are
# kept and flagged (`scan.valid`), never dropped. Here they sit deep in the excluded
# region (Delta chi^2 in the thousands, where the signal normalisation is pulled to its
# limit), far from the boundary we want.


# %%
def excluded_above(scan, roots, cl=0.95, dof=2):
    """For each mass, the sqrt|g| above which Delta chi^2 exceeds the Wilks threshold."""
    thr = delta_chi2_threshold(cl, dof)
    d = scan.delta_chi2[:, ::-1]  # along increasing sqrt|g|
    out = []
    for row in d:
        above = row > thr
        if above.all() or not above.any():
            out.append(math.nan)  # the grid does not bracket the boundary
            continue
        j = int(np.argmax(above))  # first excluded point
        t = (thr - row[j - 1]) / (row[j] - row[j - 1])
        out.append(float(np.exp(np.log(roots[j - 1]) + t * np.log(roots[j] / roots[j - 1]))))
    return np.array(out)


limit95 = excluded_above(scan2, roots, cl=0.95)
for m, r in zip(masses, limit95, strict=True):
    print(f"M = {m:8.2f} MeV: sqrt|g_nu g_q| < {r:.2e} (95% CL, 2 dof)")

# %% [markdown]
# ## The LMA-Dark band and the cosmology bound
#
# LMA-Dark needs a Hamiltonian-level `eps_ee = -2` in matter (tutorial 07). With
# `eps^u = eps^d = eps^q` that is `eps^q = -2 / (3 (1 + Y_n))`, between `Y_n = 1/3` (the
# Sun) and `Y_n = 1.05` (the Earth's crust); `couplings_from_eps` converts it into
# `g_nu g_q = 2 sqrt2 G_F M^2 eps(0)`. Mediators lighter than a few MeV are excluded by
# Big-Bang nucleosynthesis (`CosmologyBound.bbn()`, 3.1 MeV; `.neff()` and `.strongest()`
# give the 5.3 MeV and 10.1 MeV versions).

# %%
eps_q = {yn: -2.0 / (3.0 * (1.0 + yn)) for yn in (1.05, 1 / 3)}  # crust, Sun
band = [np.sqrt(np.abs(couplings_from_eps(e, masses))) for e in eps_q.values()]
bbn = CosmologyBound.bbn()
print(f"cosmology: M_Z' > {bbn.mass_mev} MeV ({bbn.reference})")
# where the limit meets the lower edge of the band (log-interpolated between grid masses)
r = np.log(limit95 / band[0])
k = np.flatnonzero((r[:-1] > 0) & (r[1:] <= 0))
if k.size:
    i = int(k[0])
    lm = np.log(masses)
    m_cross = math.exp(lm[i] + r[i] / (r[i] - r[i + 1]) * (lm[i + 1] - lm[i]))
    print(f"the 95% CL limit meets the lower edge of the LMA-Dark band at M_Z' ~ {m_cross:.2g} MeV")
    if m_cross < bbn.mass_mev:
        print(
            f"with BBN (M_Z' > {bbn.mass_mev} MeV) no mass is left for this LMA-Dark "
            "realisation on this coarse grid"
        )

fig = plot_exclusion(
    {"Dresden-II (Fef), 95% CL (2 dof)": (masses, limit95)},
    bands={r"LMA-Dark ($\epsilon_{ee} = -2$, $Y_n$ = 1/3 - 1.05)": (masses, band[0], band[1])},
    ylabel=r"$|g_{\nu_e} g_q|^{1/2}$  ($g_{\nu_e} g_q < 0$)",
    title="Light vector mediator (coarse 8 x 12 grid)",
)
ax = fig.axes[0]
ax.set_xlim(masses[0], masses[-1])
bbn.shade(ax)  # grey band below 3.1 MeV (plot_exclusion(cosmology_mev=...) also works)
ax.legend(loc="upper left", fontsize="small")
save(fig, "03_light_mediator_exclusion.png")
plt.close(fig)

# %% [markdown]
# ## Exporting
#
# `scan.to_json`, `scan.to_csv` and `scan.to_root` (tutorial 04) write every grid point with
# its chi^2, validity flag and profiled nuisance values, so plots can be redone without
# refitting. `scan.contours(cl)` gives contour lines of a 2D scan without MnContour.
