"""Results as one neutral table, and the renderers that show it.

Every result (a summary, a comparison, a fidelity result, ...) gives its figures as a
:class:`Table`: a title, facts, typed columns and rows of plain data. Shares stay 0-1 in the
data; the renderers format them for people (``67%``). :class:`TableResult` is the mixin that
gives a result ``to_records``, ``to_csv``, ``to_pandas``, ``__str__`` and ``_repr_html_`` from
its ``to_table()``: one implementation for all of them.

Renderers are chosen by name (:data:`RENDERERS`, :func:`render_table`): ``text`` (aligned,
shares as %), ``csv`` (raw data: shares 0-1), ``json``, ``html`` (autoescaped, a zone-count
cell drawn as a stacked zone bar) and ``markdown``.

>>> t = Table("Demo", (Column("id"), Column("n", "int"), Column("share_ideal", "share", "% ideal")),
...           (("a", 4, 0.25), ("b", 2, None)))
>>> print(render_table(t, "text"))
id  n  % ideal
--  -  -------
a   4    25.0%
b   2
>>> print(render_table(t, "csv"), end="")
id,n,share_ideal
a,4,0.25
b,2,
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, get_args

from icmaps._tabular import Record, Scalar, fmt_num, records_csv, records_frame, text_table
from icmaps._templates import render

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

__all__ = [
    "KINDS",
    "RENDERERS",
    "Column",
    "Kind",
    "Row",
    "Segment",
    "Table",
    "TableResult",
    "bar",
    "html_table",
    "render_table",
]

ZONES = ("ideal", "acceptable", "unacceptable")

Kind = Literal["text", "int", "float", "bool", "share", "change", "zones"]
"""What a column holds: ``share`` is a 0-1 share (shown as %), ``change`` a difference of two
shares (shown in percentage points), ``zones`` a zone-count cell (anything with ``ideal``,
``acceptable``, ``unacceptable``, ``rated`` and ``shares()``), drawn as a stacked bar in HTML
(and left out of text and Markdown)."""

KINDS: tuple[str, ...] = get_args(Kind)
_NUMERIC = frozenset({"int", "float", "share", "change"})


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
    *,
    right: Sequence[int] = (),
) -> str:
    """A small HTML table (autoescaped) of already chosen cells; columns at the positions in
    ``right`` are right-aligned (numbers are anyway)."""
    return render(
        "table.html.j2",
        title=title,
        facts=facts,
        columns=columns,
        rows=rows[:limit],
        more=max(0, len(rows) - limit),
        bar=bar,
        right=tuple(right),
    )


# -- the neutral table ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """One column: its data ``name`` (CSV header, record key), its :data:`Kind` and how people
    see it: ``label`` (header; the name when empty), ``digits`` (decimals of a ``float``),
    ``show`` (in text and HTML; ``"html"``: in HTML only), ``data`` (in records, CSV and
    pandas) and ``indent`` (the cell is indented by the row's depth)."""

    name: str
    kind: Kind = "text"
    label: str = ""
    digits: int = 2
    show: bool | Literal["html"] = True
    data: bool = True
    indent: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"column {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}"
            )

    @property
    def header(self) -> str:
        """What people see above the column."""
        return self.label or self.name


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """A result's figures: ``title``, ``facts`` (name, value), typed ``columns`` and
    ``rows`` of plain values (shares 0-1).

    ``roll`` flags roll-up rows (groups, totals: bold in HTML) and ``depth`` indents the
    ``indent`` column, both per row (empty: none). ``note`` is a sentence shown above the
    text table, ``footer`` one shown below; ``more`` are further tables shown after this one
    in text and HTML (their data are not in this table's records).
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    facts: tuple[tuple[str, object], ...] = ()
    roll: tuple[bool, ...] = ()
    depth: tuple[int, ...] = ()
    note: str = ""
    footer: str = ""
    more: tuple[Table, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"table {self.title!r}: row {i} has {len(row)} cells, not {width}")
        for name in ("roll", "depth"):
            n = len(getattr(self, name))
            if n and n != len(self.rows):
                raise ValueError(
                    f"table {self.title!r}: {n} {name} flags for {len(self.rows)} rows"
                )

    def names(self) -> tuple[str, ...]:
        """The data columns' names (records, CSV and pandas)."""
        return tuple(c.name for c in self.columns if c.data)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def records(self) -> list[Record]:
        """The data columns of every row as a flat dict."""
        keep = [i for i, c in enumerate(self.columns) if c.data]
        names = self.names()
        return [dict(zip(names, (_scalar(row[i]) for i in keep), strict=True)) for row in self.rows]

    def to_dict(self) -> dict[str, object]:
        """Plain data: title, facts, columns with their kinds, and the records."""
        return {
            "title": self.title,
            "facts": {k: _scalar(v) for k, v in self.facts},
            "columns": [{"name": c.name, "kind": c.kind} for c in self.columns if c.data],
            "rows": self.records(),
        }


