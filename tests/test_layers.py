"""tools/check_imports.py on small synthetic packages: cycles, the parent-package rule, layers."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "tools" / "check_imports.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ci = _load()


def make(tmp_path: Path, files: dict[str, str], name: str = "pkg") -> Path:
    """Write ``files`` (paths relative to the package) under tmp_path/name; every package
    directory gets an empty ``__init__.py`` unless one is given."""
    root = tmp_path / name
    for rel in files:
        for parent in [root, *(root / rel).parents]:
            if parent.is_relative_to(root) and not (parent / "__init__.py").exists():
                parent.mkdir(parents=True, exist_ok=True)
                (parent / "__init__.py").write_text("")
    for rel, text in files.items():
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def edges(root: Path) -> dict[str, set[str]]:
    _, graph = ci.build_graph(root)
    return {name: set(targets) for name, targets in graph.items()}


def test_cycle_through_a_lazy_import_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(
        tmp_path,
        {
            "a.py": "import pkg.b\n",
            "b.py": """
                def f():
                    from pkg.a import x
                    return x
            """,
        },
    )
    assert ci.check(root) == 1
    out = capsys.readouterr().out
    assert "import cycle among 2 modules: pkg.a, pkg.b" in out
    assert "  pkg.a -> pkg.b -> pkg.a\n" in out
    assert f"{root / 'a.py'}:1: pkg.a imports pkg.b" in out
    assert f"{root / 'b.py'}:2: pkg.b imports pkg.a" in out


def test_longer_cycle_is_printed_as_a_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(
        tmp_path,
        {"a.py": "from pkg import b\n", "b.py": "from pkg.c import f\n", "c.py": "import pkg.a\n"},
    )
    assert ci.check(root) == 1
    assert "  pkg.a -> pkg.b -> pkg.c -> pkg.a\n" in capsys.readouterr().out


@pytest.mark.parametrize("guard", ["TYPE_CHECKING", "typing.TYPE_CHECKING"])
def test_type_checking_import_is_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], guard: str
) -> None:
    root = make(
        tmp_path,
        {
            "a.py": "import pkg.b\n",
            "b.py": f"""
                import typing
                from typing import TYPE_CHECKING

                if {guard}:
                    from pkg.a import X
            """,
        },
    )
    assert edges(root)["pkg.b"] == set()
    assert ci.check(root) == 0
    assert capsys.readouterr().out == "no import cycles among 3 modules\n"


def test_else_of_type_checking_is_counted(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "b.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from pkg.a import X
                else:
                    from pkg.c import X
            """,
            "a.py": "",
            "c.py": "",
        },
    )
    assert edges(root)["pkg.b"] == {"pkg.c"}


def test_relative_imports_resolve(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "maps/model.py": "",
            "stats/tally.py": "from ..maps import model\nfrom ..errors import Oops\n",
            "stats/summary.py": "from . import tally\nfrom .tally import count\n",
            "stats/__init__.py": "from .summary import total\n",
            "errors.py": "",
        },
    )
    graph = edges(root)
    assert graph["pkg.stats.tally"] == {"pkg.maps.model", "pkg.maps", "pkg.errors"}
    assert graph["pkg.stats.summary"] == {"pkg.stats.tally"}
    assert graph["pkg.stats"] == {"pkg.stats.summary"}


