"""Small-count suppression: the engine, and every figure of the outputs that take ``min_n``.

The outputs are checked from the outside: the test rebuilds, from the raw records, how many
subjects stand behind each figure, and, from the map, the sums a reader knows; then it
works out every figure it can from what is shown and asserts none of them rests on 1 to
k-1 subjects.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import icmaps
from icmaps._tabular import Suppressed
from icmaps.errors import UsageError
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.disclosure import Protection, check_min_n

K = 5
ZONES = ("ideal", "acceptable", "unacceptable")


def _shown(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def derivable(
    known: Mapping[Hashable, float], unknown: Iterable[Hashable], sums: Sequence[tuple]
) -> set[Hashable]:
    """Every unknown figure a reader works out by subtracting within sums (chains too)."""
    known_set = set(known)
    unknown_set = set(unknown)
    found: set[Hashable] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            members = [total, *parts]
            missing = [m for m in members if m not in known_set]
            if len(missing) == 1:
                m = missing[0]
                known_set.add(m)
                found.add(m)
                changed = True
    return found & unknown_set


# -- the engine --------------------------------------------------------------------------------


def test_primary_hidden_zero_shown_and_one_complement_per_sum() -> None:
    p = Protection(5)
    for key, n in {"a": 12, "b": 2, "c": 0, "d": 9, "t": 23}.items():
        p.count(key, n, subjects=n)
    p.adds_up("t", ["a", "b", "c", "d"])
    mask = p.solve()
    assert mask.show("b", 2) == Suppressed(5)
    assert mask.show("c", 0) == 0  # a zero discloses no one's rating
    # the smallest non-zero part is the complement, not the zero
    assert mask.show("d", 9) == Suppressed(5, complementary=True)
    assert mask.show("a", 12) == 12
    assert mask.show("t", 23) == 23
    assert str(mask.show("b", 2)) == "<5"
    assert str(mask.show("d", 9)) == "*"


def test_complement_found_through_a_chain_of_sums() -> None:
    # x (2 subjects) is hidden in row r1 with y; y is the only unknown of column c, so a
    # reader gets y from c and then x from r1: a second figure of c must go too
    p = Protection(5)
    for key, v in {"x": 2, "y": 7, "r1": 9, "z": 8, "c": 15}.items():
        p.count(key, v, subjects=v)
    p.adds_up("r1", ["x", "y"])
    p.adds_up("c", ["y", "z"])
    mask = p.solve()
    known = {k: 0 for k in ("x", "y", "z", "r1", "c") if not mask.is_hidden(k)}
    assert "x" not in derivable(known, ["x"], [("r1", ("x", "y")), ("c", ("y", "z"))])
    assert mask.is_hidden("x")
    assert mask.n_hidden >= 3


def test_a_figure_not_printed_is_protected_too() -> None:
    # 28 of 30 meet a rule: printing 28 and 30 tells that 2 do not
    p = Protection(5)
    p.count("rated", 30, subjects=30)
    p.count("meeting", 28, subjects=28)
    p.count("not", 2, subjects=2, shown=False)
    p.adds_up("rated", ["meeting", "not"])
    mask = p.solve()
    assert mask.is_hidden("meeting")
    assert not mask.is_hidden("not")
    assert mask.show("meeting", 28) == Suppressed(5, complementary=True)


def test_check_min_n() -> None:
    assert check_min_n(None) is None
    assert check_min_n(10) == 10
    for bad in (1, 0, -3, True, 2.5, "5"):
        with pytest.raises(UsageError, match="at least 2"):
            check_min_n(bad)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[int]], int]:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    cells = [[draw(st.integers(0, 12)) for _ in range(cols)] for _ in range(rows)]
    return cells, draw(st.integers(2, 6))


@given(tables())
@settings(max_examples=300, deadline=None)
def test_no_small_cell_of_a_table_with_margins_can_be_worked_out(
    case: tuple[list[list[int]], int],
) -> None:
    """A two-way table with row, column and grand totals (counts = subjects): after
    suppression no cell of 1 to k-1 is shown or can be worked out by subtraction."""
    cells, k = case
    p = Protection(k)
    sums = []
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            p.count(("c", i, j), v, subjects=v)
        p.count(("r", i), sum(row), subjects=sum(row))
        sums.append((("r", i), tuple(("c", i, j) for j in range(len(row)))))
    for j in range(len(cells[0])):
        col = sum(row[j] for row in cells)
        p.count(("k", j), col, subjects=col)
        sums.append((("k", j), tuple(("c", i, j) for i in range(len(cells)))))
    total = sum(map(sum, cells))
    p.count("t", total, subjects=total)
    sums.append(("t", tuple(("r", i) for i in range(len(cells)))))
    sums.append(("t", tuple(("k", j) for j in range(len(cells[0])))))
    for total_key, parts in sums:
        p.adds_up(total_key, parts)
    mask = p.solve()
    values = {("c", i, j): v for i, row in enumerate(cells) for j, v in enumerate(row)}
    values |= {("r", i): sum(row) for i, row in enumerate(cells)}
    values |= {("k", j): sum(r[j] for r in cells) for j in range(len(cells[0]))}
    values["t"] = total
    small = {key for key, v in values.items() if 0 < v < k}
    known = {key: v for key, v in values.items() if not mask.is_hidden(key)}
    assert not small & set(known), "a small count is shown"
    assert not small & derivable(known, values, sums), "a small count can be worked out"


# -- a data set with small and large groups ------------------------------------------------


def _records(seed: int = 7) -> tuple[icmaps.Map, list[dict[str, str]]]:
    """Schools of 2, 3, 6 and 24 teachers, two occasions, one rater per teacher (so a
    component's counts are counts of subjects); levels skewed toward the ideal."""
    m = icmaps.load_map("learning-school")
    rnd = random.Random(seed)
    records = []
    for school, size in {"a": 2, "b": 3, "c": 6, "d": 24}.items():
        for i in range(size):
            for occasion in ("2025-fall", "2026-spring"):
                for c in m.all_components():
                    codes = [v.code for v in m.variations_of(c.id)]
                    at = min(int(rnd.expovariate(0.9)), len(codes) - 1)
                    records.append(
                        {
                            "subject": f"{school}-person-{i}",
                            "rater": f"coach-{school}-{i}",
                            "occasion": occasion,
                            "component": c.id,
                            "code": codes[at],
                            "school": school,
                        }
                    )
    return m, records


@pytest.fixture(scope="module")
def data() -> tuple[icmaps.Map, list[dict[str, str]], RatingSet]:
    m, records = _records()
    return m, records, RatingSet.from_records(m, records)


def _zone_of(m: icmaps.Map) -> dict[tuple[str, str], str]:
    return {(c.id, v.code): v.zone for c in m.all_components() for v in m.scale_of(c.id).desired()}


def _subjects(
    m: icmaps.Map, records: Iterable[dict[str, str]], comps: Iterable[str]
) -> dict[str, set[str]]:
    """Subjects behind each zone count and the rated total of some components."""
    zone = _zone_of(m)
    wanted = set(comps)
    out: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["component"] in wanted:
            z = zone[(r["component"], r["code"])]
            out[z].add(r["subject"])
            out["rated"].add(r["subject"])
    return out


def _groups(m: icmaps.Map) -> dict[str, list[str]]:
    return {n.id: list(n.below) for n in m.outline()}


def test_report_json_shows_no_figure_on_fewer_than_k_subjects(data: Any) -> None:
    m, records, rs = data
    r = icmaps.report(rs, by="school", min_n=K)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    below = _groups(m)
    all_ids = [c.id for c in m.all_components()]
    contexts: list[tuple[str, str, list[dict[str, str]]]] = []
    for occasion in r.occasions:
        contexts.append(("occasions", occasion, [x for x in records if x["occasion"] == occasion]))
    snap = [x for x in records if x["occasion"] == r.snapshot]
    for school in r.by_values:
        contexts.append(("by", school, [x for x in snap if x["school"] == school]))

    checked = hidden = 0
    for where, value, recs in contexts:
        known: dict[Hashable, float] = {}
        values: dict[Hashable, int] = {}
        small: set[Hashable] = set()
        rows = [(row["id"], row[where][value]) for row in d["rows"]]
        overall = d["overall_by_occasion" if where == "occasions" else "overall_by"][value]
        for rid, fig in [*rows, ("*", overall)]:
            comps = all_ids if rid == "*" else below[rid]
            subjects = _subjects(m, recs, comps)
            for f in (*ZONES, "rated"):
                n = len(subjects.get(f, ()))
                v = fig[f]
                if _shown(v):
                    known[(rid, f)] = v
                    assert v == 0 or n >= K, (where, value, rid, f, v, n)
                    checked += 1
                else:
                    assert v in (f"<{K}", "*"), v
                    hidden += 1
                if 0 < n < K:
                    small.add((rid, f))
                values[(rid, f)] = n
            # a share is shown only when the counts it rests on are
            if _shown(fig["share_ideal"]):
                assert _shown(fig["ideal"])
                assert _shown(fig["rated"])
            if _shown(fig["share_acceptable"]):
                assert all(_shown(fig[f]) for f in (*ZONES, "rated"))
        sums = []
        for rid, _ in [*rows, ("*", overall)]:
            comps = all_ids if rid == "*" else below[rid]
            sums.append(((rid, "rated"), tuple((rid, z) for z in ZONES)))
            if rid == "*" or len(comps) > 1:
                for f in (*ZONES, "rated"):
                    sums.append(((rid, f), tuple((c, f) for c in comps)))
        assert not small & derivable(known, values, sums)
    # the split's values add up to the snapshot: no school's hidden figure comes back
    snapshot_known: dict[Hashable, float] = {}
    snapshot_sums = []
    small_by: set[Hashable] = set()
    for row in [*d["rows"], {"id": "*", "snapshot": d["overall"], "by": d["overall_by"]}]:
        rid = row["id"]
        for f in (*ZONES, "rated"):
            if _shown(row["snapshot"][f]):
                snapshot_known[(rid, f, None)] = row["snapshot"][f]
            parts = []
            for school in r.by_values:
                v = row["by"][school][f]
                if _shown(v):
                    snapshot_known[(rid, f, school)] = v
                elif v == f"<{K}":
                    small_by.add((rid, f, school))
                parts.append((rid, f, school))
            snapshot_sums.append(((rid, f, None), tuple(parts)))
    assert not small_by & derivable(snapshot_known, small_by, snapshot_sums)
    assert checked > 300
    assert hidden > 100

    # nothing per subject, and every key figure is safe
    assert d["fidelity"] is not None
    assert "units" not in d["fidelity"]
    for g in d["fidelity"]["groups"]:
        for f in ("rated", "meeting", "critical_failed"):
            assert not _shown(g[f]) or g[f] == 0 or g[f] >= K
            if f == "meeting" and _shown(g[f]) and _shown(g["rated"]):
                assert g["rated"] - g[f] == 0 or g["rated"] - g[f] >= K
    assert d["comparison"]["moves"] == []
    assert all(c["matrix"] is None for c in d["comparison"]["components"])
    for c in d["comparison"]["components"]:
        for f in ("n", "toward", "unchanged", "away", "base_only", "other_only"):
            assert not _shown(c[f]) or c[f] == 0 or c[f] >= K, (c["component"], f, c[f])
    assert d["min_n"] == K
    assert f"fewer than {K} subjects" in d["privacy"]
    assert all("person-" not in q for q in d["quality"])


def test_report_html_and_markdown_follow_the_json(data: Any) -> None:
    _, _, rs = data
    r = icmaps.report(rs, by="school", min_n=K)
    html, md = r.to_html(), r.to_markdown()
    for text in (html, md):
        assert "a-person-0" not in text  # no per-subject fidelity list
        assert f"fewer than {K} subjects" in text
    assert "&lt;5" in html
    assert "<5" in md
    assert "Fidelity per subject is not listed" in html
    assert "Counts per level are not shown" in html
    # a hidden zone draws no bar of shares, and its title names no count
    row = r.rows[1]
    shown = r.shown(row, "by", "a")
    assert isinstance(shown, icmaps.reporting.ShownDistribution)
    assert str(shown.rated) == "<5"
    assert shown.shares() == (0.0, 0.0, 0.0)
    # without a minimum nothing changes
    plain = icmaps.report(rs, by="school")
    assert plain.shown(plain.rows[1]) is plain.rows[1].snapshot
    assert "a-person-0" in plain.to_html()


def test_summary_outputs_show_no_figure_on_fewer_than_k_subjects(data: Any) -> None:
    m, records, rs = data
    s = icmaps.summarize(rs, by=["occasion", "school"], min_n=K)
    zone = _zone_of(m)
    pooled: dict[tuple[str, str], list[str]] = {
        ("component", c.id): [c.id] for c in m.all_components()
    }
    pooled |= {("group", g): ids for g, ids in _groups(m).items()}
    pooled[("map", m.id)] = [c.id for c in m.all_components()]
    for role in m.roles:
        pooled[("role", role.id)] = [
            c.id for c in m.all_components() if m.applies_to(c.id, role.id)
        ]
    csv_rows = s.to_records()
    json_rows = s.to_dict()["rows"]
    assert len(csv_rows) == len(json_rows) > 100
    n_hidden = 0
    for rec, jrec in zip(csv_rows, json_rows, strict=True):
        comps = set(pooled[(str(rec["scope"]), str(rec["id"]))])
        recs = [
            x
            for x in records
            if x["occasion"] == rec["occasion"]
            and x["school"] == rec["school"]
            and x["component"] in comps
        ]
        subjects = {
            "n": {x["subject"] for x in recs},
            "n_ideal": {x["subject"] for x in recs if zone[(x["component"], x["code"])] == "ideal"},
            "n_acceptable": {
                x["subject"] for x in recs if zone[(x["component"], x["code"])] == "acceptable"
            },
            "n_unacceptable": {
                x["subject"] for x in recs if zone[(x["component"], x["code"])] == "unacceptable"
            },
        }
        for f, who in subjects.items():
            v = rec[f]
            assert jrec[f] == v
            if _shown(v):
                assert v == 0 or len(who) >= K, (rec["school"], rec["id"], f, v, len(who))
            else:
                n_hidden += 1
        for f in ("share_ideal", "share_ideal_or_acceptable", "mean_score", "median_score"):
            if _shown(rec[f]):
                assert len(subjects["n"]) >= K
        if _shown(rec["share_ideal"]):
            assert _shown(rec["n_ideal"])
            assert _shown(rec["n"])
        if _shown(rec["mean_score"]):
            assert all(_shown(rec[f]) for f in subjects)
        if rec["distribution"]:
            for part in str(rec["distribution"]).split():
                code, _, v = part.partition(":")
                who = {x["subject"] for x in recs if x["code"] == code}
                assert not v.isdigit() or int(v) == 0 or len(who) >= K, (rec["id"], part)
    assert n_hidden > 50
    text = s.to_csv()
    assert f"<{K}" in text
    assert "*" in text
    assert f"fewer than {K} subjects" in str(s)


def test_summary_without_min_n_is_unchanged_and_merges(data: Any) -> None:
    _, _, rs = data
    plain = icmaps.summarize(rs, by="school")
    assert plain.mask() is None
    assert "<5" not in plain.to_csv()
    a = rs.filter(school="d")
    b = rs.filter(school="c")
    merged = icmaps.summarize(a, min_n=K).merge(icmaps.summarize(b, min_n=K))
    assert merged.to_dict() == icmaps.summarize(a + b, min_n=K).to_dict()
    with pytest.raises(UsageError, match="min_n"):
        icmaps.summarize(a, min_n=K).merge(icmaps.summarize(b))


def test_compare_hides_small_moves_and_lists_no_subject(data: Any) -> None:
    _, _, rs = data
    c = icmaps.compare(rs, min_n=K)
    d = c.to_dict()
    assert d["moves"] == []
    assert d["privacy"] == {"min_n": K}
    assert all(x["matrix"] is None for x in d["components"])
    for x in d["components"]:
        for f in ("n", "toward", "unchanged", "away"):
            assert not _shown(x[f]) or x[f] == 0 or x[f] >= K
        moved = [x[f] for f in ("toward", "unchanged", "away")]
        if _shown(x["n"]):
            assert sum(not _shown(v) for v in moved) != 1  # never one alone
        if _shown(x["share_ideal_base"]):
            assert _shown(x["n"])
    text = str(c)
    assert "person-" not in text
    assert f"<{K}" in text
    plain = icmaps.compare(rs)
    assert plain.to_dict()["moves"]
    assert "privacy" not in plain.to_dict()


# -- the command line ----------------------------------------------------------------------


def _write_csv(path: Any, records: list[dict[str, str]]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)


def test_cli_min_n_on_report_summarize_and_compare(tmp_path: Any) -> None:
    from tests.conftest import run_cli

    _, records = _records()
    path = tmp_path / "ratings.csv"
    _write_csv(path, records)
    out = tmp_path / "r.json"
    code, _, err = run_cli(
        "report", "learning-school", str(path), "--by", "school", "--min-n", "5", "-o", str(out)
    )
    assert code == 0, err
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["min_n"] == 5
    assert d["overall_by"]["a"]["rated"] == "<5"
    code, text, err = run_cli(
        "summarize",
        "learning-school",
        str(path),
        "--by",
        "school",
        "--min-n",
        "5",
        "--format",
        "csv",
    )
    assert code == 0, err
    assert "<5" in text
    assert "a-person-0" not in text
    code, text, err = run_cli(
        "compare", "learning-school", str(path), "--min-n", "10", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(text)["moves"] == []
    assert "<10" in text
    # the same data without a minimum: the small figures are there
    code, text, _ = run_cli("summarize", "learning-school", str(path), "--by", "school")
    assert code == 0
    assert "<5" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--min-n", "1"), "at least 2"),
        (("--min-n", "five"), "whole number"),
        (("--min-n", "5", "--subject", "a-person-0"), "does not apply to --subject"),
    ],
)
def test_cli_min_n_refused(tmp_path: Any, args: tuple[str, ...], message: str) -> None:
    from tests.conftest import run_cli

    _, records = _records()
    path = tmp_path / "ratings.csv"
    _write_csv(path, records)
    code, _, err = run_cli("report", "learning-school", str(path), *args)
    assert code == 2
    assert message in err


