"""The two narrow doors into the core: :class:`PluginServices` for plugins' scopes, :class:`AdapterServices`
for adapters.

Each holds the application privately and offers only what its side may use, so a plugin or an adapter
written against these interfaces keeps working while the core changes inside, and neither can reach the
router, the plugin manager or the core's tables through them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from core import adapter_state
from core.adapter import MenuEntry
from core.events import MessageReceived
from core.i18n import Translator
from core.identity import Channel, Identity, Membership
from core.inputs import clean_event

if TYPE_CHECKING:
    from core.app import Application

SettingsT = TypeVar("SettingsT", bound=BaseModel)
#: Telegram's rule for command names, which every menu follows.
MENU_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class PluginServices:
    """What a :class:`core.scope.Scope` asks of the core (see :class:`core.scope.ScopeHost`)."""

    def __init__(self, app: Application) -> None:
        self._app = app

    def now(self) -> datetime:
        return self._app.now()

    @property
    def timezone(self) -> ZoneInfo:
        return self._app.timezone

    def translator(self, language: str | None, plugin: str | None = None) -> Translator:
        return self._app.translator(language, plugin)

    def plugin_settings(self, plugin: str, model: type[SettingsT], community_id: int | None = None) -> SettingsT:
        return self._app.plugin_settings(plugin, model, community_id)

    async def render_names(self, community_id: int | None, user_ids: list[int]) -> dict[int, str]:
        return await self._app.render_names(community_id, user_ids)

    async def has_badge(self, community_id: int, user_id: int, badge: str) -> bool:
        return await self._app.has_badge(community_id, user_id, badge)

    async def verifiable_badges(self, community_id: int) -> frozenset[str]:
        return await self._app.verifiable_badges(community_id)

    async def schedule(self, plugin: str, job: str, at: datetime, *, key: str, community_id: int | None,
                       payload: dict[str, Any]) -> None:
        scheduler = self._app.scheduler
        name = job if job in scheduler.specs else f"{plugin}.{job}"
        spec = scheduler.specs.get(name)
        if spec is None or spec.plugin != plugin:
            raise ValueError(f"plugin {plugin} has no job named {job!r}")
        await scheduler.schedule(name, at, key=f"{plugin}:{key}", community_id=community_id, payload=payload)

    async def cancel_job(self, plugin: str, key: str) -> None:
        await self._app.scheduler.cancel(f"{plugin}:{key}")

    def command_spelling(self, name: str, language: str, latin_only: bool) -> str:
        """How to write ``/name`` in the bot's own text: the alias people of ``language`` know, unless only
        Latin command names reach the bot."""
        cmd = self._app.router.table.find(name)
        if cmd is None or latin_only or language == "en":
            return name
        return next((a for a in cmd.aliases if not a.isascii()), cmd.name)

    def latin_commands_only(self, platform: str) -> bool:
        adapter = self._app.adapters.get(platform)
        return adapter is not None and adapter.latin_commands_only


class AdapterServices:
    """What an adapter asks of the core (see :class:`core.adapter.AdapterHost`)."""

    def __init__(self, app: Application) -> None:
        self._app = app

    async def receive(self, event: MessageReceived) -> bool:
        # Made safe here, once for every adapter and database: no control characters, no unread 1 MB line.
        return await self._app.accept(clean_event(event, self._app.settings.bus.max_message_chars))

    async def accept_batch(self, events: Sequence[MessageReceived], *,
                           awaited: Collection[str] = ()) -> dict[str, asyncio.Future[bool]]:
        # Made safe here, once for every adapter and database, before anything is stored (NUL in JSON...).
        limit = self._app.settings.bus.max_message_chars
        clean = [clean_event(event, limit) for event in events]
        as_given = {new.event_id: old.event_id for old, new in zip(events, clean, strict=True)
                    if old.event_id in awaited}
        waits = await self._app.inbox.store(clean, awaited=as_given)
        return {as_given[event_id]: wait for event_id, wait in waits.items()}

    async def drain(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._app.settle(), self._app.settings.delivery.drain_seconds)

    def translator(self, language: str | None) -> Translator:
        return self._app.translator(language)

    def knows_command(self, name: str) -> bool:
        return self._app.router.table.find(name) is not None

    def now(self) -> datetime:
        return self._app.now()

    @property
    def web_enabled(self) -> bool:
        return self._app.settings.web.enabled

    @property
    def refresh_seconds(self) -> float:
        return self._app.settings.plugins.refresh_seconds

    async def command_menus(self, platform: str, language: str | None) -> dict[str | None, list[MenuEntry]]:
        plugins = self._app.plugins

        def default(plugin: str) -> bool:
            return plugin == "core" or (plugin in plugins.manifests and plugins.default_enabled(plugin))

        menus: dict[str | None, list[MenuEntry]] = {None: self._menu(default, language)}
        rows = await Channel.filter(platform=platform, is_direct=False).values_list(
            "chat_id", "community_id", "community__language")
        for chat_id, community_id, spoken in rows:

            def here(plugin: str, community: int = int(community_id)) -> bool:
                return plugins.is_enabled(community, plugin)

            # language None: users without a menu in their own language read the community's language
            own = self._menu(here, language or str(spoken or "") or None)
            if own != menus[None]:
                menus[str(chat_id)] = own
        return menus

    async def member_roles(self, platform: str) -> dict[str, dict[str, list[str]]]:
        chats: dict[int, list[str]] = {}
        for chat_id, community_id in await Channel.filter(platform=platform, is_direct=False).values_list(
                "chat_id", "community_id"):
            chats.setdefault(int(community_id), []).append(str(chat_id))
        found: dict[str, dict[str, list[str]]] = {}
        if not chats:
            return found
        held = [(int(community_id), int(user_id), sorted(roles)) for community_id, user_id, roles in
                await Membership.filter(community_id__in=list(chats)).values_list("community_id", "user_id", "roles")
                if roles]
        accounts: dict[int, list[str]] = {}
        if held:
            for user_id, account in await Identity.filter(
                    platform=platform, user_id__in=sorted({user for _c, user, _r in held})).values_list(
                    "user_id", "platform_user_id"):
                accounts.setdefault(int(user_id), []).append(str(account))
        for community_id, user_id, roles in held:
            for chat_id in chats[community_id]:
                for account in accounts.get(user_id, []):
                    found.setdefault(chat_id, {})[account] = roles
        return found

    def _menu(self, enabled: Any, language: str | None) -> list[MenuEntry]:
        entries: list[MenuEntry] = []
        seen: set[str] = set()
        for cmd in self._app.router.table.commands:
            if cmd.name in seen or not set(cmd.name) <= MENU_NAME_CHARS or not enabled(cmd.plugin):
                continue
            seen.add(cmd.name)
            text = self._app.translator(language, cmd.plugin)(cmd.help) if cmd.help else ""
            entries.append(MenuEntry(cmd.name, " ".join(text.split()) or f"/{cmd.name}", role=cmd.role.value))
        return entries

    async def move_channel(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        moved = await self._app.move_channel(platform, old_chat_id, new_chat_id)
        # The binding is under the new id now (moved, or moved before): what the inbox still holds from
        # the old id (said before the move, in this batch or a backlog) is handled as that chat.
        self._app.inbox.moved(platform, old_chat_id, new_chat_id)
        return moved

    async def state_get(self, namespace: str, key: str) -> Any:
        return await adapter_state.state_get(namespace, key, self._app.now())

    async def state_put(self, namespace: str, key: str, value: Any, *, expires_at: datetime | None = None) -> None:
        await adapter_state.state_put(namespace, key, value, expires_at)
