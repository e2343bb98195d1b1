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
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from icmaps._profiles import (
    LEVEL_NA,
    Key,
    Rule,
    check_columns,
    check_rule,
    code_at,
    decide,
    key_sort,
    unit_levels,
)
from icmaps._tabular import (
    Record,
    fmt_num,
    fmt_pct,
    records_csv,
    records_frame,
    text_table,
)
from icmaps.errors import NotFoundError, UsageError
from icmaps.model import ZONE_RANK, Component, Group, Map

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings import RatingSet

__all__ = [
    "DEFAULT_THRESHOLD",
    "Basis",
    "Cell",
    "ConsensusReport",
    "ConsensusTie",
    "FidelityGroup",
    "FidelityResult",
    "Scope",
    "Summary",
    "SummaryRow",
    "Tally",
    "UnitFidelity",
    "consensus",
    "fidelity",
    "summarize",
    "tally",
]

Scope = Literal["map", "role", "group", "component"]
"""What a summary row covers: every component, those of one role, of one group (with its
subgroups), or one component."""

Basis = Literal["zone", "score"]
"""What a fidelity index is built from."""

DEFAULT_THRESHOLD = 0.8
"""Fidelity threshold used when neither the caller nor the map gives one."""


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
    def pct(self) -> tuple[float, ...] | None:
        """Percentage of rated (``n``) on each level, desired first; sums to 100."""
        if self.counts is None or not self.n:
            return None
        return tuple(100.0 * c / self.n for c in self.counts)

    @property
    def pct_ideal(self) -> float | None:
        """Percentage of rated in the ideal zone (None when nothing was rated)."""
        return 100.0 * self.n_ideal / self.n if self.n else None

    @property
    def pct_ideal_or_acceptable(self) -> float | None:
        """Percentage of rated in the ideal or acceptable zone."""
        return 100.0 * (self.n_ideal + self.n_acceptable) / self.n if self.n else None

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
            pct_ideal=self.pct_ideal,
            pct_ideal_or_acceptable=self.pct_ideal_or_acceptable,
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
    "pct_ideal",
    "pct_ideal_or_acceptable",
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


def _descendants(g: Group) -> list[str]:
    out = [c.id for c in g.components]
    for sub in g.groups:
        out += _descendants(sub)
    return out


def _summary_rows(t: Tally) -> tuple[SummaryRow, ...]:
    m = t.map
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

    def component(key: Key, c: Component, depth: int) -> None:
        rollup(key, [c.id], ("component", c.id, "component", c.title, depth))

    def walk(key: Key, g: Group, depth: int) -> None:
        rollup(key, _descendants(g), ("group", g.id, g.kind, g.title, depth))
        for c in g.components:
            component(key, c, depth + 1)
        for sub in g.groups:
            walk(key, sub, depth + 1)

    all_ids = list(infos)
    for key in t.group_keys():
        rollup(key, all_ids, ("map", m.id, "map", m.title, 0))
        for r in m.roles:
            ids = [c for c in all_ids if m.applies_to(c, r.id)]
            rollup(key, ids, ("role", r.id, "role", r.label, 1))
        for c in m.components:
            component(key, c, 1)
        for g in m.groups:
            walk(key, g, 1)
    return tuple(rows)


