"""Pseudonyms for personnel data: subject and rater names replaced by stable keyed codes.

Ratings of teachers are personnel data. A pseudonym is ``HMAC-SHA256(key, kind + ":" +
name)`` cut to 12 hex digits: the same key gives the same pseudonym in every run (so reports
of several years line up), and without the key a pseudonym cannot be traced back to a name.
The key stays with the user; the table from pseudonyms back to names is written only when
asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from icmaps.errors import UsageError
from icmaps.ratings.columns import _Column
from icmaps.ratings.ratingset import RatingSet

__all__ = ["MIN_KEY_BYTES", "pseudonym", "pseudonymize", "read_key"]

MIN_KEY_BYTES = 16
"""Shortest key accepted (a guessable key would let anyone rebuild the names)."""

_PREFIX = {"subject": "S-", "rater": "R-"}


def read_key(path: str | os.PathLike[str]) -> bytes:
    """The key in a key file (its bytes, surrounding whitespace dropped); at least
    :data:`MIN_KEY_BYTES` bytes.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "key"
    >>> _ = f.write_text("a long secret phrase, kept safe")
    >>> len(read_key(f))
    31
    """
    p = Path(path)
    try:
        key = p.read_bytes().strip()
    except OSError as e:
        raise UsageError(f"{p}: cannot read the pseudonym key: {e.strerror}") from e
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(
            f"{p}: the pseudonym key has {len(key)} bytes; use at least {MIN_KEY_BYTES} random "
            'bytes (e.g. `python -c "import secrets; print(secrets.token_hex(32))" > key`)'
        )
    return key


def pseudonym(key: bytes, kind: str, name: str) -> str:
    """The stable pseudonym of one subject or rater name.

    >>> pseudonym(b"0123456789abcdef", "subject", "lincoln-elementary")
    'S-8ffb63801092'
    """
    digest = hmac.new(key, f"{kind}:{name}".encode(), hashlib.sha256).hexdigest()
    return _PREFIX.get(kind, "P-") + digest[:12]


def pseudonymize(ratings: RatingSet, key: bytes) -> tuple[RatingSet, list[tuple[str, str, str]]]:
    """The ratings with every subject and rater name replaced by its pseudonym, and the
    table back to names (kind, pseudonym, name) for whoever keeps it.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> hidden, table = pseudonymize(rs, b"0123456789abcdef")
    >>> "lincoln-elementary" in hidden.categories("subject"), len(table) > 0
    (False, True)
    """
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"the pseudonym key needs at least {MIN_KEY_BYTES} bytes")
    cols = dict(ratings._cols)
    table: list[tuple[str, str, str]] = []
    for kind in ("subject", "rater"):
        col = cols[kind]
        new_values: list[str | None] = []
        for v in col.values:
            if v is None:
                new_values.append(None)
                continue
            p = pseudonym(key, kind, v)
            new_values.append(p)
            table.append((kind, p, v))
        if len(set(new_values)) != len(new_values):  # 48 bits: never in practice, but checked
            raise UsageError(f"two {kind} names share a pseudonym under this key: use another key")
        cols[kind] = _Column(new_values, col.index)
    return RatingSet(ratings.map, cols, ratings.levels(), ratings.extra_columns), table
