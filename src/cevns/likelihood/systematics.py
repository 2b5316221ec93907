"""Systematic uncertainties as named, Gaussian-constrained nuisance parameters.

Shape systematics (template morphing)
-------------------------------------
A template ``T`` (a background, or the signal response) is known at its nominal value
``T_0`` and at variations along one or more nuisance axes ``alpha`` (in units of the
uncertainty: a quenching factor at -1 / 0 / +1 sigma, or a light-yield x charge-yield
grid). :class:`ShapeSystematic` interpolates *vertically* (bin by bin) between them, the
way HistFactory's ``histosys`` does (K. Cranmer et al., CERN-OPEN-2012-016; pyhf
``pyhf.interpolators.code0`` and ``code4p``). With ``delta_+ = T_+ - T_0`` and
``delta_- = T_0 - T_-``:

* code 0, piecewise linear::

      delta(alpha) = alpha delta_+   (alpha >= 0),      alpha delta_-   (alpha < 0)

* code ``"4p"``, a polynomial inside ``|alpha| < 1`` and the linear extrapolation of code 0
  outside, continuous with its first derivative at ``|alpha| = 1`` (and smooth at 0)::

      delta(alpha) = alpha S + A alpha^2 (15 - 10 alpha^2 + 3 alpha^4),
      S = (delta_+ + delta_-) / 2,   A = (delta_+ - delta_-) / 16.

Both codes are *linear in the templates* with weights that depend on ``alpha`` only:
``delta = w_+(alpha) delta_+ + w_-(alpha) delta_-`` (:func:`histosys_weights`). A grid of
templates along several axes is interpolated as the tensor product of one-axis weights
(multilinear with code 0). The morphed template of a component is therefore::

    T(alpha) = max(T_0 + sum_m c_m(alpha) (T_m - T_0), 0)

over its variations ``T_m`` (all systematics of the component add their deltas, as
HistFactory does). Because the coefficients ``c_m`` do not depend on the physics, the signal
is morphed by stacking the variant detector responses into one
:class:`~cevns.likelihood.signal.Signal` (:class:`StackedResponse`): one set of quadratic-form
templates (:mod:`cevns.likelihood.expansion`) gives the nominal and every variant at a physics
point, and the morph is one small contraction, no re-integration.

Normalisation systematics
-------------------------
:class:`NormSystematic` (HistFactory ``normsys``) multiplies a component by ``f(alpha)``
with ``f(+-1) = up, down``: code 1 ``f = up^alpha`` / ``down^(-alpha)``; code 4 the same
outside ``|alpha| < 1`` and inside the polynomial ``1 + sum_{i=1}^6 a_i alpha^i`` that
matches value, first and second derivative at ``alpha = +-1`` (pyhf
``pyhf.interpolators.code4``). :class:`ScaleSystematic` is a plain scale ``s`` with the
Gaussian constraint ``N(1, sigma)``.

Every nuisance ``alpha`` has the unit Gaussian constraint ``N(0, 1)`` (limits -5..5) in the
cost of an :class:`~cevns.likelihood.experiment.Experiment`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.families import Parameter
from cevns.physics.nuclei import Target

__all__ = [
    "Morphing",
    "NormSystematic",
    "ScaleSystematic",
    "ShapeSystematic",
    "StackedResponse",
    "axis_weights",
    "histosys_weights",
    "normsys_factor",
]


def __dir__() -> list[str]:
    return __all__


ShapeCode = Literal[0, "4p"]
NormCode = Literal[1, 4]
#: limits of a shape/normsys nuisance (units of its sigma)
NUISANCE_LIMITS: tuple[float, float] = (-5.0, 5.0)


# =========================================================================== one axis
def histosys_weights(
    alpha: ArrayLike, code: ShapeCode = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weights ``(w_+, w_-)`` with ``delta(alpha) = w_+ (T_+ - T_0) + w_- (T_0 - T_-)``.

    Parameters
    ----------
    alpha : array_like
        Nuisance values (any shape) in units of their sigma.
    code : {0, "4p"}
        HistFactory interpolation code (see the module notes).

    Returns
    -------
    (w_plus, w_minus) : two arrays of the shape of ``alpha``

    Examples
    --------
    >>> [w.tolist() for w in histosys_weights([-2.0, 0.5, 1.0])]
    [[0.0, 0.5, 1.0], [-2.0, 0.0, 0.0]]
    >>> [w.tolist() for w in histosys_weights([0.5], "4p")]
    [[0.4482421875], [0.0517578125]]
    """
    a = np.asarray(alpha, dtype=np.float64)
    given: object = code
    if given not in (0, "4p"):
        msg = f"interpolation code must be 0 or '4p', got {code!r}"
        raise InvalidParameterError(msg)
    if code == 0:
        return np.where(a >= 0, a, 0.0), np.where(a < 0, a, 0.0)
    # code "4p": polynomial inside |alpha| <= 1, the linear extrapolation of code 0 outside
    a2 = a * a
    q = a2 * (15.0 + a2 * (3.0 * a2 - 10.0)) / 16.0
    inside = np.abs(a) <= 1.0
    w_plus = np.where(inside, 0.5 * a + q, np.where(a > 1.0, a, 0.0))
    w_minus = np.where(inside, 0.5 * a - q, np.where(a < -1.0, a, 0.0))
    return w_plus, w_minus


