"""icmaps: Innovation Configuration (IC) maps in Python.

Describe an innovation as components with ordered variations, rate subjects against it,
aggregate, compare and check inter-rater agreement.

>>> import icmaps
>>> m = icmaps.load_map("learning-school")
>>> m.component(m.all_components()[0].id).title != ""
True

Names are imported on first use, so ``import icmaps`` stays fast (pydantic, jsonschema and
PyYAML load only when a map is first read).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from icmaps._version import __version__

if TYPE_CHECKING:
    from icmaps.agreement import (
        AgreementResult,
        cohen_kappa,
        fleiss_kappa,
        krippendorff_alpha,
        percent_agreement,
    )
    from icmaps.errors import (
        IcmapsError,
        LoadError,
        MapValidationError,
        NotFoundError,
        Problem,
        RatingsError,
        UsageError,
    )
    from icmaps.loading import (
        CheckResult,
        check_map,
        dump_map,
        dumps_map,
        list_maps,
        load_map,
        loads_map,
    )
    from icmaps.model import (
        Component,
        Fidelity,
        Group,
        Level,
        Map,
        Role,
        Scale,
        Source,
        SpecialCode,
        Variation,
    )
    from icmaps.ratings import Rating, RatingSet
    from icmaps.readers import (
        ReadResult,
        dumps_ratings,
        example_ratings,
        read_ratings,
        write_ratings,
    )
    from icmaps.schema import generate_schema

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Rating": "icmaps.ratings",
    "RatingSet": "icmaps.ratings",
    "ReadResult": "icmaps.readers",
    "example_ratings": "icmaps.readers",
    "read_ratings": "icmaps.readers",
    "write_ratings": "icmaps.readers",
    "dumps_ratings": "icmaps.readers",
    "AgreementResult": "icmaps.agreement",
    "cohen_kappa": "icmaps.agreement",
    "fleiss_kappa": "icmaps.agreement",
    "krippendorff_alpha": "icmaps.agreement",
    "percent_agreement": "icmaps.agreement",
    "CheckResult": "icmaps.loading",
    "Component": "icmaps.model",
    "Fidelity": "icmaps.model",
    "Group": "icmaps.model",
    "IcmapsError": "icmaps.errors",
    "Level": "icmaps.model",
    "LoadError": "icmaps.errors",
    "Map": "icmaps.model",
    "MapValidationError": "icmaps.errors",
    "NotFoundError": "icmaps.errors",
    "Problem": "icmaps.errors",
    "RatingsError": "icmaps.errors",
    "Role": "icmaps.model",
    "Scale": "icmaps.model",
    "Source": "icmaps.model",
    "SpecialCode": "icmaps.model",
    "UsageError": "icmaps.errors",
    "Variation": "icmaps.model",
    "check_map": "icmaps.loading",
    "dump_map": "icmaps.loading",
    "dumps_map": "icmaps.loading",
    "generate_schema": "icmaps.schema",
    "list_maps": "icmaps.loading",
    "load_map": "icmaps.loading",
    "loads_map": "icmaps.loading",
}

__all__ = [
    "AgreementResult",
    "CheckResult",
    "Component",
    "Fidelity",
    "Group",
    "IcmapsError",
    "Level",
    "LoadError",
    "Map",
    "MapValidationError",
    "NotFoundError",
    "Problem",
    "Rating",
    "RatingSet",
    "RatingsError",
    "ReadResult",
    "Role",
    "Scale",
    "Source",
    "SpecialCode",
    "UsageError",
    "Variation",
    "__version__",
    "check_map",
    "cohen_kappa",
    "dump_map",
    "dumps_map",
    "dumps_ratings",
    "example_ratings",
    "fleiss_kappa",
    "generate_schema",
    "krippendorff_alpha",
    "list_maps",
    "load_map",
    "loads_map",
    "percent_agreement",
    "read_ratings",
    "write_ratings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'icmaps' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
