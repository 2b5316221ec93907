"""Published-versus-reproduced summaries (``summary.json``, ``summary.md``, validation page)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cevns.reproduce.registry import Published, published

__all__ = ["Quantity", "Summary", "write_validation_page"]


def __dir__() -> list[str]:
    return __all__


@dataclass(frozen=True)
class Quantity:
    """One compared quantity: ``published`` and ``reproduced`` share a value convention.

    Parameters
    ----------
    id : str
        Quantity id within the analysis.
    source : str
        Where the published value comes from (``"this work"`` if there is none).
    published : object
        The published value (None if there is none).
    reproduced : object
        The value computed by cevns.
    unit : str
        Unit of both values.
    note : str
        Caveats.
    """

    id: str
    source: str
    published: Any
    reproduced: Any
    unit: str = ""
    note: str = ""

    @classmethod
    def of(cls, analysis: str, qid: str, reproduced: Any, note: str = "") -> Quantity:
        """Pair a reproduced value with its registered published value.

        Parameters
        ----------
        analysis : str
            Analysis name.
        qid : str
            Quantity id, registered in :data:`cevns.reproduce.registry.PUBLISHED`.
        reproduced : object
            The value computed by cevns.
        note : str
            Caveats, appended to the registry's note.

        Returns
        -------
        Quantity
            The pair with the registered source and unit.
        """
        p: Published = published(analysis, qid)
        text = "; ".join(t for t in (p.note, note) if t)
        return cls(qid, p.source, p.value, _clean(reproduced), p.unit, text)

    @property
    def difference(self) -> str:
        """Human-readable difference (relative for numbers, per edge for intervals)."""
        return _difference(self.published, self.reproduced)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "source": self.source,
            "published": self.published,
            "reproduced": self.reproduced,
            "unit": self.unit,
            "difference": self.difference,
            "note": self.note,
        }


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else None


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, dict):
        return f"{_fmt(v.get('best'))} [{_fmt(v.get('lo'))}, {_fmt(v.get('hi'))}]"
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return " U ".join(_fmt(s) for s in v)
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _difference(pub: Any, rep: Any) -> str:
    if rep is None:
        return "not reproduced"
    if pub is None:
        return "-"
    if isinstance(pub, int | float) and isinstance(rep, int | float):
        if pub == 0:
            return f"{rep - pub:+.3g}"
        return f"{(rep - pub) / abs(pub) * 100:+.1f}%"
    if isinstance(pub, dict) and isinstance(rep, dict):
        return "best " + _difference(pub.get("best"), rep.get("best"))
    if isinstance(pub, list) and isinstance(rep, list):
        flat_p = [x for s in pub for x in (s if isinstance(s, list) else [s])]
        flat_r = [x for s in rep for x in (s if isinstance(s, list) else [s])]
        if len(flat_p) != len(flat_r):
            return f"{len(pub)} vs {len(rep)} segments"
        return "edges " + ", ".join(f"{r - p:+.3g}" for p, r in zip(flat_p, flat_r, strict=True))
    return "-"


@dataclass
class Summary:
    """The quantities and plots of one analysis.

    Parameters
    ----------
    analysis : str
        Analysis name (the folder written into).
    title : str
        Title of the analysis in the summary and the validation page.
    quantities : list of Quantity
        The compared quantities.
    plots : list of str
        File names of the figures written.
    notes : list of str
        Remarks printed under the table.
    runtime_s : float, optional
        Wall time of the analysis [s].
    """

    analysis: str
    title: str
    quantities: list[Quantity] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runtime_s: float | None = None

    def add(self, qid: str, reproduced: Any, note: str = "") -> Quantity:
        """Record a reproduced value against its published one.

        Parameters
        ----------
        qid : str
            Quantity id, registered in :data:`cevns.reproduce.registry.PUBLISHED`.
        reproduced : object
            The value computed by cevns.
        note : str
            Caveats.

        Returns
        -------
        Quantity
            The recorded quantity.
        """
        q = Quantity.of(self.analysis, qid, reproduced, note)
        self.quantities.append(q)
        return q

    def add_result(self, qid: str, value: Any, unit: str = "", note: str = "") -> Quantity:
        """Record a result of this framework that has no published counterpart.

        Parameters
        ----------
        qid : str
            Quantity id.
        value : object
            The value computed by cevns.
        unit : str
            Its unit.
        note : str
            Caveats.

        Returns
        -------
        Quantity
            The recorded quantity (source ``"this work"``).
        """
        q = Quantity(qid, "this work", None, _clean(value), unit, note)
        self.quantities.append(q)
        return q

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        return {
            "analysis": self.analysis,
            "title": self.title,
            "quantities": [q.to_dict() for q in self.quantities],
            "plots": self.plots,
            "notes": self.notes,
            "runtime_s": self.runtime_s,
        }

    def markdown(self) -> str:
        """The content of ``summary.md``."""
        lines = [
            f"## {self.title} (`{self.analysis}`)",
            "",
            "| quantity | source | published | reproduced | difference | note |",
            "|---|---|---|---|---|---|",
        ]
        for q in self.quantities:
            unit = f" {q.unit}" if q.unit else ""
            pub, rep = _fmt(q.published) + unit, _fmt(q.reproduced) + unit
            lines.append(f"| `{q.id}` | {q.source} | {pub} | {rep} | {q.difference} | {q.note} |")
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        if self.plots:
            lines += ["", "Plots: " + ", ".join(f"`{p}`" for p in self.plots)]
        if self.runtime_s is not None:
            lines += ["", f"Runtime: {self.runtime_s:.1f} s"]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path) -> Path:
        """Write ``summary.json`` and ``summary.md`` into ``out_dir/<analysis>``.

        Parameters
        ----------
        out_dir : str or Path
            Output folder; the files go into its subfolder named after the analysis.

        Returns
        -------
        Path
            The folder written.
        """
        d = Path(out_dir) / self.analysis
        d.mkdir(parents=True, exist_ok=True)
        (d / "summary.json").write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        (d / "summary.md").write_text(self.markdown())
        return d


def write_validation_page(summaries: list[Summary], path: str | Path) -> Path:
    """Generate ``docs/validation.md`` from the summaries (never typed by hand).

    Parameters
    ----------
    summaries : list of Summary
        One per analysis, in page order.
    path : str or Path
        The Markdown file to write (its folder is created).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = [
        "# Validation: published versus reproduced",
        "",
        "Generated by `cevns reproduce all`; do not edit by hand. Every number comes from the",
        "same public API users call, on the registered public data.",
        "",
    ]
    body = [s.markdown() for s in summaries]
    path.write_text("\n".join(head) + "\n".join(body))
    return path
