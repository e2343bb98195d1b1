"""Gwet's family of chance-corrected coefficients: AC1/AC2, Brennan-Prediger, Conger's kappa.

All three share the observed agreement of Fleiss and Gwet, averaged over the units rated by
two raters or more, and differ only in the chance agreement ``p_e`` they subtract
(Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed., chapters 2-3 and 5):

* ``p_a = mean_i sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` over the units with ``r_i >= 2``
  ratings, with ``r*_ik = sum_l w_kl r_il`` (the weighted count; ``w`` is the identity
  without weights), so units rated once do not count as agreement;
* Gwet's AC1 (AC2 with weights): ``p_e = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)``,
  ``pi_k = mean_i r_ik / r_i`` over every unit rated at least once, ``T_w`` the sum of the
  weights and ``q`` the number of levels. Chance agreement is small when ratings pile up on
  one level, so AC1 does not collapse in that case (the "kappa paradox");
* Brennan and Prediger (1981): ``p_e = T_w / q^2`` (every level equally likely by chance);
* Conger (1980): ``p_e = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)``, the mean of the pairwise
  Cohen chance agreements, from each rater's own level shares ``p_gk`` (``pbar_k`` their mean
  over the ``r`` raters and ``s2_kl`` their covariance).

The coefficient is ``(p_a - p_e) / (1 - p_e)``. Missing ratings are handled as Gwet handles
them: a unit counts with the ratings it has. Standard errors are Gwet's linearised variances
(Gwet 2014, sections 5.3-5.5; the same formulas as R's and Python's ``irrCAC``), with a
Student-t interval on ``n - 1`` degrees of freedom, the upper end capped at 1.

Agreement weights ``w_kl`` over the level order (``q`` levels, indices ``0..q-1``):
``"linear"`` ``1 - |k - l| / (q - 1)``, ``"quadratic"`` ``1 - (k - l)^2 / (q - 1)^2``.

>>> data = [[0, 0, None, 0], [1, 1, 2, 1], [2, 2, 2, 2], [0, 1, 2, 3]]
>>> round(gwet_ac(data, n_levels=4).value, 4)
0.5119
>>> round(brennan_prediger(data, n_levels=4).value, 4)
0.5
>>> round(conger_kappa(data, n_levels=4).value, 4)
0.493
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from icmaps.errors import UsageError
from icmaps.stats._distributions import t_quantile
from icmaps.stats.coefficients import (
    _WEIGHTS,
    REASON_ALL_MISSING,
    REASON_NO_PAIRS,
    AgreementResult,
    Weights,
    _bootstrap_ci,
    _n_raters,
    _single_level,
    _tabulate,
    _undefined,
    no_variation_reason,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from icmaps.stats.coefficients import RatingsLike, Seed

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.intp]

__all__ = [
    "agreement_weights",
    "brennan_prediger",
    "chance_from_counts",
    "conger_from_ratings",
    "conger_kappa",
    "gwet_ac",
]


MAX_CONGER_BOOTSTRAP_CELLS = 4000
"""Most rater x level cells for a bootstrap of Conger's kappa (each resample sums a table of
that width per unit); past this the analytic standard error is the interval."""


def agreement_weights(n_levels: int, weights: Weights | None) -> FloatArray:
    """Agreement weights over the level order: 1 on the diagonal, 0 for the farthest levels.

    >>> agreement_weights(3, "linear").tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    >>> agreement_weights(3, "quadratic")[0].tolist()
    [1.0, 0.75, 0.0]
    """
    import numpy as np

    if weights not in _WEIGHTS:
        raise UsageError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    if weights is None or n_levels < 2:
        return np.eye(n_levels, dtype=np.float64)
    idx = np.arange(n_levels, dtype=np.float64)
    dist = np.abs(idx[:, None] - idx[None, :]) / (n_levels - 1)
    return 1.0 - (dist if weights == "linear" else dist * dist)  # type: ignore[no-any-return, unused-ignore]


def _interval(
    value: float, se: float | None, n: int, confidence: float
) -> tuple[float, float] | None:
    """Gwet's interval: ``value -/+ t(n - 1) * se``, the upper end capped at 1."""
    if se is None or n < 2:
        return None
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * se
    return (value - half, min(1.0, value + half))


def _observed(counts: FloatArray, per_unit: FloatArray, w: FloatArray) -> tuple[Any, Any]:
    """Per-unit weighted observed agreement ``p_a|i`` (0 for units rated once) and the
    indicator of units rated at least twice."""
    import numpy as np

    weighted = counts @ w.T
    agree = (counts * (weighted - 1.0)).sum(axis=1)
    pair = per_unit >= 2
    denom = np.where(pair, per_unit * (per_unit - 1.0), 1.0)
    return np.where(pair, agree / denom, 0.0), pair.astype(np.float64)


