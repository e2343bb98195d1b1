"""Moving ratings from one map version to another through a crosswalk."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from icmaps._tabular import Record, records_frame, text_table
from icmaps.errors import UsageError
from icmaps.maps.crosswalk import Crosswalk
from icmaps.maps.model import Map

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings.ratingset import RatingSet

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
    return _migrate(ratings, crosswalk, new_map)


# reasons a rating is dropped, in the order they are looked for
_GONE, _NO_COMPONENT, _CODE_GONE, _BAD_CODE, _NO_ROLE, _NOT_FOR_ROLE, _EMPTY = range(7)
_KIND = {"component": _NO_COMPONENT, "code": _BAD_CODE, "role": _NO_ROLE}
_KIND |= {"applies": _NOT_FOR_ROLE, "empty": _EMPTY}


def _migrate(
    ratings: RatingSet, crosswalk: Crosswalk, new_map: Map
) -> tuple[RatingSet, MigrationReport]:
    """Every rating's new component and code are worked out once per distinct old component
    and (component, code) pair; the new values then go through the one checker
    (:func:`icmaps.ratings.checker.judge`) and repeated keys through
    :func:`~icmaps.ratings.checker.duplicate_groups`, as when reading ratings."""
    import numpy as np

    from icmaps.ratings.checker import assemble, duplicate_groups, judge
    from icmaps.ratings.columns import BASE_COLUMNS, as_array
    from icmaps.ratings.ratingset import RatingSet, _indices

    cols = ratings._cols
    n = len(ratings)
    comp, code = cols["component"], cols["code"]
    comp_idx, code_idx = _indices(comp).astype(np.int64), _indices(code).astype(np.int64)
    # the crosswalk, once per old component and per (component, code) pair present
    targets = [crosswalk.target(str(c)) for c in comp.values]
    new_comps = list(dict.fromkeys(t for t in targets if t is not None))
    comp_to = np.array([new_comps.index(t) if t else 0 for t in targets] or [0], dtype=np.uint32)
    n_code = max(len(code.values), 1)
    pair = comp_idx * n_code + code_idx
    present, pair_of = np.unique(pair, return_inverse=True)
    pair_of = pair_of.reshape(-1)
    new_codes: dict[str | None, int] = {None: 0}
    pair_code = np.zeros(len(present), dtype=np.uint32)
    pair_gone = np.zeros(len(present), dtype=bool)
    for j, p in enumerate(present.tolist()):
        ci, ki = divmod(p, n_code)
        old = code.values[ki]
        if old is None:
            continue
        got = crosswalk.recode(str(comp.values[ci]), old)
        if got is None:
            pair_gone[j] = True
        else:
            pair_code[j] = new_codes.setdefault(got, len(new_codes))
    values: dict[str, Sequence[str | None]] = {name: col.values for name, col in cols.items()}
    index = {name: _indices(col) for name, col in cols.items()}
    values["component"], values["code"] = new_comps, list(new_codes)
    index["component"], index["code"] = comp_to[comp_idx], pair_code[pair_of]
    # the one checker on the new values, for ratings whose component the crosswalk keeps
    kind = np.full(n, -1, dtype=np.int8)
    moved = np.array([t is not None for t in targets] or [True], dtype=bool)[comp_idx]
    kind[~moved] = _GONE
    sel = np.flatnonzero(moved)
    verdict = judge(new_map, values, {k: index[k][sel] for k in BASE_COLUMNS})
    if len(verdict.rows):
        rank = np.array([_KIND[f.rule] for f in verdict.findings], dtype=np.int8)[verdict.which]
        order = np.lexsort((rank, verdict.rows))
        rows, rank = verdict.rows[order], rank[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        kind[sel[rows[first]]] = rank[first]
    gone = pair_gone[pair_of] & ((kind < 0) | (kind > _CODE_GONE))  # after a and b only
    kind[gone] = _CODE_GONE
    levels = np.zeros(n, dtype=np.int8)
    levels[sel] = verdict.levels
    dropped: dict[tuple[str, str | None, str], int] = {}
    _count_reasons(
        dropped,
        kind,
        comp_idx=comp_idx,
        code_idx=code_idx,
        index=index,
        values=values,
        targets=targets,
        ratings=ratings,
    )
    # repeated keys once components are merged
    cand = np.flatnonzero(kind < 0)
    drop = np.zeros(n, dtype=bool)
    keys = [index[k][cand] for k in ("subject", "rater", "occasion")] + [index["component"][cand]]
    for g in duplicate_groups(keys):
        rows_ = cand[g]
        target = new_comps[int(index["component"][rows_[0]])]
        merged = _merged(target, [str(comp.values[i]) for i in comp_idx[rows_].tolist()])
        if len(set(index["code"][rows_].tolist())) > 1:
            out = rows_
            why = f"conflicting ratings {merged} (same subject, rater and occasion)"
        else:
            out = rows_[1:]
            why = f"repeated rating {merged} (same code); kept once"
        drop[out] = True
        for i in out.tolist():
            key = (str(comp.values[comp_idx[i]]), code.values[code_idx[i]], why)
            dropped[key] = dropped.get(key, 0) + 1
    keep = cand[~drop[cand]]
    renamed_comp = np.array(
        [t is not None and t != c for t, c in zip(targets, comp.values, strict=True)] or [False]
    )
    recoded_pair = np.array(
        [
            code.values[p % n_code] is not None
            and list(new_codes)[int(pair_code[j])] != code.values[p % n_code]
            for j, p in enumerate(present.tolist())
        ]
        or [False]
    )
    names = (*BASE_COLUMNS, *ratings.extra_columns)
    new = RatingSet(
        new_map,
        assemble(values, index, names, keep),
        as_array("b", levels[keep]),
        ratings.extra_columns,
    )
    report = MigrationReport(
        len(keep),
        int(renamed_comp[comp_idx[keep]].sum()),
        int(recoded_pair[pair_of[keep]].sum()),
        tuple(DroppedRatings(c, k, why, count) for (c, k, why), count in dropped.items()),
    )
    return new, report


def _count_reasons(
    dropped: dict[tuple[str, str | None, str], int],
    kind: Any,
    *,
    comp_idx: Any,
    code_idx: Any,
    index: dict[str, Any],
    values: dict[str, Any],
    targets: list[str | None],
    ratings: RatingSet,
) -> None:
    """Count dropped ratings per old component, old code and reason, in first-row order."""
    import numpy as np

    bad = np.flatnonzero(kind >= 0)
    if not len(bad):
        return
    role_idx = index["role"]
    combo = np.stack(
        [comp_idx[bad], code_idx[bad], role_idx[bad].astype(np.int64), kind[bad].astype(np.int64)],
        axis=1,
    )
    uniq, first, counts = np.unique(combo, axis=0, return_index=True, return_counts=True)
    comp_vals, code_vals = ratings.categories("component"), ratings.categories("code")
    new_codes = values["code"]
    for j in np.argsort(first, kind="stable").tolist():
        ci, ki, ri, k = (int(x) for x in uniq[j])
        row = int(bad[first[j]])
        target = targets[ci]
        role = values["role"][ri]
        new_code = new_codes[int(index["code"][row])]
        why = {
            _GONE: "component dropped by the crosswalk",
            _NO_COMPONENT: f"no component {target!r} in the new map",
            _CODE_GONE: "code dropped by the crosswalk",
            _BAD_CODE: f"{new_code!r} is not a code of {target!r}",
            _NO_ROLE: f"role {role!r} is not in the new map",
            _NOT_FOR_ROLE: f"{target!r} does not apply to role {role!r}",
        }.get(k, "empty subject, rater or occasion")
        key = (str(comp_vals[ci]), code_vals[ki], why)
        dropped[key] = dropped.get(key, 0) + int(counts[j])
