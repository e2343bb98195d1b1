"""Reading, checking and writing map files, and the bundled map library.

>>> import icmaps
>>> m = icmaps.load_map("learning-school")
>>> m.id
'learning-school'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from icmaps._io import atomic_write
from icmaps._resources import maps_dir
from icmaps.errors import LoadError, MapValidationError, NotFoundError, Problem, UsageError
from icmaps.maps._yaml import parse
from icmaps.maps.case import check_case, dumps_case, is_case
from icmaps.maps.files import MAP_SUFFIXES, list_maps
from icmaps.maps.model import Map
from icmaps.maps.validation import TYPED_KEYS, check_document

__all__ = [
    "CheckResult",
    "check_map",
    "check_text",
    "dump_map",
    "dumps_map",
    "load_map",
    "loads_map",
]


Format = Literal["yaml", "json", "case"]
"""yaml and json: an icmaps map file; case: a 1EdTech CASE 1.1 package (JSON, see docs/case.md)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one map file: the map (if valid) and every problem found."""

    path: str | None
    map: Map | None
    problems: tuple[Problem, ...] = field(default=())
    readable: bool = True
    """False when the text could not be read or parsed at all (encoding, syntax, limits)."""

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return self.map is not None and not any(p.severity == "error" for p in self.problems)


def _format_of(path: str | None, fmt: str | None) -> Format:
    if fmt in ("yaml", "json", "case"):
        return fmt  # type: ignore[return-value]
    return "json" if path and path.lower().endswith(".json") else "yaml"


def _starts_json(text: str | bytes) -> bool:
    """Whether text opens like a JSON object (after a BOM and white space)."""
    start = text[:4096].decode("utf-8", "ignore") if isinstance(text, bytes) else text[:4096]
    return start.lstrip("\ufeff \t\r\n").startswith("{")


def check_text(
    text: str | bytes,
    *,
    path: str | None = None,
    format: Format | None = None,
    rubric: str | None = None,
    ideal: int | None = None,
    acceptable: int | None = None,
) -> CheckResult:
    """Parse and validate map text; never raises for bad content, returns every problem.

    JSON holding a CASE package (or a bare ``CFRubric``) is read as one; ``rubric``,
    ``ideal`` and ``acceptable`` are for those (see :func:`load_map`).

    >>> check_text("id: x").ok
    False
    """
    fmt = _format_of(path, format)
    try:
        doc = parse(text, path, typed_keys=TYPED_KEYS, json_only=fmt != "yaml")
        if fmt == "yaml" and format is None and is_case(doc.data):
            if not _starts_json(text):
                message = "a CASE package must be JSON (this one is written as YAML)"
                return CheckResult(path, None, (doc.problem("", message),), readable=False)
            # JSON read as YAML would turn CASE's numbers into text: read it as JSON
            doc = parse(text, path, typed_keys=TYPED_KEYS, json_only=True)
            fmt = "case"
    except LoadError as e:
        return CheckResult(path, None, e.problems, readable=False)
    if is_case(doc.data):
        m, problems = check_case(doc, rubric=rubric, ideal=ideal, acceptable=acceptable)
    elif fmt == "case":
        problems = [doc.problem("", "not a CASE package: expected CFDocument and CFRubrics")]
        return CheckResult(path, None, tuple(problems), readable=False)
    else:
        if (rubric, ideal, acceptable) != (None, None, None):
            raise UsageError(
                f"{path or 'the text'}: rubric, ideal and acceptable apply to CASE packages; "
                "this is an icmaps map file"
            )
        m, problems = check_document(doc)
    ordered = sorted(problems, key=Problem.sort_key)
    if len(ordered) > MAX_PROBLEMS:  # a map of thousands of bad rows: the first, and a count
        rest = len(ordered) - MAX_PROBLEMS
        ordered = ordered[:MAX_PROBLEMS]
        ordered.append(
            Problem(
                path, None, None, f"and {rest:,} more problems (the first {MAX_PROBLEMS:,} shown)"
            )
        )
    return CheckResult(path, m, tuple(ordered))


MAX_PROBLEMS = 1000
"""Problems of one map kept and shown (the rest are counted)."""


def check_map(
    source: str | os.PathLike[str],
    *,
    rubric: str | None = None,
    ideal: int | None = None,
    acceptable: int | None = None,
) -> CheckResult:
    """Check a map file (or bundled map id, or CASE package) and return every problem without
    raising.

    A missing file is reported as a problem too.
    """
    try:
        path, data = _read_source(source)
    except NotFoundError as e:
        return CheckResult(str(source), None, (Problem(str(source), None, None, str(e)),))
    return check_text(data, path=path, rubric=rubric, ideal=ideal, acceptable=acceptable)


def _read_bounded(p: Path) -> bytes:
    """The file's bytes, refused before reading when it is larger than a map may be (and
    read no further than that if it grows, or is a device that never ends)."""
    from icmaps.maps._yaml import MAX_BYTES

    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise LoadError(
                [Problem(str(p), None, None, f"file is {size:,} bytes; the limit is {MAX_BYTES:,}")]
            )
        with p.open("rb") as f:
            return f.read(MAX_BYTES + 1)
    except OSError as e:
        raise LoadError([Problem(str(p), None, None, f"cannot read: {e.strerror}")]) from None


def _read_source(source: str | os.PathLike[str]) -> tuple[str, bytes]:
    text = os.fspath(source)
    if len(text) > 1024:  # no map file or bundled id is this long; the OS would refuse it
        raise NotFoundError(f"{text[:60]}…({len(text):,} characters): no such file or bundled map")
    p = Path(text)
    looks_like_path = p.suffix.lower() in MAP_SUFFIXES or os.sep in text or "/" in text
    if p.is_file():
        return text, _read_bounded(p)
    is_dir = bool(text) and p.is_dir()
    if looks_like_path and not is_dir:
        raise NotFoundError(f"{text}: no such file")
    bundled = maps_dir().joinpath(f"{text}.yaml")
    if bundled.is_file():
        return f"<bundled>/{text}.yaml", bundled.read_bytes()
    if is_dir:
        raise NotFoundError(f"{text}: is a folder; expected a map file (.yaml, .yml, .json)")
    known = ", ".join(list_maps()) or "none"
    raise NotFoundError(f"{text!r} is neither a file nor a bundled map (bundled: {known})")


def load_map(
    source: str | os.PathLike[str],
    *,
    rubric: str | None = None,
    ideal: int | None = None,
    acceptable: int | None = None,
) -> Map:
    """Load and validate a map from a file path or a bundled map id.

    A JSON file holding a 1EdTech CASE package (or a bare ``CFRubric``) is read as one
    (docs/case.md): ``rubric`` picks one of several rubrics by identifier or title; ``ideal``
    and ``acceptable`` give the zones (the ``ideal`` most desired levels are ideal, the next
    ``acceptable`` acceptable, the rest unacceptable) in place of the package's, or where it
    has none (default: 1 ideal, half of the rest acceptable).

    Raises :class:`~icmaps.errors.LoadError` (unreadable or not YAML/JSON),
    :class:`~icmaps.errors.MapValidationError` (every problem, with file:line:col) or
    :class:`~icmaps.errors.NotFoundError`. Warnings do not stop loading; use
    :func:`check_map` to see them.

    >>> load_map("learning-school").title
    'Learning school'
    """
    path, data = _read_source(source)
    return _raise_or_map(
        check_text(data, path=path, rubric=rubric, ideal=ideal, acceptable=acceptable)
    )


def loads_map(
    text: str | bytes,
    *,
    path: str | None = None,
    format: Format | None = None,
    rubric: str | None = None,
    ideal: int | None = None,
    acceptable: int | None = None,
) -> Map:
    """Load and validate a map from YAML, JSON or CASE text (options as for :func:`load_map`).

    >>> loads_map('''
    ... id: demo
    ... version: "1"
    ... title: Demo
    ... scale: {levels: [{code: a, label: A, zone: ideal}]}
    ... components: [{id: c, title: C, variations: [Does it]}]
    ... ''').component("c").variations
    ('Does it',)
    """
    return _raise_or_map(
        check_text(
            text, path=path, format=format, rubric=rubric, ideal=ideal, acceptable=acceptable
        )
    )


def _raise_or_map(result: CheckResult) -> Map:
    if result.map is None:
        if not result.readable:
            raise LoadError(result.problems)
        raise MapValidationError(result.problems)
    return result.map


# -- writing --------------------------------------------------------------------------------


def _plain(m: Map) -> dict[str, Any]:
    data = m.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"icmap": m.icmap, **data}

    def tidy(x: Any) -> Any:  # 3.0 -> 3: numbers as a person writes them
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, dict):
            return {k: tidy(v) for k, v in x.items()}
        if isinstance(x, list):
            return [tidy(v) for v in x]
        return x

    tidied: dict[str, Any] = tidy(data)
    return tidied


def dumps_map(m: Map, format: Format = "yaml", *, schema_ref: str | None = None) -> str:
    """The map as YAML, JSON or CASE 1.1 text; loading it gives an equal map.

    ``schema_ref`` adds the ``# yaml-language-server: $schema=...`` modeline (YAML) or a
    ``$schema`` key (JSON).

    >>> m = load_map("learning-school")
    >>> loads_map(dumps_map(m)) == m
    True
    >>> loads_map(dumps_map(m, "case")) == m
    True
    """
    import yaml

    if format == "case":
        if schema_ref:
            raise UsageError("schema_ref applies to YAML and JSON map files, not CASE")
        return dumps_case(m)
    data = _plain(m)
    if format == "json":
        if schema_ref:
            data = {"$schema": schema_ref, **{k: v for k, v in data.items() if k != "$schema"}}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
    head = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return head + body


def dump_map(
    m: Map,
    path: str | os.PathLike[str],
    format: Format | None = None,
    *,
    schema_ref: str | None = None,
) -> None:
    """Write a map to a file atomically; format from ``format`` or the file suffix
    (``format="case"`` writes a CASE 1.1 package, whatever the suffix).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> dump_map(load_map("learning-school"), d / "ls.json")
    >>> load_map(d / "ls.json").id
    'learning-school'
    """
    name = os.fspath(path)
    if format is None and not name.lower().endswith(MAP_SUFFIXES):
        raise UsageError(f"{name}: give the file a .yaml, .yml or .json suffix, or a format")
    if format not in (None, "yaml", "json", "case"):
        raise UsageError(f"format must be 'yaml', 'json' or 'case', not {format!r}")
    atomic_write(path, dumps_map(m, _format_of(name, format), schema_ref=schema_ref))
