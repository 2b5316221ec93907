"""Quenching: the ionisation (or scintillation) energy of a nuclear recoil, E_ee(E_nr).

A quenching model is any callable ``q(e_nr_kev) -> e_ee_kev`` with a ``valid_range_kev``
(lo, hi) attribute; outside it the models raise instead of extrapolating. Each model
carries a ``scale`` (a nuisance parameter: E_ee -> scale * E_ee) and ``with_scale``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, check_positive
from cevns.core.exceptions import InvalidParameterError

__all__ = [
    "ConstantQuenching",
    "Lindhard",
    "LinearQuenching",
    "ModifiedLindhard",
    "PolynomialQuenching",
    "Quenching",
    "TabulatedQuenching",
]


def __dir__() -> list[str]:
    return __all__


@runtime_checkable
class Quenching(Protocol):
    """E_ee [keVee] from E_nr [keVnr]."""

    @property
    def valid_range_kev(self) -> tuple[float, float]:
        """Recoil energies [keVnr] the model covers (no extrapolation outside)."""
        ...

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """Ionisation energy [keVee]."""
        ...


def _check_common(obj: Any) -> None:
    """Constructor checks shared by every model: the scale and the range of validity."""
    name = type(obj).__name__
    s = obj.scale
    if isinstance(s, bool) or not isinstance(s, int | float | np.integer | np.floating):
        msg = f"{name}: scale must be a number > 0, got {s!r}"
        raise InvalidParameterError(msg)
    if not (math.isfinite(s) and s > 0):
        msg = f"{name}: scale must be > 0 and finite, got {float(s)!r}"
        raise InvalidParameterError(msg)
    rng = obj.valid_range_kev
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        msg = f"{name}: valid_range_kev must be (lo, hi) in keVnr, got {rng!r}"
        raise InvalidParameterError(msg) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        msg = f"{name}: valid_range_kev must satisfy 0 <= lo < hi (finite, keVnr), got {rng!r}"
        raise InvalidParameterError(msg)


def _check_number(owner: Any, field_name: str, value: Any, *, positive: bool = False) -> float:
    """A finite real number (``> 0`` with ``positive``), named ``Owner: field`` in errors."""
    name = type(owner).__name__
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if not ok or not math.isfinite(value) or (positive and not value > 0):
        what = "> 0 and finite" if positive else "a finite number"
        msg = f"{name}: {field_name} must be {what}, got {value!r}"
        raise InvalidParameterError(msg)
    return float(value)


def _check_lindhard(owner: Any) -> None:
    _check_number(owner, "k", owner.k, positive=True)
    z = owner.z
    if isinstance(z, bool) or not isinstance(z, int | np.integer) or not 1 <= z <= 118:
        msg = f"{type(owner).__name__}: z must be a proton number (an integer 1..118), got {z!r}"
        raise InvalidParameterError(msg)


class _Base:
    scale: float
    valid_range_kev: tuple[float, float]

    def _check(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        e = as_float_array("e_nr_kev", e_nr_kev)
        lo, hi = self.valid_range_kev
        bad = (e < lo) | (e > hi)
        if np.any(bad):
            vals = e[bad].ravel()[:3].tolist()
            msg = (
                f"{type(self).__name__} covers recoil energies {lo:g} to {hi:g} keVnr; "
                f"got {vals} (no extrapolation)"
            )
            raise InvalidParameterError(msg)
        return e

    def with_scale(self, scale: float) -> Any:
        """A copy whose E_ee is multiplied by ``scale`` (quenching nuisance)."""
        return dataclasses.replace(self, scale=check_positive("scale", scale))  # type: ignore[type-var]

    def quenching_factor(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee / E_nr."""
        e = as_float_array("e_nr_kev", e_nr_kev)
        return np.asarray(self(e) / np.where(e > 0, e, 1.0), dtype=np.float64)  # type: ignore[operator]


def _lindhard_factor(e_nr_kev: NDArray[np.float64], k: float, z: int) -> NDArray[np.float64]:
    eps = 11.5 * e_nr_kev * z ** (-7.0 / 3.0)
    g = 3.0 * eps**0.15 + 0.7 * eps**0.6 + eps
    return np.asarray(k * g / (1.0 + k * g), dtype=np.float64)


