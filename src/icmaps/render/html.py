"""HTML renderings: the report page, plus the map grid and result tables re-exported here.

Every piece of map or ratings text is untrusted: templates are rendered by Jinja2 with
autoescaping always on (see :mod:`icmaps._templates`).

>>> import icmaps
>>> m = icmaps.load_map("pbis-tfi")
>>> from icmaps.reporting import _demo_ratings
>>> report_html(icmaps.report(_demo_ratings(m))).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icmaps._table import bar
from icmaps._templates import environment, render
from icmaps._version import __version__
from icmaps.maps.grid import _grid, map_html, map_markdown, markdown_escape

if TYPE_CHECKING:
    from icmaps.reporting import Report

__all__ = [
    "environment",
    "map_html",
    "map_markdown",
    "markdown_escape",
    "render",
    "report_html",
]


def report_html(r: Report) -> str:
    """The report as one self-contained HTML document (no script, no external resource)."""
    grid = _grid(r.map, r._counts, r._extra)
    return render(
        "report.html.j2",
        r=r,
        grid=grid,
        bar=bar,
        agreement_rows=r.agreement_rows(),
        version=__version__,
    )
