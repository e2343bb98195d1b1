"""Consensus profiles: one level per subject, occasion and component from several raters."""

from __future__ import annotations

import array
import dataclasses
import functools
from typing import TYPE_CHECKING, Any, overload

from icmaps._optional import require
from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record
from icmaps.errors import NotFoundError
from icmaps.ratings.columns import LEVEL_MISSING, LEVEL_NA, _Column, as_array
from icmaps.stats.rules import (
    Rule,
    check_rule,
)
from icmaps.stats.tally import Counted, IntArray, LevelCounts, Tally, tally_rows, tally_sorted

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet

__all__ = ["ConsensusReport", "ConsensusTie", "consensus"]


# -- consensus -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ConsensusTie:
    """Raters of one subject x occasion x component split evenly; ``chosen`` is the less
    desired of the ``candidates`` (codes, desired first); ``given`` every code given."""

    subject: str
    occasion: str
    component: str
    candidates: tuple[str, ...]
    chosen: str
    given: tuple[str | None, ...]

    def to_dict(self) -> Record:
        """Plain-data form."""
        return {
            "subject": self.subject,
            "occasion": self.occasion,
            "component": self.component,
            "candidates": " ".join(self.candidates),
            "chosen": self.chosen,
            "given": " ".join("(blank)" if g is None else g for g in self.given),
        }


@dataclasses.dataclass(frozen=True, eq=False)
class _Ties:
    """What the ties are made from, as arrays; :attr:`ConsensusReport.ties` builds them on
    first use (with many raters a third of all cells can tie, and most callers want only the
    count). Equal when the ties they build are equal."""

    names: tuple[tuple[str | None, ...], ...]  # subject, occasion and component categories
    where: IntArray  # ties x 3: subject, occasion, component category indices
    rule: str
    cand_a: IntArray  # modal: bit mask of tied levels; median: lower tied level
    cand_b: IntArray  # median: upper tied level
    level_codes: tuple[tuple[str, ...], ...]  # per component category, desired first
    codes: tuple[str | None, ...]  # code categories
    chosen: IntArray  # the chosen code of each tie (index into codes)
    given: IntArray  # every distinct code given (index into codes), tie after tie
    given_n: IntArray  # how many raters gave each of those codes
    ends: IntArray  # where each tie's codes end in given

    def __len__(self) -> int:
        return len(self.chosen)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Ties):
            return NotImplemented
        return self.build() == other.build()

    __hash__ = None  # type: ignore[assignment]

    def build(self) -> tuple[ConsensusTie, ...]:
        subjects, occasions, components = self.names
        codes = self.codes
        given = [codes[k] for k in self.given.tolist()]
        given_n = self.given_n.tolist()
        memo: dict[tuple[int, int, int], tuple[str, ...]] = {}

        def candidates(ci: int, a: int, b: int) -> tuple[str, ...]:
            got = memo.get((ci, a, b))
            if got is None:
                lc = self.level_codes[ci]
                if self.rule == "modal":
                    got = tuple(c for i, c in enumerate(lc) if a >> i & 1)
                else:
                    got = (lc[a], lc[b])
                memo[(ci, a, b)] = got
            return got

        out = []
        start = 0
        rows = zip(
            self.where.tolist(),
            self.cand_a.tolist(),
            self.cand_b.tolist(),
            self.chosen.tolist(),
            self.ends.tolist(),
            strict=True,
        )
        for (s_, o_, c_), a, b, ch, end in rows:
            out.append(
                ConsensusTie(
                    str(subjects[s_]),
                    str(occasions[o_]),
                    str(components[c_]),
                    candidates(c_, a, b),
                    str(codes[ch]),
                    tuple(
                        g
                        for g, k in zip(given[start:end], given_n[start:end], strict=True)
                        for _ in range(k)
                    ),
                )
            )
            start = end
        return tuple(out)


