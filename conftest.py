"""Root pytest configuration: also applies to the doctests in src/.

The small public datasets ship with the package (data/files). The large releases are not
in the repository: the tests read them from the shared folder next to the checkout when
it exists and CEVNS_DATA_DIR is not set (see data/README.md).
"""

import os
from pathlib import Path

_SHARED = Path(__file__).resolve().parent.parent / "shared" / "data"
if _SHARED.is_dir():
    os.environ.setdefault("CEVNS_DATA_DIR", str(_SHARED))
os.environ.setdefault("MPLBACKEND", "Agg")


def _hypothesis_without_database():
    """Hypothesis keeps no example database and stores nothing in the tree (.hypothesis/)."""
    import tempfile

    os.environ.setdefault(
        "HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="cevns-hypothesis-")
    )
    try:
        from hypothesis import settings
    except ImportError:  # pragma: no cover - hypothesis is a test dependency
        return
    settings.register_profile("cevns", database=None)
    settings.load_profile("cevns")


_hypothesis_without_database()


def pytest_configure(config):
    """One BLAS thread per test process (as the command line): no oversubscription under -n 2."""
    from cevns.cli.app import one_blas_thread

    one_blas_thread()
