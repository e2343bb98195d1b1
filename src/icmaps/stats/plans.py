"""Action plans: one subject's components below a target, with the text of where it is and of
the next step up the map, ordered for a team to act on."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record
from icmaps.errors import NotFoundError, UsageError
from icmaps.stats.gaps import gap_to_target
from icmaps.stats.rules import Rule

if TYPE_CHECKING:
    from icmaps.maps.model import Map
    from icmaps.ratings.ratingset import RatingSet

__all__ = ["ActionPlan", "PlanItem", "action_plan"]


@dataclasses.dataclass(frozen=True, slots=True)
class PlanItem:
    """One component below target: where the subject is (code and variation text), the next
    variation up, the target, and empty ``owner``, ``due`` and ``status`` for the team."""

    priority: int
    component: str
    title: str
    critical: bool
    weight: float
    current: str
    current_text: str
    next: str
    next_text: str
    target: str
    steps: int
    evidence: str = ""
    owner: str = ""
    due: str = ""
    status: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ActionPlan(TableResult):
    """The components of one subject below a target on one occasion, critical components
    first, then by weight, then by distance (in levels), then map order."""

    map_id: str
    subject: str
    occasion: str
    target: str
    rule: Rule
    items: tuple[PlanItem, ...]
    at_target: tuple[str, ...]  # components already at or beyond the target
    not_rated: tuple[str, ...]  # components with no rating that counts (N/A, missing, none)
    map_title: str = ""
    map_version: str = ""

    def row(self, component_id: str) -> PlanItem:
        """The plan item of one component (:class:`~icmaps.errors.NotFoundError` when the
        component is not below target)."""
        for item in self.items:
            if item.component == component_id:
                return item
        listed = ", ".join(i.component for i in self.items) or "none"
        raise NotFoundError(f"no plan item for {component_id!r} (items: {listed})")

    def to_table(self) -> Table:
        """One row per item, in priority order; owner, due and status are left blank."""
        cols = (
            Column("priority", "int", "#"),
            Column("component"),
            Column("title"),
            Column("critical", "bool", show=False),
            Column("current"),
            Column("current_text", label="where it is"),
            Column("next", show=False),
            Column("next_text", label="next step up"),
            Column("target"),
            Column("steps", "int"),
            Column("evidence"),
            Column("owner"),
            Column("due"),
            Column("status"),
        )
        rows = tuple(
            (
                i.priority,
                i.component,
                i.title,
                i.critical,
                i.current,
                i.current_text,
                i.next,
                i.next_text,
                i.target,
                i.steps,
                i.evidence,
                i.owner,
                i.due,
                i.status,
            )
            for i in self.items
        )
        facts: tuple[tuple[str, object], ...] = (
            ("map", self.map_id),
            ("subject", self.subject),
            ("occasion", self.occasion),
            ("target", self.target),
            ("below target", len(self.items)),
            ("at target", len(self.at_target)),
            ("not rated", len(self.not_rated)),
        )
        note = (
            f"action plan for {self.subject} ({self.occasion}): {len(self.items)} components "
            f"below {self.target}; critical first, then weight, then distance"
        )
        return Table("Action plan", cols, rows, facts, note=note)

    def to_dict(self) -> dict[str, object]:
        """Plain data: the plan's settings, its items, and the components left out."""
        records: list[Record] = self.to_records()
        return {
            "map": self.map_id,
            "subject": self.subject,
            "occasion": self.occasion,
            "target": self.target,
            "rule": self.rule,
            "items": records,
            "at_target": list(self.at_target),
            "not_rated": list(self.not_rated),
        }


def subject_occasion(
    ratings: RatingSet,
    subject: str,
    occasion: str | None,
    occasions: Sequence[str] | None,
) -> tuple[RatingSet, tuple[str, ...], str]:
    """One subject's ratings, its occasions in time order, and the occasion asked for (by
    default its last); errors name the subjects or occasions there are."""
    subjects = [s for s in ratings.categories("subject") if s is not None]
    if subject not in subjects:
        shown = ", ".join(map(str, subjects[:8])) + (" ..." if len(subjects) > 8 else "")
        raise NotFoundError(f"no subject {subject!r} in the ratings (subjects: {shown})")
    mine = ratings.filter(subject=subject)
    rated = mine.categories("occasion")
    order = mine.occasion_order([o for o in occasions if o in rated] if occasions else None)
    if not order.occasions:
        raise UsageError(f"subject {subject!r} has no rated occasion")
    if occasion is None:
        occasion = order.occasions[-1]
    elif occasion not in order.occasions:
        raise NotFoundError(
            f"subject {subject!r} was not rated on {occasion!r} "
            f"(its occasions: {', '.join(order.occasions)})"
        )
    return mine, order.occasions, occasion


