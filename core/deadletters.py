"""Dead letters: platform events the core failed on for a reason of their own (a bug), set aside.

An event that fails because the database is unreachable is simply not acknowledged and comes back (see
:mod:`core.bus`). One that keeps failing while the database works would block its chat forever, so after
``DEAD_LETTER_AFTER`` tries it is stored here, answered with the apology and acknowledged. An operator
sees the count in ``/healthz``, lists them with ``linli deadletters list`` and, once the bug is fixed,
hands them to the core again with ``linli deadletters replay`` (a replayed event that was handled after
all is a no-op: its processed mark says so).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from tortoise import fields
from tortoise.models import Model

from core.events import MessageReceived
from core.inbox import decode, encode

#: Tries (while the database works) before an event is set aside.
DEAD_LETTER_AFTER = 3


class DeadLetter(Model):
    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=191, unique=True)
    payload: fields.Field[Any] = fields.JSONField()
    error = fields.TextField()
    created_at = fields.DatetimeField()
    replayed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "linli_dead_letter"


def encode_event(event: MessageReceived) -> dict[str, Any]:
    return encode(event)


def decode_event(data: dict[str, Any]) -> MessageReceived:
    """The event as it was set aside, every field kept (the inbox's one format: a replayed edit stays an
    edit, an over-long text stays refused unread), but a press is too old to answer on its button."""
    return dataclasses.replace(decode(data), button_token=None)


async def set_aside(event: MessageReceived, error: BaseException, now: datetime) -> bool:
    """Store ``event``; False if it was set aside before (a redelivery)."""
    _, created = await DeadLetter.get_or_create(
        event_id=event.event_id,
        defaults={"payload": encode_event(event), "error": f"{type(error).__name__}: {error}"[:4000],
                  "created_at": now},
    )
    return created


async def waiting() -> list[DeadLetter]:
    return await DeadLetter.filter(replayed_at__isnull=True).order_by("id")


#: Days a dead letter nobody replayed is kept (it holds a person's words).
KEEP_UNREPLAYED_DAYS = 30


async def forget_dead_letters(now: datetime, replayed_days: int) -> int:
    """Drop replayed dead letters after ``replayed_days``, and any after ``KEEP_UNREPLAYED_DAYS``."""
    replayed = await DeadLetter.filter(replayed_at__lt=now - timedelta(days=replayed_days)).delete()
    old = await DeadLetter.filter(created_at__lt=now - timedelta(days=KEEP_UNREPLAYED_DAYS)).delete()
    return replayed + old
