"""The RatingSet: columnar storage, selection, concatenation, records, pandas."""

from __future__ import annotations

import pytest

import icmaps
from icmaps.errors import NotFoundError, RatingsError, UsageError
from icmaps.ratings.columns import LEVEL_MISSING, LEVEL_NA
from icmaps.ratings.ratingset import RatingSet
from tests.tiny import tiny_map


@pytest.fixture(scope="module")
def rs() -> RatingSet:
    r = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    assert isinstance(r, RatingSet)
    return r


def test_columnar_and_compact(rs: RatingSet) -> None:
    assert rs.nbytes() <= 16 * len(rs)
    assert rs.codes_of("subject").typecode == "B"
    assert rs.levels().typecode == "b"
    assert set(rs.levels()) <= {LEVEL_NA, LEVEL_MISSING, 0, 1, 2, 3}
    assert rs.column("subject")[0] == rs.categories("subject")[rs.codes_of("subject")[0]]


def test_filter_and_where(rs: RatingSet) -> None:
    fall = rs.filter(occasion="2025-fall")
    assert 0 < len(fall) < len(rs)
    assert set(fall.column("occasion")) == {"2025-fall"}
    two = rs.filter(role=["teacher", "principal"], occasion="2026-spring")
    assert set(two.column("role")) == {"teacher", "principal"}
    assert len(rs.where(lambda r: r.status == "na")) == sum(1 for r in rs if r.status == "na")
    with pytest.raises(NotFoundError, match="no column 'colour'"):
        rs.filter(colour="red")


def test_add_is_concatenation(rs: RatingSet) -> None:
    a = rs.filter(occasion="2025-fall")
    b = rs.filter(occasion="2026-spring")
    both = a + b
    assert len(both) == len(rs)
    assert sorted(map(repr, both)) == sorted(map(repr, rs))
    other = icmaps.read_ratings(icmaps.example_ratings("spl-2022"), "spl-2022")
    assert isinstance(other, RatingSet)
    with pytest.raises(UsageError, match="cannot add"):
        _ = rs + other


def test_records_round_trip(rs: RatingSet) -> None:
    again = RatingSet.from_records(rs.map, rs.to_records())
    assert again == rs
    assert rs != rs.filter(occasion="2025-fall")


def test_from_records_checks_input(rs: RatingSet) -> None:
    with pytest.raises(RatingsError) as info:
        RatingSet.from_records(
            rs.map,
            [{"subject": "s", "rater": "r", "occasion": "o", "component": "zz", "code": "1"}],
        )
    assert info.value.line == 1
    assert "unknown component 'zz'" in str(info.value)


def test_to_pandas(rs: RatingSet) -> None:
    pd = pytest.importorskip("pandas")
    df = rs.to_pandas()
    assert len(df) == len(rs)
    assert isinstance(df["subject"].dtype, pd.CategoricalDtype)
    assert list(df["subject"].astype(str)) == rs.column("subject")
    assert int((df["status"] == "na").sum()) == sum(1 for r in rs if r.status == "na")
    assert df["level"].isna().sum() == sum(1 for r in rs if r.level is None)


def test_repr(rs: RatingSet) -> None:
    assert repr(rs).startswith("<RatingSet of 'learning-school': 560 ratings, 6 subjects")


def test_for_role_keeps_unroled_ratings_of_the_roles_components() -> None:
    m = icmaps.load_map("learning-school")
    teacher_c = next(c.id for c in m.iter_components() if c.roles == ("teacher",))
    principal_c = next(c.id for c in m.iter_components() if c.roles == ("principal",))
    rs = RatingSet.from_records(
        m,
        [
            {"subject": "s", "rater": "r", "occasion": "o", "component": teacher_c, "code": "1"},
            {"subject": "s", "rater": "r", "occasion": "o", "component": principal_c, "code": "2"},
        ],
    )
    assert [r.component for r in rs.for_role("principal")] == [principal_c]
    with pytest.raises(NotFoundError, match="no role"):
        rs.for_role("janitor")


def test_column_take_vectorised_path_matches_the_python_path() -> None:
    import random

    from icmaps.ratings.columns import _intern

    rnd = random.Random(3)
    col = _intern([rnd.choice(["a", "b", None, "c", "d"]) for _ in range(30_000)])
    rows = sorted(rnd.sample(range(30_000), 20_000))
    fast = col.take(rows)  # over 10,000 rows: numpy
    slow_parts = [col.take(rows[i : i + 5_000]) for i in range(0, 20_000, 5_000)]
    expected = _intern([v for part in slow_parts for v in part.decode()])
    assert fast.values == expected.values
    assert list(fast.index) == list(expected.index)
    decoded = col.decode()
    assert fast.decode() == [decoded[i] for i in rows]


