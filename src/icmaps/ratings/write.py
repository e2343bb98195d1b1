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


WriteFormat = Literal["long", "wide", "jsonl", "parquet", "arrow"]


_BY_SUFFIX: dict[str, WriteFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
}


def write_ratings(
    ratings: RatingSet,
    path: str | os.PathLike[str],
    format: WriteFormat | None = None,
) -> None:
    """Write ratings atomically as long CSV (default), wide CSV, JSON Lines (``.jsonl``),
    Parquet (``.parquet``) or Arrow IPC (``.arrow``, ``.feather``); the suffix chooses
    unless ``format`` is given.

    Reading the file back with :func:`read_ratings` gives equal ratings (long, JSON Lines,
    Parquet and Arrow; wide keeps one row per subject x rater x occasion). Parquet and Arrow
    files hold dictionary columns (:meth:`RatingSet.to_arrow`) and need pyarrow.

    >>> import icmaps, tempfile, pathlib
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_ratings(rs, pathlib.Path(d) / "r.parquet")
    ...     icmaps.read_ratings(pathlib.Path(d) / "r.parquet", rs.map) == rs
    True
    """
    from icmaps._io import atomic_write

    fmt = format or _BY_SUFFIX.get(os.path.splitext(os.fspath(path))[1].lower(), "long")
    if fmt == "parquet":
        _write_arrow(ratings, path, "parquet")
    elif fmt == "arrow":
        _write_arrow(ratings, path, "arrow")
    else:
        atomic_write(path, dumps_ratings(ratings, fmt))


def _write_arrow(
    ratings: RatingSet, path: str | os.PathLike[str], fmt: Literal["parquet", "arrow"]
) -> None:
    """Parquet or Arrow IPC through a temporary file and a rename: never a partial file."""
    import secrets
    from pathlib import Path

    from icmaps._io import atomic_write
    from icmaps._optional import require

    what = "Parquet" if fmt == "parquet" else "Arrow"
    pa = require("pyarrow", f"writing {what} needs pyarrow", extra="fast")
    table = ratings.to_arrow()
    atomic_write(path, "")  # the same checks of the place (folder, permissions) as text
    target = Path(path)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
        else:
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
        raise UsageError(
            f"format must be long, wide or jsonl, not {format!r} (parquet and arrow are "
            "written by write_ratings)"
        )
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
