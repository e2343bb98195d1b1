"""Consensus profiles: one level per subject, occasion and component from several raters."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from icmaps._optional import require
from icmaps._tabular import Record, records_frame, text_table
from icmaps.ratings.columns import LEVEL_NA, _intern, _levels
from icmaps.stats.rules import (
    Rule,
    check_rule,
)
from icmaps.stats.tally import IntArray, LevelCounts, Tally, _ints, decisions

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
    # codes given per cell (category indices, with repeats), for ties and unanimity
    code_rows = np.argsort(lc.row_of, kind="stable")
    rank = np.empty(n_cells, dtype=np.int64)
    rank[order] = np.arange(n_cells)
    given: list[list[str | None]] = [[] for _ in range(n_cells)]
    for r, c, k in zip(
        rank[lc.row_of[code_rows]].tolist(),
        t.code[code_rows].tolist(),
        t.count[code_rows].tolist(),
        strict=True,
    ):
        given[r].extend([t.codes[c]] * k)
    shown = lc.shown_codes(order[level >= 0], level[level >= 0])
    shown_at = dict(zip(np.flatnonzero(level >= 0).tolist(), shown, strict=True))
    cols = {n: ratings._col(n) for n in ratings._cols}
    out_codes: list[str | None] = []
    ties: list[ConsensusTie] = []
    na_overruled: list[tuple[str, str, str]] = []
    single = int((n_given == 1).sum())
    unanimous = 0
    subj, occ = cols["subject"], cols["occasion"]
    for i, (row, lv, tv) in enumerate(
        zip(first.tolist(), level.tolist(), tie.tolist(), strict=True)
    ):
        codes = given[i]
        comp = str(cols["component"].values[cols["component"].index[row]])
        if (
            len(codes) > 1
            and lv >= 0
            and na[i] == 0
            and len(set(codes)) == 1
            and codes[0] is not None
        ):
            unanimous += int(all(_counts_on_level(t, comp, c) for c in codes))
        if lv >= 0:
            chosen = shown_at[i]
            out_codes.append(chosen)
            where = (str(subj.values[subj.index[row]]), str(occ.values[occ.index[row]]), comp)
            if na[i] > 0:
                na_overruled.append(where)
            if tv >= 0:
                desired = m.scale_of(comp).desired()
                cands = _candidates(rated[i].tolist(), rule, lv, tv)
                ties.append(
                    ConsensusTie(
                        *where, tuple(desired[c].code for c in cands), chosen, tuple(codes)
                    )
                )
        elif lv == LEVEL_NA:
            out_codes.append(next(c for c in codes if c is not None and _is_na(t, comp, c)))
        else:
            out_codes.append(None)
    keep = first.tolist()
    out = {n: col.take(keep) for n, col in cols.items()}
    out["rater"] = _intern(["consensus"] * len(keep))
    out["code"] = _intern(out_codes)
    result = RatingSet(m, out, _levels(m, out["component"], out["code"]), ratings.attributes)
    report = ConsensusReport(rule, n_cells, single, unanimous, tuple(ties), tuple(na_overruled))
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


def _counts_on_level(t: Tally, comp: str, code: str | None) -> bool:
    c = t.components.index(comp)
    return code is not None and int(t.level_of[c, t.codes.index(code)]) >= 0


def _is_na(t: Tally, comp: str, code: str) -> bool:
    return int(t.level_of[t.components.index(comp), t.codes.index(code)]) == LEVEL_NA


def _candidates(rated: list[int], rule: str, level: int, tie: int) -> tuple[int, ...]:
    """Every tied level, desired first (modal: all levels at the top count; median: the two
    middle levels)."""
    if rule == "modal":
        top = max(rated)
        return tuple(i for i, n in enumerate(rated) if n == top)
    return (min(level, tie), max(level, tie))
