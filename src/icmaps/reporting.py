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
from icmaps.stats.tally import Counted, Decisions, Distribution, Tally, tally

if TYPE_CHECKING:
    from icmaps._tabular import Suppressed
    from icmaps.ratings.occasions import Period
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.calibration import Calibration
    from icmaps.stats.coefficients import AgreementResult
    from icmaps.stats.disclosure import Mask
    from icmaps.stats.fidelity import FidelityResult, UnitFidelity
    from icmaps.stats.growth import Comparison, ComponentChange
    from icmaps.stats.tally import Cell

__all__ = ["ComponentStats", "Distribution", "GroupStats", "Report", "ShownDistribution", "report"]


@dataclasses.dataclass(frozen=True, slots=True)
class ShownDistribution:
    """A :class:`Distribution` as a report with a minimum number of subjects shows it: each
    count is the count or its marker (``<5``, ``*``); a share is hidden when a count it rests
    on is. It reads like a Distribution, so templates take either.

    >>> from icmaps._tabular import Suppressed
    >>> d = ShownDistribution(Suppressed(5), 7, 9, 0, 0, 20, Suppressed(5), 0.8)
    >>> str(d.share_ideal), d.shares()
    ('<5', (0.0, 0.0, 0.0))
    """

    ideal: int | Suppressed
    acceptable: int | Suppressed
    unacceptable: int | Suppressed
    na: int | Suppressed
    missing: int | Suppressed
    rated: int | Suppressed
    share_ideal: float | Suppressed | None
    share_acceptable: float | Suppressed | None

    @property
    def hidden(self) -> bool:
        """Whether any zone count is hidden (then no bar of shares is drawn)."""
        return not all(isinstance(v, int) for v in (self.ideal, self.acceptable, self.unacceptable))

    def shares(self) -> tuple[float, float, float]:
        """The zone shares for a bar; zeros when a zone count is hidden."""
        if self.hidden or not isinstance(self.rated, int) or not self.rated:
            return (0.0, 0.0, 0.0)
        i, a, u = (
            v if isinstance(v, int) else 0 for v in (self.ideal, self.acceptable, self.unacceptable)
        )
        return (i / self.rated, a / self.rated, u / self.rated)

    def to_dict(self) -> dict[str, object]:
        """Plain data as :meth:`Distribution.to_dict` gives it, markers as text."""
        return {
            f.name: str(v) if not isinstance(v, int | float | None) else v
            for f in dataclasses.fields(self)
            for v in (getattr(self, f.name),)
        }


