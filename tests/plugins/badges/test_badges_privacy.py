"""What must not leak about badges, and the review's other findings: a self-verified badge after linking
accounts, claims inside a party-first window, a flag typed into a display name, what /forgetme leaves,
what the report counts, and the English spellings."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.builtin import mydata
from core.points import award
from core.testing import Harness
from plugins.badges.models import AuditEntry, Badge, BadgeStatus

ZHANG, LI = 3, 4


async def test_a_badge_verified_by_the_holders_own_second_account_waits_again_after_linking(
        hood: Harness, hear: Any) -> None:
    h = hood
    await h.send("王书记", "/grant @李四 organizer")
    await h.send("张三", "/申请标识 党员")
    await h.send("李四", "/核验标识 1")  # 李四 turns out to be 张三's second account
    await h.send("张三", "/亮身份 党员")
    assert (await h.app.render_names(1, [ZHANG]))[ZHANG] == "张三 🚩"
    async with in_transaction():
        await mydata.merge(h.app, LI, ZHANG)
    badge = await Badge.get(user_id=ZHANG, kind="party")
    assert (badge.status, badge.live, badge.shown, badge.decided_by) == (BadgeStatus.PENDING, True, False, None)
    assert not await h.app.has_badge(1, ZHANG, "party_member")
    assert (await h.app.render_names(1, [ZHANG]))[ZHANG] == "张三"
    [log] = await hear(h, "刘主任", "/badge log @张三")
    assert log.endswith("🚩党员重新等待核验：核验人原来是本人关联的另一个账号"), log
    assert (await hear(h, "刘主任", "/badge pending"))[0].startswith("→ 刘主任: 待核验的标识申请：\n#1 张三 🚩党员")


async def test_inside_a_party_first_window_the_group_is_not_told_who_claimed(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三")  # verified, hidden
    await h.send("王书记", "/发布项目 整治共享单车 1 12-31 党员优先24 把门口的单车挪走")
    said = await hear(h, "张三", "/认领 1")
    assert said[0].startswith("→ 张三: ✅ 张三 认领了 #1"), said
    assert said[1:] == ["📣 #1「整治共享单车」名额已满！还想参加的可以发送 /认领 1 排候补。"]


async def test_a_flag_typed_into_a_display_name_is_not_a_badge(hood: Harness, hear: Any) -> None:
    h = hood
    assert await hear(h, "赵六🚩", "/whoami") == ["您是观梅社区的 赵六。角色：居民。积分：0。"]
    await h.send("王书记", "/badge addkind captain ⭐ 队长")
    assert await hear(h, "小⭐星", "/whoami") == ["您是观梅社区的 小星。角色：居民。积分：0。"]
    assert await hear(h, "🚩", "/whoami") == ["您是观梅社区的 #7。角色：居民。积分：0。"]


async def test_the_report_counts_taking_part_whatever_the_points(hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三")
    await award(1, ZHANG, -2, "claims: correction", "claims", "claims:correction:1", h.clock(),
                zone=h.app.timezone)
    assert await hear(h, "王书记", "/badge report 党员") == [
        "→ 王书记: 🚩党员标识，本月：\n已核验：1 人 · 展示标识：0 人 · 参与认领或服务：1 人"]


async def test_in_english_kinds_are_spelled_as_typed_and_roles_are_words(hood: Harness, hear: Any) -> None:
    h = hood
    await h.send("王书记", "/language en")
    await h.send("王书记", "/badge addkind keeper 🔑 keeper property_manager")
    [kinds] = await hear(h, "张三", "/badge kinds")
    assert kinds.split("\n")[1] == "🚩party member (party), verified by: organizer"
    assert kinds.split("\n")[4] == "🔑keeper, verified by: organizer, property manager"
    assert (await hear(h, "张三", "/badge request party"))[0].startswith("→ 张三: Your request for the badge 🚩party")


async def test_wrong_arguments_of_addkind_come_with_the_usage_line(hood: Harness, hear: Any) -> None:
    h = hood
    [bad] = await hear(h, "王书记", "/badge addkind key 星 name")
    assert bad.startswith("星 ") and "\n用法：/badge 新增种类 " in bad, bad


async def test_where_only_latin_commands_arrive_whoami_suggests_a_latin_command(
        hood: Harness, hear: Any, verified: Any) -> None:
    h = hood
    await verified(h, "张三")
    h.adapter.latin_commands_only = True
    said = await hear(h, "张三", "/whoami")
    assert said[1].endswith("发送 /showbadge 即可在名字旁展示。"), said


async def test_forgetting_leaves_no_badge_kind_in_the_audit(hood: Harness, verified: Any) -> None:
    h = hood
    await verified(h, "张三", shown=True)
    await h.send("张三", "/forgetme 确认")
    assert not await AuditEntry.filter(user_id=ZHANG).exclude(kind="").exists()
    assert await AuditEntry.filter(user_id=ZHANG, action__in=["verified", "shown", "requested"]).count() == 0
