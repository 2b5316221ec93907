"""Components that experiment files refer to by ``kind`` (registered on import).

* :mod:`cevns.presets.common`: fluxes (``reactor``, ``pion_dar``, ``tabulated``) and generic
  datasets and backgrounds;
* :mod:`cevns.presets.dresden_ii`: the Dresden-II detector, data and background model;
* :mod:`cevns.presets.coherent`: COHERENT CsI 2017 timing counts (seed 002);
* :mod:`cevns.presets.coherent_lar`: COHERENT CENNS-10 LAr 2020 (release 3D PDFs);
* CONUS-like Ge/Si count-only projections (Asimov data) use the ``count_only`` dataset and
  ``recoil_threshold`` detector of :mod:`cevns.presets.coherent`.
"""

from __future__ import annotations

from . import coherent, coherent_lar, common, dresden_ii  # noqa: F401  (registration on import)

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__
