"""SeenKeys: repeated keys across the batches of a stream, in 64-bit words, in bounded memory."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from icmaps.ratings.columns import _intern
from icmaps.ratings.seen import SeenKeys


def _cols(rows: list[tuple[str, str]], rater: str = "r") -> dict[str, Any]:
    return {
        "subject": _intern([s for s, _ in rows]),
        "rater": _intern([rater] * len(rows)),
        "occasion": _intern(["o"] * len(rows)),
        "component": _intern(["c"] * len(rows)),
        "code": _intern([c for _, c in rows]),
    }


def test_seen_keys_across_batches() -> None:
    seen = SeenKeys()
    keep, problems = seen.check(_cols([("a", "1"), ("b", "1")]), np.array([2, 3]), "f")
    assert keep is None
    assert problems == []
    keep, problems = seen.check(
        _cols([("c", "1"), ("a", "1"), ("b", "2")]), np.array([4, 5, 6]), "f"
    )
    assert keep is not None
    assert keep.tolist() == [0]
    assert [(p.line, p.severity) for p in problems] == [(5, "warning"), (6, "error")]
    assert "(same as line 2)" in problems[0].message
    assert "'2' here, '1' on line 3" in problems[1].message
    # a conflict inside a batch is remembered: later ratings of that key conflict too
    keep, problems = seen.check(_cols([("d", "1"), ("d", "2")]), np.array([7, 8]), "f")
    assert keep is not None
    assert keep.tolist() == []
    keep, problems = seen.check(_cols([("d", "1")]), np.array([9]), "f")
    assert keep is not None
    assert keep.tolist() == []
    assert problems[0].message.endswith("'1' here, '1' on line 7")


@pytest.mark.parametrize(("max_bits", "mode"), [(64, "words"), (26, "lines apart"), (14, "dict")])
def test_keys_widen_then_lines_move_apart_then_keys_go_to_a_dict(max_bits: int, mode: str) -> None:
    seen = SeenKeys()
    seen.MAX_BITS = max_bits
    n = 3_000  # more subjects than the first bits allow: words are re-packed
    first = _cols([(f"s{i}", "1") for i in range(n)])
    assert seen.check(first, np.arange(n) + 2, "f") == (None, [])
    # 12 bits of subject, 3 more key bits, a code bit and the flag: 17; lines need 12 more
    got = (
        "dict" if seen.slow is not None else "lines apart" if seen.word.line_bits == 0 else "words"
    )
    assert got == mode
    more = _cols([("s7", "1"), ("new", "1"), ("s8", "2")])
    keep, problems = seen.check(more, np.array([9000, 9001, 9002]), "f")
    assert keep is not None
    assert keep.tolist() == [1]
    assert problems[0].message.endswith("(same as line 9); kept once")
    assert "'2' here, '1' on line 10" in problems[1].message
    keep, problems = seen.check(_cols([("new", "1")]), np.array([9003]), "f")
    assert keep is not None
    assert keep.tolist() == []
    assert problems[0].message.endswith("(same as line 9001); kept once")
    assert len(seen) == n + 1


def test_a_word_is_eight_bytes_a_key() -> None:
    seen = SeenKeys()
    lines = 2
    for b in range(20):  # 20 batches of 5,000 new keys: runs join the main array as they grow
        rows = [(f"s{b}-{i}", "1") for i in range(5_000)]
        seen.check(_cols(rows), np.arange(lines, lines + 5_000), "f")
        lines += 5_000
        # recent keys wait in runs only until they hold a sixteenth of the main array
        assert sum(len(w) for w, _ in seen.runs) * seen.FRACTION < max(len(seen), 5_000 * 17)
    assert len(seen) == 100_000
    assert seen.nbytes <= 100_000 * 8 * (1 + 1 / 16 + 1 / 16) + 4096


class _Model:
    """What SeenKeys must answer, by brute force: the first line, code and conflict per key."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], tuple[int, str, bool]] = {}

    def check(self, rows: list[tuple[str, str, str]], lines: list[int]) -> tuple[list[int], list]:
        keep, problems = [], []
        batch: dict[tuple[str, str], list[int]] = {}
        for i, (s, r, c) in enumerate(rows):
            if (s, r) in self.first:
                line, code, conflict = self.first[(s, r)]
                bad = conflict or code != c
                problems.append((lines[i], "error" if bad else "warning", line))
            else:
                batch.setdefault((s, r), []).append(i)
        for key, idx in batch.items():
            codes = {rows[i][2] for i in idx}
            conflict = len(codes) > 1
            self.first[key] = (lines[idx[0]], rows[idx[0]][2], conflict)
            for i in idx[1:]:
                problems.append((lines[i], "error" if conflict else "warning", lines[idx[0]]))
            if not conflict:
                keep.append(idx[0])
        return sorted(keep), sorted(problems)


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(st.integers(0, 40), st.integers(0, 3), st.sampled_from(["1", "2"])),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=12,
    ),
    max_bits=st.sampled_from([64, 16, 10]),
)
def test_any_stream_of_batches_agrees_with_a_dict(
    batches: list[list[tuple[int, int, str]]], max_bits: int
) -> None:
    seen = SeenKeys()
    seen.MAX_BITS = max_bits  # words, lines apart, or a dict
    seen.FRACTION, seen.BLOCK = 2, 3  # merge into the main array often, in small blocks
    model = _Model()
    line = 2
    for batch in batches:
        rows = [(f"s{s}", f"r{r}", c) for s, r, c in batch]
        lines = list(range(line, line + len(rows)))
        line += len(rows) + 7  # gaps, as blank lines and bad rows leave
        cols = {
            "subject": _intern([s for s, _, _ in rows]),
            "rater": _intern([r for _, r, _ in rows]),
            "occasion": _intern(["o"] * len(rows)),
            "component": _intern(["c"] * len(rows)),
            "code": _intern([c for _, _, c in rows]),
        }
        keep, problems = seen.check(cols, np.array(lines), "f")
        want_keep, want_problems = model.check(rows, lines)
        got_keep = list(range(len(rows))) if keep is None else keep.tolist()
        assert got_keep == want_keep
        got = sorted(
            (p.line, p.severity, int(p.message.split("line ")[-1].split(")")[0].split(";")[0]))
            for p in problems
        )
        assert got == want_problems
    assert len(seen) == len(model.first)


