"""A member's own data (PIPL), end to end: /mydata sends everything held about the caller privately, and
/forgetme, once confirmed, leaves no row with their name or platform accounts while the community's
records (ledger, verified work, rankings) stay right under a pseudonym."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from core.builtin import mydata
from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived, OutgoingMessage
from core.hookspecs import hookimpl
from core.identity import Identity, Membership, User
from core.manifest import PluginManifest
from core.points import PointsBalance, PointsEntry
from core.testing import PLATFORM, Harness
from plugins.claims.models import Claim, ClaimStatus, Project, WaitlistEntry

#: 张三's account: its platform id and username differ from his name, so each can be looked for on its own.
ZHANG = IdentityRef(PLATFORM, "u-zs-8841", "张三", username="zhangsan")
NOTE = "已挪到停车区"
PHOTO = "photo-of-zs-work"
#: Everything that identifies 张三, none of which may survive /forgetme in any column of any table.
TRACES = ("张三", ZHANG.user_id, "zhangsan", NOTE, PHOTO)
PSEUDONYM = re.compile(r"已注销用户#[0-9a-f]{4}")


def as_zhang(h: Harness, text: str, *, direct: bool = False, **options: Any) -> MessageReceived:
    event = replace(h.event("张三", text, **options), sender=ZHANG)
    if direct:  # a private chat's id is the account's id, as on Telegram
        event = replace(event, channel=ChannelRef(PLATFORM, ZHANG.user_id, "", is_direct=True))
    return event


async def zhang(h: Harness, text: str, **options: Any) -> list[str]:
    return [m.text for m in await h.deliver(as_zhang(h, text, **options))]


async def publish(h: Harness, line: str, *, by_zhang: bool = False) -> int:
    replies = await (zhang(h, line) if by_zhang else h.send("王书记", line))
    found = re.search(r"#(\d+)", replies[0]) if replies else None
    assert found, replies
    return int(found.group(1))


async def every_row() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of every Tortoise app (the core's and each plugin's), by table."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            tables[model._meta.db_table] = await model.all().order_by(model._meta.pk_attr).values()
    return tables


def traces_in(tables: dict[str, list[dict[str, Any]]]) -> list[str]:
    found = []
    for table, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                found += [f"{table}.{column}: {trace!r} in {text!r}" for trace in TRACES if trace in text]
    return found


def the_file(messages: list[OutgoingMessage]) -> tuple[OutgoingMessage, dict[str, Any]]:
    [notice] = [m for m in messages if m.files]
    [file] = notice.files
    assert (file.filename, file.kind, file.mime_type) == ("linli-mydata.json", "document", "application/json")
    return notice, json.loads(file.data.decode("utf-8"))


async def a_neighbourhood(h: Harness) -> dict[str, int]:
    """Some months of life in 观梅社区, with 张三 in the middle of it; returns the project ids."""
    await zhang(h, "/whoami")
    await h.send("李四", "/whoami")
    await h.send("王五", "/whoami")
    await h.send("王书记", "/grant @zhangsan organizer")
    bikes = await publish(h, "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
    stairs = await publish(h, "/发布项目 清理楼道 1 12-31 5分")
    garden = await publish(h, "/发布项目 修剪绿化 1 12-31 3分", by_zhang=True)
    await zhang(h, f"/认领 {bikes}")
    await zhang(h, f"/完成 {bikes} {NOTE}", attachments=(Attachment("photo", PHOTO),))
    await h.send("王书记", f"/验收 {bikes} @zhangsan")
    await zhang(h, f"/认领 {stairs}")  # unfinished when he goes: the place must be freed
    await h.send("李四", f"/认领 {stairs}")  # full: 李四 waits, and moves up when 张三 goes
    await h.send("李四", f"/认领 {garden}")
    await zhang(h, f"/认领 {garden}")  # full: 张三 waits
    await h.send("李四", f"/完成 {garden}")
    await zhang(h, f"/验收 {garden} @李四")  # 张三 verified someone else's work
    await h.send("李四", "/感谢 @zhangsan 帮忙搬车")
    await h.send("王书记", "/感谢 @李四")
    await h.send("王书记", "/感谢 @王五")
    await h.send("李四", "/感谢 @王五")
    await zhang(h, "/发布项目")  # a step-by-step question left open
    await zhang(h, "楼顶花园")
    return {"bikes": bikes, "stairs": stairs, "garden": garden}


async def test_mydata_sends_the_callers_data_privately_and_nobody_elses(community: Harness) -> None:
    h = community
    projects = await a_neighbourhood(h)
    assert await h.say("张三", "/积分 @zhangsan") == "张三 有 11 积分。"

    sent = await h.deliver(as_zhang(h, "/mydata"))
    notice, data = the_file(sent)
    assert notice.private_to == ZHANG and notice.sensitive
    assert [m.text for m in sent if not m.files] == [
        "正在把你的数据私信发给你。如果没有收到，请先和我开始私聊，再发一次。"]
    core = data["core"]
    assert core["name"] == "张三"
    assert core["platform_accounts"] == [{"platform": PLATFORM, "id": ZHANG.user_id, "username": "zhangsan",
                                          "name": "张三"}]
    [membership] = core["memberships"]
    assert (membership["community"], membership["roles"]) == ("观梅社区", ["organizer", "resident"])
    [points] = core["points"]
    assert points["balance"] == 11
    assert sorted(e["points"] for e in points["entries"]) == [1, 10]
    [question] = core["open_questions"]
    assert (question["command"], question["answers"]) == ("newproject", {"title": "楼顶花园"})
    claims = data["claims"]
    assert [p["project"] for p in claims["projects_created"]] == [projects["garden"]]
    by_project = {c["project"]: c for c in claims["claims"]}
    assert by_project[projects["bikes"]]["status"] == "verified"
    assert (by_project[projects["bikes"]]["note"], by_project[projects["bikes"]]["photos"]) == (NOTE, 1)
    assert by_project[projects["stairs"]]["status"] == "active"
    assert [e["project"] for e in claims["waitlist"]] == [projects["garden"]]
    text = notice.files[0].data.decode("utf-8")
    for other in ("李四", "王五", "王书记"):
        assert other not in text, f"{other} is in 张三's data"

    [private] = await h.deliver(as_zhang(h, "/我的数据", direct=True))  # in a private chat: the file right there
    assert private.channel.is_direct and private.private_to == ZHANG and private.files
    _notice, theirs = the_file(await h.deliver(h.event("李四", "/mydata")))
    assert not any(trace in json.dumps(theirs, ensure_ascii=False) for trace in TRACES)


async def test_forgetme_erases_the_person_and_keeps_the_records_pseudonymous(community: Harness) -> None:
    h = community
    refused = await h.say("王书记", "/forgetme 确认")
    assert "唯一的组织者" in refused and await User.exists(display_name="王书记")
    projects = await a_neighbourhood(h)
    old = (await Identity.get(platform=PLATFORM, platform_user_id=ZHANG.user_id)).user_id  # type: ignore[attr-defined]
    ranking = await h.say("李四", "/top")
    assert ranking == "积分排行榜（总榜）：\n1. 张三 11\n2. 李四 4\n3. 王五 2"
    entries = await PointsEntry.filter(user_id=old).count()
    before = await every_row()
    assert {"linli_user", "linli_identity", "linli_pending_dialog", "claims_claim", "claims_waitlist"} <= set(before)
    assert all(any(repr(trace) in hit for hit in traces_in(before)) for trace in TRACES), "the scan finds them"
    marks = "linli_processed_event"  # each command is marked handled; nothing else may change

    [asked] = await zhang(h, "/forgetme")
    assert "/删除我的数据 确认" in asked and "无法恢复" in asked
    [wrong] = await zhang(h, "/删除我的数据 好的")
    assert wrong.startswith("好的 不是可选项之一")
    after = await every_row()
    assert {k: v for k, v in after.items() if k != marks} == {k: v for k, v in before.items() if k != marks}

    [done] = await zhang(h, "/forgetme 确认")
    found = PSEUDONYM.search(done)
    assert found, done
    pseudonym = found.group(0)

    assert traces_in(await every_row()) == []
    user = await User.get(id=old)
    assert (user.display_name, user.language) == (pseudonym, None)
    assert not await Identity.exists(user_id=old)
    assert (await Membership.get(user_id=old)).roles == []
    assert await PointsEntry.filter(user_id=old).count() == entries
    assert (await PointsBalance.get(user_id=old)).balance == 11
    verified = await Claim.get(user_id=old, project_id=projects["bikes"])
    assert (verified.status, verified.note, verified.photos) == (ClaimStatus.VERIFIED, "", [])
    assert (await Project.get(id=projects["garden"])).created_by == old
    assert (await Claim.get(project_id=projects["garden"], status=ClaimStatus.VERIFIED)).verified_by == old
    assert not await WaitlistEntry.exists(user_id=old)
    stairs = await Project.get(id=projects["stairs"])
    [holder] = await Claim.filter(project_id=stairs.id, holding__isnull=False)
    assert stairs.claimed == 1 and holder.user_id != old, "李四 moved up into the freed place"

    assert await h.say("李四", "/top") == ranking.replace("张三", pseudonym)
    assert await h.say("李四", "/积分") == "李四 有 4 积分。"
    assert await h.say("王五", "/积分") == "王五 有 2 积分。"

    assert await zhang(h, "/whoami") == ["您是观梅社区的 张三。角色：居民。积分：0。"]
    assert (await Identity.get(platform_user_id=ZHANG.user_id)).user_id != old  # type: ignore[attr-defined]
    _notice, fresh = the_file(await h.deliver(as_zhang(h, "/mydata")))
    assert "claims" not in fresh and fresh["core"]["points"] == []


async def test_merging_two_users_moves_everything_to_one(community: Harness) -> None:
    h = community
    other = IdentityRef(PLATFORM, "u-zs-second", "张三（新号）")
    project = await publish(h, "/发布项目 整治共享单车 3 12-31 10分")
    await zhang(h, f"/认领 {project}")
    await h.deliver(replace(h.event("x", f"/认领 {project}"), sender=other))
    await h.send("李四", "/感谢 @zhangsan")
    await h.deliver(replace(h.event("x", "/感谢 @zhangsan"), sender=other))
    await h.send("王书记", "/感谢 @张三（新号）")
    into = (await Identity.get(platform_user_id=ZHANG.user_id)).user_id  # type: ignore[attr-defined]
    gone = (await Identity.get(platform_user_id=other.user_id)).user_id  # type: ignore[attr-defined]

    async with in_transaction():
        await mydata.merge(h.app, gone, into)

    assert not await User.exists(id=gone)
    assert await Identity.filter(user_id=into).count() == 2
    assert (await PointsBalance.get(user_id=into)).balance == 3 and not await PointsBalance.exists(user_id=gone)
    holdings = await Claim.filter(project_id=project, user_id=into).order_by("holding").values_list(
        "holding", flat=True)
    assert holdings == [1, 2], "both places kept, in slots of their own"
    assert await h.say("李四", "/top") == "积分排行榜（总榜）：\n1. 张三 3"
    assert [m.text for m in await h.deliver(replace(h.event("x", "/whoami"), sender=other))] == [
        "您是观梅社区的 张三。角色：居民。积分：3。"], "the second account reaches the merged person"


class Broken:
    """A plugin whose personal-data hooks fail."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="broken", title_zh="坏", title_en="Broken", version="1")

    @hookimpl
    async def linli_member_data(self, user_id: int) -> dict[str, Any] | None:
        raise RuntimeError("the broken plugin cannot read its table")

    @hookimpl
    async def linli_forget_member(self, user_id: int, pseudonym: str) -> None:
        raise RuntimeError("the broken plugin cannot erase")


async def test_a_plugin_that_fails_is_named_in_the_file_and_stops_the_erasure(db_url: str) -> None:
    async with Harness.create(db_url, plugins=[Broken()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("王书记", "/disable broken")  # switched off, it still holds data: it is still asked
        _notice, data = the_file(await h.deliver(as_zhang(h, "/mydata")))
        assert data["not_available"] == ["broken"] and data["core"]["name"] == "张三"
        [apology] = await zhang(h, "/forgetme 确认")
        assert "什么都没有改变" in apology, apology
        assert await Identity.exists(platform_user_id=ZHANG.user_id, user__display_name="张三")
