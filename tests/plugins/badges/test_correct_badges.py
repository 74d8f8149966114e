"""Reversing a badge verification (``/更正 标识 @user 党员 <reason>``): 🚩 stops showing at once, the member is
told privately, the answer goes to the organizer alone, the decision and the correction are audited, and a
second correction is refused."""

from __future__ import annotations

from typing import Any

from core.audit import AuditEntry
from core.testing import Harness
from plugins.badges.models import Badge, BadgeStatus


async def test_a_reversed_badge_verification_stops_showing_and_is_audited(hood: Harness, hear: Any,
                                                                         press: Any) -> None:
    h = hood
    await h.send("李四", "/感谢 @张三 帮忙搬车")
    await h.send("张三", "/申请标识 党员 第三支部")
    await hear(h, "王书记", "/badge pending")
    await press(h, "王书记", "核验 #1")
    verified = await AuditEntry.get(action="verifybadge")
    assert verified.plugin == "badges", "a verifier's decision is audited although anyone may send the command"
    await press(h, "张三", "亮身份")
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 🚩 1"]
    said = await hear(h, "王书记", "/更正 标识 @张三 党员 核验时看错了人")
    assert said == ["→ 张三: 组织者更正：您的🚩党员标识不再算作已核验。原因：核验时看错了人",
                    "→ 王书记: 已更正：张三 的🚩党员标识不再算作已核验。已私下告知 张三。"], said
    assert await hear(h, "李四", "/top") == ["积分排行榜（总榜）：\n1. 张三 1"], "🚩 is gone"
    badge = await Badge.get(id=1)
    assert (badge.status, badge.shown, badge.correction_reason) == (BadgeStatus.REVOKED, False, "核验时看错了人")
    again = await hear(h, "王书记", "/更正 标识 @张三 党员 再来")
    assert again == ["→ 王书记: 张三 的🚩党员标识的核验已经更正过了。"]
    rows = await AuditEntry.filter(action="correct")
    assert [(r.plugin, r.reason) for r in rows] == [("badges", "核验时看错了人")]
    log = "\n".join(await hear(h, "王书记", "/标识记录 @张三"))
    assert "更正：核验时看错了人" in log
