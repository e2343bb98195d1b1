"""Safe, bounded YAML/JSON parsing that remembers where every value came from.

PyYAML composes the node tree (libyaml's C parser when present); we build plain data from the
nodes ourselves so that we can:

* reject every explicit tag (no object construction, whatever the loader),
* report duplicate keys with both lines,
* bound alias expansion, nesting depth and input size (an alias bomb fails fast),
* resolve plain scalars by YAML 1.2 rules in canonical form only, and keep the raw text of any
  scalar under a key that holds text, so ``no``, ``on``, ``1e3`` or ``012`` stay strings,
* record ``pointer -> (line, column)`` for values and keys.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from icmaps.errors import LoadError, Problem, Severity

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Document", "decode", "parse"]

MAX_BYTES = 16 * 1024 * 1024
"""Largest input accepted, in bytes."""
MAX_NODES = 500_000
"""Most values a document may expand to (aliases counted every time they are used)."""
MAX_DEPTH = 64
"""Deepest nesting accepted."""

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Location = tuple[int, int]


@dataclass
class Document:
    """Parsed data plus where each value (and each mapping key) starts, 1-based."""

    data: Any
    path: str | None
    locations: dict[str, Location] = field(default_factory=dict)
    key_locations: dict[str, Location] = field(default_factory=dict)

    def where(self, pointer: str, *, key: bool = False) -> Location | None:
        """Location of the value at ``pointer`` (or of its key), else of its nearest parent."""
        if key and pointer in self.key_locations:
            return self.key_locations[pointer]
        p = pointer
        while True:
            if p in self.locations:
                return self.locations[p]
            if not p:
                return None
            p = p.rsplit("/", 1)[0]

    def problem(
        self, pointer: str, message: str, *, key: bool = False, severity: Severity = "error"
    ) -> Problem:
        """A :class:`Problem` located at ``pointer``."""
        loc = self.where(pointer, key=key)
        line, col = loc if loc else (None, None)
        return Problem(self.path, line, col, message, pointer, severity)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _line_col(text: str, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def decode(raw: bytes, path: str | None, *, max_bytes: int = MAX_BYTES) -> str:
    """Bytes to text: UTF-8 only (a UTF-8 BOM is dropped), no NUL, bounded size."""

    def fail(line: int | None, col: int | None, msg: str) -> LoadError:
        return LoadError([Problem(path, line, col, msg)])

    if len(raw) > max_bytes:
        raise fail(None, None, f"file is {len(raw):,} bytes; the limit is {max_bytes:,}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(1, 1, "file is UTF-16 encoded; save it as UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        good = raw[: e.start].decode("utf-8")
        line, col = _line_col(good, len(good))
        msg = f"invalid UTF-8 byte 0x{raw[e.start]:02x}; save the file as UTF-8"
        raise fail(line, col, msg) from None
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _line_col(text, nul)
        raise fail(line, col, "NUL character in file (is it a binary file?)")
    return text


def _tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _resolve_plain(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


class _Builder:
    def __init__(self, doc: Document, typed_keys: frozenset[str]) -> None:
        self.doc = doc
        self.typed_keys = typed_keys
        self.nodes = 0
        self.stack: set[int] = set()

    def fail(self, node: Any, msg: str) -> LoadError:
        m = node.start_mark
        return LoadError([Problem(self.doc.path, m.line + 1, m.column + 1, msg)])

    def _tag_error(self, node: Any) -> LoadError:
        return self.fail(node, f"explicit YAML tags are not allowed (found {_tag(node.tag)})")

    def build(self, node: Any, pointer: str, depth: int, text_only: bool) -> Any:
        import yaml

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(
                node, f"document expands to more than {MAX_NODES:,} values (alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.doc.locations.setdefault(
            pointer, (node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR:
                raise self.fail(
                    node, f"explicit YAML tags are not allowed (found {_tag(node.tag)})"
                )
            if node.style:  # quoted or block: always text (plain is None, or "" in libyaml)
                return node.value
            if text_only:
                return None if node.value in _NULLS else node.value
            return _resolve_plain(node.value)
        if id(node) in self.stack:
            raise self.fail(node, "recursive alias")
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    raise self.fail(
                        node, f"explicit YAML tags are not allowed (found {_tag(node.tag)})"
                    )
                return [
                    self.build(item, f"{pointer}/{i}", depth + 1, text_only)
                    for i, item in enumerate(node.value)
                ]
            if node.tag != _MAP:
                raise self.fail(
                    node, f"explicit YAML tags are not allowed (found {_tag(node.tag)})"
                )
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode) or knode.tag != _STR:
                    raise self.fail(knode, "mapping keys must be plain text")
                key = knode.value
                child = f"{pointer}/{_escape(key)}"
                kloc = (knode.start_mark.line + 1, knode.start_mark.column + 1)
                if key in out:
                    first = self.doc.key_locations[child][0]
                    raise self.fail(knode, f"duplicate key {key!r} (first defined on line {first})")
                self.doc.key_locations[child] = kloc
                out[key] = self.build(vnode, child, depth + 1, key not in self.typed_keys)
            return out
        finally:
            self.stack.discard(id(node))


def _depth_walk(loader: Any, path: str | None) -> None:
    """Walk the flat event stream and fail at the first node nested deeper than MAX_DEPTH."""
    import yaml

    try:
        depth = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the builder fails at the same node
                    m: Any = event.start_mark
                    msg = f"nesting deeper than {MAX_DEPTH} levels"
                    raise LoadError([Problem(path, m.line + 1, m.column + 1, msg)])
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


# libyaml's scanner reads up to this many characters ahead while a simple key is possible.
_LOOKAHEAD = 1100


def _compose(text: str, path: str | None = None) -> Any:
    import yaml

    base: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    # The composer recurses once per level (in C with libyaml: a deep enough document
    # overflows the stack and kills the process), so first walk the flat event stream.
    try:
        _depth_walk(base(text), path)
    except yaml.YAMLError as e:
        # Newer libyaml has a nesting limit of its own and its scanner reads ahead, so in a
        # flow collection it can stop before we see our limit; its message and place then
        # depend on the libyaml version. The pure-Python parser has no such limit: walk the
        # text up to libyaml's stopping point with it, so the depth message is always ours.
        mark = getattr(e, "problem_mark", None)
        if base is yaml.BaseLoader or mark is None or not _may_nest_deep(text):
            raise
        with contextlib.suppress(yaml.YAMLError):
            _depth_walk(yaml.BaseLoader(text[: mark.index + _LOOKAHEAD]), path)
        raise
    loader = base(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _may_nest_deep(text: str) -> bool:
    """Whether ``text`` has enough flow brackets to nest past MAX_DEPTH (a cheap C-speed test)."""
    return text.count("[") + text.count("{") > MAX_DEPTH


def parse(
    source: str | bytes,
    path: str | None = None,
    *,
    typed_keys: Iterable[str] = (),
    json_only: bool = False,
    max_bytes: int = MAX_BYTES,
) -> Document:
    """Parse YAML (or JSON, a subset) into a :class:`Document`.

    Scalars are text unless they sit under a key in ``typed_keys``; there, plain scalars in
    canonical YAML 1.2 form become numbers, booleans or null.

    >>> parse("code: no\\nscore: 3\\n", typed_keys={"score"}).data
    {'code': 'no', 'score': 3}
    """
    import yaml

    text = decode(source, path, max_bytes=max_bytes) if isinstance(source, bytes) else source
    if len(text) > max_bytes:
        raise LoadError([Problem(path, None, None, f"input is longer than {max_bytes:,} bytes")])
    if text.startswith("\ufeff"):
        text = text[1:]
    if json_only:
        return _parse_json(text, path, frozenset(typed_keys))
    doc = Document(None, path)
    try:
        node = _compose(text, path)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = e.problem or str(e)
        if e.context:
            what = f"{what} ({e.context})"
        raise LoadError([Problem(path, line, col, f"invalid YAML: {what}")]) from e
    except yaml.YAMLError as e:
        raise LoadError([Problem(path, None, None, f"invalid YAML: {e}")]) from e
    if node is None:
        return doc
    doc.data = _Builder(doc, frozenset(typed_keys)).build(node, "", 0, False)
    return doc


def _parse_json(text: str, path: str | None, typed_keys: frozenset[str]) -> Document:
    """JSON keeps its own types; the YAML composer only supplies locations and duplicate keys
    with their lines (JSON is YAML 1.2; where PyYAML's 1.1 parser disagrees, e.g. surrogate-pair
    escapes, we go without locations)."""
    import yaml

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    try:
        data = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise LoadError([Problem(path, e.lineno, e.colno, f"invalid JSON: {e.msg}")]) from e
    except ValueError as e:
        raise LoadError([Problem(path, None, None, f"invalid JSON: {e}")]) from e
    except RecursionError as e:
        msg = f"nesting deeper than {MAX_DEPTH} levels"
        raise LoadError([Problem(path, None, None, msg)]) from e
    doc = Document(None, path)
    try:
        node = _compose(text, path)
    except yaml.YAMLError:
        node = None
    if node is not None:
        _Builder(doc, typed_keys).build(node, "", 0, False)
    doc.data = data
    return doc
