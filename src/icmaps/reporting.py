"""Implementation reports: the IC grid as a heatmap of where ratings sit, with summaries.

:func:`report` computes everything once into a :class:`Report`; :meth:`Report.write_html`
writes one self-contained HTML file (inline CSS and SVG, no script, no network, prints well)
and :meth:`Report.to_markdown` gives the same content as Markdown.

A report shows, for one *snapshot* occasion (the last one in the file unless chosen):

* the map grid with each cell shaded by the share of ratings at that level, with its count;
* % ideal and % ideal-or-acceptable ("at or above the dashed line") per component and per
  group, with a stacked bar of the three zones, optionally split by a subject attribute;
* growth between occasions, when there are several;
* inter-rater agreement (Krippendorff's alpha, ordinal, and exact agreement), when subjects
  have several raters;
* data-quality notes: missing ratings, N/A, incomplete subjects and reading problems.

Counts are of ratings (subject x rater x component), not of subjects: a subject rated by three
raters counts three times. Every piece of text from the map or the ratings is escaped.

>>> import icmaps
>>> m = icmaps.load_map("learning-school")
>>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), m)
>>> r = icmaps.report(rs)
>>> r.snapshot, r.occasions
('2026-spring', ('2025-fall', '2026-spring'))
>>> "<script" in r.to_html()
False
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from icmaps._table import Column, Table, TableResult
from icmaps._tabular import fmt_pct
from icmaps.errors import MissingExtraError, NotFoundError, Problem, UsageError
from icmaps.maps.model import Component, Group, Map
from icmaps.stats.tally import Decisions, Distribution, Tally, tally

if TYPE_CHECKING:
    from icmaps.ratings.occasions import Period
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.calibration import Calibration
    from icmaps.stats.coefficients import AgreementResult
    from icmaps.stats.fidelity import FidelityResult, UnitFidelity
    from icmaps.stats.growth import Comparison, ComponentChange
    from icmaps.stats.tally import Cell

__all__ = ["ComponentStats", "Distribution", "GroupStats", "Report", "report"]


@dataclasses.dataclass(frozen=True, slots=True)
class ComponentStats:
    """One component's figures: snapshot, per value of ``by`` and per occasion."""

    component: Component
    depth: int
    levels: tuple[int, ...]  # snapshot counts per desired-first level
    snapshot: Distribution
    by: Mapping[str, Distribution]
    occasions: Mapping[str, Distribution]
    agreement: AgreementResult | None = None
    percent_agreement: AgreementResult | None = None
    is_group: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class GroupStats:
    """A group's figures: its components' ratings pooled."""

    group: Group
    depth: int
    snapshot: Distribution
    by: Mapping[str, Distribution]
    occasions: Mapping[str, Distribution]
    agreement: AgreementResult | None = None
    percent_agreement: AgreementResult | None = None
    is_group: bool = True


Row = ComponentStats | GroupStats


