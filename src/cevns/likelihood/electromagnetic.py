"""The magnetic-moment part of a signal: nuclear and electron recoils, added incoherently.

A neutrino magnetic moment adds ``mu_a^2 x R_a`` to the counts of flavour ``a``
(:mod:`cevns.physics.electromagnetic`): ``R_a`` is computed once per signal (it does not
depend on the mediator mass or the couplings) and cached, so a model with magnetic
moments keeps the cost of the quadratic fast path (counts stay an exact quadratic
polynomial in the moments; no interference with the weak amplitude).

``R_a`` has two channels:

* **nuclear**: ``int dE dPhi/dE (1/T - 1/E) = I_0(E_min)/T - I_1(E_min)`` per recoil node
  (the flux tail moments of :mod:`cevns.likelihood.spectrum`) times ``Z^2 F_Z^2``, folded
  with the signal's own response matrices;
* **electron** (elastic scattering on the atomic electrons with the stepping
  approximation): the same kernel with the electron's ``E_min``, times ``Z_eff(T)``,
  folded with the detector's response to *unquenched* energy deposits. It is included
  when the detector is an ionisation detector (its quenching can be replaced by
  ``E_ee = E``, which is what an electron deposits) and the binding energies of every
  element of the target are tabulated (Ge); :func:`electron_channel` says whether it is
  and why not. Electrons above ``3 x`` the highest bin edge are left out (they cannot
  reach the observed bins through a resolution of a few percent).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core.constants import DAY_S, KEV_PER_MEV, M_ELECTRON
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.spectrum import _tails
from cevns.physics.cross_section import (
    e_nr_max_kev,
    e_nu_min_mev,
    momentum_transfer_mev,
    resolve_form_factors,
)
from cevns.physics.electromagnetic import (
    _MM_PREFACTOR_CM2_PER_KEV,
    BINDING_ENERGIES_KEV,
    stepping_z_eff,
)

__all__ = ["electron_channel", "magnetic_moment_counts", "magnetic_moment_rows"]


def __dir__() -> list[str]:
    return __all__


_CACHE: weakref.WeakKeyDictionary[Any, tuple[int, NDArray[np.float64]]] = (
    weakref.WeakKeyDictionary()
)


def electron_channel(signal: Any) -> str | None:
    """``None`` if the electron channel is included for ``signal``, else the reason.

    Parameters
    ----------
    signal : Signal

    Returns
    -------
    str or None
    """
    det = signal.detector
    missing = sorted({n.z for n in det.target.nuclei} - set(BINDING_ENERGIES_KEV))
    if missing:
        return (
            f"no electron binding energies for Z = {missing} (tabulated: "
            f"{sorted(BINDING_ENERGIES_KEV)}): nuclear recoils only"
        )
    for member in getattr(det, "members", (det,)):  # a StackedResponse: every variant
        if not hasattr(member, "quenching") or getattr(member, "observable", "") != "keVee":
            return (
                f"{type(member).__name__} has no keVee quenching to replace by E_ee = E: "
                "nuclear recoils only"
            )
    return None


def _electron_response(det: Any, t_hi_kev: float) -> tuple[Any, Any]:
    """Electron-recoil nodes [keV] and the detector's response to them (E_ee = E)."""
    from cevns.detectors.quenching import ConstantQuenching

    members = [
        m.replace(quenching=ConstantQuenching(qf=1.0)) for m in getattr(det, "members", (det,))
    ]
    nodes = np.asarray(members[0].recoil_grid(t_hi_kev), dtype=np.float64)
    resp = np.vstack([np.asarray(m.response_matrix(nodes), dtype=np.float64) for m in members])
    return nodes, resp


def _e_max_mev(signal: Any, flavour: str) -> float:
    hi = float(signal.flux.energy_range(flavour)[1])
    for e_line, _ in signal.flux.lines(flavour):
        hi = max(hi, float(e_line))
    return hi


def magnetic_moment_rows(signal: Any) -> NDArray[np.float64]:
    """Counts per flavour and observed bin for moments of 1 Bohr magneton (cached).

    Parameters
    ----------
    signal : Signal

    Returns
    -------
    ndarray of shape ``(n_flavours, n_bins)``
        Nuclear plus (where :func:`electron_channel` is None) electron recoils.
    """
    generation = signal.template_generation
    hit = _CACHE.get(signal)
    if hit is not None and hit[0] == generation:
        return hit[1]
    nodes, mats = signal._grid_and_responses()
    det = signal.detector
    scale = det.exposure_kg_day * DAY_S * _MM_PREFACTOR_CM2_PER_KEV
    ff_p, _ = resolve_form_factors(signal.form_factor)
    tails = [_tails(signal.flux, f, signal.n_enu) for f in signal.flavours]
    rows = np.zeros((len(signal.flavours), mats[0].shape[0]))
    t_mev = nodes / KEV_PER_MEV
    for (nucleus, n_per_kg), resp in zip(det.target, mats, strict=True):
        fz2 = (nucleus.z * ff_p(momentum_transfer_mev(nodes, nucleus.mass_mev), nucleus)) ** 2
        e_min = e_nu_min_mev(nodes, nucleus.mass_mev)
        for fi, tail in enumerate(tails):
            mom = tail(e_min)
            kern = np.maximum(mom[0] / t_mev - mom[1], 0.0)
            rows[fi] += n_per_kg * scale * (resp @ (fz2 * kern))
    if electron_channel(signal) is None:
        e_hi = max(_e_max_mev(signal, f) for f in signal.flavours)
        top = max(float(m.bin_edges[-1]) for m in getattr(det, "members", (det,)))
        t_hi = min(float(e_nr_max_kev(e_hi, M_ELECTRON)), 3.0 * top)
        if t_hi <= 0:
            msg = f"{det.name}: the flux reaches no electron recoil"
            raise InvalidParameterError(msg)
        enodes, eresp = _electron_response(det, t_hi)
        e_min = e_nu_min_mev(enodes, M_ELECTRON)
        z_eff = np.zeros_like(enodes)
        for nucleus, n_per_kg in det.target:
            z_eff += n_per_kg * stepping_z_eff(enodes, nucleus.z)
        te_mev = enodes / KEV_PER_MEV
        for fi, tail in enumerate(tails):
            mom = tail(e_min)
            kern = np.maximum(mom[0] / te_mev - mom[1], 0.0)
            rows[fi] += scale * (eresp @ (z_eff * kern))
    rows.setflags(write=False)
    _CACHE[signal] = (generation, rows)
    return rows


def magnetic_moment_counts(signal: Any, model: Any) -> NDArray[np.float64]:
    """The magnetic-moment counts of ``model`` per flavour and bin (zeros without moments).

    Parameters
    ----------
    signal : Signal
    model : NSIModel
        Moments are read from ``model.magnetic_moment_mub`` (absent: none), and the
        non-unitarity factor of each flavour multiplies them as it does the weak rate.

    Returns
    -------
    ndarray of shape ``(n_flavours, n_bins)``
    """
    mu = getattr(model, "magnetic_moment_mub", None)
    n_b = signal.n_bins
    if mu is None or not np.any(mu != 0):
        return np.zeros((len(signal.flavours), n_b))
    rows = magnetic_moment_rows(signal)
    mu2 = np.asarray(mu, dtype=np.float64)[signal._alpha] ** 2
    rate = model.quadratic_forms()[2][signal._alpha]
    return np.asarray((mu2 * rate)[:, None] * rows, dtype=np.float64)
