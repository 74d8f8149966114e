"""The Telegram adapter talks to the core only through its host: it imports none of the router, the plugin
manager, the application or the core's identity and community tables."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "adapters" / "telegram"
FORBIDDEN = ("core.router", "core.plugin_manager", "core.app", "core.identity", "core.services", "core.bus",
             "core.unit_of_work", "core.adapter_state")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any indentation (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_adapter_uses_only_its_host() -> None:
    offending = {
        path.name: sorted(m for m in imported_modules(path) if m.startswith(FORBIDDEN))
        for path in sorted(PACKAGE.glob("*.py"))
    }
    assert {name: modules for name, modules in offending.items() if modules} == {}
    assert len(offending) >= 9, "the check saw the whole package"
