"""A detector response built from published mono-energetic efficiency templates.

Some releases (XENONnT's 8B CEvNS release, Zenodo 10.5281/zenodo.20576156) publish, at
recoil energies ``E_k``, the probability ``eps_k[b]`` that a nuclear recoil of energy
``E_k`` is selected in observed bin ``b``, often on a grid of detector nuisances (light
and charge yield). A recoil spectrum ``dR/dE_nr`` folds with them as follows.

Recipe
------
Between the nodes the efficiency is interpolated linearly, ``eps(E) = sum_k eps_k h_k(E)``
with the tent functions ``h_k`` of the node grid (half tents at the first and last node),
so that::

    mu_b = exposure * sum_k eps_k[b] w_k,     w_k = int h_k(E) dR/dE_nr(E) dE_nr.

Recoils outside ``[E_0, E_last]`` contribute nothing (the release gives no efficiency
there; whether that is negligible above ``E_last`` is for the experiment to show). The
integrals use ``gauss_points`` Gauss-Legendre points in each interval between two nodes,
where ``eps`` is linear: :class:`MonoResponse` is the response matrix ``R[b, j] =
eps(E_j)[b] w_j`` of the :class:`~cevns.likelihood.signal.Response` protocol, so that
``counts = exposure * R @ dR/dE``. For XENONnT (0.5..5.0 keVnr in steps of 0.1, 4 points
per interval: 180 nodes) this is 1.3e-10 from adaptive quadrature per bin.

Several blocks of bins (science runs with their own exposures) share one response when
each block's efficiencies are weighted by its exposure and the response's exposure is
1 t yr (:func:`weighted_blocks`); a nuisance grid then morphs every block at once.

Templates on disk are read by :func:`read_efficiency_grid`: one file per energy and grid
point, named by a pattern with ``{e_nr_kev}``, the nuisance names and ``{block}`` as
:meth:`str.format` fields, holding the efficiencies as an HDF5 dataset, by default in the
``inference-interface`` layout of :mod:`cevns.data.hdf5_hist` (named axes checked).

Units: exposure in tonne-years of 1000 kg x 365.25 days.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.physics.nuclei import Target

__all__ = ["GAUSS_POINTS", "MonoResponse", "read_efficiency_grid", "weighted_blocks"]


def __dir__() -> list[str]:
    return __all__


#: Gauss-Legendre points per interval between two efficiency energies (default).
GAUSS_POINTS = 4
#: Days of a year of the exposure unit t yr.
DAYS_PER_YEAR = 365.25

GridPoint = tuple[float, ...]


class MonoResponse:
    """Signal response from mono-energetic efficiencies (module notes: the recipe).

    Implements :class:`cevns.likelihood.signal.Response`: the recoil nodes are
    ``gauss_points`` Gauss-Legendre points in each interval between two efficiency
    energies and ``response_matrix(nodes)`` is ``R[b, j] = eps(E_j)[b] w_j``.

    Parameters
    ----------
    name : str
    efficiencies : array, shape (n_E, n_bins)
        At the recoil energies ``e_nr_kev``.
    e_nr_kev : array
        Increasing recoil energies [keVnr] of the efficiencies.
    exposure_t_yr : float
        Exposure [t yr] (1 when the efficiencies already carry it, :func:`weighted_blocks`).
    target : Target
        The nuclei whose recoils the efficiencies select.
    gauss_points : int
        Gauss-Legendre points per interval (default :data:`GAUSS_POINTS`).
    block_exposures_t_yr : mapping of str to float, optional
        The exposure [t yr] of each block of bins, in order, when ``efficiencies`` are
        blocks weighted by them (:func:`weighted_blocks`; ``exposure_t_yr`` is then 1):
        what the experiment's other components (backgrounds in 1/(t yr)) scale by.
    """

    def __init__(
        self,
        name: str,
        efficiencies: ArrayLike,
        e_nr_kev: ArrayLike,
        exposure_t_yr: float,
        *,
        target: Target,
        gauss_points: int = GAUSS_POINTS,
        block_exposures_t_yr: Mapping[str, float] | None = None,
    ) -> None:
        self.name = name
        self.e_nr_kev = np.asarray(e_nr_kev, dtype=np.float64)
        eff = np.asarray(efficiencies, dtype=np.float64)
        if eff.ndim != 2 or eff.shape[0] != self.e_nr_kev.size:
            msg = (
                f"{name}: efficiencies must have shape (n_energies = {self.e_nr_kev.size}, "
                f"n_bins), got {eff.shape}"
            )
            raise InvalidParameterError(msg)
        if self.e_nr_kev.size < 2 or np.any(np.diff(self.e_nr_kev) <= 0):
            msg = f"{name}: e_nr_kev must be >= 2 increasing energies, got {self.e_nr_kev.tolist()}"
            raise InvalidParameterError(msg)
        if not exposure_t_yr > 0:
            msg = f"{name}: exposure_t_yr must be > 0, got {exposure_t_yr!r}"
            raise InvalidParameterError(msg)
        if not isinstance(gauss_points, int) or gauss_points < 1:
            msg = f"{name}: gauss_points must be an integer >= 1, got {gauss_points!r}"
            raise InvalidParameterError(msg)
        given: object = target
        if not isinstance(given, Target):
            msg = f"{name}: target must be a cevns.physics.nuclei.Target, got {target!r}"
            raise InvalidParameterError(msg)
        blocks = None if block_exposures_t_yr is None else dict(block_exposures_t_yr)
        if blocks is not None and (
            exposure_t_yr != 1.0 or not blocks or not all(x > 0 for x in blocks.values())
        ):
            msg = (
                f"{name}: block_exposures_t_yr must be > 0 t yr each, with exposure_t_yr = 1 "
                f"(the blocks carry them), got {blocks} and exposure_t_yr={exposure_t_yr!r}"
            )
            raise InvalidParameterError(msg)
        self.block_exposures_t_yr = blocks
        self.efficiencies = eff
        self.exposure_t_yr = float(exposure_t_yr)
        self.target = target
        self.gauss_points = gauss_points
        x, w = np.polynomial.legendre.leggauss(gauss_points)
        lo, hi = self.e_nr_kev[:-1, None], self.e_nr_kev[1:, None]
        self._nodes = (0.5 * (hi - lo) * x + 0.5 * (hi + lo)).ravel()
        self._weights = (0.5 * (hi - lo) * w).ravel()
        t = (x + 1.0) / 2.0  # position inside the interval, 0..1
        k = np.arange(self.e_nr_kev.size - 1)
        self._eps = (
            eff[k][:, None, :] * (1.0 - t)[None, :, None]
            + eff[k + 1][:, None, :] * t[None, :, None]
        ).reshape(-1, eff.shape[1])
        self.response_key = (name, eff.tobytes().__hash__(), gauss_points)

    def exposures_t_yr(self, blocks: Sequence[str]) -> dict[str, float]:
        """The exposure [t yr] of each block, for components that scale with it.

        Parameters
        ----------
        blocks : sequence of str
            The blocks expected (e.g. a dataset's science runs), in order: those of
            ``block_exposures_t_yr``, or one block for a response without blocks.

        Returns
        -------
        dict of str to float
            Block -> exposure [t yr].

        Raises
        ------
        InvalidParameterError
            The response's blocks are not ``blocks``; the message names both.
        """
        names = tuple(blocks)
        if self.block_exposures_t_yr is None and len(names) == 1:
            return {names[0]: self.exposure_t_yr}
        if self.block_exposures_t_yr is None or tuple(self.block_exposures_t_yr) != names:
            got = self.block_exposures_t_yr
            have = "one exposure, no blocks" if got is None else f"the blocks {list(got)}"
            msg = (
                f"{self.name}: the response has {have}, expected the blocks {list(names)} "
                "(its exposure_t_yr must name them, in order)"
            )
            raise InvalidParameterError(msg)
        return dict(self.block_exposures_t_yr)

    @property
    def n_bins(self) -> int:
        """Observed bins (flattened)."""
        return int(self.efficiencies.shape[1])

    @property
    def exposure_kg_day(self) -> float:
        """Exposure [kg day] (1 t yr = 1000 kg x 365.25 d)."""
        return self.exposure_t_yr * 1000.0 * DAYS_PER_YEAR

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """The Gauss-Legendre nodes [keVnr] over the efficiency range, for any ``e_nr_max_kev``.

        Parameters
        ----------
        e_nr_max_kev : float
            Largest recoil energy of the signal [keVnr]; ignored (the nodes are fixed:
            nothing is observed outside the efficiency range).

        Returns
        -------
        ndarray
            A copy of the Gauss-Legendre nodes [keVnr].
        """
        return self._nodes.copy()

    def response_matrix(self, e_nr_nodes: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(n_bins, n_nodes)`` at the nodes of :meth:`recoil_grid` (other nodes: an error).

        Parameters
        ----------
        e_nr_nodes : ndarray
            Recoil energies [keVnr]; must be the nodes of :meth:`recoil_grid`.

        Returns
        -------
        ndarray of shape (n_bins, n_nodes)
            Efficiency of each observed bin times the quadrature weight of each node.
        """
        x = np.asarray(e_nr_nodes, dtype=np.float64)
        if x.shape != self._nodes.shape or not np.array_equal(x, self._nodes):
            msg = (
                f"{self.name}: response_matrix needs the {self._nodes.size} Gauss-Legendre "
                f"nodes of recoil_grid(), got {x.size} other nodes"
            )
            raise InvalidParameterError(msg)
        return np.ascontiguousarray((self._eps * self._weights[:, None]).T)

    def __repr__(self) -> str:
        return f"MonoResponse({self.name!r}, exposure_t_yr={self.exposure_t_yr})"


def weighted_blocks(
    efficiencies: Sequence[NDArray[np.float64]], exposures_t_yr: Sequence[float]
) -> NDArray[np.float64]:
    """Blocks of bins side by side, each weighted by its exposure (a response of 1 t yr).

    Parameters
    ----------
    efficiencies : sequence of arrays, each (n_E, n_bins_i)
        One block per science run, at the same energies.
    exposures_t_yr : sequence of float
        The blocks' exposures [t yr] (> 0).

    Returns
    -------
    ndarray of shape (n_E, sum n_bins_i)
        ``[eps_1 x_1, eps_2 x_2, ...]``, for a :class:`MonoResponse` of exposure 1 t yr.
    """
    if len(efficiencies) != len(exposures_t_yr) or not efficiencies:
        msg = (
            f"weighted_blocks needs one exposure per block, got {len(efficiencies)} blocks "
            f"and {len(exposures_t_yr)} exposures"
        )
        raise InvalidParameterError(msg)
    bad = [x for x in exposures_t_yr if not x > 0]
    if bad:
        msg = f"block exposures must be > 0 t yr, got {list(exposures_t_yr)}"
        raise InvalidParameterError(msg)
    return np.concatenate(
        [e * x for e, x in zip(efficiencies, exposures_t_yr, strict=True)], axis=1
    )


def _fields(pattern: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(pattern) if f}


def read_efficiency_grid(
    open_file: Callable[[str], Path],
    pattern: str,
    e_nr_kev: Sequence[float],
    axes: Mapping[str, Sequence[float]],
    *,
    block: str | None = None,
    dataset: str = "templates/template",
    axis_names: Sequence[str] | None = None,
    edges: Sequence[NDArray[np.float64]] | None = None,
) -> dict[GridPoint, NDArray[np.float64]]:
    """Mono-energetic efficiencies ``(n_E, n_bins)`` at every point of a nuisance grid.

    The files are read by :func:`cevns.data.hdf5_hist.read_histograms`. When the first
    file has the ``inference-interface`` layout (a group ``bins`` of named axes), every
    file must have the axes of ``axis_names`` and ``edges``, or of the first file when they
    are not given (edges to :data:`~cevns.data.hdf5_hist.EDGE_RTOL`); otherwise a file
    holds only the ``dataset`` of values (the first file's shape, flattened).

    Parameters
    ----------
    open_file : callable
        ``relative path -> Path`` (e.g. a release's checksum-verified ``path``).
    pattern : str
        File name with the fields ``{e_nr_kev}``, one per nuisance of ``axes`` and
        ``{block}`` if ``block`` is given (format specs allowed: ``{e_nr_kev:.3f}``).
    e_nr_kev : sequence of float
        The energies [keVnr] of the templates.
    axes : mapping of str to sequence of float
        Nuisance name -> grid values (an empty mapping: one template per energy).
    block : str, optional
        The value of ``{block}`` (a science run).
    dataset : str
        HDF5 dataset holding the template (flattened, any shape).
    axis_names : sequence of str, optional
        The expected names of the observed axes (files of the ``bins`` layout only).
    edges : sequence of arrays, optional
        The expected edges of the observed axes (files of the ``bins`` layout only).

    Returns
    -------
    dict
        Grid point (one value per axis, in the order of ``axes``) -> efficiencies.

    Raises
    ------
    InvalidConfigError
        The pattern's fields do not match, a file is not an efficiency template (layout,
        axes other than the first file's or the expected ones, shape, values outside
        0..1, a sum above 1 at one energy).
    """
    import h5py

    from cevns.data.hdf5_hist import read_histograms

    want = {"e_nr_kev", *axes} | ({"block"} if block is not None else set())
    got = _fields(pattern)
    if got != want:
        msg = (
            f"template pattern {pattern!r} has the fields {sorted(got)}, expected {sorted(want)} "
            "(e_nr_kev, the nuisances, and block when blocks are given)"
        )
        raise InvalidConfigError(msg)
    names = tuple(axes)
    points = list(itertools.product(*(tuple(float(v) for v in axes[n]) for n in names)))

    def relative(point: GridPoint, e: float) -> str:
        values = dict(zip(names, point, strict=True)) | {"e_nr_kev": float(e)}
        return pattern.format(**values, **({"block": block} if block is not None else {}))

    paths = [open_file(relative(point, e)) for point in points for e in e_nr_kev]
    try:
        with h5py.File(paths[0], "r") as h:
            layout = "bins" if isinstance(h.get("bins"), h5py.Group) else None
    except OSError as exc:
        msg = f"{paths[0]}: not a readable HDF5 file ({' '.join(str(exc).split())})"
        raise InvalidConfigError(msg) from None
    if layout is None and (axis_names is not None or edges is not None):
        msg = f"{paths[0]}: expected the observed axes {axis_names} in a group 'bins'; it has none"
        raise InvalidConfigError(msg)
    hists = read_histograms(paths, axis_names=axis_names, edges=edges, values=dataset, axes=layout)
    # every file has the first one's shape (read_histograms): (grid point, energy, bin)
    eff = np.array([h.values.ravel() for h in hists]).reshape(len(points), len(e_nr_kev), -1)
    sums = eff.sum(axis=2)
    bad = np.any(eff > 1.0 + 1e-9, axis=(1, 2)) | np.any(sums > 1.0 + 1e-6, axis=1)
    if np.any(bad):
        i = int(np.argmax(bad))
        msg = (
            f"{pattern} ({dict(zip(names, points[i], strict=True))}, block {block}): templates "
            "must be efficiencies (each in 0..1, summing to <= 1 per energy); "
            f"max {eff[i].max():.4g}, max sum {sums[i].max():.4g}"
        )
        raise InvalidConfigError(msg)
    return {point: eff[i] for i, point in enumerate(points)}
