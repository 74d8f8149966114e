"""The ratings clock: reminds residents who have not rated a few days before the close, and closes periods.

One periodic job per community rather than one-shot jobs: a job row then carries no payload at all (no
period, no person), nothing needs rescheduling when an organizer closes a period early or a setting
changes, and a run missed while the process was down simply happens at the next start. The reminder goes
out at most once per period (``Period.reminded``); who was reminded is computed with the secret at that
moment and kept nowhere. Each tick also writes the open period's ratings again in key order, so the
database does not keep the order in which they came (:mod:`plugins.ratings.storage`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.plugin import JobContext, JobSpec, Refusal, when
from plugins.ratings import service
from plugins.ratings.models import Period, PeriodKind
from plugins.ratings.settings import RatingsSettings
from plugins.ratings.speaker import default_title, opened, publication

TICK = timedelta(minutes=10)


async def tick(job: JobContext) -> None:
    if job.community_id is None:
        return
    settings = job.settings(RatingsSettings)
    period = await service.open_period(job.community_id)
    if period is None:
        await _calendar(job, settings)
        return
    if job.now() >= period.closes_at:
        try:
            outcomes = await service.close(job, period)
        except Refusal:  # an organizer closed it a moment ago
            return
        await job.announce(publication(job, period, [o.result for o in outcomes]), kind="results")
        return
    await service.forget_order(period)  # the ratings of the last minutes lose their order of arrival
    due = period.closes_at - timedelta(days=settings.remind_days_before)
    if period.reminded or not settings.remind_days_before or job.now() < due:
        return
    if service.secret.key() is None:  # checked first: without it nobody was reminded, so none is marked
        return
    period.reminded = True
    await period.save(update_fields=["reminded"])
    command = await job.hint("rate")
    for user_id, names in (await service.not_yet_rated(job, period)).items():
        await job.notify(user_id, job.t(
            "⏰ {period} closes on {date}. Your household has not rated {targets} yet; it takes a minute, "
            "anonymously, in a private chat with me: {command}", period=period.title, date=job.when(period.closes_at),
            targets=job.t(", ").join(names), command=command), sensitive=True, private_only=True)


def span(kind: PeriodKind, today: date) -> tuple[date, date]:
    """The quarter, half-year or year ``today`` is in: its first and last day."""
    months = {PeriodKind.QUARTERLY: 3, PeriodKind.SEMIANNUAL: 6, PeriodKind.ANNUAL: 12}[kind]
    first = (today.month - 1) // months * months + 1
    start = date(today.year, first, 1)
    after = date(today.year + 1, 1, 1) if first + months > 12 else date(today.year, first + months, 1)
    return start, after - timedelta(days=1)


async def _calendar(job: JobContext, settings: RatingsSettings) -> None:
    """With ``calendar`` set, each quarter (half-year, year) gets its period, from its first day to its last.
    Without the secret or a target nothing opens (``/rating open`` says why); a span's period opens once."""
    if settings.calendar == "off":
        return
    kind = PeriodKind(settings.calendar)
    start, end = span(kind, job.local_day())
    opened_since = datetime(start.year, start.month, start.day, tzinfo=job.timezone)
    if await Period.exists(community_id=job.community_id, kind=kind, opened_at__gte=opened_since):
        return
    try:
        period = await service.start_period(job, kind, when(end, job.timezone), default_title(job, kind, end))
    except Refusal:
        return
    await job.announce(await opened(job, period, [t.name for t in await service.targets(job.community_id)]),
                       kind="results")


JOBS = [JobSpec("ratings.tick", tick, every=TICK, plugin=service.PLUGIN, per_community=True)]
