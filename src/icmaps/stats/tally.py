"""Mergeable counts of ratings: the one counting step under every statistic."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from icmaps._tabular import Record, records_frame
from icmaps.errors import UsageError
from icmaps.maps.model import Map, Zone
from icmaps.ratings.columns import LEVEL_NA
from icmaps.stats.rules import (
    Key,
    check_columns,
    key_sort,
)

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings.ratingset import RatingSet

__all__ = [
    "Cell",
    "Distribution",
    "Tally",
    "tally",
]


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


@dataclasses.dataclass(frozen=True, eq=False)
class Tally:
    """The counts behind every summary: ``(key, component) -> Cell``, where ``key`` holds the
    values of the ``by`` columns. Tallies of the same map and grouping add up.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> fall, spring = rs.filter(occasion="2025-fall"), rs.filter(occasion="2026-spring")
    >>> tally(fall, by="occasion") + tally(spring, by="occasion") == tally(rs, by="occasion")
    True
    """

    map: Map
    by: tuple[str, ...]
    cells: Mapping[tuple[Key, str], Cell]

    def __add__(self, other: Tally) -> Tally:
        if not isinstance(other, Tally):
            return NotImplemented
        if (self.map.id, self.map.version) != (other.map.id, other.map.version):
            raise UsageError(
                f"cannot merge tallies of map {self.map.id!r} v{self.map.version} and "
                f"{other.map.id!r} v{other.map.version}"
            )
        if self.by != other.by:
            raise UsageError(
                f"cannot merge tallies grouped by {list(self.by)} and by {list(other.by)}"
            )
        cells = dict(self.cells)
        for k, c in other.cells.items():
            cells[k] = cells[k] + c if k in cells else c
        return Tally(self.map, self.by, cells)

    merge = __add__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        return (
            (self.map.id, self.map.version) == (other.map.id, other.map.version)
            and self.by == other.by
            and dict(self.cells) == dict(other.cells)
        )

    __hash__ = None  # type: ignore[assignment]

    def group_keys(self) -> tuple[Key, ...]:
        """The groups (values of the ``by`` columns), sorted; ``None`` (blank) last."""
        return tuple(sorted({k for k, _ in self.cells}, key=key_sort))

    @property
    def total(self) -> int:
        """Number of ratings counted."""
        return sum(c.total for c in self.cells.values())

    def _sorted_cells(self) -> list[tuple[tuple[Key, str], Cell]]:
        order = {c.id: i for i, c in enumerate(self.map.iter_components())}
        return sorted(
            self.cells.items(), key=lambda kc: (key_sort(kc[0][0]), order.get(kc[0][1], 0))
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data: the map, the grouping and every cell (groups sorted, components in map
        order)."""
        return {
            "map": {"id": self.map.id, "version": self.map.version},
            "by": list(self.by),
            "cells": [
                {
                    "key": list(k),
                    "component": c,
                    "levels": list(cell.levels),
                    "na": cell.na,
                    "missing": cell.missing,
                }
                for (k, c), cell in self._sorted_cells()
            ],
        }

    def to_records(self) -> list[Record]:
        """One flat row per group and component: the ``by`` columns, ``component``, one
        column per level (``level_0`` is the most desired), ``na`` and ``missing``."""
        width = max((len(c.levels) for c in self.cells.values()), default=0)
        out: list[Record] = []
        for (key, comp), cell in self._sorted_cells():
            rec: Record = dict(zip(self.by, key, strict=True))
            rec["component"] = comp
            for i in range(width):
                rec[f"level_{i}"] = cell.levels[i] if i < len(cell.levels) else None
            rec.update(na=cell.na, missing=cell.missing)
            out.append(rec)
        return out

    def to_pandas(self) -> pandas.DataFrame:
        """:meth:`to_records` as a DataFrame (needs pandas).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> list(tally(rs, by="occasion").to_pandas().columns)
        ['occasion', 'component', 'level_0', 'level_1', 'level_2', 'level_3', 'na', 'missing']
        """
        width = max((len(c.levels) for c in self.cells.values()), default=0)
        cols = (*self.by, "component", *(f"level_{i}" for i in range(width)), "na", "missing")
        return records_frame(self.to_records(), cols)

    def __repr__(self) -> str:
        return (
            f"<Tally of {self.map.id!r} by {list(self.by)}: {len(self.group_keys())} groups, "
            f"{self.total} ratings>"
        )


def tally(ratings: RatingSet, by: str | Iterable[str] | None = ()) -> Tally:
    """Count ratings per group (values of the ``by`` columns) x component x level.

    ``by`` names rating columns: ``subject``, ``rater``, ``occasion``, ``role`` or any subject
    attribute (``school``, ``district``, ...).

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> t = tally(rs, by="occasion")
    >>> t.group_keys()
    (('2025-fall',), ('2026-spring',))
    >>> t.cells[(("2025-fall",), "al-teacher-routine")]
    Cell(levels=(4, 7, 3, 0), na=0, missing=0)
    """
    names = _by(by)
    check_columns(ratings, names, forbid=("component", "code"))
    m = ratings.map
    key_vals = [ratings.categories(b) for b in names]
    comp_vals = ratings.categories("component")
    counter = Counter(
        zip(
            *(ratings.codes_of(b) for b in names),
            ratings.codes_of("component"),
            ratings.levels(),
            strict=True,
        )
    )
    sizes: dict[str, int] = {}
    acc: dict[tuple[Key, str], list[int]] = {}
    for (*parts, ci, lv), n in counter.items():
        key = tuple(key_vals[j][p] for j, p in enumerate(parts))
        comp = str(comp_vals[ci])
        size = sizes.get(comp)
        if size is None:
            size = sizes[comp] = len(m.scale_of(comp).levels)
        a = acc.get((key, comp))
        if a is None:
            a = acc[(key, comp)] = [0] * (size + 2)
        if lv >= 0:
            a[lv] += n
        elif lv == LEVEL_NA:
            a[size] += n
        else:
            a[size + 1] += n
    cells = {k: Cell(tuple(a[:-2]), a[-2], a[-1]) for k, a in acc.items()}
    return Tally(m, names, cells)


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

    def shares(self) -> tuple[float, float, float]:
        """Shares of ideal, acceptable and unacceptable (zeros when nothing counts)."""
        n = self.rated or 1
        return (self.ideal / n, self.acceptable / n, self.unacceptable / n)

    def __add__(self, other: Distribution) -> Distribution:
        return Distribution(
            *(getattr(self, f) + getattr(other, f) for f in _FIELDS),
        )


_FIELDS = ("ideal", "acceptable", "unacceptable", "na", "missing")
