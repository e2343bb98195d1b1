"""Where bundled maps and schemas live.

In a wheel they are package data under ``icmaps/_data`` (hatch ``force-include`` copies the
top-level ``maps/`` and ``schemas/`` there). In a source checkout or an editable install the
top-level folders are the single source of truth and are used directly.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

__all__ = ["maps_dir", "schema_file"]


def _data(name: str) -> Traversable:
    packaged = files("icmaps").joinpath("_data").joinpath(name)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    return packaged


def maps_dir() -> Traversable:
    """The folder of bundled ``*.yaml`` maps."""
    return _data("maps")


def schema_file(name: str = "icmap.schema.json") -> Traversable:
    """A bundled JSON Schema file."""
    return _data("schemas").joinpath(name)
