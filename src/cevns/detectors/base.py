"""Detectors: target, exposure and the response from nuclear recoil to observed bins.

:class:`Detector` is a template-method base class. Its public methods validate input and
are never overridden; subclasses implement small hooks:

* ``_quench(e_nr_kev)``: the true observable (E_ee [keVee] for ionisation and scintillation
  detectors) of a recoil;
* ``_smear(true, edges)``: the ``(n_bins, n_true)`` probabilities to reconstruct each true
  value in each observed bin (integrated over the bin);
* optionally ``_efficiency(edges)`` (per-bin factor), ``_min_recoil_kev()`` and
  ``_response_key()`` (what invalidates the cached response, e.g. a quenching scale).

The response is a matrix ``R`` from recoil-energy nodes to observed bins such that the
expected counts are ``exposure_kg_day * R @ dR/dE_nr(nodes)`` with dR/dE_nr in events /
(kg day keVnr): it includes the quadrature weights of the recoil integral. The nodes are
log-spaced from the lowest recoil that can produce a signal to the kinematic maximum; with
the default 1500 nodes the Dresden-II bin counts change by less than 1e-4 when the number
of nodes is doubled (tested). A subclass that forgets ``super().__init__`` raises
:class:`~cevns.core.exceptions.NotInitializedError` when it is constructed.

Examples
--------
A user detector is a few lines:

>>> from cevns.detectors.base import Detector
>>> from cevns.detectors.resolution import GaussianResolution
>>> from cevns.physics.nuclei import Target
>>> class MyGe(Detector):
...     def _quench(self, e_nr_kev):
...         return 0.2 * e_nr_kev
...     def _smear(self, true, edges):
...         return GaussianResolution(sigma_n_kev=0.05).bin_probabilities(true, edges)
>>> det = MyGe("my_ge", Target.element("Ge"), mass_kg=1.0, live_days=10.0,
...            bin_edges=[0.2, 0.3, 0.4])
>>> det.exposure_kg_day
10.0
"""

from __future__ import annotations

import abc
import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_increasing, check_positive
from cevns.core.exceptions import InvalidParameterError, NotInitializedError
from cevns.detectors.efficiency import UnitEfficiency, check_efficiency
from cevns.detectors.quenching import (
    Lindhard,
    ModifiedLindhard,
    Quenching,
    TabulatedQuenching,
)
from cevns.detectors.resolution import (
    GaussianResolution,
    PoissonPE,
    Resolution,
    TruncatedGaussianResolution,
)
from cevns.physics.nuclei import Target

__all__ = [
    "Detector",
    "IonizationDetector",
    "ScintillatorDetector",
    "dresden_ii_detector",
]


def __dir__() -> list[str]:
    return __all__


#: Default number of recoil-energy nodes.
DEFAULT_NODES = 1500


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


