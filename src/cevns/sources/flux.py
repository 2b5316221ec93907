"""Neutrino fluxes: the :class:`Flux` protocol and generic (tabulated, callable) fluxes.

A flux gives, per flavour, a continuous spectrum ``dPhi/dE_nu`` [1/(cm^2 s MeV)] on a
finite support and a list of monochromatic lines ``(E_nu [MeV], Phi [1/(cm^2 s)])``.
Fluxes are time-averaged over the exposure (see the unit convention in :mod:`cevns`).
Source-specific fluxes live in :mod:`cevns.sources.reactor` and :mod:`cevns.sources.spallation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, check_nonnegative_array
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import FLAVOURS, parse_flavour

__all__ = ["CallableFlux", "Flux", "TabulatedFlux", "as_flux"]


def __dir__() -> list[str]:
    return __all__


@runtime_checkable
class Flux(Protocol):
    """What every flux provides (no inheritance required).

    Attributes
    ----------
    flavours : tuple of str
        Flavours with a non-zero flux.

    Notes
    -----
    A flux that is a fluence spread over a live time (a pulsed source, e.g.
    :class:`~cevns.sources.spallation.PionDARFlux`) also has ``live_time_days``; a
    :class:`~cevns.likelihood.signal.Signal` then requires the detector's ``live_days`` to
    be the same.
    """

    @property
    def flavours(self) -> tuple[str, ...]:
        """Flavours with a non-zero flux."""
        ...

    def spectrum(self, flavour: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """Continuous part dPhi/dE_nu [1/(cm^2 s MeV)]; zero outside :meth:`energy_range`.

        Parameters
        ----------
        flavour : str
            Neutrino flavour (``nue``, ``numu``, ``nutau`` or an antineutrino).
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray
            dPhi/dE_nu [1/(cm^2 s MeV)], same shape as ``e_nu_mev``.
        """
        ...

    def energy_range(self, flavour: str) -> tuple[float, float]:
        """Support ``(E_min, E_max)`` [MeV] of the continuous part of ``flavour``.

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        (float, float)
            ``(E_min, E_max)`` [MeV].
        """
        ...

    def lines(self, flavour: str) -> list[tuple[float, float]]:
        """Monochromatic lines ``[(E_nu [MeV], Phi [1/(cm^2 s)]), ...]`` of ``flavour``.

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        list of (float, float)
            ``(E_nu [MeV], Phi [1/(cm^2 s)])`` of each line (empty if none).
        """
        ...


def _check_flavours(flavours: Any) -> tuple[str, ...]:
    out = tuple(flavours)
    for f in out:
        parse_flavour(f)
    if len(set(out)) != len(out):
        msg = f"flavours must be unique, got {out}"
        raise InvalidParameterError(msg)
    return out


@dataclass(frozen=True)
class TabulatedFlux:
    """Flux from tables, linearly interpolated, zero outside the table.

    Parameters
    ----------
    tables : mapping flavour -> (e_nu_mev, dphi_de)
        Energies strictly increasing [MeV]; dPhi/dE [1/(cm^2 s MeV)], >= 0.
    line_table : mapping flavour -> list of (E, Phi), optional
        Monochromatic lines.
    flavours : tuple of str
        Not to be given: set to the flavours that have a table or a line, in standard order.

    Examples
    --------
    >>> f = TabulatedFlux({"nuebar": ([1.0, 2.0, 3.0], [1e12, 2e12, 0.0])})
    >>> float(f.spectrum("nuebar", 1.5))
    1500000000000.0
    """

    tables: Mapping[str, tuple[Any, Any]]
    line_table: Mapping[str, list[tuple[float, float]]] = field(default_factory=dict)
    flavours: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clean: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
        for fl, (e, phi) in self.tables.items():
            parse_flavour(fl)
            e_arr = check_increasing(f"tables[{fl!r}] energies", e)
            p_arr = check_nonnegative_array(f"tables[{fl!r}] flux", phi)
            if p_arr.shape != e_arr.shape:
                msg = (
                    f"tables[{fl!r}]: energies and flux must have the same shape, "
                    f"got {e_arr.shape} and {p_arr.shape}"
                )
                raise InvalidParameterError(msg)
            if e_arr[0] < 0:
                msg = f"tables[{fl!r}] energies must be >= 0, got {e_arr[0]}"
                raise InvalidParameterError(msg)
            clean[fl] = (e_arr, p_arr)
        lines: dict[str, list[tuple[float, float]]] = {}
        for fl, ls in self.line_table.items():
            parse_flavour(fl)
            lines[fl] = [(float(e), float(p)) for e, p in ls]
            for e, p in lines[fl]:
                if not (np.isfinite(e) and e > 0 and np.isfinite(p) and p >= 0):
                    msg = f"line_table[{fl!r}]: need E > 0 and Phi >= 0, got ({e}, {p})"
                    raise InvalidParameterError(msg)
        object.__setattr__(self, "tables", clean)
        object.__setattr__(self, "line_table", lines)
        fl_all = tuple(f for f in FLAVOURS if f in clean or f in lines)
        object.__setattr__(self, "flavours", fl_all)

    def spectrum(self, flavour: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """Continuous part dPhi/dE_nu [1/(cm^2 s MeV)].

        Parameters
        ----------
        flavour : str
            Neutrino flavour (``nue``, ``numubar``, ...); zero for one without a table.
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray
            dPhi/dE_nu [1/(cm^2 s MeV)], linearly interpolated, zero outside the table.
        """
        e = np.asarray(e_nu_mev, dtype=np.float64)
        if flavour not in self.tables:
            parse_flavour(flavour)
            return np.zeros_like(e)
        x, y = self.tables[flavour]
        return np.interp(
            e, np.asarray(x, np.float64), np.asarray(y, np.float64), left=0.0, right=0.0
        )

    def energy_range(self, flavour: str) -> tuple[float, float]:
        """Support of the continuous part [MeV].

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        (float, float)
            First and last energy of the table [MeV]; ``(0, 0)`` for a flavour without one.
        """
        if flavour not in self.tables:
            return (0.0, 0.0)
        x, _ = self.tables[flavour]
        return float(x[0]), float(x[-1])

    def lines(self, flavour: str) -> list[tuple[float, float]]:
        """Monochromatic lines.

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        list of (float, float)
            ``(E_nu [MeV], Phi [1/(cm^2 s)])`` of each line (empty if none).
        """
        return list(self.line_table.get(flavour, []))


@dataclass(frozen=True)
class CallableFlux:
    """Flux from user callables ``f(e_nu_mev) -> dPhi/dE`` on a stated support.

    Parameters
    ----------
    functions : mapping flavour -> callable
    support : mapping flavour -> (E_min, E_max) [MeV]
    line_table : mapping flavour -> list of (E, Phi), optional
    flavours : tuple of str
        Not to be given: set to the flavours that have a function or a line, in standard order.

    Examples
    --------
    >>> f = CallableFlux({"nue": lambda e: 1e10 * e}, {"nue": (0.0, 2.0)})
    >>> float(f.spectrum("nue", 3.0))
    0.0
    """

    functions: Mapping[str, Callable[[NDArray[np.float64]], ArrayLike]]
    support: Mapping[str, tuple[float, float]]
    line_table: Mapping[str, list[tuple[float, float]]] = field(default_factory=dict)
    flavours: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for fl in self.functions:
            parse_flavour(fl)
            if fl not in self.support:
                msg = f"support is missing flavour {fl!r}: give (E_min, E_max) in MeV"
                raise InvalidParameterError(msg)
            lo, hi = self.support[fl]
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo < hi):
                msg = f"support[{fl!r}] must satisfy 0 <= E_min < E_max, got ({lo}, {hi})"
                raise InvalidParameterError(msg)
        fl_all = tuple(f for f in FLAVOURS if f in self.functions or f in self.line_table)
        object.__setattr__(self, "flavours", fl_all)

    def spectrum(self, flavour: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """Continuous part dPhi/dE_nu [1/(cm^2 s MeV)].

        Parameters
        ----------
        flavour : str
            Neutrino flavour (``nue``, ``numubar``, ...); zero for one without a function.
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray
            dPhi/dE_nu [1/(cm^2 s MeV)], zero outside the support.
        """
        e = np.asarray(e_nu_mev, dtype=np.float64)
        if flavour not in self.functions:
            parse_flavour(flavour)
            return np.zeros_like(e)
        lo, hi = self.support[flavour]
        inside = (e >= lo) & (e <= hi)
        val = as_float_array(
            f"flux[{flavour!r}]", np.broadcast_to(self.functions[flavour](e), e.shape)
        )
        if np.any(val[inside] < 0):
            msg = f"flux callable for {flavour!r} returned negative values"
            raise InvalidParameterError(msg)
        return np.where(inside, val, 0.0)

    def energy_range(self, flavour: str) -> tuple[float, float]:
        """Support of the continuous part [MeV].

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        (float, float)
            ``(E_min, E_max)`` [MeV]; ``(0, 0)`` for a flavour without a function.
        """
        return tuple(map(float, self.support.get(flavour, (0.0, 0.0))))  # type: ignore[return-value]

    def lines(self, flavour: str) -> list[tuple[float, float]]:
        """Monochromatic lines.

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        list of (float, float)
            ``(E_nu [MeV], Phi [1/(cm^2 s)])`` of each line (empty if none).
        """
        return [(float(e), float(p)) for e, p in self.line_table.get(flavour, [])]


def as_flux(obj: Any) -> Flux:
    """Accept a :class:`Flux` or a mapping flavour -> (energies, values) table.

    Parameters
    ----------
    obj : Flux or Mapping
        A flux object, or flavour -> (energies [MeV], dPhi/dE [1/(cm^2 s MeV)]) tables.

    Returns
    -------
    Flux
        ``obj`` itself, or a :class:`TabulatedFlux` of the tables.

    Raises
    ------
    InvalidParameterError
        If ``obj`` is neither.
    """
    if isinstance(obj, Flux):
        return obj
    if isinstance(obj, Mapping):
        return TabulatedFlux(obj)
    msg = (
        f"expected a Flux (with flavours, spectrum, energy_range, lines) or a mapping "
        f"flavour -> (energies, dphi_de), got {type(obj).__name__}"
    )
    raise InvalidParameterError(msg)
