"""Updates are acknowledged only after the core accepted them: a crash between receiving and
acknowledging, a failing core, a restart: each update is handled exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from core.bus import Subscription
from core.deadletters import DEAD_LETTER_AFTER, DeadLetter
from core.events import MessageReceived
from core.identity import Community
from core.inbox import InboxEvent
from core.unit_of_work import UnitOfWork
from tests.adapters.telegram.conftest import Neighbourhood, Running, stack
from tests.support.telegram_emulator import BotApiEmulator

SETUP_REPLY = "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"


async def test_killed_before_the_commit_the_update_is_handled_once_after_restart(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    async with stack(emu, db_url) as linli:
        first = await linli.start()
        inside = asyncio.Event()

        async def hang(event: MessageReceived, uow: UnitOfWork) -> None:
            if event.text.startswith("/setup"):
                inside.set()
                await asyncio.Event().wait()  # the process dies here, with /setup's work not yet committed

        first.app.bus.subscribe(Subscription(MessageReceived, hang))
        update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        await asyncio.wait_for(inside.wait(), 5)
        assert emu.is_delivered(update_id)

        await linli.kill()
        # Confirmed to Telegram or not (the next getUpdates confirms it), the update waits in the inbox.
        stored = await InboxEvent.filter(event_id=f"telegram:{emu.bot.id}:{update_id}").exists()
        assert stored, "fetched but never handled: the core's inbox must keep it"
        assert emu.sent == []
        assert not await Community.exists(name="观梅社区"), "the uncommitted work died with the process"

        second = await linli.start()
        await emu.wait_confirmed(update_id)
        [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
        assert await Community.filter(name="观梅社区").count() == 1
        assert [e.event_id for e in second.events] == [f"telegram:{emu.bot.id}:{update_id}"]
        assert second.app.bus.duplicates == 0


async def test_killed_after_the_commit_but_before_the_ack_the_redelivery_is_ignored(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    async with stack(emu, db_url) as linli:
        first = await linli.start()
        await emu.wait_until(lambda: emu.long_polling, what="the first long poll")
        # The next getUpdates, the one that would confirm the update with its offset, never gets through.
        emu.delay_next("getUpdates", 30)
        update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
        await emu.wait_until(
            lambda: any(c.params.get("offset") == update_id + 1 for c in emu.calls_of("getUpdates")),
            what="the confirming getUpdates to be on its way",
        )
        await first.app.settle()  # the reply has left the outbox too: only the acknowledgement is missing

        await linli.kill()
        assert not emu.is_confirmed(update_id)

        second = await linli.start()
        await emu.wait_confirmed(update_id)
        await emu.wait_until(lambda: second.app.bus.duplicates == 1, what="the redelivery to be ignored")
        assert second.events == [], "a duplicate reaches no subscriber"
        assert len(emu.sent) == 1, "nothing was said twice"
        assert await Community.filter(name="观梅社区").count() == 1


@asynccontextmanager
async def failing_commits(running: Running, fail: Callable[[int], bool]) -> AsyncIterator[list[int]]:
    """Make the core's transaction fail for the calls where ``fail(call number)`` holds."""
    app = running.app
    calls: list[int] = []
    original = app.transaction

    def transaction() -> Any:
        calls.append(len(calls))
        if fail(len(calls)):
            raise ConnectionError("database went away")
        return original()

    app.transaction = transaction  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        app.transaction = original  # type: ignore[method-assign]


async def test_an_update_the_core_could_not_take_is_fetched_again(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        async with failing_commits(running, lambda n: n == 1):
            update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
            [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
        await emu.wait_confirmed(update_id)
        fetched = [c for c in emu.calls_of("getUpdates") if c.result and c.result[0]["update_id"] == update_id]
        assert len(fetched) == 2, "delivered, refused by the core, delivered again"
        assert await Community.filter(name="观梅社区").count() == 1


async def test_an_update_is_never_skipped_while_the_database_is_away(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """Far more failures than the old six attempts: the update waits, unconfirmed, and is handled once
    the database is back."""
    async with stack(emu, sqlite_url, retry_base=0.01, retry_cap=0.05) as linli:
        running = await linli.start()
        async with failing_commits(running, lambda n: True) as calls:
            update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
            await emu.wait_until(lambda: len(calls) >= 12, what="a dozen failed tries")
            assert not emu.is_confirmed(update_id)
        [reply] = await emu.wait_for_sent(1)
        await emu.wait_confirmed(update_id)
    assert reply.plain_text == SETUP_REPLY


async def test_an_update_the_core_keeps_failing_on_is_set_aside_and_apologised_for(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure of the update's own (a bug, not the database): after three tries it becomes a dead letter,
    the sender gets the apology, and the bot goes on with the next update."""
    async with stack(emu, sqlite_url, retry_base=0.01, retry_cap=0.05) as linli:
        running = await linli.start()
        app, original = running.app, running.app.transaction
        tries: list[int] = []

        def transaction() -> Any:
            if 0 < len(tries) <= DEAD_LETTER_AFTER:  # the first one stores the update in the inbox
                tries.append(1)
                raise RuntimeError("a bug in the core")
            tries.append(0)
            return original()

        app.transaction = transaction  # type: ignore[method-assign]
        poisoned = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        await emu.wait_confirmed(poisoned, timeout=10)
        for _ in range(1000):  # stored and confirmed; handled from the inbox, failing each time
            if sum(tries) >= DEAD_LETTER_AFTER:
                break
            await asyncio.sleep(0.01)
        app.transaction = original  # type: ignore[method-assign]
        [apology] = await emu.wait_for_sent(1)
        assert apology.plain_text == "抱歉，处理这条消息时出了点问题，什么都没有改变。请稍后再试。"
        [letter] = await DeadLetter.all()
        assert letter.event_id.endswith(f":{poisoned}") and "a bug in the core" in letter.error
        assert "set aside as a dead letter" in caplog.text
        after = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        await emu.wait_confirmed(after)
        [_, reply] = await emu.wait_for_sent(2)
    assert reply.plain_text == SETUP_REPLY


async def test_stop_confirms_what_was_handled_so_a_restart_gets_nothing_again(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        await linli.stop()
        assert emu.is_confirmed(update_id)
        second = await linli.start()
        await emu.wait_until(lambda: len(emu.calls_of("getUpdates")) >= 3, what="polling after the restart")
        assert second.events == [] and second.app.bus.duplicates == 0
