"""Buttons: data too long for Telegram's 64 bytes is stored in the database, so an old button still
works after a restart; a press the core refuses is answered as a pop-up on the button, after the commit,
and never posted in the group."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.telegram.buttons import CALLBACK_DATA_LIMIT, ButtonStore
from core.events import Button, OutgoingMessage
from core.testing import Harness
from tests.adapters.telegram.conftest import Neighbourhood, Stack, channel, stack
from tests.support.telegram_emulator import BotApiEmulator, EmuUser, SentMessage

#: 84 bytes: a thank-you with a note, as a button would carry it.
LONG = "/thanks @zhangsan 谢谢你帮忙把门口的共享单车都挪到了停车线里"


async def test_long_button_data_is_stored_and_short_data_goes_as_it_is(sqlite_url: str) -> None:
    async with Harness.create(sqlite_url) as h:
        store = ButtonStore(h.app.adapter_services)
        assert await store.encode("/claim 12") == "/claim 12"
        key = await store.encode(LONG)
        assert len(LONG.encode()) > CALLBACK_DATA_LIMIT >= len(key.encode()) and key.startswith("~")
        assert await store.encode(LONG) == key, "the same data, the same key"
        tricky = await store.encode("~looks like a key")
        assert tricky != "~looks like a key"

        await h.restart()
        fresh = ButtonStore(h.app.adapter_services)  # nothing in memory: read from the database
        assert await fresh.decode(key) == LONG
        assert await fresh.decode(tricky) == "~looks like a key"
        assert await fresh.decode("/claim 12") == "/claim 12"
        assert await fresh.decode("~0123456789abcdef") is None

        h.clock.advance(timedelta(days=31))
        await h.restart()
        assert await ButtonStore(h.app.adapter_services).decode(key) is None, "expired after 30 days"


async def test_a_long_button_still_works_after_a_restart(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    group = hood.group
    async with stack(emu, db_url) as linli:
        running = await linli.start()
        emu.user_says(group, hood.wang, "/setup 观梅社区")
        emu.user_says(group, hood.zhang, "/whoami")
        last = emu.user_says(group, hood.li, "/whoami")
        await emu.wait_confirmed(last)
        await running.app.settle()  # confirmed once stored (the core's inbox): handled now
        await running.post(OutgoingMessage(channel(group), "要感谢张三吗？", buttons=((Button("感谢张三", LONG),),)))
        offer = emu.sent[-1]
        [data] = offer.callback_data
        assert data.startswith("~")

        await linli.stop()
        linli.clock.advance(timedelta(days=20))
        running = await linli.start()  # a new process: nothing of the old one in memory
        before = len(emu.sent)
        pressed = emu.user_presses(group, hood.li, offer.message_id, data)
        await emu.wait_confirmed(pressed)
        [thanked] = (await emu.wait_for_sent(before + 1))[before:]
        assert [e.button_data for e in running.events] == [LONG]
        assert (thanked.plain_text or "").startswith("李四 感谢 张三")
        [answer] = await emu.wait_for_callback_answers(1)
        assert (answer.text, answer.show_alert) == (None, False), "answered plainly: the spinner stops"

        await linli.stop()
        linli.clock.advance(timedelta(days=31))
        await linli.start()
        emu.user_presses(group, hood.li, offer.message_id, data)
        [_, expired] = await emu.wait_for_callback_answers(2)
        assert expired.text == "这个按钮已过期，请重新发送命令。"


async def reported_done(emu: BotApiEmulator, hood: Neighbourhood, linli: Stack) -> SentMessage:
    """王书记 publishes a project, 张三 claims it and reports it done: the report with its verify button."""
    group = hood.group
    emu.user_says(group, hood.wang, "/setup 观梅社区")
    emu.user_says(group, hood.wang, "/newproject 整治共享单车 2 无")
    emu.user_says(group, hood.zhang, "/claim 1")
    done = emu.user_says(group, hood.zhang, "/done 1 挪好了")
    await emu.wait_confirmed(done)
    assert linli.running is not None
    await linli.running.adapter.flush()
    report = emu.sent[-1]
    assert [b["text"] for b in report.buttons[0]] == ["验收 张三"]
    return report


def said_in(emu: BotApiEmulator, chat_id: int, since: int) -> list[str | None]:
    return [s.plain_text for s in emu.sent[since:] if s.chat_id == chat_id]


async def test_a_refused_button_press_is_a_pop_up_and_nothing_is_posted_in_the_group(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    async with stack(emu, db_url) as linli:
        await linli.start()
        report = await reported_done(emu, hood, linli)
        before = len(emu.sent)
        pressed = emu.user_presses(hood.group, hood.li, report.message_id, report.callback_data[0])
        await emu.wait_confirmed(pressed)
        [answer] = await emu.wait_for_callback_answers(1)
        assert answer.show_alert and answer.user_id == hood.li.id
        assert answer.text == "抱歉，/verify 只有组织者可以使用。", answer.text
        assert linli.running is not None
        await linli.running.adapter.flush()
    assert emu.sent[before:] == [], "the refusal is not posted in the group, nor anywhere else"


async def test_a_pop_up_too_late_for_the_button_is_a_private_message_never_a_group_post(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """Presses made while the bot was down are too old to answer when it is back: the presser who can
    be written to gets the refusal privately; the group hears nothing of either."""
    emu.private_chat(hood.li)  # 李四 pressed Start; 王五 never did
    wangwu: EmuUser = emu.add_user("王五", username="wangwu")
    emu.set_member(hood.group, wangwu, "member")
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        report = await reported_done(emu, hood, linli)
        await linli.stop()
        before = len(emu.sent)
        emu.user_presses(hood.group, hood.li, report.message_id, report.callback_data[0])
        last = emu.user_presses(hood.group, wangwu, report.message_id, report.callback_data[0])
        emu.expire_callback_queries()
        running = await linli.start()
        await emu.wait_confirmed(last)
        await emu.wait_for_sent(before + 1)
        await running.adapter.flush()
    [refusal] = said_in(emu, hood.li.id, before)
    assert refusal is not None and "组织者" in refusal
    assert said_in(emu, hood.group.id, before) == []
    assert len(emu.sent) == before + 1
    assert emu.callback_answers == []


async def test_a_press_behind_its_communitys_backlog_stops_spinning_within_telegrams_window(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox may hold a press behind its community's backlog longer than Telegram takes an answer:
    the press is answered plainly while it still can be (the spinner stops), and the refusal the core
    says once it gets to it reaches the presser privately, never the group."""
    import asyncio

    from adapters.telegram import adapter as telegram_adapter
    from core.events import MessageReceived

    monkeypatch.setattr(telegram_adapter, "PRESS_WINDOW", 0.3)
    emu.private_chat(hood.li)
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        report = await reported_done(emu, hood, linli)
        before = len(emu.sent)
        opened = asyncio.Event()
        accept = running.app.accept

        async def backlog(event: MessageReceived) -> bool:  # the community is busy with earlier events
            if event.button_data is not None:
                await opened.wait()
            return await accept(event)

        running.app.accept = backlog  # type: ignore[method-assign]
        pressed = emu.user_presses(hood.group, hood.li, report.message_id, report.callback_data[0])
        await emu.wait_confirmed(pressed)
        await asyncio.sleep(1.0)
        emu.expire_callback_queries()  # Telegram's window is over
        opened.set()
        await emu.wait_for_sent(before + 1)
        await running.adapter.flush()
    [answer] = emu.callback_answers
    assert answer.user_id == hood.li.id and not answer.show_alert, "answered plainly within the window"
    [refusal] = said_in(emu, hood.li.id, before)
    assert refusal is not None and "组织者" in refusal
    assert said_in(emu, hood.group.id, before) == []
