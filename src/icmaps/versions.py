"""Map versions: what changed between two maps, and carrying ratings across with a crosswalk.

:func:`diff_maps` needs no ratings: it lists components added, removed, retitled or moved,
levels added, removed, re-zoned or re-scored, role and weight changes. A :class:`Crosswalk`
(a small YAML or CSV file, see :func:`load_crosswalk`) says where each old component and level
code goes; :func:`migrate_ratings` applies it and reports every rating it could not carry.

>>> from icmaps import load_map
>>> m = load_map("learning-school")
>>> diff_maps(m, m).is_empty
True
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from icmaps._tabular import Record, records_csv, records_frame, text_table
from icmaps._yaml import Document, parse
from icmaps.errors import LoadError, NotFoundError, Problem, UsageError
from icmaps.model import Component, Map

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from icmaps.ratings import Rating, RatingSet

__all__ = [
    "Change",
    "ChangeKind",
    "Crosswalk",
    "DroppedRatings",
    "MapDiff",
    "MigrationReport",
    "crosswalk",
    "diff_maps",
    "load_crosswalk",
    "loads_crosswalk",
    "migrate_ratings",
]

ChangeKind = Literal[
    "map retitled",
    "role added",
    "role removed",
    "fidelity rule changed",
    "group added",
    "group removed",
    "group retitled",
    "component added",
    "component removed",
    "retitled",
    "moved",
    "roles changed",
    "critical changed",
    "weight changed",
    "level added",
    "level removed",
    "re-zoned",
    "re-scored",
    "relabelled",
    "levels reordered",
    "descriptor changed",
    "special code added",
    "special code removed",
    "special code recounted",
]
"""What one :class:`Change` is about."""

_LEVEL_KINDS = frozenset(
    {"level added", "level removed", "re-zoned", "re-scored", "relabelled", "levels reordered"}
)


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One difference between two maps.

    ``target`` is the component, group or role id (``""`` for the map itself); ``detail`` the
    level or special code concerned, if any; ``old`` and ``new`` the values before and after
    (``None`` when the thing did not exist).

    >>> str(Change("re-zoned", "c1", "2", "acceptable", "unacceptable"))
    "re-zoned c1 [2]: 'acceptable' -> 'unacceptable'"
    """

    kind: ChangeKind
    target: str
    detail: str | None = None
    old: str | None = None
    new: str | None = None

    def __str__(self) -> str:
        where = self.target + (f" [{self.detail}]" if self.detail is not None else "")
        if self.old is None and self.new is None:
            return f"{self.kind} {where}"
        if self.old is None:
            return f"{self.kind} {where}: {self.new!r}"
        if self.new is None:
            return f"{self.kind} {where}: was {self.old!r}"
        return f"{self.kind} {where}: {self.old!r} -> {self.new!r}"

    def to_dict(self) -> Record:
        """Plain-data form."""
        return {
            "kind": self.kind,
            "target": self.target,
            "detail": self.detail,
            "old": self.old,
            "new": self.new,
        }


_CHANGE_COLUMNS = ("kind", "target", "detail", "old", "new")


