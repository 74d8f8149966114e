"""The Telegram adapter: python-telegram-bot's ``Bot`` inside linli's own event loop.

Receiving. In polling mode the adapter runs its own ``getUpdates`` loop with PTB's ``Bot`` instead of
PTB's ``Updater``, because the Updater confirms a batch (moves the ``offset``) *before* anything is safe:
a crash in between loses those updates. Here a fetched batch is stored in the core's inbox in one insert
(:meth:`core.adapter.AdapterHost.accept_batch`, :mod:`core.inbox`), the ``offset`` moves past it once
that is committed, and the next batch is fetched at once, so a backlog in one group never keeps another
group's update from being fetched; the core works the inbox off per community, each update once (its
"processed" mark is ``telegram:<bot id>:<update id>``). So

* a crash before the insert leaves the batch unconfirmed: Telegram sends it again;
* a crash after it leaves the updates in the inbox, handled after the restart; one fetched again
  (the confirming ``getUpdates`` never went out) is ignored as a duplicate.

A batch the core could not store (its database is away) is fetched again after a back-off, for as long as
it takes; an update that cannot be read stops the offset before it and is fetched again too: nothing is
skipped. Telegram keeps unconfirmed updates for 24 hours.

In webhook mode Telegram posts each update to ``/telegram/…`` on linli's web server. The route checks
the ``X-Telegram-Bot-Api-Secret-Token`` header (401 without it), stores the update in the inbox and
answers 200; on a failure it answers 500 and Telegram retries later, and the dedupe marks again make
that harmless.

Button presses. A press becomes a :class:`core.events.MessageReceived` with ``button_data`` (long data is
read back from the host's state, :mod:`adapters.telegram.buttons`) and ``button_token`` = the callback
query id. The query is answered only after the core committed the press: with the core's pop-up (a
refusal, ``OutgoingMessage.popup_for``) as an alert, or plainly so the client's spinner stops. A pop-up the
query is too old for goes to the presser as a direct message, never into the group.

Sending. The core's outbox (:mod:`core.delivery`) calls :meth:`send` one message at a time per chat and
deletes the stored message when it returns. :meth:`send` waits for
:class:`adapters.telegram.limiter.FloodControl` (Telegram's flood limits per chat, per group and overall)
and makes one try; a network error, a 5xx or a 429 is raised as :class:`core.adapter.RetryLater` (with
``retry_after``) and the outbox tries again with back-off for hours. When an answer was lost while
Telegram is otherwise reachable, the message may already show, and the outbox sends it at most once
more; edits are retried safely. A private notice
(``private_to``) goes as a direct message; when Telegram refuses it (the person never pressed Start, or
blocked the bot) a harmless one is posted in the group with a mention, a ``sensitive`` one only as a
prompt to open a chat with the bot. Files go by ``sendPhoto``/``sendDocument`` (:mod:`adapters.telegram.sending`).

Failures that need a person are reported in plain words: a rejected token stops start-up with a
:class:`core.config.ConfigError` naming the setting (never the token, which is also masked in PTB's
and httpx's logs); a second poller (``409 Conflict``) is logged as such, and polling keeps retrying so
the bot recovers when the other instance stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    Chat,
    ForceReply,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from adapters.telegram.buttons import ButtonStore
from adapters.telegram.limiter import FloodControl, SlidingWindow
from adapters.telegram.mapping import (
    ANONYMOUS_ADMIN_ID,
    PLATFORM,
    addressed_text,
    channel_of,
    document_of,
    group_admins_of,
    identity_of,
    is_group,
    language_of,
    mentions_of,
    photo_of,
    text_and_entities,
    text_mention,
    thread_of,
    writes_as_group,
)
from adapters.telegram.menu import Menu, MenuKey, desired_menus, member_of, telegram_scope
from adapters.telegram.popups import Popups, alert_text
from adapters.telegram.resilience import (
    answer_lost,
    backoff_delay,
    call_with_retries,
    is_transient,
    retry_after_seconds,
)
from adapters.telegram.roles import AdminCache
from adapters.telegram.sending import Markup, SendJob, plan
from adapters.telegram.settings import TelegramSettings
from core.adapter import Adapter, AdapterHost, RetryLater
from core.config import ConfigError
from core.events import IdentityRef, MessageReceived, OutgoingMessage
from core.i18n import Translator
from core.secrets import register_secret
from core.web import WebRoute

log = logging.getLogger("adapters.telegram")

#: Update types the bot asks for. ``chat_member`` is opt-in at Telegram and keeps the admin cache right.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PREFIX = "/telegram/"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: How long stop() waits for a batch of updates being handed over to finish.
SHUTDOWN_GRACE = 10.0
#: Seconds beyond ``poll_timeout`` without an answered poll before /healthz reports the adapter down (the
#: read timeout of a poll is 10 s, and its back-off sleeps are short).
STALE_POLL_MARGIN = 30.0
#: Usernames remembered to resolve ``@username`` mentions (Telegram does not say who that is).
KNOWN_USERS = 5000
#: Seconds a button press may wait for its event (behind its community's backlog in the inbox) before it
#: is answered plainly, while Telegram still takes the answer (about 15 s) and the spinner stops.
PRESS_WINDOW = 8.0
#: The share of Telegram's overall flood budget menu calls (``setMyCommands``) may use at most, so that a burst
#: of them (many organizers' menus after a restart) leaves room for messages.
MENU_SHARE = 1 / 3

CONFLICT_HELP = (
    "telegram: another program is receiving this bot's updates (%s). A bot token can be used by one "
    "poller at a time: stop the other instance (or remove its webhook), or run linli with "
    'telegram.mode = "webhook". Retrying.'
)


def read_token(settings: TelegramSettings) -> tuple[str, str]:
    """The bot token and where it came from (for error messages, which never show the token)."""
    if settings.token is not None and settings.token.get_secret_value().strip():
        return settings.token.get_secret_value().strip(), "LINLI_TELEGRAM__TOKEN"
    if settings.token_file is not None:
        try:
            token = settings.token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"telegram.token_file: cannot read {settings.token_file} ({error.strerror})") from None
        if token:
            return token, f"the file {settings.token_file} (telegram.token_file)"
        raise ConfigError(f"telegram.token_file: {settings.token_file} is empty")
    raise ConfigError(
        "telegram: no bot token. Create a bot with @BotFather and put its token in the environment "
        "variable LINLI_TELEGRAM__TOKEN (or point telegram.token_file at a file holding it)."
    )


def webhook_path(settings: TelegramSettings) -> str:
    """The path linli serves the webhook on: the path of ``webhook_url``, which must be ``/telegram/…``."""
    if not settings.webhook_url:
        raise ConfigError(
            'telegram.webhook_url: required when telegram.mode = "webhook" (the public https URL Telegram '
            "posts to, e.g. https://linli.example.org/telegram/hook)"
        )
    path = urlsplit(settings.webhook_url).path
    if not path.startswith(WEBHOOK_PREFIX) or len(path) <= len(WEBHOOK_PREFIX):
        raise ConfigError(
            f"telegram.webhook_url = {settings.webhook_url!r}: its path must start with {WEBHOOK_PREFIX} "
            "(linli serves the webhook there), e.g. https://linli.example.org/telegram/hook"
        )
    return path


def webhook_secret(settings: TelegramSettings, token: str) -> str:
    """The configured secret, or one derived from the token (stable across restarts, never logged)."""
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        if not SECRET_TOKEN.match(secret):
            raise ConfigError("telegram.webhook_secret: use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return secret
    return hmac.new(token.encode(), b"linli telegram webhook", hashlib.sha256).hexdigest()


@dataclass
class _Delivery:
    """One outgoing message, possibly sent as several Telegram messages.

    ``quiet``: a private notice that must never reach the group, not even as a prompt (a pop-up whose
    button press can no longer be answered)."""

    message: OutgoingMessage
    chat_id: int
    private: bool
    markup: Markup | None
    quiet: bool = False


class TelegramAdapter(Adapter):
    platform = PLATFORM
    #: In privacy mode (Telegram's default) only ``/latin`` commands reach the bot in groups; follows
    #: ``telegram.privacy_mode`` per instance.
    latin_commands_only = True

    def __init__(self, host: AdapterHost, settings: TelegramSettings | None = None) -> None:
        super().__init__(host)
        self.settings = settings or TelegramSettings()
        self._token, self._token_source = read_token(self.settings)
        self.webhook = self.settings.mode == "webhook"
        self._webhook_path = webhook_path(self.settings) if self.webhook else None
        if self.webhook and not host.web_enabled:
            raise ConfigError('telegram.mode = "webhook" needs linli\'s web server: set web.enabled = true '
                              "(and do not pass --no-web), or use polling")
        self._secret = webhook_secret(self.settings, self._token)
        # PTB and httpx put the token in request URLs, PTB logs setWebhook's secret_token at DEBUG
        register_secret(self._token, "telegram token")
        register_secret(self._token.partition(":")[2], "telegram token")
        register_secret(self._secret, "telegram webhook secret")
        self.latin_commands_only = self.settings.privacy_mode
        self.buttons = ButtonStore(host)
        self.popups = Popups()
        self.admins = AdminCache(self._fetch_admins, self.settings.admin_cache_seconds)
        self.bot: Bot | None = None
        self.me: User | None = None
        self.flood: FloodControl | None = None
        self.conflicts = 0
        self._offset: int | None = None
        self._progress: OrderedDict[str, int] = OrderedDict()
        self._receive_failures = 0
        self._known: OrderedDict[str, IdentityRef] = OrderedDict()
        self._migrated: dict[int, int] = {}
        self._menus: dict[MenuKey, Menu] = {}
        self._menu_lock = asyncio.Lock()
        self._menu_wanted = asyncio.Event()
        limits = self.settings.limits
        self._menu_pace = SlidingWindow(max(1, int(limits.global_messages * MENU_SHARE)), limits.global_window)
        self._poller: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._receiving = False
        self._stopping = False
        self._in_batch = False
        self._fatal: asyncio.Future[None] | None = None
        #: Whether the Bot API answered the last call that receives updates, and when (for /healthz).
        self._api_ok: tuple[bool, float] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._fatal = asyncio.get_running_loop().create_future()
        self.bot = self._build_bot()
        try:
            await self._connect(self.bot)
            await self._start_receiving()
        except BaseException:
            await self.bot.shutdown()
            raise
        self._refresher = asyncio.create_task(self._keep_menu_fresh(), name="telegram-menu")
        log.info("telegram: @%s is %s", self._me().username, "on its webhook" if self.webhook else "polling")

    async def _start_receiving(self) -> None:
        assert self.bot is not None
        self.me = self.bot.bot
        self.flood = FloodControl(
            self.settings.limits, attempts=1,  # the core's outbox retries, for as long as delivery.ttl_seconds
            retry_base=self.settings.retry_base, retry_cap=self.settings.retry_cap,
        )
        try:
            await self._refresh_menu()
        except Exception as error:  # the menu is a convenience; the bot works without it
            log.warning("telegram: could not register the command menu (%s); will try again", error)
        if self.webhook:
            self._receiving = True  # Telegram may post as soon as setWebhook is through
            await self._retrying(
                lambda: self.require_bot().set_webhook(
                    self.settings.webhook_url or "", secret_token=self._secret, allowed_updates=list(ALLOWED_UPDATES)),
                "setWebhook",
            )
            self._api_ok = (True, time.monotonic())
        else:
            await self._retrying(lambda: self.require_bot().delete_webhook(), "deleteWebhook")
            self._receiving = True
            self._poller = asyncio.create_task(self._poll(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop receiving, let accepted events finish and their replies leave (within a grace period)."""
        self._receiving = False
        self._stopping = True
        for task in (self._refresher, *self._background):
            if task is not None:
                task.cancel()
        if self._poller is not None:
            if not self._in_batch:
                self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._poller, SHUTDOWN_GRACE)
        await self.admins.close()
        if self.flood is not None:
            await self.host.drain()  # bounded by delivery.drain_seconds; what is left stays in the outbox
            await self.flood.close()
        if self.bot is not None:
            await self.bot.shutdown()

    async def run_until_done(self) -> None:
        """Runs until a fatal problem (the token was revoked): then raises it, so the process ends."""
        if self._fatal is None:
            await asyncio.Event().wait()
        assert self._fatal is not None
        await self._fatal

    def _die(self, error: Exception) -> None:
        log.critical("%s", error)
        self._receiving = False
        self._api_ok = (False, time.monotonic())
        if self._fatal is not None and not self._fatal.done():
            self._fatal.set_exception(error)

    @property
    def connected(self) -> bool | None:
        """For /healthz: the Bot API answered the last ``getUpdates`` (or ``setWebhook``), and a poll answered
        recently (a long poll returns within ``poll_timeout``); None before the first answer."""
        if self._api_ok is None:
            return None
        ok, at = self._api_ok
        if ok and not self.webhook:  # a poll that hangs longer than its timeout plus the read timeout
            return time.monotonic() - at < self.settings.poll_timeout + STALE_POLL_MARGIN
        return ok

    def require_bot(self) -> Bot:
        if self.bot is None:
            raise RuntimeError("the Telegram adapter has not been started")
        return self.bot

    def _build_bot(self) -> Bot:
        read = 10.0
        return Bot(
            self._token,
            base_url=self.settings.base_url,
            base_file_url=self.settings.base_file_url,
            request=HTTPXRequest(connection_pool_size=64, read_timeout=read, connect_timeout=10.0, pool_timeout=5.0),
            get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=read, connect_timeout=10.0),
        )

    async def _connect(self, bot: Bot) -> None:
        try:
            await self._retrying(bot.initialize, "getMe")
        except InvalidToken as error:
            reason = self._scrub(str(error.__cause__ or "Unauthorized"))
            raise ConfigError(
                f"telegram: the bot token in {self._token_source} was rejected by Telegram ({reason}). "
                "Copy it again from @BotFather (/mybots → API Token)."
            ) from None
        except TelegramError as error:
            raise ConfigError(
                f"telegram: cannot reach the Bot API at {self.settings.base_url} ({self._scrub(str(error))}); "
                "check the network, or telegram.base_url"
            ) from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    async def _retrying(self, call: Any, what: str) -> Any:
        return await call_with_retries(call, what=what, attempts=self.settings.send_attempts,
                                       base=self.settings.retry_base, cap=self.settings.retry_cap)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- receiving: polling ------------------------------------------------------------------------
    async def _poll(self) -> None:
        """Fetch, hand over, confirm; never gives up on a network problem, and says what is wrong."""
        bot = self.require_bot()
        failures = 0
        trouble: str | None = None
        while not self._stopping:
            delay: float
            try:
                updates = await bot.get_updates(
                    offset=self._offset, timeout=timedelta(seconds=self.settings.poll_timeout),
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            except InvalidToken as error:
                self._die(ConfigError(
                    f"telegram: the bot token in {self._token_source} is no longer accepted "
                    f"({self._scrub(str(error))}); was it revoked in @BotFather?"))
                return
            except Conflict as error:
                self._api_ok = (False, time.monotonic())
                self.conflicts += 1
                if trouble != "conflict":
                    log.error(CONFLICT_HELP, self._scrub(str(error)))
                    trouble = "conflict"
                delay = backoff_delay(failures, self.settings.retry_base, self.settings.retry_cap)
                failures += 1
            except RetryAfter as error:
                self._api_ok = (True, time.monotonic())
                delay = retry_after_seconds(error)
            except Exception as error:
                self._api_ok = (False, time.monotonic())
                if is_transient(error):
                    if trouble != "network":
                        log.warning("telegram: cannot fetch updates (%s); retrying with back-off",
                                    self._scrub(str(error)))
                        trouble = "network"
                else:
                    log.exception("telegram: fetching updates failed; retrying")
                delay = backoff_delay(failures, self.settings.retry_base, self.settings.retry_cap)
                failures += 1
            else:
                if trouble is not None:
                    log.warning("telegram: receiving updates again")
                    trouble = None
                failures = 0
                self._api_ok = (True, time.monotonic())
                if not updates:
                    continue
                self._in_batch = True
                try:
                    again = await self._handle_polled(updates)
                finally:
                    self._in_batch = False
                if again is None:
                    continue
                delay = again
            await asyncio.sleep(delay)
        await self._confirm()

    async def _handle_polled(self, updates: Sequence[Update]) -> float | None:
        """Store a batch in the core's inbox and move the offset past what it stored.

        Returns None when all of it was stored, else how long to wait before fetching again. Nothing is
        skipped: storing fails only while the database is away, and the core works off what it stored
        (setting aside an event that fails for a reason of its own after a few tries).
        """
        problem: Exception | None = None
        try:
            stored = await self._process(updates)
        except Exception as error:
            stored, problem = 0, error
        if stored:
            self._offset = updates[stored - 1].update_id + 1
        if stored < len(updates):
            self._receive_failures += 1
            if self._receive_failures == 1:
                log.warning("telegram: update %s was not stored (%r); fetching it again until it is",
                            updates[stored].update_id, problem or "unreadable")
            return backoff_delay(self._receive_failures - 1, self.settings.retry_base, self.settings.retry_cap)
        if self._receive_failures:
            log.warning("telegram: updates are stored again")
            self._receive_failures = 0
        return None

    async def _confirm(self) -> None:
        """Confirm handled updates before stopping (Telegram learns the offset from the next getUpdates)."""
        if self._offset is None or self.bot is None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.get_updates(offset=self._offset, timeout=0, limit=1, allowed_updates=list(ALLOWED_UPDATES))

    # -- receiving: webhook ------------------------------------------------------------------------
    def web_routes(self) -> list[WebRoute]:
        if not self.webhook or self._webhook_path is None:
            return []
        return [WebRoute("POST", self._webhook_path, self._on_webhook)]

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.Response(status=401, text="wrong or missing secret token")
        if self.bot is None or not self._receiving:
            return web.Response(status=503, text="not receiving")
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:
            return web.Response(status=400, text="not a Telegram update")
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        try:  # answered once stored in the core's inbox; the core handles it from there
            stored = await self._process([update])
        except Exception as error:
            log.warning("telegram: update %s was not stored (%r); Telegram will send it again",
                        update.update_id, error)
            return web.Response(status=500, text="not stored, try again later")
        if not stored:
            return web.Response(status=500, text="not read, try again later")
        return web.Response(text="ok")

    # -- receiving: updates to events --------------------------------------------------------------
    async def _process(self, updates: Sequence[Update]) -> int:
        """Turn updates into events and store them in the core's inbox, one insert for the batch; returns
        how many of the updates, from the first, are stored: all, unless one could not be read (it and
        what follows are fetched again). Raises when the core could not store them (its database is
        away): then none of them may be acknowledged. Button presses are answered once handled."""
        groups = set()
        for update in updates:
            chat = update.effective_chat
            if chat is not None and is_group(chat) and (update.message or update.callback_query):
                groups.add(chat.id)
        await self.admins.prefetch(groups)
        events: list[MessageReceived] = []
        readable = len(updates)
        for index, update in enumerate(updates):
            try:
                event = await self._interpret(update)
            except Exception:  # fetched again, with what came after it
                log.exception("telegram: update %s could not be read", update.update_id)
                readable = index
                break
            if event is not None:  # None: nothing for the core (another bot's command, a join...)
                events.append(event)
        presses = [(event, event.button_token) for event in events if event.button_token is not None]
        for _, token in presses:
            self.popups.expect(token)
        try:
            handled = await self.host.accept_batch(events, awaited=[event.event_id for event, _ in presses])
        except BaseException:
            for _, token in presses:
                self.popups.take(token)
            raise
        for event, token in presses:
            self._spawn(self._answer_press(event, token, handled[event.event_id]))
        return readable

    async def _interpret(self, update: Update) -> MessageReceived | None:
        me = self._me()
        event_id = f"{PLATFORM}:{me.id}:{update.update_id}"
        if update.my_chat_member is not None:
            self.admins.forget(update.my_chat_member.chat.id)
            return None
        if update.chat_member is not None:
            member = update.chat_member
            self.admins.member_changed(member.chat.id, member.new_chat_member.user.id, member.new_chat_member.status)
            return None
        if update.callback_query is not None:
            return await self._button(update.callback_query, event_id)
        if update.edited_message is not None:  # each edit is its own update, so its own event (core.edits)
            return await self._message(update.edited_message, event_id, edited=True)
        message = update.message
        if message is None:
            return None
        if message.migrate_to_chat_id:
            await self._migrate(message.chat.id, message.migrate_to_chat_id)
            return None
        return await self._message(message, event_id)

    def _me(self) -> User:
        if self.me is None:
            raise RuntimeError("the Telegram adapter has not been started")
        return self.me

    async def _is_admin(self, chat: Chat, user: User) -> bool:
        """Looked up as the update is read, so a promotion earlier in the same batch already counts."""
        if not is_group(chat):
            return False
        await self.admins.prefetch([chat.id])
        return self.admins.is_admin(chat.id, user.id)

    async def _sender(self, chat: Chat, user: User) -> IdentityRef:
        """The person, with what Telegram last said of their admin rights here; while a group's admin list
        is still loading (:mod:`adapters.telegram.roles`) nobody is an admin, and the core is told so."""
        sender = identity_of(user, is_admin=await self._is_admin(chat, user))
        if is_group(chat) and not sender.is_chat_admin and self.admins.unknown(chat.id):
            return replace(sender, admin_unknown=True)
        return sender

    async def _message(self, message: Message, event_id: str, *, edited: bool = False) -> MessageReceived | None:
        me = self._me()
        user, chat = message.from_user, message.chat
        text, entities = text_and_entities(message)
        addressed = addressed_text(text, me.username or "")
        if user is None or addressed is None:
            return None
        if writes_as_group(message):  # an anonymous admin: the group's admins, for commands without a person
            if not is_group(chat) or not addressed.lstrip().startswith(("/", "／")):
                return None
            name = self._t(None)("the admins of {group}", group=chat.title or str(chat.id))
            return MessageReceived(event_id=event_id, channel=channel_of(chat, thread_of(message)),
                                   sender=group_admins_of(chat, name), text=addressed,
                                   message_id=str(message.message_id), received_at=message.date, edited=edited,
                                   editable=True)
        if user.is_bot or user.id == ANONYMOUS_ADMIN_ID or message.sender_chat is not None:
            return None  # another bot, or a post of a linked channel
        attachments = tuple(a for a in (photo_of(message), document_of(message)) if a is not None)
        if not addressed.strip() and not attachments:
            return None  # stickers, joins, pins...: nothing the core reads
        if chat.type == Chat.PRIVATE and re.match(r"^/start(\s|$)", addressed) and not self.host.knows_command(
                "start"):
            addressed = "/help"  # what Telegram's Start button sends; the welcome is the help
        self._remember(user)
        mentions = mentions_of(entities, known=self._known_user, bot_username=me.username or "")
        reply = message.reply_to_message
        return MessageReceived(
            event_id=event_id,
            channel=channel_of(chat, thread_of(message)),
            sender=await self._sender(chat, user),
            text=addressed,
            message_id=str(message.message_id),
            mentions=mentions,
            attachments=attachments,
            reply_to_message_id=str(reply.message_id) if reply is not None and not reply.forum_topic_created
            else None,
            received_at=message.date,
            edited=edited,
            editable=True,
        )

    async def _button(self, query: CallbackQuery, event_id: str) -> MessageReceived | None:
        """A button press; its callback query is answered once the core committed (see :meth:`_receive`)."""
        message = query.message
        data = await self.buttons.decode(query.data or "")
        if data is None:
            t = self._t(language_of(query.from_user.language_code))
            self._spawn(self._answer(query.id, t("This button has expired. Please send the command again.")))
            return None
        if message is None or query.from_user.is_bot:
            self._spawn(self._answer(query.id, None))  # so the client's spinner stops
            return None
        chat, user = message.chat, query.from_user
        self._remember(user)
        thread = thread_of(message) if isinstance(message, Message) else None
        return MessageReceived(
            event_id=event_id,
            channel=channel_of(chat, thread),
            sender=await self._sender(chat, user),
            button_data=data,
            button_token=query.id,
            reply_to_message_id=str(message.message_id),
        )

    async def _answer_press(self, event: MessageReceived, token: str, handled: Awaitable[bool]) -> None:
        """Answer a button press once the core has handled it: with the core's pop-up (a refusal) as an
        alert, or plainly so the spinner stops. A press still waiting after :data:`PRESS_WINDOW` (its
        community's backlog in the inbox) is answered plainly then, while Telegram still takes an answer;
        a pop-up the core says for it later goes to the presser privately."""
        waiting = asyncio.ensure_future(handled)
        late = False
        try:
            try:
                await asyncio.wait_for(asyncio.shield(waiting), PRESS_WINDOW)
            except TimeoutError:
                late = True
                await self._answer(token, None)
                await waiting
        finally:
            popup = self.popups.take(token)
        if popup is None:
            if not late:
                await self._answer(token, None)
        elif late:
            self._quietly(OutgoingMessage(channel=event.channel, text=popup, private_to=event.sender), quiet=True)
        else:
            await self._pop_up(event, token, popup)

    async def _pop_up(self, event: MessageReceived, token: str, text: str) -> None:
        try:
            await self.require_bot().answer_callback_query(token, text=alert_text(text), show_alert=True)
        except TelegramError as error:  # too old (redelivered after a restart): say it privately instead
            log.info("telegram: could not answer button press %s with a pop-up (%s); telling the presser "
                     "privately", token, self._scrub(str(error)))
            self._quietly(OutgoingMessage(channel=event.channel, text=text, private_to=event.sender), quiet=True)

    async def _answer(self, query_id: str, text: str | None) -> None:
        try:
            await self.require_bot().answer_callback_query(query_id, text=text)
        except TelegramError as error:  # too old (e.g. redelivered after a restart): nothing to stop
            log.debug("telegram: callback query %s not answered: %s", query_id, error)

    def _remember(self, user: User) -> None:
        if user.username:
            key = user.username.lower()
            self._known[key] = identity_of(user)
            self._known.move_to_end(key)
            while len(self._known) > KNOWN_USERS:
                self._known.popitem(last=False)

    def _known_user(self, username: str) -> IdentityRef | None:
        return self._known.get(username.lower())

    async def _fetch_admins(self, chat_id: int) -> set[int]:
        admins = await self._retrying(lambda: self.require_bot().get_chat_administrators(chat_id),
                                      "getChatAdministrators")
        return {member.user.id for member in admins}

    async def _migrate(self, old: int, new: int) -> None:
        """A group became a supergroup with a new id: move the community's binding along."""
        self.note_migration(old, new)
        if await self.host.move_channel(PLATFORM, str(old), str(new)):
            log.info("telegram: group %s is now supergroup %s; its community moved along", old, new)

    def current_chat_id(self, chat_id: int) -> int:
        """The id a chat has now (a group that became a supergroup has a new one)."""
        return self._migrated.get(chat_id, chat_id)

    def note_migration(self, old: int, new: int) -> None:
        self._migrated[old] = new
        self.admins.forget(old)

    # -- sending -----------------------------------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver ``message`` within Telegram's limits; returns once Telegram accepted all its parts.

        Called by the core's outbox, one message at a time per chat. A failure another try may fix is
        raised as :class:`core.adapter.RetryLater` (with Telegram's ``retry_after``); a message of several
        parts goes on from the part that failed. A pop-up for a button press still being handled is held
        and shown on the button after the commit.
        """
        if message.popup_for is not None and self.popups.offer(message):
            return None
        if self.flood is None or self.flood.closed:
            raise RetryLater("the Telegram adapter is not running")
        return await self._deliver(message, quiet=message.popup_for is not None)

    async def flush(self) -> None:
        """Wait until what the core has to say and the adapter's own notes have left; for tests."""
        await self.host.drain()
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        if self.flood is not None:
            await self.flood.drain()

    async def _deliver(self, message: OutgoingMessage, *, quiet: bool = False) -> str | None:
        chat_id = self._target(message)
        if chat_id is None:
            return None
        try:
            markup: Markup | None = await self.buttons.markup(message.buttons)
        except Exception as error:  # long button data is stored in the database, which may be away
            raise RetryLater(f"cannot store the buttons' data ({error})") from error
        if markup is None and message.asks and self.latin_commands_only and not message.channel.is_direct:
            # in privacy mode a plain answer never reaches the bot, a reply to its question does
            markup = ForceReply(selective=True)
        delivery = _Delivery(message, chat_id, message.private_to is not None, markup, quiet)
        try:
            return await self._send_parts(delivery)
        except RetryLater:
            raise
        except Exception as error:
            unreachable = isinstance(error, Forbidden) or (
                isinstance(error, BadRequest) and "chat not found" in str(error).lower())
            if unreachable and delivery.private and not message.channel.is_direct:
                return await self._bounced(delivery)
            log.warning("telegram: a message to chat %s was refused: %s", chat_id, self._scrub(str(error)))
            raise

    async def _send_parts(self, delivery: _Delivery, *, entities: tuple[MessageEntity, ...] = ()) -> str | None:
        """Send the parts not sent yet (a retry goes on where the last try stopped)."""
        assert self.flood is not None
        message = delivery.message
        group = not delivery.private and not message.channel.is_direct
        parts = plan(message.text, message.files, markup=delivery.markup, entities=entities,
                     reply_to=None if delivery.private else message.reply_to_message_id,
                     edit_id=message.edit_message_id, thread=None if delivery.private else message.channel.thread_id)
        key = message.dedupe_key
        first_id: str | None = None
        for index in range(self._progress.get(key, 0) if key else 0, len(parts)):
            if self.flood.closed:
                raise RetryLater("the Telegram adapter is stopping")
            future = self.flood.submit(delivery.chat_id, SendJob(self, delivery.chat_id, parts[index]), group=group)
            try:
                result = await future
            except RetryAfter as error:
                self._note_progress(key, index)
                raise RetryLater(f"Telegram's flood control for chat {delivery.chat_id}",
                                 after=retry_after_seconds(error)) from error
            except InvalidToken as error:  # the process is about to stop: keep the message for later
                raise RetryLater("the bot token is no longer accepted") from error
            except Exception as error:
                if not is_transient(error):
                    self._note_progress(key, None)
                    raise
                self._note_progress(key, index)
                uncertain = answer_lost(error) and await self._reachable()
                raise RetryLater(self._scrub(str(error)) or type(error).__name__, uncertain=uncertain) from error
            if first_id is None:
                first_id = str(result)
        self._note_progress(key, None)
        return first_id

    def _note_progress(self, key: str | None, index: int | None) -> None:
        """Remember which part of a message to go on from (by its outbox key), in bounded memory."""
        if key is None:
            return
        self._progress.pop(key, None)
        if index:
            self._progress[key] = index
            while len(self._progress) > KNOWN_USERS:
                self._progress.popitem(last=False)

    async def _reachable(self) -> bool:
        """Whether Telegram answers right now: a request whose answer was lost while Telegram works was
        probably handled (and may show twice if sent again); while Telegram is down, it probably was not."""
        try:
            await asyncio.wait_for(self.require_bot().get_me(), timeout=5.0)
        except Exception:
            return False
        return True

    def _quietly(self, message: OutgoingMessage, *, quiet: bool = False) -> None:
        """Send a message of the adapter's own (a note, a pop-up's stand-in) without the outbox: it
        answers something that happened just now and is worth nothing after a restart."""

        async def attempt() -> None:
            try:
                await self._deliver(message, quiet=quiet)
            except Exception as error:
                log.info("telegram: a note to chat %s was not delivered: %s", message.channel.chat_id,
                         self._scrub(str(error)))

        if self.flood is not None and not self.flood.closed:
            self._spawn(attempt())

    def _target(self, message: OutgoingMessage) -> int | None:
        """The chat to send to: the person's private chat for a private notice, else the message's chat."""
        person = message.private_to
        if person is not None and person.platform != PLATFORM:
            log.warning("telegram: a private message for a %s account cannot go through Telegram", person.platform)
            return None
        target = person.user_id if person is not None else message.channel.chat_id
        try:
            return self.current_chat_id(int(target))
        except ValueError:
            log.warning("telegram: %r is not a Telegram chat id; message dropped", target)
            return None

    async def _bounced(self, delivery: _Delivery) -> str | None:
        """A private notice could not go privately (the person never pressed Start, or blocked the bot).

        A harmless notice is posted in the group with a mention of the person; a sensitive one (their
        data, a certificate) only as a prompt to open a chat with the bot, never its content; a pop-up
        not at all.
        """
        message, person = delivery.message, delivery.message.private_to
        assert person is not None
        if delivery.quiet:
            log.info("telegram: a pop-up for %s could be shown neither on the button nor privately",
                     person.user_id)
            return None
        if message.private_only:  # not even a prompt: it would say in the group whom the notice was for
            log.info("telegram: a private-only notice for %s could not go privately; dropped", person.user_id)
            return None
        try:
            group_chat = self.current_chat_id(int(message.channel.chat_id))
        except ValueError:
            return None
        t = self._t(person.language)
        name = f"@{person.username}" if person.username else person.display_name
        if message.sensitive:
            text = t("{name}, I cannot write to you privately yet: open a chat with @{bot}, press Start, "
                     "then try again.", name=name, bot=self._me().username)
            note = OutgoingMessage(channel=message.channel, text=text)
            return await self._send_parts(_Delivery(note, group_chat, False, None),
                                          entities=text_mention(person, text, name))
        text = t("{name}: {text}", name=name, text=message.text) if message.text.strip() else name
        notice = replace(message, text=text, private_to=None, edit_message_id=None)
        return await self._send_parts(_Delivery(notice, group_chat, False, delivery.markup),
                                      entities=text_mention(person, text, name))

    def _t(self, language: str | None) -> Translator:
        return self.host.translator(language)

    # -- files -------------------------------------------------------------------------------------
    async def fetch_attachment(self, ref: str) -> bytes:
        """The bytes of a photo or file a user sent (``Attachment.ref`` is its ``file_id``)."""
        bot = self.require_bot()
        file = await self._retrying(lambda: bot.get_file(ref), "getFile")
        return bytes(await file.download_as_bytearray())

    # -- the command menu --------------------------------------------------------------------------
    async def commands_changed(self) -> None:
        """A community switched a plugin (told after the commit): wake the menu task."""
        self._menu_wanted.set()

    async def _refresh_menu_quietly(self) -> None:
        try:
            await self._refresh_menu()
        except Exception as error:
            log.warning("telegram: could not update the command menu (%s)", self._scrub(str(error)))

    async def _keep_menu_fresh(self) -> None:
        """Updates the menu when asked, and every ``plugins.refresh_seconds`` for changes made by another
        process (``linli plugins enable``, other workers); Telegram is called only when a menu changed."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._menu_wanted.wait(), self.host.refresh_seconds)
            self._menu_wanted.clear()
            await self._refresh_menu_quietly()

    async def _refresh_menu(self) -> None:
        async with self._menu_lock:
            bot = self.require_bot()
            desired = await desired_menus(self.host)
            for key, menu in desired.items():
                if self._menus.get(key) == menu:
                    continue
                commands = [BotCommand(name, description) for name, description in menu]
                await self._menu_call(key, partial(bot.set_my_commands, commands, scope=telegram_scope(key),
                                                   language_code=key[2] or None), "setMyCommands")
                self._menus[key] = menu
            for key in [key for key in self._menus if key not in desired]:
                await self._menu_call(key, partial(bot.delete_my_commands, scope=telegram_scope(key),
                                                   language_code=key[2] or None), "deleteMyCommands")
                del self._menus[key]

    async def _menu_call(self, key: MenuKey, call: Any, what: str) -> None:
        """One menu call, paced (:data:`MENU_SHARE` of the overall flood budget, so a community with many
        organizers never floods); a person's own menu Telegram refuses (they left the group) is skipped."""
        await self._menu_pace.acquire()
        try:
            await self._retrying(call, what)
        except BadRequest as error:
            if member_of(key) is None:
                raise
            log.info("telegram: the menu of user %s in chat %s was refused (%s)", member_of(key), key[1],
                     self._scrub(str(error)))
        finally:
            self._menu_pace.release()
