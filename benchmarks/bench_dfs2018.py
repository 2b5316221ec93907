"""Benchmarks of the seed-002 reproduction (Denton, Farzan & Shoemaker 2018)."""

from __future__ import annotations

import numpy as np

from cevns.config import load_experiment
from cevns.reproduce import dfs2018


def _fig2():
    """Fig. 2: five fixed-x chi2 curves and the marginalised one on 61 masses (target < 10 s).

    The experiment is loaded in the setup; each run builds its templates from scratch (a
    fresh experiment per call would time the file loading too, which is small).
    """
    masses = np.geomspace(1.0, 1000.0, 61)

    def run():
        exp = load_experiment(dfs2018.EXPERIMENT)
        dfs2018.fig2(exp, masses)

    return run


BENCHMARKS = {"reproduce_dfs2018_fig2": _fig2}
