"""The core's own plugin: the commands and subscriptions that are always on and cannot be disabled.

Unlike every other plugin, it is part of the core, so its commands are built with the application they
manage (the command table for /help, the plugin manager for /enable, channel bindings for /setup). Each
module holds one family of commands: ``help``, ``community``, ``points``, ``plugins``, ``mydata``,
``residents``, ``link``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from core.adapter_state import forget_expired
from core.builtin import community, help, link, mydata, plugins, points, residents
from core.bus import Subscription
from core.commands import Command
from core.deadletters import forget_dead_letters
from core.events import AwardingEvent
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.outbox import forget_undelivered
from core.processed import forget_older_than
from core.scheduler import JobContext, JobSpec

if TYPE_CHECKING:
    from core.app import Application


class CorePlugin:
    def __init__(self, app: Application) -> None:
        self.app = app

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="core", title_zh="核心", title_en="Core", version="0.2.0")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        return [*help.commands(self.app), *community.commands(self.app), *points.commands(self.app),
                *plugins.commands(self.app), *mydata.commands(self.app), *residents.commands(self.app),
                *link.commands(self.app)]

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        return [Subscription(AwardingEvent, points.book_awards)]

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        return [JobSpec("core.forget_processed_events", self._forget_processed_events, every=timedelta(hours=6))]

    async def _forget_processed_events(self, ctx: JobContext) -> None:
        """Old dedupe marks, expired adapter state (stored button payloads), messages given up and
        replayed dead letters are dropped: they hold people's words and are no use after a while."""
        await forget_older_than(self.app.settings.bus.dedupe_days)
        await forget_expired(ctx.now())
        await forget_undelivered(ctx.now() - timedelta(days=self.app.settings.bus.dedupe_days))
        await forget_dead_letters(ctx.now(), self.app.settings.bus.dedupe_days)

    @hookimpl
    async def linli_member_data(self, user_id: int) -> dict[str, object] | None:
        return await mydata.core_data(user_id)

    @hookimpl
    async def linli_forget_member(self, user_id: int, pseudonym: str) -> None:
        await mydata.forget_core(user_id, pseudonym)

    @hookimpl
    async def linli_merge_users(self, from_user_id: int, into_user_id: int) -> None:
        await mydata.merge_core(from_user_id, into_user_id)
