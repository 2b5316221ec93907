"""Validated configuration files for experiments and physics models (TOML).

Experiments and physics models ship as TOML files in ``models/`` (installed with the
package) and are loaded by name (``load_experiment("dresden_ii")``) or by path. Loading
is schema first (pydantic models with ``extra="forbid"``), then semantic checks, then
typed objects. Every error is an :class:`~cevns.core.exceptions.InvalidConfigError` naming the
file, the key path and the offending value; unknown keys get a did-you-mean.

Experiment files have sections ``[flux]``, ``[detector]``, ``[dataset]``,
``[[backgrounds]]`` and ``[signal]``. The first four have a ``kind`` that selects a
registered component builder (:func:`register_component`), whose own options model
validates the rest of the section. A detector builder returns a detector or a
:class:`~cevns.likelihood.experiment.DetectorSetup` that also declares the time fractions of
a pulsed source, the systematics and an exposure normalisation of the experiment.
"""

from __future__ import annotations

import contextlib
import copy
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cevns.config.components import kinds
from cevns.core._validation import unknown_name
from cevns.core.exceptions import InvalidConfigError
from cevns.core.files import StrictModel, fields_tree, format_errors, read_toml, shipped
from cevns.likelihood.experiment import DetectorSetup, Experiment
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
    #: the signal normalisation is free, without prior (a flux measurement)
    free_flux_norm: bool = False


