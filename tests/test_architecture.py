"""The layout's rules, read from the source with ast (nothing is imported): no
import cycles among the modules of bot/ and cogs/, and only the Discord edge
(bot/discord_edge/, cogs/) imports discord."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "cogs")
DISCORD_EDGE = ("bot.discord_edge", "cogs")

# Known cycles, removed by the cogs-edge branch: delete this allow-list after merging it.
# (delivery needs LanternBot only for its type; client builds the DeliveryWorker.)
KNOWN_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset({
    ("bot.discord_edge.delivery", "bot.discord_edge.client"),
})


def module_files() -> dict[str, Path]:
    """Every module of bot/ and cogs/ by dotted name (a package by its __init__)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module an ImportFrom names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported(module: str, path: Path, modules: set[str], *, top_level: bool) -> Iterator[str]:
    """What a module imports: `import a.b` gives a.b, `from a import b` gives a.b
    when that is a module, else a. With top_level, only the statements that run
    when the module is imported (not those inside functions or classes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    nodes = _top_level(tree.body) if top_level else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                name = f"{source}.{alias.name}"
                yield name if name in modules else source


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, into if/try/with blocks but not functions or classes."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, block, []):
                    if isinstance(child, ast.ExceptHandler):
                        yield from _top_level(child.body)
                    else:
                        yield from _top_level([child])


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of bot/ and cogs/ it imports at module level (type-only
    imports included: a cycle between them is still one in the design)."""
    files = module_files()
    names = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in imported(module, path, names, top_level=True):
            # `import bot.feeds.fetch` names the module itself; `from bot import x`
            # with x not a module names the package
            while name and name not in names:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_is_read() -> None:
    """The graph sees the layout's real dependencies (so an empty result means something)."""
    graph = import_graph()
    assert "bot.storage.sqlite.backend" in graph and "cogs.search" in graph
    assert "bot.discord_edge.delivery" in graph["bot.discord_edge.client"]
    assert "bot.search.query" in graph["cogs.search"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_among_bot_and_cogs() -> None:
    """No module of bot/ or cogs/ imports, through others, a module that imports it."""
    graph = import_graph()
    for source, target in KNOWN_CYCLE_EDGES:
        graph.get(source, set()).discard(target)
    assert cycles(graph) == []


def test_only_the_discord_edge_imports_discord() -> None:
    """discord is imported only in bot/discord_edge/ and cogs/ (anywhere in a file)."""
    files = module_files()
    offenders = sorted(
        module
        for module, path in files.items()
        if not any(module == edge or module.startswith(f"{edge}.") for edge in DISCORD_EDGE)
        for name in imported(module, path, set(files), top_level=False)
        if name == "discord" or name.startswith("discord.")
    )
    assert offenders == []
