"""Consensus profiles: one level per subject, occasion and component from several raters."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from icmaps._tabular import Record, records_frame, text_table
from icmaps.ratings.columns import LEVEL_NA
from icmaps.stats.rules import (
    Rule,
    check_rule,
    code_at,
    decide,
)

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
    from icmaps.ratings.columns import BASE_COLUMNS
    from icmaps.ratings.ratingset import RatingSet

    check_rule(rule)
    m = ratings.map
    cols = {n: ratings.column(n) for n in (*BASE_COLUMNS, *ratings.attributes)}
    levels = ratings.levels()
    cells: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for i, key in enumerate(zip(cols["subject"], cols["occasion"], cols["component"], strict=True)):
        cells.setdefault(key, []).append(i)
    out: dict[str, list[str | None]] = {n: [] for n in cols}
    ties: list[ConsensusTie] = []
    na_overruled: list[tuple[str, str, str]] = []
    single = unanimous = 0
    for (subject, occasion, comp), rows in cells.items():
        lv = [levels[i] for i in rows]
        codes = [cols["code"][i] for i in rows]
        level, tied = decide(lv, rule)
        if len(rows) == 1:
            single += 1
        elif min(lv) >= 0 and len(set(codes)) == 1:
            unanimous += 1
        if level >= 0:
            desired = m.scale_of(str(comp)).desired()
            chosen = code_at(level, lv, codes, desired[level].code)
            code: str | None = chosen
            if LEVEL_NA in lv:
                na_overruled.append((str(subject), str(occasion), str(comp)))
            if tied:
                ties.append(
                    ConsensusTie(
                        str(subject),
                        str(occasion),
                        str(comp),
                        tuple(desired[t].code for t in tied),
                        chosen,
                        tuple(codes),
                    )
                )
        elif level == LEVEL_NA:
            code = next(c for c, v in zip(codes, lv, strict=True) if v == LEVEL_NA)
        else:
            code = None
        first = rows[0]
        for n, col in cols.items():
            out[n].append(col[first])
        out["rater"][-1] = "consensus"
        out["code"][-1] = code
    result = RatingSet.from_columns(m, out, attributes=ratings.attributes)
    report = ConsensusReport(rule, len(cells), single, unanimous, tuple(ties), tuple(na_overruled))
    return result, report
