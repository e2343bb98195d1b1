"""Growth between occasions, groups side by side and gaps to a target."""

from __future__ import annotations

import json

import pytest

import icmaps
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.gaps import gap_to_target
from icmaps.stats.growth import Comparison, compare, compare_groups

from .conftest import run_cli, run_subprocess
from .tiny import tiny_map, tiny_ratings

EXAMPLE = icmaps.example_ratings("learning-school")


@pytest.fixture(scope="module")
def m() -> Map:
    return tiny_map()


@pytest.fixture(scope="module")
def rs(m: Map) -> RatingSet:
    return tiny_ratings(m)


# Per subject (median of raters), desired-first levels:
#   fall:   s1 c1 1, c2 3, c3 1 | s2 c1 2, c2 3, c3 0
#   spring: s1 c1 0, c2 0, c3 0 | s2 c1 1, c2 2, c3 1


def test_compare_transitions(rs: RatingSet) -> None:
    c = compare(rs, by="occasion", base="fall", other="spring")
    c1 = c.component("c1")
    assert c1.matrix == ((0, 0, 0, 0), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 0, 0))
    assert (c1.n, c1.toward, c1.unchanged, c1.away) == (2, 2, 0, 0)
    assert (c1.share_ideal_base, c1.share_ideal_other, c1.change_share_ideal) == (0.0, 0.5, 0.5)
    # kept for compatibility: the same in percent
    assert (c1.pct_ideal_base, c1.pct_ideal_other, c1.change_pct_ideal) == (0.0, 50.0, 50.0)
    c3 = c.component("c3")
    assert c3.matrix == ((0, 1), (1, 0))
    assert (c3.toward, c3.away, c3.change_share_ideal) == (1, 1, 0.0)
    assert (c.n, c.toward, c.unchanged, c.away) == (6, 5, 0, 1)
    assert [(m.unit, m.component, m.base, m.other, m.steps, m.direction) for m in c.moves] == [
        (("s1",), "c1", "2", "1", 1, "toward"),
        (("s2",), "c1", "3", "2", 1, "toward"),
        (("s1",), "c2", "X", "1", 3, "toward"),  # 2 and X (lowest): X is the code given
        (("s2",), "c2", "4", "3", 1, "toward"),
        (("s1",), "c3", "b", "a", 1, "toward"),
        (("s2",), "c3", "a", "b", -1, "away"),
    ]


def test_compare_moves_show_the_code_given_at_the_level(m: Map) -> None:
    recs = [
        {"subject": s, "rater": "r", "occasion": o, "component": "c1", "code": code}
        for s, o, code in [
            ("s1", "fall", "X"),  # non-use counts as the lowest level, whose code is 4
            ("s1", "spring", "2"),
            ("s2", "fall", "1"),
            ("s2", "spring", "X"),
            ("s3", "fall", "4"),
            ("s3", "spring", "1"),
        ]
    ]
    c = compare(RatingSet.from_records(m, recs), base="fall", other="spring")
    assert [(mv.unit, mv.base, mv.other, mv.steps) for mv in c.moves] == [
        (("s1",), "X", "2", 2),
        (("s2",), "1", "X", -3),
        (("s3",), "4", "1", 3),
    ]


def test_group_keys_have_one_definition() -> None:
    from icmaps.stats import clustering, growth, rules as _profiles

    for mod in (growth, clustering):
        assert mod.Key is _profiles.Key
    assert clustering.key_sort is _profiles.key_sort
    assert getattr(growth, "key_sort", _profiles.key_sort) is _profiles.key_sort
    assert sorted([(None, "b"), ("b", None), ("a", "z")], key=_profiles.key_sort) == [
        ("a", "z"),
        ("b", None),
        (None, "b"),
    ]


def test_compare_defaults_and_errors(rs: RatingSet) -> None:
    c = compare(rs)
    assert (c.by, c.base, c.other) == ("occasion", "fall", "spring")
    back = compare(rs, base="spring", other="fall")
    assert (back.toward, back.away) == (1, 5)
    with pytest.raises(UsageError, match="no ratings with occasion 'winter'"):
        compare(rs, base="winter", other="fall")
    with pytest.raises(UsageError, match="base and other are both 'fall'"):
        compare(rs, base="fall", other="fall")
    with pytest.raises(UsageError, match="need two values"):
        compare(rs.filter(occasion="fall"))
    with pytest.raises(UsageError, match="cannot group by 'subject'"):
        compare(rs, by="subject")
    with pytest.raises(NotFoundError):
        c.component("nope")


