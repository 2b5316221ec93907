"""The running of the weak mixing angle in the MSbar scheme, one loop, leading logarithms.

Below the Z pole the MSbar couplings run with the charged fermions lighter than the scale
(Erler & Ramsey-Musolf, Phys. Rev. D 72, 073003 (2005), arXiv:hep-ph/0409169):

    d(1/alpha)/d ln mu^2       = -(1/(3 pi)) sum_f N_c Q_f^2
    d(s^2/alpha)/d ln mu^2     = -(1/(6 pi)) sum_f N_c Q_f T_f

(T_f the third component of weak isospin of the left-handed fermion), so that
``s^2(mu) = s^2(mu0) alpha(mu)/alpha(mu0) + lambda (1 - alpha(mu)/alpha(mu0))`` on every
interval with a fixed set of fermions, with ``lambda = sum N_c Q T / (2 sum N_c Q^2)``
(1/4 with leptons only, 3/8 for complete generations). Each fermion decouples at its mass
(step thresholds), and the running starts at the Z pole from the PDG values below. The
light quarks (u, d, s) share one effective threshold, set so that alpha runs from
alpha(M_Z) to the Thomson limit alpha(0): the hadronic running of alpha is an input, the
running of s^2 a prediction.

This is the leading-log one-loop picture: no two-loop or QCD corrections, no W-boson
threshold. It gives s^2(0) = 0.23950, 0.0009 above the full evaluation quoted by seed 004
(0.23857 +- 0.00005, Erler & Ferro-Hernandez 2018 via PDG): a 0.4% offset, far below the
uncertainty of any CEvNS determination (+-0.05 for Dresden-II). Momentum transfers in MeV.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array
from cevns.core.exceptions import InvalidParameterError

__all__ = [
    "ALPHA_INV_THOMSON",
    "ALPHA_INV_Z",
    "FERMIONS",
    "M_Z_MEV",
    "SIN2_THETA_W_MZ",
    "light_quark_threshold_mev",
    "sin2_theta_w_msbar",
]


def __dir__() -> list[str]:
    return __all__


#: Z mass [MeV]; PDG2022: 91.1876(21) GeV.
M_Z_MEV: float = 91187.6
#: MSbar weak mixing angle at the Z pole; PDG2022 and seed 004 Sec. 2.1: 0.23121(4).
SIN2_THETA_W_MZ: float = 0.23121
#: 1/alpha in MSbar at the Z pole, five flavours; PDG2022 (electroweak review): 127.952(9).
ALPHA_INV_Z: float = 127.952
#: 1/alpha in the Thomson limit; CODATA2018: 137.035999084.
ALPHA_INV_THOMSON: float = 137.035999084

#: Charged fermions below M_Z: (name, threshold mass [MeV] or None for the light quarks,
#: colours, charge, T3 of the left-handed state). Masses PDG2022: lepton masses, MSbar
#: m_c(m_c) = 1.27 GeV and m_b(m_b) = 4.18 GeV.
FERMIONS: tuple[tuple[str, float | None, int, float, float], ...] = (
    ("e", 0.51099895, 1, -1.0, -0.5),
    ("mu", 105.6583755, 1, -1.0, -0.5),
    ("tau", 1776.86, 1, -1.0, -0.5),
    ("u", None, 3, 2.0 / 3.0, 0.5),
    ("d", None, 3, -1.0 / 3.0, -0.5),
    ("s", None, 3, -1.0 / 3.0, -0.5),
    ("c", 1270.0, 3, 2.0 / 3.0, 0.5),
    ("b", 4180.0, 3, -1.0 / 3.0, -0.5),
)


def _b_alpha(nc: int, q: float) -> float:
    return nc * q * q / (3.0 * math.pi)


def _b_s2(nc: int, q: float, t3: float) -> float:
    return nc * q * t3 / (6.0 * math.pi)


def light_quark_threshold_mev() -> float:
    """Common u, d, s threshold [MeV] at which alpha runs from alpha(M_Z) to alpha(0).

    Returns
    -------
    float
        The threshold mass (about 119 MeV).

    Examples
    --------
    >>> round(light_quark_threshold_mev(), 1)
    118.6
    """
    heavy = sum(_b_alpha(nc, q) * math.log(M_Z_MEV**2 / m**2) for _, m, nc, q, _ in FERMIONS if m)
    light = sum(_b_alpha(nc, q) for _, m, nc, q, _ in FERMIONS if m is None)
    log_ratio = (ALPHA_INV_THOMSON - ALPHA_INV_Z - heavy) / light  # ln(M_Z^2 / m^2)
    return float(M_Z_MEV * math.exp(-0.5 * log_ratio))


def sin2_theta_w_msbar(q_mev: ArrayLike) -> NDArray[np.float64]:
    """MSbar sin^2(theta_W) at the scale ``q_mev`` (one loop, leading logs, module notes).

    Parameters
    ----------
    q_mev : array_like
        Scale (the size of the momentum transfer, ``|q|``) [MeV], 0 <= q <= M_Z.

    Returns
    -------
    ndarray
        sin^2(theta_W) at each scale; constant below the electron mass.

    Examples
    --------
    >>> float(sin2_theta_w_msbar(M_Z_MEV))
    0.23121
    >>> round(float(sin2_theta_w_msbar(0.0)), 4)
    0.2395
    """
    q = as_float_array("q_mev", q_mev)
    if np.any(q < 0) or np.any(q > M_Z_MEV):
        bad = q[(q < 0) | (q > M_Z_MEV)]
        msg = (
            f"q_mev must lie in [0, M_Z = {M_Z_MEV:g}] MeV (running below the Z pole), "
            f"got {float(bad.ravel()[0])!r}"
        )
        raise InvalidParameterError(msg)
    m_light = light_quark_threshold_mev()
    inv_alpha = np.full(q.shape, ALPHA_INV_Z)
    s2_over_alpha = np.full(q.shape, SIN2_THETA_W_MZ * ALPHA_INV_Z)
    for _, m, nc, charge, t3 in FERMIONS:
        mass = m_light if m is None else m
        log = np.log(M_Z_MEV**2 / np.maximum(q, mass) ** 2)  # active from max(q, m) to M_Z
        inv_alpha += _b_alpha(nc, charge) * log
        s2_over_alpha += _b_s2(nc, charge, t3) * log
    return np.asarray(s2_over_alpha / inv_alpha, dtype=np.float64)
