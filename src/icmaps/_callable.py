"""Modules that can be called like the function they are named after.

``icmaps.compare`` and ``icmaps.configurations`` are both a module and that module's main
function. Python's import system sets ``icmaps.<module>`` to the module object when the module
is first imported, which would hide the function of the same name exported by
``icmaps/__init__.py``. Making those modules callable means ``icmaps.compare(ratings, ...)``
works in every import order.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, func: Callable[..., Any]) -> None:
    """Make ``sys.modules[module_name]`` callable: calling it calls ``func``."""

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

    sys.modules[module_name].__class__ = _CallableModule
