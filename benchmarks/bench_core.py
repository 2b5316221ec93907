"""Benchmarks of the physics core: recoil spectra at a reactor (issue 2)."""

from __future__ import annotations

import numpy as np

from cevns import NSIModel, Target, recoil_spectrum


def _reactor_flux():
    try:
        from cevns.sources.reactor import ReactorFlux

        return ReactorFlux.dresden_ii()
    except (ImportError, AttributeError):  # before the reactor module existed
        from cevns.sources.flux import CallableFlux

        # Vogel-Engel-like exp-polynomial shape (U-235 coefficients), 4.8e13 / cm^2 / s scale
        return CallableFlux(
            {"nuebar": lambda e: 4.8e13 / 6.0 * np.exp(0.870 - 0.160 * e - 0.091 * e**2)},
            {"nuebar": (0.0, 10.0)},
        )


def _recoil_spectrum_ge():
    flux = _reactor_flux()
    ge = Target.element("Ge")
    t = np.geomspace(0.01, 3.0, 200)
    models = [NSIModel.sm(), NSIModel.light_zprime(-1e-10, 5.0)]

    def run():
        for m in models:
            recoil_spectrum(flux, ge, m, t)

    return run


BENCHMARKS = {"recoil_spectrum_ge_reactor_sm_plus_zprime": _recoil_spectrum_ge}
