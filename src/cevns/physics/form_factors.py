"""Nuclear form factors F(q), vectorised in the momentum transfer q [MeV].

A form factor is any callable ``ff(q_mev, nucleus) -> ndarray`` (see :class:`FormFactor`).
Proton and neutron distributions may differ: the cross section takes a pair
``(proton_ff, neutron_ff)`` or one form factor used for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_positive
from cevns.core.constants import HBARC_MEV_FM
from cevns.physics.nuclei import Nucleus

__all__ = ["FormFactor", "Helm", "KleinNystrand", "Unity", "spherical_j1_over_x"]


def __dir__() -> list[str]:
    return __all__


@runtime_checkable
class FormFactor(Protocol):
    """Anything that maps (q [MeV], nucleus) to F(q), with F(0) = 1."""

    def __call__(self, q_mev: ArrayLike, nucleus: Nucleus) -> NDArray[np.float64]:
        """Evaluate F(q) for this nucleus."""
        ...


def spherical_j1_over_x(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``3 j1(x) / x`` with the small-x series, so that the value at 0 is exactly 1.

    Parameters
    ----------
    x : ndarray
        Dimensionless argument (``q R``).

    Returns
    -------
    ndarray
        ``3 j1(x) / x``, same shape as ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = np.abs(x) < 1e-3
    xs = x[small]
    out[small] = 1.0 - xs**2 / 10.0 + xs**4 / 280.0
    xl = x[~small]
    out[~small] = 3.0 * (np.sin(xl) - xl * np.cos(xl)) / xl**3
    return out


@dataclass(frozen=True)
class Unity:
    """F(q) = 1 (point-like nucleus)."""

    def __call__(self, q_mev: ArrayLike, nucleus: Nucleus) -> NDArray[np.float64]:
        """Evaluate the form factor."""
        return np.ones_like(np.asarray(q_mev, dtype=np.float64))


@dataclass(frozen=True)
class Helm:
    """Helm form factor ``3 j1(q r0)/(q r0) exp(-q^2 s^2 / 2)``.

    Parameters
    ----------
    s_fm : float
        Skin thickness (default 0.9 fm).
    c_fm : float, optional
        Half-density radius; default the Lewin & Smith fit ``1.23 A^(1/3) - 0.60`` fm.
    a_fm : float
        Diffuseness in the Lewin-Smith radius ``r0^2 = c^2 + 7/3 pi^2 a^2 - 5 s^2`` (0.52 fm).
    skin_fm : float
        Added to the radius (e.g. a neutron skin for the neutron distribution).

    References
    ----------
    R.H. Helm, Phys. Rev. 104, 1466 (1956); J.D. Lewin and P.F. Smith,
    Astropart. Phys. 6, 87 (1996), Eq. 4.11.

    Examples
    --------
    >>> from cevns.physics.nuclei import Nucleus
    >>> cs = Nucleus.from_isotope("Cs133")
    >>> float(Helm()(0.0, cs))
    1.0
    >>> round(float(Helm()(50.0, cs)), 4)
    0.7753
    """

    s_fm: float = 0.9
    c_fm: float | None = None
    a_fm: float = 0.52
    skin_fm: float = 0.0

    def radius_fm(self, nucleus: Nucleus) -> float:
        """Effective radius r0 [fm].

        Parameters
        ----------
        nucleus : Nucleus
            The nucleus (its mass number sets the radius).

        Returns
        -------
        float
            ``r0`` [fm].
        """
        c = 1.23 * nucleus.a ** (1.0 / 3.0) - 0.60 if self.c_fm is None else self.c_fm
        r2 = c**2 + 7.0 / 3.0 * np.pi**2 * self.a_fm**2 - 5.0 * self.s_fm**2
        return float(np.sqrt(r2)) + self.skin_fm

    def __call__(self, q_mev: ArrayLike, nucleus: Nucleus) -> NDArray[np.float64]:
        """Evaluate the form factor."""
        q = np.asarray(q_mev, dtype=np.float64) / HBARC_MEV_FM  # fm^-1
        r0 = self.radius_fm(nucleus)
        return spherical_j1_over_x(q * r0) * np.exp(-0.5 * (q * self.s_fm) ** 2)


@dataclass(frozen=True)
class KleinNystrand:
    """Klein-Nystrand form factor ``3 j1(q R_A)/(q R_A) / (1 + q^2 a_k^2)``.

    Parameters
    ----------
    r_a_coefficient_fm : float
        R_A = coefficient * A^(1/3) (1.2 fm, as used by COHERENT).
    a_k_fm : float
        Range of the Yukawa potential (0.7 fm).
    r_a_fm : float, optional
        Fixed R_A overriding the A^(1/3) scaling.

    References
    ----------
    S.R. Klein and J. Nystrand, Phys. Rev. C 60, 014903 (1999); seed 002 ref. [29].
    """

    r_a_coefficient_fm: float = 1.2
    a_k_fm: float = 0.7
    r_a_fm: float | None = None

    def __post_init__(self) -> None:
        check_positive("r_a_coefficient_fm", self.r_a_coefficient_fm)
        check_positive("a_k_fm", self.a_k_fm)

    def __call__(self, q_mev: ArrayLike, nucleus: Nucleus) -> NDArray[np.float64]:
        """Evaluate the form factor."""
        q = np.asarray(q_mev, dtype=np.float64) / HBARC_MEV_FM
        r_a = (
            self.r_a_fm
            if self.r_a_fm is not None
            else self.r_a_coefficient_fm * nucleus.a ** (1 / 3)
        )
        return spherical_j1_over_x(q * r_a) / (1.0 + (q * self.a_k_fm) ** 2)
