"""Hostile input: every case fails (or passes) with our message, never a traceback, bounded.

The kept corpus is in ``tests/data/hostile/`` (see its README); inputs too large for git are
made here. Each case runs in a fresh process that reports its own peak memory; times are
printed by ``benchmarks/bench_hostile.py``, never asserted here.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import IcmapsError

HOSTILE = Path(__file__).parent / "data" / "hostile"
MAX_RSS_MB = 300

# runs the command line, then reports the process's peak memory (KiB) on stderr: VmHWM, the
# peak of this program alone (ru_maxrss would count the parent's memory at the fork too)
DRIVER = """
import resource, sys
from icmaps.cli import run
code = run(sys.argv[1:])
try:
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"\\nMAXRSS={kib}\\n")
sys.exit(code)
"""


def run_bounded(*argv: str, cwd: Path | None = None) -> tuple[int, str, int]:
    """Exit code, stdout + stderr (without the memory line) and peak memory in MB."""
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
    rss = 0
    err = []
    for line in proc.stderr.splitlines():
        if line.startswith("MAXRSS="):
            rss = int(line[7:]) // 1024
        else:
            err.append(line)
    return proc.returncode, proc.stdout + "\n".join(err), rss


def _command(path: Path) -> list[str]:
    if path.suffix in (".yaml", ".yml", ".json"):
        return ["validate", str(path)]
    return ["validate", "--map", "learning-school", "--ratings", str(path)]


CASES = sorted(p for p in HOSTILE.iterdir() if p.suffix in (".yaml", ".json", ".csv", ".jsonl"))


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 20
    for p in CASES:
        assert (p.parent / f"{p.name}.expected.txt").is_file(), p


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_kept_hostile_input(path: Path) -> None:
    expected = (path.parent / f"{path.name}.expected.txt").read_text(encoding="utf-8").strip()
    code, text, rss = run_bounded(*_command(path))
    assert "Traceback" not in text, text
    assert expected in text, text
    assert code == (0 if expected == "valid (" else 1), text
    assert rss < MAX_RSS_MB, f"{rss} MB"


# -- inputs too large to keep ---------------------------------------------------------------


def _junk(p: Path) -> None:
    chunk = (b"abc,def;gh\n ij,k\n" * 4096)[: 1 << 16]
    with p.open("wb") as f:
        f.write(b"subject,rater,occasion,component,code\n")
        for _ in range((50 << 20) // len(chunk)):
            f.write(chunk)


def _wide(p: Path) -> None:
    p.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + "x," * 99_999 + "x\n")


def _many_keys(p: Path) -> None:
    base = {"subject": "s", "rater": "r", "occasion": "o", "component": "al-teacher-routine"}
    with p.open("w") as f:
        for i in range(3000):
            rec = {**base, "code": "1", **{f"k{i}_{j}": "v" for j in range(20)}}
            f.write(json.dumps(rec) + "\n")


def _long_line(p: Path) -> None:
    with p.open("w") as f:
        f.write('{"subject": "' + "s" * 30_000_000 + '"}\n')


def _huge_map(p: Path) -> None:
    with p.open("w") as f:
        f.write("icmap: 1\n# " + "x" * (17 << 20) + "\n")


def _many_components(p: Path) -> None:
    comps = "".join(
        f"  - id: c{i}\n    title: T{i}\n    roles: [nope{i}]\n    variations: [a, b, c, d]\n"
        for i in range(8000)
    )
    head = (HOSTILE.parent / "valid" / "ascending.yaml").read_text().split("components:")[0]
    p.write_text(head + "components:\n" + comps)


def _alias_keys(p: Path) -> None:
    # long keys under aliases: every use would have stored a long pointer string
    rows = [
        f"  {'k' * 1000}{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8) if i else 'x'}]"
        for i in range(12)
    ]
    p.write_text("icmap: 1\nid: x\nx-bomb:\n" + "\n".join(rows) + "\n")


GENERATED: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "junk-50MiB.csv": ("ratings", _junk, "stopped reading after 10,000 problems"),
    "wide-100k.csv": ("ratings", _wide, "the header has 100,000 columns; the limit is 1,000"),
    "many-keys.jsonl": ("ratings", _many_keys, "more than 1,000 different keys"),
    "long-line.jsonl": ("ratings", _long_line, "line is longer than 1,000,000 characters"),
    "huge-17MiB.yaml": ("map", _huge_map, "file is 17,825,804 bytes; the limit is 2,097,152"),
    "8000-components.yaml": ("map", _many_components, "the map has 8,000 components"),
    "alias-long-keys.yaml": ("map", _alias_keys, "alias bomb?"),
}


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_hostile_input(name: str, tmp_path: Path) -> None:
    _, make, expected = GENERATED[name]
    path = tmp_path / name
    make(path)
    code, text, rss = run_bounded(*_command(path))
    assert "Traceback" not in text, text[-2000:]
    assert expected in text, text[-2000:]
    assert code == 1, text[-2000:]
    assert rss < MAX_RSS_MB, f"{rss} MB"
    assert len(text) < 2_000_000  # bounded output: no line per junk row


def test_over_long_file_name_is_a_clear_error() -> None:
    name = "x" * 5000 + ".csv"
    with pytest.raises(IcmapsError, match="cannot open"):
        icmaps.read_ratings(name, "learning-school")
    for map_name in (name, "x" * 5000 + ".yaml"):
        with pytest.raises(IcmapsError, match="characters"):
            icmaps.load_map(map_name)
    code, text, _ = run_bounded("summarize", "learning-school", name)
    assert code == 2
    assert "Traceback" not in text
    assert "characters)" in text  # the name is cut in the message


# -- output safety ----------------------------------------------------------------------------

EXAMPLE = icmaps.example_ratings("learning-school")


def test_output_never_overwrites_an_input_or_a_device(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    ratings = tmp_path / "in.csv"
    ratings.write_bytes(Path(EXAMPLE).read_bytes())
    before = ratings.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(ratings)
    for target in (ratings, link):
        code, _, err = run_cli("report", "learning-school", str(ratings), "-o", str(target))
        assert code == 2
        assert "is an input of this command" in err
    assert ratings.read_bytes() == before
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = run_cli("report", "learning-school", str(ratings), "-o", str(fifo))
    assert code == 2
    assert "not a regular file" in err
    code, _, err = run_cli("report", "learning-school", str(ratings), "-o", "/dev/null")
    assert code == 2
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device


def test_output_keeps_mode_follows_links_and_leaves_no_temp(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    real = tmp_path / "private.html"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "report.html"
    link.symlink_to(real)
    code, _, err = run_cli("report", "learning-school", EXAMPLE, "-o", str(link))
    assert code == 0, err
    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.html", "report.html"]


def test_a_killed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM while writing: the command line unwinds, the temporary file goes."""
    script = tmp_path / "slow.py"
    script.write_text(
        "import os, signal, sys\n"
        "from icmaps import _io\n"
        "from icmaps.cli import main\n"
        "real = os.fsync\n"
        "def fsync(fd):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real(fd)\n"
        "_io.os.fsync = fsync\n"
        f"sys.argv = ['icmaps', 'report', 'learning-school', {EXAMPLE!r}, '-o', "
        f"{str(tmp_path / 'r.html')!r}]\n"
        "sys.exit(main())\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.py"]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = HOSTILE / "rtl-and-formula.csv"
    code, text, err = run_cli(
        "summarize", "learning-school", str(path), "--by", "subject", "--format", "csv"
    )
    assert code == 0, err
    import csv

    cells = [row[0] for row in csv.reader(text.splitlines()[1:])]
    assert cells
    assert all(c.startswith("'=HYPERLINK(") for c in cells)
    code, raw, _ = run_cli(
        "summarize",
        "learning-school",
        str(path),
        "--by",
        "subject",
        "--format",
        "csv",
        "--raw-csv",
    )
    assert code == 0
    assert all(row[0].startswith("=HYPERLINK(") for row in csv.reader(raw.splitlines()[1:]))
    from icmaps._tabular import records_csv

    assert records_csv([{"a": -2.5, "b": "-2.5", "c": "@x"}], ["a", "b", "c"]).splitlines()[1] == (
        "-2.5,-2.5,'@x"
    )


