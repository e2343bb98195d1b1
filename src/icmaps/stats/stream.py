"""Counting ratings as they stream by: no RatingSet is built, memory stays with the counts.

:func:`count_ratings` reads one source or many (files, a glob, a Parquet dataset) through
:func:`icmaps.iter_ratings`, tallies each checked batch (:func:`icmaps.tally`) and adds the
batch tallies up in a tree (two of similar size at a time, so adding costs
``O(rows * log(batches))``), collecting every problem with its file and line. The result,
:class:`~icmaps.stats.tally.Counted`, is what the statistics read.

Memory is a few batches (``chunk_rows`` ratings each) plus the tally, whose rows are the
distinct (group, component, code) triples of the ``by`` columns kept: a few hundred for
``by=("district",)``, about one per subject x occasion x component for what fidelity and
growth need, about one per rating for agreement and the report (which need each rater's
rating) -- still about a fifth of what a RatingSet read the same way peaks at. With
``duplicates="check"`` the stream also keeps about 17 bytes per distinct subject x rater x
occasion x component key, to drop repeats across batches (see :func:`icmaps.iter_ratings`);
``duplicates="ignore"`` keeps nothing for trusted data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from icmaps._progress import Progress
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import check_texts
from icmaps.ratings.columns import BASE_COLUMNS, TEXT_COLUMNS
from icmaps.stats.tally import Counted, Tally, _by, tally

if TYPE_CHECKING:
    from icmaps.ratings.read import Duplicates, Engine, RatingBatch, ReadFormat, Sources

__all__ = ["KEY_COLUMNS", "TallyStack", "count_batches", "count_ratings", "widen"]


KEY_COLUMNS = ("subject", "rater", "occasion", "role")
"""The columns ``by=None`` keeps besides the attributes: everything a statistic groups by."""


class TallyStack:
    """Adds tallies up as they come, two of about the same size at a time (like a binary
    counter), so n batch tallies cost ``O(rows * log(n))`` to add, not ``O(rows * n)``.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> stack = TallyStack()
    >>> for occasion in ("2025-fall", "2026-spring"):
    ...     stack.push(icmaps.tally(rs.filter(occasion=occasion), "occasion"))
    >>> stack.total() == icmaps.tally(rs, "occasion")
    True
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, Tally]] = []  # (batches added in, tally), sizes falling

    def push(self, t: Tally) -> None:
        """Add one tally."""
        weight = 1
        while self._stack and self._stack[-1][0] <= weight:
            w, top = self._stack.pop()
            t, weight = top + t, w + weight  # the older counts first: categories keep order
        self._stack.append((weight, t))

    def total(self) -> Tally | None:
        """Everything pushed, added up (None when nothing was)."""
        out: Tally | None = None
        for _, t in self._stack:
            out = t if out is None else out + t
        return out


def _columns(batch: RatingBatch) -> tuple[tuple[str, ...], tuple[str, ...]]:
    extra = batch.ratings.extra_columns
    return extra, tuple(c for c in extra if c in TEXT_COLUMNS)


def widen(t: Tally, by: tuple[str, ...]) -> Tally:
    """``t`` (grouped by some of ``by``) grouped by all of ``by``: a column the batch did not
    have is blank for every rating of it, as when ratings are concatenated."""
    if t.by == by:
        return t
    import numpy as np

    n = len(t.count)
    keys = []
    values = []
    for name in by:
        if name in t.by:
            j = t.by.index(name)
            keys.append(t.keys[:, j])
            values.append(t.values[j])
        else:
            keys.append(np.zeros(n, dtype=np.int64))
            values.append((None,))
    stacked = np.column_stack(keys) if keys else np.zeros((n, 0), dtype=np.int64)
    return dataclasses.replace(t, by=by, values=tuple(values), keys=stacked.reshape(n, len(by)))


