"""The one checker: rules on distinct values, problems spread back to rows, repeated keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import icmaps
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map
from icmaps.ratings.checker import (
    Layout,
    RawBatch,
    Verdict,
    check,
    check_duplicates,
    duplicate_groups,
    judge,
)
from icmaps.ratings.columns import _intern
from tests.conftest import DATA, run_cli


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


def _raw(rows: list[dict[str, str | None]], lines: list[int] | None = None) -> RawBatch:
    names = ("subject", "rater", "occasion", "component", "role", "code")
    cols = {n: _intern([r.get(n) for r in rows]) for n in names}
    return RawBatch(
        {n: c.values for n, c in cols.items()},
        {n: np.asarray(c.index, dtype=np.uint32) for n, c in cols.items()},
        np.asarray(lines or range(2, len(rows) + 2), dtype=np.uint32),
    )


def _row(
    comp: str | None, code: str | None, role: str | None = None, **kw: str
) -> dict[str, str | None]:
    return {
        "subject": "s",
        "rater": "r",
        "occasion": "o",
        "component": comp,
        "code": code,
        "role": role,
    } | kw


def test_rules_run_once_per_distinct_value(nested: Map, monkeypatch: pytest.MonkeyPatch) -> None:
    # 3,000 rows, 3 bad distinct values: the did-you-mean search runs once per bad component
    from icmaps.ratings import checker

    calls: list[str] = []
    real = checker._near
    monkeypatch.setattr(checker, "_near", lambda name, ids: calls.append(name) or real(name, ids))
    rows = [_row("t1", "1"), _row("tl", "1"), _row("c1", "9")] * 1000
    raw = _raw(rows)
    verdict = judge(nested, raw.values, raw.index)
    assert calls == ["tl"]
    assert [(f.rule, f.value) for f in verdict.findings] == [("component", "tl"), ("code", "9")]
    assert len(verdict.rows) == 2000
    assert verdict.first_rows() == {0: (1, 1000), 1: (2, 1000)}


def test_each_rule_and_its_column(nested: Map) -> None:
    rows = [
        _row("t1", "1", "teacher"),  # good
        _row("zz", "1"),  # unknown component (the code is not looked at)
        _row("t1", "x"),  # code not allowed
        _row("t1", "1", "janitor"),  # unknown role
        _row("c1", "a", "teacher"),  # does not apply
        _row(None, None, subject=""),  # empty subject and component
    ]
    rows[5]["subject"] = None
    layout = Layout("r.csv", (), {"subject": 1, "component": 4, "code": 5, "role": 6})
    out = check(nested, layout, _raw(rows))
    assert [str(p) for p in out.problems] == [
        "r.csv:3:4: unknown component 'zz' in map 'nested-demo'",
        "r.csv:4:5: code 'x' is not allowed for component 't1' (allowed: 1, 2, 3, 4, NA, no; "
        "leave it blank for missing)",
        "r.csv:5:6: unknown role 'janitor' (roles: coach, principal, teacher)",
        "r.csv:6:6: component 'c1' does not apply to role 'teacher' (it applies to: coach, "
        "principal)",
        "r.csv:7:1: empty subject",
        "r.csv:7:4: empty component",
    ]
    assert [p.value for p in out.problems][:4] == ["zz", "x", "janitor", "teacher"]
    assert len(out.levels) == 1
    assert list(out.lines) == [2]
    # the kept rows' categories are renumbered as if only they had been read
    assert out.columns["component"].values == ("t1",)
    assert out.columns["role"].values == ("teacher",)


def test_wide_form_code_problems_point_at_the_component_column(nested: Map) -> None:
    layout = Layout("w.csv", (), {"subject": 1}, {"top": 4, "t1": 5, "c1": 6})
    out = check(nested, layout, _raw([_row("c1", "9"), _row("t1", "9")]))
    assert [(p.line, p.column) for p in out.problems] == [(2, 6), (3, 5)]


def test_key_packing_cannot_overflow() -> None:
    # four columns of up to 2**20 values: the product (2**80) would overflow an int64 key
    rng = np.random.default_rng(3)
    cols = [rng.integers(0, 2**20, 50_000) for _ in range(4)]
    cols = [np.append(c, c[[17, 4_000]]) for c in cols]  # rows 50,000 and 50,001 repeat
    cols[0][-1] = 2**20 - 1  # ... and the last differs only where a packed key would wrap
    cols[0][4_000] = 2**20 - 1
    groups = duplicate_groups(cols)
    assert [g.tolist() for g in groups] == [[17, 50_000], [4_000, 50_001]]


def test_duplicate_groups_are_the_same_whichever_path() -> None:
    rng = np.random.default_rng(5)
    small = [rng.integers(0, 4, 300) for _ in range(4)]
    wide = [c + (2**40 if j == 0 else 0) for j, c in enumerate(small)]  # lexsort path
    sparse = [c * 1000 for c in small]  # packed, sorted
    expect = [g.tolist() for g in duplicate_groups(small)]
    assert expect
    assert [g.tolist() for g in duplicate_groups(wide)] == expect
    assert [g.tolist() for g in duplicate_groups(sparse)] == expect
    by_hand: dict[tuple[int, ...], list[int]] = {}
    for i, key in enumerate(zip(*(c.tolist() for c in small), strict=True)):
        by_hand.setdefault(key, []).append(i)
    assert expect == [g for g in by_hand.values() if len(g) > 1]


def test_check_duplicates_conflicts_and_repeats() -> None:
    cols = {
        k: _intern(v)
        for k, v in {
            "subject": ["a", "a", "a", "b", "b"],
            "rater": ["r"] * 5,
            "occasion": ["o"] * 5,
            "component": ["c"] * 5,
            "code": ["1", None, "1", "2", "2"],
        }.items()
    }
    keep, problems = check_duplicates(cols, [2, 3, 4, 5, 6], "f.csv")
    assert keep is not None
    assert keep.tolist() == [3]
    assert [(p.line, p.severity) for p in problems] == [(3, "error"), (4, "error"), (6, "warning")]
    assert problems[0].message.endswith("blank here, '1' on line 2")
    assert problems[2].message.endswith("(same as line 5); kept once")


def test_everything_goes_through_judge(
    nested: Map, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No way in bypasses the one checker: every engine and constructor calls ``judge``."""
    from icmaps.ratings import checker

    calls: list[int] = []
    real = checker.judge

    def spy(*args: Any, **kwargs: Any) -> Verdict:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checker, "judge", spy)
    csv_file = tmp_path / "r.csv"
    csv_file.write_text("subject,rater,occasion,component,code\ns,r,o,t1,1\n")
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(
        '{"subject": "s", "rater": "r", "occasion": "o", "component": "t1", "code": "1"}\n'
    )
    entries = {
        "python": lambda: icmaps.read_ratings(csv_file, nested, engine="python"),
        "pyarrow": lambda: icmaps.read_ratings(csv_file, nested, engine="pyarrow"),
        "jsonl": lambda: icmaps.read_ratings(jsonl, nested),
        "stream": lambda: list(icmaps.iter_ratings(csv_file, nested)),
        "records": lambda: icmaps.RatingSet.from_records(nested, [_row("t1", "1")]),
        "columns": lambda: icmaps.RatingSet.from_columns(
            nested, {k: [v] for k, v in _row("t1", "1").items()}
        ),
        "migrate": lambda: icmaps.migrate_ratings(
            icmaps.RatingSet.from_records(nested, [_row("t1", "1")]), icmaps.Crosswalk(), nested
        ),
    }
    for name, run in entries.items():
        if name == "pyarrow":
            pytest.importorskip("pyarrow")
        calls.clear()
        run()
        assert calls, f"{name} did not call the checker"


