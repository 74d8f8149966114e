"""Telegram keeps an update nobody fetched for 24 hours. What that means for a linli that was down: what
was written in the last day is handled when it is back; what is older is gone (Telegram dropped it), and
nothing of it is answered late."""

from __future__ import annotations

import time

from tests.adapters.telegram.conftest import stack, strict_emulator


class Clock:
    """The emulator's clock: real time, plus the hours a test lets pass."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


async def test_after_a_25_hour_outage_only_the_last_24_hours_are_handled(sqlite_url: str) -> None:
    clock = Clock()
    async with strict_emulator(clock=clock) as emu:
        wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
        zhang = emu.add_user("张三", language_code="zh-hans")
        group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=[zhang])
        async with stack(emu, sqlite_url) as linli:
            await linli.start()
            emu.user_says(group, wang, "/setup 观梅社区")
            await emu.wait_for_sent(1)
            await linli.stop()  # the server is down

            lost = emu.user_says(group, zhang, "/whoami")
            clock.skipped += 20 * 3600
            kept = emu.user_says(group, wang, "/whoami")
            clock.skipped += 5 * 3600

            running = await linli.start()
            await emu.wait_for_sent(2)
            await emu.wait_confirmed(kept)
            await running.app.settle()
            await running.adapter.flush()
        assert [s.plain_text for s in emu.sent[1:]] == ["您是观梅社区的 王书记。角色：居民、组织者。积分：0。"]
        assert [u["update_id"] for u in emu.expired_updates] == [lost], "Telegram dropped the older one"
