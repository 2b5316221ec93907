"""Detectors: target, exposure and the response from nuclear recoil to observed bins.

:class:`Detector` is a template-method base class. Its public methods validate input and
are never overridden; subclasses implement small hooks:

* ``_quench(e_nr_kev)``: the true observable (E_ee [keVee] for ionisation and scintillation
  detectors) of a recoil;
* ``_smear(true, edges)``: the ``(n_bins, n_true)`` probabilities to reconstruct each true
  value in each observed bin (integrated over the bin);
* optionally ``_efficiency(edges)`` (per-bin factor), ``_min_recoil_kev()``,
  ``_max_recoil_kev()`` and ``_response_key()`` (the settings that change the response).

Per-nucleus response
--------------------
A multi-element target (NaI, CaWO4) quenches each element differently. The response is
then built per nucleus of the :class:`~cevns.physics.nuclei.Target` and
:class:`~cevns.likelihood.signal.Signal` folds each nucleus's recoil rate with its own
matrix. The hooks ``_quench_nucleus(e_nr_kev, nucleus)``,
``_smear_nucleus(true, edges, nucleus)``, ``_efficiency_nucleus(edges, nucleus)`` and
``_min_recoil_nucleus_kev(nucleus)`` default to the hooks above, so a detector with one
response for every nucleus is written (and computes) exactly as before. A subclass that
overrides any of them gets one response per nucleus; ``_response_group(nucleus)`` may
return a coarser label (e.g. the element symbol) so that nuclei sharing a response share
one matrix. :class:`IonizationDetector` and :class:`ScintillatorDetector` accept a mapping
``{"Na": quenching, "I": quenching}`` (element symbols or isotope names) instead of one
quenching model. In a per-nucleus detector the recoil nodes start at the lowest threshold
of all nuclei and the response of each nucleus is zero below its own threshold.

The response is a matrix ``R`` from recoil-energy nodes to observed bins such that the
expected counts are ``exposure_kg_day * R @ dR/dE_nr(nodes)`` with dR/dE_nr in events /
(kg day keVnr): it includes the quadrature weights of the recoil integral. The nodes are
log-spaced from the lowest recoil that can produce a signal to the kinematic maximum; with
the default 1500 nodes the Dresden-II bin counts change by less than 1e-4 when the number
of nodes is doubled (tested). A subclass that forgets ``super().__init__`` raises
:class:`~cevns.core.exceptions.NotInitializedError` when it is constructed.

Detectors are immutable once constructed: setting an attribute raises
:class:`~cevns.core.exceptions.FrozenError`. :meth:`Detector.replace` (and
:meth:`Detector.with_exposure`) build a modified copy by calling the constructor again with
the arguments it was given, changed where asked. Caches (the response matrices here, the
templates of :class:`~cevns.likelihood.signal.Signal`) are keyed on everything that
changes them: :attr:`Detector.response_key` holds the class, nodes, binning, target nuclei,
their grouping and ``_response_key()``; ``Signal`` adds the exposure.

Examples
--------
A user detector is a few lines:

>>> from cevns.detectors.base import Detector
>>> from cevns.detectors.resolution import GaussianResolution
>>> from cevns.physics.nuclei import Nucleus, Target
>>> class MyGe(Detector):
...     def _quench(self, e_nr_kev):
...         return 0.2 * e_nr_kev
...     def _smear(self, true, edges):
...         return GaussianResolution(sigma_n_kev=0.05).bin_probabilities(true, edges)
>>> det = MyGe("my_ge", Target.element("Ge"), mass_kg=1.0, live_days=10.0,
...            bin_edges=[0.2, 0.3, 0.4])
>>> det.exposure_kg_day
10.0
>>> det.with_exposure(live_days=20.0).exposure_kg_day
20.0

A NaI crystal whose sodium and iodine recoils quench differently:

>>> from cevns.detectors.quenching import ConstantQuenching
>>> nai = IonizationDetector("nai", Target.compound("NaI"),
...     quenching={"Na": ConstantQuenching(0.3), "I": ConstantQuenching(0.09)},
...     resolution=GaussianResolution(sigma_n_kev=0.2, eta_kev=0.0, fano=0.0),
...     mass_kg=1.0, live_days=1.0, bin_edges=[1.0, 2.0, 3.0])
>>> nai.per_nucleus, [n.name for n, in nai.response_groups]
(True, ['Na23', 'I127'])
"""

from __future__ import annotations

import abc
import hashlib
import inspect
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, Self, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, check_positive
from cevns.core.exceptions import FrozenError, InvalidParameterError, NotInitializedError
from cevns.detectors.efficiency import UnitEfficiency, check_efficiency
from cevns.detectors.quenching import (
    Quenching,
)
from cevns.detectors.resolution import (
    PoissonPE,
    Resolution,
)
from cevns.physics.nuclei import Nucleus, Target

