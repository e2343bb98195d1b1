"""Inter-rater agreement on a rating set, per component, group or role."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from icmaps._grouping import unique_rows as _unique_rows
from icmaps._optional import require
from icmaps._table import Column, Table, TableResult
from icmaps._tabular import fmt_num
from icmaps.errors import NotFoundError, UsageError
from icmaps.ratings.columns import as_numpy
from icmaps.stats.caveats import caveats
from icmaps.stats.chance_corrected import chance_from_counts, conger_from_ratings
from icmaps.stats.coefficients import (
    _LEVELS,
    _WEIGHTS,
    PERCENT_VARIANTS,
    REASON_ALL_MISSING,
    REASON_NO_PAIRS,
    AgreementResult,
    Level,
    PercentVariant,
    Weights,
    _check_bootstrap,
    _rater_pair_table,
    _undefined,
    alpha_from_counts,
    cohen_kappa,
    fleiss_kappa,
    percent_from_counts,
)
from icmaps.stats.intraclass import ICC_FORMS, IccForm, icc as icc_of

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from icmaps.maps.model import Map
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.tally import Counted

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.intp]
    Seed = int | np.random.Generator | None
    # Nested lists may hold None for missing. A union with numpy's broad ArrayLike would stop
    # mypy from inferring list literals such as [[0, None], [1, 2]], so name arrays directly.
    RatingsLike = Sequence[Sequence[float | None]] | NDArray[Any]
    VectorLike = Sequence[float | None] | NDArray[Any]

__all__ = ["AgreementReport", "AgreementRow", "Method", "agreement"]


# --------------------------------------------------------------------------------------------
# Ratings-facing API: agreement() and disagreements() on a RatingSet

Method = Literal[
    "krippendorff", "fleiss", "cohen", "percent", "gwet", "brennan-prediger", "conger", "icc"
]
"""Coefficients :func:`agreement` computes (Krippendorff's alpha, Fleiss' kappa, Cohen's
kappa, percent agreement, Gwet's AC1/AC2, Brennan-Prediger, Conger's kappa, the ICC)."""


Scope = Literal["map", "group", "component"]


_METHODS: dict[str, str] = {
    "krippendorff": "krippendorff_alpha",
    "fleiss": "fleiss_kappa",
    "cohen": "cohen_kappa",
    "percent": "percent_agreement",
    "gwet": "gwet_ac",
    "brennan-prediger": "brennan_prediger",
    "conger": "conger_kappa",
    "icc": "icc",
}


_WEIGHTED = ("cohen", "gwet", "brennan-prediger", "conger")
"""Methods that take ``weights`` over the level order."""


_SYMBOLS: dict[str, str] = {
    "krippendorff": "alpha",
    "fleiss": "kappa",
    "cohen": "kappa",
    "percent": "agreement",
    "gwet": "AC",
    "brennan-prediger": "BP",
    "conger": "kappa",
    "icc": "ICC",
}


def _incomplete_reason(lo: int, hi: int) -> str:
    return (
        f"incomplete design: units have {lo} to {hi} ratings; Fleiss' kappa needs the same "
        "number of ratings in every unit (use method='krippendorff')"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementRow:
    """One line of an :class:`AgreementReport`: what was pooled, and its result.

    ``scope`` is ``"map"`` (every rated component pooled), ``"group"`` (the components below
    a group, at any depth) or ``"component"``. ``kind`` is ``"map"``, the group's kind
    (``"frame"``, ``"standard"``, ...) or ``"component"``. ``depth`` is 0 for the map, 1 for
    a top-level group or component and one more per level below. ``n_levels`` is the number
    of levels of the scale (the largest among the pooled components); ``components`` the
    pooled component ids that have ratings, in map order.
    """

    scope: Scope
    id: str
    kind: str
    title: str
    depth: int
    n_levels: int
    components: tuple[str, ...]
    result: AgreementResult

    def to_dict(self) -> dict[str, object]:
        """Plain data: where the row sits in the map, then every field of the result."""
        return {
            "scope": self.scope,
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "depth": self.depth,
            "n_levels": self.n_levels,
            "components": list(self.components),
            **self.result.to_dict(),
        }


class _RowNotFound(NotFoundError, KeyError):
    """A row id that is not in the report: a :class:`NotFoundError` that is also the
    ``KeyError`` that ``report[id]`` raised before."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True)
