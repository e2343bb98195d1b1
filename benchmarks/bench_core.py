"""Core statistics and the HTML report on 1,000,000 ratings, against pandas on the same file.

Run: ``python benchmarks/bench_core.py [--rows N] [--quick] [--raters-scenario]``
(``--help`` lists every option). Figures only: the script never fails on a missed target.

Scenario 1 (always, unless ``--raters-only``): ``--rows`` (default 1,000,000) long-CSV
ratings of the bundled map ``learning-school`` (subjects x 5 raters x 4 occasions x the
map's 20 components, subjects chosen so the file has N rows; columns subject, rater,
occasion, component, code and a ``district`` attribute; codes drawn from each component's
level codes with ``random.Random(seed)``). The file is written once to a temporary folder and
reused. Every task runs in a fresh child process, best of ``--repeat`` (3); wall time with
``time.perf_counter``, memory as the ``resource.getrusage`` ``ru_maxrss`` delta.

* baseline: pandas ``read_csv(path, dtype=str, keep_default_na=False)`` +
  ``groupby(["component", "code"]).size()``;
* ``icmaps.read_ratings``;
* after reading (the read is not timed): ``fidelity``, ``consensus``, ``compare`` (first vs
  last occasion), ``gap_to_target`` (``"ideal"``) and ``agreement`` (Krippendorff, ordinal).
  Each is called once on the file's first 2,000 rows first, so lazy imports are not timed;
  its memory is the peak above what the process held after reading (the peak is reset
  through ``/proc/self/clear_refs`` on Linux; elsewhere it is the peak of read + statistic);
* read + ``icmaps.report`` + HTML file written, as ``icmaps report MAP RATINGS -o out.html``
  does (``errors="collect"``), timed together, with its peak memory per rating.

Targets (scenario 1): each statistic <= 0.25x pandas; read + report <= 1.5x pandas; report
peak <= 300 B per rating.

Scenario 2 (``--raters-scenario``): 200,000 ratings (``--raters-ratings``) from 5,000
raters (``--raters-count``); each unit (subject x occasion x component) is rated by 2-4 raters
drawn at random. After reading, Krippendorff's alpha (ordinal) and percent agreement are
timed together (the targets: < 2 s and < 500 MB above what the read holds), then each alone
in its own child, with their peak memory and values. A child that raises
(``MemoryError`` included), is killed, or runs longer than ``--timeout`` (120 s) is reported
as such. ``--mem-limit`` (MB, default 16384, 0 for none) caps that child's address space so
an oversized allocation raises ``MemoryError`` instead of exhausting the machine.

``--quick``: 100,000 rows and 20,000 ratings in scenario 2, one repeat, for a sanity run.
Third-party imports (pandas, numpy, pyarrow, jinja2) and loading the map are never timed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from _bytecode import compile_package

MAP = "learning-school"
RATERS = ("r1", "r2", "r3", "r4", "r5")
OCCASIONS = ("2024-fall", "2025-spring", "2025-fall", "2026-spring")
N_DISTRICTS = 40
WARMUP_ROWS = 2_000  # the warm-up call of a statistic reads the data file's first rows
FILE_VERSION = 1  # bump when the generated data change, so cached files are not reused

STATISTICS = ("fidelity", "consensus", "compare", "gap_to_target", "agreement")
STAT_TARGET = 0.25  # x pandas read + groupby
REPORT_TARGET = 1.5  # x pandas read + groupby
REPORT_PEAK_TARGET = 300.0  # bytes per rating
RATERS_TIME_TARGET = 2.0  # seconds
RATERS_PEAK_TARGET = 500.0  # MB

Result = dict[str, Any]


# -- data ------------------------------------------------------------------------------------


def _component_codes() -> list[tuple[str, tuple[str, ...]]]:
    import icmaps

    m = icmaps.load_map(MAP)
    return [(c.id, tuple(m.scale_of(c.id).codes())) for c in m.iter_components()]


def _atomic_csv(path: Path, write: Callable[[Any], None]) -> None:
    part = path.with_suffix(".part")
    with part.open("w", newline="", encoding="utf-8") as f:
        write(csv.writer(f))
    part.replace(path)


def make_core_file(path: Path, rows: int, seed: int) -> None:
    """Long CSV: subjects x raters x occasions x components, exactly ``rows`` ratings."""
    comps = _component_codes()
    rnd = random.Random(seed)

    def write(w: Any) -> None:
        w.writerow(["subject", "rater", "occasion", "component", "code", "district"])
        per_subject = len(RATERS) * len(OCCASIONS) * len(comps)
        n = 0
        for s in range(math.ceil(rows / per_subject)):
            subject, district = f"school-{s:05d}", f"district-{s % N_DISTRICTS:02d}"
            for rater in RATERS:
                for occ in OCCASIONS:
                    for cid, codes in comps:
                        if n == rows:
                            return
                        w.writerow([subject, rater, occ, cid, rnd.choice(codes), district])
                        n += 1

    _atomic_csv(path, write)


def make_raters_file(path: Path, rows: int, n_raters: int, seed: int) -> None:
    """Long CSV: each subject x occasion x component rated by 2-4 of ``n_raters`` raters."""
    comps = _component_codes()
    rnd = random.Random(seed)
    width = len(str(n_raters - 1))
    raters = [f"rater-{i:0{width}d}" for i in range(n_raters)]

    def write(w: Any) -> None:
        w.writerow(["subject", "rater", "occasion", "component", "code", "district"])
        n = 0
        s = 0
        while True:
            subject, district = f"school-{s:05d}", f"district-{s % N_DISTRICTS:02d}"
            for occ in OCCASIONS:
                for cid, codes in comps:
                    for rater in rnd.sample(raters, rnd.randint(2, 4)):
                        if n == rows:
                            return
                        w.writerow([subject, rater, occ, cid, rnd.choice(codes), district])
                        n += 1
            s += 1

    _atomic_csv(path, write)


def cached(name: str, make: Callable[[Path], None], regenerate: bool) -> tuple[Path, Path]:
    """The data file (written once) and a warm-up file of its first rows."""
    folder = Path(tempfile.gettempdir()) / "icmaps-bench"
    folder.mkdir(exist_ok=True)
    path = folder / name
    warmup = path.with_name(f"{path.stem}-warmup.csv")
    if regenerate or not path.exists() or not warmup.exists():
        t = time.perf_counter()
        make(path)
        with path.open(encoding="utf-8") as src, warmup.open("w", encoding="utf-8") as dst:
            dst.writelines(itertools.islice(src, WARMUP_ROWS + 1))
        print(f"wrote {path} in {time.perf_counter() - t:.1f} s", flush=True)
    return path, warmup


# -- child process ---------------------------------------------------------------------------


def _maxrss() -> int:
    """Peak resident memory of this process so far, in bytes (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _hwm() -> int | None:
    """VmHWM (peak RSS) from /proc, in bytes; None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the peak RSS to the current RSS (Linux only); True when it worked."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return _hwm() is not None


def _statistic(task: str) -> Callable[[Any], Any]:
    """The public call timed for ``task`` (only the functions it needs are looked up)."""
    import icmaps

    if task == "fidelity":
        return icmaps.fidelity
    if task == "consensus":
        return icmaps.consensus
    if task == "compare":
        return partial(icmaps.compare, by="occasion", base=OCCASIONS[0], other=OCCASIONS[-1])
    if task == "gap_to_target":
        return partial(icmaps.gap_to_target, target="ideal")
    if task == "agreement":
        return partial(icmaps.agreement, method="krippendorff", level="ordinal")
    if task == "krippendorff":  # scenario 2: the value is printed
        return lambda rs: [_value(icmaps.agreement(rs, method="krippendorff", level="ordinal"))]
    if task == "percent":
        return lambda rs: [_value(icmaps.agreement(rs, method="percent"))]
    if task in ("gwet", "brennan-prediger", "conger"):  # scenario 2: the new coefficients
        return lambda rs: [_value(icmaps.agreement(rs, method=task))]
    if task == "krippendorff+percent":
        return lambda rs: [
            _value(icmaps.agreement(rs, method="krippendorff", level="ordinal")),
            _value(icmaps.agreement(rs, method="percent")),
        ]
    raise ValueError(f"unknown task {task!r}")


def _value(report: Any) -> float | None:
    value: float | None = report.overall.value
    return value


def _preimport() -> None:
    for name in ("numpy", "pyarrow", "pyarrow.csv", "jinja2"):
        with contextlib.suppress(ImportError):
            __import__(name)


def child(spec: Result) -> Result:
    """Run one task and return its figures; runs in a fresh process."""
    task: str = spec["task"]
    path: str = spec["path"]
    if task == "pandas":
        import pandas as pd

        base = _maxrss()
        t = time.perf_counter()
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df.groupby(["component", "code"]).size()
        dt = time.perf_counter() - t
        return {"seconds": dt, "rows": len(df), "peak_bytes": _maxrss() - base}

    import icmaps

    _preimport()
    m = icmaps.load_map(MAP)

    if task == "read":
        base = _maxrss()
        t = time.perf_counter()
        rs = icmaps.read_ratings(path, m)
        dt = time.perf_counter() - t
        return {"seconds": dt, "rows": len(rs), "peak_bytes": _maxrss() - base}

    if task == "report":
        out = Path(spec["out"])
        base = _maxrss()
        t = time.perf_counter()
        result = icmaps.read_ratings(path, m, errors="collect")
        r = icmaps.report(m, result, by=spec.get("report_by"))
        r.write_html(out)
        dt = time.perf_counter() - t
        peak = _maxrss() - base
        size = out.stat().st_size
        out.unlink()
        return {
            "seconds": dt,
            "rows": len(result.ratings),
            "problems": len(result.problems),
            "peak_bytes": peak,
            "html_bytes": size,
        }

    # statistics after reading: warm up on the file's first rows (lazy imports), read, time
    fn = _statistic(task)
    fn(icmaps.read_ratings(spec["warmup"], m))
    if spec.get("mem_limit_mb"):
        limit = int(spec["mem_limit_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    base = _maxrss()
    rs = icmaps.read_ratings(path, m)
    reset = _reset_peak()
    if reset:
        hwm = _hwm()
        assert hwm is not None
        base = hwm
    t = time.perf_counter()
    value = fn(rs)
    dt = time.perf_counter() - t
    peak = (_hwm() or 0) if reset else _maxrss()
    res: Result = {
        "seconds": dt,
        "rows": len(rs),
        "peak_bytes": peak - base,
        "peak_scope": "statistic" if reset else "read + statistic",
        "process_peak_bytes": _maxrss(),
    }
    if spec.get("values"):
        res["values"] = value
    return res


def _child_main(arg: str) -> None:
    spec = json.loads(arg)
    try:
        res = child(spec)
    except MemoryError:
        res = {"error": "MemoryError"}
    except Exception as exc:
        res = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    print(json.dumps(res))


# -- parent ----------------------------------------------------------------------------------


def run(spec: Result, repeat: int, timeout: float | None = None) -> Result:
    """Best of ``repeat`` fresh child processes; an ``error`` entry when a child fails."""
    best: Result | None = None
    for _ in range(repeat):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout: still running after {timeout:g} s (killed)"}
        lines = proc.stdout.strip().splitlines()
        try:
            res: Result = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            how = (
                f"killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"exit code {proc.returncode}"
            )
            return {"error": f"child {how}: {tail[0]}"}
        if "error" in res:
            return res
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    assert best is not None
    return best


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def core_scenario(args: argparse.Namespace) -> None:
    rows: int = args.rows
    path, warmup = cached(
        f"core-{MAP}-{rows}-seed{args.seed}-v{FILE_VERSION}.csv",
        lambda p: make_core_file(p, rows, args.seed),
        args.regenerate,
    )
    print(
        f"scenario 1: {path} ({rows:,} ratings, {path.stat().st_size / 1e6:.1f} MB), "
        f"map {MAP}, best of {args.repeat}, fresh process each",
        flush=True,
    )
    spec: Result = {"path": str(path), "warmup": str(warmup)}
    out = Path(tempfile.gettempdir()) / "icmaps-bench" / f"report-{os.getpid()}.html"
    table: list[tuple[str, Result]] = []
    pandas = run({**spec, "task": "pandas"}, args.repeat)
    if "error" in pandas:
        print(f"pandas baseline failed: {pandas['error']}")
        return
    table.append(("pandas read_csv + groupby size", pandas))
    table.append(("icmaps read_ratings", run({**spec, "task": "read"}, args.repeat)))
    for task in STATISTICS:
        table.append((f"{task} (after read)", run({**spec, "task": task}, args.repeat)))
    report_spec = {**spec, "task": "report", "out": str(out), "report_by": args.report_by}
    table.append(("read + report -> HTML file", run(report_spec, args.repeat)))

    base = pandas["seconds"]
    print(f"{'what':34} {'seconds':>8} {'x pandas':>9} {'peak B/rating':>14}")
    for name, r in table:
        if "error" in r:
            print(f"{name:34} FAILED: {r['error']}")
            continue
        print(
            f"{name:34} {r['seconds']:8.3f} {r['seconds'] / base:9.3f} "
            f"{r['peak_bytes'] / r['rows']:14.1f}"
        )
    scopes = sorted({r["peak_scope"] for _, r in table if "peak_scope" in r})
    if scopes:
        what = (
            "above the memory held after reading"
            if scopes == ["statistic"]
            else "over read + statistic (peak not resettable here)"
        )
        print(f"  (statistics' peak: {what})")
    rep = table[-1][1]
    if "error" not in rep:
        print(
            f"  (report: {rep['rows']:,} ratings, {rep['problems']} problem(s), "
            f"HTML {rep['html_bytes'] / 1e3:.0f} kB)"
        )

    print("targets:")
    for name, r in table[2:-1]:
        if "error" in r:
            print(f"  {name:32} <= {STAT_TARGET:.2f}x pandas   MISS (failed)")
            continue
        x = r["seconds"] / base
        print(f"  {name:32} {x:6.3f}x <= {STAT_TARGET:.2f}x pandas   {_verdict(x <= STAT_TARGET)}")
    if "error" in rep:
        print(f"  {'read + report':32} <= {REPORT_TARGET:.2f}x pandas   MISS (failed)")
        print(f"  {'report peak':32} <= {REPORT_PEAK_TARGET:.0f} B/rating   MISS (failed)")
    else:
        x = rep["seconds"] / base
        b = rep["peak_bytes"] / rep["rows"]
        print(
            f"  {'read + report':32} {x:6.3f}x <= {REPORT_TARGET:.2f}x pandas   "
            f"{_verdict(x <= REPORT_TARGET)}"
        )
        print(
            f"  {'report peak':32} {b:6.1f} <= {REPORT_PEAK_TARGET:.0f} B/rating   "
            f"{_verdict(b <= REPORT_PEAK_TARGET)}"
        )


def raters_scenario(args: argparse.Namespace) -> None:
    rows: int = args.raters_ratings
    n_raters: int = args.raters_count
    path, warmup = cached(
        f"raters-{MAP}-{rows}-{n_raters}-seed{args.seed}-v{FILE_VERSION}.csv",
        lambda p: make_raters_file(p, rows, n_raters, args.seed),
        args.regenerate,
    )
    print(
        f"scenario 2: {path} ({rows:,} ratings, {n_raters:,} raters, 2-4 raters per unit), "
        f"best of {args.repeat}, timeout {args.timeout:g} s, "
        f"address-space limit {args.mem_limit or 'none'} MB",
        flush=True,
    )
    spec: Result = {
        "path": str(path),
        "warmup": str(warmup),
        "mem_limit_mb": args.mem_limit,
        "values": True,
    }
    tasks = {
        "krippendorff (ordinal) + percent": "krippendorff+percent",
        "  krippendorff (ordinal) alone": "krippendorff",
        "  percent alone": "percent",
        "  gwet AC1 alone": "gwet",
        "  brennan-prediger alone": "brennan-prediger",
        "  conger alone": "conger",
    }
    table = [
        (name, run({**spec, "task": t}, args.repeat, args.timeout)) for name, t in tasks.items()
    ]
    print(f"{'what':34} {'seconds':>8} {'peak MB':>9} {'process peak MB':>16}  value(s)")
    for name, r in table:
        if "error" in r:
            print(f"{name:34} {r['error']}")
            continue
        values = ", ".join("None" if v is None else f"{v:.4f}" for v in r["values"])
        print(
            f"{name:34} {r['seconds']:8.3f} {r['peak_bytes'] / 1e6:9.1f} "
            f"{r['process_peak_bytes'] / 1e6:16.1f}  {values}"
        )
    scopes = sorted({r["peak_scope"] for _, r in table if "peak_scope" in r})
    if scopes:
        print(f"  (peak MB over: {', '.join(scopes)}; process peak MB: the whole child)")
    both = table[0][1]
    if "error" in both:
        print(
            f"targets (together): < {RATERS_TIME_TARGET:g} s MISS (failed); "
            f"< {RATERS_PEAK_TARGET:g} MB MISS (failed)"
        )
        return
    mb = both["peak_bytes"] / 1e6
    print(
        f"targets (together): {both['seconds']:.3f} s < {RATERS_TIME_TARGET:g} s "
        f"{_verdict(both['seconds'] < RATERS_TIME_TARGET)}; "
        f"{mb:.1f} MB < {RATERS_PEAK_TARGET:g} MB {_verdict(mb < RATERS_PEAK_TARGET)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        _child_main(argv[1])
        return
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=None, help="scenario 1 size (1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 rows / 20,000, one repeat")
    ap.add_argument("--repeat", type=int, default=None, help="children per task, best kept (3)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--report-by", default=None, help="report split (e.g. district)")
    ap.add_argument("--raters-scenario", action="store_true", help="also run scenario 2")
    ap.add_argument("--raters-only", action="store_true", help="run scenario 2 only")
    ap.add_argument("--raters-ratings", type=int, default=None, help="scenario 2 size (200,000)")
    ap.add_argument("--raters-count", type=int, default=5_000)
    ap.add_argument("--timeout", type=float, default=120.0, help="scenario 2, per child (s)")
    ap.add_argument("--mem-limit", type=int, default=16_384, help="scenario 2, MB (0: none)")
    ap.add_argument("--regenerate", action="store_true", help="rewrite the cached CSV files")
    args = ap.parse_args(argv)
    if args.rows is None:
        args.rows = 100_000 if args.quick else 1_000_000
    if args.raters_ratings is None:
        args.raters_ratings = 20_000 if args.quick else 200_000
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    print(f"python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} CPU(s)")
    print(compile_package())
    if not args.raters_only:
        core_scenario(args)
    if args.raters_scenario or args.raters_only:
        if not args.raters_only:
            print()
        raters_scenario(args)


if __name__ == "__main__":
    main()