def test_keys_that_come_back_in_another_order_merge_in_place() -> None:
    """Occasion-major files (every subject again each occasion) interleave with kept keys."""
    seen = SeenKeys()
    seen.FRACTION, seen.BLOCK = 2, 64
    line = 2
    for occasion in ("o1", "o2", "o3"):
        for start in range(0, 2_000, 500):
            rows = [(f"s{i}", "1") for i in range(start, start + 500)]
            cols = _cols(rows)
            cols["occasion"] = _intern([occasion] * 500)
            assert seen.check(cols, np.arange(line, line + 500), "f") == (None, [])
            line += 500
    assert len(seen) == 6_000
    main = seen.main[: seen.n]
    assert bool(np.all(main[1:] > main[:-1]))  # sorted, every key once
    again = _cols([("s1999", "1"), ("s0", "2")])
    again["occasion"] = _intern(["o2", "o3"])
    keep, problems = seen.check(again, np.array([9_000_000, 9_000_001]), "f")
    assert keep is not None
    assert keep.tolist() == []
    assert problems[0].message.endswith(f"(same as line {2 + 2_000 + 1_999}); kept once")
    assert problems[1].message.endswith(f"'2' here, '1' on line {2 + 4_000}")


def test_the_callers_line_buffer_is_neither_held_nor_written_through() -> None:
    import array

    seen = SeenKeys()
    seen.MAX_BITS = 26  # 3,000 subjects: lines kept apart from the words
    subjects = [(f"s{i}", "1") for i in range(3_000)]
    seen.check(_cols(subjects), np.arange(2, 3_002, dtype=np.uint32), "f")
    assert seen.word.line_bits == 0
    lines = array.array("I", range(5_000, 5_010))
    again = _cols(subjects[:10], rater="r2")  # new keys, below the kept ones: a run
    assert seen.check(again, np.frombuffer(lines, dtype=np.uint32), "f") == (None, [])
    lines.append(1)  # the batch's own buffer: not held
    lines[0] = 777
    _, problems = seen.check(_cols([("s0", "1")], rater="r2"), np.array([9_000]), "f")
    assert problems[0].message.endswith("(same as line 5000); kept once")
