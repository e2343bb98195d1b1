"""`import icmaps` stays light: heavy libraries load only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import icmaps


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_import_loads_no_heavy_modules() -> None:
    loaded = _modules_after("import icmaps")
    for heavy in ("pydantic", "yaml", "jsonschema", "numpy", "pandas", "jinja2", "matplotlib"):
        assert heavy not in loaded


def test_public_api_is_sorted_and_resolves() -> None:
    assert icmaps.__all__ == sorted(icmaps.__all__)
    for name in icmaps.__all__:
        assert getattr(icmaps, name) is not None


def test_one_exception_hierarchy() -> None:
    for name in ("LoadError", "MapValidationError", "NotFoundError", "RatingsError", "UsageError"):
        assert issubclass(getattr(icmaps, name), icmaps.IcmapsError)


def test_public_functions_stay_functions_whatever_is_imported() -> None:
    import inspect

    import icmaps.stats.clustering
    import icmaps.stats.growth
    import icmaps.stats.reliability

    for name in ("agreement", "compare", "configurations", "report"):
        assert inspect.isfunction(getattr(icmaps, name)), name
        obj = getattr(icmaps, name)
        assert callable(obj)
        assert "ratings" in inspect.signature(obj).parameters, name


def test_stub_file_lists_exactly_the_exports() -> None:
    import ast

    stub = ast.parse((Path(icmaps.__file__).parent / "__init__.pyi").read_text())
    imported = {
        alias.name: node.module
        for node in stub.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported.pop("__version__") == "icmaps._version"
    assert imported == icmaps._EXPORTS
    (all_node,) = [n for n in stub.body if isinstance(n, ast.Assign)]
    assert ast.literal_eval(all_node.value) == icmaps.__all__


def test_every_public_name_pickles() -> None:
    import pickle

    for name in icmaps.__all__:
        obj = getattr(icmaps, name)
        if callable(obj):
            assert pickle.loads(pickle.dumps(obj)) is obj, name