def axis_weights(
    points: NDArray[np.float64], alpha: float, code: ShapeCode = 0
) -> NDArray[np.float64]:
    """Weights of the templates at ``points`` (one axis) for the value ``alpha``.

    Code 0: piecewise-linear interpolation between neighbouring points, linear
    extrapolation from the outermost interval (for ``points = (-1, 0, 1)`` this is
    HistFactory's code 0). Code ``"4p"`` needs ``points = (-1, 0, 1)``. The weights sum to 1.

    Parameters
    ----------
    points : ndarray
        Increasing nuisance values of the templates; must contain 0 (the nominal).
    alpha : float
    code : {0, "4p"}

    Examples
    --------
    >>> axis_weights(np.array([-1.0, 0.0, 1.0]), -2.0).tolist()
    [2.0, -1.0, 0.0]
    >>> axis_weights(np.array([0.0, 1.0, 3.0]), 2.0).tolist()
    [0.0, 0.5, 0.5]
    """
    n = points.size
    if code == "4p":
        w_plus, w_minus = histosys_weights(alpha, "4p")
        return np.array([-float(w_minus), 1.0 + float(w_minus) - float(w_plus), float(w_plus)])
    i = min(max(bisect.bisect_right(points.tolist(), alpha) - 1, 0), n - 2)
    lo, hi = float(points[i]), float(points[i + 1])
    t = (alpha - lo) / (hi - lo)
    w = np.zeros(n)
    w[i] = 1.0 - t
    w[i + 1] = t
    return w


# =========================================================================== normsys
def _normsys_coefficients(up: float, down: float) -> NDArray[np.float64]:
    """``a_1 .. a_6`` of the code-4 polynomial (value, slope, curvature at +-1)."""
    lu, ld = np.log(up), np.log(down)
    # f(a) = up^a (a >= 1), down^(-a) (a <= -1): f, f', f'' at +1 and -1
    rhs = np.array([up - 1.0, down - 1.0, lu * up, -ld * down, lu * lu * up, ld * ld * down])
    powers = np.arange(1, 7)
    rows = []
    for x in (1.0, -1.0):
        rows.append(x**powers)
    for x in (1.0, -1.0):
        rows.append(powers * x ** (powers - 1))
    for x in (1.0, -1.0):
        rows.append(powers * (powers - 1) * x ** np.maximum(powers - 2, 0))
    m = np.array(rows)
    return np.asarray(np.linalg.solve(m, rhs), dtype=np.float64)


