"""Run the reproductions by name: ``cevns reproduce NAME|all``.

With several analyses and ``jobs > 1`` the analyses run on worker processes, one analysis
per process, the longest first: each worker computes exactly what the serial run computes
(every analysis builds its own experiments; nothing is shared between analyses but
read-only caches), so the summaries, figures and validation page are the serial run's
apart from the measured ``runtime_s``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from cevns.core._validation import unknown_name
from cevns.core.exceptions import CevnsError, InvalidParameterError
from cevns.reproduce.summary import Summary, write_validation_page
from cevns.viz.plotting import figure_formats

__all__ = ["ANALYSES", "TITLES", "AnalysisFailedError", "default_jobs", "run"]


def __dir__() -> list[str]:
    return __all__


#: Analysis name -> module of :mod:`cevns.reproduce` with ``run(out_dir, progress=...)``.
ANALYSES: dict[str, str] = {
    "majumdar2022": "majumdar2022",
    "dfs2018": "dfs2018",
    "dg2022": "dg2022",
    "flagship": "flagship",
    "coherent_sm": "coherent_sm",
    "xenonnt2026": "xenonnt2026",
    "em2022": "em_properties",
    "sliver": "sliver",
}

#: One line per analysis for ``cevns reproduce --help``.
TITLES: dict[str, str] = {
    "majumdar2022": "seed 004: physics implications of the Dresden-II reactor data",
    "dfs2018": "seed 002: COHERENT CsI 2017 timing, NSI and light mediators; CONUS projections",
    "dg2022": "seed 000: LMA-Dark, light mediators and the Dresden-II data",
    "flagship": "COHERENT CsI 2017 (PE x time) + LAr 2020 + Dresden-II light vector mediators",
    "coherent_sm": "COHERENT CsI 2017, CsI 2021, LAr 2020: the collaborations' SM predictions",
    "xenonnt2026": "XENONnT solar 8B CEvNS: flux, significance, NSI, light mediators (+ flagship)",
    "em2022": "neutrino magnetic moment, charge radius, millicharge: Dresden-II, COHERENT CsI",
    "sliver": "seed 001: what survives of eps_ee = -2 in the (eps^u, eps^d) plane (Sun, Earth)",
}

#: Time inside each analysis [s] (``runtime_s``) in a serial ``cevns reproduce all`` on the
#: 2-core development machine (57 s wall, spin-loop phase 2.4 s): only the order matters
#: (the longest start first, so that the short ones fill the gaps at the end). An analysis
#: missing here starts last.
_EXPECTED_S: dict[str, float] = {
    "majumdar2022": 13.4,
    "dfs2018": 9.6,
    "xenonnt2026": 6.9,
    "sliver": 5.6,
    "flagship": 3.9,
    "dg2022": 3.8,
    "coherent_sm": 2.6,
    "em2022": 1.7,
}

#: Set to one in every worker: each worker is one process of its own on one core.
_BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class AnalysisFailedError(CevnsError, RuntimeError):
    """An analysis failed on a worker process (its traceback is in ``worker_traceback``).

    Parameters
    ----------
    analysis : str
        Name of the analysis that failed.
    message : str
        The error, one line.
    worker_traceback : str
        The formatted traceback from the worker process (empty if the process died).
    """

    def __init__(self, analysis: str, message: str, worker_traceback: str = "") -> None:
        super().__init__(f"analysis {analysis!r} failed on its worker process: {message}")
        self.analysis = analysis
        self.worker_traceback = worker_traceback


def default_jobs() -> int:
    """Number of worker processes of ``cevns reproduce all``: the cores this process may use.

    Returns
    -------
    int
        ``len(os.sched_getaffinity(0))`` where the platform has it, else ``os.cpu_count()``.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run(
    name: str | Sequence[str],
    out_dir: str | Path,
    *,
    progress: bool = True,
    validation_page: str | Path | None = None,
    formats: Sequence[str] = ("png",),
    jobs: int | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Summary]:
    """Run one analysis, several, or ``"all"``, and write their summaries into ``out_dir``.

    Parameters
    ----------
    name : str or sequence of str
        A key of :data:`ANALYSES`, ``"all"``, or a sequence of keys.
    out_dir : path
        Everything is written below it: ``<out_dir>/<analysis>/summary.{json,md}`` and the
        figures; with ``"all"`` also ``<out_dir>/validation.md``.
    progress : bool
        Progress on stderr: the analyses' progress bars when they run one after the other,
        one line per finished analysis when they run on worker processes.
    validation_page : path, optional
        With ``"all"``, write the validation page here as well (the explicit step that
        regenerates the repository's ``docs/validation.md``).
    formats : sequence of str
        Figure formats (``("png", "pdf")`` for PDF too).
    jobs : int, optional
        Worker processes for several analyses (default :func:`default_jobs`); each
        analysis runs on one process with one BLAS thread, the longest first. ``1`` runs
        them one after the other in this process. The results are the same either way.
        One analysis alone runs here and gets ``jobs`` if its ``run`` takes it (flagship
        computes its exclusion curves on that many processes).
    options : mapping, optional
        Keyword arguments of an analysis's ``run`` by analysis name (for example
        ``{"dg2022": {"n_mass": 7}}``, a coarser mass grid).

    Returns
    -------
    list of Summary
        One per analysis, in the order of :data:`ANALYSES` for ``"all"``, else as named.

    Raises
    ------
    AnalysisFailedError
        An analysis failed on a worker process (the others are stopped).
    """
    names = list(ANALYSES) if name == "all" else [name] if isinstance(name, str) else list(name)
    for n in names:
        if n not in ANALYSES:
            raise unknown_name("analysis", n, [*ANALYSES, "all"])
    if not names:
        msg = "name: no analysis given, expected one of " + ", ".join([*ANALYSES, "all"])
        raise InvalidParameterError(msg)
    if len(set(names)) != len(names):
        msg = f"name: {names} names an analysis twice (each writes one folder)"
        raise InvalidParameterError(msg)
    opts = {k: dict(v) for k, v in (options or {}).items()}
    for n in opts:
        if n not in names:
            msg = f"options: {n!r} is not among the analyses run ({', '.join(names)})"
            raise InvalidParameterError(msg)
    if jobs is None:
        jobs = default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        msg = f"jobs: {jobs!r}, expected a whole number of worker processes >= 1"
        raise InvalidParameterError(msg)
    with figure_formats(formats):
        pass  # the formats are checked here, before any analysis runs
    out = Path(out_dir)
    if jobs == 1 or len(names) == 1:
        summaries = []
        with figure_formats(formats):
            for n in names:
                module = importlib.import_module(f".{ANALYSES[n]}", __package__)
                kw = opts.get(n, {})
                if len(names) == 1 and "jobs" in inspect.signature(module.run).parameters:
                    kw = {"jobs": jobs} | kw  # one analysis alone: its own processes
                summaries.append(module.run(out, progress=progress, **kw))
    else:
        summaries = _run_on_workers(names, out, progress, tuple(formats), jobs, opts)
    if name == "all":
        write_validation_page(summaries, out / "validation.md")
        if validation_page is not None:
            write_validation_page(summaries, validation_page)
    return summaries


