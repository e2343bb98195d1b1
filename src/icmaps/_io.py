"""Writing files safely: to a temporary file beside the target, then renamed.

* Only regular files are written: an existing FIFO, device or socket is refused (``-o
  /dev/null`` run as root would otherwise replace the device with a file); a symbolic link
  is followed and the file it points to is replaced, the link kept.
* An existing file keeps its permissions (a 0600 file stays 0600).
* The data reach the disk before the rename (fsync), so a crash leaves the old file or the
  new one, never an empty one; the temporary file is removed on any error or interruption
  (the command line turns SIGTERM into one).
* ``avoid`` names files that must not be overwritten: the inputs of the command.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from icmaps.errors import NotFoundError, Problem, UsageError

__all__ = [
    "atomic_write",
    "check_output",
    "check_zip",
    "formulas_without_values",
    "unsaved_formulas",
]

MAX_ZIP_BYTES = 64 * 1024 * 1024
"""Largest workbook read (compressed); more ratings belong in CSV or Parquet."""
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
"""Most a workbook may unpack to, all its parts together."""
MAX_RATIO = 100
"""Largest compression ratio of a part over 1 MiB (a zip bomb packs gigabytes in kilobytes;
real sheets and shared strings compress about 5 to 20 times)."""


def check_output(
    path: str | os.PathLike[str], avoid: Iterable[str | os.PathLike[str] | None] = ()
) -> Path:
    """The file to write for ``path`` (a symbolic link resolved), after refusing what must
    not be written: a folder, a FIFO, device or socket, a missing folder, or one of the
    files in ``avoid`` (the same file under any name).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "in.csv").write_text("x")
    1
    >>> check_output(d / "out.html", avoid=[d / "in.csv"]).name
    'out.html'
    >>> check_output(d / "in.csv", avoid=[d / "in.csv"])
    Traceback (most recent call last):
    ...
    icmaps.errors.UsageError: ...in.csv: is an input of this command; write the output elsewhere
    """
    name = os.fspath(path)
    target = Path(path)
    if target.is_symlink():  # write where it points (even a link to a file not there yet)
        target = target.resolve()
    try:
        st = os.stat(target)  # what would be replaced
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise UsageError(f"{name}: cannot write: {e.strerror}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{name}: is a folder; expected a file name to write")
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(
                f"{name}: is not a regular file (a device, FIFO or socket); "
                "write to a file, or leave -o out to print to standard output"
            )
        for other in avoid:
            if other is None:
                continue
            try:
                if os.path.samefile(target, other):
                    raise UsageError(
                        f"{name}: is an input of this command; write the output elsewhere"
                    )
            except OSError:
                continue
        target = target.resolve()  # a link: replace the file it points to, keep the link
    if not target.parent.is_dir():
        raise NotFoundError(f"{name}: no such folder {os.fspath(target.parent)!r}")
    return target


def atomic_write(
    path: str | os.PathLike[str],
    text: str | bytes,
    *,
    mode: int = 0o666,
    avoid: Iterable[str | os.PathLike[str] | None] = (),
) -> None:
    """Write text (or bytes: a workbook) to ``path`` through a temporary file and rename:
    never a partial file.
    ``mode`` (before the umask) is 0o666 as for a plain ``open``; 0o600 keeps a file private
    to its owner (e.g. a table from pseudonyms back to names). An existing file keeps its
    own permissions (never widened past 0600 when ``mode`` is 0o600). See the module
    docstring for what is refused.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.txt"
    >>> atomic_write(out, "hello")
    >>> out.read_text()
    'hello'
    """
    target = check_output(path, avoid)
    keep: int | None = None
    if target.exists():
        keep = stat.S_IMODE(target.stat().st_mode)
        if mode == 0o600:
            keep &= 0o600
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
                fb.flush()
                os.fsync(fb.fileno())  # on disk before the rename: a crash leaves old or new
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        if keep is not None:
            os.chmod(tmp, keep)
        os.replace(tmp, target)
    except UnicodeEncodeError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(
            f"{os.fspath(path)}: cannot write text holding {e.object[e.start : e.end]!r} "
            "(not valid Unicode)"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_zip(path: str | os.PathLike[str]) -> str | None:
    """Why a zip container (an ``.xlsx`` workbook) must not be opened, or None: too large,
    or a part that unpacks to far more than it holds (a zip bomb). Only the directory of
    the zip is read, so a bomb is refused in milliseconds.

    >>> import tempfile, zipfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"
    >>> with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("xl/sharedStrings.xml", " " * (8 << 20))
    >>> check_zip(f)[:44]
    'xl/sharedStrings.xml unpacks to 8,388,608 by'
    """
    import zipfile

    size = os.path.getsize(path)
    if size > MAX_ZIP_BYTES:
        return f"file is {size:,} bytes; the limit is {MAX_ZIP_BYTES:,} (use CSV or Parquet)"
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        return f"not a readable Excel workbook ({e})"
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        return f"unpacks to {total:,} bytes; the limit is {MAX_UNZIPPED_BYTES:,} (zip bomb?)"
    for i in infos:
        if i.file_size > 1 << 20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            return (
                f"{i.filename} unpacks to {i.file_size:,} bytes from {i.compress_size:,} "
                f"(more than {MAX_RATIO} times: zip bomb?)"
            )
    return None


UNSAVED_FORMULA = (
    "a formula without a saved value: the program that wrote the workbook did not "
    "calculate it; open and save the workbook in Excel or LibreOffice, or write values"
)
"""What :func:`unsaved_formulas` tells each cell."""

MAX_UNSAVED_LISTED = 20
"""Cells listed one by one; the rest are counted in one more problem."""


def unsaved_formulas(fh: Any, ws: Any, path: str) -> list[Problem]:
    """A problem at each cell of the read-only worksheet ``ws`` (of the open file ``fh``)
    whose formula has no saved value (see :func:`formulas_without_values`): at most
    :data:`MAX_UNSAVED_LISTED`, then a count. Empty when there is none."""
    part = getattr(ws, "_worksheet_path", None)  # (openpyxl's read-only sheets all have it)
    cells = formulas_without_values(fh, part) if isinstance(part, str) else []
    sheet = str(ws.title)
    problems = [
        Problem(path, row, _column_number(letters), UNSAVED_FORMULA, sheet=sheet)
        for letters, row in cells[:MAX_UNSAVED_LISTED]
    ]
    if len(cells) > MAX_UNSAVED_LISTED:
        more = f"and {len(cells) - MAX_UNSAVED_LISTED:,} more formulas without a saved value"
        problems.append(Problem(path, None, None, more, sheet=sheet))
    return problems


def _column_number(letters: str) -> int:
    """A spreadsheet column's number (1-based) from its letters.

    >>> _column_number("A"), _column_number("AA"), _column_number("XFD")
    (1, 27, 16384)
    """
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


# a cell holding a formula and no value: <c r="E3"><f>E2</f></c>, or an empty <v/> after it
# (as openpyxl writes); an empty value of a text result (t="str") is a saved empty string
_UNSAVED = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*'
    rb"(<v\s*/>|<v>\s*</v>)?\s*</c>"
)
_TEXT_RESULT = re.compile(rb'\bt="(?:str|inlineStr)"')


def formulas_without_values(fh: Any, part: str, chunk: int = 1 << 20) -> list[tuple[str, int]]:
    """Cells of the worksheet ``part`` of an open ``.xlsx`` file whose formula has no saved
    value, as (column letters, row): what a program that writes formulas without calculating
    them (openpyxl, say) leaves. openpyxl reads such cells as empty, so a value would
    silently go missing. One streamed pass over the sheet's XML; ``fh`` is left at 0.

    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("s.xml", '<c r="B7"><f>1+1</f><v/></c><c r="C7"><f>1</f><v>1</v></c>')
    >>> formulas_without_values(buf, "s.xml")
    [('B', 7)]
    """
    import zipfile

    found: list[tuple[str, int]] = []
    fh.seek(0)
    with zipfile.ZipFile(fh) as z:
        try:
            raw = z.open(part.lstrip("/"))
        except KeyError:
            return found
        with raw:
            tail = b""
            while data := raw.read(chunk):
                text = tail + data
                last = 0
                for m in _UNSAVED.finditer(text):
                    last = m.end()
                    if m.group(4) is not None and _TEXT_RESULT.search(m.group(3)):
                        continue  # a formula whose saved result is the empty string
                    found.append((m.group(1).decode(), int(m.group(2))))
                # the last cell begun may be cut by the read: it is matched with the next
                # one (so are a last "<" or "<c", the read having cut "<c " itself)
                start = text.rfind(b"<c ", last)
                tail = text[start if start >= 0 else max(last, len(text) - 2) :]
    fh.seek(0)
    return found
