"""What instruments carry beside the cells (look-fors, examples, data sources, rationale,
desired outcome per role), and keys of a district's own (x-...) kept on a round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from icmaps.errors import MapValidationError
from icmaps.maps.codec import dumps_map, loads_map
from icmaps.ratings.sheets import legend
from icmaps.render.html import map_html
from icmaps.render.text import map_grid
from tests.conftest import run_cli

GUIDED = """\
icmap: 1
id: guided
version: 1.0.0
title: Guided
x-district: {code: 0042, owner: "<b>curriculum office</b>"}
roles:
  - {id: teacher, label: Teacher}
  - {id: principal, label: Principal}
scale:
  levels:
    - {code: "1", label: Ideal, zone: ideal}
    - {code: "2", label: Entry, zone: unacceptable}
groups:
  - id: planning
    title: Planning
    rationale: Shared planning is where the practice spreads.
    x-sort: 3
    components:
      - id: plan
        title: Plans together
        variations: ["Plans weekly with the team", "Plans alone"]
        look_fors: ["Agenda with student work on the table", "<script>alert(1)</script>"]
        examples: ["Grade 3 team sorts exit tickets"]
        data_sources: [meeting minutes, walkthrough]
        desired_outcome: {teacher: Plans with colleagues every week, principal: Protects the time}
        x-local-code: PL-1
"""


def test_guidance_and_own_keys_survive_a_round_trip() -> None:
    m = loads_map(GUIDED)
    c = m.component("plan")
    assert c.look_fors[0] == "Agenda with student work on the table"
    assert c.data_sources == ("meeting minutes", "walkthrough")
    assert c.desired_outcome == {
        "teacher": "Plans with colleagues every week",
        "principal": "Protects the time",
    }
    assert c.extensions == {"x-local-code": "PL-1"}
    # YAML scalars under own keys stay text, as written (no 0042 -> 42)
    assert m.group("planning").extensions == {"x-sort": "3"}
    assert m.extensions["x-district"] == {"code": "0042", "owner": "<b>curriculum office</b>"}
    for fmt in ("yaml", "json"):
        again = loads_map(dumps_map(m, fmt))  # type: ignore[arg-type]
        assert again == m
        assert again.component("plan").extensions == {"x-local-code": "PL-1"}
    assert [h for h, _ in c.guidance()] == [
        "Look-fors",
        "Examples",
        "Data sources",
        "Desired outcome",
    ]


def test_other_unknown_keys_are_still_errors(tmp_path: Path) -> None:
    with pytest.raises(MapValidationError, match=r"unknown field 'colour'.*start with x-"):
        loads_map(GUIDED.replace("x-local-code: PL-1", "colour: red"))
    path = tmp_path / "m.yaml"
    path.write_text(GUIDED.replace("x-sort: 3", "sort: 3"), encoding="utf-8")
    code, out, err = run_cli("validate", str(path))
    assert code != 0
    assert "m.yaml:17:5: groups[0]: unknown field 'sort'" in out + err


def test_guidance_is_shown_in_the_grid_the_report_and_the_legend() -> None:
    m = loads_map(GUIDED)
    text = map_grid(m)
    assert "Look-fors:" in text
    assert "- Agenda with student work on the table" in text
    assert "Rationale:" in text  # the group's
    html = map_html(m)
    assert '<details class="guide">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "Data sources: meeting minutes; walkthrough" in legend(m)
    code, out, _ = run_cli("maps", "show", "learning-school")
    assert code == 0
    assert "Look-fors" not in out  # a map without guidance shows none


def test_the_schema_allows_own_keys_and_guidance() -> None:
    import yaml
    from jsonschema import Draft202012Validator

    from icmaps.maps.schema import map_schema

    data = yaml.safe_load(GUIDED)
    assert not list(Draft202012Validator(map_schema()).iter_errors(data))
    data["groups"][0]["components"][0]["colour"] = "red"
    assert list(Draft202012Validator(map_schema()).iter_errors(data))
