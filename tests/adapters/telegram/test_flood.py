"""Flood control measured where Telegram measures it: on the emulator's clock, at the server.

The emulator enforces Telegram's limits (30/s, 20/min per group, 1/s per chat) with its time scaled
(conftest.TIME_SCALE), the adapter's windows are scaled the same way through settings; the limiter code
is the same. Spacing is asserted, speed never is.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from adapters.telegram.settings import TelegramLimits
from core.events import ChannelRef, OutgoingMessage
from tests.adapters.telegram.conftest import TIME_SCALE, Neighbourhood, stack
from tests.support.telegram_emulator import BotApiEmulator, EmuChat

EPSILON = 1e-6


def busiest_window(times: Sequence[float], window: float) -> int:
    """The most messages found in any half-open stretch ``[t, t + window)`` of the clock."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window - EPSILON:
            start += 1
        most = max(most, end - start + 1)
    return most


def to(chat: EmuChat, text: str) -> OutgoingMessage:
    return OutgoingMessage(ChannelRef("telegram", str(chat.id), "", is_direct=chat.type == "private"), text)


async def test_a_burst_of_200_replies_to_one_group_is_spread_within_the_limits(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """The emulator enforces Telegram's documented limits (time scaled, TIME_SCALE) on every sending
    method: the adapter's defaults, scaled the same way (FAST_LIMITS), never meet a 429."""
    neighbours = [emu.private_chat(emu.add_user(f"邻居{i}")) for i in range(5)]
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        await running.post(*[to(hood.group, f"第 {i} 条") for i in range(200)],
                           *[to(chat, f"私信 {i}") for chat in neighbours for i in range(10)])

    group_sent = [s for s in emu.sent if s.chat_id == hood.group.id]
    assert [s.plain_text for s in group_sent] == [f"第 {i} 条" for i in range(200)], "all, once, in order"
    assert all(c.status == 200 for c in emu.calls_of("sendMessage")), "Telegram never said: too many requests"
    assert busiest_window([s.time for s in group_sent], 60 * TIME_SCALE) <= 20, "20 per minute into a group"
    assert busiest_window([s.time for s in emu.sent], TIME_SCALE) <= 30, "30 per second overall"
    for chat in [hood.group, *neighbours]:
        times = [s.time for s in emu.sent if s.chat_id == chat.id]
        assert min(b - a for a, b in itertools.pairwise(times)) >= TIME_SCALE - EPSILON, "1 per second per chat"
    assert len(emu.sent) == 250


async def test_retry_after_pauses_that_chat_only_while_other_chats_keep_flowing(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    limits = TelegramLimits(global_messages=30, global_window=0.1, group_messages=20, group_window=0.2,
                            chat_interval=0.01)
    other = emu.add_chat("supergroup", title="隔壁小区", members=[hood.zhang])
    emu.fail_next("sendMessage", retry_after=1, chat_id=hood.group.id)
    async with stack(emu, sqlite_url, limits=limits) as linli:
        running = await linli.start()
        await running.post(*[to(hood.group, f"A{i}") for i in range(3)], *[to(other, f"B{i}") for i in range(10)])

    calls = [c for c in emu.calls_of("sendMessage") if c.params["chat_id"] == hood.group.id]
    assert [c.status for c in calls] == [429, 200, 200, 200]
    refused, resumed = calls[0].time, calls[1].time
    assert resumed - refused >= 1 - EPSILON, "retry_after honoured"
    assert [s.plain_text for s in emu.sent if s.chat_id == hood.group.id] == ["A0", "A1", "A2"]
    others = [s for s in emu.sent if s.chat_id == other.id]
    assert [s.plain_text for s in others] == [f"B{i}" for i in range(10)]
    assert sum(refused < s.time < resumed for s in others) >= 5, "the other group was not held up"


async def test_telegram_flood_answers_are_obeyed_with_telegrams_real_limits(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """With the emulator enforcing Telegram's own limits, the defaults never trigger a 429."""
    from tests.support.telegram_emulator import RateLimits

    emu.set_rate_limits(RateLimits())
    async with stack(emu, sqlite_url, limits=TelegramLimits()) as linli:
        running = await linli.start()
        await running.post(*[to(hood.group, f"#{i}") for i in range(3)], to(emu.private_chat(hood.zhang), "你好"))
    assert [c.status for c in emu.calls_of("sendMessage")] == [200] * 4
    group_times = [s.time for s in emu.sent if s.chat_id == hood.group.id]
    assert group_times[2] - group_times[0] >= 2 - EPSILON, "one message per second into one chat"
