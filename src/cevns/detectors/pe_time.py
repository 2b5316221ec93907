"""Scintillators at a pulsed beam, observed in photoelectrons x arrival time.

A pulsed-beam detector shares each flavour's events among time bins (a pi-DAR timing,
:class:`cevns.sources.spallation.PiDARTiming`, or fractions from an arrival-time model).
The experiment compares the dataset's time axis with the signal's by edges
(:func:`cevns.likelihood.dataset.observed_axes` reads ``time_edges_us``, else
``timing.edges_us``), so the detectors here declare them:

* :class:`TimedScintillatorDetector`: Poisson PE statistics
  (:class:`~cevns.detectors.base.ScintillatorDetector`) with time-bin edges and/or a timing;
* :class:`TimedGammaPEDetector`: gamma-function PE smearing
  (:class:`~cevns.detectors.scintillator.GammaPEDetector`), the same;
* :func:`grid_slice` and :func:`edges_within`: analysis windows of a released histogram
  (on its regular grid) and bin edges inside a range, checked with errors that name them;
* :func:`factorised_template`: a PE x time background template, the product of a released
  PE distribution and a released time distribution rebinned into the analysis bins
  (beam-related and neutrino-induced neutrons), absolute or normalised to a number of
  events in a region;
* :class:`DelayedExponentialEfficiency`: a time efficiency that is 1 up to an onset and
  decays exponentially after it (the reconstructed-time efficiency of a scintillator whose
  late events are lost, e.g. to a pile-up veto).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import check_increasing, check_positive
from cevns.core.binning import overlap_rebin
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.base import ScintillatorDetector
from cevns.detectors.scintillator import GammaPEDetector

__all__ = [
    "DelayedExponentialEfficiency",
    "TimedGammaPEDetector",
    "TimedScintillatorDetector",
    "edges_within",
    "factorised_template",
    "grid_slice",
]


def __dir__() -> list[str]:
    return __all__


def _time_axis(
    time_edges_us: Sequence[float] | NDArray[np.float64] | None, timing: Any
) -> NDArray[np.float64] | None:
    """The declared time edges: given, else the timing's ``edges_us``, else None."""
    if timing is not None and not callable(getattr(timing, "fractions", None)):
        msg = f"timing must have a fractions(flavours) method, got {type(timing).__name__}"
        raise InvalidParameterError(msg)
    if time_edges_us is None:
        edges = getattr(timing, "edges_us", None)
        return None if edges is None else np.asarray(edges, dtype=np.float64)
    t = check_increasing("time_edges_us", time_edges_us)
    if t[0] < 0:
        msg = f"time_edges_us must start at >= 0 us, got {t[0]!r}"
        raise InvalidParameterError(msg)
    return t


class TimedScintillatorDetector(ScintillatorDetector):
    """A :class:`~cevns.detectors.base.ScintillatorDetector` with a time axis.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~cevns.detectors.base.ScintillatorDetector` (PE bin edges >= 0).
    time_edges_us : array_like, optional
        Edges of the time bins [us], >= 0, increasing (default the timing's ``edges_us``).
    timing : object, optional
        How beam events share the time bins: anything with ``fractions(flavours)`` (and
        ``edges_us``), e.g. a :class:`cevns.sources.spallation.PiDARTiming`; kept as
        :attr:`timing`.

    Examples
    --------
    >>> from cevns.detectors.quenching import ConstantQuenching
    >>> from cevns.physics.nuclei import Target
    >>> det = TimedScintillatorDetector("d", Target.by_name("csi"),
    ...     quenching=ConstantQuenching(0.08), light_yield_pe_per_kev=13.0, mass_kg=1.0,
    ...     live_days=1.0, bin_edges=[6.0, 30.0], time_edges_us=[0.0, 1.0, 12.0])
    >>> det.time_edges_us.tolist(), det.timing
    ([0.0, 1.0, 12.0], None)
    """

    def __init__(
        self,
        *args: Any,
        time_edges_us: Sequence[float] | NDArray[np.float64] | None = None,
        timing: Any = None,
        **kwargs: Any,
    ) -> None:
        edges = check_increasing("bin_edges", kwargs["bin_edges"])
        if edges[0] < 0:
            msg = f"bin_edges must be >= 0 PE, got {edges[0]!r}"
            raise InvalidParameterError(msg)
        super().__init__(*args, **kwargs)
        self.time_edges_us = _time_axis(time_edges_us, timing)
        self.timing = timing


