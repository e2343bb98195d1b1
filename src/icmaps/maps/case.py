"""Interchange with 1EdTech CASE 1.1: an IC map as a ``CFPackage`` with a ``CFRubric``, and back.

A map becomes a ``CFDocument``; its groups and components become ``CFItems`` tied together by
``isChildOf`` ``CFAssociations``; the map is also one ``CFRubric`` with a ``CFRubricCriterion``
per component and a ``CFRubricCriterionLevel`` per variation. What CASE has no field for
(zones, codes, special codes, roles, critical components, fidelity rules, direction, ...) goes in
the ``extensions`` objects CASE 1.1 allows, under the key ``icmaps``, so that
``load_map(export(m)) == m``. Identifiers are UUID v5 (see :func:`case_uuid`), timestamps come
from ``Map.date``: exporting twice gives the same bytes. docs/case.md has the full mapping.

Reading accepts packages written by other tools (and a bare ``CFRubric``): levels without zones
get them by a stated rule (:func:`zones_for`), old CASE 1.0 fields are ignored, unknown fields
and missing required ones are warnings where the meaning is still clear.

>>> from icmaps.maps.codec import load_map
>>> package = to_case(load_map("pbis-tfi"))
>>> sorted(package)
['CFAssociations', 'CFDefinitions', 'CFDocument', 'CFItems', 'CFRubrics']
>>> level = package["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0]
>>> level["quality"], level["score"], level["extensions"][0]["icmaps"]["zone"]
('Fully in place', 2, 'ideal')
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from icmaps.errors import Problem, UsageError
from icmaps.maps._yaml import Document
from icmaps.maps.model import Component, Group, Map
from icmaps.maps.validation import check_document, dotted
from icmaps.maps.zones import line_between

__all__ = [
    "CASE_VERSION",
    "EXTENSION_KEY",
    "NAMESPACE",
    "UNDATED",
    "case_uuid",
    "check_case",
    "dumps_case",
    "is_case",
    "to_case",
    "zones_for",
]

CASE_VERSION = "1.1"
"""The CASE version written (``CFDocument.caseVersion``)."""

EXTENSION_KEY = "icmaps"
"""The key icmaps uses inside every CASE ``extensions`` object."""

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "icmaps:case")
"""Namespace of the UUID v5 identifiers (see :func:`case_uuid`)."""

UNDATED = "1970-01-01T00:00:00Z"
"""``lastChangeDateTime`` of a map without a ``date`` (CASE requires a timestamp)."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")

# icmaps fields that have a CASE field of their own; every other field of a map, group or
# component goes to the extensions, so a field added to the model later survives by itself
_MAP_IN_CASE = {"icmap", "version", "date", "title", "description", "license"}
_MAP_TREE = {"components", "groups"}
_GROUP_IN_CASE = {"id", "kind", "title", "description", "components", "groups"}
_COMPONENT_IN_CASE = {"id", "title", "description", "weight", "variations"}
_CRITERION_KEYS = {"critical", "scale"}  # rubric matters: on the criterion, not the item


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# CASE 1.1 fields of each class (the package binding), plus CASE 1.0 fields that 1.1 dropped:
# a 1.0 package loads without a word about them
_FIELDS = {
    "package": _names("CFDocument CFItems CFAssociations CFDefinitions CFRubrics"),
    "CFDocument": _names(
        "identifier uri frameworkType caseVersion creator title lastChangeDateTime "
        "officialSourceURL publisher description subject subjectURI language version "
        "adoptionStatus statusStartDate statusEndDate licenseURI notes CFPackageURI"
    ),
    "CFItem": _names(
        "identifier fullStatement alternativeLabel CFItemType uri humanCodingScheme "
        "listEnumeration abbreviatedStatement conceptKeywords conceptKeywordsURI notes subject "
        "subjectURI language educationLevel CFItemTypeURI licenseURI statusStartDate "
        "statusEndDate lastChangeDateTime CFDocumentURI"
    ),
    "CFAssociation": _names(
        "identifier associationType sequenceNumber uri originNodeURI destinationNodeURI "
        "CFAssociationGroupingURI lastChangeDateTime notes CFDocumentURI"
    ),
    "CFRubric": _names("identifier uri title description lastChangeDateTime CFRubricCriteria"),
    "CFRubricCriterion": _names(
        "identifier uri category description CFItemURI weight position rubricId "
        "lastChangeDateTime CFRubricCriterionLevels"
    ),
    "CFRubricCriterionLevel": _names(
        "identifier uri description quality score feedback position rubricCriterionId "
        "lastChangeDateTime"
    ),
}
_REQUIRED = {
    "CFDocument": ("identifier", "uri", "creator", "title", "lastChangeDateTime"),
    "CFItem": ("identifier", "fullStatement", "uri", "lastChangeDateTime"),
    "CFAssociation": ("identifier", "associationType", "uri", "originNodeURI"),
    "CFRubric": ("identifier", "uri", "lastChangeDateTime"),
    "CFRubricCriterion": ("identifier", "uri", "lastChangeDateTime"),
    "CFRubricCriterionLevel": ("identifier", "uri", "lastChangeDateTime"),
}


def case_uuid(m: Map, element: str) -> str:
    """The identifier of one element of a map's package: UUID v5 in :data:`NAMESPACE` of
    ``"<map id>/<version>/<element>"``, so the same map always gets the same identifiers.

    >>> from icmaps.maps.codec import load_map
    >>> m = load_map("learning-school")
    >>> case_uuid(m, "document") == case_uuid(m, "document") != case_uuid(m, "rubric")
    True
    """
    return str(uuid.uuid5(NAMESPACE, f"{m.id}/{m.version}/{element}"))


# -- writing --------------------------------------------------------------------------------


