r"""Three-flavour neutrino oscillations in matter with non-standard interactions (NSI).

The flavour-basis Hamiltonian is that of seed 000 Eq. 1,

.. math::

    H = \frac{1}{2E} U \operatorname{diag}(0, \Delta m^2_{21}, \Delta m^2_{31}) U^\dagger
        + V_{CC} \left[\operatorname{diag}(1, 0, 0) + \epsilon\right],
    \qquad V_{CC} = \sqrt2 G_F N_e ,

with the Hamiltonian-level NSI matrix ``eps`` of seed 000 Eq. 2 (from
:meth:`cevns.physics.nsi.NSIModel.hamiltonian_eps` at the neutron fraction ``Y_n`` of the medium).
The neutral-current potential is proportional to the identity and is dropped. For
antineutrinos ``U -> U*``, ``V_CC -> -V_CC`` and ``eps -> eps*``.

Method
------
For every energy the Hermitian 3x3 matrix ``H`` (made traceless, which only removes a
global phase) is diagonalised exactly with :func:`numpy.linalg.eigh` on the stacked batch,
``H = W diag(lambda) W^dagger``; the evolution operator of a constant-density layer of
length ``L`` is ``S = W diag(exp(-i lambda L)) W^dagger`` and layers multiply in the
order the neutrino crosses them, ``S = S_n ... S_2 S_1``. The probability is
``P(alpha -> beta) = |S_{beta alpha}|^2``. No approximation is made beyond constant density
inside each layer.

Units: neutrino energies in MeV, baselines in km, mass splittings in eV^2, densities in
g/cm^3, angles in radians.

Mass-state labelling
--------------------
:class:`MixingParameters` uses the PDG parameterisation of ``U`` and does not impose a
labelling; the presets follow the common convention #3 of seed 001 (``m1 < m2``,
``|U_e3|`` smallest: ``Delta m^2_21 > 0`` and the octant of ``theta12`` free), in which the
LMA-Dark degeneracy reads ``theta12 -> pi/2 - theta12``,
``Delta m^2_31 -> -Delta m^2_32 = -Delta m^2_31 + Delta m^2_21``, ``delta -> pi - delta``
(:meth:`MixingParameters.flipped`). Seed 000 (footnote 4) uses convention #1
(``|U_e1| > |U_e2| > |U_e3|``: ``theta12 < 45 deg`` and the sign of ``Delta m^2_21`` free),
in which the same degeneracy is its Eq. 4, ``Delta m^2_21 -> -Delta m^2_21``,
``Delta m^2_31 -> -Delta m^2_31``, ``delta -> -delta``, i.e. ``H_vac -> -H_vac^*``
(:meth:`MixingParameters.sign_flipped`). The two differ by relabelling ``nu1 <-> nu2``
and unphysical rephasings. Both leave every vacuum probability unchanged; in matter both
need ``eps_ee = -2`` (seed 000 Sec. II, points 1-3).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_finite, describe
from cevns.core.constants import AVOGADRO, G_FERMI, HBARC_MEV_CM, HBARC_MEV_FM
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.nsi import NSIModel

__all__ = [
    "HBARC_EV_KM",
    "VCC_EV_PER_G_CM3",
    "Layer",
    "Medium",
    "MixingParameters",
    "hamiltonian",
    "matter_potential_ev",
    "probabilities",
]


def __dir__() -> list[str]:
    return __all__


#: hbar c [eV km] from :data:`cevns.core.constants.HBARC_MEV_FM` (CODATA2018):
#: 197.3269804 MeV fm = 1.973269804e-10 eV km. A phase ``H[eV] L[km] / HBARC_EV_KM``;
#: ``Delta m^2 L / (4 E)`` is then ``1.2669 Delta m^2[eV^2] L[km] / E[GeV]``.
HBARC_EV_KM: float = HBARC_MEV_FM * 1.0e6 * 1.0e-18
#: sqrt(2) G_F N_A (hbar c)^3 [eV]: V_CC = sqrt(2) G_F N_e = VCC_EV_PER_G_CM3 * rho Y_e with
#: rho in g/cm^3 (N_e = rho Y_e N_A per cm^3, nucleon mass ~ 1 g/mol). From G_F (PDG2022),
#: hbar c (CODATA2018) and N_A (SI) in :mod:`cevns.core.constants`: 7.632e-14 eV.
VCC_EV_PER_G_CM3: float = (
    math.sqrt(2.0) * (G_FERMI * 1.0e-12) * (HBARC_MEV_CM * 1.0e6) ** 3 * AVOGADRO
)

_EPS_ATOL = 1e-12


def _angle(name: str, value: float) -> float:
    v = check_finite(name, value)
    if not 0.0 <= v <= math.pi / 2:
        msg = (
            f"{name} must be a mixing angle in radians within [0, pi/2], got {v!r} "
            f"({math.degrees(v):.6g} deg)"
        )
        raise InvalidParameterError(msg)
    return v


def _nonzero(name: str, value: float) -> float:
    v = check_finite(name, value)
    if v == 0.0:
        msg = f"{name} must be a non-zero mass splitting in eV^2, got {v!r}"
        raise InvalidParameterError(msg)
    if abs(v) > 1.0e3:
        msg = f"{name} must be given in eV^2 (|value| <= 1e3), got {v!r}"
        raise InvalidParameterError(msg)
    return v


@dataclass(frozen=True)
class MixingParameters:
    """Vacuum oscillation parameters (PDG parameterisation of the mixing matrix).

    Parameters
    ----------
    theta12, theta13, theta23 : float
        Mixing angles [rad], each in [0, pi/2].
    delta_cp : float
        Dirac CP phase [rad], any finite value.
    dm21_ev2, dm31_ev2 : float
        Mass splittings ``m2^2 - m1^2`` and ``m3^2 - m1^2`` [eV^2], non-zero (either sign:
        see the module notes on mass-state labelling).

    Examples
    --------
    >>> p = MixingParameters.normal_ordering()
    >>> p.ordering, p.flipped().ordering
    ('NO', 'IO')
    >>> round(p.flipped().flipped().dm31_ev2 / p.dm31_ev2, 12)
    1.0
    """

    theta12: float
    theta13: float
    theta23: float
    delta_cp: float
    dm21_ev2: float
    dm31_ev2: float

    def __post_init__(self) -> None:
        for name in ("theta12", "theta13", "theta23"):
            object.__setattr__(self, name, _angle(name, getattr(self, name)))
        object.__setattr__(self, "delta_cp", check_finite("delta_cp", self.delta_cp))
        for name in ("dm21_ev2", "dm31_ev2"):
            object.__setattr__(self, name, _nonzero(name, getattr(self, name)))

    # ------------------------------------------------------------------ presets
    @classmethod
    def from_degrees(
        cls,
        theta12_deg: float,
        theta13_deg: float,
        theta23_deg: float,
        delta_cp_deg: float,
        dm21_ev2: float,
        dm31_ev2: float,
    ) -> MixingParameters:
        """Construct from angles in degrees.

        Parameters
        ----------
        theta12_deg, theta13_deg, theta23_deg : float
            Mixing angles [degrees].
        delta_cp_deg : float
            Dirac CP phase [degrees].
        dm21_ev2 : float
            Mass splitting ``m2^2 - m1^2`` [eV^2].
        dm31_ev2 : float
            Mass splitting ``m3^2 - m1^2`` [eV^2] (negative for the inverted ordering).

        Returns
        -------
        MixingParameters
            The parameters with the angles in radians.

        Examples
        --------
        >>> round(MixingParameters.from_degrees(45, 0, 0, 0, 7.4e-5, 2.5e-3).theta12, 6)
        0.785398
        """
        return cls(
            math.radians(check_finite("theta12_deg", theta12_deg)),
            math.radians(check_finite("theta13_deg", theta13_deg)),
            math.radians(check_finite("theta23_deg", theta23_deg)),
            math.radians(check_finite("delta_cp_deg", delta_cp_deg)),
            dm21_ev2,
            dm31_ev2,
        )

    @classmethod
    def normal_ordering(cls) -> MixingParameters:
        """NuFIT 5.2 (2022, with SK atmospheric data) best fit, normal ordering.

        theta12 = 33.41 deg, theta13 = 8.58 deg, theta23 = 42.2 deg, delta = 232 deg,
        Delta m^2_21 = 7.41e-5 eV^2, Delta m^2_31 = +2.507e-3 eV^2
        (I. Esteban et al., JHEP 09 (2020) 178 and www.nu-fit.org, v5.2).
        """
        return cls.from_degrees(33.41, 8.58, 42.2, 232.0, 7.41e-5, 2.507e-3)

    @classmethod
    def inverted_ordering(cls) -> MixingParameters:
        """NuFIT 5.2 (2022, with SK atmospheric data) best fit, inverted ordering.

        theta12 = 33.41 deg, theta13 = 8.57 deg, theta23 = 49.0 deg, delta = 276 deg,
        Delta m^2_21 = 7.41e-5 eV^2, Delta m^2_32 = -2.486e-3 eV^2, hence
        Delta m^2_31 = Delta m^2_32 + Delta m^2_21 = -2.4119e-3 eV^2 (www.nu-fit.org, v5.2).
        """
        return cls.from_degrees(33.41, 8.57, 49.0, 276.0, 7.41e-5, -2.486e-3 + 7.41e-5)

    # ------------------------------------------------------------------ properties
    @property
    def dm32_ev2(self) -> float:
        """``Delta m^2_32 = Delta m^2_31 - Delta m^2_21`` [eV^2]."""
        return self.dm31_ev2 - self.dm21_ev2

    @property
    def ordering(self) -> str:
        """``"NO"`` if ``Delta m^2_31 > 0`` else ``"IO"`` (atmospheric mass ordering)."""
        return "NO" if self.dm31_ev2 > 0 else "IO"

    def mixing_matrix(self) -> NDArray[np.complex128]:
        """The PDG mixing matrix ``U = R23 U13(delta) R12`` (rows e, mu, tau).

        Examples
        --------
        >>> u = MixingParameters.normal_ordering().mixing_matrix()
        >>> bool(np.allclose(u @ u.conj().T, np.eye(3)))
        True
        """
        s12, c12 = math.sin(self.theta12), math.cos(self.theta12)
        s13, c13 = math.sin(self.theta13), math.cos(self.theta13)
        s23, c23 = math.sin(self.theta23), math.cos(self.theta23)
        ed = complex(math.cos(self.delta_cp), math.sin(self.delta_cp))
        r23 = np.array([[1, 0, 0], [0, c23, s23], [0, -s23, c23]], dtype=np.complex128)
        u13 = np.array([[c13, 0, s13 / ed], [0, 1, 0], [-s13 * ed, 0, c13]], dtype=np.complex128)
        r12 = np.array([[c12, s12, 0], [-s12, c12, 0], [0, 0, 1]], dtype=np.complex128)
        return np.asarray(r23 @ u13 @ r12, dtype=np.complex128)

    # ------------------------------------------------------------------ degeneracies
    def replace(self, **changes: float) -> MixingParameters:
        """A validated copy with some fields changed.

        Examples
        --------
        >>> MixingParameters.normal_ordering().replace(delta_cp=0.0).delta_cp
        0.0
        """
        return dataclasses.replace(self, **changes)

    def flipped(self) -> MixingParameters:
        """The LMA-Dark partner in the labelling with ``Delta m^2_21 > 0`` (convention #3).

        ``theta12 -> pi/2 - theta12``, ``Delta m^2_31 -> -Delta m^2_32 =
        -Delta m^2_31 + Delta m^2_21``, ``delta -> pi - delta`` (seed 001, "definition #3";
        seed 000 Eq. 4 after relabelling ``nu1 <-> nu2``). Vacuum probabilities are
        unchanged; in matter ``P(p, eps) = P(p.flipped(), eps')`` with
        ``eps' = -D eps^* D - 2 diag(1, 0, 0)``, ``D = diag(1, -1, -1)`` (a rephasing from the
        relabelling): for diagonal NSI ``eps'_ee = -2 - eps_ee``, ``eps'_mumu = -eps_mumu``,
        ``eps'_tautau = -eps_tautau`` (e.g. SM -> LMA-Dark ``x = 0``). The map is an
        involution.

        Examples
        --------
        >>> f = MixingParameters.normal_ordering().flipped()
        >>> round(math.degrees(f.theta12), 2), f.ordering
        (56.59, 'IO')
        """
        return MixingParameters(
            theta12=math.pi / 2 - self.theta12,
            theta13=self.theta13,
            theta23=self.theta23,
            delta_cp=math.pi - self.delta_cp,
            dm21_ev2=self.dm21_ev2,
            dm31_ev2=-self.dm31_ev2 + self.dm21_ev2,
        )

    def sign_flipped(self) -> MixingParameters:
        """Seed 000 Eq. 4: ``Delta m^2_21, Delta m^2_31, delta -> -(same)``.

        Equivalent to ``H_vac -> -H_vac^*`` (labelling convention #1, ``theta12`` kept), an
        exact symmetry of vacuum oscillations by CPT. In matter
        ``P(p, eps) = P(p.sign_flipped(), -eps^* - 2 diag(1, 0, 0))`` for any Hermitian eps.

        Examples
        --------
        >>> f = MixingParameters.normal_ordering().sign_flipped()
        >>> f.dm21_ev2, f.ordering
        (-7.41e-05, 'IO')
        """
        return MixingParameters(
            theta12=self.theta12,
            theta13=self.theta13,
            theta23=self.theta23,
            delta_cp=-self.delta_cp,
            dm21_ev2=-self.dm21_ev2,
            dm31_ev2=-self.dm31_ev2,
        )


@dataclass(frozen=True)
class Medium:
    """Matter of constant density.

    Parameters
    ----------
    density_g_cm3 : float
        Mass density [g/cm^3], >= 0 (0 is vacuum).
    electron_fraction : float
        ``Y_e = N_e / (N_p + N_n)`` electrons per nucleon, in (0, 1].
    y_n : float
        Neutron fraction ``Y_n = N_n / N_e`` that converts Lagrangian-level quark NSI to the
        Hamiltonian level (seed 000 Eq. 2), >= 0.
    name : str
        Label for plots.

    Examples
    --------
    >>> m = Medium.earth_crust()
    >>> round(m.potential_ev / 1e-13, 4)  # sqrt(2) G_F N_e in units of 1e-13 eV
    1.0685
    >>> Medium(-1.0, 0.5, 1.0)
    Traceback (most recent call last):
    ...
    cevns.core.exceptions.InvalidParameterError: density_g_cm3 must be >= 0 g/cm^3, got -1.0
    """

    density_g_cm3: float
    electron_fraction: float = 0.5
    y_n: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        rho = check_finite("density_g_cm3", self.density_g_cm3)
        if rho < 0:
            msg = f"density_g_cm3 must be >= 0 g/cm^3, got {rho!r}"
            raise InvalidParameterError(msg)
        ye = check_finite("electron_fraction", self.electron_fraction)
        if not 0.0 < ye <= 1.0:
            msg = f"electron_fraction must be electrons per nucleon in (0, 1], got {ye!r}"
            raise InvalidParameterError(msg)
        yn = check_finite("y_n", self.y_n)
        if yn < 0:
            msg = f"y_n (neutrons per electron) must be >= 0, got {yn!r}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "density_g_cm3", rho)
        object.__setattr__(self, "electron_fraction", ye)
        object.__setattr__(self, "y_n", yn)

    @classmethod
    def vacuum(cls) -> Medium:
        """Zero density (identical to ``medium=None`` in :func:`probabilities`)."""
        return cls(0.0, 0.5, 1.0, "vacuum")

    @classmethod
    def earth_crust(cls, density_g_cm3: float = 2.8) -> Medium:
        """The Earth's crust: ``Y_n = 1.05`` (seed 000 Sec. II, seed 001), ``Y_e = 0.5``.

        The default density 2.8 g/cm^3 is the usual average for long-baseline beams
        (DUNE/T2K, upper crust 2.6-3.0 g/cm^3 in PREM: A. Dziewonski and D. Anderson,
        Phys. Earth Planet. Inter. 25 (1981) 297).

        Parameters
        ----------
        density_g_cm3 : float, optional
            Density of the crust [g/cm^3] (default 2.8).

        Returns
        -------
        Medium
            The crust with ``Y_e = 0.5`` and ``Y_n = 1.05``.
        """
        return cls(density_g_cm3, 0.5, 1.05, "Earth crust")

    @classmethod
    def sun_8b(cls, y_n: float = 1.0 / 3.0) -> Medium:
        """The solar core where 8B neutrinos are produced (r ~ 0.05 R_sun).

        ``Y_n ~ 1/3`` (seed 001; seed 000 quotes 0.30 for the peak of the 8B flux in
        BS05(OP)). The electron density there is ``N_e ~ 90 N_A cm^-3``
        (J. Bahcall, A. Serenelli, S. Basu, ApJ 621 (2005) L85, BS05(OP) profile; not in the
        seeds), represented as ``rho = 120 g/cm^3`` and ``Y_e = 0.75`` (hydrogen and helium
        mass fractions ~0.5 each, which also give ``Y_n = 1/3``). A constant-density
        medium does not describe the adiabatic propagation out of the Sun; use it for the
        local Hamiltonian (degeneracies, effective parameters).

        Parameters
        ----------
        y_n : float, optional
            Neutron fraction ``Y_n = N_n / N_e`` (default 1/3).

        Returns
        -------
        Medium
            The medium with ``rho = 120`` g/cm^3 and ``Y_e = 0.75``.
        """
        return cls(120.0, 0.75, y_n, "Sun (8B region)")

    @property
    def electron_density_cm3(self) -> float:
        """``N_e = rho Y_e N_A`` [cm^-3]."""
        return self.density_g_cm3 * self.electron_fraction * AVOGADRO

    @property
    def potential_ev(self) -> float:
        """Charged-current potential ``V_CC = sqrt(2) G_F N_e`` [eV]."""
        return VCC_EV_PER_G_CM3 * self.density_g_cm3 * self.electron_fraction


class Layer(NamedTuple):
    """A constant-density slab crossed by the neutrino: ``(medium, length_km)``.

    Parameters
    ----------
    medium : Medium or None
        Matter of the slab; None for vacuum.
    length_km : float
        Path length through the slab [km].
    """

    medium: Medium | None
    length_km: float


EpsLike: TypeAlias = NSIModel | ArrayLike | None
MediumLike: TypeAlias = Medium | Sequence[Layer | tuple[Medium | None, float]] | None


def matter_potential_ev(density_g_cm3: ArrayLike, electron_fraction: float = 0.5) -> Any:
    """``V_CC = sqrt(2) G_F N_e`` [eV] for a density [g/cm^3] and ``Y_e``.

    Parameters
    ----------
    density_g_cm3 : array_like
        Matter density [g/cm^3].
    electron_fraction : float, optional
        Electrons per nucleon ``Y_e`` (default 0.5).

    Returns
    -------
    float or ndarray
        Charged-current potential V_CC [eV], same shape as ``density_g_cm3``.

    Examples
    --------
    >>> round(float(matter_potential_ev(1.0, 1.0)) / 1e-14, 3)
    7.632
    """
    rho = as_float_array("density_g_cm3", density_g_cm3)
    return VCC_EV_PER_G_CM3 * rho * electron_fraction


def _eps_matrix(model: EpsLike, y_n: float) -> NDArray[np.complex128]:
    """Hamiltonian-level NSI matrix for a medium of neutron fraction ``y_n``."""
    if model is None:
        return np.zeros((3, 3), dtype=np.complex128)
    if isinstance(model, NSIModel):
        if not model.is_unitary:
            msg = (
                "model: non-unitary mixing (alpha != identity) is not supported by "
                f"cevns.physics.oscillation; got alpha = {model.alpha.tolist()}"
            )
            raise InvalidParameterError(msg)
        return model.hamiltonian_eps(y_n)
    try:
        arr = np.asarray(model, dtype=np.complex128)
    except (TypeError, ValueError) as exc:
        msg = (
            f"model must be an NSIModel, a 3x3 Hermitian eps matrix or None, got {describe(model)}"
        )
        raise InvalidParameterError(msg) from exc
    if arr.shape != (3, 3):
        msg = (
            "model given as an array must be the 3x3 Hamiltonian-level eps matrix (e, mu, tau), "
            f"got shape {arr.shape}"
        )
        raise InvalidParameterError(msg)
    if not np.all(np.isfinite(arr)):
        msg = f"eps matrix must be finite, got {arr.tolist()}"
        raise InvalidParameterError(msg)
    diff = np.abs(arr - arr.conj().T)
    if np.any(diff > _EPS_ATOL):
        i, j = np.unravel_index(np.argmax(diff), arr.shape)
        msg = (
            f"eps matrix must be Hermitian: entry [{i},{j}] = {arr[i, j]} but the complex "
            f"conjugate of [{j},{i}] is {np.conj(arr[j, i])}"
        )
        raise InvalidParameterError(msg)
    return np.asarray(arr, dtype=np.complex128)


def _layers(medium: MediumLike, baseline_km: ArrayLike | None) -> list[tuple[Medium | None, Any]]:
    if medium is None or isinstance(medium, Medium):
        if baseline_km is None:
            msg = "baseline_km is required unless medium is a sequence of layers"
            raise InvalidParameterError(msg)
        length = as_float_array("baseline_km", baseline_km)
        if np.any(length < 0):
            msg = f"baseline_km must be >= 0, got {length[length < 0].ravel()[:3].tolist()}"
            raise InvalidParameterError(msg)
        return [(medium, length)]
    if baseline_km is not None:
        msg = (
            "baseline_km must be None when medium is a sequence of layers (the lengths "
            f"come from the layers), got {describe(baseline_km)}"
        )
        raise InvalidParameterError(msg)
    try:
        items: list[Any] = list(medium)
    except TypeError as exc:
        msg = (
            "medium must be a Medium, None or a sequence of (Medium, length_km), "
            f"got {describe(medium)}"
        )
        raise InvalidParameterError(msg) from exc
    if not items:
        msg = "medium: the sequence of layers is empty"
        raise InvalidParameterError(msg)
    out: list[tuple[Medium | None, Any]] = []
    for k, item in enumerate(items):
        try:
            med, lk_raw = item
        except (TypeError, ValueError) as exc:
            msg = f"layer {k} must be a (Medium, length_km) pair, got {describe(item)}"
            raise InvalidParameterError(msg) from exc
        if not _is_medium_or_none(med):
            msg = f"layer {k}: medium must be a Medium or None, got {describe(med)}"
            raise InvalidParameterError(msg)
        lk = check_finite(f"layer {k} length_km", lk_raw)
        if lk < 0:
            msg = f"layer {k} length_km must be >= 0, got {lk!r}"
            raise InvalidParameterError(msg)
        out.append((med, np.asarray(lk)))
    return out


def _is_medium_or_none(obj: object) -> bool:
    return obj is None or isinstance(obj, Medium)


def hamiltonian(
    params: MixingParameters,
    model: EpsLike,
    medium: Medium | None,
    energy_mev: ArrayLike,
    *,
    antineutrino: bool = False,
) -> NDArray[np.complex128]:
    """The flavour-basis Hamiltonian [eV] of seed 000 Eq. 1 for each energy.

    Parameters
    ----------
    params : MixingParameters
    model : NSIModel, 3x3 array or None
        NSI model (its Hamiltonian-level eps at the medium's ``Y_n``), a Hamiltonian-level
        Hermitian eps matrix used as is, or ``None`` (no NSI).
    medium : Medium or None
        ``None`` is vacuum.
    energy_mev : array_like
        Neutrino energies [MeV], > 0.
    antineutrino : bool
        ``U -> U*``, ``V -> -V``, ``eps -> eps*``.

    Returns
    -------
    ndarray of shape ``energy.shape + (3, 3)``, complex
        Not made traceless.

    Examples
    --------
    >>> h = hamiltonian(MixingParameters.normal_ordering(), None, None, [1.0, 2.0])
    >>> h.shape
    (2, 3, 3)
    """
    e = as_float_array("energy_mev", energy_mev)
    if np.any(e <= 0):
        msg = f"energy_mev must be > 0, got {e[e <= 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    if not _is_medium_or_none(medium):
        msg = f"medium must be a Medium or None here, got {describe(medium)}"
        raise InvalidParameterError(msg)
    u = params.mixing_matrix()
    m2 = (u * np.array([0.0, params.dm21_ev2, params.dm31_ev2])) @ u.conj().T
    y_n = 1.0 if medium is None else medium.y_n
    eps = _eps_matrix(model, y_n)
    pot = 0.0 if medium is None else medium.potential_ev
    matter = eps.copy()
    matter[0, 0] += 1.0
    if antineutrino:
        m2 = m2.conj()
        matter = -matter.conj()
    e_ev = e * 1.0e6
    h = m2 / (2.0 * e_ev[..., None, None]) + pot * matter
    return np.asarray(h, dtype=np.complex128)


def _evolution(h: NDArray[np.complex128], length_km: NDArray[np.float64]) -> NDArray[np.complex128]:
    """``exp(-i H L)`` by exact diagonalisation, broadcasting ``H`` batch with ``L``."""
    tr = np.trace(h, axis1=-2, axis2=-1) / 3.0
    h0 = h - tr[..., None, None] * np.eye(3)
    lam, w = np.linalg.eigh(h0)
    phase = np.exp(-1j * lam * (length_km[..., None] / HBARC_EV_KM))
    s = (w * phase[..., None, :]) @ np.swapaxes(w.conj(), -1, -2)
    return np.asarray(s, dtype=np.complex128)


def probabilities(
    params: MixingParameters,
    model: EpsLike,
    medium: MediumLike,
    energy_mev: ArrayLike,
    baseline_km: ArrayLike | None = None,
    antineutrino: bool = False,
) -> NDArray[np.float64]:
    """Oscillation probabilities ``P(alpha -> beta)`` in vacuum, matter or layered matter.

    Exact three-flavour evolution with the Hamiltonian of seed 000 Eq. 1 (see the module
    docstring for the method: batched :func:`numpy.linalg.eigh`, ``S = W exp(-i lambda L)
    W^dagger``, layers multiplied in order).

    Parameters
    ----------
    params : MixingParameters
    model : NSIModel, 3x3 array or None
        NSI: an :class:`~cevns.physics.nsi.NSIModel` (converted with the medium's ``Y_n``), a
        Hamiltonian-level Hermitian eps matrix (used in every medium), or ``None``.
    medium : Medium, None, or sequence of (Medium, length_km)
        Constant-density matter, vacuum, or layers crossed in order.
    energy_mev : array_like
        Neutrino energies [MeV], > 0.
    baseline_km : array_like, optional
        Baselines [km], >= 0, broadcast against ``energy_mev``; required unless ``medium``
        is a sequence of layers (then it must be ``None``).
    antineutrino : bool
        Antineutrinos (``U -> U*``, ``V -> -V``, ``eps -> eps*``).

    Returns
    -------
    ndarray of shape ``broadcast(energy, baseline).shape + (3, 3)``
        ``P[..., alpha, beta] = P(nu_alpha -> nu_beta)``, flavour order e, mu, tau.

    Examples
    --------
    >>> p = probabilities(MixingParameters.normal_ordering(), None, None, 3.0, 52.5)
    >>> p.shape, round(float(p.sum(axis=-1)[0]), 12)
    ((3, 3), 1.0)
    >>> crust = Medium.earth_crust()
    >>> p = probabilities(MixingParameters.normal_ordering(), None, crust, [2e3, 3e3], 1300.0)
    >>> p.shape
    (2, 3, 3)
    """
    layers = _layers(medium, baseline_km)
    e = as_float_array("energy_mev", energy_mev)
    s: NDArray[np.complex128] | None = None
    for med, length in layers:
        h = hamiltonian(params, model, med, e, antineutrino=antineutrino)
        sk = _evolution(h, length)
        s = sk if s is None else sk @ s
    assert s is not None
    return np.asarray(np.abs(np.swapaxes(s, -1, -2)) ** 2, dtype=np.float64)
