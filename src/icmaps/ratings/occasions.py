"""The time order of occasions: given, read from the labels, or (with a warning) file order.

Growth is only meaningful in time order, and the order rows first appear in a file is not a
time order (a sheet sorted newest first, spring rows pasted above fall). Occasions are
ordered, in this order of preference, by:

1. an explicit order (``occasions=[...]``, CLI ``--occasions a,b,c``);
2. their labels, when every label is a date (``2025-10-01``, ``2025-10``) or a year and a
   term (``2025-fall``, ``fall 2025``, ``2026-spring``, ``2025-26 T1``, ``2025-S2``,
   ``2025 Q3``): sorted in time;
3. otherwise the order they first appear in the ratings, with a warning that says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from icmaps.errors import NotFoundError, UsageError

__all__ = ["OccasionOrder", "Period", "order_occasions", "period_of", "periods", "time_of"]

Basis = Literal["given", "dates", "file"]

_SEASONS = {"winter": 0.0, "spring": 0.25, "summer": 0.5, "fall": 0.75, "autumn": 0.75}
_TERM_KINDS = {"t": 3, "term": 3, "s": 2, "sem": 2, "semester": 2, "q": 4, "quarter": 4}

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?")
_SEASON_FIRST = re.compile(r"(winter|spring|summer|fall|autumn)[\s_-]*(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[\s_-]*(winter|spring|summer|fall|autumn)")
# an academic year (2025-26, 2025/2026) or a calendar year, then a term, semester or quarter
_TERM = re.compile(
    r"(\d{4})(?:[-/](\d{2}|\d{4}))?[\s_-]*(t|term|s|sem|semester|q|quarter)[\s_-]*(\d)"
)


def time_of(label: str) -> float | None:
    """A point in time (in years) for an occasion label, or None when the label is not a
    date or a year-and-term label.

    >>> [time_of(x) for x in ("2025-fall", "fall 2025", "2026-spring")]
    [2025.75, 2025.75, 2026.25]
    >>> time_of("2025-10-01") < time_of("2025-26 T2") < time_of("2026-spring")
    True
    >>> time_of("2025-26") < time_of("2026-27")  # school years, as periods of a year
    True
    >>> time_of("baseline") is None
    True
    """
    text = label.strip().lower()
    found = _DATE.fullmatch(text)
    if found:
        year, month, day = int(found[1]), int(found[2]), int(found[3] or 1)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return year + (month - 1) / 12 + (day - 1) / 372
        if found[3] is None and len(found[2]) == 2 and int(found[2]) == (year + 1) % 100:
            return year + 8 / 12  # a school year, 2025-26 (as period_of writes them)
        return None
    found = _SEASON_FIRST.fullmatch(text)
    if found:
        return int(found[2]) + _SEASONS[found[1]]
    found = _YEAR_FIRST.fullmatch(text)
    if found:
        return int(found[1]) + _SEASONS[found[2]]
    found = _TERM.fullmatch(text)
    if found:
        year, second, kind, n = int(found[1]), found[2], found[3], int(found[4])
        parts = _TERM_KINDS[kind]
        if not 1 <= n <= parts:
            return None
        if second is None:  # a calendar year cut into terms
            return year + (n - 1) / parts
        end = int(second) if len(second) == 4 else year // 100 * 100 + int(second)
        if end != year + 1:
            return None
        # a school year runs September to June: its terms split those ten months
        return year + 8 / 12 + (n - 1) / parts * (10 / 12)
    return None


@dataclasses.dataclass(frozen=True)
class OccasionOrder:
    """Occasions in time order, and how that order was found (``given``, ``dates`` for
    labels read as dates or terms, or ``file``: first appearance in the ratings)."""

    occasions: tuple[str, ...]
    basis: Basis

    @property
    def warning(self) -> str | None:
        """What to tell the user when the order is only the file's (None otherwise).

        >>> order_occasions(["post", "pre"]).warning.startswith("occasions are in file order")
        True
        """
        if self.basis != "file" or len(self.occasions) < 2:
            return None
        shown = ", ".join(self.occasions[:6]) + (" ..." if len(self.occasions) > 6 else "")
        return (
            f"occasions are in file order ({shown}): they are not dates or year-term labels; "
            "give the time order with occasions=[...] (CLI: --occasions a,b,c)"
        )

    def before(self, occasion: str) -> str | None:
        """The occasion just before ``occasion`` in time (None for the first).

        >>> order_occasions(["2026-spring", "2025-fall"]).before("2026-spring")
        '2025-fall'
        """
        i = self.occasions.index(occasion)
        return self.occasions[i - 1] if i else None


def order_occasions(found: Sequence[str], given: Sequence[str] | None = None) -> OccasionOrder:
    """The time order of the occasions ``found`` in some ratings (in the order they first
    appear): ``given`` when set (it must name each of them once), else sorted by their
    labels when every label is a date or year-term label, else as found.

    >>> order_occasions(["2026-spring", "2025-fall"]).occasions
    ('2025-fall', '2026-spring')
    >>> order_occasions(["b", "a"], given=["a", "b"]).occasions
    ('a', 'b')
    >>> order_occasions(["pre", "post"]).basis
    'file'
    """
    found = tuple(found)
    if given is not None:
        if isinstance(given, str):
            raise UsageError("occasions must be a list of occasion names, e.g. ['fall', 'spring']")
        given = tuple(given)
        unknown = [o for o in given if o not in found]
        if unknown:
            raise NotFoundError(
                f"occasions: no ratings on {', '.join(map(repr, unknown))} "
                f"(occasions in the ratings: {', '.join(found) or 'none'})"
            )
        twice = sorted({o for o in given if given.count(o) > 1})
        left_out = [o for o in found if o not in given]
        if twice or left_out:
            problem = (
                f"names {', '.join(map(repr, twice))} twice"
                if twice
                else f"leaves out {', '.join(map(repr, left_out))}"
            )
            raise UsageError(f"occasions: the order {problem}; name every occasion once")
        return OccasionOrder(given, "given")
    times = [time_of(o) for o in found]
    if found and all(t is not None for t in times):
        # stable: labels that fall on one point in time keep their file order
        ordered = sorted(range(len(found)), key=lambda i: times[i] or 0.0)
        return OccasionOrder(tuple(found[i] for i in ordered), "dates")
    return OccasionOrder(found, "file")


Period = Literal["month", "term", "year"]
"""How dated occasions roll up: calendar month, school term (fall Aug-Dec, spring Jan-May,
summer Jun-Jul) or school year (August to July)."""

_TERM_OF_MONTH = (
    dict.fromkeys(range(1, 6), "spring")
    | {6: "summer", 7: "summer"}
    | dict.fromkeys(range(8, 13), "fall")
)


def period_of(label: str, period: Period) -> str | None:
    """The period a dated occasion falls in (None when the label is not a date; for
    ``year``, year-term labels count too).

    >>> [period_of("2025-10-07", p) for p in ("month", "term", "year")]
    ['2025-10', '2025-fall', '2025-26']
    >>> period_of("2026-03", "term"), period_of("2026-spring", "year"), period_of("pre", "month")
    ('2026-spring', '2025-26', None)
    """
    text = label.strip().lower()
    found = _DATE.fullmatch(text)
    if found:
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12:
            return None
        if period == "month":
            return f"{year}-{month:02d}"
        if period == "term":
            return f"{year}-{_TERM_OF_MONTH[month]}"
        start = year if month >= 8 else year - 1
        return f"{start}-{(start + 1) % 100:02d}"
    if period == "year":
        t = time_of(label)
        if t is not None:  # a year-term label: the school year it falls in
            start = int(t) if t - int(t) >= 7 / 12 else int(t) - 1
            return f"{start}-{(start + 1) % 100:02d}"
    return None


def periods(found: Sequence[str], period: Period | Mapping[str, str]) -> dict[str, str]:
    """Occasion -> period for every occasion ``found``: by ``period`` (each must be a date,
    or for ``year`` a year-term label) or by a mapping (it must name each occasion).

    >>> periods(["2025-09-03", "2025-10-01", "2026-02-11"], "term")
    {'2025-09-03': '2025-fall', '2025-10-01': '2025-fall', '2026-02-11': '2026-spring'}
    """
    if isinstance(period, Mapping):
        missing = [o for o in found if o not in period]
        if missing:
            raise UsageError(
                f"period: the mapping does not name {', '.join(map(repr, missing[:8]))}"
                + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            )
        return {o: str(period[o]) for o in found}
    if period not in ("month", "term", "year"):
        raise UsageError(f"period must be month, term or year (or a mapping), not {period!r}")
    out = {o: period_of(o, period) for o in found}
    bad = [o for o, p in out.items() if p is None]
    if bad:
        raise UsageError(
            f"period {period!r} needs dated occasions (2025-10-07); not dates: "
            + ", ".join(map(repr, bad[:8]))
            + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
        )
    return {o: str(p) for o, p in out.items()}
