"""The checked-in JSON Schema matches the models and works with check-jsonschema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from icmaps.maps.schema import generate_schema, schema_text

from .conftest import DATA, ROOT, run_cli

SCHEMA = ROOT / "schemas" / "icmap.schema.json"


def test_checked_in_schema_matches_models() -> None:
    # compared as data: pydantic versions differ in number spelling (0 vs 0.0) only
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == json.loads(schema_text()), (
        "schemas/icmap.schema.json is stale: run `python -m icmaps schema --generate > "
        "schemas/icmap.schema.json`"
    )


def test_schema_is_2020_12_with_help_text() -> None:
    from jsonschema import Draft202012Validator

    schema = generate_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    component = schema["$defs"]["Component"]
    assert all("description" in p for p in component["properties"].values())


def test_cli_prints_schema() -> None:
    code, out, _ = run_cli("schema")
    assert code == 0
    assert json.loads(out) == json.loads(SCHEMA.read_text())


def _check_jsonschema() -> list[str]:
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("check-jsonschema is not installed (it is in the dev extra)")
    return [exe]


def test_check_jsonschema_accepts_valid_maps() -> None:
    files = sorted(str(p) for p in (DATA / "valid").glob("*.yaml"))
    files += sorted(str(p) for p in (ROOT / "maps").glob("*.yaml"))
    proc = subprocess.run(
        [*_check_jsonschema(), "--schemafile", str(SCHEMA), *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_jsonschema_rejects_a_bad_map() -> None:
    proc = subprocess.run(
        [
            *_check_jsonschema(),
            "--schemafile",
            str(SCHEMA),
            str(DATA / "invalid" / "unknown-top-field.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "author" in proc.stdout + proc.stderr


def test_modeline_points_at_schema() -> None:
    first = (DATA / "valid" / "nested.yaml").read_text().splitlines()[0]
    rel = first.split("$schema=", 1)[1]
    assert (DATA / "valid" / rel).resolve() == SCHEMA.resolve()
