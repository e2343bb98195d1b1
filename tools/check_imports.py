"""Find import cycles (and, with ``--layers``, upward imports) among a package's own modules.

Usage: ``python tools/check_imports.py [PACKAGE_DIR] [--layers]`` (default ``src/icmaps``).
Exit 0 when clean, 1 on a cycle or (``--layers``) a layer violation, 2 on a syntax error.

Edges (each with its file:line) come from ``import p.x``, ``from p.x import y`` (the submodule
``p.x.y`` if that file exists), relative imports, and imports inside functions (a lazy import
still closes a cycle at run time), but not from under ``if TYPE_CHECKING:`` or
``if typing.TYPE_CHECKING:``; ``importlib`` calls are not seen. Importing ``p.a.b`` runs its
parent packages' ``__init__`` too, so it implies edges to ``p.a`` and ``p``, EXCEPT to a
package the importer is itself inside: Python started that ``__init__`` before the importer,
so the edge orders nothing (and every re-exporting ``__init__`` would cycle with its members).
An explicit import of such a package (``import p.a``, ``from . import name_in_init``) counts.

Layers: a module may import only from its own or lower layers (``LAYERS``, lowest first, dotted
prefixes, longest wins). ``p`` and ``p.__main__`` sit on top; any other module matching no
prefix is reported as unlayered.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path

LAYERS = [
    "icmaps.errors",
    "icmaps._version",
    "icmaps._resources",
    "icmaps._io",
    "icmaps._optional",
    "icmaps._progress",
    "icmaps._grouping",
    "icmaps._tabular",
    "icmaps._templates",
    "icmaps._table",
    "icmaps.maps",
    "icmaps.ratings",
    "icmaps.stats",
    "icmaps.dask",
    "icmaps.render",
    "icmaps.reporting",
    "icmaps.cli",
    "icmaps.plot",
]

TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")
Graph = dict[str, dict[str, tuple[Path, int]]]  # importer -> imported -> where, first


def _imports(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``nodes``, at any depth, skipping ``if TYPE_CHECKING:``."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            yield from _imports(node.orelse)
        else:
            yield from _imports(ast.iter_child_nodes(node))


def _targets(stmt: ast.Import | ast.ImportFrom, name: str, modules: dict[str, Path]) -> list[str]:
    """The modules a statement in module ``name`` explicitly imports."""
    if isinstance(stmt, ast.Import):
        return [alias.name for alias in stmt.names]
    base = stmt.module or ""
    if stmt.level:
        package = name.split(".")[: None if modules[name].name == "__init__.py" else -1]
        if stmt.level > len(package):
            return []  # above the top-level package: not ours
        base = ".".join([*package[: len(package) + 1 - stmt.level], *filter(None, [base])])
    subs = [f"{base}.{alias.name}" for alias in stmt.names if f"{base}.{alias.name}" in modules]
    return subs if len(subs) == len(stmt.names) else [base, *subs]


def build_graph(root: Path) -> tuple[dict[str, Path], Graph]:
    """Modules under ``root`` and the edges between them (see the module docstring)."""
    modules: dict[str, Path] = {}  # dotted name -> file (__init__: the package's name)
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: Graph = {name: {} for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for stmt in sorted(_imports(tree.body), key=lambda stmt: stmt.lineno):
            for target in _targets(stmt, name, modules):
                if target.partition(".")[0] == root.name and target not in modules:
                    print(f"{path}:{stmt.lineno}: unresolved import {target}", file=sys.stderr)
                parts = target.split(".")
                for dst in (".".join(parts[:i]) for i in range(len(parts), 0, -1)):
                    inside = name.startswith(dst + ".")  # implied edges skip own packages
                    if dst in modules and dst != name and (dst == target or not inside):
                        graph[name].setdefault(dst, (path, stmt.lineno))
    return modules, graph


def strongly_connected(graph: Graph) -> Iterator[list[str]]:
    """Tarjan's algorithm, iterative: each component of two or more modules, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    work: list[tuple[str, Iterator[str]]] = []

    def push(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        work.append((node, iter(sorted(graph[node]))))

    for start in sorted(graph):
        if start not in index:
            push(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    cut = stack.index(node)
                    component, stack[cut:] = stack[cut:], []
                    if len(component) > 1:
                        yield sorted(component)
            elif child not in index:
                push(child)
            elif child in stack:
                low[node] = min(low[node], index[child])


def shortest_cycle(graph: Graph, component: list[str], start: str) -> list[str]:
    """A shortest cycle through ``start`` inside its component: ``[start, ..., start]``."""
    paths = {start: [start]}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child == start:
                return [*paths[node], start]
            if child in component and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"{start} is not on a cycle")


def layer_of(name: str, package: str, layers: Sequence[str]) -> int:
    """Index into ``layers``; ``len(layers)`` for the top, -1 for an unlayered module."""
    if name in (package, f"{package}.__main__"):
        return len(layers)
    matches = [p for p in layers if name == p or name.startswith(p + ".")]
    return layers.index(max(matches, key=len)) if matches else -1


def check(root: Path, use_layers: bool = False, layers: Sequence[str] = LAYERS) -> int:
    """Print the cycles (and, with ``use_layers``, layer problems); return the exit code."""
    try:
        modules, graph = build_graph(root)
    except SyntaxError as exc:
        print(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}")
        return 2
    components = sorted(strongly_connected(graph))
    for component in components:
        print(f"import cycle among {len(component)} modules: {', '.join(component)}")
        covered: set[str] = set()
        for start in (name for name in component if name not in covered):
            cycle = shortest_cycle(graph, component, start)
            covered.update(cycle)
            print("  " + " -> ".join(cycle))
            for src, dst in pairwise(cycle):
                print(f"    {':'.join(map(str, graph[src][dst]))}: {src} imports {dst}")
    if not components:
        print(f"no import cycles among {len(modules)} modules")
    bad: list[str] = []
    if use_layers:
        level = {name: layer_of(name, root.name, layers) for name in modules}
        bad = [f"{modules[n]}: unlayered module {n}" for n in sorted(modules) if level[n] < 0]
        for src, edges in sorted(graph.items()):
            for dst, where in sorted(edges.items()):  # (an unlayered dst is -1: never upward)
                implied = any(d.startswith(f"{dst}.") and w == where for d, w in edges.items())
                if level[dst] > level[src] >= 0 and not implied:  # reported with the deeper one
                    bad.append(f"{':'.join(map(str, where))}: upward import: {src} imports {dst}")
        summary = f"{len(bad)} layer violation(s)" if bad else "imports follow the layers"
        print(*bad, summary, sep="\n")
    return 1 if components or bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("package", nargs="?", type=Path, default=Path("src/icmaps"))
    parser.add_argument("--layers", action="store_true", help="also check the LAYERS order")
    args = parser.parse_args(argv)
    if not args.package.is_dir():
        parser.error(f"not a directory: {args.package}")
    return check(args.package, use_layers=args.layers)


if __name__ == "__main__":
    sys.exit(main())
