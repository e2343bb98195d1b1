"""Fidelity: a weighted index per subject, critical components and a threshold."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from icmaps._optional import require
from icmaps._table import Column, Table, TableResult, table_frame
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Map
from icmaps.stats.rules import (
    Key,
    Rule,
    check_columns,
    check_rule,
    key_sort,
)
from icmaps.stats.tally import Decisions, _by, decisions

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings.ratingset import RatingSet

__all__ = [
    "DEFAULT_THRESHOLD",
    "Basis",
    "FidelityGroup",
    "FidelityResult",
    "UnitFidelity",
    "fidelity",
    "fidelity_from",
    "fidelity_rule",
]


Basis = Literal["zone", "score"]
"""What a fidelity index is built from."""


Status = Literal["fidelity", "below threshold", "critical failed", "not rated"]
"""How a unit fares against the fidelity rule."""

DEFAULT_THRESHOLD = 0.8
"""Fidelity threshold used when neither the caller nor the map gives one."""


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
    status: Status

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
    def share_meeting(self) -> float | None:
        """Share (0-1) of rated subjects that implement with fidelity."""
        return self.meeting / self.rated if self.rated else None

    @property
    def pct_meeting(self) -> float | None:
        """:attr:`share_meeting` in percent (0-100); kept for compatibility."""
        return 100.0 * self.meeting / self.rated if self.rated else None


@dataclasses.dataclass(frozen=True, slots=True)
class FidelityResult(TableResult):
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

    def row(self, *key: str | None) -> UnitFidelity:
        """The result of one unit, e.g. ``result.row("lincoln-elementary", "2025-fall")``.

        Raises :class:`~icmaps.errors.NotFoundError` naming the units there are.
        """
        for u in self.units:
            if u.key == key:
                return u
        known = ", ".join(" / ".join(map(str, u.key)) for u in self.units[:8]) or "none"
        more = f" and {len(self.units) - 8} more" if len(self.units) > 8 else ""
        raise NotFoundError(
            f"no fidelity result for {' / '.join(map(str, key))} "
            f"({', '.join(self.unit_columns)}); units: {known}{more}"
        )

    def unit(self, *key: str | None) -> UnitFidelity:
        """The result of one unit: :meth:`row`."""
        return self.row(*key)

    def _rule_text(self) -> str:
        return (
            f"fidelity: {self.basis} index >= {self.threshold:g}"
            f"{', weighted' if self.weights else ''}"
            f"{', critical components gate' if self.critical else ''}"
        )

    def _groups_table(self) -> Table:
        cols = (
            *(Column(b) for b in self.by),
            Column("units", "int", "subjects"),
            Column("rated", "int"),
            Column("meeting", "int"),
            Column("share_meeting", "share", "% meeting"),
            Column("critical_failed", "int", "critical failed"),
            Column("mean_index", "float", "mean index", digits=3),
        )
        rows = tuple(
            (*g.key, g.units, g.rated, g.meeting, g.share_meeting, g.critical_failed, g.mean_index)
            for g in self.groups
        )
        return Table("groups", cols, rows)

    def to_table(self) -> Table:
        """One row per unit (subject x occasion ...); the groups follow as a second table."""
        cols = (
            *(Column(c) for c in self.unit_columns),
            Column("index", "float", digits=3),
            Column("rated", "int"),
            Column("critical_failed", label="critical failed"),
            Column("status"),
            Column("meets", "bool", show=False),
        )
        rows = tuple(
            (*u.key, u.index, u.rated, " ".join(u.critical_failed), u.status, u.meets)
            for u in self.units
        )
        rule = f"{self.basis} index ≥ {self.threshold:g}"
        if self.critical:
            rule += ", critical components gate"
        facts: list[tuple[str, object]] = [("map", self.map_id), ("rule", rule)]
        for g in self.groups:
            label = " / ".join(str(k) for k in g.key) or "all"
            share = "–" if g.share_meeting is None else f"{100 * g.share_meeting:.0f}%"
            facts.append((label, f"{g.meeting} of {g.rated} meet ({share})"))
        return Table(
            "Fidelity",
            cols,
            rows,
            tuple(facts),
            note=self._rule_text(),
            more=(self._groups_table(),),
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data: the rule used, every unit and every group (shares 0-1)."""
        return {
            "map": self.map_id,
            "threshold": self.threshold,
            "basis": self.basis,
            "weights": self.weights,
            "critical": self.critical,
            "rule": self.rule,
            "by": list(self.by),
            "units": self.to_records(),
            "groups": self._groups_table().records(),
        }

    def to_pandas(self, which: Literal["units", "groups"] = "units") -> pandas.DataFrame:
        """The units (or the groups) as a DataFrame (needs pandas)."""
        return table_frame(self._groups_table() if which == "groups" else self.to_table())

    def __repr__(self) -> str:
        meeting = sum(u.meets for u in self.units)
        return (
            f"<FidelityResult {self.basis} >= {self.threshold:g}: {meeting} of "
            f"{len(self.units)} units meet>"
        )


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


