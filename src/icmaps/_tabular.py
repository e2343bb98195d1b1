"""Low-level plumbing of tabular output: flat records, CSV, pandas, aligned text and number
formats.

*Records* are lists of flat ``dict`` rows whose values are ``str``, ``int``, ``float``,
``bool`` or ``None``. Results do not call these directly: they give a neutral table
(:mod:`icmaps._table`) whose renderers use them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from icmaps._optional import import_pandas

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

__all__ = [
    "Record",
    "Scalar",
    "Suppressed",
    "fmt_num",
    "fmt_pct",
    "fmt_pp",
    "fmt_share",
    "import_pandas",
    "plural",
    "pp_change",
    "records_csv",
    "records_frame",
    "spreadsheet_safe",
    "table",
    "text_table",
]

Scalar = str | int | float | bool | None
Record = dict[str, Scalar]


@dataclasses.dataclass(frozen=True, slots=True)
class Suppressed:
    """A figure hidden under a minimum number of subjects ``k`` (see
    :mod:`icmaps.stats.disclosure`): shown ``<k`` when it rests on fewer than k subjects,
    ``*`` when it is hidden so that another cannot be worked out from a total.

    >>> str(Suppressed(5)), str(Suppressed(5, complementary=True))
    ('<5', '*')
    """

    k: int
    complementary: bool = False

    def __str__(self) -> str:
        return "*" if self.complementary else f"<{self.k}"


def records_frame(
    records: Sequence[Mapping[str, Scalar]], columns: Sequence[str]
) -> pandas.DataFrame:
    """A pandas DataFrame of flat records (pandas imported here, it is an optional extra)."""
    pd = import_pandas()
    return pd.DataFrame.from_records([dict(r) for r in records], columns=list(columns))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")  # "-3": a number


def spreadsheet_safe(value: Scalar) -> Scalar:
    """A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return: OWASP's "CSV injection"), prefixed with ``'``, which
    spreadsheets show as text; anything else as it is. Numbers are never changed.

    >>> spreadsheet_safe("=SUM(A1)"), spreadsheet_safe(-2), spreadsheet_safe("a")
    ("'=SUM(A1)", -2, 'a')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def records_csv(
    records: Sequence[Mapping[str, Scalar]], columns: Sequence[str], *, raw: bool = False
) -> str:
    """CSV text (header row first) of flat records; ``None`` is an empty cell. Text that a
    spreadsheet would run as a formula is neutralised (:func:`spreadsheet_safe`) unless
    ``raw``.

    >>> print(records_csv([{"a": 1, "b": None}], ["a", "b"]), end="")
    a,b
    1,
    >>> print(records_csv([{"a": "=1+1"}], ["a"]), records_csv([{"a": "=1+1"}], ["a"], raw=True))
    a
    '=1+1
     a
    =1+1
    <BLANKLINE>
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns if raw else [spreadsheet_safe(c) for c in columns])
    for r in records:
        cells = ["" if r.get(c) is None else r.get(c) for c in columns]
        w.writerow(cells if raw else [spreadsheet_safe(v) for v in cells])
    return buf.getvalue()


def fmt_pct(
    pct: float | Suppressed | None,
    digits: int = 1,
    *,
    unit: str = "",
    sign: bool = False,
    none: str = "",
) -> str:
    """A percentage (0-100) with ``digits`` decimals, an optional ``unit`` and, with ``sign``,
    a leading ``+`` or ``-``; ``none`` for None.

    >>> fmt_pct(66.66666), fmt_pct(None), fmt_pct(66.6, 0, unit="%"), fmt_pct(None, none="–")
    ('66.7', '', '67%', '–')
    >>> fmt_pct(12.4, 0, unit=" pp", sign=True)
    '+12 pp'
    """
    if pct is None:
        return none
    if isinstance(pct, Suppressed):
        return str(pct)
    return f"{pct:+.{digits}f}{unit}" if sign else f"{pct:.{digits}f}{unit}"


def fmt_share(share: float | Suppressed | None, none: str = "") -> str:
    """A share (0-1) as a whole percentage with ``%``; ``none`` for None.

    >>> fmt_share(0.666), fmt_share(None), fmt_share(None, "–")
    ('67%', '', '–')
    """
    if isinstance(share, Suppressed):
        return str(share)
    return none if share is None else fmt_pct(100 * share, 0, unit="%")


def pp_change(a: float | Suppressed | None, b: float | Suppressed | None) -> int | None:
    """The change from share ``a`` to share ``b`` in whole percentage points, None if either
    is None.

    >>> pp_change(0.25, 0.5), pp_change(0.5, 0.25), pp_change(None, 0.5)
    (25, -25, None)
    """
    if a is None or b is None or isinstance(a, Suppressed) or isinstance(b, Suppressed):
        return None
    return round((b - a) * 100)


def fmt_pp(a: float | Suppressed | None, b: float | Suppressed | None, *, none: str = "–") -> str:
    """The change from share ``a`` to share ``b`` as signed percentage points.

    >>> fmt_pp(0.25, 0.5), fmt_pp(0.5, 0.5), fmt_pp(None, 0.5)
    ('+25 pp', '+0 pp', '–')
    """
    for v in (a, b):
        if isinstance(v, Suppressed):
            return str(v)
    x = pp_change(a, b)
    return none if x is None else f"{x:+d} pp"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word, in the plural unless ``n`` is 1 (``many``: an irregular plural).

    >>> plural(1, "rater"), plural(3, "rater"), plural(0, "occasion"), plural(2, "unit", "units")
    ('1 rater', '3 raters', '0 occasions', '2 units')
    """
    return f"{n} {word if n == 1 else many or word + 's'}"


