"""How the claims plugin talks: one place for wording, dates, names and where a notice goes.

Commands and the sweep job both speak through a :class:`Speaker`, so a reminder sent by the job reads
like a reply to a command: the community's language, names through the core's name function (badges
included), dates in the installation's time zone, counts in the language's plural forms, and every
command the bot suggests spelled by :meth:`core.plugin.Scope.hint` (``/认领 1`` in a Chinese chat,
``/claim 1`` where only Latin commands reach the bot). A notice for one person (a reminder, a promotion
from the waitlist, a release) is private (:meth:`core.plugin.Scope.notify`); a notice for the person whose
command this is becomes part of the command's reply instead, and the others follow that reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.plugin import N_, NP_, Button, CommandContext, JobContext, Scope
from plugins.claims.models import Claim, ClaimStatus, Project, ProjectStatus
from plugins.claims.service import Release

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
              "send {command}.")
MOVED_UP = N_("{names} moved up from the waitlist.")
#: Keyed on the number of places, so English reads "1 of 1 place left" and "1 of 2 places left".
PLACES_LEFT = NP_("{left} of {places} place left", "{left} of {places} places left")
FULL_WAITING = NP_("full, {n} waiting", "full, {n} waiting")
POINTS = NP_("{n} point", "{n} points")
PER_PERSON = NP_("Each person may claim up to {n} place.", "Each person may claim up to {n} places.")
MORE_CLAIMERS = NP_("… and {n} more", "… and {n} more")
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
        self._ctx: CommandContext | None = None
        #: Private notices held back until the command's reply is out, so the chat reads in order.
        self._held: list[tuple[int, str, tuple[tuple[Button, ...], ...]]] = []

    @classmethod
    def for_command(cls, ctx: CommandContext) -> Speaker:
        speaker = cls(ctx, ctx.user.id)
        speaker._ctx = ctx
        return speaker

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

    async def hint(self, command: str, *args: object) -> str:
        """A command the bot suggests, spelled so that it reaches the bot here (see the module docstring)."""
        return await self.scope.hint(command, *args)

    def places_left(self, project: Project) -> str:
        return self.t.n(*PLACES_LEFT, project.places, left=project.places_left, places=project.places)

    def project(self, project: Project) -> str:
        return self.t("#{id} “{title}”", id=project.id, title=project.title)

    def facts(self, project: Project, waiting: int) -> str:
        """Places, deadline, points and the party window, in one line."""
        t = self.t
        parts = [self.places_left(project) if project.places_left else t.n(*FULL_WAITING, waiting)]
        if project.deadline is not None:
            parts.append(t("until {date}", date=self.when(project.deadline)))
        if project.points:
            parts.append(t.n(*POINTS, project.points))
        if project.hours_tenths:
            parts.append(t("{hours} h of service", hours=f"{project.hours_tenths // 10}.{project.hours_tenths % 10}"))
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
            lines.append(t.n(*PER_PERSON, project.per_person))
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
                lines.append(t.n(*MORE_CLAIMERS, len(claims) - MAX_LINES))
        else:
            lines.append(t("Nobody has claimed it yet."))
        if my_position is not None:
            lines.append(t("You are #{k} on the waitlist.", k=my_position))
        return "\n".join(lines)

    # -- notices -----------------------------------------------------------------------------------
    async def tell(self, user_ids: Iterable[int], message: str, **values: Any) -> tuple[str | None, int]:
        """Say ``message`` (a msgid with ``{names}``; values as :meth:`core.plugin.Scope.render` shows them)
        to each person privately.

        Returns the notice meant for the person whose command this is (for the caller's reply instead of a
        private message) and how many others were told.
        """
        here_text, told = None, 0
        for user_id in dict.fromkeys(user_ids):
            text = await self.scope.render(message, {"names": await self.name_list([user_id]), **values})
            if user_id == self.asker:
                here_text = text
            else:
                await self.notify(user_id, text)
                told += 1
        return here_text, told

    async def promotions(self, release: Release) -> list[str]:
        """Tell the people who moved up from the waitlist, privately; returns the lines for a command's
        reply: the asker's own notice, and who else moved up (no private content: the group saw them wait)."""
        here, others = [], []
        for claim in release.promoted:
            text, told = await self.tell([claim.user_id], PROMOTED, project=self.project(release.project),
                                         place=place_mark(claim.place),
                                         command=await self.hint("done", release.project.id))
            if text:
                here.append(text)
            if told:
                others.append(claim.user_id)
        if others and self._ctx is not None:
            here.append(self.t(MOVED_UP, names=await self.name_list(others)))
        return here

    async def notify(self, user_id: int, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """A private notice for one person (a reminder with its buttons); in a command, after its reply."""
        if self._ctx is not None:
            self._held.append((user_id, text, buttons))
            return
        await self.scope.notify(user_id, text, buttons=buttons)

    async def reply(self, text: str, *, buttons: Sequence[Sequence[Button]] = ()) -> None:
        """Answer the command, then send the private notices it caused."""
        assert self._ctx is not None, "reply() is for a command's speaker"
        self._ctx.reply(text, buttons=buttons)
        await self.send_held()

    async def send_held(self) -> None:
        """Send the private notices held back so far (:meth:`reply` does it after the answer)."""
        held, self._held = self._held, []
        for user_id, text, buttons in held:
            await self.scope.notify(user_id, text, buttons=buttons)

    async def announce(self, text: str, *, buttons: Sequence[Sequence[Button]] = ()) -> None:
        """To every chat of the community."""
        await self.scope.announce(text, buttons=buttons, kind="projects")

    async def completed(self, project: Project) -> None:
        """Announce a completed project and thank the people whose work was verified."""
        helpers: list[Any] = await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED,
                                                corrected_at__isnull=True).order_by(  # reversed: not thanked
            "id").values_list("user_id", flat=True)
        await self.scope.announce(self.t("🎉 {project} is completed! Thank you, {names}!",
                                         project=self.project(project),
                                         names=await self.name_list(int(u) for u in helpers)), kind="projects")


def place_mark(*places: str | None) -> str:
    """`` [A1, A2]`` after a project's name, or nothing for places without names."""
    named = [p for p in places if p]
    return f" [{', '.join(named)}]" if named else ""
