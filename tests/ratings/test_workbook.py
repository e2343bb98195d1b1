"""Excel workbooks: the template a coach fills in, read back through the one checker."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

import icmaps
from icmaps.errors import RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet, ReadResult
from icmaps.ratings.read import iter_ratings, read_ratings
from icmaps.ratings.workbook import rating_workbook
from tests.conftest import run_cli

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def ls() -> Map:
    return icmaps.load_map("learning-school")


def _book(tmp_path: Path, m: Map, name: str = "sheet.xlsx", **kw: Any) -> Path:
    f = tmp_path / name
    f.write_bytes(rating_workbook(m, **kw))
    return f


def _header(ws: Any) -> list[str]:
    return [c.value for c in ws[1]]


def _validation_of(ws: Any, coordinate: str) -> Any:
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def _list_codes(wb: Any, formula: str) -> list[str]:
    sheet, ref = formula.lstrip("=").split("!")
    return [str(c.value) for (c,) in wb[sheet][ref.replace("$", "")]]


def test_long_template_has_dropdowns_texts_legend_and_locks(ls: Map, tmp_path: Path) -> None:
    f = _book(tmp_path, ls, role="principal", subjects=["lincoln", "adams"], occasion="2026-fall")
    wb = openpyxl.load_workbook(f)
    assert wb.sheetnames[:3] == ["Ratings", "Legend", "Map"]
    ws = wb["Ratings"]
    header = _header(ws)
    assert header[:10] == [
        "subject", "rater", "occasion", "source", "role", "component", "component title",
        "code", "note", "evidence",
    ]  # fmt: skip
    comps = [c.id for c in ls.for_role("principal").iter_components()]
    assert ws.max_row == 1 + 2 * len(comps)
    assert ws.freeze_panes == "H2"
    assert ws.protection.sheet
    code_col = header.index("code") + 1
    for r in range(2, ws.max_row + 1):
        row = [c.value for c in ws[r]]
        comp = row[header.index("component")]
        assert row[header.index("component title")] == ls.component(comp).title
        assert row[header.index("occasion")] == "2026-fall"
        cells = ls.written_order(comp)
        assert row[10 : 10 + len(cells)] == [
            f"{v.code} · {v.label}: {v.text or '(empty cell)'}" for v in cells
        ]
        dv = _validation_of(ws, ws.cell(r, code_col).coordinate)
        assert dv.type == "list"
        scale = ls.scale_of(comp)
        assert _list_codes(wb, dv.formula1) == [*scale.codes(), *scale.special_codes()]
        assert dv.showInputMessage
        assert "NA" in dv.prompt
        # the map's columns are locked, the rater's open
        assert ws.cell(r, header.index("component") + 1).protection.locked
        assert not ws.cell(r, code_col).protection.locked
        assert not ws.cell(r, header.index("note") + 1).protection.locked
    legend = [[c.value for c in row] for row in wb["Legend"].iter_rows(min_row=4)]
    assert legend[0][:6] == ["default", "1", "Ideal", "ideal", "3", "solid line after 1"]
    assert any(row[1] == "NA" and row[3] == "special: excluded" for row in legend)
    grid = [[c.value for c in row] for row in wb["Map"].iter_rows(min_row=2)]
    assert [r[0] for r in grid if r[0]] == comps


def _fill(f: Path, values: dict[tuple[int, str], Any]) -> Path:
    wb = openpyxl.load_workbook(f)
    ws = wb["Ratings"]
    header = _header(ws)
    for (row, column), value in values.items():
        ws.cell(row, header.index(column) + 1, value)
    out = f.with_name("filled-" + f.name)
    wb.save(out)
    return out


def test_filled_long_workbook_reads_back_exactly(ls: Map, tmp_path: Path) -> None:
    f = _book(tmp_path, ls, role="principal", subjects=["lincoln", "adams"])
    comps = [c.id for c in ls.for_role("principal").iter_components()]
    codes = ["1", "2", "NA", "4", 3, "2"]  # a code typed as a number reads as its text
    values: dict[tuple[int, str], Any] = {}
    expected = []
    for i, comp in enumerate(comps):
        row = 2 + i
        values[row, "rater"] = "r01"
        values[row, "occasion"] = dt.datetime(2026, 3, 1)  # Excel made a date of it
        values[row, "code"] = codes[i % len(codes)]
        values[row, "source"] = "observer"
        expected.append(("lincoln", "r01", "2026-03-01", comp, str(codes[i % len(codes)])))
    values[2, "note"] = "<script>alert(1)</script> seen at the meeting"
    values[3, "evidence"] = "agenda, 3 March"
    rs = read_ratings(_fill(f, values), ls)
    assert isinstance(rs, RatingSet)
    got = rs.filter(subject="lincoln").to_records()
    assert [(r["subject"], r["rater"], r["occasion"], r["component"], r["code"]) for r in got] == (
        expected
    )
    assert {r["role"] for r in got} == {"principal"}
    assert {r["source"] for r in got} == {"observer"}
    assert got[0]["note"] == "<script>alert(1)</script> seen at the meeting"
    assert got[1]["evidence"] == "agenda, 3 March"
    assert "component title" not in rs.attributes
    # adams's rows were left as the template made them: no ratings (and one warning), but a
    # row with a note and no code is a missing rating
    assert "adams" not in rs.categories("subject")
    values[len(comps) + 2, "note"] = "could not observe"
    values |= {(len(comps) + 2, k): v for k, v in (("rater", "r01"), ("occasion", "fall"))}
    result = read_ratings(_fill(f, values), ls, errors="collect")
    assert isinstance(result, ReadResult)
    adams = result.ratings.filter(subject="adams").to_records()
    assert [(r["code"], r["note"]) for r in adams] == [(None, "could not observe")]
    assert [p.message for p in result.problems] == [
        f"{len(comps) - 1} empty rows skipped (the first is here)"
    ]


def test_untouched_template_rows_are_no_ratings(ls: Map, tmp_path: Path) -> None:
    f = _book(tmp_path, ls, role="principal")  # no subjects: nothing filled in
    values = {(2, "subject"): "x", (2, "rater"): "r", (2, "occasion"): "o", (2, "code"): "2"}
    values |= {(5, "subject"): "y", (5, "rater"): "r"}  # who, but no code, note or evidence
    result = read_ratings(_fill(f, values), ls, errors="collect")
    assert isinstance(result, ReadResult)
    assert [(r["subject"], r["code"]) for r in result.ratings.to_records()] == [("x", "2")]
    n = len(list(ls.for_role("principal").iter_components()))
    assert [(p.line, p.message) for p in result.problems] == [
        (3, f"{n - 1} empty rows skipped (the first is here)")
    ]


def test_problems_name_the_sheet_and_cell(ls: Map, tmp_path: Path) -> None:
    f = _book(tmp_path, ls, role="principal", subjects=["s"])
    values = {(r, "rater"): "r" for r in range(2, 5)} | {(r, "occasion"): "o" for r in range(2, 5)}
    values |= {(2, "code"): "7", (3, "code"): "7", (4, "rater"): None, (4, "code"): "1"}
    result = read_ratings(_fill(f, values), ls, errors="collect")
    assert isinstance(result, ReadResult)
    name = str(f.with_name("filled-sheet.xlsx"))
    comp = [c.id for c in ls.for_role("principal").iter_components()]
    assert [str(p) for p in result.problems] == [
        f"{name}:Ratings!H2: code '7' is not allowed for component {comp[0]!r} "
        "(allowed: 1, 2, 3, 4, NA; leave it blank for missing)",
        f"{name}:Ratings!H3: code '7' is not allowed for component {comp[1]!r} "
        "(allowed: 1, 2, 3, 4, NA; leave it blank for missing)",
        f"{name}:Ratings!B4: empty rater",
        f"{name}:Ratings!row 5: warning: {len(comp) - 3} empty rows skipped (the first is here)",
    ]
    assert result.problems[0].to_dict()["sheet"] == "Ratings"
    streamed = [p for b in iter_ratings(f.with_name("filled-sheet.xlsx"), ls) for p in b.problems]
    assert streamed == list(result.problems)


def test_wide_workbook_round_trip(ls: Map, tmp_path: Path) -> None:
    f = _book(tmp_path, ls, wide=True, subjects=["a", "b"], rater="r1", occasion="fall")
    wb = openpyxl.load_workbook(f)
    ws = wb["Ratings"]
    header = _header(ws)
    comps = [c.id for c in ls.iter_components()]
    assert header == ["subject", "rater", "occasion", "source", *comps]
    for j, comp in enumerate(comps, 5):
        comment = ws.cell(1, j).comment.text
        assert comment.startswith(ls.component(comp).title)
        assert all(v.text in comment for v in ls.written_order(comp))
        dv = _validation_of(ws, ws.cell(2, j).coordinate)
        assert _list_codes(wb, dv.formula1)[-1] == ls.scale_of(comp).special_codes()[-1]
        assert dv.promptTitle == ls.component(comp).title[:31] or len(dv.promptTitle) <= 32
    codes = {comp: ls.scale_of(comp).codes()[i % 3] for i, comp in enumerate(comps)}
    values = {(2, comp): code for comp, code in codes.items()}
    values |= {(3, comps[0]): "NA"}
    rs = read_ratings(_fill(f, values), ls)
    rated = {(r["subject"], r["component"]): r["code"] for r in rs.to_records()}
    assert {k: v for k, v in rated.items() if k[0] == "a"} == {
        ("a", comp): code for comp, code in codes.items()
    }
    assert rated["b", comps[0]] == "NA"
    assert sum(1 for k, v in rated.items() if k[0] == "b" and v is None) == len(comps) - 1


def test_a_workbook_that_is_not_one(ls: Map, tmp_path: Path) -> None:
    f = tmp_path / "fake.xlsx"
    f.write_text("subject,rater\n", encoding="utf-8")
    with pytest.raises(RatingsError, match=r"fake.xlsx: not a readable Excel workbook"):
        read_ratings(f, ls)
    code, _, err = run_cli("validate", "--ratings", str(f), "--map", "learning-school")
    assert code == 1
    assert "Traceback" not in err
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UsageError, match=r"save it as an Excel workbook \(.xlsx\)"):
        read_ratings(old, ls)


def test_an_empty_sheet(ls: Map, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    f = tmp_path / "empty.xlsx"
    wb.save(f)
    with pytest.raises(RatingsError) as e:
        read_ratings(f, ls)
    assert str(e.value) == f"{f}:Sheet!row 1: the sheet is empty; expected a header row"


def test_a_plain_sheet_of_ratings_reads_like_csv(ls: Map, tmp_path: Path) -> None:
    """Not from a template: any sheet with the CSV columns, separators-free by nature."""
    csv_rs = read_ratings(icmaps.example_ratings("learning-school"), ls)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    lines = Path(icmaps.example_ratings("learning-school")).read_text().splitlines()
    for n, line in enumerate(lines):
        ws.append(line.split(","))
        if n == 10:
            ws.append([])  # an empty row: no rating, no problem
    f = tmp_path / "plain.xlsx"
    wb.save(f)
    result = read_ratings(f, ls, errors="collect")
    assert isinstance(result, ReadResult)
    assert result.problems == ()
    assert result.ratings == csv_rs


def test_cli_template_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    code, stdout, err = run_cli("template", "pbis-tfi", "--subjects", "s1", "-o", str(out))
    assert code == 0, err
    assert stdout == ""
    assert out.read_bytes()[:2] == b"PK"
    assert openpyxl.load_workbook(out)["Ratings"]["A2"].value == "s1"


def test_cli_template_without_openpyxl_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails as if not installed
    out = tmp_path / "t.xlsx"
    code, _, err = run_cli("template", "pbis-tfi", "-o", str(out))
    assert code == 1
    assert err == "Excel workbooks need openpyxl: pip install 'icmaps[excel]'\n"
    assert not out.exists()  # never CSV text in a .xlsx


REFUSED = [
    (
        ["template", "pbis-tfi", "-o", "x.pdf"],
        "x.pdf: cannot write '.pdf' files here; give a name ending in .csv, .xlsx\n",
    ),
    (
        ["template", "pbis-tfi", "--legend", "-o", "x.csv"],
        "x.csv: cannot write '.csv' files here; give a name ending in .txt\n",
    ),
    (
        ["report", "learning-school", "R", "-o", "r.pdf"],
        "r.pdf: icmaps does not write PDF; write HTML (-o r.html) and print it to PDF",
    ),
    (["report", "learning-school", "R", "--format", "html", "-o", "r.pdf"], "not write PDF"),
    (
        ["report", "learning-school", "R", "-o", "r.docx"],
        "r.docx: cannot write '.docx' files here; give a name ending in .htm, .html, .json, "
        ".markdown, .md (or choose with --format)",
    ),
    (["plan", "learning-school", "R", "--subject", "s", "-o", "p.xlsx"], "write '.xlsx'"),
]


@pytest.mark.parametrize(("argv", "message"), REFUSED)
def test_output_suffixes_are_chosen_or_refused(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [icmaps.example_ratings("learning-school") if a == "R" else a for a in argv]
    code, _, err = run_cli(*argv)
    assert code == 2, err
    assert message in err
    assert list(tmp_path.iterdir()) == []


def _filled_principals(ls: Map, tmp_path: Path) -> Path:
    f = _book(tmp_path, ls, role="principal", subjects=["lincoln", "adams"], occasion="fall")
    values: dict[tuple[int, str], Any] = {(r, "rater"): "r01" for r in range(2, 7)}
    values |= {(2, "code"): "1", (3, "code"): "NA", (4, "note"): "no code, a note", (6, "code"): 2}
    return _fill(f, values)


def test_a_template_saved_as_csv_reads_as_the_workbook(ls: Map, tmp_path: Path) -> None:
    """Save as CSV from the workbook: the same ratings, the same skipped rows."""
    import csv

    book = _filled_principals(ls, tmp_path)
    wb = openpyxl.load_workbook(book)
    f = tmp_path / "saved.csv"
    with f.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, delimiter=";")
        for row in wb["Ratings"].iter_rows(values_only=True):
            w.writerow(["" if v is None else v for v in row])
    from_book = read_ratings(book, ls, errors="collect")
    from_csv = read_ratings(f, ls, errors="collect")
    assert isinstance(from_book, ReadResult)
    assert isinstance(from_csv, ReadResult)
    assert from_csv.ratings == from_book.ratings
    assert len(from_csv.ratings) == 4
    assert [(p.line, p.message) for p in from_csv.problems] == [
        (p.line, p.message) for p in from_book.problems
    ]


@pytest.mark.slow
def test_libreoffice_opens_the_workbook(ls: Map, tmp_path: Path) -> None:
    """Where LibreOffice is installed: it converts the filled workbook to CSV, which reads
    back as the same ratings (CI installs it; skipped on a machine without it)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    book = _filled_principals(ls, tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
         # comma, double quote, UTF-8 (76): the CSV UTF-8 a user saves from Calc
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out),
         str(book)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    converted = out / (book.stem + ".csv")
    assert read_ratings(converted, ls) == read_ratings(book, ls)