def _unit_fidelity(
    m: Map, d: Decisions, basis: Basis, *, weights: bool, critical: bool, threshold: float
) -> list[UnitFidelity]:
    """Index, rated count and failed critical components per unit, vectorised over rows."""
    np = require("numpy", "fidelity needs numpy", extra="fast")
    comps = [m.component(c) for c in d.components]
    width = max((len(m.scale_of(c.id).levels) for c in comps), default=1)
    credit = np.zeros((len(comps), width))
    bad = np.zeros((len(comps), width), dtype=bool)
    for i, c in enumerate(comps):
        vals = _level_values(m, c.id, basis)
        credit[i, : len(vals)] = vals
        if critical and c.critical:
            zones = [lv.zone for lv in m.scale_of(c.id).desired()]
            bad[i, : len(zones)] = [z == "unacceptable" for z in zones]
    w = np.asarray([c.weight if weights else 1.0 for c in comps] or [1.0])
    rated = d.level >= 0
    unit, comp, level = d.unit[rated], d.component[rated], d.level[rated]
    n = len(d.units)
    num = np.bincount(unit, weights=w[comp] * credit[comp, level], minlength=n)
    den = np.bincount(unit, weights=w[comp], minlength=n)
    count = np.bincount(unit, minlength=n)
    # failed critical components per unit, in map order: one sort, then runs per unit
    rank = {c.id: i for i, c in enumerate(m.iter_components())}
    comp_rank = np.asarray([rank[c] for c in d.components] or [0], dtype=np.int64)
    is_bad = bad[comp, level]
    bad_unit, bad_comp = unit[is_bad], comp[is_bad]
    srt = np.lexsort((comp_rank[bad_comp], bad_unit))
    bad_unit, bad_comp = bad_unit[srt].tolist(), bad_comp[srt].tolist()
    failed: dict[int, tuple[str, ...]] = {}
    start = 0
    names = d.components
    for i in range(1, len(bad_unit) + 1):
        if i == len(bad_unit) or bad_unit[i] != bad_unit[start]:
            failed[bad_unit[start]] = tuple(names[c] for c in bad_comp[start:i])
            start = i
    index = np.divide(num, den, out=np.zeros(n), where=den > 0)
    has = den > 0
    meets = index >= threshold - 1e-12
    # status per unit, vectorised; a failed critical component overrides the index
    code = np.where(~has, 1, np.where(meets, 2, 3))
    if failed:
        code[np.fromiter(failed, dtype=np.int64, count=len(failed))] = 0
    statuses: tuple[Status, ...] = ("critical failed", "not rated", "fidelity", "below threshold")
    out = []
    empty: tuple[str, ...] = ()
    for i, (key, idx, rated_n, h, st) in enumerate(
        zip(d.units, index.tolist(), count.tolist(), has.tolist(), code.tolist(), strict=True)
    ):
        out.append(
            UnitFidelity(key, idx if h else None, rated_n, failed.get(i, empty), statuses[st])
        )
    return out


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
    >>> "fidelity" in f._repr_html_()
    True
    """
    check_rule(rule)
    m = ratings.map
    names = _by(by)
    check_columns(ratings, names, forbid=("component", "code", "rater"))
    threshold, basis = fidelity_rule(m, threshold, basis)
    unit_cols = ("subject", "occasion", *(b for b in names if b not in ("subject", "occasion")))
    return fidelity_from(
        m,
        decisions(ratings, unit_cols, rule),
        unit_cols,
        names,
        threshold=threshold,
        basis=basis,
        weights=weights,
        critical=critical,
        rule=rule,
    )


def fidelity_rule(
    m: Map, threshold: float | None = None, basis: Basis | None = None
) -> tuple[float, Basis]:
    """The threshold and basis to use: those given, else the map's own rule, else 0.8 and
    ``zone`` (a map's threshold applies only with its own basis).

    >>> import icmaps
    >>> fidelity_rule(icmaps.load_map("learning-school"), basis="score")
    (0.8, 'score')
    """
    own = m.fidelity
    if basis is None:
        basis = own.basis if own is not None else "zone"
    if basis not in ("zone", "score"):
        raise UsageError(f"basis must be 'zone' or 'score', not {basis!r}")
    if threshold is None:
        threshold = own.threshold if own is not None and own.basis == basis else DEFAULT_THRESHOLD
    if not 0 <= threshold <= 1:
        raise UsageError(f"threshold must be between 0 and 1, not {threshold}")
    return threshold, basis


def fidelity_from(
    m: Map,
    d: Decisions,
    unit_cols: tuple[str, ...],
    names: tuple[str, ...],
    *,
    threshold: float,
    basis: Basis,
    weights: bool,
    critical: bool,
    rule: Rule,
) -> FidelityResult:
    """:func:`fidelity` from decisions already made (units keyed by ``unit_cols``), so a
    report can share one pass over the ratings with :func:`icmaps.compare`."""
    units = _unit_fidelity(
        m,
        d,
        basis,
        weights=weights,
        critical=critical,
        threshold=threshold,
    )
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
