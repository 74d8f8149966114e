"""``/correct badge <@user> <badge> <reason>``: an organizer reverses a badge verification made in error.

The badge ends as revoked and is marked as a correction (who, when, why); its mark (🚩) stops showing at
once and plugins that asked about it hear :class:`BadgeRevoked`. The badge log keeps the step. Badges earn
no points, so there is nothing for the ledger to take back. Every answer goes to the organizer alone.
"""

from __future__ import annotations

from core.plugin import N_, CommandContext, Correction, Mention, Person, Refusal, Reversal
from plugins.badges.events import BadgeRevoked
from plugins.badges.models import Badge, BadgeStatus
from plugins.badges.service import BadgesService


async def reverse_badge(ctx: CommandContext, words: list[str], reason: str) -> Reversal:
    ctx.private_answers = True  # party membership is sensitive: not for the group
    user = await Mention().convert(words[0], ctx)
    service = BadgesService(ctx.community_id, ctx.now(), ctx.uow, ctx.t)
    kind = await service.kind(words[1])
    badge = await Badge.get_or_none(community_id=ctx.community_id, user_id=user.id, kind=kind.key,
                                    status=BadgeStatus.VERIFIED, live=True)
    if badge is None:
        if await Badge.exists(community_id=ctx.community_id, user_id=user.id, kind=kind.key,
                              corrected_at__isnull=False):
            raise Refusal(N_("The verification of {user}'s badge {badge} was already corrected."),
                          user=Person(user.id), badge=service.label(kind))
        raise Refusal(N_("{user} holds no verified badge {badge}."), user=Person(user.id), badge=service.label(kind))
    changed = await Badge.filter(id=badge.id, status=BadgeStatus.VERIFIED, corrected_at__isnull=True).update(
        status=BadgeStatus.REVOKED, live=None, shown=False, reason=reason[:300], decided_at=ctx.now(),
        decided_by=ctx.user.id, corrected_at=ctx.now(), corrected_by=ctx.user.id, correction_reason=reason[:300])
    if not changed:
        raise Refusal(N_("The verification of {user}'s badge {badge} was already corrected."),
                      user=Person(user.id), badge=service.label(kind))
    await service._audit(user.id, kind.key, "revoked", ctx.user.id, ctx.t("correction: {reason}", reason=reason))
    ctx.publish(BadgeRevoked(community_id=ctx.community_id, user_id=user.id, kind=kind.key, by_user_id=ctx.user.id))
    return Reversal(record=f"badge {badge.id}", user_id=user.id,
                    notice=N_("your badge {badge} is no longer verified."),
                    summary=N_("{user}'s badge {badge} is no longer verified."),
                    values={"badge": service.label(kind), "user": Person(user.id)})


CORRECTIONS = [Correction(kind="badge", aliases=("标识",), refs=(N_("@user"), N_("badge")),
                          help=N_("a verified badge"), reverse=reverse_badge)]
