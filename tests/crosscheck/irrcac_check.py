"""Cross-check of Gwet's AC1/AC2, Brennan-Prediger and Conger's kappa against irrCAC.

irrCAC (the Python port of Gwet's R package) pins ``scipy==1.12.0`` and ``pandas<3`` and gives
wrong figures with pandas 3, so it cannot share the dev environment (numpy 2, pandas 3). CI
runs this file in an environment of its own (see ``.ci/run``)::

    uv venv /tmp/irrcac && VIRTUAL_ENV=/tmp/irrcac uv pip install -e . irrCAC pytest hypothesis
    /tmp/irrcac/bin/python -m pytest -p no:cacheprovider tests/crosscheck/irrcac_check.py

The file name keeps it out of the usual collection (``test_*.py``); it imports irrCAC at the
top, so where it runs it cannot skip.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from irrCAC.raw import CAC

from icmaps.stats.chance_corrected import brennan_prediger, conger_kappa, gwet_ac
from tests.strategies import rating_matrices

FUNCTIONS: dict[str, Any] = {
    "gwet": gwet_ac,
    "brennan-prediger": brennan_prediger,
    "conger": conger_kappa,
}
IRRCAC = {"gwet": "gwet", "brennan-prediger": "bp", "conger": "conger"}


def _irrcac(method: str, rows: list[list[float | None]], n_levels: int, weights: str | None) -> Any:
    frame = pd.DataFrame(np.array(rows, dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # irrCAC writes to a slice of its input (pandas warns)
        cac = CAC(frame, weights=weights or "identity", categories=list(range(n_levels)), digits=15)
        return getattr(cac, IRRCAC[method])()["est"]


@pytest.mark.parametrize("method", list(FUNCTIONS))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rating_matrices())
def test_matches_irrcac(
    method: str, weights: str | None, case: tuple[list[list[float | None]], int]
) -> None:
    rows, n_levels = case
    ours = FUNCTIONS[method](rows, n_levels=n_levels, weights=weights)
    theirs = _irrcac(method, rows, n_levels, weights)
    if ours.value is None:  # Conger with a single level used: irrCAC divides 0 by 0
        assert method == "conger"
        assert ours.reason is not None
        assert ours.reason.startswith("no variation")
        return
    assert ours.value == pytest.approx(theirs["coefficient_value"], abs=1e-9)
    assert ours.details["p_observed"] == pytest.approx(theirs["pa"], abs=1e-9)
    assert ours.details["p_expected"] == pytest.approx(theirs["pe"], abs=1e-9)
    if theirs["se"] > 1e-14:  # irrCAC reports 1e-15 for a zero standard error
        assert ours.details["se"] == pytest.approx(theirs["se"], abs=1e-9)
        # irrCAC's interval uses scipy's t quantile, itself accurate to about 1e-9 (see
        # tests/stats/test_distributions.py); ours is exact to rounding
        assert ours.ci == pytest.approx(theirs["confidence_interval"], abs=1e-8)
