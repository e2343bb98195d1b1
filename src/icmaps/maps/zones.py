"""Zones and the lines between them: the solid line closes the ideal zone, the dashed line the
acceptable one."""

from __future__ import annotations

from typing import Literal

__all__ = ["ZONE_RANK", "Line", "Zone", "line_between"]

Zone = Literal["ideal", "acceptable", "unacceptable"]
"""Where a variation sits relative to the solid (ideal) and dashed (acceptable) lines."""

ZONE_RANK: dict[str, int] = {"ideal": 0, "acceptable": 1, "unacceptable": 2}

Line = Literal["solid", "dashed"]
"""The lines of a paper map: solid at the edge of the ideal zone, dashed at the edge of the
acceptable zone."""


def line_between(left: Zone, right: Zone) -> Line | None:
    """The line a paper map draws between two adjacent cells of these zones: ``"solid"``
    between the ideal zone and any other, ``"dashed"`` between acceptable and unacceptable,
    ``None`` inside one zone.

    >>> line_between("ideal", "acceptable"), line_between("unacceptable", "acceptable")
    ('solid', 'dashed')
    >>> line_between("acceptable", "acceptable") is None
    True
    """
    if left == right:
        return None
    return "solid" if "ideal" in (left, right) else "dashed"
