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


def pytest_configure(config):
    """One BLAS thread per test process (as the command line): no oversubscription under -n 2."""
    from cevns.cli.app import one_blas_thread

    one_blas_thread()
