"""Comparing implementation: growth between occasions, groups side by side, gaps to a target.

* :func:`compare` pairs each subject's level on two occasions (or any two values of a column)
  and gives, per component, the transition matrix, how many moved toward the desired end,
  away from it or stayed, the change in % ideal and who moved.
* :func:`compare_groups` puts the summaries of several groups (schools, districts, roles)
  side by side.
* :func:`gap_to_target` measures, per component, how many levels a subject or group is from a
  target profile.

Levels are desired first: a move from level index 2 to 0 is two steps *toward* the desired
end (``steps = base - other = +2``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from icmaps._grouping import unique_rows as _unique_rows
from icmaps._optional import require
from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record, text_table
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.stats.gaps import _reference_order
from icmaps.stats.rules import (
    Key,
    Rule,
    check_columns,
    check_rule,
)
from icmaps.stats.tally import Decisions, decisions, value_ranks

if TYPE_CHECKING:
    from icmaps.ratings.occasions import Period
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.disclosure import Mask, Protection
    from icmaps.stats.summary import SummaryRow
    from icmaps.stats.tally import Counted

__all__ = [
    "Comparison",
    "ComponentChange",
    "GroupComparison",
    "GroupRow",
    "Move",
    "Trend",
    "TrendRow",
    "compare",
    "compare_from",
    "compare_groups",
]


def _label(key: Key) -> str:
    return " / ".join("" if v is None else v for v in key)


# -- compare two occasions ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Move:
    """One subject whose level on a component differs between base and other.

    ``steps`` is positive toward the desired end (``base`` index minus ``other`` index).
    ``base`` and ``other`` are the codes shown for the two levels: the level's own code when
    a rater gave it, else the code actually given at that level (a special code counting as
    lowest), as in :func:`~icmaps.consensus`.
    """

    unit: Key
    component: str
    base: str
    other: str
    steps: int

    @property
    def direction(self) -> Literal["toward", "away"]:
        """``toward`` the desired end or ``away`` from it."""
        return "toward" if self.steps > 0 else "away"


@dataclasses.dataclass(frozen=True, slots=True)
class ComponentChange:
    """Transitions of one component among subjects rated on both sides.

    ``matrix[i][j]`` counts subjects at level ``i`` on base and ``j`` on other (desired
    first, codes in ``codes``). ``base_only`` / ``other_only`` count subjects rated on one
    side only (not compared).
    """

    component: str
    title: str
    codes: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]
    n_ideal_base: int
    n_ideal_other: int
    base_only: int
    other_only: int

    @property
    def n(self) -> int:
        """Subjects rated on both sides."""
        return sum(map(sum, self.matrix))

    @property
    def toward(self) -> int:
        """Subjects that moved toward the desired end (below the diagonal)."""
        return sum(self.matrix[i][j] for i in range(len(self.codes)) for j in range(i))

    @property
    def away(self) -> int:
        """Subjects that moved away from the desired end (above the diagonal)."""
        k = len(self.codes)
        return sum(self.matrix[i][j] for i in range(k) for j in range(i + 1, k))

    @property
    def unchanged(self) -> int:
        """Subjects on the same level on both sides (the diagonal)."""
        return sum(self.matrix[i][i] for i in range(len(self.codes)))

    @property
    def share_base_higher(self) -> float | None:
        """Share (0-1) of compared subjects rated more desired on base than on other (for a
        self-assessment against an observation: the self-rating is higher)."""
        return self.away / self.n if self.n else None

    @property
    def base_above_other(self) -> float | None:
        """Mean levels by which base is rated more desired than other (negative: below)."""
        if not self.n:
            return None
        k = len(self.codes)
        total = sum((j - i) * self.matrix[i][j] for i in range(k) for j in range(k))
        return total / self.n

    @property
    def share_ideal_base(self) -> float | None:
        """Share (0-1) of compared subjects in the ideal zone on base."""
        return self.n_ideal_base / self.n if self.n else None

    @property
    def share_ideal_other(self) -> float | None:
        """Share (0-1) of compared subjects in the ideal zone on other."""
        return self.n_ideal_other / self.n if self.n else None

    @property
    def change_share_ideal(self) -> float | None:
        """Change in the share ideal (other minus base, -1 to 1)."""
        return (self.n_ideal_other - self.n_ideal_base) / self.n if self.n else None

    @property
    def pct_ideal_base(self) -> float | None:
        """:attr:`share_ideal_base` in percent (0-100); kept for compatibility."""
        return 100.0 * self.n_ideal_base / self.n if self.n else None

    @property
    def pct_ideal_other(self) -> float | None:
        """:attr:`share_ideal_other` in percent (0-100); kept for compatibility."""
        return 100.0 * self.n_ideal_other / self.n if self.n else None

    @property
    def change_pct_ideal(self) -> float | None:
        """:attr:`change_share_ideal` in percentage points; kept for compatibility."""
        return 100.0 * (self.n_ideal_other - self.n_ideal_base) / self.n if self.n else None

    def matrix_text(self, base: str = "base", other: str = "other") -> str:
        """The transition matrix as an aligned table (rows: base level, columns: other).

        >>> c = ComponentChange("c", "C", ("1", "2"), ((1, 0), (2, 1)), 1, 3, 0, 0)
        >>> print(c.matrix_text("fall", "spring"))
        fall \\ spring  1  2
        -------------  -  -
        1              1  0
        2              2  1
        """
        headers = [f"{base} \\ {other}", *self.codes]
        rows = [[code, *map(str, row)] for code, row in zip(self.codes, self.matrix, strict=True)]
        return text_table(headers, rows, right=self.codes)

    def to_record(self) -> Record:
        """A flat row."""
        return {
            "component": self.component,
            "title": self.title,
            "n": self.n,
            "toward": self.toward,
            "unchanged": self.unchanged,
            "away": self.away,
            "share_ideal_base": self.share_ideal_base,
            "share_ideal_other": self.share_ideal_other,
            "change_share_ideal": self.change_share_ideal,
            "base_only": self.base_only,
            "other_only": self.other_only,
        }


class Moves(Sequence[Move]):
    """The subjects' moves of a comparison, built on first use from the arrays the
    comparison already has (a large comparison has tens of thousands; most callers want the
    counts). A read-only sequence that compares equal to a tuple of the same moves."""

    __slots__ = ("_args", "_built")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._built: tuple[Move, ...] | None = None

    def _moves(self) -> tuple[Move, ...]:
        if self._built is None:
            rest, comp_ids, pu, pc, pb, po, counts, b_rows, o_rows = self._args
            shown_b = counts.shown_codes(b_rows, pb)
            shown_o = counts.shown_codes(o_rows, po)
            self._built = tuple(
                Move(rest[u], comp_ids[c], sb, so, b - o)
                for u, c, b, o, sb, so in zip(
                    pu.tolist(),
                    pc.tolist(),
                    pb.tolist(),
                    po.tolist(),
                    shown_b,
                    shown_o,
                    strict=True,
                )
            )
            self._args = ()  # the arrays are no longer needed
        return self._built

    def __len__(self) -> int:
        return len(self._built) if self._built is not None else len(self._args[2])

    @overload
    def __getitem__(self, i: int) -> Move: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Move, ...]: ...
    def __getitem__(self, i: int | slice) -> Move | tuple[Move, ...]:
        return self._moves()[i]

    def __iter__(self) -> Iterator[Move]:
        return iter(self._moves())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Moves, tuple, list)):
            return self._moves() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._moves())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self._moves(),))


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison(TableResult):
    """Growth between two values of a column (``by``), per component and in total."""

    map_id: str
    by: str
    base: str
    other: str
    rule: Rule
    unit_columns: tuple[str, ...]
    components: tuple[ComponentChange, ...]
    moves: Sequence[Move]
    note: str | None = None  # why nothing could be compared, when nothing was
    min_n: int | None = None  # hide figures resting on fewer units (see disclosure)

    def row(self, component_id: str) -> ComponentChange:
        """The result of one component; :class:`~icmaps.errors.NotFoundError` names the
        components compared when it is not one of them."""
        for c in self.components:
            if c.component == component_id:
                return c
        known = ", ".join(c.component for c in self.components) or "none"
        raise NotFoundError(f"no comparison for component {component_id!r} (compared: {known})")

    def component(self, component_id: str) -> ComponentChange:
        """The result of one component: :meth:`row`."""
        return self.row(component_id)

    @property
    def n(self) -> int:
        """Subject x component pairs compared."""
        return sum(c.n for c in self.components)

    @property
    def toward(self) -> int:
        """Pairs that moved toward the desired end."""
        return sum(c.toward for c in self.components)

    @property
    def away(self) -> int:
        """Pairs that moved away from the desired end."""
        return sum(c.away for c in self.components)

    @property
    def unchanged(self) -> int:
        """Pairs on the same level."""
        return sum(c.unchanged for c in self.components)

    @property
    def share_base_higher(self) -> float | None:
        """Share (0-1) of pairs rated more desired on base than on other."""
        return self.away / self.n if self.n else None

    def _moves_table(self) -> Table:
        cols = (
            *(Column(u) for u in self.unit_columns),
            Column("component"),
            Column("base", label=self.base),
            Column("other", label=self.other),
            Column("steps", "int"),
        )
        rows = tuple((*m.unit, m.component, m.base, m.other, m.steps) for m in self.moves)
        return Table("moved", cols, rows)

    def to_table(self) -> Table:
        """One row per component (shares 0-1, their change -1 to 1); the moves follow as a
        second table."""
        cols = (
            Column("component"),
            Column("title", show="html"),
            Column("n", "int"),
            Column("toward", "int"),
            Column("unchanged", "int"),
            Column("away", "int"),
            Column("share_ideal_base", "share", f"% ideal {self.base}"),
            Column("share_ideal_other", "share", f"% ideal {self.other}"),
            Column("change_share_ideal", "change", "change"),
            Column("base_only", "int", show=False),
            Column("other_only", "int", show=False),
            *(
                (
                    Column("share_base_higher", "share", f"% {self.base} higher"),
                    Column("base_above_other", "float", f"{self.base} - {self.other}", digits=2),
                )
                if self.by != "occasion"
                else ()
            ),
        )
        mask = self.mask()
        shown = [_shown_change(c, mask) for c in self.components]
        rows = tuple(
            (
                c.component,
                c.title,
                *(d[f] for f in _CHANGE_FIGURES),
                *((d["share_base_higher"], d["base_above_other"]) if self.by != "occasion" else ()),
            )
            for c, d in zip(self.components, shown, strict=True)
        )
        t = _shown_totals(self, mask)
        facts: tuple[tuple[str, object], ...] = (
            ("map", self.map_id),
            (self.by, f"{self.base} → {self.other}"),
            ("moved toward", t["toward"]),
            ("unchanged", t["unchanged"]),
            ("moved away", t["away"]),
        )
        note = (
            f"{self.by}: {self.base} -> {self.other}: {t['n']} subject x component pairs, "
            f"{t['toward']} toward the desired end, {t['unchanged']} unchanged, "
            f"{t['away']} away" + (f". {self.note}" if self.note else "")
        )
        if mask is not None:
            note += (
                f". Figures resting on fewer than {mask.k} subjects are shown as <{mask.k}; * "
                "marks a figure hidden so that none of those can be worked out from a total; "
                "the subjects' moves are not listed"
            )
        more = (self._moves_table(),) if self.moves and mask is None else ()
        return Table("Comparison", cols, rows, facts, note=note, more=more)

    def mask(self) -> Mask | None:
        """Which figures are hidden under :attr:`min_n` (None without a minimum): counts of
        fewer than ``min_n`` compared subjects, the shares and means they enter, and the
        figures that would give one back from a total."""
        if self.min_n is None:
            return None
        return _protect_changes(self, self.min_n)

    def to_dict(self) -> dict[str, object]:
        """Plain data: components (shares 0-1) with their matrices, and every move."""
        mask = self.mask()
        comps = []
        for c, rec in zip(self.components, self.to_records(), strict=True):
            d: dict[str, object] = dict(rec)
            d["codes"] = list(c.codes)
            # the matrix counts subjects per pair of levels: not shown under a minimum
            d["matrix"] = [list(r) for r in c.matrix] if mask is None else None
            comps.append(d)
        t = _shown_totals(self, mask)
        out: dict[str, object] = {
            "map": self.map_id,
            "by": self.by,
            "base": self.base,
            "other": self.other,
            "rule": self.rule,
            "note": self.note,
            "totals": {k: _plain(t[k]) for k in ("n", "toward", "unchanged", "away")},
            "components": comps,
            "moves": self._moves_table().records() if mask is None else [],
        }
        if mask is not None:
            out["privacy"] = {"min_n": mask.k}
        return out

    def __repr__(self) -> str:
        return (
            f"<Comparison {self.by} {self.base} -> {self.other}: {self.toward} toward, "
            f"{self.unchanged} unchanged, {self.away} away>"
        )


# -- small-count suppression ----------------------------------------------------------------

_CHANGE_FIGURES = (
    "n",
    "toward",
    "unchanged",
    "away",
    "share_ideal_base",
    "share_ideal_other",
    "change_share_ideal",
    "base_only",
    "other_only",
)
_CHANGE_COUNTS = ("n", "toward", "unchanged", "away", "base_only", "other_only")


def _plain(v: object) -> object:
    from icmaps._tabular import Suppressed

    return str(v) if isinstance(v, Suppressed) else v


def _protect_changes(cmp: Comparison, k: int) -> Mask:
    """Every count of a comparison counts compared units (subjects, or subject x occasion
    when sources or raters are compared), so each is protected as it stands; the sums are
    the moves of a component, the ideal and not ideal on each side, and the totals."""
    from icmaps.stats.disclosure import Protection

    p = Protection(k)
    changes_into(p, cmp)
    return p.solve()


def changes_into(p: Protection, cmp: Comparison, prefix: tuple[object, ...] = ()) -> None:
    """Give a comparison's counts and sums to ``p`` under keys ``(*prefix, component, figure)``
    (``"*"`` for the totals), for an output that shows them beside other figures."""
    for c in cmp.components:
        cid: object = (*prefix, c.component) if prefix else c.component
        for f in _CHANGE_COUNTS:
            v = getattr(c, f)
            p.count((cid, f), v, subjects=v)
        for side, ideal in (("base", c.n_ideal_base), ("other", c.n_ideal_other)):
            p.count((cid, f"ideal_{side}"), ideal, subjects=ideal)
            p.count((cid, f"not_ideal_{side}"), c.n - ideal, subjects=c.n - ideal, shown=False)
            p.adds_up((cid, "n"), [(cid, f"ideal_{side}"), (cid, f"not_ideal_{side}")])
        p.adds_up((cid, "n"), [(cid, "toward"), (cid, "unchanged"), (cid, "away")])
    star: object = (*prefix, "*") if prefix else "*"

    def comp(c: ComponentChange) -> object:
        return (*prefix, c.component) if prefix else c.component

    for f in ("n", "toward", "unchanged", "away"):
        v = getattr(cmp, f)
        # a total counts subject x component pairs: the subjects behind it are at least as
        # many as behind its largest part (a lower bound, so a small group stays hidden)
        subjects = max((getattr(c, f) for c in cmp.components), default=0)
        p.count((star, f), v, subjects=subjects)
        p.adds_up((star, f), [(comp(c), f) for c in cmp.components])
    p.adds_up((star, "n"), [(star, "toward"), (star, "unchanged"), (star, "away")])


def _shown_change(
    c: ComponentChange, mask: Mask | None, prefix: tuple[object, ...] = ()
) -> dict[str, object]:
    """A component's figures as shown: hidden counts as markers, and the shares and mean
    they enter hidden too."""
    d: dict[str, object] = {f: getattr(c, f) for f in _CHANGE_FIGURES}
    d["share_base_higher"] = c.share_base_higher
    d["base_above_other"] = c.base_above_other
    if mask is None:
        return d
    cid: object = (*prefix, c.component) if prefix else c.component

    def hidden(*fs: str) -> object:
        return mask.any_hidden((cid, f) for f in fs)

    for f in _CHANGE_COUNTS:
        d[f] = mask.show((cid, f), d[f])
    d["share_ideal_base"] = hidden("n", "ideal_base") or c.share_ideal_base
    d["share_ideal_other"] = hidden("n", "ideal_other") or c.share_ideal_other
    d["change_share_ideal"] = hidden("n", "ideal_base", "ideal_other") or c.change_share_ideal
    d["share_base_higher"] = hidden("n", "away") or c.share_base_higher
    d["base_above_other"] = hidden("n", "toward", "unchanged", "away") or c.base_above_other
    return d


def _shown_totals(
    cmp: Comparison, mask: Mask | None, prefix: tuple[object, ...] = ()
) -> dict[str, object]:
    star: object = (*prefix, "*") if prefix else "*"
    out: dict[str, object] = {
        f: getattr(cmp, f) if mask is None else mask.show((star, f), getattr(cmp, f))
        for f in ("n", "toward", "unchanged", "away")
    }
    hidden = None if mask is None else mask.any_hidden((star, f) for f in ("n", "away"))
    out["share_base_higher"] = hidden or cmp.share_base_higher
    return out


def _sides(
    ratings: RatingSet | Counted,
    by: str,
    base: str | None,
    other: str | None,
    occasions: Sequence[str] | None = None,
) -> tuple[str, str]:
    """The two values compared. For occasions, in time order (see
    :meth:`~icmaps.RatingSet.occasion_order`): by default the first and the last; with only
    ``other`` given, the occasion just before it; with only ``base``, the last."""
    if by == "occasion":
        values = list(ratings.occasion_order(occasions).occasions)
    else:
        values = [str(v) for v in ratings.categories(by) if v is not None]
    for v in (base, other):
        if v is not None and v not in values:
            raise UsageError(f"no ratings with {by} {v!r} (values: {', '.join(values)})")
    if base is None or other is None:
        if len(values) < 2:
            found = ", ".join(map(str, values)) or "none"
            raise UsageError(f"need two values of {by!r} to compare (found: {found})")
        if base is None and other is not None and by == "occasion":
            at = values.index(other)
            if at == 0:
                raise UsageError(
                    f"no occasion before {other!r} to compare with (in time order: "
                    f"{', '.join(values)}); give base="
                )
            base = values[at - 1]
        base = values[0] if base is None else base
        other = values[-1] if other is None else other
    if base == other:
        raise UsageError(f"base and other are both {base!r}")
    return base, other


def compare(
    ratings: RatingSet | Counted,
    by: str = "occasion",
    base: str | None = None,
    other: str | None = None,
    *,
    rule: Rule = "median",
    occasions: Sequence[str] | None = None,
    period: Period | Mapping[str, str] | None = None,
    between: str | None = None,
    min_n: int | None = None,
) -> Comparison:
    """Per-component transitions from ``base`` to ``other`` (two values of column ``by``).

    Each subject's level on each side is one level (several raters combined by ``rule``, as
    in :func:`~icmaps.consensus`). Only subjects rated on both sides are compared.
    Subjects are matched by ``subject`` (and by ``occasion`` too when ``by`` is not the
    occasion, e.g. comparing two raters). ``base`` and ``other`` default to the first and last
    value of ``by`` in the ratings; occasions are taken in time order (``occasions`` gives it
    explicitly; else dates and year-term labels are sorted in time, other labels keep file
    order), and with only ``other`` given, ``base`` is the occasion just before it.
    ``period`` (``"month"``, ``"term"``, ``"year"`` or a mapping) first rolls dated occasions
    up into periods (:meth:`~icmaps.RatingSet.in_periods`), so monthly walkthroughs compare
    term against term. When nothing could be compared, ``note`` says why.

    ``between`` names the column the same way ``by`` does and reads better for sources of a
    rating: ``compare(rs, between="source", base="self", other="observer")`` pairs each
    subject's self-rating with the observation of the same occasion; then
    ``share_base_higher`` is the share of components where the self-rating is higher and
    ``base_above_other`` the mean difference in levels (self minus observer).

    With ``min_n``, what the comparison shows hides every count of fewer than ``min_n``
    compared subjects (``<5``), the figures that would give one back (``*``), the shares and
    means they enter, the transition matrices and the list of moves.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> c = compare(rs, by="occasion", base="2025-fall", other="2026-spring")
    >>> tl = c.component("tl-team-meets")
    >>> tl.n, tl.toward, tl.unchanged, tl.away
    (6, 3, 3, 0)
    >>> "toward" in c._repr_html_()
    True
    """
    check_rule(rule)
    from icmaps.stats.disclosure import check_min_n

    min_n = check_min_n(min_n)
    if between is not None:
        if by not in ("occasion", between):
            raise UsageError(f"give by= or between=, not both ({by!r}, {between!r})")
        by = between
    check_columns(ratings, [by], forbid=("component", "code", "subject"))
    if period is not None:
        ratings = ratings.in_periods(period)
    base, other = _sides(ratings, by, base, other, occasions)
    unit = ("subject",) if by == "occasion" else ("subject", "occasion")
    result = compare_from(
        ratings.map, decisions(ratings, (by, *unit), rule), 0, unit, by, base, other, rule
    )
    return result if min_n is None else dataclasses.replace(result, min_n=min_n)


def compare_from(  # noqa: PLR0917 (the parts of a comparison, in order)
    m: Map,
    d: Decisions,
    by_pos: int,
    unit: tuple[str, ...],
    by: str,
    base: str,
    other: str,
    rule: Rule,
) -> Comparison:
    """:func:`compare` from decisions already made: units keyed by the ``unit`` columns with
    the ``by`` value at position ``by_pos`` (so a report can share one pass over the ratings
    with :func:`icmaps.fidelity`)."""
    np = require("numpy", "compare needs numpy", extra="fast")

    # each decided row: its side (0 base, 1 other, -1 neither) and its unit without `by`,
    # from the units' category indices (no Python pass over the units)
    values = d.counts.tally.values
    codes = d.unit_codes
    by_values = values[by_pos]
    side_of_unit = np.full(max(len(codes), 1), -1, dtype=np.int64)
    for s, wanted in ((0, base), (1, other)):
        if wanted in by_values:
            side_of_unit[: len(codes)][codes[:, by_pos] == by_values.index(wanted)] = s
    others = [j for j in range(len(values)) if j != by_pos]
    # the units without `by`, sorted as key_sort sorts their values
    if others and len(codes):
        ranked = [value_ranks(values[j])[codes[:, j]] for j in others]
        rest_ranks, rest_of_unit = _unique_rows(ranked)
        by_rank = [np.argsort(value_ranks(values[j])) for j in others]
        rest_cols = [
            np.asarray(values[j], dtype=object)[by_rank[i][rest_ranks[:, i]]].tolist()
            for i, j in enumerate(others)
        ]
        rest = list(zip(*rest_cols, strict=True))
    else:
        rest = [()] if len(codes) else []
        rest_of_unit = np.zeros(max(len(codes), 1), dtype=np.int64)
    side = side_of_unit[d.unit]
    n_comp = max(len(d.components), 1)
    cell = rest_of_unit[d.unit] * n_comp + d.component  # unit-without-by x component
    level = d.level
    b_rows = np.flatnonzero(side == 0)
    o_rows = np.flatnonzero(side == 1)
    b_cell, o_cell = cell[b_rows], cell[o_rows]
    both, bi, oi = np.intersect1d(b_cell, o_cell, assume_unique=True, return_indices=True)
    lb, lo = level[b_rows[bi]], level[o_rows[oi]]
    paired = (lb >= 0) & (lo >= 0)
    only_b = np.ones(len(b_rows), dtype=bool)
    only_b[bi[paired]] = False
    only_o = np.ones(len(o_rows), dtype=bool)
    only_o[oi[paired]] = False
    b_only = np.bincount(d.component[b_rows[only_b & (level[b_rows] >= 0)]], minlength=n_comp)
    o_only = np.bincount(d.component[o_rows[only_o & (level[o_rows] >= 0)]], minlength=n_comp)
    seen = np.zeros(n_comp, dtype=bool)
    seen[d.component[side >= 0]] = True
    pc = both[paired] % n_comp
    pu = both[paired] // n_comp
    pb, po = lb[paired], lo[paired]
    moved = np.flatnonzero(pb != po)
    # moves in map order of the component, then unit order (sorted here, not in Python)
    order = {c.id: i for i, c in enumerate(m.iter_components())}
    comp_rank = np.asarray([order[c] for c in d.components] or [0], dtype=np.int64)
    moved = moved[np.lexsort((pu[moved], comp_rank[pc[moved]]))]
    moves = Moves(
        tuple(rest),
        d.components,
        pu[moved],
        pc[moved],
        pb[moved],
        po[moved],
        d.counts,
        b_rows[bi[paired]][moved],
        o_rows[oi[paired]][moved],
    )
    index = {c: i for i, c in enumerate(d.components)}
    changes: list[ComponentChange] = []
    for c in m.iter_components():
        i = index.get(c.id)
        if i is None or not seen[i]:
            continue
        desired = m.scale_of(c.id).desired()
        k = len(desired)
        ideal = np.asarray([lv.zone == "ideal" for lv in desired])
        mine = pc == i
        matrix = np.zeros((k, k), dtype=np.int64)
        np.add.at(matrix, (pb[mine], po[mine]), 1)
        changes.append(
            ComponentChange(
                c.id,
                c.title,
                tuple(lv.code for lv in desired),
                tuple(tuple(row) for row in matrix.tolist()),
                int(ideal[pb[mine]].sum()),
                int(ideal[po[mine]].sum()),
                int(b_only[i]),
                int(o_only[i]),
            )
        )
    note = None
    if not paired.any():  # say why nothing was compared
        on_base = len(np.unique(rest_of_unit[d.unit[b_rows[level[b_rows] >= 0]]]))
        on_other = len(np.unique(rest_of_unit[d.unit[o_rows[level[o_rows] >= 0]]]))
        who = "subject" if unit == ("subject",) else "subject on one occasion"
        if not on_base or not on_other:
            empty = base if not on_base else other
            note = f"nothing compared: no component was rated on {by} {empty!r}"
        elif by != "occasion":
            note = (
                f"nothing compared: {by} {base!r} and {other!r} never meet within one occasion "
                f"({on_base} on {base!r}, {on_other} on {other!r}); a {by} that changes over "
                "time is compared with --by occasion (or --period to roll occasions up)"
            )
        else:
            note = (
                f"nothing compared: no {who} was rated on both {base!r} and {other!r} "
                f"({on_base} on {base!r} only, {on_other} on {other!r} only)"
            )
    return Comparison(m.id, by, base, other, rule, unit, tuple(changes), moves, note)


# -- trends over any number of occasions ----------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TrendRow:
    """One component, group or the whole map: its share (0-1) ideal and ideal-or-acceptable
    on each occasion (None when nothing of it was rated then)."""

    scope: str
    id: str
    title: str
    depth: int
    ideal: tuple[float | None, ...]
    acceptable: tuple[float | None, ...]
    rated: tuple[int, ...]

    @property
    def change_ideal(self) -> float | None:
        """Share ideal on the last occasion it was rated minus the first (-1 to 1)."""
        seen = [v for v in self.ideal if v is not None]
        return seen[-1] - seen[0] if len(seen) > 1 else None


@dataclasses.dataclass(frozen=True, slots=True)
class Trend(TableResult):
    """Shares ideal per occasion (in time order), per component and group and overall."""

    map_id: str
    occasions: tuple[str, ...]
    order: str  # how the occasions were put in time order: given, dates or file
    rows: tuple[TrendRow, ...]

    def row(self, id: str) -> TrendRow:
        """One row by component, group or map id."""
        for r in self.rows:
            if r.id == id:
                return r
        known = ", ".join(r.id for r in self.rows[:8]) or "none"
        raise NotFoundError(f"no trend row {id!r} (rows: {known} ...)")

    def to_table(self) -> Table:
        """One row per component and group (map order) and the map; a share column per
        occasion and the change from the first to the last occasion rated."""
        cols = (
            Column("id"),
            Column("title", show="html"),
            *(Column(f"ideal_{o}", "share", f"% ideal {o}") for o in self.occasions),
            Column("change_ideal", "change", "change"),
        )
        rows = tuple(
            (("  " * r.depth) + r.id, r.title, *r.ideal, r.change_ideal) for r in self.rows
        )
        note = f"% ideal per occasion ({' -> '.join(self.occasions)})"
        if self.order == "file":
            note += "; occasions in file order: their labels are not dates (give --occasions)"
        return Table("Trend", cols, rows, (("map", self.map_id),), note=note)


def trend(
    ratings: RatingSet,
    *,
    occasions: Sequence[str] | None = None,
    period: Period | Mapping[str, str] | None = None,
) -> Trend:
    """The share of ratings ideal (and ideal or acceptable) on every occasion, in time order,
    per component, per group and for the whole map: growth over any number of occasions.
    ``period`` rolls dated occasions (monthly walkthroughs) up into months, terms or school
    years first; ``occasions`` gives the time order.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> t = trend(rs)
    >>> t.occasions, round(t.row("learning-school").change_ideal, 3)
    (('2025-fall', '2026-spring'), 0.084)
    """
    from icmaps.stats.gaps import _reference_order
    from icmaps.stats.summary import summarize

    if period is not None:
        ratings = ratings.in_periods(period)
    order = ratings.occasion_order(occasions)
    s = summarize(ratings, by=["occasion"])
    cells: dict[tuple[str, str], dict[str, SummaryRow]] = {}
    info: dict[tuple[str, str], tuple[str, int]] = {}
    for r in s.rows:
        if r.scope == "role":
            continue
        ident: tuple[str, str] = (r.scope, r.id)
        info.setdefault(ident, (r.title, r.depth))
        cells.setdefault(ident, {})[str(r.key[0])] = r
    ref = _reference_order(ratings.map)
    rows = []
    for key in sorted(cells, key=lambda k: ref.get(k, len(ref))):
        per = cells[key]
        title, depth = info[key]
        got = [per.get(o) for o in order.occasions]
        rows.append(
            TrendRow(
                key[0],
                key[1],
                title,
                depth,
                tuple(None if g is None else g.share_ideal for g in got),
                tuple(None if g is None else g.share_ideal_or_acceptable for g in got),
                tuple(0 if g is None else g.n for g in got),
            )
        )
    return Trend(ratings.map.id, order.occasions, order.basis, tuple(rows))


# -- groups side by side --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class GroupRow:
    """One summary row (a component or roll-up) with its result in each group (None when the
    group has no rating of it)."""

    scope: str
    id: str
    kind: str
    title: str
    depth: int
    cells: tuple[SummaryRow | None, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class GroupComparison(TableResult):
    """Summaries of several groups side by side."""

    map_id: str
    by: str
    groups: tuple[str | None, ...]
    rows: tuple[GroupRow, ...]

    def row(self, id: str) -> GroupRow:
        """The row of a component, group, role or the map; :class:`~icmaps.errors.NotFoundError`
        names the rows there are."""
        for r in self.rows:
            if r.id == id:
                return r
        known = ", ".join(r.id for r in self.rows[:8]) or "none"
        more = f" and {len(self.rows) - 8} more" if len(self.rows) > 8 else ""
        raise NotFoundError(f"no row {id!r} (rows: {known}{more})")

    def _wide(self) -> Table:
        """The groups side by side: % ideal and n of each, one row per summary row."""
        cols: list[Column] = [Column("row", indent=True)]
        for i, g in enumerate(self.groups):
            name = "" if g is None else g
            cols += [
                Column(f"share_ideal_{i}", "share", f"{name} % ideal"),
                Column(f"n_{i}", "int", f"{name} n"),
            ]
        rows = []
        for r in self.rows:
            cells: list[object] = [r.id if r.scope == "component" else f"[{r.kind}] {r.id}"]
            for c in r.cells:
                cells += [None, None] if c is None else [c.share_ideal, c.n]
            rows.append(tuple(cells))
        return Table(
            f"% ideal by {self.by}",
            tuple(cols),
            tuple(rows),
            roll=tuple(r.scope != "component" for r in self.rows),
            depth=tuple(r.depth for r in self.rows),
        )

    def to_table(self) -> Table:
        """Long form: one row per summary row and group (shares 0-1); people see the groups
        side by side (a second table)."""
        cols = (
            Column(self.by, show=False),
            Column("scope", show=False),
            Column("id", show=False),
            Column("title", show=False),
            Column("n", "int", show=False),
            Column("na", "int", show=False),
            Column("missing", "int", show=False),
            Column("share_ideal", "share", show=False),
            Column("share_ideal_or_acceptable", "share", show=False),
            Column("mean_score", "float", show=False),
        )
        rows = tuple(
            (
                g,
                r.scope,
                r.id,
                r.title,
                cell.n,
                cell.na,
                cell.missing,
                cell.share_ideal,
                cell.share_ideal_or_acceptable,
                cell.mean_score,
            )
            for r in self.rows
            for g, cell in zip(self.groups, r.cells, strict=True)
            if cell is not None
        )
        facts = (("map", self.map_id), ("by", self.by), ("groups", len(self.groups)))
        return Table("Groups compared", cols, rows, facts, more=(self._wide(),))

    def to_dict(self) -> dict[str, object]:
        """Plain data: the groups and the long-form rows (shares 0-1)."""
        return {
            "map": self.map_id,
            "by": self.by,
            "groups": list(self.groups),
            "rows": self.to_records(),
        }

    def __repr__(self) -> str:
        return f"<GroupComparison by {self.by}: {len(self.groups)} groups, {len(self.rows)} rows>"


def compare_groups(
    ratings: RatingSet, by: str = "school", *, groups: Iterable[str] | None = None
) -> GroupComparison:
    """The summaries of each value of ``by`` side by side (see
    :func:`~icmaps.summarize`; ratings are counted as they are).

    ``groups`` picks and orders the values shown (default: all, sorted).

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> g = compare_groups(rs, by="district")
    >>> g.groups
    ('eastport-sd', 'north-valley-usd')
    >>> [round(c.share_ideal, 3) for c in g.row("learning-school").cells if c]
    [0.066, 0.238]
    """
    from icmaps.stats.summary import summarize

    s = summarize(ratings, by=[by])
    keys = [k[0] for k in s.group_keys()]
    if groups is not None:
        wanted: list[str | None] = list(groups)
        for g in wanted:
            if g not in keys:
                shown = ", ".join(str(k) for k in keys)
                raise UsageError(f"no ratings with {by} {g!r} (values: {shown})")
        keys = wanted
    order: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    cells: dict[tuple[str, str], dict[str | None, SummaryRow]] = {}
    for r in s.rows:
        ident = (r.scope, r.id)
        order.setdefault(ident, (r.kind, r.title, r.scope, r.depth))
        cells.setdefault(ident, {})[r.key[0]] = r
    # a fixed order: the map's, whatever group was seen first
    ref = _reference_order(ratings.map)
    rows = [
        GroupRow(
            scope,
            ident[1],
            kind,
            title,
            depth,
            tuple(cells[ident].get(k) for k in keys),
        )
        for ident, (kind, title, scope, depth) in sorted(
            order.items(), key=lambda kv: ref.get(kv[0], len(ref))
        )
    ]
    return GroupComparison(ratings.map.id, by, tuple(keys), tuple(rows))
