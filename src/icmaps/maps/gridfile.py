"""Maps authored in a spreadsheet: the grid districts draft in, read into a map and written
from one (``.xlsx`` with openpyxl, the ``excel`` extra, or ``.csv``).

The layout, top to bottom (one sheet; the same cells in a CSV file)::

    icmap grid | 1                         <- marks the layout
    id         | learning-school           <- the map's fields, one a row: text as it is,
    version    | 1.0.0                        the rest (source, roles, special codes,
    title      | Learning school              scales, fidelity ...) as JSON
    roles      | [{"id": "teacher", ...}]
                                           <- a blank row
    row | depth | id | title | Ideal | solid line | Developing | dashed line | ... | roles |
        critical | weight | scale | kind | description | details
    code  |  |  |  | 1     |  | 2     |  | ...   <- the default scale under its level labels,
    zone  |  |  |  | ideal |  | acceptable | ...     in the order the map writes them, the
    score |  |  |  | 3     |  | 2     |  | ...      solid and dashed lines as marker columns
    group     | 0 | adult-learning | Adult learning | ...            | kind, description
    component | 1 | al-teacher-routine | Teachers ... | variation texts | roles, critical ...

A component row belongs to the group row above it one level up (``depth``); depth 0
components sit outside every group. Variation cells run from the first level column as the
map writes them (an own, shorter scale leaves the rest empty). ``details`` holds, as JSON,
what else a row carries (look-fors, examples, data sources ...). ``zone`` may be left out:
zones then follow the markers (ideal before the solid line, acceptable up to the dashed one,
unacceptable after it).

:func:`read_grid` checks the layout (problems placed at ``file:Sheet!C5``, or line and column
in a CSV file) and the map it builds as any map file is checked, each problem placed at the
cell it comes from. :func:`grid_rows` and :func:`write_grid` make the grid of a map; reading
it back gives an equal map.

>>> from icmaps.maps.codec import load_map
>>> m = load_map("learning-school")
>>> rows = grid_rows(m)
>>> rows[0], rows[1]
(['icmap grid', '1'], ['id', 'learning-school'])
>>> grid_map(rows, path="g.csv") == m
True
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from icmaps._optional import require
from icmaps.errors import MapValidationError, Problem, UsageError
from icmaps.maps.model import Map
from icmaps.maps.zones import line_between

__all__ = ["grid_map", "grid_rows", "read_grid", "write_grid"]

MARK = "icmap grid"
TEXT_KEYS = ("id", "version", "title", "description", "license", "direction")
"""Map fields written as plain text; every other field is JSON."""
LINES = {"solid line": "solid", "dashed line": "dashed"}
TAIL = ("roles", "critical", "weight", "scale", "kind", "description", "details")
ROW_FIELDS = ("id", "title", *TAIL)
SHEET = "Map"
_FILL = {"ideal": "E8F5E9", "acceptable": "FFF7DB", "unacceptable": "FCEBE9"}


# -- writing --------------------------------------------------------------------------------


def _num(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def grid_rows(m: Map) -> list[list[str]]:
    """The map as the rows of cells of its grid (see the module docstring)."""
    from icmaps.maps.codec import _plain

    data = _plain(m)
    rows: list[list[str]] = [[MARK, "1"]]
    scale = data["scale"]
    for key, value in data.items():
        if key in ("icmap", "groups", "components", "scale"):
            continue
        rows.append([key, value if key in TEXT_KEYS else json.dumps(value, ensure_ascii=False)])
    if scale.get("direction"):
        rows.append(["direction", scale["direction"]])
    if scale.get("special"):
        rows.append(["special", json.dumps(scale["special"], ensure_ascii=False)])
    levels = scale["levels"]
    described = [lv.get("description", "") for lv in levels]
    if any(described):
        rows.append(["level descriptions", json.dumps(described, ensure_ascii=False)])
    width = max([len(levels), *(len(c.variations) for c in m.iter_components())])
    # the level columns, with a marker column where the paper map draws a line
    columns: list[int | str] = []
    for k in range(width):
        columns.append(k)
        if k + 1 < len(levels):
            line = line_between(levels[k]["zone"], levels[k + 1]["zone"])
            if line:
                columns.append(f"{line} line")

    def level_cells(values: Sequence[str]) -> list[str]:
        return [values[c] if isinstance(c, int) and c < len(values) else "" for c in columns]

    labels = [lv["label"] for lv in levels] + [
        f"(level {k + 1})" for k in range(len(levels), width)
    ]
    rows.append([])
    rows.append(
        ["row", "depth", "id", "title"]
        + [labels[c] if isinstance(c, int) else c for c in columns]
        + list(TAIL)
    )
    for name, values in (
        ("code", [lv["code"] for lv in levels]),
        ("zone", [lv["zone"] for lv in levels]),
        ("score", [_num(lv.get("score")) for lv in levels]),
    ):
        rows.append([name, "", "", "", *level_cells(values)])

    def tail(item: dict[str, Any], *, group: bool) -> list[str]:
        rest = {
            k: v
            for k, v in item.items()
            if k not in (*ROW_FIELDS, "variations", "groups", "components")
        }
        scale_cell = item.get("scale", "")
        return [
            ", ".join(item.get("roles", [])),
            "yes" if item.get("critical") else "",
            _num(item.get("weight")),
            scale_cell
            if isinstance(scale_cell, str)
            else json.dumps(scale_cell, ensure_ascii=False),
            item.get("kind", "") if group else "",
            item.get("description", ""),
            json.dumps(rest, ensure_ascii=False) if rest else "",
        ]

    def component(c: dict[str, Any], depth: int) -> None:
        rows.append(
            [
                "component",
                str(depth),
                c["id"],
                c["title"],
                *level_cells(c["variations"]),
                *tail(c, group=False),
            ]
        )

    def group(g: dict[str, Any], depth: int) -> None:
        rows.append(
            ["group", str(depth), g["id"], g["title"], *[""] * len(columns), *tail(g, group=True)]
        )
        for c in g.get("components", []):
            component(c, depth + 1)
        for sub in g.get("groups", []):
            group(sub, depth + 1)

    for c in data.get("components", []):
        component(c, 0)
    for g in data.get("groups", []):
        group(g, 0)
    return rows


def write_grid(m: Map, path: str | os.PathLike[str]) -> None:
    """Write the map's grid to ``.xlsx`` (needs openpyxl) or ``.csv``, atomically.

    >>> import tempfile
    >>> from icmaps.maps.codec import load_map
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_grid(load_map("pbis-tfi"), os.path.join(d, "g.csv"))
    ...     read_grid(os.path.join(d, "g.csv")).id
    'pbis-tfi'
    """
    from icmaps._io import atomic_write

    suffix = Path(path).suffix.lower()
    rows = grid_rows(m)
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\n").writerows(rows)
        atomic_write(path, buf.getvalue())
    elif suffix == ".xlsx":
        atomic_write(path, _workbook(rows))
    else:
        raise UsageError(
            f"{os.fspath(path)}: cannot write a grid as {suffix or 'a file without suffix'!r}; "
            "give a name ending in .csv or .xlsx"
        )


def _workbook(rows: list[list[str]]) -> bytes:
    openpyxl = require("openpyxl", "Excel workbooks need openpyxl", extra="excel")
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    for row in rows:
        ws.append(row)
    header = next(i for i, r in enumerate(rows, 1) if r[:1] == ["row"])
    zones = rows[header + 1] if rows[header + 1][:1] == ["zone"] else []
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[header]:
        cell.font = bold
    for j, name in enumerate(rows[header - 1], 1):
        letter = openpyxl.utils.get_column_letter(j)
        if name in LINES:
            ws.column_dimensions[letter].width = 3
            for (cell,) in ws.iter_rows(min_row=header, min_col=j, max_col=j):
                cell.fill = PatternFill(
                    "solid", fgColor="24292F" if name == "solid line" else "8C959F"
                )
            ws.cell(header, j).font = Font(bold=True, color="FFFFFF")
            ws.cell(header, j).alignment = Alignment(text_rotation=90)
            continue
        zone = zones[j - 1] if j - 1 < len(zones) else ""
        ws.column_dimensions[letter].width = (
            40 if zone else (28 if name in ("title", "details") else 12)
        )
        for (cell,) in ws.iter_rows(min_row=header + 1, min_col=j, max_col=j):
            cell.alignment = wrap
            if zone in _FILL and cell.row > header + 3:
                cell.fill = PatternFill("solid", fgColor=_FILL[zone])
    for r, row in enumerate(rows, 1):
        if row[:1] == ["group"]:
            for cell in ws[r]:
                cell.font = bold
    ws.freeze_panes = ws.cell(header + 1, 5).coordinate
    for row in ws.iter_rows():  # text starting with "=" stays text, never a formula
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- reading --------------------------------------------------------------------------------


class _Grid:
    """Rows being read into a map document, with the cell each part came from."""

    def __init__(
        self, rows: Sequence[tuple[int, Sequence[str]]], path: str, sheet: str | None
    ) -> None:
        self.rows, self.path, self.sheet = rows, path, sheet
        self.problems: list[Problem] = []
        self.where: dict[str, tuple[int, int | None]] = {}  # JSON pointer -> (row, column)

    def problem(self, row: int | None, column: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, row, column, message, sheet=self.sheet))

    def json_cell(self, row: int, column: int, text: str, what: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            self.problem(
                row, column, f"{what}: expected JSON here ({e.msg} at character {e.pos + 1})"
            )
            return None


def grid_map(
    rows: Sequence[Sequence[str]],
    *,
    path: str = "<grid>",
    sheet: str | None = None,
    lines: Sequence[int] | None = None,
) -> Map:
    """The map a grid's rows of cells describe (``lines``: each row's line or sheet row,
    default 1, 2, ...). Raises :class:`~icmaps.errors.MapValidationError` with every
    problem, each at its cell."""
    numbers = list(lines) if lines is not None else list(range(1, len(rows) + 1))
    numbered = [(n, [str(c) for c in r]) for n, r in zip(numbers, rows, strict=True)]
    g = _Grid(numbered, path, sheet)
    doc = _document(g)
    if g.problems:
        raise MapValidationError(g.problems)
    from icmaps.maps.codec import loads_map

    try:
        return loads_map(json.dumps(doc), path=path, format="json")
    except MapValidationError as e:
        raise MapValidationError([_placed(g, p) for p in e.problems]) from None


def _placed(g: _Grid, p: Problem) -> Problem:
    """A problem of the map document placed at the grid's cell its pointer came from."""
    pointer = p.pointer
    while pointer and pointer not in g.where:
        pointer = pointer.rsplit("/", 1)[0]
    row, column = g.where.get(pointer, (None, None))
    return Problem(g.path, row, column, p.message, p.pointer, p.severity, p.value, g.sheet)