# -- guards across rows: empty cells rated, attributes that differ ----------------------------


def _guard_file(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "guards.csv"
    path.write_text("subject,rater,occasion,component,code,district\n" + "\n".join(rows) + "\n")
    return path


def test_a_rating_on_an_empty_cell_is_a_warning_naming_the_cell(tmp_path: Path) -> None:
    # ll-impact-record's fourth cell is empty in learning-school
    path = _guard_file(
        tmp_path,
        [
            "s1,r1,fall,ll-impact-record,4,north",
            "s2,r1,fall,ll-impact-record,4,north",
            "s2,r1,fall,al-team-agenda,1,north",
        ],
    )
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    assert result.ok  # a warning: the ratings are kept
    assert len(result.ratings) == 3
    (p,) = result.problems
    assert (p.line, p.severity) == (2, "warning")
    assert p.message == (
        "2 ratings give code '4' on 'll-impact-record': level 4 'Not yet' is an empty cell "
        "of the map (this is the first)"
    )
    # an error under --strict
    code, out, _ = run_cli(
        "validate", "--ratings", str(path), "--map", "learning-school", "--strict"
    )
    assert code != 0
    assert "guards.csv:2: warning: 2 ratings give code '4'" in out


def test_a_subject_with_two_values_of_an_attribute_names_both_lines(tmp_path: Path) -> None:
    path = _guard_file(
        tmp_path,
        [
            "s1,r1,fall,al-team-agenda,1,north",
            "s1,r2,fall,al-team-agenda,1,north",
            "s1,r1,spring,al-team-agenda,1,south",
            "s2,r1,fall,al-team-agenda,1,east",
        ],
    )
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    (p,) = result.problems
    assert (p.line, p.severity) == (4, "warning")
    assert p.message == "subject 's1' has district 'south' here but 'north' on line 2"


def test_guard_warnings_are_bounded(tmp_path: Path) -> None:
    from icmaps.ratings.checker import MAX_CONSISTENCY_WARNINGS

    n = MAX_CONSISTENCY_WARNINGS + 5
    rows = [f"s{i},r1,fall,al-team-agenda,1,d{i}" for i in range(n)]
    rows += [f"s{i},r1,spring,al-team-agenda,1,x{i}" for i in range(n)]
    result = icmaps.read_ratings(_guard_file(tmp_path, rows), "learning-school", errors="collect")
    assert len(result.problems) == MAX_CONSISTENCY_WARNINGS + 1
    more = [p for p in result.problems if p.line is None]
    assert [p.message for p in more] == ["and 5 more district values that differ (not listed)"]
    # subjects that clash after the limit are counted once each, not with their first value
    n = MAX_CONSISTENCY_WARNINGS + 10
    rows = [  # each subject's two values next to each other
        row
        for i in range(n)
        for row in (f"s{i},r1,fall,al-team-agenda,1,d{i}", f"s{i},r1,spring,al-team-agenda,1,x{i}")
    ]
    result = icmaps.read_ratings(_guard_file(tmp_path, rows), "learning-school", errors="collect")
    more = [p.message for p in result.problems if p.line is None]
    assert more == ["and 10 more district values that differ (not listed)"]


def test_the_linear_distinct_check_agrees_with_grouping() -> None:
    from icmaps._grouping import _all_distinct

    rng = np.random.default_rng(11)
    for n in (2, 50, 5_000):
        cols = [rng.integers(0, 6, n).astype(np.uint32) for _ in range(4)]
        distinct = len({tuple(r) for r in zip(*(c.tolist() for c in cols), strict=True)}) == n
        assert _all_distinct(cols) == distinct
        assert (duplicate_groups(cols) == []) == distinct
    unique = [np.arange(1000, dtype=np.uint64), np.zeros(1000, dtype=np.int64)]
    assert _all_distinct(unique)
    assert not _all_distinct([np.array([0, 2**40, 0])])  # too wide to mark: grouping decides


@pytest.mark.parametrize("column", ["district", "component", "code", "role"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_value_past_the_bound_is_an_error_at_its_cell(
    suffix: str, column: str, tmp_path: Path
) -> None:
    """One short error at the cell, whatever the column: no other rule (unknown component,
    code not allowed, unknown role) repeats the value."""
    from icmaps.ratings.columns import MAX_VALUE_CHARS

    header = ["subject", "rater", "occasion", "component", "code", "district", "role"]
    good = ["s", "r", "2025-fall", "al-teacher-routine", "2", "north", "teacher"]
    at = header.index(column)
    rows = [
        ["s1", *good[1:]],
        ["s2", *good[1:at], "x" * (MAX_VALUE_CHARS + 1), *good[at + 1 :]],
        ["s3", *good[1:]],
    ]
    if column == "district":
        rows[2][at] = "y" * MAX_VALUE_CHARS  # at the bound: fine
    path = tmp_path / f"r{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)}), path)
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    (problem,) = result.problems
    line = 3 if suffix == ".csv" else 2  # a CSV's line, a Parquet file's row
    assert (problem.line, problem.column, problem.severity) == (line, at + 1, "error")
    assert problem.message == f"{column} is 1,001 characters long; at most {MAX_VALUE_CHARS:,}"
    assert len(str(problem)) < 300  # the value itself is not repeated
    assert problem.value is None
    assert len(result.ratings) == 2


def test_a_long_value_in_a_wide_file_sits_in_its_components_column(tmp_path: Path) -> None:
    from icmaps.ratings.columns import MAX_VALUE_CHARS

    path = tmp_path / "wide.csv"
    long = "9" * (MAX_VALUE_CHARS + 1)
    path.write_text(
        f"subject,rater,occasion,al-teacher-routine,al-protected-time\ns1,r,2025-fall,2,{long}\n"
    )
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    (problem,) = result.problems
    assert (problem.line, problem.column) == (2, 5)
    assert problem.message.startswith("code is 1,001 characters long")


def test_from_columns_checks_attributes_too() -> None:
    from icmaps.ratings.ratingset import RatingSet

    m = icmaps.load_map("learning-school")
    cols = {"subject": ["s"], "rater": ["r"], "occasion": ["o"],
            "component": ["al-teacher-routine"], "code": ["2"],
            "district": ["d" * 1001]}  # fmt: skip
    with pytest.raises(icmaps.RatingsError, match="row 1: district is 1,001 characters long"):
        RatingSet.from_columns(m, cols, attributes=["district"])
    with pytest.raises(icmaps.RatingsError, match="district holds control character U\\+0007"):
        RatingSet.from_columns(m, {**cols, "district": ["a\a"]}, attributes=["district"])
