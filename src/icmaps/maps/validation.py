"""Two-pass validation of map documents: the JSON Schema, then the rules a schema cannot say.

Every problem is collected (never just the first) and located by file, line, column and JSON
pointer; messages use the user's terms (``groups[0].components[2].variations``), not
JSON-Schema jargon.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from icmaps.errors import Problem
from icmaps.maps._yaml import Document
from icmaps.maps.model import Component, Group, Map, Scale
from icmaps.maps.zones import ZONE_RANK

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["TYPED_KEYS", "check_document", "dotted", "semantic_problems"]

TYPED_KEYS = frozenset(
    {"icmap", "score", "weight", "year", "threshold", "critical", "min", "consecutive"}
)
"""Keys whose plain scalars are read as numbers or booleans; everything else is text."""

_JSON_TYPES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing (null)",
}


def _some(items: Iterable[object], n: int = 12) -> str:
    """The first ``n`` items joined, and how many more (a message never lists thousands).

    >>> _some(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    seq = [str(x) for x in items]
    more = f" and {len(seq) - n:,} more" if len(seq) > n else ""
    return ", ".join(seq[:n]) + more


def dotted(pointer: str) -> str:
    """``/groups/0/components/2`` -> ``groups[0].components[2]``.

    >>> dotted("/groups/0/components/2/variations")
    'groups[0].components[2].variations'
    """
    out = ""
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        out += f"[{token}]" if token.isdigit() else (f".{token}" if out else token)
    return out


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"text {_short(value)}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _short(value: object, n: int = 40) -> str:
    r = repr(value)
    return r if len(r) <= n else r[: n - 4] + "...'"


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [str(x) for x in t]
    return []


def _translate(error: ValidationError, doc: Document) -> Iterator[Problem]:
    """Turn one jsonschema error into located, readable problems."""
    pointer = _pointer(error.absolute_path)
    where = dotted(pointer)
    prefix = f"{where}: " if where else ""
    v = error.validator
    inst: Any = error.instance
    val: Any = error.validator_value
    schema: Any = error.schema
    if v == "required":
        missing = [p for p in val if not (isinstance(inst, dict) and p in inst)]
        for name in missing:
            yield doc.problem(pointer, f"{prefix}missing required field {name!r}")
        return
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        own = (
            "; keys of your own start with x-"
            if "^x-" in schema.get("patternProperties", {})
            else ""
        )
        for key in inst:
            if key not in allowed and not (own and key.startswith("x-")):
                child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
                yield doc.problem(
                    child,
                    f"{prefix}unknown field {key!r} (allowed: {_some(allowed, 40)}{own})",
                    key=True,
                )
        return
    if v in ("anyOf", "oneOf") and error.context:
        # Report the branch that fits the value's type, if any; else say what would fit.
        fitting = [e for e in error.context if e.validator != "type"]
        if fitting:
            # the deepest error of the branch that fits; context errors know their full path
            yield from _translate(max(fitting, key=lambda e: len(e.absolute_path)), doc)
            return
        kinds = []
        for sub in val:
            kinds += [_JSON_TYPES.get(t, t) for t in _types(sub)] or ["a mapping"]
        yield doc.problem(pointer, f"{prefix}expected {' or '.join(kinds)}, got {_kind(inst)}")
        return
    yield doc.problem(pointer, _translate_leaf(error, where))


def _translate_leaf(error: ValidationError, where: str) -> str:
    prefix = f"{where}: " if where else ""
    v = error.validator
    inst: Any = error.instance
    val: Any = error.validator_value
    if v == "type":
        want = " or ".join(_JSON_TYPES.get(t, t) for t in ([val] if isinstance(val, str) else val))
        return f"{prefix}expected {want}, got {_kind(inst)}"
    if v == "enum":
        return f"{prefix}expected one of {_some([str(v) for v in val])}; got {_short(inst)}"
    if v == "const":
        return f"{prefix}expected {val!r}, got {_short(inst)}"
    if v == "pattern":
        if "A-Za-z0-9" in str(val):
            return (
                f"{prefix}{_short(inst)} is not a valid id (use letters, digits and . _ : -, "
                "starting with a letter or digit)"
            )
        return f"{prefix}{_short(inst)} has leading or trailing spaces or is empty"
    if v == "minItems":
        return f"{prefix}expected at least {val} item{'s' if val != 1 else ''}, got {len(inst)}"
    if v == "maxLength":
        return f"{prefix}text longer than {val} characters"
    if v in ("minimum", "maximum"):
        word = "at least" if v == "minimum" else "at most"
        return f"{prefix}expected a number {word} {val}, got {inst!r}"
    return f"{prefix}{error.message}"


def _schema_problems(doc: Document) -> list[Problem]:
    from jsonschema import Draft202012Validator

    from icmaps.maps.schema import map_schema

    validator = Draft202012Validator(map_schema())
    problems: list[Problem] = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_translate(error, doc))
    # jsonschema reports one 'required' error per missing field, each listing them all
    return list(dict.fromkeys(problems))


