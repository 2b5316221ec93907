"""`Component.from_function`: a kind declared once, as the function Python users call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import pytest
from pydantic import Field, ValidationError

from cevns.config import Component
from cevns.core.exceptions import InvalidConfigError


def make_detector(
    mass_kg: Annotated[float, Field(gt=0)],
    quenching: Literal["fef", "ybe"] = "fef",
    n_nodes: int = 1500,
    bin_edges: np.ndarray | None = None,
) -> dict[str, Any]:
    """A stand-in detector builder.

    Parameters
    ----------
    mass_kg : float
        Mass.
    quenching : {"fef", "ybe"}
        Curve.
    n_nodes : int
        Nodes.
    bin_edges : array, optional
        Only for Python callers.
    """
    return {"mass_kg": mass_kg, "quenching": quenching, "n_nodes": n_nodes, "edges": bin_edges}


def make_background(dataset: Any, name: str = "bkg") -> tuple[Any, str]:
    """A stand-in background builder (the dataset comes from the loader)."""
    return dataset, name


def test_options_are_the_signature() -> None:
    comp = Component.from_function("detector", "toy", make_detector, exclude=("bin_edges",))
    assert list(comp.options.model_fields) == ["mass_kg", "quenching", "n_nodes"]
    assert comp.options.model_fields["mass_kg"].is_required()
    assert comp.description == "A stand-in detector builder."
    opts = comp.options.model_validate({"mass_kg": 2.5, "quenching": "ybe"})
    assert comp.builder(opts) == {
        "mass_kg": 2.5,
        "quenching": "ybe",
        "n_nodes": 1500,
        "edges": None,
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mass_kg": -1.0}, "mass_kg"),  # the Annotated constraint
        ({"mass_kg": 1.0, "quenching": "lindhard"}, "quenching"),  # not in the Literal
        ({"mass_kg": 1.0, "n_nodes": "many"}, "n_nodes"),
        ({}, "mass_kg"),  # required
        ({"mass_kg": 1.0, "bin_edges": [0, 1]}, "bin_edges"),  # excluded: not an option
        ({"mass_kg": float("nan")}, "mass_kg"),  # NaN refused like every ComponentOptions
    ],
)
def test_bad_options_name_the_field(raw: dict[str, Any], field: str) -> None:
    comp = Component.from_function("detector", "toy", make_detector, exclude=("bin_edges",))
    with pytest.raises(ValidationError, match=field):
        comp.options.model_validate(raw)


def test_background_receives_the_dataset() -> None:
    comp = Component.from_function("background", "toy", make_background)
    assert list(comp.options.model_fields) == ["name"]
    assert comp.builder(comp.options.model_validate({"name": "b"}), dataset="D") == ("D", "b")


def test_declaration_errors() -> None:
    def no_hint(x=1):  # type: ignore[no-untyped-def]
        return x

    def star(**kw: float) -> None:
        return None

    with pytest.raises(InvalidConfigError, match="'x' has no type hint"):
        Component.from_function("detector", "toy", no_hint)
    with pytest.raises(InvalidConfigError, match="cannot be options"):
        Component.from_function("detector", "toy", star)
    with pytest.raises(InvalidConfigError, match="needs a default"):
        Component.from_function("detector", "toy", make_detector, exclude=("mass_kg",))
    with pytest.raises(InvalidConfigError, match="exclude names no parameter"):
        Component.from_function("detector", "toy", make_detector, exclude=("edges",))


def test_an_unresolvable_hint_elsewhere_does_not_block() -> None:
    """An excluded parameter's hint that only a type checker sees (TYPE_CHECKING import)."""
    ns: dict[str, Any] = {}
    src = (
        "from __future__ import annotations\n"
        "def build(mass_kg: float = 1.0, edges: OnlyForTypeCheckers | None = None):\n"
        "    return mass_kg\n"
    )
    exec(compile(src, "<test>", "exec"), ns)  # a module whose hint names an absent type
    comp = Component.from_function("detector", "toy", ns["build"], exclude=("edges",))
    assert comp.builder(comp.options.model_validate({"mass_kg": 2.0})) == 2.0
    with pytest.raises(InvalidConfigError, match="cannot be resolved"):
        Component.from_function("detector", "toy", ns["build"])
