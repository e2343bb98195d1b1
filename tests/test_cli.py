"""The command line: in-process through ``cli.run``, plus one real subprocess per command
(as a user would run it) to prove the entry point, exit codes and streams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import DATA, ROOT, run_cli, run_subprocess

VALID = DATA / "valid"
BAD = DATA / "invalid" / "unknown-role.yaml"


def test_validate_valid_folder_exits_0() -> None:
    code, out, err = run_cli("validate", str(VALID))
    assert code == 0, err
    assert out == ""
    assert "valid (0 errors" in err


def test_validate_reports_file_line_col_and_exits_1() -> None:
    proc = run_subprocess("validate", str(VALID), str(BAD))
    assert proc.returncode == 1
    assert proc.stdout == (
        f"{BAD}:22:17: groups[0].components[0].roles[0]: unknown role 'principal' "
        "(roles: teacher, coach)\n"
    )
    assert "Traceback" not in proc.stderr


def test_validate_json_format() -> None:
    code, out, _ = run_cli("validate", "--format", "json", str(BAD), str(VALID / "nested.yaml"))
    assert code == 1
    payload = json.loads(out)
    assert payload["valid"] is False
    bad = payload["files"][0]
    assert bad["valid"] is False
    assert bad["problems"][0]["line"] == 22
    assert bad["problems"][0]["column"] == 17
    assert bad["problems"][0]["pointer"] == "/groups/0/components/0/roles/0"


def test_usage_errors_exit_2() -> None:
    assert run_cli("validate", "does/not/exist.yaml")[0] == 2
    assert run_cli("validate")[0] == 2
    code, _, err = run_cli("frobnicate")
    assert code == 2
    assert "invalid choice" in err
    assert "Traceback" not in err


def test_strict_turns_warnings_into_failure(tmp_path: object) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "w.yaml"
    p.write_text(
        "id: w\nversion: '1'\ntitle: W\n"
        "scale: {levels: [{code: a, label: A, zone: ideal}]}\n"
        "components: [{id: c, title: C, variations: ['']}]\n"
    )
    assert run_cli("validate", str(p))[0] == 0
    code, out, _ = run_cli("validate", "--strict", str(p))
    assert code == 1
    assert "warning: components[0].variations[0]" in out


def test_version_and_help() -> None:
    proc = run_subprocess("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("icmaps ")
    assert run_cli("--help")[0] == 0


# one real subprocess per command (the others above and in the modules' own tests)
EXAMPLE = str(ROOT / "maps" / "examples" / "learning-school.csv")


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (("template", "learning-school", "--subjects", "a,b"), "subject,rater,occasion"),
        (("fidelity", "learning-school", EXAMPLE), "fidelity"),
        (("report", "learning-school", EXAMPLE, "--format", "markdown"), "# Implementation"),
        (("schema",), '"$schema"'),
        (("maps", "list"), "learning-school"),
        (("maps", "show", "pbis-tfi"), "pbis-tfi"),
    ],
)
def test_each_command_runs_as_a_process(argv: tuple[str, ...], expect: str) -> None:
    proc = run_subprocess(*argv)
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout
    assert "Traceback" not in proc.stderr


def test_maps_show_draws_zone_lines() -> None:
    code, out, _ = run_cli("maps", "show", str(VALID / "nested.yaml"), "--role", "coach")
    assert code == 0
    assert "c1: Coach outcome" in out
    assert "t1:" not in out
    assert "║" in out
    assert "┊" in out


def test_pre_commit_hook_definition_runs() -> None:
    """The hook's entry is our console script and accepts the files pre-commit passes."""
    import shlex
    import shutil
    import sys
    from pathlib import Path

    import yaml

    from .conftest import ROOT

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "icmaps-validate")
    assert hook["language"] == "python"
    argv = shlex.split(hook["entry"])
    exe = shutil.which(argv[0], path=str(Path(sys.executable).parent))
    assert exe is not None
    import re
    import subprocess

    files = [str(p) for p in sorted((ROOT / "maps").glob("*.yaml"))]
    assert all(re.search(hook["files"], f) for f in files)
    ok = subprocess.run([exe, *argv[1:], *files], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run(
        [exe, *argv[1:], str(DATA / "invalid" / "unknown-role.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1


def test_folder_where_a_file_is_expected_is_named_as_a_folder(tmp_path: Path) -> None:
    ratings = ROOT / "maps" / "examples" / "learning-school.csv"
    code, out, err = run_cli("summarize", "learning-school", str(tmp_path))
    assert (code, out) == (2, "")
    assert f"{tmp_path}: is a folder; expected a ratings file" in err
    code, out, err = run_cli("summarize", str(tmp_path), str(ratings))
    assert (code, out) == (2, "")
    assert f"{tmp_path}: is a folder; expected a map file" in err


def test_output_into_missing_folder_or_onto_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "nodir" / "sheet.csv"
    code, _, err = run_cli("template", "learning-school", "-o", str(target))
    assert code == 2
    assert err == f"error: {target}: no such folder '{target.parent}'\n"
    assert not target.parent.exists()
    code, _, err = run_cli("template", "learning-school", "-o", str(tmp_path))
    assert code == 2
    assert err == f"error: {tmp_path}: is a folder; expected a file name to write\n"
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_validate_ratings_rejects_map_paths_and_map_without_ratings() -> None:
    ratings = str(ROOT / "maps" / "examples" / "learning-school.csv")
    code, out, err = run_cli("validate", "--ratings", ratings, "--map", "learning-school", str(BAD))
    assert (code, out) == (2, "")
    assert f"unexpected {BAD}" in err
    code, out, err = run_cli("validate", "--map", "learning-school", str(VALID))
    assert (code, out) == (2, "")
    assert "--map needs --ratings" in err


def test_deeply_nested_map_is_an_error_not_a_crash(tmp_path: Path) -> None:
    flow = tmp_path / "deep.yaml"
    flow.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    deep_json = tmp_path / "deep.json"
    deep_json.write_text("[" * 5_000 + "]" * 5_000 + "\n")
    proc = run_subprocess("validate", str(flow), str(deep_json))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == (
        f"{flow}:1:68: nesting deeper than 64 levels\n{deep_json}: nesting deeper than 64 levels\n"
    )


def test_validate_accepts_bundled_ids_and_width_is_checked() -> None:
    code, _, err = run_cli("validate", "learning-school", "spl-2022")
    assert code == 0, err
    assert "2 files checked: valid" in err
    code, _, err = run_cli("validate", "no-such-map")
    assert code == 2
    assert "no such file, folder or bundled map" in err
    code, _, err = run_cli("maps", "show", "learning-school", "--width", "5")
    assert code == 2
    assert "expected 40 to 1000 columns" in err


def test_role_option_without_role_column_keeps_the_roles_components(tmp_path: object) -> None:
    from pathlib import Path

    src = Path(str(DATA / "ratings" / "valid" / "long.csv")).read_text().splitlines()
    cols = src[0].split(",")
    drop = cols.index("role")
    rows = [",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in src]
    p = Path(str(tmp_path)) / "noroles.csv"
    p.write_text("\n".join(rows) + "\n")
    code, out, err = run_cli(
        "summarize", str(DATA / "valid" / "nested.yaml"), str(p), "--role", "coach"
    )
    assert code == 0, err
    assert "c1" in out
    assert "t1" not in out
