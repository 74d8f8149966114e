"""Organizers on a phone: the step-by-step dialog, /project <action>, edits, send-backs, completion, and
announcements in every chat of the community."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.testing import Harness
from plugins.claims.models import Project

Publish = Callable[..., Awaitable[int]]
Hear = Callable[..., Awaitable[list[str]]]
CANCEL_HINT = "\n（发送 /cancel 取消）"
SKIP_HINT = "\n（发送“跳过”跳过这一项，发送 /cancel 取消）"
TITLE_Q = "(1/5) 项目叫什么名字？例如：整治共享单车" + CANCEL_HINT
PLACES_Q = "(2/5) 需要几个名额？填数字如 3，带编号的名额如 A1-A70，或填 - 使用默认值。" + CANCEL_HINT
DEADLINE_Q = "(3/5) 什么时候截止？例如 12-31，或 +7 表示一周后；不设截止请填“无”。" + CANCEL_HINT
POINTS_Q = "(4/5) 每完成一个名额奖励多少积分？例如 10。" + SKIP_HINT
DETAILS_Q = ("(5/5) 给邻居们的项目说明？开头可以写 党员优先24（前 24 小时党员优先）或 每人2（每人可认领的名额）。"
             + SKIP_HINT)


async def test_a_project_step_by_step(hood: Harness) -> None:
    """Every part is asked for, optional ones too; a bad answer gets the reason and the same question."""
    h = hood
    assert await h.say("王书记", "/发布项目") == TITLE_Q
    assert await h.say("王书记", "整治共享单车") == PLACES_Q
    assert await h.say("王书记", "3人") == DEADLINE_Q
    assert await h.say("王书记", "2020-01-01") == "2020-01-01 已经过去了，截止日期要在以后\n" + DEADLINE_Q
    assert await h.say("王书记", "12月31日") == POINTS_Q
    assert await h.say("王书记", "很多") == "很多 不是积分数（可以写 10 或 10分）\n" + POINTS_Q
    assert await h.say("王书记", "5000分") == "每次完成的积分在 0 到 1000 之间。\n" + POINTS_Q
    assert await h.say("王书记", "10分") == DETAILS_Q
    assert await h.say("王书记", "把门口的单车挪走") == (
        "📢 新项目 #1「整治共享单车」\n把门口的单车挪走\n剩余名额 3/3 · 截止 12月31日 · 10 积分\n"
        "发送 /认领 1 或点下面的按钮参加。")
    project = await Project.get(id=1)
    assert (project.title, project.places, project.points, project.description) == (
        "整治共享单车", 3, 10, "把门口的单车挪走")
    assert await h.send("王书记", "这句只是聊天") == [], "the dialog is over"


async def test_the_optional_steps_can_be_skipped(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/发布项目 扫雪 2 +3")
    assert await h.say("王书记", "/发布项目 扫雪") == PLACES_Q
    await h.send("王书记", "2")
    await h.send("王书记", "无")
    assert await h.say("王书记", "跳过") == DETAILS_Q
    assert await h.say("王书记", "跳过") == "📢 新项目 #2「扫雪」\n剩余名额 2/2\n发送 /认领 2 或点下面的按钮参加。"
    project = await Project.get(id=2)
    assert (project.points, project.description, project.deadline) == (0, "", None)


async def test_the_details_answer_may_carry_options(hood: Harness) -> None:
    """Points asked on their own win over points among the details; the other options are read as typed."""
    h = hood
    await h.send("王书记", "/发布项目 送药")
    for answer in ("2", "+3", "5"):
        await h.send("王书记", answer)
    assert (await h.say("王书记", "党员优先12 每人2 20分 给独居老人送药")).startswith(
        "📢 新项目 #1「送药」\n给独居老人送药\n剩余名额 2/2 · 截止 11月26日 · 5 积分 · 🚩党员优先至 11月23日 22:00")
    project = await Project.get(id=1)
    assert (project.points, project.party_first_hours, project.per_person) == (5, 12, 2)


async def test_three_bad_answers_end_the_dialog(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/发布项目 扫雪")
    assert (await h.say("王书记", "很多")).startswith("很多 不是名额数")
    assert (await h.say("王书记", "好多")).startswith("好多 不是名额数")
    last = await h.say("王书记", "一些")  # the core's closing words; the question is not asked again
    assert last.startswith("一些 不是名额数（可以写 3，或用 A1-A70 表示带编号的名额）\n") and "(2/5)" not in last
    assert await h.send("王书记", "3") == []
    assert await Project.filter().count() == 0


async def test_a_title_with_a_space_keeps_the_details_apart(hood: Harness) -> None:
    created = await hood.say("王书记", "/发布项目 “整治 共享单车” 3 12-31 10分 把门口的单车挪走")
    assert created.startswith("📢 新项目 #1「整治 共享单车」\n把门口的单车挪走\n")


async def test_project_new_with_missing_words_continues_as_a_dialog(hood: Harness) -> None:
    h = hood
    assert await h.say("王书记", "/project new 扫雪") == PLACES_Q
    assert await h.say("王书记", "-") == DEADLINE_Q
    assert await h.say("王书记", "无") == POINTS_Q
    assert await h.say("王书记", "skip") == DETAILS_Q
    assert await h.say("王书记", "-") == "📢 新项目 #1「扫雪」\n剩余名额 1/1\n发送 /认领 1 或点下面的按钮参加。"
    assert (await h.say("王书记", "/项目 发布 送药 2 +3 5分 党员优先12 每人2 给独居老人送药")).startswith(
        "📢 新项目 #2「送药」\n给独居老人送药\n剩余名额 2/2 · 截止 11月26日 · 5 积分 · 🚩党员优先至 11月23日 22:00")
    project = await Project.get(id=2)
    assert (project.points, project.party_first_hours, project.per_person) == (5, 12, 2)


async def test_edits_and_more_places_let_the_waitlist_in(hood: Harness, publish: Publish, hear: Hear) -> None:
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 1 12-31")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    await h.send("王五", f"/认领 {project}")
    assert await hear(h, "王书记", f"/project edit {project} 名额 2") == [
        "#1「整治共享单车」已更新。\n已满，1 人候补 · 截止 12月31日\n李四 由候补转为认领。",
        "→ 李四: 🎉 李四：#1「整治共享单车」空出了名额，你已由候补转为认领。完成后发送 /完成 1。"]
    assert await h.say("王书记", f"/编辑项目 {project} places 1") == (
        "#1 已有 2 个名额被认领，名额不能更少。\n" + EDIT_USAGE)
    assert await h.say("王书记", f"/编辑项目 {project} 人数 3") == (
        "人数 不是可选项之一：标题、说明、名额、截止日期、积分、党员优先、每人\n" + EDIT_USAGE)
    assert (await h.say("王书记", f"/编辑项目 {project} 截止日期 12-30")).endswith("截止 12月30日")
    assert (await h.say("王书记", f"/编辑项目 {project} 积分 20")).endswith("· 20 积分")
    renamed = await h.say("王书记", f"/编辑项目 {project} 标题 整治门口共享单车")
    assert renamed.startswith("#1「整治门口共享单车」已更新。")
    await h.send("王书记", f"/编辑项目 {project} 说明 把车挪到停车线内")
    assert "\n把车挪到停车线内\n" in await h.say("张三", f"/项目 {project}")
    assert await h.say("王书记", f"/编辑项目 {project} 截止 无") == (
        "#1「整治门口共享单车」已更新。\n已满，1 人候补 · 20 积分")
    assert await h.say("王书记", f"/编辑项目 {project} 名额 A1-A3") == (
        "#1 已有人认领了不带编号的名额；只有在没人认领之前才能改成带编号的名额。\n" + EDIT_USAGE)


EDIT_USAGE = "用法：/editproject <项目编号> <标题|说明|名额|截止日期|积分|党员优先|每人> <值…>"


async def test_named_plots_can_be_renamed_only_around_claimed_ones(hood: Harness, publish: Publish) -> None:
    h = hood
    garden = await publish(h, "/发布项目 菜园认领 A1-A3 无")
    await h.send("张三", f"/认领 {garden} A2")
    assert (await h.say("王书记", f"/编辑项目 {garden} 名额 B1-B3")).startswith(
        "A2 已被认领，请保留在列表中。")
    assert await h.say("王书记", f"/编辑项目 {garden} 名额 A1,A2,A3,A4") == "#1「菜园认领」已更新。\n剩余名额 3/4"
    assert "空闲名额：A1、A3、A4" in await h.say("李四", f"/项目 {garden}")


async def test_send_back_then_verify_then_close_completes(hood: Harness, publish: Publish, hear: Hear) -> None:
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 3 12-31 10分")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    assert await h.say("王书记", f"/退回 {project} @张三 拍张照") == "张三 还没有报告完成 #1。"
    await h.send("张三", f"/完成 {project} 挪好了")
    assert await hear(h, "王书记", f"/退回 {project} @张三 照片看不清") == [
        "已退回给 张三。",
        "→ 张三: ↩️ 张三：你的 #1「整治共享单车」完成报告被退回：照片看不清。请完成后再发送 /完成 1。"]
    assert "⏳ 张三 — 进行中" in await h.say("张三", f"/项目 {project}")
    await h.send("张三", f"/完成 {project} 重新拍了照片")
    assert (await h.say("王书记", f"/验收 {project} @张三")).startswith("✅ 验收通过：张三")
    assert await h.say("王书记", f"/退回 {project} @张三 再看看") == "张三 对 #1 的认领已经验收。"
    assert await h.say("王书记", f"/验收 {project} @刘主任") == "刘主任 没有认领 #1。"
    await h.send("李四", f"/取消认领 {project}")
    assert await h.send("王书记", f"/关闭项目 {project}") == ["🎉 #1「整治共享单车」圆满完成！感谢 张三！"]
    assert await h.say("张三", "/积分") == "张三 有 10 积分。"


async def test_filling_and_completing_are_announced_in_every_chat(hood: Harness, publish: Publish) -> None:
    h = hood
    assert await h.say("王书记", "/setup join 观梅社区", room="hall") == "本群现在属于观梅社区。"
    project = await publish(h, "/发布项目 整治共享单车 1 12-31")
    assert h.said("hall")[-1].startswith("📢 新项目 #1「整治共享单车」")
    await h.send("赵六", f"/认领 {project}", room="hall")
    assert h.said("group")[-1] == "📣 #1「整治共享单车」名额已满，感谢 赵六！还想参加的可以发送 /认领 1 排候补。"
    await h.send("张三", f"/认领 {project}")
    said = await h.deliver(h.event("赵六", f"/取消认领 {project}", room="hall"))
    assert [(m.channel.chat_id, m.private_to and m.private_to.display_name, m.text) for m in said] == [
        ("hall", None, "赵六 退还了 #1「整治共享单车」的名额。\n张三 由候补转为认领。"),
        ("hall", "张三", "🎉 张三：#1「整治共享单车」空出了名额，你已由候补转为认领。完成后发送 /完成 1。"),
    ], "the promotion is 张三's own notice; the group hears nothing"
    await h.send("王书记", f"/验收 {project} @张三")
    assert h.said("hall")[-1] == h.said("group")[-1] == "🎉 #1「整治共享单车」圆满完成！感谢 张三！"


async def test_the_list_shows_ten_with_a_button_each(hood: Harness, publish: Publish) -> None:
    h = hood
    for number in range(12):
        await publish(h, f"/发布项目 项目{number} 1 无")
    [listing] = await h.deliver(h.event("张三", "/项目"))
    lines = listing.text.splitlines()
    assert lines[0] == "可认领的项目：" and len(lines) == 12
    assert lines[-1] == "……还有 2 个，发送 /项目 <编号> 查看。"
    assert [row[0].data for row in listing.buttons] == [f"/claim {n}" for n in range(1, 11)]


COMPLETED = "🎉 #1「整治共享单车」圆满完成！感谢 张三、李四！"


async def test_a_closed_project_completes_when_its_last_claim_is_verified(hood: Harness, publish: Publish) -> None:
    """Three places, two claimers, closed early: once both are verified there is nothing left to wait for."""
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 3 12-31 10分")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    assert (await h.say("王书记", f"/project close {project}")).startswith("#1「整治共享单车」已关闭")
    await h.send("张三", f"/完成 {project}")
    await h.send("李四", f"/完成 {project}")
    assert await h.send("王书记", f"/验收 {project} @张三") == [
        "✅ 验收通过：张三 完成了 #1「整治共享单车」，获得 10 积分。"]
    assert await h.send("王书记", f"/验收 {project} @李四") == [
        "✅ 验收通过：李四 完成了 #1「整治共享单车」，获得 10 积分。", COMPLETED]
    assert (await Project.get(id=project)).status == "completed"
    assert (await h.say("张三", f"/项目 {project}")).startswith("#1「整治共享单车」（已完成）")


async def test_a_closed_project_completes_when_the_last_unfinished_claimer_gives_up(
    hood: Harness, publish: Publish
) -> None:
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 3 12-31 10分")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    await h.send("张三", f"/完成 {project}")
    await h.send("王书记", f"/验收 {project} @张三")
    await h.send("王书记", f"/关闭项目 {project}")
    assert await h.send("李四", f"/取消认领 {project}") == [
        "李四 退还了 #1「整治共享单车」的名额。", "🎉 #1「整治共享单车」圆满完成！感谢 张三！"]
    assert (await Project.get(id=project)).status == "completed"


async def test_a_closed_project_with_nobody_verified_stays_closed(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h, "/发布项目 整治共享单车 3 12-31")
    await h.send("张三", f"/认领 {project}")
    await h.send("王书记", f"/关闭项目 {project}")
    assert await h.send("张三", f"/取消认领 {project}") == ["张三 退还了 #1「整治共享单车」的名额。"]
    assert (await Project.get(id=project)).status == "closed"
