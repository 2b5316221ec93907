"""Solar 8B and hep neutrino fluxes at the Earth, per flavour, with NSI in the propagation.

The Sun produces electron neutrinos; :class:`SolarFlux` gives the time-averaged flux at the
Earth of ``nue``, ``numu`` and ``nutau``,

``dPhi_alpha/dE = sum_c Phi_c S_c(E) P_{e alpha}^c(E)``,

for the components ``c`` in (8B, hep): the total flux ``Phi_c`` [1/(cm^2 s)], the unit-area
spectral shape ``S_c`` [1/MeV] and the adiabatic flavour probabilities of
:func:`cevns.physics.solar.probabilities_at_earth`, averaged over the component's B16
production profile, for the given :class:`~cevns.physics.nsi.NSIModel` and
:class:`~cevns.physics.oscillation.MixingParameters`. The SM CEvNS rate is flavour-blind,
so only the sum matters there; with NSI the flavour composition does.

Inputs (registered in ``data/registry.toml`` and shipped with the package)
--------------------------------------------------------------------------
* 8B shape: W. T. Winter et al., PRC 73 (2006) 025503 (``solar/8B_shape_Winter_et_al.csv``,
  0.1 MeV steps, zero above 15.3 MeV), normalised to unit area (trapezoidal rule, the rule
  that matches the linear interpolation used here);
* hep shape: J. N. Bahcall, PRC 56 (1997) 3391 (``solar/hep_shape.csv``, endpoint
  18.784 MeV), normalised the same way;
* totals (:data:`NORMALISATIONS`): the B16 standard solar models, N. Vinyoles et al., ApJ 835
  (2017) 202 (``solar/fluxes_b16.dat``): 8B 5.46e6 (GS98) / 4.50e6 (AGSS09met), hep 7.98e3 /
  8.25e3 cm^-2 s^-1 (12 % and 30 % model uncertainties); and the SNO neutral-current
  measurement of the total active 8B flux, (5.25 +- 0.16 (stat) +0.11 -0.13 (syst)) x 1e6
  cm^-2 s^-1 (SNO, PRC 88 (2013) 025501), for 8B only.

The flavour probabilities are computed once per flux on a logarithmic energy grid
(0.05-20 MeV) and interpolated linearly in ``log E`` (clamped below the grid, where
``P_ee`` is flat at its vacuum-averaged value).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, unknown_name
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import NEUTRINOS, parse_flavour
from cevns.data import store
from cevns.physics.nsi import NSIModel
from cevns.physics.oscillation import MixingParameters
from cevns.physics.solar import SolarModel, matter_term_per_potential, probabilities_at_earth

__all__ = [
    "COMPONENTS",
    "NORMALISATIONS",
    "SNO_NC_8B_FLUX",
    "SolarFlux",
    "solar_shape",
    "solar_total_flux",
]


def __dir__() -> list[str]:
    return __all__


#: flux components and their shape files
COMPONENTS: Mapping[str, str] = MappingProxyType(
    {"8B": "solar/8B_shape_Winter_et_al.csv", "hep": "solar/hep_shape.csv"}
)
#: named normalisations and the solar model (B16 composition) that goes with each
NORMALISATIONS: Mapping[str, str] = MappingProxyType(
    {"b16_gs98": "gs98", "b16_agss09": "agss09", "sno_nc": "gs98"}
)
#: SNO NC total 8B flux [1/(cm^2 s)], PRC 88 (2013) 025501: (5.25 +- 0.16 +0.11 -0.13) x 1e6
SNO_NC_8B_FLUX: float = 5.25e6

#: rows of fluxes_b16.dat and the unit of each row [1/(cm^2 s)]
_B16_ROWS = {"hep": (2, 1.0e3), "8B": (4, 1.0e6)}
_B16_COLUMNS = {"gs98": 0, "agss09": 2}
#: grid on which the probabilities are computed [MeV]
_GRID_MEV = (0.05, 20.0, 241)
#: Probability tables already computed in this process. A table depends only on the vacuum
#: mixing, the matter term (``K_0``, ``K_1`` of :func:`matter_term_per_potential`: the NSI
#: model enters nowhere else), the component's production profile and the solar model, so
#: fluxes built again for the same physics (every load of an experiment file) share it.
#: Values: the solar model (kept so its ``id`` in the key cannot be reused) and the table.
_TABLES: dict[tuple[Any, ...], tuple[SolarModel, NDArray[np.float64]]] = {}
_TABLES_MAX = 64


def solar_total_flux(component: str, normalisation: str) -> float:
    """Total flux [1/(cm^2 s)] of ``component`` under a named normalisation.

    Parameters
    ----------
    component : {"8B", "hep"}
    normalisation : {"b16_gs98", "b16_agss09", "sno_nc"}
        ``sno_nc`` exists for 8B only (SNO measures no hep flux).

    Examples
    --------
    >>> solar_total_flux("8B", "b16_gs98"), solar_total_flux("hep", "b16_agss09")
    (5460000.0, 8250.0)
    """
    if component not in COMPONENTS:
        raise unknown_name("solar flux component", str(component), COMPONENTS)
    if normalisation not in NORMALISATIONS:
        raise unknown_name("solar flux normalisation", str(normalisation), NORMALISATIONS)
    if normalisation == "sno_nc":
        if component != "8B":
            msg = (
                f"normalisation 'sno_nc' (the SNO NC measurement) exists for 8B only, not for "
                f"{component!r}; use 'b16_gs98', 'b16_agss09' or a number"
            )
            raise InvalidParameterError(msg)
        return SNO_NC_8B_FLUX
    row, unit = _B16_ROWS[component]
    return _b16_table(row, _B16_COLUMNS[NORMALISATIONS[normalisation]]) * unit


@functools.cache
def _b16_table(row: int, column: int) -> float:
    table = store.load_table("solar/fluxes_b16.dat")
    return float(table[row, column])


@functools.cache
def solar_shape(component: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Energies [MeV] and the unit-area spectral shape [1/MeV] of ``component``.

    Trailing zeros of the table are cut after the first one (the support ends there).

    Parameters
    ----------
    component : {"8B", "hep"}
        Solar neutrino component.

    Returns
    -------
    energies : ndarray
        Energies [MeV].
    shape : ndarray
        Unit-area spectral shape [1/MeV] at each energy.

    Examples
    --------
    >>> e, s = solar_shape("8B")
    >>> round(float(np.trapezoid(s, e)), 12), float(e[-1])
    (1.0, 15.3)
    """
    if component not in COMPONENTS:
        raise unknown_name("solar flux component", str(component), COMPONENTS)
    table = store.load_table(COMPONENTS[component])
    e, s = table[:, 0], table[:, 1]
    last = int(np.nonzero(s > 0)[0][-1])
    e, s = e[: last + 2], s[: last + 2]
    s = s / np.trapezoid(s, e)
    e.setflags(write=False)
    s.setflags(write=False)
    return e, s


