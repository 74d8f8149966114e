"""Telegram's group privacy mode (on by default): in a group the bot receives only commands spelled in
Latin letters, so ``/认领 1`` never reaches it. The README's tour, played on the emulator with privacy
on, as Telegram users must play it, checks that every command the bot suggests is one Telegram delivers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest_asyncio

from tests.adapters.telegram.conftest import stack, strict_emulator
from tests.support.telegram_emulator import BotApiEmulator, EmuUser

#: A slash that starts a command: not inside a number ("1/2"), a path or a URL.
COMMAND_START = re.compile(r"(?<![\w/:.])/")
CHINESE_COMMANDS = ("/认领", "/完成", "/验收", "/发布项目", "/进展", "/项目", "/帮助", "/感谢", "/排行")


@pytest_asyncio.fixture
async def private_emu() -> AsyncIterator[BotApiEmulator]:
    async with strict_emulator(privacy_mode=True) as emulator:
        yield emulator


def undeliverable_hints(emu: BotApiEmulator, text: str) -> list[str]:
    """The commands ``text`` suggests that a member typing them in the group would not get to the bot."""
    found = []
    for start in COMMAND_START.finditer(text):
        hint = text[start.start():].split("\n", 1)[0]
        if not emu.reaches_bot_in_group(hint):
            found.append(hint)
    return found


async def test_every_command_the_bot_suggests_reaches_it_in_privacy_mode(private_emu: BotApiEmulator,
                                                                         db_url: str) -> None:
    emu = private_emu
    wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
    zhang = emu.add_user("张三", username="zhangsan", language_code="zh-hans")
    li = emu.add_user("李四", username="lisi", language_code="zh-hans")
    group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=[zhang, li])
    async with stack(emu, db_url) as linli:
        running = await linli.start()

        async def say(user: EmuUser, text: str) -> None:
            update = emu.user_says(group, user, text)
            await emu.wait_confirmed(update)
            await running.adapter.flush()

        await say(wang, "/setup 观梅社区")
        await say(zhang, "/whoami")
        await say(li, "/whoami")
        await say(wang, "/grant @zhangsan volunteer")
        await say(wang, "/newproject 整治共享单车 1 12-31 10pts 把门口的单车挪走")
        announcement = next(s for s in reversed(emu.sent) if s.callback_data == ["/claim 1"])
        pressed = emu.user_presses(group, zhang, announcement.message_id, "/claim 1")
        await emu.wait_confirmed(pressed)
        await running.adapter.flush()
        await say(li, "/claim 1")
        await say(zhang, "/done 1 已挪到停车区")
        await say(wang, "/verify 1 @zhangsan")
        await say(li, "/thanks @zhangsan 帮忙搬共享单车")
        await say(zhang, "/top")
        await say(zhang, "/help")

    assert emu.filtered == [], "every command the users typed reached the bot"
    texts = [s.plain_text or "" for s in emu.sent] + [a.text or "" for a in emu.callback_answers]
    assert any("验收通过" in t for t in texts), "the tour went all the way to the verified work"
    assert [hint for text in texts for hint in undeliverable_hints(emu, text)] == []
    assert [text for text in texts if any(name in text for name in CHINESE_COMMANDS)] == []


async def test_a_step_by_step_question_is_answered_by_replying_to_it(private_emu: BotApiEmulator,
                                                                     db_url: str) -> None:
    """In privacy mode a plain answer never reaches the bot, so each question asks for a reply (ForceReply,
    shown to the asker alone); the reply gets through and the dialog goes on."""
    emu = private_emu
    wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
    group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=[])
    async with stack(emu, db_url) as linli:
        running = await linli.start()

        async def say(text: str, reply_to: int | None = None) -> None:
            update = emu.user_says(group, wang, text, reply_to=reply_to)
            await emu.wait_confirmed(update)
            await running.adapter.flush()

        await say("/setup 观梅社区")
        await say("/newproject")
        question = emu.sent[-1]
        assert (question.plain_text or "").startswith("(1/5)")
        assert question.reply_markup == {"force_reply": True, "selective": True}
        assert question.reply_to_message_id is not None, "selective: the asker's keyboard opens, nobody else's"
        await say("整治共享单车", reply_to=question.message_id)
        assert (emu.sent[-1].plain_text or "").startswith("(2/5)"), "the reply reached the bot"
        assert emu.filtered == []
