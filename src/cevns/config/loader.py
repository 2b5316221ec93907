"""Validated configuration files for experiments and physics models (TOML).

Experiments and physics models ship as TOML files in ``models/`` (installed with the
package) and are loaded by name (``load_experiment("dresden_ii")``) or by path. Loading
is schema first (pydantic models with ``extra="forbid"``), then semantic checks, then
typed objects. Every error is an :class:`~cevns.core.exceptions.InvalidConfigError` naming the
file, the key path and the offending value; unknown keys get a did-you-mean.

Experiment files have sections ``[flux]``, ``[detector]``, ``[dataset]``,
``[[backgrounds]]`` and ``[signal]``. The first four have a ``kind`` that selects a
registered component builder (:func:`register_component`), whose own options model
validates the rest of the section. Background builders receive the dataset
(``builder(options, dataset=...)``) and, when their signature names a ``detector``
keyword, the experiment's detector too (``detector=...``): a background given per unit
exposure is then scaled by the detector's exposure, which the file states once. A
detector builder returns a detector or a
:class:`~cevns.likelihood.experiment.DetectorSetup` that also declares the time fractions of
a pulsed source, the systematics and an exposure normalisation of the experiment.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
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
    #: neutrino-energy nodes of the signal integral; the upper bound (50 x the default)
    #: keeps a typo (1e9) from exhausting the memory when the templates are built
    n_enu: int = Field(20001, ge=101, le=1_000_001)
    flux_norm_uncertainty: float | None = Field(None, gt=0)
    #: the signal normalisation is free, without prior (a flux measurement)
    free_flux_norm: bool = False


class ExperimentFile(StrictModel):
    """Top level of an experiment file.

    Parameters
    ----------
    schema : "cevns.experiment/1"
        Version tag of the file format (the key ``schema`` in the file).
    name : str
        Identifier of the experiment (letters, digits, underscores; not starting with a digit).
    description : str, optional
        Free-text description.
    likelihood : {"chi2", "poisson"}, optional
        Statistic of the experiment's cost (default ``"chi2"``).
    references : list of str, optional
        Publications or data releases the file is taken from.
    shared : list of str, optional
        Nuisance names kept unprefixed, so they are shared in combined costs (no prior).
    flux : ComponentSection
        The ``[flux]`` table: a ``kind`` and that kind's options.
    detector : ComponentSection
        The ``[detector]`` table: a ``kind`` and that kind's options.
    dataset : ComponentSection
        The ``[dataset]`` table: a ``kind`` and that kind's options.
    backgrounds : list of ComponentSection, optional
        The ``[[backgrounds]]`` tables, one per background component.
    signal : SignalSection, optional
        Options of the CEvNS signal (form factor, kinematics, integration nodes).
    """

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
    # the dataset always (backgrounds); anything else only to a builder that names it
    extra = {k: v for k, v in extra.items() if k == "dataset" or _names(comp.builder, k)}
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


def _names(builder: Any, keyword: str) -> bool:
    """Whether a builder's signature has the keyword parameter ``keyword`` (not ``**kw``)."""
    try:
        p = inspect.signature(builder).parameters.get(keyword)
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
    return p is not None and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)


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


def _paths_from_cwd(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overridden ``path`` options made absolute against the working folder.

    A path written in an experiment file is relative to the file's folder; a path given
    on the command line (``--set dataset.path=x.txt``) or in a script's overrides is
    relative to the working folder, as any path typed at a shell.
    """

    def fix(key: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: fix(k, v) for k, v in value.items()}
        if key.rsplit(".", 1)[-1] == "path" and isinstance(value, str | Path):
            text = _parse_value(value) if isinstance(value, str) else value
            if isinstance(text, str | Path):
                p = Path(text).expanduser()
                return str(p if p.is_absolute() else Path.cwd() / p)
        return value

    return {k: fix(k, v) for k, v in overrides.items()}


def _parse_value(value: Any) -> Any:
    if isinstance(value, str):
        with contextlib.suppress(tomllib.TOMLDecodeError):  # else a bare string such as ybe
            return tomllib.loads(f"v = {value}")["v"]
    return value


def _blame_overrides(msg: str, overrides: Mapping[str, Any] | None) -> str:
    """Lead an error that concerns a key set with ``--set`` with that option.

    ``--set detector.mass_kg=-1: detector.mass_kg: Input should be greater than 0 (got -1)
    (experiment file dresden_ii.toml)``: the option the user typed comes first, the file
    (whose text is not at fault) is named last, by its file name.
    """
    if not overrides:
        return msg
    lines = msg.split("\n")
    source = lines[0].split(": ", 1)[0]
    blamed: list[str] = []
    rest: list[str] = []
    for i, line in enumerate(lines):
        for key, value in overrides.items():
            if re.search(rf"(^|\s){re.escape(key)}[:\s]", line):
                text = line.strip()
                if i == 0 and text.startswith(f"{source}: "):
                    text = text[len(source) + 2 :]
                blamed.append(f"--set {key}={value}: {text}")
                break
        else:
            if i > 0 or not line.endswith(": invalid configuration"):
                rest.append(line.strip() if i > 0 else line)
    if not blamed:
        return msg
    where = f" (experiment file {Path(source).name})"
    return "\n".join([blamed[0] + where, *blamed[1:], *rest])


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
        overrides = _paths_from_cwd(overrides)
    if raw.get("schema") == "cevns.model/1":
        msg = (
            f"{source}: a physics-model file (schema 'cevns.model/1'), not an experiment "
            "file (schema 'cevns.experiment/1'); give it as the model (--model)"
        )
        raise InvalidConfigError(msg)
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
        _build_component(
            "backgrounds", b, src, f"backgrounds.{i}", ovr, dataset=dataset, detector=setup.detector
        )
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
        if overrides:  # the error may come from an overridden value: say which were set
            given = ", ".join(f"{k}={v}" for k, v in overrides.items())
            msg += f" (with --set {given})"
        raise InvalidConfigError(msg) from e
