"""Ratings: one subject x component x rater x occasion -> a code (or missing), bound to a map.

A :class:`RatingSet` is immutable and columnar: every text column is interned (a tuple of
distinct values in first-seen order plus a compact integer array of indices), and the level of
each rating is a signed byte. A million ratings take a few bytes each.

>>> import icmaps
>>> m = icmaps.load_map("learning-school")
>>> c = m.all_components()[0].id
>>> rs = RatingSet.from_records(m, [
...     {"subject": "s1", "rater": "r1", "occasion": "fall", "component": c, "code": "2"},
...     {"subject": "s1", "rater": "r2", "occasion": "fall", "component": c, "code": "NA"},
...     {"subject": "s1", "rater": "r3", "occasion": "fall", "component": c, "code": ""}])
>>> [(r.rater, r.level, r.status) for r in rs]
[('r1', 1, 'rated'), ('r2', None, 'na'), ('r3', None, 'missing')]
"""

from __future__ import annotations

import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from icmaps._optional import import_pandas
from icmaps._table import Row, html_table
from icmaps._tabular import fmt_pct, plural
from icmaps.errors import NotFoundError, Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.ratings.columns import (
    BASE_COLUMNS,
    LEVEL_MISSING,
    LEVEL_NA,
    TEXT_COLUMNS,
    Status,
    _Column,
    _intern,
    _typecode,
    as_array,
    as_numpy,
)

if TYPE_CHECKING:
    import pandas

    from icmaps.ratings.occasions import OccasionOrder, Period

