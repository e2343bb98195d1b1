"""Moving ratings from one map version to another through a crosswalk."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING

from icmaps._tabular import Record, records_frame, text_table
from icmaps.errors import UsageError
from icmaps.maps.crosswalk import Crosswalk
from icmaps.maps.model import Map

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings.ratingset import Rating, RatingSet

__all__ = ["DroppedRatings", "MigrationReport", "migrate_ratings"]


# -- migrating ratings ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DroppedRatings:
    """Ratings of one old component and code that could not be carried, and why."""

    component: str
    code: str | None
    reason: str
    count: int

    def to_dict(self) -> Record:
        """Plain-data form."""
        return {
            "component": self.component,
            "code": self.code,
            "reason": self.reason,
            "count": self.count,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class MigrationReport:
    """What :func:`migrate_ratings` did: ratings carried (of which moved to another component
    id or recoded), and every kind of rating it dropped with counts.

    >>> r = MigrationReport(10, 2, 1, (DroppedRatings("gone", "1", "dropped by the crosswalk", 3),))
    >>> r.dropped_count, r.complete
    (3, False)
    """

    carried: int
    renamed: int
    recoded: int
    dropped: tuple[DroppedRatings, ...] = ()

    @property
    def dropped_count(self) -> int:
        """Number of ratings not carried."""
        return sum(d.count for d in self.dropped)

    @property
    def complete(self) -> bool:
        """True when every rating was carried."""
        return not self.dropped

    def to_records(self) -> list[Record]:
        """One row per kind of dropped rating."""
        return [d.to_dict() for d in self.dropped]

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {
            "carried": self.carried,
            "renamed": self.renamed,
            "recoded": self.recoded,
            "dropped": self.to_records(),
        }

    def to_pandas(self) -> pandas.DataFrame:
        """The dropped ratings as a DataFrame (needs pandas)."""
        return records_frame(self.to_records(), ("component", "code", "reason", "count"))

    def __str__(self) -> str:
        head = (
            f"{self.carried} ratings carried ({self.renamed} to a new component id, "
            f"{self.recoded} recoded), {self.dropped_count} dropped"
        )
        if not self.dropped:
            return head
        rows = [[d.component, d.code or "", d.reason, str(d.count)] for d in self.dropped]
        return (
            head
            + "\n\n"
            + text_table(["component", "code", "reason", "count"], rows, right=["count"])
        )

    def __repr__(self) -> str:
        return f"<MigrationReport {self.carried} carried, {self.dropped_count} dropped>"


def _merged(target: str, olds: list[str]) -> str:
    """How ratings of ``olds`` came to share ``target``, for a drop reason."""
    sources = [c for c in dict.fromkeys(olds) if c != target]
    if not sources:
        return f"for component {target!r}"
    shown = ", ".join(repr(c) for c in sources)
    return f"after merging {shown} into {target!r}"


def migrate_ratings(
    ratings: RatingSet, crosswalk: Crosswalk, new_map: Map
) -> tuple[RatingSet, MigrationReport]:
    """Carry ratings of an old map onto ``new_map`` through ``crosswalk``.

    Each rating's component goes to ``crosswalk.target(id)`` and its code to
    ``crosswalk.recode(id, code)``; a missing (blank) code stays missing. A rating is dropped,
    and counted in the report, when the crosswalk drops its component or code, when its
    component is not in the new map, when its code is not a code of the new component, or when
    its role does not exist in the new map. When the crosswalk merges components, so that
    several ratings land on one subject x rater x occasion x component, different codes are
    all dropped (conflicting ratings) and an exact repeat is kept once; both are reported, as
    when reading ratings. Raises :class:`~icmaps.errors.UsageError` when the
    crosswalk names the wrong map or points at components or codes the new map lacks.

    >>> from icmaps import load_map
    >>> from icmaps import RatingSet
    >>> m = load_map("learning-school")
    >>> rs = RatingSet.from_records(m, [{"subject": "s", "rater": "r", "occasion": "o",
    ...     "component": "al-teacher-routine", "code": "2"}])
    >>> new, report = migrate_ratings(rs, Crosswalk(), m)
    >>> len(new), report.complete
    (1, True)
    """
    from icmaps.ratings.columns import BASE_COLUMNS
    from icmaps.ratings.ratingset import RatingSet

    old_map = ratings.map
    if crosswalk.old_map is not None and crosswalk.old_map != old_map.id:
        raise UsageError(
            f"crosswalk {crosswalk.path or ''} is from map {crosswalk.old_map!r}, "
            f"but the ratings are for {old_map.id!r}".replace("crosswalk  ", "crosswalk ")
        )
    if crosswalk.new_map is not None and crosswalk.new_map != new_map.id:
        raise UsageError(f"crosswalk leads to map {crosswalk.new_map!r}, not {new_map.id!r}")
    bad = crosswalk.problems(new_map)
    if bad:
        raise UsageError("crosswalk does not fit the new map:\n" + "\n".join(map(str, bad)))
    known = {c.id for c in new_map.iter_components()}
    roles = {r.id for r in new_map.roles}
    allowed: dict[str, frozenset[str]] = {}
    names = ratings.attributes
    columns: dict[str, list[str | None]] = {n: [] for n in (*BASE_COLUMNS, *names)}
    carried = 0
    dropped: Counter[tuple[str, str | None, str]] = Counter()
    renamed = recoded = 0
    candidates: list[tuple[Rating, str, str | None]] = []
    for r in ratings:
        target = crosswalk.target(r.component)
        if target is None:
            dropped[(r.component, r.code, "component dropped by the crosswalk")] += 1
            continue
        if target not in known:
            dropped[(r.component, r.code, f"no component {target!r} in the new map")] += 1
            continue
        code = r.code
        if code is not None:
            code = crosswalk.recode(r.component, code)
            if code is None:
                dropped[(r.component, r.code, "code dropped by the crosswalk")] += 1
                continue
            if target not in allowed:
                s = new_map.scale_of(target)
                allowed[target] = frozenset(s.codes()) | frozenset(s.special_codes())
            if code not in allowed[target]:
                dropped[(r.component, r.code, f"{code!r} is not a code of {target!r}")] += 1
                continue
        if r.role is not None and r.role not in roles:
            dropped[(r.component, r.code, f"role {r.role!r} is not in the new map")] += 1
            continue
        if r.role is not None and not new_map.applies_to(target, r.role):
            dropped[(r.component, r.code, f"{target!r} does not apply to role {r.role!r}")] += 1
            continue
        candidates.append((r, target, code))
    by_key: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (r, target, _) in enumerate(candidates):
        by_key.setdefault((r.subject, r.rater, r.occasion, target), []).append(i)
    skip: set[int] = set()
    for rows in by_key.values():
        if len(rows) == 1:
            continue
        target = candidates[rows[0]][1]
        merged = _merged(target, [candidates[i][0].component for i in rows])
        if len({candidates[i][2] for i in rows}) > 1:
            gone = rows
            why = f"conflicting ratings {merged} (same subject, rater and occasion)"
        else:
            gone = rows[1:]
            why = f"repeated rating {merged} (same code); kept once"
        skip.update(gone)
        for i in gone:
            r = candidates[i][0]
            dropped[(r.component, r.code, why)] += 1
    for i, (r, target, code) in enumerate(candidates):
        if i in skip:
            continue
        renamed += target != r.component
        recoded += code != r.code
        for name in names:
            columns[name].append(r.attrs.get(name))
        for name, v in (
            ("subject", r.subject),
            ("rater", r.rater),
            ("occasion", r.occasion),
            ("component", target),
            ("code", code),
            ("role", r.role),
        ):
            columns[name].append(v)
        carried += 1
    new = RatingSet.from_columns(new_map, columns, attributes=ratings.attributes)
    report = MigrationReport(
        carried,
        renamed,
        recoded,
        tuple(DroppedRatings(c, code, why, n) for (c, code, why), n in dropped.items()),
    )
    return new, report
