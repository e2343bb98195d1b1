"""The one ratings checker: the rules run once per distinct value, problems go to the rows.

Every way ratings come in (the Python and pyarrow readers, ``RatingSet.from_records`` and
``from_columns``, ``migrate_ratings``) first interns its columns: per column the distinct
values and a per-row index into them (:class:`RawBatch`, with each row's source line). The
rules then look at the *distinct* values and pairs only (:func:`judge`):

* an empty subject, rater, occasion or component;
* a component that is not in the map (with a "did you mean");
* a code that is not allowed for its component, per distinct (component, code) pair;
* an unknown role, and a role the component does not apply to, per distinct (component, role)
  pair.

Each bad value or pair is then mapped back to the rows that use it, so a million ratings with
a few hundred distinct values cost a few hundred rule checks plus a few vectorised passes.
:func:`check` turns the verdict into located problems (file:line:col, message, value), drops
the bad rows and builds the RatingSet's columns and levels. Repeated keys (same subject,
rater, occasion and component) are a check across rows: :func:`duplicate_groups` finds them by
sorting (never by packing keys into an integer that could overflow), :func:`check_duplicates`
words them as readers report them, and :class:`~icmaps.ratings.seen.SeenKeys` does the same
across the batches of a stream.
"""

from __future__ import annotations

