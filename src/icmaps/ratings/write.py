"""Writing ratings as long CSV, wide CSV or JSONL."""

from __future__ import annotations

import csv
import io
import json
import os
from typing import TYPE_CHECKING, Any, Literal

from icmaps.errors import UsageError
from icmaps.ratings.checker import REQUIRED, WIDE_KEYS
from icmaps.ratings.ratingset import RatingSet

if TYPE_CHECKING:
    pass

__all__ = ["dumps_ratings", "write_ratings"]


# -- writing --------------------------------------------------------------------------------


def write_ratings(
    ratings: RatingSet,
    path: str | os.PathLike[str],
    format: Literal["long", "wide", "jsonl"] | None = None,
) -> None:
    """Write ratings atomically as long CSV (default), wide CSV or JSON Lines (``.jsonl``).

    Reading the file back with :func:`read_ratings` gives equal ratings (long and JSON Lines;
    wide keeps one row per subject x rater x occasion).
    """
    from icmaps._io import atomic_write

    fmt = format or ("jsonl" if os.fspath(path).lower().endswith(".jsonl") else "long")
    atomic_write(path, dumps_ratings(ratings, fmt))


def dumps_ratings(ratings: RatingSet, format: Literal["long", "wide", "jsonl"] = "long") -> str:
    """The ratings as CSV or JSON Lines text (see :func:`write_ratings`)."""
    buf = io.StringIO(newline="")
    records = ratings.to_records()
    if format == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    w = csv.writer(buf, lineterminator="\n")
    attrs = list(ratings.extra_columns)  # attributes and note / evidence text
    roles = ratings.has_roles()
    if format == "long":
        cols = [*REQUIRED, *(["role"] if roles else []), *attrs]
        w.writerow(cols)
        for r in records:
            w.writerow(["" if r.get(c) is None else r[c] for c in cols])
        return buf.getvalue()
    if format != "wide":
        raise UsageError(f"format must be long, wide or jsonl, not {format!r}")
    # a wide row holds one subject x rater x occasion: a text must be the same on each
    varying = []
    for name in ratings.text_columns:
        seen: dict[tuple[object, ...], object] = {}
        for r in records:
            key = tuple(r.get(k) for k in WIDE_KEYS)
            if seen.setdefault(key, r.get(name)) != r.get(name):
                varying.append(name)
                break
    if varying:
        raise UsageError(
            f"the ratings carry {' and '.join(varying)} text that differs between the ratings "
            "of one subject, rater and occasion, which a wide file (one row each) cannot "
            "hold: write long CSV or JSON Lines"
        )
    comps = [c.id for c in ratings.map.iter_components()]
    used = set(ratings.categories("component"))
    comps = [c for c in comps if c in used]
    keys = [*WIDE_KEYS, *(["role"] if roles else []), *attrs]
    rows: dict[tuple[Any, ...], dict[str, str | None]] = {}
    for r in records:
        k = tuple(r.get(c) for c in keys)
        rows.setdefault(k, {})[r["component"]] = r["code"]
    w.writerow([*keys, *comps])
    for k, codes in rows.items():
        w.writerow(["" if v is None else v for v in k] + [codes.get(c) or "" for c in comps])
    return buf.getvalue()
