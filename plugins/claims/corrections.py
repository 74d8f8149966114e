"""``/correct claim <project> <@user> <reason>``: an organizer reverses a verification.

The claim stays verified in its history but is marked corrected (who, when, why); the core takes back the
points the verification earned (its ledger key) and tells the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.plugin import N_, CommandContext, Correction, DomainEvent, Int, Person, Refusal, Reversal
from plugins.claims.arguments import Person as ClaimPerson
from plugins.claims.events import ClaimVerified
from plugins.claims.models import Claim, ClaimStatus, Project

PROJECT_NUMBER = Int(minimum=1, maximum=10**9)


@dataclass(frozen=True)
class VerificationCorrected(DomainEvent):
    """Heard by name (``claims.verification_corrected``): service_log reverses the record it made from the
    verification (``claims.claim_verified``)."""

    event_name: ClassVar[str] = "claims.verification_corrected"

    project_id: int = 0
    user_id: int = 0
    by_user_id: int = 0
    reason: str = ""


async def reverse_verification(ctx: CommandContext, words: list[str], reason: str) -> Reversal:
    project_id = await PROJECT_NUMBER.convert(words[0].lstrip("#＃"), ctx)
    user_id = await ClaimPerson().convert(words[1], ctx)
    project = await Project.get_or_none(id=project_id, community_id=ctx.community_id)
    if project is None:
        raise Refusal(N_("There is no project #{id} here."), id=project_id)
    claims = await Claim.filter(project_id=project.id, user_id=user_id, status=ClaimStatus.VERIFIED)
    if not claims:
        raise Refusal(N_("{user} has no verified claim on #{id}."), user=Person(user_id), id=project.id)
    changed = await Claim.filter(id__in=[c.id for c in claims], corrected_at__isnull=True).update(
        corrected_at=ctx.now(), corrected_by=ctx.user.id, correction_reason=reason[:1000])
    if not changed:
        raise Refusal(N_("The verification of {user}'s work on #{id} was already corrected."),
                      user=Person(user_id), id=project.id)
    ctx.publish(VerificationCorrected(community_id=ctx.community_id, project_id=project.id, user_id=user_id,
                                      by_user_id=ctx.user.id, reason=reason))
    earned = ClaimVerified(community_id=ctx.community_id, project_id=project.id, user_id=user_id, points=1)
    key = earned.awards()[0].source_key  # the ledger key the verification booked its points under
    return Reversal(record=f"claim {project.id}:{user_id}", user_id=user_id, source_keys=(key,),
                    notice=N_("your work on #{id} {title} is no longer counted as verified."),
                    summary=N_("{user}'s work on #{id} {title} is no longer counted as verified."),
                    values={"id": project.id, "title": project.title, "user": Person(user_id)})


CORRECTIONS = [Correction(kind="claim", aliases=("认领", "验收"), refs=(N_("project"), N_("@user")),
                          help=N_("a verified claim"), reverse=reverse_verification)]
