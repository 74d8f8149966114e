"""Telegram posts webhook updates over up to 40 connections at once and "may repeat or deliver them out of
order": each is still handled exactly once, and a community's replies all arrive."""

from __future__ import annotations

from tests.adapters.telegram.conftest import Neighbourhood, stack
from tests.support.telegram_emulator import BotApiEmulator


async def test_concurrent_out_of_order_and_repeated_webhook_updates_are_each_handled_once(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    other = emu.add_chat("supergroup", title="听竹社区邻里群", creator=hood.li, members=[hood.zhang])
    async with stack(emu, db_url, webhook=True) as linli:
        running = await linli.start()
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        emu.user_says(other, hood.li, "/setup 听竹社区")
        assert await emu.deliver_webhook_concurrently() == [200, 200]
        await emu.wait_for_sent(2)

        asked = [emu.user_says(chat, user, "/whoami") for chat in (hood.group, other)
                 for user in (hood.wang, hood.zhang, hood.li)]
        assert await emu.deliver_webhook_concurrently() == [200] * 6
        for update_id in asked:  # Telegram repeats some of them
            emu.inject(emu.injected[update_id])
        assert await emu.deliver_webhook_concurrently() == [200] * 6
        await emu.wait_for_sent(8)
        await running.app.settle()
        await running.adapter.flush()

    whoami = [s for s in emu.sent if (s.plain_text or "").startswith("您是")]
    assert len(whoami) == 6, "every /whoami answered once, none twice"
    assert sorted((s.chat_id, s.plain_text) for s in whoami) == sorted(
        (chat.id, f"您是{community}的 {name}。角色：{role}。积分：0。")
        for chat, community, organizer in ((hood.group, "观梅社区", "王书记"), (other, "听竹社区", "李四"))
        for name in ("王书记", "张三", "李四")
        for role in (["居民、组织者"] if name == organizer else ["居民"]))
    assert len(emu.sent) == 8
    assert emu.pending_updates == []