def _given(ratings: RatingSet, rule: Rule) -> dict[str, tuple[str, str]]:
    """Per component of these ratings (one subject on one occasion), the code to show for the
    decided level and its text: the level's own code and variation, or, when raters gave a
    special code that counts as that level (non-use), that code and its label."""
    import numpy as np

    from icmaps.stats.tally import decisions

    m = ratings.map
    d = decisions(ratings, (), rule)
    rows = np.flatnonzero(d.level >= 0)
    shown = d.counts.shown_codes(rows, d.level[rows]) if len(rows) else []
    out: dict[str, tuple[str, str]] = {}
    for row, code in zip(rows.tolist(), shown, strict=True):
        comp = d.components[int(d.component[row])]
        texts = {v.code: v.text for v in m.variations_of(comp)}
        if code in texts:
            out[comp] = (code, texts[code])
        else:  # a special code counting as a level: say what it is, not the level's text
            special = next((sp for sp in m.scale_of(comp).special if sp.code == code), None)
            label = special.label if special is not None else code
            extra = (
                f": {special.description}" if special is not None and special.description else ""
            )
            out[comp] = (code, f"{label}{extra}")
    return out


def _written(ratings: RatingSet, occasion: str) -> dict[str, list[str]]:
    """What raters wrote (note, evidence) on each component on ``occasion``, in file order,
    each text once."""
    said: dict[str, list[str]] = {}
    if ratings.text_columns:
        now = ratings.filter(occasion=occasion)
        comps = now.column("component")
        for name in now.text_columns:
            for comp, text in zip(comps, now.column(name), strict=True):
                if text and text not in said.setdefault(str(comp), []):
                    said[str(comp)].append(text)
    return said


def _up(m: Map, component_id: str, level: int) -> tuple[str, str]:
    """The next filled variation up from ``level`` (desired-first), as (code, text)."""
    variations = {v.index: v for v in m.variations_of(component_id)}
    for i in range(level - 1, -1, -1):
        v = variations.get(i)
        if v is not None and v.text:
            return v.code, v.text
    v = variations[max(level - 1, 0)]
    return v.code, v.text


def action_plan(
    ratings: RatingSet,
    subject: str,
    *,
    target: Literal["ideal", "acceptable"] | str = "ideal",
    occasion: str | None = None,
    occasions: Sequence[str] | None = None,
    rule: Rule = "median",
) -> ActionPlan:
    """An action plan for one subject: every component below ``target`` (``"ideal"``,
    ``"acceptable"`` or a level code) on ``occasion`` (default: the last occasion, in time
    order, on which the subject was rated), with the text of the variation it is at and of the
    next one up. Several raters are combined by ``rule``. Critical components come first,
    then heavier weights, then larger distances.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> plan = action_plan(rs, "lincoln-elementary")
    >>> plan.occasion, plan.items[0].critical
    ('2026-spring', True)
    """
    m = ratings.map
    mine, _, occasion = subject_occasion(ratings, subject, occasion, occasions)
    if target in ("ideal", "acceptable"):
        wanted: str | dict[str, str] = target
    else:  # a level code, for every component whose scale has it
        wanted = {c.id: target for c in m.iter_components() if target in m.scale_of(c.id).codes()}
        if not wanted:
            raise UsageError(f"target {target!r} is not 'ideal', 'acceptable' or a level code")
    gaps = gap_to_target(mine, wanted, rule=rule, occasion=occasion)  # type: ignore[arg-type]
    rank = {c.id: i for i, c in enumerate(m.iter_components())}
    said = _written(mine, occasion)
    below = [g for g in gaps.gaps if g.gap]
    below.sort(
        key=lambda g: (
            not m.component(g.component).critical,
            -m.component(g.component).weight,
            -(g.gap or 0),
            rank[g.component],
        )
    )
    items = []
    given = _given(mine.filter(occasion=occasion), rule)
    for n, g in enumerate(below, start=1):
        c = m.component(g.component)
        scale = m.scale_of(c.id)
        level = scale.index(str(g.current))
        code, text = given.get(c.id, (str(g.current), ""))
        nxt, nxt_text = _up(m, c.id, level)
        items.append(
            PlanItem(
                n,
                c.id,
                c.title,
                c.critical,
                c.weight,
                code,
                text,
                nxt,
                nxt_text,
                g.target,
                int(g.gap or 0),
                " | ".join(said.get(c.id, ())),
            )
        )
    return ActionPlan(
        m.id,
        subject,
        occasion,
        target,
        rule,
        tuple(items),
        tuple(g.component for g in gaps.gaps if g.gap == 0),
        tuple(g.component for g in gaps.gaps if g.gap is None),
        m.title,
        m.version,
    )
