"""Notes and verbal bands on agreement figures."""

from __future__ import annotations

import pytest

from icmaps.stats.caveats import band, caveats
from icmaps.stats.coefficients import AgreementResult


def _r(method: str, value: float | None, n: int = 40, top: float | None = None) -> AgreementResult:
    details: dict[str, object] = {} if top is None else {"top_level_share": top}
    return AgreementResult(method, value, n, 3, n, details=details)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-0.1, "poor (Landis & Koch: below 0)"),
        (0.0, "slight (Landis & Koch: .00 to .20)"),
        (0.2, "slight (Landis & Koch: .00 to .20)"),
        (0.35, "fair (Landis & Koch: .21 to .40)"),
        (0.6, "moderate (Landis & Koch: .41 to .60)"),
        (0.8, "substantial (Landis & Koch: .61 to .80)"),
        (0.95, "almost perfect (Landis & Koch: .81 to 1.00)"),
    ],
)
def test_landis_koch(value: float, words: str) -> None:
    assert band(_r("fleiss_kappa", value)) == words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.5, "unreliable (Krippendorff: below .667)"),
        (0.667, "tentative (Krippendorff: .667 to .800)"),
        (0.8, "reliable (Krippendorff: .800 or more)"),
    ],
)
def test_krippendorff_guidance(value: float, words: str) -> None:
    assert band(_r("krippendorff_alpha", value)) == words


def test_no_band_for_percent_or_undefined() -> None:
    assert band(_r("percent_agreement", 0.9)) is None
    assert band(_r("gwet_ac", None)) is None


def test_caveats() -> None:
    assert caveats(_r("fleiss_kappa", 0.5)) == ()
    assert caveats(_r("fleiss_kappa", None, n=2)) == ()
    assert caveats(_r("krippendorff_alpha", -0.29, n=3)) == (
        "rests on 3 units (fewer than 10)",
        "negative: agreement below chance",
    )
    paradox = caveats(_r("cohen_kappa", 0.1, top=0.95))
    assert paradox == (
        "95% of ratings at one level: kappa-type figures collapse (kappa paradox); read Gwet's AC1",
    )
    assert caveats(_r("gwet_ac", 0.9, top=0.95)) == ()
    assert caveats(_r("percent_agreement", 0.9, top=0.95)) == (
        "95% of ratings at one level: chance alone agrees often",
    )