def normsys_factor(
    alpha: float,
    up: float,
    down: float,
    code: NormCode = 4,
    coefficients: NDArray[np.float64] | None = None,
) -> float:
    """HistFactory ``normsys`` factor ``f(alpha)`` with ``f(1) = up`` and ``f(-1) = down``.

    Parameters
    ----------
    alpha : float
    up, down : float
        Factors at +1 and -1 sigma (> 0).
    code : {1, 4}
        1: exponential ``up^alpha`` / ``down^(-alpha)``; 4: the same for ``|alpha| >= 1``,
        a 6th-order polynomial inside (continuous up to the second derivative).
    coefficients : ndarray, optional
        Precomputed ``a_1 .. a_6`` of code 4 (:class:`NormSystematic` keeps them).

    Examples
    --------
    >>> round(normsys_factor(2.0, 1.1, 0.8), 6), round(normsys_factor(-1.0, 1.1, 0.8, 1), 6)
    (1.21, 0.8)
    """
    if code not in (1, 4):
        msg = f"normsys code must be 1 or 4, got {code!r}"
        raise InvalidParameterError(msg)
    if alpha >= 1.0 or (code == 1 and alpha >= 0.0):
        return float(up**alpha)
    if alpha <= -1.0 or code == 1:
        return float(down ** (-alpha))
    a = _normsys_coefficients(up, down) if coefficients is None else coefficients
    return float(1.0 + np.dot(a, alpha ** np.arange(1, 7)))


@dataclass(frozen=True)
class NormSystematic:
    """A normalisation uncertainty of one component (HistFactory ``normsys``).

    Parameters
    ----------
    name : str
        Local nuisance name (an identifier); constraint N(0, 1).
    up, down : float
        Factors at +1 and -1 sigma (e.g. 1.05 and 0.96).
    target : str
        ``"signal"`` or the name of a background.
    code : {1, 4}
        Interpolation (:func:`normsys_factor`).
    """

    name: str
    up: float
    down: float
    target: str = "signal"
    code: NormCode = 4

    def __post_init__(self) -> None:
        _check_name(self.name)
        check_positive(f"normsys {self.name!r}: up", self.up)
        check_positive(f"normsys {self.name!r}: down", self.down)
        if self.code not in (1, 4):
            msg = f"normsys {self.name!r}: code must be 1 or 4, got {self.code!r}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "_a", _normsys_coefficients(self.up, self.down))

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The nuisance ``alpha`` (start 0, limits -5..5, constraint N(0, 1))."""
        return (Parameter(self.name, 0.0, NUISANCE_LIMITS, 1.0, prior=(0.0, 1.0)),)

    def factor(self, values: Mapping[str, float]) -> float:
        """The factor at the (local) parameter values.

        Parameters
        ----------
        values : mapping of str to float
            Nuisance values by local name (without the experiment prefix).

        Returns
        -------
        float
            The multiplicative factor.
        """
        a: NDArray[np.float64] = self.__dict__["_a"]
        return normsys_factor(float(values[self.name]), self.up, self.down, self.code, a)


@dataclass(frozen=True)
class ScaleSystematic:
    """A scale ``s`` of one component with the Gaussian constraint ``N(1, uncertainty)``.

    Parameters
    ----------
    name : str
        Local parameter name (an identifier).
    uncertainty : float
        Relative sigma of the constraint (> 0).
    target : str
        ``"signal"`` or the name of a background.
    limits : (float, float)
    """

    name: str
    uncertainty: float
    target: str = "signal"
    limits: tuple[float, float] = (0.0, 10.0)

    def __post_init__(self) -> None:
        _check_name(self.name)
        check_positive(f"scale {self.name!r}: uncertainty", self.uncertainty)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The scale (start 1, constraint N(1, uncertainty))."""
        u = float(self.uncertainty)
        return (Parameter(self.name, 1.0, self.limits, u, prior=(1.0, u)),)

    def factor(self, values: Mapping[str, float]) -> float:
        """The factor at the (local) parameter values.

        Parameters
        ----------
        values : mapping of str to float
            Nuisance values by local name (without the experiment prefix).

        Returns
        -------
        float
            The multiplicative factor.
        """
        return float(values[self.name])


# =========================================================================== shapes
def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        msg = f"nuisance names must be identifiers (letters, digits, _), got {name!r}"
        raise InvalidParameterError(msg)