def _walk(
    components: tuple[Component, ...], groups: tuple[Group, ...], base: str
) -> Iterator[tuple[str, Component | Group]]:
    for i, c in enumerate(components):
        yield f"{base}/components/{i}", c
    for i, g in enumerate(groups):
        here = f"{base}/groups/{i}"
        yield here, g
        yield from _walk(g.components, g.groups, here)


def _scale_problems(scale: Scale, pointer: str, doc: Document) -> Iterator[Problem]:
    where = dotted(pointer)
    levels = scale.desired()
    if not any(lv.zone == "ideal" for lv in levels):
        yield doc.problem(f"{pointer}/levels", f"{where}.levels: no level is in the ideal zone")
    order = [lv.zone for lv in levels]
    ranks = [ZONE_RANK[z] for z in order]
    if ranks != sorted(ranks):
        yield doc.problem(
            f"{pointer}/levels",
            f"{where}.levels: zones must run ideal -> acceptable -> unacceptable from the "
            f"desired level, got {' -> '.join(order)}",
        )
    scores = [lv.score for lv in levels]
    if any(s is not None for s in scores):
        if any(s is None for s in scores):
            yield doc.problem(
                f"{pointer}/levels",
                f"{where}.levels: give a score to every level or to none",
            )
        else:
            nums = [float(s) for s in scores if s is not None]
            if any(b > a for a, b in itertools.pairwise(nums)):
                yield doc.problem(
                    f"{pointer}/levels",
                    f"{where}.levels: scores must not increase from the desired level to the "
                    f"least desired, got {', '.join(f'{s:g}' for s in nums)} (desired first)",
                )
    seen: dict[str, int] = {}
    for i, lv in enumerate(scale.levels):
        if lv.code in seen:
            yield doc.problem(
                f"{pointer}/levels/{i}/code",
                f"{where}.levels[{i}].code: duplicate code {lv.code!r} "
                f"(also levels[{seen[lv.code]}])",
            )
        seen.setdefault(lv.code, i)
    specials: set[str] = set()
    for i, sp in enumerate(scale.special):
        ptr = f"{pointer}/special/{i}/code"
        if sp.code in seen:
            yield doc.problem(
                ptr, f"{where}.special[{i}].code: {sp.code!r} is already a level code"
            )
        elif sp.code in specials:
            yield doc.problem(ptr, f"{where}.special[{i}].code: duplicate code {sp.code!r}")
        specials.add(sp.code)


def semantic_problems(m: Map, doc: Document) -> list[Problem]:
    """Rules beyond the schema: ids, references, counts, zone order, scores; plus warnings."""
    out: list[Problem] = []
    out += _scale_problems(m.scale, "/scale", doc)
    for name, named in m.scales.items():
        out += _scale_problems(named, f"/scales/{name}", doc)

    role_ids: dict[str, int] = {}
    for i, r in enumerate(m.roles):
        if r.id in role_ids:
            out.append(doc.problem(f"/roles/{i}/id", f"roles[{i}].id: duplicate role {r.id!r}"))
        role_ids.setdefault(r.id, i)

    ids: dict[str, str] = {}
    used_scales: set[str] = set()
    for ptr, node in _walk(m.components, m.groups, ""):
        where = dotted(ptr)
        if node.id in ids:
            loc = doc.where(f"{ids[node.id]}/id")
            first = f" (first used on line {loc[0]})" if loc else ""
            out.append(doc.problem(f"{ptr}/id", f"{where}.id: duplicate id {node.id!r}{first}"))
        else:
            ids[node.id] = ptr
        if isinstance(node, Group):
            if not node.components and not node.groups:
                out.append(
                    doc.problem(
                        ptr, f"{where}: group {node.id!r} has no components", severity="warning"
                    )
                )
            continue
        c = node
        for j, role in enumerate(c.roles):
            if role not in role_ids:
                known = _some(role_ids) or "none defined"
                out.append(
                    doc.problem(
                        f"{ptr}/roles/{j}",
                        f"{where}.roles[{j}]: unknown role {role!r} (roles: {known})",
                    )
                )
        scale: Scale | None
        if isinstance(c.scale, str):
            used_scales.add(c.scale)
            scale = m.scales.get(c.scale)
            if scale is None:
                known = _some(m.scales) or "none defined"
                out.append(
                    doc.problem(
                        f"{ptr}/scale",
                        f"{where}.scale: unknown scale {c.scale!r} (scales: {known})",
                    )
                )
                continue
            scale_name = f"scale {c.scale!r}"
        elif isinstance(c.scale, Scale):
            scale = c.scale
            out += _scale_problems(scale, f"{ptr}/scale", doc)
            scale_name = "its own scale"
        else:
            scale = m.scale
            scale_name = "the map's scale"
        n = len(scale.levels)
        if len(c.variations) != n:
            out.append(
                doc.problem(
                    f"{ptr}/variations",
                    f"{where}.variations: expected {n} variations (one per level of "
                    f"{scale_name}), got {len(c.variations)}",
                )
            )
            continue
        ideal_first = c.variations[0] if scale.direction == "desired-first" else c.variations[-1]
        if not (ideal_first or "").strip():
            k = 0 if scale.direction == "desired-first" else n - 1
            out.append(
                doc.problem(
                    f"{ptr}/variations/{k}",
                    f"{where}.variations[{k}]: the most desired variation is empty",
                    severity="warning",
                )
            )
    for name in m.scales:
        if name not in used_scales:
            out.append(
                doc.problem(
                    f"/scales/{name}", f"scales.{name}: scale is never used", severity="warning"
                )
            )
    out.extend(_fidelity_problems(doc, m))
    return out


