"""Reading and writing ratings: CSV (long and wide), JSON Lines, strict and kind.

Every row is checked against the map in one pass and every problem is reported with file,
line, column and value; nothing is dropped silently. A fast path reads long CSV files with
pyarrow when it is installed (``pip install 'icmaps[fast]'``); it is used only for
files with no problems, so problem reports always come from the pure-Python reader and both
paths give identical ratings.
"""

from __future__ import annotations

import array
import codecs
import csv
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, overload

from icmaps._optional import has, require
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import REQUIRED, Format, _header_map
from icmaps.ratings.columns import BASE_COLUMNS, LEVEL_MISSING, _Column, _typecode, level_table
from icmaps.ratings.ratingset import RatingSet, ReadResult, ratings_from_rows

if TYPE_CHECKING:
    import numpy as np

__all__ = ["example_ratings", "read_ratings"]


Errors = Literal["raise", "collect"]


Engine = Literal["auto", "python", "pyarrow"]


DELIMITERS = ",;\t|"


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


# -- sources --------------------------------------------------------------------------------


def _open_text(source: str | os.PathLike[str] | IO[str] | IO[bytes]) -> tuple[IO[str], str, bool]:
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if p.is_dir():
            raise UsageError(f"{os.fspath(source)}: is a folder; expected a ratings file")
        if not p.is_file():
            raise UsageError(f"{os.fspath(source)}: no such file")
        f = p.open("r", encoding="utf-8-sig", newline="", errors="strict")
        return f, os.fspath(source), True
    name = str(getattr(source, "name", "<stream>"))
    if isinstance(source, io.TextIOBase):
        return source, name, False
    binary: Any = source
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), name, False


def _utf8_problem(source: object, path: str, e: UnicodeDecodeError) -> Problem:
    """Locate the first byte that is not UTF-8 (files only; streams get no line)."""
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


