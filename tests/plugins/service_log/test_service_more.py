"""The working-day calendar (调休 included), denying from the pending list's button, and the person's own data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.testing import Harness
from plugins.service_log.workdays import window_end
from tests.plugins.service_log.conftest import Hear

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_window_counts_working_days_with_holidays_and_make_up_days() -> None:
    friday = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    # Sat 12-05 off, Sun 12-06 a make-up working day (1), Mon 12-07 (2), Tue 12-08 (3): final Wed 00:00
    assert window_end(friday, 3, SHANGHAI, [], [date(2026, 12, 6)]) == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
    # without the make-up day: Mon, Tue, Wed → Thursday
    assert window_end(friday, 3, SHANGHAI, [], []) == datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    # a holiday on Tuesday pushes it a day further
    assert window_end(friday, 3, SHANGHAI, [date(2026, 12, 8)], []) == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    # Spring Festival week: seven holidays and two make-up Saturdays
    eve = datetime(2027, 2, 5, 2, 0, tzinfo=UTC)  # Friday
    holidays = [date(2027, 2, d) for d in range(6, 13)]
    assert window_end(eve, 3, SHANGHAI, holidays, [date(2027, 2, 13)]) == datetime(2027, 2, 16, 16, 0, tzinfo=UTC)


async def test_deny_from_the_pending_list_asks_for_the_reason(red: Harness, hear: Hear) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/审核")
    asked = await h.press("王书记", "驳回 #1")
    assert asked[0].startswith("驳回的理由是什么？")
    said = await hear(h, "王书记", "照片不是这次的")
    assert said == ["记录 #1 未通过：照片不是这次的",
                    "→ 张三: 你的记录 #1 2026-11-23 2.0 小时 敲门（未通过）未通过审核：照片不是这次的"]


async def test_mydata_holds_the_volunteer_profile_and_records(red: Harness) -> None:
    h = red
    await h.send("张三", "/登记姓名 张三丰")
    await h.send("张三", "/记录时长 2 敲门")
    sent = await h.deliver(h.event("张三", "/mydata"))
    data = json.loads(next(m for m in sent if m.files).files[0].data.decode("utf-8"))
    mine = data["service_log"]
    assert mine["volunteer"][0]["name"] == "张三丰" and mine["volunteer"][0]["number"] == "00001"
    assert [(r["hours"], r["what"], r["status"]) for r in mine["service_records"]] == [("2.0", "敲门", "pending")]


def test_a_period_typed_without_years_is_the_latest_that_has_begun() -> None:
    from plugins.service_log.arguments import TypedDay, period_of

    def typed(month: int, day: int, year: int = 2027, with_year: bool = False) -> TypedDay:
        return TypedDay(date(year, month, day), with_year)

    january = date(2027, 1, 15)
    assert period_of(typed(12, 1), typed(12, 31), january) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_of(typed(12, 1), typed(1, 31), january) == (date(2026, 12, 1), date(2027, 1, 31))
    assert period_of(typed(1, 1), typed(1, 31), january) == (date(2027, 1, 1), date(2027, 1, 31))
    exact = typed(12, 1, 2027, with_year=True)
    assert period_of(exact, typed(12, 31, 2027, True), january) == (date(2027, 12, 1), date(2027, 12, 31))


async def test_forgetme_keeps_final_records_under_the_pseudonym_and_drops_free_text(red: Harness) -> None:
    from plugins.service_log.models import Record, Volunteer

    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/登记姓名 张三丰")
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    await h.send("张三", "/记录时长 1 去了王阿姨家")
    await h.send("张三", "/证明")
    done = (await h.send("张三", "/forgetme 确认"))[-1]
    volunteer = await Volunteer.get(number="00001")
    assert volunteer.real_name != "张三丰" and volunteer.real_name in done
    final, pending = await Record.get(id=1), await Record.get(id=2)
    assert (final.what, final.hours) == ("敲门", Decimal("2.0")) and pending.what == "—"
