"""A cevns plugin: ``[[backgrounds]] kind = "flat"``, a background flat in the observable.

The expected background in a bin is ``level_per_unit * width`` (counts per unit of the
observable, e.g. per keVee, times the bin width), scaled by a normalisation parameter
``<name>_norm`` (start 1) with an optional Gaussian prior of relative width
``norm_uncertainty``. The kind is declared in this package's ``pyproject.toml``::

    [project.entry-points."cevns.components"]
    flat_background = "cevns_flat_background:COMPONENTS"
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from cevns.config import Component, ComponentOptions

__all__ = ["COMPONENTS", "FlatOptions"]


class FlatOptions(ComponentOptions):
    """Options of ``kind = "flat"`` (unknown keys are rejected, like every cevns kind)."""

    name: str = Field("flat", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    level_per_unit: float = Field(gt=0)
    norm_uncertainty: float | None = Field(None, gt=0)
    norm_max: float = Field(10.0, gt=1)


def build_flat(opts: FlatOptions, *, dataset: Any) -> Any:
    """The background for ``dataset`` (1D: one count level per unit of its axis)."""
    from cevns.likelihood.background import TemplateBackground

    if dataset.ndim != 1:
        msg = f"kind 'flat' needs a 1D dataset, {dataset.name!r} has {dataset.ndim} axes"
        raise ValueError(msg)
    template = opts.level_per_unit * np.diff(dataset.edges[0])
    return TemplateBackground(
        opts.name,
        template,
        norm_uncertainty=opts.norm_uncertainty,
        norm_limits=(0.0, opts.norm_max),
    )


#: what the entry point names
COMPONENTS = (
    Component(
        "background",
        "flat",
        FlatOptions,
        build_flat,
        "flat background: level_per_unit counts per unit of the observable (plugin example)",
    ),
)
