"""Platform event ids already handled, so a redelivered update changes nothing twice.

The mark is written in the same transaction as the handler's effects: if the handler's work commits,
so does the mark; if the process dies before the commit, neither exists and the redelivery is handled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction


class ProcessedEvent(Model):
    id = fields.BigIntField(primary_key=True)
    event_key = fields.CharField(max_length=191, unique=True)
    processed_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "linli_processed_event"


async def mark_processed(event_key: str) -> bool:
    """Mark ``event_key`` processed in the current transaction; False if it already was."""
    try:
        async with in_transaction():  # savepoint: a duplicate must not poison the outer transaction
            await ProcessedEvent.create(event_key=event_key)
        return True
    except IntegrityError:
        return False


async def forget_older_than(days: int) -> int:
    """Drop marks older than any redelivery we expect (Telegram keeps updates for 24 h)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await ProcessedEvent.filter(processed_at__lt=cutoff).delete()
