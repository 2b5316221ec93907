"""The shipped experiments: each module holds one release's readers, published inputs and kinds.

The kinds are declared in each module's ``COMPONENTS`` and found through the
``cevns.components`` entry points (``pyproject.toml``), never by importing this package:

* :mod:`cevns.experiments.dresden_ii`: the Dresden-II detector and data (the background of
  seed 004 Eq. 18 is declared in ``models/experiments/dresden_ii.toml`` with the generic
  ``lines`` kind);
* :mod:`cevns.experiments.coherent_csi_2017`: the COHERENT CsI 2017 release, flux and detector;
* :mod:`cevns.experiments.coherent_csi_full`: COHERENT CsI 2017 and 2021 PE x time likelihoods;
* :mod:`cevns.experiments.coherent_lar_2020`: COHERENT CENNS-10 LAr 2020 (release 3-D PDFs);
* :mod:`cevns.experiments.xenonnt_8b`: XENONnT solar 8B (SR0, SR1, SR2 release);
* CONUS-like Ge/Si count-only projections (Asimov data) use the generic ``count_only``
  dataset and ``recoil_threshold`` detector (:mod:`cevns.config.detector_kinds`).
"""

from __future__ import annotations

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__
