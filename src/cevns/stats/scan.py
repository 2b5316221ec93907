"""Profile-likelihood scans over a grid, on one core, local processes or a dask cluster.

Execution model (what makes backends identical and resumes exact)
-----------------------------------------------------------------
The grid is cut into *chunks* that depend only on the grid (never on the backend or the
number of workers): the rows of a 2D scan, blocks of :data:`CHUNK_1D` points of a 1D scan,
each ordered as a snake so neighbouring points follow each other. A chunk is fitted point
after point, each fit starting from the previous point's solution (warm start: start values
only, default steps), the first from the global best fit; from such a start Migrad with
strategy 0, the cost's analytic gradient and tol = 1e-3 (the defaults, see
:func:`profile_scan`) converges in the fewest calls and closest to the minimum. The points
of a chunk share one Minuit object (:class:`cevns.stats.fit.PointFitter`: the numbers of
:func:`cevns.stats.fit.fit` without its set-up per point). Every finished point is appended
as one JSON line to the checkpoint file (``O_APPEND`` writes of one line are atomic), by
whichever process computed it. A resumed scan reads the file, skips finished points and
continues each chunk from its last finished point, so it gives bit-identical results to an
uninterrupted one, and no finished point is computed twice. A process killed in the middle
of a write leaves at most that one line torn, which is skipped (the point is recomputed). A
dask worker that dies mid-scan has its chunk rerun from the chunk's start by another worker:
the same numbers (a chunk depends only on the grid), recorded a second time. The scan holds
an exclusive lock on its checkpoint (a second scan on the same file is refused), and a file
that is not this scan's checkpoint is refused without being touched.

Grids are checked before any fit: finite, strictly monotonic axes of at most
:data:`MAX_GRID_POINTS` points; start and fixed values finite; log axes among the scanned.

A fit that fails is retried from the global best fit (strategy 1) and then with a
multi-start; if it is still invalid it is kept with ``valid = False`` (never dropped or
replaced by NaN).
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, unknown_name
from cevns.core.exceptions import FitError, InvalidParameterError
from cevns.stats.fit import (
    FitWarning,
    PointFitter,
    _names,
    fit,
    parameter_info,
    structural_names,
)

__all__ = [
    "CHUNK_1D",
    "Interval",
    "ScanResult",
    "delta_chi2_threshold",
    "grid_axis",
    "profile_scan",
]


def __dir__() -> list[str]:
    return __all__


#: Points per chunk of a 1D scan.
CHUNK_1D = 25
Backend = Literal["serial", "processes", "dask"]


def delta_chi2_threshold(cl: float, dof: int = 1) -> float:
    """Wilks threshold: the Delta chi^2 quantile of a chi^2 distribution with ``dof``.

    Parameters
    ----------
    cl : float
        Confidence level, in (0, 1).
    dof : int, optional
        Degrees of freedom (>= 1, default 1).

    Returns
    -------
    float
        The ``cl`` quantile of a chi^2 distribution with ``dof`` degrees of freedom.

    Examples
    --------
    >>> round(delta_chi2_threshold(0.95, 1), 4), round(delta_chi2_threshold(0.9973, 2), 3)
    (3.8415, 11.829)
    """
    if not 0 < cl < 1:
        msg = f"cl must be in (0, 1), got {cl!r}"
        raise InvalidParameterError(msg)
    if dof < 1:
        msg = f"dof must be >= 1, got {dof!r}"
        raise InvalidParameterError(msg)
    from scipy import stats  # on first use: scipy.stats takes ~1 s to import

    return float(stats.chi2.ppf(cl, dof))


def grid_axis(start: float, stop: float, n: int, *, log: bool = False) -> NDArray[np.float64]:
    """``n`` points from ``start`` to ``stop`` (log-spaced with ``log=True``).

    Parameters
    ----------
    start, stop : float
        First and last point (both positive for a log axis).
    n : int
        Number of points.
    log : bool
        Log-spaced points.

    Returns
    -------
    ndarray
        The axis.

    Examples
    --------
    >>> grid_axis(1, 100, 3, log=True)
    array([  1.,  10., 100.])
    """
    if isinstance(n, bool) or not (isinstance(n, int | np.integer) and 1 <= n <= MAX_GRID_POINTS):
        msg = f"number of grid points must be an integer in 1..{MAX_GRID_POINTS}, got {n!r}"
        raise InvalidParameterError(msg)
    if not (math.isfinite(start) and math.isfinite(stop)):
        msg = f"grid bounds must be finite, got {start}:{stop}"
        raise InvalidParameterError(msg)
    if n > 1 and not start < stop:
        msg = f"grid start must be below stop (an increasing axis), got {start}:{stop}"
        raise InvalidParameterError(msg)
    if log:
        if start <= 0 or stop <= 0:
            msg = f"a log axis needs positive bounds, got {start}:{stop}"
            raise InvalidParameterError(msg)
        return np.geomspace(start, stop, n)
    return np.linspace(start, stop, n)


#: Upper bound on the points of one axis and of a whole grid (a typo such as 1e9 points
#: would otherwise run out of memory long after the scan started).
MAX_GRID_POINTS = 1_000_000


def _check_axis(name: str, values: ArrayLike) -> NDArray[np.float64]:
    a = as_float_array(f"grid[{name!r}]", values).ravel()
    if a.size == 0:
        msg = f"grid[{name!r}]: an axis needs at least one value"
        raise InvalidParameterError(msg)
    if a.size > MAX_GRID_POINTS:
        msg = f"grid[{name!r}]: {a.size} points; at most {MAX_GRID_POINTS} per axis"
        raise InvalidParameterError(msg)
    if not np.all(np.isfinite(a)):
        i = int(np.flatnonzero(~np.isfinite(a))[0])
        msg = f"grid[{name!r}]: values must be finite, got {a[i]} at index {i}"
        raise InvalidParameterError(msg)
    # Ordered: strictly increasing, or strictly decreasing (the scan then runs in that
    # order, e.g. a coupling growing away from zero towards negative values).
    steps = np.diff(a)
    sign = 1.0 if steps.size == 0 or steps[0] > 0 else -1.0
    if np.any(sign * steps <= 0):
        i = int(np.flatnonzero(sign * steps <= 0)[0])
        msg = (
            f"grid[{name!r}]: values must be strictly increasing or strictly decreasing, got "
            f"{a[i]} then {a[i + 1]} at index {i}; sort the axis (np.unique) before scanning"
        )
        raise InvalidParameterError(msg)
    return a


def _check_values(what: str, values: Mapping[str, float] | None) -> None:
    for k, v in (values or {}).items():
        if not isinstance(v, int | float | np.floating | np.integer) or not math.isfinite(v):
            msg = f"{what}[{k!r}] must be a finite number, got {v!r}"
            raise InvalidParameterError(msg)


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class Interval:
    """A confidence set in one parameter: a union of ``[lo, hi]`` segments.

    Parameters
    ----------
    segments : tuple of (float, float)
        Disjoint ``(lo, hi)`` segments of the set, in increasing order.
    cl : float
        Confidence level of the set.
    dof : int
        Degrees of freedom of the Wilks threshold.
    threshold : float
        Delta chi^2 threshold used (NaN for a Feldman-Cousins set).
    best : float
        Best-fit value of the parameter.
    open_low, open_high : bool, optional
        Whether the first (last) segment reaches the end of the scanned range (bound not found).
    """

    segments: tuple[tuple[float, float], ...]
    cl: float
    dof: int
    threshold: float
    best: float
    open_low: bool = False
    open_high: bool = False

    def to_list(self) -> list[list[float]]:
        """Segments as nested lists (JSON)."""
        return [[lo, hi] for lo, hi in self.segments]

    def __str__(self) -> str:
        last = len(self.segments) - 1
        parts = []
        for i, (lo, hi) in enumerate(self.segments):
            left = "<" if (i == 0 and self.open_low) else ""
            right = ">" if (i == last and self.open_high) else ""
            parts.append(f"[{left}{lo:.4g}, {hi:.4g}{right}]")
        segs = " U ".join(parts)
        return f"{segs} at {self.cl:.4g} CL ({self.dof} dof, Delta chi2 < {self.threshold:.4g})"


@dataclass(frozen=True)
class ScanResult:
    """A profile scan over a 1D or 2D grid.

    Attributes
    ----------
    names : tuple of str
        Scanned parameters.
    axes : tuple of ndarray
        Grid values per scanned parameter.
    chi2 : ndarray
        Cost at each grid point (chi^2 units; -2 ln L for Poisson), shape of the grid.
    valid : ndarray of bool
    profiled : dict name -> ndarray
        Profiled (refitted) parameter values at each grid point.
    best_fit : dict
        Global best fit (free scanned parameters) ``{"chi2": ..., "values": {...}}``.
    log_axes : tuple of bool
        Per scanned parameter, whether its axis is log-spaced (plots); ``()`` for none.
    meta : dict
        Free-form provenance (backend, timing, model) kept in the JSON form.
    """

    names: tuple[str, ...]
    axes: tuple[NDArray[np.float64], ...]
    chi2: NDArray[np.float64]
    valid: NDArray[np.bool_]
    profiled: dict[str, NDArray[np.float64]]
    best_fit: dict[str, Any]
    log_axes: tuple[bool, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def invalid_points(self) -> list[dict[str, float]]:
        """The grid points whose fit is not valid, as ``{name: value}`` in grid order.

        Their chi2 is kept (never dropped or replaced), but an interval or contour that
        passes near one is not to be trusted: look at them (``cevns scan`` prints them).

        Returns
        -------
        list of dict
            One ``{scanned name: value}`` per invalid point.
        """
        return [
            {n: float(ax[i]) for n, ax, i in zip(self.names, self.axes, idx, strict=True)}
            for idx in zip(*np.nonzero(~self.valid), strict=True)
        ]

    @property
    def chi2_min(self) -> float:
        """Reference minimum: the lower of the global fit and the grid minimum."""
        grid_min = float(np.min(self.chi2))
        return min(grid_min, float(self.best_fit.get("chi2", grid_min)))

    @property
    def delta_chi2(self) -> NDArray[np.float64]:
        """chi2 minus :attr:`chi2_min`."""
        return self.chi2 - self.chi2_min

    def interval(self, cl: float = 0.6827, dof: int = 1, name: str | None = None) -> Interval:
        """Confidence set of a 1D scan (possibly a union of disjoint segments).

        Crossings of the threshold are found by linear interpolation of Delta chi^2 between
        grid points; a set reaching the end of the grid is flagged open on that side.

        Parameters
        ----------
        cl : float
            Confidence level (Wilks' theorem).
        dof : int
            Degrees of freedom of the Delta chi^2 threshold.
        name : str, optional
            Unused (a 1-D scan has one parameter); kept for callers that pass it.

        Returns
        -------
        Interval
            The union of segments, flagged open where it reaches the grid's end.
        """
        if len(self.names) != 1:
            msg = "interval() needs a 1D scan; use contours() or excluded() for 2D"
            raise InvalidParameterError(msg)
        thr = delta_chi2_threshold(cl, dof)
        x = self.axes[0]
        d = self.delta_chi2 - thr
        if x.size > 1 and x[1] < x[0]:  # a decreasing axis: segments are read low to high
            x, d = x[::-1], d[::-1]
        inside = d <= 0
        segs: list[tuple[float, float]] = []
        i = 0
        n = x.size
        while i < n:
            if not inside[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and inside[j + 1]:
                j += 1
            lo = x[i] if i == 0 else _cross(x[i - 1], x[i], d[i - 1], d[i])
            hi = x[j] if j == n - 1 else _cross(x[j], x[j + 1], d[j], d[j + 1])
            segs.append((float(lo), float(hi)))
            i = j + 1
        best = float(self.axes[0][int(np.argmin(self.chi2))])
        return Interval(tuple(segs), cl, dof, thr, best, bool(inside[0]), bool(inside[-1]))

    def excluded(self, cl: float = 0.95, dof: int | None = None) -> NDArray[np.bool_]:
        """Mask of grid points excluded at ``cl`` (Wilks; ``dof`` defaults to the grid dim.).

        Parameters
        ----------
        cl : float
            Confidence level (Wilks' theorem).
        dof : int, optional
            Degrees of freedom of the Delta chi^2 threshold; default the grid dimension.

        Returns
        -------
        ndarray of bool
            True where Delta chi^2 is above the threshold, the shape of the grid.
        """
        return self.delta_chi2 > delta_chi2_threshold(cl, dof or len(self.names))

    def contours(self, cl: float = 0.95, dof: int | None = None) -> list[NDArray[np.float64]]:
        """Contour lines of Delta chi^2 at ``cl`` on the grid (no MnContour), as (n, 2) arrays.

        Works for rings and disjoint regions (vector NSI interference).

        Parameters
        ----------
        cl : float
            Confidence level (Wilks' theorem).
        dof : int, optional
            Degrees of freedom of the Delta chi^2 threshold; default 2.

        Returns
        -------
        list of ndarray
            One ``(n, 2)`` array of (x, y) vertices per contour line.
        """
        if len(self.names) != 2:
            msg = "contours() needs a 2D scan"
            raise InvalidParameterError(msg)
        import contourpy

        x, y = self.axes
        gen = contourpy.contour_generator(x, y, self.delta_chi2.T, line_type="Separate")
        return [np.asarray(seg) for seg in gen.lines(delta_chi2_threshold(cl, dof or 2))]

    def reduce(
        self, over: str, method: Literal["profile", "marginalise"] = "profile"
    ) -> ScanResult:
        """A 1D result from a 2D scan, with ``over`` eliminated.

        ``"profile"``: the minimum of chi^2 over the ``over`` axis of the grid (the profiled
        values follow the minimising grid point; refine the grid or rescan to polish).
        ``"marginalise"``: ``-2 ln`` of the likelihood averaged over the ``over`` axis with
        a flat prior on the scanned range (trapezoid rule on the grid):
        ``chi2_m = c - 2 ln(mean_x exp(-(chi2 - c) / 2))``, ``c`` the grid minimum, so
        Delta chi^2 keeps its meaning. Seed 002 Fig. 2 "marginalises over x" (LMA-Dark).

        Parameters
        ----------
        over : str
            The scanned parameter to eliminate.
        method : {"profile", "marginalise"}
            Minimum over that axis, or the flat-prior average of the likelihood.

        Returns
        -------
        ScanResult
            A 1-D result along the other parameter.

        Examples
        --------
        >>> r = ScanResult(("m", "x"), (np.array([1.0, 2.0]), np.array([0.0, 1.0, 2.0])),
        ...                np.array([[4.0, 1.0, 4.0], [9.0, 9.0, 9.0]]),
        ...                np.ones((2, 3), bool), {}, {})
        >>> r.reduce("x").chi2.tolist()
        [1.0, 9.0]
        >>> round(float(r.reduce("x", "marginalise").chi2[1]), 12)
        9.0
        """
        if len(self.names) != 2:
            msg = "reduce() needs a 2D scan"
            raise InvalidParameterError(msg)
        if over not in self.names:
            raise unknown_name("scanned parameter", over, self.names)
        if method not in ("profile", "marginalise"):
            msg = f"method must be 'profile' or 'marginalise', got {method!r}"
            raise InvalidParameterError(msg)
        k = self.names.index(over)
        keep = 1 - k
        chi2 = np.moveaxis(self.chi2, k, 1)  # (kept, over)
        valid = np.moveaxis(self.valid, k, 1)
        if method == "profile":
            j = np.argmin(chi2, axis=1)
            rows = np.arange(chi2.shape[0])
            out = chi2[rows, j]
            ok = valid[rows, j]
            prof = {n: np.moveaxis(v, k, 1)[rows, j] for n, v in self.profiled.items()}
            prof[over] = self.axes[k][j]
        else:
            x = self.axes[k]
            if x.size < 2:
                msg = f"marginalising over {over!r} needs at least two grid values"
                raise InvalidParameterError(msg)
            c = float(np.min(chi2))
            w = np.exp(-(chi2 - c) / 2.0)
            from scipy import integrate

            mean = integrate.trapezoid(w, x, axis=1) / (x[-1] - x[0])
            with np.errstate(divide="ignore"):
                out = c - 2.0 * np.log(mean)
            ok = valid.all(axis=1)
            prof = {}
        return ScanResult(
            names=(self.names[keep],),
            axes=(self.axes[keep],),
            chi2=np.asarray(out, dtype=np.float64),
            valid=np.asarray(ok, dtype=bool),
            profiled=prof,
            best_fit=self.best_fit if method == "profile" else {},
            log_axes=(self.log_axes[keep],) if self.log_axes else (),
            meta=self.meta | {"reduced": {"over": over, "method": method}},
        )

    # -------------------------------------------------------------- export
    def to_dict(self, cl_convention: str | None = None) -> dict[str, Any]:
        """JSON-friendly dict: ``points`` (one per grid point), best fit, CL convention.

        Parameters
        ----------
        cl_convention : str, optional
            Text stating how the CLs are to be read (Wilks, dof); default the standard one.

        Returns
        -------
        dict
            Names, axes, points, best fit and convention.
        """
        points = []
        for idx in np.ndindex(self.chi2.shape):
            p: dict[str, Any] = {
                n: float(ax[i]) for n, ax, i in zip(self.names, self.axes, idx, strict=True)
            }
            p["chi2"] = float(self.chi2[idx])
            p["valid"] = bool(self.valid[idx])
            p["profiled"] = {k: float(v[idx]) for k, v in self.profiled.items()}
            points.append(p)
        return {
            "scanned": list(self.names),
            "axes": {n: ax.tolist() for n, ax in zip(self.names, self.axes, strict=True)},
            "log_axes": list(self.log_axes),
            "points": points,
            "best_fit": self.best_fit,
            "chi2_min": self.chi2_min,
            "cl_convention": cl_convention
            or (
                "Wilks: Delta chi2 = chi2 - chi2_min compared with chi2 quantiles; "
                f"{len(self.names)} dof for the joint grid, 1 dof per parameter for intervals"
            ),
            "n_invalid": int((~self.valid).sum()),
            "invalid_points": self.invalid_points(),
            "meta": self.meta,
        }

    def to_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON.

        Parameters
        ----------
        path : str or Path
            The JSON file (replaced).
        """
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    def to_csv(self, path: str | Path) -> None:
        """One row per grid point: scanned values, chi2, delta_chi2, valid, profiled values.

        Parameters
        ----------
        path : str or Path
            The CSV file (replaced).
        """
        cols = [*self.names, "chi2", "delta_chi2", "valid", *self.profiled]
        rows = []
        dchi = self.delta_chi2
        for idx in np.ndindex(self.chi2.shape):
            row = [float(ax[i]) for ax, i in zip(self.axes, idx, strict=True)]
            row += [float(self.chi2[idx]), float(dchi[idx]), int(self.valid[idx])]
            row += [float(v[idx]) for v in self.profiled.values()]
            rows.append(",".join(repr(v) for v in row))
        Path(path).write_text(",".join(cols) + "\n" + "\n".join(rows) + "\n")

    def to_root(self, path: str | Path, tree: str = "scan") -> None:
        """Write a TTree (one entry per grid point) with uproot.

        Parameters
        ----------
        path : str or Path
            The ROOT file (replaced).
        tree : str
            Name of the TTree.
        """
        import uproot

        branches: dict[str, NDArray[Any]] = {}
        mesh = np.meshgrid(*self.axes, indexing="ij")
        for n, m in zip(self.names, mesh, strict=True):
            branches[n] = m.ravel()
        branches["chi2"] = self.chi2.ravel()
        branches["delta_chi2"] = self.delta_chi2.ravel()
        branches["valid"] = self.valid.ravel().astype(np.int8)
        for k, v in self.profiled.items():
            branches[f"profiled_{k}"] = v.ravel()
        safe = {k.replace(".", "__"): v for k, v in branches.items()}
        with uproot.recreate(path) as f:
            f.mktree(tree, {k: v.dtype for k, v in safe.items()})
            f[tree].extend(safe)


def _cross(x0: float, x1: float, d0: float, d1: float) -> float:
    if d1 == d0:
        return float(x0)
    return float(x0 + (x1 - x0) * (0 - d0) / (d1 - d0))


# ---------------------------------------------------------------------- execution
@dataclass(frozen=True)
class _Spec:
    names: tuple[str, ...]
    axes: tuple[tuple[float, ...], ...]
    fix: tuple[tuple[str, float], ...]
    free: tuple[str, ...]
    start: tuple[tuple[str, float], ...]
    scan_id: str
    profile_linear: bool | None = None
    strategy: int = 0
    tol: float = 1e-3
    gradient: bool = True


def _chunks(shape: tuple[int, ...], along: int = 0) -> list[list[tuple[int, ...]]]:
    """Chunks of grid indices; in 2D each chunk is one line of the grid along ``along``.

    A line along the non-mass axis keeps the mediator mass fixed inside a chunk, so a worker
    builds the templates of its own masses only; consecutive lines alternate direction.
    """
    if len(shape) == 1:
        idx: list[tuple[int, ...]] = [(i,) for i in range(shape[0])]
        return [idx[k : k + CHUNK_1D] for k in range(0, len(idx), CHUNK_1D)]
    other = 1 - along
    out: list[list[tuple[int, ...]]] = []
    for j in range(shape[other]):
        line: list[tuple[int, ...]] = [
            (i, j) if along == 0 else (j, i) for i in range(shape[along])
        ]
        out.append(line if j % 2 == 0 else line[::-1])
    return out


class _Checkpoint:
    """The JSON-lines record of a scan, locked for the duration of the scan.

    The first line is a header naming the scan; each further line one finished point. A
    file that is not such a record (another scan's, or not a checkpoint at all) is refused
    before anything is written to it. An exclusive ``flock`` on the file stops a second
    scan from recording into it at the same time (workers append without taking it).
    """

    def __init__(self, path: Path | None, spec: _Spec) -> None:
        self.path = path
        self.spec = spec
        self.done: dict[tuple[int, ...], dict[str, Any]] = {}
        self._lock_fd: int | None = None
        if path is None:
            return
        if path.exists() and not path.is_file():
            msg = f"checkpoint {path} is not a file"
            raise InvalidParameterError(msg)
        if path.exists() and path.stat().st_size > 0:
            self._read(path, spec)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _append(path, {"scan_id": spec.scan_id, "names": list(spec.names)})
            except (OSError, FitError) as e:
                why = e.strerror if isinstance(e, OSError) else str(e).split(": ", 1)[-1]
                msg = f"cannot write the checkpoint {path}: {why}"
                raise InvalidParameterError(msg) from None
        self._lock(path)

    def _read(self, path: Path, spec: _Spec) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as e:
            msg = f"checkpoint {path} is not a cevns scan checkpoint (unreadable: {e})"
            raise InvalidParameterError(msg) from None
        lines = text.splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or "scan_id" not in header:
            msg = (
                f"checkpoint {path} is not a cevns scan checkpoint (its first line is not a "
                "scan header); it was left unchanged: use another --checkpoint path"
            )
            raise InvalidParameterError(msg)
        if header.get("scan_id") != spec.scan_id:
            msg = (
                f"checkpoint {path} belongs to a different scan (id {header.get('scan_id')!r}, "
                f"this scan {spec.scan_id!r}); use another --checkpoint path or delete it"
            )
            raise InvalidParameterError(msg)
        for line in lines[1:]:
            rec = _parse_record(line)
            if rec is not None:  # else a line cut by a kill: the point is recomputed
                self.done[tuple(rec["index"])] = rec
        if not text.endswith("\n"):  # our own line torn by a kill: terminate it
            with path.open("a", encoding="utf-8") as fh:
                fh.write("\n")

    def _lock(self, path: Path) -> None:
        import fcntl

        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            msg = (
                f"checkpoint {path} is in use by another running scan; wait for it to "
                "finish or use another --checkpoint path"
            )
            raise InvalidParameterError(msg) from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the lock (the file stays for a later resume)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _parse_record(line: str) -> dict[str, Any] | None:
    """One finished point of a checkpoint line, or ``None`` for a torn line.

    A process killed in the middle of its write leaves the start of a record without a
    newline; the next record appended (by another worker) then follows it on the same
    line. That record is recovered from the last ``{"index"`` of the line.
    """
    text = line.strip()
    if not text:
        return None
    for start in (0, text.rfind('{"index"')):
        if start < 0:
            continue
        try:
            rec = json.loads(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("index"), list):
            return rec
    return None


def _finished_points(path: Path) -> int:
    """Finished points recorded in a checkpoint (read only; no lock taken)."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return len({tuple(r["index"]) for r in map(_parse_record, lines) if r is not None})


def _append(path: Path, record: Mapping[str, Any]) -> None:
    """Append one record as one line: a single ``O_APPEND`` write of the whole line.

    Appends of one buffer do not interleave with other processes' appends, so a kill
    (even ``kill -9``) loses at most the line being written; a short write (a signal, a
    full disk) is continued, and an error leaves at most a torn last line, which readers
    skip (:func:`_parse_record`).
    """
    line = (json.dumps(record) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)
    except OSError as e:
        msg = (
            f"cannot record a point in the checkpoint {path}: {e.strerror or e}; the points "
            "already recorded are kept: rerun the same scan to resume"
        )
        raise FitError(msg) from None


@dataclass(frozen=True)
class _Minimum:
    """The part of a FitResult a scan point keeps (from a PointFitter)."""

    fval: float
    valid: bool
    values: dict[str, float]


def _fitter(cost: Any, spec: _Spec) -> PointFitter:
    """One Minuit object for the points of a chunk (the scanned and fixed parameters held)."""
    return PointFitter(
        cost,
        fixed={*spec.names, *(n for n, _ in spec.fix)},
        free=[n for n in spec.free if n not in spec.names],
        profile_linear=spec.profile_linear,
        strategy=spec.strategy,
        tol=spec.tol,
        gradient=spec.gradient,
    )


def _fit_point(
    cost: Any,
    spec: _Spec,
    values: Mapping[str, float],
    start: Mapping[str, float],
    best: Mapping[str, float],
    fitter: PointFitter | None = None,
) -> dict[str, Any]:
    fix = dict(spec.fix) | dict(values)
    free = [n for n in spec.free if n not in values]
    settings: dict[str, Any] = {
        "fix": fix,
        "free": free,
        "hesse": False,
        "warn": False,
        "profile_linear": spec.profile_linear,
        "details": False,  # the minimum only: no profiled errors, no expected counts
        "tol": spec.tol,
        "gradient": spec.gradient,
    }
    # a failed point is retried with Minuit's careful default strategy (at least 1)
    careful = settings | {"strategy": max(spec.strategy, 1)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        res: Any
        if fitter is not None:  # the same minimum as fit() gives
            fval, ok, found = fitter.fit(start, fix)
            res = _Minimum(fval, ok, found)
        else:
            res = fit(cost, start=dict(start) | dict(values), strategy=spec.strategy, **settings)
        tries = 1
        if not res.valid:
            res2 = fit(cost, start=dict(best) | dict(values), **careful)
            tries += 1
            if res2.valid or res2.fval < res.fval:
                res = res2
        if not res.valid:
            res3 = fit(cost, start=dict(best) | dict(values), multistart=4, **careful)
            tries += 1
            if res3.valid or res3.fval < res.fval:
                res = res3
    # a point whose minimum is not finite is never valid (it would garble the intervals)
    valid = bool(res.valid) and math.isfinite(res.fval)
    return {"chi2": res.fval, "valid": valid, "values": res.values, "tries": tries}


#: (number of loaded modules, threadpoolctl controller): finding the loaded BLAS libraries
#: reads the process's shared objects (~2 ms), so it is done again only when modules were
#: imported since (a new extension module can bring its own BLAS).
_CONTROLLER: list[Any] = [-1, None]


def _one_blas_thread() -> Any:
    """``threadpool_limits(1)`` without looking for the BLAS libraries at every chunk."""
    from threadpoolctl import ThreadpoolController

    n = len(sys.modules)
    if _CONTROLLER[0] != n:
        _CONTROLLER[1] = ThreadpoolController()
        _CONTROLLER[0] = n
    return _CONTROLLER[1].limit(limits=1)


def _run_chunk(
    cost: Any,
    spec: _Spec,
    chunk: Sequence[tuple[int, ...]],
    best: Mapping[str, float],
    done: Mapping[tuple[int, ...], dict[str, Any]],
    checkpoint: str | None,
) -> list[dict[str, Any]]:
    # One BLAS thread on every backend: the backends then compute bit-identical numbers
    # (a threaded reduction sums in another order, and a fragile fit can follow that
    # difference into another minimum), and worker processes do not oversubscribe cores.
    out = []
    start: Mapping[str, float] = best
    path = Path(checkpoint) if checkpoint else None
    with _one_blas_thread():
        fitter = None
        for idx in chunk:
            if idx in done:
                rec = done[idx]
                start = rec["values"]
                out.append(rec)
                continue
            values = {
                n: spec.axes[k][i] for k, (n, i) in enumerate(zip(spec.names, idx, strict=True))
            }
            if fitter is None:
                fitter = _fitter(cost, spec)
            r = _fit_point(cost, spec, values, start, best, fitter)
            rec = {"index": list(idx), **r}
            if path is not None:
                _append(path, rec)
            out.append(rec)
            start = r["values"]
    return out


_WORKER_COST: Any = None


def _init_worker(cost: Any) -> None:
    global _WORKER_COST
    _WORKER_COST = cost


def _run_chunk_in_worker(
    spec: _Spec,
    chunk: Sequence[tuple[int, ...]],
    best: Mapping[str, float],
    done: Mapping[tuple[int, ...], dict[str, Any]],
    checkpoint: str | None,
) -> list[dict[str, Any]]:
    return _run_chunk(_WORKER_COST, spec, chunk, best, done, checkpoint)


def profile_scan(
    cost: Any,
    grid: Mapping[str, ArrayLike],
    *,
    fix: Mapping[str, float] | None = None,
    free: Iterable[str] = (),
    start: Mapping[str, float] | None = None,
    backend: Backend = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = False,
    log_axes: Sequence[str] = (),
    best_fit: bool = True,
    profile_linear: bool | None = None,
    strategy: int = 0,
    tol: float = 1e-3,
    gradient: bool = True,
) -> ScanResult:
    """Profile the cost over a 1D or 2D grid of parameter values.

    Parameters
    ----------
    cost : iminuit cost
        E.g. ``experiment.cost("lma_dark")`` or a sum of costs.
    grid : mapping name -> values
        One or two scanned parameters (e.g. from :func:`grid_axis`).
    fix : mapping, optional
        Parameters held fixed at the given values everywhere.
    free : iterable of str
        Default-fixed parameters to profile (e.g. ``x`` of LMA-Dark is free by default, but a
        mediator mass is fixed by default).
    start : mapping, optional
        Start values of the global fit.
    backend : {"serial", "processes", "dask"}
        Where chunks run; results are identical (see module notes).
    workers : int, optional
        Processes or dask workers (default: all cores).
    scheduler : str, optional
        Address of a dask scheduler; without it a ``LocalCluster`` is started on this
        machine. Only the address given here is contacted. dask sends pickled Python
        objects to the scheduler and its workers and unpickles what they send back, which
        can run any code: give only a scheduler you trust like your own machine.
    checkpoint : path, optional
        JSON-lines checkpoint; an existing one for the same scan is resumed.
    progress : bool
        Show a progress bar (tqdm).
    log_axes : sequence of str
        Scanned parameters whose axis is logarithmic (for plots and reports).
    best_fit : bool
        Run a global fit with the scanned parameters free (the reference chi2_min).
    profile_linear : bool, optional
        Solve the parameters that enter linearly exactly at every point (see
        :func:`cevns.stats.fit.fit`; default: in the chi^2 experiments): the same profile
        with fewer Minuit calls.
    strategy, tol, gradient : Migrad settings of each grid point's fit
        (:func:`cevns.stats.fit.fit`). A point starts at its neighbour's minimum, where
        strategy 0 with the cost's analytic gradient (used where every part has one and the
        mediator mass is held fixed, else numerical; with its analytic Hessian too where
        every part has one, see :class:`cevns.stats.fit.PointFitter`) takes the fewest
        calls, and tol = 1e-3
        (an EDM goal of 2e-6) puts each profiled chi^2 within ~1e-6 of the exact minimum;
        Minuit's defaults (strategy 1, tol 0.1; cevns' fit: 0.01) stop up to ~3e-5 above it
        on Dresden-II (benchmarks/bench_scan.py). A point that fails is retried with
        strategy 1 (see the module notes); the global best fit uses strategy 1 and ``tol``.
    """
    free = tuple(free)  # iterated several times below
    if strategy not in (0, 1, 2) or isinstance(strategy, bool):
        msg = f"strategy must be 0, 1 or 2 (Minuit's), got {strategy!r}"
        raise InvalidParameterError(msg)
    if isinstance(tol, bool) or not (isinstance(tol, int | float) and 0 < tol < math.inf):
        msg = f"tol must be a finite number > 0, got {tol!r}"
        raise InvalidParameterError(msg)
    given: object = gradient  # checked at run time: callers need not be typed
    if not isinstance(given, bool):
        msg = f"gradient must be True or False, got {gradient!r}"
        raise InvalidParameterError(msg)
    if len(grid) not in (1, 2):
        msg = f"grid must have 1 or 2 parameters, got {list(grid)}"
        raise InvalidParameterError(msg)
    if backend not in ("serial", "processes", "dask"):
        msg = f"backend must be 'serial', 'processes' or 'dask', got {backend!r}"
        raise InvalidParameterError(msg)
    names_all = _names(cost)
    for n in [*grid, *(fix or {}), *free, *(start or {})]:
        if n not in names_all:
            raise unknown_name("parameter", n, names_all)
    for n in log_axes:
        if n not in grid:
            msg = f"log_axes names {n!r}, which is not scanned (scanned: {', '.join(grid)})"
            raise InvalidParameterError(msg)
    if workers is not None and not (
        isinstance(workers, int | np.integer) and not isinstance(workers, bool) and workers >= 1
    ):
        msg = f"workers must be an integer >= 1, got {workers!r}"
        raise InvalidParameterError(msg)
    if scheduler is not None:
        if backend != "dask":
            msg = f"scheduler {scheduler!r} is used by backend='dask' only, got {backend!r}"
            raise InvalidParameterError(msg)
        if not isinstance(scheduler, str) or not scheduler.strip():
            msg = f"scheduler must be an address such as 'tcp://host:8786', got {scheduler!r}"
            raise InvalidParameterError(msg)
    _check_values("fix", fix)
    _check_values("start", start)
    for what, listed in (("fix", list(fix or {})), ("free", list(free))):
        both = [n for n in listed if n in grid]
        if both:
            msg = f"{what} names {both[0]!r}, which is scanned (its values are the grid's)"
            raise InvalidParameterError(msg)
    axes = tuple(_check_axis(n, v) for n, v in grid.items())
    if math.prod(a.size for a in axes) > MAX_GRID_POINTS:
        msg = f"the grid has {math.prod(a.size for a in axes)} points; at most {MAX_GRID_POINTS}"
        raise InvalidParameterError(msg)
    names = tuple(grid)
    defaults, fixed_default, _ = parameter_info(cost)
    structural = structural_names(cost)
    free_t = tuple(sorted(set(free)))
    h = hashlib.sha256(
        json.dumps(
            [
                names,
                [a.tolist() for a in axes],
                sorted((fix or {}).items()),
                free_t,
                list(names_all),
                sorted(defaults.items()),
                [profile_linear, strategy, float(tol), gradient],
            ]
        ).encode()
    ).hexdigest()[:16]
    spec = _Spec(
        names,
        tuple(tuple(float(v) for v in a) for a in axes),
        tuple(sorted((fix or {}).items())),
        free_t,
        tuple(sorted((start or {}).items())),
        h,
        profile_linear,
        int(strategy),
        float(tol),
        gradient,
    )
    ckpt = _Checkpoint(Path(checkpoint) if checkpoint else None, spec)
    client: Any = None
    owned: Any = None
    try:
        if backend == "dask":  # connect (or start the cluster) before the first fit
            client, owned = _dask_client(scheduler, workers)
        # global best fit (scanned parameters free), the warm start of every chunk
        best_values = dict(defaults) | dict(start or {})
        best_chi2 = math.inf
        if best_fit:
            # A structural parameter (a mediator mass) is never freed here: every value Minuit
            # tries would need new templates. On its axis it is held at the middle grid value,
            # and the grid minimum completes the reference (ScanResult.chi2_min).
            held = {
                n: float(a[a.size // 2])
                for n, a in zip(names, axes, strict=True)
                if n in structural
            }
            free_best = [
                n for n in (*free_t, *names) if (n in fixed_default or n in names) and n not in held
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FitWarning)
                res = fit(
                    cost,
                    start=best_values | held,
                    fix=dict(fix or {}) | held,
                    free=free_best,
                    hesse=False,
                    warn=False,
                    multistart=2,
                    profile_linear=profile_linear,
                    tol=tol,
                )
            best_values, best_chi2 = res.values, res.fval
            best_valid = res.valid
        else:
            best_valid = False

        shape = tuple(a.size for a in axes)
        # 2-D chunks run along the non-structural axis: templates are built once per chunk
        along = 1 if len(names) == 2 and names[0] in structural else 0
        chunks = _chunks(shape, along)
        todo = [c for c in chunks if not all(i in ckpt.done for i in c)]
        records: dict[tuple[int, ...], dict[str, Any]] = dict(ckpt.done)
        bar = _progress(progress, total=int(np.prod(shape)), initial=len(records))
        ck = str(ckpt.path) if ckpt.path else None
        try:
            if backend == "serial" or not todo:
                for c in todo:
                    for r in _run_chunk(cost, spec, c, best_values, ckpt.done, ck):
                        records[tuple(r["index"])] = r
                    bar.update(len([i for i in c if i not in ckpt.done]))
            elif backend == "processes":
                ctx = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(
                    max_workers=workers or os.cpu_count(),
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(cost,),
                ) as pool:
                    futures = {
                        pool.submit(
                            _run_chunk_in_worker,
                            spec,
                            c,
                            best_values,
                            {i: ckpt.done[i] for i in c if i in ckpt.done},
                            ck,
                        ): c
                        for c in todo
                    }
                    for fut in _as_completed(futures):
                        c = futures[fut]
                        for r in fut.result():
                            records[tuple(r["index"])] = r
                        bar.update(len([i for i in c if i not in ckpt.done]))
            elif backend == "dask":
                try:
                    cost_future = client.scatter(cost, broadcast=True)
                    futs = [
                        client.submit(
                            _run_chunk,
                            cost_future,
                            spec,
                            c,
                            best_values,
                            {i: ckpt.done[i] for i in c if i in ckpt.done},
                            ck,
                            pure=False,
                        )
                        for c in todo
                    ]
                    from dask.distributed import as_completed

                    for fut in as_completed(futs):  # type: ignore[no-untyped-call]
                        res_list = fut.result()
                        for r in res_list:
                            records[tuple(r["index"])] = r
                        bar.update(len(res_list))
                finally:
                    client.close()
                    client = None
                    if owned:
                        owned.close()
                        owned = None
        except KeyboardInterrupt:
            n_done = _finished_points(ckpt.path) if ckpt.path else 0
            where = (
                f"; {n_done} finished points are in {ckpt.path}, rerun to resume"
                if ckpt.path
                else ""
            )
            msg = f"scan interrupted{where}"
            raise FitError(msg) from None
        finally:
            bar.close()
    finally:
        ckpt.close()
        if client is not None:
            client.close()
        if owned is not None:
            owned.close()

    chi2 = np.empty(shape)
    valid = np.empty(shape, dtype=bool)
    prof = {n: np.empty(shape) for n in names_all if n not in names}
    for idx in np.ndindex(shape):
        r = records[idx]
        chi2[idx] = r["chi2"]
        valid[idx] = r["valid"]
        for n in prof:
            prof[n][idx] = r["values"][n]
    if not best_fit or best_chi2 > float(chi2.min()):
        k = np.unravel_index(int(np.argmin(chi2)), shape)
        best_chi2 = float(chi2[k])
        best_values = {n: float(a[i]) for n, a, i in zip(names, axes, k, strict=True)} | {
            n: float(prof[n][k]) for n in prof
        }
        best_valid = bool(valid[k])
    return ScanResult(
        names=names,
        axes=axes,
        chi2=chi2,
        valid=valid,
        profiled=prof,
        best_fit={
            "chi2": float(best_chi2),
            "values": {k: float(v) for k, v in best_values.items()},
            "valid": bool(best_valid),
        },
        log_axes=tuple(n in log_axes for n in names),
        meta={
            "scan_id": spec.scan_id,
            "backend": backend,
            "fixed": dict(fix or {}),
            "profiled_free": list(free_t),
        },
    )


def _as_completed(futures: Mapping[Any, Any]) -> Iterable[Any]:
    from concurrent.futures import as_completed

    return as_completed(futures)


#: Seconds to wait for a named dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 10.0


def _dask_client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ModuleNotFoundError as e:  # pragma: no cover - tested through the extra
        msg = "the dask backend needs dask.distributed: pip install 'cevns[dask]'"
        raise ModuleNotFoundError(msg) from e
    if scheduler:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S), None  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            msg = (
                f"cannot connect to the dask scheduler {scheduler!r} within "
                f"{SCHEDULER_TIMEOUT_S:g} s: {e}"
            )
            raise FitError(msg) from None
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: concurrent clusters must not race for 8787
    )
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="pt", desc="scan")
