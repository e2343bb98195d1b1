"""Navigation over the map model: order, look-ups, paths, roles, zones and scores."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import icmaps
from icmaps.errors import NotFoundError
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map

from .conftest import DATA


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


def test_components_in_document_order(nested: Map) -> None:
    assert [c.id for c in nested.iter_components()] == ["top", "t1", "c1", "p1"]
    assert [g.id for g in nested.all_groups()] == ["frame-a", "std-1", "con-1", "frame-b"]


def test_lookup_and_path(nested: Map) -> None:
    assert nested.component("t1").critical is True
    assert [g.id for g in nested.path_of("t1")] == ["frame-a", "std-1", "con-1"]
    assert nested.path_of("top") == ()
    assert nested.group("std-1").kind == "standard"
    with pytest.raises(NotFoundError, match="has no component 'zz'"):
        nested.component("zz")
    with pytest.raises(NotFoundError, match="has no group"):
        nested.group("zz")


def test_empty_cells_and_codes_kept(nested: Map) -> None:
    assert nested.component("t1").variations[2] == ""
    assert nested.scale.special_codes() == ("NA", "no")


def test_zone_score_index(nested: Map) -> None:
    assert nested.zone_of("t1", "2") == "acceptable"
    assert nested.score_of("t1", "4") == 0
    assert nested.level_index("t1", "3") == 2
    assert nested.level_index("c1", "c") == 2  # named scale
    assert nested.zone_of("c1", "a") == "ideal"
    with pytest.raises(NotFoundError, match=r"allowed: a, b, c"):
        nested.level_index("c1", "1")


def test_ascending_scale_is_normalised_desired_first(nested: Map) -> None:
    scale = nested.scale_of("p1")
    assert scale.codes() == ("1", "0")
    assert nested.level_index("p1", "1") == 0
    cells = nested.variations_of("p1")
    assert [(v.code, v.zone, v.text) for v in cells] == [
        ("1", "ideal", "Written plan in use"),
        ("0", "unacceptable", "No plan"),
    ]


def test_for_role(nested: Map) -> None:
    coach = nested.for_role("coach")
    assert [c.id for c in coach.iter_components()] == ["top", "c1"]
    assert [g.id for g in coach.all_groups()] == ["frame-a", "std-1", "con-1"]
    assert coach.path_of("c1")[-1].id == "con-1"
    assert nested.roles_of("top") == ("teacher", "coach", "principal")
    assert nested.applies_to("c1", "principal")
    assert not nested.applies_to("t1", "coach")
    with pytest.raises(NotFoundError, match="no role 'janitor'"):
        nested.for_role("janitor")


def test_models_are_frozen(nested: Map) -> None:
    with pytest.raises(ValidationError):
        nested.title = "x"  # type: ignore[misc]


def test_repr(nested: Map) -> None:
    assert repr(nested) == "<Map 'nested-demo' v1.0.0: 4 components, 4 groups, 3 roles>"


@pytest.mark.parametrize("map_id", ["learning-school", "pbis-tfi", "teaching-framework"])
def test_outline_is_the_one_walk_of_the_tree(map_id: str) -> None:
    m = icmaps.load_map(map_id)
    nodes = m.outline()
    comps = [n.id for n in nodes if n.kind == "component"]
    assert comps == [c.id for c in m.all_components()]  # each once, in document order
    for n in nodes:
        if n.kind == "group":
            g = m.group(n.id)
            assert n.depth == len([p for p in m.all_groups() if n.id in _subgroup_ids(p)])
            assert set(n.below) == {c.id for c in m.all_components() if g in m.path_of(c.id)}
        else:
            assert n.depth == len(m.path_of(n.id))
            assert n.below == (n.id,)
    role = m.roles[0].id if m.roles else None
    if role is not None:
        assert [n.id for n in m.outline(role)] == [n.id for n in m.for_role(role).outline()]


def _subgroup_ids(g: icmaps.Group) -> set[str]:
    out = set()
    for sub in g.groups:
        out |= {sub.id, *_subgroup_ids(sub)}
    return out
