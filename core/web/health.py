"""``GET /healthz``: whether this process can do its work, for an operator's monitoring (200 or 503, JSON).

Unhealthy (503) when the database does not answer within :data:`HEALTH_TIMEOUT` (bounded: a database held by
another process must not hang the check), an adapter reports that it lost its platform, or the scheduler's
loop died or stopped passing. The rest are figures to alert on: the bus's queue, the outbox, the dead letters.
An adapter says whether it is connected with a ``connected`` attribute (True, False or None for "not known",
e.g. before its first answer); one without it is reported "unknown", never "connected" on trust.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from core.backup_daily import backup_health
from core.deadletters import DeadLetter
from core.inbox import InboxEvent
from core.outbox import OutboxMessage, OutboxState
from core.storage import check_connection

if TYPE_CHECKING:
    from core.app import Application

#: Seconds /healthz waits for the database before it answers 503.
HEALTH_TIMEOUT = 2.0
#: Scheduler states that make the process unhealthy (see ``Scheduler.state``).
SCHEDULER_BROKEN = frozenset({"stopped", "stuck"})


async def _stored_counts() -> tuple[int, int]:
    await check_connection()
    waiting = await OutboxMessage.filter(state=OutboxState.PENDING).count()
    dead = await DeadLetter.filter(replayed_at__isnull=True).count()
    return waiting, dead


def _adapters(app: Application) -> dict[str, str]:
    states: dict[str, str] = {}
    for name, adapter in sorted(app.adapters.items()):
        connected = getattr(adapter, "connected", None)
        states[name] = "connected" if connected else ("unknown" if connected is None else "disconnected")
    return states


async def health_report(app: Application) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body of ``/healthz``."""
    report: dict[str, Any] = {
        "status": "ok", "database": "ok", "adapters": _adapters(app),
        "pending_events": app.bus.pending, "queue_depth": app.bus.pending,
        "scheduler": app.scheduler.state,
        "outbox": {"waiting": None, "sent": app.delivery.sent, "retries": app.delivery.retries,
                   "expired": app.delivery.expired, "failed": app.delivery.failed},
        # events stored as fetched and not yet handled (core/inbox.py); lanes: communities working theirs off
        "inbox": {"waiting": None, "handled": app.inbox.handled, "lanes": app.inbox.busy_lanes},
        # events the core failed on for a reason of their own: `linli deadletters list`
        "dead_letters": None,
        # the last backup and whether it is stale (core/backup.py): a figure to alert on, not a 503
        "backup": backup_health(app.settings.backup, app.now()),
    }
    problems: list[str] = []
    try:
        report["outbox"]["waiting"], report["dead_letters"] = await asyncio.wait_for(_stored_counts(), HEALTH_TIMEOUT)
        report["inbox"]["waiting"] = await asyncio.wait_for(InboxEvent.all().count(), HEALTH_TIMEOUT)
    except TimeoutError:
        report["database"] = f"busy: no answer within {HEALTH_TIMEOUT:g} s"
        problems.append("database")
    except Exception as exc:  # the operator needs to see what is wrong, not a 500 page
        report["database"] = str(exc) or type(exc).__name__
        problems.append("database")
    problems += [f"adapter {name}" for name, state in report["adapters"].items() if state == "disconnected"]
    if report["scheduler"] in SCHEDULER_BROKEN:
        problems.append("scheduler")
    if problems:
        report["status"] = "error"
        report["problems"] = problems
    return (503 if problems else 200), report
