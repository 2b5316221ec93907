"""Experiment files (TOML), the component kinds they name, and physics-model files.

Experiments ship as TOML files in ``models/experiments/`` (installed with the package) and
are loaded by name (``load_experiment("dresden_ii")``) or by path. Loading is schema first
(pydantic models with ``extra="forbid"``), then semantic checks, then typed objects. Every
error is an :class:`~cevns.core.exceptions.InvalidConfigError` naming the file, the key path
and the offending value; unknown keys get a did-you-mean. Component kinds come from the
``cevns.components`` entry points (:mod:`cevns.config.components`).
"""

from cevns.config.components import (
    Component,
    ComponentOptions,
    all_components,
    component,
    register_component,
)
from cevns.config.loader import (
    ExperimentConfig,
    apply_overrides,
    available_experiments,
    load_experiment,
    load_experiment_config,
)
from cevns.core.files import models_dir
from cevns.physics.model_files import available_models, load_model

__all__ = [
    "Component",
    "ComponentOptions",
    "ExperimentConfig",
    "all_components",
    "apply_overrides",
    "available_experiments",
    "available_models",
    "component",
    "load_experiment",
    "load_experiment_config",
    "load_model",
    "models_dir",
    "register_component",
]
