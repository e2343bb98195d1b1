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
    "ProblemGroup",
    "RatingsError",
    "Severity",
    "UsageError",
    "group_problems",
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
    sheet: str | None = None
    """The worksheet of a workbook (``line`` is then its row): placed as ``file:Sheet!C5``."""

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.place()}: {prefix}{self.message}"

    def place(self) -> str:
        """Where the problem is: ``file:line:column``, or ``file:Sheet!C5`` in a workbook.

        >>> Problem("book.xlsx", 5, 3, "bad", sheet="Ratings").place()
        'book.xlsx:Ratings!C5'
        >>> Problem("book.xlsx", 5, None, "bad", sheet="My ratings").place()
        "book.xlsx:'My ratings'!row 5"
        """
        place = self.path or "<string>"
        if self.sheet is not None:
            return f"{place}:{self.cell()}" if self.line is not None else f"{place}:{self.sheet}"
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place

    def cell(self) -> str:
        """The place in the file: ``Sheet!C5`` (a workbook), else ``line 5``."""
        if self.sheet is None:
            return f"line {self.line}"
        sheet = self.sheet if self.sheet.replace("_", "").isalnum() else f"'{self.sheet}'"
        if self.column is None:
            return f"{sheet}!row {self.line}"
        return f"{sheet}!{column_letter(self.column)}{self.line}"

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
            "sheet": self.sheet,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order problems by file, then position."""
        return (self.path or "", self.line or 0, self.column or 0, self.message)


def column_letter(column: int) -> str:
    """A spreadsheet's name of a 1-based column.

    >>> column_letter(1), column_letter(26), column_letter(28)
    ('A', 'Z', 'AB')
    """
    out = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class ProblemGroup:
    """Problems with the same file, severity and message: one line with a count and the first
    places, instead of one line per row (:func:`group_problems`)."""

    first: tuple[Problem, ...]
    count: int

    def __str__(self) -> str:
        p = self.first[0]
        if self.count == 1:
            return str(p)
        prefix = "warning: " if p.severity == "warning" else ""
        if p.sheet is None:
            lines = [str(q.line) for q in self.first if q.line is not None]
            at = f", first at line{'s' if len(lines) > 1 else ''} {', '.join(lines)}"
        else:
            at = ", first at " + ", ".join(q.cell() for q in self.first if q.line is not None)
        if not any(q.line is not None for q in self.first):
            at = ""
        return f"{p.path or '<string>'}: {prefix}{self.count:,} x {p.message}{at}"


def group_problems(problems: Iterable[Problem], *, first: int = 3) -> list[ProblemGroup]:
    """Identical problems (same file, severity and message) as one group each, in the order
    their first one comes, keeping the first ``first`` of each.

    >>> ps = [Problem("r.csv", n, 5, "code '4' is not allowed") for n in (56, 84, 112, 140)]
    >>> [str(g) for g in group_problems([*ps, Problem("r.csv", 9, None, "empty rater")])]
    ["r.csv: 4 x code '4' is not allowed, first at lines 56, 84, 112", 'r.csv:9: empty rater']
    """
    groups: dict[tuple[str | None, str, str], tuple[list[Problem], list[int]]] = {}
    for p in problems:
        kept, count = groups.setdefault((p.path, p.severity, p.message), ([], [0]))
        count[0] += 1
        if len(kept) < first:
            kept.append(p)
    return [ProblemGroup(tuple(kept), count[0]) for kept, count in groups.values()]


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


MAX_LISTED = 50
"""Distinct problems an error's message lists (the error's ``problems`` keep every one)."""


class _ProblemsError(IcmapsError):
    """An error made of one or more :class:`Problem` records (all of them, not the first)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        first = next((p for p in self.problems if p.severity == "error"), None)
        if first is not None:
            self.path, self.line, self.column = first.path, first.line, first.column
            self.pointer = first.pointer
        # the message stays readable however many rows repeat one mistake: a line per
        # distinct problem, at most MAX_LISTED; ``problems`` keeps every one
        groups = group_problems(self.problems)
        lines = [str(g) for g in groups[:MAX_LISTED]]
        if len(groups) > MAX_LISTED:
            rest = sum(g.count for g in groups[MAX_LISTED:])
            lines.append(f"... and {rest} more problem(s) (every one is in .problems)")
        super().__init__("\n".join(lines))

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