@dataclasses.dataclass(frozen=True, slots=True)
class MapDiff:
    """Every difference between an old and a new map, in a stable order: the map, roles,
    groups, components removed, components added, then changes to each kept component in the
    new map's order.

    >>> from icmaps import load_map
    >>> m = load_map("learning-school")
    >>> print(diff_maps(m, m))
    learning-school 1.0.0 -> learning-school 1.0.0: no changes
    """

    old_id: str
    old_version: str
    new_id: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def is_empty(self) -> bool:
        """True when the maps describe the same thing (no change of any kind)."""
        return not self.changes

    def __bool__(self) -> bool:
        return bool(self.changes)

    def of_kind(self, *kinds: ChangeKind) -> tuple[Change, ...]:
        """The changes of the given kinds."""
        return tuple(c for c in self.changes if c.kind in kinds)

    @property
    def added(self) -> tuple[str, ...]:
        """Ids of components only in the new map."""
        return tuple(c.target for c in self.of_kind("component added"))

    @property
    def removed(self) -> tuple[str, ...]:
        """Ids of components only in the old map."""
        return tuple(c.target for c in self.of_kind("component removed"))

    @property
    def retitled(self) -> tuple[str, ...]:
        """Ids of components kept with a new title."""
        return tuple(c.target for c in self.of_kind("retitled"))

    @property
    def levels_changed(self) -> tuple[str, ...]:
        """Ids of kept components whose levels changed (added, removed, re-zoned, ...)."""
        return tuple(dict.fromkeys(c.target for c in self.changes if c.kind in _LEVEL_KINDS))

    def summary(self) -> str:
        """One line: the versions and the number of changes of each kind."""
        head = f"{self.old_id} {self.old_version} -> {self.new_id} {self.new_version}"
        if not self.changes:
            return f"{head}: no changes"
        counts = Counter(c.kind for c in self.changes)
        return f"{head}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())

    def to_records(self) -> list[Record]:
        """One flat row per change."""
        return [c.to_dict() for c in self.changes]

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (what ``icmaps diff --format json`` prints)."""
        return {
            "old": {"id": self.old_id, "version": self.old_version},
            "new": {"id": self.new_id, "version": self.new_version},
            "changes": self.to_records(),
        }

    def to_csv(self) -> str:
        """The changes as CSV text."""
        return records_csv(self.to_records(), _CHANGE_COLUMNS)

    def to_pandas(self) -> pandas.DataFrame:
        """The changes as a DataFrame (needs pandas)."""
        return records_frame(self.to_records(), _CHANGE_COLUMNS)

    def __str__(self) -> str:
        if not self.changes:
            return self.summary()
        rows = [
            [c.kind, c.target, c.detail or "", _show(c.old), _show(c.new)] for c in self.changes
        ]
        return self.summary() + "\n\n" + text_table(_CHANGE_COLUMNS, rows)

    def __repr__(self) -> str:
        return f"<MapDiff {self.summary()}>"


def _show(v: str | None) -> str:
    if v is None:
        return ""
    v = v.replace("\n", " ")
    return v if len(v) <= 40 else v[:37] + "..."


def _num(x: float | None) -> str | None:
    return None if x is None else f"{x:g}"


def diff_maps(old: Map, new: Map) -> MapDiff:
    """What changed from ``old`` to ``new``; needs no ratings.

    Components and groups are matched by id, levels by code (desired-first order), roles by
    id. Roles are compared as they apply (a component naming no role applies to every role).

    >>> from icmaps import loads_map
    >>> text = '''
    ... id: demo
    ... version: "{v}"
    ... title: Demo
    ... scale: {{levels: [{{code: "1", label: Yes, zone: ideal}}, {lv2}]}}
    ... components: [{{id: c1, title: {t}, variations: [a, b]}}]
    ... '''
    >>> old = loads_map(text.format(v=1, t="Plans", lv2='{code: "2", label: No, zone: acceptable}'))
    >>> new = loads_map(text.format(v=2, t="Plans together",
    ...     lv2='{code: "2", label: No, zone: unacceptable}'))
    >>> [str(c) for c in diff_maps(old, new).changes]
    ["retitled c1: 'Plans' -> 'Plans together'", "re-zoned c1 [2]: 'acceptable' -> 'unacceptable'"]
    """
    ch: list[Change] = []
    if old.title != new.title:
        ch.append(Change("map retitled", "", None, old.title, new.title))
    old_roles = {r.id: r for r in old.roles}
    new_roles = {r.id: r for r in new.roles}
    ch += [
        Change("role removed", r, None, old_roles[r].label) for r in old_roles if r not in new_roles
    ]
    ch += [
        Change("role added", r, None, None, new_roles[r].label)
        for r in new_roles
        if r not in old_roles
    ]
    if old.fidelity != new.fidelity:
        ch.append(Change("fidelity rule changed", "", None, _fidelity(old), _fidelity(new)))
    og = {g.id: g for g in old.all_groups()}
    ng = {g.id: g for g in new.all_groups()}
    ch += [Change("group removed", g, None, og[g].title) for g in og if g not in ng]
    ch += [Change("group added", g, None, None, ng[g].title) for g in ng if g not in og]
    ch += [
        Change("group retitled", g, None, og[g].title, ng[g].title)
        for g in ng
        if g in og and og[g].title != ng[g].title
    ]
    oc = {c.id: c for c in old.iter_components()}
    nc = {c.id: c for c in new.iter_components()}
    ch += [Change("component removed", c, None, oc[c].title) for c in oc if c not in nc]
    ch += [Change("component added", c, None, None, nc[c].title) for c in nc if c not in oc]
    for cid, c in nc.items():
        if cid in oc:
            ch += _component_changes(old, new, oc[cid], c)
    return MapDiff(old.id, old.version, new.id, new.version, tuple(ch))


def _fidelity(m: Map) -> str | None:
    f = m.fidelity
    return None if f is None else f"{f.basis} >= {f.threshold:g}"


def _component_changes(old: Map, new: Map, o: Component, n: Component) -> list[Change]:
    cid = n.id
    ch: list[Change] = []
    if o.title != n.title:
        ch.append(Change("retitled", cid, None, o.title, n.title))
    op = "/".join(g.id for g in old.path_of(cid))
    np_ = "/".join(g.id for g in new.path_of(cid))
    if op != np_:
        ch.append(Change("moved", cid, None, op or "(top level)", np_ or "(top level)"))
    orl, nrl = old.roles_of(cid), new.roles_of(cid)
    if set(orl) != set(nrl):
        ch.append(Change("roles changed", cid, None, ", ".join(orl), ", ".join(nrl)))
    if o.critical != n.critical:
        ch.append(Change("critical changed", cid, None, str(o.critical), str(n.critical)))
    if o.weight != n.weight:
        ch.append(Change("weight changed", cid, None, f"{o.weight:g}", f"{n.weight:g}"))
    ov = {v.code: v for v in old.variations_of(cid)}
    nv = {v.code: v for v in new.variations_of(cid)}
    ch += [Change("level removed", cid, k, ov[k].label) for k in ov if k not in nv]
    ch += [Change("level added", cid, k, None, nv[k].label) for k in nv if k not in ov]
    common_old = [k for k in ov if k in nv]
    common_new = [k for k in nv if k in ov]
    if common_old != common_new:
        ch.append(Change("levels reordered", cid, None, " ".join(common_old), " ".join(common_new)))
    for k in common_new:
        a, b = ov[k], nv[k]
        if a.zone != b.zone:
            ch.append(Change("re-zoned", cid, k, a.zone, b.zone))
        if a.score != b.score:
            ch.append(Change("re-scored", cid, k, _num(a.score), _num(b.score)))
        if a.label != b.label:
            ch.append(Change("relabelled", cid, k, a.label, b.label))
        if a.text != b.text:
            ch.append(Change("descriptor changed", cid, k, a.text, b.text))
    osp = {s.code: s for s in old.scale_of(cid).special}
    nsp = {s.code: s for s in new.scale_of(cid).special}
    ch += [Change("special code removed", cid, k, osp[k].counts) for k in osp if k not in nsp]
    ch += [Change("special code added", cid, k, None, nsp[k].counts) for k in nsp if k not in osp]
    ch += [
        Change("special code recounted", cid, k, osp[k].counts, nsp[k].counts)
        for k in nsp
        if k in osp and osp[k].counts != nsp[k].counts
    ]
    return ch


# -- crosswalks -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Crosswalk:
    """Where each component and level code of an old map goes in a new one.

    ``components`` maps an old component id to a new id, or to ``None`` to drop its ratings;
    ``levels`` maps, per old component id, an old code to a new code (or ``None`` to drop).
    Anything not listed is carried unchanged when the new map has the same id or code.
    ``path`` and ``locations`` (the file line of each entry) are kept for error messages and
    take no part in equality.

    >>> cw = Crosswalk(components={"old-a": "new-a", "gone": None},
    ...                levels={"old-a": {"4": "3"}})
    >>> cw.target("old-a"), cw.target("gone"), cw.target("kept")
    ('new-a', None, 'kept')
    >>> cw.recode("old-a", "4"), cw.recode("old-a", "2")
    ('3', '2')
    """

    components: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    levels: Mapping[str, Mapping[str, str | None]] = dataclasses.field(default_factory=dict)
    old_map: str | None = None
    old_version: str | None = None
    new_map: str | None = None
    new_version: str | None = None
    path: str | None = dataclasses.field(default=None, compare=False)
    locations: Mapping[str, tuple[int, int]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def target(self, component_id: str) -> str | None:
        """The new id of an old component (itself when not listed; None when dropped)."""
        return self.components.get(component_id, component_id)

    def recode(self, component_id: str, code: str) -> str | None:
        """The new code of an old code on an old component (itself when not listed)."""
        return self.levels.get(component_id, {}).get(code, code)

    def problems(self, new_map: Map) -> list[Problem]:
        """Entries that point at components or codes the new map does not have."""
        out: list[Problem] = []

        def where(key: str) -> tuple[int | None, int | None]:
            loc = self.locations.get(key)
            return (loc[0], loc[1]) if loc else (None, None)

        known = {c.id for c in new_map.iter_components()}
        for old, new in self.components.items():
            if new is not None and new not in known:
                out.append(
                    Problem(
                        self.path,
                        *where(f"/components/{old}"),
                        f"{old} -> {new}: map {new_map.id!r} has no component {new!r}",
                    )
                )
        for old, codes in self.levels.items():
            new_c = self.target(old)
            if new_c is None or new_c not in known:
                continue
            scale = new_map.scale_of(new_c)
            allowed = set(scale.codes()) | set(scale.special_codes())
            for code, new_code in codes.items():
                if new_code is not None and new_code not in allowed:
                    out.append(
                        Problem(
                            self.path,
                            *where(f"/levels/{old}/{code}"),
                            f"{old} [{code}] -> {new_c} [{new_code}]: {new_code!r} is not a "
                            f"code of {new_c!r} (allowed: {', '.join(sorted(allowed))})",
                        )
                    )
        return out

    def to_dict(self) -> dict[str, object]:
        """Plain data in the YAML file layout."""
        comps: dict[str, object] = {}
        for old in dict.fromkeys([*self.components, *self.levels]):
            new = self.target(old)
            if old in self.levels:
                comps[old] = {"to": new, "levels": dict(self.levels[old])}
            else:
                comps[old] = new
        out: dict[str, object] = {"crosswalk": 1}
        if self.old_map or self.old_version:
            out["from"] = {"map": self.old_map, "version": self.old_version}
        if self.new_map or self.new_version:
            out["to"] = {"map": self.new_map, "version": self.new_version}
        out["components"] = comps
        return out

    def to_yaml(self) -> str:
        """The crosswalk as a YAML file that :func:`load_crosswalk` reads back.

        >>> print(Crosswalk(components={"a": "b", "c": None}).to_yaml(), end="")
        crosswalk: 1
        components:
          "a": "b"
          "c": null
        """
        lines = ["crosswalk: 1"]
        d = self.to_dict()
        for side in ("from", "to"):
            if side in d:
                v = d[side]
                assert isinstance(v, dict)
                lines.append(f"{side}: {{map: {_q(v['map'])}, version: {_q(v['version'])}}}")
        lines.append("components:" if self.components or self.levels else "components: {}")
        comps = d["components"]
        assert isinstance(comps, dict)
        for old, spec in comps.items():
            if isinstance(spec, dict):
                lines.append(f"  {_q(old)}:")
                lines.append(f"    to: {_q(spec['to'])}")
                lv = ", ".join(f"{_q(k)}: {_q(v)}" for k, v in spec["levels"].items())
                lines.append(f"    levels: {{{lv}}}")
            else:
                lines.append(f"  {_q(old)}: {_q(spec)}")
        return "\n".join(lines) + "\n"


def _q(v: object) -> str:
    return "null" if v is None else json.dumps(str(v), ensure_ascii=False)


def crosswalk(old: Map, new: Map) -> Crosswalk:
    """A draft crosswalk from ``old`` to ``new`` to review and edit.

    Components only in the old map are dropped (``None``). For a kept component whose codes
    differ, codes present in both map to themselves, and when both scales have the same number
    of levels the others map by position (desired first); codes with no counterpart are
    dropped. Unchanged components are not listed (they carry over as they are).

    >>> from icmaps import load_map
    >>> m = load_map("learning-school")
    >>> crosswalk(m, m).components
    {}
    """
    comps: dict[str, str | None] = {}
    levels: dict[str, dict[str, str | None]] = {}
    new_ids = {c.id for c in new.iter_components()}
    for c in old.iter_components():
        if c.id not in new_ids:
            comps[c.id] = None
            continue
        oc, nc = old.scale_of(c.id).codes(), new.scale_of(c.id).codes()
        if oc == nc:
            continue
        mapping: dict[str, str | None] = {}
        for i, code in enumerate(oc):
            if len(oc) == len(nc):
                target: str | None = nc[i]
            else:
                target = code if code in nc else None
            if target != code:
                mapping[code] = target
        if mapping:
            levels[c.id] = mapping
            comps.setdefault(c.id, c.id)
    return Crosswalk(comps, levels, old.id, old.version, new.id, new.version)


def load_crosswalk(source: str | os.PathLike[str]) -> Crosswalk:
    """Read a crosswalk file: YAML (``.yaml``/``.yml``/``.json``) or CSV (``.csv``).

    YAML layout::

        crosswalk: 1
        from: {map: learning-school, version: 1.0.0}   # optional
        to: {map: learning-school, version: 2.0.0}     # optional
        components:
          old-id: new-id          # renamed
          gone-id: null           # ratings of gone-id are dropped
          kept-id:
            to: kept-id           # optional, default: the same id
            levels: {"4": "3", "5": null}   # old code -> new code; null drops

    CSV layout: header ``old_component,new_component,old_code,new_code`` (the last two optional);
    a row without ``old_code`` maps a component (empty ``new_component`` drops it), a row with
    ``old_code`` maps one level code (empty ``new_code`` drops it).

    Raises :class:`~icmaps.errors.LoadError` listing every problem with its line.
    """
    path = os.fspath(source)
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"{path}: no such file")
    return loads_crosswalk(
        p.read_bytes(), path=path, format="csv" if p.suffix.lower() == ".csv" else "yaml"
    )


def loads_crosswalk(
    text: str | bytes, *, path: str | None = None, format: Literal["yaml", "csv"] = "yaml"
) -> Crosswalk:
    """A crosswalk from YAML or CSV text (see :func:`load_crosswalk` for the layouts).

    >>> cw = loads_crosswalk("components: {a: b, c: null, d: {levels: {'4': '3'}}}")
    >>> dict(cw.components), {k: dict(v) for k, v in cw.levels.items()}
    ({'a': 'b', 'c': None, 'd': 'd'}, {'d': {'4': '3'}})
    >>> loads_crosswalk("old_component,new_component\\na,b\\n", format="csv").components
    {'a': 'b'}
    """
    if format == "csv":
        return _crosswalk_csv(text, path)
    doc = parse(text, path, typed_keys={"crosswalk"})
    return _crosswalk_doc(doc)


def _crosswalk_doc(doc: Document) -> Crosswalk:
    problems: list[Problem] = []
    data = doc.data
    locs: dict[str, tuple[int, int]] = {}
    if not isinstance(data, dict):
        raise LoadError([doc.problem("", "a crosswalk is a mapping with a `components` key")])
    for key in data:
        if key not in ("crosswalk", "from", "to", "components"):
            problems.append(
                doc.problem(
                    f"/{key}",
                    f"unknown key {key!r} (expected crosswalk, from, to, components)",
                    key=True,
                )
            )
    if data.get("crosswalk", 1) != 1:
        problems.append(doc.problem("/crosswalk", "crosswalk: only format version 1 is known"))
    ends: dict[str, tuple[str | None, str | None]] = {}
    for side in ("from", "to"):
        v = data.get(side)
        if v is None:
            ends[side] = (None, None)
        elif isinstance(v, dict) and set(v) <= {"map", "version"}:
            ends[side] = (v.get("map"), v.get("version"))
        else:
            problems.append(doc.problem(f"/{side}", f"{side}: expected {{map: ID, version: V}}"))
            ends[side] = (None, None)
    comps_data = data.get("components")
    comps: dict[str, str | None] = {}
    levels: dict[str, dict[str, str | None]] = {}
    if not isinstance(comps_data, dict):
        problems.append(doc.problem("/components", "components: expected a mapping old -> new"))
        comps_data = {}
    for old, spec in comps_data.items():
        ptr = f"/components/{old}"
        loc = doc.where(ptr, key=True)
        if loc:
            locs[ptr] = loc
        if spec is None or isinstance(spec, str):
            comps[old] = spec
            continue
        if not isinstance(spec, dict) or not set(spec) <= {"to", "levels"}:
            problems.append(
                doc.problem(ptr, f"components.{old}: expected a new id, null or {{to, levels}}")
            )
            continue
        to = spec.get("to", old)
        if to is not None and not isinstance(to, str):
            problems.append(doc.problem(f"{ptr}/to", f"components.{old}.to: expected an id"))
            continue
        comps[old] = to
        lv = spec.get("levels", {})
        if not isinstance(lv, dict) or not all(
            v is None or isinstance(v, str) for v in lv.values()
        ):
            problems.append(
                doc.problem(
                    f"{ptr}/levels",
                    f"components.{old}.levels: expected a mapping old code -> new code",
                )
            )
            continue
        levels[old] = dict(lv)
        for code in lv:
            lloc = doc.where(f"{ptr}/levels/{code}", key=True)
            if lloc:
                locs[f"/levels/{old}/{code}"] = lloc
    if problems:
        raise LoadError(problems)
    return Crosswalk(comps, levels, *ends["from"], *ends["to"], path=doc.path, locations=locs)


def _crosswalk_csv(text: str | bytes, path: str | None) -> Crosswalk:
    from icmaps._yaml import decode

    raw = decode(text, path) if isinstance(text, bytes) else text
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    if not rows:
        raise LoadError([Problem(path, 1, 1, "empty crosswalk file")])
    header = [h.strip() for h in rows[0]]
    problems: list[Problem] = []
    known = ("old_component", "new_component", "old_code", "new_code")
    if header[:2] != ["old_component", "new_component"] or not set(header) <= set(known):
        raise LoadError(
            [Problem(path, 1, 1, f"header must be {','.join(known)} (the last two optional)")]
        )
    comps: dict[str, str | None] = {}
    levels: dict[str, dict[str, str | None]] = {}
    locs: dict[str, tuple[int, int]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(Problem(path, n, 1, f"{len(row)} cells, header has {len(header)}"))
            continue
        rec = dict(zip(header, (c.strip() for c in row), strict=False))
        old = rec.get("old_component", "")
        new = rec.get("new_component", "") or None
        code = rec.get("old_code", "")
        if not old:
            problems.append(Problem(path, n, 1, "old_component is empty"))
            continue
        if old in comps and comps[old] != new:
            problems.append(
                Problem(path, n, 1, f"{old} is mapped to both {comps[old]!r} and {new!r}")
            )
            continue
        comps[old] = new
        locs.setdefault(f"/components/{old}", (n, 1))
        if code:
            mapping = levels.setdefault(old, {})
            if code in mapping:
                problems.append(Problem(path, n, 1, f"{old} [{code}] is mapped twice"))
                continue
            mapping[code] = rec.get("new_code", "") or None
            locs[f"/levels/{old}/{code}"] = (n, 1)
    if problems:
        raise LoadError(problems)
    return Crosswalk(comps, levels, path=path, locations=locs)


# -- migrating ratings ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DroppedRatings:
    """Ratings of one old component and code that could not be carried, and why."""

    component: str
    code: str | None
    reason: str
    count: int

    def to_dict(self) -> Record:
        """Plain-data form."""
        return {
            "component": self.component,
            "code": self.code,
            "reason": self.reason,
            "count": self.count,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class MigrationReport:
    """What :func:`migrate_ratings` did: ratings carried (of which moved to another component
    id or recoded), and every kind of rating it dropped with counts.

    >>> r = MigrationReport(10, 2, 1, (DroppedRatings("gone", "1", "dropped by the crosswalk", 3),))
    >>> r.dropped_count, r.complete
    (3, False)
    """

    carried: int
    renamed: int
    recoded: int
    dropped: tuple[DroppedRatings, ...] = ()

    @property
    def dropped_count(self) -> int:
        """Number of ratings not carried."""
        return sum(d.count for d in self.dropped)

    @property
    def complete(self) -> bool:
        """True when every rating was carried."""
        return not self.dropped

    def to_records(self) -> list[Record]:
        """One row per kind of dropped rating."""
        return [d.to_dict() for d in self.dropped]

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {
            "carried": self.carried,
            "renamed": self.renamed,
            "recoded": self.recoded,
            "dropped": self.to_records(),
        }

    def to_pandas(self) -> pandas.DataFrame:
        """The dropped ratings as a DataFrame (needs pandas)."""
        return records_frame(self.to_records(), ("component", "code", "reason", "count"))

    def __str__(self) -> str:
        head = (
            f"{self.carried} ratings carried ({self.renamed} to a new component id, "
            f"{self.recoded} recoded), {self.dropped_count} dropped"
        )
        if not self.dropped:
            return head
        rows = [[d.component, d.code or "", d.reason, str(d.count)] for d in self.dropped]
        return (
            head
            + "\n\n"
            + text_table(["component", "code", "reason", "count"], rows, right=["count"])
        )

    def __repr__(self) -> str:
        return f"<MigrationReport {self.carried} carried, {self.dropped_count} dropped>"


def _merged(target: str, olds: list[str]) -> str:
    """How ratings of ``olds`` came to share ``target``, for a drop reason."""
    sources = [c for c in dict.fromkeys(olds) if c != target]
    if not sources:
        return f"for component {target!r}"
    shown = ", ".join(repr(c) for c in sources)
    return f"after merging {shown} into {target!r}"


def migrate_ratings(
    ratings: RatingSet, crosswalk: Crosswalk, new_map: Map
) -> tuple[RatingSet, MigrationReport]:
    """Carry ratings of an old map onto ``new_map`` through ``crosswalk``.

    Each rating's component goes to ``crosswalk.target(id)`` and its code to
    ``crosswalk.recode(id, code)``; a missing (blank) code stays missing. A rating is dropped,
    and counted in the report, when the crosswalk drops its component or code, when its
    component is not in the new map, when its code is not a code of the new component, or when
    its role does not exist in the new map. When the crosswalk merges components, so that
    several ratings land on one subject x rater x occasion x component, different codes are
    all dropped (conflicting ratings) and an exact repeat is kept once; both are reported, as
    when reading ratings. Raises :class:`~icmaps.errors.UsageError` when the
    crosswalk names the wrong map or points at components or codes the new map lacks.

    >>> from icmaps import load_map
    >>> from icmaps.ratings import RatingSet
    >>> m = load_map("learning-school")
    >>> rs = RatingSet.from_records(m, [{"subject": "s", "rater": "r", "occasion": "o",
    ...     "component": "al-teacher-routine", "code": "2"}])
    >>> new, report = migrate_ratings(rs, Crosswalk(), m)
    >>> len(new), report.complete
    (1, True)
    """
    from icmaps.ratings import BASE_COLUMNS, RatingSet

    old_map = ratings.map
    if crosswalk.old_map is not None and crosswalk.old_map != old_map.id:
        raise UsageError(
            f"crosswalk {crosswalk.path or ''} is from map {crosswalk.old_map!r}, "
            f"but the ratings are for {old_map.id!r}".replace("crosswalk  ", "crosswalk ")
        )
    if crosswalk.new_map is not None and crosswalk.new_map != new_map.id:
        raise UsageError(f"crosswalk leads to map {crosswalk.new_map!r}, not {new_map.id!r}")
    bad = crosswalk.problems(new_map)
    if bad:
        raise UsageError("crosswalk does not fit the new map:\n" + "\n".join(map(str, bad)))
    known = {c.id for c in new_map.iter_components()}
    roles = {r.id for r in new_map.roles}
    allowed: dict[str, frozenset[str]] = {}
    names = ratings.attributes
    columns: dict[str, list[str | None]] = {n: [] for n in (*BASE_COLUMNS, *names)}
    carried = 0
    dropped: Counter[tuple[str, str | None, str]] = Counter()
    renamed = recoded = 0
    candidates: list[tuple[Rating, str, str | None]] = []
    for r in ratings:
        target = crosswalk.target(r.component)
        if target is None:
            dropped[(r.component, r.code, "component dropped by the crosswalk")] += 1
            continue
        if target not in known:
            dropped[(r.component, r.code, f"no component {target!r} in the new map")] += 1
            continue
        code = r.code
        if code is not None:
            code = crosswalk.recode(r.component, code)
            if code is None:
                dropped[(r.component, r.code, "code dropped by the crosswalk")] += 1
                continue
            if target not in allowed:
                s = new_map.scale_of(target)
                allowed[target] = frozenset(s.codes()) | frozenset(s.special_codes())
            if code not in allowed[target]:
                dropped[(r.component, r.code, f"{code!r} is not a code of {target!r}")] += 1
                continue
        if r.role is not None and r.role not in roles:
            dropped[(r.component, r.code, f"role {r.role!r} is not in the new map")] += 1
            continue
        if r.role is not None and not new_map.applies_to(target, r.role):
            dropped[(r.component, r.code, f"{target!r} does not apply to role {r.role!r}")] += 1
            continue
        candidates.append((r, target, code))
    by_key: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (r, target, _) in enumerate(candidates):
        by_key.setdefault((r.subject, r.rater, r.occasion, target), []).append(i)
    skip: set[int] = set()
    for rows in by_key.values():
        if len(rows) == 1:
            continue
        target = candidates[rows[0]][1]
        merged = _merged(target, [candidates[i][0].component for i in rows])
        if len({candidates[i][2] for i in rows}) > 1:
            gone = rows
            why = f"conflicting ratings {merged} (same subject, rater and occasion)"
        else:
            gone = rows[1:]
            why = f"repeated rating {merged} (same code); kept once"
        skip.update(gone)
        for i in gone:
            r = candidates[i][0]
            dropped[(r.component, r.code, why)] += 1
    for i, (r, target, code) in enumerate(candidates):
        if i in skip:
            continue
        renamed += target != r.component
        recoded += code != r.code
        for name in names:
            columns[name].append(r.attrs.get(name))
        for name, v in (
            ("subject", r.subject),
            ("rater", r.rater),
            ("occasion", r.occasion),
            ("component", target),
            ("code", code),
            ("role", r.role),
        ):
            columns[name].append(v)
        carried += 1
    new = RatingSet.from_columns(new_map, columns, attributes=ratings.attributes)
    report = MigrationReport(
        carried,
        renamed,
        recoded,
        tuple(DroppedRatings(c, code, why, n) for (c, code, why), n in dropped.items()),
    )
    return new, report
