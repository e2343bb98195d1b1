"""Tests of icmaps.agreement: published worked examples, cross-checks against reference
packages on random data, defined edge cases, and the bootstrap."""

from __future__ import annotations

import dataclasses
import doctest
import inspect
import json
import math
import subprocess
import sys
import types
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from icmaps.errors import UsageError
from icmaps.stats import coefficients, disagreements as disagreements_module, reliability
from icmaps.stats.coefficients import (
    REASON_ALL_MISSING,
    REASON_NO_PAIRS,
    AgreementResult,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    no_variation_reason,
    percent_agreement,
)

NAN = math.nan
Rows = list[list[float | None]]
LEVELS = ("nominal", "ordinal", "interval", "ratio")

# --------------------------------------------------------------------------------------------
# Published data

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
# Communication, University of Pennsylvania, section C ("nominal data, any number of
# observers, missing data"): 4 observers x 12 units, values 1..5, "." = missing. Transposed to
# units x raters and shifted to level indices (value - 1). The paper reports alpha = 0.743
# (nominal), 0.815 (ordinal), 0.849 (interval) and 0.797 (ratio) for these data; the ratio
# metric in icmaps works on level numbers index + 1, i.e. on the paper's own values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],  # observer A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],  # observer B
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],  # observer C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],  # observer D
]
KRIPPENDORFF_2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382: 30 patients, 6 psychiatrists each (not the same six), 5 diagnoses
# (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other). Fleiss prints
# the counts per category; this per-rater form is the one distributed as `diagnoses` in R's
# irr package and in statsmodels' test suite (statsmodels/stats/tests/test_inter_rater.py).
# Fleiss (1971) reports kappa = 0.430 (irr: 0.4302445).
FLEISS_1971_DIAGNOSES = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories, given as
# counts per category (n_ij); the article computes kappa = 0.210.
WIKIPEDIA_FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# SAS/STAT User's Guide, PROC FREQ, Getting Started "Agreement Study" (SkinCondition data):
# two dermatologists rate 88 patients terrible / poor / marginal / clear. Rows = dermatologist
# 1, columns = dermatologist 2. SAS reports simple kappa 0.3449 and weighted kappa 0.5082; SAS's
# default Cicchetti-Allison agreement weights 1 - |i - j| / (k - 1) give exactly the kappa of
# linear disagreement weights |i - j| (Cohen 1968).
SAS_SKIN_CONDITION = [
    [10, 4, 1, 0],
    [5, 10, 12, 2],
    [2, 4, 12, 5],
    [0, 2, 6, 13],
]

# Wikipedia, "Cohen's kappa", first example: 50 grant proposals, two readers, yes/no:
# 20 yes/yes, 5 A-yes/B-no, 10 A-no/B-yes, 15 no/no; p_o = 0.7, p_e = 0.5, kappa = 0.4.
WIKIPEDIA_COHEN_2X2 = [[20, 5], [10, 15]]


def _units_x_raters(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64)


