"""Streaming: statistics from counted ratings (count_ratings) equal those from a RatingSet."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import NotFoundError, RatingsError, UsageError
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.ratings.write import dumps_ratings
from icmaps.stats.stream import TallyStack, count_ratings
from icmaps.stats.tally import Counted
from tests.conftest import DATA
from tests.strategies import rating_records

EXAMPLES = ["learning-school", "spl-2022"]


def _outcome(f: Callable[[], Any]) -> Any:
    """What a statistic gives as plain data, or the error it raises (both paths must agree)."""
    try:
        return f().to_dict()
    except (UsageError, NotFoundError) as e:
        return (type(e).__name__, str(e))


def _consensus_view(result: tuple[Any, Any]) -> Any:
    counted, rep = result
    ties = sorted(repr(t.to_dict()) for t in rep.ties)
    return (
        icmaps.tally(counted, ("subject", "occasion", "rater")),
        rep.cells,
        rep.single,
        rep.unanimous,
        ties,
        sorted(rep.na_overruled),
    )


def _same_statistics(c: Counted, rs: RatingSet, by: str) -> None:
    assert len(c) == len(rs)
    assert icmaps.tally(c, ("subject", "rater", "occasion")) == icmaps.tally(
        rs, ("subject", "rater", "occasion")
    )
    assert icmaps.summarize(c, by=by) == icmaps.summarize(rs, by=by)
    assert (
        icmaps.summarize(c, by=by, min_n=3).to_dict()
        == icmaps.summarize(rs, by=by, min_n=3).to_dict()
    )
    assert _outcome(lambda: icmaps.fidelity(c)) == _outcome(lambda: icmaps.fidelity(rs))
    assert _outcome(lambda: icmaps.fidelity(c, by=("occasion", by))) == _outcome(
        lambda: icmaps.fidelity(rs, by=("occasion", by))
    )
    assert _outcome(lambda: icmaps.compare(c)) == _outcome(lambda: icmaps.compare(rs))
    for split in (None, "component", "group"):
        assert _outcome(lambda s=split: icmaps.agreement(c, by=s)) == _outcome(  # type: ignore[misc]
            lambda s=split: icmaps.agreement(rs, by=s)  # type: ignore[misc]
        )
    assert _outcome(lambda: icmaps.agreement(c, method="percent", tolerance=1)) == _outcome(
        lambda: icmaps.agreement(rs, method="percent", tolerance=1)
    )
    for rule in ("modal", "median", "conservative"):
        mine, theirs = icmaps.consensus(c, rule), icmaps.consensus(rs, rule)
        assert _consensus_view(mine) == _consensus_view(theirs)  # type: ignore[arg-type]
        assert icmaps.summarize(mine[0], by=by) == icmaps.summarize(theirs[0], by=by)


@pytest.mark.parametrize("chunk", [37, 1_000_000])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_statistic_from_the_stream_equals_the_in_memory_one(name: str, chunk: int) -> None:
    path = icmaps.example_ratings(name)
    rs = icmaps.read_ratings(path, name)
    c = count_ratings(path, name, chunk_rows=chunk)
    assert c.ok
    assert c.problems == ()
    by = "district" if "district" in rs.attributes else "occasion"
    _same_statistics(c, rs, by)
    for kw in ({}, {"by": by}, {"role": rs.map.roles[0].id}, {"min_n": 3}, {"period": "year"}):
        try:
            theirs = icmaps.report(rs, **kw).to_dict()  # type: ignore[arg-type]
        except UsageError:
            continue  # e.g. occasions that are not dated: no periods
        assert icmaps.report(c, **kw).to_dict() == theirs  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), chunk=st.integers(1, 50))
def test_random_ratings_in_random_batches(
    data: st.DataObject, chunk: int, nested: Map, tmp_path_factory: pytest.TempPathFactory
) -> None:
    records = data.draw(rating_records(nested, max_size=60))
    rs = RatingSet.from_records(nested, records)
    f = tmp_path_factory.mktemp("r") / "r.csv"
    f.write_text(dumps_ratings(rs))
    whole = icmaps.read_ratings(f, nested)
    c = count_ratings(f, nested, chunk_rows=chunk)
    _same_statistics(c, whole, "school")


def test_a_narrow_count_serves_its_grouping_and_names_what_else_to_keep() -> None:
    path = icmaps.example_ratings("learning-school")
    rs = icmaps.read_ratings(path, "learning-school")
    c = count_ratings(path, "learning-school", by=("district",))
    assert c.tally.by == ("district",)
    assert len(c.tally.count) < len(rs) / 4  # counts, not ratings
    assert icmaps.summarize(c, by="district") == icmaps.summarize(rs, by="district")
    with pytest.raises(NotFoundError, match=r"counted by \['district'\], not by 'subject'"):
        icmaps.fidelity(c)
    with pytest.raises(NotFoundError, match="no such column"):
        icmaps.summarize(c, by="school")


def _csv(tmp_path: Path, rows: list[str], name: str = "r.csv") -> Path:
    f = tmp_path / name
    f.write_text("subject,rater,occasion,component,code\n" + "".join(r + "\n" for r in rows))
    return f


ROW = "s1,r1,fall,al-teacher-routine,{}"


def test_repeats_across_batches_are_dropped_and_reported_with_their_line(tmp_path: Path) -> None:
    f = _csv(tmp_path, [ROW.format(2), "s1,r2,fall,al-teacher-routine,1", ROW.format(2)])
    # a narrow tally: the stream remembers the keys it has seen, and names the line
    c = count_ratings(f, "learning-school", by="occasion", chunk_rows=1, errors="collect")
    assert len(c) == 2
    assert [(p.line, p.severity) for p in c.problems] == [(4, "warning")]
    assert "(same as line 2)" in c.problems[0].message
    # a tally that keeps the keys finds the repeat in the counts (no line), as read_ratings
    whole = count_ratings(f, "learning-school", chunk_rows=1, errors="collect")
    assert whole.tally == icmaps.tally(icmaps.read_ratings(f, "learning-school"), whole.tally.by)
    assert [(p.line, p.severity) for p in whole.problems] == [(None, "warning")]
    assert whole.problems[0].message == (
        "repeated rating for subject 's1', rater 'r1', occasion 'fall', component "
        "'al-teacher-routine': a rating of it in 2 batches of the input; kept once"
    )
    # within one batch, the line is known
    one = count_ratings(f, "learning-school", errors="collect")
    assert [(p.line, p.severity) for p in one.problems] == [(4, "warning")]
    # trusted data: nothing kept, nothing looked for
    trusted = count_ratings(f, "learning-school", chunk_rows=1, duplicates="ignore")
    assert len(trusted) == 3
    assert trusted.problems == ()


def test_conflicts_across_batches_drop_the_key_as_read_ratings_does(tmp_path: Path) -> None:
    f = _csv(tmp_path, [ROW.format(2), "s1,r2,fall,al-teacher-routine,1", ROW.format(3)])
    want = icmaps.read_ratings(f, "learning-school", errors="collect")
    got = count_ratings(f, "learning-school", chunk_rows=1, errors="collect")
    assert got.tally == icmaps.tally(want.ratings, got.tally.by)
    assert len(got) == 1
    assert [p.severity for p in got.problems] == ["error"]
    assert "different batches of the input ('2', '3')" in got.problems[0].message


def test_problems_of_every_batch_and_file_are_collected(tmp_path: Path) -> None:
    a = _csv(tmp_path, [ROW.format(2), ROW.format(9)], "a.csv")
    b = _csv(tmp_path, ["s2,r1,fall,no-such,2", "s1,r2,fall,al-teacher-routine,3"], "b.csv")
    with pytest.raises(RatingsError) as info:
        count_ratings([a, b], "learning-school", chunk_rows=1)
    places = [(Path(p.path or "").name, p.line, p.severity) for p in info.value.problems]
    assert places == [("a.csv", 3, "error"), ("b.csv", 2, "error")]
    got = count_ratings(str(tmp_path / "*.csv"), "learning-school", errors="collect")
    assert len(got) == 2
    assert len(got.problems) == 2


def test_several_files_add_up_to_their_concatenation(tmp_path: Path) -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    fall, spring = rs.filter(occasion="2025-fall"), rs.filter(occasion="2026-spring")
    icmaps.write_ratings(fall, tmp_path / "fall.csv")
    icmaps.write_ratings(spring, tmp_path / "spring.jsonl")
    files = [tmp_path / "fall.csv", tmp_path / "spring.jsonl"]
    both = count_ratings(files, "learning-school")
    added = count_ratings(files[0], "learning-school") + count_ratings(files[1], "learning-school")
    assert both.tally == added.tally == icmaps.tally(rs, both.tally.by)
    assert icmaps.read_ratings(files, "learning-school") == fall + spring
    assert pickle.loads(pickle.dumps(both)).tally == both.tally


def test_an_attribute_only_some_files_have_is_blank_in_the_others(tmp_path: Path) -> None:
    a = _csv(tmp_path, [ROW.format(2)], "a.csv")
    b = tmp_path / "b.csv"
    b.write_text(
        "subject,rater,occasion,component,code,school\ns2,r1,fall,al-teacher-routine,1,x\n"
    )
    for files in ([a, b], [b, a]):
        rs = icmaps.read_ratings(files, "learning-school")
        c = count_ratings(files, "learning-school", by=("subject", "school"))
        assert c.tally == icmaps.tally(rs, ("subject", "school"))
        every = count_ratings(files, "learning-school", chunk_rows=1)
        assert every.attributes == ("school",)
        assert icmaps.tally(every, ("subject", "school")) == icmaps.tally(rs, ("subject", "school"))
        assert icmaps.summarize(every, by="school") == icmaps.summarize(rs, by="school")


def test_nothing_to_count_gives_empty_counts(tmp_path: Path) -> None:
    c = count_ratings(_csv(tmp_path, []), "learning-school", by="occasion")
    assert len(c) == 0
    assert c.tally.by == ("occasion",)
    assert icmaps.summarize(c, by="occasion").rows == ()


def test_tally_stack_adds_like_a_binary_counter() -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    stack = TallyStack()
    subjects = [s for s in rs.categories("subject") if s is not None]
    for s in subjects:
        stack.push(icmaps.tally(rs.filter(subject=s), "subject"))
        assert len(stack._stack) <= len(subjects).bit_length()
    assert stack.total() == icmaps.tally(rs, "subject")
    assert TallyStack().total() is None


def test_options_are_checked(tmp_path: Path) -> None:
    path = icmaps.example_ratings("learning-school")
    with pytest.raises(UsageError, match="errors must be"):
        count_ratings(path, "learning-school", errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no file matches"):
        count_ratings(str(tmp_path / "*.csv"), "learning-school")


def test_tallies_add_up_in_any_order_with_levels_intact() -> None:
    # a component met in one part and a special code met only in another: the pair's level
    # must come from the part that has it, whatever the order of adding
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    parts = [rs._take(list(range(i, min(i + 37, len(rs))))) for i in range(0, len(rs), 37)]
    tallies = [icmaps.tally(p, "district") for p in parts]
    whole = icmaps.summarize(rs, by="district")
    for ordered in (tallies, tallies[::-1], tallies[1::2] + tallies[::2]):
        total = ordered[0]
        for t in ordered[1:]:
            total = t + total
        assert total.cells == icmaps.tally(rs, "district").cells
        assert icmaps.Summary(rs.map, total).to_dict() == whole.to_dict()
