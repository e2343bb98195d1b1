"""The HTML report in a real browser: headless Chromium renders it, no script runs, it shows.

Chromium is found on PATH (``chromium``, as Debian installs it). Without it the tests skip,
except under CI (env ``CI`` set), where a missing browser fails them: ``.ci/run`` installs it.

Checks, on a report whose every text field carries hostile payloads:

* a control page proves this Chromium does run inline scripts, so "nothing ran" means
  something: the payloads would add an element and mark ``<html>`` if they executed;
* the dumped DOM of the report (as written, and again with its Content-Security-Policy
  removed, so escaping alone is tested) has no such element or mark, and its title and
  headings are the expected ones;
* the screenshot is a real picture: many distinct colours, the zone colours of the bars
  among them, and far from blank.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import icmaps
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from icmaps.reporting import report

pytestmark = pytest.mark.slow

pytest.importorskip("jinja2")

MARK = "document.documentElement.setAttribute('data-pwned','1');"
ADD = "var d=document.createElement('div');d.id='pwned';document.body.appendChild(d);"
PAYLOADS = (
    f"<script>{MARK}{ADD}</script>",
    f'<img src=x onerror="{MARK}{ADD}">',
    f'<svg onload="{MARK}"></svg>',
    f'" onmouseover="{MARK}" x="',
    f"</style><script>{MARK}</script>",
    f"</title><script>{MARK}</script>",
    "{{ 7*7 }}",
)
P = " ".join(PAYLOADS)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: .ci/run must install it")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


def _run(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    profile.mkdir()
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def dump_dom(chromium: str, tmp: Path, page: Path) -> str:
    proc = _run(chromium, tmp, "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def screenshot(chromium: str, tmp: Path, page: Path, size: tuple[int, int]) -> Path:
    out = tmp / f"{page.stem}.png"
    proc = _run(
        chromium,
        tmp,
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={out}",
        page.as_uri(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.is_file(), proc.stderr[-2000:]
    return out


class _Dom(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in ("title", "h1", "h2"):
            self._open.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open[-1]][-1] += data


def parse(doc: str) -> _Dom:
    d = _Dom()
    d.feed(doc)
    d.close()
    return d


# -- PNG decoding (pure Python) ---------------------------------------------------------------


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows (8-bit RGB or RGBA) of a PNG file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8, depth
            bpp = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                upleft = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r) for r in rows] if bpp == 3 else [_rgb(r) for r in rows]


def _rgb(row: bytes) -> bytes:
    return bytes(b for i, b in enumerate(row) if i % 4 != 3)


def colours(rows: list[bytes]) -> dict[tuple[int, int, int], int]:
    out: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for i in range(0, len(row), 3):
            px = (row[i], row[i + 1], row[i + 2])
            out[px] = out.get(px, 0) + 1
    return out


# -- fixtures ---------------------------------------------------------------------------------


def hostile_map() -> Map:
    levels = [
        {"code": "1", "label": f"Ideal {P}", "zone": "ideal", "description": P},
        {"code": "2", "label": f"Partial {P}", "zone": "acceptable"},
        {"code": "3", "label": f"Not yet {P}", "zone": "unacceptable"},
    ]
    comps = [
        {
            "id": f"c{i}",
            "title": f"Component {i} {P}",
            "description": P,
            "roles": ["teacher"],
            "critical": i == 1,
            "variations": [f"First {P}", f"Second {P}", ""],
        }
        for i in range(1, 4)
    ]
    return Map.model_validate(
        {
            "id": "hostile",
            "version": "1",
            "title": f"Hostile map {P}",
            "description": P,
            "license": P,
            "roles": [{"id": "teacher", "label": f"Teacher {P}"}],
            "scale": {"levels": levels},
            "groups": [
                {
                    "id": "g",
                    "kind": f"frame {P}",
                    "title": f"Group {P}",
                    "description": P,
                    "components": comps,
                }
            ],
        }
    )


def hostile_ratings(m: Map) -> RatingSet:
    rows: list[dict[str, str | None]] = []
    for occ in (f"fall {P}", f"spring {P}"):
        for s in range(4):
            for rater in (f"r1 {P}", f"r2 {P}"):
                for c in range(1, 4):
                    rows.append(
                        {
                            "subject": f"s{s} {P}",
                            "rater": rater,
                            "occasion": occ,
                            "component": f"c{c}",
                            "code": str(1 + (s + c + len(rater)) % 3),
                            "role": "teacher",
                            "site": f"site {s % 2} {P}",
                        }
                    )
    return RatingSet.from_records(m, rows)


def test_control_page_runs_scripts(chromium: str, tmp_path: Path) -> None:
    """Without this, 'no script ran' below would prove nothing."""
    page = tmp_path / "control.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p>"
        f"<script>{MARK}{ADD}</script></body></html>",
        encoding="utf-8",
    )
    dom = parse(dump_dom(chromium, tmp_path, page))
    assert any(a.get("id") == "pwned" for _, a in dom.elements)
    assert any(t == "html" and "data-pwned" in a for t, a in dom.elements)


def _assert_no_script_ran(dom: _Dom) -> None:
    assert not any(a.get("id") == "pwned" for _, a in dom.elements)
    html_attrs = next(a for t, a in dom.elements if t == "html")
    assert "data-pwned" not in html_attrs
    assert not [t for t, _ in dom.elements if t in ("script", "img", "iframe")]
    for _, attrs in dom.elements:
        assert not [k for k in attrs if k.startswith("on")], attrs


def test_hostile_report_in_chromium(chromium: str, tmp_path: Path) -> None:
    m = hostile_map()
    r = report(hostile_ratings(m), role="teacher", by="site", title=f"Report {P}")
    page = tmp_path / "report.html"
    r.write_html(page)
    no_csp = tmp_path / "report-no-csp.html"
    text = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text
    no_csp.write_text(
        "\n".join(line for line in text.splitlines() if "Content-Security-Policy" not in line),
        encoding="utf-8",
    )
    for p in (page, no_csp):
        dom = parse(dump_dom(chromium, tmp_path, p))
        _assert_no_script_ran(dom)
        assert dom.texts["title"][0] == f"Report {P}"  # the title is text, whole
        h2 = [" ".join(t.split()) for t in dom.texts["h2"]]
        for head in (
            "Where ratings sit on the map",
            "Components and groups",
            "By site",
            "Growth between occasions",
            "Rater agreement",
            "Data quality",
        ):
            assert any(h.startswith(head) for h in h2), (head, h2)


def test_report_screenshot_is_a_picture(chromium: str, tmp_path: Path) -> None:
    m = icmaps.load_map("learning-school")
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), m)
    page = tmp_path / "ls.html"
    report(rs, by="district").write_html(page)
    dom = parse(dump_dom(chromium, tmp_path, page))
    _assert_no_script_ran(dom)
    assert dom.texts["h1"] == ["Implementation report: Learning school"]
    png = screenshot(chromium, tmp_path, page, (1000, 900))
    width, height, rows = png_pixels(png)
    assert (width, height) == (1000, 900)
    counts = colours(rows)
    assert len(counts) > 200  # text, tints, heat shades and bars: not a blank page
    background, most = max(counts.items(), key=lambda kv: kv[1])
    assert most < 0.8 * width * height, background
    assert (46, 139, 87) in counts  # the ideal-zone green of the bars
    assert (200, 80, 63) in counts  # the unacceptable red


def test_map_grid_in_chromium(chromium: str, tmp_path: Path) -> None:
    from icmaps.render.html import map_html

    page = tmp_path / "map.html"
    page.write_text(map_html(hostile_map(), standalone=True), encoding="utf-8")
    dom = parse(dump_dom(chromium, tmp_path, page))
    _assert_no_script_ran(dom)
    assert next(" ".join(t.split()) for t in dom.texts["h2"]).startswith("Hostile map")
