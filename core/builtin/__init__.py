"""The core's own plugin: the commands and subscriptions that are always on and cannot be disabled.

Unlike every other plugin, it is part of the core, so its commands are built with the application they
manage (the command table for /help, the plugin manager for /enable, channel bindings for /setup). Each
module holds one family of commands: ``help``, ``community``, ``points``, ``plugins``, ``mydata``,
``residents``, ``link``, ``roster`` (``/import``, ``/join``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from core.adapter_state import forget_expired
from core.audit import audited, reads
from core.backup_daily import DailyBackups
from core.builtin import audit, board, community, correct, help, link, mydata, plugins, points, residents, roster
from core.builtin.roster_kinds import KINDS as ROSTER_KINDS
from core.bus import Subscription
from core.commands import Command
from core.corrections import AwardsReversed, reversals_booker
from core.deadletters import forget_dead_letters
from core.events import AwardingEvent, MessageReceived
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.outbox import forget_undelivered
from core.processed import forget_older_than
from core.rosters.member_data import forget_rosters, merge_rosters, roster_data
from core.scheduler import JobContext, JobSpec

if TYPE_CHECKING:
    from core.app import Application
    from core.rosters.kinds import RosterKind
    from core.web.pages import WebPage


class CorePlugin:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.backups = DailyBackups(app.settings.backup, app.settings.database.url, app.timezone)

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="core", title_zh="核心", title_en="Core", version="0.2.0")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        # /setup creates a community (or binds a chat) and makes an organizer: audited, though any chat admin
        # may send it.
        community_commands = audited(community.commands(self.app), "setup")
        # Readings change nothing and are not audited steps (core.audit.reads); /config only when it changes.
        return [*help.commands(self.app), *community_commands, *points.commands(self.app),
                *reads(plugins.commands(self.app), "config", unless=("value",)), *mydata.commands(self.app),
                *reads(residents.commands(self.app), "residents"),
                *link.commands(self.app), *reads(audit.commands(self.app), "audit"), *correct.commands(self.app),
                *roster.commands(self.app), *board.commands(self.app)]

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        return [Subscription(AwardingEvent, points.awards_booker(self.app.timezone)),
                Subscription(AwardsReversed, reversals_booker(self.app.timezone)),
                Subscription(MessageReceived, roster.match_by_username(self.app), marks_processed=True,
                             quiet=roster.quiet)]

    @hookimpl
    def linli_roster_kinds(self) -> list[RosterKind]:
        return ROSTER_KINDS

    @hookimpl
    def linli_web_pages(self) -> list[WebPage]:
        """The core's own board pages (the volunteer rankings), when that module is installed."""
        try:
            from core.web.rankings import RANKINGS_PAGE
        except ModuleNotFoundError as exc:
            if exc.name != "core.web.rankings":
                raise
            return []
        return [RANKINGS_PAGE]

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        jobs = [JobSpec("core.forget_processed_events", self._forget_processed_events, every=timedelta(hours=6))]
        if self.app.settings.backup.enabled:  # [backup] enabled: no job at all otherwise
            jobs.append(JobSpec("core.daily_backup", self._daily_backup, every=timedelta(minutes=10)))
        return jobs

    async def _daily_backup(self, ctx: JobContext) -> None:
        """Checked every 10 minutes; the copy runs after this job's commit, outside any transaction (on
        SQLite a backup inside one would hold the core's only connection for its whole length)."""
        now = ctx.now()
        if self.backups.due(now):
            ctx.uow.on_commit(lambda: self.backups.start(now))

    @hookimpl
    async def linli_shutdown(self) -> None:
        await self.backups.stop()

    async def _forget_processed_events(self, ctx: JobContext) -> None:
        """Old dedupe marks, expired adapter state (stored button payloads), messages given up and
        replayed dead letters are dropped: they hold people's words and are no use after a while."""
        await forget_older_than(self.app.settings.bus.dedupe_days)
        await forget_expired(ctx.now())
        await forget_undelivered(ctx.now() - timedelta(days=self.app.settings.bus.dedupe_days))
        await forget_dead_letters(ctx.now(), self.app.settings.bus.dedupe_days)

    @hookimpl
    async def linli_member_data(self, user_id: int) -> dict[str, object] | None:
        data = await mydata.core_data(user_id)
        rosters = await roster_data(user_id)  # what an organizer's sheet said of the person
        return {**(data or {}), "rosters": rosters} if rosters else data

    @hookimpl
    async def linli_forget_member(self, user_id: int, pseudonym: str) -> None:
        await mydata.forget_core(user_id, pseudonym)
        await forget_rosters(user_id)

    @hookimpl
    async def linli_merge_users(self, from_user_id: int, into_user_id: int) -> None:
        await mydata.merge_core(from_user_id, into_user_id)
        await merge_rosters(from_user_id, into_user_id)