__all__ = ["Rating", "RatingSet", "ReadResult"]


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating, decoded.

    ``code`` is exactly as in the map (a level or special code), ``None`` when blank.
    ``level`` is the desired-first level index used in aggregates (a special code counting as
    ``lowest`` gets the last level), ``None`` when the rating does not count.
    """

    subject: str
    rater: str
    occasion: str
    component: str
    code: str | None
    role: str | None = None
    attrs: Mapping[str, str | None] = field(default_factory=dict)
    level: int | None = None
    status: Status = "missing"


class RatingSet:
    """Ratings checked against one map; immutable and columnar.

    Build one with :func:`icmaps.read_ratings` or :meth:`from_records`.
    """

    __slots__ = ("_attrs", "_cols", "_levels", "_map")

    def __init__(
        self,
        map: Map,
        columns: Mapping[str, _Column],
        levels: array.array[int],
        attributes: Sequence[str] = (),
    ) -> None:
        """Internal: use :func:`icmaps.read_ratings` or :meth:`from_records`."""
        self._map = map
        self._cols = dict(columns)
        self._levels = levels
        self._attrs = tuple(attributes)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        map: Map,
        values: Mapping[str, Sequence[str | None]],
        *,
        attributes: Sequence[str] = (),
    ) -> RatingSet:
        """Build from per-row values (``subject``, ``rater``, ``occasion``, ``component``,
        ``role``, ``code`` and each attribute; ``role``, ``code`` and attributes may be
        left out: blank).

        Values run through the same checker as :func:`icmaps.read_ratings` (once per
        distinct value); any problem raises :class:`~icmaps.errors.RatingsError` naming the
        first row (1-based) of each bad value. Repeated keys are not looked for: use
        :meth:`from_records` or :func:`icmaps.read_ratings` for that.

        >>> import icmaps
        >>> m = icmaps.load_map("learning-school")
        >>> cols = {"subject": ["s", "s"], "rater": ["r", "q"], "occasion": ["o", "o"],
        ...         "component": ["al-teacher-routine"] * 2, "code": ["2", None]}
        >>> [r.status for r in RatingSet.from_columns(m, cols)]
        ['rated', 'missing']
        >>> try:
        ...     RatingSet.from_columns(m, {**cols, "code": ["2", "9"]})
        ... except icmaps.RatingsError as e:
        ...     print(e.problems[0].message[:44])
        row 2: code '9' is not allowed for component
        """

        from icmaps.ratings.checker import judge

        problems = []
        for name in ("subject", "rater", "occasion", "component"):
            if name not in values:
                problems.append(Problem(None, None, None, f"no {name!r} column"))
        lengths = {name: len(seq) for name, seq in values.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            problems.append(Problem(None, None, None, f"columns differ in length ({shown})"))
        if problems:
            raise RatingsError(problems)
        n = len(values["component"])
        cols: dict[str, _Column] = {}
        for name in (*BASE_COLUMNS, *attributes):
            seq = values.get(name)
            cols[name] = _intern([None] * n if seq is None else seq)
        verdict = judge(  # attributes too: their characters and length are checked
            map,
            {name: cols[name].values for name in cols},
            {name: _indices(cols[name]) for name in cols},
        )
        if verdict.findings:
            firsts = verdict.first_rows()
            for i, f in enumerate(verdict.findings):
                row, count = firsts[i]
                more = f" (and {count - 1} more rows)" if count > 1 else ""
                problems.append(
                    Problem(None, None, None, f"row {row + 1}: {f.message}{more}", value=f.value)
                )
            raise RatingsError(problems)
        levels = as_array("b", verdict.levels)
        return cls(map, cols, levels, attributes)

    @classmethod
    def from_records(cls, map: Map, records: Iterable[Mapping[str, str | None]]) -> RatingSet:
        """Build from dicts with keys subject, rater, occasion, component, code (optional
        role and any attributes), checking each like :func:`icmaps.read_ratings` does.

        Raises :class:`~icmaps.errors.RatingsError` with every problem (``line`` is the
        1-based record number).
        """
        from icmaps.ratings.checker import check, check_duplicates
        from icmaps.ratings.engines import rows_engine

        rows = list(records)
        keys: list[str] = []
        for r in rows:
            for k in r:
                if k not in keys:
                    keys.append(k)
        cells = ([None if r.get(k) is None else str(r.get(k)) for k in keys] for r in rows)
        ((layout, raw),) = rows_engine(
            map,
            keys,
            enumerate(cells, 1),
            path="<records>",
            columns=False,
            chunk_rows=2**62,
            skip_empty=False,  # an empty record is a mistake of the caller, not a cleared row
        )
        checked = check(map, layout, raw)
        ratings = cls(map, checked.columns, checked.levels, checked.attrs)
        keep, repeated = check_duplicates(checked.columns, checked.lines, checked.path)
        problems = (*checked.problems, *repeated)
        if any(p.severity == "error" for p in problems):
            raise RatingsError(problems)
        return ratings if keep is None else ratings._take(keep.tolist())

    @classmethod
    def from_arrow(cls, map: Map, table: Any) -> RatingSet:
        """Build from an Arrow table (``pyarrow.Table`` or ``RecordBatch``; a polars
        DataFrame's ``.to_arrow()``, DuckDB's ``.arrow()``) with the columns of a ratings
        file, checking each rating like :func:`icmaps.read_ratings` (one checker; problems
        name the row, 1-based). Dictionary columns are read through their dictionary, never
        decoded per row. Needs pyarrow (``pip install 'icmaps[fast]'``).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> RatingSet.from_arrow(rs.map, rs.to_arrow()) == rs
        True
        """
        from icmaps._optional import require
        from icmaps.ratings.checker import check, check_duplicates, check_texts
        from icmaps.ratings.engines import arrow_engine_batches

        pa = require("pyarrow", "RatingSet.from_arrow needs pyarrow", extra="fast")
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if not isinstance(table, pa.Table):
            raise UsageError(f"from_arrow takes a pyarrow Table, not {type(table).__name__}")
        chunks = arrow_engine_batches(
            table.to_batches(), table.schema.names, map, "<arrow>", chunk_rows=2**62
        )
        parts = [check(map, layout, raw) for layout, raw in chunks]
        problems = [p for c in parts for p in c.problems]
        whole = [cls(map, c.columns, c.levels, c.attrs) for c in parts]
        ratings = whole[0] if len(whole) == 1 else _concat(whole)
        lines = array.array("I")
        for c in parts:
            lines.extend(c.lines)
        keep, repeated = check_duplicates(ratings._cols, lines, "<arrow>")
        if keep is not None:
            ratings = ratings._take(keep.tolist())
            lines = array.array("I", [lines[i] for i in keep.tolist()])
        keep, too_long = check_texts(ratings, lines, "<arrow>")
        problems += [*repeated, *too_long]
        if any(p.severity == "error" for p in problems):
            raise RatingsError(sorted(problems, key=Problem.sort_key))
        return ratings if keep is None else ratings._take(keep.tolist())

    # -- basic protocol ---------------------------------------------------------------------

    @property
    def map(self) -> Map:
        """The map the ratings were checked against."""
        return self._map

    @property
    def attributes(self) -> tuple[str, ...]:
        """Names of the subject attribute columns (what ratings can be grouped by); note and
        evidence text columns are not attributes (see :attr:`text_columns`)."""
        return tuple(a for a in self._attrs if a not in TEXT_COLUMNS)

    @property
    def text_columns(self) -> tuple[str, ...]:
        """Names of the free-text columns kept with each rating (``note``, ``evidence``)."""
        return tuple(a for a in self._attrs if a in TEXT_COLUMNS)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Every column beyond the base ones, as read: attributes and text columns."""
        return self._attrs

    def __len__(self) -> int:
        return len(self._levels)

    def __iter__(self) -> Iterator[Rating]:
        cols = {name: col.decode() for name, col in self._cols.items()}
        for i, lv in enumerate(self._levels):
            status: Status = "rated" if lv >= 0 else "na" if lv == LEVEL_NA else "missing"
            yield Rating(
                subject=str(cols["subject"][i]),
                rater=str(cols["rater"][i]),
                occasion=str(cols["occasion"][i]),
                component=str(cols["component"][i]),
                code=cols["code"][i],
                role=cols["role"][i],
                attrs={a: cols[a][i] for a in self._attrs},
                level=lv if lv >= 0 else None,
                status=status,
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RatingSet):
            return NotImplemented
        return (
            (self._map.id, self._map.version) == (other._map.id, other._map.version)
            and self._attrs == other._attrs
            and all(self.column(c) == other.column(c) for c in (*BASE_COLUMNS, *self._attrs))
        )

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: RatingSet) -> RatingSet:
        """Concatenate two sets of ratings of the same map (attributes are united)."""
        if not isinstance(other, RatingSet):
            return NotImplemented
        if (self._map.id, self._map.version) != (other._map.id, other._map.version):
            raise UsageError(
                f"cannot add ratings of map {other._map.id!r} v{other._map.version} to ratings "
                f"of {self._map.id!r} v{self._map.version}"
            )
        return _concat([self, other])

    def __repr__(self) -> str:
        return (
            f"<RatingSet of {self._map.id!r}: {plural(len(self), 'rating')}, "
            f"{plural(len(self.categories('subject')), 'subject')}, "
            f"{plural(len(self.categories('rater')), 'rater')}, "
            f"{plural(len(self.categories('occasion')), 'occasion')}>"
        )

    def _repr_html_(self) -> str:
        """Counts, % missing / N/A and the first rows, for Jupyter (needs jinja2)."""
        return _ratings_html(self)

    # -- columns ---------------------------------------------------------------------------

    def _col(self, name: str) -> _Column:
        try:
            return self._cols[name]
        except KeyError:
            known = ", ".join((*BASE_COLUMNS, *self._attrs))
            raise NotFoundError(f"no column {name!r} (columns: {known})") from None

    def column(self, name: str) -> list[str | None]:
        """Per-row values of a column (subject, rater, occasion, component, role, code or an
        attribute)."""
        return self._col(name).decode()

    def categories(self, name: str) -> tuple[str | None, ...]:
        """Distinct values of a column in first-seen order."""
        return self._col(name).values

    def occasion_order(self, occasions: Sequence[str] | None = None) -> OccasionOrder:
        """The occasions of these ratings in time order: ``occasions`` when given (each
        once), else sorted by their labels when all are dates or year-term labels, else in
        the order they first appear (see :mod:`icmaps.ratings.occasions`; its ``warning``
        says so).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> rs.occasion_order().occasions
        ('2025-fall', '2026-spring')
        """
        from icmaps.ratings.occasions import order_occasions

        found = [str(o) for o in self.categories("occasion") if o is not None]
        return order_occasions(found, occasions)

    def in_periods(self, period: Period | Mapping[str, str]) -> RatingSet:
        """The same ratings with each occasion replaced by its period: ``"month"``,
        ``"term"`` (fall Aug-Dec, spring Jan-May, summer Jun-Jul) or ``"year"`` (school year,
        August to July) of dated occasions, or a mapping occasion -> period. Monthly
        walkthroughs rolled up this way compare term against term.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> rs.in_periods("year").categories("occasion")
        ('2025-26',)
        """
        from icmaps.ratings.occasions import periods

        col = self._col("occasion")
        found = [str(v) for v in col.values if v is not None]
        to = periods(found, period)
        new_values: list[str | None] = []
        index_of: dict[str | None, int] = {}
        remap = []
        for v in col.values:
            p = None if v is None else to[str(v)]
            if p not in index_of:
                index_of[p] = len(new_values)
                new_values.append(p)
            remap.append(index_of[p])
        import numpy as np

        index = np.asarray(remap, dtype=np.int64)[as_numpy(col.index)]
        cols = dict(self._cols)
        cols["occasion"] = _Column.from_indices(new_values, index)
        return RatingSet(self._map, cols, self._levels, self._attrs)

    def codes_of(self, name: str) -> array.array[int]:
        """Per-row index into :meth:`categories` of a column (a compact unsigned array)."""
        return self._col(name).index

    def levels(self) -> array.array[int]:
        """Per-row signed byte: >= 0 desired-first level index (special codes counting as
        lowest already mapped to the last level), ``LEVEL_MISSING`` (-1) or ``LEVEL_NA`` (-2).
        """
        return self._levels

    def nbytes(self) -> int:
        """Bytes held by the per-row arrays (the categories are shared and small)."""
        total = self._levels.itemsize * len(self._levels)
        return total + sum(c.index.itemsize * len(c.index) for c in self._cols.values())

    # -- selection --------------------------------------------------------------------------

    def _take(self, keep: Sequence[int]) -> RatingSet:
        """The ratings at these row positions: indices and levels are picked, not re-derived."""
        cols = {name: col.take(keep) for name, col in self._cols.items()}
        if len(keep) > 10_000:
            import numpy as np

            picked = as_numpy(self._levels)[np.asarray(keep, dtype=np.int64)]
            levels = as_array("b", picked)
        else:
            levels = array.array("b", [self._levels[i] for i in keep])
        return RatingSet(self._map, cols, levels, self._attrs)

    def filter(self, **criteria: str | Iterable[str | None] | None) -> RatingSet:
        """Ratings whose columns match: a value, or any of several values.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> fall = rs.filter(occasion="2025-fall")
        >>> set(fall.column("occasion"))
        {'2025-fall'}
        """
        import numpy as np

        keep = np.ones(len(self), dtype=bool)
        for name, wanted in criteria.items():
            col = self._col(name)
            allowed = {wanted} if wanted is None or isinstance(wanted, str) else set(wanted)
            ok = np.asarray([v in allowed for v in col.values] or [False], dtype=bool)
            keep &= ok[as_numpy(col.index)]
        return self._take(np.flatnonzero(keep).tolist())

    def for_role(self, role: str) -> RatingSet:
        """Ratings as one role sees them: components that apply to ``role``, rated for that
        role (or with no role given). Raises :class:`NotFoundError` for an unknown role.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> set(rs.for_role("principal").column("role"))
        {'principal'}
        """
        self._map.role(role)
        comps = [c for c in self.categories("component") if self._map.applies_to(str(c), role)]
        criteria: dict[str, str | Iterable[str | None] | None] = {"component": comps}
        if self.has_roles():
            criteria["role"] = [role, None]
        return self.filter(**criteria)

    def where(self, predicate: Callable[[Rating], bool]) -> RatingSet:
        """Ratings for which ``predicate(rating)`` is true."""
        return self._take([i for i, r in enumerate(self) if predicate(r)])

    # -- export ----------------------------------------------------------------------------

    def to_records(self) -> list[dict[str, Any]]:
        """Plain dicts, one per rating (what :meth:`from_records` takes back)."""
        cols = {name: col.decode() for name, col in self._cols.items()}
        names = [n for n in (*BASE_COLUMNS, *self._attrs) if n != "role" or self.has_roles()]
        return [{n: cols[n][i] for n in names} for i in range(len(self))]

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` with the columns of a long ratings file (``role`` when some
        rating has one, then the attributes and texts), each a dictionary column straight
        from the interned one: nothing is decoded. polars (``pl.from_arrow``), DuckDB and
        pandas (``.to_pandas()``) read it without copying. Needs pyarrow.

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> t = rs.to_arrow()
        >>> t.num_rows == len(rs), t.column_names[:5]
        (True, ['subject', 'rater', 'occasion', 'component', 'code'])
        >>> str(t.schema.field("code").type)
        'dictionary<values=string, indices=int32, ordered=0>'
        """
        from icmaps._optional import require

        pa = require("pyarrow", "RatingSet.to_arrow needs pyarrow", extra="fast")
        import numpy as np

        names = ["subject", "rater", "occasion", "component", "code"]
        names += (["role"] if self.has_roles() else []) + list(self._attrs)
        arrays = []
        for name in names:
            col = self._cols[name]
            values = list(col.values)
            index = as_numpy(col.index).astype(np.int32)
            mask = None
            if None in values:  # blank: a null, not a value of the dictionary
                at = values.index(None)
                mask = index == at
                index = np.where(index > at, index - 1, index).astype(np.int32)
                index[mask] = 0
                values.pop(at)
            indices = pa.array(index, type=pa.int32(), mask=mask)
            dictionary = pa.array(values, type=pa.string())
            arrays.append(pa.DictionaryArray.from_arrays(indices, dictionary))
        return pa.Table.from_arrays(arrays, names=names)

    def has_roles(self) -> bool:
        """Whether any rating names a role."""
        return any(v is not None for v in self._cols["role"].values)

    def to_pandas(self) -> pandas.DataFrame:
        """A DataFrame with categorical columns plus ``level`` and ``status`` (needs pandas).

        >>> import icmaps
        >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
        >>> list(rs.to_pandas().columns)[:5]
        ['subject', 'rater', 'occasion', 'component', 'role']
        """
        pd = import_pandas()
        data: dict[str, Any] = {}
        for name in (*BASE_COLUMNS, *self._attrs):
            col = self._cols[name]
            cats = [v for v in col.values if v is not None]
            none_at = col.values.index(None) if None in col.values else -1
            codes = [
                -1 if i == none_at else (i if none_at < 0 or i < none_at else i - 1)
                for i in col.index
            ]
            data[name] = pd.Categorical.from_codes(codes, categories=cats)
        lv = list(self._levels)
        data["level"] = pd.array([x if x >= 0 else None for x in lv], dtype="Int8")
        data["status"] = pd.Categorical(
            ["rated" if x >= 0 else "na" if x == LEVEL_NA else "missing" for x in lv],
            categories=["rated", "na", "missing"],
        )
        return pd.DataFrame(data)


def _ratings_html(ratings: RatingSet, *, first: int = 5) -> str:
    """A RatingSet as a small HTML table (what Jupyter shows): counts of rows, subjects,
    raters, occasions and components, % missing and % N/A, and the first rows.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> "subjects" in rs._repr_html_()
    True
    """
    levels = ratings.levels()
    n = len(ratings)
    missing = sum(1 for lv in levels if lv == LEVEL_MISSING)
    na = sum(1 for lv in levels if lv == LEVEL_NA)
    facts: list[tuple[str, object]] = [
        ("map", f"{ratings.map.id} v{ratings.map.version}"),
        ("rows", n),
        ("subjects", len(ratings.categories("subject"))),
        ("raters", len(ratings.categories("rater"))),
        ("occasions", len(ratings.categories("occasion"))),
        ("components", len(ratings.categories("component"))),
        ("missing", fmt_pct(100 * missing / n if n else None, unit="%", none="–")),
        ("N/A", fmt_pct(100 * na / n if n else None, unit="%", none="–")),
    ]
    names = ["subject", "rater", "occasion", "component", "role", "code", *ratings.attributes]
    if not ratings.has_roles():
        names.remove("role")
    rows = []
    for i, r in enumerate(ratings):
        if i >= first:
            break
        record: dict[str, str | None] = {"subject": r.subject, "rater": r.rater}
        record |= {"occasion": r.occasion, "component": r.component}
        record |= {"role": r.role, "code": r.code}
        rows.append(Row(tuple([record.get(k, r.attrs.get(k)) for k in names])))
    return html_table("RatingSet", facts, names, rows)


@dataclass(frozen=True)
class ReadResult:
    """Ratings that passed every check, and the problems of the rest."""

    ratings: RatingSet
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)


def _indices(col: _Column) -> Any:
    """A column's per-row indices as a numpy view (no copy)."""
    return as_numpy(col.index)


def _first_seen(idx: Any, n_values: int) -> bool:
    """Whether indices use every one of ``n_values`` categories, numbered as first seen."""
    import numpy as np

    if not len(idx):
        return n_values == 0
    top = np.maximum.accumulate(idx)
    return (
        int(idx[0]) == 0 and int(top[-1]) == n_values - 1 and bool((idx[1:] <= top[:-1] + 1).all())
    )


def _concat(parts: Sequence[RatingSet], *, first_seen: bool = False) -> RatingSet:
    """Ratings of the same map one after another (attributes united, blank where a part lacks
    one), each column's categories in first-seen order: the parts' indices are renumbered
    through small lookup tables, no value is decoded. ``first_seen=True`` promises that every
    part's categories are all used and in first-seen order (as the checker makes them), which
    saves checking it."""
    import numpy as np

    first = parts[0]
    for p in parts[1:]:
        if not isinstance(p, RatingSet):
            raise UsageError(f"cannot add {type(p).__name__} to ratings")
        if (first._map.id, first._map.version) != (p._map.id, p._map.version):
            raise UsageError(
                f"cannot add ratings of map {p._map.id!r} v{p._map.version} to ratings "
                f"of {first._map.id!r} v{first._map.version}"
            )
    attrs = list(first._attrs)
    for p in parts[1:]:
        attrs += [a for a in p._attrs if a not in attrs]
    cols: dict[str, _Column] = {}
    for name in (*BASE_COLUMNS, *attrs):
        lookup: dict[str | None, int] = {}
        pieces = []
        for p in parts:
            if not len(p):
                continue
            col = p._cols.get(name)
            if col is None:  # an attribute this part lacks: blank
                pieces.append(
                    np.full(len(p), lookup.setdefault(None, len(lookup)), dtype=np.uint32)
                )
                continue
            remap = np.array(
                [lookup.setdefault(v, len(lookup)) for v in col.values], dtype=np.uint32
            )
            pieces.append(remap[_indices(col)])
        idx = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint32)
        values = list(lookup)
        if first_seen or _first_seen(idx, len(values)):
            code = _typecode(len(values))
            cols[name] = _Column(values, as_array(code, idx))
        else:  # a part with unused or reordered categories
            cols[name] = _Column.from_indices(values, idx)
    levels = array.array("b")
    for p in parts:
        levels.extend(p._levels)
    return RatingSet(first._map, cols, levels, attrs)