class ShapeSystematic:
    """Template variations along one or more nuisance axes (HistFactory ``histosys``).

    The variations are arrays (for a :class:`~cevns.likelihood.background.TemplateBackground`)
    or detector responses (the signal of an :class:`~cevns.likelihood.experiment.Experiment`,
    see :class:`StackedResponse`). The nominal (every nuisance 0) is the component's own
    template or detector and is not given here.

    Parameters
    ----------
    names : str or sequence of str
        Local nuisance names, one per axis (identifiers).
    axes : sequence of sequences of float
        Nuisance values of the grid along each axis (increasing, containing 0).
    variants : mapping grid point -> template or detector
        One entry for every grid point except the nominal; keys are tuples of floats
        (one per axis; a float is accepted for one axis).
    code : {0, "4p"}
        Interpolation code (module notes): ``"4p"`` needs every axis to be (-1, 0, 1).
    description : str

    Examples
    --------
    >>> s = ShapeSystematic.updown("qf", [12.0], [9.0])
    >>> s.names, s.points
    (('qf',), ((-1.0,), (1.0,)))
    >>> s.coefficients(np.array([0.5])).tolist()
    [0.0, 0.5]
    """

    def __init__(
        self,
        names: str | Sequence[str],
        axes: Sequence[Sequence[float]],
        variants: Mapping[Any, Any],
        *,
        code: ShapeCode = 0,
        description: str = "",
    ) -> None:
        self.names: tuple[str, ...] = (names,) if isinstance(names, str) else tuple(names)
        for n in self.names:
            _check_name(n)
        if len(set(self.names)) != len(self.names):
            msg = f"shape systematic axes must have distinct names, got {list(self.names)}"
            raise InvalidParameterError(msg)
        if len(axes) != len(self.names):
            msg = f"shape systematic {self.names}: {len(axes)} axes for {len(self.names)} names"
            raise InvalidParameterError(msg)
        if code not in (0, "4p"):
            msg = f"shape systematic {self.names}: code must be 0 or '4p', got {code!r}"
            raise InvalidParameterError(msg)
        self.code: ShapeCode = code
        self.axes: tuple[NDArray[np.float64], ...] = tuple(
            self._check_axis(n, a) for n, a in zip(self.names, axes, strict=True)
        )
        given = {self._key(k): v for k, v in variants.items()}
        origin = (0.0,) * len(self.names)
        if origin in given:
            msg = (
                f"shape systematic {self.names}: the nominal point {origin} is the component's "
                "own template; do not list it among the variants"
            )
            raise InvalidParameterError(msg)
        grid = [
            tuple(float(v) for v in p) for p in itertools.product(*(a.tolist() for a in self.axes))
        ]
        missing = [p for p in grid if p != origin and p not in given]
        if missing:
            msg = (
                f"shape systematic {self.names}: grid point {missing[0]} is missing "
                f"({len(missing)} of {len(grid) - 1} variants; axes "
                f"{[a.tolist() for a in self.axes]})"
            )
            raise InvalidParameterError(msg)
        extra = sorted(set(given) - set(grid))
        if extra:
            msg = (
                f"shape systematic {self.names}: variant at {extra[0]} is not on the grid "
                f"{[a.tolist() for a in self.axes]}"
            )
            raise InvalidParameterError(msg)
        self._origin_index = grid.index(origin)
        self._keep = np.delete(np.arange(len(grid)), self._origin_index)
        self._n_grid = len(grid)
        # code-0 fast path: per axis (points as a list, last interval, stride, widths)
        # and the variant index of each grid point (-1: the nominal), precomputed
        sizes = [a.size for a in self.axes]
        self._corner_axes = [
            (a.tolist(), a.size - 2, int(np.prod(sizes[k + 1 :])), np.diff(a).tolist())
            for k, a in enumerate(self.axes)
        ]
        self._variant_of = [-1 if j == self._origin_index else j - (j > self._origin_index)
                            for j in range(len(grid))]  # fmt: skip
        #: grid points of the variants (C order over the axes, nominal left out)
        self.points: tuple[tuple[float, ...], ...] = tuple(p for p in grid if p != origin)
        self.variants: tuple[Any, ...] = tuple(given[p] for p in self.points)
        self.description = description

    @classmethod
    def updown(
        cls,
        name: str,
        up: Any,
        down: Any | None = None,
        *,
        code: ShapeCode = 0,
        description: str = "",
    ) -> ShapeSystematic:
        """One nuisance with variations at +1 and -1 sigma.

        Parameters
        ----------
        name : str
        up, down : template or detector
            The component at +1 and -1 sigma. ``down=None``: the mirror ``2 T_0 - T_+`` of
            a one-sided variation (then ``delta = alpha (T_+ - T_0)`` for every alpha,
            whatever the code).
        code : {0, "4p"}
        description : str
        """
        if down is None:
            return cls(name, [(0.0, 1.0)], {(1.0,): up}, code=0, description=description)
        return cls(
            name,
            [(-1.0, 0.0, 1.0)],
            {(1.0,): up, (-1.0,): down},
            code=code,
            description=description,
        )

    def _key(self, key: Any) -> tuple[float, ...]:
        k = (key,) if np.isscalar(key) else tuple(key)
        if len(k) != len(self.names):
            msg = (
                f"shape systematic {self.names}: grid point {key!r} must have "
                f"{len(self.names)} coordinate(s)"
            )
            raise InvalidParameterError(msg)
        return tuple(float(v) for v in k)

    def _check_axis(self, name: str, axis: Sequence[float]) -> NDArray[np.float64]:
        a = np.asarray(axis, dtype=np.float64)
        if a.ndim != 1 or a.size < 2 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
            msg = f"axis {name!r}: nuisance values must increase (>= 2 finite), got {list(axis)}"
            raise InvalidParameterError(msg)
        if not np.any(a == 0.0):
            msg = f"axis {name!r}: the grid must contain the nominal 0, got {a.tolist()}"
            raise InvalidParameterError(msg)
        if self.code == "4p" and a.tolist() != [-1.0, 0.0, 1.0]:
            msg = f"axis {name!r}: code '4p' needs the points (-1, 0, 1), got {a.tolist()}"
            raise InvalidParameterError(msg)
        return a

    def variant(self, *point: float) -> Any:
        """The variant at a grid point (one value per axis), e.g. ``s.variant(1.0)``."""
        key = self._key(point)
        if key not in self.points:
            msg = f"shape systematic {self.names}: no variant at {key}; grid points {self.points}"
            raise InvalidParameterError(msg)
        return self.variants[self.points.index(key)]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """One nuisance per axis: start 0, limits -5..5, constraint N(0, 1)."""
        return tuple(Parameter(n, 0.0, NUISANCE_LIMITS, 1.0, prior=(0.0, 1.0)) for n in self.names)

    def corners(self, alpha: Sequence[float]) -> list[tuple[int, float]]:
        """Code 0: the ``2^n_axes`` grid points (C-order index) around ``alpha`` and weights.

        Multilinear interpolation inside the grid, linear extrapolation from the outermost
        interval; the weights sum to 1. Plain floats, no validation (the hot path of a
        cost call).

        Parameters
        ----------
        alpha : sequence of float
            One nuisance value (in sigma) per axis.

        Returns
        -------
        list of (int, float)
            Grid index (nominal included) and weight of each corner.
        """
        corners = [(0, 1.0)]
        for (axis, last, stride, width), x in zip(self._corner_axes, alpha, strict=True):
            i = bisect.bisect_right(axis, x) - 1
            i = 0 if i < 0 else (last if i > last else i)
            t = (x - axis[i]) / width[i]
            corners = [
                (j + (i + d) * stride, c * (t if d else 1.0 - t))
                for j, c in corners
                for d in (0, 1)
            ]
        return corners

    def coefficients(self, alpha: NDArray[np.float64]) -> NDArray[np.float64]:
        """``c_m`` of ``T_0 + sum_m c_m (T_m - T_0)`` for the variants, at one value per axis.

        Parameters
        ----------
        alpha : ndarray
            One nuisance value (in sigma) per axis of the variants.

        Returns
        -------
        ndarray
            One coefficient per variant.
        """
        if self.code == 0:  # multilinear: 2^n_axes non-zero weights, set directly (hot path)
            c = np.zeros(len(self.points))
            for j, weight in self.corners(alpha.tolist()):
                v = self._variant_of[j]
                if v >= 0:
                    c[v] = weight
            return c
        w = axis_weights(self.axes[0], float(alpha[0]), self.code)
        for axis, a in zip(self.axes[1:], alpha[1:], strict=True):
            w = np.multiply.outer(w, axis_weights(axis, float(a), self.code)).ravel()
        return np.asarray(w[self._keep], dtype=np.float64)

    def __repr__(self) -> str:
        return (
            f"ShapeSystematic({list(self.names)}, axes={[a.tolist() for a in self.axes]}, "
            f"code={self.code!r})"
        )