def _expand_table(table: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Two rating vectors from a confusion table (rows = rater a, columns = rater b)."""
    a: list[int] = []
    b: list[int] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


def _expand_counts(counts: list[list[int]]) -> np.ndarray:
    """Units x raters ratings from per-category counts (same number of ratings per unit)."""
    return np.asarray(
        [[c for c, k in enumerate(row) for _ in range(k)] for row in counts], dtype=float
    )


# --------------------------------------------------------------------------------------------
# Published worked examples


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_2011_example(level: str) -> None:
    data = _units_x_raters(KRIPPENDORFF_2011).T - 1
    result = krippendorff_alpha(data, level=level, n_levels=5)  # type: ignore[arg-type]
    assert result.value is not None
    assert round(result.value, 3) == KRIPPENDORFF_2011_ALPHA[level]
    # Unit 12 has a single value (observer B's 3): not pairable, so 11 units and the paper's
    # n.. = 40 pairable values.
    assert result.n_units == 11
    assert result.details["n_pairable_values"] == 40
    assert result.details["n_units_dropped"] == 1
    assert result.n_raters == 4


def test_krippendorff_2011_coincidences() -> None:
    # The paper's coincidence matrix for these data (values 1..5) and its marginals n_c.
    # By hand: unit 6 (values 1, 2, 3, 4; m = 4) gives 1/3 to every pair of those values;
    # unit 8 (1, 1, 2, 1) gives 3 x 1/3 to (1, 2); unit 2 (2, 3, 2, 2) 3 x 1/3 to (2, 3).
    data = _units_x_raters(KRIPPENDORFF_2011).T - 1
    o = np.asarray(krippendorff_alpha(data, level="nominal").details["coincidences"])
    expected = np.array(
        [
            [7, 4 / 3, 1 / 3, 1 / 3, 0],
            [4 / 3, 10, 4 / 3, 1 / 3, 0],
            [1 / 3, 4 / 3, 8, 1 / 3, 0],
            [1 / 3, 1 / 3, 1 / 3, 4, 0],
            [0, 0, 0, 0, 3],
        ]
    )
    np.testing.assert_allclose(o, expected, atol=1e-12)
    np.testing.assert_allclose(o.sum(axis=0), [9, 13, 10, 5, 3])


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_2011_against_package(level: str) -> None:
    kd = pytest.importorskip("krippendorff")
    data = _units_x_raters(KRIPPENDORFF_2011)  # raters x units, values 1..5, as the package
    theirs = kd.alpha(data, level_of_measurement=level, value_domain=[1, 2, 3, 4, 5])
    ours = krippendorff_alpha(data.T - 1, level=level, n_levels=5).value  # type: ignore[arg-type]
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_fleiss_1971_diagnoses() -> None:
    data = np.asarray(FLEISS_1971_DIAGNOSES, dtype=float) - 1
    assert data.shape == (30, 6)
    result = fleiss_kappa(data, n_levels=5)
    assert result.value is not None
    assert round(result.value, 3) == 0.430
    assert result.value == pytest.approx(0.4302445, abs=1e-7)  # R irr::kappam.fleiss
    assert result.n_units == 30
    assert result.n_pairs == 30 * 15
    assert result.details["ratings_per_unit"] == 6


def test_fleiss_wikipedia_example() -> None:
    data = _expand_counts(WIKIPEDIA_FLEISS_COUNTS)
    assert data.shape == (10, 14)
    result = fleiss_kappa(data, n_levels=5)
    assert result.value is not None
    assert round(result.value, 3) == 0.210
    # The article's intermediate values: P_bar = 0.378, P_e = 0.213.
    assert round(float(result.details["p_bar"]), 3) == 0.378  # type: ignore[arg-type]
    assert round(float(result.details["p_expected"]), 3) == 0.213  # type: ignore[arg-type]
    np.testing.assert_allclose(
        result.details["level_proportions"],  # type: ignore[call-overload]
        [0.143, 0.200, 0.279, 0.150, 0.229],
        atol=5e-4,
    )


def test_cohen_wikipedia_2x2() -> None:
    a, b = _expand_table(WIKIPEDIA_COHEN_2X2)
    result = cohen_kappa(a, b, n_levels=2)
    assert result.value == pytest.approx(0.4, abs=1e-12)
    assert result.details["p_observed"] == pytest.approx(0.7)
    assert result.details["p_expected"] == pytest.approx(0.5)
    assert result.details["confusion"] == WIKIPEDIA_COHEN_2X2
    assert result.n_units == 50


def test_cohen_sas_skin_condition() -> None:
    a, b = _expand_table(SAS_SKIN_CONDITION)
    assert a.size == 88
    simple = cohen_kappa(a, b, n_levels=4)
    linear = cohen_kappa(a, b, n_levels=4, weights="linear")
    assert simple.value is not None
    assert linear.value is not None
    assert round(simple.value, 4) == 0.3449
    assert round(linear.value, 4) == 0.5082
    # Quadratic weights penalise the off-by-two cells more; value checked against sklearn below.
    quadratic = cohen_kappa(a, b, n_levels=4, weights="quadratic")
    assert quadratic.value is not None
    assert quadratic.value > linear.value > simple.value


# --------------------------------------------------------------------------------------------
# Cross-checks on random data


def _random_ratings(
    rng: np.random.Generator, n_units: int, n_raters: int, n_levels: int, missing: float
) -> np.ndarray:
    """Correlated ratings: a true level per unit plus rater noise, with missing cells."""
    truth = rng.integers(0, n_levels, size=(n_units, 1))
    noise = rng.integers(-2, 3, size=(n_units, n_raters)) * (rng.random((n_units, n_raters)) < 0.4)
    data: np.ndarray = np.clip(truth + noise, 0, n_levels - 1).astype(float)
    data[rng.random(data.shape) < missing] = np.nan
    return data


SHAPES = [(5, 2, 2, 0.0), (20, 3, 4, 0.1), (50, 5, 5, 0.3), (200, 7, 3, 0.2), (31, 12, 6, 0.5)]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("n_units", "n_raters", "n_levels", "missing"), SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_krippendorff_package(  # noqa: PLR0917 (pytest parameters)
    level: str, n_units: int, n_raters: int, n_levels: int, missing: float, seed: int
) -> None:
    kd = pytest.importorskip("krippendorff")
    rng = np.random.default_rng([seed, n_units, n_raters])
    data = _random_ratings(rng, n_units, n_raters, n_levels, missing)
    domain = np.arange(n_levels, dtype=float)
    if level == "ratio":
        # icmaps' ratio metric uses level numbers 1..n_levels.
        theirs = kd.alpha(data.T + 1, level_of_measurement=level, value_domain=domain + 1)
    else:
        theirs = kd.alpha(data.T, level_of_measurement=level, value_domain=domain)
    ours = krippendorff_alpha(data, level=level, n_levels=n_levels)  # type: ignore[arg-type]
    assert ours.value is not None
    assert ours.value == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 6).flatmap(
        lambda r: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=r, max_size=r),
            min_size=2,
            max_size=25,
        )
    ),
    st.sampled_from(LEVELS),
)
def test_alpha_matches_package_hypothesis(rows: list[list[int | None]], level: str) -> None:
    kd = pytest.importorskip("krippendorff")
    data = np.asarray(rows, dtype=float)
    counts = (~np.isnan(data)).sum(axis=1)
    pairable = data[counts >= 2]
    values = pairable[~np.isnan(pairable)]
    # Cases the package cannot compute are covered by the edge-case tests below.
    assume(np.unique(values).size >= 2)
    shift = 1 if level == "ratio" else 0
    theirs = kd.alpha(
        data.T + shift, level_of_measurement=level, value_domain=np.arange(5.0) + shift
    )
    ours = krippendorff_alpha(data, level=level, n_levels=5)  # type: ignore[arg-type]
    assert ours.value is not None
    assert ours.value == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize(("n_units", "n_raters", "n_levels"), [(10, 2, 2), (40, 4, 3), (300, 9, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleiss_matches_statsmodels(n_units: int, n_raters: int, n_levels: int, seed: int) -> None:
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    rng = np.random.default_rng([seed, n_units])
    data = _random_ratings(rng, n_units, n_raters, n_levels, 0.0)
    table, _ = inter_rater.aggregate_raters(data.astype(int))
    theirs = inter_rater.fleiss_kappa(table, method="fleiss")
    ours = fleiss_kappa(data, n_levels=n_levels)
    assert ours.value is not None
    assert ours.value == pytest.approx(theirs, abs=1e-9)


def test_fleiss_allows_different_raters_per_unit() -> None:
    # A complete design means the same *number* of ratings per unit, not the same raters.
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    rng = np.random.default_rng(7)
    dense = _random_ratings(rng, 60, 3, 4, 0.0)
    wide = np.full((60, 6), np.nan)
    for u in range(60):
        wide[u, rng.choice(6, size=3, replace=False)] = dense[u]
    table, _ = inter_rater.aggregate_raters(dense.astype(int))
    ours = fleiss_kappa(wide, n_levels=4)
    assert ours.value == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-9)
    assert ours.n_raters == 6


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize(
    ("n_units", "n_levels", "missing"), [(8, 2, 0.0), (60, 4, 0.2), (500, 6, 0.1)]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cohen_matches_sklearn(
    weights: str | None, n_units: int, n_levels: int, missing: float, seed: int
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng([seed, n_units])
    data = _random_ratings(rng, n_units, 2, n_levels, missing)
    both = ~np.isnan(data).any(axis=1)
    theirs = metrics.cohen_kappa_score(
        data[both, 0].astype(int),
        data[both, 1].astype(int),
        labels=list(range(n_levels)),
        weights=weights,
    )
    ours = cohen_kappa(data[:, 0], data[:, 1], n_levels=n_levels, weights=weights)  # type: ignore[arg-type]
    assert ours.value is not None
    assert ours.value == pytest.approx(theirs, abs=1e-9)
    assert ours.n_units == int(both.sum())


def test_cohen_sas_quadratic_against_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    a, b = _expand_table(SAS_SKIN_CONDITION)
    for weights in (None, "linear", "quadratic"):
        theirs = metrics.cohen_kappa_score(a.astype(int), b.astype(int), weights=weights)
        ours = cohen_kappa(a, b, n_levels=4, weights=weights)
        assert ours.value == pytest.approx(theirs, abs=1e-12)


def test_cohen_weights_use_full_level_order() -> None:
    # Levels 0 and 3 only: the linear distance between them is 3 steps of a 4-level scale.
    # Unlike sklearn without `labels`, unused levels are not squeezed out.
    a = [0, 0, 3, 3, 0]
    b = [0, 3, 3, 0, 0]
    four = cohen_kappa(a, b, n_levels=4, weights="linear")
    assert four.details["observed_disagreement"] == pytest.approx(6 / 5)
    # With only two levels used, linear weighting is a rescaling and kappa is unchanged.
    assert four.value == pytest.approx(cohen_kappa(a, b, n_levels=4).value)


def _brute_force_percent(data: np.ndarray, tolerance: int) -> tuple[int, int]:
    agree = pairs = 0
    for row in data:
        values = [v for v in row if not np.isnan(v)]
        for x, y in combinations(values, 2):
            pairs += 1
            agree += abs(x - y) <= tolerance
    return agree, pairs


@pytest.mark.parametrize("tolerance", [0, 1, 2])
@pytest.mark.parametrize(("n_units", "n_raters", "n_levels", "missing"), SHAPES)
def test_percent_agreement_matches_brute_force(
    tolerance: int, n_units: int, n_raters: int, n_levels: int, missing: float
) -> None:
    rng = np.random.default_rng([tolerance, n_units])
    data = _random_ratings(rng, n_units, n_raters, n_levels, missing)
    agree, pairs = _brute_force_percent(data, tolerance)
    result = percent_agreement(data, tolerance=tolerance)
    assert result.n_pairs == pairs
    assert result.details["n_agreeing_pairs"] == agree
    assert result.value == pytest.approx(agree / pairs, abs=1e-12)
    table = result.details["rater_pairs"]
    assert isinstance(table, list)
    assert len(table) == n_raters * (n_raters - 1) // 2
    assert sum(p["n_units"] for p in table) == pairs
    assert sum(p["n_agree"] for p in table) == agree


# --------------------------------------------------------------------------------------------
# Percent agreement by hand


def test_percent_agreement_by_hand() -> None:
    data: Rows = [
        [0, 0, 1],  # pairs (0,0) yes, (0,1) no/adjacent, (0,1) no/adjacent
        [2, 2, 2],  # 3 exact
        [0, None, 3],  # (0,3): no, not adjacent
    ]
    exact = percent_agreement(data)
    assert exact.n_pairs == 7
    assert exact.details["n_agreeing_pairs"] == 4
    assert exact.value == pytest.approx(4 / 7)
    assert exact.n_units == 3
    assert exact.n_raters == 3
    adjacent = percent_agreement(data, tolerance=1)
    assert adjacent.value == pytest.approx(6 / 7)
    assert adjacent.details["rater_pairs"] == [
        {"raters": [0, 1], "n_units": 2, "n_agree": 2, "agreement": 1.0},
        {"raters": [0, 2], "n_units": 3, "n_agree": 2, "agreement": 2 / 3},
        {"raters": [1, 2], "n_units": 2, "n_agree": 2, "agreement": 1.0},
    ]
    assert exact.details["rater_pairs"][0] == {  # type: ignore[index]
        "raters": [0, 1],
        "n_units": 2,
        "n_agree": 2,
        "agreement": 1.0,
    }
    assert exact.details["rater_pairs"][1]["agreement"] == pytest.approx(1 / 3)  # type: ignore[index]


def test_percent_agreement_without_the_pair_table_gives_the_same_value() -> None:
    data: Rows = [[0, 0, 1], [2, 2, 2], [0, None, 3]]
    full = percent_agreement(data, tolerance=1)
    lean = percent_agreement(data, tolerance=1, rater_pairs=False)
    assert "rater_pairs" not in lean.details
    assert (lean.value, lean.n_pairs, lean.n_raters) == (full.value, full.n_pairs, full.n_raters)
    assert lean.details["n_agreeing_pairs"] == full.details["n_agreeing_pairs"]


def test_percent_agreement_rater_pair_without_shared_units() -> None:
    result = percent_agreement([[0, 0, None], [None, 1, 1]])
    table = result.details["rater_pairs"]
    assert table[1] == {"raters": [0, 2], "n_units": 0, "n_agree": 0, "agreement": None}  # type: ignore[index]
    assert result.value == 1.0


# --------------------------------------------------------------------------------------------
# Edge cases: defined results, never a crash or a silent nan


ALL_FUNCTIONS = ["percent", "alpha", "fleiss"]


def _call(name: str, data: object) -> AgreementResult:
    if name == "percent":
        return percent_agreement(data)  # type: ignore[arg-type]
    if name == "alpha":
        return krippendorff_alpha(data, level="ordinal", n_levels=4)  # type: ignore[arg-type]
    return fleiss_kappa(data, n_levels=4)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_one_rater(name: str) -> None:
    result = _call(name, [[0], [1], [2], [3]])
    assert result.value is None
    assert result.reason == REASON_NO_PAIRS == "fewer than two raters rated any unit"
    assert result.n_raters == 1
    assert result.n_pairs == 0


@pytest.mark.parametrize("name", ["percent", "alpha"])
def test_no_pairable_unit(name: str) -> None:
    # Two raters, but never on the same unit.
    result = _call(name, [[0, None], [None, 2], [1, None]])
    assert result.value is None
    assert result.reason == REASON_NO_PAIRS
    assert result.n_raters == 2


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
@pytest.mark.parametrize("data", [[[None, None], [None, None]], np.full((3, 4), np.nan), [[]]])
def test_all_missing(name: str, data: object) -> None:
    result = _call(name, data)
    assert result.value is None
    assert result.reason == REASON_ALL_MISSING
    assert result.n_units == 0


@pytest.mark.parametrize("name", ["alpha", "fleiss"])
def test_no_variation(name: str) -> None:
    result = _call(name, [[2, 2, 2], [2, 2, 2], [2, 2, 2]])
    assert result.value is None
    assert result.reason == no_variation_reason(2)
    assert result.reason == (
        "no variation: all ratings are level 2 "
        "(agreement is perfect but chance-corrected coefficients are undefined)"
    )
    assert result.n_units == 3
    assert result.n_pairs == 9


def test_no_variation_percent_agreement_is_one() -> None:
    result = percent_agreement([[2, 2, 2], [2, None, 2]])
    assert result.value == 1.0
    assert result.reason is None


def test_no_variation_ignores_unpairable_values() -> None:
    # The level-3 rating sits alone in its unit, so it is not pairable and not counted.
    result = krippendorff_alpha([[1, 1], [1, 1], [3, None]], level="nominal")
    assert result.value is None
    assert result.reason == no_variation_reason(1)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_edge_cases(weights: str | None) -> None:
    w = {"weights": weights, "n_levels": 3}
    same = cohen_kappa([1, 1, 1], [1, 1, 1], **w)  # type: ignore[arg-type]
    assert same.value is None
    assert same.reason == no_variation_reason(1)
    missing = cohen_kappa([None, None], [None, None], **w)  # type: ignore[arg-type]
    assert missing.value is None
    assert missing.reason == REASON_ALL_MISSING
    disjoint = cohen_kappa([0, None], [None, 1], **w)  # type: ignore[arg-type]
    assert disjoint.value is None
    assert disjoint.reason == REASON_NO_PAIRS
    # Each rater constant but at different levels: expected disagreement > 0, kappa is 0.
    constant = cohen_kappa([0, 0, 0], [2, 2, 2], **w)  # type: ignore[arg-type]
    assert constant.value == pytest.approx(0.0)
    # Missing values drop the unit.
    dropped = cohen_kappa([0, 1, None, 2], [0, 1, 2, None], **w)  # type: ignore[arg-type]
    assert dropped.n_units == 2
    assert dropped.value == pytest.approx(1.0)


def test_fleiss_incomplete_design_names_units() -> None:
    data: Rows = [[0, 1, 1], [0, None, 1], [1, 1, 1], [None, None, 2], [2, 2, 2]]
    with pytest.raises(UsageError) as excinfo:
        fleiss_kappa(data, n_levels=3)
    message = str(excinfo.value)
    assert "complete design" in message
    assert "units 1, 3 " in message
    assert "3 ratings" in message
    assert "krippendorff_alpha" in message


def test_fleiss_incomplete_design_truncates_long_lists() -> None:
    data = np.zeros((30, 3))
    data[5:25, 2] = np.nan
    with pytest.raises(UsageError, match=r"units 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 and 10 more"):
        fleiss_kappa(data, n_levels=2)


def test_fleiss_one_rating_per_unit_is_no_pairs() -> None:
    result = fleiss_kappa([[0, None], [None, 1]], n_levels=2)
    assert result.reason == REASON_NO_PAIRS


def test_perfect_agreement_with_variation() -> None:
    data: Rows = [[0, 0, 0], [1, 1, 1], [3, 3, None]]
    assert krippendorff_alpha(data, level="ordinal").value == pytest.approx(1.0)
    assert krippendorff_alpha(data, level="nominal").value == pytest.approx(1.0)
    assert fleiss_kappa([[0, 0], [1, 1], [3, 3]], n_levels=4).value == pytest.approx(1.0)
    assert cohen_kappa([0, 1, 3], [0, 1, 3], n_levels=4).value == pytest.approx(1.0)


def test_n_levels_only_validates_alpha() -> None:
    data = [[0, 1], [1, 1], [2, 2], [0, 0]]
    for level in LEVELS:
        small = krippendorff_alpha(data, level=level)  # type: ignore[arg-type]
        big = krippendorff_alpha(data, level=level, n_levels=9)  # type: ignore[arg-type]
        assert small.value == pytest.approx(big.value, abs=1e-12)


# --------------------------------------------------------------------------------------------
# Input validation


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([[0, 1.5]], "whole level indices"),
        ([[0, -1]], r"level indices 0\.\.3"),
        ([[0, 4]], "found 4"),
        ([[0, math.inf]], "found inf"),
        ([0, 1, 2], "2-D"),
        ([[0, 1], [0]], "rectangular"),
        ([["a", "b"]], "rectangular"),
    ],
)
def test_bad_ratings_raise(data: object, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        krippendorff_alpha(data, n_levels=4)  # type: ignore[arg-type]


def test_inferred_scale_size_is_capped() -> None:
    with pytest.raises(UsageError, match="pass n_levels"):
        krippendorff_alpha([[0, 1e9], [1, 1]])
    # An explicit n_levels is trusted.
    assert krippendorff_alpha([[0, 1500], [1, 1]], n_levels=1501, level="nominal").value is not None


def test_bad_options_raise() -> None:
    with pytest.raises(UsageError, match="level must be one of"):
        krippendorff_alpha([[0, 1]], level="nominl")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="weights must be"):
        cohen_kappa([0], [1], n_levels=2, weights="cubic")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="tolerance"):
        percent_agreement([[0, 1]], tolerance=-1)
    with pytest.raises(UsageError, match="n_levels must be a positive integer"):
        fleiss_kappa([[0, 1]], n_levels=0)
    with pytest.raises(UsageError, match="n_levels is required"):
        cohen_kappa([0], [1], n_levels=None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="same units"):
        cohen_kappa([0, 1], [1], n_levels=2)
    with pytest.raises(UsageError, match="1-D"):
        cohen_kappa([[0, 1]], [[1, 0]], n_levels=2)  # type: ignore[list-item]
    with pytest.raises(UsageError, match="bootstrap must be"):
        krippendorff_alpha([[0, 1]], bootstrap=-5)
    with pytest.raises(UsageError, match="confidence"):
        krippendorff_alpha([[0, 1]], bootstrap=10, confidence=95)


def test_errors_are_value_errors() -> None:
    # Callers catching ValueError (or IcmapsError) get every input problem.
    with pytest.raises(ValueError, match="2-D"):
        percent_agreement([1, 2])  # type: ignore[list-item]


# --------------------------------------------------------------------------------------------
# Bootstrap


def _bootstrap_data() -> np.ndarray:
    return _random_ratings(np.random.default_rng(11), 80, 4, 4, 0.15)


@pytest.mark.parametrize("name", ["alpha", "fleiss", "cohen", "percent"])
def test_bootstrap_is_deterministic_and_contains_estimate(name: str) -> None:
    data = _bootstrap_data()
    complete = np.nan_to_num(data, nan=1.0)

    def run(seed: int | np.random.Generator) -> AgreementResult:
        if name == "alpha":
            return krippendorff_alpha(data, level="ordinal", bootstrap=500, seed=seed)
        if name == "fleiss":
            return fleiss_kappa(complete, n_levels=4, bootstrap=500, seed=seed)
        if name == "cohen":
            return cohen_kappa(
                data[:, 0], data[:, 1], n_levels=4, weights="quadratic", bootstrap=500, seed=seed
            )
        return percent_agreement(data, tolerance=1, bootstrap=500, seed=seed)

    first, again, other = run(1), run(1), run(2)
    assert first.ci is not None
    assert first.ci == again.ci
    assert first.ci != other.ci
    assert run(np.random.default_rng(1)).ci == first.ci
    assert first.value is not None
    lo, hi = first.ci
    assert lo <= first.value <= hi
    assert lo < hi
    assert first.details["bootstrap"] == 500
    assert first.details["confidence"] == 0.95


def test_bootstrap_confidence_level() -> None:
    # Same seed, same resamples: a 50 % interval lies inside the 95 % one.
    data = _bootstrap_data()
    wide = krippendorff_alpha(data, bootstrap=500, seed=1)
    narrow = krippendorff_alpha(data, bootstrap=500, seed=1, confidence=0.5)
    assert wide.ci is not None
    assert narrow.ci is not None
    assert wide.ci[0] < narrow.ci[0] < narrow.ci[1] < wide.ci[1]
    assert narrow.details["confidence"] == 0.5
    assert "50% CI" in str(narrow)


def test_bootstrap_replicates_equal_direct_recomputation() -> None:
    # The vectorised bootstrap must give the alpha of each resample of units. Redraw the same
    # resamples (one chunk: the same rng calls the implementation makes) and recompute.
    data = _random_ratings(np.random.default_rng(3), 25, 3, 4, 0.2)
    pairable = data[(~np.isnan(data)).sum(axis=1) >= 2]
    n_boot = 200
    result = krippendorff_alpha(data, level="ordinal", bootstrap=n_boot, seed=42)
    draws = np.random.default_rng(42).integers(
        0, pairable.shape[0], size=(n_boot, pairable.shape[0])
    )
    values = [krippendorff_alpha(pairable[row], level="ordinal", n_levels=4).value for row in draws]
    defined = np.array([v for v in values if v is not None])
    assert result.details["bootstrap_defined"] == defined.size
    expected = np.quantile(defined, [0.025, 0.975])
    assert result.ci == pytest.approx(tuple(expected), abs=1e-12)


def test_bootstrap_cohen_replicates_equal_direct_recomputation() -> None:
    data = _random_ratings(np.random.default_rng(5), 40, 2, 3, 0.1)
    both = data[~np.isnan(data).any(axis=1)]
    result = cohen_kappa(
        data[:, 0], data[:, 1], n_levels=3, weights="linear", bootstrap=100, seed=9
    )
    draws = np.random.default_rng(9).integers(0, both.shape[0], size=(100, both.shape[0]))
    values = [
        cohen_kappa(both[row, 0], both[row, 1], n_levels=3, weights="linear").value for row in draws
    ]
    defined = np.array([v for v in values if v is not None])
    assert result.ci == pytest.approx(tuple(np.quantile(defined, [0.025, 0.975])), abs=1e-12)


def test_bootstrap_fleiss_replicates_equal_direct_recomputation() -> None:
    data = _random_ratings(np.random.default_rng(6), 30, 4, 3, 0.0)
    result = fleiss_kappa(data, n_levels=3, bootstrap=100, seed=4)
    draws = np.random.default_rng(4).integers(0, 30, size=(100, 30))
    values = [fleiss_kappa(data[row], n_levels=3).value for row in draws]
    defined = np.array([v for v in values if v is not None])
    assert result.ci == pytest.approx(tuple(np.quantile(defined, [0.025, 0.975])), abs=1e-12)


def test_bootstrap_large_data_uses_chunks() -> None:
    # More units than fit one chunk of resamples: still deterministic and sensible.
    data = _random_ratings(np.random.default_rng(8), 30_000, 3, 4, 0.1)
    result = krippendorff_alpha(data, level="interval", bootstrap=120, seed=3)
    assert result.ci is not None
    assert result.value is not None
    assert result.ci[0] <= result.value <= result.ci[1]
    assert result.ci == krippendorff_alpha(data, level="interval", bootstrap=120, seed=3).ci


def test_bootstrap_single_unit_and_undefined_value() -> None:
    # One pairable unit rated 0 and 1: every resample is that unit, D_o = D_e, alpha = 0.
    result = krippendorff_alpha([[0, 1], [2, None]], level="nominal", bootstrap=50, seed=0)
    assert result.value == pytest.approx(0.0)
    assert result.ci == pytest.approx((0.0, 0.0))
    # No point estimate, no interval.
    undefined = krippendorff_alpha([[1, 1], [1, 1]], bootstrap=50, seed=0)
    assert undefined.value is None
    assert undefined.ci is None


def test_bootstrap_drops_degenerate_resamples() -> None:
    # Two units, one all-0 and one all-1: resamples drawing the same unit twice have no
    # variation; they are counted out, and the interval comes from the others.
    result = krippendorff_alpha([[0, 0], [1, 1]], level="nominal", bootstrap=200, seed=0)
    assert result.value == pytest.approx(1.0)
    defined = result.details["bootstrap_defined"]
    assert isinstance(defined, int)
    assert 0 < defined < 200
    assert result.ci == pytest.approx((1.0, 1.0))


def test_no_bootstrap_by_default() -> None:
    result = krippendorff_alpha([[0, 1], [1, 1], [2, 2]])
    assert result.ci is None
    assert "bootstrap" not in result.details


# --------------------------------------------------------------------------------------------
# Result object


def test_result_is_frozen_and_serialisable() -> None:
    data = _units_x_raters(KRIPPENDORFF_2011).T - 1
    result = krippendorff_alpha(data, level="interval", bootstrap=100, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 1.0  # type: ignore[misc]
    as_dict = result.to_dict()
    assert set(as_dict) == {
        "method",
        "value",
        "n_units",
        "n_raters",
        "n_pairs",
        "reason",
        "ci",
        "details",
    }
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert isinstance(as_dict["value"], float)
    assert isinstance(hash(result), int)
    text = str(result)
    assert text.startswith("Krippendorff's alpha (interval) = 0.849, 95% CI [")
    assert text.endswith("(11 units, 4 raters, 55 pairs)")
    assert "coincidences" not in repr(result)
    assert "value=0.849" in repr(result)
    assert repr(result).startswith("AgreementResult(method='krippendorff_alpha'")


def test_result_str_when_undefined() -> None:
    result = fleiss_kappa([[3, 3], [3, 3]], n_levels=4)
    assert str(result) == (
        "Fleiss' kappa: undefined, " + no_variation_reason(3) + " (2 units, 2 raters, 2 pairs)"
    )
    assert result.to_dict()["value"] is None
    assert str(cohen_kappa([0, 1], [1, 1], n_levels=2, weights="linear")).startswith(
        "Cohen's kappa (linear) = "
    )
    assert str(percent_agreement([[0, 1]], tolerance=1)).startswith(
        "Percent agreement (within 1) = 1.000"
    )


def test_values_are_python_floats() -> None:
    for result in (
        krippendorff_alpha([[0, 1], [1, 1], [2, 2]]),
        fleiss_kappa([[0, 1], [1, 1], [2, 2]], n_levels=3),
        cohen_kappa([0, 1, 2], [1, 1, 2], n_levels=3),
        percent_agreement([[0, 1], [1, 1]]),
    ):
        assert type(result.value) is float


# --------------------------------------------------------------------------------------------
# Module hygiene


def test_docstring_examples() -> None:
    tried = 0
    for module in (coefficients, reliability, disagreements_module):
        failures, n = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0
        tried += n
    assert tried >= 8


def test_import_does_not_load_numpy() -> None:
    code = (
        "import sys, icmaps.stats.coefficients, icmaps.stats.reliability; "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("module", [coefficients, reliability, disagreements_module])
def test_public_api(module: types.ModuleType) -> None:
    for name in module.__all__:
        assert hasattr(module, name)
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            assert obj.__doc__, name
            assert ">>>" in obj.__doc__, name
