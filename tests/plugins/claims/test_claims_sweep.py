"""Stale claims: a reminder first, then the place goes back (to the first in line); switching the plugin
off makes it inert, and switching it back on loses nothing, not even a claim to the time it was off."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from core.testing import Harness
from plugins.claims.jobs import JOBS
from plugins.claims.models import Claim, ClaimStatus, Project, WaitlistEntry
from plugins.claims.service import ClaimsService

Publish = Callable[..., Awaitable[int]]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def sweep(h: Harness, after: timedelta) -> list[str]:
    """Move the clock, run the due jobs, and return what the bot said in the group meanwhile; a private
    notice for one person reads ``→ NAME: text`` (on the console it is a mention in the group)."""
    before = len(h.adapter.sent)
    await h.run_jobs(after=after)
    return [f"→ {m.private_to.display_name}: {m.text}" if m.private_to else m.text
            for m in h.adapter.sent[before:] if m.channel.chat_id == "group"]


async def test_a_claim_without_news_is_reminded_then_released_to_the_first_in_line(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 1 无")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    assert await sweep(h, 5 * DAY) == []
    reminder = await sweep(h, DAY + HOUR)
    assert reminder == ["→ 张三: ⏰ 张三：你认领的 #1「整治共享单车」如果没有进展，将于 11月30日 10:00 释放。"
                        "完成了请发送 /完成 1；还在做请发送 /进展 1。"], "a private notice to the claimer alone"
    buttons = h.adapter.sent[-1].buttons[0]
    assert [(b.label, b.data) for b in buttons] == [("已完成 #1", "c1:/done 1"), ("还在做", "c1:/progress 1")], (
        "a private notice's buttons carry their community, for presses in a private chat")
    assert await sweep(h, HOUR) == [], "one reminder per claim"
    assert await sweep(h, DAY) == [
        "→ 张三: 张三：你认领的 #1「整治共享单车」已 7 天没有进展，认领已释放。如果还有名额，可以重新认领。",
        "→ 李四: 🎉 李四：#1「整治共享单车」空出了名额，你已由候补转为认领。完成后发送 /完成 1。",
    ], "the release and the promotion are private notices; the group hears neither"
    assert (await h.say("李四", "/我的认领")).startswith("我的认领：\n⏳ #1「整治共享单车」 — 进行中")
    assert (await Claim.get(user_id__not=0, status=ClaimStatus.RELEASED)).ended_at is not None


async def test_a_reminder_button_pressed_in_the_private_chat_acts_in_the_community(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 1 无")
    await h.send("张三", f"/认领 {project}")
    await sweep(h, 6 * DAY + HOUR)
    still_on_it = h.adapter.sent[-1].buttons[0][1].data
    replies = await h.send("张三", "", direct=True, button_data=still_on_it)
    assert replies and replies[0].startswith("👍"), replies
    assert "还没有设置" not in " ".join(replies)


async def test_the_reminders_button_keeps_the_claim(community: Harness, publish: Publish) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 1 无")
    await h.send("张三", f"/认领 {project}")
    [reminder] = await sweep(h, 6 * DAY + HOUR)
    assert reminder.startswith("→ 张三: ⏰ 张三：")
    assert await h.press("张三", "还在做") == [
        "👍 收到，#1「整治共享单车」仍由你认领。如果之后没有进展，将于 12月6日 11:00 释放。"]
    assert await sweep(h, 2 * DAY) == []
    assert await Claim.filter(status=ClaimStatus.ACTIVE).count() == 1


async def test_progress_or_a_report_keeps_the_claim(community: Harness, publish: Publish) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 2 无")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    assert len(await sweep(h, 6 * DAY + HOUR)) == 2
    assert await h.say("张三", f"/进展 {project} 周末去挪") == (
        "👍 收到，#1「整治共享单车」仍由你认领。如果之后没有进展，将于 12月6日 11:00 释放。")
    await h.send("李四", f"/完成 {project} 挪好了")
    assert await sweep(h, 2 * DAY) == []
    assert await Claim.filter(status__in=("active", "reported")).count() == 2


async def test_past_the_deadline_unfinished_claims_are_released_and_nobody_is_promoted(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 2 +2")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    await h.send("王五", f"/认领 {project}")
    await h.send("李四", f"/完成 {project}")
    assert await sweep(h, DAY + 14 * HOUR) == [
        "→ 张三: ⏰ 张三：你认领的 #1「整治共享单车」如果没有进展，将于 11月25日 释放。"
        "完成了请发送 /完成 1；还在做请发送 /进展 1。"]
    assert await sweep(h, DAY) == ["→ 张三: 张三：#1「整治共享单车」已过截止时间，你未完成的认领已释放。",
                                   "→ 王五: 王五：#1「整治共享单车」已过截止时间，你已不在候补名单中。"]
    view = await h.say("王书记", f"/项目 {project}")
    assert "📝 李四 — 待验收" in view and "张三" not in view and "1 人候补" not in view
    assert await sweep(h, DAY) == [], "told once"
    assert await WaitlistEntry.filter(waiting=True).count() == 0
    assert await h.say("张三", f"/完成 {project}") == "你对 #1 的认领已释放。如果还有名额，可以重新认领：/认领 1"


async def test_past_the_deadline_a_project_is_not_offered_for_claiming(community: Harness,
                                                                     publish: Publish) -> None:
    h = community
    await h.send("王书记", "/配置 claims release_at_deadline 否")
    await publish(h, "/发布项目 整治共享单车 1 +1")
    await publish(h, "/发布项目 扫雪 1 无")
    await h.send("张三", "/认领 1")
    await h.send("李四", "/认领 1")
    assert await sweep(h, DAY) == []
    assert "#1「整治共享单车」" in await h.say("王五", "/项目")
    assert await sweep(h, DAY) == ["→ 李四: 李四：#1「整治共享单车」已过截止时间，你已不在候补名单中。"]
    [listing] = await h.deliver(h.event("王五", "/项目"))
    assert listing.text == "可认领的项目：\n#2「扫雪」 剩余名额 1/1"
    assert [row[0].data for row in listing.buttons] == ["/claim 2"]
    [shown] = await h.deliver(h.event("王五", "/项目 1"))
    assert shown.text.startswith("#1「整治共享单车」（已截止）") and shown.buttons == ()
    assert (await h.say("王五", "/认领 1")).startswith("项目 #1 已过截止日期（")


async def test_the_release_policy_is_a_community_setting(community: Harness, publish: Publish) -> None:
    h = community
    await h.send("王书记", "/配置 claims stale_after_days 0")
    await h.send("王书记", "/配置 claims release_at_deadline 否")
    project = await publish(h, "/发布项目 整治共享单车 2 +2")
    await h.send("张三", f"/认领 {project}")
    assert await sweep(h, 30 * DAY) == []
    assert await Claim.filter(status=ClaimStatus.ACTIVE).count() == 1


async def test_reminders_speak_the_communitys_language(community: Harness, publish: Publish) -> None:
    h = community
    project = await publish(h, "/发布项目 Bikes 1 无")
    await h.send("王书记", "/language en")
    await h.send("张三", f"/claim {project}")
    assert await sweep(h, 6 * DAY + HOUR) == [
        "→ 张三: ⏰ 张三: your claim on #1 “Bikes” is released on 11/30 10:00 unless there is news. "
        "Done? Send /done 1. Still on it? Send /progress 1."]
    await h.send("王书记", "/config claims stale_after_days 1")
    assert await sweep(h, DAY) == [
        "→ 张三: 张三: your claim on #1 “Bikes” had no news for 1 day and was released. If a place is free you "
        "can claim it again."]


async def test_switched_off_it_is_inert_and_switched_on_nothing_is_lost(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 2 无")
    await h.send("张三", f"/认领 {project}")
    assert await h.say("王书记", "/停用 claims") == "本社区已停用“认领”。数据都保留着，发送 /enable claims 即可恢复。"
    off = "本社区未启用“认领”功能；组织者可以发送 /enable claims 启用。"
    for line in ("/项目", f"/认领 {project}", "/我的认领", "/发布项目 扫雪 1 无", f"/验收 {project} @张三"):
        assert await h.say("张三" if "验收" not in line else "王书记", line) == off, line
    assert await h.send("李四", "", button_data=f"/claim {project}") == [off]
    assert await sweep(h, 30 * DAY) == [], "no reminders or releases while off"
    assert await h.say("王书记", "/启用 claims") == "本社区已启用“认领”。"
    assert (await h.say("张三", "/项目")).startswith("可认领的项目：\n#1「整治共享单车」 剩余名额 1/2")
    # the month off does not count against 张三: a fresh reminder first, the release only a day later
    [reminder] = await sweep(h, 11 * timedelta(minutes=1))
    assert reminder.startswith("→ 张三: ⏰ 张三：你认领的 #1「整治共享单车」如果没有进展，将于 12月24日 10:11 释放。")
    assert await Claim.filter(status=ClaimStatus.ACTIVE).count() == 1
    assert (await sweep(h, DAY + HOUR))[0].startswith("→ 张三: 张三：你认领的 #1「整治共享单车」已 7 天没有进展")


async def test_job_texts_use_the_claims_catalogue(community: Harness, publish: Publish,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A reminder's wording is this plugin's, not another plugin's translation of the same words."""
    h = community
    project = await publish(h, "/发布项目 整治共享单车 1 无")
    await h.send("张三", f"/认领 {project}")
    asked: list[str | None] = []
    original = h.app.translator

    def translator(language: str | None, plugin: str | None = None) -> Any:
        asked.append(plugin)
        return original(language, plugin)

    monkeypatch.setattr(h.app, "translator", translator)
    assert len(await sweep(h, 6 * DAY + HOUR)) == 1
    # the core's own periodic job (forgetting old processed-event marks) speaks with the core's catalogue, and
    # every other plugin's periodic job (ratings, service_log, …) with its own
    with_jobs = {spec.plugin for spec in h.app.scheduler.specs.values()}
    assert "claims" in asked and set(asked) <= {"claims", "core"} | with_jobs


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[Harness]:
    url = f"{db_url}?minsize=1&maxsize=5" if db_url.startswith("postgres") else db_url
    async with Harness.create(url) as h:
        yield h


