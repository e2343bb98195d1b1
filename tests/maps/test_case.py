"""CASE 1.1 interchange: schema validity, reference integrity, round trips, determinism, what
is read from packages written by other tools, and every refusal (data-driven from
tests/data/case)."""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest

import icmaps
from icmaps.errors import LoadError, MapValidationError, UsageError
from icmaps.maps.case import UNDATED, case_uuid, dumps_case, to_case, zones_for
from icmaps.maps.codec import check_text, dump_map, dumps_map, load_map, loads_map
from tests.conftest import DATA

CASE = DATA / "case"
BUNDLED = icmaps.list_maps()
VALID = sorted((CASE / "valid").glob("*.json"))
INVALID = sorted((CASE / "invalid").glob("*.json"))

TINY = """
id: tiny
version: "1.0"
date: 2026-03-01
title: Tiny map
roles: [{id: teacher, label: Teacher}]
scale:
  levels:
    - {code: a, label: Ideal, zone: ideal, score: 2, description: Where we want to be}
    - {code: b, label: Partial, zone: acceptable, score: 1}
    - {code: c, label: Not yet, zone: unacceptable, score: 0}
  special: [{code: NA, label: Not applicable}]
groups:
  - id: g1
    kind: standard
    title: Planning
    components:
      - {id: c1, title: Plans together, roles: [teacher], critical: true, weight: 2,
         variations: [Weekly, Monthly, Never]}
      - {id: c2, title: Shares goals, variations: [Always, Sometimes, ""]}
"""


@pytest.fixture(scope="module")
def case_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (CASE / "case-v1p1-cfpackage-schema.json").read_text(encoding="utf-8")
    )
    return schema


# -- export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("map_id", BUNDLED)
def test_export_validates_against_the_case_schema(map_id: str, case_schema: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    package = to_case(load_map(map_id))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft202012Validator(case_schema).iter_errors(package)
    ]
    assert errors == []
    # the formats jsonschema leaves unchecked without extra packages
    for path, value in _strings(package):
        key = path.rsplit("/", 1)[-1]
        if key == "lastChangeDateTime":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value), path
        if key in ("uri", "officialSourceURL"):
            assert urllib.parse.urlparse(value).scheme in ("urn", "https", "http"), path


