"""How the claims plugin talks: one place for wording, dates, names and where a notice goes.

Commands and the sweep job both speak through a :class:`Speaker`, so a reminder sent by the job reads
like a reply to a command: the community's language, names through the core's name function (badges
included), dates in the installation's time zone. A notice for a claimer goes to the chat the claimer
used; when that is the chat a command came from, it becomes part of the command's reply instead of a
second message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.plugin import N_, Button, CommandContext, JobContext, Scope
from plugins.claims.models import Claim, ClaimStatus, Project, ProjectStatus, WaitlistEntry
from plugins.claims.service import Origin, Release

PROJECT_STATUS = {
    ProjectStatus.OPEN: N_("open"),
    ProjectStatus.CLOSED: N_("closed"),
    ProjectStatus.CANCELLED: N_("cancelled"),
    ProjectStatus.COMPLETED: N_("completed"),
}
CLAIM_STATUS = {
    ClaimStatus.ACTIVE: N_("in progress"),
    ClaimStatus.REPORTED: N_("waiting for verification"),
    ClaimStatus.VERIFIED: N_("verified"),
}
PROMOTED = N_("🎉 {names}: a place in {project} freed up and is yours now{place}. When it is done, "
              "send /done {id}.")
CLAIM_MARK = {ClaimStatus.ACTIVE: "⏳", ClaimStatus.REPORTED: "📝", ClaimStatus.VERIFIED: "✅"}
MAX_LINES = 40
DEADLINE_PASSED = N_("deadline passed")
#: Characters that end an unquoted ``@name`` when the line is split into words.
NEEDS_QUOTES = re.compile(r"[\s\"'“”「」『』‘’]")


def mention(name: str) -> str:
    """``@name`` as it can be typed back into a command: quoted when it has spaces (Telegram names do)."""
    if not NEEDS_QUOTES.search(name):
        return "@" + name
    return f'"@{name}"' if '"' not in name else f"“@{name}”"


class Speaker:
    """Wording for one community, on top of the scope a command or a job runs in."""

    def __init__(self, scope: Scope, asker: int | None = None) -> None:
        self.scope = scope
        self.uow = scope.uow
        self.t = scope.t
        self.now = scope.now()
        #: The person whose command this is: a notice for them is part of the reply, not a second message.
        self.asker = asker

    @classmethod
    def for_command(cls, ctx: CommandContext) -> Speaker:
        return cls(ctx, ctx.user.id)

    @classmethod
    def for_job(cls, job: JobContext) -> Speaker:
        return cls(job)

    # -- pieces ------------------------------------------------------------------------------------
    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self.scope.names(user_ids)

    async def name_list(self, user_ids: Iterable[int]) -> str:
        return await self.scope.name_list(user_ids)

    def when(self, moment: datetime) -> str:
        return self.scope.when(moment)

    def project(self, project: Project) -> str:
        return self.t("#{id} “{title}”", id=project.id, title=project.title)

    def facts(self, project: Project, waiting: int) -> str:
        """Places, deadline, points and the party window, in one line."""
        t = self.t
        if project.places_left:
            parts = [t("{left}/{places} places left", left=project.places_left, places=project.places)]
        else:
            parts = [t("full, {waiting} waiting", waiting=waiting)]
        if project.deadline is not None:
            parts.append(t("until {date}", date=self.when(project.deadline)))
        if project.points:
            parts.append(t("{points} points", points=project.points))
        if project.party_first_hours:
            until = project.created_at + timedelta(hours=project.party_first_hours)
            if until > self.now:
                parts.append("🚩" + t("party members first until {time}", time=self.when(until)))
        return " · ".join(parts)

    def past_deadline(self, project: Project) -> bool:
        return project.deadline is not None and project.deadline <= self.now

    def claimable(self, project: Project) -> bool:
        return project.status is ProjectStatus.OPEN and not self.past_deadline(project)

    def claim_button(self, project: Project) -> Button:
        label = N_("Claim #{id}") if project.places_left else N_("Join waitlist #{id}")
        return Button(self.t(label, id=project.id), f"/claim {project.id}")

    async def details(self, project: Project, claims: list[Claim], waiting: int,
                      my_position: int | None) -> str:
        t = self.t
        status = t(PROJECT_STATUS[project.status])
        if project.status is ProjectStatus.OPEN and self.past_deadline(project):
            status = t(DEADLINE_PASSED)
        lines = [t("{project} ({status})", project=self.project(project), status=status)]
        if project.description:
            lines.append(project.description)
        lines.append(self.facts(project, waiting))
        if project.per_person > 1:
            lines.append(t("Each person may claim up to {n} places.", n=project.per_person))
        if project.place_names:
            taken = {c.place_held for c in claims}
            free = [n for n in project.place_names if n not in taken]
            if free and self.claimable(project):
                shown = t(", ").join(free[:MAX_LINES]) + (" …" if len(free) > MAX_LINES else "")
                lines.append(t("Free places: {places}", places=shown))
        if claims:
            names = await self.names(c.user_id for c in claims)
            lines.append(t("Claimed by:"))
            for claim in claims[:MAX_LINES]:
                place = place_mark(claim.place)
                photo = f" 📷{len(claim.photos)}" if claim.photos else ""
                lines.append(f"{CLAIM_MARK[claim.status]} {names[claim.user_id]}{place} — "
                             f"{t(CLAIM_STATUS[claim.status])}{photo}")
            if len(claims) > MAX_LINES:
                lines.append(t("… and {n} more", n=len(claims) - MAX_LINES))
        else:
            lines.append(t("Nobody has claimed it yet."))
        if my_position is not None:
            lines.append(t("You are #{k} on the waitlist.", k=my_position))
        return "\n".join(lines)

    # -- notices -----------------------------------------------------------------------------------
    async def tell(self, people: Iterable[tuple[Origin, int]], message: str, **values: Any) -> str | None:
        """Say ``message`` (a msgid with ``{names}``) to each person privately.

        A notice for the person whose command this is is returned instead, for the caller's reply.
        """
        here_text = None
        for user_id in dict.fromkeys(user_id for _origin, user_id in people):
            text = self.t(message, names=await self.name_list([user_id]), **values)
            if user_id == self.asker:
                here_text = text
            else:
                await self.scope.notify(user_id, text)
        return here_text

    async def promotions(self, release: Release) -> list[str]:
        """Tell the people who moved up from the waitlist; returns what is meant for the asker."""
        here = []
        for claim in release.promoted:
            text = await self.tell([(origin_of(claim), claim.user_id)], PROMOTED, id=release.project.id,
                                   project=self.project(release.project), place=place_mark(claim.place))
            if text:
                here.append(text)
        return here

    async def notify(self, user_id: int, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """A private notice for one person (a reminder with its buttons)."""
        await self.scope.notify(user_id, text, buttons=buttons)

    async def announce(self, text: str, *, buttons: Sequence[Sequence[Button]] = ()) -> None:
        """To every chat of the community."""
        await self.scope.announce(text, buttons=buttons)

    async def completed(self, project: Project) -> None:
        """Announce a completed project and thank the people whose work was verified."""
        helpers: list[Any] = await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED).order_by(
            "id").values_list("user_id", flat=True)
        await self.scope.announce(self.t("🎉 {project} is completed! Thank you, {names}!",
                                         project=self.project(project),
                                         names=await self.name_list(int(u) for u in helpers)))


def origin_of(claim: Claim | WaitlistEntry) -> Origin:
    return Origin(claim.origin_platform, claim.origin_chat)


def place_mark(*places: str | None) -> str:
    """`` [A1, A2]`` after a project's name, or nothing for places without names."""
    named = [p for p in places if p]
    return f" [{', '.join(named)}]" if named else ""
