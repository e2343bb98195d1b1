"""Shared tabular plumbing: the optional pandas extra fails the same way everywhere."""

from __future__ import annotations

import sys

import pytest

from icmaps.errors import IcmapsError, MissingExtraError
from icmaps.stats.summary import summarize

from .tiny import tiny_ratings


def test_to_pandas_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    rs = tiny_ratings()
    summary = summarize(rs)
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    for result in (summary, rs):
        with pytest.raises(MissingExtraError, match=r"pip install 'icmaps\[pandas\]'") as info:
            result.to_pandas()
        assert isinstance(info.value.__cause__, ImportError)
        assert isinstance(info.value, ImportError)
        assert isinstance(info.value, IcmapsError)
        assert info.value.extra == "pandas"
