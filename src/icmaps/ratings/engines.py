"""Engines: read a source, chunk by chunk, into interned columns for the one checker.

An engine turns CSV (long or wide), JSON Lines or records into :class:`RawBatch` chunks of at
most ``chunk_rows`` ratings (per column the distinct values, trimmed and blank as ``None``, and
a per-row index; each rating's source line; the problems met while reading: header, wrong
field count, invalid JSON). It checks nothing else: every rule runs in
:func:`icmaps.ratings.checker.check`, whichever engine read the rows.

* :func:`rows_engine` interns rows of cells in Python (CSV through the ``csv`` module, and
  ``RatingSet.from_records``); :func:`jsonl_engine` does the same for JSON Lines.
* :func:`arrow_engine` reads a long CSV file with pyarrow's streaming reader and interns each
  column per block with ``dictionary_encode`` (numpy does the rest). Source lines are exact:
  pyarrow numbers every line (empty ones give a row of empty fields, told apart from a line of
  delimiters by reading just those lines again) and reports the rows it skips with their line.
  It stops, and hands the rest of the file to the Python engine from the line after the last
  chunk it gave out, wherever the two parsers could disagree: a value or row spanning lines,
  invalid UTF-8, a parse error.
"""

from __future__ import annotations

import array
import bisect
import codecs
import csv
import dataclasses
import io
import json
import os
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import Layout, RawBatch, _header_map, _unusable
from icmaps.ratings.columns import BASE_COLUMNS, MAX_COLUMNS, is_helper_column

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Chunk",
    "arrow_engine",
    "arrow_engine_batches",
    "ipc_engine",
    "jsonl_engine",
    "parquet_engine",
    "rows_engine",
]


Chunk = tuple[Layout, RawBatch]


DELIMITERS = ",;\t|"


# -- sources --------------------------------------------------------------------------------


def check_source(source: object) -> None:
    """Raise UsageError now (not on the first batch) for a path that is not a file.

    >>> check_source("no/such.csv")
    Traceback (most recent call last):
    ...
    icmaps.errors.UsageError: no/such.csv: no such file
    """
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        try:
            if p.is_dir():
                raise UsageError(f"{os.fspath(source)}: is a folder; expected a ratings file")
            if not p.is_file():
                raise UsageError(f"{os.fspath(source)}: no such file")
        except OSError as e:  # e.g. a name longer than the system allows
            raise UsageError(f"{_short_name(source)}: cannot open: {e.strerror}") from None


def _short_name(source: object) -> str:
    """A file name for a message: cut when absurdly long."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else str(source)
    return name if len(name) <= 200 else f"{name[:100]}…({len(name):,} characters)"


def open_text(source: str | os.PathLike[str] | IO[str] | IO[bytes]) -> tuple[IO[str], str, bool]:
    """A text handle on the source, its name for problems, and whether to close it.

    >>> f, name, close = open_text(io.BytesIO(b"subject"))
    >>> f.read(), name, close
    ('subject', '<stream>', False)
    """
    if isinstance(source, (str, os.PathLike)):
        check_source(source)
        p = Path(source)
        try:
            f = p.open("r", encoding="utf-8-sig", newline="", errors="strict")
        except OSError as e:
            raise UsageError(f"{_short_name(source)}: cannot open: {e.strerror}") from None
        return f, os.fspath(source), True
    name = str(getattr(source, "name", "<stream>"))
    if isinstance(source, io.TextIOBase):
        return source, name, False
    binary: Any = source
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), name, False


def utf8_problem(source: object, path: str, e: UnicodeDecodeError) -> Problem:
    """Locate the first byte that is not UTF-8 (files only; streams get no line).

    >>> e = UnicodeDecodeError("utf-8", bytes([255]), 0, 1, "invalid start byte")
    >>> str(utf8_problem(io.BytesIO(), "<stream>", e))
    '<stream>: invalid UTF-8; save the file as UTF-8 (in Excel: CSV UTF-8) (invalid start byte)'
    """
    msg = "invalid UTF-8; save the file as UTF-8 (in Excel: CSV UTF-8)"
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        raw = Path(source).read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            good = raw[: err.start].decode("utf-8")
            line = good.count("\n") + 1
            col = len(good) - (good.rfind("\n") + 1) + 1
            return Problem(
                path, line, col, f"invalid UTF-8 byte 0x{raw[err.start]:02x}; {msg[15:]}"
            )
    return Problem(path, None, None, f"{msg} ({e.reason})")


def sniff(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of ``, ; TAB |`` (comma if none).

    >>> sniff("subject;rater;code"), sniff("subject")
    (';', ',')
    """
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


MAX_PROBLEMS = 10_000
"""Problems after which reading stops (a file that is not ratings at all would otherwise give
one per line: millions of lines of messages)."""


def stopped(path: str | None, line: int | None, m: Map) -> Problem:
    """The problem that ends a reading stopped after :data:`MAX_PROBLEMS` problems."""
    return Problem(
        path,
        line,
        None,
        f"stopped reading after {MAX_PROBLEMS:,} problems; is this a ratings file for map "
        f"{m.id!r}? (the rest of the file was not read)",
    )