def test_right_to_left_text_is_isolated_in_html() -> None:
    rs = icmaps.read_ratings(HOSTILE / "rtl-and-formula.csv", "learning-school")
    html = icmaps.report(rs, by="district").to_html()
    assert "\u202eevil\u202c" in html
    assert "unicode-bidi:plaintext" in html.replace(" ", "")


# -- exact keys ------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_rating_lost_at_the_packed_key_boundary(tmp_path: Path) -> None:
    """262,145 distinct keys whose columns would need more than 63 bits when packed: all
    kept, none reported as a repeat (the packed-int64 overflow lost one, silently)."""
    m = icmaps.load_map("learning-school")
    comps = [c.id for c in m.all_components()]
    path = tmp_path / "r.csv"
    with path.open("w") as f:
        f.write("subject,rater,occasion,component,code\n")
        for i in range(262_145):
            f.write(f"s{i},r{i % 65_537},o{i % 257},{comps[i % len(comps)]},1\n")
    rs = icmaps.read_ratings(path, m, errors="collect")
    assert rs.ok, rs.problems[:3]
    assert len(rs.ratings) == 262_145


# -- fuzzing: no input gives anything but our own errors -----------------------------------

_MAP_TEXT = (HOSTILE.parent / "valid" / "ascending.yaml").read_text(encoding="utf-8")
_RATINGS_TEXT = "".join(Path(EXAMPLE).read_text(encoding="utf-8").splitlines(True)[:40])
_TOKENS = [
    "*a",
    "&a ",
    "!!python/name:os.system",
    "\x00",
    "\x1b",
    "\ud800",
    "1e999",
    "9" * 30,
    "\r",
    "\n",
    ",",
    ";",
    '"',
    "{",
    "[",
    ": ",
    "- ",
    "\t",
    "~",
    "NaN",
    "\ufeff",
]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    out = text
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(out)))
        op = draw(st.sampled_from(["insert", "delete", "dup"]))
        if op == "insert":
            out = out[:at] + draw(st.sampled_from(_TOKENS) | st.text(max_size=5)) + out[at:]
        elif op == "delete":
            out = out[:at] + out[at + draw(st.integers(1, 40)) :]
        else:
            out = out[:at] + out[at : at + 80] * draw(st.integers(2, 4)) + out[at:]
    return out


