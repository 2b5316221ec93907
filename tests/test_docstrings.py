"""Every public function and method with arguments documents each one (numpydoc).

The public API is what the modules export: the names in ``__all__`` of ``cevns`` and of
every one of its modules and subpackages (``cevns.data``, ``cevns.physics.nsi``, ...), and
the public methods of the classes among them. A name is checked under the first module
(in walk order: packages before their modules) that exports it. A class documents its constructor's arguments in its own
docstring (``Parameters``; for a dataclass, the fields under ``Attributes`` count too).
"""

import dataclasses
import importlib
import inspect
import pkgutil
import re

import pytest

import cevns

_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_PARAMETER_SECTIONS = ("Parameters", "Other Parameters")


def _sections(doc: str) -> dict[str, list[str]]:
    """numpydoc sections of a docstring: title -> its lines (dedented docstring)."""
    lines = doc.splitlines()
    out: dict[str, list[str]] = {}
    title = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.strip() and _UNDERLINE.match(lines[i + 1]):
            title = line.strip()
            out[title] = []
        elif title is not None and not _UNDERLINE.match(line):
            out[title].append(line)
    return out


def documented(doc: str, *, attributes: bool = False) -> set[str]:
    """Names listed in the Parameters sections (``a, b : type`` lines at the left margin)."""
    sections = _sections(doc)
    titles = [*_PARAMETER_SECTIONS, *(("Attributes",) if attributes else ())]
    names: set[str] = set()
    for title in titles:
        for line in sections.get(title, []):
            if line.strip() and not line[0].isspace():
                head = line.split(" : ", 1)[0]
                names |= {n.strip().lstrip("*") for n in head.split(",")}
    return names


def test_the_parser_reads_numpydoc():
    doc = inspect.cleandoc(
        """Summary.

        Parameters
        ----------
        a, b : float
            Two numbers.
        *rest : str
        flag : bool

        Returns
        -------
        c : float
        """
    )
    assert documented(doc) == {"a", "b", "rest", "flag"}
    assert documented("Summary only.") == set()


def _modules() -> list[str]:
    """``cevns``, its subpackages, then every module (each group sorted by name)."""
    found = list(pkgutil.walk_packages(cevns.__path__, "cevns."))
    packages = sorted(m.name for m in found if m.ispkg)
    modules = sorted(
        m.name for m in found if not m.ispkg and m.name.rsplit(".", 1)[-1] != "__main__"
    )
    return ["cevns", *packages, *modules]


def _public_api() -> dict[str, object]:
    """Qualified name -> function, class or method, for every name of the modules' __all__."""
    api: dict[str, object] = {}
    seen: set[int] = set()
    for pkg in _modules():
        module = importlib.import_module(pkg)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            api[f"{pkg}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, staticmethod | classmethod):
                        member = member.__func__
                    if inspect.isfunction(member) and id(member) not in seen:
                        seen.add(id(member))
                        api[f"{pkg}.{name}.{attr}"] = member
    return api


def _arguments(obj: object) -> list[str]:
    try:
        sig = inspect.signature(obj)  # a class: its constructor
    except (TypeError, ValueError):  # builtins without a signature
        return []
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    # a leading underscore marks an argument that is not part of the API (dataclass internals)
    return [
        n
        for n, p in sig.parameters.items()
        if n not in ("self", "cls") and not n.startswith("_") and p.kind not in skip
    ]


API = _public_api()


def test_the_public_api_is_walked():
    # the names users start from (README "Ten lines of Python") are all covered
    for name in ("cevns.fit", "cevns.profile_scan", "cevns.load_experiment", "cevns.NSIModel"):
        assert name in API
    assert "cevns.data.fetch_release" in API or "cevns.data.fetch" in API
    assert sum(bool(_arguments(f)) for f in API.values()) > 100


def test_every_module_is_walked():
    # not only the packages' __all__: the modules' own exports are checked too
    assert "cevns.physics.nsi" in _modules()
    assert "cevns.physics.nsi.degenerate_eps" in API  # exported by its module only
    assert sum(bool(_arguments(f)) for f in API.values()) > 300


@pytest.mark.parametrize("name", [n for n, f in API.items() if _arguments(f)])
def test_every_argument_is_documented(name):
    obj = API[name]
    doc = inspect.getdoc(obj) or ""
    names = documented(doc, attributes=inspect.isclass(obj) and dataclasses.is_dataclass(obj))
    missing = [a for a in _arguments(obj) if a not in names]
    assert not missing, f"{name}: arguments without an entry under 'Parameters': {missing}"
