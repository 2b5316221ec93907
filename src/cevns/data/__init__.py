"""Public data files: the registry (checksums, provenance), the cache and the readers."""

from cevns.data.store import (
    Registry,
    RegistryEntry,
    cache_dir,
    fetch,
    fetch_release,
    list_files,
    load_table,
    load_yaml,
    path,
    registry,
    release,
)

__all__ = [
    "Registry",
    "RegistryEntry",
    "cache_dir",
    "fetch",
    "fetch_release",
    "list_files",
    "load_table",
    "load_yaml",
    "path",
    "registry",
    "release",
]