def _sniff(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(f: IO[str], path: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    first = f.readline()
    if first.startswith("\ufeff"):
        first = first[1:]
    if not first.strip():
        raise RatingsError([Problem(path, 1, None, "file is empty; expected a header row")])
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
    delim = _sniff(first)
    header = next(csv.reader([first], delimiter=delim))
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


def _jsonl_rows(
    f: IO[str], path: str
) -> tuple[list[str], list[tuple[int, list[str | None]]], list[Problem]]:
    """Keys in first-seen order, numbered rows, and the lines that are not JSON objects
    (reported alongside the problems of the good lines, not instead of them)."""
    keys: list[str] = []
    records: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    for n, text in enumerate(f, 1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            col = e.colno if e.lineno == 1 else len(text.rstrip("\r\n")) + 1  # at the line end
            problems.append(Problem(path, n, col, f"invalid JSON: {e.msg}"))
            continue
        except RecursionError:
            problems.append(Problem(path, n, 1, "invalid JSON: nested too deeply"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(path, n, 1, "expected a JSON object per line"))
            continue
        for k in obj:
            if k not in keys:
                keys.append(k)
        records.append((n, obj))

    def cell(v: Any) -> str | None:
        return None if v is None else v if isinstance(v, str) else json.dumps(v)

    return keys, [(n, [cell(obj.get(k)) for k in keys]) for n, obj in records], problems


Source = str | os.PathLike[str] | IO[str] | IO[bytes]


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
    """Read ratings from CSV (long or wide) or JSON Lines and check them against a map.

    CSV may be UTF-8 or UTF-8 with BOM (Excel), any of ``, ; TAB |`` as delimiter (sniffed
    from the header), CRLF or LF. Header names match case-insensitively. With
    ``errors="raise"`` (default) one :class:`~icmaps.errors.RatingsError` carries every
    problem; with ``errors="collect"`` a :class:`ReadResult` holds the good ratings and the
    problems.

    >>> import icmaps
    >>> rs = read_ratings(example_ratings("learning-school"), "learning-school")
    >>> len(rs) > 0, rs.map.id
    (True, 'learning-school')
    """
    from icmaps.maps.codec import load_map

    m = map if isinstance(map, Map) else load_map(map)
    if errors not in ("raise", "collect"):
        raise UsageError(f"errors must be 'raise' or 'collect', not {errors!r}")
    if format not in ("auto", "long", "wide", "jsonl"):
        raise UsageError(f"format must be 'auto', 'long', 'wide' or 'jsonl', not {format!r}")
    if engine not in ("auto", "python", "pyarrow"):
        raise UsageError(f"engine must be 'auto', 'python' or 'pyarrow', not {engine!r}")
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else ""
    if format == "auto" and name.lower().endswith((".jsonl", ".ndjson")):
        format = "jsonl"
    result: ReadResult | None = None
    if engine != "python" and format in ("auto", "long") and isinstance(source, (str, os.PathLike)):
        result = _fast_read(Path(source), m, required=engine == "pyarrow")
    if result is None:
        f, path, close = _open_text(source)
        try:
            if format == "jsonl":
                keys, jrows, bad = _jsonl_rows(f, path)
                if not jrows and bad:
                    keys = list(REQUIRED)  # nothing readable: report the bad lines only
                result = ratings_from_rows(
                    m, keys, jrows, path=path, format="long", numbered=True, columns=False
                )
                if bad:
                    every = (*result.problems, *bad)
                    result = ReadResult(result.ratings, tuple(sorted(every, key=Problem.sort_key)))
            else:
                header, rows = _csv_rows(f, path)
                result = ratings_from_rows(m, header, rows, path=path, format=format, numbered=True)
        except UnicodeDecodeError as e:
            raise RatingsError([_utf8_problem(source, path, e)]) from None
        finally:
            if close:
                f.close()
    if errors == "collect":
        return result
    if not result.ok:
        raise RatingsError(result.problems)
    return result.ratings


# -- the fast path --------------------------------------------------------------------------


def _fast_read(path: Path, m: Map, *, required: bool) -> ReadResult | None:
    """Read a clean long CSV with pyarrow + numpy; None means 'use the Python reader' (not
    installed, or the file has anything the Python reader must report or normalise)."""
    if not (has("numpy") and has("pyarrow")):
        if required:
            require("pyarrow", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
            require("numpy", "engine='pyarrow' needs pyarrow and numpy", extra="fast")
        return None
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if not path.is_file():
        return None
    with path.open("rb") as fb:
        head = fb.readline()
    try:
        first = codecs.decode(head, "utf-8-sig")
    except UnicodeDecodeError:
        return None
    delim = _sniff(first)
    header = next(csv.reader([first], delimiter=delim), [])
    fmt, pos, _, problems = _header_map(header, m, "auto", str(path))
    if problems or fmt != "long" or not header:
        return None
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=[f"c{i}" for i in range(len(header))],
                skip_rows=1,
                block_size=1 << 22,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    attrs = [n for n in pos if n not in BASE_COLUMNS]
    names = [*BASE_COLUMNS, *attrs]
    lookups: dict[str, dict[str | None, int]] = {n: {} for n in names}
    # grown in place (no concatenation copy at the end): 4 bytes a row per column
    parts: dict[str, array.array[int]] = {n: array.array("I") for n in names}
    try:
        for batch in reader:
            for name in names:
                if name not in pos:
                    parts[name].frombytes(bytes(4 * batch.num_rows))
                    continue
                enc = batch.column(pos[name]).dictionary_encode()
                values = enc.dictionary.to_pylist()
                lookup = lookups[name]
                remap = np.empty(len(values), dtype=np.uint32)
                for j, v in enumerate(values):
                    if v != v.strip():
                        return None  # let the Python reader normalise spaces
                    key = v or None
                    remap[j] = lookup.setdefault(key, len(lookup))
                parts[name].frombytes(remap[enc.indices.to_numpy(zero_copy_only=False)].tobytes())
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    for name in names:
        if name not in pos:
            lookups[name] = {None: 0}
    n = len(parts["subject"])
    if n == 0:
        return None
    idx = {k: np.frombuffer(v, dtype=np.uint32) for k, v in parts.items()}
    # every check is done on the small category lists, then spread to rows
    comp_vals = list(lookups["component"])
    code_vals = list(lookups["code"])
    table = level_table(m)
    for key in ("subject", "rater", "occasion", "component"):
        if None in lookups[key]:
            return None
    if any(c not in table for c in comp_vals):
        return None
    # checks run on the (component, code) and (component, role) pairs present: a few hundred
    ncode, nrole = len(code_vals), len(lookups["role"])
    pair = idx["component"].astype(np.int64) * ncode + idx["code"]
    present = np.flatnonzero(np.bincount(pair, minlength=len(comp_vals) * ncode))
    lut = np.zeros(len(comp_vals) * ncode, dtype=np.int8)
    for p in present.tolist():
        comp, code = comp_vals[p // ncode], code_vals[p % ncode]
        if code is None:
            lut[p] = LEVEL_MISSING
        elif code not in table[str(comp)]:
            return None
        else:
            lut[p] = table[str(comp)][code]
    levels_np = lut[pair]
    del pair
    role_vals = list(lookups["role"])
    if any(r is not None for r in role_vals):
        known = {r.id for r in m.roles}
        rp = idx["component"].astype(np.int64) * nrole + idx["role"]
        for p in np.flatnonzero(np.bincount(rp, minlength=len(comp_vals) * nrole)).tolist():
            comp, role = str(comp_vals[p // nrole]), role_vals[p % nrole]
            if role is not None and (role not in known or not m.applies_to(comp, role)):
                return None
        del rp
    dims = [len(lookups[k]) for k in ("subject", "rater", "occasion", "component")]
    if math.prod(dims) >= 2**62:
        return None  # keys would overflow; the Python reader copes
    key = np.zeros(n, dtype=np.int64)
    for k, d in zip(("subject", "rater", "occasion", "component"), dims, strict=True):
        key *= d
        key += idx[k]
    key.sort()
    if bool((key[1:] == key[:-1]).any()):
        return None  # duplicates: reported by the Python reader
    del key
    cols = {
        k: _Column(
            list(lookups[k]),
            array.array(
                _typecode(len(lookups[k])), idx[k].astype(_np_type(len(lookups[k]))).tobytes()
            ),
        )
        for k in names
    }
    levels = array.array("b", levels_np.tobytes())
    return ReadResult(RatingSet(m, cols, levels, attrs), ())


def _np_type(n: int) -> np.dtype[Any]:
    import numpy as np

    return np.dtype({"B": np.uint8, "H": np.uint16, "I": np.uint32}[_typecode(n)])
