"""One exception hierarchy for icmaps, and the :class:`Problem` record every check reports.

Every error a user can cause derives from :class:`IcmapsError` (itself a ``ValueError``), so
callers can catch one class. Errors about a place in a file carry ``path``, ``line``,
``column`` and a JSON ``pointer``; errors about many places carry every :class:`Problem`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

__all__ = [
    "IcmapsError",
    "LoadError",
    "MapValidationError",
    "MissingExtraError",
    "NotFoundError",
    "Problem",
    "RatingsError",
    "Severity",
    "UsageError",
]

Severity = Literal["error", "warning"]


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input, with its place.

    ``line`` and ``column`` are 1-based; ``pointer`` is a JSON Pointer (RFC 6901) into the
    document, ``""`` for the whole document.

    >>> str(Problem("maps/x.yaml", 12, 5, "groups: expected a list", "/groups"))
    'maps/x.yaml:12:5: groups: expected a list'
    """

    path: str | None
    line: int | None
    column: int | None
    message: str
    pointer: str = ""
    severity: Severity = "error"
    value: str | None = None

    def __str__(self) -> str:
        place = self.path or "<string>"
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{place}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, object]:
        """Plain-data form, as printed by ``--format json``."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order problems by file, then position."""
        return (self.path or "", self.line or 0, self.column or 0, self.message)


class IcmapsError(ValueError):
    """Base class of every error icmaps raises on bad input or usage.

    >>> try:
    ...     raise NotFoundError("no bundled map 'x'")
    ... except IcmapsError as e:
    ...     print(e)
    no bundled map 'x'
    """

    path: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None


class _ProblemsError(IcmapsError):
    """An error made of one or more :class:`Problem` records (all of them, not the first)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        first = next((p for p in self.problems if p.severity == "error"), None)
        if first is not None:
            self.path, self.line, self.column = first.path, first.line, first.column
            self.pointer = first.pointer
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems of severity ``error``."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems of severity ``warning``."""
        return tuple(p for p in self.problems if p.severity == "warning")


class LoadError(_ProblemsError):
    """A file could not be read or parsed (encoding, YAML/JSON syntax, size or alias limits)."""


class MapValidationError(_ProblemsError):
    """A map file parsed but does not follow the schema or the semantic rules."""


class RatingsError(_ProblemsError):
    """Ratings that cannot be read or do not fit their map; carries every bad row."""


class NotFoundError(IcmapsError, LookupError):
    """A bundled map id, file, role, component, column or row that does not exist.

    Also a :class:`LookupError`, so ``except LookupError`` catches it as it would a
    ``KeyError``.
    """


class UsageError(IcmapsError):
    """A function or command was called with arguments that do not fit together."""


class MissingExtraError(IcmapsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install.

    >>> e = MissingExtraError("plots need matplotlib", extra="plot", module="matplotlib")
    >>> print(e)
    plots need matplotlib: pip install 'icmaps[plot]'
    >>> isinstance(e, ImportError), e.extra
    (True, 'plot')
    """

    def __init__(self, what: str, *, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(f"{what}: pip install 'icmaps[{extra}]'")
        self.name = module  # ImportError's attribute: the module that is missing