class TimedGammaPEDetector(GammaPEDetector):
    """A :class:`~cevns.detectors.scintillator.GammaPEDetector` with a time axis.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~cevns.detectors.scintillator.GammaPEDetector`.
    time_edges_us : array_like, optional
        Edges of the time bins [us] (default the timing's ``edges_us``).
    timing : object, optional
        As for :class:`TimedScintillatorDetector`.
    """

    def __init__(
        self,
        *args: Any,
        time_edges_us: Sequence[float] | NDArray[np.float64] | None = None,
        timing: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.time_edges_us = _time_axis(time_edges_us, timing)
        self.timing = timing


@dataclass(frozen=True)
class DelayedExponentialEfficiency:
    """Time efficiency ``1`` for ``t < onset_us``, ``exp(-rate_per_us (t - onset_us))`` after.

    Parameters
    ----------
    onset_us : float
        Time [us] up to which every event is kept (>= 0).
    rate_per_us : float
        Decay rate [1/us] of the efficiency after the onset (> 0).

    Examples
    --------
    >>> eff = DelayedExponentialEfficiency(onset_us=1.0, rate_per_us=0.5)
    >>> [round(float(v), 4) for v in eff(np.array([0.5, 1.0, 3.0]))]
    [1.0, 1.0, 0.3679]
    """

    onset_us: float
    rate_per_us: float

    def __post_init__(self) -> None:
        check_positive("onset_us", self.onset_us, allow_zero=True)
        check_positive("rate_per_us", self.rate_per_us)

    def __call__(self, t_us: ArrayLike) -> NDArray[np.float64]:
        """Efficiency at each time.

        Parameters
        ----------
        t_us : array_like
            Times [us].

        Returns
        -------
        ndarray
            Efficiency in (0, 1] at each time.
        """
        t = np.asarray(t_us, dtype=np.float64)
        late = np.exp(-self.rate_per_us * (t - self.onset_us))
        return np.asarray(np.where(t < self.onset_us, 1.0, late), dtype=np.float64)


def grid_slice(name: str, window: Sequence[float], step: float, top: float) -> slice:
    """The bins ``[lo, hi)`` of a regular grid ``0, step, ..., top`` as an index slice.

    Parameters
    ----------
    name : str
        Name of the window in error messages (e.g. ``"pe_range"``).
    window : (lo, hi)
        ``0 <= lo < hi <= top``, both on the grid.
    step : float
        Width of the grid's bins.
    top : float
        Upper edge of the grid.

    Returns
    -------
    slice
        Indices of the grid's bins inside the window.

    Examples
    --------
    >>> grid_slice("pe_range", (6.0, 30.0), 2.0, 50.0)
    slice(3, 15, None)
    """
    if len(window) != 2:
        msg = f"{name} must be (lo, hi), got {list(window)}"
        raise InvalidParameterError(msg)
    lo, hi = (float(v) for v in window)
    if not 0.0 <= lo < hi <= top:
        msg = f"{name} must satisfy 0 <= lo < hi <= {top:g}, got {list(window)}"
        raise InvalidParameterError(msg)
    for v in (lo, hi):
        if abs(v / step - round(v / step)) > 1e-9:
            msg = f"{name} edges must lie on the release's grid (steps of {step:g}), got {v!r}"
            raise InvalidParameterError(msg)
    return slice(round(lo / step), round(hi / step))


def edges_within(
    name: str, edges: ArrayLike, lo: float, hi: float, unit: str
) -> NDArray[np.float64]:
    """Bin edges, checked to increase within ``[lo, hi]``.

    Parameters
    ----------
    name : str
        Name of the edges in error messages.
    edges : array_like
        At least two increasing edges.
    lo, hi : float
        The range they must lie in.
    unit : str
        Unit of the range in error messages.

    Returns
    -------
    ndarray
        The edges as floats.
    """
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0) or e[0] < lo or e[-1] > hi:
        msg = f"{name} must increase within [{lo:g}, {hi:g}] {unit}, got {e.tolist()}"
        raise InvalidParameterError(msg)
    return e