@dataclasses.dataclass(frozen=True)
class Report(TableResult):
    """A computed implementation report; render it with :meth:`to_html`, :meth:`write_html`,
    :meth:`to_markdown` or :meth:`write_markdown`. Its snapshot rows (groups and components,
    shares 0-1) are also a table: :meth:`to_table`, :meth:`to_records`, :meth:`to_csv`,
    :meth:`to_pandas`, ``str()``; :meth:`row` looks one up by id."""

    map: Map
    title: str
    role: str | None
    by: str | None
    snapshot: str | None
    base: str | None  # growth is from this occasion to the snapshot (None: no growth)
    occasion_order: str  # how occasions were put in time order: given, dates or file
    occasions: tuple[str, ...]  # in time order
    by_values: tuple[str, ...]
    rows: tuple[Row, ...]
    overall: Distribution
    overall_by_occasion: Mapping[str, Distribution]
    overall_by: Mapping[str, Distribution]
    n_ratings: int
    n_subjects: int
    n_raters: int
    attributes: tuple[str, ...]
    agreement: AgreementResult | None
    agreement_note: str | None
    fidelity: FidelityResult | None
    comparison: Comparison | None
    sources: Comparison | None  # self-rating against another source, when ratings say so
    quality: tuple[str, ...]
    privacy: str  # the privacy settings the report was made with, as shown on it
    problems: tuple[Problem, ...]
    _counts: Mapping[str, tuple[int, ...]] = dataclasses.field(repr=False)
    _extra: Mapping[str, tuple[int, int]] = dataclasses.field(repr=False)
    calibration: Calibration | None = None  # the raters against anchor ratings, when asked

    # -- HTML ------------------------------------------------------------------------------

    def to_html(self) -> str:
        """The report as one self-contained HTML document (no script, no external resource).

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> r = icmaps.report(_demo_ratings(m))
        >>> r.to_html().startswith("<!DOCTYPE html>")
        True
        """
        from icmaps.render.html import report_html

        return report_html(self)

    def to_dict(self) -> dict[str, object]:
        """The whole report as plain, JSON-safe data (shares 0-1; what ``icmaps report
        --format json`` prints).

        >>> import icmaps, json
        >>> m = icmaps.load_map("pbis-tfi")
        >>> d = icmaps.report(_demo_ratings(m)).to_dict()
        >>> d["map"]["id"], d["n_ratings"], sorted(d["overall"])[:3]
        ('pbis-tfi', 225, ['acceptable', 'ideal', 'missing'])
        >>> json.loads(json.dumps(d, allow_nan=False)) == d
        True
        """

        def dists(d: Mapping[str, Distribution]) -> dict[str, object]:
            return {k: v.to_dict() for k, v in d.items()}

        def row(r: Row) -> dict[str, object]:
            what = r.group if isinstance(r, GroupStats) else r.component
            out: dict[str, object] = {
                "kind": "group" if isinstance(r, GroupStats) else "component",
                "id": what.id,
                "title": what.title,
                "depth": r.depth,
                "snapshot": r.snapshot.to_dict(),
                "by": dists(r.by),
                "occasions": dists(r.occasions),
                "agreement": r.agreement.to_dict() if r.agreement else None,
                "percent_agreement": (
                    r.percent_agreement.to_dict() if r.percent_agreement else None
                ),
            }
            if isinstance(r, ComponentStats):
                out["levels"] = list(r.levels)
            return out

        return {
            "title": self.title,
            "map": {"id": self.map.id, "version": self.map.version, "title": self.map.title},
            "role": self.role,
            "by": self.by,
            "snapshot": self.snapshot,
            "base": self.base,
            "occasions": list(self.occasions),
            "occasion_order": self.occasion_order,
            "by_values": list(self.by_values),
            "n_ratings": self.n_ratings,
            "n_subjects": self.n_subjects,
            "n_raters": self.n_raters,
            "attributes": list(self.attributes),
            "overall": self.overall.to_dict(),
            "overall_by_occasion": dists(self.overall_by_occasion),
            "overall_by": dists(self.overall_by),
            "rows": [row(r) for r in self.rows],
            "agreement": self.agreement.to_dict() if self.agreement else None,
            "agreement_note": self.agreement_note,
            "fidelity": self.fidelity.to_dict() if self.fidelity else None,
            "sources": self.sources.to_dict() if self.sources else None,
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "quality": list(self.quality),
            "privacy": self.privacy,
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "problems": [p.to_dict() for p in self.problems],
        }

    def row(self, id: str) -> Row:
        """The snapshot figures of a group or component (by id);
        :class:`~icmaps.errors.NotFoundError` names the rows there are.

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> icmaps.report(_demo_ratings(m)).row("t1-team-composition").snapshot.rated
        2
        """
        for r in self.rows:
            if (r.group.id if isinstance(r, GroupStats) else r.component.id) == id:
                return r
        ids = [r.group.id if isinstance(r, GroupStats) else r.component.id for r in self.rows]
        more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
        raise NotFoundError(f"no report row {id!r} (rows: {', '.join(ids[:8]) or 'none'}{more})")

    def to_table(self) -> Table:
        """One row per group and component of the snapshot: zone counts and shares (0-1)."""
        cols = (
            Column("kind", show=False),
            Column("id", show=False),
            Column("title", indent=True),
            Column("depth", "int", show=False),
            Column("rated", "int"),
            Column("zones", "zones", data=False),
            Column("ideal", "int", show=False),
            Column("acceptable", "int", show=False),
            Column("unacceptable", "int", show=False),
            Column("share_ideal", "share", "% ideal"),
            Column("share_acceptable", "share", "% ideal or acc."),
            Column("na", "int", "N/A"),
            Column("missing", "int"),
        )
        rows = []
        for r in self.rows:
            what = r.group if isinstance(r, GroupStats) else r.component
            d = r.snapshot
            rows.append(
                (
                    "group" if isinstance(r, GroupStats) else "component",
                    what.id,
                    what.title,
                    r.depth,
                    d.rated,
                    d,
                    d.ideal,
                    d.acceptable,
                    d.unacceptable,
                    d.share_ideal,
                    d.share_acceptable,
                    d.na,
                    d.missing,
                )
            )
        facts = (
            ("map", self.map.id),
            ("snapshot", self.snapshot or "–"),
            ("ratings", self.n_ratings),
            ("subjects", self.n_subjects),
            ("raters", self.n_raters),
        )
        return Table(
            self.title,
            cols,
            tuple(rows),
            facts,
            roll=tuple(isinstance(r, GroupStats) for r in self.rows),
            depth=tuple(r.depth for r in self.rows),
        )

    def fidelity_table(self) -> tuple[tuple[str, tuple[UnitFidelity | None, ...]], ...]:
        """Per subject, its fidelity result on each occasion (None when not rated then).

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> [s for s, _ in icmaps.report(_demo_ratings(m)).fidelity_table()]
        ['s1', 's2']
        """
        if self.fidelity is None:
            return ()
        cells: dict[str, dict[str, UnitFidelity]] = {}
        for u in self.fidelity.units:
            subject, occasion = str(u.key[0]), str(u.key[1])
            cells.setdefault(subject, {})[occasion] = u
        return tuple(
            (subject, tuple(per.get(o) for o in self.occasions)) for subject, per in cells.items()
        )

    def fidelity_rules(self) -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
        """Per occasion, for each of the map's fidelity rules (``fidelity.rules``): how many
        subjects meet it and how many were rated on it.

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> icmaps.report(_demo_ratings(m)).fidelity_rules()[0]  # tier-1, tier-2, tier-3
        ('fall', ((0, 2), (0, 2), (0, 2)))
        """
        if self.fidelity is None or not self.fidelity.rules:
            return ()
        n = len(self.fidelity.rules)
        met: dict[str, list[list[int]]] = {o: [[0, 0] for _ in range(n)] for o in self.occasions}
        for u in self.fidelity.units:
            counts = met.get(str(u.key[1]))
            if counts is None:
                continue
            for i, r in enumerate(u.rules):
                if r.meets is not None:
                    counts[i][1] += 1
                    counts[i][0] += int(r.meets)
        return tuple(
            (o, tuple((a, b) for a, b in met[o]))
            for o in self.occasions
            if any(b for _, b in met[o])
        )

    def change(self, component_id: str) -> ComponentChange | None:
        """Subjects' moves on a component from the growth base to the snapshot, if compared."""
        if self.comparison is None:
            return None
        return next((c for c in self.comparison.components if c.component == component_id), None)

    def agreement_rows(self) -> tuple[Row, ...]:
        """Groups and components with an agreement result (several raters on a subject)."""
        return tuple(row for row in self.rows if row.agreement)

    def write_html(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_html` to ``path`` atomically (temporary file, then rename).

        >>> import icmaps, tempfile, pathlib
        >>> m = icmaps.load_map("pbis-tfi")
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.html"
        >>> icmaps.report(_demo_ratings(m)).write_html(out)
        >>> out.read_text(encoding="utf-8").count("<svg") > 0
        True
        """
        from icmaps._io import atomic_write

        atomic_write(path, self.to_html())

    # -- Markdown --------------------------------------------------------------------------

    def to_markdown(self) -> str:
        """The report as Markdown (GitHub-flavoured tables; every input text escaped).

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> icmaps.report(_demo_ratings(m)).to_markdown().startswith("# Implementation report")
        True
        """
        from icmaps.render.markdown import report_markdown

        return report_markdown(self)

    def write_markdown(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_markdown` to ``path`` atomically."""
        from icmaps._io import atomic_write

        atomic_write(path, self.to_markdown())

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (
            f"<Report {self.title!r}: {self.n_ratings} ratings, {self.n_subjects} subjects, "
            f"{len(self.occasions)} occasions>"
        )


# -- computing -------------------------------------------------------------------------------


def _agreement(
    ratings: RatingSet, occasion: str | None
) -> tuple[dict[str, tuple[AgreementResult, AgreementResult]], AgreementResult | None, str | None]:
    """Krippendorff's alpha (ordinal) and exact agreement per component and per group on
    ``occasion``, by :func:`icmaps.agreement` (units: subject x occasion x component), and the
    alpha of every component pooled; or a note saying why there is none."""
    if len(ratings.categories("rater")) < 2:
        return {}, None, None
    from icmaps.stats.reliability import _design, agreement_on

    out: dict[str, tuple[AgreementResult, AgreementResult]] = {}
    try:
        # one design (of the snapshot) for every coefficient and split
        design = _design(ratings, None, occasion=occasion)
        if len(design.raters) < 2:
            return {}, None, None
        common: dict[str, Any] = {"level": "ordinal", "weights": None, "tolerance": 0}
        common |= {"bootstrap": 0, "seed": None, "confidence": 0.95}
        for by in ("component", "group"):
            alpha = agreement_on(design, ratings.map, method="krippendorff", by=by, **common)
            exact = agreement_on(
                design, ratings.map, method="percent", by=by, pair_table=False, **common
            )
            for row in alpha:
                if row.result.n_units:
                    out[row.id] = (row.result, exact[row.id])
    except MissingExtraError as e:  # an extra the coefficients need is not installed
        return {}, None, str(e)
    except UsageError as e:  # e.g. a rater twice on a subject once occasions are periods
        return {}, None, f"no agreement figures: {e}"
    overall = alpha.overall if alpha.overall.n_units else None
    return out, overall, None


def report(
    ratings: RatingSet | Any,
    /,
    *args: Any,
    role: str | None = None,
    by: str | None = None,
    title: str | None = None,
    occasion: str | None = None,
    problems: Sequence[Problem] = (),
    occasions: Sequence[str] | None = None,
    base: str | None = None,
    period: Period | Mapping[str, str] | None = None,
    privacy: str | None = None,
    anchor: str | os.PathLike[str] | RatingSet | None = None,
) -> Report:
    """Compute an implementation report of ``ratings`` (on the map they were read against).

    ``ratings`` is a :class:`~icmaps.RatingSet` or the result of
    ``read_ratings(..., errors="collect")`` (its problems are listed in the report). The old
    form ``report(map, ratings, ...)`` still works and warns (DeprecationWarning).
    ``role`` keeps that role's view of the map (and its ratings); ``by`` splits the component
    figures by a subject attribute (or ``rater``, ``role``, ``occasion``); ``occasion`` picks
    the snapshot (default: the last occasion). Occasions are in time order: ``occasions``
    gives it; else dates and year-term labels (``2025-fall``, ``2025-10-01``) are sorted in
    time, and other labels keep the order they first appear in (the report's data-quality
    notes then say so). Growth is from ``base`` (default: the occasion just before the
    snapshot) to the snapshot, never the snapshot against itself. ``period`` (``"month"``,
    ``"term"``, ``"year"`` or a mapping) first rolls dated occasions up into periods.
    ``privacy`` says how names were treated (e.g. pseudonymized); the report states it.
    ``anchor`` (a rater id, or a file or RatingSet of master-coded ratings) adds a rater
    calibration section: each rater's agreement with the anchor (:func:`icmaps.calibrate`).

    >>> import icmaps
    >>> m = icmaps.load_map("learning-school")
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), m)
    >>> r = icmaps.report(rs, role="principal", by="district")
    >>> r.by_values
    ('north-valley-usd', 'eastport-sd')
    >>> round(r.overall.share_acceptable or 0, 2)
    0.69
    """
    from icmaps.maps.model import Map

    given_map: Map | None = None
    if isinstance(ratings, Map):
        import warnings

        warnings.warn(
            "report(map, ratings) is deprecated: the ratings carry their map, call report(ratings)",
            DeprecationWarning,
            stacklevel=2,
        )
        if len(args) != 1:
            raise UsageError("report(map, ratings): give the ratings after the map")
        given_map, ratings = ratings, args[0]
    elif args:
        raise UsageError(
            f"report() takes the ratings and keyword options, not {len(args) + 1} arguments"
        )
    if hasattr(ratings, "problems") and hasattr(ratings, "ratings"):
        problems = (*problems, *ratings.problems)
        ratings = ratings.ratings
    rs: RatingSet = ratings
    if period is not None:
        rs = rs.in_periods(period)
    map = rs.map
    if given_map is not None and (rs.map.id, rs.map.version) != (given_map.id, given_map.version):
        raise UsageError(
            f"the ratings are of map {rs.map.id!r} v{rs.map.version}, not "
            f"{given_map.id!r} v{given_map.version}"
        )
    view = map.for_role(role) if role is not None else map
    comps = view.all_components()
    dropped = 0
    if role is not None:
        before = len(rs)
        rs = rs.for_role(role)
        dropped = before - len(rs)

    known = ("subject", "rater", "occasion", "role", *rs.attributes)
    if by is not None and by in rs.text_columns:
        raise UsageError(f"cannot split by {by!r}: it is free text kept with each rating")
    if by is not None and by not in known:
        raise NotFoundError(f"no column {by!r} to split by (columns: {', '.join(known)})")

    order = rs.occasion_order(occasions)
    occasions = order.occasions
    for name, value in (("occasion", occasion), ("base", base)):
        if value is not None and value not in occasions:
            raise NotFoundError(
                f"{name}: no occasion {value!r} in the ratings "
                f"(occasions, in time order: {', '.join(occasions) or 'none'})"
            )
    snapshot = occasion or (occasions[-1] if occasions else None)
    if base is not None and base == snapshot:
        raise UsageError(f"base and snapshot are both {base!r}: growth needs two occasions")
    growth_base = base or (order.before(snapshot) if snapshot is not None else None)

    # Every count comes from aggregate.tally, the counting rules summarize() uses too.

    # one pass over the ratings: a per-subject tally, then regroupings of its counts
    extra_col = (by,) if by not in (None, "occasion", "subject") else ()
    counted = tally(rs, ("subject", "occasion", *extra_col))
    per_occ = counted.regroup("occasion").cells
    per_by = counted.regroup(("occasion", by)).cells if by not in (None, "occasion") else {}
    by_values = tuple("" if v is None else v for v in (rs.categories(by) if by else ()))

    def by_cell(cid: str, value: str) -> Cell | None:
        """The cell of one value of ``by`` (on the snapshot, unless ``by`` is the occasion)."""
        if by == "occasion":
            return per_occ.get(((value or None,), cid))
        return per_by.get(((snapshot, value or None), cid))

    agreement, overall_agreement, agreement_note = _agreement(rs, snapshot)

    counts: dict[str, tuple[int, ...]] = {}
    extra: dict[str, tuple[int, int]] = {}
    comp_stats: dict[str, ComponentStats] = {}
    for c in comps:
        zones = [lv.zone for lv in view.scale_of(c.id).desired()]
        s = per_occ.get(((snapshot,), c.id))
        counts[c.id] = s.levels if s is not None else (0,) * len(zones)
        extra[c.id] = (s.na, s.missing) if s is not None else (0, 0)
        a = agreement.get(c.id)
        comp_stats[c.id] = ComponentStats(
            component=c,
            depth=len(view.path_of(c.id)),
            levels=counts[c.id],
            snapshot=Distribution.of(s, zones),
            by={v: Distribution.of(by_cell(c.id, v), zones) for v in by_values},
            occasions={o: Distribution.of(per_occ.get(((o,), c.id)), zones) for o in occasions},
            agreement=a[0] if a else None,
            percent_agreement=a[1] if a else None,
        )

    rows: list[Row] = []

    def pooled(
        stats: Sequence[ComponentStats],
    ) -> tuple[Distribution, dict[str, Distribution], dict[str, Distribution]]:
        total = sum((s.snapshot for s in stats), Distribution())
        b = {v: sum((s.by[v] for s in stats), Distribution()) for v in by_values}
        o = {v: sum((s.occasions[v] for s in stats), Distribution()) for v in occasions}
        return total, b, o

    for node in view.outline():
        if node.kind == "component":
            rows.append(comp_stats[node.id])
            continue
        total, b, o = pooled([comp_stats[c] for c in node.below])
        a = agreement.get(node.id)
        g = view.group(node.id)
        rows.append(
            GroupStats(g, node.depth, total, b, o, a[0] if a else None, a[1] if a else None)
        )
    overall, overall_by, overall_occ = pooled(list(comp_stats.values()))

    # one set of per-subject decisions (median of the raters) for fidelity and growth
    from icmaps.stats.tally import decide_tally

    shared = decide_tally(counted.regroup(("subject", "occasion")), "median") if len(rs) else None
    quality = _quality(
        view,
        t=counted,
        rs=rs,
        snapshot=snapshot,
        per_occasion=overall_occ,
        dropped=dropped,
        role=role,
    )
    if order.warning:
        quality = (*quality, order.warning[0].upper() + order.warning[1:] + ".")
    return Report(
        map=view,
        title=title or f"Implementation report: {map.title}",
        role=role,
        by=by,
        snapshot=snapshot,
        base=growth_base,
        occasion_order=order.basis,
        occasions=occasions,
        by_values=by_values,
        rows=tuple(rows),
        overall=overall,
        overall_by_occasion=overall_occ,
        overall_by=overall_by,
        n_ratings=len(rs),
        n_subjects=len(rs.categories("subject")),
        n_raters=len(rs.categories("rater")),
        attributes=rs.attributes,
        agreement=overall_agreement,
        agreement_note=agreement_note,
        fidelity=_fidelity(rs, shared, occasions),
        comparison=_comparison(rs, growth_base, snapshot, shared),
        sources=_sources(rs),
        privacy=privacy or "subject and rater names as in the ratings",
        quality=quality,
        problems=tuple(problems),
        _counts=counts,
        _extra=extra,
        calibration=_calibration(rs, anchor),
    )


def _calibration(
    rs: RatingSet, anchor: str | os.PathLike[str] | RatingSet | None
) -> Calibration | None:
    """The calibration section's figures (``None`` without an anchor)."""
    if anchor is None:
        return None
    from icmaps.stats.calibration import calibrate

    return calibrate(rs, anchor)


