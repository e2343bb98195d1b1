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
    from icmaps.aggregate import (
        ConsensusReport,
        FidelityResult,
        Summary,
        SummaryRow,
        Tally,
        consensus,
        fidelity,
        summarize,
        tally,
    )
    from icmaps.agreement import (
        AgreementReport,
        AgreementResult,
        DisagreementReport,
        agreement,
        cohen_kappa,
        disagreements,
        fleiss_kappa,
        krippendorff_alpha,
        percent_agreement,
    )
    from icmaps.compare import (
        Comparison,
        GapReport,
        GroupComparison,
        compare,
        compare_groups,
        gap_to_target,
    )
    from icmaps.configurations import Cluster, Configurations, configurations
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
    from icmaps.reporting import Report, report
    from icmaps.schema import generate_schema
    from icmaps.versions import (
        Change,
        Crosswalk,
        MapDiff,
        MigrationReport,
        crosswalk,
        diff_maps,
        load_crosswalk,
        migrate_ratings,
    )

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ConsensusReport": "icmaps.aggregate",
    "FidelityResult": "icmaps.aggregate",
    "Summary": "icmaps.aggregate",
    "SummaryRow": "icmaps.aggregate",
    "Tally": "icmaps.aggregate",
    "consensus": "icmaps.aggregate",
    "fidelity": "icmaps.aggregate",
    "summarize": "icmaps.aggregate",
    "tally": "icmaps.aggregate",
    "Comparison": "icmaps.compare",
    "GapReport": "icmaps.compare",
    "GroupComparison": "icmaps.compare",
    "compare": "icmaps.compare",
    "compare_groups": "icmaps.compare",
    "gap_to_target": "icmaps.compare",
    "Cluster": "icmaps.configurations",
    "Configurations": "icmaps.configurations",
    "configurations": "icmaps.configurations",
    "Change": "icmaps.versions",
    "Crosswalk": "icmaps.versions",
    "MapDiff": "icmaps.versions",
    "MigrationReport": "icmaps.versions",
    "crosswalk": "icmaps.versions",
    "diff_maps": "icmaps.versions",
    "load_crosswalk": "icmaps.versions",
    "migrate_ratings": "icmaps.versions",
    "Report": "icmaps.reporting",
    "report": "icmaps.reporting",
    "Rating": "icmaps.ratings",
    "RatingSet": "icmaps.ratings",
    "ReadResult": "icmaps.readers",
    "example_ratings": "icmaps.readers",
    "read_ratings": "icmaps.readers",
    "write_ratings": "icmaps.readers",
    "dumps_ratings": "icmaps.readers",
    "AgreementReport": "icmaps.agreement",
    "AgreementResult": "icmaps.agreement",
    "DisagreementReport": "icmaps.agreement",
    "agreement": "icmaps.agreement",
    "disagreements": "icmaps.agreement",
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
    "AgreementReport",
    "AgreementResult",
    "Change",
    "CheckResult",
    "Cluster",
    "Comparison",
    "Component",
    "Configurations",
    "ConsensusReport",
    "Crosswalk",
    "DisagreementReport",
    "Fidelity",
    "FidelityResult",
    "GapReport",
    "Group",
    "GroupComparison",
    "IcmapsError",
    "Level",
    "LoadError",
    "Map",
    "MapDiff",
    "MapValidationError",
    "MigrationReport",
    "NotFoundError",
    "Problem",
    "Rating",
    "RatingSet",
    "RatingsError",
    "ReadResult",
    "Report",
    "Role",
    "Scale",
    "Source",
    "SpecialCode",
    "Summary",
    "SummaryRow",
    "Tally",
    "UsageError",
    "Variation",
    "__version__",
    "agreement",
    "check_map",
    "cohen_kappa",
    "compare",
    "compare_groups",
    "configurations",
    "consensus",
    "crosswalk",
    "diff_maps",
    "disagreements",
    "dump_map",
    "dumps_map",
    "dumps_ratings",
    "example_ratings",
    "fidelity",
    "fleiss_kappa",
    "gap_to_target",
    "generate_schema",
    "krippendorff_alpha",
    "list_maps",
    "load_crosswalk",
    "load_map",
    "loads_map",
    "migrate_ratings",
    "percent_agreement",
    "read_ratings",
    "report",
    "summarize",
    "tally",
    "write_ratings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'icmaps' has no attribute {name!r}")
    imported = importlib.import_module(module)
    # icmaps.agreement is both a submodule and a public function; the module is callable (it
    # calls the function), so the name stays the module whatever the import order.
    value = imported if module == f"icmaps.{name}" else getattr(imported, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
