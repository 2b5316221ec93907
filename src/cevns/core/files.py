"""Reading the TOML files of the package: where the shipped ones are, strict schemas, errors.

Experiment files (:mod:`cevns.config`) and physics-model files
(:mod:`cevns.physics.model_files`) are read the same way: by shipped name or by path, TOML
parsed with :mod:`tomllib`, validated by a pydantic model with ``extra="forbid"``, and every
error reported as an :class:`~cevns.core.exceptions.InvalidConfigError` that names the file,
the key path and the offending value, with a did-you-mean for unknown keys.
"""

from __future__ import annotations

import difflib
import importlib.resources
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from cevns.core._validation import describe, unknown_name
from cevns.core.exceptions import InvalidConfigError

__all__ = ["StrictModel", "fields_tree", "format_errors", "models_dir", "read_toml", "shipped"]


def __dir__() -> list[str]:
    return __all__


Folder = Literal["experiments", "physics"]


class StrictModel(BaseModel):
    """Base of every file schema and component option model: unknown keys rejected, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def models_dir() -> Path:
    """Directory of the shipped experiment and model files."""
    try:
        inside = importlib.resources.files("cevns") / "_shipped" / "models"
        if inside.is_dir():
            return Path(str(inside))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[3] / "models"


def shipped(folder: Folder) -> dict[str, Path]:
    """Shipped files of one folder (``experiments`` or ``physics``) by name.

    Parameters
    ----------
    folder : {"experiments", "physics"}
        Sub-folder of the shipped ``models`` folder.

    Returns
    -------
    dict of str -> Path
        File stem -> path of each ``.toml`` file (empty if the folder is missing).
    """
    d = models_dir() / folder
    return {p.stem: p for p in sorted(d.glob("*.toml"))} if d.is_dir() else {}


def read_toml(name_or_path: str | Path, folder: Folder) -> tuple[dict[str, Any], str]:
    """The raw table of a shipped name or a path, and the source to name in errors.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped name (file stem) or the path of a ``.toml`` file.
    folder : {"experiments", "physics"}
        The folder of shipped files a name is looked up in.

    Returns
    -------
    raw : dict
        The parsed TOML table.
    source : str
        The path of the file that was read.
    """
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            msg = f"configuration file {p} does not exist"
            raise InvalidConfigError(msg)
        if not p.is_file():
            msg = f"configuration file {p} is not a file"
            raise InvalidConfigError(msg)
        path = p
    else:
        index = shipped(folder)
        if str(name_or_path) not in index:
            what = "experiment" if folder == "experiments" else "model"
            raise unknown_name(what, str(name_or_path), index)
        path = index[str(name_or_path)]
    try:
        raw = tomllib.loads(path.read_text())
    except UnicodeDecodeError as e:
        msg = f"{path}: not a text (TOML) file: {e}"
        raise InvalidConfigError(msg) from e
    except tomllib.TOMLDecodeError as e:
        msg = f"{path}: not valid TOML: {e}"
        raise InvalidConfigError(msg) from e
    return raw, str(path)


def format_errors(source: str, err: ValidationError, known: Mapping[str, Any]) -> str:
    """One line per pydantic error: the key path, what is wrong, the offending value.

    Parameters
    ----------
    source : str
        The file (or other source) named on the first line of the message.
    err : pydantic.ValidationError
        The validation error to describe.
    known : Mapping
        Nested tree of the allowed keys (see :func:`fields_tree`), for did-you-mean hints.

    Returns
    -------
    str
        A multi-line message, one line per error after the header.
    """
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        # "<...>" are the tags of discriminated unions (which model was chosen), not keys
        loc = [str(p) for p in e["loc"] if not (isinstance(p, str) and p.startswith("<"))]
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
        elif e["type"] == "missing":
            lines.append(f"  {path}: required, missing")
        else:
            lines.append(f"  {path}: {e['msg']} (got {describe(e.get('input'))})")
    return "\n".join(lines)


def _annotation_tree(ann: Any, opaque: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """Known keys below a field of type ``ann`` (models, unions of models, dicts of them)."""
    if typing.get_origin(ann) is typing.Annotated:
        return _annotation_tree(typing.get_args(ann)[0], opaque)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return {} if ann in opaque else fields_tree(ann, opaque=opaque)
    origin = typing.get_origin(ann)
    if origin is dict:
        val = typing.get_args(ann)[-1]
        inner = _annotation_tree(val, opaque)
        return {"*": inner} if inner else {}
    if origin in (typing.Union, types.UnionType):  # the keys of every member
        out: dict[str, Any] = {}
        for member in typing.get_args(ann):
            out.update(_annotation_tree(member, opaque))
        return out
    return {}


def fields_tree(
    model: type[BaseModel], *, opaque: tuple[type[BaseModel], ...] = ()
) -> dict[str, Any]:
    """Nested field names of a schema (for did-you-mean); ``opaque`` models are not entered.

    A union of models contributes the keys of every member; ``"*"`` holds the keys of the
    entries of a table of tables.

    Parameters
    ----------
    model : type of pydantic BaseModel
        The schema whose field names (aliases where set) are collected.
    opaque : tuple of pydantic model types, optional
        Models whose fields are not entered (they appear as leaves).

    Returns
    -------
    dict
        Field name -> nested dict of its own fields (empty for a leaf).
    """
    return {
        (f.alias or name): _annotation_tree(f.annotation, opaque)
        for name, f in model.model_fields.items()
    }
