"""Outages and rate limits against a real Synapse: the homeserver stopped for 30 s costs a bounded number of
sync attempts (counted here) and the bot answers again when it returns; ``M_LIMIT_EXCEEDED`` is waited out
with the server's ``retry_after_ms`` and every message arrives, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.events import ChannelRef, OutgoingMessage
from tests.adapters.matrix.conftest import matrix_stack, neighbours
from tests.adapters.matrix.test_e2e import bot_joined
from tests.support.synapse import Synapse

OUTAGE = 30.0


async def test_synapse_away_for_30_seconds_costs_a_bounded_number_of_retries(
        synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    # back-off from 1 s doubling to at most 8 s (with jitter, each wait is at least half of that)
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot", options={"retry_base": 1.0, "retry_cap": 8.0}) as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(room_id)
        running = await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        await people.wang.say(room_id, "/setup 观梅社区")
        await people.li.notices_in(room_id, 1)

        adapter = running.adapter
        failures_before = adapter.sync_failures
        assert adapter.connected is True, "/healthz: connected while syncs succeed"
        synapse.stop()
        try:
            await asyncio.sleep(OUTAGE)
            during = adapter.sync_failures - failures_before
            assert adapter.connected is False, "/healthz reports Matrix down while the homeserver is away"
        finally:
            await asyncio.to_thread(synapse.start)
        # waits of at least 0.5, 1, 2, 4, 4, 4… s fit at most 10 attempts into 30 s; a storm would be thousands
        assert 3 <= during <= 11, f"{during} sync attempts failed during the outage"

        await people.li.joined(room_id)
        await asyncio.sleep(1.0)  # the residents' own clients reconnect too
        await people.li.say(room_id, "/我是谁")
        [_, whoami] = await people.li.notices_in(room_id, 2, timeout=40)
        assert whoami.body == "您是观梅社区的 李四。角色：居民。积分：0。"
        assert adapter.connected is True
        assert adapter.sync_failures - failures_before <= during + 2, "back to normal once the server returned"


async def test_rate_limited_sends_wait_for_retry_after_and_keep_their_order(synapse: Synapse, tmp_path: Path) -> None:
    db_url = f"sqlite://{tmp_path / 'linli.db'}"
    async with neighbours(synapse, tmp_path / "people") as people, \
            matrix_stack(synapse, db_url, tmp_path / "bot") as linli:
        room_id = await people.wang.create_room("观梅社区邻里群", [linli.user_id, people.li.user_id])
        await people.li.joined(room_id)
        running = await linli.start()
        await bot_joined(people, room_id, linli.user_id)
        synapse.override_ratelimit(linli.user_id, messages_per_second=2, burst_count=1)

        room = ChannelRef("matrix", room_id, "观梅社区邻里群")
        sent = await asyncio.gather(*(running.adapter.send(OutgoingMessage(channel=room, text=f"消息 {n}"))
                                      for n in range(6)))
        assert len(set(sent)) == 6
        notices = await people.li.notices_in(room_id, 6)
        assert [n.body for n in notices] == [f"消息 {n}" for n in range(6)]
        assert running.adapter.rate_limited >= 1, "Synapse said M_LIMIT_EXCEEDED at least once"
