"""Benchmark: Gwet's AC1/AC2, Brennan-Prediger and Conger's kappa against irrCAC, and the ICC
against pingouin.

Data: units x raters (default 2,000 x 5), 4 levels, 10 % missing, seeded, correlated (a true
level per unit plus rater noise). Each time is the best of several repeats in one process;
values must agree to 1e-9. Each reference runs where it is installed: irrCAC pins scipy 1.12 and
pandas < 3, so run this file once in irrCAC's environment (see ``.ci/run``) and once in the dev
environment (pingouin); a missing reference is reported, not timed.

Run: ``python benchmarks/bench_coefficients.py [--units N] [--repeats R]``. Exits non-zero
if a value differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any


def _best_of(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _line(name: str, ours: float, theirs: float, v_ours: float, v_theirs: float) -> bool:
    diff = abs(v_ours - v_theirs)
    print(
        f"{name:<22} icmaps {ours * 1e3:9.2f} ms  reference {theirs * 1e3:9.2f} ms  "
        f"ratio {ours / theirs:7.4f}x  |diff| {diff:.1e}"
    )
    return diff <= 1e-9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--levels", type=int, default=4)
    parser.add_argument("--missing", type=float, default=0.10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    from icmaps.stats.chance_corrected import brennan_prediger, conger_kappa, gwet_ac
    from icmaps.stats.intraclass import icc

    rng = np.random.default_rng(args.seed)
    truth = rng.integers(0, args.levels, size=(args.units, 1))
    noise = rng.integers(-1, 2, size=(args.units, args.raters)) * (
        rng.random((args.units, args.raters)) < 0.3
    )
    data = np.clip(truth + noise, 0, args.levels - 1).astype(np.float64)
    complete = data.copy()
    data[rng.random(data.shape) < args.missing] = np.nan
    print(
        f"data: {args.units} units x {args.raters} raters, {args.levels} levels, "
        f"{args.missing:.0%} missing (ICC: complete); best of {args.repeats}"
    )
    ok = True
    if importlib.util.find_spec("irrCAC"):
        from irrCAC.raw import CAC

        frame = pd.DataFrame(data)
        cases: list[tuple[str, Any, str, str | None]] = [
            ("Gwet's AC1", gwet_ac, "gwet", None),
            ("Gwet's AC2 quadratic", gwet_ac, "gwet", "quadratic"),
            ("Brennan-Prediger", brennan_prediger, "bp", None),
            ("Conger's kappa", conger_kappa, "conger", None),
        ]
        for name, ours_fn, method, weights in cases:

            def theirs_fn(method: str = method, weights: str | None = weights) -> Any:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cac = CAC(
                        frame,
                        weights=weights or "identity",
                        categories=list(range(args.levels)),
                        digits=15,
                    )
                    return getattr(cac, method)()["est"]

            def ours_call(fn: Any = ours_fn, weights: str | None = weights) -> Any:
                return fn(data, n_levels=args.levels, weights=weights)

            v_ours, v_theirs = ours_call().value, theirs_fn()["coefficient_value"]
            t_ours = _best_of(ours_call, args.repeats)
            t_theirs = _best_of(theirs_fn, args.repeats)
            ok &= _line(name, t_ours, t_theirs, v_ours, float(v_theirs))
    else:
        print("irrCAC not installed here: Gwet/BP/Conger not compared")
    if importlib.util.find_spec("pingouin"):
        n, k = complete.shape
        long = pd.DataFrame(
            {
                "unit": np.repeat(np.arange(n), k),
                "rater": np.tile(np.arange(k), n),
                "score": complete.ravel(),
            }
        )

        def pg_call() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pingouin as pg

                return pg.intraclass_corr(long, "unit", "rater", "score")

        def icc_all() -> list[float | None]:
            forms = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
            return [icc(complete, form=f).value for f in forms]  # type: ignore[arg-type]

        ours_values, theirs_values = icc_all(), pg_call()["ICC"].tolist()
        t_ours = _best_of(icc_all, args.repeats)
        t_theirs = _best_of(pg_call, args.repeats)
        diffs = [abs((a or 0.0) - b) for a, b in zip(ours_values, theirs_values, strict=True)]
        ok &= _line("ICC, six forms", t_ours, t_theirs, max(diffs), 0.0)
    else:
        print("pingouin not installed here: ICC not compared")
    if not ok:
        print("FAILED: values differ", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
