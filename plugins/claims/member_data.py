"""What the claims plugin holds about a person: shown by ``/mydata``, erased by ``/forgetme``, moved on merge.

The plugin holds, per person: the projects they created, their claims (status, place, their notes, photos
of the work, an organizer's reason for sending it back, the chat they claimed from) and their places in
waitlists. Forgetting keeps what the community's records need and drops the rest:

* verified claims stay, attached to the (now pseudonymous) user id: they are the work the points in the
  ledger were paid for and what completed a project; their notes, photos, send-back reasons and chat ids
  go, because they are the person's own words and pictures, or (a private chat's id is the account id on
  Telegram) point back to their account;
* unfinished claims are given up through :class:`ClaimsService`, exactly as ``/unclaim`` would, so the
  place is freed, the first in the waitlist gets it and a closed project whose last claim this was is
  completed; claims that ended without being verified are deleted;
* waitlist places are deleted; the people behind them move up;
* projects they created stay (they are the community's), with ``created_by`` pointing to the pseudonym.

The hook gets no unit of work, so what the release causes (someone promoted from the waitlist) is not
announced at that moment; the promoted person finds the claim in ``/mine`` and gets the usual reminders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.plugin import UnitOfWork
from plugins.claims.models import Claim, ClaimStatus, Project, WaitlistEntry
from plugins.claims.service import UNFINISHED, ClaimsService
from plugins.claims.settings import ClaimsSettings

ENDED_UNVERIFIED = (ClaimStatus.WITHDRAWN, ClaimStatus.RELEASED, ClaimStatus.CANCELLED)


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def member_data(user_id: int) -> dict[str, Any] | None:
    projects = await Project.filter(created_by=user_id).order_by("id")
    claims = await Claim.filter(user_id=user_id).select_related("project").order_by("id")
    waitlist = await WaitlistEntry.filter(user_id=user_id).select_related("project").order_by("id")
    if not (projects or claims or waitlist):
        return None
    return {
        "projects_created": [
            {"project": p.id, "community_id": p.community_id, "title": p.title, "description": p.description,
             "status": p.status.value, "created": _at(p.created_at), "ended": _at(p.ended_at)}
            for p in projects
        ],
        "claims": [
            {"project": c.project_id, "community_id": c.community_id, "title": c.project.title,
             "status": c.status.value, "place": c.place, "note": c.note, "photos": len(c.photos),
             "sent_back_because": c.sendback_reason, "claimed": _at(c.claimed_at),
             "last_sign_of_life": _at(c.progress_at), "reminded": _at(c.reminded_at),
             "reported": _at(c.reported_at), "verified": _at(c.verified_at), "ended": _at(c.ended_at),
             "claimed_in_chat": f"{c.origin_platform}:{c.origin_chat}" if c.origin_chat else None}
            for c in claims
        ],
        "waitlist": [
            {"project": e.project_id, "community_id": e.community_id, "title": e.project.title,
             "outcome": e.outcome, "joined": _at(e.joined_at), "left": _at(e.left_at),
             "joined_in_chat": f"{e.origin_platform}:{e.origin_chat}" if e.origin_chat else None}
            for e in waitlist
        ],
    }


async def forget_member(user_id: int, pseudonym: str) -> None:
    """See the module docstring. Runs inside the ``/forgetme`` transaction; a failure undoes it all."""
    await WaitlistEntry.filter(user_id=user_id).delete()  # first, so the release below promotes others
    held = await Claim.filter(user_id=user_id, status__in=UNFINISHED, holding__isnull=False).values_list(
        "community_id", "project_id")
    now = datetime.now(UTC)
    for community_id, project_id in sorted({(int(c), int(p)) for c, p in held}):
        # Giving places back needs no setting; the unit of work only collects the events it causes.
        service = ClaimsService(community_id, ClaimsSettings(), now, UnitOfWork(now=now))
        await service.unclaim(project_id, user_id)
    await Claim.filter(user_id=user_id, status__in=ENDED_UNVERIFIED).delete()
    await Claim.filter(user_id=user_id).update(note="", photos=[], sendback_reason="", origin_platform="",
                                               origin_chat="")


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """Everything of ``from_user_id`` becomes ``into_user_id``'s, without breaking the one-place rules.

    Where both wait for the same project, the earlier place in line is kept; where both hold places in the
    same project, the moved claims get the next free slot numbers.
    """
    if from_user_id == into_user_id:
        return
    await Project.filter(created_by=from_user_id).update(created_by=into_user_id)
    await Claim.filter(verified_by=from_user_id).update(verified_by=into_user_id)
    for entry in await WaitlistEntry.filter(user_id=from_user_id, waiting=True).order_by("id"):
        other = await WaitlistEntry.get_or_none(project_id=entry.project_id, user_id=into_user_id, waiting=True)
        if other is None:
            continue
        later = other if entry.id < other.id else entry
        await WaitlistEntry.filter(id=later.id).update(waiting=None, outcome="dropped", left_at=datetime.now(UTC))
    await WaitlistEntry.filter(user_id=from_user_id).update(user_id=into_user_id)
    for claim in await Claim.filter(user_id=from_user_id, holding__isnull=False).order_by("id"):
        theirs = await Claim.filter(project_id=claim.project_id, user_id=into_user_id, holding__isnull=False)
        taken = {c.holding for c in theirs if c.holding is not None}
        holding = claim.holding if claim.holding not in taken else max(taken) + 1
        await Claim.filter(id=claim.id).update(user_id=into_user_id, holding=holding)
    await Claim.filter(user_id=from_user_id).update(user_id=into_user_id)
