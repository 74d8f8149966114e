"""Activities with sign-in and sign-out: credit hours that nobody types in.

Credit is the part of the attendance inside the activity's time, rounded down to a tenth of an hour and
capped at the activity's length and its hours cap. Nobody signs in before the start or after the end,
nor out after the end: a check-out forgotten until then is closed at the end by the sweep, and that
record waits for review instead of being published straight away. An activity may ask for a six-digit code
the organizer shows on site, so nobody signs in from home; it is sent in a private chat (typed in the group,
everyone would have it) with five wrong tries per person and activity. Nobody is checked in to two
activities at once, and a credit leaves out the time already on the person's records with a time range.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core.plugin import N_, Hint, Refusal
from plugins.service_log.hours import tenths_of
from plugins.service_log.models import Activity, Attendance, CodeAttempt, Record, RecordKind, RecordStatus
from plugins.service_log.people import require_volunteer
from plugins.service_log.records import LIVE, Records

#: Why a credit record waits for review (a msgid: reviewers read it in their language).
FORGOTTEN_CHECKOUT = N_("forgotten check-out")

TITLE_MAX = 100
NO_SUCH_ACTIVITY = N_("There is no activity #{id} here.")
#: A check-in code has six digits, and a person has a few tries per activity.
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5


@dataclass
class Checkout:
    attendance: Attendance
    record: Record | None


def credit(activity: Activity, checked_in: datetime, checked_out: datetime) -> Decimal:
    start, end = max(checked_in, activity.starts_at), min(checked_out, activity.ends_at)
    if end <= start:
        return Decimal("0.0")
    hours = min(tenths_of(end - start), tenths_of(activity.ends_at - activity.starts_at))
    if activity.cap_hours is not None:
        hours = min(hours, Decimal(activity.cap_hours))
    return hours


class Activities:
    def __init__(self, records: Records) -> None:
        self.records = records
        self.community_id = records.community_id
        self.now = records.now

    async def get(self, activity_id: int) -> Activity:
        found = await Activity.get_or_none(id=activity_id, community_id=self.community_id)
        if found is None:
            raise Refusal(NO_SUCH_ACTIVITY, id=activity_id)
        return found

    async def create(self, by_user_id: int, title: str, place: str, starts_at: datetime, ends_at: datetime,
                     places: int = 0, cap_hours: Decimal | None = None, with_code: bool = False) -> Activity:
        if not 0 < len(title.strip()) <= TITLE_MAX:
            raise Refusal(N_("A title has 1 to {maximum} characters."), maximum=TITLE_MAX)
        if ends_at <= starts_at:
            raise Refusal(N_("The activity has to end after it starts."))
        if ends_at <= self.now:
            raise Refusal(N_("That time has already passed."))
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}" if with_code else ""
        return await Activity.create(
            community_id=self.community_id, title=title.strip(), place=place.strip()[:100], starts_at=starts_at,
            ends_at=ends_at, places=places, cap_hours=cap_hours, code=code, created_by=by_user_id,
            created_at=self.now)

    async def upcoming(self) -> list[Activity]:
        return await Activity.filter(community_id=self.community_id, ends_at__gt=self.now).order_by(
            "starts_at").limit(20)

    async def check_in(self, activity_id: int, user_id: int, code: str | None,
                       private: bool = False) -> Attendance | None:
        """The attendance, or None for a wrong code (counted: it is not undone with a refusal)."""
        await require_volunteer(self.community_id, user_id)
        activity = await self.get(activity_id)
        if self.now < activity.starts_at:
            raise Refusal(N_("{title} starts at {start}; check in then."), title=activity.title,
                          start=activity.starts_at)
        if self.now >= activity.ends_at:
            raise Refusal(N_("{title} is over; it ended at {end}."), title=activity.title, end=activity.ends_at)
        if activity.code:
            if not private:
                raise Refusal(N_("Checking in to {title} needs the code shown on site. Send it to me in a private "
                                 "chat, not in the group, so nobody else sees it: {command} and the code"),
                              title=activity.title, command=Hint("checkin", activity.id))
            if not await self._code_matches(activity, user_id, code):
                return None
        await self._refuse_elsewhere(activity, user_id)
        if activity.places:
            taken = await Attendance.filter(activity_id=activity.id).count()
            if taken >= activity.places:
                raise Refusal(N_("{title} is full."), title=activity.title)
        try:
            async with in_transaction():
                return await Attendance.create(activity_id=activity.id, community_id=self.community_id,
                                               user_id=user_id, checked_in_at=self.now)
        except IntegrityError:
            raise Refusal(N_("You have already checked in to {title}."), title=activity.title) from None

    async def _code_matches(self, activity: Activity, user_id: int, code: str | None) -> bool:
        attempt = await CodeAttempt.get_or_none(activity_id=activity.id, user_id=user_id)
        if attempt is not None and attempt.failures >= MAX_CODE_ATTEMPTS:
            raise Refusal(N_("Too many wrong codes for {title}; an organizer on site can help."),
                          title=activity.title)
        if not (code or "").strip():
            raise Refusal(N_("Checking in to {title} needs the code shown on site: {command} and the code"),
                          title=activity.title, command=Hint("checkin", activity.id))
        if secrets.compare_digest((code or "").strip().encode(), activity.code.encode()):
            return True
        if attempt is None:
            try:
                async with in_transaction():
                    await CodeAttempt.create(activity_id=activity.id, user_id=user_id, failures=1)
                return False
            except IntegrityError:
                pass  # the same person's other try, at the same moment
        await CodeAttempt.filter(activity_id=activity.id, user_id=user_id).update(failures=F("failures") + 1)
        return False

    async def _refuse_elsewhere(self, activity: Activity, user_id: int) -> None:
        """Nobody serves at two activities at once: the hours would count twice."""
        open_ids = await Attendance.filter(user_id=user_id, checked_out_at__isnull=True).exclude(
            activity_id=activity.id).values_list("activity_id", flat=True)
        other = await Activity.filter(id__in=list(open_ids), ends_at__gt=self.now).first() if open_ids else None
        if other is not None:
            raise Refusal(N_("You are still checked in to {other}; check out there first: {command}"),
                          other=other.title, command=Hint("checkout", other.id))

    async def check_out(self, activity_id: int, user_id: int) -> Checkout:
        activity = await self.get(activity_id)
        attendance = await Attendance.get_or_none(activity_id=activity.id, user_id=user_id)
        if attendance is None:
            raise Refusal(N_("You have not checked in to {title}: {command}"), title=activity.title,
                          command=Hint("checkin", activity.id))
        if attendance.checked_out_at is not None:
            raise Refusal(N_("You have already checked out of {title}."), title=activity.title)
        if self.now > activity.ends_at:
            raise Refusal(N_("{title} ended at {end}; your check-out is closed at the end and an organizer "
                             "reviews it."), title=activity.title, end=activity.ends_at)
        changed = await Attendance.filter(id=attendance.id, checked_out_at__isnull=True).update(
            checked_out_at=self.now)
        if not changed:
            raise Refusal(N_("You have already checked out of {title}."), title=activity.title)
        attendance.checked_out_at = self.now
        record = await self._credit(activity, attendance, forgotten=False)
        return Checkout(attendance, record)

    async def close_forgotten(self) -> list[tuple[Activity, Attendance, Record | None]]:
        """After an activity's end, close every check-out still open at the end and flag it for review."""
        closed = []
        ended = await Activity.filter(community_id=self.community_id, closed=False, ends_at__lte=self.now)
        for activity in ended:
            if not await Activity.filter(id=activity.id, closed=False).update(closed=True):
                continue  # another worker took it
            for attendance in await Attendance.filter(activity_id=activity.id, checked_out_at__isnull=True):
                changed = await Attendance.filter(id=attendance.id, checked_out_at__isnull=True).update(
                    checked_out_at=activity.ends_at, forgotten=True)
                if not changed:
                    continue
                attendance.checked_out_at, attendance.forgotten = activity.ends_at, True
                closed.append((activity, attendance, await self._credit(activity, attendance, forgotten=True)))
        return closed

    async def _credit(self, activity: Activity, attendance: Attendance, *, forgotten: bool) -> Record | None:
        assert attendance.checked_out_at is not None
        hours = credit(activity, attendance.checked_in_at, attendance.checked_out_at)
        if hours <= 0:
            return None
        tz = self.records.timezone
        start = max(attendance.checked_in_at, activity.starts_at).astimezone(tz)
        end = min(attendance.checked_out_at, activity.ends_at).astimezone(tz)
        same_day = start.date() == end.date()
        if same_day:
            hours = await self._without_overlap(attendance.user_id, start, end, hours)
            if hours <= 0:
                return None
        approved = not forgotten
        record = await Record.create(
            community_id=self.community_id, user_id=attendance.user_id, kind=RecordKind.CREDIT,
            status=RecordStatus.PUBLIC if approved else RecordStatus.PENDING, hours=hours,
            what=activity.title, day=start.date(),
            start_minute=start.hour * 60 + start.minute if same_day else None,
            end_minute=end.hour * 60 + end.minute if same_day else None,
            activity_id=activity.id, activity_title=activity.title,
            flag="" if approved else FORGOTTEN_CHECKOUT,
            recorded_by=attendance.user_id, recorded_at=self.now,
            approved_at=self.now if approved else None,
            public_until=self.records.window_end() if approved else None)
        await Attendance.filter(id=attendance.id).update(record_id=record.id)
        return record

    async def _without_overlap(self, user_id: int, start: datetime, end: datetime, hours: Decimal) -> Decimal:
        """The credit less the minutes already on the person's live records with a time range that day."""
        first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        others = await Record.filter(user_id=user_id, day=start.date(), status__in=LIVE,
                                     start_minute__isnull=False, end_minute__isnull=False)
        free = [(first, last)]
        for other in others:
            assert other.start_minute is not None and other.end_minute is not None
            free = [piece for lo, hi in free for piece in ((lo, min(hi, other.start_minute)),
                                                            (max(lo, other.end_minute), hi)) if piece[0] < piece[1]]
        if free == [(first, last)]:
            return hours
        return min(hours, tenths_of(timedelta(minutes=sum(hi - lo for lo, hi in free))))
