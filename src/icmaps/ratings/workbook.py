"""Excel workbooks: a rating sheet a coach fills in, and reading a filled one back.

:func:`rating_workbook` builds a workbook (``.xlsx``, with openpyxl: ``pip install
'icmaps[excel]'``) from a map: a *Ratings* sheet, long by default (a row per subject x
component: ``subject``, ``rater``, ``occasion``, ``source``, ``component``, ``component
title``, ``code``, ``note``, ``evidence`` and the variation texts beside) or wide (a row per
subject, a column per component), with a dropdown of the allowed codes on every code cell
(special codes included), a short input message naming the codes, a frozen header and the
map's columns locked; a *Legend* sheet (codes, labels, zones, scores and where the solid and
dashed lines fall) and a *Map* sheet with the whole grid.

:func:`workbook_rows` reads a sheet back as numbered rows of text, streaming (openpyxl's
read-only mode), for the same engine and the same checker as CSV
(:func:`icmaps.ratings.read.read_ratings` chooses it by the ``.xlsx`` suffix). Problems are
then placed as ``file:Sheet!C5``. Columns only a template carries (``component title``,
``variation 1`` ...) are left out when read (:data:`icmaps.ratings.columns.HELPER_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from icmaps._optional import require
from icmaps.errors import Problem, RatingsError
from icmaps.maps.model import Map, Scale
from icmaps.maps.zones import line_between
from icmaps.ratings.columns import MAX_COLUMNS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["RATINGS_SHEET", "WORKBOOK_SUFFIXES", "rating_workbook", "workbook_rows"]

RATINGS_SHEET = "Ratings"
"""Name of the sheet of ratings (read first when a workbook has it)."""

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
"""File names read and written as Excel workbooks."""

_FILL = {"ideal": "E8F5E9", "acceptable": "FFF7DB", "unacceptable": "FCEBE9"}
_HEAD = "DDE3EA"
_PROMPT_MAX = 255  # Excel refuses a longer input message
_TITLE_MAX = 32  # ... and a longer input-message title


def _openpyxl(what: str) -> Any:
    return require("openpyxl", what, extra="excel")


def _codes_help(scale: Scale) -> str:
    """The codes of a scale in a few words, for an input message."""
    parts = [f"{lv.code} {lv.label}" for lv in scale.desired()]
    parts += [f"{sp.code} {sp.label}" for sp in scale.special]
    return "; ".join(parts) + ". Blank: not rated."


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _variation_cell(code: str, label: str, text: str) -> str:
    return f"{code} · {label}: {text}" if text else f"{code} · {label}: (empty cell)"


class _Lists:
    """The code lists dropdowns point at, one column per distinct scale on a hidden sheet
    (a range, not a quoted list: codes may hold commas, and a quoted list stops at 255
    characters)."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.columns: dict[tuple[str, ...], str] = {}

    def formula(self, scale: Scale) -> str:
        from openpyxl.utils import get_column_letter

        codes = (*scale.codes(), *scale.special_codes())
        if codes not in self.columns:
            col = len(self.columns) + 1
            letter = get_column_letter(col)
            for i, code in enumerate(codes, 1):
                self.ws.cell(row=i, column=col, value=code)
            self.columns[codes] = f"=lists!${letter}$1:${letter}${len(codes)}"
        return self.columns[codes]


