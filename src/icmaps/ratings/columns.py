"""Interned (categorical) columns and level codes shared by the ratings layer."""

from __future__ import annotations

import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from icmaps.maps.model import Map

if TYPE_CHECKING:
    pass

__all__ = [
    "BASE_COLUMNS",
    "HELPER_COLUMNS",
    "LEVEL_MISSING",
    "LEVEL_NA",
    "MAX_COLUMNS",
    "MAX_TEXT_CHARS",
    "MAX_VALUE_CHARS",
    "RATING_ATTRIBUTES",
    "TEXT_COLUMNS",
    "Status",
    "as_array",
    "as_numpy",
]


BASE_COLUMNS = ("subject", "rater", "occasion", "component", "role", "code")
"""Columns every rating has (role and code may be empty)."""


TEXT_COLUMNS = ("note", "evidence")
"""Columns of free text kept with each rating (why this rating, what was seen): stored and
written like any column, but never an attribute to group by."""

RATING_ATTRIBUTES = ("source",)
"""Attributes of a rating, not of its subject (who rated: self, observer, ...): ratings can be
grouped and compared by them, and they may differ between a subject's rows."""

HELPER_COLUMNS = ("component title",)
"""Columns a rating template carries for the rater's eyes only (with ``variation 1``,
``variation 2`` ...): never read as an attribute."""


def is_helper_column(name: str) -> bool:
    """Whether a header name is a template's column for reading only.

    >>> is_helper_column("Component title"), is_helper_column("variation 3")
    (True, True)
    >>> is_helper_column("district")
    False
    """
    low = name.strip().lower()
    return low in HELPER_COLUMNS or (
        low.startswith("variation ") and low.removeprefix("variation ").isdigit()
    )


MAX_TEXT_CHARS = 2000
"""Longest note or evidence text a rating may carry (longer is an error, with its line)."""

MAX_VALUE_CHARS = 1000
"""Longest value of any other column (a subject's name, a district, a code): longer is an
error, with its line and column (a workbook cell or a Parquet value can hold megabytes)."""

MAX_COLUMNS = 1000
"""Most columns (or JSON Lines keys) a ratings file may have: a wide file has one per
component, and the largest map has well under a hundred."""


LEVEL_MISSING = -1
"""Level value of a rating left blank (or a special code that counts as missing)."""


LEVEL_NA = -2
"""Level value of a rating with a special code that is excluded (N/A)."""


Status = Literal["rated", "na", "missing"]


def _typecode(n: int) -> str:
    """Smallest unsigned array type that indexes ``n`` categories."""
    return "B" if n <= 0xFF else "H" if n <= 0xFFFF else "I"


class _Column:
    """An interned column: distinct values in first-seen order and per-row indices."""

    __slots__ = ("index", "values")

    def __init__(self, values: Sequence[str | None], index: array.array[int]) -> None:
        self.values = tuple(values)
        self.index = index

    def decode(self) -> list[str | None]:
        vals = self.values
        return [vals[i] for i in self.index]

    @classmethod
    def from_indices(cls, values: Sequence[str | None], index: Any) -> _Column:
        """A column from category indices (a numpy integer array) into ``values``; unused
        categories dropped and the rest renumbered in first-seen order."""
        import numpy as np

        index = np.asarray(index)
        n = len(index)
        # first row of each category, in linear time (categories are few next to rows)
        first = np.full(len(values), n, dtype=np.int64)
        np.minimum.at(first, index, np.arange(n, dtype=np.int64))
        used = np.flatnonzero(first < n)
        by_first = used[np.argsort(first[used], kind="stable")]
        rank = np.zeros(len(values), dtype=np.int64)
        rank[by_first] = np.arange(len(by_first))
        kept = [values[old] for old in by_first.tolist()]
        code = _typecode(len(kept))
        return cls(kept, as_array(code, rank[index]))

    def take(self, rows: Sequence[int]) -> _Column:
        """The column for these rows only; categories no kept row uses are dropped and the
        rest renumbered in first-seen order (as interning the kept values afresh would)."""
        index = self.index
        if len(rows) > 10_000:  # the same renumbering, vectorised
            import numpy as np

            chosen = as_numpy(index)[np.asarray(rows, dtype=np.int64)]
            return _Column.from_indices(self.values, chosen)
        remap: dict[int, int] = {}
        picked = [remap.setdefault(index[i], len(remap)) for i in rows]
        values = [self.values[old] for old in remap]
        return _Column(values, array.array(_typecode(len(values)), picked))


def as_array(typecode: str, values: Any) -> array.array[int]:
    """A numpy array as an ``array.array`` of ``typecode`` (cast to its item type first if
    need be), copied once: ``tobytes`` would copy twice.

    >>> import numpy as np
    >>> as_array("H", np.array([3, 1]))
    array('H', [3, 1])
    """
    import numpy as np

    dtype = {"B": "u1", "H": "u2", "I": "u4", "L": "u8", "b": "i1"}[typecode]
    out = array.array(typecode)
    # (a byte view: array.frombytes takes no typed buffer)
    out.frombytes(np.ascontiguousarray(values, dtype=dtype).data.cast("B"))
    return out


def as_numpy(a: array.array[int]) -> Any:
    """An interned index or level array as a numpy view in its own small dtype (no copy).

    >>> as_numpy(array.array("H", [3, 1])).tolist()
    [3, 1]
    """
    import numpy as np

    return np.frombuffer(
        a, dtype={"B": "u1", "H": "u2", "I": "u4", "L": "u8", "b": "i1"}[a.typecode]
    )


def level_table(m: Map) -> dict[str, dict[str, int]]:
    """Per component id: code -> level value (>= 0 level, LEVEL_MISSING or LEVEL_NA)."""
    table: dict[str, dict[str, int]] = {}
    for c in m.iter_components():
        scale = m.scale_of(c.id)
        codes = {lv.code: i for i, lv in enumerate(scale.desired())}
        last = len(scale.levels) - 1
        for sp in scale.special:
            codes[sp.code] = {"excluded": LEVEL_NA, "lowest": last, "missing": LEVEL_MISSING}[
                sp.counts
            ]
        table[c.id] = codes
    return table


def _intern(seq: Sequence[str | None]) -> _Column:
    lookup: dict[str | None, int] = {}
    idx = [lookup.setdefault(v, len(lookup)) for v in seq]
    return _Column(list(lookup), array.array(_typecode(len(lookup)), idx))
