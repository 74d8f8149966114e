"""The Matrix adapter: matrix-nio's ``AsyncClient`` inside linli's own event loop.

Receiving. The adapter runs its own sync loop instead of nio's ``sync_forever``, because the position
in the event stream (``next_batch``) must move only once the core has a batch's events safe: each
event becomes a :class:`core.events.MessageReceived` with the id ``matrix:<event id>``, and the batch is
stored in the core's inbox in one insert (:meth:`core.adapter.AdapterHost.accept_batch`); only then is
``next_batch`` stored through the host's state (the main database), and the next sync starts at once.
The core works the inbox off per community, in order, each event once (:mod:`core.inbox`). So a crash
before the insert syncs the same events again; a crash after it gets them again too, and the inbox and
the "processed" marks ignore them. A batch the core could not store (its database is away) is held (its
position is not stored) and synced again after a back-off that grows with every batch held in a row, for
as long as it takes; an event failing for its own reasons is the core's to dead-letter. The first sync
of every process asks for the rooms' full state (names, members, power levels live only in memory),
keeping the stored position. The very first sync (no stored position) handles nothing: the rooms' history is not
the bot's business; likewise the events before the bot's own join in a room it joins.

Outages. A failed sync waits with capped exponential back-off and jitter (``retry_base`` … ``retry_cap``);
nio's own endless reconnect loop is turned off (``max_timeouts=0``) so the waits are ours and bounded,
and ``M_LIMIT_EXCEEDED`` is honoured with its ``retry_after_ms`` (nio sleeps that long, at most
``rate_limit_retries`` times per request; then the adapter backs off itself).

Sending. :meth:`send` sends at once, one message after the other per room, and returns the event id.
After ``send_attempts`` network errors or rate limits it raises :class:`core.adapter.RetryLater` (the
core's delivery tries again later); a refusal for good (not in the room) raises :class:`SendFailed`. The
transaction id is the message's ``dedupe_key``, else one per message object for as long as it is retried,
and the homeserver turns a repeated transaction id into the same event: a retry never posts twice.
Replies are ``m.notice`` with HTML ``formatted_body`` and a plain ``body``; buttons become
numbered choices and keycap reactions (:mod:`adapters.matrix.choices`); a private notice goes to the
person's direct room (created by the bot when there is none; a failure that may pass is RetryLater, a
room the bot was removed from is replaced once), falling back to the room with a mention while the person
declined the direct room (:data:`DECLINE_PAUSE`). nio refusing to send yet (``SendRetryError``,
``EncryptionError``) is RetryLater too. A gap longer than ``timeline_limit`` is fetched with
``room_messages`` from the sync's ``prev_batch`` back to the stored position.

Encryption (``matrix-nio[e2e]``). The olm account and the room keys live in ``store_dir`` — apart from
the main database — under a device id that stays the same across restarts (:mod:`adapters.matrix.login`).
Keys are uploaded, queried and claimed after each sync. An event the bot cannot decrypt is logged, its
keys are requested from the sender's devices, and the room is told once per session why the bot is
silent, instead of dropping it unseen.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import random
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    ErrorResponse,
    InviteMemberEvent,
    JoinResponse,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto import ENCRYPTION_ENABLED
from nio.exceptions import EncryptionError, GroupEncryptionError, OlmTrustError

from adapters.matrix import mapping
from adapters.matrix.choices import NAMESPACE, Choices, flatten
from adapters.matrix.login import Secret, Unavailable, log_in, read_pickle_key, read_secret
from adapters.matrix.mapping import PLATFORM
from adapters.matrix.settings import MatrixSettings
from core.adapter import Adapter, AdapterHost, RetryLater
from core.config import ConfigError
from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived, OutgoingMessage
from core.i18n import Translator
from core.secrets import register_secret

log = logging.getLogger("adapters.matrix")
SHUTDOWN_GRACE = 10.0
#: Seconds beyond ``sync_timeout`` without a successful sync before /healthz reports the adapter down.
STALE_SYNC_MARGIN = 60.0
#: After someone declined (or left) the bot's direct room, private notices go to the group with a mention
#: for this long, instead of a new invitation with every notice.
DECLINE_PAUSE = timedelta(days=7)
#: Pages of ``timeline_limit`` events fetched to fill a gap after a long absence.
BACKFILL_PAGES = 10
#: A token in a logged answer or request (nio logs login answers while validating them, before we know it).
TOKEN_IN_TEXT = re.compile(r"""(['"]?(?:access_token|password|refresh_token)['"]?\s*[:=]\s*['"]?)[^'",\s}&]+""")
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)
#: What nio raises (instead of answering) when it cannot send yet: the room's members or devices are not
#: known yet (``SendRetryError``), a room key could not be shared. Another try later may well work.
LOCAL_ERRORS = (LocalProtocolError, EncryptionError, GroupEncryptionError, OlmTrustError)


class SendFailed(Exception):
    """A message could not be sent after the configured attempts (the core's delivery may retry)."""


