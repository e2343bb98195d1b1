"""The JSON Schema of map files, generated from the models and shipped as package data.

``schemas/icmap.schema.json`` is checked in so that editors and check-jsonschema can use it;
a test fails when it drifts from :func:`generate_schema`. Regenerate with
``python -m icmaps schema > schemas/icmap.schema.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from icmaps._resources import schema_file

__all__ = ["DRAFT", "generate_schema", "map_schema", "schema_text"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def generate_schema() -> dict[str, Any]:
    """Build the map-file JSON Schema (draft 2020-12) from :class:`icmaps.model.Map`.

    >>> generate_schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    from icmaps.maps.model import Map

    body = Map.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": DRAFT,
        "title": "IC map",
        "description": "An Innovation Configuration map for icmaps: roles, scales and a "
        "hierarchy of groups ending in components, each with one variation per level.",
        **{k: v for k, v in body.items() if k not in ("title", "description")},
    }


def schema_text() -> str:
    """The generated schema as the text that is checked in (2-space JSON, final newline)."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def map_schema() -> dict[str, Any]:
    """The shipped schema (package data), parsed once."""
    loaded: dict[str, Any] = json.loads(schema_file().read_text(encoding="utf-8"))
    return loaded
