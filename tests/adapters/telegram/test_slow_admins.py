"""A slow ``getChatAdministrators`` costs no button press its answer: the batch waits for a group's admin
list only briefly (``roles.ADMIN_WAIT``, scaled like the emulator's press window), goes on with what is
known, and the list fills the cache when it comes; meanwhile nobody is granted what only an admin may do,
and an admin is asked to try again rather than refused."""

from __future__ import annotations

from adapters.telegram.roles import ADMIN_WAIT
from tests.adapters.telegram.conftest import CALLBACK_TIMEOUT, Neighbourhood, Running, stack
from tests.adapters.telegram.test_adapter import SETUP_REPLY
from tests.adapters.telegram.test_buttons import reported_done
from tests.support.telegram_emulator import CALLBACK_TIMEOUT as TELEGRAM_CALLBACK_TIMEOUT
from tests.support.telegram_emulator import BotApiEmulator

#: The tests' press window is CALLBACK_TIMEOUT for Telegram's 15 s: the adapter's wait shrinks alike.
SCALE = CALLBACK_TIMEOUT / TELEGRAM_CALLBACK_TIMEOUT
#: Longer than the whole press window: before the bound, a press behind this load was never answered.
SLOW = 2.5 * CALLBACK_TIMEOUT


def scaled(running: Running) -> None:
    running.adapter.admins.wait = ADMIN_WAIT * SCALE


async def test_a_press_is_answered_in_time_while_the_admin_list_is_slow(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        report = await reported_done(emu, hood, linli)
        await linli.stop()
        running = await linli.start()  # a new process: no admin list in memory
        scaled(running)
        emu.delay_next("getChatAdministrators", SLOW)
        before, loads = len(emu.sent), len(emu.calls_of("getChatAdministrators"))
        emu.user_presses(hood.group, hood.wang, report.message_id, report.callback_data[0])
        [answer] = await emu.wait_for_callback_answers(1, timeout=CALLBACK_TIMEOUT)
        assert (answer.text, answer.show_alert) == (None, False), "answered plainly, within Telegram's window"
        assert answer.user_id == hood.wang.id
        [verified] = (await emu.wait_for_sent(before + 1))[before:]
        assert verified.chat_id == hood.group.id and "张三" in (verified.plain_text or "")
        assert running.events[-1].sender.admin_unknown, "the core was told the admin list is not known yet"

        await emu.wait_until(lambda: not running.adapter.admins.unknown(hood.group.id), timeout=SLOW + 5,
                             what="the admin list to arrive in the background")
        assert running.adapter.admins.is_admin(hood.group.id, hood.wang.id)
        assert len(emu.calls_of("getChatAdministrators")) == loads + 1, "one load, however many waited for it"


async def test_an_admin_is_asked_to_try_again_while_the_list_loads_and_nobody_is_granted_more(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        scaled(running)
        emu.delay_next("getChatAdministrators", SLOW)
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        emu.user_says(hood.group, hood.zhang, "/setup 张三的社区")
        first, second = await emu.wait_for_sent(2, timeout=CALLBACK_TIMEOUT)
        assert first.plain_text == second.plain_text == "我还不确定你是不是本群的管理员，请稍后再试一次。", (
            "neither a wrong refusal of the admin nor a community set up by a resident")

        await emu.wait_until(lambda: not running.adapter.admins.unknown(hood.group.id), timeout=SLOW + 5,
                             what="the admin list to arrive in the background")
        emu.user_says(hood.group, hood.zhang, "/setup 张三的社区")
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        _, _, refused, accepted = await emu.wait_for_sent(4)
        assert refused.plain_text == "只有本群的管理员才能把它设置为社区。"
        assert accepted.plain_text == SETUP_REPLY
        assert len(emu.calls_of("getChatAdministrators")) == 1
