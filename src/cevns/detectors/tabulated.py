"""A detector whose response is a published table: recoil-energy nodes -> observed bins.

Some releases publish the probability for a nuclear recoil of energy E_nr to be observed
in each analysis bin (efficiency and smearing folded in). :class:`TabulatedResponseDetector`
uses such a table directly: the probability is interpolated linearly in E_nr between the
tabulated nodes onto the fine recoil grid of :class:`~cevns.detectors.base.Detector` (so
the recoil integral keeps its accuracy even when the table is coarse).

Below the first tabulated node recoils are not observed (the first node is the lowest
recoil the table describes, and the recoil grid starts there). Above the last node the
table says nothing: by default a recoil there is an error; ``above_last_node="zero"``
states that such recoils are not observed.

Examples
--------
>>> import numpy as np
>>> from cevns.physics.nuclei import Target
>>> nodes = np.array([1.0, 5.0, 10.0, 50.0])
>>> prob = np.array([[0.0, 0.0], [0.4, 0.0], [0.2, 0.5], [0.0, 0.9]])
>>> det = TabulatedResponseDetector("table", Target.compound("CaWO4"), e_nr_nodes_kev=nodes,
...     probabilities=prob, mass_kg=1.0, live_days=1.0, bin_edges=[1.0, 2.0, 3.0])
>>> det.probability([5.0, 7.5]).round(3).tolist()
[[0.4, 0.3], [0.0, 0.25]]
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.base import DEFAULT_NODES, Detector
from cevns.physics.nuclei import Target

__all__ = ["TabulatedResponseDetector"]


def __dir__() -> list[str]:
    return __all__


#: Each recoil is observed in at most one bin: row sums may exceed 1 by this much (rounding).
ROW_SUM_TOLERANCE = 1e-6


class TabulatedResponseDetector(Detector):
    """Detector defined by a table of per-recoil bin probabilities.

    Parameters
    ----------
    name : str
    target : Target
    e_nr_nodes_kev : array_like, shape (n_table,)
        Recoil energies [keVnr] of the table rows, > 0 and strictly increasing.
    probabilities : array_like, shape (n_table, n_bins)
        Probability for a recoil at each node to be observed in each bin (efficiency
        included); values in [0, 1], each row summing to at most 1.
    mass_kg, live_days : float
    bin_edges : array_like
        The observed bins (``n_bins + 1`` edges), in the unit ``observable``.
    observable : str
        Label of the observed quantity (``"keVee"``, ``"PE"``...).
    above_last_node : {"error", "zero"}
        What a recoil above the last node means (see the module notes).
    n_nodes : int
        Recoil-energy nodes of the integral (the table is interpolated onto them).
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        e_nr_nodes_kev: ArrayLike,
        probabilities: ArrayLike,
        mass_kg: float,
        live_days: float,
        bin_edges: ArrayLike,
        observable: str = "keVee",
        above_last_node: Literal["error", "zero"] = "error",
        n_nodes: int = DEFAULT_NODES,
    ) -> None:
        super().__init__(
            name,
            target,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=bin_edges,
            observable=observable,
            n_nodes=n_nodes,
        )
        nodes = check_increasing("e_nr_nodes_kev", e_nr_nodes_kev).copy()
        if nodes[0] <= 0:
            msg = f"e_nr_nodes_kev must be > 0 keVnr, got {nodes[0]!r} first"
            raise InvalidParameterError(msg)
        prob = as_float_array("probabilities", probabilities).copy()
        want = (nodes.size, self.n_bins)
        if prob.shape != want:
            msg = (
                f"probabilities must have shape (n_nodes, n_bins) = {want} for "
                f"{nodes.size} nodes and {self.n_bins} bins, got {prob.shape}"
            )
            raise InvalidParameterError(msg)
        bad = (prob < 0) | (prob > 1)
        if np.any(bad):
            i, j = np.argwhere(bad)[0]
            msg = (
                f"probabilities must lie in [0, 1]; row {i} (E_nr = {nodes[i]:g} keVnr), "
                f"bin {j}: {prob[i, j]!r}"
            )
            raise InvalidParameterError(msg)
        sums = prob.sum(axis=1)
        if np.any(sums > 1 + ROW_SUM_TOLERANCE):
            i = int(np.argmax(sums))
            msg = (
                f"each recoil is observed in at most one bin: the probabilities of row {i} "
                f"(E_nr = {nodes[i]:g} keVnr) sum to {sums[i]:.6g} > 1"
            )
            raise InvalidParameterError(msg)
        if above_last_node not in ("error", "zero"):
            msg = f"above_last_node must be 'error' or 'zero', got {above_last_node!r}"
            raise InvalidParameterError(msg)
        nodes.flags.writeable = False
        prob.flags.writeable = False
        self.e_nr_nodes_kev = nodes
        self.probabilities = prob
        self.above_last_node = above_last_node
        digest = hashlib.sha1(nodes.tobytes() + prob.tobytes()).hexdigest()
        self._table_digest = digest

    def probability(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """``(n_bins, n)`` probabilities of observation in each bin of recoils ``e_nr_kev``.

        Parameters
        ----------
        e_nr_kev : array_like
            Recoil energies [keVnr], >= 0.
        """
        e = as_float_array("e_nr_kev", e_nr_kev).ravel()
        x = self.e_nr_nodes_kev
        above = e > x[-1]
        if np.any(above) and self.above_last_node == "error":
            msg = (
                f"{self.name}: recoils up to {e.max():.4g} keVnr are possible but the "
                f"response table ends at {x[-1]:g} keVnr; extend the table or state "
                "above_last_node = 'zero' (such recoils are not observed)"
            )
            raise InvalidParameterError(msg)
        inside = (e >= x[0]) & ~above
        k = np.clip(np.searchsorted(x, e, side="right"), 1, x.size - 1)  # x[k-1] <= e < x[k]
        t = np.clip((e - x[k - 1]) / (x[k] - x[k - 1]), 0.0, 1.0)
        p = self.probabilities[k - 1] * (1.0 - t)[:, None] + self.probabilities[k] * t[:, None]
        return np.asarray((p * inside[:, None]).T, dtype=np.float64)

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return e_nr_kev  # the table maps the recoil energy itself

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.probability(true)

    def _min_recoil_kev(self) -> float:
        return float(self.e_nr_nodes_kev[0])

    def _response_key(self) -> tuple[Any, ...]:
        return (self._table_digest, self.above_last_node)
