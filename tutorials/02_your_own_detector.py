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
# # 02 - Your own detector: a CONUS-like germanium projection
#
# A detector in `cevns` is the map from a nuclear recoil energy to the observed bins. The
# base class `cevns.detectors.base.Detector` does the bookkeeping (recoil-energy nodes,
# quadrature weights, caching, validation); a new detector only implements small hooks:
#
# | hook | returns |
# |---|---|
# | `_quench(e_nr_kev)` | the true observable (keVee) of recoils of energy `e_nr_kev` (keVnr) |
# | `_smear(true, edges)` | `(n_bins, n_true)` probabilities to reconstruct a true value per bin |
# | `_efficiency(edges)` (optional) | a per-bin efficiency |
# | `_min_recoil_kev()` (optional) | the lowest recoil worth integrating |
# | `_response_key()` (optional) | the settings that change the response (cache invalidation) |
# | `_quench_nucleus(e_nr_kev, nucleus)` etc. (optional) | a response per recoiling nucleus |
#
# Detectors are immutable once built: `det.replace(live_days=...)` or
# `det.with_exposure(...)` give modified copies.
#
# Here we build a CONUS-like point-contact germanium detector (1 kg x 100 days, analysis
# threshold 0.3 keVee) 17 m from a 3.9 GW reactor, with our own quenching curve and
# resolution, and compute its *expected sensitivity* with Asimov data (the data set equal
# to the expectation) to sin^2(theta_W) and to a light vector mediator.
#
# (For ionisation detectors whose quenching and resolution are already objects, the
# ready-made `cevns.detectors.base.IonizationDetector(name, target, quenching=..., resolution=...,
# efficiency=..., mass_kg=..., live_days=..., bin_edges=...)` does the same without a
# subclass.)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import special

from cevns import Target
from cevns.detectors.base import Detector
from cevns.detectors.quenching import Lindhard
from cevns.detectors.resolution import GaussianResolution
from cevns.likelihood.background import FunctionBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.signal import Signal
from cevns.physics.families import Parameter, family
from cevns.sources.reactor import ReactorFlux
from cevns.stats.fit import fit
from cevns.stats.scan import profile_scan
from cevns.viz.plotting import plot_exclusion, plot_spectrum, save

# %% [markdown]
# ## The detector
#
# * **Quenching**: the Lindhard model with `k = 0.16`, written out by hand in `_quench`
#   (any function of E_nr works: a table, a fit to your calibration data, ...);
# * **Resolution**: Gaussian with `sigma^2 = sigma_noise^2 + eta F E_ee` (electronic noise
#   of 30 eV, Fano factor 0.11, 2.96 eV per electron-hole pair), integrated over each bin;
# * **Efficiency**: an error-function trigger efficiency, 50 % at 0.26 keVee, 20 eV wide,
#   evaluated at the bin centres;
# * **Bins**: 35 bins of 20 eV from the 0.3 keVee analysis threshold to 1 keVee.


# %%
class ConusLikeGe(Detector):
    """A point-contact Ge detector with Lindhard quenching and Gaussian noise."""

    def __init__(
        self,
        *,
        k=0.16,
        sigma_noise_kev=0.030,
        trigger_kev=0.26,
        trigger_width_kev=0.02,
        mass_kg=1.0,
        live_days=100.0,
        bin_edges=None,
    ):
        edges = np.round(np.linspace(0.3, 1.0, 36), 6) if bin_edges is None else bin_edges
        super().__init__(
            "conus_like_ge",
            Target.element("Ge"),  # natural germanium
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=edges,
        )
        self.k = k
        self.resolution = GaussianResolution(sigma_n_kev=sigma_noise_kev, fano=0.11)
        self.trigger_kev = trigger_kev
        self.trigger_width_kev = trigger_width_kev

    def _quench(self, e_nr_kev):
        # Lindhard: E_ee = E_nr k g / (1 + k g), g = 3 eps^0.15 + 0.7 eps^0.6 + eps
        eps = 11.5 * e_nr_kev * 32.0 ** (-7.0 / 3.0)
        g = 3.0 * eps**0.15 + 0.7 * eps**0.6 + eps
        return e_nr_kev * self.k * g / (1.0 + self.k * g)

    def _smear(self, true, edges):
        return self.resolution.bin_probabilities(true, edges)

    def _efficiency(self, edges):
        centres = 0.5 * (edges[1:] + edges[:-1])
        z = (centres - self.trigger_kev) / (math.sqrt(2.0) * self.trigger_width_kev)
        return 0.5 * (1.0 + special.erf(z))

    def _min_recoil_kev(self):
        # 50 eVnr give ~5 eVee, 10 sigma below the first bin: nothing lower can contribute
        return 0.05

    def _response_key(self):
        return (self.k, repr(self.resolution), self.trigger_kev, self.trigger_width_kev)


