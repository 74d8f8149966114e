"""SQLite in the loop's thread (core.sqlite_engine): fast, and still never a frozen loop.

Another process holding the database, a long read and a burst of writes are what a running bot meets;
in each, the other communities' work (here: a ticker on the same loop) must go on, and the data must be
what the statements said.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from core import sqlite_engine
from core.storage import execute, fetch, is_unavailable
from core.testing import Harness
from tests.support.savepoints import random_nestings_keep_what_succeeded


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness.create(f"sqlite://{tmp_path / 'linli.db'}") as harness:
        yield harness


class Ticker:
    """Counts turns of the event loop every 5 ms: a frozen loop counts none."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.005)
            self.ticks += 1

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def other_process_holds_the_database(path: Path, seconds: float) -> asyncio.subprocess.Process:
    """A second process that takes the write lock for ``seconds`` (as ``linli import`` would)."""
    script = ("import sqlite3, sys, time\n"
              "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "c.execute('BEGIN IMMEDIATE'); c.execute('CREATE TABLE IF NOT EXISTS held (x)')\n"
              "print('locked', flush=True); time.sleep(float(sys.argv[2])); c.execute('COMMIT')\n")
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(path), str(seconds),
                                                   stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    assert (await process.stdout.readline()).strip() == b"locked"
    return process


async def test_statements_run_without_aiosqlite(h: Harness) -> None:
    client = connections.get("default")
    assert isinstance(client, sqlite_engine.InlineSqliteClient)
    assert not hasattr(client._connection, "_tx"), "no worker thread behind the connection"


async def test_a_database_held_by_another_process_is_waited_for_without_freezing_the_loop(
    h: Harness, tmp_path: Path,
) -> None:
    await h.send("王书记", "/setup 观梅社区")
    holder = await other_process_holds_the_database(tmp_path / "linli.db", 0.5)
    with Ticker() as ticker:
        replies = await h.send("王书记", "/whoami")
    await holder.wait()
    assert replies and "王书记" in replies[-1], "answered once the other process let go"
    assert ticker.ticks >= 10, f"the loop went on while waiting (ticked {ticker.ticks} times in ≥ 0.5 s)"


async def test_a_database_held_too_long_fails_as_unavailable_not_as_a_bug(h: Harness, tmp_path: Path) -> None:
    connection = connections.get("default")._connection
    connection.busy_timeout_s = 0.2
    holder = await other_process_holds_the_database(tmp_path / "linli.db", 1.0)
    try:
        with pytest.raises(Exception) as raised:
            async with in_transaction():
                await execute("UPDATE linli_community SET name = name")
        assert is_unavailable(raised.value), raised.value
    finally:
        await holder.wait()


async def test_a_long_read_moves_to_a_worker_thread_and_returns_every_row(h: Harness) -> None:
    count = ("SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
             "SELECT count(*) FROM c) AS n")
    with Ticker() as ticker:
        rows = await fetch(count)
    assert rows[0]["n"] == 2_000_000
    assert ticker.ticks >= 3, f"the loop went on during a read of ≥ 0.1 s (ticked {ticker.ticks} times)"


async def test_a_failed_inner_savepoint_keeps_the_outer_work_at_any_depth(h: Harness) -> None:
    await execute("CREATE TABLE said (word TEXT)")
    async with in_transaction():
        await execute("INSERT INTO said VALUES ('outer')")
        for _ in range(2):  # the same savepoint name twice in a row at the same depth
            with pytest.raises(RuntimeError):
                async with in_transaction():
                    await execute("INSERT INTO said VALUES ('inner, undone')")
                    async with in_transaction():
                        await execute("INSERT INTO said VALUES ('innermost, undone')")
                    raise RuntimeError("the handler failed")
        async with in_transaction():
            await execute("INSERT INTO said VALUES ('kept')")
        # a subscriber's savepoint around a handler's: both fail, the subscriber's write goes too
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await execute("INSERT INTO said VALUES ('subscriber, undone')")
                try:
                    async with in_transaction():
                        await execute("INSERT INTO said VALUES ('handler, undone')")
                        raise RuntimeError("the handler failed")
                finally:
                    await execute("INSERT INTO said VALUES ('after the handler, undone')")
    assert [r["word"] for r in await fetch("SELECT word FROM said ORDER BY rowid")] == ["outer", "kept"]


