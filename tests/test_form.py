"""The offline rating form as written (the browser tests drive it: test_form_browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import icmaps
from icmaps.maps.codec import dumps_map, loads_map
from icmaps.render.form import form_html
from tests.conftest import DATA, ROOT, run_cli

pytest.importorskip("jinja2")

PAYLOAD = "</script><script>alert(1)</script><!-- & <b>x</b>"


def _csp(page: str) -> str:
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found
    return found.group(1)


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_policy_allows_exactly_the_inline_script_and_style() -> None:
    page = form_html(icmaps.load_map("learning-school"))
    csp = _csp(page)
    assert csp.startswith("default-src 'none'; ")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert len(scripts) == 1
    assert len(styles) == 1
    assert f"script-src {_sha(scripts[0])};" in csp
    assert f"style-src {_sha(styles[0])};" in csp
    assert "unsafe" not in csp
    assert " style=" not in page  # inline style attributes would be blocked
    assert "innerHTML" not in scripts[0]
    assert "insertAdjacentHTML" not in scripts[0]


def _hostile() -> icmaps.Map:
    doc = json.loads(dumps_map(icmaps.load_map(DATA / "valid" / "nested.yaml"), "json"))
    doc["title"] = PAYLOAD
    comp = doc["components"][0]
    comp["title"] = PAYLOAD
    comp["variations"][0] = PAYLOAD
    doc["scale"]["levels"][0]["label"] = PAYLOAD
    return loads_map(json.dumps(doc), format="json")


def test_map_text_is_escaped_in_markup_and_in_the_data_block() -> None:
    page = form_html(_hostile())
    assert "<script>alert(1)" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    block = re.search(r'<script type="application/json" id="icmap-data">(.*?)</script>', page)
    assert block
    assert "<" not in block.group(1)
    data = json.loads(block.group(1))
    assert data["map"] == "nested-demo"
    assert data["components"][0] == {"id": "top", "codes": ["1", "2", "3", "4", "NA", "no"]}


def test_one_fieldset_per_component_with_every_code() -> None:
    m = icmaps.load_map("learning-school")
    page = form_html(m, role="teacher")
    comps = [c.id for c in m.for_role("teacher").iter_components()]
    assert re.findall(r'data-component="([^"]+)"', page) == comps
    assert page.count("<legend>") == len(comps) + 1  # and the "who" fieldset
    for n, comp in enumerate(comps, 1):
        values = re.findall(rf'name="code-{n}" value="([^"]+)"', page)
        scale = m.scale_of(comp)
        written = [v.code for v in m.written_order(comp)]
        assert values == [*written, *scale.special_codes()]
        assert f'<label for="note-{n}">' in page
    # the lines of the paper map, after the last ideal and the last acceptable cell
    assert page.count('<p class="line solid">solid line</p>') == len(comps)
    for name in ("subject", "rater", "occasion", "source"):
        assert f'<label for="f-{name}">' in page


def test_cli_form(tmp_path: Path) -> None:
    out = tmp_path / "f.html"
    code, stdout, err = run_cli("form", "pbis-tfi", "-o", str(out))
    assert code == 0, err
    assert stdout == ""
    assert err.startswith(f"wrote {out} (rating form, ")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, stdout, _ = run_cli("form", "learning-school", "--role", "coach", "--title", "Visit")
    assert code == 0
    assert "<title>Visit</title>" in stdout
    code, _, err = run_cli("form", "learning-school", "--role", "nobody")
    assert code == 2
    assert "nobody" in err
    code, _, err = run_cli("form", "pbis-tfi", "-o", str(tmp_path / "f.pdf"))
    assert code == 2
    assert "print it to PDF from a browser" in err
    code, _, err = run_cli("form", "pbis-tfi", "-o", str(tmp_path / "f.csv"))
    assert code == 2
    assert "give a name ending in .htm, .html\n" in err


@pytest.mark.slow
def test_form_assets_ship_in_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("icmaps-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("_form.js", "_form.css", "form.html.j2"):
        assert f"icmaps/render/templates/{name}" in names
