"""How ``send`` reports what went wrong, so the core's outbox retries what another try may fix:
nio's own refusals to send yet (members or devices not known, a room key not shared) and a direct room
that cannot be created for now are :class:`core.adapter.RetryLater`, not lost notices or notices in the
group. A direct room the bot was removed from is replaced once; someone who declined the direct room
is not invited again with every notice. A stand-in for nio's client makes these failures happen on
demand (a real Synapse does not produce them at will)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from nio import MatrixRoom, RoomCreateError, RoomCreateResponse, RoomSendError, RoomSendResponse
from nio.exceptions import EncryptionError, LocalProtocolError, SendRetryError
from pydantic import SecretStr

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.settings import MatrixSettings
from core.adapter import RetryLater
from core.events import ChannelRef, IdentityRef, OutgoingMessage
from core.i18n import Translator

BOT = "@bot:example.org"
LI = IdentityRef("matrix", "@li:example.org", "李四")
GROUP = ChannelRef("matrix", "!group:example.org", "观梅社区邻里群")


class Host:
    def __init__(self) -> None:
        self.state: dict[tuple[str, str], Any] = {}

    async def state_get(self, namespace: str, key: str) -> Any:
        return self.state.get((namespace, key))

    async def state_put(self, namespace: str, key: str, value: Any, *, expires_at: Any = None) -> None:
        self.state[(namespace, key)] = value

    def now(self) -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC)

    def translator(self, language: str | None) -> Translator:
        return Translator("en")


class Client:
    """nio's AsyncClient as far as sending goes: ``send_error`` / ``create_error`` make it fail."""

    def __init__(self) -> None:
        self.olm = None
        self.rooms: dict[str, MatrixRoom] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.created: list[list[str]] = []
        self.send_error: BaseException | None = None
        self.create_error: BaseException | object | None = None
        self.refusing: set[str] = set()

    def room(self, room_id: str, *members: str) -> MatrixRoom:
        room = self.rooms[room_id] = MatrixRoom(room_id, BOT)
        for member in members:
            room.add_member(member, None, None)
        return room

    async def room_send(self, room_id: str, event_type: str, content: dict[str, Any], **_: Any) -> Any:
        if self.send_error is not None:
            raise self.send_error
        if room_id in self.refusing:
            return RoomSendError("not in the room", "M_FORBIDDEN")
        self.sent.append((room_id, content))
        return RoomSendResponse(f"$e{len(self.sent)}", room_id)

    async def room_create(self, *, invite: list[str], **_: Any) -> Any:
        if isinstance(self.create_error, BaseException):
            raise self.create_error
        if self.create_error is not None:
            return self.create_error
        self.created.append(invite)
        room_id = f"!dm{len(self.created)}:example.org"
        self.room(room_id, BOT)
        self.rooms[room_id].invited_users[invite[0]] = None  # type: ignore[assignment]
        return RoomCreateResponse(room_id)


def adapter() -> tuple[MatrixAdapter, Host, Client]:
    host = Host()
    settings = MatrixSettings(homeserver="http://example.org", user_id=BOT, access_token=SecretStr("not-a-token"),
                              retry_base=0.001, retry_cap=0.002, send_attempts=2, encryption=False)
    matrix = MatrixAdapter(host, settings)  # type: ignore[arg-type]
    client = Client()
    client.room(GROUP.chat_id, BOT, LI.user_id)
    matrix.client = client  # type: ignore[assignment]
    return matrix, host, client


@pytest.mark.parametrize("error", [SendRetryError("members not synced"), LocalProtocolError("no session"),
                                   EncryptionError("no room key")])
async def test_nio_refusing_to_send_yet_is_retry_later(error: BaseException) -> None:
    matrix, _, client = adapter()
    client.send_error = error
    with pytest.raises(RetryLater):
        await matrix.send(OutgoingMessage(channel=GROUP, text="你好"))


@pytest.mark.parametrize("error", [TimeoutError(), RoomCreateError("busy", "M_LIMIT_EXCEEDED"),
                                   SimpleNamespace(status_code=None, message="502 Bad Gateway")])
async def test_a_direct_room_that_cannot_be_made_now_is_retried_not_sent_to_the_group(error: object) -> None:
    matrix, _, client = adapter()
    client.create_error = error
    with pytest.raises(RetryLater):
        await matrix.send(OutgoingMessage(channel=GROUP, text="你的关联验证码是 ABCD2345", private_to=LI,
                                          sensitive=True))
    assert client.sent == [], "nothing in the group"


async def test_a_direct_room_the_bot_was_removed_from_is_replaced_once() -> None:
    matrix, host, client = adapter()
    host.state[("matrix", "dm:" + LI.user_id)] = {"room": "!old:example.org"}
    client.refusing.add("!old:example.org")  # the bot is no longer in it (not among the synced rooms)
    await matrix.send(OutgoingMessage(channel=GROUP, text="提醒", private_to=LI))
    assert client.created == [[LI.user_id]]
    assert [room for room, _ in client.sent] == ["!dm1:example.org"]
    assert host.state[("matrix", "dm:" + LI.user_id)] == {"room": "!dm1:example.org"}


async def test_someone_who_declined_the_direct_room_is_not_invited_with_every_notice() -> None:
    matrix, _, client = adapter()
    await matrix.send(OutgoingMessage(channel=GROUP, text="提醒 1", private_to=LI))
    client.rooms["!dm1:example.org"].invited_users.clear()  # 李四 declined the invitation
    for n in (2, 3):
        await matrix.send(OutgoingMessage(channel=GROUP, text=f"提醒 {n}", private_to=LI))
    assert len(client.created) == 1, "one invitation, not one per notice"
    assert [room for room, _ in client.sent] == ["!dm1:example.org", GROUP.chat_id, GROUP.chat_id]
    assert client.sent[2][1]["body"].endswith("提醒 3") and LI.user_id in str(client.sent[2][1])


async def test_a_direct_room_opened_after_declining_is_used() -> None:
    matrix, _, client = adapter()
    await matrix.send(OutgoingMessage(channel=GROUP, text="提醒 1", private_to=LI))
    client.rooms["!dm1:example.org"].invited_users.clear()
    await matrix.send(OutgoingMessage(channel=GROUP, text="提醒 2", private_to=LI))  # declined: in the group
    client.room("!theirs:example.org", BOT, LI.user_id)
    await matrix._remember_direct("!theirs:example.org", LI.user_id)  # 李四 invited the bot to a direct chat
    await matrix.send(OutgoingMessage(channel=GROUP, text="提醒 3", private_to=LI))
    assert client.sent[-1][0] == "!theirs:example.org"