def _cells(row: Sequence[str], n: int) -> list[str]:
    return [c.strip() for c in row] + [""] * (n - len(row))


def _document(g: _Grid) -> dict[str, Any]:
    rows = [(n, [c.strip() for c in r]) for n, r in g.rows if any(c.strip() for c in r)]
    if not rows or rows[0][1][0].lower() != MARK:
        g.problem(
            rows[0][0] if rows else 1,
            1,
            f"expected {MARK!r} in the first cell: is this a map grid?",
        )
        return {}
    doc: dict[str, Any] = {"icmap": 1}
    scale: dict[str, Any] = {}
    at = 1
    while at < len(rows) and rows[at][1][0].lower() != "row":
        n, cells = rows[at]
        key, value = cells[0], (cells[1] if len(cells) > 1 else "")
        at += 1
        g.where[f"/{key}"] = (n, 2)
        if key in ("direction",):
            scale["direction"] = value
            g.where["/scale/direction"] = (n, 2)
        elif key == "special":
            scale["special"] = g.json_cell(n, 2, value, key)
            g.where["/scale/special"] = (n, 2)
        elif key == "level descriptions":
            scale["_descriptions"] = (n, g.json_cell(n, 2, value, key))
        elif key in TEXT_KEYS:
            doc[key] = value
        elif key == "roles" and not value.startswith("["):  # a draft's "teacher, coach"
            ids = [r.strip() for r in value.split(",") if r.strip()]
            doc[key] = [{"id": r, "label": r.replace("-", " ").capitalize()} for r in ids]
        else:
            doc[key] = g.json_cell(n, 2, value, key)
    if at == len(rows):
        g.problem(
            rows[-1][0] + 1,
            1,
            "no header row: expected a row starting with 'row', 'depth', 'id', 'title'",
        )
        return doc
    hn, header = rows[at]
    names = [h.lower() for h in header]
    for k, want in enumerate(("row", "depth", "id", "title")):
        if k >= len(names) or names[k] != want:
            g.problem(hn, k + 1, f"expected the header {want!r} here")
    missing = [t for t in TAIL if t not in names]
    if missing:
        g.problem(hn, None, f"the header misses {', '.join(missing)} (after the level columns)")
    if g.problems:
        return doc
    end = names.index("roles")
    level_cols = [j for j in range(4, end) if names[j] not in LINES]
    markers = {j: LINES[names[j]] for j in range(4, end) if names[j] in LINES}
    col = {name: names.index(name) for name in TAIL}
    at += 1
    table: dict[str, tuple[int, list[str]]] = {}
    while at < len(rows) and rows[at][1][0].lower() in ("code", "zone", "score"):
        n, cells = rows[at]
        table[cells[0].lower()] = (n, _cells(cells, len(header)))
        at += 1
    if "code" not in table:
        g.problem(hn + 1, 1, "expected a 'code' row under the header: the code of each level")
        return doc
    cn, codes = table["code"]
    used = [j for j in level_cols if codes[j]]
    levels: list[dict[str, Any]] = []
    for k, j in enumerate(used):
        level: dict[str, Any] = {"code": codes[j], "label": header[j]}
        g.where[f"/scale/levels/{k}"] = (hn, j + 1)
        g.where[f"/scale/levels/{k}/code"] = (cn, j + 1)
        if "score" in table and table["score"][1][j]:
            sn, scores = table["score"]
            g.where[f"/scale/levels/{k}/score"] = (sn, j + 1)
            try:
                level["score"] = float(scores[j])
            except ValueError:
                g.problem(sn, j + 1, f"score: expected a number, got {scores[j]!r}")
        levels.append(level)
    zones = _zones(
        g,
        table=table,
        used=used,
        markers=markers,
        direction=scale.get("direction", "desired-first"),
        header_row=hn,
    )
    for level, zone in zip(levels, zones, strict=False):
        level["zone"] = zone
    if "zone" in table:
        for k, j in enumerate(used):
            g.where[f"/scale/levels/{k}/zone"] = (table["zone"][0], j + 1)
    if "_descriptions" in scale:
        n, texts = scale.pop("_descriptions")
        for level, text in zip(levels, texts or [], strict=False):
            if text:
                level["description"] = text
    scale["levels"] = levels
    doc["scale"] = scale
    g.where["/scale"] = (hn, 5)
    _items(g, rows[at:], doc, columns=(level_cols, col, markers))
    return doc


