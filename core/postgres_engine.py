"""PostgreSQL through asyncpg, with savepoints sent only when something is about to be written: the Tortoise
engine linli uses for ``postgres://`` URLs (Tortoise's asyncpg engine otherwise).

Why: a command's handler runs in a savepoint (a refusal undoes what it changed), and most handlers only
read. On PostgreSQL each ``SAVEPOINT`` and ``RELEASE`` is a round trip: two of the trivial command's seven,
and ``/认领`` opens three savepoints inside each other before its first write. As on SQLite
(:mod:`core.sqlite_engine`), a savepoint is sent just before the first statement inside it that is not a
plain ``SELECT``, savepoints opened inside each other before that share the one sent, and one nobody wrote
in is never sent nor released.

The catch, which SQLite does not have: a statement that fails aborts a PostgreSQL transaction, and only a
savepoint taken before it can bring the transaction back. So savepoints wait only where a failure can be
undone another way: inside the bus's first, optimistic attempt at an event (:data:`core.storage.
lazy_savepoints`, set by the bus), which on any failure of a subscriber handles the event again from the
start with every savepoint sent at once. A statement failing while a savepoint waits marks the transaction
broken; ending that savepoint (rolled back or not), any later statement and the commit then raise
:class:`core.storage.SavepointMissing`, so the failure reaches the bus, never a silent rollback at COMMIT.
Everywhere else (scheduler jobs, the command line, the bus's careful attempt) a savepoint is sent when it
is opened, as Tortoise does. A ``SELECT … FOR UPDATE`` counts as a read: its row locks stay until the
transaction ends even when the savepoint around it is rolled back (milliseconds later).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import NestedTransactionContext, TransactionContext, TransactionContextPooled
from tortoise.exceptions import TransactionManagementError

from core.storage import SavepointMissing, is_plain_select, lazy_savepoints

T = TypeVar("T")


class _Savepoints:
    """One transaction's savepoints: how many are open, which of them were sent (by the depth whose name
    the one sent bears), whether the transaction may be aborted with a savepoint still waiting
    (``broken``), whether :class:`SavepointMissing` was raised in it (``missed``: then it never commits,
    whatever caught the exception), and the lock its statements take (the outermost wrapper's). Savepoints
    of one transaction must not be opened by tasks running side by side, as with Tortoise's own."""

    __slots__ = ("broken", "lock", "missed", "open", "sent_as")

    def __init__(self, lock: asyncio.Lock) -> None:
        self.open = 0
        self.sent_as: list[int] = []
        self.broken = False
        self.missed = False
        self.lock = lock

    @property
    def waiting(self) -> bool:
        return self.open > len(self.sent_as)

    def missing(self) -> SavepointMissing:
        self.missed = True
        return SavepointMissing("a statement failed inside a savepoint that was not sent")


class _NestedBlock(NestedTransactionContext):
    """Tortoise's nested block, telling the savepoint how the block ended: one left by a cancellation (or
    any exception that is not an ``Exception``) ends without complaint, so the cancellation goes on."""

    client: LazyTransactionWrapper

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if self.client._finalized or exc_type is TransactionManagementError:
            return  # as Tortoise's: a block Tortoise itself gave up on is left for the outer one
        await self.client._end(undo=exc_type is not None,
                               complain=exc_type is None or issubclass(exc_type, Exception))


class LazyTransactionWrapper(TransactionWrapper):
    """Tortoise's asyncpg transaction, with the savepoints of :mod:`this module <core.postgres_engine>`.

    Tortoise sends a nested block's statements through the outermost wrapper (the one in its context
    variable) and only the savepoint calls through the nested one, so all of them share one
    :class:`_Savepoints`."""

    def __init__(self, connection: Any, savepoints: _Savepoints | None = None) -> None:
        super().__init__(connection)
        self._savepoints = savepoints if savepoints is not None else _Savepoints(self._lock)
        self._lock = self._savepoints.lock
        self._depth = 0

    def _in_transaction(self) -> TransactionContext:
        return _NestedBlock(LazyTransactionWrapper(self, self._savepoints))

    # -- savepoints ----------------------------------------------------------------------------------
    async def savepoint(self) -> None:
        state = self._savepoints
        if lazy_savepoints.get():
            state.open += 1
        else:
            async with state.lock:
                if state.broken:
                    raise state.missing()
                await self._send(state.open + 1)
                state.open += 1
        self._depth = state.open

    async def _send(self, upto: int) -> None:
        """Send one savepoint for the depths up to ``upto`` not sent yet (named after the first of them);
        the caller holds the lock."""
        state = self._savepoints
        first = len(state.sent_as) + 1
        try:
            await self._connection.execute(f"SAVEPOINT linli_sp{first}")
        except BaseException:  # not known to exist: nothing may roll back to it
            state.broken = True
            raise
        state.sent_as.extend([first] * (upto - first + 1))

    async def _end(self, *, undo: bool, complain: bool = True) -> None:
        """End the savepoint at this depth. ``complain``: the block ended normally or with an ``Exception``;
        False while a cancellation unwinds (it must go on: the transaction is rolled back after it)."""
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        state, depth = self._savepoints, self._depth
        self._finalized = True
        sent = len(state.sent_as) >= depth
        sent_as = state.sent_as[depth - 1] if sent else 0
        del state.sent_as[depth - 1:]
        state.open = depth - 1
        if sent and (undo or not state.broken):
            async with state.lock:
                try:
                    if undo:
                        await self._connection.execute(f"ROLLBACK TO SAVEPOINT linli_sp{sent_as}")
                        state.broken = False  # back before anything that failed in it
                    if sent_as == depth:
                        await self._connection.execute(f"RELEASE SAVEPOINT linli_sp{sent_as}")
                except BaseException:  # the block's writes may still be there: nothing may commit them
                    state.broken = True
                    raise
        elif state.broken and complain:
            raise state.missing()

    async def savepoint_rollback(self) -> None:
        await self._end(undo=True)

    async def release_savepoint(self) -> None:
        await self._end(undo=False)

    async def commit(self) -> None:
        state = self._savepoints
        if state.broken or state.missed:  # PostgreSQL would answer COMMIT with a silent ROLLBACK, or the
            await self.rollback()  # result would differ from the careful attempt's: never commit it
            raise state.missing()
        await super().commit()

    # -- statements ----------------------------------------------------------------------------------
    async def _run(self, sql: str, run: Callable[[], Awaitable[T]]) -> T:
        state = self._savepoints
        if state.broken:  # the transaction is aborted: this statement would fail for that reason alone
            raise state.missing()
        if state.waiting and not is_plain_select(sql):
            async with state.lock:
                if state.broken:
                    raise state.missing()
                if state.waiting:
                    await self._send(state.open)
        try:
            return await run()
        except BaseException:  # failed or cancelled half way: the transaction may be aborted
            if state.waiting:
                state.broken = True
            raise

    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, list[dict[str, Any]]]:
        return await self._run(query, lambda: super(LazyTransactionWrapper, self).execute_query(query, values))

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        return await self._run(query, lambda: super(LazyTransactionWrapper, self).execute_query_dict(query, values))

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        return await self._run(query, lambda: super(LazyTransactionWrapper, self).execute_insert(query, values))

    async def execute_many(self, query: str, values: list[Any]) -> None:
        await self._run(query, lambda: super(LazyTransactionWrapper, self).execute_many(query, values))

    async def execute_script(self, query: str) -> None:
        await self._run("--", lambda: super(LazyTransactionWrapper, self).execute_script(query))


class LazySavepointsClient(AsyncpgDBClient):
    """Tortoise's asyncpg client whose transactions are :class:`LazyTransactionWrapper`."""

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(cast(Any, LazyTransactionWrapper(self)), self._pool_init_lock)


#: What Tortoise looks up in an engine module.
client_class = LazySavepointsClient
