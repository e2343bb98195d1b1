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

import dataclasses
from collections import Counter
from typing import Literal

from icmaps._table import Column, Table, TableResult
from icmaps._tabular import Record
from icmaps.errors import NotFoundError
from icmaps.maps.model import Component, Map

__all__ = ["Change", "ChangeKind", "MapDiff", "diff_maps"]


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


@dataclasses.dataclass(frozen=True, slots=True)
class MapDiff(TableResult):
    """Every difference between an old and a new map, in a stable order: the map, roles,
    groups, components removed, components added, then changes to each kept component in the
    new map's order.

    >>> from icmaps import load_map
    >>> m = load_map("learning-school")
    >>> print(diff_maps(m, m))
    learning-school 1.1.0 -> learning-school 1.1.0: no changes
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
    def breaking(self) -> tuple[Change, ...]:
        """The changes that can leave ratings of the old map without a place in the new
        one: components and levels removed (``icmaps diff --exit-code`` exits 2)."""
        return self.of_kind("component removed", "level removed")

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

    def row(
        self, target: str, *, kind: ChangeKind | None = None, detail: str | None = None
    ) -> Change:
        """The first change (in :attr:`changes` order) of a component, group or role id
        (``""``: the map), optionally of one ``kind`` and on one level or special code
        (``detail``); :class:`~icmaps.errors.NotFoundError` names the targets changed."""
        for c in self.changes:
            if (
                c.target == target
                and (kind is None or c.kind == kind)
                and (detail is None or c.detail == detail)
            ):
                return c
        what = repr(target) + (f" ({kind})" if kind else "") + (f" [{detail}]" if detail else "")
        known = list(dict.fromkeys(c.target or "(map)" for c in self.changes))
        shown = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
        raise NotFoundError(f"no change of {what} (changed: {shown or 'nothing'})")

    def to_table(self) -> Table:
        """One row per change; people see old and new values on one line each (a text
        table wraps them to the terminal's width, nothing is cut)."""
        cols = (
            Column("kind"),
            Column("target"),
            Column("detail"),
            Column("old", show=False),
            Column("new", show=False),
            Column("old_shown", label="old", data=False),
            Column("new_shown", label="new", data=False),
        )
        rows = tuple(
            (c.kind, c.target, c.detail, c.old, c.new, _show(c.old), _show(c.new))
            for c in self.changes
        )
        facts = (
            ("old", f"{self.old_id} {self.old_version}"),
            ("new", f"{self.new_id} {self.new_version}"),
            ("changes", len(self.changes)),
        )
        return Table("Map diff", cols, rows, facts, note=self.summary())

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (what ``icmaps diff --format json`` prints)."""
        return {
            "old": {"id": self.old_id, "version": self.old_version},
            "new": {"id": self.new_id, "version": self.new_version},
            "changes": self.to_records(),
        }

    def __repr__(self) -> str:
        return f"<MapDiff {self.summary()}>"


def _show(v: str | None) -> str:
    return "" if v is None else " ".join(v.split())


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
    rules = m.fidelity_rules()
    if not rules:
        return None
    return "; ".join(
        (f"{r.id}: " if r.id else "")
        + f"{r.basis} >= {r.threshold:g}"
        + (f" on {r.group}" if r.group else "")
        + (f", {r.consecutive} occasions running" if r.consecutive > 1 else "")
        for r in rules
    )


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
