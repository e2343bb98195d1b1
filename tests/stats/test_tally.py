"""The counting core: a sparse, additive, picklable Tally and the vectorised decision rules."""

from __future__ import annotations

import pickle
import random
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.rules import LEVEL_MISSING, LEVEL_NA, decide
from icmaps.stats.tally import LevelCounts, MapRef, _unique_rows, decide_counts, tally
from tests.strategies import rating_records
from tests.tiny import tiny_map, tiny_ratings

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAPS = (tiny_map(), icmaps.load_map("learning-school"), icmaps.load_map("cbam-classroom-practice"))
BYS = st.sampled_from([(), ("occasion",), ("school", "rater"), ("subject", "occasion")])


@st.composite
def map_and_records(draw: st.DrawFn) -> tuple[Map, list[dict[str, Any]]]:
    m = draw(st.sampled_from(MAPS))
    return m, draw(rating_records(m, min_size=2))


@PROPS
@given(map_and_records(), BYS, st.data())
def test_tally_of_parts_adds_up_to_tally_of_the_whole(
    data: tuple[Map, list[dict[str, Any]]], by: tuple[str, ...], draw: st.DataObject
) -> None:
    m, records = data
    i = draw.draw(st.integers(1, len(records) - 1))
    a, b = RatingSet.from_records(m, records[:i]), RatingSet.from_records(m, records[i:])
    whole = tally(a + b, by)
    # categories differ between the parts (first-seen order); + aligns them by value
    assert tally(a, by) + tally(b, by) == whole
    assert tally(b, by) + tally(a, by) == whole
    assert (tally(a, by) + tally(b, by)).cells == whole.cells
    assert whole.total == len(records)


@PROPS
@given(map_and_records(), st.randoms(use_true_random=False))
def test_row_order_and_regrouping_do_not_matter(
    data: tuple[Map, list[dict[str, Any]]], rnd: random.Random
) -> None:
    m, records = data
    shuffled = list(records)
    rnd.shuffle(shuffled)
    a, b = RatingSet.from_records(m, records), RatingSet.from_records(m, shuffled)
    assert tally(a, ("school", "occasion")) == tally(b, ("school", "occasion"))
    assert tally(a, ("school", "occasion")).regroup("occasion") == tally(a, "occasion")
    assert tally(a, ("school", "occasion")).regroup(()) == tally(b)


def test_tally_pickles_small_and_references_the_map() -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    t = tally(rs, by=("subject", "occasion"))
    back = pickle.loads(pickle.dumps(t))
    assert back == t
    assert back.cells == t.cells
    assert t.map_ref == MapRef.of(rs.map)
    assert not any(isinstance(v, Map) for v in vars(t).values())
    assert len(pickle.dumps(t)) < 20_000


def test_tallies_of_different_maps_or_groupings_do_not_merge() -> None:
    rs = tiny_ratings()
    other = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    with pytest.raises(UsageError, match="cannot merge tallies of map 'tiny'"):
        tally(rs) + tally(other)
    edited = tiny_map().model_copy(update={"title": "Edited"})
    with pytest.raises(UsageError, match="same version, different content"):
        tally(rs) + tally(RatingSet.from_records(edited, rs.to_records()))
    with pytest.raises(UsageError, match="grouped by"):
        tally(rs, "occasion") + tally(rs, "rater")
    with pytest.raises(NotFoundError, match="cannot regroup by 'rater'"):
        tally(rs, "occasion").regroup("rater")


def test_to_dict_has_level_cells_and_code_counts() -> None:
    d = tally(tiny_ratings(), by="occasion").to_dict()
    assert d["map"]["id"] == "tiny"  # type: ignore[index]
    counts = d["counts"]
    assert {"key": ["fall"], "component": "c2", "code": "X", "n": 1} in counts  # type: ignore[operator]
    assert {"key": ["fall"], "component": "c2", "code": "4", "n": 1} in counts  # type: ignore[operator]
    assert {"key": ["fall"], "component": "c2", "code": "M", "n": 1} in counts  # type: ignore[operator]


# -- decisions from counts equal decisions from lists ---------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-2, 4), min_size=0, max_size=9),
    st.sampled_from(["modal", "median", "conservative"]),
)
def test_decide_counts_matches_decide(levels: list[int], rule: str) -> None:
    width = 5
    rated = np.zeros((1, width), dtype=np.int64)
    for v in levels:
        if v >= 0:
            rated[0, v] += 1
    na = np.array([levels.count(LEVEL_NA)])
    level, tie = decide_counts(rated, na, rule)
    want, tied = decide(levels or [LEVEL_MISSING], rule)
    assert int(level[0]) == want
    if tied:
        assert int(tie[0]) == tied[0]  # the other end of the tie
    else:
        assert int(tie[0]) == -1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.integers(-2, 3), max_size=7), min_size=1, max_size=12),
    st.sampled_from(["modal", "median", "conservative"]),
)
def test_decide_counts_decides_each_row_on_its_own(rows: list[list[int]], rule: str) -> None:
    # many rows at once (the vectorised path) give what each row alone gives
    rated = np.zeros((len(rows), 4), dtype=np.int64)
    for i, levels in enumerate(rows):
        for v in levels:
            if v >= 0:
                rated[i, v] += 1
    na = np.array([levels.count(LEVEL_NA) for levels in rows])
    level, tie = decide_counts(rated, na, rule)
    for i, levels in enumerate(rows):
        want, tied = decide(levels or [LEVEL_MISSING], rule)
        assert int(level[i]) == want
        assert int(tie[i]) == (tied[0] if tied else -1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2**40)), min_size=1, max_size=30))
