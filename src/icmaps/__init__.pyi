"""Type stubs for the lazily imported public API (kept equal to ``_EXPORTS`` by a test)."""

from icmaps._version import __version__ as __version__
from icmaps.errors import (
    IcmapsError as IcmapsError,
    LoadError as LoadError,
    MapValidationError as MapValidationError,
    MissingExtraError as MissingExtraError,
    NotFoundError as NotFoundError,
    Problem as Problem,
    RatingsError as RatingsError,
    UsageError as UsageError,
)
from icmaps.maps.codec import (
    CheckResult as CheckResult,
    check_map as check_map,
    dump_map as dump_map,
    dumps_map as dumps_map,
    load_map as load_map,
    loads_map as loads_map,
)
from icmaps.maps.crosswalk import (
    Crosswalk as Crosswalk,
    crosswalk as crosswalk,
    load_crosswalk as load_crosswalk,
)
from icmaps.maps.diff import Change as Change, MapDiff as MapDiff, diff_maps as diff_maps
from icmaps.maps.files import list_maps as list_maps
from icmaps.maps.gridfile import read_grid as read_grid, write_grid as write_grid
from icmaps.maps.model import (
    Component as Component,
    Fidelity as Fidelity,
    Group as Group,
    Level as Level,
    Map as Map,
    Role as Role,
    Scale as Scale,
    Source as Source,
    SpecialCode as SpecialCode,
    Variation as Variation,
)
from icmaps.maps.schema import generate_schema as generate_schema
from icmaps.ratings.migrate import (
    MigrationReport as MigrationReport,
    migrate_ratings as migrate_ratings,
)
from icmaps.ratings.ratingset import (
    Rating as Rating,
    RatingSet as RatingSet,
    ReadResult as ReadResult,
)
from icmaps.ratings.read import (
    RatingBatch as RatingBatch,
    example_ratings as example_ratings,
    iter_ratings as iter_ratings,
    read_ratings as read_ratings,
)
from icmaps.ratings.workbook import rating_workbook as rating_workbook
from icmaps.ratings.write import dumps_ratings as dumps_ratings, write_ratings as write_ratings
from icmaps.render.form import form_html as form_html
from icmaps.reporting import Report as Report, report as report
from icmaps.stats.calibration import Calibration as Calibration, calibrate as calibrate
from icmaps.stats.chance_corrected import (
    brennan_prediger as brennan_prediger,
    conger_kappa as conger_kappa,
    gwet_ac as gwet_ac,
)
from icmaps.stats.clustering import (
    Cluster as Cluster,
    Configurations as Configurations,
    configurations as configurations,
)
from icmaps.stats.coefficients import (
    AgreementResult as AgreementResult,
    cohen_kappa as cohen_kappa,
    fleiss_kappa as fleiss_kappa,
    krippendorff_alpha as krippendorff_alpha,
    percent_agreement as percent_agreement,
)
from icmaps.stats.consensus import ConsensusReport as ConsensusReport, consensus as consensus
from icmaps.stats.disagreements import (
    DisagreementReport as DisagreementReport,
    disagreements as disagreements,
)
from icmaps.stats.fidelity import FidelityResult as FidelityResult, fidelity as fidelity
from icmaps.stats.gaps import GapReport as GapReport, gap_to_target as gap_to_target
from icmaps.stats.growth import (
    Comparison as Comparison,
    GroupComparison as GroupComparison,
    Trend as Trend,
    compare as compare,
    compare_groups as compare_groups,
    trend as trend,
)
from icmaps.stats.intraclass import icc as icc
from icmaps.stats.plans import ActionPlan as ActionPlan, action_plan as action_plan
from icmaps.stats.profiles import Profile as Profile, profile as profile
from icmaps.stats.reliability import AgreementReport as AgreementReport, agreement as agreement
from icmaps.stats.stream import count_ratings as count_ratings
from icmaps.stats.summary import (
    Summary as Summary,
    SummaryRow as SummaryRow,
    summarize as summarize,
)
from icmaps.stats.tally import Counted as Counted, Tally as Tally, tally as tally

__all__ = [
    "ActionPlan",
    "AgreementReport",
    "AgreementResult",
    "Calibration",
    "Change",
    "CheckResult",
    "Cluster",
    "Comparison",
    "Component",
    "Configurations",
    "ConsensusReport",
    "Counted",
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
    "MissingExtraError",
    "NotFoundError",
    "Problem",
    "Profile",
    "Rating",
    "RatingBatch",
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
    "Trend",
    "UsageError",
    "Variation",
    "__version__",
    "action_plan",
    "agreement",
    "brennan_prediger",
    "calibrate",
    "check_map",
    "cohen_kappa",
    "compare",
    "compare_groups",
    "configurations",
    "conger_kappa",
    "consensus",
    "count_ratings",
    "crosswalk",
    "diff_maps",
    "disagreements",
    "dump_map",
    "dumps_map",
    "dumps_ratings",
    "example_ratings",
    "fidelity",
    "fleiss_kappa",
    "form_html",
    "gap_to_target",
    "generate_schema",
    "gwet_ac",
    "icc",
    "iter_ratings",
    "krippendorff_alpha",
    "list_maps",
    "load_crosswalk",
    "load_map",
    "loads_map",
    "migrate_ratings",
    "percent_agreement",
    "profile",
    "rating_workbook",
    "read_grid",
    "read_ratings",
    "report",
    "summarize",
    "tally",
    "trend",
    "write_grid",
    "write_ratings",
]
