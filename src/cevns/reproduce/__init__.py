"""Reproduction of the seed papers' headline results (``cevns reproduce``).

Each analysis is a function ``run(out_dir) -> Summary`` in its own module, built only on
the public API; published numbers live in :mod:`cevns.reproduce.registry`.
"""

from __future__ import annotations

from cevns.reproduce.registry import PUBLISHED, Published, published
from cevns.reproduce.summary import Quantity, Summary, write_validation_page

__all__ = ["PUBLISHED", "Published", "Quantity", "Summary", "published", "write_validation_page"]


def __dir__() -> list[str]:
    return __all__
