"""Grouping rows of integer key columns, the one way: no key space can overflow.

Used by the ratings checker (repeated keys) and by the tally (counting); both sit above this
base module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    IntArray = NDArray[np.int64]
else:  # numpy is imported when a function runs
    IntArray = Any

__all__ = ["duplicate_groups", "sorted_runs", "unique_rows"]


def unique_rows(rows: IntArray | Sequence[IntArray]) -> tuple[IntArray, IntArray]:
    """Distinct rows (sorted) and each row's index among them, without packing rows into
    one integer where that could overflow (large key spaces are sorted lexicographically).

    ``rows`` is a 2-D array or a list of equally long 1-D columns (any integer dtype; a list
    avoids stacking the columns first). Small key spaces (the usual case: subjects x
    occasions x components x codes) are grouped by counting, in linear time; larger ones by
    sorting packed keys.
    """
    import numpy as np

    if isinstance(rows, np.ndarray):
        cols = [rows[:, j] for j in range(rows.shape[1])]
        n = rows.shape[0]
    else:
        cols = list(rows)
        n = len(cols[0]) if cols else 0
    cols = _signed(cols)
    k = len(cols)
    if n == 0:
        return np.zeros((0, k), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if k == 0:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(n, dtype=np.int64)
    fits = _packed(cols, 2**62 - 1)
    if fits is not None:
        packed, spans, space = fits
        if space <= _dense(n):  # dense: mark, no sort
            # small arrays over the key space (a bool mark, 32-bit positions): a fresh
            # process pays for every page it touches
            seen = np.zeros(int(space), dtype=bool)
            seen[packed] = True
            keys = np.flatnonzero(seen)
            pos = np.cumsum(seen, dtype=np.int32 if n < 2**31 else np.int64)
            np.subtract(pos, 1, out=pos)  # in place; typed alike by numpy 1.x and 2.x stubs
            inverse = pos[packed].astype(np.int64)
        else:
            keys, inverse = np.unique(packed, return_inverse=True)
            inverse = inverse.reshape(-1)
        # columns laid out one after another (callers read them one at a time), decoded
        # into two reused buffers: a fresh process pays for every page it touches
        out = np.empty((len(keys), k), dtype=np.int64, order="F")
        rest, quotient = keys, np.empty_like(keys)
        for j in range(k - 1, 0, -1):
            np.divmod(rest, spans[j], out=(quotient, out[:, j]))
            rest, quotient = quotient, rest
        out[:, 0] = rest
        return out, inverse
    stacked = np.column_stack([c.astype(np.int64) for c in cols])
    order = np.lexsort(stacked.T[::-1])
    srt = stacked[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (srt[1:] != srt[:-1]).any(axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    return srt[new], inverse


def sorted_runs(cols: Sequence[IntArray]) -> tuple[IntArray, IntArray] | None:
    """:func:`unique_rows` of columns whose rows are already in lexicographic order (as a
    tally's rows are), in a few linear passes with no sort or scatter; ``None`` when the
    rows are not in order (the caller then groups them with :func:`unique_rows`).

    >>> import numpy as np
    >>> keys, inverse = sorted_runs([np.array([0, 0, 1, 1]), np.array([2, 2, 0, 3])])
    >>> keys.tolist(), inverse.tolist()
    ([[0, 2], [1, 0], [1, 3]], [0, 0, 1, 2])
    >>> sorted_runs([np.array([1, 0])]) is None
    True
    """
    import numpy as np

    n = len(cols[0]) if len(cols) else 0
    if n == 0 or not len(cols):
        return None
    undecided = np.ones(n - 1, dtype=bool)  # pairs equal on every column so far
    for c in cols:
        a, b = c[:-1], c[1:]
        if (undecided & (b < a)).any():
            return None
        undecided &= a == b
    new = np.ones(n, dtype=bool)
    new[1:] = ~undecided
    inverse = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    keys = np.empty((len(starts), len(cols)), dtype=np.int64, order="F")
    for j, c in enumerate(cols):
        keys[:, j] = c[starts]
    return keys, inverse


def duplicate_groups(keys: Sequence[Any]) -> list[Any]:
    """Groups of rows (ascending positions, two or more each, ordered by their first row)
    that share a key, from equally long integer columns.

    >>> import numpy as np
    >>> big = np.array([2**40, 5, 2**40, 5])
    >>> [g.tolist() for g in duplicate_groups([big, big, np.array([1, 2, 1, 3])])]
    [[0, 2]]
    """
    import numpy as np

    n = len(keys[0]) if len(keys) else 0
    if n < 2:
        return []
    cols = [np.asarray(k) for k in keys]
    if _all_distinct(cols):
        return []
    _, group = unique_rows(cols)
    sizes = np.bincount(group)
    if sizes.max() < 2:
        return []
    rows = np.flatnonzero(sizes[group] > 1)
    order = rows[np.argsort(group[rows], kind="stable")]  # by group, rows ascending within
    cut = np.flatnonzero(np.diff(group[order])) + 1
    groups = np.split(order, cut)
    groups.sort(key=lambda g: int(g[0]))
    return groups


def _signed(cols: Sequence[IntArray]) -> list[IntArray]:
    """The columns, 64-bit unsigned ones as int64 (uint64 with int64 would add as floats)."""
    import numpy as np

    return [c.astype(np.int64) if c.dtype.kind != "i" and c.itemsize >= 8 else c for c in cols]


def _dense(n: int) -> int:
    """Largest key space marked in an array rather than sorted, for ``n`` rows."""
    return max(4 * n, 1 << 22)


def _packed(cols: Sequence[IntArray], limit: int) -> tuple[IntArray, list[int], int] | None:
    """Each row as one int64 (the columns as digits, each in base its span), the spans and
    the key space; None, with nothing packed, when the key space is above ``limit``.
    Columns of 64-bit unsigned type must be int64 already (:func:`_signed`)."""
    import math

    import numpy as np

    spans = [int(c.max()) + 1 for c in cols]
    space = math.prod(spans)
    if space > limit:
        return None
    packed = cols[0].astype(np.int64)
    for c, sp in zip(cols[1:], spans[1:], strict=True):
        packed *= sp
        packed += c
    return packed, spans, space


def _all_distinct(cols: Sequence[IntArray]) -> bool:
    """Whether no two rows share a key, decided in linear time when the key space is small
    (the usual case, and the usual answer); False when it cannot tell cheaply."""
    import numpy as np

    n = len(cols[0])
    fits = _packed(_signed(cols), _dense(n))
    if fits is None:
        return False
    packed, _, space = fits
    seen = np.zeros(space, dtype=bool)
    seen[packed] = True
    return int(np.count_nonzero(seen)) == n
