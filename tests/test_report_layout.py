"""The HTML report's layout: at 400, 768, 1024 and 1400 px and in print nothing spills.

Headless Chromium, driven over its DevTools pipe (``tests/cdp.py``), loads each report at each
viewport width (and with print media at the printable width of A4 landscape) and measures:

* the page never scrolls sideways: ``document.documentElement.scrollWidth <= innerWidth``;
* no card or key-figure tile is wider inside than its box (a wide table scrolls inside its
  own ``.scroll`` box instead), so the distribution bar fits its tile;
* the IC grid breaks no word mid-letter (a break after a hyphen is a normal one).

The faster checks below them need no browser: the tiles name their occasions, a report made
with problems allowed says so at the top, and a long fidelity list is cut with a pointer to
``icmaps fidelity --format csv``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import icmaps
from icmaps.ratings.ratingset import RatingSet
from icmaps.render.html import SUBJECTS_LISTED
from icmaps.reporting import Report, report

pytest.importorskip("jinja2")

WIDTHS = (400, 768, 1024, 1400)
PRINT_WIDTH = 1031  # A4 landscape less 12 mm margins (the report's @page), in CSS pixels

MEASURE = r"""
(() => {
  const de = document.documentElement;
  const out = {scrollWidth: de.scrollWidth, innerWidth: window.innerWidth,
               height: de.scrollHeight, print: matchMedia('print').matches,
               spilling: [], broken: [], bars: []};
  for (const el of document.querySelectorAll('section.card, .tile, .banner, header')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      out.spilling.push((el.id || el.className) + ': ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
  }
  for (const tile of document.querySelectorAll('.tile')) {
    const box = tile.getBoundingClientRect();
    for (const bar of tile.querySelectorAll('svg')) {
      const r = bar.getBoundingClientRect();
      out.bars.push(r.width);
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) {
        out.spilling.push('bar of ' + tile.textContent.trim().slice(0, 30));
      }
    }
  }
  const cells = 'table.grid td .txt, table.grid th .ctitle, table.grid th .cid, table.grid th.lvl';
  for (const el of document.querySelectorAll(cells)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const re = /[^\s\-\/]+[\-\/]?/g;
      for (let m = re.exec(t.data); m; m = re.exec(t.data)) {
        const range = document.createRange();
        range.setStart(t, m.index);
        range.setEnd(t, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((x) => Math.round(x.top)));
        if (tops.size > 1) out.broken.push(m[0]);
      }
    }
  }
  return out;
})()
"""


def _ratings_with_a_bad_row(tmp_path: Path) -> Any:
    src = icmaps.example_ratings("learning-school")
    bad = tmp_path / "ratings.csv"
    text = Path(src).read_text(encoding="utf-8")
    bad.write_text(text + "x,r1,2026-spring,no-such-component,1,teacher,north-valley-usd\n")
    return icmaps.read_ratings(bad, "learning-school", errors="collect")


def _many_teachers(n: int) -> RatingSet:
    m = icmaps.load_map("learning-school")
    comps = [
        (c.id, [v.code for v in m.variations_of(c.id)])
        for c in m.for_role("teacher").all_components()
    ]
    rows = [
        {
            "subject": f"teacher-{s:04d}",
            "rater": "coach",
            "occasion": occasion,
            "component": c,
            "code": codes[(s * 7 + i + k) % len(codes)],
            "role": "teacher",
        }
        for s in range(n)
        for k, occasion in enumerate(("2025-fall", "2026-spring"))
        for i, (c, codes) in enumerate(comps)
    ]
    return RatingSet.from_records(m, rows)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("layout")
    out: dict[str, Path] = {}
    reports: dict[str, Report] = {
        "allowed-problems": report(_ratings_with_a_bad_row(tmp), by="district"),
        "spl-2022": report(icmaps.read_ratings(icmaps.example_ratings("spl-2022"), "spl-2022")),
        "2500-teachers": report(_many_teachers(2500), role="teacher"),
    }
    from .test_browser import hostile_map, hostile_ratings

    m = hostile_map()
    long_title = "Report " + "x" * 300  # one 300-letter word
    reports["hostile"] = report(hostile_ratings(m), role="teacher", by="site", title=long_title)
    for name, r in reports.items():
        out[name] = tmp / f"{name}.html"
        r.write_html(out[name])
    return out


# -- in Chromium --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .cdp import Browser
    from .test_browser import FLAGS, _chromium

    with Browser(_chromium(), tmp_path_factory.mktemp("profile"), FLAGS) as b:
        yield b


def _check(found: dict[str, Any], width: int, *, words: bool = True) -> None:
    assert found["innerWidth"] == width
    assert found["scrollWidth"] <= found["innerWidth"], found
    assert found["spilling"] == [], found["spilling"]
    if words:  # hostile text has words longer than any column: those must break
        assert found["broken"] == [], found["broken"][:10]
    assert found["bars"], "no bar in the tiles"


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["allowed-problems", "spl-2022", "2500-teachers", "hostile"])
def test_no_horizontal_overflow_on_screen(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    browser.open(pages[name], width)
    found = browser.evaluate(MEASURE)
    assert found["print"] is False
    _check(found, width, words=name != "hostile")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["allowed-problems", "spl-2022", "2500-teachers", "hostile"])
def test_no_horizontal_overflow_in_print(browser: Any, pages: dict[str, Path], name: str) -> None:
    browser.open(pages[name], PRINT_WIDTH, media="print")
    found = browser.evaluate(MEASURE)
    assert found["print"] is True
    _check(found, PRINT_WIDTH, words=name != "hostile")
    pdf = browser.call("Page.printToPDF", preferCSSPageSize=True)["data"]
    assert len(pdf) > 1000


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_a_map_page_keeps_whole_words(browser: Any, tmp_path: Path, width: int) -> None:
    """``map_html`` (a map's own page, and what Jupyter shows) scrolls its grid the same way."""
    from icmaps.render.html import map_html

    page = tmp_path / "map.html"
    page.write_text(map_html(icmaps.load_map("learning-school"), standalone=True))
    browser.open(page, width)
    found = browser.evaluate(MEASURE)
    assert found["scrollWidth"] <= found["innerWidth"], found
    assert found["broken"] == [], found["broken"][:10]


@pytest.mark.slow
def test_the_measure_sees_overflow(browser: Any, tmp_path: Path) -> None:
    """The checks above can fail: a page built to spill is caught on every count."""
    page = tmp_path / "spill.html"
    page.write_text(
        "<!DOCTYPE html><html><body><section class='card' style='width:300px'>"
        "<table style='width:900px'><tr><td>x</td></tr></table></section>"
        "<div class='tile' style='width:120px'><svg width='200' height='14'></svg></div>"
        "<table class='grid' style='width:60px'><tr><td style='overflow-wrap:anywhere'>"
        "<span class='txt'>"
        "Unbreakablewordsinanarrowcell</span></td></tr></table></body></html>",
        encoding="utf-8",
    )
    browser.open(page, 400)
    found = browser.evaluate(MEASURE)
    assert found["scrollWidth"] > found["innerWidth"]
    assert any(s.startswith("card") for s in found["spilling"])
    assert any(s.startswith("bar of") for s in found["spilling"])
    assert found["broken"]


@pytest.mark.slow
def test_a_long_fidelity_list_keeps_the_page_short(browser: Any, pages: dict[str, Path]) -> None:
    browser.open(pages["2500-teachers"], 1400)
    found = browser.evaluate(MEASURE)
    assert found["height"] < 40_000, found["height"]  # 2,500 rows were 213,000 px


# -- without a browser ---------------------------------------------------------------------------


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_tiles_name_their_occasions(pages: dict[str, Path]) -> None:
    html = pages["allowed-problems"].read_text(encoding="utf-8")
    tiles = re.findall(r'<div class="k">(.*?)</div>', html)
    assert [_text(t) for t in tiles] == [
        "Ratings all 2 occasions",
        "Ideal 2026-spring",
        "Ideal or acceptable 2026-spring",
        "Distribution 2026-spring",
        "Rater agreement 2026-spring",
    ]
    assert "6 subjects · 15 raters · 2 occasions" in _text(html)


def test_one_occasion_is_named_on_every_tile() -> None:
    m = icmaps.load_map("learning-school")
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), m)
    html = report(rs.filter(occasion="2025-fall")).to_html()
    tiles = [_text(t) for t in re.findall(r'<div class="k">(.*?)</div>', html)]
    assert tiles[:2] == ["Ratings 2025-fall", "Ideal 2025-fall"]
    assert "· 1 occasion</div>" in html


