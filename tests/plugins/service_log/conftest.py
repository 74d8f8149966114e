"""Fixtures for service_log: 观梅社区 with two organizers and two registered volunteers, and a way to hear
private notices as people see them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from core.events import OutgoingMessage
from core.testing import Harness

#: 2026: National Day holidays and the make-up working day, as the operator lists them.
SETTINGS = {"plugin": {"service_log": {"holidays": ["2026-12-02"], "workdays": ["2026-12-06"],
                                       "organization": "观梅社区居委会", "person_in_charge": "王书记",
                                       "handler": "刘主任"}}}


@pytest.fixture
async def red(db_url: str) -> AsyncIterator[Harness]:
    """王书记 (organizer) set up 观梅社区; 刘主任 is a second organizer; 张三 and 李四 are registered
    volunteers (numbers 00001, 00002). The clock reads Monday 2026-11-23, 10:00 in Shanghai."""
    async with Harness.create(db_url, settings=SETTINGS) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("刘主任", "/whoami")
        await h.send("王书记", "/grant @刘主任 organizer")
        await h.send("张三", "/注册志愿者")
        await h.send("李四", "/注册志愿者")
        yield h


def heard(messages: list[OutgoingMessage]) -> list[str]:
    return [f"→ {m.private_to.display_name}: {m.text}" if m.private_to else m.text for m in messages]


Hear = Callable[..., Awaitable[list[str]]]


async def _hear(h: Harness, name: str, text: str, **options: Any) -> list[str]:
    return heard(await h.deliver(h.event(name, text, **options)))


@pytest.fixture
def hear() -> Hear:
    return _hear


def record_id(text: str) -> int:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return int(match.group(1))


async def sweep(h: Harness, after: timedelta = timedelta(minutes=11)) -> list[str]:
    """Move the clock and run what is due (the service_log sweep among it); what the bot said meanwhile."""
    before = len(h.adapter.sent)
    await h.run_jobs(after=after)
    return heard(h.adapter.sent[before:])
