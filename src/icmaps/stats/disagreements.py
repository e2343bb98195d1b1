"""Where raters disagree: the units rated on different levels."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from icmaps._optional import require
from icmaps._table import Column, Table, TableResult
from icmaps.errors import NotFoundError, UsageError
from icmaps.ratings.columns import as_numpy
from icmaps.stats.tally import tally

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from icmaps.ratings.ratingset import RatingSet

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.intp]
    Seed = int | np.random.Generator | None
    # Nested lists may hold None for missing. A union with numpy's broad ArrayLike would stop
    # mypy from inferring list literals such as [[0, None], [1, 2]], so name arrays directly.
    RatingsLike = Sequence[Sequence[float | None]] | NDArray[Any]
    VectorLike = Sequence[float | None] | NDArray[Any]

__all__ = ["Disagreement", "DisagreementReport", "disagreements"]


# --------------------------------------------------------------------------------------------
# Disagreements: where raters split, for a calibration meeting


@dataclasses.dataclass(frozen=True, slots=True)
class Disagreement:
    """One subject x occasion x component where raters gave different levels.

    ``raters``, ``codes`` and ``levels`` are aligned: every rater with a row for the unit,
    the code as written (``None`` when blank; N/A and other special codes as written) and
    its desired-first level index (``None`` when it does not count). ``spread`` is the
    highest minus the lowest level given; ``n_levels`` the size of the component's scale.
    """

    subject: str
    occasion: str
    component: str
    title: str
    raters: tuple[str, ...]
    codes: tuple[str | None, ...]
    levels: tuple[int | None, ...]
    spread: int
    n_levels: int
    notes: tuple[str, ...] = ()  # what raters wrote (note, evidence), as "rater: text"

    def to_dict(self) -> dict[str, object]:
        """Plain data; ``codes`` and ``levels`` as ``{rater: value}``."""
        return {
            "subject": self.subject,
            "occasion": self.occasion,
            "component": self.component,
            "title": self.title,
            "spread": self.spread,
            "n_levels": self.n_levels,
            "codes": dict(zip(self.raters, self.codes, strict=True)),
            "levels": dict(zip(self.raters, self.levels, strict=True)),
            "notes": list(self.notes),
        }


@dataclasses.dataclass(frozen=True)
class DisagreementReport(TableResult):
    """The units where raters split, widest spread first, as :func:`disagreements` returns.

    ``n_units`` counts the units rated (with a level) by two or more raters, the ones that
    could disagree; ``rows`` those whose spread is at least ``min_levels``.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> d = disagreements(rs, min_levels=2)
    >>> len(d), d.rows[0].spread if d.rows else None
    (0, None)
    """

    map_id: str
    min_levels: int
    raters: tuple[str, ...]
    rows: tuple[Disagreement, ...]
    n_units: int

    def __iter__(self) -> Iterator[Disagreement]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-serialisable)."""
        return {
            "map": self.map_id,
            "min_levels": self.min_levels,
            "n_units": self.n_units,
            "n_disagreements": len(self.rows),
            "raters": list(self.raters),
            "disagreements": [row.to_dict() for row in self.rows],
        }

    def row(self, subject: str, occasion: str, component: str) -> Disagreement:
        """The disagreement on one subject x occasion x component;
        :class:`~icmaps.errors.NotFoundError` when raters did not split there."""
        for d in self.rows:
            if (d.subject, d.occasion, d.component) == (subject, occasion, component):
                return d
        known = ", ".join(f"{d.subject} / {d.occasion} / {d.component}" for d in self.rows[:8])
        more = f" and {len(self.rows) - 8} more" if len(self.rows) > 8 else ""
        raise NotFoundError(
            f"no disagreement of {self.min_levels} level{'s' if self.min_levels != 1 else ''} "
            "or more on "
            f"{subject} / {occasion} / {component} (rows: {known or 'none'}{more})"
        )

    def _has_notes(self) -> bool:
        return any(row.notes for row in self.rows)

    def to_table(self) -> Table:
        """One row per unit, widest spread first, one column per rater holding the code it
        gave (blank when it gave none), and what raters wrote when the ratings carry notes.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> list(disagreements(rs).to_pandas().columns)[:5]
        ['subject', 'occasion', 'component', 'title', 'spread']
        """
        used = [r for r in self.raters if any(r in row.raters for row in self.rows)]
        cols = (
            Column("subject"),
            Column("occasion"),
            Column("component"),
            Column("title", show="html"),
            Column("spread", "int"),
            Column("n_levels", "int", "levels"),
            *(Column(r) for r in used),
            *((Column("notes", label="what raters wrote"),) if self._has_notes() else ()),
        )
        rows = []
        for row in self.rows:
            given = dict(zip(row.raters, row.codes, strict=True))
            rows.append(
                (
                    row.subject,
                    row.occasion,
                    row.component,
                    row.title,
                    row.spread,
                    row.n_levels,
                    *(given.get(r) for r in used),
                    *((" | ".join(row.notes),) if self._has_notes() else ()),
                )
            )
        at_least = f"{self.min_levels} level{'s' if self.min_levels != 1 else ''} or more"
        if self.rows:
            note = (
                f"{len(self.rows)} of {self.n_units} units rated by two or more raters split by "
                f"{at_least} ({self.map_id}), widest first:"
            )
        else:
            note = (
                f"No disagreements of {at_least} in {self.map_id} "
                f"({self.n_units} units rated by two or more raters)."
            )
        facts = (
            ("map", self.map_id),
            ("units rated by two or more", self.n_units),
            (f"split by {at_least}", len(self.rows)),
        )
        return Table("Disagreements", cols, tuple(rows), facts, note=note)