def check_width(header: Sequence[str], path: str | None) -> None:
    """Refuse a header of more than :data:`MAX_COLUMNS` columns at once (before any name is
    matched: a header of 100,000 junk names would otherwise take seconds and print them all).

    >>> try:
    ...     check_width(["c"] * 1001, "r.csv")
    ... except RatingsError as e:
    ...     print(e.problems[0].message[:39])
    the header has 1,001 columns; the limit
    """
    if len(header) > MAX_COLUMNS:
        msg = (
            f"the header has {len(header):,} columns; the limit is {MAX_COLUMNS:,} "
            "(is this a ratings file?)"
        )
        raise RatingsError([Problem(path, 1, None, msg)])


def csv_rows(f: IO[str], path: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    r"""The header and the numbered rows of a CSV text (the line each row starts on).

    >>> header, rows = csv_rows(io.StringIO('a,b\n1,"x\ny"\n\n3,4\n'), "r.csv")
    >>> header, list(rows)
    (['a', 'b'], [(2, ['1', 'x\ny']), (4, []), (5, ['3', '4'])])
    """
    first = f.readline(MAX_LINE_CHARS + 1)
    if first.startswith("\ufeff"):
        first = first[1:]
    if not first.strip():
        raise RatingsError([Problem(path, 1, None, "file is empty; expected a header row")])
    if len(first) > MAX_LINE_CHARS:
        msg = f"the header line is longer than {MAX_LINE_CHARS:,} characters (a ratings file?)"
        raise RatingsError([Problem(path, 1, None, msg)])
    if "\x00" in first:
        raise RatingsError(
            [
                Problem(
                    path,
                    1,
                    first.index("\x00") + 1,
                    "NUL character in the header (is it a "
                    "binary or UTF-16 file? save it as CSV UTF-8)",
                )
            ]
        )
    delim = sniff(first)
    header = next(csv.reader([first], delimiter=delim))
    check_width(header, path)
    reader = csv.reader(f, delimiter=delim)

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 1
        try:
            for cells in reader:
                yield line + 1, cells
                line = reader.line_num + 1
        except UnicodeDecodeError as e:
            raise RatingsError(
                [
                    Problem(
                        path,
                        line + 1,
                        None,
                        f"invalid UTF-8 ({e.reason}); save the file as UTF-8 (Excel: CSV UTF-8)",
                    )
                ]
            ) from None
        except csv.Error as e:
            raise RatingsError([Problem(path, line + 1, None, f"invalid CSV: {e}")]) from None

    return header, rows()


# -- chunks of interned columns -------------------------------------------------------------


class _Chunk:
    """Interned columns being filled row by row (compact arrays: 4 bytes a row a column)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.lookups: dict[str, dict[str | None, int]] = {n: {} for n in names}
        self.index: dict[str, array.array[int]] = {n: array.array("I") for n in self.lookups}
        self.lines = array.array("I")
        self.problems: list[Problem] = []

    def __len__(self) -> int:
        return len(self.lines)

    def add_column(self, name: str) -> None:
        """A column first met part-way (JSON Lines): blank for the rows before."""
        n = len(self.lines)
        self.lookups[name] = {None: 0} if n else {}
        self.index[name] = array.array("I", bytes(4 * n))

    def raw(self, names: Sequence[str]) -> RawBatch:
        import numpy as np

        n = len(self.lines)
        values: dict[str, Sequence[str | None]] = {}
        index: dict[str, NDArray[Any]] = {}
        for name in names:
            if name in self.lookups:
                values[name] = list(self.lookups[name])
                index[name] = np.frombuffer(self.index[name], dtype=np.uint32)
            else:  # not in the source: blank
                values[name] = [None] if n else []
                index[name] = np.zeros(n, dtype=np.uint32)
        lines = np.frombuffer(self.lines, dtype=np.uint32)
        return RawBatch(values, index, lines, self.problems)


def _blank(cells: Sequence[str | None]) -> bool:
    return not cells or (len(cells) == 1 and not (cells[0] or "").strip())


def _separators_only(cells: Sequence[str | None]) -> bool:
    """A row of empty fields only: what a spreadsheet leaves of a cleared row (``;;;;``)."""
    return len(cells) > 1 and not any((c or "").strip() for c in cells)


def trim_header(header: Sequence[str]) -> list[str]:
    """The header without its trailing unnamed columns (a ``;`` ending every line).

    >>> trim_header(["subject", "code", "", " "]), trim_header(["", "code"])
    (['subject', 'code'], ['', 'code'])
    """
    names = list(header)
    while len(names) > 1 and not names[-1].strip():
        names.pop()
    return names


def skipped_rows(path: str | None, count: int, first: int) -> Problem:
    """The one warning for every empty row a file had (they are skipped): rows of separators
    only, and a template's rows nobody filled in (a workbook's).

    >>> str(skipped_rows("r.csv", 3, 7))
    'r.csv:7: warning: 3 empty rows skipped (the first is here)'
    """
    what = "empty row" if count == 1 else "empty rows"
    return Problem(path, first, None, f"{count} {what} skipped (the first is here)", "", "warning")


def rows_engine(
    m: Map,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str | None]]],
    *,
    path: str | None,
    format: Literal["auto", "long", "wide"] = "auto",
    columns: bool = True,
    chunk_rows: int = 100_000,
    after: int = 0,
    emitted: bool = False,
    skip_empty: bool = True,
) -> Iterator[Chunk]:
    """Intern numbered rows of cells under ``header`` (long or wide form), ``chunk_rows``
    ratings a chunk. Rows on lines up to ``after`` are skipped (another engine gave them out,
    header problems included); at least one chunk comes out unless ``emitted``.

    Forgiving where spreadsheets leave traces: unnamed columns at the end of the header and
    empty fields past the header's width are dropped; with ``skip_empty``, rows of empty
    fields only (a cleared row), and a rating template's rows nobody filled in (a ``component
    title`` column, no code, note or evidence), are skipped and counted in one warning.

    >>> import icmaps
    >>> m = icmaps.load_map("learning-school")
    >>> header = ["subject", "rater", "occasion", "component", "code"]
    >>> rows = [(2, ["s", "r", "o", "al-teacher-routine", "2"]),
    ...         (4, ["s", " q ", "o", "al-teacher-routine", "9"])]
    >>> ((layout, raw),) = rows_engine(m, header, rows, path="r.csv")
    >>> raw.values["rater"], raw.values["code"], raw.index["code"].tolist(), raw.lines.tolist()
    (['r', 'q'], ['2', '9'], [0, 1], [2, 4])
    >>> layout.columns["code"]
    5
    """
    header = trim_header(header)
    fmt, pos, comps, header_problems = _header_map(header, m, format, path)
    attrs = tuple(n for n in pos if n not in BASE_COLUMNS)
    layout = Layout(
        path,
        attrs,
        {name: i + 1 for name, i in pos.items()} if columns else {},
        {comp: i + 1 for comp, i in comps.items()} if fmt == "wide" else {},
    )
    names = layout.names
    chunk = _Chunk([*pos, *(("component", "code") if fmt == "wide" else ())])
    if after == 0:
        chunk.problems.extend(header_problems)
    if _unusable(header_problems):
        if not emitted:
            yield layout, chunk.raw(names)
        return
    width = len(header)
    wide = [(comp, i) for comp, i in comps.items()] if fmt == "wide" else []
    empty_rows, first_empty = 0, 0
    # a rating template's rows carry the map's columns filled in (component, its title ...):
    # one nobody rated (no code, note or evidence) is an empty row, not a missing rating
    lowered = [h.strip().lower() for h in header]
    template = skip_empty and "component title" in lowered
    rated = [i for i, h in enumerate(lowered) if h in ("code", "note", "evidence")]

    def plan(c: _Chunk) -> list[tuple[int, dict[str | None, int], array.array[int]]]:
        return [(i, c.lookups[name], c.index[name]) for name, i in pos.items()]

    cols = plan(chunk)
    bad_rows = 0
    for line, row in rows:
        cells = row
        if line <= after or _blank(cells):
            continue
        if skip_empty and _separators_only(cells):
            empty_rows += 1
            first_empty = first_empty or line
            continue
        if len(cells) > width and not any((c or "").strip() for c in cells[width:]):
            cells = cells[:width]  # trailing empty fields (a ";" ending every line)
        if len(cells) != width:
            chunk.problems.append(
                Problem(
                    path, line, None, f"expected {width} fields as in the header, got {len(cells)}"
                )
            )
            bad_rows += 1
            if bad_rows >= MAX_PROBLEMS:  # junk, not ratings: stop here
                chunk.problems.append(stopped(path, line, m))
                break
            continue
        if template and not any((cells[i] or "").strip() for i in rated):
            empty_rows += 1
            first_empty = first_empty or line
            continue
        if not wide:
            for i, lookup, idx in cols:
                v = cells[i]
                v = (v.strip() or None) if v else None
                idx.append(lookup.setdefault(v, len(lookup)))
            chunk.lines.append(line)
            if len(chunk.lines) >= chunk_rows:
                yield layout, chunk.raw(names)
                emitted = True
                chunk = _Chunk(list(chunk.lookups))
                cols = plan(chunk)
            continue
        keyed = []
        for i, _, _ in cols:
            v = cells[i]
            keyed.append((v.strip() or None) if v else None)
        for comp, i in wide:
            for (_, lookup, idx), v in zip(cols, keyed, strict=True):
                idx.append(lookup.setdefault(v, len(lookup)))
            c = cells[i]
            c = (c.strip() or None) if c else None
            for name, v in (("component", comp), ("code", c)):
                lookup = chunk.lookups[name]
                chunk.index[name].append(lookup.setdefault(v, len(lookup)))
            chunk.lines.append(line)
            if len(chunk.lines) >= chunk_rows:
                yield layout, chunk.raw(names)
                emitted = True
                chunk = _Chunk(list(chunk.lookups))
                cols = plan(chunk)
    if empty_rows:
        chunk.problems.append(skipped_rows(path, empty_rows, first_empty))
    if len(chunk) or chunk.problems or not emitted:
        yield layout, chunk.raw(names)


def _json_cell(v: Any) -> str | None:
    # values are checked by _json_line: text, whole numbers (ids such as 1234) or null
    return None if v is None else v if isinstance(v, str) else str(v)


MAX_LINE_CHARS = 1_000_000
"""Longest JSON Lines line read (a rating with a 2,000-character note is about 2,500)."""
MAX_DIGITS = 18
"""Most digits of a number in a JSON Lines value (an id such as 1234, a code such as 2)."""


class _JsonValueError(ValueError):
    pass


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:  # before int(): no huge conversion at all
        raise _JsonValueError(f"number with more than {MAX_DIGITS} digits")
    return int(text)


def _json_float(text: str) -> float:
    raise _JsonValueError(
        f"number {text[:24]!r} is not a whole number; write codes and ids as text"
    )


def _json_constant(name: str) -> float:
    raise _JsonValueError(f"{name} is not valid JSON")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _JsonValueError(f"duplicate key {dup!r} in one record")
    return obj


def _json_line(n: int, text: str, path: str) -> dict[str, Any] | Problem | None:
    """One JSON Lines line: its object, the problem with it, or None for a blank line.
    Each value must be text, a whole number or null: a value of another type (true, 1.5, a
    list, an object) is a problem, never turned into text; so is a key given twice.

    >>> str(_json_line(3, '{"code": true}', "r.jsonl"))
    "r.jsonl:3:1: value of 'code' is a boolean; expected text, a whole number or null"
    """
    if not text.strip():
        return None
    if len(text) > MAX_LINE_CHARS:
        return Problem(path, n, 1, f"line is longer than {MAX_LINE_CHARS:,} characters")
    try:
        obj = json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as e:
        col = e.colno if e.lineno == 1 else len(text.rstrip("\r\n")) + 1  # at the line end
        return Problem(path, n, col, f"invalid JSON: {e.msg}")
    except _JsonValueError as e:
        return Problem(path, n, 1, f"invalid value: {e}")
    except RecursionError:
        return Problem(path, n, 1, "invalid JSON: nested too deeply")
    if not isinstance(obj, dict):
        return Problem(path, n, 1, "expected a JSON object per line")
    for k, v in obj.items():
        if (
            v is not None
            and not isinstance(v, str)
            and (isinstance(v, bool) or not isinstance(v, int))
        ):
            kind = {bool: "a boolean", list: "a list", dict: "an object"}.get(
                type(v), type(v).__name__
            )
            return Problem(
                path, n, 1, f"value of {k!r} is {kind}; expected text, a whole number or null"
            )
    return obj


def _bounded_lines(f: IO[str]) -> Iterator[str]:
    """The file's lines, each read no further than just past :data:`MAX_LINE_CHARS` (the rest
    of an over-long line is skipped, so one 1 GB line does not fill memory)."""
    while True:
        line = f.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while True:  # skip to the end of this line
                rest = f.readline(MAX_LINE_CHARS)
                if not rest or rest.endswith("\n"):
                    break
        yield line


def jsonl_engine(f: IO[str], m: Map, path: str, *, chunk_rows: int = 100_000) -> Iterator[Chunk]:
    r"""Intern JSON Lines records, ``chunk_rows`` a chunk.

    The keys seen so far are the header (matched as a CSV header is, in first-seen order);
    a key first met part-way adds a column, blank for the rows before. Until every required
    key has been seen, records are held back: a required key no record has is reported once
    (line 1), as a CSV header would be, with no rows read.

    >>> import icmaps
    >>> text = ('{"subject": "s", "rater": "r", "occasion": "o", '
    ...         '"component": "al-teacher-routine", "code": 2}\n' + '{"subject": \n')
    >>> m = icmaps.load_map("learning-school")
    >>> ((layout, raw),) = jsonl_engine(io.StringIO(text), m, "r.jsonl")
    >>> raw.values["code"], raw.lines.tolist(), [str(p) for p in raw.problems]
    (['2'], [1], ['r.jsonl:2:13: invalid JSON: Expecting value'])
    """
    keys: list[str] = []
    known: set[str] = set()  # the keys, for membership in constant time
    key_of: dict[str, str] = {}  # column name -> JSON key
    reported: set[tuple[int | None, str]] = set()
    pending: list[Problem] = []  # bad lines and header problems not yet given out
    held: list[tuple[int, dict[str, Any]]] = []
    chunk: _Chunk | None = None
    layout = Layout(path)
    emitted = False

    def remap() -> list[Problem]:
        nonlocal layout
        _, pos, _, problems = _header_map(keys, m, "long", path)
        key_of.clear()
        key_of.update({name: keys[i] for name, i in pos.items()})
        layout = Layout(path, tuple(n for n in pos if n not in BASE_COLUMNS))
        return problems

    def new_header_problems(problems: list[Problem]) -> None:
        for p in problems:
            if p.column is not None and (p.column, p.message) not in reported:
                reported.add((p.column, p.message))
                pending.append(p)

    def feed(c: _Chunk, line: int, obj: dict[str, Any]) -> None:
        for name, key in key_of.items():
            if name not in c.lookups:
                c.add_column(name)
            v = _json_cell(obj.get(key))
            v = (v.strip() or None) if v else None
            lookup = c.lookups[name]
            c.index[name].append(lookup.setdefault(v, len(lookup)))
        c.lines.append(line)

    bad_lines = 0
    for n, text in enumerate(_bounded_lines(f), 1):
        got = _json_line(n, text, path)
        if got is None:
            continue
        if isinstance(got, Problem):
            pending.append(got)
            bad_lines += 1
            if bad_lines >= MAX_PROBLEMS:  # junk, not ratings: stop here
                pending.append(stopped(path, n, m))
                break
            continue
        grew = False
        for k in got:
            if k not in known:
                if len(keys) >= MAX_COLUMNS:
                    raise RatingsError(
                        [
                            Problem(
                                path,
                                n,
                                None,
                                f"more than {MAX_COLUMNS:,} different keys; a ratings file has "
                                "a few columns (is this a ratings file?)",
                            )
                        ]
                    )
                keys.append(k)
                known.add(k)
                grew = True
        if grew:
            problems = remap()
            if chunk is None and not _unusable(problems):
                chunk = _Chunk(())
            if chunk is not None:
                new_header_problems(problems)
        if chunk is None:
            held.append((n, got))
            continue
        held.append((n, got))
        for line, obj in held:
            feed(chunk, line, obj)
            if len(chunk) >= chunk_rows:
                chunk.problems.extend(pending)
                pending.clear()
                yield layout, chunk.raw(layout.names)
                emitted = True
                chunk = _Chunk(())
        held.clear()
    if chunk is None:  # no usable header: report it (unless nothing parsed at all)
        if held or not pending:
            _, pos, _, problems = _header_map(keys, m, "long", path)
            pending.extend(problems)
            layout = Layout(path, tuple(name for name in pos if name not in BASE_COLUMNS))
        chunk = _Chunk(())
    chunk.problems.extend(pending)
    if len(chunk) or chunk.problems or not emitted:
        yield layout, chunk.raw(layout.names)


# -- the pyarrow engine ---------------------------------------------------------------------


class _Lines:
    """Raw lines of a file by number, read forward on demand (only for rows pyarrow gives with
    every field empty: a blank line, or a line of delimiters only)."""

    def __init__(self, path: Path) -> None:
        self.f = path.open("r", encoding="utf-8-sig", newline="", errors="replace")
        self.at = 0

    def close(self) -> None:
        self.f.close()

    def blank(self, numbers: Sequence[int]) -> list[bool]:
        """Whether each of these lines (ascending, past the last asked) holds nothing."""
        out = []
        for k in numbers:
            text = ""
            while self.at < k:
                text = self.f.readline()
                self.at += 1
            out.append(not text.strip("\r\n"))
        return out


def _after(sorted_marks: list[int], at: NDArray[Any]) -> NDArray[Any]:
    """The ``at``-th numbers (1-based) once ``sorted_marks`` are taken out: pyarrow's rows
    are the file's lines without the rows it skipped."""
    import numpy as np

    if not sorted_marks:
        return at
    shifted = np.asarray(sorted_marks, dtype=np.int64) - np.arange(len(sorted_marks))
    return at + np.searchsorted(shifted, at, side="right")


