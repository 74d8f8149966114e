"""The outbox: what the bot must still say, stored in the same transaction as the work that says it.

A reply exists exactly when its command's effects do: the rows are written inside the event's
transaction, so a crash before the commit leaves neither, and a crash after it leaves the reply waiting
here for the next start (:mod:`core.delivery` sends it). A row is deleted once the platform accepted the
message; a row that could not be delivered within its time-to-live, or that the platform refused for
good, stays with its state and last error for the operator to look at.

Messages are stored as JSON (files base64-encoded), so a row is self-contained and readable.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import replace
from datetime import datetime
from enum import IntEnum
from functools import cache
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.events import Button, ChannelRef, IdentityRef, OutgoingFile, OutgoingMessage
from core.storage import dialect, execute, execute_many, fetch, in_transaction_now


class OutboxState(IntEnum):
    PENDING = 0
    #: Not delivered within ``delivery.ttl_seconds``.
    EXPIRED = 2
    #: The platform refused it for good (a bad request), or its answers were lost too often to try again.
    FAILED = 3


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    #: Messages with the same lane leave one after another, in id order (one chat, or one person's DMs).
    lane = fields.CharField(max_length=191)
    payload: fields.Field[Any] = fields.JSONField()
    created_at = fields.DatetimeField()
    state = fields.SmallIntField(default=0)  # an OutboxState
    #: Attempts whose answer was lost on the way: the platform may have shown the message already.
    uncertain = fields.IntField(default=0)
    last_error = fields.CharField(max_length=255, null=True)
    #: The process sending it (a random id per start); None: stored by a command line, adopted by the bot.
    owner = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "linli_outbox"
        indexes = (Index(fields=["state", "lane", "id"]),)


def lane_of(message: OutgoingMessage) -> str:
    """The order a message keeps: its chat's; a private notice and a reply in a direct chat share the
    person's lane (on Telegram a direct chat's id is the person's id)."""
    person = message.private_to
    if person is not None:
        return f"{person.platform}:user:{person.user_id}"
    if message.channel.is_direct:
        return f"{message.channel.platform}:user:{message.channel.chat_id}"
    return message.channel.key


def _flat(value: Any) -> dict[str, Any]:
    """A flat dataclass (a channel, a person, a button, a file) as a dict, without ``asdict``'s deep
    copy of everything (that was a tenth of the trivial command's time)."""
    kind: type = type(value)
    return {name: getattr(value, name) for name in _field_names(kind)}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    """Asked once per class: ``dataclasses.fields`` builds its answer again on every call."""
    return tuple(f.name for f in dataclasses.fields(cls))


def encode(message: OutgoingMessage) -> dict[str, Any]:
    data = _flat(message)
    data["channel"] = _flat(message.channel)
    data["buttons"] = [[_flat(b) for b in row] for row in message.buttons]
    data["private_to"] = _flat(message.private_to) if message.private_to else None
    data["files"] = [{**_flat(f), "data": base64.b64encode(f.data).decode("ascii")} for f in message.files]
    return data


def decode(data: dict[str, Any]) -> OutgoingMessage:
    person = data.get("private_to")
    return OutgoingMessage(
        channel=ChannelRef(**data["channel"]),
        text=data["text"],
        buttons=tuple(tuple(Button(**b) for b in row) for row in data.get("buttons", ())),
        reply_to_message_id=data.get("reply_to_message_id"),
        private_to=IdentityRef(**person) if person else None,
        sensitive=data.get("sensitive", False),
        private_only=data.get("private_only", False),
        popup_for=data.get("popup_for"),
        files=tuple(OutgoingFile(**{**f, "data": base64.b64decode(f["data"])}) for f in data.get("files", ())),
        asks=data.get("asks", False),
        edit_message_id=data.get("edit_message_id"),
        dedupe_key=data.get("dedupe_key"),
    )


async def store(messages: list[OutgoingMessage], now: datetime, owner: str | None) -> list[tuple[int, OutgoingMessage]]:
    """Write ``messages`` in the current transaction; returns them with their row ids, in order."""
    if not messages:
        return []
    stored = []
    for message in messages:  # one statement per row keeps every row's id, in order, on both databases
        payload = json.dumps(encode(message), ensure_ascii=False, separators=(",", ":"))
        rows = await fetch(_STORE, message.channel.platform, lane_of(message), payload, now, owner)
        row_id = int(rows[0]["id"])
        stored.append((row_id, keyed(row_id, message)))
    return stored


#: Written by hand: this runs for every reply, and building it through the ORM cost more than running it.
_STORE = ("INSERT INTO linli_outbox (platform, lane, payload, created_at, state, uncertain, owner) "
          "VALUES (?, ?, ?, ?, 0, 0, ?) RETURNING id")


async def delete_sent(row_ids: list[int]) -> None:
    """Forget delivered messages, several in one transaction (one commit instead of one each)."""
    delete = _DELETE_NOT_WAITING_FOR_DISK if dialect() == "postgres" and not in_transaction_now() else _DELETE
    if len(row_ids) == 1:
        await execute(delete, row_ids[0])
    else:
        await execute_many(delete, [[row_id] for row_id in row_ids])


_DELETE = "DELETE FROM linli_outbox WHERE id = ?"
#: On PostgreSQL, forgetting a delivered reply commits without waiting for the server's log to reach the
#: disk: ``synchronous_commit`` off for this statement's own transaction (the subquery runs once, before
#: the delete looks for the row). Never inside another transaction, whose commit would stop waiting too.
#: The wait was a flush of the disk per reply (0.17 ms on an idle test machine, 2.5 ms with its cores busy)
#: on top of the one every event's commit makes. What it risks is of the kind already accepted: the delete
#: is visible at once and survives linli's own crash; it is on disk at the next commit that waits (the next
#: event's) or within three ``wal_writer_delay`` (0.6 s by default), whichever comes first. Only the
#: server's crash before that (a backend killed, an immediate shutdown, the machine's power, a failover
#: to a standby) loses it, and then the reply is sent once more, as after a crash between sending and
#: deleting. SQLite (WAL, ``synchronous=NORMAL``) never waits for the disk at a commit.
_DELETE_NOT_WAITING_FOR_DISK = _DELETE + " AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL"


def keyed(row_id: int, message: OutgoingMessage) -> OutgoingMessage:
    """The message with a stable key naming its outbox row: an adapter keeps a retry's progress by it, and
    a platform with idempotent sends (Matrix transaction ids) sends it once."""
    return message if message.dedupe_key else replace(message, dedupe_key=f"outbox:{row_id}")


async def forget_undelivered(before: datetime) -> int:
    """Drop messages given up (expired or refused) before ``before``; they are kept a while for the operator."""
    return await OutboxMessage.filter(state__in=[OutboxState.EXPIRED, OutboxState.FAILED],
                                      created_at__lt=before).delete()
