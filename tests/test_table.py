"""Every result shares one shape: a neutral table with typed columns, rendered by name.

Each public result type is built once from the bundled example ratings and checked the same
way: columns have kinds, CSV and records and pandas carry the table's data columns (shares
0-1), text and HTML show shares as %, HTML escapes what came from the input, and ``row()``
raises :class:`NotFoundError` for an unknown row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import icmaps
from icmaps._table import KINDS, Column, Table, TableResult, render_table, table_text
from icmaps.errors import NotFoundError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet

from .conftest import ROOT, run_cli

HOSTILE = "<script>alert(1)</script>"
MAP_YAML = ROOT / "maps" / "learning-school.yaml"


def _ratings(m: Map, text: str) -> RatingSet:
    rs = icmaps.read_ratings(io.StringIO(text), m)
    assert isinstance(rs, RatingSet)
    return rs


def _sources(hostile: bool) -> tuple[Map, RatingSet]:
    """The example map and ratings; ``hostile`` puts a script tag into a component title, an
    occasion and a subject."""
    text = MAP_YAML.read_text(encoding="utf-8")
    csv_text = Path(icmaps.example_ratings("learning-school")).read_text(encoding="utf-8")
    if hostile:
        text = text.replace(
            "title: Learning is part of the teacher's working week", f'title: "{HOSTILE}"'
        )
        csv_text = csv_text.replace("2026-spring", HOSTILE).replace(
            "lincoln-elementary", HOSTILE + "-school"
        )
    m = icmaps.loads_map(text)
    return m, _ratings(m, csv_text)


Build = Callable[[Map, RatingSet], TableResult]

RESULTS: dict[str, Build] = {
    "Summary": lambda m, rs: icmaps.summarize(rs, by="occasion"),
    "FidelityResult": lambda m, rs: icmaps.fidelity(rs),
    "Comparison": lambda m, rs: icmaps.compare(rs),
    "GroupComparison": lambda m, rs: icmaps.compare_groups(rs, by="occasion"),
    "GapReport": lambda m, rs: icmaps.gap_to_target(rs, "ideal", occasion=str(rs.categories(
        "occasion")[-1])),
    "Configurations": lambda m, rs: icmaps.configurations(rs),
    "AgreementReport": lambda m, rs: icmaps.agreement(rs, by="component"),
    "DisagreementReport": lambda m, rs: icmaps.disagreements(rs),
    "ConsensusReport": lambda m, rs: icmaps.consensus(rs, "modal")[1],
    "MapDiff": lambda m, rs: icmaps.diff_maps(
        icmaps.load_map("learning-school"), m.model_copy(update={"title": HOSTILE})
    ),
    "Tally": lambda m, rs: icmaps.tally(rs, by="occasion"),
    "Trend": lambda m, rs: icmaps.trend(rs),
    "ActionPlan": lambda m, rs: icmaps.action_plan(rs, str(rs.categories("subject")[0])),
    "Profile": lambda m, rs: icmaps.profile(rs, str(rs.categories("subject")[0])),
    "Report": lambda m, rs: icmaps.report(rs),
    "Calibration": lambda m, rs: icmaps.calibrate(rs, anchor="r01"),
}  # fmt: skip

# an unknown row for each type, as its row() takes it
UNKNOWN: dict[str, Callable[[TableResult], object]] = {
    "Summary": lambda r: r.row("no-such-row", key=("2025-fall",)),  # type: ignore[attr-defined]
    "FidelityResult": lambda r: r.row("no-such-school", "2025-fall"),  # type: ignore[attr-defined]
    "Comparison": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "GroupComparison": lambda r: r.row("no-such-row"),  # type: ignore[attr-defined]
    "GapReport": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "Configurations": lambda r: r.row("no-such-school", "2025-fall"),  # type: ignore[attr-defined]
    "AgreementReport": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "DisagreementReport": lambda r: r.row("no-such-school", "2025-fall", "x"),  # type: ignore[attr-defined]
    "ConsensusReport": lambda r: r.row("no-such-school", "2025-fall", "x"),  # type: ignore[attr-defined]
    "MapDiff": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "Tally": lambda r: r.row("no-such-component", key=("2025-fall",)),  # type: ignore[attr-defined]
    "Trend": lambda r: r.row("no-such-row"),  # type: ignore[attr-defined]
    "ActionPlan": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "Profile": lambda r: r.row("no-such-component"),  # type: ignore[attr-defined]
    "Report": lambda r: r.row("no-such-row"),  # type: ignore[attr-defined]
    "Calibration": lambda r: r.row("no-such-rater"),  # type: ignore[attr-defined]
}  # fmt: skip


@pytest.fixture(scope="module")
def built() -> dict[str, TableResult]:
    m, rs = _sources(hostile=False)
    return {name: build(m, rs) for name, build in RESULTS.items()}


@pytest.fixture(scope="module")
def hostile() -> dict[str, TableResult]:
    m, rs = _sources(hostile=True)
    return {name: build(m, rs) for name, build in RESULTS.items()}


def _data_cells(t: Table) -> list[dict[str, object]]:
    """The data columns of every row, straight from the table."""
    keep = [(i, c.name) for i, c in enumerate(t.columns) if c.data]
    return [{name: row[i] for i, name in keep} for row in t.rows]


def _tables(t: Table) -> list[Table]:
    return [t, *(x for sub in t.more for x in _tables(sub))]


def test_every_public_result_type_is_covered() -> None:
    public = {n for n in dir(icmaps) if isinstance(getattr(icmaps, n), type)}
    results = {n for n in public if issubclass(getattr(icmaps, n), TableResult)}
    assert results == set(RESULTS) == set(UNKNOWN)


@pytest.mark.parametrize("name", RESULTS)
def test_columns_have_kinds(built: dict[str, TableResult], name: str) -> None:
    r = built[name]
    assert isinstance(r, TableResult)
    t = r.to_table()
    assert type(r).__name__ == name
    assert t.title
    assert t.columns
    for table in _tables(t):
        assert all(isinstance(c, Column) and c.kind in KINDS for c in table.columns)
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)), names
        assert all(len(row) == len(table.columns) for row in table.rows)
    assert r.columns() == t.names()


@pytest.mark.parametrize("name", RESULTS)
def test_csv_has_the_table_columns(built: dict[str, TableResult], name: str) -> None:
    r = built[name]
    t = r.to_table()
    rows = list(csv.reader(io.StringIO(r.to_csv())))
    assert rows[0] == list(t.names())
    assert len(rows) == len(t.rows) + 1
    assert rows[0] == list(r.to_pandas().columns)
    assert render_table(t, "csv") == r.to_csv()


@pytest.mark.parametrize("name", RESULTS)
def test_records_are_the_table_rows(built: dict[str, TableResult], name: str) -> None:
    r = built[name]
    t = r.to_table()
    records = r.to_records()
    assert records == _data_cells(t)
    assert all(
        v is None or isinstance(v, str | int | float | bool) for x in records for v in x.values()
    )
    json.dumps(records, allow_nan=False)


@pytest.mark.parametrize("name", RESULTS)
def test_text_shows_shares_as_percent(built: dict[str, TableResult], name: str) -> None:
    r = built[name]
    text = str(r)
    assert text.strip()
    assert text == table_text(r.to_table())
    for table in _tables(r.to_table()):
        for i, c in enumerate(table.columns):
            if c.kind != "share" or c.show is not True:
                continue
            for row in table.rows:
                v = row[i]
                if isinstance(v, float):
                    assert f"{100 * v:.1f}%" in text
                    break


@pytest.mark.parametrize("name", RESULTS)
def test_html_escapes_what_came_from_the_input(hostile: dict[str, TableResult], name: str) -> None:
    html = hostile[name]._repr_html_()
    assert "<script" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("name", RESULTS)
def test_pandas_has_the_same_columns(built: dict[str, TableResult], name: str) -> None:
    r = built[name]
    t = r.to_table()
    df = r.to_pandas()
    assert list(df.columns) == list(t.names())
    assert len(df) == len(t.rows)


@pytest.mark.parametrize("name", RESULTS)
def test_shares_are_within_0_and_1(built: dict[str, TableResult], name: str) -> None:
    for table in _tables(built[name].to_table()):
        for c in table.columns:
            if not c.data or c.kind not in ("share", "change"):
                continue
            lo = 0.0 if c.kind == "share" else -1.0
            values = [rec[c.name] for rec in table.records()]
            assert all(v is None or lo <= v <= 1 for v in values), (c.name, values)  # type: ignore[operator]


@pytest.mark.parametrize("name", RESULTS)
def test_unknown_row_raises_not_found(built: dict[str, TableResult], name: str) -> None:
    with pytest.raises(NotFoundError, match="no-such") as info:
        UNKNOWN[name](built[name])
    assert isinstance(info.value, LookupError)


def test_rows_are_looked_up_one_way(built: dict[str, TableResult]) -> None:
    s = built["Summary"]
    assert isinstance(s, icmaps.Summary)
    row = s.row("adult-learning", key=("2026-spring",))
    assert (row.n, row.n_ideal, row.share_ideal) == (41, 11, 11 / 41)
    assert row.pct_ideal == 100 * 11 / 41  # kept for compatibility
    f = built["FidelityResult"]
    assert isinstance(f, icmaps.FidelityResult)
    assert f.unit("lincoln-elementary", "2025-fall") is f.row("lincoln-elementary", "2025-fall")
    c = built["Comparison"]
    assert isinstance(c, icmaps.Comparison)
    assert c.component("tl-team-meets") is c.row("tl-team-meets")
    a = built["AgreementReport"]
    assert isinstance(a, icmaps.AgreementReport)
    assert a["al-teacher-routine"] is a.row("al-teacher-routine").result
    with pytest.raises(KeyError):  # report[id] raised KeyError before: it still does
        a["no-such-component"]
    k = built["Configurations"]
    assert isinstance(k, icmaps.Configurations)
    unit = k.units[0]
    assert k.cluster_of(*unit) is k.row(*unit)
    with pytest.raises(NotFoundError, match=r"rows: learning-school, teacher, .*groups: 2025-fall"):
        s.row("no-such-row", key=("2026-spring",))


def test_summary_csv_and_json_carry_shares() -> None:
    example = str(ROOT / "maps" / "examples" / "learning-school.csv")
    code, out, err = run_cli("summarize", "learning-school", example, "--by", "occasion",
                             "--format", "csv")  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert "share_ideal" in rows[0]
    assert "pct_ideal" not in rows[0]
    spring = next(r for r in rows if (r["occasion"], r["id"]) == ("2026-spring", "adult-learning"))
    assert float(spring["share_ideal"]) == 11 / 41
    assert float(spring["share_ideal_or_acceptable"]) == 32 / 41
    code, out, err = run_cli("summarize", "learning-school", example, "--by", "occasion",
                             "--format", "json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    first = data["rows"][0]
    assert sum(first["shares"]) == pytest.approx(1.0) if first["shares"] else True
    spring_json = next(
        r for r in data["rows"] if (r["occasion"], r["id"]) == ("2026-spring", "adult-learning")
    )
    assert spring_json["share_ideal"] == 11 / 41


def test_renderers_by_name() -> None:
    t = Table(
        "Demo <b>",
        (Column("id"), Column("n", "int"), Column("share", "share", "% ok"),
         Column("delta", "change", "change")),
        (("a|b", 3, 0.5, 0.25), ("c", 1, None, None)),
        facts=(("map", "demo"),),
    )  # fmt: skip
    assert table_text(t).splitlines() == [
        "id   n   % ok    change",
        "---  -  -----  --------",
        "a|b  3  50.0%  +25.0 pp",
        "c    1",
    ]
    assert render_table(t, "csv") == "id,n,share,delta\na|b,3,0.5,0.25\nc,1,,\n"
    assert json.loads(render_table(t, "json"))["rows"][0] == {
        "id": "a|b",
        "n": 3,
        "share": 0.5,
        "delta": 0.25,
    }
    md = render_table(t, "markdown")
    assert "| a\\|b | 3 | 50.0% | +25.0 pp |" in md
    html = render_table(t, "html")
    assert "Demo &lt;b&gt;" in html
    assert ">50%<" in html
    assert ">+25 pp<" in html
    with pytest.raises(ValueError, match="no renderer 'pdf'"):
        render_table(t, "pdf")
    with pytest.raises(ValueError, match="row 0 has 1 cells"):
        Table("x", (Column("a"), Column("b")), (("only",),))
