"""Expected nuclear-recoil spectra dR/dE_nr for a flux, a target and a physics model.

Integration over the neutrino energy
------------------------------------
Every kinematic factor of the cross section is a combination of ``1``, ``1/E`` and ``1/E^2``
(see :func:`cevns.physics.cross_section.kinematic_factors`), so the E_nu integral reduces to three
tail moments of the flux::

    I_n(x) = int_x^inf dE  E^-n  dPhi/dE        (n = 0, 1, 2)

evaluated at ``x = E_nu,min(T)``. The moments are cumulative trapezoid integrals on a
uniform grid of ``n_enu`` points over the support of each flavour, completed inside the
first cell by a trapezoid from ``x`` itself, plus the exact contribution of monochromatic
lines. With the default ``n_enu = 20001`` the recoil spectrum of a reactor or pion-decay
flux changes by less than 1e-5 relative when the grid is doubled (tested).

The cumulative integrals of a flux that says when it changes (an integer
``_state_version``: :class:`~cevns.sources.reactor.ReactorFlux` and
:class:`~cevns.sources.spallation.PionDARFlux` bump theirs at every assignment of a public
attribute, their only state; the frozen :class:`~cevns.sources.solar.SolarFlux` has ``0``)
are computed once per flavour and ``n_enu`` and
kept while the flux object lives: a second spectrum, or a second signal, on the same
flux evaluates it only at its own ``E_nu,min``. A flux without one is tabulated at every
call.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_positive
from cevns.core.constants import DAY_S, KEV_PER_MEV
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import parse_flavour
from cevns.physics.cross_section import (
    KINEMATIC_TERMS,
    FormFactors,
    Kinematics,
    basis_functions,
    e_nu_min_mev,
    prefactor_cm2_per_kev,
)
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Target
from cevns.sources.flux import Flux, as_flux

__all__ = ["DEFAULT_N_ENU", "flux_moments", "folded_kernels", "recoil_spectrum"]


def __dir__() -> list[str]:
    return __all__


#: Default number of neutrino-energy grid points per flavour.
DEFAULT_N_ENU = 20001


class _Tails:
    """Cumulative tail integrals of one flavour on its grid (shared across isotopes)."""

    def __init__(self, flux: Flux, flavour: str, n_enu: int) -> None:
        if n_enu < 3:
            msg = f"n_enu must be >= 3, got {n_enu}"
            raise InvalidParameterError(msg)
        self.flux, self.flavour = flux, flavour
        self.lo, self.hi = flux.energy_range(flavour)
        self.lines = flux.lines(flavour)
        if self.hi > self.lo:
            grid = np.linspace(self.lo, self.hi, n_enu)
            phi = np.asarray(flux.spectrum(flavour, grid), dtype=np.float64)
            safe = np.where(grid > 0, grid, np.inf)
            powers = np.stack([phi, phi / safe, phi / safe**2])  # (3, n)
            cells = 0.5 * (powers[:, 1:] + powers[:, :-1]) * np.diff(grid)
            tail = np.cumsum(cells[:, ::-1], axis=1)[:, ::-1]
            self.tail = np.concatenate([tail, np.zeros((3, 1))], axis=1)
            self.grid, self.powers = grid, powers

    def __call__(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((3, *x.shape))
        if self.hi > self.lo:
            grid, n = self.grid, self.grid.size
            xc = np.clip(x, self.lo, self.hi)
            k = np.clip(
                np.searchsorted(grid, xc, side="right"), 1, n - 1
            )  # grid[k-1] <= x < grid[k]
            phi_x = np.asarray(self.flux.spectrum(self.flavour, xc), dtype=np.float64)
            px = np.stack([phi_x, phi_x / xc, phi_x / xc**2])
            partial = 0.5 * (px + self.powers[:, k]) * (grid[k] - xc)
            out += np.where(x >= self.hi, 0.0, self.tail[:, k] + partial)
        for e_line, phi_line in self.lines:
            above = (x <= e_line).astype(np.float64)
            out += np.stack(
                [phi_line * above, phi_line / e_line * above, phi_line / e_line**2 * above]
            )
        return out


#: The tail integrals kept per flux object: flux -> {(flavour, n_enu): (version, tails)}.
#: Not in the flux itself, so that a pickled flux (a scan's worker gets one with its
#: cost) does not carry them; each kept one refers to its flux weakly, so that the entry
#: goes with the flux.
_KEPT_TAILS: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], tuple[int, _Tails]]] = (
    weakref.WeakKeyDictionary()
)


def _tails(flux: Flux, flavour: str, n_enu: int) -> _Tails:
    """:class:`_Tails` of ``flux``, kept where the flux has a ``_state_version`` (module notes)."""
    version = getattr(flux, "_state_version", None)
    if not isinstance(version, int):
        return _Tails(flux, flavour, n_enu)
    try:
        kept = _KEPT_TAILS.setdefault(flux, {})
    except TypeError:  # not hashable, or no weak reference to it: nothing kept
        return _Tails(flux, flavour, n_enu)
    entry = kept.get((flavour, n_enu))
    if entry is None or entry[0] != version:
        entry = (version, _Tails(weakref.proxy(flux), flavour, n_enu))
        kept[(flavour, n_enu)] = entry
    return entry[1]


def flux_moments(
    flux: Flux,
    flavour: str,
    e_min_mev: ArrayLike,
    *,
    n_enu: int = DEFAULT_N_ENU,
) -> NDArray[np.float64]:
    """Tail moments ``I_n(x) = int_x^inf E^-n dPhi/dE dE`` for n = 0, 1, 2.

    Parameters
    ----------
    flux : Flux
    flavour : str
    e_min_mev : array_like
        Lower integration limits x [MeV], > 0.
    n_enu : int
        Grid points over the continuous support.

    Returns
    -------
    ndarray of shape ``(3, *x.shape)``
        In 1/(cm^2 s MeV^n).
    """
    x = as_float_array("e_min_mev", e_min_mev)
    if np.any(x <= 0):
        msg = "e_min_mev must be > 0 (recoil energies must be > 0)"
        raise InvalidParameterError(msg)
    return _tails(flux, flavour, n_enu)(x)


def folded_kernels(
    moments: NDArray[np.float64],
    e_nr_kev: NDArray[np.float64],
    mass_mev: float,
    kinematics: Kinematics = "full",
) -> dict[str, NDArray[np.float64]]:
    """Flux-folded kinematic factors ``int dE dPhi/dE K_term(T, E)`` [1/(cm^2 s)].

    The ``"st"`` entry carries no sign (the model's matrix does).

    Parameters
    ----------
    moments : ndarray of shape (3, n)
        Tail moments ``I_0, I_1, I_2`` of the flux at ``E_nu,min(T)`` (:func:`flux_moments`).
    e_nr_kev : ndarray
        Recoil energies T [keVnr], shape ``(n,)``.
    mass_mev : float
        Mass of the nucleus [MeV].
    kinematics : {"full", "approximate"}, optional
        ``"full"`` keeps the ``-T/E`` term of the vector factor; ``"approximate"`` drops it.

    Returns
    -------
    dict of str -> ndarray
        Folded factors ``"v"``, ``"s"``, ``"t"`` and ``"st"`` at each recoil energy.
    """
    i0, i1, i2 = moments
    t = np.asarray(e_nr_kev, dtype=np.float64) / KEV_PER_MEV
    mt = mass_mev * t
    v = i0 - 0.5 * mt * i2 - (t * i1 if kinematics == "full" else 0.0)
    return {
        "v": v,
        "s": mt / 8.0 * i2,
        "t": 2.0 * i0 - 0.5 * mt * i2 - 2.0 * t * i1,
        "st": t * i1,
    }


def recoil_spectrum(
    flux: Any,
    target: Target,
    model: NSIModel | None,
    e_nr_kev: ArrayLike,
    *,
    form_factor: FormFactors | None = None,
    kinematics: Kinematics = "full",
    n_enu: int = DEFAULT_N_ENU,
    per_flavour: bool = False,
) -> NDArray[np.float64] | dict[str, NDArray[np.float64]]:
    """Differential event rate dR/dE_nr [events / (kg day keVnr)].

    Sums over the isotopes of ``target`` (weighted by their number per kg) and over the
    flavours of ``flux``.

    Parameters
    ----------
    flux : Flux or mapping
        See :mod:`cevns.sources.flux`.
    target : Target
    model : NSIModel or None
        None means the Standard Model.
    e_nr_kev : array_like
        Recoil energies [keVnr], > 0.
    form_factor : form factor or (proton, neutron) pair, optional
        Default Helm.
    kinematics : {"full", "approximate"}
    n_enu : int
        Neutrino-energy grid points (see module notes on convergence).
    per_flavour : bool
        Return a dict flavour -> spectrum instead of the sum.

    Examples
    --------
    >>> from cevns import Target, NSIModel
    >>> flux = {"nuebar": ([0.5, 8.0], [1e13, 1e13])}
    >>> r = recoil_spectrum(flux, Target.element("Ge"), NSIModel.sm(), [0.1, 1.0])
    >>> r.shape
    (2,)
    """
    flux = as_flux(flux)
    model = NSIModel.sm() if model is None else model
    t = as_float_array("e_nr_kev", e_nr_kev)
    if np.any(t <= 0):
        msg = f"e_nr_kev must be > 0, got {t[t <= 0].ravel()[:3].tolist()}"
        raise InvalidParameterError(msg)
    check_positive("n_enu", n_enu)
    result: dict[str, NDArray[np.float64]] = {}
    nuclei = list(target)
    # every nucleus's E_nu,min at once: one evaluation of the flux per flavour
    e_min = np.stack([e_nu_min_mev(t, nucleus.mass_mev) for nucleus, _ in nuclei])
    for flavour in flux.flavours:
        alpha, anti = parse_flavour(flavour)
        mats = model.amplitude_matrices(alpha, antineutrino=anti)
        rate = np.zeros_like(t)
        moments = _tails(flux, flavour, n_enu)(e_min.ravel()).reshape(3, *e_min.shape)
        for k, (nucleus, n_per_kg) in enumerate(nuclei):
            kern = folded_kernels(moments[:, k], t, nucleus.mass_mev, kinematics)
            h = basis_functions(t, nucleus, model.mediator_mass_mev, form_factor)
            dens = np.zeros_like(t)
            for term in KINEMATIC_TERMS:
                if term in mats:
                    dens += kern[term] * np.einsum("...a,ab,...b->...", h, mats[term], h)
            rate += n_per_kg * prefactor_cm2_per_kev(nucleus.mass_mev) * dens
        result[flavour] = rate * mats["rate_factor"] * DAY_S
    if per_flavour:
        return result
    return np.asarray(sum(result.values(), np.zeros_like(t)))
