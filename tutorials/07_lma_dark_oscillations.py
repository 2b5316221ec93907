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
# # 07 - The LMA-Dark degeneracy: invisible to oscillations, visible to scattering
#
# Oscillation probabilities in matter depend on the Hamiltonian
#
# $$ H = \frac{1}{2E} U\,\mathrm{diag}(0, \Delta m^2_{21}, \Delta m^2_{31})\,U^\dagger
#        + V_{CC}\,[\mathrm{diag}(1, 0, 0) + \epsilon] $$
#
# and are unchanged by `H -> -H^*`, up to the sign of the vacuum part. Flipping the
# vacuum part (`theta12 -> pi/2 - theta12`, `Delta m^2_31 -> -Delta m^2_32`,
# `delta -> pi - delta`: the mass ordering *and* the theta12 octant flip) is therefore an
# exact symmetry in matter too, if at the same time the matter term becomes
# `-(1 + eps_ee)`, i.e. `eps_ee = -2` (Miranda, Tortola, Valle 2004; Coloma, Schwetz 2016).
# This is the **LMA-Dark** solution: no oscillation experiment can tell it from the
# Standard Model with the other ordering.
#
# Scattering breaks it: elastic neutrino-nucleus scattering measures the NSI couplings
# themselves, not only their forward-scattering combination in the Hamiltonian. This
# tutorial shows both halves with `cevns.physics.oscillation` and the Dresden-II likelihood.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from cevns import NSIModel
from cevns.config import load_experiment
from cevns.likelihood.probes import CosmologyBound
from cevns.physics.oscillation import Medium, MixingParameters, probabilities
from cevns.stats.fit import fit
from cevns.stats.scan import delta_chi2_threshold, grid_axis, profile_scan
from cevns.viz.oscillation import plot_degeneracy_probabilities
from cevns.viz.plotting import save, style

# %% [markdown]
# ## Oscillations: a DUNE-like baseline through the Earth's crust
#
# `MixingParameters.normal_ordering()` is the NuFIT 5.2 best fit; `.flipped()` is its
# LMA-Dark partner (inverted ordering, theta12 > 45 deg). The crust has density
# 2.8 g/cm^3 and neutron fraction `Y_n = 1.05`; `NSIModel.lma_dark(x=0, y_n=1.05)` is the
# quark-level model whose Hamiltonian-level `eps` in that medium is `diag(-2, 0, 0)`.

# %%
no = MixingParameters.normal_ordering()
io = no.flipped()
crust = Medium.earth_crust()
lmad = NSIModel.lma_dark(0.0, y_n=crust.y_n)
for label, p in (("NO", no), (f"flipped ({io.ordering})", io)):
    print(f"{label}: theta12 = {math.degrees(p.theta12):.2f} deg, dm31 = {p.dm31_ev2:+.4e} eV^2")
eps_crust = np.real(np.diag(lmad.hamiltonian_eps(crust.y_n)))
print("Hamiltonian-level eps_ee, eps_mumu, eps_tautau in the crust:", eps_crust.round(6))

energy = np.geomspace(500.0, 8000.0, 300)  # MeV
baseline = 1300.0  # km
curves = {
    "NO, SM": probabilities(no, None, crust, energy, baseline),
    f"{io.ordering} (flipped), SM": probabilities(io, None, crust, energy, baseline),
    f"{io.ordering} (flipped), $\\epsilon_{{ee}} = -2$": probabilities(
        io, lmad, crust, energy, baseline
    ),
}
p_no, p_io, p_lmad = curves.values()
print(f"max |P(NO, SM) - P(flipped, SM)|          = {np.max(np.abs(p_no - p_io)):.3f}")
print(f"max |P(NO, SM) - P(flipped, eps_ee = -2)| = {np.max(np.abs(p_no - p_lmad)):.1e}")

# %%
style()
fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
channels = ((1, 0, r"\nu_\mu \to \nu_e"), (1, 1, r"\nu_\mu \to \nu_\mu"))
for ax, (i, j, tex) in zip(axes, channels, strict=True):
    for (label, p), ls, lw in zip(curves.items(), ("-", ":", "--"), (3.0, 1.8, 1.8), strict=True):
        ax.plot(energy / 1e3, p[:, i, j], ls=ls, lw=lw, label=label)
    ax.set(xscale="log", xlabel=r"$E_\nu$ [GeV]", ylabel=f"$P({tex})$")
    ax.set_xticks([0.5, 1, 2, 4, 8], ["0.5", "1", "2", "4", "8"])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_title(f"L = {baseline:g} km, Earth crust")
