"""SQLite run in the event loop's own thread: the Tortoise engine linli uses for ``sqlite://`` URLs.

Why: Tortoise's SQLite backend goes through aiosqlite, which hands every statement to a worker thread and
waits for it through the event loop: two thread switches and a loop wake-up per statement (≈ 40 µs,
twice per statement because the cursor is closed the same way), while the statements of linli's hot path
take 1–10 µs inside SQLite. Measured on the trivial command, those hops were most of its time. Here the
statements run where the coroutine runs, and three rules keep the loop free for every other community,
the polling and ``/healthz``:

- **No busy wait in the loop's thread.** The connection's own ``busy_timeout`` is 0; when another process
  holds the database (``linli import``, ``linli backup``, a migration), the statement is retried after
  ``asyncio.sleep`` until the configured ``busy_timeout`` has passed, then fails as "database is locked"
  (which :func:`core.storage.is_unavailable` treats as "not now").
- **Transactions start with ``BEGIN IMMEDIATE``.** The write lock is taken (or waited for, as above)
  before the first statement. Inside the process the transactions are serialised by Tortoise's lock
  anyway; across processes this means no statement meets a busy database half way through a transaction,
  where a stale snapshot could not be retried.
- **Checkpoints happen in a worker thread.** Copying the write-ahead log back into the database file
  (with an fsync) was half the cost of a commit when SQLite did it inside the committing statement; the
  connection's automatic checkpoint is off and a second connection runs a passive checkpoint in a worker
  thread every :data:`CHECKPOINT_EVERY` writes (passive: it never blocks a writer or waits for one).
- **A long read leaves the loop.** A ``SELECT`` gets :data:`READ_BUDGET_S`; past it, a progress handler
  interrupts the statement (an interrupted read-only statement rolls nothing back) and it is run again in
  a worker thread (a read cancelled meanwhile is interrupted and waited for, so the connection is never
  busy in two threads). It still holds the one writer's place: reads of the last committed state on a
  connection of their own, outside the writer, are the next step (README, Performance).
- **A savepoint costs nothing until something is written.** ``SAVEPOINT`` is sent just before the first
  statement inside it that is not a plain ``SELECT`` (SQLite's reads change nothing and a failed one undoes
  nothing, so rolling back to a savepoint taken that late undoes the same); one nobody wrote in is neither
  released nor rolled back, because it never existed, and savepoints opened one inside the other before
  a write share the one sent. The trivial command's handler runs in a savepoint and writes nothing: two
  statements fewer; ``/认领`` opens three before its first write: four fewer. (On PostgreSQL a failed
  read aborts the transaction unless a savepoint was already taken: :mod:`core.postgres_engine` lets
  savepoints wait only where the bus can handle the event again.)
- **A failure never leaves a transaction open** on the shared connection: a BEGIN that fails lets go of
  Tortoise's lock, a COMMIT that fails or is cancelled is rolled back, ``execute_many`` (bulk inserts,
  batch deletes) rolls back on cancellation too, and a BEGIN that still finds a transaction open rolls it
  back, loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from tortoise.backends.base.client import NestedTransactionContext, TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from core.storage import WAL_FILE_BYTES, is_plain_select

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_BUSY, SQLITE_LOCKED, SQLITE_INTERRUPT = 5, 6, 9
SQLITE_BUSY_SNAPSHOT = SQLITE_BUSY | (2 << 8)
#: How long a read may run in the loop's thread before it is moved to a worker thread.
READ_BUDGET_S = 0.002
#: Writes (commits, and statements outside a transaction) between two checkpoints. SQLite's own default
#: is every 1,000 pages of log; a small write is two or three pages.
CHECKPOINT_EVERY = 300
#: A log file larger than this gets a restarting checkpoint instead of a passive one. It is the size the file
#: is cut back to when the log starts over, so after a restart the file is not larger than this (hence ``>``
#: in ``_checkpoint``) and the next restart waits until the log has grown past it again.
WAL_RESTART_BYTES = WAL_FILE_BYTES
#: The progress handler runs every this many virtual-machine steps (a few µs apart).
_PROGRESS_STEPS = 2_000


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", 0)
    return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED) and code != SQLITE_BUSY_SNAPSHOT


class _Cursor:
    """What Tortoise does with the result of ``execute``: close it."""

    async def close(self) -> None:
        return None


_CLOSED = _Cursor()


class InlineConnection:
    """The part of ``aiosqlite.Connection`` Tortoise uses, run in the calling thread (see the module)."""

    def __init__(self, path: str, busy_timeout_s: float) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=0")
        self.busy_timeout_s = busy_timeout_s
        self._read_deadline = 0.0
        self._interrupted = False
        #: Savepoints open in the current transaction (see ``InlineTransaction.savepoint``), and how many of
        #: them SQLite has been sent (the rest wait for the first write, see the module).
        self.savepoints = 0
        self.sent_savepoints = 0
        #: For each savepoint sent, by depth: the depth whose name the one sent for it bears.
        self._sent_as: list[int] = []
        self._writes = 0
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpointing: asyncio.Task[None] | None = None

    def checkpoint_in_background(self) -> None:
        """Take over checkpoints (a file database in WAL mode only: memory databases have none)."""
        if self.path != ":memory:" and self._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
            self._writes = 1

    def _wrote(self) -> None:
        if not self._writes:
            return  # checkpoints stay SQLite's
        self._writes += 1
        if self._writes > CHECKPOINT_EVERY and (self._checkpointing is None or self._checkpointing.done()):
            self._writes = 1
            self._checkpointing = asyncio.get_running_loop().create_task(
                asyncio.to_thread(self._checkpoint), name="sqlite:checkpoint")

    def _checkpoint(self) -> None:
        """A passive checkpoint; if it copied the whole log and the log file has grown past
        :data:`WAL_RESTART_BYTES` anyway (writes kept arriving while passive checkpoints ran, so the log
        never started over), a restarting one that waits at most 50 ms for readers (a backup holds one):
        the writer waits for it meanwhile, with ``asyncio.sleep`` (see ``_retrying``)."""
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self._checkpointer.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            _blocked, log_frames, copied = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if log_frames == copied and _size(f"{self.path}-wal") > WAL_RESTART_BYTES:
                # everything is copied: start the log over, waiting briefly (a backup's reader may hold it)
                self._checkpointer.execute("PRAGMA busy_timeout=50")
                try:
                    self._checkpointer.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                finally:
                    self._checkpointer.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
        except sqlite3.Error as error:  # the next one tries again; SQLite's own checkpoint at close remains
            log.warning("sqlite: a checkpoint of %s failed (%s)", self.path, error)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    async def _retrying(self, call: Callable[[], T]) -> T:
        """``call()`` now; while the database is locked by another process, again after a pause."""
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self.busy_timeout_s, 0.001
        while True:
            await asyncio.sleep(pause)
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not _busy(error) or loop.time() >= deadline:
                    raise
            pause = min(pause * 2, 0.05)

    def _over_budget(self) -> int:
        if time.perf_counter() > self._read_deadline:
            self._interrupted = True
            return 1
        return 0

    def _writing(self) -> None:
        """A write is about to happen: send one savepoint for all those taken since the last write, if any
        wait. Nothing was written between them, so each of them would roll back to the same state; the one
        sent is named after the outermost and released with it (:meth:`end_savepoint`)."""
        if self.savepoints <= self.sent_savepoints or not self._conn.in_transaction:
            return
        first = self.sent_savepoints + 1
        self._conn.execute(f"SAVEPOINT linli_sp{first}")
        self._sent_as.extend([first] * (self.savepoints - self.sent_savepoints))
        self.sent_savepoints = self.savepoints

    def end_savepoint(self, depth: int, *, undo: bool) -> None:
        """End the savepoint at ``depth`` (and any inside it left open), rolling back to it first when
        ``undo``; one that was never sent has nothing to undo or release, and one sent together with an
        outer one is released only with that one (the outer one still needs the same point to return to)."""
        if self.sent_savepoints >= depth:
            sent_as = self._sent_as[depth - 1]
            if undo:
                self._conn.execute(f"ROLLBACK TO linli_sp{sent_as}")
            if sent_as == depth:
                self._conn.execute(f"RELEASE linli_sp{sent_as}")
            del self._sent_as[depth - 1:]
            self.sent_savepoints = depth - 1
        self.savepoints = depth - 1

    async def _rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        if not is_plain_select(sql):
            self._writing()
            return await self._retrying(lambda: self._conn.execute(sql, params).fetchall())

        def bounded() -> list[Any]:
            self._interrupted = False
            self._read_deadline = time.perf_counter() + READ_BUDGET_S
            self._conn.set_progress_handler(self._over_budget, _PROGRESS_STEPS)
            try:
                return self._conn.execute(sql, params).fetchall()
            finally:
                self._conn.set_progress_handler(None, 0)

        try:
            return await self._retrying(bounded)
        except sqlite3.OperationalError as error:
            if not (self._interrupted and getattr(error, "sqlite_errorcode", 0) == SQLITE_INTERRUPT):
                raise
        # a long read: the rest of it in a worker thread (the loop serves others meanwhile)
        return await self._in_worker(lambda: self._conn.execute(sql, params).fetchall())

    async def _in_worker(self, call: Callable[[], T]) -> T:
        """``call()`` in a worker thread. If the waiting task is cancelled, the statement is interrupted and
        waited for before the cancellation goes on: the caller then lets go of Tortoise's lock, and the next
        statement must not find the connection still busy in another thread (it would wait in the loop)."""
        running = asyncio.ensure_future(asyncio.to_thread(call))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            while not running.done():  # however often the waiting task is cancelled meanwhile
                self._conn.interrupt()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([running])
            if not running.cancelled():
                running.exception()  # the interrupted statement's error: expected, retrieved
            raise

    # -- what Tortoise calls --------------------------------------------------------------------------
    async def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Cursor:
        self._writing()
        await self._retrying(lambda: self._conn.execute(sql, params or ()))
        if not self._conn.in_transaction:
            self._wrote()
        return _CLOSED

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
        rows = await self._rows(sql, params or ())
        if not self._conn.in_transaction and not is_plain_select(sql):
            self._wrote()
        return rows

    async def execute_insert(self, sql: str, params: Sequence[Any] | None = None) -> tuple[int]:
        self._writing()
        cursor = await self._retrying(lambda: self._conn.execute(sql, params or ()))
        if not self._conn.in_transaction:
            self._wrote()
        return (int(cursor.lastrowid or 0),)

    async def executemany(self, sql: str, values: Iterable[Sequence[Any]]) -> _Cursor:
        self._writing()
        rows = list(values)
        await self._retrying(lambda: self._conn.executemany(sql, rows))
        if not self._conn.in_transaction:
            self._wrote()
        return _CLOSED

    async def executescript(self, script: str) -> _Cursor:
        """Schema scripts (start-up, migrations) commit as they go, so they are not retried statement by
        statement: they run in a worker thread with SQLite's own busy wait instead."""
        def run() -> None:
            self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            try:
                self._conn.executescript(script)
            finally:
                self._conn.execute("PRAGMA busy_timeout=0")

        self._writing()
        await self._in_worker(run)
        return _CLOSED

    async def begin(self) -> None:
        if self._conn.in_transaction:  # a transaction some failure left open: never build on it
            log.error("sqlite: a transaction was left open; rolling it back before the next one")
            self._conn.execute("ROLLBACK")
        await self._retrying(lambda: self._conn.execute("BEGIN IMMEDIATE"))
        self.savepoints = self.sent_savepoints = 0
        self._sent_as.clear()

    async def commit(self) -> None:
        if self._conn.in_transaction:  # a COMMIT that meets a busy database may be retried (SQLite's docs)
            await self._retrying(lambda: self._conn.execute("COMMIT"))
            self._wrote()

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def abandon(self) -> None:
        """Roll back whatever is still open (a commit that failed or was cancelled): the connection is
        shared, and the next transaction must start clean."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._conn.close()  # the last connection to close checkpoints what is left


class InlineSqliteClient(SqliteClient):
    """Tortoise's SQLite client on an :class:`InlineConnection`."""

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        pragmas = dict(self.pragmas)
        busy_ms = int(pragmas.pop("busy_timeout", 5000))
        connection = InlineConnection(self.filename, busy_ms / 1000)
        connection._conn.row_factory = sqlite3.Row
        for pragma, value in pragmas.items():
            await connection.execute(f"PRAGMA {pragma}={value}")
        connection.checkpoint_in_background()
        self._connection = cast(Any, connection)
        await self._post_connect()

    def _in_transaction(self) -> TransactionContext:
        return InlineTransactionContext(InlineTransaction(self), self._lock)

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        """Outside a transaction: all rows in one (Tortoise's rolls back on errors, not on cancellation)."""
        async with self.acquire_connection() as connection:
            inline = cast(InlineConnection, connection)
            try:
                await inline.begin()
                await inline.executemany(query, values)
                await inline.commit()
            except BaseException as error:
                inline.abandon()
                if isinstance(error, sqlite3.IntegrityError):
                    raise IntegrityError(error) from error
                if isinstance(error, sqlite3.OperationalError):
                    raise OperationalError(error) from error
                raise


