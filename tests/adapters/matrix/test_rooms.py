"""Rooms and roles against a real Synapse: invites only from the allow-list are accepted, power level 50
makes a chat admin (and a change of power levels counts at once), a pill or a plain ``@user:server``
names the person meant, and a direct room with the bot is a private chat."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from nio import DownloadResponse, RoomGetStateEventResponse

from tests.adapters.matrix.conftest import Said, matrix_stack, neighbours
from tests.adapters.matrix.test_e2e import bot_joined
from tests.support.synapse import Synapse


async def test_an_invite_from_someone_not_allowed_is_refused(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people:
        allowed = people.li.user_id
        async with matrix_stack(synapse, db_url, tmp_path / "bot",
                                options={"allow_invites_from": [allowed]}) as linli:
            refused = await people.wang.create_room("不认识的群", [linli.user_id])
            welcome = await people.li.create_room("李四的群", [linli.user_id])
            await linli.start()
            room = people.li.client.rooms[welcome]
            await people.li.wait(lambda: linli.user_id in room.users and linli.user_id not in room.invited_users,
                                 what="the bot joining 李四's room")
            other = people.wang.client.rooms[refused]
            await people.wang.wait(lambda: linli.user_id not in other.users and linli.user_id not in
                                   other.invited_users, what="the bot refusing 王书记's invite")


async def test_power_level_50_makes_a_chat_admin_and_a_change_counts_at_once(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.zhang.user_id])
        await people.zhang.joined(room_id)
        await linli.start()
        await bot_joined(people, room_id, linli.user_id)

        await people.zhang.say(room_id, "/setup 观梅社区")
        [refused] = await people.zhang.notices_in(room_id, 1)
        assert refused.body == "只有本群的管理员才能把它设置为社区。"

        levels = await people.wang.client.room_get_state_event(room_id, "m.room.power_levels")
        assert isinstance(levels, RoomGetStateEventResponse)
        content = dict(levels.content)
        content["users"] = {**content.get("users", {}), people.zhang.user_id: 50}
        await people.wang.client.room_put_state(room_id, "m.room.power_levels", content)
        await asyncio.sleep(0.5)
        await people.zhang.say(room_id, "/setup 观梅社区")
        done = (await people.zhang.notices_in(room_id, 2))[1]
        assert done.body == "观梅社区设置好了，张三 是组织者。发送 /help 查看可用命令。"


async def test_mentions_by_pill_and_by_plain_matrix_id(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.zhang.user_id,
                                                                  people.li.user_id])
        await people.zhang.joined(room_id)
        await people.li.joined(room_id)
        await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await people.wang.say(room_id, "/setup 观梅社区")
        await people.li.say(room_id, "/我是谁")
        await people.zhang.say(room_id, "/我是谁")
        await people.wang.notices_in(room_id, 3)

        # Element's pill: the display name in the body, the Matrix id in the link
        await people.wang.client.room_send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": "/授予 李四 志愿者", "format": "org.matrix.custom.html",
            "formatted_body": f'/授予 <a href="https://matrix.to/#/{people.li.user_id}">李四</a> 志愿者',
            "m.mentions": {"user_ids": [people.li.user_id]}})
        granted = (await people.wang.notices_in(room_id, 4))[3]
        assert granted.body == "李四 现在是志愿者了。"
        await people.wang.say(room_id, f"/授予 {people.zhang.user_id} 志愿者")
        plain = (await people.wang.notices_in(room_id, 5))[4]
        assert plain.body == "张三 现在是志愿者了。"

        # an edited command is not run again (as on Telegram); the room's order shows nothing came of it
        typo = await people.wang.say(room_id, "/我是")
        assert (await people.wang.notices_in(room_id, 6))[5].body.startswith("没有 /我是 这个命令。")
        await people.wang.client.room_send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": "* /我是谁", "m.new_content": {"msgtype": "m.text", "body": "/我是谁"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": typo}})
        await people.wang.say(room_id, "/积分")
        assert (await people.wang.notices_in(room_id, 7))[6].body == "王书记 有 0 积分。"


async def test_a_direct_room_is_a_private_chat(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        group = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(group)
        await linli.start()
        await bot_joined(people, group, linli.user_id)
        await people.wang.say(group, "/setup 观梅社区")
        await people.li.say(group, "/我是谁")
        await people.li.notices_in(group, 2)

        answer = await people.li.client.room_create(is_direct=True, invite=[linli.user_id])
        direct = answer.room_id  # type: ignore[union-attr]
        room = people.li.client.rooms
        await people.li.wait(lambda: direct in room and linli.user_id in room[direct].users
                             and linli.user_id not in room[direct].invited_users, what="the bot in the direct room")
        await people.li.say(direct, "/setup 私聊")
        [private] = await people.li.notices_in(direct, 1)
        assert private.body == "请在社区的群聊里发送 /setup，不要在私聊里发送。"
        await people.li.say(direct, "/我是谁")
        whoami = (await people.li.notices_in(direct, 2))[1]
        assert whoami.body == "您是观梅社区的 李四。角色：居民。积分：0。"

        await people.li.say(direct, "/mydata")  # a file, in the direct room
        [export] = await people.li.wait(lambda: people.li.files, what="the /mydata file")
        assert export.room_id == direct and export.content["msgtype"] == "m.file"
        assert export.body.endswith(".json") and export.content["info"]["mimetype"] == "application/json"
        download = await people.li.client.download(mxc=export.content["url"])
        assert isinstance(download, DownloadResponse)
        assert json.loads(download.body)["core"]["name"] == "李四"


async def test_a_refused_choice_is_answered_to_the_presser_under_their_answer(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.zhang.user_id])
        await people.zhang.joined(room_id)
        await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await people.wang.say(room_id, "/setup 观梅社区")
        await people.wang.say(room_id, "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
        news = (await people.zhang.notices_in(room_id, 2))[1]
        await people.zhang.say(room_id, "1", reply_to=news.event_id)
        await people.zhang.notices_in(room_id, 3)
        again = await people.zhang.say(room_id, "1", reply_to=news.event_id)
        twice = (await people.zhang.notices_in(room_id, 4))[3]
        assert twice.body == "你已经认领了 #1「整治共享单车」。"
        assert twice.content["m.relates_to"] == {"m.in_reply_to": {"event_id": again}}
        await people.wang.say(room_id, "/取消项目 1")
        await people.zhang.notices_in(room_id, 5)
        again = await people.zhang.say(room_id, "1", reply_to=news.event_id)  # a refusal: the button's pop-up

        def answer() -> Said | None:
            return next((n for n in people.zhang.notices if n.content.get("m.relates_to") ==
                         {"m.in_reply_to": {"event_id": again}}), None)

        refused = await people.zhang.wait(answer, what="the answer to the second press")
        assert refused.body.startswith("张三: "), refused.body
        assert refused.content["m.mentions"] == {"user_ids": [people.zhang.user_id]}
        assert refused.content["m.relates_to"] == {"m.in_reply_to": {"event_id": again}}
