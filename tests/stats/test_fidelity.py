"""Fidelity rules in the map: several named rules, each scoped to a group, with bands and a
'met on N consecutive occasions' condition (PBIS TFI: one 70 % rule per tier)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import NotFoundError
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.fidelity import fidelity
from tests.conftest import run_cli

PBIS = icmaps.load_map("pbis-tfi")


def _tier_records(
    subject: str, codes: dict[str, str], occasion: str = "2025-fall"
) -> list[dict[str, str]]:
    """Every component of the tiers in ``codes`` rated by the team, the code set per tier
    (a school that does not run Tier 3 does not rate it)."""
    return [
        {
            "subject": subject,
            "rater": "team",
            "occasion": occasion,
            "component": c.id,
            "code": codes[PBIS.path_of(c.id)[0].id],
        }
        for c in PBIS.iter_components()
        if PBIS.path_of(c.id)[0].id in codes
    ]


def test_each_tier_is_scored_on_its_own() -> None:
    # Tier 1 fully in place (15 items), Tier 2 not at all (13): pooled, the index is 15/28,
    # and a pooled 50 % rule would pass it; each tier on its own: Tier 2 fails
    rs = RatingSet.from_records(PBIS, _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"}))
    u = fidelity(rs).unit("lincoln", "2025-fall")
    assert u.index == pytest.approx(15 / 28)
    assert u.rule("tier-3").meets is None  # not rated: does not count
    assert (u.rule("tier-1").index, u.rule("tier-1").meets) == (1.0, True)
    assert (u.rule("tier-2").index, u.rule("tier-2").meets) == (0.0, False)
    assert u.status == "below threshold"  # not every tier is met
    assert not u.meets
    both = RatingSet.from_records(PBIS, _tier_records("adams", {"tier-1": "2", "tier-2": "1"}))
    assert fidelity(both).unit("adams", "2025-fall").status == "below threshold"  # 50 % tier 2
    full = RatingSet.from_records(PBIS, _tier_records("hale", {"tier-1": "2", "tier-2": "2"}))
    assert fidelity(full).unit("hale", "2025-fall").meets
    # an explicit threshold judges the pooled index again, rules still listed
    pooled = fidelity(rs, threshold=0.5).unit("lincoln", "2025-fall")
    assert pooled.meets
    assert [r.rule for r in pooled.rules] == ["tier-1", "tier-2", "tier-3"]


def test_a_rule_not_rated_does_not_count_against_the_unit() -> None:
    tier1 = [
        r
        for r in _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"})
        if PBIS.path_of(r["component"])[0].id == "tier-1"
    ]
    u = fidelity(RatingSet.from_records(PBIS, tier1)).unit("lincoln", "2025-fall")
    assert (u.rule("tier-2").index, u.rule("tier-2").meets) == (None, None)
    assert u.meets


def test_rules_can_be_picked_and_unknown_ones_are_named() -> None:
    rs = RatingSet.from_records(PBIS, _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"}))
    only = fidelity(rs, rules="tier-2")
    assert only.rules == ("tier-2",)
    assert only.unit("lincoln", "2025-fall").status == "below threshold"
    with pytest.raises(
        NotFoundError, match=r"no fidelity rule 'tier-9'.*rules: tier-1, tier-2, tier-3"
    ):
        fidelity(rs, rules=["tier-9"])
    with pytest.raises(NotFoundError, match="no fidelity rule 'tier-4'"):
        fidelity(rs).unit("lincoln", "2025-fall").rule("tier-4")


BANDED = """\
icmap: 1
id: banded
version: 1.0.0
title: Banded
scale:
  levels:
    - {code: "3", label: Full, zone: ideal, score: 3}
    - {code: "2", label: Partial, zone: acceptable, score: 2}
    - {code: "1", label: Little, zone: unacceptable, score: 1}
    - {code: "0", label: None, zone: unacceptable, score: 0}
fidelity:
  - id: core
    group: core
    threshold: 0.8
    bands: [{label: full, min: 0.8}, {label: partial, min: 0.5}, {label: low, min: 0}]
  - id: sustained
    threshold: 0.6
    consecutive: 2
groups:
  - id: core
    kind: domain
    title: Core
    components:
      - {id: a, title: A, variations: [a3, a2, a1, a0]}
      - {id: b, title: B, variations: [b3, b2, b1, b0]}
  - id: extra
    kind: domain
    title: Extra
    components:
      - {id: c, title: C, variations: [c3, c2, c1, c0]}
