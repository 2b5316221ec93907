"""Faults lose nothing: a kill in the middle of a checkpoint write, a second scan on the
same checkpoint, a dask worker killed mid-scan, read-only and full output folders."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from cevns.cli import main
from cevns.core.exceptions import FitError, InvalidParameterError
from cevns.stats.scan import grid_axis, profile_scan

from .test_experiment import _toy_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def cost():
    return _toy_experiment().cost("sin2w")


def _records(path):
    """Indices of the parsable point lines, and the lines that do not parse."""
    idx, torn = [], []
    for line in path.read_text().splitlines()[1:]:
        try:
            idx.append(tuple(json.loads(line)["index"]))
        except json.JSONDecodeError:
            torn.append(line)
    return idx, torn


# --- kill -9 in the middle of a checkpoint write --------------------------------------------
_TORN = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from tests.test_experiment import _toy_experiment
    import cevns.stats.scan as s
    real_write = os.write
    calls = []
    def torn_write(fd, data):
        # the 11th point: half the line reaches the file, then the process is killed -9
        calls.append(1)
        if len(calls) == 12:
            real_write(fd, bytes(data)[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(fd, data)
    s.os.write = torn_write
    cost = _toy_experiment().cost("sin2w")
    s.profile_scan(cost, {{"sin2_theta_w": s.grid_axis(0.2, 0.3, 40)}}, checkpoint={ck!r})
    """
)


def test_kill_in_the_middle_of_a_write_loses_only_that_point(cost, tmp_path):
    ck = tmp_path / "scan.jsonl"
    proc = subprocess.run(
        [sys.executable, "-c", _TORN.format(root=ROOT, ck=str(ck))], capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    idx, torn = _records(ck)
    # the header, the 10 points written before, and the half line of the 11th
    assert len(idx) == 10
    assert len(torn) == 1
    assert not ck.read_text().endswith("\n")
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 40)}
    resumed = profile_scan(cost, grid, checkpoint=ck)
    ref = profile_scan(cost, grid)
    np.testing.assert_array_equal(resumed.chi2, ref.chi2)  # bit for bit
    idx2, torn2 = _records(ck)
    assert torn2 == torn  # the torn line is kept (terminated), never rewritten
    assert idx2[:10] == idx  # the 10 finished points are not recomputed
    assert len(idx2) == len(set(idx2)) == 40