# -- regressions found in review -------------------------------------------------------------


def _set(records: list[dict[str, str]]) -> RatingSet:
    return RatingSet.from_records(icmaps.load_map("learning-school"), records)


def _rec(subject: str, component: str, code: str, **more: str) -> dict[str, str]:
    return {
        "subject": subject,
        "rater": more.pop("rater", "r"),
        "occasion": more.pop("occasion", "2025-fall"),
        "component": component,
        "code": code,
        **more,
    }


def _comps() -> list[Any]:
    return list(icmaps.load_map("learning-school").all_components())


def test_zeros_in_a_small_row_are_hidden_too() -> None:
    """Two teachers both ideal: '<5 ideal, 0 acceptable, 0 unacceptable' would say so."""
    rs = _set([_rec(s, c.id, "1") for s in ("alice", "bob") for c in _comps()])
    for rec in icmaps.summarize(rs, min_n=5).to_records():
        assert not any(_shown(rec[f]) for f in ("n_ideal", "n_acceptable", "n_unacceptable"))
    d = icmaps.report(rs, min_n=5).to_dict()
    for row in d["rows"]:
        assert not any(_shown(row["snapshot"][z]) for z in ZONES), row["id"]


def test_comparison_totals_rest_on_subjects_not_pairs() -> None:
    recs = [
        _rec(s, c.id, "1" if o == "2025-fall" else "2", occasion=o)
        for s in ("alice", "bob")
        for o in ("2025-fall", "2026-spring")
        for c in _comps()
    ]
    rs = _set(recs)
    totals = icmaps.compare(rs, min_n=5).to_dict()["totals"]
    assert not any(_shown(v) and v for v in totals.values()), totals
    moves = icmaps.report(rs, min_n=5).moves()
    assert moves is not None
    assert not any(_shown(moves[f]) and moves[f] for f in ("n", "toward", "unchanged", "away"))