__all__ = [
    "Detector",
    "IonizationDetector",
    "ScintillatorDetector",
]


def __dir__() -> list[str]:
    return __all__


#: Default number of recoil-energy nodes.
DEFAULT_NODES = 1500
#: Bounds on the number of recoil-energy nodes (a detector refuses others when built).
MIN_NODES, MAX_NODES = 50, 50_000


#: How far above 1 the bin probabilities of one recoil may sum (quadrature rounding).
PROBABILITY_TOLERANCE = 1e-6


def _check_probabilities(
    det: Detector, probs: NDArray[np.float64], nodes: NDArray[np.float64]
) -> None:
    """Smearing probabilities lie in [0, 1] and sum to at most 1 per recoil."""
    bad = ~np.isfinite(probs) | (probs < 0) | (probs > 1 + PROBABILITY_TOLERANCE)
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        msg = (
            f"{det.name}: smearing probabilities must lie in [0, 1]; {type(det).__name__} "
            f"gives {float(probs[i, j])!r} in bin {i} for a recoil of {float(nodes[j]):.6g} keVnr"
        )
        raise InvalidParameterError(msg)
    sums = probs.sum(axis=0)
    if np.any(sums > 1 + PROBABILITY_TOLERANCE):
        j = int(np.argmax(sums))
        msg = (
            f"{det.name}: a recoil is observed in at most one bin, but the smearing "
            f"probabilities of the recoil at {float(nodes[j]):.6g} keVnr sum to "
            f"{float(sums[j]):.6g} > 1 ({type(det).__name__})"
        )
        raise InvalidParameterError(msg)


def _component_key(owner: Any, *components: Any) -> tuple[Any, ...]:
    """Key of response components (their full repr and scale), computed once per object.

    ``Signal`` asks for the response key at every evaluation; the reprs of tabulated curves
    are long, so they are cached on ``owner`` for as long as the same objects are in use.
    """
    ids = tuple(id(c) for c in components)
    cached = owner.__dict__.get("_component_key_cache")
    if cached is None or cached[0] != ids:
        key = tuple(x for c in components for x in (repr(c), getattr(c, "scale", 1.0)))
        cached = (ids, key, components)  # holding the objects keeps their ids unique
        owner.__dict__["_component_key_cache"] = cached
    return cached[1]  # type: ignore[no-any-return]


#: The per-nucleus hooks; a subclass overriding any of them has one response per nucleus.
_NUCLEUS_HOOKS = (
    "_quench_nucleus",
    "_smear_nucleus",
    "_efficiency_nucleus",
    "_min_recoil_nucleus_kev",
)

_T = TypeVar("_T")


