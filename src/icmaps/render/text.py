"""Plain-text renderings: the IC grid of a map, and aligned tables.

The grid draws the lines of a paper map between columns: ``║`` is the solid line (end of the
ideal zone), ``┊`` the dashed line (end of the acceptable zone), ``│`` any other column break.
"""

from __future__ import annotations

import textwrap

from icmaps._tabular import table
from icmaps.maps.model import Component, Map, Variation, line_between

__all__ = ["map_grid", "table"]  # table lives in icmaps._tabular (results use it)


_SEPARATOR = {"solid": "║", "dashed": "┊", None: "│"}


def _separator(left: Variation, right: Variation) -> str:
    return _SEPARATOR[line_between(left.zone, right.zone)]


def _component_rows(m: Map, c: Component, width: int, indent: str) -> list[str]:
    cells = m.written_order(c.id)  # show the map as it is written
    n = len(cells)
    col = max(12, (width - len(indent) - (n - 1) * 3) // max(n, 1))
    flags = []
    if c.critical:
        flags.append("critical")
    if c.weight != 1:
        flags.append(f"weight {c.weight:g}")
    roles = ", ".join(c.roles) if c.roles else "all roles"
    head = f"{c.id}: {c.title}  [{roles}]" + (f" ({', '.join(flags)})" if flags else "")
    wrapped = []
    for v in cells:
        # the level's label wraps like its text: nothing is cut at the column's width
        label = textwrap.wrap(f"{v.code} {v.label}".strip(), col) or [""]
        body = textwrap.wrap(v.text, col) if v.text else ["(empty)"]
        wrapped.append([*label, "-" * max(len(x) for x in label), *body])
    height = max(len(w) for w in wrapped)
    lines = textwrap.wrap(
        head, max(width - len(indent), 20), initial_indent=indent, subsequent_indent=indent + "  "
    )
    for r in range(height):
        parts = []
        for i, w in enumerate(wrapped):
            cell = w[r] if r < len(w) else ""
            parts.append(cell.ljust(col))
            if i < n - 1:
                parts.append(f" {_separator(cells[i], cells[i + 1])} ")
        lines.append((indent + "".join(parts)).rstrip())
    lines.extend(_guidance_lines(c.guidance(), width, indent))
    return lines


def _guidance_lines(guidance: list[tuple[str, list[str]]], width: int, indent: str) -> list[str]:
    """Look-fors, examples, data sources, rationale and desired outcomes, wrapped."""
    out: list[str] = []
    for heading, items in guidance:
        out.append(f"{indent}  {heading}:")
        for item in items:
            out.extend(
                textwrap.wrap(
                    item,
                    max(width - len(indent), 20),
                    initial_indent=f"{indent}  - ",
                    subsequent_indent=f"{indent}    ",
                )
            )
    return out


def map_grid(m: Map, *, width: int = 120) -> str:
    """The map as a text IC grid: group headings, one block of columns per component.

    >>> from icmaps import load_map
    >>> print(map_grid(load_map("learning-school")).splitlines()[0])  # doctest: +ELLIPSIS
    Learning school (learning-school v...)
    """
    out = textwrap.wrap(f"{m.title} ({m.id} v{m.version})", width, subsequent_indent="  ")
    solid, dashed = (
        "║ solid line: edge of the ideal zone",
        "┊ dashed line: edge of the acceptable zone",
    )
    legend = f"{solid}    {dashed}"
    out += [legend] if len(legend) <= width else [solid, dashed]

    for node in m.outline():
        indent = "  " * node.depth
        out.append("")
        if node.kind == "component":
            out.extend(_component_rows(m, m.component(node.id), width, indent))
        else:
            g = m.group(node.id)
            out += textwrap.wrap(
                f"{g.kind.upper()}: {g.title} ({g.id})",
                max(width - len(indent), 20),
                initial_indent=indent,
                subsequent_indent=indent + "  ",
            )
            out.extend(_guidance_lines(g.guidance(), width, indent))
    return "\n".join(out) + "\n"
