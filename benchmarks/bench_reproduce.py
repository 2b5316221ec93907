"""Benchmarks of the full paper reproductions (seeds 004 and 002), once each.

Each run writes its plots and summary into a fresh temporary directory (removed after).
``reproduce_pair_jobs1`` / ``reproduce_pair_jobs2`` run the same two analyses (em2022
and dg2022) one after the other and on two worker processes (``runner.run(jobs=)``):
the serial run is the baseline of the parallel one, in the same session.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from cevns.reproduce import dfs2018, majumdar2022, runner


def _reproduce(module):
    def run():
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = module.run(Path(tmp), progress=False)
        print(f"  {module.__name__}: {len(summary.quantities)} quantities", flush=True)

    return lambda: run


def _pair(jobs):
    def run():
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summaries = runner.run(["em2022", "dg2022"], Path(tmp), progress=False, jobs=jobs)
        print(f"  jobs={jobs}: {sum(len(s.quantities) for s in summaries)} quantities", flush=True)

    return lambda: run


BENCHMARKS = {
    "reproduce_majumdar2022": _reproduce(majumdar2022),
    "reproduce_dfs2018_full": _reproduce(dfs2018),
    "reproduce_pair_jobs1": _pair(1),
    "reproduce_pair_jobs2": _pair(2),
}
REPEATS = dict.fromkeys(BENCHMARKS, 1)