def arrow_engine(
    path: Path, m: Map, *, chunk_rows: int = 100_000
) -> Generator[Chunk, None, int | None]:
    """Intern a long CSV file with pyarrow. Returns None when the whole file was read, or the
    last line of the chunks given out (0: none) when the Python engine must read on from
    there (see the module docstring). Needs pyarrow (``tests/ratings`` and
    ``tests/test_readers.py`` run it against the Python engine on every test file)."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pacsv

    with path.open("rb") as fb:
        head = fb.readline(4 * MAX_LINE_CHARS)
    try:
        first = codecs.decode(head, "utf-8-sig")
    except UnicodeDecodeError:
        return 0
    body = first.rstrip("\r\n")
    if "\x00" in body or "\r" in body or not body.strip():
        return 0  # the Python engine reports it (or reads lone-CR line ends)
    delim = sniff(first)
    header = next(csv.reader([first], delimiter=delim), [])
    if len(first) > MAX_LINE_CHARS or len(header) > MAX_COLUMNS:
        return 0  # the Python engine reports it
    if len(trim_header(header)) != len(header) or any(is_helper_column(h) for h in header):
        return 0  # trailing unnamed columns, a template's rows: the Python engine reads them
    str_path = str(path)
    fmt, pos, _, problems = _header_map(header, m, "auto", str_path)
    if problems or fmt != "long" or not header:
        return 0
    width = len(header)
    attrs = tuple(n for n in pos if n not in BASE_COLUMNS)
    layout = Layout(str_path, attrs, {name: i + 1 for name, i in pos.items()})
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        if len(invalid) >= MAX_PROBLEMS:  # junk: stop pyarrow, the Python engine reads on
            return "error"
        invalid.append((-1 if row.number is None else int(row.number), str(row.text)))
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=[f"c{i}" for i in range(width)],
                skip_rows=1,
                block_size=1 << 20,  # pyarrow reads ahead: 1 MB blocks keep ~40 MB in flight
                use_threads=False,  # rows skipped as invalid get their line number
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                newlines_in_values=True,
                ignore_empty_lines=False,  # numbered as lines; told apart from ",,," below
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                # strings, encoded below: the parser's own dictionary conversion can leave a
                # thread that aborts the interpreter at exit ("terminate called without an
                # active exception", seen with pyarrow 26 under load)
                column_types={f"c{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return 0
    state = _ArrowState(pos, layout, chunk_rows, _Lines(path))
    try:
        for batch in reader:
            if not state.skipped(invalid, delim, width):
                return state.given
            nb = batch.num_rows
            if nb == 0:
                continue
            lines = _after(state.marks, np.arange(state.valid + 2, state.valid + 2 + nb))
            state.valid += nb
            off = 0
            while off < nb:
                take = min(chunk_rows - state.filled, nb - off)
                if not state.add(batch.slice(off, take), lines[off : off + take]):
                    return state.given  # a value spanning lines: lines are off from here
                off += take
                if state.filled >= chunk_rows:
                    yield state.out()
        if not state.skipped(invalid, delim, width):
            return state.given
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return state.given
    finally:
        state.raw_lines.close()
    if state.filled or state.waiting or state.given == 0:
        yield state.out(final=True)
    return None


def _numpy_indices(indices: Any) -> NDArray[Any]:
    """A pyarrow int32 array (no nulls) as a numpy view, without ``to_numpy``, which imports
    pandas (a quarter of a second and ~40 MB on first use)."""
    import numpy as np

    if not len(indices):
        return np.zeros(0, dtype=np.int32)
    return np.frombuffer(
        indices.buffers()[1], dtype=np.int32, count=len(indices), offset=4 * indices.offset
    )


class _ArrowState:
    """The chunk the pyarrow engine is filling, and its line bookkeeping."""

    def __init__(self, pos: dict[str, int], layout: Layout, chunk_rows: int, raw: _Lines) -> None:
        self.pos, self.layout, self.chunk_rows, self.raw_lines = pos, layout, chunk_rows, raw
        self.marks: list[int] = []  # line numbers of rows pyarrow skipped
        self.waiting: list[Problem] = []  # wrong field counts not given out yet
        self.seen_invalid = 0
        self.given = 0  # last line given out
        self.valid = 0  # rows pyarrow gave so far
        self._reset()

    def _reset(self) -> None:
        self.parts: dict[str, list[NDArray[Any]]] = {n: [] for n in self.pos}
        self.lines: list[NDArray[Any]] = []
        self.lookups: dict[str, dict[str | None, int]] = {n: {} for n in self.pos}
        self.filled = 0

    def skipped(self, invalid: list[tuple[int, str]], delim: str, width: int) -> bool:
        """Take in the rows pyarrow skipped since the last call (blank, or the wrong number of
        fields: a problem); False when the Python engine must read on instead."""
        while self.seen_invalid < len(invalid):
            line, text = invalid[self.seen_invalid]
            self.seen_invalid += 1
            if line < 0 or "\n" in text or "\r" in text:
                return False
            if self.marks and line < self.marks[-1]:
                bisect.insort(self.marks, line)
            else:  # in order, as pyarrow reads: no sort (a sort per row was quadratic)
                self.marks.append(line)
            if len(self.waiting) >= MAX_PROBLEMS:
                return False  # junk: the Python engine reads on, and stops soon
            cells = next(csv.reader([text], delimiter=delim), [])
            if _blank(cells):
                continue
            if _separators_only(cells) or (
                len(cells) > width and not any(c.strip() for c in cells[width:])
            ):
                return False  # skipped and counted, or trimmed, by the Python engine
            if len(cells) == width:
                return False  # the two parsers disagree: let Python read it
            msg = f"expected {width} fields as in the header, got {len(cells)}"
            self.waiting.append(Problem(self.layout.path, line, None, msg))
        return True

    def add(self, part: Any, lines: NDArray[Any]) -> bool:
        """Intern a slice of a pyarrow batch; False at a value spanning lines or a row of
        separators only."""
        import numpy as np

        encoded = []
        empty = None  # rows with every field empty: blank lines are no rows
        for i in range(part.num_columns):
            enc = part.column(i).dictionary_encode()
            raw_values = enc.dictionary.to_pylist()
            if any("\n" in v or "\r" in v for v in raw_values):
                return False
            indices = _numpy_indices(enc.indices)
            if empty is None or empty.any():
                at = raw_values.index("") if "" in raw_values else -1
                empty = indices == at if empty is None else empty & (indices == at)
            encoded.append((raw_values, indices))
        dropped = False
        if empty is not None and empty.any():
            rows = np.flatnonzero(empty)
            blank = np.asarray(self.raw_lines.blank(lines[rows].tolist()), dtype=bool)
            if not blank.all():
                return False  # a row of separators only: the Python engine counts them
            if blank.any():
                keep = np.ones(len(lines), dtype=bool)
                keep[rows[blank]] = False
                lines = lines[keep]
                encoded = [(vals, idx[keep]) for vals, idx in encoded]
                dropped = True
        for name, i in self.pos.items():
            raw_values, indices = encoded[i]
            lookup = self.lookups[name]
            remap = np.zeros(len(raw_values), dtype=np.uint32)
            used: Iterable[int] = range(len(raw_values))  # pyarrow's order: first seen
            if dropped:  # only the values rows still use, in their first-seen order
                uniq, first = np.unique(indices, return_index=True)
                used = uniq[np.argsort(first)].tolist()
            for j in used:
                remap[j] = lookup.setdefault(raw_values[j].strip() or None, len(lookup))
            self.parts[name].append(remap[indices])
        self.lines.append(lines.astype(np.uint32))
        self.filled += len(lines)
        return True

    def out(self, *, final: bool = False) -> Chunk:
        """The chunk filled so far, with the problems on its lines (all that wait, if final)."""
        import numpy as np

        n = self.filled
        values: dict[str, Sequence[str | None]] = {}
        index: dict[str, NDArray[Any]] = {}
        for name in self.layout.names:
            if name in self.pos:
                values[name] = list(self.lookups[name])
                parts = self.parts[name]
                index[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
            else:
                values[name] = [None] if n else []
                index[name] = np.zeros(n, dtype=np.uint32)
        lines = np.concatenate(self.lines) if self.lines else np.zeros(0, dtype=np.uint32)
        last = int(lines[-1]) if n else 0
        mine: list[Problem] = []
        rest: list[Problem] = []
        for p in self.waiting:
            (mine if final or (p.line or 0) <= last else rest).append(p)
        self.waiting = rest
        self.given = max(self.given, last)
        self._reset()
        return self.layout, RawBatch(values, index, lines, mine)


# -- Arrow tables: Parquet files and datasets, Arrow IPC, RatingSet.from_arrow ---------------

ARROW_SUFFIXES = (".arrow", ".arrows", ".feather", ".ipc")
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


def _arrow_strings(arr: Any) -> Any:
    """A non-dictionary Arrow column as strings: numbers written as a CSV would hold them
    (a float column of whole numbers, as pandas makes of codes with gaps, as integers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr
    if pa.types.is_floating(t):
        valid = pc.drop_null(arr)
        whole = pc.all(pc.equal(pc.floor(valid), valid)).as_py() if len(valid) else True
        if whole is not False:
            arr = pc.cast(arr, pa.int64())
    return pc.cast(arr, pa.string())


def _arrow_column(arr: Any) -> tuple[list[str | None], NDArray[Any]]:
    """A column's distinct raw values and per-row index (nulls get an extra last value,
    ``None``): a dictionary array as it is (never decoded), anything else encoded first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = _arrow_strings(arr).dictionary_encode()
    dictionary = arr.dictionary
    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        dictionary = _arrow_strings(dictionary)
    values: list[str | None] = dictionary.to_pylist()
    indices = arr.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(values))
        values.append(None)
    indices = pc.cast(indices, pa.int32())
    return values, _numpy_indices(indices)


def arrow_engine_batches(
    batches: Iterable[Any],
    names: Sequence[str],
    m: Map,
    path: str,
    *,
    chunk_rows: int = 100_000,
) -> Iterator[Chunk]:
    """Intern Arrow record batches (columns ``names``) ``chunk_rows`` ratings a chunk.

    Dictionary-encoded columns (pandas categoricals, Parquet read with ``read_dictionary``)
    go onto the interned columns through their dictionary, no value is decoded per row;
    other columns are encoded per batch by pyarrow. A rating's ``line`` is its row number
    in the table (1-based); problems with the column names (the schema) carry no line.
    Wide tables are read row by row through :func:`rows_engine`.
    """
    import numpy as np

    header = [str(n) for n in names]
    fmt, pos, _, found = _header_map(header, m, "auto", path)
    header_problems = [dataclasses.replace(p, line=None) for p in found]
    if fmt == "wide" or _unusable(found):
        rows = _arrow_rows(batches, header) if not _unusable(found) else iter(())
        for layout, raw in rows_engine(m, header, rows, path=path, chunk_rows=chunk_rows):
            raw.problems = [
                dataclasses.replace(p, line=None) if p in found else p for p in raw.problems
            ]
            yield layout, raw
        return
    attrs = tuple(n for n in pos if n not in BASE_COLUMNS)
    layout = Layout(path, attrs, {name: i + 1 for name, i in pos.items()})
    lookups: dict[str, dict[str | None, int]] = {n: {} for n in pos}
    parts: dict[str, list[NDArray[Any]]] = {n: [] for n in pos}
    line_parts: list[NDArray[Any]] = []
    filled = 0
    row = 0
    emitted = False

    def out() -> Chunk:
        nonlocal lookups, parts, line_parts, filled
        values: dict[str, Sequence[str | None]] = {}
        index: dict[str, NDArray[Any]] = {}
        for name in layout.names:
            if name in pos:
                values[name] = list(lookups[name])
                index[name] = _joined(parts[name])
            else:
                values[name] = [None] if filled else []
                index[name] = np.zeros(filled, dtype=np.uint32)
        lines = _joined(line_parts)
        problems = list(header_problems) if not emitted else []
        lookups = {n: {} for n in pos}
        parts = {n: [] for n in pos}
        line_parts, filled = [], 0
        return layout, RawBatch(values, index, lines, problems)

    for batch in batches:
        off = 0
        n = batch.num_rows
        while off < n:
            take = min(chunk_rows - filled, n - off)
            part = batch.slice(off, take)
            numbers: NDArray[Any] | None = None  # rows 0 .. take-1, made when needed
            for name, i in pos.items():
                raw_values, idx = _arrow_column(part.column(i))
                lookup = lookups[name]
                # only the values this slice uses, in their first-seen order (a dictionary
                # may hold values no row of the slice uses); first rows by a scatter-min,
                # linear where np.unique would sort every row
                first = np.full(len(raw_values), take, dtype=np.int64)
                # a value is first seen where the column changes: where those are few (a
                # sorted or grouped column), only they are looked at
                changed = idx[1:] != idx[:-1]
                if np.count_nonzero(changed) < take // 4:
                    at = np.concatenate([[0], np.flatnonzero(changed) + 1])
                    np.minimum.at(first, idx[at], at)
                else:
                    if numbers is None:
                        numbers = np.arange(take, dtype=np.int64)
                    np.minimum.at(first, idx, numbers)
                if not lookup and len(first) and bool(np.all(np.diff(first) > 0)):
                    # every value used, in dictionary order (as pyarrow writes dictionaries):
                    # the indices are ours as they are, unless two values trim to one
                    mine = {_trimmed(v): j for j, v in enumerate(raw_values)}
                    if len(mine) == len(raw_values) and first[-1] < take:
                        lookups[name] = mine
                        parts[name].append(idx.view(np.uint32))
                        continue
                used = np.flatnonzero(first < take)
                remap = np.zeros(max(len(raw_values), 1), dtype=np.uint32)
                for j in used[np.argsort(first[used], kind="stable")].tolist():
                    v = raw_values[j]
                    remap[j] = lookup.setdefault(_trimmed(v), len(lookup))
                parts[name].append(remap[idx])
            line_parts.append(np.arange(row + off + 1, row + off + take + 1, dtype=np.uint32))
            filled += take
            off += take
            if filled >= chunk_rows:
                yield out()
                emitted = True
        row += n
    if filled or not emitted:
        yield out()


def _trimmed(value: str | None) -> str | None:
    """A cell's value as ratings hold it: trimmed, blank as None."""
    return (value.strip() or None) if value else None


def _joined(parts: Sequence[NDArray[Any]]) -> NDArray[Any]:
    """Parts of a column as one array (a lone part as it is: no copy)."""
    import numpy as np

    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)


