"""How long `import icmaps` takes in a fresh interpreter, and what it pulls in.

Run: python benchmarks/bench_import.py   (target: <= 150 ms; no pandas/numpy/jinja2)
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from _bytecode import compile_package


def fresh(code: str) -> float:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def main() -> None:
    print(compile_package())
    runs = 15
    bare = statistics.median(fresh("pass") for _ in range(runs))
    imp = statistics.median(fresh("import icmaps") for _ in range(runs))
    first_map = statistics.median(
        fresh("import icmaps; icmaps.load_map('learning-school')") for _ in range(5)
    )
    mods = subprocess.run(
        [sys.executable, "-c", "import icmaps, sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = [
        m for m in ("pandas", "numpy", "jinja2", "pydantic", "yaml", "jsonschema") if m in mods
    ]
    print(f"import icmaps:                 {imp * 1000:7.1f} ms (target <= 150 ms)")
    print(f"import + load a bundled map:   {first_map * 1000:7.1f} ms (pydantic, YAML, schema)")
    print(f"empty statement, for scale:    {bare * 1000:7.3f} ms")
    print(f"heavy modules at import:       {heavy or 'none'}")


if __name__ == "__main__":
    main()