det = ConusLikeGe()
print(det)
e_nr = np.array([1.0, 2.0, 5.0])
print("E_ee(E_nr = 1, 2, 5 keVnr) =", det.quench(e_nr).round(4), "keVee")
print(
    "same with cevns.detectors.quenching.Lindhard(k=0.16):", Lindhard(k=0.16, z=32)(e_nr).round(4)
)

# %% [markdown]
# ## The reactor and the signal
#
# `ReactorFlux(power_GW, baseline_m, fission_fractions)` implements seed 004 Eq. 14 with
# Huber-Mueller spectra above 2 MeV (BESTIOLE below) and the 238U capture chain. The
# fission fractions below are typical of a pressurised-water reactor in the middle of a
# cycle.
#
# `Signal(flux, detector)` integrates flux x cross section x response into templates;
# `signal.expected_counts(model)` gives the counts per bin for any `NSIModel`, e.g.
# `family("sm_tree").build()`.

# %%
flux = ReactorFlux(3.9, 17.0, {"U235": 0.56, "Pu239": 0.31, "U238": 0.07, "Pu241": 0.06})
print(flux)
print(f"total flux {flux.total_flux():.3e} /cm^2/s")
signal = Signal(flux, det)
sm = family("sm_tree")
mu_signal = signal.expected_counts(sm.build())
print(f"SM CEvNS events in 0.3-1 keVee, 100 kg day: {mu_signal.sum():.2f}")

# %% [markdown]
# ## Asimov data and the likelihood
#
# A flat background of `b` counts / (kg day keVee) (CONUS reached O(10) in this region) is
# added to the SM expectation; the Asimov data set is the sum, with Poisson errors. The
# `Experiment` gets the background as a `FunctionBackground` with a free level, a 5 %
# Gaussian pull on the signal normalisation (reactor flux uncertainty) and a binned Poisson
# likelihood.


# %%
def conus_like_experiment(bkg_per_kg_day_kev, detector=det, sig=signal):
    widths = np.diff(detector.bin_edges)
    level = bkg_per_kg_day_kev * detector.exposure_kg_day * widths[0]
    mu = sig.expected_counts(sm.build()) + level
    data = Dataset.from_arrays(
        mu,
        detector.bin_edges,
        errors=np.sqrt(mu),
        name="conus_like_asimov",
        axis_labels=("E_ee [keVee]",),
        unit="counts / (20 eV 100 kg day)",
    )
    flat = FunctionBackground(
        "flat",
        lambda x, level: np.full_like(x, level),
        data.centres[0],
        [Parameter("level", level, (0.0, 10.0 * level), 0.05 * level)],
    )
    return Experiment(
        "conus_like", sig, data, [flat], likelihood="poisson", flux_norm_uncertainty=0.05
    )


exp = conus_like_experiment(1.0)
fig = plot_spectrum(
    det.bin_edges,
    exp.dataset.counts,
    exp.dataset.errors,
    {"flat background": exp.expected("sm_tree").background, "CEvNS (SM)": mu_signal},
    xlabel="E_ee [keVee]",
    ylabel=exp.dataset.unit,
    title="CONUS-like Ge, Asimov data (1 /(kg day keVee))",
    pulls=False,  # Asimov data: every pull is zero
)
save(fig, "02_conus_like_asimov.png")
plt.close(fig)

