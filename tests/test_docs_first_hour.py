"""What a new user copies from the docs works: component ids exist, install lines match.

icmaps is installed from a clone of its repository (it is not on PyPI), and a page that uses
an extra says so in its install line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import icmaps

from .conftest import ROOT

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


def _ids() -> tuple[set[str], set[str]]:
    """Every component and group id of the bundled maps, and the prefixes of the ids of the
    learning-school map (the docs' running example: al-, cr-, qt- ...)."""
    ids: set[str] = set()
    for map_id in icmaps.list_maps():
        m = icmaps.load_map(map_id)
        ids |= {c.id for c in m.all_components()} | {g.id for g in m.all_groups()}
    prefixes = {c.id.split("-")[0] for c in icmaps.load_map("learning-school").all_components()}
    return ids, prefixes


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_component_ids_in_the_docs_exist(page: Path) -> None:
    ids, prefixes = _ids()
    text = page.read_text(encoding="utf-8")
    pattern = rf"(?<![\w-])(?:{'|'.join(sorted(prefixes))})-[a-z0-9]+(?:-[a-z0-9]+)*(?![\w-])"
    unknown = sorted({t for t in re.findall(pattern, text) if t not in ids})
    assert unknown == [], f"{page}: no bundled map has a component or group {unknown}"


def test_the_id_check_can_fail() -> None:
    ids, prefixes = _ids()
    assert "cr-teams-track" not in ids
    assert "cr" in prefixes


def test_no_page_promises_an_install_from_pypi() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"pip install '?icmaps", text), page.name


def test_index_says_to_install_from_the_repository() -> None:
    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "not on the Python package index" in text
    assert "pip install -e '.[report]'" in text


def test_the_quickstart_and_its_notebook_name_the_extras_they_use() -> None:
    page = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    nb = json.loads((ROOT / "docs" / "examples" / "quickstart.ipynb").read_text("utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "from icmaps import plot" in code  # uses matplotlib: the plot extra
    assert "pip install -e '.[report,plot]'" in page
    assert "pip install -e '.[report,plot]'" in prose
