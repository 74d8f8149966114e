"""The party roster (issue 17): imported memberships count as verified by the importing organizer, are
audited (the plugin's log and the core's), and stay hidden until the member chooses to show them; a person
not yet known claims theirs with a code; 迁出 revokes."""

from __future__ import annotations

from typing import Any

from core import audit
from core.identity import User
from core.rosters.kinds import Outcome
from core.testing import Harness
from core.unit_of_work import UnitOfWork
from plugins.badges.models import AuditEntry, Badge, BadgeStatus
from tests.core.roster_support import run_import, xlsx

HIDDEN_LINE = "→ 张三: 您的🚩党员标识已核验，但处于隐藏状态：只有您自己看得到。发送 /亮身份 即可在名字旁展示。"


def sheet(status: str = "") -> bytes:
    return xlsx([["姓名", "用户名", "所在党支部", "状态"], ["张三", "张三", "第三支部", status],
                 ["赵六", "", "第一支部", ""]], title="观梅社区党员名册")


async def test_imported_party_membership_is_verified_audited_and_hidden_until_shown(
        hood: Harness, hear: Any) -> None:
    h = hood
    wang = await User.get(display_name="王书记")
    work = UnitOfWork(now=h.clock())
    dry = await run_import(h, "党员", sheet(), "党员.xlsx", apply=False, by_user_id=wang.id, uow=work)
    assert dry.counts == {Outcome.NEW: 2} and await Badge.all().count() == 0, "a dry run verifies nobody"
    assert work.events == [], "and tells no other plugin that it did"

    applied = await run_import(h, "party", sheet(), "党员.xlsx", apply=True, by_user_id=wang.id, uow=work)
    assert [type(e).__name__ for e in work.events] == ["BadgeVerified"]
    assert applied.counts == {Outcome.NEW: 2} and [c.name for c in applied.codes] == ["赵六"]
    zhang = await User.get(display_name="张三")
    badge = await Badge.get(user_id=zhang.id)
    assert (badge.status, badge.shown, badge.decided_by, badge.note) == (BadgeStatus.VERIFIED, False, wang.id,
                                                                         "第三支部")
    assert await AuditEntry.filter(user_id=zhang.id, action="verified", by_user_id=wang.id).exists()
    core_rows = await audit.AuditEntry.filter(plugin="badges", target_user_id=zhang.id)
    assert [(r.action, r.actor_user_id) for r in core_rows] == [("badge verified", wang.id)]
    assert await audit.AuditEntry.filter(plugin="core", action="import").count() == 1, "the import itself"

    assert await hear(h, "张三", "/whoami") == ["您是观梅社区的 张三。角色：居民。积分：0。", HIDDEN_LINE]
    assert "🚩" not in await h.say("李四", "/top"), "hidden: nobody sees it"
    await hear(h, "张三", "/亮身份 党员")
    assert (await hear(h, "张三", "/whoami"))[0] == "您是观梅社区的 张三 🚩。角色：居民。积分：0。"

    again = await run_import(h, "party", sheet(), "党员.xlsx", apply=True, by_user_id=wang.id)
    assert again.changes == 0 and await Badge.filter(user_id=zhang.id).count() == 1
    assert await audit.AuditEntry.filter(plugin="core", action="import").count() == 1, "nothing new, no new row"
    assert (await Badge.get(user_id=zhang.id)).shown, "a second import does not hide what the member showed"


async def test_a_pending_party_member_claims_it_with_a_code_and_moving_out_revokes(hood: Harness) -> None:
    h = hood
    wang = await User.get(display_name="王书记")
    applied = await run_import(h, "party", sheet(), "党员.xlsx", apply=True, by_user_id=wang.id)
    [code] = [c.code for c in applied.codes]
    assert await h.say("赵六", f"/join {code}", direct=True) == "欢迎，赵六：您现在已在观梅社区的党员名单上。"
    zhao = await User.get(display_name="赵六")
    badge = await Badge.get(user_id=zhao.id)
    assert (badge.status, badge.shown, badge.decided_by) == (BadgeStatus.VERIFIED, False, wang.id)

    moved = await run_import(h, "party", sheet(status="迁出"), "党员.xlsx", apply=True, by_user_id=wang.id)
    assert moved.counts == {Outcome.REMOVED: 1, Outcome.UNCHANGED: 1}
    zhang = await User.get(display_name="张三")
    assert (await Badge.get(user_id=zhang.id)).status is BadgeStatus.REVOKED
