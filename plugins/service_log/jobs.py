"""The sweep, every ten minutes in each community where the plugin is on: it closes the check-outs
forgotten at activities that have ended (flagged for review), gives records approved elsewhere (a
verified claim) their publication window, and makes final the records whose window has passed, which
earns their points and announces new stars.

One periodic job rather than a job per record: a window that moves with a changed holiday list needs no
rescheduling, and a run missed while the process was down simply happens at the next start. Making a
record final is a conditional UPDATE and its points carry the record's source key, so a second run, in
another process or after a restart, changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from core.plugin import N_, JobContext, JobSpec
from plugins.service_log.activities import Activities
from plugins.service_log.commands_hours import tell_final
from plugins.service_log.speaker import PLUGIN, describe, records_for

SWEEP_EVERY = timedelta(minutes=10)
FORGOTTEN = N_("⚠️ You did not check out of {title}; it was closed at its end ({record}) and waits for review.")


async def sweep(job: JobContext) -> None:
    if job.community_id is None:
        return
    records = records_for(job)
    for activity, attendance, record in await Activities(records).close_forgotten():
        if record is not None:
            await job.notify(attendance.user_id, job.t(FORGOTTEN, title=activity.title,
                                                       record=describe(job, record)))
    await records.adopt()
    await tell_final(job, await records.finalize_due())


JOBS = [JobSpec("service_log.sweep", sweep, every=SWEEP_EVERY, plugin=PLUGIN, per_community=True)]
