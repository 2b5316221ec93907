"""Benchmarks of the full paper reproductions (seeds 004 and 002), once each.

Each run writes its plots and summary into a fresh temporary directory (removed after).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from cevns.reproduce import dfs2018, majumdar2022


def _reproduce(module):
    def run():
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = module.run(Path(tmp), progress=False)
        print(f"  {module.__name__}: {len(summary.quantities)} quantities", flush=True)

    return lambda: run


BENCHMARKS = {
    "reproduce_majumdar2022": _reproduce(majumdar2022),
    "reproduce_dfs2018_full": _reproduce(dfs2018),
}
REPEATS = dict.fromkeys(BENCHMARKS, 1)
