"""Private notices on Telegram: a direct message to the person; when Telegram will not let the bot write
to them (they never pressed Start, or blocked it), a harmless notice is posted in the group with a
mention, and a sensitive one only as a prompt to open a chat with the bot, never its content."""

from __future__ import annotations

from datetime import timedelta

from core.events import Button, IdentityRef, OutgoingMessage
from tests.adapters.telegram.conftest import Neighbourhood, channel, stack
from tests.support.telegram_emulator import BotApiEmulator, EmuUser, SentMessage

PROMPT = "，我还不能私信你：请打开与 @linli_test_bot 的对话，点击“开始”，然后再试一次。"


def person(user: EmuUser) -> IdentityRef:
    return IdentityRef("telegram", str(user.id), user.first_name, username=user.username, language="zh_CN")


def mentioned(sent: SentMessage) -> list[tuple[int, str]]:
    """Who a message mentions through a text_mention entity, and on which words."""
    text = sent.plain_text or ""
    units = text.encode("utf-16-le")
    return [(e["user"]["id"], units[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le"))
            for e in sent.entities if e["type"] == "text_mention"]


async def test_a_notice_that_cannot_go_privately_is_posted_with_a_mention_unless_it_is_sensitive(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    emu.private_chat(hood.zhang)  # 张三 pressed Start long ago
    emu.private_chat(hood.li, started=False)  # 李四 opened the chat but never pressed Start
    wangwu = emu.add_user("王五", username="wangwu")  # 王五 never opened one
    zhaoliu = emu.add_user("赵六", username="zhaoliu")
    emu.private_chat(zhaoliu)
    emu.set_member(emu.private_chat(zhaoliu), emu.bot, "kicked")  # 赵六 blocked the bot
    people = (hood.zhang, hood.li, wangwu, zhaoliu)
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        for user in people:
            await adapter.send(OutgoingMessage(channel(hood.group), "周六上午九点大扫除，记得带手套。",
                                               private_to=person(user)))
            await adapter.send(OutgoingMessage(channel(hood.group), f"{user.first_name}的服务证书编号：2026-07",
                                               private_to=person(user), sensitive=True))
        await emu.wait_for_sent(8)
        await adapter.flush()

    assert [s.plain_text for s in emu.sent if s.chat_id == hood.zhang.id] == [
        "周六上午九点大扫除，记得带手套。", "张三的服务证书编号：2026-07"]
    in_group = [s for s in emu.sent if s.chat_id == hood.group.id]
    assert sorted(s.plain_text or "" for s in in_group) == sorted([
        "李四：周六上午九点大扫除，记得带手套。", "李四" + PROMPT,
        "@wangwu：周六上午九点大扫除，记得带手套。", "@wangwu" + PROMPT,
        "@zhaoliu：周六上午九点大扫除，记得带手套。", "@zhaoliu" + PROMPT,
    ])
    assert not any("证书" in (s.plain_text or "") for s in in_group), "private content never reaches the group"
    for sent in in_group:
        if (sent.plain_text or "").startswith("李四"):  # no username: mentioned by a link to the account
            assert mentioned(sent) == [(hood.li.id, "李四")]
    assert len(emu.sent) == 8


async def test_a_notice_posted_in_the_group_keeps_its_buttons(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        buttons = ((Button("已完成 #1", "/done 1"), Button("还在做", "/progress 1")),)
        await adapter.send(OutgoingMessage(channel(hood.group), "⏰ 你认领的 #1 快到期了。", buttons=buttons,
                                           private_to=person(hood.zhang)))
        [posted] = await emu.wait_for_sent(1)
    assert (posted.chat_id, posted.plain_text) == (hood.group.id, "@zhangsan：⏰ 你认领的 #1 快到期了。")
    assert posted.callback_data == ["/done 1", "/progress 1"]


async def test_a_claims_reminder_goes_privately_to_the_claimer(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    """The sweep reminds 张三 (who pressed Start) in a direct message; 李四, whom the bot cannot write to,
    is mentioned in the group instead. Nothing about 张三's claim is said in the group."""
    emu.private_chat(hood.zhang)
    group = hood.group
    async with stack(emu, db_url) as linli:
        running = await linli.start()
        emu.user_says(group, hood.wang, "/setup 观梅社区")
        emu.user_says(group, hood.wang, "/newproject 整治共享单车 2 无")
        emu.user_says(group, hood.zhang, "/claim 1")
        last = emu.user_says(group, hood.li, "/claim 1")
        await emu.wait_confirmed(last)
        await running.adapter.flush()
        before = len(emu.sent)

        linli.clock.advance(timedelta(days=6, hours=1))
        assert await running.app.scheduler.run_due() >= 1
        await emu.wait_for_sent(before + 2)
        await running.adapter.flush()

    said = emu.sent[before:]
    [to_zhang] = [s for s in said if s.chat_id == hood.zhang.id]
    assert (to_zhang.plain_text or "").startswith(
        "⏰ 张三：你认领的 #1「整治共享单车」如果没有进展，将于 11月30日 10:00 释放。")
    assert [b["text"] for b in to_zhang.buttons[0]] == ["已完成 #1", "还在做"]
    [in_group] = [s for s in said if s.chat_id == group.id]
    assert (in_group.plain_text or "").startswith("李四：⏰ 李四：你认领的 #1「整治共享单车」")
    assert mentioned(in_group) == [(hood.li.id, "李四")]
    assert len(said) == 2


async def test_a_private_only_notice_that_cannot_go_privately_is_dropped(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """A ratings reminder: even the prompt to open a chat would tell the group who has not rated."""
    emu.private_chat(hood.zhang)
    emu.private_chat(hood.li, started=False)
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        for user in (hood.zhang, hood.li):
            await adapter.send(OutgoingMessage(channel(hood.group), "⏰ 您家还没有评价 物业公司",
                                               private_to=person(user), sensitive=True, private_only=True))
        await emu.wait_for_sent(1)
        await adapter.flush()
    assert [(s.chat_id, s.plain_text) for s in emu.sent] == [(hood.zhang.id, "⏰ 您家还没有评价 物业公司")]
