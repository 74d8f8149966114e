"""The same story in an encrypted room (matrix-nio[e2e] on both sides), and again after the bot restarted:
its keys live in its own store (not the main database) under the same device, so it still reads and
answers. A message it cannot decrypt is answered with a hint, not dropped silently."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.adapters.matrix.conftest import matrix_stack, neighbours
from tests.adapters.matrix.test_e2e import bot_joined, claim_story
from tests.support.synapse import Synapse


async def test_claims_in_an_encrypted_room_also_after_a_restart(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people", encryption=True) as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot", encryption=True) as linli:
        room_id = await people.wang.create_room(
            "观梅社区邻里群", [linli.user_id, people.zhang.user_id, people.li.user_id], encrypted=True)
        await people.li.joined(room_id)
        await people.zhang.joined(room_id)
        running = await linli.start()
        device = running.adapter.require_client().device_id
        await bot_joined(people, room_id, linli.user_id)
        assert people.li.client.rooms[room_id].encrypted
        await claim_story(linli, people, room_id)
        assert all(n.encrypted for n in people.li.notices if n.room_id == room_id), "the bot answered encrypted"

        # a message encrypted with a session the bot never got (a broken client, a key lost on the way)
        garbled = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
                   "device_id": "NOSUCHDEVICE", "sender_key": "WU8PXXXXG0Rr1yDZSlhMSpmZtAVqyKWUO2xLfHhv2wc",
                   "session_id": "E6dZ9GvL8R1sWIZ9LlhvNTRsYeVzfQ2yGy5eaeFoeYk"}
        token = people.li.client.access_token
        sent = synapse.request("PUT", f"/_matrix/client/v3/rooms/{room_id}/send/m.room.encrypted/garbled1",
                               garbled, token=token)
        count = len([n for n in people.li.notices if n.room_id == room_id])
        hint = (await people.li.notices_in(room_id, count + 1))[count]
        assert hint.body.startswith("我无法读取这条加密消息：我的设备 " + device), hint.body
        assert hint.content["m.relates_to"] == {"m.in_reply_to": {"event_id": sent["event_id"]}}

        await linli.stop()
        assert (tmp_path / "bot" / "keys").is_dir() and list((tmp_path / "bot" / "keys").iterdir())
        assert stat.S_IMODE((tmp_path / "bot" / "keys").stat().st_mode) == 0o700, "the device keys are private"
        assert running.adapter.require_client().config.pickle_key not in ("", "DEFAULT_KEY")
        running = await linli.start()
        assert running.adapter.require_client().device_id == device, "the same device after a restart"
        before = len([n for n in people.li.notices if n.room_id == room_id])
        await people.li.say(room_id, "/我是谁")
        whoami = (await people.li.notices_in(room_id, before + 1))[before]
        assert whoami.body == "您是观梅社区的 李四。角色：居民。积分：0。"
        assert whoami.encrypted
