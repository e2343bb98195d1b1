"""`import icmaps` stays light: heavy libraries load only when used."""

from __future__ import annotations

import subprocess
import sys

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


def test_callable_modules_show_the_functions_signature() -> None:
    import inspect

    import icmaps.agreement
    import icmaps.compare
    import icmaps.configurations

    for name in ("agreement", "compare", "configurations"):
        obj = getattr(icmaps, name)
        assert callable(obj)
        assert "ratings" in inspect.signature(obj).parameters, name
