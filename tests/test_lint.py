"""The codebase stays clean: ruff over everything, mypy --strict over bot/ and
cogs/, no import cycles, and render modules that don't load discord.py."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("bot", "cogs")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff() -> None:
    """ruff check . is clean."""
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_bot_and_cogs() -> None:
    """mypy --strict (configured in pyproject.toml) is clean over bot/ and cogs/."""
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, modules: set[str], *, typing: bool) -> set[str]:
    """Our modules this one imports at module level (with `typing`, also the
    ones under `if TYPE_CHECKING:`, which mypy follows)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and (typing or not _is_type_checking(node)):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names}
            found |= (subs & modules) or ({node.module} & modules)
    return found


def import_graph(*, typing: bool = True) -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in paths}
    names = set(modules)
    return {
        name: _imports(ast.parse(path.read_text(encoding="utf-8")), names, typing=typing)
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_find_cycle_sees_a_cycle() -> None:
    """The cycle finder itself: a -> b -> a is reported, a tree is not."""
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_in_bot_and_cogs() -> None:
    """No module of bot/ or cogs/ imports itself back, not even for type hints."""
    assert find_cycle(import_graph()) is None


def test_cogs_do_not_import_the_client() -> None:
    """The client loads the cogs, so a cog may name it in type hints only."""
    graph = import_graph(typing=False)
    importers = sorted(m for m, deps in graph.items() if "bot.discord_edge.client" in deps)
    assert importers == [], importers


def test_render_modules_do_not_load_discord() -> None:
    """Every render module (and the core) imports without discord.py."""
    renders = sorted(_module_name(p) for p in (ROOT / "cogs").rglob("render.py"))
    assert len(renders) >= 6  # cogs/render.py and one per feature
    code = (
        "import importlib, sys\n"
        f"for name in {renders!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'discord')\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
