"""The core's own plugin: commands and subscriptions that are always on and cannot be disabled."""

from __future__ import annotations

from datetime import timedelta

from core import community_commands, help_commands, plugin_commands, points_commands
from core.bus import Subscription
from core.commands import Command
from core.dedupe import forget_older_than
from core.events import AwardingEvent
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.scheduler import JobContext, JobSpec


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(name="core", title_zh="核心", title_en="Core", version="0.1.0")


@hookimpl
def linli_commands() -> list[Command]:
    return [
        *help_commands.COMMANDS,
        *community_commands.COMMANDS,
        *points_commands.COMMANDS,
        *plugin_commands.COMMANDS,
    ]


@hookimpl
def linli_subscriptions() -> list[Subscription]:
    return [Subscription(AwardingEvent, points_commands.book_awards)]


async def _forget_processed_events(ctx: JobContext) -> None:
    await forget_older_than(ctx.app.settings.bus.dedupe_days)


@hookimpl
def linli_jobs() -> list[JobSpec]:
    return [JobSpec("core.forget_processed_events", _forget_processed_events, every=timedelta(hours=6))]
