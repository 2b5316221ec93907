"""Root pytest configuration: also applies to the doctests in src/.

The public data files are not in the repository; the tests read them from the shared
folder next to the checkout unless CEVNS_DATA_DIR is set (see data/README.md).
"""

import os
from pathlib import Path

os.environ.setdefault(
    "CEVNS_DATA_DIR", str(Path(__file__).resolve().parent.parent / "shared" / "data")
)
os.environ.setdefault("MPLBACKEND", "Agg")
