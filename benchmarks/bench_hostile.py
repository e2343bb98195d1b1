"""Hostile inputs: time and peak memory of each case, against the targets (2 s, 300 MB).

Run: ``python benchmarks/bench_hostile.py`` from the repository root. Figures only: the
script never fails on a missed target. Every case of ``tests/data/hostile/`` and every input
``tests/test_hostile.py`` makes (a 50 MiB junk file, a 100,000-column header, a 17 MiB map,
...) runs in a fresh process, as ``icmaps validate`` would: wall time from start to exit
(the interpreter's own start-up, about 0.3 s here, included) and the process's peak memory.
The alternative a user would otherwise have (``yaml.safe_load``, ``pandas.read_csv``) is
timed on the same file where one applies, for scale: neither bounds anything.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_hostile import CASES, GENERATED, _command, run_bounded  # noqa: E402

TARGET_S, TARGET_MB = 2.0, 300

BASELINES = {
    ".yaml": "import yaml, sys; yaml.safe_load(open(sys.argv[1], encoding='utf-8'))",
    ".csv": "import pandas, sys; pandas.read_csv(sys.argv[1], dtype=str)",
}


def _baseline(path: Path) -> str:
    code = BASELINES.get(path.suffix)
    if code is None:
        return ""
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return "baseline: > 60 s"
    took = time.perf_counter() - t
    return f"baseline {took:5.2f} s" + (" (fails)" if proc.returncode else "")


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = list(CASES)
        for name, (_, make, _) in GENERATED.items():
            p = Path(tmp) / name
            make(p)
            paths.append(p)
        for path in paths:
            t = time.perf_counter()
            code, _, rss = run_bounded(*_command(path))
            took = time.perf_counter() - t
            ok = took <= TARGET_S and rss <= TARGET_MB
            rows.append((path.name, took, rss, code, ok, _baseline(path)))
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  time    peak   exit  target  alternative")
    for name, took, rss, code, ok, base in rows:
        flag = "ok" if ok else "MISSED"
        print(f"{name:<{width}}  {took:5.2f} s  {rss:4d} MB  {code:4d}  {flag:<6}  {base}")
    worst_t = max(r[1] for r in rows)
    worst_m = max(r[2] for r in rows)
    print(
        f"\n{len(rows)} cases; slowest {worst_t:.2f} s (target {TARGET_S} s), "
        f"largest {worst_m} MB (target {TARGET_MB} MB); "
        f"{sum(not r[4] for r in rows)} missed"
    )


if __name__ == "__main__":
    main()
