"""The offline rating form in headless Chromium, driven by Selenium.

Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromedriver``) are used as
installed; without them the tests skip, except under CI (env ``CI`` set), where they fail:
``.ci/run`` installs both. A rater fills the form by keyboard and by mouse; the exported CSV
and JSON Lines, downloaded as a user would, read back with ``read_ratings``, unchanged, as
exactly the ratings entered; a reload restores the answers from local storage; the page's
Content-Security-Policy blocks every fetch while its own script and style (allowed by hash)
run; a map whose every text is a script payload stays inert text.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import icmaps
from icmaps.maps.codec import dumps_map, load_map, loads_map
from icmaps.ratings.read import read_ratings
from icmaps.render.form import form_html
from tests.conftest import DATA, run_cli
from tests.test_browser import MARK, PAYLOADS

pytestmark = pytest.mark.slow

pytest.importorskip("jinja2")
pytest.importorskip("selenium")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
Drivers = tuple[str, str]  # the browser and its driver
KEYS = {
    "Tab": Keys.TAB,
    "Space": Keys.SPACE,
    "ArrowDown": Keys.ARROW_DOWN,
    "ArrowUp": Keys.ARROW_UP,
    "Enter": Keys.ENTER,
}


@pytest.fixture(scope="module")
def chromium() -> Drivers:
    """Debian's browser and its driver, as ``chromium`` and ``chromium-driver`` install them."""
    browser_bin = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    driver_bin = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    if browser_bin and driver_bin:
        return browser_bin, driver_bin
    if os.environ.get("CI"):
        pytest.fail("chromium or chromium-driver is not installed but CI is set: .ci/run must")
    pytest.skip("chromium and chromium-driver are not installed (apt-get install them); CI does")


