"""The documentation stays true: docs/cli.md matches the parser, and the nav is complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_cli_md_is_generated_from_the_parser() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_cli_md.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, (
        "docs/cli.md is out of date: run `python tools/gen_cli_md.py`\n" + proc.stderr
    )


def test_cli_md_documents_every_command() -> None:
    from icmaps.cli import _parser

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    sub = next(a for a in _parser()._actions if hasattr(a, "choices") and a.choices)
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"## `icmaps {name}`" in text


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    missing = [p for p in pages if f" {p}" not in nav]
    assert not missing, f"add these pages to the nav in mkdocs.yml: {missing}"
