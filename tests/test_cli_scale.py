"""The command line on large inputs: several files or a glob, streaming, Dask, progress."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import icmaps
from icmaps import cli
from icmaps._progress import wanted
from tests.conftest import ROOT, run_cli, run_subprocess

EXAMPLE = str(ROOT / "maps" / "examples" / "learning-school.csv")

COMMANDS = [
    ["summarize", "learning-school", EXAMPLE, "--by", "district", "--format", "json"],
    ["summarize", "learning-school", EXAMPLE, "--by", "occasion", "--min-n", "3"],
    ["summarize", "learning-school", EXAMPLE, "--consensus", "median", "--role", "teacher"],
    ["fidelity", "learning-school", EXAMPLE, "--by", "occasion", "district", "--format", "csv"],
    ["compare", "learning-school", EXAMPLE, "--format", "json"],
    ["compare", "learning-school", EXAMPLE, "--period", "year", "--by", "district"],
    ["agreement", "learning-school", EXAMPLE, "--by", "component", "--format", "json"],
    ["agreement", "learning-school", EXAMPLE, "--method", "percent", "--tolerance", "1"],
    ["report", "learning-school", EXAMPLE, "--format", "json", "--by", "district"],
    ["report", "learning-school", EXAMPLE, "--format", "markdown", "--role", "principal"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_streaming_prints_what_holding_the_ratings_prints(argv: list[str]) -> None:
    held = run_cli(*argv)
    streamed = run_cli(*argv, "--stream", "--trusted")
    assert held[0] == 0
    assert streamed == held


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example split by occasion into a Parquet and a JSON Lines file."""
    folder = tmp_path_factory.mktemp("split")
    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    icmaps.write_ratings(rs.filter(occasion="2025-fall"), folder / "a-fall.parquet")
    icmaps.write_ratings(rs.filter(occasion="2026-spring"), folder / "b-spring.jsonl")
    icmaps.write_ratings(rs.filter(occasion="2025-fall") + rs.filter(occasion="2026-spring"),
                         folder / "whole.csv")  # fmt: skip
    return folder


@pytest.mark.parametrize("command", ["summarize", "fidelity", "compare", "agreement", "report"])
def test_several_files_or_a_glob_read_as_one_set(command: str, split: Path) -> None:
    fmt = ["--format", "json"]
    whole = run_cli(command, "learning-school", str(split / "whole.csv"), *fmt)
    files = [str(split / "a-fall.parquet"), str(split / "b-spring.jsonl")]
    assert run_cli(command, "learning-school", *files, *fmt) == whole
    assert run_cli(command, "learning-school", str(split / "[ab]-*"), *fmt, "--stream") == whole


def test_large_input_streams_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from icmaps.stats import stream

    calls: list[object] = []
    real = stream.count_ratings

    def spy(*args: object, **kw: object) -> object:
        calls.append(kw.get("by"))
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "count_ratings", spy)
    argv = ["summarize", "learning-school", EXAMPLE, "--by", "district"]
    small = run_cli(*argv)
    assert calls == []
    monkeypatch.setattr(cli, "STREAM_BYTES", 1000)
    assert run_cli(*argv) == small
    assert calls == [("district",)]  # only what the summary groups by is kept


def test_problems_of_a_streamed_input_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "subject,rater,occasion,component,code\n"
        "s,r,o,al-teacher-routine,2\n"
        "s,r,o,al-team-agenda,9\n"
    )
    for command in ("summarize", "agreement", "report"):
        code, _out, err = run_cli(command, "learning-school", str(bad), "--stream")
        assert code == 1
        assert f"{bad}:3:5: code '9' is not allowed" in err


def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = run_cli("summarize", "learning-school", str(tmp_path / "*.csv"))
    assert (code, err) == (2, f"error: {tmp_path / '*.csv'}: no file matches\n")
    code, _, err = run_cli(
        "summarize", "learning-school", EXAMPLE, "--stream", "--pseudonymize", EXAMPLE
    )
    assert code == 2
    assert "--pseudonymize needs every rating in memory" in err
    code, _, err = run_cli("fidelity", "learning-school", EXAMPLE, "--workers", "0")
    assert code == 2
    assert "expected at least 1" in err
    code, _, err = run_cli(
        "compare", "learning-school", EXAMPLE, "--workers", "2", "--scheduler", "tcp://x:1"
    )
    assert code == 2
    assert "give --workers" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_only_on_a_terminal_and_not_with_quiet() -> None:
    pytest.importorskip("tqdm")
    assert wanted(False, _Terminal())
    assert not wanted(True, _Terminal())
    assert not wanted(False, io.StringIO())
    # stderr is not a terminal here: no bar, nothing written
    code, _out, err = run_cli("summarize", "learning-school", EXAMPLE, "--stream")
    assert code == 0
    assert err == ""


