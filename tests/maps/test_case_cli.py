"""``icmaps export`` and the CASE options of ``validate`` and ``maps show``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from icmaps.maps.codec import dumps_map, load_map
from tests.conftest import DATA, run_cli, run_subprocess

CASE = DATA / "case"


def test_export_writes_a_case_package_that_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "package.json"
    code, out, err = run_cli("export", "pbis-tfi", "--format", "case", "-o", str(target))
    assert (code, out) == (0, "")
    n = len(load_map("pbis-tfi").all_components())
    assert err == f"wrote {target} (CASE 1.1 package, {n} components)\n"
    assert load_map(target) == load_map("pbis-tfi")
    first = target.read_bytes()
    run_cli("export", "pbis-tfi", "-o", str(target))  # case is the default format
    assert target.read_bytes() == first


def test_export_to_stdout_and_back_to_yaml(tmp_path: Path) -> None:
    code, out, _ = run_cli("export", "learning-school")
    assert code == 0
    assert json.loads(out)["CFDocument"]["caseVersion"] == "1.1"
    package = tmp_path / "ls.json"
    package.write_text(out, encoding="utf-8")
    code, yaml_text, _ = run_cli("export", str(package), "--format", "yaml")
    assert code == 0
    assert yaml_text == dumps_map(load_map("learning-school"))


def test_validate_and_show_read_case_packages_with_the_users_zones() -> None:
    bare = str(CASE / "valid" / "bare-rubric.json")
    code, out, err = run_cli("validate", bare)
    assert (code, out) == (0, "")
    assert "1 file checked: valid" in err
    code, out, _ = run_cli("maps", "show", bare, "--format", "json", "--ideal", "2")
    assert code == 0
    assert [lv["zone"] for lv in json.loads(out)["scale"]["levels"]] == [
        "ideal",
        "ideal",
        "unacceptable",
    ]
    code, out, _ = run_cli("maps", "show", bare, "--acceptable", "2")
    assert code == 0
    grid = out.split("CATEGORY", 1)[1]  # below the legend
    assert "║" in grid  # the solid line after the ideal level
    assert "┊" not in grid  # no dashed line: nothing is unacceptable


def test_validate_mixes_map_files_and_packages_with_case_options(tmp_path: Path) -> None:
    plain = tmp_path / "tiny.json"
    plain.write_text(dumps_map(load_map("ceedar-syllabus"), "json"), encoding="utf-8")
    package = str(CASE / "valid" / "bare-rubric.json")
    code, _, err = run_cli("validate", str(plain), package, "maps/pbis-tfi.yaml", "--ideal", "1")
    assert code == 0, err


def test_export_reads_the_suffix_of_o(tmp_path: Path) -> None:
    package = CASE / "valid" / "other-tool-package.json"
    code, _, err = run_cli("export", str(package), "-o", str(tmp_path / "map.yml"))
    assert code == 0
    assert "YAML map" in err
    expected = (CASE / "valid" / "other-tool-package.json.expected.yaml").read_text("utf-8")
    assert (tmp_path / "map.yml").read_text(encoding="utf-8") == expected
    code, _, err = run_cli("export", "pbis-tfi", "-o", str(tmp_path / "p.json"))
    assert "CASE 1.1 package" in err


def test_several_rubrics_need_one_chosen() -> None:
    two = str(CASE / "invalid" / "two-rubrics.json")
    code, out, err = run_cli("export", two)
    assert (code, out) == (1, "")
    assert "the package has 2 rubrics; choose one with rubric= (--rubric ID)" in err
    code, out, _ = run_cli("export", two, "--rubric", "Second rubric", "--format", "yaml")
    assert code == 0
    assert "title: Tiny map" in out


def test_refusals_exit_1_with_file_line_and_column() -> None:
    case = CASE / "invalid" / "no-rubric.json"
    code, out, _ = run_cli("validate", str(case))
    assert code == 1
    assert out == f"{case}:1:1: the package has no rubric (CFRubrics is empty or missing): " + (
        "icmaps builds a map from a CFRubric, with a criterion per component and a level per "
        "variation\n"
    )
    code, out, _ = run_cli("validate", str(case), "--format", "json")
    assert code == 1
    (problem,) = json.loads(out)["files"][0]["problems"]
    assert (problem["line"], problem["column"], problem["pointer"]) == (1, 1, "")


def test_usage_errors_exit_2() -> None:
    code, _, err = run_cli("export", "learning-school", "--ideal", "0")
    assert code == 2
    assert "--ideal: expected at least 1, got 0" in err
    code, _, err = run_cli("maps", "show", "learning-school", "--rubric", "x")
    assert code == 2
    assert "apply to CASE packages" in err
    code, _, err = run_cli("export", "no-such-map")
    assert code == 2


def test_export_in_a_fresh_process(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    proc = run_subprocess("export", "nirn-practice-profile", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert load_map(target) == load_map("nirn-practice-profile")
