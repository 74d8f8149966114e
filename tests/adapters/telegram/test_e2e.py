"""The whole story over a real socket: a group is set up by its admin, a project is published, and a
neighbour claims it by pressing the inline button; by long polling and by webhook, on SQLite and
PostgreSQL, with Telegram's group privacy on (its default: Latin commands only) and off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from tests.adapters.telegram.conftest import Neighbourhood, stack, strict_emulator
from tests.support.telegram_emulator import BotApiEmulator

Deliver = Callable[[], Awaitable[object]]
#: What residents type, by privacy mode: in privacy mode only Latin commands reach the bot.
SPELLINGS = {True: ("/newproject", "/projects"), False: ("/发布项目", "/项目")}


@pytest_asyncio.fixture(params=[True, False], ids=["privacy-on", "privacy-off"])
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[BotApiEmulator]:
    async with strict_emulator(privacy_mode=request.param) as emulator:
        yield emulator


async def claim_story(emu: BotApiEmulator, hood: Neighbourhood, deliver: Deliver) -> int:
    """Returns the update id of the button press."""
    group = hood.group
    publish, listing_command = SPELLINGS[emu.privacy_mode]
    asked = emu.user_says(group, hood.wang, "/setup@linli_test_bot 观梅社区")
    await deliver()
    [setup] = await emu.wait_for_sent(1, chat_id=group.id)
    assert setup.plain_text == "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"
    assert setup.reply_to_message_id == emu.injected[asked]["message"]["message_id"]

    emu.user_says(group, hood.wang, f"{publish} 整治共享单车 2 12-31 10分 把门口的单车挪走")
    await deliver()
    announcement = (await emu.wait_for_sent(2, chat_id=group.id))[1]
    assert announcement.plain_text is not None and announcement.plain_text.startswith("📢 新项目 #1「整治共享单车」")
    assert announcement.reply_markup == {"inline_keyboard": [[{"text": "认领 #1", "callback_data": "/claim 1"}]]}

    pressed = emu.user_presses(group, hood.li, announcement.message_id, "/claim 1")
    await deliver()
    reply = (await emu.wait_for_sent(3, chat_id=group.id))[2]
    assert reply.plain_text is not None
    assert reply.plain_text.startswith("✅ 李四 认领了 #1「整治共享单车」（剩余名额 1/2）")
    assert reply.reply_markup is None
    [answer] = await emu.wait_for_callback_answers(1)
    assert (answer.data, answer.user_id, answer.message_id) == ("/claim 1", hood.li.id, announcement.message_id)

    emu.user_says(group, hood.zhang, listing_command)
    await deliver()
    listing = (await emu.wait_for_sent(4, chat_id=group.id))[3]
    assert listing.reply_markup == {"inline_keyboard": [[{"text": "认领 #1", "callback_data": "/claim 1"}]]}
    assert emu.filtered == [], "everything the residents typed reached the bot"
    return pressed


async def test_claim_by_inline_button_over_long_polling(emu: BotApiEmulator, hood: Neighbourhood, db_url: str) -> None:
    async with stack(emu, db_url, privacy_mode=emu.privacy_mode) as linli:
        running = await linli.start()

        async def nothing() -> None:
            return None

        pressed = await claim_story(emu, hood, nothing)
        await emu.wait_confirmed(pressed)
        assert emu.pending_updates == []
        assert running.app.bus.duplicates == 0
        assert len(emu.sent) == 4
        assert all(c.status == 200 for c in emu.calls if c.method != "getUpdates"), "no 429, no expired press"


async def test_claim_by_inline_button_over_webhook(emu: BotApiEmulator, hood: Neighbourhood, db_url: str) -> None:
    async with stack(emu, db_url, webhook=True, privacy_mode=emu.privacy_mode) as linli:
        running = await linli.start()
        assert emu.webhook is not None
        assert emu.webhook.url == f"http://127.0.0.1:{linli.port}/telegram/hook"
        assert emu.webhook.secret_token == "s3cret-hook"
        assert set(emu.webhook.allowed_updates or ()) >= {"message", "callback_query", "chat_member"}

        async def deliver() -> None:
            assert await emu.deliver_webhook() == 200

        pressed = await claim_story(emu, hood, deliver)
        assert emu.is_confirmed(pressed)
        assert emu.calls_of("getUpdates") == [], "no polling in webhook mode"
        assert len(running.events) == 4
