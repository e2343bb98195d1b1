"""Small HTML tables of results for Jupyter: a title, facts, columns and rows.

A cell with zone counts (``rated``, ``shares()``) is drawn as a stacked zone bar; every value
is autoescaped. Results build these in their ``_repr_html_``; the full report has its own
templates in ``icmaps.render``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from icmaps._templates import render

__all__ = ["Row", "Segment", "bar", "html_table"]

ZONES = ("ideal", "acceptable", "unacceptable")


class _Shares(Protocol):
    def shares(self) -> tuple[float, float, float]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Segment:
    """One zone's part of a stacked bar, in SVG user units."""

    zone: str
    x: float
    width: float
    share: float


def bar(d: _Shares, width: float = 160.0) -> tuple[Segment, ...]:
    """Segments of a stacked ideal / acceptable / unacceptable bar, in SVG user units.

    >>> class D:
    ...     def shares(self): return (0.5, 0.25, 0.25)
    >>> [(s.zone, s.x, s.width) for s in bar(D(), 100)]
    [('ideal', 0.0, 50.0), ('acceptable', 50.0, 25.0), ('unacceptable', 75.0, 25.0)]
    """
    out = []
    x = 0.0
    for zone, share in zip(ZONES, d.shares(), strict=True):
        w = round(width * share, 2)
        if w > 0:
            out.append(Segment(zone, round(x, 2), w, share))
        x += w
    return tuple(out)


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """One table row; ``roll`` rows (groups, totals) are shown in bold."""

    cells: tuple[object, ...]
    roll: bool = False


def html_table(
    title: str,
    facts: Sequence[tuple[str, object]],
    columns: Sequence[str] = (),
    rows: Sequence[Row] = (),
    limit: int = 60,
) -> str:
    return render(
        "table.html.j2",
        title=title,
        facts=facts,
        columns=columns,
        rows=rows[:limit],
        more=max(0, len(rows) - limit),
        bar=bar,
    )
