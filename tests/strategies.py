"""Hypothesis strategies that build valid maps (every rule of the validator respected)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ZONES = ("ideal", "acceptable", "unacceptable")
COUNTS = ("excluded", "lowest", "missing")

ids = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
# text that YAML and JSON must carry unchanged: unicode, quotes, colons, YAML-looking words
texts = st.one_of(
    st.sampled_from(["", "no", "on", "yes", "1e3", "012", "null", "~", "- x", "a: b", "#c", "'q'"]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
        max_size=40,
    ),
)
codes = st.one_of(
    st.sampled_from(["1", "2", "0", "a", "no", "on", "1e3", "012", "NA", "true", "3.0"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,4}", fullmatch=True),
)


@st.composite
def scales(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    level_codes = draw(st.lists(codes, min_size=n, max_size=n, unique=True))
    # zones: at least one ideal, then non-decreasing
    cuts = sorted(draw(st.lists(st.integers(1, n), min_size=2, max_size=2)))
    zones = [
        "ideal" if i < cuts[0] else "acceptable" if i < cuts[1] else "unacceptable"
        for i in range(n)
    ]
    scored = draw(st.booleans())
    levels = []
    for i, (code, zone) in enumerate(zip(level_codes, zones, strict=True)):
        level: dict[str, Any] = {"code": code, "label": draw(texts), "zone": zone}
        if scored:
            level["score"] = float(n - i) if draw(st.booleans()) else n - i
        levels.append(level)
    direction = draw(st.sampled_from(["desired-first", "desired-last"]))
    if direction == "desired-last":
        levels.reverse()
    special_pool = [c for c in ["NA", "non-use", "x9"] if c not in level_codes]
    special = [
        {
            "code": c,
            "label": draw(texts),
            "counts": draw(st.sampled_from(["excluded", "lowest", "missing"])),
        }
        for c in draw(st.lists(st.sampled_from(special_pool), unique=True, max_size=2))
    ]
    out: dict[str, Any] = {"levels": levels}
    if direction == "desired-last":
        out["direction"] = direction
    if special:
        out["special"] = special
    return out


@st.composite
def maps(draw: st.DrawFn) -> dict[str, Any]:
    """A valid map document as plain data (what a YAML/JSON file holds)."""
    role_ids = draw(st.lists(ids, unique=True, max_size=4))
    scale = draw(scales())
    used: set[str] = set()

    def new_id() -> str:
        return draw(ids.filter(lambda i: i not in used and not used.add(i)))  # type: ignore[func-returns-value]

    def component() -> dict[str, Any]:
        own = draw(st.one_of(st.none(), scales()))
        n = len((own or scale)["levels"])
        c: dict[str, Any] = {
            "id": new_id(),
            "title": draw(texts),
            "variations": draw(st.lists(texts, min_size=n, max_size=n)),
        }
        if role_ids and draw(st.booleans()):
            c["roles"] = draw(st.lists(st.sampled_from(role_ids), unique=True, min_size=1))
        if draw(st.booleans()):
            c["critical"] = True
        if draw(st.booleans()):
            c["weight"] = draw(st.sampled_from([0, 0.5, 2, 3.25]))
        if own is not None:
            c["scale"] = own
        return c

    def group(depth: int) -> dict[str, Any]:
        g: dict[str, Any] = {
            "id": new_id(),
            "kind": draw(st.sampled_from(["frame", "standard"])),
            "title": draw(texts),
        }
        g["components"] = [component() for _ in range(draw(st.integers(1, 3)))]
        if depth < 2 and draw(st.booleans()):
            g["groups"] = [group(depth + 1) for _ in range(draw(st.integers(1, 2)))]
        return g

    doc: dict[str, Any] = {
        "icmap": 1,
        "id": new_id(),
        "version": draw(st.sampled_from(["1", "1.0", "1.0.0", "2026-11"])),
        "title": draw(texts),
        "roles": [{"id": r, "label": draw(texts)} for r in role_ids],
        "scale": scale,
        "components": [component() for _ in range(draw(st.integers(0, 2)))],
        "groups": [group(0) for _ in range(draw(st.integers(0, 2)))],
    }
    if not doc["components"] and not doc["groups"]:
        doc["components"] = [component()]
    return doc


# -- ratings (aggregate, compare, configurations) ---------------------------------------------

Record = dict[str, Any]


@st.composite
def rating_records(
    draw: st.DrawFn, m: Any, *, min_size: int = 1, max_size: int = 40
) -> list[Record]:
    """Long-form rating records valid for map ``m``: unique subject x rater x occasion x
    component keys, codes drawn from each component's levels and special codes or blank,
    a role that applies (or none) and a ``school`` attribute fixed per subject."""
    comps = [c.id for c in m.iter_components()]
    subjects = [f"s{i}" for i in range(draw(st.integers(1, 5)))]
    school = {s: draw(st.sampled_from(["north", "south", "east"])) for s in subjects}
    keys = st.tuples(
        st.sampled_from(subjects),
        st.sampled_from(["r1", "r2", "r3"]),
        st.sampled_from(["fall", "spring"]),
        st.sampled_from(comps),
    )
    chosen = draw(st.lists(keys, min_size=min_size, max_size=max_size, unique=True))
    out: list[Record] = []
    for subject, rater, occasion, comp in chosen:
        scale = m.scale_of(comp)
        code = draw(st.sampled_from([*scale.codes(), *scale.special_codes(), None]))
        roles = list(m.roles_of(comp))
        role = draw(st.sampled_from([None, *roles])) if roles else None
        out.append(
            {
                "subject": subject,
                "rater": rater,
                "occasion": occasion,
                "component": comp,
                "code": code,
                "role": role,
                "school": school[subject],
            }
        )
    return out


# -- CASE packages (icmaps.maps.case) ---------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        texts,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value: what a hostile or broken package may hold where another value belongs."""


def _paths(x: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += _paths(v, (*path, i))
    return out


@st.composite
def damaged(draw: st.DrawFn, package: dict[str, Any]) -> dict[str, Any]:
    """A copy of a CASE package with a few values replaced by any JSON value or removed."""
    import copy

    out = copy.deepcopy(package)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(out)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    return out


@st.composite
def rating_matrices(
    draw: st.DrawFn, *, max_units: int = 40, max_raters: int = 6, max_levels: int = 6
) -> tuple[list[list[float | None]], int]:
    """A units x raters matrix of level indices with gaps (``None``), and the number of
    levels. Raters agree more often than chance (one true level per unit, then noise), every
    rater rates at least one unit and at least one unit is rated by two raters."""
    n_levels = draw(st.integers(2, max_levels))
    n_raters = draw(st.integers(2, max_raters))
    n_units = draw(st.integers(3, max_units))
    level = st.integers(0, n_levels - 1)
    rows: list[list[float | None]] = []
    for _ in range(n_units):
        truth = draw(level)
        row: list[float | None] = []
        for _ in range(n_raters):
            kind = draw(st.sampled_from(("same", "same", "other", "missing")))
            row.append(None if kind == "missing" else truth if kind == "same" else draw(level))
        rows.append(row)
    rows[0] = [float(j % n_levels) for j in range(n_raters)]  # every rater rates unit 0
    return rows, n_levels
