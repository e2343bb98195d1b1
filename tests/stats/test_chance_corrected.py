"""Gwet's AC1/AC2, Brennan-Prediger and Conger's kappa: published values, irrCAC, edges."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from icmaps.errors import UsageError
from icmaps.stats.chance_corrected import (
    agreement_weights,
    brennan_prediger,
    chance_from_counts,
    conger_kappa,
    gwet_ac,
)
from icmaps.stats.coefficients import (
    REASON_ALL_MISSING,
    REASON_NO_PAIRS,
    no_variation_reason,
    percent_agreement,
)

PUBLISHED = json.loads(
    (Path(__file__).parent.parent / "data" / "agreement" / "published.json").read_text()
)
FUNCTIONS: dict[str, Any] = {
    "gwet": gwet_ac,
    "brennan-prediger": brennan_prediger,
    "conger": conger_kappa,
}


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['dataset']}-{case['method']}-{case['weights'] or 'unweighted'}"


@pytest.mark.parametrize("case", PUBLISHED["coefficients"], ids=_case_id)
def test_published_values(case: dict[str, Any]) -> None:
    data = PUBLISHED["datasets"][case["dataset"]]
    result = FUNCTIONS[case["method"]](
        data["ratings"], n_levels=data["n_levels"], weights=case["weights"]
    )
    assert round(result.value, 3) == case["value"]
    assert round(result.details["p_observed"], 3) == case["p_observed"]
    assert round(result.details["p_expected"], 3) == case["p_expected"]
    if "se" in case:
        assert round(result.details["se"], 3) == case["se"]
        assert [round(v, 3) for v in result.ci] == case["ci"]
    assert result.details["ci_method"] == "gwet-variance"


def test_percent_per_unit_is_gwets_observed_agreement() -> None:
    data = PUBLISHED["datasets"]["gwet-4raters"]
    units = percent_agreement(data["ratings"], variant="units")
    ac1 = gwet_ac(data["ratings"], n_levels=5)
    assert units.value == pytest.approx(ac1.details["p_observed"], abs=1e-12)
    # pooled pairs weigh units by their number of pairs, so they differ here
    assert percent_agreement(data["ratings"]).value != pytest.approx(units.value)


def test_percent_unanimous_like_irr_agree() -> None:
    rows = [[0, 0, 0], [0, 1, 1], [2, 2, None], [0, 2, 1], [3, None, None]]
    exact = percent_agreement(rows, variant="unanimous")
    within = percent_agreement(rows, variant="unanimous", tolerance=1)
    # units with two ratings or more: 4; unanimous: rows 0 and 2; within 1: rows 0, 1, 2
    assert (exact.value, within.value) == (0.5, 0.75)
    assert exact.details["n_unanimous_units"] == 2
    assert exact.label == "Percent agreement (exact, unanimous)"


def test_percent_variant_checked() -> None:
    with pytest.raises(UsageError, match="percent variant must be one of pairs, units, unanimous"):
        percent_agreement([[0, 0]], variant="mean")  # type: ignore[arg-type]


def test_ac1_resists_the_paradox() -> None:
    # 19 of 20 units at level 0 with one split: kappa-type coefficients collapse, AC1 not
    rows = [[0, 0]] * 18 + [[0, 1], [1, 0]]
    assert conger_kappa(rows, n_levels=4).value == pytest.approx(-1 / 19, abs=1e-12)
    assert gwet_ac(rows, n_levels=4).value > 0.85


def test_single_level_throughout() -> None:
    rows = [[1, 1], [1, 1], [1, None]]
    assert gwet_ac(rows, n_levels=3).value == 1.0
    assert brennan_prediger(rows, n_levels=3).value == 1.0
    conger = conger_kappa(rows, n_levels=3)
    assert conger.value is None
    assert conger.reason == no_variation_reason(1)


@pytest.mark.parametrize("function", list(FUNCTIONS.values()))
def test_degenerate_inputs(function: Any) -> None:
    assert function([[None, None]], n_levels=3).reason == REASON_ALL_MISSING
    assert function([[0, None], [None, 1]], n_levels=3).reason == REASON_NO_PAIRS


def test_one_level_scale_is_undefined() -> None:
    assert gwet_ac([[0, 0], [0, 0]], n_levels=1).reason == (
        "the scale has a single level: chance agreement is certain"
    )


def test_weights_checked() -> None:
    with pytest.raises(UsageError, match="weights must be None, 'linear' or 'quadratic'"):
        gwet_ac([[0, 1]], n_levels=2, weights="cubic")  # type: ignore[arg-type]


def test_agreement_weights_are_symmetric_with_unit_diagonal() -> None:
    for weights in (None, "linear", "quadratic"):
        w = agreement_weights(5, weights)  # type: ignore[arg-type]
        assert np.allclose(w, w.T)
        assert np.all(np.diag(w) == 1.0)
        assert w[0, 4] == 0.0  # the farthest levels never agree


@pytest.mark.parametrize("method", list(FUNCTIONS))
def test_bootstrap_interval(method: str) -> None:
    data = PUBLISHED["datasets"]["gwet-4raters"]
    one = FUNCTIONS[method](data["ratings"], n_levels=5, bootstrap=300, seed=3)
    two = FUNCTIONS[method](data["ratings"], n_levels=5, bootstrap=300, seed=3)
    assert one.ci == two.ci
    assert one.details["ci_method"] == "bootstrap"
    assert one.details["ci_analytic"] is not None
    low, high = one.ci
    assert low <= one.value <= high <= 1.0


def test_counts_and_matrix_agree() -> None:
    data = PUBLISHED["datasets"]["gwet-4raters"]
    x = np.array(data["ratings"], dtype=float)
    counts = np.stack([(x == k).sum(axis=1) for k in range(5)], axis=1)
    from_counts = chance_from_counts(counts, kind="gwet", count_raters=lambda u: 4)
    assert from_counts.value == gwet_ac(data["ratings"], n_levels=5).value
    assert math.isclose(from_counts.details["se"], 0.14295, abs_tol=5e-6)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_conger_of_two_raters_is_cohens_kappa(weights: str | None) -> None:
    from icmaps.stats.coefficients import cohen_kappa

    a, b = [0, 1, 2, 2, 1, 0, 3], [0, 1, 2, 1, 1, 1, 3]
    rows = [list(pair) for pair in zip(a, b, strict=True)]
    conger = conger_kappa(rows, n_levels=4, weights=weights)  # type: ignore[arg-type]
    cohen = cohen_kappa(a, b, n_levels=4, weights=weights)  # type: ignore[arg-type]
    assert conger.value == pytest.approx(cohen.value, abs=1e-12)
