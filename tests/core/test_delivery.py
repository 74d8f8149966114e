"""The outbox: every committed reply is delivered, in order per chat, across failures and restarts."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import core.delivery
from core import outbox, storage
from core.adapter import RetryLater
from core.events import ChannelRef, OutgoingMessage
from core.outbox import OutboxMessage, OutboxState
from core.storage import fetch
from core.testing import PLATFORM, Harness, RecordingAdapter
from core.unit_of_work import UnitOfWork
from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, fresh_postgres_url, require_service


class FlakyAdapter(RecordingAdapter):
    """Records what it delivers; fails while ``failing`` says so, the way ``fail`` describes."""

    def __init__(self, h: Harness) -> None:
        super().__init__(h.app)
        self.failing = False
        self.fail: Exception = RetryLater("the platform is away")
        self.calls = 0
        self.gate: dict[str, asyncio.Event] = {}
        #: Fail only this message (by text), when set.
        self.only: str | None = None

    async def send(self, message: OutgoingMessage) -> str | None:
        self.calls += 1
        gate = self.gate.get(message.channel.chat_id)
        if gate is not None:
            await gate.wait()
        if self.failing and self.only in (None, message.text):
            raise self.fail
        return await super().send(message)


def flaky(h: Harness) -> FlakyAdapter:
    adapter = FlakyAdapter(h)
    h.app.adapters[PLATFORM] = adapter
    h.adapter = adapter
    return adapter


def to(room: str, text: str) -> OutgoingMessage:
    return OutgoingMessage(ChannelRef(PLATFORM, room, room), text)


async def say(h: Harness, *messages: OutgoingMessage) -> None:
    async def work(uow: UnitOfWork) -> None:
        for message in messages:
            uow.send(message)

    await h.app.run_in_transaction(work)


async def deletes_refused(_row_ids: list[int]) -> None:
    """The outbox's deletes, while the database refuses them (a long backup holding it, say)."""
    raise OSError("database is locked")


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url, settings={"delivery": {"retry_base": 0.001, "retry_cap": 0.005}}) as harness:
        yield harness


async def test_a_reply_not_delivered_before_a_restart_is_delivered_after_it_once(h: Harness) -> None:
    adapter = flaky(h)
    adapter.failing = True
    await h.app.receive(h.event("王书记", "/setup 观梅社区"))
    await h.app.bus.join()  # committed; the reply cannot leave
    while adapter.calls < 2:
        await asyncio.sleep(0.001)
    assert adapter.sent == []
    await h.restart()  # a new process: only the outbox remembers the reply
    await h.app.settle()
    [reply] = h.adapter.sent
    assert "观梅社区" in reply.text
    assert await OutboxMessage.all().count() == 0, "a delivered message leaves the outbox"


async def test_a_message_is_retried_past_many_failures_and_arrives_once(h: Harness) -> None:
    adapter = flaky(h)
    adapter.failing = True
    await say(h, to("group", "周六大扫除"))
    while adapter.calls < 15:  # far more than the six attempts of old
        await asyncio.sleep(0.001)
    adapter.failing = False
    await h.app.settle()
    assert [m.text for m in adapter.sent] == ["周六大扫除"]