@dataclass(frozen=True)
class Lindhard(_Base):
    """Lindhard quenching.

    ``Q = k g(eps) / (1 + k g(eps))``, ``eps = 11.5 E Z^(-7/3)``,
    ``g = 3 eps^0.15 + 0.7 eps^0.6 + eps`` (J. Lindhard et al., Mat. Fys. Medd. 33, 10 (1963)).

    Parameters
    ----------
    k : float
        0.157 for Ge (at 4.5 keVnr the Fef curve equals it, data README).
    z : int
        Proton number of the target (32 for Ge).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    valid_range_kev : (float, float), optional
        Recoil energies [keVnr] the model may be evaluated at (default 0 to 1e4).

    Examples
    --------
    >>> round(float(Lindhard()(4.5)) / 4.5, 4)
    0.2093
    """

    k: float = 0.157
    z: int = 32
    scale: float = 1.0
    valid_range_kev: tuple[float, float] = (0.0, 1e4)

    def __post_init__(self) -> None:
        _check_lindhard(self)
        _check_common(self)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        e = self._check(e_nr_kev)
        return self.scale * e * _lindhard_factor(e, self.k, self.z)


@dataclass(frozen=True)
class ModifiedLindhard(_Base):
    """Lindhard quenching with a multiplicative adiabatic correction.

    ``Q = (1 - exp(-E / adiabatic_kev)) k g(eps) / (1 + k g(eps))``: the Lindhard yield
    suppressed below ``adiabatic_kev``. This is the parametrisation of B.J. Scholz et al.,
    PRD 94, 122003 (2016), arXiv:1608.03588, Eq. 5 (their Ge fit: k = 0.1789,
    adiabatic_kev = 0.16). It is *not* the "modified Lindhard" model of P. Sorensen, PRD
    91, 083509 (2015), arXiv:1412.3028, that seed 000 uses through its ref. [89]: that
    model's second parameter, ``q``, may be negative (J. Liao, H. Liu, D. Marfatia,
    arXiv:2202.10622, fit it to the Dresden-II data with q < 0), which an exponential
    cut-off cannot be; its form and germanium values could not be read here (issue 17
    item 4). ``adiabatic_kev`` has no default: give the value of the analysis you reproduce.

    Parameters
    ----------
    adiabatic_kev : float
        Recoil energy [keVnr] below which the yield is suppressed (> 0, no default).
    k : float, optional
        Lindhard k (default 0.157, germanium).
    z : int, optional
        Proton number of the target (default 32, germanium).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    valid_range_kev : (float, float), optional
        Recoil energies [keVnr] the model may be evaluated at (default 0 to 1e4).
    """

    adiabatic_kev: float
    k: float = 0.157
    z: int = 32
    scale: float = 1.0
    valid_range_kev: tuple[float, float] = (0.0, 1e4)

    def __post_init__(self) -> None:
        _check_number(self, "adiabatic_kev", self.adiabatic_kev, positive=True)
        _check_lindhard(self)
        _check_common(self)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        e = self._check(e_nr_kev)
        f = -np.expm1(-e / self.adiabatic_kev)
        return self.scale * e * f * _lindhard_factor(e, self.k, self.z)


@dataclass(frozen=True)
class TabulatedQuenching(_Base):
    """Quenching factor QF(E_nr) from a table, linearly interpolated; E_ee = QF E_nr.

    Parameters
    ----------
    e_nr_kev, qf : arrays
        Table (energies strictly increasing). Below the table: an error.
    above : {"error", "constant"}
        Above the table: an error, or the last tabulated QF held constant (a stated
        continuation, not a silent one).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    label : str, optional
        Where the table came from (e.g. its file), for messages (default ``"table"``).
    valid_range_kev : (float, float), optional
        Not to be given: set from the table (its first energy to its last, or to 1e4 keVnr
        with ``above="constant"``).

    Examples
    --------
    >>> q = TabulatedQuenching([0.0, 1.0, 2.0], [0.3, 0.25, 0.2])
    >>> float(q(1.5))
    0.3375
    """

    e_nr_kev: Any
    qf: Any
    scale: float = 1.0
    label: str = "table"
    above: Literal["error", "constant"] = "error"
    valid_range_kev: tuple[float, float] = field(default=(0.0, 0.0))

    def __post_init__(self) -> None:
        if self.above not in ("error", "constant"):
            msg = f"above must be 'error' or 'constant', got {self.above!r}"
            raise InvalidParameterError(msg)
        e = check_increasing("e_nr_kev", self.e_nr_kev)
        q = as_float_array("qf", self.qf)
        if q.shape != e.shape:
            msg = f"qf has shape {q.shape}, the energies {e.shape}"
            raise InvalidParameterError(msg)
        if np.any(q <= 0) or np.any(q > 1):
            msg = f"quenching factors must be in (0, 1], got values from {q.min()} to {q.max()}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "e_nr_kev", e)
        object.__setattr__(self, "qf", q)
        hi = float(e[-1]) if self.above == "error" else 1e4
        object.__setattr__(self, "valid_range_kev", (float(e[0]), hi))
        _check_common(self)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        e = self._check(e_nr_kev)
        return np.asarray(self.scale * e * np.interp(e, self.e_nr_kev, self.qf), dtype=np.float64)


