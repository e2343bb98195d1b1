"""The Jinja2 environment of icmaps' templates (package data in ``icmaps/render/templates``).

Autoescaping is always on and map or ratings text is only ever *data* for a template, never
template source. jinja2 is the optional ``report`` extra and is imported on first use.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from icmaps._optional import require
from icmaps._tabular import fmt_num, fmt_pct, fmt_share, plural, pp_change

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["environment", "render"]

# (faint tint of the map, strong colour the heatmap mixes in), per zone
_ZONE_RGB: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "ideal": ((232, 245, 233), (46, 139, 87)),
    "acceptable": ((255, 247, 219), (230, 166, 0)),
    "unacceptable": ((252, 235, 233), (200, 80, 70)),
}


def _mix(zone: str, strength: float) -> str:
    """rgb() between the zone's faint tint (0) and its strong colour (1)."""
    faint, strong = _ZONE_RGB[zone]
    r, g, b = (round(f + (s - f) * strength) for f, s in zip(faint, strong, strict=True))
    return f"rgb({r}, {g}, {b})"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of icmaps' templates: autoescaping on for every template.

    >>> environment().autoescape  # doctest: +ELLIPSIS
    <function select_autoescape.<locals>.autoescape at ...>
    >>> environment().from_string("{{ x }}").render(x="<b>")
    '&lt;b&gt;'
    """
    require("jinja2", "HTML output needs jinja2", extra="report")
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("icmaps.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = fmt_share  # a share (0-1) as "67%"
    env.filters["percent"] = fmt_pct  # a percentage (0-100)
    env.filters["num"] = fmt_num
    env.filters["plural"] = plural  # 3|plural("rater") is "3 raters", 1 rater
    env.globals["pp_change"] = pp_change
    env.globals["zone_colour"] = _mix
    return env


def render(template: str, /, **context: object) -> str:
    """Render one of icmaps' templates (``templates/<template>``) with autoescaping.

    >>> "&lt;T&gt;" in render("table.html.j2", title="<T>", facts=[], columns=[], rows=[], more=0)
    True
    """
    return environment().get_template(template).render(**context)
