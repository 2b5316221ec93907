r"""Solar-neutrino flavour conversion with NSI: adiabatic propagation out of the Sun.

An electron neutrino produced at radius ``r`` in the Sun is, for the LMA parameters, carried
adiabatically to the surface (no level jumping) and arrives at the Earth as an incoherent
mixture of vacuum mass eigenstates (the Sun-Earth distance averages every coherence). The
probability to be detected as ``nu_alpha`` is then

.. math::

    P_{e\alpha}(E, r) = \sum_k |W_{ek}(E, r)|^2 \, |U_{\alpha\,i(k)}|^2 ,

with ``W(E, r)`` the eigenvectors of the flavour-basis Hamiltonian at the production point,
sorted by eigenvalue, ``U`` the vacuum mixing matrix and ``i(k)`` the vacuum mass state that
the ``k``-th matter level turns into at zero density (levels of a one-parameter Hermitian
family do not cross, so the ordering is kept along the path; ``i(k)`` is the ordering of
``0, Delta m^2_21, Delta m^2_31``; an exact crossing needs a state that decouples exactly,
e.g. ``theta13 = 0`` together with a 1-3 resonance on the path, which the SM matter term
does not reach in the Sun below 20 MeV; for large NSI check with :func:`evolve_numerically`
and :func:`adiabaticity`). This is averaged over the production profile of the
source, :math:`P_{e\alpha}(E) = \sum_r f(r) P_{e\alpha}(E, r)`. With two flavours and no NSI
it is the familiar ``1/2 + 1/2 cos 2 theta_12 cos 2 theta_12^m``.

The Hamiltonian is the one of :func:`cevns.physics.oscillation.hamiltonian` (seed 000 Eq. 1)
with the NSI matter term of the same :class:`~cevns.physics.nsi.NSIModel`. It is not written
out again here: because that Hamiltonian is affine in the potential ``V_CC = sqrt2 G_F N_e``
and, through ``eps(Y_n) = eps^e + (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d``, in ``Y_n``, it is
``H(E, r) = H_vac(E) + V(r) [K_0 + Y_n(r) (K_1 - K_0)]``, and the three matrices ``H_vac``,
``K_0``, ``K_1`` (the matter term per unit potential at ``Y_n = 0`` and ``1``) are obtained by
evaluating :func:`~cevns.physics.oscillation.hamiltonian` itself in vacuum and in two
reference media (:func:`matter_term_per_potential`). The affinity is checked numerically.

Solar model
-----------
:meth:`SolarModel.b16` reads the B16 standard solar model of N. Vinyoles et al., ApJ 835
(2017) 202 (arXiv:1611.09867), GS98 or AGSS09met composition, from the registered file
``solar/nudistr_b16_<composition>.dat`` (1000 zones, 0.0005 <= r <= 0.5 R_sun): the electron
density ``log10(N_e / N_A)`` and the fraction of each source's neutrinos produced per zone.

*Electron density beyond 0.5 R_sun* (not in the file; needed only by the numerical
cross-check, :func:`evolve_numerically`, since the adiabatic result depends on the
production point alone): ``N_e`` continues exponentially from the last table point with the
logarithmic slope fitted to 0.3-0.5 R_sun (scale height ``~0.095 R_sun``, i.e. the
``N_e/N_A ~ 245 exp(-10.54 r/R_sun)`` of J. Bahcall, *Neutrino Astrophysics* (1989)).

*Neutron fraction* ``Y_n(r) = N_n / N_e`` (needed to turn quark NSI into the
Hamiltonian-level eps). The file has no hydrogen mass fraction, so ``Y_n`` is derived from
the file's own columns: column 4 is the mass of each zone; divided by the shell volume
``4 pi r^2 dr`` it gives the density ``rho(r)`` (with ``M_sun = 1.989e33 g`` and
``R_sun = 6.9598e10 cm`` of the SSM calibration). With one electron per proton and a mass of
1 u per nucleon, ``Y_e = N_e / (rho N_A)`` and ``Y_n = 1/Y_e - 1``, i.e.
``(1 - X)/(1 + X)`` for a hydrogen mass fraction ``X`` (metals counted like helium,
``Z/A = 1/2``; the 0.8 % hydrogen mass excess over 1 u shifts ``Y_n`` by < 0.01). The zone
masses live on the model's coarser native grid, so the ratio is smoothed with a running mean
over 0.01 R_sun, and inside ``r < 0.02 R_sun`` (where the shell estimate fails) it is held at
its value at 0.02 R_sun (a flat core, ``dX/dr = 0`` at the centre), then made non-increasing
outward (hydrogen burns fastest at the centre). Beyond 0.5 R_sun it is held at the last value.
The result for GS98: ``Y_n = 0.52`` at 0.02, ``0.44`` at 0.05, ``0.31`` at 0.1, ``0.18`` at
0.3 R_sun, 0.43 averaged over the 8B production profile; i.e. ``X = 0.32`` in the flat core
and ``0.71`` at 0.5 R_sun (the flat core underestimates the central ``Y_n`` a little, where
6 % of the 8B neutrinos are made). :meth:`SolarModel.with_neutron_fraction`
replaces it by a constant (used to isolate the effect of its variation).

Adiabaticity
------------
:func:`adiabaticity` gives, for each pair of matter levels, ``gamma = |lambda_j -
lambda_k|^2 / (2 hbar c |<j| dH/dr |k>|)``, which at an MSW resonance reduces to the
Landau-Zener parameter ``Delta m^2 sin^2 2theta / (2 E cos 2theta |d ln N_e/dr|)`` (crossing
probability ``exp(-pi gamma / 2)``; :func:`landau_zener_gamma`); the adiabatic formula
needs ``gamma >> 1`` all along the path. :func:`evolve_numerically` integrates the
Schrodinger equation along the radial profile (thin constant-density steps, each exact) as a
cross-check that makes no adiabatic assumption.

Units: energies in MeV, radii in solar radii, potentials in eV, ``N_e`` in ``N_A cm^-3``.
Day-night (Earth matter) effects are not included.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_finite, check_positive, unknown_name
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store
from cevns.physics.oscillation import (
    HBARC_EV_KM,
    EpsLike,
    Medium,
    MixingParameters,
    hamiltonian,
    matter_potential_ev,
)

__all__ = [
    "SOLAR_MASS_G",
    "SOLAR_RADIUS_CM",
    "SOLAR_RADIUS_KM",
    "SOURCES",
    "SolarModel",
    "adiabaticity",
    "evolve_numerically",
    "landau_zener_gamma",
    "matter_term_per_potential",
    "neutron_fraction_from_zones",
    "probabilities_at_earth",
]


def __dir__() -> list[str]:
    return __all__


#: Solar radius [cm] used in the SSM calibration (Bahcall et al.; B16 keeps it).
SOLAR_RADIUS_CM: float = 6.9598e10
#: Solar radius [km].
SOLAR_RADIUS_KM: float = SOLAR_RADIUS_CM * 1.0e-5
#: Solar mass [g] used in the SSM calibration.
SOLAR_MASS_G: float = 1.989e33

#: neutrino sources of the B16 production table -> column (0-based) in nudistr_b16_*.dat
SOURCES: Mapping[str, int] = MappingProxyType(
    {"pp": 4, "pep": 5, "hep": 6, "7Be": 7, "8B": 8, "13N": 9, "15O": 10, "17F": 11}
)
_COMPOSITIONS = ("gs98", "agss09")
#: Y_n is smoothed over this many table zones (0.01 R_sun) ...
_YN_WINDOW = 21
#: ... and held constant inside this radius [R_sun], where the shell estimate fails
_YN_CORE_RSUN = 0.02
#: half-width [R_sun] of the central differences of the profile (log10 N_e has 3 decimals)
_DIFF_STEP_RSUN = 5.0e-3
#: the exponential continuation of N_e is fitted to this range [R_sun]
_TAIL_FIT_RSUN = (0.3, 0.5)


# ----------------------------------------------------------------------------- solar model
@dataclass(frozen=True, eq=False)
class SolarModel:
    """Radial profile of the Sun: electron density, neutron fraction, production zones.

    Parameters
    ----------
    name : str
        Label, e.g. ``"B16-GS98"``.
    radius_rsun : array_like
        Zone radii [R_sun], strictly increasing, in (0, 1].
    electron_density_na : array_like
        ``N_e / N_A`` [cm^-3] at each radius, > 0.
    neutron_fraction : array_like
        ``Y_n = N_n / N_e`` at each radius, >= 0.
    production : mapping source -> array_like
        Share of each source's neutrinos produced in each zone, >= 0 (normalised here to
        sum to 1).
    tail_scale_height_rsun : float
        Scale height [R_sun] of the exponential continuation of ``N_e`` beyond the last
        radius, > 0.

    Examples
    --------
    >>> sun = SolarModel.b16()
    >>> round(float(sun.electron_density_na_at(0.05)), 1)
    89.1
    >>> round(float(sun.production_weights("8B").sum()), 12)
    1.0
    """

    name: str
    radius_rsun: Any
    electron_density_na: Any
    neutron_fraction: Any
    production: Mapping[str, Any]
    tail_scale_height_rsun: float = 0.095

    def __post_init__(self) -> None:
        r = as_float_array("radius_rsun", self.radius_rsun)
        if r.ndim != 1 or r.size < 2 or np.any(np.diff(r) <= 0):
            msg = f"radius_rsun must be a strictly increasing 1D array, got shape {r.shape}"
            raise InvalidParameterError(msg)
        if r[0] <= 0 or r[-1] > 1.0:
            msg = f"radius_rsun must lie in (0, 1] solar radii, got [{r[0]}, {r[-1]}]"
            raise InvalidParameterError(msg)
        fields = {"radius_rsun": r}
        for name, lower in (("electron_density_na", 0.0), ("neutron_fraction", None)):
            arr = as_float_array(name, getattr(self, name))
            if arr.shape != r.shape:
                msg = f"{name} must have the shape of radius_rsun {r.shape}, got {arr.shape}"
                raise InvalidParameterError(msg)
            bad = arr <= lower if lower is not None else arr < 0
            if np.any(bad):
                expected = "> 0" if lower is not None else ">= 0"
                msg = f"{name} must be {expected}, got {arr[bad][:3].tolist()}"
                raise InvalidParameterError(msg)
            fields[name] = arr
        prod: dict[str, NDArray[np.float64]] = {}
        for src, w in self.production.items():
            arr = as_float_array(f"production[{src!r}]", w)
            if arr.shape != r.shape or np.any(arr < 0) or not arr.sum() > 0:
                msg = (
                    f"production[{src!r}] must be non-negative zone weights of the shape of "
                    f"radius_rsun {r.shape} with a positive sum, got shape {arr.shape}"
                )
                raise InvalidParameterError(msg)
            prod[src] = arr / arr.sum()
        for arr in (*fields.values(), *prod.values()):
            arr.setflags(write=False)
        for name, arr in fields.items():
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "production", MappingProxyType(prod))
        h = check_positive("tail_scale_height_rsun", self.tail_scale_height_rsun)
        object.__setattr__(self, "tail_scale_height_rsun", h)

    @classmethod
    def b16(cls, composition: Literal["gs98", "agss09"] = "gs98") -> SolarModel:
        """The B16 standard solar model (Vinyoles et al. 2017) with GS98 or AGSS09met abundances.

        See the module docstring for the derived neutron fraction and the density tail.

        Parameters
        ----------
        composition : {"gs98", "agss09"}
            Solar abundances: GS98 (high metallicity) or AGSS09met.
        """
        if composition not in _COMPOSITIONS:
            raise unknown_name("B16 composition", str(composition), _COMPOSITIONS)
        return _b16(composition)

    def with_neutron_fraction(self, y_n: float) -> SolarModel:
        """A copy with a constant neutron fraction ``Y_n`` (>= 0) at every radius.

        Parameters
        ----------
        y_n : float
            Neutron fraction ``Y_n = N_n / N_e`` (>= 0) used at every radius.

        Returns
        -------
        SolarModel
            The copy, its name noting the value of ``Y_n``.
        """
        y = check_positive("y_n", y_n, allow_zero=True)
        return dataclasses.replace(
            self,
            name=f"{self.name} (Y_n = {y:g})",
            neutron_fraction=np.full(self.radius_rsun.shape, y),
        )

    # ------------------------------------------------------------------ profiles
    def _radius(self, radius_rsun: ArrayLike) -> NDArray[np.float64]:
        r = as_float_array("radius_rsun", radius_rsun)
        if np.any((r < 0) | (r > 1.0)):
            msg = f"radius_rsun must lie in [0, 1] solar radii, got {r[(r < 0) | (r > 1)][:3]}"
            raise InvalidParameterError(msg)
        return r

    def electron_density_na_at(self, radius_rsun: ArrayLike) -> NDArray[np.float64]:
        """``N_e / N_A`` [cm^-3] at ``radius_rsun``.

        Log-linear interpolation in the table, the innermost value below its first radius,
        and an exponential with :attr:`tail_scale_height_rsun` beyond its last radius.

        Parameters
        ----------
        radius_rsun : array_like
            Radii [R_sun].

        Returns
        -------
        ndarray
            ``N_e / N_A`` [cm^-3] at each radius.
        """
        r = self._radius(radius_rsun)
        rr = self.radius_rsun
        log_n = np.log(self.electron_density_na)
        inside = np.interp(r, rr, log_n)
        tail = log_n[-1] - (r - rr[-1]) / self.tail_scale_height_rsun
        return np.asarray(np.exp(np.where(r > rr[-1], tail, inside)), dtype=np.float64)

    def neutron_fraction_at(self, radius_rsun: ArrayLike) -> NDArray[np.float64]:
        """``Y_n = N_n / N_e`` at ``radius_rsun`` (linear interpolation, constant outside).

        Parameters
        ----------
        radius_rsun : array_like
            Radii [R_sun].

        Returns
        -------
        ndarray
            ``Y_n`` at each radius.
        """
        r = self._radius(radius_rsun)
        return np.asarray(np.interp(r, self.radius_rsun, self.neutron_fraction))

    def potential_ev_at(self, radius_rsun: ArrayLike) -> NDArray[np.float64]:
        """``V_CC = sqrt2 G_F N_e`` [eV] at ``radius_rsun``.

        Through :func:`cevns.physics.oscillation.matter_potential_ev` with ``rho Y_e``
        standing for ``N_e / N_A``.

        Parameters
        ----------
        radius_rsun : array_like
            Radii [R_sun].

        Returns
        -------
        ndarray
            Charged-current potential V_CC [eV] at each radius.
        """
        return np.asarray(matter_potential_ev(self.electron_density_na_at(radius_rsun), 1.0))

    def production_weights(self, source: str) -> NDArray[np.float64]:
        """Share of ``source``'s neutrinos produced in each zone (sums to 1).

        Parameters
        ----------
        source : str
            Name of a solar neutrino source of the model (e.g. ``"8B"``).

        Returns
        -------
        ndarray
            Fraction of the source's neutrinos produced in each zone of the table.
        """
        if source not in self.production:
            raise unknown_name("solar neutrino source", str(source), self.production)
        return np.asarray(self.production[source])


def _shell_density_g_cm3(
    radius_rsun: NDArray[np.float64], zone_mass_msun: NDArray[np.float64]
) -> NDArray[np.float64]:
    dr = float(np.median(np.diff(radius_rsun)))
    volume = 4.0 * math.pi * radius_rsun**2 * dr * SOLAR_RADIUS_CM**3
    return np.asarray(zone_mass_msun * SOLAR_MASS_G / volume, dtype=np.float64)


def neutron_fraction_from_zones(
    radius_rsun: ArrayLike, electron_density_na: ArrayLike, zone_mass_msun: ArrayLike
) -> NDArray[np.float64]:
    """``Y_n(r)`` from a table of zone masses and electron densities (module docstring).

    Parameters
    ----------
    radius_rsun : array_like
        Equally spaced zone radii [R_sun].
    electron_density_na : array_like
        ``N_e / N_A`` [cm^-3].
    zone_mass_msun : array_like
        Mass of each zone [M_sun].

    Returns
    -------
    ndarray
        Smoothed, non-increasing ``Y_n = rho N_A / N_e - 1``, flat inside 0.02 R_sun.
    """
    r = as_float_array("radius_rsun", radius_rsun)
    n = as_float_array("electron_density_na", electron_density_na)
    m = as_float_array("zone_mass_msun", zone_mass_msun)
    raw = _shell_density_g_cm3(r, m) / n - 1.0
    half = _YN_WINDOW // 2
    padded = np.pad(raw, half, mode="edge")
    smooth = np.convolve(padded, np.full(_YN_WINDOW, 1.0 / _YN_WINDOW), mode="valid")
    core = r < _YN_CORE_RSUN
    smooth = np.where(core, smooth[np.argmax(~core)], smooth)
    return np.asarray(np.minimum.accumulate(np.clip(smooth, 0.0, None)), dtype=np.float64)


@functools.cache
def _b16(composition: str) -> SolarModel:
    table = store.load_table(f"solar/nudistr_b16_{composition}.dat")
    r = table[:, 0]
    n_e = 10.0 ** table[:, 2]
    y_n = neutron_fraction_from_zones(r, n_e, table[:, 3])
    lo, hi = _TAIL_FIT_RSUN
    sel = (r >= lo) & (r <= hi)
    slope = np.polyfit(r[sel], np.log(n_e[sel]), 1)[0]
    label = {"gs98": "B16-GS98", "agss09": "B16-AGSS09met"}[composition]
    return SolarModel(
        name=label,
        radius_rsun=r,
        electron_density_na=n_e,
        neutron_fraction=y_n,
        production={src: table[:, col] for src, col in SOURCES.items()},
        tail_scale_height_rsun=-1.0 / float(slope),
    )


# ----------------------------------------------------------------------------- Hamiltonian
#: reference medium for extracting the matter term: V_ref = 7.6e-10 eV, above any
#: vacuum term at E_ref (1.2e-9 eV), so the subtraction loses < 1 digit
_REF_DENSITY_G_CM3 = 1.0e4
_REF_ENERGY_MEV = 1.0


def matter_term_per_potential(
    params: MixingParameters, model: EpsLike
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """The matter part of the Hamiltonian per unit ``V_CC`` at ``Y_n = 0`` and ``Y_n = 1``.

    Obtained from :func:`cevns.physics.oscillation.hamiltonian` as
    ``(H(medium) - H(vacuum)) / V_CC(medium)`` in two reference media, so the SM term
    ``diag(1, 0, 0)``, the NSI conversion and the model checks are the ones of that module.
    In a medium of neutron fraction ``y`` the term is ``K_0 + y (K_1 - K_0)``; this is
    verified at ``y = 1/2``.

    Parameters
    ----------
    params : MixingParameters
    model : NSIModel, 3x3 array or None
        As in :func:`~cevns.physics.oscillation.hamiltonian`.

    Returns
    -------
    (K_0, K_1) : two 3x3 complex arrays

    Examples
    --------
    >>> k0, k1 = matter_term_per_potential(MixingParameters.normal_ordering(), None)
    >>> bool(np.allclose(k0, np.diag([1, 0, 0]), atol=1e-12)), bool(np.allclose(k0, k1))
    (True, True)
    """
    vac = hamiltonian(params, model, None, _REF_ENERGY_MEV)

    def term(y_n: float) -> NDArray[np.complex128]:
        med = Medium(_REF_DENSITY_G_CM3, 1.0, y_n)
        h = hamiltonian(params, model, med, _REF_ENERGY_MEV)
        return np.asarray((h - vac) / med.potential_ev, dtype=np.complex128)

    k0, k1, k_half = term(0.0), term(1.0), term(0.5)
    scale = max(1.0, float(np.abs(k1 - k0).max()), float(np.abs(k0).max()))
    if not np.allclose(k_half, 0.5 * (k0 + k1), rtol=0.0, atol=1e-9 * scale):
        msg = (
            "model: the matter term of the Hamiltonian is not affine in Y_n, which the solar "
            f"propagation assumes; got {k_half.tolist()} at Y_n = 1/2"
        )
        raise InvalidParameterError(msg)
    return k0, k1


def _energies(e_nu_mev: ArrayLike) -> NDArray[np.float64]:
    e = as_float_array("e_nu_mev", e_nu_mev)
    if np.any(e <= 0):
        msg = f"e_nu_mev must be > 0 MeV, got {e[e <= 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    return e


def _grid_hamiltonian(
    params: MixingParameters,
    model: EpsLike,
    e_nu_mev: NDArray[np.float64],
    potential_ev: NDArray[np.float64],
    y_n: NDArray[np.float64],
) -> NDArray[np.complex128]:
    """``H`` [eV] of shape ``e.shape + v.shape + (3, 3)`` (every energy at every radius)."""
    k0, k1 = matter_term_per_potential(params, model)
    h_vac = hamiltonian(params, model, None, e_nu_mev)
    matter = k0 + y_n[..., None, None] * (k1 - k0)
    per_r = potential_ev[..., None, None] * matter
    idx = (Ellipsis,) + (None,) * potential_ev.ndim + (slice(None), slice(None))
    return np.asarray(h_vac[idx] + per_r, dtype=np.complex128)


def _vacuum_weights(params: MixingParameters) -> NDArray[np.float64]:
    """``|U_{alpha i(k)}|^2`` as a (3 levels k, 3 flavours alpha) array."""
    order = np.argsort([0.0, params.dm21_ev2, params.dm31_ev2])
    u2 = np.abs(params.mixing_matrix()) ** 2
    return np.asarray(u2[:, order].T, dtype=np.float64)


def _production_radii(
    solar: SolarModel, source: str, radius_rsun: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    if radius_rsun is not None:
        return solar._radius(radius_rsun), None
    w = solar.production_weights(source)
    keep = w > 1e-7 * w.max()  # the zones dropped hold < 1e-6 of the neutrinos
    return solar.radius_rsun[keep], w[keep] / w[keep].sum()


def probabilities_at_earth(
    params: MixingParameters,
    model: EpsLike,
    e_nu_mev: ArrayLike,
    *,
    source: str = "8B",
    radius_rsun: ArrayLike | None = None,
    solar: SolarModel | None = None,
) -> NDArray[np.float64]:
    """Adiabatic ``P(nu_e -> nu_alpha)`` at the Earth for solar neutrinos (module docstring).

    Parameters
    ----------
    params : MixingParameters
        Vacuum mixing.
    model : NSIModel, 3x3 array or None
        NSI in the matter term (an NSIModel is converted with the local ``Y_n(r)``); ``None``
        is the SM.
    e_nu_mev : array_like
        Neutrino energies [MeV], > 0.
    source : str
        Production profile to average over (a key of :data:`SOURCES`), default 8B.
    radius_rsun : array_like, optional
        Production radii [R_sun] instead of the profile average: the result then has shape
        ``e.shape + r.shape + (3,)``.
    solar : SolarModel, optional
        Default :meth:`SolarModel.b16` (GS98).

    Returns
    -------
    ndarray of shape ``e.shape + (3,)``
        ``[P_ee, P_emu, P_etau]``; they sum to 1.

    Examples
    --------
    >>> p = probabilities_at_earth(MixingParameters.normal_ordering(), None, [0.1, 10.0])
    >>> p.shape, bool(np.allclose(p.sum(axis=-1), 1.0))
    ((2, 3), True)
    >>> round(float(p[1, 0]), 3)
    0.322
    """
    solar = SolarModel.b16() if solar is None else solar
    e = _energies(e_nu_mev)
    r, w = _production_radii(solar, source, radius_rsun)
    h = _grid_hamiltonian(params, model, e, solar.potential_ev_at(r), solar.neutron_fraction_at(r))
    _, vec = np.linalg.eigh(h)
    p_levels = np.abs(vec[..., 0, :]) ** 2  # |W_ek|^2, shape e + r + (3 levels,)
    p = p_levels @ _vacuum_weights(params)
    if w is None:
        return np.asarray(p, dtype=np.float64)
    return np.asarray(np.einsum("...rf,r->...f", p, w), dtype=np.float64)


# ----------------------------------------------------------------------------- cross-checks
def _chain_product(s: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """``S_{n-1} ... S_1 S_0`` along axis -3 by pairwise (tree) multiplication."""
    while s.shape[-3] > 1:
        if s.shape[-3] % 2:
            eye = np.broadcast_to(np.eye(3, dtype=np.complex128), (*s.shape[:-3], 1, 3, 3))
            s = np.concatenate([s, eye], axis=-3)
        s = s[..., 1::2, :, :] @ s[..., 0::2, :, :]
    return s[..., 0, :, :]


def evolve_numerically(
    params: MixingParameters,
    model: EpsLike,
    e_nu_mev: ArrayLike,
    radius_rsun: float,
    *,
    solar: SolarModel | None = None,
    n_steps: int = 20000,
    r_end_rsun: float = 1.0,
) -> NDArray[np.float64]:
    """``P(nu_e -> nu_alpha)`` at the Earth by integrating the evolution out of the Sun.

    No adiabatic assumption: the path from ``radius_rsun`` to ``r_end_rsun`` is cut into
    ``n_steps`` equal steps of constant density (the values at their midpoints), each
    evolved exactly, ``S_j = W exp(-i lambda dx) W^dagger``, and multiplied in order. At
    ``r_end_rsun`` the state is projected on the local matter eigenstates, which continue
    adiabatically into the vacuum mass states (``N_e = 0.005 N_A cm^-3`` at 1 R_sun, < 1e-3
    of the 1-2 resonance density below 20 MeV); their populations reach the Earth
    incoherently.

    Parameters
    ----------
    params, model
        As in :func:`probabilities_at_earth`.
    e_nu_mev : array_like
        Neutrino energies [MeV], > 0 (a few: the memory is ``16 * 9 * n_steps`` bytes each).
    radius_rsun : float
        Production radius [R_sun], in [0, r_end_rsun).
    solar : SolarModel, optional
        Default :meth:`SolarModel.b16`.
    n_steps : int
        Number of constant-density steps, >= 1.
    r_end_rsun : float
        Where the evolution stops [R_sun], <= 1.

    Returns
    -------
    ndarray of shape ``e.shape + (3,)``
    """
    solar = SolarModel.b16() if solar is None else solar
    e = _energies(e_nu_mev)
    r0 = check_finite("radius_rsun", radius_rsun)
    r1 = check_finite("r_end_rsun", r_end_rsun)
    if not 0.0 <= r0 < r1 <= 1.0:
        msg = f"need 0 <= radius_rsun < r_end_rsun <= 1, got {r0!r} and {r1!r}"
        raise InvalidParameterError(msg)
    if not isinstance(n_steps, int) or n_steps < 1:
        msg = f"n_steps must be an integer >= 1, got {n_steps!r}"
        raise InvalidParameterError(msg)
    edges = np.linspace(r0, r1, n_steps + 1)
    mid = 0.5 * (edges[1:] + edges[:-1])
    h = _grid_hamiltonian(
        params, model, e, solar.potential_ev_at(mid), solar.neutron_fraction_at(mid)
    )
    h = h - (np.trace(h, axis1=-2, axis2=-1) / 3.0)[..., None, None] * np.eye(3)
    lam, w = np.linalg.eigh(h)
    dx_km = (r1 - r0) / n_steps * SOLAR_RADIUS_KM
    phase = np.exp(-1j * lam * (dx_km / HBARC_EV_KM))
    steps = (w * phase[..., None, :]) @ np.swapaxes(w.conj(), -1, -2)
    psi = _chain_product(steps)[..., :, 0]  # the evolved nu_e, flavour basis
    h_end = _grid_hamiltonian(
        params,
        model,
        e,
        solar.potential_ev_at(np.array([r1])),
        solar.neutron_fraction_at(np.array([r1])),
    )[..., 0, :, :]
    _, w_end = np.linalg.eigh(h_end)
    levels = np.abs(np.einsum("...fk,...f->...k", w_end.conj(), psi)) ** 2
    return np.asarray(levels @ _vacuum_weights(params), dtype=np.float64)


def adiabaticity(
    params: MixingParameters,
    model: EpsLike,
    e_nu_mev: ArrayLike,
    radius_rsun: ArrayLike,
    *,
    solar: SolarModel | None = None,
) -> NDArray[np.float64]:
    """Adiabaticity parameter of each pair of matter levels along the solar profile.

    ``gamma_jk(E, r) = |lambda_j - lambda_k|^2 / (2 hbar c |<j| dH/dr |k>|)`` with
    ``dH/dr = V' K(Y_n) + V Y_n' (K_1 - K_0)`` (central differences of the profile over
    ``2 * 5e-3 R_sun``: the table's ``log10 N_e`` has three decimals, so differences over
    single zones would be quantisation noise). At a two-level resonance it equals the
    Landau-Zener ``gamma`` (:func:`landau_zener_gamma`); the propagation is adiabatic where
    ``gamma >> 1``.

    Parameters
    ----------
    params, model
        As in :func:`probabilities_at_earth`.
    e_nu_mev : array_like
        Neutrino energies [MeV], > 0.
    radius_rsun : array_like
        Radii [R_sun] in [5e-3, 1 - 5e-3].
    solar : SolarModel, optional
        Default :meth:`SolarModel.b16`.

    Returns
    -------
    ndarray of shape ``e.shape + r.shape + (3,)``
        ``gamma`` for the level pairs (0, 1), (0, 2), (1, 2) in increasing eigenvalue order.
    """
    solar = SolarModel.b16() if solar is None else solar
    e = _energies(e_nu_mev)
    r = solar._radius(radius_rsun)
    step = _DIFF_STEP_RSUN
    if np.any((r < step) | (r > 1.0 - step)):
        msg = f"radius_rsun must lie in [{step}, {1 - step}] here, got {r.ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    v = solar.potential_ev_at(r)
    y = solar.neutron_fraction_at(r)
    dv = (solar.potential_ev_at(r + step) - solar.potential_ev_at(r - step)) / (2 * step)
    dy = (solar.neutron_fraction_at(r + step) - solar.neutron_fraction_at(r - step)) / (2 * step)
    k0, k1 = matter_term_per_potential(params, model)
    dh = (dv[..., None, None] * (k0 + y[..., None, None] * (k1 - k0))) + (
        (v * dy)[..., None, None] * (k1 - k0)
    )
    dh_km = dh / SOLAR_RADIUS_KM  # eV per km
    lam, w = np.linalg.eigh(_grid_hamiltonian(params, model, e, v, y))
    dh_levels = np.swapaxes(w.conj(), -1, -2) @ dh_km @ w
    out = []
    for j, k in ((0, 1), (0, 2), (1, 2)):
        gap = lam[..., k] - lam[..., j]
        coupling = np.abs(dh_levels[..., j, k]) * HBARC_EV_KM
        out.append(gap**2 / (2.0 * np.maximum(coupling, np.finfo(float).tiny)))
    return np.asarray(np.stack(out, axis=-1), dtype=np.float64)


def landau_zener_gamma(
    params: MixingParameters,
    e_nu_mev: ArrayLike,
    *,
    solar: SolarModel | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-flavour Landau-Zener adiabaticity at the 1-2 MSW resonance (no NSI).

    ``gamma = Delta m^2_21 sin^2 2theta_12 / (2 E cos 2theta_12 |d ln N_e / dr|_res)``
    with the resonance at ``c13^2 V_CC = Delta m^2_21 cos 2theta_12 / (2E)`` (the
    ``theta_13`` suppression of the effective potential); the level-crossing probability is
    ``exp(-pi gamma / 2)`` (S. Parke, PRL 57 (1986) 1275). Energies whose resonance density
    exceeds the central density, or whose resonance lies outside the Sun, get ``nan``.

    Parameters
    ----------
    params : MixingParameters
        ``theta12 < pi/4`` (a resonance for neutrinos).
    e_nu_mev : array_like
        Neutrino energies [MeV], > 0.
    solar : SolarModel, optional
        Default :meth:`SolarModel.b16`.

    Returns
    -------
    (gamma, radius_rsun) : ndarrays of the shape of ``e_nu_mev``
        The parameter and the resonance radius [R_sun].
    """
    solar = SolarModel.b16() if solar is None else solar
    e = _energies(e_nu_mev)
    if params.theta12 >= math.pi / 4:
        msg = f"theta12 must be < pi/4 for a neutrino resonance, got {params.theta12!r}"
        raise InvalidParameterError(msg)
    c2, s2 = math.cos(2 * params.theta12), math.sin(2 * params.theta12)
    delta_ev = params.dm21_ev2 / (2.0 * e * 1.0e6)
    v_res = delta_ev * c2 / math.cos(params.theta13) ** 2
    n_res = v_res / float(matter_potential_ev(1.0, 1.0))
    # N_e decreases outward: invert log N_e(r) on the table (reversed to increase)
    log_n = np.log(solar.electron_density_na)
    r_res = np.interp(np.log(n_res), log_n[::-1], solar.radius_rsun[::-1])
    # below the table's last density: on the exponential tail
    tail = solar.radius_rsun[-1] + solar.tail_scale_height_rsun * (log_n[-1] - np.log(n_res))
    r_res = np.where(np.log(n_res) < log_n[-1], tail, r_res)
    outside = (n_res > solar.electron_density_na.max()) | (r_res > 1.0 - _DIFF_STEP_RSUN)
    r_res = np.where(outside, np.nan, r_res)
    h = _DIFF_STEP_RSUN
    r_safe = np.clip(np.nan_to_num(r_res, nan=0.5), h, 1.0 - h)
    dlog = (
        np.log(solar.electron_density_na_at(r_safe + h))
        - np.log(solar.electron_density_na_at(r_safe - h))
    ) / (2 * h)
    dlog_km = np.abs(dlog) / SOLAR_RADIUS_KM
    gamma = delta_ev * s2**2 / (c2 * dlog_km * HBARC_EV_KM)
    return np.where(np.isnan(r_res), np.nan, gamma), r_res