def test_a_banner_says_problems_were_allowed(pages: dict[str, Path]) -> None:
    html = pages["allowed-problems"].read_text(encoding="utf-8")
    banner = re.search(r'<p class="banner" role="alert">(.*?)</p>', html)
    assert banner is not None
    assert html.index('class="banner"') < html.index('class="tiles"')  # at the top
    assert _text(banner.group(1)) == (
        "Made with problems allowed. 1 row of the ratings could not be read and is not "
        "counted in any figure below; Data quality lists it."
    )
    clean = pages["spl-2022"].read_text(encoding="utf-8")
    assert 'class="banner"' not in clean


def test_markdown_names_occasions_and_says_problems_were_allowed(tmp_path: Path) -> None:
    md = report(_ratings_with_a_bad_row(tmp_path)).to_markdown().splitlines()
    assert md[4] == (
        "> **Made with problems allowed.** 1 row of the ratings could not be read and is not "
        "counted in any figure below; Data quality lists it."
    )
    assert md[6].startswith(
        "**560** ratings of **6** subjects by **15** raters (all 2 occasions). "
    )
    assert "Ideal on 2026-spring: **19%**" in md[6]
    clean = report(icmaps.read_ratings(icmaps.example_ratings("spl-2022"), "spl-2022"))
    assert "Made with problems allowed" not in clean.to_markdown()


