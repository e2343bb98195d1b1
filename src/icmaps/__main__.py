"""``python -m icmaps``: the command-line interface."""

from icmaps.cli import main

raise SystemExit(main())
