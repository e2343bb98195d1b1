"""The one ratings checker: every row checked against the map, every problem collected."""

from __future__ import annotations

import array
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from icmaps._optional import has
from icmaps.errors import Problem
from icmaps.maps.model import Map
from icmaps.ratings.columns import BASE_COLUMNS, LEVEL_MISSING, _Column, _typecode, level_table

if TYPE_CHECKING:
    pass

__all__ = ["REQUIRED", "WIDE_KEYS", "Checked", "check_rows"]

Format = Literal["auto", "long", "wide", "jsonl"]


REQUIRED = ("subject", "rater", "occasion", "component", "code")


WIDE_KEYS = ("subject", "rater", "occasion")


@dataclass(frozen=True)
class Checked:
    """What the checker kept (interned columns, levels; ``keep`` lists the rows left after
    repeated keys were dropped, or is None when none were) and every problem."""

    map: Map
    columns: dict[str, _Column]
    levels: array.array[int]
    attrs: tuple[str, ...]
    keep: list[int] | None
    problems: tuple[Problem, ...]


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

    def finish(self, use_numpy: bool) -> Checked:
        """The kept ratings as interned columns, and every problem in file order."""
        keep = _duplicates(self, use_numpy)
        cols = {
            name: _Column(list(lookup), array.array(_typecode(len(lookup)), self.index[name]))
            for name, lookup in self.lookups.items()
        }
        problems = tuple(sorted(self.problems, key=Problem.sort_key))
        return Checked(self.map, cols, self.levels, tuple(self.attrs), keep, problems)


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
    return has("numpy")


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


def _shown(code: str | None) -> str:
    """A code as messages show it: quoted, or ``blank`` for a missing one."""
    return "blank" if code is None else repr(code)


def check_rows(
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
) -> Checked:
    """Check rows (lists of cells under ``header``) against a map; collect every problem.

    The one checker: the CSV, JSONL and record readers all feed it.

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
