"""The house's rules, checked mechanically on the source (docs/ARCHITECTURE.md).

Layers, top to bottom (a module may import only from its own package or a lower layer)::

    ui, dashboard.py                      7
    cli, data (demo builder)              6
    report                                5
    pipeline                              4
    maps, patrol, store                   3
    areas                                 2
    io, stats, boundaries                 1
    floor: _errors, _validate, config,    0
           periods, privacy, disclosure, team,
           labels, _lazy

Also: no import circle between modules (imports inside functions count), no project
import inside a function except in ``hotspots/cli/`` (whose commands import their
layer lazily so ``--help`` starts fast), and no private name (``_x``) taken from another
package, whether imported or read as ``module._x``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("hotspots", "boundaries", "ui", "dashboard", "data")
FLOOR = {"_errors", "_lazy", "_validate", "config", "periods", "privacy", "disclosure",
         "labels", "team", "__init__"}
LAYER = {
    "ui": 7, "cli": 6, "data": 6, "report": 5, "pipeline": 4, "maps": 3, "patrol": 3, "store": 3,
    "areas": 2, "io": 1, "stats": 1, "boundaries": 1, "floor": 0,
}
#: Modules allowed to import project code inside a function, and why.
LAZY_OK = {"hotspots.cli": "each command imports its layer only when run (fast --help)"}


def package_of(module: str) -> str:
    """The package (room) a dotted module name belongs to.

    >>> package_of("hotspots.stats.spatial"), package_of("hotspots.periods")
    ('stats', 'floor')
    >>> package_of("ui.views"), package_of("boundaries.load"), package_of("hotspots.cli")
    ('ui', 'boundaries', 'cli')
    """
    parts = module.split(".")
    if parts[0] in ("ui", "dashboard"):
        return "ui"
    if parts[0] in ("boundaries", "data"):
        return parts[0]
    if len(parts) == 1:
        return "floor"
    if parts[1] in ("cli", "__main__"):
        return "cli"
    if parts[1] in FLOOR:
        return "floor"
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    out = {}
    for top in ("hotspots", "boundaries", "ui", "data"):
        for p in sorted((ROOT / top).rglob("*.py")):
            if "__pycache__" not in p.parts:
                out[_module_name(p)] = p
    out["dashboard"] = ROOT / "dashboard.py"
    return out


SOURCES = _sources()


def _resolve(name: str) -> str | None:
    """The project module a dotted import target names (a module, or a name in one)."""
    while name:
        if name in SOURCES:
            return name
        name = name.rpartition(".")[0]
    return None


class _Import:
    def __init__(self, target: str, names: list[str], line: int, in_function: bool,
                 alias_of_module: dict[str, str]):
        self.target, self.names, self.line = target, names, line
        self.in_function, self.alias_of_module = in_function, alias_of_module


def _imports(module: str, path: Path) -> tuple[list[_Import], list[tuple[str, str, int]]]:
    """Imports of project modules, and ``alias._private`` reads on imported modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[_Import] = []
    aliases: dict[str, str] = {}
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    in_func = {id(c) for f in funcs for c in ast.walk(f) if c is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in FIRST_PARTY and (t := _resolve(a.name)):
                    found.append(_Import(t, [], node.lineno, id(node) in in_func, {}))
                    if a.asname:
                        aliases[a.asname] = t
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                pkg = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + [node.module])
            if base.split(".")[0] not in FIRST_PARTY:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in SOURCES:  # "from pkg import module"
                    found.append(_Import(sub, [], node.lineno, id(node) in in_func, {}))
                    aliases[a.asname or a.name] = sub
                elif (t := _resolve(base)):
                    found.append(_Import(t, [a.name], node.lineno, id(node) in in_func, {}))
    private_reads = [
        (aliases[n.value.id], n.attr, n.lineno) for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
        and n.value.id in aliases and n.attr.startswith("_") and not n.attr.startswith("__")
    ]
    return found, private_reads


GRAPH: dict[str, list[_Import]] = {}
PRIVATE_READS: dict[str, list[tuple[str, str, int]]] = {}
for _m, _p in SOURCES.items():
    GRAPH[_m], PRIVATE_READS[_m] = _imports(_m, _p)


def _ids(items):
    return list(items)


@pytest.mark.parametrize("module", _ids(SOURCES))
def test_imports_go_one_way_down(module):
    """No module imports from a higher layer, or from a sibling package of its own layer."""
    mine = package_of(module)
    bad = []
    for imp in GRAPH[module]:
        theirs = package_of(imp.target)
        if theirs == mine or package_of(imp.target) == "floor" and mine == "floor":
            continue
        if LAYER[theirs] >= LAYER[mine]:
            bad.append(f"line {imp.line}: {imp.target} ({theirs}, layer {LAYER[theirs]})")
    assert not bad, f"{module} ({mine}, layer {LAYER[mine]}) imports upward or sideways: {bad}"


@pytest.mark.parametrize("module", _ids(SOURCES))
def test_no_project_import_inside_a_function(module):
    if any(module == m or module.startswith(m + ".") for m in LAZY_OK):
        return
    lazy = [f"line {i.line}: {i.target}" for i in GRAPH[module] if i.in_function
            and i.target.split(".")[0] in FIRST_PARTY]
    assert not lazy, f"{module} imports project code inside a function: {lazy}"


@pytest.mark.parametrize("module", _ids(SOURCES))
def test_no_private_name_from_another_package(module):
    mine = package_of(module)
    bad = [f"line {i.line}: {i.target}.{n}" for i in GRAPH[module] for n in i.names
           if n.startswith("_") and package_of(i.target) != mine]
    bad += [f"line {line}: {t}.{attr}" for t, attr, line in PRIVATE_READS[module]
            if package_of(t) != mine]
    assert not bad, f"{module} uses private names of another package: {bad}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan).

    >>> _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    >>> _cycles({"a": {"b"}, "b": set()})
    []
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    """Package ``__init__`` re-exports are left out: they import downward into their own
    package by design, and a submodule importing its package's public names is refused by
    the sibling rule above only across packages."""
    graph: dict[str, set[str]] = defaultdict(set)
    for m, imps in GRAPH.items():
        for i in imps:
            if i.target != m and not SOURCES[i.target].name == "__init__.py":
                graph[m].add(i.target)
    assert _cycles(graph) == []


def test_checker_sees_a_violation(tmp_path, monkeypatch):
    """The rules can fail: an upward, a lazy and a private import are all found."""
    f = tmp_path / "x.py"
    f.write_text("from hotspots.pipeline.pack import Pack\n"
                 "from hotspots.stats import getis as s\n"
                 "def g():\n    from hotspots.maps import web\n    return s._perm\n")
    imps, priv = _imports("hotspots.stats.fake", f)
    assert [package_of(i.target) for i in imps] == ["pipeline", "stats", "maps"]
    assert [i.in_function for i in imps] == [False, False, True]
    assert priv == [("hotspots.stats.getis", "_perm", 5)]


#: Lines a module may have. A module over it is cut by idea, or listed here with the reason.
MAX_LINES = 600
LONG_MODULES: dict[str, str] = {
}


@pytest.mark.parametrize("module", _ids(SOURCES))
def test_no_module_over_the_line_limit(module):
    n = len(SOURCES[module].read_text(encoding="utf-8").splitlines())
    if module in LONG_MODULES:
        return
    assert n <= MAX_LINES, (f"{module} has {n} lines (limit {MAX_LINES}): cut it by idea, "
                            "or list it in LONG_MODULES with the reason")
