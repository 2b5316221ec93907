"""`cevns reproduce` on worker processes (issue 14): the serial run's outputs, errors by name.

The analyses of the first test are real (the two cheapest runs: flagship on a 3-mass grid
and em2022); the others replace an analysis's ``run`` by a small function, which the
worker processes inherit (fork, Linux).
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.reproduce import em_properties, flagship, runner
from cevns.reproduce.summary import Summary

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the fake analyses reach the workers by fork"
)


def _without_runtime(path: Path) -> object:
    if path.name == "summary.json":
        d = json.loads(path.read_text())
        assert isinstance(d.pop("runtime_s"), float)
        return d
    if path.suffix == ".md":
        return [line for line in path.read_text().splitlines() if not line.startswith("Runtime:")]
    return path.read_bytes()


def test_workers_write_what_the_serial_run_writes(tmp_path):
    names = ["flagship", "em2022"]
    opts = {"flagship": {"n_mass": 3}}
    serial = runner.run(names, tmp_path / "serial", progress=False, jobs=1, options=opts)
    parallel = runner.run(names, tmp_path / "jobs2", progress=False, jobs=2, options=opts)
    assert [s.analysis for s in parallel] == names  # in the order asked, not of completion
    for a, b in zip(serial, parallel, strict=True):
        assert [q.to_dict() for q in a.quantities] == [q.to_dict() for q in b.quantities]
        assert a.plots == b.plots
        assert a.notes == b.notes
    files = sorted(p.relative_to(tmp_path / "serial") for p in (tmp_path / "serial").rglob("*"))
    assert files == sorted(
        p.relative_to(tmp_path / "jobs2") for p in (tmp_path / "jobs2").rglob("*")
    )
    assert any(f.suffix == ".png" for f in files)
    for f in files:
        if (tmp_path / "serial" / f).is_file():  # figures byte for byte, summaries but runtime
            assert _without_runtime(tmp_path / "serial" / f) == _without_runtime(
                tmp_path / "jobs2" / f
            ), f


def _fake(name, body):
    def run(out_dir, *, progress=True, **kw):
        body(Path(out_dir), kw)
        s = Summary(name, f"fake {name}")
        s.add_result("answer", 42.0)
        s.write(out_dir)
        return s

    return run


@linux_only
def test_worker_error_names_the_analysis_and_stops_the_others(tmp_path, monkeypatch):
    def boom(out, kw):
        raise ValueError("the fake em2022 broke")

    def slow(out, kw):
        time.sleep(30)

    monkeypatch.setattr(em_properties, "run", _fake("em2022", boom))
    monkeypatch.setattr(flagship, "run", _fake("flagship", slow))
    t0 = time.perf_counter()
    with pytest.raises(
        runner.AnalysisFailedError, match=r"'em2022'.*ValueError: the fake em2022"
    ) as ei:
        runner.run(["flagship", "em2022"], tmp_path, progress=False, jobs=2)
    assert time.perf_counter() - t0 < 20  # flagship was stopped, not waited for
    assert ei.value.analysis == "em2022"
    assert 'raise ValueError("the fake em2022 broke")' in ei.value.worker_traceback
    import multiprocessing

    assert multiprocessing.active_children() == []


@linux_only
def test_a_worker_that_dies_is_reported(tmp_path, monkeypatch):
    def die(out, kw):
        os._exit(3)

    monkeypatch.setattr(em_properties, "run", _fake("em2022", die))
    monkeypatch.setattr(flagship, "run", _fake("flagship", lambda out, kw: None))
    with pytest.raises(runner.AnalysisFailedError, match=r"'em2022'.*exited with code 3"):
        runner.run(["flagship", "em2022"], tmp_path, progress=False, jobs=2)


@linux_only
def test_workers_have_one_blas_thread_and_options(tmp_path, monkeypatch):
    def record(out, kw):
        from threadpoolctl import threadpool_info

        info = {
            "threads": sorted({p["num_threads"] for p in threadpool_info()}),
            "env": os.environ["OPENBLAS_NUM_THREADS"],
            "pid": os.getpid(),
            "kw": kw,
        }
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{os.getpid()}.json").write_text(json.dumps(info))

    monkeypatch.setattr(em_properties, "run", _fake("em2022", record))
    monkeypatch.setattr(flagship, "run", _fake("flagship", record))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    runner.run(["flagship", "em2022"], tmp_path, jobs=2, options={"em2022": {"x": 1}})
    infos = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert len(infos) == 2
    assert {i["pid"] for i in infos}.isdisjoint({os.getpid()})
    assert all(i["threads"] == [1] and i["env"] == "1" for i in infos)
    assert sorted(json.dumps(i["kw"]) for i in infos) == ['{"x": 1}', "{}"]


@linux_only
def test_the_longest_analysis_starts_first(tmp_path, monkeypatch):
    # expected times: majumdar2022 > flagship > em2022; with 2 workers em2022 waits for a slot
    def stamp(out, kw):
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{kw['name']}.start").write_text(repr(time.time()))
        time.sleep(0.5)

    from cevns.reproduce import majumdar2022

    for mod, name in (
        (majumdar2022, "majumdar2022"),
        (flagship, "flagship"),
        (em_properties, "em2022"),
    ):
        monkeypatch.setattr(mod, "run", _fake(name, stamp))
    names = ["em2022", "flagship", "majumdar2022"]
    opts = {n: {"name": n} for n in names}
    runner.run(names, tmp_path, progress=False, jobs=2, options=opts)
    start = {n: float((tmp_path / f"{n}.start").read_text()) for n in names}
    assert start["em2022"] > max(start["flagship"], start["majumdar2022"]) + 0.4
    assert set(runner._EXPECTED_S) == set(runner.ANALYSES)


@linux_only
def test_ctrl_c_stops_every_worker_quietly(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from cevns.reproduce import em_properties, flagship, runner

        def slow(out_dir, *, progress=True):
            Path({str(tmp_path)!r}, str(__import__("os").getpid())).write_text("started")
            time.sleep(60)

        em_properties.run = flagship.run = slow
        runner.run(["flagship", "em2022"], {str(tmp_path / "out")!r}, jobs=2)
        """
    )
    p = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 30
    while len(list(tmp_path.glob("[0-9]*"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    workers = [int(f.name) for f in tmp_path.glob("[0-9]*")]
    assert len(workers) == 2
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = p.communicate(timeout=20)
    assert p.returncode != 0
    assert err.count("Traceback") == 1, err  # the parent's KeyboardInterrupt, none from workers
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    for pid in workers:  # the workers are gone (not left running the analyses)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("jobs", [0, -2, 1.5, True, "2"])
def test_bad_jobs_are_refused_before_anything_runs(tmp_path, jobs):
    with pytest.raises(InvalidParameterError, match=r"jobs: .*expected a whole number"):
        runner.run(["flagship", "em2022"], tmp_path, jobs=jobs)
    assert not tmp_path.joinpath("flagship").exists()


def test_bad_names_and_options_are_refused(tmp_path):
    with pytest.raises(InvalidParameterError, match="names an analysis twice"):
        runner.run(["em2022", "em2022"], tmp_path)
    with pytest.raises(InvalidParameterError, match="options: 'dg2022' is not among"):
        runner.run(["em2022"], tmp_path, options={"dg2022": {"n_mass": 3}})
    with pytest.raises(InvalidParameterError, match="no analysis given"):
        runner.run([], tmp_path)


@linux_only
def test_cli_runs_several_names_on_jobs(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cevns.cli import main

    monkeypatch.setattr(em_properties, "run", _fake("em2022", lambda out, kw: None))
    monkeypatch.setattr(flagship, "run", _fake("flagship", lambda out, kw: None))
    r = CliRunner().invoke(
        main, ["reproduce", "flagship", "em2022", "-j", "2", "--out", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "flagship" / "summary.json").exists()
    assert (tmp_path / "em2022" / "summary.json").exists()
    r = CliRunner().invoke(main, ["reproduce", "all", "em2022", "--out", str(tmp_path)])
    assert r.exit_code != 0
    assert "give 'all' alone" in r.output
    r = CliRunner().invoke(main, ["reproduce", "em2022", "-j", "0", "--out", str(tmp_path)])
    assert r.exit_code != 0
    assert "--jobs" in r.output


@linux_only
def test_flagship_curves_on_two_processes_are_the_serial_ones(tmp_path):
    one = flagship.run(tmp_path / "j1", progress=False, n_mass=3, jobs=1)
    two = flagship.run(tmp_path / "j2", progress=False, n_mass=3, jobs=2)
    assert [q.to_dict() for q in one.quantities] == [q.to_dict() for q in two.quantities]
    png = "flagship/flagship_exclusion.png"
    assert (tmp_path / "j1" / png).read_bytes() == (tmp_path / "j2" / png).read_bytes()
    with pytest.raises(InvalidParameterError, match=r"jobs: 0, expected a whole number"):
        flagship.run(tmp_path, progress=False, n_mass=3, jobs=0)


@linux_only
def test_one_analysis_alone_gets_the_jobs(tmp_path, monkeypatch):
    seen = []

    def run(out_dir, *, progress=True, jobs=1):
        seen.append(jobs)
        return Summary("flagship", "fake")

    monkeypatch.setattr(flagship, "run", run)
    runner.run("flagship", tmp_path, jobs=2)
    runner.run("flagship", tmp_path, jobs=1)
    runner.run("flagship", tmp_path, jobs=2, options={"flagship": {"jobs": 1}})
    assert seen == [2, 1, 1]  # an explicit option wins


@linux_only
def test_a_failing_flagship_curve_is_named(monkeypatch):
    import numpy as np

    from cevns.core.exceptions import FitError

    def curve(cost, masses):
        if cost == "bad":
            raise ValueError("no minimum")
        return np.asarray(masses) * 2, 1.0

    monkeypatch.setattr(flagship, "exclusion_curve", curve)
    masses = np.array([1.0, 2.0])
    out = flagship._curves({"A": "good", "B": "good"}, masses, 2, False)
    np.testing.assert_array_equal(out["B"][0], [2.0, 4.0])
    with pytest.raises(FitError, match=r"curve of COHERENT LAr failed: ValueError: no minimum"):
        flagship._curves({"combined": "good", "COHERENT LAr": "bad"}, masses, 2, False)


def test_coherent_sm_figure_does_not_depend_on_the_analysis_before(tmp_path):
    # In a serial 'reproduce all' coherent_sm ran after analyses that set the plotting
    # style and drew with it; alone (or on a worker process) it drew with matplotlib's
    # defaults: another PNG. It sets the style itself now.
    import matplotlib
    import numpy as np

    from cevns.reproduce import coherent_sm

    edges = (coherent_sm.ENERGY_EDGES_KEVEE, coherent_sm.F90_EDGES, coherent_sm.TIME_EDGES_US)
    lar = {
        k: (np.linspace(1.0, 2.0, len(e) - 1), np.linspace(2.0, 1.0, len(e) - 1))
        for k, e in zip(("energy", "f90", "time"), edges, strict=True)
    }
    png = "coherent_sm_lar_2020.png"
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # a fresh process
        coherent_sm._plot(tmp_path / "fresh", lar)
        from cevns.viz.plotting import style

        style()  # what the analyses before it leave behind
        coherent_sm._plot(tmp_path / "after", lar)
    assert (tmp_path / "fresh" / png).read_bytes() == (tmp_path / "after" / png).read_bytes()
