"""Rater calibration against anchor ratings: the bundled session, a separate anchor file,
options, errors and the CLI."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.stats.calibration import calibrate
from icmaps.stats.coefficients import cohen_kappa
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent.parent
SESSION = ROOT / "maps" / "examples" / "learning-school-calibration.csv"
KEY = "a-key-of-more-than-sixteen-bytes"


@pytest.fixture(scope="module")
def session() -> icmaps.RatingSet:
    return icmaps.read_ratings(str(SESSION), "learning-school")


def _by_hand(within: int = 1) -> dict[str, dict[str, float]]:
    """Every trainee's figures computed from the CSV rows, one rating at a time."""
    m = icmaps.load_map("learning-school")
    index = {c.id: [lv.code for lv in m.scale_of(c.id).levels] for c in m.all_components()}
    anchor: dict[tuple[str, str, str], int] = {}
    with SESSION.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["rater"] == "expert":
            anchor[r["subject"], r["occasion"], r["component"]] = index[r["component"]].index(
                r["code"]
            )
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in rows:
        if r["rater"] != "expert":
            mine = index[r["component"]].index(r["code"])
            pairs[r["rater"]].append((mine, anchor[r["subject"], r["occasion"], r["component"]]))
    out = {}
    for rater, ps in pairs.items():
        n = len(ps)
        out[rater] = {
            "n": n,
            "exact": sum(a == b for a, b in ps) / n,
            "adjacent": sum(abs(a - b) <= within for a, b in ps) / n,
            "bias": sum(a - b for a, b in ps) / n,
            "kappa": cohen_kappa(
                [a for a, _ in ps], [b for _, b in ps], n_levels=4, weights="linear"
            ).value,
        }
    return out


def test_bundled_session_matches_a_count_by_hand(session: icmaps.RatingSet) -> None:
    cal = calibrate(session, anchor="expert")
    expected = _by_hand()
    assert [r.rater for r in cal.raters] == sorted(expected)
    for r in cal.raters:
        e = expected[r.rater]
        assert r.n == e["n"]
        assert r.exact == pytest.approx(e["exact"], abs=1e-12)
        assert r.adjacent == pytest.approx(e["adjacent"], abs=1e-12)
        assert r.bias == pytest.approx(e["bias"], abs=1e-12)
        assert r.kappa == pytest.approx(e["kappa"], abs=1e-12)
        assert r.certified == (e["adjacent"] >= 0.8)


def test_bundled_session_tells_its_story(session: icmaps.RatingSet) -> None:
    cal = calibrate(session, anchor="expert")
    assert cal.certified == ("trainee-a", "trainee-b", "trainee-c")
    assert cal.row("trainee-b").direction == "lenient"
    assert cal.row("trainee-c").direction == "severe"
    improving, drifting = cal.row("trainee-d"), cal.row("trainee-e")
    assert (improving.drift_from, improving.drift_to) == ("2025-08-20", "2025-09-17")
    assert (improving.drift_exact or 0.0) > 0.2
    assert (drifting.drift_exact or 0.0) < -0.2
    rounds = {(o.rater, o.occasion): o.certified for o in cal.occasions}
    assert rounds["trainee-d", "2025-09-17"]
    assert not rounds["trainee-d", "2025-08-20"]
    assert (cal.lenient_end, cal.severe_end) == ("Ideal", "Not yet")


def test_components_and_occasions_add_up(session: icmaps.RatingSet) -> None:
    cal = calibrate(session, anchor="expert")
    for r in cal.raters:
        comps = [c for c in cal.components if c.rater == r.rater]
        occs = [o for o in cal.occasions if o.rater == r.rater]
        assert sum(c.n for c in comps) == sum(o.n for o in occs) == r.n
        exact = sum(c.n * (c.exact or 0.0) for c in comps) / r.n
        assert exact == pytest.approx(r.exact, abs=1e-12)
        assert [c.component for c in comps] == [
            c.id for c in session.map.all_components() if c.id in {x.component for x in comps}
        ]


def test_exact_criterion_and_threshold(session: icmaps.RatingSet) -> None:
    cal = calibrate(session, anchor="expert", threshold=0.6, within=0)
    expected = _by_hand(within=0)
    assert cal.criterion == "exact"
    assert {r.rater for r in cal.raters if r.certified} == {
        name for name, e in expected.items() if e["exact"] >= 0.6
    }