class AgreementReport(TableResult):
    """Agreement of a :class:`~icmaps.RatingSet`, as :func:`agreement` returns it.

    ``rows`` are in map order: one per rated component (``by="component"``), one per group
    at every depth (``by="group"``) or of one kind (``by="frame"``...), or the single pooled
    row (``by=None``). ``pooled`` is always the map-wide row (every rated component pooled);
    :attr:`overall` is its result. ``report.row("c1")`` looks a row up by id (the map id
    gives the pooled row) and ``report["c1"]`` its result.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> rep = agreement(rs, by="group")
    >>> [row.id for row in rep][:2]
    ['adult-learning', 'collective-responsibility']
    >>> rep["adult-learning"].method
    'krippendorff_alpha'
    >>> rep.to_dict()["by"], len(rep.to_dict()["results"])
    ('group', 6)
    """

    map_id: str
    method: Method
    by: str | None
    raters: tuple[str, ...]
    rows: tuple[AgreementRow, ...]
    pooled: AgreementRow
    options: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    @property
    def overall(self) -> AgreementResult:
        """The result with every rated component pooled (the map-wide figure)."""
        return self.pooled.result

    @property
    def results(self) -> tuple[AgreementResult, ...]:
        """The results of :attr:`rows`, in map order."""
        return tuple(row.result for row in self.rows)

    @property
    def label(self) -> str:
        """The coefficient with its variant, e.g. ``Krippendorff's alpha (ordinal)``."""
        return self.pooled.result.label

    def __iter__(self) -> Iterator[AgreementRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, id: str) -> AgreementRow:
        """The row with this component or group id (the map id: the pooled row).

        Raises :class:`~icmaps.errors.NotFoundError` (also a ``KeyError``) naming the rows.
        """
        for row in self.rows:
            if row.id == id:
                return row
        if id == self.pooled.id:
            return self.pooled
        known = ", ".join(row.id for row in self.rows[:8]) or "none"
        more = f" and {len(self.rows) - 8} more" if len(self.rows) > 8 else ""
        raise _RowNotFound(f"no agreement row {id!r} (rows: {known}{more})")

    def __getitem__(self, id: str) -> AgreementResult:
        """The result of the row with this component or group id (or the map id: pooled)."""
        return self.row(id).result

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-serialisable): options, raters, the pooled row and every row."""
        return {
            "map": self.map_id,
            "method": self.method,
            "label": self.label,
            "by": self.by,
            "options": dict(self.options),
            "raters": list(self.raters),
            "overall": self.pooled.to_dict(),
            "results": [row.to_dict() for row in self.rows],
        }

    def to_table(self) -> Table:
        """One row per report row (the ``details`` are left out); the pooled figure is a
        fact.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> list(agreement(rs, by="component").to_pandas().columns)[:4]
        ['scope', 'id', 'kind', 'title']
        >>> "alpha" in agreement(rs, by="component")._repr_html_().lower()
        True
        """
        show_ci = any(row.result.ci is not None for row in (*self.rows, self.pooled))
        confidence = self.options.get("confidence", 0.95)
        pct = f"{float(confidence) * 100:g}%" if isinstance(confidence, (int, float)) else ""
        cols = (
            Column("scope", show=False),
            Column("id", indent=True),
            Column("kind", show=False),
            Column("title", show="html"),
            Column("depth", "int", show=False),
            Column("n_levels", "int", show=False),
            Column("method", show=False),
            Column("value", "float", _SYMBOLS[self.method], digits=3),
            Column("ci_low", "float", f"{pct} CI low", digits=3, show=show_ci),
            Column("ci_high", "float", f"{pct} CI high", digits=3, show=show_ci),
            Column("n_units", "int", "units"),
            Column("n_raters", "int", "raters"),
            Column("n_pairs", "int", "pairs"),
            Column("reason", show=False),
            Column("note", data=False),
        )
        rows = []
        for row in self.rows:
            r = row.result
            rows.append(
                (
                    row.scope,
                    row.id,
                    row.kind,
                    row.title,
                    row.depth,
                    row.n_levels,
                    r.method,
                    r.value,
                    r.ci[0] if r.ci else None,
                    r.ci[1] if r.ci else None,
                    r.n_units,
                    r.n_raters,
                    r.n_pairs,
                    r.reason,
                    "; ".join(filter(None, (_short_reason(r.reason), *caveats(r)))) or None,
                )
            )
        scope = {None: "pooled over components", "component": "by component"}.get(
            self.by, f"by {self.by}"
        )
        n = len(self.raters)
        note = (
            f"{self.label}, {self.map_id}, {scope} ({n} rater{'s' if n != 1 else ''}; "
            "units are subject x occasion x component)"
        )
        footer = ""
        if self.by is not None:
            k = len(self.pooled.components)
            footer = f"Overall (pooled over {k} component{'s' if k != 1 else ''}): {self.overall}"
        overall = self.overall
        facts = (
            ("method", self.label),
            ("overall", fmt_num(overall.value, 3, "–")),
            ("units", overall.n_units),
            ("raters", overall.n_raters),
        )
        return Table(
            "Agreement",
            cols,
            tuple(rows),
            facts,
            roll=tuple(row.scope != "component" for row in self.rows),
            depth=tuple(max(row.depth - 1, 0) if row.scope == "group" else 0 for row in self.rows),
            note=note,
            footer=footer,
        )


def _fmt_ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _short_reason(reason: str | None) -> str | None:
    """A few words for the table's note column (the full text is in ``result.reason``)."""
    import re

    if reason is None:
        return None
    if reason == REASON_ALL_MISSING:
        return "no ratings"
    if reason == REASON_NO_PAIRS:
        return "no unit rated by two raters"
    found = re.match(r"no variation: all ratings are level (\d+)", reason)
    if found:
        return f"no variation (all at level index {found.group(1)})"
    found = re.match(r"incomplete design: units have (\d+) to (\d+) ratings", reason)
    if found:
        return f"incomplete design ({found.group(1)}-{found.group(2)} ratings per unit)"
    return reason


