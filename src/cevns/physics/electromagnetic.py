"""Neutrino electromagnetic properties: magnetic moment, charge radius, millicharge.

Magnetic moment
---------------
An effective magnetic moment ``mu_nu`` (in Bohr magnetons) flips the neutrino helicity, so
its amplitude does not interfere with the weak one and the rates add::

    dsigma/dT (nucleus)  = pi alpha^2 / m_e^2  mu_nu^2 (1/T - 1/E) Z^2 F_Z(q)^2
    dsigma/dT (electron) = pi alpha^2 / m_e^2  mu_nu^2 (1/T - 1/E) Z_eff(T)

(P. Vogel and J. Engel, PRD 39, 3378 (1989), Eq. 3 for the electron; the nuclear form with
Z^2 F_Z^2 as in M. Atzori Corona et al., arXiv:2205.09484). ``Z_eff(T)`` is the stepping
approximation: the number of atomic electrons whose binding energy is below the energy
deposit (J.-W. Chen et al., PLB 731, 159 (2014); Atzori Corona et al. 2205.09484), from
the binding energies of :data:`BINDING_ENERGIES_KEV`. Both vanish above the elastic
kinematic limit. Rates are therefore linear in ``mu_nu^2``: quadratic in the fit parameter
``mu_nu`` with no interference term, which keeps the quadratic fast path exact
(:class:`MagneticMomentModel`, used by the ``magnetic_moment`` families).

Charge radius and millicharge
-----------------------------
Both are photon exchange, i.e. a vector coupling proportional to the electric charge of the
target fermion. For incoming flavour ``l`` the proton coupling moves,
``g_V^p -> g_V^p + delta_l`` (Atzori Corona et al. 2205.09484, Sec. 2; M. Cadeddu et al.,
PRD 98, 113010 (2018), Eq. 3), with::

    delta_l = -(sqrt2 pi alpha / (3 G_F)) <r^2_nu_l>              (charge radius)
    delta_l = -(2 sqrt2 pi alpha / (G_F q^2)) q_nu_l              (millicharge, q_nu in e)

expressed in the neutrino's own properties for neutrinos and antineutrinos alike (for an
antineutrino both the weak and the electromagnetic amplitude flip sign). Since they couple
to ``Q_f``, they are exactly vector NSI with ``eps^u : eps^d : eps^e = 2/3 : -1/3 : -1``
times ``delta``: ``2 eps^u + eps^d = delta`` on the proton, ``eps^u + 2 eps^d = 0`` on the
neutron, and the matter potential of a neutral medium ``eps^e + (2 + Y_n) eps^u +
(1 + 2 Y_n) eps^d = 0`` (photon exchange with a neutral medium cancels): see
:func:`charge_radius_eps`. The millicharge's 1/q^2 is a massless mediator:
:func:`millicharge_eps` writes it as a light vector of mass :data:`PHOTON_MASS_PROXY_MEV`,
``delta(q) = delta(0) M^2 / (q^2 + M^2)``, which differs from 1/q^2 by the relative amount
``M^2 / q^2`` (below 1e-12 for recoils above 1 eVnr on any nucleus heavier than He).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_finite
from cevns.core.constants import G_FERMI, HBARC_MEV_CM, KEV_PER_MEV, M_ELECTRON
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.cross_section import FormFactors, e_nr_max_kev, resolve_form_factors
from cevns.physics.cross_section import momentum_transfer_mev as _q_mev
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Nucleus

__all__ = [
    "ALPHA_EM",
    "BINDING_ENERGIES_KEV",
    "CM2_PER_INV_MEV2",
    "PHOTON_MASS_PROXY_MEV",
    "MagneticMomentModel",
    "charge_radius_eps",
    "charge_radius_shift",
    "electron_mm_cross_section",
    "millicharge_eps",
    "millicharge_shift",
    "nuclear_mm_cross_section",
    "stepping_z_eff",
]


def __dir__() -> list[str]:
    return __all__


#: Fine-structure constant at q^2 = 0; CODATA2018: 1/137.035999084.
ALPHA_EM: float = 1.0 / 137.035999084
#: 1 MeV^-2 in cm^2 (hbar c)^2.
CM2_PER_INV_MEV2: float = HBARC_MEV_CM**2
#: Mass [MeV] standing for the massless photon of the millicharge (module notes).
PHOTON_MASS_PROXY_MEV: float = 1e-6

#: Electron binding energies [keV] per shell and the number of electrons in it, by proton
#: number: A. Thompson et al., X-ray Data Booklet (LBNL, 2009), Table 1-1 (Ge: K 11103,
#: L1 1414.6, L2 1248.1, L3 1217.0, M1 180.1, M2 124.9, M3 120.8, M4 29.8, M5 29.2 eV; the
#: four N-shell electrons, bound by less than 10 eV, count as free).
BINDING_ENERGIES_KEV: dict[int, tuple[tuple[float, int], ...]] = {
    32: (
        (0.0, 4),
        (0.0292, 6),
        (0.0298, 4),
        (0.1208, 4),
        (0.1249, 2),
        (0.1801, 2),
        (1.2170, 4),
        (1.2481, 2),
        (1.4146, 2),
        (11.103, 2),
    ),
}

_MM_PREFACTOR_CM2_PER_KEV = np.pi * ALPHA_EM**2 / M_ELECTRON**2 * CM2_PER_INV_MEV2 / KEV_PER_MEV
#: sqrt2 pi alpha / (3 G_F) [MeV^2]: the proton-coupling shift per unit <r^2> [MeV^-2].
_RADIUS_COEFF_MEV2 = np.sqrt(2.0) * np.pi * ALPHA_EM / (3.0 * G_FERMI)
#: 2 sqrt2 pi alpha / G_F [MeV^2]: the millicharge shift times q^2, per unit charge.
_CHARGE_COEFF_MEV2 = 2.0 * np.sqrt(2.0) * np.pi * ALPHA_EM / G_FERMI


def stepping_z_eff(e_er_kev: ArrayLike, z: int) -> NDArray[np.float64]:
    """Electrons of an atom that an energy deposit ``e_er_kev`` can ionise (stepping).

    Parameters
    ----------
    e_er_kev : array_like
        Electron recoil energy [keV], >= 0.
    z : int
        Proton number; binding energies are tabulated for :data:`BINDING_ENERGIES_KEV` only.

    Returns
    -------
    ndarray
        ``sum_shells n_shell * [T > B_shell]`` (between 0 and ``z``).

    Examples
    --------
    >>> stepping_z_eff([0.01, 0.5, 5.0, 20.0], 32).tolist()
    [4.0, 22.0, 30.0, 32.0]
    """
    t = as_float_array("e_er_kev", e_er_kev)
    if np.any(t < 0):
        msg = f"e_er_kev must be >= 0, got {t[t < 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    if z not in BINDING_ENERGIES_KEV:
        msg = (
            f"no electron binding energies for Z = {z}: the stepping approximation is "
            f"tabulated for Z in {sorted(BINDING_ENERGIES_KEV)}"
        )
        raise InvalidParameterError(msg)
    shells = BINDING_ENERGIES_KEV[z]
    b = np.array([s[0] for s in shells])
    n = np.array([s[1] for s in shells], dtype=np.float64)
    return np.asarray(np.sum(n * (t[..., None] > b), axis=-1) + 0.0, dtype=np.float64)


def _mm_kinematics(t_kev: NDArray[np.float64], e: NDArray[np.float64], mass: float) -> Any:
    """``1/T - 1/E`` [MeV^-1], zero outside the elastic kinematic range."""
    allowed = (t_kev > 0) & (t_kev <= e_nr_max_kev(e, mass))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(allowed, KEV_PER_MEV / t_kev - 1.0 / np.where(e > 0, e, 1.0), 0.0)


def nuclear_mm_cross_section(
    e_nr_kev: ArrayLike,
    e_nu_mev: ArrayLike,
    nucleus: Nucleus,
    mu_nu_mub: float,
    *,
    form_factor: FormFactors | None = None,
) -> NDArray[np.float64]:
    """Magnetic-moment scattering on a nucleus, dsigma/dT [cm^2 / keVnr] (module notes).

    Parameters
    ----------
    e_nr_kev : array_like
        Nuclear recoil energy [keVnr], > 0 (the cross section diverges as 1/T).
    e_nu_mev : array_like
        Neutrino energy [MeV], >= 0.
    nucleus : Nucleus
    mu_nu_mub : float
        Effective magnetic moment in Bohr magnetons (e.g. ``1e-10``).
    form_factor : form factor or (proton, neutron) pair, optional
        The proton one is used (default Helm).

    Returns
    -------
    ndarray
        Zero above the elastic limit ``T_max = 2E^2/(m_N + 2E)``.
    """
    t = as_float_array("e_nr_kev", e_nr_kev)
    e = as_float_array("e_nu_mev", e_nu_mev)
    if np.any(t <= 0) or np.any(e < 0):
        msg = "e_nr_kev must be > 0 and e_nu_mev >= 0"
        raise InvalidParameterError(msg)
    mu = check_finite("mu_nu_mub", mu_nu_mub)
    ff_p, _ = resolve_form_factors(form_factor)
    fz = nucleus.z * ff_p(_q_mev(t, nucleus.mass_mev), nucleus)
    kin = _mm_kinematics(t, e, nucleus.mass_mev)
    return np.asarray(_MM_PREFACTOR_CM2_PER_KEV * mu**2 * kin * fz**2, dtype=np.float64)


def electron_mm_cross_section(
    e_er_kev: ArrayLike,
    e_nu_mev: ArrayLike,
    mu_nu_mub: float,
    *,
    z: int | None = None,
) -> NDArray[np.float64]:
    """Magnetic-moment scattering on atomic electrons, dsigma/dT [cm^2 / keV] (module notes).

    Parameters
    ----------
    e_er_kev : array_like
        Electron recoil energy [keV], > 0.
    e_nu_mev : array_like
        Neutrino energy [MeV], >= 0.
    mu_nu_mub : float
        Effective magnetic moment in Bohr magnetons.
    z : int, optional
        Per atom of proton number ``z`` with the stepping approximation
        (:func:`stepping_z_eff`); ``None`` for one free electron at rest.

    Returns
    -------
    ndarray
        Zero above ``T_max = 2E^2/(m_e + 2E)``.
    """
    t = as_float_array("e_er_kev", e_er_kev)
    e = as_float_array("e_nu_mev", e_nu_mev)
    if np.any(t <= 0) or np.any(e < 0):
        msg = "e_er_kev must be > 0 and e_nu_mev >= 0"
        raise InvalidParameterError(msg)
    mu = check_finite("mu_nu_mub", mu_nu_mub)
    kin = _mm_kinematics(t, e, M_ELECTRON)
    n_e = 1.0 if z is None else stepping_z_eff(t, z)
    return np.asarray(_MM_PREFACTOR_CM2_PER_KEV * mu**2 * kin * n_e, dtype=np.float64)


def charge_radius_shift(r2_cm2: ArrayLike) -> NDArray[np.float64]:
    """Shift of the proton vector coupling by a neutrino charge radius (module notes).

    Parameters
    ----------
    r2_cm2 : array_like
        ``<r^2_nu>`` [cm^2] (e.g. ``1e-32``), either sign.

    Returns
    -------
    ndarray
        ``delta = -(sqrt2 pi alpha / (3 G_F)) <r^2>`` (dimensionless).

    Examples
    --------
    >>> round(float(charge_radius_shift(1e-32)), 5)
    -0.0238
    """
    r2 = as_float_array("r2_cm2", r2_cm2)
    return np.asarray(-_RADIUS_COEFF_MEV2 * r2 / CM2_PER_INV_MEV2, dtype=np.float64)


def millicharge_shift(q_nu_e: ArrayLike, q_mev: ArrayLike) -> NDArray[np.float64]:
    """Shift of the proton vector coupling by a neutrino millicharge (module notes).

    Parameters
    ----------
    q_nu_e : array_like
        Neutrino electric charge in units of the elementary charge (e.g. ``1e-12``).
    q_mev : array_like
        Momentum transfer [MeV], > 0.

    Returns
    -------
    ndarray
        ``delta = -(2 sqrt2 pi alpha / (G_F q^2)) q_nu``.
    """
    qn = as_float_array("q_nu_e", q_nu_e)
    q = as_float_array("q_mev", q_mev)
    if np.any(q <= 0):
        msg = "q_mev must be > 0"
        raise InvalidParameterError(msg)
    return np.asarray(-_CHARGE_COEFF_MEV2 * qn / q**2, dtype=np.float64)


def _charge_proportional(delta: NDArray[np.float64]) -> dict[str, Any]:
    d = np.diag(delta).astype(np.complex128)
    return {"eps_u": 2.0 / 3.0 * d, "eps_d": -1.0 / 3.0 * d, "eps_e": -d}


def charge_radius_eps(r2_cm2: ArrayLike) -> dict[str, Any]:
    """Charge radii as the equivalent contact vector NSI (module notes).

    Parameters
    ----------
    r2_cm2 : array_like of shape (3,)
        ``<r^2_nu_l>`` [cm^2] for l = e, mu, tau (diagonal charge radii).

    Returns
    -------
    dict
        ``eps_u``, ``eps_d``, ``eps_e``: 3x3 diagonal matrices to add to a model's NSI.

    Examples
    --------
    >>> eps = charge_radius_eps([1e-32, 0.0, 0.0])
    >>> d = 2 * eps["eps_u"][0, 0] + eps["eps_d"][0, 0]
    >>> round(float(d.real), 5)
    -0.0238
    """
    r2 = as_float_array("r2_cm2", r2_cm2)
    if r2.shape != (3,):
        msg = f"r2_cm2 must have one value per flavour (e, mu, tau), got shape {r2.shape}"
        raise InvalidParameterError(msg)
    return _charge_proportional(charge_radius_shift(r2))


def millicharge_eps(q_nu_e: ArrayLike) -> dict[str, Any]:
    """Millicharges as vector NSI through a light mediator of mass PHOTON_MASS_PROXY_MEV.

    Parameters
    ----------
    q_nu_e : array_like of shape (3,)
        Neutrino charges in units of e for l = e, mu, tau.

    Returns
    -------
    dict
        ``eps_u``, ``eps_d``, ``eps_e`` at q = 0 (with ``mediator_mass_mev =
        PHOTON_MASS_PROXY_MEV``): ``delta(0) = -(2 sqrt2 pi alpha / G_F) q_nu / M^2``.
    """
    qn = as_float_array("q_nu_e", q_nu_e)
    if qn.shape != (3,):
        msg = f"q_nu_e must have one value per flavour (e, mu, tau), got shape {qn.shape}"
        raise InvalidParameterError(msg)
    return _charge_proportional(-_CHARGE_COEFF_MEV2 * qn / PHOTON_MASS_PROXY_MEV**2)


@dataclass(frozen=True, eq=False, repr=False)
class MagneticMomentModel(NSIModel):
    """An :class:`~cevns.physics.nsi.NSIModel` with effective neutrino magnetic moments.

    Every other field composes as in ``NSIModel`` (NSI, light mediators, NGI,
    non-unitarity); the magnetic-moment rate adds incoherently (module notes).

    Parameters
    ----------
    magnetic_moment_mub : array_like of shape (3,), optional
        Effective moments of nu_e, nu_mu, nu_tau in Bohr magnetons (the same for the
        antineutrinos). Only their squares enter. Default zero.
    sin2_theta_w : float, optional
        Weak mixing angle, as in :class:`~cevns.physics.nsi.NSIModel`.
    couplings : {"radiative", "tree"}, optional
        Nucleon SM couplings with radiative corrections or at tree level.
    eps_u, eps_d, eps_e : array_like, optional
        Vector NSI matrices (3x3 Hermitian, flavour order e, mu, tau).
    mediator_mass_mev : float or None, optional
        Mass of the vector mediator [MeV]; None is the contact interaction.
    c_s_u, c_s_d, c_t_u, c_t_d : float, optional
        Scalar and tensor NGI coefficients (flavour-universal, contact).
    alpha : array_like, optional
        Lower-triangular non-unitarity matrix (default identity).
    radiative_corrections : RadiativeCorrections, optional
        Parameters of the corrected couplings.

    Examples
    --------
    >>> m = MagneticMomentModel(magnetic_moment_mub=[1e-10, 0.0, 0.0])
    >>> m.is_sm, MagneticMomentModel().is_sm
    (False, True)
    """

    magnetic_moment_mub: Any = None

    def __post_init__(self) -> None:
        super().__post_init__()
        raw = np.zeros(3) if self.magnetic_moment_mub is None else self.magnetic_moment_mub
        mu = np.array(raw, dtype=np.float64)
        if mu.shape != (3,) or not np.all(np.isfinite(mu)):
            msg = (
                "magnetic_moment_mub must be three finite values (e, mu, tau) in Bohr "
                f"magnetons, got {raw!r}"
            )
            raise InvalidParameterError(msg)
        mu.setflags(write=False)
        object.__setattr__(self, "magnetic_moment_mub", mu)

    @property
    def has_magnetic_moment(self) -> bool:
        """Whether any magnetic moment is non-zero."""
        return bool(np.any(self.magnetic_moment_mub != 0))

    @property
    def is_sm(self) -> bool:
        """No NSI, NGI, non-unitarity or magnetic moment."""
        return super().is_sm and not self.has_magnetic_moment

    def parameters(self) -> dict[str, float]:
        """Non-zero public parameters (the moments as ``mu_nu_<flavour>`` in 1e-10 mu_B)."""
        out = super().parameters()
        for name, mu in zip(("e", "mu", "tau"), self.magnetic_moment_mub, strict=True):
            if mu != 0:
                out[f"mu_nu_{name}"] = float(mu) * 1e10
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NSIModel):
            return NotImplemented
        mine = self.magnetic_moment_mub
        theirs = getattr(other, "magnetic_moment_mub", np.zeros(3))
        return NSIModel.__eq__(self, other) and bool(np.array_equal(mine, theirs))

    __hash__ = None