@dataclass(frozen=True)
class ConstantQuenching(_Base):
    """E_ee = QF E_nr with a constant QF (COHERENT CsI 2017: 0.0878 +- 0.0166).

    Parameters
    ----------
    qf : float, optional
        Quenching factor, in (0, 1] (default 0.0878).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    valid_range_kev : (float, float), optional
        Recoil energies [keVnr] the model may be evaluated at (default 0 to 1e4).
    """

    qf: float = 0.0878
    scale: float = 1.0
    valid_range_kev: tuple[float, float] = (0.0, 1e4)

    def __post_init__(self) -> None:
        qf = _check_number(self, "qf", self.qf)
        if not 0 < qf <= 1:
            msg = f"ConstantQuenching: qf must be in (0, 1], got {qf!r}"
            raise InvalidParameterError(msg)
        _check_common(self)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        return self.scale * self.qf * self._check(e_nr_kev)


@dataclass(frozen=True)
class PolynomialQuenching(_Base):
    """E_ee as a polynomial in E_nr: ``E_ee = sum_i c_i x^(i+1)`` in the units given.

    COHERENT CsI 2021 (``scintRespCoefficients.txt``): x in MeVnr, E_ee in MeVee with
    c = (0.0554628, 4.30681, -111.707, 840.384).

    Parameters
    ----------
    coefficients : tuple of float, optional
        Coefficients ``c_i`` of ``x^(i+1)`` (at least one; default the COHERENT CsI 2021 fit).
    unit : {"MeV", "keV"}, optional
        Unit of both x (nuclear recoil) and E_ee in the polynomial (default ``"MeV"``).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    valid_range_kev : (float, float), optional
        Recoil energies [keVnr] the model may be evaluated at (default 0 to 100).
    """

    coefficients: tuple[float, ...] = (0.0554628, 4.30681, -111.707, 840.384)
    unit: Literal["MeV", "keV"] = "MeV"
    scale: float = 1.0
    valid_range_kev: tuple[float, float] = (0.0, 100.0)

    def __post_init__(self) -> None:
        coeffs = tuple(self.coefficients)
        if not coeffs:
            msg = "PolynomialQuenching: coefficients must hold at least one number, got ()"
            raise InvalidParameterError(msg)
        for i, c in enumerate(coeffs):
            _check_number(self, f"coefficients[{i}]", c)
        if self.unit not in ("MeV", "keV"):
            msg = f"PolynomialQuenching: unit must be 'MeV' or 'keV', got {self.unit!r}"
            raise InvalidParameterError(msg)
        _check_common(self)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        e = self._check(e_nr_kev)
        x = e / 1e3 if self.unit == "MeV" else e
        y = sum(c * x ** (i + 1) for i, c in enumerate(self.coefficients))
        out = np.asarray(y, dtype=np.float64) * (1e3 if self.unit == "MeV" else 1.0)
        return self.scale * out


@dataclass(frozen=True)
class LinearQuenching(_Base):
    """QF = a + b E_nr (COHERENT LAr 2020: a = 0.246, b = 0.00078 / keVnr).

    Parameters
    ----------
    a : float, optional
        Quenching factor at zero recoil energy (default 0.246).
    b : float, optional
        Slope of the quenching factor [1/keVnr] (default 0.00078).
    scale : float, optional
        Factor (> 0) multiplying E_ee, the quenching nuisance (default 1).
    valid_range_kev : (float, float), optional
        Recoil energies [keVnr] the model may be evaluated at (default 0 to 1e3); QF must be
        positive over it.
    """

    a: float = 0.246
    b: float = 0.00078
    scale: float = 1.0
    valid_range_kev: tuple[float, float] = (0.0, 1e3)

    def __post_init__(self) -> None:
        a = _check_number(self, "a", self.a)
        b = _check_number(self, "b", self.b)
        _check_common(self)
        # QF is linear in E_nr: positive over the whole range iff positive at both ends
        lo, hi = self.valid_range_kev
        if not (a + b * lo > 0 and a + b * hi > 0):
            msg = (
                f"LinearQuenching: QF = a + b E_nr must be > 0 over valid_range_kev "
                f"{self.valid_range_kev!r}, got {a + b * lo:g} at {lo:g} and {a + b * hi:g} "
                f"at {hi:g} keVnr (a = {a!r}, b = {b!r})"
            )
            raise InvalidParameterError(msg)

    def __call__(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """E_ee [keVee]."""
        e = self._check(e_nr_kev)
        return self.scale * e * (self.a + self.b * e)
