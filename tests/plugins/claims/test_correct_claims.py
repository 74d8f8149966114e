"""Reversing a verification (``/更正 认领 <project> @user <reason>``): the ledger sums right, the claim is
marked, the person is told privately, the audit log shows it, and a second correction is refused."""

from __future__ import annotations

from core.audit import AuditEntry
from core.points import PointsEntry
from core.testing import Harness
from plugins.claims.models import Claim
from tests.plugins.claims.conftest import Publish, heard


async def test_a_reversed_verification_takes_the_points_back_once_and_shows_in_the_audit(
        hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h)
    await h.send("张三", f"/认领 {project}")
    await h.send("张三", f"/完成 {project} 挪好了")
    await h.send("刘主任", f"/验收 {project} @张三")
    assert await h.say("张三", "/积分") == "张三 有 10 积分。"
    said = heard(await h.deliver(h.event("王书记", f"/更正 认领 {project} @张三 其实是李四挪的")))
    assert said == ["→ 张三: 组织者更正：你在 #1 整治共享单车 的工作不再算作已验收。扣回 10 积分。原因：其实是李四挪的",
                    "已更正：张三 在 #1 整治共享单车 的工作不再算作已验收。扣回 10 积分。已私下告知 张三。"]
    assert await h.say("张三", "/积分") == "张三 有 0 积分。"
    entries = await PointsEntry.filter(user_id=(await Claim.get(project_id=project)).user_id).order_by("id")
    assert [e.delta for e in entries] == [10, -10], "never deleted: an opposite entry"
    assert sum(e.delta for e in entries) == 0
    claim = await Claim.get(project_id=project)
    assert claim.corrected_at is not None and claim.correction_reason == "其实是李四挪的"
    again = h.event("王书记", f"/更正 认领 {project} @张三 再来一次")
    assert "已经更正过了" in (await h.deliver(again))[0].text
    assert await h.deliver(again) == [], "a redelivered correction does nothing"
    assert await PointsEntry.filter(delta=-10).count() == 1
    rows = await AuditEntry.filter(action="correct")
    assert len(rows) == 1 and rows[0].plugin == "claims" and rows[0].reason == "其实是李四挪的"
    log = await h.say("刘主任", "/审计 claims", direct=False)
    assert "/correct → 张三" in log and "其实是李四挪的" in log, log


async def test_the_completion_does_not_thank_someone_whose_verification_was_reversed(
        hood: Harness, publish: Publish) -> None:
    """Review: a project of two places, one verification reversed before the last: the group's 🎉 thanked
    the person whose work did not count after all."""
    h = hood
    project = await publish(h)  # two places
    for name in ("张三", "李四"):
        await h.send(name, f"/认领 {project}")
        await h.send(name, f"/完成 {project} 挪好了")
    await h.send("刘主任", f"/验收 {project} @张三")
    await h.send("王书记", f"/更正 认领 {project} @张三 其实是李四挪的")
    said = await h.send("刘主任", f"/验收 {project} @李四")
    done = [line for line in said if "🎉" in line]
    assert len(done) == 1 and "李四" in done[0] and "张三" not in done[0], said
