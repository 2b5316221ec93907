"""Physics-model files: a built-in family with its parameters' defaults, limits and priors.

A model file (``models/physics/*.toml``, or any path) names a family of
:mod:`cevns.physics.families` and overrides its parameters::

    schema = "cevns.model/1"
    name = "sin2w"
    family = "sin2w"
    [parameters.sin2_theta_w]
    value = 0.24
    limits = [0.0, 1.0]
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from cevns.core._validation import unknown_name
from cevns.core.exceptions import InvalidConfigError
from cevns.core.files import StrictModel, fields_tree, format_errors, read_toml, shipped
from cevns.physics.families import FAMILIES, ModelFamily, Parameter, family

__all__ = ["MODEL_SCHEMA", "ModelFile", "ParameterSection", "available_models", "load_model"]


def __dir__() -> list[str]:
    return __all__


MODEL_SCHEMA = "cevns.model/1"


class ParameterSection(StrictModel):
    """Overrides of one model parameter.

    Parameters
    ----------
    value : float, optional
        Start value; None keeps the family's default.
    limits : (float, float), optional
        Lower and upper bound; None keeps the family's.
    step : float, optional
        Initial Minuit step (> 0); None keeps the family's.
    fixed : bool, optional
        Whether the parameter is fixed by default; None keeps the family's.
    prior : (float, float), optional
        Gaussian prior ``(mean, sigma)``; None keeps the family's.
    """

    value: float | None = None
    limits: tuple[float, float] | None = None
    step: float | None = Field(None, gt=0)
    fixed: bool | None = None
    prior: tuple[float, float] | None = None


class ModelFile(StrictModel):
    """Top level of a physics-model file.

    Parameters
    ----------
    schema : "cevns.model/1"
        Version tag of the file format (the key ``schema`` in the file).
    name : str
        Identifier of the model (letters, digits, underscores; not starting with a digit).
    family : str
        The model family the file configures (e.g. ``nsi``).
    description : str, optional
        Free-text description.
    references : list of str, optional
        Publications the model is taken from.
    parameters : dict of str -> ParameterSection, optional
        Overrides of the family's parameters, by parameter name.
    """

    schema_: Literal["cevns.model/1"] = Field(alias="schema")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    family: str
    description: str = ""
    references: list[str] = Field(default_factory=list)
    parameters: dict[str, ParameterSection] = Field(default_factory=dict)


def available_models() -> dict[str, Path]:
    """Shipped physics-model files by name (built-in families are models too)."""
    return shipped("physics")


def load_model(name_or_path: str | Path | ModelFamily) -> ModelFamily:
    """A :class:`ModelFamily` from a shipped file, a path, or a built-in name.

    Parameters
    ----------
    name_or_path : str, Path or ModelFamily
        A shipped model (``models/physics/NAME.toml``), a TOML file, a built-in family
        name, or a family (returned as it is).

    Returns
    -------
    ModelFamily
        The family with the file's defaults and limits.

    Examples
    --------
    >>> load_model("lma_dark").names
    ('x', 'mediator_mass_mev')
    """
    if isinstance(name_or_path, ModelFamily):
        return name_or_path
    p = Path(name_or_path)
    if not (p.suffix == ".toml" or p.exists()) and str(name_or_path) not in available_models():
        if str(name_or_path) in FAMILIES:
            return family(str(name_or_path))
        raise unknown_name(
            "model", str(name_or_path), sorted(set(available_models()) | set(FAMILIES))
        )
    raw, source = read_toml(name_or_path, "physics")
    if raw.get("schema") == "cevns.experiment/1":
        msg = (
            f"{source}: an experiment file (schema 'cevns.experiment/1'), not a physics-model "
            "file (schema 'cevns.model/1'); give it as the experiment"
        )
        raise InvalidConfigError(msg)
    try:
        mf = ModelFile.model_validate(raw)
    except ValidationError as e:
        raise InvalidConfigError(format_errors(source, e, fields_tree(ModelFile))) from None
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
