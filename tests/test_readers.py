"""Reading and writing ratings: formats, encodings, every problem located, both engines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import RatingsError
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import ReadResult
from icmaps.ratings.read import Engine, read_ratings
from icmaps.ratings.sheets import legend, rating_template
from icmaps.ratings.write import dumps_ratings, write_ratings

from .conftest import DATA, run_cli

RDATA = DATA / "ratings"
INVALID = sorted(p for p in (RDATA / "invalid").iterdir() if not p.name.endswith(".errors.txt"))


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


def _problems(path: Path, m: Map, engine: Engine = "auto") -> str:
    try:
        result = read_ratings(path, m, errors="collect", engine=engine)
        assert isinstance(result, ReadResult)
        problems = result.problems
    except RatingsError as e:
        problems = e.problems
    return "".join(f"{p}\n" for p in problems).replace(f"{path.parent}/", "")


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_bad_file_reports_every_problem_with_place(case: Path, nested: Map) -> None:
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    assert expected
    assert _problems(case, nested) == expected
    with pytest.raises(RatingsError) as info:
        read_ratings(case, nested)
    assert str(info.value).replace(f"{case.parent}/", "") + "\n" == expected


@pytest.mark.parametrize("engine", ["python", "pyarrow"])
@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_every_engine_reports_the_same_problems(case: Path, engine: Engine, nested: Map) -> None:
    """The golden problems whichever engine reads the file: both hand their rows to the one
    checker (a reader that checked on its own would drift from these files)."""
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    assert _problems(case, nested, engine) == expected


@pytest.mark.parametrize("case", INVALID[:6], ids=lambda p: p.name)
def test_cli_check_ratings(case: Path) -> None:
    code, out, _ = run_cli(
        "validate", "--ratings", str(case), "--map", str(DATA / "valid" / "nested.yaml")
    )
    assert code == 1
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    assert out.replace(f"{case.parent}/", "") in ("", expected)


def test_good_long_file(nested: Map) -> None:
    rs = read_ratings(RDATA / "valid" / "long.csv", nested)
    assert isinstance(rs, icmaps.RatingSet)
    assert len(rs) == 8
    assert rs.attributes == ("school",)
    recs = list(rs)
    assert (recs[1].code, recs[1].level, recs[1].status) == ("2", 1, "rated")
    assert (recs[5].code, recs[5].level, recs[5].status) == ("NA", None, "na")
    assert (recs[6].code, recs[6].status) == (None, "missing")
    assert (recs[7].code, recs[7].level, recs[7].role) == ("no", 3, None)  # non-use -> lowest
    assert (recs[4].code, recs[4].level) == ("0", 1)  # ascending scale, desired first
    assert recs[0].attrs == {"school": "north"}


def test_excel_bom_crlf_semicolon_reads_the_same(nested: Map) -> None:
    a = read_ratings(RDATA / "valid" / "long.csv", nested)
    b = read_ratings(RDATA / "valid" / "excel.csv", nested)
    assert a == b


def test_wide_form(nested: Map) -> None:
    rs = read_ratings(RDATA / "valid" / "wide.csv", nested)
    assert isinstance(rs, icmaps.RatingSet)
    assert [(r.rater, r.component, r.code) for r in rs] == [
        ("r1", "top", "1"),
        ("r1", "t1", "2"),
        ("r2", "top", None),
        ("r2", "t1", "3"),
    ]
    assert rs.attributes == ("school",)


def test_collect_returns_good_rows_and_problems(nested: Map) -> None:
    result = read_ratings(RDATA / "invalid" / "many-problems.csv", nested, errors="collect")
    assert isinstance(result, ReadResult)
    assert not result.ok
    assert len(result.ratings) == 1
    assert len(result.problems) == 4


def test_repeated_identical_rating_is_a_warning_kept_once(nested: Map) -> None:
    text = "subject,rater,occasion,component,code\ns,r,f,t1,1\ns,r,f,t1,1\n"
    result = read_ratings(io.StringIO(text), nested, errors="collect")
    assert isinstance(result, ReadResult)
    assert result.ok
    assert len(result.ratings) == 1
    assert [p.severity for p in result.problems] == ["warning"]
    assert "line 2" in result.problems[0].message


@pytest.mark.parametrize("name", ["learning-school", "spl-2022"])
def test_engines_give_identical_ratings(name: str) -> None:
    pytest.importorskip("pyarrow")
    path = icmaps.example_ratings(name)
    a = read_ratings(path, name, engine="python")
    b = read_ratings(path, name, engine="pyarrow")
    assert isinstance(a, icmaps.RatingSet)
    assert isinstance(b, icmaps.RatingSet)
    assert a == b
    assert list(a.categories("subject")) == list(b.categories("subject"))
    assert list(a.levels()) == list(b.levels())


@pytest.mark.parametrize("name", ["many-problems.csv", "wrong-field-count.csv", "bad-code.csv"])
def test_pyarrow_engine_reports_problems_itself(
    name: str, nested: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad values and field counts do not send a file back to the Python reader: pyarrow's
    rows go through the same checker (the Python engine is switched off here)."""
    pytest.importorskip("pyarrow")
    import icmaps.ratings.read as read_module

    case = RDATA / "invalid" / name
    expected = _problems(case, nested, "python")

    def no_python(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pyarrow engine handed the file to the Python engine")

    monkeypatch.setattr(read_module, "rows_engine", no_python)
    assert _problems(case, nested, "pyarrow") == expected
    with pytest.raises(RatingsError) as info:
        read_ratings(case, nested, engine="pyarrow")
    assert "".join(f"{p}\n" for p in info.value.problems).replace(f"{case.parent}/", "") == expected


@pytest.mark.parametrize("fmt", ["long", "jsonl"])
def test_write_read_round_trip(fmt: str, nested: Map, tmp_path: Path) -> None:
    rs = read_ratings(RDATA / "valid" / "long.csv", nested)
    assert isinstance(rs, icmaps.RatingSet)
    out = tmp_path / ("r.jsonl" if fmt == "jsonl" else "r.csv")
    write_ratings(rs, out)
    assert read_ratings(out, nested) == rs


codes_for = {
    "top": ["1", "2", "3", "4", "NA", "no", None],
    "t1": ["1", "4", None],
    "c1": ["a", "b", "c", None],
    "p1": ["0", "1", None],
}


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, str | None]]:
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["s1", "s 2", "ü3", "no", "1e3"]),
                st.sampled_from(["r1", "r2"]),
                st.sampled_from(["fall", "on"]),
                st.sampled_from(list(codes_for)),
            ),
            unique=True,
            min_size=1,
            max_size=25,
        )
    )
    return [
        {
            "subject": s,
            "rater": r,
            "occasion": o,
            "component": c,
            "code": draw(st.sampled_from(codes_for[c])),
            "school": "y,z" if s in ("no", "1e3") else "x",  # a subject attribute
        }
        for s, r, o, c in keys
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_property_round_trip_long_and_wide(recs: list[dict[str, str | None]]) -> None:
    m = load_map(DATA / "valid" / "nested.yaml")
    rs = icmaps.RatingSet.from_records(m, recs)
    assert len(rs) == len(recs)
    again = read_ratings(io.StringIO(dumps_ratings(rs, "long")), m)
    assert again == rs
    wide = read_ratings(io.StringIO(dumps_ratings(rs, "wide")), m, format="wide")
    assert isinstance(wide, icmaps.RatingSet)
    # wide keeps one cell per subject/rater/occasion/component: same ratings, maybe reordered,
    # and blank cells for components a subject was not given come back as missing
    got = {(r.subject, r.rater, r.occasion, r.component): r.code for r in wide}
    for r in rs:
        assert got[(r.subject, r.rater, r.occasion, r.component)] == r.code
    assert all(
        v is None
        for k, v in got.items()
        if k not in {(r.subject, r.rater, r.occasion, r.component) for r in rs}
    )


def test_template_fill_and_read_back(tmp_path: Path) -> None:
    m = load_map("learning-school")
    sheet = tmp_path / "sheet.csv"
    code, _, _ = run_cli(
        "template",
        "learning-school",
        "--role",
        "principal",
        "--subjects",
        "a,b",
        "--occasion",
        "2026",
        "-o",
        str(sheet),
    )
    assert code == 0
    lines = sheet.read_text().splitlines()
    n = len(m.for_role("principal").all_components())
    assert len(lines) == 1 + 2 * n
    # a rater fills it in, with two mistakes
    filled = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        cells[1] = "me"
        cells[4] = "7" if i == 0 else "2"
        if i == 1:
            cells[3] = "no-such-component"
        filled.append(",".join(cells))
    sheet.write_text("\n".join(filled) + "\n")
    with pytest.raises(RatingsError) as info:
        read_ratings(sheet, m)
    assert [(p.line, p.column) for p in info.value.problems] == [(2, 5), (3, 4)]


def test_template_wide_and_legend() -> None:
    m = load_map("learning-school")
    wide = rating_template(m, subjects=["s"], wide=True).splitlines()
    assert wide[0].split(",")[3:] == [c.id for c in m.iter_components()]
    text = legend(m)
    for lv in m.scale.levels:
        assert lv.label in text
    code, out, _ = run_cli("template", "learning-school", "--legend")
    assert code == 0
    assert out == text


def test_bundled_examples_read_clean() -> None:
    for name in ("learning-school", "spl-2022"):
        result = read_ratings(icmaps.example_ratings(name), name, errors="collect")
        assert isinstance(result, ReadResult)
        assert result.problems == ()
        assert len(result.ratings) > 300


def test_bad_format_or_engine_is_a_usage_error() -> None:
    from icmaps.errors import UsageError

    example_path = icmaps.example_ratings("learning-school")
    with pytest.raises(UsageError, match="format must be"):
        read_ratings(example_path, "learning-school", format="xml")  # type: ignore[call-overload]
    with pytest.raises(UsageError, match="engine must be"):
        read_ratings(example_path, "learning-school", engine="nope")  # type: ignore[call-overload]


def test_deeply_nested_jsonl_value_is_a_problem(tmp_path: Path) -> None:
    f = tmp_path / "deep.jsonl"
    f.write_text('{"subject": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(RatingsError) as e:
        read_ratings(f, "learning-school")
    assert [str(p) for p in e.value.problems] == [f"{f}:1:1: invalid JSON: nested too deeply"]


def test_conflict_with_a_blank_code_says_blank(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text(
        "subject,rater,occasion,component,code\n"
        "s1,r1,f,al-teacher-routine,1\n"
        "s1,r1,f,al-teacher-routine,\n"
    )
    result = read_ratings(f, "learning-school", errors="collect")
    assert [p.message for p in result.problems] == [
        "conflicting ratings for subject 's1', rater 'r1', occasion 'f', component "
        "'al-teacher-routine': blank here, '1' on line 2"
    ]