def test_compare_two_raters_pairs_subject_and_occasion(rs: RatingSet) -> None:
    c = compare(rs, by="rater", base="r1", other="r2")
    assert c.unit_columns == ("subject", "occasion")
    # fall only: s1 c1 0->1, c2 1->3, c3 0->1; s2 c1 NA (not paired), c2 M (not), c3 blank (not)
    assert (c.n, c.away) == (3, 3)
    assert c.component("c1").base_only == 2  # s1 and s2 in spring have only r1
    assert c.component("c1").other_only == 1  # s2 fall: r1 said N/A


def test_compare_outputs(rs: RatingSet) -> None:
    c = compare(rs)
    lines = str(c).splitlines()
    assert lines[0] == (
        "occasion: fall -> spring: 6 subject x component pairs, 5 toward the desired end, "
        "0 unchanged, 1 away"
    )
    assert lines[2].split() == [
        "component", "n", "toward", "unchanged", "away", "%", "ideal", "fall", "%", "ideal",
        "spring", "change",
    ]  # fmt: skip
    assert lines[4].split() == ["c1", "2", "2", "0", "0", "0.0%", "50.0%", "+50.0", "pp"]
    assert "moved:" in lines
    assert lines[-1].split() == ["s2", "c3", "a", "b", "-1"]
    d = c.to_dict()
    assert d["totals"] == {"n": 6, "toward": 5, "unchanged": 0, "away": 1}
    assert d["moves"][0] == {  # type: ignore[index]
        "subject": "s1",
        "component": "c1",
        "base": "2",
        "other": "1",
        "steps": 1,
    }
    assert c.to_csv().splitlines()[0] == (
        "component,title,n,toward,unchanged,away,share_ideal_base,share_ideal_other,"
        "change_share_ideal,base_only,other_only"
    )
    assert c.to_csv().splitlines()[1] == "c1,One,2,2,0,0,0.0,0.5,0.5,0,0"
    assert len(c.to_pandas()) == 3
    assert c.component("c3").matrix_text("fall", "spring").splitlines() == [
        "fall \\ spring  a  b",
        "-------------  -  -",
        "a              0  1",
        "b              1  0",
    ]


def test_compare_on_the_example_counts_every_pair() -> None:
    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    assert isinstance(rs, RatingSet)
    c = compare(rs, by="occasion", base="2025-fall", other="2026-spring")
    assert c.n == c.toward + c.unchanged + c.away
    assert c.toward - c.away == sum(mv.steps / abs(mv.steps) for mv in c.moves)
    assert len(c.moves) == c.toward + c.away
    for comp in c.components:
        assert sum(map(sum, comp.matrix)) == comp.n


def test_compare_is_a_plain_function_that_pickles() -> None:
    import pickle

    import icmaps.stats.growth

    rs = tiny_ratings()
    assert icmaps.compare is icmaps.stats.growth.compare
    assert isinstance(pickle.loads(pickle.dumps(icmaps.compare))(rs), Comparison)


# -- groups side by side --------------------------------------------------------------------


def test_compare_groups(rs: RatingSet) -> None:
    g = compare_groups(rs, by="occasion")
    assert g.groups == ("fall", "spring")
    row = g.row("c1")
    assert [(c.n, c.share_ideal) for c in row.cells if c] == [(3, 1 / 3), (2, 0.5)]
    assert [r.id for r in g.rows] == ["tiny", "teacher", "coach", "g1", "c1", "c2", "g1a", "c3"]
    picked = compare_groups(rs, by="school", groups=["south"])
    assert picked.groups == ("south",)
    assert picked.row("c2").cells[0].counts == (0, 0, 1, 1)  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="no ratings with school 'west'"):
        compare_groups(rs, by="school", groups=["west"])
    text = str(g).splitlines()
    assert text[0] == "% ideal by occasion:"
    assert text[1].split() == ["row", "fall", "%", "ideal", "fall", "n", "spring", "%", "ideal",
                               "spring", "n"]  # fmt: skip
    assert text[7].split() == ["c1", "33.3%", "3", "50.0%", "2"]
    rec = g.to_records()[0]
    assert (rec["occasion"], rec["id"], rec["n"]) == ("fall", "tiny", 9)
    assert (rec["share_ideal"], rec["share_ideal_or_acceptable"]) == (1 / 3, 5 / 9)
    assert list(g.to_pandas().columns) == list(g.columns())


# -- gap to target --------------------------------------------------------------------------


def test_gap_to_ideal(rs: RatingSet) -> None:
    g = gap_to_target(rs, "ideal", subject="s1", occasion="fall")
    assert [(x.component, x.current, x.target, x.gap, x.n) for x in g.gaps] == [
        ("c2", "4", "1", 3, 2),
        ("c1", "2", "1", 1, 2),
        ("c3", "b", "a", 1, 2),
    ]
    assert g.total == 5
    assert str(g).splitlines()[0] == (
        "gap to target (ideal) for subject=s1, occasion=fall: 5 levels in all"
    )


