"""Badges hold their rules under concurrency (several worker processes on one PostgreSQL database): the same
request arriving twice at once makes one request, two verifiers deciding at once decide it once, and a
redelivered message changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from tortoise.transactions import in_transaction

from core.plugin import Refusal, UnitOfWork
from core.testing import Harness
from plugins.badges.events import BadgeVerified
from plugins.badges.kinds import BUILTIN, Kind
from plugins.badges.models import AuditEntry, Badge, BadgeStatus
from plugins.badges.service import BadgesService

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PARTY = BUILTIN[0]


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[Harness]:
    """A harness whose PostgreSQL pool has room for several transactions at once."""
    url = f"{db_url}?minsize=1&maxsize=10" if db_url.startswith("postgres") else db_url
    async with Harness.create(url) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h


def service(uow: UnitOfWork | None = None) -> BadgesService:
    return BadgesService(1, NOW, uow or UnitOfWork(now=NOW), lambda message: message)


def anyone(kind: Kind) -> bool:
    return True


async def test_the_same_request_twice_at_once_makes_one_request(pooled: Harness) -> None:
    async def ask() -> object:
        async with in_transaction():
            return await service().request(7, PARTY, "第三支部")

    outcomes = await asyncio.gather(*(ask() for _ in range(8)), return_exceptions=True)
    assert sum(isinstance(o, Badge) for o in outcomes) == 1
    assert all(isinstance(o, Refusal) for o in outcomes if not isinstance(o, Badge)), outcomes
    assert await Badge.filter(user_id=7, live=True).count() == 1
    assert await AuditEntry.filter(user_id=7, action="requested").count() == 1


async def test_two_verifiers_at_once_verify_once(pooled: Harness) -> None:
    async with in_transaction():
        badge = await service().request(7, PARTY, "")
    work = [UnitOfWork(now=NOW) for _ in range(4)]

    async def verify(uow: UnitOfWork, verifier: int) -> object:
        async with in_transaction():
            return await service(uow).verify(badge.id, verifier, anyone)

    outcomes = await asyncio.gather(*(verify(u, 1 + i) for i, u in enumerate(work)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert len(refused) == 3 and {r.message for r in refused} == {"Request #{id} has already been decided."}
    assert len([e for uow in work for e in uow.events if isinstance(e, BadgeVerified)]) == 1
    assert (await Badge.get(id=badge.id)).status is BadgeStatus.VERIFIED
    assert await AuditEntry.filter(user_id=7, action="verified").count() == 1


async def test_a_redelivered_verification_changes_nothing(pooled: Harness) -> None:
    h = pooled
    await h.send("张三", "/申请标识 党员")
    event = h.event("王书记", "/核验标识 1")
    first = await h.deliver(event)
    assert first and first[0].text.startswith("✅ 已核验")
    assert await h.deliver(event) == []
    assert await AuditEntry.filter(action="verified").count() == 1
