"""What a reader should know before trusting an agreement figure, and words for its size.

Every coefficient shown in a table or a report carries :func:`caveats`: a note when it rests
on fewer than :data:`MIN_UNITS` units, when it is negative (agreement below chance), or when
one level holds more than :data:`PARADOX_SHARE` of the ratings. In that last case kappa-type
coefficients and alpha collapse although raters agree (the "kappa paradox": Feinstein &
Cicchetti 1990; Gwet 2008), and Gwet's AC1 is the figure to read.

:func:`band` puts a value into words with a named published guideline: Krippendorff's
(2004, p. 241) for alpha (``>= .800`` reliable, ``.667`` to ``.800`` tentative conclusions
only, below ``.667`` unreliable) and Landis & Koch's (1977) for the kappa family, AC1/AC2,
Brennan-Prediger and the ICC (slight, fair, moderate, substantial, almost perfect).

>>> from icmaps.stats.coefficients import AgreementResult
>>> r = AgreementResult("krippendorff_alpha", -0.29, 3, 2, 3)
>>> caveats(r)
('rests on 3 units (fewer than 10)', 'negative: agreement below chance')
>>> band(AgreementResult("krippendorff_alpha", 0.71, 40, 3, 60))
'tentative (Krippendorff: .667 to .800)'
>>> band(AgreementResult("gwet_ac", 0.71, 40, 3, 60))
'substantial (Landis & Koch: .61 to .80)'
"""

from __future__ import annotations

from icmaps.stats.coefficients import AgreementResult

__all__ = ["MIN_UNITS", "PARADOX_SHARE", "band", "caveats", "note"]


MIN_UNITS = 10
"""Fewer units than this: the coefficient is noted as resting on a small sample."""


PARADOX_SHARE = 0.9
"""More of the ratings than this at one level: the kappa-paradox note."""


_LANDIS_KOCH = (
    (0.0, "poor", "below 0"),
    (0.2, "slight", ".00 to .20"),
    (0.4, "fair", ".21 to .40"),
    (0.6, "moderate", ".41 to .60"),
    (0.8, "substantial", ".61 to .80"),
)


def caveats(result: AgreementResult) -> tuple[str, ...]:
    """The notes a figure carries (empty when none applies, or when it is undefined).

    The share of ratings on the most used level is read from ``details["top_level_share"]``
    (set by :func:`icmaps.agreement` for every row).
    """
    if result.value is None:
        return ()
    notes = []
    if result.n_units < MIN_UNITS:
        notes.append(f"rests on {result.n_units} units (fewer than {MIN_UNITS})")
    if result.value < 0:
        notes.append("negative: agreement below chance")
    top = result.details.get("top_level_share")
    if isinstance(top, float) and top > PARADOX_SHARE:
        if result.method == "percent_agreement":
            notes.append(f"{top:.0%} of ratings at one level: chance alone agrees often")
        elif result.method != "gwet_ac":
            notes.append(
                f"{top:.0%} of ratings at one level: kappa-type figures collapse "
                "(kappa paradox); read Gwet's AC1"
            )
    return tuple(notes)


def note(result: AgreementResult) -> str:
    """What a table's note cell shows: why the figure is undefined, and its caveats.

    >>> note(AgreementResult("fleiss_kappa", -0.1, 4, 2, 4))
    'rests on 4 units (fewer than 10); negative: agreement below chance'
    """
    return "; ".join(filter(None, (result.reason, *caveats(result))))


def band(result: AgreementResult) -> str | None:
    """The value in words, naming the guideline used; ``None`` for percent agreement (no
    chance correction, no agreed bands) and undefined values."""
    v = result.value
    if v is None or result.method == "percent_agreement":
        return None
    if result.method == "krippendorff_alpha":
        if v >= 0.8:
            return "reliable (Krippendorff: .800 or more)"
        if v >= 0.667:
            return "tentative (Krippendorff: .667 to .800)"
        return "unreliable (Krippendorff: below .667)"
    for top, word, span in _LANDIS_KOCH:
        if v < top or (top > 0 and v <= top):
            return f"{word} (Landis & Koch: {span})"
    return "almost perfect (Landis & Koch: .81 to 1.00)"
