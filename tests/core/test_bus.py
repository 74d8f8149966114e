"""The event bus: ordering, concurrency, back-pressure, draining, isolation and once-only delivery."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from core.bus import BusClosed, EventBus, Subscription
from core.events import DomainEvent, Event, MessageReceived, OutgoingMessage
from core.plugin import N_, Arg, CommandContext, Int, PluginManifest, command, hookimpl
from core.testing import Harness
from core.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Poked(DomainEvent):
    seq: int = 0


class FakeHost:
    """A bus host without a database, for the queueing behaviour alone."""

    def __init__(self) -> None:
        self.delivered: list[OutgoingMessage] = []

    def partition_key(self, event: Event) -> str:
        return event.partition_key()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def community_of(self, event: Event) -> int | None:
        return getattr(event, "community_id", None)

    def plugin_enabled(self, community_id: int | None, plugin: str) -> bool:
        return True

    def transaction(self) -> Any:
        return contextlib.nullcontext()

    async def deliver(self, messages: list[OutgoingMessage]) -> None:
        self.delivered.extend(messages)

    def apology(self, event: MessageReceived) -> OutgoingMessage:
        raise AssertionError("no platform events in these tests")


async def test_events_of_one_community_are_handled_in_order_and_communities_interleave() -> None:
    bus = EventBus(FakeHost(), max_pending=100)
    seen: dict[int, list[int]] = {1: [], 2: []}
    community_two_done = asyncio.Event()
    release_one = asyncio.Event()

    async def handler(event: Poked, uow: UnitOfWork) -> None:
        if event.community_id == 1 and event.seq == 0:
            await release_one.wait()  # community 1 is stuck on its first event...
        seen[event.community_id].append(event.seq)
        if event.community_id == 2 and event.seq == 9:
            community_two_done.set()

    bus.subscribe(Subscription(Poked, handler))
    for seq in range(10):
        await bus.publish(Poked(community_id=1, seq=seq))
        await bus.publish(Poked(community_id=2, seq=seq))
    await community_two_done.wait()  # ...while community 2 is handled completely
    assert seen == {1: [], 2: list(range(10))}
    release_one.set()
    await bus.join()
    assert seen[1] == list(range(10))


async def test_publish_waits_when_the_bus_is_full_and_resumes_when_it_drains() -> None:
    bus = EventBus(FakeHost(), max_pending=3)
    gate = asyncio.Event()

    async def handler(event: Poked, uow: UnitOfWork) -> None:
        await gate.wait()

    bus.subscribe(Subscription(Poked, handler))
    for seq in range(3):
        await bus.publish(Poked(community_id=seq, seq=seq))
    fourth = asyncio.create_task(bus.publish(Poked(community_id=9, seq=3)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not fourth.done(), "a full bus must make publishers wait"
    assert bus.pending == 3
    gate.set()
    await fourth
    await bus.join()
    assert bus.pending == 0


async def test_close_drains_accepted_events_and_refuses_new_ones() -> None:
    bus = EventBus(FakeHost(), max_pending=100)
    handled: list[int] = []

    async def handler(event: Poked, uow: UnitOfWork) -> None:
        await asyncio.sleep(0.001)
        handled.append(event.seq)

    bus.subscribe(Subscription(Poked, handler))
    for seq in range(20):
        await bus.publish(Poked(community_id=seq % 3, seq=seq))
    await bus.close()
    assert sorted(handled) == list(range(20))
    with pytest.raises(BusClosed):
        await bus.publish(Poked(community_id=1, seq=99))


async def test_a_failing_subscriber_does_not_stop_the_others_or_the_bus() -> None:
    bus = EventBus(FakeHost(), max_pending=100)
    ok: list[int] = []

    async def broken(event: Poked, uow: UnitOfWork) -> None:
        if event.seq == 1:
            raise RuntimeError("boom")

    async def fine(event: Poked, uow: UnitOfWork) -> None:
        ok.append(event.seq)

    bus.subscribe(Subscription(Poked, broken))
    bus.subscribe(Subscription(Poked, fine))
    for seq in range(3):
        await bus.publish(Poked(community_id=1, seq=seq))
    await bus.join()
    assert ok == [0, 1, 2]
    assert bus.failures == 1


# -- through the whole application ----------------------------------------------------------------


class Exploder:
    """A plugin whose command writes, then fails: the write must be undone and the user apologised to."""

    def __init__(self) -> None:
        self.survivor_calls = 0

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="exploder", title_zh="爆炸", title_en="Exploder", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("explode", args=(Arg("n", Int(minimum=1), label=N_("n")),), help="test")
        async def explode(ctx: CommandContext, n: int) -> None:
            ctx.user.display_name = "changed"
            await ctx.user.save()
            ctx.reply("this reply must not be sent")
            raise RuntimeError("handler bug")

        return [explode]

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        async def survivor(event: MessageReceived, uow: UnitOfWork) -> None:
            self.survivor_calls += 1

        return [Subscription(MessageReceived, survivor)]


@pytest.fixture
async def exploding(db_url: str) -> AsyncIterator[tuple[Harness, Exploder]]:
    plugin = Exploder()
    async with Harness.create(db_url, plugins=[plugin]) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h, plugin


async def test_failing_handler_is_rolled_back_and_the_user_gets_a_translated_apology(
    exploding: tuple[Harness, Exploder],
) -> None:
    h, plugin = exploding
    replies = await h.send("张三", "/explode 1")
    assert replies == ["抱歉，处理这条消息时出了点问题，什么都没有改变。请稍后再试。"]
    assert "张三" in await h.say("张三", "/whoami"), "the failed handler's write was rolled back"
    assert plugin.survivor_calls == 2, "the plugin's other subscriber ran for both messages"


async def test_duplicate_platform_event_is_processed_once(community: Harness) -> None:
    h = community
    event = h.event("张三", "/thanks @王书记", event_id="console:update-42")
    first = await h.deliver(event)
    second = await h.deliver(event)
    assert len(first) == 1 and second == []
    assert await h.say("王书记", "/points") == "王书记 有 1 积分。"
    assert h.app.bus.duplicates == 1


async def test_duplicate_platform_event_is_processed_once_across_a_restart(community: Harness) -> None:
    h = community
    event = h.event("张三", "/thanks @王书记", event_id="console:update-43")
    await h.deliver(event)
    await h.restart()
    assert await h.deliver(event) == []
    assert await h.say("王书记", "/points") == "王书记 有 1 积分。"


async def test_publish_and_wait_reports_duplicates(community: Harness) -> None:
    h = community
    event = h.event("张三", "/whoami", event_id="console:update-44")
    assert await h.app.bus.publish_and_wait(event) is True
    assert await h.app.bus.publish_and_wait(event) is False


async def test_in_memory_changes_follow_only_a_committed_transaction() -> None:
    bus = EventBus(FakeHost(), max_pending=10)
    applied: list[str] = []

    async def fails_after_change(event: Poked, uow: UnitOfWork) -> None:
        uow.on_commit(lambda: applied.append("from the failed subscriber"))
        raise RuntimeError("rolled back")

    async def succeeds(event: Poked, uow: UnitOfWork) -> None:
        uow.on_commit(lambda: applied.append("kept"))

    bus.subscribe(Subscription(Poked, fails_after_change))
    bus.subscribe(Subscription(Poked, succeeds))
    await bus.publish(Poked(community_id=1))
    await bus.join()
    assert applied == ["kept"]


async def test_plain_chatter_writes_nothing(community: Harness) -> None:
    from core.processed import ProcessedEvent

    h = community
    before = await ProcessedEvent.all().count()
    assert await h.send("张三", "大家好，今天天气不错") == []
    assert await ProcessedEvent.all().count() == before, "ordinary chat costs no write"


class Breaker:
    """Only a command that fails: nothing else listens to chat messages."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="breaker", title_zh="坏", title_en="Breaker", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("break", help="test")
        async def break_(ctx: CommandContext) -> None:
            raise RuntimeError("handler bug")

        return [break_]


