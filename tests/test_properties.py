"""Properties over generated maps: the schema accepts them, dump -> load gives an equal map."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from icmaps.maps.codec import check_text, dumps_map, loads_map
from icmaps.maps.model import Map
from icmaps.maps.schema import map_schema

from .strategies import maps

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(maps())
def test_schema_accepts_every_generated_map(doc: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    errors = list(Draft202012Validator(map_schema()).iter_errors(doc))
    assert errors == []


@SETTINGS
@given(maps())
def test_generated_maps_are_valid(doc: dict[str, Any]) -> None:
    result = check_text(json.dumps(doc), format="json")
    assert result.ok, [str(p) for p in result.problems]


@SETTINGS
@given(maps())
def test_yaml_and_json_round_trips(doc: dict[str, Any]) -> None:
    m = Map.model_validate(doc)
    for fmt in ("yaml", "json"):
        again = loads_map(dumps_map(m, fmt), format=fmt)  # type: ignore[arg-type]
        assert again == m
        assert [c.variations for c in again.iter_components()] == [
            c.variations for c in m.iter_components()
        ]