def _numpy() -> Any:
    return require("numpy", "agreement needs numpy", extra="fast")


@dataclasses.dataclass(frozen=True)
class _Design:
    """Ratings as a packed units x slots matrix; each unit knows its component.

    Krippendorff's alpha, Fleiss' kappa and pooled percent agreement treat the raters of a
    unit as exchangeable (they read per-unit level counts), so a unit's ratings fill its first
    slots whoever gave them: memory grows with the ratings, not with the number of raters.
    ``who`` keeps the rater of each slot for what needs it (Cohen, the rater-pair table).
    """

    raters: tuple[str, ...]
    x: FloatArray  # units x slots level indices, nan = no rating in that slot
    who: IntArray  # units x slots rater index (into ``raters``), -1 = empty slot
    unit_component: IntArray  # map-order index of each unit's component
    components: tuple[str, ...]  # every component id of the map, map order
    n_levels: tuple[int, ...]  # levels of each component's scale, map order
    counts: IntArray  # units x levels (widest scale): ratings on each level
    per_unit: IntArray  # ratings with a level, per unit


def _design(
    ratings: RatingSet | Counted, raters: Sequence[str] | None, *, occasion: str | None = None
) -> _Design:
    """Build the matrix: one row per subject x occasion x component, one slot per rating.

    Rows are ordered by component (map order), then subject and occasion (in category
    order); a unit's slots hold its raters in category order. Only ratings with a level
    (``>= 0``) enter the matrix; N/A and missing stay ``nan``. ``occasion`` keeps the
    ratings of that occasion only (no filtered copy of the ratings is made).
    """
    np = _numpy()
    m = ratings.map
    comps = m.all_components()
    order = {c.id: i for i, c in enumerate(comps)}
    n_levels = tuple(len(m.scale_of(c.id).levels) for c in comps)

    rater_cats = [str(r) for r in ratings.categories("rater")]
    rater_codes = as_numpy(ratings.codes_of("rater"))
    occ = as_numpy(ratings.codes_of("occasion"))
    on_occasion = None
    if occasion is not None:
        occasions = ratings.categories("occasion")
        on_occasion = occ == (occasions.index(occasion) if occasion in occasions else -1)
    if raters is None:
        given = rater_codes if on_occasion is None else rater_codes[on_occasion]
        used = np.flatnonzero(np.bincount(given)).tolist() if given.size else []
        names = tuple(rater_cats[i] for i in used)
    else:
        if isinstance(raters, str):
            raise UsageError("raters must be a sequence of rater ids, e.g. raters=('r01', 'r02')")
        names = tuple(raters)
        unknown = [r for r in names if r not in rater_cats]
        if unknown or len(set(names)) != len(names):
            problem = (
                f"unknown rater{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
                if unknown
                else "a rater is named twice"
            )
            known = ", ".join(rater_cats[:12]) + (" ..." if len(rater_cats) > 12 else "")
            raise UsageError(f"raters: {problem} (raters in the ratings: {known or 'none'})")
    col_of = np.full(max(len(rater_cats), 1), -1, dtype=np.int64)
    for j, name in enumerate(names):
        col_of[rater_cats.index(name)] = j

    col = col_of[rater_codes]
    keep_mask = col >= 0
    if on_occasion is not None:
        keep_mask &= on_occasion
    whole = bool(keep_mask.all())
    keep = None if whole else np.flatnonzero(keep_mask)

    def kept(a: Any) -> Any:
        return a if keep is None else a[keep]

    comp_rank = np.asarray(
        [order[str(c)] for c in ratings.categories("component")] or [0], dtype=np.int64
    )
    comp = comp_rank[kept(as_numpy(ratings.codes_of("component")))]
    subj, occ, col = kept(as_numpy(ratings.codes_of("subject"))), kept(occ), kept(col)
    level = kept(as_numpy(ratings.levels()))

    # one grouping of (component, subject, occasion, rater): sorted, so each unit's ratings
    # are one run of cells, raters in order; no key packing that could overflow
    cells, cell_of = _unique_rows([comp, subj, occ, col])
    if len(cells) != len(cell_of):
        repeated = np.bincount(cell_of, minlength=len(cells))[cell_of] > 1
        first = int(np.flatnonzero(repeated)[0])
        row = first if keep is None else int(keep[first])
        what = ", ".join(
            f"{name} {ratings.categories(name)[ratings.codes_of(name)[row]]!r}"
            for name in ("subject", "rater", "occasion", "component")
        )
        raise UsageError(
            f"the ratings hold more than one rating for {what}; agreement needs one rating "
            "per subject, rater, occasion and component (read_ratings drops repeats)"
        )
    n_cells = len(cells)
    new_unit = np.ones(n_cells, dtype=bool)
    if n_cells:
        same = cells[1:, 0] == cells[:-1, 0]
        same &= cells[1:, 1] == cells[:-1, 1]
        same &= cells[1:, 2] == cells[:-1, 2]
        new_unit[1:] = ~same
    # 32-bit positions where they fit: fewer fresh pages to touch
    small = np.int32 if n_cells < 2**31 else np.int64
    unit = np.cumsum(new_unit, dtype=small)
    unit -= 1
    unit_rows = cells[new_unit, :3]
    cell_level = np.empty(n_cells, dtype=np.int8)  # levels are few (small ints)
    cell_level[cell_of] = level
    rated = np.flatnonzero(cell_level >= 0)
    unit, level, col = unit[rated], cell_level[rated], cells[rated, 3]
    # slot of each rating: its place in its unit's run (ratings per unit minus run start)
    per_unit = np.bincount(unit, minlength=len(unit_rows)).astype(small)
    starts = np.cumsum(per_unit, dtype=small)
    starts -= per_unit
    slot = np.arange(len(unit), dtype=small)
    slot -= starts[unit]
    n_slots = int(per_unit.max()) if per_unit.size else 1
    n_slots = max(n_slots, 1)
    x = np.full((len(unit_rows), n_slots), np.nan, dtype=np.float64)
    who = np.full((len(unit_rows), n_slots), -1, dtype=np.intp)
    # flat positions (faster than a 2-D scatter), 64-bit when the matrix is that large
    if len(unit_rows) * n_slots < 2**31:
        flat = unit * small(n_slots)
    else:  # numpy 1.x keeps int32 * int64-scalar in int32: widen the array itself
        flat = unit.astype(np.int64) * n_slots
    flat += slot
    x.reshape(-1)[flat] = level
    who.reshape(-1)[flat] = col
    # per-unit level counts: what Krippendorff's alpha and percent agreement read
    width = max(n_levels, default=1)
    cell = unit.astype(np.int64) * width
    cell += level
    counts = np.bincount(cell, minlength=len(unit_rows) * width).reshape(len(unit_rows), width)
    return _Design(
        raters=names,
        x=x,
        who=who,
        unit_component=unit_rows[:, 0].astype(np.intp),
        components=tuple(c.id for c in comps),
        n_levels=n_levels,
        counts=counts,
        per_unit=per_unit.astype(np.int64),
    )


