"""The inbox (core/inbox.py): batches stored once, handled once even across a crash, in order inside a
community, and a community with a backlog does not hold another up. The real application on SQLite and
PostgreSQL; events go in the way adapters hand them over (``AdapterServices.accept_batch``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from core.bus import Subscription
from core.events import Event, MessageReceived
from core.inbox import PAGE, InboxEvent
from core.testing import Harness
from core.unit_of_work import UnitOfWork

OTHER = "other"


@pytest.fixture
async def town(db_url: str) -> AsyncIterator[Harness]:
    """观梅社区 in the room 'group' (王书记), 听竹社区 in the room 'other' (赵主任)."""
    async with Harness.create(db_url, admins=("王书记", "赵主任")) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("赵主任", "/setup 听竹社区", room=OTHER)
        yield h


async def until(predicate: Callable[[], bool], *, timeout: float = 20.0, what: str = "the condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def answers(h: Harness, event: MessageReceived) -> int:
    """How many messages the bot sent in answer to ``event``."""
    return sum(1 for m in h.adapter.sent
               if m.channel.chat_id == event.channel.chat_id and m.reply_to_message_id == event.message_id)


def gate(h: Harness, room: str) -> asyncio.Event:
    """Hold the events of ``room`` before they are handled until the returned event is set (a community
    slowly working off its backlog; outside any transaction, which SQLite would let nobody else have)."""
    opened = asyncio.Event()
    accept = h.app.accept

    async def held(event: MessageReceived) -> bool:
        if event.channel.chat_id == room:
            await opened.wait()
        return await accept(event)

    h.app.accept = held  # type: ignore[method-assign]
    return opened


def hang(h: Harness, room: str) -> None:
    """Hang every event of ``room`` inside its transaction, where a kill finds it."""

    async def forever(event: MessageReceived, uow: UnitOfWork) -> None:
        if event.channel.chat_id == room:
            await asyncio.Event().wait()

    h.app.bus.subscribe(Subscription(MessageReceived, forever))


async def test_a_batch_delivered_twice_is_stored_once_and_each_event_answered_once(town: Harness) -> None:
    h = town
    opened = gate(h, "group")
    batch = [h.event(name, "/whoami") for name in ("王书记", "王书记", "王书记")]
    await h.app.adapter_services.accept_batch(batch)
    await h.app.adapter_services.accept_batch(batch)  # the platform sent it again: the answer was lost
    assert await InboxEvent.all().count() == 3, "a redelivered batch is not stored twice"
    opened.set()
    await h.app.settle()
    await h.app.adapter_services.accept_batch(batch)  # once more, after it was handled: a no-op
    await h.app.settle()
    assert [answers(h, e) for e in batch] == [1, 1, 1]
    assert await InboxEvent.all().count() == 0, "handled events leave the inbox"


async def test_a_crash_between_storing_and_handling_is_handled_exactly_once_after_restart(town: Harness) -> None:
    h = town
    hang(h, "group")  # the process dies with the first event inside its transaction
    batch = [h.event("王书记", "/whoami") for _ in range(5)]
    await h.app.adapter_services.accept_batch(batch)  # stored: the adapter has acknowledged it now
    await until(lambda: bool(h.app.bus._workers), what="handling to begin")
    dying = [*h.app.bus._workers.values(),
             *(lane.worker for lane in h.app.inbox._lanes.values() if lane.worker is not None)]
    for task in dying:  # a kill: the tasks end where they stand, the open transaction is rolled back
        task.cancel()
    await asyncio.gather(*dying, return_exceptions=True)
    assert [answers(h, e) for e in batch] == [0] * 5
    assert await InboxEvent.all().count() == 5

    await h.restart()  # a new Application on the same database, nothing in memory
    await h.app.settle()
    assert [answers(h, e) for e in batch] == [1] * 5, "every stored event handled once after the restart"
    assert h.app.bus.duplicates == 0
    assert await InboxEvent.all().count() == 0


async def test_events_of_one_community_are_handled_in_the_order_they_were_stored(town: Harness) -> None:
    h = town
    seen: list[str] = []

    async def record(event: MessageReceived, uow: UnitOfWork) -> None:
        if event.channel.chat_id == "group":
            seen.append(event.event_id)

    h.app.bus.subscribe(Subscription(MessageReceived, record))
    batches = [[h.event("王书记", f"第{b}批 第{i}句") for i in range(PAGE // 2 + 7)] for b in range(3)]
    for batch in batches:  # more than a page: the lane reads the rest back from the table
        await h.app.adapter_services.accept_batch(batch)
    await h.app.settle()
    assert seen == [e.event_id for batch in batches for e in batch]


async def test_a_community_with_a_backlog_does_not_delay_another(town: Harness) -> None:
    h = town
    opened = gate(h, "group")  # community A is stuck on its first event...
    backlog = [h.event("王书记", "/whoami") for _ in range(40)]
    await h.app.adapter_services.accept_batch(backlog)
    other = h.event("赵主任", "/whoami", room=OTHER)
    await h.app.adapter_services.accept_batch([other])
    # ...and community B, stored after all of A's backlog, is answered meanwhile
    await until(lambda: answers(h, other) == 1, what="B's answer while A is stuck")
    assert sum(answers(h, e) for e in backlog) == 0
    assert await InboxEvent.filter(lane__not=f"community:{h.app.community_of(other)}").count() == len(backlog)
    opened.set()
    await h.app.settle()
    assert [answers(h, e) for e in backlog] == [1] * len(backlog)


async def test_healthz_and_metrics_count_what_waits_in_the_inbox(town: Harness) -> None:
    from core.web.health import health_report

    h = town
    opened = gate(h, "group")
    held = [h.event("王书记", "/whoami") for _ in range(3)]
    await h.app.adapter_services.accept_batch(held)
    status, report = await health_report(h.app)
    assert status == 200 and report["inbox"]["waiting"] == 3 and report["inbox"]["lanes"] == 1
    opened.set()
    await h.app.settle()
    status, report = await health_report(h.app)
    assert report["inbox"]["waiting"] == 0 and report["inbox"]["handled"] >= 3
    assert b"linli_inbox_handled " in h.app.metrics.exposition()


def test_a_stored_event_reads_back_as_it_was_handed_over() -> None:
    from datetime import UTC, datetime

    from core.events import Attachment, ChannelRef, IdentityRef
    from core.inbox import decode, encode

    event = MessageReceived(
        event_id="telegram:1:2", channel=ChannelRef("telegram", "-100", "观梅"),
        sender=IdentityRef("telegram", "42", "张三", username="zhangsan", is_chat_admin=True, language="zh"),
        text="/done 1 挪好了", message_id="9", mentions=(IdentityRef("telegram", "43", "李四"),),
        attachments=(Attachment("photo", "file-1", caption="挪好了"),), button_data="verify:1",
        button_token="press-1", reply_to_message_id="8",
        received_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC), over_limit=4096,
    )
    assert decode(encode(event)) == event
    assert decode({**encode(event), "a_field_of_a_newer_version": 1}) == event


async def test_a_lane_that_fails_unexpectedly_goes_on_by_itself(town: Harness) -> None:
    """An error nobody foresaw while a lane reads its rows (not an outage) does not stop the lane: its
    stored events are answered without anyone writing in that chat again, and without a restart."""
    h = town
    inbox = h.app.inbox
    page = inbox._page
    failed: list[str] = []

    async def broken_once(key: str) -> list[tuple[object, object]]:
        if not failed:
            failed.append(key)
            raise RuntimeError("an unforeseen error while reading the lane")
        return await page(key)

    inbox._page = broken_once  # type: ignore[method-assign]
    stored = [h.event("王书记", "/whoami") for _ in range(3)]
    await h.app.adapter_services.accept_batch(stored)
    await asyncio.wait_for(h.app.settle(), 30)
    assert failed, "the lane met the error"
    assert [answers(h, e) for e in stored] == [1, 1, 1], "the lane went on after the error"
    assert await InboxEvent.all().count() == 0


async def test_a_stop_while_an_event_is_being_handled_leaves_no_row_of_it(town: Harness) -> None:
    """A graceful stop finds an event in the bus's hands (queued behind another of its community): the bus
    finishes it (its close drains) and its row goes with it, so the stop's "still stored" count is true and
    the next start does not handle it a second time."""
    h = town
    opened = asyncio.Event()
    handle = h.app.bus.handle

    async def busy(event: Event) -> bool:  # the bus is busy with an earlier event of the community
        if isinstance(event, MessageReceived) and event.text == "慢":
            await opened.wait()
        return await handle(event)

    h.app.bus.handle = busy  # type: ignore[method-assign]
    await h.app.receive(h.event("王书记", "慢"))  # the console's way, straight to the bus
    event = h.event("王书记", "/whoami")
    await h.app.adapter_services.accept_batch([event])
    await until(lambda: h.app.bus.pending == 2, what="the stored event to wait in the bus")
    stopping = asyncio.create_task(h.app.inbox.stop())
    await asyncio.sleep(0.1)
    opened.set()
    assert await asyncio.wait_for(stopping, 20) == 0, "nothing is left: the event in the bus's hands is finished"
    await h.app.bus.join()
    assert answers(h, event) == 1
    assert await InboxEvent.all().count() == 0, "its row went with its transaction"


async def test_a_command_stored_before_its_chat_moved_is_handled_in_the_chat_it_moved_to(town: Harness) -> None:
    """A Telegram group becoming a supergroup gets a new id, and the adapter moves the binding as soon as
    it reads the news, before the inbox has handled what the group said just before (the same batch, or
    a backlog): those commands still belong to the community, not to a chat "not set up"."""
    h = town
    opened = gate(h, "group")
    before = h.event("王书记", "/whoami")
    await h.app.adapter_services.accept_batch([before])
    assert await h.app.adapter_services.move_channel("console", "group", "supergroup")
    opened.set()
    await h.app.settle()
    [reply] = [m for m in h.adapter.sent if m.reply_to_message_id == before.message_id]
    assert "观梅社区" in reply.text and "还没有设置社区" not in reply.text, reply.text
    assert reply.channel.chat_id == "supergroup", "answered in the chat as it is now"


async def test_a_command_waiting_for_its_communitys_bus_when_its_chat_moves_is_answered_where_it_moved(
        town: Harness) -> None:
    """Past the inbox, an event can still wait: for the bus, behind another event of its community. The
    move is applied where the chat is resolved, so it is not answered as a chat "not set up"."""
    h = town
    opened = asyncio.Event()
    handle = h.app.bus.handle

    async def busy(event: Event) -> bool:  # the community's bus is busy with an earlier event
        if isinstance(event, MessageReceived) and event.text == "慢":
            await opened.wait()
        return await handle(event)

    h.app.bus.handle = busy  # type: ignore[method-assign]
    await h.app.receive(h.event("王书记", "慢", room="group"))
    before = h.event("王书记", "/whoami")
    await h.app.adapter_services.accept_batch([before])
    await until(lambda: h.app.bus.pending == 2, what="the stored event to wait in the bus")
    assert await h.app.adapter_services.move_channel("console", "group", "supergroup")
    opened.set()
    await h.app.settle()
    [reply] = [m for m in h.adapter.sent if m.reply_to_message_id == before.message_id]
    assert "观梅社区" in reply.text and reply.channel.chat_id == "supergroup", reply
