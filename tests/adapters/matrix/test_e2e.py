"""The whole story against a real Synapse: 王书记 invites the bot, sets the room up (power level 100 makes her
a chat admin), publishes two projects; 李四 claims one by answering the numbered choice, 张三 the other by
a reaction; the answers are notices with HTML; a reminder reaches 李四 in a direct room; a restart
handles nothing twice. On SQLite and PostgreSQL, and in an encrypted room."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from core.adapter_state import AdapterState
from plugins.claims.models import Claim
from tests.adapters.matrix.conftest import MatrixStack, Neighbours, Said, matrix_stack, neighbours
from tests.support.synapse import Synapse

PUBLISH_1 = "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PUBLISH_2 = "/发布项目 清理楼道 1 12-31 5分 把楼道的杂物清走"


async def bot_joined(people: Neighbours, room_id: str, bot: str) -> None:
    room = people.wang.client.rooms[room_id]
    await people.wang.wait(lambda: bot in room.users and bot not in room.invited_users, what="the bot joining")


async def claim_story(linli: MatrixStack, people: Neighbours, room_id: str) -> tuple[Said, Said]:
    """From /setup to two claims; returns the two announcements."""
    wang, zhang, li = people.wang, people.zhang, people.li
    asked = await wang.say(room_id, "/setup 观梅社区")
    [setup] = await li.notices_in(room_id, 1)
    assert setup.sender == linli.user_id
    assert setup.body == "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"
    assert setup.content["format"] == "org.matrix.custom.html"
    assert setup.content["formatted_body"] == "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"
    assert setup.content["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}

    await wang.say(room_id, PUBLISH_1)
    first = (await li.notices_in(room_id, 2))[1]
    assert first.body.startswith("📢 新项目 #1「整治共享单车」")
    assert "1️⃣ 认领 #1 — /claim 1" in first.body
    assert first.body.endswith("回复本条消息并发送编号，或用对应的表情回应即可选择。")
    assert "1️⃣ 认领 #1 — <code>/claim 1</code>" in first.content["formatted_body"]
    await wang.say(room_id, PUBLISH_2)
    second = (await li.notices_in(room_id, 3))[2]
    assert second.body.startswith("📢 新项目 #2「清理楼道」")

    await li.say(room_id, "1", reply_to=first.event_id)
    claimed = (await li.notices_in(room_id, 4))[3]
    assert claimed.body.startswith("✅ 李四 认领了 #1「整治共享单车」（剩余名额 1/2）"), claimed.body

    await zhang.react(room_id, second.event_id, "1️⃣")
    reacted = (await li.notices_in(room_id, 5))[4]
    assert reacted.body.startswith("✅ 张三 认领了 #2「清理楼道」"), reacted.body
    full = (await li.notices_in(room_id, 6))[5]
    assert full.body.startswith("📣 #2「清理楼道」名额已满")

    await li.say(room_id, "1")  # a bare number that answers nothing: chat, not a button
    await zhang.say(room_id, "/项目")
    listing = (await li.notices_in(room_id, 7))[6]
    assert "整治共享单车" in listing.body

    await zhang.send_image(room_id, PHOTO, "/完成 2 扫好了")  # a photo as evidence, the command as its caption
    report = (await li.notices_in(room_id, 8))[7]
    assert report.body.startswith("📝 张三 报告完成了 #2「清理楼道」。"), report.body
    assert "📷1" in report.body
    [claim] = await Claim.filter(photos__not=[]).all()
    assert await linli.adapter.fetch_attachment(claim.photos[0]) == PHOTO, "fetched (and decrypted) as sent"
    return first, second


async def test_claims_by_number_and_reaction_then_a_private_reminder(
        synapse: Synapse, db_url: str, tmp_path: Path) -> None:
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.zhang.user_id,
                                                                  people.li.user_id])
        await people.li.joined(room_id)
        await people.zhang.joined(room_id)
        running = await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await claim_story(linli, people, room_id)
        assert running.app.bus.duplicates == 0

        await linli.run_jobs(after=timedelta(days=6, hours=1))

        def reminder() -> Said | None:
            return next((n for n in people.li.notices if n.room_id != room_id and n.body.startswith("⏰")), None)

        private = await people.li.wait(reminder, what="the reminder in 李四's direct room")
        assert private.body.startswith("⏰ 李四：你认领的 #1「整治共享单车」如果没有进展")
        assert private.sender == linli.user_id
        direct = people.li.client.rooms[private.room_id]
        assert set(direct.users) == {people.li.user_id, linli.user_id}
        assert not [n for n in people.zhang.notices if n.room_id == private.room_id]
        assert len([n for n in people.li.notices if n.room_id == room_id]) == 8, "nothing of it in the group"


async def test_a_restart_handles_nothing_again_and_misses_nothing(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(room_id)
        await people.wang.say(room_id, "/setup 以前的消息")  # history: the first start does not handle it
        await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await people.wang.say(room_id, "/setup 观梅社区")
        await people.li.notices_in(room_id, 1)
        await linli.stop()

        await people.li.say(room_id, "/我是谁")  # said while the bot is away
        running = await linli.start()
        [_, whoami] = await people.li.notices_in(room_id, 2)
        assert whoami.body == "您是观梅社区的 李四。角色：居民。积分：0。"
        await running.adapter.wait_for_batches(2)
        assert running.app.bus.duplicates == 0
        assert len([n for n in people.li.notices if n.room_id == room_id]) == 2
        assert not [n for n in people.li.notices if "以前的消息" in n.body]

        # a crash after the core committed but before the position was stored: the same events come again
        key = "next_batch:" + linli.user_id
        before = await AdapterState.get(namespace="matrix", key=key)
        await people.li.say(room_id, "/积分")
        [*_, points] = await people.li.notices_in(room_id, 3)
        assert points.body == "李四 有 0 积分。"
        await linli.stop()
        await AdapterState.filter(namespace="matrix", key=key).update(value=before.value)
        running = await linli.start()
        await running.adapter.wait_for_batches(2)
        await people.li.say(room_id, "/我是谁")
        await people.li.notices_in(room_id, 4)
        assert running.app.bus.duplicates >= 1, "the replayed /积分 was recognised"
        assert [n.body for n in people.li.notices if n.room_id == room_id][2:] == [
            "李四 有 0 积分。", "您是观梅社区的 李四。角色：居民。积分：0。"], "and not answered twice"


async def test_after_a_restart_the_creator_may_set_up_and_a_link_code_goes_to_a_direct_room(
        synapse: Synapse, tmp_path: Path) -> None:
    """Room state lives in memory: the first sync of every process asks for it again, so after a restart
    the group is still a group (a /link code never lands in it) and its creator still a chat admin."""
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(room_id)
        running = await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await running.adapter.wait_for_batches(1)
        await linli.stop()

        await linli.start()
        await people.wang.say(room_id, "/setup 观梅社区")
        [setup] = await people.li.notices_in(room_id, 1)
        assert setup.body == "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"
        await people.li.say(room_id, "/link")
        code = await people.li.wait(lambda: [n for n in people.li.notices if "关联验证码" in n.body],
                                    what="the linking code")
        assert code[0].room_id != room_id, "the code went privately"
        assert people.li.client.rooms[code[0].room_id].member_count <= 2
        assert not [n for n in people.wang.notices if "关联验证码" in n.body], "nobody else saw it"


async def test_a_gap_longer_than_one_sync_is_fetched_and_nothing_is_missed(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot", options={"timeline_limit": 2}) as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(room_id)
        await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await people.wang.say(room_id, "/setup 观梅社区")
        await people.li.notices_in(room_id, 1)
        await linli.stop()

        for _ in range(5):  # said while the bot is away: more than one sync of two events returns
            await people.li.say(room_id, "/我是谁")
        await linli.start()
        answers = await people.li.notices_in(room_id, 6)
        assert [n.body for n in answers[1:]] == ["您是观梅社区的 李四。角色：居民。积分：0。"] * 5