@dataclasses.dataclass(frozen=True)
class ConsensusReport(TableResult):
    """How a consensus was reached: cells (subject x occasion x component), how many had one
    rating or full agreement (every rater gave a level, with the same code), every tie and
    every cell where some raters said N/A but others rated (the rated levels win)."""

    rule: Rule
    cells: int
    single: int
    unanimous: int
    tie_data: _Ties = dataclasses.field(repr=False)
    na_overruled: tuple[tuple[str, str, str], ...]

    @functools.cached_property
    def ties(self) -> tuple[ConsensusTie, ...]:
        """Every tie: the subject, occasion and component, the tied codes, the one chosen and
        every code given."""
        return self.tie_data.build()

    @property
    def n_ties(self) -> int:
        """How many cells tied (without building the ties)."""
        return len(self.tie_data)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {
            "rule": self.rule,
            "cells": self.cells,
            "single": self.single,
            "unanimous": self.unanimous,
            "ties": [t.to_dict() for t in self.ties],
            "na_overruled": [
                {"subject": s, "occasion": o, "component": c} for s, o, c in self.na_overruled
            ],
        }

    def row(self, subject: str, occasion: str, component: str) -> ConsensusTie:
        """The tie of one subject x occasion x component; :class:`~icmaps.errors.NotFoundError`
        when raters did not tie there."""
        for t in self.ties:
            if (t.subject, t.occasion, t.component) == (subject, occasion, component):
                return t
        known = ", ".join(f"{t.subject} / {t.occasion} / {t.component}" for t in self.ties[:8])
        more = f" and {self.n_ties - 8} more" if self.n_ties > 8 else ""
        raise NotFoundError(
            f"no tie for {subject} / {occasion} / {component} (ties: {known or 'none'}{more})"
        )

    def to_table(self) -> Table:
        """One row per tie: where, the tied codes, the one chosen and every code given."""
        names = ("subject", "occasion", "component", "candidates", "chosen", "given")
        cols = tuple(Column(n) for n in names)
        rows = tuple(tuple(t.to_dict()[n] for n in names) for t in self.ties)
        facts = (
            ("rule", self.rule),
            ("cells", self.cells),
            ("one rating", self.single),
            ("unanimous", self.unanimous),
            ("ties", self.n_ties),
            ("N/A overruled", len(self.na_overruled)),
        )
        note = (
            f"consensus ({self.rule}) of {self.cells} cells: {self.single} with one rating, "
            f"{self.unanimous} unanimous, {self.n_ties} ties, "
            f"{len(self.na_overruled)} with N/A overruled"
        )
        return Table("Consensus", cols, rows, facts, note=note)

    def __repr__(self) -> str:
        return f"<ConsensusReport {self.rule}: {self.cells} cells, {self.n_ties} ties>"


@overload
def consensus(ratings: RatingSet, rule: Rule = ...) -> tuple[RatingSet, ConsensusReport]: ...


@overload
def consensus(ratings: Counted, rule: Rule = ...) -> tuple[Counted, ConsensusReport]: ...


def consensus(
    ratings: RatingSet | Counted, rule: Rule = "modal"
) -> tuple[RatingSet | Counted, ConsensusReport]:
    """One rating per subject x occasion x component from several raters (rater
    ``"consensus"``), and a report of every tie.

    Rules, over the ratings that count (N/A and missing left out):

    * ``modal``: the most frequent level; a tie goes to the less desired of the tied levels;
    * ``median``: the median level; with an even number of ratings and two different middle
      levels, the less desired one (the upper median);
    * ``conservative``: the least desired level given.

    When no rating counts, the consensus is N/A if any rater said N/A, else missing. Role and
    subject attributes come from the first rating of each cell.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> one, report = consensus(rs, "median")
    >>> set(one.column("rater")), len(one) == report.cells
    ({'consensus'}, True)
    """
    np = require("numpy", "consensus needs numpy", extra="fast")
    check_rule(rule)
    if isinstance(ratings, Counted):
        return _consensus_counted(ratings, rule)
    from icmaps.ratings.ratingset import RatingSet

    m = ratings.map
    counted, tally_row = tally_rows(ratings, ("subject", "occasion"))
    lc = counted.level_counts()
    n_cells = len(lc.counts)
    # role and attributes come from the first rating of each cell; each rating's cell is
    # the level-count row its tally row was added to
    cell_of = lc.row_of[tally_row]
    first = np.full(n_cells, len(ratings), dtype=np.int64)
    np.minimum.at(first, cell_of, np.arange(len(ratings), dtype=np.int64))
    order = np.argsort(first, kind="stable")  # cells in first-seen order
    level, codes, code_idx, report = _decide(lc, rule, order)
    keep = first[order]  # the first rating of each cell, in first-seen order
    new = {
        "rater": _Column(("consensus",), array.array("B", bytes(len(keep)))),
        "code": _Column.from_indices(codes, code_idx),
    }
    out = {n: new[n] if n in new else ratings._col(n).take(keep) for n in ratings._cols}
    levels = as_array("b", level)
    result = RatingSet(m, out, levels, ratings.attributes)
    return result, report


