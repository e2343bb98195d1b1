"""irrcac_check.py runs in an environment of its own (``.ci/run``), where irrCAC is installed;
elsewhere ``--doctest-modules`` would import it and fail on the missing package."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("irrCAC") else ["irrcac_check.py"]
