"""Text for people at a terminal, and `icmaps diff` in scripts and CI.

* text tables and the map grid fit the terminal (its width, or ``--width``, 40-1000); long
  text wraps in its column, nothing is cut; in a pipe lines stay whole;
* ``icmaps diff`` reads ``-`` (standard input) and process substitution (a /dev/fd pipe,
  read once), and ``--exit-code`` gives 0 same, 1 changed, 2 breaking.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from icmaps._tabular import text_table
from icmaps.cli import run

from .conftest import ROOT, run_cli, run_subprocess

MAP = ROOT / "maps" / "learning-school.yaml"
LONG = "Looks at progress only when report cards or state test results come out."
NEW_TEXT = (
    "Looks at progress only when report cards, state test results or the district's "
    "benchmark screeners come out, and then only for the students of each member."
)


def _edited(tmp_path: Path, *, remove: bool = False) -> Path:
    text = MAP.read_text(encoding="utf-8").replace(LONG, NEW_TEXT)
    assert NEW_TEXT in text
    if remove:  # cr-structures is the last component of its group: cut its block out
        start = text.index("      - id: cr-structures")
        end = text.index("  - id: quality-teaching")
        text = text[:start] + text[end:]
    out = tmp_path / ("removed.yaml" if remove else "edited.yaml")
    out.write_text(text, encoding="utf-8")
    return out


class _Terminal(io.StringIO):
    """Standard output as a terminal: its width comes from $COLUMNS (shutil reads it)."""

    def isatty(self) -> bool:
        return True


def run_tty(*argv: str) -> tuple[int, str, str]:
    """Run the CLI writing to a terminal."""
    out, err = _Terminal(), io.StringIO()
    code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- wrapping ---------------------------------------------------------------------------------


def test_text_table_wraps_long_cells_and_keeps_every_word() -> None:
    rows = [["a", "1", NEW_TEXT], ["b", "22", "short"]]
    text = text_table(["id", "n", "note"], rows, right=["n"], width=50)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 50
    assert len(lines) > 4  # the long note took several lines
    at = lines[0].index("note")
    assert " ".join(line[at:] for line in lines[2:-1]).split() == NEW_TEXT.split()
    assert lines[-1].split() == ["b", "22", "short"]
    # no width: one line per row, as before
    assert len(text_table(["id", "n", "note"], rows, right=["n"]).splitlines()) == 4


def test_text_table_narrower_than_its_headers_stays_whole() -> None:
    text = text_table(["identifier", "description"], [["x", "y " * 30]], width=10)
    assert text.splitlines()[0] == "identifier  description"


def test_summary_text_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    ratings = str(ROOT / "maps" / "examples" / "learning-school.csv")
    monkeypatch.setenv("COLUMNS", "110")
    code, narrow, _ = run_tty("summarize", "learning-school", ratings)
    assert code == 0
    assert max(len(line) for line in narrow.splitlines()) <= 110
    code, whole, _ = run_cli("summarize", "learning-school", ratings)  # a pipe: not wrapped
    assert max(len(line) for line in whole.splitlines()) > 110
    assert sorted(narrow.split()) != sorted(whole.split())  # wrapped, not cut:
    assert "".join(narrow.split()).count("Teams") == "".join(whole.split()).count("Teams")


# -- maps show --------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [60, 72, 200])
def test_maps_show_follows_the_terminal_width(
    columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run_tty("maps", "show", "learning-school")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns
    code, wide, _ = run_cli("maps", "show", "learning-school", "--width", "300")
    assert max(len(line) for line in wide.splitlines()) > columns


def test_maps_show_width_is_bounded() -> None:
    for bad in ("1000000000", "39", "wide"):
        code, out, err = run_cli("maps", "show", "learning-school", "--width", bad)
        assert (code, out) == (2, "")
        assert "--width" in err
    assert run_cli("maps", "show", "learning-school", "--width", "1000")[0] == 0


def test_maps_show_in_a_pipe_keeps_120_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # a shell's variable: for terminals only
    code, out, _ = run_cli("maps", "show", "learning-school")
    assert code == 0
    assert 100 < max(len(line) for line in out.splitlines()) <= 120


# -- diff -------------------------------------------------------------------------------------


def test_diff_shows_full_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run_cli("diff", str(MAP), str(_edited(tmp_path)))
    assert code == 0
    assert LONG in out
    assert NEW_TEXT in out  # in a pipe: whole lines, nothing cut at 40 characters
    assert "..." not in out
    code, out, _ = run_cli("diff", str(MAP), str(_edited(tmp_path)), "--width", "80")
    assert max(len(line) for line in out.splitlines()[2:]) <= 80
    assert " ".join(out.split()).count("district's benchmark screeners come out") == 1
    code, at_terminal, _ = run_tty("diff", str(MAP), str(_edited(tmp_path)))
    assert max(len(line) for line in at_terminal.splitlines()) <= 60


def test_diff_exit_codes(tmp_path: Path) -> None:
    same = run_cli("diff", "learning-school", str(MAP), "--exit-code")
    assert same[0] == 0
    changed = run_cli("diff", "learning-school", str(_edited(tmp_path)), "--exit-code")
    assert changed[0] == 1
    assert "descriptor changed" in changed[1]
    breaking = run_cli(
        "diff", "learning-school", str(_edited(tmp_path, remove=True)), "--exit-code"
    )
    assert breaking[0] == 2
    assert "component removed" in breaking[1]
    assert "cr-structures" in breaking[1]
    # without --exit-code a difference is no failure
    assert run_cli("diff", "learning-school", str(_edited(tmp_path, remove=True)))[0] == 0


def test_diff_exit_code_for_a_removed_level(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    doc = (
        "id: x\nversion: '{v}'\ntitle: X\nscale: {{levels: [{{code: a, label: A, zone: ideal}},"
        " {{code: b, label: B, zone: acceptable}}{extra}]}}\n"
        "components: [{{id: c1, title: C1, variations: [{cells}]}}]\n"
    )
    old.write_text(
        doc.format(v=1, extra=", {code: c, label: C, zone: unacceptable}", cells="p, q, r")
    )
    new.write_text(doc.format(v=2, extra="", cells="p, q"))
    code, out, _ = run_cli("diff", str(old), str(new), "--exit-code", "--format", "csv")
    assert code == 2
    assert "level removed,c1,c,C," in out


def test_diff_reads_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _edited(tmp_path).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, err = run_cli("diff", "learning-school", "-", "--format", "json")
    assert (code, err) == (0, "")
    assert '"kind": "descriptor changed"' in out
    proc = subprocess.run(
        [sys.executable, "-m", "icmaps", "diff", "-", str(MAP), "--exit-code"],
        input=data,
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    assert b"descriptor changed" in proc.stdout
    code, _, err = run_cli("diff", "-", "-")
    assert code == 2
    assert "only one of OLD and NEW can be -" in err


def test_diff_names_standard_input_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("id: x\n"))
    code, _, err = run_cli("diff", "learning-school", "-")
    assert code == 1
    assert err.startswith("<stdin>:")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_diff_reads_process_substitution(tmp_path: Path) -> None:
    """``icmaps diff <(git show v1:maps/x.yaml) maps/x.yaml``: a /dev/fd pipe, read once."""
    edited = _edited(tmp_path, remove=True)
    script = (
        f'"{sys.executable}" -m icmaps diff <(cat "{MAP}") <(cat "{edited}") --exit-code; '
        'echo "exit=$?"'
    )
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert proc.stderr == ""
    assert proc.stdout.rstrip().endswith("exit=2")
    assert ["component", "removed", "cr-structures"] in [
        line.split()[:3] for line in proc.stdout.splitlines()
    ]


def test_diff_of_a_missing_file_is_a_usage_error() -> None:
    proc = run_subprocess("diff", "learning-school", "no-such-map.yaml")
    assert proc.returncode == 2
    assert "no-such-map.yaml: no such file" in proc.stderr


def test_diff_exit_code_of_an_unreadable_map_is_neither_changed_nor_breaking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under --exit-code, 1 and 2 say what changed: a map that cannot be read exits 3."""
    proc = run_subprocess("diff", "learning-school", "no-such-map.yaml", "--exit-code")
    assert proc.returncode == 3
    assert proc.stderr == "error: no-such-map.yaml: no such file\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    code, out, err = run_cli("diff", str(bad), "learning-school", "--exit-code")
    assert (code, out) == (3, "")
    assert err.startswith(f"{bad}:")
    assert run_cli("diff", str(bad), "learning-school")[0] == 1  # as every command
    monkeypatch.setattr(sys, "stdin", None)
    code, _, err = run_cli("diff", "learning-school", "-", "--exit-code")
    assert code == 3
    assert err == "error: -: there is no standard input to read a map from\n"