async def test_each_community_is_swept_in_its_own_transaction(pooled: Harness, publish: Publish, db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """By the time the second community is swept, the first one's releases are committed (its locks gone),
    and a failure in one community keeps the other's work."""
    assert JOBS[0].per_community
    h = pooled
    await h.send("王书记", "/setup 观梅社区")
    await h.send("王书记", "/setup 东风社区", room="east")
    await publish(h, "/发布项目 整治共享单车 1 无")
    await h.send("张三", "/认领 1")
    await h.send("王书记", "/发布项目 扫雪 1 无", room="east")
    await h.send("李四", "/认领 2", room="east")
    outside = contextvars.copy_context()  # no transaction here: reads what is committed
    seen: dict[int, int] = {}
    original = ClaimsService.sweep

    async def committed_releases() -> int:
        return await Claim.filter(status=ClaimStatus.RELEASED).count()

    async def watched(self: ClaimsService) -> Any:
        if db_url.startswith("postgres"):
            task = asyncio.get_running_loop().create_task(committed_releases(), context=outside)
            seen[self.community_id] = await asyncio.wait_for(task, 5)
        if self.community_id == 2:
            raise RuntimeError("community 2 is broken today")
        return await original(self)

    monkeypatch.setattr(ClaimsService, "sweep", watched)
    said = await sweep(h, 8 * DAY)
    assert said == ["→ 张三: 张三：你认领的 #1「整治共享单车」已 7 天没有进展，认领已释放。"
                    "如果还有名额，可以重新认领。"]
    assert await Claim.filter(status=ClaimStatus.RELEASED).count() == 1
    if seen:
        assert seen == {1: 0, 2: 1}


COMPLETED = "🎉 #1「整治共享单车」圆满完成！感谢 张三、李四！"


async def test_past_the_deadline_an_open_project_with_all_its_work_verified_is_completed(
    community: Harness, publish: Publish
) -> None:
    """Three places, two claimers, both verified: once the deadline passes nobody else can come."""
    h = community
    project = await publish(h, "/发布项目 整治共享单车 3 +2 10分")
    await h.send("张三", f"/认领 {project}")
    await h.send("李四", f"/认领 {project}")
    await h.send("张三", f"/完成 {project}")
    await h.send("李四", f"/完成 {project}")
    await h.send("王书记", f"/验收 {project} @张三")
    await h.send("王书记", f"/验收 {project} @李四")
    assert await sweep(h, DAY) == []
    assert (await Project.get(id=project)).status == "open", "until the deadline a third may still come"
    assert await sweep(h, 2 * DAY) == [COMPLETED]
    assert (await Project.get(id=project)).status == "completed"
    assert (await h.say("张三", f"/项目 {project}")).startswith("#1「整治共享单车」（已完成）")
    assert await sweep(h, DAY) == [], "told once"


async def test_past_the_deadline_the_last_unfinished_claim_ending_completes_the_project(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 3 +2 10分")
    for name in ("张三", "李四", "王五"):
        await h.send(name, f"/认领 {project}")
    await h.send("张三", f"/完成 {project}")
    await h.send("李四", f"/完成 {project}")
    await h.send("王书记", f"/验收 {project} @张三")
    said = await sweep(h, 3 * DAY)  # 王五 is released at the deadline; 李四's report still waits
    assert said[-1] == "→ 王五: 王五：#1「整治共享单车」已过截止时间，你未完成的认领已释放。"
    assert (await Project.get(id=project)).status == "open"
    assert await h.send("王书记", f"/验收 {project} @李四") == [
        "✅ 验收通过：李四 完成了 #1「整治共享单车」，获得 10 积分。", COMPLETED]
    assert (await Project.get(id=project)).status == "completed"
    assert await sweep(h, DAY) == []


async def test_past_the_deadline_the_release_of_the_last_claim_completes_the_project(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 2 +2")
    for name in ("张三", "李四", "王五"):
        await h.send(name, f"/认领 {project}")
    await h.send("李四", f"/完成 {project}")
    await h.send("王书记", f"/验收 {project} @李四")
    said = await sweep(h, 3 * DAY)
    assert said[-3:] == ["→ 张三: 张三：#1「整治共享单车」已过截止时间，你未完成的认领已释放。",
                         "🎉 #1「整治共享单车」圆满完成！感谢 李四！",
                         "→ 王五: 王五：#1「整治共享单车」已过截止时间，你已不在候补名单中。"]
    assert (await Project.get(id=project)).status == "completed"


async def test_past_the_deadline_an_open_project_with_nothing_verified_stays_open(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, "/发布项目 整治共享单车 3 +2")
    await publish(h, "/发布项目 扫雪 1 +2")
    await h.send("张三", f"/认领 {project}")
    said = await sweep(h, 3 * DAY)
    assert said[-1] == "→ 张三: 张三：#1「整治共享单车」已过截止时间，你未完成的认领已释放。"
    assert not any("圆满完成" in text for text in said)
    assert await sweep(h, DAY) == []
    assert [p.status for p in await Project.all().order_by("id")] == ["open", "open"]
    assert (await h.say("王五", f"/项目 {project}")).startswith("#1「整治共享单车」（已截止）")