def test_a_small_group_cannot_be_worked_out_from_the_map_total() -> None:
    """20 subjects rate everything but lead-learner, which 2 of them rate: the map total
    minus the other groups must not give lead-learner's count back."""
    recs = []
    for i in range(20):
        for c in _comps():
            if c.id.startswith("ll-") and i >= 2:
                continue
            recs.append(_rec(f"s{i}", c.id, "12"[i % 2]))
    rs = _set(recs)
    m = rs.map
    top = [n.id for n in m.outline() if n.depth == 0]
    for rows in (
        {r["id"]: r for r in icmaps.summarize(rs, min_n=5).to_records() if r["scope"] != "role"},
    ):
        total = rows[m.id]
        for f in ("n", "n_ideal", "n_acceptable", "n_unacceptable"):
            cells = [total[f], *(rows[g][f] for g in top if g in rows)]
            assert sum(not _shown(v) for v in cells) != 1, (f, cells)
    d = icmaps.report(rs, min_n=5).to_dict()
    rows = {r["id"]: r["snapshot"] for r in d["rows"]}
    for f in ("rated", *ZONES):
        cells = [d["overall"][f], *(rows[g][f] for g in top)]
        assert sum(not _shown(v) for v in cells) != 1, (f, cells)


def test_rating_totals_do_not_give_back_a_hidden_missing_count() -> None:
    recs = [_rec(f"s{i}", c.id, "1") for i in range(20) for c in _comps()]
    recs[5]["code"] = ""  # one missing rating
    rs = _set(recs)
    d = icmaps.report(rs, min_n=5).to_dict()
    o = d["overall_by_occasion"]["2025-fall"]
    assert o["missing"] == "<5"
    cells = [d["n_ratings"], o["rated"], o["na"], o["missing"]]
    assert sum(not _shown(v) for v in cells) >= 2, cells
    assert not any("1 of" in q for q in d["quality"])
    facts = dict(icmaps.summarize(rs, min_n=5).to_table().facts)
    s_rows = icmaps.summarize(rs, min_n=5).to_records()
    map_row = next(r for r in s_rows if r["scope"] == "map")
    cells = [facts["ratings"], map_row["n"], map_row["na"], map_row["missing"]]
    assert sum(not _shown(v) for v in cells) != 1, cells


