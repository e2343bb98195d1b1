"""Matplotlib figures of implementation: zone distributions and growth (the ``plot`` extra).

matplotlib is imported inside each function, so ``import icmaps.plot`` is cheap; without it
the functions raise :class:`~icmaps.errors.UsageError` naming the extra to install. Each
function returns a :class:`matplotlib.figure.Figure` and never shows it.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import icmaps
>>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
>>> fig = distribution_bars(rs)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from icmaps._optional import require
from icmaps.errors import NotFoundError, UsageError
from icmaps.stats.rules import key_sort

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from icmaps.reporting import Distribution

__all__ = ["ZONE_COLOURS", "distribution_bars", "growth"]

ZONE_COLOURS = {"ideal": "#2e8b57", "acceptable": "#e6a600", "unacceptable": "#c8503f"}
"""Colours of the three zones, the same as in the HTML report."""


def _figure(width: float, height: float) -> Figure:
    require("matplotlib", "plots need matplotlib", extra="plot")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _distributions(data: Any, occasion: str | None) -> list[tuple[str, Distribution]]:
    """(label, Distribution) per component from a Report, a RatingSet or a Summary."""
    from icmaps.reporting import ComponentStats, Distribution, Report, report

    if hasattr(data, "tally") and hasattr(data, "components"):  # aggregate.Summary
        rows = [r for r in data.components() if r.scope == "component"]
        keys = sorted({r.key for r in rows}, key=key_sort)
        if occasion is not None:
            if "occasion" not in data.by:
                raise UsageError(
                    f"the summary is not grouped by occasion (by: {', '.join(data.by) or 'none'})"
                )
            at = data.by.index("occasion")
            known = list(dict.fromkeys(k[at] for k in keys if k[at] is not None))
            keys = [k for k in keys if k[at] == occasion]
            if not keys:
                raise NotFoundError(
                    f"no occasion {occasion!r} in the summary (occasions: "
                    f"{', '.join(known) or 'none'})"
                )
        key = keys[-1] if keys else ()
        return [
            (r.title, Distribution(r.n_ideal, r.n_acceptable, r.n_unacceptable, r.na, r.missing))
            for r in rows
            if r.key == key
        ]
    if not isinstance(data, Report):
        data = report(data, occasion=occasion)
    return [
        (row.component.title, row.snapshot) for row in data.rows if isinstance(row, ComponentStats)
    ]


def _short(label: str, n: int = 48) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def distribution_bars(
    data: Any, *, occasion: str | None = None, title: str | None = None
) -> Figure:
    """Horizontal stacked bars, one per component: share of ratings in the ideal, acceptable
    and unacceptable zones.

    ``data`` is a :class:`~icmaps.RatingSet`, a :class:`~icmaps.reporting.Report` or
    an :class:`~icmaps.aggregate.Summary` (its last group, or the last whose ``occasion``
    column is ``occasion``; :class:`~icmaps.errors.NotFoundError` when there is none).

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> ax = distribution_bars(rs, occasion="2025-fall").axes[0]
    >>> len(ax.patches) == 3 * len(rs.map.all_components())
    True
    """
    items = _distributions(data, occasion)
    fig = _figure(9.0, 0.9 + 0.32 * max(len(items), 1))
    ax = fig.add_subplot()
    labels = [_short(label) for label, _ in items][::-1]
    shares = [d.shares() for _, d in items][::-1]
    left = [0.0] * len(items)
    for z, zone in enumerate(("ideal", "acceptable", "unacceptable")):
        widths = [100 * s[z] for s in shares]
        ax.barh(labels, widths, left=left, color=ZONE_COLOURS[zone], label=zone, height=0.7)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of ratings")
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def growth(
    data: Any,
    *,
    measure: str = "ideal",
    components: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Lines of % ideal (``measure="ideal"``) or % ideal-or-acceptable (``"acceptable"``)
    across occasions: all components together (thick) and each component (thin).

    ``data`` is a :class:`~icmaps.RatingSet` or a :class:`~icmaps.reporting.Report`;
    ``components`` limits the thin lines to these ids.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import icmaps
    >>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    >>> fig = growth(rs, components=["tl-team-meets"])
    >>> len(fig.axes[0].lines)
    2
    """
    from icmaps.reporting import ComponentStats, Report, report

    if measure not in ("ideal", "acceptable"):
        raise UsageError(f"measure must be 'ideal' or 'acceptable', not {measure!r}")
    r = data if isinstance(data, Report) else report(data)
    occasions = list(r.occasions)

    def share(d: Distribution) -> float:
        v = d.share_ideal if measure == "ideal" else d.share_acceptable
        return float("nan") if v is None else 100 * v

    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    for row in r.rows:
        if not isinstance(row, ComponentStats):
            continue
        if components is not None and row.component.id not in components:
            continue
        ax.plot(
            occasions,
            [share(row.occasions[o]) for o in occasions],
            color="#8c959f",
            linewidth=0.8,
            alpha=0.7,
            marker="o",
            markersize=2.5,
        )
    ax.plot(
        occasions,
        [share(r.overall_by_occasion[o]) for o in occasions],
        color=ZONE_COLOURS["ideal"],
        linewidth=3,
        marker="o",
        label="all components",
    )
    ax.set_ylim(0, 100)
    ax.set_ylabel("% ideal" if measure == "ideal" else "% ideal or acceptable")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(title)
    return fig
