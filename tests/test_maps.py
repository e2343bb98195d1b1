"""Every bundled map loads (also from a built wheel), validates cleanly and round-trips."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import icmaps
from icmaps.maps.codec import check_map, dumps_map, loads_map

from .conftest import ROOT, run_cli

BUNDLED = icmaps.list_maps()
SHAPES = {
    "learning-school",
    "learning-system-district",
    "equity-in-professional-learning",
    "educator-personalized-learning",
    "spl-2022",
    "cbam-classroom-practice",
    "ceedar-syllabus",
    "pbis-tfi",
    "nirn-practice-profile",
    "teaching-framework",
}


def test_every_shape_is_bundled() -> None:
    assert set(BUNDLED) >= SHAPES


@pytest.mark.parametrize("map_id", BUNDLED)
def test_bundled_map_is_clean_and_round_trips(map_id: str) -> None:
    result = check_map(map_id)
    assert result.ok
    assert result.problems == ()  # no warnings either
    m = result.map
    assert m is not None
    assert m.id == map_id
    assert m.source is not None
    assert m.license
    assert m.description
    for fmt in ("yaml", "json"):
        assert loads_map(dumps_map(m, fmt), format=fmt) == m  # type: ignore[arg-type]
    first = (ROOT / "maps" / f"{map_id}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/icmap.schema.json"


def test_shapes_have_their_features() -> None:
    spl = icmaps.load_map("spl-2022")
    kinds = {g.kind for g in spl.all_groups()}
    assert {"frame", "standard", "construct"} <= kinds
    assert len([g for g in spl.groups if g.kind == "frame"]) == 3
    assert len([g for g in spl.all_groups() if g.kind == "standard"]) == 11
    assert any("" in c.variations for c in spl.iter_components())
    assert len(spl.roles) >= 4
    cbam = icmaps.load_map("cbam-classroom-practice")
    assert cbam.scale.codes() == ("a", "b", "c", "d", "e", "f")
    assert [lv.zone for lv in cbam.scale.desired()] == ["ideal"] * 2 + ["acceptable"] * 2 + [
        "unacceptable"
    ] * 2
    assert icmaps.load_map("ceedar-syllabus").scale.direction == "desired-last"
    pbis = icmaps.load_map("pbis-tfi")
    # the TFI scores each tier on its own: one 70 % rule per tier, no critical item
    assert [(r.id, r.group, r.threshold) for r in pbis.fidelity_rules()] == [
        ("tier-1", "tier-1", 0.7),
        ("tier-2", "tier-2", 0.7),
        ("tier-3", "tier-3", 0.7),
    ]
    tiers = {
        g.id: len(m)
        for g in pbis.groups
        if (m := pbis.rule_components(next(r for r in pbis.fidelity_rules() if r.group == g.id)))
    }
    assert tiers == {"tier-1": 15, "tier-2": 13, "tier-3": 17}  # the TFI's items per tier
    assert not [c.id for c in pbis.iter_components() if c.critical]
    nirn = icmaps.load_map("nirn-practice-profile")
    assert nirn.scale.codes() == ("expected", "developmental", "unacceptable")
    tf = icmaps.load_map("teaching-framework")
    assert len([g for g in tf.groups if g.kind == "domain"]) == 4


def test_maps_list_cli_shows_all() -> None:
    code, out, _ = run_cli("maps", "list")
    assert code == 0
    for map_id in BUNDLED:
        assert map_id in out
    code, out, _ = run_cli("maps", "show", "learning-school", "--role", "principal")
    assert code == 0
    assert "║" in out


def test_docs_list_every_bundled_map() -> None:
    text = (ROOT / "docs" / "maps.md").read_text(encoding="utf-8")
    for map_id in BUNDLED:
        assert f"`{map_id}`" in text
    # the table's versions and counts come from the maps themselves
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_maps_md.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


def test_maps_and_schema_ship_in_the_wheel(tmp_path: Path) -> None:
    """Build a real wheel and use it in a fresh interpreter: no checkout needed."""
    proc = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 and "No module named hatchling" in proc.stderr:
        pytest.skip("hatchling is not installed (it is in the dev extra)")
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("icmaps-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        z.extractall(site)
    assert "icmaps/_data/schemas/icmap.schema.json" in names
    assert "icmaps/_data/maps/learning-school.yaml" in names
    assert "icmaps/py.typed" in names
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import icmaps; "
        f"assert icmaps.__file__.startswith({str(site)!r}), icmaps.__file__; "
        "ids = icmaps.list_maps(); [icmaps.load_map(i) for i in ids]; print(len(ids))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == len(BUNDLED)
