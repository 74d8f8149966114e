"""Corrections: an organizer reverses a verification, an approval or an award, with a reason.

Records are never deleted and the ledger is never edited. Each plugin that owns a kind of record says how to
reverse it through the ``linli_corrections`` hook (a :class:`Correction`): it finds the record from what
the organizer typed, marks it (``corrected_at``/``corrected_by``/``correction_reason``) and undoes what
follows from it in its own tables; it returns a :class:`Reversal` naming the ledger entries the record
earned. The core then books the opposite of each of those entries (a new entry whose source key is
``corrected:`` and the original's), tells the person privately and the audit log records the step.

Exactly once, three times over: the router ignores a redelivered command; a :class:`CorrectionMark` is unique
per community, kind and record, so a second ``/correct`` of the same record is refused ("already
corrected") even from another worker process; and the opposite entries have unique source keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.events import DomainEvent
from core.i18n import N_
from core.points import PointsEntry, award, utc_now
from core.refusal import Refusal
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.context import CommandContext

#: The prefix of an opposite entry's source key: ``corrected:claims:verify:3:7``.
CORRECTED = "corrected:"
ALREADY_CORRECTED = N_("{record} was already corrected.")


class CorrectionMark(Model):
    """One row per corrected record: what makes a second correction of it impossible."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    kind = fields.CharField(max_length=32)
    #: The plugin's own name for the record (``claim 12``, ``record 5``, ``entry 40``).
    record = fields.CharField(max_length=128)
    user_id = fields.IntField()
    corrected_by = fields.IntField()
    corrected_at = fields.DatetimeField(default=utc_now)
    reason = fields.TextField(default="")

    class Meta:
        table = "linli_correction"
        unique_together = (("community_id", "kind", "record"),)


@dataclass(frozen=True)
class Reversal:
    """What a plugin's reversal did. ``record`` names the record uniquely within the kind (``claim 12``),
    ``user_id`` is the person affected, ``source_keys`` the ledger entries it had earned (their opposites are
    booked by the core), ``notice`` and ``values`` what the person is told (a msgid of the plugin's)."""

    record: str
    user_id: int
    notice: str
    values: dict[str, Any] = field(default_factory=dict)
    source_keys: tuple[str, ...] = ()
    #: What the organizer reads back (a msgid of the plugin's); the notice when empty.
    summary: str = ""


Reverse = Callable[["CommandContext", list[str], str], Awaitable[Reversal]]


@dataclass(frozen=True)
class Correction:
    """A kind of record a plugin can reverse: ``/correct <kind> <ref…> <reason>``.

    ``refs`` label the words that find the record (msgids, shown in the usage line: ``project``, ``@user``);
    ``reverse(ctx, words, reason)`` finds it (raising :class:`Refusal` when there is none, or it is already
    corrected), marks it and returns the :class:`Reversal`. It runs in the command's savepoint: a refusal
    anywhere later undoes it. ``bare`` lets the kind's word be left out when the first word is a number
    (``/更正 3 -0.5 …``, as the service log always had it); one kind at most says so.
    """

    kind: str
    aliases: tuple[str, ...]
    refs: tuple[str, ...]
    help: str
    reverse: Reverse
    bare: bool = False
    plugin: str = ""
    #: For a kind with a grammar of its own: gets everything typed after ``/correct`` (after the kind's name,
    #: when it is named: ``/更正 时长 3 -0.5 理由``) and does the whole step itself (the service log's
    #: ``/更正 3 -0.5 理由`` adds a linked record, as it always did); ``reverse`` is then not used.
    run_bare: Callable[[CommandContext, str], Awaitable[None]] | None = None


async def mark(community_id: int, correction: Correction, reversal: Reversal, by_user_id: int, reason: str,
               at: datetime) -> None:
    """The record is corrected from now on; refuses a second correction of it."""
    try:
        async with in_transaction():
            await CorrectionMark.create(community_id=community_id, kind=correction.kind, record=reversal.record,
                                        user_id=reversal.user_id, corrected_by=by_user_id, corrected_at=at,
                                        reason=reason)
    except IntegrityError:
        raise Refusal(ALREADY_CORRECTED, record=reversal.record) from None


async def book_opposites(community_id: int, keys: tuple[str, ...], reason: str, at: datetime, zone: tzinfo) -> int:
    """The opposite of every ledger entry with these source keys, once each; returns the points taken back
    (positive when points were taken away)."""
    taken = 0
    for entry in await PointsEntry.filter(community_id=community_id, source_key__in=list(keys)).order_by("id"):
        booking = await award(community_id, entry.user_id, -entry.delta, f"correction: {reason}"[:256],
                              entry.source_plugin, (CORRECTED + entry.source_key)[:191], at=at, zone=zone)
        if booking.booked:
            taken += entry.delta
    return taken


@dataclass(frozen=True)
class AwardsReversed(DomainEvent):
    """Published by a plugin whose record was corrected as a consequence of another's correction (the
    service record made from a verified claim): the core books the opposites of these ledger entries, once."""

    event_name: ClassVar[str] = "core.awards_reversed"

    source_keys: tuple[str, ...] = ()
    reason: str = ""


def reversals_booker(zone: tzinfo) -> Callable[[AwardsReversed, UnitOfWork], Awaitable[None]]:
    """The subscriber that books the opposites, in the calendar of ``zone`` (the application's)."""

    async def book_reversed(event: AwardsReversed, uow: UnitOfWork) -> None:
        await book_opposites(event.community_id, event.source_keys, event.reason, uow.now, zone)

    return book_reversed


async def is_corrected(community_id: int, kind: str, record: str) -> bool:
    return await CorrectionMark.exists(community_id=community_id, kind=kind, record=record)


async def member_rows(user_id: int) -> list[dict[str, Any]]:
    """The corrections about the person (for ``/mydata``): which record, when, why."""
    return [{"community_id": m.community_id, "kind": m.kind, "record": m.record,
             "at": m.corrected_at.isoformat(), "reason": m.reason}
            for m in await CorrectionMark.filter(user_id=user_id).order_by("id")]


async def forget_member(user_id: int, names: list[str], pseudonym: str) -> None:
    """``/forgetme``: the marks stay (they keep the ledger right); the person's names leave the reasons given,
    theirs and anyone else's (``应该给张三的`` on a neighbour's corrected entry), and so the opposite ledger
    entries' reasons (``correction: …``), which their holders and organizers read."""
    from tortoise.expressions import Q

    from core.audit import scrub

    wanted = [n for n in names if n and len(n) >= 2]
    if not wanted:
        return
    said = Q()
    for name in wanted:
        said |= Q(reason__contains=name)
    for mark_row in await CorrectionMark.filter(Q(user_id=user_id) | said):
        cleaned = scrub(mark_row.reason, names, pseudonym)
        if cleaned != mark_row.reason:
            await CorrectionMark.filter(id=mark_row.id).update(reason=cleaned)
    for entry in await PointsEntry.filter(said, source_key__startswith=CORRECTED):
        await PointsEntry.filter(id=entry.id).update(reason=scrub(entry.reason, names, pseudonym))


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    await CorrectionMark.filter(user_id=from_user_id).update(user_id=into_user_id)
    await CorrectionMark.filter(corrected_by=from_user_id).update(corrected_by=into_user_id)
