"""CEvNS signal: expected counts per observed bin, with fast quadratic-form templates.

At fixed mediator mass the expected counts are a quadratic form in the model's couplings
(see :mod:`cevns.physics.nsi`): for incoming flavour ``a`` and kinematic term ``k``::

    counts_i = sum_a f_a sum_k sum_{cd} W_{a,k}[c, d] T_{a,k}[c, d, i]

``T`` (the *templates*) integrates flux x kinematics x basis functions x detector response
over the recoil energy once per mediator mass (the parts without the propagator, form
factors included, once per signal: a new mass folds only the propagator's rows, see
:meth:`Signal._templates`); ``W`` and ``f`` come from the model in a few
microseconds (:meth:`cevns.physics.nsi.NSIModel.quadratic_forms`). A new coupling point is then one
matrix-vector product. :meth:`Signal.expected_counts_direct` integrates the same physics at
the model point without templates (the reference the templates are tested against).

The rates are per nucleus of the target already (each has its weak charge), so a detector
whose nuclei see different responses (``response_matrices``, e.g. NaI with sodium and
iodine quenched differently) folds each nucleus's templates with its own matrix; a
detector with one response gives exactly the numbers of a single matrix. The response and
templates are rebuilt whenever anything they depend on changes (detector, flux and form
factor objects; the detector's ``response_key``, exposure and target; kinematics; the
neutrino-energy grid): see :attr:`Signal.template_generation`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_positive
from cevns.core.constants import DAY_S
from cevns.core.exceptions import InvalidParameterError
from cevns.core.flavour import parse_flavour
from cevns.likelihood.electromagnetic import magnetic_moment_counts
from cevns.likelihood.spectrum import DEFAULT_N_ENU, _tails, folded_kernels, recoil_spectrum
from cevns.physics.cross_section import (
    KINEMATIC_TERMS,
    FormFactors,
    Kinematics,
    basis_functions,
    e_nr_max_kev,
    e_nu_min_mev,
    momentum_transfer_mev,
    prefactor_cm2_per_kev,
)
from cevns.physics.nsi import NSIModel
from cevns.physics.nuclei import Target
from cevns.sources.flux import Flux, as_flux

__all__ = ["Response", "Signal", "Templates"]


def __dir__() -> list[str]:
    return __all__


@runtime_checkable
class Response(Protocol):
    """What :class:`Signal` needs from a detector (``cevns.detectors.base.Detector`` has it)."""

    target: Target

    @property
    def exposure_kg_day(self) -> float:
        """Exposure [kg day]."""
        ...

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """Recoil-energy nodes [keVnr] on which the response is tabulated.

        Parameters
        ----------
        e_nr_max_kev : float
            Largest recoil energy the signal can reach [keVnr].

        Returns
        -------
        ndarray
            Recoil energies [keVnr], increasing.
        """
        ...

    def response_matrix(self, e_nr_nodes: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n_bins, n_nodes): counts per bin = exposure * R @ dR/dE_nr(nodes).

        Parameters
        ----------
        e_nr_nodes : ndarray
            Recoil energies [keVnr] from :meth:`recoil_grid`.

        Returns
        -------
        ndarray of shape (n_bins, n_nodes)
            ``R`` with counts = exposure x ``R @ dR/dE_nr(nodes)`` (integration weights in ``R``).
        """
        ...


# A detector whose nuclei see different responses also has ``response_matrices(nodes)``:
# one (n_bins, n_nodes) matrix per nucleus of ``target`` (cevns.detectors.base.Detector has
# it); Signal then folds each nucleus's recoil rate with its own matrix.


@dataclass(frozen=True)
class Templates:
    """Quadratic-form templates at one mediator mass.

    Attributes
    ----------
    mediator_mass_mev : float or None
    flavours : tuple of str
    matrix : ndarray of shape (n_flavours * 4 * 16, n_bins)
        Row ``(f, k, c, d)`` holds ``T_{f,k}[c, d, :]``; multiply by the model's forms.
    n_bins : int
    """

    mediator_mass_mev: float | None
    flavours: tuple[str, ...]
    matrix: NDArray[np.float64]
    n_bins: int