def chance_from_counts(
    counts: IntArray,
    *,
    kind: str,
    weights: Weights | None = None,
    count_raters: Callable[[Any], int],
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Gwet's AC1/AC2 (``kind="gwet"``) or Brennan-Prediger (``kind="bp"``) from a units x
    levels table of rating counts: raters are exchangeable in both, so the counts are all
    they need. The table's width is the number of levels ``q`` of the scale (unused levels
    included: both coefficients depend on ``q``). ``count_raters`` counts the raters of a
    set of units (a boolean mask; ``None``: all units).

    >>> import numpy as np
    >>> counts = np.array([[3, 0, 0], [0, 2, 1], [0, 0, 3], [1, 1, 1]])
    >>> r = chance_from_counts(counts, kind="gwet", count_raters=lambda u: 3)
    >>> round(r.value, 4), round(r.details["se"], 4)
    (0.3814, 0.3843)
    """
    import numpy as np

    method = {"gwet": "gwet_ac", "bp": "brennan_prediger"}[kind]
    q = int(counts.shape[1])
    base: dict[str, object] = {"weights": weights, "n_units_total": int(counts.shape[0])}
    per_unit_all = counts.sum(axis=1)
    rated = per_unit_all >= 1
    if not rated.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    c = counts[rated].astype(np.float64)
    r = per_unit_all[rated].astype(np.float64)
    n = int(c.shape[0])
    pair_mask = r >= 2
    n2 = int(pair_mask.sum())
    if n2 == 0:
        return _undefined(method, REASON_NO_PAIRS, n_raters=count_raters(None), details=base)
    n_raters = count_raters(rated)
    n_pairs = int((r * (r - 1.0) / 2.0).sum())
    if q < 2:
        return _undefined(
            method,
            "the scale has a single level: chance agreement is certain",
            n_units=n,
            n_raters=n_raters,
            n_pairs=n_pairs,
            details=base,
        )
    w = agreement_weights(q, weights)
    t_w = float(w.sum())
    pa_i, pair = _observed(c, r, w)
    pa = float(pa_i.sum()) / n2
    shares = c / r[:, None]
    pi = shares.mean(axis=0)
    # AC1/AC2: chance agreement shrinks as ratings pile up on one level; BP: a constant
    gwet = kind == "gwet"
    pe = t_w * float((pi * (1.0 - pi)).sum()) / (q * (q - 1)) if gwet else t_w / (q * q)
    value = (pa - pe) / (1.0 - pe)
    # Gwet's linearisation: each unit's contribution to the coefficient, corrected for the
    # part of p_e it carries (AC1/AC2 only; Brennan-Prediger's p_e is a constant).
    unit = (n / n2) * (pa_i - pe * pair) / (1.0 - pe)
    if gwet:
        pe_i = t_w / (q * (q - 1)) * (c @ (1.0 - pi)) / r
        unit = unit - 2.0 * (1.0 - value) * (pe_i - pe) / (1.0 - pe)
    se = math.sqrt(float(((unit - value) ** 2).sum()) / (n * (n - 1))) if n >= 2 else None
    details: dict[str, object] = {
        **base,
        "n_levels": q,
        "n_units_paired": n2,
        "p_observed": pa,
        "p_expected": pe,
        "se": se,
    }
    ci = analytic = _interval(value, se, n, confidence)
    details["ci_method"] = "gwet-variance" if ci is not None else None
    if bootstrap:
        features = np.column_stack([pa_i, pair, shares, np.ones(n)])

        def statistic(s: FloatArray) -> FloatArray:
            p_a = s[:, 0] / s[:, 1]
            if gwet:
                p = s[:, 2 : 2 + q] / s[:, -1:]
                p_e = t_w * (p * (1.0 - p)).sum(axis=1) / (q * (q - 1))
            else:
                p_e = np.full(s.shape[0], t_w / (q * q))
            return (p_a - p_e) / (1.0 - p_e)  # type: ignore[no-any-return, unused-ignore]

        ci, info = _bootstrap_ci(
            features, statistic, n_boot=bootstrap, seed=seed, confidence=confidence
        )
        details.update(info)
        details["ci_method"] = "bootstrap"
    details["ci_analytic"] = list(analytic) if analytic is not None else None
    return AgreementResult(method, value, n, n_raters, n_pairs, ci=ci, details=details)


def conger_from_ratings(
    unit: IntArray,
    rater: IntArray,
    level: IntArray,
    *,
    n_units: int,
    n_raters: int,
    n_levels: int,
    weights: Weights | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Conger's kappa from the ratings as parallel arrays (one entry per rating: its unit
    ``0..n_units-1``, rater ``0..n_raters-1`` and level ``0..n_levels-1``): the per-unit
    level counts and the raters' own level counts are both tallied from them.

    >>> import numpy as np
    >>> u, g, lv = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 0, 1]), np.array([0, 0, 1, 1, 0, 1])
    >>> round(conger_from_ratings(u, g, lv, n_units=3, n_raters=2, n_levels=2).value, 4)
    0.4
    """  # noqa: E501
    import numpy as np

    method = "conger_kappa"
    q = n_levels
    base: dict[str, object] = {"weights": weights, "n_units_total": n_units}
    if unit.size == 0:
        return _undefined(method, REASON_ALL_MISSING, details=base)
    counts_all = np.bincount(unit * q + level, minlength=n_units * q).reshape(n_units, q)
    per_unit = counts_all.sum(axis=1)
    rated = per_unit >= 1
    # renumber units and raters to those with ratings
    unit_index = np.cumsum(rated) - 1
    u = unit_index[unit]
    used_raters = np.bincount(rater, minlength=n_raters) > 0
    g = (np.cumsum(used_raters) - 1)[rater]
    n, r_count = int(rated.sum()), int(used_raters.sum())
    c = counts_all[rated].astype(np.float64)
    r = per_unit[rated].astype(np.float64)
    pair_mask = r >= 2
    n2 = int(pair_mask.sum())
    if n2 == 0:
        return _undefined(method, REASON_NO_PAIRS, n_raters=r_count, details=base)
    n_pairs = int((r * (r - 1.0) / 2.0).sum())
    only = _single_level(counts_all.sum(axis=0))
    if only is not None:
        return _undefined(
            method,
            no_variation_reason(only),
            n_units=n,
            n_raters=r_count,
            n_pairs=n_pairs,
            details=base,
        )
    w = agreement_weights(q, weights)
    pa_i, pair = _observed(c, r, w)
    pa = float(pa_i.sum()) / n2
    classif = np.bincount(g * q + level, minlength=r_count * q).reshape(r_count, q)
    pe, p, pbar, n_g = _conger_expected(classif[None].astype(np.float64), w)
    pe_v = float(pe[0])
    p0, pbar0, n_g0 = p[0], pbar[0], n_g[0]
    value = (pa - pe_v) / (1.0 - pe_v)
    # Gwet's linearised per-unit chance agreement (irrCAC's lambda terms), from the ratings:
    # pe_i = (sum_g b_g + sum_{ratings of i} (n / n_g) (A[g, level] - b_g)) / (r (r - 1))
    a = (r_count * pbar0[None, :] - p0) @ w  # raters x levels
    b = (a * p0).sum(axis=1)
    per_rating = (n / n_g0[g]) * (a[g, level] - b[g])
    pe_i = (b.sum() + np.bincount(u, weights=per_rating, minlength=n)) / (r_count * (r_count - 1.0))
    unit_v = (n / n2) * (pa_i - pe_v * pair) / (1.0 - pe_v)
    unit_v = unit_v - 2.0 * (1.0 - value) * (pe_i - pe_v) / (1.0 - pe_v)
    se = math.sqrt(float(((unit_v - value) ** 2).sum()) / (n * (n - 1))) if n >= 2 else None
    details: dict[str, object] = {
        **base,
        "n_levels": q,
        "n_units_paired": n2,
        "p_observed": pa,
        "p_expected": pe_v,
        "se": se,
    }
    ci = analytic = _interval(value, se, n, confidence)
    details["ci_method"] = "gwet-variance" if ci is not None else None
    if bootstrap:
        width = r_count * q
        if width > MAX_CONGER_BOOTSTRAP_CELLS:
            raise UsageError(
                f"a bootstrap of Conger's kappa with {r_count} raters x {q} levels is too wide "
                f"(more than {MAX_CONGER_BOOTSTRAP_CELLS} cells); use the standard error "
                "(bootstrap=0) or method='gwet'"
            )
        onehot = np.zeros((n, width), dtype=np.float64)
        np.add.at(onehot, (u, g * q + level), 1.0)
        features = np.column_stack([pa_i, pair, onehot])

        def statistic(s: FloatArray) -> FloatArray:
            p_e = _conger_expected(s[:, 2:].reshape(-1, r_count, q), w)[0]
            p_a = s[:, 0] / s[:, 1]
            return (p_a - p_e) / (1.0 - p_e)  # type: ignore[no-any-return, unused-ignore]

        ci, info = _bootstrap_ci(
            features, statistic, n_boot=bootstrap, seed=seed, confidence=confidence
        )
        details.update(info)
        details["ci_method"] = "bootstrap"
    details["ci_analytic"] = list(analytic) if analytic is not None else None
    return AgreementResult(method, value, n, r_count, n_pairs, ci=ci, details=details)


