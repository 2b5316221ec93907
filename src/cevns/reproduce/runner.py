"""Run the reproductions by name: ``cevns reproduce NAME|all``."""

from __future__ import annotations

import importlib
from pathlib import Path

from cevns.core._validation import unknown_name
from cevns.reproduce.summary import Summary, write_validation_page

__all__ = ["ANALYSES", "run"]


def __dir__() -> list[str]:
    return __all__


#: Analysis name -> module of :mod:`cevns.reproduce` with ``run(out_dir, progress=...)``.
ANALYSES: dict[str, str] = {
    "majumdar2022": "majumdar2022",
    "dfs2018": "dfs2018",
    "dg2022": "dg2022",
    "flagship": "flagship",
}


def run(
    name: str,
    out_dir: str | Path,
    *,
    progress: bool = True,
    validation_page: str | Path | None = "docs/validation.md",
) -> list[Summary]:
    """Run one analysis (or ``"all"``) and write its summaries.

    With ``"all"``, the validation page (default ``docs/validation.md``, relative to the
    working directory) is generated from the same summaries.
    """
    names = list(ANALYSES) if name == "all" else [name]
    for n in names:
        if n not in ANALYSES:
            raise unknown_name("analysis", n, [*ANALYSES, "all"])
    summaries = []
    for n in names:
        module = importlib.import_module(f".{ANALYSES[n]}", __package__)
        summaries.append(module.run(Path(out_dir), progress=progress))
    if name == "all" and validation_page is not None:
        write_validation_page(summaries, validation_page)
    return summaries