def test_relative_import_above_the_package_is_ignored(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.py": "from .. import elsewhere\n"})
    assert edges(root)["pkg.a"] == set()


def test_from_package_import_name_is_the_package_and_submodule_is_the_submodule(
    tmp_path: Path,
) -> None:
    root = make(
        tmp_path,
        {
            "stats/__init__.py": "helper = 1\n",
            "stats/tally.py": "",
            "a.py": "from pkg.stats import tally\n",
            "b.py": "from pkg.stats import helper\n",
            "c.py": "from pkg.stats import helper, tally\n",
        },
    )
    graph = edges(root)
    assert graph["pkg.a"] == {"pkg.stats.tally", "pkg.stats"}  # the parent __init__ runs too
    assert graph["pkg.b"] == {"pkg.stats"}
    assert graph["pkg.c"] == {"pkg.stats.tally", "pkg.stats"}


def test_members_do_not_cycle_with_their_reexporting_init(tmp_path: Path) -> None:
    # stats/__init__ re-exports its members, which import each other by absolute name: the
    # implied edges to pkg.stats (and pkg) from inside pkg.stats are not counted.
    root = make(
        tmp_path,
        {
            "__init__.py": "from pkg.stats import count\n",
            "stats/__init__.py": "from pkg.stats.tally import count\n",
            "stats/tally.py": "from pkg.stats.rules import rule\nimport pkg.errors\n",
            "stats/rules.py": "",
            "errors.py": "",
        },
    )
    graph = edges(root)
    assert graph["pkg.stats.tally"] == {"pkg.stats.rules", "pkg.errors"}
    assert graph["pkg"] == {"pkg.stats"}
    assert ci.check(root) == 0


def test_a_member_importing_from_its_package_itself_does_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(
        tmp_path,
        {
            "stats/__init__.py": "from .tally import count\nhelper = 1\n",
            "stats/tally.py": "from pkg.stats import helper\n",
        },
    )
    assert ci.check(root) == 1
    assert "  pkg.stats -> pkg.stats.tally -> pkg.stats\n" in capsys.readouterr().out


def test_from_dot_import_name_in_init_does_cycle(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "stats/__init__.py": "from . import tally\nhelper = 1\n",
            "stats/tally.py": "from . import helper\n",
        },
    )
    assert list(ci.strongly_connected(ci.build_graph(root)[1])) == [
        ["pkg.stats", "pkg.stats.tally"]
    ]


def test_importing_a_submodule_of_another_package_implies_its_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # report.x -> stats.tally has no cycle by itself, but importing pkg.stats.tally runs
    # pkg/stats/__init__.py, which (lazily) imports report.x.
    root = make(
        tmp_path,
        {
            "report/x.py": "from pkg.stats.tally import count\n",
            "stats/__init__.py": "def f():\n    import pkg.report.x\n",
            "stats/tally.py": "",
        },
    )
    assert ci.check(root) == 1
    out = capsys.readouterr().out
    assert "  pkg.report.x -> pkg.stats -> pkg.report.x\n" in out
    assert f"{root / 'report' / 'x.py'}:1: pkg.report.x imports pkg.stats" in out
    assert f"{root / 'stats' / '__init__.py'}:2: pkg.stats imports pkg.report.x" in out


def test_strongly_connected_is_iterative_and_separates_components() -> None:
    n = 5000  # far deeper than the recursion limit
    graph = {f"m{i}": {f"m{(i + 1) % n}": (Path("x.py"), 1)} for i in range(n)}
    graph |= {
        "a": {"b": (Path("a.py"), 1)},
        "b": {"a": (Path("b.py"), 1)},
        "c": {"a": (Path("c.py"), 1)},
    }
    components = sorted(ci.strongly_connected(graph))
    assert [len(c) for c in components] == [2, n]
    assert components[0] == ["a", "b"]


LAYERED = {
    "errors.py": "",
    "ratings.py": "",
    "maps/model.py": """
        from icmaps.errors import Oops


        def html(self):
            from icmaps.render.html import map_html
            return map_html(self)
    """,
    "render/html.py": "from icmaps.maps.model import Map\nfrom icmaps import errors\n",
    "cli.py": "from icmaps.render import html\n",
    "__init__.py": "from icmaps.cli import run\n",
    "__main__.py": "from icmaps.cli import run\n",
}