def test_agreement_of_two_subjects_is_hidden_in_groups_and_pooled() -> None:
    recs = [
        _rec(s, c.id, "12"[(i + j) % 2], rater=r)
        for i, s in enumerate(("alice", "bob"))
        for j, r in enumerate(("r1", "r2"))
        for c in _comps()
    ]
    d = icmaps.report(_set(recs), min_n=5).to_dict()
    assert d["agreement"] is not None
    assert not _shown(d["agreement"]["alpha"])
    for row in d["rows"]:
        if row["agreement"] is not None:
            assert not _shown(row["agreement"]["alpha"]), row["id"]


def test_report_table_csv_and_text_follow_the_minimum() -> None:
    rs = _set([_rec("alice", c.id, "1") for c in _comps()])
    r = icmaps.report(rs, min_n=5)
    assert "1.0" not in r.to_csv()
    assert "<5" in r.to_csv()
    assert "100.0%" not in str(r)
    assert dict(r.to_table().facts)["subjects"] != 1


def test_calibration_is_left_out_under_a_minimum() -> None:
    recs = [_rec("alice", c.id, "1", rater=r) for r in ("anchor", "r1") for c in _comps()]
    rs = _set(recs)
    r = icmaps.report(rs, min_n=5, anchor="anchor")
    assert r.calibration is None
    assert 'id="calibration"' not in r.to_html()
    assert any("calibration is left out" in q for q in r.quality)
    assert icmaps.report(rs, anchor="anchor").calibration is not None


