"""Exact quadratic expansion of expected counts in a model family's linear parameters.

At fixed mediator mass the CEvNS amplitude is affine in every *linear* parameter of a
:class:`~cevns.physics.families.ModelFamily` (couplings, sin^2(theta_W), x, g_nu g_q), so the counts
per flavour and bin are an exact quadratic polynomial::

    counts_f(p) = q^T M_f q,      q = (1, p_1, ..., p_P)

The coefficients ``M_f`` are identified once per mass from ``1 + 2P + P(P-1)/2``
evaluations of :meth:`cevns.likelihood.signal.Signal.expected_counts_per_flavour` (exact for a
quadratic up to rounding; steps are adapted so the identified terms are well conditioned)
and checked against a direct evaluation at an interior point. A likelihood evaluation is
then ``outer(q, q) @ M``: a few microseconds. Non-unitarity multiplies each flavour by
:meth:`~cevns.physics.families.ModelFamily.rate_factors`.

With a light mediator the counts are the model's weights times the signal's templates at
the mass (``counts_f = w_f(p) . T_f(M)``, :meth:`Signal.expected_counts_per_flavour`), and
the weights are quadratic in ``p`` too, ``w_f(p) = q^T A_f q``. Where the weights do not
depend on the mass (the couplings of every shipped family), ``A`` is identified once, from
the weights alone, and the coefficients at a new mass are one product ``A_f T_f(M)``
instead of ``1 + 2P + P(P-1)/2`` evaluations. The direct evaluation at an interior point
still checks them at every mass; a family whose weights move with the mass fails it there
and is identified from the counts at each mass, as above.
"""

from __future__ import annotations

import threading
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core.exceptions import FitError
from cevns.likelihood.signal import Signal
from cevns.physics.families import ModelFamily

__all__ = ["QuadraticExpansion"]


def __dir__() -> list[str]:
    return __all__


#: Relative agreement required between the expansion and a direct evaluation.
SELF_CHECK_RTOL = 1e-8

