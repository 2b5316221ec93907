"""Linear parameters profiled exactly: Minuit sees only the non-linear ones.

Parameters that enter the expectation of an experiment linearly - the signal normalisation
``flux_norm`` and the amplitudes a background declares in
:attr:`~cevns.likelihood.background.Background.linear_parameters` - are solved inside the
cost at every call. With ``mu = R(theta) + sum_k a_k T_k(theta)``:

- ``chi2``: ``sum ((n - mu) / sigma)^2 + sum_k ((a_k - m_k) / s_k)^2`` is quadratic in
  ``a``: the normal equations give the exact minimum (one parameter: in closed form; with
  the columns stacked and the data as one more row, one product gives the whole system);
  when it lies outside the parameters' limits, the active-set solve of the box-constrained
  problem (:func:`box_qp`) gives the exact bounded one, and bounded-variable least squares
  (:func:`scipy.optimize.lsq_linear`, ``bvls``) a system that is not positive definite.
- ``poisson``: ``2 sum (mu - n ln mu)`` is convex in ``a``: Newton steps with an active set
  for the limits (from the previous solution), converged to 1e-10 in the cost.

The value is the profile ``min_a cost(theta, a)``, so Migrad, Hesse and Minos on the
remaining parameters give the same minimum, errors and intervals as the full fit (the
profile Hessian is the Schur complement of the full one). :func:`cevns.stats.fit.fit`
(``profile_linear=True``) rebuilds the linear parameters' values at the minimum and the full
covariance: with ``B = d a*/d theta`` (central differences of the exact solution),
``Cov(a, theta) = B V`` and ``Cov(a, a) = 2 H_aa^-1 + B V B^T``, ``V`` the covariance of
``theta`` and ``H_aa`` the Hessian of the cost in ``a`` (exact at the minimum).

Where the full cost has an analytic Hessian ``H``, so does the profile
(:meth:`ProfiledCost.analytic_hessian`): ``H_tt - H_ta H_aa^-1 H_at`` at ``a*``, over the
linear parameters off their limits, and ``B = -H_aa^-1 H_at`` exactly (used by a fit with
``gradient=True``).

Parameters shared between experiments (``Experiment(shared=...)``) and parameters the
caller fixes or asks Minos for stay with Minuit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from iminuit.cost import Cost, CostSum
from numpy.typing import NDArray
from scipy.linalg.lapack import dposv

from cevns.core.exceptions import FitError, InvalidParameterError
from cevns.likelihood.experiment import ExperimentCost
from cevns.physics.families import Parameter

__all__ = ["ProfiledCost", "box_qp", "linear_candidates", "profile_linear"]


def __dir__() -> list[str]:
    return __all__


#: Newton iterations of the Poisson solve before it is declared failed.
MAX_NEWTON = 100


def linear_candidates(cost: ExperimentCost) -> tuple[str, ...]:
    """Public names of the parameters of ``cost`` that can be profiled exactly.

    Parameters
    ----------
    cost : ExperimentCost

    Returns
    -------
    tuple of str
        ``flux_norm`` (with a signal) and the backgrounds' linear parameters, in the cost's
        parameter order, without those shared with other experiments.
    """
    exp = cost.experiment
    local: list[str] = []
    if cost._i_flux is not None:
        local.append("flux_norm")
    for b in exp.backgrounds:
        local.extend(b.linear_parameters)
    out = {exp.prefixed(n) for n in local if n not in exp.shared}
    fixed = cost.fixed_by_default
    return tuple(n for n in cost._names if n in out and n not in fixed)


def box_qp(
    g: NDArray[np.float64],
    rhs: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    unbounded: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """``argmin a.G.a - 2 a.rhs`` subject to ``lo <= a <= hi``, ``G`` positive definite.

    The primal active-set method for a convex quadratic programme with box constraints
    (Nocedal & Wright, *Numerical Optimization*, Sec. 16.5): from the unconstrained minimum
    clipped to the box, the variables on a bound are held there and the others solved
    exactly (Cholesky); a solve leaving the box is followed only up to the first bound it
    reaches, which joins the held set; a held variable whose gradient points into the box
    is released. Each step lowers the cost, so it ends at the unique minimum after a few
    small solves: the bounded least-squares solution of the same normal equations. Written
    for the handful of profiled linear parameters, in Python floats: a tenth of a general
    bounded solver's (``scipy.optimize.lsq_linear``) time at four parameters.

    Parameters
    ----------
    g : ndarray
        ``(k, k)`` symmetric positive definite matrix.
    rhs : ndarray
        ``(k,)``.
    lo, hi : ndarray
        ``(k,)`` limits, ``lo <= hi`` (infinite allowed).
    unbounded : ndarray
        The unconstrained solution ``G^-1 rhs``.

    Returns
    -------
    ndarray or None
        The solution; ``None`` if a reduced system is not positive definite or the
        iterations do not end (the caller then uses a general bounded solver).
    """
    gl: list[list[float]] = g.tolist()
    r: list[float] = rhs.tolist()
    low: list[float] = lo.tolist()
    high: list[float] = hi.tolist()
    k = len(r)
    a = [min(max(x, lo_), hi_) for x, lo_, hi_ in zip(unbounded.tolist(), low, high, strict=True)]
    held = [x in (lo_, hi_) for x, lo_, hi_ in zip(a, low, high, strict=True)]
    g_max = max(abs(v) for row in gl for v in row)
    r_max = max(abs(v) for v in r)
    for _ in range(4 * k + 8):
        free = [i for i in range(k) if not held[i]]
        target = list(a)
        if free:
            b = [r[i] - sum(gl[i][j] * a[j] for j in range(k) if held[j]) for i in free]
            x = _cholesky_solve(gl, b, free)
            if x is None:
                return None
            for i, v in zip(free, x, strict=True):
                target[i] = v
        # the first limit the step a -> target reaches, if before the target
        t, hit, to_lo = 1.0, -1, False
        for i in free:
            step = target[i] - a[i]
            if step < 0.0 and low[i] > -math.inf:
                ti = (low[i] - a[i]) / step
                if ti < t:
                    t, hit, to_lo = ti, i, True
            elif step > 0.0 and high[i] < math.inf:
                ti = (high[i] - a[i]) / step
                if ti < t:
                    t, hit, to_lo = ti, i, False
        if hit >= 0:
            a = [ai + t * (ti - ai) for ai, ti in zip(a, target, strict=True)]
            a[hit] = low[hit] if to_lo else high[hit]
            held[hit] = True
            continue
        a = target
        # multipliers of the held variables: the gradient G a - rhs must point out of the
        # box (>= 0 at a lower limit, <= 0 at an upper one); release the worst other one
        grad = [sum(gl[i][j] * a[j] for j in range(k)) - r[i] for i in range(k)]
        worst = 1e-12 * (g_max * (max(abs(v) for v in a) + 1.0) + r_max)
        release = -1
        for i in range(k):
            if held[i] and low[i] != high[i]:
                w = -grad[i] if a[i] == low[i] else grad[i]
                if w > worst:
                    worst, release = w, i
        if release < 0:
            return np.array(a)
        held[release] = False
    return None


def _cholesky_solve(g: list[list[float]], b: list[float], idx: list[int]) -> list[float] | None:
    """``x`` with ``g[idx, idx] x = b`` by Cholesky; ``None`` if not positive definite."""
    m = len(idx)
    low = [[0.0] * m for _ in range(m)]
    for i in range(m):
        gi, li = g[idx[i]], low[i]
        for j in range(i + 1):
            lj = low[j]
            s = gi[idx[j]] - sum(li[q] * lj[q] for q in range(j))
            if i == j:
                if not s > 0.0:
                    return None
                li[i] = math.sqrt(s)
            else:
                li[j] = s / lj[j]
    y = [0.0] * m
    for i in range(m):
        y[i] = (b[i] - sum(low[i][q] * y[q] for q in range(i))) / low[i][i]
    x = [0.0] * m
    for i in range(m - 1, -1, -1):
        x[i] = (y[i] - sum(low[q][i] * x[q] for q in range(i + 1, m))) / low[i][i]
    return x


class ProfiledCost(Cost):  # type: ignore[misc]
    """An :class:`~cevns.likelihood.experiment.ExperimentCost` with linear parameters solved.

    Parameters
    ----------
    cost : ExperimentCost
    profile : iterable of str, optional
        Public names to profile (default all of :func:`linear_candidates`).

    Attributes
    ----------
    cost : ExperimentCost
        The full cost.
    profiled : tuple of str
        The parameters solved at every call.
    parameter_objects : tuple of Parameter
        The remaining parameters (Minuit's).
    """

    def __init__(self, cost: ExperimentCost, profile: Iterable[str] | None = None) -> None:
        given: object = cost
        if not isinstance(given, ExperimentCost):
            msg = f"ProfiledCost needs an ExperimentCost, got {type(given).__name__}"
            raise InvalidParameterError(msg)
        cand = linear_candidates(cost)
        chosen = cand if profile is None else tuple(profile)
        bad = [n for n in chosen if n not in cand]
        if bad:
            msg = (
                f"{cost.experiment.name}: cannot profile {bad}: the parameters that enter "
                f"linearly (and are not shared or fixed) are {list(cand)}"
            )
            raise InvalidParameterError(msg)
        self.cost = cost
        self.profiled: tuple[str, ...] = tuple(n for n in cost._names if n in set(chosen))
        names = cost._names
        index = {n: i for i, n in enumerate(names)}
        self._lin_pos = np.array([index[n] for n in self.profiled], dtype=np.intp)
        keep = [i for i, n in enumerate(names) if n not in set(self.profiled)]
        self._keep = np.array(keep, dtype=np.intp)
        self.parameter_objects: tuple[Parameter, ...] = tuple(
            cost.parameter_objects[i] for i in keep
        )
        pars = {p.name: p for p in cost.parameter_objects}
        self._lo = np.array([pars[n].limits[0] for n in self.profiled])
        self._hi = np.array([pars[n].limits[1] for n in self.profiled])
        # Gaussian priors of the profiled parameters (precision 0 without one)
        self._pm = np.zeros(len(self.profiled))
        self._pinv = np.zeros(len(self.profiled))
        where = {n: k for k, n in enumerate(self.profiled)}
        for i, mean, sigma in cost._priors:  # the cost's priors (toys move their means)
            k = where.get(names[i])
            if k is not None:
                self._pm[k], self._pinv[k] = mean, 1.0 / sigma**2
        self._other_priors = [
            (int(np.searchsorted(self._keep, i)), m, s)
            for i, m, s in cost._priors
            if names[i] not in set(self.profiled)
        ]
        self._pm_pinv = self._pm * self._pinv
        # 1/sigma per bin of a chi2 experiment (unused, empty, for a Poisson one)
        self._w = cost._inv_err.ravel() if cost._err is not None else np.zeros(0)
        # chi2 with a zero rest (see _solve_chi2): the weights squared, the data's column
        # sum of the normal equations and the cost at a = 0 (data and priors)
        self._w2 = self._w * self._w
        self._nw2 = cost._obs_flat * self._w2 if cost._err is not None else np.zeros(0)
        self._c0 = float(self._nw2 @ cost._obs_flat) + float(self._pinv @ (self._pm * self._pm))
        self._pinv_diag = np.diag(self._pinv)
        # one profiled parameter (a closed-form solve, see _solve_chi2_one): Python floats
        self._one = len(self.profiled) == 1
        if self._one:
            self._pinv1, self._pm1 = float(self._pinv[0]), float(self._pm[0])
            self._pm_pinv1 = float(self._pm_pinv[0])
            self._lo1, self._hi1 = float(self._lo[0]), float(self._hi[0])
        self._lo_list, self._hi_list = self._lo.tolist(), self._hi.tolist()
        self._full = np.array([p.value for p in cost.parameter_objects], dtype=np.float64)
        self._start = self._full[self._lin_pos].copy()  # warm start of the Poisson solve
        self._setup_columns()
        self._last_solve: tuple[NDArray[np.float64], NDArray[np.float64], int | None] | None = None
        self._hess_cuts: tuple[Any, Any, Any] | None = None
        self._last_hessian: tuple[tuple[int, bytes], NDArray[np.float64]] | None = None
        super().__init__({p.name: p.limits for p in self.parameter_objects}, 0)

    # ------------------------------------------------------------------ setup
    def _setup_columns(self) -> None:
        """Where each profiled parameter's template comes from."""
        cost, exp = self.cost, self.cost.experiment
        pos = {n: k for k, n in enumerate(self.profiled)}
        self._flux_col = pos.get(exp.prefixed("flux_norm")) if cost._i_flux is not None else None
        # per background: (its linear_evaluator, [(local, arg index)], [(template row,
        # column or None, arg index)], [(systematic, arg index)])
        self._bkgs = []
        for b, pars in cost._bkg_args:
            rows = [
                (r, pos.get(exp.prefixed(n)), dict(pars)[n])
                for r, n in enumerate(b.linear_parameters)
            ]
            norms = [(syst, i) for target, syst, i in cost._norm_args if target == b.name]
            targets = [col for _, col, _ in rows]
            simple = None
            if (
                not norms
                and getattr(b, "linear_rest_is_zero", False)
                and all(c is not None for c in targets)
                and len(set(targets)) == len(targets)
            ):
                simple = np.array(targets, dtype=np.intp)
            self._bkgs.append((b.linear_evaluator(pars), pars, rows, norms, simple))
        self._sig_norms = [(syst, i) for t, syst, i in cost._norm_args if t == "signal"]
        index = {n: i for i, n in enumerate(cost._names)}
        deps = [*cost.family.names] if cost.has_signal else []
        if exp.signal_morphing is not None and cost.has_signal:
            deps.extend(exp._shape_public)
        self._sig_idx = np.array(
            sorted({index[n] for n in deps if n in index} | {i for _, i in self._sig_norms}),
            dtype=np.intp,
        )
        self._sig_key: tuple[int, bytes] | None = None
        self._sig_val = np.zeros(0)
        # the rest is zero when the signal and every background go into columns of their
        # own; then the columns are also all written at every call (no zero fill needed)
        simple_only = all(simple is not None for *_, simple in self._bkgs)
        signal_col = not cost.has_signal or self._flux_col is not None
        self._rest_zero = simple_only and signal_col
        written = sum(len(simple) for *_, simple in self._bkgs if simple is not None)
        written += int(cost.has_signal and self._flux_col is not None)
        self._cols_filled = self._rest_zero and written == len(self.profiled)
        self._zero_rest = np.zeros(cost._obs_flat.size)
        self._zero_rest.flags.writeable = False
        # the columns in the order they come (signal, then each background's rows): then
        # they are one concatenation of the pieces, no buffer written row by row
        order: list[int] = []
        if cost.has_signal and self._flux_col is not None:
            order.append(self._flux_col)
        for *_, simple in self._bkgs:
            order.extend([] if simple is None else simple.tolist())
        self._stacked = self._cols_filled and order == list(range(len(self.profiled)))
        # chi^2 with the columns stacked and more than one of them: the data go in as one
        # more row, and one product gives the Gram matrix, the right-hand side and the
        # data's own term (_solve_chi2_gram)
        self._gram = self._stacked and not cost._poisson and len(self.profiled) > 1
        self._obs_row = cost._obs_flat.reshape(1, -1)

    # ------------------------------------------------------------------ iminuit
    def _ndata(self) -> int:
        return int(self.cost._obs.size)

    def _has_grad(self) -> bool:
        return bool(self.cost.has_grad)

    def _grad(self, args: Any) -> NDArray[np.float64]:
        """Envelope theorem: the full cost's partial gradient at the solved linear values.

        ``d/d theta min_a C(theta, a) = dC/d theta (theta, a*(theta))``: at an interior
        minimum ``dC/da = 0``, at an active limit ``a*`` stays on it nearby.
        """
        full, _ = self._solved_full(args)
        return np.asarray(self.cost._grad(full)[self._keep], dtype=np.float64)

    @property
    def has_analytic_hessian(self) -> bool:
        """Whether :meth:`analytic_hessian` is available: where the full cost has one.

        Returns
        -------
        bool
        """
        return bool(self.cost.has_analytic_hessian)

    def _solved_full(self, args: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """All parameters at the solution for ``args``, and the solved linear values."""
        full = self._full_args(args)
        last = self._last_solve
        gen = self.cost.expansion.signal._quick_generation()
        if last is not None and last[2] == gen and last[0].tobytes() == full.tobytes():
            a = last[1]
        else:
            a, _ = self.solve(args)
        full[self._lin_pos] = a
        return full, a

    def hessian_blocks(
        self, args: Sequence[float]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """The full cost's analytic Hessian at the solution, split by kind of parameter.

        Parameters
        ----------
        args : sequence of float
            Values of :attr:`parameter_objects`, in order.

        Returns
        -------
        h_tt, h_ta, h_aa : ndarray
            Blocks of the Hessian in (Minuit's parameters, :attr:`profiled`).
        free : ndarray of bool
            Which profiled parameters are off their limits (the others are held there).
        """
        full, a = self._solved_full(args)
        key = (self.cost.expansion.signal._quick_generation(), full.tobytes())
        last = self._last_hessian
        if last is not None and last[0] == key:  # Migrad's last Hesse, asked again
            h = last[1]
        else:
            h = self.cost.analytic_hessian(*full)
            self._last_hessian = (key, h)
        cuts = self._hess_cuts
        if cuts is None:
            keep, lin = self._keep, self._lin_pos
            cuts = self._hess_cuts = (np.ix_(keep, keep), np.ix_(keep, lin), np.ix_(lin, lin))
        free = (a > self._lo) & (a < self._hi)
        return h[cuts[0]], h[cuts[1]], h[cuts[2]], free

    def analytic_hessian(self, *args: float) -> NDArray[np.float64]:
        """Exact second derivatives of the profile in Minuit's parameters.

        The Schur complement ``H_tt - H_ta H_aa^-1 H_at`` of the full cost's
        :meth:`~cevns.likelihood.experiment.ExperimentCost.analytic_hessian` at the solved
        linear values, over the profiled parameters that are off their limits (one on a
        limit stays there nearby, so it drops out).

        Parameters
        ----------
        *args : float
            Values of :attr:`parameter_objects`, in order.

        Returns
        -------
        ndarray of shape (n, n)
        """
        h_tt, h_ta, h_aa, free = self.hessian_blocks(args)
        if free.all():
            b, h_ff = h_ta, h_aa
        elif free.any():
            b, h_ff = h_ta[:, free], h_aa[np.ix_(free, free)]
        else:
            return h_tt
        _, x, info = dposv(h_ff, b.T)  # H_aa is positive definite at a minimum in a
        if info != 0:
            x = np.linalg.lstsq(h_ff, b.T, rcond=None)[0]
        return np.asarray(h_tt - b @ x, dtype=np.float64)

    # ------------------------------------------------------------------ the model
    def _terms(self, full: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(R, T)``: ``mu = R + a @ T`` for the profiled ``a`` (flattened bins)."""
        cost = self.cost
        n_bins = cost._obs_flat.size
        if self._stacked:
            return self._zero_rest, np.concatenate(self._stacked_pieces(full))
        cols = np.empty((len(self.profiled), n_bins)) if self._cols_filled else None
        if cols is None:
            cols = np.zeros((len(self.profiled), n_bins))
        if self._rest_zero:
            # every term goes into a column: the rest is exactly 0 (x - 0.0 == x)
            if cost.has_signal:
                cols[self._flux_col] = self._signal(full)
            for terms, _, rows, _, simple in self._bkgs:
                _, t = terms(full)
                cols[simple] = t.reshape(len(rows), n_bins)
            return self._zero_rest, cols
        rest = np.zeros(n_bins)
        if cost.has_signal:
            sig = self._signal(full)
            if self._flux_col is not None:
                cols[self._flux_col] = sig
            elif cost._i_flux is not None:
                rest += sig * full[cost._i_flux]
            else:
                rest += sig
        for terms, _, rows, norms, simple in self._bkgs:
            r0, t = terms(full)
            t = t.reshape(len(rows), n_bins)
            if simple is not None:  # every row profiled into its own column, no factor
                cols[simple] = t
                continue
            f = 1.0
            for syst, i in norms:
                f *= syst.factor({syst.name: full[i]})
            if not (np.isscalar(r0) and r0 == 0.0):
                rest += np.broadcast_to(r0, cost._shape).ravel() * f
            for r, col, i in rows:
                if col is None:
                    rest += t[r] * (full[i] * f)
                else:
                    cols[col] += t[r] * f
        return rest, cols

    def _stacked_pieces(self, full: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        """The columns of a stacked cost in order: the signal, then each background's rows."""
        n_bins = self._obs_row.shape[1]
        pieces = [self._signal(full)[None]] if self.cost.has_signal else []
        for terms, _, rows, _, _ in self._bkgs:
            pieces.append(terms(full)[1].reshape(len(rows), n_bins))
        return pieces

    def _signal(self, full: NDArray[np.float64]) -> NDArray[np.float64]:
        """Signal counts (flattened) without ``flux_norm``; the last one is reused.

        In a fit at fixed physics parameters (every point of a scan) only the nuisances
        change, so the signal is computed once per fit. The key is the values of everything
        the signal depends on and the signal's template generation.
        """
        cost = self.cost
        key = (cost.expansion.signal._quick_generation(), full[self._sig_idx].tobytes())
        if key == self._sig_key:
            return self._sig_val
        if cost._fast:
            sig = cost._signal_fast(full).ravel()
        else:
            vals = dict(zip(cost._names, full, strict=True))
            sig = cost.experiment._model_counts(cost.expansion(vals), vals).ravel()
        for syst, i in self._sig_norms:
            sig = sig * syst.factor({syst.name: full[i]})
        self._sig_key, self._sig_val = key, sig
        return sig

    def _full_args(self, args: Any) -> NDArray[np.float64]:
        full = self._full.copy()
        full[self._keep] = args
        return full

    def solve(self, args: Sequence[float]) -> tuple[NDArray[np.float64], float]:
        """The profiled parameters' values and the cost at the remaining ``args``.

        Parameters
        ----------
        args : sequence of float
            Values of :attr:`parameter_objects`, in order.

        Returns
        -------
        a : ndarray
            Values of :attr:`profiled`.
        value : float
            The cost (chi^2 units) at the solution, pulls of the profiled parameters included.
        """
        full = self._full_args(args)
        solved = self._solve_chi2_gram(full) if self._gram else None
        if solved is not None:
            a, c = solved
        else:
            rest, cols = self._terms(full)
            if self.cost._poisson:
                a, c = self._solve_poisson(rest, cols)
            else:
                a, c = self._solve_chi2(rest, cols)
        for i, m, s in self._other_priors:
            c += ((args[i] - m) / s) ** 2
        # the gradient at the same point (Minuit asks for both) reuses the solution
        gen = None if self._sig_key is None else self._sig_key[0]
        self._last_solve = (full, a, gen)
        return a, c

    def _value(self, args: Any) -> float:
        return self.solve(args)[1]

    # ------------------------------------------------------------------ solvers
    def _solve_chi2_gram(
        self, full: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], float] | None:
        """chi^2, stacked columns (``mu = a @ cols``): one product for the normal equations.

        With ``X = [cols; n]`` weighted by ``1/sigma^2``, ``X W X^T`` holds the Gram matrix
        of the columns and their products with the data; at the unconstrained solution
        ``G a = rhs`` the cost is ``c0 - a.rhs``, on a limit ``c0 - 2 a.rhs + a.G.a``.
        ``None`` for a system that is not positive definite (the general path decides).
        """
        x = np.concatenate([*self._stacked_pieces(full), self._obs_row])
        gram = (x * self._w2) @ x.T
        k = gram.shape[0] - 1
        g = gram[:k, :k] + self._pinv_diag
        rhs = gram[:k, k] + self._pm_pinv
        _, a, info = dposv(g, rhs)
        if info != 0:
            return None
        if all(
            lo <= v <= hi
            for lo, v, hi in zip(self._lo_list, a.tolist(), self._hi_list, strict=True)
        ):
            return a, float(self._c0 - a @ rhs)
        bounded = box_qp(g, rhs, self._lo, self._hi, a)
        if bounded is None:
            return None
        return bounded, float(self._c0 + bounded @ (g @ bounded - 2.0 * rhs))

    def _solve_chi2(
        self, rest: NDArray[np.float64], cols: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], float]:
        if self._one:
            return self._solve_chi2_one(rest, cols[0])
        if rest is self._zero_rest:
            # mu = a @ cols: the normal equations and the cost from the weighted Gram matrix
            # alone, cost(a) = c0 - 2 a.rhs + a.G.a (stationary at the solution, so an
            # error in a enters to second order), without forming the residuals
            cw = cols * self._w2
            g0 = cw @ cols.T
            g0 += self._pinv_diag
            rhs0 = cols @ self._nw2 + self._pm_pinv
            _, a, info = dposv(g0, rhs0)
            if info == 0:
                if not all(
                    lo <= x <= hi
                    for lo, x, hi in zip(self._lo_list, a.tolist(), self._hi_list, strict=True)
                ):
                    a = box_qp(g0, rhs0, self._lo, self._hi, a)
                if a is not None:
                    return a, float(self._c0 + a @ (g0 @ a - 2.0 * rhs0))
        w = self._w
        r = (self.cost._obs_flat - rest) * w
        aw = cols * w
        g = aw @ aw.T
        g.flat[:: g.shape[0] + 1] += self._pinv
        rhs = aw @ r + self._pm_pinv
        # Cholesky solve of the (symmetric positive definite) normal equations: LAPACK dposv
        # directly, a fifth of numpy.linalg.solve's overhead on a 4 x 4 system
        _, a, info = dposv(g, rhs)
        # info > 0: not positive definite (a template that vanishes): the bounded
        # least-squares solver, which copes with a singular design; a solution outside the
        # limits: the exact active-set solve on the same normal equations
        sol = None
        if info == 0:
            inside = (a >= self._lo) & (a <= self._hi)
            sol = a if inside.all() else box_qp(g, rhs, self._lo, self._hi, a)
        a = self._bounded_lsq(aw, r) if sol is None else sol
        res = r - a @ aw
        d = a - self._pm
        return a, float(res @ res + self._pinv @ (d * d))

    def _solve_chi2_one(
        self, rest: NDArray[np.float64], col: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], float]:
        """One profiled parameter: ``a = rhs / g`` in closed form, clipped to its limits.

        The cost is a convex parabola in ``a``, so the bounded minimum is the unbounded
        one clipped to the limits (what the bounded solver gives for one variable), and
        ``cost(a) = c0 - 2 a rhs + a^2 g`` holds at any ``a``.
        """
        if rest is self._zero_rest:
            cw = col * self._w2
            g = float(cw @ col) + self._pinv1
            rhs = float(col @ self._nw2) + self._pm_pinv1
            c0 = self._c0
        else:
            w = self._w
            r = (self.cost._obs_flat - rest) * w
            aw = col * w
            g = float(aw @ aw) + self._pinv1
            rhs = float(aw @ r) + self._pm_pinv1
            c0 = float(r @ r) + self._pinv1 * self._pm1 * self._pm1
        # g > 0 unless the template vanishes (and there is no prior): then any a is a
        # minimum, and the one closest to the prior mean (0 without one) within the limits
        # is taken, as the least-squares solution of the singular system would be
        a = rhs / g if g > 0.0 else self._pm1
        a = min(max(a, self._lo1), self._hi1)
        return np.array([a]), c0 + a * (g * a - 2.0 * rhs)

    def _bounded_lsq(self, aw: NDArray[np.float64], r: NDArray[np.float64]) -> NDArray[np.float64]:
        from scipy.optimize import lsq_linear

        sq = np.sqrt(self._pinv)
        design = np.vstack([aw.T, np.diag(sq)])
        target = np.concatenate([r, self._pm * sq])
        out = lsq_linear(design, target, bounds=(self._lo, self._hi), method="bvls")
        if out.status < 0:
            msg = f"{self.cost.experiment.name}: bounded linear solve failed: {out.message}"
            raise FitError(msg)
        return np.asarray(out.x, dtype=np.float64)

    def _poisson_value(self, mu: NDArray[np.float64], a: NDArray[np.float64]) -> float:
        n = self.cost._obs_flat
        if np.any(mu <= 0):
            return np.inf
        c = 2.0 * (float(mu.sum()) - self.cost._n_sum - float(n @ np.log(mu)))
        c += 2.0 * self.cost._n_log_n_sum
        return c + float(np.sum(self._pinv * (a - self._pm) ** 2))

    def _solve_poisson(
        self, rest: NDArray[np.float64], cols: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], float]:
        n = self.cost._obs_flat
        lo, hi = self._lo, self._hi
        a = np.clip(self._start, lo, hi)
        f = self._poisson_value(rest + a @ cols, a)
        if not np.isfinite(f):  # the warm start gives mu <= 0 somewhere: start from the top
            a = np.where(np.isfinite(hi), hi, np.maximum(self._start, 1.0))
            f = self._poisson_value(rest + a @ cols, a)
        for _ in range(MAX_NEWTON):
            mu = rest + a @ cols
            grad = 2.0 * (cols @ (1.0 - n / mu)) + 2.0 * self._pinv * (a - self._pm)
            hess = 2.0 * (cols * (n / mu**2)) @ cols.T
            hess[np.diag_indices_from(hess)] += 2.0 * self._pinv
            free = ~(((a <= lo) & (grad > 0)) | ((a >= hi) & (grad < 0)))
            step = np.zeros_like(a)
            if np.any(free):
                hf = hess[np.ix_(free, free)]
                _, x, info = dposv(hf, -grad[free])
                if info != 0:  # singular: the least-squares step
                    x = -np.linalg.lstsq(hf, grad[free], rcond=None)[0]
                step[free] = x
            t = 1.0
            while t > 1e-12:
                trial = np.clip(a + t * step, lo, hi)
                ft = self._poisson_value(rest + trial @ cols, trial)
                if ft <= f:
                    break
                t *= 0.5
            else:
                trial, ft = a, f
            done = f - ft <= 1e-10 * (1.0 + abs(f)) and np.all(
                np.abs(trial - a) <= 1e-9 * (1.0 + np.abs(a))
            )
            a, f = trial, ft
            if done:
                self._start = a
                return a, f
        msg = (
            f"{self.cost.experiment.name}: the Poisson solve of the linear parameters "
            f"{list(self.profiled)} did not converge in {MAX_NEWTON} Newton steps"
        )
        raise FitError(msg)

    def hessian_linear(self, args: Sequence[float], a: Sequence[float]) -> NDArray[np.float64]:
        """Hessian of the cost in the profiled parameters at ``(args, a)`` (chi^2 units).

        Parameters
        ----------
        args : sequence of float
            Values of :attr:`parameter_objects`.
        a : sequence of float
            Values of :attr:`profiled`.

        Returns
        -------
        ndarray
            Shape ``(len(profiled), len(profiled))``; exact (the cost is quadratic in ``a``
            for chi^2; for Poisson it is the Hessian at this point).
        """
        rest, cols = self._terms(self._full_args(args))
        if self.cost._poisson:
            mu = rest + np.asarray(a) @ cols
            h = 2.0 * (cols * (self.cost._obs_flat / mu**2)) @ cols.T
        else:
            aw = cols * self.cost._inv_err.ravel()
            h = 2.0 * aw @ aw.T
        h[np.diag_indices_from(h)] += 2.0 * self._pinv
        return np.asarray(h, dtype=np.float64)

    # ------------------------------------------------------------------ cevns helpers
    @property
    def defaults(self) -> dict[str, float]:
        """Start values of Minuit's parameters."""
        return {p.name: p.value for p in self.parameter_objects}

    @property
    def fixed_by_default(self) -> set[str]:
        """Parameters fixed unless freed."""
        return {p.name for p in self.parameter_objects if p.fixed}

    @property
    def experiment(self) -> Any:
        """The experiment of the full cost."""
        return self.cost.experiment

    def full_values(self, values: Mapping[str, float]) -> dict[str, float]:
        """All parameters of the full cost: ``values`` plus the solved linear parameters.

        Parameters
        ----------
        values : mapping
            Values of Minuit's parameters (public names).
        """
        args = [float(values[p.name]) for p in self.parameter_objects]
        _, a = self._solved_full(args)  # the last solve, when it was at these values
        out = {p.name: float(values[p.name]) for p in self.parameter_objects}
        out.update({n: float(v) for n, v in zip(self.profiled, a, strict=True)})
        return {n: out[n] for n in self.cost._names}

    def __repr__(self) -> str:
        return (
            f"ProfiledCost({self.cost.experiment.name!r}, profiled={list(self.profiled)}, "
            f"parameters={[p.name for p in self.parameter_objects]})"
        )