def _small_ints(x: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Paths of every whole number from 1 to K-1 in plain data."""
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _small_ints(v, (*path, k))]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in _small_ints(v, (*path, i))]
    if isinstance(x, int) and not isinstance(x, bool) and 0 < x < K:
        return [path]
    return []


def test_no_number_below_k_anywhere_in_the_report_json(data: Any) -> None:
    """Walks every number of the whole JSON report (split by school, two occasions, a
    self-assessment against an observer, fidelity, growth): the only whole numbers of 1 to
    K-1 are the rows' depths in the map's tree."""
    m, records, _ = data
    both = []
    for r in records:
        both.append({**r, "source": "observer"})
        both.append({**r, "source": "self", "rater": r["subject"]})
    rs = RatingSet.from_records(m, both)
    d = json.loads(json.dumps(icmaps.report(rs, by="school", min_n=K).to_dict()))
    assert d["sources"] is not None
    assert d["comparison"] is not None
    found = _small_ints(d)
    assert found
    assert {p[-1] for p in found} == {"depth"}, [p for p in found if p[-1] != "depth"][:5]
    for text in (icmaps.summarize(rs, by="school", min_n=K).to_dict(),
                 icmaps.compare(rs, min_n=K).to_dict()):  # fmt: skip
        assert _small_ints(json.loads(json.dumps(text))) == []
