"""Tallies, summaries, consensus and fidelity: hand-computed cases, properties and the CLI."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Fidelity, Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.consensus import consensus
from icmaps.stats.fidelity import fidelity
from icmaps.stats.summary import Summary, summarize
from icmaps.stats.tally import Cell, tally

from .conftest import run_cli, run_subprocess
from .strategies import maps, rating_records
from .tiny import tiny_map, tiny_ratings, tiny_records

PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAMPLE = icmaps.example_ratings("learning-school")


@pytest.fixture(scope="module")
def m() -> Map:
    return tiny_map()


@pytest.fixture(scope="module")
def rs(m: Map) -> RatingSet:
    return tiny_ratings(m)


# -- tallies and summaries: hand-computed ---------------------------------------------------


def test_tally_counts(rs: RatingSet) -> None:
    t = tally(rs, by="occasion")
    assert t.group_keys() == (("fall",), ("spring",))
    assert dict(t.cells) == {
        (("fall",), "c1"): Cell((1, 1, 1, 0), na=1, missing=0),
        (("fall",), "c2"): Cell((0, 1, 0, 2), na=0, missing=1),  # X counts as the lowest level
        (("fall",), "c3"): Cell((2, 1), na=0, missing=1),
        (("spring",), "c1"): Cell((1, 1, 0, 0)),
        (("spring",), "c2"): Cell((1, 0, 1, 0)),
        (("spring",), "c3"): Cell((1, 1)),
    }
    assert t.total == len(rs) == 18


def test_summary_component_rows(rs: RatingSet) -> None:
    s = summarize(rs, by=["occasion"])
    c1 = s.row("c1", key=("fall",))
    assert (c1.codes, c1.counts, c1.n, c1.na, c1.missing) == (
        ("1", "2", "3", "4"),
        (1, 1, 1, 0),
        3,
        1,
        0,
    )
    assert c1.shares == pytest.approx((1 / 3, 1 / 3, 1 / 3, 0.0))
    assert c1.share_ideal == pytest.approx(1 / 3)
    assert c1.share_ideal_or_acceptable == pytest.approx(2 / 3)
    # the percentages are kept for compatibility: the shares x 100
    assert c1.pct == pytest.approx((100 / 3, 100 / 3, 100 / 3, 0.0))
    assert c1.pct_ideal == pytest.approx(100 / 3)
    assert c1.pct_ideal_or_acceptable == pytest.approx(200 / 3)
    assert (c1.mean_score, c1.median_score) == (2.0, 2.0)
    c2 = s.row("c2", key=("fall",))
    assert (c2.counts, c2.n, c2.missing, c2.share_ideal) == ((0, 1, 0, 2), 3, 1, 0.0)
    assert c2.mean_score == pytest.approx(2 / 3)
    assert c2.median_score == 0.0
    c3 = s.row("c3", key=("fall",))
    assert (c3.counts, c3.n, c3.missing, c3.mean_score, c3.median_score) == (
        (2, 1),
        3,
        1,
        None,
        None,
    )
    assert c3.distribution() == {"a": 2, "b": 1}


def test_summary_rollups(rs: RatingSet) -> None:
    s = summarize(rs, by="occasion")
    assert [(r.scope, r.id, r.depth) for r in s.rows if r.key == ("fall",)] == [
        ("map", "tiny", 0),
        ("role", "teacher", 1),
        ("role", "coach", 1),
        ("group", "g1", 1),
        ("component", "c1", 2),
        ("component", "c2", 2),
        ("group", "g1a", 2),
        ("component", "c3", 3),
    ]
    g1 = s.row("g1", key=("fall",))
    # c3 is on another scale: no common distribution, but zones and scores still add up
    assert (g1.counts, g1.n, g1.na, g1.missing) == (None, 9, 1, 2)
    assert (g1.n_ideal, g1.n_acceptable, g1.n_unacceptable) == (3, 2, 4)
    assert g1.share_ideal == pytest.approx(1 / 3)
    assert g1.share_ideal_or_acceptable == pytest.approx(5 / 9)
    assert g1.mean_score == pytest.approx(8 / 6)  # scores of c1 and c2 only: 3 2 1 2 0 0
    assert g1.median_score == 1.5
    assert s.row("tiny", key=("fall",)) == g1.__class__(
        **{
            **{f: getattr(g1, f) for f in g1.__slots__},
            "scope": "map",
            "id": "tiny",
            "kind": "map",
            "title": "Tiny",
            "depth": 0,
        }
    )
    teacher = s.row("teacher", key=("fall",), scope="role")
    assert (teacher.counts, teacher.n, teacher.na, teacher.missing) == ((1, 2, 1, 2), 6, 1, 1)
    assert teacher.share_ideal_or_acceptable == 0.5
    g1a = s.row("g1a", key=("fall",))
    assert (g1a.counts, g1a.kind) == ((2, 1), "construct")
    with pytest.raises(NotFoundError):
        s.row("c1", key=("winter",))


def test_summary_without_grouping_and_by_attribute(rs: RatingSet) -> None:
    s = summarize(rs)
    assert s.by == ()
    assert s.row("c1").counts == (2, 2, 1, 0)
    by_school = summarize(rs, by=["school", "occasion"])
    assert by_school.group_keys() == (
        ("north", "fall"),
        ("north", "spring"),
        ("south", "fall"),
        ("south", "spring"),
    )
    assert by_school.row("c2", key=("south", "fall")).counts == (0, 0, 0, 1)
    with pytest.raises(UsageError, match="cannot group by 'code'"):
        summarize(rs, by="code")
    with pytest.raises(NotFoundError, match="cannot group by 'colour'"):
        summarize(rs, by="colour")


def test_summary_outputs(rs: RatingSet) -> None:
    s = summarize(rs, by="occasion")
    text = str(s).splitlines()
    assert text[0].split() == [
        "occasion", "row", "n", "N/A", "missing", "counts", "(desired", "first)", "%", "ideal",
        "%", "ideal+acc", "mean", "median",
    ]  # fmt: skip
    assert text[2].split() == ["fall", "[map]", "tiny", "9", "1", "2", "33.3%", "55.6%", "1.33",
                               "1.50"]  # fmt: skip
    assert text[6].split() == ["fall", "c1", "3", "1", "0", "1/1/1/0", "33.3%", "66.7%", "2.00",
                               "2.00"]  # fmt: skip
    rec = s.to_records()[4]
    assert rec["occasion"] == "fall"
    assert rec["id"] == "c1"
    assert rec["distribution"] == "1:1 2:1 3:1 4:0"
    assert (rec["share_ideal"], rec["share_ideal_or_acceptable"]) == (1 / 3, 2 / 3)
    assert "pct_ideal" not in rec
    d = s.to_dict()
    assert d["by"] == ["occasion"]
    row = d["rows"][4]  # type: ignore[index]
    assert row["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 0}
    assert row["shares"] == [1 / 3, 1 / 3, 1 / 3, 0.0]
    assert s.to_csv().splitlines()[0].startswith("occasion,scope,id,kind,title,n,na,missing")
    df = s.to_pandas()
    assert list(df.columns) == list(s.columns())
    assert len(df) == len(s.rows)
    assert repr(s) == "<Summary of 'tiny' by ['occasion']: 2 groups, 16 rows, 18 ratings>"


def test_merge_refuses_different_groupings(rs: RatingSet) -> None:
    with pytest.raises(UsageError, match="grouped by"):
        summarize(rs, by="occasion").merge(summarize(rs, by="school"))
    other = icmaps.read_ratings(EXAMPLE, "learning-school")
    assert isinstance(other, RatingSet)
    with pytest.raises(UsageError, match="cannot merge tallies of map"):
        summarize(rs).merge(summarize(other))


def test_summary_of_the_bundled_example_matches_a_direct_count() -> None:
    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    assert isinstance(rs, RatingSet)
    s = summarize(rs, by="occasion")
    rated = set(rs.categories("component"))
    for key in s.group_keys():
        for comp in rs.map.iter_components():
            if comp.id not in rated:  # a component the example does not rate has no row
                with pytest.raises(NotFoundError):
                    s.row(comp.id, key=key)
                continue
            codes = [r.code for r in rs if r.occasion == key[0] and r.component == comp.id]
            row = s.row(comp.id, key=key)
            assert row.n + row.na + row.missing == len(codes)
            assert row.missing == codes.count(None)
            assert row.na == codes.count("NA")
            assert row.distribution() == {
                c: codes.count(c) for c in rs.map.scale_of(comp.id).codes()
            }


# -- tallies and summaries: properties ------------------------------------------------------


@st.composite
def map_and_records(draw: st.DrawFn) -> tuple[Map, list[dict[str, Any]]]:
    m = Map.model_validate(draw(maps()))
    return m, draw(rating_records(m, min_size=3))


FIXED_MAPS = (
    tiny_map(),
    icmaps.load_map("learning-school"),
    icmaps.load_map("cbam-classroom-practice"),
)


@st.composite
def fixed_map_and_records(draw: st.DrawFn) -> tuple[Map, list[dict[str, Any]]]:
    m = draw(st.sampled_from(FIXED_MAPS))
    return m, draw(rating_records(m, min_size=3))


BYS = st.sampled_from([(), ("occasion",), ("school", "rater"), ("role",), ("subject",)])


@PROPS
@given(map_and_records(), BYS)
def test_percentages_sum_to_100_and_counts_add_up(
    data: tuple[Map, list[dict[str, Any]]], by: tuple[str, ...]
) -> None:
    m, records = data
    rs = RatingSet.from_records(m, records)
    s = summarize(rs, by=by)
    for row in s.rows:
        if row.shares is not None:
            assert math.isclose(sum(row.shares), 1.0)
        if row.n:
            assert row.n_ideal + row.n_acceptable + row.n_unacceptable == row.n
    total = sum(r.n + r.na + r.missing for r in s.rows if r.scope == "map")
    assert total == len(rs) == s.tally.total


@PROPS
@given(map_and_records(), BYS, st.data())
def test_merge_equals_summary_of_the_union(
    data: tuple[Map, list[dict[str, Any]]], by: tuple[str, ...], draw: st.DataObject
) -> None:
    m, records = data
    i = draw.draw(st.integers(1, len(records) - 1))
    j = draw.draw(st.integers(i, len(records) - 1))
    a = RatingSet.from_records(m, records[:i])
    b = RatingSet.from_records(m, records[i:j] or records[j:])
    c = RatingSet.from_records(m, records[j:])
    sa, sb, sc = summarize(a, by), summarize(b, by), summarize(c, by)
    assert summarize(a + b, by) == sa.merge(sb)
    assert sa.merge(sb).merge(sc) == sa.merge(sb.merge(sc))  # associative
    assert sa.merge(sb) == sb.merge(sa)  # and commutative
    assert sa.merge(sb).rows == summarize(a + b, by).rows


@PROPS
@given(fixed_map_and_records(), BYS, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(
    data: tuple[Map, list[dict[str, Any]]], by: tuple[str, ...], rnd: random.Random
) -> None:
    m, records = data
    shuffled = list(records)
    rnd.shuffle(shuffled)
    a, b = (
        summarize(RatingSet.from_records(m, records), by),
        summarize(RatingSet.from_records(m, shuffled), by),
    )
    assert a == b
    assert str(a) == str(b)


@PROPS
@given(fixed_map_and_records(), st.sampled_from([(), ("occasion",), ("school", "rater")]))
def test_renaming_subjects_does_not_matter(
    data: tuple[Map, list[dict[str, Any]]], by: tuple[str, ...]
) -> None:
    m, records = data
    renamed = [{**r, "subject": "renamed-" + str(r["subject"])[::-1]} for r in records]
    a = summarize(RatingSet.from_records(m, records), by)
    b = summarize(RatingSet.from_records(m, renamed), by)
    assert a == b
    assert a.rows == b.rows


# -- consensus ------------------------------------------------------------------------------


def test_consensus_modal(rs: RatingSet) -> None:
    one, report = consensus(rs, "modal")
    got = {(r.subject, r.occasion, r.component): r.code for r in one}
    assert got == {
        ("s1", "fall", "c1"): "2",  # 1 vs 2: tie, the less desired wins
        ("s1", "fall", "c2"): "X",  # 2 vs X (lowest): tie; X is the code given at that level
        ("s1", "fall", "c3"): "b",
        ("s2", "fall", "c1"): "3",  # NA is overruled by the rated level
        ("s2", "fall", "c2"): "4",  # M counts as missing
        ("s2", "fall", "c3"): "a",
        ("s1", "spring", "c1"): "1",
        ("s1", "spring", "c2"): "1",
        ("s1", "spring", "c3"): "a",
        ("s2", "spring", "c1"): "2",
        ("s2", "spring", "c2"): "3",
        ("s2", "spring", "c3"): "b",
    }
    assert set(one.column("rater")) == {"consensus"}
    assert one.column("school")[:3] == ["north"] * 3
    assert (report.cells, report.single, report.unanimous) == (12, 6, 0)
    assert [(t.subject, t.component, t.candidates, t.chosen) for t in report.ties] == [
        ("s1", "c1", ("1", "2"), "2"),
        ("s1", "c2", ("2", "4"), "X"),
        ("s1", "c3", ("a", "b"), "b"),
    ]
    assert report.na_overruled == (("s2", "fall", "c1"),)
    assert str(report).splitlines()[0] == (
        "consensus (modal) of 12 cells: 6 with one rating, 0 unanimous, 3 ties, "
        "1 with N/A overruled"
    )
    assert report.to_dict()["ties"][0]["given"] == "1 2"  # type: ignore[index]


def test_consensus_rules_differ() -> None:
    m = tiny_map()
    recs = [
        {"subject": "s", "rater": f"r{i}", "occasion": "o", "component": "c1", "code": code}
        for i, code in enumerate(["1", "1", "3", "4"])
    ]
    rs = RatingSet.from_records(m, recs)
    codes = {rule: next(iter(consensus(rs, rule)[0])).code for rule in
             ("modal", "median", "conservative")}  # fmt: skip
    assert codes == {"modal": "1", "median": "3", "conservative": "4"}
    assert [t.candidates for t in consensus(rs, "median")[1].ties] == [("1", "3")]
    assert consensus(rs, "conservative")[1].ties == ()
    na_only = RatingSet.from_records(
        m, [{"subject": "s", "rater": "r", "occasion": "o", "component": "c1", "code": "NA"}]
    )
    assert [(r.code, r.status) for r in consensus(na_only)[0]] == [("NA", "na")]
    with pytest.raises(UsageError, match="rule must be one of"):
        consensus(rs, "mean")  # type: ignore[arg-type]


def test_consensus_unanimous_needs_the_same_level_code_from_every_rater() -> None:
    m = tiny_map()
    given = {
        "both-1": ("1", "1"),
        "both-X": ("X", "X"),  # a special code counting as the lowest level: a level
        "both-blank": (None, None),
        "both-NA": ("NA", "NA"),
        "both-M": ("M", "M"),
        "1-and-blank": ("1", None),
        "1-and-2": ("1", "2"),
    }
    recs = [
        {"subject": s, "rater": f"r{i}", "occasion": "o", "component": "c1", "code": code}
        for s, codes in given.items()
        for i, code in enumerate(codes)
    ]
    _, report = consensus(RatingSet.from_records(m, recs))
    assert (report.cells, report.single, report.unanimous) == (7, 0, 2)


# -- fidelity -------------------------------------------------------------------------------


def test_fidelity_zone_basis(rs: RatingSet) -> None:
    f = fidelity(rs)
    assert (f.threshold, f.basis) == (0.8, "zone")
    got = [(u.key, u.index, u.rated, u.critical_failed, u.status) for u in f.units]
    assert got == [
        (("s1", "fall"), 0.5, 3, (), "below threshold"),
        (("s1", "spring"), 1.0, 3, (), "fidelity"),
        (("s2", "fall"), 0.25, 3, ("c1",), "critical failed"),
        (("s2", "spring"), 0.5, 3, (), "below threshold"),
    ]
    groups = [
        (g.key, g.units, g.rated, g.meeting, g.critical_failed, g.mean_index) for g in f.groups
    ]
    assert groups == [(("fall",), 2, 2, 0, 1, 0.375), (("spring",), 2, 2, 1, 0, 0.75)]
    assert f.groups[1].share_meeting == 0.5
    assert f.groups[1].pct_meeting == 50.0  # kept for compatibility
    assert f.unit("s1", "spring").meets


def test_fidelity_options(rs: RatingSet, m: Map) -> None:
    score = fidelity(rs, basis="score")
    assert score.unit("s1", "fall").index == pytest.approx(1 / 3)  # (2/3 * 2 + 0 + 0) / 4
    assert score.unit("s1", "spring").index == 1.0
    unweighted = fidelity(rs, weights=False)
    assert unweighted.unit("s1", "fall").index == pytest.approx(1 / 3)
    no_gate = fidelity(rs, critical=False)
    assert no_gate.unit("s2", "fall").status == "below threshold"
    assert fidelity(rs, threshold=0.5).unit("s1", "fall").status == "fidelity"
    conservative = fidelity(rs, rule="conservative")
    assert conservative.unit("s1", "fall").index == 0.5
    by_school = fidelity(rs, by=["school"])
    assert by_school.unit_columns == ("subject", "occasion", "school")
    assert [g.key for g in by_school.groups] == [("north",), ("south",)]
    with pytest.raises(UsageError, match="threshold must be between 0 and 1"):
        fidelity(rs, threshold=80)
    with pytest.raises(UsageError, match="cannot group by 'rater'"):
        fidelity(rs, by="rater")


def test_fidelity_threshold_comes_from_the_map(m: Map) -> None:
    ruled = m.model_copy(update={"fidelity": Fidelity(threshold=0.5, basis="zone")})
    rs = RatingSet.from_records(ruled, tiny_records())
    f = fidelity(rs)
    assert (f.threshold, f.basis) == (0.5, "zone")
    assert f.unit("s1", "fall").status == "fidelity"
    # another basis than the map's rule: the default threshold
    assert fidelity(rs, basis="score").threshold == 0.8
    pbis = icmaps.load_map("pbis-tfi")
    assert pbis.fidelity is not None
    one = RatingSet.from_records(
        pbis,
        [
            {"subject": "s", "rater": "r", "occasion": "o", "component": c.id, "code": "2"}
            for c in pbis.iter_components()
        ],
    )
    f2 = fidelity(one)
    assert (f2.threshold, f2.basis, f2.units[0].index) == (0.7, "score", 1.0)


def test_fidelity_outputs(rs: RatingSet) -> None:
    f = fidelity(rs)
    lines = str(f).splitlines()
    assert lines[0] == "fidelity: zone index >= 0.8, weighted, critical components gate"
    assert lines[5].split() == ["s1", "spring", "1.000", "3", "fidelity"]
    assert f.to_records()[2] == {
        "subject": "s2",
        "occasion": "fall",
        "index": 0.25,
        "rated": 3,
        "critical_failed": "c1",
        "status": "critical failed",
        "meets": False,
    }
    assert f.to_dict()["groups"][0]["share_meeting"] == 0.0  # type: ignore[index]
    assert list(f.to_pandas("groups").columns)[:2] == ["occasion", "units"]
    assert f.to_csv().splitlines()[0] == "subject,occasion,index,rated,critical_failed,status,meets"


# -- CLI ------------------------------------------------------------------------------------


def test_cli_summarize() -> None:
    code, out, err = run_cli("summarize", "learning-school", EXAMPLE, "--by", "occasion")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["occasion", "row", "n"]
    assert lines[2].split()[:6] == ["2025-fall", "[map]", "learning-school", "273", "3", "4"]
    code, out, _ = run_cli(
        "summarize", "learning-school", EXAMPLE, "--by", "occasion", "district", "--format",
        "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["by"] == ["occasion", "district"]
    code, out, _ = run_cli("summarize", "learning-school", EXAMPLE, "--format", "csv",
                           "--consensus", "median", "--role", "principal")  # fmt: skip
    assert code == 0
    assert out.splitlines()[1].startswith("map,learning-school,map,Learning school,")
    code, _, err = run_cli("summarize", "learning-school", EXAMPLE, "--by", "colour")
    assert code == 2
    assert "cannot group by 'colour'" in err


def test_cli_fidelity() -> None:
    code, out, err = run_cli("fidelity", "learning-school", EXAMPLE, "--threshold", "0.6")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "fidelity: zone index >= 0.6, weighted, critical components gate"
    code, out, _ = run_cli(
        "fidelity", "learning-school", EXAMPLE, "--basis", "score", "--no-critical",
        "--no-weights", "--format", "json",
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert (d["basis"], d["critical"], d["weights"]) == ("score", False, False)
    code, _, err = run_cli("fidelity", "learning-school", "missing.csv")
    assert code == 2


def test_cli_summarize_subprocess() -> None:
    proc = run_subprocess("summarize", "learning-school", EXAMPLE, "--by", "occasion")
    assert proc.returncode == 0, proc.stderr
    assert "[characteristic] adult-learning" in proc.stdout


def test_summary_type_is_exported() -> None:
    assert icmaps.Summary is Summary
    assert icmaps.summarize is summarize


def test_tally_records(rs: RatingSet) -> None:
    t = tally(rs, by="occasion")
    assert t.to_records()[1] == {
        "occasion": "fall",
        "component": "c2",
        "level_0": 0,
        "level_1": 1,
        "level_2": 0,
        "level_3": 2,
        "na": 0,
        "missing": 1,
    }
    assert t.to_records()[2]["level_2"] is None  # c3 has two levels
    assert len(t.to_pandas()) == 6
    assert t.to_dict()["cells"][0] == {  # type: ignore[index]
        "key": ["fall"],
        "component": "c1",
        "levels": [1, 1, 1, 0],
        "na": 1,
        "missing": 0,
    }
    assert repr(t) == "<Tally of 'tiny' by ['occasion']: 2 groups, 18 ratings>"


# -- plotting a summary ---------------------------------------------------------------------


def _ideal_widths(fig: Any) -> dict[str, float]:
    """Width of the ideal bar per component label."""
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return dict(zip(labels, [p.get_width() for p in ax.patches[: len(labels)]], strict=True))


def test_plot_summary_picks_the_occasion_column_only(rs: RatingSet) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from icmaps.plot import distribution_bars

    s = summarize(rs, by=["school", "occasion"])
    # the last group with occasion "spring" is (south, spring): s2 rated c1 2, c2 3, c3 b
    assert _ideal_widths(distribution_bars(s, occasion="spring")) == {
        "One": 0.0,
        "Two": 0.0,
        "Three": 0.0,
    }
    with pytest.raises(NotFoundError, match=r"no occasion 'north' .*occasions: fall, spring"):
        distribution_bars(s, occasion="north")  # a school, not an occasion
    with pytest.raises(NotFoundError, match="no occasion 'winter'"):
        distribution_bars(s, occasion="winter")
    with pytest.raises(UsageError, match="not grouped by occasion"):
        distribution_bars(summarize(rs, by="school"), occasion="fall")


def test_plot_summary_last_group_sorts_blanks_last(m: Map) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from icmaps.plot import distribution_bars

    recs = [{**r, "school": r["school"] if r["subject"] == "s1" else None} for r in tiny_records()]
    s = summarize(RatingSet.from_records(m, recs), by="school")
    assert s.group_keys() == (("north",), (None,))
    # the last group is the blank school (s2): c1 NA 3 2, c2 M 4 3, c3 blank a b
    assert _ideal_widths(distribution_bars(s))["Three"] == 50.0


def test_fidelity_lists_failed_critical_components_in_map_order() -> None:
    m = icmaps.load_map("learning-school")
    critical = [c.id for c in m.iter_components() if c.critical]
    assert len(critical) >= 3
    recs = [
        {
            "subject": "s",
            "rater": "r",
            "occasion": "o",
            "component": cid,
            "code": m.scale_of(cid).desired()[-1].code,  # the least desired level
        }
        for cid in reversed(critical)  # rated in the reverse of map order
    ]
    recs.append(
        {
            "subject": "t",
            "rater": "r",
            "occasion": "o",
            "component": critical[0],
            "code": m.scale_of(critical[0]).desired()[0].code,
        }
    )
    f = fidelity(RatingSet.from_records(m, recs))
    assert f.unit("s", "o").critical_failed == tuple(critical)
    assert f.unit("s", "o").status == "critical failed"
    assert (f.unit("t", "o").critical_failed, f.unit("t", "o").status) == ((), "fidelity")
