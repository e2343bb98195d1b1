"""Rater calibration: each rater's agreement with anchor (master-coded) ratings.

Districts certify observers before their ratings count: trainees rate lessons an expert has
already rated, and pass when, say, 80 % of their ratings are exact or adjacent to the
expert's. :func:`calibrate` compares every rater with the *anchor* (a rater of the same
file, or a separate file of anchor ratings) on the units both rated (subject x occasion x
component, N/A and missing left out) and gives, per rater, per rater and component, and per
rater and occasion:

* ``exact`` and ``adjacent`` agreement (the share of ratings at the anchor's level, or
  within ``within`` levels of it);
* ``kappa``: Cohen's linearly weighted kappa against the anchor;
* ``bias``: the mean signed level difference, rater minus anchor, in level steps. Levels run
  desired first, so a negative bias is *lenient* (toward the map's first, ideal level) and a
  positive one *severe* (toward its last level); within 0.05 of zero it leans nowhere;
* ``certified``: exact-or-within agreement reaches ``threshold`` (exact agreement when
  ``within=0``);
* drift: the change in exact agreement and bias from a rater's first occasion to the last.

Everything is read from one count of (rater, component, occasion, rater level, anchor level)
pairs, so the figures at every level of detail add up.

>>> import icmaps
>>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school-calibration"),
...                          "learning-school")
>>> cal = calibrate(rs, anchor="expert")
>>> [(r.rater, r.n, r.certified) for r in cal.raters][:2]
[('trainee-a', 264, True), ('trainee-b', 264, True)]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from icmaps._table import Column, Table, TableResult
from icmaps.errors import NotFoundError, UsageError
from icmaps.stats.coefficients import _disagreement_weights, _kappa_from_confusion

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.tally import Tally

__all__ = [
    "Calibration",
    "ComponentCalibration",
    "OccasionCalibration",
    "RaterCalibration",
    "calibrate",
]


MIN_UNITS = 10
"""Fewer compared ratings than this: the figures carry a small-sample note."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Figures:
    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    bias: float | None


NO_LEAN = 0.05
"""A mean difference within this many levels of zero (one rating in twenty a level off, on
balance) leans nowhere: ``direction`` is ``"none"``."""


def _direction(bias: float | None) -> str | None:
    if bias is None:
        return None
    return "lenient" if bias < -NO_LEAN else "severe" if bias > NO_LEAN else "none"


@dataclasses.dataclass(frozen=True, slots=True)
class RaterCalibration:
    """One rater against the anchor, over every compared rating.

    ``exact``/``adjacent`` are shares 0-1 (``None`` when nothing was compared), ``kappa`` is
    linearly weighted (``None`` when undefined), ``bias`` the mean of rater level minus anchor
    level (negative: lenient), ``direction`` ``"lenient"``, ``"severe"`` or ``"none"``.
    ``drift_exact`` and ``drift_bias`` are the change from ``drift_from`` (the rater's first
    compared occasion) to ``drift_to`` (the last); ``None`` with a single occasion.
    """

    rater: str
    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    bias: float | None
    certified: bool
    direction: str | None
    drift_from: str | None = None
    drift_to: str | None = None
    drift_exact: float | None = None
    drift_bias: float | None = None

    def to_dict(self) -> dict[str, object]:
        """Plain data: the certification figures first, then direction and drift."""
        return {
            "rater": self.rater,
            "n": self.n,
            "exact": self.exact,
            "adjacent": self.adjacent,
            "kappa": self.kappa,
            "bias": self.bias,
            "certified": self.certified,
            "direction": self.direction,
            "drift": (
                None
                if self.drift_from is None
                else {
                    "from": self.drift_from,
                    "to": self.drift_to,
                    "exact": self.drift_exact,
                    "bias": self.drift_bias,
                }
            ),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ComponentCalibration:
    """One rater against the anchor on one component."""

    rater: str
    component: str
    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    bias: float | None

    def to_dict(self) -> dict[str, object]:
        """Plain data."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class OccasionCalibration:
    """One rater against the anchor on one occasion (a calibration round)."""

    rater: str
    occasion: str
    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    bias: float | None
    certified: bool

    def to_dict(self) -> dict[str, object]:
        """Plain data."""
        return dataclasses.asdict(self)


class _RaterNotFound(NotFoundError, KeyError):
    """An unknown rater: a :class:`NotFoundError` that is also a ``KeyError``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True)
