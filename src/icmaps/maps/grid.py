"""The IC grid of a map as data, and its HTML and Markdown renderings.

Components are rows and variations columns, in the order the map is written (a desired-last map
reads ascending, left to right). The solid line (edge of the ideal zone) is a thick vertical
border and the dashed line (edge of the acceptable zone) a dashed one; cells are tinted by zone,
group headings (kind and title) nest, critical components are marked and empty cells stay empty.
It lives with the map because a map shows itself this way (``Map._repr_html_``); the report
draws the same grid as a heatmap.

>>> from icmaps import load_map
>>> html = map_html(load_map("learning-school"), role="principal")
>>> html.startswith('<div class="icm">') and "solid" in html
True
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from icmaps._tabular import fmt_share
from icmaps._templates import _mix, render
from icmaps.maps.zones import Zone, line_between

if TYPE_CHECKING:
    from icmaps.maps.model import Component, Map, Variation

__all__ = ["Line", "map_html", "map_markdown", "markdown_escape"]

Line = Literal["", "solid", "dashed"]


# -- the grid as data ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Cell:
    code: str
    label: str
    zone: Zone
    text: str
    line: Line  # the line drawn on this cell's right edge
    count: int | None = None
    share: float | None = None
    background: str | None = None  # an rgb() value computed here, never from input

    @property
    def percent(self) -> str:
        return fmt_share(self.share)


@dataclasses.dataclass(frozen=True, slots=True)
class _GroupRow:
    depth: int
    kind: str
    title: str
    id: str
    description: str
    guidance: tuple[tuple[str, tuple[str, ...]], ...] = ()
    is_group: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class _ComponentRow:
    depth: int
    component: Component
    cells: tuple[_Cell, ...]
    pad: int  # empty columns after the cells (ragged rows)
    own_labels: bool  # the row's scale differs from the header's: label each cell
    rated: int | None = None
    na: int = 0
    missing: int = 0
    is_group: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class _Grid:
    map: Map
    header: tuple[_Cell, ...]
    columns: int
    rows: tuple[_GroupRow | _ComponentRow, ...]
    heat: bool


def _lines(cells: Sequence[Variation | _Cell]) -> list[Line]:
    """The line after each cell (:func:`icmaps.model.line_between`; none after the last)."""
    out: list[Line] = [line_between(a.zone, b.zone) or "" for a, b in itertools.pairwise(cells)]
    return [*out, ""]


def _header(m: Map) -> tuple[_Cell, ...]:
    levels = list(m.scale.levels)  # as written
    lines = _lines([_Cell(lv.code, lv.label, lv.zone, "", "") for lv in levels])
    return tuple(
        _Cell(lv.code, lv.label, lv.zone, lv.description, line)
        for lv, line in zip(levels, lines, strict=True)
    )


def _component_row(
    m: Map,
    c: Component,
    *,
    depth: int,
    columns: int,
    counts: Mapping[str, Sequence[int]] | None,
    extra: Mapping[str, tuple[int, int]] | None,
) -> _ComponentRow:
    scale = m.scale_of(c.id)
    desired = m.variations_of(c.id)
    per_level = list(counts.get(c.id, ())) if counts is not None else []
    per_level += [0] * (len(desired) - len(per_level))
    rated = sum(per_level) if counts is not None else None
    cells: list[_Cell] = []
    written = m.written_order(c.id)
    lines = _lines(written)
    for v, line in zip(written, lines, strict=True):
        if counts is None:
            cells.append(_Cell(v.code, v.label, v.zone, v.text, line))
            continue
        n = per_level[v.index]
        share = n / rated if rated else None
        strength = 0.0 if not share else 0.15 + 0.6 * share
        cells.append(_Cell(v.code, v.label, v.zone, v.text, line, n, share, _mix(v.zone, strength)))
    na, missing = extra.get(c.id, (0, 0)) if extra is not None else (0, 0)
    return _ComponentRow(
        depth=depth,
        component=c,
        cells=tuple(cells),
        pad=max(0, columns - len(cells)),
        own_labels=scale != m.scale,
        rated=rated,
        na=na,
        missing=missing,
    )


def _grid(
    m: Map,
    counts: Mapping[str, Sequence[int]] | None = None,
    extra: Mapping[str, tuple[int, int]] | None = None,
) -> _Grid:
    """The map as rows for the grid template.

    ``counts`` maps a component id to its number of ratings per *desired-first* level index
    (turns the grid into a heatmap); ``extra`` maps it to ``(n N/A, n missing)``.
    """
    comps = m.all_components()
    columns = max([len(m.scale.levels), *(len(m.variations_of(c.id)) for c in comps)])
    rows: list[_GroupRow | _ComponentRow] = []

    for node in m.outline():
        if node.kind == "component":
            c = m.component(node.id)
            rows.append(
                _component_row(m, c, depth=node.depth, columns=columns, counts=counts, extra=extra)
            )
        else:
            g = m.group(node.id)
            guidance = tuple((h, tuple(lines)) for h, lines in g.guidance())
            rows.append(_GroupRow(node.depth, g.kind, g.title, g.id, g.description, guidance))
    return _Grid(m, _header(m), columns, tuple(rows), counts is not None)


# -- public renderings -----------------------------------------------------------------------


def map_html(m: Map, *, role: str | None = None, standalone: bool = False) -> str:
    """The map as an HTML IC grid: a ``<div class="icm">`` fragment with its own scoped style
    (what Jupyter shows for a :class:`~icmaps.model.Map`), or a whole page with ``standalone``.

    >>> from icmaps import load_map
    >>> page = map_html(load_map("teaching-framework"), standalone=True)
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    if role is not None:
        m = m.for_role(role)
    return render("map.html.j2", grid=_grid(m), standalone=standalone)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
