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
from typing import Any

from icmaps._version import __version__ as __version__

# The one table of the public API: name -> module that defines it. It drives ``__all__`` and
# the lazy imports below; ``__init__.pyi`` spells the same names out for type checkers (a test
# keeps the two equal).
_EXPORTS: dict[str, str] = {
    "IcmapsError": "icmaps.errors",
    "LoadError": "icmaps.errors",
    "MapValidationError": "icmaps.errors",
    "MissingExtraError": "icmaps.errors",
    "NotFoundError": "icmaps.errors",
    "Problem": "icmaps.errors",
    "RatingsError": "icmaps.errors",
    "UsageError": "icmaps.errors",
    "CheckResult": "icmaps.maps.codec",
    "check_map": "icmaps.maps.codec",
    "dump_map": "icmaps.maps.codec",
    "dumps_map": "icmaps.maps.codec",
    "load_map": "icmaps.maps.codec",
    "loads_map": "icmaps.maps.codec",
    "Crosswalk": "icmaps.maps.crosswalk",
    "crosswalk": "icmaps.maps.crosswalk",
    "load_crosswalk": "icmaps.maps.crosswalk",
    "Change": "icmaps.maps.diff",
    "MapDiff": "icmaps.maps.diff",
    "diff_maps": "icmaps.maps.diff",
    "list_maps": "icmaps.maps.files",
    "read_grid": "icmaps.maps.gridfile",
    "write_grid": "icmaps.maps.gridfile",
    "Component": "icmaps.maps.model",
    "Fidelity": "icmaps.maps.model",
    "Group": "icmaps.maps.model",
    "Level": "icmaps.maps.model",
    "Map": "icmaps.maps.model",
    "Role": "icmaps.maps.model",
    "Scale": "icmaps.maps.model",
    "Source": "icmaps.maps.model",
    "SpecialCode": "icmaps.maps.model",
    "Variation": "icmaps.maps.model",
    "generate_schema": "icmaps.maps.schema",
    "ReadResult": "icmaps.ratings.ratingset",
    "MigrationReport": "icmaps.ratings.migrate",
    "migrate_ratings": "icmaps.ratings.migrate",
    "Rating": "icmaps.ratings.ratingset",
    "RatingSet": "icmaps.ratings.ratingset",
    "RatingBatch": "icmaps.ratings.read",
    "example_ratings": "icmaps.ratings.read",
    "iter_ratings": "icmaps.ratings.read",
    "read_ratings": "icmaps.ratings.read",
    "dumps_ratings": "icmaps.ratings.write",
    "write_ratings": "icmaps.ratings.write",
    "rating_workbook": "icmaps.ratings.workbook",
    "form_html": "icmaps.render.form",
    "Report": "icmaps.reporting",
    "report": "icmaps.reporting",
    "Calibration": "icmaps.stats.calibration",
    "calibrate": "icmaps.stats.calibration",
    "brennan_prediger": "icmaps.stats.chance_corrected",
    "conger_kappa": "icmaps.stats.chance_corrected",
    "gwet_ac": "icmaps.stats.chance_corrected",
    "Cluster": "icmaps.stats.clustering",
    "Configurations": "icmaps.stats.clustering",
    "configurations": "icmaps.stats.clustering",
    "AgreementResult": "icmaps.stats.coefficients",
    "cohen_kappa": "icmaps.stats.coefficients",
    "fleiss_kappa": "icmaps.stats.coefficients",
    "krippendorff_alpha": "icmaps.stats.coefficients",
    "percent_agreement": "icmaps.stats.coefficients",
    "ConsensusReport": "icmaps.stats.consensus",
    "consensus": "icmaps.stats.consensus",
    "DisagreementReport": "icmaps.stats.disagreements",
    "disagreements": "icmaps.stats.disagreements",
    "FidelityResult": "icmaps.stats.fidelity",
    "fidelity": "icmaps.stats.fidelity",
    "GapReport": "icmaps.stats.gaps",
    "gap_to_target": "icmaps.stats.gaps",
    "Comparison": "icmaps.stats.growth",
    "GroupComparison": "icmaps.stats.growth",
    "compare": "icmaps.stats.growth",
    "compare_groups": "icmaps.stats.growth",
    "Trend": "icmaps.stats.growth",
    "trend": "icmaps.stats.growth",
    "icc": "icmaps.stats.intraclass",
    "ActionPlan": "icmaps.stats.plans",
    "action_plan": "icmaps.stats.plans",
    "Profile": "icmaps.stats.profiles",
    "profile": "icmaps.stats.profiles",
    "AgreementReport": "icmaps.stats.reliability",
    "agreement": "icmaps.stats.reliability",
    "Summary": "icmaps.stats.summary",
    "SummaryRow": "icmaps.stats.summary",
    "summarize": "icmaps.stats.summary",
    "Tally": "icmaps.stats.tally",
    "tally": "icmaps.stats.tally",
    "Counted": "icmaps.stats.tally",
    "count_ratings": "icmaps.stats.stream",
}

__all__ = sorted(["__version__", *_EXPORTS])  # noqa: PLE0605 (the one table drives it)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'icmaps' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