def _conger_expected(
    classif: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Conger's chance agreement for a batch of rater x level tables (batch x raters x
    levels); raters with no rating in a table (possible in a bootstrap resample) are left
    out of that table. Returns p_e, the raters' level shares, their mean and rater totals."""
    import numpy as np

    n_g = classif.sum(axis=2)
    present = n_g > 0
    r = present.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(present[:, :, None], classif / np.where(present, n_g, 1.0)[:, :, None], 0.0)
        pbar = p.sum(axis=1) / r[:, None]
        outer = pbar[:, :, None] * pbar[:, None, :]
        s2 = (np.einsum("bgk,bgl->bkl", p, p) - r[:, None, None] * outer) / (r - 1.0)[:, None, None]
        pe = (w * (outer - s2 / r[:, None, None])).sum(axis=(1, 2))
    return pe, p, pbar, n_g


def _matrix_coefficient(
    kind: str,
    data: RatingsLike,
    *,
    n_levels: int,
    weights: Weights | None,
    bootstrap: int,
    seed: Seed,
    confidence: float,
) -> AgreementResult:
    _, codes, n, counts, _ = _tabulate(
        data, n_levels, required=True, bootstrap=bootstrap, confidence=confidence
    )
    if weights not in _WEIGHTS:
        raise UsageError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    if kind == "conger":
        import numpy as np

        units, raters = np.nonzero(codes != n)
        return conger_from_ratings(
            units,
            raters,
            codes[units, raters],
            n_units=int(codes.shape[0]),
            n_raters=int(codes.shape[1]),
            n_levels=n,
            weights=weights,
            bootstrap=bootstrap,
            seed=seed,
            confidence=confidence,
        )
    return chance_from_counts(
        counts,
        kind=kind,
        weights=weights,
        count_raters=lambda units: _n_raters(codes if units is None else codes[units], n),
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
    )


