"""One community on two platforms: a Telegram group (the Bot API emulator) and a Matrix room (Synapse).

王书记 sets the community up on Telegram, links her Matrix account with ``/link`` (confirmed) and adds the Matrix room;
a project published on Telegram is announced in both chats and claimed from Matrix by answering its
numbered choice; 张三 links his two accounts, finishes on Telegram, and his points are one balance on both.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import TelegramSettings
from core.adapter import AdapterHost
from tests.adapters.matrix.conftest import Person, matrix_stack
from tests.adapters.telegram.conftest import FAST_LIMITS, FAST_RETRIES
from tests.support.synapse import Synapse
from tests.support.telegram_emulator import BotApiEmulator

CODE = re.compile(r"你的关联验证码是 ([A-Z0-9]{8})。")


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def test_a_project_posted_on_telegram_is_claimed_from_matrix_and_points_are_one_balance(
        synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with BotApiEmulator(strict_webhook_url=False, privacy_mode=False, time_scale=1 / 120) as emu, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        wang_tg = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
        zhang_tg = emu.add_user("张三", username="zhangsan", language_code="zh-hans")
        group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang_tg, members=[zhang_tg])
        emu.private_chat(wang_tg)
        emu.private_chat(zhang_tg)
        wang_mx = Person(synapse, "王书记", tmp_path / "wang")
        zhang_mx = Person(synapse, "张三", tmp_path / "zhang")
        for person in (wang_mx, zhang_mx):
            await person.start()
        try:
            telegram = TelegramSettings(token=SecretStr(emu.token), base_url=emu.base_url,
                                        base_file_url=emu.base_file_url, limits=FAST_LIMITS, **FAST_RETRIES)

            def telegram_adapter(host: AdapterHost) -> TelegramAdapter:
                return TelegramAdapter(host, telegram)

            room = await wang_mx.create_room("观梅社区 Matrix 房间", [linli.user_id, zhang_mx.user_id])
            await zhang_mx.joined(room)
            await linli.start(telegram_adapter)
            await bot_joined_by(wang_mx, room, linli.user_id)

            emu.user_says(group, wang_tg, "/setup@linli_test_bot 观梅社区")
            [setup] = await emu.wait_for_sent(1, chat_id=group.id)
            assert setup.plain_text == "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"

            # 王书记 links her Matrix account to her Telegram one, then adds the Matrix room
            emu.user_says(emu.private_chat(wang_tg), wang_tg, "/link")
            [code_message] = await emu.wait_for_sent(1, chat_id=wang_tg.id)
            code = CODE.search(code_message.plain_text or "")
            assert code is not None, code_message.plain_text
            await wang_mx.say(room, f"/link {code.group(1)}")
            [asked] = await wang_mx.notices_in(room, 1)
            assert asked.body.startswith("这个验证码会把本账号关联到 王书记"), asked.body
            await wang_mx.say(room, f"/link {code.group(1)} 确认")
            linked = (await wang_mx.notices_in(room, 2))[1]
            assert linked.body == "关联成功：你的账号现在是同一个人 王书记，积分、角色和徽章都合在一起。"
            await wang_mx.say(room, "/setup join 观梅社区")
            joined = (await wang_mx.notices_in(room, 3))[2]
            assert joined.body == "本群现在属于观梅社区。"

            # published on Telegram, announced in both chats, claimed from Matrix
            emu.user_says(group, wang_tg, "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
            telegram_news = (await emu.wait_for_sent(2, chat_id=group.id))[1]
            assert (telegram_news.plain_text or "").startswith("📢 新项目 #1「整治共享单车」")
            matrix_news = (await zhang_mx.notices_in(room, 4))[3]
            assert matrix_news.body.startswith("📢 新项目 #1「整治共享单车」")
            await zhang_mx.say(room, "1", reply_to=matrix_news.event_id)
            claimed = (await zhang_mx.notices_in(room, 5))[4]
            assert claimed.body.startswith("✅ 张三 认领了 #1「整治共享单车」（剩余名额 1/2）"), claimed.body

            # 张三 links his accounts: the code reaches him privately on Matrix, he sends it from Telegram
            await zhang_mx.say(room, "/link")
            private = await zhang_mx.wait(lambda: next((n for n in zhang_mx.notices if n.room_id != room
                                                        and CODE.search(n.body)), None), what="the linking code")
            zhang_code = CODE.search(private.body)
            assert zhang_code is not None
            emu.user_says(emu.private_chat(zhang_tg), zhang_tg, f"/link {zhang_code.group(1)}")
            [zhang_asked] = await emu.wait_for_sent(1, chat_id=zhang_tg.id)
            assert (zhang_asked.plain_text or "").startswith("这个验证码会把本账号关联到 张三")
            emu.user_says(emu.private_chat(zhang_tg), zhang_tg, f"/link {zhang_code.group(1)} 确认")
            zhang_linked = (await emu.wait_for_sent(2, chat_id=zhang_tg.id))[1]
            assert zhang_linked.plain_text == "关联成功：你的账号现在是同一个人 张三，积分、角色和徽章都合在一起。"

            # done on Telegram, verified on Matrix: one balance, seen from both
            emu.user_says(group, zhang_tg, "/done@linli_test_bot 1 挪好了")
            await emu.wait_until(lambda: any("挪好了" in (m.plain_text or "") for m in emu.sent), timeout=10,
                                 what="the report")
            report = next(m for m in emu.sent if "挪好了" in (m.plain_text or ""))
            assert report.chat_id == group.id
            assert (report.plain_text or "").startswith("📝 张三 报告完成了 #1「整治共享单车」。"), report.plain_text
            await wang_mx.say(room, f"/验收 1 {zhang_mx.user_id}")
            await wang_mx.wait(lambda: any(n.body.startswith("✅ 验收通过") for n in wang_mx.notices),
                               what="the verification")
            emu.user_says(group, zhang_tg, "/points@linli_test_bot")
            await emu.wait_until(lambda: any((m.plain_text or "").startswith("张三 有") for m in emu.sent), timeout=10,
                                 what="the points on Telegram")
            points_tg = next(m for m in emu.sent if (m.plain_text or "").startswith("张三 有"))
            await zhang_mx.say(room, "/积分")
            points_mx = await zhang_mx.wait(lambda: next((n for n in reversed(zhang_mx.notices)
                                                          if n.room_id == room and n.body.startswith("张三 有")),
                                                         None), what="the points")
            assert points_tg.plain_text == points_mx.body == "张三 有 10 积分。"
        finally:
            for person in (wang_mx, zhang_mx):
                await person.stop()


async def bot_joined_by(person: Person, room_id: str, bot: str) -> None:
    room = person.client.rooms[room_id]
    await person.wait(lambda: bot in room.users and bot not in room.invited_users, what="the bot joining")

