"""Run every benchmark and report median wall time.

Each module ``benchmarks/bench_*.py`` defines ``BENCHMARKS``: a dict mapping a benchmark
name to a zero-argument *setup* function that returns the zero-argument callable to time.
Setup time is not measured.

A module may also define ``REPEATS``: a dict mapping some of its benchmark names to a fixed
number of timed runs (capped by ``--max-runs``). Those benchmarks get no warm-up run and
ignore ``--min-time``: it is for long benchmarks (whole scans, reproductions) that should
run once or a few times; their setup does any warming that must not be timed.

A timed callable that returns a float reports its own measurement in seconds (a derived
quantity, e.g. an overhead per point) instead of its wall time; callables that return
``None`` are timed as usual.

Usage::

    python benchmarks/run.py [--json PATH] [--only NAME ...] [--min-time SECONDS]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path


def _load_benchmarks() -> tuple[dict[str, object], dict[str, int]]:
    out: dict[str, object] = {}
    repeats: dict[str, int] = {}
    here = Path(__file__).parent
    for path in sorted(here.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            msg = f"cannot import {path}"
            raise ImportError(msg)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name, setup in getattr(mod, "BENCHMARKS", {}).items():
            if name in out:
                msg = f"duplicate benchmark name {name!r} in {path.name}"
                raise SystemExit(msg)
            out[name] = setup
        for name, n in getattr(mod, "REPEATS", {}).items():
            if name not in out or int(n) < 1:
                msg = f"{path.name}: REPEATS[{name!r}] = {n!r} needs a benchmark and n >= 1"
                raise SystemExit(msg)
            repeats[name] = int(n)
    return out, repeats


def _once(fn) -> float:
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    return float(out) if isinstance(out, float) else elapsed


def _time(fn, min_time: float, max_runs: int, repeats: int | None = None) -> tuple[float, int]:
    times: list[float] = []
    if repeats is not None:  # long benchmark: a fixed number of runs, no warm-up
        for _ in range(max(1, min(repeats, max_runs))):
            times.append(_once(fn))
        return statistics.median(times), len(times)
    fn()  # warm-up
    start = time.perf_counter()
    while (time.perf_counter() - start < min_time or len(times) < 3) and len(times) < max_runs:
        times.append(_once(fn))
    return statistics.median(times), len(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="write {name: {median_s, runs}} here")
    parser.add_argument("--only", nargs="*", default=None, help="run only these benchmarks")
    parser.add_argument(
        "--min-time", type=float, default=1.0, help="seconds of repeated runs per benchmark"
    )
    parser.add_argument("--max-runs", type=int, default=10000)
    args = parser.parse_args(argv)
    benches, repeats = _load_benchmarks()
    if args.only:
        unknown = sorted(set(args.only) - set(benches))
        if unknown:
            parser.error(f"unknown benchmarks {unknown}; known: {sorted(benches)}")
        benches = {k: v for k, v in benches.items() if k in args.only}
    results: dict[str, dict[str, float | int]] = {}
    for name, setup in benches.items():
        fn = setup()  # type: ignore[operator]
        median, runs = _time(fn, args.min_time, args.max_runs, repeats.get(name))
        results[name] = {"median_s": median, "runs": runs}
        print(f"{name:40s} {median * 1e3:12.4f} ms  ({runs} runs)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
