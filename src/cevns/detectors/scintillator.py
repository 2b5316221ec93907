"""Scintillators read out in continuous photoelectrons with gamma-function smearing.

:class:`GammaPEDetector`: ``P(x | E_ee) = Gamma(x; k = 1 + b, theta = 1 / (a (1 + b)))``
with ``a = r_a / E_ee`` and ``b = r_b E_ee`` (E_ee in keVee), the resolution model of the
COHERENT CsI 2021 analysis, usable for any scintillating target; the mean is ``E_ee / r_a``
photoelectrons. An efficiency of the reconstructed PE multiplies the density on a fine PE
grid before it is summed into the observed bins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core._validation import check_positive
from cevns.core.binning import subdivide_edges
from cevns.detectors.base import DEFAULT_NODES, ScintillatorDetector
from cevns.detectors.quenching import Quenching
from cevns.physics.nuclei import Target

__all__ = ["GammaPEDetector"]


def __dir__() -> list[str]:
    return __all__


class GammaPEDetector(ScintillatorDetector):
    """Scintillator read out in continuous PE with gamma-function smearing.

    Parameters
    ----------
    name : str
    target : Target
    quenching : Quenching
        Electron-equivalent energy [keVee] of a nuclear recoil.
    efficiency : callable
        Efficiency of the reconstructed PE (clipped to [0, 1]).
    resolution : (r_a, r_b)
        ``r_a`` [keVee per PE] (the light yield is ``1 / r_a``) and ``r_b`` [1/keVee], both
        > 0 (``r_b = 0`` allowed: Poisson-like width).
    mass_kg, live_days : float
    bin_edges : array_like
        Observed PE bins.
    n_nodes : int
    fine_step_pe : float
        PE step of the efficiency integration.

    Examples
    --------
    >>> from cevns.detectors.quenching import ConstantQuenching
    >>> det = GammaPEDetector("d", Target.by_name("csi"), quenching=ConstantQuenching(0.08),
    ...     efficiency=lambda pe: np.ones_like(pe), resolution=(0.0749, 0.0),
    ...     mass_kg=1.0, live_days=1.0, bin_edges=[0.0, 1e4])
    >>> p = det._smear(np.array([10.0]), det.bin_edges)
    >>> round(float(p[0, 0]), 6)
    1.0
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        quenching: Quenching,
        efficiency: Callable[[NDArray[np.float64]], Any],
        resolution: tuple[float, float],
        mass_kg: float,
        live_days: float,
        bin_edges: Sequence[float] | NDArray[np.float64],
        n_nodes: int = DEFAULT_NODES,
        fine_step_pe: float = 0.25,
    ) -> None:
        r_a = check_positive("resolution[0] (r_a)", resolution[0])
        r_b = check_positive("resolution[1] (r_b)", resolution[1], allow_zero=True)
        super().__init__(
            name,
            target,
            quenching=quenching,
            light_yield_pe_per_kev=1.0 / r_a,
            acceptance=None,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=bin_edges,
            n_nodes=n_nodes,
        )
        self.efficiency = efficiency
        self.resolution = (r_a, r_b)
        self.fine_step_pe = check_positive("fine_step_pe", fine_step_pe)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        from scipy import stats

        grid, idx = subdivide_edges(edges, self.fine_step_pe)
        e = np.asarray(true, dtype=np.float64)
        ok = e > 0
        out = np.zeros((edges.size - 1, e.size))
        if not np.any(ok):
            return out
        r_a, r_b = self.resolution
        ee = e[ok]
        k = 1.0 + r_b * ee
        theta = ee / (r_a * k)
        cdf = stats.gamma.cdf(grid[:, None], k[None, :], scale=theta[None, :])
        prob = np.diff(cdf, axis=0)
        centres = 0.5 * (grid[1:] + grid[:-1])
        eff = np.clip(np.asarray(self.efficiency(centres), dtype=np.float64), 0.0, 1.0)
        sub_out = np.zeros((edges.size - 1, ee.size))
        np.add.at(sub_out, idx, prob * eff[:, None])
        out[:, ok] = sub_out
        return out

    def _response_key(self) -> tuple[Any, ...]:
        return (
            *super()._response_key(),
            repr(self.efficiency),
            self.resolution,
            self.fine_step_pe,
        )
