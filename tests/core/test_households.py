"""Households and verified residents: organizers verify (/认证居民 @张三 3-2-301), take it away, list;
residents ask and organizers are told; /mydata shows them and /forgetme erases them."""

from __future__ import annotations

import json

from core.households import normalize_code
from core.testing import Harness


def test_household_codes_are_read_as_people_write_them() -> None:
    assert normalize_code("3-2-301") == "3-2-301"
    assert normalize_code("３－２－３０１") == "3-2-301"
    assert normalize_code("3栋2单元301室") == "3-2-301"
    assert normalize_code("a座-1-1201") == normalize_code("A-1-1201") == "A-1-1201"
    assert normalize_code("03-02-301") == normalize_code("3-2-0301") == "3-2-301", "one door, one household"
    assert normalize_code("3-2-301室") == normalize_code("3-2-301号") == "3-2-301"
    assert normalize_code("3号楼2单元301室") == "3-2-301"
    assert normalize_code("10-0-100") == "10-0-100", "zeros inside a number, and a lone 0, stay"
    assert normalize_code("301") is None and normalize_code("我家") is None


async def test_organizers_verify_unverify_and_list_residents(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("李四", "/whoami")
    assert await h.send("王书记", "/认证居民 @张三 3-2-301") == [
        "✅ 张三 已认证为 3-2-301 的居民。", "组织者已认证您为 3-2-301 的居民。"], "and 张三 is told"
    assert await h.say("王书记", "/resident verify @张三 3栋2单元301室") == "张三 已经是 3-2-301 的认证居民。"
    assert (await h.send("王书记", "/认证居民 @李四 3-2-301"))[0] == "✅ 李四 已认证为 3-2-301 的居民。", "a family"
    assert (await h.send("王书记", "/认证居民 @李四 5-1-102"))[0] == "✅ 李四 已认证为 5-1-102 的居民。", "two flats"
    assert await h.say("王书记", "/居民名单") == "认证居民 2 位：\n• 张三: 3-2-301\n• 李四: 3-2-301、5-1-102"
    assert await h.say("王书记", "/认证居民 @李四 我家") == (  # in the group, it names no one's flat
        "我家 不是门牌号；请写成 楼栋-单元-户号，例如 3-2-301\n用法：/verifyresident <@用户> <门牌号>")
    assert await h.say("张三", "/认证居民 @张三 9-9-909") == "抱歉，/verifyresident 只有组织者可以使用。"
    assert await h.say("王书记", "/resident unverify @李四 3-2-301") == "李四 不再是 3-2-301 的认证居民。"
    assert await h.say("王书记", "/取消认证居民 @张三") == "张三 不再是认证居民。"
    assert await h.say("王书记", "/取消认证居民 @张三") == "张三 不是认证居民。"
    assert await h.say("王书记", "/居民名单") == "认证居民 1 位：\n• 李四: 5-1-102"
    assert await h.say("李四", "/whoami") == "您是观梅社区的 李四。角色：居民。积分：0。"
    in_the_group = [m.text for m in h.adapter.sent if m.private_to is None and ("张三" in m.text or "李四" in m.text)
                    and any(code in m.text for code in ("3-2-301", "5-1-102"))]
    assert in_the_group == [], "flat numbers go to the organizer alone, never into the group"


async def test_a_resident_asks_and_the_organizers_get_a_pending_list(community: Harness) -> None:
    h = community
    await h.send("刘主任", "/whoami")
    await h.send("王书记", "/grant @刘主任 organizer")
    replies = await h.deliver(h.event("张三", "/居民 申请 3-2-301"))
    told = {m.private_to.display_name for m in replies if m.private_to}
    assert told == {"王书记", "刘主任", "张三"}, "the organizers, and 张三 alone gets the thanks"
    assert any(m.text == "张三 申请认证为 3-2-301 的居民。认证请发送：/认证居民 @张三 3-2-301" for m in replies)
    assert replies[-1].text == "谢谢。组织者会核实您住在 3-2-301，结果会通知您。"
    assert all(m.private_to is not None for m in replies), "the request, in the group, is answered privately"
    assert await h.say("王书记", "/residents unverified") == (
        "待认证申请 1 个：\n• 张三: 3-2-301 — /认证居民 @张三 3-2-301")
    assert await h.say("王书记", "/居民名单") == "还没有认证居民。"
    await h.send("王书记", "/认证居民 @张三 3-2-301")
    assert await h.say("王书记", "/居民名单 未认证") == "没有待认证的申请。"
    assert await h.say("张三", "/居民 申请 3-2-301") == "您已经是 3-2-301 的认证居民。"


async def test_mydata_shows_households_and_forgetme_erases_them(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("王书记", "/认证居民 @张三 3-2-301")
    await h.send("张三", "/居民 申请 5-1-102")
    [sent] = [m for m in await h.deliver(h.event("张三", "/mydata", direct=True)) if m.files]
    data = json.loads(sent.files[0].data)
    [membership] = data["core"]["memberships"]
    assert membership["verified_resident"] is True
    assert [(x["household"], x["verified"]) for x in membership["households"]] == [("3-2-301", True),
                                                                                   ("5-1-102", False)]
    await h.send("张三", "/forgetme 确认")
    assert await h.say("王书记", "/居民名单") == "还没有认证居民。"
    assert await h.say("王书记", "/居民名单 未认证") == "没有待认证的申请。"