#: Rows ``(c, d)`` of the 4 x 4 amplitude products ``h_c h_d`` (``h = (Z F_Z, N F_N,
#: Z F_Z g, N F_N g)``): the form-factor pair (zz, zn, nn) and the power of ``g``
_PAIR = np.array(
    [
        {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}[(c % 2, d % 2)]
        for c in range(4)
        for d in range(4)
    ]
)
_G_POWER = np.array([c // 2 + d // 2 for c in range(4) for d in range(4)])


def _check_live_times(flux: Flux, detector: Any) -> None:
    """A flux averaged over a live time (a pulsed source) must match the detector's.

    A pion-DAR flux spreads its fluence (protons on target) over ``live_time_days``; the
    detector multiplies the time-averaged flux by its own ``live_days``. Different values
    scale the signal by their ratio, silently (seed 002's 308.1 days against a detector
    of 1 day is a factor 308), so the two are compared when the signal is assembled.
    """
    flux_days = getattr(flux, "live_time_days", None)
    det_days = getattr(detector, "live_days", None)
    if flux_days is None or det_days is None:
        return
    if not math.isclose(float(flux_days), float(det_days), rel_tol=1e-9):
        msg = (
            f"the flux is averaged over live_time_days = {float(flux_days):g} but the detector "
            f"counts live_days = {float(det_days):g}: a pulsed source's fluence is spread over "
            "the flux live time, so the two must be equal"
        )
        raise InvalidParameterError(msg)


class Signal:
    """Expected CEvNS counts for a flux, a detector and a physics model.

    Parameters
    ----------
    flux : Flux or mapping
        See :mod:`cevns.sources.flux`.
    detector : Response
        Typically a :class:`cevns.detectors.base.Detector`.
    form_factor : form factor or (proton, neutron) pair, optional
        Default Helm.
    kinematics : {"full", "approximate"}
    n_enu : int
        Neutrino-energy grid points for the flux moments.
    timing : mapping flavour -> array, optional
        Fraction of each flavour's events in each time bin (pulsed sources); the counts
        are then 2D ``(n_energy_bins, n_time_bins)``.
    max_cached_masses : int
        How many mediator masses keep their templates (least recently used are dropped).

    Examples
    --------
    See :mod:`cevns.detectors.base` and the tutorials for complete experiments.
    """

    def __init__(
        self,
        flux: Any,
        detector: Response,
        *,
        form_factor: FormFactors | None = None,
        kinematics: Kinematics = "full",
        n_enu: int = DEFAULT_N_ENU,
        timing: Mapping[str, ArrayLike] | None = None,
        max_cached_masses: int = 256,
    ) -> None:
        self.flux: Flux = as_flux(flux)
        if not self.flux.flavours:
            msg = "flux has no flavour with a non-zero spectrum"
            raise InvalidParameterError(msg)
        for attr in ("target", "recoil_grid", "response_matrix", "exposure_kg_day"):
            if not hasattr(detector, attr):
                msg = (
                    f"detector must provide {attr!r} (see cevns.likelihood.signal.Response), "
                    f"got {type(detector).__name__}"
                )
                raise InvalidParameterError(msg)
        self.detector = detector
        _check_live_times(self.flux, detector)
        self.form_factor = form_factor
        if kinematics not in ("full", "approximate"):
            msg = f"kinematics must be 'full' or 'approximate', got {kinematics!r}"
            raise InvalidParameterError(msg)
        self.kinematics: Kinematics = kinematics
        self.n_enu = int(check_positive("n_enu", n_enu))
        self.flavours: tuple[str, ...] = tuple(self.flux.flavours)
        self._alpha = np.array([parse_flavour(f)[0] for f in self.flavours])
        self._anti = np.array([parse_flavour(f)[1] for f in self.flavours])
        self.timing = self._check_timing(timing)
        self._cache: OrderedDict[tuple[Any, ...], Templates] = OrderedDict()
        self._max_cached = int(max_cached_masses)
        self._nodes: NDArray[np.float64] | None = None
        self._responses: tuple[NDArray[np.float64], ...] | None = None
        self._state_seen: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None
        self._generation = 0

    # ---------------------------------------------------------------- setup
    def _check_timing(self, timing: Mapping[str, ArrayLike] | None) -> NDArray[np.float64] | None:
        if timing is None:
            return None
        missing = [f for f in self.flavours if f not in timing]
        if missing:
            msg = (
                f"timing is missing flavours {missing}; it must give a time distribution "
                f"for each of {self.flavours}"
            )
            raise InvalidParameterError(msg)
        rows = [np.asarray(timing[f], dtype=np.float64) for f in self.flavours]
        shapes = {r.shape for r in rows}
        if len(shapes) != 1 or rows[0].ndim != 1:
            msg = f"timing arrays must be 1D and of equal length, got shapes {sorted(shapes)}"
            raise InvalidParameterError(msg)
        arr = np.stack(rows)
        if np.any(~np.isfinite(arr)) or np.any(arr < 0):
            msg = "timing fractions must be finite and >= 0"
            raise InvalidParameterError(msg)
        return arr

    @property
    def e_nr_max_kev(self) -> float:
        """Largest recoil energy any flavour can produce on any isotope of the target."""
        e_max = 0.0
        for f in self.flavours:
            lo, hi = self.flux.energy_range(f)
            e_max = max(e_max, hi if hi > lo else 0.0, *(e for e, _ in self.flux.lines(f)))
        m_min = min(n.mass_mev for n in self.detector.target.nuclei)
        return float(e_nr_max_kev(e_max, m_min))

    def _state(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """What the templates depend on: objects (compared by identity) and settings.

        The detector, flux and form factor objects; the detector's ``_state_version`` (a
        frozen :class:`~cevns.detectors.base.Detector` bumps it on the rare attribute its
        class lets change), exposure, ``response_key`` and target; kinematics, ``n_enu``.
        """
        det = self.detector
        objects = (det, self.flux, self.form_factor)
        settings = (
            getattr(det, "_state_version", None),
            float(det.exposure_kg_day),
            self.kinematics,
            self.n_enu,
            getattr(det, "response_key", None),
            det.target,
        )
        return objects, settings

    def _check_state(self) -> None:
        """Drop the response and templates if anything they depend on has changed."""
        objects, settings = self._state()
        old = self._state_seen
        if (
            old is not None
            and all(a is b for a, b in zip(objects, old[0], strict=True))
            and settings == old[1]
        ):
            return
        self._state_seen = (objects, settings)
        self._nodes = self._responses = None
        self._cache.clear()
        self.__dict__.pop("_kernels", None)
        self.__dict__.pop("_tpl_parts", None)
        self.__dict__.pop("_tpl_static", None)
        self._generation += 1

    @property
    def template_generation(self) -> int:
        """A counter that changes whenever the cached response and templates are rebuilt.

        Caches built on this signal's counts (e.g.
        :class:`cevns.likelihood.expansion.QuadraticExpansion`) compare it to drop stale
        entries: a new detector, flux or form factor, another exposure, target, binning or
        response setting, kinematics or neutrino-energy grid each bump it.
        """
        self._check_state()
        return self._generation

    def _quick_generation(self) -> int:
        """:attr:`template_generation` for the hot path of a fit (well below a microsecond).

        It compares the objects, the detector's ``_state_version``, the exposure,
        kinematics and ``n_enu``, but does not recompute ``response_key`` (that of a frozen
        :class:`~cevns.detectors.base.Detector` cannot change without a new
        ``_state_version``; a duck-typed detector's is compared at every template request).
        """
        det, seen = self.detector, self._state_seen
        if seen is not None:
            (d, flux, ff), st = seen
            if (
                d is det
                and flux is self.flux
                and ff is self.form_factor
                and st[0] == getattr(det, "_state_version", None)
                and st[1] == det.exposure_kg_day
                and st[2] == self.kinematics
                and st[3] == self.n_enu
            ):
                return self._generation
        self._check_state()
        return self._generation

    def _grid_and_responses(self) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], ...]]:
        """Recoil nodes and the response matrix of each nucleus of the target."""
        self._check_state()
        if self._responses is None:
            det = self.detector
            nodes = np.asarray(det.recoil_grid(self.e_nr_max_kev), dtype=np.float64)
            per = getattr(det, "response_matrices", None)
            if callable(per):
                mats = tuple(np.asarray(m, dtype=np.float64) for m in per(nodes))
            else:
                resp = np.asarray(det.response_matrix(nodes), dtype=np.float64)
                mats = (resp,) * len(det.target.nuclei)
            if len(mats) != len(det.target.nuclei):
                msg = (
                    f"detector.response_matrices must return one matrix per nucleus "
                    f"({len(det.target.nuclei)}), got {len(mats)}"
                )
                raise InvalidParameterError(msg)
            for m in mats:
                if m.ndim != 2 or m.shape != (mats[0].shape[0], nodes.size):
                    msg = (
                        f"detector.response_matrix must return shape (n_bins, {nodes.size}), "
                        f"got {m.shape}"
                    )
                    raise InvalidParameterError(msg)
            self._nodes, self._responses = nodes, mats
        return self._nodes, self._responses  # type: ignore[return-value]

    @property
    def per_nucleus(self) -> bool:
        """Whether the detector folds the nuclei of the target with different responses."""
        _, mats = self._grid_and_responses()
        return any(m is not mats[0] for m in mats[1:])

    @property
    def n_bins(self) -> int:
        """Number of observed (energy) bins."""
        return int(self._grid_and_responses()[1][0].shape[0])

    # ---------------------------------------------------------------- templates
    def templates(self, mediator_mass_mev: float | None) -> Templates:
        """Templates at one mediator mass (``None`` = contact), built once and cached.

        Parameters
        ----------
        mediator_mass_mev : float or None
            Mediator mass [MeV]; None for a contact interaction.

        Returns
        -------
        Templates
            The quadratic-expansion templates.
        """
        return self._templates(mediator_mass_mev, vector_only=False)

    def _kernel_matrices(self) -> list[list[NDArray[np.float64]]]:
        """Folded kinematic kernels per nucleus and flavour, shape ``(n_nodes, 4)`` each.

        They depend on the flux, the nucleus and the recoil nodes but not on the mediator
        mass: computed once per state of the signal (the flux's tail integrals on
        ``n_enu`` energies included), reused at every mass.
        """
        cached = self.__dict__.get("_kernels")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        nodes, _ = self._grid_and_responses()
        tails = [_tails(self.flux, f, self.n_enu) for f in self.flavours]
        out = []
        for nucleus, _n_per_kg in self.detector.target:
            e_min = e_nu_min_mev(nodes, nucleus.mass_mev)
            row = []
            for tail in tails:
                kern = folded_kernels(tail(e_min), nodes, nucleus.mass_mev, self.kinematics)
                row.append(np.stack([kern[k] for k in KINEMATIC_TERMS], axis=1))  # (n, 4)
            out.append(row)
        self.__dict__["_kernels"] = out
        return out

    def _template_parts(
        self,
    ) -> list[tuple[NDArray[np.float64], list[tuple[NDArray[np.float64], NDArray[np.float64]]]]]:
        """What the templates need that the mediator mass does not change, per response.

        For each response matrix (shared by the isotopes of one element): its nuclei's
        momentum transfers ``q`` on the recoil nodes and the products of the kernels with
        the form-factor pairs, ``w[n, f, term, j] = pref K_f,term(n) P_j(n)`` for
        ``P = (Z F_Z Z F_Z, Z F_Z N F_N, N F_N N F_N)``. Computed once per state of the
        signal (with the kernels), so a new mass evaluates no form factor.
        """
        cached = self.__dict__.get("_tpl_parts")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        nodes, mats = self._grid_and_responses()
        kernels = self._kernel_matrices()
        scale = self.detector.exposure_kg_day * DAY_S
        groups: dict[int, tuple[NDArray[np.float64], list[Any]]] = {}
        for (nucleus, n_per_kg), resp, kmats in zip(
            self.detector.target, mats, kernels, strict=True
        ):
            h = basis_functions(nodes, nucleus, None, self.form_factor)  # Z F_Z, N F_N, ...
            fz, fn = h[:, 0], h[:, 1]
            pref = n_per_kg * prefactor_cm2_per_kev(nucleus.mass_mev) * scale
            pairs = np.stack([fz * fz, fz * fn, fn * fn], axis=-1) * pref  # (n, 3)
            k = np.stack(kmats, axis=1)  # (n, flavours, terms)
            w = k[:, :, :, None] * pairs[:, None, None, :]  # (n, flavours, terms, 3)
            q = momentum_transfer_mev(nodes, nucleus.mass_mev)
            groups.setdefault(id(resp), (resp, []))[1].append((q, w))
        out = list(groups.values())
        self.__dict__["_tpl_parts"] = out
        return out

    def _templates(self, mediator_mass_mev: float | None, *, vector_only: bool) -> Templates:
        """Templates; ``vector_only`` builds only the vector rows (the others are zero).

        A model without generalised (S/T) interactions weighs only the vector rows, a
        quarter of the work; a full set at the same mass serves both.

        The amplitude basis is ``h = (Z F_Z, N F_N, Z F_Z g, N F_N g)`` with the propagator
        ``g = M^2 / (q^2 + M^2)``, so a template row ``h_c h_d`` is a form-factor pair
        times ``g^k``, ``k = 0, 1, 2``: the ``g^0`` rows do not depend on the mass and are
        folded once, the others are two products with the responses at each mass.
        """
        if mediator_mass_mev is not None:
            mediator_mass_mev = check_positive("mediator_mass_mev", mediator_mass_mev)
        self._grid_and_responses()
        for key in ((mediator_mass_mev, False), (mediator_mass_mev, True))[
            : 2 if vector_only else 1
        ]:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        key = (mediator_mass_mev, vector_only)
        n_f = len(self.flavours)
        n_terms = 1 if vector_only else len(KINEMATIC_TERMS)
        parts = self._template_parts()
        n_b = parts[0][0].shape[0]
        folded = np.zeros((3, n_b, n_f, n_terms, 3))  # (g power, bin, flavour, term, pair)
        static = self.__dict__.setdefault("_tpl_static", {})
        for resp, nuclei in parts:
            # the g^0 rows: the same at every mass, folded once per response and terms
            f0 = static.get((id(resp), n_terms))
            if f0 is None:
                acc0 = sum(w[:, :, :n_terms] for _, w in nuclei)
                f0 = static[(id(resp), n_terms)] = np.tensordot(resp, acc0, axes=(1, 0))
            folded[0] += f0
            if mediator_mass_mev is None:  # contact: g = 1
                folded[1] += f0
                folded[2] += f0
                continue
            m2 = float(mediator_mass_mev) ** 2
            acc = np.zeros((2, *nuclei[0][1][:, :, :n_terms].shape))
            for q, w in nuclei:
                g = (m2 / (q * q + m2))[:, None, None, None]
                wg = w[:, :, :n_terms] * g
                acc[0] += wg
                acc[1] += wg * g
            folded[1:] += np.moveaxis(np.tensordot(resp, acc, axes=(1, 1)), 1, 0)
        # row (c, d) of the 4 x 4 amplitude products: pair of (c mod 2, d mod 2), power
        # c // 2 + d // 2
        rows = folded[_G_POWER, :, :, :, _PAIR]  # (16, bin, flavour, term)
        t = np.zeros((n_f, len(KINEMATIC_TERMS), 16, n_b))
        t[:, :n_terms] = rows.transpose(2, 3, 0, 1)
        tpl = Templates(mediator_mass_mev, self.flavours, t.reshape(-1, n_b), n_b)
        self._cache[key] = tpl
        if len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return tpl

    def _weights(self, model: NSIModel) -> NDArray[np.float64]:
        """Model weights aligned with the rows of :attr:`Templates.matrix` (per flavour)."""
        vector, ngi, rate = model.quadratic_forms()
        n_f = len(self.flavours)
        w = np.zeros((n_f, len(KINEMATIC_TERMS), 4, 4))
        w[:, 0] = vector[self._alpha]
        if model.has_ngi:
            w[:, 1] = ngi[0]
            w[:, 2] = ngi[1]
            sign = np.where(self._anti, 1.0, -1.0)
            w[:, 3] = sign[:, None, None] * ngi[2]
        w *= rate[self._alpha][:, None, None, None]
        return w.reshape(n_f, -1)

    def expected_counts_per_flavour(self, model: NSIModel) -> NDArray[np.float64]:
        """Counts per flavour and energy bin, shape ``(n_flavours, n_bins)`` (fast path).

        Parameters
        ----------
        model : NSIModel
            The physics model point.

        Returns
        -------
        ndarray
            Expected counts.
        """
        tpl = self._templates(model.mediator_mass_mev, vector_only=not model.has_ngi)
        w = self._weights(model)
        mat = tpl.matrix.reshape(len(self.flavours), -1, tpl.n_bins)
        out = np.asarray(np.einsum("fr,frb->fb", w, mat), dtype=np.float64)
        if getattr(model, "magnetic_moment_mub", None) is not None:  # incoherent, no templates
            out = out + magnetic_moment_counts(self, model)
        return out

    def expected_counts(self, model: NSIModel) -> NDArray[np.float64]:
        """Expected counts per observed bin (2D ``(energy, time)`` with ``timing``).

        Parameters
        ----------
        model : NSIModel
            The physics model point.

        Returns
        -------
        ndarray
            Expected counts.
        """
        per = self.expected_counts_per_flavour(model)
        if self.timing is None:
            return np.asarray(per.sum(axis=0), dtype=np.float64)
        return np.asarray(np.einsum("fb,ft->bt", per, self.timing), dtype=np.float64)

    # ---------------------------------------------------------------- reference path
    def expected_counts_direct(self, model: NSIModel) -> NDArray[np.float64]:
        """Same as :meth:`expected_counts` by direct integration at the model point.

        Parameters
        ----------
        model : NSIModel
            The physics model point.

        Returns
        -------
        ndarray
            Expected counts.
        """
        nodes, mats = self._grid_and_responses()
        target = self.detector.target
        if all(m is mats[0] for m in mats):
            parts = [(target, mats[0])]
        else:  # one recoil spectrum per nucleus, each folded with its own response
            parts = [
                (Target(n.name, (n,), (c,), target.molar_mass_g), m)
                for n, c, m in zip(target.nuclei, target.counts, mats, strict=True)
            ]
        counts = np.zeros((len(self.flavours), mats[0].shape[0]))
        for part, resp in parts:
            per = recoil_spectrum(
                self.flux,
                part,
                model,
                nodes,
                form_factor=self.form_factor,
                kinematics=self.kinematics,
                n_enu=self.n_enu,
                per_flavour=True,
            )
            if not isinstance(per, dict):  # pragma: no cover - per_flavour=True returns a dict
                msg = "recoil_spectrum(per_flavour=True) must return a dict"
                raise TypeError(msg)
            counts = counts + np.stack([resp @ per[f] for f in self.flavours])
        counts = counts * self.detector.exposure_kg_day
        if getattr(model, "magnetic_moment_mub", None) is not None:
            counts = counts + magnetic_moment_counts(self, model)
        if self.timing is None:
            return np.asarray(counts.sum(axis=0), dtype=np.float64)
        return np.asarray(np.einsum("fb,ft->bt", counts, self.timing), dtype=np.float64)
