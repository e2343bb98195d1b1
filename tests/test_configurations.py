"""Configurations: ordinal distance, average linkage, cuts, determinism, scipy cross-check."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import UsageError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.clustering import Configurations, configurations, profile_distance

from .tiny import tiny_map, tiny_ratings

LEVELS = ("1", "2", "3", "4")


def _ratings(m: Map, profiles: dict[str, tuple[str | None, ...]]) -> RatingSet:
    comps = [c.id for c in m.iter_components()]
    return RatingSet.from_records(
        m,
        [
            {"subject": s, "rater": "r", "occasion": "fall", "component": c, "code": code}
            for s, codes in profiles.items()
            for c, code in zip(comps, codes, strict=False)
        ],
    )


@pytest.fixture(scope="module")
def m() -> Map:
    return tiny_map()


def test_profile_distance() -> None:
    n = {"c1": 4, "c2": 4, "c3": 2, "one": 1}
    assert profile_distance({"c1": 0, "c2": 0}, {"c1": 0, "c2": 1}, n) == pytest.approx(1 / 6)
    assert profile_distance({"c1": 0, "c3": 0}, {"c1": 3, "c3": 1}, n) == 1.0
    assert profile_distance({"c1": 0, "one": 0}, {"c1": 0, "one": 0}, n) == 0.0
    assert profile_distance({"c1": 0}, {"c2": 0}, n) == 1.0  # nothing in common


def test_hand_computed_tree(m: Map) -> None:
    # levels on c1, c2 (4 levels each): a (0,0) b (0,1) c (3,3) d (3,2)
    rs = _ratings(m, {"a": ("1", "1"), "b": ("1", "2"), "c": ("4", "4"), "d": ("4", "3")})
    conf = configurations(rs)
    assert conf.components == ("c1", "c2")
    assert conf.units == (("a", "fall"), ("b", "fall"), ("c", "fall"), ("d", "fall"))
    # d(a,b) = d(c,d) = 1/6 (a tie: the pair with the first ids merges first);
    # then mean of d(a,c)=1, d(a,d)=5/6, d(b,c)=5/6, d(b,d)=2/3 -> 5/6
    assert [(x.left, x.right, x.size) for x in conf.merges] == [(0, 1, 2), (2, 3, 2), (4, 5, 4)]
    assert [x.distance for x in conf.merges] == pytest.approx([1 / 6, 1 / 6, 5 / 6])
    assert [c.members for c in conf.clusters] == [
        (("a", "fall"), ("b", "fall")),
        (("c", "fall"), ("d", "fall")),
    ]
    first = conf.clusters[0]
    assert first.profile == {"c1": "1", "c2": "2"}  # c2: 1 vs 2, a tie: the less desired
    assert first.cohesion == pytest.approx(1 / 6)
    assert conf.clusters[1].profile == {"c1": "4", "c2": "4"}
    assert conf.cluster_of("d", "fall").id == 2
    assert [c.size for c in configurations(rs, k=1).clusters] == [4]
    assert [c.size for c in configurations(rs, k=3).clusters] == [2, 1, 1]
    assert [c.size for c in configurations(rs, k=9).clusters] == [1, 1, 1, 1]
    assert [c.size for c in configurations(rs, distance=0.9).clusters] == [4]
    assert [c.size for c in configurations(rs, distance=0.1).clusters] == [1, 1, 1, 1]
    assert configurations(rs, distance=0).clusters[3].cohesion is None


def test_missing_na_and_restricting_components(m: Map) -> None:
    rs = _ratings(m, {"a": ("1", None, "a"), "b": ("NA", "1", "a"), "c": (None, None, None)})
    conf = configurations(rs, k=1)
    assert conf.units == (("a", "fall"), ("b", "fall"))  # c has nothing rated
    # a and b share only c3 (same level): distance 0
    assert conf.merges[0].distance == 0.0
    only_c1 = configurations(rs, components=["c1"])
    assert only_c1.units == (("a", "fall"),)
    assert configurations(rs.filter(subject="c")).clusters == ()


def test_errors(m: Map) -> None:
    rs = tiny_ratings(m)
    with pytest.raises(UsageError, match="either distance or k"):
        configurations(rs, distance=0.2, k=2)
    with pytest.raises(UsageError, match="k must be at least 1"):
        configurations(rs, k=0)
    with pytest.raises(UsageError, match="distance must be >= 0"):
        configurations(rs, distance=-1)


def test_outputs(m: Map) -> None:
    rs = _ratings(m, {"a": ("1", "1"), "b": ("1", "2"), "c": ("4", "4"), "d": ("4", "3")})
    conf = configurations(rs)
    lines = str(conf).splitlines()
    assert lines[0] == (
        "2 configurations of 4 subject x occasion profiles (average linkage, cut at distance 0.25)"
    )
    assert lines[2].split() == ["subject", "occasion", "cluster", "size"]
    assert [line.split() for line in lines[4:8]] == [
        ["a", "fall", "1", "2"],
        ["b", "fall", "1", "2"],
        ["c", "fall", "2", "2"],
        ["d", "fall", "2", "2"],
    ]
    assert lines[9] == "profiles:"
    assert lines[10].split() == ["component", "#1", "(2)", "#2", "(2)"]
    assert lines[12].split() == ["c1", "1", "4"]
    assert lines[-1].split() == ["cohesion", "0.167", "0.167"]
    assert conf.to_records()[0] == {"subject": "a", "occasion": "fall", "cluster": 1, "size": 2}
    d = conf.to_dict()
    assert d["clusters"][1]["members"] == [  # type: ignore[index]
        {"subject": "c", "occasion": "fall"},
        {"subject": "d", "occasion": "fall"},
    ]
    assert conf.linkage()[2] == [4, 5, pytest.approx(5 / 6), 4]
    assert len(conf.to_pandas()) == 4
    assert conf.to_csv().splitlines()[0] == "subject,occasion,cluster,size"


def test_configurations_is_a_plain_function_that_pickles() -> None:
    import pickle

    rs = tiny_ratings()
    assert isinstance(icmaps.configurations(rs), Configurations)
    assert isinstance(pickle.loads(pickle.dumps(icmaps.configurations))(rs, k=2), Configurations)


# -- determinism ----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,3}", fullmatch=True),
        st.tuples(*(st.sampled_from([*LEVELS, None]),) * 2),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
    st.integers(1, 5),
)
def test_row_order_does_not_change_the_clusters(
    profiles: dict[str, tuple[str | None, ...]], rnd: random.Random, k: int
) -> None:
    m = tiny_map()
    rs = _ratings(m, profiles)
    records = rs.to_records()
    rnd.shuffle(records)
    shuffled = RatingSet.from_records(m, records)
    for kw in ({"k": k}, {}):
        a, b = configurations(rs, **kw), configurations(shuffled, **kw)  # type: ignore[arg-type]
        assert a == b


# -- cross-check against scipy --------------------------------------------------------------


def test_same_tree_as_scipy() -> None:
    hierarchy = pytest.importorskip("scipy.cluster.hierarchy")
    distance = pytest.importorskip("scipy.spatial.distance")
    np = pytest.importorskip("numpy")
    m = icmaps.load_map("learning-school")
    comps = [c.id for c in m.iter_components()]
    rng = random.Random(7)
    records = []
    for s in range(25):
        for c in comps:
            codes = list(m.scale_of(c).codes())
            code = rng.choice([*codes, None]) if rng.random() > 0.1 else None
            records.append(
                {"subject": f"s{s:02d}", "rater": "r", "occasion": "o", "component": c,
                 "code": code}
            )  # fmt: skip
    rs = RatingSet.from_records(m, records)
    conf = configurations(rs, distance=0.3)
    # distances computed independently, in pure Python
    levels = {u: {} for u in conf.units}  # type: ignore[var-annotated]
    for r in rs:
        if r.level is not None:
            levels[(r.subject, r.occasion)][r.component] = r.level
    n_levels = {c: len(m.scale_of(c).levels) for c in comps}
    units = conf.units
    d = np.array([[profile_distance(levels[a], levels[b], n_levels) for b in units] for a in units])
    z = hierarchy.linkage(distance.squareform(d, checks=False), method="average")
    assert np.allclose(np.array(conf.linkage()), z)
    flat = hierarchy.fcluster(z, t=0.3, criterion="distance")
    ours = {u: c.id for c in conf.clusters for u in c.members}
    pairs = [(flat[i] == flat[j], ours[units[i]] == ours[units[j]]) for i in range(25)
             for j in range(i)]  # fmt: skip
    assert all(x == y for x, y in pairs)


def _brute_force_upgma(d: list[list[float]]) -> list[tuple[int, int, float, int]]:
    """Average linkage the slow, obvious way: scan every pair at every step."""
    n = len(d)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    slot_id = {i: i for i in range(n)}  # slot (smallest member) -> scipy id
    out = []
    for step in range(n - 1):
        live = sorted(members)
        best: tuple[float, int, int] | None = None
        for a in live:
            for b in live:
                if a < b:
                    dist = sum(d[x][y] for x in members[a] for y in members[b]) / (
                        len(members[a]) * len(members[b])
                    )
                    if best is None or dist < best[0] - 1e-12:
                        best = (dist, a, b)
        assert best is not None
        dist, a, b = best
        left, right = sorted((slot_id[a], slot_id[b]))
        members[a] += members.pop(b)
        out.append((left, right, dist, len(members[a])))
        slot_id[a] = n + step
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=2, max_size=9))
def test_ties_are_broken_by_ids_like_the_obvious_algorithm(rows: list[list[int]]) -> None:
    from icmaps.stats.clustering import _average_linkage

    np = pytest.importorskip("numpy")
    d = [[sum(abs(a - b) for a, b in zip(r, s, strict=True)) / 9 for s in rows] for r in rows]
    ours = [(x.left, x.right, x.distance, x.size) for x in _average_linkage(np.array(d))]
    slow = _brute_force_upgma(d)
    assert [(a, b, s) for a, b, _, s in ours] == [(a, b, s) for a, b, _, s in slow]
    assert [x[2] for x in ours] == pytest.approx([x[2] for x in slow])


def test_to_dict_is_json_serialisable() -> None:
    import json

    import icmaps

    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    conf = icmaps.configurations(rs, k=2)
    text = json.dumps(conf.to_dict())
    assert json.loads(text)["clusters"]