def _fidelity(
    rs: RatingSet, d: Decisions | None, occasions: Sequence[str]
) -> FidelityResult | None:
    """Fidelity per subject x occasion by the map's own rules (or icmaps' default)."""
    if d is None:
        return None
    from icmaps.stats.fidelity import _judged_by_rules, fidelity_from, fidelity_rule

    threshold, basis = fidelity_rule(rs.map)
    rules = rs.map.fidelity_rules()
    return fidelity_from(
        rs.map,
        d,
        ("subject", "occasion"),
        ("occasion",),
        threshold=threshold,
        basis=basis,
        weights=True,
        critical=True,
        rule="median",
        rules=rules,
        occasions=occasions,
        all_rules=_judged_by_rules(rules),
    )


def _sources(rs: RatingSet) -> Comparison | None:
    """Self-ratings against the other source (``observer``, ``coach`` ...) of the same
    occasion, when the ratings have a ``source`` column with ``self`` and one other value."""
    if "source" not in rs.attributes:
        return None
    values = [str(v) for v in rs.categories("source") if v is not None]
    others = [v for v in values if v != "self"]
    if "self" not in values or not others:
        return None
    from icmaps.stats.growth import compare

    return compare(rs, between="source", base="self", other=others[0])


def _comparison(
    rs: RatingSet, base: str | None, snapshot: str | None, d: Decisions | None
) -> Comparison | None:
    """Per-subject transitions from the growth base to the snapshot."""
    if base is None or snapshot is None or d is None:
        return None
    from icmaps.stats.growth import compare_from

    return compare_from(rs.map, d, 1, ("subject",), "occasion", base, snapshot, "median")


