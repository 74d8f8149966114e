"""/link and /unlink: one person across platforms, with one balance and one role set; unlinking splits
the account off again and leaves what was earned with the person the other accounts keep."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from core.builtin.link import MAX_WRONG_CODES
from core.events import ChannelRef, IdentityRef, OutgoingMessage
from core.identity import Community, Identity, User
from core.points import award, balance_of
from core.testing import Harness

MATRIX_ROOM = ChannelRef("matrix", "!room:linli.test", "观梅社区邻里群")


def on_matrix(h: Harness, name: str, text: str, *, admin: bool = False):  # type: ignore[no-untyped-def]
    """``name`` writes ``text`` from a Matrix account, in the community's Matrix room."""
    sender = IdentityRef("matrix", f"@{name}:linli.test", name, username=f"{name}:linli.test", is_chat_admin=admin)
    return replace(h.event(name, text), channel=MATRIX_ROOM, sender=sender)


async def linking_code(h: Harness, name: str) -> str:
    [reply] = await h.deliver(h.event(name, "/link"))
    assert reply.private_to is not None and reply.private_to.user_id == name, "the code goes privately"
    code = reply.text.split("你的关联验证码是 ", 1)[1].split("。", 1)[0]
    assert len(code) == 8
    return code


async def bind_matrix_room(h: Harness) -> None:
    """王书记 links her Matrix account, then adds the Matrix room to 观梅社区."""
    h.app.adapters["matrix"] = h.adapter  # record what goes to Matrix too
    code = await linking_code(h, "王书记")
    await h.deliver(on_matrix(h, "wang", f"/link {code}"))
    await h.deliver(on_matrix(h, "wang", f"/link {code} 确认"))
    [joined] = await h.deliver(on_matrix(h, "wang", "/setup join 观梅社区"))
    assert joined.text == "本群现在属于观梅社区。"


async def test_linked_accounts_are_one_person_with_one_balance(community: Harness) -> None:
    h = community
    await bind_matrix_room(h)
    zhang = await h.say("张三", "/我是谁")
    assert zhang.startswith("您是观梅社区的 张三")
    community_id = (await Community.get(name="观梅社区")).id
    console_user = (await Identity.get(platform="console", platform_user_id="张三")).user_id  # type: ignore[attr-defined]
    await award(community_id, console_user, 10, "test", "core", "test:1", zone=community.app.timezone)

    await h.deliver(on_matrix(h, "zhang", "/我是谁"))
    matrix_user = (await Identity.get(platform="matrix", platform_user_id="@zhang:linli.test")).user_id  # type: ignore[attr-defined]
    await award(community_id, matrix_user, 5, "test", "core", "test:2", zone=community.app.timezone)
    assert matrix_user != console_user

    code = await linking_code(h, "张三")
    [asked] = await h.deliver(on_matrix(h, "zhang", f"/link {code.lower()}"))
    assert asked.text == (f"这个验证码会把本账号关联到 张三：之后两个账号就是同一个人，积分、角色和徽章都合在一起。"
                          f"如果 张三 不是你，请不要继续。确认关联请发送 /关联账号 {code} 确认")
    assert await balance_of(community_id, console_user) == 10, "nothing merged before the confirmation"
    [linked] = await h.deliver(on_matrix(h, "zhang", f"/link {code} 确认"))
    assert linked.text == "关联成功：你的账号现在是同一个人 张三，积分、角色和徽章都合在一起。"
    assert linked.channel == MATRIX_ROOM
    assert await balance_of(community_id, console_user) == 15
    assert not await User.exists(id=matrix_user)
    [whoami] = await h.deliver(on_matrix(h, "zhang", "/我是谁"))
    assert whoami.text == "您是观梅社区的 张三。角色：居民。积分：15。"

    [again] = await h.deliver(on_matrix(h, "zhang", f"/link {code}"))
    assert again.text.startswith("这个关联验证码不存在或已过期")

    [split] = await h.deliver(on_matrix(h, "zhang", "/unlink"))
    assert split.text == "这个账号已重新独立。关联期间获得的一切留在你其他账号的 张三 名下。"
    [alone] = await h.deliver(on_matrix(h, "zhang", "/我是谁"))
    assert alone.text == "您是观梅社区的 zhang。角色：居民。积分：0。"
    assert await h.say("张三", "/我是谁") == "您是观梅社区的 张三。角色：居民。积分：15。"
    [nothing] = await h.deliver(on_matrix(h, "zhang", "/unlink"))
    assert nothing.text == "这个账号没有与其他账号关联。"