def test_unique_rows_without_packing_overflow(rows: list[tuple[int, int]]) -> None:
    # three columns of up to 2**40 values cannot be packed into one int64: lexsort path
    arr = np.array([[a, b, b] for a, b in rows], dtype=np.int64)
    uniq, inverse = _unique_rows(arr)
    assert sorted(map(tuple, uniq.tolist())) == sorted(set(map(tuple, arr.tolist())))
    assert (uniq[inverse] == arr).all()
    # packs into int64 but is too sparse to count densely: sorted packed keys
    middle = np.column_stack([arr[:, 0], arr[:, 1] % 1_000_003, arr[:, 1] % 999_983])
    u3, i3 = _unique_rows(middle)
    assert (u3[i3] == middle).all()
    assert len(u3) == len(set(map(tuple, middle.tolist())))
    small = arr % 7
    u2, i2 = _unique_rows(small)  # dense counting path
    assert (u2[i2] == small).all()
    assert len(u2) == len(set(map(tuple, small.tolist())))


@PROPS
@given(map_and_records(), st.sampled_from(["modal", "median", "conservative"]), st.data())
def test_statistics_on_added_tallies_equal_statistics_on_the_union(
    data: tuple[Map, list[dict[str, Any]]], rule: str, draw: st.DataObject
) -> None:
    from icmaps.stats.fidelity import fidelity_from
    from icmaps.stats.tally import decide_tally, decisions

    m, records = data
    i = draw.draw(st.integers(1, len(records) - 1))
    a, b = RatingSet.from_records(m, records[:i]), RatingSet.from_records(m, records[i:])
    unit = ("subject", "occasion")
    merged = decide_tally(tally(a, unit) + tally(b, unit), rule)
    whole = decisions(a + b, unit, rule)
    assert merged.units == whole.units

    def by_key(d: Any) -> dict[tuple[Any, str], int]:
        return {
            (d.units[u], d.components[c]): lv
            for u, c, lv in zip(
                d.unit.tolist(), d.component.tolist(), d.level.tolist(), strict=True
            )
        }

    assert by_key(merged) == by_key(whole)
    options: dict[str, Any] = {"threshold": 0.5, "basis": "zone", "weights": True}
    options |= {"critical": True, "rule": rule}
    assert fidelity_from(m, merged, unit, ("occasion",), **options) == fidelity_from(
        m, whole, unit, ("occasion",), **options
    )


def test_regrouping_by_the_same_columns_is_the_same_tally() -> None:
    t = tally(tiny_ratings(), ("subject", "occasion"))
    assert t.regroup(("subject", "occasion")) is t  # no copy of a large tally
    assert t.regroup(("occasion", "subject")) == tally(tiny_ratings(), ("occasion", "subject"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 2)), max_size=40))
def test_sorted_runs_group_sorted_rows_as_unique_rows_does(
    rows: list[tuple[int, int, int]],
) -> None:
    from icmaps._grouping import sorted_runs

    arr = np.array(sorted(rows) or [(0, 0, 0)], dtype=np.int64)
    cols = [arr[:, j] for j in range(3)]
    got = sorted_runs(cols)
    assert got is not None
    want = _unique_rows(cols)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()
    if len(set(rows)) > 1:  # rows out of order are refused, not grouped wrongly
        assert sorted_runs([c[::-1].copy() for c in cols]) is None


@settings(max_examples=60, deadline=None)
@given(map_and_records(), st.data())
def test_code_lookup_shortcut_agrees_with_the_row_by_row_lookup(
    mr: tuple[Map, list[dict[str, Any]]], data: st.DataObject
) -> None:
    # maps without special codes on a level take a shortcut (no look at code rows); it
    # must give what the general row-by-row lookup gives
    m, records = mr
    lc = tally(RatingSet.from_records(m, records), by=("subject", "occasion")).level_counts()
    n = len(lc.counts)
    rows = np.asarray(
        data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8, unique=True))
    )  # distinct rows, as callers pass them
    widths = np.asarray([lc.tally.n_levels[c] for c in lc.component[rows]])
    levels = np.asarray([data.draw(st.integers(0, max(w - 1, 0))) for w in widths])
    own = np.asarray([data.draw(st.integers(-1, len(lc.tally.codes) - 1)) for _ in rows])
    fast = lc.given_at_index(rows, levels, own)
    with mock.patch.object(LevelCounts, "_own_categories", return_value=None):
        slow = lc.given_at_index(rows, levels, own)
    assert fast[0].tolist() == slow[0].tolist()
    assert fast[1].tolist() == slow[1].tolist()


def test_code_lookup_shortcut_is_taken_only_without_special_codes_on_levels() -> None:
    ls = icmaps.load_map("learning-school")  # N/A only: every level code is its own
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), ls)
    assert tally(rs, by="subject").level_counts()._own_categories() is not None
    # the tiny map's X counts as the lowest level: codes must be looked up row by row
    assert tally(tiny_ratings(), by="subject").level_counts()._own_categories() is None
