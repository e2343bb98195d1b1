"""Shared fixtures: the data-driven corpus and a CLI runner."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from icmaps.cli import run

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_subprocess(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m icmaps`` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "icmaps", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        check=False,
    )


@pytest.fixture
def cli() -> object:
    return run_cli
