"""HTML / Markdown renderings of maps and reports: structure, numbers, escaping, CLI."""

from __future__ import annotations

import html.parser
import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

import pytest

import icmaps
from icmaps.maps.model import Map
from icmaps.ratings.columns import BASE_COLUMNS
from icmaps.ratings.ratingset import RatingSet
from icmaps.render.html import map_html, map_markdown, markdown_escape
from icmaps.reporting import Distribution, Report, report
from tests.conftest import run_cli

pytest.importorskip("jinja2")

LS_CSV = icmaps.example_ratings("learning-school")

SCRIPT = "<script>alert(1)</script>"
ATTR = '" onmouseover="alert(1)'
STYLE = "</style><marquee>x</marquee>"
JINJA = "{{ 7*7 }}"
PAYLOADS = (SCRIPT, ATTR, STYLE, JINJA)


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(doc: str) -> _Tags:
    p = _Tags()
    p.feed(doc)
    p.close()
    return p


def hostile_map() -> Map:
    """A valid map with a payload in every free-text field."""
    p = " | ".join(PAYLOADS)
    level = [
        {"code": "1", "label": f"Ideal {p}", "zone": "ideal", "score": 2, "description": p},
        {"code": "2", "label": f"Some {p}", "zone": "acceptable", "score": 1},
        {"code": "3", "label": f"None {p}", "zone": "unacceptable", "score": 0},
    ]
    return Map.model_validate(
        {
            "id": "hostile",
            "version": f"1 {p}",
            "title": f"Map {p}",
            "description": f"Desc {p}",
            "license": p,
            "source": {"title": p, "publisher": p},
            "roles": [
                {"id": "teacher", "label": f"Teacher {p}", "description": p},
                {"id": "coach", "label": f"Coach {p}"},
            ],
            "scale": {
                "levels": level,
                "special": [{"code": "NA", "label": p, "counts": "excluded"}],
            },
            "groups": [
                {
                    "id": "g1",
                    "kind": f"frame {p}",
                    "title": f"Group {p}",
                    "description": p,
                    "groups": [
                        {
                            "id": "g2",
                            "kind": f"standard {p}",
                            "title": f"Sub {p}",
                            "components": [
                                {
                                    "id": "c1",
                                    "title": f"Comp {p}",
                                    "description": p,
                                    "roles": ["teacher"],
                                    "critical": True,
                                    "variations": [f"V1 {p}", f"V2 {p}", ""],
                                },
                                {
                                    "id": "c2",
                                    "title": f"Comp2 {p}",
                                    "roles": ["teacher", "coach"],
                                    "variations": [f"W1 {p}", "", f"W3 {p}"],
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    )


def hostile_ratings(m: Map) -> RatingSet:
    rows: list[dict[str, str | None]] = []
    for occasion in (f"fall {SCRIPT}", f"spring {ATTR}"):
        for i, subject in enumerate((f"s1 {SCRIPT}", f"s2 {ATTR}", f"s3 {JINJA}")):
            for rater in (f"r1 {STYLE}", f"r2 {SCRIPT}"):
                for j, c in enumerate(("c1", "c2")):
                    rows.append(
                        {
                            "subject": subject,
                            "rater": rater,
                            "occasion": occasion,
                            "component": c,
                            "code": ["1", "2", "3", "NA", ""][(i + j) % 5],
                            "role": "teacher",
                            "school": f"school {PAYLOADS[i]}",
                        }
                    )
    return RatingSet.from_records(m, rows)


def assert_inert(doc: str) -> None:
    """No payload survives as markup: no script element, no event-handler attribute, one
    style element, and the template payload shown as text, not evaluated."""
    assert SCRIPT not in doc
    assert "<script" not in doc.lower()
    assert ATTR not in doc
    assert doc.count("</style>") == doc.count("<style>") <= 1
    tags = parse(doc)
    assert not [t for t, _ in tags.tags if t in ("script", "iframe", "object", "embed", "marquee")]
    for _, attrs in tags.tags:
        assert not [a for a in attrs if a.startswith("on")], attrs
    text = "".join(tags.text)
    assert SCRIPT in text  # shown to the reader, as text
    assert JINJA in text  # never evaluated: data is not template source
    assert "alert(1)" in text


# -- the map grid -------------------------------------------------------------------------


@pytest.mark.parametrize("map_id", icmaps.list_maps())
def test_grid_of_every_bundled_map(map_id: str) -> None:
    m = icmaps.load_map(map_id)
    doc = map_html(m, standalone=True)
    tags = parse(doc)
    rows = [a for t, a in tags.tags if t == "tr" and "comp" in (a.get("class") or "").split()]
    assert len(rows) == len(m.all_components())
    groups = [a for t, a in tags.tags if t == "tr" and "group" in (a.get("class") or "")]
    assert len(groups) == len(m.all_groups())
    critical = [a for a in rows if "critical" in (a.get("class") or "")]
    assert len(critical) == sum(c.critical for c in m.all_components())
    ids = {a.get("id") for _, a in tags.tags}
    assert {f"c-{c.id}" for c in m.all_components()} <= ids


def _cells(doc: str, component_id: str) -> list[str]:
    """Class attributes of the <td> cells of one component's row."""
    tags = parse(doc)
    out: list[str] = []
    inside = False
    for t, a in tags.tags:
        if t == "th" and a.get("id") == f"c-{component_id}":
            inside = True
        elif t == "tr":
            if inside and out:
                break
            inside = inside and not out
        elif inside and t == "td":
            out.append(a.get("class") or "")
    return out


def test_lines_and_zones_in_written_order() -> None:
    m = icmaps.load_map("learning-school")  # 1 ideal | 2 acceptable | 3, 4 unacceptable
    cells = _cells(map_html(m), "al-teacher-routine")
    assert [c.split()[0] for c in cells] == [
        "z-ideal",
        "z-acceptable",
        "z-unacceptable",
        "z-unacceptable",
    ]
    assert "solid" in cells[0].split()
    assert "dashed" in cells[1].split()
    assert "solid" not in cells[2]
    assert "dashed" not in cells[2]
    empty = _cells(map_html(m), "ll-impact-record")  # its last cell is empty
    assert "empty" in empty[3].split()


def test_desired_last_map_reads_ascending() -> None:
    m = icmaps.load_map("teaching-framework")  # unacceptable, acceptable, ideal, ideal
    doc = map_html(m)
    c = m.all_components()[0].id
    cells = _cells(doc, c)
    assert [x.split()[0] for x in cells] == [
        "z-unacceptable",
        "z-acceptable",
        "z-ideal",
        "z-ideal",
    ]
    assert "dashed" in cells[0].split()
    assert "solid" in cells[1].split()
    first_text = m.component(c).variations[0]
    assert doc.index(first_text) < doc.index(m.component(c).variations[-1])


def test_role_view_and_markdown() -> None:
    m = icmaps.load_map("learning-school")
    doc = map_html(m, role="principal")
    assert "al-protected-time" in doc
    assert "al-teacher-routine" not in doc
    md = map_markdown(m, role="principal")
    assert md.startswith("# Learning school\n")
    assert "| Component | 1 Ideal ‖ | 2 Developing ┊ |" in md
    assert "al-teacher-routine" not in md


def test_jupyter_reprs() -> None:
    m = icmaps.load_map("pbis-tfi")
    assert m._repr_html_().startswith('<div class="icm">')
    assert m._repr_markdown_().startswith("# ")


def test_markdown_escape() -> None:
    assert markdown_escape("a|b") == "a\\|b"
    assert markdown_escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert markdown_escape("line\nbreak") == "line break"
    assert markdown_escape("# title", block=True) == "\\# title"
    assert markdown_escape("v1.0.0") == "v1.0.0"


# -- escaping of untrusted text ------------------------------------------------------------


def test_hostile_map_grid_is_escaped() -> None:
    m = hostile_map()
    assert_inert(map_html(m, standalone=True))
    assert_inert(map_html(m.for_role("teacher")))


def test_hostile_report_is_escaped() -> None:
    m = hostile_map()
    rs = hostile_ratings(m)
    r = report(rs, by="school", title=f"Report {SCRIPT} {ATTR}")
    doc = r.to_html()
    assert_inert(doc)
    text = "".join(parse(doc).text)
    for s in ("s1 ", "school ", "fall ", "Comp2 ", "W3 ", "Sub "):
        assert s in text  # subjects, attributes, occasions, roles, titles, variations
    by_rater = report(rs, role="teacher", by="rater").to_html()
    assert_inert(by_rater)
    assert "r1 " in "".join(parse(by_rater).text)  # rater ids
    assert "Teacher " in "".join(parse(by_rater).text)  # role label


def test_hostile_markdown_is_escaped() -> None:
    m = hostile_map()
    for md in (map_markdown(m), report(hostile_ratings(m), by="school").to_markdown()):
        assert "<script" not in md
        assert "<marquee" not in md
        assert "</style>" not in md
        assert "&lt;script&gt;" in md
        for line in md.splitlines():
            if line.startswith("|"):  # no payload adds or breaks table columns
                assert line.count("|") - line.count("\\|") >= 2


# -- the report ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ls() -> tuple[Map, RatingSet]:
    m = icmaps.load_map("learning-school")
    return m, icmaps.read_ratings(LS_CSV, m)


def test_report_numbers_match_summarize(ls: tuple[Map, RatingSet]) -> None:
    from icmaps.stats import summary as aggregate

    _m, rs = ls
    r = report(rs)
    assert r.snapshot == "2026-spring"
    s = aggregate.summarize(rs, by="occasion")
    rated = set(rs.categories("component"))
    for row in r.rows:
        key = ("2026-spring",)
        rid = row.group.id if row.is_group else row.component.id  # type: ignore[union-attr]
        if not row.is_group and rid not in rated:  # unrated in the example: nothing counted
            assert (row.snapshot.rated, row.snapshot.na, row.snapshot.missing) == (0, 0, 0)
            continue
        expected = s.row(rid, key=key)
        assert row.snapshot.rated == expected.n
        assert row.snapshot.na == expected.na
        assert row.snapshot.missing == expected.missing
        if expected.pct_ideal is not None:
            assert 100 * (row.snapshot.share_ideal or 0) == pytest.approx(expected.pct_ideal)


def test_report_counts_per_cell(ls: tuple[Map, RatingSet]) -> None:
    _m, rs = ls
    r = report(rs, occasion="2025-fall")
    spring = rs.filter(occasion="2025-fall")
    c = "al-protected-time"
    levels = [
        lv
        for comp, lv in zip(spring.column("component"), spring.levels(), strict=True)
        if comp == c
    ]
    expected = tuple(levels.count(i) for i in range(4))
    assert r._counts[c] == expected
    doc = r.to_html()
    assert "2025-fall" in doc


def test_report_sections(ls: tuple[Map, RatingSet]) -> None:
    _m, rs = ls
    r = report(rs, by="district")
    doc = r.to_html()
    heads = [
        "Where ratings sit on the map",
        "Components and groups",
        "By district",
        "Growth between occasions",
        "Fidelity",
        "Rater agreement",
        "Data quality",
    ]
    for h in heads:
        assert f"<h2>{h}" in doc
    assert doc.count("<svg") > 100
    assert "http://" not in doc
    assert "https://" not in doc
    assert "@media print" in doc
    assert r.by_values == ("north-valley-usd", "eastport-sd")
    assert any("missing" in q for q in r.quality)
    md = r.to_markdown()
    for h in heads[1:]:
        assert f"## {h}" in md
    assert r.agreement is not None
    assert r.agreement.value is not None


def test_report_role_and_single_occasion(ls: tuple[Map, RatingSet]) -> None:
    m, rs = ls
    r = report(rs.filter(occasion="2025-fall"), role="principal")
    assert {c.id for c in r.map.all_components()} == {
        c.id for c in m.for_role("principal").all_components()
    }
    doc = r.to_html()
    assert "Growth between occasions" not in doc
    assert "Principal" in doc


def test_report_errors(ls: tuple[Map, RatingSet]) -> None:
    _m, rs = ls
    with pytest.raises(icmaps.NotFoundError, match="no column 'nope'"):
        report(rs, by="nope")
    with pytest.raises(icmaps.NotFoundError, match="no occasion"):
        report(rs, occasion="1999")
    with pytest.raises(icmaps.NotFoundError, match="no role"):
        report(rs, role="janitor")
    with (
        pytest.warns(DeprecationWarning, match="deprecated"),
        pytest.raises(icmaps.UsageError, match="ratings are of map"),
    ):
        report(icmaps.load_map("spl-2022"), rs)


def test_report_of_no_ratings() -> None:
    m = icmaps.load_map("pbis-tfi")
    r = report(RatingSet.from_columns(m, {k: [] for k in BASE_COLUMNS}))
    assert r.snapshot is None
    assert r.overall.rated == 0
    assert "<h2>Data quality" in r.to_html()
    assert r.to_markdown().startswith("# ")


def test_report_with_collected_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = Path(LS_CSV).read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",2,", ",9,", 1)
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = icmaps.read_ratings(bad, "learning-school", errors="collect")
    r = report(result)
    assert r.problems
    assert "bad.csv:4" in str(r.problems[0])
    assert "bad.csv:4" in r.to_html()


def test_write_html_is_atomic_and_self_contained(ls: tuple[Map, RatingSet], tmp_path: Path) -> None:
    _m, rs = ls
    out = tmp_path / "r.html"
    report(rs).write_html(out)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    doc = out.read_text(encoding="utf-8")
    tags = parse(doc)
    assert not [a for t, a in tags.tags if t in ("link", "img", "script", "iframe")]
    assert not [a for _, a in tags.tags if "src" in a or ("href" in a and a["href"][:1] != "#")]
    r = report(rs)
    r.write_markdown(tmp_path / "r.md")
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == r.to_markdown()


def test_distribution() -> None:
    d = Distribution(1, 2, 1, 3, 4) + Distribution(1, 0, 0, 0, 0)
    assert (d.rated, d.na, d.missing) == (5, 3, 4)
    assert d.share_ideal == pytest.approx(0.4)
    assert d.share_acceptable == pytest.approx(0.8)
    assert Distribution().share_ideal is None
    assert Distribution().shares() == (0.0, 0.0, 0.0)


def test_public_names() -> None:
    assert icmaps.report is report
    assert icmaps.Report is Report


def test_templates_are_package_data() -> None:
    root = importlib.resources.files("icmaps.render").joinpath("templates")
    names = {p.name for p in root.iterdir()}
    assert {"report.html.j2", "map.html.j2", "_grid.html.j2", "_style.css.j2"} <= names


def test_no_heavy_imports_at_import_time() -> None:
    code = (
        "import sys, icmaps.render.html, icmaps.reporting, icmaps.plot; "
        "print(' '.join(m for m in ('jinja2', 'matplotlib', 'numpy', 'pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


# -- CLI ----------------------------------------------------------------------------------


def test_cli_report_html_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, err = run_cli("report", "learning-school", LS_CSV, "-o", str(out), "--by", "district")
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md = tmp_path / "r.md"
    code, _, _ = run_cli("report", "learning-school", LS_CSV, "-o", str(md), "--role", "teacher")
    assert code == 0
    assert md.read_text(encoding="utf-8").startswith("# Implementation report")
    code, stdout, _ = run_cli("report", "learning-school", LS_CSV, "--format", "markdown")
    assert code == 0
    assert stdout.startswith("# ")


@pytest.mark.parametrize(
    ("args", "expected", "message"),
    [
        (["--by", "nope"], 2, "no column 'nope'"),
        (["--role", "janitor"], 2, "no role 'janitor'"),
        (["--occasion", "1999"], 2, "no occasion '1999'"),
        (["--format", "pdf"], 2, "invalid choice"),
    ],
)
def test_cli_report_usage_errors(args: list[str], expected: int, message: str) -> None:
    code, _, err = run_cli("report", "learning-school", LS_CSV, *args)
    assert code == expected
    assert message in err
    assert "Traceback" not in err


def test_cli_report_bad_inputs(tmp_path: Path) -> None:
    code, _, err = run_cli("report", "learning-school", str(tmp_path / "none.csv"))
    assert code == 2
    assert "Traceback" not in err
    code, _, err = run_cli("report", "no-such-map", LS_CSV)
    assert code == 2
    assert "Traceback" not in err
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "subject,rater,occasion,component,code\ns,r,o,al-teacher-routine,9\n", encoding="utf-8"
    )
    out = tmp_path / "r.html"
    code, _, err = run_cli("report", "learning-school", str(bad), "-o", str(out))
    assert code == 1
    assert "bad.csv:2" in err
    assert not out.exists()
    code, _, err = run_cli(
        "report", "learning-school", str(bad), "-o", str(out), "--allow-problems"
    )
    assert code == 0
    assert "bad.csv:2" in out.read_text(encoding="utf-8")


def test_agreement_report_renders_in_notebooks() -> None:
    import icmaps

    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    rep = icmaps.agreement(rs, by="group")
    html = rep._repr_html_()
    assert "Krippendorff" in html
    for row in rep.rows:
        assert row.id in html


def test_report_takes_the_ratings_alone_and_the_old_form_warns(
    ls: tuple[Map, RatingSet],
) -> None:
    m, rs = ls
    with pytest.warns(DeprecationWarning, match=r"report\(map, ratings\) is deprecated"):
        old = report(m, rs, by="district")
    new = report(rs, by="district")
    assert old.to_html() == new.to_html()
    other = icmaps.load_map("pbis-tfi")
    with (
        pytest.warns(DeprecationWarning, match="deprecated"),
        pytest.raises(icmaps.UsageError, match="the ratings are of map 'learning-school'"),
    ):
        report(other, rs)
    with pytest.raises(icmaps.UsageError, match="not 3 arguments"):
        report(rs, m, m)  # type: ignore[call-arg]


def test_report_as_json_has_the_same_numbers(ls: tuple[Map, RatingSet], tmp_path: Path) -> None:
    _, rs = ls
    code, out, err = run_cli("report", "learning-school", str(LS_CSV), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    r = report(rs)
    assert data == json.loads(json.dumps(r.to_dict()))
    assert data["n_ratings"] == len(rs)
    first = data["rows"][0]
    assert first["snapshot"]["rated"] == r.rows[0].snapshot.rated
    assert 0 <= (data["overall"]["share_ideal"] or 0) <= 1  # shares are 0-1 in data
    assert data["fidelity"]["units"]  # the sections travel too
    # the suffix picks the format, as for Markdown
    code, _, err = run_cli("report", "learning-school", str(LS_CSV), "-o", str(tmp_path / "r.json"))
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == data


def test_report_shares_one_pass_but_gives_the_same_sections(ls: tuple[Map, RatingSet]) -> None:
    _, rs = ls
    r = report(rs)
    assert r.fidelity == icmaps.fidelity(rs, by=("occasion",))
    occasions = rs.categories("occasion")
    assert r.comparison == icmaps.compare(rs, base=occasions[0], other=occasions[-1])
    snapshot = rs.filter(occasion=r.snapshot)
    alpha = icmaps.agreement(snapshot, by="component")
    assert r.agreement == icmaps.agreement(snapshot).overall
    assert [row.agreement for row in r.rows if not row.is_group and row.agreement] == [
        a.result for a in alpha if a.result.n_units
    ]
    exact = icmaps.agreement(snapshot, method="percent", by="component")
    shown = [row.percent_agreement for row in r.rows if not row.is_group and row.percent_agreement]
    assert [(p.value, p.n_pairs) for p in shown] == [
        (a.result.value, a.result.n_pairs) for a in exact if a.result.n_units
    ]
    # the report shows the coefficient only: no table of rater pairs is built for it
    assert all("rater_pairs" not in p.details for p in shown)


def test_quality_names_subjects_that_lack_components_others_have() -> None:
    m = icmaps.load_map("learning-school")
    comps = [c.id for c in m.all_components()][:3]
    rows = [
        {"subject": s, "rater": "r1", "occasion": o, "component": c, "code": "1"}
        for o in ("fall", "spring")
        for s in ("a", "b", "c")
        for c in comps
        # in spring, b has no rating on the last component and c none on the first two
        if not (o == "spring" and ((s == "b" and c == comps[2]) or (s == "c" and c != comps[2])))
    ]
    r = report(RatingSet.from_records(m, rows))
    note = [q for q in r.quality if "lack ratings" in q]
    assert note == ["2 of 3 subjects in spring lack ratings on some components others have: b, c."]
    # the earlier occasion was complete: asking for it gives no such note
    assert not [
        q
        for q in report(RatingSet.from_records(m, rows), occasion="fall").quality
        if "lack ratings" in q
    ]


# -- rater calibration and caveats ------------------------------------------------------------

SESSION = (
    Path(__file__).resolve().parent.parent / "maps" / "examples" / "learning-school-calibration.csv"
)


def test_report_with_an_anchor_has_a_calibration_section() -> None:
    rs = icmaps.read_ratings(str(SESSION), "learning-school")
    r = report(rs, anchor="expert")
    assert r.calibration is not None
    assert r.calibration.certified == icmaps.calibrate(rs, anchor="expert").certified
    assert r.to_dict()["calibration"]["anchor"] == "expert"
    md = r.to_markdown()
    assert "## Rater calibration against expert" in md
    assert "| trainee-d | 264 |" in md
    page = r.to_html()
    assert 'id="calibration"' in page
    assert '<a href="#calibration">' in page
    assert report(rs).calibration is None
    assert 'id="calibration"' not in report(rs).to_html()


def test_key_figure_names_its_occasion_band_and_caveats() -> None:
    rs = icmaps.read_ratings(str(SESSION), "learning-school")
    r = report(rs)
    assert r.agreement is not None
    page = r.to_html()
    assert 'Rater agreement <span class="when">2025-09-17</span>' in page
    assert "units on 2025-09-17" in page
    assert "(Krippendorff: below .667)" in page
    md = r.to_markdown()
    assert (
        "All components pooled on 2025-09-17: Krippendorff's α (ordinal) = "
        f"{r.agreement.value:.2f}, unreliable (Krippendorff: below .667)" in md
    )
    # six lessons per round: every component's alpha rests on fewer than 10 units
    assert "rests on 6 units (fewer than 10)" in md
    assert "rests on 6 units (fewer than 10)" in page


def test_cli_report_anchor(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, _, err = run_cli(
        "report", "learning-school", str(SESSION), "--anchor", "expert", "-o", str(out)
    )
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["rater"] for r in data["calibration"]["raters"]][:2] == ["trainee-a", "trainee-b"]
    code, _, err = run_cli("report", "learning-school", str(SESSION), "--anchor", "nobody")
    assert code == 2
    assert "anchor 'nobody' is neither a rater" in err


def test_cli_report_anchor_under_pseudonyms(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text("a-key-of-more-than-sixteen-bytes")
    out = tmp_path / "report.json"
    code, _, err = run_cli(
        "report", "learning-school", str(SESSION), "--anchor", "expert", "-o", str(out),
        "--pseudonymize", str(keyfile),
    )  # fmt: skip
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "trainee" not in text
    assert "expert" not in text
    assert len(json.loads(text)["calibration"]["raters"]) == 5