"""


def _banded(rows: list[tuple[str, str, str, str]]) -> RatingSet:
    m = icmaps.loads_map(BANDED)
    return RatingSet.from_records(
        m,
        [
            {"subject": s, "rater": "r", "occasion": o, "component": c, "code": code}
            for s, o, c, code in rows
        ],
    )


def test_bands_name_where_the_index_falls() -> None:
    rs = _banded(
        [
            ("s", "2025-fall", "a", "3"),
            ("s", "2025-fall", "b", "1"),
            ("t", "2025-fall", "a", "3"),
            ("t", "2025-fall", "b", "3"),
            ("u", "2025-fall", "a", "0"),
            ("u", "2025-fall", "b", "1"),
        ]
    )
    f = fidelity(rs)
    assert [f.unit(x, "2025-fall").rule("core").band for x in "stu"] == ["partial", "full", "low"]
    assert f.unit("s", "2025-fall").rule("core").index == pytest.approx(4 / 6)


def test_consecutive_rules_need_the_occasions_just_before_in_time_order() -> None:
    # rows newest first: the time order still comes from the labels
    rows = [
        ("s", "2026-spring", "c", "3"),
        ("s", "2026-spring", "a", "3"),
        ("s", "2025-fall", "c", "3"),
        ("s", "2025-fall", "a", "3"),
        ("t", "2026-spring", "c", "3"),
        ("t", "2026-spring", "a", "3"),
        ("t", "2025-fall", "c", "0"),
        ("t", "2025-fall", "a", "0"),
        ("v", "2026-spring", "c", "3"),  # no rating on the occasion before
    ]
    f = fidelity(_banded(rows))
    met = {(u.key[0], u.key[1]): u.rule("sustained").meets for u in f.units}
    assert met == {
        ("s", "2025-fall"): False,  # the first occasion has none before it
        ("s", "2026-spring"): True,
        ("t", "2025-fall"): False,
        ("t", "2026-spring"): False,  # met now, not on the occasion before
        ("v", "2026-spring"): False,
    }


def test_map_rules_are_checked_with_their_place_in_the_file(tmp_path: Path) -> None:
    bad = BANDED.replace("group: core\n", "group: nowhere\n").replace(
        "  - id: sustained\n", "  - id: core\n"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = run_cli("validate", str(path))
    assert code != 0
    text = out + err
    assert "fidelity[0].group: no group 'nowhere' (groups: core, extra)" in text
    assert "fidelity[1].id: rule 'core' is named twice" in text
    unnamed = tmp_path / "unnamed.yaml"
    unnamed.write_text(BANDED.replace("  - id: sustained\n", "  - \n"), encoding="utf-8")
    code, out, err = run_cli("validate", str(unnamed))
    assert code != 0
    assert "fidelity[1]: several rules need an id each" in out + err


def test_cli_shows_each_tier_in_text_and_json(tmp_path: Path) -> None:
    records = _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"})
    path = tmp_path / "tfi.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    code, out, err = run_cli("fidelity", "pbis-tfi", str(path))
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("lincoln"))
    # tier-1, tier-2 and tier-3 (not rated) columns
    assert line.split()[-7:] == ["1.000", "met", "0.000", "not", "met", "not", "rated"]
    code, out, err = run_cli("fidelity", "pbis-tfi", str(path), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    unit = data["units"][0]
    assert data["status_by"] == "rules"
    assert [(r["rule"], r["group"], r["meets"]) for r in unit["rules"]] == [
        ("tier-1", "tier-1", True),
        ("tier-2", "tier-2", False),
        ("tier-3", "tier-3", None),
    ]
    assert unit["status"] == "below threshold"
    code, out, err = run_cli("fidelity", "pbis-tfi", str(path), "--rule", "tier-2")
    assert code == 0, err
    assert "tier-1" not in out.split("\n\n")[1]
    # the old spelling of the rater rule still works, and the new one
    assert run_cli("fidelity", "pbis-tfi", str(path), "--rule", "modal")[0] == 0
    assert run_cli("fidelity", "pbis-tfi", str(path), "--combine", "modal")[0] == 0
    code, _, err = run_cli("fidelity", "pbis-tfi", str(path), "--rule", "tier-9")
    assert code != 0
    assert "no fidelity rule 'tier-9'" in err


def test_report_judges_fidelity_by_the_map_rules() -> None:
    rs = RatingSet.from_records(PBIS, _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"}))
    r = icmaps.report(rs)
    assert r.fidelity is not None
    assert r.fidelity.by_rules
    assert r.fidelity.unit("lincoln", "2025-fall").status == "below threshold"


def test_report_counts_each_rule_per_occasion() -> None:
    records = [
        *_tier_records("lincoln", {"tier-1": "2", "tier-2": "0"}),
        *_tier_records("adams", {"tier-1": "2", "tier-2": "2"}),
    ]
    r = icmaps.report(RatingSet.from_records(PBIS, records))
    assert r.fidelity_rules() == (("2025-fall", ((2, 2), (1, 2), (0, 0))),)
    html = r.to_html()
    assert "tier-2: met" in html
    assert "1 of 2" in html
    assert "| tier-1: met | tier-2: met | tier-3: met |" in r.to_markdown()


def test_report_says_which_rule_a_subject_misses() -> None:
    rs = RatingSet.from_records(PBIS, _tier_records("lincoln", {"tier-1": "2", "tier-2": "0"}))
    html = icmaps.report(rs).to_html()
    assert "not met: tier-2" in html
    assert "meets every one of the map's rules it was rated on (tier-1, tier-2, tier-3)" in html


def test_consecutive_occasions_are_each_subjects_own_visits() -> None:
    # each school is visited on its own dates: its previous visit is its own, not another's
    rows = [
        (s, o, c, "3")
        for s, dates in (("a", ("2025-10-01", "2025-11-03")), ("b", ("2025-10-02", "2025-11-04")))
        for o in dates
        for c in ("a", "b", "c")
    ]
    f = fidelity(_banded(rows))
    met = {(u.key[0], u.key[1]): u.rule("sustained").meets for u in f.units}
    assert met == {
        ("a", "2025-10-01"): False,
        ("a", "2025-11-03"): True,
        ("b", "2025-10-02"): False,
        ("b", "2025-11-04"): True,
    }
    # with rules of their own, the unit's status is the rules' verdict
    assert f.by_rules
    assert f.unit("a", "2025-10-01").status == "below threshold"
    assert f.unit("a", "2025-11-03").status == "fidelity"