def _strings(x: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(x, dict):
        return [s for k, v in x.items() for s in _strings(v, f"{path}/{k}")]
    if isinstance(x, list):
        return [s for i, v in enumerate(x) for s in _strings(v, f"{path}/{i}")]
    return [(path, x)] if isinstance(x, str) else []


@pytest.mark.parametrize("map_id", BUNDLED)
def test_every_reference_resolves_inside_the_package(map_id: str) -> None:
    m = load_map(map_id)
    package = to_case(m)
    document = package["CFDocument"]
    items = {i["identifier"]: i for i in package["CFItems"]}
    nodes = {document["identifier"]: document["title"]} | {
        k: i["fullStatement"] for k, i in items.items()
    }
    for a in package["CFAssociations"]:
        for end in ("originNodeURI", "destinationNodeURI"):
            assert nodes[a[end]["identifier"]] == a[end]["title"]
            assert a[end]["uri"] == f"urn:uuid:{a[end]['identifier']}"
    (rubric,) = package["CFRubrics"]
    criteria = rubric["CFRubricCriteria"]
    assert len(criteria) == len(m.all_components())
    for c in criteria:
        assert c["rubricId"] == rubric["identifier"]
        item = items[c["CFItemURI"]["identifier"]]
        assert item["CFItemType"] == "Component"
        assert item["uri"] == c["CFItemURI"]["uri"]
        for level in c["CFRubricCriterionLevels"]:
            assert level["rubricCriterionId"] == c["identifier"]
    if "licenseURI" in document:
        licenses = {x["identifier"] for x in package["CFDefinitions"]["CFLicenses"]}
        assert document["licenseURI"]["identifier"] in licenses
    every = [o["identifier"] for o in _objects(package)]
    assert len(every) == len(set(every))


def _objects(x: Any) -> list[dict[str, Any]]:
    """Every object with an identifier of its own (links are copies, not objects)."""
    out = []
    if isinstance(x, dict):
        if "identifier" in x and "lastChangeDateTime" in x:
            out.append(x)
        for v in x.values():
            out += _objects(v)
    elif isinstance(x, list):
        for v in x:
            out += _objects(v)
    return out


@pytest.mark.parametrize("map_id", BUNDLED)
def test_every_bundled_map_round_trips_and_exports_byte_stable(map_id: str) -> None:
    m = load_map(map_id)
    text = dumps_case(m)
    assert dumps_case(load_map(map_id)) == text
    again = loads_map(text, path=f"{map_id}.json")
    assert again == m
    assert [c.variations for c in again.iter_components()] == [
        c.variations for c in m.iter_components()
    ]
    assert dumps_case(again) == text
    assert check_text(text, path="p.json").problems == ()


def test_dump_map_writes_case_whatever_the_suffix(tmp_path: Path) -> None:
    m = loads_map(TINY)
    dump_map(m, tmp_path / "a.json", format="case")
    dump_map(m, tmp_path / "b.case", format="case")
    first = (tmp_path / "a.json").read_bytes()
    assert first == (tmp_path / "b.case").read_bytes() == dumps_case(m).encode()
    dump_map(m, tmp_path / "a.json", format="case")
    assert (tmp_path / "a.json").read_bytes() == first
    assert load_map(tmp_path / "a.json") == m
    dump_map(m, tmp_path / "plain.json")  # a .json suffix alone still means an icmaps map
    assert "CFDocument" not in (tmp_path / "plain.json").read_text(encoding="utf-8")
    with pytest.raises(UsageError, match="schema_ref"):
        dumps_map(m, "case", schema_ref="x.json")


def test_the_mapping_of_fields() -> None:
    m = loads_map(TINY)
    package = to_case(m)
    doc = package["CFDocument"]
    assert (doc["title"], doc["version"], doc["caseVersion"]) == ("Tiny map", "1.0", "1.1")
    assert doc["lastChangeDateTime"] == "2026-03-01T00:00:00Z"
    ext = doc["extensions"]["icmaps"]
    assert ext["id"] == "tiny"
    assert ext["roles"] == [{"id": "teacher", "label": "Teacher"}]
    assert ext["scale"]["special"] == [{"code": "NA", "label": "Not applicable"}]
    group, c1, _ = package["CFItems"]
    assert (group["CFItemType"], group["humanCodingScheme"], group["fullStatement"]) == (
        "standard",
        "g1",
        "Planning",
    )
    assert (c1["CFItemType"], c1["humanCodingScheme"], c1["fullStatement"]) == (
        "Component",
        "c1",
        "Plans together",
    )
    assert c1["extensions"]["icmaps"] == {"element": "component", "roles": ["teacher"]}
    assert [a["sequenceNumber"] for a in package["CFAssociations"]] == [1, 1, 2]
    (rubric,) = package["CFRubrics"]
    first, second = rubric["CFRubricCriteria"]
    assert first["CFItemURI"]["identifier"] == c1["identifier"]
    assert (first["category"], first["weight"], first["position"]) == ("Planning", 2, 1)
    assert first["extensions"]["icmaps"] == {"critical": True}
    assert "extensions" not in second
    levels = first["CFRubricCriterionLevels"]
    assert [(lv["quality"], lv["description"], lv["score"], lv["position"]) for lv in levels] == [
        ("Ideal", "Weekly", 2, 1),
        ("Partial", "Monthly", 1, 2),
        ("Not yet", "Never", 0, 3),
    ]
    assert levels[0]["feedback"] == "Where we want to be"
    assert [lv["extensions"] for lv in levels] == [
        [{"icmaps": {"code": "a", "zone": "ideal", "lineAfter": "solid"}}],
        [{"icmaps": {"code": "b", "zone": "acceptable", "lineAfter": "dashed"}}],
        [{"icmaps": {"code": "c", "zone": "unacceptable"}}],
    ]
    assert second["CFRubricCriterionLevels"][2]["description"] == ""


def test_identifiers_are_uuid5_of_map_id_version_and_element() -> None:
    m = loads_map(TINY)
    doc = to_case(m)["CFDocument"]
    expected = uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "icmaps:case"), "tiny/1.0/document")
    assert doc["identifier"] == str(expected) == case_uuid(m, "document")
    assert uuid.UUID(doc["identifier"]).version == 5
    newer = m.model_copy(update={"version": "1.1"})
    assert not {o["identifier"] for o in _objects(to_case(m))} & {
        o["identifier"] for o in _objects(to_case(newer))
    }


