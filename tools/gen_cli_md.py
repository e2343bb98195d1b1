"""Write docs/cli.md from the argparse parser, so the options tables never drift.

Run ``python tools/gen_cli_md.py`` after changing a command; ``tests/test_docs.py`` fails when
docs/cli.md is not what this script writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from icmaps.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"

HEAD = """# Command line

`icmaps` is a thin shell over the library: every command calls the functions described in
these docs. Exit codes are the same for every command:

| exit | meaning |
|---|---|
| 0 | success (for `validate`: every file is valid) |
| 1 | invalid input: a map or ratings file with problems, each printed as `file:line:col: message` |
| 2 | usage error: bad arguments, a missing file, an unknown map, role, column or occasion |

Errors are one line each on standard error, never a traceback. `--format` chooses the
renderer of a command's result (`text` for people, `json`/`csv` for programs).

This page is generated from the parser by `python tools/gen_cli_md.py`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(p: argparse.ArgumentParser) -> list[str]:
    rows = []
    for a in p._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if a.option_strings:
            name = ", ".join(f"`{o}`" for o in a.option_strings)
            if a.nargs != 0:
                name += f" `{a.metavar or a.dest.upper()}`"
        else:
            name = f"`{a.metavar or a.dest}`" + (" ..." if a.nargs in ("*", "+") else "")
        values = " \\| ".join(f"`{c}`" for c in a.choices) if a.choices else ""
        default = (
            ""
            if a.default in (None, False, argparse.SUPPRESS) or a.nargs in ("*", "+")
            else f"`{a.default}`"
        )
        what = a.help or ("output format" if a.dest == "format" else "")
        rows.append(f"| {_cell(name)} | {values} | {default} | {_cell(what)} |")
    return rows


def render() -> str:
    """The text of docs/cli.md."""
    out = [HEAD]

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for a in p._actions:
            if not isinstance(a, argparse._SubParsersAction):
                continue
            helps = {c.dest: c.help for c in a._choices_actions}
            for name, sp in a.choices.items():
                full = f"{prefix} {name}".strip()
                usage = " ".join(sp.format_usage().split())
                usage = usage.removeprefix("usage: ")
                out.append(f"## `icmaps {full}`\n")
                if helps.get(name):
                    text = _cell(helps[name] or "")
                    out.append(f"{text[:1].upper()}{text[1:]}.\n")
                out.append(f"```text\n{usage}\n```\n")
                rows = _rows(sp)
                if rows:
                    out.append("| argument | values | default | what it does |")
                    out.append("|---|---|---|---|")
                    out.extend(rows)
                    out.append("")
                walk(sp, full)

    walk(_parser(), "")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    """Write docs/cli.md; with ``--check``, exit 1 when it is out of date instead."""
    text = render()
    if "--check" in sys.argv[1:]:
        return 0 if TARGET.read_text(encoding="utf-8") == text else 1
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
