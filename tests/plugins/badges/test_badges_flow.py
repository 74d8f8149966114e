"""The badges plugin as members and verifiers meet it in chat: request → verify → hidden until the member
chooses → shown beside the name everywhere (/top, a claims announcement, /projects) → hidden → revoked;
every step audited; nobody verifies their own badge; residents do not verify; unknown kinds, users and
requests get clear answers."""

from __future__ import annotations

from typing import Any

from core.testing import Harness

HIDDEN_LINE = "→ 张三: 您的🚩党员标识已核验，但处于隐藏状态：只有您自己看得到。发送 /亮身份 即可在名字旁展示。"


async def test_a_badge_from_request_to_revocation_shows_only_while_its_holder_shows_it(
        hood: Harness, hear: Any, press: Any) -> None:
    h = hood
    await h.send("李四", "/感谢 @张三 帮忙搬车")  # 张三 has a point, so he is on /top
    assert await hear(h, "张三", "/申请标识 党员 第三支部") == [
        "→ 张三: 您的🚩党员标识申请已提交，等待核验（申请 #1）。结果会私下通知您；在您选择展示之前，标识不会显示。"]
    assert await hear(h, "王书记", "/badge pending") == [
        "→ 王书记: 待核验的标识申请：\n#1 张三 🚩党员 — 第三支部\n"
        "核验请发送 /核验标识 <编号>，驳回请发送 /驳回标识 <编号> <原因>。"]
    assert await press(h, "王书记", "核验 #1") == [
        "→ 王书记: ✅ 已核验：张三 的🚩党员标识。已私下通知本人，由本人决定是否展示。",
        "→ 张三: ✅ 您的🚩党员标识已核验通过。在您选择之前它不会显示：发送 /亮身份 党员 在名字旁展示，"
        "发送 /隐藏标识 党员 保持隐藏。"]

    # verified, but hidden until he chooses: nobody sees it, he does in /whoami
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 1"]
    assert await hear(h, "张三", "/whoami") == ["您是观梅社区的 张三。角色：居民。积分：1。", HIDDEN_LINE]

    # shown: beside his name in every plugin's output
    assert await press(h, "张三", "亮身份") == ["张三 🚩 亮出了🚩党员标识。"]
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 🚩 1"]
    assert await hear(h, "张三", "/whoami") == ["您是观梅社区的 张三 🚩。角色：居民。积分：1。",
                                               "→ 张三: 您的🚩党员标识正在名字旁展示。"]
    await h.send("王书记", "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
    assert (await hear(h, "张三", "/认领 1"))[0].startswith("✅ 张三 🚩 认领了 #1「整治共享单车」")
    full = await hear(h, "李四", "/认领 1")
    assert full[1].startswith("📣 #1「整治共享单车」名额已满，感谢 张三 🚩、李四！"), full
    assert "⏳ 张三 🚩 — 进行中" in (await hear(h, "李四", "/projects 1"))[0]

    # hidden again: gone everywhere
    assert await hear(h, "张三", "/隐藏标识 党员") == [
        "→ 张三: 您的🚩党员标识已隐藏：名字旁不再显示，您本人可以在 /我是谁 中看到。"]
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 1"]
    details = (await hear(h, "李四", "/projects 1"))[0]
    assert "⏳ 张三 — 进行中" in details and "🚩" not in details.split("\n", 3)[-1]
    await h.send("张三", "/完成 1")
    verified = await hear(h, "王书记", "/验收 1 @张三")
    assert verified[0].startswith("✅ 验收通过：张三 完成了"), verified

    # revoked: told privately with the reason; nothing left to show
    await hear(h, "张三", "/亮身份")
    assert await hear(h, "王书记", "/badge revoke @张三 党员 已转出组织关系", direct=True) == [
        "→ 王书记: 已撤销 张三 的🚩党员标识：已转出组织关系",
        "→ 张三: 您的🚩党员标识已被撤销：已转出组织关系"]
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 11"]
    assert await hear(h, "张三", "/亮身份 党员") == ["→ 张三: 您还没有🚩党员标识。发送 /申请标识 党员 申请。"]
    assert await hear(h, "张三", "/whoami") == ["您是观梅社区的 张三。角色：居民。积分：11。"]

    # every step is in the log, for organizers only
    assert await hear(h, "刘主任", "/badge log @张三") == ["→ 刘主任: 张三 的标识记录：\n"
        "11月23日 10:00 张三 申请了🚩党员: 第三支部\n"
        "11月23日 10:00 王书记 核验通过了🚩党员\n"
        "11月23日 10:00 张三 展示了🚩党员\n"
        "11月23日 10:00 张三 隐藏了🚩党员\n"
        "11月23日 10:00 张三 展示了🚩党员\n"
        "11月23日 10:00 王书记 撤销了🚩党员: 已转出组织关系"]
    assert await hear(h, "张三", "/badge log @张三") == ["抱歉，/badge log 只有组织者可以使用。"]


async def test_nobody_verifies_their_own_badge_and_residents_verify_none(hood: Harness, hear: Any) -> None:
    h = hood
    await h.send("王书记", "/申请标识 党员")
    assert await hear(h, "王书记", "/核验标识 1") == [
        "→ 王书记: 不能核验自己的标识；申请 #1 需要由其他核验人处理。"]
    await h.send("张三", "/申请标识 楼栋长 3号楼")
    assert await hear(h, "张三", "/badge verify 2") == ["→ 张三: 只有组织者可以核验🏠楼栋长标识。"]
    assert await hear(h, "李四", "/badge verify 2") == ["→ 李四: 只有组织者可以核验🏠楼栋长标识。"]
    assert await hear(h, "李四", "/badge pending") == ["→ 李四: 只有组织者，或标识指定角色的成员，才能核验标识。"]
    # his own request is not offered to him (with buttons that could only be refused); the other organizer's is
    assert await hear(h, "王书记", "/badge pending") == ["→ 王书记: 待核验的标识申请：\n#2 张三 🏠楼栋长 — 3号楼\n"
        "核验请发送 /核验标识 <编号>，驳回请发送 /驳回标识 <编号> <原因>。"]
    [theirs] = await hear(h, "刘主任", "/badge pending")
    assert theirs.startswith("→ 刘主任: 待核验的标识申请：\n#1 王书记 🚩党员\n#2")
    assert (await hear(h, "刘主任", "/badge verify 1"))[0].startswith("→ 刘主任: ✅ 已核验：王书记")
    assert await hear(h, "王书记", "/badge verify 1") == ["→ 王书记: 申请 #1 已经处理过了。"]
    assert await hear(h, "王书记", "/badge pending") == ["→ 王书记: 待核验的标识申请：\n#2 张三 🏠楼栋长 — 3号楼\n"
        "核验请发送 /核验标识 <编号>，驳回请发送 /驳回标识 <编号> <原因>。"]


async def test_unknown_kinds_users_and_requests_get_clear_answers(hood: Harness, hear: Any) -> None:
    h = hood
    assert await hear(h, "张三", "/申请标识 会长") == ["→ 张三: 这里没有叫 会长 的标识。发送 /标识种类 查看全部标识。"]
    [unknown] = await hear(h, "王书记", "/badge revoke @赵六 党员 搬走了")
    assert unknown.startswith("本社区里还没有 @赵六") and unknown.endswith("\n用法：/badge 撤销 <@用户> <标识> <原因…>")
    assert await hear(h, "王书记", "/badge revoke @张三 党员 搬走了", direct=True) == [
        "→ 王书记: 张三 没有已核验的🚩党员标识。"]
    assert await hear(h, "王书记", "/badge verify 9") == [
        "→ 王书记: 这里没有标识申请 #9。发送 /待审标识 查看待核验的申请。"]
    assert await hear(h, "张三", "/亮身份") == ["→ 张三: 您没有可以展示的已核验标识。发送 /申请标识 申请。"]
    assert await hear(h, "张三", "/badge") == [
        "要用哪一项？\n用法：/badge <申请|展示|隐藏|待审|核验|驳回|撤销|记录|报告|种类|新增种类> …"]


async def test_asking_twice_waits_once_and_a_shown_badge_cannot_be_asked_for_again(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await h.send("张三", "/申请标识 党员")
    # in the group, every answer about her own badges goes to her alone: the group learns nothing
    assert await hear(h, "张三", "/申请标识 党员") == ["→ 张三: 您的🚩党员标识申请已在等待核验。"]
    assert await hear(h, "张三", "/亮身份 党员") == ["→ 张三: 您的🚩党员标识尚未核验；核验通过后，由您决定是否展示。"]
    assert await hear(h, "张三", "/隐藏标识 党员") == ["→ 张三: 您的🚩党员标识尚未核验；核验通过后，由您决定是否展示。"]
    await verified(h, "李四")
    await verified(h, "李四", "楼栋长")
    assert await hear(h, "李四", "/亮身份") == ["→ 李四: 要哪一个标识？党员、楼栋长\n用法：/showbadge [标识]"]
    assert await hear(h, "李四", "/申请标识 党员") == ["→ 李四: 您已经持有🚩党员标识。发送 /亮身份 可以展示或隐藏。"]
    assert await hear(h, "李四", "/亮身份 党员") == ["李四 🚩 亮出了🚩党员标识。"], "showing is said where she chose to"
    assert await hear(h, "李四", "/亮身份 党员") == ["→ 李四: 您的🚩党员标识已经在名字旁展示了。"]


PRIVATE_ONLY = "原因涉及他人，只应在您和本人之间：请在与我的私聊中发送 {command}。"


async def test_a_declined_request_tells_the_member_why_and_may_be_asked_again(
        hood: Harness, hear: Any, press: Any, press_privately: Any) -> None:
    h = hood
    await h.send("张三", "/申请标识 党员 第三支部")
    await h.send("王书记", "/badge pending")
    # a reason about someone is not asked for, nor typed, in the group
    refused = PRIVATE_ONLY.format(command="/驳回标识") + "\n用法：/declinebadge <申请编号> <原因…>"
    assert await hear(h, "王书记", "/驳回标识 1") == [refused]
    assert await hear(h, "王书记", "/驳回标识 1 支部名单里没有") == [refused]
    assert await press(h, "王书记", "驳回 #1") == ["→ 王书记: " + refused], "a pop-up on the button"
    assert await press_privately(h, "王书记", "驳回 #1") == [
        "驳回的原因是什么？申请人会看到您的原因。\n（发送 /cancel 取消）"]
    assert await hear(h, "王书记", "支部名单里没有找到，请联系支部书记", direct=True) == [
        "→ 王书记: 已驳回 张三 的🚩党员标识申请 #1，已私下把原因告诉本人。",
        "→ 张三: 您的🚩党员标识申请未通过：支部名单里没有找到，请联系支部书记"]
    assert await hear(h, "王书记", "/badge pending") == ["→ 王书记: 目前没有待核验的标识申请。"]
    assert (await hear(h, "张三", "/申请标识 党员 第三支部第二小组"))[0].startswith("→ 张三: 您的🚩党员标识申请已提交")
    assert await hear(h, "王书记", "/badge decline 2 ", direct=True) == [
        "驳回的原因是什么？申请人会看到您的原因。\n（发送 /cancel 取消）"]


async def test_a_community_adds_its_own_kind_verified_by_the_role_it_names(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    assert await hear(h, "王书记", "/badge addkind captain ⭐ 队长 志愿者") == [
        "已新增标识⭐队长：成员发送 /申请标识 captain 即可申请。"]
    assert await hear(h, "王书记", "/badge addkind flag 🚩 旗手") == ["🚩 已经是标识🚩党员了。"]
    assert await hear(h, "张三", "/badge addkind x ⭐ y") == ["抱歉，/badge addkind 只有组织者可以使用。"]
    await h.send("王书记", "/grant @李四 志愿者")
    await h.send("张三", "/申请标识 队长 巡逻队")
    assert (await hear(h, "李四", "/badge verify 1"))[0] == (
        "→ 李四: ✅ 已核验：张三 的⭐队长标识。已私下通知本人，由本人决定是否展示。")
    await h.send("张三", "/亮身份 队长")
    await verified(h, "张三", shown=True)  # the party badge comes second, but shows first: the order is stable
    assert await h.say("李四", "/积分 @张三") == "张三 🚩⭐ 有 0 积分。"
    assert await hear(h, "张三", "/badge kinds") == [
        "本社区的标识：\n🚩党员，核验人：组织者\n🏠楼栋长，核验人：组织者\n🧭网格员，核验人：组织者\n"
        "⭐队长，核验人：组织者、志愿者\n发送 /申请标识 <标识> 申请。"]
    assert await h.app.has_badge(1, 3, "captain") is True, "张三 (user 3) holds it"
    assert await h.app.has_badge(1, 4, "captain") is False


async def test_the_report_counts_holders_those_who_show_and_those_who_took_part(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三", shown=True)
    await verified(h, "李四")
    await h.send("王书记", "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
    await h.send("张三", "/认领 1")
    await h.send("张三", "/完成 1")
    await h.send("王书记", "/验收 1 @张三")
    await h.send("王书记", "/感谢 @李四")  # thanks are not claims or service
    assert await hear(h, "王书记", "/badge report 党员") == [
        "→ 王书记: 🚩党员标识，本月：\n已核验：2 人 · 展示标识：1 人 · 参与认领或服务：1 人"]
    assert await hear(h, "王书记", "/标识报告 楼栋长 年") == [
        "→ 王书记: 🏠楼栋长标识，今年：\n已核验：0 人 · 展示标识：0 人 · 参与认领或服务：0 人"]
    assert await hear(h, "张三", "/badge report 党员") == ["抱歉，/badge report 只有组织者可以使用。"]


async def test_in_a_private_chat_whoami_says_the_hidden_badge_in_its_one_answer(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三")
    [answer] = await hear(h, "张三", "/whoami", direct=True)
    assert answer == "您是观梅社区的 张三。角色：居民。积分：0。\n" + HIDDEN_LINE.removeprefix("→ 张三: ")
    assert await hear(h, "李四", "/whoami") == ["您是观梅社区的 李四。角色：居民。积分：0。"], "nothing about others"