_MD_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


def markdown_escape(text: str, *, block: bool = False) -> str:
    """Text made inert in Markdown and in the HTML that Markdown lets through: ``& < >`` as
    entities, inline markup characters backslash-escaped, newlines as spaces. With ``block``
    (text that starts a line) a leading list, heading or rule marker is escaped too.

    >>> print(markdown_escape("<b>1 | 2</b> & *x*"))
    &lt;b&gt;1 \\| 2&lt;/b&gt; &amp; \\*x\\*
    >>> print(markdown_escape("- not a list", block=True), markdown_escape("1. one", block=True))
    \\- not a list 1\\. one
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if block:
        m = _MD_BLOCK_START.match(text)
        if m and m.group(1)[0].isdigit():
            return text[: m.end()] + "\\" + text[m.end() :]
        if m:
            return "\\" + text
    return text


def map_markdown(m: Map, *, role: str | None = None) -> str:
    """The map as Markdown: a heading per group and a table per group of components, columns
    in written order; ``‖`` marks the solid line and ``┊`` the dashed line in the header.

    >>> from icmaps import load_map
    >>> print(map_markdown(load_map("pbis-tfi")).splitlines()[0])  # doctest: +ELLIPSIS
    # ...
    """
    if role is not None:
        m = m.for_role(role)
    grid = _grid(m)
    out = [f"# {markdown_escape(m.title)}", ""]
    meta = f"`{m.id}` v{markdown_escape(m.version)}"
    if role is not None:
        meta += f" · role: {markdown_escape(m.role(role).label)}"
    out += [meta, ""]
    if m.description:
        out += [markdown_escape(m.description, block=True), ""]
    out += [
        "‖ solid line: edge of the ideal zone · ┊ dashed line: edge of the acceptable zone · "
        "★ critical component",
        "",
    ]
    pending: list[_ComponentRow] = []

    def flush() -> None:
        if not pending:
            return
        out.extend(_markdown_table(grid, pending))
        out.append("")
        pending.clear()

    for row in grid.rows:
        if isinstance(row, _GroupRow):
            flush()
            level = "#" * min(6, row.depth + 2)
            kind = f"{markdown_escape(row.kind.capitalize())}: " if row.kind else ""
            out += [f"{level} {kind}{markdown_escape(row.title)}", ""]
        else:
            pending.append(row)
    flush()
    return "\n".join(out).rstrip() + "\n"


def _markdown_table(grid: _Grid, rows: Sequence[_ComponentRow]) -> list[str]:
    mark = {"solid": " ‖", "dashed": " ┊", "": ""}
    head = ["Component"]
    head += [
        f"{markdown_escape(h.code)} {markdown_escape(h.label)}{mark[h.line]}" for h in grid.header
    ]
    head += [""] * (grid.columns - len(grid.header))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        c = r.component
        title = f"**{markdown_escape(c.title)}** `{c.id}`" + (" ★" if c.critical else "")
        cells = []
        for cell in r.cells:
            text = markdown_escape(cell.text)
            if r.own_labels:
                text = f"*{markdown_escape(cell.code)} {markdown_escape(cell.label)}* {text}"
            if cell.count is not None:
                text += f" **{cell.count} ({cell.percent})**"
            cells.append(text.strip())
        cells += [""] * r.pad
        lines.append("| " + " | ".join([title, *cells]) + " |")
    return lines