# The expansions of QuadraticExpansion.shared, per signal and family key
_SHARED: weakref.WeakKeyDictionary[Signal, dict[Hashable, QuadraticExpansion]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_LOCK = threading.Lock()


def _family_key(family: ModelFamily) -> Hashable | None:
    """What makes two families the same model (None if it cannot be told: no sharing)."""
    build = family.builder
    code = getattr(build, "__code__", None)
    if not isinstance(build, types.FunctionType) or code is None:
        return None
    try:
        cells = tuple(c.cell_contents for c in build.__closure__ or ())
        kwdefaults = tuple(sorted((build.__kwdefaults__ or {}).items()))
        key = (
            family.name,
            family.parameters,
            family.description,
            code,
            id(build.__globals__),
            build.__defaults__,
            kwdefaults,
            cells,
        )
        hash(key)
    except (TypeError, ValueError):  # an unhashable (or empty) closure value
        return None
    return key


#: ``point -> array (n_flavours, n)``: what the expansion identifies a quadratic of
Evaluate = Callable[[Mapping[str, float]], NDArray[np.float64]]


def _plain_signal(signal: Signal) -> bool:
    """Whether ``signal`` computes its counts as :class:`Signal` does: weights x templates."""
    cls = type(signal)
    return all(
        getattr(cls, name) is getattr(Signal, name)
        for name in ("expected_counts_per_flavour", "_weights", "_templates")
    )


class QuadraticExpansion:
    """Counts of a ``Signal`` as a polynomial in a family's linear parameters.

    Parameters
    ----------
    signal : Signal
    family : ModelFamily
    max_cached_masses : int
        Number of mediator masses whose coefficients are kept.
    """

    def __init__(
        self, signal: Signal, family: ModelFamily, *, max_cached_masses: int = 256
    ) -> None:
        self.signal = signal
        self.family = family
        self.linear: tuple[str, ...] = family.linear_names
        self._rate = bool(family.rate_names)
        self._cache: OrderedDict[float | None, NDArray[np.float64]] = OrderedDict()
        self._summed: OrderedDict[float | None, NDArray[np.float64]] = OrderedDict()
        self._max = int(max_cached_masses)
        self._alpha = signal._alpha  # lepton index of each flavour
        self._generation = signal.template_generation
        # the weights' polynomial (A, steps, vector rows only), identified once; None before,
        # False where it does not apply (module notes)
        self._weight_poly: tuple[NDArray[np.float64], list[float], bool] | bool | None = (
            None if family.has_mediator_mass and _plain_signal(signal) else False
        )

    @classmethod
    def shared(cls, signal: Signal, family: ModelFamily) -> QuadraticExpansion:
        """The expansion of ``signal`` in ``family`` that every cost built on them shares.

        The coefficients depend only on the signal (its templates, followed by
        :meth:`_sync`) and the family, so two costs of one experiment and one model (a
        fit and a scan of it, an experiment alone and in a combination) identify the
        coefficients at a mass once, not once per cost. Families match when they are the
        same model: equal name, parameters (values, limits, steps) and description, and a
        builder with the same code, defaults and closure values (a model loaded twice by
        name has two equal closures). A family that cannot be keyed so (a builder that is
        not a plain function, an unhashable closure value) gets an expansion of its own.

        Parameters
        ----------
        signal : Signal
        family : ModelFamily

        Returns
        -------
        QuadraticExpansion
            The expansion kept for this signal and family (created on the first call).
        """
        key = _family_key(family)
        if key is None:
            return cls(signal, family)
        with _SHARED_LOCK:
            per = _SHARED.setdefault(signal, {})
            expansion = per.get(key)
            if expansion is None:
                expansion = per[key] = cls(signal, family)
        return expansion

    def _sync(self, quick: bool = False) -> None:
        """Drop the coefficients if the signal's response or templates were rebuilt."""
        signal = self.signal
        generation = signal._quick_generation() if quick else signal.template_generation
        if generation != self._generation:
            self._cache.clear()
            self._summed.clear()
            self._generation = generation
            if self._weight_poly is not False:
                self._weight_poly = None

    # ---------------------------------------------------------------- building
    def _mass_of(self, values: Mapping[str, float]) -> float | None:
        if self.family.has_mediator_mass:
            return float(
                values.get("mediator_mass_mev", self.family.parameter("mediator_mass_mev").value)
            )
        return None

    def _model(self, mass: float | None, point: Mapping[str, float]) -> Any:
        vals = self.family.defaults()
        vals.update(point)
        for a in self.family.rate_names:  # unitary here; rate factors are applied outside
            vals[a] = 1.0 if a == "alpha11" else 0.0
        if mass is not None:
            vals["mediator_mass_mev"] = mass
        return self.family.build(vals)

    def _eval(self, mass: float | None, point: Mapping[str, float]) -> NDArray[np.float64]:
        return self.signal.expected_counts_per_flavour(self._model(mass, point))

    def _step(
        self, evaluate: Evaluate, name: str, f0: NDArray[np.float64]
    ) -> tuple[float, bool, NDArray[np.float64] | None]:
        """The step of ``name``, whether ``-step`` is allowed, and the value at ``step``.

        The value at the step is that of the growth loop's last evaluation when the
        loop ended there (``None`` otherwise): the same evaluation, not repeated.
        """
        par = self.family.parameter(name)
        lo, hi = par.limits
        zero = dict.fromkeys(self.linear, 0.0)
        scale = max(float(np.max(np.abs(f0))), 1e-300)
        h = par.step
        at_h: NDArray[np.float64] | None = None
        for _ in range(40):  # grow until the change is O(10%) of the values
            if 2 * h > hi:
                break
            f = evaluate(zero | {name: h})
            d = np.max(np.abs(f - f0))
            if d > 0.1 * scale:
                at_h = f
                break
            h *= 4.0
        # the loop stops at h <= hi / 2 when it breaks on the change: at_h is the step's
        if hi < np.inf and h > hi / 2:
            h, at_h = hi / 2, None
        symmetric = lo <= -h
        return h, symmetric, at_h

    def _identify(self, evaluate: Evaluate) -> tuple[NDArray[np.float64], list[float]]:
        """``(M, steps)``: the quadratic in :attr:`linear` of ``evaluate`` (module notes).

        ``evaluate(point)`` gives an array ``(n_flavours, n)`` (counts per bin, or weights
        per template row); ``M`` has shape ``(n_flavours, (P+1)^2, n)``.
        """
        names = self.linear
        p = len(names)
        zero = dict.fromkeys(names, 0.0)
        f0 = evaluate(zero)
        n_f, n_b = f0.shape
        m = np.zeros((n_f, p + 1, p + 1, n_b))
        m[:, 0, 0] = f0
        steps: list[float] = []
        diag: list[NDArray[np.float64]] = []
        lin: list[NDArray[np.float64]] = []
        for i, name in enumerate(names):
            h, symmetric, at_h = self._step(evaluate, name, f0)
            steps.append(h)
            f1 = evaluate(zero | {name: h}) if at_h is None else at_h
            if symmetric:
                fm = evaluate(zero | {name: -h})
                b = (f1 - fm) / (2 * h)
                c = (f1 + fm - 2 * f0) / (2 * h * h)
            else:
                f2 = evaluate(zero | {name: 2 * h})
                b = (4 * f1 - f2 - 3 * f0) / (2 * h)
                c = (f2 - 2 * f1 + f0) / (2 * h * h)
            lin.append(b)
            diag.append(c)
            m[:, 0, i + 1] = m[:, i + 1, 0] = b / 2
            m[:, i + 1, i + 1] = c
        for i in range(p):
            for j in range(i + 1, p):
                hi_, hj = steps[i], steps[j]
                fij = evaluate(zero | {names[i]: hi_, names[j]: hj})
                rest = f0 + lin[i] * hi_ + lin[j] * hj + diag[i] * hi_**2 + diag[j] * hj**2
                cij = (fij - rest) / (2 * hi_ * hj)
                m[:, i + 1, j + 1] = m[:, j + 1, i + 1] = cij
        return m.reshape(n_f, (p + 1) ** 2, n_b), steps

    def _from_weights(self, mass: float | None) -> NDArray[np.float64] | None:
        """The coefficients at ``mass`` from the weights' polynomial, checked; None if not.

        The polynomial is identified at the first mass asked for. A mass where the check
        fails (weights that depend on the mass) turns the path off for this expansion.
        """
        if self._weight_poly is False:
            return None
        signal = self.signal
        if self._weight_poly is None:
            models: list[Any] = []

            def weights(point: Mapping[str, float]) -> NDArray[np.float64]:
                model = self._model(mass, point)
                models.append(model)
                return signal._weights(model)

            a, steps = self._identify(weights)
            if any(getattr(m, "magnetic_moment_mub", None) is not None for m in models):
                self._weight_poly = False  # counts outside the templates (module notes)
                return None
            n_f = a.shape[0]
            vector = not np.any(a.reshape(n_f, a.shape[1], -1, 16)[:, :, 1:])
            self._weight_poly = (a, steps, vector)
        assert not isinstance(self._weight_poly, bool)
        a, steps, vector = self._weight_poly
        tpl = signal._templates(mass, vector_only=vector)
        mat = tpl.matrix.reshape(a.shape[0], a.shape[2], tpl.n_bins)
        flat = np.einsum("fkr,frb->fkb", a, mat)
        try:
            self._self_check(mass, flat, steps)
        except FitError:
            self._weight_poly = False
            return None
        return np.ascontiguousarray(flat)

    def coefficients(self, mediator_mass_mev: float | None) -> NDArray[np.float64]:
        """``M`` of shape ``(n_flavours, (P+1)^2, n_bins)`` at one mediator mass (cached).

        Parameters
        ----------
        mediator_mass_mev : float or None
            Mediator mass [MeV]; None for a contact interaction.

        Returns
        -------
        ndarray of shape (n_flavours, (P+1)^2, n_bins)
            Quadratic coefficients in the ``P`` linear parameters, per flavour and bin.
        """
        self._sync(quick=True)
        key = mediator_mass_mev
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        self._sync()  # the full check before building on the signal's templates
        flat = self._from_weights(key)
        if flat is None:
            flat, steps = self._identify(lambda point: self._eval(key, point))
            self._self_check(key, flat, steps)
        self._cache[key] = flat
        if len(self._cache) > self._max:
            old, _ = self._cache.popitem(last=False)
            self._summed.pop(old, None)
        return flat

    def _self_check(self, mass: float | None, m: NDArray[np.float64], steps: list[float]) -> None:
        rng = np.random.default_rng(12345)
        point = {
            n: float(h * rng.uniform(0.1, 0.9)) for n, h in zip(self.linear, steps, strict=True)
        }
        direct = self._eval(mass, point)
        q = np.concatenate([[1.0], [point[n] for n in self.linear]])
        approx = np.einsum("k,fkb->fb", np.outer(q, q).ravel(), m)
        scale = np.max(np.abs(direct))
        if scale > 0 and np.max(np.abs(approx - direct)) > SELF_CHECK_RTOL * scale:
            err = np.max(np.abs(approx - direct)) / scale
            msg = (
                f"quadratic expansion of model {self.family.name!r} at mediator mass {mass} "
                f"deviates from direct evaluation by {err:.2e} (relative); the family is not "
                "affine in its linear parameters"
            )
            raise FitError(msg)

    # ---------------------------------------------------------------- evaluation
    def _q(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        q = np.empty(len(self.linear) + 1)
        q[0] = 1.0
        for i, n in enumerate(self.linear):
            q[i + 1] = values[n]
        return np.outer(q, q).ravel()

    def per_flavour(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Counts per flavour and energy bin, shape ``(n_flavours, n_bins)``.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of the model's parameters (public names).

        Returns
        -------
        ndarray of shape (n_flavours, n_bins)
            Expected counts, rate factors included.
        """
        m = self.coefficients(self._mass_of(values))
        per = np.asarray(np.einsum("k,fkb->fb", self._q(values), m), dtype=np.float64)
        if self._rate:
            per *= self.family.rate_factors(values)[self._alpha][:, None]
        return per

    def observed_coefficients(self, mediator_mass_mev: float | None) -> NDArray[np.float64]:
        """Coefficients summed over flavours (and folded with the timing), cached per mass.

        Shape ``((P+1)^2, n_observed)`` where ``n_observed`` is the number of observed bins
        (energy bins times time bins with timing): the counts at a point are
        ``outer(q, q).ravel() @ observed_coefficients(mass)``. Not available with rate
        factors (non-unitarity multiplies each flavour by a parameter-dependent factor).

        Parameters
        ----------
        mediator_mass_mev : float or None
            Mediator mass [MeV]; None for a contact interaction.

        Returns
        -------
        ndarray of shape ((P+1)^2, n_observed)
            Coefficients summed over flavours (time fractions folded in).
        """
        if self._rate:
            msg = f"model {self.family.name!r} has rate factors: use per_flavour()"
            raise FitError(msg)
        self._sync(quick=True)
        summed = self._summed.get(mediator_mass_mev)
        if summed is None:
            m = self.coefficients(mediator_mass_mev)
            timing = self.signal.timing
            if timing is None:
                summed = m.sum(axis=0)
            else:  # fold the flavours' time fractions in once: (k, b, t) -> (k, b * t)
                summed = np.einsum("fkb,ft->kbt", m, timing).reshape(m.shape[1], -1)
            summed = np.ascontiguousarray(summed)
            self._summed[mediator_mass_mev] = summed
        return summed

    def evaluate(
        self, linear_values: NDArray[np.float64], mediator_mass_mev: float | None
    ) -> NDArray[np.float64]:
        """Counts per observed bin (flattened) from the linear parameters in :attr:`linear` order.

        The hot path of a cost: no mapping is built. ``linear_values`` is a 1-D array.

        Parameters
        ----------
        linear_values : ndarray
            Values of the linear parameters, 1-D, in :attr:`linear` order.
        mediator_mass_mev : float or None
            Mediator mass [MeV]; None for a contact interaction.

        Returns
        -------
        ndarray
            Expected counts per observed bin (flattened).
        """
        q = np.empty(len(linear_values) + 1)
        q[0] = 1.0
        q[1:] = linear_values
        return (q[:, None] * q[None, :]).ravel() @ self.observed_coefficients(mediator_mass_mev)

    def evaluate_jacobian(
        self, linear_values: NDArray[np.float64], mediator_mass_mev: float | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Counts per observed bin and their derivatives in the linear parameters.

        With ``counts = q^T M q`` (``M`` symmetric in its two ``q`` indices),
        ``d counts / d p_i = 2 (M q)_i`` for ``q = (1, p)``: exact, like the expansion.

        Parameters
        ----------
        linear_values : ndarray
            Values of the linear parameters, 1-D, in :attr:`linear` order.
        mediator_mass_mev : float or None
            Mediator mass [MeV]; None for a contact interaction.

        Returns
        -------
        counts : ndarray
            Expected counts per observed bin (flattened), as :meth:`evaluate`.
        jacobian : ndarray
            Shape ``(len(linear), n_observed)``: ``d counts / d linear_i``.
        """
        c = self.observed_coefficients(mediator_mass_mev)
        k = len(linear_values) + 1
        q = np.empty(k)
        q[0] = 1.0
        q[1:] = linear_values
        mq = np.tensordot(q, c.reshape(k, k, -1), axes=(0, 1))  # (k, n): (M q)_i per bin
        return q @ mq, 2.0 * mq[1:]

    def __call__(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Expected counts per observed bin (2D with timing) at ``values``."""
        timing = self.signal.timing
        if self._rate:
            per = self.per_flavour(values)
            out = per.sum(axis=0) if timing is None else np.einsum("fb,ft->bt", per, timing)
            return np.asarray(out, dtype=np.float64)
        flat = self._q(values) @ self.observed_coefficients(self._mass_of(values))
        return flat if timing is None else flat.reshape(-1, timing.shape[1])
