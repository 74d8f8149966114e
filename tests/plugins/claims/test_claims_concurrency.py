"""Never more claims than places, whatever the interleaving; a redelivered update or a second verification
changes nothing. Each test runs on SQLite and on PostgreSQL (where transactions really overlap)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from tortoise.transactions import in_transaction

import plugins.claims.service as service_module
from core.plugin import Refusal, UnitOfWork
from core.testing import Harness
from plugins.claims.events import ClaimVerified
from plugins.claims.models import Claim, ClaimStatus, Project, WaitlistEntry
from plugins.claims.service import ClaimOutcome, ClaimsService, ProjectDraft
from plugins.claims.settings import ClaimsSettings

COMMUNITY = 1
ATTEMPTS = 1000
PLACES = 50
Publish = Callable[..., Awaitable[int]]
T = TypeVar("T")


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
    assert all(isinstance(o, ClaimOutcome | Refusal) for o in outcomes), outcomes
    assert await Claim.filter(project_id=project.id).count() == 1
    assert (await Project.get(id=project.id)).claimed == 1


async def test_a_named_place_goes_to_one_person_only(pooled: Harness) -> None:
    project = await service(pooled).create(1, ProjectDraft("菜园", place_names=["A1", "A2", "A3"]))
    outcomes = await asyncio.gather(
        *(claim_in_own_transaction(pooled, project.id, user, "a2") for user in range(10, 30)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, ClaimOutcome) and o.claims and o.waitlist_position is None]
    refused = [o for o in outcomes if isinstance(o, Refusal)]
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
    await h.app.settle()
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


# -- races with the sweep and with organizers --------------------------------------------------------------
# Each test holds one side at the worst moment (right after it read, or right before it writes) while the
# other side runs, and then checks that the two outcomes agree. On SQLite whole transactions take turns,
# so the other side simply goes second; on PostgreSQL they really overlap.
PAUSE = 0.3
DAY = timedelta(days=1)


def at(when: datetime, uow: UnitOfWork | None = None) -> ClaimsService:
    return ClaimsService(COMMUNITY, ClaimsSettings(), when, uow or UnitOfWork())


async def in_own_transaction(work: Awaitable[T]) -> T:
    async with in_transaction():
        return await work


async def after(event: asyncio.Event, work: Callable[[], Awaitable[T]]) -> T:
    await asyncio.wait_for(event.wait(), 10)
    async with in_transaction():
        return await work()


async def claimed_project(h: Harness, places: int = 2, users: Sequence[int] = (7,)) -> Project:
    project = await service(h).create(1, ProjectDraft("菜园", places=places))
    for user in users:
        await claim_in_own_transaction(h, project.id, user)
    return project


def pause_after(monkeypatch: pytest.MonkeyPatch, name: str, reached: asyncio.Event) -> None:
    """ClaimsService.<name> signals ``reached`` once it has read, then dawdles before returning."""
    original = getattr(ClaimsService, name)

    async def slow(self: ClaimsService, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        reached.set()
        await asyncio.sleep(PAUSE)
        return result

    monkeypatch.setattr(ClaimsService, name, slow)


async def test_a_report_racing_the_sweep_is_neither_lost_nor_left_without_a_place(
    pooled: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/done has read the claim when the sweep comes to release it (7 days without news)."""
    project = await claimed_project(pooled)
    later, read = pooled.clock() + 8 * DAY, asyncio.Event()
    pause_after(monkeypatch, "_own_unfinished", read)
    reported, swept = await asyncio.gather(
        in_own_transaction(at(later).report_done(project.id, 7, "挪好了", ["photo-1"])),
        after(read, lambda: at(later).sweep()), return_exceptions=True)
    claim = await Claim.get(project_id=project.id, user_id=7)
    assert not isinstance(reported, BaseException) and not isinstance(swept, BaseException)
    assert (claim.status, claim.photos) == (ClaimStatus.REPORTED, ["photo-1"])
    assert claim.holding is not None, "reported, yet the place was given back"
    assert swept.releases == []
    assert (await Project.get(id=project.id)).claimed == 1


