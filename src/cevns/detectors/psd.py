"""Energy x pulse-shape detectors: reconstructed energy, a PSD variable (e.g. F90), time.

:class:`PSDDetector` is the response of a scintillator analysed in reconstructed energy
[keVee] and a pulse-shape-discrimination variable (the fraction of light in the first
90 ns, F90, for liquid argon), optionally with an arrival-time axis:

``counts[E, psd, t] = sum_f N_f[E] p(psd | E) p_f(t)``

* ``N_f[E]``: the recoil spectrum quenched (any :class:`~cevns.detectors.quenching.Quenching`),
  smeared by a resolution model (any :class:`~cevns.detectors.resolution.Resolution`) on
  a fine grid of reconstructed energy, multiplied there by a tabulated efficiency (a
  function of the *reconstructed* energy, given per fine bin) and summed into the
  analysis bins. The fine grid is the efficiency table's: uniform bins of
  ``efficiency_step_kevee`` from 0. Applying the efficiency at the coarse bin centres
  instead would be wrong wherever it changes within a bin (the threshold region).
  Above the table the efficiency is 0 (``efficiency_above_table="zero"``) or the last
  tabulated value (``"last"``): the choice is the caller's, never implicit. With
  ``efficiency_of="true_energy"`` the same table is read as a function of the *true*
  electron-equivalent energy instead (applied before the smearing).
* ``p(psd | E)``: a table of the PSD distribution in each energy bin (rows sum to 1).
* ``p_f(t)``: not a detector property; the experiment passes the per-flavour time
  fractions with the detector (:class:`~cevns.likelihood.experiment.DetectorSetup`), and
  the detector only declares the time-bin edges (``time_edges_us``).

The observed bins are the ``n_E x n_psd`` pairs, energy slowest, declared as the physical
axes ``observed_grid`` so that a dataset is compared with them by edges.

Examples
--------
>>> import numpy as np
>>> from cevns.detectors.quenching import ConstantQuenching
>>> from cevns.detectors.resolution import RelativeGaussian
>>> from cevns.physics.nuclei import Target
>>> det = PSDDetector(
...     "toy", Target.by_name("argon"), mass_kg=1.0, live_days=1.0,
...     quenching=ConstantQuenching(0.25), resolution=RelativeGaussian(0.5),
...     energy_edges_kevee=[0.0, 10.0, 20.0], psd_edges=[0.5, 0.7, 0.9],
...     psd_given_energy=[[0.2, 0.8], [0.5, 0.5]], efficiency_step_kevee=5.0,
...     efficiency=[0.5, 1.0, 1.0, 1.0])
>>> det.n_bins, det.observed_grid[1][0]
(4, 'f90')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_increasing, check_positive, unknown_name
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.base import DEFAULT_NODES, Detector
from cevns.detectors.quenching import Quenching
from cevns.detectors.resolution import Resolution
from cevns.physics.nuclei import Target

__all__ = ["PSDDetector", "histogram_from_rows", "psd_given_energy"]


def __dir__() -> list[str]:
    return __all__


def histogram_from_rows(
    table: ArrayLike, edges: Sequence[ArrayLike], *, name: str = "table"
) -> NDArray[np.float64]:
    """A histogram written as rows ``(centre_1, ..., centre_k, count)``, last axis fastest.

    Parameters
    ----------
    table : array_like, shape (n_1 * ... * n_k, k + 1)
        The rows: one bin-centre column per axis, then the count.
    edges : sequence of array_like
        Bin edges of each axis; the centre columns must be their midpoints.
    name : str
        Named in the error messages (e.g. the file).

    Returns
    -------
    ndarray of shape (n_1, ..., n_k)
        The counts (finite, >= 0).

    Raises
    ------
    InvalidParameterError
        Wrong shape, a centre column off the grid, or a negative or non-finite count.

    Examples
    --------
    >>> rows = [[0.5, 0.0, 1.0], [0.5, 1.0, 2.0], [1.5, 0.0, 3.0], [1.5, 1.0, 4.0]]
    >>> histogram_from_rows(rows, [[0, 1, 2], [-0.5, 0.5, 1.5]]).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    t = np.asarray(table, dtype=np.float64)
    axes = [check_increasing(f"{name} axis {i} edges", e) for i, e in enumerate(edges)]
    shape = tuple(e.size - 1 for e in axes)
    if t.shape != (int(np.prod(shape)), len(axes) + 1):
        msg = (
            f"{name}: expected {int(np.prod(shape))} rows x {len(axes) + 1} columns, got {t.shape}"
        )
        raise InvalidParameterError(msg)
    grid = np.meshgrid(*[0.5 * (e[1:] + e[:-1]) for e in axes], indexing="ij")
    for col, g in enumerate(grid):
        if not np.allclose(t[:, col], g.ravel(), atol=1e-6):
            msg = f"{name}: column {col} is not the bin centres of its axis (last axis fastest)"
            raise InvalidParameterError(msg)
    counts = t[:, -1].reshape(shape)
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        msg = f"{name}: counts must be finite and >= 0"
        raise InvalidParameterError(msg)
    return np.asarray(counts, dtype=np.float64)