def gwet_ac(
    data: RatingsLike,
    *,
    n_levels: int,
    weights: Weights | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Gwet's AC1 (``weights=None``) or AC2 (``"linear"``, ``"quadratic"``) on a units x
    raters matrix of level indices (``nan``/``None`` for missing; any raters, any gaps).

    ``n_levels`` is required: chance agreement depends on the number of levels of the scale,
    used or not. ``details`` hold ``p_observed``, ``p_expected``, the standard error ``se``
    and ``ci_analytic``; ``ci`` is Gwet's t interval, or the bootstrap's when
    ``bootstrap=B`` is given. Undefined (``value=None`` with a ``reason``) with no ratings or
    no unit rated twice; a single level throughout gives 1.0 (AC1 stays defined).

    >>> r = gwet_ac([[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]], n_levels=3)
    >>> round(r.value, 3), round(r.details["p_expected"], 3)
    (0.82, 0.076)
    """
    return _matrix_coefficient(
        "gwet",
        data,
        n_levels=n_levels,
        weights=weights,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
    )


def brennan_prediger(
    data: RatingsLike,
    *,
    n_levels: int,
    weights: Weights | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Brennan and Prediger's (1981) coefficient (chance agreement ``T_w / q^2``: every
    level equally likely), weighted or not, on a units x raters matrix with gaps allowed.

    >>> round(brennan_prediger([[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]], n_levels=3).value, 3)
    0.75
    """
    return _matrix_coefficient(
        "bp",
        data,
        n_levels=n_levels,
        weights=weights,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
    )


def conger_kappa(
    data: RatingsLike,
    *,
    n_levels: int,
    weights: Weights | None = None,
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Conger's (1980) multi-rater kappa, weighted or not: the columns are raters (their own
    level shares give chance agreement), rows units, gaps allowed. With two raters it is
    Cohen's kappa. A single level throughout is undefined (``p_e = 1``).

    >>> round(conger_kappa([[0, 0], [1, 1], [0, 1], [1, 1]], n_levels=2).value, 4)
    0.5
    """
    return _matrix_coefficient(
        "conger",
        data,
        n_levels=n_levels,
        weights=weights,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
    )