async def test_a_report_committed_while_the_sweep_releases_is_refused_not_overwritten(
    pooled: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep has decided to release when /done commits: one of them wins, and the other knows it."""
    project = await claimed_project(pooled)
    later, releasing = pooled.clock() + 8 * DAY, asyncio.Event()
    original = ClaimsService._end

    async def slow_end(self: ClaimsService, *args: Any, **kwargs: Any) -> Any:
        releasing.set()
        await asyncio.sleep(PAUSE)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(ClaimsService, "_end", slow_end)
    swept, reported = await asyncio.gather(
        in_own_transaction(at(later).sweep()),
        after(releasing, lambda: at(later).report_done(project.id, 7, "挪好了", ["photo-1"])),
        return_exceptions=True)
    assert not isinstance(swept, BaseException)
    claim = await Claim.get(project_id=project.id, user_id=7)
    if isinstance(reported, Refusal):  # the sweep went first: the report is refused, nothing attached
        assert claim.status is ClaimStatus.RELEASED and claim.photos == []
        assert reported.message.startswith("Your claim on #{id} was released.")
    else:
        assert not isinstance(reported, BaseException), reported
        assert claim.status is ClaimStatus.REPORTED and claim.holding is not None
    assert (await Project.get(id=project.id)).claimed == (0 if claim.holding is None else 1)


async def test_progress_committed_after_the_sweep_found_its_candidates_keeps_the_claim(
    pooled: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = await claimed_project(pooled)
    later, found = pooled.clock() + 8 * DAY, asyncio.Event()
    sweeper = at(later)
    original = ClaimsService._lock

    async def slow_lock(self: ClaimsService, project_id: int) -> Project:
        if self is sweeper:  # the candidates are read; the sweep is about to lock the project
            found.set()
            await asyncio.sleep(PAUSE)
        return await original(self, project_id)

    monkeypatch.setattr(ClaimsService, "_lock", slow_lock)
    swept, progressed = await asyncio.gather(
        in_own_transaction(sweeper.sweep()),
        after(found, lambda: at(later).record_progress(project.id, 7, "周末去挪")), return_exceptions=True)
    assert not isinstance(swept, BaseException)
    claim = await Claim.get(project_id=project.id, user_id=7)
    if isinstance(progressed, Refusal):  # the sweep went first (SQLite)
        assert claim.status is ClaimStatus.RELEASED
    else:
        assert not isinstance(progressed, BaseException), progressed
        assert claim.status is ClaimStatus.ACTIVE and claim.holding is not None, "progress noted, then released"
        assert swept.releases == []


async def test_a_verification_during_a_report_is_not_undone(pooled: Harness,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = await claimed_project(pooled)
    now, read = pooled.clock(), asyncio.Event()
    pause_after(monkeypatch, "_own_unfinished", read)
    reported, verified = await asyncio.gather(
        in_own_transaction(at(now).report_done(project.id, 7, "挪好了")),
        after(read, lambda: at(now).verify(project.id, 7, 1)), return_exceptions=True)
    assert not isinstance(reported, BaseException) and not isinstance(verified, BaseException)
    assert verified.newly
    assert (await Claim.get(project_id=project.id, user_id=7)).status is ClaimStatus.VERIFIED


async def test_a_send_back_during_a_verification_does_not_undo_it(pooled: Harness,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = await claimed_project(pooled)
    now, read = pooled.clock(), asyncio.Event()
    await in_own_transaction(at(now).report_done(project.id, 7, "挪好了"))
    sending_back: ContextVar[bool] = ContextVar("sending_back", default=False)
    original = service_module._holding

    class Dawdling:
        def __init__(self, query: Any) -> None:
            self.query = query

        def __await__(self) -> Any:
            return self.run().__await__()

        async def run(self) -> Any:
            rows = await self.query
            read.set()
            await asyncio.sleep(PAUSE)
            return rows

    def holding(project_id: int, user_id: int | None = None) -> Any:
        query = original(project_id, user_id)
        return Dawdling(query) if sending_back.get() else query

    monkeypatch.setattr(service_module, "_holding", holding)

    async def send_back() -> Any:
        sending_back.set(True)
        async with in_transaction():
            return await at(now).send_back(project.id, 7, 2, "照片看不清")

    sent, verified = await asyncio.gather(send_back(), after(read, lambda: at(now).verify(project.id, 7, 1)),
                                          return_exceptions=True)
    claim = await Claim.get(project_id=project.id, user_id=7)
    assert not isinstance(verified, BaseException), verified
    if isinstance(sent, Refusal):  # too late: already verified
        assert verified.newly and claim.status is ClaimStatus.VERIFIED
    else:
        assert not isinstance(sent, BaseException), sent
        assert claim.status is (ClaimStatus.VERIFIED if verified.newly else ClaimStatus.ACTIVE)


async def test_overlapping_sweeps_remind_each_claimer_once(pooled: Harness) -> None:
    users = range(100, 110)
    project = await claimed_project(pooled, places=len(users), users=users)
    soon = pooled.clock() + 6 * DAY + timedelta(hours=1)  # released in 23 hours: time for a reminder
    results = await asyncio.gather(*(in_own_transaction(at(soon).sweep()) for _ in range(8)),
                                   return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    reminded = sorted(r.claim.user_id for result in results if not isinstance(result, BaseException)
                      for r in result.reminders)
    assert reminded == list(users)
    assert await Claim.filter(project_id=project.id, reminded_at__isnull=True).count() == 0
