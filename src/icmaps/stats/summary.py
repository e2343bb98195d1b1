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
    from icmaps.stats.disclosure import Mask, Suppressed
    from icmaps.stats.tally import Counted

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
    min_n: int | None = None  # hide figures resting on fewer subjects (see disclosure)
    subjects: Tally | None = dataclasses.field(default=None, repr=False)  # by + subject

    def __post_init__(self) -> None:
        if self.min_n is not None and self.subjects is None:
            raise UsageError("a summary with min_n needs the tally by subject (summarize does it)")
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
        if self.min_n != other.min_n:
            raise UsageError(f"cannot merge summaries with min_n {self.min_n} and {other.min_n}")
        subjects = None
        if self.subjects is not None and other.subjects is not None:
            subjects = self.subjects + other.subjects
        return Summary(self.map, self.tally + other.tally, min_n=self.min_n, subjects=subjects)

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
        mask = self.mask()
        for r in self.rows:
            d = _display(r, mask)
            counts = d["counts"]
            rows.append(
                (
                    *r.key,
                    r.scope,
                    r.id,
                    r.kind,
                    r.title,
                    r.id if r.scope == "component" else f"[{r.kind}] {r.id}",
                    d["n"],
                    d["na"],
                    d["missing"],
                    d["distribution"],
                    "" if not isinstance(counts, list) else "/".join(map(str, counts)),
                    d["n_ideal"],
                    d["n_acceptable"],
                    d["n_unacceptable"],
                    d["zones"],
                    d["share_ideal"],
                    d["share_ideal_or_acceptable"],
                    d["mean_score"],
                    d["median_score"],
                )
            )
        facts: tuple[tuple[str, object], ...] = (
            ("map", self.map.id),
            ("by", ", ".join(self.by) or "–"),
            ("ratings", mask.show(_TOTAL, self.tally.total) if mask else self.tally.total),
        )
        if mask is not None:
            facts += (("privacy", _privacy_note(mask)),)
        return Table(
            "Summary",
            cols,
            tuple(rows),
            facts,
            roll=tuple(r.scope != "component" for r in self.rows),
            depth=tuple(r.depth for r in self.rows),
            note=_privacy_note(mask) if mask is not None else "",
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data (``icmaps summarize --format json``): rows with counts per code and the
        share (0-1) on each level."""
        rows = []
        mask = self.mask()
        if mask is None:
            for r in self.rows:
                rec: dict[str, object] = dict(r.to_record(self.by))
                rec["distribution"] = r.distribution()
                rec["shares"] = None if r.shares is None else list(r.shares)
                rows.append(rec)
        else:
            for r in self.rows:
                d = _display(r, mask)
                rec = dict(zip(self.by, r.key, strict=True))
                rec.update(scope=r.scope, id=r.id, kind=r.kind, title=r.title)
                for name in _ROW_COLUMNS[4:]:
                    rec[name] = _plain(d[name])
                counts, shares = d["counts"], d["shares"]
                rec["distribution"] = (
                    None
                    if not isinstance(counts, list) or r.codes is None
                    else {c: _plain(n) for c, n in zip(r.codes, counts, strict=True)}
                )
                rec["shares"] = [_plain(x) for x in shares] if isinstance(shares, list) else None
                rows.append(rec)
        out: dict[str, object] = {
            "map": {"id": self.map.id, "version": self.map.version},
            "by": list(self.by),
            "rows": rows,
        }
        if mask is not None:
            out["privacy"] = {"min_n": mask.k, "note": _privacy_note(mask)}
        return out

    def mask(self) -> Mask | None:
        """Which figures are hidden under :attr:`min_n` (None without a minimum): every
        count, share and score resting on fewer than ``min_n`` subjects, and the figures that
        would give one back by subtraction (see :mod:`icmaps.stats.disclosure`).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> s = summarize(rs, by="district", min_n=5)
        >>> s.mask().n_hidden > 0, "<5" in s.to_csv()
        (True, True)
        """
        if self.min_n is None or self.subjects is None:
            return None
        return _protect(self)

    def __repr__(self) -> str:
        return (
            f"<Summary of {self.map.id!r} by {list(self.by)}: {len(self.group_keys())} groups, "
            f"{len(self.rows)} rows, {self.tally.total} ratings>"
        )


def summarize(
    ratings: RatingSet | Counted, by: str | Iterable[str] | None = (), *, min_n: int | None = None
) -> Summary:
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

    With ``min_n``, what the summary shows (table, records, CSV, JSON, HTML) hides every
    figure resting on fewer than ``min_n`` subjects (``<5``) and the figures that would give
    one back from a total (``*``); the summary's rows keep the true values.
    """
    from icmaps.stats.disclosure import check_min_n

    min_n = check_min_n(min_n)
    t = tally(ratings, by)
    if min_n is None:
        return Summary(ratings.map, t)
    by_cols = t.by if "subject" in t.by else (*t.by, "subject")
    return Summary(ratings.map, t, min_n=min_n, subjects=tally(ratings, by_cols))


# -- small-count suppression ----------------------------------------------------------------

_TOTAL = ("total",)
_FIGURES = ("n", "na", "missing", "n_ideal", "n_acceptable", "n_unacceptable")
_ZONE_FIGURES = ("n_ideal", "n_acceptable", "n_unacceptable")


def _privacy_note(mask: Mask) -> str:
    return (
        f"Figures resting on fewer than {mask.k} subjects are shown as <{mask.k}; "
        "* marks a figure hidden so that none of those can be worked out from a total."
    )


def _plain(v: object) -> object:
    """A shown value as plain JSON data (a hidden figure becomes its marker text)."""
    from icmaps.stats.disclosure import Suppressed

    return str(v) if isinstance(v, Suppressed) else v


def _pooled(m: Map) -> dict[tuple[str, str], tuple[str, ...]]:
    """The components each roll-up row pools (as :func:`_summary_rows` pools them)."""
    ids = tuple(c.id for c in m.iter_components())
    out: dict[tuple[str, str], tuple[str, ...]] = {("map", m.id): ids}
    for r in m.roles:
        out[("role", r.id)] = tuple(c for c in ids if m.applies_to(c, r.id))
    for node in m.outline():
        if node.kind == "group":
            out[("group", node.id)] = node.below
    return out


def _protect(s: Summary) -> Mask:
    """Decide what a summary with a minimum hides: counts per level and zone, N/A, missing
    and rated, each with the number of subjects behind it; every sum the rows show (zones
    to rated, levels to zones, components to a roll-up, groups to the total) is protected."""
    from icmaps.stats.disclosure import Protection

    assert s.min_n is not None
    assert s.subjects is not None
    at = s.subjects.by.index("subject")
    n_by = len(s.by)
    subjects: Counter[tuple[object, ...]] = Counter()
    for r in _summary_rows(s.map, s.subjects):
        key = r.key[:at] + r.key[at + 1 :] if "subject" not in s.by else r.key
        base = (key[:n_by], r.scope, r.id)
        figures: list[str | int] = [f for f in _FIGURES if getattr(r, f)]
        figures += [i for i, c in enumerate(r.counts or ()) if c]
        subjects.update((*base, f) for f in figures)
    p = Protection(s.min_n)
    pooled = _pooled(s.map)
    present = {(r.key, r.id) for r in s.rows if r.scope == "component"}
    infos = {c.id: _info(s.map, c.id) for c in s.map.iter_components()}
    children = _children(s.map)
    rows_at = {(r.key, r.scope, r.id) for r in s.rows}
    map_rows: list[tuple[object, ...]] = []
    for r in s.rows:
        base = (r.key, r.scope, r.id)
        values: list[tuple[str | int, int]] = [(f, getattr(r, f)) for f in _FIGURES]
        values += list(enumerate(r.counts or ()))
        for f, v in values:
            fig: tuple[object, ...] = (*base, f)
            p.count(fig, v, subjects=subjects[fig])
    for r in s.rows:
        base = (r.key, r.scope, r.id)
        p.adds_up((*base, "n"), [(*base, f) for f in _ZONE_FIGURES])
        comps = [r.id] if r.scope == "component" else pooled[(r.scope, r.id)]
        comps = [c for c in comps if (r.key, c) in present]
        # levels add up to zones when every component pooled puts each level in one zone
        zone_sets = {infos[c].zones for c in comps}
        if r.counts is not None and len(zone_sets) == 1:
            (zones,) = zone_sets
            for z, f in enumerate(_ZONE_FIGURES):
                p.adds_up((*base, f), [(*base, i) for i, zi in enumerate(zones) if zi == z])
        if r.scope == "component":
            continue
        if r.scope == "map":
            # every rating of the key, N/A and missing included (the "ratings" fact)
            map_rows += [(*base, f) for f in ("n", "na", "missing")]
        for f in _FIGURES:
            p.adds_up((*base, f), [(r.key, "component", c, f) for c in comps])
        if r.counts is not None:
            for i in range(len(r.counts)):
                p.adds_up((*base, i), [(r.key, "component", c, i) for c in comps])
        # a roll-up is also the sum of the rows just below it (the map: the top-level groups
        # and components; a group: its subgroups and its own components)
        parts = children.get((r.scope, r.id))
        if parts is not None:
            shown = [(r.key, scope, i) for scope, i in parts if (r.key, scope, i) in rows_at]
            for f in _FIGURES:
                p.adds_up((*base, f), [(*part, f) for part in shown])
    total_subjects = max((n for key, n in subjects.items() if key[1] == "map"), default=0)
    p.count(_TOTAL, s.tally.total, subjects=total_subjects)
    p.adds_up(_TOTAL, map_rows)
    return p.solve()


def _children(m: Map) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The rows just below the map and below each group, as (scope, id)."""
    return {
        ("map", m.id) if key is None else ("group", key): list(kids)
        for key, kids in m.children().items()
    }


def _display(r: SummaryRow, mask: Mask | None) -> dict[str, object]:
    """A row's figures as shown: hidden ones replaced by their markers, and every share or
    score that would reveal one hidden too."""
    base = (r.key, r.scope, r.id)

    def show(k: object, v: object) -> object:
        return v if mask is None else mask.show((*base, k), v)

    d: dict[str, object] = {f: show(f, getattr(r, f)) for f in _FIGURES}
    counts = None if r.counts is None else [show(i, c) for i, c in enumerate(r.counts)]
    d["counts"] = counts
    d["distribution"] = (
        None
        if counts is None or r.codes is None
        else " ".join(f"{c}:{n}" for c, n in zip(r.codes, counts, strict=True))
    )

    def hidden(*keys: object) -> Suppressed | None:
        return None if mask is None else mask.any_hidden((*base, k) for k in keys)

    n_hidden = hidden("n")
    d["share_ideal"] = hidden("n", "n_ideal") or r.share_ideal
    d["share_ideal_or_acceptable"] = hidden("n", *_ZONE_FIGURES) or r.share_ideal_or_acceptable
    every = hidden("n", *_ZONE_FIGURES, *range(len(r.counts or ())))
    d["mean_score"] = every or r.mean_score
    d["median_score"] = every or r.median_score
    shares = r.shares
    d["shares"] = (
        None if shares is None else [n_hidden or hidden(i) or x for i, x in enumerate(shares)]
    )
    d["zones"] = r.zones() if hidden(*_ZONE_FIGURES) is None else None
    return d
