"""cevns: statistical modelling of coherent elastic neutrino-nucleus scattering (CEvNS).

Units (one convention, everywhere; names at public boundaries carry the unit)
-------------------------------------------------------------------------------
* neutrino energies, particle and nuclear masses, momentum transfer: **MeV**
  (``e_nu_mev``, ``mass_mev``, ``mediator_mass_mev``, ``q_mev``);
* nuclear-recoil energies: **keVnr** (``e_nr_kev``); ionisation energies: **keVee**
  (``e_ee_kev``); photoelectrons: **PE**;
* lengths: **m** at the API (``baseline_m``), **cm** inside cross sections and fluxes;
* cross sections: **cm^2**, differential ones **cm^2 / keVnr**;
* fluxes: **1 / (cm^2 s MeV)** per flavour, time-averaged over the exposure;
* exposure: **kg day** (``exposure_kg_day``); rates per kg per day per keV;
* time: **s** for fluxes, **days** for exposure, **microseconds** for beam timing (``_us``);
* angles in radians; mixing-parameter mass splittings in eV^2.

Constants with their sources are in :mod:`cevns.constants`.
"""

from __future__ import annotations

from . import constants, exceptions
from .cross_section import differential_cross_section, e_nr_max_kev, e_nu_min_mev
from .form_factors import Helm, KleinNystrand, Unity
from .nsi import NSIModel, couplings_from_eps, eps_from_couplings
from .nuclei import Nucleus, Target
from .spectrum import recoil_spectrum

__version__ = "0.1.0"

__all__ = [
    "Helm",
    "KleinNystrand",
    "NSIModel",
    "Nucleus",
    "Target",
    "Unity",
    "__version__",
    "constants",
    "couplings_from_eps",
    "differential_cross_section",
    "e_nr_max_kev",
    "e_nu_min_mev",
    "eps_from_couplings",
    "exceptions",
    "recoil_spectrum",
]


def __dir__() -> list[str]:
    return __all__
