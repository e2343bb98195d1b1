"""One subject's IC profile: where it is on each component, the next step up, what raters
wrote, and the change since its previous occasion."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from icmaps._table import Column, Table, TableResult
from icmaps.errors import NotFoundError
from icmaps.stats.rules import Rule, check_rule
from icmaps.stats.tally import decisions

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet

__all__ = ["Profile", "ProfileRow", "profile"]


@dataclasses.dataclass(frozen=True, slots=True)
class ProfileRow:
    """One component of a subject's profile. ``code`` is None when nothing was rated (N/A
    or missing: ``status``); ``next`` is None at the most desired level; ``change`` is the
    number of levels moved toward the desired end since ``previous`` (negative: away)."""

    component: str
    title: str
    critical: bool
    code: str | None
    text: str
    zone: str | None
    status: str
    next: str | None
    next_text: str
    previous: str | None
    change: int | None
    evidence: str


@dataclasses.dataclass(frozen=True, slots=True)
class Profile(TableResult):
    """A subject's IC profile on one occasion (every component of the map, in map order)."""

    map_id: str
    map_title: str
    map_version: str
    subject: str
    occasion: str
    previous_occasion: str | None
    rule: Rule
    rows: tuple[ProfileRow, ...]

    def row(self, component_id: str) -> ProfileRow:
        """The row of one component."""
        for r in self.rows:
            if r.component == component_id:
                return r
        raise NotFoundError(f"no component {component_id!r} in the profile of {self.subject!r}")

    def to_table(self) -> Table:
        """One row per component: where it is, the next step, evidence and the change."""
        cols = (
            Column("component"),
            Column("title"),
            Column("code"),
            Column("text", label="where it is"),
            Column("zone"),
            Column("next", show=False),
            Column("next_text", label="next step up"),
            Column("previous", label=f"on {self.previous_occasion or '–'}"),
            Column("change", "int", "levels up"),
            Column("evidence"),
        )
        rows = tuple(
            (
                r.component,
                r.title,
                r.code if r.code is not None else r.status,
                r.text,
                r.zone,
                r.next,
                r.next_text,
                r.previous,
                r.change,
                r.evidence,
            )
            for r in self.rows
        )
        facts: tuple[tuple[str, object], ...] = (
            ("map", f"{self.map_id} {self.map_version}"),
            ("subject", self.subject),
            ("occasion", self.occasion),
            ("previous occasion", self.previous_occasion or "–"),
        )
        note = f"IC profile of {self.subject} on {self.occasion}"
        return Table("Profile", cols, rows, facts, note=note)


def profile(
    ratings: RatingSet,
    subject: str,
    *,
    occasion: str | None = None,
    occasions: Sequence[str] | None = None,
    rule: Rule = "median",
) -> Profile:
    """One subject's IC profile on ``occasion`` (default: its last, in time order): for each
    component the variation it is at and its text, the next variation up, what raters wrote
    (``note`` / ``evidence``), and the change since the subject's previous occasion. Several
    raters are combined by ``rule``.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> p = profile(rs, "lincoln-elementary")
    >>> p.occasion, p.previous_occasion, p.row("al-team-agenda").change
    ('2026-spring', '2025-fall', 1)
    """
    from icmaps.stats.plans import _given, _up, _written, subject_occasion

    check_rule(rule)
    m = ratings.map
    mine, order, occasion = subject_occasion(ratings, subject, occasion, occasions)
    at = order.index(occasion)
    previous = order[at - 1] if at else None
    d = decisions(mine, ("occasion",), rule)
    level: dict[tuple[str, str], int] = {}
    for u, c, lv in zip(d.unit.tolist(), d.component.tolist(), d.level.tolist(), strict=True):
        level[(str(d.units[u][0]), d.components[c])] = lv
    said = _written(mine, occasion)
    given = _given(mine.filter(occasion=occasion), rule)
    rows = []
    for c in m.iter_components():
        desired = m.scale_of(c.id).desired()
        texts = {v.code: v.text for v in m.variations_of(c.id)}
        lv = level.get((occasion, c.id))
        before = level.get((previous, c.id)) if previous else None
        if lv is None or lv < 0:
            status = "not rated" if lv is None else ("n/a" if lv == -2 else "missing")
            rows.append(
                ProfileRow(
                    c.id,
                    c.title,
                    c.critical,
                    None,
                    "",
                    None,
                    status,
                    None,
                    "",
                    None,
                    None,
                    " | ".join(said.get(c.id, ())),
                )
            )
            continue
        code, text = given.get(c.id, (desired[lv].code, texts.get(desired[lv].code, "")))
        nxt, nxt_text = _up(m, c.id, lv) if lv > 0 else (None, "")
        prev_code = desired[before].code if before is not None and before >= 0 else None
        change = before - lv if before is not None and before >= 0 else None
        rows.append(
            ProfileRow(
                c.id,
                c.title,
                c.critical,
                code,
                text,
                desired[lv].zone,
                "rated",
                nxt,
                nxt_text,
                prev_code,
                change,
                " | ".join(said.get(c.id, ())),
            )
        )
    return Profile(m.id, m.title, m.version, subject, occasion, previous, rule, tuple(rows))
