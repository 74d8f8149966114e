"""The event bus: ordered per community, concurrent across communities, bounded, isolating, once-only.

``publish`` puts an event in its partition's queue and returns; it waits only when ``max_pending``
events are already accepted and unhandled (back-pressure instead of unbounded memory). One worker per
busy partition handles its events strictly in order. Each event is handled in one database transaction:
the platform event id is marked processed there (so a redelivery is a no-op, across restarts too; the
router takes the mark itself only for messages that ask for something, so chatter writes nothing), every
subscriber's work can be undone alone (a failing one is rolled back, logged and apologised for; the
others and the bus go on: optimistically without savepoints, and only after a failure again with one per
subscriber), domain events published meanwhile are handled in the same transaction, the replies
are stored in the outbox in that transaction too (:mod:`core.outbox`), and sent after the commit
(:mod:`core.delivery`). A subscriber failing because the database is unreachable or busy fails the whole
event instead (nothing is committed, nothing apologised for), so the adapter does not acknowledge it and
offers it again later.

A broker-backed bus (Redis Streams, NATS JetStream) offers the same ``subscribe``/``publish``/``join``/
``close``; plugins cannot tell them apart.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.events import Event, MessageReceived, OutgoingMessage, PluginToggled
from core.metrics import UNOWNED, Metrics
from core.storage import SavepointMissing, is_unavailable, lazy_savepoints
from core.unit_of_work import UnitOfWork, current_work

log = logging.getLogger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
CORE = "core"


@dataclass(frozen=True)
class Subscription:
    """``handler(event, uow)`` is called for every event that is an instance of ``event_type``.

    ``event_type`` may also be a domain event's stable name (``"claims.claim_verified"``), so a plugin can
    react to an optional plugin's events without importing it; the handler then reads the event's
    attributes by name.
    """

    event_type: type[Event] | str
    handler: Handler
    plugin: str = CORE
    #: The handler marks the platform event processed itself (``uow.mark_processed()``) before it changes
    #: anything, and only when it does; the router does, so plain chatter costs no write.
    marks_processed: bool = False
    #: ``quiet(event)`` True: the handler will neither read nor write the database for this event (plain
    #: chatter, for the router), so when it is the only one to hear it, it runs without a transaction.
    quiet: Callable[[Any], bool] | None = None

    def matches(self, event: Event) -> bool:
        if isinstance(self.event_type, str):
            return any(getattr(cls, "event_name", None) == self.event_type for cls in type(event).__mro__)
        return isinstance(event, self.event_type)


class BusHost(Protocol):
    """What the bus needs from the application around it."""

    def partition_key(self, event: Event) -> str: ...

    def now(self) -> datetime: ...

    def community_of(self, event: Event) -> int | None: ...

    def plugin_enabled(self, community_id: int | None, plugin: str) -> bool: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    async def store_replies(self, messages: list[OutgoingMessage]) -> StoredReplies:
        """Write ``messages`` to the outbox inside the current transaction."""
        ...

    async def deliver(self, replies: StoredReplies) -> None:
        """Start sending replies whose transaction has committed."""
        ...

    def apology(self, event: MessageReceived) -> OutgoingMessage: ...

    async def consume(self, event: MessageReceived, uow: UnitOfWork) -> None:
        """Inside the event's transaction: delete its row from the inbox, if it came from there."""
        ...


@dataclass(frozen=True)
class StoredReplies:
    """Replies written to the outbox (row id, message, lane), and pop-ups, which answer a button press
    being handled right now and are shown at once or not at all (never stored)."""

    rows: tuple[tuple[int, OutgoingMessage, str], ...] = ()
    popups: tuple[OutgoingMessage, ...] = ()


def describe(event: Event) -> str:
    """An event as logs name it: its id and kind, never its words or who said them (a rating, a
    badge request's note or a name has no place in a log file)."""
    event_id = getattr(event, "event_id", None)
    return f"{type(event).__name__} {event_id}" if event_id else type(event).__name__


class BusClosed(RuntimeError):
    """Publishing after shutdown began."""


class _Optimism(Exception):
    """A subscriber failed while none had a savepoint: roll everything back and handle the event carefully."""

    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


