"""Fixtures for the badges plugin: 观梅社区 with two organizers and two residents the bot knows by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from core.events import OutgoingMessage
from core.testing import Harness


@pytest.fixture
async def hood(community: Harness) -> Harness:
    """王书记 set 观梅社区 up; 刘主任 is a second organizer (so an organizer's own request can be verified);
    张三 and 李四 are residents who have spoken, so @names resolve."""
    for name in ("刘主任", "张三", "李四"):
        await community.send(name, "/whoami")
    await community.send("王书记", "/grant @刘主任 organizer")
    return community


def heard(messages: Iterable[OutgoingMessage]) -> list[str]:
    """What the bot said, as people see it: a private message reads ``→ NAME: text`` (as on the console)."""
    return [f"→ {m.private_to.display_name}: {m.text}" if m.private_to else m.text for m in messages]


async def hear(h: Harness, name: str, text: str, **options: Any) -> list[str]:
    """``name`` says ``text``; what the bot said in response, private messages marked (see :func:`heard`)."""
    return heard(await h.deliver(h.event(name, text, **options)))


async def press(h: Harness, name: str, label: str) -> list[str]:
    """``name`` presses the latest button labelled ``label`` (a private notice's buttons included)."""
    return heard(await h.deliver(h.button_event(name, label)))


async def press_privately(h: Harness, name: str, label: str) -> list[str]:
    """``name`` presses the latest button labelled ``label`` of a private notice, in their private chat with
    the bot, where a platform shows such a notice (the console shows it in the group, marked ``→``)."""
    for message in reversed(h.adapter.sent):
        for row in message.buttons:
            for button in row:
                if button.label == label:
                    return heard(await h.deliver(h.event(name, "", direct=True, button_data=button.data,
                                                         button_token="press:private")))
    raise AssertionError(f"no button {label!r}")


async def verified(h: Harness, name: str, kind: str = "党员", *, shown: bool = False, room: str = "group") -> None:
    """``name`` asks for a badge and an organizer other than them verifies it (and ``name`` shows it)."""
    replies = await hear(h, name, f"/申请标识 {kind}", room=room)
    number = replies[0].split("申请 #")[1].split("）")[0]
    verifier = "刘主任" if name == "王书记" else "王书记"
    await hear(h, verifier, f"/核验标识 {number}", room=room)
    if shown:
        await hear(h, name, f"/亮身份 {kind}", room=room)


@pytest.fixture(name="hear")
def hear_fixture() -> Any:
    return hear


@pytest.fixture(name="press")
def press_fixture() -> Any:
    return press


@pytest.fixture(name="press_privately")
def press_privately_fixture() -> Any:
    return press_privately


@pytest.fixture(name="verified")
def verified_fixture() -> Any:
    return verified