def test_text_starting_with_equals_stays_text(tmp_path: Path) -> None:
    """A map's text (or a subject's name) that looks like a formula is written as text."""
    import json

    from icmaps.maps.codec import dumps_map, loads_map
    from icmaps.maps.gridfile import read_grid, write_grid

    doc = json.loads(dumps_map(icmaps.load_map("learning-school"), "json"))
    first = doc["groups"][0]["components"][0]
    first["title"] = '=HYPERLINK("http://example.com","click")'
    first["variations"][0] = "=1+1"
    m = loads_map(json.dumps(doc), format="json")
    f = _book(tmp_path, m, subjects=["=2*3"])
    wb = openpyxl.load_workbook(f)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {"=2*3", first["title"]} <= values
    grid = tmp_path / "grid.xlsx"
    write_grid(m, grid)
    assert read_grid(grid) == m


def _with_formulas(tmp_path: Path, rows: int, every: int) -> tuple[Path, list[str]]:
    """A sheet as a script writes it with openpyxl: some codes are formulas, never calculated."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["subject", "rater", "occasion", "component", "code", "note"])
    cells = []
    for i in range(rows):
        formula = i % every == every - 1
        ws.append([f"s{i}", "r", "2025-fall", "al-teacher-routine", "=1+1" if formula else "2",
                   "x" * 40])  # fmt: skip
        if formula:
            cells.append(f"E{i + 2}")
    f = tmp_path / "formulas.xlsx"
    wb.save(f)
    return f, cells


def test_formulas_without_saved_values_are_refused_at_their_cells(ls: Map, tmp_path: Path) -> None:
    book, cells = _with_formulas(tmp_path, rows=10, every=4)
    with pytest.raises(RatingsError) as info:
        read_ratings(book, ls)
    problems = info.value.problems
    assert [p.place().rsplit(":", 1)[-1] for p in problems] == [f"Sheet!{c}" for c in cells]
    assert all("formula without a saved value" in p.message for p in problems)
    assert "open and save the workbook in Excel or LibreOffice" in problems[0].message


def test_every_unsaved_formula_of_a_large_sheet_is_found(ls: Map, tmp_path: Path) -> None:
    """Cells cut by the 1 MB reads of the sheet's XML are found too (oracle: openpyxl's own
    full read of the formulas); 20 are listed, the rest counted."""
    book, cells = _with_formulas(tmp_path, rows=3_000, every=7)
    full = openpyxl.load_workbook(book)  # formulas as text, not read-only
    oracle = [c.coordinate for row in full.active.iter_rows() for c in row
              if isinstance(c.value, str) and c.value.startswith("=")]  # fmt: skip
    assert oracle == cells
    from icmaps._io import formulas_without_values

    for chunk in (1 << 20, 4096, 997, 64):  # reads that cut cells anywhere
        with book.open("rb") as fh:
            found = formulas_without_values(fh, "xl/worksheets/sheet1.xml", chunk=chunk)
        assert [f"{col}{row}" for col, row in found] == cells
    with pytest.raises(RatingsError) as info:
        read_ratings(book, ls)
    listed = [p for p in info.value.problems if p.line is not None]
    assert [f"E{p.line}" for p in listed] == cells[:20]
    (rest,) = [p.message for p in info.value.problems if p.line is None]
    assert rest == f"and {len(cells) - 20:,} more formulas without a saved value"


@pytest.mark.slow
def test_a_workbook_saved_by_libreoffice_reads_its_calculated_values(
    ls: Map, tmp_path: Path
) -> None:
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    book, _ = _with_formulas(tmp_path, rows=10, every=4)
    wb = openpyxl.load_workbook(book)
    wb.active["F2"] = '=IF(1=1,"","x")'  # a formula whose result is empty text
    wb.save(book)
    out = tmp_path / "saved"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rs = read_ratings(out / book.name, ls)
    assert len(rs) == 10
    assert set(rs.categories("code")) == {"2"}  # =1+1, calculated and saved
    assert rs.to_records()[0]["note"] is None  # "" saved: a blank note


def _rewritten(book: Path, old: bytes, new: bytes) -> Path:
    """The workbook with its sheet's XML edited (as another program would have written it)."""
    import zipfile

    out = book.with_name("edited.xlsx")
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new)
            dst.writestr(item, data)
    return out


