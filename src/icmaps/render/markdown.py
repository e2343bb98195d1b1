"""Markdown rendering of a :class:`~icmaps.reporting.Report` (kept apart to keep report.py short).

Every text from the map or the ratings goes through :func:`icmaps.html.markdown_escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from icmaps._tabular import fmt_num, fmt_pp, fmt_share
from icmaps.render.html import map_markdown, markdown_escape

if TYPE_CHECKING:
    from icmaps.reporting import Distribution, Report, Row, ShownDistribution

__all__ = ["report_markdown"]


def _label(row: Row) -> str:
    indent = "&nbsp;&nbsp;" * row.depth
    if row.is_group:
        g = row.group  # type: ignore[union-attr]
        return f"{indent}**{markdown_escape(g.kind)}: {markdown_escape(g.title)}**"
    c = row.component  # type: ignore[union-attr]
    return f"{indent}{markdown_escape(c.title)}" + (" ★" if c.critical else "")


def _moves(r: Report, row: Row) -> str:
    ch = None if row.is_group else r.moves(row.component.id)  # type: ignore[union-attr]
    if ch is None or not ch["n"]:
        return ""
    return f"{ch['toward']} ▲ {ch['unchanged']} = {ch['away']} ▼"


def _bar(d: Distribution | ShownDistribution, width: int = 10) -> str:
    """A text bar: █ ideal, ▒ acceptable, ░ unacceptable."""
    if not d.rated or d.hidden:
        return ""
    shares = d.shares()
    cells = [round(s * width) for s in shares]
    cells[2] = max(0, width - cells[0] - cells[1])
    return "█" * cells[0] + "▒" * cells[1] + "░" * cells[2]


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def report_markdown(r: Report) -> str:
    """The report as Markdown text."""
    m = r.map
    e = markdown_escape
    out = [f"# {e(r.title)}", ""]
    meta = f"Map **{e(m.title)}** (`{m.id}` v{e(m.version)})"
    if r.role:
        meta += f" · role **{e(m.role(r.role).label)}**"
    if r.snapshot is not None:
        meta += f" · occasion **{e(r.snapshot)}**"
        if len(r.occasions) > 1:
            meta += f" ({len(r.occasions)} occasions: {', '.join(e(o) for o in r.occasions)})"
    if r.by:
        meta += f" · split by **{e(r.by)}**"
    meta += f" · {e(r.privacy)}"
    o = r.shown()
    key_figures = r.header()
    out += [
        meta,
        "",
        f"**{key_figures['ratings']}** ratings of **{key_figures['subjects']}** subjects by "
        f"**{r.n_raters}** raters. "
        f"Ideal: **{fmt_share(o.share_ideal, '–')}**; "
        f"ideal or acceptable: **{fmt_share(o.share_acceptable, '–')}**"
        f" of {o.rated} counted ratings.",
        "",
        "Bars: █ ideal ▒ acceptable ░ unacceptable.",
        "",
    ]

    out += ["## Components and groups", ""]
    rows = [
        [
            _label(row),
            str(d.rated),
            _bar(d),
            fmt_share(d.share_ideal, "–"),
            fmt_share(d.share_acceptable, "–"),
            str(d.na or ""),
            str(d.missing or ""),
        ]
        for row in r.rows
        for d in (r.shown(row),)
    ]
    rows.append(
        [
            "**All components**",
            str(o.rated),
            _bar(o),
            fmt_share(o.share_ideal, "–"),
            fmt_share(o.share_acceptable, "–"),
            str(o.na or ""),
            str(o.missing or ""),
        ]
    )
    head = ["Component", "Rated", "Zones", "% ideal", "% ideal or acceptable", "N/A", "Missing"]
    out += [*_table(head, rows), ""]

    if r.by:
        out += [f"## By {e(r.by)}", ""]
        head = ["Component"] + [f"{e(v) or '(none)'} % ideal / % acc." for v in r.by_values]
        rows = [
            [_label(row)]
            + [
                fmt_share(d.share_ideal, "–") + " / " + fmt_share(d.share_acceptable, "–")
                for v in r.by_values
                for d in (r.shown(row, "by", v),)
            ]
            for row in r.rows
        ]
        out += [*_table(head, rows), ""]

    if r.base is not None and r.snapshot is not None:
        first, last = r.base, r.snapshot
        out += [f"## Growth between occasions ({e(first)} → {e(last)})", ""]
        head = (
            ["Component"]
            + [f"{e(v)} % ideal" for v in r.occasions]
            + ["Δ ideal", "Δ ideal or acc."]
            + (["Subjects ▲ = ▼"] if r.comparison is not None else [])
        )
        rows = []
        for row in r.rows:
            occ = {v: r.shown(row, "occasion", v) for v in r.occasions}
            rows.append(
                [_label(row)]
                + [fmt_share(occ[v].share_ideal, "–") for v in r.occasions]
                + [
                    fmt_pp(occ[first].share_ideal, occ[last].share_ideal),
                    fmt_pp(occ[first].share_acceptable, occ[last].share_acceptable),
                ]
                + ([_moves(r, row)] if r.comparison is not None else [])
            )
        out += [*_table(head, rows), ""]

    if r.sources is not None:
        sc = r.sources
        out += [f"## Self-assessment and {e(sc.other)} ({e(sc.base)} − {e(sc.other)})", ""]
        head = ["Component", "Pairs", f"% {e(sc.base)} higher", "Mean difference (levels)"]
        rows = [
            [
                e(title),
                str(c["n"]),
                fmt_share(c["share_base_higher"], "–"),  # type: ignore[arg-type]
                fmt_num(c["base_above_other"], 2, "–"),  # type: ignore[arg-type]
            ]
            for title, c in r.source_rows()
        ]
        out += [*_table(head, rows), ""]

    if r.fidelity is not None:
        f = r.fidelity
        out += ["## Fidelity", ""]
        rule = f"{f.basis} index ≥ {f.threshold:g}" + (
            ", no critical component unacceptable" if f.critical else ""
        )
        out += [f"Rule: {rule}.", ""]
        rows = [
            [
                e(" · ".join(str(k) for k in g["key"])),  # type: ignore[attr-defined]
                str(g["rated"]),
                str(g["meeting"]),
                fmt_share(g["share_meeting"], "–"),  # type: ignore[arg-type]
                fmt_num(g["mean_index"], 2, "–"),  # type: ignore[arg-type]
            ]
            for g in r.fidelity_groups()
        ]
        head = ["Occasion", "Subjects rated", "With fidelity", "% with fidelity", "Mean index"]
        out += [*_table(head, rows), ""]
        rule_counts = r.fidelity_rules_shown()
        if rule_counts:
            cols = ["Occasion", *(f"{e(rule)}: met" for rule in f.rules)]
            rows = [
                [e(occ)] + [f"{met} of {rated}" for met, rated, _ in counts]
                for occ, counts in rule_counts
            ]
            out += [*_table(cols, rows), ""]
        if r.mask is not None:
            out += [
                f"Fidelity per subject is not listed: each index rests on one subject, "
                f"fewer than {r.min_n}.",
                "",
            ]
        rows = [
            [e(subject)]
            + [
                "–"
                if u is None or u.index is None
                else f"{fmt_num(u.index)} {e(u.status)}"
                + (f" ({e(', '.join(u.critical_failed))})" if u.critical_failed else "")
                for u in units
            ]
            for subject, units in r.fidelity_table()
        ]
        if r.mask is None:
            out += [*_table(["Subject", *(e(o) for o in r.occasions)], rows), ""]

    agreement = r.agreement_rows()
    if agreement:
        out += ["## Rater agreement", ""]
        pooled = r.agreement_shown()
        if pooled is not None and pooled["alpha"] is not None:
            out += [
                f"All components pooled: Krippendorff's α (ordinal) = {fmt_num(pooled['alpha'])}.",  # type: ignore[arg-type]
                "",
            ]
        rows = []
        for row in agreement:
            a = r.agreement_shown(row)
            assert a is not None
            rows.append(
                [
                    _label(row),
                    str(a["units"]),
                    fmt_num(a["alpha"], 2, "–"),  # type: ignore[arg-type]
                    fmt_share(a["exact"], "–"),  # type: ignore[arg-type]
                    e(str(a["reason"] or "")),
                ]
            )
        out += [*_table(["Component", "Units", "α (ordinal)", "Exact agreement", "Note"], rows), ""]
    elif r.agreement_note:
        out += ["## Rater agreement", "", e(r.agreement_note), ""]

    out += ["## Data quality", ""]
    out += [f"- {e(n)}" for n in r.quality] or ["No missing or N/A ratings."]
    if r.problems:
        from icmaps.errors import group_problems

        groups = group_problems(r.problems)  # one line per distinct problem
        out += ["", f"{len(r.problems)} problems found while reading the ratings:", ""]
        out += [f"- {e(str(g))}" for g in groups[:50]]
    out += ["", "## The map", ""]
    body = map_markdown(m).split("\n", 1)[1]  # without its title
    out.append(body.replace("\n#", "\n##"))
    return "\n".join(out).rstrip() + "\n"
