"""Physical constants, unit conversions and Standard-Model neutral-current couplings.

Every number carries its source. Units follow the package convention (see
:mod:`cevns`): energies and masses in MeV unless the name says otherwise.

References
----------
PDG2022
    R.L. Workman et al. (Particle Data Group), Prog. Theor. Exp. Phys. 2022, 083C01.
CODATA2018
    E. Tiesinga et al., Rev. Mod. Phys. 93, 025010 (2021).
DG2022
    P.B. Denton and J. Gehrlein, arXiv:2204.09060, Eq. 8 (seed 000).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "AMU_MEV",
    "AVOGADRO",
    "DAY_S",
    "EV_PER_EH_PAIR_GE",
    "FM_TO_CM",
    "G_FERMI",
    "HBARC_MEV_CM",
    "HBARC_MEV_FM",
    "JOULE_PER_MEV",
    "KEV_PER_MEV",
    "M_ELECTRON",
    "M_MUON",
    "M_NEUTRON",
    "M_PION",
    "M_PROTON",
    "M_QUARK_D",
    "M_QUARK_U",
    "SIN2_THETA_W_LOW_ENERGY",
    "SIN2_THETA_W_Z",
    "TAU_MUON_US",
    "RadiativeCorrections",
    "g_neutron_v",
    "g_proton_v",
]


def __dir__() -> list[str]:
    return __all__


# --- fundamental constants ---------------------------------------------------------------
#: Fermi constant [MeV^-2]; PDG2022: G_F/(hbar c)^3 = 1.1663788(6)e-5 GeV^-2.
G_FERMI: float = 1.1663788e-11
#: hbar*c [MeV fm]; CODATA2018 (exact SI-derived): 197.3269804 MeV fm.
HBARC_MEV_FM: float = 197.3269804
#: 1 fm in cm.
FM_TO_CM: float = 1.0e-13
#: hbar*c [MeV cm].
HBARC_MEV_CM: float = HBARC_MEV_FM * FM_TO_CM
#: Avogadro constant [1/mol]; SI exact.
AVOGADRO: float = 6.02214076e23
#: Atomic mass unit [MeV]; CODATA2018: 931.49410242 MeV.
AMU_MEV: float = 931.49410242
#: 1 MeV in joule; SI exact elementary charge.
JOULE_PER_MEV: float = 1.602176634e-13
#: keV per MeV.
KEV_PER_MEV: float = 1.0e3
#: Seconds per day.
DAY_S: float = 86400.0

# --- particle masses [MeV] and lifetimes; PDG2022 ------------------------------------------
M_ELECTRON: float = 0.51099895000
M_MUON: float = 105.6583755
M_PION: float = 139.57039  # charged pion
M_PROTON: float = 938.27208816
M_NEUTRON: float = 939.56542052
#: Muon lifetime [microseconds]; PDG2022: 2.1969811(22) us.
TAU_MUON_US: float = 2.1969811
#: Light-quark MSbar masses at 2 GeV [MeV]; PDG2022 (used by scalar NGI, seed 004 Eq. 12).
M_QUARK_U: float = 2.16
M_QUARK_D: float = 4.67

# --- detector physics -----------------------------------------------------------------------
#: Mean energy per electron-hole pair in Ge at 77 K [eV]; seed 004 Sec. 3.1 (footnote 4
#: quotes 2.98 eV for the ionisation cut-off and eta = 2.96 eV in the resolution).
EV_PER_EH_PAIR_GE: float = 2.96

# --- weak mixing angle ------------------------------------------------------------------------
#: sin^2(theta_W) in MSbar at q = 0 from RGE running; PDG2022 / seed 004 Sec. 2.1: 0.23857(5).
SIN2_THETA_W_LOW_ENERGY: float = 0.23857
#: hat s_Z^2 used with the radiatively corrected couplings; seed 000 Eq. 8: 0.23129.
SIN2_THETA_W_Z: float = 0.23129


@dataclass(frozen=True)
class RadiativeCorrections:
    """Electroweak radiative corrections to the nucleon vector couplings.

    Defaults are those of seed 000 Eq. 8 (Erler & Su via Barranco et al.):
    rho = 1.0082, kappa = 0.9972, lambda_uL = -0.0031, lambda_dL = -0.0025,
    lambda_dR = 2 lambda_uR = 7.5e-5.

    Parameters
    ----------
    rho : float, optional
        Neutral-current normalisation rho (default 1.0082).
    kappa : float, optional
        Factor kappa multiplying the weak mixing angle (default 0.9972).
    lambda_ul, lambda_dl : float, optional
        Corrections to the left-handed u and d couplings (defaults -0.0031, -0.0025).
    lambda_ur, lambda_dr : float, optional
        Corrections to the right-handed u and d couplings (defaults 3.75e-5, 7.5e-5).

    Notes
    -----
    These couplings already contain the running of the weak mixing angle, so they
    are to be evaluated at hat s_Z^2 (:data:`SIN2_THETA_W_Z`), not at the low-energy
    value 0.23857.
    """

    rho: float = 1.0082
    kappa: float = 0.9972
    lambda_ul: float = -0.0031
    lambda_dl: float = -0.0025
    lambda_ur: float = 3.75e-5
    lambda_dr: float = 7.5e-5


def g_proton_v(
    sin2_theta_w: float | np.ndarray,
    radiative: RadiativeCorrections | None = None,
) -> float | np.ndarray:
    """Vector coupling of the Z boson to the proton.

    Parameters
    ----------
    sin2_theta_w : float or array
        Weak mixing angle. At tree level the low-energy value; with radiative
        corrections hat s_Z^2.
    radiative : RadiativeCorrections, optional
        If given, use seed 000 Eq. 8; otherwise the tree-level 1/2 - 2 sin^2(theta_W).

    Returns
    -------
    float or array
        g_p^V.

    Examples
    --------
    >>> round(g_proton_v(0.25), 12)
    0.0
    >>> round(float(g_proton_v(0.23129, RadiativeCorrections())), 5)
    0.03048
    """
    if radiative is None:
        return 0.5 - 2.0 * sin2_theta_w
    r = radiative
    return (
        r.rho * (0.5 - 2.0 * r.kappa * sin2_theta_w)
        + 2.0 * r.lambda_ul
        + 2.0 * r.lambda_ur
        + r.lambda_dl
        + r.lambda_dr
    )


def g_neutron_v(radiative: RadiativeCorrections | None = None) -> float:
    """Vector coupling of the Z boson to the neutron.

    Parameters
    ----------
    radiative : RadiativeCorrections, optional
        If given, use seed 000 Eq. 8; otherwise the tree-level value -1/2.

    Returns
    -------
    float
        g_n^V (independent of the weak mixing angle).

    Examples
    --------
    >>> g_neutron_v()
    -0.5
    >>> round(g_neutron_v(RadiativeCorrections()), 5)
    -0.51201
    """
    if radiative is None:
        return -0.5
    r = radiative
    return -0.5 * r.rho + r.lambda_ul + r.lambda_ur + 2.0 * r.lambda_dl + 2.0 * r.lambda_dr
