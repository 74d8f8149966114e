"""What service_log holds about a person (PIPL): shown by ``/mydata``, erased by ``/forgetme``.

Final records and issued certificates are the community's record of service (民政部令第67号 asks that
they be kept): they stay under the user id, with the registered name replaced by the pseudonym. Free
text the person wrote (what they did, photos, objections) goes.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F

from core.plugin import N_
from plugins.service_log.models import (
    Activity,
    Attendance,
    Certificate,
    CodeAttempt,
    Objection,
    Record,
    RecordStatus,
    Team,
    Volunteer,
)

#: Why a record is back in review after two accounts were linked (a msgid).
SELF_APPROVED = N_("accounts linked: approved by the volunteer's own other account")


async def member_data(user_id: int) -> dict[str, Any] | None:
    volunteers = await Volunteer.filter(user_id=user_id)
    records = await Record.filter(user_id=user_id).order_by("id")
    objections = await Objection.filter(user_id=user_id)
    certificates = await Certificate.filter(user_id=user_id)
    attendances = await Attendance.filter(user_id=user_id).order_by("id")
    if not (volunteers or records or objections or certificates or attendances):
        return None
    return {
        "volunteer": [{"community_id": v.community_id, "number": v.number, "name": v.real_name,
                       "team_id": v.team_id} for v in volunteers],
        "service_records": [{"record": r.id, "community_id": r.community_id, "day": r.day.isoformat(),
                             "hours": str(r.hours), "what": r.what, "status": r.status.value,
                             "points": r.points} for r in records],
        "objections_made": [{"record": o.record_id, "reason": o.reason} for o in objections],
        "certificates": [{"number": c.number, "hours": str(c.hours)} for c in certificates],
        "attendances": [{"activity": a.activity_id, "community_id": a.community_id,
                         "checked_in_at": a.checked_in_at.isoformat(),
                         "checked_out_at": a.checked_out_at.isoformat() if a.checked_out_at else None,
                         "record": a.record_id} for a in attendances],
    }


async def forget_member(user_id: int, pseudonym: str) -> None:
    await Volunteer.filter(user_id=user_id).update(real_name=pseudonym[:50])
    await Certificate.filter(user_id=user_id).update(real_name=pseudonym[:50])
    await Record.filter(user_id=user_id).update(photo="")
    await Record.filter(user_id=user_id).exclude(status=RecordStatus.FINAL).update(what="—")
    await Objection.filter(user_id=user_id).update(reason="—")


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """Two accounts of one person become one.

    Whatever one account approved for the other would now be the person approving their own hours, so
    unfinished records of the merged person approved by either account go back to review, with a note.
    A profile is kept per community (the merged person keeps theirs where both had one), and an activity
    both accounts checked in to keeps one attendance.
    """
    both = (from_user_id, into_user_id)
    for model in (Record, Objection, Certificate):
        await model.filter(user_id=from_user_id).update(user_id=into_user_id)
    await Record.filter(user_id=into_user_id, status__in=(RecordStatus.PENDING, RecordStatus.PUBLIC),
                        approved_by__in=both).update(
        status=RecordStatus.PENDING, approved_by=None, approved_at=None, public_until=None, flag=SELF_APPROVED)
    await Record.filter(approved_by=from_user_id).update(approved_by=into_user_id)
    await Record.filter(recorded_by=from_user_id).update(recorded_by=into_user_id)
    await Team.filter(leader_user_id=from_user_id).update(leader_user_id=into_user_id)
    await Activity.filter(created_by=from_user_id).update(created_by=into_user_id)
    for attendance in await Attendance.filter(user_id=from_user_id):
        kept = await Attendance.get_or_none(activity_id=attendance.activity_id, user_id=into_user_id)
        if kept is None:
            await Attendance.filter(id=attendance.id).update(user_id=into_user_id)
        elif kept.record_id is None and attendance.record_id is not None:
            await kept.delete()
            await Attendance.filter(id=attendance.id).update(user_id=into_user_id)
        else:
            await attendance.delete()
    for tried in await CodeAttempt.filter(user_id=from_user_id):
        if await CodeAttempt.exists(activity_id=tried.activity_id, user_id=into_user_id):
            await CodeAttempt.filter(activity_id=tried.activity_id, user_id=into_user_id).update(
                failures=F("failures") + tried.failures)  # the tries of both accounts count
            await tried.delete()
        else:
            await CodeAttempt.filter(id=tried.id).update(user_id=into_user_id)
    for volunteer in await Volunteer.filter(user_id=from_user_id):
        if await Volunteer.exists(community_id=volunteer.community_id, user_id=into_user_id):
            await volunteer.delete()
        else:
            await Volunteer.filter(id=volunteer.id).update(user_id=into_user_id)