def _is_url(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


def _whole(x: Any) -> Any:
    """3.0 -> 3 everywhere: numbers as a person writes them (and as the map file has them)."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, dict):
        return {k: _whole(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_whole(v) for v in x]
    return x


def _plain(item: Map | Group | Component) -> dict[str, Any]:
    data: dict[str, Any] = _whole(
        item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    )
    return data


def _ext(data: dict[str, Any]) -> dict[str, Any]:
    return {"extensions": {EXTENSION_KEY: data}} if data else {}


def to_case(m: Map) -> dict[str, Any]:
    """The map as a CASE 1.1 ``CFPackage`` (plain data, ready for ``json.dumps``).

    >>> from icmaps.maps.codec import load_map
    >>> doc = to_case(load_map("learning-school"))["CFDocument"]
    >>> doc["title"], doc["caseVersion"], doc["extensions"]["icmaps"]["id"]
    ('Learning school', '1.1', 'learning-school')
    """
    when = f"{m.date.isoformat()}T00:00:00Z" if m.date else UNDATED

    def ident(element: str) -> dict[str, str]:
        u = case_uuid(m, element)
        return {"identifier": u, "uri": f"urn:uuid:{u}"}

    def link(element: str, title: str) -> dict[str, str]:
        return {"title": title, **ident(element)}

    plain = _plain(m)
    doc_ext: dict[str, Any] = {"icmap": m.icmap, "id": m.id}
    if m.date is None:
        doc_ext["date"] = None  # 'undated' (the timestamp below is a placeholder)
    doc_ext.update({k: v for k, v in plain.items() if k not in _MAP_IN_CASE | _MAP_TREE})
    source = m.source
    creator = (source.publisher or ", ".join(source.authors)) if source else ""
    document: dict[str, Any] = {
        **ident("document"),
        "creator": creator or "icmaps",
        "title": m.title,
        "lastChangeDateTime": when,
    }
    if source and source.url and _is_url(source.url):  # CASE wants a URI; the text stays in
        document["officialSourceURL"] = source.url  # the extensions' source either way
    if m.description:
        document["description"] = m.description
    document["version"] = m.version
    document["caseVersion"] = CASE_VERSION
    package: dict[str, Any] = {"CFDocument": document}
    if m.license is not None:
        spdx = _SPDX.fullmatch(m.license)
        lic = ident("license")
        if spdx:
            lic["uri"] = f"https://spdx.org/licenses/{m.license}.html"
        document["licenseURI"] = {"title": m.license, **lic}
        package["CFDefinitions"] = {
            "CFLicenses": [
                {**lic, "title": m.license, "licenseText": m.license, "lastChangeDateTime": when}
            ]
        }
    document.update(_ext(doc_ext))

    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []
    rubric_id = ident("rubric")

    def child_of(node_id: str, title: str, parent: dict[str, str], seq: int) -> None:
        associations.append(
            {
                **ident(f"association:{node_id}"),
                "associationType": "isChildOf",
                "sequenceNumber": seq,
                "originNodeURI": link(f"item:{node_id}", title),
                "destinationNodeURI": parent,
                "lastChangeDateTime": when,
            }
        )

    def component(c: Component, parent: dict[str, str], seq: int, category: str | None) -> None:
        data = _plain(c)
        item = {
            **ident(f"item:{c.id}"),
            "fullStatement": c.title,
            "CFItemType": "Component",
            "humanCodingScheme": c.id,
            "listEnumeration": str(seq),
            "lastChangeDateTime": when,
        }
        if c.description:
            item["notes"] = c.description
        rest = {k: v for k, v in data.items() if k not in _COMPONENT_IN_CASE | _CRITERION_KEYS}
        item.update(_ext({"element": "component", **rest}))
        items.append(item)
        child_of(c.id, c.title, parent, seq)
        cells = m.written_order(c.id)
        crit_ident = ident(f"criterion:{c.id}")
        levels = []
        for k, cell in enumerate(cells):
            level = m.scale_of(c.id).level(cell.code)
            entry: dict[str, Any] = {
                **ident(f"level:{c.id}:{k}"),
                "description": cell.text,
                "quality": cell.label,
            }
            if cell.score is not None:
                entry["score"] = _whole(cell.score)
            if level.description:
                entry["feedback"] = level.description
            entry["position"] = k + 1
            entry["rubricCriterionId"] = crit_ident["identifier"]
            entry["lastChangeDateTime"] = when
            marks: dict[str, Any] = {"code": cell.code, "zone": cell.zone}
            line = line_between(cell.zone, cells[k + 1].zone) if k + 1 < len(cells) else None
            if line:
                marks["lineAfter"] = line
            # the CASE 1.1 binding makes a level's extensions a list of objects
            entry["extensions"] = [{EXTENSION_KEY: marks}]
            levels.append(entry)
        criterion: dict[str, Any] = {**crit_ident}
        if category is not None:
            criterion["category"] = category
        criterion.update(
            {
                "description": c.title,
                "CFItemURI": link(f"item:{c.id}", c.title),
                "weight": _whole(c.weight),
                "position": len(criteria) + 1,
                "rubricId": rubric_id["identifier"],
                "lastChangeDateTime": when,
                "CFRubricCriterionLevels": levels,
            }
        )
        criterion.update(_ext({k: v for k, v in data.items() if k in _CRITERION_KEYS}))
        criteria.append(criterion)

    def level(cs: tuple[Component, ...], gs: tuple[Group, ...], parent: dict[str, str]) -> None:
        seq = 0
        category = parent["title"] if parent["identifier"] != document["identifier"] else None
        for c in cs:
            seq += 1
            component(c, parent, seq, category)
        for g in gs:
            seq += 1
            data = _plain(g)
            item = {
                **ident(f"item:{g.id}"),
                "fullStatement": g.title,
                "CFItemType": g.kind,
                "humanCodingScheme": g.id,
                "listEnumeration": str(seq),
                "lastChangeDateTime": when,
            }
            if g.description:
                item["notes"] = g.description
            rest = {k: v for k, v in data.items() if k not in _GROUP_IN_CASE}
            item.update(_ext({"element": "group", **rest}))
            items.append(item)
            child_of(g.id, g.title, parent, seq)
            level(g.components, g.groups, link(f"item:{g.id}", g.title))

    level(m.components, m.groups, link("document", m.title))
    package["CFItems"] = items
    package["CFAssociations"] = associations
    package["CFRubrics"] = [
        {
            **rubric_id,
            "title": m.title,
            "lastChangeDateTime": when,
            "CFRubricCriteria": criteria,
        }
    ]
    order = ["CFDocument", "CFItems", "CFAssociations", "CFDefinitions", "CFRubrics"]
    return {k: package[k] for k in order if k in package}


def dumps_case(m: Map) -> str:
    """The map as CASE 1.1 JSON text: 2-space indent, UTF-8 as is, final newline; the same map
    always gives the same bytes.

    >>> from icmaps.maps.codec import load_map
    >>> dumps_case(load_map("pbis-tfi")) == dumps_case(load_map("pbis-tfi"))
    True
    """
    return json.dumps(to_case(m), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- reading --------------------------------------------------------------------------------


def is_case(data: object) -> bool:
    """Whether parsed JSON is a CASE package (``CFDocument`` or ``CFRubrics`` at the top) or a
    bare ``CFRubric`` (``CFRubricCriteria``).

    >>> is_case({"CFDocument": {}}), is_case({"id": "x"})
    (True, False)
    """
    return isinstance(data, dict) and bool(
        {"CFDocument", "CFRubrics", "CFRubricCriteria"} & set(data)
    )


def zones_for(n: int, ideal: int | None = None, acceptable: int | None = None) -> list[str]:
    """Zones of ``n`` levels, desired first, when a rubric does not say: the ``ideal`` most
    desired levels are ideal (default 1), the next ``acceptable`` are acceptable (default:
    half of the remaining levels, rounded down), the rest unacceptable.

    >>> zones_for(4)
    ['ideal', 'acceptable', 'unacceptable', 'unacceptable']
    >>> zones_for(6, ideal=2)
    ['ideal', 'ideal', 'acceptable', 'acceptable', 'unacceptable', 'unacceptable']
    """
    i = 1 if ideal is None else ideal
    a = (n - i) // 2 if acceptable is None else acceptable
    return ["ideal" if k < i else "acceptable" if k < i + a else "unacceptable" for k in range(n)]


@dataclass
class _Reader:
    """Checks CASE objects as it reads them and collects every problem, located."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def error(self, pointer: str, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(pointer, _say(pointer, message), key=key))

    def warn(self, pointer: str, message: str, *, key: bool = False) -> None:
        problem = self.doc.problem(pointer, _say(pointer, message), key=key, severity="warning")
        self.problems.append(problem)

    def obj(self, value: Any, pointer: str, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(pointer, f"expected a {what} object, got {_kind(value)}")
        return None

    def objects(self, parent: dict[str, Any], key: str, pointer: str, what: str) -> list[Any]:
        """The objects of a list field, as (pointer, object); a missing list is empty."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{pointer}/{key}", f"expected a list of {what} objects, got {_kind(value)}")
            return []
        out = []
        for i, v in enumerate(value):
            o = self.obj(v, f"{pointer}/{key}/{i}", what)
            if o is not None:
                out.append((f"{pointer}/{key}/{i}", o))
        return out

    def text(self, o: dict[str, Any], key: str, pointer: str) -> str | None:
        value = o.get(key)
        if value is None or isinstance(value, str):
            return value
        self.error(f"{pointer}/{_esc(key)}", f"expected text, got {_kind(value)}")
        return None

    def number(self, o: dict[str, Any], key: str, pointer: str, *, whole: bool = False) -> Any:
        value = o.get(key)
        ok = isinstance(value, int) if whole else isinstance(value, (int, float))
        if value is None or (ok and not isinstance(value, bool)):
            return value
        want = "a whole number" if whole else "a number"
        self.error(f"{pointer}/{_esc(key)}", f"expected {want}, got {_kind(value)}")
        return None

    def fields(self, o: dict[str, Any], pointer: str, cls: str) -> None:
        """Warn about fields CASE does not define and required fields that are missing."""
        known = _FIELDS[cls] | {"extensions"}
        for key in o:
            if key not in known:
                message = f"unknown {cls} field {key!r} (ignored)"
                self.warn(f"{pointer}/{_esc(key)}", message, key=True)
        for key in _REQUIRED.get(cls, ()):
            if key not in o:
                self.warn(pointer, f"{cls} has no {key!r} (CASE 1.1 requires it)")

    def extension(self, o: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
        """The icmaps extension of an object (``{}`` when absent), and its pointer."""
        ext = o.get("extensions")
        if isinstance(ext, list):  # CFRubricCriterionLevel: a list of extension objects
            for i, e in enumerate(ext):
                if isinstance(e, dict) and EXTENSION_KEY in e:
                    return self._own(e[EXTENSION_KEY], f"{pointer}/extensions/{i}/{EXTENSION_KEY}")
            return {}, ""
        if isinstance(ext, dict) and EXTENSION_KEY in ext:
            return self._own(ext[EXTENSION_KEY], f"{pointer}/extensions/{EXTENSION_KEY}")
        if ext is not None and not isinstance(ext, (dict, list)):
            self.warn(f"{pointer}/extensions", f"expected an object, got {_kind(ext)} (ignored)")
        return {}, ""

    def _own(self, value: Any, pointer: str) -> tuple[dict[str, Any], str]:
        if isinstance(value, dict):
            return value, pointer
        self.error(pointer, f"expected an object, got {_kind(value)}")
        return {}, ""


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _say(pointer: str, message: str) -> str:
    where = dotted(pointer)
    return f"{where}: {message}" if where else message


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        r = repr(value)
        return f"text {r if len(r) <= 40 else r[:36] + '...' + r[0]}"
    return "a list" if isinstance(value, list) else "an object"


def _key(value: Any) -> str | None:
    """Identifiers compare without case (UUIDs are written both ways)."""
    return value.lower() if isinstance(value, str) else None


@dataclass
class _Node:
    """A CFItem the map uses: a group or a component."""

    pointer: str
    item: dict[str, Any]
    ext: dict[str, Any]
    ext_ptr: str
    children: list[tuple[float, int, str]] = field(default_factory=list)


@dataclass
class _Built:
    """The map document being built, with where each part came from in the CASE file."""

    data: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    shapes: set[str] = field(default_factory=set)

    def at(self, map_pointer: str, case_pointer: str) -> None:
        """``map_pointer`` came from ``case_pointer``."""
        if case_pointer or not map_pointer:
            self.origin[map_pointer] = case_pointer

    def shaped(self, map_pointer: str, case_pointer: str) -> None:
        """``map_pointer`` holds a copy of ``case_pointer`` (an extension in the map's own
        shape): what is below one is below the other."""
        self.at(map_pointer, case_pointer)
        self.shapes.add(map_pointer)


class _Ids:
    """Component and group ids for a package from another tool: ``humanCodingScheme`` when it
    is a valid, unused id, else ``c1``, ``c2`` ... / ``g1`` ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: Any, prefix: str) -> str:
        valid = isinstance(wanted, str) and _ID.fullmatch(wanted) and len(wanted) <= 200
        if valid and wanted not in self.used:
            self.used.add(wanted)
            return str(wanted)
        n = 1
        while f"{prefix}{n}" in self.used:
            n += 1
        self.used.add(f"{prefix}{n}")
        return f"{prefix}{n}"


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60].strip("-")
    return s or "case-rubric"


