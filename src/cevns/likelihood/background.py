"""Backgrounds: parametric (named parameters, limits, priors) and templates with a normalisation.

A background gives expected counts in the observed bins for a set of its own parameter
values. Parameter names are local (``n_epith``); an :class:`~cevns.likelihood.experiment.Experiment`
prefixes them with the experiment name (``dresden_ii.n_epith``).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.systematics import Morphing, ShapeSystematic
from cevns.physics.families import Parameter

__all__ = [
    "Background",
    "ExponentialBackground",
    "FlatBackground",
    "FunctionBackground",
    "GaussianLineBackground",
    "TemplateBackground",
]


def __dir__() -> list[str]:
    return __all__


def _tuple_getter(indices: Sequence[int]) -> Callable[[Any], tuple[float, ...]]:
    """``args -> tuple(args[i] for i in indices)`` at C speed (``operator.itemgetter``)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    if len(indices) == 1:
        i = indices[0]
        return lambda args: (args[i],)
    return lambda args: ()


class Background(abc.ABC):
    """Base class: subclasses define :attr:`parameters` and :meth:`_expected`."""

    name: str
    parameters: tuple[Parameter, ...]

    def expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Expected counts per bin for local parameter values (missing ones at defaults).

        Parameters
        ----------
        values : Mapping[str, float]
            Values of the background's parameters by local name; missing ones at their defaults.

        Returns
        -------
        ndarray
            Expected counts per bin.
        """
        full = {p.name: p.value for p in self.parameters}
        full.update(values)
        return self._expected(full)

    @abc.abstractmethod
    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]: ...

    def evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[[Sequence[float]], NDArray[np.float64]]:
        """A function ``args -> expected counts`` reading the parameters by position.

        The hot path of a cost (:class:`~cevns.likelihood.experiment.ExperimentCost`)
        calls it with Minuit's argument vector; subclasses may return a faster closure.

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.
        """
        pairs = tuple(positions)
        expected = self._expected

        def evaluate(args: Sequence[float]) -> NDArray[np.float64]:
            return expected({name: args[i] for name, i in pairs})

        return evaluate

    #: Local names of the parameters the expectation is linear in (profiled exactly by
    #: :class:`cevns.likelihood.profiled.ProfiledCost`); a subclass that declares them
    #: implements :meth:`linear_terms`.
    linear_parameters: tuple[str, ...] = ()
    #: ``linear_terms`` always returns a zero rest (the whole expectation is linear).
    linear_rest_is_zero: bool = False

    def linear_terms(
        self, values: Mapping[str, float]
    ) -> tuple[float | NDArray[np.float64], NDArray[np.float64]]:
        """The expectation split as ``rest + sum_k values[linear_k] * templates[k]``.

        Parameters
        ----------
        values : mapping
            Local parameter values (all of them; the linear ones are not read).

        Returns
        -------
        rest : float or ndarray
            The part that does not depend on :attr:`linear_parameters` (broadcastable to
            the bins).
        templates : ndarray
            Shape ``(len(linear_parameters), *bins)``: the expectation per unit of each.
        """
        if self.linear_parameters:
            msg = f"{type(self).__name__} declares linear_parameters but no linear_terms"
            raise NotImplementedError(msg)
        mu = self._expected(values)
        return mu, np.empty((0, *mu.shape))

    def linear_evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[
        [Sequence[float] | NDArray[np.float64]],
        tuple[float | NDArray[np.float64], NDArray[np.float64]],
    ]:
        """A function ``args -> linear_terms(values)`` reading the parameters by position.

        The hot path of :class:`~cevns.likelihood.profiled.ProfiledCost` calls it with the
        full argument vector; subclasses may return a faster closure. The arrays it
        returns are not modified by the caller (a subclass may return kept, read-only ones).

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.

        Returns
        -------
        callable
            Function of the argument vector returning ``(rest, templates)`` as
            :meth:`linear_terms`.
        """
        pairs = tuple(positions)
        terms = self.linear_terms

        def evaluate(
            args: Sequence[float] | NDArray[np.float64],
        ) -> tuple[float | NDArray[np.float64], NDArray[np.float64]]:
            return terms({name: float(args[i]) for name, i in pairs})

        return evaluate

    @property
    def has_jacobian(self) -> bool:
        """Whether :meth:`jacobian` gives the derivatives (False: costs fall back to numerical).

        Returns
        -------
        bool
            True when the subclass implements the analytic derivatives.
        """
        return False

    def jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Derivatives of the expectation in every parameter, analytic.

        The gradient of a cost (:meth:`~cevns.likelihood.experiment.ExperimentCost.grad`)
        is assembled from them; only available where :attr:`has_jacobian` is True.

        Parameters
        ----------
        values : mapping
            Values of every local parameter.

        Returns
        -------
        ndarray
            Shape ``(len(parameters), *bins)``: ``d expected / d parameter``, in the order of
            :attr:`parameters`.
        """
        msg = f"{type(self).__name__} {self.name!r} has no analytic jacobian"
        raise NotImplementedError(msg)

    @property
    def has_hessian(self) -> bool:
        """Whether :meth:`hessian` gives the second derivatives (False: none analytic).

        Returns
        -------
        bool
            True when the subclass implements them.
        """
        return False

    def hessian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Second derivatives of the expectation in every pair of parameters, analytic.

        The analytic Hessian of a cost
        (:meth:`~cevns.likelihood.experiment.ExperimentCost.analytic_hessian`) is assembled
        from them and :meth:`jacobian`; only available where :attr:`has_hessian` is True.

        Parameters
        ----------
        values : mapping
            Values of every local parameter.

        Returns
        -------
        ndarray
            Shape ``(len(parameters), len(parameters), *bins)``, symmetric in the first two
            axes: ``d^2 expected / d p_i d p_j``.
        """
        msg = f"{type(self).__name__} {self.name!r} has no analytic hessian"
        raise NotImplementedError(msg)

    def jacobian_and_hessian(
        self, values: Mapping[str, float]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """:meth:`jacobian` and :meth:`hessian` together (a subclass may share work).

        Parameters
        ----------
        values : mapping
            Values of every local parameter.

        Returns
        -------
        jacobian, hessian : ndarray
        """
        return self.jacobian(values), self.hessian(values)


class _ScaledShape(Background):
    """An expectation ``amplitude x shape(other parameters)``: linear in one parameter.

    Subclasses set :attr:`_amplitude` (the local name of the amplitude) and implement
    :meth:`_unit` (the expectation at amplitude 1); the expectation, the declared linear
    parameter and :meth:`linear_terms` follow from them.
    """

    _amplitude: str
    linear_rest_is_zero = True

    @abc.abstractmethod
    def _unit(self, values: Mapping[str, float]) -> NDArray[np.float64]: ...

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        return np.asarray(values[self._amplitude] * self._unit(values), dtype=np.float64)

    @property
    def linear_parameters(self) -> tuple[str, ...]:  # type: ignore[override]
        """The amplitude: ``<name>_norm``, ``_level``, ``_amplitude`` or ``_counts``."""
        return (self._amplitude,)

    def linear_terms(
        self, values: Mapping[str, float]
    ) -> tuple[float | NDArray[np.float64], NDArray[np.float64]]:
        """``(0, [expectation at amplitude 1])``.

        Parameters
        ----------
        values : Mapping[str, float]
            Parameter values by local name (the amplitude itself is not read).

        Returns
        -------
        rest : float
            Always 0.
        templates : ndarray of shape (1, *bins)
            The expectation per unit amplitude.
        """
        return 0.0, self._unit(values)[None]

    @property
    def has_jacobian(self) -> bool:
        """True: the amplitude's row is the unit shape, the others come from :meth:`_unit_jacobian`.

        Returns
        -------
        bool
            True unless a subclass says otherwise.
        """
        return True

    def _unit_jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """``d unit / d p`` for the parameters other than the amplitude, in order (none here)."""
        return np.empty((0, *np.shape(self._unit(values))))

    @property
    def has_hessian(self) -> bool:
        """True for an amplitude alone (no shape parameters): all second derivatives are 0.

        Returns
        -------
        bool
            True when the amplitude is the only parameter and :attr:`has_jacobian` holds.
        """
        return self.has_jacobian and len(self.parameters) == 1

    def hessian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """``d^2 expected / d A^2 = 0``: the expectation is linear in its one parameter.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every local parameter.

        Returns
        -------
        ndarray of shape (1, 1, *bins)
            Zeros.
        """
        if not self.has_hessian:
            return super().hessian(values)
        return np.zeros((1, 1, *np.shape(self._unit(values))))

    def jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """``d expected / d p``: the unit shape for the amplitude, ``A d unit/d p`` else.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every local parameter.

        Returns
        -------
        ndarray of shape (len(parameters), *bins)
            The derivatives, in the order of :attr:`parameters`.
        """
        if not self.has_jacobian:
            msg = f"{type(self).__name__} {self.name!r} has no analytic jacobian"
            raise NotImplementedError(msg)
        unit = np.asarray(self._unit(values), dtype=np.float64)
        others = self._unit_jacobian(values) * values[self._amplitude]
        if others.shape[0] != len(self.parameters) - 1:
            msg = (
                f"{type(self).__name__} {self.name!r}: {others.shape[0]} shape derivatives "
                f"for {len(self.parameters) - 1} shape parameters"
            )
            raise NotImplementedError(msg)
        out = np.empty((len(self.parameters), *unit.shape))
        k = 0
        for i, p in enumerate(self.parameters):
            if p.name == self._amplitude:
                out[i] = unit
            else:
                out[i] = others[k]
                k += 1
        return out


class FunctionBackground(Background):
    """Background from a user function ``f(bin_centres, **params) -> counts per bin``.

    Parameters
    ----------
    name : str
    function : callable
    centres : array or tuple of arrays
        Bin centres passed to the function (one array per axis).
    parameters : sequence of Parameter

    Examples
    --------
    >>> import numpy as np
    >>> from cevns.physics.families import Parameter
    >>> bkg = FunctionBackground("flat", lambda x, level: np.full_like(x, level),
    ...                          np.arange(3.0), [Parameter("level", 2.0, (0, 10))])
    >>> bkg.expected({"level": 3.0})
    array([3., 3., 3.])
    """

    def __init__(
        self,
        name: str,
        function: Callable[..., ArrayLike],
        centres: ArrayLike | tuple[ArrayLike, ...],
        parameters: Sequence[Parameter],
    ) -> None:
        self.name = name
        self.function = function
        self.centres = centres
        self.parameters = tuple(parameters)

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        args = self.centres if isinstance(self.centres, tuple) else (self.centres,)
        return np.asarray(self.function(*args, **values), dtype=np.float64)


class TemplateBackground(_ScaledShape):
    """A template scaled by a normalisation parameter, optionally with shape systematics.

    ``mu = norm * max(T_0 + sum_m c_m(alpha) (T_m - T_0), 0)`` with the interpolation of
    :mod:`cevns.likelihood.systematics`; without systematics ``mu = norm * T_0``.
    Parameters: ``<name>_norm`` and the nuisances of the systematics (their own names).

    Parameters
    ----------
    name : str
    template : array
        Expected counts per bin at normalisation 1, >= 0.
    norm_uncertainty : float, optional
        Relative prior width of the normalisation (e.g. 0.25 for the COHERENT prompt
        beam-related neutrons); ``None`` for an unconstrained normalisation.
    norm_limits : (float, float)
    fixed : bool
        Fix the normalisation by default.
    norm_prior : (mean, sigma), optional
        Gaussian prior of the normalisation with its start value ``mean`` (instead of
        ``norm_uncertainty``: e.g. a predicted count divided by the template sum).
    systematics : sequence of ShapeSystematic
        Shape variations of the template (variants are arrays of the template's shape).

    Examples
    --------
    >>> from cevns.likelihood.systematics import ShapeSystematic
    >>> bkg = TemplateBackground("b", [1.0, 3.0], norm_prior=(1.0, 0.1),
    ...                          systematics=[ShapeSystematic.updown("b_s", [2.0, 2.0])])
    >>> [p.name for p in bkg.parameters]
    ['b_norm', 'b_s']
    >>> bkg.expected({"b_s": -1.0}).tolist()
    [0.0, 4.0]
    """

    def __init__(
        self,
        name: str,
        template: ArrayLike,
        *,
        norm_uncertainty: float | None = None,
        norm_limits: tuple[float, float] = (0.0, 10.0),
        fixed: bool = False,
        norm_prior: tuple[float, float] | None = None,
        systematics: Sequence[ShapeSystematic] = (),
    ) -> None:
        self.name = name
        t = as_float_array(f"{name}: template", template)
        if np.any(t < 0):
            msg = f"{name}: template must be >= 0"
            raise InvalidParameterError(msg)
        self.template = t
        if norm_prior is not None and norm_uncertainty is not None:
            msg = f"{name}: give norm_uncertainty or norm_prior, not both"
            raise InvalidParameterError(msg)
        prior = None
        start = 1.0
        if norm_uncertainty is not None:
            prior = (1.0, check_positive(f"{name}: norm_uncertainty", norm_uncertainty))
        if norm_prior is not None:
            prior = (
                float(norm_prior[0]),
                check_positive(f"{name}: norm prior sigma", norm_prior[1]),
            )
            start = prior[0]
        step = prior[1] if prior else 0.1
        norm = Parameter(f"{name}_norm", start, norm_limits, step, prior=prior, fixed=fixed)
        self.morphing = Morphing(systematics)
        deltas = []
        for syst in self.morphing.systematics:
            for point, v in zip(syst.points, syst.variants, strict=True):
                where = f"{name}: shape variant {list(syst.names)} at {point}"
                arr = as_float_array(where, v)
                if arr.shape != t.shape:
                    msg = f"{where} has shape {arr.shape}, the template {t.shape}"
                    raise InvalidParameterError(msg)
                deltas.append(arr - t)
        self._deltas = np.array(deltas).reshape(len(deltas), *t.shape)
        self.parameters = (norm, *self.morphing.parameters)
        self._alpha_names = self.morphing.names
        self._amplitude = norm.name

    def evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[[Sequence[float]], NDArray[np.float64]]:
        """``args -> norm x (morphed) template`` without building a mapping.

        Parameters
        ----------
        positions : sequence of (str, int)
            Local parameter name and its index in the argument vector of the cost.

        Returns
        -------
        callable
            Function of the argument vector returning the expected counts per bin.
        """
        where = dict(positions)
        i_norm = where[f"{self.name}_norm"]
        template = self.template
        if not self._alpha_names:
            return lambda args: args[i_norm] * template
        i_alpha = [where[n] for n in self._alpha_names]
        get_alpha = _tuple_getter(i_alpha)
        morph, deltas = self.morphing.apply_deltas, self._deltas
        # the morphed template of the last nuisance values: most Minuit calls move another
        # parameter (a normalisation, the signal), and then it is the same array
        last: list[Any] = [None, None]

        def evaluate(args: Sequence[float]) -> NDArray[np.float64]:
            key = get_alpha(args)
            if key != last[0]:
                last[1] = morph(template, deltas, np.array(key, dtype=np.float64))
                last[0] = key
            return args[i_norm] * last[1]  # type: ignore[no-any-return]

        return evaluate

    @property
    def has_jacobian(self) -> bool:
        """Only without shape systematics (the morphing has no analytic derivative).

        Returns
        -------
        bool
            True for a template without shape systematics.
        """
        return not self._alpha_names

    def _unit(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        if not self._alpha_names:
            return self.template
        alpha = np.array([values[n] for n in self._alpha_names])
        return self.morphing.apply_deltas(self.template, self._deltas, alpha)


# ---------------------------------------------------------------------- parametric shapes
def _bin_edges(edges_kev: ArrayLike, name: str) -> NDArray[np.float64]:
    e = as_float_array(f"{name}: edges", edges_kev)
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        msg = f"{name}: bin edges must be a 1-D increasing array of >= 2 values, got {e!r}"
        raise InvalidParameterError(msg)
    return e


class _IntegratedShape(_ScaledShape):
    """A rate per unit of the observable, integrated analytically over each bin."""

    def __init__(self, name: str, edges: ArrayLike, parameters: Sequence[Parameter]) -> None:
        self.name = name
        self.edges = _bin_edges(edges, name)
        self.parameters = tuple(parameters)


class FlatBackground(_IntegratedShape):
    """A constant rate ``level`` per unit of the observable: counts = level x bin width.

    Parameters
    ----------
    name : str
    edges : array
        Observed bin edges (e.g. keVee).
    level : Parameter
        Start value, limits and optional prior of the rate per unit observable; its name
        is replaced by ``<name>_level``.

    Examples
    --------
    >>> bkg = FlatBackground("flat", [0.0, 1.0, 3.0], Parameter("level", 2.0, (0, 10)))
    >>> bkg.expected({})
    array([2., 4.])
    """

    def __init__(self, name: str, edges: ArrayLike, level: Parameter) -> None:
        super().__init__(name, edges, [level.replace(name=f"{name}_level")])
        self._width = np.diff(self.edges)
        self._amplitude = f"{name}_level"

    def _unit(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        return self._width


class ExponentialBackground(_IntegratedShape):
    """``amplitude exp(-(x - x0) / decay)`` per unit observable, integrated over each bin.

    Parameters
    ----------
    name : str
    edges : array
        Observed bin edges.
    amplitude, decay : Parameter
        Rate per unit observable at ``x0`` and the decay length (same unit as the edges,
        limits must keep it > 0); renamed ``<name>_amplitude`` and ``<name>_decay``.
    reference : float
        ``x0``, by default the lowest edge.

    Examples
    --------
    >>> import math
    >>> bkg = ExponentialBackground("exp", [0.0, 1.0], Parameter("a", 1.0, (0, 5)),
    ...                             Parameter("d", 1.0, (0.1, 5)))
    >>> round(float(bkg.expected({})[0]), 12) == round(1 - math.exp(-1), 12)
    True
    """

    def __init__(
        self,
        name: str,
        edges: ArrayLike,
        amplitude: Parameter,
        decay: Parameter,
        reference: float | None = None,
    ) -> None:
        if decay.limits[0] <= 0:
            msg = f"{name}: the decay length must have limits > 0, got {decay.limits}"
            raise InvalidParameterError(msg)
        super().__init__(
            name,
            edges,
            [amplitude.replace(name=f"{name}_amplitude"), decay.replace(name=f"{name}_decay")],
        )
        self.reference = float(self.edges[0] if reference is None else reference)
        self._amplitude = f"{name}_amplitude"

    def _unit(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        d = values[f"{self.name}_decay"]
        x = np.exp(-(self.edges - self.reference) / d)
        return np.asarray(d * (x[:-1] - x[1:]), dtype=np.float64)

    def _unit_jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        # d/dd [d (x_lo - x_hi)] with dx/dd = x (e - x0) / d^2
        d = values[f"{self.name}_decay"]
        u = self.edges - self.reference
        x = np.exp(-u / d)
        dx = x * u / (d * d)
        return np.asarray([(x[:-1] - x[1:]) + d * (dx[:-1] - dx[1:])], dtype=np.float64)


class GaussianLineBackground(_IntegratedShape):
    """A Gaussian line of ``counts`` events at ``mean`` with width ``sigma``, per bin.

    The expected counts in a bin are ``counts x [Phi((hi - mean)/sigma) -
    Phi((lo - mean)/sigma)]`` (the line's area, not its height, is the parameter).

    Parameters
    ----------
    name : str
    edges : array
    counts, mean, sigma : Parameter
        Renamed ``<name>_counts``, ``<name>_mean``, ``<name>_sigma``; sigma's limits > 0.

    Examples
    --------
    >>> bkg = GaussianLineBackground("line", [-10.0, 0.0, 10.0],
    ...     Parameter("n", 10.0, (0, 100)), Parameter("m", 0.0, (-1, 1)),
    ...     Parameter("s", 1.0, (0.1, 2)))
    >>> bkg.expected({}).round(12)
    array([5., 5.])
    """

    def __init__(
        self,
        name: str,
        edges: ArrayLike,
        counts: Parameter,
        mean: Parameter,
        sigma: Parameter,
    ) -> None:
        if sigma.limits[0] <= 0:
            msg = f"{name}: the line width sigma must have limits > 0, got {sigma.limits}"
            raise InvalidParameterError(msg)
        super().__init__(
            name,
            edges,
            [
                counts.replace(name=f"{name}_counts"),
                mean.replace(name=f"{name}_mean"),
                sigma.replace(name=f"{name}_sigma"),
            ],
        )
        self._amplitude = f"{name}_counts"

    def _unit(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        from scipy.special import ndtr

        cdf = ndtr((self.edges - values[f"{self.name}_mean"]) / values[f"{self.name}_sigma"])
        return np.asarray(np.diff(cdf), dtype=np.float64)

    def _unit_jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        # dPhi(z)/d mean = -phi(z)/sigma, dPhi(z)/d sigma = -phi(z) z/sigma, z = (e - mean)/sigma
        s = values[f"{self.name}_sigma"]
        z = (self.edges - values[f"{self.name}_mean"]) / s
        phi = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return np.asarray([np.diff(-phi / s), np.diff(-phi * z / s)], dtype=np.float64)
