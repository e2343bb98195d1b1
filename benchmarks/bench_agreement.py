"""Benchmark: icmaps' ordinal Krippendorff's alpha against the ``krippendorff`` package.

Data: 10,000 units x 5 raters, 4 levels, 10 % of ratings missing, seeded. Both
implementations run in the same process on the same data; each time is the best of several
repeats (``time.perf_counter``), so a stray pause does not decide the ratio. The values must
agree to 1e-9. Target: ours / theirs <= 1.0.

Run: ``python benchmarks/bench_agreement.py [--units N] [--repeats R]``. Exits non-zero if the
values differ or the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable


def _best_of(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--raters", type=int, default=5)
    parser.add_argument("--levels", type=int, default=4)
    parser.add_argument("--missing", type=float, default=0.10)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)

    import krippendorff
    import numpy as np

    from icmaps.stats.coefficients import krippendorff_alpha

    rng = np.random.default_rng(args.seed)
    # Correlated ratings (a true level per unit plus rater noise), so alpha is far from 0,
    # as in real IC-map data.
    truth = rng.integers(0, args.levels, size=(args.units, 1))
    noise = rng.integers(-1, 2, size=(args.units, args.raters)) * (
        rng.random((args.units, args.raters)) < 0.3
    )
    data = np.clip(truth + noise, 0, args.levels - 1).astype(np.float64)
    data[rng.random(data.shape) < args.missing] = np.nan
    theirs_input = data.T  # the package wants raters x units

    ours_value = krippendorff_alpha(data, level="ordinal", n_levels=args.levels).value
    theirs_value = float(krippendorff.alpha(theirs_input, level_of_measurement="ordinal"))
    assert ours_value is not None

    # Warm both up once (imports, allocator), then time.
    ours = _best_of(
        lambda: krippendorff_alpha(data, level="ordinal", n_levels=args.levels), args.repeats
    )
    theirs = _best_of(
        lambda: krippendorff.alpha(theirs_input, level_of_measurement="ordinal"), args.repeats
    )
    ratio = ours / theirs
    diff = abs(ours_value - theirs_value)
    print(
        f"data: {args.units} units x {args.raters} raters, {args.levels} levels, "
        f"{args.missing:.0%} missing; best of {args.repeats}"
    )
    print(f"alpha  icmaps       = {ours_value:.12f}")
    print(f"alpha  krippendorff = {theirs_value:.12f}  (|diff| = {diff:.2e})")
    print(f"time   icmaps       = {ours * 1e3:8.3f} ms")
    print(f"time   krippendorff = {theirs * 1e3:8.3f} ms")
    print(f"ratio  ours/theirs  = {ratio:.3f}x  (target <= 1.0x)")
    ok = diff <= 1e-9 and ratio <= 1.0
    if not ok:
        print("FAILED: values differ or target missed", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
