"""One transaction's worth of work: its database changes, the messages to send and the events to publish.

Handlers never talk to a platform directly: they add messages to the outbox, which is sent only after the
transaction commits. So a handler that fails (and is rolled back to its savepoint) says nothing it did
not do, and a crash before the commit leaves nothing half-announced. Domain events published during
the work are delivered within the same transaction, so a fact and its consequences (points!) commit
together.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.events import DomainEvent, OutgoingMessage
from core.processed import mark_processed as _mark_processed


@dataclass
class UnitOfWork:
    #: When the work happens, by the application's clock (tests move it); stamped on what it writes.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    outbox: list[OutgoingMessage] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    #: In-memory changes (caches) that must follow the database only once it has committed.
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: The platform event being handled, marked processed (once) by :meth:`mark_processed`.
    event_key: str | None = None
    #: Communities whose points this work changed (None: any): their rankings read now are not kept.
    changed_rankings: set[int | None] = field(default_factory=set)
    marked: bool = False
    duplicate: bool = False

    def send(self, message: OutgoingMessage) -> None:
        self.outbox.append(message)

    def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    async def mark_processed(self) -> bool:
        """Mark the platform event processed before changing anything; False if it already was.

        The mark is written in the current transaction (or savepoint), so it commits with the effects. The
        bus claims up front where it cannot know what subscribers will do; the router claims only when a
        message is a command or answers a question, so ordinary chatter writes nothing.
        """
        if self.event_key is None or self.marked:
            return not self.duplicate
        self.marked = True
        self.duplicate = not await _mark_processed(self.event_key)
        return not self.duplicate

    def on_commit(self, change: Callable[[], None]) -> None:
        self.after_commit.append(change)

    def mark(self) -> tuple[int, int, int, bool]:
        """A point to roll back to when one handler fails and its savepoint is rolled back."""
        return len(self.outbox), len(self.events), len(self.after_commit), self.marked

    def rollback_to(self, mark: tuple[int, int, int, bool]) -> None:
        del self.outbox[mark[0] :]
        del self.events[mark[1] :]
        del self.after_commit[mark[2] :]
        self.marked = mark[3]  # a mark written inside the rolled-back savepoint is gone with it

    def committed(self) -> None:
        for change in self.after_commit:
            change()
        self.after_commit.clear()

    def take_events(self) -> list[DomainEvent]:
        taken, self.events = self.events, []
        return taken


#: The unit of work the bus is running now (None outside one): lets a cache that hears of a change
#: (a model signal) repeat its invalidation after the commit, when other transactions see the change.
current_work: ContextVar[UnitOfWork | None] = ContextVar("current_work", default=None)


def after_this_commit(change: Callable[[], None]) -> None:
    """Run ``change`` after the current unit of work commits (at once when there is none)."""
    uow = current_work.get()
    if uow is None:
        change()
    else:
        uow.on_commit(change)
