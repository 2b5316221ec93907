"""Components that experiment files refer to by ``kind`` (registered on import).

* :mod:`cevns.presets.common`: fluxes (``reactor``, ``pion_dar``, ``tabulated``) and generic
  datasets and backgrounds;
* :mod:`cevns.presets.dresden_ii`: the Dresden-II detector, data and background model;
* :mod:`cevns.presets.coherent`: COHERENT CsI 2017 timing counts (seed 002);
* :mod:`cevns.presets.coherent_full`: COHERENT CsI 2017 and 2021 PE x time likelihoods;
* :mod:`cevns.presets.coherent_lar`: COHERENT CENNS-10 LAr 2020 (release 3D PDFs);
* CONUS-like Ge/Si count-only projections (Asimov data) use the ``count_only`` dataset and
  ``recoil_threshold`` detector of :mod:`cevns.presets.coherent`.
"""

from __future__ import annotations

from . import (  # noqa: F401  (registration on import)
    coherent,
    coherent_full,
    coherent_lar,
    common,
    dresden_ii,
)

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__
