"""What keeps a rating private and every acknowledged rating counted when people and the clock act at once:
stars are never asked for in a group, a close waits for a rating being stored, one period is open at a
time (the database says so), the ranking floor cannot be lowered, a removed target is not rated, the
secret is no setting, and a reminder missed for want of the secret still goes out once it is set."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError

from core.config import ConfigError, load_settings
from core.secrets import redact
from core.testing import Harness
from plugins.ratings.models import Period, PeriodStatus, Rating, Result
from tests.plugins.ratings.conftest import rate, residents

RECORDED = "已匿名记录"


async def test_rate_with_a_target_in_the_group_is_refused_before_the_stars_are_asked_for(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    private = "请在与我的私聊中评价，这样群里的人看不到您的打分：打开与机器人的私聊，在那里发送 /rate。"
    assert await h.say("居民1", "/评价 物业公司") == private, "no question about stars in the group"
    assert await h.send("居民1", "5 5 5 5 5 在群里打的分") == [], "no dialog waits for an answer there"
    assert await Rating.all().count() == 0


async def test_every_acknowledged_rating_is_in_the_results_when_the_close_runs_at_the_same_time(
        hood: Harness) -> None:
    h = hood
    people = await residents(h, 6)
    for round_ in range(3):
        await h.send("王书记", f"/开启评价 季度 12-31 第{round_}期")
        events = [h.event(name, "/评价 物业公司 5 5 5 5 5", direct=True) for name in people]
        events.insert(3, h.event("王书记", "/结束评价"))
        sent = len(h.adapter.sent)
        await asyncio.gather(*(h.app.receive(e) for e in events))
        await h.app.bus.join()
        await h.app.settle()
        period = await Period.get(title=f"第{round_}期")
        told = sum(RECORDED in m.text for m in h.adapter.sent[sent:])
        [result] = await Result.filter(period=period)
        assert period.status is PeriodStatus.CLOSED
        assert told == await Rating.filter(period=period).count() == result.ratings, (round_, told, result.ratings)


async def test_two_closes_at_once_publish_once(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    sent = len(h.adapter.sent)
    await asyncio.gather(*(h.app.receive(h.event("王书记", "/结束评价")) for _ in range(2)))
    await h.app.bus.join()
    await h.app.settle()
    texts = [m.text for m in h.adapter.sent[sent:]]
    assert sum(t.startswith("📊 红黑榜") for t in texts) == 1, texts
    assert "目前没有进行中的评价期。" in texts, texts
    assert await Result.all().count() == 1


async def test_one_open_period_per_community_is_a_rule_of_the_database(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/config ratings calendar quarterly")
    sent = len(h.adapter.sent)
    # The calendar's tick and an organizer's /ratingopen at the same moment.
    h.clock.advance(timedelta(minutes=11))
    await asyncio.gather(h.app.scheduler.run_due(), h.app.receive(h.event("王书记", "/开启评价 季度 12-30 加开")))
    await h.app.bus.join()
    await h.app.settle()
    assert await Period.filter(status=PeriodStatus.OPEN).count() == 1
    texts = [m.text for m in h.adapter.sent[sent:]]
    assert sum(t.startswith("🗳") for t in texts) == 1, texts
    open_ = await Period.get(status=PeriodStatus.OPEN)
    with pytest.raises(IntegrityError):  # whatever the code above it does
        await Period.create(community_id=open_.community_id, kind=open_.kind, title="第二个", opened_at=open_.opened_at,
                            closes_at=open_.closes_at, dimensions=open_.dimensions)
    await h.send("王书记", "/结束评价")
    closed = await Period.get(id=open_.id)
    assert closed.open_slot is None, "a closed period frees the slot"
    assert await h.send("王书记", "/开启评价 季度 12-31 下一期"), "and the next one opens"
    assert await Period.filter(status=PeriodStatus.OPEN).count() == 1


async def test_organizers_cannot_lower_the_ranking_floor_and_a_period_keeps_its_rules(hood: Harness) -> None:
    h = hood
    assert await h.say("王书记", "/config ratings min_ratings 1") == "未修改：1 太小了（至少 5）。"
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 季度 12-31")  # opens with min_ratings 5, red from 4.0
    await h.send("王书记", "/config ratings min_ratings 100")
    await h.send("王书记", "/config ratings red_threshold 5")
    for name in people:
        await rate(h, name, "/评价 物业公司 4 4 4 4 4")
    await h.send("王书记", "/结束评价")
    assert "• 物业公司: 4.00 — 🔴 红榜 (5 份评价，认证住户 5 户)" in h.said()[-1], h.said()[-1]
    period = await Period.get()
    assert (period.min_ratings, period.red_threshold, period.black_threshold) == (5, 4.0, 3.0)


async def test_a_removed_target_cannot_be_rated_by_name_or_number(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/评价对象 添加 保安公司")
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    await h.send("王书记", "/评价对象 删除 保安公司")
    refused = await rate(h, "居民1", "/评价 保安公司 1 1 1 1 1")
    assert refused.startswith("没有叫 保安公司 的评价对象。评价对象：物业公司"), refused
    assert (await rate(h, "居民1", "/评价 2 1 1 1 1 1")).startswith("没有叫 2 的评价对象。")
    assert await Rating.all().count() == 0, "nothing stored that no result would count"


def test_the_secret_is_refused_as_a_plugin_setting_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[plugin.ratings]\nmin_ratings = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path, environ={"LINLI_PLUGIN__RATINGS__SECRET": "set-the-wrong-way-123456"})
    message = str(refused.value)
    assert "LINLI_PLUGIN__RATINGS__SECRET" in message and "LINLI_SECRET_RATINGS" in message, message
    assert "set-the-wrong-way-123456" not in message


async def test_the_secret_is_redacted_from_the_logs_from_start_up_on(db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = f"start-up-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("LINLI_SECRET_RATINGS", fresh)
    async with Harness.create(db_url):
        assert fresh not in redact(f"a log line with {fresh} in it"), "registered before any rating"


async def test_a_reminder_missed_without_the_secret_goes_out_once_it_is_set(
        hood: Harness, monkeypatch: pytest.MonkeyPatch, ratings_secret: str) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    monkeypatch.delenv("LINLI_SECRET_RATINGS")
    sent = len(h.adapter.sent)
    await h.run_jobs(after=timedelta(days=36))
    assert h.adapter.sent[sent:] == []
    assert not (await Period.get()).reminded, "nobody was reminded, so the period does not say so"
    monkeypatch.setenv("LINLI_SECRET_RATINGS", ratings_secret)
    await h.run_jobs(after=timedelta(minutes=11))
    assert [m.private_to.display_name for m in h.adapter.sent[sent:] if m.private_to] == ["居民1"]
    assert (await Period.get()).reminded
