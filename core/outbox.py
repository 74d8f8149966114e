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
from dataclasses import asdict, replace
from datetime import datetime
from enum import IntEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.events import Button, ChannelRef, IdentityRef, OutgoingFile, OutgoingMessage


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


def encode(message: OutgoingMessage) -> dict[str, Any]:
    data = asdict(message)
    data["files"] = [{**f, "data": base64.b64encode(f["data"]).decode("ascii")} for f in data["files"]]
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
    rows = [OutboxMessage(platform=m.channel.platform, lane=lane_of(m), payload=encode(m), created_at=now,
                          owner=owner) for m in messages]
    if len(rows) == 1:
        await rows[0].save()
    else:
        # bulk_create does not return ids on every backend; one insert per row keeps them, in order
        for row in rows:
            await row.save()
    return [(row.id, keyed(row.id, message)) for row, message in zip(rows, messages, strict=True)]


def keyed(row_id: int, message: OutgoingMessage) -> OutgoingMessage:
    """The message with a stable key naming its outbox row: an adapter keeps a retry's progress by it, and
    a platform with idempotent sends (Matrix transaction ids) sends it once."""
    return message if message.dedupe_key else replace(message, dedupe_key=f"outbox:{row_id}")


async def forget_undelivered(before: datetime) -> int:
    """Drop messages given up (expired or refused) before ``before``; they are kept a while for the operator."""
    return await OutboxMessage.filter(state__in=[OutboxState.EXPIRED, OutboxState.FAILED],
                                      created_at__lt=before).delete()