def check_case(
    doc: Document,
    *,
    rubric: str | None = None,
    ideal: int | None = None,
    acceptable: int | None = None,
) -> tuple[Map | None, list[Problem]]:
    """Build a map from a parsed CASE package (or bare ``CFRubric``) and validate it.

    Returns the map (None when there are errors) and every problem, each located in the CASE
    file. ``rubric`` picks one of several ``CFRubrics`` (identifier or title); ``ideal`` and
    ``acceptable`` set the zones by :func:`zones_for`, for every level (by default only levels
    that carry no zone get them).

    >>> from icmaps.maps._yaml import parse
    >>> from icmaps.maps.codec import load_map
    >>> m = load_map("ceedar-syllabus")
    >>> again, problems = check_case(parse(dumps_case(m), json_only=True))
    >>> again == m, problems
    (True, [])
    """
    for name, value, least in (("ideal", ideal, 1), ("acceptable", acceptable, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise UsageError(f"{name} must be a whole number, not {value!r}")
        if value is not None and value < least:
            raise UsageError(f"{name} must be at least {least}, got {value}")
    r = _Reader(doc)
    built = _read(r, rubric, ideal, acceptable)
    if built is None or any(p.severity == "error" for p in r.problems):
        return None, list(dict.fromkeys(r.problems))
    m, problems = check_document(_as_map_document(doc, built))
    # an object read twice (as an item and as a group marker) must not say things twice
    return m, list(dict.fromkeys(r.problems + [_relocate(p, doc, built) for p in problems]))


def _unique_identifiers(r: _Reader, data: dict[str, Any]) -> None:
    """Every object's identifier is its own in the package (CASE requires it; a repeated one
    would make links point at whichever object came first): repeats are errors, at the later
    object. Objects of the wrong kind are reported where they are read, not here."""

    def listed(parent: Any, key: str, pointer: str) -> list[tuple[str, Any]]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, list):
            return []
        return [(f"{pointer}/{key}/{i}", v) for i, v in enumerate(value) if isinstance(v, dict)]

    found: list[tuple[str, Any]] = []
    if isinstance(data.get("CFDocument"), dict):
        found.append(("/CFDocument", data["CFDocument"]))
    found += listed(data, "CFItems", "") + listed(data, "CFAssociations", "")
    rubrics = listed(data, "CFRubrics", "")
    if "CFRubricCriteria" in data and "CFRubrics" not in data:
        rubrics.append(("", data))  # a bare rubric
    for rptr, rub in rubrics:
        found.append((rptr, rub))
        for cptr, crit in listed(rub, "CFRubricCriteria", rptr):
            found.append((cptr, crit))
            found += listed(crit, "CFRubricCriterionLevels", cptr)
    first: dict[str, str] = {}
    for ptr, obj in found:
        if "identifier" in obj and not isinstance(obj["identifier"], str):
            r.error(f"{ptr}/identifier", f"expected text, got {_kind(obj['identifier'])}")
            continue
        ident = _key(obj.get("identifier"))
        if ident is None:
            continue
        if ident in first:
            r.error(
                f"{ptr}/identifier",
                f"identifier {obj['identifier']!r} is also that of "
                f"{dotted(first[ident]) or 'the rubric'}: every object of a CASE package "
                "needs an identifier of its own",
            )
        else:
            first[ident] = ptr


def _read(
    r: _Reader, wanted: str | None, ideal: int | None, acceptable: int | None
) -> _Built | None:
    data = r.doc.data
    if not isinstance(data, dict):
        r.error("", f"expected a CASE package object, got {_kind(data)}")
        return None
    _unique_identifiers(r, data)
    bare = "CFRubricCriteria" in data and not {"CFDocument", "CFRubrics"} & set(data)
    if bare:
        rubrics = [("", data)]
        document: dict[str, Any] = {}
        items: dict[str, tuple[str, dict[str, Any]]] = {}
        assocs: list[tuple[str, dict[str, Any]]] = []
    else:
        r.fields(data, "", "package")
        found = r.obj(data.get("CFDocument", {}), "/CFDocument", "CFDocument")
        document = found or {}
        if "CFDocument" not in data:
            r.warn("", "the package has no CFDocument; the map's title comes from its rubric")
        elif found is not None:
            r.fields(document, "/CFDocument", "CFDocument")
        rubrics = r.objects(data, "CFRubrics", "", "CFRubric")
        items = {}
        for ptr, item in r.objects(data, "CFItems", "", "CFItem"):
            for k in (_key(item.get("identifier")), _key(item.get("uri"))):
                if k is not None:
                    items.setdefault(k, (ptr, item))
        assocs = r.objects(data, "CFAssociations", "", "CFAssociation")
    if not rubrics:
        if not any(p.severity == "error" for p in r.problems):
            r.error(
                "/CFRubrics" if "CFRubrics" in data else "",
                "the package has no rubric (CFRubrics is empty or missing): icmaps builds a "
                "map from a CFRubric, with a criterion per component and a level per variation",
            )
        return None
    chosen = _choose(r, rubrics, wanted)
    if chosen is None:
        return None
    rptr, rub = chosen
    if not bare or "identifier" in rub:
        r.fields(rub, rptr, "CFRubric")
    criteria = r.objects(rub, "CFRubricCriteria", rptr, "CFRubricCriterion")
    if not criteria:
        r.error(rptr, "the rubric has no criteria (CFRubricCriteria): nothing to rate")
        return None
    doc_ext, doc_ext_ptr = r.extension(document, "/CFDocument")
    own = doc_ext.get("icmap") == 1
    return _build(
        r,
        document=document,
        rub=rub,
        rptr=rptr,
        criteria=criteria,
        items=items,
        assocs=assocs,
        doc_ext=doc_ext,
        doc_ext_ptr=doc_ext_ptr,
        own=own,
        ideal=ideal,
        acceptable=acceptable,
    )


def _choose(
    r: _Reader, rubrics: list[tuple[str, dict[str, Any]]], wanted: str | None
) -> tuple[str, dict[str, Any]] | None:
    def name(rub: dict[str, Any]) -> str:
        title = rub.get("title")
        t = f" ({title})" if isinstance(title, str) and title else ""
        return f"{rub.get('identifier')}{t}"

    if wanted is None:
        if len(rubrics) == 1:
            return rubrics[0]
        listed = "; ".join(name(rub) for _, rub in rubrics)
        r.error(
            "/CFRubrics",
            f"the package has {len(rubrics)} rubrics; choose one with rubric= (--rubric ID): "
            f"{listed}",
        )
        return None
    by_id = [x for x in rubrics if _key(x[1].get("identifier")) == wanted.lower()]
    by_title = [x for x in rubrics if x[1].get("title") == wanted]
    found = by_id or by_title
    if len(found) == 1:
        return found[0]
    listed = "; ".join(name(rub) for _, rub in rubrics)
    if found:
        r.error(
            "/CFRubrics",
            f"{len(found)} rubrics are titled {wanted!r}; give an identifier: {listed}",
        )
    else:
        r.error("/CFRubrics", f"no rubric {wanted!r} in the package (rubrics: {listed})")
    return None


@dataclass
class _Criterion:
    pointer: str
    crit: dict[str, Any]
    ext: dict[str, Any]
    ext_ptr: str
    levels: list[tuple[str, dict[str, Any]]]
    node: str | None  # pointer of its CFItem in the package, if it resolves


def _sorted(objs: list[tuple[str, dict[str, Any]]], r: _Reader) -> list[tuple[str, Any]]:
    """Objects in ``position`` order (those without a position after, in file order)."""

    def pos(x: tuple[int, tuple[str, dict[str, Any]]]) -> tuple[float, int]:
        value = r.number(x[1][1], "position", x[1][0], whole=True)
        return (float(value) if value is not None else float("inf"), x[0])

    return [x for _, x in sorted(enumerate(objs), key=pos)]


def _link(r: _Reader, o: dict[str, Any], key: str, pointer: str) -> list[str]:
    """The keys (identifier, uri) a LinkURI object points with."""
    value = o.get(key)
    if value is None:
        return []
    link = r.obj(value, f"{pointer}/{key}", "LinkURI")
    if link is None:
        return []
    for name in ("identifier", "uri"):  # a LinkURI's keys are text, or the link is broken
        if name in link and not isinstance(link[name], str):
            r.error(f"{pointer}/{key}/{name}", f"expected text, got {_kind(link[name])}")
    return [k for k in (_key(link.get("identifier")), _key(link.get("uri"))) if k is not None]


def _fields_of(model: type[Map | Group | Component]) -> frozenset[str]:
    return frozenset(f.alias or name for name, f in model.model_fields.items())


# what each extension object may hold: the model's fields CASE has no place for
_DOC_EXT = _fields_of(Map) - _MAP_IN_CASE - _MAP_TREE
_GROUP_EXT = _fields_of(Group) - _GROUP_IN_CASE | {"element"}
_COMPONENT_EXT = _fields_of(Component) - _COMPONENT_IN_CASE - _CRITERION_KEYS | {"element"}


def _copy(
    r: _Reader,
    b: _Built,
    *,
    into: dict[str, Any],
    at: str,
    ext: dict[str, Any],
    ext_ptr: str,
    allowed: frozenset[str] | set[str],
) -> None:
    """Copy an icmaps extension into the map being built, at map pointer ``at`` (``element``
    only marks what an item is); a key the extension cannot hold is an error there."""
    for key, value in ext.items():
        if key == "element":
            continue
        if key in allowed or key.startswith("x-"):
            into[key] = value
            b.shaped(f"{at}/{_esc(key)}", f"{ext_ptr}/{_esc(key)}")
            continue
        known = ", ".join(sorted(allowed - {"element"}))
        r.error(
            f"{ext_ptr}/{_esc(key)}",
            f"unknown field {key!r} (allowed here: {known}; keys of your own start with x-)",
            key=True,
        )


def _build(
    r: _Reader,
    *,
    document: dict[str, Any],
    rub: dict[str, Any],
    rptr: str,
    criteria: list[tuple[str, dict[str, Any]]],
    items: dict[str, tuple[str, dict[str, Any]]],
    assocs: list[tuple[str, dict[str, Any]]],
    doc_ext: dict[str, Any],
    doc_ext_ptr: str,
    own: bool,
    ideal: int | None,
    acceptable: int | None,
) -> _Built | None:
    b = _Built()
    d = b.data
    d["icmap"] = 1
    b.at("", "")
    doc_keys = {
        _key(document.get(k)) for k in ("identifier", "uri") if _key(document.get(k)) is not None
    }

    # the criteria, in position order, with their levels in position order
    crits: list[_Criterion] = []
    seen_items: dict[str, str] = {}
    for cptr, crit in _sorted(criteria, r):
        r.fields(crit, cptr, "CFRubricCriterion")
        ext, ext_ptr = r.extension(crit, cptr)
        levels = r.objects(crit, "CFRubricCriterionLevels", cptr, "CFRubricCriterionLevel")
        if not levels:
            r.error(cptr, "the criterion has no levels (CFRubricCriterionLevels)")
            continue
        for lptr, lev in levels:
            r.fields(lev, lptr, "CFRubricCriterionLevel")
        node = None
        keys = _link(r, crit, "CFItemURI", cptr)
        for k in keys:
            if k in items:
                node = items[k][0]
                break
        if keys and node is None:
            r.warn(
                f"{cptr}/CFItemURI",
                "the CFItem is not in this package; the criterion's description is its title",
            )
        if node is not None:
            if node in seen_items:
                r.error(
                    f"{cptr}/CFItemURI",
                    f"{dotted(seen_items[node])} points at the same CFItem; each component "
                    "needs its own",
                )
                continue
            seen_items[node] = cptr
        crits.append(_Criterion(cptr, crit, ext, ext_ptr, _sorted(levels, r), node))

    # the map's own fields
    title = r.text(document, "title", "/CFDocument")
    if title is None:
        title = r.text(rub, "title", rptr) or "Rubric"
        b.at("/title", f"{rptr}/title")
    else:
        b.at("/title", "/CFDocument/title")
    if own:
        rest = {}
        for key, value in doc_ext.items():
            if key in ("icmap", "date"):  # the format version; 'undated' (read below)
                continue
            if key in _MAP_IN_CASE | _MAP_TREE:
                r.warn(f"{doc_ext_ptr}/{_esc(key)}", f"{key!r} has a CASE field (ignored)")
                continue
            rest[key] = value
        _copy(r, b, into=d, at="", ext=rest, ext_ptr=doc_ext_ptr, allowed=_DOC_EXT)
    if "id" not in d:
        d["id"] = _slug(title)
        b.at("/id", "/CFDocument/title")
        if own:
            r.warn(doc_ext_ptr, f"no 'id': the map is called {d['id']!r} after its title")
    version = r.text(document, "version", "/CFDocument")
    d["version"] = "1" if version is None else version
    b.at("/version", "/CFDocument/version")
    # a bare rubric's own timestamp stands in for the document's
    stamp_at = rptr if "CFDocument" not in r.doc.data else "/CFDocument"
    stamp_ptr = f"{stamp_at}/lastChangeDateTime"
    stamp = r.text(rub if stamp_at == rptr else document, "lastChangeDateTime", stamp_at)
    if not (own and "date" in doc_ext and doc_ext["date"] is None) and stamp:
        found = _DATE.match(stamp)
        if found:
            d["date"] = found.group(1)
            b.at("/date", stamp_ptr)
        else:
            r.warn(stamp_ptr, f"not a date-time: {stamp!r} (ignored)")
    d["title"] = title
    described = rptr if stamp_at == rptr else "/CFDocument"
    description = r.text(rub if stamp_at == rptr else document, "description", described)
    if description:
        d["description"] = description
        b.at("/description", f"{described}/description")
    if not own:
        creator = r.text(document, "publisher", "/CFDocument") or r.text(
            document, "creator", "/CFDocument"
        )
        url = r.text(document, "officialSourceURL", "/CFDocument")
        if creator or url:
            d["source"] = {"title": title}
            if creator:
                d["source"]["publisher"] = creator
            if url:
                d["source"]["url"] = url
            b.at("/source", "/CFDocument")
    lic = document.get("licenseURI")
    if isinstance(lic, dict) and isinstance(lic.get("title"), str):
        d["license"] = lic["title"]
        b.at("/license", "/CFDocument/licenseURI/title")

    # the tree: isChildOf associations between the items the rubric uses
    parents: dict[str, list[tuple[str | None, float, int, str]]] = {}
    for i, (aptr, a) in enumerate(assocs):
        if a.get("associationType") != "isChildOf":
            continue
        origin = next((items[k][0] for k in _link(r, a, "originNodeURI", aptr) if k in items), None)
        if origin is None:
            continue
        dest_keys = _link(r, a, "destinationNodeURI", aptr)
        dest = next((items[k][0] for k in dest_keys if k in items), None)
        if dest is None and not doc_keys & set(dest_keys) and dest_keys:
            dest = "?"  # outside the package
        seq = r.number(a, "sequenceNumber", aptr, whole=True)
        parents.setdefault(origin, []).append(
            (dest, float(seq) if seq is not None else float("inf"), i, aptr)
        )

    comp_nodes = {c.node for c in crits if c.node is not None}
    nodes: dict[str, _Node] = {}

    def node_of(ptr: str) -> _Node:
        if ptr not in nodes:
            item = r.doc.data
            for token in ptr.split("/")[1:]:
                item = item[int(token)] if isinstance(item, list) else item[token]
            ext, ext_ptr = r.extension(item, ptr)
            r.fields(item, ptr, "CFItem")
            nodes[ptr] = _Node(ptr, item, ext, ext_ptr)
        return nodes[ptr]

    top: list[tuple[float, int, str]] = []
    placed: set[str] = set()

    def place(ptr: str) -> None:
        """Put an item under its parent, and its parent under its own, up to the top."""
        chain: list[str] = []
        while ptr not in placed:
            placed.add(ptr)
            chain.append(ptr)
            ups = parents.get(ptr, [])
            if len(ups) > 1:
                r.warn(ups[1][3], "the item is a child of several items; icmaps keeps the first")
            if not ups or ups[0][0] in (None, "?"):
                if ups and ups[0][0] == "?":
                    r.warn(
                        f"{ups[0][3]}/destinationNodeURI",
                        "the parent is not in this package; the item is placed at the top",
                    )
                top.append((ups[0][1] if ups else float("inf"), ups[0][2] if ups else -1, ptr))
                return
            parent, seq, i, aptr = ups[0]
            assert parent is not None
            if parent in chain:
                r.error(aptr, "isChildOf associations form a cycle")
                return
            if parent in comp_nodes:
                r.error(
                    aptr,
                    "the item is a child of a rubric criterion's item; components cannot hold "
                    "groups or components",
                )
                return
            node_of(parent).children.append((seq, i, ptr))
            ptr = parent

    for c in crits:
        if c.node is not None:
            node_of(c.node)
            place(c.node)
    if own:  # groups without components are kept too
        for ptr, item in {v[0]: v[1] for v in items.values()}.items():
            ext, _ = (
                r.extension(item, ptr) if isinstance(item.get("extensions"), dict) else ({}, "")
            )
            if ext.get("element") == "group" and ptr not in placed:
                node_of(ptr)
                place(ptr)

    ids = _Ids()
    if own:  # the package's own ids first: a criterion added elsewhere gets another one
        for known in nodes.values():
            if known.ext and isinstance(known.item.get("humanCodingScheme"), str):
                ids.used.add(known.item["humanCodingScheme"])
    by_node = {c.node: c for c in crits if c.node is not None}
    scales = _Scales(
        r,
        b,
        own=own,
        doc_ext=doc_ext,
        doc_ext_ptr=doc_ext_ptr,
        ideal=ideal,
        acceptable=acceptable,
    )

    def component(mp: str, c: _Criterion) -> dict[str, Any]:
        out: dict[str, Any] = {}
        b.at(mp, c.node or c.pointer)
        item = nodes[c.node].item if c.node else {}
        iptr = c.node or ""
        hcs = item.get("humanCodingScheme")
        if own and c.node is not None and nodes[c.node].ext:
            out["id"] = hcs
        else:
            out["id"] = ids.take(hcs, "c")
        b.at(f"{mp}/id", f"{iptr}/humanCodingScheme" if c.node else c.pointer)
        name = r.text(item, "fullStatement", iptr) if c.node else None
        if name is None:
            name = r.text(c.crit, "description", c.pointer) or ""
            b.at(f"{mp}/title", f"{c.pointer}/description")
        else:
            b.at(f"{mp}/title", f"{iptr}/fullStatement")
        out["title"] = name
        notes = r.text(item, "notes", iptr) if c.node else None
        if notes:
            out["description"] = notes
            b.at(f"{mp}/description", f"{iptr}/notes")
        if c.node is not None:
            node = nodes[c.node]
            _copy(r, b, into=out, at=mp, ext=node.ext, ext_ptr=node.ext_ptr, allowed=_COMPONENT_EXT)
        weight = r.number(c.crit, "weight", c.pointer)
        if weight is not None:
            out["weight"] = weight
            b.at(f"{mp}/weight", f"{c.pointer}/weight")
        _copy(r, b, into=out, at=mp, ext=c.ext, ext_ptr=c.ext_ptr, allowed=_CRITERION_KEYS)
        texts = []
        for k, (lptr, lev) in enumerate(c.levels):
            texts.append(r.text(lev, "description", lptr) or "")
            b.at(f"{mp}/variations/{k}", f"{lptr}/description")
        out["variations"] = texts
        b.at(f"{mp}/variations", f"{c.pointer}/CFRubricCriterionLevels")
        scales.attach(mp, out, c)
        return out

    def group(mp: str, node: _Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        b.at(mp, node.pointer)
        hcs = node.item.get("humanCodingScheme")
        out["id"] = hcs if own and node.ext else ids.take(hcs, "g")
        b.at(f"{mp}/id", f"{node.pointer}/humanCodingScheme")
        kind = r.text(node.item, "CFItemType", node.pointer)
        if kind:
            out["kind"] = kind
            b.at(f"{mp}/kind", f"{node.pointer}/CFItemType")
        out["title"] = r.text(node.item, "fullStatement", node.pointer) or ""
        b.at(f"{mp}/title", f"{node.pointer}/fullStatement")
        notes = r.text(node.item, "notes", node.pointer)
        if notes:
            out["description"] = notes
            b.at(f"{mp}/description", f"{node.pointer}/notes")
        _copy(r, b, into=out, at=mp, ext=node.ext, ext_ptr=node.ext_ptr, allowed=_GROUP_EXT)
        fill(mp, out, [p for _, _, p in sorted(node.children)])
        return out

    def fill(mp: str, out: dict[str, Any], children: list[str]) -> None:
        cs = [by_node[p] for p in children if p in by_node]
        gs = [nodes[p] for p in children if p not in by_node]
        if cs:
            out["components"] = [component(f"{mp}/components/{i}", c) for i, c in enumerate(cs)]
        if gs:
            out["groups"] = [group(f"{mp}/groups/{i}", g) for i, g in enumerate(gs)]

    def by_category(loose: list[_Criterion]) -> None:
        named: dict[str, list[_Criterion]] = {}
        plain: list[_Criterion] = []
        for c in loose:
            category = r.text(c.crit, "category", c.pointer)
            if category:
                named.setdefault(category, []).append(c)
            else:
                plain.append(c)
        if plain:
            d["components"] = [component(f"/components/{i}", c) for i, c in enumerate(plain)]
        groups = []
        for gi, (category, members) in enumerate(named.items()):
            mp = f"/groups/{gi}"
            b.at(mp, f"{members[0].pointer}/category")
            gid = ids.take(_slug(category), "g")
            members_out = [component(f"{mp}/components/{i}", c) for i, c in enumerate(members)]
            groups.append(
                {"id": gid, "kind": "category", "title": category, "components": members_out}
            )
        if groups:
            d["groups"] = groups

    loose = [c for c in crits if c.node is None]
    if by_node or not loose:
        fill("", d, [p for _, _, p in sorted(top)])
        if loose:  # criteria whose item is elsewhere: top-level components, after the others
            first = len(d.get("components", []))
            d.setdefault("components", [])
            d["components"] += [
                component(f"/components/{first + i}", c) for i, c in enumerate(loose)
            ]
    else:  # a rubric alone: its categories become groups
        by_category(loose)
    scales.finish(d)
    return b


class _Scales:
    """The scales of the map being built: the package's own (in the document's extensions),
    or one made from each criterion's levels, the most common one becoming the map's."""

    def __init__(
        self,
        r: _Reader,
        b: _Built,
        *,
        own: bool,
        doc_ext: dict[str, Any],
        doc_ext_ptr: str,
        ideal: int | None,
        acceptable: int | None,
    ) -> None:
        self.r, self.b = r, b
        self.ideal, self.acceptable = ideal, acceptable
        self.rezone = ideal is not None or acceptable is not None
        self.own = own and isinstance(doc_ext.get("scale"), dict)
        self.doc_ext_ptr = doc_ext_ptr
        self.made: list[tuple[str, dict[str, Any], dict[str, Any], _Criterion]] = []

    def _zones(self, n: int, pointer: str) -> list[str] | None:
        need = (self.ideal or 1) + (self.acceptable or 0)
        if self.rezone and need > n:
            self.r.error(
                pointer,
                f"ideal={self.ideal or 1} and acceptable={self.acceptable or 0} need at least "
                f"{need} levels; there are {n}",
            )
            return None
        return zones_for(n, self.ideal, self.acceptable)

    def _apply(self, scale: Any, pointer: str) -> Any:
        """A copy of a scale (as written in an extension) with the zones the user asked for."""
        if not self.rezone or not isinstance(scale, dict):
            return scale
        levels = scale.get("levels")
        if not isinstance(levels, list) or not all(isinstance(lv, dict) for lv in levels):
            return scale  # the map's validation says what is wrong
        zones = self._zones(len(levels), f"{pointer}/levels")
        if zones is None:
            return scale
        if scale.get("direction") == "desired-last":
            zones = zones[::-1]
        return {**scale, "levels": [{**lv, "zone": z} for lv, z in zip(levels, zones, strict=True)]}

    def attach(self, mp: str, out: dict[str, Any], c: _Criterion) -> None:
        """Give a component its scale: its own extension's, the map's, or one from its levels."""
        if self.own:
            if "scale" in out:
                out["scale"] = self._apply(out["scale"], f"{c.ext_ptr}/scale")
            self._compare(c, out.get("scale", self.b.data.get("scale")))
            return
        made = self._from_levels(c)
        if made is not None:
            self.made.append((mp, out, made, c))

    def _compare(self, c: _Criterion, scale: Any) -> None:
        """A package of icmaps' own keeps its scales in the extensions; levels edited in
        another tool must still fit them: a reordered level is an error, a changed quality or
        score a warning (the scale's is kept)."""
        if isinstance(scale, str):
            named = self.b.data.get("scales")
            scale = named.get(scale) if isinstance(named, dict) else None
        levels = scale.get("levels") if isinstance(scale, dict) else None
        if not isinstance(levels, list) or len(levels) != len(c.levels):
            return  # the map's validation says what is wrong
        r = self.r
        for (lptr, lev), want in zip(c.levels, levels, strict=True):
            if not isinstance(want, dict):
                return
            code = r.extension(lev, lptr)[0].get("code")
            if code is not None and code != want.get("code"):
                r.error(
                    lptr,
                    f"level {code!r} is where the map's scale has {want.get('code')!r} (were "
                    "the levels reordered?)",
                )
                continue
            quality = r.text(lev, "quality", lptr)
            if quality is not None and quality != want.get("label"):
                r.warn(
                    f"{lptr}/quality",
                    f"{quality!r} is not the scale's label {want.get('label')!r} "
                    "(the scale's is kept)",
                )
            score = r.number(lev, "score", lptr)
            if score != want.get("score"):
                r.warn(
                    f"{lptr}/score" if "score" in lev else lptr,
                    f"score {score!r} is not the scale's {want.get('score')!r} "
                    "(the scale's is kept)",
                )

    def _from_levels(self, c: _Criterion) -> dict[str, Any] | None:
        r = self.r
        quality, scores, codes, zones = [], [], [], []
        for lptr, lev in c.levels:
            quality.append(r.text(lev, "quality", lptr))
            scores.append(r.number(lev, "score", lptr))
            ext, _ = r.extension(lev, lptr)
            codes.append(ext.get("code"))
            zones.append(ext.get("zone"))
        n = len(c.levels)
        where = f"{c.pointer}/CFRubricCriterionLevels"
        direction = "desired-first"
        if all(s is not None for s in scores):
            falls = all(a >= b for a, b in itertools.pairwise(scores))
            rises = all(a <= b for a, b in itertools.pairwise(scores))
            if rises and not falls:
                direction = "desired-last"
            elif not falls:
                r.error(
                    where,
                    "the levels' scores neither fall nor rise; icmaps needs levels "
                    "ordered from the most desired to the least (or back)",
                )
                return None
        if all(isinstance(x, str) and x for x in codes) and len(set(codes)) == n:
            names = [str(x) for x in codes]
        elif all(s is not None for s in scores) and len(set(scores)) == n:
            names = [str(int(s)) if float(s).is_integer() else str(s) for s in scores]
        else:
            names = [str(k + 1) for k in range(n)]
        if not self.rezone and all(z in ("ideal", "acceptable", "unacceptable") for z in zones):
            written = [str(z) for z in zones]
        else:
            desired = self._zones(n, where)
            if desired is None:
                return None
            written = desired if direction == "desired-first" else desired[::-1]
        levels = []
        for k in range(n):
            level: dict[str, Any] = {
                "code": names[k],
                "label": quality[k] or names[k],
                "zone": written[k],
            }
            if scores[k] is not None:
                level["score"] = _whole(scores[k])
            levels.append(level)
        scale: dict[str, Any] = {"levels": levels}
        if direction == "desired-last":
            scale["direction"] = direction
        return scale

    def finish(self, d: dict[str, Any]) -> None:
        """Name the map's scale(s): the own ones with the zones asked for, or the most common
        scale made from levels (others stay with their components)."""
        b = self.b
        if self.own:
            d["scale"] = self._apply(d["scale"], f"{self.doc_ext_ptr}/scale")
            if isinstance(d.get("scales"), dict):
                d["scales"] = {
                    k: self._apply(v, f"{self.doc_ext_ptr}/scales/{_esc(k)}")
                    for k, v in d["scales"].items()
                }
            return
        if not self.made:
            return
        counts: dict[str, int] = {}
        for _, _, scale, _ in self.made:
            key = json.dumps(scale, sort_keys=True)
            counts[key] = counts.get(key, 0) + 1
        common = max(counts, key=lambda k: counts[k])  # the first of the most common
        for mp, out, scale, c in self.made:
            levels_ptr = f"{c.pointer}/CFRubricCriterionLevels"
            if json.dumps(scale, sort_keys=True) == common and "scale" not in d:
                d["scale"] = scale
                b.at("/scale", levels_ptr)
                for k, (lptr, _) in enumerate(c.levels):
                    b.at(f"/scale/levels/{k}", lptr)
            elif json.dumps(scale, sort_keys=True) != common:
                out["scale"] = scale
                b.at(f"{mp}/scale", levels_ptr)
                for k, (lptr, _) in enumerate(c.levels):
                    b.at(f"{mp}/scale/levels/{k}", lptr)


def _from(built: _Built, pointer: str) -> tuple[str, str]:
    """The nearest map pointer at or above ``pointer`` that came from the CASE file, and the
    CASE pointer ``pointer`` corresponds to."""
    p = pointer
    while p not in built.origin:
        p = p.rsplit("/", 1)[0] if p else ""
        if not p and "" not in built.origin:
            return "", ""
    rest = pointer[len(p) :] if p in built.shapes else ""
    return p, built.origin[p] + rest


def _as_map_document(doc: Document, built: _Built) -> Document:
    """The built map as a document whose locations are those of the CASE file, so that every
    problem the map's validation finds has the CASE file's line and column."""
    out = Document(built.data, doc.path)
    copies: dict[str, list[str]] = {}  # CASE pointer of an extension -> map pointers of copies
    for mp, cp in built.origin.items():
        loc = doc.where(cp)
        if loc is not None:
            out.locations[mp] = loc
        if mp in built.shapes:
            copies.setdefault(cp, []).append(mp)
    # everything below an extension is below its copy too: one pass over the CASE locations
    for found, into in ((doc.locations, out.locations), (doc.key_locations, out.key_locations)):
        for below, where in found.items():
            up = below
            while up:
                up = up.rsplit("/", 1)[0]
                for mp in copies.get(up, ()):
                    into.setdefault(mp + below[len(up) :], where)
    return out


def _relocate(p: Problem, doc: Document, built: _Built) -> Problem:
    """A problem of the built map, said in the CASE file's terms: its pointer into the CASE
    file, and the map path at the start of its message replaced by the CASE path."""
    _, pointer = _from(built, p.pointer)
    message = p.message
    a = p.pointer
    while a:
        d = dotted(a)
        if message.startswith(d) and message[len(d) : len(d) + 1] in (":", ".", "["):
            _, case_ptr = _from(built, a)
            message = (dotted(case_ptr) or "CFDocument") + message[len(d) :]
            break
        a = a.rsplit("/", 1)[0]
    loc = doc.where(pointer)
    line, col = loc if loc else (None, None)
    return Problem(doc.path, line, col, message, pointer, p.severity, p.value)
