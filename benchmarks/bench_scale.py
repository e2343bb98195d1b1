"""Scaling out: streaming a large CSV, Parquet against CSV, Dask on a local cluster.

Run: ``python benchmarks/bench_scale.py [--rows N] [--files K] [--per-file M] [--quick]``
(``--help`` lists every option). Figures only: the script never fails on a missed target.

Data (written once to ``$TMPDIR/icmaps-bench-scale`` with numpy and pyarrow, then reused):
``--rows`` (default 20,000,000) long-CSV ratings of the bundled map ``learning-school``
(subjects x 5 raters x 4 occasions x the map's 20 components; a ``district`` attribute;
codes drawn from each component's level codes with ``numpy.random.default_rng(seed)``),
its first 1,000,000 rows as CSV and as Parquet, and ``--files`` (8) files of ``--per-file``
(1,000,000) ratings each (distinct subjects per file), as Parquet and as CSV.

Every task runs in a fresh child process (icmaps byte-compiled first, as an install is);
wall time with ``time.perf_counter``; peak memory is the child's own peak RSS (VmHWM: the
interpreter and its imports included).

1. ``icmaps summarize MAP big.csv --by district`` (the command; it streams, the file being
   above 100 MB) against pandas ``read_csv`` + ``groupby(["district", "component",
   "code"]).size()`` on the 1M slice: ratings per second per core, and the peak memory of
   the command (target: < 400 MB; throughput per core >= pandas').
   ``read_ratings`` of the 1M slice in memory gives the in-memory peak per rating beside it.
2. ``read_ratings`` of 1M ratings from Parquet and from CSV (target: Parquet <= 0.3x CSV).
3. ``icmaps.dask.tally`` on a ``LocalCluster`` of 2 worker processes over the 8 Parquet
   (and CSV) files, against ``count_ratings`` in one process over the same files (target:
   <= 1.1x on a 2-core machine) and dask's own ``read_parquet`` + ``groupby(...).size()``
   on the same cluster; the answers are compared, and ratings per second per worker (the
   figure docs/scale.md sizes clusters from) printed.

``--quick``: 2,000,000 rows and 4 files of 250,000, for a sanity run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from _bytecode import compile_package

MAP = "learning-school"
RATERS = ("r1", "r2", "r3", "r4", "r5")
OCCASIONS = ("2024-fall", "2025-spring", "2025-fall", "2026-spring")
N_DISTRICTS = 40
SLICE = 1_000_000


# -- data ------------------------------------------------------------------------------------


def _table(rows: int, first_subject: int, seed: int) -> Any:
    """``rows`` ratings as a pyarrow table: subjects x raters x occasions x components."""
    import numpy as np
    import pyarrow as pa

    import icmaps

    m = icmaps.load_map(MAP)
    comps = [c.id for c in m.iter_components()]
    codes = [tuple(m.scale_of(c).codes()) for c in comps]
    per_subject = len(RATERS) * len(OCCASIONS) * len(comps)
    i = np.arange(rows, dtype=np.int64)
    subject = first_subject + i // per_subject
    rest = i % per_subject
    rater = rest // (len(OCCASIONS) * len(comps))
    occ = (rest // len(comps)) % len(OCCASIONS)
    comp = rest % len(comps)
    rng = np.random.default_rng(seed)
    n_codes = np.asarray([len(c) for c in codes])
    pick = (rng.random(rows) * n_codes[comp]).astype(np.int64)
    flat = [c for cs in codes for c in cs]
    offset = np.concatenate([[0], np.cumsum(n_codes)[:-1]])
    code = np.asarray(flat, dtype=object)[offset[comp] + pick]
    n_subjects = int(subject.max() - first_subject + 1) if rows else 0
    subject_names = np.asarray(
        [f"school-{s:07d}" for s in range(first_subject, first_subject + n_subjects)],
        dtype=object,
    )
    return pa.table(
        {
            "subject": subject_names[subject - first_subject],
            "rater": np.asarray(RATERS, dtype=object)[rater],
            "occasion": np.asarray(OCCASIONS, dtype=object)[occ],
            "component": np.asarray(comps, dtype=object)[comp],
            "code": code,
            "district": np.asarray([f"district-{d:02d}" for d in range(N_DISTRICTS)], dtype=object)[
                subject % N_DISTRICTS
            ],
        }
    )


def _write(table: Any, path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    part = path.with_name(path.name + ".part")
    if path.suffix == ".parquet":
        pq.write_table(table, part)
    else:
        pacsv.write_csv(table, part, pacsv.WriteOptions(quoting_style="none", include_header=True))
    part.replace(path)


def make_data(folder: Path, rows: int, files: int, per_file: int, seed: int) -> dict[str, Any]:
    """Write what is missing; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / f"big-{rows}.csv"
    chunk = 2_000_000
    if not big.exists():
        t = time.perf_counter()
        part = big.with_name(big.name + ".part")
        import pyarrow.csv as pacsv

        with part.open("wb") as f:
            for start in range(0, rows, chunk):
                table = _table(min(chunk, rows - start), start // 400, seed + start)
                opts = pacsv.WriteOptions(quoting_style="none", include_header=start == 0)
                pacsv.write_csv(table, f, opts)
        part.replace(big)
        mb = big.stat().st_size / 2**20
        print(f"wrote {big} ({mb:.0f} MB) in {time.perf_counter() - t:.0f} s")
    slice_csv, slice_pq = folder / "slice-1m.csv", folder / "slice-1m.parquet"
    if not slice_csv.exists() or not slice_pq.exists():
        table = _table(SLICE, 0, seed)
        _write(table, slice_csv)
        _write(table, slice_pq)
    parts: dict[str, list[str]] = {"parquet": [], "csv": []}
    for k in range(files):
        table = None
        for kind in ("parquet", "csv"):
            p = folder / f"part-{per_file}-{k:02d}.{kind}"
            if not p.exists():
                if table is None:
                    table = _table(per_file, 10_000_000 * (k + 1), seed + 7 * k)
                _write(table, p)
            parts[kind].append(str(p))
    return {"big": str(big), "slice_csv": str(slice_csv), "slice_pq": str(slice_pq), **parts}


# -- child processes -------------------------------------------------------------------------

_PEAK = textwrap.dedent(
    """
    def _peak():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    """
)


def child(code: str, timeout: float = 3600) -> dict[str, Any]:
    """Run ``code`` (it sets ``out``, a dict) in a fresh interpreter; ``out`` plus the wall
    time of the timed part (``seconds``) and the child's peak RSS (``peak``)."""
    script = _PEAK + "import json, time\nout = {}\n" + textwrap.dedent(code)
    script += "\nout['peak'] = _peak()\nprint(json.dumps(out))\n"
    argv = [sys.executable, "-c", script]
    got = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if got.returncode:
        raise RuntimeError(got.stderr[-3000:])
    return json.loads(got.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best(code: str, repeat: int) -> dict[str, Any]:
    runs = [child(code) for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"])


# -- scenarios -------------------------------------------------------------------------------


def _mb(n: float) -> str:
    return f"{n / 2**20:5.0f} MB"


def streaming(data: dict[str, Any], rows: int, repeat: int) -> None:
    mb = Path(data["big"]).stat().st_size / 2**20
    print(f"\n== 1. streaming summarize of {rows:,} ratings ({mb:.0f} MB CSV)")
    pandas = best(
        f"""
        import pandas as pd
        t = time.perf_counter()
        df = pd.read_csv({data["slice_csv"]!r}, dtype=str, keep_default_na=False)
        df.groupby(["district", "component", "code"]).size()
        out["seconds"] = time.perf_counter() - t
        """,
        repeat,
    )
    cmd = f"""
        import io
        from icmaps.cli import run
        t = time.perf_counter()
        o = io.StringIO()
        argv = ["summarize", {MAP!r}, {data["big"]!r}, "--by", "district", "--format", "json"]
        code = run(argv + EXTRA, out=o, err=io.StringIO())
        out["seconds"] = time.perf_counter() - t
        out["code"] = code
        rows = json.loads(o.getvalue())["rows"]
        out["n"] = sum(r["n"] for r in rows if r["scope"] == "map")
        """
    streamed = best("EXTRA = []\n" + textwrap.dedent(cmd), 1)
    trusted = best("EXTRA = ['--trusted']\n" + textwrap.dedent(cmd), 1)
    memory = best(
        f"""
        import icmaps
        m = icmaps.load_map({MAP!r})
        t = time.perf_counter()
        rs = icmaps.read_ratings({data["slice_csv"]!r}, m)
        icmaps.summarize(rs, by="district")
        out["seconds"] = time.perf_counter() - t
        """,
        1,
    )
    pd_rate = SLICE / pandas["seconds"]
    print(
        f"pandas read_csv + groupby, 1M slice:    {pandas['seconds']:6.2f} s  "
        f"{pd_rate / 1e6:5.2f} M ratings/s  peak {_mb(pandas['peak'])}"
    )
    print(
        f"in memory read_ratings + summarize, 1M: {memory['seconds']:6.2f} s  "
        f"peak {_mb(memory['peak'])} ({memory['peak'] / SLICE:.0f} B/rating)"
    )
    for name, r in (("icmaps summarize (streamed)", streamed), ("  ... --trusted", trusted)):
        rate = rows / r["seconds"]
        print(
            f"{name:39s} {r['seconds']:6.1f} s  {rate / 1e6:5.2f} M ratings/s "
            f"({rate / pd_rate:.2f}x pandas)  peak {_mb(r['peak'])}  "
            f"(exit {r['code']}, n={r['n']:,})"
        )


def parquet(data: dict[str, Any], repeat: int) -> None:
    print("\n== 2. read_ratings of 1M ratings: Parquet against CSV")
    code = """
        import icmaps
        import pyarrow.compute, pyarrow.csv, pyarrow.parquet  # third-party imports: not timed
        m = icmaps.load_map("learning-school")
        t = time.perf_counter()
        rs = icmaps.read_ratings({path!r}, m)
        out["seconds"] = time.perf_counter() - t
        out["n"] = len(rs)
        """
    csv = best(code.format(path=data["slice_csv"]), repeat)
    pq = best(code.format(path=data["slice_pq"]), repeat)
    ratio = pq["seconds"] / csv["seconds"]
    print(f"CSV (pyarrow engine): {csv['seconds']:.2f} s  peak {_mb(csv['peak'])}")
    print(
        f"Parquet:              {pq['seconds']:.2f} s  peak {_mb(pq['peak'])}  "
        f"({ratio:.2f}x CSV; target <= 0.3x)"
    )


def dask_scenario(data: dict[str, Any], kind: str, per_file: int, workers: int) -> None:
    files = data[kind]
    n = per_file * len(files)
    print(f"\n== 3. {len(files)} {kind} files of {per_file:,} ratings, {workers} Dask workers")
    single = best(
        f"""
        import icmaps
        m = icmaps.load_map({MAP!r})
        icmaps.count_ratings({data["slice_pq"]!r}, m, by="district", chunk_rows=1000)  # warm
        t = time.perf_counter()
        c = icmaps.count_ratings({files!r}, m, by=("district",))
        out["seconds"] = time.perf_counter() - t
        out["answer"] = icmaps.summarize(c, by="district").to_dict()
        """,
        1,
    )
    on_dask = best(
        f"""
        import icmaps, icmaps.dask
        from distributed import LocalCluster, Client

        def warm():  # start-up, not timed: each worker imports icmaps and reads a little
            icmaps.count_ratings({data["slice_pq"]!r}, {MAP!r}, by="district", chunk_rows=1000)

        m = icmaps.load_map({MAP!r})
        t = time.perf_counter()
        with icmaps.dask.cluster({workers}) as client:  # as --workers starts it
            client.run(warm)
            out["warm"] = time.perf_counter() - t
            t = time.perf_counter()
            c = icmaps.dask.tally({files!r}, m, by=("district",), client=client)
            out["seconds"] = time.perf_counter() - t
        with (
            LocalCluster(
                n_workers={workers}, threads_per_worker=1, processes=True, dashboard_address=None
            ) as lc,
            Client(lc) as client,
        ):
            if {kind!r} == "parquet":  # dask's own, on a cluster of its defaults
                import dask.dataframe as dd

                t = time.perf_counter()
                frame = dd.read_parquet({files!r})
                frame.groupby(["district", "component", "code"]).size().compute()
                out["dask_native"] = time.perf_counter() - t
        out["answer"] = icmaps.summarize(c, by="district").to_dict()
        """,
        1,
    )
    same = single["answer"] == on_dask["answer"]
    ratio = on_dask["seconds"] / single["seconds"]
    per_worker = n / on_dask["seconds"] / workers
    print(f"(cluster of {workers} started and warmed in {on_dask['warm']:.1f} s, not counted)")
    print(
        f"one process, count_ratings:          {single['seconds']:6.2f} s  "
        f"{n / single['seconds'] / 1e6:5.2f} M ratings/s"
    )
    print(
        f"Dask, {workers} workers, icmaps.dask.tally: {on_dask['seconds']:6.2f} s  "
        f"({ratio:.2f}x one process; target <= 1.1x)  "
        f"{per_worker / 1e6:.2f} M ratings/s per worker; same answer: {same}"
    )
    if "dask_native" in on_dask:
        native = on_dask["dask_native"]
        print(
            f"dask read_parquet + groupby.size:     {native:6.2f} s  "
            f"(icmaps {on_dask['seconds'] / native:.2f}x dask)"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=20_000_000)
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--per-file", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--quick", action="store_true", help="2M rows, 4 files of 250,000")
    p.add_argument("--only", choices=["streaming", "parquet", "dask"], action="append")
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.files, args.per_file, args.repeat = 2_000_000, 4, 250_000, 1
    print(compile_package())
    folder = Path(os.environ.get("ICMAPS_BENCH_DIR", tempfile.gettempdir())) / "icmaps-bench-scale"
    data = make_data(folder, args.rows, args.files, args.per_file, args.seed)
    only = set(args.only or ("streaming", "parquet", "dask"))
    if "streaming" in only:
        streaming(data, args.rows, args.repeat)
    if "parquet" in only:
        parquet(data, args.repeat)
    if "dask" in only:
        for kind in ("parquet", "csv"):
            dask_scenario(data, kind, args.per_file, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