axes[0].legend(fontsize="small")
save(fig, "07_degeneracy_dune.png")
plt.close(fig)

# %% [markdown]
# The dashed curve lies on the solid one to machine precision in every channel, at every
# energy and baseline: the degeneracy is exact, not an accident of this configuration.
# The dotted curve (flipped parameters *without* NSI) is different, so matter effects do
# distinguish the orderings, but only if NSI are assumed absent. The same figure comes
# ready-made from `cevns.viz.oscillation.plot_degeneracy_probabilities`, e.g. for
# antineutrinos:

# %%
fig = plot_degeneracy_probabilities(baseline_km=1300.0, antineutrino=True)
save(fig, "07_degeneracy_antineutrinos.png")
plt.close(fig)

# %% [markdown]
# ## Scattering: Dresden-II and the mediator mass
#
# In coherent scattering the NSI enter the weak charge of the nucleus at momentum
# transfer `q`: a light mediator of mass `M` gives `eps(q) = eps(0) M^2 / (q^2 + M^2)`.
# Reactor antineutrinos on germanium have `q ~ 10-20 MeV`. For `M` well above that the
# LMA-Dark couplings act in full and change the rate of electron antineutrinos drastically
# (eps_ee^q = -1/2 at `x = 0`); for `M` well below, they are suppressed and the SM rate is
# recovered. Oscillations, which are forward scattering (`q = 0`), cannot see `M` at all.
#
# The family `"lma_dark"` is the LMA-Dark line `(x - 2, x, x)` defined at the Sun's
# `Y_n = 1/3` with eps^u = eps^d and a mediator mass `mediator_mass_mev` (fixed by default:
# it is scanned, not fitted). We fix `x = 0` and scan the mass; 25 masses take a few
# seconds, use `grid_axis(0.1, 100, 200, log=True)` for a smooth curve.

# %%
exp = load_experiment("dresden_ii")
sm = fit(exp.cost("sm"))
print(f"SM (radiative couplings, as in the lma_dark family): chi2 = {sm.fval:.2f}")
masses = grid_axis(0.1, 100.0, 25, log=True)
at_x0 = profile_scan(
    exp.cost("lma_dark"),
    {"mediator_mass_mev": masses},
    fix={"x": 0.0},
    best_fit=False,
    log_axes=["mediator_mass_mev"],
)
delta = at_x0.chi2 - sm.fval
for m, d in zip(masses[::4], delta[::4], strict=True):
    print(f"M_Z' = {m:7.3f} MeV: chi2(LMA-Dark, x = 0) - chi2(SM) = {d:9.2f}")

# %%
three_sigma = delta_chi2_threshold(0.9973, 1)
above = delta > three_sigma
k = int(np.argmax(above))
lm = np.log(masses)
t = (three_sigma - delta[k - 1]) / (delta[k] - delta[k - 1])
m_excl = math.exp(lm[k - 1] + t * (lm[k] - lm[k - 1]))
print(f"LMA-Dark (x = 0) is excluded at 3 sigma for M_Z' > {m_excl:.2f} MeV by Dresden-II")
bbn = CosmologyBound.bbn()
if m_excl < bbn.mass_mev:
    print(f"BBN requires M_Z' > {bbn.mass_mev} MeV: together nothing is left of the x = 0 point")

fig, ax = plt.subplots(figsize=(8, 6))
ax.plot(masses, delta, label=r"Dresden-II, LMA-Dark $x = 0$")
ax.axhline(three_sigma, ls="--", color="gray", label=r"3$\sigma$ (1 dof)")
ax.set(xscale="log", xlabel=r"$M_{Z'}$ [MeV]")
ax.set_yscale("symlog", linthresh=1.0)
ax.set_ylim(0.0, 5e3)
ax.set_ylabel(r"$\chi^2_\mathrm{LMA-Dark} - \chi^2_\mathrm{SM}$")
bbn.shade(ax)
ax.legend(fontsize="small")
save(fig, "07_dresden_lma_dark_vs_mass.png")
plt.close(fig)

# %% [markdown]
# ## Summary
#
# * Oscillations: the SM with one ordering and LMA-Dark with the other give *identical*
#   probabilities; no amount of oscillation data separates them.
# * Scattering: Dresden-II excludes the `x = 0` LMA-Dark point for any mediator heavier
#   than about a couple of MeV, and cosmology (BBN) excludes the lighter ones.
# * Other points of the LMA-Dark line escape a reactor: at `x = 2` the electron flavour
#   has no NSI (`eps_ee = 0`) and the anomaly sits in nu_mu and nu_tau, which a reactor
#   does not produce. Closing that door needs muon neutrinos: COHERENT (tutorial 05).
