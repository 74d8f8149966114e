"""Platform event ids already handled, so a redelivered update changes nothing twice.

The mark is written in the same transaction as the handler's effects: if the handler's work commits,
so does the mark; if the process dies before the commit, neither exists and the redelivery is handled.
The mark is one ``INSERT … ON CONFLICT DO NOTHING``: a duplicate inserts nothing instead of raising, so
no savepoint is needed around it (it would cost two statements on every event).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import fields
from tortoise.models import Model

from core.storage import fetch


class ProcessedEvent(Model):
    id = fields.BigIntField(primary_key=True)
    event_key = fields.CharField(max_length=191, unique=True)
    processed_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "linli_processed_event"


_MARK = ("INSERT INTO linli_processed_event (event_key, processed_at) VALUES (?, ?) "
         "ON CONFLICT (event_key) DO NOTHING RETURNING id")


async def mark_processed(event_key: str) -> bool:
    """Mark ``event_key`` processed in the current transaction; False if it already was (or a concurrent
    transaction holds the same mark and commits: the unique key makes the second one wait, then no-op)."""
    return bool(await fetch(_MARK, event_key, datetime.now(UTC)))


async def forget_older_than(days: int) -> int:
    """Drop marks older than any redelivery we expect (Telegram keeps updates for 24 h)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await ProcessedEvent.filter(processed_at__lt=cutoff).delete()
