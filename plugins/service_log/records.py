"""The rules of service records: logging entered hours, review, publication (公示), objections, final
records and their points, corrections.

Every change is a conditional ``UPDATE`` on the record's status (``pending → public → final``), so a
record is approved, objected to or made final once, whatever arrives twice and however many worker
processes share the database; and the points of a final record go through the core ledger with the
record's id as the source key, so they are booked once even if the final event is published again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from core.plugin import N_, Hint, Refusal, UnitOfWork
from plugins.service_log.events import RecordFinal, StarReached
from plugins.service_log.hours import points_for, shown, star_level
from plugins.service_log.models import Objection, Record, RecordKind, RecordStatus, Volunteer
from plugins.service_log.people import may_review, require_volunteer
from plugins.service_log.settings import ServiceLogSettings
from plugins.service_log.workdays import window_end

#: Why a record is back in review (a msgid).
OBJECTED = N_("objection")
LIVE = (RecordStatus.PENDING, RecordStatus.PUBLIC, RecordStatus.FINAL)
NO_SUCH_RECORD = N_("There is no service record #{id} here.")


@dataclass(frozen=True)
class Span:
    """A time of day served, minutes after midnight (``9:00-11:00`` → 540, 660)."""

    start: int
    end: int


@dataclass
class Finalized:
    record: Record
    #: The star level this record made the volunteer reach, if it made them reach one.
    new_stars: int = 0


@dataclass
class Review:
    record: Record
    final: list[Finalized] = field(default_factory=list)


class Records:
    def __init__(self, community_id: int, settings: ServiceLogSettings, now: datetime, timezone: ZoneInfo,
                 uow: UnitOfWork) -> None:
        self.community_id = community_id
        self.settings = settings
        self.now = now
        self.timezone = timezone
        self.uow = uow

    @property
    def today(self) -> date:
        return self.now.astimezone(self.timezone).date()

    async def get(self, record_id: int) -> Record:
        record = await Record.get_or_none(id=record_id, community_id=self.community_id)
        if record is None:
            raise Refusal(NO_SUCH_RECORD, id=record_id)
        return record

    # -- logging -----------------------------------------------------------------------------------
    async def log(self, user_id: int, hours: Decimal, what: str, day: date, span: Span | None = None,
                  photo: str = "") -> Record:
        """Entered hours: checked against the calendar, the daily cap and the person's own records."""
        await require_volunteer(self.community_id, user_id)
        what = what.strip()
        if not what:
            raise Refusal(N_("Say what you did, for example: 2 敲门探访独居老人"))
        if day > self.today:
            raise Refusal(N_("{day} is in the future; hours are logged after the service."), day=day.isoformat())
        oldest = self.today - timedelta(days=self.settings.entry_window_days)
        if day < oldest:
            raise Refusal(N_("{day} is more than {days} days ago; hours have to be logged in time. An organizer "
                             "can help with older service."), day=day.isoformat(),
                          days=self.settings.entry_window_days)
        if span is not None:
            if span.end <= span.start:
                raise Refusal(N_("The time range has to end after it starts."))
            local = self.now.astimezone(self.timezone)
            if day == self.today and span.end > local.hour * 60 + local.minute:
                raise Refusal(N_("{range} has not ended yet; hours are logged after the service."),
                              range=_span_text(span.start, span.end))
            if Decimal(span.end - span.start) / 60 < hours:
                raise Refusal(N_("{hours} hours do not fit into the time range given."), hours=shown(hours))
        same_day = await Record.filter(community_id=self.community_id, user_id=user_id, day=day,
                                       status__in=LIVE)
        total = sum((r.hours for r in same_day), Decimal(0))
        cap = self.settings.daily_cap_hours
        if total + hours > cap:
            raise Refusal(N_("That would make {total} hours on {day}, more than the daily limit of {cap} hours."),
                          total=shown(total + hours), day=day.isoformat(), cap=shown(cap))
        if span is not None:
            for other in same_day:
                if other.start_minute is None or other.end_minute is None:
                    continue
                if span.start < other.end_minute and other.start_minute < span.end:
                    raise Refusal(N_("{range} overlaps your record #{id} ({other}) on {day}."),
                                  range=_span_text(span.start, span.end), id=other.id,
                                  other=_span_text(other.start_minute, other.end_minute), day=day.isoformat())
        return await Record.create(
            community_id=self.community_id, user_id=user_id, kind=RecordKind.ENTERED,
            status=RecordStatus.PENDING, hours=hours, what=what[:200], day=day,
            start_minute=span.start if span else None, end_minute=span.end if span else None, photo=photo,
            recorded_by=user_id, recorded_at=self.now)

    async def pending(self, limit: int = 20) -> list[Record]:
        return await Record.filter(community_id=self.community_id, status=RecordStatus.PENDING).order_by(
            "id").limit(limit)

    # -- review ------------------------------------------------------------------------------------
    async def _check_reviewer(self, record: Record, reviewer_id: int, is_organizer: bool) -> None:
        if record.user_id == reviewer_id:
            raise Refusal(N_("Nobody reviews their own hours; another organizer or the team leader will."))
        if not await may_review(self.community_id, reviewer_id, is_organizer, record.user_id):
            raise Refusal(N_("Only an organizer or the volunteer's team leader may review record #{id}."),
                          id=record.id)

    def _check_open(self, record: Record) -> None:
        """Final records are not changed, and neither are those whose publication has just ended (the sweep
        makes them final in a moment)."""
        over = record.status is RecordStatus.PUBLIC and record.public_until is not None and (
            record.public_until <= self.now)
        if record.status is RecordStatus.FINAL or over:
            raise Refusal(N_("Record #{id} is final and cannot be changed; an organizer can add a correction: "
                             "{command}"), id=record.id, command=Hint("correct", record.id))
        if record.status is RecordStatus.DENIED:
            raise Refusal(N_("Record #{id} was not approved."), id=record.id)

    async def approve(self, record_id: int, reviewer_id: int, is_organizer: bool) -> Review:
        record = await self.get(record_id)
        self._check_open(record)
        if record.status is RecordStatus.PUBLIC:
            raise Refusal(N_("Record #{id} is already approved."), id=record.id)
        await self._check_reviewer(record, reviewer_id, is_organizer)
        changed = await Record.filter(id=record.id, status=RecordStatus.PENDING).update(
            status=RecordStatus.PUBLIC, approved_by=reviewer_id, approved_at=self.now,
            public_until=self.window_end(), flag="")
        if not changed:
            raise Refusal(N_("Record #{id} is already approved."), id=record.id)
        await record.refresh_from_db()
        final = await self.finalize_due(only=record.id)
        return Review(final[0].record if final else record, final)

    async def deny(self, record_id: int, reviewer_id: int, is_organizer: bool, reason: str) -> Record:
        record = await self.get(record_id)
        self._check_open(record)
        await self._check_reviewer(record, reviewer_id, is_organizer)
        still_open = Q(status=RecordStatus.PENDING) | Q(status=RecordStatus.PUBLIC, public_until__gt=self.now)
        changed = await Record.filter(still_open, id=record.id).update(
            status=RecordStatus.DENIED, approved_by=reviewer_id, approved_at=self.now,
            denied_reason=reason.strip()[:300])
        if not changed:
            raise Refusal(N_("Record #{id} is final and cannot be changed; an organizer can add a correction: "
                             "{command}"), id=record.id, command=Hint("correct", record.id))
        await record.refresh_from_db()
        return record

    async def object(self, record_id: int, user_id: int, reason: str) -> Record:
        """Any member objects to a published record: it goes back to review (the objector stays unnamed)."""
        record = await self.get(record_id)
        self._check_open(record)
        if record.status is not RecordStatus.PUBLIC:
            raise Refusal(N_("Record #{id} is not published right now; objections are for published records."),
                          id=record.id)
        if not reason.strip():
            raise Refusal(N_("Please give a reason for the objection."))
        changed = await Record.filter(id=record.id, status=RecordStatus.PUBLIC, public_until__gt=self.now).update(
            status=RecordStatus.PENDING, public_until=None, flag=OBJECTED)
        if not changed:
            raise Refusal(N_("Record #{id} is not published right now; objections are for published records."),
                          id=record.id)
        await Objection.create(record_id=record.id, community_id=self.community_id, user_id=user_id,
                               reason=reason.strip()[:300], made_at=self.now)
        await record.refresh_from_db()
        return record

    async def correct(self, record_id: int, delta: Decimal, reason: str, by_user_id: int) -> Review:
        """A final record stays as it is; the correction is a new record with the difference and a reason,
        approved by the organizer who makes it and published like any other."""
        original = await self.get(record_id)
        corrected = original if original.corrects_id is None else await self.get(original.corrects_id)
        if corrected.corrected_at is not None:  # its approval was reversed (``/correct record``): nothing to adjust
            raise Refusal(N_("The approval of record #{id} was already corrected."), id=corrected.id)
        if original.status is not RecordStatus.FINAL:
            raise Refusal(N_("Only final records are corrected; record #{id} can still be reviewed: {command}"),
                          id=original.id, command=Hint("pending"))
        if not reason.strip():
            raise Refusal(N_("A correction needs a reason."))
        if original.user_id == by_user_id:
            raise Refusal(N_("Nobody reviews their own hours; another organizer or the team leader will."))
        await self._check_correction(original, delta)
        correction = await Record.create(
            community_id=self.community_id, user_id=original.user_id, kind=RecordKind.CORRECTION,
            status=RecordStatus.PUBLIC, hours=delta, what=original.what, day=original.day,
            activity_id=original.activity_id, activity_title=original.activity_title, recorded_by=by_user_id,
            recorded_at=self.now, approved_by=by_user_id, approved_at=self.now, public_until=self.window_end(),
            corrects_id=original.id, reason=reason.strip()[:300])
        final = await self.finalize_due(only=correction.id)
        return Review(final[0].record if final else correction, final)

    async def _check_correction(self, original: Record, delta: Decimal) -> None:
        """A correction neither takes away more than the record and its corrections hold, nor adds beyond the
        daily limit."""
        earlier = await Record.filter(corrects_id=original.id, status__in=LIVE).values_list("hours", flat=True)
        corrected = Decimal(original.hours) + sum((Decimal(h) for h in earlier), Decimal(0))
        if corrected + delta < 0:
            raise Refusal(N_("Record #{id} holds {hours} hours with its corrections; a correction cannot take "
                             "away more."), id=original.id, hours=shown(corrected))
        if delta > 0:
            same_day = await Record.filter(community_id=self.community_id, user_id=original.user_id,
                                           day=original.day, status__in=LIVE).values_list("hours", flat=True)
            total = sum((Decimal(h) for h in same_day), Decimal(0)) + delta
            cap = self.settings.daily_cap_hours
            if total > cap:
                raise Refusal(N_("That would make {total} hours on {day}, more than the daily limit of {cap} "
                                 "hours."), total=shown(total), day=original.day.isoformat(), cap=shown(cap))

    # -- publication and the end ---------------------------------------------------------------------
    def window_end(self, approved: datetime | None = None) -> datetime:
        days = self.settings.publicity_days
        if days == 0:
            return approved or self.now
        return window_end(approved or self.now, days, self.timezone, self.settings.holidays,
                          self.settings.workdays)

    async def adopt(self) -> int:
        """Records approved elsewhere (a verified claim, heard without a scope) get their local day and their
        publication window here, where the community's calendar is known."""
        waiting = await Record.filter(community_id=self.community_id, status=RecordStatus.PUBLIC,
                                      public_until__isnull=True)
        for record in waiting:
            approved = record.approved_at or record.recorded_at
            await Record.filter(id=record.id, public_until__isnull=True).update(
                day=record.recorded_at.astimezone(self.timezone).date(), public_until=self.window_end(approved))
        return len(waiting)

    async def finalize_due(self, only: int | None = None) -> list[Finalized]:
        """Make published records whose window has passed final, once each, and earn their points."""
        query = Record.filter(community_id=self.community_id, status=RecordStatus.PUBLIC,
                              public_until__lte=self.now)
        if only is not None:
            query = query.filter(id=only)
        done: list[Finalized] = []
        for record in await query.order_by("id"):
            points = points_for(record.hours, self.settings.points_per_hour)
            changed = await Record.filter(id=record.id, status=RecordStatus.PUBLIC).update(
                status=RecordStatus.FINAL, final_at=self.now, points=points)
            if not changed:
                continue
            record.status, record.final_at, record.points = RecordStatus.FINAL, self.now, points
            self.uow.publish(RecordFinal(community_id=self.community_id, record_id=record.id,
                                         user_id=record.user_id, hours=str(record.hours), points=points,
                                         what=record.activity_title or record.what))
            done.append(Finalized(record, await self._stars(record.user_id)))
        return done

    async def _stars(self, user_id: int) -> int:
        """The star level just reached (announced once per level), or 0."""
        level = star_level(await final_total(self.community_id, user_id))
        if level == 0:
            return 0
        raised = await Volunteer.filter(community_id=self.community_id, user_id=user_id, stars__lt=level).update(
            stars=level)
        if not raised:
            return 0
        self.uow.publish(StarReached(community_id=self.community_id, user_id=user_id, stars=level))
        return level


async def final_total(community_id: int, user_id: int, since: date | None = None,
                      until: date | None = None) -> Decimal:
    query = Record.filter(community_id=community_id, user_id=user_id, status=RecordStatus.FINAL)
    if since is not None:
        query = query.filter(day__gte=since)
    if until is not None:
        query = query.filter(day__lte=until)
    return sum((Decimal(h) for h in await query.values_list("hours", flat=True)), Decimal(0))


def _span_text(start: int, end: int) -> str:
    return f"{start // 60}:{start % 60:02d}-{end // 60}:{end % 60:02d}"
