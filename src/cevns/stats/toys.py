"""Toy Monte Carlo and Feldman-Cousins intervals.

Pseudo-experiments are drawn from the model at given parameter values: Poisson counts for
Poisson likelihoods, Gaussian counts with the dataset's errors for chi^2 likelihoods, and
the central values of Gaussian priors (auxiliary measurements) fluctuated around the true
nuisance values. Each toy is refitted with the same cost (templates shared).

Feldman-Cousins (1D): at every grid value theta the nuisances are profiled on the data,
toys are generated at (theta, nuisances(theta)), and theta is accepted if the data's
``Delta chi^2(theta)`` is below the ``cl`` quantile of the toys' ``Delta chi^2(theta)``.
Wilks' theorem fails for these data (Denton & Gehrlein, arXiv:2008.06062). Random numbers
come from ``numpy.random.SeedSequence(seed).spawn`` per grid point, so results do not
depend on how the work is distributed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from iminuit.cost import CostSum
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, unknown_name
from cevns.core.exceptions import InvalidParameterError
from cevns.stats.fit import FitWarning, _components, _names, fit
from cevns.stats.scan import Interval, delta_chi2_threshold

__all__ = ["FeldmanCousinsResult", "asimov", "feldman_cousins", "generate_toy", "toy_fits"]


def __dir__() -> list[str]:
    return __all__


def generate_toy(cost: Any, values: Mapping[str, float], rng: np.random.Generator) -> Any:
    """A pseudo-experiment of ``cost`` (an ExperimentCost or a sum) at ``values``.

    Parameters
    ----------
    cost : ExperimentCost or sum of costs
        The likelihood whose data are drawn.
    values : mapping of str to float
        True parameter values (defaults of the cost elsewhere).
    rng : numpy.random.Generator
        Random numbers (Poisson counts, Gaussian values and prior means).

    Returns
    -------
    ExperimentCost or sum of costs
        The same likelihood with the drawn data.
    """
    parts = []
    for comp in _components(cost):
        if not hasattr(comp, "with_data"):
            parts.append(comp)  # e.g. an external constraint: kept as is
            continue
        mu = comp.predict(values).total
        if comp.experiment.likelihood == "poisson":
            counts = rng.poisson(mu).astype(np.float64)
        else:
            counts = rng.normal(mu, comp.experiment.dataset.errors)
        means = {n: float(rng.normal(values[n], s)) for n, (_, s) in comp.priors.items()}
        parts.append(comp.with_data(counts, prior_means=means))
    return parts[0] if len(parts) == 1 else CostSum(*parts)


def asimov(cost: Any, values: Mapping[str, float] | None = None) -> Any:
    """The Asimov pseudo-experiment of ``cost``: the data replaced by the expectation.

    Every experiment's counts become its expected counts at ``values`` (defaults of the
    cost elsewhere) and the prior means sit at the true nuisance values, so a fit returns
    ``values`` with chi^2 = 0 and a scan gives the median expected sensitivity. For chi^2
    likelihoods the dataset's errors are kept.

    Parameters
    ----------
    cost : ExperimentCost or sum of costs
        The likelihood whose data are replaced.
    values : mapping of str to float, optional
        True parameter values; default the cost's defaults.

    Returns
    -------
    ExperimentCost or sum of costs
        The same likelihood with the expected data.

    Examples
    --------
    >>> from cevns.config import load_experiment
    >>> cost = load_experiment("conus_ge").cost("sm")
    >>> round(float(asimov(cost)(*[cost.defaults[n] for n in cost._parameters])), 9)
    0.0
    """
    from cevns.stats.fit import parameter_info

    defaults, _, _ = parameter_info(cost)
    vals = defaults | dict(values or {})
    unknown = set(values or {}) - set(_names(cost))
    if unknown:
        raise unknown_name("parameter", sorted(unknown)[0], _names(cost))
    parts = []
    for comp in _components(cost):
        if not hasattr(comp, "with_data"):
            parts.append(comp)
            continue
        means = {n: float(vals[n]) for n in comp.priors}
        parts.append(comp.with_data(comp.predict(vals).total, prior_means=means))
    return parts[0] if len(parts) == 1 else CostSum(*parts)


def _quiet_fit(cost: Any, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return fit(cost, hesse=False, warn=False, **kw)


def toy_fits(
    cost: Any,
    values: Mapping[str, float],
    n: int,
    *,
    seed: int = 0,
    fix: Mapping[str, float] | None = None,
    free: Sequence[str] = (),
) -> dict[str, NDArray[np.float64]]:
    """Fit ``n`` toys drawn at ``values``; returns arrays of fitted values, fval and validity.

    Parameters
    ----------
    cost : iminuit cost
        An experiment cost or a sum of costs.
    values : Mapping[str, float]
        Parameter values at which the toys are drawn (also the fit start).
    n : int
        Number of toys.
    seed : int, optional
        Seed of the random generator (default 0).
    fix : Mapping[str, float], optional
        Parameters to fix, with their values.
    free : sequence of str, optional
        Default-fixed parameters to fit.

    Returns
    -------
    dict of str -> array
        Fitted value of every parameter per toy, plus ``fval`` and ``valid`` (1.0 or 0.0).
    """
    rng = np.random.default_rng(seed)
    names = _names(cost)
    out: dict[str, list[float]] = {k: [] for k in (*names, "fval", "valid")}
    for _ in range(n):
        toy = generate_toy(cost, values, rng)
        r = _quiet_fit(toy, start=dict(values), fix=fix, free=list(free))
        for k in names:
            out[k].append(r.values[k])
        out["fval"].append(r.fval)
        out["valid"].append(float(r.valid))
    return {k: np.asarray(v) for k, v in out.items()}


@dataclass(frozen=True)
class FeldmanCousinsResult:
    """Feldman-Cousins construction on a 1D grid.

    Parameters
    ----------
    name : str
        The parameter of interest.
    grid : array
        Tested values of the parameter (increasing).
    delta_chi2_data : array
        Profiled Delta chi^2 of the data at each grid value.
    critical : array
        Critical Delta chi^2 at each grid value (the ``cl`` quantile of the toys).
    cl : float
        Confidence level.
    n_toys : int
        Toys per grid value.
    seed : int
        Base seed of the toys.
    invalid_toy_fits : int
        Number of toy fits that did not converge (over the whole grid).
    """

    name: str
    grid: NDArray[np.float64]
    delta_chi2_data: NDArray[np.float64]
    critical: NDArray[np.float64]
    cl: float
    n_toys: int
    seed: int
    invalid_toy_fits: int

    @property
    def accepted(self) -> NDArray[np.bool_]:
        """Grid values inside the confidence set."""
        return self.delta_chi2_data <= self.critical

    def interval(self) -> Interval:
        """The confidence set as a union of segments (edges interpolated on the grid)."""
        d = self.delta_chi2_data - self.critical
        x = self.grid
        segs: list[tuple[float, float]] = []
        inside = d <= 0
        i, n = 0, x.size
        while i < n:
            if not inside[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and inside[j + 1]:
                j += 1
            lo = x[i] if i == 0 else x[i - 1] + (x[i] - x[i - 1]) * (-d[i - 1]) / (d[i] - d[i - 1])
            hi = x[j] if j == n - 1 else x[j] + (x[j + 1] - x[j]) * (-d[j]) / (d[j + 1] - d[j])
            segs.append((float(lo), float(hi)))
            i = j + 1
        best = float(x[int(np.argmin(self.delta_chi2_data))])
        return Interval(
            tuple(segs), self.cl, 1, float("nan"), best, bool(inside[0]), bool(inside[-1])
        )

    def wilks_interval(self) -> Interval:
        """The Wilks interval from the same data profile, for comparison."""
        from cevns.stats.scan import ScanResult

        sr = ScanResult(
            (self.name,),
            (self.grid,),
            self.delta_chi2_data,
            np.ones(self.grid.size, bool),
            {},
            {"chi2": 0.0},
        )
        return sr.interval(self.cl, 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "parameter": self.name,
            "cl": self.cl,
            "n_toys": self.n_toys,
            "seed": self.seed,
            "grid": self.grid.tolist(),
            "delta_chi2_data": self.delta_chi2_data.tolist(),
            "critical_delta_chi2": self.critical.tolist(),
            "interval": self.interval().to_list(),
            "wilks_interval": self.wilks_interval().to_list(),
            "wilks_threshold": delta_chi2_threshold(self.cl, 1),
            "invalid_toy_fits": self.invalid_toy_fits,
        }


def _fc_point(
    cost: Any,
    name: str,
    theta: float,
    best_values: Mapping[str, float],
    n_toys: int,
    cl: float,
    seed_seq: np.random.SeedSequence,
    free: Sequence[str],
) -> tuple[float, float, int]:
    prof = _quiet_fit(
        cost, start=dict(best_values) | {name: theta}, fix={name: theta}, free=list(free)
    )
    truth = dict(prof.values)
    rng = np.random.default_rng(seed_seq)
    dchi = np.empty(n_toys)
    bad = 0
    for k in range(n_toys):
        toy = generate_toy(cost, truth, rng)
        fixed = _quiet_fit(toy, start=truth, fix={name: theta}, free=list(free))
        glob = _quiet_fit(toy, start=truth, free=list(free))
        bad += int(not (fixed.valid and glob.valid))
        dchi[k] = max(fixed.fval - min(glob.fval, fixed.fval), 0.0)
    return prof.fval, float(np.quantile(dchi, cl)), bad


def feldman_cousins(
    cost: Any,
    name: str,
    grid: ArrayLike,
    *,
    n_toys: int = 500,
    cl: float = 0.9,
    seed: int = 0,
    free: Sequence[str] = (),
    workers: int = 1,
) -> FeldmanCousinsResult:
    """Feldman-Cousins confidence set for one parameter (nuisances profiled).

    Parameters
    ----------
    cost : iminuit cost
    name : str
        The parameter of interest.
    grid : array
        Values of the parameter to test.
    n_toys : int
        Toys per grid value.
    cl : float
    seed : int
        Base seed; toys at grid point i use ``SeedSequence(seed).spawn(n)[i]``.
    free : sequence of str
        Default-fixed parameters to profile.
    workers : int
        Local processes (results independent of this number).
    """
    names = _names(cost)
    if name not in names:
        raise unknown_name("parameter", name, names)
    x = as_float_array("grid", grid).ravel()
    if x.size < 2 or np.any(np.diff(x) <= 0):
        msg = "grid must be increasing with at least 2 values"
        raise InvalidParameterError(msg)
    if n_toys < 10:
        msg = f"n_toys must be >= 10 for a quantile at cl={cl}, got {n_toys}"
        raise InvalidParameterError(msg)
    best = _quiet_fit(cost, free=[*free, name], multistart=2)
    seeds = np.random.SeedSequence(seed).spawn(x.size)
    args = [
        (name, float(t), best.values, n_toys, cl, s, tuple(free))
        for t, s in zip(x, seeds, strict=True)
    ]
    if workers > 1:
        import multiprocessing

        from cevns.stats import scan

        ctx = multiprocessing.get_context("fork")  # the cost is inherited, not pickled
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=scan._init_worker, initargs=(cost,)
        ) as pool:
            res = list(pool.map(_fc_in_worker, args))
    else:
        res = [_fc_point(cost, *a) for a in args]
    fvals = np.array([r[0] for r in res])
    crit = np.array([r[1] for r in res])
    bad = int(sum(r[2] for r in res))
    chi2_min = min(best.fval, float(fvals.min()))
    return FeldmanCousinsResult(name, x, fvals - chi2_min, crit, cl, n_toys, seed, bad)


def _fc_in_worker(a: tuple[Any, ...]) -> tuple[float, float, int]:
    from cevns.stats import scan

    return _fc_point(scan._WORKER_COST, *a)