def _zones(
    g: _Grid,
    *,
    table: dict[str, tuple[int, list[str]]],
    used: list[int],
    markers: dict[int, str],
    direction: str,
    header_row: int,
) -> list[str]:
    """Each level's zone: from the zone row, else from the marker columns."""
    if "zone" in table:
        cells = table["zone"][1]
        return [cells[j] for j in used]
    order = used if direction != "desired-last" else used[::-1]
    zones, zone = [], "ideal"
    for k, j in enumerate(order):
        zones.append(zone)
        nxt = order[k + 1] if k + 1 < len(order) else None
        between = [markers[m] for m in markers if nxt is not None and min(j, nxt) < m < max(j, nxt)]
        if "dashed" in between:
            zone = "unacceptable"
        elif "solid" in between:
            zone = "acceptable"
    if not markers:
        g.problem(
            header_row, 5, "no 'zone' row and no 'solid line' column: say where the ideal zone ends"
        )
    return zones if direction != "desired-last" else zones[::-1]


def _items(
    g: _Grid,
    rows: list[tuple[int, list[str]]],
    doc: dict[str, Any],
    *,
    columns: tuple[list[int], dict[str, int], dict[int, str]],
) -> None:
    """Group and component rows into the document's tree (``columns``: the level columns,
    the column of each named field, the marker columns)."""
    level_cols, col, markers = columns
    stack: list[tuple[dict[str, Any], str]] = []  # open groups by depth, with their pointer
    width = max(col.values()) + 1
    for n, raw in rows:
        cells = _cells(raw, width)
        kind = cells[0].lower()
        if kind not in ("group", "component"):
            g.problem(n, 1, f"row: expected 'group' or 'component', got {cells[0]!r}")
            continue
        try:
            depth = int(cells[1] or "0") if len(cells[1]) <= 3 else -1
        except ValueError:
            depth = -1
        if depth < 0:
            g.problem(n, 2, f"depth: expected a whole number from 0, got {cells[1]!r}")
            continue
        if depth > len(stack) or (kind == "component" and depth > 0 and depth - 1 >= len(stack)):
            g.problem(n, 2, f"depth {depth}: no group row at depth {depth - 1} above it")
            continue
        item: dict[str, Any] = {"id": cells[2], "title": cells[3]}
        if kind == "group":
            parent, base = stack[depth - 1] if depth else (doc, "")
            siblings = parent.setdefault("groups", [])
            pointer = f"{base}/groups/{len(siblings)}"
            if cells[col["kind"]]:
                item["kind"] = cells[col["kind"]]
            del stack[depth:]
            stack.append((item, pointer))
        else:
            parent, base = stack[depth - 1] if depth else (doc, "")
            siblings = parent.setdefault("components", [])
            pointer = f"{base}/components/{len(siblings)}"
            for j, line in markers.items():
                if cells[j]:
                    g.problem(n, j + 1, f"the {line} line column holds no text: move it to a level")
            texts = [cells[j] for j in level_cols]
            while (
                texts
                and not texts[-1]
                and len(texts) > _length(doc, cells[col["scale"]], g, n, col)
            ):
                texts.pop()
            item["variations"] = texts
            for k, j in enumerate(level_cols):
                g.where[f"{pointer}/variations/{k}"] = (n, j + 1)
            g.where[f"{pointer}/variations"] = (n, level_cols[0] + 1 if level_cols else None)
            if cells[col["roles"]]:
                item["roles"] = [r.strip() for r in cells[col["roles"]].split(",") if r.strip()]
            if cells[col["critical"]]:
                item["critical"] = cells[col["critical"]].lower() in (
                    "yes",
                    "true",
                    "x",
                    "1",
                    "critical",
                )
            if cells[col["weight"]]:
                try:
                    item["weight"] = float(cells[col["weight"]])
                except ValueError:
                    g.problem(
                        n,
                        col["weight"] + 1,
                        f"weight: expected a number, got {cells[col['weight']]!r}",
                    )
            scale = cells[col["scale"]]
            if scale:
                item["scale"] = (
                    g.json_cell(n, col["scale"] + 1, scale, "scale")
                    if scale.startswith("{")
                    else scale
                )
        if cells[col["description"]]:
            item["description"] = cells[col["description"]]
        if cells[col["details"]]:
            extra = g.json_cell(n, col["details"] + 1, cells[col["details"]], "details")
            if isinstance(extra, dict):
                item.update({k: v for k, v in extra.items() if k not in item})
            elif extra is not None:
                g.problem(n, col["details"] + 1, "details: expected a JSON object")
        siblings.append(item)
        g.where[pointer] = (n, 3)
        for name, j in (("id", 3), ("title", 4), *((t, col[t] + 1) for t in TAIL)):
            g.where[f"{pointer}/{name}"] = (n, j)