def test_gap_to_a_profile(rs: RatingSet) -> None:
    g = gap_to_target(rs, {"c1": "acceptable", "c2": "3"}, subject="s1", occasion="fall")
    assert [(x.component, x.target, x.gap, x.met) for x in g.gaps] == [
        ("c2", "3", 1, False),
        ("c1", "2", 0, True),
    ]
    # a group: every rating of school south pooled (median, ties to the less desired)
    south = gap_to_target(rs, "acceptable", school="south")
    assert [(x.component, x.current, x.gap) for x in south.gaps] == [
        ("c2", "4", 2),
        ("c1", "3", 1),
        ("c3", "b", 1),
    ]
    unrated = gap_to_target(rs.filter(component="c1"), {"c1": "1", "c3": "a"})
    assert [(x.component, x.current, x.gap) for x in unrated.gaps] == [
        ("c1", "2", 1),
        ("c3", None, None),
    ]
    with pytest.raises(UsageError, match="neither a level code"):
        gap_to_target(rs, {"c1": "9"})
    with pytest.raises(NotFoundError):
        gap_to_target(rs, {"nope": "1"})
    with pytest.raises(UsageError, match="target must be"):
        gap_to_target(rs, "perfect")  # type: ignore[arg-type]


# -- CLI ------------------------------------------------------------------------------------


def test_cli_compare() -> None:
    code, out, err = run_cli(
        "compare", "learning-school", EXAMPLE, "--by", "occasion", "--base", "2025-fall",
        "--other", "2026-spring",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith("occasion: 2025-fall -> 2026-spring: 118 subject x component pairs")
    code, out, _ = run_cli("compare", "learning-school", EXAMPLE, "--format", "json")
    assert code == 0
    assert json.loads(out)["base"] == "2025-fall"
    code, _, err = run_cli("compare", "learning-school", EXAMPLE, "--base", "2030")
    assert code == 2
    assert "no ratings with occasion '2030'" in err


def test_cli_compare_subprocess() -> None:
    proc = run_subprocess("compare", "learning-school", EXAMPLE, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("component,title,n,toward,unchanged,away")


def test_moves_are_built_on_first_use_and_behave_as_a_tuple() -> None:
    import pickle

    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    c = compare(rs, by="occasion", base="2025-fall", other="2026-spring")
    n = len(c.moves)  # known without building the moves
    assert c.moves._built is None  # type: ignore[attr-defined]
    built = tuple(c.moves)
    assert len(built) == n == c.toward + c.away
    assert c.moves == built
    assert c.moves[0] == built[0]
    assert c.moves[1:3] == built[1:3]
    back = pickle.loads(pickle.dumps(c))
    assert back == c
    assert tuple(back.moves) == built


# -- transitions against a brute-force count ------------------------------------------------

from hypothesis import assume, given, settings, strategies as st  # noqa: E402

from icmaps.ratings.columns import level_table  # noqa: E402
from icmaps.stats.rules import decide  # noqa: E402

from .strategies import rating_records  # noqa: E402

_LS = icmaps.load_map("learning-school")


@settings(max_examples=40, deadline=None)
@given(rating_records(_LS, min_size=2, max_size=60), st.sampled_from(["fall", "spring"]))
def test_transitions_match_a_brute_force_count(records: list[dict[str, object]], base: str) -> None:
    other = "spring" if base == "fall" else "fall"
    assume({r["occasion"] for r in records} == {"fall", "spring"})
    rs = RatingSet.from_records(_LS, records)
    table = level_table(_LS)
    levels: dict[tuple[object, str, object], list[int]] = {}
    for r in records:
        code = r["code"]
        lv = table[str(r["component"])].get(str(code), -1) if code is not None else -1
        levels.setdefault((r["subject"], str(r["occasion"]), r["component"]), []).append(lv)
    want: dict[str, dict[tuple[int, int], int]] = {}
    for (subject, occasion, comp), given_levels in levels.items():
        if occasion != base or (subject, other, comp) not in levels:
            continue
        a = decide(given_levels, "median")[0]
        b = decide(levels[(subject, other, comp)], "median")[0]
        if a >= 0 and b >= 0:
            cell = want.setdefault(str(comp), {})
            cell[(a, b)] = cell.get((a, b), 0) + 1
    result = compare(rs, base=base, other=other)
    got = {
        ch.component: {(i, j): n for i, row in enumerate(ch.matrix) for j, n in enumerate(row) if n}
        for ch in result.components
    }
    assert {c: cells for c, cells in got.items() if cells} == want
    assert len(result.moves) == sum(
        n for cells in want.values() for (a, b), n in cells.items() if a != b
    )
