"""Fixtures for the ratings plugin: the secret in the environment, a community with the property company
as a target, and verified residents of their own households."""

from __future__ import annotations

import pytest

from core.testing import Harness

SECRET = "test-only-ratings-secret-0123456789"


@pytest.fixture(autouse=True)
def ratings_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LINLI_SECRET_RATINGS", SECRET)
    return SECRET


async def residents(h: Harness, count: int, *, first: int = 1) -> list[str]:
    """``count`` people who spoke in the group and were verified, each in a household of their own
    (居民1 in 1-1-101, 居民2 in 1-1-102, …); returns their names."""
    names = []
    for number in range(first, first + count):
        name = f"居民{number}"
        await h.send(name, "/whoami")
        await h.send("王书记", f"/认证居民 @{name} 1-1-{100 + number}")
        names.append(name)
    return names


async def rate(h: Harness, name: str, line: str) -> str:
    """``name`` rates in their private chat with the bot; the one reply."""
    return await h.say(name, line, direct=True)


@pytest.fixture
async def hood(community: Harness) -> Harness:
    """观梅社区 with 物业公司 as its target and the red list shown from 3 ratings on (min_ratings 3)."""
    await community.send("王书记", "/评价对象 添加 物业公司")
    await community.send("王书记", "/config ratings min_ratings 5")
    return community
