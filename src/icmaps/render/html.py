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
from icmaps._tabular import fmt_num
from icmaps._templates import environment, render
from icmaps._version import __version__
from icmaps.maps.grid import _grid, map_html, map_markdown, markdown_escape

if TYPE_CHECKING:
    from markupsafe import Markup

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
        fidelity_rows=_fidelity_rows(r),
        version=__version__,
    )


_FILL = {"fidelity": "#2e8b57", "below threshold": "#e6a600", "critical failed": "#c8503f"}


def _fidelity_rows(r: Report) -> Markup:
    """The per-subject fidelity rows (one per subject, three cells per occasion).

    The one table that grows with the subjects (thousands of rows), so it is built here
    rather than by template macros (about ten times faster); every piece of ratings text
    goes through the same ``markupsafe.escape`` that autoescaping uses.
    """
    from markupsafe import Markup, escape

    f = r.fidelity
    if f is None:
        return Markup("")
    w = 120
    tick = f"{round(f.threshold * w - 1, 2)}"
    out: list[str] = []
    for subject, units in r.fidelity_table():
        cells = [f'<tr><th scope="row">{escape(subject)}</th>']
        for u in units:
            if u is None or u.index is None:
                cells.append('<td><span class="muted">–</span></td>')
            else:
                fill = _FILL.get(u.status, "#8c959f")
                cells.append(
                    f'<td><svg class="bar" width="{w}" height="12" viewBox="0 0 {w} 12" '
                    f'role="img" aria-label="index {fmt_num(u.index, 2)}"><rect x="0" y="0" '
                    f'width="{w}" height="12" fill="#eaeef2"/><rect x="0" y="0" '
                    f'width="{round(u.index * w, 2)}" height="12" fill="{fill}"/><rect '
                    f'x="{tick}" y="0" width="2" height="12" fill="#1f2328"/></svg></td>'
                )
            index = "–" if u is None else fmt_num(u.index, 2, "–")
            cells.append(f'<td class="num">{index}</td><td>')
            if u is not None:
                status = escape(u.status)
                cells.append(
                    f'<span class="st st-{escape(u.status.replace(" ", "-"))}">{status}</span>'
                )
                if u.critical_failed:
                    cells.append(
                        f' <span class="muted">{escape(", ".join(u.critical_failed))}</span>'
                    )
            cells.append("</td>")
        cells.append("</tr>\n")
        out.append("".join(cells))
    return Markup("".join(out))
