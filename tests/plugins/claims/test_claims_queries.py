"""The claim path's hand-written statements (plugins/claims/queries.py) read what the ORM reads: every
field of every row, converted the same way (dates, enums, JSON lists, nulls), on both databases."""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.identity import User
from core.testing import Harness
from plugins.claims import queries
from plugins.claims.models import Claim, Project, ProjectStatus, WaitlistEntry
from tests.plugins.claims.conftest import Publish


def values(row: Model | None) -> dict[str, Any] | None:
    return None if row is None else {name: getattr(row, name) for name in row._meta.fields_db_projection}


async def user_id(name: str) -> int:
    return (await User.get(display_name=name)).id


async def test_each_hand_written_read_returns_what_the_orm_returns(community: Harness, publish: Publish) -> None:
    h = community
    project_id = await publish(h, "/发布项目 菜园 2 12-31 5分 浇水除草")
    for name in ("张三", "李四", "王五"):
        await h.send(name, f"/认领 {project_id}")  # two places, then the waitlist
    await h.send("张三", f"/完成 {project_id} 都浇好了")
    project = await Project.get(id=project_id)
    assert project.deadline is not None and project.claimed == 2 and project.status is ProjectStatus.OPEN
    for name in ("张三", "李四", "王五", "王书记"):
        user = await user_id(name)
        async with in_transaction():
            assert values(await queries.locked_project(project_id, project.community_id)) == values(project)
            held = await Claim.filter(project_id=project_id, user_id=user, holding__isnull=False).order_by("id")
            assert [values(c) for c in await queries.holding(project_id, user)] == [values(c) for c in held]
            line = await WaitlistEntry.get_or_none(project_id=project_id, user_id=user, waiting=True)
            assert values(await queries.waiting(project_id, user)) == values(line)
    assert await queries.locked_project(project_id, project.community_id + 1) is None, "another community's"
    reported = (await queries.holding(project_id, await user_id("张三")))[0]
    assert reported.note == "都浇好了" and reported.reported_at is not None, "the values a user saw, not just equal"
    assert (await queries.waiting(project_id, await user_id("王五"))) is not None


async def test_a_place_is_reserved_only_while_one_is_left_on_an_open_project(
    community: Harness, publish: Publish,
) -> None:
    h = community
    project_id = await publish(h, "/发布项目 菜园 1 12-31 5分 浇水除草")
    assert await queries.reserve_place(project_id)
    assert not await queries.reserve_place(project_id), "full"
    assert (await Project.get(id=project_id)).claimed == 1
    await Project.filter(id=project_id).update(claimed=0, status=ProjectStatus.CLOSED)
    assert not await queries.reserve_place(project_id), "closed"


async def test_the_project_stays_locked_until_the_claim_that_read_it_commits(
    community: Harness, publish: Publish,
) -> None:
    """Claims, releases and verifications of one project take turns (a waitlist number is never given
    twice): a second transaction's read of the project waits for the first one's commit."""
    h = community
    project_id = await publish(h, "/发布项目 菜园 1 12-31 5分 浇水除草")
    community_id = (await Project.get(id=project_id)).community_id
    order: list[str] = []
    first_has_it = asyncio.Event()

    async def first() -> None:
        async with in_transaction():
            await queries.locked_project(project_id, community_id)
            first_has_it.set()
            await asyncio.sleep(0.3)
            order.append("first commits")

    async def second() -> None:
        await first_has_it.wait()
        async with in_transaction():
            await queries.locked_project(project_id, community_id)
            order.append("second has it")

    await asyncio.gather(first(), second())
    assert order == ["first commits", "second has it"]
