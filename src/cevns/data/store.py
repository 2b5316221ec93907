"""Registered public data files: where they are, whether they are intact, how to read them.

Every file cevns reads from outside the package is listed in ``data/registry.toml`` (shipped
in the wheel as ``cevns/_shipped/registry.toml``) with its sha256, a public URL of a pinned
upstream copy, its column meanings and the publication it belongs to. Files are never copied
into the repository. :func:`path` finds a file, in this order,

1. in ``$CEVNS_DATA_DIR`` (exact relative path, e.g. ``dresden_ii/data_release.txt``);
2. in the user cache, ``$CEVNS_CACHE_DIR`` or ``pooch.os_cache("cevns")``;
3. by downloading it with pooch from the registry URL into the cache.

Every file found is checked against its sha256 (once per process and file version); a
mismatch raises :class:`~cevns.core.exceptions.ChecksumMismatchError`, never a warning. A file
that is nowhere and cannot be downloaded raises one
:class:`~cevns.core.exceptions.DataNotFoundError` that names the file, the places searched, the
URL and the remedy. Nothing is read at import time.

Large releases (the 82 MB XENONnT templates, ``[releases."<name>"]``) are folders found in
``$CEVNS_DATA_DIR/<name>`` or ``<cache>/<name>``, each file checked against the release's
manifest (shipped with the package, its sha256 pinned in the registry) when it is opened
(:func:`release`). :func:`fetch_release` downloads the release's one archive with pooch,
unpacks it, verifies every file and only then moves it into the cache; a failed fetch
leaves no folder behind. A missing or incomplete release is one error listing every
missing file (by name, or per folder when there are many) and ``cevns data fetch NAME``.

The same operations are available from the command line::

    cevns data list
    cevns data fetch dresden_ii/data_release.txt     # or: cevns data fetch all
    cevns data fetch xenonnt_8b_2026                 # a release: one archive
    cevns data verify                                # or: cevns data verify xenonnt_8b_2026

Examples
--------
>>> entry = registry()["dresden_ii/data_release.txt"]
>>> entry.publication
'arXiv:2202.09672'
>>> table = load_table("dresden_ii/data_release.txt")
>>> table.shape
(130, 5)
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.resources
import os
import re
import threading
import tomllib
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cevns.core._validation import unknown_name
from cevns.core.exceptions import (
    CevnsError,
    ChecksumMismatchError,
    DataNotFoundError,
    InvalidConfigError,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "Registry",
    "RegistryEntry",
    "Release",
    "VerifyResult",
    "cache_dir",
    "fetch",
    "fetch_release",
    "list_files",
    "load_table",
    "load_yaml",
    "locate_release",
    "path",
    "registry",
    "release",
    "release_names",
    "shipped_dir",
    "verify",
]


def __dir__() -> list[str]:
    return __all__


#: Environment variable naming a folder that holds the data files (relative paths as registered).
DATA_DIR_ENV = "CEVNS_DATA_DIR"
#: Environment variable overriding the download cache (default ``pooch.os_cache("cevns")``).
CACHE_DIR_ENV = "CEVNS_CACHE_DIR"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ARCHIVES = "_archives"
_STAGING = "_staging"


@dataclass(frozen=True)
class RegistryEntry:
    """One registered data file.

    Attributes
    ----------
    name : str
        Path relative to the data directory, e.g. ``"dresden_ii/data_release.txt"``.
    sha256 : str
        Checksum of the file (lower-case hex).
    url : str
        Public URL of a pinned upstream copy; ``""`` if there is none. If
        :attr:`archive_member` is set, the URL of a zip archive (a wheel) holding the file.
    description : str
        Columns, units, binning.
    publication : str
        arXiv id(s) or reference.
    upstream : str
        ``owner/repo@commit`` (or ``package==version``) the bytes were taken from.
    source, note : str
        Origin of the data when it differs from ``upstream``; caveats.
    archive_member, archive_sha256 : str
        Path of the file inside the archive at :attr:`url`, and the archive's checksum.
    read : mapping
        Keyword arguments for :func:`numpy.loadtxt` used by :func:`load_table`.
    """

    name: str
    sha256: str
    url: str
    description: str
    publication: str
    upstream: str
    source: str = ""
    note: str = ""
    archive_member: str = ""
    archive_sha256: str = ""
    read: Mapping[str, Any] = field(default_factory=dict)

    @property
    def downloadable(self) -> bool:
        """Whether the registry knows a public URL for this file."""
        return bool(self.url)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking one file against the registry.

    Attributes
    ----------
    name : str
    status : {"ok", "mismatch", "missing"}
    path : Path or None
        The copy that was checked (None if no local copy exists).
    expected, actual : str
        sha256 from the registry and of the file (``""`` if missing).
    """

    name: str
    status: Literal["ok", "mismatch", "missing"]
    path: Path | None
    expected: str
    actual: str = ""


# --- hashing, cached per process and file version ------------------------------------------
_HASHES: dict[tuple[str, int, int], str] = {}
#: Parsed YAML documents by (file, sha256): a release's parameter file is read by every
#: component that needs one of its values (PyYAML parses it in tens of milliseconds).
_YAML_DOCS: dict[tuple[str, str], dict[str, Any]] = {}