def _arrow_rows(batches: Iterable[Any], header: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """Rows of cells (strings, blank for null) numbered from 1, for wide tables."""
    row = 0
    for batch in batches:
        cols = [_arrow_strings(batch.column(i)).to_pylist() for i in range(len(header))]
        for cells in zip(*cols, strict=True):
            row += 1
            yield row, ["" if c is None else c for c in cells]


def _string_columns(schema: Any) -> list[str]:
    import pyarrow as pa

    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]


def parquet_engine(path: Path, m: Map, *, chunk_rows: int = 100_000) -> Iterator[Chunk]:
    """Intern a Parquet file, or every Parquet file of a dataset folder (in path order,
    hive partition folders such as ``district=north/`` as columns), batch by batch. String
    columns are read as dictionaries (as Parquet stores them): never decoded per row."""
    import pyarrow.parquet as pq

    if path.is_dir():
        import pyarrow.dataset as ds  # (it imports pandas: only for a folder)

        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)
        if not fragments:
            raise RatingsError([Problem(str(path), None, None, "no Parquet files in the folder")])
        check_width(dataset.schema.names, str(path))
        for frag in fragments:
            names = dataset.schema.names
            batches = frag.to_batches(schema=dataset.schema, batch_size=chunk_rows)
            yield from arrow_engine_batches(batches, names, m, frag.path, chunk_rows=chunk_rows)
        return
    try:
        schema = pq.read_schema(path)
        f = pq.ParquetFile(path, read_dictionary=_string_columns(schema))
    except Exception as e:  # pyarrow raises several kinds for a file that is not Parquet
        raise RatingsError([Problem(str(path), None, None, f"not a Parquet file ({e})")]) from None
    check_width(f.schema_arrow.names, str(path))
    with f:
        batches = f.iter_batches(batch_size=chunk_rows)
        yield from arrow_engine_batches(
            batches, f.schema_arrow.names, m, str(path), chunk_rows=chunk_rows
        )


def ipc_engine(path: Path, m: Map, *, chunk_rows: int = 100_000) -> Iterator[Chunk]:
    """Intern an Arrow IPC file (Feather v2) or stream, batch by batch (memory-mapped)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        try:
            reader: Any = pa.ipc.open_file(source)
            batches: Iterable[Any] = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:
            source.seek(0)
            try:
                reader = pa.ipc.open_stream(source)
            except pa.ArrowInvalid as e:
                raise RatingsError(
                    [Problem(str(path), None, None, f"not an Arrow IPC file or stream ({e})")]
                ) from None
            batches = reader
        check_width(reader.schema.names, str(path))
        yield from arrow_engine_batches(
            batches, reader.schema.names, m, str(path), chunk_rows=chunk_rows
        )
