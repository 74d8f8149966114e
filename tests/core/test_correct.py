"""``/correct points`` (``/更正 积分``): an award reversed by an opposite entry, once; wrong input gets the
usage line; residents are refused."""

from __future__ import annotations

from core.audit import AuditEntry
from core.corrections import CorrectionMark
from core.identity import User
from core.points import PointsEntry, award, balance_of
from core.testing import Harness


async def _hood(h: Harness) -> int:
    await h.send("王书记", "/setup 观梅社区")
    await h.send("张三", "/whoami")
    zhang = await User.get(display_name="张三")
    await award(1, zhang.id, 5, "thanks: 帮忙搬车", "thanks", "thanks:1:2026-11-23", zone=h.app.timezone)
    await award(1, zhang.id, 3, "thanks: 修自行车", "thanks", "thanks:2:2026-11-23", zone=h.app.timezone)
    return zhang.id


async def test_an_award_is_reversed_once_by_an_opposite_entry(community: Harness) -> None:
    h = community
    zhang = await _hood(h)
    listing = await h.say("王书记", "/更正 积分 @张三 看看")
    assert listing.startswith("要更正 张三 的哪一笔积分？#2 +3 thanks: 修自行车"), listing
    said = await h.send("王书记", "/更正 积分 #1 给错人了")
    assert said[-1] == "已更正：积分记录 #1（thanks: 帮忙搬车）的 5 积分作废。扣回 5 积分。已私下告知 张三。", said
    assert await balance_of(1, zhang) == 3
    entries = await PointsEntry.filter(user_id=zhang).order_by("id")
    assert [(e.delta, e.source_key) for e in entries] == [
        (5, "thanks:1:2026-11-23"), (3, "thanks:2:2026-11-23"), (-5, "corrected:thanks:1:2026-11-23")]
    assert await h.say("王书记", "/更正 积分 1 又一次") == "积分记录 #1 已经更正过了。"
    assert await h.say("王书记", "/更正 积分 3 反悔") == "积分记录 #3 本身就是更正，不能再更正。"
    assert await CorrectionMark.filter(kind="points").count() == 1
    assert await AuditEntry.filter(action="correct").count() == 1


async def test_wrong_input_gets_the_usage_line_and_residents_are_refused(community: Harness) -> None:
    h = community
    await _hood(h)
    assert await h.say("王书记", "/更正") == "缺少参数 <类别>。\n用法：/correct <类别> <记录… 原因…>"
    missing = await h.say("王书记", "/更正 积分 1")
    assert missing == "更正需要写明记录和原因：/更正 积分 <积分记录号> <原因>", missing
    unknown = await h.say("王书记", "/更正 房子 1 原因")
    assert unknown.startswith("无法更正 房子。这里可以更正：/更正 积分 <积分记录号> <原因>"), unknown
    assert unknown.endswith("用法：/correct <类别> <记录… 原因…>")
    assert await h.say("王书记", "/更正 积分 99 原因") == "这里没有积分记录 #99。"
    assert await h.say("张三", "/更正 积分 1 原因") == "抱歉，/correct 只有组织者可以使用。"
    assert await PointsEntry.filter(delta__lt=0).count() == 0
    assert await AuditEntry.filter(action="correct").count() == 0


async def test_the_mark_refuses_a_second_correction_of_a_record_whatever_the_route(community: Harness) -> None:
    """Two workers correcting the same record at once: the unique mark lets one through (the other's
    transaction is refused and rolled back)."""
    from datetime import UTC, datetime

    import pytest

    from core.builtin.correct import POINTS
    from core.corrections import Reversal, mark
    from core.refusal import Refusal

    reversal = Reversal(record="entry 7", user_id=1, notice="")
    now = datetime.now(UTC)
    await mark(1, POINTS, reversal, 1, "first", now)
    with pytest.raises(Refusal):
        await mark(1, POINTS, reversal, 1, "second", now)
    await mark(2, POINTS, reversal, 1, "another community", now)
    assert await CorrectionMark.all().count() == 2


async def test_forgetme_takes_the_name_out_of_a_correction_of_someone_else(community: Harness) -> None:
    """Review: a reason naming a neighbour (``应该给李四的``) stayed in the mark and in the opposite ledger
    entry of 张三 after 李四 asked to be forgotten; only the marks of 李四's own records were cleaned."""
    h = community
    zhang = await _hood(h)
    await h.send("李四", "/whoami")
    await h.send("王书记", "/更正 积分 #1 应该给李四的")
    await h.send("李四", "/forgetme 确认")
    pseudonym = (await User.get(display_name__startswith="已注销用户#")).display_name
    mark_row = await CorrectionMark.get(kind="points")
    assert mark_row.reason == f"应该给{pseudonym}的"
    opposite = await PointsEntry.get(user_id=zhang, delta=-5)
    assert "李四" not in opposite.reason and pseudonym in opposite.reason, opposite.reason
    assert await balance_of(1, zhang) == 3