def _consensus_counted(c: Counted, rule: Rule) -> tuple[Counted, ConsensusReport]:
    """:func:`consensus` of counted ratings: the consensus as counts (one per subject x
    occasion x component, rater ``"consensus"``), kept apart by the subject attributes that
    were counted; cells and ties in sorted order (the file order is not known)."""
    np = require("numpy", "consensus needs numpy", extra="fast")
    from icmaps.ratings.columns import RATING_ATTRIBUTES

    keep = tuple(a for a in c.attributes if a in c.tally.by and a not in RATING_ATTRIBUTES)
    counted = c.regrouped(("subject", "occasion", *keep))
    lc = counted.level_counts()
    n_cells = len(lc.counts)
    _, codes, code_idx, report = _decide(lc, rule, np.arange(n_cells, dtype=np.int64))
    t = counted
    # the consensus codes as categories of the counts (codes nobody wrote are added)
    new_codes = tuple(codes)
    level_of = np.full((len(t.components), len(new_codes)), LEVEL_MISSING, dtype=np.int8)
    level_of[:, : len(t.codes)] = t.level_of
    for ci, level_codes in enumerate(t.level_codes):  # a level's own code, even if unwritten
        for lv, code in enumerate(level_codes):
            level_of[ci, new_codes.index(code)] = lv
    by = (*t.by, "rater")
    keys = np.column_stack([lc.keys, np.zeros(n_cells, dtype=np.int64)]).reshape(n_cells, len(by))
    out = Tally(
        t.map_ref,
        by,
        (*t.values, ("consensus",)),
        t.components,
        new_codes,
        t.level_codes,
        level_of,
        keys,
        lc.component,
        code_idx.astype(np.int64),
        np.ones(n_cells, dtype=np.int64),
    )
    return dataclasses.replace(c, tally=tally_sorted(out)), report