_DIST = ("ideal", "acceptable", "unacceptable", "na", "missing", "rated")


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
    min_n: int | None = None  # figures on fewer subjects are hidden (see disclosure)
    mask: Mask | None = dataclasses.field(default=None, repr=False)
    _comparison_mask: Mask | None = dataclasses.field(default=None, repr=False)
    _sources_mask: Mask | None = dataclasses.field(default=None, repr=False)

    # -- what is shown (with a minimum number of subjects, hidden figures are markers) -----

    def _context(self, where: str, value: str | None) -> tuple[str, str | None]:
        if where == "snapshot":
            return ("occ", self.snapshot)
        if where == "occasion" or (where == "by" and self.by == "occasion"):
            return ("occ", value)
        return ("by", value)

    def shown(
        self, row: Row | None = None, where: str = "snapshot", value: str | None = None
    ) -> Distribution | ShownDistribution:
        """A row's figures (``row=None``: all components) on the snapshot, for one value of
        the split (``where="by"``) or on one occasion (``where="occasion"``), as the report
        shows them: the :class:`Distribution`, or with :attr:`min_n` a
        :class:`ShownDistribution` with hidden figures as markers.

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> str(icmaps.report(_demo_ratings(m), min_n=5).shown().rated)
        '<5'
        """
        if row is None:
            d = (
                self.overall
                if where == "snapshot"
                else self.overall_by[value or ""]
                if where == "by"
                else self.overall_by_occasion[value or ""]
            )
            rid = "*"
        else:
            d = (
                row.snapshot
                if where == "snapshot"
                else row.by[value or ""]
                if where == "by"
                else row.occasions[value or ""]
            )
            rid = row.group.id if isinstance(row, GroupStats) else row.component.id
        mask = self.mask
        if mask is None:
            return d
        ctx = self._context(where, value)
        fig: dict[str, Any] = {f: mask.show((ctx, rid, f), getattr(d, f)) for f in _DIST}
        zones = [(ctx, rid, f) for f in ("ideal", "acceptable", "unacceptable", "rated")]
        return ShownDistribution(
            **fig,
            share_ideal=mask.any_hidden([(ctx, rid, "ideal"), (ctx, rid, "rated")])
            or d.share_ideal,
            share_acceptable=mask.any_hidden(zones) or d.share_acceptable,
        )

    def moves(self, component_id: str | None = None) -> dict[str, object] | None:
        """The subjects' moves on a component (None: all components) from the growth base
        to the snapshot as shown (``n``, ``toward``, ``unchanged``, ``away``); None when not
        compared."""
        from icmaps.stats.growth import _shown_change, _shown_totals

        if self.comparison is None:
            return None
        if component_id is None:
            return _shown_totals(self.comparison, self._comparison_mask)
        ch = self.change(component_id)
        return None if ch is None else _shown_change(ch, self._comparison_mask)

    def source_rows(self) -> tuple[tuple[str, dict[str, object]], ...]:
        """Per component compared, its title and the self-assessment figures as shown."""
        from icmaps.stats.growth import _shown_change

        if self.sources is None:
            return ()
        return tuple(
            (c.title, _shown_change(c, self._sources_mask)) for c in self.sources.components
        )

    def source_totals(self) -> dict[str, object]:
        """The self-assessment totals as shown (``n``, ``share_base_higher``, ...)."""
        from icmaps.stats.growth import _shown_totals

        assert self.sources is not None
        return _shown_totals(self.sources, self._sources_mask)

    def fidelity_groups(self) -> tuple[dict[str, object], ...]:
        """Fidelity per occasion as shown: ``key``, ``rated``, ``meeting``,
        ``share_meeting``, ``critical_failed``, ``mean_index``."""
        if self.fidelity is None:
            return ()
        out = []
        mask = self.mask
        for g in self.fidelity.groups:
            d: dict[str, object] = {
                "key": g.key,
                "rated": g.rated,
                "meeting": g.meeting,
                "share_meeting": g.share_meeting,
                "critical_failed": g.critical_failed,
                "mean_index": g.mean_index,
            }
            if mask is not None:
                k = ("fid", g.key)
                for f in ("rated", "meeting", "critical_failed"):
                    d[f] = mask.show((k, f), d[f])
                d["share_meeting"] = (
                    mask.any_hidden([(k, "rated"), (k, "meeting")]) or d["share_meeting"]
                )
                d["mean_index"] = mask.any_hidden([(k, "rated")]) or d["mean_index"]
            out.append(d)
        return tuple(out)

    def fidelity_rules_shown(
        self,
    ) -> tuple[tuple[str, tuple[tuple[object, object, object], ...]], ...]:
        """:meth:`fidelity_rules` as shown, each (met, rated, share met)."""
        out = []
        mask = self.mask
        for occ, counts in self.fidelity_rules():
            row = []
            for i, (met, rated) in enumerate(counts):
                share: object = met / rated if rated else None
                m_: object = met
                r_: object = rated
                if mask is not None:
                    k = ("rule", occ, i)
                    m_, r_ = mask.show((k, "met"), met), mask.show((k, "rated"), rated)
                    share = mask.any_hidden([(k, "met"), (k, "rated")]) or share
                row.append((m_, r_, share))
            out.append((occ, tuple(row)))
        return tuple(out)

    def agreement_shown(self, row: Row | None = None) -> dict[str, object] | None:
        """A row's agreement (None: all components pooled) as shown: ``units``, ``raters``,
        ``alpha``, ``exact``, ``reason``; None without an agreement figure."""
        a = self.agreement if row is None else row.agreement
        p = None if row is None else row.percent_agreement
        if a is None:
            return None
        d: dict[str, object] = {
            "units": a.n_units,
            "raters": a.n_raters,
            "alpha": a.value,
            "exact": None if p is None else p.value,
            "reason": a.reason,
        }
        if self.mask is not None:
            rid = (
                "*"
                if row is None
                else (row.group.id if isinstance(row, GroupStats) else row.component.id)
            )
            hidden = self.mask.any_hidden([("agree", rid)])
            if hidden is not None:
                d.update(units=hidden, alpha=hidden, exact=hidden, reason=None)
        return d

    def header(self) -> dict[str, object]:
        """The key figures as shown: ``ratings``, ``subjects``, ``raters``."""
        d: dict[str, object] = {
            "ratings": self.n_ratings,
            "subjects": self.n_subjects,
            "raters": self.n_raters,
        }
        if self.mask is not None:
            d["subjects"] = self.mask.show(("all", "subjects"), self.n_subjects)
            d["ratings"] = self.mask.show(("all", "ratings"), self.n_ratings)
        return d

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

        if self.mask is not None:
            return self._shown_dict()

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
            **self._about(),
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

    def _about(self) -> dict[str, object]:
        """What the report is of (the head of :meth:`to_dict`, shown or not)."""
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
        }

    def _shown_dict(self) -> dict[str, object]:
        """:meth:`to_dict` under a minimum number of subjects: every figure as shown, no
        per-level counts, no per-subject fidelity and no list of moves."""
        assert self.mask is not None

        def plain(v: object) -> object:
            return v if v is None or isinstance(v, int | float | str) else str(v)

        def row(r: Row) -> dict[str, object]:
            what = r.group if isinstance(r, GroupStats) else r.component
            a = self.agreement_shown(r)
            return {
                "kind": "group" if isinstance(r, GroupStats) else "component",
                "id": what.id,
                "title": what.title,
                "depth": r.depth,
                "snapshot": self.shown(r).to_dict(),
                "by": {v: self.shown(r, "by", v).to_dict() for v in self.by_values},
                "occasions": {o: self.shown(r, "occasion", o).to_dict() for o in self.occasions},
                "agreement": None if a is None else {k: plain(v) for k, v in a.items()},
                "levels": None,
            }

        head = self.header()
        pooled = self.agreement_shown()
        shown_cmp = (
            None
            if self.comparison is None
            else dataclasses.replace(self.comparison, min_n=self.min_n).to_dict()
        )
        shown_src = (
            None
            if self.sources is None
            else dataclasses.replace(self.sources, min_n=self.min_n).to_dict()
        )
        fidelity = None
        if self.fidelity is not None:
            fidelity = {
                "threshold": self.fidelity.threshold,
                "basis": self.fidelity.basis,
                "rules": list(self.fidelity.rules),
                "groups": [
                    {k: list(v) if k == "key" else plain(v) for k, v in g.items()}  # type: ignore[call-overload]
                    for g in self.fidelity_groups()
                ],
                "met": [
                    {
                        "occasion": occ,
                        "rules": [
                            {"rule": rule, "met": plain(m), "rated": plain(n), "share": plain(x)}
                            for rule, (m, n, x) in zip(self.fidelity.rules, counts, strict=True)
                        ],
                    }
                    for occ, counts in self.fidelity_rules_shown()
                ],
            }
        return {
            **self._about(),
            "n_ratings": plain(head["ratings"]),
            "n_subjects": plain(head["subjects"]),
            "n_raters": self.n_raters,
            "attributes": list(self.attributes),
            "overall": self.shown().to_dict(),
            "overall_by_occasion": {
                o: self.shown(None, "occasion", o).to_dict() for o in self.occasions
            },
            "overall_by": {v: self.shown(None, "by", v).to_dict() for v in self.by_values},
            "rows": [row(r) for r in self.rows],
            "agreement": None if pooled is None else {k: plain(v) for k, v in pooled.items()},
            "agreement_note": self.agreement_note,
            "fidelity": fidelity,
            "sources": shown_src,
            "comparison": shown_cmp,
            "quality": list(self.quality),
            "privacy": self.privacy,
            "min_n": self.min_n,
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
            d: Any = self.shown(r)  # the figures as shown (markers under min_n)
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
        head = self.header()
        facts = (
            ("map", self.map.id),
            ("snapshot", self.snapshot or "–"),
            ("ratings", head["ratings"]),
            ("subjects", head["subjects"]),
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
        return _rule_counts(self.fidelity, self.occasions)

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
    ratings: RatingSet | Counted, occasion: str | None
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
    min_n: int | None = None,
    anchor: str | os.PathLike[str] | RatingSet | None = None,
) -> Report:
    """Compute an implementation report of ``ratings`` (on the map they were read against).

    ``ratings`` is a :class:`~icmaps.RatingSet`, the result of
    ``read_ratings(..., errors="collect")`` or ratings counted as they were read
    (:func:`icmaps.count_ratings`, :func:`icmaps.dask.tally`, kept by every column:
    ``by=None``); the problems of the last two are listed in the report. The old
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
    ``min_n`` hides every figure resting on fewer than ``min_n`` subjects (shown ``<5``)
    and the figures that would give one back from a total (``*``), leaves out the
    per-subject fidelity list, the names in the data-quality notes and the heatmap's level
    counts, and says so on the report (see :mod:`icmaps.stats.disclosure`).
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
    elif isinstance(ratings, Counted):  # counted as read: the problems met on the way
        problems = (*problems, *ratings.problems)
    rs: RatingSet | Counted = ratings
    from icmaps.stats.disclosure import check_min_n

    min_n = check_min_n(min_n)
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
        min_n=min_n,
    )
    if order.warning:
        quality = (*quality, order.warning[0].upper() + order.warning[1:] + ".")
    if min_n is not None and anchor is not None:
        quality = (
            *quality,
            "Rater calibration is left out of a report made with a minimum number of subjects "
            "(it describes single raters); `icmaps calibrate` gives it.",
        )
    fidelity = _fidelity(rs, shared, occasions)
    comparison = _comparison(rs, growth_base, snapshot, shared)
    sources = _sources(rs)
    privacy = privacy or "subject and rater names as in the ratings"
    masks: dict[str, Any] = {}
    if min_n is not None:
        privacy += (
            f"; figures resting on fewer than {min_n} subjects hidden (<{min_n}), and those "
            "that would give one back from a total (*)"
        )
        masks["mask"] = _protect(
            min_n,
            view=view,
            counted=counted,
            rows=rows,
            snapshot=snapshot,
            by=by,
            by_values=by_values,
            occasions=occasions,
            fidelity=fidelity,
            agreement=overall_agreement,
            n_subjects=len(rs.categories("subject")),
            n_ratings=len(rs),
        )
        if comparison is not None:
            comparison = dataclasses.replace(comparison, min_n=min_n)
            masks["_comparison_mask"] = comparison.mask()
        if sources is not None:
            sources = dataclasses.replace(sources, min_n=min_n)
            masks["_sources_mask"] = sources.mask()
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
        fidelity=fidelity,
        comparison=comparison,
        sources=sources,
        privacy=privacy,
        quality=quality,
        problems=tuple(problems),
        _counts=counts,
        _extra=extra,
        # a calibration describes individual raters: not in a report made for sharing
        calibration=_calibration(rs, anchor) if min_n is None else None,
        min_n=min_n,
        **masks,
    )


def _protect(
    k: int,
    *,
    view: Map,
    counted: Tally,
    rows: Sequence[Row],
    snapshot: str | None,
    by: str | None,
    by_values: Sequence[str],
    occasions: Sequence[str],
    fidelity: FidelityResult | None,
    agreement: AgreementResult | None,
    n_subjects: int,
    n_ratings: int,
) -> Mask:
    """What a report with a minimum of ``k`` subjects hides. Each zone count, N/A, missing
    and rated figure of every row, on every occasion and for every value of the split, with
    the subjects behind it (from the per-subject tally); the sums the report shows (zones to
    rated, components to a group and to all components, the split's values to the snapshot);
    agreement figures on fewer than k units; fidelity counts per occasion and rule."""
    from icmaps.stats.disclosure import Protection

    p = Protection(k)
    children = {
        "*" if key is None else key: [i for _, i in kids] for key, kids in view.children().items()
    }
    occasion_totals: list[tuple[object, ...]] = []
    zones = {c.id: [lv.zone for lv in view.scale_of(c.id).desired()] for c in view.all_components()}
    above = {c: ["*", *(g.id for g in view.path_of(c))] for c in zones}
    s_pos, o_pos = counted.by.index("subject"), counted.by.index("occasion")
    b_pos = counted.by.index(by) if by is not None and by in counted.by else None
    subjects: dict[tuple[object, ...], set[object]] = {}
    for (key, comp), cell in counted.cells.items():
        if comp not in zones:
            continue
        d = Distribution.of(cell, zones[comp])
        present = [f for f in _DIST if getattr(d, f)]
        if not present:
            continue
        subject, occ = key[s_pos], key[o_pos]
        ctxs: list[tuple[str, object]] = [("occ", occ)]
        if by is not None and by != "occasion" and occ == snapshot:
            value = key[b_pos] if b_pos is not None else subject
            ctxs.append(("by", "" if value is None else value))
        for ctx in ctxs:
            for rid in (comp, *above[comp]):
                for f in present:
                    subjects.setdefault((ctx, rid, f), set()).add(subject)

    contexts: list[tuple[tuple[str, object], str, str | None]] = [
        (("occ", o), "occasion", o) for o in occasions
    ]
    if by is not None and by != "occasion":
        contexts += [(("by", v), "by", v) for v in by_values]
    for ctx, where, value in contexts:
        all_parts = []
        for r in rows:
            d = r.occasions[str(value)] if where == "occasion" else r.by[str(value)]
            rid = r.group.id if isinstance(r, GroupStats) else r.component.id
            for f in _DIST:
                n = len(subjects.get((ctx, rid, f), ()))
                p.count((ctx, rid, f), getattr(d, f), subjects=n)
            p.adds_up((ctx, rid, "rated"), [(ctx, rid, z) for z in _DIST[:3]])
            if isinstance(r, ComponentStats):
                all_parts.append(rid)
        total = (
            sum(
                (r.occasions[str(value)] for r in rows if isinstance(r, ComponentStats)),
                Distribution(),
            )
            if where == "occasion"
            else sum(
                (r.by[str(value)] for r in rows if isinstance(r, ComponentStats)), Distribution()
            )
        )
        for f in _DIST:
            n = len(subjects.get((ctx, "*", f), ()))
            p.count((ctx, "*", f), getattr(total, f), subjects=n)
            p.adds_up((ctx, "*", f), [(ctx, c, f) for c in all_parts])
        p.adds_up((ctx, "*", "rated"), [(ctx, "*", z) for z in _DIST[:3]])
        for r in rows:
            if isinstance(r, GroupStats):
                below = [c for c in all_parts if r.group.id in above[c]]
                for f in _DIST:
                    p.adds_up((ctx, r.group.id, f), [(ctx, c, f) for c in below])
        # each roll-up is also the sum of the rows just below it (all components: the
        # top-level groups and components; a group: its subgroups and own components)
        for parent, kids in children.items():
            for f in _DIST:
                p.adds_up((ctx, parent, f), [(ctx, kid, f) for kid in kids])
        occasion_totals += (
            [(ctx, "*", f) for f in ("rated", "na", "missing")] if where == "occasion" else []
        )
    if by is not None and by != "occasion" and snapshot is not None:
        ids = [r.group.id if isinstance(r, GroupStats) else r.component.id for r in rows]
        for rid in (*ids, "*"):
            for f in _DIST:
                p.adds_up((("occ", snapshot), rid, f), [(("by", v), rid, f) for v in by_values])

    # agreement: a coefficient over fewer than k subjects is not shown. A component's units
    # are its subjects (one occasion); a group's and the pooled figure's units are subject x
    # component pairs, resting on at least as many subjects as their largest component
    units = {
        r.component.id: r.agreement.n_units
        for r in rows
        if isinstance(r, ComponentStats) and r.agreement is not None
    }
    for r in rows:
        if r.agreement is not None:
            aid = r.group.id if isinstance(r, GroupStats) else r.component.id
            who = units.get(aid, 0) if isinstance(r, ComponentStats) else None
            if who is None:
                sizes = [size for comp, size in units.items() if aid in above.get(comp, ())]
                who = max(sizes, default=0)
            p.count(("agree", aid), r.agreement.n_units, subjects=who)
    if agreement is not None:
        p.count(("agree", "*"), agreement.n_units, subjects=max(units.values(), default=0))
    p.count(("all", "subjects"), n_subjects, subjects=n_subjects)
    # every rating on every occasion, N/A and missing included (the "Ratings" key figure)
    p.count(("all", "ratings"), n_ratings, subjects=n_subjects)
    p.adds_up(("all", "ratings"), occasion_totals)

    if fidelity is not None:
        for g in fidelity.groups:
            gk = ("fid", g.key)
            for f, v in (
                ("rated", g.rated),
                ("meeting", g.meeting),
                ("critical_failed", g.critical_failed),
            ):
                p.count((gk, f), v, subjects=v)
            for f, v in (("meeting", g.meeting), ("critical_failed", g.critical_failed)):
                rest = g.rated - v
                p.count((gk, f"not_{f}"), rest, subjects=rest, shown=False)
                p.adds_up((gk, "rated"), [(gk, f), (gk, f"not_{f}")])
        for occ, counts in _rule_counts(fidelity, occasions):
            for i, (met, rated) in enumerate(counts):
                rk = ("rule", occ, i)
                p.count((rk, "met"), met, subjects=met)
                p.count((rk, "rated"), rated, subjects=rated)
                p.count((rk, "not"), rated - met, subjects=rated - met, shown=False)
                p.adds_up((rk, "rated"), [(rk, "met"), (rk, "not")])
    return p.solve()


def _rule_counts(
    fidelity: FidelityResult | None, occasions: Sequence[str]
) -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """Per occasion, for each fidelity rule: subjects meeting it and subjects rated on it."""
    if fidelity is None or not fidelity.rules:
        return ()
    n = len(fidelity.rules)
    met: dict[str, list[list[int]]] = {o: [[0, 0] for _ in range(n)] for o in occasions}
    for u in fidelity.units:
        counts = met.get(str(u.key[1]))
        if counts is None:
            continue
        for i, r in enumerate(u.rules):
            if r.meets is not None:
                counts[i][1] += 1
                counts[i][0] += int(r.meets)
    return tuple(
        (o, tuple((a, b) for a, b in met[o])) for o in occasions if any(b for _, b in met[o])
    )


def _calibration(
    rs: RatingSet | Counted, anchor: str | os.PathLike[str] | RatingSet | None
) -> Calibration | None:
    """The calibration section's figures (``None`` without an anchor)."""
    if anchor is None:
        return None
    from icmaps.ratings.ratingset import RatingSet

    if not isinstance(rs, RatingSet):
        raise UsageError("a calibration (anchor=) needs the ratings read whole, not counted")
    from icmaps.stats.calibration import calibrate

    return calibrate(rs, anchor)


def _fidelity(
    rs: RatingSet | Counted, d: Decisions | None, occasions: Sequence[str]
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


def _sources(rs: RatingSet | Counted) -> Comparison | None:
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
    rs: RatingSet | Counted, base: str | None, snapshot: str | None, d: Decisions | None
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
    rs: RatingSet | Counted,
    snapshot: str | None,
    per_occasion: Mapping[str, Distribution],
    dropped: int,
    role: str | None,
    min_n: int | None = None,
) -> tuple[str, ...]:
    notes: list[str] = []
    total = sum((d for d in per_occasion.values()), Distribution())
    n = total.rated + total.na + total.missing
    if n and min_n is not None:  # the counts are in the tables, small ones hidden there
        notes.append(
            "Missing and N/A ratings count in no share; the tables give them per component "
            f"(figures on fewer than {min_n} subjects hidden)."
        )
    elif n:
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
        if partial and min_n is not None:  # no names, and no count of fewer than min_n
            shown = str(len(partial)) if len(partial) >= min_n else f"<{min_n}"
            notes.append(
                f"{shown} subjects in {snapshot} lack ratings on some components others have."
            )
        elif partial:
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
