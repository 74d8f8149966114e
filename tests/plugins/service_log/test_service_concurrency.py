"""Once only, whatever overlaps: many approvals of one record at once approve it once, many sweeps at once make
each record final once, and its points are booked once. On PostgreSQL the transactions really overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tortoise.transactions import in_transaction

from core.plugin import Refusal, UnitOfWork
from core.points import award, balance_of
from core.testing import Harness
from plugins.service_log.events import RecordFinal
from plugins.service_log.models import Record, RecordStatus, Volunteer
from plugins.service_log.records import Records
from plugins.service_log.settings import ServiceLogSettings

COMMUNITY = 1
OWNER, REVIEWER = 10, 11


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[Harness]:
    url = f"{db_url}?minsize=1&maxsize=20" if db_url.startswith("postgres") else db_url
    async with Harness.create(url) as h:
        yield h


def records(h: Harness, uow: UnitOfWork, settings: ServiceLogSettings | None = None) -> Records:
    return Records(COMMUNITY, settings or ServiceLogSettings(), h.clock(), ZoneInfo("Asia/Shanghai"), uow)


async def _approve(h: Harness) -> list[RecordFinal] | Refusal:
    uow = UnitOfWork(now=h.clock())
    try:
        async with in_transaction():
            await records(h, uow, ServiceLogSettings(publicity_days=0)).approve(1, REVIEWER, True)
    except Refusal as refusal:
        return refusal
    return [e for e in uow.events if isinstance(e, RecordFinal)]


async def test_twenty_approvals_at_once_approve_once_and_earn_once(pooled: Harness) -> None:
    h = pooled
    await Volunteer.create(community_id=COMMUNITY, user_id=OWNER, number="00001", real_name="张三",
                           joined_at=h.clock())
    await records(h, UnitOfWork()).log(OWNER, Decimal("2.5"), "敲门", h.clock().date())
    outcomes = await asyncio.gather(*(_approve(h) for _ in range(20)))
    finals = [o for o in outcomes if isinstance(o, list)]
    assert len(finals) == 1 and len(finals[0]) == 1, outcomes
    assert all(isinstance(o, Refusal) for o in outcomes if not isinstance(o, list))
    event = finals[0][0]
    zone = pooled.app.timezone
    bookings = await asyncio.gather(*(award(COMMUNITY, OWNER, a.delta, a.reason, "service_log", a.source_key, zone=zone)
                                      for _ in range(20) for a in event.awards()))
    assert sum(b.booked for b in bookings) == 1
    assert await balance_of(COMMUNITY, OWNER) == 25  # 2.5 h × 10, rounded half up


async def _sweep(h: Harness) -> int:
    uow = UnitOfWork(now=h.clock())
    async with in_transaction():
        return len(await records(h, uow).finalize_due())


async def test_overlapping_sweeps_make_each_record_final_once(pooled: Harness) -> None:
    h = pooled
    for n in range(10):
        await Record.create(community_id=COMMUNITY, user_id=OWNER, kind="entered", status=RecordStatus.PUBLIC,
                            hours=Decimal("0.1"), what=f"第{n}次", day=h.clock().date(), recorded_by=OWNER,
                            recorded_at=h.clock(), approved_by=REVIEWER, approved_at=h.clock(),
                            public_until=h.clock() - timedelta(minutes=1))
    made_final = await asyncio.gather(*(_sweep(h) for _ in range(8)))
    assert sum(made_final) == 10
    assert await Record.filter(status=RecordStatus.FINAL).count() == 10
