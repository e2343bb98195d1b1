"""Reading and writing ratings: CSV (long and wide), JSON Lines, strict and kind.

Every row is checked against the map in one pass and every problem is reported with file,
line, column and value; nothing is dropped silently. A fast path reads long CSV files with
pyarrow and numpy when they are installed (``pip install 'icmaps[fast]'``); it is used only for
files with no problems, so problem reports always come from the pure-Python reader and both
paths give identical ratings.
"""

from __future__ import annotations

import array
import codecs
import csv
import difflib
import io
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, overload

from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.model import Map
from icmaps.ratings import (
    BASE_COLUMNS,
    LEVEL_MISSING,
    RatingSet,
    _Column,
    _typecode,
    level_table,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ReadResult",
    "dumps_ratings",
    "example_ratings",
    "ratings_from_rows",
    "read_ratings",
    "write_ratings",
]

Format = Literal["auto", "long", "wide", "jsonl"]
Errors = Literal["raise", "collect"]
Engine = Literal["auto", "python", "pyarrow"]

REQUIRED = ("subject", "rater", "occasion", "component", "code")
WIDE_KEYS = ("subject", "rater", "occasion")
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class ReadResult:
    """Ratings that passed every check, and the problems of the rest."""

    ratings: RatingSet
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)


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


# -- the one-pass checker -------------------------------------------------------------------


class _Checker:
    """Checks rows against a map, interns values into arrays, collects every problem."""

    def __init__(self, m: Map, names: Sequence[str], path: str | None) -> None:
        self.map = m
        self.path = path
        self.names = list(names)
        self.attrs = [n for n in names if n not in BASE_COLUMNS]
        self.table = level_table(m)
        self.roles = {r.id for r in m.roles}
        self.applies = {c.id: set(m.roles_of(c.id)) for c in m.iter_components()}
        self.lookups: dict[str, dict[str | None, int]] = {
            n: {} for n in (*BASE_COLUMNS, *self.attrs)
        }
        # compact arrays, not lists: a list of ints costs 8-36 bytes a row per column
        self.index: dict[str, array.array[int]] = {n: array.array("I") for n in self.lookups}
        self.lines = array.array("I")
        self.levels = array.array("b")
        self.problems: list[Problem] = []
        self.bad_rows = 0

    def problem(self, line: int, col: int | None, msg: str, value: str | None = None) -> None:
        self.problems.append(Problem(self.path, line, col, msg, "", "error", value))

    def add(self, line: int, values: dict[str, str | None], cols: dict[str, int]) -> None:
        """Check one rating; keep it if it is good. ``cols`` gives 1-based columns."""
        before = len(self.problems)
        for key in ("subject", "rater", "occasion", "component"):
            if not values.get(key):
                self.problem(line, cols.get(key), f"empty {key}")
        comp = values.get("component")
        code = values.get("code")
        role = values.get("role")
        codes = self.table.get(comp or "")
        if comp and codes is None:
            hint = _near(comp.lower(), {c.lower(): c for c in self.table})
            did = f"; did you mean {hint!r}?" if hint else ""
            self.problem(
                line,
                cols.get("component"),
                f"unknown component {comp!r} in map {self.map.id!r}{did}",
                comp,
            )
        elif codes is not None and code is not None and code not in codes:
            allowed = ", ".join(codes)
            self.problem(
                line,
                cols.get("code"),
                f"code {code!r} is not allowed for component {comp!r} (allowed: {allowed}; "
                "leave it blank for missing)",
                code,
            )
        if role:
            if role not in self.roles:
                known = ", ".join(sorted(self.roles)) or "none"
                self.problem(
                    line, cols.get("role"), f"unknown role {role!r} (roles: {known})", role
                )
            elif comp in self.applies and role not in self.applies[comp]:
                self.problem(
                    line,
                    cols.get("role"),
                    f"component {comp!r} does not apply to role {role!r} (it applies to: "
                    f"{', '.join(sorted(self.applies[comp]))})",
                    role,
                )
        if len(self.problems) > before:
            self.bad_rows += 1
            return
        for name, lookup in self.lookups.items():
            v = values.get(name)
            self.index[name].append(lookup.setdefault(v, len(lookup)))
        self.levels.append(LEVEL_MISSING if code is None else codes[code])  # type: ignore[index]
        self.lines.append(line)

    def finish(self, use_numpy: bool) -> ReadResult:
        keep = _duplicates(self, use_numpy)
        cols = {
            name: _Column(list(lookup), array.array(_typecode(len(lookup)), self.index[name]))
            for name, lookup in self.lookups.items()
        }
        ratings = RatingSet(self.map, cols, self.levels, self.attrs)
        if keep is not None:  # repeated keys were dropped
            ratings = ratings._take(keep)
        return ReadResult(ratings, tuple(sorted(self.problems, key=Problem.sort_key)))


