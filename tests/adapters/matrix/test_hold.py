"""While the database is away the core's ``accept_batch`` raises: the adapter holds the batch (its position is
not stored), syncs it again after a back-off that grows across batches up to ``retry_cap``, and never
skips an event — however long the outage lasts. A host stands in for the core here, because only the
adapter's own decision is under test (the core's dead letters are tested with the core)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from nio import MatrixRoom, RoomMessageText
from pydantic import SecretStr
from tortoise.exceptions import DBConnectionError

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.settings import MatrixSettings
from core.events import MessageReceived

KEY = ("matrix", "next_batch:@bot:example.org")


class DatabaseAway:
    """The core while the database is unavailable for ``outage`` calls of ``accept_batch``."""

    def __init__(self, outage: int) -> None:
        self.outage = outage
        self.state: dict[tuple[str, str], Any] = {}
        self.received: list[MessageReceived] = []

    async def accept_batch(self, events: list[MessageReceived], *, awaited: Any = ()) -> dict[str, Any]:
        if self.outage > 0:
            self.outage -= 1
            raise DBConnectionError("connection refused")
        self.received.extend(events)
        return {}

    async def state_get(self, namespace: str, key: str) -> Any:
        return self.state.get((namespace, key))

    async def state_put(self, namespace: str, key: str, value: Any, *, expires_at: Any = None) -> None:
        self.state[(namespace, key)] = value


def adapter_with_one_event(host: DatabaseAway) -> tuple[MatrixAdapter, Any]:
    settings = MatrixSettings(homeserver="http://example.org", user_id="@bot:example.org",
                              access_token=SecretStr("not-a-real-token"), retry_base=1.0, retry_cap=8.0,
                              send_attempts=3, encryption=False)
    adapter = MatrixAdapter(host, settings)  # type: ignore[arg-type]
    room = MatrixRoom("!group:example.org", "@bot:example.org")
    room.members_synced = True
    adapter._creators[room.room_id] = frozenset()
    adapter.client = SimpleNamespace(rooms={room.room_id: room}, invited_rooms={})  # type: ignore[assignment]
    adapter._since = "s0"
    event = RoomMessageText.from_dict({"event_id": "$claim", "sender": "@li:example.org", "origin_server_ts": 1,
                                       "type": "m.room.message",
                                       "content": {"msgtype": "m.text", "body": "/claim 1"}})
    info = SimpleNamespace(timeline=SimpleNamespace(events=[event], limited=False))
    batch = SimpleNamespace(rooms=SimpleNamespace(join={room.room_id: info}, invite={}), next_batch="s1")
    return adapter, batch


@pytest.mark.parametrize("outage", [10])
async def test_an_outage_longer_than_the_attempts_holds_the_batch_with_a_growing_back_off(outage: int) -> None:
    host = DatabaseAway(outage)
    adapter, batch = adapter_with_one_event(host)
    waits = []
    for _ in range(outage):
        again = await adapter._handle_sync(batch)
        assert again is not None, "the batch is held, not skipped"
        assert KEY not in host.state, "the position does not move past an event the core has not taken"
        waits.append(again)
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and 2.0 <= waits[2] <= 4.0
    assert all(4.0 <= wait <= 8.0 for wait in waits[3:]), waits  # capped at retry_cap
    assert await adapter._handle_sync(batch) is None
    assert [e.event_id for e in host.received] == ["matrix:$claim"], "handled once the database is back"
    assert host.state[KEY] == {"since": "s1"}
    assert adapter._hold() <= 1.0, "a good batch starts the back-off over"
