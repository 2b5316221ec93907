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
# # 08 - Solar neutrinos in a dark-matter detector
#
# XENONnT was built to see WIMPs scattering on xenon nuclei. Solar 8B neutrinos do the
# same through coherent elastic scattering (CEvNS): a few keV of nuclear recoil, a handful
# of events per tonne-year. XENONnT measured them first with SR0+SR1 (arXiv:2408.02877,
# 37 events on a background of 26.4, 2.73 sigma) and released the likelihood ingredients
# with SR2 (arXiv:2604.06002, Zenodo 10.5281/zenodo.20576156): the selected events in
# four observables, background templates and *mono-energetic* efficiencies, the detection
# probability per bin of a recoil of given energy.
#
# This tutorial goes from the Sun to the measured flux: the flux at the Earth per flavour,
# the recoil spectrum on natural xenon, the folding with the release's efficiencies, and
# the fit of the 8B flux with the collaboration's nuisance structure. It needs the release
# folder `xenonnt_8b_2026/` in `$CEVNS_DATA_DIR`.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cevns import NSIModel
from cevns.experiments import xenonnt_8b
from cevns.likelihood.spectrum import recoil_spectrum
from cevns.physics.nuclei import Target
from cevns.reproduce.xenonnt2026 import fit_restarted
from cevns.sources.solar import SolarFlux, solar_total_flux
from cevns.stats.scan import profile_scan
from cevns.viz.plotting import save, style

style()

# %% [markdown]
# ## The flux at the Earth, per flavour
#
# The Sun makes nu_e; on the way out they convert adiabatically (MSW) and arrive as a mix.
# `SolarFlux` averages the survival probability over the B16 production profile of each
# component. For the SM rate the flavour does not matter (CEvNS is flavour-blind), for
# NSI with nu_e only it does: only the nu_e part (about a third of 8B above 5 MeV) sees
# them.

# %%
flux = SolarFlux()  # 8B and hep, B16-GS98 totals
e_nu = np.linspace(0.5, 18.0, 500)
nue = flux.spectrum("nue", e_nu)
others = flux.spectrum("numu", e_nu) + flux.spectrum("nutau", e_nu)
print(f"8B total (B16-GS98): {solar_total_flux('8B', 'b16_gs98'):.3g} /cm^2/s")
print(f"nu_e fraction at 10 MeV: {np.interp(10.0, e_nu, nue / (nue + others)):.3f}")

fig, ax = plt.subplots()
ax.plot(e_nu, nue, label=r"$\nu_e$")
ax.plot(e_nu, others, label=r"$\nu_\mu + \nu_\tau$")
ax.set_yscale("log")
ax.set_ylim(1e-1, 2e6)
ax.set_xlabel(r"$E_\nu$ [MeV]")
ax.set_ylabel(r"flux [cm$^{-2}$ s$^{-1}$ MeV$^{-1}$]")
ax.legend()
save(fig, "solar_flux_flavours")
plt.close(fig)

# %% [markdown]
# ## The recoil spectrum on natural xenon
#
# `recoil_spectrum` integrates flux times cross section over the neutrino energy for every
# isotope of the target (with its abundance and weak charge). The 8B endpoint near 16 MeV
# gives at most 4.7 keVnr on xenon; the analysis threshold is 0.5 keVnr.

# %%
xe = Target.element("Xe")
e_nr = np.linspace(0.3, 6.0, 300)
per_t_yr = 1000.0 * 365.25  # events/(kg day keV) -> events/(t yr keV)
rate_8b = recoil_spectrum(SolarFlux(components=("8B",)), xe, NSIModel.sm(), e_nr) * per_t_yr
rate_hep = recoil_spectrum(SolarFlux(components=("hep",)), xe, NSIModel.sm(), e_nr) * per_t_yr
inside = e_nr >= 0.5
print(f"8B above 0.5 keVnr: {np.trapezoid(rate_8b[inside], e_nr[inside]):.0f} events/(t yr)")

fig, ax = plt.subplots()
ax.plot(e_nr, rate_8b, label="8B")
ax.plot(e_nr, rate_hep, label="hep")
ax.axvline(0.5, color="k", ls=":", label="threshold 0.5 keVnr")
ax.set_yscale("log")
ax.set_ylim(1e-3, 1e4)
ax.set_xlabel(r"$E_{nr}$ [keVnr]")
ax.set_ylabel(r"d$R$/d$E_{nr}$ [events / (t yr keVnr)]")
ax.legend()
save(fig, "solar_recoil_spectrum")
plt.close(fig)

