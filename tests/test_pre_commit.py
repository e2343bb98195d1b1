"""The pre-commit hook: it matches map files only, and the README's snippet works.

pre-commit searches each repository path with the hook's ``files`` regular expression (and
keeps only YAML and JSON files, ``types_or``); the README's setup must not feed it
``.pre-commit-config.yaml``, ``mkdocs.yml``, CI workflows or the schema itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from icmaps._version import __version__

from .conftest import DATA, ROOT


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook: dict[str, Any] = next(h for h in hooks if h["id"] == "icmaps-validate")
    return hook


@pytest.mark.parametrize(
    "path",
    [
        "maps/learning-school.yaml",
        "maps/pbis.yml",
        "maps/pbis.json",
        "maps/district/tier-2.yaml",
        "docs/maps/teaching.yaml",
    ],
)
def test_hook_matches_map_files(path: str) -> None:
    assert re.search(_hook()["files"], path)


@pytest.mark.parametrize(
    "path",
    [
        ".pre-commit-config.yaml",
        ".pre-commit-hooks.yaml",
        "mkdocs.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/release.yaml",
        ".gitlab-ci.yml",
        "schemas/icmap.schema.json",
        "package.json",
        "tests/data/invalid/unknown-role.yaml",
        "roadmaps/plan.yaml",  # a folder that only ends in "maps"
        "maps/examples/learning-school.csv",
        "maps/README.md",
    ],
)
def test_hook_leaves_other_files_alone(path: str) -> None:
    assert not re.search(_hook()["files"], path)


def test_the_repositorys_own_files() -> None:
    """Every bundled map is matched; no other YAML or JSON file of this repository is."""
    matched = {
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*")
        if p.suffix in (".yaml", ".yml", ".json")
        and ".git" not in p.parts
        and re.search(_hook()["files"], p.relative_to(ROOT).as_posix())
    }
    assert matched == {f"maps/{p.name}" for p in (ROOT / "maps").glob("*.yaml")}
    assert "schemas/icmap.schema.json" not in matched


def _readme_snippet() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    config: dict[str, Any] = yaml.safe_load(next(b for b in blocks if b.startswith("repos:")))
    return config


def test_readme_names_the_tag_of_this_version() -> None:
    repo = _readme_snippet()["repos"][0]
    assert repo["rev"] == f"v{__version__}"
    assert [h["id"] for h in repo["hooks"]] == ["icmaps-validate"]


@pytest.mark.slow
def test_readme_snippet_in_a_fresh_repository(tmp_path: Path) -> None:
    """The README's configuration, pointed at this checkout's commit, passes on a repository
    with maps and non-map YAML/JSON files, and fails on a bad map."""
    pytest.importorskip("pre_commit")
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of icmaps")
    head = subprocess.run(
        [git, "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    repo = tmp_path / "repo"
    (repo / "maps").mkdir(parents=True)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "schemas").mkdir()
    shutil.copy(ROOT / "maps" / "learning-school.yaml", repo / "maps")
    shutil.copy(ROOT / "schemas" / "icmap.schema.json", repo / "schemas")
    (repo / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Home: index.md\n")
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: [push]\njobs: {}\n")
    (repo / "package.json").write_text('{"name": "x"}\n')
    config = _readme_snippet()
    config["repos"][0].update(repo=str(ROOT), rev=head)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    env = {"PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_NOSYSTEM": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            env={**os.environ, **env},
        )

    run(git, "init", "-q")
    run(git, "add", "-A")
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose"]
    ok = run(*pre_commit)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 file checked: valid" in ok.stdout
    shutil.copy(DATA / "invalid" / "unknown-role.yaml", repo / "maps")
    run(git, "add", "-A")
    bad = run(*pre_commit)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "unknown-role.yaml:" in bad.stdout
