"""CEvNS kinematics and differential cross section.

The cross section is seed 004 Eq. 13 (which reduces to Eq. 1 in the SM)::

    dsigma/dT = G_F^2 m_N / pi * { sum_b |A_ab|^2 (1 - m_N T/(2 E^2) - T/E)
                                   + C_S^2 m_N T/(8 E^2) + 2 C_T^2 (1 - m_N T/(4 E^2) - T/E)
                                   +/- C_S C_T/2 T/E } * (non-unitarity factor)

with the amplitude ``A_ab`` of :mod:`cevns.physics.nsi`. ``kinematics="approximate"`` drops the
``T/E`` term of the vector part, which is seed 000 Eq. 6
(``G_F^2/(2 pi) Q^2/4 M (2 - M T / E^2)``). Both vanish identically above the exact
kinematic limit ``T_max = 2 E^2 / (m_N + 2 E)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_positive
from cevns.core.constants import G_FERMI, HBARC_MEV_CM, KEV_PER_MEV
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import parse_flavour
from cevns.physics.form_factors import FormFactor, Helm
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Nucleus

__all__ = [
    "KINEMATIC_TERMS",
    "FormFactors",
    "basis_functions",
    "differential_cross_section",
    "e_nr_max_kev",
    "e_nu_min_mev",
    "kinematic_factors",
    "momentum_transfer_mev",
    "prefactor_cm2_per_kev",
    "resolve_form_factors",
]


def __dir__() -> list[str]:
    return __all__


#: The kinematic terms of seed 004 Eq. 13, in the order used by templates.
KINEMATIC_TERMS: tuple[str, ...] = ("v", "s", "t", "st")
Kinematics = Literal["full", "approximate"]
FormFactors = FormFactor | tuple[FormFactor, FormFactor]


def e_nr_max_kev(e_nu_mev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """Maximum nuclear recoil energy [keVnr] for neutrino energy ``e_nu_mev``.

    ``T_max = 2 E^2 / (m_N + 2 E)`` (exact elastic kinematics).

    Parameters
    ----------
    e_nu_mev : array_like
        Neutrino energy [MeV].
    mass_mev : float
        Nuclear mass [MeV].

    Returns
    -------
    ndarray
        ``T_max`` [keVnr], the shape of ``e_nu_mev``.

    Examples
    --------
    >>> round(float(e_nr_max_kev(10.0, 67000.0)), 4)
    2.9842
    """
    e = as_float_array("e_nu_mev", e_nu_mev)
    if np.any(e < 0):
        msg = f"e_nu_mev must be >= 0, got {e[e < 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    m = check_positive("mass_mev", mass_mev)
    return np.asarray(2.0 * e**2 / (m + 2.0 * e) * KEV_PER_MEV)


def e_nu_min_mev(e_nr_kev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """Minimum neutrino energy [MeV] to produce a recoil ``e_nr_kev``.

    ``E_min = (T + sqrt(T^2 + 2 m_N T)) / 2`` (seed 004 Eq. 16, exact).

    Parameters
    ----------
    e_nr_kev : array_like
        Recoil energy [keVnr].
    mass_mev : float
        Nuclear mass [MeV].

    Returns
    -------
    ndarray
        ``E_min`` [MeV], the shape of ``e_nr_kev``.

    Examples
    --------
    >>> m = 67000.0
    >>> round(float(e_nr_max_kev(e_nu_min_mev(1.0, m), m)), 12)
    1.0
    """
    t = as_float_array("e_nr_kev", e_nr_kev)
    if np.any(t < 0):
        msg = f"e_nr_kev must be >= 0, got {t[t < 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    m = check_positive("mass_mev", mass_mev)
    t_mev = t / KEV_PER_MEV
    return np.asarray(0.5 * (t_mev + np.sqrt(t_mev**2 + 2.0 * m * t_mev)))


def momentum_transfer_mev(e_nr_kev: ArrayLike, mass_mev: float) -> NDArray[np.float64]:
    """Three-momentum transfer ``q = sqrt(2 m_N T)`` [MeV] (seed 000 Eq. 9, seed 004 fn. 1).

    Parameters
    ----------
    e_nr_kev : array_like
        Nuclear recoil energies T [keVnr].
    mass_mev : float
        Mass of the nucleus [MeV].

    Returns
    -------
    ndarray
        Momentum transfer q [MeV], same shape as ``e_nr_kev``.
    """
    t = np.asarray(e_nr_kev, dtype=np.float64) / KEV_PER_MEV
    return np.sqrt(2.0 * mass_mev * t)


def prefactor_cm2_per_kev(mass_mev: float) -> float:
    """``G_F^2 m_N / pi`` converted to cm^2 / keVnr.

    Parameters
    ----------
    mass_mev : float
        Mass of the nucleus [MeV].

    Returns
    -------
    float
        ``G_F^2 m_N / pi`` [cm^2 / keVnr].
    """
    return G_FERMI**2 * mass_mev / np.pi * HBARC_MEV_CM**2 / KEV_PER_MEV


def resolve_form_factors(form_factor: FormFactors | None) -> tuple[FormFactor, FormFactor]:
    """``(proton_ff, neutron_ff)`` from one form factor, a pair, or None (Helm).

    Parameters
    ----------
    form_factor : FormFactor or (FormFactor, FormFactor) or None
        One form factor used for both nucleons, a ``(proton, neutron)`` pair, or None for Helm.

    Returns
    -------
    (FormFactor, FormFactor)
        The proton and neutron form factors.
    """
    if form_factor is None:
        return Helm(), Helm()
    if isinstance(form_factor, tuple):
        pair: tuple[object, ...] = tuple(form_factor)
        if len(pair) != 2:
            msg = (
                "form_factor must be one form factor or a (proton, neutron) pair, "
                f"got {form_factor!r}"
            )
            raise InvalidParameterError(msg)
        return form_factor[0], form_factor[1]
    return form_factor, form_factor


def basis_functions(
    e_nr_kev: ArrayLike,
    nucleus: Nucleus,
    mediator_mass_mev: float | None,
    form_factor: FormFactors | None = None,
) -> NDArray[np.float64]:
    """The amplitude basis ``h = [Z F_Z, N F_N, Z F_Z g_M, N F_N g_M]`` on a recoil grid.

    Parameters
    ----------
    e_nr_kev : array_like
        Nuclear recoil energies [keVnr].
    nucleus : Nucleus
        Target nucleus (Z, N, mass and radii for the form factors).
    mediator_mass_mev : float or None
        Vector-mediator mass [MeV] of the propagator factor ``g_M = M^2 / (q^2 + M^2)``;
        None for a contact interaction (``g_M = 1``).
    form_factor : FormFactor or (FormFactor, FormFactor), optional
        One form factor for protons and neutrons, or a ``(proton, neutron)`` pair; None is Helm.

    Returns
    -------
    ndarray of shape ``(*e_nr_kev.shape, 4)``
    """
    ff_p, ff_n = resolve_form_factors(form_factor)
    t = np.asarray(e_nr_kev, dtype=np.float64)
    q = momentum_transfer_mev(t, nucleus.mass_mev)
    fz = nucleus.z * ff_p(q, nucleus)
    fn = nucleus.n * ff_n(q, nucleus)
    if mediator_mass_mev is None:
        g = np.ones_like(q)
    else:
        m2 = float(mediator_mass_mev) ** 2
        g = m2 / (q * q + m2)
    return np.stack([fz, fn, fz * g, fn * g], axis=-1)


def kinematic_factors(
    e_nr_kev: ArrayLike,
    e_nu_mev: ArrayLike,
    mass_mev: float,
    kinematics: Kinematics = "full",
) -> dict[str, NDArray[np.float64]]:
    """The kinematic factors of the terms of seed 004 Eq. 13 (zero above T_max).

    Returns a dict over :data:`KINEMATIC_TERMS`; the ``"st"`` entry is ``T/E`` without sign.

    Parameters
    ----------
    e_nr_kev : array_like
        Nuclear recoil energies T [keVnr].
    e_nu_mev : array_like
        Neutrino energies E [MeV], broadcast against ``e_nr_kev``.
    mass_mev : float
        Mass of the nucleus [MeV].
    kinematics : {"full", "approximate"}, optional
        ``"full"`` keeps the ``-T/E`` term of the vector factor; ``"approximate"`` drops it.

    Returns
    -------
    dict of str -> ndarray
        Factors ``"v"``, ``"s"``, ``"t"`` and ``"st"`` on the broadcast grid.
    """
    if kinematics not in ("full", "approximate"):
        msg = f"kinematics must be 'full' or 'approximate', got {kinematics!r}"
        raise InvalidParameterError(msg)
    t = np.asarray(e_nr_kev, dtype=np.float64) / KEV_PER_MEV
    e = np.asarray(e_nu_mev, dtype=np.float64)
    t, e = np.broadcast_arrays(t, e)
    allowed = t <= 2.0 * e**2 / (mass_mev + 2.0 * e)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(allowed, mass_mev * t / np.where(e > 0, e * e, 1.0), 0.0)
        u = np.where(allowed, t / np.where(e > 0, e, 1.0), 0.0)
    v = 1.0 - 0.5 * r - (u if kinematics == "full" else 0.0)
    return {
        "v": np.where(allowed, v, 0.0),
        "s": r / 8.0,
        "t": np.where(allowed, 2.0 * (1.0 - 0.25 * r - u), 0.0),
        "st": u,
    }


def differential_cross_section(
    e_nr_kev: ArrayLike,
    e_nu_mev: ArrayLike,
    nucleus: Nucleus,
    model: NSIModel | None = None,
    *,
    flavour: str = "nuebar",
    form_factor: FormFactors | None = None,
    kinematics: Kinematics = "full",
) -> NDArray[np.float64]:
    """CEvNS differential cross section dsigma/dT [cm^2 / keVnr] (broadcast over inputs).

    Parameters
    ----------
    e_nr_kev : array_like
        Nuclear recoil energy T [keVnr], >= 0.
    e_nu_mev : array_like
        Neutrino energy [MeV], >= 0.
    nucleus : Nucleus
    model : NSIModel, optional
        Default: the Standard Model with radiative corrections.
    flavour : str
        Incoming flavour (see :mod:`cevns.core.flavour`).
    form_factor : form factor or (proton, neutron) pair, optional
        Default Helm for both.
    kinematics : {"full", "approximate"}
        Seed 004 Eq. 1 or seed 000 Eq. 6.

    Examples
    --------
    >>> from cevns import Nucleus, NSIModel
    >>> ge = Nucleus.from_isotope("Ge72")
    >>> xs = differential_cross_section(0.5, 5.0, ge, NSIModel.sm())
    >>> f"{float(xs):.3e}"
    '1.405e-40'
    """
    model = NSIModel.sm() if model is None else model
    t = as_float_array("e_nr_kev", e_nr_kev)
    e = as_float_array("e_nu_mev", e_nu_mev)
    if np.any(t < 0) or np.any(e < 0):
        msg = "e_nr_kev and e_nu_mev must be >= 0"
        raise InvalidParameterError(msg)
    alpha, anti = parse_flavour(flavour)
    h = basis_functions(t, nucleus, model.mediator_mass_mev, form_factor)
    kin = kinematic_factors(t, e, nucleus.mass_mev, kinematics)
    mats = model.amplitude_matrices(alpha, antineutrino=anti)
    total = np.zeros(np.broadcast_shapes(t.shape, e.shape))
    for term in KINEMATIC_TERMS:
        if term in mats:
            quad = np.einsum("...a,ab,...b->...", h, mats[term], h)
            total = total + kin[term] * quad
    return np.asarray(prefactor_cm2_per_kev(nucleus.mass_mev) * mats["rate_factor"] * total)
