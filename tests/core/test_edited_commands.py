"""Edited commands as the core sees them (``core.edits``), and the group's admins writing anonymously.

An edit is handled again only when its first form was refused; that mark links a person to a message, so
it is theirs (``/mydata``), goes with ``/forgetme`` and never exists for a ``private_words`` command. The
group's admins (Telegram's anonymous admins) are nobody in particular: never a member.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from core import edits
from core.adapter_state import AdapterState
from core.events import IdentityRef, MessageReceived
from core.identity import Community, Membership
from core.testing import PLATFORM, Harness

ADMINS = IdentityRef(PLATFORM, "admins:group", "观梅群的管理员", is_chat_admin=True, as_group=True)


def typed(h: Harness, name: str, text: str) -> MessageReceived:
    return replace(h.event(name, text), editable=True)


def edited(first: MessageReceived, text: str) -> MessageReceived:
    return replace(first, event_id=first.event_id + ":edit:" + text, text=text, edited=True)


async def marks() -> list[AdapterState]:
    return await AdapterState.filter(namespace=edits.NAMESPACE)


async def test_a_successful_command_leaves_no_mark_and_its_edit_gets_the_note(community: Harness) -> None:
    h = community
    first = typed(h, "王书记", "/newproject 清理楼道 1 无")
    [announced] = await h.deliver(first)
    assert announced.text.startswith("📢 新项目 #1")
    assert await marks() == [], "nothing is stored for what worked"
    [note] = await h.deliver(edited(first, "/newproject 清理楼道 2 无"))
    assert note.text == "编辑消息不会改变命令已经做过的事。如需另做，请发送一条新命令。"


async def test_a_refused_command_is_redone_once_then_only_noted(community: Harness) -> None:
    h = community
    first = typed(h, "王书记", "/newproject 清理楼道 两个 无")
    [refused] = await h.deliver(first)
    assert "用法" in refused.text
    assert len(await marks()) == 1
    [announced] = await h.deliver(edited(first, "/newproject 清理楼道 2 无"))
    assert announced.text.startswith("📢 新项目 #1")
    assert await marks() == [], "done: the mark goes with it"
    [note] = await h.deliver(edited(first, "/newproject 清理楼道 3 无"))
    assert note.text.startswith("编辑消息不会改变")


async def test_an_edit_days_later_only_gets_the_note(community: Harness) -> None:
    h = community
    first = typed(h, "王书记", "/newproject 清理楼道 两个 无")
    await h.deliver(first)
    h.clock.advance(edits.KEPT_FOR + timedelta(minutes=1))
    [note] = await h.deliver(edited(first, "/newproject 清理楼道 2 无"))
    assert note.text.startswith("编辑消息不会改变")


async def test_the_mark_is_the_persons_listed_and_erased_and_an_edit_after_forgetme_does_nothing(
        community: Harness) -> None:
    h = community
    first = typed(h, "张三", "/claim 9")
    await h.deliver(first)
    [notice, *_rest] = await h.deliver(h.event("张三", "/mydata"))
    data = json.loads(notice.files[0].data)
    assert data["core"]["refused_commands_to_edit"][0]["message"] == first.message_id
    await h.send("张三", "/forgetme 确认")
    assert await marks() == [], "erased with the person"
    [note] = await h.deliver(edited(first, "/claim 8"))
    assert note.text.startswith("编辑消息不会改变")


async def test_a_refused_rating_leaves_no_mark(community: Harness) -> None:
    h = community
    first = typed(h, "张三", "/rate 不存在的公司 5 5 5 5 5")
    await h.deliver(first)
    assert await marks() == [], "no row tells that someone (tried to) rate"


async def test_the_groups_admins_are_never_a_member(community: Harness) -> None:
    h = community
    [listing] = await h.deliver(replace(h.event("x", "/help"), sender=ADMINS))
    assert "/enable" in listing.text or "/启用" in listing.text
    assert "/claim" not in listing.text and "/认领" not in listing.text, "only what the group may do as the group"
    [toggled] = await h.deliver(replace(h.event("x", "/disable thanks"), sender=ADMINS))
    assert "thanks" in toggled.text or "感谢" in toggled.text
    assert await Membership.filter(user__display_name=ADMINS.display_name).count() == 0


async def test_the_groups_admins_cannot_join_the_chat_to_another_community(harness: Harness) -> None:
    h = harness
    await h.send("王书记", "/setup 观梅社区", room="other")
    [refused] = await h.deliver(replace(h.event("x", "/setup join 观梅社区"), sender=ADMINS))
    assert "匿名" in refused.text
    assert await Community.filter(name__startswith="join").count() == 0
