"""Shared plumbing of tabular results: flat records, CSV, pandas and aligned text.

Every result object of :mod:`icmaps.aggregate`, :mod:`icmaps.compare`,
:mod:`icmaps.configurations` and :mod:`icmaps.versions` can give its rows as *records*: a list
of flat ``dict`` rows whose values are ``str``, ``int``, ``float``, ``bool`` or ``None``. From
records come ``to_pandas()`` (pandas imported lazily), CSV text and, with formatted cells, the
aligned text table of ``str()``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

__all__ = [
    "Record",
    "Scalar",
    "fmt_num",
    "fmt_pct",
    "records_csv",
    "records_frame",
    "text_table",
]

Scalar = str | int | float | bool | None
Record = dict[str, Scalar]


def records_frame(
    records: Sequence[Mapping[str, Scalar]], columns: Sequence[str]
) -> pandas.DataFrame:
    """A pandas DataFrame of flat records (pandas imported here, it is an optional extra)."""
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas() needs pandas: pip install 'icmaps[pandas]'") from e
    return pd.DataFrame.from_records([dict(r) for r in records], columns=list(columns))


def records_csv(records: Sequence[Mapping[str, Scalar]], columns: Sequence[str]) -> str:
    """CSV text (header row first) of flat records; ``None`` is an empty cell.

    >>> print(records_csv([{"a": 1, "b": None}], ["a", "b"]), end="")
    a,b
    1,
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in records:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def fmt_pct(x: float | None) -> str:
    """A percentage with one decimal, ``""`` for None.

    >>> fmt_pct(66.66666), fmt_pct(None)
    ('66.7', '')
    """
    return "" if x is None else f"{x:.1f}"


def fmt_num(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals (integers as they are), ``""`` for None.

    >>> fmt_num(2.0), fmt_num(1.23456), fmt_num(3, 3)
    ('2.00', '1.23', '3')
    """
    if x is None:
        return ""
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def text_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, right: Iterable[str] = ()
) -> str:
    """An aligned text table of already formatted cells; columns named in ``right`` are
    right-aligned (numbers).

    >>> print(text_table(["id", "n"], [["a", "1"], ["bb", "22"]], right=["n"]))
    id   n
    --  --
    a    1
    bb  22
    """
    cells = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))
    rset = set(right)
    align = [h in rset for h in headers]

    def line(vals: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if align[i] else v.ljust(widths[i]) for i, v in enumerate(vals)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])
