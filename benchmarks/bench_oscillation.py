"""Benchmarks of three-flavour oscillations in matter with NSI (issue 7)."""

from __future__ import annotations

import numpy as np

from cevns import NSIModel
from cevns.physics.oscillation import Medium, MixingParameters, probabilities


def _matter_nsi_1e4_energies():
    params = MixingParameters.normal_ordering()
    model = NSIModel.vector_nsi({"ee_u": -0.3, "emu_d": 0.05 + 0.02j, "mutau_q": 0.01})
    crust = Medium.earth_crust()
    energies = np.geomspace(100.0, 2.0e4, 10_000)

    def run():
        probabilities(params, model, crust, energies, 1300.0)

    return run


BENCHMARKS = {"oscillation_probabilities_1e4_energies_matter_nsi": _matter_nsi_1e4_energies}
