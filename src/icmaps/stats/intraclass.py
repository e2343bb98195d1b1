"""Intraclass correlations (Shrout & Fleiss 1979; McGraw & Wong 1996) on level scores.

A units x raters matrix of scores (the map's level scores, not level indices) is split by
the two-way analysis of variance into mean squares for units ``MSB``, raters ``MSJ``,
residual ``MSE`` and within units ``MSW = (SS_raters + SS_residual) / (n (k - 1))``:

============ ==================================== ==============================================
form         model (McGraw & Wong name)            formula
* ``ICC1``, one-way random, single rater: ``(MSB - MSW) / (MSB + (k-1) MSW)``;
* ``ICC2``, two-way random, absolute agreement (McGraw & Wong's A,1):
  ``(MSB - MSE) / (MSB + (k-1) MSE + k (MSJ - MSE) / n)``;
* ``ICC3``, two-way mixed, consistency (C,1): ``(MSB - MSE) / (MSB + (k-1) MSE)``;
* ``ICC1k``, ``ICC2k``, ``ICC3k``, the same for the mean of the ``k`` raters:
  ``(MSB - MSW) / MSB``, ``(MSB - MSE) / (MSB + (MSJ - MSE) / n)``, ``(MSB - MSE) / MSB``.

Confidence intervals are the F-based ones of Shrout & Fleiss (1979) and McGraw & Wong
(1996), with Satterthwaite's degrees of freedom for ICC2 (the same as R's ``psych::ICC`` and
``pingouin.intraclass_corr``). Units not rated by every rater are left out (listwise), as the
ANOVA needs a complete design; ``details["n_units_dropped"]`` says how many.

>>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
>>> [round(icc(sf, form=f).value, 3) for f in ("ICC1", "ICC2", "ICC3")]
[0.166, 0.29, 0.715]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from icmaps.errors import UsageError
from icmaps.stats._distributions import f_quantile, regularized_beta
from icmaps.stats.coefficients import (
    REASON_ALL_MISSING,
    AgreementResult,
    _as_matrix,
    _bootstrap_ci,
    _check_bootstrap,
    _undefined,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from icmaps.stats.coefficients import RatingsLike, Seed

    FloatArray = NDArray[np.float64]

__all__ = ["ICC_FORMS", "IccForm", "icc"]


IccForm = Literal["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
"""The six Shrout & Fleiss forms (``k``: the mean of the raters rather than one rater)."""


ICC_FORMS: tuple[str, ...] = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


_MODELS = {
    "ICC1": "one-way random effects, single rater",
    "ICC2": "two-way random effects, absolute agreement, single rater",
    "ICC3": "two-way mixed effects, consistency, single rater",
    "ICC1k": "one-way random effects, mean of k raters",
    "ICC2k": "two-way random effects, absolute agreement, mean of k raters",
    "ICC3k": "two-way mixed effects, consistency, mean of k raters",
}

REASON_INCOMPLETE = "no unit was rated by every rater (the ICC needs a complete design)"
"""``reason`` when listwise deletion leaves fewer than two units."""


def _mean_squares(s: FloatArray, n: FloatArray, k: int) -> tuple[FloatArray, ...]:
    """MSB, MSW, MSJ, MSE for a batch of sums (sum of squared row sums, column sums...,
    sum of squares, unit count): the ANOVA as a function of sums over units."""
    row2, cols, sq = s[:, 0], s[:, 1 : 1 + k], s[:, 1 + k]
    total = cols.sum(axis=1)
    correction = total * total / (n * k)
    ss_rows = row2 / k - correction
    ss_cols = (cols * cols).sum(axis=1) / n - correction
    ss_total = sq - correction
    ss_error = ss_total - ss_rows - ss_cols
    msb = ss_rows / (n - 1.0)
    msj = ss_cols / (k - 1.0)
    mse = ss_error / ((n - 1.0) * (k - 1.0))
    msw = (ss_cols + ss_error) / (n * (k - 1.0))
    return msb, msw, msj, mse


def _icc_values(form: str, ms: tuple[FloatArray, ...], n: FloatArray, k: int) -> FloatArray:
    """The ICC of ``form`` from the mean squares ``(MSB, MSW, MSJ, MSE)``."""
    msb, msw, msj, mse = ms
    out: FloatArray
    if form == "ICC1":
        out = (msb - msw) / (msb + (k - 1) * msw)
    elif form == "ICC2":
        out = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    elif form == "ICC3":
        out = (msb - mse) / (msb + (k - 1) * mse)
    elif form == "ICC1k":
        out = (msb - msw) / msb
    elif form == "ICC2k":
        out = (msb - mse) / (msb + (msj - mse) / n)
    else:
        out = (msb - mse) / msb
    return out


def _f_interval(
    form: str, ms: tuple[float, float, float, float], *, n: int, k: int, confidence: float
) -> tuple[float, float] | None:
    """Shrout & Fleiss / McGraw & Wong F-based interval (None where an F is infinite)."""
    msb, msw, msj, mse = ms
    upper_p = 0.5 + confidence / 2.0
    df1 = n - 1
    try:
        if form in ("ICC1", "ICC1k", "ICC3", "ICC3k"):
            one_way = form in ("ICC1", "ICC1k")
            inner, df2 = (msw, n * (k - 1)) if one_way else (mse, (n - 1) * (k - 1))
            f_obs = msb / inner
            f_low = f_obs / f_quantile(upper_p, df1, df2)
            f_high = f_obs * f_quantile(upper_p, df2, df1)
            if form in ("ICC1", "ICC3"):
                return (f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1)
            return 1 - 1 / f_low, 1 - 1 / f_high
        fj = msj / mse
        icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
        # Satterthwaite's degrees of freedom for the mix of MSJ and MSE (McGraw & Wong 1996)
        vn = (n - 1) * (k - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        f_u = f_quantile(upper_p, df1, v)
        f_l = f_quantile(upper_p, v, df1)
        low = n * (msb - f_u * mse) / (f_u * (k * msj + (k * n - k - n) * mse) + n * msb)
        high = n * (f_l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f_l * msb)
        if form == "ICC2":
            return low, high
        return low * k / (1 + low * (k - 1)), high * k / (1 + high * (k - 1))
    except (ZeroDivisionError, ValueError, OverflowError):
        return None


def icc(
    data: RatingsLike,
    *,
    form: IccForm = "ICC2",
    bootstrap: int = 0,
    seed: Seed = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """An intraclass correlation of a units x raters matrix of scores (``nan``/``None``:
    not rated; such units are left out).

    ``form`` is one of :data:`ICC_FORMS`: ``ICC2`` (default; raters a random sample, absolute
    agreement, one rater's score) fits observers certified to rate interchangeably. The
    two-way forms need the same raters on every unit (columns are raters; incomplete units
    are left out); the one-way ``ICC1``/``ICC1k`` do not (each unit's scores are taken as
    given by any raters, and the units with the most common number of ratings are used).
    ``ci`` is the F-based interval (or the bootstrap's with ``bootstrap=B``); ``details``
    hold the mean squares, the F test (``f``, ``df1``, ``df2``, ``p_value``) and the model.
    Undefined (``value=None``) with no complete unit, fewer than two units or raters, or no
    variation between units and within them.

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> r = icc(sf, form="ICC3k")
    >>> round(r.value, 3), [round(v, 2) for v in r.ci]
    (0.909, [0.68, 0.99])
    """
    import numpy as np

    if form not in ICC_FORMS:
        raise UsageError(f"icc form must be one of {', '.join(ICC_FORMS)}; got {form!r}")
    _check_bootstrap(bootstrap, confidence)
    x = _as_matrix(data, "scores")
    method = "icc"
    base: dict[str, object] = {
        "form": form,
        "model": _MODELS[form],
        "n_units_total": int(x.shape[0]),
    }
    rated = ~np.isnan(x)
    if not rated.any():
        return _undefined(method, REASON_ALL_MISSING, details=base)
    if form in ("ICC1", "ICC1k"):
        y, n_raters = _one_way_units(x, rated)
    else:
        y = x[:, rated.any(axis=0)]
        y = y[~np.isnan(y).any(axis=1)]
        n_raters = int(y.shape[1])
    n, k = int(y.shape[0]), int(y.shape[1])
    base["n_units_dropped"] = int(rated.any(axis=1).sum()) - n
    if n < 2 or k < 2:
        reason = REASON_INCOMPLETE if k >= 2 else "fewer than two raters"
        if form not in ("ICC1", "ICC1k") and k >= 2:
            reason += "; when the raters differ from unit to unit, use form ICC1"
        return _undefined(method, reason, n_units=n, n_raters=n_raters, details=base)
    n_pairs = n * k * (k - 1) // 2
    row = y.sum(axis=1)
    features = np.column_stack([row * row, y, (y * y).sum(axis=1), np.ones(n)])
    sums = features.sum(axis=0)[None, :]
    nn = np.array([float(n)])
    msb, msw, msj, mse = (float(v[0]) for v in _mean_squares(sums, nn, k))
    if msb + msw <= 1e-12 * max(1.0, float(np.abs(y).max()) ** 2):
        return _undefined(
            method,
            "no variation: every score is the same (the ICC is undefined)",
            n_units=n,
            n_raters=k,
            n_pairs=n_pairs,
            details=base,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        ms = tuple(np.array([v]) for v in (msb, msw, msj, mse))
        value = float(_icc_values(form, ms, nn, k)[0])
    if not math.isfinite(value):
        return _undefined(
            method,
            "no variation between units (the ICC is undefined)",
            n_units=n,
            n_raters=k,
            n_pairs=n_pairs,
            details=base,
        )
    one_way = form in ("ICC1", "ICC1k")
    inner, df2 = (msw, n * (k - 1)) if one_way else (mse, (n - 1) * (k - 1))
    f_obs = msb / inner if inner > 0 else math.inf
    p_value = (
        regularized_beta(df2 / (df2 + (n - 1) * f_obs), df2 / 2.0, (n - 1) / 2.0)
        if math.isfinite(f_obs)
        else 0.0
    )
    details: dict[str, object] = {
        **base,
        "msb": msb,
        "msw": msw,
        "msj": msj,
        "mse": mse,
        "f": f_obs if math.isfinite(f_obs) else None,
        "df1": n - 1,
        "df2": df2,
        "p_value": p_value,
    }
    ci = _f_interval(form, (msb, msw, msj, mse), n=n, k=k, confidence=confidence)
    details["ci_method"] = "F" if ci is not None else None
    details["ci_analytic"] = list(ci) if ci is not None else None
    if bootstrap:

        def statistic(s: FloatArray) -> FloatArray:
            count = s[:, -1]
            return _icc_values(form, _mean_squares(s, count, k), count, k)

        ci, info = _bootstrap_ci(
            features, statistic, n_boot=bootstrap, seed=seed, confidence=confidence
        )
        details.update(info)
        details["ci_method"] = "bootstrap"
    details["ratings_per_unit"] = k
    return AgreementResult(method, value, n, n_raters, n_pairs, ci=ci, details=details)


def _one_way_units(x: FloatArray, rated: Any) -> tuple[FloatArray, int]:
    """The one-way forms treat a unit's raters as a random draw, so who rated matters not:
    each unit's scores are packed to the left, and the units with the most common number
    of ratings (two or more; the larger on a tie) are kept. Returns them and the number of
    raters (columns) who rated a kept unit."""
    import numpy as np

    per_unit = rated.sum(axis=1)
    usable = per_unit[per_unit >= 2]
    if usable.size == 0:
        return np.empty((0, 0)), int(rated.any(axis=0).sum())
    tally = np.bincount(usable)
    k = int(len(tally) - 1 - np.argmax(tally[::-1]))
    keep = per_unit == k
    order = np.argsort(~rated[keep], axis=1, kind="stable")  # rated columns first
    packed = np.take_along_axis(x[keep], order, axis=1)[:, :k]
    return packed, int(rated[keep].any(axis=0).sum())