def _unit_rows(design: _Design, component_indices: Sequence[int]) -> Any:
    """The design's units of some components: a slice when they are a run (no copy)."""
    np = _numpy()
    ids = sorted(component_indices)
    if ids and ids[-1] - ids[0] == len(ids) - 1:
        # units are sorted by component: a run of components is a slice (no copy)
        lo = int(np.searchsorted(design.unit_component, ids[0], side="left"))
        hi = int(np.searchsorted(design.unit_component, ids[-1], side="right"))
        return slice(lo, hi)
    return np.isin(design.unit_component, np.asarray(ids, dtype=np.intp))


def _compute(
    design: _Design, component_indices: Sequence[int], **options: Any
) -> tuple[int, AgreementResult]:
    """:func:`_coefficient`, with the share of ratings on the most used level in the
    details (from the design's per-unit counts), which the paradox caveat reads."""
    n_levels, result = _coefficient(design, component_indices, **options)
    totals = design.counts[_unit_rows(design, component_indices)].sum(axis=0)
    rated = int(totals.sum())
    if rated:
        top = float(totals.max()) / rated
        result = dataclasses.replace(result, details={**result.details, "top_level_share": top})
    return n_levels, result


def _coefficient(
    design: _Design,
    component_indices: Sequence[int],
    *,
    method: str,
    level: Level,
    weights: Weights | None,
    tolerance: int,
    bootstrap: int,
    seed: Seed,
    confidence: float,
    default_levels: int,
    pair_table: bool = True,
    percent: PercentVariant = "pairs",
    icc: IccForm = "ICC2",
    scores: FloatArray | None = None,
) -> tuple[int, AgreementResult]:
    """The coefficient over the units of some components; returns (n_levels, result).
    ``scores`` (components x levels, map order) are the level scores the ICC reads."""
    np = _numpy()
    n_levels = max((design.n_levels[i] for i in component_indices), default=default_levels)
    rows = _unit_rows(design, component_indices)
    x, who = design.x[rows], design.who[rows]
    boot: dict[str, Any] = {"bootstrap": bootstrap, "seed": seed, "confidence": confidence}
    result: AgreementResult

    def count_raters(units: Any) -> int:
        """Raters (not slots) who rated some of these units."""
        w = who if units is None else who[units]
        return int(np.count_nonzero(np.bincount(w[w >= 0]))) if w.size else 0

    if method in ("krippendorff", "percent"):
        # both read the per-unit level counts the design holds: no pass over the slots
        counts, per_unit = design.counts[rows, :n_levels], design.per_unit[rows]
        if method == "krippendorff":
            result = alpha_from_counts(
                counts, per_unit, level=level, count_raters=count_raters, **boot
            )
            return n_levels, result
        result = percent_from_counts(
            counts,
            per_unit,
            tolerance=tolerance,
            count_raters=count_raters,
            variant=percent,
            **boot,
        )
        if pair_table and percent == "pairs":
            pairs = _rater_pairs(x, who, design, tolerance)
            result = dataclasses.replace(result, details={**result.details, **pairs})
        return n_levels, result
    if method in ("gwet", "brennan-prediger"):
        # raters are exchangeable in both: the per-unit level counts are all they read
        kind = "gwet" if method == "gwet" else "bp"
        counts = design.counts[rows, :n_levels]
        result = chance_from_counts(
            counts, kind=kind, weights=weights, count_raters=count_raters, **boot
        )
        return n_levels, result
    if method == "conger":
        # Conger's chance agreement needs each rater's own level shares: the ratings as
        # (unit, rater, level) triples, straight from the slots
        unit, slot = np.nonzero(who >= 0)
        result = conger_from_ratings(
            unit,
            who[unit, slot],
            x[unit, slot].astype(np.intp),
            n_units=int(x.shape[0]),
            n_raters=len(design.raters),
            n_levels=n_levels,
            weights=weights,
            **boot,
        )
        return n_levels, result
    if method == "icc":
        assert scores is not None  # agreement_on builds them for the ICC
        # the two-way forms need rater identities (a column per rater); the one-way forms
        # take a unit's slots as they are
        one_way = icc in ("ICC1", "ICC1k")
        levels = x if one_way else _by_rater(x, who, len(design.raters))
        rated = ~np.isnan(levels)
        comp = design.unit_component[rows]
        y = np.full(levels.shape, np.nan)
        r, c = np.nonzero(rated)
        y[r, c] = scores[comp[r], levels[r, c].astype(np.intp)]
        result = icc_of(y, form=icc, **boot)
        if one_way and result.n_units:  # slots are not raters: count the raters themselves
            result = dataclasses.replace(result, n_raters=count_raters(None))
        return n_levels, result
    if method == "cohen":
        x = _by_rater(x, who, 2)  # at most two raters here: one column each
        result = cohen_kappa(x[:, 0], x[:, 1], n_levels=n_levels, weights=weights, **boot)
        return n_levels, dataclasses.replace(
            result, details={**result.details, "raters": list(design.raters[:2])}
        )
    result = _fleiss_design(x, n_levels, boot)
    # the core counted slots; the raters are those who rated a pairable unit (all, if none)
    pairable = design.per_unit[rows] >= 2
    n_raters = count_raters(pairable if pairable.any() else None)
    return n_levels, dataclasses.replace(result, n_raters=n_raters)


