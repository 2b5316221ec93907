"""A detector counting every nuclear recoil above a threshold (no quenching, no smearing)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_increasing, check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.base import DEFAULT_NODES, Detector
from cevns.physics.nuclei import Target

__all__ = ["RecoilThresholdDetector"]


def __dir__() -> list[str]:
    return __all__


class RecoilThresholdDetector(Detector):
    """Counts every nuclear recoil in keVnr bins: a sharp threshold, no smearing, no acceptance.

    The recoil nodes start at the threshold, so the count is the exact integral of the
    recoil spectrum.

    Parameters
    ----------
    target : Target
    threshold_kev : float
        Nuclear-recoil threshold [keVnr], > 0.
    upper_kev : float
        Upper edge of the single bin (default 1000 keVnr).
    bin_edges : array_like, optional
        Explicit keVnr bins (overrides ``threshold_kev``/``upper_kev``).
    mass_kg, live_days : float
    timing : object, optional
        How beam events share time bins (e.g. a pi-DAR timing with ``edges_us`` and
        ``fractions``); kept as :attr:`timing` for the dataset compatibility check.
    n_nodes : int
    name : str

    Examples
    --------
    >>> det = RecoilThresholdDetector(Target.by_name("csi"), threshold_kev=7.0,
    ...     mass_kg=1.0, live_days=1.0)
    >>> det.bin_edges.tolist(), det.observable
    ([7.0, 1000.0], 'keVnr')
    """

    def __init__(
        self,
        target: Target,
        *,
        threshold_kev: float,
        upper_kev: float = 1000.0,
        bin_edges: ArrayLike | None = None,
        mass_kg: float,
        live_days: float,
        timing: Any = None,
        n_nodes: int = DEFAULT_NODES,
        name: str = "recoil_threshold",
    ) -> None:
        if bin_edges is None:
            thr = check_positive("threshold_kev", threshold_kev)
            up = check_positive("upper_kev", upper_kev)
            if up <= thr:
                msg = f"upper_kev must be > threshold_kev ({thr!r}), got {up!r}"
                raise InvalidParameterError(msg)
            edges = np.array([thr, up])
        else:
            edges = check_increasing("bin_edges", bin_edges)
            if edges[0] <= 0:
                msg = f"bin_edges must start above 0 keVnr, got {edges[0]!r}"
                raise InvalidParameterError(msg)
        super().__init__(
            name,
            target,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=edges,
            observable="keVnr",
            n_nodes=n_nodes,
        )
        self.timing = timing

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return e_nr_kev

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        inside = (true[None, :] >= edges[:-1, None]) & (true[None, :] < edges[1:, None])
        return inside.astype(np.float64)

    def _min_recoil_kev(self) -> float:
        return float(self.bin_edges[0])
