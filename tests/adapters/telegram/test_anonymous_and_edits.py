"""Two things admins of large groups do: post anonymously as the group, and correct a command by editing it.

An anonymous admin (``sender_chat`` = the group, sent by GroupAnonymousBot) is served as the group's admins
for what needs no person (``/setup``, ``/disable``), nobody being made organizer by it, and refused with a
reason for what must know the person (``/claim``). An edited command whose first form was refused is
handled in its edited form, once per edit; an edit of one that did something gets a note instead.
"""

from __future__ import annotations

from core.identity import Membership, User
from plugins.claims.models import Project
from tests.adapters.telegram.conftest import Neighbourhood, stack
from tests.support.telegram_emulator import BotApiEmulator


async def test_an_anonymous_admin_sets_the_group_up_and_is_refused_a_claim(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    group = hood.group
    async with stack(emu, db_url) as linli:
        await linli.start()
        before = len(emu.sent)
        emu.admin_says_anonymously(group, hood.wang, "/setup 观梅社区")
        [setup] = (await emu.wait_for_sent(before + 1))[before:]
        assert setup.plain_text == ("观梅社区由群管理员设置好了。目前还没有组织者：以本人身份发言的管理员发送 /setup "
                                    "即成为组织者。")

        emu.admin_says_anonymously(group, hood.wang, "/disable thanks")
        [disabled] = (await emu.wait_for_sent(before + 2))[before + 1:]
        assert "已关闭" in (disabled.plain_text or "") or "停用" in (disabled.plain_text or ""), disabled.plain_text

        emu.admin_says_anonymously(group, hood.wang, "/claim 1")
        [refused] = (await emu.wait_for_sent(before + 3))[before + 2:]
        assert refused.plain_text == ("/claim 需要知道你是谁，而你正以群组身份匿名发言。请在你的管理员权限里关闭"
                                      "“保持匿名”后再使用。")

        organizers = [m for m in await Membership.all() if "organizer" in m.roles]
        assert organizers == [], "nobody was made organizer by an anonymous /setup"
        [admins] = await User.filter(display_name="观梅社区邻里群的管理员")
        assert not await Membership.exists(user_id=admins.id), "the group's admins are nobody: never a member"

        before = len(emu.sent)
        emu.user_says(group, hood.wang, "/setup 观梅社区")  # the same admin, as herself
        [recovered] = (await emu.wait_for_sent(before + 1))[before:]
        assert "组织者" in (recovered.plain_text or "")
        assert [m.user_id for m in await Membership.all() if "organizer" in m.roles] != []


async def test_an_edited_bad_command_is_handled_once_after_the_edit(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    group = hood.group
    async with stack(emu, db_url) as linli:
        await linli.start()
        emu.user_says(group, hood.wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        typo = emu.user_says(group, hood.wang, "/newproject 整治共享单车 两个 无")
        [refused] = (await emu.wait_for_sent(2))[1:]
        assert "用法" in (refused.plain_text or ""), "the first form was refused: nothing was done"
        message_id = emu.injected[typo]["message"]["message_id"]

        edit = emu.user_edits(group, hood.wang, message_id, "/newproject 整治共享单车 2 无")
        [announced] = (await emu.wait_for_sent(3))[2:]
        assert (announced.plain_text or "").startswith("📢 新项目 #1「整治共享单车」")

        emu.user_edits(group, hood.wang, message_id, "/newproject 整治共享单车 3 无")
        [note] = (await emu.wait_for_sent(4))[3:]
        assert note.plain_text == "编辑消息不会改变命令已经做过的事。如需另做，请发送一条新命令。"
        assert note.reply_to_message_id == message_id

        await linli.stop()
        await linli.start()
        emu.inject(emu.injected[edit])  # Telegram sends the first edit again after the restart
        await emu.wait_until(lambda: not emu.pending_updates, what="the repeated edit fetched")
        await linli.running.app.settle()  # type: ignore[union-attr]
        await linli.running.adapter.flush()  # type: ignore[union-attr]
        assert len(emu.sent) == 4, "a repeated edit is not handled again"
        assert await Project.all().count() == 1, "the project exists once"


async def test_edited_chatter_and_a_refused_edit_change_nothing(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    group = hood.group
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        emu.user_says(group, hood.wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        first = emu.user_says(group, hood.zhang, "/claim 9")
        [refused] = (await emu.wait_for_sent(2))[1:]
        message_id = emu.injected[first]["message"]["message_id"]
        emu.user_edits(group, hood.zhang, message_id, "/claim 8")
        [again] = (await emu.wait_for_sent(3))[2:]
        assert "8" in (again.plain_text or "") and again.plain_text != refused.plain_text, "handled in its edited form"
        assert await Project.all().count() == 0