class _DetectorMeta(abc.ABCMeta):
    """Checks that ``Detector.__init__`` ran, records the arguments, then freezes."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        obj = super().__call__(*args, **kwargs)
        if not obj.__dict__.get("_detector_initialized", False):
            owner = next(k for k in cls.__mro__ if "__init__" in k.__dict__)
            msg = (
                f"{owner.__name__}.__init__ did not call Detector.__init__: "
                f"add super().__init__(name, target, mass_kg=..., live_days=..., bin_edges=...)"
            )
            raise NotInitializedError(msg)
        obj.__dict__["_init_arguments"] = (args, dict(kwargs))
        obj.__dict__["_state_version"] = 0  # bumped by the attributes a class lets change
        obj.__dict__["_frozen"] = True
        return obj


class Detector(abc.ABC, metaclass=_DetectorMeta):
    """Base class of detectors (see the module notes for the extension hooks).

    Instances are immutable after construction (:class:`~cevns.core.exceptions.FrozenError`
    on assignment); use :meth:`replace` or :meth:`with_exposure` for modified copies.

    Parameters
    ----------
    name : str
    target : Target
    mass_kg : float
        Active mass [kg].
    live_days : float
        Live time [days]; ``exposure_kg_day = mass_kg * live_days``.
    bin_edges : array
        Observed bin edges (strictly increasing) in the observable's unit.
    observable : str
        Label of the observable (``"keVee"``, ``"PE"``...).
    n_nodes : int
        Recoil-energy nodes of the response.
    """

    _detector_initialized: bool = False
    #: Attributes a subclass may still assign after construction (transitional: code that
    #: updates state in place; every such attribute must be part of a cache key).
    _mutable_attributes: frozenset[str] = frozenset()

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        mass_kg: float,
        live_days: float,
        bin_edges: ArrayLike,
        observable: str = "keVee",
        n_nodes: int = DEFAULT_NODES,
    ) -> None:
        if not isinstance(cast("object", target), Target):
            msg = f"target must be a cevns.physics.nuclei.Target, got {type(target).__name__}"
            raise InvalidParameterError(msg)
        self.name = name
        self.target = target
        self.mass_kg = check_positive("mass_kg", mass_kg)
        self.live_days = check_positive("live_days", live_days)
        self.bin_edges = check_increasing("bin_edges", bin_edges).copy()
        self.bin_edges.flags.writeable = False
        self.observable = observable
        if (
            isinstance(n_nodes, bool)
            or not isinstance(n_nodes, int | np.integer)
            or not MIN_NODES <= n_nodes <= MAX_NODES
        ):
            # the response matrix holds n_bins x n_nodes floats per nucleus: the upper bound
            # keeps a typo (1e9) from exhausting the memory long after the start
            msg = f"n_nodes must be an integer in {MIN_NODES}..{MAX_NODES}, got {n_nodes!r}"
            raise InvalidParameterError(msg)
        self.n_nodes = int(n_nodes)
        self._cache: dict[tuple[Any, ...], NDArray[np.float64]] = {}
        self._detector_initialized = True

    # ------------------------------------------------------------------ immutability
    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_frozen", False):
            if name not in type(self)._mutable_attributes:
                raise self._frozen_error(name)
            self.__dict__.pop("_response_key_cache", None)
            self.__dict__.pop("_groups_cache", None)
            self.__dict__["_state_version"] = self.__dict__.get("_state_version", 0) + 1
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self.__dict__.get("_frozen", False):
            raise self._frozen_error(name)
        object.__delattr__(self, name)

    def _frozen_error(self, name: str) -> FrozenError:
        cls = type(self).__name__
        msg = (
            f"{cls} {self.__dict__.get('name', '')!r} is immutable after construction: cannot "
            f"set {name!r}. Make a modified copy with .replace({name}=...)"
            + (" or .with_exposure(...)" if name in ("mass_kg", "live_days") else "")
        )
        return FrozenError(msg)

    def replace(self, **changes: Any) -> Self:
        """A new detector built with the constructor arguments of this one, some changed.

        Parameters
        ----------
        **changes
            Arguments of ``type(self).__init__`` and their new values.

        Raises
        ------
        InvalidParameterError
            A name that the constructor does not take (the accepted names are listed).
        """
        self._require_init()
        args, kwargs = self.__dict__["_init_arguments"]
        cls = type(self)
        sig = inspect.signature(cls.__init__)
        bound = sig.bind(None, *args, **kwargs)
        params = sig.parameters
        names = [
            n
            for i, (n, p) in enumerate(params.items())
            if i > 0 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        var_kw = next((n for n, p in params.items() if p.kind is p.VAR_KEYWORD), None)
        for key, value in changes.items():
            if key in names:
                bound.arguments[key] = value
            elif var_kw is not None:
                bound.arguments[var_kw] = {**bound.arguments.get(var_kw, {}), key: value}
            else:
                msg = (
                    f"{cls.__name__}.replace: {key!r} is not an argument of "
                    f"{cls.__name__}.__init__; accepted: {', '.join(names)}"
                )
                raise InvalidParameterError(msg)
        return cls(*bound.args[1:], **bound.kwargs)

    def with_exposure(
        self, *, mass_kg: float | None = None, live_days: float | None = None
    ) -> Self:
        """A copy with another mass [kg] and/or live time [days] (:meth:`replace`).

        Parameters
        ----------
        mass_kg : float, optional
        live_days : float, optional
        """
        changes = {
            k: v for k, v in (("mass_kg", mass_kg), ("live_days", live_days)) if v is not None
        }
        if not changes:
            msg = "with_exposure needs mass_kg or live_days"
            raise InvalidParameterError(msg)
        return self.replace(**changes)

    # ------------------------------------------------------------------ hooks
    @abc.abstractmethod
    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        """True observable (E_ee [keVee]) of recoils ``e_nr_kev``."""

    @abc.abstractmethod
    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(n_bins, n_true)`` probabilities of reconstruction in each observed bin."""

    def _efficiency(self, edges: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per-bin efficiency (default 1)."""
        return np.ones(edges.size - 1)

    def _min_recoil_kev(self) -> float:
        """Lowest recoil energy that can give a signal (default 1 eV)."""
        return 1e-3

    def _max_recoil_kev(self) -> float:
        """Highest recoil energy the response model covers (default: no limit)."""
        return np.inf

    def _response_key(self) -> tuple[Any, ...]:
        """Settings that change the response (invalidate caches when they change)."""
        return ()

    # per-nucleus hooks (defaults: the same response for every nucleus)
    def _quench_nucleus(
        self, e_nr_kev: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        """True observable of recoils of ``nucleus`` (default :meth:`_quench`)."""
        return self._quench(e_nr_kev)

    def _smear_nucleus(
        self, true: NDArray[np.float64], edges: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        """Bin probabilities for recoils of ``nucleus`` (default :meth:`_smear`)."""
        return self._smear(true, edges)

    def _efficiency_nucleus(
        self, edges: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        """Per-bin efficiency for recoils of ``nucleus`` (default :meth:`_efficiency`)."""
        return self._efficiency(edges)

    def _min_recoil_nucleus_kev(self, nucleus: Nucleus) -> float:
        """Lowest recoil of ``nucleus`` that can give a signal (default :meth:`_min_recoil_kev`)."""
        return self._min_recoil_kev()

    def _response_group(self, nucleus: Nucleus) -> Hashable:
        """Label of the response ``nucleus`` sees; nuclei with equal labels share a matrix.

        Default: one group for all nuclei, unless a per-nucleus hook is overridden (then
        one group per nucleus).
        """
        cls = type(self)
        if any(getattr(cls, h) is not getattr(Detector, h) for h in _NUCLEUS_HOOKS):
            return nucleus
        return None

    # ------------------------------------------------------------------ public
    def _require_init(self) -> None:
        if not self._detector_initialized:
            msg = f"{type(self).__name__} was not initialised: call Detector.__init__"
            raise NotInitializedError(msg)

    @property
    def exposure_kg_day(self) -> float:
        """Exposure [kg day]."""
        self._require_init()
        return self.mass_kg * self.live_days

    @property
    def n_bins(self) -> int:
        """Number of observed bins."""
        return int(self.bin_edges.size - 1)

    @property
    def response_groups(self) -> tuple[tuple[Nucleus, ...], ...]:
        """The target's nuclei grouped by the response they see (in target order)."""
        self._require_init()
        cached = self.__dict__.get("_groups_cache")
        if cached is None:
            groups: dict[Hashable, list[Nucleus]] = {}
            for nucleus in self.target.nuclei:
                groups.setdefault(self._response_group(nucleus), []).append(nucleus)
            cached = tuple(tuple(g) for g in groups.values())
            if self.__dict__.get("_frozen", False):  # not while a subclass is constructing
                self.__dict__["_groups_cache"] = cached
        return cast("tuple[tuple[Nucleus, ...], ...]", cached)

    @property
    def per_nucleus(self) -> bool:
        """Whether the nuclei of the target see different responses."""
        return len(self.response_groups) > 1

    @property
    def response_key(self) -> tuple[Any, ...]:
        """Changes whenever the response changes (part of the template cache key of ``Signal``).

        Class, number of nodes, bin edges, target (nuclei and counts), how the nuclei are
        grouped by response, and ``_response_key()``. Computed once (detectors are frozen).
        """
        self._require_init()
        cached = self.__dict__.get("_response_key_cache")
        if cached is None:
            cached = (
                type(self).__name__,
                self.n_nodes,
                tuple(self.bin_edges.tolist()),
                self.target,
                tuple(tuple(n.name for n in g) for g in self.response_groups),
                *self._response_key(),
            )
            if self.__dict__.get("_frozen", False):
                self.__dict__["_response_key_cache"] = cached
        return cast("tuple[Any, ...]", cached)

    def _nucleus(self, nucleus: Nucleus | str | None) -> tuple[int, Nucleus]:
        """Response group index and a representative nucleus of ``nucleus``."""
        groups = self.response_groups
        if nucleus is None:
            if len(groups) > 1:
                names = [n.name for n in self.target.nuclei]
                msg = (
                    f"{self.name}: the response differs between the nuclei of "
                    f"{self.target.name}; give nucleus= (one of {names} or an element symbol)"
                )
                raise InvalidParameterError(msg)
            return 0, groups[0][0]
        if isinstance(nucleus, str):
            hits = [n for n in self.target.nuclei if nucleus in (n.name, n.symbol)]
        else:
            hits = [n for n in self.target.nuclei if n == nucleus]
        index = {n: i for i, g in enumerate(groups) for n in g}
        found = {index[n] for n in hits}
        if not found:
            names = [n.name for n in self.target.nuclei]
            msg = f"{self.name}: {nucleus!r} is not a nucleus of {self.target.name} ({names})"
            raise InvalidParameterError(msg)
        if len(found) > 1:
            msg = (
                f"{self.name}: the isotopes of {nucleus!r} see different responses; name one "
                f"isotope ({[n.name for n in hits]})"
            )
            raise InvalidParameterError(msg)
        i = found.pop()
        return i, groups[i][0]

    def _quench_checked(self, e_nr_kev: ArrayLike, nucleus: Nucleus) -> NDArray[np.float64]:
        e = as_float_array("e_nr_kev", e_nr_kev)
        if np.any(e < 0):
            msg = "e_nr_kev must be >= 0"
            raise InvalidParameterError(msg)
        true = np.asarray(self._quench_nucleus(e, nucleus), dtype=np.float64)
        bad = ~np.isfinite(true) | (true < 0)
        if np.any(bad):
            i = np.flatnonzero(bad.ravel())[0]
            msg = (
                f"{self.name}: the quenched energy must be finite and >= 0 {self.observable}, "
                f"got {float(true.ravel()[i])!r} for a recoil of "
                f"{float(np.broadcast_to(e, true.shape).ravel()[i])!r} keVnr "
                f"({type(self).__name__}, quenching of {nucleus.name})"
            )
            raise InvalidParameterError(msg)
        return true

    def quench(
        self, e_nr_kev: ArrayLike, nucleus: Nucleus | str | None = None
    ) -> NDArray[np.float64]:
        """The true observable of recoils (validated).

        Parameters
        ----------
        e_nr_kev : array_like
            Recoil energies [keVnr], >= 0.
        nucleus : Nucleus or str, optional
            The recoiling nucleus (or its isotope name or element symbol); required when
            the response differs between the nuclei of the target.
        """
        self._require_init()
        _, nuc = self._nucleus(nucleus)
        return self._quench_checked(e_nr_kev, nuc)

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """Log-spaced recoil nodes [keVnr] from the lowest useful recoil to ``e_nr_max_kev``.

        Parameters
        ----------
        e_nr_max_kev : float
            Largest recoil energy the signal can reach [keVnr] (capped at the response's reach).

        Returns
        -------
        ndarray
            ``n_nodes`` log-spaced recoil energies [keVnr].
        """
        self._require_init()
        hi = check_positive("e_nr_max_kev", e_nr_max_kev)
        reps = [g[0] for g in self.response_groups]
        lo = min(self._min_recoil_nucleus_kev(n) for n in reps)
        cover = self._max_recoil_kev()
        if hi > cover:
            reach = max(float(self._quench_nucleus(np.array([cover]), n)[0]) for n in reps)
            if reach < self.bin_edges[-1]:
                msg = (
                    f"{self.name}: recoils up to {hi:.4g} keVnr can reach the observed bins "
                    f"(up to {self.bin_edges[-1]:g} {self.observable}), but the response model "
                    f"covers recoils up to {cover:g} keVnr only (reaching {reach:.4g} "
                    f"{self.observable})"
                )
                raise InvalidParameterError(msg)
            hi = cover
        if hi <= lo:
            msg = f"{self.name}: no recoil above the detection limit ({lo:g} keVnr) is possible"
            raise InvalidParameterError(msg)
        return np.geomspace(lo, hi, self.n_nodes)

    def _group_response(
        self, nodes: NDArray[np.float64], group: int, nucleus: Nucleus
    ) -> NDArray[np.float64]:
        key = (hashlib.sha1(nodes.tobytes()).hexdigest(), self.response_key, group)
        if key in self._cache:
            return self._cache[key]
        w = np.zeros(nodes.size)
        dx = np.diff(nodes)
        w[:-1] += dx / 2
        w[1:] += dx / 2
        true = self._quench_checked(nodes, nucleus)
        probs = np.asarray(self._smear_nucleus(true, self.bin_edges, nucleus), dtype=np.float64)
        if probs.shape != (self.n_bins, nodes.size):
            want = (self.n_bins, nodes.size)
            msg = f"{type(self).__name__}._smear must return shape {want}, got {probs.shape}"
            raise InvalidParameterError(msg)
        _check_probabilities(self, probs, nodes)
        eff = check_efficiency(
            f"{self.name} efficiency", self._efficiency_nucleus(self.bin_edges, nucleus)
        )
        r = probs * w[None, :] * eff[:, None]
        if self.per_nucleus:
            below = nodes < self._min_recoil_nucleus_kev(nucleus)
            if np.any(below):
                r[:, below] = 0.0
        if len(self._cache) > 16 * len(self.response_groups):
            self._cache.clear()
        r.flags.writeable = False
        self._cache[key] = r
        return r

    def response_matrix(
        self, e_nr_nodes: ArrayLike, nucleus: Nucleus | str | None = None
    ) -> NDArray[np.float64]:
        """``(n_bins, n_nodes)``: counts = exposure * R @ dR/dE_nr(nodes); cached.

        Parameters
        ----------
        e_nr_nodes : array_like
            Recoil-energy nodes [keVnr], strictly increasing.
        nucleus : Nucleus or str, optional
            The recoiling nucleus; required when the response differs between nuclei
            (see :meth:`response_matrices`).
        """
        self._require_init()
        nodes = check_increasing("e_nr_nodes", e_nr_nodes)
        group, nuc = self._nucleus(nucleus)
        return self._group_response(nodes, group, nuc)

    def response_matrices(self, e_nr_nodes: ArrayLike) -> tuple[NDArray[np.float64], ...]:
        """The response matrix of each nucleus of the target, in target order.

        Nuclei that see the same response share one (read-only) array; a detector with a
        single response returns that matrix for every nucleus.

        Parameters
        ----------
        e_nr_nodes : array_like
            Recoil-energy nodes [keVnr], strictly increasing.
        """
        self._require_init()
        nodes = check_increasing("e_nr_nodes", e_nr_nodes)
        mats = [self._group_response(nodes, i, g[0]) for i, g in enumerate(self.response_groups)]
        index = {n: i for i, g in enumerate(self.response_groups) for n in g}
        return tuple(mats[index[n]] for n in self.target.nuclei)

    def observed_counts(
        self,
        e_nr_nodes: ArrayLike,
        recoil_rate: ArrayLike | Mapping[Nucleus | str, ArrayLike],
    ) -> NDArray[np.float64]:
        """Counts per observed bin for a recoil spectrum [events/(kg day keVnr)] on the nodes.

        Parameters
        ----------
        e_nr_nodes : array_like
            Recoil-energy nodes [keVnr].
        recoil_rate : array_like or mapping
            The rate summed over nuclei (a detector with one response), or a mapping from
            each nucleus (or isotope name) of the target to its rate.
        """
        if isinstance(recoil_rate, Mapping):
            total = np.zeros(self.n_bins)
            for nucleus, rate in recoil_rate.items():
                r = self.response_matrix(e_nr_nodes, nucleus)
                total = total + r @ as_float_array(f"recoil_rate[{nucleus!r}]", rate)
            return np.asarray(self.exposure_kg_day * total, dtype=np.float64)
        r = self.response_matrix(e_nr_nodes)
        rate = as_float_array("recoil_rate", recoil_rate)
        return np.asarray(self.exposure_kg_day * (r @ rate), dtype=np.float64)

    def __repr__(self) -> str:
        e = self.bin_edges
        return (
            f"{type(self).__name__}({self.name!r}, target={self.target.name}, "
            f"exposure={self.exposure_kg_day:g} kg day, "
            f"{self.n_bins} bins {e[0]:g}-{e[-1]:g} {self.observable})"
        )


class _ByNucleus(Generic[_T]):
    """One component for every nucleus, or a mapping from element symbols / isotope names.

    Isotope names win over element symbols; every nucleus must be covered and every key
    must name a nucleus of the target (no silent default).
    """

    def __init__(self, what: str, value: _T | Mapping[str, _T], target: Target) -> None:
        self.what = what
        self.value = value
        self.choice: dict[Nucleus, tuple[str | None, _T]] = {}
        if not isinstance(value, Mapping):
            self.choice = dict.fromkeys(target.nuclei, (None, value))
            return
        if not value:
            msg = f"{what}: the mapping by element is empty"
            raise InvalidParameterError(msg)
        known = {n.name for n in target.nuclei} | {n.symbol for n in target.nuclei}
        unknown = [k for k in value if k not in known]
        if unknown:
            msg = (
                f"{what}: {unknown} are not elements or isotopes of {target.name} "
                f"(known: {sorted(known)})"
            )
            raise InvalidParameterError(msg)
        missing = []
        for n in target.nuclei:
            key = n.name if n.name in value else n.symbol if n.symbol in value else None
            if key is None:
                missing.append(n.name)
            else:
                self.choice[n] = (key, value[key])
        if missing:
            msg = (
                f"{what}: no entry for {missing} of {target.name}; give one per element "
                f"(keys {sorted({n.symbol for n in target.nuclei})}) or per isotope"
            )
            raise InvalidParameterError(msg)

    @property
    def per_nucleus(self) -> bool:
        return isinstance(self.value, Mapping)

    def components(self) -> list[_T]:
        out: list[_T] = []
        for _, c in self.choice.values():
            if not any(c is o for o in out):
                out.append(c)
        return out

    def __call__(self, nucleus: Nucleus) -> _T:
        return self.choice[nucleus][1]

    def key(self, nucleus: Nucleus) -> str | None:
        return self.choice[nucleus][0]


def _threshold_recoil_kev(name: str, q: Quenching, threshold_kev: float) -> float:
    """Lowest recoil [keVnr] whose E_ee reaches the ionisation threshold under ``q``."""
    lo, hi = q.valid_range_kev
    if threshold_kev <= 0:
        return max(lo, 1e-4)
    grid = np.geomspace(max(lo, 1e-5), min(hi, 1e3), 4000)
    above = q(grid) >= threshold_kev
    if not above.any():
        msg = f"{name}: no recoil in the quenching range gives {threshold_kev} keVee"
        raise InvalidParameterError(msg)
    i = int(np.argmax(above))
    if i == 0:
        return float(grid[0])
    # refine the crossing linearly
    e0, e1 = grid[i - 1], grid[i]
    q0, q1 = q(np.array([e0, e1]))
    return float(e0 + (e1 - e0) * (threshold_kev - q0) / (q1 - q0))


class IonizationDetector(Detector):
    """Ionisation detector (Ge, Si): quenching -> E_ee, resolution in keVee, efficiency.

    Parameters
    ----------
    quenching : Quenching or mapping
        One model for every nucleus, or a mapping from element symbols (``"Na"``) or
        isotope names (``"I127"``) to models: each nucleus of the target must be covered.
    resolution : Resolution or mapping
        Likewise (usually one model).
    efficiency : callable or mapping, optional
        Efficiency as a function of E_ee, evaluated at the bin centres (or a mapping by
        element / isotope).
    ionisation_threshold_kev : float
        Recoils whose E_ee is below this produce no charge (2.98 eV for Ge at 77 K, seed
        004 footnote 4): they are left out of the recoil grid (per nucleus when the
        quenching differs between nuclei).
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        quenching: Quenching | Mapping[str, Quenching],
        resolution: Resolution | Mapping[str, Resolution],
        efficiency: Callable[[NDArray[np.float64]], ArrayLike]
        | Mapping[str, Callable[[NDArray[np.float64]], ArrayLike]]
        | None = None,
        ionisation_threshold_kev: float = 2.98e-3,
        mass_kg: float,
        live_days: float,
        bin_edges: ArrayLike,
        n_nodes: int = DEFAULT_NODES,
    ) -> None:
        super().__init__(
            name,
            target,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=bin_edges,
            observable="keVee",
            n_nodes=n_nodes,
        )
        self.quenching = quenching
        self.resolution = resolution
        self.efficiency = efficiency or UnitEfficiency()
        self._q: _ByNucleus[Quenching] = _ByNucleus(f"{name} quenching", quenching, target)
        self._res: _ByNucleus[Resolution] = _ByNucleus(f"{name} resolution", resolution, target)
        self._eff: _ByNucleus[Callable[[NDArray[np.float64]], ArrayLike]] = _ByNucleus(
            f"{name} efficiency", self.efficiency, target
        )
        self.ionisation_threshold_kev = check_positive(
            "ionisation_threshold_kev", ionisation_threshold_kev, allow_zero=True
        )

    def quenching_for(self, nucleus: Nucleus | str) -> Quenching:
        """The quenching model of ``nucleus`` (a Nucleus, isotope name or element symbol).

        Parameters
        ----------
        nucleus : Nucleus or str
            A nucleus of the target, or its isotope name or element symbol.

        Returns
        -------
        Quenching
            The model converting that nucleus's recoil energy to ionisation energy.
        """
        _, nuc = self._nucleus(nucleus)
        return self._q(nuc)

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._quench_nucleus(e_nr_kev, self._nucleus(None)[1])

    def _quench_nucleus(
        self, e_nr_kev: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        return np.asarray(self._q(nucleus)(e_nr_kev), dtype=np.float64)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._smear_nucleus(true, edges, self._nucleus(None)[1])

    def _smear_nucleus(
        self, true: NDArray[np.float64], edges: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        return self._res(nucleus).bin_probabilities(true, edges)

    def _efficiency(self, edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._efficiency_nucleus(edges, self._nucleus(None)[1])

    def _efficiency_nucleus(
        self, edges: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        return np.asarray(self._eff(nucleus)(0.5 * (edges[1:] + edges[:-1])), dtype=np.float64)

    def _response_group(self, nucleus: Nucleus) -> Hashable:
        return (self._q.key(nucleus), self._res.key(nucleus), self._eff.key(nucleus))

    def _max_recoil_kev(self) -> float:
        return min(float(q.valid_range_kev[1]) for q in self._q.components())

    def _min_recoil_kev(self) -> float:
        return min(self._min_recoil_nucleus_kev(n) for n in self.target.nuclei)

    def _min_recoil_nucleus_kev(self, nucleus: Nucleus) -> float:
        floor = max(float(q.valid_range_kev[0]) for q in self._q.components())
        thr = _threshold_recoil_kev(self.name, self._q(nucleus), self.ionisation_threshold_kev)
        return max(thr, floor)

    def _response_key(self) -> tuple[Any, ...]:
        return (
            *_component_key(self, *self._q.components(), *self._res.components()),
            tuple(self._q.key(n) for n in self.target.nuclei),
            tuple(self._res.key(n) for n in self.target.nuclei),
            tuple(self._eff.key(n) for n in self.target.nuclei),
            *(repr(e) for e in self._eff.components()),
            self.ionisation_threshold_kev,
        )

    def with_quenching_scale(self, scale: float) -> IonizationDetector:
        """The same detector with its quenching scaled (a nuisance parameter).

        With a quenching per element every model is scaled by the same factor.

        Parameters
        ----------
        scale : float
            Factor (> 0) multiplying the ionisation energy of every quenching model.

        Returns
        -------
        IonizationDetector
            A new detector with the scaled quenching and everything else unchanged.
        """
        q: Quenching | Mapping[str, Quenching]
        if isinstance(self.quenching, Mapping):
            q = {k: v.with_scale(scale) for k, v in self.quenching.items()}  # type: ignore[attr-defined]
        else:
            q = self.quenching.with_scale(scale)  # type: ignore[attr-defined]
        return IonizationDetector(
            self.name,
            self.target,
            quenching=q,
            resolution=self.resolution,
            efficiency=self.efficiency,
            ionisation_threshold_kev=self.ionisation_threshold_kev,
            mass_kg=self.mass_kg,
            live_days=self.live_days,
            bin_edges=self.bin_edges,
            n_nodes=self.n_nodes,
        )


class ScintillatorDetector(Detector):
    """Scintillator (CsI, NaI, LAr) observed in photoelectrons with Poisson statistics.

    Parameters
    ----------
    quenching : Quenching or mapping
        E_ee of a recoil: one model, or a mapping from element symbols (``"Na"``) or
        isotope names to models covering every nucleus of the target.
    light_yield_pe_per_kev : float
        Photoelectrons per keVee.
    acceptance : callable, optional
        Acceptance per integer PE (e.g. :class:`cevns.detectors.efficiency.SigmoidAcceptance2017`).
    bin_edges : array
        PE bin edges; bin [lo, hi) contains the integers lo .. hi-1.
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        quenching: Quenching | Mapping[str, Quenching],
        light_yield_pe_per_kev: float,
        acceptance: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
        mass_kg: float,
        live_days: float,
        bin_edges: ArrayLike,
        n_nodes: int = DEFAULT_NODES,
    ) -> None:
        super().__init__(
            name,
            target,
            mass_kg=mass_kg,
            live_days=live_days,
            bin_edges=bin_edges,
            observable="PE",
            n_nodes=n_nodes,
        )
        self.quenching = quenching
        self._q: _ByNucleus[Quenching] = _ByNucleus(f"{name} quenching", quenching, target)
        self.light_yield_pe_per_kev = check_positive(
            "light_yield_pe_per_kev", light_yield_pe_per_kev
        )
        self.acceptance = acceptance
        self._pe = PoissonPE(self.light_yield_pe_per_kev, acceptance)

    def quenching_for(self, nucleus: Nucleus | str) -> Quenching:
        """The quenching model of ``nucleus`` (a Nucleus, isotope name or element symbol).

        Parameters
        ----------
        nucleus : Nucleus or str
            A nucleus of the target, or its isotope name or element symbol.

        Returns
        -------
        Quenching
            The model converting that nucleus's recoil energy to electron-equivalent energy.
        """
        _, nuc = self._nucleus(nucleus)
        return self._q(nuc)

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._quench_nucleus(e_nr_kev, self._nucleus(None)[1])

    def _quench_nucleus(
        self, e_nr_kev: NDArray[np.float64], nucleus: Nucleus
    ) -> NDArray[np.float64]:
        return np.asarray(self._q(nucleus)(e_nr_kev), dtype=np.float64)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._pe.bin_probabilities(true, edges)

    def _response_group(self, nucleus: Nucleus) -> Hashable:
        return self._q.key(nucleus)

    def _min_recoil_kev(self) -> float:
        return 0.05

    def _max_recoil_kev(self) -> float:
        return min(float(q.valid_range_kev[1]) for q in self._q.components())

    def _response_key(self) -> tuple[Any, ...]:
        return (
            *_component_key(self, *self._q.components()),
            tuple(self._q.key(n) for n in self.target.nuclei),
            self.light_yield_pe_per_kev,
        )
