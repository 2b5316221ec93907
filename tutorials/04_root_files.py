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
# # 04 - ROOT files in and out
#
# Experiments keep their spectra in ROOT files: histograms (TH1/TH2) or trees of events.
# `cevns` reads both with [uproot](https://uproot.readthedocs.io) (no ROOT installation
# needed) and writes results back:
#
# * `Dataset.from_root(path, "hist")`: a TH1/TH2 with its errors (sqrt of the sum of
#   squared weights);
# * `Dataset.from_root_tree(path, "tree", "branch", edges, weight=...)`: a TTree (or
#   RNTuple) branch binned with boost-histogram;
# * the same from an experiment file: `[dataset] kind = "root"` or `kind = "root_tree"`,
#   or as an override of a shipped experiment;
# * `Dataset.to_root` writes TH1D/TH2D with errors, `ScanResult.to_root` a TTree with one
#   entry per grid point.
#
# We use the public Dresden-II spectrum as "our" data: we write it into a ROOT file as a
# histogram and as a tree of weighted events, read it back both ways, fit, and store the
# fitted prediction and a likelihood scan in ROOT files.

# %%
import math

import boost_histogram as bh
import matplotlib.pyplot as plt
import numpy as np
import uproot

from cevns.config import load_experiment
from cevns.experiments.dresden_ii import dresden_ii_dataset
from cevns.likelihood.dataset import Dataset
from cevns.stats.fit import fit
from cevns.stats.scan import grid_axis, profile_scan
from cevns.viz.plotting import plot_fit, save

data = dresden_ii_dataset("on")
edges = data.edges[0]
print(data)

# %% [markdown]
# ## Writing a TH1 with uproot
#
# A boost-histogram with `Weight` storage keeps values and variances, which uproot writes
# as a TH1D with `fSumw2`. (`data.to_root(path, name)` does the same in one line.)

# %%
axis = bh.axis.Variable(edges)
axis.label = "E_ee [keVee]"  # uproot writes the axis label as the TAxis title
h = bh.Histogram(axis, storage=bh.storage.Weight())
view = h.view()
view.value = data.counts
view.variance = data.errors**2
with uproot.recreate("04_dresden_ii.root") as f:
    f["rx_on"] = h

# %% [markdown]
# ## Writing a TTree of events
#
# A tree holds one entry per event: here an energy and a weight. The Dresden-II release is
# an acceptance-corrected rate with errors that are not sqrt(N), so we represent each bin
# by weighted events whose weights sum to the bin content and whose squared weights sum to
# the squared error (for your own data the tree would hold the measured energies and,
# if any, acceptance weights).


# %%
def weights_for(count, error):
    """n - 1 equal weights w and one weight v: sum = count, sum of squares = error^2."""
    n = max(1, math.ceil(count**2 / error**2))
    if n == 1:
        return [count]
    a, b, c = n * (n - 1), -2 * (n - 1) * count, count**2 - error**2
    w = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return [w] * (n - 1) + [count - (n - 1) * w]


energies, weights = [], []
for x, c, e in zip(data.centres[0], data.counts, data.errors, strict=True):
    w = weights_for(c, e)
    energies += [x] * len(w)
    weights += w
branches = {"energy_kevee": np.array(energies), "weight": np.array(weights)}
with uproot.update("04_dresden_ii.root") as f:
    # mktree makes a classic TTree; `f["events"] = branches` would write an RNTuple with
    # uproot >= 5.7, which from_root_tree reads just as well
    f.mktree("events", {k: v.dtype for k, v in branches.items()})
    f["events"].extend(branches)
print(f"tree 'events': {len(energies)} entries")

with uproot.open("04_dresden_ii.root") as f:
    print(f.classnames())

# %% [markdown]
# ## Reading them back

