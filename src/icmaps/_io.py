"""Writing files safely: to a temporary file beside the target, then renamed."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from icmaps.errors import NotFoundError, UsageError

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], text: str | bytes, *, mode: int = 0o666) -> None:
    """Write text (or bytes: a workbook) to ``path`` through a temporary file and rename:
    never a partial file.
    ``mode`` (before the umask) is 0o666 as for a plain ``open``; 0o600 keeps a file private
    to its owner (e.g. a table from pseudonyms back to names)."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{os.fspath(path)}: is a folder; expected a file name to write")
    if not target.parent.is_dir():
        raise NotFoundError(f"{os.fspath(path)}: no such folder {os.fspath(target.parent)!r}")
    # O_EXCL with a random name, mode 0666: the umask applies as for a plain open(), without
    # touching the process-wide umask (mkstemp would create 0600)
    tmp = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as e:
        raise UsageError(f"{os.fspath(path)}: cannot write: {e.strerror}") from e
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
