"""The safe YAML reader: tags, duplicates, aliases, limits, encodings, YAML 1.1 surprises."""

from __future__ import annotations

import time

import pytest

from icmaps.errors import LoadError
from icmaps.maps._yaml import MAX_DEPTH, decode, parse


def test_text_keys_keep_yaml11_surprises_as_text() -> None:
    doc = parse("a: no\nb: on\nc: 1e3\nd: 012\ne: 1.50\nf: yes\ng: 3\n")
    assert doc.data == {
        "a": "no",
        "b": "on",
        "c": "1e3",
        "d": "012",
        "e": "1.50",
        "f": "yes",
        "g": "3",
    }


def test_typed_keys_read_canonical_yaml12_only() -> None:
    text = "a: 3\nb: 1.5\nc: true\nd: yes\ne: 1e3\nf: 012\ng: ~\nh: '3'\n"
    doc = parse(text, typed_keys="abcdefgh")
    assert doc.data == {
        "a": 3,
        "b": 1.5,
        "c": True,
        "d": "yes",
        "e": "1e3",
        "f": "012",
        "g": None,
        "h": "3",
    }


def test_locations_are_one_based_for_values_and_keys() -> None:
    doc = parse("top:\n  - x: 1\n    y: [a, b]\n")
    assert doc.locations["/top/0/y/1"] == (3, 12)
    assert doc.key_locations["/top/0/y"] == (3, 5)
    assert doc.where("/top/0/missing") == (2, 5)


def test_duplicate_keys_name_both_lines() -> None:
    with pytest.raises(LoadError) as info:
        parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(info.value) == "f.yaml:3:1: duplicate key 'a' (first defined on line 1)"


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system x\n",
        "a: !!binary aGk=\n",
        "a: !custom 1\n",
        "a: !!int 3\n",
        "a: !!set {x}\n",
    ],
)
def test_every_explicit_tag_is_refused(text: str) -> None:
    with pytest.raises(LoadError, match="explicit YAML tags are not allowed"):
        parse(text)


def test_alias_bomb_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    start = time.perf_counter()
    with pytest.raises(LoadError, match="alias bomb"):
        parse("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 5  # generous: a real bomb would never finish


def test_small_aliases_are_allowed() -> None:
    assert parse("a: &x [1]\nb: *x\n").data == {"a": ["1"], "b": ["1"]}


def test_depth_is_bounded() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(LoadError, match="nesting deeper"):
        parse(text)


def test_size_is_bounded() -> None:
    with pytest.raises(LoadError, match="limit is 10"):
        decode(b"a: 12345678901\n", "f.yaml", max_bytes=10)


def test_bom_is_dropped_and_crlf_accepted() -> None:
    assert parse(b"\xef\xbb\xbfa: b\r\nc: d\r\n").data == {"a": "b", "c": "d"}


def test_invalid_utf8_is_located() -> None:
    with pytest.raises(LoadError) as info:
        parse(b"a: ok\nb: caf\xe9\n", "f.yaml")
    assert str(info.value) == "f.yaml:2:7: invalid UTF-8 byte 0xe9; save the file as UTF-8"


def test_json_is_read_with_locations() -> None:
    doc = parse('{\n  "a": [1, "2"],\n  "b": true\n}\n', json_only=True, typed_keys={"a", "b"})
    assert doc.data == {"a": [1, "2"], "b": True}
    assert doc.locations["/a/1"] == (2, 12)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: " + "[" * 3_000 + "]" * 3_000 + "\n", (1, 68)),
        ("a: " + "{b: " * 3_000 + "}" * 3_000 + "\n", (1, 260)),
        ("- " + "[" * 70 + "x" + "]" * 70 + "\n", (1, 67)),
    ],
)
def test_deep_flow_nesting_is_our_message_whatever_the_libyaml_limit(
    text: str, where: tuple[int, int]
) -> None:
    # libyaml >= 0.2.5 stops at 1000 levels with a message of its own, and its scanner reads
    # ahead, so the C parser alone would report a different place and wording.
    with pytest.raises(LoadError) as info:
        parse(text, "deep.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == where
    assert problem.message == f"nesting deeper than {MAX_DEPTH} levels"


def test_other_yaml_errors_pass_through_the_depth_fallback() -> None:
    # many brackets make the fallback walk run; the real error is still the one reported
    with pytest.raises(LoadError, match=r"^bad\.yaml:2:\d+: invalid YAML: "):
        parse("key: [1, 2\nother: }\n" + "{" * 70, "bad.yaml")
