"""From claims to hours: a verified claim that carries hours becomes an approved service record.

Heard by the event's stable name (``claims.claim_verified``), never by importing the claims plugin. The
record is approved by the organizer who verified the claim, names the project as its activity, and goes
through the publication window like any other; its source key (project and person) makes it once only,
however often the event arrives. The project's own points are earned by the claim; the hours earn theirs
when the record is final.

A subscriber has no scope (no settings, no time zone), so the record starts without its window; the sweep
gives it the community's window and local day (within ten minutes).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.plugin import UnitOfWork
from plugins.service_log.hours import TENTH
from plugins.service_log.models import Record, RecordKind, RecordStatus

CLAIM_VERIFIED = "claims.claim_verified"


async def claim_verified(event: Any, uow: UnitOfWork) -> None:
    try:
        hours = Decimal(str(getattr(event, "hours", "") or "0")).quantize(TENTH)
    except InvalidOperation:
        return
    if hours <= 0:
        return
    key = f"claims:{event.project_id}:{event.user_id}"
    try:
        async with in_transaction():
            await Record.create(
                community_id=event.community_id, user_id=event.user_id, kind=RecordKind.ENTERED,
                status=RecordStatus.PUBLIC, hours=hours, what=str(getattr(event, "title", ""))[:200],
                day=uow.now.date(), activity_title=str(getattr(event, "title", ""))[:100], source_key=key,
                recorded_by=event.by_user_id, recorded_at=uow.now, approved_by=event.by_user_id,
                approved_at=uow.now, public_until=None)
    except IntegrityError:  # the same verification again: its record exists
        return
