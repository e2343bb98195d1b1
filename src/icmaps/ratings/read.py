"""Reading ratings: CSV (long and wide), JSON Lines, Excel workbooks (``.xlsx``, long or
wide: :mod:`icmaps.ratings.workbook`); in one go or streamed in batches.

Every source goes through an engine (:mod:`icmaps.ratings.engines`: pure Python, or pyarrow
for long CSV files when it is installed, ``pip install 'icmaps[fast]'``) into interned
columns, and every batch through the one checker (:func:`icmaps.ratings.checker.check`), so
both engines give identical ratings and identical problems. :func:`iter_ratings` streams a
file in batches of at most ``chunk_rows`` ratings; :func:`read_ratings` collects the batches,
concatenates them and looks for repeated keys across the whole file.
"""

from __future__ import annotations

import array
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

from icmaps._optional import has, require
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import (
    Checked,
    Format,
    SeenKeys,
    check,
    check_consistency,
    check_duplicates,
    check_texts,
)
from icmaps.ratings.engines import (
    MAX_PROBLEMS,
    Chunk,
    arrow_engine,
    check_source,
    csv_rows,
    jsonl_engine,
    open_text,
    rows_engine,
    stopped,
    utf8_problem,
)
from icmaps.ratings.ratingset import RatingSet, ReadResult, _concat
from icmaps.ratings.workbook import is_workbook, workbook_rows

__all__ = ["RatingBatch", "example_ratings", "iter_ratings", "read_ratings"]


Errors = Literal["raise", "collect"]


Engine = Literal["auto", "python", "pyarrow"]


Duplicates = Literal["check", "ignore"]


Source = str | os.PathLike[str] | IO[str] | IO[bytes]


READ_CHUNK = 1 << 17
"""Ratings per batch when :func:`read_ratings` collects a whole file."""


def example_ratings(map_id: str) -> str:
    """Path of a bundled example ratings file (``learning-school``, ``spl-2022``, and the
    calibration session ``learning-school-calibration``, rated on ``learning-school``).

    >>> example_ratings("learning-school").endswith("learning-school.csv")
    True
    """
    from icmaps._resources import maps_dir

    f = maps_dir().joinpath("examples").joinpath(f"{map_id}.csv")
    if not f.is_file():
        from icmaps.errors import NotFoundError

        raise NotFoundError(f"no bundled example ratings for {map_id!r}")
    return str(f)


@dataclass(frozen=True)
class RatingBatch:
    """One batch of a stream of ratings (:func:`iter_ratings`).

    ``ratings`` are the batch's good ratings (a :class:`RatingSet`, its categories its own);
    ``lines`` is the source line of each of them (a compact unsigned array, in order; JSON
    Lines: the line; records: the record number); ``problems`` are those found in the rows
    the batch read (sorted by place): bad values, wrong field counts, invalid JSON lines,
    header problems (in the first batch) and repeated keys.

    >>> import icmaps
    >>> b = next(iter_ratings(example_ratings("learning-school"), "learning-school"))
    >>> b.ok, b.lines[0], len(b.lines) == len(b.ratings)
    (True, 2, True)
    """

    ratings: RatingSet
    lines: array.array[int]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)

    def __len__(self) -> int:
        return len(self.ratings)