async def test_a_message_that_keeps_failing_expires_after_its_time_to_live(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = flaky(h)
    adapter.failing = True
    await say(h, to("group", "过期的通知"), to("group", "下一条"))
    while adapter.calls < 3:
        await asyncio.sleep(0.001)
    h.clock.advance(timedelta(seconds=h.app.settings.delivery.ttl_seconds + 1))
    while h.app.delivery.expired < 2:
        await asyncio.sleep(0.001)
    await h.app.settle()
    rows = await OutboxMessage.all().order_by("id")
    assert [r.state for r in rows] == [OutboxState.EXPIRED, OutboxState.EXPIRED]
    assert "expired after" in caplog.text


async def test_a_lost_answer_waits_the_longest_pause_before_the_next_copy(h: Harness) -> None:
    """The message may be showing already, so the next try waits ``retry_cap``, not the short back-off;
    it is never given up for that (a client cannot tell a lost answer from a dropped request)."""
    import time

    adapter = flaky(h)
    adapter.fail = RetryLater("read timeout", uncertain=True)
    adapter.only = "可能已经发出"
    tries: list[float] = []
    original = adapter.send

    async def timed(message: OutgoingMessage) -> str | None:
        if message.text == "可能已经发出":
            tries.append(time.monotonic())
            adapter.failing = len(tries) <= 2
        return await original(message)

    adapter.send = timed  # type: ignore[method-assign]
    await say(h, to("group", "可能已经发出"), to("group", "下一条"))
    await h.app.settle()
    assert [m.text for m in adapter.sent] == ["可能已经发出", "下一条"]
    cap = h.app.settings.delivery.retry_cap
    assert len(tries) == 3 and all(b - a >= cap * 0.99 for a, b in itertools.pairwise(tries))
    assert await OutboxMessage.all().count() == 0


async def test_a_refusal_for_good_is_logged_and_the_chat_goes_on(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    adapter = flaky(h)
    adapter.failing = True
    adapter.fail = ValueError("chat not found")
    await say(h, to("group", "送不到"))
    await h.app.settle()
    adapter.failing = False
    await say(h, to("group", "送得到"))
    await h.app.settle()
    assert [m.text for m in adapter.sent] == ["送得到"]
    [row] = await OutboxMessage.all()
    assert row.state == OutboxState.FAILED and "chat not found" in (row.last_error or "")
    assert "refused a message to console:group for good" in caplog.text


async def test_one_chat_in_order_beyond_what_is_held_in_memory(h: Harness) -> None:
    adapter = flaky(h)
    texts = [f"第{i}条" for i in range(1200)]
    for start in range(0, 1200, 300):
        await say(h, *[to("group", t) for t in texts[start:start + 300]])
    await h.app.settle()
    assert [m.text for m in adapter.sent] == texts, "all, once, in order"


async def test_a_burst_delivered_before_a_restart_is_not_sent_again_after_it(h: Harness) -> None:
    """Delivered rows are deleted in batches after sending; a restart right after the burst must find none."""
    adapter = flaky(h)
    texts = [f"第{i}条" for i in range(300)]
    await asyncio.gather(*[say(h, to(f"room{i % 7}", t)) for i, t in enumerate(texts)])
    await h.app.settle()
    assert sorted(m.text for m in adapter.sent) == sorted(texts)
    assert await OutboxMessage.all().count() == 0, "every delivered row is gone once the bot is idle"
    await h.restart()
    await h.app.settle()
    assert len(h.adapter.sent) == 300, "nothing is sent a second time after the restart"


async def test_a_stuck_chat_does_not_hold_up_another(h: Harness) -> None:
    adapter = flaky(h)
    adapter.gate["A"] = asyncio.Event()
    await say(h, *[to("A", f"A{i}") for i in range(5)])
    await say(h, to("B", "B0"))
    while not any(m.channel.chat_id == "B" for m in adapter.sent):
        await asyncio.sleep(0.001)
    assert [m.text for m in adapter.sent] == ["B0"], "B was answered while A was stuck"
    adapter.gate["A"].set()
    await h.app.settle()
    assert [m.text for m in adapter.sent] == ["B0", "A0", "A1", "A2", "A3", "A4"]


async def test_a_stop_leaves_what_was_not_sent_in_the_outbox_and_says_how_many(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = flaky(h)
    adapter.gate["A"] = asyncio.Event()
    await say(h, *[to("A", f"A{i}") for i in range(3)])
    await h.restart()
    assert "3 messages are still in the outbox" in caplog.text
    await h.app.settle()
    assert [m.text for m in h.adapter.sent] == ["A0", "A1", "A2"]


def test_which_database_errors_mean_not_now() -> None:
    from tortoise.exceptions import IntegrityError, OperationalError

    from core.storage import is_unavailable

    assert is_unavailable(OperationalError("database is locked"))
    wrapped = OperationalError("query failed")
    wrapped.__cause__ = ConnectionResetError("connection reset by peer")
    assert is_unavailable(wrapped)
    assert not is_unavailable(IntegrityError("UNIQUE constraint failed"))
    assert not is_unavailable(OperationalError("no such column: x"))
    assert not is_unavailable(ValueError("a bug"))
    # a plugin's own network trouble is the event's failure, not the database's
    assert not is_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert not is_unavailable(TimeoutError())


async def test_a_real_database_connection_refused_counts_as_unavailable(tmp_path: Path) -> None:
    import asyncpg

    from core.storage import is_unavailable

    with pytest.raises(OSError) as refused:
        await asyncpg.connect(host="127.0.0.1", port=1, user="postgres", timeout=2)
    assert is_unavailable(refused.value)


async def test_a_database_outage_in_a_handler_fails_the_event_instead_of_apologising(h: Harness) -> None:
    """A handler that meets a locked or vanished database is not the handler's fault: nothing commits,
    nobody gets the apology, and the adapter is told to offer the event again (it is then handled)."""
    from tortoise.exceptions import OperationalError

    from core.bus import Subscription
    from core.events import MessageReceived

    outage = [True]

    async def busy(event: MessageReceived, uow: UnitOfWork) -> None:
        if outage[0]:
            raise OperationalError("database is locked")

    h.app.bus.subscribe(Subscription(MessageReceived, busy))
    event = h.event("王书记", "/setup 观梅社区")
    with pytest.raises(OperationalError):
        await h.app.adapter_services.receive(event)
    await h.app.settle()
    assert h.adapter.sent == [], "no apology, no reply: nothing happened"
    outage[0] = False
    assert await h.app.adapter_services.receive(event) is True
    await h.app.settle()
    [reply] = h.adapter.sent
    assert "观梅社区" in reply.text


async def test_what_was_given_up_and_old_dead_letters_are_forgotten_after_a_while(h: Harness) -> None:
    from core.deadletters import DeadLetter, set_aside

    adapter = flaky(h)
    adapter.failing = True
    adapter.fail = ValueError("chat not found")
    await say(h, to("group", "送不到"))
    await h.app.settle()
    await set_aside(h.event("张三", "/whoami"), RuntimeError("a bug"), h.clock())
    assert await OutboxMessage.all().count() == 1 and await DeadLetter.all().count() == 1
    await h.run_jobs(after=timedelta(days=6))
    assert await OutboxMessage.all().count() == 1, "kept a while for the operator"
    await h.run_jobs(after=timedelta(days=2))
    assert await OutboxMessage.all().count() == 0
    assert await DeadLetter.all().count() == 1, "an unreplayed dead letter waits for the operator longer"
    await h.run_jobs(after=timedelta(days=23))
    assert await DeadLetter.all().count() == 0


async def test_delivered_messages_whose_rows_cannot_be_deleted_are_not_sent_twice(
    h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """The database refuses the deletes (a long backup, say): one chat's 700 messages, more than a lane holds
    in memory, so the lane reads the rest back from the table, where the delivered ones still are."""
    real_delete = core.delivery.delete_sent
    monkeypatch.setattr(core.delivery, "delete_sent", deletes_refused)
    adapter = flaky(h)
    texts = [f"第{i}条" for i in range(700)]
    for start in range(0, 700, 350):
        await say(h, *[to("group", t) for t in texts[start:start + 350]])
    await h.app.settle()
    assert [m.text for m in adapter.sent] == texts, "every message once, in order"
    assert "could not be taken out of the outbox" in caplog.text
    monkeypatch.setattr(core.delivery, "delete_sent", real_delete)
    await asyncio.wait_for(h.app.delivery.stop(), 10)  # the stop's last attempt deletes them
    assert await OutboxMessage.all().count() == 0


async def test_a_stop_does_not_wait_out_the_back_off_of_a_failing_delete(
    db_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = {"delivery": {"retry_base": 60, "retry_cap": 300}}
    async with Harness.create(db_url, settings=settings) as h:
        monkeypatch.setattr(core.delivery, "delete_sent", deletes_refused)
        await say(h, to("group", "你好"))
        while not h.adapter.sent:
            await asyncio.sleep(0.001)
        left = await asyncio.wait_for(h.app.delivery.stop(), 10)  # not the minute of back-off
        assert left == 1, "the delivered row stays (sent again after a restart), and the stop says so"


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.001)


async def test_a_delivered_reply_leaves_the_outbox_without_anyone_waiting_for_it(h: Harness) -> None:
    await say(h, to("group", "你好"))
    await until(lambda: len(h.adapter.sent) == 1)
    async with asyncio.timeout(5):  # nobody waits for it (no settle)
        while await OutboxMessage.all().count():
            await asyncio.sleep(0.01)


async def test_on_postgresql_only_forgetting_a_delivered_reply_skips_the_wait_for_the_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The delete of a delivered row commits without waiting for the server's disk (a lost delete only
    sends a reply again); every other transaction still waits, so the setting must stay the delete's own."""
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    sent_sql: list[str] = []

    def spy(run: Callable[..., Any]) -> Callable[..., Any]:
        async def recorded(sql: str, *args: Any) -> Any:
            sent_sql.append(sql)
            return await run(sql, *args)
        return recorded

    monkeypatch.setattr(outbox, "execute", spy(outbox.execute))
    monkeypatch.setattr(outbox, "execute_many", spy(outbox.execute_many))
    setting = "SELECT current_setting('synchronous_commit') AS s"
    async with Harness.create(fresh_postgres_url()) as h:
        server_default = (await fetch(setting))[0]["s"]
        await say(h, to("group", "第一条"))  # delivered and deleted, one row
        await until(lambda: len(h.adapter.sent) == 1)
        async with asyncio.timeout(5):
            while await OutboxMessage.all().count():
                await asyncio.sleep(0.01)
        async with storage.transaction():
            rows = await outbox.store([to("group", "甲"), to("group", "乙")], h.clock(), None)
        await outbox.delete_sent([row_id for row_id, _ in rows])  # several rows in one transaction
        async with storage.transaction():
            stored = await outbox.store([to("group", "丙")], h.clock(), None)
            await outbox.delete_sent([stored[0][0]])  # inside a transaction: the transaction's commit must wait
            assert (await fetch(setting))[0]["s"] == server_default
        assert await OutboxMessage.all().count() == 0
        assert sent_sql == [outbox._DELETE_NOT_WAITING_FOR_DISK] * 2 + [outbox._DELETE]
        seen = await asyncio.gather(*(fetch(setting) for _ in range(4)))  # the pool's connections
        assert {rows[0]["s"] for rows in seen} == {server_default}
        async with storage.transaction():  # and the statement itself does turn the wait off
            await storage.execute(outbox._DELETE_NOT_WAITING_FOR_DISK, 123456)  # no such row
            assert (await fetch(setting))[0]["s"] == "off"
        assert (await fetch(setting))[0]["s"] == server_default
