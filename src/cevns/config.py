"""Validated configuration files for experiments and physics models (TOML).

Experiments and physics models ship as TOML files in ``models/`` (installed with the
package) and are loaded by name (``load_experiment("dresden_ii")``) or by path. Loading
is schema first (pydantic models with ``extra="forbid"``), then semantic checks, then
typed objects. Every error is an :class:`~cevns.exceptions.InvalidConfigError` naming the
file, the key path and the offending value; unknown keys get a did-you-mean.

Experiment files have sections ``[flux]``, ``[detector]``, ``[dataset]``,
``[[backgrounds]]`` and ``[signal]``. The first four have a ``kind`` that selects a
registered component builder (:func:`register_component`), whose own options model
validates the rest of the section.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import importlib.resources
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._validation import unknown_name
from .exceptions import InvalidConfigError
from .models import ModelFamily, Parameter, family

__all__ = [
    "ComponentOptions",
    "ExperimentConfig",
    "ModelConfig",
    "apply_overrides",
    "available_experiments",
    "available_models",
    "load_experiment",
    "load_experiment_config",
    "load_model",
    "models_dir",
    "register_component",
]


def __dir__() -> list[str]:
    return __all__


EXPERIMENT_SCHEMA = "cevns.experiment/1"
MODEL_SCHEMA = "cevns.model/1"


class ComponentOptions(BaseModel):
    """Base of the option models of registered components: unknown keys rejected, frozen.

    Subclass it for the ``options`` of :func:`register_component`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Strict(ComponentOptions):
    """The file schemas below follow the same rules."""


