"""Inter-rater agreement coefficients: the numeric core under :func:`icmaps.agreement`.

Two layers. :func:`icmaps.agreement` and :func:`icmaps.disagreements` work on a
:class:`~icmaps.RatingSet`: they build the units x raters matrices (a unit is one
subject on one occasion on one component; the raters are the ``rater`` column; N/A and missing
ratings are left out), compute a coefficient overall, per component or per group of the map,
and list the units where raters split, for a calibration meeting.

>>> import icmaps
>>> rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
>>> round(icmaps.agreement(rs).overall.value, 3)
0.789

Below them is the numeric core. Every core function takes ratings as **ordinal level
indices** of one component's scale: ``0`` is the most desired level, ``1`` the next, and so
on up to ``n_levels - 1``. Missing ratings (not rated, or N/A, which the caller removes
first) are ``nan``; nested Python lists may use ``None`` for them. Multi-rater data is a
*units x raters* matrix: one row per rated unit (a classroom, a site, a teacher), one column
per rater.

Four coefficients are provided:

* :func:`percent_agreement` - share of rater pairs within a unit that agree exactly, or within
  ``tolerance`` levels (``tolerance=1``: adjacent agreement).
* :func:`cohen_kappa` - two raters, unweighted (Cohen 1960) or linearly / quadratically
  weighted over the level order (Cohen 1968).
* :func:`fleiss_kappa` - many raters, complete designs (Fleiss 1971).
* :func:`krippendorff_alpha` - any number of raters, missing values allowed, nominal,
  ordinal, interval or ratio metric (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability").

Each returns a frozen :class:`AgreementResult`. Degenerate inputs never crash and never give a
silent ``nan``: the result's ``value`` is ``None`` and ``reason`` says why (see
:data:`REASON_ALL_MISSING`, :data:`REASON_NO_PAIRS` and :func:`no_variation_reason`).

Each function can add a percentile bootstrap confidence interval over units
(``bootstrap=1000, seed=1``): units are resampled with replacement and the coefficient is
recomputed on each resample, all in a few vectorised numpy operations.

numpy is imported inside the functions so that ``import icmaps`` stays light.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from icmaps._tabular import plural
from icmaps.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.intp]
    Seed = int | np.random.Generator | None
    # Nested lists may hold None for missing. A union with numpy's broad ArrayLike would stop
    # mypy from inferring list literals such as [[0, None], [1, 2]], so name arrays directly.
    RatingsLike = Sequence[Sequence[float | None]] | NDArray[Any]
    VectorLike = Sequence[float | None] | NDArray[Any]

__all__ = [
    "REASON_ALL_MISSING",
    "REASON_NO_PAIRS",
    "AgreementResult",
    "Level",
    "Weights",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "no_variation_reason",
    "percent_agreement",
]


Level = Literal["nominal", "ordinal", "interval", "ratio"]
"""Krippendorff's levels of measurement (which difference function is used)."""


Weights = Literal["linear", "quadratic"]
"""Disagreement weights of weighted kappa over the level order."""


PercentVariant = Literal["pairs", "units", "unanimous"]
"""Which percent agreement: pooled pairs, the per-unit average (Gwet), unanimous units (irr)."""


PERCENT_VARIANTS: tuple[str, ...] = ("pairs", "units", "unanimous")


_LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


_WEIGHTS: tuple[str | None, ...] = (None, "linear", "quadratic")


_MAX_INFERRED_LEVELS = 1000


REASON_ALL_MISSING = "no ratings: every value is missing"
"""``reason`` when the input holds no rating at all (or no unit rated by both raters)."""


REASON_NO_PAIRS = "fewer than two raters rated any unit"
"""``reason`` when no unit has two or more ratings, so there is no pair to compare."""


_NAMES = {
    "percent_agreement": "Percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac": "Gwet's AC1",
    "brennan_prediger": "Brennan-Prediger",
    "conger_kappa": "Conger's kappa",
    "icc": "Intraclass correlation",
}


