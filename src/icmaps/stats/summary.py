"""Aggregating ratings: mergeable tallies, summaries, consensus profiles and fidelity.

Every summary is computed from a :class:`Tally`: per group of ratings (the values of the
``by`` columns) and component, how many ratings fell on each level, how many were N/A and how
many were missing. Tallies add, so partial results from many files or workers combine:
``summarize(a + b) == summarize(a).merge(summarize(b))``.

Counting rules (see docs/statistics.md):

* a rating with a level code counts on that level; a special code that counts as ``lowest``
  (non-use) counts on the least desired level;
* a special code that counts as ``excluded`` is **N/A**; a blank code or a special code that
  counts as ``missing`` is **missing**;
* every denominator (``n``) is the number of ratings on a level: N/A and missing are reported
  but excluded.

>>> import icmaps
>>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
>>> s = summarize(rs, by=["occasion"])
>>> row = s.row("al-teacher-routine", key=("2025-fall",))
>>> row.counts, row.n, row.na, row.missing
((4, 7, 3, 0), 14, 0, 0)
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.maps.zones import ZONE_RANK
from icmaps.stats.rules import (
    Key,
)
from icmaps.stats.tally import Cell, Distribution, MapRef, Tally, tally

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet

__all__ = ["Scope", "Summary", "SummaryRow", "summarize"]


Scope = Literal["map", "role", "group", "component"]
"""What a summary row covers: every component, those of one role, of one group (with its
subgroups), or one component."""


# -- summaries ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SummaryRow:
    """Aggregates of one component, or of a roll-up (the map, a role, a group), in one group
    of ratings.

    ``codes`` and ``counts`` are per level, desired first; they are ``None`` for a roll-up
    over components on different scales. Zone counts, shares and scores are always given.
    ``mean_score`` and ``median_score`` use the levels' scores (ratings of components whose
    scale has no scores are left out; ``None`` when none has).
    """

    key: Key
    scope: Scope
    id: str
    kind: str
    title: str
    depth: int
    codes: tuple[str, ...] | None
    counts: tuple[int, ...] | None
    n: int
    na: int
    missing: int
    n_ideal: int
    n_acceptable: int
    n_unacceptable: int
    mean_score: float | None
    median_score: float | None

    @property
    def shares(self) -> tuple[float, ...] | None:
        """Share (0-1) of rated (``n``) on each level, desired first; sums to 1."""
        if self.counts is None or not self.n:
            return None
        return tuple(c / self.n for c in self.counts)

    @property
    def share_ideal(self) -> float | None:
        """Share (0-1) of rated in the ideal zone (None when nothing was rated)."""
        return self.n_ideal / self.n if self.n else None

    @property
    def share_ideal_or_acceptable(self) -> float | None:
        """Share (0-1) of rated in the ideal or acceptable zone."""
        return (self.n_ideal + self.n_acceptable) / self.n if self.n else None

    @property
    def pct(self) -> tuple[float, ...] | None:
        """:attr:`shares` in percent (0-100); kept for compatibility, use :attr:`shares`."""
        if self.counts is None or not self.n:
            return None
        return tuple(100.0 * c / self.n for c in self.counts)

    @property
    def pct_ideal(self) -> float | None:
        """:attr:`share_ideal` in percent (0-100); kept for compatibility."""
        return 100.0 * self.n_ideal / self.n if self.n else None

    @property
    def pct_ideal_or_acceptable(self) -> float | None:
        """:attr:`share_ideal_or_acceptable` in percent (0-100); kept for compatibility."""
        return 100.0 * (self.n_ideal + self.n_acceptable) / self.n if self.n else None

    def zones(self) -> Distribution:
        """The zone counts with N/A and missing (drawn as a zone bar)."""
        return Distribution(
            self.n_ideal, self.n_acceptable, self.n_unacceptable, self.na, self.missing
        )

    def distribution(self) -> dict[str, int] | None:
        """Counts per level code, desired first."""
        if self.codes is None or self.counts is None:
            return None
        return dict(zip(self.codes, self.counts, strict=True))

    def to_record(self, by: Sequence[str]) -> Record:
        """A flat row (what CSV and pandas get)."""
        rec: Record = dict(zip(by, self.key, strict=True))
        dist = self.distribution()
        rec.update(
            scope=self.scope,
            id=self.id,
            kind=self.kind,
            title=self.title,
            n=self.n,
            na=self.na,
            missing=self.missing,
            distribution=None if dist is None else " ".join(f"{c}:{n}" for c, n in dist.items()),
            n_ideal=self.n_ideal,
            n_acceptable=self.n_acceptable,
            n_unacceptable=self.n_unacceptable,
            share_ideal=self.share_ideal,
            share_ideal_or_acceptable=self.share_ideal_or_acceptable,
            mean_score=self.mean_score,
            median_score=self.median_score,
        )
        return rec


_ROW_COLUMNS = (
    "scope",
    "id",
    "kind",
    "title",
    "n",
    "na",
    "missing",
    "distribution",
    "n_ideal",
    "n_acceptable",
    "n_unacceptable",
    "share_ideal",
    "share_ideal_or_acceptable",
    "mean_score",
    "median_score",
)


class _Acc:
    """Running totals of a roll-up."""

    __slots__ = ("codes", "counts", "hist", "missing", "mixed", "n", "na", "zones")

    def __init__(self) -> None:
        self.codes: tuple[str, ...] | None = None
        self.counts: list[int] | None = None
        self.n = self.na = self.missing = 0
        self.zones = [0, 0, 0]
        self.hist: Counter[float] = Counter()
        self.mixed = False

    def add(self, cell: Cell, info: _Info) -> None:
        if self.counts is None and not self.mixed:
            self.codes, self.counts = info.codes, list(cell.levels)
        elif self.codes == info.codes and self.counts is not None:
            for i, c in enumerate(cell.levels):
                self.counts[i] += c
        else:
            self.codes = self.counts = None
            self.mixed = True
        self.n += cell.n
        self.na += cell.na
        self.missing += cell.missing
        for i, c in enumerate(cell.levels):
            if c:
                self.zones[info.zones[i]] += c
                s = info.scores[i]
                if s is not None:
                    self.hist[s] += c

    def row(
        self, key: Key, *, scope: Scope, id: str, kind: str, title: str, depth: int
    ) -> SummaryRow:
        mean = median = None
        if self.hist:
            total = sum(self.hist.values())
            mean = sum(s * c for s, c in self.hist.items()) / total
            median = _hist_median(self.hist, total)
        return SummaryRow(
            key,
            scope,
            id,
            kind,
            title,
            depth,
            self.codes,
            None if self.counts is None else tuple(self.counts),
            self.n,
            self.na,
            self.missing,
            self.zones[0],
            self.zones[1],
            self.zones[2],
            mean,
            median,
        )


def _hist_median(hist: Mapping[float, int], total: int) -> float:
    """Median of a histogram: the middle value, or the mean of the two middle values."""
    lo_i, hi_i = (total - 1) // 2, total // 2
    lo = hi = None
    seen = 0
    for s in sorted(hist):
        seen += hist[s]
        if lo is None and seen > lo_i:
            lo = s
        if seen > hi_i:
            hi = s
            break
    assert lo is not None
    assert hi is not None
    return (lo + hi) / 2


@dataclasses.dataclass(frozen=True, slots=True)
class _Info:
    codes: tuple[str, ...]
    zones: tuple[int, ...]
    scores: tuple[float | None, ...]


def _info(m: Map, component_id: str) -> _Info:
    lv = m.scale_of(component_id).desired()
    scores = tuple(x.score for x in lv)
    return _Info(
        tuple(x.code for x in lv),
        tuple(ZONE_RANK[x.zone] for x in lv),
        scores if all(s is not None for s in scores) else (None,) * len(lv),
    )


def _summary_rows(m: Map, t: Tally) -> tuple[SummaryRow, ...]:
    infos = {c.id: _info(m, c.id) for c in m.iter_components()}
    by_key: dict[Key, dict[str, Cell]] = {}
    for (k, comp), cell in t.cells.items():
        by_key.setdefault(k, {})[comp] = cell
    rows: list[SummaryRow] = []

    def rollup(key: Key, comps: Iterable[str], what: tuple[Scope, str, str, str, int]) -> None:
        scope, id, kind, title, depth = what
        cells = by_key[key]
        acc = _Acc()
        any_cell = False
        for c in comps:
            cell = cells.get(c)
            if cell is not None:
                acc.add(cell, infos[c])
                any_cell = True
        if any_cell:
            rows.append(acc.row(key, scope=scope, id=id, kind=kind, title=title, depth=depth))

    all_ids = list(infos)
    outline = m.outline()
    for key in t.group_keys():
        rollup(key, all_ids, ("map", m.id, "map", m.title, 0))
        for r in m.roles:
            ids = [c for c in all_ids if m.applies_to(c, r.id)]
            rollup(key, ids, ("role", r.id, "role", r.label, 1))
        for node in outline:
            if node.kind == "group":
                g = m.group(node.id)
                rollup(key, node.below, ("group", g.id, g.kind, g.title, node.depth + 1))
            else:
                title = m.component(node.id).title
                rollup(key, node.below, ("component", node.id, "component", title, node.depth + 1))
    return tuple(rows)


@dataclasses.dataclass(frozen=True, eq=False)
class Summary(TableResult):
    """Distributions, zone shares and scores per component and roll-up, per group of ratings.

    Built from a :class:`Tally` (``summary.tally``); two summaries are equal when their
    tallies are, and :meth:`merge` adds them. Rows come per group (sorted), each group
    starting with the whole map, then each role, then the hierarchy depth first (a group's
    roll-up, its own components, its subgroups).
    """

    map: Map
    tally: Tally
    rows: tuple[SummaryRow, ...] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tally.map_ref != MapRef.of(self.map):
            raise UsageError(
                f"the tally counts map {self.tally.map_ref.id!r} v{self.tally.map_ref.version}, "
                f"not {self.map.id!r} v{self.map.version}"
            )
        object.__setattr__(self, "rows", _summary_rows(self.map, self.tally))

    @property
    def by(self) -> tuple[str, ...]:
        """The grouping columns."""
        return self.tally.by

    def merge(self, other: Summary) -> Summary:
        """The summary of both sets of ratings (tallies added).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> a, b = rs.filter(district="north-valley-usd"), rs.filter(district="eastport-sd")
        >>> summarize(a).merge(summarize(b)) == summarize(a + b)
        True
        """
        return Summary(self.map, self.tally + other.tally)

    __add__ = merge

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return self.tally == other.tally

    __hash__ = None  # type: ignore[assignment]

    def group_keys(self) -> tuple[Key, ...]:
        """The groups, sorted."""
        return self.tally.group_keys()

    def row(self, id: str, *, key: Key = (), scope: Scope | None = None) -> SummaryRow:
        """The row of a component, group, role or the map (its id) in one group of ratings.

        Raises :class:`~icmaps.errors.NotFoundError` when there is no such row (nothing rated).
        """
        key = tuple(key)
        for r in self.rows:
            if r.id == id and r.key == key and (scope is None or r.scope == scope):
                return r
        ids = list(dict.fromkeys(r.id for r in self.rows))
        keys = ", ".join(" / ".join(map(str, k)) for k in self.group_keys()) or "none"
        raise NotFoundError(
            f"no summary row {id!r}"
            + (f" ({scope})" if scope else "")
            + f" for {dict(zip(self.by, key, strict=False))}; rows: "
            + ", ".join(ids[:8])
            + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            + f"; groups: {keys}"
        )

    def components(self) -> tuple[SummaryRow, ...]:
        """The component rows only."""
        return tuple(r for r in self.rows if r.scope == "component")

    def to_table(self) -> Table:
        """Every row as a neutral table: data columns as :meth:`to_records`, plus a row label,
        the counts and a zone bar for people."""
        cols = (
            *(Column(b) for b in self.by),
            Column("scope", show=False),
            Column("id", show=False),
            Column("kind", show=False),
            Column("title", show="html"),
            Column("row", indent=True, data=False),
            Column("n", "int"),
            Column("na", "int", "N/A"),
            Column("missing", "int"),
            Column("distribution", show=False),
            Column("counts", label="counts (desired first)", data=False),
            Column("n_ideal", "int", show=False),
            Column("n_acceptable", "int", show=False),
            Column("n_unacceptable", "int", show=False),
            Column("zones", "zones", data=False),
            Column("share_ideal", "share", "% ideal"),
            Column("share_ideal_or_acceptable", "share", "% ideal+acc"),
            Column("mean_score", "float", "mean"),
            Column("median_score", "float", "median"),
        )
        rows = []
        for r in self.rows:
            dist = r.distribution()
            rows.append(
                (
                    *r.key,
                    r.scope,
                    r.id,
                    r.kind,
                    r.title,
                    r.id if r.scope == "component" else f"[{r.kind}] {r.id}",
                    r.n,
                    r.na,
                    r.missing,
                    None if dist is None else " ".join(f"{c}:{n}" for c, n in dist.items()),
                    "" if r.counts is None else "/".join(map(str, r.counts)),
                    r.n_ideal,
                    r.n_acceptable,
                    r.n_unacceptable,
                    r.zones(),
                    r.share_ideal,
                    r.share_ideal_or_acceptable,
                    r.mean_score,
                    r.median_score,
                )
            )
        facts = (
            ("map", self.map.id),
            ("by", ", ".join(self.by) or "–"),
            ("ratings", self.tally.total),
        )
        return Table(
            "Summary",
            cols,
            tuple(rows),
            facts,
            roll=tuple(r.scope != "component" for r in self.rows),
            depth=tuple(r.depth for r in self.rows),
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data (``icmaps summarize --format json``): rows with counts per code and the
        share (0-1) on each level."""
        rows = []
        for r in self.rows:
            rec: dict[str, object] = dict(r.to_record(self.by))
            rec["distribution"] = r.distribution()
            rec["shares"] = None if r.shares is None else list(r.shares)
            rows.append(rec)
        return {
            "map": {"id": self.map.id, "version": self.map.version},
            "by": list(self.by),
            "rows": rows,
        }

    def __repr__(self) -> str:
        return (
            f"<Summary of {self.map.id!r} by {list(self.by)}: {len(self.group_keys())} groups, "
            f"{len(self.rows)} rows, {self.tally.total} ratings>"
        )


def summarize(ratings: RatingSet, by: str | Iterable[str] | None = ()) -> Summary:
    """Counts per level, distribution, % ideal, % ideal-or-acceptable, mean and median score,
    and the numbers rated / N/A / missing, per component and rolled up for the whole map, each
    role and every group of the hierarchy, in each group of ratings given by ``by``.

    Ratings are counted as they are (three raters of one subject give three ratings); use
    :func:`consensus` first for one rating per subject.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> s = summarize(rs, by="occasion")
    >>> r = s.row("adult-learning", key=("2026-spring",))
    >>> r.n, round(r.share_ideal, 3), round(r.mean_score, 2)
    (41, 0.268, 2.02)
    >>> "% ideal" in s._repr_html_()
    True
    """
    return Summary(ratings.map, tally(ratings, by))