class Detector(abc.ABC):
    """Base class of detectors (see the module notes for the extension hooks).

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            return
        orig = cls.__init__

        @functools.wraps(orig)
        def __init__(self: Detector, *args: Any, **kw: Any) -> None:
            orig(self, *args, **kw)
            if type(self) is cls and not self._detector_initialized:
                msg = (
                    f"{cls.__name__}.__init__ did not call Detector.__init__: "
                    f"add super().__init__(name, target, mass_kg=..., live_days=..., bin_edges=...)"
                )
                raise NotInitializedError(msg)

        cls.__init__ = __init__  # type: ignore[method-assign]

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
        self.bin_edges = check_increasing("bin_edges", bin_edges)
        self.observable = observable
        if int(n_nodes) < 50:
            msg = f"n_nodes must be >= 50, got {n_nodes}"
            raise InvalidParameterError(msg)
        self.n_nodes = int(n_nodes)
        self._cache: dict[tuple[Any, ...], NDArray[np.float64]] = {}
        self._detector_initialized = True

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
    def response_key(self) -> tuple[Any, ...]:
        """Changes whenever the response changes (the template cache key of ``Signal``)."""
        return (
            type(self).__name__,
            self.n_nodes,
            tuple(self.bin_edges.tolist()),
            *self._response_key(),
        )

    def quench(self, e_nr_kev: ArrayLike) -> NDArray[np.float64]:
        """The true observable of recoils (validated)."""
        self._require_init()
        e = as_float_array("e_nr_kev", e_nr_kev)
        if np.any(e < 0):
            msg = "e_nr_kev must be >= 0"
            raise InvalidParameterError(msg)
        return np.asarray(self._quench(e), dtype=np.float64)

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """Log-spaced recoil nodes [keVnr] from the lowest useful recoil to ``e_nr_max_kev``."""
        self._require_init()
        hi = check_positive("e_nr_max_kev", e_nr_max_kev)
        lo = self._min_recoil_kev()
        cover = self._max_recoil_kev()
        if hi > cover:
            reach = float(self._quench(np.array([cover]))[0])
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

    def response_matrix(self, e_nr_nodes: ArrayLike) -> NDArray[np.float64]:
        """``(n_bins, n_nodes)``: counts = exposure * R @ dR/dE_nr(nodes); cached."""
        self._require_init()
        nodes = check_increasing("e_nr_nodes", e_nr_nodes)
        key = (hashlib.sha1(nodes.tobytes()).hexdigest(), self.response_key)
        if key in self._cache:
            return self._cache[key]
        w = np.zeros(nodes.size)
        dx = np.diff(nodes)
        w[:-1] += dx / 2
        w[1:] += dx / 2
        true = self.quench(nodes)
        probs = np.asarray(self._smear(true, self.bin_edges), dtype=np.float64)
        if probs.shape != (self.n_bins, nodes.size):
            want = (self.n_bins, nodes.size)
            msg = f"{type(self).__name__}._smear must return shape {want}, got {probs.shape}"
            raise InvalidParameterError(msg)
        eff = check_efficiency(f"{self.name} efficiency", self._efficiency(self.bin_edges))
        r = probs * w[None, :] * eff[:, None]
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[key] = r
        return r

    def observed_counts(self, e_nr_nodes: ArrayLike, recoil_rate: ArrayLike) -> NDArray[np.float64]:
        """Counts per observed bin for a recoil spectrum [events/(kg day keVnr)] on the nodes."""
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


class IonizationDetector(Detector):
    """Ionisation detector (Ge, Si): quenching -> E_ee, resolution in keVee, efficiency.

    Parameters
    ----------
    quenching : Quenching
    resolution : Resolution
    efficiency : callable, optional
        Efficiency as a function of E_ee, evaluated at the bin centres.
    ionisation_threshold_kev : float
        Recoils whose E_ee is below this produce no charge (2.98 eV for Ge at 77 K, seed
        004 footnote 4): they are left out of the recoil grid.
    """

    def __init__(
        self,
        name: str,
        target: Target,
        *,
        quenching: Quenching,
        resolution: Resolution,
        efficiency: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
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
        self.ionisation_threshold_kev = check_positive(
            "ionisation_threshold_kev", ionisation_threshold_kev, allow_zero=True
        )

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.quenching(e_nr_kev), dtype=np.float64)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.resolution.bin_probabilities(true, edges)

    def _efficiency(self, edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.efficiency(0.5 * (edges[1:] + edges[:-1])), dtype=np.float64)

    def _max_recoil_kev(self) -> float:
        return float(self.quenching.valid_range_kev[1])

    def _min_recoil_kev(self) -> float:
        lo, hi = self.quenching.valid_range_kev
        if self.ionisation_threshold_kev <= 0:
            return max(lo, 1e-4)
        grid = np.geomspace(max(lo, 1e-5), min(hi, 1e3), 4000)
        above = self.quenching(grid) >= self.ionisation_threshold_kev
        if not above.any():
            thr = self.ionisation_threshold_kev
            msg = f"{self.name}: no recoil in the quenching range gives {thr} keVee"
            raise InvalidParameterError(msg)
        i = int(np.argmax(above))
        if i == 0:
            return float(grid[0])
        # refine the crossing linearly
        e0, e1 = grid[i - 1], grid[i]
        q0, q1 = self.quenching(np.array([e0, e1]))
        return float(e0 + (e1 - e0) * (self.ionisation_threshold_kev - q0) / (q1 - q0))

    def _response_key(self) -> tuple[Any, ...]:
        return _component_key(self, self.quenching, self.resolution)

    def with_quenching_scale(self, scale: float) -> IonizationDetector:
        """The same detector with its quenching scaled (a nuisance parameter)."""
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
    quenching : Quenching
        E_ee of a recoil.
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
        quenching: Quenching,
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
        self.light_yield_pe_per_kev = check_positive(
            "light_yield_pe_per_kev", light_yield_pe_per_kev
        )
        self.acceptance = acceptance
        self._pe = PoissonPE(self.light_yield_pe_per_kev, acceptance)

    def _quench(self, e_nr_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.quenching(e_nr_kev), dtype=np.float64)

    def _smear(self, true: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._pe.bin_probabilities(true, edges)

    def _min_recoil_kev(self) -> float:
        return 0.05

    def _max_recoil_kev(self) -> float:
        return float(self.quenching.valid_range_kev[1])

    def _response_key(self) -> tuple[Any, ...]:
        return (*_component_key(self, self.quenching), self.light_yield_pe_per_kev)


def dresden_ii_detector(
    quenching: Literal["fef", "ybe", "lindhard", "modified_lindhard"] = "fef",
    *,
    mass_kg: float = 2.924,
    live_days: float = 1.0,
    truncated: bool = True,
    adiabatic_kev: float | None = None,
    bin_edges: Sequence[float] | None = None,
    n_nodes: int = DEFAULT_NODES,
) -> IonizationDetector:
    """The NCC-1701 Ge detector of Dresden-II (seed 004 Sec. 3.1).

    2.924 kg of Ge with the isotopic abundances of seed 004, 130 bins of 10 eV from 0.2 to
    1.5 keVee, resolution ``sigma^2 = (68.5 eV)^2 + 2.96 eV * 0.105 * E`` (truncated Gaussian
    of Eq. 17 by default), efficiency 1 (the release is acceptance corrected), ionisation
    threshold 2.98 eV. ``live_days = 1`` gives counts per day, the unit of the data.

    Parameters
    ----------
    quenching : {"fef", "ybe", "lindhard", "modified_lindhard"}
        The Collar et al. 2021 curves, Lindhard k = 0.157, or Lindhard with the adiabatic
        correction (``adiabatic_kev`` required).
    """
    choices = ("fef", "ybe", "lindhard", "modified_lindhard")
    if quenching not in choices:
        msg = f"quenching must be one of {choices}, got {quenching!r}"
        raise InvalidParameterError(msg)
    q: Quenching
    if quenching in ("fef", "ybe"):
        q = TabulatedQuenching.dresden_ii(quenching)
    elif quenching == "lindhard":
        q = Lindhard(k=0.157, z=32)
    else:
        if adiabatic_kev is None:
            msg = (
                "quenching='modified_lindhard' needs adiabatic_kev (the energy of the adiabatic "
                "correction); the seed papers do not state the value they used"
            )
            raise InvalidParameterError(msg)
        q = ModifiedLindhard(adiabatic_kev=adiabatic_kev, k=0.157, z=32)
    res = TruncatedGaussianResolution() if truncated else GaussianResolution()
    edges = np.round(np.linspace(0.2, 1.5, 131), 6) if bin_edges is None else np.asarray(bin_edges)
    return IonizationDetector(
        f"dresden_ii_{quenching}",
        Target.by_name("germanium_seed004"),
        quenching=q,
        resolution=res,
        mass_kg=mass_kg,
        live_days=live_days,
        bin_edges=edges,
        n_nodes=n_nodes,
    )