def test_the_cli_report_with_allow_problems_has_the_banner(tmp_path: Path) -> None:
    from .conftest import run_cli

    bad = tmp_path / "ratings.csv"
    src = Path(icmaps.example_ratings("learning-school")).read_text(encoding="utf-8")
    bad.write_text(src + "x,r1,2026-spring,nope,1,teacher,a\nx,r1,2026-spring,nah,1,teacher,a\n")
    out = tmp_path / "r.html"
    code, _, err = run_cli("report", "learning-school", str(bad), "-o", str(out))
    assert code == 1
    assert "2 problems; no report written" in err
    code, _, err = run_cli(
        "report", "learning-school", str(bad), "-o", str(out), "--allow-problems"
    )
    assert code == 0, err
    assert "(2 occasions, 560 ratings)" in err
    assert "2 rows of the ratings could not be read and are not counted" in _text(
        out.read_text(encoding="utf-8")
    )


def test_a_long_fidelity_list_is_cut_with_a_pointer(pages: dict[str, Path]) -> None:
    html = pages["2500-teachers"].read_text(encoding="utf-8")
    listed = re.findall(r'<tr><th scope="row">teacher-\d{4}</th>', html)
    assert len(listed) == SUBJECTS_LISTED
    assert (
        f"The first {SUBJECTS_LISTED} of 2500 subjects are listed; the tables above count "
        "every subject." in _text(html)
    )
    assert "icmaps fidelity MAP RATINGS --format csv" in html
    small = pages["allowed-problems"].read_text(encoding="utf-8")
    assert "subjects are listed" not in small


def test_a_long_fidelity_list_in_markdown(pages: dict[str, Path]) -> None:
    md = report(_many_teachers(SUBJECTS_LISTED + 1), role="teacher").to_markdown()
    assert md.count("| teacher-") == SUBJECTS_LISTED
    assert f"The first {SUBJECTS_LISTED} of {SUBJECTS_LISTED + 1} subjects are listed" in md
