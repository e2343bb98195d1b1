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

from collections.abc import Sequence
from typing import TYPE_CHECKING

from icmaps._table import bar
from icmaps._templates import environment, render
from icmaps._version import __version__
from icmaps.errors import group_problems
from icmaps.maps.grid import _grid, map_html, map_markdown, markdown_escape
from icmaps.stats.caveats import band, caveats, note

if TYPE_CHECKING:
    from markupsafe import Markup

    from icmaps.reporting import Report
    from icmaps.stats.plans import ActionPlan
    from icmaps.stats.profiles import Profile

__all__ = [
    "environment",
    "map_html",
    "map_markdown",
    "markdown_escape",
    "plan_html",
    "profile_html",
    "profiles_index_html",
    "render",
    "report_html",
]


def report_html(r: Report) -> str:
    """The report as one self-contained HTML document (no script, no external resource)."""
    # under a minimum number of subjects the level counts stay out (the zone tables hide
    # what must be hidden; a level cell of one or two subjects would be the most telling)
    grid = _grid(r.map, r._counts, r._extra) if r.mask is None else _grid(r.map)
    return render(
        "report.html.j2",
        r=r,
        grid=grid,
        bar=bar,
        agreement_rows=r.agreement_rows(),
        fidelity_rows=_fidelity_rows(r),
        fidelity_listed=min(SUBJECTS_LISTED, len(r.fidelity_table())),
        fidelity_subjects=len(r.fidelity_table()),
        problem_groups=group_problems(r.problems),  # one line per distinct problem
        version=__version__,
        band=band,
        note=note,
        caveats=caveats,
    )


def plan_html(plan: ActionPlan) -> str:
    """An action plan as one printable, self-contained HTML page (A4, no script).

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> plan_html(icmaps.action_plan(rs, "lincoln-elementary")).startswith("<!DOCTYPE html>")
    True
    """
    return render("plan.html.j2", plan=plan, version=__version__)


def profile_html(p: Profile, *, index: str | None = None) -> str:
    """One subject's IC profile as a printable, self-contained HTML page (A4, no script);
    ``index`` links back to a page of all subjects.

    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> profile_html(icmaps.profile(rs, "lincoln-elementary")).startswith("<!DOCTYPE html>")
    True
    """
    return render("profile.html.j2", p=p, index=index, version=__version__)


def profiles_index_html(map_title: str, entries: Sequence[tuple[str, str]]) -> str:
    """An index page linking to one profile page per subject: ``entries`` are (subject,
    file name) pairs."""
    return render("profiles_index.html.j2", title=map_title, entries=entries, version=__version__)


SUBJECTS_LISTED = 200
"""Most subjects listed one by one in a report's fidelity section: the page stays readable
(2,500 teachers would make it 200,000 pixels tall); the counts above the list and
``icmaps fidelity --format csv`` cover every subject."""

_FILL = {"fidelity": "#2e8b57", "below threshold": "#e6a600", "critical failed": "#c8503f"}


def _fidelity_rows(r: Report) -> Markup:
    """The per-subject fidelity rows (one per subject, three cells per occasion), for the
    first :data:`SUBJECTS_LISTED` subjects.

    The one table that grows with the subjects (thousands of rows), so it is built here
    rather than by template macros (about ten times faster); every piece of ratings text
    goes through the same ``markupsafe.escape`` that autoescaping uses. The status cell is
    the same for many units, so each distinct one is built (and escaped) once.
    """
    from markupsafe import Markup, escape

    f = r.fidelity
    if f is None or r.mask is not None:
        return Markup("")
    w = 120
    tick = f"{round(f.threshold * w - 1, 2)}"
    status_html: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}

    def status_cell(status: str, failed: tuple[str, ...], missed: tuple[str, ...]) -> str:
        got = status_html.get((status, failed, missed))
        if got is None:
            got = f'<span class="st st-{escape(status.replace(" ", "-"))}">{escape(status)}</span>'
            if failed:
                got += f' <span class="muted">{escape(", ".join(failed))}</span>'
            if missed:
                got += f' <span class="muted">not met: {escape(", ".join(missed))}</span>'
            status_html[(status, failed, missed)] = got
        return got

    out: list[str] = []
    for subject, units in r.fidelity_table()[:SUBJECTS_LISTED]:
        cells = [f'<tr><th scope="row">{escape(subject)}</th>']
        for u in units:
            if u is None:
                cells.append('<td><span class="muted">–</span></td><td class="num">–</td><td></td>')
                continue
            if u.index is None:
                cells.append('<td><span class="muted">–</span></td><td class="num">–</td><td>')
            else:
                fill = _FILL.get(u.status, "#8c959f")
                cells.append(
                    f'<td><svg class="bar" width="{w}" height="12" viewBox="0 0 {w} 12" '
                    f'preserveAspectRatio="none" role="img" aria-label="index {u.index:.2f}">'
                    f'<rect x="0" y="0" '
                    f'width="{w}" height="12" fill="#eaeef2"/><rect x="0" y="0" '
                    f'width="{round(u.index * w, 2)}" height="12" fill="{fill}"/><rect '
                    f'x="{tick}" y="0" width="2" height="12" fill="#1f2328"/></svg></td>'
                    f'<td class="num">{u.index:.2f}</td><td>'
                )
            missed = tuple(r.rule for r in u.rules if r.meets is False) if f.by_rules else ()
            cells.append(status_cell(u.status, u.critical_failed, missed))
            cells.append("</td>")
        cells.append("</tr>\n")
        out.append("".join(cells))
    return Markup("".join(out))