@given(mutated(_MAP_TEXT))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_maps_give_our_errors_only(text: str) -> None:
    from icmaps.maps.codec import check_text

    for fmt in ("yaml", "json"):
        with contextlib.suppress(IcmapsError):
            check_text(text.encode("utf-8", "surrogatepass"), path="m.yaml", format=fmt)


@given(mutated(_RATINGS_TEXT))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_ratings_give_our_errors_only(text: str) -> None:
    import io

    raw = text.encode("utf-8", "surrogatepass")
    for fmt in ("auto", "jsonl"):
        try:
            result = icmaps.read_ratings(
                io.BytesIO(raw), "learning-school", errors="collect", format=fmt
            )
        except IcmapsError:
            continue
        # whatever was kept can be reported and written
        if len(result.ratings):
            icmaps.summarize(result.ratings).to_csv()


def test_plain_numbers_as_text_are_not_prefixed() -> None:
    from icmaps._tabular import records_csv

    line = records_csv([{"a": "-3", "b": "+4.5", "c": "-2+3", "d": "1e3"}], "abcd").splitlines()[1]
    assert line == "-3,+4.5,'-2+3,1e3"


def test_a_link_to_a_file_not_there_yet_is_kept(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "out").mkdir()
    link = tmp_path / "report.html"
    link.symlink_to(tmp_path / "out" / "real.html")
    code, _, err = run_cli("report", "learning-school", EXAMPLE, "-o", str(link))
    assert code == 0, err
    assert link.is_symlink()
    assert (tmp_path / "out" / "real.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_the_problem_cap_holds_across_chunks_and_streams(tmp_path: Path) -> None:
    """Rows of unknown components are checked chunk by chunk: both a read and a stream stop
    at 10,000 problems with one line saying so."""
    path = tmp_path / "j.csv"
    rows = "".join(f"s{i},r,o,nope{i % 7},1\n" for i in range(40_000))
    path.write_text("subject,rater,occasion,component,code\n" + rows)
    streamed = [
        p for b in icmaps.iter_ratings(path, "learning-school", chunk_rows=5000) for p in b.problems
    ]
    read = icmaps.read_ratings(path, "learning-school", errors="collect").problems
    for problems in (streamed, read):
        assert len(problems) == 10_001
        assert sum("stopped reading after 10,000 problems" in p.message for p in problems) == 1


# -- the formats added later: workbooks, grids, Parquet and Arrow, CASE ---------------------


def test_a_zip_bomb_workbook_is_refused_at_once(tmp_path: Path) -> None:
    import zipfile

    from icmaps.errors import MapValidationError, RatingsError
    from icmaps.maps.gridfile import read_grid

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", " " * (64 << 20))
    with pytest.raises(RatingsError, match="zip bomb"):
        icmaps.read_ratings(bomb, "learning-school")
    with pytest.raises(MapValidationError, match="zip bomb"):
        read_grid(bomb)
    code, text, rss = run_bounded("validate", "--map", "learning-school", "--ratings", str(bomb))
    assert code == 1
    assert "zip bomb" in text
    assert rss < MAX_RSS_MB


def test_parquet_and_arrow_files_pyarrow_cannot_read_are_our_errors(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from icmaps.errors import RatingsError

    base = {
        "subject": ["s"],
        "rater": ["r"],
        "occasion": ["o"],
        "component": ["al-teacher-routine"],
    }
    lists = tmp_path / "lists.parquet"
    pq.write_table(pa.table({**base, "code": pa.array([[1]])}), lists)
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": ["x"] for i in range(1500)}), wide)
    arrow = tmp_path / "lists.arrow"
    table = pa.table({**base, "code": pa.array([[1]])})
    with pa.OSFile(str(arrow), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    cut = tmp_path / "cut.arrow"
    cut.write_bytes(arrow.read_bytes()[:200])
    for path, message in ((lists, "cannot read this Parquet file"), (wide, "1,500 columns"),
                          (arrow, "cannot read this Arrow IPC file"), (cut, "Arrow")):  # fmt: skip
        with pytest.raises(RatingsError, match=message):
            icmaps.read_ratings(path, "learning-school")


def test_a_grid_csv_that_is_not_utf8_or_too_deep_is_our_error(tmp_path: Path) -> None:
    from icmaps.errors import MapValidationError
    from icmaps.maps.gridfile import read_grid, write_grid

    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"icmap grid,1\nid,\xff\n")
    with pytest.raises(MapValidationError, match="UTF-8"):
        read_grid(latin)
    grid = tmp_path / "g.csv"
    write_grid(icmaps.load_map("learning-school"), grid)
    lines = grid.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("component,1,"))
    lines[at] = lines[at].replace("component,1,", "component,-1,", 1)
    grid.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(MapValidationError, match="expected a whole number from 0"):
        read_grid(grid)


def test_a_case_link_that_is_not_text_is_an_error(tmp_path: Path) -> None:
    from icmaps.maps.codec import check_map, dumps_map

    doc = json.loads(dumps_map(icmaps.load_map("learning-school"), "case"))
    doc["CFRubrics"][0]["CFRubricCriteria"][0]["CFItemURI"] = {"identifier": 5, "uri": ["x"]}
    path = tmp_path / "pkg.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = check_map(path)
    assert not result.ok
    assert any("expected text" in p.message for p in result.problems)
