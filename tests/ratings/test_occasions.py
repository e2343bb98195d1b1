"""Occasions in time order: given, read from the labels, or file order with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import NotFoundError, UsageError
from icmaps.ratings.occasions import order_occasions, time_of
from icmaps.ratings.ratingset import RatingSet
from tests.conftest import run_cli

EXAMPLE = icmaps.example_ratings("learning-school")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["2026-spring", "2025-fall"], ["2025-fall", "2026-spring"]),
        (["Spring 2026", "fall 2025", "2025 summer"], ["2025 summer", "fall 2025", "Spring 2026"]),
        (["2025-11-03", "2025-10-01", "2025-09"], ["2025-09", "2025-10-01", "2025-11-03"]),
        (
            ["2025-26 T3", "2025-26 T1", "2025/2026 T2"],
            ["2025-26 T1", "2025/2026 T2", "2025-26 T3"],
        ),
        (["2026-S1", "2025-S2", "2025-Q1"], ["2025-Q1", "2025-S2", "2026-S1"]),
        # dates and terms mix: all are points in time
        (["2026-spring", "2025-10-01", "2025-26 T2"], ["2025-10-01", "2025-26 T2", "2026-spring"]),
    ],
)
def test_labels_that_are_dates_or_terms_sort_in_time(
    labels: list[str], expected: list[str]
) -> None:
    order = order_occasions(labels)
    assert list(order.occasions) == expected
    assert (order.basis, order.warning) == ("dates", None)


@pytest.mark.parametrize(
    "label", ["baseline", "2025-13-01", "2025-26 T4", "2025-27 T1", "fall", "2025", "T1"]
)
def test_other_labels_are_not_times(label: str) -> None:
    assert time_of(label) is None


def test_file_order_is_kept_with_a_warning_when_labels_are_not_times() -> None:
    order = order_occasions(["post", "pre", "2025-fall"])
    assert order.occasions == ("post", "pre", "2025-fall")
    assert order.basis == "file"
    assert order.warning is not None
    assert "post, pre, 2025-fall" in order.warning
    assert "--occasions" in order.warning
    assert order_occasions(["only"]).warning is None  # one occasion has no order to get wrong


def test_a_given_order_names_every_occasion_once() -> None:
    assert order_occasions(["b", "a"], ["a", "b"]).occasions == ("a", "b")
    assert order_occasions(["b", "a"], ["a", "b"]).basis == "given"
    with pytest.raises(NotFoundError, match="no ratings on 'c'"):
        order_occasions(["b", "a"], ["a", "b", "c"])
    with pytest.raises(UsageError, match="leaves out 'b'"):
        order_occasions(["b", "a"], ["a"])
    with pytest.raises(UsageError, match="names 'a' twice"):
        order_occasions(["b", "a"], ["a", "a", "b"])
    with pytest.raises(UsageError, match="list of occasion names"):
        order_occasions(["b", "a"], "a,b")  # type: ignore[arg-type]
    assert order_occasions(["a", "b", "c"]).before("b") == "a"
    assert order_occasions(["a", "b", "c"]).before("a") is None


# -- the same ratings in any row order ----------------------------------------------------


def _reversed_file(tmp_path: Path) -> Path:
    lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines(keepends=True)
    out = tmp_path / "newest-first.csv"
    out.write_text(lines[0] + "".join(reversed(lines[1:])), encoding="utf-8")
    return out


def test_growth_snapshot_and_report_do_not_depend_on_row_order(tmp_path: Path) -> None:
    m = icmaps.load_map("learning-school")
    ahead = icmaps.read_ratings(EXAMPLE, m)
    behind = icmaps.read_ratings(_reversed_file(tmp_path), m)
    assert behind.categories("occasion")[0] == "2026-spring"  # spring rows come first
    a, b = icmaps.report(ahead), icmaps.report(behind)
    assert (b.snapshot, b.base, b.occasions) == ("2026-spring", "2025-fall", a.occasions)
    assert b.to_dict() == a.to_dict()
    assert icmaps.compare(behind) == icmaps.compare(ahead)
    assert icmaps.compare(behind).base == "2025-fall"


def test_growth_is_from_the_occasion_before_the_snapshot_never_itself() -> None:
    m = icmaps.load_map("learning-school")
    rs = icmaps.read_ratings(EXAMPLE, m)
    r = icmaps.report(rs, occasion="2026-spring")
    assert (r.base, r.snapshot) == ("2025-fall", "2026-spring")
    assert r.comparison is not None
    assert (r.comparison.base, r.comparison.other) == ("2025-fall", "2026-spring")
    first = icmaps.report(rs, occasion="2025-fall")
    assert (first.base, first.comparison) == (None, None)  # nothing before the first
    assert "Growth between occasions" not in first.to_html()
    assert "Growth between occasions" not in first.to_markdown()
    with pytest.raises(UsageError, match="base and snapshot are both"):
        icmaps.report(rs, occasion="2025-fall", base="2025-fall")
    with pytest.raises(NotFoundError, match="base: no occasion '2030'"):
        icmaps.report(rs, base="2030")
    # compare with only the later side named takes the occasion before it
    assert icmaps.compare(rs, other="2026-spring").base == "2025-fall"
    with pytest.raises(UsageError, match="no occasion before '2025-fall'"):
        icmaps.compare(rs, other="2025-fall")


def _relabelled(labels: dict[str, str]) -> RatingSet:
    m = icmaps.load_map("learning-school")
    rs = icmaps.read_ratings(EXAMPLE, m)
    return RatingSet.from_records(
        m, [r | {"occasion": labels[str(r["occasion"])]} for r in reversed(rs.to_records())]
    )


def test_labels_that_are_not_times_keep_file_order_and_say_so(tmp_path: Path) -> None:
    rs = _relabelled({"2025-fall": "pre", "2026-spring": "post"})  # post rows come first
    r = icmaps.report(rs)
    assert r.occasions == ("post", "pre")
    assert r.occasion_order == "file"
    assert any("file order (post, pre)" in q for q in r.quality)
    assert "file order (post, pre)" in r.to_html()
    fixed = icmaps.report(rs, occasions=["pre", "post"])
    assert (fixed.occasions, fixed.base, fixed.snapshot) == (("pre", "post"), "pre", "post")
    assert not any("file order" in q for q in fixed.quality)
    assert icmaps.compare(rs, occasions=["pre", "post"]).base == "pre"


def test_cli_warns_about_file_order_and_takes_occasions(tmp_path: Path) -> None:
    rs = _relabelled({"2025-fall": "pre", "2026-spring": "post"})
    path = tmp_path / "prepost.csv"
    icmaps.write_ratings(rs, path)
    code, out, err = run_cli("compare", "learning-school", str(path), "--format", "json")
    assert code == 0, err
    assert "warning: occasions are in file order (post, pre)" in err
    assert json.loads(out)["base"] == "post"
    code, out, err = run_cli(
        "compare", "learning-school", str(path), "--format", "json", "--occasions", "pre,post"
    )
    assert code == 0, err
    assert "warning" not in err
    assert json.loads(out)["base"] == "pre"
    html = tmp_path / "r.json"
    code, _, err = run_cli(
        "report", "learning-school", str(path), "-o", str(html), "--occasions", "pre, post"
    )
    assert code == 0, err
    data = json.loads(html.read_text(encoding="utf-8"))
    assert (data["occasions"], data["base"], data["occasion_order"]) == (
        ["pre", "post"],
        "pre",
        "given",
    )
    code, _, err = run_cli("report", "learning-school", str(path), "-o", str(html))
    assert code == 0
    assert "warning: occasions are in file order" in err
    code, _, err = run_cli("report", "learning-school", str(path), "--occasions", "pre,later")
    assert code != 0
    assert "no ratings on 'later'" in err
