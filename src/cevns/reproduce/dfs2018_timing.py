"""Seed 002's COHERENT CsI 2017 data: the ``coherent_csi_2017_timing`` dataset kind.

Denton, Farzan & Shoemaker (arXiv:1804.03660, seed 002, Sec. 4.1) fit the 2017 release
(arXiv:1708.01294, data arXiv:1804.09459) as two numbers: beam-on coincidence minus
anti-coincidence counts, 6 <= PE < 30, in a prompt [0, 1) us and a delayed [1, 12) us
window, with the errors of their Eq. 4.8, ``sigma^2 = N_obs + 0.2 N_obs`` (a 20%
background). That error convention is the seed's, not the release's, so the kind lives
with the reproduction that needs it (:mod:`cevns.reproduce.dfs2018`, the experiment file
``coherent_csi_2017_timing.toml``); the release's histograms are
:func:`cevns.experiments.coherent_csi_2017.csi_2017_histograms`. The kind is declared in
the ``cevns.components`` entry points (``dfs2018_timing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from cevns.config.components import Component
from cevns.core._validation import check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.pe_time import grid_slice
from cevns.experiments.coherent_csi_2017 import csi_2017_histograms
from cevns.likelihood.dataset import Dataset

__all__ = ["timing_counts", "timing_counts_dataset"]


def __dir__() -> list[str]:
    return __all__


#: the release's grid (:func:`csi_2017_histograms`): 2-PE bins on 0..50, 0.5 us on 0..12
_PE_STEP, _PE_MAX = 2.0, 50.0
_T_STEP, _T_MAX = 0.5, 12.0


def timing_counts(
    *,
    pe_range: Sequence[float] = (6.0, 30.0),
    windows_us: Sequence[Sequence[float]] = ((0.0, 1.0), (1.0, 12.0)),
    beam: Literal["on", "off"] = "on",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coincidence and anti-coincidence counts of the 2017 release in time windows.

    Parameters
    ----------
    pe_range : (lo, hi)
        ``lo <= PE < hi``, on the release's 2-PE grid (0..50).
    windows_us : sequence of (lo, hi)
        Time windows ``lo <= t < hi`` [us], on the 0.5 us grid (0..12).
    beam : {"on", "off"}

    Returns
    -------
    (coincidence, anticoincidence) : two arrays, one entry per window

    Examples
    --------
    >>> c, ac = timing_counts()
    >>> c.tolist(), ac.tolist()
    ([153.0, 702.0], [102.0, 601.0])
    """
    ps = grid_slice("pe_range", pe_range, _PE_STEP, _PE_MAX)
    ts = [grid_slice(f"windows_us[{i}]", w, _T_STEP, _T_MAX) for i, w in enumerate(windows_us)]
    c, ac = csi_2017_histograms(beam)
    return np.array([c[ps, t].sum() for t in ts]), np.array([ac[ps, t].sum() for t in ts])


def timing_counts_dataset(
    *,
    pe_range: tuple[float, float] = (6.0, 30.0),
    prompt_window_us: tuple[float, float] = (0.0, 1.0),
    delayed_window_us: tuple[float, float] = (1.0, 12.0),
    errors: Literal["seed002", "poisson"] = "seed002",
    background_fraction: Annotated[float, Field(ge=0)] = 0.2,
) -> Dataset:
    """Seed-002 data: beam-on coincidence minus anti-coincidence in a prompt and a delayed bin.

    Parameters
    ----------
    pe_range : (lo, hi)
        ``lo <= PE < hi`` (default the 2017 analysis window 6-30 PE).
    prompt_window_us, delayed_window_us : (lo, hi)
        Adjacent time windows [us] (default [0, 1) and [1, 12)).
    errors : {"seed002", "poisson"}
        ``"seed002"``: ``sqrt((1 + background_fraction) N_obs)`` (Eq. 4.8 of both
        extractions: ``sqrt(N_obs + 0.2 N_obs)``); ``"poisson"``: ``sqrt(C + AC)``.
    background_fraction : float
        The 20% background of seed 002.

    Examples
    --------
    >>> d = timing_counts_dataset()
    >>> d.counts.tolist(), [round(float(e), 3) for e in d.errors]
    ([51.0, 101.0], [7.823, 11.009])
    """
    if float(prompt_window_us[1]) != float(delayed_window_us[0]):
        msg = (
            "prompt_window_us must end where delayed_window_us starts, got "
            f"{list(prompt_window_us)} and {list(delayed_window_us)}"
        )
        raise InvalidParameterError(msg)
    if errors not in ("seed002", "poisson"):
        msg = f"errors must be 'seed002' or 'poisson', got {errors!r}"
        raise InvalidParameterError(msg)
    f_bkg = check_positive("background_fraction", background_fraction, allow_zero=True)
    c, ac = timing_counts(pe_range=pe_range, windows_us=(prompt_window_us, delayed_window_us))
    obs = c - ac
    if errors == "seed002":
        if np.any(obs <= 0):
            msg = (
                f"seed-002 errors sqrt((1 + f) N_obs) need positive excesses, got {obs.tolist()} "
                f"for pe_range={list(pe_range)}"
            )
            raise InvalidParameterError(msg)
        err = np.sqrt((1.0 + f_bkg) * obs)
    else:
        err = np.sqrt(c + ac)
    edges = np.array([prompt_window_us[0], prompt_window_us[1], delayed_window_us[1]], dtype=float)
    return Dataset(
        "coherent_csi_2017_timing",
        obs,
        (edges,),
        errors=err,
        axis_labels=("t [us]",),
        unit="counts (beam-on C - AC)",
        allow_negative=True,
        meta={
            "coincidence": c.tolist(),
            "anticoincidence": ac.tolist(),
            "pe_range": [float(v) for v in pe_range],
            "errors": errors,
            "source": "arXiv:1708.01294 data release (arXiv:1804.09459)",
        },
    )


#: the kind of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component.from_function("dataset", "coherent_csi_2017_timing", timing_counts_dataset),
)