def psd_given_energy(histogram: ArrayLike) -> NDArray[np.float64]:
    """p(psd | E) from an (energy, psd) histogram; empty energy rows take the nearest filled.

    Parameters
    ----------
    histogram : array_like, shape (n_energy_bins, n_psd_bins)
        Counts (any normalisation).

    Returns
    -------
    ndarray of the same shape
        Each row normalised to 1 (an empty row copies the nearest non-empty one, the
        lower on a tie).

    Examples
    --------
    >>> psd_given_energy([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]).tolist()
    [[0.25, 0.75], [0.25, 0.75], [0.5, 0.5], [0.5, 0.5]]
    """
    h = np.asarray(histogram, dtype=np.float64)
    tot = h.sum(axis=1) if h.ndim == 2 else np.zeros(0)
    filled = np.flatnonzero(tot > 0)
    if filled.size == 0 or np.any(h < 0):
        msg = f"psd_given_energy: needs a 2-D histogram >= 0 with a non-empty row, got {h.shape}"
        raise InvalidParameterError(msg)
    nearest = filled[np.argmin(np.abs(filled[None, :] - np.arange(tot.size)[:, None]), axis=1)]
    return np.asarray(h[nearest] / tot[nearest, None], dtype=np.float64)


class PSDDetector(Detector):
    """Reconstructed energy x PSD (x time) response with a fine-grid tabulated efficiency.

    Parameters
    ----------
    name : str
        Detector name.
    target : Target
        Target material.
    mass_kg, live_days : float
        Active mass [kg] and live time [days].
    quenching : Quenching
        True electron-equivalent energy [keVee] of a recoil [keVnr].
    resolution : Resolution
        Probabilities of reconstruction in bins of keVee (``bin_probabilities``).
    energy_edges_kevee : array_like
        Analysis bin edges in reconstructed energy [keVee]; each on the efficiency grid.
    psd_edges : array_like
        PSD bin edges.
    psd_given_energy : array_like, shape (n_energy_bins, n_psd_bins)
        PSD distribution per energy bin; every row >= 0 and summing to 1.
    efficiency_step_kevee : float
        Width of the efficiency table's bins [keVee] (the table starts at 0).
    efficiency : array_like or None
        Efficiency per fine bin (values in [0, 1]); None: no efficiency (1 everywhere).
    efficiency_above_table : {"zero", "last"}
        Efficiency above the table's last bin.
    efficiency_of : {"reconstructed", "true_energy"}
        The energy the efficiency table is a function of (keVee either way).
    time_edges_us : array_like, optional
        Time-bin edges [us] of the dataset's third axis (None: no time axis).
    min_recoil_kev : float
        Lowest recoil energy [keVnr] that can give a signal.
    psd_name : str
        Name of the PSD axis in ``observed_grid`` (compared with the dataset's axis name).
    n_nodes : int
        Recoil-energy nodes of the response.

    Raises
    ------
    InvalidParameterError
        A table of the wrong shape, a PSD row not summing to 1, an efficiency outside
        [0, 1], or energy edges off the efficiency grid (the message names the field).
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        mass_kg: float,
        live_days: float,
        quenching: Quenching,
        resolution: Resolution,
        energy_edges_kevee: ArrayLike,
        psd_edges: ArrayLike,
        psd_given_energy: ArrayLike,
        efficiency_step_kevee: float,
        efficiency: ArrayLike | None,
        efficiency_above_table: Literal["zero", "last"] = "zero",
        efficiency_of: Literal["reconstructed", "true_energy"] = "reconstructed",
        time_edges_us: ArrayLike | None = None,
        min_recoil_kev: float = 0.1,
        psd_name: str = "f90",
        n_nodes: int = DEFAULT_NODES,
    ) -> None:
        e_edges = check_increasing("energy_edges_kevee", energy_edges_kevee)
        p_edges = check_increasing("psd_edges", psd_edges)
        psd = np.asarray(psd_given_energy, dtype=np.float64)
        if psd.shape != (e_edges.size - 1, p_edges.size - 1):
            msg = (
                f"psd_given_energy must have shape (n_energy_bins, n_psd_bins) = "
                f"{(e_edges.size - 1, p_edges.size - 1)}, got {psd.shape}"
            )
            raise InvalidParameterError(msg)
        if np.any(psd < 0) or not np.allclose(psd.sum(axis=1), 1.0, atol=1e-9):
            msg = f"psd_given_energy: every row must be >= 0 and sum to 1, sums {psd.sum(1)}"
            raise InvalidParameterError(msg)
        step = check_positive("efficiency_step_kevee", efficiency_step_kevee)
        n_fine = round(e_edges[-1] / step)
        on_grid = np.allclose(e_edges / step, np.round(e_edges / step), rtol=0, atol=1e-9)
        if not on_grid or e_edges[0] < 0:
            msg = f"energy_edges_kevee {e_edges} must be >= 0 multiples of {step} keVee"
            raise InvalidParameterError(msg)
        if efficiency_above_table not in ("zero", "last"):
            raise unknown_name(
                "efficiency_above_table", str(efficiency_above_table), ("zero", "last")
            )
        if efficiency_of not in ("reconstructed", "true_energy"):
            raise unknown_name(
                "efficiency_of", str(efficiency_of), ("reconstructed", "true_energy")
            )
        if efficiency is None:
            table, fill = np.ones(n_fine), 1.0
        else:
            eff = np.asarray(efficiency, dtype=np.float64)
            if eff.ndim != 1 or eff.size == 0 or np.any((eff < 0) | (eff > 1) | ~np.isfinite(eff)):
                msg = f"efficiency must be a non-empty 1-D table of values in [0, 1], got {eff}"
                raise InvalidParameterError(msg)
            fill = 0.0 if efficiency_above_table == "zero" else float(eff[-1])
            table = np.concatenate([eff, np.full(max(n_fine - eff.size, 0), fill)])
        super().__init__(
            name,
            target,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=np.arange(psd.size + 1, dtype=np.float64),
            observable="(E_ee, PSD) bin index",
            n_nodes=n_nodes,
        )
        self.quenching = quenching
        self.resolution = resolution
        self.psd_given_energy = psd
        self.efficiency_above_table = efficiency_above_table
        self.efficiency_of = efficiency_of
        self._table_eff, self._fill = table, fill  # the table (>= the fine grid) and above it
        self.min_recoil_kev = check_positive("min_recoil_kev", min_recoil_kev)
        self._fine_edges = np.linspace(0.0, n_fine * step, n_fine + 1)
        self._fine_eff = table[:n_fine]
        centres = 0.5 * (self._fine_edges[1:] + self._fine_edges[:-1])
        coarse = np.searchsorted(e_edges, centres) - 1  # -1 below the first edge
        self._fine_to_coarse = (coarse[None, :] == np.arange(e_edges.size - 1)[:, None]).astype(
            np.float64
        )
        #: the physical axes of the observed bins (energy slowest, then PSD), compared by
        #: edges with the dataset's (:func:`cevns.likelihood.dataset.observed_axes`)
        self.observed_grid: tuple[tuple[str, str, NDArray[np.float64]], ...] = (
            ("e_ee_kev", "keVee", e_edges.copy()),
            (psd_name, "", p_edges.copy()),
        )
        #: time-bin edges [us] of the dataset's third axis (None: no time axis)
        self.time_edges_us: NDArray[np.float64] | None = (
            None if time_edges_us is None else check_increasing("time_edges_us", time_edges_us)
        )

    def energy_probabilities(self, true_kevee: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probability x efficiency to reconstruct in each energy bin.

        Parameters
        ----------
        true_kevee : ndarray
            True electron-equivalent energies [keVee].

        Returns
        -------
        ndarray of shape (n_energy_bins, n_true)
            Sum over the fine bins of each analysis bin of the resolution probability
            times the fine-bin efficiency.
        """
        fine = self.resolution.bin_probabilities(true_kevee, self._fine_edges)
        if self.efficiency_of == "reconstructed":
            return np.asarray(self._fine_to_coarse @ (fine * self._fine_eff[:, None]))
        idx = np.floor(np.asarray(true_kevee) / self._fine_edges[1]).astype(np.int64)
        inside = (idx >= 0) & (idx < self._table_eff.size)
        last = self._table_eff.size - 1
        eff = np.where(inside, self._table_eff[np.clip(idx, 0, last)], self._fill)
        return np.asarray((self._fine_to_coarse @ fine) * eff[None, :])

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.quenching(e_nr_kev), dtype=np.float64)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        pe = self.energy_probabilities(true)
        out = pe[:, None, :] * self.psd_given_energy[:, :, None]
        return np.asarray(out.reshape(self.psd_given_energy.size, true.size))

    def _min_recoil_kev(self) -> float:
        return self.min_recoil_kev

    def _response_key(self) -> tuple[Any, ...]:
        return (
            repr(self.quenching),
            repr(self.resolution),
            self._table_eff.tobytes(),
            self.efficiency_of,
            self._fill,
            self.psd_given_energy.tobytes(),
        )