# %% [markdown]
# ## From recoils to events: the mono-energetic efficiencies
#
# The release gives, at 46 recoil energies from 0.5 to 5.0 keVnr, the probability that a
# recoil lands in each of the 81 bins of a science run, on a grid of the light-yield and
# charge-yield nuisances (`tly`, `tqy`, in sigma). Summed over the bins this is the
# detection efficiency; it is tiny at threshold and rises steeply, so the yields matter.
# The expected events are `exposure * sum_k eps_k w_k` with `w_k` the integral of the
# spectrum against the tent function of node `k` (Gauss-Legendre inside each interval).

# %%
files = xenonnt_8b.ReleaseFiles("sr0")
fig, ax = plt.subplots()
for tly in (-1.0, 0.0, 1.0):
    eff = files.efficiency(tly, 0.0).sum(axis=1)
    ax.plot(xenonnt_8b.MONO_E_KEV, eff, label=f"SR0, tly = {tly:+.0f}, tqy = 0")
ax.set_yscale("log")
ax.set_xlabel(r"$E_{nr}$ [keVnr]")
ax.set_ylabel("selection efficiency (sum over bins)")
ax.legend()
save(fig, "xenonnt_efficiency")
plt.close(fig)

# %% [markdown]
# ## The measurement: SR0 + SR1 in one likelihood
#
# `xenonnt_8b_2024` is one extended binned Poisson likelihood over the two runs' bins with
# the collaboration's nuisances: one light and one charge yield for both runs (they morph
# the signal and the neutron background together), one ER and one neutron rate, an AC rate
# per run and a 25 % signal efficiency, with the priors of XENONnT's public statistical
# model. The 8B normalisation `flux_norm` (in units of B16-GS98) is free.

# %%
exp = xenonnt_8b.experiment(("sr0", "sr1"))
cost = exp.cost("sm")
nominal = exp.expected("sm")
print(f"observed {exp.dataset.counts.sum():.0f} events")
print(f"expected: 8B + hep {nominal.signal.sum():.2f}, background "
      f"{sum(v.sum() for v in nominal.backgrounds.values()):.2f}")  # fmt: skip

best = fit_restarted(cost)
b_only = fit_restarted(exp.cost("sm", signal=False))
norm = "xenonnt_8b_2024.flux_norm"
print(f"flux_norm = {best.values[norm]:.3f}, background-only rejected at "
      f"{np.sqrt(b_only.fval - best.fval):.2f} sigma (paper: 2.73)")  # fmt: skip

# %% [markdown]
# ## The flux interval: a profile scan
#
# At each value of the normalisation all nuisances are refitted; the 68 % interval is
# where the profile rises by one. (A finer grid changes the edges by less than 1 %.)

# %%
scan = profile_scan(cost, {norm: np.linspace(0.0, 3.0, 31)})
(lo, hi), *_ = scan.interval(0.6827).segments
phi0 = solar_total_flux("8B", "b16_gs98")
print(f"8B flux: {best.values[norm] * phi0 / 1e6:.2f} [{lo * phi0 / 1e6:.2f}, "
      f"{hi * phi0 / 1e6:.2f}] x 1e6 /cm^2/s (paper: 4.7 [2.4, 8.3])")  # fmt: skip

fig, ax = plt.subplots()
ax.plot(scan.axes[0] * phi0 / 1e6, scan.delta_chi2, label="XENONnT SR0+SR1 (this fit)")
ax.axhline(1.0, color="k", ls=":")
ax.axvspan(5.25 - 0.2, 5.25 + 0.2, color="C1", alpha=0.3, label="SNO NC")
ax.set_xlabel(r"$\Phi(^8$B) [$10^6$ cm$^{-2}$ s$^{-1}$]")
ax.set_ylabel(r"$\Delta(-2\ln L)$")
ax.set_ylim(0, 9)
ax.legend()
save(fig, "xenonnt_flux_profile")
plt.close(fig)

# %% [markdown]
# The significance agrees with the paper; the flux comes out about 20 % higher because
# the SM expectation from the 2026 release's efficiencies (10.5 events) is 14 % below that
# of the collaboration's 2024 templates (11.9): the flux scales as one over it. All three
# runs (`experiment(xenonnt_8b.RUNS)`, `xenonnt_8b_2026`), NSI and light mediators are in
# `cevns reproduce xenonnt2026`.
