"""Components that experiment files refer to by ``kind`` (registered on import).

* :mod:`cevns.config.builtin`: fluxes (``reactor``, ``pion_dar``, ``tabulated``) and generic
  datasets and backgrounds;
* :mod:`cevns.experiments.dresden_ii`: the Dresden-II detector, data and background model;
* :mod:`cevns.experiments.coherent_csi_2017`: COHERENT CsI 2017 timing counts (seed 002);
* :mod:`cevns.experiments.coherent_csi_full`: COHERENT CsI 2017 and 2021 PE x time likelihoods;
* :mod:`cevns.experiments.coherent_lar_2020`: COHERENT CENNS-10 LAr 2020 (release 3D PDFs);
* CONUS-like Ge/Si count-only projections (Asimov data) use the generic ``count_only``
  dataset and ``recoil_threshold`` detector (:mod:`cevns.config.detector_kinds`).
"""

from __future__ import annotations

from cevns.config import builtin  # noqa: F401  (registration on import)
from cevns.experiments import (  # noqa: F401  (registration on import)
    coherent_csi_2017,
    coherent_csi_full,
    coherent_lar_2020,
    dresden_ii,
)

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__