async def test_roles_join_and_a_code_expires(community: Harness) -> None:
    h = community
    h.app.adapters["matrix"] = h.adapter
    [refused] = await h.deliver(on_matrix(h, "wang", "/setup join 观梅社区"))
    assert refused.text == "只有观梅社区的组织者才能把群加入该社区。"
    await bind_matrix_room(h)  # her roles came along with the link

    late = await linking_code(h, "张三")
    h.clock.advance(timedelta(minutes=11))
    [expired] = await h.deliver(on_matrix(h, "zhang", f"/link {late}"))
    assert isinstance(expired, OutgoingMessage) and expired.text.startswith("这个关联验证码不存在或已过期")


async def test_a_code_must_be_seen_before_it_is_confirmed_and_only_the_latest_code_works(community: Harness) -> None:
    h = community
    h.app.adapters["matrix"] = h.adapter
    code = await linking_code(h, "张三")
    [blind] = await h.deliver(on_matrix(h, "zhang", f"/link {code} confirm"))
    assert blind.text.startswith("这个验证码会把本账号关联到 张三"), "a confirmation nobody was shown is a question"
    newer = await linking_code(h, "张三")
    [old] = await h.deliver(on_matrix(h, "zhang", f"/link {code} 确认"))
    assert old.text.startswith("这个关联验证码不存在或已过期"), "a new /link replaces the earlier code"
    await h.deliver(on_matrix(h, "zhang", f"/link {newer}"))
    [linked] = await h.deliver(on_matrix(h, "zhang", f"/link {newer} 确认"))
    assert linked.text.startswith("关联成功")


async def test_one_code_sent_from_two_accounts_links_only_one(community: Harness) -> None:
    h = community
    h.app.adapters["matrix"] = h.adapter
    code = await linking_code(h, "张三")
    elsewhere = ChannelRef("matrix", "!elsewhere:linli.test", "另一个群")  # another partition: handled concurrently

    def sent_from(name: str, text: str):  # type: ignore[no-untyped-def]
        event = on_matrix(h, name, text)
        return replace(event, channel=elsewhere) if name == "mallory" else event

    for name in ("zhang", "mallory"):
        await h.deliver(sent_from(name, f"/link {code}"))
    answers = await asyncio.gather(*(h.deliver(sent_from(name, f"/link {code} 确认"))
                                     for name in ("zhang", "mallory")))
    replies = {id(reply): reply.text[:4] for answer in answers for reply in answer}  # each sees both replies
    assert sorted(replies.values()) == ["关联成功", "这个关联"], replies
    into = (await Identity.get(platform="console", platform_user_id="张三")).user_id  # type: ignore[attr-defined]
    assert await Identity.filter(user_id=into).count() == 2, "one account joined, not two"


async def test_wrong_codes_are_throttled_per_account(community: Harness) -> None:
    h = community
    h.app.adapters["matrix"] = h.adapter
    code = await linking_code(h, "张三")
    for n in range(MAX_WRONG_CODES):
        [wrong] = await h.deliver(on_matrix(h, "mallory", f"/link WRONG{n:03d}"))
        assert wrong.text.startswith("这个关联验证码不存在或已过期")
    [stopped] = await h.deliver(on_matrix(h, "mallory", f"/link {code}"))
    assert stopped.text == "这个账号输错关联验证码的次数太多了，请稍后再试。", "even the right code, for now"
    [zhang] = await h.deliver(on_matrix(h, "zhang", f"/link {code}"))
    assert zhang.text.startswith("这个验证码会把本账号关联到 张三"), "other accounts are not held up"
    h.clock.advance(timedelta(minutes=11))
    [later] = await h.deliver(on_matrix(h, "mallory", "/link WRONG999"))
    assert later.text.startswith("这个关联验证码不存在或已过期"), "the throttle wears off"
