"""The package's parts depend on each other in one direction only (docs/architecture.md).

Each module's imports of the kit are read with `ast` (function-level imports included), and every import
must point to the module's own part or to a part below it. A new dependency that points upwards, or an
import cycle between parts, fails here with the module and the import named.
"""

import ast
from pathlib import Path

import pytest
from checkout import ROOT

# part -> the parts it may import (besides itself). Order is the layering: core at the bottom.
ALLOWED = {
    "core": set(),
    "statistics": {"core"},
    "facts": {"core"},  # data readers: labels, backbones, MASSIVE, mappings, the paper, release-wide names
    "metrics": {"core", "facts", "statistics"},  # the metric module cites the paper from facts.paper
    "dataset": {"core", "facts"},
    "modeling": {"core", "facts", "dataset"},
    "training": {"core", "facts", "dataset", "modeling", "metrics"},
    "massive": {"core", "facts", "statistics", "dataset", "modeling", "metrics"},
    "analysis": {"core", "facts", "statistics"},
    "release": {"core", "facts", "statistics", "dataset", "modeling", "training", "massive", "metrics", "analysis"},
    "cli": {"core", "facts", "statistics", "dataset", "modeling", "training", "massive", "metrics", "analysis",
            "release"},
}


def part_of(module: str) -> str | None:
    """The part a dotted module name belongs to (None for modules outside the kit)."""
    names = module.split(".")
    if names[0] != "ruqtopics_kit":
        return None
    if len(names) == 1:
        return "core"  # `from ruqtopics_kit import __version__`
    return {"__main__": "cli"}.get(names[1], names[1])


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            found.append(".".join(base + ([node.module] if node.module else [])))
    return found


MODULES = sorted((ROOT / "ruqtopics_kit").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_layers(path):
    own = part_of(module_name(path))
    upward = [name for name in imported_modules(path)
              if (target := part_of(name)) not in (None, own) and target not in ALLOWED[own]]
    assert not upward, f"{path.relative_to(ROOT)} ({own}) imports {upward}, above or beside it"


def test_every_part_is_known():
    parts = {part_of(module_name(path)) for path in MODULES}
    assert parts <= set(ALLOWED), f"parts without a layer: {parts - set(ALLOWED)}"


def test_the_layering_itself_has_no_cycle():
    done = set()

    def visit(part, trail):
        assert part not in trail, f"cycle: {' -> '.join(trail + [part])}"
        if part not in done:
            for below in ALLOWED[part]:
                visit(below, trail + [part])
            done.add(part)

    for part in ALLOWED:
        visit(part, [])


def kit_module(name: str) -> str | None:
    """The kit module a dotted import name means (`from pkg import sub` names the submodule), or None."""
    for candidate in (name, name.rsplit(".", 1)[0]):
        path = ROOT.joinpath(*candidate.split("."))
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return candidate
    return None


def imported_kit_modules(path: Path) -> set[str]:
    """The kit modules `path` imports, `from a.b import c` read as a.b.c when c is a module of its own."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join((package[:len(package) - node.level + 1] if node.level else [])
                            + ([node.module] if node.module else []))
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for name in found if name.startswith("ruqtopics_kit") and (module := kit_module(name))}


def test_no_module_imports_itself_back():
    """No cycle between modules, function-level imports included: a cycle makes the import order matter, and a
    module that imports its caller back cannot be read or tested alone."""
    graph = {module_name(path): imported_kit_modules(path) - {module_name(path)} for path in MODULES}
    done, cycles = set(), []

    def visit(module, trail):
        if module in trail:
            cycles.append(" -> ".join(trail[trail.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            if target != module.rsplit(".", 1)[0]:  # a submodule's own package runs first, it is no cycle
                visit(target, trail + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert not cycles, f"module cycles: {cycles}"
