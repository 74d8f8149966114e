"""The inbox: platform events stored the moment they are fetched, then worked off per community.

Telegram confirms updates by offset, in order: confirming update n confirms everything before it. A bot
that confirms an update only once its effects are committed must handle a fetched batch before it may
fetch the next one, so a backlog of 2,000 commands in one group keeps a command in another group from even
being fetched. The inbox breaks that chain without giving up exactly-once: an adapter stores each fetched
batch here (:meth:`Inbox.store`, one insert per batch, an event stored before is ignored), acknowledges the
whole batch to the platform once that insert is committed, and fetches again at once.

Each event goes to a lane: its community (the bus's partition key when it was stored), or its chat while
the chat belongs to no community. A lane's worker reads its rows back oldest first, a page at a time
(memory stays bounded however long the backlog), and hands one event at a time to the bus, which handles
it in its one transaction. The row is deleted in that same transaction (:meth:`Inbox.consume`, called by
the bus): a crash before the commit leaves the row and the event is handled after the restart; a crash
after it leaves neither. A redelivered update is stored again only if its row is gone, and then its
processed mark makes handling it a no-op. Lanes never wait for each other, so a flood in one community
delays only that community; inside a lane the order is the order of storing.

A lane whose event fails waits and tries again: while the database is unreachable, for as long as it
takes; for a failure of the event's own (a bug), the core sets the event aside as a dead letter after a few
tries (:mod:`core.deadletters`) and the lane goes on. On start, rows a previous process left are resumed,
oldest first per lane. One process receives for each platform (as one process sends for it): a process
works off the rows of the platforms it receives for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Gauge
from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.backoff import backoff_delay
from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived
from core.storage import is_unavailable
from core.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Rows a lane reads back at once: a lane's memory, however long its backlog.
PAGE = 100
#: The longest pause of a lane that waits for the database (``delivery.retry_cap`` may be minutes).
LONGEST_PAUSE = 30.0


class InboxEvent(Model):
    id = fields.BigIntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    #: Events of one lane are handled one after another, in id order (a community, or a chat in none).
    lane = fields.CharField(max_length=191)
    event_id = fields.CharField(max_length=191, unique=True)
    #: The event as the core made it safe (:func:`core.inputs.clean_event`), as JSON.
    payload: fields.Field[Any] = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "linli_inbox"
        indexes = (Index(fields=["lane", "id"]),)


def encode(event: MessageReceived) -> dict[str, Any]:
    data = dataclasses.asdict(event)
    data["received_at"] = event.received_at.isoformat() if event.received_at else None
    return data


def decode(data: dict[str, Any]) -> MessageReceived:
    """The event as it was stored; fields a newer version added keep their defaults, unknown ones are dropped."""
    values = dict(data)
    values["channel"] = ChannelRef(**data["channel"])
    values["sender"] = IdentityRef(**data["sender"])
    values["mentions"] = tuple(IdentityRef(**m) for m in data.get("mentions", ()))
    values["attachments"] = tuple(Attachment(**a) for a in data.get("attachments", ()))
    received = data.get("received_at")
    values["received_at"] = datetime.fromisoformat(received) if received else None
    known = {f.name for f in dataclasses.fields(MessageReceived)}
    return MessageReceived(**{k: v for k, v in values.items() if k in known})


class InboxHost(Protocol):
    def now(self) -> datetime: ...

    def partition_key(self, event: MessageReceived) -> str:
        """The bus's partition of ``event`` (its community's, or its chat's)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    async def accept(self, event: MessageReceived) -> bool:
        """Handle ``event`` in its transaction; raises while it should be tried again."""
        ...


class InboxClosed(RuntimeError):
    """Storing after shutdown began."""


@dataclass
class _Lane:
    key: str
    worker: asyncio.Task[None] | None = None
    #: Rows were stored for this lane since its worker last read the table.
    more: bool = False


@dataclass
class _Current:
    """The row of an event being handled, and whether the bus deleted it in the event's transaction."""

    row_id: int
    consumed: bool = False

    def gone(self) -> None:
        self.consumed = True


