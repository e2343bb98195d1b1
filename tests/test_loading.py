"""Loading from paths and bundled ids, dumping, round trips and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from icmaps.errors import LoadError, MapValidationError, NotFoundError
from icmaps.maps.codec import check_map, dump_map, dumps_map, load_map, loads_map

from .conftest import DATA

NESTED = DATA / "valid" / "nested.yaml"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_is_lossless(fmt: str, tmp_path: Path) -> None:
    m = load_map(NESTED)
    out = tmp_path / f"m.{fmt}"
    dump_map(m, out)
    again = load_map(out)
    assert again == m
    assert again.component("t1").variations == ("Does it daily", "Does it weekly", "", "Does not")
    assert again.scale.special[1].code == "no"


def test_yaml_dump_quotes_codes_that_look_like_other_types() -> None:
    text = dumps_map(load_map(NESTED))
    assert "code: 'no'" in text
    assert "code: '1'" in text


def test_modeline_and_schema_key() -> None:
    m = load_map(NESTED)
    assert dumps_map(m, schema_ref="s.json").startswith("# yaml-language-server: $schema=s.json\n")
    assert '"$schema": "s.json"' in dumps_map(m, "json", schema_ref="s.json")


def test_atomic_write_leaves_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.yaml"
    target.write_text("old\n")
    from icmaps.maps import codec as loading

    def boom(*_: object, **__: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(loading, "dumps_map", boom)
    with pytest.raises(RuntimeError):
        dump_map(load_map(NESTED), target)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_missing_file_and_unknown_id() -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        load_map("nope/x.yaml")
    with pytest.raises(NotFoundError, match="neither a file nor a bundled map"):
        load_map("no-such-map")
    assert not check_map("nope.yaml").ok


def test_errors_are_typed() -> None:
    with pytest.raises(LoadError):
        loads_map("a: [", path="x.yaml")
    with pytest.raises(MapValidationError) as info:
        loads_map("id: x\n", path="x.yaml")
    assert info.value.path == "x.yaml"
    assert info.value.line == 1
    assert info.value.pointer == ""
    assert isinstance(info.value, ValueError)


def test_json_map_loads(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text(dumps_map(load_map(NESTED), "json"))
    assert load_map(p).id == "nested-demo"


def test_written_files_get_normal_permissions(tmp_path: Path) -> None:
    import os

    out = tmp_path / "m.yaml"
    dump_map(load_map(NESTED), out)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_dump_into_missing_folder_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "nodir" / "m.yaml"
    with pytest.raises(NotFoundError, match="no such folder"):
        dump_map(load_map(NESTED), target)
    assert not target.parent.exists()


def test_folder_or_empty_name_is_no_map(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="is a folder; expected a map file"):
        load_map(tmp_path)
    with pytest.raises(NotFoundError, match="neither a file nor a bundled map"):
        load_map("")


def test_dump_needs_a_known_format(tmp_path: Path) -> None:
    from icmaps.errors import UsageError

    m = load_map(NESTED)
    with pytest.raises(UsageError, match="suffix"):
        dump_map(m, tmp_path / "m.txt")
    with pytest.raises(UsageError, match="format must be"):
        dump_map(m, tmp_path / "m.yaml", format="xml")  # type: ignore[arg-type]
    dump_map(m, tmp_path / "m.txt", format="json")
    import json

    assert json.loads((tmp_path / "m.txt").read_text())["id"] == m.id
    assert list(tmp_path.iterdir()) == [tmp_path / "m.txt"]
