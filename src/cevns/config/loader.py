"""Validated configuration files for experiments and physics models (TOML).

Experiments and physics models ship as TOML files in ``models/`` (installed with the
package) and are loaded by name (``load_experiment("dresden_ii")``) or by path. Loading
is schema first (pydantic models with ``extra="forbid"``), then semantic checks, then
typed objects. Every error is an :class:`~cevns.core.exceptions.InvalidConfigError` naming the
file, the key path and the offending value; unknown keys get a did-you-mean.

Experiment files have sections ``[flux]``, ``[detector]``, ``[dataset]``,
``[[backgrounds]]`` and ``[signal]``. The first four have a ``kind`` that selects a
registered component builder (:func:`register_component`), whose own options model
validates the rest of the section.
"""

from __future__ import annotations

import contextlib
import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cevns.config.components import config_directory, kinds
from cevns.core._validation import unknown_name
from cevns.core.exceptions import InvalidConfigError
from cevns.core.files import StrictModel, fields_tree, format_errors, read_toml, shipped
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.signal import Signal
from cevns.physics.form_factors import FormFactor, Helm, KleinNystrand, Unity

__all__ = [
    "EXPERIMENT_SCHEMA",
    "ExperimentConfig",
    "ExperimentFile",
    "apply_overrides",
    "available_experiments",
    "load_experiment",
    "load_experiment_config",
]


def __dir__() -> list[str]:
    return __all__


EXPERIMENT_SCHEMA = "cevns.experiment/1"


# ---------------------------------------------------------------------- schemas
class ComponentSection(BaseModel):
    """A ``kind`` plus options validated by the component's own model."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: str


class SignalSection(StrictModel):
    """Options of the CEvNS signal."""

    form_factor: Literal["helm", "klein_nystrand", "unity"] = "helm"
    kinematics: Literal["full", "approximate"] = "full"
    n_enu: int = Field(20001, ge=101)
    flux_norm_uncertainty: float | None = Field(None, gt=0)


class ExperimentFile(StrictModel):
    """Top level of an experiment file."""

    schema_: Literal["cevns.experiment/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str = ""
    likelihood: Literal["chi2", "poisson"] = "chi2"
    references: list[str] = Field(default_factory=list)
    flux: ComponentSection
    detector: ComponentSection
    dataset: ComponentSection
    backgrounds: list[ComponentSection] = Field(default_factory=list)
    signal: SignalSection = Field(default_factory=lambda: SignalSection.model_validate({}))


def available_experiments() -> dict[str, Path]:
    """Shipped experiment files by name."""
    return shipped("experiments")


def _known(model: type[BaseModel]) -> dict[str, Any]:
    return fields_tree(model, opaque=(ComponentSection,))


def _build_component(
    section: str, cfg: ComponentSection, source: str, path: str, **extra: Any
) -> Any:
    registry = kinds("background" if section == "backgrounds" else section)  # type: ignore[arg-type]
    if cfg.kind not in registry:
        err = unknown_name(f"{section} kind", cfg.kind, registry)
        msg = f"{source}: {path}.kind: {err}"
        raise InvalidConfigError(msg) from None
    comp = registry[cfg.kind]
    opts_raw = dict(cfg.model_extra or {})
    try:
        opts = comp.options.model_validate(opts_raw)
    except ValidationError as e:
        known = fields_tree(comp.options)
        msg = format_errors(source, e, known).replace("\n  ", f"\n  {path}.")
        raise InvalidConfigError(msg) from None
    try:
        return comp.builder(opts, **extra)
    except (ValueError, KeyError) as e:
        msg = f"{source}: {path} (kind {cfg.kind!r}): {e}"
        raise InvalidConfigError(msg) from e


def apply_overrides(
    raw: dict[str, Any], overrides: Mapping[str, Any], source: str = "--set"
) -> dict[str, Any]:
    """Set dotted keys (``detector.quenching=ybe``) in a raw config; values parsed as TOML."""
    out = copy.deepcopy(raw)
    for key, value in overrides.items():
        parts = key.split(".")
        node: Any = out
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(value, str):
            with contextlib.suppress(tomllib.TOMLDecodeError):  # else a bare string such as ybe
                value = tomllib.loads(f"v = {value}")["v"]
        if isinstance(node, list):
            node[int(parts[-1])] = value
        elif isinstance(node, dict):
            node[parts[-1]] = value
        else:
            msg = f"{source}: cannot set {key!r}: {'.'.join(parts[:-1])} is not a table"
            raise InvalidConfigError(msg)
    return out


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated experiment file (typed sections) and where it came from."""

    source: str
    file: ExperimentFile


def load_experiment_config(
    name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> ExperimentConfig:
    """Read and validate an experiment file (no data is loaded)."""
    raw, source = read_toml(name_or_path, "experiments")
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        file = ExperimentFile.model_validate(raw)
    except ValidationError as e:
        raise InvalidConfigError(format_errors(source, e, _known(ExperimentFile))) from None
    return ExperimentConfig(source, file)


def load_experiment(
    name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> Experiment:
    """Build the :class:`~cevns.likelihood.experiment.Experiment` described by a file.

    ``overrides`` sets dotted keys first (``{"detector.quenching": "ybe"}``). Paths in
    the file are relative to its folder for the kinds that resolve them
    (:func:`cevns.config.components.resolve_path`).
    """
    cfg = load_experiment_config(name_or_path, overrides)
    f = cfg.file
    with config_directory(Path(cfg.source).resolve().parent):  # relative paths: the file's
        flux = _build_component("flux", f.flux, cfg.source, "flux")
        detector = _build_component("detector", f.detector, cfg.source, "detector")
        dataset = _build_component("dataset", f.dataset, cfg.source, "dataset")
        backgrounds = [
            _build_component("backgrounds", b, cfg.source, f"backgrounds.{i}", dataset=dataset)
            for i, b in enumerate(f.backgrounds)
        ]
    ffs: dict[str, FormFactor] = {
        "helm": Helm(),
        "klein_nystrand": KleinNystrand(),
        "unity": Unity(),
    }
    ff = ffs[f.signal.form_factor]
    timing = getattr(detector, "timing_for", None)
    signal = Signal(
        flux,
        detector,
        form_factor=ff,
        kinematics=f.signal.kinematics,
        n_enu=f.signal.n_enu,
        timing=timing(flux) if callable(timing) else None,
    )
    # a detector may ask for an Experiment subclass (e.g. signal shape nuisances)
    experiment_class = getattr(detector, "experiment_class", None) or Experiment
    try:
        return experiment_class(
            f.name,
            signal,
            dataset,
            backgrounds,
            likelihood=f.likelihood,
            flux_norm_uncertainty=f.signal.flux_norm_uncertainty,
            description=f.description,
        )
    except ValueError as e:
        msg = f"{cfg.source}: {e}"
        raise InvalidConfigError(msg) from e
