"""iter_ratings: checked batches with source lines; read_ratings is built on them."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet, ReadResult
from icmaps.ratings.read import RatingBatch, iter_ratings, read_ratings
from icmaps.ratings.write import dumps_ratings
from tests.conftest import DATA
from tests.strategies import rating_records

ENGINES = ["python", "pyarrow"]
DUP = ("conflicting ratings", "repeated rating")


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


def _engine(engine: str) -> None:
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")


def _joined(batches: list[RatingBatch]) -> RatingSet:
    return sum((b.ratings for b in batches[1:]), batches[0].ratings)


def _collect(path: Path | str, m: Map | str, **kw: Any) -> ReadResult:
    result = read_ratings(path, m, errors="collect", **kw)
    assert isinstance(result, ReadResult)
    return result


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk", [1, 37, 1_000_000])
@pytest.mark.parametrize("name", ["learning-school", "spl-2022"])
def test_batches_concatenated_equal_read_ratings(name: str, chunk: int, engine: str) -> None:
    _engine(engine)
    path = icmaps.example_ratings(name)
    batches = list(iter_ratings(path, name, chunk_rows=chunk, engine=engine))
    whole = read_ratings(path, name, engine=engine)
    assert all(0 < len(b) <= chunk for b in batches)
    joined = _joined(batches)
    assert joined == whole
    for column in ("subject", "rater", "component", "code", "role"):
        assert joined.categories(column) == whole.categories(column)
    assert list(joined.levels()) == list(whole.levels())
    lines = [line for b in batches for line in b.lines]
    assert lines == list(range(2, len(whole) + 2))  # one rating a line, no blank lines


@pytest.mark.parametrize("fmt", ["long", "wide", "jsonl"])
def test_every_format_streams(fmt: str, nested: Map, tmp_path: Path) -> None:
    rs = read_ratings(DATA / "ratings" / "valid" / "long.csv", nested)
    assert isinstance(rs, RatingSet)
    rs = RatingSet.from_records(nested, [r | {"role": None} for r in rs.to_records()])
    f = tmp_path / ("r.jsonl" if fmt == "jsonl" else "r.csv")
    f.write_text(dumps_ratings(rs, fmt))  # type: ignore[arg-type]
    kind = "wide" if fmt == "wide" else "auto"
    whole = read_ratings(f, nested, format=kind)  # type: ignore[call-overload]
    batches = list(iter_ratings(f, nested, chunk_rows=3, format=kind))  # type: ignore[arg-type]
    assert [len(b) for b in batches][:-1] == [3] * (len(batches) - 1)
    assert _joined(batches) == whole


MESSY = (
    "subject,rater,occasion,component,code,role,school\r\n"
    "s1,r1,fall,t1,1,teacher,north\r\n"  # 2
    "\r\n"  # 3: blank
    "s1,r2,fall,t1,7,teacher,north\r\n"  # 4: bad code
    "   \r\n"  # 5: blank (spaces)
    "s2,r1,fall,top,2,,north,extra\r\n"  # 6: wrong field count
    ",,,,,,\r\n"  # 7: a row of empty fields (a cleared row: skipped, counted once)
    "s2,r1,fall,top,2,,south\r\n"  # 8
    '"s3",r1,fall,c1,b,coach,"a, b"\r\n'  # 9
    "s1,r1,fall,t1,1,teacher,north\r\n"  # 10: repeats line 2
    "s2,r1,fall,top,3,,south\r\n"  # 11: conflicts with line 8
    "s4,r1,fall,zz,1,,north\r\n"  # 12: unknown component
    "\r\n"
    "s5,r1,fall,p1,0,principal,north\r\n"  # 14
    "\r\n"
)


@pytest.mark.parametrize("engine", ENGINES)
def test_lines_in_batches_point_at_the_source_lines(
    engine: str, nested: Map, tmp_path: Path
) -> None:
    _engine(engine)
    f = tmp_path / "messy.csv"
    f.write_bytes(MESSY.encode())
    source = MESSY.split("\r\n")
    seen = []
    for b in iter_ratings(f, nested, chunk_rows=2, engine=engine, duplicates="ignore"):
        for r, line in zip(b.ratings, b.lines, strict=True):
            cells = source[line - 1].split(",")
            assert (cells[0].strip('"'), cells[3], cells[4]) == (r.subject, r.component, r.code)
            seen.append(line)
    assert seen == [2, 8, 9, 10, 11, 14]
    streamed = [p for b in iter_ratings(f, nested, chunk_rows=2, engine=engine) for p in b.problems]
    whole = _collect(f, nested, engine=engine).problems
    assert sorted(streamed, key=Problem.sort_key) == list(whole)
    assert [p.line for p in whole] == [4, 6, 7, 10, 11, 12]
    skipped = [p for p in whole if p.line == 7]
    assert [(p.severity, p.message) for p in skipped] == [
        ("warning", "1 empty row skipped (the first is here)")
    ]


def test_engines_agree_on_a_messy_file(nested: Map, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    f = tmp_path / "messy.csv"
    f.write_bytes(MESSY.encode())
    a, b = _collect(f, nested, engine="python"), _collect(f, nested, engine="pyarrow")
    assert a.problems == b.problems
    assert a.ratings == b.ratings
    assert a.ratings.categories("school") == b.ratings.categories("school")


def test_pyarrow_hands_a_file_back_to_python_mid_way(nested: Map, tmp_path: Path) -> None:
    """A value spanning lines after the first batches: pyarrow's line numbers would be off
    from there, so the Python engine reads on from the last line pyarrow gave out."""
    pytest.importorskip("pyarrow")
    rows = [f"s{i},r1,fall,t1,{1 + i % 4},teacher,north" for i in range(300)]
    rows[250] = 's250,r1,fall,t1,9,teacher,"two\nlines"'
    f = tmp_path / "multi.csv"
    f.write_text("subject,rater,occasion,component,code,role,school\n" + "\n".join(rows) + "\n")
    for chunk in (7, 100, 1000):
        py = list(iter_ratings(f, nested, chunk_rows=chunk, engine="python"))
        pa = list(iter_ratings(f, nested, chunk_rows=chunk, engine="pyarrow"))
        assert [(b.ratings, list(b.lines), b.problems) for b in py] == [
            (b.ratings, list(b.lines), b.problems) for b in pa
        ]
        assert [p.line for b in pa for p in b.problems] == [252]
        assert pa[-1].lines[-1] == 302  # the last row, after the two-line one


def test_repeats_across_batches(nested: Map, tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text(
        "subject,rater,occasion,component,code\n"
        "s1,r1,f,t1,1\ns2,r1,f,t1,1\n"  # batch 1
        "s1,r1,f,t1,1\ns2,r1,f,t1,2\n"  # batch 2: a repeat and a conflict of batch 1
        "s3,r1,f,t1,1\ns3,r1,f,t1,2\n"  # batch 3: a conflict inside the batch
        "s3,r1,f,t1,1\n"  # batch 4: ... which stays a conflict
    )
    batches = list(iter_ratings(f, nested, chunk_rows=2))
    assert [b.ratings.column("subject") for b in batches] == [["s1", "s2"], [], [], []]
    assert [[(p.line, p.severity) for p in b.problems] for b in batches] == [
        [],
        [(4, "warning"), (5, "error")],
        [(7, "error")],
        [(8, "error")],
    ]
    assert [b.ok for b in batches] == [True, False, False, False]
    assert "'2' here, '1' on line 3" in batches[1].problems[1].message
    # read_ratings drops every rating of a conflicting key, the first one included
    assert _collect(f, nested).ratings.column("subject") == ["s1"]
    kept = list(iter_ratings(f, nested, chunk_rows=2, duplicates="ignore"))
    assert sum(len(b) for b in kept) == 7
    assert not any(b.problems for b in kept)


def test_a_source_without_ratings_gives_one_empty_batch(nested: Map, tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("subject,rater,occasion,component,code,school\n\n")
    (batch,) = iter_ratings(f, nested)
    assert len(batch) == 0
    assert batch.ratings.attributes == ("school",)
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,rater\ns,r\n")
    (batch,) = iter_ratings(bad, nested)
    assert not batch.ok
    assert batch.problems[0].message.startswith("missing column occasion (wide form")


def test_arguments_are_checked_when_called(nested: Map, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        iter_ratings(tmp_path / "nope.csv", nested)
    with pytest.raises(UsageError, match="chunk_rows must be a positive integer"):
        iter_ratings(io.StringIO(""), nested, chunk_rows=0)
    with pytest.raises(UsageError, match="duplicates must be"):
        iter_ratings(io.StringIO(""), nested, duplicates="drop")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="engine must be"):
        iter_ratings(io.StringIO(""), nested, engine="fast")  # type: ignore[arg-type]
    stream = iter_ratings(io.StringIO(""), nested)
    with pytest.raises(RatingsError, match="file is empty"):
        next(stream)


def test_streams_read_from_text_and_bytes(nested: Map) -> None:
    text = "subject,rater,occasion,component,code\ns,r,o,t1,1\ns,r,o,top,2\n"
    for source in (io.StringIO(text), io.BytesIO(text.encode())):
        (batch,) = iter_ratings(source, nested)
        assert list(batch.lines) == [2, 3]


# -- the property: chunk size does not change the result -----------------------------------

PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAPS = (load_map(DATA / "valid" / "nested.yaml"), icmaps.load_map("learning-school"))


@st.composite
def files(draw: st.DrawFn) -> tuple[Map, str, str]:
    """A map and a long CSV or JSON Lines file of its ratings, with some blank lines, bad
    codes and repeated keys (the same code or another)."""
    import csv
    import json

    m = draw(st.sampled_from(MAPS))
    records = draw(rating_records(m, min_size=1, max_size=60))
    rng = random.Random(draw(st.integers(0, 2**16)))
    for r in records:
        if rng.random() < 0.05:
            r["code"] = "bad"
    for _ in range(rng.choice([0, 0, 1, 3])):
        again = dict(rng.choice(records))
        if rng.random() < 0.5:
            again["code"] = None
        records.insert(rng.randint(0, len(records)), again)
    names = ["subject", "rater", "occasion", "component", "code", "role", "school"]
    if draw(st.booleans()):
        return m, "jsonl", "".join(json.dumps(r) + "\n" for r in records)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in records:
        w.writerow(["" if r[n] is None else r[n] for n in names])
        if rng.random() < 0.05:
            w.writerow([])  # a blank line
    return m, "long", buf.getvalue()


@PROPS
@given(files(), st.integers(1, 25), st.sampled_from(ENGINES))
def test_property_chunk_size_does_not_change_the_result(
    case: tuple[Map, str, str], chunk: int, engine: str
) -> None:
    m, fmt, text = case
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / ("r.jsonl" if fmt == "jsonl" else "r.csv")
        f.write_text(text)
        whole = _collect(f, m, engine=engine)
        one = list(iter_ratings(f, m, chunk_rows=10**6, engine=engine, duplicates="ignore"))
        parts = list(iter_ratings(f, m, chunk_rows=chunk, engine=engine, duplicates="ignore"))
        checked = list(iter_ratings(f, m, chunk_rows=chunk, engine=engine))
    assert all(len(b) <= chunk for b in parts)
    assert len(one) == 1
    assert _joined(parts) == one[0].ratings
    assert [x for b in parts for x in b.lines] == list(one[0].lines)
    got = sorted((p for b in parts for p in b.problems), key=Problem.sort_key)
    assert got == list(one[0].problems)
    # read_ratings also looks across the whole file (repeated keys, empty cells rated,
    # attributes that differ): the stream's batches do not
    no_dups = [
        p for p in whole.problems if not p.message.startswith(DUP) and not _whole_file_only(p)
    ]
    assert sorted(str(p) for b in parts for p in b.problems) == sorted(map(str, no_dups))
    if len(no_dups) == len(whole.problems):  # no repeated keys: the same as read_ratings
        assert _joined(parts) == whole.ratings
        assert _joined(checked) == whole.ratings
    joined = _joined(checked)
    keys = list(
        zip(*(joined.column(k) for k in ("subject", "rater", "occasion", "component")), strict=True)
    )
    assert len(keys) == len(set(keys))  # with duplicates="check" no key is handed out twice
    lines = sorted(p.line or 0 for b in checked for p in b.problems)
    assert lines == sorted(p.line or 0 for p in whole.problems if not _whole_file_only(p))


def _whole_file_only(p: Problem) -> bool:
    return "empty cell of the map" in p.message or " here but " in p.message
