"""HTML and Markdown renderings of IC maps: the grid a person reads on paper, in a browser.

Components are rows and variations columns, in the order the map is written (a desired-last map
reads ascending, left to right). The solid line (edge of the ideal zone) is a thick vertical
border and the dashed line (edge of the acceptable zone) a dashed one; cells are tinted by zone,
group headings (kind and title) nest, critical components are marked and empty cells stay empty.

Every piece of map text is untrusted: templates are rendered by Jinja2 with autoescaping always
on, and map text is only ever *data* for a template, never template source. jinja2 is the
optional ``report`` extra and is imported on first use.

>>> from icmaps import load_map
>>> html = map_html(load_map("learning-school"), role="principal")
>>> html.startswith('<div class="icm">') and "solid" in html
True
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from icmaps._optional import require
from icmaps._tabular import fmt_num, fmt_pct, fmt_share, pp_change
from icmaps.maps.model import Component, Group, Map, Variation, Zone, line_between
from icmaps.ratings.columns import LEVEL_MISSING, LEVEL_NA

if TYPE_CHECKING:
    from jinja2 import Environment

    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.fidelity import FidelityResult
    from icmaps.stats.growth import Comparison
    from icmaps.stats.reliability import AgreementReport
    from icmaps.stats.summary import Summary

__all__ = [
    "agreement_html",
    "comparison_html",
    "environment",
    "fidelity_html",
    "map_html",
    "map_markdown",
    "markdown_escape",
    "ratings_html",
    "render",
    "summary_html",
]

Line = Literal["", "solid", "dashed"]

# (faint tint of the map, strong colour the heatmap mixes in), per zone
_ZONE_RGB: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "ideal": ((232, 245, 233), (46, 139, 87)),
    "acceptable": ((255, 247, 219), (230, 166, 0)),
    "unacceptable": ((252, 235, 233), (200, 80, 70)),
}


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


def _mix(zone: str, strength: float) -> str:
    """rgb() between the zone's faint tint (0) and its strong colour (1)."""
    faint, strong = _ZONE_RGB[zone]
    r, g, b = (round(f + (s - f) * strength) for f, s in zip(faint, strong, strict=True))
    return f"rgb({r}, {g}, {b})"


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

    def walk(cs: Sequence[Component], gs: Sequence[Group], depth: int) -> None:
        for c in cs:
            rows.append(
                _component_row(m, c, depth=depth, columns=columns, counts=counts, extra=extra)
            )
        for g in gs:
            rows.append(_GroupRow(depth, g.kind, g.title, g.id, g.description))
            walk(g.components, g.groups, depth + 1)

    walk(m.components, m.groups, 0)
    return _Grid(m, _header(m), columns, tuple(rows), counts is not None)


