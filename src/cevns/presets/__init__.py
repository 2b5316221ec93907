"""Components that experiment files refer to by ``kind`` (registered on import).

* :mod:`cevns.presets.common`: fluxes (``reactor``, ``pion_dar``, ``tabulated``) and generic
  datasets and backgrounds;
* :mod:`cevns.presets.dresden_ii`: the Dresden-II detector, data and background model;
* :mod:`cevns.presets.coherent`: COHERENT CsI 2017 (timing counts and PE x time), CsI 2021,
  LAr 2020;
* :mod:`cevns.presets.conus`: CONUS-like Ge/Si count-only projections (Asimov data).
"""

from __future__ import annotations

from . import coherent, common, dresden_ii  # noqa: F401  (registration on import)

__all__: list[str] = []


def __dir__() -> list[str]:
    return __all__