def test_layer_violation_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = LAYERED["maps/model.py"].replace("icmaps.render.html", "icmaps.ratings")
    root = make(tmp_path, {**LAYERED, "maps/model.py": model}, name="icmaps")
    assert ci.check(root) == 0
    assert ci.check(root, use_layers=True) == 1
    out = capsys.readouterr().out
    where = f"{root / 'maps' / 'model.py'}:5"
    assert out == (
        "no import cycles among 9 modules\n" * 2
        + f"{where}: upward import: icmaps.maps.model imports icmaps.ratings\n"
        + "1 layer violation(s)\n"
    )


def test_upward_import_into_a_package_is_reported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # maps.model -> render.html also implies render/__init__: one line, one report.
    root = make(tmp_path, LAYERED, name="icmaps")
    assert ci.check(root, use_layers=True) == 1
    out = capsys.readouterr().out
    where = f"{root / 'maps' / 'model.py'}:5"
    assert f"{where}: upward import: icmaps.maps.model imports icmaps.render.html\n" in out
    assert out.count("upward import") == 1
    assert "  icmaps.maps.model -> icmaps.render.html -> icmaps.maps.model\n" in out


def test_layers_clean_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {**LAYERED, "maps/model.py": "from icmaps.errors import Oops\n"}
    root = make(tmp_path, files, name="icmaps")
    assert ci.check(root, use_layers=True) == 0
    out = capsys.readouterr().out
    assert out == "no import cycles among 9 modules\nimports follow the layers\n"


def test_unlayered_module_is_an_error_only_with_layers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(
        tmp_path,
        {"errors.py": "", "errorsish.py": "from icmaps.cli import x\n", "cli.py": ""},
        name="icmaps",
    )
    assert ci.check(root) == 0
    assert ci.check(root, use_layers=True) == 1
    out = capsys.readouterr().out
    assert f"{root / 'errorsish.py'}: unlayered module icmaps.errorsish\n" in out
    assert "upward import" not in out  # nothing is upward from or to an unlayered module


def test_importing_the_top_package_is_upward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(
        tmp_path,
        {"__init__.py": "__version__ = '1'\n", "cli.py": "from icmaps import __version__\n"},
        name="icmaps",
    )
    assert ci.check(root, use_layers=True) == 1
    assert "upward import: icmaps.cli imports icmaps\n" in capsys.readouterr().out


def test_layer_of_longest_dotted_prefix() -> None:
    layers = ["p.a", "p.b", "p.a.top"]
    assert ci.layer_of("p.a.x", "p", layers) == 0
    assert ci.layer_of("p.a.top.y", "p", layers) == 2
    assert ci.layer_of("p.b", "p", layers) == 1
    assert ci.layer_of("p.bb", "p", layers) == -1
    assert ci.layer_of("p", "p", layers) == ci.layer_of("p.__main__", "p", layers) == 3
    assert ci.LAYERS[0] == "icmaps.errors"


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = make(tmp_path, {"a.py": "import pkg.b\n", "b.py": ""})
    assert ci.main([str(clean)]) == 0
    cyclic = make(tmp_path, {"a.py": "import q.b\n", "b.py": "import q.a\n"}, name="q")
    assert ci.main([str(cyclic)]) == 1
    broken = make(tmp_path, {"a.py": "import (\n"}, name="r")
    assert ci.main([str(broken)]) == 2
    assert f"{broken / 'a.py'}:1: syntax error" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        ci.main([str(tmp_path / "missing")])
    assert exc.value.code == 2


def test_script_runs_standalone(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.py": "import pkg.b\n", "b.py": "def f():\n    import pkg.a\n"})
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_imports.py"), str(root), "--layers"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "pkg.a -> pkg.b -> pkg.a" in done.stdout
    assert "unlayered module pkg.a" in done.stdout


def test_the_package_has_no_cycle_and_follows_its_layers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert ci.main([str(ROOT / "src" / "icmaps"), "--layers"]) == 0
    out = capsys.readouterr().out
    assert "no import cycles among" in out
    assert "imports follow the layers" in out
