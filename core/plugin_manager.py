"""The plugin manager: discovery, manifests, per-community enablement, and async hook dispatch.

Built-in plugins are the packages under ``plugins/``; third-party ones register an entry point in the
group ``linli.plugins``. Whether a plugin is on is decided per community: a row in ``PluginState`` if an
organizer chose, else the installation default from settings.toml. The answer is cached in memory
because it is asked on every message; changes go through :meth:`PluginManager.set_enabled`, which keeps
database and cache in step, so enabling and disabling need no restart.

pluggy does not await coroutines; :meth:`fan_out` and :meth:`first_result` do, skipping plugins that are
off in the community and isolating failures (pluggy awaits nothing itself).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

import pluggy
from tortoise import fields
from tortoise.models import Model

from core import hookspecs
from core.config import PluginSettings
from core.i18n import N_
from core.manifest import PluginManifest
from core.refusal import Refusal
from core.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
CORE = "core"
ENTRY_POINT_GROUP = "linli.plugins"
#: ``PluginState`` rows of this (no real) community record when this installation first ran each plugin.
SEEN = 0
#: Plugins that came before that record was kept: on an installation that has never recorded, these are
#: not "new" (every other plugin found then is).
PREDATING_THE_RECORD = frozenset({"claims", "thanks"})


class PluginState(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    plugin = fields.CharField(max_length=64)
    enabled = fields.BooleanField(null=True)
    #: The community's own values for the plugin's settings model, over the installation's defaults.
    settings: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    changed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "linli_plugin_state"
        unique_together = (("community_id", "plugin"),)


class PluginManager:
    def __init__(self, settings: PluginSettings) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.manifests: dict[str, PluginManifest] = {}
        self._settings = settings
        self._state: dict[tuple[int, str], bool] = {}
        self._overrides: dict[tuple[int, str], dict[str, Any]] = {}
        #: When this installation first ran each plugin, and when each community was created: the default
        #: applies only to a community created after its plugin appeared (see :meth:`is_new`).
        self._first_seen: dict[str, datetime] = {}
        self._created: dict[int, datetime] = {}

    # -- discovery ---------------------------------------------------------------------------------
    def load_builtins(self, package: str = "plugins") -> None:
        root = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
            if info.ispkg:
                self.register(importlib.import_module(f"{package}.{info.name}"))

    def load_entry_points(self) -> None:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                self.register(entry_point.load())
            except Exception as exc:
                raise RuntimeError(
                    f"plugin entry point {entry_point.name!r} ({entry_point.value}) failed: {exc}"
                ) from exc

    def register(self, plugin: object) -> PluginManifest | None:
        """Register a plugin module or object; returns its manifest, or None if the installation blocks it."""
        get_manifest = getattr(plugin, "linli_manifest", None)
        if get_manifest is None:
            raise RuntimeError(f"{plugin!r} is not a linli plugin: it has no linli_manifest hook")
        manifest: PluginManifest = get_manifest()
        if manifest.name in self._settings.blocked:
            log.info("plugin %s is blocked by settings", manifest.name)
            return None
        if manifest.name in self.manifests:
            if self.pm.get_plugin(manifest.name) is plugin:
                return manifest
            raise RuntimeError(f"two plugins are named {manifest.name!r}")
        self.pm.register(plugin, name=manifest.name)
        self.manifests[manifest.name] = manifest
        return manifest

    def check_requirements(self) -> None:
        for manifest in self.manifests.values():
            missing = [r for r in manifest.requires if r not in self.manifests]
            if missing:
                raise RuntimeError(f"plugin {manifest.name} requires {', '.join(missing)}, which is not installed")

    @property
    def names(self) -> list[str]:
        """Plugins a community can switch, in a stable order (core is not one of them)."""
        return sorted(n for n in self.manifests if n != CORE)

    # -- sync hooks: declarations ------------------------------------------------------------------
    def collect(self, hook_name: str) -> list[tuple[str, Any]]:
        """``(plugin name, result)`` of a declaration hook, for every registered plugin."""
        out = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            result = impl.function()
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    # -- async hooks: fan-out and first result -----------------------------------------------------
    def _impls(self, hook_name: str, community_id: int | None) -> list[pluggy.HookImpl]:
        """Implementations in pluggy's call order; ``community_id=None`` means installation-wide hooks."""
        impls = list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))
        if community_id is None:
            return impls
        return [i for i in impls if self.is_enabled(community_id, i.plugin_name)]

    def in_turn(self, hook_name: str, /, *, core_last: bool = False) -> list[tuple[str, Callable[..., Any]]]:
        """``(plugin, function)`` of every installed plugin's implementation, on or off anywhere, in call order
        (``core_last``: the core after the plugins), for callers that must await them one after another
        inside one transaction and decide themselves what a failure means (erasing a member is all or
        nothing), where :meth:`fan_out`'s concurrency and skipping of failures would be wrong."""
        impls = self._impls(hook_name, None)
        if core_last:
            impls.sort(key=lambda impl: impl.plugin_name == CORE)
        return [(impl.plugin_name, impl.function) for impl in impls]

    async def fan_out(
        self, hook_name: str, community_id: int | None, /, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Await every enabled implementation concurrently; a failing plugin is logged and left out."""
        impls = self._impls(hook_name, community_id)
        calls = [cast(Awaitable[Any], i.function(**kwargs)) for i in impls]
        results = await asyncio.gather(*calls, return_exceptions=True)
        out = []
        for impl, result in zip(impls, results, strict=True):
            if isinstance(result, BaseException):
                log.error("hook %s of plugin %s failed", hook_name, impl.plugin_name, exc_info=result)
            elif result is not None:
                out.append((impl.plugin_name, result))
        return out

    async def first_result(self, hook_name: str, community_id: int | None, /, **kwargs: Any) -> Any:
        for impl in self._impls(hook_name, community_id):
            try:
                result = await cast(Awaitable[Any], impl.function(**kwargs))
            except Exception:
                log.exception("hook %s of plugin %s failed", hook_name, impl.plugin_name)
                continue
            if result is not None:
                return result
        return None

    # -- enablement --------------------------------------------------------------------------------
    def default_enabled(self, name: str) -> bool:
        defaults = self._settings.enabled_by_default
        return "*" in defaults or name in defaults

    def is_enabled(self, community_id: int | None, name: str) -> bool:
        if name == CORE:
            return True
        if community_id is None or name not in self.manifests:
            return False
        state = self._state.get((community_id, name))
        if state is not None:
            return state
        return self.default_enabled(name) and not self.is_new(community_id, name)

    def is_new(self, community_id: int, name: str) -> bool:
        """A plugin that appeared (an upgrade, an install) after the community was created, which nobody has
        switched there yet: it stays off until an organizer enables it, unless the settings name it
        (``enabled_by_default = ["badges"]``; ``"*"`` means only "for communities to come")."""
        if (community_id, name) in self._state or name in self._settings.enabled_by_default:
            return False
        first_seen, created = self._first_seen.get(name), self._created.get(community_id)
        return first_seen is not None and created is not None and created < first_seen

    def enabled_in(self, community_id: int) -> list[str]:
        return [n for n in self.names if self.is_enabled(community_id, n)]

    async def load_state(self) -> None:
        from core.identity import Community  # the manager's models must not need the core's at import time

        if any(name not in self._first_seen for name in self.names):
            await self._record_first_seen()
        rows = await PluginState.exclude(community_id=SEEN)
        self._state = {(s.community_id, s.plugin): s.enabled for s in rows if s.enabled is not None}
        self._overrides = {(s.community_id, s.plugin): dict(s.settings) for s in rows if s.settings}
        self._created = dict(await Community.all().values_list("id", "created_at"))  # type: ignore[arg-type]

    async def _record_first_seen(self) -> None:
        """Note, once per installation, when each installed plugin was first run (concurrent starts agree:
        the first row written wins)."""
        rows = await PluginState.filter(community_id=SEEN)
        recorded = {row.plugin for row in rows}
        now = datetime.now(UTC)
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        new = [PluginState(community_id=SEEN, plugin=name, enabled=None, settings={
            "first_seen": (epoch if not recorded and name in PREDATING_THE_RECORD else now).isoformat()})
            for name in self.names if name not in recorded]
        if new:
            await PluginState.bulk_create(new, ignore_conflicts=True)
            rows = await PluginState.filter(community_id=SEEN)
        self._first_seen = {row.plugin: datetime.fromisoformat(row.settings["first_seen"]) for row in rows
                            if isinstance(row.settings, dict) and "first_seen" in row.settings}

    def overrides(self, community_id: int | None, name: str) -> dict[str, Any]:
        if community_id is None:
            return {}
        return self._overrides.get((community_id, name), {})

    async def set_overrides(self, community_id: int, name: str, values: dict[str, Any], uow: UnitOfWork) -> None:
        """Store a community's own settings for a plugin (already validated by the caller)."""
        await PluginState.update_or_create(community_id=community_id, plugin=name, defaults={"settings": values})
        uow.on_commit(lambda: self._overrides.__setitem__((community_id, name), dict(values)))

    async def set_enabled(self, community_id: int, name: str, enabled: bool, uow: UnitOfWork) -> bool:
        """Switch a plugin for a community; False if it already was so. Raises Refusal when refused.

        The in-memory state follows when the unit of work commits, so a rolled-back change leaves no trace.
        """
        if name not in self.manifests or name == CORE:
            raise Refusal(N_("There is no plugin called {name}. Send /plugins to see them."), name=name)
        if self.is_enabled(community_id, name) == enabled:
            return False
        if enabled:
            off = [r for r in self.manifests[name].requires if not self.is_enabled(community_id, r)]
            if off:
                raise Refusal(N_("{name} needs {required} to be enabled first."), name=name,
                                  required=", ".join(off))
        else:
            dependents = [n for n in self.enabled_in(community_id) if name in self.manifests[n].requires]
            if dependents:
                raise Refusal(N_("{dependents} need {name}; disable them first."), name=name,
                                  dependents=", ".join(dependents))
        await PluginState.update_or_create(community_id=community_id, plugin=name, defaults={"enabled": enabled})
        uow.on_commit(lambda: self._state.__setitem__((community_id, name), enabled))
        return True

    def model_modules(self) -> dict[str, list[str]]:
        """Tortoise apps: one per plugin that has models, labelled with the plugin's name."""
        return {name: list(m.models) for name, m in self.manifests.items() if m.models}

    def iter_manifests(self) -> Iterable[PluginManifest]:
        return (self.manifests[n] for n in self.names)
