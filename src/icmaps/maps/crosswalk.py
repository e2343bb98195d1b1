"""Crosswalks: which components and levels of an old map version become which in a new one."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from icmaps.errors import LoadError, NotFoundError, Problem
from icmaps.maps._yaml import Document, parse
from icmaps.maps.model import Map

if TYPE_CHECKING:
    pass

__all__ = ["Crosswalk", "crosswalk", "load_crosswalk", "loads_crosswalk"]


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
    from icmaps.maps._yaml import decode

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