def profile_linear(
    cost: Any, exclude: Iterable[str] = (), *, poisson: bool = True
) -> tuple[Any, tuple[str, ...]]:
    """Replace each experiment cost in ``cost`` by its :class:`ProfiledCost`.

    Parameters
    ----------
    cost : ExperimentCost or CostSum
        Other components of a sum (iminuit constraints) are kept as they are.
    exclude : iterable of str
        Public names that stay with Minuit (fixed, Minos, limits overridden).
    poisson : bool
        Also profile the experiments with a Poisson likelihood (else only chi^2 ones).

    Returns
    -------
    cost : Cost
        The cost Minuit minimises.
    profiled : tuple of str
        All profiled parameters.
    """
    skip = set(exclude)
    parts = list(cost) if isinstance(cost, CostSum) else [cost]
    names_seen: dict[str, int] = {}
    for part in parts:
        for n in getattr(part, "_parameters", {}):
            names_seen[n] = names_seen.get(n, 0) + 1
    out: list[Any] = []
    profiled: list[str] = []
    for part in parts:
        if isinstance(part, ExperimentCost) and (poisson or not part._poisson):
            # a parameter seen by two parts of a sum is shared: it stays with Minuit
            chosen = [n for n in linear_candidates(part) if n not in skip and names_seen[n] == 1]
            if chosen:
                pc = ProfiledCost(part, chosen)
                out.append(pc)
                profiled.extend(pc.profiled)
                continue
        out.append(part)
    if not profiled:
        return cost, ()
    new = out[0] if len(out) == 1 else CostSum(*out)
    return new, tuple(profiled)
