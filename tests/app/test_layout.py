"""The package layout holds: no import cycles, no upward imports, small modules.

The rules are read from the source with `ast` (every import statement, also those
inside functions), so a new cycle or a new upward import fails here before it
becomes a tangle. ARCHITECTURE.md explains the layers; this test keeps them true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# From the bottom up: a package may import itself and the packages before it, never
# one after it. Top-level modules (create_app, the CLI, start-up, the worker, the
# demo loader) are the wiring: they may import anything and nothing imports them.
LAYERS = (
    "app.platform",
    "app.models",
    "app.accounts",
    "app.jobs",
    "app.privacy",
    "app.studies",
    "app.capture",
    "app.incidents",
    "app.coding",
    "app.suggestions",
    "app.synthesis",
    "app.exchange",
)
WIRING = ("app", "app.cli", "app.demo", "app.startup", "app.worker")
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(top: str) -> dict[str, Path]:
    return {_module_name(path): path for path in sorted((ROOT / top).rglob("*.py"))}


def _imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Return the modules of `known` that a module imports (a submodule counts as itself)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in known else base for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


APP = _modules("app")
GRAPH = {name: _imports(path, name, APP) for name, path in APP.items()}


def _layer(module: str) -> int | None:
    for rank, package in enumerate(LAYERS):
        if module == package or module.startswith(package + "."):
            return rank
    return None


def test_every_module_belongs_to_a_layer_or_the_wiring():
    """A new package must be placed in the layer order (or the wiring) before it is used."""
    homeless = [m for m in APP if _layer(m) is None and m not in WIRING]
    assert homeless == []


def test_no_package_imports_a_later_layer_or_the_wiring():
    """Lower layers never import upper ones, and nothing below imports the wiring."""
    upward = []
    for module, targets in GRAPH.items():
        rank = _layer(module)
        if rank is None:
            continue
        for target in targets:
            target_rank = _layer(target)
            if target_rank is None or target_rank > rank:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycles_between_modules():
    """No module reaches itself through its imports (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert cycles == []


def test_analysis_stays_pure():
    """analysis/ never imports Flask, SQLAlchemy or the app."""
    forbidden = ("flask", "flask_sqlalchemy", "sqlalchemy", "app")
    impure = []
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            impure += [f"{path.name}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert impure == []


@pytest.mark.parametrize("top", ["app", "analysis"])
def test_modules_stay_small(top):
    """No module grows past ~400 lines (the style guide's size; migrations are generated)."""
    lines = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / top).rglob("*.py")
    }
    assert {path: n for path, n in lines.items() if n > MAX_LINES} == {}


def test_architecture_names_every_package_and_module():
    """ARCHITECTURE.md's layout section names every package and module of app/."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = []
    for module, path in APP.items():
        if module == "app":
            continue
        shown = path.parent.name + "/" if path.name == "__init__.py" else path.name
        if shown not in layout:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