# ---------------------------------------------------------------------- schemas
class ComponentSection(BaseModel):
    """A ``kind`` plus options validated by the component's own model."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: str


class SignalSection(_Strict):
    """Options of the CEvNS signal."""

    form_factor: Literal["helm", "klein_nystrand", "unity"] = "helm"
    kinematics: Literal["full", "approximate"] = "full"
    n_enu: int = Field(20001, ge=101)
    flux_norm_uncertainty: float | None = Field(None, gt=0)


class ExperimentFile(_Strict):
    """Top level of an experiment file."""

    schema_: Literal["cevns.experiment/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str = ""
    likelihood: Literal["chi2", "poisson"] = "chi2"
    references: list[str] = []
    flux: ComponentSection
    detector: ComponentSection
    dataset: ComponentSection
    backgrounds: list[ComponentSection] = []
    signal: SignalSection = Field(default_factory=lambda: SignalSection.model_validate({}))


class ParameterSection(_Strict):
    """Overrides of one model parameter."""

    value: float | None = None
    limits: tuple[float, float] | None = None
    step: float | None = Field(None, gt=0)
    fixed: bool | None = None
    prior: tuple[float, float] | None = None


class ModelFile(_Strict):
    """Top level of a physics-model file."""

    schema_: Literal["cevns.model/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    family: str
    description: str = ""
    references: list[str] = []
    parameters: dict[str, ParameterSection] = {}


# ---------------------------------------------------------------------- errors
def _format_errors(
    source: str, err: ValidationError, raw: Mapping[str, Any], known: Mapping[str, Any]
) -> str:
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        path = ".".join(loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            key = loc[-1]
            parent = known
            for part in loc[:-1]:
                # "*" holds the fields of every entry of a table of tables (parameters.NAME)
                parent = (
                    parent.get(part, parent.get("*", {})) if isinstance(parent, Mapping) else {}
                )
            options = sorted(parent) if isinstance(parent, Mapping) else []
            hint = difflib.get_close_matches(key, options, n=1, cutoff=0.5)
            did = f"; did you mean {hint[0]!r}?" if hint else ""
            lines.append(f"  {path}: unknown key{did} Allowed: {', '.join(options)}")
        else:
            lines.append(f"  {path}: {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def _fields_tree(model: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        key = f.alias or name
        ann = f.annotation
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if sub is None and typing.get_origin(ann) is dict:
            val = typing.get_args(ann)[-1]
            if isinstance(val, type) and issubclass(val, BaseModel):
                out[key] = {"*": _fields_tree(val)}
                continue
        out[key] = _fields_tree(sub) if sub is not None and sub is not ComponentSection else {}
    return out


# ---------------------------------------------------------------------- components
@dataclass(frozen=True)
class _Component:
    options: type[BaseModel]
    builder: Callable[..., Any]
    description: str


_COMPONENTS: dict[str, dict[str, _Component]] = {
    "flux": {},
    "detector": {},
    "dataset": {},
    "background": {},
}


def register_component(
    section: Literal["flux", "detector", "dataset", "background"],
    kind: str,
    options: type[BaseModel],
    builder: Callable[..., Any],
    description: str = "",
) -> None:
    """Register a builder for ``[section] kind = "..."``.

    ``options`` is a pydantic model (a :class:`ComponentOptions` subclass) for the remaining
    keys; the builder receives the validated options object (and, for backgrounds, the
    dataset).
    """
    _COMPONENTS[section][kind] = _Component(options, builder, description)


def _builtin_components() -> None:
    # importing the presets registers their components
    from . import presets  # noqa: F401


def _build_component(
    section: str, cfg: ComponentSection, source: str, path: str, **extra: Any
) -> Any:
    _builtin_components()
    registry = _COMPONENTS["background" if section == "backgrounds" else section]
    if cfg.kind not in registry:
        err = unknown_name(f"{section} kind", cfg.kind, registry)
        msg = f"{source}: {path}.kind: {err}"
        raise InvalidConfigError(msg) from None
    comp = registry[cfg.kind]
    opts_raw = dict(cfg.model_extra or {})
    try:
        opts = comp.options.model_validate(opts_raw)
    except ValidationError as e:
        known = _fields_tree(comp.options)
        msg = _format_errors(source, e, opts_raw, known).replace("\n  ", f"\n  {path}.")
        raise InvalidConfigError(msg) from None
    try:
        return comp.builder(opts, **extra)
    except (ValueError, KeyError) as e:
        msg = f"{source}: {path} (kind {cfg.kind!r}): {e}"
        raise InvalidConfigError(msg) from e


# ---------------------------------------------------------------------- files
def models_dir() -> Path:
    """Directory of the shipped experiment and model files."""
    try:
        shipped = importlib.resources.files("cevns") / "_shipped" / "models"
        if shipped.is_dir():
            return Path(str(shipped))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[2] / "models"


def _index(sub: str) -> dict[str, Path]:
    d = models_dir() / sub
    return {p.stem: p for p in sorted(d.glob("*.toml"))} if d.is_dir() else {}


def available_experiments() -> dict[str, Path]:
    """Shipped experiment files by name."""
    return _index("experiments")


def available_models() -> dict[str, Path]:
    """Shipped physics-model files by name (built-in families are models too)."""
    return _index("physics")


def _read(
    name_or_path: str | Path, kind: Literal["experiments", "physics"]
) -> tuple[dict[str, Any], str]:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            msg = f"configuration file {p} does not exist"
            raise InvalidConfigError(msg)
        path = p
    else:
        index = _index(kind)
        if str(name_or_path) not in index:
            what = "experiment" if kind == "experiments" else "model"
            raise unknown_name(what, str(name_or_path), index)
        path = index[str(name_or_path)]
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        msg = f"{path}: not valid TOML: {e}"
        raise InvalidConfigError(msg) from e
    return raw, str(path)


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
    raw, source = _read(name_or_path, "experiments")
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        file = ExperimentFile.model_validate(raw)
    except ValidationError as e:
        raise InvalidConfigError(
            _format_errors(source, e, raw, _fields_tree(ExperimentFile))
        ) from None
    return ExperimentConfig(source, file)


def load_experiment(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Any:
    """Build the :class:`~cevns.experiment.Experiment` described by a file.

    ``overrides`` sets dotted keys first (``{"detector.quenching": "ybe"}``).
    """
    from .experiment import Experiment
    from .form_factors import FormFactor, Helm, KleinNystrand, Unity
    from .signal import Signal

    cfg = load_experiment_config(name_or_path, overrides)
    f = cfg.file
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


@dataclass(frozen=True)
class ModelConfig:
    """A validated physics-model file."""

    source: str
    file: ModelFile


def load_model(name_or_path: str | Path | ModelFamily) -> ModelFamily:
    """A :class:`~cevns.models.ModelFamily` from a shipped file, a path, or a built-in name.

    Examples
    --------
    >>> load_model("lma_dark").names
    ('x', 'mediator_mass_mev')
    """
    if isinstance(name_or_path, ModelFamily):
        return name_or_path
    p = Path(name_or_path)
    if not (p.suffix == ".toml" or p.exists()) and str(name_or_path) not in available_models():
        from .models import FAMILIES

        if str(name_or_path) in FAMILIES:
            return family(str(name_or_path))
        raise unknown_name(
            "model", str(name_or_path), sorted(set(available_models()) | set(FAMILIES))
        )
    raw, source = _read(name_or_path, "physics")
    try:
        mf = ModelFile.model_validate(raw)
    except ValidationError as e:
        raise InvalidConfigError(_format_errors(source, e, raw, _fields_tree(ModelFile))) from None
    try:
        fam = family(mf.family)
    except KeyError as e:
        msg = f"{source}: family: {e}"
        raise InvalidConfigError(msg) from None
    params: list[Parameter] = []
    for key in mf.parameters:
        if key not in fam.names:
            hint = difflib.get_close_matches(key, fam.names, n=1)
            did = f"; did you mean {hint[0]!r}?" if hint else ""
            msg = (
                f"{source}: parameters.{key}: family {fam.name!r} has no such parameter{did} "
                f"Known: {', '.join(fam.names)}"
            )
            raise InvalidConfigError(msg)
    for par in fam.parameters:
        sec = mf.parameters.get(par.name)
        if sec is None:
            params.append(par)
            continue
        changes = {k: v for k, v in sec.model_dump().items() if v is not None}
        try:
            params.append(par.replace(**changes))
        except ValueError as e:
            msg = f"{source}: parameters.{par.name}: {e}"
            raise InvalidConfigError(msg) from None
    return ModelFamily(mf.name, tuple(params), fam.builder, mf.description or fam.description)
