"""Never more claims than places, whatever the interleaving; a redelivered update or a second verification
changes nothing. Each test runs on SQLite and on PostgreSQL (where transactions really overlap)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from tortoise.transactions import in_transaction

from core.plugin import UnitOfWork
from core.testing import Harness
from plugins.claims.events import ClaimVerified
from plugins.claims.models import Claim, Project, WaitlistEntry
from plugins.claims.service import ClaimOutcome, ClaimsError, ClaimsService, ProjectDraft
from plugins.claims.settings import ClaimsSettings

COMMUNITY = 1
ATTEMPTS = 1000
PLACES = 50
Publish = Callable[..., Awaitable[int]]


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[Harness]:
    """A harness whose PostgreSQL pool has room for many transactions at once."""
    url = f"{db_url}?minsize=1&maxsize=20" if db_url.startswith("postgres") else db_url
    async with Harness.create(url) as h:
        yield h


def service(h: Harness) -> ClaimsService:
    return ClaimsService(COMMUNITY, ClaimsSettings(), h.clock(), UnitOfWork())


async def claim_in_own_transaction(h: Harness, project_id: int, user_id: int,
                                   place: str | None = None) -> ClaimOutcome:
    async with in_transaction():
        return await service(h).claim(project_id, user_id, place)


async def test_1000_concurrent_claims_on_50_places_take_exactly_50(pooled: Harness) -> None:
    project = await service(pooled).create(1, ProjectDraft("整治共享单车", places=PLACES))
    outcomes = await asyncio.gather(
        *(claim_in_own_transaction(pooled, project.id, user) for user in range(100, 100 + ATTEMPTS)),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    taken = [o for o in outcomes if isinstance(o, ClaimOutcome) and o.waitlist_position is None]
    waiting = sorted(o.waitlist_position for o in outcomes if isinstance(o, ClaimOutcome) and o.waitlist_position)
    assert len(taken) == PLACES
    assert waiting == list(range(1, ATTEMPTS - PLACES + 1))
    assert sum(o.became_full for o in taken) == 1
    assert await Claim.filter(project_id=project.id, holding__isnull=False).count() == PLACES
    assert (await Project.get(id=project.id)).claimed == PLACES
    assert await WaitlistEntry.filter(project_id=project.id, waiting=True).count() == ATTEMPTS - PLACES


async def test_the_place_count_holds_even_without_the_row_lock(pooled: Harness,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock keeps waitlist numbers in order; the limit itself rests on the conditional UPDATE alone."""
    monkeypatch.setattr(ClaimsService, "_lock", ClaimsService._get)
    project = await service(pooled).create(1, ProjectDraft("整治共享单车", places=PLACES))
    outcomes = await asyncio.gather(
        *(claim_in_own_transaction(pooled, project.id, user) for user in range(100, 100 + ATTEMPTS // 2)),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert await Claim.filter(project_id=project.id, holding__isnull=False).count() == PLACES
    assert (await Project.get(id=project.id)).claimed == PLACES


async def test_one_person_claiming_many_times_at_once_holds_one_place(pooled: Harness) -> None:
    project = await service(pooled).create(1, ProjectDraft("菜园", places=5))
    outcomes = await asyncio.gather(*(claim_in_own_transaction(pooled, project.id, 7) for _ in range(20)),
                                    return_exceptions=True)
    assert all(isinstance(o, ClaimOutcome | ClaimsError) for o in outcomes), outcomes
    assert await Claim.filter(project_id=project.id).count() == 1
    assert (await Project.get(id=project.id)).claimed == 1


async def test_a_named_place_goes_to_one_person_only(pooled: Harness) -> None:
    project = await service(pooled).create(1, ProjectDraft("菜园", place_names=["A1", "A2", "A3"]))
    outcomes = await asyncio.gather(
        *(claim_in_own_transaction(pooled, project.id, user, "a2") for user in range(10, 30)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, ClaimOutcome) and o.claims and o.waitlist_position is None]
    refused = [o for o in outcomes if isinstance(o, ClaimsError)]
    assert len(won) == 1 and won[0].claims[0].place == "A2"
    assert len(refused) == 19
    assert {e.message for e in refused} == {"{place} of #{id} is already taken. Free: {free}"}


async def test_1000_neighbours_claim_in_chat_50_get_a_place_950_a_distinct_waitlist_number(
    community: Harness, publish: Publish
) -> None:
    h = community
    project = await publish(h, f"/发布项目 整治共享单车 {PLACES} 12-31")
    before = len(h.adapter.sent)
    for number in range(ATTEMPTS):
        await h.app.receive(h.event(f"邻居{number}", f"/认领 {project}"))
    await h.app.bus.join()
    replies = [m.text for m in h.adapter.sent[before:]]
    acks = [r for r in replies if r.startswith("✅") and "认领了" in r]
    positions = sorted(int(m.group(1)) for r in replies if (m := re.search(r"名额已满，你是候补第 (\d+) 位", r)))
    assert len(acks) == PLACES
    assert positions == list(range(1, ATTEMPTS - PLACES + 1))
    assert len([r for r in replies if r.startswith("📣")]) == 1
    assert len(replies) == ATTEMPTS + 1


async def test_the_same_update_delivered_twice_claims_once(community: Harness, publish: Publish) -> None:
    h = community
    project = await publish(h)
    update = h.event("张三", f"/认领 {project}", event_id="console:fixed-update-1")
    first = await h.deliver(update)
    second = await h.deliver(update)
    assert first[0].text.startswith("✅ 张三 认领了")
    assert second == []
    assert await Claim.filter(project_id=project).count() == 1


async def test_verifying_twice_awards_the_points_once(hood: Harness, publish: Publish) -> None:
    h = hood
    project = await publish(h, "/发布项目 菜园认领 A1-A3 12-31 10分 每人2")
    await h.send("张三", f"/认领 {project} A1")
    await h.send("张三", f"/完成 {project}")
    assert (await h.say("王书记", f"/验收 {project} @张三")).endswith("获得 10 积分。")
    assert await h.say("刘主任", f"/验收 {project} @张三") == "张三 的 #1「菜园认领」已经验收过了。"
    # a second plot of the same person, verified later, publishes ClaimVerified again: the ledger books once
    await h.send("张三", f"/认领 {project} A2")
    assert (await h.say("刘主任", f"/验收 {project} @张三")).startswith("✅ 验收通过：张三")
    assert await h.say("张三", "/积分") == "张三 有 10 积分。"


async def test_two_organizers_verifying_at_once_publish_one_verification(pooled: Harness) -> None:
    project = await service(pooled).create(1, ProjectDraft("整治共享单车", places=2, points=10))
    await claim_in_own_transaction(pooled, project.id, 7)
    work = [UnitOfWork(), UnitOfWork()]

    async def verify(uow: UnitOfWork, organizer: int) -> bool:
        async with in_transaction():
            svc = ClaimsService(COMMUNITY, ClaimsSettings(), pooled.clock(), uow)
            return (await svc.verify(project.id, 7, organizer)).newly

    assert sorted(await asyncio.gather(verify(work[0], 1), verify(work[1], 2))) == [False, True]
    published = [e for uow in work for e in uow.events if isinstance(e, ClaimVerified)]
    assert len(published) == 1
    assert published[0].awards()[0].source_key == f"claims:verify:{project.id}:7"
