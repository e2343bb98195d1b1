"""Action plans: one subject's components below target, with the text of the next step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import NotFoundError
from icmaps.ratings.ratingset import RatingSet
from icmaps.render.html import plan_html
from tests.conftest import run_cli

LS = icmaps.load_map("learning-school")
EXAMPLE = icmaps.example_ratings("learning-school")


def test_plan_lists_gaps_with_the_next_variation_in_priority_order() -> None:
    rs = icmaps.read_ratings(EXAMPLE, LS)
    plan = icmaps.action_plan(rs, "lincoln-elementary")
    assert plan.occasion == "2026-spring"  # the subject's last occasion, in time order
    gaps = icmaps.gap_to_target(rs, "ideal", subject="lincoln-elementary", occasion="2026-spring")
    assert {i.component for i in plan.items} == {g.component for g in gaps.gaps if g.gap}
    # critical first, then weight, then distance
    keys = [(not i.critical, -i.weight, -i.steps) for i in plan.items]
    assert keys == sorted(keys)
    for i in plan.items:
        texts = {v.code: v.text for v in LS.variations_of(i.component)}
        assert i.current_text == texts[i.current]
        assert i.next_text == texts[i.next]  # one level up, toward the desired end
        assert LS.scale_of(i.component).index(i.next) < LS.scale_of(i.component).index(i.current)
        assert (i.owner, i.due, i.status) == ("", "", "")
    assert [i.priority for i in plan.items] == list(range(1, len(plan.items) + 1))


def test_plan_skips_an_empty_cell_on_the_way_up_and_takes_other_targets() -> None:
    rows = [
        {"subject": "s", "rater": "r", "occasion": "2025-fall", "component": c, "code": code}
        for c, code in (("ll-impact-record", "3"), ("al-team-agenda", "2"), ("cr-structures", "1"))
    ]
    plan = icmaps.action_plan(RatingSet.from_records(LS, rows), "s", target="acceptable")
    assert [i.component for i in plan.items] == ["ll-impact-record"]
    assert plan.items[0].next == "2"
    assert set(plan.at_target) == {"al-team-agenda", "cr-structures"}
    to_two = icmaps.action_plan(RatingSet.from_records(LS, rows), "s", target="2")
    assert [i.component for i in to_two.items] == ["ll-impact-record"]
    with pytest.raises(NotFoundError, match="no subject 'nobody'"):
        icmaps.action_plan(RatingSet.from_records(LS, rows), "nobody")
    with pytest.raises(NotFoundError, match="was not rated on '2030'"):
        icmaps.action_plan(RatingSet.from_records(LS, rows), "s", occasion="2030")


def test_plan_page_is_printable_and_escaped() -> None:
    rows = [
        {
            "subject": "<script>alert(1)</script>",
            "rater": "r",
            "occasion": "2025-fall",
            "component": "al-team-agenda",
            "code": "3",
        },
    ]
    plan = icmaps.action_plan(RatingSet.from_records(LS, rows), "<script>alert(1)</script>")
    page = plan_html(plan)
    assert "@page{size:A4" in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Next step up" in page


def test_cli_plan_in_every_format(tmp_path: Path) -> None:
    code, out, err = run_cli("plan", "learning-school", EXAMPLE, "--subject", "lincoln-elementary")
    assert code == 0, err
    assert "action plan for lincoln-elementary (2026-spring)" in out
    out_text = out
    code, out, err = run_cli(
        "plan", "learning-school", EXAMPLE, "--subject", "lincoln-elementary", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["items"][0]["priority"] == 1
    assert data["items"][0]["next_text"]
    for suffix in ("html", "htm", "md", "markdown", "csv", "txt"):
        target = tmp_path / f"plan.{suffix}"
        code, _, err = run_cli(
            "plan", "learning-school", EXAMPLE, "--subject", "lincoln-elementary", "-o", str(target)
        )
        assert code == 0, err
        assert target.read_text(encoding="utf-8")
    written = {p.suffix: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    assert written[".html"].startswith("<!DOCTYPE html>")
    assert written[".htm"] == written[".html"]
    # the format comes from the suffix; one it does not know gives plain text
    assert written[".markdown"] == written[".md"] != written[".txt"]
    assert written[".txt"] == out_text
    code, _, err = run_cli("plan", "learning-school", EXAMPLE, "--subject", "nobody")
    assert code == 2
    assert "no subject 'nobody'" in err


def test_cli_configurations() -> None:
    code, out, err = run_cli("configurations", "learning-school", EXAMPLE, "--k", "2")
    assert code == 0, err
    assert "2 configurations" in out
