"""Detection efficiencies and acceptances as functions of the observable (keVee or PE).

Every model returns values in [0, 1]; a value outside is an error, never clipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing
from cevns.core.exceptions import InvalidParameterError

__all__ = [
    "CallableEfficiency",
    "ShiftedAcceptance",
    "SigmoidAcceptance2017",
    "SigmoidEfficiency2021",
    "TabulatedEfficiency",
    "UnitEfficiency",
    "check_efficiency",
]


def __dir__() -> list[str]:
    return __all__


def check_efficiency(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """Finite values in [0, 1] or an error naming the offending value.

    Parameters
    ----------
    name : str
        Name of the quantity, used in the error message.
    values : array_like
        Efficiencies to check.

    Returns
    -------
    ndarray
        The values as floats, clipped to [0, 1] (rounding above 1 by up to 1e-12 allowed).
    """
    v = as_float_array(name, values)
    bad = (v < 0) | (v > 1 + 1e-12)
    if np.any(bad):
        msg = f"{name} must lie in [0, 1], got {v[bad].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    return np.clip(v, 0.0, 1.0)


@dataclass(frozen=True)
class UnitEfficiency:
    """Efficiency 1 (e.g. acceptance-corrected data such as the Dresden-II release)."""

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Efficiency at the observable values."""
        return np.ones_like(np.asarray(x, dtype=np.float64))


@dataclass(frozen=True)
class SigmoidAcceptance2017:
    """COHERENT CsI 2017 acceptance ``a / (1 + exp(-k (x - x0))) H(x)`` in PE.

    ``H = 0`` for x < 5, 1/2 for 5 <= x < 6, 1 for x >= 6 (coherent_parameters.yaml of the
    release, arXiv:1804.09459); a = 0.6655, k = 0.4942, x0 = 10.8507.

    Parameters
    ----------
    a : float, optional
        Plateau of the sigmoid (default 0.6655).
    k : float, optional
        Slope of the sigmoid [1/PE] (default 0.4942).
    x0 : float, optional
        Mid-point of the sigmoid [PE] (default 10.8507).

    Examples
    --------
    >>> acc = SigmoidAcceptance2017()
    >>> [round(float(v), 4) for v in acc([4, 5, 20])]
    [0.0, 0.0175, 0.6583]
    """

    a: float = 0.6655
    k: float = 0.4942
    x0: float = 10.8507

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Acceptance at x PE."""
        x = np.asarray(x, dtype=np.float64)
        step = np.where(x < 5, 0.0, np.where(x < 6, 0.5, 1.0))
        return np.asarray(self.a / (1.0 + np.exp(-self.k * (x - self.x0))) * step, dtype=np.float64)


@dataclass(frozen=True)
class SigmoidEfficiency2021:
    """COHERENT CsI 2021 energy efficiency ``a / (1 + exp(-b (x - c))) + d`` in PE, floored at 0.

    Nominal a = 1.32045, b = 0.285979, c = 10.8646, d = -0.333322 (effCoefficients.txt).

    Parameters
    ----------
    a : float, optional
        Amplitude of the sigmoid (default 1.32045).
    b : float, optional
        Slope of the sigmoid [1/PE] (default 0.285979).
    c : float, optional
        Mid-point of the sigmoid [PE] (default 10.8646).
    d : float, optional
        Constant offset added to the sigmoid (default -0.333322).
    """

    a: float = 1.32045
    b: float = 0.285979
    c: float = 10.8646
    d: float = -0.333322

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Efficiency at x PE."""
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(
            np.clip(self.a / (1.0 + np.exp(-self.b * (x - self.c))) + self.d, 0.0, None),
            dtype=np.float64,
        )


@dataclass(frozen=True)
class TabulatedEfficiency:
    """Efficiency from a table, linearly interpolated; outside the table an error.

    Parameters
    ----------
    x : array_like
        Observable values of the table, strictly increasing.
    eff : array_like
        Efficiency at each ``x``, in [0, 1] (same shape as ``x``).
    """

    x: Any
    eff: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", check_increasing("x", self.x))
        e = check_efficiency("eff", self.eff)
        if e.shape != self.x.shape:
            msg = f"eff has shape {e.shape}, x has {self.x.shape}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "eff", e)

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Efficiency at x."""
        v = as_float_array("x", x)
        if np.any(v < self.x[0]) or np.any(v > self.x[-1]):
            msg = f"efficiency table covers {self.x[0]:g} to {self.x[-1]:g}, got values outside"
            raise InvalidParameterError(msg)
        return np.asarray(np.interp(v, self.x, self.eff), dtype=np.float64)


@dataclass(frozen=True)
class CallableEfficiency:
    """Wrap a user function; its values are checked to lie in [0, 1].

    Parameters
    ----------
    fn : callable
        Function of the observable (array) returning efficiencies in [0, 1].
    """

    fn: Callable[[NDArray[np.float64]], ArrayLike]

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Efficiency at x."""
        return check_efficiency("efficiency", self.fn(np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class ShiftedAcceptance:
    """An acceptance of the PE count ``n`` evaluated at ``n + shift`` (bin-centre convention).

    A release that evaluates its acceptance "at the centre of 1-PE bins" (0.5 for the first
    bin) counts an event with ``n`` photoelectrons in ``[n, n + 1)``: ``shift = 0.5``.

    Parameters
    ----------
    function : callable
        Acceptance of a (continuous) PE value.
    shift : float
        Added to the PE count before ``function`` is evaluated.

    Examples
    --------
    >>> acc = ShiftedAcceptance(SigmoidAcceptance2017(), 0.5)
    >>> [round(float(v), 4) for v in acc(np.array([4.0, 5.0, 6.0]))]
    [0.0, 0.0221, 0.0694]
    """

    function: Callable[[NDArray[np.float64]], Any]
    shift: float = 0.5

    def __call__(self, n_pe: NDArray[np.float64]) -> NDArray[np.float64]:
        """Acceptance of ``n_pe`` photoelectrons."""
        return np.asarray(self.function(np.asarray(n_pe, dtype=np.float64) + self.shift))