def backoff_delay(failures: int, base: float, cap: float) -> float:
    """Full-jitter exponential back-off: random in [delay/2, delay], delay = min(cap, base·2^failures)."""
    delay = min(cap, base * (2 ** min(failures, 30)))
    return random.uniform(delay / 2, delay)


class _TokenFields(logging.Filter):
    """Hides the value of an ``access_token``/``password`` field in a logged answer or request: the token
    a password login returns may be logged before the adapter knows it (and can register it). The known
    secrets themselves are redacted by :mod:`core.secrets` everywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        hidden = TOKEN_IN_TEXT.sub(r"\1<secret>", message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


def _hide_token_fields() -> None:
    """Put one :class:`_TokenFields` on every nio and aiohttp logger (a logger's filters do not see its
    children's records, and ``nio.responses`` logs whole answers at debug level); once per logger."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("nio", "aiohttp")]
    for name in {"nio", "aiohttp", "adapters.matrix", *names}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _TokenFields) for f in logger.filters):
            logger.addFilter(_TokenFields())


class MatrixAdapter(Adapter):
    platform = PLATFORM

    def __init__(self, host: AdapterHost, settings: MatrixSettings | None = None) -> None:
        super().__init__(host)
        self.settings = settings or MatrixSettings()
        self._secret: Secret = read_secret(self.settings)
        if self.settings.encryption and not ENCRYPTION_ENABLED:
            raise ConfigError("matrix.encryption is on but matrix-nio was installed without encryption support: "
                              "install it with pip install 'linli[matrix]' (which pulls matrix-nio[e2e]), or set "
                              "matrix.encryption = false")
        register_secret(self._secret.value, f"matrix {self._secret.kind}")
        _hide_token_fields()
        self.choices = Choices(host)
        self.client: AsyncClient | None = None
        #: Counters the tests (and an operator's debugger) read.
        self.sync_attempts = 0
        self.sync_failures = 0
        self.rate_limited = 0
        self.batches = 0
        self.batch_done = asyncio.Condition()
        self._since: str | None = None
        #: Room state (names, members, power levels) lives only in memory: the first sync of every process
        #: asks for all of it again, keeping ``since`` so no event is handled twice or missed.
        self._full_state_pending = True
        #: Batches in a row the core could not take (the database away): the back-off grows across them.
        self._held = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_batch = False
        self._locks: dict[str, asyncio.Lock] = {}
        self._direct: dict[str, bool] = {}
        self._undeclared: set[str] = set()
        self._dm_rooms: dict[str, str] = {}
        self._hinted: set[str] = set()
        self._creators: dict[str, frozenset[str]] = {}
        self._tx: OrderedDict[int, tuple[OutgoingMessage, str]] = OrderedDict()
        self._joins: dict[str, int] = {}
        self._fatal: asyncio.Future[None] | None = None
        #: Whether the homeserver answered the last sync, and when (for /healthz).
        self._sync_ok: tuple[bool, float] | None = None

    @property
    def connected(self) -> bool | None:
        """For /healthz: the last sync succeeded, recently (a long sync returns within ``sync_timeout``);
        None before the first answer."""
        if self._sync_ok is None:
            return None
        ok, at = self._sync_ok
        return ok and time.monotonic() - at < self.settings.sync_timeout + STALE_SYNC_MARGIN

    @property
    def user_id(self) -> str:
        return self.settings.user_id

    def require_client(self) -> AsyncClient:
        if self.client is None:
            raise RuntimeError("the Matrix adapter has not been started")
        return self.client

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._fatal = asyncio.get_running_loop().create_future()
        store = self.settings.store_dir / "keys"
        encrypted = self.settings.encryption
        pickle_key: dict[str, str] = {}
        if encrypted:  # the device's keys: readable by the bot's user only, pickled with a key of its own
            store.mkdir(parents=True, exist_ok=True)
            os.chmod(self.settings.store_dir, 0o700)
            os.chmod(store, 0o700)
            pickle_key["pickle_key"] = read_pickle_key(self.settings)
            register_secret(pickle_key["pickle_key"], "matrix pickle key")
        config = AsyncClientConfig(
            max_limit_exceeded=self.settings.rate_limit_retries, max_timeouts=0,
            encryption_enabled=encrypted, store_sync_tokens=False,
            request_timeout=self.settings.sync_timeout + 30, **pickle_key,
        )
        client = AsyncClient(self.settings.homeserver, self.user_id, store_path=str(store) if encrypted else "",
                             config=config)
        client.add_response_callback(self._count_rate_limit, ErrorResponse)  # type: ignore[arg-type]
        self.client = client
        try:
            await self._connect(client)
            if client.access_token:  # the session's token, from a password login
                register_secret(client.access_token, "matrix access token")
            if client.olm is not None and client.should_upload_keys:
                await client.keys_upload()
            stored = await self.host.state_get(NAMESPACE, self._since_key())
            self._since = stored.get("since") if isinstance(stored, dict) else None
        except BaseException:
            await client.close()
            raise
        self._task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        log.info("matrix: %s (device %s) is syncing with %s%s", self.user_id, client.device_id,
                 self.settings.homeserver, ", encryption on" if client.olm is not None else "")

    async def _connect(self, client: AsyncClient) -> None:
        """Log in, trying again with capped back-off for as long as the homeserver is away or answers
        with an error that may pass (a 5xx during its own restart); only a refusal of the credentials
        (a :class:`ConfigError` from :func:`log_in`) ends the start."""
        failures = 0
        while True:
            try:
                await log_in(client, self.settings, self._secret)
                if failures:
                    log.warning("matrix: logged in to %s after %d failed attempts", self.settings.homeserver,
                                failures)
                return
            except (*NETWORK_ERRORS, Unavailable) as error:
                if failures == 0 or failures % 10 == 0:
                    why = str(error) or type(error).__name__
                    log.warning("matrix: cannot log in to %s yet (%s); trying again with back-off (if this "
                                "lasts, check the network and matrix.homeserver)", self.settings.homeserver, why)
                await asyncio.sleep(backoff_delay(failures, self.settings.retry_base, self.settings.retry_cap))
                failures += 1

    def _since_key(self) -> str:
        return "next_batch:" + self.user_id

    async def stop(self) -> None:
        """Stop syncing (a batch being handled is finished first), let replies leave, close the client."""
        self._stopping = True
        if self._task is not None:
            if not self._in_batch:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._task, SHUTDOWN_GRACE)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.host.drain(), SHUTDOWN_GRACE)
        if self.client is not None:
            await self.client.close()

    async def run_until_done(self) -> None:
        """Runs until a fatal problem (the access token was revoked): then raises it, so the process ends."""
        if self._fatal is None:
            await asyncio.Event().wait()
        assert self._fatal is not None
        await self._fatal

    def _die(self, error: Exception) -> None:
        log.critical("%s", error)
        self._stopping = True
        self._sync_ok = (False, time.monotonic())
        if self._fatal is not None and not self._fatal.done():
            self._fatal.set_exception(error)

    async def _count_rate_limit(self, response: ErrorResponse) -> None:
        if response.status_code == "M_LIMIT_EXCEEDED":
            self.rate_limited += 1
            log.info("matrix: rate limited by the homeserver; waiting %s ms", getattr(response, "retry_after_ms", "?"))

    # -- receiving ---------------------------------------------------------------------------------
    def _filter(self) -> dict[str, Any]:
        return {"room": {"timeline": {"limit": self.settings.timeline_limit}}, "presence": {"types": []},
                "account_data": {"types": []}}

    async def _sync_loop(self) -> None:
        client = self.require_client()
        failures = 0
        trouble = False
        while not self._stopping:
            self.sync_attempts += 1
            response: Any
            try:
                response = await client.sync(timeout=int(self.settings.sync_timeout * 1000), since=self._since,
                                             sync_filter=self._filter(),
                                             full_state=True if self._full_state_pending else None)
            except NETWORK_ERRORS as error:
                response = error
            if not isinstance(response, SyncResponse):
                if isinstance(response, ErrorResponse) and response.status_code == "M_UNKNOWN_TOKEN":
                    self._die(ConfigError(f"matrix: {self.settings.homeserver} no longer accepts the bot's access "
                                          f"token ({response.message}); was the device logged out?"))
                    return
                self.sync_failures += 1
                self._sync_ok = (False, time.monotonic())
                if not trouble:
                    log.warning("matrix: cannot sync with %s (%s); retrying with back-off",
                                self.settings.homeserver, response)
                    trouble = True
                await asyncio.sleep(backoff_delay(failures, self.settings.retry_base, self.settings.retry_cap))
                failures += 1
                continue
            if trouble:
                log.warning("matrix: syncing again after %d failed attempts", failures)
                trouble = False
            failures = 0
            self._sync_ok = (True, time.monotonic())
            self._full_state_pending = False
            self._in_batch = True
            try:
                again = await self._handle_sync(response)
            except Exception:  # e.g. the database is away: the same batch is synced again after a pause
                log.exception("matrix: handling a sync batch failed; it will be synced again")
                again = self._hold()
            finally:
                self._in_batch = False
            await self._encryption_chores()
            async with self.batch_done:
                self.batches += 1
                self.batch_done.notify_all()
            if again is not None:
                await asyncio.sleep(again)

    async def wait_for_batches(self, count: int, timeout: float = 30.0) -> None:
        """Wait until ``count`` more sync batches were handled (tests)."""
        target = self.batches + count
        async with self.batch_done:
            await asyncio.wait_for(self.batch_done.wait_for(lambda: self.batches >= target), timeout)

    async def _handle_sync(self, response: SyncResponse) -> float | None:
        """Hand a batch to the core, then store its position. None, or how long to wait before syncing the
        same batch again (an event the core failed on)."""
        first = self._since is None
        await self._invites(response)
        if not first:
            failed = await self._process(response)
            if failed is not None:
                return failed
        else:
            log.info("matrix: first start; the rooms' earlier messages are not handled")
        await self.host.state_put(NAMESPACE, self._since_key(), {"since": response.next_batch})
        self._since = response.next_batch
        return None

    def _hold(self) -> float:
        """The batch is kept (its position not stored) and synced again after a back-off that grows
        with every batch held in a row, up to ``retry_cap``."""
        self._held += 1
        return backoff_delay(self._held - 1, self.settings.retry_base, self.settings.retry_cap)

    async def _process(self, response: SyncResponse) -> float | None:
        """Store the batch's events in the core's inbox (one insert); None, or how long to hold the batch
        (its position not stored) before syncing it again: an event could not be read, or the core could
        not store them (its database is away). The core handles what it stored per community, in order."""
        client = self.require_client()
        received: list[MessageReceived] = []
        unreadable: str | None = None
        for room_id, info in response.rooms.join.items():
            room = client.rooms.get(room_id)
            if room is None:
                continue
            events = list(info.timeline.events)
            if info.timeline.limited and info.timeline.prev_batch and self._since:
                events = await self._backfill(room_id, info.timeline.prev_batch, self._since) + events
            joined = [i for i, e in enumerate(events) if self._is_own_join(e)]
            if joined:
                events = events[joined[-1] + 1:]  # what was said before the bot came in is history
            for event in events:
                log.debug("matrix: %s in %s: %s", getattr(event, "event_id", "?"), room_id, type(event).__name__)
                try:
                    found = await self._interpret(room, event)
                except Exception:  # e.g. the room's state could not be read: held, tried again
                    log.exception("matrix: event %s could not be read", getattr(event, "event_id", "?"))
                    unreadable = unreadable or getattr(event, "event_id", "?")
                    continue
                if found is not None:
                    received.append(found)
        try:  # what was read is stored even when the batch is held: syncing it again stores it once
            await self.host.accept_batch(received)
        except Exception as error:
            # never skipped here: storing fails only while the database is away — hold the batch
            log.warning("matrix: a batch of %d events was not stored (%r); holding it and syncing it again",
                        len(received), error)
            return self._hold()
        if unreadable is not None:
            log.warning("matrix: event %s could not be read; holding the batch and syncing it again", unreadable)
            return self._hold()
        self._held = 0
        return None

    async def _backfill(self, room_id: str, prev_batch: str, since: str) -> list[Any]:
        """The events of a gap longer than ``timeline_limit`` (the bot was away a while), oldest first:
        paged back from the sync's ``prev_batch`` to the stored position, at most
        :data:`BACKFILL_PAGES` pages. Raises when the homeserver does not answer, so the batch is held."""
        client = self.require_client()
        older: list[Any] = []
        start: str | None = prev_batch
        for _ in range(BACKFILL_PAGES):
            if start is None:
                return older
            answer = await client.room_messages(room_id, start=start, end=since, limit=self.settings.timeline_limit)
            if not isinstance(answer, RoomMessagesResponse):
                raise SendFailed(f"matrix: could not read the missed events of {room_id}: {answer}")
            if not answer.chunk:
                return older
            older = list(reversed(answer.chunk)) + older
            start = answer.end if answer.end != start else None
        log.warning("matrix: more happened in %s than %d events; older ones are skipped", room_id,
                    BACKFILL_PAGES * self.settings.timeline_limit)
        return older

    def _is_own_join(self, event: Any) -> bool:
        if not isinstance(event, RoomMemberEvent) or event.state_key != self.user_id:
            return False
        return event.membership == "join" and event.prev_membership != "join"

    def _identity(self, room: MatrixRoom, user_id: str) -> IdentityRef:
        level = room.power_levels.get_user_level(user_id)
        admin = level >= self.settings.admin_power_level or user_id in self._creators.get(room.room_id, ())
        return mapping.identity(user_id, room.user_name(user_id), is_admin=admin)

    async def _learn_room(self, room: MatrixRoom) -> None:
        """Members' names, and the room's creators: since room version 12 they outrank every power level
        and are not listed in ``m.room.power_levels``, so they are read from ``m.room.create`` (once per
        room and process)."""
        if not room.members_synced:  # after a restart only changes arrive: names come from the member list
            with contextlib.suppress(*NETWORK_ERRORS):
                await self.require_client().joined_members(room.room_id)
        if room.room_id in self._creators:
            return
        if room.room_version in mapping.CREATORS_LISTED_VERSIONS:
            self._creators[room.room_id] = frozenset()
            return
        answer = await self.require_client().room_get_state(room.room_id)
        events = getattr(answer, "events", None)
        if not isinstance(events, list):
            raise SendFailed(f"matrix: could not read the state of {room.room_id}: {answer}")
        self._creators[room.room_id] = mapping.creators(events)

    async def _channel(self, room: MatrixRoom) -> ChannelRef:
        return ChannelRef(PLATFORM, room.room_id, room.display_name[:256], is_direct=await self._is_direct(room))

    async def _is_direct(self, room: MatrixRoom) -> bool:
        """A room the bot was invited to as a direct chat, or created as one; else an unnamed room of two."""
        known = self._direct.get(room.room_id)
        if known is None and room.room_id not in self._undeclared:
            stored = await self.host.state_get(NAMESPACE, "direct:" + room.room_id)
            if stored is not None:
                known = self._direct[room.room_id] = bool(stored)
            else:
                self._undeclared.add(room.room_id)
        if known is None:  # judged each time: a room of two may grow into a group
            return room.member_count <= 2 and not room.name and not room.canonical_alias
        return known

    async def _interpret(self, room: MatrixRoom, event: Any) -> MessageReceived | None:
        sender = getattr(event, "sender", None)
        if sender is None or sender == self.user_id:
            return None
        if isinstance(event, MegolmEvent):
            await self._undecryptable(room, event)
            return None
        content: dict[str, Any] = event.source.get("content", {}) if isinstance(event.source, dict) else {}
        if isinstance(event, ReactionEvent):
            return await self._reaction(room, event)
        if mapping.is_edit(content):
            return None  # as on Telegram: an edited command is not run again
        attachments: tuple[Attachment, ...] = ()
        if isinstance(event, RoomMessageText):
            text = event.body
        elif isinstance(event, (RoomMessageImage, RoomEncryptedImage, RoomMessageFile, RoomEncryptedFile)):
            attachments = (self._attachment(event, content),)
            caption = content.get("body") if content.get("filename") not in (None, content.get("body")) else None
            text = caption if isinstance(caption, str) else ""
        else:
            return None  # notices (other bots), emotes, state changes: nothing the core reads
        reply_to = mapping.in_reply_to(content)
        if reply_to is not None:
            text = mapping.strip_reply_fallback(text)
        text = self._unaddressed(room, text)
        await self._learn_room(room)  # first: whether the room is direct depends on its member list
        channel = await self._channel(room)
        person = self._identity(room, sender)
        event_id = f"{PLATFORM}:{event.event_id}"
        number = mapping.choice_number(text) if reply_to is not None else None
        if number is not None and reply_to is not None:
            data = await self.choices.get(reply_to, number)
            if data is not None:
                return MessageReceived(event_id=event_id, channel=channel, sender=person, button_data=data,
                                       button_token=event.event_id, message_id=event.event_id,
                                       reply_to_message_id=reply_to)
        if not text.strip() and not attachments:
            return None
        mentions = tuple(self._identity(room, user_id) for user_id in mapping.mentioned_ids(content, text)
                         if user_id != self.user_id)
        return MessageReceived(
            event_id=event_id, channel=channel, sender=person, text=text.strip(), message_id=event.event_id,
            mentions=mentions, attachments=attachments, reply_to_message_id=reply_to,
        )

    def _unaddressed(self, room: MatrixRoom, text: str) -> str:
        """``linli: /claim 1`` (a pill to the bot before the command) is ``/claim 1``."""
        names = {self.user_id, room.user_name(self.user_id) or ""} - {""}
        for name in names:
            for separator in (": ", ":", ", ", " "):
                if text.startswith(name + separator) and text[len(name) + len(separator):].lstrip().startswith("/"):
                    return text[len(name) + len(separator):].lstrip()
        return text

    @staticmethod
    def _attachment(event: Any, content: dict[str, Any]) -> Attachment:
        kind = "photo" if isinstance(event, (RoomMessageImage, RoomEncryptedImage)) else "file"
        file = content.get("file")
        ref = json.dumps(file) if isinstance(file, dict) else str(content.get("url", ""))
        return Attachment(kind, ref)

    async def _reaction(self, room: MatrixRoom, event: ReactionEvent) -> MessageReceived | None:
        number = mapping.keycap_number(event.key)
        if number is None:
            return None
        data = await self.choices.get(event.reacts_to, number)
        if data is None:
            return None
        await self._learn_room(room)
        return MessageReceived(
            event_id=f"{PLATFORM}:{event.event_id}", channel=await self._channel(room),
            sender=self._identity(room, event.sender), button_data=data, button_token=event.reacts_to,
            reply_to_message_id=event.reacts_to,
        )

    async def _undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """Logged, keys requested from the sender's devices, and the room told once per session."""
        log.warning("matrix: cannot decrypt event %s from %s in %s (session %s); requesting its keys",
                    event.event_id, event.sender, room.room_id, event.session_id)
        client = self.require_client()
        with contextlib.suppress(LocalProtocolError, *NETWORK_ERRORS):
            await client.request_room_key(event)
        if event.session_id in self._hinted:
            return
        self._hinted.add(event.session_id)
        t = self._t(None)
        text = t("I could not read that encrypted message: my device {device} did not get its key. I have asked "
                 "for it; if I do not answer, please send the message again.", device=client.device_id or "?")
        with contextlib.suppress(SendFailed, RetryLater):
            await self._send_content(room.room_id, "m.room.message", mapping.notice(text, reply_to=event.event_id),
                                     uuid.uuid4().hex)

    async def _invites(self, response: SyncResponse) -> None:
        """Join the rooms allowed inviters invited the bot to; refuse the others."""
        client = self.require_client()
        for room_id, info in response.rooms.invite.items():
            inviter, direct = None, False
            for event in info.invite_state:
                if isinstance(event, InviteMemberEvent) and event.state_key == self.user_id \
                        and event.membership == "invite":
                    inviter, direct = event.sender, bool(event.content.get("is_direct"))
            if inviter is None:
                continue
            if not self._may_invite(inviter):
                log.warning("matrix: %s invited the bot to %s but is not in matrix.allow_invites_from; refused",
                            inviter, room_id)
                with contextlib.suppress(*NETWORK_ERRORS):
                    await client.room_leave(room_id)
                continue
            self._joins[room_id] = 0
            if direct:
                await self._remember_direct(room_id, inviter)
        for room_id in list(self._joins):
            if room_id in client.rooms and room_id not in client.invited_rooms:
                self._joins.pop(room_id)
                continue
            try:
                answer = await client.join(room_id)
            except NETWORK_ERRORS as error:
                answer = error
            if isinstance(answer, JoinResponse):
                log.info("matrix: joined %s", room_id)
                self._joins.pop(room_id)
            else:
                self._joins[room_id] += 1
                if self._joins[room_id] >= self.settings.send_attempts:
                    log.error("matrix: could not join %s (%s); giving up", room_id, answer)
                    self._joins.pop(room_id)
                else:
                    log.warning("matrix: could not join %s (%s); will try again", room_id, answer)

    def _may_invite(self, user_id: str) -> bool:
        allowed = self.settings.allow_invites_from or [self.settings.server_name]
        server = user_id.partition(":")[2]
        return user_id in allowed or server in allowed

    async def _remember_direct(self, room_id: str, user_id: str) -> None:
        self._direct[room_id] = True
        self._dm_rooms[user_id] = room_id
        await self.host.state_put(NAMESPACE, "direct:" + room_id, True)
        await self.host.state_put(NAMESPACE, "dm:" + user_id, {"room": room_id})
        if await self.host.state_get(NAMESPACE, "declined:" + user_id):  # they opened one themselves now
            await self.host.state_put(NAMESPACE, "declined:" + user_id, None)

    async def _encryption_chores(self) -> None:
        """What nio's sync_forever would do after each sync: keys up, keys of others, to-device messages."""
        client = self.require_client()
        if client.olm is None:
            return
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except (LocalProtocolError, *NETWORK_ERRORS) as error:
            log.warning("matrix: key exchange with %s failed (%s); trying again after the next sync",
                        self.settings.homeserver, error)

    # -- sending -----------------------------------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> str | None:
        """Send ``message`` now (in order per room) and return its event id.

        Raises :class:`core.adapter.RetryLater` when another try may work (the homeserver is away or keeps
        rate-limiting), :class:`SendFailed` when it refused the message for good."""
        person = message.private_to
        if person is not None and person.platform != PLATFORM:
            log.warning("matrix: a private message for a %s account cannot go through Matrix", person.platform)
            return None
        if message.popup_for is not None and person is not None:
            # an answer to a button press: in the room, to the presser, under what they answered
            reply = message.popup_for if message.popup_for.startswith("$") else None
            content = mapping.notice(message.text, reply_to=reply, mention=(person.user_id, person.display_name))
            return await self._send_locked(message.channel.chat_id, content, message)
        if person is not None and not (message.channel.is_direct and message.channel.chat_id):
            room_id, fresh = await self._direct_room(person)
            if room_id is None:
                return await self._bounced(message, person)
            try:
                return await self._send_message(room_id, message, reply_to=None)
            except SendFailed:
                room = self.require_client().rooms.get(room_id)
                if fresh or (room is not None and self.user_id in room.users):
                    raise
            # a stored direct room the bot is no longer in (removed, or the room is gone): a new one, once
            log.info("matrix: the direct room %s with %s refused the bot; opening a new one", room_id, person.user_id)
            await self._forget_direct(person.user_id, room_id)
            room_id, _ = await self._direct_room(person)
            if room_id is None:
                return await self._bounced(message, person)
            return await self._send_message(room_id, message, reply_to=None)
        return await self._send_message(message.channel.chat_id, message, reply_to=message.reply_to_message_id)

    async def _send_message(self, room_id: str, message: OutgoingMessage, *, reply_to: str | None,
                            mention: tuple[str, str] | None = None, text: str | None = None) -> str:
        buttons = flatten(message.buttons)
        extra_plain = extra_html = ""
        if buttons:
            t = self._t(message.private_to.language if message.private_to else None)
            hint = t("Reply to this message with a number, or react with it.")
            extra_plain, extra_html = mapping.choices_text(buttons, hint)
        body = message.text if text is None else text
        event_id: str | None = None
        if body.strip() or buttons or mention is not None or not message.files:
            content = mapping.notice(body, extra_plain=extra_plain, extra_html=extra_html, reply_to=reply_to,
                                     mention=mention)
            if message.edit_message_id:
                content = mapping.edit(message.edit_message_id, content)
            event_id = await self._send_locked(room_id, content, message)
            target = message.edit_message_id or event_id
            if buttons:
                await self.choices.remember(target, buttons)
                if not message.edit_message_id:
                    await self._offer_reactions(room_id, event_id, len(buttons))
        for file in message.files:
            sent = await self._send_file(room_id, file, message)
            event_id = event_id or sent
        assert event_id is not None
        return event_id

    async def _offer_reactions(self, room_id: str, event_id: str, count: int) -> None:
        for index, key in enumerate(mapping.KEYCAPS[:count]):
            content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
            try:
                await self._send_content(room_id, "m.reaction", content, f"{event_id}-{index}", lock=True)
            except (SendFailed, RetryLater) as error:  # the numbers still work
                log.warning("matrix: could not add the reaction choices to %s (%s)", event_id, error)
                return

    async def _send_file(self, room_id: str, file: Any, message: OutgoingMessage) -> str:
        """Upload (encrypted in an encrypted room) and post a photo or a document."""
        client = self.require_client()
        room = client.rooms.get(room_id)
        encrypt = bool(room is not None and room.encrypted)
        data: bytes = file.data
        try:
            answer, keys = await client.upload(lambda *_: io.BytesIO(data), content_type=file.mime_type,
                                               filename=file.filename, encrypt=encrypt, filesize=len(data))
        except (*NETWORK_ERRORS, *LOCAL_ERRORS) as error:
            raise RetryLater(f"matrix: uploading {file.filename} failed: {error!r}") from None
        if not isinstance(answer, UploadResponse):
            status = getattr(getattr(answer, "transport_response", None), "status", 0) or 0
            if status >= 500 or getattr(answer, "status_code", None) == "M_LIMIT_EXCEEDED":
                raise RetryLater(f"matrix: uploading {file.filename} failed: {answer}")
            raise SendFailed(f"matrix: the homeserver refused {file.filename}: {answer}")
        msgtype = "m.image" if file.kind == "photo" else "m.file"
        content: dict[str, Any] = {"msgtype": msgtype, "body": file.filename, "filename": file.filename,
                                   "info": {"mimetype": file.mime_type, "size": len(data)}}
        if keys is not None:
            content["file"] = {**keys, "url": answer.content_uri}
        else:
            content["url"] = answer.content_uri
        tx = f"{self._tx_id(message)}-{file.filename}"
        return await self._send_content(room_id, "m.room.message", content, tx, lock=True)

    async def _send_locked(self, room_id: str, content: dict[str, Any], message: OutgoingMessage) -> str:
        return await self._send_content(room_id, "m.room.message", content, self._tx_id(message), lock=True)

    async def _send_content(self, room_id: str, event_type: str, content: dict[str, Any], tx_id: str, *,
                            lock: bool = False) -> str:
        """Send one event with bounded retries; the same ``tx_id`` on every try, so it is sent once.

        Raises :class:`core.adapter.RetryLater` when the homeserver is away or keeps rate-limiting (the
        core's delivery tries again later; the transaction id makes that safe), :class:`SendFailed` when
        it refused the event for good (not in the room, unknown room, revoked token, too large)."""
        if lock:
            async with self._locks.setdefault(room_id, asyncio.Lock()):
                return await self._send_content(room_id, event_type, content, tx_id)
        client = self.require_client()
        if client.olm is not None and room_id not in client.rooms:
            client.rooms[room_id] = MatrixRoom(room_id, self.user_id)  # a room made a moment ago, not synced yet
        problem: object = None
        retry_after: float | None = None
        for attempt in range(self.settings.send_attempts):
            if attempt:
                await asyncio.sleep(retry_after if retry_after is not None else
                                    backoff_delay(attempt - 1, self.settings.retry_base, self.settings.retry_cap))
            retry_after = None
            try:
                answer = await client.room_send(room_id, event_type, content, tx_id=tx_id,
                                                ignore_unverified_devices=True)
            except (*NETWORK_ERRORS, *LOCAL_ERRORS) as error:
                problem = error
                continue
            if isinstance(answer, RoomSendResponse):
                return str(answer.event_id)
            problem = answer
            code = getattr(answer, "status_code", None)
            if code == "M_LIMIT_EXCEEDED":
                after_ms = getattr(answer, "retry_after_ms", None)
                retry_after = after_ms / 1000 if isinstance(after_ms, int | float) else None
                continue
            transport = getattr(answer, "transport_response", None)
            status = getattr(transport, "status", 0) or 0
            if isinstance(code, str) and code.startswith("M_") and status < 500:
                raise SendFailed(f"matrix: {room_id} refused the message: {answer}")
        raise RetryLater(f"matrix: could not send to {room_id}: {problem}", after=retry_after)

    def _tx_id(self, message: OutgoingMessage) -> str:
        """The message's ``dedupe_key``, else one transaction id per message object for as long as it is
        being retried (the core's delivery retries the same object), so a retry cannot post it twice."""
        if message.dedupe_key:
            return message.dedupe_key
        key = id(message)
        known = self._tx.get(key)
        if known is not None and known[0] is message:
            return known[1]
        tx = uuid.uuid4().hex
        self._tx[key] = (message, tx)
        while len(self._tx) > 1000:
            self._tx.popitem(last=False)
        return tx

    async def _direct_room(self, person: IdentityRef) -> tuple[str | None, bool]:
        """The person's direct room with the bot, created (and the person invited) when there is none, and
        whether it was made just now; ``None`` while they declined the last one (:data:`DECLINE_PAUSE`).

        Raises :class:`core.adapter.RetryLater` when the room could not be created for now (the homeserver
        away, a 5xx, a rate limit): the notice waits for it rather than going to the group."""
        client = self.require_client()
        if await self.host.state_get(NAMESPACE, "declined:" + person.user_id):
            return None, False
        room_id = self._dm_rooms.get(person.user_id)
        if room_id is None:
            stored = await self.host.state_get(NAMESPACE, "dm:" + person.user_id)
            room_id = stored.get("room") if isinstance(stored, dict) else None
        if room_id is not None:
            room = client.rooms.get(room_id)
            if room is None or person.user_id in room.users or person.user_id in room.invited_users:
                self._dm_rooms[person.user_id] = room_id
                return room_id, False
            # they declined the invitation or left: no new invitation with every notice
            log.info("matrix: %s declined or left the direct room %s; private notices go to the room with a "
                     "mention for now", person.user_id, room_id)
            await self._forget_direct(person.user_id, room_id)
            await self.host.state_put(NAMESPACE, "declined:" + person.user_id, True,
                                      expires_at=self.host.now() + DECLINE_PAUSE)
            return None, False
        try:
            created = await client.room_create(is_direct=True, invite=[person.user_id],
                                               preset=RoomPreset.trusted_private_chat)
        except (*NETWORK_ERRORS, *LOCAL_ERRORS) as error:
            raise RetryLater(f"matrix: could not open a direct room with {person.user_id}: {error!r}") from None
        if not isinstance(created, RoomCreateResponse):
            status = getattr(getattr(created, "transport_response", None), "status", 0) or 0
            code = getattr(created, "status_code", None)
            if status >= 500 or code == "M_LIMIT_EXCEEDED" or not (isinstance(code, str) and code.startswith("M_")):
                after_ms = getattr(created, "retry_after_ms", None)
                raise RetryLater(f"matrix: could not open a direct room with {person.user_id}: {created}",
                                 after=after_ms / 1000 if isinstance(after_ms, int | float) else None)
            log.warning("matrix: could not open a direct room with %s (%s)", person.user_id, created)
            return None, False
        await self._remember_direct(created.room_id, person.user_id)
        return str(created.room_id), True

    async def _forget_direct(self, user_id: str, room_id: str) -> None:
        if self._dm_rooms.get(user_id) == room_id:
            self._dm_rooms.pop(user_id)
        stored = await self.host.state_get(NAMESPACE, "dm:" + user_id)
        if isinstance(stored, dict) and stored.get("room") == room_id:
            await self.host.state_put(NAMESPACE, "dm:" + user_id, None)

    async def _bounced(self, message: OutgoingMessage, person: IdentityRef) -> str | None:
        """A private notice that cannot go privately: with a mention in the room, or only a prompt when
        it is sensitive."""
        room_id = message.channel.chat_id
        if not room_id or message.channel.is_direct:
            return None
        if message.private_only:  # not even a prompt: it would say in the room whom the notice was for
            log.info("matrix: a private-only notice for %s could not go privately; dropped", person.user_id)
            return None
        if message.sensitive:
            t = self._t(person.language)
            text = t("I cannot write to you privately yet: start a direct chat with {bot}, then try again.",
                     bot=self.user_id)
            content = mapping.notice(text, mention=(person.user_id, person.display_name))
            return await self._send_locked(room_id, content, message)
        return await self._send_message(room_id, message, reply_to=None,
                                        mention=(person.user_id, person.display_name))

    def _t(self, language: str | None) -> Translator:
        return self.host.translator(language)

    # -- files -------------------------------------------------------------------------------------
    async def fetch_attachment(self, ref: str) -> bytes:
        """The bytes of an image or file a user sent, decrypted when it came from an encrypted room."""
        client = self.require_client()
        file: dict[str, Any] | None = json.loads(ref) if ref.startswith("{") else None
        url = str(file["url"]) if file is not None else ref
        answer = await self._retry(lambda: client.download(mxc=url))
        if not isinstance(answer, DownloadResponse):
            raise SendFailed(f"matrix: could not download {url}: {answer}")
        body = answer.body if isinstance(answer.body, bytes) else bytes(answer.body)
        if file is None:
            return body
        from nio.crypto.attachments import decrypt_attachment

        return bytes(decrypt_attachment(body, file["key"]["k"], file["hashes"]["sha256"], file["iv"]))

    async def _retry(self, call: Any) -> Any:
        for attempt in range(self.settings.send_attempts):
            try:
                result: Awaitable[Any] = call()
                return await result
            except NETWORK_ERRORS:
                if attempt + 1 >= self.settings.send_attempts:
                    raise
                await asyncio.sleep(backoff_delay(attempt, self.settings.retry_base, self.settings.retry_cap))
        return None
