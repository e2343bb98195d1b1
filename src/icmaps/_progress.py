"""Progress bars on stderr for long work, through tqdm (the ``progress`` extra).

Library calls show nothing unless asked (``progress=True``); the command line asks when
stderr is a terminal and ``--quiet`` is not given (:func:`wanted`). A disabled
:class:`Progress` does nothing and imports nothing.

>>> with Progress(False, unit="ratings") as bar:
...     bar.update(10)
>>> bar.n
10
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO

from icmaps._optional import has, require

__all__ = ["Progress", "wanted"]


def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
    """Whether the command line shows a bar: stderr is a terminal, not ``--quiet``, and tqdm
    is installed (without it the command runs as it would, bar-less).

    >>> import io
    >>> wanted(False, io.StringIO())
    False
    """
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty()) and has("tqdm")


class Progress:
    """A progress bar counting ``unit`` (with ``total`` when known), or nothing when not
    ``enabled``. ``enabled=True`` without tqdm raises
    :class:`~icmaps.errors.MissingExtraError` naming the ``progress`` extra."""

    def __init__(
        self,
        enabled: bool,
        *,
        unit: str = " ratings",
        desc: str = "",
        total: float | None = None,
        file: TextIO | None = None,
    ) -> None:
        self.n = 0
        self._bar: Any = None
        if enabled:
            tqdm = require("tqdm", "progress bars need tqdm", extra="progress")
            self._bar = tqdm.tqdm(
                total=total,
                unit=unit,
                desc=desc or None,
                file=file or sys.stderr,
                unit_scale=total is None,  # 1.2M ratings, not 1200000; 3/8 partitions
                dynamic_ncols=True,
                leave=False,  # the command's own output follows
            )

    def update(self, n: float = 1) -> None:
        """Count ``n`` more."""
        self.n += int(n)
        if self._bar is not None:
            self._bar.update(n)

    def note(self, text: str) -> None:
        """Show ``text`` beside the bar (e.g. the file being read)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        """Take the bar off the terminal."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