@dataclasses.dataclass(frozen=True, eq=False)
class Summary:
    """Distributions, zone shares and scores per component and roll-up, per group of ratings.

    Built from a :class:`Tally` (``summary.tally``); two summaries are equal when their
    tallies are, and :meth:`merge` adds them. Rows come per group (sorted), each group
    starting with the whole map, then each role, then the hierarchy depth first (a group's
    roll-up, its own components, its subgroups).
    """

    tally: Tally
    rows: tuple[SummaryRow, ...] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", _summary_rows(self.tally))

    @property
    def map(self) -> Map:
        """The map summarised."""
        return self.tally.map

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
        return Summary(self.tally + other.tally)

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
        for r in self.rows:
            if r.id == id and r.key == tuple(key) and (scope is None or r.scope == scope):
                return r
        raise NotFoundError(f"no summary row {id!r} for {dict(zip(self.by, key, strict=False))}")

    def components(self) -> tuple[SummaryRow, ...]:
        """The component rows only."""
        return tuple(r for r in self.rows if r.scope == "component")

    def to_records(self) -> list[Record]:
        """One flat row per summary row: the ``by`` columns, then the aggregates."""
        return [r.to_record(self.by) for r in self.rows]

    def columns(self) -> tuple[str, ...]:
        """Column names of :meth:`to_records`."""
        return (*self.by, *_ROW_COLUMNS)

    def to_dict(self) -> dict[str, object]:
        """Plain data (``icmaps summarize --format json``): rows with counts per code."""
        rows = []
        for r in self.rows:
            rec: dict[str, object] = dict(r.to_record(self.by))
            rec["distribution"] = r.distribution()
            rec["pct"] = None if r.pct is None else list(r.pct)
            rows.append(rec)
        return {
            "map": {"id": self.map.id, "version": self.map.version},
            "by": list(self.by),
            "rows": rows,
        }

    def to_csv(self) -> str:
        """CSV text of :meth:`to_records`."""
        return records_csv(self.to_records(), self.columns())

    def to_pandas(self) -> pandas.DataFrame:
        """A DataFrame of :meth:`to_records` (needs pandas)."""
        return records_frame(self.to_records(), self.columns())

    def __str__(self) -> str:
        headers = [
            *self.by,
            "row",
            "n",
            "N/A",
            "missing",
            "counts (desired first)",
            "% ideal",
            "% ideal+acc",
            "mean",
            "median",
        ]
        rows = []
        for r in self.rows:
            label = r.id if r.scope == "component" else f"[{r.kind}] {r.id}"
            rows.append(
                [
                    *("" if v is None else v for v in r.key),
                    "  " * r.depth + label,
                    str(r.n),
                    str(r.na),
                    str(r.missing),
                    "" if r.counts is None else "/".join(map(str, r.counts)),
                    fmt_pct(r.pct_ideal),
                    fmt_pct(r.pct_ideal_or_acceptable),
                    fmt_num(r.mean_score),
                    fmt_num(r.median_score),
                ]
            )
        right = ["n", "N/A", "missing", "% ideal", "% ideal+acc", "mean", "median"]
        return text_table(headers, rows, right=right)

    def __repr__(self) -> str:
        return (
            f"<Summary of {self.map.id!r} by {list(self.by)}: {len(self.group_keys())} groups, "
            f"{len(self.rows)} rows, {self.tally.total} ratings>"
        )

    def _repr_html_(self) -> str:
        """The summary as an HTML table with zone bars, for Jupyter (needs jinja2)."""
        from icmaps.html import summary_html

        return summary_html(self)


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
    >>> r.n, round(r.pct_ideal, 1), round(r.mean_score, 2)
    (41, 26.8, 2.02)
    """
    return Summary(tally(ratings, by))


# -- consensus -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ConsensusTie:
    """Raters of one subject x occasion x component split evenly; ``chosen`` is the less
    desired of the ``candidates`` (codes, desired first); ``given`` every code given."""

    subject: str
    occasion: str
    component: str
    candidates: tuple[str, ...]
    chosen: str
    given: tuple[str | None, ...]

    def to_dict(self) -> Record:
        """Plain-data form."""
        return {
            "subject": self.subject,
            "occasion": self.occasion,
            "component": self.component,
            "candidates": " ".join(self.candidates),
            "chosen": self.chosen,
            "given": " ".join("(blank)" if g is None else g for g in self.given),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ConsensusReport:
    """How a consensus was reached: cells (subject x occasion x component), how many had one
    rating or full agreement (every rater gave a level, with the same code), every tie and
    every cell where some raters said N/A but others rated (the rated levels win)."""

    rule: Rule
    cells: int
    single: int
    unanimous: int
    ties: tuple[ConsensusTie, ...]
    na_overruled: tuple[tuple[str, str, str], ...]

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {
            "rule": self.rule,
            "cells": self.cells,
            "single": self.single,
            "unanimous": self.unanimous,
            "ties": [t.to_dict() for t in self.ties],
            "na_overruled": [
                {"subject": s, "occasion": o, "component": c} for s, o, c in self.na_overruled
            ],
        }

    def to_pandas(self) -> pandas.DataFrame:
        """The ties as a DataFrame (needs pandas)."""
        cols = ("subject", "occasion", "component", "candidates", "chosen", "given")
        return records_frame([t.to_dict() for t in self.ties], cols)

    def __str__(self) -> str:
        head = (
            f"consensus ({self.rule}) of {self.cells} cells: {self.single} with one rating, "
            f"{self.unanimous} unanimous, {len(self.ties)} ties, "
            f"{len(self.na_overruled)} with N/A overruled"
        )
        if not self.ties:
            return head
        cols = ["subject", "occasion", "component", "candidates", "chosen", "given"]
        rows = [[str(t.to_dict()[c]) for c in cols] for t in self.ties]
        return head + "\n\n" + text_table(cols, rows)

    def __repr__(self) -> str:
        return f"<ConsensusReport {self.rule}: {self.cells} cells, {len(self.ties)} ties>"


def consensus(ratings: RatingSet, rule: Rule = "modal") -> tuple[RatingSet, ConsensusReport]:
    """One rating per subject x occasion x component from several raters (rater
    ``"consensus"``), and a report of every tie.

    Rules, over the ratings that count (N/A and missing left out):

    * ``modal``: the most frequent level; a tie goes to the less desired of the tied levels;
    * ``median``: the median level; with an even number of ratings and two different middle
      levels, the less desired one (the upper median);
    * ``conservative``: the least desired level given.

    When no rating counts, the consensus is N/A if any rater said N/A, else missing. Role and
    subject attributes come from the first rating of each cell.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> one, report = consensus(rs, "median")
    >>> set(one.column("rater")), len(one) == report.cells
    ({'consensus'}, True)
    """
    from icmaps.ratings import BASE_COLUMNS, RatingSet

    check_rule(rule)
    m = ratings.map
    cols = {n: ratings.column(n) for n in (*BASE_COLUMNS, *ratings.attributes)}
    levels = ratings.levels()
    cells: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for i, key in enumerate(zip(cols["subject"], cols["occasion"], cols["component"], strict=True)):
        cells.setdefault(key, []).append(i)
    out: dict[str, list[str | None]] = {n: [] for n in cols}
    ties: list[ConsensusTie] = []
    na_overruled: list[tuple[str, str, str]] = []
    single = unanimous = 0
    for (subject, occasion, comp), rows in cells.items():
        lv = [levels[i] for i in rows]
        codes = [cols["code"][i] for i in rows]
        level, tied = decide(lv, rule)
        if len(rows) == 1:
            single += 1
        elif min(lv) >= 0 and len(set(codes)) == 1:
            unanimous += 1
        if level >= 0:
            desired = m.scale_of(str(comp)).desired()
            chosen = code_at(level, lv, codes, desired[level].code)
            code: str | None = chosen
            if LEVEL_NA in lv:
                na_overruled.append((str(subject), str(occasion), str(comp)))
            if tied:
                ties.append(
                    ConsensusTie(
                        str(subject),
                        str(occasion),
                        str(comp),
                        tuple(desired[t].code for t in tied),
                        chosen,
                        tuple(codes),
                    )
                )
        elif level == LEVEL_NA:
            code = next(c for c, v in zip(codes, lv, strict=True) if v == LEVEL_NA)
        else:
            code = None
        first = rows[0]
        for n, col in cols.items():
            out[n].append(col[first])
        out["rater"][-1] = "consensus"
        out["code"][-1] = code
    result = RatingSet.from_columns(m, out, attributes=ratings.attributes)
    report = ConsensusReport(rule, len(cells), single, unanimous, tuple(ties), tuple(na_overruled))
    return result, report


# -- fidelity ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class UnitFidelity:
    """The fidelity of one subject on one occasion (and any further ``by`` values).

    ``index`` is ``None`` when no component was rated. ``status`` is ``"fidelity"`` (index at
    or above the threshold and no critical component failed), ``"below threshold"``,
    ``"critical failed"`` or ``"not rated"``.
    """

    key: Key
    index: float | None
    rated: int
    critical_failed: tuple[str, ...]
    status: Literal["fidelity", "below threshold", "critical failed", "not rated"]

    @property
    def meets(self) -> bool:
        """True when the subject implements with fidelity."""
        return self.status == "fidelity"


@dataclasses.dataclass(frozen=True, slots=True)
class FidelityGroup:
    """Fidelity in one group of subjects: how many were rated, how many meet the rule."""

    key: Key
    units: int
    rated: int
    meeting: int
    critical_failed: int
    mean_index: float | None

    @property
    def pct_meeting(self) -> float | None:
        """Percentage of rated subjects that implement with fidelity."""
        return 100.0 * self.meeting / self.rated if self.rated else None


@dataclasses.dataclass(frozen=True, slots=True)
class FidelityResult:
    """Per subject (x occasion) fidelity indices and classification, and per group totals."""

    map_id: str
    threshold: float
    basis: Basis
    weights: bool
    critical: bool
    rule: Rule
    unit_columns: tuple[str, ...]
    by: tuple[str, ...]
    units: tuple[UnitFidelity, ...]
    groups: tuple[FidelityGroup, ...]

    def unit(self, *key: str) -> UnitFidelity:
        """The result of one unit, e.g. ``result.unit("lincoln-elementary", "2025-fall")``."""
        for u in self.units:
            if u.key == key:
                return u
        raise NotFoundError(f"no fidelity result for {key}")

    def _unit_records(self) -> list[Record]:
        out = []
        for u in self.units:
            rec: Record = dict(zip(self.unit_columns, u.key, strict=True))
            rec.update(
                index=u.index,
                rated=u.rated,
                critical_failed=" ".join(u.critical_failed),
                status=u.status,
                meets=u.meets,
            )
            out.append(rec)
        return out

    def _group_records(self) -> list[Record]:
        out = []
        for g in self.groups:
            rec: Record = dict(zip(self.by, g.key, strict=True))
            rec.update(
                units=g.units,
                rated=g.rated,
                meeting=g.meeting,
                pct_meeting=g.pct_meeting,
                critical_failed=g.critical_failed,
                mean_index=g.mean_index,
            )
            out.append(rec)
        return out

    def to_records(self) -> list[Record]:
        """One flat row per unit (subject x occasion ...)."""
        return self._unit_records()

    def columns(self) -> tuple[str, ...]:
        """Columns of :meth:`to_records`."""
        return (*self.unit_columns, "index", "rated", "critical_failed", "status", "meets")

    def to_dict(self) -> dict[str, object]:
        """Plain data: the rule used, every unit and every group."""
        return {
            "map": self.map_id,
            "threshold": self.threshold,
            "basis": self.basis,
            "weights": self.weights,
            "critical": self.critical,
            "rule": self.rule,
            "by": list(self.by),
            "units": self._unit_records(),
            "groups": self._group_records(),
        }

    def to_csv(self) -> str:
        """CSV text of the units."""
        return records_csv(self.to_records(), self.columns())

    def to_pandas(self, which: Literal["units", "groups"] = "units") -> pandas.DataFrame:
        """The units (or the groups) as a DataFrame (needs pandas)."""
        if which == "groups":
            cols = (
                *self.by,
                "units",
                "rated",
                "meeting",
                "pct_meeting",
                "critical_failed",
                "mean_index",
            )
            return records_frame(self._group_records(), cols)
        return records_frame(self.to_records(), self.columns())

    def __str__(self) -> str:
        head = (
            f"fidelity: {self.basis} index >= {self.threshold:g}"
            f"{', weighted' if self.weights else ''}"
            f"{', critical components gate' if self.critical else ''}"
        )
        units = text_table(
            [*self.unit_columns, "index", "rated", "status", "critical failed"],
            [
                [
                    *("" if v is None else v for v in u.key),
                    fmt_num(u.index, 3),
                    str(u.rated),
                    u.status,
                    " ".join(u.critical_failed),
                ]
                for u in self.units
            ],
            right=["index", "rated"],
        )
        groups = text_table(
            [*self.by, "subjects", "rated", "meeting", "% meeting", "mean index"],
            [
                [
                    *("" if v is None else v for v in g.key),
                    str(g.units),
                    str(g.rated),
                    str(g.meeting),
                    fmt_pct(g.pct_meeting),
                    fmt_num(g.mean_index, 3),
                ]
                for g in self.groups
            ],
            right=["subjects", "rated", "meeting", "% meeting", "mean index"],
        )
        return f"{head}\n\n{units}\n\n{groups}"

    def __repr__(self) -> str:
        meeting = sum(u.meets for u in self.units)
        return (
            f"<FidelityResult {self.basis} >= {self.threshold:g}: {meeting} of "
            f"{len(self.units)} units meet>"
        )

    def _repr_html_(self) -> str:
        """The rule, groups and units as HTML, for Jupyter (needs jinja2)."""
        from icmaps.html import fidelity_html

        return fidelity_html(self)


def _level_values(m: Map, component_id: str, basis: Basis) -> tuple[float, ...]:
    """Per level (desired first) the credit a rating earns: zone basis 1 for ideal or
    acceptable, else 0; score basis (score - min) / (max - min), or the level's position when
    the scale has no scores."""
    levels = m.scale_of(component_id).desired()
    k = len(levels)
    if basis == "zone":
        return tuple(1.0 if lv.zone != "unacceptable" else 0.0 for lv in levels)
    scores = [lv.score for lv in levels]
    if any(s is None for s in scores):
        scores = [float(k - 1 - i) for i in range(k)]
    vals = [float(s) for s in scores if s is not None]
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return (1.0,) * k
    return tuple((v - lo) / (hi - lo) for v in vals)


def fidelity(
    ratings: RatingSet,
    *,
    threshold: float | None = None,
    basis: Basis | None = None,
    weights: bool = True,
    critical: bool = True,
    by: str | Iterable[str] | None = ("occasion",),
    rule: Rule = "median",
) -> FidelityResult:
    """Fidelity index and classification per subject x occasion, and per group.

    Per unit, each component gets one level (several raters are combined by ``rule``, as in
    :func:`consensus`); components not rated (N/A or missing) are left out. The index is
    ``sum(w * v) / sum(w)`` over rated components, with ``w`` the component's weight (1 when
    ``weights=False``) and ``v`` its credit: for ``basis="zone"`` 1 when the level is ideal or
    acceptable, else 0; for ``basis="score"`` the level's score rescaled to 0..1 (share of the
    score range). A unit implements with fidelity when its index is at least ``threshold``
    and, with ``critical=True``, no critical component is rated in the unacceptable zone.

    ``threshold`` and ``basis`` default to the map's own ``fidelity`` rule, else 0.8 and
    ``zone``. Columns in ``by`` other than subject and occasion become part of the unit (e.g.
    ``role``: one index per subject, occasion and role); results are also totalled per value
    of ``by``.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> f = fidelity(rs, threshold=0.5)
    >>> u = f.unit("lincoln-elementary", "2025-fall")
    >>> round(u.index, 3), u.status
    (0.682, 'fidelity')
    """
    check_rule(rule)
    m = ratings.map
    names = _by(by)
    check_columns(ratings, names, forbid=("component", "code", "rater"))
    rule_of_map = m.fidelity
    if basis is None:
        basis = rule_of_map.basis if rule_of_map is not None else "zone"
    if basis not in ("zone", "score"):
        raise UsageError(f"basis must be 'zone' or 'score', not {basis!r}")
    if threshold is None:
        threshold = (
            rule_of_map.threshold
            if rule_of_map is not None and rule_of_map.basis == basis
            else DEFAULT_THRESHOLD
        )
    if not 0 <= threshold <= 1:
        raise UsageError(f"threshold must be between 0 and 1, not {threshold}")
    unit_cols = ("subject", "occasion", *(b for b in names if b not in ("subject", "occasion")))
    values = {c.id: _level_values(m, c.id, basis) for c in m.iter_components()}
    zones = {c.id: tuple(lv.zone for lv in m.scale_of(c.id).desired()) for c in m.iter_components()}
    units: list[UnitFidelity] = []
    profiles = unit_levels(ratings, unit_cols)
    for key in sorted(profiles, key=key_sort):
        num = den = 0.0
        rated = 0
        failed: list[str] = []
        for comp, given in profiles[key].items():
            level, _ = decide(given, rule)
            if level < 0:
                continue
            c = m.component(comp)
            w = c.weight if weights else 1.0
            num += w * values[comp][level]
            den += w
            rated += 1
            if critical and c.critical and zones[comp][level] == "unacceptable":
                failed.append(comp)
        index = num / den if den > 0 else None
        status: Literal["fidelity", "below threshold", "critical failed", "not rated"]
        if failed:
            status = "critical failed"
        elif index is None:
            status = "not rated"
        elif index >= threshold - 1e-12:
            status = "fidelity"
        else:
            status = "below threshold"
        units.append(UnitFidelity(key, index, rated, tuple(failed), status))
    pos = [unit_cols.index(b) for b in names]
    grouped: dict[Key, list[UnitFidelity]] = {}
    for u in units:
        grouped.setdefault(tuple(u.key[p] for p in pos), []).append(u)
    groups = []
    for gkey in sorted(grouped, key=key_sort):
        us = grouped[gkey]
        idx = [u.index for u in us if u.index is not None]
        rated_units = [u for u in us if u.status != "not rated"]
        groups.append(
            FidelityGroup(
                gkey,
                len(us),
                len(rated_units),
                sum(u.meets for u in us),
                sum(u.status == "critical failed" for u in us),
                statistics.fmean(idx) if idx else None,
            )
        )
    return FidelityResult(
        m.id,
        threshold,
        basis,
        weights,
        critical,
        rule,
        unit_cols,
        names,
        tuple(units),
        tuple(groups),
    )
