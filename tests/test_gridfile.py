"""Maps authored in a spreadsheet grid: export-grid and import-grid round trips, a district's
draft with line markers only, and problems placed at their cells."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import MapValidationError, UsageError
from icmaps.maps.codec import load_map
from icmaps.maps.gridfile import grid_map, grid_rows, read_grid, write_grid
from tests.conftest import DATA, run_cli

ALL = [*icmaps.list_maps(), *(str(DATA / "valid" / f) for f in ("nested.yaml", "ascending.yaml"))]


@pytest.mark.parametrize("source", ALL)
def test_every_map_round_trips_through_a_csv_grid(source: str, tmp_path: Path) -> None:
    m = load_map(source)
    f = tmp_path / "grid.csv"
    write_grid(m, f)
    assert read_grid(f) == m


@pytest.mark.parametrize("source", ALL)
def test_every_map_round_trips_through_the_cli_and_a_workbook(source: str, tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    grid, out = tmp_path / "grid.xlsx", tmp_path / "map.yaml"
    code, _, err = run_cli("export-grid", source, "-o", str(grid))
    assert code == 0, err
    code, _, err = run_cli("import-grid", str(grid), "-o", str(out))
    assert code == 0, err
    assert load_map(out) == load_map(source)


def test_the_grid_reads_as_a_paper_map() -> None:
    rows = grid_rows(load_map("learning-school"))
    header = next(r for r in rows if r[:1] == ["row"])
    assert header[:9] == [
        "row", "depth", "id", "title", "Ideal", "solid line", "Developing", "dashed line",
        "Beginning",
    ]  # fmt: skip
    m = load_map("learning-school")
    first_group = next(r for r in rows if r[:1] == ["group"])
    assert first_group[:4] == ["group", "0", "adult-learning", m.group("adult-learning").title]
    component = next(r for r in rows if r[:1] == ["component"])
    texts = [v.text for v in m.written_order(component[2])]
    assert [component[4], component[6], component[8]] == texts[:3]
    assert component[5] == component[7] == ""  # the line columns stay empty


DRAFT = [
    ["icmap grid"],
    ["id", "district-draft"],
    ["version", "0.1"],
    ["title", "Coaching cycles"],
    ["roles", "coach, principal"],
    ["special", '[{"code": "NA", "label": "Not applicable"}]'],
    [],
    ["row", "depth", "id", "title", "Ideal", "solid line", "Developing", "dashed line",
     "Beginning", "Not yet", "roles", "critical", "weight", "scale", "kind", "description",
     "details"],
    ["code", "", "", "", "1", "", "2", "", "3", "4"],
    ["group", "0", "cycles", "Coaching cycles", "", "", "", "", "", "", "", "", "", "", "standard"],
    ["component", "1", "cy-plan", "Plans the cycle", "With the teacher, from student work", "",
     "With the teacher", "", "Alone", "No plan", "coach", "yes"],
    ["component", "1", "cy-time", "Protects time", "Weekly", "", "Monthly", "", "Rarely", "",
     "principal"],
]  # fmt: skip


def test_a_districts_draft_with_markers_only() -> None:
    m = grid_map(DRAFT, path="draft.csv")
    assert [(lv.code, lv.zone) for lv in m.scale.levels] == [
        ("1", "ideal"), ("2", "acceptable"), ("3", "unacceptable"), ("4", "unacceptable"),
    ]  # fmt: skip
    assert [r.id for r in m.roles] == ["coach", "principal"]
    assert m.component("cy-plan").critical
    assert m.component("cy-time").variations == ("Weekly", "Monthly", "Rarely", "")
    assert m.scale.special_codes() == ("NA",)
    assert [g.kind for g in m.all_groups()] == ["standard"]


def _problems(rows: list[list[str]], **kw: str) -> list[str]:
    with pytest.raises(MapValidationError) as e:
        grid_map(rows, path="draft.csv", **kw)  # type: ignore[arg-type]
    return [str(p) for p in e.value.problems]


def test_layout_problems_are_placed_at_their_cells() -> None:
    rows = [list(r) for r in DRAFT]
    rows[10][5] = "text in the line column"
    rows[11][1] = "3"
    rows.append(["section", "0", "x", "y"])
    rows.append(["component", "1", "cy-x", "X", "a", "", "b", "", "c", "d", "", "", "heavy"])
    assert _problems(rows) == [
        "draft.csv:11:6: the solid line column holds no text: move it to a level",
        "draft.csv:12:2: depth 3: no group row at depth 2 above it",
        "draft.csv:13:1: row: expected 'group' or 'component', got 'section'",
        "draft.csv:14:13: weight: expected a number, got 'heavy'",
    ]


def test_map_problems_are_placed_at_the_cell_they_come_from() -> None:
    rows = [list(r) for r in DRAFT]
    rows[10][10] = "coach, teachr"  # an unknown role
    rows[11][2] = "cy-plan"  # a repeated id
    problems = _problems(rows, sheet="Map")
    assert len(problems) == 2
    assert problems[0].startswith(
        "draft.csv:Map!K11: groups[0].components[0].roles[1]: unknown role 'teachr'"
    )
    assert problems[1].startswith("draft.csv:Map!C12: ")
    assert "cy-plan" in problems[1]


def test_not_a_grid(tmp_path: Path) -> None:
    f = tmp_path / "ratings.csv"
    f.write_text("subject,rater\n", encoding="utf-8")
    code, _, err = run_cli("import-grid", str(f))
    assert code == 1
    assert err == f"{f}:1:1: expected 'icmap grid' in the first cell: is this a map grid?\n"
    other = tmp_path / "grid.ods"
    other.write_bytes(b"PK")
    with pytest.raises(UsageError, match=r"read from .xlsx or .csv, not '.ods'"):
        read_grid(other)
    code, _, err = run_cli("import-grid", str(tmp_path / "nowhere.csv"))
    assert code == 2
    assert "no such file" in err


def test_semicolon_grids_and_stdout(tmp_path: Path) -> None:
    f = tmp_path / "draft.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows(DRAFT)
    code, out, err = run_cli("import-grid", str(f))
    assert code == 0, err
    assert out.startswith("icmap: 1\nid: district-draft\n")
    code, out, _ = run_cli("export-grid", "pbis-tfi")
    assert code == 0
    assert out.startswith("icmap grid,1\nid,pbis-tfi\n")
    code, _, err = run_cli("import-grid", str(f), "-o", str(tmp_path / "m.txt"))
    assert code == 2
    assert "a map is written as .yaml, .yml or .json" in err


def test_a_workbook_grid_edited_by_hand(tmp_path: Path) -> None:
    """Numbers typed as numbers read as text; a mistake is placed at its sheet and cell."""
    openpyxl = pytest.importorskip("openpyxl")
    m = load_map("pbis-tfi")
    f = tmp_path / "grid.xlsx"
    write_grid(m, f)
    wb = openpyxl.load_workbook(f)
    ws = wb["Map"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows, 1) if r[0] == "row")
    names = rows[header - 1]
    code_row = header + 1
    for j, v in enumerate(rows[code_row - 1], 1):
        if j > 4 and v not in (None, "") and str(v).isdigit():
            ws.cell(code_row, j, int(v))  # Excel made numbers of the codes
    comp = next(i for i, r in enumerate(rows, 1) if r[0] == "component")
    ws.cell(comp, 2, int(rows[comp - 1][1]))  # the depth as a number
    wb.save(f)
    assert read_grid(f) == m
    ws.cell(comp, names.index("roles") + 1, "nobody")
    wb.save(f)
    with pytest.raises(MapValidationError) as e:
        read_grid(f)
    (p,) = e.value.problems
    letter = openpyxl.utils.get_column_letter(names.index("roles") + 1)
    assert str(p).startswith(f"{f}:Map!{letter}{comp}: ")
    assert "unknown role 'nobody'" in str(p)


def test_a_grid_whose_formulas_were_never_calculated_is_refused(tmp_path: Path) -> None:
    """A formula with no saved value would read as a blank cell: a level's text gone."""
    openpyxl = pytest.importorskip("openpyxl")
    f = tmp_path / "grid.xlsx"
    write_grid(load_map("pbis-tfi"), f)
    wb = openpyxl.load_workbook(f)
    ws = wb["Map"]
    comp = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "component")
    ws.cell(comp, 6, '=UPPER("written by a script")')
    wb.save(f)
    with pytest.raises(MapValidationError) as e:
        read_grid(f)
    (p,) = e.value.problems
    assert str(p).startswith(f"{f}:Map!F{comp}: a formula without a saved value")