def _check_total(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = (
            f"{name} must be one of {', '.join(NORMALISATIONS)} or a total flux in "
            f"1/(cm^2 s), got {value!r}"
        )
        raise InvalidParameterError(msg)
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        msg = f"{name} must be a total flux > 0 in 1/(cm^2 s), got {value!r}"
        raise InvalidParameterError(msg)
    return v


@dataclass(frozen=True, eq=False)
class SolarFlux:
    """Solar 8B and hep neutrinos at the Earth, per flavour (``nue``, ``numu``, ``nutau``).

    Parameters
    ----------
    model : NSIModel, optional
        The physics in the solar matter term (its Hamiltonian-level eps at the local
        ``Y_n(r)``); default the SM.
    mixing : MixingParameters, optional
        Default NuFIT 5.2 normal ordering.
    normalisation : {"b16_gs98", "b16_agss09", "sno_nc"} or float
        Total 8B flux: a named value (module docstring) or a number [1/(cm^2 s)], > 0.
    components : sequence of {"8B", "hep"}
        Which components to include (non-empty, no repeats).
    hep_normalisation : {"b16_gs98", "b16_agss09"} or float, optional
        Total hep flux; default the B16 value of the composition of ``normalisation``
        (AGSS09met for ``"b16_agss09"``, GS98 otherwise).
    solar : SolarModel, optional
        Density and production profiles; default B16 of that composition.

    Examples
    --------
    >>> f = SolarFlux()
    >>> f.flavours
    ('nue', 'numu', 'nutau')
    >>> e = np.linspace(0.0, 20.0, 20001)
    >>> total = sum(np.trapezoid(f.spectrum(fl, e), e) for fl in f.flavours)
    >>> round(float(total) / (5.46e6 + 7.98e3), 4)
    1.0
    >>> SolarFlux(normalisation="b16")
    Traceback (most recent call last):
    ...
    cevns.core.exceptions.UnknownNameError: unknown solar flux normalisation 'b16'; ...
    """

    model: NSIModel | None = None
    mixing: MixingParameters | None = None
    normalisation: str | float = "b16_gs98"
    components: Sequence[str] = ("8B", "hep")
    hep_normalisation: str | float | None = None
    solar: SolarModel | None = None
    totals: Mapping[str, float] = field(init=False, repr=False)
    _cache: dict[str, NDArray[np.float64]] = field(init=False, repr=False, default_factory=dict)
    #: Immutable: its tail integrals are kept (:mod:`cevns.likelihood.spectrum`).
    _state_version: ClassVar[int] = 0

    def __post_init__(self) -> None:
        model: object = NSIModel.sm() if self.model is None else self.model
        if not isinstance(model, NSIModel):
            msg = f"model must be an NSIModel, got {type(model).__name__}"
            raise InvalidParameterError(msg)
        mixing: object = MixingParameters.normal_ordering() if self.mixing is None else self.mixing
        if not isinstance(mixing, MixingParameters):
            msg = f"mixing must be MixingParameters, got {type(mixing).__name__}"
            raise InvalidParameterError(msg)
        comps = (self.components,) if isinstance(self.components, str) else self.components
        comps = tuple(comps)
        if not comps:
            msg = f"components must name at least one of {', '.join(COMPONENTS)}, got ()"
            raise InvalidParameterError(msg)
        for c in comps:
            if c not in COMPONENTS:
                raise unknown_name("solar flux component", str(c), COMPONENTS)
        if len(set(comps)) != len(comps):
            msg = f"components must not repeat, got {comps}"
            raise InvalidParameterError(msg)
        norm = self.normalisation
        composition = NORMALISATIONS.get(norm, "gs98") if isinstance(norm, str) else "gs98"
        totals = {}
        if isinstance(norm, str):
            totals["8B"] = solar_total_flux("8B", norm)
        else:
            totals["8B"] = _check_total("normalisation", norm)
        hep = self.hep_normalisation
        if hep is None:
            hep = "b16_agss09" if composition == "agss09" else "b16_gs98"
        if isinstance(hep, str):
            if hep == "sno_nc":
                msg = "hep_normalisation 'sno_nc' does not exist (SNO measures 8B only)"
                raise InvalidParameterError(msg)
            totals["hep"] = solar_total_flux("hep", hep)
        else:
            totals["hep"] = _check_total("hep_normalisation", hep)
        solar: object = (
            SolarModel.b16(composition) if self.solar is None else self.solar  # type: ignore[arg-type]
        )
        if not isinstance(solar, SolarModel):
            msg = f"solar must be a SolarModel, got {type(solar).__name__}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "mixing", mixing)
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "solar", solar)
        object.__setattr__(self, "totals", MappingProxyType({c: totals[c] for c in comps}))

    # ------------------------------------------------------------------ Flux protocol
    @property
    def flavours(self) -> tuple[str, ...]:
        """``("nue", "numu", "nutau")``: the flux at the Earth has all three."""
        return NEUTRINOS

    def spectrum(self, flavour: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """dPhi/dE_nu [1/(cm^2 s MeV)] of ``flavour`` at the Earth; zero for antineutrinos.

        Parameters
        ----------
        flavour : str
            Neutrino flavour; zero for the antineutrinos.
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray
            dPhi/dE_nu [1/(cm^2 s MeV)] at the Earth, oscillations included.
        """
        index, anti = parse_flavour(flavour)
        e = as_float_array("e_nu_mev", e_nu_mev)
        out = np.zeros(e.shape)
        if anti:
            return out
        for c in self.components:
            out += self.produced_spectrum(c, e) * self.probabilities(c, e)[..., index]
        return out

    def energy_range(self, flavour: str) -> tuple[float, float]:
        """Support [MeV]: from the lowest to the highest endpoint of the components.

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        (float, float)
            ``(E_min, E_max)`` [MeV] over the components; ``(0, 0)`` for antineutrinos.
        """
        _, anti = parse_flavour(flavour)
        if anti:
            return (0.0, 0.0)
        lo = min(float(solar_shape(c)[0][0]) for c in self.components)
        hi = max(float(solar_shape(c)[0][-1]) for c in self.components)
        return lo, hi

    def lines(self, flavour: str) -> list[tuple[float, float]]:
        """No monochromatic lines (7Be and pep are not included).

        Parameters
        ----------
        flavour : str
            Neutrino flavour (checked only).

        Returns
        -------
        list
            Always empty.
        """
        parse_flavour(flavour)
        return []

    # ------------------------------------------------------------------ parts
    def produced_spectrum(self, component: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """The ``nu_e`` spectrum of ``component`` at production [1/(cm^2 s MeV)] (at 1 AU).

        Parameters
        ----------
        component : str
            A component of the flux (``"8B"`` or ``"hep"``).
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray
            The unoscillated nu_e spectrum [1/(cm^2 s MeV)] at 1 AU.
        """
        if component not in self.totals:
            raise unknown_name("component of this flux", str(component), self.totals)
        e = as_float_array("e_nu_mev", e_nu_mev)
        x, s = solar_shape(component)
        return np.asarray(self.totals[component] * np.interp(e, x, s, left=0.0, right=0.0))

    def probabilities(self, component: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """``[P_ee, P_emu, P_etau]`` for ``component``'s production profile, shape ``e + (3,)``.

        Interpolated in ``log E`` from the grid computed on first use (module docstring);
        outside the grid (0.05-20 MeV) the values at its ends are used: below 0.05 MeV the
        probabilities are at their vacuum limit, and the 8B and hep spectra end below 20 MeV.

        Parameters
        ----------
        component : str
            A component of the flux (``"8B"`` or ``"hep"``).
        e_nu_mev : array_like
            Neutrino energies [MeV].

        Returns
        -------
        ndarray of shape ``e_nu_mev.shape + (3,)``
            Probabilities that a nu_e arrives as nu_e, nu_mu, nu_tau.
        """
        if component not in self.totals:
            raise unknown_name("component of this flux", str(component), self.totals)
        e = as_float_array("e_nu_mev", e_nu_mev)
        grid = self._grid()
        table = self._cache.get(component)
        if table is None:
            table = self._shared_table(component, grid)
            self._cache[component] = table
        log_e = np.log(np.clip(e, grid[0], grid[-1]))
        log_grid = np.log(grid)
        cols = [np.interp(log_e, log_grid, table[:, k]) for k in range(3)]
        return np.asarray(np.stack(cols, axis=-1), dtype=np.float64)

    def _shared_table(self, component: str, grid: NDArray[np.float64]) -> NDArray[np.float64]:
        """The probability table of ``component`` on ``grid``, from :data:`_TABLES` if known."""
        k0, k1 = matter_term_per_potential(self.mixing, self.model)  # type: ignore[arg-type]
        key = (self.mixing, k0.tobytes(), k1.tobytes(), component, id(self.solar), grid.tobytes())
        hit = _TABLES.get(key)
        if hit is not None and hit[0] is self.solar:
            return hit[1]
        table = probabilities_at_earth(
            self.mixing,  # type: ignore[arg-type]
            self.model,
            grid,
            source=component,
            solar=self.solar,
        )
        table.setflags(write=False)
        if len(_TABLES) >= _TABLES_MAX:
            _TABLES.pop(next(iter(_TABLES)))  # the oldest
        _TABLES[key] = (self.solar, table)  # type: ignore[assignment]
        return table

    @staticmethod
    def _grid() -> NDArray[np.float64]:
        lo, hi, n = _GRID_MEV
        return np.geomspace(lo, hi, n)
