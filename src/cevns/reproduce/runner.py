"""Run the reproductions by name: ``cevns reproduce NAME|all``."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

from cevns.core._validation import unknown_name
from cevns.reproduce.summary import Summary, write_validation_page
from cevns.viz.plotting import figure_formats

__all__ = ["ANALYSES", "TITLES", "run"]


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


def run(
    name: str,
    out_dir: str | Path,
    *,
    progress: bool = True,
    validation_page: str | Path | None = None,
    formats: Sequence[str] = ("png",),
) -> list[Summary]:
    """Run one analysis (or ``"all"``) and write its summaries into ``out_dir``.

    Parameters
    ----------
    name : str
        A key of :data:`ANALYSES` or ``"all"``.
    out_dir : path
        Everything is written below it: ``<out_dir>/<analysis>/summary.{json,md}`` and the
        figures; with ``"all"`` also ``<out_dir>/validation.md``.
    progress : bool
        Progress bars on stderr.
    validation_page : path, optional
        With ``"all"``, write the validation page here as well (the explicit step that
        regenerates the repository's ``docs/validation.md``).
    formats : sequence of str
        Figure formats (``("png", "pdf")`` for PDF too).
    """
    names = list(ANALYSES) if name == "all" else [name]
    for n in names:
        if n not in ANALYSES:
            raise unknown_name("analysis", n, [*ANALYSES, "all"])
    summaries = []
    with figure_formats(formats):
        for n in names:
            module = importlib.import_module(f".{ANALYSES[n]}", __package__)
            summaries.append(module.run(Path(out_dir), progress=progress))
    if name == "all":
        write_validation_page(summaries, Path(out_dir) / "validation.md")
        if validation_page is not None:
            write_validation_page(summaries, validation_page)
    return summaries