def _worker(
    conn: Connection,
    name: str,
    out_dir: Path,
    formats: tuple[str, ...],
    options: dict[str, Any],
) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for v in _BLAS_THREAD_VARIABLES:
        os.environ[v] = "1"
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1), figure_formats(formats):
            module = importlib.import_module(f".{ANALYSES[name]}", __package__)
            summary = module.run(out_dir, progress=False, **options)
        conn.send(("ok", summary))
    except BaseException as e:  # reported to the parent, with the analysis's name
        conn.send(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))
    finally:
        conn.close()


def _context() -> Any:
    # fork: the workers inherit the imported modules (no second import of numpy, scipy,
    # matplotlib); elsewhere spawn, the safe default of macOS and Windows
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def _preload(names: list[str]) -> None:
    """Import the analyses and the plotting stack once, before the workers are forked.

    Every forked worker then starts with them imported (2-3 s of imports per worker
    otherwise: the analysis modules, scipy.stats, matplotlib.pyplot, mplhep, the component
    kinds). A module that fails to import is left to its worker, which reports the error
    with the analysis's name.
    """
    for n in names:
        try:
            importlib.import_module(f".{ANALYSES[n]}", __package__)
        except Exception:  # reported by the worker, with the name
            continue
    # what the analyses import on first use (delta_chi2_threshold, marginalised profiles)
    import scipy.integrate
    import scipy.stats  # noqa: F401

    # the component kinds of the experiment files: the entry points are read and loaded
    # once (about 0.2 s), not in every worker's first load_experiment
    from cevns.config.components import all_components

    with contextlib.suppress(CevnsError):  # a broken plugin: its worker reports it
        all_components()

    try:
        import mplhep  # noqa: F401 - the style every analysis applies

        from cevns.viz.plotting import _plt

        _plt()
    except ModuleNotFoundError:  # without the plot extra: the workers say so
        pass


def _run_on_workers(
    names: list[str],
    out_dir: Path,
    progress: bool,
    formats: tuple[str, ...],
    jobs: int,
    options: dict[str, dict[str, Any]],
) -> list[Summary]:
    ctx = _context()
    if ctx.get_start_method() == "fork":
        _preload(names)
    queue = sorted(names, key=lambda n: -_EXPECTED_S.get(n, 0.0))
    running: dict[Connection, tuple[str, Any, float]] = {}
    done: dict[str, Summary] = {}
    t0 = time.perf_counter()

    def start(n: str) -> None:
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(
            target=_worker,
            args=(send, n, out_dir, formats, options.get(n, {})),
            name=f"cevns-reproduce-{n}",
        )
        p.start()
        send.close()  # only the worker writes: its exit closes the pipe
        running[recv] = (n, p, time.perf_counter())

    try:
        while queue or running:
            while queue and len(running) < jobs:
                start(queue.pop(0))
            for conn in wait(list(running)):
                assert isinstance(conn, Connection)
                n, p, started = running.pop(conn)
                try:
                    status, *payload = conn.recv()
                except EOFError:
                    p.join()
                    status, payload = "died", [f"the process exited with code {p.exitcode}", ""]
                conn.close()
                p.join()
                if status != "ok":
                    raise AnalysisFailedError(n, payload[0], payload[1])
                done[n] = payload[0]
                if progress:
                    sys.stderr.write(
                        f"[{len(done)}/{len(names)}] {n} done in "
                        f"{time.perf_counter() - started:.1f} s "
                        f"({time.perf_counter() - t0:.1f} s elapsed)\n"
                    )
    finally:
        # on an error or Ctrl-C: stop the workers still running, leave no process behind
        for conn, (_, p, _) in running.items():
            p.terminate()
            p.join()
            conn.close()
    return [done[n] for n in names]