import array
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from icmaps._grouping import duplicate_groups, unique_rows as _unique_rows
from icmaps.errors import Problem, Severity
from icmaps.maps.model import Map
from icmaps.ratings.columns import (
    BASE_COLUMNS,
    LEVEL_MISSING,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    RATING_ATTRIBUTES,
    TEXT_COLUMNS,
    _Column,
    _typecode,
    as_array,
    as_numpy,
    is_helper_column,
    level_table,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from icmaps.ratings.ratingset import RatingSet

__all__ = [
    "KEYS",
    "REQUIRED",
    "WIDE_KEYS",
    "Checked",
    "Finding",
    "Layout",
    "RawBatch",
    "Verdict",
    "check",
    "check_consistency",
    "check_duplicates",
    "check_texts",
    "duplicate_groups",
    "judge",
]

Format = Literal["auto", "long", "wide", "jsonl"]

Rule = Literal["text", "empty", "component", "code", "role", "applies"]


REQUIRED = ("subject", "rater", "occasion", "component", "code")


WIDE_KEYS = ("subject", "rater", "occasion")


KEYS = ("subject", "rater", "occasion", "component")
"""The columns that identify a rating (one code per key)."""


# -- what engines hand the checker -----------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where a source's columns are: its path (for problems), the attribute columns, the
    1-based source column of each named column (empty when problems carry no column, as for
    JSON Lines and records) and, in wide form, the column of each component's code."""

    path: str | None
    attrs: tuple[str, ...] = ()
    columns: Mapping[str, int] = field(default_factory=dict)
    code_columns: Mapping[str, int] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """Every column of a rating: the base columns, then the attributes."""
        return (*BASE_COLUMNS, *self.attrs)


@dataclass
class RawBatch:
    """Ratings as an engine read them, before any rule ran.

    ``values[name]`` are a column's distinct values (trimmed, blank as ``None``) in first-seen
    order, every one used; ``index[name]`` is the per-row index into them (a numpy unsigned
    array); ``lines`` is each row's source line (record number for records); ``problems`` are
    those met while reading (wrong field count, invalid JSON line, header).
    """

    values: dict[str, Sequence[str | None]]
    index: dict[str, NDArray[Any]]
    lines: NDArray[Any]
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class Checked:
    """What the checker kept: interned columns, levels and source lines of the good rows, and
    every problem of the batch (sorted by place)."""

    map: Map
    columns: dict[str, _Column]
    levels: array.array[int]
    attrs: tuple[str, ...]
    lines: array.array[int]
    problems: tuple[Problem, ...]
    path: str | None = None


# -- the rules, on distinct values ------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One bad distinct value (or pair): the rule it breaks, the column the problem points at,
    the message and the offending value. ``component`` is set for the ``code`` rule (in wide
    form it picks the column)."""

    rule: Rule
    column: str
    message: str
    value: str | None
    component: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The rules' verdict on a batch: the findings, one entry per problem in ``rows`` (a row
    position) and ``which`` (its finding), and the level of every row (meaningless for a row
    with a problem)."""

    findings: tuple[Finding, ...]
    rows: NDArray[Any]
    which: NDArray[Any]
    levels: NDArray[Any]

    def bad(self, n: int) -> NDArray[Any] | None:
        """A boolean mask of the rows with a problem, or None when there is none."""
        import numpy as np

        if not len(self.rows):
            return None
        mask = np.zeros(n, dtype=bool)
        mask[self.rows] = True
        return mask

    def first_rows(self) -> dict[int, tuple[int, int]]:
        """Per finding: its first row position and how many rows use it."""
        import numpy as np

        if not len(self.rows):
            return {}
        order = np.lexsort((self.rows, self.which))
        which, rows = self.which[order], self.rows[order]
        found, start, counts = np.unique(which, return_index=True, return_counts=True)
        return {
            int(f): (int(rows[s]), int(c))
            for f, s, c in zip(found.tolist(), start.tolist(), counts.tolist(), strict=True)
        }


def _pairs(
    left: NDArray[Any], n_left: int, right: NDArray[Any], n_right: int
) -> tuple[list[int], NDArray[Any], Any]:
    """The distinct ``left * n_right + right`` pairs present, the per-row pair and how to map
    a table over the pairs to rows: ``(present, per_row, spread)`` where ``spread(table)``
    (a numpy array indexed like ``present``) gives the per-row values."""
    import numpy as np

    n = len(left)
    per_row = left.astype(np.int64) * n_right
    per_row += right
    space = n_left * n_right
    if space <= max(4 * n, 1 << 20):  # small: count, no sort
        present = np.flatnonzero(np.bincount(per_row, minlength=space)).tolist()

        def spread(table: NDArray[Any]) -> NDArray[Any]:
            full = np.zeros(space, dtype=table.dtype)
            full[np.asarray(present, dtype=np.int64)] = table
            spread_out: NDArray[Any] = full[per_row]
            return spread_out

        return present, per_row, spread
    uniq, inverse = np.unique(per_row, return_inverse=True)
    inverse = inverse.reshape(-1)

    def spread_sorted(table: NDArray[Any]) -> NDArray[Any]:
        return table[inverse]

    return uniq.tolist(), per_row, spread_sorted


# control characters other than tab and line breaks, and lone surrogates
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _bad_text(column: str, value: str) -> str | None:
    """What is wrong with a value's characters (or, outside the free-text columns, its
    length), or None."""
    if column not in TEXT_COLUMNS and len(value) > MAX_VALUE_CHARS:
        return f"{column} is {len(value):,} characters long; at most {MAX_VALUE_CHARS:,}"
    found = _BAD_CHARS.search(value)
    if found is None:
        return None
    ch = found.group()
    if "\ud800" <= ch <= "\udfff":
        what = f"a lone surrogate U+{ord(ch):04X} (not valid Unicode text)"
    else:
        what = f"control character U+{ord(ch):04X}"
    return f"{column} holds {what} at character {found.start() + 1}"


def judge(
    m: Map, values: Mapping[str, Sequence[str | None]], index: Mapping[str, NDArray[Any]]
) -> Verdict:
    """Run every rule once per distinct value or pair and map the bad ones to their rows.

    ``values``/``index`` hold the interned base columns (``subject``, ``rater``,
    ``occasion``, ``component``, ``role``, ``code``). Rules, in the order a row's problems
    are listed: empty key fields, unknown component, code not allowed for the component,
    unknown role, component not applying to the role.

    >>> import numpy as np, icmaps
    >>> m = icmaps.load_map("learning-school")
    >>> cols = {"subject": ["s"], "rater": ["r"], "occasion": ["o"], "role": [None],
    ...         "component": ["al-teacher-routine", "nope"], "code": ["2", "9"]}
    >>> idx = {k: np.zeros(3, dtype=np.uint32) for k in cols}
    >>> idx["component"] = np.array([0, 1, 0], dtype=np.uint32)
    >>> idx["code"] = np.array([0, 0, 1], dtype=np.uint32)
    >>> v = judge(m, cols, idx)
    >>> [(f.rule, f.value) for f in v.findings], v.rows.tolist()
    ([('component', 'nope'), ('code', '9')], [1, 2])
    """
    import numpy as np

    table = level_table(m)
    comp_ids = list(table)
    n_comp = len(comp_ids)
    where = {c: i for i, c in enumerate(comp_ids)}
    n = len(index["component"])
    findings: list[Finding] = []
    parts: list[tuple[NDArray[Any], NDArray[Any]]] = []

    def add(rows: NDArray[Any], which: NDArray[Any] | int) -> None:
        if len(rows):
            w = np.full(len(rows), which, dtype=np.int32) if isinstance(which, int) else which
            parts.append((rows.astype(np.int64), w.astype(np.int32)))

    def per_category(name: str, bad: dict[int, Finding]) -> None:
        """Rows whose ``name`` category is one of ``bad`` (category -> finding)."""
        if not bad:
            return
        ids = np.full(max(len(values[name]), 1), -1, dtype=np.int32)
        for cat, f in bad.items():
            ids[cat] = len(findings)
            findings.append(f)
        per_row = ids[index[name]]
        rows = np.flatnonzero(per_row >= 0)
        add(rows, per_row[rows])

    # characters no rating value may hold: controls other than tab and line breaks (they
    # clear screens and ring bells), and lone surrogates, which cannot be written as UTF-8
    flagged: dict[str, set[int]] = {}  # categories with bad text: no other rule repeats them
    for name, vals in values.items():
        if name in index:
            bad = {
                i: Finding("text", name, msg, None)
                for i, v in enumerate(vals)
                if isinstance(v, str) and (msg := _bad_text(name, v))
            }
            flagged[name] = set(bad)
            per_category(name, bad)
    # empty key fields (readers give blanks as None; from_columns may pass "")
    for key in KEYS:
        per_category(
            key,
            {
                i: Finding("empty", key, f"empty {key}", v)
                for i, v in enumerate(values[key])
                if v is None or (isinstance(v, str) and not v.strip())
            },
        )
    # components: position in the map, n_comp for unknown (or empty) ones
    comp_vals = values["component"]
    skip_comp = flagged.get("component", set())
    pos = np.array([where.get(str(c), n_comp) for c in comp_vals] or [n_comp], dtype=np.int64)
    lowered = {c.lower(): c for c in table}
    unknown: dict[int, Finding] = {}
    for i, c in enumerate(comp_vals):
        if c is not None and c not in where and str(c).strip() and i not in skip_comp:
            hint = _near(str(c).lower(), lowered)
            did = f"; did you mean {hint!r}?" if hint else ""
            msg = f"unknown component {c!r} in map {m.id!r}{did}"
            unknown[i] = Finding("component", "component", msg, c)
    per_category("component", unknown)
    comp_pos = pos[index["component"]] if n else np.zeros(0, dtype=np.int64)
    # codes, per distinct (component, code) pair; the level table comes out of the same pass
    code_vals = values["code"]
    skip_code = flagged.get("code", set())
    n_code = max(len(code_vals), 1)
    present, pair, spread = _pairs(comp_pos, n_comp + 1, index["code"], n_code)
    lut = np.zeros(len(present), dtype=np.int8)
    bad_pair = np.full(len(present), -1, dtype=np.int32)
    for j, p in enumerate(present):
        ci, ki = divmod(p, n_code)
        if ci == n_comp:
            continue  # unknown or empty component: reported above
        comp, code = comp_ids[ci], code_vals[ki]
        codes = table[comp]
        if ki in skip_code:
            continue  # reported as text above (its row is left out)
        if code is None:
            lut[j] = LEVEL_MISSING
        elif code in codes:
            lut[j] = codes[code]
        else:
            bad_pair[j] = len(findings)
            msg = (
                f"code {code!r} is not allowed for component {comp!r} (allowed: "
                f"{', '.join(codes)}; leave it blank for missing)"
            )
            findings.append(Finding("code", "code", msg, code, comp))
    levels = spread(lut) if n else np.zeros(0, dtype=np.int8)
    if (bad_pair >= 0).any():
        per_row = spread(bad_pair)
        rows = np.flatnonzero(per_row >= 0)
        add(rows, per_row[rows])
    del pair
    # roles: unknown ones, then (component, role) pairs the map does not allow
    role_vals = values["role"]
    skip_role = flagged.get("role", set())
    if any(r is not None for r in role_vals):
        known = {r.id for r in m.roles}
        names = ", ".join(sorted(known)) or "none"
        per_category(
            "role",
            {
                i: Finding("role", "role", f"unknown role {r!r} (roles: {names})", r)
                for i, r in enumerate(role_vals)
                if r is not None and r not in known and i not in skip_role
            },
        )
        applies = {c: set(m.roles_of(c)) for c in comp_ids}
        n_role = max(len(role_vals), 1)
        present, _, spread = _pairs(comp_pos, n_comp + 1, index["role"], n_role)
        bad_pair = np.full(len(present), -1, dtype=np.int32)
        for j, p in enumerate(present):
            ci, ri = divmod(p, n_role)
            role = role_vals[ri]
            if ci == n_comp or role is None or role not in known:
                continue
            comp = comp_ids[ci]
            if role not in applies[comp]:
                bad_pair[j] = len(findings)
                msg = (
                    f"component {comp!r} does not apply to role {role!r} (it applies to: "
                    f"{', '.join(sorted(applies[comp]))})"
                )
                findings.append(Finding("applies", "role", msg, role, comp))
        if (bad_pair >= 0).any():
            per_row = spread(bad_pair)
            rows = np.flatnonzero(per_row >= 0)
            add(rows, per_row[rows])
    if parts:
        rows = np.concatenate([r for r, _ in parts])
        which = np.concatenate([w for _, w in parts])
    else:
        rows = np.zeros(0, dtype=np.int64)
        which = np.zeros(0, dtype=np.int32)
    return Verdict(tuple(findings), rows, which, levels)


# -- from a verdict to problems and columns ---------------------------------------------------


def _located(verdict: Verdict, layout: Layout, raw: RawBatch) -> list[Problem]:
    """One problem per (row, finding), placed at the row's line and the finding's column (in
    a wide file, a problem of a code sits in the column of the row's component)."""
    cols = []
    for f in verdict.findings:
        if f.rule == "code" and layout.code_columns:
            cols.append(layout.code_columns.get(str(f.component)))
        else:
            cols.append(layout.columns.get(f.column))
    found = verdict.findings
    which = verdict.which.tolist()
    if layout.code_columns:  # a code's own problems (its text): the row's component column
        names, comp = raw.values["component"], raw.index["component"]
        where = [
            layout.code_columns.get(str(names[comp[r]]))
            if found[w].column == "code" and found[w].rule != "code"
            else cols[w]
            for r, w in zip(verdict.rows.tolist(), which, strict=True)
        ]
    else:
        where = [cols[w] for w in which]
    lines = raw.lines[verdict.rows].tolist()
    return [
        Problem(layout.path, line, col, found[w].message, "", "error", found[w].value)
        for line, col, w in zip(lines, where, which, strict=True)
    ]


def assemble(
    values: Mapping[str, Sequence[str | None]],
    index: Mapping[str, NDArray[Any]],
    names: Sequence[str],
    keep: NDArray[Any] | None,
) -> dict[str, _Column]:
    """Interned columns for the kept rows (all rows when ``keep`` is None; the values must
    then be in first-seen order and all used, as engines make them).

    >>> import numpy as np
    >>> values, index = {"code": ["a", "b"]}, {"code": np.array([0, 1, 0])}
    >>> cols = assemble(values, index, ["code"], keep=np.array([1, 2]))
    >>> cols["code"].values, list(cols["code"].index)
    (('b', 'a'), [0, 1])
    """

    out: dict[str, _Column] = {}
    for name in names:
        vals, idx = values[name], index[name]
        if keep is not None:
            out[name] = _Column.from_indices(vals, idx[keep])
            continue
        code = _typecode(len(vals))
        out[name] = _Column(vals, as_array(code, idx))
    return out


def check(m: Map, layout: Layout, raw: RawBatch) -> Checked:
    """Check a batch: rules on distinct values, every problem located, bad rows dropped.

    The one checker every engine calls. Repeated keys are not looked for here (see
    :func:`check_duplicates`): a batch is checked on its own.

    >>> import numpy as np, icmaps
    >>> m = icmaps.load_map("learning-school")
    >>> cols = {"subject": ["s"], "rater": ["r"], "occasion": ["o"], "role": [None],
    ...         "component": ["al-teacher-routine"], "code": ["2", "9"]}
    >>> idx = {k: np.zeros(2, dtype=np.uint32) for k in cols}
    >>> idx["code"] = np.array([0, 1], dtype=np.uint32)
    >>> out = check(m, Layout("r.csv", (), {"code": 5}), RawBatch(cols, idx, np.array([2, 3])))
    >>> len(out.levels), [str(p)[:32] for p in out.problems]
    (1, ["r.csv:3:5: code '9' is not allow"])
    """
    import numpy as np

    n = len(raw)
    names = layout.names
    if n == 0:
        empty = {name: _Column((), array.array("B")) for name in names}
        placed = tuple(sorted(raw.problems, key=Problem.sort_key))
        return Checked(
            m, empty, array.array("b"), layout.attrs, array.array("I"), placed, layout.path
        )
    verdict = judge(m, raw.values, raw.index)
    problems = list(raw.problems)
    bad = verdict.bad(n)
    keep = None
    levels, lines = verdict.levels, raw.lines
    if bad is not None:
        problems.extend(_located(verdict, layout, raw))
        keep = np.flatnonzero(~bad)
        levels, lines = levels[keep], lines[keep]
    cols = assemble(raw.values, raw.index, names, keep)
    return Checked(
        m,
        cols,
        as_array("b", levels),
        layout.attrs,
        as_array("I", lines),
        tuple(sorted(problems, key=Problem.sort_key)),
        layout.path,
    )


# -- repeated keys ---------------------------------------------------------------------------


def _shown(code: str | None) -> str:
    """A code as messages show it: quoted, or ``blank`` for a missing one."""
    return "blank" if code is None else repr(code)


def _what(names: Sequence[str | None]) -> str:
    sub, rat, occ, comp = names
    return f"subject {sub!r}, rater {rat!r}, occasion {occ!r}, component {comp!r}"


def _conflict(
    path: str | None, line: int, what: str, *, here: Any, there: Any, first: int
) -> Problem:
    msg = f"conflicting ratings for {what}: {_shown(here)} here, {_shown(there)} on line {first}"
    return Problem(path, line, None, msg, "", "error", here)


def _repeat(path: str | None, line: int, what: str, first: int) -> Problem:
    msg = f"repeated rating for {what} (same as line {first}); kept once"
    return Problem(path, line, None, msg, "", "warning")


def _index(col: _Column) -> NDArray[Any]:
    return as_numpy(col.index)  # type: ignore[no-any-return]


def check_duplicates(
    columns: Mapping[str, _Column], lines: Sequence[int], path: str | None
) -> tuple[NDArray[Any] | None, list[Problem]]:
    """Repeated subject/rater/occasion/component keys among checked ratings, as readers
    report them: different codes are errors and every rating of the key is dropped; an exact
    repeat is a warning and the first is kept. Returns the rows to keep (None: all) and the
    problems.

    >>> from icmaps.ratings.columns import _intern
    >>> cols = {k: _intern(v) for k, v in {"subject": "sss", "rater": "rrr", "occasion": "ooo",
    ...         "component": "ccc", "code": ["1", "1", "2"]}.items()}
    >>> keep, problems = check_duplicates(cols, [2, 3, 4], "r.csv")
    >>> keep.tolist(), [p.severity for p in problems]
    ([], ['error', 'error'])
    """
    import numpy as np

    groups = duplicate_groups([_index(columns[k]) for k in KEYS])
    if not groups:
        return None, []
    code = columns["code"]
    code_idx = code.index
    names = [columns[k].values for k in KEYS]
    key_idx = [columns[k].index for k in KEYS]
    drop = np.zeros(len(code_idx), dtype=bool)
    problems: list[Problem] = []
    for g in groups:
        rows = g.tolist()
        first = rows[0]
        what = _what([names[j][key_idx[j][first]] for j in range(4)])
        there = code.values[code_idx[first]]
        if len({code_idx[i] for i in rows}) > 1:
            drop[g] = True
            for i in rows[1:]:
                here = code.values[code_idx[i]]
                problems.append(
                    _conflict(path, lines[i], what, here=here, there=there, first=lines[first])
                )
        else:
            drop[g[1:]] = True
            problems.extend(_repeat(path, lines[i], what, lines[first]) for i in rows[1:])
    return np.flatnonzero(~drop), problems


# -- headers ---------------------------------------------------------------------------------


def _header_map(
    header: Sequence[str], m: Map, fmt: Literal["auto", "long", "wide"], path: str | None
) -> tuple[Literal["long", "wide"], dict[str, int], dict[str, int], list[Problem]]:
    """Match header names (case-insensitively) to columns. Returns the format, base/attribute
    column positions, component column positions (wide) and problems."""
    problems: list[Problem] = []
    names = [h.strip().lower() for h in header]
    comp_ids = {c.id.lower(): c.id for c in m.iter_components()}
    if fmt == "auto":
        fmt = _guess_form(names, comp_ids)
    pos: dict[str, int] = {}
    comps: dict[str, int] = {}
    for i, (raw, name) in enumerate(zip(header, names, strict=True)):
        if not name:
            problems.append(Problem(path, 1, i + 1, f"column {i + 1} has no name"))
            continue
        if is_helper_column(name) and name not in comp_ids:
            continue  # a template's text for the rater (component title, variation 1 ...)
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
    # a missing column is most often a typo of one: name that column and what it should be
    strangers = {
        name: i
        for name, i in pos.items()
        if name not in BASE_COLUMNS and name.lower() not in (*RATING_ATTRIBUTES, *TEXT_COLUMNS)
    }
    for want in list(missing):
        typo = _near(want, {n.lower(): n for n in strangers})
        if typo is None:
            continue
        i = strangers.pop(typo)
        missing.remove(want)
        problems.append(
            Problem(
                path,
                1,
                None,  # no column: the rows cannot be read without it (see _unusable)
                f"unknown column {typo!r} (column {i + 1}): did you mean {want!r}? "
                f"({_form_needs(fmt)})",
                value=typo,
            )
        )
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


def _guess_form(names: Sequence[str], comp_ids: Mapping[str, str]) -> Literal["long", "wide"]:
    """Long or wide, from a header (names lower-cased): a ``component`` or ``code`` column,
    or a near miss of one, says long; otherwise wide (one column per component id)."""
    if "component" in names or "code" in names:
        return "long"
    if any(n in comp_ids for n in names):
        return "wide"
    near_long = {"component": "component", "code": "code"}
    if any(len(n) >= 3 and _near(n, near_long) for n in names):
        return "long"
    return "wide"


def _form_needs(fmt: str) -> str:
    """What a header of the form needs, for messages."""
    if fmt == "long":
        return "a long-form file needs subject, rater, occasion, component and code"
    return "a wide-form file needs subject, rater, occasion and one column per component id"


def _unusable(problems: Sequence[Problem]) -> bool:
    """Whether header problems leave no way to read rows (a problem with no column)."""
    return any(p.line == 1 and p.column is None for p in problems)


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


MAX_CONSISTENCY_WARNINGS = 20
"""Most warnings of one kind (empty cells, attributes of one column) listed one by one; the
rest are counted in one more warning."""


def check_consistency(ratings: RatingSet, lines: Sequence[int], path: str | None) -> list[Problem]:
    """Warnings about ratings that read fine one by one but not together: ratings on an empty
    cell of the map (one warning per cell, with how many ratings and the first line), and a
    subject whose attribute (``district``, ``school`` ...) differs between rows (naming both
    lines). At most :data:`MAX_CONSISTENCY_WARNINGS` of each kind are listed.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> check_consistency(rs, list(range(2, len(rs) + 2)), "r.csv")
    []
    """
    import numpy as np

    m = ratings.map
    out: list[Problem] = []
    components = [str(c) for c in ratings.categories("component")]
    codes = ratings.categories("code")
    comp_idx = as_numpy(ratings.codes_of("component"))
    code_idx = as_numpy(ratings.codes_of("code"))
    # a code that names a level whose variation is empty, per (component, code) category
    empty = np.zeros((max(len(components), 1), max(len(codes), 1)), dtype=bool)
    cell_name: dict[tuple[int, int], str] = {}
    for i, cid in enumerate(components):
        texts = {v.code: (v.index, v.label, v.text) for v in m.variations_of(cid)}
        for j, code in enumerate(codes):
            if code is not None and code in texts and not texts[code][2]:
                empty[i, j] = True
                index, label, _ = texts[code]
                cell_name[(i, j)] = f"level {index + 1} {label!r}"
    if empty.any() and len(comp_idx):  # (most maps have no empty cell: no pass over rows)
        hit = np.flatnonzero(empty[comp_idx, code_idx])
    else:
        hit = np.zeros(0, np.int64)
    if len(hit):
        pair = comp_idx[hit].astype(np.int64) * max(len(codes), 1) + code_idx[hit]
        keys, first, count = np.unique(pair, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        for n, k in enumerate(order.tolist()):
            if n == MAX_CONSISTENCY_WARNINGS:
                out.append(_more(path, len(order) - n, "empty cells rated"))
                break
            i, j = divmod(int(keys[k]), max(len(codes), 1))
            row = int(hit[first[k]])
            many = f"{int(count[k])} ratings give" if count[k] > 1 else "a rating gives"
            first_here = " (this is the first)" if count[k] > 1 else ""
            out.append(
                Problem(
                    path,
                    int(lines[row]),
                    None,
                    f"{many} code {codes[j]!r} on {components[i]!r}: {cell_name[(i, j)]} is "
                    f"an empty cell of the map{first_here}",
                    "",
                    "warning",
                )
            )
    subject_codes = as_numpy(ratings.codes_of("subject"))
    n_subjects = len(ratings.categories("subject"))
    for attr in ratings.attributes:
        if attr in RATING_ATTRIBUTES:  # who rated may differ from row to row
            continue
        values = ratings.categories(attr)
        value_codes = as_numpy(ratings.codes_of(attr))
        # the usual answer, in linear time: each subject's rows all hold one value
        one = np.zeros(n_subjects, dtype=value_codes.dtype)
        one[subject_codes] = value_codes
        if np.array_equal(one[subject_codes], value_codes):
            continue
        subject = subject_codes.astype(np.int64)
        value = value_codes.astype(np.int64)
        # distinct (subject, value) pairs in linear time, and the first row of each
        pair_keys, pair_of = _unique_rows([subject, value])
        first = np.full(len(pair_keys), len(subject), dtype=np.int64)
        np.minimum.at(first, pair_of, np.arange(len(subject), dtype=np.int64))
        subj_of_pair = pair_keys[:, 0]
        clash = np.flatnonzero(np.bincount(subj_of_pair)[subj_of_pair] > 1)
        # per clashing subject: its first value, then each other value's first row
        shown = 0
        seen_first: dict[int, int] = {}
        for p in sorted(clash.tolist(), key=lambda p: int(first[p])):
            s, row = int(subj_of_pair[p]), int(first[p])
            if s not in seen_first:
                seen_first[s] = row
                continue
            if shown == MAX_CONSISTENCY_WARNINGS:
                # every clashing pair but each subject's first, less those listed
                rest = len(clash) - len(np.unique(subj_of_pair[clash])) - shown
                out.append(_more(path, max(rest, 1), f"more {attr} values that differ"))
                break
            shown += 1
            before = seen_first[s]
            out.append(
                Problem(
                    path,
                    int(lines[row]),
                    None,
                    f"subject {ratings.categories('subject')[s]!r} has {attr} "
                    f"{values[int(value[row])]!r} here but {values[int(value[before])]!r} on "
                    f"line {int(lines[before])}",
                    "",
                    "warning",
                )
            )
    return out


def _more(path: str | None, n: int, what: str, severity: Severity = "warning") -> Problem:
    return Problem(path, None, None, f"and {n} {what} (not listed)", "", severity)


def check_texts(
    ratings: RatingSet, lines: Sequence[int], path: str | None
) -> tuple[Any, list[Problem]]:
    """Note and evidence texts longer than :data:`MAX_TEXT_CHARS`: an error for each rating
    that carries one (at most :data:`MAX_CONSISTENCY_WARNINGS` listed, then a count), and
    the rows to keep (None: all).

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> check_texts(rs, list(range(2, len(rs) + 2)), "r.csv")
    (None, [])
    """
    import numpy as np

    bad_rows = np.zeros(len(ratings), dtype=bool)
    problems: list[Problem] = []
    for name in ratings.text_columns:
        values = ratings.categories(name)
        too_long = [i for i, v in enumerate(values) if v is not None and len(v) > MAX_TEXT_CHARS]
        if not too_long:
            continue
        index = as_numpy(ratings.codes_of(name))
        hit = np.isin(index, np.asarray(too_long))
        rows = np.flatnonzero(hit & ~bad_rows)
        for n, row in enumerate(rows.tolist()):
            if n == MAX_CONSISTENCY_WARNINGS:
                problems.append(_more(path, len(rows) - n, f"more {name} texts too long", "error"))
                break
            length = len(values[int(index[row])] or "")
            problems.append(
                Problem(
                    path,
                    int(lines[row]),
                    None,
                    f"{name}: {length} characters; at most {MAX_TEXT_CHARS} are kept with a "
                    "rating (shorten it or link to the evidence)",
                )
            )
        bad_rows |= hit
    if not bad_rows.any():
        return None, problems
    return np.flatnonzero(~bad_rows), problems