@pytest.mark.slow
def test_workers_on_a_local_cluster_in_a_fresh_process(split: Path) -> None:
    argv = ["report", "learning-school", str(split / "[ab]-*"), "--format", "json"]
    got = run_subprocess(*argv, "--workers", "2")
    assert got.returncode == 0, got.stderr
    whole = run_cli("report", "learning-school", str(split / "whole.csv"), "--format", "json")
    assert json.loads(got.stdout) == json.loads(whole[1])


def _on_a_terminal(*argv: str) -> tuple[int, str, str]:
    """Run ``python -m icmaps`` with stderr on a pseudo-terminal (as in a shell), stdout piped:
    the exit code, stdout, and what the terminal showed."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    main, other = pty.openpty()
    # a terminal of 24 x 100 (a fresh pseudo-terminal is 0 x 0: a bar fits nothing there)
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "icmaps", *argv],
        stdout=subprocess.PIPE,
        stderr=other,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(other)
    shown = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        shown += data
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode()
    code = proc.wait(timeout=120)
    os.close(main)
    return code, out, shown.decode(errors="replace")


@pytest.mark.slow
def test_a_real_terminal_shows_the_bar_and_quiet_hides_it(split: Path) -> None:
    pytest.importorskip("tqdm")
    argv = ["summarize", "learning-school", str(split / "[ab]-*"), "--stream", "--format", "json"]
    code, out, shown = _on_a_terminal(*argv)
    assert code == 0, shown
    assert "counting" in shown
    assert "ratings" in shown
    assert "\r" in shown  # redrawn in place, then taken off
    assert json.loads(out)["rows"]  # the output itself is untouched
    code, quiet_out, shown = _on_a_terminal(*argv, "--quiet")
    assert code == 0
    assert shown == ""
    assert quiet_out == out


@pytest.mark.slow
def test_scheduler_runs_the_command_on_an_existing_cluster(split: Path) -> None:
    distributed = pytest.importorskip("distributed")
    argv = ["report", "learning-school", str(split / "[ab]-*"), "--format", "json"]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:  # another process's cluster, reached by its address only
        got = run_subprocess(*argv, "--scheduler", cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            ran = client.run(lambda: __import__("sys").modules.get("icmaps.dask") is not None)
    assert got.returncode == 0, got.stderr
    assert set(ran.values()) == {True}  # the worker counted the files
    whole = run_cli("report", "learning-school", str(split / "whole.csv"), "--format", "json")
    assert json.loads(got.stdout) == json.loads(whole[1])
    unreachable = run_subprocess(*argv, "--scheduler", "tcp://127.0.0.1:9")
    assert unreachable.returncode != 0
    assert "Traceback" not in unreachable.stderr


@pytest.mark.parametrize("kind", ["parquet", "arrow", "dataset"])
def test_parquet_and_arrow_stream_by_their_rows_not_their_bytes(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Parquet file is a few bytes a rating: 100 MB of it could not be held in memory."""
    pytest.importorskip("pyarrow")
    from icmaps.stats import stream

    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    if kind == "dataset":
        source = tmp_path / "set"
        source.mkdir()
        icmaps.write_ratings(rs.filter(occasion="2025-fall"), source / "a.parquet")
        icmaps.write_ratings(rs.filter(occasion="2026-spring"), source / "b.parquet")
        # what Spark and friends leave beside the data: not rows to count (twice)
        pq = pytest.importorskip("pyarrow.parquet")
        summary = pq.read_metadata(source / "a.parquet")
        summary.append_row_groups(pq.read_metadata(source / "b.parquet"))
        summary.write_metadata_file(str(source / "_metadata"))
        (source / "_SUCCESS").write_bytes(b"")
        (source / ".DS_Store").write_bytes(b"\x00junk")
        assert cli._size(source) * cli.STREAM_ROWS == len(rs)
    else:
        source = tmp_path / f"r.{kind}"
        icmaps.write_ratings(rs, source)
    assert source.stat().st_size < 1_000_000 or kind == "dataset"
    calls: list[object] = []
    real = stream.count_ratings
    monkeypatch.setattr(stream, "count_ratings", lambda *a, **k: calls.append(1) or real(*a, **k))
    argv = ["summarize", "learning-school", str(source), "--by", "district"]
    held = run_cli(*argv)
    assert calls == []
    monkeypatch.setattr(cli, "STREAM_ROWS", len(rs) - 1)  # one rating more than the bound
    assert run_cli(*argv) == held
    assert calls == [1]
    calls.clear()
    monkeypatch.setattr(cli, "STREAM_ROWS", len(rs))  # at the bound: held
    run_cli(*argv)
    assert calls == []
