"""Mergeable counts of ratings: the one counting step under every statistic."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from icmaps._grouping import sorted_runs, unique_rows as _unique_rows
from icmaps._optional import require
from icmaps._table import Column, Table, TableResult
from icmaps.errors import NotFoundError, Problem, UsageError
from icmaps.maps.model import Map, Zone
from icmaps.ratings.columns import LEVEL_MISSING, LEVEL_NA, as_array, as_numpy, level_table
from icmaps.stats.rules import (
    Key,
    check_columns,
    check_rule,
    key_sort,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    IntArray = NDArray[np.int64]
else:  # numpy is imported lazily
    IntArray = Any

if TYPE_CHECKING:
    import array

    from icmaps.ratings.occasions import OccasionOrder, Period
    from icmaps.ratings.ratingset import RatingSet

__all__ = [
    "Cell",
    "Counted",
    "Decisions",
    "Distribution",
    "LevelCounts",
    "MapRef",
    "Tally",
    "decide_counts",
    "decide_tally",
    "decisions",
    "tally",
]


_UNKNOWN = -3
"""Level of a (component, code) pair a merged tally has not met (no row of it uses it)."""


def _by(by: str | Iterable[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


# -- tallies --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Cell:
    """Counts of one component in one group: per level (desired first), N/A and missing.

    >>> Cell((1, 2), 0, 1) + Cell((0, 1), 2, 0)
    Cell(levels=(1, 3), na=2, missing=1)
    """

    levels: tuple[int, ...]
    na: int = 0
    missing: int = 0

    def __add__(self, other: Cell) -> Cell:
        if len(self.levels) != len(other.levels):
            raise UsageError("cannot add counts of scales with different numbers of levels")
        return Cell(
            tuple(a + b for a, b in zip(self.levels, other.levels, strict=True)),
            self.na + other.na,
            self.missing + other.missing,
        )

    @property
    def n(self) -> int:
        """Ratings on a level (the denominator of every share)."""
        return sum(self.levels)

    @property
    def total(self) -> int:
        """Every rating, N/A and missing included."""
        return self.n + self.na + self.missing


@dataclasses.dataclass(frozen=True, slots=True)
class MapRef:
    """A light reference to the map a tally counts against: id, version and a digest of its
    content (so tallies of two edits of one version do not merge by mistake)."""

    id: str
    version: str
    digest: str

    @classmethod
    def of(cls, m: Map) -> MapRef:
        """The reference of ``m``."""
        import hashlib

        digest = hashlib.sha256(m.model_dump_json().encode("utf-8")).hexdigest()[:16]
        return cls(m.id, m.version, digest)


@dataclasses.dataclass(frozen=True, eq=False)
class Tally(TableResult):
    """How many ratings gave each code, per group (values of the ``by`` columns) and
    component: the counts behind every statistic.

    Sparse and columnar: one row per (group, component, code) that occurs, held as numpy
    arrays of category indices with the categories beside them. Tallies of the same map add
    up (``+`` aligns the categories by value), so partial counts from many files, batches or
    workers combine; they pickle small (the map is referenced by id, version and digest, and
    carries only its code -> level table).

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> fall, spring = rs.filter(occasion="2025-fall"), rs.filter(occasion="2026-spring")
    >>> tally(fall, by="occasion") + tally(spring, by="occasion") == tally(rs, by="occasion")
    True
    """

    map_ref: MapRef
    by: tuple[str, ...]
    values: tuple[tuple[str | None, ...], ...]  # categories of each by column
    components: tuple[str, ...]  # categories of the component column
    codes: tuple[str | None, ...]  # categories of the code column (None: blank)
    level_codes: tuple[tuple[str, ...], ...]  # each component's level codes, desired first
    level_of: IntArray  # components x codes -> level (>= 0), LEVEL_NA, LEVEL_MISSING (or -3:
    # a pair of a merged tally that no rating has, whose level is not known)
    keys: IntArray  # rows x len(by) category indices
    component: IntArray  # rows: component index
    code: IntArray  # rows: code index
    count: IntArray  # rows: how many ratings

    @property
    def n_levels(self) -> tuple[int, ...]:
        """Levels of each component's scale (parallel to ``components``)."""
        return tuple(len(c) for c in self.level_codes)

    # -- adding up ---------------------------------------------------------------------------

    def __add__(self, other: Tally) -> Tally:
        if not isinstance(other, Tally):
            return NotImplemented
        if self.map_ref != other.map_ref:
            a, b = self.map_ref, other.map_ref
            same = (a.id, a.version) == (b.id, b.version)
            raise UsageError(
                f"cannot merge tallies of map {a.id!r} v{a.version} and {b.id!r} v{b.version}"
                + (" (same version, different content)" if same else "")
            )
        if self.by != other.by:
            raise UsageError(
                f"cannot merge tallies grouped by {list(self.by)} and by {list(other.by)}"
            )
        np = _np()
        values, remaps = (
            zip(
                *(_union(a, b) for a, b in zip(self.values, other.values, strict=True)), strict=True
            )
            if self.by
            else ((), ())
        )
        components, comp_remap = _union(self.components, other.components)
        codes, code_remap = _union(self.codes, other.codes)
        level_codes = dict(zip(self.components, self.level_codes, strict=True))
        level_codes |= dict(zip(other.components, other.level_codes, strict=True))
        # a (component, code) pair neither side has met stays unknown: no row uses it, and
        # writing it as missing would hide the true level a later tally brings
        level_of = np.full((len(components), len(codes)), _UNKNOWN, dtype=np.int8)
        for t, cm, km in ((self, None, None), (other, comp_remap, code_remap)):
            ci = np.arange(len(t.components)) if cm is None else cm
            ki = np.arange(len(t.codes)) if km is None else km
            block = level_of[np.ix_(ci, ki)]
            level_of[np.ix_(ci, ki)] = np.where(t.level_of != _UNKNOWN, t.level_of, block)
        other_keys = (
            np.column_stack([remaps[j][other.keys[:, j]] for j in range(len(self.by))])
            if self.by
            else other.keys
        )
        return _compact_rows(
            self.map_ref,
            self.by,
            tuple(values),
            components,
            codes,
            tuple(level_codes[c] for c in components),
            level_of,
            np.concatenate([self.keys, other_keys.reshape(len(other.count), len(self.by))]),
            np.concatenate([self.component, comp_remap[other.component]]),
            np.concatenate([self.code, code_remap[other.code]]),
            np.concatenate([self.count, other.count]),
        )[0]

    merge = __add__

    def regroup(self, by: str | Iterable[str] | None = ()) -> Tally:
        """The same counts grouped by some of the ``by`` columns (the others summed away).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> tally(rs, by=("occasion", "district")).regroup("occasion") == tally(rs, "occasion")
        True
        """
        names = _by(by)
        missing = [n for n in names if n not in self.by]
        if missing:
            raise NotFoundError(
                f"cannot regroup by {missing[0]!r}: the tally is grouped by {list(self.by)}"
            )
        if names == self.by:
            return self  # immutable: the same counts
        pos = [self.by.index(n) for n in names]
        return _compact_rows(
            self.map_ref,
            names,
            tuple(self.values[p] for p in pos),
            self.components,
            self.codes,
            self.level_codes,
            self.level_of,
            self.keys[:, pos],
            self.component,
            self.code,
            self.count,
        )[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        return (
            self.map_ref == other.map_ref
            and self.by == other.by
            and self._by_value() == other._by_value()
        )

    __hash__ = None  # type: ignore[assignment]

    def _by_value(self) -> dict[tuple[Key, str, str | None], int]:
        return {
            (
                tuple(self.values[j][k] for j, k in enumerate(key)),
                self.components[c],
                self.codes[d],
            ): int(n)
            for key, c, d, n in zip(
                self.keys.tolist(),
                self.component.tolist(),
                self.code.tolist(),
                self.count.tolist(),
                strict=True,
            )
        }

    # -- level counts ----------------------------------------------------------------------

    def level_counts(self) -> LevelCounts:
        """Per (group, component): ratings on each level (desired first), N/A and missing.

        The one place codes become levels; every statistic reads these rows.
        """
        np = _np()
        width = max(self.n_levels, default=0)
        # level of each row, by a flat gather (a 2-D fancy index is slower)
        n_codes = self.level_of.shape[1]
        level = self.level_of.reshape(-1)[self.component * n_codes + self.code].astype(np.int64)
        # column of each level value: N/A (-2) -> width, missing (-1) -> width + 1
        col = np.asarray([width, width + 1, *range(width)], dtype=np.int64)[level + 2]
        nb = len(self.by)
        cols = [*(self.keys[:, j] for j in range(nb)), self.component]
        # a tally's rows are sorted by (key, component, code): the cells are runs of rows
        uniq, inverse = sorted_runs(cols) or _unique_rows(cols)
        # np.add.at is slow; a flat bincount does the same scatter-add
        flat = np.bincount(
            inverse * (width + 2) + col, weights=self.count, minlength=len(uniq) * (width + 2)
        )
        counts = flat.astype(np.int64).reshape(len(uniq), width + 2)
        return LevelCounts(self, uniq[:, :nb], uniq[:, nb], counts, width, inverse, level)

    @property
    def cells(self) -> dict[tuple[Key, str], Cell]:
        """``(group key, component) -> Cell`` of level counts (groups by value)."""
        lc = self.level_counts()
        out: dict[tuple[Key, str], Cell] = {}
        for key, comp, row in zip(
            lc.keys.tolist(), lc.component.tolist(), lc.counts.tolist(), strict=True
        ):
            k = tuple(self.values[j][v] for j, v in enumerate(key))
            size = self.n_levels[comp]
            out[(k, self.components[comp])] = Cell(tuple(row[:size]), row[-2], row[-1])
        return out

    def _key(self, key: Sequence[int]) -> Key:
        return tuple(self.values[j][v] for j, v in enumerate(key))

    def group_keys(self) -> tuple[Key, ...]:
        """The groups (values of the ``by`` columns), sorted; ``None`` (blank) last."""
        seen = {self._key(key) for key in self.keys.tolist()}
        return tuple(sorted(seen, key=key_sort))

    @property
    def total(self) -> int:
        """Number of ratings counted."""
        return int(self.count.sum())

    def _sorted_cells(self, order: Mapping[str, int]) -> list[tuple[tuple[Key, str], Cell]]:
        return sorted(
            self.cells.items(), key=lambda kc: (key_sort(kc[0][0]), order.get(kc[0][1], 0))
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data: the map, the grouping, level counts per group and component
        (``cells``) and the raw count of every (group, component, code) (``counts``)."""
        rows = sorted(
            self._by_value().items(),
            key=lambda kv: (key_sort(kv[0][0]), kv[0][1], kv[0][2] is None, kv[0][2] or ""),
        )
        order = {c: i for i, c in enumerate(self.components)}
        return {
            "map": dataclasses.asdict(self.map_ref),
            "by": list(self.by),
            "cells": [
                {
                    "key": list(k),
                    "component": c,
                    "levels": list(cell.levels),
                    "na": cell.na,
                    "missing": cell.missing,
                }
                for (k, c), cell in self._sorted_cells(order)
            ],
            "counts": [
                {"key": list(k), "component": c, "code": code, "n": n} for (k, c, code), n in rows
            ],
        }

    def row(self, component: str, *, key: Key = ()) -> Cell:
        """The level counts of one component in one group (``key``: values of the ``by``
        columns); :class:`~icmaps.errors.NotFoundError` when nothing of it was counted there.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> tally(rs, by="occasion").row("al-teacher-routine", key=("2025-fall",)).levels
        (4, 7, 3, 0)
        """
        key = tuple(key)
        cell = self.cells.get((key, component))
        if cell is None:
            groups = ", ".join(map(str, self.group_keys())) or "none"
            comps = ", ".join(self.components[:8]) + (
                f" and {len(self.components) - 8} more" if len(self.components) > 8 else ""
            )
            raise NotFoundError(
                f"no counts of {component!r} for {dict(zip(self.by, key, strict=False))} "
                f"(components: {comps or 'none'}; groups: {groups})"
            )
        return cell

    def to_table(self) -> Table:
        """One row per group and component: the ``by`` columns, ``component``, one column per
        level (``level_0`` is the most desired), ``na`` and ``missing``.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> list(tally(rs, by="occasion").to_pandas().columns)
        ['occasion', 'component', 'level_0', 'level_1', 'level_2', 'level_3', 'na', 'missing']
        """
        width = max(self.n_levels, default=0)
        order = {c: i for i, c in enumerate(self.components)}
        cols = (
            *(Column(b) for b in self.by),
            Column("component"),
            *(Column(f"level_{i}", "int") for i in range(width)),
            Column("na", "int", "N/A"),
            Column("missing", "int"),
        )
        rows = tuple(
            (
                *key,
                comp,
                *(cell.levels[i] if i < len(cell.levels) else None for i in range(width)),
                cell.na,
                cell.missing,
            )
            for (key, comp), cell in self._sorted_cells(order)
        )
        facts = (
            ("map", f"{self.map_ref.id} {self.map_ref.version}"),
            ("by", ", ".join(self.by) or "–"),
            ("ratings", self.total),
        )
        return Table("Tally", cols, rows, facts)

    def __repr__(self) -> str:
        return (
            f"<Tally of {self.map_ref.id!r} by {list(self.by)}: {len(self.group_keys())} groups, "
            f"{self.total} ratings>"
        )


@dataclasses.dataclass(frozen=True, eq=False)
class LevelCounts:
    """Level counts per (group, component) of a tally: ``counts[i]`` holds the ratings on
    each level (desired first, padded to the widest scale), then N/A, then missing."""

    tally: Tally
    keys: IntArray  # rows x len(by) category indices into tally.values
    component: IntArray  # rows: index into tally.components
    counts: IntArray  # rows x (width + 2)
    width: int
    row_of: IntArray  # per tally row: the level-count row it was added to
    row_level: IntArray  # per tally row: the level of its code (or LEVEL_NA / LEVEL_MISSING)

    def shown_codes(self, rows: IntArray, levels: IntArray) -> list[str]:
        """The code to show for each of ``rows`` at ``levels`` (>= 0), as
        :func:`icmaps.stats.rules.code_at` chooses it: the level's own code when some rater
        wrote it, else another code given at that level (a special code that counts as the
        lowest level; the first such code met in the ratings), else the level's own code."""
        codes = self.tally.codes
        own = [
            self.tally.level_codes[c][lv]
            for c, lv in zip(self.component[rows].tolist(), levels.tolist(), strict=True)
        ]
        has_own, other = self.given_at(rows, levels, own)
        return [
            o if h or k < 0 else str(codes[k])
            for o, h, k in zip(own, has_own.tolist(), other.tolist(), strict=True)
        ]

    def given_at(
        self, rows: IntArray, levels: IntArray, own: Sequence[str | None] = ()
    ) -> tuple[IntArray, IntArray]:
        """For each of ``rows``: whether the code ``own[i]`` was given at ``levels[i]``, and
        the first code category (index into ``tally.codes``) given at that level (-1: none)."""
        np = _np()
        where = {c: i for i, c in enumerate(self.tally.codes)}
        own_idx = np.asarray([where.get(c, -1) for c in own] or [], dtype=np.int64)
        return self.given_at_index(rows, levels, own_idx if len(own) else None)

    def given_at_index(
        self, rows: IntArray, levels: IntArray, own: IntArray | None = None
    ) -> tuple[IntArray, IntArray]:
        """:meth:`given_at` with ``own`` as code category indices (-1: never given).
        Vectorised over the tally's code rows; ``rows`` are distinct."""
        np = _np()
        t = self.tally
        own_cat = self._own_categories()
        if own_cat is not None and (len(levels) == 0 or levels.min() >= 0):
            # every code on a level is that level's own code: no need to look at code rows
            given = self.counts[rows, levels] > 0
            first_own = np.where(given, own_cat[self.component[rows], levels], -1)
            has = given & (first_own == own) if own is not None else np.zeros(len(rows), bool)
            return has, first_own
        n = len(self.counts)
        want = np.full(n, -9, dtype=np.int64)
        want[rows] = levels
        own_idx = np.full(n, -1, dtype=np.int64)
        if own is not None:
            own_idx[rows] = own
        wanted = want[self.row_of]
        hit = (wanted == self.row_level) & (wanted != -9)
        first = np.full(n, -1, dtype=np.int64)
        hit_rows = np.flatnonzero(hit)
        cells, found = self.row_of[hit_rows], t.code[hit_rows]
        if (
            np.all(cells[1:] >= cells[:-1])
            and np.all(  # the usual layout: a tally's rows
                (cells[1:] != cells[:-1]) | (found[1:] >= found[:-1])  # run by cell, then code
            )
        ):
            lead = np.ones(len(cells), dtype=bool)
            lead[1:] = cells[1:] != cells[:-1]
            first[cells[lead]] = found[lead]
        else:  # np.minimum.at is slow but needs no order
            low = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(low, cells, found)
            first = np.where(low == np.iinfo(np.int64).max, -1, low)
        has_own = np.zeros(n, dtype=bool)
        is_own = hit & (t.code == own_idx[self.row_of])
        has_own[self.row_of[is_own]] = True
        return has_own[rows], first[rows]

    def _own_categories(self) -> IntArray | None:
        """Per component and level, the code category of the level's own code (-1: never
        given); ``None`` when some code counts on a level that is not its own (a special
        code counting as the lowest level, an alias), so codes must be looked up per row."""
        np = _np()
        t = self.tally
        index = {c: i for i, c in enumerate(t.codes)}
        own = np.full((max(len(t.components), 1), max(self.width, 1)), -1, dtype=np.int64)
        for ci, level_codes in enumerate(t.level_codes):
            own[ci, : len(level_codes)] = [index.get(c, -1) for c in level_codes]
        comp, code = np.nonzero(t.level_of >= 0)
        if (own[comp, t.level_of[comp, code]] != code).any():
            return None
        return own  # type: ignore[no-any-return]

    @property
    def rated(self) -> IntArray:
        """Counts on levels only (rows x width)."""
        return self.counts[:, : self.width]

    @property
    def na(self) -> IntArray:
        """N/A counts per row."""
        return self.counts[:, self.width]

    @property
    def missing(self) -> IntArray:
        """Missing counts per row."""
        return self.counts[:, self.width + 1]

    def key(self, i: int) -> Key:
        """The group key (values) of row ``i``."""
        t = self.tally
        return tuple(t.values[j][v] for j, v in enumerate(self.keys[i].tolist()))

    def decide(self, rule: str) -> tuple[IntArray, IntArray]:
        """One level per row by ``rule`` (see :func:`icmaps.stats.rules.decide`): the level
        (or LEVEL_NA / LEVEL_MISSING when no rating counts) and the second tied candidate
        (-1 when there was no tie; for modal ties, the most desired tied level)."""
        return decide_counts(self.rated, self.na, rule)


def decide_counts(rated: IntArray, na: IntArray, rule: str) -> tuple[IntArray, IntArray]:
    """Vectorised :func:`icmaps.stats.rules.decide` over rows of level counts.

    Returns per row the chosen level and the *other* end of a tie (-1 when no tie): for
    ``modal`` the most desired of the tied levels, for ``median`` the lower middle level.

    >>> import numpy as np
    >>> rated = np.array([[1, 2, 0], [1, 1, 0], [0, 0, 0]])
    >>> lv, tie = decide_counts(rated, np.array([0, 0, 1]), "modal")
    >>> lv.tolist(), tie.tolist()
    ([1, 1, -2], [-1, 0, -1])
    """
    np = _np()
    check_rule(rule)
    rows, width = rated.shape
    # scales are short (a handful of levels) and rows many: a loop over the level columns
    # is several times faster than reductions along the short axis
    cols = [np.ascontiguousarray(rated[:, j]) for j in range(width)]
    n = np.zeros(rows, dtype=np.int64)
    for c in cols:
        n += c
    none = np.where(na > 0, LEVEL_NA, LEVEL_MISSING)
    tie = np.full(rows, -1, dtype=np.int64)
    if width == 0:
        return none.astype(np.int64), tie
    level = np.zeros(rows, dtype=np.int64)
    if rule == "conservative":  # the last level anyone gave
        for j, c in enumerate(cols):
            np.maximum(level, (c > 0) * j, out=level)
    elif rule == "median":
        # the first level where the running count passes a middle = how many levels leave
        # the running count at or below it (the running count never falls)
        lo = np.zeros(rows, dtype=np.int64)
        low_mid, high_mid = (n - 1) // 2, n // 2
        cum = np.zeros(rows, dtype=np.int64)
        for c in cols:
            cum += c
            lo += cum <= low_mid
            level += cum <= high_mid
        tie = np.where(lo != level, lo, -1)
    else:  # modal: the last (least desired) most frequent level; a tie keeps the first too
        top = cols[0].copy()
        for c in cols[1:]:
            np.maximum(top, c, out=top)
        # arithmetic instead of masked assignment: last j at the top, first j at the top
        level[:] = -1
        first = np.full(rows, width, dtype=np.int64)
        n_top = np.zeros(rows, dtype=np.int64)
        for j, c in enumerate(cols):
            at = (c == top).astype(np.int64)
            np.maximum(level, at * (j + 1) - 1, out=level)
            np.minimum(first, width - at * (width - j), out=first)
            n_top += at
        tie = np.where(n_top > 1, first, -1)
    level = np.where(n > 0, level, none)
    tie = np.where(n > 0, tie, -1)
    return level.astype(np.int64), tie.astype(np.int64)


def tally(ratings: RatingSet | Counted, by: str | Iterable[str] | None = ()) -> Tally:
    """Count ratings per group (values of the ``by`` columns) x component x code.

    ``by`` names rating columns: ``subject``, ``rater``, ``occasion``, ``role`` or any subject
    attribute (``school``, ``district``, ...). One vectorised pass over the interned columns.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> t = tally(rs, by="occasion")
    >>> t.group_keys()
    (('2025-fall',), ('2026-spring',))
    >>> t.cells[(("2025-fall",), "al-teacher-routine")]
    Cell(levels=(4, 7, 3, 0), na=0, missing=0)

    ``ratings`` may also be :class:`Counted` (ratings counted while streamed, see
    :func:`icmaps.count_ratings`): its counts are regrouped, no rating is read again.
    """
    if isinstance(ratings, Counted):
        check_columns(ratings, _by(by), forbid=("component", "code"))
        return ratings.regrouped(_by(by))
    return tally_rows(ratings, by)[0]


def tally_rows(ratings: RatingSet, by: str | Iterable[str] | None = ()) -> tuple[Tally, IntArray]:
    """:func:`tally`, and for each rating the tally row it was counted in (so a caller can
    map results back to ratings without grouping the ratings a second time)."""
    np = _np()
    names = _by(by)
    check_columns(ratings, names, forbid=("component", "code"))
    m = ratings.map
    components = tuple(str(c) for c in ratings.categories("component"))
    codes = ratings.categories("code")
    table = level_table(m)
    level_codes = tuple(tuple(lv.code for lv in m.scale_of(c).desired()) for c in components)
    level_of = np.full((len(components), len(codes)), LEVEL_MISSING, dtype=np.int8)
    for i, comp in enumerate(components):
        for j, code in enumerate(codes):
            if code is not None:
                level_of[i, j] = table[comp].get(code, LEVEL_MISSING)
    keys = [as_numpy(ratings.codes_of(b)) for b in names]
    return _compact_rows(
        MapRef.of(m),
        names,
        tuple(ratings.categories(b) for b in names),
        components,
        codes,
        level_codes,
        level_of,
        keys,
        as_numpy(ratings.codes_of("component")),
        as_numpy(ratings.codes_of("code")),
        None,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class Decisions:
    """One level per unit and component, decided from the unit's level counts by a rule.

    ``units`` are the distinct unit keys (values of the unit columns), sorted with blanks
    last; per row, ``unit`` indexes them, ``component`` indexes ``components`` and ``level``
    is the decided level (LEVEL_NA / LEVEL_MISSING when no rating counts); ``tie`` is the
    other end of a tie (-1: none). ``counts`` are the level counts the decisions came from.
    """

    components: tuple[str, ...]
    unit: IntArray
    component: IntArray
    level: IntArray
    tie: IntArray
    counts: LevelCounts
    unit_codes: IntArray  # per unit (in ``units`` order): category index of each unit column

    @functools.cached_property
    def units(self) -> tuple[Key, ...]:
        """The unit keys as values (built on first use: many callers need only indices)."""
        np = _np()
        values = self.counts.tally.values
        if not values:
            return tuple(() for _ in range(len(self.unit_codes)))
        cols = (
            np.asarray(v, dtype=object)[self.unit_codes[:, j]].tolist()
            for j, v in enumerate(values)
        )
        return tuple(zip(*cols, strict=True))


def decisions(ratings: RatingSet | Counted, unit: Sequence[str], rule: str) -> Decisions:
    """Tally ``ratings`` by the ``unit`` columns and decide one level per unit and component.

    The one path from ratings to per-unit levels: consensus, fidelity, comparisons, gaps and
    configurations all start here.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> d = decisions(rs, ("subject", "occasion"), "median")
    >>> d.units[0], len(d.level) == len(d.unit)
    (('central-high', '2025-fall'), True)
    """
    check_rule(rule)
    return decide_tally(tally(ratings, by=tuple(unit)), rule)


def decide_tally(t: Tally, rule: str) -> Decisions:
    """:func:`decisions` on a tally grouped by the unit columns (e.g. a merged one)."""
    np = _np()
    lc = t.level_counts()
    level, tie = lc.decide(rule)
    unit_cols = [lc.keys[:, j] for j in range(lc.keys.shape[1])]
    uniq, inverse = sorted_runs(unit_cols) or _unique_rows(lc.keys)
    # sort units as key_sort would, by each column's category rank (blanks last)
    ranks = [value_ranks(values)[uniq[:, j]] for j, values in enumerate(t.values)]
    n_units = len(uniq)
    order = np.lexsort(ranks[::-1]) if ranks else np.arange(n_units)
    rank = np.empty(n_units, dtype=np.int64)
    rank[order] = np.arange(n_units)
    return Decisions(
        t.components,
        rank[inverse] if n_units else inverse,
        lc.component,
        level,
        tie,
        lc,
        uniq[order],
    )


# -- counted ratings ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Counted:
    """Ratings counted, not held: their map, a :class:`Tally` grouped by the columns kept,
    and the problems met while reading them.

    What :func:`icmaps.count_ratings` (a stream of batches) and :func:`icmaps.dask.tally`
    (partitions on many workers) give. :func:`~icmaps.summarize`, :func:`~icmaps.fidelity`,
    :func:`~icmaps.compare`, :func:`~icmaps.consensus`, :func:`~icmaps.agreement` and
    :func:`~icmaps.report` accept it in place of a :class:`~icmaps.RatingSet`, as long as
    the tally kept the columns they group by (``tally.by``); the answers are the same.
    Counted ratings add up (``+``), so files, batches and workers combine; they pickle small.

    >>> import icmaps
    >>> path = icmaps.example_ratings("learning-school")
    >>> c = icmaps.count_ratings(path, "learning-school", by=("subject", "occasion"))
    >>> len(c), c.tally.by
    (560, ('subject', 'occasion'))
    >>> rs = icmaps.read_ratings(path, "learning-school")
    >>> icmaps.summarize(c, by="occasion") == icmaps.summarize(rs, by="occasion")
    True
    """

    map: Map
    tally: Tally
    problems: tuple[Problem, ...] = ()
    columns: tuple[str, ...] = ()  # every extra column the source had (counted or not)
    text: tuple[str, ...] = ()  # of those, the free-text ones (note, evidence)

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)

    def __len__(self) -> int:
        return self.tally.total

    def __add__(self, other: Counted) -> Counted:
        if not isinstance(other, Counted):
            return NotImplemented
        return Counted(
            self.map,
            self.tally + other.tally,
            (*self.problems, *other.problems),
            (*self.columns, *(c for c in other.columns if c not in self.columns)),
            (*self.text, *(c for c in other.text if c not in self.text)),
        )

    def __repr__(self) -> str:
        return (
            f"<Counted {self.map.id!r} by {list(self.tally.by)}: {len(self)} ratings, "
            f"{len(self.problems)} problems>"
        )

    # -- what the statistics read (the part of RatingSet's interface they use) -------------

    @property
    def attributes(self) -> tuple[str, ...]:
        """The source's attribute columns (what ratings can be grouped by)."""
        return tuple(c for c in self.columns if c not in self.text)

    @property
    def text_columns(self) -> tuple[str, ...]:
        """The source's free-text columns (never counted)."""
        return self.text

    def regrouped(self, by: tuple[str, ...]) -> Tally:
        """The counts grouped by ``by`` (columns the tally kept); :class:`NotFoundError`
        naming what to count by otherwise."""
        missing = [b for b in by if b not in self.tally.by]
        if missing:
            raise NotFoundError(
                f"the ratings were counted by {list(self.tally.by)}, not by {missing[0]!r}: "
                f"count them with by= including {', '.join(map(repr, missing))} "
                "(by=None keeps every column)"
            )
        return self.tally.regroup(by)

    def _pos(self, name: str) -> int:
        if name not in self.tally.by:
            self.regrouped((name,))  # raises, naming the columns counted
        return self.tally.by.index(name)

    def _index(self, name: str) -> tuple[tuple[str | None, ...], IntArray]:
        """A column's categories and per-tally-row index (component and code included)."""
        t = self.tally
        if name == "component":
            return t.components, t.component
        if name == "code":
            return t.codes, t.code
        j = self._pos(name)
        return t.values[j], t.keys[:, j]

    def categories(self, name: str) -> tuple[str | None, ...]:
        """Distinct values of a counted column that some rating has, in first-seen order."""
        np = _np()
        values, index = self._index(name)
        used = np.zeros(len(values), dtype=bool)
        used[index] = True
        return tuple(v for v, u in zip(values, used.tolist(), strict=True) if u)

    def has_roles(self) -> bool:
        """Whether any counted rating names a role."""
        return "role" in self.tally.by and any(v is not None for v in self.categories("role"))

    def _per_rating(self, per_row: IntArray) -> IntArray:
        np = _np()
        count = self.tally.count
        return per_row if bool((count == 1).all()) else np.repeat(per_row, count)

    def codes_of(self, name: str) -> array.array[int]:
        """Per counted rating, the index of its value into :meth:`categories`' full list
        (ratings of one tally row are adjacent; their order is the tally's, not the file's)."""

        np = _np()
        values, index = self._index(name)
        used = np.zeros(len(values), dtype=bool)
        used[index] = True
        rank = np.cumsum(used) - 1  # position among the used categories
        per = self._per_rating(rank[index]).astype(np.uint32)
        return as_array("I", per)

    def levels(self) -> array.array[int]:
        """Per counted rating (as :meth:`codes_of`): its level, LEVEL_MISSING or LEVEL_NA."""
        t = self.tally
        n_codes = t.level_of.shape[1]
        level = t.level_of.reshape(-1)[t.component * n_codes + t.code]
        return as_array("b", self._per_rating(level))

    def occasion_order(self, occasions: Sequence[str] | None = None) -> OccasionOrder:
        """The occasions in time order (as :meth:`icmaps.RatingSet.occasion_order`)."""
        from icmaps.ratings.occasions import order_occasions

        found = [str(o) for o in self.categories("occasion") if o is not None]
        return order_occasions(found, occasions)

    def _with(self, t: Tally) -> Counted:
        return dataclasses.replace(self, tally=t)

    def _rows(self, keep: IntArray) -> Counted:
        """The counts of the tally rows where ``keep`` (a boolean mask) holds."""
        t = self.tally
        return self._with(
            dataclasses.replace(
                t,
                keys=t.keys[keep],
                component=t.component[keep],
                code=t.code[keep],
                count=t.count[keep],
            )
        )

    def filter(self, **criteria: str | Iterable[str | None] | None) -> Counted:
        """Counts of the ratings whose (counted) columns match, as
        :meth:`icmaps.RatingSet.filter`."""
        np = _np()
        keep = np.ones(len(self.tally.count), dtype=bool)
        for name, wanted in criteria.items():
            values, index = self._index(name)
            allowed = {wanted} if wanted is None or isinstance(wanted, str) else set(wanted)
            ok = np.asarray([v in allowed for v in values] or [False], dtype=bool)
            keep &= ok[index]
        return self._rows(keep)

    def for_role(self, role: str) -> Counted:
        """Counts as one role sees them (as :meth:`icmaps.RatingSet.for_role`); needs
        ``role`` counted when some rating names a role."""
        self.map.role(role)
        comps = [c for c in self.tally.components if self.map.applies_to(c, role)]
        criteria: dict[str, str | Iterable[str | None] | None] = {"component": comps}
        if "role" in self.tally.by:
            criteria["role"] = [role, None]
        return self.filter(**criteria)

    def in_periods(self, period: Period | Mapping[str, str]) -> Counted:
        """The same counts with each occasion replaced by its period (as
        :meth:`icmaps.RatingSet.in_periods`)."""
        from icmaps.ratings.occasions import periods

        np = _np()
        t = self.tally
        j = self._pos("occasion")
        old = t.values[j]
        to = periods([str(v) for v in self.categories("occasion") if v is not None], period)
        new: dict[str | None, int] = {}
        remap = np.asarray(
            [new.setdefault(None if v is None else to.get(str(v), v), len(new)) for v in old]
            or [0],
            dtype=np.int64,
        )
        keys = t.keys.copy()
        keys[:, j] = remap[keys[:, j]]
        values = (*t.values[:j], tuple(new), *t.values[j + 1 :])
        merged = _compact_rows(
            t.map_ref,
            t.by,
            values,
            t.components,
            t.codes,
            t.level_codes,
            t.level_of,
            keys,
            t.component,
            t.code,
            t.count,
        )[0]
        return self._with(merged)


# -- helpers -----------------------------------------------------------------------------------


def value_ranks(values: Sequence[str | None]) -> IntArray:
    """Each category's rank in :func:`icmaps.stats.rules.key_sort` order (blanks last), so
    rows of category indices sort as their values would.

    >>> value_ranks(["b", None, "a"]).tolist()
    [1, 2, 0]
    """
    np = _np()
    sort_keys = [(v is None, v or "") for v in values]  # key_sort of one value
    by_value = sorted(range(len(values)), key=sort_keys.__getitem__)
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[np.asarray(by_value, dtype=np.int64)] = np.arange(len(values))
    return ranks  # type: ignore[no-any-return]


def _np() -> Any:
    return require("numpy", "statistics need numpy", extra="fast")


def _union(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[tuple[Any, ...], IntArray]:
    """Categories of ``a`` then the new ones of ``b``, and where each of ``b``'s went."""
    np = _np()
    index = {v: i for i, v in enumerate(a)}
    out = list(a)
    remap = []
    for v in b:
        i = index.get(v)
        if i is None:
            i = index[v] = len(out)
            out.append(v)
        remap.append(i)
    return tuple(out), np.asarray(remap, dtype=np.int64)


def tally_sorted(t: Tally) -> Tally:
    """``t`` with one row per distinct (group, component, code), rows sorted, counts summed
    (the form every tally is built in)."""
    return _compact_rows(
        t.map_ref,
        t.by,
        t.values,
        t.components,
        t.codes,
        t.level_codes,
        t.level_of,
        t.keys,
        t.component,
        t.code,
        t.count,
    )[0]


def _compact_rows(  # noqa: PLR0917 (the fields of a Tally, in order)
    map_ref: MapRef,
    by: tuple[str, ...],
    values: tuple[tuple[str | None, ...], ...],
    components: tuple[str, ...],
    codes: tuple[str | None, ...],
    level_codes: tuple[tuple[str, ...], ...],
    level_of: IntArray,
    keys: IntArray | list[IntArray],
    component: IntArray,
    code: IntArray,
    count: IntArray | None,
) -> tuple[Tally, IntArray]:
    """A tally with one row per distinct (key, component, code), counts summed, and the
    tally row of each input row."""
    np = _np()
    key_cols = list(keys) if isinstance(keys, list) else [keys[:, j] for j in range(len(by))]
    uniq, inverse = _unique_rows([*key_cols, component, code])
    if count is None:  # one rating per row
        summed = np.bincount(inverse, minlength=len(uniq)).astype(np.int64)
    else:
        summed = np.bincount(inverse, weights=count, minlength=len(uniq)).astype(np.int64)
    nb = len(by)
    t = Tally(
        map_ref,
        by,
        values,
        components,
        codes,
        level_codes,
        level_of,
        uniq[:, :nb],
        uniq[:, nb],
        uniq[:, nb + 1],
        summed,
    )
    return t, inverse


# -- zones ---------------------------------------------------------------------------------

_ZONES: tuple[Zone, ...] = ("ideal", "acceptable", "unacceptable")


@dataclasses.dataclass(frozen=True, slots=True)
class Distribution:
    """Ratings of one component (or pooled over several) by zone, plus N/A and missing.

    >>> d = Distribution(ideal=2, acceptable=1, unacceptable=1, na=1, missing=0)
    >>> d.rated, d.share_ideal, d.share_acceptable
    (4, 0.5, 0.75)
    """

    ideal: int = 0
    acceptable: int = 0
    unacceptable: int = 0
    na: int = 0
    missing: int = 0

    @property
    def rated(self) -> int:
        """Ratings that count (every zone; N/A and missing left out)."""
        return self.ideal + self.acceptable + self.unacceptable

    @property
    def hidden(self) -> bool:
        """Always False: no figure of a Distribution is hidden (see ``ShownDistribution``)."""
        return False

    @property
    def share_ideal(self) -> float | None:
        """Share of counted ratings in the ideal zone (None when nothing counts)."""
        return self.ideal / self.rated if self.rated else None

    @property
    def share_acceptable(self) -> float | None:
        """Share of counted ratings at or above the dashed line (ideal or acceptable)."""
        return (self.ideal + self.acceptable) / self.rated if self.rated else None

    @classmethod
    def of(cls, cell: Cell | None, zones: Sequence[Zone]) -> Distribution:
        """The zone counts of a tally cell (:class:`icmaps.Cell`) of a component
        whose desired-first levels lie in ``zones``; all zeros for ``None`` (no ratings).

        >>> from icmaps.stats.tally import Cell
        >>> Distribution.of(Cell((2, 1, 1), na=1), ("ideal", "acceptable", "unacceptable"))
        Distribution(ideal=2, acceptable=1, unacceptable=1, na=1, missing=0)
        """
        if cell is None:
            return cls()
        z = dict.fromkeys(_ZONES, 0)
        for zone, n in zip(zones, cell.levels, strict=True):
            z[zone] += n
        return cls(z["ideal"], z["acceptable"], z["unacceptable"], cell.na, cell.missing)

    def to_dict(self) -> dict[str, object]:
        """Plain data: the counts, the rated total and the two shares (0-1, None when nothing
        counts).

        >>> Distribution(2, 1, 1).to_dict()["share_ideal"]
        0.5
        """
        return {
            "ideal": self.ideal,
            "acceptable": self.acceptable,
            "unacceptable": self.unacceptable,
            "na": self.na,
            "missing": self.missing,
            "rated": self.rated,
            "share_ideal": self.share_ideal,
            "share_acceptable": self.share_acceptable,
        }

    def shares(self) -> tuple[float, float, float]:
        """Shares of ideal, acceptable and unacceptable (zeros when nothing counts)."""
        n = self.rated or 1
        return (self.ideal / n, self.acceptable / n, self.unacceptable / n)

    def __add__(self, other: Distribution) -> Distribution:
        return Distribution(
            *(getattr(self, f) + getattr(other, f) for f in _FIELDS),
        )


_FIELDS = ("ideal", "acceptable", "unacceptable", "na", "missing")
