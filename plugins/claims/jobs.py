"""The sweep: reminds claimers whose claim is about to be released, releases stale claims, sends home
the waitlists of projects whose deadline passed, and completes the projects whose deadline passed with
some work verified and nothing left unfinished.

One periodic job rather than a one-shot job per claim: there is nothing to reschedule when a deadline
or a setting changes, a missed run simply happens at the next start, and the work per run is a couple
of indexed queries per community. The job is ``per_community``: the scheduler sweeps each community in
its own transaction, so row locks are held only while that community is swept and one community's
trouble neither holds up nor undoes the others' reminders.
"""

from __future__ import annotations

from datetime import timedelta

from core.plugin import N_, NP_, Button, JobContext, JobSpec, Plural
from plugins.claims.service import PLUGIN, ClaimsService, SweepResult
from plugins.claims.settings import ClaimsSettings
from plugins.claims.speaker import Speaker

SWEEP_EVERY = timedelta(minutes=10)
RELEASED_AT_DEADLINE = N_("{names}: the deadline of {project} has passed, so your unfinished claim was released.")
RELEASED_STALE = N_("{names}: your claim on {project} had no news for {days} and was released. "
                    "If a place is free you can claim it again.")
DAYS = NP_("{n} day", "{n} days")
WAITLIST_EXPIRED = N_("{names}: the deadline of {project} has passed, so you are no longer on its waitlist.")


async def sweep(job: JobContext) -> None:
    if job.community_id is None:  # per_community: the scheduler always names the community
        return
    settings = job.settings(ClaimsSettings)
    result = await ClaimsService(job.community_id, settings, job.now(), job.uow).sweep()
    if result.reminders or result.releases or result.expired_waitlists or result.completed:
        await _tell(Speaker.for_job(job), result, settings)


async def _tell(speaker: Speaker, result: SweepResult, settings: ClaimsSettings) -> None:
    t = speaker.t
    for reminder in result.reminders:
        project, claim = reminder.project, reminder.claim
        text = t("⏰ {names}: your claim on {project} is released on {date} unless there is news. "
                 "Done? Send {done}. Still on it? Send {progress}.",
                 names=await speaker.name_list([claim.user_id]), project=speaker.project(project),
                 date=speaker.when(reminder.release_at), done=await speaker.hint("done", project.id),
                 progress=await speaker.hint("progress", project.id))
        buttons = ((Button(t("Done #{id}", id=project.id), f"/done {project.id}"),
                    Button(t("Still on it"), f"/progress {project.id}")),)
        await speaker.notify(claim.user_id, text, buttons)
    for release, reason in result.releases:
        message = RELEASED_AT_DEADLINE if reason == "deadline" else RELEASED_STALE
        await speaker.tell((c.user_id for c in release.ended), message, project=speaker.project(release.project),
                           days=Plural(*DAYS, settings.stale_after_days))
        await speaker.promotions(release)
        if release.completed:
            await speaker.completed(release.project)
    for expired in result.expired_waitlists:
        await speaker.tell((e.user_id for e in expired.dropped_waitlist), WAITLIST_EXPIRED,
                           project=speaker.project(expired.project))
    for project in result.completed:
        await speaker.completed(project)


JOBS = [JobSpec("claims.sweep", sweep, every=SWEEP_EVERY, plugin=PLUGIN, per_community=True)]
