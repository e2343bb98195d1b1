"""Data-driven corpus: every file in tests/data/invalid has a sibling .errors.txt with the exact
messages (file:line:col: message) that checking it must give; every file in tests/data/valid
must check clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from icmaps.errors import LoadError, MapValidationError
from icmaps.maps.codec import check_text, loads_map

from .conftest import DATA, run_cli

INVALID = sorted(p for p in (DATA / "invalid").iterdir() if not p.name.endswith(".errors.txt"))
VALID = sorted((DATA / "valid").iterdir())


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 30


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_file_reports_exact_problems(case: Path) -> None:
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    result = check_text(case.read_bytes(), path=case.name)
    assert not result.ok
    assert "".join(f"{p}\n" for p in result.problems) == expected


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_file_raises_one_error_with_every_problem(case: Path) -> None:
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    with pytest.raises((LoadError, MapValidationError)) as info:
        loads_map(case.read_bytes(), path=case.name)
    assert (
        str(info.value) + "\n"
        == "".join(line + "\n" for line in expected.splitlines() if ": warning: " not in line)
        or str(info.value) + "\n" == expected
    )
    assert info.value.line == info.value.problems[0].line


@pytest.mark.parametrize("case", INVALID[:8], ids=lambda p: p.name)
def test_cli_prints_same_problems(case: Path) -> None:
    code, out, err = run_cli("validate", str(case))
    assert code == 1
    expected = Path(f"{case}.errors.txt").read_text(encoding="utf-8")
    assert out == expected.replace(f"{case.name}:", f"{case}:")
    assert "invalid" in err


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_files_check_clean(case: Path) -> None:
    result = check_text(case.read_bytes(), path=case.name)
    assert result.ok, [str(p) for p in result.problems]


def test_warnings_do_not_fail_but_are_reported() -> None:
    text = """
id: w
version: "1"
title: W
scale: {levels: [{code: a, label: A, zone: ideal}, {code: b, label: B, zone: unacceptable}]}
scales:
  unused: {levels: [{code: x, label: X, zone: ideal}]}
groups:
  - {id: empty, title: Empty}
components:
  - {id: c, title: C, variations: ["", "Does nothing"]}
"""
    result = check_text(text, path="w.yaml")
    assert result.ok
    assert [str(p) for p in result.problems] == [
        "w.yaml:7:11: warning: scales.unused: scale is never used",
        "w.yaml:9:5: warning: groups[0]: group 'empty' has no components",
        "w.yaml:11:36: warning: components[0].variations[0]: the most desired variation is empty",
    ]
    code, _, err = run_cli("validate", "--strict", "-")
    assert code == 2  # '-' is no file: a usage error, never silently skipped
    assert "no such file" in err


def test_every_problem_found_in_one_pass() -> None:
    text = (DATA / "invalid" / "unknown-role.yaml").read_text().replace("id: demo", "id: demo map")
    text = text.replace("title: Demo map\n", "")
    result = check_text(text, path="x.yaml")
    messages = [p.message for p in result.problems]
    assert any("missing required field 'title'" in m for m in messages)
    assert any("not a valid id" in m for m in messages)


def test_each_missing_required_field_reported_once() -> None:
    result = check_text("id: x\ntitle: hi\n", path="x.yaml")
    assert [str(p) for p in result.problems] == [
        "x.yaml:1:1: missing required field 'scale'",
        "x.yaml:1:1: missing required field 'version'",
    ]
