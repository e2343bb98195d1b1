"""The t and F quantiles behind the analytic intervals, against scipy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from icmaps.stats._distributions import f_quantile, regularized_beta, t_quantile

stats = pytest.importorskip("scipy.stats")  # scipy comes with statsmodels in the dev extra

probabilities = st.sampled_from([0.001, 0.025, 0.05, 0.1, 0.6, 0.9, 0.95, 0.975, 0.995, 0.9995])
degrees = st.floats(1.0, 5000.0)  # the intervals use df >= 1


# scipy's own quantiles are accurate to about 1e-9 only (stdtr(df, stdtrit(df, p)) misses p
# by ~1e-10), so ours are checked through scipy's distribution functions, which are exact to
# rounding, and against its quantiles at a looser tolerance.


@settings(max_examples=200, deadline=None)
@given(p=probabilities, df=degrees)
def test_t_quantile(p: float, df: float) -> None:
    t = t_quantile(p, df)
    assert stats.t.cdf(t, df) == pytest.approx(p, rel=1e-9)
    assert t == pytest.approx(stats.t.ppf(p, df), rel=1e-7)


@settings(max_examples=200, deadline=None)
@given(p=probabilities, d1=degrees, d2=degrees)
def test_f_quantile(p: float, d1: float, d2: float) -> None:
    f = f_quantile(p, d1, d2)
    assert stats.f.cdf(f, d1, d2) == pytest.approx(p, rel=1e-9)
    assert f == pytest.approx(stats.f.ppf(p, d1, d2), rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(x=st.floats(0.0, 1.0), a=st.floats(0.1, 500.0), b=st.floats(0.1, 500.0))
def test_regularized_beta(x: float, a: float, b: float) -> None:
    from scipy.special import betainc

    assert regularized_beta(x, a, b) == pytest.approx(betainc(a, b, x), abs=1e-12)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="0 < p < 1"):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="positive df"):
        f_quantile(0.5, 0, 3)