def _options(source: Source, map: Map | str, format: Format, engine: Engine) -> tuple[Map, Format]:
    from icmaps.maps.codec import load_map

    m = map if isinstance(map, Map) else load_map(map)
    if format not in ("auto", "long", "wide", "jsonl"):
        raise UsageError(f"format must be 'auto', 'long', 'wide' or 'jsonl', not {format!r}")
    if engine not in ("auto", "python", "pyarrow"):
        raise UsageError(f"engine must be 'auto', 'python' or 'pyarrow', not {engine!r}")
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else ""
    if name.lower().endswith((".xls", ".ods", ".numbers")):
        raise UsageError(
            f"{name}: this spreadsheet format is not read; save it as an Excel workbook "
            "(.xlsx) or as CSV UTF-8"
        )
    if format == "auto" and name.lower().endswith((".jsonl", ".ndjson")):
        format = "jsonl"
    if engine == "pyarrow" and not (has("numpy") and has("pyarrow")):
        require("pyarrow", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
        require("numpy", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
    check_source(source)
    return m, format


def _chunks(
    source: Source,
    m: Map,
    *,
    format: Format,
    engine: Engine,
    chunk_rows: int,
    sheet: list[str] | None = None,
) -> Iterator[Chunk]:
    """Interned chunks from the engine that fits (pyarrow for long CSV files when it is
    installed, Python for the rest or the rest of a file pyarrow handed back; a workbook's
    rows through the Python engine, its sheet's name added to ``sheet``)."""
    if is_workbook(source):
        assert isinstance(source, (str, os.PathLike))
        if format == "jsonl":
            raise UsageError(f"{os.fspath(source)}: a workbook is read long or wide, not jsonl")
        name, header, cells = workbook_rows(source)
        if sheet is not None:
            sheet.append(name)
        try:
            yield from rows_engine(
                m, header, cells, path=os.fspath(source), format=format, chunk_rows=chunk_rows
            )
        finally:
            cells.close()
        return
    after = 0
    fits = engine != "python" and format in ("auto", "long")
    if fits and isinstance(source, (str, os.PathLike)) and has("pyarrow"):
        handed_back = yield from arrow_engine(Path(source), m, chunk_rows=chunk_rows)
        if handed_back is None:
            return
        after = handed_back
    f, path, close = open_text(source)
    try:
        if format == "jsonl":
            yield from jsonl_engine(f, m, path, chunk_rows=chunk_rows)
        else:
            header, rows = csv_rows(f, path)
            yield from rows_engine(
                m,
                header,
                rows,
                path=path,
                format=format,
                chunk_rows=chunk_rows,
                after=after,
                emitted=after > 0,
            )
    except UnicodeDecodeError as e:
        raise RatingsError([utf8_problem(source, path, e)]) from None
    finally:
        if close:
            f.close()


def _checked(
    source: Source,
    m: Map,
    *,
    format: Format,
    engine: Engine,
    chunk_rows: int,
    sheet: list[str] | None = None,
) -> Iterator[Checked]:
    for layout, raw in _chunks(
        source, m, format=format, engine=engine, chunk_rows=chunk_rows, sheet=sheet
    ):
        yield check(m, layout, raw)


def _in_sheet(problems: tuple[Problem, ...], sheet: list[str]) -> tuple[Problem, ...]:
    """Problems of a workbook placed in its sheet (``file:Sheet!C5``): line numbers are the
    sheet's row numbers, columns its columns."""
    if not sheet:
        return problems
    return tuple(dataclasses.replace(p, sheet=sheet[0]) for p in problems)


def _ratings(checked: Checked) -> RatingSet:
    return RatingSet(checked.map, checked.columns, checked.levels, checked.attrs)


def _keep_rows(
    ratings: RatingSet, lines: array.array[int], keep: Any
) -> tuple[RatingSet, array.array[int]]:
    """The ratings (and their source lines) at the row positions ``keep`` (None: all)."""
    if keep is None:
        return ratings, lines
    rows = keep.tolist()
    return ratings._take(rows), array.array("I", [lines[i] for i in rows])


def iter_ratings(
    source: Source,
    map: Map | str,
    *,
    chunk_rows: int = 100_000,
    format: Format = "auto",
    engine: Engine = "auto",
    duplicates: Duplicates = "check",
) -> Iterator[RatingBatch]:
    """Stream ratings from CSV (long or wide), JSON Lines or an Excel workbook in checked
    batches.

    Each :class:`RatingBatch` holds at most ``chunk_rows`` good ratings, the source line of
    each and the problems found in its rows; nothing is raised for bad rows (look at
    ``batch.problems`` or ``batch.ok``), only for a source that cannot be read at all (an
    empty or non-UTF-8 file, invalid CSV: :class:`~icmaps.errors.RatingsError`). A source with
    no ratings gives one empty batch. Memory stays at a few batches whatever the file size,
    plus, with ``duplicates="check"`` (default), about 17 bytes per distinct subject x rater x
    occasion x component key seen so far: repeats of a key from an earlier batch are dropped
    (same code: a warning; another code: an error). Unlike :func:`read_ratings`, a conflict
    across batches cannot take back the rating already handed out. ``duplicates="ignore"``
    keeps nothing and looks for no repeats (trusted data).

    Added up (``RatingSet.__add__``), the batches' ratings equal what :func:`read_ratings`
    gives for a file without repeated keys, whatever ``chunk_rows``.

    >>> import icmaps
    >>> path = example_ratings("learning-school")
    >>> batches = list(iter_ratings(path, "learning-school", chunk_rows=200))
    >>> [len(b) for b in batches]
    [200, 200, 160]
    >>> batches[1].lines[0]
    202
    """
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise UsageError(f"chunk_rows must be a positive integer, not {chunk_rows!r}")
    if duplicates not in ("check", "ignore"):
        raise UsageError(f"duplicates must be 'check' or 'ignore', not {duplicates!r}")
    m, format = _options(source, map, format, engine)
    return _stream(source, m, format=format, engine=engine, chunk_rows=chunk_rows, dup=duplicates)


def _stream(
    source: Source, m: Map, *, format: Format, engine: Engine, chunk_rows: int, dup: Duplicates
) -> Iterator[RatingBatch]:
    import numpy as np

    seen = SeenKeys() if dup == "check" else None
    sheet: list[str] = []
    for checked in _checked(
        source, m, format=format, engine=engine, chunk_rows=chunk_rows, sheet=sheet
    ):
        ratings = _ratings(checked)
        lines = checked.lines
        problems = checked.problems
        if seen is not None and len(lines):
            keep, found = seen.check(
                checked.columns, np.frombuffer(lines, dtype=np.uint32), checked.path
            )
            if keep is not None:
                ratings = ratings._take(keep.tolist())
                lines = array.array("I", np.frombuffer(lines, dtype=np.uint32)[keep].tobytes())
            if found:
                problems = tuple(sorted((*problems, *found), key=Problem.sort_key))
        yield RatingBatch(ratings, lines, _in_sheet(problems, sheet))


@overload
def read_ratings(
    source: Source,
    map: Map | str,
    *,
    format: Format = ...,
    errors: Literal["raise"] = ...,
    engine: Engine = ...,
) -> RatingSet: ...


@overload
def read_ratings(
    source: Source,
    map: Map | str,
    *,
    format: Format = ...,
    errors: Literal["collect"],
    engine: Engine = ...,
) -> ReadResult: ...


def read_ratings(
    source: Source,
    map: Map | str,
    *,
    format: Format = "auto",
    errors: Errors = "raise",
    engine: Engine = "auto",
) -> RatingSet | ReadResult:
    """Read ratings from CSV (long or wide), JSON Lines or an Excel workbook (``.xlsx``, long
    or wide; needs openpyxl) and check them against a map.

    CSV may be UTF-8 or UTF-8 with BOM (Excel), any of ``, ; TAB |`` as delimiter (sniffed
    from the header), CRLF or LF. Header names match case-insensitively. With
    ``errors="raise"`` (default) one :class:`~icmaps.errors.RatingsError` carries every
    problem; with ``errors="collect"`` a :class:`ReadResult` holds the good ratings and the
    problems. Built on the batches of :func:`iter_ratings`: they are concatenated, then
    repeated keys are looked for across the whole file (different codes: an error, and every
    rating of the key is dropped; the same code: a warning, kept once).

    >>> import icmaps
    >>> rs = read_ratings(example_ratings("learning-school"), "learning-school")
    >>> len(rs) > 0, rs.map.id
    (True, 'learning-school')
    """
    if errors not in ("raise", "collect"):
        raise UsageError(f"errors must be 'raise' or 'collect', not {errors!r}")
    m, format = _options(source, map, format, engine)
    parts: list[RatingSet] = []
    lines = array.array("I")
    problems: list[Problem] = []
    path: str | None = None
    sheet: list[str] = []
    for checked in _checked(
        source, m, format=format, engine=engine, chunk_rows=READ_CHUNK, sheet=sheet
    ):
        parts.append(_ratings(checked))
        lines.extend(checked.lines)
        problems.extend(checked.problems)
        path = checked.path
        if len(problems) > MAX_PROBLEMS:  # junk, not ratings: stop reading
            if not problems[-1].message.startswith("stopped reading"):
                problems.append(stopped(path, problems[-1].line, m))
            break
    ratings = parts[0] if len(parts) == 1 else _concat(parts, first_seen=True)
    del parts
    keep, repeated = check_duplicates(ratings._cols, lines, path)
    ratings, lines = _keep_rows(ratings, lines, keep)
    problems.extend(repeated)
    # note / evidence texts past the bound: errors, those ratings left out
    keep, too_long = check_texts(ratings, lines, path)
    ratings, lines = _keep_rows(ratings, lines, keep)
    problems.extend(too_long)
    # empty cells rated, a subject's attribute that differs between rows: warnings
    problems.extend(check_consistency(ratings, lines, path))
    result = ReadResult(ratings, _in_sheet(tuple(sorted(problems, key=Problem.sort_key)), sheet))
    if errors == "collect":
        return result
    if not result.ok:
        raise RatingsError(result.problems)
    return result.ratings
