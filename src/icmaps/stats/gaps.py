"""Gaps to a target: how far each subject is from the ideal (or another) zone."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.columns import LEVEL_MISSING
from icmaps.stats.rules import (
    Rule,
    check_rule,
)
from icmaps.stats.tally import decisions

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet

__all__ = ["Gap", "GapReport", "gap_to_target"]


def _reference_order(m: Map) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {("map", m.id): 0}
    for r in m.roles:
        out[("role", r.id)] = len(out)

    for node in m.outline():
        out[(node.kind, node.id)] = len(out)
    return out


# -- gap to a target ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Gap:
    """How far one component is from its target, in levels (0 when at or beyond it).

    ``current`` is the code of the level reached (ratings combined by the rule), ``None``
    when nothing was rated; then ``gap`` is ``None`` too.
    """

    component: str
    title: str
    current: str | None
    target: str
    gap: int | None
    n: int

    @property
    def met(self) -> bool:
        """True when the target is reached."""
        return self.gap == 0

    def to_record(self) -> Record:
        """A flat row."""
        return {
            "component": self.component,
            "title": self.title,
            "current": self.current,
            "target": self.target,
            "gap": self.gap,
            "n": self.n,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class GapReport(TableResult):
    """Gaps per component, largest first."""

    map_id: str
    target: str
    within: tuple[tuple[str, str], ...]
    rule: Rule
    gaps: tuple[Gap, ...]

    @property
    def total(self) -> int:
        """Sum of the gaps (levels to climb in all)."""
        return sum(g.gap or 0 for g in self.gaps)

    def row(self, component_id: str) -> Gap:
        """The gap of one component; :class:`~icmaps.errors.NotFoundError` names the
        components there are."""
        for g in self.gaps:
            if g.component == component_id:
                return g
        known = ", ".join(g.component for g in self.gaps) or "none"
        raise NotFoundError(f"no gap for component {component_id!r} (components: {known})")

    def to_table(self) -> Table:
        """One row per component, largest gap first."""
        cols = (
            Column("component"),
            Column("title", show="html"),
            Column("current"),
            Column("target"),
            Column("gap", "int"),
            Column("n", "int"),
        )
        rows = tuple((g.component, g.title, g.current, g.target, g.gap, g.n) for g in self.gaps)
        where = ", ".join(f"{k}={v}" for k, v in self.within) or "all ratings"
        facts = (
            ("map", self.map_id),
            ("target", self.target),
            ("for", where),
            ("total", self.total),
        )
        note = f"gap to target ({self.target}) for {where}: {self.total} levels in all"
        return Table("Gap to target", cols, rows, facts, note=note)

    def to_dict(self) -> dict[str, object]:
        """Plain data."""
        return {
            "map": self.map_id,
            "target": self.target,
            "within": dict(self.within),
            "rule": self.rule,
            "total": self.total,
            "gaps": self.to_records(),
        }

    def __repr__(self) -> str:
        return f"<GapReport to {self.target}: {len(self.gaps)} components, {self.total} levels>"


_ZONE_TARGETS = ("ideal", "acceptable")


def _target_level(m: Map, component_id: str, want: str) -> int:
    scale = m.scale_of(component_id)
    if want in scale.codes():
        return scale.index(want)
    if want in _ZONE_TARGETS:
        ok = ("ideal",) if want == "ideal" else ("ideal", "acceptable")
        return max(i for i, lv in enumerate(scale.desired()) if lv.zone in ok)
    raise UsageError(
        f"target {want!r} for {component_id!r} is neither a level code "
        f"({', '.join(scale.codes())}) nor 'ideal' / 'acceptable'"
    )


def gap_to_target(
    ratings: RatingSet,
    target: Mapping[str, str] | Literal["ideal", "acceptable"] = "ideal",
    *,
    rule: Rule = "median",
    **within: str,
) -> GapReport:
    """Per component, how many levels the ratings (of a subject or a group) are from a target.

    ``target`` is ``"ideal"`` (reach the ideal zone on every rated component),
    ``"acceptable"`` (reach at least the acceptable zone), or a mapping component id ->
    level code (or ``"ideal"`` / ``"acceptable"``). ``within`` filters the ratings first
    (``subject="..."``, ``school="..."``, ``occasion="..."``). Per component every rating that
    counts is combined by ``rule`` (as in :func:`~icmaps.consensus`); the gap is
    ``max(0, current level - target level)`` in desired-first levels. Largest gaps first, then
    map order; components not rated come last with no gap.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> g = gap_to_target(rs, "ideal", subject="lincoln-elementary", occasion="2025-fall")
    >>> [(x.component, x.current, x.gap) for x in g.gaps[:2]]
    [('al-team-agenda', '3', 2), ('cr-shared-ownership', '3', 2)]
    """
    check_rule(rule)
    m = ratings.map
    rs = ratings.filter(**within) if within else ratings
    d = decisions(rs, (), rule)
    row_of = {d.components[c]: i for i, c in enumerate(d.component.tolist())}
    rated = d.counts.rated.sum(axis=1).tolist()
    levels = d.level.tolist()
    if isinstance(target, str):
        if target not in _ZONE_TARGETS:
            raise UsageError(f"target must be 'ideal', 'acceptable' or a mapping, not {target!r}")
        wanted: dict[str, str] = dict.fromkeys(row_of, target)
        label: str = target
    else:
        wanted = {str(k): str(v) for k, v in target.items()}
        for c in wanted:
            m.component(c)
        label = "profile"
    order = {c.id: i for i, c in enumerate(m.iter_components())}
    gaps = []
    for comp in sorted(wanted, key=lambda c: order[c]):
        t = _target_level(m, comp, wanted[comp])
        desired = m.scale_of(comp).desired()
        row = row_of.get(comp)
        level = levels[row] if row is not None else LEVEL_MISSING
        if level >= 0:
            gaps.append(
                Gap(
                    comp,
                    m.component(comp).title,
                    desired[level].code,
                    desired[t].code,
                    max(0, level - t),
                    int(rated[row]),
                )
            )
        else:
            gaps.append(Gap(comp, m.component(comp).title, None, desired[t].code, None, 0))
    gaps.sort(key=lambda g: (g.gap is None, -(g.gap or 0), order[g.component]))
    return GapReport(m.id, label, tuple(within.items()), rule, tuple(gaps))
