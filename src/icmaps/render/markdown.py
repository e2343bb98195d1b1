"""Markdown rendering of a :class:`~icmaps.reporting.Report` (kept apart to keep report.py short).

Every text from the map or the ratings goes through :func:`icmaps.html.markdown_escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from icmaps._tabular import Suppressed, fmt_num, fmt_pp, fmt_share
from icmaps.render.html import SUBJECTS_LISTED, map_markdown, markdown_escape
from icmaps.stats.caveats import band, caveats, note

if TYPE_CHECKING:
    from icmaps.reporting import Distribution, Report, Row, ShownDistribution
    from icmaps.stats.calibration import Calibration

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
    out += [meta, ""]
    errors = sum(1 for p in r.problems if p.severity == "error")
    if errors:  # said first: every figure below leaves those rows out
        out += [
            f"> **Made with problems allowed.** {errors} row{'s' if errors != 1 else ''} of the "
            f"ratings could not be read and {'is' if errors == 1 else 'are'} not counted in any "
            f"figure below; Data quality lists {'it' if errors == 1 else 'them'}.",
            "",
        ]
    # the counts cover every occasion, the shares the snapshot: name both
    every = f"all {len(r.occasions)} occasions" if len(r.occasions) > 1 else "".join(r.occasions)
    on = f" on {e(r.snapshot)}" if r.snapshot is not None else ""
    out += [
        f"**{key_figures['ratings']}** ratings of **{key_figures['subjects']}** subjects by "
        f"**{r.n_raters}** {'rater' if r.n_raters == 1 else 'raters'}"
        f"{f' ({e(every)})' if every else ''}. "
        f"Ideal{on}: **{fmt_share(o.share_ideal, '–')}**; "
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
            for subject, units in r.fidelity_table()[:SUBJECTS_LISTED]
        ]
        if r.mask is None:
            out += [*_table(["Subject", *(e(o) for o in r.occasions)], rows), ""]
            total = len(r.fidelity_table())
            if total > SUBJECTS_LISTED:
                out += [
                    f"The first {SUBJECTS_LISTED} of {total} subjects are listed; the tables "
                    "above count every subject. Each subject's index and status on every "
                    "occasion: `icmaps fidelity MAP RATINGS --format csv`.",
                    "",
                ]

    agreement = r.agreement_rows()
    if agreement:
        out += ["## Rater agreement", ""]
        pooled = r.agreement_shown()
        if r.agreement is not None and pooled is not None and pooled["alpha"] is not None:
            hidden = r.mask is not None and r.mask.is_hidden(("agree", "*"))
            words = "" if hidden else band(r.agreement)
            out += [
                "All components pooled"
                + (f" on {e(r.snapshot)}" if r.snapshot is not None else "")
                + f": Krippendorff's α (ordinal) = {fmt_num(pooled['alpha'])}"  # type: ignore[arg-type]
                + (f", {words}" if words else "")
                + ("" if hidden else "".join(f"; {c}" for c in caveats(r.agreement)))
                + ".",
                "",
            ]
        rows = []
        for row in agreement:
            a = r.agreement_shown(row)
            assert a is not None
            assert row.agreement is not None
            hidden = isinstance(a["units"], Suppressed)  # under --min-n: no note either
            rows.append(
                [
                    _label(row),
                    str(a["units"]),
                    fmt_num(a["alpha"], 2, "–"),  # type: ignore[arg-type]
                    fmt_share(a["exact"], "–"),  # type: ignore[arg-type]
                    e("" if hidden else note(row.agreement)),
                ]
            )
        out += [*_table(["Component", "Units", "α (ordinal)", "Exact agreement", "Note"], rows), ""]
    elif r.agreement_note:
        out += ["## Rater agreement", "", e(r.agreement_note), ""]
    if r.calibration is not None:
        out += _calibration(r.calibration)

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


def _calibration(cal: Calibration) -> list[str]:
    """The rater calibration section: one row per rater against the anchor."""
    e = markdown_escape
    rule = f"exact-or-within-{cal.within}" if cal.within else "exact"
    out = [
        f"## Rater calibration against {e(cal.anchor)}",
        "",
        f"Certified when {rule} agreement reaches {fmt_share(cal.threshold)}. Kappa is "
        "linearly weighted; bias is the mean level difference, rater minus anchor (below 0: "
        f"lenient, toward {e(cal.lenient_end)}; above 0: severe, toward {e(cal.severe_end)}).",
        "",
    ]
    rows = [
        [
            e(c.rater),
            str(c.n),
            fmt_share(c.exact, "–"),
            fmt_share(c.adjacent if cal.within else c.exact, "–"),
            fmt_num(c.kappa, 2, "–"),
            fmt_num(c.bias, 2, "–"),
            c.direction or "",
            "yes" if c.certified else "no",
            fmt_num(c.drift_exact, 2, "–"),
        ]
        for c in cal.raters
    ]
    within = f"Within {cal.within}" if cal.within else "Exact"
    head = ["Rater", "Ratings", "Exact", within, "Kappa", "Bias", "Leans", "Certified", "Drift"]
    return [*out, *_table(head, rows), "", *(e(n) for n in cal.notes), ""]
