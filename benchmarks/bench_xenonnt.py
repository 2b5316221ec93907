"""Benchmarks of the XENONnT 8B likelihood (issue 13): one cost call, one fit.

Targets: a cost call <= 50 us, a fit of SR0+SR1 <= 50 ms. Measured: the single-run cost
(SR0) and the SR0+SR1 likelihood ``xenonnt_8b_2024`` (one cost over 162 bins, the shared
nuisances), its fit. The release
(``xenonnt_8b_2026/`` in ``$CEVNS_DATA_DIR``) is needed: without it there are no
benchmarks here (the data access has its own error, tested in tests/test_xenonnt.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from cevns.experiments import xenonnt_8b
from cevns.stats.fit import fit


def _cost_call_sr0():
    cost = xenonnt_8b.experiment("sr0").cost("sm")
    args = list(cost.defaults.values())
    args[cost._names.index("xenonnt_8b_sr0.tly")] = 0.3  # off the grid nodes
    args[cost._names.index("xenonnt_8b_sr0.tqy")] = -0.7
    cost(*args)  # templates and expansion built outside the timing

    def run():
        cost(*args)

    return run


def _cost_call_sr0_sr1():
    cost = xenonnt_8b.experiment(("sr0", "sr1")).cost("sm")
    args = list(cost.defaults.values())
    args[cost._names.index("xenonnt_8b_2024.tly")] = 0.3  # off the grid nodes
    args[cost._names.index("xenonnt_8b_2024.tqy")] = -0.7
    cost(*args)

    def run():
        cost(*args)

    return run


def _fit_sr0_sr1():
    cost = xenonnt_8b.experiment(("sr0", "sr1")).cost("sm")
    fit(cost)  # warm

    def run():
        fit(cost, hesse=False)

    return run


_RELEASE = Path(os.environ.get("CEVNS_DATA_DIR", "")) / xenonnt_8b.RELEASE
BENCHMARKS = (
    {
        "xenonnt_8b_cost_call_sr0": _cost_call_sr0,
        "xenonnt_8b_cost_call_sr0_sr1": _cost_call_sr0_sr1,
        "xenonnt_8b_fit_sr0_sr1": _fit_sr0_sr1,
    }
    if (_RELEASE / "MANIFEST.sha256").is_file()
    else {}
)
