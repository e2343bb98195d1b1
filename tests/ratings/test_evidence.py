"""Note and evidence columns: kept with each rating, written back, never grouped by."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.ratings.columns import MAX_TEXT_CHARS
from tests.conftest import run_cli

HEADER = "subject,rater,occasion,component,code,district,note,evidence\n"
ROWS = [
    'lincoln,r1,fall,al-team-agenda,3,north,"Agenda set in August, not revisited",minutes 9/12',
    "lincoln,r2,fall,al-team-agenda,3,north,,<b>walkthrough</b> notes",
    "lincoln,r1,fall,cr-structures,2,north,Teams named for every grade,",
]


def _file(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "with-notes.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["long", "wide", "jsonl"])
def test_notes_and_evidence_round_trip_and_are_not_attributes(tmp_path: Path, fmt: str) -> None:
    rs = icmaps.read_ratings(_file(tmp_path), "learning-school")
    assert rs.attributes == ("district",)
    assert rs.text_columns == ("note", "evidence")
    assert rs.column("note")[0] == "Agenda set in August, not revisited"
    out = tmp_path / ("again.jsonl" if fmt == "jsonl" else "again.csv")
    if fmt == "wide":  # one row per subject x rater x occasion cannot hold per-rating texts
        with pytest.raises(UsageError, match="differs between the ratings of one subject"):
            icmaps.write_ratings(rs, out, format="wide")
    else:
        icmaps.write_ratings(rs, out, format=fmt)  # type: ignore[arg-type]
        again = icmaps.read_ratings(out, "learning-school")
        assert again == rs
        assert again.column("evidence") == rs.column("evidence")
    # notes never become a grouping or a per-subject attribute clash
    with pytest.raises(UsageError, match="free text kept with each rating"):
        icmaps.summarize(rs, by="note")
    with pytest.raises(UsageError, match="free text"):
        icmaps.report(rs, by="evidence")


def test_cli_refuses_to_group_by_notes(tmp_path: Path) -> None:
    code, _, err = run_cli("summarize", "learning-school", str(_file(tmp_path)), "--by", "note")
    assert code == 2
    assert "it holds free text kept with each rating" in err


def test_text_past_the_bound_is_an_error_with_its_line(tmp_path: Path) -> None:
    long = "x" * (MAX_TEXT_CHARS + 1)
    path = _file(tmp_path, [*ROWS, f"adams,r1,fall,al-team-agenda,1,north,{long},"])
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    assert not result.ok
    (p,) = [p for p in result.problems if p.severity == "error"]
    assert p.line == 5
    assert f"note: {MAX_TEXT_CHARS + 1} characters; at most {MAX_TEXT_CHARS}" in p.message
    assert len(result.ratings) == 3  # that rating is left out, the others kept


def test_the_action_plan_carries_what_raters_wrote(tmp_path: Path) -> None:
    rs = icmaps.read_ratings(_file(tmp_path), "learning-school")
    plan = icmaps.action_plan(rs, "lincoln")
    item = plan.row("al-team-agenda")
    assert item.evidence == (
        "Agenda set in August, not revisited | minutes 9/12 | <b>walkthrough</b> notes"
    )
    from icmaps.render.html import plan_html

    page = plan_html(plan)
    assert "&lt;b&gt;walkthrough&lt;/b&gt;" in page
    assert "<b>walkthrough</b>" not in page


def test_a_wide_file_gives_its_row_note_to_every_rating_of_the_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "subject,rater,occasion,note,al-team-agenda,cr-structures\n"
        "lincoln,r1,fall,visited in October,3,2\n",
        encoding="utf-8",
    )
    rs = icmaps.read_ratings(path, "learning-school")
    assert rs.text_columns == ("note",)
    assert rs.column("note") == ["visited in October", "visited in October"]
    # one note per row: written back wide as it was read
    out = tmp_path / "again.csv"
    icmaps.write_ratings(rs, out, format="wide")
    assert icmaps.read_ratings(out, "learning-school") == rs


def test_the_disagreement_view_shows_what_each_rater_wrote(tmp_path: Path) -> None:
    rows = [
        "lincoln,r1,fall,al-team-agenda,1,north,Agenda reviewed each cycle,",
        "lincoln,r2,fall,al-team-agenda,3,north,,no agenda seen",
        "lincoln,r1,fall,cr-structures,2,north,,",
        "lincoln,r2,fall,cr-structures,2,north,,",
    ]
    rs = icmaps.read_ratings(_file(tmp_path, rows), "learning-school")
    d = icmaps.disagreements(rs)
    assert [row.component for row in d] == ["al-team-agenda"]
    assert d.rows[0].notes == ("r1: Agenda reviewed each cycle", "r2: no agenda seen")
    assert "r2: no agenda seen" in str(d)
    assert d.to_dict()["disagreements"][0]["notes"] == list(d.rows[0].notes)  # type: ignore[index]


def test_self_assessment_against_observation(tmp_path: Path) -> None:
    path = tmp_path / "sources.csv"
    rows = ["subject,rater,occasion,component,code,source"]
    # the school rates itself one level above what the observer sees on two components
    for comp, own, seen in (
        ("al-team-agenda", "1", "2"),
        ("cr-structures", "2", "3"),
        ("al-protected-time", "2", "2"),
    ):
        rows.append(f"lincoln,principal,fall,{comp},{own},self")
        rows.append(f"lincoln,coach,fall,{comp},{seen},observer")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = icmaps.read_ratings(path, "learning-school", errors="collect")
    assert result.problems == ()  # a subject's source differs by design: no warning
    rs = result.ratings
    c = icmaps.compare(rs, between="source", base="self", other="observer")
    assert c.n == 3
    assert c.share_base_higher == pytest.approx(2 / 3)
    assert c.row("al-team-agenda").base_above_other == 1.0
    assert c.row("al-protected-time").base_above_other == 0.0
    code, out, err = run_cli(
        "compare",
        "learning-school",
        str(path),
        "--between",
        "source",
        "--base",
        "self",
        "--other",
        "observer",
        "--format",
        "json",
    )
    assert code == 0, err
    assert '"share_base_higher": 1.0' in out
    r = icmaps.report(rs)
    assert r.sources is not None
    assert (r.sources.base, r.sources.other) == ("self", "observer")
    assert "Self-assessment and observer" in r.to_html()
    assert "Self-assessment and observer" in r.to_markdown()
    assert r.to_dict()["sources"] is not None
    with pytest.raises(UsageError, match="give by= or between="):
        icmaps.compare(rs, by="district", between="source")


def test_plans_and_profiles_from_one_source(tmp_path: Path) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(
        "subject,rater,occasion,component,code,source\n"
        "lincoln,principal,fall,al-team-agenda,1,self\n"
        "lincoln,coach,fall,al-team-agenda,3,observer\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(
        "plan",
        "learning-school",
        str(path),
        "--subject",
        "lincoln",
        "--source",
        "observer",
        "--format",
        "json",
    )
    assert code == 0, err
    assert [i["current"] for i in json.loads(out)["items"]] == ["3"]
    code, out, err = run_cli(
        "plan",
        "learning-school",
        str(path),
        "--subject",
        "lincoln",
        "--source",
        "self",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["items"] == []  # the school rates itself ideal
    code, out, err = run_cli(
        "report",
        "learning-school",
        str(path),
        "--subject",
        "lincoln",
        "--source",
        "observer",
        "--format",
        "json",
    )
    assert code == 0, err
    code, _, err = run_cli(
        "plan", "learning-school", str(path), "--subject", "lincoln", "--source", "team"
    )
    assert code == 2
    assert "no ratings from 'team' (sources: self, observer)" in err
