"""Energy resolution: probability for a true value to be reconstructed in each observed bin.

A resolution model maps true observable values (E_ee in keVee, or a mean number of
photoelectrons) and observed bin edges to a ``(n_bins, n_true)`` matrix of probabilities,
integrated over each bin (differences of normal CDFs, or sums of Poisson probabilities),
never sampled at the bin centre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from cevns.core._validation import check_positive
from cevns.core.exceptions import InvalidParameterError

__all__ = [
    "GaussianResolution",
    "PoissonPE",
    "RelativeGaussian",
    "Resolution",
    "SigmaResolution",
    "TruncatedGaussianResolution",
]


def __dir__() -> list[str]:
    return __all__


@runtime_checkable
class Resolution(Protocol):
    """``bin_probabilities(true, edges) -> (n_bins, n_true)``."""

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Probability of each observed bin for each true value.

        Parameters
        ----------
        true : ndarray
            True values of the observable, shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins, shape ``(m + 1,)``.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true value.
        """
        ...


def _gauss_bins(
    true: NDArray[np.float64], sigma: NDArray[np.float64], edges: NDArray[np.float64]
) -> NDArray[np.float64]:
    z = (edges[:, None] - true[None, :]) / (np.sqrt(2.0) * sigma[None, :])
    cdf = 0.5 * special.erfc(-z)
    return np.asarray(np.diff(cdf, axis=0), dtype=np.float64)


@dataclass(frozen=True)
class GaussianResolution:
    """Gaussian smearing with ``sigma^2 = sigma_n^2 + eta F E`` (seed 004 Sec. 3.1).

    Parameters
    ----------
    sigma_n_kev : float
        Electronic noise of the detector (no default: e.g. Dresden-II 0.0685 keVee).
    eta_kev : float
        Energy per electron-hole pair (default germanium, 2.96e-3 keVee).
    fano : float
        Fano factor (default 0.105, the germanium value used by seed 004).

    Examples
    --------
    >>> r = GaussianResolution(sigma_n_kev=0.0685)
    >>> round(float(r.sigma(0.3)), 5)
    0.06918
    """

    sigma_n_kev: float
    eta_kev: float = 2.96e-3
    fano: float = 0.105

    def __post_init__(self) -> None:
        check_positive("sigma_n_kev", self.sigma_n_kev)
        check_positive("eta_kev", self.eta_kev, allow_zero=True)
        check_positive("fano", self.fano, allow_zero=True)

    def sigma(self, e_true: ArrayLike) -> NDArray[np.float64]:
        """Sigma [keVee] at the true energy.

        Parameters
        ----------
        e_true : array_like
            True (electron-equivalent) energies [keVee]; negative values count as 0.

        Returns
        -------
        ndarray
            The width sigma [keVee] at each energy.
        """
        e = np.clip(np.asarray(e_true, dtype=np.float64), 0.0, None)
        return np.asarray(
            np.sqrt(self.sigma_n_kev**2 + self.eta_kev * self.fano * e), dtype=np.float64
        )

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Integrals of the Gaussian over each bin.

        Parameters
        ----------
        true : ndarray
            True energies [keVee], shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins [keVee], shape ``(m + 1,)``.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true energy.
        """
        return _gauss_bins(true, self.sigma(true), edges)


@dataclass(frozen=True)
class TruncatedGaussianResolution(GaussianResolution):
    """The Gaussian of seed 004 Eq. 17 renormalised to positive reconstructed energies.

    The factor ``2 / (1 + erf(E / (sqrt2 sigma)))`` divides by the probability of
    E_reco > 0: for true energies comparable with sigma (the lowest Dresden-II bins) it
    raises the rate by several percent.

    Parameters
    ----------
    sigma_n_kev : float
        Electronic noise of the detector [keVee] (no default).
    eta_kev : float, optional
        Energy per electron-hole pair [keVee] (default germanium, 2.96e-3).
    fano : float, optional
        Fano factor (default 0.105).
    """

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Integrals of the truncated Gaussian over each bin.

        Parameters
        ----------
        true : ndarray
            True energies [keVee], shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins [keVee], shape ``(m + 1,)``.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true energy, divided by P(E_reco > 0).
        """
        s = self.sigma(true)
        p = _gauss_bins(true, s, edges)
        norm = 2.0 / (1.0 + special.erf(true / (np.sqrt(2.0) * s)))
        return np.asarray(p * norm[None, :], dtype=np.float64)