class Browser:
    """One headless Chromium with one page, driven by Selenium through chromedriver."""

    def __init__(self, chromium: Drivers, profile: Path, downloads: Path) -> None:
        browser_bin, driver_bin = chromium
        options = webdriver.ChromeOptions()
        options.binary_location = browser_bin
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(flag)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "download.directory_upgrade": True,
            },
        )
        # the browser's log (console and CSP reports), read back with get_log("browser")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(driver_bin), options=options)
        self.driver.set_script_timeout(30)
        self.log: list[dict[str, Any]] = []

    def close(self) -> None:
        self.driver.quit()

    # -- the page ------------------------------------------------------------------------

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise's, once settled)."""
        return self.driver.execute_script(f"return ({expression});")

    def until(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.until("document.readyState === 'complete'")

    def reload(self) -> None:
        self.js("document.documentElement.removeAttribute('data-ready')")
        self.driver.refresh()
        self.until("document.readyState === 'complete'")

    def key(self, name: str, times: int = 1) -> None:
        """Press a key (to the focused element), ``times`` over."""
        ActionChains(self.driver).send_keys(KEYS[name] * times).perform()

    def type(self, text: str) -> None:
        """Type text into the focused field, a key press per character."""
        ActionChains(self.driver).send_keys(text).perform()

    def click(self, selector: str) -> None:
        """A mouse click in the middle of the element (scrolled into view first)."""
        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        ActionChains(self.driver).move_to_element(element).click().perform()

    def focused(self) -> str:
        """The focused element as ``tag#id[name=value]``."""
        return str(
            self.js(
                "(() => { const e = document.activeElement; return e.tagName.toLowerCase() + "
                "'#' + (e.id || '') + '[' + (e.name || '') + '=' + (e.value || '') + ']'; })()"
            )
        )

    def messages(self) -> list[str]:
        """Every browser log message so far (console, security, network)."""
        self.log.extend(self.driver.get_log("browser"))
        return [str(e.get("message", "")) for e in self.log]


@contextlib.contextmanager
def browser(chromium: Drivers, tmp: Path) -> Iterator[Browser]:
    profile, downloads = tmp / "profile", tmp / "downloads"
    profile.mkdir(exist_ok=True)
    downloads.mkdir(exist_ok=True)
    b = Browser(chromium, profile, downloads)
    try:
        yield b
    finally:
        b.close()


def _form(tmp: Path, *argv: str) -> Path:
    page = tmp / "form.html"
    code, _, err = run_cli("form", *argv, "-o", str(page))
    assert code == 0, err
    return page


def _tab_to(b: Browser, wanted: str, limit: int = 80) -> None:
    """Press Tab until the focused element's description starts with ``wanted``."""
    for _ in range(limit):
        b.key("Tab")
        if b.focused().startswith(wanted):
            return
    raise AssertionError(f"Tab never reached {wanted}; at {b.focused()}")


def _download(folder: Path, suffix: str, timeout: float = 30) -> Path:
    """The file downloaded into ``folder`` with ``suffix``, once complete (not ``.crdownload``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [f for f in folder.iterdir() if f.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file was downloaded: {sorted(folder.iterdir())}")


def _records(path: Path, m: Any) -> list[tuple[Any, ...]]:
    rs = read_ratings(path, m)
    return [
        (r["subject"], r["rater"], r["occasion"], r["component"], r["code"], r.get("source"),
         r.get("note"), r.get("role"))
        for r in rs.to_records()
    ]  # fmt: skip


def test_fill_by_keyboard_and_mouse_export_and_read_back(chromium: Drivers, tmp_path: Path) -> None:
    m = icmaps.load_map("learning-school")
    view = m.for_role("principal")
    comps = [c.id for c in view.iter_components()]
    page = _form(tmp_path, "learning-school", "--role", "principal")
    with browser(chromium, tmp_path) as b:
        b.open(page.as_uri())
        assert b.until("document.documentElement.dataset.ready") == "1"  # the script ran
        assert b.js("document.getElementById('progress').textContent") == f"0 of {len(comps)} rated"
        # keyboard only: the skip link, then the fields, typed
        b.key("Tab")
        assert b.focused().startswith("a#")
        b.key("Tab")
        assert b.focused().startswith("input#f-subject")
        b.type('Lincoln "Elementary", north')
        b.key("Tab")
        b.type("r01")
        b.key("Tab")
        b.type("2026-spring")
        b.key("Tab")
        b.type("observer")
        # component 1 by keyboard: into its radios, Space picks the first, ArrowDown the next
        _tab_to(b, "input#[code-1=")
        b.key("Space")
        b.key("ArrowDown")
        first = view.written_order(comps[0])[1].code
        assert b.js("document.querySelector('input[name=code-1]:checked').value") == first
        # its note, by keyboard: the focus outline shows where we are
        _tab_to(b, "textarea#note-1")
        b.type("seen at the team meeting; agenda, minutes")
        assert b.js("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        # component 2 by keyboard: two steps down from the first variation
        _tab_to(b, "input#[code-2=")
        b.key("ArrowDown", 2)
        second = view.written_order(comps[1])[2].code
        # component 3 by mouse: a special code, and a note with commas, quotes and a new line
        b.click("#c-3 .z-special input")
        b.click("#note-3")
        b.type('said "not yet, maybe in May"')
        b.key("Enter")
        b.type("second line")
        # component 4 by mouse, then cleared with its button: not exported
        b.click("#c-4 label.opt:nth-of-type(1)")
        assert b.js("document.getElementById('n-rated').textContent") == "4"
        b.click("button[data-clear='4']")
        assert b.js("document.getElementById('progress').textContent") == f"3 of {len(comps)} rated"
        b.click("#export-csv")
        csv_file = _download(tmp_path / "downloads", ".csv")
        special = view.scale_of(comps[2]).special_codes()[0]
        expected = [
            ('Lincoln "Elementary", north', "r01", "2026-spring", comps[0], first, "observer",
             "seen at the team meeting; agenda, minutes", "principal"),
            ('Lincoln "Elementary", north', "r01", "2026-spring", comps[1], second, "observer",
             None, "principal"),
            ('Lincoln "Elementary", north', "r01", "2026-spring", comps[2], special, "observer",
             'said "not yet, maybe in May"\nsecond line', "principal"),
        ]  # fmt: skip
        assert _records(csv_file, m) == expected
        assert read_ratings(csv_file, m, errors="collect").problems == ()  # type: ignore[union-attr]
        b.click("#export-jsonl")
        jsonl_file = _download(tmp_path / "downloads", ".jsonl")
        assert _records(jsonl_file, m) == expected
        # the text shown for copying is the same file
        assert b.js("document.getElementById('output').value") == jsonl_file.read_text()
        # a reload restores every answer from local storage
        b.reload()
        b.until("document.documentElement.dataset.ready")
        assert b.js("document.getElementById('f-subject').value") == 'Lincoln "Elementary", north'
        assert b.js("document.getElementById('f-source').value") == "observer"
        assert b.js("document.querySelector('input[name=code-2]:checked').value") == second
        assert b.js("document.querySelector('input[name=code-4]:checked')") is None
        assert b.js("document.getElementById('note-3').value") == (
            'said "not yet, maybe in May"\nsecond line'
        )
        assert b.js("document.getElementById('progress').textContent") == f"3 of {len(comps)} rated"
        assert "restored" in b.js("document.getElementById('saved').textContent")


def test_export_needs_who_and_when(chromium: Drivers, tmp_path: Path) -> None:
    page = _form(tmp_path, "pbis-tfi")
    with browser(chromium, tmp_path) as b:
        b.open(page.as_uri())
        b.until("document.documentElement.dataset.ready")
        b.click("#c-1 label.opt:nth-of-type(1)")
        b.click("#export-csv")
        assert b.js("document.getElementById('problem').textContent") == (
            "Fill in subject, rater, occasion first."
        )
        assert b.focused().startswith("input#f-subject")
        assert list((tmp_path / "downloads").iterdir()) == []


def test_csp_blocks_every_fetch_and_allows_only_its_own_code(
    chromium: Drivers, tmp_path: Path
) -> None:
    page = _form(tmp_path, "learning-school")
    html = page.read_text(encoding="utf-8")
    # no reference outside the page: links only to its own parts, no src, no CSS fetches
    assert re.findall(r"""\b(?:href|src|action)=["']?([^"'\s>]*)""", html) == ["#export"]
    assert "@import" not in html
    assert "url(" not in html
    with browser(chromium, tmp_path) as b:
        b.open(page.as_uri())
        b.until("document.documentElement.dataset.ready")
        # the style ran (allowed by its hash)
        assert b.js("getComputedStyle(document.querySelector('.z-ideal')).backgroundColor") == (
            "rgb(232, 245, 233)"
        )
        blocked = b.js("fetch('https://example.com/x').then(() => 'fetched', () => 'blocked')")
        assert blocked == "blocked"
        assert b.js(
            "new Promise(r => { document.addEventListener('securitypolicyviolation', "
            "e => r(e.violatedDirective)); const i = document.createElement('img'); "
            "i.src = 'https://example.com/p.png'; document.body.appendChild(i); })"
        ) in ("img-src", "default-src")
        # an inline script not in the policy does not run
        b.js(
            "(() => { const s = document.createElement('script'); "
            "s.textContent = \"document.documentElement.setAttribute('data-x','1')\"; "
            "document.body.appendChild(s); })()"
        )
        assert b.js("document.documentElement.getAttribute('data-x')") is None
        violations = [m for m in b.messages() if "Content Security Policy" in m]
        # only what the test itself tried was refused: the page's own code never was
        assert violations
        assert all("example.com" in v or "inline script" in v for v in violations), violations


def _hostile_map() -> str:
    doc = json.loads(dumps_map(load_map(DATA / "valid" / "nested.yaml"), "json"))
    payload = " ".join(PAYLOADS)

    def spoil(node: Any) -> Any:
        if isinstance(node, dict):
            texts = ("title", "label", "description")
            return {
                k: f"{v} {payload}" if k in texts and isinstance(v, str) else spoil(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [spoil(v) for v in node]
        return node

    doc = spoil(doc)
    for group in doc["components"]:
        group["variations"] = [f"{v} {payload}" for v in group["variations"]]
    return json.dumps(doc)


def test_a_hostile_map_stays_inert_text(chromium: Drivers, tmp_path: Path) -> None:
    m = loads_map(_hostile_map(), format="json")
    page = tmp_path / "hostile.html"
    page.write_text(form_html(m), encoding="utf-8")
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><body><script>{MARK}</script></body></html>")
    with browser(chromium, tmp_path) as b:
        b.open(control.as_uri())
        assert b.js("document.documentElement.getAttribute('data-pwned')") == "1"  # scripts run
        b.open(page.as_uri())
        b.until("document.documentElement.dataset.ready")
        b.click("#c-1 label.opt:nth-of-type(2)")
        assert b.js("document.documentElement.getAttribute('data-pwned')") is None
        assert b.js("document.getElementById('pwned')") is None
        assert b.js("document.querySelectorAll('img, svg, iframe').length") == 0
        legend = b.js("document.querySelector('#c-1 legend').textContent")
        assert PAYLOADS[0] in legend  # shown as the text it is
        text = b.js("document.querySelector('#c-1 label.opt .text').textContent")
        assert "<script>" in text
        assert b.js("document.title").startswith("Rating form: Nested demo <script>")
        # the data block carried the map's ids for the export, intact
        assert b.js("JSON.parse(document.getElementById('icmap-data').textContent).map") == (
            "nested-demo"
        )


def _luminance(rgb: tuple[float, ...]) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text[text.index("(") + 1 : -1].split(",")[:3])


def _composite(layers: list[str]) -> tuple[float, ...]:
    """The colour seen through a stack of backgrounds (innermost first) over white."""
    colour: tuple[float, ...] = (255.0, 255.0, 255.0)
    for layer in reversed(layers):
        parts = [float(x) for x in layer[layer.index("(") + 1 : -1].split(",")]
        alpha = parts[3] if len(parts) == 4 else 1.0
        colour = tuple(a * alpha + c * (1 - alpha) for a, c in zip(parts[:3], colour, strict=True))
    return colour


def test_text_contrast_meets_wcag_aa(chromium: Drivers, tmp_path: Path) -> None:
    page = _form(tmp_path, "learning-school")
    with browser(chromium, tmp_path) as b:
        b.open(page.as_uri())
        b.until("document.documentElement.dataset.ready")
        pairs = b.js(
            "(() => { const out = []; for (const e of document.querySelectorAll("
            "'.opt .text, .opt .lbl, .opt .zone, .opt .code, .sub, .cid, legend, .line, label, "
            "button, .crit, .req')) { let n = e, bg = 'rgba(0, 0, 0, 0)'; "
            "const layers = []; while (n) { bg = getComputedStyle(n).backgroundColor; "
            "layers.push(bg); if (bg.startsWith('rgb(')) break; n = n.parentElement; } "
            "out.push([e.className || e.tagName, getComputedStyle(e).color, layers]); } "
            "return out; })()"
        )
    assert len(pairs) > 50
    for name, fg, layers in pairs:
        bg = _composite(layers)
        hi, lo = sorted((_luminance(_rgb(fg)), _luminance(bg)), reverse=True)
        ratio = (hi + 0.05) / (lo + 0.05)
        assert ratio >= 4.5, (name, fg, bg, round(ratio, 2))


def test_next_subject_and_clear_every_answer(chromium: Drivers, tmp_path: Path) -> None:
    page = _form(tmp_path, "pbis-tfi")
    with browser(chromium, tmp_path) as b:
        b.open(page.as_uri())
        b.until("document.documentElement.dataset.ready")
        for name, value in (("subject", "s1"), ("rater", "r1"), ("occasion", "fall")):
            b.click(f"#f-{name}")
            b.type(value)
        b.click("#c-1 label.opt:nth-of-type(1)")
        b.click("#new-subject")  # not exported yet: refused, nothing lost
        assert "Export this subject's answers first" in b.js(
            "document.getElementById('problem').textContent"
        )
        assert b.js("document.getElementById('f-subject').value") == "s1"
        b.click("#export-csv")
        _download(tmp_path / "downloads", ".csv")
        b.click("#new-subject")
        assert b.js("document.getElementById('f-subject').value") == ""
        assert b.js("document.getElementById('f-rater').value") == "r1"
        assert b.js("document.getElementById('f-occasion').value") == "fall"
        assert b.js("document.querySelectorAll('input[type=radio]:checked').length") == 0
        assert b.focused().startswith("input#f-subject")
        # clearing everything takes a second press
        b.click("#c-2 label.opt:nth-of-type(1)")
        b.click("#reset")
        assert b.js("document.querySelectorAll('input[type=radio]:checked').length") == 1
        b.click("#reset")
        assert b.js("document.querySelectorAll('input[type=radio]:checked').length") == 0
        assert b.js("document.getElementById('f-rater').value") == ""
        b.reload()
        b.until("document.documentElement.dataset.ready")
        assert b.js("document.getElementById('f-rater').value") == ""  # the clearing was saved
