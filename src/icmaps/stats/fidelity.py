"""Fidelity: a weighted index per subject, critical components and a threshold."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from icmaps._optional import require
from icmaps._table import Column, Table, TableResult, table_frame
from icmaps.errors import NotFoundError, UsageError
from icmaps.maps.model import Fidelity, FidelityBand, Map
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

    from icmaps.ratings.occasions import Period
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.tally import Counted

__all__ = [
    "DEFAULT_THRESHOLD",
    "Basis",
    "FidelityGroup",
    "FidelityResult",
    "RuleFidelity",
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
    rules: tuple[RuleFidelity, ...] = ()

    @property
    def meets(self) -> bool:
        """True when the subject implements with fidelity."""
        return self.status == "fidelity"

    def rule(self, rule_id: str) -> RuleFidelity:
        """The result of one of the map's fidelity rules, e.g. ``unit.rule("tier-2")``."""
        for r in self.rules:
            if r.rule == rule_id:
                return r
        known = ", ".join(r.rule for r in self.rules) or "none"
        raise NotFoundError(f"no fidelity rule {rule_id!r} (rules: {known})")


@dataclasses.dataclass(frozen=True, slots=True)
class RuleFidelity:
    """One fidelity rule of the map on one unit: the index over the rule's components
    (``group``; None: the whole map), its threshold and band, and whether it is met (None
    when none of the rule's components was rated)."""

    rule: str
    group: str | None
    index: float | None
    threshold: float
    band: str | None
    meets: bool | None

    def to_dict(self) -> dict[str, object]:
        """Plain data, as in the ``rules`` list of ``icmaps fidelity --format json``."""
        return {
            "rule": self.rule,
            "group": self.group,
            "index": self.index,
            "threshold": self.threshold,
            "band": self.band,
            "meets": self.meets,
        }


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
    rules: tuple[str, ...] = ()  # the map's rules reported per unit (UnitFidelity.rules)
    by_rules: bool = False  # the overall status is the rules' verdict, not the index's

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
        if self.by_rules:
            return (
                f"fidelity: every rule of the map met ({', '.join(self.rules)}; each scores "
                f"its own components); the index pools all, {self.basis} basis"
                f"{', weighted' if self.weights else ''}"
                f"{', critical components gate' if self.critical else ''}"
            )
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
        rule_cols = tuple(
            col
            for r in self.rules
            for col in (
                Column(f"{r}_index", "float", f"{r} index", digits=3),
                Column(f"{r}_meets", label=r),
            )
        )
        cols = (
            *(Column(c) for c in self.unit_columns),
            Column("index", "float", digits=3),
            Column("rated", "int"),
            Column("critical_failed", label="critical failed"),
            Column("status"),
            *rule_cols,
            Column("meets", "bool", show=False),
        )

        def verdict(r: RuleFidelity) -> str:
            shown = "not rated" if r.meets is None else "met" if r.meets else "not met"
            return f"{shown} ({r.band})" if r.band else shown

        rows = tuple(
            (
                *u.key,
                u.index,
                u.rated,
                " ".join(u.critical_failed),
                u.status,
                *(v for r in u.rules for v in (r.index, verdict(r))),
                u.meets,
            )
            for u in self.units
        )
        rule = f"{self.basis} index ≥ {self.threshold:g}"
        if self.critical:
            rule += ", critical components gate"
        if self.rules:
            rule += f"; the map's rules: {', '.join(self.rules)}"
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
            "rules": list(self.rules),
            "status_by": "rules" if self.by_rules else "index",
            "units": [
                {**record, "rules": [r.to_dict() for r in u.rules]}
                for record, u in zip(self.to_records(), self.units, strict=True)
            ],
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


def _indices(
    m: Map,
    d: Decisions,
    basis: Basis,
    *,
    weights: bool,
    critical: bool,
    only: Sequence[str] | None = None,
) -> tuple[Any, Any, Any, dict[int, tuple[str, ...]]]:
    """Per unit: the index (0 where nothing was rated), whether anything was rated, how many
    components were, and the critical components rated unacceptable (map order); over the
    components ``only`` (default: all). Vectorised over the decided rows."""
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
    if only is not None:
        inside = np.asarray([c in set(only) for c in d.components] or [False])
        rated &= inside[d.component]
    unit, comp, level = d.unit[rated], d.component[rated], d.level[rated]
    n = len(d.unit_codes)
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
    return index, den > 0, count, failed