def test_from_columns_raises_ratings_error_never_key_error() -> None:

    m = tiny_map()
    base = {"subject": ["s"], "rater": ["r"], "occasion": ["o"], "component": ["c1"]}
    assert len(RatingSet.from_columns(m, {**base, "code": ["1"]})) == 1
    with pytest.raises(RatingsError, match="no 'component' column"):
        RatingSet.from_columns(m, {k: v for k, v in base.items() if k != "component"})
    with pytest.raises(RatingsError, match="columns differ in length"):
        RatingSet.from_columns(m, {**base, "code": ["1", "2"]})
    with pytest.raises(RatingsError, match=r"row 1: unknown component 'zz' in map 'tiny'"):
        RatingSet.from_columns(m, {**base, "component": ["zz"], "code": ["1"]})
    with pytest.raises(RatingsError, match=r"row 2: code '9' is not allowed for component 'c1'"):
        RatingSet.from_columns(m, {k: v * 2 for k, v in base.items()} | {"code": ["1", "9"]})
    with pytest.raises(RatingsError, match=r"row 1: empty rater\n.*row 1: empty subject"):
        RatingSet.from_columns(m, {**base, "subject": [""], "rater": [None], "code": ["1"]})


BAD_ROWS = [
    ({"component": "c9", "code": "1"}, "unknown component 'c9' in map 'tiny'; did you mean 'c1'?"),
    ({"component": "c1", "code": "9"}, "code '9' is not allowed for component 'c1'"),
    ({"component": "c1", "code": "1", "role": "janitor"}, "unknown role 'janitor'"),
    ({"component": "c3", "code": "a", "role": "teacher"}, "component 'c3' does not apply to role"),
    ({"component": "c1", "code": "1", "subject": None}, "empty subject"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS, ids=[m[:14] for _, m in BAD_ROWS])
def test_every_constructor_rejects_with_the_checkers_message(
    bad: dict[str, str | None], message: str, tmp_path: object
) -> None:
    """read_ratings, from_records and from_columns reject the same value with the same
    message: they all call the one checker."""
    import io

    m = tiny_map()
    good = {"subject": "s", "rater": "r", "occasion": "o", "component": "c1", "code": "1"}
    record = {**good, "subject": "t", **bad}
    names = ["subject", "rater", "occasion", "component", "code", "role"]
    text = (
        ",".join(names)
        + "\n"
        + "\n".join(",".join(r.get(n) or "" for n in names) for r in (good, record))
    )
    result = icmaps.read_ratings(io.StringIO(text), m, errors="collect")
    (read,) = result.problems
    assert read.message.startswith(message)
    assert len(result.ratings) == 1
    with pytest.raises(RatingsError) as info:
        RatingSet.from_records(m, [good, record])
    assert [(p.line, p.message) for p in info.value.problems] == [(2, read.message)]
    columns = {n: [good.get(n), record.get(n)] for n in names}
    with pytest.raises(RatingsError) as info:
        RatingSet.from_columns(m, columns)
    assert [p.message for p in info.value.problems] == [f"row 2: {read.message}"]
    with pytest.raises(RatingsError) as info:
        RatingSet.from_columns(m, {n: v * 3 for n, v in columns.items()})
    assert [p.message for p in info.value.problems] == [f"row 2: {read.message} (and 2 more rows)"]


def test_add_keeps_first_seen_categories_and_unites_attributes() -> None:
    m = tiny_map()

    def rec(s: str, c: str, code: str, **attrs: str) -> dict[str, str | None]:
        return {"subject": s, "rater": "r", "occasion": "o", "component": c, "code": code, **attrs}

    a = RatingSet.from_records(
        m, [rec("s2", "c1", "2", school="n"), rec("s1", "c1", "1", school="s")]
    )
    b = RatingSet.from_records(
        m, [rec("s3", "c2", "1", district="d"), rec("s2", "c2", "X", district="e")]
    )
    both = a + b
    assert both.attributes == ("school", "district")
    assert both.categories("subject") == ("s2", "s1", "s3")
    assert both.categories("code") == ("2", "1", "X")
    assert both.column("school") == ["n", "s", None, None]
    assert both.column("district") == [None, None, "d", "e"]
    assert list(both.levels()) == [*a.levels(), *b.levels()]
    records = a.to_records() + b.to_records()
    assert both == RatingSet.from_records(m, records)
    assert both.categories("school") == RatingSet.from_records(m, records).categories("school")
    empty = a.filter(subject="nobody")
    assert (empty + a) == a
    assert (empty + a).categories("subject") == a.categories("subject")
