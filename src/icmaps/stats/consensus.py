"""Consensus profiles: one level per subject, occasion and component from several raters."""

from __future__ import annotations

import array
import dataclasses
from typing import TYPE_CHECKING, Any

from icmaps._optional import require
from icmaps._tabular import Record, records_frame, text_table
from icmaps.ratings.columns import LEVEL_NA, _intern
from icmaps.stats.rules import (
    Rule,
    check_rule,
)
from icmaps.stats.tally import IntArray, LevelCounts, _ints, decisions

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

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


@dataclasses.dataclass(frozen=True, slots=True)
class ConsensusReport:
    """How a consensus was reached: cells (subject x occasion x component), how many had one
    rating or full agreement (every rater gave a level, with the same code), every tie and
    every cell where some raters said N/A but others rated (the rated levels win)."""

    rule: Rule
    cells: int
    single: int
    unanimous: int
    ties: tuple[ConsensusTie, ...]
    na_overruled: tuple[tuple[str, str, str], ...]

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

    def to_pandas(self) -> pandas.DataFrame:
        """The ties as a DataFrame (needs pandas)."""
        cols = ("subject", "occasion", "component", "candidates", "chosen", "given")
        return records_frame([t.to_dict() for t in self.ties], cols)

    def __str__(self) -> str:
        head = (
            f"consensus ({self.rule}) of {self.cells} cells: {self.single} with one rating, "
            f"{self.unanimous} unanimous, {len(self.ties)} ties, "
            f"{len(self.na_overruled)} with N/A overruled"
        )
        if not self.ties:
            return head
        cols = ["subject", "occasion", "component", "candidates", "chosen", "given"]
        rows = [[str(t.to_dict()[c]) for c in cols] for t in self.ties]
        return head + "\n\n" + text_table(cols, rows)

    def __repr__(self) -> str:
        return f"<ConsensusReport {self.rule}: {self.cells} cells, {len(self.ties)} ties>"


def consensus(ratings: RatingSet, rule: Rule = "modal") -> tuple[RatingSet, ConsensusReport]:
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
    from icmaps.ratings.ratingset import RatingSet

    np = require("numpy", "consensus needs numpy", extra="fast")
    check_rule(rule)
    m = ratings.map
    d = decisions(ratings, ("subject", "occasion"), rule)
    lc, t = d.counts, d.counts.tally
    n_cells = len(lc.counts)
    # role and attributes come from the first rating of each cell: find those rows by their
    # interned subject / occasion / component indices (tally categories are the ratings')
    cell_of = _cell_index(
        np,
        [_ints(ratings.codes_of("subject")), _ints(ratings.codes_of("occasion"))],
        _ints(ratings.codes_of("component")),
        lc,
    )
    first = np.full(n_cells, len(ratings), dtype=np.int64)
    np.minimum.at(first, cell_of, np.arange(len(ratings), dtype=np.int64))
    order = np.argsort(first, kind="stable")  # cells in first-seen order
    first, level, tie = first[order], d.level[order], d.tie[order]
    rated, na = lc.rated[order], lc.na[order]
    n_given = lc.counts[order].sum(axis=1)
    comp_of = lc.component[order]
    rated_rows = np.flatnonzero(level >= 0)
    na_rows = np.flatnonzero(level == LEVEL_NA)
    out_codes: list[str | None] = [None] * n_cells
    for i, code in zip(
        rated_rows.tolist(), lc.shown_codes(order[rated_rows], level[rated_rows]), strict=True
    ):
        out_codes[i] = code
    _, first_na = lc.given_at(order[na_rows], level[na_rows])
    for i, k in zip(na_rows.tolist(), first_na.tolist(), strict=True):
        out_codes[i] = t.codes[k]
    # unanimous: several ratings, one distinct code, and that code counts on a level
    distinct = np.bincount(lc.row_of, minlength=n_cells)[order]
    only_code = np.zeros(n_cells, dtype=np.int64)
    only_code[lc.row_of] = t.code
    only_code = only_code[order]
    unanimous = int(((n_given > 1) & (distinct == 1) & (t.level_of[comp_of, only_code] >= 0)).sum())
    single = int((n_given == 1).sum())
    subj, occ, comps = ratings._col("subject"), ratings._col("occasion"), ratings._col("component")

    def where(i: int) -> tuple[str, str, str]:
        row = int(first[i])
        return (
            str(subj.values[subj.index[row]]),
            str(occ.values[occ.index[row]]),
            str(comps.values[comps.index[row]]),
        )

    na_overruled = tuple(where(i) for i in np.flatnonzero((level >= 0) & (na > 0)).tolist())
    ties: list[ConsensusTie] = []
    tie_rows = np.flatnonzero((level >= 0) & (tie >= 0)).tolist()
    if tie_rows:
        rank = np.empty(n_cells, dtype=np.int64)
        rank[order] = np.arange(n_cells)
        wanted = set(tie_rows)
        given: dict[int, list[str | None]] = {}
        by_row = np.argsort(lc.row_of, kind="stable")
        for r, c, k in zip(
            rank[lc.row_of[by_row]].tolist(),
            t.code[by_row].tolist(),
            t.count[by_row].tolist(),
            strict=True,
        ):
            if r in wanted:
                given.setdefault(r, []).extend([t.codes[c]] * k)
        for i in tie_rows:
            w = where(i)
            desired = m.scale_of(w[2]).desired()
            cands = _candidates(rated[i].tolist(), rule, int(level[i]), int(tie[i]))
            candidates = tuple(desired[c].code for c in cands)
            ties.append(ConsensusTie(*w, candidates, str(out_codes[i]), tuple(given[i])))
    keep = first.tolist()
    out = {n: ratings._col(n).take(keep) for n in ratings._cols}
    out["rater"] = _intern(["consensus"] * len(keep))
    out["code"] = _intern(out_codes)
    levels = array.array("b", level.astype(np.int8).tobytes())
    result = RatingSet(m, out, levels, ratings.attributes)
    report = ConsensusReport(rule, n_cells, single, unanimous, tuple(ties), na_overruled)
    return result, report


def _cell_index(
    np: Any, unit_cols: list[IntArray], component: IntArray, lc: LevelCounts
) -> IntArray:
    """For each rating, the row of ``lc`` (unit x component) it was counted in."""
    from icmaps.stats.tally import _unique_rows

    rows = np.column_stack([*unit_cols, component]).astype(np.int64)
    cells = np.column_stack([lc.keys, lc.component]).astype(np.int64)
    both = np.concatenate([cells, rows])
    _, inverse = _unique_rows(both)
    where = np.full(int(inverse.max()) + 1 if len(inverse) else 0, -1, dtype=np.int64)
    where[inverse[: len(cells)]] = np.arange(len(cells))
    return where[inverse[len(cells) :]]  # type: ignore[no-any-return]


def _candidates(rated: list[int], rule: str, level: int, tie: int) -> tuple[int, ...]:
    """Every tied level, desired first (modal: all levels at the top count; median: the two
    middle levels)."""
    if rule == "modal":
        top = max(rated)
        return tuple(i for i, n in enumerate(rated) if n == top)
    return (min(level, tie), max(level, tie))