def _scalar(v: object) -> Scalar:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


# -- renderers --------------------------------------------------------------------------------


def _text_cell(c: Column, v: object) -> str:
    if v is None:
        return ""
    if c.kind == "share" and isinstance(v, int | float):
        return f"{100 * v:.1f}%"
    if c.kind == "change" and isinstance(v, int | float):
        return f"{100 * v:+.1f} pp"
    if c.kind == "float" and isinstance(v, int | float):
        return fmt_num(float(v), c.digits)
    return str(v)


def _text_columns(t: Table) -> list[tuple[int, Column]]:
    """The columns shown as text: a zone bar is drawn in HTML only."""
    return [(i, c) for i, c in enumerate(t.columns) if c.show is True and c.kind != "zones"]


def _grid(t: Table, width: int | None = None) -> str:
    cols = _text_columns(t)
    rows = []
    for r, row in enumerate(t.rows):
        depth = t.depth[r] if t.depth else 0
        rows.append([("  " * depth if c.indent else "") + _text_cell(c, row[i]) for i, c in cols])
    headers = [c.header for _, c in cols]
    right = [c.header for _, c in cols if c.kind in _NUMERIC]
    return text_table(headers, rows, right=right, width=width)


def table_text(t: Table, width: int | None = None) -> str:
    """The table as aligned text: the note, the columns shown (not when every column is
    data-only, nor for no rows under a note), the footer, then ``more``. With ``width``
    (a terminal's columns), long text wraps in its column and sentences at the width."""

    def para(text: str) -> str:
        if width is None or len(text) <= width:
            return text
        return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))

    parts = [para(t.note)] if t.note else []
    if _text_columns(t) and (t.rows or not t.note):
        parts.append(_grid(t, width))
    if t.footer:
        parts.append(para(t.footer))
    for sub in t.more:
        text = table_text(sub, width)
        parts.append(f"{sub.title}:\n{text}" if sub.title else text)
    return "\n\n".join(parts)


def table_csv(t: Table, *, raw: bool = False) -> str:
    """CSV text of the data columns (header first; shares 0-1; ``None`` an empty cell; text a
    spreadsheet would run as a formula prefixed with ``'`` unless ``raw``)."""
    return records_csv(t.records(), t.names(), raw=raw)


def table_json(t: Table) -> str:
    """JSON text of :meth:`Table.to_dict`."""
    return json.dumps(t.to_dict(), indent=2, ensure_ascii=False) + "\n"


def table_frame(t: Table) -> pandas.DataFrame:
    """A pandas DataFrame of the data columns (pandas is an optional extra)."""
    return records_frame(t.records(), t.names())


def _html_cell(c: Column, v: object) -> object:
    if c.kind == "zones":
        return v
    if v is None:
        return "–" if c.kind in ("share", "change") else None
    if c.kind == "share" and isinstance(v, int | float):
        return f"{100 * v:.0f}%"
    if c.kind == "change" and isinstance(v, int | float):
        return f"{round(100 * v):+d} pp"
    if c.kind == "float" and isinstance(v, float):
        return round(v, c.digits)
    return v


