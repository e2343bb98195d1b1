"""Intraclass correlations: Shrout & Fleiss (1979) Table 4 and pingouin on generated data."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from icmaps.errors import UsageError
from icmaps.stats.coefficients import REASON_ALL_MISSING
from icmaps.stats.intraclass import ICC_FORMS, REASON_INCOMPLETE, icc

PUBLISHED = json.loads(
    (Path(__file__).parent.parent / "data" / "agreement" / "published.json").read_text()
)
SF = PUBLISHED["datasets"]["shrout-fleiss-table4"]["ratings"]


@pytest.mark.parametrize("case", PUBLISHED["icc"], ids=lambda c: c["form"])
def test_shrout_fleiss_table_4(case: dict[str, Any]) -> None:
    result = icc(SF, form=case["form"])
    assert round(result.value, 2) == case["published"]  # as printed in Table 4
    assert round(result.value, 3) == case["value"]
    assert [round(v, 3) for v in result.ci] == case["ci"]
    assert (result.n_units, result.n_raters) == (6, 4)
    assert result.label == f"Intraclass correlation ({case['form']})"


def _pingouin(y: np.ndarray) -> Any:
    import pandas as pd

    n, k = y.shape
    long = pd.DataFrame(
        [(i, j, y[i, j]) for i in range(n) for j in range(k)], columns=["unit", "rater", "score"]
    )
    with warnings.catch_warnings():
        # pingouin and the packages it imports warn of their own deprecations (pandas,
        # pyparsing), which the project's filterwarnings=error would turn into failures
        warnings.simplefilter("ignore")
        import pingouin as pg

        table = pg.intraclass_corr(long, "unit", "rater", "score", nan_policy="omit")
    # rows come in the order of ICC_FORMS; their labels changed across pingouin versions
    # (ICC1 ... then ICC(1,1), ICC(A,1) ...)
    return table.reset_index(drop=True)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(3, 30),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    rater_effect=st.sampled_from([0.0, 0.5, 2.0]),
)
def test_matches_pingouin(n: int, k: int, seed: int, rater_effect: float) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, 1)) + rater_effect * rng.normal(size=(1, k)) + rng.normal(size=(n, k))
    y = np.round(y * 2) / 2  # scores on a grid, like level scores
    table = _pingouin(y)
    for i, form in enumerate(ICC_FORMS):
        ours = icc(y, form=form)  # type: ignore[arg-type]
        row = table.loc[i]
        if not np.isfinite(row["ICC"]):
            continue
        assert ours.value == pytest.approx(row["ICC"], abs=1e-9)
        assert ours.details["f"] == pytest.approx(row["F"], rel=1e-9)
        assert ours.details["p_value"] == pytest.approx(row["pval"], abs=1e-9)
        ci = row["CI95%"] if "CI95%" in row.index else row["CI95"]
        # pingouin rounds its interval to 2 decimals
        assert ours.ci == pytest.approx(tuple(ci), abs=0.005 + 1e-9)


def test_incomplete_units_left_out_like_pingouin() -> None:
    y = np.array([*SF, [5.0, np.nan, 4.0, 3.0]])
    ours = icc(y, form="ICC2")
    assert ours.details["n_units_dropped"] == 1
    assert ours.value == pytest.approx(icc(SF, form="ICC2").value, abs=1e-12)


def test_one_way_forms_take_any_raters() -> None:
    # each unit rated by two of four raters: no unit is complete, ICC1 still applies
    y = np.full((4, 4), np.nan)
    for i, (a, b) in enumerate([(0, 1), (2, 3), (0, 2), (1, 3)]):
        y[i, a], y[i, b] = 1.0 + i, 1.5 + i
    two_way = icc(y, form="ICC2")
    assert two_way.value is None
    hint = "when the raters differ from unit to unit, use form ICC1"
    assert two_way.reason == f"{REASON_INCOMPLETE}; {hint}"
    packed = np.array([[1.0 + i, 1.5 + i] for i in range(4)])
    assert icc(y, form="ICC1").value == pytest.approx(icc(packed, form="ICC1").value, abs=1e-12)
    assert icc(y, form="ICC1").n_raters == 4


def test_edges() -> None:
    assert icc([[None, None]]).reason == REASON_ALL_MISSING
    same = icc([[2, 2], [2, 2], [2, 2]])
    assert same.value is None
    assert same.reason is not None
    assert "no variation" in same.reason
    with pytest.raises(UsageError, match="icc form must be one of ICC1, ICC2"):
        icc(SF, form="ICC4")  # type: ignore[arg-type]


def test_bootstrap_interval() -> None:
    result = icc(SF, form="ICC3", bootstrap=400, seed=1)
    assert result.details["ci_method"] == "bootstrap"
    assert result.ci == icc(SF, form="ICC3", bootstrap=400, seed=1).ci
    assert result.details["ci_analytic"] == pytest.approx([0.342, 0.946], abs=5e-4)