def rating_workbook(
    m: Map,
    *,
    role: str | None = None,
    subjects: Sequence[str] = (),
    occasion: str = "",
    rater: str = "",
    wide: bool = False,
) -> bytes:
    """A rating workbook for a map (``.xlsx`` bytes; needs openpyxl, the ``excel`` extra).

    Long form (default) has a row per subject x component, wide form a row per subject;
    only the components for ``role`` when given (and a ``role`` column filled in). Subject,
    rater and occasion are filled in when given. :func:`icmaps.read_ratings` reads the
    filled-in file back.

    >>> from icmaps import load_map
    >>> data = rating_workbook(load_map("learning-school"), role="principal", subjects=["s1"])
    >>> data[:2]
    b'PK'
    """
    openpyxl = _openpyxl("Excel workbooks need openpyxl")
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    view = m.for_role(role) if role else m
    comps = list(view.iter_components())
    subs = list(subjects) or [""]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = RATINGS_SHEET
    lists = _Lists(wb.create_sheet("lists"))
    lists.ws.sheet_state = "hidden"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=_HEAD)
    unlocked = Protection(locked=False)
    wrap = Alignment(wrap_text=True, vertical="top")
    validations: dict[str, Any] = {}

    def dropdown(scale: Scale, cell: str, title: str) -> None:
        formula = lists.formula(scale)
        dv = validations.get(formula + title)
        if dv is None:
            dv = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showErrorMessage=True,
                showInputMessage=True,
                errorTitle="Not a code of this component",
                error="Pick a code from the list (see the Legend sheet), or leave it blank.",
                promptTitle=_clip(title, _TITLE_MAX),
                prompt=_clip(_codes_help(scale), _PROMPT_MAX),
            )
            ws.add_data_validation(dv)
            validations[formula + title] = dv
        dv.add(cell)

    keys = ["subject", "rater", "occasion", "source", *(["role"] if role else [])]
    if wide:
        header = [*keys, *(c.id for c in comps)]
    else:
        most = max((len(view.scale_of(c.id).levels) for c in comps), default=0)
        header = [
            *keys,
            "component",
            "component title",
            "code",
            "note",
            "evidence",
            *(f"variation {i}" for i in range(1, most + 1)),
        ]
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = bold, head_fill, wrap
    editable = {"subject", "rater", "occasion", "source", "code", "note", "evidence"}
    if wide:
        for s in subs:
            ws.append([s, rater, occasion, "", *([role] if role else []), *[None] * len(comps)])
        for j, c in enumerate(comps, len(keys) + 1):
            letter = get_column_letter(j)
            scale = view.scale_of(c.id)
            for r in range(2, len(subs) + 2):
                dropdown(scale, f"{letter}{r}", c.title)
            head = ws.cell(row=1, column=j)
            head.alignment = Alignment(wrap_text=True, text_rotation=0)
            # a wide row has no room beside: the texts show when the header is pointed at
            texts = [_variation_cell(v.code, v.label, v.text) for v in view.written_order(c.id)]
            note = Comment(_clip(f"{c.title}\n\n" + "\n\n".join(texts), 32_000), "icmaps")
            note.width, note.height = 420, 360
            head.comment = note
            ws.column_dimensions[letter].width = 14
        editable |= {c.id for c in comps}
    else:
        code_col = get_column_letter(header.index("code") + 1)
        row = 2
        for s in subs:
            for c in comps:
                cells = [_variation_cell(v.code, v.label, v.text) for v in view.written_order(c.id)]
                keyed = [s, rater, occasion, "", *([role] if role else [])]
                ws.append([*keyed, c.id, c.title, None, None, None, *cells])
                for k, v in enumerate(view.written_order(c.id)):
                    ws.cell(row=row, column=len(header) - most + k + 1).fill = PatternFill(
                        "solid", fgColor=_FILL[v.zone]
                    )
                dropdown(view.scale_of(c.id), f"{code_col}{row}", c.title)
                row += 1
        widths = {"component title": 36, "note": 30, "evidence": 30, "component": 22}
        for j, name in enumerate(header, 1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = (
                42 if name.startswith("variation ") else widths.get(name, 14)
            )
            if name.startswith("variation ") or name == "component title":
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.alignment = wrap
    # the map's columns are locked (sheet protection without a password: it guards against
    # slips, and Review > Unprotect lifts it); every column a rater fills in stays open
    for j, name in enumerate(header, 1):
        if name in editable:
            letter = get_column_letter(j)
            ws.column_dimensions[letter].protection = unlocked
            for (cell,) in ws.iter_rows(
                min_row=2, max_row=max(ws.max_row, 2), min_col=j, max_col=j
            ):
                cell.protection = unlocked
                cell.number_format = "@"  # "01" stays "01", 2026-03 no date
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widen columns, wrap text: allowed
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.freeze_panes = "B2" if wide else ws.cell(row=2, column=len(keys) + 3).coordinate
    _legend_sheet(wb.create_sheet("Legend"), m, view)
    _map_sheet(wb.create_sheet("Map"), view)
    wb.move_sheet("lists", offset=3)
    _inert(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _inert(wb: Any) -> None:
    """Text that starts with ``=`` stays text: openpyxl would write it as a formula, and a
    map's or a rater's text must never run in the reader's spreadsheet."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _scale_lines(scale: Scale) -> list[str]:
    """Per level (written order): the line drawn after it, in words."""
    levels = scale.levels
    out = []
    for a, b in zip(levels, (*levels[1:], None), strict=True):
        line = line_between(a.zone, b.zone) if b is not None else None
        out.append(f"{line} line after {a.code}" if line else "")
    return out


def _legend_sheet(ws: Worksheet, m: Map, view: Map) -> None:
    from openpyxl.styles import Font, PatternFill

    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor=_HEAD)

    ws.append([f"Codes for {m.title} ({m.id} v{m.version})"])
    ws["A1"].font = bold
    ws.append([])
    ws.append(["scale", "code", "label", "zone", "score", "line", "meaning"])
    for cell in ws[3]:
        cell.font, cell.fill = bold, head_fill
    scales: list[tuple[str, Scale]] = [("default", m.scale), *m.scales.items()]
    for c in view.iter_components():
        if isinstance(c.scale, Scale):
            scales.append((f"own scale of {c.id}", c.scale))
    for name, scale in scales:
        for lv, line in zip(scale.levels, _scale_lines(scale), strict=True):
            score = "" if lv.score is None else f"{lv.score:g}"
            ws.append([name, lv.code, lv.label, lv.zone, score, line, lv.description])
            ws.cell(row=ws.max_row, column=4).fill = PatternFill("solid", fgColor=_FILL[lv.zone])
        for sp in scale.special:
            ws.append([name, sp.code, sp.label, f"special: {sp.counts}", "", "", sp.description])
    ws.append([])
    ws.append(["Leave a code blank when the component was not rated (missing)."])
    ws.append(
        [
            "The solid line closes the ideal zone, the dashed line the acceptable one "
            "(as on the paper map)."
        ]
    )
    for letter, width in zip("ABCDEFG", (18, 8, 22, 22, 8, 20, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"


def _map_sheet(ws: Worksheet, view: Map) -> None:
    """The whole map as a grid: a row per component (after its groups' rows), its cells in
    the map's order tinted by zone, the solid and dashed lines drawn as borders."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor=_HEAD)
    wrap = Alignment(wrap_text=True, vertical="top")

    most = max((len(view.scale_of(c.id).levels) for c in view.iter_components()), default=0)
    ws.append(["component", "title", *(f"variation {i}" for i in range(1, most + 1))])
    for cell in ws[1]:
        cell.font, cell.fill = bold, head_fill
    for node in view.outline():
        if node.kind == "group":
            ws.append(["", f"{'  ' * node.depth}{node.item.title}"])
            ws.cell(row=ws.max_row, column=2).font = bold
            continue
        cells = view.written_order(node.id)
        ws.append(
            [node.id, node.item.title, *(_variation_cell(v.code, v.label, v.text) for v in cells)]
        )
        r = ws.max_row
        for k, v in enumerate(cells):
            cell = ws.cell(row=r, column=3 + k)
            cell.fill = PatternFill("solid", fgColor=_FILL[v.zone])
            cell.alignment = wrap
            if k + 1 < len(cells):
                line = line_between(v.zone, cells[k + 1].zone)
                if line:
                    cell.border = Border(right=Side(style="thick" if line == "solid" else "dashed"))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 36
    for k in range(most):
        ws.column_dimensions[get_column_letter(3 + k)].width = 40
    ws.freeze_panes = "C2"
    ws.protection.sheet = True


# -- reading ----------------------------------------------------------------------------------


def _text(v: Any) -> str:
    """A cell's value as the text a CSV would carry (a whole number without ``.0``; a date
    as ``2026-03-01``)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def workbook_rows(path: str | os.PathLike[str]) -> tuple[str, list[str], _SheetRows]:
    """The sheet of ratings of a workbook: its name, its header and its numbered rows (the
    sheet's row numbers), read as a stream (close the rows when done). The sheet is
    *Ratings* when there is one, else the first sheet. Rows are as wide as the header (cells
    past it kept when not empty). Empty rows are left out (a template's rows nobody filled in
    are the engine's to skip).

    >>> import tempfile, icmaps
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = os.path.join(d, "r.xlsx")
    ...     _ = Path(f).write_bytes(rating_workbook(icmaps.load_map("pbis-tfi"), subjects=["s"]))
    ...     sheet, header, rows = workbook_rows(f)
    ...     first = next(rows)[0]
    ...     rows.close()
    ...     sheet, header[:5], first
    ('Ratings', ['subject', 'rater', 'occasion', 'source', 'component'], 2)
    """
    openpyxl = _openpyxl("reading Excel workbooks needs openpyxl")
    name = os.fspath(path)
    from icmaps._io import check_zip, unsaved_formulas

    try:
        refused = check_zip(name)
    except OSError as e:
        raise RatingsError([Problem(name, None, None, f"cannot open: {e.strerror}")]) from None
    if refused:
        raise RatingsError([Problem(name, None, None, refused)])
    # the file handle is ours to close: openpyxl 3.1.0's read-only close left it open
    try:
        fh = open(name, "rb")  # noqa: SIM115 (closed with the rows)
    except OSError as e:
        raise RatingsError([Problem(name, None, None, f"cannot open: {e.strerror}")]) from None
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as e:  # a zip that is no workbook, a password, a wrong suffix ...
        fh.close()
        raise RatingsError(
            [Problem(name, None, None, f"not a readable Excel workbook ({type(e).__name__}: {e})")]
        ) from None
    if not wb.worksheets:
        wb.close()
        fh.close()
        raise RatingsError([Problem(name, None, None, "the workbook has no sheet")])
    ws = wb[RATINGS_SHEET] if RATINGS_SHEET in wb.sheetnames else wb.worksheets[0]
    sheet = str(ws.title)
    unsaved = unsaved_formulas(fh, ws, name)
    if unsaved:
        wb.close()
        fh.close()
        raise RatingsError(unsaved)
    # never more columns than a header may have: a row of a million cells is not read
    rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    first = next(rows, None)
    header = [_text(v).strip() for v in first or ()]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        wb.close()
        fh.close()
        msg = f"the header has more than {MAX_COLUMNS:,} columns (is this a ratings sheet?)"
        raise RatingsError([Problem(name, 1, None, msg, sheet=sheet)])
    if not header:
        wb.close()
        fh.close()
        raise RatingsError(
            [Problem(name, 1, None, "the sheet is empty; expected a header row", sheet=sheet)]
        )
    return sheet, header, _SheetRows(wb, rows, len(header), fh)


class _SheetRows:
    """A sheet's numbered rows of text after the header; :meth:`close` closes the workbook
    (also when the rows were never read: a header too bad to read rows under)."""

    def __init__(
        self, wb: Any, rows: Iterator[tuple[Any, ...]], width: int, fh: Any = None
    ) -> None:
        self.wb, self.rows, self.width, self.n, self.fh = wb, rows, width, 1, fh

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        for values in self.rows:
            self.n += 1
            cells = [_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue  # an empty row of the sheet
            cells += [""] * (self.width - len(cells))
            if not any(c.strip() for c in cells[self.width :]):
                cells = cells[: self.width]
            return self.n, cells
        self.close()
        raise StopIteration

    def close(self) -> None:
        self.wb.close()
        if self.fh is not None:
            self.fh.close()


def is_workbook(source: object) -> bool:
    """Whether a source is read as an Excel workbook (by its suffix).

    >>> is_workbook("r.xlsx"), is_workbook("r.csv")
    (True, False)
    """
    return isinstance(source, (str, os.PathLike)) and Path(source).suffix.lower() in (
        WORKBOOK_SUFFIXES
    )
