"""The emulator is as strict as Telegram by default: privacy mode with the "last bot" rule, flood limits on
every sending method, button presses that expire, updates kept 24 hours, forum topics and anonymous
admins shaped as the Bot API documents them. Driven with PTB's own ``Bot`` over the socket."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from telegram import Bot, BotCommand, BotCommandScopeChatAdministrators
from telegram.error import BadRequest, RetryAfter

from tests.support.telegram_emulator import GROUP_ANONYMOUS_BOT_ID, BotApiEmulator


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


class Clock:
    """Real time plus whatever a test skips ahead."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def emu(clock: Callable[[], float]) -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(clock=clock) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


async def test_privacy_is_on_and_a_bare_command_goes_to_the_last_bot_that_spoke(emu: BotApiEmulator) -> None:
    alice = emu.add_user("Alice")
    other = emu.add_user("Other", username="other_bot", is_bot=True)
    group = emu.add_chat("supergroup", title="邻里", creator=alice, members=[other])
    emu.user_says(group, alice, "大家好")
    emu.user_says(group, alice, "/help")
    emu.other_bot_says(group, other, "I am the other bot")
    emu.user_says(group, alice, "/help")
    emu.user_says(group, alice, "/help@linli_test_bot")
    texts = [u["message"]["text"] for u in emu.pending_updates]
    assert texts == ["/help", "/help@linli_test_bot"], "chatter and the bare /help after the other bot are filtered"
    assert any("last bot" in f.reason for f in emu.filtered)


async def test_every_sending_method_is_flood_limited(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_chat("supergroup", title="邻里", creator=alice)
    sent = await bot.send_message(group.id, "一")
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(group.id, "二")
    assert limited.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("一（改）", chat_id=group.id, message_id=sent.message_id)
    for _ in range(29):  # calls without a chat count towards the overall 30 per second
        await bot.set_my_commands([BotCommand("help", "帮助")], scope=BotCommandScopeChatAdministrators(group.id))
    with pytest.raises(RetryAfter):
        await bot.set_my_commands([BotCommand("help", "帮助")])


async def test_time_scale_makes_the_limits_fast_but_the_same(clock: Callable[[], float]) -> None:
    async with BotApiEmulator(clock=clock, time_scale=0.01) as emu, \
            Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as bot:
        group = emu.add_chat("supergroup", title="邻里")
        await bot.send_message(group.id, "一")
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(group.id, "二")
        assert limited.value.retry_after.total_seconds() == pytest.approx(0.01)  # type: ignore[union-attr]


async def test_a_button_press_expires_after_15_seconds(emu: BotApiEmulator, bot: Bot, clock: Clock) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_chat("supergroup", title="邻里", creator=alice)
    emu.set_rate_limits(None)
    message = await bot.send_message(group.id, "认领？", reply_markup={"inline_keyboard": [[
        {"text": "认领", "callback_data": "/claim 1"}]]})  # type: ignore[arg-type]
    emu.user_presses(group, alice, message.message_id, "/claim 1")
    emu.user_presses(group, alice, message.message_id, "/claim 1")
    first, second = [u["callback_query"]["id"] for u in emu.pending_updates]
    assert await bot.answer_callback_query(first)
    clock.skipped += 16
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(second)


async def test_updates_are_kept_24_hours_only(emu: BotApiEmulator, bot: Bot, clock: Clock) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_chat("supergroup", title="邻里", creator=alice)
    lost = emu.user_says(group, alice, "/help")
    clock.skipped += 20 * 3600
    kept = emu.user_says(group, alice, "/whoami")
    clock.skipped += 5 * 3600  # a 25-hour outage for the first, 5 hours for the second
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [kept]
    assert [u["update_id"] for u in emu.expired_updates] == [lost]


async def test_topics_and_anonymous_admins_look_as_the_bot_api_says(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_chat("supergroup", title="街道", creator=alice, is_forum=True)
    topic = emu.create_topic(group, alice, "志愿服务")
    emu.user_says(group, alice, "/help", thread=topic)
    emu.admin_says_anonymously(group, alice, "/setup 观梅")
    created, in_topic, anonymous = [u["message"] for u in emu.pending_updates]
    assert created["forum_topic_created"]["name"] == "志愿服务" and created["message_thread_id"] == topic
    assert in_topic["is_topic_message"] and in_topic["message_thread_id"] == topic
    assert in_topic["reply_to_message"]["message_id"] == topic, "a topic message replies to the topic's start"
    assert anonymous["from"]["id"] == GROUP_ANONYMOUS_BOT_ID and anonymous["sender_chat"]["id"] == group.id
    emu.set_rate_limits(None)
    answer = await bot.send_message(group.id, "好", message_thread_id=topic)
    assert answer.is_topic_message and answer.message_thread_id == topic
    emu.delete_topic(group, topic)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(group.id, "好", message_thread_id=topic)