def test_a_source_url_that_is_no_url_stays_out_of_officialsourceurl() -> None:
    m = loads_map(TINY)
    for url, written in (("https://example.org/x", True), ("see page 4", False)):
        cited = m.model_copy(update={"source": {"title": "T", "url": url}})
        doc = to_case(cited)["CFDocument"]
        assert ("officialSourceURL" in doc) is written
        assert loads_map(dumps_case(cited), path="p.json") == cited


def test_an_undated_map_gets_a_placeholder_time_and_stays_undated() -> None:
    m = loads_map(TINY).model_copy(update={"date": None})
    text = dumps_case(m)
    assert json.loads(text)["CFDocument"]["lastChangeDateTime"] == UNDATED
    assert loads_map(text, path="p.json").date is None


def test_the_docs_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (Path(__file__).parents[2] / "docs" / "case.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(block, {})


def test_hostile_text_stays_text() -> None:
    hostile = '<script>alert(1)</script> "quotes" \\ ${x} {{ y }} \u202e\u200b \U0001f600'
    m = loads_map(TINY.replace("Weekly", json.dumps(hostile, ensure_ascii=False))).model_copy(
        update={"title": hostile, "description": hostile + "\n\nline"}
    )
    again = loads_map(dumps_case(m), path="p.json")
    assert again == m
    assert again.title == hostile
    assert again.component("c1").variations[0] == hostile


# -- import ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_packages_from_other_tools_load_as_expected(case: Path) -> None:
    result = check_text(case.read_bytes(), path=case.name)
    assert result.map is not None, [str(p) for p in result.problems]
    problems = Path(f"{case}.problems.txt")
    expected = problems.read_text(encoding="utf-8") if problems.exists() else ""
    assert "".join(f"{p}\n" for p in result.problems) == expected
    assert dumps_map(result.map) == Path(f"{case}.expected.yaml").read_text(encoding="utf-8")
    # and what was read writes back to CASE and reads again the same
    assert loads_map(dumps_case(result.map), path="again.json") == result.map


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_refusals_say_where_and_why(case: Path) -> None:
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    result = check_text(case.read_bytes(), path=case.name)
    assert not result.ok
    assert "".join(f"{p}\n" for p in result.problems) == expected
    with pytest.raises((LoadError, MapValidationError)) as info:
        loads_map(case.read_bytes(), path=case.name)
    first = next(p for p in info.value.problems if p.severity == "error")
    assert (info.value.line, info.value.pointer) == (first.line, first.pointer)


def test_errors_carry_the_json_pointer_into_the_case_file() -> None:
    case = CASE / "invalid" / "unknown-role-in-extension.json"
    with pytest.raises(MapValidationError) as info:
        load_map(case)
    (problem,) = info.value.problems
    assert problem.pointer == "/CFItems/1/extensions/icmaps/roles/0"
    data = json.loads(case.read_text(encoding="utf-8"))
    assert data["CFItems"][1]["extensions"]["icmaps"]["roles"][0] == "coach"
    line = case.read_text(encoding="utf-8").splitlines()[problem.line - 1]  # type: ignore[operator]
    assert line[problem.column - 1 :].startswith('"coach"')  # type: ignore[operator]


def test_a_rubric_is_chosen_by_identifier_or_title() -> None:
    case = CASE / "invalid" / "two-rubrics.json"
    by_id = load_map(case, rubric="7E1F0C2A-5B4D-4C3E-9F8A-1B2C3D4E5F60")
    by_title = load_map(case, rubric="Second rubric")
    assert by_id == by_title
    assert load_map(case, rubric="6b46dd1a-f644-5531-b916-1eab38396631").id == "tiny"
    with pytest.raises(MapValidationError, match="no rubric 'nope' in the package"):
        load_map(case, rubric="nope")


def test_zones_by_rule_and_by_the_users_counts() -> None:
    assert zones_for(1) == ["ideal"]
    assert zones_for(2) == ["ideal", "unacceptable"]
    assert zones_for(5) == ["ideal", "acceptable", "acceptable", "unacceptable", "unacceptable"]
    assert zones_for(3, ideal=1, acceptable=0) == ["ideal", "unacceptable", "unacceptable"]
    bare = CASE / "valid" / "bare-rubric.json"
    assert [lv.zone for lv in load_map(bare).scale.levels] == [
        "ideal",
        "acceptable",
        "unacceptable",
    ]
    wide = load_map(bare, ideal=2, acceptable=1).scale.levels
    assert [lv.zone for lv in wide] == ["ideal", "ideal", "acceptable"]
    # ascending scores: the last level is the most desired one
    other = load_map(CASE / "valid" / "other-tool-package.json", ideal=2)
    assert [lv.zone for lv in other.scale.desired()] == [
        "ideal",
        "ideal",
        "acceptable",
        "unacceptable",
    ]
    # the package's own zones give way when the user says
    text = dumps_case(loads_map(TINY))
    assert [lv.zone for lv in loads_map(text, path="p.json", ideal=2).scale.levels] == [
        "ideal",
        "ideal",
        "unacceptable",
    ]
    with pytest.raises(MapValidationError, match="need at least 4 levels; there are 3"):
        loads_map(text, path="p.json", ideal=2, acceptable=2)
    for bad in ({"ideal": 0}, {"acceptable": -1}, {"ideal": True}, {"ideal": "2"}):
        with pytest.raises(UsageError):
            loads_map(text, path="p.json", **bad)  # type: ignore[arg-type]


def test_case_options_are_refused_for_icmaps_map_files() -> None:
    with pytest.raises(UsageError, match="apply to CASE packages"):
        load_map("learning-school", ideal=1)


def test_format_case_insists_on_a_package() -> None:
    with pytest.raises(LoadError, match="not a CASE package"):
        loads_map('{"id": "x"}', format="case")


def test_a_package_read_as_yaml_text_keeps_its_numbers() -> None:
    text = dumps_case(loads_map(TINY))
    # no path and no format: the text is YAML-parsed first, then seen to be CASE
    assert loads_map(text) == loads_map(TINY)


def test_a_case_package_written_as_yaml_is_refused_plainly() -> None:
    with pytest.raises(LoadError, match="a CASE package must be JSON"):
        loads_map("CFDocument: {title: x}\nCFRubrics: []\n", path="p.yaml")


def test_untrusted_input_is_bounded() -> None:
    big = b'{"CFRubrics": [' + b" " * (17 * 1024 * 1024) + b"]}"
    with pytest.raises(LoadError, match="limit"):
        loads_map(big, path="big.json")
    deep = '{"CFRubrics": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(LoadError, match="nesting deeper"):
        loads_map(deep, path="deep.json")
    with pytest.raises(LoadError, match="invalid JSON"):
        loads_map('{"CFDocument": NaN}', path="nan.json")


def test_identifiers_are_text_and_a_bare_rubrics_own_counts_too() -> None:
    package = json.loads((CASE / "valid" / "other-tool-package.json").read_text())
    criteria = package["CFRubrics"][0]["CFRubricCriteria"]
    criteria[0]["identifier"] = criteria[1]["identifier"] = 7  # equal, but not text
    result = check_text(json.dumps(package, indent=1).encode(), path="p.json")
    assert [(p.pointer, p.message.split(": ", 1)[1]) for p in result.problems] == [
        ("/CFRubrics/0/CFRubricCriteria/0/identifier", "expected text, got number 7"),
        ("/CFRubrics/0/CFRubricCriteria/1/identifier", "expected text, got number 7"),
    ]
    bare = json.loads((CASE / "valid" / "bare-rubric.json").read_text())
    bare["CFRubricCriteria"][0]["identifier"] = bare["identifier"].upper()
    (problem,) = check_text(json.dumps(bare, indent=1).encode(), path="b.json").problems
    assert problem.pointer == "/CFRubricCriteria/0/identifier"
    assert "is also that of the rubric" in problem.message