def _duplicates(ck: _Checker, use_numpy: bool) -> list[int] | None:
    """Find repeated subject/rater/occasion/component keys. Conflicting codes are errors (all
    rows of the key are dropped); exact repeats are warnings (the first is kept)."""
    n = len(ck.lines)
    if n == 0:
        return None
    dims = [len(ck.lookups[k]) for k in ("subject", "rater", "occasion", "component")]
    cols = [ck.index[k] for k in ("subject", "rater", "occasion", "component")]
    groups: list[list[int]]
    if use_numpy and _has_numpy():
        import numpy as np

        key = np.zeros(n, dtype=np.int64)
        for d, c in zip(dims, cols, strict=True):
            key = key * d + np.asarray(c, dtype=np.int64)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        dup = np.flatnonzero(sk[1:] == sk[:-1])
        if len(dup) == 0:
            return None
        starts = sorted({int(i) for i in dup} - {int(i) + 1 for i in dup})
        groups = []
        for s in starts:
            e = s + 1
            while e < n and sk[e] == sk[s]:
                e += 1
            groups.append(sorted(int(i) for i in order[s:e]))
    else:
        seen: dict[tuple[int, ...], list[int]] = {}
        for i, k in enumerate(zip(*cols, strict=True)):
            seen.setdefault(k, []).append(i)
        groups = [g for g in seen.values() if len(g) > 1]
        if not groups:
            return None
    drop: set[int] = set()
    code_vals = list(ck.lookups["code"])
    names = [list(ck.lookups[k]) for k in ("subject", "rater", "occasion", "component")]
    for g in groups:
        first = g[0]
        codes = {ck.index["code"][i] for i in g}
        sub, rat, occ, comp = (names[j][cols[j][first]] for j in range(4))
        what = f"subject {sub!r}, rater {rat!r}, occasion {occ!r}, component {comp!r}"
        if len(codes) > 1:
            drop.update(g)
            for i in g[1:]:
                here = code_vals[ck.index["code"][i]]
                there = code_vals[ck.index["code"][first]]
                ck.problems.append(
                    Problem(
                        ck.path,
                        ck.lines[i],
                        None,
                        f"conflicting ratings for {what}: {_shown(here)} here, {_shown(there)} "
                        f"on line {ck.lines[first]}",
                        "",
                        "error",
                        here,
                    )
                )
        else:
            drop.update(g[1:])
            for i in g[1:]:
                ck.problems.append(
                    Problem(
                        ck.path,
                        ck.lines[i],
                        None,
                        f"repeated rating for {what} (same as line {ck.lines[first]}); kept once",
                        "",
                        "warning",
                    )
                )
    return [i for i in range(n) if i not in drop]


def _has_numpy() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


# -- headers and rows -----------------------------------------------------------------------


def _header_map(
    header: Sequence[str], m: Map, fmt: Literal["auto", "long", "wide"], path: str | None
) -> tuple[Literal["long", "wide"], dict[str, int], dict[str, int], list[Problem]]:
    """Match header names (case-insensitively) to columns. Returns the format, base/attribute
    column positions, component column positions (wide) and problems."""
    problems: list[Problem] = []
    names = [h.strip().lower() for h in header]
    comp_ids = {c.id.lower(): c.id for c in m.iter_components()}
    if fmt == "auto":
        fmt = "long" if "component" in names and "code" in names else "wide"
    pos: dict[str, int] = {}
    comps: dict[str, int] = {}
    for i, (raw, name) in enumerate(zip(header, names, strict=True)):
        if not name:
            problems.append(Problem(path, 1, i + 1, f"column {i + 1} has no name"))
            continue
        if name in pos or comp_ids.get(name) in comps:
            problems.append(Problem(path, 1, i + 1, f"column {raw.strip()!r} appears twice"))
            continue
        if fmt == "wide" and name in comp_ids:
            comps[comp_ids[name]] = i
            continue
        if fmt == "wide" and name not in BASE_COLUMNS:
            hint = _near(name, comp_ids)
            if hint:
                problems.append(
                    Problem(
                        path,
                        1,
                        i + 1,
                        f"unknown column {raw.strip()!r}: did you mean "
                        f"component {hint!r}? (other columns are read as subject attributes)",
                        value=raw,
                    )
                )
                continue
        pos[name if name in BASE_COLUMNS else raw.strip()] = i
    required = REQUIRED if fmt == "long" else WIDE_KEYS
    missing = [r for r in required if r not in pos]
    if missing:
        have = ", ".join(h.strip() for h in header)
        problems.append(
            Problem(
                path,
                1,
                None,
                f"missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} ({fmt} form; header has: {have})",
            )
        )
    if fmt == "wide":
        if "code" in pos or "component" in pos:
            problems.append(Problem(path, 1, None, "wide form cannot have component/code columns"))
        if not comps and not missing:
            problems.append(
                Problem(
                    path,
                    1,
                    None,
                    "no column names a component of map "
                    f"{m.id!r} (wide form needs one column per component id)",
                )
            )
    return fmt, pos, comps, problems


