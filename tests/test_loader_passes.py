"""What the loader passes to a background builder besides its options (cevns.config.loader).

The dataset always; the experiment's detector only to a builder whose signature names a
``detector`` keyword (a builder made by ``Component.from_function`` takes ``**extra`` and
gets the dataset only, as before).
"""

from __future__ import annotations

from typing import Any

import pytest

from cevns.config import Component, loader
from cevns.config.loader import ComponentSection


def plain(dataset: Any, name: str = "b") -> tuple[Any, str]:
    """A background builder that takes the dataset only."""
    return dataset, name


_PLAIN = Component.from_function("background", "plain", plain)


def _wants_detector(options: Any, *, dataset: Any, detector: Any) -> tuple[Any, Any]:
    return dataset, detector


WANTS = Component("background", "wants", _PLAIN.options, _wants_detector)


def test_detector_only_to_a_builder_that_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "kinds", lambda section: {"plain": _PLAIN, "wants": WANTS})

    def build(kind: str) -> Any:
        cfg = ComponentSection.model_validate({"kind": kind, "name": "x"})
        return loader._build_component(
            "backgrounds", cfg, "f.toml", "backgrounds.0", dataset="D", detector="DET"
        )

    assert build("plain") == ("D", "x")  # from_function: **extra, the dataset only
    assert build("wants") == ("D", "DET")
