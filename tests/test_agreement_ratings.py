"""Tests of agreement() and disagreements() on RatingSets: hand-built ratings with known
answers, per-component and per-group rows, edge cases, reports, and the CLI."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.stats.coefficients import (
    REASON_ALL_MISSING,
    REASON_NO_PAIRS,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    no_variation_reason,
    percent_agreement,
)
from icmaps.stats.disagreements import DisagreementReport, disagreements
from icmaps.stats.reliability import AgreementReport, agreement

from .conftest import run_cli, run_subprocess

NAN = math.nan
Record = dict[str, str | None]

# A map with a top-level component, a frame > standard > {a, b} branch and a second frame
# holding a 3-level component. The default scale has five levels (codes 1..5, desired first),
# so Krippendorff's (2011) 1..5 values are the codes as written.
DEMO: dict[str, object] = {
    "id": "agree-demo",
    "version": "1.0.0",
    "title": "Agreement demo",
    "scale": {
        "levels": [
            {"code": str(i), "label": f"Level {i}", "zone": z}
            for i, z in zip(
                range(1, 6),
                ["ideal", "acceptable", "unacceptable", "unacceptable", "unacceptable"],
                strict=True,
            )
        ],
        "special": [
            {"code": "NA", "label": "Not applicable", "counts": "excluded"},
            {"code": "no", "label": "Non-use", "counts": "lowest"},
            {"code": "?", "label": "Unknown", "counts": "missing"},
        ],
    },
    "scales": {
        "short": {
            "levels": [
                {"code": "a", "label": "a", "zone": "ideal"},
                {"code": "b", "label": "b", "zone": "acceptable"},
                {"code": "c", "label": "c", "zone": "unacceptable"},
            ]
        }
    },
    "components": [{"id": "top", "title": "Top", "variations": ["", "", "", "", ""]}],
    "groups": [
        {
            "id": "f1",
            "kind": "frame",
            "title": "Frame 1",
            "groups": [
                {
                    "id": "s1",
                    "kind": "standard",
                    "title": "Standard 1",
                    "components": [
                        {"id": "a", "title": "A", "variations": ["", "", "", "", ""]},
                        {"id": "b", "title": "B", "variations": ["", "", "", "", ""]},
                    ],
                }
            ],
        },
        {
            "id": "f2",
            "kind": "frame",
            "title": "Frame 2",
            "components": [{"id": "c", "title": "C", "scale": "short", "variations": ["", "", ""]}],
        },
    ],
}

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: observers
# A-D x 12 units, values 1..5, nan = missing. The paper: alpha = 0.743 nominal, 0.815
# ordinal, 0.849 interval, 0.797 ratio. (Same data as tests/test_agreement.py.)
K2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
}
K2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
K2011_MATRIX = np.array([K2011[r] for r in "ABCD"], dtype=float).T - 1  # units x raters


@pytest.fixture(scope="module")
def demo() -> Map:
    return Map.model_validate(DEMO)


def rec(subject: str, rater: str, component: str, code: str | None, occasion: str = "o1") -> Record:
    return {
        "subject": subject,
        "rater": rater,
        "occasion": occasion,
        "component": component,
        "code": code,
    }


def k2011_records(component_of: dict[int, str] | None = None) -> list[Record]:
    """The 2011 example as ratings: unit u is subject s{u % 6} on occasion o{u // 6}.

    Missing values are written three ways (a blank code, an N/A code, no row at all); all
    three must leave the cell out. ``component_of`` spreads the units over components.
    """
    out: list[Record] = []
    for u in range(12):
        comp = (component_of or {}).get(u, "a")
        for rater, values in K2011.items():
            v = values[u]
            if math.isnan(v):
                kind = (u + ord(rater)) % 3
                if kind == 0:
                    continue  # no row
                out.append(rec(f"s{u % 6}", rater, comp, "" if kind == 1 else "NA", f"o{u // 6}"))
            else:
                out.append(rec(f"s{u % 6}", rater, comp, str(int(v)), f"o{u // 6}"))
    return out


@pytest.fixture(scope="module")
def k2011(demo: Map) -> RatingSet:
    return RatingSet.from_records(demo, k2011_records())


@pytest.fixture(scope="module")
def school() -> RatingSet:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    assert isinstance(rs, RatingSet)
    return rs


def _finite_or_none(report: AgreementReport) -> None:
    for row in (*report.rows, report.pooled):
        v = row.result.value
        assert v is None or math.isfinite(v)
        assert (v is None) == (row.result.reason is not None)


# --------------------------------------------------------------------------------------------
# Known answers


@pytest.mark.parametrize("level", list(K2011_ALPHA))
def test_krippendorff_2011_through_ratings(k2011: RatingSet, level: str) -> None:
    report = agreement(k2011, level=level)  # type: ignore[arg-type]
    result = report.overall
    assert result.value is not None
    assert round(result.value, 3) == K2011_ALPHA[level]
    assert (result.n_units, result.n_raters) == (11, 4)
    assert result.details["n_units_total"] == 12
    assert report.rows == (report.pooled,)
    assert report.pooled.n_levels == 5
    assert report.raters == ("A", "B", "C", "D")


def test_same_as_core_on_the_matrix(k2011: RatingSet) -> None:
    core = krippendorff_alpha(K2011_MATRIX, level="ordinal", n_levels=5)
    got = agreement(k2011).overall
    assert got.value == pytest.approx(core.value, abs=1e-12)
    assert (got.n_units, got.n_raters, got.n_pairs) == (core.n_units, core.n_raters, core.n_pairs)
    np.testing.assert_allclose(got.details["coincidences"], core.details["coincidences"])  # type: ignore[call-overload]
    pct = agreement(k2011, method="percent", tolerance=1).overall
    assert pct.value == percent_agreement(K2011_MATRIX, tolerance=1).value
    assert pct.details["rater_pairs"][0]["raters"] == ["A", "B"]  # type: ignore[index]


def test_pooling_components_equals_the_stacked_matrix(demo: Map) -> None:
    # The same 12 units, half of them on component a and half on b: pooled and by group the
    # units are the same, so alpha is still the paper's 0.815; each component is its half.
    rs = RatingSet.from_records(demo, k2011_records(dict.fromkeys(range(6, 12), "b")))
    assert round(agreement(rs).overall.value or 0, 3) == 0.815
    by_group = agreement(rs, by="group")
    assert [(r.id, r.kind, r.depth) for r in by_group] == [
        ("f1", "frame", 1),
        ("s1", "standard", 2),
    ]
    assert by_group["f1"] == by_group["s1"] == by_group.overall
    assert by_group.rows[0].components == ("a", "b")
    by_comp = agreement(rs, by="component")
    assert [(r.id, r.depth) for r in by_comp] == [("a", 3), ("b", 3)]
    for cid, half in (("a", K2011_MATRIX[:6]), ("b", K2011_MATRIX[6:])):
        want = krippendorff_alpha(half, n_levels=5)
        assert by_comp[cid].value == pytest.approx(want.value, abs=1e-12)
        assert by_comp[cid].n_pairs == want.n_pairs
    assert agreement(rs, by="standard")["s1"] == by_group["s1"]
    assert [r.id for r in agreement(rs, by="frame")] == ["f1"]


def test_rows_follow_the_map_and_scales(demo: Map) -> None:
    records = [
        rec("x", "r1", "c", "a"),
        rec("x", "r2", "c", "b"),
        rec("y", "r1", "c", "c"),
        rec("y", "r2", "c", "c"),
        rec("x", "r1", "top", "1"),
        rec("x", "r2", "top", "2"),
        rec("y", "r1", "top", "5"),
        rec("y", "r2", "top", "no"),  # non-use counts as the lowest level (5)
    ]
    rs = RatingSet.from_records(demo, records)
    rep = agreement(rs, by="component", method="percent")
    assert [(r.id, r.n_levels) for r in rep] == [("top", 5), ("c", 3)]
    assert rep.pooled.n_levels == 5
    assert rep["top"].value == rep["c"].value == 0.5
    groups = agreement(rs, by="group")
    assert [(r.id, r.n_levels, r.components) for r in groups] == [("f2", 3, ("c",))]
    assert rep["agree-demo"] == rep.overall
    with pytest.raises(KeyError, match="no agreement row 'zz'"):
        rep["zz"]


def test_cohen_two_raters_and_weights(demo: Map) -> None:
    a, b = [0, 1, 2, 2, 1], [0, 1, 2, 1, 1]
    codes = "abc"
    records = [rec(f"s{i}", "r1", "c", codes[x]) for i, x in enumerate(a)]
    records += [rec(f"s{i}", "r2", "c", codes[x]) for i, x in enumerate(b)]
    rs = RatingSet.from_records(demo, records)
    for weights in (None, "linear", "quadratic"):
        got = agreement(rs, method="cohen", weights=weights).overall
        want = cohen_kappa(a, b, n_levels=3, weights=weights)
        assert got.value == pytest.approx(want.value)
        assert got.details["raters"] == ["r1", "r2"]
    assert round(agreement(rs, method="cohen").overall.value or 0, 4) == 0.6875


def test_cohen_with_more_raters(k2011: RatingSet) -> None:
    with pytest.raises(UsageError, match=r"4 \(A, B, C, D\).*fleiss.*raters=\(a, b\)"):
        agreement(k2011, method="cohen")
    got = agreement(k2011, method="cohen", raters=("B", "D")).overall
    want = cohen_kappa(K2011_MATRIX[:, 1], K2011_MATRIX[:, 3], n_levels=5)
    assert got.value == pytest.approx(want.value)
    assert agreement(k2011, raters=["A", "B"]).raters == ("A", "B")
    with pytest.raises(UsageError, match="unknown rater"):
        agreement(k2011, raters=("A", "Z"))


def test_fleiss_complete_and_incomplete(demo: Map) -> None:
    data = [[0, 0, 0], [1, 1, 0], [2, 2, 2], [0, 1, 2]]
    records = [
        rec(f"s{u}", f"r{j}", "c", "abc"[v])
        for u, row in enumerate(data)
        for j, v in enumerate(row)
    ]
    rs = RatingSet.from_records(demo, records)
    got = agreement(rs, method="fleiss").overall
    assert got.value == pytest.approx(fleiss_kappa(data, n_levels=3).value)
    assert round(got.value or 0, 4) == 0.3617
    # A unit with one rating is not pairable and left out; one with two of three is not.
    one = RatingSet.from_records(demo, [*records, rec("lone", "r0", "c", "a")])
    assert agreement(one, method="fleiss").overall.value == got.value
    short = RatingSet.from_records(
        demo, [*records, rec("s9", "r0", "c", "a"), rec("s9", "r1", "c", "b")]
    )
    result = agreement(short, method="fleiss").overall
    assert result.value is None
    assert result.reason is not None
    assert result.reason.startswith("incomplete design")
    assert "krippendorff" in result.reason
    assert result.n_units == 5


def test_percent_on_ratings(k2011: RatingSet) -> None:
    exact = agreement(k2011, method="percent").overall
    assert exact.value == pytest.approx(percent_agreement(K2011_MATRIX).value)
    within = agreement(k2011, method="percent", tolerance=1).overall
    assert (within.value or 0) > (exact.value or 0)


# --------------------------------------------------------------------------------------------
# Edge cases: results with a reason, never a crash or nan


def test_one_rater(demo: Map) -> None:
    rs = RatingSet.from_records(demo, [rec(f"s{i}", "r1", "a", str(i + 1)) for i in range(4)])
    for method in ("krippendorff", "fleiss", "cohen", "percent"):
        rep = agreement(rs, method=method, by="component")
        assert rep["a"].value is None
        assert rep["a"].reason == REASON_NO_PAIRS
        _finite_or_none(rep)


def test_no_variation(demo: Map) -> None:
    records = [rec(f"s{i}", r, "a", "2") for i in range(3) for r in ("r1", "r2")]
    rs = RatingSet.from_records(demo, records)
    for method in ("krippendorff", "fleiss", "cohen"):
        result = agreement(rs, method=method).overall
        assert (result.value, result.reason) == (None, no_variation_reason(1))
    assert agreement(rs, method="percent").overall.value == 1.0
    assert "no variation (all at level index 1)" in str(agreement(rs))


def test_all_missing_and_empty(demo: Map) -> None:
    records = [rec("s", "r1", "a", "NA"), rec("s", "r2", "a", ""), rec("s", "r3", "a", "?")]
    rs = RatingSet.from_records(demo, records)
    for method in ("krippendorff", "fleiss", "cohen", "percent"):
        rep = agreement(rs, method=method, by="group", raters=("r1", "r2"))
        assert rep["s1"].reason == REASON_ALL_MISSING
        _finite_or_none(rep)
    empty = agreement(rs.filter(rater="nobody"), by="component")
    assert empty.rows == ()
    assert empty.overall.reason == REASON_ALL_MISSING
    assert "no ratings" in str(agreement(rs, by="component"))


def test_component_with_edge_case_among_good_ones(k2011: RatingSet, demo: Map) -> None:
    extra = RatingSet.from_records(demo, [rec("s0", "A", "c", "a"), rec("s0", "B", "c", "a")])
    rep = agreement(k2011 + extra, by="component")
    assert round(rep["a"].value or 0, 3) == 0.815
    assert rep["c"].reason == no_variation_reason(0)
    _finite_or_none(rep)


def test_repeated_ratings_are_refused(k2011: RatingSet) -> None:
    with pytest.raises(UsageError, match="more than one rating for subject 's0', rater 'A'"):
        agreement(k2011 + k2011)


def test_bad_options(k2011: RatingSet) -> None:
    with pytest.raises(UsageError, match="method must be one of"):
        agreement(k2011, method="kappa")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="level must be one of"):
        agreement(k2011, level="rank")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="weights apply to methods cohen, gwet, brennan"):
        agreement(k2011, weights="linear")
    with pytest.raises(UsageError, match="tolerance applies to percent agreement only"):
        agreement(k2011, tolerance=1)
    with pytest.raises(UsageError, match=r"split agreement by 'district': use one of component"):
        agreement(k2011, by="district")
    with pytest.raises(UsageError, match="bootstrap"):
        agreement(k2011, bootstrap=-1)
    with pytest.raises(UsageError, match="sequence of rater ids"):
        agreement(k2011, raters="AB")


# --------------------------------------------------------------------------------------------
# The report


def test_bootstrap_is_reproducible(k2011: RatingSet) -> None:
    one = agreement(k2011, by="component", bootstrap=300, seed=7)
    two = agreement(k2011, by="component", bootstrap=300, seed=7)
    assert one.overall.ci is not None
    assert one.overall.ci == two.overall.ci
    assert one["a"].ci == two["a"].ci
    lo, hi = one.overall.ci
    assert lo <= (one.overall.value or 0) <= hi
    assert "95% CI" in str(one)
    assert one.options["seed"] == 7


def test_report_forms(k2011: RatingSet) -> None:
    rep = agreement(k2011, by="component")
    data = rep.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["map"] == "agree-demo"
    assert data["label"] == "Krippendorff's alpha (ordinal)"
    assert data["options"] == {"confidence": 0.95, "bootstrap": 0, "level": "ordinal"}
    assert [r["id"] for r in data["results"]] == ["a"]  # type: ignore[attr-defined]
    assert data["overall"]["value"] == rep.overall.value  # type: ignore[index]
    frame = rep.to_pandas()
    assert list(frame["id"]) == ["a"]
    assert frame["value"][0] == rep["a"].value
    assert frame["n_units"][0] == 11
    text = str(rep)
    assert text.splitlines()[0].startswith("Krippendorff's alpha (ordinal), agree-demo")
    assert "0.815" in text
    assert "Overall (pooled over 1 component)" in text
    assert len(rep) == 1
    assert rep.results == (rep["a"],)
    with pytest.raises(AttributeError):
        rep.by = "group"  # type: ignore[misc]


def test_group_table_is_indented(demo: Map) -> None:
    rs = RatingSet.from_records(demo, k2011_records())
    lines = str(agreement(rs, by="group")).splitlines()
    assert lines[1] == ""
    assert lines[4].startswith("f1 ")
    assert lines[5].startswith("  s1 ")


# --------------------------------------------------------------------------------------------
# Disagreements


def test_disagreements_listing(demo: Map) -> None:
    records = [
        rec("x", "r1", "c", "a"),
        rec("x", "r2", "c", "c"),  # spread 2
        rec("x", "r1", "top", "1"),
        rec("x", "r2", "top", "2"),
        rec("x", "r3", "top", "NA"),  # spread 1, N/A shown as written
        rec("y", "r1", "top", "3"),
        rec("y", "r2", "top", "3"),  # agree
        rec("z", "r1", "a", "2"),
        rec("z", "r2", "a", "NA"),  # one rating counts: nothing to compare
        rec("w", "r1", "a", "1"),
        rec("w", "r2", "a", "no"),  # non-use is the lowest level: spread 4
        rec("w", "r3", "a", ""),
    ]
    d = disagreements(RatingSet.from_records(demo, records))
    assert isinstance(d, DisagreementReport)
    assert [(r.subject, r.component, r.spread) for r in d] == [
        ("w", "a", 4),
        ("x", "c", 2),
        ("x", "top", 1),
    ]
    assert d.n_units == 4
    first = d.rows[0]
    assert first.raters == ("r1", "r2", "r3")
    assert first.codes == ("1", "no", None)
    assert first.levels == (0, 4, None)
    assert d.rows[2].codes == ("1", "2", "NA")
    data = d.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["disagreements"][0]["codes"] == {"r1": "1", "r2": "no", "r3": None}  # type: ignore[index]
    frame = d.to_pandas()
    assert list(frame.columns) == [
        "subject",
        "occasion",
        "component",
        "title",
        "spread",
        "n_levels",
        "r1",
        "r2",
        "r3",
    ]
    assert list(frame["spread"]) == [4, 2, 1]
    text = str(d)
    assert text.startswith("3 of 4 units rated by two or more raters split by 1 level or more")
    lines = text.splitlines()
    assert lines[2].split() == ["subject", "occasion", "component", "spread", "levels", "r1", "r2",
                                "r3"]  # fmt: skip
    assert lines[4].split() == ["w", "o1", "a", "4", "5", "1", "no"]  # r3 left it blank
    wide = disagreements(RatingSet.from_records(demo, records), min_levels=2)
    assert [r.spread for r in wide] == [4, 2]
    assert "No disagreements of 5 levels" in str(
        disagreements(RatingSet.from_records(demo, records), min_levels=5)
    )
    with pytest.raises(UsageError, match="min_levels"):
        disagreements(RatingSet.from_records(demo, records), min_levels=0)


def test_disagreements_sorted_by_spread_then_map(school: RatingSet) -> None:
    d = disagreements(school)
    order = {c.id: i for i, c in enumerate(school.map.iter_components())}
    keys = [(-r.spread, order[r.component]) for r in d]
    assert keys == sorted(keys)
    assert all(r.spread >= 1 for r in d)


# --------------------------------------------------------------------------------------------
# The bundled example against a matrix built by hand from list(ratings)


def _by_hand(rs: RatingSet, component: str | None = None) -> np.ndarray:
    raters = sorted({r.rater for r in rs})
    units: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for r in rs:
        if component is not None and r.component != component:
            continue
        cell = units[(r.subject, r.occasion, r.component)]
        cell[r.rater] = float(r.level) if r.level is not None else NAN
    return np.array([[u.get(name, NAN) for name in raters] for u in units.values()])


def test_learning_school_equals_matrix_by_hand(school: RatingSet) -> None:
    x = _by_hand(school)
    assert agreement(school).overall.value == pytest.approx(
        krippendorff_alpha(x, level="ordinal", n_levels=4).value, abs=1e-12
    )
    assert agreement(school, level="nominal").overall.value == pytest.approx(
        krippendorff_alpha(x, level="nominal").value, abs=1e-12
    )
    assert agreement(school, method="percent").overall.value == pytest.approx(
        percent_agreement(x).value, abs=1e-12
    )
    rep = agreement(school, by="component")
    assert len(rep) == len(set(school.categories("component")))  # every rated component
    for row in rep:
        want = krippendorff_alpha(_by_hand(school, row.id), n_levels=4)
        assert row.result.value == pytest.approx(want.value, abs=1e-12)
        assert row.result.n_units == want.n_units
    _finite_or_none(rep)
    assert [r.id for r in agreement(school, by="group")] == [g.id for g in school.map.all_groups()]


def test_spl_by_kind(tmp_path: Path) -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("spl-2022"), "spl-2022")
    assert isinstance(rs, RatingSet)
    kinds = {g.kind for g in rs.map.all_groups()}
    for kind in kinds:
        rep = agreement(rs, by=kind)
        assert {r.kind for r in rep} <= {kind}
        _finite_or_none(rep)
    rep = agreement(rs, by="group")
    depths = {r.kind: r.depth for r in rep}
    assert depths.get("frame") == 1


# --------------------------------------------------------------------------------------------
# CLI


EXAMPLE = icmaps.example_ratings("learning-school")


def test_cli_by_component() -> None:
    code, out, err = run_cli("agreement", "learning-school", EXAMPLE, "--by", "component")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Krippendorff's alpha (ordinal), learning-school, by component")
    assert lines[2].split() == ["id", "alpha", "units", "raters", "pairs", "note"]
    assert lines[4].startswith("al-teacher-routine")
    assert lines[-1].startswith("Overall (pooled over 20 components)")


def test_cli_json_and_disagreements() -> None:
    code, out, _ = run_cli(
        "agreement",
        "learning-school",
        EXAMPLE,
        "--method",
        "percent",
        "--tolerance",
        "1",
        "--by",
        "group",
        "--format",
        "json",
        "--disagreements",
    )
    assert code == 0
    data = json.loads(out)
    assert data["method"] == "percent"
    assert data["options"]["tolerance"] == 1
    assert len(data["results"]) == 6
    assert data["disagreements"]["n_disagreements"] == len(data["disagreements"]["disagreements"])
    code, out, _ = run_cli("agreement", "learning-school", EXAMPLE, "--disagreements")
    assert code == 0
    assert "units rated by two or more raters split by 1 level or more" in out


def test_cli_bootstrap_and_cohen() -> None:
    args = ("agreement", "learning-school", EXAMPLE)
    code, out, _ = run_cli(*args, "--bootstrap", "100", "--seed", "1")
    assert code == 0
    assert "95% CI" in out
    code, _, err = run_cli(*args, "--method", "cohen")
    assert code == 2
    assert "--raters a,b" in err
    code, out, _ = run_cli(*args, "--method", "cohen", "--raters", "r01,r02", "--weights", "linear")
    assert code == 0
    assert out.startswith("Cohen's kappa (linear)")


def test_cli_usage_errors() -> None:
    args = ("agreement", "learning-school", EXAMPLE)
    assert run_cli(*args, "--by", "district")[0] == 2
    assert run_cli(*args, "--method", "fleiss", "--level", "nominal")[0] == 2
    assert run_cli(*args, "--method", "alpha")[0] == 2
    assert run_cli("agreement", "learning-school", "no-such-file.csv")[0] == 2


def test_cli_bad_ratings_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["subject", "rater", "occasion", "component", "code"])
        w.writerow(["s1", "r1", "o1", "al-teacher-routine", "9"])
        w.writerow(["s1", "r2", "o1", "al-teacher-routine", "1"])
        w.writerow(["s1", "r2", "o1", "no-such-component", "1"])
    code, out, err = run_cli("agreement", "learning-school", str(bad))
    assert code == 1
    assert out == ""
    assert f"{bad}:2:5:" in err
    assert f"{bad}:4:4:" in err
    assert "no agreement computed" in err


def test_cli_subprocess_json() -> None:
    proc = run_subprocess(
        "agreement", "learning-school", EXAMPLE, "--by", "component", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["by"] == "component"
    assert [r["id"] for r in data["results"]][:2] == ["al-teacher-routine", "al-protected-time"]
    assert all(r["value"] is None or -1 <= r["value"] <= 1 for r in data["results"])


@pytest.mark.parametrize(
    "first",
    [
        "import icmaps.stats.reliability",
        "from icmaps.stats.reliability import agreement",
        "import icmaps",
    ],
)
def test_icmaps_agreement_is_a_function_in_any_import_order(first: str) -> None:
    # the module is named for its concept (reliability), so no import can shadow the function
    code = (
        f"{first}\nimport icmaps, inspect, pickle\n"
        "rs = icmaps.read_ratings(icmaps.example_ratings('learning-school'), 'learning-school')\n"
        "assert icmaps.agreement(rs, by='component').rows[0].id == 'al-teacher-routine'\n"
        "from icmaps import agreement\n"
        "assert inspect.isfunction(agreement)\n"
        "assert pickle.loads(pickle.dumps(agreement)) is agreement\n"
        "assert list(inspect.signature(icmaps.agreement).parameters)[0] == 'ratings'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


# -- many raters: memory grows with ratings, not raters ---------------------------------------


def _many_raters(n_units: int, n_raters: int, seed: int = 7) -> tuple[RatingSet, np.ndarray]:
    """Each unit (subject x component) rated by 2-4 of ``n_raters``; also the dense matrix."""
    import random

    m = icmaps.load_map("learning-school")
    comps = [c.id for c in m.all_components()]
    rng = random.Random(seed)
    records: list[dict[str, str | None]] = []
    dense = np.full((n_units, n_raters), np.nan)
    for u in range(n_units):
        comp = comps[u % len(comps)]
        codes = [lv.code for lv in m.scale_of(comp).desired()]
        base = rng.randrange(len(codes))
        for r in rng.sample(range(n_raters), rng.randint(2, 4)):
            lv = min(len(codes) - 1, max(0, base + rng.choice((-1, 0, 0, 1))))
            dense[u, r] = lv
            records.append(
                {"subject": f"s{u}", "rater": f"r{r}", "occasion": "o", "component": comp}
                | {"code": codes[lv]}
            )
    return RatingSet.from_records(m, records), dense


def test_many_raters_match_the_dense_matrix_and_a_reference() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rs, dense = _many_raters(400, 300)
    alpha = agreement(rs, method="krippendorff", level="ordinal").overall
    # the packed design gives the dense matrix's value, and the reference package's
    assert alpha.value == pytest.approx(
        krippendorff_alpha(dense, level="ordinal", n_levels=4).value, abs=1e-12
    )
    ref = krippendorff.alpha(
        reliability_data=dense.T, level_of_measurement="ordinal", value_domain=[0, 1, 2, 3]
    )
    assert alpha.value == pytest.approx(ref, abs=1e-9)
    assert alpha.n_raters == int((~np.isnan(dense)).any(axis=0).sum())
    assert alpha.n_units == 400
    pct = agreement(rs, method="percent").overall
    assert pct.value == pytest.approx(percent_agreement(dense).value, abs=1e-12)
    # a rater-pair table of 300 raters would hold 44,850 rows: left out, and said so
    assert pct.details["rater_pairs"] == []
    assert "more than 30 raters" in str(pct.details["rater_pairs_omitted"])


def test_relabelling_raters_changes_nothing() -> None:
    rs, _ = _many_raters(60, 12)
    records = rs.to_records()
    relabelled = RatingSet.from_records(
        rs.map, [r | {"rater": f"x{99 - int(str(r['rater'])[1:])}"} for r in records]
    )
    for method in ("krippendorff", "percent", "fleiss"):
        a = agreement(rs, method=method).overall  # type: ignore[arg-type]
        b = agreement(relabelled, method=method).overall  # type: ignore[arg-type]
        assert (a.value, a.n_units, a.n_raters, a.reason) == (
            b.value,
            b.n_units,
            b.n_raters,
            b.reason,
        )