class Inbox:
    def __init__(self, host: InboxHost, *, retry_base: float, retry_cap: float,
                 rng: random.Random | None = None) -> None:
        self._host = host
        self._retry_base = retry_base
        self._retry_cap = min(retry_cap, LONGEST_PAUSE)
        self._rng = rng or random.Random()
        self._lanes: dict[str, _Lane] = {}
        self._platforms: set[str] = set()
        self._current: dict[str, _Current] = {}
        #: Chats that got a new id (a Telegram group became a supergroup) while events of the old id may
        #: still wait here: those are handled as the chat it is now, whose binding moved along.
        self._moved: dict[str, str] = {}
        #: Workers whose event is being handled by the bus right now (a stop lets them finish it).
        self._handing: set[asyncio.Task[Any] | None] = set()
        self._waiters: dict[str, list[asyncio.Future[bool]]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self.stored = 0
        self.handled = 0

    # -- storing -----------------------------------------------------------------------------------
    async def store(self, events: Sequence[MessageReceived], *,
                    awaited: Collection[str] = ()) -> dict[str, asyncio.Future[bool]]:
        """Store ``events`` (already made safe) in one insert and return once it is committed.

        An event whose id is stored already is ignored. For the ids in ``awaited``: futures resolved when
        that event has been handled (True; False when it had been handled before), for an adapter that
        must answer something after the commit (a button press's pop-up).
        """
        if self._stopping:
            raise InboxClosed("the inbox is shutting down")
        if not events:
            return {}
        loop = asyncio.get_running_loop()
        waits: dict[str, asyncio.Future[bool]] = {}
        for event_id in awaited:
            waits[event_id] = loop.create_future()
            self._waiters.setdefault(event_id, []).append(waits[event_id])
        now = self._host.now()
        lanes = [self._lane_key(event) for event in events]
        rows = [InboxEvent(platform=event.channel.platform, lane=lane, event_id=event.event_id,
                           payload=encode(event), created_at=now) for event, lane in zip(events, lanes, strict=True)]
        try:
            async with self._host.transaction():
                await InboxEvent.bulk_create(rows, ignore_conflicts=True)
        except BaseException:
            for event_id, wait in waits.items():
                self._unwait(event_id, wait)
            raise
        self.stored += len(rows)
        self._platforms.update(event.channel.platform for event in events)
        for lane in dict.fromkeys(lanes):
            self._poke(lane)
        return waits

    def _lane_key(self, event: MessageReceived) -> str:
        """The event's community; but a chat whose earlier events still wait in the chat's own lane (it
        joined a community meanwhile) keeps that lane until they are handled, so its order holds."""
        own = event.partition_key()
        if own in self._lanes:
            return own
        return self._host.partition_key(event)

    def moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat got a new id: its events stored under the old one are handled as the chat it is now
        (in memory: a restart before they are handled finds them under the id they were stored with)."""
        self._moved[f"{platform}:{old_chat_id}"] = new_chat_id

    def as_it_is_now(self, event: MessageReceived) -> MessageReceived:
        """``event`` in the chat as it is now: asked by the host at the last moment before the event is
        handled, since a move can come while the event waits in its lane."""
        now_id = self._moved.get(event.channel.key)
        if now_id is None:
            return event
        return dataclasses.replace(event, channel=dataclasses.replace(event.channel, chat_id=now_id))

    def watch(self, registry: CollectorRegistry) -> None:
        """Show the inbox on ``/metrics`` (read when scraped)."""
        Gauge("linli_inbox_lanes", "Communities (or chats) working off events stored in the inbox",
              registry=registry).set_function(lambda: self.busy_lanes)
        Gauge("linli_inbox_handled", "Events handled from the inbox since start",
              registry=registry).set_function(lambda: self.handled)
        Gauge("linli_inbox_stored", "Events stored in the inbox since start (redeliveries included)",
              registry=registry).set_function(lambda: self.stored)

    # -- starting and stopping ---------------------------------------------------------------------
    async def start(self, platforms: Collection[str]) -> int:
        """Work off what an earlier process left for ``platforms``; returns how many events wait."""
        self._platforms.update(platforms)
        if not self._platforms:
            return 0
        mine = InboxEvent.filter(platform__in=sorted(self._platforms))
        waiting = await mine.count()
        for key in await mine.distinct().values_list("lane", flat=True):
            self._poke(str(key))
        if waiting:
            log.info("inbox: %d events stored before the restart are being handled", waiting)
        return waiting

    @property
    def busy_lanes(self) -> int:
        return sum(1 for lane in self._lanes.values() if lane.worker is not None)

    async def join(self) -> None:
        """Wait until every stored event has been handled."""
        await self._idle.wait()

    async def stop(self) -> int:
        """Stop handling; what is not handled stays stored for the next start. Returns how many, or -1."""
        self._stopping = True
        workers = [lane.worker for lane in self._lanes.values() if lane.worker is not None]
        for worker in workers:
            # One whose event is in the bus's hands lets it finish (the row goes in its transaction, else
            # the next start would handle it again and this count would be wrong); the others stop now.
            if worker not in self._handing:
                worker.cancel()
        if workers:
            _, hanging = await asyncio.wait(workers, timeout=LONGEST_PAUSE)
            for worker in hanging:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        for waits in self._waiters.values():
            for wait in waits:
                wait.cancel()
        self._waiters.clear()
        if not self._platforms:
            return 0
        try:
            left = await InboxEvent.filter(platform__in=sorted(self._platforms)).count()
        except Exception:  # the database may be what is stopping us; the rows are safe either way
            log.warning("inbox: stopped; could not count the events left in it")
            return -1
        if left:
            log.warning("inbox: %d events are still stored; they are handled at the next start", left)
        return left

    # -- handling ----------------------------------------------------------------------------------
    async def consume(self, event: MessageReceived, uow: UnitOfWork) -> None:
        """Inside ``event``'s transaction: delete its row, if it came from here (the bus calls this)."""
        current = self._current.get(event.event_id)
        if current is None:
            return
        await InboxEvent.filter(id=current.row_id).delete()
        uow.on_commit(current.gone)  # if the transaction is rolled back, the row is back too

    def _poke(self, key: str) -> None:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key)
        lane.more = True
        if lane.worker is None and not self._stopping:
            self._idle.clear()
            lane.worker = asyncio.create_task(self._work(lane), name=f"inbox:{key}")

    async def _work(self, lane: _Lane) -> None:
        failures = 0
        try:
            while lane.more and not self._stopping:
                lane.more = False
                try:
                    rows = await self._page(lane.key)
                    for row_id, payload in rows:
                        if self._stopping:  # the rest stays stored for the next start
                            return
                        await self._handle(int(row_id), payload)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # A lane never stops: its stored events would wait for the next start, or for someone
                    # in that chat to write again. It pauses (as for an outage) and reads its rows again.
                    if failures == 0:
                        log.exception("inbox: the %s lane failed; it is tried again with back-off", lane.key)
                    lane.more = True
                    await asyncio.sleep(self._pause(failures))
                    failures += 1
                    continue
                if failures:
                    log.warning("inbox: the %s lane goes on", lane.key)
                    failures = 0
                if len(rows) == PAGE:
                    lane.more = True
        finally:
            lane.worker = None
            if self._lanes.get(lane.key) is lane and not lane.more:
                del self._lanes[lane.key]
            if not any(other.worker is not None for other in self._lanes.values()):
                self._idle.set()

    async def _page(self, key: str) -> list[tuple[Any, Any]]:
        """The lane's oldest rows; read again and again while the database is away."""
        rows = await self._while_unavailable(lambda: InboxEvent.filter(
            lane=key, platform__in=sorted(self._platforms)).order_by("id").limit(PAGE).values_list("id", "payload"))
        return list(rows)

    async def _handle(self, row_id: int, payload: Any) -> None:
        """Handle one stored event until it is handled or set aside; a lane never skips one."""
        try:
            event = decode(payload)
        except Exception as error:  # a row no version of the event format can read
            log.error("inbox: row %s cannot be read (%r); it is dropped", row_id, error)
            await self._delete(row_id)
            return
        attempt = 0
        while not self._stopping:
            current = self._current[event.event_id] = _Current(row_id)
            worker = asyncio.current_task()
            self._handing.add(worker)
            try:
                handled = await self._host.accept(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # the bus logged it; the core sets an event failing for its own reasons aside after a few tries
                failure: Exception | None = error
            else:
                failure = None
            finally:
                self._handing.discard(worker)
                self._current.pop(event.event_id, None)
            if failure is not None:
                wait = self._pause(attempt)
                attempt += 1
                log.debug("inbox: %s is tried again in %.1f s (%r)", event.event_id, wait, failure)
                await asyncio.sleep(wait)
                continue
            if not current.consumed:  # handled without the bus's transaction: its row goes now
                await self._delete(row_id)
            self.handled += 1
            for wait_for in self._waiters.pop(event.event_id, []):
                if not wait_for.done():
                    wait_for.set_result(handled)
            return

    async def _delete(self, row_id: int) -> None:
        """Drop a row outside an event's transaction, waiting for the database if need be (a row left
        behind is handled again after a restart, a no-op then, but not skipped here)."""
        await self._while_unavailable(lambda: InboxEvent.filter(id=row_id).delete())

    async def _while_unavailable(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work()``, again after a pause for as long as the database is away; any other error goes up."""
        attempt = 0
        while True:
            try:
                return await work()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_unavailable(error):
                    raise
                await asyncio.sleep(self._pause(attempt))
                attempt += 1

    def _pause(self, attempt: int) -> float:
        return backoff_delay(attempt, self._retry_base, self._retry_cap, self._rng)

    def _unwait(self, event_id: str, wait: asyncio.Future[bool]) -> None:
        waits = self._waiters.get(event_id, [])
        if wait in waits:
            waits.remove(wait)
        if not waits:
            self._waiters.pop(event_id, None)
        wait.cancel()
