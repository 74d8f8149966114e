"""What the badges plugin holds about a person: shown by ``/mydata``, erased by ``/forgetme``, moved on merge.

Per person and community: their badge requests and what became of them (kind, status, shown or hidden,
their note, a verifier's reason), the audit entries about them, and the kinds of badge they added as an
organizer. Forgetting deletes the badges themselves: party membership is sensitive (PIPL), and a
pseudonym must not carry it, nor a flag, nor the party-members-first priority. The audit entries about
the person stay, as community records do, attached to the pseudonymous user id, but only who took a step
and when: which badge, what was done (verified, shown…) and the notes and reasons are erased, since "a
pseudonym was verified as a party member" is the very fact to forget; one entry says the badges were
erased on request.

Merging two accounts of one person may make someone the verifier of their own badge (they verified the
request of what turned out to be their second account): such a badge goes back to waiting, hidden, with
an audit entry, since nobody verifies their own badge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from plugins.badges.models import AuditEntry, Badge, BadgeStatus, CustomKind

#: What an audit entry about a forgotten member still says: a step was taken (by whom, when), nothing more.
ERASED = "erased"
#: A verified badge whose verifier turned out to be its holder, back to waiting (see the module docstring).
REOPENED = "reopened"


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def member_data(user_id: int) -> dict[str, Any] | None:
    badges = await Badge.filter(user_id=user_id).order_by("id")
    audit = await AuditEntry.filter(user_id=user_id).order_by("id")
    kinds = await CustomKind.filter(created_by=user_id).order_by("id")
    if not (badges or audit or kinds):
        return None
    return {
        "badges": [
            {"community_id": b.community_id, "kind": b.kind, "status": b.status.value, "shown": b.shown,
             "note": b.note, "reason": b.reason, "requested": _at(b.requested_at), "decided": _at(b.decided_at)}
            for b in badges
        ],
        # who took a step is not listed unless it was the person: other people's data stays out of the file
        "history": [
            {"community_id": e.community_id, "kind": e.kind, "action": e.action, "by_you": e.by_user_id == user_id,
             "text": e.text, "at": _at(e.at)}
            for e in audit
        ],
        "kinds_added": [
            {"community_id": k.community_id, "key": k.key, "emoji": k.emoji, "name": k.name,
             "added": _at(k.created_at)}
            for k in kinds
        ],
    }


async def forget_member(user_id: int, pseudonym: str) -> None:
    """See the module docstring. Runs inside the ``/forgetme`` transaction; a failure undoes it all."""
    rows: list[Any] = await Badge.filter(user_id=user_id).values_list("community_id", flat=True)
    communities = sorted({int(c) for c in rows})
    await Badge.filter(user_id=user_id).delete()
    await AuditEntry.filter(user_id=user_id).update(text="")
    await AuditEntry.filter(user_id=user_id).exclude(action="kind_added").update(kind="", action=ERASED)
    now = datetime.now(UTC)
    for community_id in communities:
        await AuditEntry.create(community_id=community_id, user_id=user_id, kind="", action="forgotten",
                                by_user_id=user_id, at=now)


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """Everything of ``from_user_id`` becomes ``into_user_id``'s, keeping one live badge per kind.

    Where both hold a live badge of the same kind, the stronger stays live (verified over waiting; the
    one already theirs when alike) and the other ends (revoked or declined, ``live`` NULL) as history.
    """
    if from_user_id == into_user_id:
        return
    for badge in await Badge.filter(user_id=from_user_id, live=True).order_by("id"):
        other = await Badge.get_or_none(community_id=badge.community_id, user_id=into_user_id, kind=badge.kind,
                                        live=True)
        if other is None:
            continue
        keep_other = (other.status is BadgeStatus.VERIFIED) >= (badge.status is BadgeStatus.VERIFIED)
        loser = badge if keep_other else other
        ended = BadgeStatus.REVOKED if loser.status is BadgeStatus.VERIFIED else BadgeStatus.DECLINED
        await Badge.filter(id=loser.id).update(live=None, shown=False, status=ended)
    await Badge.filter(user_id=from_user_id).update(user_id=into_user_id)
    await Badge.filter(decided_by=from_user_id).update(decided_by=into_user_id)
    await AuditEntry.filter(user_id=from_user_id).update(user_id=into_user_id)
    await AuditEntry.filter(by_user_id=from_user_id).update(by_user_id=into_user_id)
    await CustomKind.filter(created_by=from_user_id).update(created_by=into_user_id)
    now = datetime.now(UTC)
    for self_verified in await Badge.filter(user_id=into_user_id, decided_by=into_user_id, live=True,
                                            status=BadgeStatus.VERIFIED).order_by("id"):
        await Badge.filter(id=self_verified.id).update(status=BadgeStatus.PENDING, shown=False, decided_at=None,
                                                       decided_by=None)
        await AuditEntry.create(community_id=self_verified.community_id, user_id=into_user_id,
                                kind=self_verified.kind, action=REOPENED, by_user_id=into_user_id, at=now)