# -- Jinja2 ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of icmaps' templates: autoescaping on for every template.

    >>> environment().autoescape  # doctest: +ELLIPSIS
    <function select_autoescape.<locals>.autoescape at ...>
    >>> environment().from_string("{{ x }}").render(x="<b>")
    '&lt;b&gt;'
    """
    require("jinja2", "HTML output needs jinja2", extra="report")
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("icmaps.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = fmt_share  # a share (0-1) as "67%"
    env.filters["percent"] = fmt_pct  # a percentage (0-100)
    env.filters["num"] = fmt_num
    env.globals["pp_change"] = pp_change
    env.globals["zone_colour"] = _mix
    return env


def render(template: str, /, **context: object) -> str:
    """Render one of icmaps' templates (``templates/<template>``) with autoescaping.

    >>> from icmaps import load_map
    >>> "<table" in render("map.html.j2", grid=_grid(load_map("pbis-tfi")), standalone=False)
    True
    """
    return environment().get_template(template).render(**context)


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


# -- Jupyter tables of result objects ----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Row:
    cells: tuple[object, ...]
    roll: bool = False


def _table(
    title: str,
    facts: Sequence[tuple[str, object]],
    columns: Sequence[str] = (),
    rows: Sequence[_Row] = (),
    limit: int = 60,
) -> str:
    from icmaps.reporting import _bar

    return render(
        "table.html.j2",
        title=title,
        facts=facts,
        columns=columns,
        rows=rows[:limit],
        more=max(0, len(rows) - limit),
        bar=_bar,
    )


def ratings_html(ratings: RatingSet, *, first: int = 5) -> str:
    """A RatingSet as a small HTML table (what Jupyter shows): counts of rows, subjects,
    raters, occasions and components, % missing and % N/A, and the first rows.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "subjects" in ratings_html(rs)
    True
    """
    levels = ratings.levels()
    n = len(ratings)
    missing = sum(1 for lv in levels if lv == LEVEL_MISSING)
    na = sum(1 for lv in levels if lv == LEVEL_NA)
    facts: list[tuple[str, object]] = [
        ("map", f"{ratings.map.id} v{ratings.map.version}"),
        ("rows", n),
        ("subjects", len(ratings.categories("subject"))),
        ("raters", len(ratings.categories("rater"))),
        ("occasions", len(ratings.categories("occasion"))),
        ("components", len(ratings.categories("component"))),
        ("missing", fmt_pct(100 * missing / n if n else None, unit="%", none="–")),
        ("N/A", fmt_pct(100 * na / n if n else None, unit="%", none="–")),
    ]
    names = ["subject", "rater", "occasion", "component", "role", "code", *ratings.attributes]
    if not ratings.has_roles():
        names.remove("role")
    rows = []
    for i, r in enumerate(ratings):
        if i >= first:
            break
        record: dict[str, str | None] = {"subject": r.subject, "rater": r.rater}
        record |= {"occasion": r.occasion, "component": r.component}
        record |= {"role": r.role, "code": r.code}
        rows.append(_Row(tuple([record.get(k, r.attrs.get(k)) for k in names])))
    return _table("RatingSet", facts, names, rows)


def summary_html(summary: Summary) -> str:
    """An :class:`~icmaps.aggregate.Summary` as an HTML table with zone bars per row.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "% ideal" in summary_html(icmaps.summarize(rs))
    True
    """
    from icmaps.reporting import Distribution

    by = list(summary.by)
    columns = [*by, "row", "n", "zones", "% ideal", "% ideal or acc.", "N/A", "missing", "mean"]
    rows = []
    for r in summary.rows:
        d = Distribution(r.n_ideal, r.n_acceptable, r.n_unacceptable, r.na, r.missing)
        label = r.title or r.id
        if r.scope != "component" and r.kind:
            label = f"{r.kind}: {label}"
        label = "\u2003" * r.depth + label
        mean = None if r.mean_score is None else round(r.mean_score, 2)
        cells: tuple[object, ...] = (
            *r.key,
            label,
            r.n,
            d,
            fmt_pct(r.pct_ideal, 0, unit="%", none="–"),
        )
        cells += (fmt_pct(r.pct_ideal_or_acceptable, 0, unit="%", none="–"), r.na, r.missing, mean)
        rows.append(_Row(cells, roll=r.scope != "component"))
    facts = [
        ("map", summary.map.id),
        ("by", ", ".join(by) or "–"),
        ("ratings", summary.tally.total),
    ]
    return _table("Summary", facts, columns, rows, limit=200)


def fidelity_html(result: FidelityResult) -> str:
    """A :class:`~icmaps.aggregate.FidelityResult` as HTML: the rule, groups and units.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "fidelity" in fidelity_html(icmaps.fidelity(rs))
    True
    """
    rule = f"{result.basis} index ≥ {result.threshold:g}"
    if result.critical:
        rule += ", critical components gate"
    facts: list[tuple[str, object]] = [("map", result.map_id), ("rule", rule)]
    for g in result.groups:
        label = " / ".join(str(k) for k in g.key) or "all"
        share = fmt_pct(g.pct_meeting, 0, unit="%", none="–")
        facts.append((label, f"{g.meeting} of {g.rated} meet ({share})"))
    columns = [*result.unit_columns, "index", "rated", "status", "critical failed"]
    rows = [
        _Row(
            (
                *u.key,
                None if u.index is None else round(u.index, 3),
                u.rated,
                u.status,
                ", ".join(u.critical_failed),
            )
        )
        for u in result.units
    ]
    return _table("Fidelity", facts, columns, rows, limit=200)


def comparison_html(comparison: Comparison) -> str:
    """A :class:`~icmaps.compare.Comparison` as HTML: moves per component.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "toward" in comparison_html(icmaps.compare(rs))
    True
    """
    facts: list[tuple[str, object]] = [
        ("map", comparison.map_id),
        (comparison.by, f"{comparison.base} → {comparison.other}"),
        ("moved toward", comparison.toward),
        ("unchanged", comparison.unchanged),
        ("moved away", comparison.away),
    ]
    columns = ["component", "n", "toward ▲", "unchanged", "away ▼", "% ideal before", "after"]
    columns.append("change")
    rows = []
    for c in comparison.components:
        change = fmt_pct(c.change_pct_ideal, 0, unit=" pp", sign=True) or None
        cells = (
            c.title,
            c.n,
            c.toward,
            c.unchanged,
            c.away,
            fmt_pct(c.pct_ideal_base, 0, unit="%", none="–"),
        )
        rows.append(_Row((*cells, fmt_pct(c.pct_ideal_other, 0, unit="%", none="–"), change)))
    return _table("Comparison", facts, columns, rows, limit=200)


def agreement_html(report: AgreementReport) -> str:
    """An :class:`~icmaps.agreement.AgreementReport` as an HTML table: one row per component
    or group with the coefficient, units, raters, pairs and the reason when undefined.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "alpha" in agreement_html(icmaps.agreement(rs, by="component")).lower()
    True
    """
    overall = report.overall
    facts: list[tuple[str, object]] = [
        ("method", report.label),
        ("overall", fmt_num(overall.value, 3, "–")),
        ("units", overall.n_units),
        ("raters", overall.n_raters),
    ]
    columns = ["id", "title", "value", "units", "raters", "pairs", "note"]
    rows = [
        _Row(
            (
                row.id,
                row.title,
                fmt_num(row.result.value, 3, "–"),
                row.result.n_units,
                row.result.n_raters,
                row.result.n_pairs,
                row.result.reason or "",
            ),
            roll=row.scope != "component",
        )
        for row in report.rows
    ]
    return _table("Agreement", facts, columns, rows)
