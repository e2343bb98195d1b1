"""Quantiles of Student's t and Fisher's F, for the analytic confidence intervals.

icmaps depends on numpy only, not scipy, and needs just two quantiles: Student's t (Gwet's
intervals for AC1/AC2, Brennan-Prediger and Conger's kappa) and Fisher's F (the intervals of
the intraclass correlations). Both are inverses of the regularized incomplete beta function
``I_x(a, b)``, evaluated by its continued fraction (Numerical Recipes, 2nd ed., 6.4) and
inverted by bisection: a few hundred evaluations per interval, which is nothing next to the
data. Agreement with ``scipy.stats`` is checked to 1e-9 in the tests.

>>> round(t_quantile(0.975, 10), 6)
2.228139
>>> round(f_quantile(0.975, 5, 18), 6)
3.381968
"""

from __future__ import annotations

import math

__all__ = ["f_quantile", "regularized_beta", "t_quantile"]


_EPS = 1e-16
_TINY = 1e-300


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of ``I_x(a, b)`` (modified Lentz), converging for
    ``x < (a + 1) / (a + b + 2)``."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """``I_x(a, b)``, the regularized incomplete beta function (the beta distribution's cdf).

    >>> regularized_beta(0.5, 2.0, 2.0)
    0.5
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # the fraction converges fast on one side of the mean; use the symmetry on the other
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(x, a, b) / a
    return 1.0 - front * _beta_fraction(1.0 - x, b, a) / b


def _beta_quantile(p: float, a: float, b: float) -> float:
    """The ``x`` with ``I_x(a, b) = p``, by bisection down to adjacent floats."""
    lo, hi = 0.0, 1.0
    for _ in range(2000):
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):
            break
        if regularized_beta(mid, a, b) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def t_quantile(p: float, df: float) -> float:
    """Quantile ``p`` (``0 < p < 1``) of Student's t with ``df`` degrees of freedom.

    >>> t_quantile(0.5, 3)
    0.0
    """
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p!r}, df={df!r}")
    if p == 0.5:
        return 0.0
    tail = 2.0 * min(p, 1.0 - p)  # P(|T| > t)
    if tail < 0.5:
        y = _beta_quantile(tail, df / 2.0, 0.5)  # I_y(df/2, 1/2) = P(|T| > t), y = df/(df+t^2)
        t = math.sqrt(df * (1.0 - y) / y)
    else:  # near the median y is close to 1: solve for z = 1 - y = t^2/(df+t^2) instead
        z = _beta_quantile(1.0 - tail, 0.5, df / 2.0)
        t = math.sqrt(df * z / (1.0 - z))
    return t if p > 0.5 else -t


def f_quantile(p: float, d1: float, d2: float) -> float:
    """Quantile ``p`` (``0 < p < 1``) of Fisher's F with ``d1`` and ``d2`` degrees of
    freedom (non-integer degrees allowed, as in Satterthwaite's approximation)."""
    if not 0.0 < p < 1.0 or d1 <= 0 or d2 <= 0:
        raise ValueError(f"f_quantile needs 0 < p < 1 and positive df, got {p!r}, {d1!r}, {d2!r}")
    # P(F <= x) = I_y(d1/2, d2/2) with y = d1 x / (d1 x + d2); in the upper half solve for
    # z = 1 - y instead (I_z(d2/2, d1/2) = 1 - p), which keeps its digits when y is near 1
    if p <= 0.5:
        y = _beta_quantile(p, d1 / 2.0, d2 / 2.0)
        return d2 * y / (d1 * (1.0 - y))
    z = _beta_quantile(1.0 - p, d2 / 2.0, d1 / 2.0)
    return d2 * (1.0 - z) / (d1 * z)