MAX_PAIR_TABLE_RATERS = 30
"""Most raters for which percent agreement lists every pair of raters (the table grows with
the square of the raters; past this it is left out and the details say so)."""


def _by_rater(x: FloatArray, who: IntArray, n_raters: int) -> FloatArray:
    """Unpack slots into one column per rater (for the few raters that need identities)."""
    np = _numpy()
    out = np.full((x.shape[0], max(n_raters, 2)), np.nan, dtype=np.float64)
    r, s = np.nonzero(who >= 0)
    out[r, who[r, s]] = x[r, s]
    return out  # type: ignore[no-any-return]


def _rater_pairs(
    x: FloatArray, who: IntArray, design: _Design, tolerance: int
) -> dict[str, object]:
    """Agreement of each pair of raters that rated some unit together, named."""
    if len(design.raters) > MAX_PAIR_TABLE_RATERS:
        return {
            "rater_pairs": [],
            "rater_pairs_omitted": f"more than {MAX_PAIR_TABLE_RATERS} raters",
        }
    table = _rater_pair_table(_by_rater(x, who, len(design.raters)), tolerance)
    named = [
        {**pair, "raters": [design.raters[int(i)] for i in pair["raters"]]}  # type: ignore[attr-defined]
        for pair in table
        if pair["n_units"]
    ]
    return {"rater_pairs": named}


