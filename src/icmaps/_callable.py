"""Modules that can be called like the function they are named after.

``icmaps.agreement``, ``icmaps.compare`` and ``icmaps.configurations`` are each both a
module and that module's main function. Python's import system sets ``icmaps.<module>`` to
the module object when the module is first imported, which would hide the function of the
same name exported by ``icmaps/__init__.py``. Making those modules callable means
``icmaps.compare(ratings, ...)`` works in every import order, and ``inspect.signature`` shows
the function's.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, func: Callable[..., Any]) -> None:
    """Make ``sys.modules[module_name]`` callable: calling it calls ``func``."""

    class _CallableModule(types.ModuleType):
        __call__ = staticmethod(func)

        @property
        def __signature__(self) -> inspect.Signature:
            """The function's signature, for ``help()``, ``inspect`` and editors."""
            return inspect.signature(func)

    sys.modules[module_name].__class__ = _CallableModule
