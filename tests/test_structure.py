"""The shape of the code that a new platform, or a new colleague, relies on: no import cycle in bot/, every
module opens by saying what it owns, and a chat platform is registered in one place."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.Module, name: str) -> set[str]:
    """The bot modules a module imports when it is loaded or type-checked (imports inside functions are
    deferred on purpose and do not count)."""
    found: set[str] = set()
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If):
            nodes.extend(node.body)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("bot"))
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports(ast.parse(path.read_text(encoding="utf-8")), module_name(path))
            for path in BOT.rglob("*.py")}


def test_no_import_cycle_in_bot():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if target not in edges:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles
    assert "bot.peer" in edges["bot.service"] and "bot.chat" in edges["bot.handlers.slack.adapter"]  # the real graph


def test_every_module_opens_with_what_it_owns():
    silent = [module_name(p) for p in BOT.rglob("*.py")
              if p.name != "__main__.py" and "migrations" not in p.parts
              and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not silent


def test_the_core_names_no_chat_platform_sdk():
    """Only a platform's own folder speaks its SDK; the core (and the flows in bot/chat.py) do not."""
    sdks = ("slack_bolt", "slack_sdk", "mattermostautodriver")
    core = [p for p in BOT.rglob("*.py") if "handlers" not in p.parts]
    offenders = [module_name(p) for p in core if any(sdk in p.read_text(encoding="utf-8") for sdk in sdks)]
    assert not offenders


def test_a_platform_is_registered_in_one_place_with_its_three_parts():
    from bot.handlers import PLATFORMS

    for name in PLATFORMS:
        folder = BOT / "handlers" / name
        assert {"health.py", "cli.py", "run.py", "adapter.py"} <= {p.name for p in folder.iterdir()}, name
    mentions = [module_name(p) for p in BOT.rglob("*.py") if "handlers" not in p.parts
                and "bot.handlers.slack" in p.read_text(encoding="utf-8")]
    assert not mentions  # the core reaches a platform only through the registry
