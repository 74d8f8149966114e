"""Corrections of service records, through the core's ``/correct`` (``/更正``).

``/correct record <id> <reason>`` reverses an approval: a published record goes back to not approved; a
final one gets a linked correction record taking all its hours back (so the totals and certificates
follow) and the core takes back the points it and its corrections earned. ``/更正 <id> <±hours> <reason>``
is the adjustment the service log always offered: a new linked record with the difference.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.plugin import (
    N_,
    AwardsReversed,
    CommandContext,
    Correction,
    Int,
    Refusal,
    Reversal,
    UnitOfWork,
    parse_line,
)
from plugins.service_log import commands_hours
from plugins.service_log.events import source_key
from plugins.service_log.models import Record, RecordKind, RecordStatus
from plugins.service_log.speaker import records_for

RECORD_NUMBER = Int(minimum=1, maximum=10**9)
CLAIM_CORRECTED = "claims.verification_corrected"


async def adjust_hours(ctx: CommandContext, text: str) -> None:
    """``/更正 3 -0.5 理由``: the service log's own command, with its own arguments and answers."""
    cmd = commands_hours.correct
    parsed = parse_line(f"/correct {text}")
    assert parsed is not None and cmd.handler is not None
    raws = cmd.split(parsed.words, parsed.rests)
    missing = cmd.first_missing(raws)
    if missing is not None:
        raise Refusal(N_("Missing {argument}."), usage=True, argument=cmd.args[missing].usage(ctx.t))
    values = await cmd.convert(raws, ctx)
    await cmd.handler(ctx, **values)
    # The audit row names whose record it was and why (so ``/audit @user`` finds it), not the typed line.
    record = await records_for(ctx).get(values["record"])
    await ctx.audit("correct", target=record.user_id, reason=values["reason"], record=f"record {record.id}",
                    hours=values["hours"])


async def reverse_record(record: Record, by_user_id: int, reason: str, now: datetime) -> tuple[bool, list[str]]:
    """Reverse an approved record once: whether it was reversed now, and the ledger keys it had earned.

    A published record goes back to not approved (it earned nothing yet); a final one is marked and a linked,
    final correction record takes back all its hours (with its earlier corrections), so totals follow.
    """
    mark = {"corrected_at": now, "corrected_by": by_user_id, "correction_reason": reason[:300]}
    if record.status is RecordStatus.PUBLIC:
        changed = await Record.filter(id=record.id, status=RecordStatus.PUBLIC, corrected_at__isnull=True).update(
            status=RecordStatus.DENIED, denied_reason=reason[:300], **mark)
        return bool(changed), []
    changed = await Record.filter(id=record.id, status=RecordStatus.FINAL, corrected_at__isnull=True).update(**mark)
    if not changed:
        return False, []
    # Adjustments still under review go with the record; final ones are taken back with it.
    await Record.filter(corrects_id=record.id, status__in=(RecordStatus.PENDING, RecordStatus.PUBLIC)).update(
        status=RecordStatus.DENIED, denied_reason=reason[:300])
    earlier = await Record.filter(corrects_id=record.id, status=RecordStatus.FINAL)
    held = Decimal(record.hours) + sum((Decimal(e.hours) for e in earlier), Decimal(0))
    if held:
        await Record.create(
            community_id=record.community_id, user_id=record.user_id, kind=RecordKind.CORRECTION,
            status=RecordStatus.FINAL, hours=-held, what=record.what, day=record.day,
            activity_id=record.activity_id, activity_title=record.activity_title, recorded_by=by_user_id,
            recorded_at=now, approved_by=by_user_id, approved_at=now, final_at=now,
            points=0, corrects_id=record.id, reason=reason[:300])
    return True, [source_key(record.id), *(source_key(e.id) for e in earlier)]


async def reverse_approval(ctx: CommandContext, words: list[str], reason: str) -> Reversal:
    number = await RECORD_NUMBER.convert(words[0].lstrip("#＃"), ctx)
    record = await records_for(ctx).get(number)
    if record.corrected_at is not None:
        raise Refusal(N_("The approval of record #{id} was already corrected."), id=record.id)
    if record.kind is RecordKind.CORRECTION or record.status not in (RecordStatus.PUBLIC, RecordStatus.FINAL):
        raise Refusal(N_("Record #{id} is not an approved record; there is no approval to reverse."), id=record.id)
    changed, keys = await reverse_record(record, ctx.user.id, reason, ctx.now())
    if not changed:
        raise Refusal(N_("The approval of record #{id} was already corrected."), id=record.id)
    return Reversal(record=f"record {record.id}", user_id=record.user_id, source_keys=tuple(keys),
                    notice=N_("the approval of your service record #{id} ({hours} h {what}) is reversed; its "
                              "hours no longer count."),
                    summary=N_("the approval of service record #{id} ({hours} h {what}) is reversed."),
                    values={"id": record.id, "hours": str(record.hours), "what": record.activity_title or record.what})


async def claim_corrected(event: Any, uow: UnitOfWork) -> None:
    """A verification was reversed (``claims.verification_corrected``): so is the record it had made, and the
    core takes back what that record earned."""
    record = await Record.get_or_none(source_key=f"claims:{event.project_id}:{event.user_id}",
                                      community_id=event.community_id, corrected_at__isnull=True)
    if record is None or record.status is RecordStatus.DENIED:
        return
    if record.status is RecordStatus.PENDING:  # held back by an objection: it must not be approved later
        await Record.filter(id=record.id, status=RecordStatus.PENDING).update(
            status=RecordStatus.DENIED, denied_reason=str(event.reason)[:300], corrected_at=uow.now,
            corrected_by=event.by_user_id, correction_reason=str(event.reason)[:300])
        return
    _changed, keys = await reverse_record(record, event.by_user_id, str(event.reason), uow.now)
    if keys:
        uow.publish(AwardsReversed(community_id=event.community_id, source_keys=tuple(keys),
                                   reason=str(event.reason)))


CORRECTIONS = [
    Correction(kind="record", aliases=("记录", "服务记录", "approval"), refs=(N_("record"),),
               help=N_("an approved service record"), reverse=reverse_approval),
    Correction(kind="hours", aliases=("时长",), refs=(N_("record"), N_("±hours")),
               help=N_("a final record's hours, by a linked record (+1 or -0.5)"), reverse=reverse_approval,
               bare=True, run_bare=adjust_hours),
]
