"""Structural invariants of the package: layers, component kinds, the public namespace."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cevns
from cevns.config.components import Component, all_components

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_layers_hold():
    # the contracts live in pyproject.toml ([tool.importlinter]); a broken one fails here
    run = subprocess.run(
        ["lint-imports", "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_public_namespace_resolves_lazily():
    code = "import sys, cevns; assert 'cevns.stats.fit' not in sys.modules; print(cevns.fit.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "cevns.stats.fit"
    for name in cevns.__all__:
        assert getattr(cevns, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        cevns.nonexistent  # noqa: B018


def test_every_shipped_kind_is_declared_by_an_entry_point():
    kinds = all_components()
    # one per section at least, and the ones the shipped experiment files name
    assert {s for s, _ in kinds} == {"flux", "detector", "dataset", "background"}
    for (section, kind), comp in kinds.items():
        assert isinstance(comp, Component)
        assert (comp.section, comp.kind) == (section, kind)
    from cevns.config import available_experiments, load_experiment_config

    for name in available_experiments():
        f = load_experiment_config(name).file
        named = [("flux", f.flux.kind), ("detector", f.detector.kind), ("dataset", f.dataset.kind)]
        named += [("background", b.kind) for b in f.backgrounds]
        for key in named:
            assert key in kinds, (name, key)