def _length(doc: dict[str, Any], scale: str, g: _Grid, n: int, col: dict[str, int]) -> int:
    """How many variations a component on this scale has (the default scale's when unknown)."""
    if scale.startswith("{"):
        try:
            return len(json.loads(scale).get("levels", []))
        except (json.JSONDecodeError, AttributeError):
            return 0
    if scale:
        named = (doc.get("scales") or {}).get(scale) or {}
        return len(named.get("levels", [])) if isinstance(named, dict) else 0
    return len(doc.get("scale", {}).get("levels", []))


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


MAX_GRID_BYTES = 2 * 1024 * 1024
"""Largest grid CSV read (as large as a map file may be)."""
MAX_GRID_ROWS = 5000
"""Rows of a grid sheet read (a map has at most 1,000 components, plus groups)."""
MAX_GRID_COLUMNS = 200
"""Columns of a grid sheet read (levels, and a dozen fields)."""


def read_grid(path: str | os.PathLike[str]) -> Map:
    """The map a grid file describes (``.xlsx``: its *Map* sheet, else its first; ``.csv``
    with ``,`` ``;`` or TAB between cells).

    Raises :class:`~icmaps.errors.MapValidationError` with every problem at its cell
    (``file:Sheet!C5`` in a workbook, ``file:line:column`` in a CSV file).
    """
    name = os.fspath(path)
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{name}: no such file")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        if p.stat().st_size > MAX_GRID_BYTES:
            msg = f"file is {p.stat().st_size:,} bytes; the limit is {MAX_GRID_BYTES:,}"
            raise MapValidationError([Problem(name, None, None, msg)])
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            msg = f"invalid UTF-8 byte at {e.start}; save the grid as CSV UTF-8"
            raise MapValidationError([Problem(name, None, None, msg)]) from None
        head = text[:4000]  # the first row holds one cell: look further for the delimiter
        delim = max(",;\t", key=head.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        rows: list[list[str]] = []
        lines: list[int] = []
        line = 1
        try:
            for cells in reader:
                rows.append(cells)
                lines.append(line)
                line = reader.line_num + 1
        except csv.Error as e:
            raise MapValidationError([Problem(name, line, None, f"invalid CSV: {e}")]) from None
        return grid_map(rows, path=name, lines=lines)
    if suffix in (".xlsx", ".xlsm"):
        openpyxl = require("openpyxl", "reading Excel workbooks needs openpyxl", extra="excel")
        from icmaps._io import check_zip, unsaved_formulas

        refused = check_zip(name)
        if refused:
            raise MapValidationError([Problem(name, None, None, refused)])
        try:
            fh = open(name, "rb")  # noqa: SIM115 (ours to close: openpyxl 3.1.0 left it open)
        except OSError as e:
            raise MapValidationError(
                [Problem(name, None, None, f"cannot open: {e.strerror}")]
            ) from None
        try:
            try:
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            except Exception as e:  # not a workbook, encrypted ...
                raise MapValidationError(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            f"not a readable Excel workbook ({type(e).__name__}: {e})",
                        )
                    ]
                ) from None
            try:
                if not wb.worksheets:
                    raise MapValidationError(
                        [Problem(name, None, None, "the workbook has no sheet")]
                    )
                ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
                unsaved = unsaved_formulas(fh, ws, name)
                if unsaved:  # read as blanks, a level's text would silently go missing
                    raise MapValidationError(unsaved)
                # a map grid is a few hundred rows of a few dozen cells: bounded reads
                grid = [
                    [_text(v) for v in values]
                    for values in ws.iter_rows(
                        values_only=True, max_row=MAX_GRID_ROWS + 1, max_col=MAX_GRID_COLUMNS + 1
                    )
                ]
                too_wide = any(len(r) > MAX_GRID_COLUMNS and r[MAX_GRID_COLUMNS] for r in grid)
                if len(grid) > MAX_GRID_ROWS or too_wide:
                    msg = (
                        f"the sheet is larger than a map grid ({MAX_GRID_ROWS:,} rows, "
                        f"{MAX_GRID_COLUMNS} columns at most)"
                    )
                    raise MapValidationError([Problem(name, None, None, msg)])
                sheet = str(ws.title)
            finally:
                wb.close()
        finally:
            fh.close()
        return grid_map(grid, path=name, sheet=sheet)
    raise UsageError(f"{name}: a grid is read from .xlsx or .csv, not {suffix or 'no suffix'!r}")
