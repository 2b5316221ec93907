"""Reactor antineutrino fluxes: fission spectra, the U-238 capture chain, and Eq. 14 of seed 004.

The flux at a detector a distance ``d`` from a reactor of thermal power ``P`` is
(seed 004 Sec. 3.1, Eq. 14)::

    dPhi/dE = P / (4 pi d^2 eps) * [ sum_i f_i S_i(E) + c S_cap(E) ]

with the fission fractions ``f_i`` of U235, U238, Pu239 and Pu241, their antineutrino
spectra per fission ``S_i`` [1/(MeV fission)], the mean energy per fission ``eps``,
``c`` captures 238U(n,gamma)239U per fission and the spectrum per capture ``S_cap`` of the
two beta decays that follow, 239U -> 239Np -> 239Pu.

Spectrum models (``spectra=``)
------------------------------
``"huber_mueller"`` (default)
    Huber 2011 (U235, Pu239, Pu241) and Mueller 2011 (U238) tables, on the 50 keV mesh of
    the Daya Bay data release (exponential inter/extrapolation, 1.75-13 MeV), used above
    ``junction_mev`` (2 MeV); below it the ``low_energy`` model.
``"huber_mueller_fit"``
    The exponential-polynomial fits of the same papers, :data:`POLYEXP_COEFFICIENTS`,
    over their published range ``junction_mev``-8 MeV; below it the ``low_energy`` model.
``"bestiole"``
    BESTIOLE summation spectra (arXiv:2304.14992), 0.0125-12.49 MeV for each isotope.
``"coloma2022"``
    The tables of Coloma et al. (arXiv:2202.10829) for Dresden-II, 1/128-8 MeV (equal to
    Mueller 2011 above 2 MeV, a low-energy table of unstated origin below).

``low_energy`` (huber_mueller* only): ``"bestiole"`` (default), ``"coloma2022"`` or
``"none"`` (no flux below the junction). ``capture_spectrum``: ``"bestiole"`` (239U plus
239Np per decay, two antineutrinos per capture; default except with ``"coloma2022"``) or
``"coloma2022"`` (the digitised chain spectrum of Coloma et al., normalised to 1.014
antineutrinos per capture as published, i.e. half the physical number).

Tables are interpolated log-linearly (linearly where a value is zero) and are zero outside
their support; at the junction the spectrum jumps by a few percent (e.g. U235 at 2 MeV:
Huber 1.317, BESTIOLE 1.247 per MeV per fission).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import (
    as_float_array,
    check_finite,
    check_positive,
    describe,
    unknown_name,
)
from cevns.core.constants import JOULE_PER_MEV
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import parse_flavour
from cevns.data import store as data

__all__ = [
    "CAPTURE_SPECTRA",
    "DRESDEN_II",
    "ENERGY_PER_FISSION_MEV",
    "ISOTOPES",
    "LOW_ENERGY_MODELS",
    "POLYEXP_COEFFICIENTS",
    "SPECTRA",
    "PolyExpFit",
    "ReactorFlux",
    "capture_spectrum",
    "isotope_spectrum",
]


def __dir__() -> list[str]:
    return __all__


Spectra = Literal["huber_mueller", "huber_mueller_fit", "bestiole", "coloma2022"]
LowEnergy = Literal["bestiole", "coloma2022", "none"]
CaptureSpectrum = Literal["bestiole", "coloma2022"]

#: Fissile isotopes with a spectrum model.
ISOTOPES: tuple[str, ...] = ("U235", "U238", "Pu239", "Pu241")
#: Names accepted by ``spectra=``.
SPECTRA: tuple[str, ...] = ("huber_mueller", "huber_mueller_fit", "bestiole", "coloma2022")
#: Names accepted by ``low_energy=``.
LOW_ENERGY_MODELS: tuple[str, ...] = ("bestiole", "coloma2022", "none")
#: Names accepted by ``capture_spectrum=``.
CAPTURE_SPECTRA: tuple[str, ...] = ("bestiole", "coloma2022")

#: Mean energy released per fission [MeV]: X.B. Ma et al., PRC 88, 014605 (2013),
#: arXiv:1212.6625, as given in the Daya Bay release (reactor_energy_per_fission.yaml:
#: 202.36 +- 0.26, 205.99 +- 0.52, 211.12 +- 0.34, 214.26 +- 0.33).
ENERGY_PER_FISSION_MEV: Mapping[str, float] = MappingProxyType(
    {"U235": 202.36, "U238": 205.99, "Pu239": 211.12, "Pu241": 214.26}
)

#: Dresden-II configuration of seed 004 Sec. 3.1 (P, d, eps) and of the Dresden-II analysis
#: of Coloma et al. (fission fractions and 0.6 captures/fission, Reactor_eventsSM.py).
DRESDEN_II: Mapping[str, Any] = MappingProxyType(
    {
        "thermal_power_gw": 2.96,
        "baseline_m": 10.39,
        "fission_fractions": MappingProxyType(
            {"U235": 0.58, "Pu239": 0.29, "U238": 0.08, "Pu241": 0.05}
        ),
        "energy_per_fission_mev": 205.24,
        "captures_per_fission": 0.6,
    }
)

_JOULE_PER_GW_S = 1.0e9
_CM_PER_M = 100.0
_FIT_MAX_MEV = 8.0  # published validity of the Huber/Mueller fits
_HM_RANGE = (1.75, 13.0)  # Daya Bay mesh


@dataclass(frozen=True)
class PolyExpFit:
    """Spectrum ``S(E) = exp(sum_k a_k E^k)`` [1/(MeV fission)], E in MeV.

    Attributes
    ----------
    model, isotope : str
    coefficients : tuple of float
        ``a_0, a_1, ...``.
    valid_range_mev : (float, float)
        Range of the published fit.
    source : str
        Publication (and the transcription that was checked).

    Examples
    --------
    >>> fit = POLYEXP_COEFFICIENTS[("Huber2011", "U235")]
    >>> round(float(fit(2.0)), 3)  # Huber's table at 2 MeV: 1.317
    1.321
    """

    model: str
    isotope: str
    coefficients: tuple[float, ...]
    valid_range_mev: tuple[float, float]
    source: str

    def __call__(self, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """The fit at ``e_nu_mev`` (no range check)."""
        e = np.asarray(e_nu_mev, dtype=np.float64)
        return np.asarray(np.exp(np.polynomial.polynomial.polyval(e, self.coefficients)))


_HUBER = "P. Huber, PRC 84, 024617 (2011), arXiv:1106.0687, Table III"
_MUELLER = "Th.A. Mueller et al., PRC 83, 054615 (2011), arXiv:1101.2663, Table VI"
_VE = "P. Vogel and J. Engel, PRD 39, 3378 (1989)"
_POLY: list[tuple[str, str, tuple[float, ...], tuple[float, float], str]] = [
    # Transcriptions checked against the Huber tables (<= 1-4 % for 2-7.5 MeV) in the shared
    # data README; upstream transcriptions: Beola0/juno-reactor-antinu-analysis@06bccec
    # (Huber; a4 = 6.186e-2 for U235, some copies carry 6.185e-2), adamanderson/
    # cns_sensitivity@454891a (Mueller U238, U235, Pu239), murataltinli/ERNIE@5322ace
    # (Mueller Pu241), Beola0 (Vogel-Engel).
    ("Huber2011", "U235", (4.367, -4.577, 2.100, -5.294e-1, 6.186e-2, -2.777e-3), (2, 8), _HUBER),
    ("Huber2011", "Pu239", (4.757, -5.392, 2.563, -6.596e-1, 7.820e-2, -3.536e-3), (2, 8), _HUBER),
    ("Huber2011", "Pu241", (2.990, -2.882, 1.278, -3.343e-1, 3.905e-2, -1.754e-3), (2, 8), _HUBER),
    (
        "Mueller2011",
        "U238",
        (4.833e-1, 1.927e-1, -1.283e-1, -6.762e-3, 2.233e-3, -1.536e-4),
        (2, 8),
        _MUELLER,
    ),
    (
        "Mueller2011",
        "U235",
        (3.217, -3.111, 1.395, -3.690e-1, 4.445e-2, -2.053e-3),
        (2, 8),
        _MUELLER,
    ),
    (
        "Mueller2011",
        "Pu239",
        (6.413, -7.432, 3.535, -8.820e-1, 1.025e-1, -4.550e-3),
        (2, 8),
        _MUELLER,
    ),
    (
        "Mueller2011",
        "Pu241",
        (3.251, -3.204, 1.428, -3.675e-1, 4.254e-2, -1.896e-3),
        (2, 8),
        _MUELLER,
    ),
    ("VogelEngel1989", "U235", (0.870, -0.160, -0.091), (2, 8), _VE),
    ("VogelEngel1989", "U238", (0.976, -0.162, -0.0790), (2, 8), _VE),
    ("VogelEngel1989", "Pu239", (0.896, -0.239, -0.0981), (2, 8), _VE),
    ("VogelEngel1989", "Pu241", (0.793, -0.080, -0.1085), (2, 8), _VE),
]
#: Exponential-polynomial fits keyed by ``(model, isotope)``; models "Huber2011",
#: "Mueller2011", "VogelEngel1989" (the same numbers as reactor_spectra/polyexp_coefficients.csv).
POLYEXP_COEFFICIENTS: Mapping[tuple[str, str], PolyExpFit] = MappingProxyType(
    {(m, i): PolyExpFit(m, i, c, (float(r[0]), float(r[1])), s) for m, i, c, r, s in _POLY}
)


# --- pieces of spectra: tables and fits on an interval -----------------------------------
class _Piece:
    """A non-negative function on ``[lo, hi)`` (``[lo, hi]`` if ``closed``), zero elsewhere."""

    lo: float
    hi: float
    closed: bool

    def _inside(self, e: NDArray[np.float64]) -> NDArray[np.bool_]:
        upper = (e <= self.hi) if self.closed else (e < self.hi)
        return np.asarray((e >= self.lo) & upper)

    def __call__(self, e: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def integral(self, e_min: float) -> float:
        raise NotImplementedError


class _Table(_Piece):
    """Log-linear interpolation of ``(x, y)``, restricted to ``[lo, hi]`` within the table."""

    def __init__(
        self, x: NDArray[np.float64], y: NDArray[np.float64], lo: float, hi: float, closed: bool
    ) -> None:
        self.x, self.y = x, y
        self.lo, self.hi, self.closed = max(lo, float(x[0])), min(hi, float(x[-1])), closed

    def _interp(self, e: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self.x, self.y
        k = np.clip(np.searchsorted(x, e, side="right") - 1, 0, x.size - 2)
        x0, x1, y0, y1 = x[k], x[k + 1], y[k], y[k + 1]
        t = (e - x0) / (x1 - x0)
        pos = (y0 > 0) & (y1 > 0)
        ly0, ly1 = np.log(np.where(pos, y0, 1.0)), np.log(np.where(pos, y1, 1.0))
        return np.where(pos, np.exp(ly0 + (ly1 - ly0) * t), y0 + (y1 - y0) * t)

    def __call__(self, e: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.where(self._inside(e), self._interp(e), 0.0)

    def integral(self, e_min: float) -> float:
        """Exact integral of the log-linear interpolant over ``[max(e_min, lo), hi]``."""
        a = max(e_min, self.lo)
        if a >= self.hi:
            return 0.0
        inner = self.x[(self.x > a) & (self.x < self.hi)]
        knots = np.concatenate([[a], inner, [self.hi]])
        vals = self._interp(knots)
        x0, x1, y0, y1 = knots[:-1], knots[1:], vals[:-1], vals[1:]
        pos = (y0 > 0) & (y1 > 0)
        ratio = np.where(pos, y1 / np.where(pos, y0, 1.0), 1.0)
        near = np.abs(ratio - 1.0) < 1e-9
        logr = np.log(np.where(near, 2.0, ratio))
        expo = np.where(near, 0.5 * (y0 + y1), (y1 - y0) / logr)
        seg = np.where(pos, expo, 0.5 * (y0 + y1)) * (x1 - x0)
        return float(seg.sum())


class _Fit(_Piece):
    """A :class:`PolyExpFit` on ``[lo, hi)`` (or closed)."""

    _NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)

    def __init__(self, fit: PolyExpFit, lo: float, hi: float, closed: bool) -> None:
        self.fit, self.lo, self.hi, self.closed = fit, lo, hi, closed

    def __call__(self, e: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.where(self._inside(e), self.fit(e), 0.0)

    def integral(self, e_min: float) -> float:
        a = max(e_min, self.lo)
        if a >= self.hi:
            return 0.0
        half, mid = 0.5 * (self.hi - a), 0.5 * (self.hi + a)
        return float(half * np.sum(self._WEIGHTS * self.fit(mid + half * self._NODES)))


# --- loading the tables (lazy, cached) ---------------------------------------------------------
def _table(
    name: str, *, digitised: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    arr = data.load_table(name)
    if digitised:
        # digitised curves step back by up to 1e-4 MeV on steep flanks: order the points by
        # energy (stable) and keep the first of equal energies; the integral changes < 1e-4
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        arr = arr[np.concatenate([[True], np.diff(arr[:, 0]) > 0])]
    x, y = arr[:, 0], arr[:, 1]
    if np.any(np.diff(x) <= 0) or np.any(y < 0):
        msg = f"{name}: energies must increase and spectra be >= 0"
        raise InvalidParameterError(msg)
    return x, y


_BESTIOLE = "reactor_spectra/ritter_fluxData/bestiole_{}.txt"
_COLOMA = "reactor_spectra/coloma2022_dresden_inputs/spectraMeV{}.txt"
_HM = "reactor_spectra/dayabay_huber_mueller/reactor_antineutrino_spectra_hm_{}.tsv.bz2"
_HM_FIT = {"U235": "Huber2011", "Pu239": "Huber2011", "Pu241": "Huber2011", "U238": "Mueller2011"}


def _full_table(name: str, *, digitised: bool = False) -> _Table:
    x, y = _table(name, digitised=digitised)
    return _Table(x, y, float(x[0]), float(x[-1]), closed=True)


@functools.cache
def _isotope_pieces(
    isotope: str, spectra: str, low_energy: str, junction_mev: float
) -> tuple[_Piece, ...]:
    if spectra == "bestiole":
        return (_full_table(_BESTIOLE.format(isotope.lower())),)
    if spectra == "coloma2022":
        return (_full_table(_COLOMA.format(isotope)),)
    high: _Piece
    if spectra == "huber_mueller":
        x, y = _table(_HM.format(isotope))
        high = _Table(x, y, junction_mev, float(x[-1]), closed=True)
    else:
        high = _Fit(
            POLYEXP_COEFFICIENTS[(_HM_FIT[isotope], isotope)], junction_mev, _FIT_MAX_MEV, True
        )
    if low_energy == "none":
        return (high,)
    name = (_BESTIOLE if low_energy == "bestiole" else _COLOMA).format(
        isotope.lower() if low_energy == "bestiole" else isotope
    )
    x, y = _table(name)
    return (_Table(x, y, float(x[0]), junction_mev, closed=False), high)


@functools.cache
def _capture_pieces(kind: str) -> tuple[_Piece, ...]:
    if kind == "bestiole":
        return (_full_table(_BESTIOLE.format("u239")), _full_table(_BESTIOLE.format("np239")))
    name = "reactor_spectra/coloma2022_dresden_inputs/spectraMeVU238Ncapture.txt"
    return (_full_table(name, digitised=True),)


# --- argument checks -----------------------------------------------------------------------------
_ISO_RE = re.compile(r"^(?:([A-Za-z]{1,2})-?(\d{3})|(\d{3})-?([A-Za-z]{1,2}))$")


def _isotope(name: str) -> str:
    m = _ISO_RE.match(str(name).strip())
    if m is not None:
        sym, a = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        canonical = f"{sym.capitalize()}{a}"
        if canonical in ISOTOPES:
            return canonical
    raise unknown_name("fissile isotope", str(name), ISOTOPES)


def _choice(kind: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise unknown_name(kind, str(value), allowed)
    return value


def _junction(value: float) -> float:
    j = check_finite("junction_mev", value)
    if not _HM_RANGE[0] <= j <= _FIT_MAX_MEV:
        msg = f"junction_mev must be within [{_HM_RANGE[0]}, {_FIT_MAX_MEV}] MeV, got {j!r}"
        raise InvalidParameterError(msg)
    return j


def isotope_spectrum(
    isotope: str,
    e_nu_mev: ArrayLike,
    *,
    spectra: Spectra = "huber_mueller",
    low_energy: LowEnergy = "bestiole",
    junction_mev: float = 2.0,
) -> NDArray[np.float64]:
    """Antineutrino spectrum per fission of one isotope [1/(MeV fission)].

    Parameters
    ----------
    isotope : {"U235", "U238", "Pu239", "Pu241"}
        Also accepted: "235U", "U-235".
    e_nu_mev : array_like
        Antineutrino energies [MeV].
    spectra, low_energy, junction_mev
        See the module notes; ``low_energy`` and ``junction_mev`` matter for the
        huber_mueller models only.

    Examples
    --------
    >>> float(isotope_spectrum("U235", 4.0))  # Huber 2011 table at 4 MeV
    0.29357
    >>> float(isotope_spectrum("U235", 20.0))
    0.0
    """
    iso = _isotope(isotope)
    spectra = _choice("reactor spectra", spectra, SPECTRA)  # type: ignore[assignment]
    low_energy = _choice("low-energy model", low_energy, LOW_ENERGY_MODELS)  # type: ignore[assignment]
    e = as_float_array("e_nu_mev", e_nu_mev)
    pieces = _isotope_pieces(iso, spectra, low_energy, _junction(junction_mev))
    return np.asarray(sum((p(e) for p in pieces), np.zeros_like(e)))


def capture_spectrum(
    e_nu_mev: ArrayLike, kind: CaptureSpectrum = "bestiole"
) -> NDArray[np.float64]:
    """Antineutrino spectrum per 238U(n,gamma) capture [1/(MeV capture)].

    ``"bestiole"``: 239U plus 239Np beta decays (two antineutrinos per capture);
    ``"coloma2022"``: the digitised chain spectrum of Coloma et al. (1.014 per capture).

    Parameters
    ----------
    e_nu_mev : array_like
        Antineutrino energies [MeV].
    kind : {"bestiole", "coloma2022"}, optional
        Which capture-chain spectrum (default ``"bestiole"``).

    Returns
    -------
    ndarray
        Antineutrinos per MeV per capture, same shape as ``e_nu_mev``.

    Examples
    --------
    >>> float(capture_spectrum(2.0))  # above both endpoints (1.26 and 0.72 MeV)
    0.0
    """
    kind = _choice("capture spectrum", kind, CAPTURE_SPECTRA)  # type: ignore[assignment]
    e = as_float_array("e_nu_mev", e_nu_mev)
    return np.asarray(sum((p(e) for p in _capture_pieces(kind)), np.zeros_like(e)))


class ReactorFlux:
    """Electron-antineutrino flux of a reactor, seed 004 Eq. 14 (a ``Flux``).

    Parameters
    ----------
    thermal_power_gw : float
        Thermal power [GW], > 0.
    baseline_m : float
        Reactor-detector distance [m], > 0.
    fission_fractions : mapping isotope -> float
        Fractions of fissions of U235, U238, Pu239, Pu241 (missing isotopes count as 0);
        each >= 0 and summing to 1 within 1e-3.
    energy_per_fission_mev : float or mapping isotope -> float, optional
        Mean energy per fission [MeV], or per-isotope values averaged with the fission
        fractions. Default :data:`ENERGY_PER_FISSION_MEV` (Ma et al. 2013).
    spectra : {"huber_mueller", "huber_mueller_fit", "bestiole", "coloma2022"}
        Spectrum model (module notes).
    low_energy : {"bestiole", "coloma2022", "none"}, optional
        Model below ``junction_mev`` for the huber_mueller models (default "bestiole");
        an error for the other models, which cover low energies themselves.
    junction_mev : float
        Where the huber_mueller models take over from ``low_energy`` [MeV], 1.75-8.
    captures_per_fission : float
        238U(n,gamma) captures per fission, >= 0 (0.6 in the Dresden-II analyses).
    capture_spectrum : {"bestiole", "coloma2022"}, optional
        Spectrum per capture; default "coloma2022" with ``spectra="coloma2022"``, else
        "bestiole".
    total_flux_per_cm2_s : float, optional
        Normalise the flux so that its integral over all energies (low-energy part and
        captures included) is this value [1/(cm^2 s)], > 0; the shape stays that of Eq. 14.
        Seed 004 Sec. 3.1 states N = 4.8e13 for Dresden-II (and Coloma et al.'s code
        normalises its tables to it). Default: Eq. 14 as it stands.

    Notes
    -----
    **Dresden-II** (:meth:`dresden_ii`: 2.96 GW, 10.39 m, 205.24 MeV per fission,
    fractions U235 0.58, Pu239 0.29, U238 0.08, Pu241 0.05, 0.6 captures per fission).
    Seed 004 Sec. 3.1 quotes 4.8e13 /cm^2/s. Eq. 14 gives (exact integrals of the
    interpolants; "above" = above E_nu,min = 5.787 MeV, the neutrino energy needed for a
    1 keVnr Ge-72 recoil, i.e. ~0.2 keVee for a quenching factor ~0.2, from
    :func:`cevns.physics.cross_section.e_nu_min_mev`):

    ==================================================  =================  ==========
    spectra (low energy; capture spectrum)              total [/cm^2/s]    above
    ==================================================  =================  ==========
    huber_mueller (bestiole; bestiole) -- default       4.812e13           0.465 %
    huber_mueller_fit (bestiole; bestiole)              4.809e13           0.453 %
    bestiole (bestiole)                                 4.765e13           0.454 %
    coloma2022 (coloma2022: ~1 nu per capture)          4.124e13           0.513 %
    ==================================================  =================  ==========

    The 4.8e13 is thus reproduced (to 1 %) by the models with a complete low-energy
    spectrum and two antineutrinos per capture (7.25 per fission in all, 1.19 of them from
    captures); Coloma et al.'s own tables give 14 % less (6.22 per fission: their capture
    spectrum counts one antineutrino per capture, and their code normalises the flux to
    4.8e13 by hand rather than through Eq. 14).

    The number is carried by low energies: 78 % of the flux lies below 2 MeV (where the
    CEvNS recoils in Ge are far below threshold) and the capture chain alone (< 1.3 MeV)
    makes 16 %. Only 0.465 % of it, 2.24e11 /cm^2/s, is above the 5.79 MeV a germanium
    detector needs for a 0.2 keVee signal with a quenching factor of 0.2 (with the
    Dresden-II "YBe" quenching factor, 0.2 keVee is 1.04 keVnr -> 5.92 MeV -> 0.39 %; with
    "Fef", 0.64 keVnr -> 4.62 MeV -> 1.9 %). That tail, weighted by the E_nu^2 growth of
    the cross section, is the whole Dresden-II signal, so the high-energy model matters
    far more than the total.

    Examples
    --------
    >>> flux = ReactorFlux.dresden_ii()
    >>> f"{flux.total_flux():.3e}"
    '4.812e+13'
    >>> f"{flux.total_flux(5.787) / flux.total_flux():.4f}"
    '0.0047'
    >>> flux.flavours
    ('nuebar',)
    """

    def __init__(
        self,
        thermal_power_gw: float,
        baseline_m: float,
        fission_fractions: Mapping[str, float],
        *,
        energy_per_fission_mev: float | Mapping[str, float] = ENERGY_PER_FISSION_MEV,
        spectra: Spectra = "huber_mueller",
        low_energy: LowEnergy | None = None,
        junction_mev: float = 2.0,
        captures_per_fission: float = 0.6,
        capture_spectrum: CaptureSpectrum | None = None,
        total_flux_per_cm2_s: float | None = None,
    ) -> None:
        self.thermal_power_gw = check_positive("thermal_power_gw", thermal_power_gw)
        self.baseline_m = check_positive("baseline_m", baseline_m)
        self.fission_fractions = self._fractions(fission_fractions)
        self.energy_per_fission_mev = self._energy(energy_per_fission_mev)
        self.spectra = _choice("reactor spectra", spectra, SPECTRA)
        if self.spectra in ("bestiole", "coloma2022"):
            if low_energy is not None:
                msg = (
                    f"low_energy={low_energy!r} applies only to spectra='huber_mueller' or "
                    f"'huber_mueller_fit'; spectra={spectra!r} covers low energies itself"
                )
                raise InvalidParameterError(msg)
            self.low_energy = "none"
        else:
            self.low_energy = _choice(
                "low-energy model",
                "bestiole" if low_energy is None else low_energy,
                LOW_ENERGY_MODELS,
            )
        self.junction_mev = _junction(junction_mev)
        self.captures_per_fission = check_positive(
            "captures_per_fission", captures_per_fission, allow_zero=True
        )
        default_capture = "coloma2022" if self.spectra == "coloma2022" else "bestiole"
        self.capture_spectrum = _choice(
            "capture spectrum", capture_spectrum or default_capture, CAPTURE_SPECTRA
        )
        self._components: list[tuple[float, _Piece]] | None = None
        self.total_flux_per_cm2_s = (
            None
            if total_flux_per_cm2_s is None
            else check_positive("total_flux_per_cm2_s", total_flux_per_cm2_s)
        )

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; a public one changes the spectrum.

        The pieces of the spectrum are then rebuilt on next use, and ``_state_version``
        (read by :mod:`cevns.likelihood.spectrum`, which keeps the flux's tail integrals
        per version) moves on.
        """
        object.__setattr__(self, name, value)
        if not name.startswith("_"):
            self.__dict__["_components"] = None
            self.__dict__["_state_version"] = self.__dict__.get("_state_version", 0) + 1

    # --- construction helpers --------------------------------------------------------------
    @staticmethod
    def _fractions(fractions: object) -> Mapping[str, float]:
        if not isinstance(fractions, Mapping):
            msg = (
                "fission_fractions must be a mapping isotope -> fraction such as "
                f"{{'U235': 0.58, 'U238': 0.08, 'Pu239': 0.29, 'Pu241': 0.05}}, got "
                f"{describe(fractions)}"
            )
            raise InvalidParameterError(msg)
        out = dict.fromkeys(ISOTOPES, 0.0)
        for name, value in fractions.items():
            iso = _isotope(name)
            out[iso] = check_positive(f"fission_fractions[{name!r}]", value, allow_zero=True)
        total = sum(out.values())
        if abs(total - 1.0) > 1e-3:
            msg = (
                f"fission_fractions must sum to 1 (within 1e-3), got {total!r} "
                f"from {dict(fractions)}"
            )
            raise InvalidParameterError(msg)
        return MappingProxyType(out)

    def _energy(self, value: float | Mapping[str, float]) -> float:
        if isinstance(value, Mapping):
            per_iso = {
                _isotope(k): check_positive(f"energy_per_fission_mev[{k!r}]", v)
                for k, v in value.items()
            }
            missing = [i for i, f in self.fission_fractions.items() if f > 0 and i not in per_iso]
            if missing:
                msg = f"energy_per_fission_mev has no value for {missing}, which have fissions"
                raise InvalidParameterError(msg)
            return sum(f * per_iso[i] for i, f in self.fission_fractions.items() if f > 0)
        return check_positive("energy_per_fission_mev", value)

    @classmethod
    def dresden_ii(cls, spectra: Spectra = "huber_mueller", **kwargs: Any) -> ReactorFlux:
        """The Dresden-II reactor at the NCC-1701 detector (seed 004 Sec. 3.1).

        2.96 GW, 10.39 m, 205.24 MeV per fission, fission fractions U235 0.58, Pu239 0.29,
        U238 0.08, Pu241 0.05 and 0.6 captures per fission (Coloma et al.); ``kwargs``
        override any of these or set the other options. Totals in the class Notes.

        Parameters
        ----------
        spectra : {"huber_mueller", "huber_mueller_fit", "bestiole", "coloma2022"}, optional
            Fission-spectrum model (default ``"huber_mueller"``).

        Returns
        -------
        ReactorFlux
            The Dresden-II flux.
        """
        config: dict[str, Any] = {
            **DRESDEN_II,
            "fission_fractions": dict(DRESDEN_II["fission_fractions"]),
        }
        config.update(kwargs)
        power, baseline, fractions = (
            config.pop("thermal_power_gw"),
            config.pop("baseline_m"),
            config.pop("fission_fractions"),
        )
        return cls(power, baseline, fractions, spectra=spectra, **config)

    # --- normalisation -----------------------------------------------------------------------
    @property
    def fission_rate_per_s(self) -> float:
        """Fissions per second, ``P / eps``."""
        return (
            self.thermal_power_gw * _JOULE_PER_GW_S / (self.energy_per_fission_mev * JOULE_PER_MEV)
        )

    @property
    def fissions_per_cm2_s(self) -> float:
        """``P / (4 pi d^2 eps)`` [1/(cm^2 s)], the prefactor of Eq. 14."""
        d_cm = self.baseline_m * _CM_PER_M
        return self.fission_rate_per_s / (4.0 * np.pi * d_cm**2)

    @property
    def normalisation(self) -> float:
        """Factor applied to Eq. 14: ``total_flux_per_cm2_s`` over the Eq. 14 total, or 1."""
        if self.total_flux_per_cm2_s is None:
            return 1.0
        return self.total_flux_per_cm2_s / (
            self.fissions_per_cm2_s * self.neutrinos_per_fission(0.0)
        )

    def _parts(self) -> list[tuple[float, _Piece]]:
        if self._components is None:
            parts: list[tuple[float, _Piece]] = []
            for iso, frac in self.fission_fractions.items():
                if frac > 0:
                    pieces = _isotope_pieces(iso, self.spectra, self.low_energy, self.junction_mev)
                    parts += [(frac, p) for p in pieces]
            if self.captures_per_fission > 0:
                parts += [
                    (self.captures_per_fission, p) for p in _capture_pieces(self.capture_spectrum)
                ]
            self._components = parts
        return self._components

    # --- the Flux protocol -----------------------------------------------------------------------
    @property
    def flavours(self) -> tuple[str, ...]:
        """Only electron antineutrinos."""
        return ("nuebar",)

    def spectrum(self, flavour: str, e_nu_mev: ArrayLike) -> NDArray[np.float64]:
        """dPhi/dE_nu [1/(cm^2 s MeV)]; zero for other flavours and outside the support.

        Parameters
        ----------
        flavour : str
            Neutrino flavour; only ``nuebar`` is non-zero.
        e_nu_mev : array_like
            Antineutrino energies [MeV].

        Returns
        -------
        ndarray
            dPhi/dE_nu [1/(cm^2 s MeV)] at the detector.
        """
        parse_flavour(flavour)
        e = as_float_array("e_nu_mev", e_nu_mev)
        if flavour != "nuebar":
            return np.zeros_like(e)
        total = np.zeros_like(e)
        for weight, piece in self._parts():
            total += weight * piece(e)
        return total * (self.fissions_per_cm2_s * self.normalisation)

    def energy_range(self, flavour: str) -> tuple[float, float]:
        """Support of the spectrum [MeV] (``(0, 0)`` for other flavours).

        Parameters
        ----------
        flavour : str
            Neutrino flavour.

        Returns
        -------
        (float, float)
            ``(E_min, E_max)`` [MeV] of the spectrum pieces; ``(0, 0)`` except for ``nuebar``.
        """
        parse_flavour(flavour)
        if flavour != "nuebar":
            return (0.0, 0.0)
        parts = self._parts()
        return min(p.lo for _, p in parts), max(p.hi for _, p in parts)

    def lines(self, flavour: str) -> list[tuple[float, float]]:
        """No monochromatic lines.

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

    # --- integrals ---------------------------------------------------------------------------
    def neutrinos_per_fission(self, e_min_mev: float = 0.0) -> float:
        """Antineutrinos per fission above ``e_min_mev`` (captures included).

        Parameters
        ----------
        e_min_mev : float, optional
            Lower energy bound [MeV] (default 0).

        Returns
        -------
        float
            Antineutrinos per fission above ``e_min_mev``.
        """
        e_min = check_finite("e_min_mev", e_min_mev)
        return sum(w * p.integral(e_min) for w, p in self._parts())

    def total_flux(self, e_min_mev: float = 0.0) -> float:
        """Flux above ``e_min_mev`` [1/(cm^2 s)] (exact integral of the interpolants).

        Parameters
        ----------
        e_min_mev : float, optional
            Lower energy bound [MeV] (default 0).

        Returns
        -------
        float
            Flux above ``e_min_mev`` [1/(cm^2 s)].
        """
        return self.fissions_per_cm2_s * self.normalisation * self.neutrinos_per_fission(e_min_mev)

    def __repr__(self) -> str:
        fr = ", ".join(f"{k}={v:g}" for k, v in self.fission_fractions.items() if v > 0)
        return (
            f"ReactorFlux({self.thermal_power_gw:g} GW, {self.baseline_m:g} m, {fr}, "
            f"eps={self.energy_per_fission_mev:g} MeV, spectra={self.spectra!r}, "
            f"low_energy={self.low_energy!r}, captures={self.captures_per_fission:g} "
            f"({self.capture_spectrum})"
            + (
                ""
                if self.total_flux_per_cm2_s is None
                else f", normalised to {self.total_flux_per_cm2_s:.4g} /cm^2/s"
            )
            + ")"
        )
