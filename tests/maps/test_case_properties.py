"""Properties of the CASE codec over generated maps: export then import gives the same map,
export is byte-stable, and a damaged package is refused with located problems, never a
traceback."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from icmaps.maps.case import dumps_case, to_case
from icmaps.maps.codec import check_text, loads_map
from icmaps.maps.model import Map
from tests.conftest import DATA
from tests.strategies import damaged, maps, texts

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dressed_maps(draw: st.DrawFn) -> dict[str, Any]:
    """Generated maps with the map-level fields CASE has a place for, or none."""
    doc = draw(maps())
    extras = {
        "date": st.dates().map(str),
        "description": texts,
        "license": texts,
        "source": st.fixed_dictionaries({"title": texts}, optional={"url": texts}),
        "x-note": texts,
    }
    for key, values in extras.items():
        if draw(st.booleans()):
            doc[key] = draw(values)
    return doc


@SETTINGS
@given(dressed_maps())
def test_generated_maps_round_trip_through_case(doc: dict[str, Any]) -> None:
    m = Map.model_validate(doc)
    text = dumps_case(m)
    assert dumps_case(Map.model_validate(doc)) == text
    again = loads_map(text, path="p.json")
    assert again == m
    assert [c.variations for c in again.iter_components()] == [
        c.variations for c in m.iter_components()
    ]


@SETTINGS
@given(dressed_maps())
def test_generated_maps_export_valid_case(doc: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((DATA / "case" / "case-v1p1-cfpackage-schema.json").read_text("utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(to_case(Map.model_validate(doc))))
    assert [e.message for e in errors] == []


@SETTINGS
@given(st.data())
def test_damaged_packages_give_problems_not_tracebacks(data: st.DataObject) -> None:
    m = Map.model_validate(data.draw(maps()))
    package = data.draw(damaged(to_case(m)))
    result = check_text(json.dumps(package), path="p.json")
    if result.map is None:
        assert any(p.severity == "error" for p in result.problems)
    for p in result.problems:
        assert p.path == "p.json"
        assert p.line is None or p.line >= 1
