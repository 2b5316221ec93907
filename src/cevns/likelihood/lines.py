"""A constant, an exponential and Gaussian lines, some tied to a parent line.

The background of a germanium (or any X-ray-line) spectrum: a rate density

``f(x) = c + A exp(-(x - x0)/tau) + sum_i A_i exp(-(x - mu_i)^2 / (2 sigma_i^2))``

where a *free* line has its own amplitude, mean and width parameters and a *tied* line
has a fixed energy, the width of its parent line or a fixed width, and an amplitude tied
to its parent's: a fixed or fitted ratio of the amplitudes (``A_i = r A_parent``, e.g.
Ge L2/L1 = 0.008) or of the areas (``A_i sigma_i = r A_parent sigma_parent``, e.g. the
M shell of seed 004 Table I). Two evaluations of ``f`` in the observed bins:

* ``"centres"``: ``f`` at the bin centres, amplitudes in counts per bin (seed 004 Eq. 18,
  the "integrated spectrum" of its Appendix A: bins of equal width);
* ``"integrated"``: ``f`` per unit of the observable, integrated over each bin
  analytically (the convention of the ``flat``, ``exponential`` and ``gaussian_line``
  kinds): ``c`` times the width, ``A tau (e^{-(lo-x0)/tau} - e^{-(hi-x0)/tau})`` and
  ``A_i sigma_i sqrt(2 pi) [Phi((hi-mu_i)/sigma_i) - Phi((lo-mu_i)/sigma_i)]``.

The expectation is linear in ``c``, ``A`` and the free lines' amplitudes (a tied line's
amplitude is carried by its parent's template), so a profiled cost solves them exactly;
the jacobian is analytic. Each non-linear term (the exponential, each free line, the
width-tied lines) is kept for the last values of the parameters it depends on: Migrad's
numerical gradient moves one parameter at a time, so most calls recompute one
exponential at most.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from cevns.core._validation import as_float_array
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.background import Background
from cevns.physics.families import Parameter

__all__ = ["Exponential", "Line", "LinesBackground", "TiedLine"]

Evaluation = Literal["centres", "integrated"]
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def __dir__() -> list[str]:
    return __all__


@dataclass(frozen=True)
class Exponential:
    """The term ``amplitude exp(-(x - reference) / decay)``.

    Parameters
    ----------
    amplitude : Parameter
        Rate at ``x = reference`` (counts per bin or per unit observable, see the module).
    decay : Parameter
        Decay length, in the unit of the observable; its limits must keep it > 0.
    reference : float
        ``x0``, in the unit of the observable.
    """

    amplitude: Parameter
    decay: Parameter
    reference: float


@dataclass(frozen=True)
class Line:
    """A Gaussian line with its own amplitude (peak height), mean and width.

    Parameters
    ----------
    name : str
        Name of the line (tied lines name it as their parent).
    amplitude : Parameter
        Peak height of the rate density (its area is ``amplitude sigma sqrt(2 pi)``).
    mean, sigma : Parameter
        Position and width, in the unit of the observable; sigma's limits must be > 0.
    """

    name: str
    amplitude: Parameter
    mean: Parameter
    sigma: Parameter


@dataclass(frozen=True)
class TiedLine:
    """A Gaussian line at a fixed energy whose amplitude follows a free parent line.

    Parameters
    ----------
    name : str
        Name of the line.
    parent : str
        Name of a free :class:`Line` of the same background.
    mean : float
        Fixed position, in the unit of the observable.
    ratio : float or Parameter
        Fixed ratio (>= 0) or a fitted one (its limits must be >= 0, it may carry a prior).
    ratio_of : {"amplitude", "area"}
        ``A = ratio A_parent`` or ``A sigma = ratio A_parent sigma_parent``.
    sigma : float or None
        Fixed width (> 0), or None for the parent's width.
    """

    name: str
    parent: str
    mean: float
    ratio: float | Parameter
    ratio_of: Literal["amplitude", "area"]
    sigma: float | None


def _gauss_centres(d: NDArray[np.float64], s: float, inv: float) -> NDArray[np.float64]:
    """A line of width ``s`` (``inv = 1/(2 s^2)``) at the bin centres, ``d = x - mean``."""
    return np.exp(d * d * -inv)


def _gauss_integrated(d: NDArray[np.float64], s: float, inv: float) -> NDArray[np.float64]:
    """A line of width ``s`` integrated over the bins, ``d = edges - mean``."""
    return np.asarray(s * _SQRT_2PI * np.diff(ndtr(d / s)), dtype=np.float64)


def _gauss_fixed_centres(d: NDArray[np.float64], s: float) -> NDArray[np.float64]:
    """A line of fixed width ``s`` at the bin centres."""
    return np.exp(-d * d / (2.0 * s**2))


def _gauss_fixed_integrated(d: NDArray[np.float64], s: float) -> NDArray[np.float64]:
    """A line of fixed width ``s`` integrated over the bins."""
    return _gauss_integrated(d, s, 0.0)


def _kept(
    compute: Callable[[Any], NDArray[np.float64]], memo: list[Any]
) -> Callable[[Any], NDArray[np.float64]]:
    """``key -> the row``: the one kept in ``memo[0] = (key, row)``, else ``compute(key)``."""

    def row(key: Any) -> NDArray[np.float64]:
        kept = memo[0]
        if kept is not None and kept[0] == key:
            return kept[1]  # type: ignore[no-any-return]
        return compute(key)

    return row


class LinesBackground(Background):
    """Constant + exponential + Gaussian lines with ties (see the module docstring).

    Parameters are named by the given :class:`~cevns.physics.families.Parameter` objects
    and ordered: the constant, the exponential's amplitude and decay, then per free line
    its amplitude, mean and sigma followed by the ratio parameters of its tied lines.

    Parameters
    ----------
    name : str
        Name of the background component.
    edges : array
        Observed bin edges (increasing), in the unit of the observable.
    evaluation : {"centres", "integrated"}
        ``f`` at the bin centres (counts per bin) or integrated over each bin.
    constant : Parameter, optional
        The constant ``c``.
    exponential : Exponential, optional
        The exponential term.
    lines : sequence of Line or TiedLine
        The lines; a tied line's parent is a free line of this sequence.

    Examples
    --------
    >>> from cevns.physics.families import Parameter
    >>> bkg = LinesBackground(
    ...     "b", [0.0, 1.0, 2.0], "centres", constant=Parameter("c", 2.0, (0, 10)),
    ...     lines=[Line("k", Parameter("a", 4.0, (0, 10)), Parameter("m", 0.5, (0, 2)),
    ...                 Parameter("s", 0.1, (0.01, 1))),
    ...            TiedLine("k2", "k", 1.5, 0.5, "amplitude", None)])
    >>> bkg.expected({}).round(12).tolist()
    [6.0, 4.0]
    """

    linear_rest_is_zero = True

    def __init__(
        self,
        name: str,
        edges: ArrayLike,
        evaluation: Evaluation,
        *,
        constant: Parameter | None = None,
        exponential: Exponential | None = None,
        lines: Sequence[Line | TiedLine] = (),
    ) -> None:
        self.name = name
        e = as_float_array(f"{name}: edges", edges)
        if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
            msg = f"{name}: bin edges must be a 1-D increasing array of >= 2 values, got {e!r}"
            raise InvalidParameterError(msg)
        if evaluation not in ("centres", "integrated"):
            msg = f"{name}: evaluation must be 'centres' or 'integrated', got {evaluation!r}"
            raise InvalidParameterError(msg)
        self.edges = e
        self.evaluation: Evaluation = evaluation
        self.centres = 0.5 * (e[1:] + e[:-1])  # as Dataset.centres
        self._x = self.centres if evaluation == "centres" else e
        self._n = self.centres.size
        free = [ln for ln in lines if isinstance(ln, Line)]
        tied = [ln for ln in lines if isinstance(ln, TiedLine)]
        if constant is None and exponential is None and not free:
            msg = f"{name}: give at least a constant, an exponential or a free line"
            raise InvalidParameterError(msg)
        names = [ln.name for ln in lines]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            msg = f"{name}: line names must be unique, {doubled} appear more than once"
            raise InvalidParameterError(msg)
        for ln in free:
            if ln.sigma.limits[0] <= 0:
                msg = f"{name}: line {ln.name!r}: sigma must have limits > 0, got {ln.sigma.limits}"
                raise InvalidParameterError(msg)
        if exponential is not None and not math.isfinite(exponential.reference):
            msg = (
                f"{name}: the exponential's reference must be finite, got {exponential.reference!r}"
            )
            raise InvalidParameterError(msg)
        if exponential is not None and exponential.decay.limits[0] <= 0:
            msg = (
                f"{name}: the exponential's decay length must have limits > 0, "
                f"got {exponential.decay.limits}"
            )
            raise InvalidParameterError(msg)
        self.constant, self.exponential = constant, exponential
        self.lines: tuple[Line, ...] = tuple(free)
        self.tied_lines: tuple[TiedLine, ...] = tuple(tied)
        centres = evaluation == "centres"
        self._gauss = _gauss_centres if centres else _gauss_integrated
        self._gauss_fixed = _gauss_fixed_centres if centres else _gauss_fixed_integrated
        # the tied lines of each free line, in the order given, with x - mean
        children: list[list[tuple[TiedLine, NDArray[np.float64]]]] = [[] for _ in free]
        ratio_params: list[list[Parameter]] = [[] for _ in free]
        parent_of = {ln.name: k for k, ln in enumerate(free)}
        for t in tied:
            k = self._check_tied(t, parent_of)
            if isinstance(t.ratio, Parameter):
                ratio_params[k].append(t.ratio)
            children[k].append((t, self._x - float(t.mean)))
        self._children = tuple(tuple(c) for c in children)
        params: list[Parameter] = []
        if constant is not None:
            params.append(constant)
        if exponential is not None:
            params += [exponential.amplitude, exponential.decay]
        for ln, extra in zip(free, ratio_params, strict=True):
            params += [ln.amplitude, ln.mean, ln.sigma, *extra]
        pnames = [p.name for p in params]
        doubled = sorted({n for n in pnames if pnames.count(n) > 1})
        if doubled:
            msg = f"{name}: parameter names must be unique, {doubled} appear more than once"
            raise InvalidParameterError(msg)
        self.parameters = tuple(params)
        self._ratio_names = tuple(tuple(p.name for p in r) for r in ratio_params)
        lin = [] if constant is None else [constant.name]
        lin += [] if exponential is None else [exponential.amplitude.name]
        self._linear = (*lin, *(ln.amplitude.name for ln in free))
        self._const_row = np.ones(self._n) if evaluation == "centres" else np.diff(e)
        self._const_row.flags.writeable = False
        if exponential is not None:
            # the exponent times the decay length; negation is exact, bit for bit
            self._minus_u = -(self._x - float(exponential.reference))
        # the last value of each term: [(decay, row)]; per free line [(key, row), (mu,
        # sigma, own shape), (sigma, ...tied shapes)] (see _exp_function, _line_function)
        self._memo_exp: list[Any] = [None]
        self._jac_fixed: list[list[tuple[Any, Any]]] | None = None  # see _tied_constants
        self._memo_lines: list[list[Any]] = [[None, None, None] for _ in free]
        if exponential is not None:
            self._exp_row = self._exp_function()
        self._line_rows = [self._line_function(k) for k in range(len(free))]
        by_order = [(p.name, i) for i, p in enumerate(self.parameters)]
        self._evaluate = self.evaluator(by_order)
        self._linear_evaluate = self.linear_evaluator(by_order)

    def _check_tied(self, t: TiedLine, parent_of: Mapping[str, int]) -> int:
        where = f"{self.name}: tied line {t.name!r}"
        if t.parent not in parent_of:
            msg = (
                f"{where}: parent {t.parent!r} is not a free line (free lines: {sorted(parent_of)})"
            )
            raise InvalidParameterError(msg)
        if t.ratio_of not in ("amplitude", "area"):
            msg = f"{where}: ratio_of must be 'amplitude' or 'area', got {t.ratio_of!r}"
            raise InvalidParameterError(msg)
        if isinstance(t.ratio, Parameter):
            if t.ratio.limits[0] < 0:
                msg = f"{where}: the ratio parameter's limits must be >= 0, got {t.ratio.limits}"
                raise InvalidParameterError(msg)
        elif not (math.isfinite(t.ratio) and t.ratio >= 0):
            msg = f"{where}: ratio must be finite and >= 0, got {t.ratio!r}"
            raise InvalidParameterError(msg)
        if not math.isfinite(t.mean):
            msg = f"{where}: mean must be finite, got {t.mean!r}"
            raise InvalidParameterError(msg)
        if t.sigma is not None and not (math.isfinite(t.sigma) and t.sigma > 0):
            msg = (
                f"{where}: sigma must be finite and > 0 (or None for the parent's), got {t.sigma!r}"
            )
            raise InvalidParameterError(msg)
        return parent_of[t.parent]

    # ------------------------------------------------------------------ shapes
    def _exp_function(self) -> Callable[[float], NDArray[np.float64]]:
        """``decay -> the exponential per unit amplitude``, computed and kept in memo[0].

        Callers return the kept row themselves when the decay is the kept one
        (:func:`_kept`): in the hot path that saves a call.
        """
        minus_u, centres = self._minus_u, self.evaluation == "centres"
        memo = self._memo_exp

        def row(tau: float) -> NDArray[np.float64]:  # the caller has looked at memo[0]
            x = np.exp(minus_u / tau)
            t = x if centres else tau * (x[:-1] - x[1:])
            t.flags.writeable = False
            memo[0] = (tau, t)
            return t

        return row

    def _line_function(self, k: int) -> Callable[[tuple[float, ...]], NDArray[np.float64]]:
        """``(mu, sigma, *ratios) -> free line k with its tied lines per unit amplitude``.

        Its own shape is kept for the last ``(mu, sigma)``, the shapes of the lines tied to
        its width for the last ``sigma`` and the sum for the last key (callers return the
        kept sum themselves, :func:`_kept`); the returned array is read-only because it
        is the kept one. Shapes with a fixed amplitude ratio (or a
        fixed area ratio and the parent's width, then equal to the amplitude ratio) are
        summed, ratio applied, once per width.
        """
        x, gauss, centres = self._x, self._gauss, self.evaluation == "centres"
        fixed_sum: NDArray[np.float64] | None = None  # fixed width, fixed amplitude ratio
        widths: list[tuple[NDArray[np.float64], float]] = []  # parent's width, fixed ratio
        ratio_width: list[tuple[NDArray[np.float64], int]] = []  # parent's width, parameter
        ratio_fixed: list[tuple[NDArray[np.float64], int]] = []  # fixed width, parameter
        # fixed width, area ratio: (shape, key index of the ratio or -1, fixed ratio, sigma)
        area_fixed: list[tuple[NDArray[np.float64], int, float, float]] = []
        slot = 2  # key = (mu, sigma, *ratio parameters)
        for t, d in self._children[k]:
            r = None if isinstance(t.ratio, Parameter) else float(t.ratio)
            i_r = -1
            if r is None:
                i_r, slot = slot, slot + 1
            if t.sigma is None:
                if r is None:
                    ratio_width.append((d, i_r))
                else:
                    widths.append((d, r))
                continue
            g = self._gauss_fixed(d, float(t.sigma))
            if t.ratio_of == "area":
                area_fixed.append((g, i_r, 0.0 if r is None else r, float(t.sigma)))
            elif r is None:
                ratio_fixed.append((g, i_r))
            else:
                fixed_sum = r * g if fixed_sum is None else fixed_sum + r * g
        tied = bool(self._children[k])
        # (key, row), (mu, sigma, own shape), (sigma, sum of fixed-ratio shapes, others)
        memo = self._memo_lines[k]

        def width_terms(s: float, inv: float) -> tuple[float, Any, list[NDArray[np.float64]]]:
            total: Any = fixed_sum
            for d, r in widths:
                g = r * (np.exp(d * d * -inv) if centres else gauss(d, s, inv))
                total = g if total is None else total + g
            return s, total, [gauss(d, s, inv) for d, _ in ratio_width] if ratio_width else []

        def row(key: tuple[float, ...]) -> NDArray[np.float64]:  # memo[0] looked at
            mu, s = key[0], key[1]
            inv = 1.0 / (2.0 * s * s)
            own = memo[1]
            if own is None or own[0] != mu or own[1] != s:
                d = x - mu
                own = memo[1] = (mu, s, np.exp(d * d * -inv) if centres else gauss(d, s, inv))
            t = own[2]
            if tied:
                w = memo[2]
                if w is None or w[0] != s:
                    w = memo[2] = width_terms(s, inv)
                if w[1] is not None:
                    t = t + w[1]
                if ratio_width:
                    for (_, i_r), g in zip(ratio_width, w[2], strict=True):
                        t = t + key[i_r] * g
                if ratio_fixed:
                    for g, i_r in ratio_fixed:
                        t = t + key[i_r] * g
                for g, i_r, r, sigma in area_fixed:
                    t = t + ((r if i_r < 0 else key[i_r]) * s / sigma) * g
            t.flags.writeable = False
            memo[0] = (key, t)
            return t  # type: ignore[no-any-return]

        return row

    # ------------------------------------------------------------------ positions
    def _positions(
        self, positions: Sequence[tuple[str, int]]
    ) -> tuple[
        int | None, int | None, int | None, list[int], list[Callable[..., tuple[float, ...]]]
    ]:
        where = dict(positions)
        missing = [p.name for p in self.parameters if p.name not in where]
        if missing:
            msg = f"{self.name}: positions lack the parameters {missing}"
            raise InvalidParameterError(msg)
        i_c = None if self.constant is None else where[self.constant.name]
        i_a = i_tau = None
        if self.exponential is not None:
            i_a = where[self.exponential.amplitude.name]
            i_tau = where[self.exponential.decay.name]
        amps = [where[ln.amplitude.name] for ln in self.lines]
        keys: list[Callable[..., tuple[float, ...]]] = [
            itemgetter(where[ln.mean.name], where[ln.sigma.name], *(where[n] for n in r))
            for ln, r in zip(self.lines, self._ratio_names, strict=True)
        ]
        return i_c, i_a, i_tau, amps, keys

    def _rows_of(
        self, positions: Sequence[tuple[str, int]]
    ) -> tuple[int | None, list[int], Callable[[Sequence[float]], list[NDArray[np.float64]]]]:
        """``(constant index, amplitude indices, args -> the kept non-constant rows)``."""
        i_c, i_a, i_tau, amps, keys = self._positions(positions)
        lines = list(zip(self._line_rows, keys, strict=True))
        rows: Callable[[Sequence[float]], list[NDArray[np.float64]]]
        kept_lines = [
            (_kept(f, m), key) for (f, key), m in zip(lines, self._memo_lines, strict=True)
        ]
        if i_tau is None or i_a is None:

            def rows(args: Sequence[float]) -> list[NDArray[np.float64]]:
                return [f(key(args)) for f, key in kept_lines]

            return i_c, amps, rows
        exp_row = self._exp_row
        if len(lines) == 1:  # the common case (seed 004 Eq. 18): the kept rows read inline
            ((f0, key0),) = lines
            m_exp, m_line = self._memo_exp, self._memo_lines[0]

            def rows(args: Sequence[float]) -> list[NDArray[np.float64]]:
                tau, key = args[i_tau], key0(args)
                e, g = m_exp[0], m_line[0]
                return [
                    e[1] if e is not None and e[0] == tau else exp_row(tau),
                    g[1] if g is not None and g[0] == key else f0(key),
                ]

        else:
            kept_exp = _kept(exp_row, self._memo_exp)

            def rows(args: Sequence[float]) -> list[NDArray[np.float64]]:
                return [kept_exp(args[i_tau]), *[f(key(args)) for f, key in kept_lines]]

        return i_c, [i_a, *amps], rows

    def evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[[Sequence[float]], NDArray[np.float64]]:
        """``args -> expected counts`` read by position, with the non-linear terms kept.

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.

        Returns
        -------
        callable
            Function of the argument vector returning the expected counts per bin.
        """
        i_c, amps, rows = self._rows_of(positions)
        pairs = list(enumerate(amps))
        const = self._const_row
        scalar = self.evaluation == "centres" and bool(amps)  # c + ... broadcasts
        if scalar and i_c is not None and len(amps) == 2:  # seed 004 Eq. 18: spelled out
            i_0, i_1 = amps

            def evaluate_two(args: Sequence[float]) -> NDArray[np.float64]:
                r = rows(args)
                return args[i_c] + args[i_0] * r[0] + args[i_1] * r[1]

            return evaluate_two

        def evaluate(args: Sequence[float]) -> NDArray[np.float64]:
            r = rows(args)
            total: float | NDArray[np.float64]
            total = 0.0 if i_c is None else args[i_c] if scalar else args[i_c] * const
            for j, i in pairs:
                total = total + args[i] * r[j]
            return np.asarray(total, dtype=np.float64)

        return evaluate

    def _args(self, values: Mapping[str, float]) -> list[float]:
        return [values[p.name] for p in self.parameters]

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        return self._evaluate(self._args(values))

    def components(self, values: Mapping[str, float]) -> dict[str, NDArray[np.float64]]:
        """Each term by itself: ``"constant"``, ``"exponential"`` and every line by name.

        Parameters
        ----------
        values : Mapping[str, float]
            Parameter values; missing ones take their start values.

        Returns
        -------
        dict of str -> ndarray
            Expected counts per bin of each term (they sum to :meth:`expected`).
        """
        v = {p.name: p.value for p in self.parameters} | dict(values)
        out: dict[str, NDArray[np.float64]] = {}
        if self.constant is not None:
            out["constant"] = v[self.constant.name] * self._const_row
        if self.exponential is not None:
            ex = self.exponential
            tau = v[ex.decay.name]
            out["exponential"] = v[ex.amplitude.name] * _kept(self._exp_row, self._memo_exp)(tau)
        for ln, children in zip(self.lines, self._children, strict=True):
            a, mu, s = v[ln.amplitude.name], v[ln.mean.name], v[ln.sigma.name]
            out[ln.name] = a * self._gauss(self._x - mu, s, 1.0 / (2.0 * s * s))
            for t, d in children:
                sc = s if t.sigma is None else float(t.sigma)
                r = v[t.ratio.name] if isinstance(t.ratio, Parameter) else float(t.ratio)
                amp = r * a * (s / sc if t.ratio_of == "area" and t.sigma is not None else 1.0)
                out[t.name] = amp * self._gauss(d, sc, 1.0 / (2.0 * sc * sc))
        return out

    # ------------------------------------------------------------------ linear terms
    @property
    def linear_parameters(self) -> tuple[str, ...]:  # type: ignore[override]
        """The constant, the exponential's amplitude and the free lines' amplitudes."""
        return self._linear

    def linear_terms(
        self, values: Mapping[str, float]
    ) -> tuple[float | NDArray[np.float64], NDArray[np.float64]]:
        """``(0, T)``: the expectation is ``sum_k values[linear_k] T[k]``.

        A free line's row carries its tied lines per unit of its amplitude.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every parameter (the linear ones are not read).

        Returns
        -------
        offset : float
            Always 0.
        terms : ndarray of shape (len(linear_parameters), n_bins)
            The expectation per unit of each linear parameter (read-only).
        """
        return self._linear_evaluate(self._args(values))

    def linear_evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[
        [Sequence[float] | NDArray[np.float64]],
        tuple[float | NDArray[np.float64], NDArray[np.float64]],
    ]:
        """``args -> linear_terms`` read by position; the templates may be a kept array.

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.

        Returns
        -------
        callable
            Function of the argument vector returning ``(0, T)`` as :meth:`linear_terms`;
            ``T`` is read-only (it is reused while the non-linear parameters stay put).
        """
        i_c, _, rows = self._rows_of(positions)
        first = 0 if i_c is None else 1
        n_rows = len(self._linear)
        slots = range(first, n_rows)
        stacked = np.empty((n_rows, self._n))
        if i_c is not None:
            stacked[0] = self._const_row
        stacked.flags.writeable = False
        # the last rows (the kept arrays: the same object means the same values) and
        # their stack, one tuple read and written at once
        last: list[Any] = [([None] * (n_rows - first), stacked)]
        if n_rows - first == 2:  # seed 004 Eq. 18 (exponential and one line): unrolled
            j0, j1 = slots

            def evaluate_two(
                args: Sequence[float] | NDArray[np.float64],
            ) -> tuple[float, NDArray[np.float64]]:
                r0, r1 = rows(args)  # type: ignore[arg-type]
                (k0, k1), kept = last[0]
                if r0 is k0 and r1 is k1:
                    return 0.0, kept
                t = kept.copy()
                if r0 is not k0:
                    t[j0] = r0
                if r1 is not k1:
                    t[j1] = r1
                t.flags.writeable = False
                last[0] = ((r0, r1), t)
                return 0.0, t

            return evaluate_two

        def evaluate(
            args: Sequence[float] | NDArray[np.float64],
        ) -> tuple[float, NDArray[np.float64]]:
            r = rows(args)  # type: ignore[arg-type]
            before, kept = last[0]
            changed = [(j, row) for j, row, k in zip(slots, r, before, strict=True) if row is not k]
            if not changed:
                return 0.0, kept
            t = kept.copy()
            for j, row in changed:
                t[j] = row
            t.flags.writeable = False
            last[0] = (r, t)
            return 0.0, t

        return evaluate

    # ------------------------------------------------------------------ jacobian
    @property
    def has_jacobian(self) -> bool:
        """True: :meth:`jacobian` gives the derivatives analytically.

        Returns
        -------
        bool
            Always True.
        """
        return True

    def _d_gauss(
        self, d: NDArray[np.float64], s: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """A line integrated over the bins (``d = edges - mu``) and its mu, sigma derivatives.

        At bin centres :meth:`_jacobian_centres` computes its own.
        """
        z = d / s
        h = np.exp(-0.5 * z * z)  # sqrt(2 pi) phi(z)
        big = _SQRT_2PI * np.diff(ndtr(z))
        return s * big, -np.diff(h), big - np.diff(z * h)

    def jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Derivatives of the expectation in every parameter, in the order of :attr:`parameters`.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every parameter.

        Returns
        -------
        ndarray of shape (len(parameters), n_bins)
            ``d expected / d p``.
        """
        v = values
        if self.evaluation == "centres":
            return self._jacobian_centres(v)
        rows: list[NDArray[np.float64]] = []
        if self.constant is not None:
            rows.append(self._const_row)
        if self.exponential is not None:
            ex = self.exponential
            tau = v[ex.decay.name]
            u = -self._minus_u
            x = np.exp(-u / tau)
            dx = x * u / (tau * tau)
            a = v[ex.amplitude.name]  # integrated over the bins (centres: above)
            rows += [tau * (x[:-1] - x[1:]), a * ((x[:-1] - x[1:]) + tau * (dx[:-1] - dx[1:]))]
        for ln, children in zip(self.lines, self._children, strict=True):
            a, mu, s = v[ln.amplitude.name], v[ln.mean.name], v[ln.sigma.name]
            g, g_mu, g_s = self._d_gauss(self._x - mu, s)
            total, d_s = g.copy(), g_s.copy()
            d_ratio = []
            for t, d in children:
                r = v[t.ratio.name] if isinstance(t.ratio, Parameter) else float(t.ratio)
                if t.sigma is None:  # the parent's width: the coefficient is r
                    gc, _, gc_s = self._d_gauss(d, s)
                    total += r * gc
                    d_s += r * gc_s
                    d_coef = 1.0
                else:
                    sc = float(t.sigma)
                    gc, _, _ = self._d_gauss(d, sc)
                    area = t.ratio_of == "area"
                    d_coef = s / sc if area else 1.0
                    total += r * d_coef * gc
                    if area:
                        d_s += (r / sc) * gc
                if isinstance(t.ratio, Parameter):
                    d_ratio.append(a * d_coef * gc)
            rows += [total, a * g_mu, a * d_s, *d_ratio]
        return np.asarray(np.stack(rows), dtype=np.float64)

    def _tied_constants(self) -> list[list[tuple[Any, Any]]]:
        """Per tied line, at bin centres: ``(x - mean)^2`` and, with a fixed width, its shape.

        Computed on first use and kept (the derivatives' hot paths read them).
        """
        if self._jac_fixed is None:
            self._jac_fixed = [
                [
                    (d * d, None if t.sigma is None else _gauss_fixed_centres(d, float(t.sigma)))
                    for t, d in children
                ]
                for children in self._children
            ]
        return self._jac_fixed

    def _jacobian_centres(self, v: Mapping[str, float]) -> NDArray[np.float64]:
        """:meth:`jacobian` at bin centres, written into one array (the gradient's hot path).

        The same derivatives as the general path: the exponential's row is the kept one when
        the decay length is the kept one, the tied lines' squared offsets and the shapes of
        the lines with a fixed width are computed once.
        """
        fixed = self._tied_constants()
        out = np.empty((len(self.parameters), self._n))
        i = 0
        if self.constant is not None:
            out[0] = self._const_row
            i = 1
        if self.exponential is not None:
            ex = self.exponential
            tau = v[ex.decay.name]
            kept = self._memo_exp[0]
            x = kept[1] if kept is not None and kept[0] == tau else np.exp(self._minus_u / tau)
            out[i] = x
            np.multiply(x, self._minus_u, out=out[i + 1])
            out[i + 1] *= -v[ex.amplitude.name] / (tau * tau)  # a x u / tau^2, u = -minus_u
            i += 2
        for ln, children, pre in zip(self.lines, self._children, fixed, strict=True):
            a, mu, s = v[ln.amplitude.name], v[ln.mean.name], v[ln.sigma.name]
            inv = 1.0 / (2.0 * s * s)
            d = self._x - mu
            d2 = d * d
            g = np.exp(d2 * -inv)
            total, d_mu, d_s = out[i], out[i + 1], out[i + 2]
            total[:] = g
            np.multiply(g, d, out=d_mu)
            d_mu *= a / (s * s)
            np.multiply(g, d2, out=d_s)
            d_s *= 1.0 / (s * s * s)  # d g / d sigma; the amplitude is applied at the end
            j = i + 3
            for (t, _), (dc2, gfix) in zip(children, pre, strict=True):
                r = v[t.ratio.name] if isinstance(t.ratio, Parameter) else float(t.ratio)
                if gfix is None:  # the parent's width: the coefficient is r
                    gc = np.exp(dc2 * -inv)
                    total += r * gc
                    d_s += (r / (s * s * s)) * (gc * dc2)
                    d_coef = 1.0
                else:
                    gc = gfix
                    sc = float(t.sigma)  # type: ignore[arg-type]
                    area = t.ratio_of == "area"
                    d_coef = s / sc if area else 1.0
                    total += (r * d_coef) * gc
                    if area:
                        d_s += (r / sc) * gc
                if isinstance(t.ratio, Parameter):
                    np.multiply(gc, a * d_coef, out=out[j])
                    j += 1
            d_s *= a
            i = j
        return out

    # ------------------------------------------------------------------ hessian
    @property
    def has_hessian(self) -> bool:
        """True: :meth:`hessian` gives the second derivatives analytically.

        Returns
        -------
        bool
            Always True.
        """
        return True

    @staticmethod
    def _d2_gauss(d: NDArray[np.float64], s: float) -> tuple[NDArray[np.float64], ...]:
        """A line integrated over the bins and its derivatives; ``d = edges - mu``.

        Returns ``(G, G_mu, G_s, G_mumu, G_mus, G_ss)``. With ``z = d / s``,
        ``h = exp(-z^2 / 2)`` and ``d_mu e = -d_x e`` for the integrand ``e``:
        ``G_mu = -[h]``, ``G_mumu = -[h z] / s``, ``G_mus = -[h z^2] / s``,
        ``G_s = sqrt(2 pi) [Phi(z)] - [z h]`` and ``G_ss = -[z^3 h] / s``, ``[.]`` the
        difference between a bin's upper and lower edge (at bin centres:
        :meth:`_derivatives_centres`).
        """
        z = d / s
        h = np.exp(-0.5 * z * z)
        big = _SQRT_2PI * np.diff(ndtr(z))
        zh = z * h
        return (
            s * big,
            -np.diff(h),
            big - np.diff(zh),
            -np.diff(zh) / s,
            -np.diff(z * zh) / s,
            -np.diff(z * z * zh) / s,
        )

    def hessian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Second derivatives of the expectation, in the order of :attr:`parameters`.

        The constant and the amplitudes enter linearly (their own second derivatives are
        0); the exponential, each free line with its tied lines and the ratio parameters
        give the rest. Checked against differences of :meth:`jacobian` in the tests.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every parameter.

        Returns
        -------
        ndarray of shape (len(parameters), len(parameters), n_bins)
            ``d^2 expected / d p_i d p_j``, symmetric in ``i, j``.
        """
        if self.evaluation == "centres":
            return self._derivatives_centres(values)[1]
        v = values
        n_par = len(self.parameters)
        out = np.zeros((n_par, n_par, self._n))
        i = 0 if self.constant is None else 1
        if self.exponential is not None:
            ex = self.exponential
            tau, a = v[ex.decay.name], v[ex.amplitude.name]
            u = -self._minus_u
            x = np.exp(-u / tau)
            x1 = x * u / (tau * tau)  # d x / d tau
            x2 = x * (u * u / tau**4 - 2.0 * u / tau**3)
            # integrated: tau (x_lo - x_hi)
            dx, dx1, dx2 = x[:-1] - x[1:], x1[:-1] - x1[1:], x2[:-1] - x2[1:]
            d_a_tau, d_tau_tau = dx + tau * dx1, a * (2.0 * dx1 + tau * dx2)
            out[i, i + 1] = out[i + 1, i] = d_a_tau
            out[i + 1, i + 1] = d_tau_tau
            i += 2
        for ln, children in zip(self.lines, self._children, strict=True):
            a, mu, s = v[ln.amplitude.name], v[ln.mean.name], v[ln.sigma.name]
            _, g_mu, g_s, g_mumu, g_mus, g_ss = self._d2_gauss(self._x - mu, s)
            t_s, t_ss = g_s.copy(), g_ss.copy()
            j = i + 3
            for t, d in children:
                # this tied line per unit parent amplitude: ratio x k(s) x h(s)
                r = v[t.ratio.name] if isinstance(t.ratio, Parameter) else float(t.ratio)
                if t.sigma is None:  # the parent's width: k = 1
                    kh, _, kh_s, _, _, kh_ss = self._d2_gauss(d, s)
                else:
                    sc = float(t.sigma)
                    hc = self._gauss_fixed(d, sc)
                    if t.ratio_of == "area":  # k = s / sc
                        kh, kh_s, kh_ss = hc * (s / sc), hc / sc, np.zeros(self._n)
                    else:
                        kh, kh_s, kh_ss = hc, np.zeros(self._n), np.zeros(self._n)
                t_s += r * kh_s
                t_ss += r * kh_ss
                if isinstance(t.ratio, Parameter):
                    out[i, j] = out[j, i] = kh
                    out[i + 2, j] = out[j, i + 2] = a * kh_s
                    j += 1
            out[i, i + 1] = out[i + 1, i] = g_mu
            out[i, i + 2] = out[i + 2, i] = t_s
            out[i + 1, i + 1] = a * g_mumu
            out[i + 1, i + 2] = out[i + 2, i + 1] = a * g_mus
            out[i + 2, i + 2] = a * t_ss
            i = j
        return out

    def jacobian_and_hessian(
        self, values: Mapping[str, float]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """:meth:`jacobian` and :meth:`hessian` at once (their exponentials shared).

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every parameter.

        Returns
        -------
        jacobian : ndarray of shape (len(parameters), n_bins)
        hessian : ndarray of shape (len(parameters), len(parameters), n_bins)
        """
        if self.evaluation == "centres":
            return self._derivatives_centres(values)
        return self.jacobian(values), self.hessian(values)

    def _derivatives_centres(
        self, v: Mapping[str, float]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """First and second derivatives at the bin centres, each row from the one before.

        With ``u = d / s^2`` (``d = x - mu``): ``g_mu = g u``, ``g_s = g_mu d / s``,
        ``g_mumu = g_mu u - g / s^2``, ``g_mus = g_s u - 2 g_mu / s`` and
        ``g_ss = g_s (d^2 / s^3 - 3 / s)``; a line tied to the width, with its fixed
        ``dc^2``, ``h_s = h dc^2 / s^3`` and ``h_ss = h_s (dc^2 / s^3 - 3 / s)``; the
        exponential ``x = exp(-u / tau)``: ``x_tau = x u / tau^2`` and
        ``x_tautau = x_tau (u / tau^2 - 2 / tau)``.
        """
        fixed = self._tied_constants()
        n_par = len(self.parameters)
        jac = np.empty((n_par, self._n))
        hess = np.zeros((n_par, n_par, self._n))
        i = 0
        if self.constant is not None:
            jac[0] = self._const_row
            i = 1
        if self.exponential is not None:
            ex = self.exponential
            tau, a = v[ex.decay.name], v[ex.amplitude.name]
            kept = self._memo_exp[0]
            x = kept[1] if kept is not None and kept[0] == tau else np.exp(self._minus_u / tau)
            u_t = self._minus_u * (-1.0 / (tau * tau))  # u / tau^2
            x_t = x * u_t
            jac[i] = x
            jac[i + 1] = a * x_t
            hess[i, i + 1] = hess[i + 1, i] = x_t
            hess[i + 1, i + 1] = (a * x_t) * (u_t - 2.0 / tau)
            i += 2
        for ln, children, pre in zip(self.lines, self._children, fixed, strict=True):
            a, mu, s = v[ln.amplitude.name], v[ln.mean.name], v[ln.sigma.name]
            s2 = s * s
            d = self._x - mu
            d2 = d * d
            g = np.exp(d2 * (-0.5 / s2))
            u = d * (1.0 / s2)
            g_mu = g * u
            g_s = g_mu * d * (1.0 / s)
            t = g.copy()
            t_s = g_s.copy()
            t_ss = g_s * (d2 * (1.0 / (s2 * s)) - 3.0 / s)
            j = i + 3
            for (tl, _), (dc2, gfix) in zip(children, pre, strict=True):
                r = v[tl.ratio.name] if isinstance(tl.ratio, Parameter) else float(tl.ratio)
                if gfix is None:  # the parent's width
                    kh = np.exp(dc2 * (-0.5 / s2))
                    kh_s = kh * dc2 * (1.0 / (s2 * s))
                    t_ss += r * (kh_s * (dc2 * (1.0 / (s2 * s)) - 3.0 / s))
                elif tl.ratio_of == "area":  # k = s / sc
                    sc = float(tl.sigma)  # type: ignore[arg-type]
                    kh, kh_s = gfix * (s / sc), gfix * (1.0 / sc)
                else:
                    kh, kh_s = gfix, None
                t += r * kh
                if kh_s is not None:
                    t_s += r * kh_s
                if isinstance(tl.ratio, Parameter):
                    jac[j] = a * kh
                    hess[i, j] = hess[j, i] = kh
                    if kh_s is not None:
                        hess[i + 2, j] = hess[j, i + 2] = a * kh_s
                    j += 1
            jac[i], jac[i + 1], jac[i + 2] = t, a * g_mu, a * t_s
            hess[i, i + 1] = hess[i + 1, i] = g_mu
            hess[i, i + 2] = hess[i + 2, i] = t_s
            hess[i + 1, i + 1] = a * (g_mu * u - g * (1.0 / s2))
            hess[i + 1, i + 2] = hess[i + 2, i + 1] = a * (g_s * u - g_mu * (2.0 / s))
            hess[i + 2, i + 2] = a * t_ss
            i = j
        return jac, hess