class ExperimentFile(StrictModel):
    """Top level of an experiment file."""

    schema_: Literal["cevns.experiment/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str = ""
    likelihood: Literal["chi2", "poisson"] = "chi2"
    references: list[str] = Field(default_factory=list)
    #: nuisances kept unprefixed, shared in combined costs (no prior), e.g. ["flux_norm"]
    shared: list[str] = Field(default_factory=list)
    flux: ComponentSection
    detector: ComponentSection
    dataset: ComponentSection
    backgrounds: list[ComponentSection] = Field(default_factory=list)
    signal: SignalSection = Field(default_factory=lambda: SignalSection.model_validate({}))


def available_experiments() -> dict[str, Path]:
    """Shipped experiment files by name."""
    return shipped("experiments")


def _base_dir(source: str) -> Path | None:
    """Folder of an experiment file (relative data paths are taken from it)."""
    p = Path(source)
    return p.parent if p.is_file() else None


def _known(model: type[BaseModel]) -> dict[str, Any]:
    return fields_tree(model, opaque=(ComponentSection,))


def _build_component(
    section: str,
    cfg: ComponentSection,
    source: str,
    path: str,
    overrides: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Any:
    registry = kinds("background" if section == "backgrounds" else section)  # type: ignore[arg-type]
    if cfg.kind not in registry:
        err = unknown_name(f"{section} kind", cfg.kind, registry)
        msg = f"{source}: {path}.kind: {err}"
        raise InvalidConfigError(_blame_overrides(msg, overrides)) from None
    comp = registry[cfg.kind]
    opts_raw = dict(cfg.model_extra or {})
    try:
        opts = comp.options.model_validate(opts_raw, context={"base_dir": _base_dir(source)})
    except ValidationError as e:
        known = fields_tree(comp.options)
        msg = format_errors(source, e, known).replace("\n  ", f"\n  {path}.")
        raise InvalidConfigError(_blame_overrides(msg, overrides)) from None
    try:
        return comp.builder(opts, **extra)
    except (ValueError, KeyError) as e:
        msg = f"{source}: {path} (kind {cfg.kind!r}): {e}"
        raise InvalidConfigError(_blame_overrides(msg, overrides)) from e


def apply_overrides(
    raw: dict[str, Any], overrides: Mapping[str, Any], source: str = "--set"
) -> dict[str, Any]:
    """Set dotted keys (``detector.quenching=ybe``) in a raw config; values parsed as TOML.

    A part of the key may index a list (``backgrounds.0.name``). Every error names the
    option (``source``), the key and what is there instead.

    Parameters
    ----------
    raw : dict
        The parsed file (not modified).
    overrides : mapping of str to object
        Dotted key -> value; strings are parsed as TOML values (``"1e-3"``, ``"[1, 2]"``),
        anything else is used as it is.
    source : str
        Name of the option in error messages (``--set`` on the command line).

    Returns
    -------
    dict
        A copy of ``raw`` with the keys set.
    """
    out = copy.deepcopy(raw)
    for key, value in overrides.items():
        parts = key.split(".")
        if not all(parts):
            msg = f"{source} {key}: empty part in the dotted key"
            raise InvalidConfigError(msg)
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = ".".join(parts[:depth]) or "(top level)"
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    msg = (
                        f"{source} {key}: {here} is a list of {len(node)} entries; "
                        f"expected an index 0..{len(node) - 1}, got {part!r}"
                    )
                    raise InvalidConfigError(msg)
                if last:
                    node[int(part)] = _parse_value(value)
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = _parse_value(value)
                else:
                    node = node.setdefault(part, {})
            else:
                msg = (
                    f"{source} {key}: {here} is {type(node).__name__} {node!r}, "
                    "not a table: nothing can be set inside it"
                )
                raise InvalidConfigError(msg)
    return out


def _parse_value(value: Any) -> Any:
    if isinstance(value, str):
        with contextlib.suppress(tomllib.TOMLDecodeError):  # else a bare string such as ybe
            return tomllib.loads(f"v = {value}")["v"]
    return value


def _blame_overrides(msg: str, overrides: Mapping[str, Any] | None) -> str:
    """Mark the lines of an error that concern a key set with ``--set``."""
    if not overrides:
        return msg
    lines = msg.split("\n")
    for i, line in enumerate(lines):
        for key, value in overrides.items():
            if re.search(rf"(^|\s){re.escape(key)}[:\s]", line):
                lines[i] = f"{line} [from --set {key}={value}]"
                break
    return "\n".join(lines)


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated experiment file (typed sections) and where it came from.

    Parameters
    ----------
    source : str
        The file read, or the shipped experiment's name.
    file : ExperimentFile
        The validated sections.
    """

    source: str
    file: ExperimentFile


def load_experiment_config(
    name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> ExperimentConfig:
    """Read and validate an experiment file (no data is loaded).

    Parameters
    ----------
    name_or_path : str or Path
        A shipped experiment (``cevns info``) or a TOML file.
    overrides : mapping of str to object, optional
        Dotted keys set before validation (:func:`apply_overrides`).

    Returns
    -------
    ExperimentConfig
        The validated file and where it came from.
    """
    raw, source = read_toml(name_or_path, "experiments")
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        file = ExperimentFile.model_validate(raw)
    except ValidationError as e:
        msg = _blame_overrides(format_errors(source, e, _known(ExperimentFile)), overrides)
        raise InvalidConfigError(msg) from None
    return ExperimentConfig(source, file)


def load_experiment(
    name_or_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> Experiment:
    """Build the :class:`~cevns.likelihood.experiment.Experiment` described by a file.

    ``overrides`` sets dotted keys first (``{"detector.quenching": "ybe"}``). Data files
    named in the file (options typed :data:`cevns.config.components.DataFile`) are
    relative to its folder.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped experiment (``cevns info``) or a TOML file.
    overrides : mapping of str to object, optional
        Dotted keys set before validation (:func:`apply_overrides`).

    Returns
    -------
    Experiment
        Detector, flux, dataset, backgrounds and signal, ready for ``.cost(model)``.
    """
    cfg = load_experiment_config(name_or_path, overrides)
    f = cfg.file
    src, ovr = cfg.source, overrides
    flux = _build_component("flux", f.flux, src, "flux", ovr)
    built = _build_component("detector", f.detector, src, "detector", ovr)
    # a detector component returns a detector or a DetectorSetup (timing, systematics, ...)
    setup = built if isinstance(built, DetectorSetup) else DetectorSetup(built)
    dataset = _build_component("dataset", f.dataset, src, "dataset", ovr)
    backgrounds = [
        _build_component("backgrounds", b, src, f"backgrounds.{i}", ovr, dataset=dataset)
        for i, b in enumerate(f.backgrounds)
    ]
    ffs: dict[str, FormFactor] = {
        "helm": Helm(),
        "klein_nystrand": KleinNystrand(),
        "unity": Unity(),
    }
    ff = ffs[f.signal.form_factor]
    signal = Signal(
        flux,
        setup.detector,
        form_factor=ff,
        kinematics=f.signal.kinematics,
        n_enu=f.signal.n_enu,
        timing=None if setup.timing is None else setup.timing(tuple(flux.flavours)),
    )
    try:
        return Experiment(
            f.name,
            signal,
            dataset,
            backgrounds,
            likelihood=f.likelihood,
            flux_norm_uncertainty=f.signal.flux_norm_uncertainty,
            systematics=setup.systematics,
            normalisation=setup.normalisation,
            free_flux_norm=f.signal.free_flux_norm,
            shared=f.shared,
            description=f.description,
        )
    except ValueError as e:
        msg = f"{cfg.source}: {e}"
        raise InvalidConfigError(msg) from e
