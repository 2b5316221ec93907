"""The physics-model object: Standard Model, vector NSI with light mediators, NGI, non-unitarity.

:class:`NSIModel` is an immutable value object. It knows nothing about detectors; it
answers two questions:

* scattering: the coefficients of the neutrino-nucleus amplitude for each incoming
  flavour (:meth:`NSIModel.amplitude_matrices`), and the propagator suppression
  ``M^2 / (q^2 + M^2)`` of a light mediator (:meth:`NSIModel.propagator`);
* oscillations: the Hamiltonian-level NSI matrix in a medium of neutron fraction
  ``Y_n`` (:meth:`NSIModel.hamiltonian_eps`).

Conventions
-----------
Lagrangian-level vector NSI follow seed 000 Eq. 3,
``L = -2 sqrt2 G_F eps^{f,V}_{ab} (nu_a gamma^mu P_L nu_b)(f gamma_mu f)``, with ``eps^f``
a Hermitian 3x3 matrix for each ``f`` in (e, u, d); index 0, 1, 2 = e, mu, tau.
For CEvNS the amplitude for ``nu_a -> nu_b`` on a nucleus (Z, N) is (seed 002 Eq. 4.4,
seed 004 Eq. 9, summed over outgoing flavour b in the rate)::

    A_ab(q) = delta_ab [Z F_Z g_p + N F_N g_n]
              + g_M(q) [Z F_Z (2 eps^u_ab + eps^d_ab) + N F_N (eps^u_ab + 2 eps^d_ab)]

with ``g_M(q) = M^2/(q^2 + M^2)`` (seed 000 Eq. 9; 1 for a contact interaction). Electron
NSI enters oscillations only. The rate is ``sum_b |A_ab|^2`` times the kinematic factor.

Written with the basis ``h = [Z F_Z, N F_N, Z F_Z g_M, N F_N g_M]`` the amplitude is
``A_ab = w_ab . h`` with model-only coefficients ``w_ab``; the rate is the quadratic form
``h^T W_a h`` with ``W_a = Re sum_b conj(w_ab) w_ab^T``. This is what makes fast signal
templates exact (see :mod:`cevns.likelihood.signal`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_finite, check_positive, unknown_name
from cevns.core.constants import (
    G_FERMI,
    M_NEUTRON,
    M_PROTON,
    M_QUARK_D,
    M_QUARK_U,
    SIN2_THETA_W_LOW_ENERGY,
    SIN2_THETA_W_Z,
    RadiativeCorrections,
    g_neutron_v,
    g_proton_v,
)
from cevns.core.exceptions import InvalidParameterError

__all__ = [
    "SCALAR_FORM_FACTORS",
    "TENSOR_FORM_FACTORS",
    "NSIModel",
    "couplings_from_eps",
    "degenerate_eps",
    "eps_from_couplings",
]


def __dir__() -> list[str]:
    return __all__


#: Scalar hadronic form factors f_q^N (seed 004 Sec. 2.4, from its ref. [77]).
SCALAR_FORM_FACTORS: dict[str, dict[str, float]] = {
    "p": {"u": 0.0208, "d": 0.0411},
    "n": {"u": 0.0189, "d": 0.0451},
}
#: Tensor hadronic form factors delta_q^N (seed 004 Sec. 2.4).
TENSOR_FORM_FACTORS: dict[str, dict[str, float]] = {
    "p": {"u": 0.54, "d": -0.23},
    "n": {"u": -0.23, "d": 0.54},
}

_FERMIONS = ("e", "u", "d")
_PAIR_NAMES = {
    "ee": (0, 0),
    "mumu": (1, 1),
    "tautau": (2, 2),
    "emu": (0, 1),
    "etau": (0, 2),
    "mutau": (1, 2),
}


def eps_from_couplings(g_nu_g_q: ArrayLike, mediator_mass_mev: ArrayLike) -> NDArray[np.float64]:
    """Zero-momentum NSI strength of a vector mediator.

    ``eps(0) = g_nu g_q / (2 sqrt2 G_F M^2)`` (seed 000 Eq. 9, seed 002 Eq. 2.3).

    Parameters
    ----------
    g_nu_g_q : float or array
        Product of the mediator couplings to the neutrino and to the quark.
    mediator_mass_mev : float or array
        Mediator mass [MeV], > 0.

    Returns
    -------
    ndarray
        eps(0), dimensionless.

    Examples
    --------
    >>> float(eps_from_couplings(1e-10, 10.0)) # doctest: +ELLIPSIS
    0.0303...
    """
    g = as_float_array("g_nu_g_q", g_nu_g_q)
    m = as_float_array("mediator_mass_mev", mediator_mass_mev)
    if np.any(m <= 0):
        msg = f"mediator_mass_mev must be > 0, got {m.ravel()[m.ravel() <= 0][:3].tolist()}"
        raise InvalidParameterError(msg)
    return np.asarray(g / (2.0 * np.sqrt(2.0) * G_FERMI * m**2))


def couplings_from_eps(eps0: ArrayLike, mediator_mass_mev: ArrayLike) -> NDArray[np.float64]:
    """Inverse of :func:`eps_from_couplings`: ``g_nu g_q = 2 sqrt2 G_F M^2 eps(0)``.

    Parameters
    ----------
    eps0 : array_like
        NSI strength at zero momentum transfer.
    mediator_mass_mev : array_like
        Mediator mass [MeV].

    Returns
    -------
    ndarray
        ``g_nu g_q`` (dimensionless), broadcast shape of the inputs.

    Examples
    --------
    >>> float(couplings_from_eps(eps_from_couplings(3e-11, 5.0), 5.0))
    3e-11
    """
    e = as_float_array("eps0", eps0)
    m = as_float_array("mediator_mass_mev", mediator_mass_mev)
    if np.any(m <= 0):
        msg = f"mediator_mass_mev must be > 0, got {m.ravel()[m.ravel() <= 0][:3].tolist()}"
        raise InvalidParameterError(msg)
    return np.asarray(e * 2.0 * np.sqrt(2.0) * G_FERMI * m**2)


def degenerate_eps(z: float, n: float, model: NSIModel | None = None) -> float:
    """Flavour-diagonal eps^{q,V} (u = d) that gives the same CEvNS rate as the SM.

    ``eps = -2 (Z g_p + N g_n) / (3 (Z + N))`` (seed 002 Eq. 4.6), contact interaction,
    equal proton and neutron form factors.

    Parameters
    ----------
    z : float
        Proton number of the target.
    n : float
        Neutron number of the target.
    model : NSIModel, optional
        Model providing the SM couplings g_p and g_n (default :meth:`NSIModel.sm`).

    Returns
    -------
    float
        The degenerate coupling eps (u = d).

    Examples
    --------
    CsI at tree level with g_p ~ 0.055 (seed 002: 0.18):

    >>> round(degenerate_eps(54, 76, NSIModel.sm(0.2225, couplings="tree")), 3)
    0.18
    """
    model = NSIModel.sm() if model is None else model
    return -2.0 * (z * model.g_p + n * model.g_n) / (3.0 * (z + n))


def _as_hermitian(name: str, value: ArrayLike | None) -> NDArray[np.complex128]:
    if value is None:
        return np.zeros((3, 3), dtype=np.complex128)
    arr = np.asarray(value, dtype=np.complex128)
    if arr.shape != (3, 3):
        msg = f"{name} must be a 3x3 matrix in flavour space (e, mu, tau), got shape {arr.shape}"
        raise InvalidParameterError(msg)
    if not np.all(np.isfinite(arr)):
        msg = f"{name} must be finite, got {arr.tolist()}"
        raise InvalidParameterError(msg)
    if np.abs(arr - arr.conj().T).max() > 1e-12:  # allclose(rtol=0, atol=1e-12), finite here
        i, j = np.unravel_index(np.argmax(np.abs(arr - arr.conj().T)), arr.shape)
        msg = (
            f"{name} must be Hermitian: entry [{i},{j}] = {arr[i, j]} but the conjugate of "
            f"[{j},{i}] is {np.conj(arr[j, i])}"
        )
        raise InvalidParameterError(msg)
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class NSIModel:
    """Physics model for CEvNS and neutrino propagation.

    Construct it with the classmethods (:meth:`sm`, :meth:`lma_dark`, :meth:`light_zprime`,
    :meth:`vector_nsi`, :meth:`ngi`, :meth:`non_unitary`) or directly.

    Parameters
    ----------
    sin2_theta_w : float
        Weak mixing angle. With ``couplings="radiative"`` it is hat s_Z^2 of seed 000
        Eq. 8 (default 0.23129); with ``couplings="tree"`` it enters g_p = 1/2 - 2 s^2.
    couplings : {"radiative", "tree"}
        Nucleon SM couplings with the radiative corrections of seed 000 Eq. 8, or at tree level.
    eps_u, eps_d, eps_e : array_like, optional
        Lagrangian-level vector NSI (3x3 Hermitian, flavour order e, mu, tau).
    mediator_mass_mev : float or None
        Mass of the vector mediator [MeV]. ``None`` is the contact interaction (M -> infinity).
    c_s_u, c_s_d, c_t_u, c_t_d : float
        Scalar and tensor NGI coefficients C_X^q (seed 004 Eq. 10-13), flavour-diagonal and
        flavour-universal, contact interactions.
    alpha : array_like, optional
        Lower-triangular non-unitarity matrix N^NP of seed 004 Eq. 4 (default identity).
    radiative_corrections : RadiativeCorrections
        Parameters of the corrected couplings.

    Examples
    --------
    >>> m = NSIModel.lma_dark(x=0.0)
    >>> float(m.hamiltonian_eps(1/3)[0, 0].real)
    -2.0
    """

    sin2_theta_w: float = SIN2_THETA_W_Z
    couplings: Literal["radiative", "tree"] = "radiative"
    eps_u: Any = None
    eps_d: Any = None
    eps_e: Any = None
    mediator_mass_mev: float | None = None
    c_s_u: float = 0.0
    c_s_d: float = 0.0
    c_t_u: float = 0.0
    c_t_d: float = 0.0
    alpha: Any = None
    radiative_corrections: RadiativeCorrections = field(default_factory=RadiativeCorrections)

    def __post_init__(self) -> None:
        s2 = check_finite("sin2_theta_w", self.sin2_theta_w)
        if not 0.0 <= s2 <= 1.0:
            msg = f"sin2_theta_w must lie in [0, 1], got {s2!r}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "sin2_theta_w", s2)
        if self.couplings not in ("radiative", "tree"):
            msg = f"couplings must be 'radiative' or 'tree', got {self.couplings!r}"
            raise InvalidParameterError(msg)
        for name in ("eps_u", "eps_d", "eps_e"):
            object.__setattr__(self, name, _as_hermitian(name, getattr(self, name)))
        if self.mediator_mass_mev is not None:
            m = check_positive("mediator_mass_mev", self.mediator_mass_mev)
            object.__setattr__(self, "mediator_mass_mev", m)
        for name in ("c_s_u", "c_s_d", "c_t_u", "c_t_d"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.alpha is None:
            alpha = np.eye(3, dtype=np.complex128)
        else:
            alpha = np.asarray(self.alpha, dtype=np.complex128)
            if alpha.shape != (3, 3) or not np.all(np.isfinite(alpha)):
                msg = f"alpha must be a finite 3x3 matrix, got {alpha.tolist()}"
                raise InvalidParameterError(msg)
            if np.any(np.triu(alpha, 1) != 0):
                msg = f"alpha must be lower triangular (seed 004 Eq. 4), got {alpha.tolist()}"
                raise InvalidParameterError(msg)
            diag = np.diag(alpha)
            if np.any(diag.imag != 0) or np.any(diag.real <= 0):
                msg = f"alpha diagonal entries must be real and > 0, got {diag.tolist()}"
                raise InvalidParameterError(msg)
        alpha = alpha.copy()
        alpha.setflags(write=False)
        object.__setattr__(self, "alpha", alpha)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def sm(
        cls,
        sin2_theta_w: float | None = None,
        *,
        couplings: Literal["radiative", "tree"] = "radiative",
    ) -> NSIModel:
        """The Standard Model.

        Parameters
        ----------
        sin2_theta_w : float, optional
            Defaults to hat s_Z^2 = 0.23129 with radiative couplings and to the low-energy
            0.23857 at tree level.
        couplings : {"radiative", "tree"}

        Examples
        --------
        >>> NSIModel.sm().is_sm
        True
        """
        if sin2_theta_w is None:
            sin2_theta_w = SIN2_THETA_W_Z if couplings == "radiative" else SIN2_THETA_W_LOW_ENERGY
        return cls(sin2_theta_w=sin2_theta_w, couplings=couplings)

    @classmethod
    def vector_nsi(
        cls,
        eps: Mapping[str, complex] | None = None,
        *,
        mediator_mass_mev: float | None = None,
        **kwargs: Any,
    ) -> NSIModel:
        """Vector NSI from named entries.

        Parameters
        ----------
        eps : mapping
            Keys ``"<ab>_<f>"`` with ``ab`` in ee, mumu, tautau, emu, etau, mutau and ``f``
            in e, u, d or q (q sets u and d to the same value), e.g. ``{"ee_u": 0.1}``.
            Off-diagonal entries set the conjugate entry too.
        mediator_mass_mev : float, optional
            Light-mediator mass; the values are then eps(0).
        **kwargs
            Passed to the constructor (``sin2_theta_w``, ``couplings``...).

        Examples
        --------
        >>> m = NSIModel.vector_nsi({"ee_q": 0.1, "emu_u": 0.05j})
        >>> complex(m.eps_u[1, 0])
        -0.05j
        """
        mats = {f: np.zeros((3, 3), dtype=np.complex128) for f in _FERMIONS}
        for key, value in (eps or {}).items():
            pair, _, fermion = key.rpartition("_")
            if pair not in _PAIR_NAMES:
                raise unknown_name("NSI flavour pair", pair, _PAIR_NAMES)
            if fermion not in (*_FERMIONS, "q"):
                raise unknown_name("NSI fermion", fermion, (*_FERMIONS, "q"))
            i, j = _PAIR_NAMES[pair]
            v = complex(value)
            if i == j and v.imag != 0:
                msg = f"diagonal NSI eps_{key} must be real, got {v}"
                raise InvalidParameterError(msg)
            for f in ("u", "d") if fermion == "q" else (fermion,):
                mats[f][i, j] = v
                mats[f][j, i] = np.conj(v)
        return cls(
            eps_u=mats["u"],
            eps_d=mats["d"],
            eps_e=mats["e"],
            mediator_mass_mev=mediator_mass_mev,
            **kwargs,
        )

    @classmethod
    def lma_dark(
        cls,
        x: float = 0.0,
        y_n: float = 1.0 / 3.0,
        mediator_mass_mev: float | None = None,
        *,
        u_fraction: float | None = None,
        **kwargs: Any,
    ) -> NSIModel:
        """The LMA-Dark family (eps_ee, eps_mumu, eps_tautau) = (x - 2, x, x).

        The Hamiltonian-level values hold in a medium of neutron fraction ``y_n``
        (seed 002 Eq. 2.7, 3.1, 3.2). With ``u_fraction=None`` the quark couplings are equal,
        eps^u = eps^d = eps / (3 (1 + Y_n)) (= x/4 - 1/2 for ee at Y_n = 1/3). Otherwise
        ``u_fraction`` is the share ``w`` of the Hamiltonian-level eps carried by up quarks:
        ``(2 + Y_n) eps^u = w eps`` and ``(1 + 2 Y_n) eps^d = (1 - w) eps``.

        Parameters
        ----------
        x : float
            Position along the diagonal degeneracy.
        y_n : float
            Neutron fraction N_n/N_e of the medium that defines the solution.
        mediator_mass_mev : float, optional
            Light-mediator mass; ``None`` for a contact interaction.
        u_fraction : float, optional
            Share of the up quarks (see above).
        **kwargs
            Passed to the constructor.

        Examples
        --------
        >>> m = NSIModel.lma_dark(x=0.0, y_n=1/3)
        >>> float(m.eps_u[0, 0].real), float(m.eps_d[0, 0].real)
        (-0.5, -0.5)
        """
        x = check_finite("x", x)
        y_n = check_positive("y_n", y_n, allow_zero=True)
        diag = np.array([x - 2.0, x, x])
        if u_fraction is None:
            eu = ed = diag / (3.0 * (1.0 + y_n))
        else:
            w = check_finite("u_fraction", u_fraction)
            eu = w * diag / (2.0 + y_n)
            ed = (1.0 - w) * diag / (1.0 + 2.0 * y_n)
        return cls(
            eps_u=np.diag(eu).astype(np.complex128),
            eps_d=np.diag(ed).astype(np.complex128),
            mediator_mass_mev=mediator_mass_mev,
            **kwargs,
        )

    @classmethod
    def light_zprime(
        cls,
        g_nu_g_q: float,
        mediator_mass_mev: float,
        *,
        flavours: tuple[str, ...] = ("ee",),
        quarks: tuple[str, ...] = ("u", "d"),
        **kwargs: Any,
    ) -> NSIModel:
        """A light vector Z' with coupling product ``g_nu g_q`` to the given flavours and quarks.

        eps(0) = g_nu g_q / (2 sqrt2 G_F M^2) on each diagonal entry in ``flavours`` and for
        each quark in ``quarks`` (seed 000 Eq. 9).

        Parameters
        ----------
        g_nu_g_q : float
            Product of the neutrino and quark couplings (dimensionless; negative interferes
            destructively with the SM).
        mediator_mass_mev : float
            Mass of the Z' [MeV].
        flavours : tuple of str
            Diagonal flavour entries coupled (``"ee"``, ``"mumu"``, ``"tautau"``).
        quarks : tuple of str
            Quarks coupled (``"u"``, ``"d"``).
        **kwargs
            Other :class:`NSIModel` fields (e.g. ``sin2_theta_w``).

        Returns
        -------
        NSIModel
            The model.

        Examples
        --------
        >>> m = NSIModel.light_zprime(-1e-10, 10.0)
        >>> round(float(m.eps_u[0, 0].real), 5)
        -0.03031
        """
        eps0 = float(eps_from_couplings(g_nu_g_q, mediator_mass_mev))
        entries: dict[str, complex] = {}
        for pair in flavours:
            if pair not in ("ee", "mumu", "tautau"):
                raise unknown_name("diagonal flavour pair", pair, ("ee", "mumu", "tautau"))
            for q in quarks:
                if q not in ("u", "d"):
                    raise unknown_name("quark", q, ("u", "d"))
                entries[f"{pair}_{q}"] = eps0
        return cls.vector_nsi(entries, mediator_mass_mev=mediator_mass_mev, **kwargs)

    @classmethod
    def ngi(
        cls,
        *,
        c_s_u: float = 0.0,
        c_s_d: float = 0.0,
        c_v_u: float = 0.0,
        c_v_d: float = 0.0,
        c_t_u: float = 0.0,
        c_t_d: float = 0.0,
        **kwargs: Any,
    ) -> NSIModel:
        """Generalised neutrino interactions (seed 004 Eq. 10-13), flavour-universal.

        Vector NGI coincide with vector NSI, C_V^q = 2 eps^{qV} (seed 004 Sec. 2.4), and are
        stored as such on the diagonal of ``eps_u``/``eps_d``.

        Parameters
        ----------
        c_s_u, c_s_d : float
            Scalar couplings to u and d quarks.
        c_v_u, c_v_d : float
            Vector couplings to u and d quarks.
        c_t_u, c_t_d : float
            Tensor couplings to u and d quarks.
        **kwargs
            Other :class:`NSIModel` fields.

        Returns
        -------
        NSIModel
            The model.

        Examples
        --------
        >>> float(NSIModel.ngi(c_v_u=0.2).eps_u[0, 0].real)
        0.1
        """
        eu = np.eye(3, dtype=np.complex128) * (c_v_u / 2.0)
        ed = np.eye(3, dtype=np.complex128) * (c_v_d / 2.0)
        return cls(eps_u=eu, eps_d=ed, c_s_u=c_s_u, c_s_d=c_s_d, c_t_u=c_t_u, c_t_d=c_t_d, **kwargs)

    @classmethod
    def non_unitary(
        cls,
        alpha11: float = 1.0,
        alpha12: complex = 0.0,
        alpha13: complex = 0.0,
        *,
        alpha22: float = 1.0,
        alpha33: float = 1.0,
        alpha23: complex = 0.0,
        **kwargs: Any,
    ) -> NSIModel:
        """Non-unitary lepton mixing, N = N^NP U with N^NP of seed 004 Eq. 4.

        ``alpha12`` is the (2,1) entry of the lower-triangular matrix (seed 004 notation).

        Parameters
        ----------
        alpha11, alpha22, alpha33 : float
            Diagonal entries of ``N^NP`` (1 for unitary mixing).
        alpha12, alpha13, alpha23 : complex
            Off-diagonal entries below the diagonal (0 for unitary mixing).
        **kwargs
            Other :class:`NSIModel` fields.

        Returns
        -------
        NSIModel
            The model.

        Examples
        --------
        >>> m = NSIModel.non_unitary(alpha11=0.9, alpha12=0.1)
        >>> round(float(m.rate_factor(0)), 6)  # alpha11^2 (alpha11^2 + |alpha12|^2), Eq. 7
        0.6642
        """
        a = np.array(
            [[alpha11, 0, 0], [alpha12, alpha22, 0], [alpha13, alpha23, alpha33]],
            dtype=np.complex128,
        )
        return cls(alpha=a, **kwargs)

    def replace(self, **changes: Any) -> NSIModel:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> NSIModel.sm().replace(sin2_theta_w=0.24).sin2_theta_w
        0.24
        """
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ properties
    @property
    def g_p(self) -> float:
        """SM vector coupling of the proton at this model's sin^2(theta_W)."""
        rad = self.radiative_corrections if self.couplings == "radiative" else None
        return float(g_proton_v(self.sin2_theta_w, rad))

    @property
    def g_n(self) -> float:
        """SM vector coupling of the neutron."""
        rad = self.radiative_corrections if self.couplings == "radiative" else None
        return float(g_neutron_v(rad))

    @property
    def has_vector_nsi(self) -> bool:
        """Whether any quark vector NSI is non-zero."""
        return bool(np.any(self.eps_u != 0) or np.any(self.eps_d != 0))

    @property
    def has_ngi(self) -> bool:
        """Whether scalar or tensor interactions are present."""
        return any(v != 0 for v in (self.c_s_u, self.c_s_d, self.c_t_u, self.c_t_d))

    @property
    def is_unitary(self) -> bool:
        """Whether the mixing is unitary (alpha is the identity)."""
        return bool(np.allclose(self.alpha, np.eye(3), rtol=0, atol=0))

    @property
    def is_sm(self) -> bool:
        """No NSI, no NGI and unitary mixing (any sin^2(theta_W))."""
        return (
            not self.has_vector_nsi
            and not self.has_ngi
            and self.is_unitary
            and not np.any(self.eps_e != 0)
        )

    # ------------------------------------------------------------------ oscillations
    def hamiltonian_eps(self, y_n: float) -> NDArray[np.complex128]:
        """Hamiltonian-level NSI matrix in a neutral medium of neutron fraction ``y_n``.

        ``eps = eps^e + (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d`` (seed 000 Eq. 2 with
        N_p = N_e, seed 002 Eq. 2.7). The SM "1" of the ee entry is not included.

        Parameters
        ----------
        y_n : float
            N_n / N_e of the medium, >= 0.

        Returns
        -------
        ndarray of shape (3, 3), complex
        """
        y = check_positive("y_n", y_n, allow_zero=True)
        out = self.eps_e + (2.0 + y) * self.eps_u + (1.0 + 2.0 * y) * self.eps_d
        return np.array(out, dtype=np.complex128)

    # ------------------------------------------------------------------ scattering
    def propagator(self, q_mev: ArrayLike) -> NDArray[np.float64]:
        """Light-mediator suppression ``M^2 / (q^2 + M^2)``; 1 for a contact interaction.

        Parameters
        ----------
        q_mev : array_like
            Momentum transfer [MeV].

        Returns
        -------
        ndarray
            The factor, the shape of ``q_mev``.
        """
        q = np.asarray(q_mev, dtype=np.float64)
        if self.mediator_mass_mev is None:
            return np.ones_like(q)
        m2 = self.mediator_mass_mev**2
        return m2 / (q * q + m2)

    def amplitude_coefficients(self, alpha: int) -> NDArray[np.complex128]:
        """Coefficients ``w_ab`` of the vector amplitude on the basis h (see module doc).

        Parameters
        ----------
        alpha : int
            Incoming lepton flavour (0 = e, 1 = mu, 2 = tau).

        Returns
        -------
        ndarray of shape (3, 4), complex
            Row b: coefficients of ``A_ab`` on ``[Z F_Z, N F_N, Z F_Z g_M, N F_N g_M]``.
        """
        if alpha not in (0, 1, 2):
            msg = f"alpha must be a lepton index 0, 1 or 2, got {alpha!r}"
            raise InvalidParameterError(msg)
        w = np.zeros((3, 4), dtype=np.complex128)
        w[alpha, 0] = self.g_p
        w[alpha, 1] = self.g_n
        eu = self.eps_u[alpha, :]
        ed = self.eps_d[alpha, :]
        w[:, 2] = 2.0 * eu + ed
        w[:, 3] = eu + 2.0 * ed
        return w

    def quadratic_forms(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """All-flavour quadratic forms, vectorised (the fast path of the signal templates).

        Returns
        -------
        vector : ndarray of shape (3, 4, 4)
            ``W_a = Re sum_b conj(w_ab) w_ab^T`` for a = e, mu, tau.
        ngi : ndarray of shape (3, 4, 4)
            Scalar, tensor and (unsigned) scalar-tensor matrices; zeros without NGI.
        rate_factor : ndarray of shape (3,)
            Non-unitarity factor per incoming flavour.
        """
        w = np.zeros((3, 3, 4), dtype=np.complex128)
        idx = np.arange(3)
        w[idx, idx, 0] = self.g_p
        w[idx, idx, 1] = self.g_n
        w[:, :, 2] = 2.0 * self.eps_u + self.eps_d
        w[:, :, 3] = self.eps_u + 2.0 * self.eps_d
        vector = np.einsum("abk,abl->akl", w.conj(), w).real
        ngi = np.zeros((3, 4, 4))
        if self.has_ngi:
            s, t = self._ngi_vectors()
            ngi[0] = np.outer(s, s)
            ngi[1] = np.outer(t, t)
            ngi[2] = 0.25 * (np.outer(s, t) + np.outer(t, s))
        nn = self.alpha @ self.alpha.conj().T
        rate = np.sum(np.abs(nn) ** 2, axis=1)
        return vector, ngi, rate

    def _ngi_vectors(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        s = np.zeros(4)
        t = np.zeros(4)
        for k, nucleon, m_nuc in ((0, "p", M_PROTON), (1, "n", M_NEUTRON)):
            s[k] = m_nuc * (
                self.c_s_u * SCALAR_FORM_FACTORS[nucleon]["u"] / M_QUARK_U
                + self.c_s_d * SCALAR_FORM_FACTORS[nucleon]["d"] / M_QUARK_D
            )
            t[k] = (
                self.c_t_u * TENSOR_FORM_FACTORS[nucleon]["u"]
                + self.c_t_d * TENSOR_FORM_FACTORS[nucleon]["d"]
            )
        return s, t

    def amplitude_matrices(self, alpha: int, *, antineutrino: bool = False) -> dict[str, Any]:
        """Quadratic forms of the cross section for incoming flavour ``alpha``.

        Returns a dict with 4x4 real symmetric matrices on the basis h for the kinematic
        terms of seed 004 Eq. 13: ``"v"`` (vector, SM interference included), ``"s"``
        (scalar), ``"t"`` (tensor), ``"st"`` (scalar-tensor interference, sign included:
        + for antineutrinos, - for neutrinos), and ``"rate_factor"`` (non-unitarity).

        Parameters
        ----------
        alpha : int
            Incoming flavour index (0 = e, 1 = mu, 2 = tau).
        antineutrino : bool
            Sign of the scalar-tensor interference.
        """
        w = self.amplitude_coefficients(alpha)
        mats: dict[str, Any] = {"v": np.real(w.conj().T @ w)}
        if self.has_ngi:
            s, t = self._ngi_vectors()
            sign = 1.0 if antineutrino else -1.0
            mats["s"] = np.outer(s, s)
            mats["t"] = np.outer(t, t)
            mats["st"] = sign * 0.25 * (np.outer(s, t) + np.outer(t, s))
        mats["rate_factor"] = self.rate_factor(alpha)
        return mats

    def rate_factor(self, alpha: int) -> float:
        """Zero-distance non-unitarity factor ``sum_b |(N N^dagger)_ab|^2``.

        For alpha = e it is ``alpha11^2 (alpha11^2 + |alpha12|^2 + |alpha13|^2)``
        (seed 004 Eq. 7). 1 for unitary mixing.

        Parameters
        ----------
        alpha : int
            Incoming flavour index (0 = e, 1 = mu, 2 = tau).

        Returns
        -------
        float
            The factor.
        """
        nn = self.alpha @ self.alpha.conj().T
        return float(np.sum(np.abs(nn[alpha, :]) ** 2))

    # ------------------------------------------------------------------ misc
    def parameters(self) -> dict[str, float]:
        """Non-zero public parameters under their stable names (for reports)."""
        out: dict[str, float] = {"sin2_theta_w": self.sin2_theta_w}
        if self.mediator_mass_mev is not None:
            out["mediator_mass_mev"] = self.mediator_mass_mev
        for fname, mat in (("u", self.eps_u), ("d", self.eps_d), ("e", self.eps_e)):
            for pair, (i, j) in _PAIR_NAMES.items():
                v = mat[i, j]
                if v.real != 0:
                    out[f"eps_{pair}_{fname}"] = float(v.real)
                if v.imag != 0:
                    out[f"eps_{pair}_{fname}_im"] = float(v.imag)
        for name in ("c_s_u", "c_s_d", "c_t_u", "c_t_d"):
            if getattr(self, name) != 0:
                out[name] = float(getattr(self, name))
        if not self.is_unitary:
            a = self.alpha
            out["alpha11"] = float(a[0, 0].real)
            out["alpha12"] = float(abs(a[1, 0]))
            out["alpha13"] = float(abs(a[2, 0]))
        return out

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v:.6g}" for k, v in self.parameters().items())
        return f"NSIModel(couplings={self.couplings!r}, {extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NSIModel):
            return NotImplemented
        return (
            self.sin2_theta_w == other.sin2_theta_w
            and self.couplings == other.couplings
            and self.mediator_mass_mev == other.mediator_mass_mev
            and all(
                np.array_equal(getattr(self, n), getattr(other, n))
                for n in ("eps_u", "eps_d", "eps_e", "alpha")
            )
            and (self.c_s_u, self.c_s_d, self.c_t_u, self.c_t_d)
            == (other.c_s_u, other.c_s_d, other.c_t_u, other.c_t_d)
            and self.radiative_corrections == other.radiative_corrections
        )

    __hash__ = None  # type: ignore[assignment]