async def test_checkpoints_move_the_log_into_the_database_file(h: Harness, tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    await execute("CREATE TABLE filler (blob TEXT)")
    before = database.stat().st_size
    for _ in range(2 * sqlite_engine.CHECKPOINT_EVERY):
        async with in_transaction():
            await execute("INSERT INTO filler VALUES (?)", "x" * 2000)
    task = connections.get("default")._connection._checkpointing
    assert task is not None, "a checkpoint was started"
    await task
    assert database.stat().st_size > before + sqlite_engine.CHECKPOINT_EVERY * 2000, \
        "the rows reached the database file, not only the log"
    assert len(await fetch("SELECT blob FROM filler")) == 2 * sqlite_engine.CHECKPOINT_EVERY


async def test_statements_in_a_transaction_fail_as_tortoise_errors_and_take_turns(h: Harness) -> None:
    """Inside a transaction statements skip Tortoise's client layers; what callers catch stays the same."""
    await execute("CREATE TABLE uniq (k TEXT UNIQUE)")
    async with in_transaction():
        assert await execute("INSERT INTO uniq VALUES (?)", "a") == 1
        with pytest.raises(IntegrityError):
            await execute("INSERT INTO uniq VALUES (?)", "a")
        with pytest.raises(OperationalError):
            await fetch("SELECT nothing FROM uniq")
        # a read long enough to move to a worker thread, and a write sent meanwhile: the write waits its turn
        long_read = ("SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000) "
                     "SELECT count(*) FROM c) AS n, (SELECT count(*) FROM uniq) AS k")
        read, wrote = await asyncio.gather(fetch(long_read), execute("INSERT INTO uniq VALUES (?)", "b"))
        assert dict(read[0]) == {"n": 500_000, "k": 1} and wrote == 1
    assert [row["k"] for row in await fetch("SELECT k FROM uniq ORDER BY k")] == ["a", "b"]


async def test_the_log_file_is_kept_when_the_log_starts_over(h: Harness, tmp_path: Path) -> None:
    """A log cut back to nothing at every restart makes each commit extend the file again (the slow
    path of a file system); kept, the next commits overwrite it in place."""
    log_file = tmp_path / "linli.db-wal"
    await execute("CREATE TABLE filler (blob TEXT)")
    for _ in range(100):
        async with in_transaction():
            await execute("INSERT INTO filler VALUES (?)", "x" * 2000)
    grown = log_file.stat().st_size
    assert grown > 400_000
    other = sqlite3.connect(tmp_path / "linli.db", isolation_level=None)
    try:
        assert other.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0] == 0, "the whole log was copied"
    finally:
        other.close()
    async with in_transaction():  # the first write after the restart starts the log over
        await execute("INSERT INTO filler VALUES (?)", "y")
    assert log_file.stat().st_size == grown, "the log file was kept, to be overwritten"
    assert len(await fetch("SELECT blob FROM filler")) == 101


async def test_a_bulk_write_cancelled_while_waiting_leaves_no_transaction_open(h: Harness, tmp_path: Path) -> None:
    await execute("CREATE TABLE said (word TEXT)")
    holder = await other_process_holds_the_database(tmp_path / "linli.db", 0.5)
    client = connections.get("default")
    waiting = asyncio.ensure_future(client.execute_many("INSERT INTO said VALUES (?)", [["a"], ["b"]]))
    await asyncio.sleep(0.1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await holder.wait()
    async with in_transaction():  # would fail: "cannot start a transaction within a transaction"
        await execute("INSERT INTO said VALUES ('after')")
    assert [r["word"] for r in await fetch("SELECT word FROM said")] == ["after"]


async def test_an_inner_block_left_unreleased_does_not_break_the_outer_rollback(h: Harness) -> None:
    from tortoise.exceptions import TransactionManagementError

    await execute("CREATE TABLE said (word TEXT)")
    async with in_transaction():
        await execute("INSERT INTO said VALUES ('kept')")
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await execute("INSERT INTO said VALUES ('outer, undone')")
                with pytest.raises(TransactionManagementError):
                    async with in_transaction():  # Tortoise neither releases nor rolls back this one
                        await execute("INSERT INTO said VALUES ('inner, undone')")
                        raise TransactionManagementError("as Tortoise raises it")
                raise RuntimeError("the handler failed")
        async with in_transaction():
            await execute("INSERT INTO said VALUES ('next, kept')")
    assert [r["word"] for r in await fetch("SELECT word FROM said ORDER BY rowid")] == ["kept", "next, kept"]


class Sent:
    """Every statement SQLite itself is handed while the block runs (savepoints included)."""

    def __enter__(self) -> list[str]:
        self.conn = connections.get("default")._connection._conn
        self.seen: list[str] = []
        self.conn.set_trace_callback(self.seen.append)
        return self.seen

    def __exit__(self, *_exc: object) -> None:
        self.conn.set_trace_callback(None)


async def test_a_savepoint_nothing_was_written_in_never_reaches_sqlite(h: Harness) -> None:
    await execute("CREATE TABLE said (word TEXT)")
    with Sent() as sent:
        async with in_transaction():
            await execute("INSERT INTO said VALUES ('outer')")
            async with in_transaction():  # a handler that only reads (the trivial command's)
                await fetch("SELECT count(*) AS n FROM said")
            with pytest.raises(RuntimeError):
                async with in_transaction():  # one that reads and fails
                    await fetch("SELECT word FROM said")
                    raise RuntimeError("the handler failed")
    assert not [s for s in sent if "SAVEPOINT" in s or "RELEASE" in s or "ROLLBACK" in s], sent
    assert [r["word"] for r in await fetch("SELECT word FROM said")] == ["outer"]


async def test_a_savepoint_written_in_late_still_undoes_exactly_its_own_writes(h: Harness) -> None:
    from tortoise.exceptions import IntegrityError

    await execute("CREATE TABLE said (word TEXT UNIQUE)")
    async with in_transaction():
        await execute("INSERT INTO said VALUES ('before')")
        with pytest.raises(RuntimeError):
            async with in_transaction():  # read-only so far: not sent yet
                await fetch("SELECT word FROM said")
                async with in_transaction():  # the first write sends both, outermost first
                    await fetch("SELECT word FROM said")
                    await fetch("INSERT INTO said VALUES ('inner, undone with the outer') RETURNING rowid")
                await execute("INSERT INTO said VALUES ('outer, undone')")
                raise RuntimeError("the subscriber failed")
        with pytest.raises(IntegrityError):
            async with in_transaction():  # a failing write is a write: its savepoint exists to undo it
                await execute("INSERT INTO said VALUES ('undone with the failed one')")
                await execute("INSERT INTO said VALUES ('before')")
        async with in_transaction():
            await execute("INSERT INTO said VALUES ('after')")
    words = [r["word"] for r in await fetch("SELECT word FROM said ORDER BY rowid")]
    assert words == ["before", "after"]


async def test_nested_savepoints_keep_exactly_the_work_of_the_blocks_that_succeeded(h: Harness) -> None:
    await random_nestings_keep_what_succeeded()
