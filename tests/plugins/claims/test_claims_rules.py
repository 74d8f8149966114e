"""Who may do what, and the clear answer to everything else: bad ids, closed projects, past deadlines,
impossible numbers. Every refusal is short, translated, and (for bad input) followed by the usage line."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from core.plugin import PluginManifest, hookimpl
from core.testing import Harness
from plugins.claims.models import Claim, Project
from plugins.claims.settings import ClaimsSettings

Publish = Callable[..., Awaitable[int]]
Hear = Callable[..., Awaitable[list[str]]]
NEW_USAGE = "用法：/newproject <标题> <名额> <截止日期> [详情…]"
CLAIM_USAGE = "用法：/claim <项目编号> [编号]"


async def test_residents_cannot_publish_manage_or_verify(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h)
    await h.send("李四", f"/认领 {project}")
    await h.send("李四", f"/完成 {project}")
    for line in ("/发布项目 整治 1 无", "/项目 new 整治 1 无", f"/关闭项目 {project}", f"/project close {project}",
                 f"/编辑项目 {project} 积分 99", f"/取消项目 {project}", f"/验收 {project} @李四",
                 f"/退回 {project} @李四 没拍照"):
        reply = await h.say("张三", line)
        assert reply.startswith("抱歉，/") and reply.endswith("只有组织者可以使用。"), (line, reply)
    assert await Project.filter().count() == 1
    assert (await Claim.get(project_id=project)).status == "reported"


async def test_nobody_verifies_their_own_claim(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h)
    await h.send("王书记", f"/认领 {project}")
    await h.send("王书记", f"/完成 {project}")
    assert await h.say("王书记", f"/验收 {project} @王书记") == "不能验收自己的认领，请由其他组织者验收。"
    assert await h.say("王书记", f"/退回 {project} @王书记 再拍张照") == "不能处理自己的认领，请由其他组织者处理。"
    assert (await h.say("刘主任", f"/验收 {project} @王书记")).startswith("✅ 验收通过：王书记 完成了")


BAD_INPUT = [
    ("/认领 99", "这里没有项目 #99。发送 /项目 查看可认领的项目。"),
    ("/项目 99", "这里没有项目 #99。发送 /项目 查看可认领的项目。"),
    ("/完成 99", "这里没有项目 #99。发送 /项目 查看可认领的项目。"),
    ("/认领 abc", "abc 不是整数\n" + CLAIM_USAGE),
    ("/认领 0", "0 太小了（至少 1）\n" + CLAIM_USAGE),
    ("/认领 99999999999", "99999999999 太大了（最多 2147483647）\n" + CLAIM_USAGE),
    ("/认领", "缺少参数 <项目编号>。\n" + CLAIM_USAGE),
    ("/认领 1 A1", "项目 #1 的名额没有编号，直接发送 /认领 1 即可。"),
    ("/取消认领 1", "你还没有认领 #1。"),
    ("/完成 1", "你还没有认领 #1。"),
    ("/项目 foo", "foo 不是项目编号，也不是以下之一：发布、编辑、关闭、重开、取消\n"
                "用法：/projects [编号|发布|编辑|关闭|重开|取消]"),
    ("/项目 1 2", "多余的参数：2\n用法：/projects [编号|发布|编辑|关闭|重开|取消]"),
]
IMPOSSIBLE_PROJECTS = [
    ("/发布项目 整治 -3 12-31", "项目至少要有 1 个名额。"),
    ("/发布项目 整治 0 12-31", "项目至少要有 1 个名额。"),
    ("/发布项目 整治 1000000000 12-31", "1000000000 个名额超过了本社区的上限（500 个）。"),
    ("/发布项目 整治 10⁹ 12-31", "10⁹ 不是名额数（可以写 3，或用 A1-A70 表示带编号的名额）"),
    ("/发布项目 菜园 A1-A1000 12-31", "1000 个名额超过了本社区的上限（500 个）。"),
    ("/发布项目 菜园 A9-A1 12-31", "A9-A1：范围写反了。"),
    ("/发布项目 菜园 A1,A2,a1 12-31", "每个编号只能出现一次。"),
    ("/发布项目 整治 3 2020-01-01", "2020-01-01 已经过去了，截止日期要在以后"),
    ("/发布项目 整治 3 13-45", "13-45 不是日期（可以写 2026-12-31 或 12-31）"),
    ("/发布项目 整治 3 12-31 5000分", "每次完成的积分在 0 到 1000 之间。"),
    ("/发布项目 整治 3 12-31 每人5", "这里每人最多认领 3 个名额。"),
]


async def test_bad_ids_and_arguments_get_clear_errors(hood: Harness, publish: Publish) -> None:
    await publish(hood)
    for line, reply in BAD_INPUT:
        assert await hood.say("张三", line) == reply, line


async def test_impossible_projects_are_refused_with_the_usage_line(hood: Harness) -> None:
    for line, reply in IMPOSSIBLE_PROJECTS:
        assert await hood.say("王书记", line) == reply + "\n" + NEW_USAGE, line
    assert await Project.filter().count() == 0


async def test_closed_cancelled_and_past_deadline_projects_take_no_claims(hood: Harness, publish: Publish,
                                                                         hear: Hear) -> None:
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 3 +1")
    assert (await h.say("王书记", f"/关闭项目 {project}")).startswith("#1「整治共享单车」已关闭，不再接受认领")
    assert await h.say("张三", f"/认领 {project}") == "项目 #1 已关闭，不再接受认领。"
    assert await h.say("王书记", f"/project close {project}") == "项目 #1 已经关闭了。"
    assert await h.say("王书记", f"/project reopen {project}") == "#1「整治共享单车」重新开放认领。"
    assert (await h.say("张三", f"/认领 {project}")).startswith("✅ 张三 认领了")
    h.clock.advance(timedelta(days=2))
    assert await h.say("李四", f"/认领 {project}") == "项目 #1 已过截止日期（11月24日），不再接受认领。"
    assert await h.say("王书记", f"/重开项目 {project}") == "项目 #1 本来就是开放的。"
    await h.send("王书记", f"/关闭项目 {project}")
    assert await h.say("王书记", f"/重开项目 {project}") == (
        "项目 #1 已过截止日期，请先设置新的截止日期：/编辑项目 1 截止 <日期>")
    assert (await h.say("王书记", f"/编辑项目 {project} 截止 +7")).startswith("#1「整治共享单车」已更新。")
    assert await h.say("王书记", f"/重开项目 {project}") == "#1「整治共享单车」重新开放认领。"
    assert await hear(h, "王书记", f"/取消项目 {project} 物业已经处理了") == [
        "#1「整治共享单车」已取消：物业已经处理了\n已通知 1 位认领者。",
        "→ 张三: 张三：你对 #1「整治共享单车」的认领已结束。"]
    assert await h.say("李四", f"/认领 {project}") == "项目 #1 已取消。"
    assert await h.say("王书记", f"/重开项目 {project}") == "项目 #1 已取消。"


async def test_cancelling_tells_claimers_and_the_waitlist(hood: Harness, publish: Publish, hear: Hear) -> None:
    """Each person hears privately what it means for them; the group hears that they were told."""
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 1 12-31")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    await h.send("王五", f"/认领 {project}")
    assert await hear(h, "王书记", f"/取消项目 {project}") == [
        "#1「整治共享单车」已取消。\n已通知 1 位认领者。\n已通知 2 位候补者。",
        "→ 张三: 张三：你对 #1「整治共享单车」的认领已结束。",
        "→ 李四: 李四：你已不在 #1「整治共享单车」的候补名单中。",
        "→ 王五: 王五：你已不在 #1「整治共享单车」的候补名单中。"]
    assert await h.say("李四", "/我的认领") == "你还没有认领项目。发送 /项目 看看哪里需要帮忙。"


async def test_a_volunteers_only_community_asks_for_the_role(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h)
    assert await h.say("王书记", "/配置 claims who_may_claim 志愿者") == "“认领”：who_may_claim 已改为 志愿者。"
    assert await h.say("张三", f"/认领 {project}") == (
        "本社区只有志愿者可以认领项目。组织者可以发送 /授予 @张三 志愿者 让你成为志愿者。")
    await h.send("王书记", "/授予 @张三 志愿者")
    assert (await h.say("张三", f"/认领 {project}")).startswith("✅ 张三 认领了")
    await h.send("王书记", "/配置 claims default_places 3")
    assert "剩余名额 3/3" in await h.say("王书记", "/发布项目 扫雪 - 无")


async def test_one_place_per_person_unless_the_project_allows_more(hood: Harness, publish: Publish) -> None:
    h = hood
    single = await publish(h, "/发布项目 整治共享单车 3 12-31")
    await h.send("张三", f"/认领 {single}")
    assert await h.say("张三", f"/认领 {single}") == "你已经认领了 #1「整治共享单车」。"
    garden = await publish(h, "/发布项目 菜园认领 A1-A4 12-31 每人2 一人最多两块地")
    assert (await h.say("张三", f"/认领 {garden} a3")).startswith("✅ 张三 认领了 #2「菜园认领」 [A3]（剩余名额 3/4）")
    assert (await h.say("张三", f"/认领 {garden}")).startswith("✅ 张三 认领了 #2「菜园认领」 [A1]")
    assert await h.say("张三", f"/认领 {garden} A2") == "你已经认领了 #2「菜园认领」 [A3, A1]。"
    assert await h.say("李四", f"/认领 {garden} A1") == "#2 的 A1 已被认领。空闲的有：A2, A4"
    assert await h.say("李四", f"/认领 {garden} B7") == "项目 #2 没有 B7 这个名额。"
    assert await h.say("张三", f"/取消认领 {garden} A3") == "张三 退还了 #2「菜园认领」 [A3]的名额。"
    assert (await h.say("李四", f"/认领 {garden} A3")).startswith("✅ 李四 认领了 #2「菜园认领」 [A3]")


class PartyBadges:
    """Stands in for the badges plugin: 党员 holds a verified party badge."""

    @staticmethod
    @hookimpl
    def linli_manifest() -> PluginManifest:
        return PluginManifest(name="fakebadges", title_zh="徽章", title_en="Badges", version="0",
                              locales=Path("/nonexistent"))

    @staticmethod
    @hookimpl
    async def linli_user_has_badge(community_id: int, user_id: int, badge: str) -> bool | None:
        from core.identity import User

        user = await User.get(id=user_id)
        return badge == "party_member" and user.display_name == "党员"

    @staticmethod
    @hookimpl
    async def linli_decorate_names(community_id: int, user_ids: list[int]) -> dict[int, str]:
        from core.identity import User

        return {u.id: "🚩" for u in await User.filter(id__in=user_ids, display_name="党员")}


@pytest.fixture
async def with_badges(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url, plugins=[PartyBadges]) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h


async def test_party_members_first_asks_the_badge_plugin(with_badges: Harness, publish: Publish) -> None:
    h = with_badges
    project = await publish(h, "/发布项目 微心愿 3 12-31 党员优先24 帮独居老人买菜")
    assert "🚩党员优先至 11月24日 10:00" in await h.say("张三", f"/项目 {project}")
    assert await h.say("张三", f"/认领 {project}") == (
        "党员优先：11月24日 10:00 之前只有已认证的党员可以认领 #1，11月24日 10:00 起所有人都可以认领。")
    assert (await h.say("党员", f"/认领 {project}")).startswith("✅ 党员 🚩 认领了")
    h.clock.advance(timedelta(hours=24))
    assert (await h.say("张三", f"/认领 {project}")).startswith("✅ 张三 认领了")
    assert "认领者：\n⏳ 党员 🚩 — 进行中\n⏳ 张三 — 进行中" in await h.say("李四", f"/项目 {project}")


async def test_without_a_badge_plugin_nobody_counts_as_verified(hood: Harness, publish: Publish) -> None:
    project = await publish(hood, "/发布项目 微心愿 2 12-31 党员优先")
    assert (await hood.say("党员", f"/认领 {project}")).startswith("党员优先：11月24日 10:00 之前")


async def test_projects_belong_to_their_community(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h)
    await h.send("王书记", "/setup 梅园社区", room="other")
    assert await h.say("张三", f"/认领 {project}", room="other") == "这里没有项目 #1。发送 /项目 查看可认领的项目。"
    assert await h.say("张三", "/项目", room="other") == "现在没有可认领的项目。"
    assert (await h.say("张三", "/项目")).startswith("可认领的项目：\n#1「整治共享单车」")


async def test_english_counts_are_plural_correct(hood: Harness, hear: Hear) -> None:
    h = hood
    await h.send("王书记", "/language en")
    await h.send("王书记", "/newproject Bikes 1 无 1pt")
    await h.send("王书记", "/newproject Snow 2 无 2分 每人2")
    assert await h.say("张三", "/projects") == (
        "Open projects:\n#1 “Bikes” 1 of 1 place left · 1 point\n#2 “Snow” 2 of 2 places left · 2 points")
    assert (await h.say("张三", "/claim 2")).startswith("✅ 张三 claimed #2 “Snow” (1 of 2 places left).")
    assert "\nEach person may claim up to 2 places.\n" in await h.say("张三", "/project 2")
    usage = "\nUsage: /editproject <project> <title|desc|places|deadline|points|party|each> <value…>"
    assert await h.say("王书记", "/editproject 1 each 2") == "One person may claim at most 1 place here." + usage
    assert await h.say("王书记", "/editproject 2 each 3") == "One person may claim at most 2 places here." + usage
    await h.send("张三", "/claim 2")
    assert await h.say("王书记", "/editproject 2 places 1") == (
        "#2 has 2 places taken already; it cannot have fewer." + usage)
    await h.send("李四", "/claim 1")
    for name in ("王五", "赵六"):
        await h.send(name, "/claim 1")
    assert (await h.say("张三", "/project 1")).startswith("#1 “Bikes” (open)\nfull, 2 waiting · 1 point\n")
    await h.send("李四", "/done 1")
    assert await h.send("王书记", "/verify 1 @李四") == [
        "✅ Verified: 李四 completed #1 “Bikes” and earns 1 point.", "🎉 #1 “Bikes” is completed! Thank you, 李四!"]
    replies = await hear(h, "王书记", "/cancelproject 2")
    assert replies[0] == "#2 “Snow” is cancelled.\n1 claimer was told."  # 张三, for both his places
    assert replies[1:] == ["→ 张三: 张三: your claim on #2 “Snow” has ended."]


async def test_config_claims_is_all_chinese_in_a_chinese_community(hood: Harness) -> None:
    shown = await hood.say("王书记", "/配置 claims")
    zh = hood.app.translator("zh_CN", "claims")
    for key, field in ClaimsSettings.model_fields.items():
        assert field.description and zh(field.description) != field.description, key
        assert f"• {key} = " in shown and f" — {zh(field.description)}" in shown, key
    # what is left in Latin letters is what an organizer types: the command, the plugin, the keys, the values
    typed = {"config", "claims", *ClaimsSettings.model_fields, *(
        str(v) for v in ClaimsSettings().model_dump().values() if isinstance(v, str))}
    assert set(re.findall(r"[A-Za-z_]{3,}", shown)) <= typed, shown


async def test_help_project_lists_the_subcommands_an_organizer_may_use(hood: Harness) -> None:
    lines = (await hood.say("王书记", "/help project")).splitlines()
    assert lines[0].startswith("/projects (/项目): 查看可认领的项目")
    assert lines[1] == "用法：/projects [编号|发布|编辑|关闭|重开|取消]"
    assert [line.split(" — ")[0] for line in lines[2:]] == [
        "• /projects 发布 <标题> <名额> <截止日期> [详情…]",
        "• /projects 编辑 <项目编号> <标题|说明|名额|截止日期|积分|党员优先|每人> <值…>",
        "• /projects 关闭 <项目编号>",
        "• /projects 重开 <项目编号>",
        "• /projects 取消 <项目编号> [原因…]",
    ]
    assert len((await hood.say("张三", "/help project")).splitlines()) == 2, "a resident manages nothing"
