"""What an adapter must remember across restarts: offsets, sync tokens, long button payloads, delivery marks.

A small key-value table, namespaced per adapter, with an optional expiry, so adapters persist what they
need without tables of their own and without touching the core's identity or community tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model


class AdapterState(Model):
    id = fields.BigIntField(primary_key=True)
    namespace = fields.CharField(max_length=64)
    key = fields.CharField(max_length=191)
    value: fields.Field[Any] = fields.JSONField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "linli_adapter_state"
        unique_together = (("namespace", "key"),)


async def state_get(namespace: str, key: str, now: datetime) -> Any:
    row = await AdapterState.get_or_none(namespace=namespace, key=key)
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row.value


async def state_put(namespace: str, key: str, value: Any, expires_at: datetime | None) -> None:
    await AdapterState.update_or_create(namespace=namespace, key=key,
                                        defaults={"value": value, "expires_at": expires_at})


async def forget_expired(now: datetime) -> int:
    return await AdapterState.filter(Q(expires_at__isnull=False) & Q(expires_at__lte=now)).delete()