def _fidelity_problems(doc: Document, m: Map) -> list[Problem]:
    """The map's fidelity rules: named when several, each name once, groups that exist,
    scores where a rule counts scores."""
    out: list[Problem] = []
    rules = m.fidelity_rules()
    several = isinstance(m.fidelity, tuple)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        ptr = f"/fidelity/{i}" if several else "/fidelity"
        where = f"fidelity[{i}]" if several else "fidelity"
        if several and rule.id is None:
            out.append(doc.problem(ptr, f"{where}: several rules need an id each (e.g. tier-1)"))
        if rule.id is not None:
            if rule.id in seen:
                out.append(doc.problem(f"{ptr}/id", f"{where}.id: rule {rule.id!r} is named twice"))
            seen.add(rule.id)
        below = m.rule_components(rule)
        if below is None:
            known = _some([g.id for g in m.all_groups()]) or "none"
            out.append(
                doc.problem(
                    f"{ptr}/group", f"{where}.group: no group {rule.group!r} (groups: {known})"
                )
            )
            continue
        if rule.basis == "score":
            unscored = [c for c in below if _unscored(m, m.component(c))]
            if unscored:
                out.append(
                    doc.problem(
                        f"{ptr}/basis",
                        f"{where}.basis: 'score' needs a score on every level; unscored "
                        "components: " + ", ".join(unscored[:5]),
                    )
                )
    return out


def _unscored(m: Map, c: Component) -> bool:
    try:
        scale = m.scale_of(c.id)
    except Exception:  # an unknown scale is reported on its own
        return False
    return any(lv.score is None for lv in scale.levels)


MAX_COMPONENTS = 1000
"""Most components a map may have (the largest bundled map has about 50): checking a map
costs time per component, so a file of thousands is refused before the schema check."""


def _count_components(data: object) -> int:
    """Components in the raw data, groups nested (whatever the shape: the schema judges it)."""
    n = 0
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            for key in ("components", "groups"):
                items = d.get(key)
                if isinstance(items, list):
                    if key == "components":
                        n += len(items)
                    stack.extend(items)
    return n


def check_document(doc: Document) -> tuple[Map | None, list[Problem]]:
    """Validate a parsed document: schema, then model, then semantic rules.

    Returns the map (None when there are errors that prevent building it) and every problem.
    """
    from pydantic import ValidationError as PydanticError

    if doc.data is None:
        return None, [doc.problem("", "file is empty; expected an IC map")]
    n = _count_components(doc.data)
    if n > MAX_COMPONENTS:
        msg = f"the map has {n:,} components; the limit is {MAX_COMPONENTS:,}"
        return None, [doc.problem("/components", msg)]
    problems = _schema_problems(doc)
    if problems:
        return None, problems
    try:
        m = Map.model_validate(doc.data)
    except PydanticError as e:  # the schema should catch these; kept as a safety net
        for err in e.errors():
            ptr = _pointer(err["loc"])
            problems.append(doc.problem(ptr, f"{dotted(ptr)}: {err['msg']}"))
        return None, problems
    problems = semantic_problems(m, doc)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return m, problems
