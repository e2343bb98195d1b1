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
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from icmaps.errors import LoadError, Problem, Severity

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Document", "decode", "parse"]

MAX_BYTES = 2 * 1024 * 1024
"""Largest input accepted, in bytes (the largest bundled map is 30 KB; 2 MiB parses in about
a second, so a hostile file cannot hold a check up for long)."""
MAX_NODES = 500_000
"""Most values a document may expand to (aliases counted every time they are used)."""
MAX_DEPTH = 64
"""Deepest nesting accepted."""
MAX_DIGITS = 15
"""Most digits of a number (a score, a weight, a threshold): past that a float is no longer
exact, and Python's own limit on long integers is never reached."""
MAX_NUMBER = 1e15
"""Largest magnitude of a number."""

# C0 controls other than tab, line feed and carriage return, DEL and the C1 controls: they
# clear screens and ring bells in terminals, and no map text needs them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

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


class _NumberError(ValueError):
    """A number out of the bounds above (the builder adds the place)."""


def _number(text: str, value: float) -> float:
    """``value`` (read from ``text``) if it is within bounds, else :class:`_NumberError`."""
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _NumberError(f"number {_short(text)} is out of range (at most {MAX_NUMBER:g})")
    return value


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} characters)"


def _resolve_plain(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _INT.fullmatch(value):
        if len(value.lstrip("-")) > MAX_DIGITS:  # before int(): no huge conversion at all
            raise _NumberError(
                f"number {_short(value)} has more than {MAX_DIGITS} digits (at most {MAX_NUMBER:g})"
            )
        return _number(value, int(value))
    if _FLOAT.fullmatch(value):
        return _number(value, float(value))
    return value


def _control(text: str) -> str | None:
    """A message when ``text`` holds a control character, else None."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    return (
        f"control character U+{ord(m.group()):04X} in text (position {m.start() + 1}); "
        "only tab and line breaks are allowed"
    )


def _node_budget(root: Any, path: str | None) -> None:
    """Fail at once when the document would expand to more than MAX_NODES values: each
    node's expanded size is computed once (aliases share nodes), so a billion-laughs file
    costs as many steps as it has distinct nodes, not values."""
    import yaml

    size: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            if isinstance(node, yaml.SequenceNode):
                total = 1 + sum(size.get(id(c), 0) for c in node.value)
            elif isinstance(node, yaml.MappingNode):
                total = 1 + sum(size.get(id(k), 0) + size.get(id(v), 0) for k, v in node.value)
            else:
                total = 1
            size[key] = total
            if total > MAX_NODES:
                m = node.start_mark
                raise LoadError(
                    [
                        Problem(
                            path,
                            m.line + 1,
                            m.column + 1,
                            f"document expands to more than {MAX_NODES:,} values (alias bomb?)",
                        )
                    ]
                )
            continue
        if key in size:
            continue
        if key in on_path:  # a recursive alias: the builder names it
            continue
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, False))
                stack.append((v, False))


class _Builder:
    def __init__(self, doc: Document, typed_keys: frozenset[str]) -> None:
        self.doc = doc
        self.typed_keys = typed_keys
        self.nodes = 0
        self.stack: set[int] = set()
        # a node reached again through an alias keeps the place of its first visit: no
        # pointer string is stored per use (aliases of long keys would multiply them)
        self.placed: set[int] = set()

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
        first_visit = id(node) not in self.placed
        if first_visit:
            self.placed.add(id(node))
            self.doc.locations.setdefault(
                pointer, (node.start_mark.line + 1, node.start_mark.column + 1)
            )
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR:
                raise self.fail(
                    node, f"explicit YAML tags are not allowed (found {_tag(node.tag)})"
                )
            bad = _control(node.value)
            if bad:
                raise self.fail(node, bad)
            if node.style:  # quoted or block: always text (plain is None, or "" in libyaml)
                return node.value
            if text_only:
                return None if node.value in _NULLS else node.value
            try:
                return _resolve_plain(node.value)
            except _NumberError as e:
                raise self.fail(node, str(e)) from None
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
                    first = self.doc.key_locations.get(child, kloc)[0]
                    raise self.fail(knode, f"duplicate key {key!r} (first defined on line {first})")
                bad = _control(key)
                if bad:
                    raise self.fail(knode, bad)
                if first_visit:
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
        return _parse_json(text, path)
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
    if "*" in text:  # without an alias no node is visited twice: the size bounds the values
        _node_budget(node, path)
    doc.data = _Builder(doc, frozenset(typed_keys)).build(node, "", 0, False)
    return doc


def _parse_json(text: str, path: str | None) -> Document:
    """JSON keeps its own types; the YAML composer only supplies locations and duplicate keys
    with their lines (JSON is YAML 1.2; where PyYAML's 1.1 parser disagrees, e.g. surrogate-pair
    escapes, we go without locations)."""
    import yaml

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    def integer(t: str) -> float:
        if len(t.lstrip("-")) > MAX_DIGITS:  # before int(): no huge conversion at all
            raise _NumberError(
                f"number {_short(t)} has more than {MAX_DIGITS} digits (at most {MAX_NUMBER:g})"
            )
        return _number(t, int(t))

    def real(t: str) -> float:
        return _number(t, float(t))

    try:
        data = json.loads(text, parse_constant=constant, parse_int=integer, parse_float=real)
    except json.JSONDecodeError as e:
        raise LoadError([Problem(path, e.lineno, e.colno, f"invalid JSON: {e.msg}")]) from e
    except _NumberError as e:
        raise LoadError([Problem(path, *_first_number(text, e), f"invalid JSON: {e}")]) from e
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
        if "*" in text:
            _node_budget(node, path)
        # every JSON scalar is typed already: the builder only records places (and finds
        # control characters in text)
        _Builder(doc, _ALL_TYPED).build(node, "", 0, False)
    else:
        _check_controls(data, path)
    doc.data = data
    return doc


class _AllKeys(frozenset[str]):
    """Every key counts as typed (numbers are resolved, so their bounds are checked)."""

    def __contains__(self, key: object) -> bool:
        return True


_ALL_TYPED: frozenset[str] = _AllKeys()


def _check_controls(data: Any, path: str | None) -> None:
    """Control characters in JSON text, when no places are known (no YAML node tree)."""
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            bad = _control(v)
            if bad:
                raise LoadError([Problem(path, None, None, bad)])
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _first_number(text: str, e: _NumberError) -> Location:
    """The place of the first over-long or out-of-range number literal (JSON's own error
    has no place for a number its hooks refuse)."""
    for m in re.finditer(r"-?\d[\d.eE+-]*", text):
        t = m.group()
        try:
            if len(t.lstrip("-")) > MAX_DIGITS and t.lstrip("-").isdigit():
                return _line_col(text, m.start())
            if abs(float(t)) > MAX_NUMBER or float(t) != float(t):
                return _line_col(text, m.start())
        except ValueError:
            continue
    return (None, None)  # type: ignore[return-value]
