"""Reading ratings: CSV (long and wide), JSON Lines, Excel workbooks (``.xlsx``, long or
wide: :mod:`icmaps.ratings.workbook`), Parquet and Arrow IPC; one file, several or a glob; in
one go or streamed in batches.

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

from icmaps._optional import has, require
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import (
    Checked,
    check,
    check_consistency,
    check_duplicates,
    check_texts,
)
from icmaps.ratings.columns import as_array
from icmaps.ratings.engines import (
    ARROW_SUFFIXES,
    MAX_PROBLEMS,
    PARQUET_SUFFIXES,
    Chunk,
    arrow_engine,
    check_source,
    csv_rows,
    ipc_engine,
    jsonl_engine,
    open_text,
    parquet_engine,
    rows_engine,
    stopped,
    utf8_problem,
)
from icmaps.ratings.ratingset import RatingSet, ReadResult, _concat
from icmaps.ratings.seen import SeenKeys
from icmaps.ratings.workbook import is_workbook, workbook_rows

__all__ = [
    "RatingBatch",
    "checked_batches",
    "example_ratings",
    "iter_ratings",
    "ratings_sources",
    "read_ratings",
]


Errors = Literal["raise", "collect"]


Engine = Literal["auto", "python", "pyarrow"]


Duplicates = Literal["check", "ignore"]


Source = str | os.PathLike[str] | IO[str] | IO[bytes]


Sources = Source | Sequence[str | os.PathLike[str]]
"""One source, or several files (a list, or a glob such as ``"ratings/*.parquet"``)."""


ReadFormat = Literal["auto", "long", "wide", "jsonl", "parquet", "arrow"]


READ_CHUNK = 1 << 17
"""Ratings per batch when :func:`read_ratings` collects a whole file."""


def example_ratings(map_id: str) -> str:
    """Path of a bundled example ratings file (``learning-school``, ``spl-2022``).

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
    Lines: the line; Parquet and Arrow: the row number; records: the record number);
    ``problems`` are those found in the rows the batch read (sorted by place): bad values,
    wrong field counts, invalid JSON lines, header problems (in the first batch) and
    repeated keys; ``path`` is the file the batch came from.

    >>> import icmaps
    >>> b = next(iter_ratings(example_ratings("learning-school"), "learning-school"))
    >>> b.ok, b.lines[0], len(b.lines) == len(b.ratings)
    (True, 2, True)
    """

    ratings: RatingSet
    lines: array.array[int]
    problems: tuple[Problem, ...] = ()
    path: str | None = None  # the file the batch came from

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)

    def __len__(self) -> int:
        return len(self.ratings)


def ratings_sources(source: Sources) -> list[Source]:
    """The sources ``source`` names: itself, each of a list, or the files a glob matches
    (sorted; a glob that matches nothing is a :class:`~icmaps.errors.UsageError`, never an
    empty read). A path that exists is never taken for a glob.

    >>> import icmaps
    >>> ratings_sources(icmaps.example_ratings("learning-school"))[0].endswith(".csv")
    True
    >>> ratings_sources("no/such/*.csv")
    Traceback (most recent call last):
    ...
    icmaps.errors.UsageError: no/such/*.csv: no file matches
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if not os.path.exists(name) and any(c in name for c in "*?["):
            import glob

            found = sorted(glob.glob(name, recursive=True))
            if not found:
                raise UsageError(f"{name}: no file matches")
            return list(found)
        return [source]
    if isinstance(source, Sequence):
        out: list[Source] = []
        for one in source:
            out.extend(ratings_sources(one))
        if not out:
            raise UsageError("no ratings sources given")
        return out
    return [source]  # a stream


def _format_of(source: Source, format: ReadFormat) -> ReadFormat:
    name = os.fspath(source).lower() if isinstance(source, (str, os.PathLike)) else ""
    if format != "auto":
        return format
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES) or (name and _parquet_folder(Path(name))):
        return "parquet"
    if name.endswith(ARROW_SUFFIXES):
        return "arrow"
    return format


def _parquet_folder(p: Path) -> bool:
    """Whether ``p`` is a folder holding Parquet files (a dataset), at any depth."""
    try:
        return p.is_dir() and any(
            f.suffix.lower() in PARQUET_SUFFIXES for f in p.rglob("*") if f.is_file()
        )
    except OSError:  # a name the system refuses (too long): check_source says so
        return False


def _options(
    sources: list[Source], map: Map | str, format: ReadFormat, engine: Engine
) -> tuple[Map, list[ReadFormat]]:
    from icmaps.maps.codec import load_map

    m = map if isinstance(map, Map) else load_map(map)
    if format not in ("auto", "long", "wide", "jsonl", "parquet", "arrow"):
        raise UsageError(
            f"format must be 'auto', 'long', 'wide', 'jsonl', 'parquet' or 'arrow', not {format!r}"
        )
    if engine not in ("auto", "python", "pyarrow"):
        raise UsageError(f"engine must be 'auto', 'python' or 'pyarrow', not {engine!r}")
    if engine == "pyarrow" and not (has("numpy") and has("pyarrow")):
        require("pyarrow", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
        require("numpy", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
    formats = []
    for source in sources:
        name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else ""
        if name.lower().endswith((".xls", ".ods", ".numbers")):
            raise UsageError(
                f"{name}: this spreadsheet format is not read; save it as an Excel workbook "
                "(.xlsx) or as CSV UTF-8"
            )
        fmt = _format_of(source, format)
        if fmt in ("parquet", "arrow"):
            what = "Parquet" if fmt == "parquet" else "Arrow IPC"
            require("pyarrow", f"reading {what} needs pyarrow", extra="fast")
            if not isinstance(source, (str, os.PathLike)):
                raise UsageError(f"{what} is read from a file path, not a stream")
            if not Path(source).exists():
                raise UsageError(f"{os.fspath(source)}: no such file")
        else:
            check_source(source)
        formats.append(fmt)
    return m, formats


def _chunks(
    source: Source,
    m: Map,
    *,
    format: ReadFormat,
    engine: Engine,
    chunk_rows: int,
    sheets: dict[str, str] | None = None,
) -> Iterator[Chunk]:
    """Interned chunks from the engine that fits (pyarrow for long CSV files when it is
    installed, Parquet and Arrow IPC; Python for the rest or the rest of a file pyarrow
    handed back; a workbook's rows through the Python engine, its sheet's name recorded in
    ``sheets`` under the file's name)."""
    if is_workbook(source):
        assert isinstance(source, (str, os.PathLike))
        if format == "jsonl":
            raise UsageError(f"{os.fspath(source)}: a workbook is read long or wide, not jsonl")
        name, header, cells = workbook_rows(source)
        if sheets is not None:
            sheets[os.fspath(source)] = name
        try:
            yield from rows_engine(
                m,
                header,
                cells,
                path=os.fspath(source),
                format=format,  # type: ignore[arg-type]
                chunk_rows=chunk_rows,
            )
        finally:
            cells.close()
        return
    if format in ("parquet", "arrow"):
        read_file = parquet_engine if format == "parquet" else ipc_engine
        name = os.fspath(source)  # type: ignore[arg-type]
        try:
            yield from read_file(Path(name), m, chunk_rows=chunk_rows)
        except RatingsError:
            raise
        except Exception as e:  # pyarrow's own errors: a damaged file, a column of lists ...
            what = "Parquet" if format == "parquet" else "Arrow IPC"
            text = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            msg = f"cannot read this {what} file: {text} (text and whole-number columns only)"
            raise RatingsError([Problem(name, None, None, msg)]) from None
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
                format=format,  # type: ignore[arg-type]  # (Parquet and Arrow returned above)
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
    sources: list[Source],
    formats: list[ReadFormat],
    m: Map,
    *,
    engine: Engine,
    chunk_rows: int,
    sheets: dict[str, str] | None = None,
) -> Iterator[Checked]:
    for source, format in zip(sources, formats, strict=True):
        for layout, raw in _chunks(
            source, m, format=format, engine=engine, chunk_rows=chunk_rows, sheets=sheets
        ):
            yield check(m, layout, raw)


def _in_sheet(problems: Sequence[Problem], sheets: dict[str, str]) -> tuple[Problem, ...]:
    """Problems of a workbook placed in its sheet (``file:Sheet!C5``): line numbers are the
    sheet's row numbers, columns its columns."""
    if not sheets:
        return tuple(problems)
    return tuple(
        dataclasses.replace(p, sheet=sheets[p.path]) if p.path in sheets else p for p in problems
    )


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
    source: Sources,
    map: Map | str,
    *,
    chunk_rows: int = 100_000,
    format: ReadFormat = "auto",
    engine: Engine = "auto",
    duplicates: Duplicates = "check",
) -> Iterator[RatingBatch]:
    """Stream ratings from CSV (long or wide), JSON Lines, Parquet (a file, or a folder of
    them: a dataset) or Arrow IPC in checked batches; from one source, a list of files or a
    glob (``"ratings/*.parquet"``), one file after the other.

    Each :class:`RatingBatch` holds at most ``chunk_rows`` good ratings, the source line of
    each (Parquet and Arrow: the row number, 1-based), its file and the problems found in its
    rows; nothing is raised for bad rows (look at ``batch.problems`` or ``batch.ok``), only
    for a source that cannot be read at all (an empty or non-UTF-8 file, invalid CSV:
    :class:`~icmaps.errors.RatingsError`). A source with no ratings gives one empty batch.
    Memory stays at a few batches whatever the file size, plus, with ``duplicates="check"``
    (default), about 8 bytes per distinct subject x rater x occasion x component key seen
    so far (in any file): repeats of a key from an earlier batch are dropped (same code: a
    warning; another code: an error). Unlike :func:`read_ratings`, a conflict across batches
    cannot take back the rating already handed out. ``duplicates="ignore"`` keeps nothing
    and looks for no repeats (trusted data: then memory is the batches alone).

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
    sources = ratings_sources(source)
    m, formats = _options(sources, map, format, engine)
    return _stream(sources, formats, m, engine=engine, chunk_rows=chunk_rows, dup=duplicates)


def _stream(
    sources: list[Source],
    formats: list[ReadFormat],
    m: Map,
    *,
    engine: Engine,
    chunk_rows: int,
    dup: Duplicates,
) -> Iterator[RatingBatch]:
    sheets: dict[str, str] = {}
    checked = _checked(sources, formats, m, engine=engine, chunk_rows=chunk_rows, sheets=sheets)
    return checked_batches(checked, dup, sheets)


def checked_batches(
    checked: Iterable[Checked], dup: Duplicates = "check", sheets: dict[str, str] | None = None
) -> Iterator[RatingBatch]:
    """Batches of checked chunks, with repeats across them dropped (``dup="check"``) as
    :func:`iter_ratings` drops them (for engines other than the file readers: Dask
    partitions, Arrow tables). ``sheets`` places a workbook's problems in its sheet."""
    import numpy as np

    seen = SeenKeys() if dup == "check" else None
    shown = 0  # problems given out so far: a stream stops at MAX_PROBLEMS as a read does
    for one in checked:
        ratings = _ratings(one)
        lines = one.lines
        problems = one.problems
        if seen is not None and len(lines):
            keep, found = seen.check(one.columns, np.frombuffer(lines, dtype=np.uint32), one.path)
            if keep is not None:
                ratings = ratings._take(keep.tolist())
                lines = as_array("I", np.frombuffer(lines, dtype=np.uint32)[keep])
            if found:
                problems = tuple(sorted((*problems, *found), key=Problem.sort_key))
        if shown + len(problems) > MAX_PROBLEMS:  # junk, not ratings: stop the stream
            keep_n = MAX_PROBLEMS - shown
            at = problems[keep_n - 1].line if keep_n > 0 else None
            problems = (*problems[: max(keep_n, 0)], stopped(one.path, at, one.map))
            yield RatingBatch(ratings, lines, _in_sheet(problems, sheets or {}), one.path)
            return
        shown += len(problems)
        yield RatingBatch(ratings, lines, _in_sheet(problems, sheets or {}), one.path)


@overload
def read_ratings(
    source: Sources,
    map: Map | str,
    *,
    format: ReadFormat = ...,
    errors: Literal["raise"] = ...,
    engine: Engine = ...,
) -> RatingSet: ...


@overload
def read_ratings(
    source: Sources,
    map: Map | str,
    *,
    format: ReadFormat = ...,
    errors: Literal["collect"],
    engine: Engine = ...,
) -> ReadResult: ...


def read_ratings(
    source: Sources,
    map: Map | str,
    *,
    format: ReadFormat = "auto",
    errors: Errors = "raise",
    engine: Engine = "auto",
) -> RatingSet | ReadResult:
    """Read ratings from CSV (long or wide), JSON Lines, Parquet (a file or a dataset
    folder) or Arrow IPC (``.arrow``, ``.feather``) and check them against a map; from one
    source, a list of files or a glob.

    CSV may be UTF-8 or UTF-8 with BOM (Excel), any of ``, ; TAB |`` as delimiter (sniffed
    from the header), CRLF or LF. Header names match case-insensitively. Parquet and Arrow
    columns may be strings, numbers or dictionaries (pandas categoricals: read through the
    dictionary, never decoded per row); their problems name the row (1-based). With
    ``errors="raise"`` (default) one :class:`~icmaps.errors.RatingsError` carries every
    problem; with ``errors="collect"`` a :class:`ReadResult` holds the good ratings and the
    problems. Built on the batches of :func:`iter_ratings`: they are concatenated, then
    repeated keys are looked for across the whole file (different codes: an error, and every
    rating of the key is dropped; the same code: a warning, kept once). Across several files,
    a key repeated from an earlier file is dropped as :func:`iter_ratings` drops it.

    >>> import icmaps
    >>> rs = read_ratings(example_ratings("learning-school"), "learning-school")
    >>> len(rs) > 0, rs.map.id
    (True, 'learning-school')
    """
    if errors not in ("raise", "collect"):
        raise UsageError(f"errors must be 'raise' or 'collect', not {errors!r}")
    sources = ratings_sources(source)
    m, formats = _options(sources, map, format, engine)
    files: list[RatingSet] = []
    problems: list[Problem] = []
    sheets: dict[str, str] = {}
    seen = SeenKeys() if len(sources) > 1 else None
    for one, fmt in zip(sources, formats, strict=True):
        ratings, lines, found, path = _read_one(one, fmt, m, engine, sheets)
        problems.extend(found)
        if seen is not None and len(lines):  # a key repeated from an earlier file
            import numpy as np

            keep, repeated = seen.check(ratings._cols, np.frombuffer(lines, dtype=np.uint32), path)
            ratings, lines = _keep_rows(ratings, lines, keep)
            problems.extend(repeated)
        files.append(ratings)
    ratings = files[0] if len(files) == 1 else _concat(files)
    result = ReadResult(ratings, _in_sheet(sorted(problems, key=Problem.sort_key), sheets))
    if errors == "collect":
        return result
    if not result.ok:
        raise RatingsError(result.problems)
    return result.ratings


def _read_one(
    source: Source, format: ReadFormat, m: Map, engine: Engine, sheets: dict[str, str]
) -> tuple[RatingSet, array.array[int], list[Problem], str | None]:
    """One file read whole: its good ratings, their lines, its problems and its name."""
    parts: list[RatingSet] = []
    lines = array.array("I")
    problems: list[Problem] = []
    path: str | None = None
    # Parquet and Arrow come in whole columns: larger chunks, fewer passes and no copy to join
    rows = READ_CHUNK if format not in ("parquet", "arrow") else 8 * READ_CHUNK
    chunks = _checked([source], [format], m, engine=engine, chunk_rows=rows, sheets=sheets)
    for checked in chunks:
        parts.append(_ratings(checked))
        lines.extend(checked.lines)
        problems.extend(checked.problems)
        path = checked.path
        if len(problems) > MAX_PROBLEMS:  # junk, not ratings: stop reading
            at = problems[MAX_PROBLEMS - 1].line
            problems = [p for p in problems[:MAX_PROBLEMS] if "stopped reading" not in p.message]
            problems.append(stopped(path, at, m))
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
    return ratings, lines, problems, path