def fmt_num(x: float | Suppressed | None, digits: int = 2, none: str = "") -> str:
    """A number with ``digits`` decimals (integers as they are), ``none`` for None.

    >>> fmt_num(2.0), fmt_num(1.23456), fmt_num(3, 3), fmt_num(None, 3, "–")
    ('2.00', '1.23', '3', '–')
    """
    if x is None:
        return none
    if isinstance(x, int | Suppressed):
        return str(x)
    return f"{x:.{digits}f}"


def text_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right: Iterable[str] = (),
    width: int | None = None,
) -> str:
    """An aligned text table of already formatted cells; columns named in ``right`` are
    right-aligned (numbers). With ``width``, the widest text columns are narrowed until a
    line fits and their cells wrap onto more lines between words (nothing is cut; a column
    is never narrower than its header or its longest word, up to 24 characters, and when
    that is not enough the lines stay longer than ``width``).

    >>> print(text_table(["id", "n"], [["a", "1"], ["bb", "22"]], right=["n"]))
    id   n
    --  --
    a    1
    bb  22
    >>> print(text_table(["id", "note"], [["a", "seen in every class this term"]], width=20))
    id  note
    --  ----------------
    a   seen in every
        class this term
    """
    cells = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))
    rset = set(right)
    align = [h in rset for h in headers]
    if width is not None:
        # text wraps between words; a word (an id, a title word) breaks only past 24 letters
        longest = [
            max((len(w) for r in cells for w in r[i].split()), default=0)
            for i in range(len(headers))
        ]
        floor = [
            w if a else min(w, max(len(h), 8, min(n, 24)))
            for w, h, n, a in zip(widths, headers, longest, align, strict=True)
        ]
        widths = _fit(widths, floor, width)

    def line(vals: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if align[i] else v.ljust(widths[i]) for i, v in enumerate(vals)
        ).rstrip()

    def lines(vals: Sequence[str]) -> list[str]:
        parts = [_wrap(v, widths[i]) for i, v in enumerate(vals)]
        height = max((len(p) for p in parts), default=1)
        return [line([p[k] if k < len(p) else "" for p in parts]) for k in range(height)]

    body = [text for r in cells for text in lines(r)]
    return "\n".join([line(headers), line(["-" * w for w in widths]), *body])


def _fit(widths: list[int], floor: list[int], width: int) -> list[int]:
    """Column widths whose lines fit in ``width``: the widest column is narrowed first,
    none below its ``floor``."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    while excess > 0:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            break  # as narrow as it gets: the lines stay longer than asked
        i = max(shrinkable, key=lambda j: widths[j])
        second = max((widths[j] for j in shrinkable if j != i), default=0)
        target = max(floor[i], widths[i] - excess, min(second, widths[i] - 1))
        excess -= widths[i] - target
        widths[i] = target
    return widths


def _wrap(text: str, width: int) -> list[str]:
    """A cell's lines at ``width`` (an indented cell keeps its indent on every line)."""
    if len(text) <= width:
        return [text]
    indent = text[: len(text) - len(text.lstrip(" "))]
    return textwrap.wrap(
        text,
        width,
        subsequent_indent=indent if len(indent) < width // 2 else "",
        break_on_hyphens=False,
    ) or [""]


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, width: int | None = None
) -> str:
    """An aligned text table of any values; columns holding only numbers are right-aligned.

    A thin layer over :func:`text_table`, which takes formatted cells.

    >>> print(table(["id", "n"], [["a", 1], ["bb", 22]]))
    id   n
    --  --
    a    1
    bb  22
    """
    right = [
        h
        for i, h in enumerate(headers)
        if rows and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in rows)
    ]
    return text_table(headers, [[_fmt(v) for v in row] for row in rows], right=right, width=width)


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"
    return str(v)