def _rule_name(rule: Fidelity, number: int, count: int) -> str:
    """A rule's id, or a name for an unnamed one (a map's single rule is ``fidelity``)."""
    return rule.id or ("fidelity" if count == 1 else f"rule-{number + 1}")


def _band(bands: Sequence[FidelityBand], index: float | None) -> str | None:
    if index is None:
        return None
    return next((b.label for b in bands if index >= b.min - 1e-12), None)


def _rule_results(  # noqa: PLR0917 (the parts a rule is judged from)
    m: Map,
    d: Decisions,
    unit_cols: tuple[str, ...],
    rules: Sequence[Fidelity],
    occasions: Sequence[str],
    weights: bool,
    critical: bool,
) -> list[list[RuleFidelity]]:
    """Per unit, the result of each rule (in the order the rules are given)."""
    out: list[list[RuleFidelity]] = [[] for _ in range(len(d.unit_codes))]
    if not rules:
        return out
    occ_pos = unit_cols.index("occasion")
    rank = {o: i for i, o in enumerate(occasions)}
    keys = d.units
    for number, rule in enumerate(rules):
        scope = m.rule_components(rule) or ()
        index, has, _, failed = _indices(
            m, d, rule.basis, weights=weights, critical=critical, only=scope
        )
        meets = ((index >= rule.threshold - 1e-12) & has).tolist()
        for i in failed:
            meets[i] = False
        if rule.consecutive > 1:
            meets = _consecutive(keys, meets, occ_pos, rank, rule.consecutive)
        name = _rule_name(rule, number, len(rules))
        for i, (idx, h, ok) in enumerate(zip(index.tolist(), has.tolist(), meets, strict=True)):
            value = idx if h else None
            out[i].append(
                RuleFidelity(
                    name,
                    rule.group,
                    value,
                    rule.threshold,
                    _band(rule.bands, value),
                    ok if h else None,
                )
            )
    return out


def _consecutive(
    keys: Sequence[Key], meets: list[bool], occ_pos: int, rank: dict[str, int], n: int
) -> list[bool]:
    """Met on this occasion and on the ``n - 1`` occasions just before it in the subject's
    own sequence of rated occasions (in time order): each school has its own visit dates."""
    timeline: dict[Key, list[tuple[int, int]]] = {}
    for i, k in enumerate(keys):
        rest = k[:occ_pos] + k[occ_pos + 1 :]
        timeline.setdefault(rest, []).append((rank.get(str(k[occ_pos]), -1), i))
    out = [False] * len(keys)
    for visits in timeline.values():
        visits.sort()
        run = 0
        for _, i in visits:
            run = run + 1 if meets[i] else 0
            out[i] = run >= n
    return out


def _unit_fidelity(
    m: Map,
    d: Decisions,
    basis: Basis,
    *,
    weights: bool,
    critical: bool,
    threshold: float,
    unit_cols: tuple[str, ...] = ("subject", "occasion"),
    rules: Sequence[Fidelity] = (),
    occasions: Sequence[str] = (),
    all_rules: bool = False,
) -> list[UnitFidelity]:
    """Index, rated count and failed critical components per unit, and each rule's result.
    With ``all_rules`` the overall status is the rules' verdict (every rule the unit was
    rated on is met), not the overall index against ``threshold``."""
    np = require("numpy", "fidelity needs numpy", extra="fast")
    index, has, count, failed = _indices(m, d, basis, weights=weights, critical=critical)
    per_rule = _rule_results(m, d, unit_cols, rules, occasions, weights, critical)
    if all_rules and rules:
        verdicts = [
            all(r.meets for r in results if r.meets is not None)
            and any(r.meets is not None for r in results)
            for results in per_rule
        ]
        meets = np.asarray(verdicts or [False], dtype=bool)[: len(index)]
    else:
        meets = index >= threshold - 1e-12
    # status per unit, vectorised; a failed critical component overrides the index
    code = np.where(~has, 1, np.where(meets, 2, 3))
    if failed:
        code[np.fromiter(failed, dtype=np.int64, count=len(failed))] = 0
    statuses: tuple[Status, ...] = ("critical failed", "not rated", "fidelity", "below threshold")
    empty: tuple[str, ...] = ()
    return [
        UnitFidelity(
            key, idx if h else None, rated_n, failed.get(i, empty), statuses[st], tuple(rr)
        )
        for i, (key, idx, rated_n, h, st, rr) in enumerate(
            zip(
                d.units,
                index.tolist(),
                count.tolist(),
                has.tolist(),
                code.tolist(),
                per_rule,
                strict=True,
            )
        )
    ]