def test_a_torn_line_followed_by_another_workers_record_keeps_that_record(cost, tmp_path):
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 30)}
    ck = tmp_path / "scan.jsonl"
    ref = profile_scan(cost, grid, checkpoint=ck)
    lines = ck.read_text().splitlines()
    # worker A killed half-way through point 5; worker B then appended point 6 after it
    merged = lines[6][: len(lines[6]) // 2] + lines[7]
    kept = [*lines[:6], merged, *lines[8:12]]  # points 0-4, 5 torn + 6, 7-10
    ck.write_text("\n".join(kept) + "\n")
    again = profile_scan(cost, grid, checkpoint=ck)
    np.testing.assert_array_equal(again.chi2, ref.chi2)
    added = ck.read_text().splitlines()[len(kept) :]
    # point 6 was recovered from the merged line: point 5 and 11-29 were computed, not 6
    assert sorted(tuple(json.loads(line)["index"]) for line in added) == [
        (i,) for i in [5, *range(11, 30)]
    ]


_HOLD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.test_experiment import _toy_experiment
    import cevns.stats.scan as s
    orig = s._fit_point
    calls = []
    def slow(*a, **k):
        calls.append(1)
        if len(calls) == 3:  # two points recorded, then the scan holds its lock for a minute
            time.sleep(60)
        return orig(*a, **k)
    s._fit_point = slow
    cost = _toy_experiment().cost("sin2w")
    s.profile_scan(cost, {{"sin2_theta_w": s.grid_axis(0.2, 0.3, 3)}}, checkpoint={ck!r},
                   best_fit=False)
    """
)


def test_a_second_scan_on_a_checkpoint_in_use_is_refused(cost, tmp_path):
    ck = tmp_path / "scan.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD.format(root=ROOT, ck=str(ck))], start_new_session=True
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (
            ck.exists() and len(ck.read_text().splitlines()) >= 3
        ):
            time.sleep(0.05)
        before = ck.read_bytes()
        with pytest.raises(InvalidParameterError, match=r"is in use by another running scan"):
            profile_scan(
                cost, {"sin2_theta_w": grid_axis(0.2, 0.3, 3)}, checkpoint=ck, best_fit=False
            )
        assert ck.read_bytes() == before  # the refused scan wrote nothing
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


# --- a dask worker killed mid-scan -----------------------------------------------------------
def test_dask_worker_killed_mid_scan_gives_the_serial_result(cost, tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.syspath_prepend(ROOT)  # spawned workers copy sys.path: the toy cost is in tests/
    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 6), "toy.level": grid_axis(40.0, 60.0, 10)}
    ref = profile_scan(cost, grid)
    ck = tmp_path / "scan.jsonl"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):

        def slow_fits():  # in each worker: 50 ms per point, so the kill lands mid-scan
            import time as _time

            import cevns.stats.scan as s

            orig = s._fit_point

            def slow(*a, **k):
                _time.sleep(0.05)
                return orig(*a, **k)

            s._fit_point = slow
            return os.getpid()

        pids = list(client.run(slow_fits).values())
        out = {}

        def scan():
            try:
                out["res"] = profile_scan(
                    cost, grid, backend="dask", scheduler=cluster.scheduler_address, checkpoint=ck
                )
            except BaseException as e:  # reported below
                out["err"] = e

        t = threading.Thread(target=scan)
        t.start()
        deadline = time.time() + 60
        while time.time() < deadline and not (ck.exists() and len(ck.read_text().splitlines()) > 8):
            time.sleep(0.02)
        n_at_kill = len(ck.read_text().splitlines()) - 1
        os.kill(pids[0], signal.SIGKILL)  # one worker process dies with its chunk in flight
        t.join(timeout=120)
        assert not t.is_alive()
    assert "err" not in out, out.get("err")
    assert 0 < n_at_kill < 60  # the kill came in the middle of the scan
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
    res = out["res"]
    np.testing.assert_array_equal(res.chi2, ref.chi2)  # bit-identical to serial
    for k in ref.profiled:
        np.testing.assert_array_equal(res.profiled[k], ref.profiled[k])
    assert res.valid.all()


# --- read-only and full output folders -------------------------------------------------------
def _no_fit(monkeypatch):
    """Fail the test if an experiment is loaded (the refusal must come before any work)."""

    def refuse(*a, **k):
        raise AssertionError("the experiment was loaded before the output was checked")

    monkeypatch.setattr("cevns.config.load_experiment", refuse)


def _read_only(monkeypatch, folder):
    """Emulate a read-only folder (the tests run as root, which chmod does not stop):
    creating a file in it fails with EROFS, as on a read-only mount."""
    real_open = os.open

    def ro_open(path, flags, *a, **k):
        if str(path).startswith(str(folder)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", ro_open)


def _full(monkeypatch):
    """Emulate a full disk: data written reaches the disk at the sync, which fails with
    ENOSPC (a real full filesystem also fails the write itself)."""

    def full_fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_fsync)


@pytest.mark.parametrize("fault", ["read-only", "full"])
@pytest.mark.parametrize(
    ("args", "target"),
    [
        (["fit", "dresden_ii", "--json", "{d}/fit.json"], "{d}/fit.json"),
        (["fit", "dresden_ii", "--plot", "{d}/fit.png"], "{d}/fit.png"),
        (
            [
                "scan",
                "dresden_ii",
                "-m",
                "sin2w",
                "--param",
                "sin2_theta_w=0.1:0.3:5",
                "--csv",
                "{d}/s.csv",
            ],
            "{d}/s.csv",
        ),
        (["reproduce", "majumdar2022", "--out", "{d}"], "into --out {d}"),
    ],
    ids=["fit-json", "fit-plot", "scan-csv", "reproduce-out"],
)
def test_unwritable_output_is_refused_before_the_work(tmp_path, monkeypatch, fault, args, target):
    d = tmp_path / "out"
    d.mkdir()
    _no_fit(monkeypatch)
    monkeypatch.setattr("cevns.reproduce.runner.run", lambda *a, **k: pytest.fail("ran"))
    if fault == "read-only":
        _read_only(monkeypatch, d)
        why = "Read-only file system"
    else:
        _full(monkeypatch)
        why = "No space left on device"
    result = CliRunner().invoke(main, [a.format(d=d) for a in args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    err = result.output.strip().splitlines()[-1]
    assert err.startswith("Error:"), err
    assert f"cannot write {target.format(d=d)}: {why}" in err, err
    assert list(d.iterdir()) == []  # the probe left nothing behind


def test_a_full_device_at_the_final_write_is_one_line():
    # /dev/full: opening succeeds, every write fails with ENOSPC (a real full "disk")
    result = CliRunner().invoke(main, ["fit", "dresden_ii", "-q", "--json", "/dev/full"])
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        "Error: cannot write /dev/full: No space left on device"
    )


def test_checkpoint_on_a_full_device_or_read_only_folder(cost, tmp_path, monkeypatch):
    with pytest.raises(InvalidParameterError, match=r"checkpoint /dev/full is not a file"):
        profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint="/dev/full")
    _read_only(monkeypatch, tmp_path)
    with pytest.raises(
        InvalidParameterError, match=r"cannot write the checkpoint .*scan\.jsonl: Read-only"
    ):
        profile_scan(cost, {"sin2_theta_w": [0.2, 0.3]}, checkpoint=tmp_path / "scan.jsonl")


def test_disk_full_during_a_scan_keeps_the_recorded_points(cost, tmp_path, monkeypatch):
    import cevns.stats.scan as s

    ck = tmp_path / "scan.jsonl"
    real_write = os.write
    calls = []

    def fills_up(fd, data):
        calls.append(1)
        if len(calls) > 6:  # the header and 5 points fit, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    grid = {"sin2_theta_w": grid_axis(0.2, 0.3, 12)}
    monkeypatch.setattr(s.os, "write", fills_up)
    with pytest.raises(FitError, match=r"cannot record a point in the checkpoint .*No space left"):
        profile_scan(cost, grid, checkpoint=ck)
    monkeypatch.undo()
    assert len(_records(ck)[0]) == 5
    np.testing.assert_array_equal(
        profile_scan(cost, grid, checkpoint=ck).chi2, profile_scan(cost, grid).chi2
    )