@dataclass(frozen=True)
class SigmaResolution:
    """Gaussian smearing with a user function ``sigma(e_true) -> sigma`` (same units).

    Parameters
    ----------
    sigma_fn : callable
        Width as a function of the true value, in the units of the observable; must be > 0.
    """

    sigma_fn: Callable[[NDArray[np.float64]], ArrayLike]

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Integrals of the Gaussian over each bin.

        Parameters
        ----------
        true : ndarray
            True values of the observable, shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins, shape ``(m + 1,)``.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true value.
        """
        s = np.asarray(self.sigma_fn(true), dtype=np.float64) * np.ones_like(true)
        bad = ~(np.isfinite(s) & (s > 0))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            msg = (
                f"sigma_fn must return finite widths > 0; got {float(s[i])!r} at "
                f"e_true = {float(true[i])!r}"
            )
            raise InvalidParameterError(msg)
        return _gauss_bins(true, s, edges)


#: Gauss-Legendre nodes per bin of RelativeGaussian(width_of="reconstructed").
_GL_NODES = 48


@dataclass(frozen=True)
class RelativeGaussian:
    """Gaussian smearing with ``sigma / E = a / sqrt(E)`` (COHERENT LAr: a = 0.58 keVee^1/2).

    Parameters
    ----------
    a : float, optional
        Resolution coefficient [keVee^1/2] (> 0, default 0.58).
    width_of : {"true", "reconstructed"}, optional
        The energy ``E`` of the width: the true one (default; a Gaussian around the true
        energy, integrated over each bin exactly) or the reconstructed one, as the COHERENT
        LAr release words it (the density ``N(E_rec; E, a sqrt(E_rec))`` on ``E_rec > 0``, whose
        integral is exactly 1, integrated over each bin by Gauss-Legendre quadrature).

    Examples
    --------
    >>> import numpy as np
    >>> p = RelativeGaussian(0.58, width_of="reconstructed").bin_probabilities(
    ...     np.array([20.0]), np.array([0.0, 20.0, 200.0]))
    >>> round(float(p.sum()), 6), bool(p[1, 0] > p[0, 0])
    (1.0, True)
    """

    a: float = 0.58
    width_of: str = "true"

    def __post_init__(self) -> None:
        check_positive("a", self.a)
        if self.width_of not in ("true", "reconstructed"):
            msg = f"width_of must be 'true' or 'reconstructed', got {self.width_of!r}"
            raise InvalidParameterError(msg)

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Probability of each observed bin for each true energy.

        Parameters
        ----------
        true : ndarray
            True energies [keVee], shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins [keVee], shape ``(m + 1,)``.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true energy.
        """
        if self.width_of == "true":
            s = self.a * np.sqrt(np.clip(true, 1e-12, None))
            return _gauss_bins(true, s, edges)
        return self._reconstructed(np.asarray(true, dtype=np.float64), edges)

    def _reconstructed(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        # Gauss-Legendre nodes on each bin (E_rec > 0 only); the density needs no
        # normalising: int_0^inf exp(-(x - E)^2 / (2 a^2 x)) / sqrt(2 pi a^2 x) dx = 1
        e = np.maximum(np.asarray(edges, dtype=np.float64), 0.0)
        u, w = np.polynomial.legendre.leggauss(_GL_NODES)
        half = 0.5 * (e[1:] - e[:-1])
        nodes = (0.5 * (e[1:] + e[:-1]))[:, None] + half[:, None] * u[None, :]
        sig = self.a * np.sqrt(np.maximum(nodes, 1e-300))[..., None]
        zz = (nodes[..., None] - true) / sig
        dens = np.exp(-0.5 * zz * zz) / (np.sqrt(2.0 * np.pi) * sig)
        return np.asarray(np.einsum("bs,bsn->bn", half[:, None] * w[None, :], dens))


@dataclass(frozen=True)
class PoissonPE:
    """Photoelectron counting: the number of PE is Poisson with mean ``light_yield * E_ee``.

    Observed bins are in PE; a bin ``[lo, hi)`` contains the integers lo .. hi-1 (the
    COHERENT release bins [0, 2), [2, 4), ...). An optional per-PE acceptance is applied to
    each integer before summing.

    Parameters
    ----------
    light_yield_pe_per_kev : float
        13.348 PE/keVee for COHERENT CsI 2017.
    acceptance : callable, optional
        ``acceptance(n_pe) -> [0, 1]``.
    """

    light_yield_pe_per_kev: float = 13.348
    acceptance: Callable[[NDArray[np.float64]], ArrayLike] | None = None

    def __post_init__(self) -> None:
        check_positive("light_yield_pe_per_kev", self.light_yield_pe_per_kev)

    def bin_probabilities(
        self, true: NDArray[np.float64], edges: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Sums of Poisson probabilities (times the acceptance) over the integers of each bin.

        Parameters
        ----------
        true : ndarray
            True electron-equivalent energies [keVee], shape ``(n,)``.
        edges : ndarray
            Edges of the observed bins [PE], shape ``(m + 1,)``; integer PE counts are binned.

        Returns
        -------
        ndarray of shape (m, n)
            Probability of each observed bin for each true energy (acceptance included).
        """
        mean = self.light_yield_pe_per_kev * np.clip(true, 0.0, None)
        lo, hi = int(np.ceil(edges[0])), int(np.ceil(edges[-1]))
        n = np.arange(lo, hi)
        pmf = stats.poisson.pmf(n[:, None], mean[None, :])
        if self.acceptance is not None:
            pmf = pmf * np.asarray(self.acceptance(n.astype(np.float64)), dtype=np.float64)[:, None]
        idx = np.searchsorted(edges, n, side="right") - 1
        out = np.zeros((edges.size - 1, true.size))
        np.add.at(out, idx, pmf)
        return out
