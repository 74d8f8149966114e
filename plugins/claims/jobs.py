"""The sweep: reminds claimers whose claim is about to be released, and releases stale claims.

One periodic job rather than a one-shot job per claim: there is nothing to reschedule when a deadline
or a setting changes, a missed run simply happens at the next start, and the work per run is a couple
of indexed queries per community. Each community is swept in its own savepoint, so one community's
trouble does not hold up the others' reminders.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.transactions import in_transaction

from core.plugin import N_, Button, JobContext, JobSpec
from plugins.claims.service import PLUGIN, ClaimsService, SweepResult
from plugins.claims.settings import ClaimsSettings
from plugins.claims.speaker import Speaker, origin_of

log = logging.getLogger(__name__)
SWEEP_EVERY = timedelta(minutes=10)
RELEASED_AT_DEADLINE = N_("{names}: the deadline of {project} has passed, so your unfinished claim was released.")
RELEASED_STALE = N_("{names}: your claim on {project} had no news for {days} days and was released. "
                    "If a place is free you can claim it again.")


async def sweep(job: JobContext) -> None:
    for community_id in job.communities:
        mark = job.uow.mark()
        try:
            async with in_transaction():
                settings = job.app.plugin_settings(PLUGIN, ClaimsSettings, community_id)
                result = await ClaimsService(community_id, settings, job.now, job.uow).sweep()
                if result.reminders or result.releases:
                    speaker = await Speaker.for_job(job.app, job.uow, community_id, job.now)
                    await _tell(speaker, result, settings)
        except Exception:
            job.uow.rollback_to(mark)
            log.exception("claims sweep failed in community %s", community_id)


async def _tell(speaker: Speaker, result: SweepResult, settings: ClaimsSettings) -> None:
    t = speaker.t
    for reminder in result.reminders:
        project, claim = reminder.project, reminder.claim
        text = t("⏰ {names}: your claim on {project} is released on {date} unless there is news. "
                 "Done? Send /done {id}. Still on it? Send /progress {id}.",
                 names=await speaker.name_list([claim.user_id]), project=speaker.project(project),
                 date=speaker.when(reminder.release_at), id=project.id)
        buttons = ((Button(t("Done #{id}", id=project.id), f"/done {project.id}"),
                    Button(t("Still on it"), f"/progress {project.id}")),)
        await speaker.send(origin_of(claim), text, buttons)
    for release, reason in result.releases:
        message = RELEASED_AT_DEADLINE if reason == "deadline" else RELEASED_STALE
        await speaker.tell(((origin_of(c), c.user_id) for c in release.ended), message,
                           project=speaker.project(release.project), days=settings.stale_after_days)
        await speaker.promotions(release)


JOBS = [JobSpec("claims.sweep", sweep, every=SWEEP_EVERY)]
