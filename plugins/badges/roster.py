"""The badges plugin's roster: ``party``, the members of the party branch, as the branch secretary keeps them.

Each row is a party membership verified by the organizer who imports it (``decided_by``; the operator at
the command line is recorded as user 0), audited in this plugin's log and in the core's audit log, and
still **hidden**: membership of the party is sensitive personal information (PIPL), so 🚩 shows beside
the name only once the member chooses to show it (``/showbadge 党员``). A request already waiting becomes
verified; a row whose 状态 says 迁出 revokes the badge.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.plugin import N_, Refusal, RosterColumn, RosterKind, RosterOutcome, RosterScope
from plugins.badges.events import BadgeRevoked, BadgeVerified
from plugins.badges.kinds import PARTY
from plugins.badges.models import AuditEntry, Badge, BadgeStatus
from plugins.badges.service import NOTE_MAX

BRANCH = RosterColumn("branch", N_("party branch"), ("党支部", "支部", "所在支部", "所在党支部", "branch"))
#: Who verified when the operator imported at the command line (no member).
OPERATOR = 0
IMPORTED = "roster import"


async def check_party_row(scope: RosterScope, values: dict[str, str]) -> dict[str, Any]:
    branch = values.get("branch", "").strip()
    if len(branch) > NOTE_MAX:
        raise Refusal(N_("a party branch has at most {maximum} characters"), maximum=NOTE_MAX)
    return {"branch": branch} if branch else {}


async def apply_party_row(scope: RosterScope, user_id: int | None, data: dict[str, Any],
                          removed: bool) -> RosterOutcome:
    assert user_id is not None
    by = scope.by_user_id if scope.by_user_id is not None else OPERATOR
    async with in_transaction():
        live = await Badge.filter(community_id=scope.community_id, user_id=user_id, kind=PARTY,
                                  live=True).select_for_update().first()
        if removed:
            if live is None:
                return RosterOutcome.UNCHANGED
            await Badge.filter(id=live.id).update(status=BadgeStatus.REVOKED, live=None, shown=False,
                                                  reason="moved out", decided_at=scope.now, decided_by=by)
            await _audit(scope, user_id, "revoked", by, "moved out (roster import)")
            scope.uow.publish(BadgeRevoked(community_id=scope.community_id, user_id=user_id, kind=PARTY,
                                           by_user_id=by))
            return RosterOutcome.REMOVED
        if live is not None and live.status is BadgeStatus.VERIFIED:
            return RosterOutcome.UNCHANGED
        if live is not None:  # the member had asked: the roster answers
            await Badge.filter(id=live.id).update(status=BadgeStatus.VERIFIED, decided_at=scope.now, decided_by=by)
            outcome = RosterOutcome.UPDATED
        else:
            await Badge.create(community_id=scope.community_id, user_id=user_id, kind=PARTY,
                               status=BadgeStatus.VERIFIED, shown=False, note=str(data.get("branch", "")),
                               requested_at=scope.now, decided_at=scope.now, decided_by=by)
            outcome = RosterOutcome.NEW
        await _audit(scope, user_id, "verified", by, IMPORTED)
        scope.uow.publish(BadgeVerified(community_id=scope.community_id, user_id=user_id, kind=PARTY, by_user_id=by))
        return outcome


async def _audit(scope: RosterScope, user_id: int, action: str, by: int, text: str) -> None:
    await AuditEntry.create(community_id=scope.community_id, user_id=user_id, kind=PARTY, action=action,
                            by_user_id=by, text=text, at=scope.now)
    await scope.audit(f"badge {action}", target_user_id=user_id, target=PARTY, reason=text)


PARTY_ROSTER = RosterKind("party", N_("party members"), (BRANCH,), check_party_row, apply_party_row,
                          aliases=("党员", "party_members", "党员名单"))
KINDS = [PARTY_ROSTER]