def test_a_formula_whose_saved_result_is_empty_text_is_read(ls: Map, tmp_path: Path) -> None:
    """Excel and LibreOffice save =IF(...,"",...) as t="str" with an empty value: saved."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["subject", "rater", "occasion", "component", "code", "district"])
    ws.append(["s1", "r", "2025-fall", "al-teacher-routine", "2", '=IF(1=1,"","x")'])
    book = tmp_path / "f.xlsx"
    wb.save(book)
    cell = b'<c r="F2"><f>IF(1=1,"","x")</f><v /></c>'
    saved = _rewritten(book, cell, b'<c r="F2" t="str"><f>IF(1=1,"","x")</f><v></v></c>')
    rs = read_ratings(saved, ls)
    assert rs.to_records()[0]["district"] is None
    with pytest.raises(RatingsError, match="formula without a saved value"):
        read_ratings(book, ls)  # as openpyxl wrote it: nothing saved


def test_adjacent_unsaved_formulas_are_all_found_whatever_the_reads(tmp_path: Path) -> None:
    from icmaps._io import formulas_without_values

    book, cells = _with_formulas(tmp_path, rows=40, every=1)  # every code a formula
    for chunk in range(3, 40):
        with book.open("rb") as fh:
            found = formulas_without_values(fh, "xl/worksheets/sheet1.xml", chunk=chunk)
        assert [f"{col}{row}" for col, row in found] == cells, chunk
