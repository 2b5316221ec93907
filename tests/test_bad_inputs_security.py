"""Nothing from a user file is executed or unpickled, and the dask backend connects only to
the scheduler the user names (dask exchanges pickles with it: see README "Command line")."""

import ast
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from cevns.cli import main

SRC = Path(__file__).resolve().parents[1] / "src" / "cevns"

#: calls that execute or unpickle data: never in the package
FORBIDDEN_CALLS = {
    ("eval",),
    ("exec",),
    ("compile",),
    ("pickle", "load"),
    ("pickle", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("marshal", "loads"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("yaml", "full_load"),
    ("shelve", "open"),
}


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                yield node, (f.id,)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                yield node, (f.value.id, f.attr)


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_code_or_pickle_is_loaded(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node, name in _calls(tree):
        where = f"{path.relative_to(SRC)}:{node.lineno}"
        assert name not in FORBIDDEN_CALLS, f"{where}: {'.'.join(name)}(...)"
        if name[-1] == "load" and name[0] in ("np", "numpy"):
            pickles = [k for k in node.keywords if k.arg == "allow_pickle"]
            assert pickles, f"{where}: np.load without allow_pickle=False"
            assert isinstance(pickles[0].value, ast.Constant), where
            assert pickles[0].value.value is False, f"{where}: np.load(allow_pickle=True)"


class _Recorder:
    calls: ClassVar[list] = []

    def __init__(self, *args, **kwargs):
        type(self).calls.append((type(self).__name__, args, kwargs))


def test_dask_connects_only_to_the_named_scheduler(monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    from cevns.stats import scan

    class Client(_Recorder):
        calls: ClassVar[list] = []

    class LocalCluster(_Recorder):
        calls: ClassVar[list] = []

    monkeypatch.setattr(distributed, "Client", Client)
    monkeypatch.setattr(distributed, "LocalCluster", LocalCluster)
    # named: exactly that address, and no cluster started
    scan._dask_client("tcp://10.0.0.5:8786", None)
    assert Client.calls == [
        ("Client", ("tcp://10.0.0.5:8786",), {"timeout": scan.SCHEDULER_TIMEOUT_S})
    ]
    assert LocalCluster.calls == []
    # not named: a LocalCluster on this machine (processes, a free dashboard port)
    Client.calls.clear()
    scan._dask_client(None, 2)
    ((_, _, kw),) = LocalCluster.calls
    assert kw["n_workers"] == 2
    assert kw["dashboard_address"] == ":0"
    assert Client.calls[0][1][0].__class__ is LocalCluster


def test_the_scheduler_help_says_that_dask_exchanges_pickles():
    out = CliRunner().invoke(main, ["scan", "--help"]).output
    text = " ".join(out.split())
    assert "connects only to the address given here" in text
    assert "pickled Python objects" in text
    readme = (SRC.parents[1] / "README.md").read_text()
    assert "dask exchanges pickled Python objects" in " ".join(readme.split())