class InlineTransactionContext(SqliteTransactionContext):
    """Tortoise's, except that a BEGIN that fails (the database stayed locked, or the wait was cancelled)
    lets go of the connection's lock: Tortoise's keeps it, and every later statement would wait forever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return cast(TransactionalDBClient, self.connection)

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:  # Tortoise's leaves it open when the COMMIT fails or the block ends in its own error
            cast(InlineConnection, self.connection._connection).abandon()


class InlineTransaction(SqliteTransactionWrapper):
    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(InlineTransaction(self))

    @property
    def _inline(self) -> InlineConnection:
        return cast(InlineConnection, self._connection)

    async def begin(self) -> None:
        try:
            await self._inline.begin()
        except sqlite3.OperationalError as exc:
            raise (OperationalError if _busy(exc) else TransactionManagementError)(exc) from exc

    # Savepoints are named by how deep they are, not by a counter as Tortoise names them: SQLite compiles
    # every statement text it has not seen (≈ 75 µs for a SAVEPOINT, and each has two statements), while a
    # repeated text comes from the statement cache. Each savepoint keeps its own name and is taken off the
    # stack when its block ends (released, or rolled back to and then released; releasing an outer one
    # releases any inner one left behind), so a repeated name always means the innermost of its depth.
    # It reaches SQLite only with the first write inside it (``InlineConnection._writing``).
    depth = 0

    async def savepoint(self) -> None:
        depth = self._inline.savepoints + 1
        self.depth, self._savepoint, self._inline.savepoints = depth, f"linli_sp{depth}", depth

    def _end(self, *, undo: bool) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to end")
        self._inline.end_savepoint(self.depth, undo=undo)
        self._savepoint = None

    async def savepoint_rollback(self) -> None:
        self._end(undo=True)

    async def release_savepoint(self) -> None:
        self._end(undo=False)

    # Statements inside a transaction: what Tortoise's client does with them, without what each one paid
    # for on its way (a decorator, a wrapper object and two more coroutines per statement, ≈ 3 µs: as much
    # as SQLite's own work for a small statement). The transaction's lock stays, so statements a handler
    # runs at once (``asyncio.gather``) still take turns on the connection.
    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
        async with self._lock:
            start = self._inline.total_changes
            rows = await self._statement(self._inline.execute_fetchall, query, values)
            return (self._inline.total_changes - start) or len(rows), rows

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        async with self._lock:
            return list(map(dict, await self._statement(self._inline.execute_fetchall, query, values)))

    async def execute_insert(self, query: str, values: list[Any]) -> int:
        async with self._lock:
            return (await self._statement(self._inline.execute_insert, query, values))[0]

    async def _statement(self, run: Callable[[str, Sequence[Any]], Awaitable[T]], query: str,
                         values: Sequence[Any] | None) -> T:
        if "\x00" in query:
            query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's client does: a NUL would end the text
        self.log.debug("%s: %s", query, values)
        try:
            return await run(query, values or ())
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc


#: What Tortoise looks up in an engine module.
client_class = InlineSqliteClient