def disagreements(ratings: RatingSet, *, min_levels: int = 1) -> DisagreementReport:
    """Every subject x occasion x component where raters' levels differ by ``min_levels`` or
    more: what a calibration meeting should talk about.

    Each row lists the code every rater wrote for the unit (N/A and blanks included, as
    written) and the ``spread``, highest minus lowest level index among the ratings that
    count. Rows are sorted by spread, widest first, then in map order (component, then
    subject and occasion as first seen in the ratings).
    Counted from the tally with the rater in the key.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> d = disagreements(rs)
    >>> d.rows[0].spread >= d.rows[-1].spread >= 1
    True
    """
    if isinstance(min_levels, bool) or not isinstance(min_levels, int) or min_levels < 1:
        raise UsageError(f"min_levels must be a whole number of levels >= 1, got {min_levels!r}")
    np = require("numpy", "disagreements need numpy", extra="fast")
    m = ratings.map
    comps = m.all_components()
    order = {c.id: i for i, c in enumerate(comps)}
    # counts with the rater in the key; the per-unit level counts are a regrouping of them
    t = tally(ratings, ("subject", "occasion", "rater"))
    lc = t.regroup(("subject", "occasion")).level_counts()
    rated = lc.rated
    n_rated = rated.sum(axis=1)
    width = rated.shape[1]
    pairable = n_rated >= 2
    n_units = int(pairable.sum())
    low = np.argmax(rated > 0, axis=1)
    high = width - 1 - np.argmax(rated[:, ::-1] > 0, axis=1) if width else low
    spread = np.where(pairable, high - low, -1)
    chosen = np.flatnonzero(spread >= min_levels)
    # the raters' entries of the chosen units: tally rows whose (subject, occasion, component)
    # is a chosen unit, in rater then code order (as the ratings' categories are numbered)
    unit_of = {
        (int(k[0]), int(k[1]), int(c)): i
        for i, (k, c) in enumerate(
            zip(lc.keys[chosen].tolist(), lc.component[chosen].tolist(), strict=True)
        )
    }
    entries: dict[int, list[tuple[int, int, int]]] = {}
    level_of = t.level_of[t.component, t.code].tolist()
    for (s_, o_, r_), c_, k_, n_, lv in zip(
        t.keys.tolist(),
        t.component.tolist(),
        t.code.tolist(),
        t.count.tolist(),
        level_of,
        strict=True,
    ):
        i = unit_of.get((s_, o_, c_))
        if i is not None:
            entries.setdefault(i, []).extend([(r_, k_, lv)] * n_)
    subjects, occasions = t.values[0], t.values[1]
    rater_names = t.values[2]
    rows: list[tuple[tuple[int, int, int, int], Disagreement]] = []
    for i, u in enumerate(chosen.tolist()):
        s_, o_ = (int(x) for x in lc.keys[u])
        comp = m.component(t.components[int(lc.component[u])])
        given = sorted(entries[i])
        rank = order[comp.id]
        rows.append(
            (
                (-int(spread[u]), rank, s_, o_),
                Disagreement(
                    subject=str(subjects[s_]),
                    occasion=str(occasions[o_]),
                    component=comp.id,
                    title=comp.title,
                    raters=tuple(str(rater_names[r]) for r, _, _ in given),
                    codes=tuple(t.codes[k] for _, k, _ in given),
                    levels=tuple(lv if lv >= 0 else None for _, _, lv in given),
                    spread=int(spread[u]),
                    n_levels=len(m.scale_of(comp.id).levels),
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0])
    if ratings.text_columns and rows:
        said = _notes(ratings, {_unit(d) for _, d in rows})
        rows = [
            (
                k,
                dataclasses.replace(
                    d, notes=tuple(said.get((d.subject, d.occasion, d.component), ()))
                ),
            )
            for k, d in rows
        ]
    return DisagreementReport(
        map_id=m.id,
        min_levels=min_levels,
        raters=tuple(str(r) for r in ratings.categories("rater")),
        rows=tuple(d for _, d in rows),
        n_units=n_units,
    )


def _unit(d: Disagreement) -> tuple[str, str, str]:
    return (d.subject, d.occasion, d.component)


def _notes(
    ratings: RatingSet, units: set[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[str]]:
    """What each rater wrote (note, evidence) on these subject x occasion x component units,
    as ``rater: text``: only the rows that carry a text are looked at."""
    np = require("numpy", "disagreements need numpy", extra="fast")
    out: dict[tuple[str, str, str], list[str]] = {}
    for name in ratings.text_columns:
        values = ratings.categories(name)
        idx = as_numpy(ratings.codes_of(name))
        blank = values.index(None) if None in values else -1
        rows = np.flatnonzero(idx != blank).tolist()
        cols = {c: ratings.categories(c) for c in ("subject", "occasion", "component", "rater")}
        codes = {c: ratings.codes_of(c) for c in cols}
        for row in rows:
            key = tuple(str(cols[c][codes[c][row]]) for c in ("subject", "occasion", "component"))
            if key in units:
                rater = cols["rater"][codes["rater"][row]]
                out.setdefault(key, []).append(f"{rater}: {values[int(idx[row])]}")
    return out
