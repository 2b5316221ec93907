"""The README's Python example runs as printed, and its commands name real things."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_python_example_runs(capsys):
    (code,) = _blocks("python")
    assert len(code.strip().splitlines()) <= 12
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "fit VALID" in out
    assert "CL" in out


def test_two_commands_come_first():
    bash = _blocks("bash")
    assert "cevns reproduce flagship --out out" in bash[0]
    assert "python -m pytest" in bash[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest -n 2" in ci


@pytest.mark.parametrize("name", ["flagship", "majumdar2022", "dfs2018", "dg2022"])
def test_reproduce_names_exist(name):
    from cevns.reproduce.runner import ANALYSES

    assert name in ANALYSES