class EventBus:
    def __init__(self, host: BusHost, *, max_pending: int = 1000) -> None:
        self._host = host
        self._subscriptions: list[Subscription] = []
        #: Subscriptions by the event class they match, in subscription order (worked out once per class).
        self._by_type: dict[type[Event], list[Subscription]] = {}
        self._capacity = asyncio.Semaphore(max_pending)
        self._queues: dict[str, deque[tuple[Event, asyncio.Future[bool] | None]]] = defaultdict(deque)
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._database_away = False
        self.handled = 0
        self.duplicates = 0
        self.failures = 0
        self.metrics: Metrics = UNOWNED

    # -- subscribing -------------------------------------------------------------------------------
    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)
        self._by_type.clear()

    def unsubscribe_plugin(self, plugin: str) -> None:
        self._subscriptions = [s for s in self._subscriptions if s.plugin != plugin]
        self._by_type.clear()

    def _hearing(self, event: Event) -> list[Subscription]:
        """The subscriptions ``event`` is delivered to now, in order."""
        matching = self._by_type.get(type(event))
        if matching is None:
            matching = self._by_type[type(event)] = [s for s in self._subscriptions if s.matches(event)]
        community_id = self._host.community_of(event)
        return [s for s in matching if self._delivers(s, event, community_id)]

    # -- publishing --------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return self._pending

    async def publish(self, event: Event) -> None:
        """Accept ``event`` for handling; waits while the bus is full."""
        await self._accept(event, None)

    async def publish_and_wait(self, event: Event) -> bool:
        """Accept ``event`` and wait until it is handled and committed; False if it was a duplicate.

        For adapters that acknowledge an update to the platform only once its effects are durable.
        """
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._accept(event, done)
        return await done

    async def _accept(self, event: Event, done: asyncio.Future[bool] | None) -> None:
        if self._closed:
            raise BusClosed("the bus is shutting down")
        await self._capacity.acquire()
        key = self._host.partition_key(event)
        self._queues[key].append((event, done))
        self._pending += 1
        self._idle.clear()
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key), name=f"bus:{key}")

    async def join(self) -> None:
        """Wait until every accepted event has been handled."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop accepting events and drain what was accepted."""
        self._closed = True
        await self.join()

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                event, done = queue[0]
                try:
                    handled = await self.handle(event)
                    if self._database_away:
                        log.warning("the database is back; events are handled again")
                        self._database_away = False
                    if done is not None and not done.done():
                        done.set_result(handled)
                except Exception as exc:  # handle() isolates subscribers; this is the database failing
                    self.failures += 1
                    self.metrics.event(type(event).__name__, "unavailable" if is_unavailable(exc) else "failed")
                    if is_unavailable(exc):
                        if not self._database_away:  # once per outage, not once per event and retry
                            log.warning("events wait: the database is unavailable (%s)", exc)
                            self._database_away = True
                    else:
                        log.exception("event %s could not be handled", describe(event))
                    if done is not None and not done.done():
                        done.set_exception(exc)
                finally:
                    queue.popleft()
                    self._pending -= 1
                    self._capacity.release()
        finally:
            del self._workers[key]
            if not queue:
                del self._queues[key]
            if self._pending == 0:
                self._idle.set()

    # -- handling ----------------------------------------------------------------------------------
    async def handle(self, event: Event) -> bool:
        """Handle one event now, in one transaction; False if it was a duplicate.

        Optimistic first: every subscriber runs without a savepoint (two statements each saved on every
        event). Should one fail for a reason of its own, the whole transaction is rolled back and the event
        is handled again with a savepoint per subscriber, where the failing one is rolled back alone,
        logged and apologised for, and the others commit. So is an event whose first attempt met a
        statement failing inside a savepoint that was still waiting for a write (PostgreSQL,
        :mod:`core.postgres_engine`). The rare failure pays twice; nothing commits half-done either way,
        and the processed mark is in whichever transaction commits.
        """
        uow = UnitOfWork(now=self._host.now(), event_key=getattr(event, "event_id", None))
        if await self._quietly(event, uow):
            return True
        try:
            return await self._handle(event, uow, careful=False)
        except _Optimism as failed:
            log.info("handling %s again with a savepoint per subscriber after %r", describe(event), failed.error)
        except SavepointMissing as missed:  # a failed read a waiting savepoint could not undo (PostgreSQL)
            if is_unavailable(missed):  # the database is away: the event waits for it, as any other would
                raise
            log.info("handling %s again with a savepoint per subscriber after %r", describe(event), missed)
        return await self._handle(event, UnitOfWork(now=uow.now, event_key=uow.event_key), careful=True)

    async def _handle(self, event: Event, uow: UnitOfWork, *, careful: bool) -> bool:
        token = current_work.set(uow)  # caches hearing of a change repeat their invalidation after the commit
        lazy = lazy_savepoints.set(not careful)  # a failure is undone by the careful attempt (core.postgres_engine)
        try:
            async with self._host.transaction():
                if isinstance(event, MessageReceived):  # its inbox row goes with its effects (core.inbox)
                    await self._host.consume(event, uow)
                if self._claims_up_front(event) and not await uow.mark_processed():
                    self.duplicates += 1
                    self.metrics.event(type(event).__name__, "duplicate")
                    log.info("duplicate event %s ignored", uow.event_key)
                    return False
                await self._run_all(event, uow, careful=careful)
                replies = await self._host.store_replies(uow.outbox) if uow.outbox and not uow.duplicate else None
        finally:
            lazy_savepoints.reset(lazy)
            current_work.reset(token)
        if uow.duplicate:  # found by the router, before it changed anything
            self.duplicates += 1
            self.metrics.event(type(event).__name__, "duplicate")
            log.info("duplicate event %s ignored", uow.event_key)
            return False
        uow.committed()
        self.handled += 1
        self.metrics.event(type(event).__name__, "handled")
        if replies is not None:
            await self._host.deliver(replies)
        return True

    async def _quietly(self, event: Event, uow: UnitOfWork) -> bool:
        """Handle ``event`` without a transaction when every subscriber hearing it says it is quiet (plain
        chat: the speaker is noted in memory, nothing else happens, so there is nothing to commit). An
        event from the inbox still has its row deleted, a statement of its own."""
        hearing = self._hearing(event)
        if not hearing or not all(s.quiet is not None and s.quiet(event) for s in hearing):
            return False
        if isinstance(event, MessageReceived):
            await self._host.consume(event, uow)
        for subscription in hearing:
            await subscription.handler(event, uow)
        if uow.outbox or uow.events or uow.marked:
            raise RuntimeError(f"a quiet handler changed something for {describe(event)}")
        uow.committed()
        self.handled += 1
        self.metrics.event(type(event).__name__, "handled")
        return True

    async def run_in_transaction(self, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        """Run ``work`` (a scheduler job, a CLI action) like a subscriber: one transaction, events, outbox."""
        uow = UnitOfWork(now=self._host.now())
        token = current_work.set(uow)
        eager = lazy_savepoints.set(False)  # nothing would handle it again: every savepoint sent at once
        try:
            async with self._host.transaction():
                result = await work(uow)
                for current in uow.take_events():
                    await self._run_all(current, uow)
                replies = await self._host.store_replies(uow.outbox) if uow.outbox else None
        finally:
            lazy_savepoints.reset(eager)
            current_work.reset(token)
        uow.committed()
        if replies is not None:
            await self._host.deliver(replies)
        return result

    async def _run_all(self, event: Event, uow: UnitOfWork, *, careful: bool = True) -> None:
        """``event`` and the domain events its subscribers publish, in order, in this transaction
        (``careful``: a savepoint per subscriber; otherwise none, and a failure is :class:`_Optimism`)."""
        todo: deque[Event] = deque([event])
        while todo:
            current = todo.popleft()
            await self._run_subscribers(current, uow, careful=careful)
            todo.extend(uow.take_events())

    def _claims_up_front(self, event: Event) -> bool:
        """Whether to mark the event processed before any subscriber runs: unless every subscriber that
        will hear it claims it itself (the router, which does so only when a message asks for action)."""
        return any(not s.marks_processed for s in self._hearing(event))

    def _delivers(self, subscription: Subscription, event: Event, community_id: int | None) -> bool:
        """Core subscribers hear everything; a plugin hears its community's events while it is on there,
        and always hears that it was itself switched on or off (so it can prepare or pause)."""
        if subscription.plugin == CORE or self._host.plugin_enabled(community_id, subscription.plugin):
            return True
        return isinstance(event, PluginToggled) and event.plugin == subscription.plugin

    async def _run_subscribers(self, event: Event, uow: UnitOfWork, *, careful: bool = True) -> None:
        hearing = self._hearing(event)
        if not careful:
            for subscription in hearing:
                try:
                    await subscription.handler(event, uow)
                except Exception as error:
                    if is_unavailable(error):
                        raise
                    raise _Optimism(error) from error
            return
        for subscription in hearing:
            mark = uow.mark()
            try:
                async with self._host.transaction():  # a savepoint: a failure undoes only this subscriber
                    with self.metrics.timed(subscription.plugin):
                        await subscription.handler(event, uow)
            except Exception as error:
                if is_unavailable(error):
                    raise  # not this subscriber's fault: the whole event waits for the database
                self.failures += 1
                self.metrics.plugin_error(subscription.plugin)
                uow.rollback_to(mark)
                log.exception(
                    "subscriber %s of plugin %s failed on %s",
                    getattr(subscription.handler, "__qualname__", subscription.handler),
                    subscription.plugin,
                    describe(event),
                )
                if isinstance(event, MessageReceived):
                    uow.send(self._host.apology(event))

