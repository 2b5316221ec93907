"""Binning helpers shared by detectors, sources and backgrounds: sub-bins and overlap rebinning."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, check_positive
from cevns.core.exceptions import InvalidParameterError

__all__ = ["overlap_rebin", "subdivide_edges"]


def __dir__() -> list[str]:
    return __all__


def subdivide_edges(edges: ArrayLike, step: float) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Split each bin into equal sub-bins no wider than ``step``.

    Parameters
    ----------
    edges : array_like
        Increasing bin edges.
    step : float
        Largest sub-bin width (same unit as ``edges``), > 0.

    Returns
    -------
    grid : ndarray
        The sub-bin edges.
    owner : ndarray of int
        For each sub-bin, the index of the bin it belongs to.

    Examples
    --------
    >>> g, i = subdivide_edges([0.0, 1.0, 1.5], 0.5)
    >>> g.tolist(), i.tolist()
    ([0.0, 0.5, 1.0, 1.5], [0, 0, 1])
    """
    e = check_increasing("edges", edges)
    s = check_positive("step", step)
    widths = np.diff(e)
    m = np.maximum(1, np.ceil(widths / s - 1e-12).astype(np.int64))
    owner = np.repeat(np.arange(widths.size), m)
    k = np.arange(owner.size) - np.repeat(np.cumsum(m) - m, m)
    grid = np.append(e[:-1][owner] + k * (widths / m)[owner], e[-1])
    return grid, owner


def overlap_rebin(centres: ArrayLike, weights: ArrayLike, edges: ArrayLike) -> NDArray[np.float64]:
    """Rebin a histogram given on uniform bin centres into ``edges``.

    Each source bin (width = the centre spacing) is taken as uniform; a target bin receives
    the fraction of every source bin it overlaps.

    Parameters
    ----------
    centres : array_like
        Uniformly spaced, increasing centres of the source bins (at least two).
    weights : array_like
        Content of each source bin (same length as ``centres``).
    edges : array_like
        Increasing target-bin edges.

    Examples
    --------
    >>> overlap_rebin([0.5, 1.5, 2.5], [1.0, 2.0, 3.0], [0.0, 1.0, 2.5]).tolist()
    [1.0, 3.5]
    """
    c = check_increasing("centres", centres)
    w = as_float_array("weights", weights)
    e = check_increasing("edges", edges)
    if w.shape != c.shape:
        msg = f"weights must have the shape of centres {c.shape}, got {w.shape}"
        raise InvalidParameterError(msg)
    width = float(c[1] - c[0])
    lo = c - width / 2
    hi = c + width / 2
    left = np.maximum(lo[None, :], e[:-1, None])
    right = np.minimum(hi[None, :], e[1:, None])
    frac = np.clip(right - left, 0.0, None) / width
    return np.asarray(frac @ w, dtype=np.float64)