def _quality(
    m: Map,
    *,
    t: Tally,
    rs: RatingSet,
    snapshot: str | None,
    per_occasion: Mapping[str, Distribution],
    dropped: int,
    role: str | None,
) -> tuple[str, ...]:
    notes: list[str] = []
    total = sum((d for d in per_occasion.values()), Distribution())
    n = total.rated + total.na + total.missing
    if n:
        notes.append(
            f"{total.missing} of {n} ratings missing ({fmt_pct(100 * total.missing / n)}%), "
            f"{total.na} N/A ({fmt_pct(100 * total.na / n)}%); neither counts in any share."
        )
    if dropped:
        notes.append(
            f"{dropped} ratings of components or roles outside the {role!r} view were left out."
        )
    rated = set(rs.categories("component"))
    unrated = [c.id for c in m.all_components() if c.id not in rated]
    if unrated:
        notes.append(f"{len(unrated)} components have no ratings: {', '.join(unrated)}.")
    # subjects in the snapshot with no rating at all on some component (from the counts)
    o_pos, s_pos = t.by.index("occasion"), t.by.index("subject")
    occasions = t.values[o_pos]
    if snapshot in occasions:
        import numpy as np

        at = t.keys[:, o_pos] == occasions.index(snapshot)
        subj, comp = t.keys[at, s_pos], t.component[at]
        # which subject has counts on which component: a small bool grid, no sort
        has = np.zeros((len(t.values[s_pos]), max(len(t.components), 1)), dtype=bool)
        has[subj, comp] = True
        per_subject = has.sum(axis=1)
        n_subjects = int((per_subject > 0).sum())
        common = int(has.any(axis=0).sum())
        names = t.values[s_pos]
        partial = sorted(
            str(names[i]) for i in np.flatnonzero((per_subject > 0) & (per_subject < common))
        )
        if partial:
            notes.append(
                f"{len(partial)} of {n_subjects} subjects in {snapshot} lack ratings on some "
                f"components others have: {', '.join(partial[:10])}"
                + (f" and {len(partial) - 10} more." if len(partial) > 10 else ".")
            )
    return tuple(notes)


def _demo_ratings(m: Map) -> RatingSet:
    """A small deterministic RatingSet for examples: two subjects, two raters, two occasions."""
    from icmaps.ratings.ratingset import RatingSet

    records = []
    for i, c in enumerate(m.all_components()):
        codes = [v.code for v in m.variations_of(c.id)]
        for j, (subject, rater, occasion) in enumerate(
            [
                ("s1", "r1", "fall"),
                ("s1", "r2", "fall"),
                ("s2", "r1", "fall"),
                ("s1", "r1", "spring"),
                ("s2", "r1", "spring"),
            ]
        ):
            code = codes[(i + j) % len(codes)]
            records.append(
                {
                    "subject": subject,
                    "rater": rater,
                    "occasion": occasion,
                    "component": c.id,
                    "code": code,
                }
            )
    return RatingSet.from_records(m, records)
