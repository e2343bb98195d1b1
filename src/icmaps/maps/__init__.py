"""Maps: the model, the YAML/JSON codec, validation, the JSON Schema, map files, diffs and
crosswalks between map versions. The lowest layer: it imports nothing else of icmaps but
``errors``, ``_io``, ``_optional`` and ``_resources``."""
