"""Delivery: the outbox's sender, one lane per chat, retrying until the platform takes the message.

After an event's transaction commits, the bus hands its stored replies (:mod:`core.outbox`) to
:meth:`Delivery.hand`. Each lane (one chat, or one person's private chat) sends its messages one at a
time, in order, through the adapter of the message's platform; lanes never wait for each other, so a
group sitting out Telegram's flood limits delays only itself. A message is deleted from the outbox when
the adapter's ``send`` returns. When it raises :class:`core.adapter.RetryLater` the lane waits (the
platform's ``retry_after``, else capped exponential back-off with jitter) and tries the same message
again, for as long as ``delivery.ttl_seconds``; then the message is marked expired, with a log line. A
message whose answer was lost may be showing already (a client cannot tell "taken, answer lost" from
"dropped before it was read"), so its next try waits the longest pause, ``delivery.retry_cap``: a short
loss of answers costs at most one extra copy, a long outage none, and nothing is lost. Anything else the
adapter raises is a refusal for good: logged, marked failed, and the lane goes on.

Memory stays bounded: a lane keeps at most ``IN_MEMORY`` messages; beyond that it reads the rest back
from the outbox page by page, which is also how a restart resumes what the last process left behind.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from tortoise.expressions import F

from core.adapter import Adapter, RetryLater
from core.backoff import backoff_delay
from core.config import DeliverySettings
from core.events import OutgoingMessage
from core.metrics import UNOWNED, Metrics
from core.outbox import OutboxMessage, OutboxState, decode, delete_sent, keyed

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Messages a lane holds in memory; the rest wait in the outbox table and are read back in pages.
IN_MEMORY = 500
PAGE = 100
#: Delivered rows not deleted yet that a read-back lists to skip; past this, it waits for the deletes.
EXCLUDED_AT_MOST = 5_000
#: Rows stored by a command-line process are adopted by the running bot once they are this old, so a
#: row this process stored and is about to hand over itself is never taken twice.
ADOPT_AFTER = timedelta(seconds=60)


class DeliveryHost(Protocol):
    def adapter_for(self, platform: str) -> Adapter | None: ...

    def now(self) -> datetime: ...


@dataclass
class _Lane:
    key: str
    queue: deque[tuple[int, OutgoingMessage]] = field(default_factory=deque)
    #: Pending rows of this lane are in the outbox but not in ``queue``.
    spilled: bool = False
    #: ``hand`` skipped a message (spilled) while the lane was reading the outbox.
    missed: bool = False
    worker: asyncio.Task[None] | None = None
    failing: bool = False


class Delivery:
    def __init__(self, host: DeliveryHost, settings: DeliverySettings, *, rng: random.Random | None = None) -> None:
        self._host = host
        self.settings = settings
        self._rng = rng or random.Random()
        self._lanes: dict[str, _Lane] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        #: Sending starts with :meth:`start`; until then (and in command-line processes) rows are only stored.
        self._sending = False
        self._stopping = False
        #: Marks the rows this process sends; None while not sending (the running bot adopts those rows).
        self.owner: str | None = None
        self._missing: set[str] = set()
        #: Delivered rows not deleted yet: deleted together by ``_forget_sent`` (see there).
        self._delivered: list[int] = []
        #: The batch being deleted now (``_forget_sent``).
        self._deleting: list[int] = []
        self._forgetting: asyncio.Task[None] | None = None
        self.sent = 0
        self.retries = 0
        self.expired = 0
        self.failed = 0
        self.metrics: Metrics = UNOWNED

    # -- feeding -----------------------------------------------------------------------------------
    def hand(self, items: list[tuple[int, OutgoingMessage]], lanes: list[str]) -> None:
        """Committed outbox rows (id, message) and their lanes: start sending them."""
        for (row_id, message), key in zip(items, lanes, strict=True):
            lane = self._lane(key)
            if lane.spilled or len(lane.queue) >= IN_MEMORY:
                lane.spilled = lane.missed = True
            else:
                lane.queue.append((row_id, message))
            self._start(lane)

    async def start(self) -> int:
        """Start sending, beginning with what an earlier process left in the outbox (its owner is gone:
        one process sends per installation's platform account); returns how many messages wait."""
        self.owner = uuid.uuid4().hex
        self._sending = True
        await OutboxMessage.filter(state=OutboxState.PENDING).update(owner=self.owner)
        waiting = await self._start_idle_lanes()
        if waiting:
            log.info("delivery: %d messages from before the restart are being sent", waiting)
        return waiting

    async def adopt(self) -> int:
        """Take over rows stored by a command-line process (``linli deadletters replay``); run now and then."""
        if not self._sending:
            return 0
        cutoff = self._host.now() - ADOPT_AFTER
        adopted = await OutboxMessage.filter(state=OutboxState.PENDING, owner__isnull=True,
                                             created_at__lt=cutoff).update(owner=self.owner)
        return await self._start_idle_lanes() if adopted else 0

    async def _start_idle_lanes(self) -> int:
        mine = OutboxMessage.filter(state=OutboxState.PENDING, owner=self.owner)
        waiting = await mine.count()
        for key in await mine.distinct().values_list("lane", flat=True):
            lane = self._lane(str(key))
            if lane.worker is None:
                lane.spilled = True
                self._start(lane)
        return waiting

    def _lane(self, key: str) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key)
        return lane

    def _start(self, lane: _Lane) -> None:
        if lane.worker is None and self._sending and not self._stopping:
            self._idle.clear()
            lane.worker = asyncio.create_task(self._work(lane), name=f"delivery:{lane.key}")

    # -- waiting -----------------------------------------------------------------------------------
    @property
    def busy_lanes(self) -> int:
        forgetting = self._forgetting is not None and not self._forgetting.done()
        return sum(1 for lane in self._lanes.values() if lane.worker is not None) + forgetting

    async def join(self) -> None:
        """Wait until every handed message has been delivered or given up, and its row is gone."""
        await self._idle.wait()
        await self._all_forgotten()

    async def stop(self) -> int:
        """Stop sending (after the drain the adapters allowed); returns how many messages stay stored."""
        self._stopping = True
        workers = [lane.worker for lane in self._lanes.values() if lane.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self._forget_before_stopping()
        try:
            left = await OutboxMessage.filter(state=OutboxState.PENDING).count()
        except Exception:  # the database may be what is stopping us; the rows are safe either way
            log.warning("delivery: stopped; could not count the messages left in the outbox")
            return -1
        if left:
            log.warning("delivery: %d messages are still in the outbox; they are sent at the next start", left)
        return left

    # -- working -----------------------------------------------------------------------------------
    async def _work(self, lane: _Lane) -> None:
        try:
            while True:
                if not lane.queue and lane.spilled:
                    await self._read_back(lane)
                if not lane.queue:
                    break
                row_id, message = lane.queue[0]
                if not await self._deliver(lane, row_id, message):
                    break  # no adapter for the platform (yet): the rows stay for a later start
                lane.queue.popleft()
        except asyncio.CancelledError:
            raise
        except Exception:  # the outbox table itself is unreachable: leave the rows for the next start
            log.exception("delivery: the %s lane stopped; its messages stay in the outbox", lane.key)
        finally:
            lane.worker = None
            if not lane.queue and not lane.spilled and self._lanes.get(lane.key) is lane:
                del self._lanes[lane.key]
            if not any(other.worker is not None for other in self._lanes.values()):
                self._idle.set()

    def _delivered_row(self, row_id: int) -> None:
        self._delivered.append(row_id)
        if self._forgetting is None or self._forgetting.done():
            self._forgetting = asyncio.create_task(self._forget_sent(), name="delivery:forget")

    async def _forget_sent(self) -> None:
        """Delete delivered rows in batches: what every lane delivered while the last delete ran goes in
        one transaction, so a burst of replies costs a few commits instead of one each. A row waits here
        only while earlier deletes run (a crash in that moment sends it once more, as a crash between
        sending and deleting always could). Lanes reading the outbox back skip the rows listed here or
        being deleted (``_read_back``); a batch that cannot be deleted stays listed, and the next delete
        (or the stop) tries again."""
        await asyncio.sleep(0)  # the deliveries finishing in this turn of the loop join the first batch
        while self._delivered:
            self._deleting, self._delivered = self._delivered, []
            try:
                await self._persist(partial(delete_sent, self._deleting))
            except BaseException as error:
                self._delivered[:0] = self._deleting
                if not isinstance(error, Exception):
                    raise  # cancelled (stopping): the stop makes the last attempt
                log.warning("delivery: %d delivered messages could not be taken out of the outbox (%s); "
                            "they are not sent again by this process", len(self._deleting), error)
                return
            finally:
                self._deleting = []

    async def _all_forgotten(self) -> None:
        """Wait for the delete under way, or run one for rows still listed."""
        if self._forgetting is None or self._forgetting.done():
            if not self._delivered:
                return
            self._forgetting = asyncio.create_task(self._forget_sent(), name="delivery:forget")
        await asyncio.shield(self._forgetting)

    async def _forget_before_stopping(self) -> None:
        """One last delete, without the back-off (a stop must not wait minutes for the database)."""
        if self._forgetting is not None and not self._forgetting.done():
            self._forgetting.cancel()
            await asyncio.wait([self._forgetting])
        if self._delivered:
            try:
                await delete_sent(self._delivered)
                self._delivered = []
            except Exception as error:
                log.warning("delivery: %d delivered messages stay in the outbox (%s); they are sent again at "
                            "the next start", len(self._delivered), error)

    async def _read_back(self, lane: _Lane) -> None:
        lane.missed = False
        if len(self._delivered) + len(self._deleting) > EXCLUDED_AT_MOST:  # a long outage: wait, do not list
            await self._all_forgotten()
        pending = OutboxMessage.filter(state=OutboxState.PENDING, lane=lane.key, owner=self.owner)
        delivered = [*self._delivered, *self._deleting]  # never read a delivered row back as pending
        if delivered:
            pending = pending.exclude(id__in=delivered)
        rows = await self._persist(lambda: pending.order_by("id").limit(PAGE).values_list("id", "payload"))
        for row_id, payload in rows:
            try:
                lane.queue.append((int(row_id), keyed(int(row_id), decode(payload))))
            except Exception as error:  # a row no version of the message format can read: set it aside
                log.error("delivery: outbox row %s cannot be read (%r); it is not sent", row_id, error)
                await self._give_up(int(row_id), OutboxState.FAILED, f"unreadable: {error!r}")
        if len(rows) < PAGE and not lane.missed:
            lane.spilled = False

    async def _deliver(self, lane: _Lane, row_id: int, message: OutgoingMessage) -> bool:
        """Try until sent, given up or refused; False when no adapter can send it now."""
        attempt = 0
        while True:
            adapter = self._host.adapter_for(message.channel.platform)
            if adapter is None:
                if message.channel.platform not in self._missing:
                    self._missing.add(message.channel.platform)
                    log.warning("delivery: no %s adapter is running; messages for it wait in the outbox",
                                message.channel.platform)
                lane.spilled = True
                return False
            try:
                await adapter.send(message)
            except RetryLater as problem:
                attempt += 1
                self.retries += 1
                self.metrics.outbound_message(message.channel.platform, "retry")
                if not lane.failing:
                    log.warning("delivery: sending to %s failed (%s); retrying", lane.key, problem)
                    lane.failing = True
                if problem.uncertain:
                    await self._lost_answer(row_id)
                if await self._too_old(row_id):
                    await self._give_up(row_id, OutboxState.EXPIRED, str(problem))
                    self.expired += 1
                    self.metrics.outbound_message(message.channel.platform, "expired")
                    log.error("delivery: a message to %s expired after %.0f s of failures (%s)",
                              lane.key, self.settings.ttl_seconds, problem)
                    return True
                if problem.after is not None:
                    wait = problem.after
                    self.metrics.throttled(message.channel.platform, wait)
                elif problem.uncertain:  # it may be showing already: the next copy waits the longest pause
                    wait = self.settings.retry_cap
                else:
                    wait = backoff_delay(attempt - 1, self.settings.retry_base, self.settings.retry_cap, self._rng)
                await asyncio.sleep(wait)
                continue
            except Exception as error:
                log.exception("delivery: %s refused a message to %s for good", message.channel.platform, lane.key)
                await self._give_up(row_id, OutboxState.FAILED, f"{type(error).__name__}: {error}")
                self.failed += 1
                self.metrics.outbound_message(message.channel.platform, "failed")
                return True
            if lane.failing:
                log.warning("delivery: sending to %s works again", lane.key)
                lane.failing = False
            self.sent += 1
            self.metrics.outbound_message(message.channel.platform, "sent")
            self._delivered_row(row_id)
            return True

    async def _lost_answer(self, row_id: int) -> None:
        """Count a lost answer on the row, for the operator (``uncertain``: how many copies may show)."""
        await self._persist(lambda: OutboxMessage.filter(id=row_id).update(uncertain=F("uncertain") + 1))

    async def _too_old(self, row_id: int) -> bool:
        found = await self._persist(lambda: OutboxMessage.filter(id=row_id).values_list("created_at", flat=True))
        if not found:
            return True
        created = found[0]
        assert isinstance(created, datetime)
        return self._host.now() - created > timedelta(seconds=self.settings.ttl_seconds)

    async def _give_up(self, row_id: int, state: OutboxState, why: str) -> None:
        await self._persist(lambda: OutboxMessage.filter(id=row_id).update(state=state, last_error=why[:255]))

    async def _persist(self, write: Callable[[], Awaitable[T]]) -> T:
        """Outbox bookkeeping survives a database hiccup: retried with back-off, never skipped (a
        delivered message whose row stayed would be sent again)."""
        attempt = 0
        while True:
            try:
                return await write()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._stopping or attempt >= 20:
                    raise
                wait = backoff_delay(attempt, self.settings.retry_base, self.settings.retry_cap, self._rng)
                log.warning("delivery: the outbox cannot be written (%s); retrying in %.1f s", error, wait)
                attempt += 1
                await asyncio.sleep(wait)