# %%
from_hist = Dataset.from_root("04_dresden_ii.root", "rx_on", unit=data.unit)
from_tree = Dataset.from_root_tree(
    "04_dresden_ii.root",
    "events",
    "energy_kevee",
    edges,
    weight="weight",
    axis_labels=("E_ee [keVee]",),
    unit=data.unit,
)
print(from_hist)
print(from_tree, from_tree.meta)
for name, ds in (("TH1", from_hist), ("TTree", from_tree)):
    dc = np.max(np.abs(ds.counts / data.counts - 1))
    de = np.max(np.abs(ds.errors / data.errors - 1))
    print(f"{name}: max relative difference to the release: counts {dc:.1e}, errors {de:.1e}")

# %% [markdown]
# ## Plugging a ROOT file into an experiment
#
# The `[dataset]` section of an experiment file selects the reader. Overriding it keeps
# the rest of Dresden-II (flux, detector, background model, likelihood) and replaces the
# data. In a TOML file this reads
#
# ```toml
# [dataset]
# kind = "root"
# path = "04_dresden_ii.root"
# object = "rx_on"
# ```
#
# and for a tree, `kind = "root_tree"` with `tree`, `branch`, `weight` and a uniform
# `binning = {start = 0.2, stop = 1.5, n = 130}`. The binning must match the detector's.

# %%
sources = {
    "release (text)": {},
    "TH1": {"dataset": {"kind": "root", "path": "04_dresden_ii.root", "object": "rx_on"}},
    "TTree": {
        "dataset": {
            "kind": "root_tree",
            "path": "04_dresden_ii.root",
            "tree": "events",
            "branch": "energy_kevee",
            "weight": "weight",
            "binning": {"start": 0.2, "stop": 1.5, "n": 130},
        }
    },
}
results = {}
for label, override in sources.items():
    exp = load_experiment("dresden_ii", override)
    results[label] = (exp, fit(exp.cost("sm_tree")))
    res = results[label][1]
    print(f"{label:15s} chi2 = {res.fval:.6f}  signal = {res.n_signal:.3f}  valid = {res.valid}")

# %% [markdown]
# The three fits agree to the precision of the weights. Below we continue with the
# experiment read from the TTree.

# %%
exp, res = results["TTree"]
cost = exp.cost("sm_tree")
(fig,) = plot_fit(cost, res, title="Dresden-II from a ROOT TTree")
save(fig, "04_fit_from_ttree.png")
plt.close(fig)

# %% [markdown]
# ## Writing results back to ROOT
#
# `cost.predict(values)` gives the expected counts by component at any parameter point;
# wrapped in a `Dataset` they become TH1Ds next to the data.

# %%
pred = cost.predict(res.values)
for name, counts, mode in (
    ("prediction_total", pred.total, "recreate"),
    ("prediction_cevns", pred.signal, "update"),
    ("prediction_background", pred.background, "update"),
):
    Dataset.from_arrays(counts, edges, name=name, axis_labels=("E_ee [keVee]",)).to_root(
        "04_fit_result.root", mode=mode
    )
back = Dataset.from_root("04_fit_result.root", "prediction_total")
print("prediction round trip, max |diff|:", float(np.max(np.abs(back.counts - pred.total))))

# %% [markdown]
# A profile scan goes into a TTree: one entry per grid point with the scanned value,
# chi^2, Delta chi^2, the validity flag and every profiled parameter (dots in names become
# `__`). 21 points keep this quick; use more for a smooth curve.

# %%
scan = profile_scan(exp.cost("sin2w"), {"sin2_theta_w": grid_axis(0.1, 0.5, 21)})
print(scan.interval(cl=0.90))
scan.to_root("04_scan.root")
with uproot.open("04_scan.root") as f:
    tree = f["scan"]
    print("branches:", tree.keys())
    arr = tree.arrays(["sin2_theta_w", "chi2"], library="np")
i = int(np.argmin(arr["chi2"]))
print(f"grid minimum from the ROOT file: sin2_theta_w = {arr['sin2_theta_w'][i]:.3f}")
