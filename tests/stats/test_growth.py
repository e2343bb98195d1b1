"""Trends over any number of occasions, periods that roll dated walkthroughs up, and
comparisons that say why they found nothing."""

from __future__ import annotations

import json
import random

import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.ratings.ratingset import RatingSet
from tests.conftest import run_cli

LS = icmaps.load_map("learning-school")
COMPS = [c.id for c in LS.iter_components()][:4]


def _walkthroughs() -> RatingSet:
    """Monthly walkthroughs of three schools, September to March, rows in random order;
    levels improve by term."""
    rng = random.Random(5)
    rows = []
    for month, level in (
        ("2025-09-15", "3"),
        ("2025-10-20", "3"),
        ("2025-11-17", "2"),
        ("2026-01-12", "2"),
        ("2026-02-09", "1"),
        ("2026-03-16", "1"),
    ):
        for school in ("ash", "birch", "cedar"):
            for comp in COMPS:
                rows.append(
                    {
                        "subject": school,
                        "rater": "coach",
                        "occasion": month,
                        "component": comp,
                        "code": level,
                        "district": "north",
                    }
                )
    rng.shuffle(rows)
    return RatingSet.from_records(LS, rows)


def test_trend_runs_over_every_occasion_in_time_order() -> None:
    rs = _walkthroughs()
    t = icmaps.trend(rs)
    assert t.occasions == (
        "2025-09-15",
        "2025-10-20",
        "2025-11-17",
        "2026-01-12",
        "2026-02-09",
        "2026-03-16",
    )
    whole = t.row("learning-school")
    assert whole.ideal == (0.0, 0.0, 0.0, 0.0, 1.0, 1.0)
    assert whole.change_ideal == 1.0
    # the same figures as the report's per-occasion totals
    r = icmaps.report(rs)
    assert [r.overall_by_occasion[o].share_ideal for o in t.occasions] == list(whole.ideal)
    text = str(t)
    assert "% ideal 2026-03-16" in text


def test_periods_roll_walkthroughs_up_before_comparing() -> None:
    rs = _walkthroughs()
    assert rs.in_periods("term").occasion_order().occasions == ("2025-fall", "2026-spring")
    assert rs.in_periods("month").categories("occasion")[0] in {
        "2025-09",
        "2025-10",
        "2025-11",
        "2026-01",
        "2026-02",
        "2026-03",
    }
    assert set(rs.in_periods("year").categories("occasion")) == {"2025-26"}
    c = icmaps.compare(rs, period="term")
    assert (c.base, c.other) == ("2025-fall", "2026-spring")
    assert c.n == 3 * len(COMPS)  # every school on every component, median of its walkthroughs
    assert c.toward == c.n
    t = icmaps.trend(rs, period="term")
    assert t.occasions == ("2025-fall", "2026-spring")
    mapped = rs.in_periods(
        {o: "before" if o < "2026" else "after" for o in rs.categories("occasion")}
    )
    assert mapped.occasion_order(["before", "after"]).occasions == ("before", "after")
    with pytest.raises(UsageError, match="needs dated occasions"):
        icmaps.read_ratings(icmaps.example_ratings("learning-school"), LS).in_periods("month")
    with pytest.raises(UsageError, match=r"the mapping does not name .*'2025-09-15'"):
        rs.in_periods({"2025-10-20": "x"})


def test_a_comparison_that_finds_no_pairs_says_why() -> None:
    rs = _walkthroughs()
    # a column that changes over time, compared within one occasion: nothing meets
    termed = RatingSet.from_records(
        LS,
        [
            r | {"term": "fall" if str(r["occasion"]) < "2026" else "spring"}
            for r in rs.to_records()
        ],
    )
    c = icmaps.compare(termed, by="term", base="fall", other="spring")
    assert c.n == 0
    assert c.note is not None
    assert "never meet within one occasion" in c.note
    assert "--by occasion" in c.note
    other = RatingSet.from_records(
        LS,
        [
            {
                "subject": "a",
                "rater": "r",
                "occasion": "2025-fall",
                "component": COMPS[0],
                "code": "1",
            },
            {
                "subject": "b",
                "rater": "r",
                "occasion": "2026-spring",
                "component": COMPS[0],
                "code": "1",
            },
        ],
    )
    c = icmaps.compare(other)
    assert c.note == (
        "nothing compared: no subject was rated on both '2025-fall' and '2026-spring' "
        "(1 on '2025-fall' only, 1 on '2026-spring' only)"
    )
    assert (
        icmaps.compare(icmaps.read_ratings(icmaps.example_ratings("learning-school"), LS)).note
        is None
    )


def test_cli_trend_and_period(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "walks.csv"
    icmaps.write_ratings(_walkthroughs(), path)
    code, out, err = run_cli("trend", "learning-school", str(path), "--period", "term")
    assert code == 0, err
    assert "% ideal 2025-fall" in out
    assert "% ideal 2026-spring" in out
    code, out, err = run_cli(
        "compare", "learning-school", str(path), "--period", "term", "--format", "json"
    )
    assert code == 0, err
    assert (json.loads(out)["base"], json.loads(out)["other"]) == ("2025-fall", "2026-spring")
    code, out, err = run_cli(
        "report", "learning-school", str(path), "--period", "term", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["occasions"] == ["2025-fall", "2026-spring"]


def test_school_year_periods_sort_in_time_whatever_the_row_order() -> None:
    rows = [
        {"subject": "a", "rater": "r", "occasion": occ, "component": COMPS[0], "code": code}
        for occ, code in (("2026-10-01", "1"), ("2025-10-01", "3"))  # the later year first
    ]
    rs = RatingSet.from_records(LS, rows).in_periods("year")
    assert rs.occasion_order().occasions == ("2025-26", "2026-27")
    assert rs.occasion_order().basis == "dates"
    c = icmaps.compare(rs)
    assert (c.base, c.other, c.toward, c.away) == ("2025-26", "2026-27", 1, 0)


def test_report_by_period_with_a_rater_twice_in_a_period_explains_instead_of_failing() -> None:
    rs = _walkthroughs()
    two = RatingSet.from_records(
        LS, [*rs.to_records(), *(r | {"rater": "coach-2"} for r in rs.to_records())]
    )
    r = icmaps.report(two, period="term")
    assert r.agreement is None
    assert r.agreement_note is not None
    assert "more than one rating" in r.agreement_note
