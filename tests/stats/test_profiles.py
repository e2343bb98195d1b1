"""One subject's IC profile: where it is, the next step, evidence, change since before."""

from __future__ import annotations

from pathlib import Path

import pytest

import icmaps
from icmaps.errors import NotFoundError
from icmaps.ratings.ratingset import RatingSet
from tests.conftest import run_cli

LS = icmaps.load_map("learning-school")
EXAMPLE = icmaps.example_ratings("learning-school")


def test_profile_changes_are_the_comparisons_moves() -> None:
    rs = icmaps.read_ratings(EXAMPLE, LS)
    p = icmaps.profile(rs, "lincoln-elementary")
    assert (p.occasion, p.previous_occasion) == ("2026-spring", "2025-fall")
    # a move's steps count levels toward the desired end, as a profile's change does
    moves = {
        m.component: m.steps for m in icmaps.compare(rs).moves if m.unit == ("lincoln-elementary",)
    }
    got = {r.component: r.change for r in p.rows if r.change}
    assert got == moves
    assert [r.component for r in p.rows] == [c.id for c in LS.iter_components()]
    row = p.row("al-team-agenda")
    texts = {v.code: v.text for v in LS.variations_of("al-team-agenda")}
    assert row.text == texts[str(row.code)]
    assert row.next_text == texts[str(row.next)]
    assert p.row("al-school-plan").status == "not rated"  # no rating in the example
    first = icmaps.profile(rs, "lincoln-elementary", occasion="2025-fall")
    assert first.previous_occasion is None
    assert all(r.change is None for r in first.rows)
    with pytest.raises(NotFoundError, match="no subject 'x'"):
        icmaps.profile(rs, "x")


def test_cli_writes_one_profile_or_one_per_subject(tmp_path: Path) -> None:
    rows = [
        {
            "subject": name,
            "rater": "r",
            "occasion": "2025-fall",
            "component": "al-team-agenda",
            "code": "2",
            "note": "<script>x</script> seen in minutes",
        }
        for name in ("<script>alert(1)</script>", "../etc/passwd", "Ash School", "ash-school")
    ]
    path = tmp_path / "hostile.csv"
    icmaps.write_ratings(RatingSet.from_records(LS, rows), path)
    out = tmp_path / "one.html"
    code, _, err = run_cli(
        "report", "learning-school", str(path), "--subject", "Ash School", "-o", str(out)
    )
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "IC profile: Ash School" in page
    assert "&lt;script&gt;x&lt;/script&gt; seen in minutes" in page
    folder = tmp_path / "profiles"
    code, _, err = run_cli(
        "report", "learning-school", str(path), "--each-subject", "-o", str(folder)
    )
    assert code == 0, err
    files = sorted(f.name for f in folder.iterdir())
    assert "index.html" in files
    assert len(files) == 5  # four subjects, names made safe and unique, and the index
    assert all("/" not in f and not f.startswith(".") for f in files)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "<script>" not in index
    code, _, err = run_cli("report", "learning-school", str(path), "--each-subject")
    assert code == 2
    assert "give -o DIR" in err


def test_each_subject_keeps_the_occasion_asked_for(tmp_path: Path) -> None:
    folder = tmp_path / "fall"
    code, _, err = run_cli(
        "report",
        "learning-school",
        EXAMPLE,
        "--each-subject",
        "--occasion",
        "2025-fall",
        "-o",
        str(folder),
    )
    assert code == 0, err
    page = (folder / "lincoln-elementary.html").read_text(encoding="utf-8")
    assert "occasion <b>2025-fall</b>" in page


def test_a_special_code_is_shown_as_given_not_as_the_level_it_counts_as() -> None:
    m = icmaps.load_map("cbam-classroom-practice")  # non-use counts as the lowest level
    recs = [
        {"subject": "t", "rater": "r", "occasion": "o", "component": c.id, "code": "non-use"}
        for c in m.iter_components()
    ]
    rs = RatingSet.from_records(m, recs)
    row = icmaps.profile(rs, "t").rows[0]
    assert (row.code, row.text.split(":")[0]) == ("non-use", "Non-use")
    item = icmaps.action_plan(rs, "t").items[0]
    assert (item.current, item.current_text.split(":")[0]) == ("non-use", "Non-use")