def factorised_template(
    pe_table: ArrayLike,
    t_table: ArrayLike,
    pe_edges: ArrayLike,
    t_edges_us: ArrayLike,
    *,
    events: float | None = None,
    region: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> NDArray[np.float64]:
    """Expected counts in PE x time bins: the outer product of a PE and a time distribution.

    Each distribution is a table of uniform bins (centre, content), rebinned into the
    analysis bins by overlap (:func:`cevns.core.binning.overlap_rebin`: a source bin is
    uniform within itself). Without ``events`` the contents are absolute (the template is
    their product); with ``events``, each distribution is normalised to its content inside
    ``region`` and the template holds ``events`` in that region.

    Parameters
    ----------
    pe_table, t_table : array_like, shape (n, 2)
        Uniformly spaced increasing bin centres [PE] / [us] and the contents.
    pe_edges, t_edges_us : array_like
        Analysis bin edges, inside the tables' coverage.
    events : float, optional
        Events in ``region`` (> 0); None: absolute contents.
    region : ((pe_lo, pe_hi), (t_lo, t_hi)), optional
        Where ``events`` are counted (required with ``events``, inside the coverage).

    Returns
    -------
    ndarray of shape (len(pe_edges) - 1, len(t_edges_us) - 1)

    Examples
    --------
    >>> pe = [[0.5, 1.0], [1.5, 3.0]]
    >>> t = [[0.25, 2.0], [0.75, 2.0]]
    >>> factorised_template(pe, t, [0.0, 1.0, 2.0], [0.0, 1.0]).tolist()
    [[4.0], [12.0]]
    >>> factorised_template(pe, t, [1.0, 2.0], [0.0, 0.5], events=8.0,
    ...                     region=((0.0, 2.0), (0.0, 1.0))).tolist()
    [[3.0]]
    """
    if (events is None) != (region is None):
        msg = f"events and region go together, got events={events!r}, region={region!r}"
        raise InvalidParameterError(msg)
    axes = (("pe", pe_table, pe_edges), ("t", t_table, t_edges_us))
    marginals = []
    for i, (what, table, edges) in enumerate(axes):
        tab = np.asarray(table, dtype=np.float64)
        if tab.ndim != 2 or tab.shape[1] != 2 or tab.shape[0] < 2:
            msg = f"{what}_table must be (n >= 2, 2) rows of (centre, content), got {tab.shape}"
            raise InvalidParameterError(msg)
        half = 0.5 * (tab[1, 0] - tab[0, 0])
        e = check_increasing(f"{what} edges", edges)
        bounds = [e] if region is None else [e, check_increasing(f"region[{i}]", region[i])]
        for b in bounds:
            if b[0] < tab[0, 0] - half - 1e-9 or b[-1] > tab[-1, 0] + half + 1e-9:
                msg = (
                    f"{what}: {b.tolist()} reaches outside the table's coverage "
                    f"[{tab[0, 0] - half:g}, {tab[-1, 0] + half:g}]"
                )
                raise InvalidParameterError(msg)
        centres, contents = tab[:, 0], np.ascontiguousarray(tab[:, 1])
        binned = overlap_rebin(centres, contents, e)
        if region is not None:
            binned = binned / overlap_rebin(centres, contents, bounds[1])[0]
        marginals.append(binned)
    scale = 1.0 if events is None else check_positive("events", events)
    out = np.outer(*marginals) if events is None else scale * np.outer(*marginals)
    return np.asarray(out, dtype=np.float64)