def _decide(
    lc: LevelCounts, rule: Rule, order: IntArray
) -> tuple[IntArray, list[str | None], IntArray, ConsensusReport]:
    """Decide every cell of ``lc`` (taken in ``order``): per cell its level, the code of the
    consensus (index into the returned code categories) and the report of ties."""
    np = require("numpy", "consensus needs numpy", extra="fast")
    t = lc.tally
    n_cells = len(lc.counts)
    cell_level, cell_tie = lc.decide(rule)  # per cell, in the tally's order
    level, tie = cell_level[order], cell_tie[order]
    # ratings per cell, a column at a time (a sum along the short axis is slow)
    n_given = np.zeros(n_cells, dtype=np.int64)
    for j in range(lc.counts.shape[1]):
        n_given += lc.counts[:, j]
    comp_of = lc.component[order]
    # the code of each consensus rating, as a category index into `codes`: the level's own
    # code (or the special code given at that level), the first N/A code given, or blank
    codes = list(t.codes)
    index_of = {c: i for i, c in enumerate(codes)}

    def category(code: str | None) -> int:
        if code not in index_of:
            index_of[code] = len(codes)
            codes.append(code)
        return index_of[code]

    width = max(t.n_levels, default=0)
    own_table = np.full((max(len(t.components), 1), max(width, 1)), -1, dtype=np.int64)
    for ci, level_codes in enumerate(t.level_codes):
        own_table[ci, : len(level_codes)] = [category(c) for c in level_codes]
    code_idx = np.full(n_cells, category(None), dtype=np.int64)
    rated_rows = np.flatnonzero(level >= 0)
    own = own_table[comp_of[rated_rows], level[rated_rows]]
    own_given = np.where(own < len(t.codes), own, -1)  # a code nobody wrote is not "given"
    has_own, other = lc.given_at_index(order[rated_rows], level[rated_rows], own_given)
    code_idx[rated_rows] = np.where(has_own | (other < 0), own, other)
    na_rows = np.flatnonzero(level == LEVEL_NA)
    if len(na_rows):
        _, first_na = lc.given_at_index(order[na_rows], level[na_rows])
        code_idx[na_rows] = first_na
    # unanimous: several ratings, one distinct code, and that code counts on a level
    # (counted over the cells as the tally holds them: the order does not matter here)
    distinct = np.bincount(lc.row_of, minlength=n_cells)
    only_level = np.zeros(n_cells, dtype=np.int64)  # a cell's level, when it has one code
    only_level[lc.row_of] = lc.row_level
    unanimous = int(((n_given > 1) & (distinct == 1) & (only_level >= 0)).sum())
    single = int((n_given == 1).sum())
    subjects = np.asarray(t.values[0], dtype=object)
    occasions = np.asarray(t.values[1], dtype=object)
    components = np.asarray(t.components, dtype=object)

    def where(rows: IntArray) -> list[tuple[str, str, str]]:
        return list(
            zip(
                subjects[lc.keys[order[rows], 0]].tolist(),
                occasions[lc.keys[order[rows], 1]].tolist(),
                components[comp_of[rows]].tolist(),
                strict=True,
            )
        )

    na_overruled = tuple(where(np.flatnonzero((level >= 0) & (lc.na[order] > 0))))
    tie_rows = np.flatnonzero((level >= 0) & (tie >= 0))
    ties = _ties(np, lc, order, tie_rows, rule, level, tie, codes, code_idx)
    report = ConsensusReport(rule, n_cells, single, unanimous, ties, na_overruled)
    return level, codes, code_idx, report


def _ties(  # noqa: PLR0917 (private; the arrays consensus already has)
    np: Any,
    lc: LevelCounts,
    order: IntArray,
    rows: IntArray,
    rule: str,
    level: IntArray,
    tie: IntArray,
    codes: list[str | None],
    code_idx: IntArray,
) -> _Ties:
    """Every tie, with its candidate codes and every code given (in code order), as arrays."""
    t = lc.tally
    n_cells = len(order)
    rank = np.empty(n_cells, dtype=np.int64)
    rank[order] = np.arange(n_cells)
    is_tie = np.zeros(n_cells, dtype=bool)
    is_tie[rows] = True
    cell = rank[lc.row_of]
    pick = np.flatnonzero(is_tie[cell])
    # a tally's rows run by cell, then code: a stable sort by cell keeps the code order
    srt = pick[np.argsort(cell[pick], kind="stable")]
    in_cell = cell[srt]
    ends = np.append(np.flatnonzero(in_cell[1:] != in_cell[:-1]) + 1, len(srt))
    cells = order[rows]
    where = np.column_stack([lc.keys[cells, 0], lc.keys[cells, 1], lc.component[cells]])
    if rule == "modal":  # a bit per tied level, a level column at a time
        r = lc.rated[cells]
        top = np.zeros(len(rows), dtype=np.int64)
        for j in range(r.shape[1]):
            np.maximum(top, r[:, j], out=top)
        cand_a = np.zeros(len(rows), dtype=np.int64)
        for j in range(r.shape[1]):
            cand_a |= (r[:, j] == top).astype(np.int64) << j
        cand_b = np.zeros(len(rows), dtype=np.int64)
    else:
        cand_a = np.minimum(level[rows], tie[rows])
        cand_b = np.maximum(level[rows], tie[rows])
    return _Ties(
        (t.values[0], t.values[1], t.components),
        where.reshape(len(rows), 3),
        rule,
        cand_a,
        cand_b,
        t.level_codes,
        tuple(codes),
        code_idx[rows],
        t.code[srt],
        t.count[srt],
        ends if len(rows) else np.zeros(0, dtype=np.int64),
    )
