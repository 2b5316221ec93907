"""The tutorials run top to bottom as scripts, write figures and convert to notebooks."""

import os
import runpy
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "tutorials").glob("[0-9][0-9]_*.py"))
FIGURE_SUFFIXES = {".png", ".pdf", ".svg"}


def test_all_tutorials_are_found():
    assert [p.name[:2] for p in TUTORIALS] == ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_and_writes_figures(path, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("mplhep")
    if path.name.startswith("06_"):
        pytest.importorskip("dask.distributed")
    release = Path(os.environ.get("CEVNS_DATA_DIR", "/nonexistent")) / "xenonnt_8b_2026"
    if path.name.startswith("08_") and not (release / "MANIFEST.sha256").is_file():
        pytest.skip(f"tutorial 08 needs the XENONnT release folder {release}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    namespace = runpy.run_path(str(path), run_name="__main__")
    assert namespace  # ran to the end
    figures = [p for p in tmp_path.iterdir() if p.suffix in FIGURE_SUFFIXES]
    assert figures, f"{path.name} wrote no figure into the working directory"
    assert set(plt.get_fignums()) <= before, f"{path.name} left figures open"


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_converts_to_notebook(path):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(path)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3
    assert kinds.count("code") >= 3
    assert kinds[0] == "markdown"  # every tutorial opens with its title and purpose
    assert nb.cells[0].source.startswith("# ")
    assert jupytext.writes(nb, fmt="ipynb")