def no_variation_reason(level: int) -> str:
    """The ``reason`` given when every rating is the same level.

    Then the expected (chance) disagreement is zero, so chance-corrected coefficients are
    0/0: undefined, although raters agree perfectly.

    >>> no_variation_reason(2)
    'no variation: all ratings are level 2 (agreement is perfect but chance-corrected coefficients are undefined)'
    """  # noqa: E501
    return (
        f"no variation: all ratings are level {level} "
        "(agreement is perfect but chance-corrected coefficients are undefined)"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementResult:
    """The outcome of one agreement coefficient.

    ``value`` is ``None`` exactly when the coefficient is undefined, and then ``reason`` says
    why. ``n_units`` counts the units that entered the computation (units with fewer than two
    ratings are not pairable and are left out), ``n_raters`` the raters with at least one
    rating in those units, ``n_pairs`` the unordered pairs of ratings compared within units.
    ``ci`` is a percentile bootstrap interval when one was asked for. ``details`` holds the
    intermediate quantities (plain Python values, so it serialises as JSON).

    >>> r = AgreementResult("percent_agreement", 0.75, 2, 3, 4)
    >>> str(r)
    'Percent agreement (exact) = 0.750 (2 units, 3 raters, 4 pairs)'
    >>> r.to_dict()["value"]
    0.75
    """

    method: str
    value: float | None
    n_units: int
    n_raters: int
    n_pairs: int
    reason: str | None = None
    ci: tuple[float, float] | None = None
    # Excluded from repr (it can hold a whole coincidence matrix) and from hashing (a dict is
    # unhashable); it still takes part in equality.
    details: Mapping[str, object] = dataclasses.field(default_factory=dict, repr=False, hash=False)

    @property
    def label(self) -> str:
        """Human name of the coefficient with its variant, e.g. ``Cohen's kappa (linear)``."""
        name = _NAMES.get(self.method, self.method)
        variant = self.details.get("level") or self.details.get("weights")
        if self.method == "percent_agreement":
            tolerance = self.details.get("tolerance", 0)
            variant = "exact" if tolerance == 0 else f"within {tolerance}"
            if self.details.get("variant"):
                variant = f"{variant}, {self.details['variant']}"
        elif self.method == "gwet_ac" and variant:
            name = "Gwet's AC2"  # AC2 is AC1 with weights
        elif self.method == "icc":
            variant = self.details.get("form")
        return f"{name} ({variant})" if variant else name

    def __str__(self) -> str:
        counts = (
            f"({plural(self.n_units, 'unit')}, {plural(self.n_raters, 'rater')}, "
            f"{plural(self.n_pairs, 'pair')})"
        )
        if self.value is None:
            return f"{self.label}: undefined, {self.reason} {counts}"
        text = f"{self.label} = {self.value:.3f}"
        if self.ci is not None:
            level = self.details.get("confidence", 0.95)
            percent = f"{float(level) * 100:g}" if isinstance(level, (int, float)) else "?"
            text += f", {percent}% CI [{self.ci[0]:.3f}, {self.ci[1]:.3f}]"
        return f"{text} {counts}"

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (JSON-serialisable): every field, ``ci`` as a list."""
        return {
            "method": self.method,
            "value": self.value,
            "n_units": self.n_units,
            "n_raters": self.n_raters,
            "n_pairs": self.n_pairs,
            "reason": self.reason,
            "ci": list(self.ci) if self.ci is not None else None,
            "details": dict(self.details),
        }


# --------------------------------------------------------------------------------------------
# Input handling


def _check_n_levels(n_levels: object, *, required: bool) -> int | None:
    if n_levels is None:
        if required:
            raise UsageError("n_levels is required: the number of ordered levels of the scale")
        return None
    if isinstance(n_levels, bool) or not isinstance(n_levels, int) or n_levels < 1:
        raise UsageError(f"n_levels must be a positive integer, got {n_levels!r}")
    return n_levels


def _as_matrix(data: RatingsLike, what: str = "ratings") -> FloatArray:
    """Convert to a float units x raters matrix; ``None`` in lists becomes ``nan``."""
    import numpy as np

    try:
        x = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise UsageError(
            f"{what} must be a rectangular units x raters table of level indices "
            f"(numbers, with nan or None for missing): {e}"
        ) from None
    if x.ndim != 2:
        raise UsageError(
            f"{what} must be a 2-D units x raters matrix, got {x.ndim}-D of shape {x.shape}"
        )
    return x


def _level_codes(x: FloatArray, n_levels: int | None) -> tuple[IntArray, int]:
    """Validate level indices and code them as integers, missing as ``n_levels``.

    Returns the integer matrix (same shape as ``x``) and ``n_levels`` (inferred as the highest
    level seen + 1 when not given). Coding missing as an extra level lets every later step
    use plain integer arithmetic and ``bincount`` instead of boolean masking.
    """
    import numpy as np

    missing = np.isnan(x)
    if x.size == 0 or missing.all():
        n = n_levels if n_levels is not None else 1
        return np.full(x.shape, n, dtype=np.intp), n
    # fmin/fmax skip nan without the RuntimeWarning nanmin gives, and cost one pass each.
    lo = float(np.fmin.reduce(x, axis=None))
    hi = float(np.fmax.reduce(x, axis=None))
    if lo < 0 or not np.isfinite(hi) or (n_levels is not None and hi >= n_levels):
        bad = lo if lo < 0 else hi
        top = f"{n_levels - 1}" if n_levels is not None else "n_levels - 1"
        raise UsageError(
            f"ratings must be level indices 0..{top} (0 = most desired level) or nan for "
            f"missing; found {bad:g}"
        )
    if n_levels is None:
        # Inferring a huge scale from one typo (say 1e9) would allocate tables that size.
        if hi >= _MAX_INFERRED_LEVELS:
            raise UsageError(
                f"found level index {hi:g}: IC-map scales have few levels; pass n_levels "
                "explicitly if this scale really has that many"
            )
        n_levels = int(hi) + 1
    filled = np.where(missing, n_levels, x)
    codes = filled.astype(np.intp)
    if not np.array_equal(codes, filled):
        bad = float(filled[codes != filled].flat[0])
        raise UsageError(f"ratings must be whole level indices, found {bad:g}")
    return codes, n_levels


def _unit_counts(codes: IntArray, n_levels: int) -> IntArray:
    """Units x levels table: how many raters put each unit at each level.

    One ``bincount`` over ``unit * (n_levels + 1) + level`` builds it; the extra last bin
    collects the missing values and is dropped.
    """
    import numpy as np

    n_units = codes.shape[0]
    width = n_levels + 1
    offsets = np.arange(0, n_units * width, width, dtype=np.intp)
    flat = (codes + offsets[:, None]).ravel()
    counts = np.bincount(flat, minlength=n_units * width).reshape(n_units, width)
    return counts[:, :n_levels]


def _tabulate(
    data: RatingsLike, n_levels: object, *, required: bool, bootstrap: int, confidence: float
) -> tuple[FloatArray, IntArray, int, IntArray, IntArray]:
    """The checks and tables every matrix coefficient starts from: the ratings matrix, its
    level codes, the number of levels, the units x levels counts and ratings per unit."""
    n_checked = _check_n_levels(n_levels, required=required)
    _check_bootstrap(bootstrap, confidence)
    x = _as_matrix(data)
    codes, n = _level_codes(x, n_checked)
    counts = _unit_counts(codes, n)
    return x, codes, n, counts, counts.sum(axis=1)


def _check_bootstrap(bootstrap: int, confidence: float) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise UsageError(f"bootstrap must be a non-negative number of resamples, got {bootstrap!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _undefined(
    method: str,
    reason: str,
    *,
    n_units: int = 0,
    n_raters: int = 0,
    n_pairs: int = 0,
    details: Mapping[str, object] | None = None,
) -> AgreementResult:
    return AgreementResult(
        method, None, n_units, n_raters, n_pairs, reason=reason, details=dict(details or {})
    )


def _single_level(level_totals: IntArray) -> int | None:
    """The only level used, if exactly one level has ratings (the no-variation case)."""
    import numpy as np

    used = np.flatnonzero(level_totals)
    return int(used[0]) if used.size == 1 else None


# --------------------------------------------------------------------------------------------
# Bootstrap


def _bootstrap_ci(
    features: FloatArray,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    n_boot: int,
    seed: Seed,
    confidence: float,
) -> tuple[tuple[float, float] | None, dict[str, object]]:
    """Percentile bootstrap over units.

    Every coefficient here is a function of *sums over units* of a per-unit feature vector
    (a unit's coincidences, its confusion cell, its level counts...). A resample of units is
    then just a vector of multiplicities ``w`` (how often each unit was drawn), and the sums
    for many resamples at once are one matrix product ``W @ features``. ``statistic`` maps
    those sums (resamples x features) to one coefficient per resample, ``nan`` where the
    resample is degenerate (e.g. no variation); those resamples are left out of the interval.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n_units = features.shape[0]
    # Chunks keep the multiplicity matrix near 2 million cells whatever the data size.
    chunk = max(1, min(n_boot, 2_000_000 // max(n_units, 1)))
    values = np.empty(n_boot, dtype=np.float64)
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        draws = rng.integers(0, n_units, size=(size, n_units))
        draws += np.arange(0, size * n_units, n_units)[:, None]
        weights = np.bincount(draws.ravel(), minlength=size * n_units).reshape(size, n_units)
        with np.errstate(divide="ignore", invalid="ignore"):
            values[done : done + size] = statistic(weights @ features)
        done += size
    finite = values[np.isfinite(values)]
    info: dict[str, object] = {
        "bootstrap": n_boot,
        "bootstrap_defined": int(finite.size),
        "confidence": confidence,
    }
    if finite.size == 0:
        return None, info
    tail = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(finite, [tail, 1.0 - tail])
    return (float(lo), float(hi)), info


# --------------------------------------------------------------------------------------------
# Percent agreement


def percent_agreement(
    data: RatingsLike,
    *,
    tolerance: int = 0,
    n_levels: int | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
    rater_pairs: bool = True,
    variant: PercentVariant = "pairs",
) -> AgreementResult:
    """Share of rater pairs, within units, whose levels differ by at most ``tolerance``.

    Every unordered pair of raters who both rated a unit is one comparison; the shares are
    pooled over all pairs of all units (so a unit rated by four raters weighs six pairs, one
    rated by two weighs one pair). ``tolerance=0`` is exact agreement, ``tolerance=1``
    adjacent agreement (levels next to each other count as agreeing). ``details`` also holds a
    per rater-pair table, ``rater_pairs``: one entry per pair of columns with the units both
    rated, how many of them agree, and the share (``None`` when they share no unit);
    ``rater_pairs=False`` leaves that table out (it grows with the square of the columns).

    ``variant`` names the other percent agreements in use: ``"pairs"`` (default, above),
    ``"units"`` (Gwet's: the share of agreeing pairs in each unit, averaged over units, so
    every unit weighs the same) and ``"unanimous"`` (R irr's ``agree``: the share of units
    whose ratings all lie within ``tolerance`` levels of each other).

    Defined edge cases: no rating at all gives ``value=None`` with reason
    :data:`REASON_ALL_MISSING`; no unit with two ratings gives ``None`` with
    :data:`REASON_NO_PAIRS`; identical ratings everywhere give ``1.0`` (percent agreement is
    not chance-corrected, so it stays defined).

    ``n_levels`` is optional and only checks that ratings are below it. ``bootstrap=B`` adds
    a percentile ``confidence`` interval from ``B`` resamples of units (``seed``: an ``int``
    or ``numpy.random.Generator``, for reproducible intervals).

    >>> r = percent_agreement([[0, 0, 1], [2, 2, 2], [0, None, 3]])
    >>> round(r.value, 4), r.n_pairs
    (0.5714, 7)
    >>> percent_agreement([[0, 0, 1], [2, 2, 2], [0, None, 3]], tolerance=1).value
    0.8571428571428571
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise UsageError(
            f"tolerance must be a non-negative whole number of levels, got {tolerance!r}"
        )
    x, codes, n, counts, per_unit = _tabulate(
        data, n_levels, required=False, bootstrap=bootstrap, confidence=confidence
    )
    result = percent_from_counts(
        counts,
        per_unit,
        tolerance=tolerance,
        count_raters=lambda units: _n_raters(codes if units is None else codes[units], n),
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        variant=variant,
    )
    if rater_pairs and result.value is not None:
        details = {**result.details, "rater_pairs": _rater_pair_table(x, tolerance)}
        result = dataclasses.replace(result, details=details)
    return result


def percent_from_counts(
    counts: IntArray,
    per_unit: IntArray,
    *,
    tolerance: int,
    count_raters: RaterCount,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
    variant: PercentVariant = "pairs",
) -> AgreementResult:
    """:func:`percent_agreement` (without the rater-pair table) from a units x levels table
    of rating counts: the agreeing pairs of a unit follow from its counts alone, and so does
    whether all its ratings lie within ``tolerance`` levels (``variant="unanimous"``).

    >>> import numpy as np
    >>> counts = np.array([[2, 1, 0, 0], [0, 0, 3, 0], [1, 0, 0, 1]])
    >>> r = percent_from_counts(counts, counts.sum(axis=1), tolerance=0, count_raters=lambda u: 3)
    >>> round(r.value, 4), r.n_pairs
    (0.5714, 7)
    """
    import numpy as np

    n_levels = counts.shape[1]
    method = "percent_agreement"
    if variant not in PERCENT_VARIANTS:
        raise UsageError(
            f"percent variant must be one of {', '.join(PERCENT_VARIANTS)}; got {variant!r}"
        )
    base: dict[str, object] = {"tolerance": tolerance, "n_units_total": int(counts.shape[0])}
    if variant != "pairs":
        base["variant"] = variant
    if not per_unit.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    pairable = per_unit >= 2
    if not pairable.any():
        return _undefined(method, REASON_NO_PAIRS, n_raters=count_raters(None), details=base)

    c = counts[pairable]
    m = per_unit[pairable]
    # Pairs of levels that count as agreeing: |i - j| <= tolerance (a band matrix).
    levels = np.arange(n_levels)
    band = (np.abs(levels[:, None] - levels[None, :]) <= tolerance).astype(np.int64)
    # Ordered agreeing pairs per unit, minus each rating paired with itself, halved.
    agree = ((c @ band) * c).sum(axis=1) - m
    agree //= 2
    pairs = m * (m - 1) // 2
    n_agree, n_pairs = int(agree.sum()), int(pairs.sum())

    details: dict[str, object] = {**base, "n_agreeing_pairs": n_agree}
    value = n_agree / n_pairs
    # The per-unit variants weigh every unit alike: Gwet's p_a (the mean share of agreeing
    # pairs in a unit) and R irr's agree() (the share of units whose ratings all lie within
    # ``tolerance`` levels). Both are a mean of one number per unit.
    share: Any = None
    if variant == "units":
        share = agree / pairs
    elif variant == "unanimous":
        used = c > 0
        lowest = used.argmax(axis=1)
        highest = n_levels - 1 - used[:, ::-1].argmax(axis=1)
        share = (highest - lowest <= tolerance).astype(np.float64)
        details["n_unanimous_units"] = int(share.sum())
    if share is not None:
        value = float(share.mean())
    ci = None
    if bootstrap:
        if share is not None:
            features = np.column_stack([share, np.ones(share.size)])
        else:
            features = np.column_stack([agree, pairs]).astype(np.float64)
        ci, info = _bootstrap_ci(
            features,
            lambda s: s[:, 0] / s[:, 1],
            n_boot=bootstrap,
            seed=seed,
            confidence=confidence,
        )
        details.update(info)
    return AgreementResult(
        method,
        value,
        int(c.shape[0]),
        count_raters(pairable),
        n_pairs,
        ci=ci,
        details=details,
    )


def _n_raters(codes: IntArray, n_levels: int) -> int:
    """Columns with at least one rating."""
    return int((codes != n_levels).any(axis=0).sum())


def _rater_pair_table(x: FloatArray, tolerance: int) -> list[dict[str, object]]:
    """Agreement of each pair of raters (columns) over the units both rated."""
    import numpy as np

    rated = ~np.isnan(x)
    table: list[dict[str, object]] = []
    n_raters = x.shape[1]
    for i in range(n_raters):
        for j in range(i + 1, n_raters):
            both = rated[:, i] & rated[:, j]
            n_both = int(both.sum())
            n_agree = int((np.abs(x[both, i] - x[both, j]) <= tolerance).sum())
            table.append(
                {
                    "raters": [i, j],
                    "n_units": n_both,
                    "n_agree": n_agree,
                    "agreement": n_agree / n_both if n_both else None,
                }
            )
    return table


# --------------------------------------------------------------------------------------------
# Cohen's kappa


def _disagreement_weights(n_levels: int, weights: str | None) -> FloatArray:
    """Cohen's (1968) disagreement weights over the level order (0 on the diagonal)."""
    import numpy as np

    levels = np.arange(n_levels, dtype=np.float64)
    diff = levels[:, None] - levels[None, :]
    if weights is None:
        return np.asarray(1.0 - np.eye(n_levels), dtype=np.float64)
    # asarray: numpy 1.x stubs type abs() and ** of a float array loosely (no copy is made)
    if weights == "linear":
        return np.asarray(np.abs(diff), dtype=np.float64)
    return np.asarray(diff * diff, dtype=np.float64)


def cohen_kappa(
    a: VectorLike,
    b: VectorLike,
    *,
    n_levels: int,
    weights: Weights | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Cohen's kappa between two raters, optionally weighted over the level order.

    ``a`` and ``b`` are the two raters' level indices for the same units; units where either
    is missing are dropped. With ``weights=None`` this is Cohen's (1960) kappa
    ``(p_o - p_e) / (1 - p_e)``; with ``"linear"`` or ``"quadratic"`` it is Cohen's (1968)
    weighted kappa ``1 - sum(w * observed) / sum(w * expected)`` with disagreement weights
    ``|i - j|`` or ``(i - j)**2`` over level indices ``0..n_levels-1`` (levels nobody used
    still count in the distances, so weights do not depend on which levels occur).

    Defined edge cases: no unit rated by both gives ``value=None`` with
    :data:`REASON_ALL_MISSING` (no rating at all) or :data:`REASON_NO_PAIRS`; both raters
    using one and the same level throughout gives ``None`` with
    :func:`no_variation_reason` (expected disagreement is zero).

    >>> round(cohen_kappa([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], n_levels=3).value, 4)
    0.6875
    >>> round(cohen_kappa([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], n_levels=3, weights="linear").value, 4)
    0.7368
    """
    import numpy as np

    n_levels_checked = _check_n_levels(n_levels, required=True)
    assert n_levels_checked is not None  # required=True raises otherwise
    if weights not in _WEIGHTS:
        raise UsageError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    _check_bootstrap(bootstrap, confidence)
    va = np.asarray(_as_vector(a, "a"))
    vb = np.asarray(_as_vector(b, "b"))
    if va.shape != vb.shape:
        raise UsageError(
            f"a and b must rate the same units: got {va.shape[0]} and {vb.shape[0]} ratings"
        )
    x = np.column_stack([va, vb])
    codes, n = _level_codes(x, n_levels_checked)
    method = "cohen_kappa"
    base: dict[str, object] = {"weights": weights, "n_units_total": int(x.shape[0])}

    rated = codes != n
    if not rated.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    both = rated.all(axis=1)
    if not both.any():
        return _undefined(
            method, REASON_NO_PAIRS, n_raters=int(rated.any(axis=0).sum()), details=base
        )

    ca, cb = codes[both, 0], codes[both, 1]
    n_units = int(ca.size)
    cells = ca * n + cb
    confusion = np.bincount(cells, minlength=n * n).reshape(n, n)
    details: dict[str, object] = {**base, "confusion": confusion.tolist()}
    only = _single_level(confusion.sum(axis=0) + confusion.sum(axis=1))
    if only is not None:
        return _undefined(
            method,
            no_variation_reason(only),
            n_units=n_units,
            n_raters=2,
            n_pairs=n_units,
            details=details,
        )

    w = _disagreement_weights(n, weights)
    value, observed, expected = _kappa_from_confusion(confusion[None].astype(np.float64), w)
    p_o = float(np.trace(confusion)) / n_units
    p_e = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / n_units**2
    details.update(
        {
            "p_observed": p_o,
            "p_expected": p_e,
            "observed_disagreement": float(observed[0]),
            "expected_disagreement": float(expected[0]),
        }
    )
    ci = None
    if bootstrap:
        # Per-unit feature: the one-hot confusion cell, so resampled sums are confusion tables.
        onehot = np.zeros((n_units, n * n), dtype=np.float64)
        onehot[np.arange(n_units), cells] = 1.0
        ci, info = _bootstrap_ci(
            onehot,
            lambda s: _kappa_from_confusion(s.reshape(-1, n, n), w)[0],
            n_boot=bootstrap,
            seed=seed,
            confidence=confidence,
        )
        details.update(info)
    return AgreementResult(method, float(value[0]), n_units, 2, n_units, ci=ci, details=details)


def _as_vector(v: VectorLike, name: str) -> FloatArray:
    import numpy as np

    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise UsageError(
            f"{name} must be a sequence of level indices (nan/None for missing): {e}"
        ) from None
    if arr.ndim != 1:
        raise UsageError(f"{name} must be 1-D (one rating per unit), got shape {arr.shape}")
    return arr


def _kappa_from_confusion(
    confusion: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted kappa of a batch of confusion tables (batch x levels x levels).

    Returns kappa, observed and expected mean disagreement; kappa is ``nan`` where the
    expected disagreement is zero (only reached inside the bootstrap, where it is filtered).
    """
    import numpy as np

    total = confusion.sum(axis=(1, 2))
    rows = confusion.sum(axis=2)
    cols = confusion.sum(axis=1)
    observed = (confusion * w).sum(axis=(1, 2)) / total
    expected = np.einsum("bi,ij,bj->b", rows, w, cols) / total**2
    undefined = expected <= 0
    kappa = 1.0 - observed / np.where(undefined, 1.0, expected)
    return np.where(undefined, np.nan, kappa), observed, expected


# --------------------------------------------------------------------------------------------
# Fleiss' kappa


def fleiss_kappa(
    data: RatingsLike,
    *,
    n_levels: int,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Fleiss' (1971) kappa for many raters in a complete design.

    Every unit must have the same number of ratings ``m >= 2`` (the raters may differ from
    unit to unit, so a units x raters matrix with ``nan`` is fine as long as each row has the
    same count). ``kappa = (P_bar - P_e) / (1 - P_e)`` with ``P_bar`` the mean share of agreeing
    rater pairs per unit and ``P_e`` the sum of squared overall level proportions.

    Raises :class:`~icmaps.errors.UsageError` naming the units (0-based rows) with fewer
    ratings when the design is incomplete; use :func:`krippendorff_alpha` for those data.
    Defined edge cases: no rating at all gives ``value=None`` with
    :data:`REASON_ALL_MISSING`; at most one rating per unit gives ``None`` with
    :data:`REASON_NO_PAIRS`; a single level used throughout gives ``None`` with
    :func:`no_variation_reason`.

    >>> round(fleiss_kappa([[0, 0, 0], [1, 1, 0], [2, 2, 2], [0, 1, 2]], n_levels=3).value, 4)
    0.3617
    """
    import numpy as np

    x, codes, n, counts, per_unit = _tabulate(
        data, n_levels, required=True, bootstrap=bootstrap, confidence=confidence
    )
    method = "fleiss_kappa"
    base: dict[str, object] = {"n_units_total": int(x.shape[0])}
    if not per_unit.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    m = int(per_unit.max())
    n_raters = _n_raters(codes, n)
    if m < 2:
        return _undefined(method, REASON_NO_PAIRS, n_raters=n_raters, details=base)
    short = np.flatnonzero(per_unit != m)
    if short.size:
        shown = ", ".join(str(int(u)) for u in short[:10])
        more = f" and {short.size - 10} more" if short.size > 10 else ""
        raise UsageError(
            "Fleiss' kappa needs a complete design (every unit rated the same number of times); "
            f"most units have {m} ratings but unit{'s' if short.size > 1 else ''} {shown}{more} "
            "(0-based rows) have fewer. "
            "Use krippendorff_alpha for incomplete designs."
        )

    n_units = int(counts.shape[0])
    n_pairs = n_units * m * (m - 1) // 2
    totals = counts.sum(axis=0)
    details: dict[str, object] = {**base, "ratings_per_unit": m}
    only = _single_level(totals)
    if only is not None:
        return _undefined(
            method,
            no_variation_reason(only),
            n_units=n_units,
            n_raters=n_raters,
            n_pairs=n_pairs,
            details=details,
        )
    # Features per unit: its level counts and the sum of their squares; kappa is a function
    # of the sums of these over units (which makes the bootstrap a matrix product).
    features = np.column_stack([counts, (counts * counts).sum(axis=1)]).astype(np.float64)
    sums = features.sum(axis=0)[None, :]
    kappa, p_bar, p_e = _fleiss_from_sums(sums, m, n)
    details.update(
        {
            "p_bar": float(p_bar[0]),
            "p_expected": float(p_e[0]),
            "level_proportions": (totals / totals.sum()).tolist(),
        }
    )
    ci = None
    if bootstrap:
        ci, info = _bootstrap_ci(
            features,
            lambda s: _fleiss_from_sums(s, m, n)[0],
            n_boot=bootstrap,
            seed=seed,
            confidence=confidence,
        )
        details.update(info)
    return AgreementResult(
        method, float(kappa[0]), n_units, n_raters, n_pairs, ci=ci, details=details
    )


def _fleiss_from_sums(
    sums: FloatArray, m: int, n_levels: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fleiss' kappa from per-resample sums of (level counts..., sum of squared counts)."""
    import numpy as np

    level_totals = sums[:, :n_levels]
    ratings = level_totals.sum(axis=1)  # units * m
    p_bar = (sums[:, n_levels] - ratings) / (ratings * (m - 1))
    p = level_totals / ratings[:, None]
    p_e = (p * p).sum(axis=1)
    # A resample with a single level has p_e == 1 exactly (p is 1.0); mark it undefined.
    single = (level_totals > 0).sum(axis=1) <= 1
    kappa = (p_bar - p_e) / np.where(single, 1.0, 1.0 - p_e)
    return np.where(single, np.nan, kappa), p_bar, p_e


# --------------------------------------------------------------------------------------------
# Krippendorff's alpha


def _deltas(level: str, n_c: FloatArray) -> FloatArray:
    """Squared difference functions delta^2(c, k) for a batch of marginals ``n_c``.

    ``n_c`` is (batch x levels); the result is (batch x levels x levels). Only the ordinal
    metric depends on the marginals. Its definition
    ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2`` equals ``(mid_k - mid_c)^2`` with
    ``mid_c = cumsum(n)_c - n_c / 2``: the interval metric on mid-ranks, so no loop over
    level pairs is needed.
    """
    import numpy as np

    batch, n_levels = n_c.shape
    if level == "ordinal":
        mid = np.cumsum(n_c, axis=1) - n_c / 2.0
        diff = mid[:, :, None] - mid[:, None, :]
        squared: FloatArray = diff * diff
        return squared
    idx = np.arange(n_levels, dtype=np.float64)
    d: FloatArray
    if level == "nominal":
        d = np.asarray(1.0 - np.eye(n_levels), dtype=np.float64)
    elif level == "interval":
        d = np.asarray((idx[:, None] - idx[None, :]) ** 2, dtype=np.float64)
    else:
        # Ratio needs a true zero; level index 0 is the best level, not "none", so the ratio
        # metric uses the level numbers 1..n_levels as printed on IC maps.
        value = idx + 1.0
        d = ((value[:, None] - value[None, :]) / (value[:, None] + value[None, :])) ** 2
    return np.broadcast_to(d, (batch, n_levels, n_levels))


def _alpha_from_coincidences(
    o: FloatArray, n_c: FloatArray, level: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Alpha, observed and expected disagreement for a batch of coincidence matrices.

    ``alpha = 1 - D_o / D_e`` with ``D_o = sum(o * delta) / n`` and
    ``D_e = sum(n_c * n_k * delta) / (n * (n - 1))`` (Krippendorff 2011). ``nan`` where only
    one level occurs (``D_e == 0``); callers handle that case before or filter it.
    """
    import numpy as np

    delta = _deltas(level, n_c)
    n = n_c.sum(axis=1)
    d_o = (o * delta).sum(axis=(1, 2)) / n
    d_e = np.einsum("bc,bck,bk->b", n_c, delta, n_c) / (n * (n - 1.0))
    single = (n_c > 0).sum(axis=1) <= 1
    alpha = 1.0 - d_o / np.where(single, 1.0, d_e)
    return np.where(single, np.nan, alpha), d_o, d_e


def krippendorff_alpha(
    data: RatingsLike,
    *,
    level: Level = "ordinal",
    n_levels: int | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Krippendorff's alpha for any number of raters, with missing values.

    Follows Krippendorff (2011), "Computing Krippendorff's alpha-reliability": ratings are
    turned into the coincidence matrix ``o_ck = sum_u n_uc * n_uk / (m_u - 1)`` (minus the
    pairing of a rating with itself on the diagonal) over the units with ``m_u >= 2`` ratings;
    units with fewer are not pairable and are dropped. ``alpha = 1 - D_o / D_e``. Difference
    functions by ``level``:

    * ``"nominal"``: 0 if equal, else 1.
    * ``"ordinal"``: Krippendorff's rank metric from the marginal frequencies ``n_c`` of the
      pairable values, ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2``.
    * ``"interval"``: ``(c - k)^2`` on the level indices (equally spaced levels).
    * ``"ratio"``: ``((c - k) / (c + k))^2`` on the level numbers ``1..n_levels`` (index + 1:
      level index 0 is the best level, not a true zero).

    ``n_levels`` only validates the data (unused levels change no metric); by default it is
    the highest level seen + 1. The work is a ``bincount`` and a small matrix product, so it
    is fast for many units.

    Defined edge cases: no rating at all gives ``value=None`` with
    :data:`REASON_ALL_MISSING`; no unit with two ratings gives ``None`` with
    :data:`REASON_NO_PAIRS`; a single level among the pairable values gives ``None`` with
    :func:`no_variation_reason` (``D_e = 0``). ``bootstrap=B`` adds a percentile
    ``confidence`` interval from ``B`` resamples of the pairable units.

    >>> data = [[0, 0, None], [1, 1, 1], [2, 2, 1], [3, 3, 3], [1, None, None]]
    >>> round(krippendorff_alpha(data, level="nominal").value, 4)
    0.7727
    >>> round(krippendorff_alpha(data, level="ordinal").value, 4)
    0.9198
    """
    if level not in _LEVELS:
        raise UsageError(f"level must be one of {', '.join(_LEVELS)}; got {level!r}")
    _, codes, n, counts, per_unit = _tabulate(
        data, n_levels, required=False, bootstrap=bootstrap, confidence=confidence
    )
    return alpha_from_counts(
        counts,
        per_unit,
        level=level,
        count_raters=lambda units: _n_raters(codes if units is None else codes[units], n),
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
    )


RaterCount = Callable[[Any], int]
"""The number of raters who rated some of the units (a boolean mask; None: all units)."""


def alpha_from_counts(
    counts: IntArray,
    per_unit: IntArray,
    *,
    level: Level,
    count_raters: RaterCount,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """:func:`krippendorff_alpha` from a units x levels table of rating counts (and the
    ratings per unit): raters are exchangeable within a unit, so the counts are all alpha
    needs. ``count_raters`` counts the raters of a set of units (the counts do not know them).

    >>> import numpy as np
    >>> counts = np.array([[2, 0, 0, 0], [0, 3, 0, 0], [0, 1, 2, 0], [0, 0, 0, 3], [0, 1, 0, 0]])
    >>> r = alpha_from_counts(counts, counts.sum(axis=1), level="nominal", count_raters=lambda u: 3)
    >>> round(r.value, 4)
    0.7727
    """
    import numpy as np

    n = counts.shape[1]
    method = "krippendorff_alpha"
    base: dict[str, object] = {"level": level, "n_units_total": int(counts.shape[0])}
    if not per_unit.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    pairable = per_unit >= 2
    if not pairable.any():
        return _undefined(method, REASON_NO_PAIRS, n_raters=count_raters(None), details=base)

    c = counts[pairable]
    m = per_unit[pairable]
    n_units = int(c.shape[0])
    n_raters = count_raters(pairable)
    n_pairs = int((m * (m - 1)).sum() // 2)
    n_c = c.sum(axis=0)
    n_values = int(n_c.sum())
    only = _single_level(n_c)
    if only is not None:
        return _undefined(
            method,
            no_variation_reason(only),
            n_units=n_units,
            n_raters=n_raters,
            n_pairs=n_pairs,
            details={**base, "n_pairable_values": n_values},
        )

    # Coincidences: each unit's outer product of level counts weighted by 1 / (m_u - 1), as
    # one (levels x units) @ (units x levels) product; the diagonal then loses the pairing of
    # each rating with itself, sum_u n_uc / (m_u - 1).
    cf = c.astype(np.float64)
    scaled = cf / (m - 1.0)[:, None]
    o = scaled.T @ cf
    o[np.diag_indices(n)] -= scaled.sum(axis=0)
    n_cf = n_c.astype(np.float64)[None, :]
    alpha, d_o, d_e = _alpha_from_coincidences(o[None], n_cf, level)
    details: dict[str, object] = {
        **base,
        "n_pairable_values": n_values,
        "n_units_dropped": int(counts.shape[0]) - n_units,
        "observed_disagreement": float(d_o[0]),
        "expected_disagreement": float(d_e[0]),
        "coincidences": o.tolist(),
    }
    ci = None
    if bootstrap:
        # Per-unit features: the unit's coincidence matrix (flattened) and its level counts.
        unit_o = scaled[:, :, None] * cf[:, None, :]
        diag = np.arange(n)
        unit_o[:, diag, diag] -= scaled
        features = np.concatenate([unit_o.reshape(n_units, n * n), cf], axis=1)

        def statistic(s: FloatArray) -> FloatArray:
            return _alpha_from_coincidences(s[:, : n * n].reshape(-1, n, n), s[:, n * n :], level)[
                0
            ]

        ci, info = _bootstrap_ci(
            features, statistic, n_boot=bootstrap, seed=seed, confidence=confidence
        )
        details.update(info)
    return AgreementResult(
        method, float(alpha[0]), n_units, n_raters, n_pairs, ci=ci, details=details
    )
