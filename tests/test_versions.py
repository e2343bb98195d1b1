"""Map versions: diff_maps, crosswalk files and migrating ratings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import icmaps
from icmaps.errors import LoadError, NotFoundError, UsageError
from icmaps.maps.crosswalk import Crosswalk, crosswalk, load_crosswalk, loads_crosswalk
from icmaps.maps.diff import Change, diff_maps
from icmaps.maps.model import Map
from icmaps.ratings.migrate import migrate_ratings
from icmaps.ratings.ratingset import RatingSet

from .conftest import run_cli, run_subprocess
from .strategies import maps

OLD = """\
id: demo
version: "1"
title: Demo
roles: [{id: teacher, label: Teacher}, {id: coach, label: Coach}]
scale:
  levels:
    - {code: "1", label: Ideal, zone: ideal, score: 2}
    - {code: "2", label: Partial, zone: acceptable, score: 1}
    - {code: "3", label: Not yet, zone: unacceptable, score: 0}
  special: [{code: NA, label: N/A, counts: excluded}]
groups:
  - id: g1
    title: Planning
    components:
      - {id: plans, title: Plans lessons, roles: [teacher], variations: [Weekly, Monthly, Never]}
      - {id: gone, title: Old row, roles: [teacher], variations: [a, b, c]}
  - id: g2
    title: Coaching
    components:
      - {id: coaches, title: Coaches, roles: [coach], variations: [x, y, z]}
"""

NEW = """\
id: demo
version: "2"
title: Demo
roles: [{id: teacher, label: Teacher}, {id: coach, label: Coach}]
scale:
  levels:
    - {code: "1", label: Ideal, zone: ideal, score: 2}
    - {code: "2", label: Partial, zone: acceptable, score: 1}
    - {code: "3", label: Not yet, zone: unacceptable, score: 0}
  special: [{code: NA, label: N/A, counts: excluded}]
scales:
  four:
    levels:
      - {code: "1", label: Ideal, zone: ideal, score: 3}
      - {code: "2", label: Partial, zone: unacceptable, score: 1}
      - {code: "3", label: Not yet, zone: unacceptable, score: 0}
      - {code: "4", label: Absent, zone: unacceptable, score: 0}
groups:
  - id: g1
    title: Planning together
    components:
      - {id: plans, title: Plans lessons with the team, roles: [teacher, coach], critical: true,
         weight: 2, scale: four, variations: [Weekly, Monthly, Never, Absent]}
      - {id: new-row, title: New row, roles: [teacher], variations: [a, b, c]}
  - id: g2
    title: Coaching
    components:
      - {id: coaching, title: Coaches, roles: [coach], variations: [x, y, z]}
