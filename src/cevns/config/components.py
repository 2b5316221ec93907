"""Component kinds that experiment files name (``[detector] kind = "..."``).

A component kind is a :class:`Component`: the file section it serves, its ``kind``, a
pydantic options model (a :class:`ComponentOptions` subclass) and a builder that receives
the validated options (backgrounds also receive the dataset).

Kinds come from two places, never from an import side effect:

* the ``cevns.components`` entry-point group of every installed distribution, each entry
  naming a sequence of :class:`Component` (cevns's own kinds are declared the same way in
  its ``pyproject.toml``)::

      [project.entry-points."cevns.components"]
      my_detectors = "my_package.cevns_kinds:COMPONENTS"

* :func:`register_component`, called explicitly (a script or a notebook).

Two sources declaring the same section and kind are an error that names both.

A kind whose options are the keyword arguments of one function is declared with
:meth:`Component.from_function`: the options model is made from the function's signature
(type hints, defaults and ``Annotated[..., Field(...)]`` constraints), so a component is
written once, as the function users call from Python, instead of three times (signature,
options class, mapping function).

Paths in experiment files are relative to the file's folder: option fields typed
:data:`DataFile` are resolved against it (the loader passes the folder as the pydantic
validation context ``base_dir``) and must name an existing file; ``"registry:<name>"``
names a registered public data file instead, found and sha256-checked by
:mod:`cevns.data.store`, so a shipped experiment file can use the generic kinds on the
public releases.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, create_model

from cevns.core.exceptions import InvalidConfigError
from cevns.core.files import StrictModel
from cevns.data import store as data_store

__all__ = [
    "ENTRY_POINT_GROUP",
    "Component",
    "ComponentOptions",
    "DataFile",
    "Section",
    "all_components",
    "component",
    "kinds",
    "origin",
    "register_component",
]


def __dir__() -> list[str]:
    return __all__


ENTRY_POINT_GROUP = "cevns.components"
Section = Literal["flux", "detector", "dataset", "background"]
SECTIONS: tuple[str, ...] = get_args(Section)


class ComponentOptions(StrictModel):
    """Base of the option models of components: unknown keys rejected, frozen.

    NaN and infinities are refused in every number (TOML spells them ``nan`` and ``inf``),
    so the error names the key; an options model that takes an infinite bound sets
    ``model_config = ConfigDict(allow_inf_nan=True)`` and checks its values itself.
    """

    model_config = ConfigDict(allow_inf_nan=False)


#: Prefix of a DataFile that names a file of the data registry (``cevns data list``).
REGISTRY_PREFIX = "registry:"


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    text = str(value)
    if text.startswith(REGISTRY_PREFIX):
        name = text[len(REGISTRY_PREFIX) :]
        try:  # found (or downloaded) and its sha256 checked
            return data_store.path(name)
        except (KeyError, FileNotFoundError, ValueError) as e:  # unknown, absent, mismatch
            msg = f"registry file {name!r}: {str(e).strip(chr(34) + chr(39))}"
            raise ValueError(msg) from None
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    path = value if value.is_absolute() or base is None else Path(base) / value
    relative = path is not value
    if not path.is_file():
        where = f" (relative to {base})" if relative else ""
        what = "is not a file" if path.exists() else "does not exist"
        msg = f"file {str(value)!r}{where} {what}: looked for {path}"
        raise ValueError(msg)
    return path


#: A file named in an experiment file: relative paths are taken from the folder of that
#: experiment file (the loader passes it as the validation context ``base_dir``), so an
#: experiment folder can be moved or shared as a whole. It must exist and be a file.
#: ``"registry:<name>"`` names a file of the data registry (e.g.
#: ``"registry:dresden_ii/QF_Fef_YBe.txt"``): found through :mod:`cevns.data.store`
#: (``$CEVNS_DATA_DIR``, the cache, or downloaded) and checked against its sha256.
DataFile = Annotated[Path, AfterValidator(_resolve_path)]


@dataclass(frozen=True)
class Component:
    """One kind of one section of an experiment file.

    Parameters
    ----------
    section : {"flux", "detector", "dataset", "background"}
        The file section (``[[backgrounds]]`` entries are ``"background"``).
    kind : str
        The value of ``kind`` that selects it.
    options : type of pydantic.BaseModel
        Validates the other keys of the section.
    builder : callable
        ``builder(options)`` (backgrounds: ``builder(options, dataset=...)``) returns the
        flux, detector, dataset or background.
    description : str
        One line for ``cevns info``.
    """

    section: Section
    kind: str
    options: type[BaseModel]
    builder: Callable[..., Any]
    description: str = ""

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            msg = f"component section must be one of {SECTIONS}, got {self.section!r}"
            raise InvalidConfigError(msg)
        if not self.kind.isidentifier():
            msg = f"component kind must be an identifier, got {self.kind!r}"
            raise InvalidConfigError(msg)
        options: object = self.options  # checked at run time: plugins are not type-checked
        builder: object = self.builder
        if not (isinstance(options, type) and issubclass(options, BaseModel)):
            msg = f"{self.section} kind {self.kind!r}: options must be a pydantic model class"
            raise InvalidConfigError(msg)
        if not callable(builder):
            msg = f"{self.section} kind {self.kind!r}: builder must be callable"
            raise InvalidConfigError(msg)

    @classmethod
    def from_function(
        cls,
        section: Section,
        kind: str,
        function: Callable[..., Any],
        description: str = "",
        *,
        exclude: Collection[str] = (),
    ) -> Component:
        """A kind whose options are the keyword arguments of ``function``.

        Every parameter becomes an option with the parameter's type hint (pydantic
        validates it; ``Annotated[float, Field(gt=0)]`` adds constraints) and default
        (none: the option is required). A background's ``dataset`` parameter is not an
        option: the loader passes the experiment's dataset.

        Parameters
        ----------
        section : {"flux", "detector", "dataset", "background"}
            The file section.
        kind : str
            The value of ``kind`` that selects it.
        function : callable
            Builds the component from keyword arguments.
        description : str
            One line for ``cevns info``; default the first line of the docstring.
        exclude : collection of str
            Parameters that are not options (they must have defaults), e.g. arrays that
            only Python callers pass.

        Returns
        -------
        Component
            The declaration.
        """
        passed = {"dataset"} if section == "background" else set()
        where = f"{section} kind {kind!r} ({getattr(function, '__qualname__', function)})"
        unknown = set(exclude) - set(inspect.signature(function).parameters)
        if unknown:
            msg = f"{where}: exclude names no parameter: {sorted(unknown)}"
            raise InvalidConfigError(msg)
        definitions: dict[str, Any] = {}
        for name, p in inspect.signature(function).parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                msg = f"{where}: *args/**kwargs ({name!r}) cannot be options"
                raise InvalidConfigError(msg)
            if name in passed or name in exclude:
                if name in exclude and p.default is p.empty:
                    msg = f"{where}: excluded parameter {name!r} needs a default"
                    raise InvalidConfigError(msg)
                continue
            default = ... if p.default is p.empty else p.default
            definitions[name] = (_hint(function, name, where), default)
        doc = (inspect.getdoc(function) or "").strip().splitlines()
        model = create_model(
            f"{kind}_{section}_options",
            __base__=ComponentOptions,
            __module__=getattr(function, "__module__", __name__),
            __doc__=f"``[{section}] kind = {kind!r}``: the keyword arguments of {where}.",
            **definitions,
        )
        names = tuple(definitions)

        def builder(opts: BaseModel, **extra: Any) -> Any:
            return function(**{n: getattr(opts, n) for n in names}, **extra)

        return cls(section, kind, model, builder, description or (doc[0] if doc else ""))


def _hint(function: Callable[..., Any], name: str, where: str) -> Any:
    """The resolved type hint of one parameter (string annotations evaluated)."""
    raw = inspect.signature(function).parameters[name].annotation
    if raw is inspect.Parameter.empty:
        msg = f"{where}: parameter {name!r} has no type hint (options are validated by it)"
        raise InvalidConfigError(msg)
    if not isinstance(raw, str):
        return raw
    try:
        return typing.get_type_hints(function, include_extras=True)[name]
    except NameError:
        pass

    # one unresolvable hint elsewhere in the signature must not block this one: resolve
    # this annotation alone, in the function's module
    def alone() -> None:
        return None

    alone.__annotations__ = {name: raw}
    try:
        return typing.get_type_hints(
            alone, globalns=getattr(function, "__globals__", {}), include_extras=True
        )[name]
    except NameError as e:
        msg = f"{where}: the type hint of {name!r} ({raw}) cannot be resolved: {e}"
        raise InvalidConfigError(msg) from e


#: kinds registered at run time by :func:`register_component`, with where they came from
_REGISTERED: dict[tuple[Section, str], tuple[Component, str]] = {}


def register_component(
    section: Section,
    kind: str,
    options: type[BaseModel],
    builder: Callable[..., Any],
    description: str = "",
) -> Component:
    """Declare a kind at run time (a script or notebook); see the module docstring.

    Re-registering the same kind at run time replaces it (convenient while developing);
    a kind that an installed distribution already declares is refused.

    Parameters
    ----------
    section : {"flux", "detector", "dataset", "background", "signal"}
        Experiment-file section the kind belongs to.
    kind : str
        Its name, as written after ``kind =`` in the section.
    options : type of pydantic.BaseModel
        The options model (subclass :class:`ComponentOptions`); it validates the section.
    builder : callable
        Makes the component: ``builder(options)`` (backgrounds: ``builder(options, dataset=...)``).
    description : str
        One line for ``cevns info``.

    Returns
    -------
    Component
        The declaration, now known to every experiment file of the process.
    """
    comp = Component(section, kind, options, builder, description)
    installed = _installed()
    if (section, kind) in installed:
        msg = (
            f"{section} kind {kind!r} is already declared by {installed[(section, kind)][1]}; "
            "choose another kind"
        )
        raise InvalidConfigError(msg)
    _REGISTERED[(section, kind)] = (comp, "register_component")
    return comp


@functools.cache
def _installed() -> dict[tuple[Section, str], tuple[Component, str]]:
    out: dict[tuple[Section, str], tuple[Component, str]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name!r} ({ep.value}"
        where += f", distribution {ep.dist.name})" if ep.dist is not None else ")"
        try:
            declared = ep.load()
        except Exception as e:  # a broken plugin must name itself
            msg = f"{where} could not be loaded: {type(e).__name__}: {e}"
            raise InvalidConfigError(msg) from e
        if not isinstance(declared, Sequence) or not all(
            isinstance(c, Component) for c in declared
        ):
            msg = f"{where} must name a sequence of cevns.config.Component"
            raise InvalidConfigError(msg)
        for c in declared:
            key = (c.section, c.kind)
            if key in out:
                msg = f"{c.section} kind {c.kind!r} is declared twice: by {out[key][1]} and {where}"
                raise InvalidConfigError(msg)
            out[key] = (c, where)
    if not out:
        msg = (
            f"no component kinds found in the {ENTRY_POINT_GROUP!r} entry points: "
            "is cevns installed (pip install . or pip install -e .)?"
        )
        raise InvalidConfigError(msg)
    return out


def all_components(section: Section | None = None) -> dict[tuple[Section, str], Component]:
    """Every known kind (installed and registered), optionally of one section.

    Parameters
    ----------
    section : str, optional
        Only the kinds of this section; default all.

    Returns
    -------
    dict of (section, kind) to Component
        The kinds.
    """
    every = {k: v[0] for k, v in (_installed() | _REGISTERED).items()}
    return {k: c for k, c in sorted(every.items()) if section is None or k[0] == section}


def origin(section: Section, kind: str) -> str:
    """Where a kind was declared (entry point and distribution, or ``register_component``).

    Parameters
    ----------
    section : {"flux", "detector", "dataset", "background"}
        The section of an experiment file.
    kind : str
        Name of a kind known in that section.

    Returns
    -------
    str
        The entry point and its distribution, or that it came from ``register_component``.
    """
    return (_installed() | _REGISTERED)[(section, kind)][1]


def component(section: Section, kind: str) -> Component | None:
    """The kind ``kind`` of ``section``, or ``None``.

    Parameters
    ----------
    section : str
        Experiment-file section.
    kind : str
        Name of the kind.

    Returns
    -------
    Component or None
        The declaration, or None if there is none.
    """
    return all_components(section).get((section, kind))


def kinds(section: Section) -> Mapping[str, Component]:
    """Kinds of one section by name.

    Parameters
    ----------
    section : {"flux", "detector", "dataset", "background"}
        The section of an experiment file.

    Returns
    -------
    Mapping[str, Component]
        Every installed or registered component of the section, keyed by its kind.
    """
    return {k: c for (_, k), c in all_components(section).items()}
