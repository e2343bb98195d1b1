"""Rating sheets: blank templates for a map (long or wide CSV) and a code legend."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from icmaps.maps.model import Map, Scale

__all__ = ["legend", "rating_template"]


def rating_template(
    m: Map,
    *,
    role: str | None = None,
    subjects: Sequence[str] = (),
    occasion: str = "",
    rater: str = "",
    wide: bool = False,
) -> str:
    """A blank rating sheet as CSV text: fill in ``code`` (and rater/subject if left blank).

    Long form has one row per subject x component; wide form one row per subject with a
    column per component. Only components for ``role`` when given.

    >>> from icmaps import load_map
    >>> print(rating_template(load_map("learning-school"), role="principal",
    ...                       subjects=["s1"]).splitlines()[0])
    subject,rater,occasion,component,code,role
    """
    view = m.for_role(role) if role else m
    comps = [c.id for c in view.iter_components()]
    subs = list(subjects) or [""]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    tail = ["role"] if role else []
    if wide:
        w.writerow(["subject", "rater", "occasion", *tail, *comps])
        for s in subs:
            w.writerow([s, rater, occasion, *([role] if role else []), *[""] * len(comps)])
        return buf.getvalue()
    w.writerow(["subject", "rater", "occasion", "component", "code", *tail])
    for s in subs:
        for c in comps:
            w.writerow([s, rater, occasion, c, "", *([role] if role else [])])
    return buf.getvalue()


def _scale_rows(name: str, scale: Scale) -> list[list[str]]:
    rows = [
        [name, lv.code, lv.label, lv.zone, "" if lv.score is None else f"{lv.score:g}"]
        for lv in scale.levels
    ]
    rows += [[name, sp.code, sp.label, f"special: {sp.counts}", ""] for sp in scale.special]
    return rows


def legend(m: Map, *, role: str | None = None) -> str:
    """What each code means, per scale, and which components use which scale (text).

    >>> from icmaps import load_map
    >>> "ideal" in legend(load_map("learning-school"))
    True
    """
    from icmaps._tabular import table

    view = m.for_role(role) if role else m
    rows = _scale_rows("default", m.scale)
    for name, scale in m.scales.items():
        rows += _scale_rows(name, scale)
    out = [f"Codes for {m.title} ({m.id} v{m.version})", ""]
    out.append(table(["scale", "code", "label", "zone", "score"], rows))
    own = [c for c in view.iter_components() if c.scale is not None]
    if own:
        out += ["", "Components on another scale:"]
        for c in own:
            name = (
                c.scale
                if isinstance(c.scale, str)
                else "its own: " + ", ".join(view.scale_of(c.id).codes())
            )
            out.append(f"  {c.id}: {name}")
    guided = [c for c in view.iter_components() if c.guidance()]
    if guided:  # what raters look for and where evidence comes from, per component
        out += ["", "What to look for:"]
        for c in guided:
            out.append(f"  {c.id}: {c.title}")
            for heading, lines in c.guidance():
                out.append(f"    {heading}: " + "; ".join(lines))
    out += ["", "Leave a code blank when the component was not rated (missing)."]
    return "\n".join(out) + "\n"