def fidelity(
    ratings: RatingSet | Counted,
    *,
    threshold: float | None = None,
    basis: Basis | None = None,
    weights: bool = True,
    critical: bool = True,
    by: str | Iterable[str] | None = ("occasion",),
    rule: Rule = "median",
    rules: str | Sequence[str] | None = None,
    occasions: Sequence[str] | None = None,
    period: Period | Mapping[str, str] | None = None,
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

    A map may declare several fidelity rules, each scoped to a group (PBIS TFI: one 70 % rule
    per tier, each tier scored on its own). Every unit then carries each rule's result in
    ``unit.rules`` (index over the rule's components, threshold, band, met or not; ``rules``
    picks some by id), and, unless ``threshold`` is given, its overall status is
    ``"fidelity"`` only when it meets every rule it was rated on. A rule with
    ``consecutive: N`` is met when its threshold is reached on N occasions in a row (time
    order, see :meth:`~icmaps.RatingSet.occasion_order`; ``occasions`` gives it). ``period``
    rolls dated occasions up into months, terms or school years first.

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
    if period is not None:  # e.g. monthly walkthroughs judged per term
        ratings = ratings.in_periods(period)
    m = ratings.map
    names = _by(by)
    check_columns(ratings, names, forbid=("component", "code", "rater"))
    chosen = _chosen_rules(m, rules)
    scoped = threshold is None and _judged_by_rules(chosen)
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
        rules=chosen,
        occasions=ratings.occasion_order(occasions).occasions,
        all_rules=scoped,
    )


def _judged_by_rules(rules: Sequence[Fidelity]) -> bool:
    """Whether a unit's status is the rules' verdict: several rules, a rule scoped to a group
    or one met over consecutive occasions (one plain map-wide rule is the index's verdict)."""
    return len(rules) > 1 or any(r.group is not None or r.consecutive > 1 for r in rules)


def _chosen_rules(m: Map, wanted: str | Sequence[str] | None) -> tuple[Fidelity, ...]:
    """The map's rules named in ``wanted`` (all when None), in the map's order."""
    own = m.fidelity_rules()
    if wanted is None:
        return own
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    ids = [_rule_name(r, i, len(own)) for i, r in enumerate(own)]
    unknown = [n for n in names if n not in ids]
    if unknown:
        raise NotFoundError(
            f"no fidelity rule {', '.join(map(repr, unknown))} in map {m.id!r} "
            f"(rules: {', '.join(ids) or 'none'})"
        )
    return tuple(r for r, i in zip(own, ids, strict=True) if i in names)


def fidelity_rule(
    m: Map, threshold: float | None = None, basis: Basis | None = None
) -> tuple[float, Basis]:
    """The threshold and basis to use: those given, else the map's own rule, else 0.8 and
    ``zone`` (a map's threshold applies only with its own basis).

    >>> import icmaps
    >>> fidelity_rule(icmaps.load_map("learning-school"), basis="score")
    (0.8, 'score')
    """
    rules = m.fidelity_rules()
    # the map-wide rule when there is one, else the first (e.g. Tier 1)
    own = next((r for r in rules if r.group is None), rules[0] if rules else None)
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
    rules: Sequence[Fidelity] = (),
    occasions: Sequence[str] = (),
    all_rules: bool = False,
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
        unit_cols=unit_cols,
        rules=rules,
        occasions=occasions,
        all_rules=all_rules,
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
        tuple(_rule_name(r, i, len(rules)) for i, r in enumerate(rules)),
        all_rules and bool(rules),
    )
