"""Small-count suppression: figures resting on fewer than *k* subjects are not shown.

Ratings of teachers are personnel data; education agencies publish no count below a
minimum (commonly 5 to 15). With a minimum ``k``:

* **Primary suppression.** A figure is hidden (shown ``<k``) when it rests on 1 to k-1
  subjects: a count of ratings at a level or zone held by fewer than k subjects, or any
  count, share, mean, index or coefficient of a row (a component, group, occasion or value
  of a split) rated for fewer than k subjects. A zero is shown, unless it is part of a total
  on fewer than k subjects (then it would tell where all of them are).
* **Complementary suppression.** Figures that add up (a row's zones to its total, a group's
  components to the group, the values of a split to the whole) must not give a hidden
  figure back by subtraction. Whenever a hidden figure is the only unknown of such a sum,
  one more figure of that sum is hidden (shown ``*``): the smallest non-zero part, else
  the smallest part, else the total. This repeats until no sum has a single unknown that
  matters, across chains of sums too (a figure worked out from one sum counts as known in
  the next).

This is the usual rule of statistical agencies for published tables ("no total with one
suppressed cell"); it does not solve every system of equations a determined reader could
set up across many tables, which is why a minimum of 10 or more is advised for sharing
beyond the school (docs/privacy.md).

>>> p = Protection(5)
>>> for zone, n in [("ideal", 12), ("acceptable", 2), ("unacceptable", 9), ("rated", 23)]:
...     p.count(zone, n, subjects=n)
>>> p.adds_up("rated", ["ideal", "acceptable", "unacceptable"])
>>> mask = p.solve()
>>> [str(mask.show(zone, "shown")) for zone in ["ideal", "acceptable", "unacceptable", "rated"]]
['shown', '<5', '*', 'shown']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from icmaps._tabular import Suppressed
from icmaps.errors import UsageError

__all__ = ["Mask", "Protection", "Suppressed", "check_min_n"]

T = TypeVar("T")


def check_min_n(min_n: object) -> int | None:
    """``min_n`` as given to a statistic: None (no suppression) or an int of at least 2.

    >>> check_min_n(None), check_min_n(5)
    (None, 5)
    """
    if min_n is None:
        return None
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
        raise UsageError(f"min_n must be a whole number of at least 2 (got {min_n!r})")
    return min_n


@dataclasses.dataclass(frozen=True)
class Mask:
    """Which figures are hidden, and how they are shown: ``show(key, value)`` gives the
    value, or its :class:`Suppressed` marker."""

    k: int
    hidden: Mapping[Hashable, Suppressed]

    def show(self, key: Hashable, value: T) -> T | Suppressed:
        """``value``, or the marker standing in for it when the figure ``key`` is hidden."""
        return self.hidden.get(key, value)

    def is_hidden(self, key: Hashable) -> bool:
        """Whether the figure ``key`` is hidden."""
        return key in self.hidden

    def any_hidden(self, keys: Iterable[Hashable]) -> Suppressed | None:
        """The marker of the first hidden figure among ``keys`` (primary first), or None."""
        found = [self.hidden[k] for k in keys if k in self.hidden]
        if not found:
            return None
        return min(found, key=lambda s: s.complementary)

    @property
    def n_hidden(self) -> int:
        """How many figures are hidden."""
        return len(self.hidden)


class Protection:
    """Collects the figures of one output (their values and the subjects behind each) and
    the sums that tie them, then :meth:`solve` decides what to hide.

    Keys are any hashable; the same figure shown in two places must use one key.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self._value: dict[Hashable, float] = {}
        self._subjects: dict[Hashable, int] = {}
        self._shown: dict[Hashable, bool] = {}
        self._sums: list[tuple[Hashable, tuple[Hashable, ...]]] = []

    def count(self, key: Hashable, value: float, *, subjects: int, shown: bool = True) -> None:
        """A figure ``value`` resting on ``subjects`` subjects. ``shown=False``: a figure
        that is not printed but can be worked out (e.g. the subjects *not* meeting a rule
        when the total and those meeting it are printed); it is protected all the same."""
        self._value[key] = value
        self._subjects[key] = max(subjects, self._subjects.get(key, 0))
        self._shown[key] = shown or self._shown.get(key, False)

    def adds_up(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        """``total`` is the sum of ``parts`` (every key already given to :meth:`count`)."""
        parts = tuple(parts)
        for key in (total, *parts):
            if key not in self._value:
                raise KeyError(key)
        if parts:
            self._sums.append((total, parts))

    def solve(self) -> Mask:
        """Hide every figure on 1 to k-1 subjects, then every figure needed so that no hidden
        one can be worked out by subtraction."""
        k = self.k
        primary = {key for key, n in self._subjects.items() if 0 < n < k}
        # a total on fewer than k subjects hides every part, zeros too: "<5 ideal, 0
        # acceptable, 0 unacceptable" would say where every one of them is
        grown = True
        while grown:
            before = len(primary)
            for total, parts in self._sums:
                if total in primary:
                    primary.update(parts)
            grown = len(primary) > before
        hidden: dict[Hashable, Suppressed] = {
            key: Suppressed(k) for key in primary if self._shown[key]
        }
        # protected: what a reader must not learn (primary, and complements once chosen)
        protected = set(primary)
        while True:
            leak = self._first_leak(hidden, protected)
            if leak is None:
                break
            total, parts = leak
            extra = self._complement(total, parts, hidden)
            if extra is not None:
                hidden[extra] = Suppressed(k, complementary=True)
                protected.add(extra)
                continue
            # every other figure of this sum is worked out from other sums, not printed:
            # protect one of them, so that the sum it comes from gets a figure hidden
            derived = [m for m in (total, *parts) if m not in protected]
            if not derived:
                break
            protected.add(derived[0])
        return Mask(k, hidden)

    def _first_leak(
        self, hidden: Mapping[Hashable, Suppressed], protected: set[Hashable]
    ) -> tuple[Hashable, tuple[Hashable, ...]] | None:
        """A sum whose only unknown figure is protected, after working out every figure a
        reader can (chains of sums), or None."""
        known = {key for key, shown in self._shown.items() if shown and key not in hidden}
        changed = True
        while changed:
            changed = False
            for total, parts in self._sums:
                members = (total, *parts)
                unknown = [m for m in members if m not in known]
                if len(unknown) != 1:
                    continue
                if unknown[0] in protected:
                    return total, parts
                known.add(unknown[0])  # not sensitive: the reader may work it out
                changed = True
        return None

    def _complement(
        self, total: Hashable, parts: tuple[Hashable, ...], hidden: Mapping[Hashable, Suppressed]
    ) -> Hashable | None:
        candidates = [p for p in parts if self._shown[p] and p not in hidden]
        nonzero = [p for p in candidates if self._value[p]]
        if nonzero:
            return min(nonzero, key=lambda p: (self._value[p], str(p)))
        if candidates:
            return min(candidates, key=str)
        if self._shown[total] and total not in hidden:
            return total
        return None
