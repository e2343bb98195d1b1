"""Pseudonyms: subject and rater names replaced by stable keyed codes, everywhere."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from pathlib import Path

import pytest

import icmaps
from icmaps.errors import UsageError
from icmaps.ratings.privacy import pseudonym, pseudonymize, read_key
from tests.conftest import run_cli

EXAMPLE = icmaps.example_ratings("learning-school")
KEY = b"a-key-of-more-than-sixteen-bytes"


def _names() -> set[str]:
    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    return {str(v) for c in ("subject", "rater") for v in rs.categories(c) if v is not None}


def test_pseudonyms_are_keyed_hmac_and_stable() -> None:
    want = "S-" + hmac.new(KEY, b"subject:lincoln", hashlib.sha256).hexdigest()[:12]
    assert pseudonym(KEY, "subject", "lincoln") == want
    assert pseudonym(KEY, "subject", "lincoln") != pseudonym(KEY + b"x", "subject", "lincoln")
    rs = icmaps.read_ratings(EXAMPLE, "learning-school")
    a, table = pseudonymize(rs, KEY)
    b, _ = pseudonymize(rs, KEY)
    assert a == b  # the same key gives the same pseudonyms
    assert not _names() & (set(a.categories("subject")) | set(a.categories("rater")))
    # the statistics do not change, only the names
    assert icmaps.summarize(a).to_records() == icmaps.summarize(rs).to_records()
    assert {name for _, _, name in table} == _names()
    with pytest.raises(UsageError, match="at least 16 bytes"):
        pseudonymize(rs, b"short")


def test_no_real_name_in_any_output(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY.decode())
    names = _names()
    outputs = []
    for args in (
        ("report", "learning-school", EXAMPLE, "-o", str(tmp_path / "r.html")),
        ("report", "learning-school", EXAMPLE, "-o", str(tmp_path / "r.json")),
        ("report", "learning-school", EXAMPLE, "-o", str(tmp_path / "r.md")),
        ("fidelity", "learning-school", EXAMPLE, "--format", "csv"),
        ("compare", "learning-school", EXAMPLE, "--format", "json"),
        ("summarize", "learning-school", EXAMPLE, "--by", "subject", "--format", "json"),
        ("trend", "learning-school", EXAMPLE),
        ("configurations", "learning-school", EXAMPLE, "--format", "json"),
    ):
        code, out, err = run_cli(*args, "--pseudonymize", str(keyfile))
        assert code == 0, err
        outputs.append(out)
    for f in ("r.html", "r.json", "r.md"):
        outputs.append((tmp_path / f).read_text(encoding="utf-8"))
    text = "\n".join(outputs)
    for name in names:
        assert name not in text, name
    assert "pseudonymized" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "r.json").read_text())["privacy"].startswith("subject and")
    # the key back to names is written only when asked for
    table = tmp_path / "names.csv"
    code, _, err = run_cli(
        "summarize",
        "learning-school",
        EXAMPLE,
        "--pseudonymize",
        str(keyfile),
        "--pseudonym-map",
        str(table),
    )
    assert code == 0, err
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert table.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert {r["name"] for r in rows} == names
    code, _, err = run_cli("summarize", "learning-school", EXAMPLE, "--pseudonym-map", "x.csv")
    assert code == 2
    assert "needs --pseudonymize" in err


def test_a_short_or_missing_key_is_refused(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("abc")
    with pytest.raises(UsageError, match="at least 16 random bytes"):
        read_key(short)
    code, _, err = run_cli(
        "trend", "learning-school", EXAMPLE, "--pseudonymize", str(tmp_path / "missing")
    )
    assert code == 2
    assert "cannot read the pseudonym key" in err


def test_problems_listed_in_a_report_show_pseudonyms_too(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY.decode())
    lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()
    # a repeated row (a warning naming subject and rater) and a district that differs
    first = lines[1].split(",")
    changed = ",".join([*first[:-1], "other-usd"])
    path = tmp_path / "warned.csv"
    path.write_text("\n".join([*lines, lines[1], changed.replace(first[2], "2030-x")]) + "\n")
    out = tmp_path / "r.json"
    code, _, err = run_cli(
        "report",
        "learning-school",
        str(path),
        "--pseudonymize",
        str(keyfile),
        "-o",
        str(out),
        "--allow-problems",
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert json.loads(text)["problems"]  # the warnings are listed ...
    for name in _names():
        assert name not in text, name  # ... with pseudonyms only


def test_plan_and_profile_take_the_real_subject_name_under_pseudonyms(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY.decode())
    want = pseudonym(KEY, "subject", "lincoln-elementary")
    for args in (
        ("plan", "learning-school", EXAMPLE, "--subject", "lincoln-elementary"),
        ("plan", "learning-school", EXAMPLE, "--subject", want),
        (
            "report",
            "learning-school",
            EXAMPLE,
            "--subject",
            "lincoln-elementary",
            "--format",
            "json",
        ),
    ):
        code, out, err = run_cli(*args, "--pseudonymize", str(keyfile))
        assert code == 0, err
        assert want in out
        assert "lincoln-elementary" not in out
