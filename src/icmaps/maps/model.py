"""The IC map data model: frozen pydantic models for maps, groups, components, scales and roles.

A :class:`Map` is kept exactly as written (order, empty cells, codes as strings, the direction
its scale is written in); navigation methods give the normalised view a program needs, always
*desired first*: level index 0 is the most desired variation, whatever the codes say.

>>> from icmaps.maps.model import Map
>>> m = Map.model_validate({
...     "id": "demo", "version": "1", "title": "Demo",
...     "scale": {"levels": [
...         {"code": "1", "label": "Ideal", "zone": "ideal", "score": 2},
...         {"code": "2", "label": "Partial", "zone": "acceptable", "score": 1},
...         {"code": "3", "label": "Not yet", "zone": "unacceptable", "score": 0}]},
...     "components": [{"id": "c1", "title": "Plans together",
...                     "variations": ["Weekly", "Monthly", ""]}]})
>>> m.zone_of("c1", "2"), m.level_index("c1", "3")
('acceptable', 2)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from icmaps.errors import NotFoundError
from icmaps.maps.zones import Line, Zone, line_between

__all__ = [
    "FORMAT_VERSION",
    "Component",
    "Counts",
    "Direction",
    "Fidelity",
    "Group",
    "Level",
    "Line",
    "Map",
    "OutlineNode",
    "Role",
    "Scale",
    "Source",
    "SpecialCode",
    "Variation",
    "Zone",
    "line_between",
]

FORMAT_VERSION = 1

Counts = Literal["excluded", "lowest", "missing"]
"""How a special code counts: left out of every denominator (N/A), as the least desired level
(non-use), or as if no rating had been given."""

Direction = Literal["desired-first", "desired-last"]
"""The order levels and variations are written in the file."""

Id = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        max_length=200,
        description="Identifier: letters, digits and . _ : - (not starting with punctuation).",
    ),
]
Code = Annotated[
    str,
    Field(
        pattern=r"^\S(.*\S)?$",
        max_length=50,
        description='A level code exactly as written on the map, e.g. "1", "a", "ideal", "NA".',
    ),
]
Text = Annotated[str, Field(max_length=20_000)]


def _extension_keys(schema: dict[str, Any]) -> None:
    """In the JSON Schema: no unknown keys, except ``x-...`` ones (kept for local tools)."""
    schema["additionalProperties"] = False
    schema["patternProperties"] = {"^x-": {}}


class _Frozen(BaseModel):
    # unknown keys are errors, but keys starting "x-" are kept as they are (a district's own
    # tools can store data there and it survives a load and a dump)
    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        str_strip_whitespace=False,
        validate_default=False,
        json_schema_extra=_extension_keys,
    )

    @model_validator(mode="after")
    def _only_extension_keys(self) -> _Frozen:
        unknown = [k for k in self.__pydantic_extra__ or {} if not k.startswith("x-")]
        if unknown:
            raise ValueError(
                f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                "(keys of your own must "
                "start with x-)"
            )
        return self

    @property
    def extensions(self) -> dict[str, Any]:
        """The ``x-...`` keys this item carries (for a district's own tools), as written."""
        return dict(self.__pydantic_extra__ or {})


class Level(_Frozen):
    """One ordered level of a scale: a column of the IC map."""

    code: Code = Field(description="The code raters write for this level.")
    label: Text = Field(description='Column heading, e.g. "Ideal", "Level 2", "b".')
    zone: Zone = Field(
        description="ideal (left of the solid line), acceptable (up to the dashed line) "
        "or unacceptable (beyond it)."
    )
    score: float | None = Field(
        default=None,
        description="Optional numeric value used for means and fidelity indices; higher is "
        "more desired.",
    )
    description: Text = Field(default="", description="What this level means in general.")


class SpecialCode(_Frozen):
    """A code outside the ordered levels, such as N/A or non-use."""

    code: Code = Field(description='The code raters write, e.g. "NA", "0", "non-use".')
    label: Text = Field(description="What the code means.")
    counts: Counts = Field(
        default="excluded",
        description="excluded: left out of every denominator; lowest: counts as the least "
        "desired level; missing: as if not rated.",
    )
    description: Text = Field(default="", description="When raters should use this code.")


class Scale(_Frozen):
    """An ordered set of levels plus special codes.

    Levels are written in ``direction`` order; :meth:`desired` always gives them desired first.
    """

    direction: Direction = Field(
        default="desired-first",
        description="desired-first: the first level is the most desired (e.g. 1 = ideal); "
        "desired-last: levels ascend towards the desired one (e.g. 0 -> 3).",
    )
    levels: tuple[Level, ...] = Field(
        min_length=1, description="The levels in the order they are written."
    )
    special: tuple[SpecialCode, ...] = Field(
        default=(), description="Codes outside the ordered levels (N/A, non-use, ...)."
    )

    def desired(self) -> tuple[Level, ...]:
        """Levels ordered desired first (index 0 = most desired)."""
        return self.levels if self.direction == "desired-first" else self.levels[::-1]

    def codes(self) -> tuple[str, ...]:
        """Level codes, desired first."""
        return tuple(level.code for level in self.desired())

    def special_codes(self) -> tuple[str, ...]:
        """Special codes, in file order."""
        return tuple(s.code for s in self.special)

    def index(self, code: str) -> int:
        """Desired-first index of a level code; raises :class:`NotFoundError` otherwise.

        >>> Scale(direction="desired-last", levels=[
        ...     Level(code="0", label="none", zone="unacceptable"),
        ...     Level(code="1", label="all", zone="ideal")]).index("1")
        0
        """
        for i, level in enumerate(self.desired()):
            if level.code == code:
                return i
        raise NotFoundError(f"code {code!r} is not a level of this scale ({self._allowed()})")

    def level(self, code: str) -> Level:
        """The level with this code."""
        return self.desired()[self.index(code)]

    def special_code(self, code: str) -> SpecialCode | None:
        """The special code with this code, or None."""
        return next((s for s in self.special if s.code == code), None)

    def _allowed(self) -> str:
        codes = self.codes() + self.special_codes()
        more = f" and {len(codes) - 40} more" if len(codes) > 40 else ""
        return "allowed: " + ", ".join(codes[:40]) + more


class Role(_Frozen):
    """Who a component applies to (teacher, coach, principal, school board, ...)."""

    id: Id = Field(description="Role identifier used by components and ratings.")
    label: Text = Field(description="Human-readable role name.")
    description: Text = Field(default="", description="Who holds this role.")


class Source(_Frozen):
    """Where a map's structure comes from."""

    title: Text = Field(description="Title of the framework, standard or publication.")
    publisher: Text | None = Field(default=None, description="Organisation that published it.")
    authors: tuple[Text, ...] = Field(default=(), description="Authors, if any.")
    year: int | None = Field(default=None, ge=1000, le=9999, description="Year of publication.")
    url: Text | None = Field(default=None, description="Where to find it.")
    note: Text = Field(default="", description="How this map relates to the source.")


class FidelityBand(_Frozen):
    """A named band of the fidelity index (e.g. ``full`` from 0.8, ``partial`` from 0.5)."""

    label: Text = Field(description="Name of the band, e.g. full, partial, low.")
    min: float = Field(ge=0, le=1, description="Lowest index in this band.")


class Fidelity(_Frozen):
    """A fidelity rule recorded in the map (e.g. PBIS TFI: 70 % of points, per tier)."""

    id: Id | None = Field(
        default=None,
        description="Name of the rule (needed when the map has several), e.g. tier-1.",
    )
    title: Text = Field(default="", description="Short name shown with the rule's results.")
    group: Id | None = Field(
        default=None,
        description="Group whose components the rule scores (a tier, domain, standard); "
        "default: every component of the map.",
    )
    threshold: float = Field(
        ge=0, le=1, description="Index at or above which a subject implements with fidelity."
    )
    basis: Literal["score", "zone"] = Field(
        default="score",
        description="score: weighted share of the score range, (score - lowest) / (highest - "
        "lowest) per component; zone: weighted share of components rated ideal or acceptable.",
    )
    bands: tuple[FidelityBand, ...] = Field(
        default=(),
        description="Optional named bands of the index, highest first (e.g. full >= 0.8, "
        "partial >= 0.5, low >= 0).",
    )
    consecutive: int = Field(
        default=1,
        ge=1,
        le=24,
        description="The rule is met only when the index reaches the threshold on this many "
        "of the subject's rated occasions in a row (time order), this one included.",
    )
    note: Text = Field(default="", description="Where the rule comes from.")

    @field_validator("bands", mode="after")
    @classmethod
    def _bands_descend(cls, value: tuple[FidelityBand, ...]) -> tuple[FidelityBand, ...]:
        mins = [b.min for b in value]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("bands must be listed highest first, each with its own min")
        return value


_LookFors = Annotated[
    tuple[Text, ...],
    Field(description="What an observer looks or listens for (teaching frameworks' look-fors)."),
]
_Examples = Annotated[
    tuple[Text, ...],
    Field(description="Examples of the practice, e.g. from classrooms or meetings."),
]
_DataSources = Annotated[
    tuple[Text, ...],
    Field(
        description="Where the evidence comes from (e.g. the TFI's data sources: minutes, "
        "action plan, walkthrough)."
    ),
]
_Rationale = Annotated[Text, Field(description="Why this matters (NIRN practice profiles).")]
_DesiredOutcome = Annotated[
    dict[Id, Text],
    Field(description="Per role id, the desired outcome for that role (Learning Forward)."),
]


class Component(_Frozen):
    """A rated row of the map (a 'desired outcome' in some maps)."""

    id: Id = Field(description="Identifier, unique across the map.")
    title: Text = Field(description="Short name of the component.")
    description: Text = Field(default="", description="Longer explanation, if any.")
    roles: tuple[Id, ...] = Field(
        default=(), description="Role ids this component applies to; empty means every role."
    )
    critical: bool = Field(
        default=False,
        description="A critical component gates fidelity: failing it fails the subject.",
    )
    weight: float = Field(default=1.0, ge=0, description="Weight in fidelity indices.")
    scale: Id | Scale | None = Field(
        default=None,
        description="This row's own scale: the name of one in the map's `scales`, or a scale "
        "written in place. Default: the map's `scale`.",
    )
    variations: tuple[Text | None, ...] = Field(
        description="One descriptor per level, in the order the scale's levels are written; "
        '"" (or null) for an empty cell.'
    )
    look_fors: _LookFors = ()
    examples: _Examples = ()
    data_sources: _DataSources = ()
    rationale: _Rationale = ""
    desired_outcome: _DesiredOutcome = Field(default_factory=dict)

    def guidance(self) -> list[tuple[str, list[str]]]:
        """The guidance that is filled in, as (heading, lines), in a fixed order.

        >>> Component(id="c", title="C", variations=("a",), look_fors=("x",)).guidance()
        [('Look-fors', ['x'])]
        """
        return _guidance(self)

    @field_validator("variations", mode="after")
    @classmethod
    def _empty_cells(cls, value: tuple[str | None, ...]) -> tuple[str, ...]:
        return tuple("" if v is None else v for v in value)


class Group(_Frozen):
    """A node of the map's hierarchy (frame, standard, construct, domain, ...), any depth.

    A group's own components come before its subgroups in :meth:`Map.components` order.
    """

    id: Id = Field(description="Identifier, unique across the map.")
    kind: Text = Field(
        default="group", description="What this level of the hierarchy is called, free text."
    )
    title: Text = Field(description="Heading shown for the group.")
    description: Text = Field(default="", description="Longer explanation, if any.")
    look_fors: _LookFors = ()
    examples: _Examples = ()
    data_sources: _DataSources = ()
    rationale: _Rationale = ""
    desired_outcome: _DesiredOutcome = Field(default_factory=dict)
    components: tuple[Component, ...] = Field(default=(), description="Rated rows.")
    groups: tuple[Group, ...] = Field(default=(), description="Nested groups.")

    def guidance(self) -> list[tuple[str, list[str]]]:
        """The guidance that is filled in, as (heading, lines), in a fixed order."""
        return _guidance(self)


def _guidance(self: Component | Group) -> list[tuple[str, list[str]]]:
    """The guidance that is filled in, as (heading, lines), in a fixed order.

    >>> Component(id="c", title="C", variations=("a",), look_fors=("x",)).guidance()
    [('Look-fors', ['x'])]
    """
    out: list[tuple[str, list[str]]] = []
    if self.rationale:
        out.append(("Rationale", [self.rationale]))
    for heading, items in (
        ("Look-fors", self.look_fors),
        ("Examples", self.examples),
        ("Data sources", self.data_sources),
    ):
        if items:
            out.append((heading, list(items)))
    if self.desired_outcome:
        out.append(
            (
                "Desired outcome",
                [f"{role}: {text}" for role, text in self.desired_outcome.items()],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Variation:
    """One cell of the map as a program sees it: level, zone, score and descriptor."""

    component: str
    index: int
    code: str
    label: str
    zone: Zone
    score: float | None
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class OutlineNode:
    """One node of :meth:`Map.outline`: a component or a group, its depth and the ids of the
    components at or below it (in document order)."""

    kind: Literal["component", "group"]
    item: Component | Group
    depth: int
    below: tuple[str, ...]

    @property
    def id(self) -> str:
        """The component's or group's id."""
        return self.item.id


class Map(_Frozen):
    """One IC map: metadata, roles, scales and a tree of groups ending in components."""

    schema_: str | None = Field(
        default=None, alias="$schema", description="JSON Schema of this file (for editors)."
    )
    icmap: Literal[1] = Field(default=1, description="File-format version.")
    id: Id = Field(description="Map identifier, e.g. learning-school.")
    version: Text = Field(description="Version of this map's content, e.g. 1.0.0.")
    date: dt.date | None = Field(
        default=None,
        description="Date of this version (YYYY-MM-DD); exports that need a timestamp (CASE's "
        "lastChangeDateTime) take it from here.",
    )
    title: Text = Field(description="Title of the map.")
    description: Text = Field(default="", description="What the map is for and how to use it.")
    source: Source | None = Field(default=None, description="The framework it is modelled on.")
    license: Text | None = Field(default=None, description="License of the map's text.")
    roles: tuple[Role, ...] = Field(default=(), description="Roles the map describes.")
    scale: Scale = Field(description="The default scale of every component.")
    scales: dict[Id, Scale] = Field(
        default_factory=dict, description="Named scales that components may refer to."
    )
    fidelity: Fidelity | tuple[Fidelity, ...] | None = Field(
        default=None,
        description="The map's own fidelity rule, or several named rules (each scoped to a "
        "group, e.g. one per tier), if it has any.",
    )
    components: tuple[Component, ...] = Field(
        default=(), description="Components outside any group (come first)."
    )
    groups: tuple[Group, ...] = Field(default=(), description="The hierarchy of groups.")

    _components: dict[str, Component] = PrivateAttr(default_factory=dict)
    _groups: dict[str, Group] = PrivateAttr(default_factory=dict)
    _paths: dict[str, tuple[Group, ...]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        """Index components and groups once; the map is immutable."""

        def walk(groups: tuple[Group, ...], path: tuple[Group, ...]) -> None:
            for g in groups:
                self._groups.setdefault(g.id, g)
                here = (*path, g)
                for c in g.components:
                    self._components.setdefault(c.id, c)
                    self._paths.setdefault(c.id, here)
                walk(g.groups, here)

        for c in self.components:
            self._components.setdefault(c.id, c)
            self._paths.setdefault(c.id, ())
        walk(self.groups, ())

    # -- navigation ------------------------------------------------------------------------

    def fidelity_rules(self) -> tuple[Fidelity, ...]:
        """The map's fidelity rules (one, several, or none), as a tuple.

        >>> import icmaps
        >>> [r.id for r in icmaps.load_map("pbis-tfi").fidelity_rules()]
        ['tier-1', 'tier-2', 'tier-3']
        """
        if self.fidelity is None:
            return ()
        return (self.fidelity,) if isinstance(self.fidelity, Fidelity) else self.fidelity

    def rule_components(self, rule: Fidelity) -> tuple[str, ...] | None:
        """The components a fidelity rule scores (every component without a ``group``);
        None when its group does not exist.

        >>> import icmaps
        >>> m = icmaps.load_map("pbis-tfi")
        >>> m.rule_components(m.fidelity_rules()[1])[0]
        't2-team'
        """
        if rule.group is None:
            return tuple(c.id for c in self.iter_components())
        for node in self.outline():
            if node.kind == "group" and node.id == rule.group:
                return node.below
        return None

    def iter_components(self) -> Iterator[Component]:
        """Components in document order (a group's own components before its subgroups)."""
        yield from self._components.values()

    def all_components(self) -> tuple[Component, ...]:
        """Every component in document order.

        Same as ``tuple(m.iter_components())``.
        """
        return tuple(self._components.values())

    def all_groups(self) -> tuple[Group, ...]:
        """Every group, depth first in document order."""
        return tuple(self._groups.values())

    def children(self) -> dict[str | None, tuple[tuple[Literal["component", "group"], str], ...]]:
        """What stands just below the map (key None) and below each group (its id): its own
        components, then its subgroups, as (kind, id) in document order.

        >>> import icmaps
        >>> m = icmaps.load_map("learning-school")
        >>> m.children()[None][0], m.children()["adult-learning"][0]
        (('group', 'adult-learning'), ('component', 'al-teacher-routine'))
        """
        out: dict[str | None, tuple[tuple[Literal["component", "group"], str], ...]] = {}
        for key, cs, gs in [
            (None, self.components, self.groups),
            *((g.id, g.components, g.groups) for g in self.all_groups()),
        ]:
            out[key] = (
                *(("component", c.id) for c in cs),
                *(("group", sub.id) for sub in gs),
            )
        return out

    def outline(self, role: str | None = None) -> tuple[OutlineNode, ...]:
        """The map's tree in document order, the one walk every view uses: each node is a
        component or a group, with its depth (0 at the top) and the ids of the components at
        or below it. A level's own components come before its groups, and a group before
        what it holds. With ``role``, the tree of :meth:`for_role`.

        >>> import icmaps
        >>> m = icmaps.load_map("learning-school")
        >>> [(n.kind, n.id, n.depth) for n in m.outline()][:2]
        [('group', 'adult-learning', 0), ('component', 'al-teacher-routine', 1)]
        >>> len(m.outline()[0].below) > 1
        True
        """
        m = self.for_role(role) if role is not None else self
        out: list[OutlineNode] = []

        def walk(cs: tuple[Component, ...], gs: tuple[Group, ...], depth: int) -> list[str]:
            ids = []
            for c in cs:
                out.append(OutlineNode("component", c, depth, (c.id,)))
                ids.append(c.id)
            for g in gs:
                at = len(out)
                out.append(OutlineNode("group", g, depth, ()))
                below = walk(g.components, g.groups, depth + 1)
                out[at] = OutlineNode("group", g, depth, tuple(below))
                ids += below
            return ids

        walk(m.components, m.groups, 0)
        return tuple(out)

    def component(self, component_id: str) -> Component:
        """The component with this id; raises :class:`NotFoundError` naming the known ids."""
        try:
            return self._components[component_id]
        except KeyError:
            raise NotFoundError(
                f"map {self.id!r} has no component {component_id!r}"
                f" (it has {len(self._components)}: {_some(self._components)})"
            ) from None

    def group(self, group_id: str) -> Group:
        """The group with this id."""
        try:
            return self._groups[group_id]
        except KeyError:
            raise NotFoundError(
                f"map {self.id!r} has no group {group_id!r} (it has: {_some(self._groups)})"
            ) from None

    def path_of(self, component_id: str) -> tuple[Group, ...]:
        """The groups above a component, outermost first (empty for a top-level one)."""
        self.component(component_id)
        return self._paths[component_id]

    def role(self, role_id: str) -> Role:
        """The role with this id."""
        for r in self.roles:
            if r.id == role_id:
                return r
        known = _some({r.id: r for r in self.roles}, 12) or "none"
        raise NotFoundError(f"map {self.id!r} has no role {role_id!r} (roles: {known})")

    def roles_of(self, component_id: str) -> tuple[str, ...]:
        """Role ids a component applies to (every role of the map when it names none)."""
        c = self.component(component_id)
        return c.roles or tuple(r.id for r in self.roles)

    def applies_to(self, component_id: str, role_id: str) -> bool:
        """Whether a component applies to a role."""
        return role_id in self.roles_of(component_id)

    def for_role(self, role_id: str) -> Map:
        """The map as one role sees it: only components that apply to the role, empty
        groups left out.

        >>> from icmaps import load_map
        >>> m = load_map("learning-school").for_role("principal")
        >>> all(m.applies_to(c.id, "principal") for c in m.iter_components())
        True
        """
        self.role(role_id)

        def keep(c: Component) -> bool:
            return not c.roles or role_id in c.roles

        def prune(groups: tuple[Group, ...]) -> tuple[Group, ...]:
            out = []
            for g in groups:
                comps = tuple(c for c in g.components if keep(c))
                subs = prune(g.groups)
                if comps or subs:
                    out.append(g.model_copy(update={"components": comps, "groups": subs}))
            return tuple(out)

        return self.model_copy(
            update={
                "components": tuple(c for c in self.components if keep(c)),
                "groups": prune(self.groups),
            }
        )

    def model_copy(self, *, update: Mapping[str, object] | None = None, deep: bool = False) -> Map:
        """A copy, with ``update`` applied and validated; indexes are rebuilt (pydantic's own
        ``model_copy`` would keep the old component index).

        >>> from icmaps import load_map
        >>> m = load_map("learning-school")
        >>> m.model_copy(update={"components": (), "groups": ()}).all_components()
        ()
        """
        if not update:
            return super().model_copy(deep=deep)
        data = self.model_dump(by_alias=True)
        data.update(
            {
                k: v.model_dump(by_alias=True) if isinstance(v, BaseModel) else v
                for k, v in update.items()
            }
        )
        return type(self).model_validate(data)

    # -- levels, zones and scores ------------------------------------------------------------

    def scale_of(self, component_id: str) -> Scale:
        """The scale a component is rated on (its own, a named one, or the map's)."""
        c = self.component(component_id)
        if c.scale is None:
            return self.scale
        if isinstance(c.scale, Scale):
            return c.scale
        try:
            return self.scales[c.scale]
        except KeyError:
            raise NotFoundError(f"component {c.id!r} names unknown scale {c.scale!r}") from None

    def variations_of(self, component_id: str) -> tuple[Variation, ...]:
        """The cells of a component, desired first, each with code, zone, score and text."""
        c = self.component(component_id)
        scale = self.scale_of(component_id)
        texts = c.variations if scale.direction == "desired-first" else c.variations[::-1]
        return tuple(
            Variation(c.id, i, lv.code, lv.label, lv.zone, lv.score, t or "")
            for i, (lv, t) in enumerate(zip(scale.desired(), texts, strict=False))
        )

    def written_order(self, component_id: str) -> tuple[Variation, ...]:
        """The cells of a component in the order the map writes them (left to right on
        paper): :meth:`variations_of` reversed on a desired-last scale."""
        cells = self.variations_of(component_id)
        return cells if self.scale_of(component_id).direction == "desired-first" else cells[::-1]

    def level_index(self, component_id: str, code: str) -> int:
        """Desired-first index (0 = most desired) of a code on a component's scale."""
        return self._index(component_id, code)

    def zone_of(self, component_id: str, code: str) -> Zone:
        """The zone of a level code on a component."""
        scale = self.scale_of(component_id)
        return scale.desired()[self._index(component_id, code)].zone

    def score_of(self, component_id: str, code: str) -> float | None:
        """The score of a level code on a component (None when the scale has no scores)."""
        scale = self.scale_of(component_id)
        return scale.desired()[self._index(component_id, code)].score

    def _index(self, component_id: str, code: str) -> int:
        scale = self.scale_of(component_id)
        try:
            return scale.index(code)
        except NotFoundError:
            raise NotFoundError(
                f"code {code!r} is not a level of component {component_id!r} ({scale._allowed()})"
            ) from None

    # -- display ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"<Map {self.id!r} v{self.version}: {len(self._components)} components, "
            f"{len(self._groups)} groups, {len(self.roles)} roles>"
        )

    def __str__(self) -> str:
        return repr(self)

    def _repr_html_(self) -> str:
        """The IC grid, for Jupyter (needs the ``report`` extra: jinja2)."""
        from icmaps.maps.grid import map_html

        return map_html(self)

    def _repr_markdown_(self) -> str:
        """The map as Markdown tables, for Jupyter and other Markdown front ends."""
        from icmaps.maps.grid import map_markdown

        return map_markdown(self)


def _some(d: Mapping[str, object], n: int = 8) -> str:
    keys = list(d)
    more = f", ... {len(keys) - n} more" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


Group.model_rebuild()