# %% [markdown]
# ## Sensitivity to sin^2(theta_W)
#
# On Asimov data the best fit sits at the truth and the Minos errors are the median
# expected uncertainty. The CEvNS rate depends on the weak charge
# `Q_W = N - (1 - 4 sin^2 theta_W) Z`, so the likelihood has a mirror solution; Minos
# reports the side of the minimum it is on. The background level decides everything for
# such a small signal:

# %%
for b in (10.0, 1.0, 0.1):
    res = fit(conus_like_experiment(b).cost("sin2w"), minos=["sin2_theta_w"])
    lo, hi = res.minos["sin2_theta_w"]
    print(
        f"background {b:5.1f} /(kg day keVee): sin2_theta_w = {res.values['sin2_theta_w']:.4f}"
        f" {lo:+.4f} / {hi:+.4f} (68% CL, Minos)"
    )

# %% [markdown]
# With 10 /(kg day keVee) the lower Minos error runs into the parameter limit
# `sin2_theta_w = 0`: seven signal events on 700 background counts measure nothing. Only a
# background 10-100 times lower turns the same exposure into a measurement.
#
# ## Sensitivity to a light vector mediator
#
# The family `"light_zprime_tree"` adds a vector Z' of mass `M` coupled to quarks (u = d)
# and to electron neutrinos, parametrised by the coupling product `g_nu_g_q`; its NSI
# strength at momentum transfer `q` is `g_nu g_q / (2 sqrt2 G_F (q^2 + M^2))`, so for
# masses well above the typical `q ~ 10-20 MeV` of reactor CEvNS on Ge the limit on the
# coupling grows like `M^2`. (`_tree` keeps tree-level SM couplings, like `"sm_tree"`.)
#
# For each mass a 1D profile scan of `g_nu_g_q >= 0` finds where Delta chi^2 crosses the
# 90 % CL threshold (2.71, one-sided coverage is not claimed here). Nine masses and 21
# coupling points keep this fast; use more of both for a smooth curve.

# %%
exp = conus_like_experiment(1.0)
cost = exp.cost("light_zprime_tree")
masses = np.geomspace(1.0, 1000.0, 9)
limits = []
for m in masses:
    g_max = 4e-9 * (1.0 + (m / 15.0) ** 2)
    scan = profile_scan(
        cost,
        {"g_nu_g_q": np.linspace(0.0, g_max, 21)},
        fix={"mediator_mass_mev": float(m)},
        best_fit=False,
    )
    interval = scan.interval(cl=0.90)
    upper = interval.segments[0][1] if not interval.open_high else math.nan
    limits.append(upper)
    print(f"M = {m:8.2f} MeV: g_nu g_q < {upper:.3e}  (sqrt = {math.sqrt(upper):.2e})")
limits = np.array(limits)

# %%
fig = plot_exclusion(
    {"CONUS-like Ge, 100 kg day, 90% CL (Asimov)": (masses, np.sqrt(limits))},
    ylabel=r"$(g_\nu g_q)^{1/2}$",
    title="Light vector mediator: expected sensitivity",
)
fig.axes[0].legend(loc="upper left", fontsize="small")
save(fig, "02_conus_like_light_mediator.png")
plt.close(fig)

# %% [markdown]
# ## What to change
#
# * A different quenching curve changes the signal more than anything else below
#   0.5 keVee: try `k = 0.20` or a tabulated curve in `_quench`.
# * `mass_kg` and `live_days` scale the exposure; `bin_edges` sets threshold and binning.
# * Replace the flat background by a `TemplateBackground` from a measured spectrum.
# * For real data, build the `Dataset` from your histogram (tutorial 04) instead of the
#   Asimov expectation.
