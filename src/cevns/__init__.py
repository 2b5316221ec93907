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

Constants with their sources are in :mod:`cevns.core.constants`.

Layout (each layer imports only the layers below it; ``import-linter`` checks it)
------------------------------------------------------------------------------------
``core`` (constants, exceptions, validation, file reading) < ``data`` (registry of public
files) < ``physics`` (nuclei, form factors, cross sections, NSI models, families,
oscillations) < ``sources`` (fluxes) and ``detectors`` (quenching, resolution,
efficiency) < ``likelihood`` (spectra, signal, datasets, backgrounds, systematics,
experiments, costs)
< ``stats`` (fit, scan, toys) < ``interop`` / ``viz`` < ``config`` (experiment files,
component kinds) < ``experiments`` (one module per shipped experiment) < ``reproduce`` <
``cli``. The names below are the public API, imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported lazily: ``import cevns`` stays light)
_API: dict[str, str] = {
    # physics
    "NSIModel": "cevns.physics.nsi",
    "couplings_from_eps": "cevns.physics.nsi",
    "eps_from_couplings": "cevns.physics.nsi",
    "Nucleus": "cevns.physics.nuclei",
    "Target": "cevns.physics.nuclei",
    "Helm": "cevns.physics.form_factors",
    "KleinNystrand": "cevns.physics.form_factors",
    "Unity": "cevns.physics.form_factors",
    "differential_cross_section": "cevns.physics.cross_section",
    "e_nr_max_kev": "cevns.physics.cross_section",
    "e_nu_min_mev": "cevns.physics.cross_section",
    "ModelFamily": "cevns.physics.families",
    "Parameter": "cevns.physics.families",
    "family": "cevns.physics.families",
    "load_model": "cevns.physics.model_files",
    # likelihood
    "recoil_spectrum": "cevns.likelihood.spectrum",
    "Signal": "cevns.likelihood.signal",
    "Dataset": "cevns.likelihood.dataset",
    "Experiment": "cevns.likelihood.experiment",
    "ExperimentCost": "cevns.likelihood.experiment",
    "DetectorSetup": "cevns.likelihood.experiment",
    "NormaliseToEvents": "cevns.likelihood.experiment",
    "ShapeSystematic": "cevns.likelihood.systematics",
    "NormSystematic": "cevns.likelihood.systematics",
    "ScaleSystematic": "cevns.likelihood.systematics",
    # stats
    "fit": "cevns.stats.fit",
    "FitResult": "cevns.stats.fit",
    "profile_scan": "cevns.stats.scan",
    "grid_axis": "cevns.stats.scan",
    "ScanResult": "cevns.stats.scan",
    "asimov": "cevns.stats.toys",
    "generate_toy": "cevns.stats.toys",
    # configuration
    "load_experiment": "cevns.config.loader",
    "register_component": "cevns.config.components",
}
_SUBMODULES = ("constants", "exceptions")

__all__ = [
    "Dataset",
    "DetectorSetup",
    "Experiment",
    "ExperimentCost",
    "FitResult",
    "Helm",
    "KleinNystrand",
    "ModelFamily",
    "NSIModel",
    "NormSystematic",
    "NormaliseToEvents",
    "Nucleus",
    "Parameter",
    "ScaleSystematic",
    "ScanResult",
    "ShapeSystematic",
    "Signal",
    "Target",
    "Unity",
    "__version__",
    "asimov",
    "constants",
    "couplings_from_eps",
    "differential_cross_section",
    "e_nr_max_kev",
    "e_nu_min_mev",
    "eps_from_couplings",
    "exceptions",
    "family",
    "fit",
    "generate_toy",
    "grid_axis",
    "load_experiment",
    "load_model",
    "profile_scan",
    "recoil_spectrum",
    "register_component",
]

if TYPE_CHECKING:  # pragma: no cover
    from cevns.config.components import register_component
    from cevns.config.loader import load_experiment
    from cevns.core import constants, exceptions
    from cevns.likelihood.dataset import Dataset
    from cevns.likelihood.experiment import (
        DetectorSetup,
        Experiment,
        ExperimentCost,
        NormaliseToEvents,
    )
    from cevns.likelihood.signal import Signal
    from cevns.likelihood.spectrum import recoil_spectrum
    from cevns.likelihood.systematics import NormSystematic, ScaleSystematic, ShapeSystematic
    from cevns.physics.cross_section import (
        differential_cross_section,
        e_nr_max_kev,
        e_nu_min_mev,
    )
    from cevns.physics.families import ModelFamily, Parameter, family
    from cevns.physics.form_factors import Helm, KleinNystrand, Unity
    from cevns.physics.model_files import load_model
    from cevns.physics.nsi import NSIModel, couplings_from_eps, eps_from_couplings
    from cevns.physics.nuclei import Nucleus, Target
    from cevns.stats.fit import FitResult, fit
    from cevns.stats.scan import ScanResult, grid_axis, profile_scan
    from cevns.stats.toys import asimov, generate_toy


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"cevns.core.{name}")
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'cevns' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