"""


@pytest.fixture(scope="module")
def old() -> Map:
    return icmaps.loads_map(OLD)


@pytest.fixture(scope="module")
def new() -> Map:
    return icmaps.loads_map(NEW)


def test_diff_lists_every_change_in_order(old: Map, new: Map) -> None:
    d = diff_maps(old, new)
    assert [str(c) for c in d.changes] == [
        "group retitled g1: 'Planning' -> 'Planning together'",
        "component removed gone: was 'Old row'",
        "component removed coaches: was 'Coaches'",
        "component added new-row: 'New row'",
        "component added coaching: 'Coaches'",
        "retitled plans: 'Plans lessons' -> 'Plans lessons with the team'",
        "roles changed plans: 'teacher' -> 'teacher, coach'",
        "critical changed plans: 'False' -> 'True'",
        "weight changed plans: '1' -> '2'",
        "level added plans [4]: 'Absent'",
        "re-scored plans [1]: '2' -> '3'",
        "re-zoned plans [2]: 'acceptable' -> 'unacceptable'",
        "special code removed plans [NA]: was 'excluded'",
    ]
    assert d.added == ("new-row", "coaching")
    assert d.removed == ("gone", "coaches")
    assert d.retitled == ("plans",)
    assert d.levels_changed == ("plans",)
    assert bool(d)
    assert not d.is_empty


def test_diff_text_and_records(old: Map, new: Map) -> None:
    d = diff_maps(old, new)
    text = str(d)
    assert text.splitlines()[0] == (
        "demo 1 -> demo 2: 1 group retitled, 2 component removed, 2 component added, "
        "1 retitled, 1 roles changed, 1 critical changed, 1 weight changed, 1 level added, "
        "1 re-scored, 1 re-zoned, 1 special code removed"
    )
    assert text.splitlines()[2].split() == ["kind", "target", "detail", "old", "new"]
    assert ["re-zoned", "plans", "2", "acceptable", "unacceptable"] in [
        line.split() for line in text.splitlines()
    ]
    rec = d.to_records()[0]
    assert rec == {
        "kind": "group retitled",
        "target": "g1",
        "detail": None,
        "old": "Planning",
        "new": "Planning together",
    }
    assert d.to_dict()["old"] == {"id": "demo", "version": "1"}
    assert d.to_csv().splitlines()[0] == "kind,target,detail,old,new"
    assert list(d.to_pandas().columns) == ["kind", "target", "detail", "old", "new"]


def test_diff_of_levels_removed_reordered_and_descriptors() -> None:
    a = icmaps.loads_map(
        "id: x\nversion: '1'\ntitle: X\nscale: {levels: [{code: a, label: A, zone: ideal},"
        " {code: b, label: B, zone: acceptable}, {code: c, label: C, zone: unacceptable}]}\n"
        "components: [{id: c1, title: C1, variations: [p, q, r]}]\n"
    )
    b = icmaps.loads_map(
        "id: x\nversion: '2'\ntitle: Y\nscale: {levels: [{code: b, label: Bee, zone: ideal},"
        " {code: a, label: A, zone: acceptable}]}\n"
        "components: [{id: c1, title: C1, variations: [q2, p]}]\n"
    )
    assert [c.kind for c in diff_maps(a, b).changes] == [
        "map retitled",
        "level removed",
        "levels reordered",
        "re-zoned",
        "relabelled",
        "descriptor changed",
        "re-zoned",
    ]
    assert diff_maps(a, b).of_kind("levels reordered")[0] == Change(
        "levels reordered", "c1", None, "a b", "b a"
    )


@pytest.mark.parametrize("map_id", icmaps.list_maps())
def test_diff_of_a_bundled_map_with_itself_is_empty(map_id: str) -> None:
    m = icmaps.load_map(map_id)
    d = diff_maps(m, m)
    assert d.is_empty
    assert str(d) == f"{m.id} {m.version} -> {m.id} {m.version}: no changes"
    assert crosswalk(m, m) == Crosswalk(
        old_map=m.id, old_version=m.version, new_map=m.id, new_version=m.version
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps())
def test_diff_of_any_map_with_itself_is_empty(doc: dict[str, Any]) -> None:
    m = Map.model_validate(doc)
    again = Map.model_validate(json.loads(json.dumps(doc)))
    assert diff_maps(m, again).changes == ()


# -- crosswalks -----------------------------------------------------------------------------


def test_crosswalk_yaml() -> None:
    cw = loads_crosswalk(
        "crosswalk: 1\n"
        "from: {map: demo, version: '1'}\n"
        "to: {map: demo, version: '2'}\n"
        "components:\n"
        "  gone: null\n"
        "  coaches: coaching\n"
        "  plans:\n"
        "    levels: {'2': '3', '3': null}\n",
        path="cw.yaml",
    )
    assert dict(cw.components) == {"gone": None, "coaches": "coaching", "plans": "plans"}
    assert {k: dict(v) for k, v in cw.levels.items()} == {"plans": {"2": "3", "3": None}}
    assert (cw.old_map, cw.old_version, cw.new_map, cw.new_version) == ("demo", "1", "demo", "2")
    assert cw.target("gone") is None
    assert cw.target("other") == "other"
    assert cw.recode("plans", "3") is None
    assert cw.locations["/components/plans"] == (7, 3)
    # the YAML it writes reads back the same
    assert loads_crosswalk(cw.to_yaml()) == cw


def test_crosswalk_csv(tmp_path: Path) -> None:
    f = tmp_path / "cw.csv"
    f.write_text(
        "old_component,new_component,old_code,new_code\n"
        "gone,,,\n"
        "coaches,coaching,,\n"
        "plans,plans,2,3\n"
        "plans,plans,3,\n",
        encoding="utf-8",
    )
    cw = load_crosswalk(f)
    assert dict(cw.components) == {"gone": None, "coaches": "coaching", "plans": "plans"}
    assert {k: dict(v) for k, v in cw.levels.items()} == {"plans": {"2": "3", "3": None}}
    assert cw.path == str(f)


def test_crosswalk_errors_name_every_line() -> None:
    with pytest.raises(LoadError) as e:
        loads_crosswalk(
            "crosswalk: 2\ncolour: red\ncomponents:\n  a: [b]\n  c: {to: d, levels: [x]}\n",
            path="cw.yaml",
        )
    assert str(e.value).splitlines() == [
        "cw.yaml:1:12: crosswalk: only format version 1 is known",
        "cw.yaml:2:1: unknown key 'colour' (expected crosswalk, from, to, components)",
        "cw.yaml:4:6: components.a: expected a new id, null or {to, levels}",
        "cw.yaml:5:22: components.c.levels: expected a mapping old code -> new code",
    ]
    with pytest.raises(LoadError, match=r"cw.csv:3:1: a is mapped to both 'b' and 'c'"):
        loads_crosswalk("old_component,new_component\na,b\na,c\n", path="cw.csv", format="csv")
    with pytest.raises(LoadError, match="header must be"):
        loads_crosswalk("old,new\n", format="csv")
    with pytest.raises(NotFoundError, match="no such file"):
        load_crosswalk("does-not-exist.yaml")


def test_draft_crosswalk(old: Map, new: Map) -> None:
    cw = crosswalk(old, new)
    assert dict(cw.components) == {"gone": None, "coaches": None}
    assert dict(cw.levels) == {}
    back = crosswalk(new, old)
    assert back.components == {"new-row": None, "coaching": None, "plans": "plans"}
    assert back.levels == {"plans": {"4": None}}


def test_crosswalk_problems_against_the_new_map(new: Map) -> None:
    cw = loads_crosswalk(
        "components:\n  a: nowhere\n  plans: {levels: {'1': '9'}}\n", path="cw.yaml"
    )
    assert [str(p) for p in cw.problems(new)] == [
        "cw.yaml:2:3: a -> nowhere: map 'demo' has no component 'nowhere'",
        "cw.yaml:3:20: plans [1] -> plans [9]: '9' is not a code of 'plans' (allowed: 1, 2, 3, 4)",
    ]


# -- migrating ratings ----------------------------------------------------------------------


def _ratings(m: Map) -> RatingSet:
    rows = [
        ("s1", "plans", "1", "teacher"),
        ("s1", "gone", "2", "teacher"),
        ("s1", "coaches", "3", "coach"),
        ("s2", "plans", "2", "teacher"),
        ("s2", "plans-x", None, None),
        ("s2", "coaches", None, "coach"),
        ("s3", "plans", "NA", "teacher"),
        ("s3", "plans", "3", None),
    ]
    records = [
        {
            "subject": s,
            "rater": f"r{i}",
            "occasion": "fall",
            "component": c,
            "code": k,
            "role": r,
            "school": "north",
        }
        for i, (s, c, k, r) in enumerate(rows)
        if c != "plans-x"
    ]
    return RatingSet.from_records(m, records)


def test_migrate_ratings(old: Map, new: Map) -> None:
    rs = _ratings(old)
    cw = Crosswalk(
        components={"coaches": "coaching", "gone": None},
        levels={"plans": {"2": "3"}},
        old_map="demo",
        new_map="demo",
    )
    out, report = migrate_ratings(rs, cw, new)
    assert out.map is new
    assert [(r.subject, r.component, r.code, r.role) for r in out] == [
        ("s1", "plans", "1", "teacher"),
        ("s1", "coaching", "3", "coach"),
        ("s2", "plans", "3", "teacher"),
        ("s2", "coaching", None, "coach"),
        ("s3", "plans", "3", None),
    ]
    assert out.column("school") == ["north"] * 5
    assert (report.carried, report.renamed, report.recoded, report.dropped_count) == (5, 2, 1, 2)
    assert [d.to_dict() for d in report.dropped] == [
        {
            "component": "gone",
            "code": "2",
            "reason": "component dropped by the crosswalk",
            "count": 1,
        },
        {"component": "plans", "code": "NA", "reason": "'NA' is not a code of 'plans'", "count": 1},
    ]
    assert str(report).splitlines()[0] == (
        "5 ratings carried (2 to a new component id, 1 recoded), 2 dropped"
    )
    assert not report.complete


def test_migrate_merging_components_drops_conflicts_and_keeps_repeats_once(
    old: Map, new: Map
) -> None:
    rows = [
        ("s1", "r1", "plans", "1"),
        ("s1", "r1", "gone", "2"),  # conflicts with s1 r1 plans once merged
        ("s2", "r1", "plans", "2"),
        ("s2", "r1", "gone", "2"),  # the same code: kept once
        ("s3", "r1", "gone", "3"),
        ("s4", "r1", "plans", "1"),
        ("s4", "r2", "gone", "1"),  # another rater: no clash
    ]
    records = [
        {"subject": s, "rater": r, "occasion": "fall", "component": c, "code": k}
        for s, r, c, k in rows
    ]
    rs = RatingSet.from_records(old, records)
    cw = Crosswalk(components={"gone": "plans", "coaches": "coaching"})
    out, report = migrate_ratings(rs, cw, new)
    assert [(r.subject, r.rater, r.component, r.code) for r in out] == [
        ("s2", "r1", "plans", "2"),
        ("s3", "r1", "plans", "3"),
        ("s4", "r1", "plans", "1"),
        ("s4", "r2", "plans", "1"),
    ]
    assert (report.carried, report.renamed, report.dropped_count) == (4, 2, 3)
    conflict = (
        "conflicting ratings after merging 'gone' into 'plans' (same subject, rater and occasion)"
    )
    assert [d.to_dict() for d in report.dropped] == [
        {"component": "plans", "code": "1", "reason": conflict, "count": 1},
        {"component": "gone", "code": "2", "reason": conflict, "count": 1},
        {
            "component": "gone",
            "code": "2",
            "reason": "repeated rating after merging 'gone' into 'plans' (same code); kept once",
            "count": 1,
        },
    ]
    assert not report.complete
    assert icmaps.tally(out).cells[((), "plans")].total == 4


def test_migrate_refuses_a_crosswalk_that_does_not_fit(old: Map, new: Map) -> None:
    rs = _ratings(old)
    with pytest.raises(UsageError, match="is from map 'other', but the ratings are for 'demo'"):
        migrate_ratings(rs, Crosswalk(old_map="other"), new)
    with pytest.raises(UsageError, match="has no component 'nowhere'"):
        migrate_ratings(rs, Crosswalk(components={"plans": "nowhere"}), new)


def test_migrate_without_crosswalk_reports_unknown_components(old: Map, new: Map) -> None:
    out, report = migrate_ratings(_ratings(old), Crosswalk(), new)
    assert len(out) == 3
    assert {(d.component, d.reason) for d in report.dropped} == {
        ("gone", "no component 'gone' in the new map"),
        ("coaches", "no component 'coaches' in the new map"),
        ("plans", "'NA' is not a code of 'plans'"),
    }


def test_migrate_then_same_map_is_identity() -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    assert isinstance(rs, RatingSet)
    out, report = migrate_ratings(rs, Crosswalk(), rs.map)
    assert out == rs
    assert report.complete
    assert report.carried == len(rs)


def test_migrate_drops_exactly_what_the_checker_rejects(old: Map, new: Map) -> None:
    """migrate_ratings runs the carried values through the one checker: a rating is dropped
    for its new component, code or role exactly when RatingSet.from_records on the new map
    would reject the same values."""
    from icmaps.errors import RatingsError

    rs = _ratings(old)
    cw = Crosswalk(
        components={"gone": "new-row", "coaches": "new-row"}, levels={"plans": {"2": "4"}}
    )
    out, report = migrate_ratings(rs, cw, new)
    rejected = []
    for r in rs:
        target = cw.target(r.component)
        code = None if r.code is None else cw.recode(r.component, r.code)
        record = {
            "subject": r.subject,
            "rater": r.rater,
            "occasion": r.occasion,
            "component": target,
            "code": code,
            "role": r.role,
        }
        try:
            RatingSet.from_records(new, [record])
        except RatingsError:
            rejected.append((r.component, r.code))
    dropped = [(d.component, d.code) for d in report.dropped for _ in range(d.count)]
    assert sorted(dropped, key=repr) == sorted(rejected, key=repr)
    assert [(d.component, d.code, d.reason, d.count) for d in report.dropped] == [
        ("coaches", "3", "'new-row' does not apply to role 'coach'", 1),
        ("coaches", None, "'new-row' does not apply to role 'coach'", 1),
        ("plans", "NA", "'NA' is not a code of 'plans'", 1),
    ]
    assert len(out) + report.dropped_count == len(rs)


def test_migrate_reports_roles_the_new_map_lacks(old: Map) -> None:
    fewer = icmaps.loads_map(
        NEW.replace(", {id: coach, label: Coach}]", "]")
        .replace("roles: [teacher, coach]", "roles: [teacher]")
        .replace("roles: [coach]", "roles: [teacher]")
    )
    out, report = migrate_ratings(
        _ratings(old), Crosswalk(components={"coaches": "coaching"}), fewer
    )
    assert ("coaches", "3", "role 'coach' is not in the new map") in {
        (d.component, d.code, d.reason) for d in report.dropped
    }
    assert "coach" not in out.column("role")


# -- CLI ------------------------------------------------------------------------------------


def test_cli_diff(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(NEW, encoding="utf-8")
    code, out, err = run_cli("diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"))
    assert (code, err) == (0, "")
    assert out.startswith("demo 1 -> demo 2: 1 group retitled")
    code, out, _ = run_cli(
        "diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--format", "json"
    )
    assert code == 0
    assert len(json.loads(out)["changes"]) == 13
    code, out, _ = run_cli("diff", "learning-school", "learning-school", "--format", "csv")
    assert (code, out) == (0, "kind,target,detail,old,new\n")
    code, _, err = run_cli("diff", "learning-school", "nope.yaml")
    assert code == 2
    assert "nope.yaml: no such file" in err


def test_cli_diff_subprocess() -> None:
    proc = run_subprocess("diff", "learning-school", "learning-school")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "learning-school 1.1.0 -> learning-school 1.1.0: no changes\n"