class Morphing:
    """The shape systematics of one component: stacked variants and their coefficients.

    The stack is the nominal followed by the variants of each systematic in order;
    :meth:`apply` returns ``max(T_0 + sum_m c_m (T_m - T_0), 0)``. When every systematic is
    a code-0 grid, at most ``2^n_axes`` coefficients per grid are non-zero and the sum runs
    over those variants only (:meth:`ShapeSystematic.corners`, precomputed indices: the hot
    path of a cost call).

    Parameters
    ----------
    systematics : sequence of ShapeSystematic
    """

    def __init__(self, systematics: Sequence[ShapeSystematic]) -> None:
        self.systematics = tuple(systematics)
        self.names: tuple[str, ...] = tuple(n for s in self.systematics for n in s.names)
        dup = sorted({n for n in self.names if self.names.count(n) > 1})
        if dup:
            msg = f"shape systematics share nuisance names: {dup}"
            raise InvalidParameterError(msg)
        self.variants: tuple[Any, ...] = tuple(v for s in self.systematics for v in s.variants)
        # vectorised coefficients: +-1 sigma pairs by code, one-sided (mirrored) variations,
        # and the general (grid) systematics evaluated one by one
        self._pairs: dict[ShapeCode, tuple[list[int], list[int], list[int]]] = {}
        self._mirrored: tuple[list[int], list[int]] = ([], [])
        self._grids: list[tuple[ShapeSystematic, int, int, int]] = []
        i_alpha = i_var = 0
        for syst in self.systematics:
            n_axes, n_var = len(syst.names), len(syst.variants)
            axis = syst.axes[0].tolist() if n_axes == 1 else None
            if axis == [-1.0, 0.0, 1.0]:
                ia, i_down, i_up = self._pairs.setdefault(syst.code, ([], [], []))
                ia.append(i_alpha)
                i_down.append(i_var)  # points are (-1,), (1,)
                i_up.append(i_var + 1)
            elif axis == [0.0, 1.0]:
                self._mirrored[0].append(i_alpha)
                self._mirrored[1].append(i_var)
            else:
                self._grids.append((syst, i_alpha, i_var, n_var))
            i_alpha += n_axes
            i_var += n_var
        self._pair_index = [
            (code, np.array(ia), np.array(i_down), np.array(i_up))
            for code, (ia, i_down, i_up) in self._pairs.items()
        ]
        self._mirror_index = (np.array(self._mirrored[0], int), np.array(self._mirrored[1], int))
        # only code-0 grids (e.g. a light x charge yield grid): at most 2^n_axes non-zero
        # coefficients per grid, so apply() touches only those variants (the hot path)
        self._sparse_grids = (
            [(s, i_alpha, i_var, len(s.names)) for s, i_alpha, i_var, _ in self._grids]
            if self._grids and not self._pairs and not self._mirrored[0]
            and all(s.code == 0 for s, *_ in self._grids)
            else None
        )  # fmt: skip
        # the last (alpha, offset) and its sparse coefficients: in a fit most calls move a
        # parameter other than these nuisances (one tuple, replaced whole: thread-safe)
        self._last_sparse: tuple[tuple[list[float], int], tuple[list[int], list[float]]] | None
        self._last_sparse = None

    @property
    def n_blocks(self) -> int:
        """Stacked templates: the nominal and every variant."""
        return 1 + len(self.variants)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The nuisances of all systematics (local names)."""
        return tuple(p for s in self.systematics for p in s.parameters)

    def coefficients(self, alpha: NDArray[np.float64]) -> NDArray[np.float64]:
        """Coefficients of all variants for nuisance values in the order of :attr:`names`.

        Parameters
        ----------
        alpha : ndarray
            Nuisance values in the order of :attr:`names`.

        Returns
        -------
        ndarray
            Weight of each variant's difference to the nominal template.
        """
        c = np.empty(len(self.variants))
        for code, ia, i_down, i_up in self._pair_index:
            w_plus, w_minus = histosys_weights(alpha[ia], code)
            c[i_down] = -w_minus
            c[i_up] = w_plus
        mirror_alpha, mirror_var = self._mirror_index
        if mirror_alpha.size:
            c[mirror_var] = alpha[mirror_alpha]
        for syst, i_alpha, i_var, n_var in self._grids:
            c[i_var : i_var + n_var] = syst.coefficients(alpha[i_alpha : i_alpha + len(syst.names)])
        return c

    @property
    def sparse(self) -> bool:
        """Every systematic is a code-0 grid: :meth:`sparse_coefficients` applies."""
        return self._sparse_grids is not None

    def sparse_coefficients(
        self, alpha: NDArray[np.float64], offset: int = 0
    ) -> tuple[list[int], list[float]]:
        """The variants with a non-zero coefficient and their coefficients (code-0 grids).

        ``T_0 + sum_k weight_k (T_[index_k] - T_0)`` is the morphed template: at most
        ``2^n_axes`` terms per grid, so a caller can evaluate only those variants (e.g. the
        rows of a stacked signal expansion).

        Parameters
        ----------
        alpha : ndarray
            Nuisance values in the order of :attr:`names`.
        offset : int
            Added to every index (1: rows of the stack, whose row 0 is the nominal).

        Returns
        -------
        (list of int, list of float)
            Variant indices (+ ``offset``) and coefficients; the lists of the last call
            are returned again for the same arguments (do not modify them).
        """
        if self._sparse_grids is None:
            msg = f"morphing {list(self.names)}: sparse coefficients need code-0 grids only"
            raise InvalidParameterError(msg)
        a = alpha.tolist()
        last = self._last_sparse
        if last is not None and last[0][1] == offset and last[0][0] == a:
            return last[1]
        index: list[int] = []
        weight: list[float] = []
        for syst, i_alpha, i_var, n_axes in self._sparse_grids:
            variant_of, first = syst._variant_of, i_var + offset
            for j, w in syst.corners(a[i_alpha : i_alpha + n_axes]):
                v = variant_of[j]
                if v >= 0 and w != 0.0:
                    index.append(first + v)
                    weight.append(w)
        self._last_sparse = ((a, offset), (index, weight))
        return index, weight

    def apply(
        self, stacked: NDArray[np.float64], alpha: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The morphed template from ``stacked`` of shape ``(n_blocks, ...)``, clipped at 0.

        Parameters
        ----------
        stacked : ndarray
            Nominal template followed by the variants, shape ``(n_blocks, ...)``.
        alpha : ndarray
            Nuisance values in the order of :attr:`names`.

        Returns
        -------
        ndarray
            The morphed template, shape ``stacked.shape[1:]``, clipped at 0.
        """
        if stacked.shape[0] != self.n_blocks:
            msg = f"morphing: {stacked.shape[0]} stacked templates, expected {self.n_blocks}"
            raise InvalidParameterError(msg)
        flat = stacked.reshape(self.n_blocks, -1)
        if self._sparse_grids is None:
            out = flat[0] + self.coefficients(alpha) @ (flat[1:] - flat[0])
        else:
            rows, weight = self.sparse_coefficients(alpha, 1)  # lists: indexed and multiplied in C
            base = flat[0]
            out = base + np.dot(weight, flat[rows] - base)
        return np.asarray(np.maximum(out, 0.0, out=out).reshape(stacked.shape[1:]))

    def apply_deltas(
        self, nominal: NDArray[np.float64], deltas: NDArray[np.float64], alpha: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """As :meth:`apply` with precomputed ``deltas = T_m - T_0`` (fixed templates).

        Parameters
        ----------
        nominal : ndarray
            The nominal template ``T_0`` (any shape).
        deltas : ndarray
            Differences ``T_m - T_0`` of the variants, shape ``(n_variants, *nominal.shape)``.
        alpha : ndarray
            Nuisance values in the order of :attr:`names`.

        Returns
        -------
        ndarray
            The morphed template, shape of ``nominal``, clipped at 0.
        """
        # flattened: templates of any dimension (a 4-D histogram) morph bin by bin
        flat = deltas.reshape(len(deltas), -1)
        if self._sparse_grids is None:
            out = nominal.ravel() + self.coefficients(alpha) @ flat
        else:
            index, weight = self.sparse_coefficients(alpha, 0)
            out = nominal.ravel() + np.dot(weight, flat[index])
        return np.asarray(np.maximum(out, 0.0, out=out).reshape(nominal.shape))


class StackedResponse:
    """A nominal detector response stacked with its variants (one Signal for all).

    Implements the :class:`~cevns.likelihood.signal.Response` protocol: :meth:`response_matrix`
    returns the nominal rows followed by the rows of every variant, so that
    ``Signal.expected_counts`` gives ``n_blocks * n_bins`` energy bins. All members are
    evaluated on the recoil nodes of the nominal detector.

    Parameters
    ----------
    nominal : Response
    variants : sequence of Response
        Same target and exposure as the nominal; only the response may differ.
    """

    def __init__(self, nominal: Any, variants: Sequence[Any]) -> None:
        self.nominal = nominal
        self.members: tuple[Any, ...] = (nominal, *variants)
        for i, m in enumerate(self.members[1:]):
            for attr in ("target", "recoil_grid", "response_matrix", "exposure_kg_day"):
                if not hasattr(m, attr):
                    msg = (
                        f"signal variant {i} must be a detector response providing {attr!r}, "
                        f"got {type(m).__name__}"
                    )
                    raise InvalidParameterError(msg)
            same = m.target.name == nominal.target.name and np.isclose(
                m.exposure_kg_day, nominal.exposure_kg_day
            )
            if not same:
                msg = (
                    f"signal variant {getattr(m, 'name', i)!r} differs from the nominal detector "
                    f"in target or exposure ({m.target.name}, {m.exposure_kg_day} kg day against "
                    f"{nominal.target.name}, {nominal.exposure_kg_day} kg day)"
                )
                raise InvalidParameterError(msg)
        self.target: Target = nominal.target
        self.name = getattr(nominal, "name", "stacked")

    @property
    def n_blocks(self) -> int:
        """Number of stacked responses."""
        return len(self.members)

    @property
    def exposure_kg_day(self) -> float:
        """Exposure [kg day] of the nominal detector."""
        return float(self.nominal.exposure_kg_day)

    @property
    def response_key(self) -> tuple[Any, ...]:
        """Changes whenever any stacked response changes."""
        return tuple(
            (getattr(m, "response_key", None), repr(getattr(m, "acceptance", None)))
            for m in self.members
        )

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """Recoil nodes of the nominal detector (all members share them).

        Parameters
        ----------
        e_nr_max_kev : float
            Largest recoil energy the signal can reach [keVnr].

        Returns
        -------
        ndarray
            Recoil energies [keVnr] of the nominal detector.
        """
        return np.asarray(self.nominal.recoil_grid(e_nr_max_kev), dtype=np.float64)

    def response_matrix(self, e_nr_nodes: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(n_blocks * n_bins, n_nodes)``: the stacked responses.

        Parameters
        ----------
        e_nr_nodes : ndarray
            Recoil energies [keVnr] from :meth:`recoil_grid`.

        Returns
        -------
        ndarray of shape (n_blocks * n_bins, n_nodes)
            The response matrices of the members, stacked row-wise.
        """
        mats = [np.asarray(m.response_matrix(e_nr_nodes), dtype=np.float64) for m in self.members]
        shapes = {a.shape for a in mats}
        if len(shapes) != 1:
            msg = f"signal variants give response matrices of different shapes: {sorted(shapes)}"
            raise InvalidParameterError(msg)
        return np.vstack(mats)

    def __repr__(self) -> str:
        return f"StackedResponse({self.name!r}, n_blocks={self.n_blocks})"
