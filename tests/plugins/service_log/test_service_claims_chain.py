"""claim → verify → hours → points → certificate: a claims project carrying hours per completion (``2小时``
beside ``10分``) gives a verified claimer an approved service record, published like any other; the
project's points and the hours' points are both earned. service_log hears ``claims.claim_verified`` by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.testing import Harness
from plugins.service_log.models import Record, RecordStatus
from tests.plugins.service_log.conftest import sweep


async def _verified(h: Harness) -> list[str]:
    said = await h.send("王书记", "/发布项目 敲门探访 2 12-31 10分 2小时 每周探访独居老人")
    assert "10 积分 · 计志愿服务 2.0 小时" in said[0], said
    await h.send("张三", "/认领 1")
    await h.send("张三", "/完成 1 探访了3户")
    return await h.send("刘主任", "/验收 1 @张三")


async def test_a_verified_claim_with_hours_becomes_a_final_record_after_its_publication(red: Harness) -> None:
    h = red  # Monday 2026-11-23
    assert (await _verified(h))[0] == "✅ 验收通过：张三 完成了 #1「敲门探访」，获得 10 积分。"
    (record,) = await Record.all()
    assert (record.hours, record.status, record.activity_title) == (Decimal("2.0"), RecordStatus.PUBLIC, "敲门探访")
    await sweep(h)  # the sweep gives it the community's window: Tue, Wed, Thu → final on Friday 11-27
    assert (await Record.get(id=record.id)).public_until == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert await h.say("张三", "/积分") == "张三 有 10 积分。"
    said = await sweep(h, timedelta(days=4))
    assert "→ 张三: ✅ 你的记录 #1 2026-11-23 2.0 小时 敲门探访（已生效）已生效，获得 20 积分。" in said
    assert await h.say("张三", "/积分") == "张三 有 30 积分。", "the project's points and the hours' points"
    assert await h.say("刘主任", "/验收 1 @张三") == "张三 的 #1「敲门探访」已经验收过了。"
    await sweep(h, timedelta(days=1))
    assert await Record.all().count() == 1 and await h.say("张三", "/积分") == "张三 有 30 积分。"
    message = (await h.deliver(h.event("张三", "/证明")))[0]
    assert message.text.startswith("📄 证明 ZY2026-001-00001：2.0 小时。"), "and the certificate counts it"


async def test_without_hours_or_with_service_log_off_a_verified_claim_records_nothing(red: Harness) -> None:
    h = red
    await h.send("王书记", "/发布项目 挪单车 2 12-31 10分")
    await h.send("张三", "/认领 1")
    await h.send("张三", "/完成 1")
    await h.send("刘主任", "/验收 1 @张三")
    await h.send("王书记", "/disable service_log")
    await _verified_second(h)
    await sweep(h, timedelta(days=10))
    assert await Record.all().count() == 0
    assert await h.say("李四", "/积分") == "李四 有 10 积分。"


async def _verified_second(h: Harness) -> None:
    await h.send("王书记", "/发布项目 敲门探访 2 12-31 10分 2小时")
    await h.send("李四", "/认领 2")
    await h.send("李四", "/完成 2")
    await h.send("刘主任", "/验收 2 @李四")