def test_anchor_file(session: icmaps.RatingSet, tmp_path: Path) -> None:
    with SESSION.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    anchor_file, trainees_file = tmp_path / "master.csv", tmp_path / "trainees.csv"
    for path, keep in ((anchor_file, True), (trainees_file, False)):
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            for r in rows:
                if (r["rater"] == "expert") == keep:
                    w.writerow({**r, "rater": "master"} if keep else r)
    trainees = icmaps.read_ratings(str(trainees_file), "learning-school")
    from_file = calibrate(trainees, anchor=anchor_file)
    from_rater = calibrate(session, anchor="expert")
    assert from_file.anchor == "master.csv"
    assert [r.to_dict() for r in from_file.raters] == [r.to_dict() for r in from_rater.raters]


def test_errors(session: icmaps.RatingSet) -> None:
    with pytest.raises(UsageError, match="anchor 'nobody' is neither a rater in the ratings"):
        calibrate(session, anchor="nobody")
    with pytest.raises(UsageError, match="threshold must be a share between 0 and 1"):
        calibrate(session, anchor="expert", threshold=80)
    with pytest.raises(UsageError, match="within must be a non-negative whole number"):
        calibrate(session, anchor="expert", within=-1)
    expert = session.filter(rater="expert")
    with pytest.raises(UsageError, match="the anchor rated subject 'lesson-01' on"):
        calibrate(session, anchor=expert + expert)
    alone = session.filter(rater="expert")
    with pytest.raises(UsageError, match=r"no unit .* was rated by both the anchor"):
        calibrate(alone, anchor="expert")


def test_small_samples_are_noted() -> None:
    rs = icmaps.RatingSet.from_records(
        icmaps.load_map("learning-school"),
        [
            {
                "subject": "s",
                "rater": r,
                "occasion": "o",
                "component": "al-teacher-routine",
                "code": code,
            }
            for r, code in (("expert", "1"), ("t", "2"))
        ],
    )
    cal = calibrate(rs, anchor="expert")
    assert (
        cal.notes[0] == "Fewer than 10 ratings compared for t: treat their figures as provisional."
    )
    assert "fewer than 10 ratings compared" in str(cal)


def test_cli_json_lists_the_figures_per_rater() -> None:
    code, out, _ = run_cli(
        "calibrate", "learning-school", str(SESSION), "--anchor", "expert", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["anchor"] == "expert"
    first = data["raters"][0]
    assert {"rater", "n", "exact", "adjacent", "kappa", "bias", "certified"} <= set(first)
    assert first["rater"] == "trainee-a"


def test_cli_text_csv_and_options() -> None:
    code, out, _ = run_cli(
        "calibrate", "learning-school", str(SESSION), "--anchor", "expert", "--by-component"
    )
    assert code == 0
    assert "Calibration by component:" in out
    assert "lenient (toward Ideal)" in out
    code, out, _ = run_cli(
        "calibrate", "learning-school", str(SESSION), "--anchor", "expert", "--format", "csv",
        "--within", "0", "--threshold", "0.5",
    )  # fmt: skip
    assert code == 0
    header = out.splitlines()[0].split(",")
    assert header[:4] == ["rater", "n", "exact", "adjacent"]
    code, _, err = run_cli("calibrate", "learning-school", str(SESSION), "--anchor", "nobody")
    assert code == 2
    assert "neither a rater in the ratings" in err


def test_cli_pseudonymizes_raters(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY)
    code, out, err = run_cli(
        "calibrate", "learning-school", str(SESSION), "--anchor", "expert",
        "--format", "json", "--pseudonymize", str(keyfile),
    )  # fmt: skip
    assert code == 0, err
    assert "trainee" not in out
    assert "expert" not in out
    assert len(json.loads(out)["raters"]) == 5


def test_rows_carry_their_caveats(session: icmaps.RatingSet) -> None:
    cal = calibrate(session, anchor="expert")
    table = cal.to_table(by_component=True)
    by_occasion, by_component = table.more
    notes = {(r[0], r[1]): r[-1] for r in by_occasion.rows}
    # trainee-e's second round is below chance against the anchor
    kappa = {(o.rater, o.occasion): o.kappa for o in cal.occasions}
    assert (kappa["trainee-e", "2025-09-17"] or 0.0) < 0
    assert notes["trainee-e", "2025-09-17"] == "kappa below chance"
    assert notes["trainee-a", "2025-09-17"] is None
    # the small-sample note goes with the number of ratings compared, row by row
    for r in by_component.rows:
        assert ("fewer than 10 ratings compared" in (r[-1] or "")) == (r[2] < 10)
        assert ("kappa below chance" in (r[-1] or "")) == (r[5] is not None and r[5] < 0)
