"""The narrow boundaries of plugin API 1.0, checked so they stay narrow.

- Plugins never receive the application: command and job contexts have no ``app``, and no hook takes it.
- The core imports no adapter (at any indentation: a function-local import counts too).
- Adapters reach the core only through their host: no router, plugin manager, application, bus or
  services internals, and no identity/community models (whose rows only the core writes); no database.
- A plugin reacts to another's domain events by the event's stable name, without importing its class.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import core.hookspecs
import core.plugin
from core.plugin import (
    CommandContext,
    JobContext,
    JobSpec,
    PluginManifest,
    Scope,
    Subscription,
    UnitOfWork,
    command,
    hookimpl,
)
from core.testing import Harness

ROOT = Path(__file__).resolve().parents[2]
#: Core modules an adapter must not import: what lies behind the host (the application, the router, the
#: plugin manager, the bus, the services implementing the host) and the tables only the core writes.
ADAPTER_FORBIDDEN = ("core.app", "core.router", "core.plugin_manager", "core.identity", "core.bus",
                     "core.services", "core.dialogs", "core.storage", "tortoise")


def python_files(folder: str) -> Iterator[Path]:
    yield from sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, wherever the import statement is (top level, function, branch)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- the core imports no adapter ------------------------------------------------------------------


def test_no_core_module_imports_an_adapter() -> None:
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in python_files("core") for line, module in imported_modules(path)
                 if within(module, "adapters")]
    assert offending == []


def test_no_core_line_imports_adapters_at_any_indentation() -> None:
    """The same, as plain text: also what the syntax tree cannot see (e.g. an import inside a string)."""
    pattern = re.compile(r"^\s*(from\s+adapters(\.|\s)|import\s+adapters(\.|\s|$))")
    offending = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in python_files("core")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.match(line)]
    assert offending == []


def test_adapters_use_only_their_host_not_the_cores_internals() -> None:
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in python_files("adapters") for line, module in imported_modules(path)
                 if any(within(module, forbidden) for forbidden in ADAPTER_FORBIDDEN)]
    assert offending == []


# -- plugins never get the application ------------------------------------------------------------


def test_no_hook_receives_the_application() -> None:
    hooks = {name: value for name, value in vars(core.hookspecs).items()
             if name.startswith("linli_") and callable(value)}
    assert {"linli_startup", "linli_shutdown", "linli_commands", "linli_member_data"} <= set(hooks)
    for name, hook in hooks.items():
        for parameter in inspect.signature(hook).parameters.values():
            annotation = str(parameter.annotation)
            assert parameter.name not in ("app", "application"), f"{name} takes {parameter.name}"
            assert "Application" not in annotation and "core.app" not in annotation, f"{name}({parameter})"


def test_the_plugin_api_does_not_export_the_application() -> None:
    exported = {name: getattr(core.plugin, name) for name in core.plugin.__all__}
    assert "Application" not in exported and "app" not in exported
    assert not any(getattr(value, "__module__", "") == "core.app" for value in exported.values())


class Spy:
    """Keeps the contexts its command and its jobs get, to look at what a plugin can reach."""

    def __init__(self) -> None:
        self.contexts: list[Scope] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="spy", title_zh="探", title_en="Spy", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("peek", help="peek")
        async def peek(ctx: CommandContext) -> None:
            self.contexts.append(ctx)
            await ctx.schedule("later", ctx.now() + timedelta(minutes=1), key="peek")
            ctx.reply("peeked")

        return [peek]

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        async def later(ctx: JobContext) -> None:
            self.contexts.append(ctx)

        async def hourly(ctx: JobContext) -> None:
            self.contexts.append(ctx)

        return [JobSpec("spy.later", later), JobSpec("spy.hourly", hourly, every=timedelta(hours=1))]


async def test_command_and_job_contexts_have_no_app(db_url: str) -> None:
    spy = Spy()
    async with Harness.create(db_url, plugins=[spy], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        assert await h.say("张三", "/peek") == "peeked"
        await h.run_jobs(after=timedelta(hours=1, minutes=1))
    kinds = [type(ctx) for ctx in spy.contexts]
    assert CommandContext in kinds and kinds.count(JobContext) == 2, kinds
    for ctx in spy.contexts:
        assert not hasattr(ctx, "app"), f"a {type(ctx).__name__} offers the application"
        assert not hasattr(ctx, "application")
        assert not any(type(value).__name__ == "Application" for value in vars(ctx).values())
        assert not hasattr(ctx.host, "app"), "the services keep the application to themselves"


# -- events by their stable name ------------------------------------------------------------------


class RoleWatcher:
    """Hears role changes by the event's stable name; never imports ``core.events.RoleChanged``."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, str, bool]] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="watcher", title_zh="观察", title_en="Watcher", version="1")

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        async def role_changed(event: Any, uow: UnitOfWork) -> None:
            self.heard.append((event.user_id, event.role, event.granted))

        async def never(event: Any, uow: UnitOfWork) -> None:
            raise AssertionError("no event has this name")

        return [Subscription("core.role_changed", role_changed), Subscription("nobody.nothing", never)]


async def test_a_subscriber_hears_an_event_by_its_stable_name(db_url: str) -> None:
    watcher = RoleWatcher()
    async with Harness.create(db_url, plugins=[watcher], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        assert await h.say("王书记", "/grant @张三 volunteer") == "张三 现在是志愿者了。"
        await h.send("王书记", "/revoke @张三 volunteer")
        user_id = watcher.heard[0][0]
        assert watcher.heard == [(user_id, "volunteer", True), (user_id, "volunteer", False)]
        await h.send("王书记", "/disable watcher")
        await h.send("王书记", "/grant @张三 volunteer")
        assert len(watcher.heard) == 2, "a plugin switched off hears nothing by name either"
