"""Badges are personal data (party membership is sensitive under PIPL): /mydata exports them, /forgetme
erases them (no flag, no priority, no note), and merging two accounts keeps one live badge per kind."""

from __future__ import annotations

import json
from typing import Any

from tortoise.transactions import in_transaction

from core.builtin import mydata
from core.events import OutgoingMessage
from core.testing import Harness
from plugins.badges.models import AuditEntry, Badge, BadgeStatus

ZHANG, LI = 3, 4


def the_file(messages: list[OutgoingMessage]) -> dict[str, Any]:
    [notice] = [m for m in messages if m.files]
    assert notice.sensitive and notice.private_to is not None
    return json.loads(notice.files[0].data.decode("utf-8"))


async def test_mydata_has_the_members_badges_and_their_history_but_not_who_decided(
        hood: Harness, verified: Any) -> None:
    h = hood
    await h.send("张三", "/申请标识 党员 第三支部")
    await h.send("王书记", "/核验标识 1")
    await h.send("张三", "/亮身份")
    await h.send("张三", "/申请标识 楼栋长 3号楼")
    await h.send("王书记", "/驳回标识 2 不是本楼", direct=True)
    data = the_file(await h.deliver(h.event("张三", "/mydata")))["badges"]
    assert [(b["kind"], b["status"], b["shown"], b["note"], b["reason"]) for b in data["badges"]] == [
        ("party", "verified", True, "第三支部", ""), ("building_head", "declined", False, "3号楼", "不是本楼")]
    assert [(e["action"], e["by_you"]) for e in data["history"]] == [
        ("requested", True), ("verified", False), ("shown", True), ("requested", True), ("declined", False)]
    assert "王书记" not in json.dumps(data, ensure_ascii=False)
    assert "badges" not in the_file(await h.deliver(h.event("李四", "/mydata")))


async def test_forgetme_erases_the_badges_and_the_words_but_keeps_the_audit_pseudonymous(
        hood: Harness, verified: Any) -> None:
    h = hood
    await h.send("张三", "/申请标识 党员 第三支部")
    await h.send("王书记", "/核验标识 1")
    await h.send("张三", "/亮身份")
    assert await h.app.has_badge(1, ZHANG, "party_member")
    await h.send("张三", "/forgetme 确认")
    assert not await Badge.exists(user_id=ZHANG)
    assert not await h.app.has_badge(1, ZHANG, "party_member"), "no priority for a forgotten member"
    assert "🚩" not in (await h.app.render_names(1, [ZHANG]))[ZHANG]
    entries = await AuditEntry.filter(user_id=ZHANG).order_by("id")
    # only who took a step and when stay: not which badge (party membership), nor what was done, nor words
    assert [(e.kind, e.action, e.text, e.by_user_id) for e in entries] == [
        ("", "erased", "", ZHANG), ("", "erased", "", 1), ("", "erased", "", ZHANG), ("", "forgotten", "", ZHANG)]
    assert not await AuditEntry.filter(user_id=ZHANG, kind="party").exists()
    assert not await AuditEntry.filter(text__contains="第三支部").exists()


async def test_merging_keeps_the_verified_badge_and_one_live_badge_per_kind(hood: Harness, verified: Any) -> None:
    h = hood
    await verified(h, "张三", shown=True)
    await h.send("李四", "/申请标识 党员")  # 李四's id turns out to be 张三's second account
    await verified(h, "李四", "楼栋长")
    async with in_transaction():
        await mydata.merge(h.app, LI, ZHANG)
    live = await Badge.filter(user_id=ZHANG, live=True).order_by("kind")
    assert [(b.kind, b.status) for b in live] == [("building_head", BadgeStatus.VERIFIED),
                                                  ("party", BadgeStatus.VERIFIED)]
    assert not await Badge.exists(user_id=LI)
    assert await Badge.filter(user_id=ZHANG, live=None).count() == 1, "the waiting duplicate ended"
    assert await h.app.has_badge(1, ZHANG, "building_head")
    assert (await h.app.render_names(1, [ZHANG]))[ZHANG] == "张三 🚩"
