"""Jobs that must happen later or regularly: reminders, releasing stale claims, closing rating periods.

Jobs live in the database, so they survive a restart, and a run missed while the process was down
happens at the next start. Several processes may share one database: before running a job a process
takes a lease with one conditional UPDATE, so each due run happens once. A job runs like an event
handler (one transaction, domain events, outbox sent after commit); a one-shot job of a plugin that is
switched off in its community waits until the plugin is on again rather than being lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from core.metrics import UNOWNED, Metrics
from core.scope import Scope
from core.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
DISABLED_RETRY = timedelta(hours=1)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class JobContext(Scope):
    """What a job handler gets: a :class:`core.scope.Scope` for its community, and the job's payload.

    A job declared ``per_community`` runs once per community where its plugin is on, each run in its own
    transaction, with ``community_id`` set; other periodic jobs see the ``communities`` where it is on.
    """

    payload: dict[str, Any] = field(default_factory=dict)
    communities: list[int] = field(default_factory=list)


class SchedulerHost(Protocol):
    """What the scheduler needs from the application around it."""

    def now(self) -> datetime: ...

    def plugin_enabled(self, community_id: int | None, plugin: str) -> bool: ...

    async def community_ids(self) -> list[int]: ...

    async def run_in_transaction(self, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any: ...

    async def job_context(self, uow: UnitOfWork, plugin: str, community_id: int | None, payload: dict[str, Any],
                          communities: list[int]) -> JobContext: ...


JobHandler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    """A job a plugin can run: periodic when ``every`` is set, otherwise a target for one-shot runs."""

    name: str
    handler: JobHandler
    every: timedelta | None = None
    plugin: str = "core"
    #: Run once per community where the plugin is on, each in its own transaction (locks held briefly,
    #: one community's failure does not undo another's work).
    per_community: bool = False


class ScheduledJob(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=191, unique=True)
    spec = fields.CharField(max_length=128)
    community_id = fields.IntField(null=True)
    payload: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    run_at = fields.DatetimeField(db_index=True)
    interval_seconds = fields.IntField(null=True)
    lease_owner = fields.CharField(max_length=128, null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "linli_scheduled_job"


class Scheduler:
    def __init__(self, host: SchedulerHost, *, tick_seconds: float = 1.0, lease_seconds: int = 300) -> None:
        self.host = host
        self.tick_seconds = tick_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.specs: dict[str, JobSpec] = {}
        self._task: asyncio.Task[None] | None = None
        self.metrics: Metrics = UNOWNED
        #: ``time.monotonic()`` of the loop's last pass, for /healthz (None before the first).
        self.last_tick: float | None = None

    def register(self, spec: JobSpec) -> None:
        if spec.name in self.specs:
            raise ValueError(f"two jobs are named {spec.name!r}")
        self.specs[spec.name] = spec

    async def ensure_periodic(self) -> None:
        """Create rows for periodic jobs; an existing row keeps its next run (a missed one is due now)."""
        now = self.host.now()
        for spec in self.specs.values():
            if spec.every is None:
                continue
            await ScheduledJob.get_or_create(
                key=spec.name,
                defaults={"spec": spec.name, "run_at": now + spec.every,
                          "interval_seconds": int(spec.every.total_seconds())},
            )

    async def schedule(
        self, spec: str, at: datetime, *, key: str, community_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Run ``spec`` once at ``at``; scheduling the same ``key`` again moves it instead of adding one."""
        if spec not in self.specs:
            raise ValueError(f"no job named {spec!r}")
        await ScheduledJob.update_or_create(
            key=key,
            defaults={"spec": spec, "run_at": at, "community_id": community_id, "payload": payload or {},
                      "interval_seconds": None, "attempts": 0, "lease_owner": None, "lease_until": None},
        )

    async def cancel(self, key: str) -> None:
        await ScheduledJob.filter(key=key).delete()

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    @property
    def state(self) -> str:
        """For /healthz: ``"alive"``, ``"stopped"`` (its loop ended: a bug), ``"stuck"`` (no pass for a minute
        and ten ticks) or ``"not started"`` (this process runs no scheduler, like a test harness)."""
        if self._task is None:
            return "not started"
        if self._task.done():
            return "stopped"
        if self.last_tick is not None and time.monotonic() - self.last_tick > max(60.0, 10 * self.tick_seconds):
            return "stuck"
        return "alive"

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("scheduler tick failed")
            self.last_tick = time.monotonic()
            self.metrics.scheduler_ticks.inc()
            await asyncio.sleep(self.tick_seconds)

    async def run_due(self) -> int:
        """Run every job that is due now and not leased by another process; returns how many ran."""
        now = self.host.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        due = await ScheduledJob.filter(Q(run_at__lte=now) & free).order_by("run_at").limit(100)
        ran = 0
        for job in due:
            taken = await ScheduledJob.filter(Q(id=job.id) & free).update(
                lease_owner=self.owner, lease_until=now + self.lease
            )
            if taken and await self._run(job, now):
                ran += 1
        return ran

    async def _run(self, job: ScheduledJob, now: datetime) -> bool:
        spec = self.specs.get(job.spec)
        if spec is None:  # its plugin is not installed here (any more): leave the row for one that is
            await self._release(job, run_at=now + DISABLED_RETRY)
            return False
        enabled = self.host.plugin_enabled
        if job.community_id is not None and not enabled(job.community_id, spec.plugin):
            await self._release(job, run_at=now + DISABLED_RETRY)
            return False
        communities = [c for c in await self.host.community_ids() if enabled(c, spec.plugin)]
        targets = communities if spec.per_community and job.community_id is None else [job.community_id]
        one_shot = not job.interval_seconds
        failure: Exception | None = None
        for community_id in targets:

            async def work(uow: UnitOfWork, community_id: int | None = community_id) -> None:
                ctx = await self.host.job_context(uow, spec.plugin, community_id, dict(job.payload), communities)
                await spec.handler(ctx)
                if one_shot:  # done in the job's own transaction: its effects and its end commit together
                    await ScheduledJob.filter(id=job.id, lease_owner=self.owner).delete()

            try:
                await self.host.run_in_transaction(work)
            except Exception as exc:
                log.exception("job %s failed (community %s)", job.key, community_id)
                failure = exc
                self.metrics.job_run(spec.name, "failed")
                self.metrics.plugin_error(spec.plugin)
            else:
                self.metrics.job_run(spec.name, "ok")
        if failure is not None and (one_shot or len(targets) == 1):
            backoff = min(timedelta(seconds=30 * 2**job.attempts), MAX_BACKOFF)
            await ScheduledJob.filter(id=job.id, lease_owner=self.owner).update(
                attempts=job.attempts + 1, last_error=repr(failure)[:2000], lease_owner=None, lease_until=None,
                run_at=now + backoff,
            )
            return False
        if not one_shot:
            interval = timedelta(seconds=job.interval_seconds or 0)
            next_run = job.run_at + interval
            if next_run <= now:  # missed runs are not replayed one by one: once is enough
                next_run = now + interval
            await self._release(job, run_at=next_run, attempts=0)
        return True

    async def _release(self, job: ScheduledJob, *, run_at: datetime, attempts: int | None = None) -> None:
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "run_at": run_at}
        if attempts is not None:
            values["attempts"] = attempts
        await ScheduledJob.filter(id=job.id, lease_owner=self.owner).update(**values)
