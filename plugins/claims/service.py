"""The rules of claiming, independent of chat: the web board, the CLI and the chat commands all call these.

Every mutating method runs in ``in_transaction()`` (a savepoint when the caller already has a
transaction, as a chat handler or a job does), locks the project row first (``SELECT … FOR UPDATE``;
SQLite ignores it and serialises whole transactions instead), and still takes places only through a
conditional ``UPDATE``. So the rules hold with several worker processes on one PostgreSQL database, not
just because the in-process bus handles one community's events in order.

Methods return what happened (claims taken, released, promoted) and publish domain events on the unit
of work; saying it in chat, in the community's language, is the caller's business. Refusals are
:class:`core.plugin.Refusal`\\ s carrying an untranslated message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.plugin import N_, NP_, Hint, Person, Plural, Refusal, UnitOfWork
from plugins.claims import queries
from plugins.claims.events import (
    ClaimEnded,
    ClaimReported,
    ClaimSentBack,
    ClaimVerified,
    ProjectCancelled,
    ProjectClaimed,
    ProjectCompleted,
    ProjectCreated,
    ProjectFilled,
)
from plugins.claims.models import Claim, ClaimStatus, CommunityState, Project, ProjectStatus, WaitlistEntry
from plugins.claims.settings import ClaimsSettings

PLUGIN = "claims"
TITLE_MAX = 100
PLACE_NAME_MAX = 20
MAX_POINTS = 1000
MAX_PARTY_HOURS = 24 * 14
SWEEP_BATCH = 500
UNFINISHED = (ClaimStatus.ACTIVE, ClaimStatus.REPORTED)
NO_SUCH_PROJECT = N_("There is no project #{id} here. Send {command} to see the open ones.")
PLACE_COUNT = NP_("{n} place", "{n} places")
PLACES_TAKEN = NP_("{n} place taken", "{n} places taken")
#: Whether a person holds the verified party badge; asked only inside a 'party members first' window.
BadgeCheck = Callable[[int], Awaitable[bool]]
#: Whether some enabled plugin can verify party members here; without one a 'party members first' project
#: could be claimed by nobody during its window, so the option is refused.
PartyVerifiable = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Origin:
    """The chat a claimer used, kept with the claim (and shown in the person's own data); notices for
    them go through the core's private notices, which know where a person can be reached."""

    platform: str = ""
    chat_id: str = ""


class _Unset:
    """Marks an edit argument that was not given (None is a value: 'no deadline')."""


UNSET: Any = _Unset()


@dataclass
class ProjectDraft:
    title: str
    places: int | None = None  # None: the community's default
    place_names: list[str] = field(default_factory=list)
    deadline: datetime | None = None
    points: int = 0
    party_first_hours: int = 0
    per_person: int = 1
    description: str = ""
    hours_tenths: int = 0


@dataclass
class ClaimOutcome:
    project: Project
    claims: list[Claim] = field(default_factory=list)  # the new claim, or the ones already held
    waitlist_position: int | None = None
    already: bool = False
    became_full: bool = False


@dataclass
class Release:
    """Places given back, and who got them from the waitlist."""

    project: Project
    ended: list[Claim] = field(default_factory=list)
    promoted: list[Claim] = field(default_factory=list)
    left_waitlist: bool = False
    dropped_waitlist: list[WaitlistEntry] = field(default_factory=list)
    #: The project was closed (or its deadline had passed) and its last unfinished claim just ended:
    #: it is completed now.
    completed: bool = False


@dataclass
class Verification:
    project: Project
    claims: list[Claim]
    newly: bool
    completed: bool = False


@dataclass
class Closing:
    project: Project
    completed: bool


@dataclass
class Reminder:
    project: Project
    claim: Claim
    release_at: datetime


@dataclass
class SweepResult:
    reminders: list[Reminder] = field(default_factory=list)
    #: (release, reason) with reason "deadline" or "stale".
    releases: list[tuple[Release, str]] = field(default_factory=list)
    #: Projects whose deadline passed, with the waitlist entries that were dropped.
    expired_waitlists: list[Release] = field(default_factory=list)
    #: Projects past their deadline with nothing unfinished left and some work verified: completed now.
    completed: list[Project] = field(default_factory=list)


@dataclass
class ProjectView:
    project: Project
    claims: list[Claim]
    waiting: int
    my_position: int | None


@dataclass
class Mine:
    claims: list[Claim]
    waiting: list[tuple[Project, int]]


async def _no_badges(user_id: int) -> bool:
    return False


async def _no_verifier() -> bool:
    return False


async def note_resumed(community_id: int) -> None:
    """The plugin was switched back on in a community: its next sweep gives notice before any release."""
    await CommunityState.update_or_create(community_id=community_id, defaults={"resume_pending": True})


def _holding(project_id: int, user_id: int | None = None) -> QuerySet[Claim]:
    """Claims that occupy a place of the project (of one person, if given)."""
    query = Claim.filter(project_id=project_id, holding__isnull=False)
    return query.filter(user_id=user_id) if user_id is not None else query


class ClaimsService:
    def __init__(
        self, community_id: int, settings: ClaimsSettings, now: datetime, uow: UnitOfWork,
        *, badge_check: BadgeCheck = _no_badges, party_verifiable: PartyVerifiable = _no_verifier,
    ) -> None:
        self.community_id = community_id
        self.settings = settings
        self.now = now
        self.uow = uow
        self.badge_check = badge_check
        self.party_verifiable = party_verifiable

    # -- projects ----------------------------------------------------------------------------------
    async def create(self, by_user_id: int, draft: ProjectDraft) -> Project:
        places = self._check_places(draft.places, draft.place_names)
        self._check_values(title=draft.title, deadline=draft.deadline, points=draft.points,
                           party_first_hours=draft.party_first_hours)
        await self._check_party_verifiable(draft.party_first_hours)
        project = await Project.create(
            community_id=self.community_id, title=draft.title.strip(), description=draft.description.strip(),
            places=places, place_names=draft.place_names, deadline=draft.deadline, points=draft.points,
            per_person=self._check_per_person(draft.per_person, places),
            party_first_hours=draft.party_first_hours, created_by=by_user_id, created_at=self.now,
            hours_tenths=draft.hours_tenths,
        )
        self.uow.publish(ProjectCreated(community_id=self.community_id, project_id=project.id,
                                        title=project.title, places=places, by_user_id=by_user_id))
        return project

    async def edit(
        self, project_id: int, *, title: Any = UNSET, description: Any = UNSET, places: Any = UNSET,
        place_names: Any = UNSET, deadline: Any = UNSET, points: Any = UNSET, party_first_hours: Any = UNSET,
        per_person: Any = UNSET,
    ) -> Release:
        """Change a project; more places may let people in from the waitlist.

        ``places`` and ``place_names`` go together: names set the number, and a bare number drops names.
        """
        async with in_transaction():
            project = await self._lock(project_id)
            self._check_not_over(project)
            self._check_values(title=title, deadline=deadline, points=points,
                               party_first_hours=party_first_hours)
            if party_first_hours is not UNSET:
                await self._check_party_verifiable(party_first_hours)
            changes = {key: value for key, value in (
                ("title", title), ("description", description), ("deadline", deadline), ("points", points),
                ("party_first_hours", party_first_hours)) if value is not UNSET}
            for key in ("title", "description"):
                if key in changes:
                    changes[key] = changes[key].strip()
            if places is not UNSET or place_names is not UNSET:
                names = [] if place_names is UNSET else list(place_names)
                wanted = None if names else (project.places if places is UNSET else places)
                count = self._check_places(wanted, names)
                await self._check_shrink(project, count, names)
                changes.update(places=count, place_names=names)
            if per_person is not UNSET:
                limit = changes.get("places", project.places)
                changes["per_person"] = self._check_per_person(per_person, limit)
            if "deadline" in changes:  # a new deadline deserves a new reminder
                await Claim.filter(project_id=project.id, status=ClaimStatus.ACTIVE).update(reminded_at=None)
            if changes:
                await Project.filter(id=project.id).update(**changes)
                await project.refresh_from_db()
            return Release(project, promoted=await self._promote(project))

    async def close(self, project_id: int) -> Closing:
        """Stop taking claims; a project whose every claim is verified is thereby completed."""
        async with in_transaction():
            project = await self._lock(project_id)
            self._check_not_over(project)
            if project.status is ProjectStatus.CLOSED:
                raise Refusal(N_("Project #{id} is already closed."), id=project.id)
            unfinished = await Claim.filter(project_id=project.id, status__in=UNFINISHED).count()
            verified = await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED).count()
            if verified and not unfinished:
                await self._complete(project)
                return Closing(project, completed=True)
            await self._set_status(project, ProjectStatus.CLOSED)
            return Closing(project, completed=False)

    async def reopen(self, project_id: int) -> Release:
        async with in_transaction():
            project = await self._lock(project_id)
            self._check_not_over(project)
            if project.status is ProjectStatus.OPEN:
                raise Refusal(N_("Project #{id} is already open."), id=project.id)
            if project.deadline is not None and project.deadline <= self.now:
                raise Refusal(N_("The deadline of #{id} has passed; give it a new one first: "
                                 "{command} deadline <date>"), id=project.id,
                              command=Hint("editproject", project.id))
            await self._set_status(project, ProjectStatus.OPEN)
            return Release(project, promoted=await self._promote(project))

    async def cancel(self, project_id: int, by_user_id: int) -> Release:
        """Cancel a project: unfinished claims end (verified ones keep their points), the line goes home."""
        async with in_transaction():
            project = await self._lock(project_id)
            self._check_not_over(project)
            unfinished = await Claim.filter(project_id=project.id, status__in=UNFINISHED)
            ended = await self._end(project, unfinished, ClaimStatus.CANCELLED)
            dropped = await self._drop_waitlist(project)
            await self._set_status(project, ProjectStatus.CANCELLED)
            self.uow.publish(ProjectCancelled(community_id=self.community_id, project_id=project.id,
                                              by_user_id=by_user_id))
            return Release(project, ended=ended, dropped_waitlist=dropped)

    # -- claiming ----------------------------------------------------------------------------------
    async def claim(self, project_id: int, user_id: int, place: str | None = None,
                    origin: Origin = Origin()) -> ClaimOutcome:
        """Take a place, or a place in the waitlist when none is left."""
        async with in_transaction():
            project = await self._lock(project_id)
            self._check_claimable(project)
            await self._check_party_window(project, user_id)
            held = await queries.holding(project.id, user_id)
            if len(held) >= project.per_person:
                return ClaimOutcome(project, held, already=True)
            waiting = await queries.waiting(project.id, user_id)
            if waiting is not None:
                position = await self._position(waiting)
                return ClaimOutcome(project, held, waitlist_position=position, already=True)
            wanted = await self._place_asked(project, place)
            if project.claimed < project.places:
                claim = await self._take(project, user_id, wanted, held, origin)
                if claim is not None:
                    return ClaimOutcome(project, [claim], became_full=await self._mark_full(project))
            entry = await self._join_waitlist(project, user_id, origin)
            return ClaimOutcome(project, held, waitlist_position=await self._position(entry))

    async def unclaim(self, project_id: int, user_id: int, place: str | None = None) -> Release:
        """Give places back (or leave the waitlist); the first in line gets a freed place."""
        async with in_transaction():
            project = await self._lock(project_id)
            mine = await queries.holding(project.id, user_id)
            if place is not None:
                mine = [c for c in mine if (c.place or "").lower() == place.strip().lower()]
            giving_up = [c for c in mine if c.status is not ClaimStatus.VERIFIED]
            if giving_up:
                ended = await self._end(project, giving_up, ClaimStatus.WITHDRAWN)
                release = Release(project, ended=ended, promoted=await self._promote(project))
                release.completed = await self._complete_if_done(project)
                return release
            if mine:
                raise Refusal(N_("Your claim on #{id} is already verified; there is nothing to give up."),
                              id=project.id)
            left = await WaitlistEntry.filter(project_id=project.id, user_id=user_id, waiting=True).update(
                waiting=None, outcome="left", left_at=self.now)
            if not left:
                raise Refusal(N_("You have not claimed #{id}."), id=project.id)
            return Release(project, left_waitlist=True)

    async def report_done(self, project_id: int, user_id: int, note: str = "",
                          photos: Sequence[str] = ()) -> tuple[Project, list[Claim]]:
        async with in_transaction():
            project = await self._lock(project_id)  # the sweep and /verify lock it too: no lost report
            claims = await self._own_unfinished(project, user_id)
            reported = []
            for claim in claims:
                values = {"status": ClaimStatus.REPORTED, "note": note.strip() or claim.note,
                          "photos": [*claim.photos, *photos], "reported_at": self.now, "progress_at": self.now,
                          "sendback_reason": ""}
                if await self._transition(claim, UNFINISHED, **values):
                    reported.append(claim)
                    self.uow.publish(ClaimReported(community_id=self.community_id, project_id=project.id,
                                                   claim_id=claim.id, user_id=user_id, photos=len(photos)))
            if not reported:
                raise Refusal(N_("Someone was quicker; please try again."))
            return project, reported

    async def record_progress(self, project_id: int, user_id: int,
                              note: str = "") -> tuple[Project, list[Claim]]:
        """A sign of life: keeps the claim from being released for lack of progress."""
        async with in_transaction():
            project = await self._lock(project_id)
            claims = await self._own_unfinished(project, user_id)
            noted = []
            for claim in claims:
                if await self._transition(claim, UNFINISHED, progress_at=self.now, reminded_at=None,
                                          note=note.strip() or claim.note):
                    noted.append(claim)
            if not noted:
                raise Refusal(N_("Someone was quicker; please try again."))
            return project, noted

    async def verify(self, project_id: int, user_id: int, by_user_id: int) -> Verification:
        """Accept someone's work: :class:`ClaimVerified` earns the points (once); may complete the project."""
        if user_id == by_user_id:
            raise Refusal(N_("You cannot verify your own claim; another organizer has to."))
        async with in_transaction():
            project = await self._lock(project_id)
            claims = await _holding(project.id, user_id)
            if not claims:
                raise Refusal(N_("{user} has no claim on #{id}."), user=Person(user_id), id=project.id)
            pending = [c for c in claims if c.status is not ClaimStatus.VERIFIED]
            newly = [c for c in pending if await self._transition(
                c, UNFINISHED, status=ClaimStatus.VERIFIED, verified_at=self.now, verified_by=by_user_id)]
            if not newly:
                return Verification(project, claims, newly=False)
            self.uow.publish(ClaimVerified(
                community_id=self.community_id, source_plugin=PLUGIN, project_id=project.id, user_id=user_id,
                by_user_id=by_user_id, points=project.points, title=project.title,
                hours=f"{project.hours_tenths // 10}.{project.hours_tenths % 10}" if project.hours_tenths else "",
            ))
            verified = await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED).count()
            completed = verified >= project.places
            if completed:
                await self._complete(project)
            else:  # a closed or past-deadline project is done once nobody is still working on it
                completed = await self._complete_if_done(project)
            return Verification(project, newly, newly=True, completed=completed)

    async def send_back(self, project_id: int, user_id: int, by_user_id: int,
                        reason: str) -> tuple[Project, list[Claim]]:
        if user_id == by_user_id:
            raise Refusal(N_("You cannot judge your own claim; another organizer has to."))
        async with in_transaction():
            project = await self._lock(project_id)
            claims = await _holding(project.id, user_id)
            reported = [c for c in claims if c.status is ClaimStatus.REPORTED]
            reported = [c for c in reported if await self._transition(
                c, (ClaimStatus.REPORTED,), status=ClaimStatus.ACTIVE, sendback_reason=reason.strip(),
                progress_at=self.now, reminded_at=None)]
            if not reported:
                if any(c.status is ClaimStatus.VERIFIED for c in claims):
                    message = N_("{user}'s claim on #{id} is already verified.")
                elif claims:
                    message = N_("{user} has not reported #{id} done yet.")
                else:
                    message = N_("{user} has no claim on #{id}.")
                raise Refusal(message, user=Person(user_id), id=project.id)
            self.uow.publish(ClaimSentBack(community_id=self.community_id, project_id=project.id,
                                           user_id=user_id, by_user_id=by_user_id, reason=reason.strip()))
            return project, reported

    # -- the sweep ---------------------------------------------------------------------------------
    def release_time(self, claim: Claim, project: Project,
                     resumed_at: datetime | None = None) -> tuple[datetime, str] | None:
        """When an unfinished claim would be given back, and why; None when the policy never does.

        ``resumed_at``: the plugin was off here until then, so nobody could report progress; a release
        then waits until a reminder could have been answered.
        """
        options: list[tuple[datetime, str]] = []
        if self.settings.stale_after_days:
            options.append((claim.progress_at + timedelta(days=self.settings.stale_after_days), "stale"))
        if self.settings.release_at_deadline and project.deadline is not None:
            options.append((project.deadline, "deadline"))
        if not options:
            return None
        moment, reason = min(options, key=lambda o: o[0])
        if resumed_at is not None:
            moment = max(moment, resumed_at + timedelta(hours=self.settings.remind_hours_before_release))
        return moment, reason

    async def release_of(self, claim: Claim, project: Project) -> tuple[datetime, str] | None:
        """:meth:`release_time` as the next sweep will see it."""
        state = await CommunityState.get_or_none(community_id=self.community_id)
        resumed_at = None if state is None else self.now if state.resume_pending else state.resumed_at
        return self.release_time(claim, project, resumed_at)

    async def sweep(self) -> SweepResult:
        """Remind claimers whose release is near, give back claims whose time is up, send home the
        waitlists of projects whose deadline passed, and complete the open projects whose deadline passed
        with some work verified and none unfinished.

        Candidates are found without locks; each project is then locked (in id order, as everything else
        locks one project at a time) and its claims are judged again, so a /progress, /done or /verify
        that committed meanwhile is respected.
        """
        result = SweepResult()
        resumed_at = await self._resumed_at()
        horizon = self.now + timedelta(hours=self.settings.remind_hours_before_release)
        due_soon = self._due_soon(horizon)
        claimed: list[Any] = []
        if due_soon is not None:
            claimed = await Claim.filter(due_soon, **self._sweepable()).order_by("id").limit(
                SWEEP_BATCH).values_list("project_id", flat=True)
        waiting: list[Any] = await WaitlistEntry.filter(
            community_id=self.community_id, waiting=True, project__deadline__lte=self.now,
        ).order_by("project_id").limit(SWEEP_BATCH).values_list("project_id", flat=True)
        done: list[Any] = await Claim.filter(
            community_id=self.community_id, status=ClaimStatus.VERIFIED, project__status=ProjectStatus.OPEN,
            project__deadline__lte=self.now,
        ).exclude(project_id__in=Subquery(Claim.filter(
            community_id=self.community_id, status__in=UNFINISHED).values("project_id")),
        ).distinct().order_by("project_id").limit(SWEEP_BATCH).values_list("project_id", flat=True)
        # one pass in id order, each project once: overlapping sweeps take their locks in the same order
        for project_id in sorted({int(p) for p in [*claimed, *waiting, *done]}):
            await self._sweep_project(project_id, due_soon, horizon, resumed_at, result)
        return result

    def _sweepable(self) -> dict[str, Any]:
        return {"community_id": self.community_id, "status": ClaimStatus.ACTIVE,
                "project__status__in": (ProjectStatus.OPEN, ProjectStatus.CLOSED)}

    def _due_soon(self, horizon: datetime) -> Q | None:
        """Claims whose release may fall before ``horizon``; None when the policy never releases."""
        due_soon = Q()
        if self.settings.stale_after_days:
            due_soon |= Q(progress_at__lte=horizon - timedelta(days=self.settings.stale_after_days))
        if self.settings.release_at_deadline:
            due_soon |= Q(project__deadline__lte=horizon)
        return due_soon if due_soon.children else None

    async def _sweep_project(self, project_id: int, due_soon: Q | None, horizon: datetime,
                             resumed_at: datetime | None, result: SweepResult) -> None:
        async with in_transaction():
            project = await self._lock(project_id)
            if project.status not in (ProjectStatus.OPEN, ProjectStatus.CLOSED):
                return
            past_deadline = project.deadline is not None and project.deadline <= self.now
            if past_deadline:  # before any completion, which would send the waitlist home unannounced
                dropped = await self._drop_waitlist(project)
                if dropped:
                    result.expired_waitlists.append(Release(project, dropped_waitlist=dropped))
            if due_soon is not None:
                await self._sweep_claims(project, due_soon, horizon, resumed_at, result)
            if past_deadline and await self._complete_if_done(project):
                result.completed.append(project)

    async def _sweep_claims(self, project: Project, due_soon: Q, horizon: datetime, resumed_at: datetime | None,
                            result: SweepResult) -> None:
        """Judge the claims of a locked project again: remind, or release those whose time is up."""
        claims = await Claim.filter(due_soon, project_id=project.id, **self._sweepable()).order_by("id")
        due: dict[str, list[Claim]] = {}
        for claim in claims:
            release = self.release_time(claim, project, resumed_at)
            if release is None or release[0] > horizon:
                continue
            if release[0] <= self.now:
                due.setdefault(release[1], []).append(claim)
                continue
            # once per claim, even if two sweeps overlap; a reminder from before a pause does not count
            not_reminded = Q(reminded_at__isnull=True)
            if resumed_at is not None:
                not_reminded |= Q(reminded_at__lt=resumed_at)
            marked = await Claim.filter(not_reminded, id=claim.id, status=ClaimStatus.ACTIVE).update(
                reminded_at=self.now)
            if marked:
                claim.reminded_at = self.now
                result.reminders.append(Reminder(project, claim, release[0]))
        releases: list[tuple[Release, str]] = []
        for reason in ("deadline", "stale"):
            if due.get(reason):
                ended = await self._end(project, due[reason], ClaimStatus.RELEASED, (ClaimStatus.ACTIVE,))
                if ended:
                    releases.append((Release(project, ended=ended), reason))
        if releases:
            last = releases[-1][0]
            last.promoted.extend(await self._promote(project))
            last.completed = await self._complete_if_done(project)
            result.releases.extend(releases)

    async def _resumed_at(self) -> datetime | None:
        """When the plugin was last switched back on here; reminders sent before then are sent again."""
        state = await CommunityState.get_or_none(community_id=self.community_id)
        if state is None:
            return None
        if state.resume_pending:
            taken = await CommunityState.filter(id=state.id, resume_pending=True).update(
                resume_pending=False, resumed_at=self.now)
            if taken:
                return self.now
            await state.refresh_from_db()
        return state.resumed_at

    # -- reading -----------------------------------------------------------------------------------
    async def open_projects(self, limit: int = 10) -> tuple[list[Project], dict[int, int], int]:
        """Projects open for claims (oldest first), how many wait for each, and how many there are.

        A project whose deadline has passed takes no claims, so it is not listed (``/project <id>`` still
        shows it).
        """
        query = Project.filter(Q(deadline__isnull=True) | Q(deadline__gt=self.now),
                               community_id=self.community_id, status=ProjectStatus.OPEN)
        total = await query.count()
        projects = await query.order_by("id").limit(limit)
        return projects, await self._waiting_counts([p.id for p in projects]), total

    async def view(self, project_id: int, viewer_id: int | None = None) -> ProjectView:
        project = await self._get(project_id)
        claims = await _holding(project.id).order_by("id")
        waiting = (await self._waiting_counts([project.id])).get(project.id, 0)
        position = None
        if viewer_id is not None:
            entry = await WaitlistEntry.get_or_none(project_id=project.id, user_id=viewer_id, waiting=True)
            position = await self._position(entry) if entry else None
        return ProjectView(project, claims, waiting, position)

    async def mine(self, user_id: int, limit: int = 30) -> Mine:
        mine = {"community_id": self.community_id, "user_id": user_id}
        claims = await Claim.filter(holding__isnull=False, **mine).select_related("project").order_by(
            "-id").limit(limit)
        entries = await WaitlistEntry.filter(waiting=True, **mine).select_related("project").order_by(
            "id").limit(limit)
        return Mine(claims, [(e.project, await self._position(e)) for e in entries])

    # -- checks ------------------------------------------------------------------------------------
    async def _get(self, project_id: int) -> Project:
        project = await Project.get_or_none(id=project_id, community_id=self.community_id)
        if project is None:
            raise Refusal(NO_SUCH_PROJECT, id=project_id, command=Hint("projects"))
        return project

    async def _lock(self, project_id: int) -> Project:
        project = await queries.locked_project(project_id, self.community_id)
        if project is None:
            raise Refusal(NO_SUCH_PROJECT, id=project_id, command=Hint("projects"))
        return project

    def _check_not_over(self, project: Project) -> None:
        if project.status is ProjectStatus.CANCELLED:
            raise Refusal(N_("Project #{id} was cancelled."), id=project.id)
        if project.status is ProjectStatus.COMPLETED:
            raise Refusal(N_("Project #{id} is already completed."), id=project.id)

    def _check_claimable(self, project: Project) -> None:
        self._check_not_over(project)
        if project.status is ProjectStatus.CLOSED:
            raise Refusal(N_("Project #{id} is closed; it takes no more claims."), id=project.id)
        if project.deadline is not None and project.deadline <= self.now:
            raise Refusal(N_("The deadline of #{id} has passed ({deadline}); it takes no more claims."),
                          id=project.id, deadline=project.deadline)

    def party_window_open(self, project: Project) -> bool:
        """Whether only party members may claim ``project`` now: a claim then tells that the claimer is one."""
        return bool(project.party_first_hours) and self.now < project.created_at + timedelta(
            hours=project.party_first_hours)

    async def _check_party_window(self, project: Project, user_id: int) -> None:
        """Party members first, while the window is open and something here can verify party members (with
        badges switched off since publishing, nobody could claim it: the window no longer applies)."""
        if not self.party_window_open(project) or await self.badge_check(user_id):
            return
        until = project.created_at + timedelta(hours=project.party_first_hours)
        if await self.party_verifiable():
            raise Refusal(N_("Party members first: until {until} only members with a verified party "
                             "badge may claim #{id}; from then on everyone may."), id=project.id, until=until)

    async def _check_party_verifiable(self, party_first_hours: int) -> None:
        if party_first_hours and not await self.party_verifiable():
            raise Refusal(N_("Nobody can verify party members in this community (no badges plugin is on here), so "
                             "nobody could claim a 'party members first' project during its window. Leave out "
                             "党员优先, or enable badges first: {command}"), command=Hint("enable", "badges"))

    def _check_places(self, places: int | None, names: Sequence[str]) -> int:
        if names:
            if len({n.lower() for n in names}) != len(names):
                raise Refusal(N_("Each named place may appear only once."))
            if any(not n or len(n) > PLACE_NAME_MAX for n in names):
                raise Refusal(N_("A place name is at most {maximum} characters."), maximum=PLACE_NAME_MAX)
            places = len(names)
        if places is None:
            places = self.settings.default_places
        if places < 1:
            raise Refusal(N_("A project needs at least 1 place."))
        if places > self.settings.max_places:
            raise Refusal(N_("{places} places is more than this community allows ({maximum})."),
                          places=places, maximum=self.settings.max_places)
        return places

    def _check_per_person(self, per_person: int, places: int) -> int:
        if per_person < 1:
            raise Refusal(N_("Each person needs to be able to claim at least 1 place."))
        limit = min(self.settings.max_per_person, places)
        if per_person > limit:
            raise Refusal(N_("One person may claim at most {places} here."), places=Plural(*PLACE_COUNT, limit))
        return per_person

    def _check_values(self, *, title: Any = UNSET, deadline: Any = UNSET, points: Any = UNSET,
                      party_first_hours: Any = UNSET) -> None:
        if title is not UNSET and not 0 < len(title.strip()) <= TITLE_MAX:
            raise Refusal(N_("A title has 1 to {maximum} characters."), maximum=TITLE_MAX)
        if deadline is not UNSET and deadline is not None and deadline <= self.now:
            raise Refusal(N_("The deadline {deadline} has already passed."), deadline=deadline)
        if points is not UNSET and not 0 <= points <= MAX_POINTS:
            raise Refusal(N_("Points per completion are between 0 and {maximum}."), maximum=MAX_POINTS)
        if party_first_hours is not UNSET and not 0 <= party_first_hours <= MAX_PARTY_HOURS:
            raise Refusal(N_("The party members' window is between 0 and {maximum} hours."),
                          maximum=MAX_PARTY_HOURS)

    async def _check_shrink(self, project: Project, places: int, names: Sequence[str]) -> None:
        if places < project.claimed:
            raise Refusal(N_("#{id} has {taken} already; it cannot have fewer."), id=project.id,
                          taken=Plural(*PLACES_TAKEN, project.claimed))
        held = [c.place_held for c in await _holding(project.id)]
        if names and any(p is None for p in held):
            raise Refusal(N_("People hold places of #{id} without names; places can only be named "
                             "before anyone claims."), id=project.id)
        lowered = {n.lower() for n in names}
        missing = [p for p in held if p is not None and p.lower() not in lowered]
        if missing:
            raise Refusal(N_("{places} is already claimed; keep it in the list."),
                          places=", ".join(missing))

    async def _place_asked(self, project: Project, place: str | None) -> str | None:
        """The named place asked for, spelled as the project spells it."""
        if place is None:
            return None
        if not project.place_names:
            raise Refusal(N_("Project #{id} has no named places; just send {command}."), id=project.id,
                          command=Hint("claim", project.id))
        for name in project.place_names:
            if name.lower() == place.strip().lower():
                return name
        raise Refusal(N_("Project #{id} has no place {place}."), id=project.id, place=place)

    # -- places ------------------------------------------------------------------------------------
    async def _take(self, project: Project, user_id: int, wanted: str | None, held: list[Claim],
                    origin: Origin, *, promoted: bool = False) -> Claim | None:
        """One place for ``user_id``, or None when the project is full; the count and the row go together."""
        place = wanted
        if project.place_names:
            taken = {c.place_held for c in await _holding(project.id)}
            free = [n for n in project.place_names if n not in taken]
            if wanted is not None and wanted in taken:
                raise Refusal(N_("{place} of #{id} is already taken. Free: {free}"), place=wanted,
                              id=project.id, free=", ".join(free[:12]) + (" …" if len(free) > 12 else ""))
            place = wanted or (free[0] if free else None)
        slots = {c.holding for c in held}
        slot = next(i for i in range(1, project.per_person + 1) if i not in slots)
        try:
            async with in_transaction():  # a savepoint: a refused insert also gives the counted place back
                if not await queries.reserve_place(project.id):
                    return None
                claim = await Claim.create(
                    project_id=project.id, community_id=self.community_id, user_id=user_id, place=place,
                    holding=slot, place_held=place, claimed_at=self.now, progress_at=self.now,
                    origin_platform=origin.platform, origin_chat=origin.chat_id,
                )
        except IntegrityError:
            raise Refusal(N_("Someone was quicker; please try again.")) from None
        project.claimed += 1
        self.uow.publish(ProjectClaimed(community_id=self.community_id, project_id=project.id,
                                        claim_id=claim.id, user_id=user_id, promoted=promoted))
        return claim

    async def _mark_full(self, project: Project) -> bool:
        """True once per project, for the claim that filled it: the 'full' announcement is made once."""
        if project.claimed < project.places:
            return False
        marked = await Project.filter(id=project.id, full_announced=False).update(full_announced=True)
        if marked:
            self.uow.publish(ProjectFilled(community_id=self.community_id, project_id=project.id))
        return bool(marked)

    async def _end(self, project: Project, claims: Iterable[Claim], status: ClaimStatus,
                   ending: Sequence[ClaimStatus] = UNFINISHED) -> list[Claim]:
        """Give the places of those ``claims`` back that are still held in one of the ``ending`` states.

        Returns the claims that ended. The project is locked by the caller; the claim rows are locked and
        the UPDATE is conditional as well, so a claim verified or reported meanwhile is never undone, and
        ``claimed`` drops by exactly the places given back.
        """
        wanted = [c.id for c in claims if c.holding is not None]
        if not wanted:
            return []
        still = Claim.filter(id__in=wanted, status__in=ending, holding__isnull=False)
        live = {c.id: c for c in await still.select_for_update().order_by("id")}
        if not live:
            return []
        count = await Claim.filter(id__in=list(live), status__in=ending, holding__isnull=False).update(
            status=status, holding=None, place_held=None, ended_at=self.now)
        await Project.filter(id=project.id).update(claimed=F("claimed") - count)
        project.claimed -= count
        ended = [c for c in claims if c.id in live]
        for claim in ended:
            claim.status, claim.holding, claim.place_held, claim.ended_at = status, None, None, self.now
            self.uow.publish(ClaimEnded(community_id=self.community_id, project_id=project.id,
                                        claim_id=claim.id, user_id=claim.user_id, status=status.value))
        return ended

    async def _transition(self, claim: Claim, allowed: Sequence[ClaimStatus], **values: Any) -> bool:
        """Change one held claim if it is still in an ``allowed`` state (a conditional UPDATE: never
        overwrite a change another transaction made); on success ``claim`` carries the new values."""
        changed = await Claim.filter(id=claim.id, status__in=allowed, holding__isnull=False).update(**values)
        if changed:
            for key, value in values.items():
                setattr(claim, key, value)
        return bool(changed)

    async def _promote(self, project: Project) -> list[Claim]:
        """Fill free places from the waitlist, first come first served."""
        promoted: list[Claim] = []
        if project.status is not ProjectStatus.OPEN:
            return promoted
        if project.deadline is not None and project.deadline <= self.now:
            return promoted
        while project.claimed < project.places:
            entry = await WaitlistEntry.filter(project_id=project.id, waiting=True).order_by("id").first()
            if entry is None:
                break
            held = await _holding(project.id, entry.user_id)
            claim = None
            if len(held) < project.per_person:  # else they got enough places meanwhile: just leave the line
                origin = Origin(entry.origin_platform, entry.origin_chat)
                claim = await self._take(project, entry.user_id, None, held, origin, promoted=True)
                if claim is None:
                    break
                promoted.append(claim)
            await WaitlistEntry.filter(id=entry.id).update(
                waiting=None, left_at=self.now, outcome="promoted" if claim else "dropped")
        return promoted

    # -- the waitlist ------------------------------------------------------------------------------
    async def _join_waitlist(self, project: Project, user_id: int, origin: Origin) -> WaitlistEntry:
        try:
            async with in_transaction():
                return await WaitlistEntry.create(
                    project_id=project.id, community_id=self.community_id, user_id=user_id,
                    joined_at=self.now, origin_platform=origin.platform, origin_chat=origin.chat_id,
                )
        except IntegrityError:  # the same person, twice at once
            return await WaitlistEntry.get(project_id=project.id, user_id=user_id, waiting=True)

    async def _position(self, entry: WaitlistEntry) -> int:
        return await WaitlistEntry.filter(project_id=entry.project_id, waiting=True, id__lte=entry.id).count()

    async def _waiting_counts(self, project_ids: list[int]) -> dict[int, int]:
        if not project_ids:
            return {}
        rows = await WaitlistEntry.filter(project_id__in=project_ids, waiting=True).annotate(
            n=Count("id")).group_by("project_id").values_list("project_id", "n")
        return {int(p): int(n) for p, n in rows}

    async def _drop_waitlist(self, project: Project) -> list[WaitlistEntry]:
        entries = await WaitlistEntry.filter(project_id=project.id, waiting=True)
        if entries:
            await WaitlistEntry.filter(id__in=[e.id for e in entries]).update(
                waiting=None, outcome="dropped", left_at=self.now)
        return entries

    # -- the end -----------------------------------------------------------------------------------
    async def _own_unfinished(self, project: Project, user_id: int) -> list[Claim]:
        claims = await _holding(project.id, user_id).order_by("id")
        unfinished = [c for c in claims if c.status is not ClaimStatus.VERIFIED]
        if unfinished:
            return unfinished
        if claims:
            raise Refusal(N_("Your claim on #{id} is already verified. Thank you!"), id=project.id)
        if project.status is ProjectStatus.CANCELLED:
            raise Refusal(N_("Project #{id} was cancelled; your claim on it has ended."), id=project.id)
        last = await Claim.filter(project_id=project.id, user_id=user_id).order_by("-id").first()
        if last is not None and last.status is ClaimStatus.RELEASED:
            raise Refusal(N_("Your claim on #{id} was released. If a place is free you can claim it again: "
                             "{command}"), id=project.id, command=Hint("claim", project.id))
        raise Refusal(N_("You have not claimed #{id}."), id=project.id)

    async def _set_status(self, project: Project, status: ProjectStatus) -> None:
        ended_at = self.now if status in (ProjectStatus.CANCELLED, ProjectStatus.COMPLETED) else None
        await Project.filter(id=project.id).update(status=status, ended_at=ended_at)
        project.status, project.ended_at = status, ended_at

    async def _complete(self, project: Project) -> None:
        await self._set_status(project, ProjectStatus.COMPLETED)
        await self._drop_waitlist(project)
        verified = await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED).order_by("id")
        self.uow.publish(ProjectCompleted(community_id=self.community_id, project_id=project.id,
                                          user_ids=tuple(dict.fromkeys(c.user_id for c in verified))))

    async def _complete_if_done(self, project: Project) -> bool:
        """A closed project, or an open one whose deadline has passed, is completed when its last unfinished
        claim ends and some work was verified."""
        if project.status is ProjectStatus.OPEN:
            if project.deadline is None or project.deadline > self.now:
                return False  # more claims may still come
        elif project.status is not ProjectStatus.CLOSED:
            return False
        if await Claim.filter(project_id=project.id, status__in=UNFINISHED).exists():
            return False
        if not await Claim.filter(project_id=project.id, status=ClaimStatus.VERIFIED).exists():
            return False
        await self._complete(project)
        return True
