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
rating: 8 bytes per column kept plus 24) -- about a quarter of what reading into a
RatingSet peaks at.

Repeated subject x rater x occasion x component keys (``duplicates="check"``): a tally that
keeps subject, rater and occasion holds every key already, so repeats are looked for within
each batch (with their lines) and across batches in the counts (:func:`repeated_keys`), by
:func:`icmaps.read_ratings`' rules and at no cost while reading. A narrower tally cannot see
them: then the stream remembers every key it has handed out (:func:`icmaps.iter_ratings`,
about 8 bytes a key, see :mod:`icmaps.ratings.seen`). ``duplicates="ignore"``
keeps nothing and looks for nothing, for trusted data.
"""

from __future__ import annotations

import array
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from icmaps._progress import Progress
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.checker import check_duplicates, check_texts
from icmaps.ratings.columns import BASE_COLUMNS, TEXT_COLUMNS
from icmaps.stats.tally import Counted, Tally, _by, tally

if TYPE_CHECKING:
    from icmaps.ratings.read import Duplicates, Engine, RatingBatch, ReadFormat, Sources

__all__ = [
    "KEY_COLUMNS",
    "TallyStack",
    "count_batches",
    "count_ratings",
    "repeated_keys",
    "widen",
]


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

    def widen(self, by: tuple[str, ...]) -> None:
        """Group what was pushed by ``by`` (a superset of its columns), new columns blank."""
        self._stack = [(w, widen(t, by)) for w, t in self._stack]

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
    repeats: bool = False,
) -> Counted:
    """Tally a stream of checked batches (:func:`icmaps.iter_ratings`) grouped by ``by``
    (None: every rating column, see :func:`count_ratings`), and collect their problems.

    >>> import icmaps
    >>> path = icmaps.example_ratings("learning-school")
    >>> c = count_batches(icmaps.iter_ratings(path, "learning-school", chunk_rows=100),
    ...                   icmaps.load_map("learning-school"), by="occasion")
    >>> c.tally == icmaps.tally(icmaps.read_ratings(path, "learning-school"), "occasion")
    True

    ``repeats=True`` looks for repeated keys within each batch as :func:`icmaps.read_ratings`
    does (for batches read with ``duplicates="ignore"``; see :func:`repeated_keys` for those
    across batches).
    """
    every = by is None
    names: tuple[str, ...] = KEY_COLUMNS if by is None else _by(by)
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
        lines = batch.lines
        if repeats and len(ratings):  # within the batch, with their lines
            keep, found = check_duplicates(ratings._cols, lines, batch.path)
            if keep is not None:
                ratings = ratings._take(keep.tolist())
                lines = array.array("I", [lines[i] for i in keep.tolist()])
            problems.extend(found)
        if ratings.text_columns and len(ratings):
            # texts past the bound are errors, those ratings left out (as read_ratings does)
            keep, too_long = check_texts(ratings, lines, batch.path)
            if keep is not None:
                ratings = ratings._take(keep.tolist())
            problems.extend(too_long)
        if every:  # every column: an attribute first met in a later file is blank for the
            # ratings counted before it, as concatenating the files would leave it
            new = tuple(c for c in extra if c not in TEXT_COLUMNS and c not in names)
            if new:
                names = (*names, *new)
                stack.widen(names)
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
        total = widen(tally(empty, ()), names)
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
    keys across batches and files: found in the counts when ``by`` keeps subject, rater and
    occasion (as :func:`icmaps.read_ratings` does: the same code is kept once, different
    codes drop the key; a repeat across batches has no line), else by remembering every key
    while reading (see :func:`icmaps.iter_ratings`: a conflict across batches cannot take
    back the rating counted first). ``"ignore"`` trusts the data. The warnings of
    :func:`icmaps.read_ratings` about a subject attribute that differs between rows are not
    given.
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
    # a tally that keeps every key finds repeats across batches itself, at no cost while
    # reading; a narrower one needs the stream to remember the keys it has seen
    keyed = by is None or all(k in _by(by) for k in ("subject", "rater", "occasion"))
    in_counts = keyed and duplicates == "check"
    batches = iter_ratings(
        source,
        m,
        chunk_rows=chunk_rows,
        format=format,
        engine=engine,
        duplicates="ignore" if in_counts else duplicates,
    )
    with Progress(progress, unit=" ratings", desc="counting") as bar:
        counted = count_batches(batches, m, by, progress=bar, repeats=in_counts)
    if in_counts:
        counted = repeated_keys(counted, "batches of the input")
    if errors == "raise" and not counted.ok:
        raise RatingsError(counted.problems)
    return counted


# -- repeated keys, found in the counts ----------------------------------------------------------

_KEYS = ("subject", "rater", "occasion")

MAX_LISTED = 50
"""Repeated keys named one by one; the rest are counted in one line each."""


def repeated_keys(c: Counted, where: str = "batches") -> Counted:
    """Repeated keys across ``where`` (batches, files, partitions), found in the added
    tally when it kept subject, rater and occasion, as :func:`icmaps.read_ratings` treats
    them within a file: the same code counted more than once is kept once (a warning);
    different codes are an error and every rating of the key is left out. Nothing is kept
    while reading for this: the tally holds every key already.

    >>> import icmaps
    >>> path = icmaps.example_ratings("learning-school")
    >>> twice = count_ratings([path, path], "learning-school", duplicates="ignore")
    >>> once = repeated_keys(twice, "files")
    >>> len(twice), len(once), once.problems[0].message[-36:]
    (1120, 560, 'a rating of it in 2 files; kept once')
    """
    t = c.tally
    if not all(k in t.by for k in _KEYS):
        return c
    import numpy as np

    from icmaps._grouping import unique_rows

    pos = [t.by.index(k) for k in _KEYS]
    cols = [t.keys[:, j] for j in pos] + [t.component]
    keys, key_of = unique_rows(cols)
    per_key = np.bincount(key_of, weights=t.count, minlength=len(keys)).astype(np.int64)
    repeated = np.flatnonzero(per_key > 1)
    if not len(repeated):
        return c
    codes_per_key = np.bincount(unique_rows([key_of, t.code])[0][:, 0], minlength=len(keys)).astype(
        np.int64
    )
    conflict = codes_per_key > 1
    # per key: its first tally row (a key whose one code sits on several rows, e.g. under
    # two roles, keeps its first)
    first = np.full(len(keys), len(key_of), dtype=np.int64)
    np.minimum.at(first, key_of, np.arange(len(key_of), dtype=np.int64))
    count = t.count.copy()
    count[per_key[key_of] > 1] = 0  # every repeated key: out, then its first row back once
    same = repeated[~conflict[repeated]]
    count[first[same]] = 1
    problems = list(c.problems)
    for k in repeated[:MAX_LISTED].tolist():
        sub, rat, occ = (t.values[j][keys[k, i]] for i, j in enumerate(pos))
        what = (
            f"subject {sub!r}, rater {rat!r}, occasion {occ!r}, "
            f"component {t.components[keys[k, 3]]!r}"
        )
        if conflict[k]:
            given = ", ".join(
                "blank" if t.codes[i] is None else repr(t.codes[i])
                for i in sorted(set(t.code[key_of == k].tolist()))
            )
            msg = (
                f"conflicting ratings for {what} in different {where} ({given}); "
                "none of them is counted"
            )
            problems.append(Problem(None, None, None, msg))
        else:
            n = int(per_key[k])
            msg = f"repeated rating for {what}: a rating of it in {n} {where}; kept once"
            problems.append(Problem(None, None, None, msg, severity="warning"))
    if len(repeated) > MAX_LISTED:
        rest = repeated[MAX_LISTED:]
        n_conflicts = int(conflict[rest].sum())
        if n_conflicts:
            msg = f"{n_conflicts} more keys rated differently in different {where}"
            problems.append(Problem(None, None, None, msg))
        if len(rest) - n_conflicts:
            msg = f"{len(rest) - n_conflicts} more keys repeated across {where}; kept once"
            problems.append(Problem(None, None, None, msg, severity="warning"))
    keep = count > 0
    fixed = dataclasses.replace(
        t, keys=t.keys[keep], component=t.component[keep], code=t.code[keep], count=count[keep]
    )
    return dataclasses.replace(c, tally=fixed, problems=tuple(problems))
