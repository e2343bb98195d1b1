"""agreement() with Gwet's AC1/AC2, Brennan-Prediger, Conger, the ICC and the percent
variants, checked against the matrix functions on matrices built from the CSV by hand."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.stats.chance_corrected import brennan_prediger, conger_kappa, gwet_ac
from icmaps.stats.coefficients import percent_agreement
from icmaps.stats.intraclass import icc
from icmaps.stats.reliability import agreement
from tests.conftest import run_cli
from tests.tiny import tiny_ratings

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "maps" / "examples" / "learning-school.csv"
SESSION = ROOT / "maps" / "examples" / "learning-school-calibration.csv"


def _matrix(
    path: Path, component: str | None = None, *, scores: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Units (subject x occasion x component) x raters of level indices (or the levels'
    scores), from the rows."""
    m = icmaps.load_map("learning-school")
    index = {c.id: [lv.code for lv in m.scale_of(c.id).levels] for c in m.all_components()}
    score = {c.id: [lv.score for lv in m.scale_of(c.id).levels] for c in m.all_components()}
    cells: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    raters: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if component and r["component"] != component:
                continue
            if r["code"] in index[r["component"]]:
                level = index[r["component"]].index(r["code"])
                value = score[r["component"]][level] if scores else level
                cells[r["subject"], r["occasion"], r["component"]][r["rater"]] = value
                raters.add(r["rater"])
    names = sorted(raters)
    x = np.full((len(cells), len(names)), np.nan)
    for i, unit in enumerate(sorted(cells)):
        for rater, level in cells[unit].items():
            x[i, names.index(rater)] = level
    return x, names


@pytest.fixture(scope="module")
def example() -> icmaps.RatingSet:
    return icmaps.read_ratings(str(EXAMPLE), "learning-school")


FUNCTIONS: dict[str, Any] = {
    "gwet": gwet_ac,
    "brennan-prediger": brennan_prediger,
    "conger": conger_kappa,
}


@pytest.mark.parametrize("method", list(FUNCTIONS))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_agreement_matches_the_matrix_functions(
    example: icmaps.RatingSet, method: str, weights: str | None
) -> None:
    x, _ = _matrix(EXAMPLE)
    expected = FUNCTIONS[method](x, n_levels=4, weights=weights)
    got = agreement(example, method=method, weights=weights).overall  # type: ignore[arg-type]
    assert got.value == pytest.approx(expected.value, abs=1e-12)
    assert got.details["se"] == pytest.approx(expected.details["se"], abs=1e-12)
    assert got.n_units == expected.n_units
    assert got.n_raters == expected.n_raters


def test_per_component_rows(example: icmaps.RatingSet) -> None:
    rep = agreement(example, method="gwet", by="component")
    x, _ = _matrix(EXAMPLE, "al-protected-time")
    expected = gwet_ac(x, n_levels=4)
    assert rep["al-protected-time"].value == pytest.approx(expected.value, abs=1e-12)
    assert rep.label == "Gwet's AC1"
    assert agreement(example, method="gwet", weights="linear").label == "Gwet's AC2 (linear)"


@pytest.mark.parametrize("variant", ["pairs", "units", "unanimous"])
@pytest.mark.parametrize("tolerance", [0, 1])
def test_percent_variants(example: icmaps.RatingSet, variant: str, tolerance: int) -> None:
    x, _ = _matrix(EXAMPLE)
    expected = percent_agreement(x, tolerance=tolerance, variant=variant)  # type: ignore[arg-type]
    got = agreement(example, method="percent", percent=variant, tolerance=tolerance)  # type: ignore[arg-type]
    assert got.overall.value == pytest.approx(expected.value, abs=1e-12)
    assert got.options["percent"] == variant


def test_icc_on_scores_of_a_crossed_design() -> None:
    # the calibration session is fully crossed: every lesson rated by all six raters
    session = icmaps.read_ratings(str(SESSION), "learning-school")
    scores, _ = _matrix(SESSION, scores=True)
    for form in ("ICC1", "ICC2", "ICC3k"):
        got = agreement(session, method="icc", icc=form).overall  # type: ignore[arg-type]
        expected = icc(scores, form=form)  # type: ignore[arg-type]
        assert got.value == pytest.approx(expected.value, abs=1e-12)
        assert got.ci == pytest.approx(expected.ci, abs=1e-12)
        assert got.n_raters == 6


def test_icc_one_way_when_raters_differ(example: icmaps.RatingSet) -> None:
    two_way = agreement(example, method="icc").overall
    assert two_way.value is None
    assert two_way.reason is not None
    assert two_way.reason.endswith("use form ICC1")
    one_way = agreement(example, method="icc", icc="ICC1").overall
    assert one_way.value is not None
    assert one_way.details["ratings_per_unit"] == 2


def test_icc_needs_scores() -> None:
    with pytest.raises(
        UsageError, match=r"the ICC reads level scores, but the scale of component\(s\) c3"
    ):
        agreement(tiny_ratings(), method="icc")


def test_option_checks(example: icmaps.RatingSet) -> None:
    with pytest.raises(UsageError, match=r"percent=\.\.\. applies to method 'percent' only"):
        agreement(example, method="gwet", percent="units")
    with pytest.raises(UsageError, match=r"icc=\.\.\. applies to method 'icc' only"):
        agreement(example, icc="ICC3")
    with pytest.raises(UsageError, match="icc must be one of ICC1"):
        agreement(example, method="icc", icc="ICC9")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="percent must be one of pairs, units, unanimous"):
        agreement(example, method="percent", percent="all")  # type: ignore[arg-type]


def test_caveats_in_the_table(example: icmaps.RatingSet) -> None:
    table = agreement(example, method="krippendorff", by="component").to_table()
    notes = [r[-1] for r in table.rows]
    assert all(
        n is not None and n.startswith("rests on 12 units (fewer than 10)") is False
        for n in notes
        if n
    )
    small = agreement(example.filter(subject="lincoln-elementary"), by="component").to_table()
    assert any(n and "fewer than 10" in n for n in (r[-1] for r in small.rows))
    assert "top_level_share" in agreement(example).overall.details


def test_cli_new_methods() -> None:
    code, out, err = run_cli(
        "agreement", "learning-school", str(EXAMPLE), "--method", "gwet", "--weights",
        "quadratic", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["label"] == "Gwet's AC2 (quadratic)"
    assert data["overall"]["details"]["se"] > 0
    code, out, _ = run_cli(
        "agreement", "learning-school", str(EXAMPLE), "--method", "icc", "--icc", "ICC1"
    )
    assert code == 0
    assert "Intraclass correlation (ICC1)" in out
    code, out, _ = run_cli(
        "agreement", "learning-school", str(EXAMPLE), "--method", "percent", "--percent",
        "unanimous",
    )  # fmt: skip
    assert code == 0
    assert "Percent agreement (exact, unanimous)" in out
