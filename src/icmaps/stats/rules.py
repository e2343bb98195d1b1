"""Collapsing several ratings of one thing into one level: the rules shared by consensus,
fidelity, comparisons and configurations.

Levels are desired-first indices (0 = most desired), so a *larger* index is *less* desired.
``LEVEL_NA`` (-2) and ``LEVEL_MISSING`` (-1) mark ratings that do not count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from icmaps.errors import NotFoundError, UsageError
from icmaps.ratings.columns import LEVEL_MISSING, LEVEL_NA

if TYPE_CHECKING:
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.stats.tally import Counted

__all__ = [
    "LEVEL_MISSING",
    "LEVEL_NA",
    "RULES",
    "Key",
    "Rule",
    "UnitKey",
    "check_columns",
    "check_rule",
    "code_at",
    "decide",
    "key_sort",
]

Rule = Literal["modal", "median", "conservative"]
"""How several ratings of one subject x occasion x component become one level."""

RULES: tuple[str, ...] = ("modal", "median", "conservative")

Key = tuple[str | None, ...]
"""The values of the grouping (or unit) columns of one group; ``None`` for a blank."""

UnitKey = Key


def key_sort(key: Key) -> tuple[tuple[bool, str], ...]:
    """Sort key for group keys: by each value in turn, blanks (``None``) last.

    >>> sorted([(None,), ("b",), ("a",)], key=key_sort)
    [('a',), ('b',), (None,)]
    """
    return tuple((v is None, v or "") for v in key)


def code_at(level: int, levels: Sequence[int], codes: Sequence[str | None], own: str) -> str:
    """The code to show for ``level`` (>= 0), chosen from the ratings ``levels``/``codes``
    (parallel): the level's own code ``own`` when some rater wrote it, else the first code
    given at that level (a special code counting as lowest), else ``own``.

    >>> code_at(3, [3, 1], ["X", "2"], "4"), code_at(3, [3, 3], ["X", "4"], "4")
    ('X', '4')
    """
    at = [c for c, v in zip(codes, levels, strict=True) if v == level and c is not None]
    return own if own in at or not at else at[0]


def check_rule(rule: str) -> None:
    """Raise :class:`UsageError` for an unknown rule."""
    if rule not in RULES:
        raise UsageError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")


def decide(levels: Sequence[int], rule: str) -> tuple[int, tuple[int, ...]]:
    """One level from several, and the tied candidates (empty when there was no tie).

    Only ratings that count (level >= 0) take part; when none does, the result is
    ``LEVEL_NA`` if any rating was N/A, else ``LEVEL_MISSING``. Ties go to the *less desired*
    candidate (the larger index).

    >>> decide([0, 1, 1], "modal"), decide([0, 1], "modal"), decide([0, 2], "median")
    ((1, ()), (1, (0, 1)), (2, (0, 2)))
    >>> decide([0, 0, 3], "conservative"), decide([-2, -1], "median")
    ((3, ()), (-2, ()))
    """
    rated = sorted(v for v in levels if v >= 0)
    if not rated:
        return (LEVEL_NA if LEVEL_NA in levels else LEVEL_MISSING), ()
    if rule == "conservative":
        return rated[-1], ()
    if rule == "median":
        n = len(rated)
        lo, hi = rated[(n - 1) // 2], rated[n // 2]
        return hi, (() if lo == hi else (lo, hi))
    counts = Counter(rated)
    top = max(counts.values())
    cands = tuple(sorted(v for v, c in counts.items() if c == top))
    return cands[-1], (cands if len(cands) > 1 else ())


def check_columns(
    ratings: RatingSet | Counted, names: Sequence[str], *, forbid: Sequence[str]
) -> None:
    """Raise :class:`UsageError` unless every name is a column the grouping may use."""
    from icmaps.ratings.columns import BASE_COLUMNS

    known = [c for c in (*BASE_COLUMNS, *ratings.attributes) if c not in forbid]
    for n in names:
        if n in ratings.text_columns:
            raise UsageError(
                f"cannot group by {n!r}: it holds free text kept with each rating (why this "
                f"rating, what was seen), not an attribute (columns: {', '.join(known)})"
            )
        if n in forbid and n in (*BASE_COLUMNS, *ratings.attributes):
            raise UsageError(f"cannot group by {n!r} here (columns: {', '.join(known)})")
        if n not in known:
            raise NotFoundError(
                f"cannot group by {n!r}: no such column (columns: {', '.join(known)})"
            )
