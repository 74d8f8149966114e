"""How the claims plugin talks: one place for wording, dates, names and where a notice goes.

Commands and the sweep job both speak through a :class:`Speaker`, so a reminder sent by the job reads
like a reply to a command: the community's language, names through the core's name function (badges
included), dates in the installation's time zone. A notice for a claimer goes to the chat the claimer
used; when that is the chat a command came from, it becomes part of the command's reply instead of a
second message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.plugin import (
    N_,
    Button,
    Channel,
    ChannelRef,
    CommandContext,
    Community,
    OutgoingMessage,
    UnitOfWork,
)
from plugins.claims.models import Claim, ClaimStatus, Project, ProjectStatus, WaitlistEntry
from plugins.claims.service import ClaimsError, Origin, Release, UserRef

if TYPE_CHECKING:
    from core.app import Application

Translate = Callable[..., str]

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


class Speaker:
    def __init__(self, app: Application, uow: UnitOfWork, community_id: int, t: Translate, now: datetime,
                 here: ChannelRef | None = None) -> None:
        self.app = app
        self.uow = uow
        self.community_id = community_id
        self.t = t
        self.now = now
        self.here = here
        self.zone = ZoneInfo(app.settings.timezone)

    @classmethod
    def for_command(cls, ctx: CommandContext) -> Speaker:
        return cls(ctx.app, ctx.uow, ctx.community_id, ctx.t, ctx.now(), ctx.event.channel)

    @classmethod
    async def for_job(cls, app: Application, uow: UnitOfWork, community_id: int, now: datetime) -> Speaker:
        community = await Community.get(id=community_id)
        return cls(app, uow, community_id, app.translator(community.language), now)

    # -- pieces ------------------------------------------------------------------------------------
    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self.app.render_names(self.community_id, list(dict.fromkeys(user_ids)))

    async def name_list(self, user_ids: Iterable[int]) -> str:
        ids = list(dict.fromkeys(user_ids))
        names = await self.names(ids)
        return self.t(", ").join(names[i] for i in ids)

    def when(self, moment: datetime) -> str:
        """A date (and the time, unless it is the end of the day) as people in the chat read it."""
        local = moment.astimezone(self.zone)
        if local.year == self.now.astimezone(self.zone).year:
            day = self.t("{month}/{day}", month=local.month, day=local.day)
        else:
            day = self.t("{year}/{month}/{day}", year=local.year, month=local.month, day=local.day)
        return day if (local.hour, local.minute) == (23, 59) else f"{day} {local:%H:%M}"

    def project(self, project: Project) -> str:
        return self.t("#{id} “{title}”", id=project.id, title=project.title)

    async def error(self, error: ClaimsError) -> str:
        values: dict[str, Any] = {}
        for key, value in error.values.items():
            if isinstance(value, UserRef):
                value = (await self.names([value.user_id]))[value.user_id]
            elif isinstance(value, datetime):
                value = self.when(value)
            values[key] = value
        return self.t(error.message, **values)

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

    def claim_button(self, project: Project) -> Button:
        label = N_("Claim #{id}") if project.places_left else N_("Join waitlist #{id}")
        return Button(self.t(label, id=project.id), f"/claim {project.id}")

    async def details(self, project: Project, claims: list[Claim], waiting: int,
                      my_position: int | None) -> str:
        t = self.t
        status = t(PROJECT_STATUS[project.status])
        lines = [t("{project} ({status})", project=self.project(project), status=status)]
        if project.description:
            lines.append(project.description)
        lines.append(self.facts(project, waiting))
        if project.per_person > 1:
            lines.append(t("Each person may claim up to {n} places.", n=project.per_person))
        if project.place_names:
            taken = {c.place_held for c in claims}
            free = [n for n in project.place_names if n not in taken]
            if free and project.status is ProjectStatus.OPEN:
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
        """Say ``message`` (a msgid with ``{names}``) in each chat the people used, naming those there.

        Returns the text meant for the chat the command came from, for the caller's reply.
        """
        by_chat: dict[Origin, list[int]] = defaultdict(list)
        for origin, user_id in people:
            by_chat[origin].append(user_id)
        here_text = None
        for origin, user_ids in by_chat.items():
            text = self.t(message, names=await self.name_list(user_ids), **values)
            if self.here is not None and (origin.platform, origin.chat_id) == (self.here.platform,
                                                                               self.here.chat_id):
                here_text = text
            else:
                await self.send(origin, text)
        return here_text

    async def promotions(self, release: Release) -> list[str]:
        """Tell the people who moved up from the waitlist; returns what is meant for this chat."""
        here = []
        for claim in release.promoted:
            text = await self.tell([(origin_of(claim), claim.user_id)], PROMOTED, id=release.project.id,
                                   project=self.project(release.project), place=place_mark(claim.place))
            if text:
                here.append(text)
        return here

    async def send(self, origin: Origin, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """To the chat a person used; to every chat of the community when we do not know it (web, CLI)."""
        if origin.platform and origin.chat_id:
            channels = [ChannelRef(origin.platform, origin.chat_id)]
        else:
            rows = await Channel.filter(community_id=self.community_id, is_direct=False)
            channels = [ChannelRef(r.platform, r.chat_id, r.title) for r in rows]
        for channel in channels:
            self.uow.send(OutgoingMessage(channel=channel, text=text, buttons=buttons))


def origin_of(claim: Claim | WaitlistEntry) -> Origin:
    return Origin(claim.origin_platform, claim.origin_chat)


def place_mark(*places: str | None) -> str:
    """`` [A1, A2]`` after a project's name, or nothing for places without names."""
    named = [p for p in places if p]
    return f" [{', '.join(named)}]" if named else ""
