"""Registration and teams, as people type them."""

from __future__ import annotations

from core.testing import Harness


async def test_registration_gives_a_number_and_the_core_volunteer_role(red: Harness) -> None:
    h = red
    reply = await h.say("王五", "/注册志愿者")
    assert reply.startswith("🦺 欢迎 王五！你的志愿者编号是 00003。证明上的姓名为 王五")
    assert "角色：居民、志愿者" in await h.say("王五", "/whoami")
    assert "你已经注册过了（编号 00003" in await h.say("王五", "/volunteer join")
    assert await h.say("王五", "/volunteer name 王小五") == "证明上的姓名已改为 王小五（编号 00003）。"
    assert "证明上的姓名为 王小五" in await h.say("王五", "/注册志愿者"), "registering again keeps the name"


async def test_teams_leaders_and_moves(red: Harness) -> None:
    h = red
    assert await h.say("张三", "/服务队 新建 敲门组") == "抱歉，/team new 只有组织者可以使用。"
    assert (await h.say("王书记", "/服务队 新建 敲门组")).startswith("服务队 敲门组 已建立。")
    await h.send("王书记", "/team new 巡逻队")
    assert await h.say("王书记", "/team leader 敲门组 @张三") == "张三 现在是 敲门组 的队长，可以审核本队时长。"
    assert await h.say("王书记", "/team move 敲门组 @李四") == "李四 现在在 敲门组。"
    assert "已经有名为 敲门组 的服务队了" in await h.say("王书记", "/team new 敲门组")
    await h.say("王五", "/注册志愿者 巡逻队 王小五")
    assert await h.say("李四", "/服务队") == "服务队：\n敲门组（队长：张三）：张三、李四\n巡逻队（队长：无）：王五"
    assert "还没有注册志愿者" in await h.say("王书记", "/team move 巡逻队 @王书记")
