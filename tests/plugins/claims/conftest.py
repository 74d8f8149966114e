"""Fixtures for the claims plugin: a community with two organizers, and a way to publish a project."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest

from core.events import OutgoingMessage
from core.testing import Harness


@pytest.fixture
async def hood(community: Harness) -> Harness:
    """观梅社区: 王书记 set it up (organizer); 刘主任 is a second organizer, so claims can be cross-verified."""
    await community.send("刘主任", "/whoami")
    await community.send("王书记", "/grant @刘主任 organizer")
    return community


Publish = Callable[..., Awaitable[int]]


async def _publish(h: Harness, line: str = "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走") -> int:
    """Publish a project as 王书记 and return its id, read from the announcement."""
    replies = await h.send("王书记", line)
    match = re.search(r"#(\d+)", replies[-1]) if replies else None
    assert match, replies
    return int(match.group(1))


@pytest.fixture
def publish() -> Publish:
    return _publish


def heard(messages: Iterable[OutgoingMessage]) -> list[str]:
    """What the bot said, as people see it: a private notice reads ``→ NAME: text`` (as on the console)."""
    return [f"→ {m.private_to.display_name}: {m.text}" if m.private_to else m.text for m in messages]


Hear = Callable[..., Awaitable[list[str]]]


async def _hear(h: Harness, name: str, text: str, **options: Any) -> list[str]:
    """``name`` says ``text``; what the bot said in response, private notices marked (see :func:`heard`)."""
    return heard(await h.deliver(h.event(name, text, **options)))


@pytest.fixture
def hear() -> Hear:
    return _hear
