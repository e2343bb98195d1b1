"""Forgiving input, bounded output: what spreadsheets leave behind is skipped (and said once),
and one repeated mistake is one line with a count, not one line per row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import Problem, group_problems
from icmaps.ratings.ratingset import RatingSet, ReadResult
from icmaps.ratings.read import read_ratings
from tests.conftest import run_cli

ENGINES = ["python", "pyarrow"]
EXAMPLE = Path(icmaps.example_ratings("learning-school"))


def _engine(engine: str) -> None:
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")


def _collect(path: Path, **kw: object) -> ReadResult:
    result = read_ratings(path, "learning-school", errors="collect", **kw)  # type: ignore[call-overload]
    assert isinstance(result, ReadResult)
    return result


def _example_lines(n: int) -> list[str]:
    return EXAMPLE.read_text(encoding="utf-8").splitlines()[: n + 1]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("delim", [",", ";"])
def test_rows_of_separators_are_skipped_and_counted_once(
    engine: str, delim: str, tmp_path: Path
) -> None:
    _engine(engine)
    lines = [line.replace(",", delim) for line in _example_lines(30)]
    empty = delim * 6
    messy = [*lines[:5], empty, *lines[5:20], empty, empty, "", *lines[20:]]
    f = tmp_path / "cleared.csv"
    f.write_text("\n".join(messy) + "\n", encoding="utf-8")
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = _collect(f, engine=engine)
    assert got.ok
    assert got.ratings == read_ratings(clean, "learning-school")
    assert [str(p) for p in got.problems] == [
        f"{f}:6: warning: 3 empty rows skipped (the first is here)"
    ]


def test_rows_of_separators_in_wide_form(tmp_path: Path) -> None:
    whole = read_ratings(EXAMPLE, "learning-school")
    records = [{k: v for k, v in r.items() if k != "role"} for r in whole.to_records()]
    rs = RatingSet.from_records(whole.map, records)
    f = tmp_path / "wide.csv"
    icmaps.write_ratings(rs, f, format="wide")
    text = f.read_text(encoding="utf-8").splitlines()
    width = text[0].count(",")
    f.write_text("\n".join([*text[:3], "," * width, *text[3:]]) + "\n", encoding="utf-8")
    got = _collect(f, format="wide")
    assert got.ok
    assert [p.message for p in got.problems] == ["1 empty row skipped (the first is here)"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_separator_ending_every_line_is_accepted(engine: str, tmp_path: Path) -> None:
    _engine(engine)
    lines = [line.replace(",", ";") + ";" for line in _example_lines(40)]
    f = tmp_path / "trailing.csv"
    f.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    got = _collect(f, engine=engine)
    assert got.problems == ()
    assert len(got.ratings) == 40
    assert got.ratings == read_ratings(EXAMPLE, "learning-school")._take(list(range(40)))


def test_a_value_past_the_header_is_still_an_error(tmp_path: Path) -> None:
    lines = [line + "," for line in _example_lines(3)]
    lines[2] += "oops"
    f = tmp_path / "extra.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = _collect(f)
    assert [str(p) for p in got.problems] == [f"{f}:3: expected 7 fields as in the header, got 8"]


def _one_wrong_code(tmp_path: Path, n: int) -> Path:
    lines = _example_lines(n)
    bad = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[3] == "al-teacher-routine":
            cells[4] = "9"
        bad.append(",".join(cells))
    f = tmp_path / "wrong.csv"
    f.write_text("\n".join(bad) + "\n", encoding="utf-8")
    return f


def test_one_repeated_mistake_is_one_line_with_a_count(tmp_path: Path) -> None:
    f = _one_wrong_code(tmp_path, 560)
    got = _collect(f)
    wrong = [p for p in got.problems if "code '9'" in p.message]
    assert len(wrong) > 10  # the API keeps every problem
    code, out, err = run_cli("validate", "--ratings", str(f), "--map", "learning-school")
    assert code == 1, err
    lines = [wrong[i].line for i in range(3)]
    assert out == (
        f"{f}: {len(wrong)} x code '9' is not allowed for component 'al-teacher-routine' "
        "(allowed: 1, 2, 3, 4, NA; leave it blank for missing), first at lines "
        f"{lines[0]}, {lines[1]}, {lines[2]}\n"
    )
    code, out, _ = run_cli(
        "validate", "--ratings", str(f), "--map", "learning-school", "--format", "json"
    )
    assert len(json.loads(out)["problems"]) == len(wrong)
    # commands that stop at bad input say it as briefly
    code, _, err = run_cli("summarize", "learning-school", str(f))
    assert code == 1
    assert err.count("\n") == 1
    assert f"{len(wrong)} x code '9'" in err


def test_max_problems_bounds_the_listing(tmp_path: Path) -> None:
    lines = _example_lines(10)
    bad = [lines[0]] + [
        ",".join([*line.split(",")[:4], f"x{i}", *line.split(",")[5:]])
        for i, line in enumerate(lines[1:])
    ]
    f = tmp_path / "many.csv"
    f.write_text("\n".join(bad) + "\n", encoding="utf-8")
    args = ("validate", "--ratings", str(f), "--map", "learning-school")
    code, out, _ = run_cli(*args, "--max-problems", "3")
    assert code == 1
    assert out.count("\n") == 4
    assert out.endswith(
        "... and 7 more problems of 7 other kinds (--max-problems N lists more; "
        "--format json gives every one)\n"
    )
    _, every, _ = run_cli(*args, "--max-problems", "0")
    assert every.count("\n") == 10
    code, _, err = run_cli(*args, "--max-problems", "-1")
    assert code == 2
    assert "expected at least 0 (0: no limit)" in err


def test_group_problems_keeps_the_first_places_and_severity() -> None:
    ps = [Problem("b.xlsx", n, 7, "code 'x' is not allowed", sheet="Ratings") for n in (3, 4)]
    ps.append(Problem("b.xlsx", 9, None, "repeated", severity="warning", sheet="Ratings"))
    groups = group_problems(ps, first=1)
    assert [g.count for g in groups] == [2, 1]
    assert [str(g) for g in groups] == [
        "b.xlsx: 2 x code 'x' is not allowed, first at Ratings!G3",
        "b.xlsx:Ratings!row 9: warning: repeated",
    ]


def test_an_errors_message_is_bounded_and_keeps_every_problem() -> None:
    from icmaps.errors import MAX_LISTED, RatingsError

    repeated = [Problem("r.csv", n, 5, "code '9' is not allowed") for n in range(2, 5000)]
    distinct = [Problem("r.csv", 6000 + n, 1, f"unknown component 'c{n}'") for n in range(60)]
    e = RatingsError([*repeated, *distinct])
    lines = str(e).splitlines()
    assert len(lines) == MAX_LISTED + 1
    assert lines[0] == "r.csv: 4,998 x code '9' is not allowed, first at lines 2, 3, 4"
    assert lines[-1] == "... and 11 more problem(s) (every one is in .problems)"
    assert len(e.problems) == 4998 + 60
    assert (e.line, e.column) == (2, 5)


def test_a_reports_list_of_problems_is_grouped(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    f = _one_wrong_code(tmp_path, 560)
    n = sum(1 for p in _collect(f).problems if "code '9'" in p.message)
    for suffix in ("html", "md"):
        out = tmp_path / f"r.{suffix}"
        code, _, err = run_cli(
            "report", "learning-school", str(f), "-o", str(out), "--allow-problems"
        )
        assert code == 0, err
        text = out.read_text(encoding="utf-8")
        assert text.count(f"{n} x code &#39;9&#39;" if suffix == "html" else f"{n} x code '9'") == 1
