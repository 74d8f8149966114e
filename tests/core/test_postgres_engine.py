"""PostgreSQL's savepoints that wait for a write (core.postgres_engine): fewer round trips, and never a
failure PostgreSQL cannot come back from left unseen."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from core.arguments import Arg, Rest
from core.commands import Command, command
from core.context import CommandContext
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.storage import SavepointMissing, execute, fetch, lazy_savepoints
from core.testing import Harness
from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, fresh_postgres_url, require_service
from tests.support.savepoints import random_nestings_keep_what_succeeded


class Probe:
    """``/probe word``: reads something that fails, inside a savepoint it rolls back, then answers."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="probe", title_zh="探针", title_en="Probe", version="1")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        @command("probe", args=(Arg("word", Rest(50), label="word"),), help="probe")
        async def probe(ctx: CommandContext, word: str) -> None:
            await execute("INSERT INTO probe_said VALUES (?)", word)
            try:
                async with in_transaction():
                    await fetch("SELECT 1 / (SELECT count(*) - count(*) FROM probe_said) AS n")
            except OperationalError:
                pass  # a read that failed, undone by its savepoint: the command goes on
            ctx.reply(f"probed {word}")

        @command("probe_quietly", args=(Arg("word", Rest(50), label="word"),), help="probe")
        async def probe_quietly(ctx: CommandContext, word: str) -> None:
            try:  # swallows whatever goes wrong, the waiting savepoint's complaint included
                async with in_transaction():
                    await fetch("SELECT 1 / (SELECT count(*) - count(*) FROM probe_said) AS n")
            except Exception:
                pass
            await execute("INSERT INTO probe_said VALUES (?)", word)
            ctx.reply(f"probed {word}")

        return [probe, probe_quietly]


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    async with Harness.create(fresh_postgres_url(), plugins=[Probe()]) as harness:
        await execute("CREATE TABLE probe_said (word TEXT)")
        yield harness


@contextmanager
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The savepoint statements PostgreSQL is sent while the block runs."""
    seen: list[str] = []
    original = asyncpg.connection.Connection.execute

    async def recording(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if "SAVEPOINT" in query:
            seen.append(query)
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", recording)
    yield seen
    monkeypatch.setattr(asyncpg.connection.Connection, "execute", original)


@contextmanager
def waiting_savepoints() -> Iterator[None]:
    """As in the bus's first attempt at an event."""
    token = lazy_savepoints.set(True)
    try:
        yield
    finally:
        lazy_savepoints.reset(token)


async def words() -> list[str]:
    return sorted(r["word"] for r in await fetch("SELECT word FROM probe_said"))


async def test_waiting_savepoints_cost_nothing_until_a_write_and_then_one(
    h: Harness, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with waiting_savepoints(), sent(monkeypatch) as statements:
        async with in_transaction():
            async with in_transaction():  # a handler that only reads
                await fetch("SELECT count(*) AS n FROM probe_said")
            assert statements == []
            with pytest.raises(RuntimeError):
                async with in_transaction():
                    async with in_transaction():
                        await execute("INSERT INTO probe_said VALUES ('undone')")
                    raise RuntimeError("refused after writing")
            assert statements == ["SAVEPOINT linli_sp1", "ROLLBACK TO SAVEPOINT linli_sp1",
                                  "RELEASE SAVEPOINT linli_sp1"], statements
            await execute("INSERT INTO probe_said VALUES ('kept')")
    assert await words() == ["kept"]


@pytest.mark.parametrize("caught", [OperationalError, Exception], ids=["the-failure", "the-complaint-too"])
async def test_a_failure_inside_a_waiting_savepoint_is_never_committed_silently(
    h: Harness, caught: type[Exception],
) -> None:
    """Whatever the code around it catches (the failure, as an eager savepoint would have undone it, or the
    savepoint's complaint too), the transaction is refused, not committed as a silent rollback."""
    with waiting_savepoints(), pytest.raises(SavepointMissing):
        async with in_transaction():
            await execute("INSERT INTO probe_said VALUES ('lost with the transaction')")
            try:
                async with in_transaction():
                    await fetch("SELECT 1 / 0 AS n")
            except caught:
                pass
    assert await words() == []
    async with in_transaction():  # the connection went back to the pool clean
        await execute("INSERT INTO probe_said VALUES ('next')")
    assert await words() == ["next"]


async def test_a_transaction_that_met_a_missing_savepoint_never_commits_whatever_caught_it(h: Harness) -> None:
    """An outer savepoint that was sent rolls back cleanly, but what it leaves would differ from what eager
    savepoints leave (those keep 'a' and 'b'): the commit is refused, so the bus tries again carefully."""
    with waiting_savepoints(), pytest.raises(SavepointMissing):
        async with in_transaction():
            try:  # a hook runner that logs a plugin's failure and goes on
                async with in_transaction():
                    await execute("INSERT INTO probe_said VALUES ('a')")
                    try:
                        async with in_transaction():
                            await fetch("SELECT 1 / 0 AS n")
                    except OperationalError:
                        pass
                    await execute("INSERT INTO probe_said VALUES ('b')")
            except Exception:
                pass
    assert await words() == []


async def test_a_cancelled_read_in_a_waiting_savepoint_stays_a_cancellation(h: Harness) -> None:
    async def slow() -> None:
        lazy_savepoints.set(True)
        async with in_transaction(), in_transaction():
            await fetch("SELECT pg_sleep(5) AS slept")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await words() == []


async def test_a_cancellation_after_a_swallowed_failure_stays_a_cancellation(h: Harness) -> None:
    swallowed = asyncio.Event()

    async def work() -> None:
        lazy_savepoints.set(True)
        async with in_transaction(), in_transaction():
            try:
                async with in_transaction():
                    await fetch("SELECT 1 / 0 AS n")
            except Exception:
                pass
            swallowed.set()
            await asyncio.sleep(5)

    task = asyncio.create_task(work())
    await swallowed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_outside_the_bus_first_attempt_savepoints_are_sent_at_once(h: Harness) -> None:
    async with in_transaction():  # a job, the command line: nothing would handle it again
        await execute("INSERT INTO probe_said VALUES ('kept')")
        with pytest.raises(OperationalError):
            async with in_transaction():
                await fetch("SELECT 1 / 0 AS n")
        await execute("INSERT INTO probe_said VALUES ('also kept')")
    assert await words() == ["also kept", "kept"]


async def test_a_command_whose_read_failed_in_a_savepoint_is_handled_again_and_answered_once(
    h: Harness, caplog: pytest.LogCaptureFixture,
) -> None:
    await h.send("王书记", "/setup 观梅社区")
    with caplog.at_level(logging.INFO, logger="core.bus"):
        replies = await h.send("张三", "/probe 你好")
    assert replies == ["probed 你好"]
    assert await words() == ["你好"], "the first attempt's write is gone with it"
    assert "again with a savepoint per subscriber" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="core.bus"):
        replies = await h.send("张三", "/probe_quietly 再见")
    assert replies == ["probed 再见"], "a handler that swallows everything is answered once, carefully"
    assert await words() == sorted(["你好", "再见"])
    assert "again with a savepoint per subscriber" in caplog.text


@pytest.mark.parametrize("lazy", [True, False], ids=["waiting", "eager"])
async def test_nested_savepoints_keep_exactly_the_work_of_the_blocks_that_succeeded(h: Harness, lazy: bool) -> None:
    token = lazy_savepoints.set(lazy)
    try:
        await random_nestings_keep_what_succeeded(programs=60, failing_statements=not lazy)
    finally:
        lazy_savepoints.reset(token)