class Calibration(TableResult):
    """Every rater's agreement with the anchor, as :func:`calibrate` returns it.

    ``raters`` (in the order of the ratings), ``components`` (rater x component, map order)
    and ``occasions`` (rater x occasion, time order) hold the figures; ``notes`` the caveats
    (small samples, anchor ratings piled on one level). ``lenient_end`` and ``severe_end``
    name the map's first and last levels (what a negative or positive bias leans toward).
    """

    map_id: str
    anchor: str
    threshold: float
    within: int
    raters: tuple[RaterCalibration, ...]
    components: tuple[ComponentCalibration, ...]
    occasions: tuple[OccasionCalibration, ...]
    lenient_end: str
    severe_end: str
    notes: tuple[str, ...] = ()

    @property
    def criterion(self) -> str:
        """Which share the threshold applies to: ``"adjacent"`` or ``"exact"``."""
        return "adjacent" if self.within else "exact"

    @property
    def certified(self) -> tuple[str, ...]:
        """The raters who pass."""
        return tuple(r.rater for r in self.raters if r.certified)

    def row(self, rater: str) -> RaterCalibration:
        """The figures of one rater. Raises :class:`~icmaps.errors.NotFoundError` (also a
        ``KeyError``) naming the raters."""
        for r in self.raters:
            if r.rater == rater:
                return r
        known = ", ".join(r.rater for r in self.raters) or "none"
        raise _RaterNotFound(f"no rater {rater!r} in the calibration (raters: {known})")

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-serialisable): settings, one entry per rater, the details."""
        return {
            "map": self.map_id,
            "anchor": self.anchor,
            "threshold": self.threshold,
            "within": self.within,
            "criterion": self.criterion,
            "lenient_end": self.lenient_end,
            "severe_end": self.severe_end,
            "raters": [r.to_dict() for r in self.raters],
            "components": [c.to_dict() for c in self.components],
            "occasions": [o.to_dict() for o in self.occasions],
            "notes": list(self.notes),
        }

    def _bias_text(self, bias: float | None) -> str | None:
        direction = _direction(bias)
        if direction is None or direction == "none":
            return direction
        end = self.lenient_end if direction == "lenient" else self.severe_end
        return f"{direction} (toward {end})"

    def to_table(self, *, by_component: bool = False) -> Table:
        """One row per rater; the per-occasion figures (and, ``by_component=True``, the
        per-component ones) follow as further tables in text and HTML.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school-calibration"),
        ...                          "learning-school")
        >>> calibrate(rs, anchor="expert").to_table().names()[:5]
        ('rater', 'n', 'exact', 'adjacent', 'kappa')
        """
        within = f"within {self.within}" if self.within else "exact"
        cols = (
            Column("rater"),
            Column("n", "int", "ratings"),
            Column("exact", "share", "exact"),
            Column("adjacent", "share", within, show=bool(self.within)),
            Column("kappa", "float", "kappa (linear)", digits=3),
            Column("bias", "float", "bias", digits=2),
            Column("direction", show=False),
            Column("lean", data=False),
            Column("certified", "bool"),
            Column("drift_exact", "float", "drift exact", digits=3),
            Column("drift_bias", "float", "drift bias", digits=2),
            Column("note", data=False),
        )
        rows = tuple(
            (
                r.rater,
                r.n,
                r.exact,
                r.adjacent,
                r.kappa,
                r.bias,
                r.direction,
                self._bias_text(r.bias),
                r.certified,
                r.drift_exact,
                r.drift_bias,
                _row_note(r.n, r.kappa),
            )
            for r in self.raters
        )
        passed = len(self.certified)
        facts = (
            ("anchor", self.anchor),
            ("criterion", f"{self.criterion} agreement >= {self.threshold:.0%}"),
            ("certified", f"{passed} of {len(self.raters)}"),
        )
        note = (
            f"Calibration against {self.anchor!r} on {self.map_id}: certified when "
            f"{'exact' if not self.within else f'exact-or-within-{self.within}'} agreement "
            f"reaches {self.threshold:.0%}; bias < 0 leans toward {self.lenient_end!r} "
            f"(lenient), > 0 toward {self.severe_end!r} (severe)"
        )
        more = [self._occasion_table()] if self.occasions else []
        if by_component:
            more.append(self._component_table())
        return Table(
            "Calibration",
            cols,
            rows,
            facts,
            note=note,
            footer="\n".join(self.notes),
            more=tuple(more),
        )

    def _occasion_table(self) -> Table:
        cols = (
            Column("rater"),
            Column("occasion"),
            Column("n", "int", "ratings"),
            Column("exact", "share"),
            Column("adjacent", "share", show=bool(self.within)),
            Column("kappa", "float", "kappa (linear)", digits=3),
            Column("bias", "float", digits=2),
            Column("certified", "bool"),
            Column("note", data=False),
        )
        rows = tuple(
            (
                o.rater,
                o.occasion,
                o.n,
                o.exact,
                o.adjacent,
                o.kappa,
                o.bias,
                o.certified,
                _row_note(o.n, o.kappa),
            )
            for o in self.occasions
        )
        return Table("Calibration by occasion", cols, rows)

    def _component_table(self) -> Table:
        cols = (
            Column("rater"),
            Column("component"),
            Column("n", "int", "ratings"),
            Column("exact", "share"),
            Column("adjacent", "share", show=bool(self.within)),
            Column("kappa", "float", "kappa (linear)", digits=3),
            Column("bias", "float", digits=2),
            Column("note", data=False),
        )
        rows = tuple(
            (
                c.rater,
                c.component,
                c.n,
                c.exact,
                c.adjacent,
                c.kappa,
                c.bias,
                _row_note(c.n, c.kappa),
            )
            for c in self.components
        )
        return Table("Calibration by component", cols, rows)


def _row_note(n: int, kappa: float | None) -> str | None:
    """The caveats of one row: a small sample, a kappa below chance."""
    notes = []
    if n < MIN_UNITS:
        notes.append(f"fewer than {MIN_UNITS} ratings compared")
    if kappa is not None and kappa < 0:
        notes.append("kappa below chance")
    return "; ".join(notes) or None


def _anchor_sets(ratings: RatingSet, anchor: object) -> tuple[RatingSet, RatingSet, str]:
    """(anchor ratings, the raters' ratings, the anchor's name) from a rater id, a ratings
    file of the same map, or a RatingSet of anchor ratings."""
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.ratings.read import read_ratings

    if isinstance(anchor, RatingSet):
        return anchor, ratings, "anchor ratings"
    if not isinstance(anchor, (str, os.PathLike)):
        raise UsageError(f"anchor must be a rater id or a ratings file, got {anchor!r}")
    raters = [str(r) for r in ratings.categories("rater")]
    name = os.fspath(anchor)
    if isinstance(anchor, str) and anchor in raters:
        rest = [r for r in raters if r != anchor]
        return ratings.filter(rater=anchor), ratings.filter(rater=rest), anchor
    if os.path.isfile(name):
        anchors = read_ratings(name, ratings.map)
        assert isinstance(anchors, RatingSet)  # errors="raise" returns the ratings
        return anchors, ratings, os.path.basename(name)
    shown = ", ".join(raters[:12]) + (" ..." if len(raters) > 12 else "")
    raise UsageError(
        f"anchor {name!r} is neither a rater in the ratings (raters: {shown or 'none'}) "
        "nor a ratings file"
    )


def _rated(t: Tally, vocab: dict[str, dict[str, int]]) -> tuple[dict[str, Any], Any, Any]:
    """The ratings on a level of a tally, one entry per (group, component, level) with its
    count: the ``by`` columns and the component as codes of a vocabulary shared by the
    anchor's tally and the raters' (values in first-seen order), the level, the count."""
    import numpy as np

    def codes(name: str, values: Sequence[object], index: Any) -> Any:
        seen = vocab.setdefault(name, {})
        remap = [seen.setdefault(str(v), len(seen)) for v in values] or [0]
        return np.asarray(remap, dtype=np.int64)[index]

    lc = t.level_counts()
    rows, level = np.nonzero(lc.counts[:, : lc.width])
    cols = {name: codes(name, t.values[j], lc.keys[rows, j]) for j, name in enumerate(t.by)}
    cols["component"] = codes("component", t.components, lc.component[rows])
    return cols, level.astype(np.int64), lc.counts[rows, level].astype(np.int64)


def calibrate(
    ratings: RatingSet,
    anchor: str | os.PathLike[str] | RatingSet = "expert",
    *,
    threshold: float = 0.8,
    within: int = 1,
    occasions: Sequence[str] | None = None,
) -> Calibration:
    """Each rater's agreement with anchor ratings: exact, adjacent, weighted kappa, bias,
    certification and drift (see the module text).

    ``anchor`` is a rater id of ``ratings`` (the other raters are compared with it), the path
    of a ratings file of the same map (every rater of ``ratings`` is compared with it), or a
    :class:`~icmaps.RatingSet` of anchor ratings. A rater is ``certified`` when the share of
    ratings within ``within`` levels of the anchor's (exact agreement for ``within=0``)
    reaches ``threshold``. ``occasions`` gives their time order for drift (default: as
    :meth:`RatingSet.occasion_order` finds it).

    Raises :class:`~icmaps.errors.UsageError` for an unknown anchor, bad options, an anchor
    that rated one unit twice, or no unit rated by both the anchor and another rater.
    """
    import numpy as np

    from icmaps.stats.tally import tally

    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise UsageError(f"threshold must be a share between 0 and 1, got {threshold!r}")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"threshold must be a share between 0 and 1 (e.g. 0.8), got {threshold}")
    if isinstance(within, bool) or not isinstance(within, int) or within < 0:
        raise UsageError(f"within must be a non-negative whole number of levels, got {within!r}")
    anchors, others, anchor_name = _anchor_sets(ratings, anchor)
    m = ratings.map
    if anchors.map.id != m.id:
        raise UsageError(f"the anchor ratings are for map {anchors.map.id!r}, not {m.id!r}")

    # Count once: both sides are read from tallies (the anchor's per subject and occasion,
    # the raters' per subject, occasion and rater), whose level counts turn codes into levels
    vocab: dict[str, dict[str, int]] = {"subject": {}, "occasion": {}, "component": {}}
    a_cols, a_lv, a_count = _rated(tally(anchors, by=("subject", "occasion")), vocab)
    o_cols, o_lv, o_count = _rated(tally(others, by=("subject", "occasion", "rater")), vocab)
    sizes = [max(len(vocab[k]), 1) for k in ("subject", "occasion", "component")]

    def pack(cols: dict[str, Any]) -> Any:
        return (cols["subject"] * sizes[1] + cols["occasion"]) * sizes[2] + cols["component"]

    a_key = pack(a_cols)
    order = np.argsort(a_key, kind="stable")
    a_key, a_lv, a_count = a_key[order], a_lv[order], a_count[order]
    # a unit twice: two levels for it, or one level counted twice
    dup, many = np.flatnonzero(a_key[1:] == a_key[:-1]), np.flatnonzero(a_count > 1)
    if dup.size or many.size:
        k = int(a_key[dup[0]] if dup.size else a_key[many[0]])
        subj_names = list(vocab["subject"])
        occ_names, comp_names = list(vocab["occasion"]), list(vocab["component"])
        comp = k % sizes[2]
        occ = (k // sizes[2]) % sizes[1]
        subj = k // (sizes[1] * sizes[2])
        raise UsageError(
            f"the anchor rated subject {subj_names[subj]!r} on {comp_names[comp]!r} "
            f"({occ_names[occ]!r}) more than once; keep one anchor rating per unit"
        )
    o_key = pack(o_cols)
    pos = np.minimum(np.searchsorted(a_key, o_key), max(a_key.size - 1, 0))
    hit = a_key[pos] == o_key if a_key.size else np.zeros(o_key.size, dtype=bool)
    if not hit.any():
        raise UsageError(
            f"no unit (subject, occasion, component) was rated by both the anchor "
            f"{anchor_name!r} and another rater"
        )
    rater_names = list(vocab["rater"])
    rater, comp, occ = o_cols["rater"][hit], o_cols["component"][hit], o_cols["occasion"][hit]
    mine, theirs, weight = o_lv[hit], a_lv[pos[hit]], o_count[hit]
    n_levels = max(len(m.scale_of(c.id).levels) for c in m.all_components())
    n_raters, n_comp, n_occ = len(rater_names), sizes[2], sizes[1]

    pairs = {
        "mine": mine,
        "theirs": theirs,
        "weight": weight,
        "n_levels": n_levels,
        "within": within,
    }
    figures = _figures_by(rater, n_raters, **pairs)
    by_comp = _figures_by(rater * n_comp + comp, n_raters * n_comp, **pairs)
    by_occ = _figures_by(rater * n_occ + occ, n_raters * n_occ, **pairs)

    def passes(f: _Figures) -> bool:
        share = f.adjacent if within else f.exact
        return f.n > 0 and share is not None and share >= threshold

    comp_names = list(vocab["component"])
    occ_names = list(vocab["occasion"])
    time_order = ratings.occasion_order(occasions).occasions
    occ_rank = {o: i for i, o in enumerate(time_order)}
    occ_sorted = sorted(range(n_occ), key=lambda i: occ_rank.get(occ_names[i], len(occ_rank) + i))
    comp_order = [c.id for c in m.all_components()]

    raters: list[RaterCalibration] = []
    occasion_rows: list[OccasionCalibration] = []
    component_rows: list[ComponentCalibration] = []
    for g, name in enumerate(rater_names):
        f = figures[g]
        if f.n == 0:
            continue
        seen = [o for o in occ_sorted if by_occ[g * n_occ + o].n > 0]
        drift: dict[str, Any] = {}
        if len(seen) >= 2:
            first, last = by_occ[g * n_occ + seen[0]], by_occ[g * n_occ + seen[-1]]
            drift = {
                "drift_from": occ_names[seen[0]],
                "drift_to": occ_names[seen[-1]],
                "drift_exact": _minus(last.exact, first.exact),
                "drift_bias": _minus(last.bias, first.bias),
            }
        raters.append(
            RaterCalibration(
                name,
                f.n,
                f.exact,
                f.adjacent,
                f.kappa,
                f.bias,
                passes(f),
                _direction(f.bias),
                **drift,
            )
        )
        for o in seen:
            fo = by_occ[g * n_occ + o]
            occasion_rows.append(
                OccasionCalibration(
                    name, occ_names[o], fo.n, fo.exact, fo.adjacent, fo.kappa, fo.bias, passes(fo)
                )
            )
        for cid in comp_order:
            if cid not in vocab["component"]:
                continue
            fc = by_comp[g * n_comp + vocab["component"][cid]]
            if fc.n:
                component_rows.append(
                    ComponentCalibration(name, cid, fc.n, fc.exact, fc.adjacent, fc.kappa, fc.bias)
                )
    del comp_names
    levels = m.scale.levels
    return Calibration(
        map_id=m.id,
        anchor=anchor_name,
        threshold=float(threshold),
        within=within,
        raters=tuple(raters),
        components=tuple(component_rows),
        occasions=tuple(occasion_rows),
        lenient_end=levels[0].label,
        severe_end=levels[-1].label,
        notes=_notes(raters, theirs, n_levels),
    )


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _figures_by(
    group: Any, n_groups: int, *, mine: Any, theirs: Any, weight: Any, n_levels: int, within: int
) -> list[_Figures]:
    """Figures per group from one count of (group, rater level, anchor level) pairs."""
    import numpy as np

    cells = n_levels * n_levels
    confusion = (
        np.bincount(
            group * cells + mine * n_levels + theirs, weights=weight, minlength=n_groups * cells
        )
        .astype(np.int64)
        .reshape(n_groups, n_levels, n_levels)
    )
    n = confusion.sum(axis=(1, 2))
    idx = np.arange(n_levels)
    diff = idx[:, None] - idx[None, :]  # rater level minus anchor level
    exact = (confusion * (diff == 0)).sum(axis=(1, 2))
    near = (confusion * (np.abs(diff) <= within)).sum(axis=(1, 2))
    signed = (confusion * diff).sum(axis=(1, 2))
    kappa = np.full(n_groups, np.nan)
    has = n > 0
    if has.any():
        w = _disagreement_weights(n_levels, "linear")
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa[has] = _kappa_from_confusion(confusion[has].astype(np.float64), w)[0]
    out = []
    for i in range(n_groups):
        count = int(n[i])
        if not count:
            out.append(_Figures(0, None, None, None, None))
            continue
        k = float(kappa[i])
        out.append(
            _Figures(
                count,
                int(exact[i]) / count,
                int(near[i]) / count,
                k if np.isfinite(k) else None,
                int(signed[i]) / count,
            )
        )
    return out


def _notes(
    raters: Sequence[RaterCalibration], anchor_levels: Any, n_levels: int
) -> tuple[str, ...]:
    import numpy as np

    notes = []
    few = [r.rater for r in raters if r.n < 10]
    if few:
        notes.append(
            f"Fewer than {MIN_UNITS} ratings compared for {', '.join(few)}: "
            "treat their figures as provisional."
        )
    counts = np.bincount(anchor_levels, minlength=n_levels)
    top = counts.max() / max(counts.sum(), 1)
    if top > 0.9:
        notes.append(
            f"{top:.0%} of the anchor's compared ratings are at one level: kappa is low even "
            "for close agreement (the kappa paradox); judge by exact and adjacent agreement."
        )
    if any(r.kappa is not None and r.kappa < 0 for r in raters):
        notes.append("A negative kappa means agreement below chance against the anchor.")
    return tuple(notes)