def _sha256(file: Path) -> str:
    st = file.stat()
    key = (str(file.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def _mismatch(name: str, file: Path, expected: str, actual: str) -> ChecksumMismatchError:
    msg = (
        f"checksum mismatch for data file {name!r} at {file}: expected sha256 {expected}, "
        f"got {actual}; the file is corrupt or a different version: replace it "
        f"(delete it and run `cevns data fetch {name}`, or point {DATA_DIR_ENV} at a "
        "correct copy)"
    )
    return ChecksumMismatchError(msg)


# --- locations --------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Folder where downloaded files are kept: ``$CEVNS_CACHE_DIR`` or ``pooch.os_cache``.

    Returns
    -------
    Path
        The folder (not created).

    Examples
    --------
    >>> isinstance(cache_dir(), Path)
    True
    """
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("cevns"))


def _data_dir() -> Path | None:
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else None


def shipped_dir() -> Path:
    """Folder of the data files shipped inside the package (the small public datasets).

    In a wheel: ``cevns/_shipped/data``; in a source checkout: ``<repo>/data/files``.

    Returns
    -------
    Path
        The folder.
    """
    inside = importlib.resources.files("cevns").joinpath("_shipped").joinpath("data")
    if inside.is_dir():
        return Path(str(inside))
    return Path(__file__).resolve().parents[3] / "data" / "files"


def _default_registry_file() -> Path:
    shipped = importlib.resources.files("cevns").joinpath("_shipped").joinpath("registry.toml")
    if shipped.is_file():
        return Path(str(shipped))
    # editable install / source checkout: <repo>/src/cevns/data.py -> <repo>/data/registry.toml
    return Path(__file__).resolve().parents[3] / "data" / "registry.toml"


# --- the registry --------------------------------------------------------------------------
_FIELDS = {f for f in RegistryEntry.__dataclass_fields__ if f != "name"}
_REQUIRED = {"sha256", "url", "description", "publication", "upstream"}


def _parse_entry(name: str, raw: Any, file: Path) -> RegistryEntry:
    where = f"{file}: files.{name!r}"
    if not isinstance(raw, dict):
        msg = f"{where} must be a table, got {type(raw).__name__}"
        raise InvalidConfigError(msg)
    unknown = set(raw) - _FIELDS
    if unknown:
        msg = f"{where} has unknown keys {sorted(unknown)}; allowed keys are {sorted(_FIELDS)}"
        raise InvalidConfigError(msg)
    missing = _REQUIRED - set(raw)
    if missing:
        msg = f"{where} is missing the keys {sorted(missing)}"
        raise InvalidConfigError(msg)
    for key in ("sha256", "archive_sha256"):
        value = raw.get(key, "")
        if key in raw and not _SHA256.match(str(value)):
            msg = f"{where}.{key} must be 64 lower-case hex digits, got {value!r}"
            raise InvalidConfigError(msg)
    if raw.get("archive_member") and not raw.get("archive_sha256"):
        msg = f"{where} has archive_member but no archive_sha256"
        raise InvalidConfigError(msg)
    if Path(name).is_absolute() or ".." in Path(name).parts:
        msg = f"{where}: the name must be a relative path inside the data directory"
        raise InvalidConfigError(msg)
    read = raw.get("read", {})
    return RegistryEntry(name=name, **{**raw, "read": MappingProxyType(dict(read))})


class Registry(Mapping[str, RegistryEntry]):
    """The registered data files (a read-only mapping name -> :class:`RegistryEntry`).

    Parameters
    ----------
    entries : mapping name -> RegistryEntry
    source : Path, optional
        The TOML file the entries were read from (for messages).

    Examples
    --------
    >>> reg = registry()
    >>> "coherent_csi_2017/coherent_parameters.yaml" in reg
    True
    """

    def __init__(self, entries: Mapping[str, RegistryEntry], source: Path | None = None) -> None:
        self._entries = dict(sorted(entries.items()))
        self.source = source

    @classmethod
    def from_file(cls, file: str | os.PathLike[str]) -> Registry:
        """Read a registry TOML file (``[files."<relative path>"]`` tables).

        Parameters
        ----------
        file : path
            The TOML file.

        Returns
        -------
        Registry
            Its entries, checked (required keys, checksums, relative names).
        """
        file = Path(file)
        try:
            with file.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            msg = f"data registry {file} does not exist"
            raise DataNotFoundError(msg) from exc
        except tomllib.TOMLDecodeError as exc:
            msg = f"data registry {file} is not valid TOML: {exc}"
            raise InvalidConfigError(msg) from exc
        if raw.get("version", 1) != 1:
            msg = f"data registry {file} has version {raw['version']!r}; this cevns reads version 1"
            raise InvalidConfigError(msg)
        files = raw.get("files")
        if not isinstance(files, dict):
            msg = f'data registry {file} has no [files."..."] tables'
            raise InvalidConfigError(msg)
        return cls({n: _parse_entry(n, e, file) for n, e in files.items()}, source=file)

    # Mapping interface
    def __getitem__(self, name: str) -> RegistryEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise unknown_name("data file", name, self._entries) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({len(self)} files from {self.source})"

    # locating files
    def candidates(self, name: str) -> list[Path]:
        """Places searched for ``name``, in order: data dir (if set), package, cache.

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.

        Returns
        -------
        list of Path
            The folders' copies of ``name`` (existing or not).
        """
        self[name]
        data_dir = _data_dir()
        out = [data_dir / name] if data_dir is not None else []
        return [*out, shipped_dir() / name, cache_dir() / name]

    def locate(self, name: str) -> Path | None:
        """Existing local copy of ``name`` (not verified, never downloaded), or None.

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.

        Returns
        -------
        Path or None
            The first existing candidate.
        """
        for cand in self.candidates(name):
            if cand.is_file():
                return cand
        return None

    def path(self, name: str, *, download: bool = True) -> Path:
        """Verified local path of ``name``, downloading it into the cache if needed.

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.
        download : bool
            Download a file found nowhere (default); False raises instead.

        Returns
        -------
        Path
            The local copy, its sha256 checked.

        Raises
        ------
        UnknownNameError
            ``name`` is not registered.
        ChecksumMismatchError
            The copy found (or downloaded) does not have the registered sha256.
        DataNotFoundError
            No local copy, and no URL, download disabled, or the download failed.
        """
        entry = self[name]
        found = self.locate(name)
        if found is not None:
            self._check(entry, found)
            return found
        target = cache_dir() / name
        if not download or not entry.url:
            raise self._not_found(entry, reason=None if entry.url else "no public URL")
        # folders this download creates: removed again if it fails (no empty cache folders)
        created = sorted(
            {*_new_dirs(target.parent), *_new_dirs(cache_dir() / _ARCHIVES)},
            key=lambda p: len(p.parts),
            reverse=True,
        )
        try:
            _download(entry, target)
        except OSError as exc:  # requests' errors subclass OSError
            _remove_empty(created)
            raise self._not_found(entry, reason=f"{type(exc).__name__}: {exc}") from exc
        except CevnsError:
            _remove_empty(created)
            raise
        self._check(entry, target)
        return target

    def fetch(self, name: str) -> Path:
        """Make sure a verified copy of ``name`` exists locally; return its path.

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.

        Returns
        -------
        Path
            The local copy, its sha256 checked.
        """
        return self.path(name, download=True)

    def verify(self, name: str | None = None) -> list[VerifyResult]:
        """Hash the local copies of ``name`` (or of every file) against the registry.

        Never downloads and never raises for a bad or missing file: see ``status``.

        Parameters
        ----------
        name : str, optional
            A registered path; default every registered file.

        Returns
        -------
        list of VerifyResult
            One per file: ``"ok"``, ``"mismatch"`` or ``"missing"``.
        """
        names = list(self) if name is None else [self[name].name]
        out: list[VerifyResult] = []
        for n in names:
            entry = self[n]
            found = self.locate(n)
            if found is None:
                out.append(VerifyResult(n, "missing", None, entry.sha256))
                continue
            actual = _sha256(found)
            status: Literal["ok", "mismatch"] = "ok" if actual == entry.sha256 else "mismatch"
            out.append(VerifyResult(n, status, found, entry.sha256, actual))
        return out

    def load_table(self, name: str, **kwargs: Any) -> NDArray[np.float64]:
        """Read a registered text table with :func:`numpy.loadtxt`.

        The registry's ``read`` hints for the file (delimiter, header lines to skip, ...)
        are applied first; ``kwargs`` override them. ``.bz2`` files are decompressed.

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.
        **kwargs
            :func:`numpy.loadtxt` options, over the registry's ``read`` hints.

        Returns
        -------
        ndarray of float
            The table.
        """
        entry = self[name]
        if name.endswith((".yaml", ".yml")):
            msg = f"{name!r} is a YAML file; use load_yaml({name!r})"
            raise InvalidConfigError(msg)
        options: dict[str, Any] = {"comments": "#", **dict(entry.read), **kwargs}
        file = self.path(name)
        try:
            return np.asarray(np.loadtxt(file, **options), dtype=np.float64)
        except ValueError as exc:
            msg = f"cannot read {name!r} ({file}) as a table with {options}: {exc}"
            raise InvalidConfigError(msg) from exc

    def load_yaml(self, name: str) -> dict[str, Any]:
        """Read a registered YAML file with PyYAML's safe loader (no object construction).

        Parameters
        ----------
        name : str
            Registered path, e.g. ``"dresden_ii/data_release.txt"``.

        Returns
        -------
        dict
            The document: nested dicts and lists.
        """
        import yaml

        file = self.path(name)  # checksum verified (and the file's hash kept per process)
        key = (str(file.resolve()), _sha256(file))
        doc = _YAML_DOCS.get(key)
        if doc is None:
            try:
                doc = yaml.safe_load(file.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                msg = f"cannot read {name!r} ({file}) as YAML: {exc}"
                raise InvalidConfigError(msg) from exc
            if not isinstance(doc, dict):
                kind = type(doc).__name__
                msg = f"{name!r} ({file}): expected a YAML mapping at the top, got {kind}"
                raise InvalidConfigError(msg)
            _YAML_DOCS[key] = doc
        return copy.deepcopy(doc)  # callers may change their copy; the parsed one stays

    # helpers
    def _check(self, entry: RegistryEntry, file: Path) -> None:
        actual = _sha256(file)
        if actual != entry.sha256:
            raise _mismatch(entry.name, file, entry.sha256, actual)

    def _not_found(self, entry: RegistryEntry, *, reason: str | None) -> DataNotFoundError:
        data_dir = _data_dir()
        if data_dir is None:
            looked = f"{DATA_DIR_ENV} is not set"
        else:
            exists = "" if data_dir.is_dir() else " (folder does not exist)"
            looked = f"not in {DATA_DIR_ENV}={data_dir}{exists}"
        cache = cache_dir() / entry.name
        if not entry.url:
            how = f"it has no public URL ({entry.note or 'see the registry'})"
        elif reason:
            how = f"downloading {entry.url} failed ({reason})"
        else:
            how = f"downloading is disabled (URL: {entry.url})"
        fetch_hint = f" or run `cevns data fetch {entry.name}` with internet access" * bool(
            entry.url
        )
        msg = (
            f"data file {entry.name!r} is missing: {looked}, not shipped with the package "
            f"({shipped_dir()}), not in the cache ({cache}), and "
            f"{how}. Provide it: set {DATA_DIR_ENV} to a folder containing {entry.name!r}"
            f"{fetch_hint}"
        )
        return DataNotFoundError(msg)


def _download(entry: RegistryEntry, target: Path) -> None:
    """Download ``entry`` into ``target`` with pooch (hash-checked by pooch as well)."""
    import pooch

    if not entry.archive_member:
        try:
            pooch.retrieve(
                entry.url,
                known_hash=f"sha256:{entry.sha256}",
                fname=target.name,
                path=target.parent,
                progressbar=False,
            )
        except ValueError as exc:  # pooch's hash check
            msg = f"download of {entry.name!r} from {entry.url} has the wrong checksum: {exc}"
            raise ChecksumMismatchError(msg) from exc
        return
    archive_dir = cache_dir() / _ARCHIVES
    archive_name = entry.url.rsplit("/", 1)[-1] or f"{entry.archive_sha256}.zip"
    try:
        archive = pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.archive_sha256}",
            fname=archive_name,
            path=archive_dir,
            progressbar=False,
        )
    except ValueError as exc:
        msg = f"download of the archive {entry.url} has the wrong checksum: {exc}"
        raise ChecksumMismatchError(msg) from exc
    with zipfile.ZipFile(archive) as zf:
        try:
            payload = zf.read(entry.archive_member)
        except KeyError as exc:
            msg = f"archive {entry.url} has no member {entry.archive_member!r}"
            raise DataNotFoundError(msg) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(payload)
    tmp.replace(target)


#: The shipped registry as last read: ((path, mtime_ns, size), Registry).
_REGISTRY_CACHE: list[Any] = [None, None]
_REGISTRY_LOCK = threading.Lock()


def _default_registry() -> Registry:
    """The shipped registry, parsed once per process and file version (a stat per call)."""
    file = _default_registry_file()
    try:
        st = file.stat()
        key: Any = (str(file), st.st_mtime_ns, st.st_size)
    except OSError:  # from_file says what is wrong
        return Registry.from_file(file)
    with _REGISTRY_LOCK:
        if _REGISTRY_CACHE[0] != key:
            _REGISTRY_CACHE[1] = Registry.from_file(file)
            _REGISTRY_CACHE[0] = key
        return _REGISTRY_CACHE[1]  # type: ignore[no-any-return]


def registry() -> Registry:
    """The registry shipped with cevns (read on first use, then cached).

    Returns
    -------
    Registry
        The shipped registry.

    Examples
    --------
    >>> len(registry()) > 50
    True
    """
    return _default_registry()


def list_files() -> list[str]:
    """Names of all registered files, sorted.

    Returns
    -------
    list of str
        Registered paths.

    Examples
    --------
    >>> "dresden_ii/QF_Fef_YBe.txt" in list_files()
    True
    """
    return list(registry())


def path(name: str) -> Path:
    """Verified local path of the registered file ``name`` (see the module notes).

    Parameters
    ----------
    name : str
        Registered path, e.g. ``"dresden_ii/data_release.txt"``.

    Returns
    -------
    Path
        The local copy, its sha256 checked.

    Examples
    --------
    >>> path("dresden_ii/QF_Fef_YBe.txt").name
    'QF_Fef_YBe.txt'
    """
    return registry().path(name)


def fetch(name: str) -> Path:
    """Make sure a verified local copy of ``name`` exists (downloading it); return its path.

    Parameters
    ----------
    name : str
        Registered path, e.g. ``"dresden_ii/data_release.txt"``.

    Returns
    -------
    Path
        The local copy, its sha256 checked.
    """
    return registry().fetch(name)


def verify(name: str | None = None) -> list[VerifyResult]:
    """Check the local copies of ``name`` (default: every registered file) against the registry.

    Parameters
    ----------
    name : str, optional
        A registered path; default every registered file.

    Returns
    -------
    list of VerifyResult
        One per file: ``"ok"``, ``"mismatch"`` or ``"missing"``.

    Examples
    --------
    >>> [r.status for r in verify("dresden_ii/data_release.txt")]
    ['ok']
    """
    return registry().verify(name)


def load_table(name: str, **kwargs: Any) -> NDArray[np.float64]:
    """Registered text table as a float array (:meth:`Registry.load_table`).

    Parameters
    ----------
    name : str
        Registered path, e.g. ``"dresden_ii/data_release.txt"``.
    **kwargs
        :func:`numpy.loadtxt` options, over the registry's ``read`` hints.

    Returns
    -------
    ndarray of float
        The table.

    Examples
    --------
    >>> load_table("coherent_csi_2017/data_coincidence_beamOff.txt").shape
    (600, 3)
    """
    return registry().load_table(name, **kwargs)


def load_yaml(name: str) -> dict[str, Any]:
    """Registered YAML parameter file as nested dicts/lists (:meth:`Registry.load_yaml`).

    Parameters
    ----------
    name : str
        Registered path, e.g. ``"dresden_ii/data_release.txt"``.

    Returns
    -------
    dict
        The document: nested dicts and lists.

    Examples
    --------
    >>> load_yaml("coherent_csi_2017/coherent_parameters.yaml")["distanceToTarget"]["value"]
    19.3
    """
    return registry().load_yaml(name)


# --- releases: whole data releases kept as a folder, verified file by file ----------------
@dataclass(frozen=True)
class Release:
    """A registered data release: a folder of many files listed in its ``MANIFEST.sha256``.

    Large releases (thousands of templates) are not registered file by file: the registry
    (``[releases."<name>"]``) pins the checksum of the release's manifest, the manifest
    (shipped with the package) pins every file. :func:`release` finds the folder;
    :meth:`path` verifies a file against the manifest when it is opened (lazily: only the
    files a computation reads are hashed); :func:`fetch_release` downloads the release.

    Attributes
    ----------
    name : str
        Registry key, also the folder name looked for (``xenonnt_8b_2026``).
    manifest_sha256 : str
        Checksum of ``MANIFEST.sha256`` (``<sha256>  ./relative/path`` lines).
    doi, licence, publication, description, upstream : str
        Provenance of the release.
    fetch_command : str
        A manual alternative to ``cevns data fetch NAME`` (``{folder}`` is replaced).
    archive_url : str
        One archive (zip or tar) holding the release, downloaded by :func:`fetch_release`;
        ``file://`` URLs name a local copy.
    archive_root : str
        Folder inside the archive that holds the release (``""``: the archive's top level).
    archive_sha256 : str
        Checksum of the archive, checked by pooch; ``""`` if it is not pinned (the files
        are then checked one by one against the manifest, which is pinned).
    archive_note : str
        Caveats of the archive (why its checksum is not pinned, where it comes from).
    root : Path or None
        The folder found (set by :func:`release`).
    """

    name: str
    manifest_sha256: str
    doi: str
    licence: str
    publication: str
    description: str
    upstream: str
    fetch_command: str
    root: Path | None = None
    archive_url: str = ""
    archive_root: str = ""
    archive_sha256: str = ""
    archive_note: str = ""

    @property
    def command(self) -> str:
        """The one command that puts the release in place."""
        return f"cevns data fetch {self.name}"

    def manifest(self) -> dict[str, str]:
        """Relative path -> sha256 of every file of the release (manifest verified).

        Returns
        -------
        dict of str to str
            The manifest's entries, paths without the leading ``./``.
        """
        if self.root is not None and (self.root / "MANIFEST.sha256").is_file():
            return _read_manifest(self.root / "MANIFEST.sha256", self)
        shipped = _shipped_manifest(self.name)
        if shipped.is_file():
            return _read_manifest(shipped, self)
        msg = (
            f"release {self.name!r} has no manifest: none in its folder ({self.root}) and "
            f"none shipped with the package ({shipped})"
        )
        raise DataNotFoundError(msg)

    def path(self, relative: str) -> Path:
        """Verified path of one file of the release (``"templates/sr0/ac/....h5"``).

        Parameters
        ----------
        relative : str
            Path inside the release, as listed in the manifest (a leading ``./`` is allowed).

        Returns
        -------
        Path
            The file, its sha256 checked against the manifest.

        Raises
        ------
        DataNotFoundError
            The file is not in the manifest, or is listed but absent.
        ChecksumMismatchError
            The file's sha256 differs from the manifest's.
        """
        if self.root is None:
            msg = f"release {self.name!r} has no folder; use cevns.data.store.release()"
            raise DataNotFoundError(msg)
        sums = self.manifest()
        rel = relative.removeprefix("./")
        if rel not in sums:
            msg = f"release {self.name!r} has no file {rel!r} in its manifest"
            raise DataNotFoundError(msg)
        file = self.root / rel
        if not file.is_file():
            raise self._missing(self.root, [rel], len(sums))
        actual = _sha256(file)
        if actual != sums[rel]:
            raise _release_mismatch(self, f"{self.name}/{rel}", file, sums[rel], actual)
        return file

    def derived_arrays(
        self, key: str, build: Callable[[], Mapping[str, NDArray[Any]]]
    ) -> dict[str, NDArray[Any]]:
        """Arrays computed from this release's files, kept on disk between processes.

        Reading thousands of templates costs seconds each time a process loads them; the
        arrays they give are the same as long as the release is. They are kept in
        ``<cache_dir>/derived/<name>/`` under a digest of the release's pinned manifest
        checksum (which pins every file) and ``key``, the caller's complete description of
        what it reads (files, grid, reader version). A kept file is used only when its
        recorded key is exactly ``key``; an unreadable one is computed again. If the cache
        cannot be written, the arrays are returned all the same and a warning says why.

        Parameters
        ----------
        key : str
            Everything that determines the arrays besides the release's files.
        build : callable
            ``() -> {name: array}``, reading the release (through :meth:`path`, so the
            files it reads are verified when the arrays are first computed).

        Returns
        -------
        dict of str to ndarray
            The arrays ``build`` gives (read back from the cache when it has them).
        """
        self.manifest()  # the pinned manifest, verified: the cache is keyed on it
        full = f"{self.name}\n{self.manifest_sha256}\n{key}"
        digest = hashlib.sha256(full.encode()).hexdigest()[:32]
        folder = cache_dir() / "derived" / self.name
        file = folder / f"{digest}.npz"
        if file.is_file():
            try:
                with np.load(file, allow_pickle=False) as z:
                    if str(z[_DERIVED_KEY][()]) == full:
                        return {k: z[k] for k in z.files if k != _DERIVED_KEY}
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass  # unreadable or truncated: computed again and replaced below
        arrays = {k: np.asarray(v) for k, v in build().items()}
        if _DERIVED_KEY in arrays:
            msg = f"derived arrays must not use the name {_DERIVED_KEY!r}"
            raise InvalidConfigError(msg)
        tmp = folder / f".{digest}.{os.getpid()}.tmp.npz"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            payload = {_DERIVED_KEY: np.array(full), **arrays}
            np.savez(tmp, **payload)  # type: ignore[arg-type]  # (numpy's stub: allow_pickle)
            os.replace(tmp, file)  # atomic: concurrent processes never read half a file
        except OSError as exc:
            with contextlib.suppress(OSError):  # the folder itself may be what failed
                tmp.unlink(missing_ok=True)
            warnings.warn(
                f"release {self.name!r}: arrays not kept in {folder} ({exc}); they are read "
                "from the release again in the next process",
                stacklevel=2,
            )
        return arrays

    def verify(self) -> list[VerifyResult]:
        """Hash every file of the release in :attr:`root` against the manifest.

        Never raises for a bad or missing file (see ``status``); names are
        ``"<release>/<relative path>"``.

        Returns
        -------
        list of VerifyResult
            One per file of the manifest, in the manifest's order.
        """
        sums = self.manifest()
        out: list[VerifyResult] = []
        for rel, expected in sums.items():
            name = f"{self.name}/{rel}"
            file = None if self.root is None else self.root / rel
            if file is None or not file.is_file():
                out.append(VerifyResult(name, "missing", None, expected))
                continue
            actual = _sha256(file)
            status: Literal["ok", "mismatch"] = "ok" if actual == expected else "mismatch"
            out.append(VerifyResult(name, status, file, expected, actual))
        return out

    def _missing(self, root: Path, missing: list[str], total: int) -> DataNotFoundError:
        msg = (
            f"data release {self.name!r} ({self.doi}, {self.licence}) is incomplete in "
            f"{root}: {len(missing)} of {total} files missing ({_list_missing(missing)}). "
            f"Fetch it: `{self.command}` (or by hand: "
            f"{self.fetch_command.format(folder=root)})"
        )
        return DataNotFoundError(msg)


#: Name of the key recorded inside a file of :meth:`Release.derived_arrays`.
_DERIVED_KEY = "__cevns_key__"
#: Up to this many missing files are named one by one in an error; beyond, per folder.
_NAMED_MISSING = 20


def _list_missing(missing: list[str]) -> str:
    """Every missing file: by name if they are few, else every folder with its count."""
    if len(missing) <= _NAMED_MISSING:
        return ", ".join(missing)
    folders: dict[str, int] = {}
    for rel in missing:
        folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else "./"
        folders[folder] = folders.get(folder, 0) + 1
    return "; ".join(f"{folder}: {n} files" for folder, n in folders.items())


_MANIFESTS: dict[tuple[str, str], dict[str, str]] = {}


def _shipped_manifest(name: str) -> Path:
    """The manifest of release ``name`` shipped with the package (may not exist)."""
    inside = importlib.resources.files("cevns").joinpath("_shipped").joinpath("releases")
    if inside.is_dir():
        return Path(str(inside)) / name / "MANIFEST.sha256"
    return Path(__file__).resolve().parents[3] / "data" / "releases" / name / "MANIFEST.sha256"


def _release_mismatch(
    rel: Release, what: str, file: Path, expected: str, actual: str
) -> ChecksumMismatchError:
    msg = (
        f"checksum mismatch for {what!r} of data release {rel.name!r} at {file}: expected "
        f"sha256 {expected}, got {actual}; the file is corrupt or a different version: "
        f"replace the release (`{rel.command}`)"
    )
    return ChecksumMismatchError(msg)


def _read_manifest(file: Path, rel: Release) -> dict[str, str]:
    actual = _sha256(file)
    if actual != rel.manifest_sha256:
        raise _release_mismatch(rel, "MANIFEST.sha256", file, rel.manifest_sha256, actual)
    key = (str(file.resolve()), actual)
    if key not in _MANIFESTS:
        sums = {}
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, listed = line.split(maxsplit=1)
                sums[listed.strip().removeprefix("./")] = digest
        _MANIFESTS[key] = sums
    return _MANIFESTS[key]


_RELEASE_FIELDS = ("manifest_sha256", "doi", "licence", "publication", "description")
_RELEASE_OPTIONAL = ("upstream", "archive_url", "archive_root", "archive_sha256", "archive_note")


def _release_table(registry_file: Path | None) -> tuple[Path, dict[str, Any]]:
    file = _default_registry_file() if registry_file is None else Path(registry_file)
    try:
        with file.open("rb") as fh:
            return file, dict(tomllib.load(fh).get("releases", {}))
    except FileNotFoundError as exc:
        msg = f"data registry {file} does not exist"
        raise DataNotFoundError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"data registry {file} is not valid TOML: {exc}"
        raise InvalidConfigError(msg) from exc


def release_names(*, registry_file: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the registered data releases, sorted.

    Parameters
    ----------
    registry_file : path, optional
        Another registry TOML (tests); default the shipped one.

    Returns
    -------
    list of str
        The ``[releases."<name>"]`` keys.

    Examples
    --------
    >>> release_names()
    ['xenonnt_8b_2026']
    """
    return sorted(_release_table(None if registry_file is None else Path(registry_file))[1])


def _release_entry(name: str, registry_file: Path | None = None) -> Release:
    file, raw = _release_table(registry_file)
    if name not in raw:
        raise unknown_name("data release", name, raw)
    entry = raw[name]
    missing = [k for k in (*_RELEASE_FIELDS, "fetch_command") if not entry.get(k)]
    if missing:
        msg = f"data registry {file}: release {name!r} lacks {missing}"
        raise InvalidConfigError(msg)
    unknown = set(entry) - {*_RELEASE_FIELDS, *_RELEASE_OPTIONAL, "fetch_command"}
    if unknown:
        msg = f"data registry {file}: release {name!r} has unknown keys {sorted(unknown)}"
        raise InvalidConfigError(msg)
    for key in ("manifest_sha256", "archive_sha256"):
        value = str(entry.get(key, ""))
        if (key == "manifest_sha256" or value) and not _SHA256.match(value):
            msg = (
                f"data registry {file}: release {name!r} {key} must be 64 lower-case hex "
                f"digits, got {value!r}"
            )
            raise InvalidConfigError(msg)
    return Release(
        name,
        str(entry["manifest_sha256"]),
        str(entry["doi"]),
        str(entry["licence"]),
        str(entry["publication"]),
        str(entry["description"]),
        str(entry.get("upstream", "")),
        str(entry["fetch_command"]),
        archive_url=str(entry.get("archive_url", "")),
        archive_root=str(entry.get("archive_root", "")),
        archive_sha256=str(entry.get("archive_sha256", "")),
        archive_note=str(entry.get("archive_note", "")),
    )


def _release_folders(name: str) -> list[Path]:
    data_dir = _data_dir()
    return [*([data_dir / name] if data_dir is not None else []), cache_dir() / name]


def locate_release(name: str, *, registry_file: str | os.PathLike[str] | None = None) -> Release:
    """The registered release ``name`` with the folder it would be read from, if any.

    Unlike :func:`release`, nothing is checked: :attr:`Release.root` is the first existing
    folder of ``$CEVNS_DATA_DIR/<name>`` and ``<cache>/<name>``, or None.

    Parameters
    ----------
    name : str
        Registry key (``"xenonnt_8b_2026"``).
    registry_file : path, optional
        Another registry TOML (tests); default the shipped one.

    Returns
    -------
    Release
        Its provenance fields from the registry and the folder found (or None).
    """
    entry = _release_entry(name, None if registry_file is None else Path(registry_file))
    root = next((f for f in _release_folders(name) if f.is_dir()), None)
    return Release(**{**entry.__dict__, "root": root})


def release(name: str, *, registry_file: str | os.PathLike[str] | None = None) -> Release:
    """Find a registered data release (a folder ``<name>/``) and check that it is complete.

    The folder is looked for in ``$CEVNS_DATA_DIR`` and in the cache (:func:`cache_dir`);
    the first one that exists is used. Its manifest (its own ``MANIFEST.sha256``, else the
    one shipped with the package) is verified, and every listed file must exist (checksums
    are verified when a file is opened, :meth:`Release.path`).

    Parameters
    ----------
    name : str
        Registry key (``"xenonnt_8b_2026"``).
    registry_file : path, optional
        Another registry TOML (tests); default the shipped one.

    Returns
    -------
    Release
        The release with :attr:`Release.root` set.

    Raises
    ------
    DataNotFoundError
        ONE error naming the release, the folder(s) looked in, every missing file (by
        name, or per folder if there are many) and the command that fetches the release.
    """
    entry = _release_entry(name, None if registry_file is None else Path(registry_file))
    folders = _release_folders(name)
    for root in folders:
        if (root / "MANIFEST.sha256").is_file() or root.is_dir():
            found = Release(**{**entry.__dict__, "root": root})
            sums = found.manifest()
            missing = [rel for rel in sums if not (root / rel).is_file()]
            if missing:
                raise found._missing(root, missing, len(sums))
            return found
    raise _release_absent(entry, folders)


def _release_absent(entry: Release, folders: list[Path], failure: str = "") -> DataNotFoundError:
    looked = " and ".join(str(f) for f in folders)
    env = "" if _data_dir() is not None else f" ({DATA_DIR_ENV} is not set)"
    try:
        total = f"all {len(entry.manifest())} files of its manifest are missing"
    except DataNotFoundError:
        total = "all of its files are missing"
    by_hand = (
        f"by hand: {entry.fetch_command.format(folder=folders[-1])}, or set {DATA_DIR_ENV} to "
        f"a folder holding a copy of {entry.name}/"
    )
    head = f"data release {entry.name!r} ({entry.doi}, {entry.licence})"
    if failure:
        msg = (
            f"{head} could not be fetched: {failure}. Retry with network access, or put it in "
            f"place {by_hand}"
        )
    else:
        msg = (
            f"{head} is missing: no folder {looked}{env}; {total}. Fetch it: "
            f"`{entry.command}` (or {by_hand})"
        )
    return DataNotFoundError(msg)


def _new_dirs(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    out = []
    for p in (folder, *folder.parents):
        if p.exists():
            break
        out.append(p)
    return out


def _remove_empty(dirs: list[Path]) -> None:
    """Remove the folders of ``dirs`` (deepest first) that are empty; keep the others."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:  # not empty, or already gone
            continue


def _file_url_downloader(url: str, output_file: str, pooch: Any, check_only: bool = False) -> Any:
    """A pooch downloader for ``file://`` URLs (a release archive on a local disk)."""
    import shutil
    import urllib.parse
    import urllib.request

    source = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    if check_only:
        return source.is_file()
    shutil.copyfile(source, output_file)
    return None


def fetch_release(
    name: str,
    *,
    registry_file: str | os.PathLike[str] | None = None,
    progressbar: bool = False,
) -> Release:
    """Make sure a complete, verified copy of the release ``name`` exists; download it if not.

    A copy found by :func:`release` whose every file has its manifest checksum is used as
    is. Otherwise the release's archive (``archive_url``: one zip or tar file, checked by
    pooch against ``archive_sha256`` when the registry pins it) is downloaded into a
    temporary folder of the cache and unpacked by pooch; every file of the manifest is
    checked under ``archive_root``, and only then is the folder moved to
    ``<cache>/<name>/`` (with the manifest). A failed fetch leaves the cache as it was: no
    partial release, no archive, no empty folder.

    Parameters
    ----------
    name : str
        Registry key (``"xenonnt_8b_2026"``).
    registry_file : path, optional
        Another registry TOML (tests); default the shipped one.
    progressbar : bool
        Show pooch's download progress bar.

    Returns
    -------
    Release
        The release with :attr:`Release.root` set.

    Raises
    ------
    DataNotFoundError
        The download failed (no network), the archive lacks files of the manifest (all
        listed), or an incomplete copy in ``$CEVNS_DATA_DIR`` would hide the fetched one.
    ChecksumMismatchError
        The archive, or a file in it, does not have the registered checksum.
    """
    import shutil
    import tempfile

    import pooch

    entry = _release_entry(name, None if registry_file is None else Path(registry_file))
    try:
        found = release(name, registry_file=registry_file)
    except DataNotFoundError:
        found = None
    if found is not None:
        bad = [r for r in found.verify() if r.status != "ok"]
        if not bad:
            return found
        if found.root != cache_dir() / name:
            msg = (
                f"data release {name!r} in {found.root} has {len(bad)} corrupt files (first: "
                f"{bad[0].name}); it is found before the cache, so a fetched copy would not "
                f"be used: repair or remove it, or unset {DATA_DIR_ENV}"
            )
            raise ChecksumMismatchError(msg)
    data_dir = _data_dir()
    if data_dir is not None and (data_dir / name).is_dir():
        msg = (
            f"data release {name!r} in {data_dir / name} is incomplete; it is found before "
            f"the cache, so a fetched copy would not be used: complete or remove it, or unset "
            f"{DATA_DIR_ENV}"
        )
        raise DataNotFoundError(msg)
    if not entry.archive_url:
        raise _release_absent(entry, _release_folders(name), "the registry has no archive_url")
    sums = entry.manifest()  # the shipped manifest, verified: before any download

    cache = cache_dir()
    created = _new_dirs(cache / _STAGING)
    staging: Path | None = None
    try:
        (cache / _STAGING).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=cache / _STAGING))
        url = entry.archive_url
        fname = url.split("?", 1)[0].rsplit("/", 1)[-1] or f"{name}.zip"
        unpack = pooch.Unzip if fname.endswith(".zip") else pooch.Untar
        downloader = _file_url_downloader if url.startswith("file://") else None
        known = f"sha256:{entry.archive_sha256}" if entry.archive_sha256 else None
        try:
            pooch.retrieve(
                url,
                known_hash=known,
                fname=fname,
                path=staging,
                processor=unpack(extract_dir="unpacked"),
                downloader=downloader,
                progressbar=progressbar,
            )
        except ValueError as exc:  # pooch's hash check
            msg = f"the archive of data release {name!r} ({url}) has the wrong checksum: {exc}"
            raise ChecksumMismatchError(msg) from exc
        except OSError as exc:  # no network, no such file (requests' errors are OSErrors)
            why = f"downloading {url} failed ({type(exc).__name__}: {exc})"
            raise _release_absent(entry, _release_folders(name), why) from exc
        root = staging / "unpacked" / entry.archive_root
        unpacked = Release(**{**entry.__dict__, "root": root})
        results = unpacked.verify()
        missing = [r.name.removeprefix(f"{name}/") for r in results if r.status == "missing"]
        if missing:
            msg = (
                f"the archive of data release {name!r} ({url}) lacks {len(missing)} of "
                f"{len(sums)} files of the manifest under {entry.archive_root or 'its top'!r}: "
                f"{', '.join(missing)}"
            )
            raise DataNotFoundError(msg)
        bad = [r for r in results if r.status == "mismatch"]
        if bad:
            msg = (
                f"the archive of data release {name!r} ({url}) holds {len(bad)} files whose "
                f"sha256 differs from the manifest: "
                + ", ".join(f"{r.name} (expected {r.expected}, got {r.actual})" for r in bad)
            )
            raise ChecksumMismatchError(msg)
        shutil.copyfile(_shipped_manifest(name), root / "MANIFEST.sha256")
        target = cache / name
        if target.exists():  # an incomplete or corrupt copy from before: replaced
            target.rename(staging / "previous")
        root.rename(target)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        _remove_empty([cache / _STAGING, *created])
    return release(name, registry_file=registry_file)