def _near(name: str, ids: dict[str, str]) -> str | None:
    """A component id that ``name`` is probably a typo of (one edit away, or very similar)."""
    for low, real in ids.items():
        if len(low) >= 2 and _one_edit(name, low):
            return real
    hint = difflib.get_close_matches(name, ids.keys(), n=1, cutoff=0.8)
    return ids[hint[0]] if hint else None


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def ratings_from_rows(
    m: Map,
    header: Sequence[str],
    rows: Iterable[Sequence[str | None]] | Iterable[tuple[int, Sequence[str | None]]],
    *,
    path: str | None = None,
    format: Format = "auto",
    first_line: int = 2,
    numbered: bool = False,
    use_numpy: bool = True,
    columns: bool = True,
) -> ReadResult:
    """Check rows (lists of cells under ``header``) against a map; collect every problem.

    With ``numbered=True`` rows are ``(line, cells)`` pairs; otherwise lines count from
    ``first_line``.
    """
    if format == "jsonl":
        format = "long"
    fmt, pos, comps, problems = _header_map(header, m, format, path)
    attrs = [n for n in pos if n not in BASE_COLUMNS]
    ck = _Checker(m, [*BASE_COLUMNS, *attrs], path)
    ck.problems.extend(problems)
    if any(p.line == 1 and p.column is None for p in problems):  # no usable header
        return ck.finish(use_numpy)
    width = len(header)
    cols1 = {name: i + 1 for name, i in pos.items()} if columns else {}
    numbered_rows: Iterable[tuple[int, Sequence[str | None]]] = (
        rows if numbered else enumerate(rows, first_line)  # type: ignore[assignment,arg-type]
    )
    for line, cells in numbered_rows:
        if not cells or (len(cells) == 1 and not (cells[0] or "").strip()):
            continue  # a blank line
        if len(cells) != width:
            ck.problem(line, None, f"expected {width} fields as in the header, got {len(cells)}")
            ck.bad_rows += 1
            continue
        vals: dict[str, str | None] = {}
        for name, i in pos.items():
            v = cells[i]
            v = v.strip() if v is not None else None
            vals[name] = v if v else None
        if fmt == "long":
            ck.add(line, vals, cols1)
            continue
        for comp, i in comps.items():
            v = cells[i]
            v = v.strip() if v is not None else None
            ck.add(line, {**vals, "component": comp, "code": v or None}, {**cols1, "code": i + 1})
    return ck.finish(use_numpy)


def _shown(code: str | None) -> str:
    """A code as messages show it: quoted, or ``blank`` for a missing one."""
    return "blank" if code is None else repr(code)


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
    from icmaps.loading import load_map

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
    try:
        import numpy as np
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:
        if required:
            raise UsageError(
                "engine='pyarrow' needs pyarrow and numpy: pip install 'icmaps[fast]'"
            ) from None
        return None
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


# -- writing --------------------------------------------------------------------------------


def write_ratings(
    ratings: RatingSet,
    path: str | os.PathLike[str],
    format: Literal["long", "wide", "jsonl"] | None = None,
) -> None:
    """Write ratings atomically as long CSV (default), wide CSV or JSON Lines (``.jsonl``).

    Reading the file back with :func:`read_ratings` gives equal ratings (long and JSON Lines;
    wide keeps one row per subject x rater x occasion).
    """
    from icmaps.loading import atomic_write

    fmt = format or ("jsonl" if os.fspath(path).lower().endswith(".jsonl") else "long")
    atomic_write(path, dumps_ratings(ratings, fmt))


def dumps_ratings(ratings: RatingSet, format: Literal["long", "wide", "jsonl"] = "long") -> str:
    """The ratings as CSV or JSON Lines text (see :func:`write_ratings`)."""
    buf = io.StringIO(newline="")
    records = ratings.to_records()
    if format == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    w = csv.writer(buf, lineterminator="\n")
    attrs = list(ratings.attributes)
    roles = ratings.has_roles()
    if format == "long":
        cols = [*REQUIRED, *(["role"] if roles else []), *attrs]
        w.writerow(cols)
        for r in records:
            w.writerow(["" if r.get(c) is None else r[c] for c in cols])
        return buf.getvalue()
    if format != "wide":
        raise UsageError(f"format must be long, wide or jsonl, not {format!r}")
    comps = [c.id for c in ratings.map.iter_components()]
    used = set(ratings.categories("component"))
    comps = [c for c in comps if c in used]
    keys = [*WIDE_KEYS, *(["role"] if roles else []), *attrs]
    rows: dict[tuple[Any, ...], dict[str, str | None]] = {}
    for r in records:
        k = tuple(r.get(c) for c in keys)
        rows.setdefault(k, {})[r["component"]] = r["code"]
    w.writerow([*keys, *comps])
    for k, codes in rows.items():
        w.writerow(["" if v is None else v for v in k] + [codes.get(c) or "" for c in comps])
    return buf.getvalue()