def count_batches(
    batches: Iterable[RatingBatch],
    m: Map,
    by: str | Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
) -> Counted:
    """Tally a stream of checked batches (:func:`icmaps.iter_ratings`) grouped by ``by``
    (None: every rating column, see :func:`count_ratings`), and collect their problems.

    >>> import icmaps
    >>> path = icmaps.example_ratings("learning-school")
    >>> c = count_batches(icmaps.iter_ratings(path, "learning-school", chunk_rows=100),
    ...                   icmaps.load_map("learning-school"), by="occasion")
    >>> c.tally == icmaps.tally(icmaps.read_ratings(path, "learning-school"), "occasion")
    True
    """
    names: tuple[str, ...] | None = None if by is None else _by(by)
    stack = TallyStack()
    problems: list[Problem] = []
    columns: list[str] = []
    text: list[str] = []
    for batch in batches:
        extra, texts = _columns(batch)
        columns += [c for c in extra if c not in columns]
        text += [c for c in texts if c not in text]
        problems.extend(batch.problems)
        ratings = batch.ratings
        if ratings.text_columns and len(ratings):
            # texts past the bound are errors, those ratings left out (as read_ratings does)
            keep, too_long = check_texts(ratings, batch.lines, batch.path)
            if keep is not None:
                ratings = ratings._take(keep.tolist())
            problems.extend(too_long)
        if names is None:  # every column: fixed by the first batch (attributes seen later
            # are counted blank before they appear, as concatenation would leave them)
            names = (*KEY_COLUMNS, *(c for c in extra if c not in TEXT_COLUMNS))
        have = set(BASE_COLUMNS) | set(ratings.extra_columns)
        own = tuple(n for n in names if n in have)
        if len(ratings):
            stack.push(widen(tally(ratings, own), names))
        if progress is not None:
            progress.update(len(batch))
    total = stack.total()
    if total is None:  # nothing read: an empty tally of the map
        from icmaps.ratings.ratingset import RatingSet

        empty = RatingSet.from_columns(m, {k: [] for k in BASE_COLUMNS})
        total = widen(tally(empty, ()), names or KEY_COLUMNS)
    return Counted(
        m,
        total,
        tuple(sorted(problems, key=Problem.sort_key)),
        tuple(columns),
        tuple(text),
    )


def count_ratings(
    source: Sources,
    map: Map | str,
    *,
    by: str | Iterable[str] | None = None,
    chunk_rows: int = 100_000,
    format: ReadFormat = "auto",
    engine: Engine = "auto",
    duplicates: Duplicates = "check",
    errors: Literal["raise", "collect"] = "raise",
    progress: bool = False,
) -> Counted:
    """Count ratings straight from files, batch by batch, without holding them.

    ``source`` is anything :func:`icmaps.iter_ratings` reads (CSV long or wide, JSON Lines,
    Parquet files and datasets, Arrow IPC), several of them, or a glob
    (``"ratings/*.parquet"``). ``by`` names the columns to keep apart: only those can group
    the statistics later, and only those cost memory. ``None`` (default) keeps every column
    (subject, rater, occasion, role and the attributes), which every statistic and the
    report need; ``by=("district",)`` is enough for ``summarize(c, by="district")`` and
    needs a few kilobytes whatever the file size.

    Every batch is checked as :func:`icmaps.read_ratings` checks a file, and every problem
    is kept with its file and line: with ``errors="raise"`` (default) a
    :class:`~icmaps.errors.RatingsError` carries them all once the stream is read; with
    ``errors="collect"`` they are in ``.problems``. ``duplicates="check"`` drops repeated
    keys across batches and files (see :func:`icmaps.iter_ratings` for what that keeps);
    ``"ignore"`` trusts the data. Unlike :func:`icmaps.read_ratings`, a conflict between
    batches cannot take back the rating counted first (it is an error all the same), and
    the warnings about a subject attribute that differs between rows are not given.
    ``progress=True`` shows a progress bar on stderr (needs ``pip install
    'icmaps[progress]'``).

    >>> import icmaps
    >>> path = icmaps.example_ratings("learning-school")
    >>> c = count_ratings(path, "learning-school", by=("occasion", "district"))
    >>> icmaps.summarize(c, by="district").to_dict()["rows"][0]["n"]
    274
    """
    from icmaps.maps.codec import load_map
    from icmaps.ratings.read import iter_ratings

    if errors not in ("raise", "collect"):
        raise UsageError(f"errors must be 'raise' or 'collect', not {errors!r}")
    m = map if isinstance(map, Map) else load_map(map)
    batches = iter_ratings(
        source, m, chunk_rows=chunk_rows, format=format, engine=engine, duplicates=duplicates
    )
    with Progress(progress, unit="ratings", desc="counting") as bar:
        counted = count_batches(batches, m, by, progress=bar)
    if errors == "raise" and not counted.ok:
        raise RatingsError(counted.problems)
    return counted