async def test_a_redelivered_command_whose_handler_failed_is_tried_again(db_url: str) -> None:
    apology = "抱歉，处理这条消息时出了点问题，什么都没有改变。请稍后再试。"
    async with Harness.create(db_url, plugins=[Breaker()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        event = h.event("张三", "/break", event_id="console:retry-me")
        assert [m.text for m in await h.deliver(event)] == [apology]
        assert [m.text for m in await h.deliver(event)] == [apology], "nothing was committed, so it runs again"


class Keyword:
    """Listens to all chat, and acts (marking the message processed itself) only on the word 打卡."""

    def __init__(self) -> None:
        self.heard = 0
        self.acted = 0

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="keyword", title_zh="关键词", title_en="Keyword", version="1")

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        async def listen(event: MessageReceived, uow: UnitOfWork) -> None:
            self.heard += 1
            if event.text == "打卡" and await uow.mark_processed():
                self.acted += 1

        return [Subscription(MessageReceived, listen, marks_processed=True)]


async def test_a_plugin_subscriber_that_marks_messages_itself_keeps_chatter_free(db_url: str) -> None:
    from core.processed import ProcessedEvent

    plugin = Keyword()
    async with Harness.create(db_url, plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        before = await ProcessedEvent.all().count()
        await h.send("张三", "大家好")
        assert plugin.heard == 1 and await ProcessedEvent.all().count() == before, "chatter costs no write"
        event = h.event("张三", "打卡", event_id="console:check-in-1")
        await h.deliver(event)
        await h.deliver(event)
        assert plugin.acted == 1, "the plugin's own mark makes a redelivery a no-op for it"
