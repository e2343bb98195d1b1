"""The one place that imports an optional extra, and says how to install it when missing.

>>> require("json", "reading JSON", extra="fast").__name__
'json'
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from icmaps.errors import MissingExtraError

__all__ = ["has", "import_pandas", "require"]


def require(module: str, what: str, *, extra: str) -> ModuleType:
    """Import ``module``; if it is missing, raise :class:`MissingExtraError` naming ``extra``.

    ``what`` says what needs it, in the user's terms ("plots need matplotlib").
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(what, extra=extra, module=module) from e


def has(module: str) -> bool:
    """Whether ``module`` can be imported (for optional fast paths that have a fallback).

    >>> has("json"), has("no_such_module_here")
    (True, False)
    """
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def import_pandas() -> Any:
    """The pandas module, for ``to_pandas()`` (the ``pandas`` extra)."""
    return require("pandas", "to_pandas() needs pandas", extra="pandas")
