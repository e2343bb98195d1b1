"""Keys seen in earlier batches of a stream: repeated ratings found across batches.

A stream (:func:`icmaps.iter_ratings`, a narrow :func:`icmaps.count_ratings`) hands each batch
out before it reads the next, so a repeated subject x rater x occasion x component key must be
recognised from what it kept of the batches before. :class:`SeenKeys` keeps, per distinct key,
one 64-bit word: the key's columns (values numbered as first seen, each with as many bits as
its values need), the code of its first rating, whether the key was a conflict, and the line
of its first rating. Words sort by key, so the store is a sorted main array plus a few sorted
runs of recent keys (merged into the main array once they hold a sixteenth of it: in place,
from the back, a block at a time), and a batch is looked up with a binary search per array.

Bounds: 8 bytes a key, as long as key, code and line fit in 64 bits (20M ratings of 50,000
subjects, 5 raters, 4 occasions and 20 components need 55), plus up to a sixteenth more for
the runs and a thirty-second for room to grow; while runs are merged in, 16 bytes per key
merged and about 4 MB. Past 64 bits the line goes into a parallel 32-bit array (12 bytes a
key); past 64 bits without the line (only with well over 100,000 distinct subjects, raters
and occasions each), keys go into a dict (about 200 bytes a key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from icmaps._grouping import duplicate_groups
from icmaps.errors import Problem
from icmaps.ratings.checker import KEYS, _conflict, _index, _repeat, _what
from icmaps.ratings.columns import _Column

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["SeenKeys"]


@dataclass(frozen=True)
class _Word:
    """How a key's fields sit in its 64-bit word, high bits first: the key columns, the
    code, the conflict flag, then the line (``line_bits == 0``: lines kept apart)."""

    key_bits: tuple[int, ...]
    code_bits: int
    line_bits: int

    @property
    def low(self) -> int:
        """Bits below the key."""
        return self.code_bits + 1 + self.line_bits

    @property
    def width(self) -> int:
        return sum(self.key_bits) + self.low

    def key(self, cols: Sequence[NDArray[Any]]) -> NDArray[Any]:
        """The key columns packed into one integer each (the key part of a word)."""
        import numpy as np

        key = np.zeros(len(cols[0]), dtype=np.uint64)
        for c, b in zip(cols, self.key_bits, strict=True):
            key <<= np.uint64(b)
            key |= c.astype(np.uint64, copy=False)
        return key

    def split(self, key: NDArray[Any]) -> list[NDArray[Any]]:
        """The key columns of packed keys."""
        import numpy as np

        out = []
        for b in reversed(self.key_bits):
            out.append(key & np.uint64((1 << b) - 1))
            key = key >> np.uint64(b)
        return out[::-1]

    def words(
        self, key: NDArray[Any], code: NDArray[Any], conflict: NDArray[Any], line: NDArray[Any]
    ) -> NDArray[Any]:
        import numpy as np

        w: NDArray[Any] = key << np.uint64(self.low)
        w |= code.astype(np.uint64) << np.uint64(1 + self.line_bits)
        w |= conflict.astype(np.uint64) << np.uint64(self.line_bits)
        if self.line_bits:
            w |= line.astype(np.uint64)
        return w

    def fields(self, w: NDArray[Any]) -> tuple[Any, Any, Any, Any]:
        """Key part, code, conflict flag and line (0 when lines are kept apart) of words."""
        import numpy as np

        lb = np.uint64(self.line_bits)
        line = w & np.uint64((1 << self.line_bits) - 1)
        conflict = ((w >> lb) & np.uint64(1)).astype(bool)
        code = (w >> np.uint64(1 + self.line_bits)) & np.uint64((1 << self.code_bits) - 1)
        return w >> np.uint64(self.low), code, conflict, line


def _bits(count: int) -> int:
    """Bits that number ``count`` values from 0."""
    return max(1, (count - 1).bit_length())


class SeenKeys:
    """Keys handed out in earlier batches of a stream, for duplicate checks across batches
    (see the module docstring for what a key costs).

    >>> import numpy as np
    >>> from icmaps.ratings.columns import _intern
    >>> seen = SeenKeys()
    >>> cols = {k: _intern(["x"]) for k in (*KEYS, "code")}
    >>> seen.check(cols, np.array([2]), "r.csv")
    (None, [])
    >>> keep, problems = seen.check(cols, np.array([9]), "r.csv")
    >>> keep.tolist(), problems[0].severity, problems[0].message[-27:]
    ([], 'warning', '(same as line 2); kept once')
    """

    MAX_BITS = 64
    FRACTION = 16  # runs join the main array once they hold this fraction of it
    BLOCK = 1 << 17  # words moved at a time while merging in place

    def __init__(self) -> None:
        import numpy as np

        self.ids: list[dict[str | None, int]] = [{} for _ in KEYS]
        self.codes: dict[str | None, int] = {}
        self.code_values: list[str | None] = []
        self.word = _Word((1, 1, 1, 1), 1, 1)
        self.main = np.zeros(0, dtype=np.uint64)  # sorted words in main[:n]; the rest slack
        self.main_lines = np.zeros(0, dtype=np.uint32)  # (lines kept apart)
        self.n = 0
        self.runs: list[tuple[Any, Any]] = []  # sorted words, their lines (or None)
        self.slow: dict[tuple[int, ...], tuple[int, int, bool]] | None = None

    def __len__(self) -> int:
        """Distinct keys kept."""
        if self.slow is not None:
            return len(self.slow)
        return self.n + sum(len(w) for w, _ in self.runs)

    @property
    def nbytes(self) -> int:
        """Bytes the kept keys take (arrays only: the value numbering is not counted)."""
        return int(
            self.main.nbytes
            + self.main_lines.nbytes
            + sum(w.nbytes + (0 if ln is None else ln.nbytes) for w, ln in self.runs)
        )

    # -- layout -------------------------------------------------------------------------------

    def _global(self, j: int, col: _Column) -> NDArray[Any]:
        import numpy as np

        ids = self.ids[j]
        remap = np.array([ids.setdefault(v, len(ids)) for v in col.values], dtype=np.uint64)
        return remap[_index(col)] if len(col.values) else np.zeros(0, dtype=np.uint64)

    def _fit(self, top_line: int) -> None:
        """Give each field the bits it needs now; re-pack what is kept if that changes. A
        field that grows gets two bits to spare where they fit, so re-packing happens once
        per fourfold growth, not at every doubling."""
        import numpy as np

        old = self.word
        keys = tuple(_bits(len(ids)) for ids in self.ids)
        code = _bits(len(self.codes))
        line = top_line.bit_length()
        if (
            all(k <= b for k, b in zip(keys, old.key_bits, strict=True))
            and code <= old.code_bits
            and (old.line_bits == 0 or line <= old.line_bits)
        ):
            return

        def spare(need: int, have: int) -> int:
            return have if need <= have else need + 2

        roomy = _Word(
            tuple(spare(k, b) for k, b in zip(keys, old.key_bits, strict=True)),
            spare(code, old.code_bits),
            0 if old.line_bits == 0 else spare(line, old.line_bits),
        )
        tight = _Word(
            tuple(max(k, b) for k, b in zip(keys, old.key_bits, strict=True)),
            max(code, old.code_bits),
            0 if old.line_bits == 0 else max(line, old.line_bits),
        )
        fitting = [w for w in (roomy, tight) if w.width <= self.MAX_BITS]
        if fitting:
            new = fitting[0]
        elif sum(tight.key_bits) + tight.code_bits + 1 <= self.MAX_BITS:
            new = _Word(tight.key_bits, tight.code_bits, 0)  # lines apart from here on
        else:
            self._go_slow()
            return
        apart = new.line_bits == 0
        if apart and old.line_bits:  # lines move out of the words, into their own arrays
            self.main_lines = np.zeros(len(self.main), dtype=np.uint32)
            self.main_lines[: self.n] = self._lines_of(self.main[: self.n], old)
            self.runs = [(w, self._lines_of(w, old)) for w, _ in self.runs]
        for start in range(0, self.n, self.BLOCK):
            part = self.main[start : start + self.BLOCK]
            part[:] = self._repacked(part, old, new)
        self.runs = [(self._repacked(w, old, new), ln) for w, ln in self.runs]
        self.word = new

    @staticmethod
    def _lines_of(w: NDArray[Any], word: _Word) -> NDArray[Any]:
        import numpy as np

        lines: NDArray[Any] = word.fields(w)[3].astype(np.uint32)
        return lines

    @staticmethod
    def _repacked(w: NDArray[Any], old: _Word, new: _Word) -> NDArray[Any]:
        """Words in the new layout (wider fields keep the keys' order: no sort needed)."""
        key, code, conflict, line = old.fields(w)
        return new.words(new.key(old.split(key)), code, conflict, line)

    def _go_slow(self) -> None:
        slow: dict[tuple[int, ...], tuple[int, int, bool]] = {}
        apart = self.word.line_bits == 0
        parts = [(self.main[: self.n], self.main_lines[: self.n] if apart else None)]
        for w, lines in parts + self.runs:
            key, code, conflict, line = self.word.fields(w)
            if lines is not None:
                line = lines
            cols = [c.tolist() for c in self.word.split(key)]
            for k, ln, cd, cf in zip(
                zip(*cols, strict=True),
                line.tolist(),
                code.tolist(),
                conflict.tolist(),
                strict=True,
            ):
                slow[k] = (int(ln), int(cd), bool(cf))
        self.slow = slow
        self._clear()

    def _clear(self) -> None:
        import numpy as np

        self.main = np.zeros(0, dtype=np.uint64)
        self.main_lines = np.zeros(0, dtype=np.uint32)
        self.n = 0
        self.runs = []

    # -- the sorted arrays ----------------------------------------------------------------------

    def _lookup(self, key: NDArray[Any]) -> tuple[NDArray[Any], Any, Any, Any]:
        """Per query key: found?, and the first line, code id and conflict flag if found."""
        import numpy as np

        n = len(key)
        found = np.zeros(n, dtype=bool)
        line = np.zeros(n, dtype=np.uint32)
        code = np.zeros(n, dtype=np.uint64)
        conflict = np.zeros(n, dtype=bool)
        word = self.word
        low = np.uint64(word.low)
        # searched in key order: each search starts where the last one ended, and walks the
        # arrays forward (unsorted, every search misses the cache)
        order = None if n < 2 or bool(np.all(key[1:] >= key[:-1])) else np.argsort(key)
        if order is not None:
            key = key[order]
        probe = key << low  # the smallest word of each key
        arrays = [(self.main[: self.n], self.main_lines[: self.n] if not word.line_bits else None)]
        top = int(probe[-1])  # the largest (sorted above)
        bottom = int(probe[0])
        for w, lines in arrays + self.runs:
            if not len(w) or bottom > int(w[-1]) or top >> int(low) < int(w[0]) >> int(low):
                continue  # (no key of the batch falls in this array's range)
            pos = np.minimum(np.searchsorted(w, probe), len(w) - 1)
            hit = (w[pos] >> low) == key
            if not hit.any():
                continue
            at = pos[hit]
            _, cd, cf, ln = word.fields(w[at])
            found |= hit
            line[hit] = ln if lines is None else lines[at]
            code[hit], conflict[hit] = cd, cf
        if order is None:
            return found, line, code, conflict
        back = np.empty(n, dtype=np.int64)
        back[order] = np.arange(n)
        return found[back], line[back], code[back], conflict[back]

    def _add(self, words: NDArray[Any], lines: NDArray[Any] | None) -> None:
        """A new sorted run of new keys; runs of similar size are merged, and all of them join
        the main array once they hold a sixteenth of it."""
        import numpy as np

        if not len(words):
            return
        words, lines = self._sorted(words, lines)
        if not self.runs and (self.n == 0 or int(words[0]) > int(self.main[self.n - 1])):
            self._into_main(words, lines)  # all after the kept keys (as new subjects come)
            return
        self.runs.append((words, lines))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (a, la), (b, lb) = self.runs.pop(-2), self.runs.pop()
            joined = np.concatenate([a, b])
            del a, b
            self.runs.append(self._sorted(joined, None if la is None else np.concatenate([la, lb])))
        pending = sum(len(w) for w, _ in self.runs)
        if pending * self.FRACTION >= self.n:
            runs, self.runs = self.runs, []
            if len(runs) > 1:
                words = np.concatenate([w for w, _ in runs])
                apart = runs[0][1] is not None
                lines = np.concatenate([ln for _, ln in runs]) if apart else None
                del runs
                self._into_main(*self._sorted(words, lines))
            else:
                self._into_main(*runs[0])

    @staticmethod
    def _sorted(words: NDArray[Any], lines: NDArray[Any] | None) -> tuple[Any, Any]:
        import numpy as np

        if len(words) > 1 and bool(np.all(words[1:] > words[:-1])):
            return words, lines  # (rows sorted by key, as files often are)
        if lines is None:
            words.sort()  # in place: keys are distinct, so words sort by key
            return words, None
        order = np.argsort(words)
        return words[order], lines[order]

    def _grow(self, size: int) -> None:
        """Room for ``size`` words in the main array (grown in place by the allocator)."""
        if size <= len(self.main):
            return
        room = size + size // 32
        self.main.resize(room, refcheck=False)  # no views of it outlive a method
        if self.word.line_bits == 0:
            self.main_lines.resize(room, refcheck=False)

    def _into_main(self, w: NDArray[Any], lines: NDArray[Any] | None) -> None:
        """Merge a sorted run into the main array: appended when all its keys come after
        (keys numbered as first seen usually do), else in place from the back."""
        import numpy as np

        n, r = self.n, len(w)
        self._grow(n + r)
        main, apart = self.main, lines is not None
        if n == 0 or int(w[0]) > int(main[n - 1]):
            main[n : n + r] = w
            if lines is not None:
                self.main_lines[n : n + r] = lines
            self.n = n + r
            return
        # new word j goes before kept word below[j], after the new words before it
        below = np.searchsorted(main[:n], w)
        at = below + np.arange(r)
        # every kept word moves right by the number of new words below it (counted per block
        # from ``below``); blocks from the back never overwrite a word not yet moved
        hi = n
        while hi > 0:
            lo = max(0, hi - self.BLOCK)
            block = main[lo:hi].copy()
            c0, c1 = np.searchsorted(below, [lo, hi])
            shift = np.cumsum(np.bincount(below[c0:c1] - lo, minlength=hi - lo)) + c0
            dest = shift + np.arange(lo, hi)
            main[dest] = block
            if apart:
                self.main_lines[dest] = self.main_lines[lo:hi].copy()
            hi = lo
        main[at] = w
        if lines is not None:
            self.main_lines[at] = lines
        self.n = n + r

    @staticmethod
    def _repeats_within(
        cols: Sequence[NDArray[Any]], key: NDArray[Any] | None, rows: NDArray[Any]
    ) -> list[NDArray[Any]]:
        """Groups of ``rows`` (positions into them) that share a key: from the packed keys
        when there are (rows in key order, as files often are, have none), else by column."""
        import numpy as np

        if key is None:
            return duplicate_groups([c[rows] for c in cols])
        packed = key[rows]
        if len(packed) < 2 or bool(np.all(packed[1:] > packed[:-1])):
            return []
        return duplicate_groups([packed])

    # -- a batch --------------------------------------------------------------------------------

    def check(
        self, columns: Mapping[str, _Column], lines: NDArray[Any], path: str | None
    ) -> tuple[NDArray[Any] | None, list[Problem]]:
        """Drop this batch's repeats of keys seen before or within it; remember its keys.

        A key handed out earlier makes a later rating with the same code a warning ("repeated
        ... kept once") and one with another code an error (both dropped; the earlier rating
        stays, as it was already handed out). Within the batch, as
        :func:`~icmaps.ratings.checker.check_duplicates`. Returns the rows to keep (None: all)
        and the problems.
        """
        import numpy as np

        n = len(lines)
        if n == 0:
            return None, []
        cols = [self._global(j, columns[k]) for j, k in enumerate(KEYS)]
        code_col = columns["code"]
        code_ids = np.array(
            [self.codes.setdefault(v, len(self.codes)) for v in code_col.values], dtype=np.uint64
        )[_index(code_col)]
        self.code_values.extend(list(self.codes)[len(self.code_values) :])
        line_arr = np.asarray(lines, dtype=np.uint32)
        if self.slow is None:
            self._fit(int(line_arr.max()))
        drop = np.zeros(n, dtype=bool)
        problems: list[Problem] = []
        names = [columns[k].values for k in KEYS]
        key_idx = [columns[k].index for k in KEYS]

        def said(i: int, clash: bool, there: str | None, first: int) -> Problem:
            """Row ``i`` repeats a key first rated on line ``first`` (with code ``there``)."""
            what = _what([names[j][key_idx[j][i]] for j in range(4)])
            if not clash:
                return _repeat(path, int(lines[i]), what, first)
            here = code_col.values[code_col.index[i]]
            return _conflict(path, int(lines[i]), what, here=here, there=there, first=first)

        if self.slow is not None:
            tuples = list(zip(*(c.tolist() for c in cols), strict=True))
            hits = [self.slow.get(t) for t in tuples]
            found = np.array([h is not None for h in hits], dtype=bool)
            first_line = np.array([h[0] if h else 0 for h in hits], dtype=np.uint32)
            first_code = np.array([h[1] if h else 0 for h in hits], dtype=np.uint64)
            was_conflict = np.array([h[2] if h else False for h in hits], dtype=bool)
            key = None
        else:
            key = self.word.key(cols)
            found, first_line, first_code, was_conflict = self._lookup(key)
        for i in np.flatnonzero(found).tolist():
            drop[i] = True
            clash = bool(was_conflict[i] or code_ids[i] != first_code[i])
            there = self.code_values[int(first_code[i])]
            problems.append(said(i, clash, there, int(first_line[i])))
        new = np.flatnonzero(~found)
        conflict = np.zeros(n, dtype=bool)
        for g in self._repeats_within(cols, key, new):
            rows = new[g]
            first = int(rows[0])
            there = code_col.values[code_col.index[first]]
            clash = len(set(code_ids[rows].tolist())) > 1
            if clash:
                drop[rows] = True
                conflict[first] = True  # remembered, so later ratings of the key conflict too
            else:
                drop[rows[1:]] = True
            problems.extend(said(i, clash, there, int(lines[first])) for i in rows[1:].tolist())
        remember = np.flatnonzero(~found & (~drop | conflict))
        if self.slow is not None:
            for i in remember.tolist():
                self.slow[tuple(int(c[i]) for c in cols)] = (
                    int(line_arr[i]),
                    int(code_ids[i]),
                    bool(conflict[i]),
                )
        else:
            assert key is not None
            every = len(remember) == n  # (the usual batch: all new, no repeats)
            # (a copy: the caller's line buffer must not be held, or written through)
            kept_lines = line_arr.copy() if every else line_arr[remember]
            words = self.word.words(
                key if every else key[remember],
                code_ids if every else code_ids[remember],
                conflict if every else conflict[remember],
                kept_lines,
            )
            self._add(words, None if self.word.line_bits else kept_lines)
        return (np.flatnonzero(~drop) if drop.any() else None), problems
