"""Benchmarks of the solar-neutrino propagation and flux (issue 13)."""

from __future__ import annotations

import numpy as np

from cevns import NSIModel
from cevns.physics.oscillation import MixingParameters
from cevns.physics.solar import SolarModel, probabilities_at_earth
from cevns.sources.solar import SolarFlux

_MODEL = NSIModel.vector_nsi({"ee_u": 0.2, "emu_d": 0.05 + 0.02j})


def _adiabatic_8b_400_energies():
    params = MixingParameters.normal_ordering()
    solar = SolarModel.b16()  # loaded (and cached) outside the timing
    energies = np.geomspace(0.1, 16.0, 400)

    def run():
        probabilities_at_earth(params, _MODEL, energies, source="8B", solar=solar)

    return run


def _solar_flux_first_use():
    SolarModel.b16()

    def run():  # the probability grids of 8B and hep (241 energies each), then one call
        SolarFlux(model=_MODEL).spectrum("nue", 10.0)

    return run


def _solar_flux_cached_1e4_energies():
    flux = SolarFlux(model=_MODEL)
    energies = np.linspace(0.0, 19.0, 10_000)
    flux.spectrum("nue", energies)  # fills the cache

    def run():
        for fl in flux.flavours:
            flux.spectrum(fl, energies)

    return run


BENCHMARKS = {
    "solar_adiabatic_8b_400_energies_nsi": _adiabatic_8b_400_energies,
    "solar_flux_first_use_8b_hep": _solar_flux_first_use,
    "solar_flux_cached_3_flavours_1e4_energies": _solar_flux_cached_1e4_energies,
}
