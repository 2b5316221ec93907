"""Fits on top of Minuit: migrad, hesse, optional minos, multi-start, a labelled result.

:func:`fit` accepts any iminuit cost (an
:class:`~cevns.likelihood.experiment.ExperimentCost`, a sum of
them, plus iminuit's own constraints). Start values, limits and default-fixed parameters
come from the cevns costs; anything else must be given. A fit that does not converge is
reported as invalid (``FitResult.valid``), with a :class:`FitWarning`; it is never silent.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from iminuit import Minuit
from iminuit.cost import Cost, CostSum
from iminuit.warnings import IMinuitWarning
from numpy.typing import NDArray

from cevns.core._validation import unknown_name
from cevns.core.exceptions import InvalidParameterError

__all__ = ["FitResult", "FitWarning", "PointFitter", "fit", "parameter_info"]


def __dir__() -> list[str]:
    return __all__


@contextlib.contextmanager
def _quiet_minuit() -> Iterator[None]:
    """Minuit prints nothing during a cevns fit, not even its error-level lines.

    Minuit2 writes those to the C++ standard output (past Python's streams, warnings and
    logging, and through ``cevns ... --quiet``) for conditions it recovers from, such as
    "Initial matrix not pos.def." when a start sits where the curvature is negative; what
    decides a fit's validity is reported by :class:`FitResult` (``valid``, ``message``)
    and :class:`FitWarning`. The level is restored on exit, so Minuit objects of the
    user's own keep theirs. It is one level per thread in the Minuit2 iminuit bundles (its
    docs say per process), so fits in several threads (a dask worker) each set and restore
    their own.
    """
    level = Minuit.print_level  # the property; the value is not the instance's
    assert level.fget is not None
    assert level.fset is not None
    old = level.fget(None)
    level.fset(None, -1)
    try:
        yield
    finally:
        level.fset(None, old)


class FitWarning(UserWarning):
    """A fit did not converge or its covariance is not accurate."""


@dataclass(frozen=True)
class FitResult:
    """Result of :func:`fit`.

    Attributes
    ----------
    values, errors : dict
        Best-fit values and parabolic (Hesse) errors of all parameters (0 for fixed ones).
    minos : dict
        ``name -> (lower, upper)`` asymmetric errors where Minos ran.
    fixed : tuple of str
    fval : float
        Minimum of the cost: chi^2, or -2 ln(L/L_sat) for Poisson likelihoods.
    ndata, nfree, ndof : int
        ``ndof = ndata - nfree`` (pull terms are not counted as data).
    pvalue : float
        chi^2 survival function of ``fval`` at ``ndof``.
    valid : bool
        Minuit's validity of the minimum (and of the covariance if Hesse ran).
    covariance : ndarray or None
        Covariance of the free parameters, ordered as ``free``.
    expected : dict
        Per experiment: ``{"signal": total, "background": total}`` at the minimum.
    units : dict
        Unit of each parameter and of each experiment's counts, where the costs state one.
    message : str
        Minuit's diagnosis when the minimum is not valid (``""`` otherwise).
    nfcn : int
        Number of cost evaluations.
    edm : float
        Estimated distance to the minimum.
    free : tuple of str
        Names of the free parameters (the order of ``covariance``).
    minuit : iminuit.Minuit or None
        The minimiser, for further Minuit calls (not serialised).
    """

    values: dict[str, float]
    errors: dict[str, float]
    fixed: tuple[str, ...]
    fval: float
    ndata: int
    nfree: int
    valid: bool
    message: str
    nfcn: int
    edm: float
    covariance: NDArray[np.float64] | None = None
    free: tuple[str, ...] = ()
    minos: dict[str, tuple[float, float]] = field(default_factory=dict)
    expected: dict[str, dict[str, float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    minuit: Minuit | None = field(default=None, repr=False, compare=False)

    @property
    def ndof(self) -> int:
        """Degrees of freedom: bins minus free parameters."""
        return self.ndata - self.nfree

    @property
    def pvalue(self) -> float:
        """chi^2 p-value of the minimum (nan if ndof <= 0)."""
        from scipy.special import chdtrc  # chi^2 survival function (not scipy.stats: 0.4 s)

        return float(chdtrc(self.ndof, self.fval)) if self.ndof > 0 else math.nan

    @property
    def n_signal(self) -> float:
        """Total expected signal summed over experiments."""
        return float(sum(e["signal"] for e in self.expected.values()))

    @property
    def n_background(self) -> float:
        """Total expected background summed over experiments."""
        return float(sum(e["background"] for e in self.expected.values()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (the format of ``cevns fit --json``)."""
        return {
            "fval": self.fval,
            "chi2": self.fval,
            "ndof": self.ndof,
            "ndata": self.ndata,
            "nfree": self.nfree,
            "pvalue": self.pvalue,
            "valid": self.valid,
            "message": self.message,
            "nfcn": self.nfcn,
            "parameters": {
                k: {"value": v, "error": self.errors.get(k, 0.0), "fixed": k in self.fixed}
                | ({"minos": list(self.minos[k])} if k in self.minos else {})
                for k, v in self.values.items()
            },
            "n_signal": self.n_signal,
            "n_background": self.n_background,
            "expected": self.expected,
            "units": self.units,
        }

    def table(self) -> str:
        """Plain-text table of the result."""
        head = "VALID" if self.valid else f"INVALID ({self.message})"
        lines = [
            f"fit {head}: fval = {self.fval:.4f}, ndof = {self.ndof}, p = {self.pvalue:.3g}, "
            f"{self.nfcn} calls",
        ]
        w = max([4, *(len(self.units.get(k, "")) for k in self.values)])
        lines.append(f"{'parameter':32s} {'value':>14s} {'error':>12s}  {'unit':{w}s}  note")
        for k, v in self.values.items():
            note = "fixed" if k in self.fixed else ""
            if k in self.minos:
                lo, hi = self.minos[k]
                note = f"minos {lo:+.4g} / {hi:+.4g}"
            err = self.errors.get(k, 0.0)
            unit = self.units.get(k, "")
            lines.append(f"{k:32s} {v:14.6g} {err:12.4g}  {unit:{w}s}  {note}".rstrip())
        for name, e in self.expected.items():
            unit = self.units.get(name, "")
            lines.append(
                f"{name}: signal {e['signal']:.2f}, background {e['background']:.2f}"
                + (f" [{unit}, summed over bins]" if unit else "")
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_markdown_(self) -> str:
        return "```\n" + self.table() + "\n```"


def _components(cost: Any) -> list[Any]:
    if isinstance(cost, CostSum):
        return list(cost)
    return [cost]


def parameter_info(cost: Any) -> tuple[dict[str, float], set[str], dict[str, float]]:
    """Defaults, default-fixed names and steps known for the parameters of ``cost``.

    Parameters
    ----------
    cost : iminuit cost
        An experiment cost or a sum of costs.

    Returns
    -------
    defaults : dict of str -> float
        Start value of each parameter (the first component that declares it wins).
    fixed : set of str
        Parameters fixed by default.
    steps : dict of str -> float
        Initial Minuit step of each parameter.
    """
    defaults: dict[str, float] = {}
    fixed: set[str] = set()
    steps: dict[str, float] = {}
    for comp in _components(cost):
        for p in getattr(comp, "parameter_objects", ()):
            defaults.setdefault(p.name, p.value)
            steps.setdefault(p.name, p.step)
            if p.fixed:
                fixed.add(p.name)
    return defaults, fixed, steps


def structural_names(cost: Any) -> set[str]:
    """Parameters of ``cost`` whose change rebuilds templates (see ``Parameter.structural``)."""
    return {
        p.name
        for comp in _components(cost)
        for p in getattr(comp, "parameter_objects", ())
        if getattr(p, "structural", False)
    }


def _names(cost: Any) -> tuple[str, ...]:
    if isinstance(cost, Cost):
        return tuple(cost._parameters)
    from iminuit.util import describe

    return tuple(describe(cost))


@_quiet_minuit()
def fit(
    cost: Any,
    *,
    start: Mapping[str, float] | None = None,
    fix: Mapping[str, float] | Iterable[str] | None = None,
    free: Iterable[str] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    minos: bool | Sequence[str] = False,
    multistart: int | Sequence[Mapping[str, float]] = 0,
    seed: int = 0,
    strategy: int = 1,
    tol: float = 0.01,
    hesse: bool = True,
    ncall: int | None = None,
    warn: bool = True,
    profile_linear: bool | None = None,
    separate: bool = True,
    gradient: bool = False,
    details: bool = True,
) -> FitResult:
    """Minimise a cost with Minuit and return a :class:`FitResult`.

    Parameters
    ----------
    cost : iminuit cost
        E.g. ``experiment.cost("sm")`` or a sum of costs.
    start : mapping, optional
        Start values (defaults from the cevns costs).
    fix : mapping or iterable, optional
        Parameters to fix (at the given value, or at their start value).
    free : iterable, optional
        Parameters fixed by default (e.g. ``mediator_mass_mev``) to release.
    limits : mapping, optional
        Override limits.
    minos : bool or sequence of str
        Run Minos on all free parameters or on the named ones.
    multistart : int or sequence of mappings
        Extra starting points (random within finite limits, seeded) or explicit ones; the
        lowest valid minimum wins.
    seed : int
        Seed of the random starting points.
    strategy, tol : Minuit settings.
    hesse : bool
        Run Hesse after Migrad.
    ncall : int, optional
        Call limit of Migrad.
    warn : bool
        Emit :class:`FitWarning` for an invalid minimum.
    profile_linear : bool, optional
        Solve the parameters that enter linearly (signal normalisations, background
        amplitudes) exactly inside the cost (:mod:`cevns.likelihood.profiled`): Minuit sees
        only the others. The result carries all parameters, with the full covariance; the
        minimum is the same as without (parameters that are fixed, freed from a default,
        given limits or asked for Minos stay with Minuit). ``None`` (default): in the
        chi^2 experiments (an exact linear solve, cheaper than the Minuit calls it saves),
        not in the Poisson ones (Newton steps at every call cost more than they save on
        the COHERENT likelihoods); ``True`` in both; ``False`` nowhere.
    separate : bool
        A sum of costs whose parts share no free parameter (a combination at fixed physics
        parameters, every point of a scan) is minimised part by part: the same minimum,
        with smaller Minuit problems. The result is assembled (fval and counts summed,
        block-diagonal covariance); ``minuit`` is then ``None``.
    gradient : bool
        Give Migrad the analytic gradient of the cost (``cost.grad``, see
        :meth:`cevns.likelihood.experiment.ExperimentCost.gradient`) where every part has
        one and the mediator mass is fixed; elsewhere (and by default) Minuit differentiates
        numerically. Where every part also has an analytic Hessian
        (:meth:`~cevns.likelihood.experiment.ExperimentCost.analytic_hessian`; the
        profiled cost's is its Schur complement) and neither Minos nor extra starts are
        asked for, Migrad's seed and Hesse use it too: a few Newton-like steps instead of
        numerical second derivatives (the Dresden-II SM fit: 7 calls, 4 gradients and 2
        Hessians instead of 93 calls), the errors from the exact Hessian, and the profiled
        parameters' covariance from ``d a*/d theta = -H_aa^-1 H_a theta``. That Minuit
        sees the free parameters only (``minuit.parameters``; root#20954 mixes up the
        rows of an external Hessian with fixed parameters). Where its minimum or
        covariance is not valid (a parameter ending on a limit, root#22700; a nearly flat
        direction) the fit is run again with the gradient alone, as without a Hessian.
    details : bool
        Compute what a scan point does not use: the errors and covariance of the profiled
        linear parameters (``nan`` errors and no covariance without) and the expected
        counts per experiment (``expected`` empty without). The minimum, values and
        validity are the same either way.

    Returns
    -------
    FitResult

    Raises
    ------
    InvalidParameterError
        Unknown parameter names, missing start values, start values outside the limits.
    """
    options: dict[str, Any] = {
        "start": start,
        "fix": fix,
        "free": free,
        "limits": limits,
        "minos": minos,
        "multistart": multistart,
        "seed": seed,
        "strategy": strategy,
        "tol": tol,
        "hesse": hesse,
        "ncall": ncall,
        "warn": warn,
        "gradient": gradient,
        "details": details,
    }
    if separate and isinstance(cost, CostSum):
        groups = _independent_groups(cost, start=start, fix=fix, free=free)
        if len(groups) > 1:
            return _fit_groups(cost, groups, profile_linear=profile_linear, **options)
    if profile_linear or profile_linear is None:
        return _fit_profiled(cost, poisson=profile_linear is True, separate=separate, **options)
    names = _names(cost)
    defaults, fixed_default, steps = parameter_info(cost)
    start = dict(start or {})
    for k in start:
        if k not in names:
            raise unknown_name("parameter", k, names)
    values = {n: start.get(n, defaults.get(n, math.nan)) for n in names}
    missing = [n for n, v in values.items() if not np.isfinite(v)]
    if missing:
        msg = f"no start value for parameters {missing}; give them in start="
        raise InvalidParameterError(msg)
    fixed_now = set(fixed_default)
    for n in free or ():
        if n not in names:
            raise unknown_name("parameter", n, names)
        fixed_now.discard(n)
    if fix is not None:
        items = fix.items() if isinstance(fix, Mapping) else ((n, None) for n in fix)
        for n, v in items:
            if n not in names:
                raise unknown_name("parameter", n, names)
            fixed_now.add(n)
            if v is not None:
                values[n] = float(v)
    use_grad = _gradient_for(cost, gradient, names, fixed_now)
    second = None
    if use_grad and _second_order(cost, names, fixed_now, minos, multistart):
        second = _fit_second_order(
            cost,
            names=names,
            values=values,
            fixed=fixed_now,
            steps=steps,
            limits=limits,
            strategy=strategy,
            tol=tol,
            hesse=hesse,
            ncall=ncall,
            details=details,
        )
    if second is not None:
        return second
    m = Minuit(cost, **values, grad=use_grad)
    if getattr(cost, "errordef", None) is None:
        m.errordef = Minuit.LEAST_SQUARES
    m.strategy = strategy
    m.tol = tol
    for n, s in steps.items():
        if n in names:
            m.errors[n] = s
    for n, lim in (limits or {}).items():
        if n not in names:
            raise unknown_name("parameter", n, names)
        m.limits[n] = lim
    _check_start(names, [values[n] for n in names], [m.limits[n] for n in names])
    for n in fixed_now:
        m.fixed[n] = True
    free_names = [n for n in names if not m.fixed[n]]

    starts: list[dict[str, float]] = []
    if isinstance(multistart, int):
        rng = np.random.default_rng(seed)
        for _ in range(multistart):
            p = dict(values)
            for n in free_names:
                lo, hi = m.limits[n]
                if np.isfinite(lo) and np.isfinite(hi):
                    p[n] = float(rng.uniform(lo, hi))
                else:
                    p[n] = float(values[n] + rng.normal(0.0, 3.0 * m.errors[n]))
            starts.append(p)
    else:
        starts.extend(dict(values) | dict(extra) for extra in multistart)

    m.migrad(ncall=ncall)
    best = m
    # the extra starts share two Minuit objects, configured once (before their first
    # migrad: the state reset() restores) and given each start's values; the one holding
    # the best minimum so far is kept aside
    spares: list[Minuit] = []
    for st in starts:
        mi = next((s for s in spares if s is not best), None)
        if mi is None:
            mi = Minuit(cost, **st, grad=use_grad)
            if getattr(cost, "errordef", None) is None:
                mi.errordef = Minuit.LEAST_SQUARES
            mi.strategy, mi.tol = strategy, tol
            for n in names:
                mi.limits[n] = m.limits[n]
                if m.errors[n] > 0:  # Minuit may report 0 for a parameter sitting on a limit
                    mi.errors[n] = m.errors[n]
                mi.fixed[n] = m.fixed[n]
            spares.append(mi)
        else:
            mi.reset()
            mi.values = [st[n] for n in names]
        mi.migrad(ncall=ncall)
        if mi.valid and (not best.valid or mi.fval < best.fval - 1e-9):
            best = mi
    m = best
    if hesse and m.valid and free_names:
        m.hesse()
    minos_names: list[str] = []
    if minos:
        minos_names = list(free_names) if isinstance(minos, bool) else list(minos)
        for n in minos_names:
            if n not in free_names:
                msg = f"minos requested for {n!r}, which is not a free parameter"
                raise InvalidParameterError(msg)
        if m.valid:
            m.minos(*minos_names)
    valid = bool(m.valid and (not hesse or m.fmin.has_accurate_covar or not free_names))
    if not free_names:
        # nothing for Minuit to move (all fixed or profiled): the value is the minimum, and
        # Minuit's verdict is not one (it reports the value as the EDM, so a chi^2 of
        # -1e-14, an exact 0 rounded, would read as invalid)
        valid = math.isfinite(m.fval)
    message = "ok" if valid else _describe_problem(m)
    if not valid and warn:
        warnings.warn(f"fit did not converge: {message}", FitWarning, stacklevel=2)
    res_values = {n: float(m.values[n]) for n in names}
    expected = _expected_totals(cost, res_values) if details else {}
    cov = None
    if m.covariance is not None and free_names:
        # by position: indexing Minuit's matrix by name costs ~15 us per element
        where = [names.index(n) for n in free_names]
        cov = np.array(np.asarray(m.covariance)[np.ix_(where, where)], dtype=np.float64)
    minos_out = {}
    for n in minos_names:
        if m.merrors and n in m.merrors:
            me = m.merrors[n]
            minos_out[n] = (float(me.lower), float(me.upper))
    return FitResult(
        values=res_values,
        errors={n: (0.0 if m.fixed[n] else float(m.errors[n])) for n in names},
        fixed=tuple(n for n in names if m.fixed[n]),
        fval=float(m.fval),
        ndata=_ndata(cost),
        nfree=len(free_names),
        valid=valid,
        message=message,
        nfcn=int(m.nfcn),
        edm=float(m.fmin.edm),
        covariance=cov,
        free=tuple(free_names),
        minos=minos_out,
        expected=expected,
        units=_units(cost),
        minuit=m,
    )


def _check_start(names: Sequence[str], values: Sequence[float], limits: Any) -> None:
    """Refuse a start value outside its parameter's limits (``limits`` in ``names`` order)."""
    for n, x, (lo, hi) in zip(names, values, limits, strict=True):
        if not lo <= x <= hi:
            msg = f"start value of {n!r} = {x!r} is outside its limits [{lo}, {hi}]"
            raise InvalidParameterError(msg)


def _has_analytic_hessian(cost: Any) -> bool:
    """Whether every part of ``cost`` has an ``analytic_hessian`` (see :func:`fit`)."""
    if isinstance(cost, CostSum):
        return all(_has_analytic_hessian(c) for c in cost)
    return bool(getattr(cost, "has_analytic_hessian", False))


def _analytic_hessian(cost: Any, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The analytic Hessian of ``cost`` (a sum: its parts' added on their parameters)."""
    if isinstance(cost, CostSum):
        out = np.zeros((x.size, x.size))
        for part, where in zip(cost, cost._maps, strict=True):
            idx = np.asarray(where, dtype=np.intp)
            out[np.ix_(idx, idx)] += _analytic_hessian(part, x[idx])
        return out
    return np.asarray(cost.analytic_hessian(*x), dtype=np.float64)


def _second_order(
    cost: Any,
    names: Sequence[str],
    fixed: set[str],
    minos: bool | Sequence[str],
    multistart: int | Sequence[Mapping[str, float]],
) -> bool:
    """Whether :func:`fit` gives Minuit the analytic Hessian (``gradient=True``, see there).

    Where every part has one, something is free, and neither Minos nor extra starts are
    asked for (they run on the full parameter set's Minuit).
    """
    if minos or (multistart if isinstance(multistart, int) else len(multistart)):
        return False
    return len(fixed) < len(names) and _has_analytic_hessian(cost)


class _FreeParameters:
    """``cost`` as a function of its free parameters alone, the fixed ones held at values.

    The Minuit of :func:`_fit_second_order`: with an external Hessian, Minuit2 (iminuit
    2.33) mixes up the rows of a problem with fixed parameters (root#20954; the errors of
    a 5-parameter test with its first one fixed came out 45 % off), so it sees none. The
    gradient and the Hessian are the cost's, at the full point, cut to the free rows.
    """

    def __init__(
        self,
        cost: Any,
        names: Sequence[str],
        free: Sequence[str],
        values: Mapping[str, float],
        limits: Mapping[str, tuple[float, float]],
    ) -> None:
        self.cost = cost
        self._x = np.array([values[n] for n in names], dtype=np.float64)
        self._free = np.array([names.index(n) for n in free], dtype=np.intp)
        self._cut = np.ix_(self._free, self._free)
        self._grad = _FixedMassGradient(cost) if "mediator_mass_mev" in names else cost.grad
        self.hessian_at: tuple[float, ...] | None = None  # where the Hessian was last taken
        # the free parameters and their limits: what iminuit's describe reads first
        self._parameters = {n: limits[n] for n in free}

    def _full(self, args: Sequence[float]) -> NDArray[np.float64]:
        x = self._x.copy()
        x[self._free] = args
        return x

    def __call__(self, *args: float) -> float:
        return float(self.cost(*self._full(args)))

    def grad(self, *args: float) -> NDArray[np.float64]:
        return np.asarray(self._grad(*self._full(args)), dtype=np.float64)[self._free]

    def hessian(self, *args: float) -> NDArray[np.float64]:
        self.hessian_at = args
        return _analytic_hessian(self.cost, self._full(args))[self._cut]

    def g2(self, *args: float) -> NDArray[np.float64]:
        """The Hessian's diagonal, for Minuit2's seed where the Hessian is not convex.

        iminuit 2.33 then calls its G2, a null callable without one, and raises
        ``'NoneType' object is not callable`` (see :func:`_fit_second_order`).
        """
        return np.array(np.diag(self.hessian(*args)))


def _cost_limits(
    cost: Any, names: Sequence[str], limits: Mapping[str, tuple[float, float]] | None
) -> dict[str, tuple[float, float]]:
    """Each parameter's limits: the cost's (``(-inf, inf)`` for none), then ``limits``."""
    declared = getattr(cost, "_parameters", {})
    out: dict[str, tuple[float, float]] = {}
    for n in names:
        lim = declared.get(n)
        out[n] = (-math.inf, math.inf) if lim is None else (float(lim[0]), float(lim[1]))
    for n, lim in (limits or {}).items():
        if n not in out:
            raise unknown_name("parameter", n, names)
        out[n] = (float(lim[0]), float(lim[1]))
    return out


def _fit_second_order(
    cost: Any,
    *,
    names: Sequence[str],
    values: Mapping[str, float],
    fixed: set[str],
    steps: Mapping[str, float],
    limits: Mapping[str, tuple[float, float]] | None,
    strategy: int,
    tol: float,
    hesse: bool,
    ncall: int | None,
    details: bool,
) -> FitResult | None:
    """:func:`fit` with the analytic gradient and Hessian given to Migrad and Hesse.

    Migrad's seed is the exact Hessian (no numerical second derivatives), its steps are
    Newton-like from there, and Hesse is one call of the Hessian; the Minuit sees only the
    free parameters (:class:`_FreeParameters`). ``None`` when the minimum or its
    covariance is not valid: the caller then runs the fit with the gradient alone, from
    the same start, so a fit is never judged differently for having the Hessian. That
    happens
    - with a parameter that ends on a limit: Minuit2 (iminuit 2.33) maps an external
      Hessian to its internal coordinates without the ``g d^2x/dq^2`` term (root#22700),
      zero only where the gradient is, so the EDM there is wrong (21 against a goal of
      2e-5 on a toy of tests/test_hessians.py);
    - along a nearly flat direction (the u and d couplings of one NGI kind on
      germanium): the exact Hessian is close to singular and MnHesse forces it positive
      definite, where numerical derivatives, lifted by their noise, pass.
    """
    lims = _cost_limits(cost, names, limits)
    _check_start(names, [values[n] for n in names], [lims[n] for n in names])
    free = [n for n in names if n not in fixed]
    m, view = _second_order_minuit(cost, names, free, values, lims, steps, strategy, tol)
    m.migrad(ncall=ncall)
    if not m.valid:
        return None
    # Migrad (strategy >= 1) ends with Hesse at its minimum: the covariance is then the
    # exact Hessian's at that point, which hesse() would compute again
    at_minimum = view.hessian_at is not None and list(view.hessian_at) == list(m.values)
    if hesse and not (at_minimum and m.fmin.has_accurate_covar):
        m.hesse()
    if not (m.valid and (not hesse or m.fmin.has_accurate_covar)):
        return None  # Hesse's EDM from the same mapping (above), or a singular Hessian
    found = dict(zip(free, (float(v) for v in m.values), strict=True))
    res_values = {n: found.get(n, float(values[n])) for n in names}
    errors = dict(zip(free, (float(e) for e in m.errors), strict=True))
    covariance = m.covariance  # a new matrix object at every access
    cov = None if covariance is None else np.array(covariance, dtype=np.float64)
    return FitResult(
        values=res_values,
        errors={n: errors.get(n, 0.0) for n in names},
        fixed=tuple(n for n in names if n in fixed),
        fval=float(m.fval),
        ndata=_ndata(cost),
        nfree=len(free),
        valid=True,
        message="ok",
        nfcn=int(m.nfcn),
        edm=float(m.fmin.edm),
        covariance=cov,
        free=tuple(free),
        expected=_expected_totals(cost, res_values) if details else {},
        units=_units(cost),
        minuit=m,
    )


def _second_order_minuit(
    cost: Any,
    names: Sequence[str],
    free: Sequence[str],
    values: Mapping[str, float],
    limits: Mapping[str, tuple[float, float]],
    steps: Mapping[str, float],
    strategy: int,
    tol: float,
) -> tuple[Minuit, _FreeParameters]:
    """A Minuit of the free parameters given the cost's gradient and Hessian, configured."""
    view = _FreeParameters(cost, names, free, values, limits)
    with warnings.catch_warnings():
        # "hessian overrides g2, passing g2 has no effect": not so where the Hessian at
        # the start is not positive definite (a coupling fit from 0, where the counts'
        # curvature times a deficit of events makes it negative): Minuit2 then seeds from
        # G2 and would call a missing one
        warnings.filterwarnings("ignore", "hessian overrides g2", IMinuitWarning)
        m = Minuit(
            view, *[values[n] for n in free], grad=view.grad, hessian=view.hessian, g2=view.g2
        )
    m.errordef = getattr(cost, "errordef", None) or Minuit.LEAST_SQUARES
    m.strategy, m.tol = strategy, tol
    m.errors = [steps.get(n, m.errors[n]) for n in free]
    # the limits are the view's: iminuit reads them from its _parameters
    return m, view


def _is_second_order(m: Minuit | None) -> bool:
    """Whether ``m`` is the Minuit of :func:`_fit_second_order` (given the Hessian)."""
    return isinstance(getattr(getattr(m, "fcn", None), "_fcn", None), _FreeParameters)


def _ndata(cost: Any) -> int:
    """Bins of all parts (pull terms are not data)."""
    return int(
        sum(
            getattr(c, "ndata", 0) for c in _components(cost) if np.isfinite(getattr(c, "ndata", 0))
        )
    )


class _FixedMassGradient:
    """The cost's analytic gradient in a fit that holds the mediator mass fixed.

    Minuit does not read a fixed parameter's component, so the experiment costs skip the
    mediator mass's central difference (two template builds per mass) during the call; the
    component is then 0.
    """

    def __init__(self, cost: Any) -> None:
        from cevns.likelihood.profiled import ProfiledCost

        self.cost = cost
        self._parts = [
            p.cost if isinstance(p, ProfiledCost) else p
            for p in _components(cost)
            if hasattr(p, "_grad_mass") or isinstance(p, ProfiledCost)
        ]

    def __call__(self, *args: float) -> NDArray[np.float64]:
        parts = self._parts
        for p in parts:
            p._grad_mass = False
        try:
            return np.asarray(self.cost.grad(*args), dtype=np.float64)
        finally:
            for p in parts:
                p._grad_mass = True


def _gradient_for(
    cost: Any, gradient: bool, names: Sequence[str], fixed: set[str]
) -> bool | _FixedMassGradient:
    """Minuit's ``grad``: False, True (the cost's own) or a mass-fixed one.

    With the mediator mass held fixed, :class:`_FixedMassGradient` skips its central
    difference (Minuit does not read that component).
    """
    if not _use_gradient(cost, gradient, names, fixed):
        return False
    return _FixedMassGradient(cost) if "mediator_mass_mev" in names else True


def _use_gradient(cost: Any, gradient: bool, names: Sequence[str], fixed: set[str]) -> bool:
    """Whether Migrad gets the cost's analytic gradient (see :func:`fit`, ``gradient``)."""
    if not gradient or not getattr(cost, "has_grad", False):
        return False
    # the mediator mass has only a finite-difference derivative (templates at new masses)
    return "mediator_mass_mev" not in names or "mediator_mass_mev" in fixed


class PointFitter:
    """Fits of one cost at many points of fixed parameters, with one Minuit object.

    What :func:`cevns.stats.scan.profile_scan` runs at each grid point: the minimum of
    ``fit(cost, start=start, fix=fix, free=free, hesse=False, warn=False, details=False,
    profile_linear=..., strategy=..., tol=..., gradient=...)`` (the same numbers) without
    building the reduced cost and the Minuit object at every point: the object is reset to
    its configured state (steps, limits, fixed parameters) and given the point's start
    values. A sum of costs that :func:`fit` splits into independent parts (at fixed shared
    parameters) gets one object per part, minimised in :func:`fit`'s order and summed as
    it sums them.

    Parameters
    ----------
    cost : iminuit cost
    fixed : iterable of str
        Parameters held fixed at every point (their values come with each point).
    free : iterable of str
        Default-fixed parameters to release.
    profile_linear : bool, optional
        As for :func:`fit`.
    strategy, tol, gradient : int, float, bool
        Migrad's settings, as for :func:`fit`. With ``gradient`` and an analytic Hessian
        in every part, each point is minimised as ``fit(gradient=True)`` does (the
        Hessian given to Migrad, on a Minuit of the free parameters); a point whose
        minimum is not valid that way is minimised again with the gradient alone.
    split : bool
        Split a sum into its independent parts (``fit(separate=True)``, the default).
    """

    def __init__(
        self,
        cost: Any,
        *,
        fixed: Iterable[str],
        free: Iterable[str] = (),
        profile_linear: bool | None = None,
        strategy: int = 1,
        tol: float = 0.01,
        gradient: bool = False,
        split: bool = True,
    ) -> None:
        from cevns.likelihood.profiled import ProfiledCost

        fixed, free = set(fixed), list(free)
        self.cost = cost
        self._all = _names(cost)
        self._groups: list[PointFitter] = []
        groups = (
            _independent_groups(cost, start=None, fix=fixed, free=free)
            if isinstance(cost, CostSum) and split
            else []
        )
        if len(groups) > 1:  # as _fit_groups: each part by itself, not split again
            parts = list(cost)
            for group in groups:
                sub = parts[group[0]] if len(group) == 1 else CostSum(*(parts[k] for k in group))
                own = set(_names(sub))
                self._groups.append(
                    PointFitter(
                        sub,
                        fixed=fixed & own,
                        free=[n for n in free if n in own],
                        profile_linear=profile_linear,
                        strategy=strategy,
                        tol=tol,
                        gradient=gradient,
                        split=False,
                    )
                )
            return
        target, self._parts = cost, []
        if profile_linear or profile_linear is None:
            _, fixed_default, _ = parameter_info(cost)
            keep = frozenset((set(fixed_default) - set(free)) | fixed)
            reduced, profiled = _reduced_cost(cost, keep, profile_linear is True)
            if profiled:
                target = reduced
                self._parts = [c for c in _components(reduced) if isinstance(c, ProfiledCost)]
        names = _names(target)
        defaults, fixed_default, steps = parameter_info(target)
        fixed_now = (set(fixed_default) - set(free)) | fixed
        use_grad = _gradient_for(target, gradient, names, fixed_now)
        # as in fit(): configured before the first migrad, this is the state reset() restores
        m = Minuit(target, **{n: defaults[n] for n in names}, grad=use_grad)
        if getattr(target, "errordef", None) is None:
            m.errordef = Minuit.LEAST_SQUARES
        m.strategy, m.tol = strategy, tol
        for n, step in steps.items():
            if n in names:
                m.errors[n] = step
        for n in fixed_now:
            m.fixed[n] = True
        self._m, self._names, self._defaults = m, names, defaults
        self._n_free = sum(not m.fixed[n] for n in names)
        self._target = target
        self._limits = [tuple(m.limits[n]) for n in names]
        # the second-order Minuit (see fit(gradient=True)): configured once, like m
        self._so: tuple[Minuit, _FreeParameters, list[int]] | None = None
        free_names = [n for n in names if not m.fixed[n]]
        if use_grad and free_names and _has_analytic_hessian(target):
            lims = dict(zip(names, self._limits, strict=True))
            so, view = _second_order_minuit(
                target, names, free_names, defaults, lims, steps, strategy, tol
            )
            self._so = (so, view, [names.index(n) for n in free_names])

    @_quiet_minuit()
    def fit(
        self, start: Mapping[str, float], values: Mapping[str, float]
    ) -> tuple[float, bool, dict[str, float]]:
        """The minimum at one point.

        Parameters
        ----------
        start : mapping
            Start values (e.g. the previous point's minimum); missing ones take defaults.
        values : mapping
            Values of the fixed parameters at this point (they override ``start``).

        Returns
        -------
        fval : float
        valid : bool
        values : dict of str -> float
            Every parameter of the cost, the profiled ones included.
        """
        if self._groups:
            found: dict[str, float] = {}
            fvals, valid = [], True
            for g in self._groups:
                f, ok, part = g.fit(start, values)
                fvals.append(f)
                valid = valid and ok
                found.update(part)
            return float(sum(fvals)), valid, {n: found[n] for n in self._all}
        m = self._m
        m.reset()
        for pc in self._parts:  # a new ProfiledCost's state, as fit() gives it
            pc._start = pc._full[pc._lin_pos].copy()
            pc._last_solve = None
        point = dict(start) | dict(values)
        vals = [float(point.get(n, self._defaults[n])) for n in self._names]
        _check_start(self._names, vals, self._limits)
        second = _second_order_point(self, vals) if self._n_free and self._so else None
        if second is not None:
            fval, valid, res = second
        elif self._n_free:
            m.values = vals
            m.migrad()
            res = {n: float(v) for n, v in zip(self._names, m.values, strict=True)}
            fval, valid = float(m.fval), bool(m.valid)
        else:
            # nothing free for Minuit (all fixed or profiled): the one evaluation Migrad
            # would make is the minimum, valid when finite (as in fit())
            res = dict(zip(self._names, vals, strict=True))
            fval = float(self._target(*vals))
            valid = math.isfinite(fval)
        out = dict(res)
        for pc in self._parts:
            out.update(pc.full_values(res))
        return fval, valid, {n: out[n] for n in self._all}


def _second_order_point(
    fitter: PointFitter, vals: Sequence[float]
) -> tuple[float, bool, dict[str, float]] | None:
    """A point minimised with the Hessian (``fitter._so``); ``None`` if not valid so."""
    assert fitter._so is not None
    so, view, where = fitter._so
    so.reset()
    view._x = np.array(vals, dtype=np.float64)  # the fixed values of this point
    so.values = [vals[i] for i in where]
    so.migrad()
    if not so.valid:  # the caller starts again with the gradient alone (as fit() does)
        for pc in fitter._parts:
            pc._start = pc._full[pc._lin_pos].copy()
            pc._last_solve = None
        return None
    res = dict(zip(fitter._names, vals, strict=True))
    res.update(zip(view._parameters, (float(v) for v in so.values), strict=True))
    return float(so.fval), True, res


def _independent_groups(
    cost: CostSum,
    *,
    start: Mapping[str, float] | None,
    fix: Mapping[str, float] | Iterable[str] | None,
    free: Iterable[str] | None,
) -> list[list[int]]:
    """Indices of the parts of ``cost`` grouped by the free parameters they share."""
    names = _names(cost)
    _, fixed_default, _ = parameter_info(cost)
    for n in [*(start or {}), *(free or ()), *(fix or ())]:
        if n not in names:
            raise unknown_name("parameter", n, names)
    fixed = (set(fixed_default) - set(free or ())) | set(fix or ())
    parts = list(cost)
    owner: dict[str, int] = {}
    parent = list(range(len(parts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, part in enumerate(parts):
        for n in _names(part):
            if n in fixed:
                continue
            if n in owner:
                parent[root(k)] = root(owner[n])
            else:
                owner[n] = k
    groups: dict[int, list[int]] = {}
    for k in range(len(parts)):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


def _fit_groups(
    cost: CostSum,
    groups: Sequence[Sequence[int]],
    *,
    start: Mapping[str, float] | None,
    fix: Mapping[str, float] | Iterable[str] | None,
    free: Iterable[str] | None,
    limits: Mapping[str, tuple[float, float]] | None,
    minos: bool | Sequence[str],
    multistart: int | Sequence[Mapping[str, float]],
    **options: Any,
) -> FitResult:
    """:func:`fit` of independent parts one by one, assembled into one result."""
    names = _names(cost)
    parts = list(cost)
    fix_names = set(fix or ())
    minos_set = set(names) if minos is True else set(minos or ())
    results = []
    for group in groups:
        sub = parts[group[0]] if len(group) == 1 else CostSum(*(parts[k] for k in group))
        own = set(_names(sub))

        def pick(m: Mapping[str, Any] | None, own: set[str] = own) -> dict[str, Any]:
            return {k: v for k, v in (m or {}).items() if k in own}

        sub_fix: Mapping[str, float] | list[str] = (
            pick(fix) if isinstance(fix, Mapping) else [n for n in fix or () if n in own]
        )
        results.append(
            fit(
                sub,
                start=pick(start),
                fix=sub_fix,
                free=[n for n in (free or ()) if n in own],
                limits=pick(limits),
                minos=True
                if minos is True
                else [n for n in names if n in own and n in minos_set and n not in fix_names],
                multistart=multistart
                if isinstance(multistart, int)
                else [pick(m) for m in multistart],
                separate=False,
                **options,
            )
        )
    values: dict[str, float] = {}
    errors: dict[str, float] = {}
    fixed: set[str] = set()
    minos_out: dict[str, tuple[float, float]] = {}
    expected: dict[str, dict[str, float]] = {}
    units: dict[str, str] = {}
    for r in results:
        values.update(r.values)
        errors.update(r.errors)
        fixed.update(r.fixed)
        minos_out.update(r.minos)
        expected.update(r.expected)
        units.update(r.units)
    free_all = tuple(n for n in names if any(n in r.free for r in results))
    cov = None
    if all(r.covariance is not None for r in results):
        index = {n: i for i, n in enumerate(free_all)}
        cov = np.zeros((len(free_all), len(free_all)))
        for r in results:
            ii = [index[n] for n in r.free]
            cov[np.ix_(ii, ii)] = r.covariance
    valid = all(r.valid for r in results)
    message = "ok" if valid else "; ".join(r.message for r in results if not r.valid)
    return FitResult(
        values={n: values[n] for n in names},
        errors={n: errors[n] for n in names},
        fixed=tuple(n for n in names if n in fixed),
        fval=float(sum(r.fval for r in results)),
        ndata=int(sum(r.ndata for r in results)),
        nfree=int(sum(r.nfree for r in results)),
        valid=valid,
        message=message,
        nfcn=int(sum(r.nfcn for r in results)),
        edm=float(sum(r.edm for r in results)),
        covariance=cov,
        free=free_all,
        minos=minos_out,
        expected=expected,
        units=units,
        minuit=None,
    )


class _LastReduced(threading.local):
    """Per thread: the last ``(cost, keep, poisson, reduced, profiled)`` built.

    A scan fits the same cost with the same fixed parameters at every point of a chunk;
    the profiled costs are built once (this holds one cost alive until the next). Per
    thread, because a reused ProfiledCost carries solver state: two threads fitting the
    same cost (a threaded dask worker) must not share it.
    """

    entry: tuple[Any, frozenset[str], bool, Any, tuple[str, ...]] | None = None


_LAST_REDUCED = _LastReduced()


def _reduced_cost(cost: Any, keep: frozenset[str], poisson: bool) -> tuple[Any, tuple[str, ...]]:
    """``profile_linear(cost, exclude=keep)``, reused for the same cost (by identity).

    A reused :class:`~cevns.likelihood.profiled.ProfiledCost` gets back the state of a new
    one (the Poisson solve's warm start, no remembered solution), so a fit gives the same
    numbers as with a new one; its signal is kept by the values it depends on.
    """
    from cevns.likelihood.profiled import ProfiledCost, profile_linear

    if _LAST_REDUCED.entry is not None:
        c, k, p, reduced, profiled = _LAST_REDUCED.entry
        if c is cost and k == keep and p == poisson:
            for pc in _components(reduced):
                if isinstance(pc, ProfiledCost):
                    pc._start = pc._full[pc._lin_pos].copy()
                    pc._last_solve = None
            return reduced, profiled
    reduced, profiled = profile_linear(cost, exclude=keep, poisson=poisson)
    _LAST_REDUCED.entry = (cost, keep, poisson, reduced, profiled)
    return reduced, profiled


def _fit_profiled(
    cost: Any,
    *,
    start: Mapping[str, float] | None,
    fix: Mapping[str, float] | Iterable[str] | None,
    free: Iterable[str] | None,
    limits: Mapping[str, tuple[float, float]] | None,
    minos: bool | Sequence[str],
    multistart: int | Sequence[Mapping[str, float]],
    poisson: bool = True,
    **options: Any,
) -> FitResult:
    """:func:`fit` with the linear parameters profiled (``profile_linear=True``)."""
    from cevns.likelihood.profiled import ProfiledCost

    names = _names(cost)
    _, fixed_default, _ = parameter_info(cost)
    free = list(free or ())
    fix_items = dict(fix) if isinstance(fix, Mapping) else dict.fromkeys(fix or (), None)
    for n in [*(start or {}), *free, *fix_items, *(limits or {})]:
        if n not in names:
            raise unknown_name("parameter", n, names)
    minos_names = set(names) if minos is True else set(minos or ())
    keep = (set(fixed_default) - set(free)) | set(fix_items) | set(limits or {}) | minos_names
    reduced, profiled = _reduced_cost(cost, frozenset(keep), poisson)
    common = dict(limits=limits, minos=minos, **options)
    if not profiled:
        return fit(
            cost,
            start=start,
            fix=fix,
            free=free,
            multistart=multistart,
            profile_linear=False,
            **common,
        )
    drop = set(profiled)
    starts = (
        multistart
        if isinstance(multistart, int)
        else [{k: v for k, v in m.items() if k not in drop} for m in multistart]
    )
    inner = common | {"details": False}  # the expected counts: of the full cost, below
    res = fit(
        reduced,
        start={k: v for k, v in (start or {}).items() if k not in drop},
        fix=fix,
        free=free,
        multistart=starts,
        profile_linear=False,
        **inner,
    )
    parts = [p for p in _components(reduced) if isinstance(p, ProfiledCost)]
    values = dict(res.values)
    for pc in parts:
        values.update(pc.full_values(res.values))
    details = options.get("details", True)
    if details:
        cov, errors = _profiled_covariance(
            parts,
            res,
            values,
            full=options.get("hesse", True),
            exact=_is_second_order(res.minuit),
        )
    else:  # a scan point: the minimum only
        cov, errors = None, dict.fromkeys(profiled, math.nan)
    free_full = tuple(n for n in names if n in set(res.free) | drop)
    order = {n: i for i, n in enumerate([*res.free, *profiled])}
    perm = [order[n] for n in free_full]
    return FitResult(
        values={n: values[n] for n in names},
        errors={n: errors.get(n, res.errors.get(n, 0.0)) for n in names},
        fixed=res.fixed,
        fval=res.fval,
        ndata=res.ndata,
        nfree=res.nfree + len(profiled),
        valid=res.valid,
        message=res.message,
        nfcn=res.nfcn,
        edm=res.edm,
        covariance=None if cov is None else cov[np.ix_(perm, perm)],
        free=free_full,
        minos=res.minos,
        expected=_expected_totals(cost, values) if details else {},
        units=_units(cost),
        minuit=res.minuit,
    )


def _profiled_covariance(
    parts: Sequence[Any],
    res: FitResult,
    values: Mapping[str, float],
    *,
    full: bool = True,
    exact: bool = False,
) -> tuple[NDArray[np.float64] | None, dict[str, float]]:
    """Covariance of (Minuit's free parameters, profiled ones) and the profiled errors.

    ``Cov(a, theta) = B V`` and ``Cov(a, a) = 2 H_aa^-1 + B V B^T`` with ``B = d a*/d theta``
    from central differences of the exact solution (module notes of
    :mod:`cevns.likelihood.profiled`), or with ``exact`` (a fit given the analytic Hessian)
    from the implicit function theorem, ``B = -H_aa^-1 H_a theta`` (0 for a parameter on a
    limit). Without ``full`` (no Hesse: scans) only the conditional errors
    ``sqrt(diag 2 H_aa^-1)`` are given and no covariance.
    """
    free = list(res.free)
    v = res.covariance if full else None
    blocks_b, blocks_h = [], []
    for pc in parts:
        own = [p.name for p in pc.parameter_objects]
        args0 = np.array([values[n] for n in own])
        b = np.zeros((len(pc.profiled), len(free)))
        if exact:  # the analytic Hessian at the minimum (the one Hesse used, kept)
            _, h_ta, h_aa, on = pc.hessian_blocks(args0)
            h_inv = _inverse(h_aa)
            blocks_h.append(2.0 * h_inv)
        else:
            a0 = np.array([values[n] for n in pc.profiled])
            blocks_h.append(2.0 * np.linalg.pinv(pc.hessian_linear(args0, a0)))
        if v is not None and exact:
            jj = np.array([j for j, name in enumerate(free) if name in own], dtype=np.intp)
            kk = np.array([own.index(free[j]) for j in jj], dtype=np.intp)
            if jj.size and on.all():  # every profiled parameter off its limits
                b[:, jj] = -(h_inv @ h_ta[kk].T)
            elif jj.size and on.any():
                rows = np.flatnonzero(on)
                rhs = h_ta[np.ix_(kk, rows)].T
                b[np.ix_(rows, jj)] = -np.linalg.solve(h_aa[np.ix_(rows, rows)], rhs)
        elif v is not None:
            for j, name in enumerate(free):
                if name not in own:
                    continue
                k = own.index(name)
                h = 1e-3 * max(float(np.sqrt(v[j, j])), 1e-12)
                up, dn = args0.copy(), args0.copy()
                up[k] += h
                dn[k] -= h
                b[:, j] = (pc.solve(up)[0] - pc.solve(dn)[0]) / (2.0 * h)
        blocks_b.append(b)
    bmat = blocks_b[0] if len(blocks_b) == 1 else np.vstack(blocks_b)
    if len(blocks_h) == 1:  # one experiment (every scan point): no block assembly
        haa = np.asarray(blocks_h[0], dtype=np.float64)
    else:
        from scipy.linalg import block_diag

        haa = np.asarray(block_diag(*blocks_h), dtype=np.float64)
    names_a = [n for pc in parts for n in pc.profiled]
    if v is None:
        return None, {n: float(np.sqrt(haa[i, i])) for i, n in enumerate(names_a)}
    c_at = bmat @ v
    c_aa = haa + bmat @ v @ bmat.T
    n_t = v.shape[0]
    cov = np.empty((n_t + c_aa.shape[0],) * 2)  # the blocks [[V, C_at^T], [C_at, C_aa]]
    cov[:n_t, :n_t] = v
    cov[n_t:, :n_t] = c_at
    cov[:n_t, n_t:] = c_at.T
    cov[n_t:, n_t:] = c_aa
    return cov, {n: float(np.sqrt(c_aa[i, i])) for i, n in enumerate(names_a)}


def _inverse(h: NDArray[np.float64]) -> NDArray[np.float64]:
    """``h^-1`` of a symmetric matrix: Cholesky when positive definite, else the pseudo-inverse."""
    from scipy.linalg.lapack import dposv

    _, inv, info = dposv(h, np.eye(h.shape[0]))
    return np.asarray(inv if info == 0 else np.linalg.pinv(h), dtype=np.float64)


def _describe_problem(m: Minuit) -> str:
    fm = m.fmin
    issues = []
    if fm.has_reached_call_limit:
        issues.append("call limit reached")
    if fm.is_above_max_edm:
        issues.append(f"EDM {fm.edm:.3g} above goal {fm.edm_goal:.3g}")
    if fm.has_parameters_at_limit:
        issues.append("parameters at limit")
    if not fm.has_accurate_covar:
        issues.append("covariance not accurate")
    if fm.has_made_posdef_covar:
        issues.append("covariance forced positive definite")
    return ", ".join(issues) or "Migrad reports an invalid minimum"


def _units(cost: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for comp in _components(cost):
        for p in getattr(comp, "parameter_objects", ()):
            if getattr(p, "unit", ""):
                out.setdefault(p.name, p.unit)
        exp = getattr(comp, "experiment", None)
        unit = getattr(getattr(exp, "dataset", None), "unit", "")
        if exp is not None and unit:
            out[exp.name] = unit
    return out


def _expected_totals(cost: Any, values: Mapping[str, float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for comp in _components(cost):
        predict = getattr(comp, "predict", None)
        exp = getattr(comp, "experiment", None)
        if predict is None or exp is None:
            continue
        e = predict(values)
        out[exp.name] = {
            "signal": float(np.sum(e.signal)),
            "background": float(np.sum(e.background)),
        }
    return out
