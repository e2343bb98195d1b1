"""Map files on disk and the bundled maps."""

from __future__ import annotations

from pathlib import Path

from icmaps._resources import maps_dir

__all__ = ["MAP_SUFFIXES", "list_maps", "map_files"]


MAP_SUFFIXES = (".yaml", ".yml", ".json")


def list_maps() -> tuple[str, ...]:
    """Ids of the bundled maps, sorted.

    >>> "learning-school" in list_maps()
    True
    """
    root = maps_dir()
    if not root.is_dir():
        return ()
    return tuple(
        sorted(
            e.name[: -len(".yaml")]
            for e in root.iterdir()
            if e.name.endswith(".yaml") and e.is_file()
        )
    )


def map_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """Expand files and folders into map files (``*.yaml``, ``*.yml``, ``*.json``, sorted).

    Returns ``(files, missing)``; a missing path is never silently skipped.
    """
    files: list[str] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files += sorted(
                str(f)
                for f in path.rglob("*")
                if f.suffix.lower() in MAP_SUFFIXES
                and f.is_file()
                and not f.name.endswith(".schema.json")
            )
        elif path.is_file():
            files.append(p)
        else:
            missing.append(p)
    return files, missing
