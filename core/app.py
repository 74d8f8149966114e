"""The application object: the one place that holds the running platform's state.

It wires settings, translations, plugins, the bus, the command router, the scheduler, the adapters
and the web server, and it is the host of the bus, the router and the scheduler (each of which depends
only on a narrow Protocol of its own). Plugins and adapters never get it: they get
:class:`core.services.PluginServices` and :class:`core.services.AdapterServices`.
Start-up order matters: Tortoise keeps its state in a ContextVar, so the database is opened before any
task (bus workers, adapters, the web server, the scheduler) is created.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from core import outbox, period_totals, storage
from core.adapter import Adapter
from core.builtin import CorePlugin
from core.bus import BusClosed, EventBus, StoredReplies, Subscription
from core.commands import Command
from core.config import ConfigError, Settings
from core.context import CommandContext
from core.deadletters import DEAD_LETTER_AFTER, set_aside
from core.delivery import Delivery
from core.dialogs import Dialogs
from core.events import (
    DomainEvent,
    Event,
    LanguageChanged,
    MessageReceived,
    OutgoingMessage,
    PluginToggled,
    RoleChanged,
)
from core.i18n import Catalogs, Translator
from core.identity import (
    Channel,
    Community,
    Membership,
    User,
    cached_channel_community,
    cached_membership_for,
    cached_names,
    cached_user_for,
    forget,
    identity_cache,
)
from core.inbox import Inbox
from core.inputs import clean_event
from core.metrics import Metrics
from core.open_dialogs import open_dialogs
from core.plugin_manager import PluginManager
from core.rankings_memo import rankings_memo
from core.refusal import Hint
from core.router import Router
from core.scheduler import JobContext, Scheduler
from core.scope import community_mark
from core.services import AdapterServices, PluginServices
from core.storage import is_unavailable
from core.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)
CORE_LOCALES = Path(__file__).parent / "locales"


class Application:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        plugins: Iterable[object] = (),
        load_builtins: bool = True,
        load_entry_points: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.timezone = ZoneInfo(settings.timezone)
        self.catalogs = Catalogs()
        self.plugins = PluginManager(settings.plugins)
        self.router = Router(self, Dialogs())
        self.bus = EventBus(self, max_pending=settings.bus.max_pending)
        self.delivery = Delivery(self, settings.delivery)
        self.inbox = Inbox(self, retry_base=settings.delivery.retry_base, retry_cap=settings.delivery.retry_cap)
        self._failed_events: dict[str, int] = {}
        self.services = PluginServices(self)
        self.adapter_services = AdapterServices(self)
        self.scheduler = Scheduler(
            self, tick_seconds=settings.scheduler.tick_seconds, lease_seconds=settings.scheduler.lease_seconds
        )
        self.metrics = Metrics()  # what /metrics shows; the parts count into it
        self.bus.metrics = self.router.metrics = self.delivery.metrics = self.scheduler.metrics = self.metrics
        self.metrics.watch_queue(lambda: self.bus.pending)
        self.inbox.watch(self.metrics.registry)
        self.adapters: dict[str, Adapter] = {}
        self._background: set[asyncio.Future[None]] = set()
        self._channel_community: dict[str, int] = {}
        self._community_languages: dict[int, str] = {}
        self.plugins.register(CorePlugin(self))
        if load_builtins:
            self.plugins.load_builtins()
        if load_entry_points:
            self.plugins.load_entry_points()
        for plugin in plugins:
            self.plugins.register(plugin)
        self.plugins.check_requirements()
        self._wire_plugins()

    # -- wiring ------------------------------------------------------------------------------------
    def _wire_plugins(self) -> None:
        unknown = sorted(set(self.settings.plugin) - set(self.plugins.manifests) - set(self.settings.plugins.blocked))
        if unknown:
            where = self.settings.where("plugin", unknown[0])
            raise ConfigError(f"invalid settings:\n  plugin.{unknown[0]} ({where}): there is no such plugin "
                              f"(installed: {', '.join(self.plugins.names) or 'none'})")
        self.catalogs.load_dir(CORE_LOCALES)
        for manifest in self.plugins.manifests.values():
            if manifest.locales is not None:
                self.catalogs.load_dir(manifest.locales, manifest.name)
            if manifest.settings_model is not None:
                self.plugin_settings(manifest.name, manifest.settings_model)  # validate at start-up
        for plugin, commands in self.plugins.collect("linli_commands"):
            for cmd in commands:
                self.router.table.add(_owned(cmd, plugin))
        self.bus.subscribe(Subscription(MessageReceived, self.router.on_message, marks_processed=True,
                                        quiet=self.router.is_quiet))
        self.bus.subscribe(Subscription(PluginToggled, self._commands_changed))
        self.bus.subscribe(Subscription(RoleChanged, self._commands_changed))  # menus by person
        self.bus.subscribe(Subscription(LanguageChanged, self._commands_changed))
        for plugin, subscriptions in self.plugins.collect("linli_subscriptions"):
            for sub in subscriptions:
                self.bus.subscribe(replace(sub, plugin=plugin))  # keeps marks_processed
        for plugin, jobs in self.plugins.collect("linli_jobs"):
            for job in jobs:
                self.scheduler.register(replace(job, plugin=plugin))

    def plugin_settings(self, plugin: str, model: type[ModelT], community_id: int | None = None) -> ModelT:
        """A plugin's settings: the model's defaults, then ``[plugin.<name>]``, then the community's own."""
        base = self.settings.plugin.get(plugin, {})
        overrides = self.plugins.overrides(community_id, plugin)
        unknown = sorted(set(base) - set(model.model_fields))
        if unknown:
            raise ConfigError(f"invalid settings:\n  plugin.{plugin}.{unknown[0]} "
                              f"({self.settings.where('plugin', plugin, unknown[0])}): there is no such setting "
                              f"(settings of {plugin}: {', '.join(model.model_fields) or 'none'})")
        try:
            return model.model_validate({**base, **overrides})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            where = f"the settings of community {community_id}" if overrides else f"[plugin.{plugin}]"
            raise ConfigError(f"invalid settings in {where}: {problems}") from None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start_core(self) -> None:
        """Load state that must be in memory before events flow; the database is already open."""
        await self.refresh_state()
        await period_totals.ensure(self.timezone)  # counted again after the time zone setting changed
        await self.scheduler.ensure_periodic()
        await self.plugins.fan_out("linli_startup", None)
        await self.inbox.start(list(self.adapters))  # what the last process stored and did not handle

    async def start_delivery(self) -> None:
        """Start sending replies, beginning with the outbox's backlog; after the adapters have started."""
        await self.delivery.start()

    async def refresh_state(self) -> None:
        """Reload what is cached in memory (plugin states, chat bindings) from the database.

        Changes made through this process update the caches at once; this picks up changes made by
        another worker process or by ``linli plugins enable`` while we run.
        """
        await self.plugins.load_state()
        identity_cache.size = self.settings.database.cache_entries
        identity_cache.clear()  # another process may have changed people, chats or memberships
        rankings_memo.clear()
        await open_dialogs.load()
        self._channel_community = {
            f"{c.platform}:{c.chat_id}": c.community_id for c in await Channel.all()  # type: ignore[attr-defined]
        }

    async def keep_state_fresh(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.refresh_state()
                await self.delivery.adopt()
            except Exception:
                log.exception("refreshing cached state failed")

    async def stop_core(self) -> None:
        await self.inbox.stop()  # what is not handled yet stays stored for the next start
        await self.bus.close()
        await self.scheduler.stop()
        await self.delivery.stop()
        await self.plugins.fan_out("linli_shutdown", None)

    async def settle(self) -> None:
        """Wait until every accepted event is handled and every reply it caused delivered or given up."""
        while True:
            await self.inbox.join()
            await self.bus.join()
            await self.delivery.join()
            if self.inbox.busy_lanes == 0 and self.bus.pending == 0 and self.delivery.busy_lanes == 0:
                return

    async def accept(self, event: MessageReceived) -> bool:
        """Handle a platform event for an adapter: True once committed, False for a duplicate.

        Raises when the event could not be handled, so the adapter does not acknowledge it and offers it
        again: always while the database is unavailable; for any other failure up to
        ``DEAD_LETTER_AFTER`` times, after which the event is set aside (:mod:`core.deadletters`),
        apologised for, and reported as handled.
        """
        event = self.inbox.as_it_is_now(event)
        try:
            handled = await self.bus.publish_and_wait(event)
        except BusClosed:
            raise
        except Exception as error:
            if is_unavailable(error):
                raise
            tries = self._failed_events[event.event_id] = self._failed_events.get(event.event_id, 0) + 1
            if len(self._failed_events) > 10_000:  # bounded: forget the oldest counts
                self._failed_events.pop(next(iter(self._failed_events)))
            if tries < DEAD_LETTER_AFTER:
                raise
            await self._set_aside(event, error)
            self._failed_events.pop(event.event_id, None)
            return True
        self._failed_events.pop(event.event_id, None)
        return handled

    def _private_words(self, event: MessageReceived) -> bool:
        """Whether the message is a command whose words must not be kept (``Command.private_words``)."""
        first = event.text.strip().split(maxsplit=1)[0] if event.text.strip() else ""
        if not first.startswith(("/", "／")):
            return False
        cmd = self.router.table.find(first[1:].split("@", 1)[0])
        return cmd is not None and (cmd.private_words or any(s.private_words for s in cmd.subcommands))

    async def _set_aside(self, event: MessageReceived, error: BaseException) -> None:
        log.error("event %s failed %d times and is set aside as a dead letter (linli deadletters list): %r",
                  event.event_id, DEAD_LETTER_AFTER, error)

        kept = event
        if self._private_words(event):
            kept = replace(event, text="", mentions=(), attachments=())
            error = RuntimeError(f"{type(error).__name__} (the words of this command are not kept)")

        async def store(uow: UnitOfWork) -> None:
            await self.inbox.consume(event, uow)  # set aside instead of handled: its inbox row goes
            if await set_aside(kept, error, uow.now):
                uow.send(self.apology(event))

        await self.bus.run_in_transaction(store)

    def now(self) -> datetime:
        return self.clock()

    async def receive(self, event: Event) -> None:
        """Accept a platform event without waiting for it (tests and tools; adapters use their host)."""
        if isinstance(event, MessageReceived):  # made safe as an adapter's would be (core.inputs)
            event = clean_event(event, self.settings.bus.max_message_chars)
        await self.bus.publish(event)

    async def run_in_transaction(self, work: Callable[[UnitOfWork], Any]) -> Any:
        return await self.bus.run_in_transaction(work)

    # -- bus host ----------------------------------------------------------------------------------
    def partition_key(self, event: Event) -> str:
        community_id = self.community_of(event)
        return f"community:{community_id}" if community_id is not None else event.partition_key()

    def community_of(self, event: Event) -> int | None:
        if isinstance(event, DomainEvent):
            return event.community_id
        if isinstance(event, MessageReceived):
            return self._channel_community.get(event.channel.key)
        return None

    def plugin_enabled(self, community_id: int | None, plugin: str) -> bool:
        return self.plugins.is_enabled(community_id, plugin)

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        return storage.transaction()

    async def store_replies(self, messages: list[OutgoingMessage]) -> StoredReplies:
        popups = tuple(m for m in messages if m.popup_for is not None)
        lasting = [m for m in messages if m.popup_for is None]
        rows = await outbox.store(lasting, self.now(), self.delivery.owner)
        return StoredReplies(tuple((row_id, m, outbox.lane_of(m)) for row_id, m in rows), popups)

    async def deliver(self, replies: StoredReplies) -> None:
        if replies.rows:  # handed over before anything else can run
            self.delivery.hand([(row_id, m) for row_id, m, _ in replies.rows], [lane for _, _, lane in replies.rows])
        for popup in replies.popups:  # answers a press being handled now: shown at once, or not at all
            adapter = self.adapters.get(popup.channel.platform)
            if adapter is not None:
                await self._send_popup(adapter, popup)

    async def _send_popup(self, adapter: Adapter, popup: OutgoingMessage) -> None:
        try:
            await adapter.send(popup)
        except Exception as error:
            log.warning("a pop-up for %s could not be shown: %s", popup.channel.key, error)

    def adapter_for(self, platform: str) -> Adapter | None:
        return self.adapters.get(platform)

    async def _commands_changed(self, event: PluginToggled | RoleChanged | LanguageChanged, uow: UnitOfWork) -> None:
        """A community switched a plugin, changed someone's role or its language, so its command menus change:
        tell the adapters, after the commit
        (a task started inside the transaction would inherit its connection)."""

        def tell() -> None:
            for adapter in self.adapters.values():
                task = asyncio.ensure_future(adapter.commands_changed())
                self._background.add(task)
                task.add_done_callback(self._background.discard)

        uow.on_commit(tell)

    def plugin_title(self, plugin: str, language: str) -> str:
        manifest = self.plugins.manifests.get(plugin)
        return manifest.title(language) if manifest else plugin

    async def consume(self, event: MessageReceived, uow: UnitOfWork) -> None:
        await self.inbox.consume(event, uow)

    def apology(self, event: MessageReceived) -> OutgoingMessage:
        t = self.translator(self._language_of_channel(event))
        return OutgoingMessage(
            channel=event.channel,
            text=t("Sorry, something went wrong while handling that. Nothing was changed; please try again later."),
            reply_to_message_id=event.message_id,
        )

    # -- services for handlers ---------------------------------------------------------------------
    def translator(self, language: str | None, plugin: str | None = None) -> Translator:
        """Translations into ``language`` (default: the installation's), for ``plugin``'s strings."""
        return self.catalogs.translator(language or self.settings.language, plugin)

    def _language_of_channel(self, event: MessageReceived) -> str | None:
        return self._community_languages.get(self._channel_community.get(event.channel.key, -1))

    def bind_channel(self, channel_key: str, community: Community) -> None:
        self._channel_community[channel_key] = community.id

    def remember_language(self, community: Community) -> None:
        self._community_languages[community.id] = community.language

    async def community_ids(self) -> list[int]:
        return list(await Community.all().values_list("id", flat=True))  # type: ignore[arg-type]

    async def command_context(self, event: MessageReceived, uow: UnitOfWork) -> CommandContext:
        """Who is asking, where, as what: from memory once committed (:class:`core.identity.IdentityCache`),
        since every command needs it before anything else."""
        event = self.inbox.as_it_is_now(event)  # it may have waited for its community's bus since accept()
        user = await cached_user_for(event.sender, uow.on_commit)
        community = await cached_channel_community(event.channel, uow.on_commit)
        if community is None and event.channel.is_direct:
            community = await self._community_of_private_chat(event, user)
        # The group's admins writing anonymously are nobody in particular: never a member (so never listed,
        # counted, ranked, mentioned or given points); the router serves them by ``needs_person`` alone.
        member = community is not None and not event.sender.as_group
        membership = (await cached_membership_for(community.id, user.id, uow.on_commit)
                      if member and community is not None else None)
        if community is not None:
            self.remember_language(community)
        language = community.language if community else (user.language or event.sender.language)
        return CommandContext(self.services, uow, self.translator(language), event=event, user=user,
                              community=community, membership=membership, speakers=self.router.speakers)

    async def _community_of_private_chat(self, event: MessageReceived, user: User) -> Community | None:
        """In a private chat with the bot: the community a pressed button belongs to (a private notice's
        buttons carry it), else the person's only community; None when that is not clear."""
        marked = community_mark(event.button_data)[0] if event.button_data is not None else None
        memberships = Membership.filter(user_id=user.id)
        if marked is not None:
            memberships = memberships.filter(community_id=marked)
        rows = await memberships.select_related("community").limit(2)
        return rows[0].community if len(rows) == 1 else None

    async def job_context(self, uow: UnitOfWork, plugin: str, community_id: int | None, payload: dict[str, Any],
                          communities: list[int]) -> JobContext:
        language: str = self.settings.language
        if community_id is not None:
            community = await Community.get_or_none(id=community_id)
            language = community.language if community else language
        return JobContext(self.services, uow, self.translator(language, plugin), community_id, plugin,
                          payload=payload, communities=communities)

    async def move_channel(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """A chat got a new id on its platform: the community's binding moves along (once)."""
        async with storage.transaction():
            if await Channel.exists(platform=platform, chat_id=new_chat_id):
                return False
            moved = False
            for channel in await Channel.filter(platform=platform, chat_id=old_chat_id).select_related("community"):
                channel.chat_id = new_chat_id
                await channel.save(update_fields=["chat_id"])
                self.bind_channel(f"{platform}:{new_chat_id}", channel.community)
                moved = True
        if moved:  # called outside any unit of work, so the save's own forgetting ran before this commit:
            forget()  # a reader between the two (PostgreSQL) may have kept the chats as they were
        return moved

    async def has_badge(self, community_id: int, user_id: int, badge: str) -> bool:
        """Whether an enabled plugin vouches for a verified badge (``linli_user_has_badge``)."""
        answer = await self.plugins.first_result(
            "linli_user_has_badge", community_id, community_id=community_id, user_id=user_id, badge=badge
        )
        return bool(answer)

    async def verifiable_badges(self, community_id: int) -> frozenset[str]:
        """The badges some plugin enabled in the community can verify (``linli_verifiable_badges``)."""
        answers = await self.plugins.fan_out("linli_verifiable_badges", community_id, community_id=community_id)
        return frozenset(badge for _plugin, badges in answers for badge in badges)

    async def whoami_lines(self, community_id: int, user_id: int, language: str,
                           hint: Callable[..., Awaitable[str]] | None = None) -> list[str]:
        """What enabled plugins tell a person about themselves in ``/whoami``, in their own domains; a
        :class:`Hint` value is spelled by ``hint`` (the scope's, so it reaches the bot where it is read)."""
        lines: list[str] = []
        for plugin, items in await self.plugins.fan_out(
            "linli_whoami_lines", community_id, community_id=community_id, user_id=user_id
        ):
            t = self.translator(language, plugin)
            for message, values in items:  # string values may be msgids too (a badge's name)
                shown = {k: t(v) if isinstance(v, str) and v else v for k, v in values.items()}
                for k, v in values.items():
                    if isinstance(v, Hint):
                        shown[k] = await hint(v.command, *v.args) if hint else f"/{v.command}"
                lines.append(t(message, **shown))
        return lines

    async def render_names(self, community_id: int | None, user_ids: list[int]) -> dict[int, str]:
        """Display names with every enabled plugin's decorations: the one way names are shown."""
        users = cached_names(user_ids)  # the people a command just read are not read again
        missing = [uid for uid in user_ids if uid not in users]
        if missing:
            users.update({u.id: u.display_name for u in await User.filter(id__in=missing)})
        marks: dict[int, list[str]] = {}
        if community_id is not None and user_ids:
            for _plugin, decorations in await self.plugins.fan_out(
                "linli_decorate_names", community_id, community_id=community_id, user_ids=user_ids
            ):
                for user_id, mark in decorations.items():
                    marks.setdefault(user_id, []).append(mark)
        return {
            uid: " ".join([unmarked(users.get(uid, "")) or f"#{uid}", *marks.get(uid, [])]) for uid in user_ids
        }


def unmarked(name: str) -> str:
    """A display name without symbols (emoji) and their joiners: marks beside names are the plugins' to
    give, so ``李四🚩`` cannot pass for a verified party member. Costs no query."""
    return "".join(ch for ch in name if ch not in "\ufe0f\u200d\u20e3"
                   and unicodedata.category(ch) not in ("So", "Sk")).strip()


def _owned(cmd: Command, plugin: str) -> Command:
    return replace(cmd, plugin=plugin, subcommands=tuple(_owned(s, plugin) for s in cmd.subcommands))
