"""A cevns plugin: ``[[backgrounds]] kind = "power_law"``, a power law in the observable.

The expected background in a bin ``[lo, hi)`` is the integral of
``level_per_unit * (x / pivot) ** (-index)`` over the bin (counts per unit of the
observable, e.g. per keVee, at ``pivot``), scaled by a normalisation parameter
``<name>_norm`` (start 1) with an optional Gaussian prior of relative width
``norm_uncertainty``. The kind is declared in this package's ``pyproject.toml``::

    [project.entry-points."cevns.components"]
    power_law = "cevns_power_law:COMPONENTS"
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from cevns.config import Component, ComponentOptions

__all__ = ["COMPONENTS", "PowerLawOptions"]


class PowerLawOptions(ComponentOptions):
    """Options of ``kind = "power_law"`` (unknown keys are rejected, like every cevns kind)."""

    name: str = Field("power_law", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    level_per_unit: float = Field(gt=0)
    pivot: float = Field(1.0, gt=0)
    index: float = 0.0
    norm_uncertainty: float | None = Field(None, gt=0)
    norm_max: float = Field(10.0, gt=1)


def integrated(edges: np.ndarray, pivot: float, index: float) -> np.ndarray:
    """Integral of ``(x / pivot) ** (-index)`` over each bin (closed form)."""
    if np.isclose(index, 1.0):
        return pivot * np.log(edges[1:] / edges[:-1])
    p = 1.0 - index
    return pivot**index * (edges[1:] ** p - edges[:-1] ** p) / p


def build_power_law(opts: PowerLawOptions, *, dataset: Any) -> Any:
    """The background for ``dataset`` (1D, positive bin edges)."""
    from cevns.likelihood.background import TemplateBackground

    if dataset.ndim != 1:
        msg = f"kind 'power_law' needs a 1D dataset, {dataset.name!r} has {dataset.ndim} axes"
        raise ValueError(msg)
    edges = np.asarray(dataset.edges[0], dtype=float)
    if edges[0] <= 0:
        msg = f"kind 'power_law' needs positive bin edges, the dataset starts at {edges[0]}"
        raise ValueError(msg)
    return TemplateBackground(
        opts.name,
        opts.level_per_unit * integrated(edges, opts.pivot, opts.index),
        norm_uncertainty=opts.norm_uncertainty,
        norm_limits=(0.0, opts.norm_max),
    )


#: what the entry point names
COMPONENTS = (
    Component(
        "background",
        "power_law",
        PowerLawOptions,
        build_power_law,
        "power law: level_per_unit (x/pivot)^-index per unit observable (plugin example)",
    ),
)
