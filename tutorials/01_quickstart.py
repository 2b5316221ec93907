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
# # 01 - Quickstart: the Standard Model fit of Dresden-II
#
# The Dresden-II experiment (Colaresi et al., arXiv:2202.09672) observed reactor
# antineutrinos scattering coherently on germanium nuclei with a 2.9 kg p-type point-contact
# detector 10.4 m from a 2.96 GW boiling-water reactor. The public data are a Rx-ON
# spectrum of 130 bins of 10 eV between 0.2 and 1.5 keVee, acceptance corrected, with
# 1-sigma errors.
#
# In `cevns` a complete analysis is described by an *experiment file*
# (`models/experiments/dresden_ii.toml`): the reactor flux, the detector (target,
# quenching, resolution), the dataset, the background model (the epithermal-neutron
# exponential and the Ge L1-shell EC peak of seed 004, Eq. 18) and the likelihood
# (Gaussian chi2 with a 2 % pull on the signal normalisation). `load_experiment` turns it
# into an `Experiment`; `exp.cost(family)` is an iminuit cost function for a *physics-model
# family*; `fit` runs Migrad + Hesse (+ Minos on request).
#
# This tutorial needs the registered public data: set `CEVNS_DATA_DIR` to the folder that
# holds them (or let `cevns data fetch all` download them once).

# %%
import matplotlib.pyplot as plt

from cevns.config import load_experiment
from cevns.physics.families import family
from cevns.stats.fit import fit
from cevns.viz.plotting import plot_fit, save

# %% [markdown]
# ## Load the experiment
#
# Overrides change any key of the file without editing it, e.g.
# `load_experiment("dresden_ii", {"detector.quenching": "ybe"})` switches to the YBe
# photoneutron quenching curve. The default is the "Fef" iron-filtered curve.

# %%
exp = load_experiment("dresden_ii")
print(exp)
print(exp.signal.detector)
print(exp.dataset)

# %% [markdown]
# ## Choose a physics model
#
# A *family* is a set of named parameters mapped to an NSI model. `"sm_tree"` is the
# Standard Model with tree-level nucleon couplings (the convention of seed 004), its only
# parameter `sin2_theta_w` fixed at the low-energy value. Other families: `"sin2w"` (the
# weak angle free), `"lma_dark"`, `"light_zprime"`, `"nsi_ee_q"`, ... (see
# `cevns.physics.families.FAMILIES`).

# %%
fam = family("sm_tree")
print(fam.name, "-", fam.description)
for p in fam.parameters:
    print(f"  {p.name} = {p.value} (fixed={p.fixed}, limits={p.limits})")

# %% [markdown]
# ## Fit
#
# The cost has the physics parameters under public names and the nuisance parameters of
# the experiment prefixed with its name (`dresden_ii.flux_norm`, `dresden_ii.a_l1`, ...).
# This is what makes combining experiments a simple `cost_a + cost_b` (tutorial 05).

# %%
cost = exp.cost("sm_tree")
result = fit(cost)
print(result)

# %%
bkg_only = fit(exp.cost("sm_tree", signal=False))
e = result.expected["dresden_ii"]
print(f"chi2 SM             = {result.fval:.2f} for {result.ndof} dof (p = {result.pvalue:.3f})")
print(f"chi2 background only = {bkg_only.fval:.2f} for {bkg_only.ndof} dof")
print(f"Delta chi2 (no CEvNS vs SM) = {bkg_only.fval - result.fval:.2f}")
print(f"fitted CEvNS signal: {e['signal']:.1f} counts / (3 kg day), summed over the bins")

# %% [markdown]
# The numbers are per day (the data are counts / (10 eV 3 kg day)): the SM predicts
# about 98 CEvNS events per day of Rx-ON data on top of about 5000 background counts.
#
# ## Plot the spectrum with pulls
#
# `plot_fit` draws one figure per experiment in the cost: data, stacked background and
# signal, and the pulls `(data - model) / error`. `save` writes PNG and PDF.

# %%
(fig,) = plot_fit(cost, result, title="Dresden-II Rx-ON, SM (tree level) fit")
written = save(fig, "01_dresden_ii_sm_fit.png")
plt.close(fig)
print("wrote", [str(p) for p in written])

# %% [markdown]
# ## Next steps
#
# * `fit(exp.cost("sin2w"), minos=["sin2_theta_w"])` measures the weak angle;
#   tutorial 03 profiles it on a grid.
# * Tutorial 02 builds a detector of your own, tutorial 04 reads data from ROOT files.