def table_html(t: Table, limit: int = 200) -> str:
    """The table (and ``more``) as autoescaped HTML with the look of ``table.html.j2``."""
    cols = [(i, c) for i, c in enumerate(t.columns) if c.show]
    rows = []
    for r, row in enumerate(t.rows):
        depth = t.depth[r] if t.depth else 0
        cells: list[object] = []
        for i, c in cols:
            cell = _html_cell(c, row[i])
            if c.indent and depth:
                cell = "\u2003" * depth + ("" if cell is None else str(cell))
            cells.append(cell)
        rows.append(Row(tuple(cells), roll=bool(t.roll and t.roll[r])))
    facts = list(t.facts)
    if t.note and not facts:
        facts = [("", t.note)]
    right = [j for j, (_, c) in enumerate(cols) if c.kind in _NUMERIC]
    out = html_table(t.title, facts, [c.header for _, c in cols], rows, limit=limit, right=right)
    return out + "".join(table_html(sub, limit) for sub in t.more)


def _md_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def table_markdown(t: Table) -> str:
    """The table as a GitHub-flavoured Markdown table (cells escaped), shares as %."""
    cols = _text_columns(t)
    lines = [f"**{_md_escape(t.title)}**", ""] if t.title else []
    if t.facts:
        lines += [" · ".join(f"{_md_escape(k)} **{_md_escape(str(v))}**" for k, v in t.facts), ""]
    if cols:
        lines.append("| " + " | ".join(_md_escape(c.header) for _, c in cols) + " |")
        lines.append("|" + "|".join("---:" if c.kind in _NUMERIC else "---" for _, c in cols) + "|")
        for row in t.rows:
            cells = (_md_escape(_text_cell(c, row[i])) for i, c in cols)
            lines.append("| " + " | ".join(cells) + " |")
    out = "\n".join(lines) + "\n"
    return out + "".join("\n" + table_markdown(sub) for sub in t.more)


RENDERERS: dict[str, Callable[[Table], str]] = {
    "text": table_text,
    "csv": table_csv,
    "json": table_json,
    "html": table_html,
    "markdown": table_markdown,
}
"""The renderers of a :class:`Table`, by name."""


def render_table(t: Table, name: str) -> str:
    """``t`` rendered by the renderer called ``name`` (see :data:`RENDERERS`)."""
    try:
        fn = RENDERERS[name]
    except KeyError:
        raise ValueError(f"no renderer {name!r} (choose from {', '.join(RENDERERS)})") from None
    return fn(t)


# -- the mixin ----------------------------------------------------------------------------------


class TableResult:
    """What every result shares: subclasses implement :meth:`to_table` (and, when they hold
    more than the table, :meth:`to_dict`); records, CSV, pandas, text and HTML come from the
    table."""

    __slots__ = ()

    def to_table(self) -> Table:
        """The result's figures as one neutral :class:`Table` (shares 0-1)."""
        raise NotImplementedError

    def columns(self) -> tuple[str, ...]:
        """The names of the data columns (:meth:`to_records`, :meth:`to_csv`)."""
        return self.to_table().names()

    def to_records(self) -> list[Record]:
        """One flat dict per row of :meth:`to_table` (shares 0-1)."""
        return self.to_table().records()

    def to_dict(self) -> dict[str, object]:
        """Plain, JSON-safe data (by default the table's title, facts, columns and rows)."""
        return self.to_table().to_dict()

    def to_csv(self, *, raw: bool = False) -> str:
        """CSV text of :meth:`to_records` (header first; shares 0-1). Text that a spreadsheet
        would run as a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with ``'``
        unless ``raw``."""
        return table_csv(self.to_table(), raw=raw)

    def to_pandas(self) -> pandas.DataFrame:
        """:meth:`to_records` as a DataFrame (needs pandas)."""
        return table_frame(self.to_table())

    def to_text(self, width: int | None = None) -> str:
        """The result as aligned text (``str()``); with ``width``, long text wraps to fit
        lines of that many characters (``icmaps`` passes the terminal's width)."""
        return table_text(self.to_table(), width)

    def render(self, name: str) -> str:
        """The result rendered by name: ``text``, ``csv``, ``json``, ``html`` or ``markdown``."""
        return render_table(self.to_table(), name)

    def __str__(self) -> str:
        return table_text(self.to_table())

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter (needs jinja2)."""
        return table_html(self.to_table())