def _fleiss_design(x: FloatArray, n_levels: int, boot: Mapping[str, Any]) -> AgreementResult:
    """Fleiss' kappa on the pairable units; an incomplete design becomes a ``reason``."""
    np = _numpy()
    counts = (~np.isnan(x)).sum(axis=1)
    pairable = counts >= 2
    if not pairable.any():  # the core reports no ratings / no pairs
        return fleiss_kappa(x, n_levels=n_levels, **boot)
    m = counts[pairable]
    lo, hi = int(m.min()), int(m.max())
    total = {"n_units_total": int(x.shape[0]), "n_units_dropped": int((~pairable).sum())}
    if lo != hi:
        return _undefined(
            "fleiss_kappa",
            _incomplete_reason(lo, hi),
            n_units=int(pairable.sum()),
            n_raters=int((~np.isnan(x[pairable])).any(axis=0).sum()),
            n_pairs=int((m * (m - 1) // 2).sum()),
            details={**total, "ratings_per_unit": [lo, hi]},
        )
    result = fleiss_kappa(x[pairable], n_levels=n_levels, **boot)
    return dataclasses.replace(result, details={**result.details, **total})


def _walk_groups(m: Map) -> Iterator[tuple[Any, int, tuple[str, ...]]]:
    """Every group depth first in map order, with its depth (1 at the top) and the
    components below it (from :meth:`Map.outline`)."""
    for node in m.outline():
        if node.kind == "group":
            yield m.group(node.id), node.depth + 1, node.below


def agreement(
    ratings: RatingSet | Counted,
    *,
    method: Method = "krippendorff",
    level: Level = "ordinal",
    weights: Weights | None = None,
    tolerance: int = 0,
    by: str | None = None,
    raters: Sequence[str] | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
    percent: PercentVariant = "pairs",
    icc: IccForm = "ICC2",
) -> AgreementReport:
    """Inter-rater agreement of a set of ratings, overall or per component or group.

    A *unit* is one subject on one occasion on one component; the *raters* are the values of
    the ``rater`` column (all of them, or those in ``raters``). A rating enters as its
    desired-first level index (a special code counting as ``lowest`` is the last level);
    N/A and missing ratings are left out. Units rated by fewer than two raters cannot be
    compared and are dropped by every coefficient.

    ``method``:

    * ``"krippendorff"`` (default): Krippendorff's alpha at ``level`` ``"ordinal"``
      (default), ``"nominal"``, ``"interval"`` or ``"ratio"``; any raters, any gaps.
    * ``"fleiss"``: Fleiss' kappa; every compared unit must have the same number of
      ratings, otherwise the result is undefined with an "incomplete design" ``reason``.
    * ``"cohen"``: Cohen's kappa of exactly two raters, ``weights`` ``None``, ``"linear"``
      or ``"quadratic"``. With more raters, name two with ``raters=("a", "b")``.
    * ``"percent"``: share of agreeing rater pairs, exact or within ``tolerance`` levels;
      ``percent="units"`` averages each unit's share instead (Gwet), ``"unanimous"`` counts
      the units whose ratings all agree (R irr's ``agree``).
    * ``"gwet"``: Gwet's AC1, or AC2 with ``weights``; stays meaningful when most ratings
      sit on one level (where the kappas collapse). Any raters, any gaps.
    * ``"brennan-prediger"``: chance agreement ``1/q`` per level (weights allowed).
    * ``"conger"``: Conger's multi-rater kappa from each rater's own level shares (weights
      allowed); with two raters it is Cohen's kappa.
    * ``"icc"``: intraclass correlation of the level *scores* (the map's ``score`` of each
      level; raises if the scale has none), form ``icc`` ``"ICC1"``, ``"ICC2"`` (default),
      ``"ICC3"`` or their ``k`` means; units not rated by every rater are left out.

    Gwet's family carries Gwet's standard error (``details["se"]``) and t interval, the
    ICC its F-based interval, as ``ci``, unless ``bootstrap`` asks for a bootstrap one.

    ``by``: ``None`` pools every component into one figure (pooling mixes components on
    their own scales: level indices are compared, so index 1 of a 3-level row and of a
    5-level row count as equal); ``"component"`` gives one row per rated component;
    ``"group"`` one per group at every depth of the hierarchy, pooling the components below
    it; a group kind (``"frame"``, ``"standard"``, ...) one per group of that kind. The
    map-wide pooled row is always in :attr:`AgreementReport.pooled`.

    ``bootstrap=B`` adds a percentile ``confidence`` interval from ``B`` resamples of units
    to every row; an ``int`` ``seed`` seeds each row alike, so intervals are reproducible.

    Edge cases never raise: no ratings, no unit rated twice, a single level throughout (for
    chance-corrected coefficients) and an incomplete design for Fleiss give ``value=None``
    and a ``reason``. Raises :class:`~icmaps.errors.UsageError` for unknown options, options
    that do not fit the method, and Cohen's kappa with more than two raters.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> rep = agreement(rs, by="component")
    >>> rep.rows[0].id, round(rep["al-protected-time"].value, 3)
    ('al-teacher-routine', 0.762)
    >>> agreement(rs, method="percent", tolerance=1).overall.value
    1.0
    """
    if method not in _METHODS:
        raise UsageError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if level not in _LEVELS:
        raise UsageError(f"level must be one of {', '.join(_LEVELS)}; got {level!r}")
    if weights not in _WEIGHTS:
        raise UsageError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    if weights is not None and method not in _WEIGHTED:
        raise UsageError(
            f"weights apply to methods {', '.join(_WEIGHTED)}, not {method!r} "
            "(Krippendorff's alpha takes level=...)"
        )
    if percent not in PERCENT_VARIANTS:
        raise UsageError(f"percent must be one of {', '.join(PERCENT_VARIANTS)}; got {percent!r}")
    if percent != "pairs" and method != "percent":
        raise UsageError(f"percent=... applies to method 'percent' only, not {method!r}")
    if icc not in ICC_FORMS:
        raise UsageError(f"icc must be one of {', '.join(ICC_FORMS)}; got {icc!r}")
    if icc != "ICC2" and method != "icc":
        raise UsageError(f"icc=... applies to method 'icc' only, not {method!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise UsageError(
            f"tolerance must be a non-negative whole number of levels, got {tolerance!r}"
        )
    if tolerance and method != "percent":
        raise UsageError(
            f"tolerance applies to percent agreement only (method 'percent'), not {method!r}"
        )
    _check_bootstrap(bootstrap, confidence)
    m = ratings.map
    kinds = sorted({g.kind for g in m.all_groups()})
    if by is not None and by not in ("component", "group", *kinds):
        allowed = ", ".join(["component", "group", *kinds])
        raise UsageError(
            f"cannot split agreement by {by!r}: use one of {allowed} (or nothing, for overall)"
        )

    return agreement_on(
        _design(ratings, raters),
        ratings.map,
        method=method,
        level=level,
        weights=weights,
        tolerance=tolerance,
        by=by,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        percent=percent,
        icc=icc,
    )


def _score_table(m: Map, design: _Design) -> FloatArray:
    """Components x levels: each level's score (map order), for the ICC. Raises naming the
    rated components whose scale has levels without a score."""
    np = _numpy()
    comps = m.all_components()
    width = max(design.n_levels, default=1)
    table = np.full((len(comps), width), np.nan)
    rated = set(np.unique(design.unit_component).tolist())
    missing: list[str] = []
    for i, c in enumerate(comps):
        levels = m.scale_of(c.id).levels
        values = [lv.score for lv in levels]
        if any(v is None for v in values):
            if i in rated:
                missing.append(c.id)
            continue
        table[i, : len(values)] = values
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise UsageError(
            f"the ICC reads level scores, but the scale of component(s) {shown} has levels "
            "without a score; give every level a score in the map, or use method='gwet' or "
            "'krippendorff' (ordinal)"
        )
    return table  # type: ignore[no-any-return]


def agreement_on(
    design: _Design,
    m: Map,
    *,
    method: Method,
    level: Level,
    weights: Weights | None,
    tolerance: int,
    by: str | None,
    bootstrap: int,
    seed: Seed,
    confidence: float,
    pair_table: bool = True,
    percent: PercentVariant = "pairs",
    icc: IccForm = "ICC2",
) -> AgreementReport:
    """:func:`agreement` on a design already built (one per set of ratings), so a report
    asks for several coefficients and splits without re-reading the ratings.
    ``pair_table=False`` leaves out percent agreement's table of rater pairs (its details),
    for callers that show only the coefficient."""
    np = _numpy()
    if method == "cohen" and len(design.raters) > 2:
        shown = ", ".join(design.raters[:6]) + (" ..." if len(design.raters) > 6 else "")
        raise UsageError(
            f"Cohen's kappa compares two raters, but the ratings have {len(design.raters)} "
            f"({shown}); use method='fleiss' or 'krippendorff', or pick two with "
            "raters=(a, b) (CLI: --raters a,b)"
        )
    present = set(np.flatnonzero(np.bincount(design.unit_component)).tolist())
    compute = functools.partial(
        _compute,
        design,
        method=method,
        level=level,
        weights=weights,
        tolerance=tolerance,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        default_levels=len(m.scale.levels),
        pair_table=pair_table,
        percent=percent,
        icc=icc,
        scores=_score_table(m, design) if method == "icc" else None,
    )

    def row(what: tuple[Scope, str, str, str, int], ids: list[int]) -> AgreementRow:
        scope, id, kind, title, depth = what
        n_levels, result = compute(ids)
        names = tuple(design.components[i] for i in ids)
        return AgreementRow(scope, id, kind, title, depth, n_levels, names, result)

    pooled = row(("map", m.id, "map", m.title, 0), sorted(present))
    rows: list[AgreementRow] = []
    if by is None:
        rows.append(pooled)
    elif by == "component":
        for i, c in enumerate(m.all_components()):
            if i in present:
                depth = len(m.path_of(c.id)) + 1
                rows.append(row(("component", c.id, "component", c.title, depth), [i]))
    else:
        index = {cid: i for i, cid in enumerate(design.components)}
        for g, depth, below in _walk_groups(m):
            if by not in ("group", g.kind):
                continue
            ids = sorted(index[c] for c in below if index[c] in present)
            if ids:
                rows.append(row(("group", g.id, g.kind, g.title, depth), ids))
    options: dict[str, object] = {"confidence": confidence, "bootstrap": bootstrap}
    if method == "krippendorff":
        options["level"] = level
    elif method in _WEIGHTED:
        options["weights"] = weights
    elif method == "percent":
        options["tolerance"] = tolerance
        options["percent"] = percent
    elif method == "icc":
        options["icc"] = icc
    if bootstrap and isinstance(seed, int):
        options["seed"] = seed
    return AgreementReport(
        map_id=m.id,
        method=method,
        by=by,
        raters=design.raters,
        rows=tuple(rows),
        pooled=pooled,
        options=options,
    )
