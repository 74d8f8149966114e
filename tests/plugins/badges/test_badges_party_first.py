"""党员优先 works as intended once badges are there: verified party members (shown or hidden) claim inside
the window, others are told when everyone may, anyone claims after it; and where no enabled plugin
verifies party members, such a project is refused with the reason instead of published unclaimable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.testing import Harness

PARTY_PROJECT = "/发布项目 整治共享单车 3 12-31 10分 党员优先24 把门口的单车挪走"
REFUSED = "党员优先：11月24日 10:00 之前只有已认证的党员可以认领 #1，11月24日 10:00 起所有人都可以认领。"
NO_VERIFIER = ("本社区没有可以核验党员身份的功能（未启用“标识”），“党员优先”期间将没有人能认领这个项目。"
               "请去掉“党员优先”，或先启用标识：/启用 badges\n"
               "用法：/newproject <标题> <名额> <截止日期> [详情…]")


async def test_verified_party_members_claim_in_the_window_shown_or_hidden_and_anyone_after(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三", shown=True)
    await verified(h, "刘主任")  # verified, not shown: priority is about membership, not display
    await h.send("李四", "/申请标识 党员")  # asked, not verified yet
    announced = await hear(h, "王书记", PARTY_PROJECT)
    assert "🚩党员优先至 11月24日 10:00" in announced[0]
    # inside the window a claim says its claimer is a party member: they alone are told (see test_badges_privacy)
    assert (await hear(h, "张三", "/认领 1"))[0].startswith("→ 张三: ✅ 张三 🚩 认领了 #1")
    assert (await hear(h, "刘主任", "/认领 1"))[0].startswith("→ 刘主任: ✅ 刘主任 认领了 #1")
    assert await hear(h, "李四", "/认领 1") == [REFUSED]
    assert await hear(h, "王书记", "/认领 1") == [REFUSED]
    h.clock.advance(timedelta(hours=24))
    assert (await hear(h, "李四", "/认领 1"))[0].startswith("✅ 李四 认领了 #1")


async def test_a_revoked_badge_no_longer_gives_priority(hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三")
    await h.send("王书记", "/badge revoke @张三 党员 组织关系已转出", direct=True)
    await h.send("王书记", PARTY_PROJECT)
    assert await hear(h, "张三", "/认领 1") == [REFUSED]


async def test_switched_off_in_one_community_badges_vanish_there_and_party_first_is_refused_there_only(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await h.send("王书记", "/setup 其他社区", room="other")
    await h.send("张三", "/whoami", room="other")
    await verified(h, "张三", shown=True)
    await verified(h, "张三", shown=True, room="other")
    await h.send("王书记", PARTY_PROJECT)  # published while badges were on
    assert await h.say("李四", "/积分 @张三") == "张三 🚩 有 0 积分。"

    assert (await h.say("王书记", "/disable badges")).startswith("本社区已停用“标识”。")
    assert await h.say("李四", "/积分 @张三") == "张三 有 0 积分。"
    assert await h.say("张三", "/whoami") == "您是观梅社区的 张三。角色：居民。积分：0。"
    assert await hear(h, "王书记", "/发布项目 清理楼道 2 12-31 党员优先24") == [NO_VERIFIER]
    [edit] = await hear(h, "王书记", "/编辑项目 1 党员优先 12")
    assert edit.startswith(NO_VERIFIER.split("\n")[0] + "\n用法：/editproject ")
    # nobody can vouch for anyone here while badges are off: the window no longer holds anyone back
    assert (await h.say("李四", "/认领 1")).startswith("✅ 李四 认领了 #1")
    assert (await h.say("王书记", "/发布项目 清理楼道 2 12-31 把楼道清理干净")).startswith("📢 新项目")

    # the other community keeps its badges and its party-first projects
    assert await h.say("王书记", "/积分 @张三", room="other") == "张三 🚩 有 0 积分。"
    announced = await h.send("王书记", PARTY_PROJECT.replace("整治共享单车", "修剪绿化"), room="other")
    assert announced[0].startswith("📢 新项目")
    assert (await h.send("张三", "/认领 3", room="other"))[0].startswith("✅ 张三 🚩 认领了 #3")

    await h.send("王书记", "/enable badges")
    assert await h.say("李四", "/积分 @张三") == "张三 🚩 有 0 积分。", "the data stayed while it was off"


async def test_without_the_badges_plugin_installed_party_first_is_refused(db_url: str, hear: Any) -> None:
    async with Harness.create(db_url, settings={"plugins": {"blocked": ["badges"]}}) as h:
        await h.send("王书记", "/setup 观梅社区")
        assert await hear(h, "王书记", PARTY_PROJECT) == [NO_VERIFIER]
        assert (await h.say("王书记", "/发布项目 整治共享单车 3 12-31 10分 党员优先0")).startswith("📢 新项目")
